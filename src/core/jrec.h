/*
 * jrec.h - the members of one journal record's JSON object, read in
 * place, without building a tree.
 *
 * Replay reads every record once on start; with Jansson, building and
 * freeing each record's tree was two thirds of starting with a large
 * journal. The records are what json_dumps(JSON_COMPACT) wrote: objects
 * of strings, integers, nested objects and arrays. pf_jrec_read() reads
 * such an object's members: strings are decoded (every escape, \u and
 * surrogate pairs included), integers read, and a nested object or an
 * array is kept as its text, to be read the same way (an object) or
 * with Jansson (an array). It answers 0 for anything that is not one
 * JSON object, as Jansson would refuse it too: then the record is
 * skipped, as before (one difference: a real number out of a double's
 * range, which Jansson refuses, is read as "not an integer"). What it
 * reads is what Jansson reads: a string or integer member as
 * pf_json_str() / pf_json_int() see it (a key given twice: the last one;
 * a member of another type: "" or 0).
 */
#ifndef PF_JREC_H
#define PF_JREC_H

#include <stddef.h>
#include <stdint.h>

enum pf_jrec_kind {
    PF_JV_STRING = 1,
    PF_JV_INT,
    PF_JV_OBJECT, /* raw: the object's text */
    PF_JV_OTHER   /* raw: an array, a real, true, false, null */
};

struct pf_jrec_member {
    const char *key; /* decoded, NUL-terminated */
    enum pf_jrec_kind kind;
    const char *s; /* STRING: decoded, NUL-terminated */
    int64_t i;     /* INT */
    const char *raw;
    size_t raw_len; /* OBJECT, OTHER: the value's text */
};

struct pf_jrec {
    struct pf_jrec_member *m;
    size_t n, cap_m;
    char *buf; /* decoded strings */
    size_t cap, len;
};

/* Read the object in p[0..n): 1, or 0 when it is none. Nesting deeper
   than 64 is refused too (the records nest two deep). Strings live in
   rec until the next read or pf_jrec_release; rec starts zeroed. */
int pf_jrec_read(struct pf_jrec *rec, const char *p, size_t n);

/* A member as pf_json_str / pf_json_int read it: "" or 0 when missing or
   of another kind. */
const char *pf_jrec_str(const struct pf_jrec *rec, const char *key);
int64_t pf_jrec_int(const struct pf_jrec *rec, const char *key);
/* The member key, or NULL. */
const struct pf_jrec_member *pf_jrec_get(const struct pf_jrec *rec,
                                         const char *key);

void pf_jrec_release(struct pf_jrec *rec);

#endif
