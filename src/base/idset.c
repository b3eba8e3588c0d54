/*
 * idset.c - see idset.h.
 */
#include "base/idset.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static uint64_t
fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

void
pf_idset_init(struct pf_idset *s, size_t cap)
{
    size_t c = 16;
    while (c < cap)
        c <<= 1;
    memset(s, 0, sizeof(*s));
    s->cap = c;
    s->ids = pf_xcalloc(c, sizeof(*s->ids));
    s->hash = pf_xcalloc(c, sizeof(*s->hash));
    s->next = pf_xcalloc(c, sizeof(*s->next));
    s->buckets = pf_xmalloc(2 * c * sizeof(*s->buckets));
    for (size_t i = 0; i < 2 * c; i++)
        s->buckets[i] = -1;
}

void
pf_idset_release(struct pf_idset *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->ids[i]);
    free(s->ids);
    free(s->hash);
    free(s->next);
    free(s->buckets);
    memset(s, 0, sizeof(*s));
}

/* take slot i out of its bucket's chain */
static void
unlink_slot(struct pf_idset *s, int32_t i)
{
    int32_t *p = &s->buckets[s->hash[i] & (2 * s->cap - 1)];
    while (*p != -1 && *p != i)
        p = &s->next[*p];
    if (*p == i)
        *p = s->next[i];
}

int
pf_idset_has(const struct pf_idset *s, const char *id)
{
    uint64_t h = fnv1a(id);
    for (int32_t i = s->buckets[h & (2 * s->cap - 1)]; i != -1; i = s->next[i])
        if (s->hash[i] == h && strcmp(s->ids[i], id) == 0)
            return 1;
    return 0;
}

int
pf_idset_seen(struct pf_idset *s, const char *id)
{
    uint64_t h = fnv1a(id);
    int32_t *head = &s->buckets[h & (2 * s->cap - 1)];
    for (int32_t i = *head; i != -1; i = s->next[i])
        if (s->hash[i] == h && strcmp(s->ids[i], id) == 0)
            return 1;
    int32_t slot = (int32_t)s->pos;
    if (s->n == s->cap) {
        unlink_slot(s, slot); /* forget the oldest */
        free(s->ids[slot]);
    } else {
        s->n++;
    }
    s->ids[slot] = pf_xstrdup(id);
    s->hash[slot] = h;
    s->next[slot] = *head;
    *head = slot;
    s->pos = (s->pos + 1) & (s->cap - 1);
    return 0;
}
