/*
 * confcheck.c - see confcheck.h.
 *
 * Both checks run once, when the pipeline opens, after every plugin was
 * loaded and created: only then is it known what each plugin read and
 * which labels it can report. The suggestions ("did you mean") come from
 * the same sources: the keys a plugin asked for in the same object, the
 * labels plugins declare.
 */
#include "rules/confcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "rules/pipeline.h"

const char *const pf_host_labels[] = {
    PF_LABEL_PLUGIN_ERROR,
    PF_LABEL_PLUGIN_TIMEOUT,
    PF_LABEL_PLUGIN_CRASH,
    NULL,
};

/* ---- unknown keys in a plugin's config block ---- */

static const struct pf_cfg_mark *
find_mark(const struct pf_hctx *h, const json_t *in, const char *key,
          size_t index)
{
    for (size_t i = 0; i < h->n_marks; i++) {
        const struct pf_cfg_mark *m = &h->marks[i];
        if (m->in == in && (key ? m->key && !strcmp(m->key, key)
                                : !m->key && m->index == index))
            return m;
    }
    return NULL;
}

/* the key the plugin asked for in the same object that is closest to key */
static const char *
closest_key(const struct pf_hctx *h, const json_t *in, const char *key)
{
    const char *best = NULL;
    unsigned best_d = 3;
    for (size_t i = 0; i < h->n_marks; i++) {
        const struct pf_cfg_mark *m = &h->marks[i];
        if (m->in != in || !m->key || !strcmp(m->key, key))
            continue;
        unsigned d = pf_edit_distance(key, m->key, 2);
        if (d < best_d)
            best_d = d, best = m->key;
    }
    return best;
}

struct unread {
    const struct pf_hctx *h;
    struct pf_buf path;
    const char *key;  /* the unknown key, or NULL for an element */
    const json_t *in; /* where it is */
};

/* 1 when something under node was not read; u->path then names it */
static int
find_unread(struct unread *u, const json_t *node)
{
    size_t len = u->path.len;
    if (json_is_object(node)) {
        const char *key;
        json_t *val;
        json_object_foreach ((json_t *)node, key, val) {
            if (key[0] == '/' && key[1] == '/')
                continue; /* a comment */
            const struct pf_cfg_mark *m = find_mark(u->h, node, key, 0);
            pf_buf_addf(&u->path, ".%s", key);
            if (!m || m->how == PF_CFG_MISSING) {
                u->key = key;
                u->in = node;
                return 1;
            }
            if (m->how != PF_CFG_VALUE && find_unread(u, val))
                return 1;
            u->path.len = len;
            u->path.data[len] = '\0';
        }
    } else if (json_is_array(node)) {
        size_t i;
        json_t *val;
        json_array_foreach ((json_t *)node, i, val) {
            const struct pf_cfg_mark *m = find_mark(u->h, node, NULL, i);
            pf_buf_addf(&u->path, "[%zu]", i);
            if (!m) {
                u->key = NULL;
                u->in = node;
                return 1;
            }
            if (m->how != PF_CFG_VALUE && find_unread(u, val))
                return 1;
            u->path.len = len;
            u->path.data[len] = '\0';
        }
    }
    return 0;
}

int
pf_plugin_config_check(struct pf_hctx *h, const struct pf_plugin *p,
                       const char *file, const char *where, char *err,
                       size_t errlen)
{
    if (!h->config)
        return PF_OK;
    for (size_t i = 0; p->config_keys && p->config_keys[i]; i++)
        pf_hctx_declare(h, p->config_keys[i]);
    if (h->read_whole && !p->config_keys)
        return PF_OK; /* it read everything its own way */
    struct unread u = {h, PF_BUF_INIT, NULL, NULL};
    pf_buf_addstr(&u.path, where);
    int rc = PF_OK;
    if (find_unread(&u, h->config)) {
        const char *hint = u.key ? closest_key(h, u.in, u.key) : NULL;
        if (u.key && hint)
            pf_snprintf(err, errlen,
                        "%s: %s: unknown key for plugin '%s' (did you mean "
                        "'%s'?)",
                        file, u.path.data, h->name, hint);
        else if (u.key)
            pf_snprintf(err, errlen, "%s: %s: unknown key for plugin '%s'",
                        file, u.path.data, h->name);
        else
            pf_snprintf(err, errlen,
                        "%s: %s: not used by plugin '%s' (it read the "
                        "elements before it only)",
                        file, u.path.data, h->name);
        rc = PF_EINVAL;
    }
    pf_buf_release(&u.path);
    return rc;
}

