/*
 * frozen_plugin - a plugin built against the frozen ABI 1.0 header
 * (tests/abi/plugin_v1_0.h), loaded by the current host in every test
 * run. It calls the host services through the 1.0 table layout, so a
 * change that moves a member breaks this test, not users' plugins.
 */
#include "plugin_v1_0.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct frozen {
    const struct pf_host *h;
    char word[64];
};

static int
f_create(const struct pf_host *h, struct pf_hctx *hctx, void **inst, char *err,
         size_t errlen)
{
    struct frozen *f;
    const char *w = "Frozen";
    long n;
    if (h->abi_major != 1 ||
        h->size < offsetof(struct pf_host, now_us) + sizeof(h->now_us)) {
        snprintf(err, errlen, "host table too small");
        return PF_ENOTSUP;
    }
    f = calloc(1, sizeof(*f));
    if (!f)
        return PF_ENOMEM;
    f->h = h;
    h->cfg_str(hctx, "word", &w);
    /* normalize the configured word exactly like messages are */
    n = h->casefold(hctx, w, strlen(w), f->word, sizeof(f->word));
    if (n < 0 || (size_t)n >= sizeof(f->word)) {
        snprintf(err, errlen, "cannot casefold '%s'", w);
        free(f);
        return PF_EINVAL;
    }
    *inst = f;
    return PF_OK;
}

static void
f_destroy(void *inst)
{
    free(inst);
}

static int
f_check(void *inst, const struct pf_msg *m, struct pf_verdict *v)
{
    struct frozen *f = inst;
    for (size_t t = 0; t < m->n_tokens; t++) {
        const struct pf_token *tok = &m->tokens[t];
        if (tok->norm_len == strlen(f->word) &&
            memcmp(m->norm + tok->norm_off, f->word, tok->norm_len) == 0) {
            struct pf_finding *fd = pf_verdict_add(v, "frozen.hit", 0.8f);
            if (!fd)
                break;
            snprintf(fd->reason, sizeof(fd->reason), "frozen ABI 1.0 plugin");
            pf_finding_span(fd, tok->raw.off, tok->raw.len);
        }
    }
    return PF_OK;
}

static const struct pf_plugin plugin = {
    PF_PLUGIN_INIT("frozen", "1.0", "built against the frozen 1.0 header"),
    .create = f_create,
    .destroy = f_destroy,
    .check = f_check,
};

PF_EXPORT const struct pf_plugin *
pf_plugin_entry_v1(void)
{
    return &plugin;
}
