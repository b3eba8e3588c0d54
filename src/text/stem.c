/*
 * stem.c - see stem.h. libstemmer keeps per-stemmer state and returns a
 * pointer into it, so each language has one stemmer and the result is
 * copied out at once; all calls come from the one event-loop thread.
 */
#include "text/stem.h"

#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "pokerface/plugin.h"

struct pf_stem {
    struct sb_stemmer *fi;
    struct sb_stemmer *en;
};

struct pf_stem *
pf_stem_new(void)
{
    return pf_xcalloc(1, sizeof(struct pf_stem));
}

void
pf_stem_free(struct pf_stem *st)
{
    if (!st)
        return;
    if (st->fi)
        sb_stemmer_delete(st->fi);
    if (st->en)
        sb_stemmer_delete(st->en);
    free(st);
}

long
pf_stem(struct pf_stem *st, const char *lang, const char *word, size_t len,
        char *out, size_t cap)
{
    struct sb_stemmer **slot;
    const char *algo;
    if (!lang || !word)
        return PF_EINVAL;
    if (strcmp(lang, "fi") == 0)
        slot = &st->fi, algo = "finnish";
    else if (strcmp(lang, "en") == 0)
        slot = &st->en, algo = "english";
    else
        return PF_ENOTSUP;
    if (!*slot) {
        *slot = sb_stemmer_new(algo, "UTF_8");
        if (!*slot)
            return PF_ENOMEM;
    }
    if (len > 256)
        return PF_ETOOBIG;
    const sb_symbol *r =
        sb_stemmer_stem(*slot, (const sb_symbol *)word, (int)len);
    if (!r)
        return PF_ENOMEM;
    size_t n = (size_t)sb_stemmer_length(*slot);
    if (cap) {
        size_t k = n < cap - 1 ? n : cap - 1;
        memcpy(out, r, k);
        out[k] = '\0';
    }
    return (long)n;
}
