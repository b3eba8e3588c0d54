/*
 * arena.h - per-event memory. Allocations are bumped out of chunks and
 * released all at once by pf_arena_reset() when the event is done (the
 * nginx/h2o pool model). Allocation aborts on out-of-memory; callers cap
 * input sizes before they get here.
 */
#ifndef PF_ARENA_H
#define PF_ARENA_H

#include <stddef.h>

struct pf_arena_chunk;

struct pf_arena {
    struct pf_arena_chunk *head; /* current chunk, newest first */
    size_t chunk_size;           /* default size of new chunks */
    char *cur, *end;             /* the current chunk's free bytes */
};

/* what every allocation is aligned to */
#define PF_ARENA_ALIGN (sizeof(max_align_t))

void pf_arena_init(struct pf_arena *a, size_t chunk_size);
/* Free every chunk. */
void pf_arena_release(struct pf_arena *a);
/* Forget every allocation; keeps the first chunk for reuse. */
void pf_arena_reset(struct pf_arena *a);
/* pf_arena_alloc() when the current chunk has no room for n bytes. */
void *pf_arena_alloc_chunk(struct pf_arena *a, size_t n);

/* n bytes aligned for any type; never NULL. Inline: most allocations
   only move a pointer in the current chunk. */
static inline void *
pf_arena_alloc(struct pf_arena *a, size_t n)
{
    size_t need = (n + PF_ARENA_ALIGN - 1) & ~(PF_ARENA_ALIGN - 1);
    if (need >= n && need <= (size_t)(a->end - a->cur)) {
        void *p = a->cur;
        a->cur += need;
        return p;
    }
    return pf_arena_alloc_chunk(a, n);
}
/* Array of n elements of size bytes, zeroed; aborts on overflow. */
void *pf_arena_calloc(struct pf_arena *a, size_t n, size_t size);
char *pf_arena_strndup(struct pf_arena *a, const char *s, size_t n);

#endif
