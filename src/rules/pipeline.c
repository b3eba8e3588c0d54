/*
 * pipeline.c - see pipeline.h.
 *
 * One .so may back several instances (each with its own config block), so
 * libraries and instances are kept apart: libs are loaded once by file
 * name, instances point at them. Two different files may not declare the
 * same plugin name: findings and logs would become ambiguous.
 */
#include "rules/pipeline.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "base/util.h"
#include "rules/confcheck.h"
#include "rules/verdict.h"

static int
find_or_load(struct pf_pipeline *pl, const struct pf_config *cfg,
             const char *file, size_t *idx, char *err, size_t errlen)
{
    for (size_t i = 0; i < pl->n_libs; i++) {
        const char *base = strrchr(pl->libs[i].path, '/');
        base = base ? base + 1 : pl->libs[i].path;
        if (strcmp(base, file) == 0) {
            *idx = i;
            return PF_OK;
        }
    }
    struct pf_loaded lp;
    int rc = pf_loader_open(&lp, cfg->plugin_dir, file, err, errlen);
    if (rc)
        return rc;
    for (size_t i = 0; i < pl->n_libs; i++) {
        if (strcmp(pl->libs[i].p.name, lp.p.name) == 0) {
            pf_snprintf(err, errlen,
                        "plugin '%s': duplicate plugin name '%s' (already "
                        "loaded from '%s')",
                        lp.path, lp.p.name, pl->libs[i].path);
            pf_loader_close(&lp);
            return PF_EINVAL;
        }
    }
    pl->libs[pl->n_libs] = lp;
    *idx = pl->n_libs++;
    return PF_OK;
}

int
pf_pipeline_load(struct pf_pipeline **out, const struct pf_config *cfg,
                 const char *state_dir, char *err, size_t errlen)
{
    struct pf_pipeline *pl = pf_xcalloc(1, sizeof(*pl));
    int rc = PF_OK;

    pf_hostsvc_init(&pl->svc);
    pl->libs = pf_xcalloc(cfg->n_plugins + 1, sizeof(*pl->libs));
    pl->inst = pf_xcalloc(cfg->n_plugins + 1, sizeof(*pl->inst));
    pl->buf = pf_xcalloc(PF_FINDINGS_PER_PLUGIN, sizeof(*pl->buf));

    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const struct pf_plugin_conf *pc = &cfg->plugins[i];
        struct pf_instance *in = &pl->inst[pl->n_inst];
        size_t lib;
        if (!pc->enabled)
            continue;
        if ((rc = find_or_load(pl, cfg, pc->file, &lib, err, errlen)))
            goto fail;
        in->name = pf_xstrdup(pc->name);
        in->lib = lib;
        in->conf_index = i;
        in->budget_ns =
            (int64_t)((pc->budget_ms > 0 ? pc->budget_ms
                                         : cfg->policy.plugin_budget_ms) *
                      1e6);
        char *sd = state_dir ? pf_path_join(state_dir, pc->name) : NULL;
        /* each instance's own, made here so a plugin need not */
        if (sd && mkdir(sd, 0700) != 0 && errno != EEXIST) {
            pf_log(PF_LOG_WARN,
                   "plugin '%s': cannot make %s: %s; it keeps "
                   "no state",
                   pc->name, sd, strerror(errno));
            free(sd);
            sd = NULL;
        }
        in->hctx = pf_hctx_new(pc->name, pc->config, cfg->base_dir,
                               cfg->data_dir, sd, &pl->svc);
        free(sd);
        pl->n_inst++;
    }
    if ((rc = pf_label_rules_check(pl->libs, pl->n_libs, cfg, err, errlen)))
        goto fail;
    *out = pl;
    return PF_OK;

fail:
    pf_pipeline_free(pl);
    *out = NULL;
    return rc;
}

/* the watchdog's view (pf_stage): callback what of instance i begins, or
   (i = -1) the host's own work does */
static inline void
stage(struct pf_pipeline *pl, int i, int what)
{
    struct pf_stage *st = pl->stage;
    if (!st)
        return;
    atomic_fetch_add_explicit(&st->calls, 1, memory_order_relaxed);
    atomic_store_explicit(&st->since_ns, pf_coarse_ns(), memory_order_relaxed);
    atomic_store_explicit(&st->what, what, memory_order_relaxed);
    atomic_store_explicit(&st->inst, i, memory_order_release);
}

