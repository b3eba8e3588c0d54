/*
 * frames.h - what the connector fuzz targets share: the event loop, an
 * event callback that reads every field (so the sanitizers see a bad
 * pointer in any of them), and the split of an input into NUL-separated
 * frames.
 */
#ifndef PF_FUZZ_FRAMES_H
#define PF_FUZZ_FRAMES_H

#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "connectors/connector.h"
#include "core/loop.h"

/* the one event loop of the run, made on the first input */
static struct pf_loop *
fuzz_loop(void)
{
    static struct pf_loop loop;
    static int inited;
    char err[256];
    if (!inited) {
        pf_log_set_level(getenv("FUZZ_VERBOSE") ? PF_LOG_DEBUG : -1);
        if (sodium_init() < 0 || pf_loop_init(&loop, err, sizeof(err)))
            abort();
        inited = 1;
    }
    return &loop;
}

static size_t fuzz_sink;

static void
fuzz_on_event(void *ud, const struct pf_event *ev)
{
    const char *f[] = {ev->room,        ev->thread, ev->author_id,
                       ev->author_name, ev->text,   ev->msg_id,
                       ev->alt_id,      ev->ref_id, ev->key,
                       ev->choice,      ev->handle};
    (void)ud;
    for (size_t i = 0; i < sizeof(f) / sizeof(*f); i++)
        if (f[i])
            fuzz_sink += strlen(f[i]);
}

/* feed(c, frame, len) for each NUL-separated frame of data */
static void
fuzz_frames(const unsigned char *data, size_t size,
            void (*feed)(struct pf_connector *, const char *, size_t),
            struct pf_connector *c)
{
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *z = memchr(p, '\0', (size_t)(end - p));
        size_t n = z ? (size_t)(z - p) : (size_t)(end - p);
        feed(c, p, n);
        p += n + (z != NULL);
    }
}

#endif
