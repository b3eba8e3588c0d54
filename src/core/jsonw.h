/*
 * jsonw.h - a JSON text written straight into a growing buffer, for the
 * commands that print a line per message (check --jsonl, eval --json)
 * and for the journal records on a reply's path.
 *
 * Building a Jansson tree for every line and dumping it cost more than
 * the rules themselves (about 70 allocations a line). The writer prints
 * the same bytes json_dumps() does with JSON_COMPACT |
 * JSON_REAL_PRECISION(6): strings escaped as Jansson escapes them ('"',
 * '\\' and control characters; everything else, '/' and non-ASCII
 * included, as it is), reals as "%.6g" with ".0" added to a whole number
 * and the exponent without '+' or leading zeros, integers as "%lld".
 * Where Jansson would refuse a string (invalid UTF-8, so the key was
 * lost), the writer puts U+FFFD for each bad byte instead, and says so
 * in bad: a writer that must refuse what Jansson refuses looks there.
 */
#ifndef PF_CORE_JSONW_H
#define PF_CORE_JSONW_H

#include <jansson.h>
#include <stddef.h>

struct jw {
    char *buf;
    size_t len, cap;
    int bad; /* a string had invalid UTF-8 (or was NULL: jw_key_str) */
};

void jw_init(struct jw *w);
void jw_free(struct jw *w);

/* bytes as they are (punctuation, keys known to need no escaping) */
void jw_raw(struct jw *w, const char *s, size_t n);
void jw_lit(struct jw *w, const char *s);

/* a JSON string: quotes and escapes added */
void jw_str(struct jw *w, const char *s, size_t n);
void jw_cstr(struct jw *w, const char *s);

/* ,"key":"s" after an object's first member, or "key":"s" (first);
   a NULL s is written as "" and sets bad, as json_pack() refuses it */
void jw_key_str(struct jw *w, int first, const char *key, const char *s);
void jw_key_int(struct jw *w, int first, const char *key, long long v);

/* a real, as json_dumps prints it with JSON_REAL_PRECISION(6) */
void jw_real(struct jw *w, double v);
void jw_int(struct jw *w, long long v);

/* any Jansson value (objects keep their order), as json_dumps prints it */
void jw_value(struct jw *w, const json_t *v);

#endif