int
pf_pipeline_create(struct pf_pipeline *pl, const struct pf_config *cfg,
                   char *err, size_t errlen)
{
    for (size_t i = 0; i < pl->n_inst; i++) {
        struct pf_instance *in = &pl->inst[i];
        const struct pf_plugin *p = &pl->libs[in->lib].p;
        char perr[PF_REASON_MAX];
        int rc;
        perr[0] = '\0';
        pf_hctx_record(in->hctx, 1);
        stage(pl, (int)i, PF_STAGE_CREATE);
        rc = p->create(&pf_host_table, in->hctx, &in->inst, perr, sizeof(perr));
        stage(pl, -1, PF_STAGE_HOST);
        pf_hctx_record(in->hctx, 0);
        perr[sizeof(perr) - 1] = '\0';
        if (rc != PF_OK) {
            pf_snprintf(err, errlen, "plugin '%s' (%s): create failed: %s",
                        in->name, pl->libs[in->lib].path,
                        *perr ? perr : "no reason given");
            in->inst = NULL;
            pf_pipeline_uncreate(pl);
            return rc < 0 ? rc : PF_ERR;
        }
        in->enabled = 1;
        char where[64];
        snprintf(where, sizeof(where), "plugins[%zu].config", in->conf_index);
        if ((rc = pf_plugin_config_check(in->hctx, p, cfg->path, where, err,
                                         errlen))) {
            pf_pipeline_uncreate(pl);
            return rc;
        }
    }
    return PF_OK;
}

void
pf_pipeline_uncreate(struct pf_pipeline *pl)
{
    for (size_t i = 0; i < pl->n_inst; i++) {
        struct pf_instance *in = &pl->inst[i];
        if (in->inst) {
            stage(pl, (int)i, PF_STAGE_DESTROY);
            pl->libs[in->lib].p.destroy(in->inst);
            stage(pl, -1, PF_STAGE_HOST);
        }
        in->inst = NULL;
        in->enabled = 0;
    }
}

int
pf_pipeline_open(struct pf_pipeline **out, const struct pf_config *cfg,
                 const char *state_dir, char *err, size_t errlen)
{
    int rc = pf_pipeline_load(out, cfg, state_dir, err, errlen);
    if (rc == PF_OK && (rc = pf_pipeline_create(*out, cfg, err, errlen))) {
        pf_pipeline_free(*out);
        *out = NULL;
    }
    return rc;
}

void
pf_pipeline_free(struct pf_pipeline *pl)
{
    if (!pl)
        return;
    pf_pipeline_uncreate(pl);
    for (size_t i = 0; i < pl->n_inst; i++) {
        pf_hctx_free(pl->inst[i].hctx);
        free(pl->inst[i].name);
    }
    for (size_t i = 0; i < pl->n_libs; i++)
        pf_loader_close(&pl->libs[i]);
    free(pl->libs);
    free(pl->inst);
    free(pl->buf);
    pf_hostsvc_release(&pl->svc);
    free(pl);
}

/* a new entry of run->found: a copy of src, or (NULL) an empty finding */
static struct pf_found *
add_found(struct pf_run *run, size_t *cap, struct pf_arena *a,
          const char *plugin, const struct pf_finding *src)
{
    if (run->n_found == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        struct pf_found *f = pf_arena_alloc(a, nc * sizeof(*f));
        if (run->n_found)
            memcpy(f, run->found, run->n_found * sizeof(*f));
        run->found = f;
        *cap = nc;
    }
    struct pf_found *f = &run->found[run->n_found++];
    if (src)
        f->f = *src;
    else
        memset(&f->f, 0, sizeof(f->f));
    f->plugin = plugin;
    f->action = PF_ACT_UNSET;
    return f;
}

void
pf_pipeline_check(struct pf_pipeline *pl, const struct pf_msg *msg,
                  struct pf_arena *a, struct pf_run *run)
{
    size_t cap = 0, n_seen = 0;
    int settled = 0;
    int64_t last = pl->precise ? 0 : pf_coarse_ns();
    memset(run, 0, sizeof(*run));
    run->n_inst = pl->n_inst;
    run->plugin_ns = pf_arena_calloc(a, pl->n_inst + 1, sizeof(int64_t));
    run->explain = pf_arena_calloc(a, pl->n_inst + 1, sizeof(char *));

