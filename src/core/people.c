/*
 * people.c - see people.h. A room has tens of people, not thousands: a
 * list searched from the start is enough.
 */
#include "core/people.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

struct pf_person *
pf_people_find(const struct pf_people *p, const char *id)
{
    for (size_t i = 0; id && i < p->n; i++)
        if (strcmp(p->v[i].id, id) == 0)
            return &p->v[i];
    return NULL;
}

struct pf_person *
pf_people_join(struct pf_people *p, const char *id, const char *name,
               int member)
{
    struct pf_person *x = pf_people_find(p, id);
    if (!x) {
        if (p->n == p->cap) {
            p->cap = p->cap ? p->cap * 2 : 16;
            p->v = pf_xrealloc(p->v, p->cap * sizeof(*p->v));
        }
        x = &p->v[p->n++];
        memset(x, 0, sizeof(*x));
        x->id = pf_xstrdup(id);
    }
    free(x->name);
    x->name = pf_xstrdup(name);
    x->member = member;
    return x;
}

void
pf_people_leave(struct pf_people *p, const char *id)
{
    struct pf_person *x = pf_people_find(p, id);
    if (!x)
        return;
    free(x->id);
    free(x->name);
    *x = p->v[--p->n];
}

void
pf_people_release(struct pf_people *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].id);
        free(p->v[i].name);
    }
    free(p->v);
    memset(p, 0, sizeof(*p));
}
