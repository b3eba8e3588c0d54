/*
 * holds.c - see holds.h. A handful of holds at a time is normal, so a
 * linear array of pointers (stable addresses) is all it takes.
 */
#include "core/holds.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

void
pf_holds_init(struct pf_holds *h)
{
    memset(h, 0, sizeof(*h));
    h->next_id = 1;
}

static void
hold_free(struct pf_hold *x)
{
    free(x->route);
    free(x->author_id);
    free(x->author_name);
    free(x->text);
    free(x->source_id);
    free(x->source_alt_id);
    free(x->thread);
    free(x->lang);
    free(x->why);
    free(x->words);
    free(x->labels);
    free(x->details);
    free(x->notice_key);
    free(x->notice_id);
    free(x);
}

void
pf_holds_release(struct pf_holds *h)
{
    for (size_t i = 0; i < h->n; i++)
        hold_free(h->items[i]);
    free(h->items);
    pf_holds_init(h);
}

struct pf_hold *
pf_holds_add(struct pf_holds *h)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 16;
        h->items = pf_xrealloc(h->items, h->cap * sizeof(*h->items));
    }
    struct pf_hold *x = pf_xcalloc(1, sizeof(*x));
    x->id = h->next_id++;
    h->items[h->n++] = x;
    return x;
}

struct pf_hold *
pf_holds_add_id(struct pf_holds *h, unsigned id)
{
    if (id == 0 || pf_holds_get(h, id))
        return NULL;
    unsigned next = h->next_id;
    h->next_id = id;
    struct pf_hold *x = pf_holds_add(h);
    h->next_id = next > id ? next : id + 1;
    return x;
}

struct pf_hold *
pf_holds_get(struct pf_holds *h, unsigned id)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->items[i]->id == id)
            return h->items[i];
    return NULL;
}

struct pf_hold *
pf_holds_by_notice(struct pf_holds *h, const char *notice_id)
{
    for (size_t i = 0; notice_id && *notice_id && i < h->n; i++)
        if (h->items[i]->notice_id &&
            strcmp(h->items[i]->notice_id, notice_id) == 0)
            return h->items[i];
    return NULL;
}

struct pf_hold *
pf_holds_by_source(struct pf_holds *h, const char *alt_id)
{
    for (size_t i = 0; alt_id && *alt_id && i < h->n; i++)
        if ((h->items[i]->source_alt_id &&
             strcmp(h->items[i]->source_alt_id, alt_id) == 0) ||
            (h->items[i]->source_id &&
             strcmp(h->items[i]->source_id, alt_id) == 0))
            return h->items[i];
    return NULL;
}

void
pf_holds_remove(struct pf_holds *h, unsigned id)
{
    for (size_t i = 0; i < h->n; i++) {
        if (h->items[i]->id == id) {
            hold_free(h->items[i]);
            h->items[i] = h->items[--h->n];
            return;
        }
    }
}

void
pf_hold_set(char **field, const char *value)
{
    free(*field);
    *field = value ? pf_xstrdup(value) : NULL;
}

size_t
pf_holds_open(const struct pf_holds *h)
{
    size_t n = 0;
    for (size_t i = 0; i < h->n; i++)
        n += h->items[i]->state == PF_HOLD_OPEN;
    return n;
}
