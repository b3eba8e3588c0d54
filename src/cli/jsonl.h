/*
 * jsonl.h - the members of one flat JSON object line, read without
 * building a tree.
 *
 * The lines check --jsonl and eval read are small flat objects
 * ({"id": ..., "text": ..., "customer": ...}); parsing each into a
 * Jansson tree cost two thirds of what checking it did. jl_read() reads
 * such a line in place: it accepts exactly a JSON object whose values are
 * strings, true, false or null, with no key twice, in valid UTF-8 with no
 * NUL (escapes, \u included, decoded), and answers 0 for anything else:
 * a number, an array or a nested object, a syntax error, a key twice, a
 * line too long for its buffer. The caller then reads that line with
 * Jansson as before, so what is accepted, refused and said about it is
 * Jansson's in every case.
 */
#ifndef PF_CLI_JSONL_H
#define PF_CLI_JSONL_H

#include <stddef.h>

enum jl_type { JL_ABSENT = 0, JL_STRING, JL_NULL, JL_TRUE, JL_FALSE };

struct jl_value {
    enum jl_type type;
    const char *s; /* JL_STRING: decoded, NUL-terminated */
    size_t len;
};

#define JL_MAX_KEYS 16

struct jl_line {
    char *buf; /* decoded strings live here */
    size_t cap;
};

/* Read line[0..n) into the values of the n_keys keys asked for (absent
   ones JL_ABSENT). Returns 1, or 0 when Jansson must read the line. */
int jl_read(struct jl_line *jl, const char *line, size_t n,
            const char *const *keys, struct jl_value *vals, size_t n_keys);

void jl_free(struct jl_line *jl);

/* a value as json_dumps prints it (absent: null) */
struct jw;
void jl_write(struct jw *w, const struct jl_value *v);

#endif