/* ---- label rules no plugin can match ---- */

/* does rule (a label, or "prefix.*") match label (a label, or "p.*")? */
static int
rule_matches(const char *rule, const char *label)
{
    size_t rn = strlen(rule), ln = strlen(label);
    int rstar = rn >= 2 && rule[rn - 1] == '*';
    int lstar = ln >= 2 && label[ln - 1] == '*';
    if (rstar && lstar) /* two families: one inside the other */
        return !strncmp(rule, label, (rn < ln ? rn : ln) - 1);
    if (rstar)
        return ln > rn - 1 && !strncmp(rule, label, rn - 1);
    if (lstar)
        return rn > ln - 1 && !strncmp(label, rule, ln - 1);
    return !strcmp(rule, label);
}

/* the part of a label before its first '.' (all of it without one) */
static size_t
namespace_len(const char *label)
{
    return strcspn(label, ".");
}

static int
same_namespace(const char *a, const char *b)
{
    size_t n = namespace_len(a);
    return n == namespace_len(b) && !strncmp(a, b, n);
}

int
pf_label_rules_check(const struct pf_loaded *libs, size_t n_libs,
                     const struct pf_config *cfg, char *err, size_t errlen)
{
    int undeclared = 0;
    for (size_t k = 0; k < n_libs; k++)
        undeclared |= libs[k].p.labels == NULL;
    for (size_t i = 0; i < cfg->policy.n_labels; i++) {
        const char *rule = cfg->policy.labels[i].label;
        const char *best = NULL;
        char best_fam[PF_LABEL_MAX + 2];
        unsigned best_d = 4;
        int matched = 0, judged = 0;
        if (!strncmp(rule, "pokerface.", 10)) {
            /* the host's own: "pokerface.*" is every one of them */
            judged = 1;
            for (size_t k = 0; pf_host_labels[k] && !matched; k++) {
                matched = rule_matches(rule, pf_host_labels[k]);
                unsigned d = pf_edit_distance(rule, pf_host_labels[k], 3);
                if (d < best_d)
                    best_d = d, best = pf_host_labels[k];
            }
        }
        size_t rn = strlen(rule);
        int family = rn >= 2 && rule[rn - 1] == '*';
        for (size_t k = 0; k < n_libs && !matched && !judged; k++) {
            const char *const *l = libs[k].p.labels;
            for (size_t j = 0; l && l[j] && !matched; j++) {
                matched = rule_matches(rule, l[j]);
                judged |= same_namespace(rule, l[j]);
                /* "bakstage.*" is compared with "backstage.*" */
                char fam[PF_LABEL_MAX + 2];
                snprintf(fam, sizeof(fam), "%.*s.*", (int)namespace_len(l[j]),
                         l[j]);
                unsigned d = pf_edit_distance(rule, family ? fam : l[j], 3);
                if (d < best_d) {
                    best_d = d;
                    memcpy(best_fam, fam, sizeof(fam));
                    best = family ? best_fam : l[j];
                }
            }
        }
        if (matched)
            continue;
        if (!judged && undeclared)
            continue; /* a plugin that does not say may report it */
        /* a rule for a plugin that is not enabled is kept for later */
        int disabled = 0;
        for (size_t k = 0; k < cfg->n_plugins; k++) {
            const struct pf_plugin_conf *pc = &cfg->plugins[k];
            size_t n = namespace_len(rule);
            if (!pc->enabled && strlen(pc->name) == n &&
                !strncmp(pc->name, rule, n))
                disabled = 1;
        }
        if (disabled)
            continue;
        const char *who = strncmp(rule, "pokerface.", 10)
                              ? "no plugin reports this label"
                              : "pokerface reports no such label of its own";
        if (best)
            pf_snprintf(err, errlen,
                        "%s: policy.labels.\"%s\": %s (did you mean "
                        "'%s'?)",
                        cfg->path, rule, who, best);
        else
            pf_snprintf(err, errlen, "%s: policy.labels.\"%s\": %s", cfg->path,
                        rule, who);
        return PF_EINVAL;
    }
    return PF_OK;
}
