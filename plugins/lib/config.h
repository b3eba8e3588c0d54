/*
 * config.h - reading a plugin's configuration block, the checks every
 * plugin needs. Header only: a plugin includes it and links nothing.
 */
#ifndef PF_PLUGIN_LIB_CONFIG_H
#define PF_PLUGIN_LIB_CONFIG_H

#include <pokerface/plugin.h>

#include <stdio.h>

/*
 * config.KEY as a number from lo to hi into *out; absent leaves *out as
 * it is. PF_EINVAL with err naming the key when it is anything else.
 */
static inline int
pl_cfg_number(const struct pf_host *h, struct pf_hctx *hctx, const char *key,
              double lo, double hi, double *out, char *err, size_t errlen)
{
    double d;
    int rc = h->cfg_num(hctx, key, &d);
    if (rc == PF_ENOTFOUND)
        return PF_OK;
    if (rc != PF_OK || d < lo || d > hi) {
        snprintf(err, errlen, "config.%s: expected a number from %g to %g", key,
                 lo, hi);
        return PF_EINVAL;
    }
    *out = d;
    return PF_OK;
}

#endif