    for (size_t i = 0; i < pl->n_inst; i++) {
        struct pf_instance *in = &pl->inst[i];
        const struct pf_plugin *p = &pl->libs[in->lib].p;
        struct pf_verdict v;
        struct pf_buf cap_buf = PF_BUF_INIT;
        if (!in->enabled) {
            /* never created (or destroyed): it cannot check, so the
               message is not checked */
            run->plugin_ns[i] = -1;
            struct pf_found *f = add_found(run, &cap, a, in->name, NULL);
            pf_strlcpy(f->f.label, PF_LABEL_PLUGIN_ERROR, sizeof(f->f.label));
            f->f.score = 1;
            pf_snprintf(f->f.reason, sizeof(f->f.reason),
                        "plugin '%s' is not running; held until a person "
                        "looks",
                        in->name);
            continue;
        }
        if (settled) {
            run->plugin_ns[i] = -2;
            continue;
        }
        v.size = sizeof(v);
        v.max_findings = PF_FINDINGS_PER_PLUGIN;
        v.n_findings = 0;
        v.findings = pl->buf;
        if (msg->flags & PF_MSG_EXPLAIN)
            in->hctx->capture = &cap_buf;

        /* coarse: one reading per plugin, its start the last one's end
           (the host's own work in between is charged to the next) */
        int64_t t0 = pl->precise ? pf_now_ns() : last;
        stage(pl, (int)i, PF_STAGE_CHECK);
        int rc = p->check(in->inst, msg, &v);
        stage(pl, -1, PF_STAGE_HOST);
        last = pl->precise ? pf_now_ns() : pf_coarse_ns();
        int64_t dt = last - t0;

        in->hctx->capture = NULL;
        if (cap_buf.data) { /* only when a person asked why */
            if (cap_buf.len)
                run->explain[i] =
                    pf_arena_strndup(a, cap_buf.data, cap_buf.len);
            pf_buf_release(&cap_buf);
        }
        run->plugin_ns[i] = dt;
        in->n_checks++;

        int bad = 0;
        uint32_t n = v.n_findings <= PF_FINDINGS_PER_PLUGIN
                         ? v.n_findings
                         : PF_FINDINGS_PER_PLUGIN;
        for (uint32_t k = 0; rc == PF_OK && k < n; k++) {
            struct pf_finding *src = &pl->buf[k];
            if (pf_verdict_sanitize(src, msg, in->name))
                bad = 1;
            if (src->score <= 0 && !bad)
                continue;
            add_found(run, &cap, a, in->name, src);
        }
        if (rc != PF_OK || bad) {
            in->n_errors++;
            struct pf_found *f = add_found(run, &cap, a, in->name, NULL);
            pf_strlcpy(f->f.label, PF_LABEL_PLUGIN_ERROR, sizeof(f->f.label));
            f->f.score = 1;
            if (bad)
                pf_snprintf(f->f.reason, sizeof(f->f.reason),
                            "plugin '%s' reported a score that is not a "
                            "number; held until a person looks",
                            in->name);
            else
                pf_snprintf(f->f.reason, sizeof(f->f.reason),
                            "plugin '%s' failed to check this message "
                            "(error %d); held until a person looks",
                            in->name, rc);
            pf_log(PF_LOG_WARN, "plugin '%s': check failed (%s)", in->name,
                   bad ? "score is not a number" : "error code");
        }
        if (dt > in->budget_ns) {
            in->n_overruns++;
            struct pf_found *f = add_found(run, &cap, a, in->name, NULL);
            pf_strlcpy(f->f.label, PF_LABEL_PLUGIN_TIMEOUT, sizeof(f->f.label));
            f->f.score = 1;
            pf_snprintf(f->f.reason, sizeof(f->f.reason),
                        "plugin '%s' took %.1f ms, over its budget of "
                        "%.1f ms; held until a person looks",
                        in->name, (double)dt / 1e6,
                        (double)in->budget_ns / 1e6);
            pf_log(PF_LOG_WARN,
                   "plugin '%s': check took %.1f ms (budget "
                   "%.1f ms)",
                   in->name, (double)dt / 1e6, (double)in->budget_ns / 1e6);
        }
        if (pl->enough && run->n_found > n_seen &&
            pl->enough(pl->enough_ud, run->found, run->n_found))
            settled = 1;
        n_seen = run->n_found;
    }
}

void
pf_pipeline_observe(struct pf_pipeline *pl, const struct pf_msg *msg)
{
    for (size_t i = 0; i < pl->n_inst; i++) {
        struct pf_instance *in = &pl->inst[i];
        const struct pf_plugin *p = &pl->libs[in->lib].p;
        if (in->enabled && p->observe) {
            stage(pl, (int)i, PF_STAGE_OBSERVE);
            p->observe(in->inst, msg);
            stage(pl, -1, PF_STAGE_HOST);
        }
    }
}

void
pf_pipeline_learn(struct pf_pipeline *pl, const struct pf_msg *msg,
                  const struct pf_decision *d)
{
    for (size_t i = 0; i < pl->n_inst; i++) {
        struct pf_instance *in = &pl->inst[i];
        const struct pf_plugin *p = &pl->libs[in->lib].p;
        if (in->enabled && p->learn) {
            stage(pl, (int)i, PF_STAGE_LEARN);
            p->learn(in->inst, msg, d);
            stage(pl, -1, PF_STAGE_HOST);
        }
    }
}
