/*
 * idset.h - the last N message ids seen, to handle each message once:
 * a ring of ids (the oldest is forgotten first) with a hash index, so a
 * lookup costs the same with 10 ids or 4096.
 */
#ifndef PF_IDSET_H
#define PF_IDSET_H

#include <stddef.h>
#include <stdint.h>

struct pf_idset {
    size_t cap; /* ids remembered; a power of two */
    size_t n, pos;
    char **ids;
    uint64_t *hash;
    int32_t *next;    /* chain in a bucket, -1 ends */
    int32_t *buckets; /* 2 * cap heads, -1 when empty */
};

/* Remember up to cap ids (rounded up to a power of two). */
void pf_idset_init(struct pf_idset *s, size_t cap);
void pf_idset_release(struct pf_idset *s);
/* 1 when id was already there; else 0, and it is added. */
int pf_idset_seen(struct pf_idset *s, const char *id);
/* 1 when id is there (nothing is added). */
int pf_idset_has(const struct pf_idset *s, const char *id);

#endif
