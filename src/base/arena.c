/*
 * arena.c - chunked bump allocator, see arena.h.
 *
 * A request larger than the chunk size gets a chunk of its own, so one huge
 * message does not make every later chunk huge. Reset keeps one
 * default-sized chunk, so memory use drops back after a spike.
 */
#include "base/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

struct pf_arena_chunk {
    struct pf_arena_chunk *next;
    size_t size;
    max_align_t data[];
};

#define ALIGN PF_ARENA_ALIGN

/* allocate from chunk c (the head) from now on */
static void
use_chunk(struct pf_arena *a, struct pf_arena_chunk *c)
{
    a->cur = c ? (char *)c->data : NULL;
    a->end = c ? (char *)c->data + c->size : NULL;
}

void
pf_arena_init(struct pf_arena *a, size_t chunk_size)
{
    a->head = NULL;
    a->chunk_size = chunk_size ? chunk_size : 16384;
    use_chunk(a, NULL);
}

void
pf_arena_release(struct pf_arena *a)
{
    struct pf_arena_chunk *c = a->head, *next;
    while (c) {
        next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    use_chunk(a, NULL);
}

void
pf_arena_reset(struct pf_arena *a)
{
    struct pf_arena_chunk *c = a->head, *keep = NULL;
    while (c) {
        struct pf_arena_chunk *next = c->next;
        if (!keep && c->size == a->chunk_size) {
            keep = c;
            keep->next = NULL;
        } else {
            free(c);
        }
        c = next;
    }
    a->head = keep;
    use_chunk(a, keep);
}

void *
pf_arena_alloc_chunk(struct pf_arena *a, size_t n)
{
    size_t need = (n + ALIGN - 1) & ~(ALIGN - 1);
    if (need < n)
        pf_die("arena allocation overflow");
    size_t size = need > a->chunk_size ? need : a->chunk_size;
    struct pf_arena_chunk *c = pf_xmalloc(sizeof(*c) + size);
    c->size = size;
    if (size != a->chunk_size && a->head) {
        /* an oversized chunk goes behind the current one, so the
           current chunk's free space stays in use */
        c->next = a->head->next;
        a->head->next = c;
        return (char *)c->data;
    }
    c->next = a->head;
    a->head = c;
    use_chunk(a, c);
    a->cur += need;
    return (char *)c->data;
}

void *
pf_arena_calloc(struct pf_arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        pf_die("arena allocation overflow");
    void *p = pf_arena_alloc(a, n * size);
    memset(p, 0, n * size);
    return p;
}

char *
pf_arena_strndup(struct pf_arena *a, const char *s, size_t n)
{
    char *p = pf_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
