/*
 * pipeline.h - the loaded rule plugins and their instances, run in config
 * order on every message.
 *
 * Fail closed: a check() that returns an error, reports a NaN score or
 * takes longer than its budget yields a finding with a "pokerface.*" label
 * naming the plugin; policy turns those into holds whatever the config
 * says.
 */
#ifndef PF_PIPELINE_H
#define PF_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/config.h"
#include "pokerface/plugin.h"
#include "rules/host.h"
#include "rules/loader.h"

#define PF_FINDINGS_PER_PLUGIN 16

#define PF_LABEL_PLUGIN_ERROR "pokerface.plugin_error"
#define PF_LABEL_PLUGIN_TIMEOUT "pokerface.plugin_timeout"

struct pf_instance {
    char *name; /* instance name from the config */
    size_t lib; /* index into pf_pipeline.libs */
    void *inst;
    struct pf_hctx *hctx;
    int enabled;
    int64_t budget_ns;
    uint64_t n_checks, n_errors, n_overruns;
};

struct pf_found;

struct pf_pipeline {
    struct pf_loaded *libs;
    size_t n_libs;
    struct pf_instance *inst;
    size_t n_inst;
    struct pf_hostsvc svc;
    struct pf_finding *buf; /* PF_FINDINGS_PER_PLUGIN, reused per check */
    /* time each check() to the nanosecond (bench, --explain); else with
       the coarse clock, which is enough for budgets of milliseconds */
    int precise;
    /* Optional: after each plugin, may the rest be skipped? (the engine
       says yes once the findings reach the most severe action the policy
       can give). Plugins after that point get plugin_ns -2. */
    int (*enough)(void *ud, struct pf_found *found, size_t n);
    void *enough_ud;
};

/* One finding as the pipeline reports it. */
struct pf_found {
    const char *plugin; /* instance name */
    struct pf_finding f;
    int action; /* set by policy */
};

/* What one pipeline run produced; allocated from the caller's arena. */
struct pf_run {
    struct pf_found *found;
    size_t n_found;
    int64_t *plugin_ns; /* n_inst entries; -1 for a disabled instance, -2
                           for one skipped (the action was settled) */
    char **explain;     /* n_inst entries: captured reasoning or NULL */
    size_t n_inst;
};

/*
 * Load every plugin the config names, create the enabled instances (all
 * of them, so a broken instance is found at start-up) and return the
 * pipeline. state_dir may be NULL. On failure err says which plugin and
 * why, and nothing stays loaded.
 */
int pf_pipeline_open(struct pf_pipeline **out, const struct pf_config *cfg,
                     const char *state_dir, char *err, size_t errlen);
void pf_pipeline_free(struct pf_pipeline *pl);

/* Run every enabled instance's check() on msg. */
void pf_pipeline_check(struct pf_pipeline *pl, const struct pf_msg *msg,
                       struct pf_arena *a, struct pf_run *run);

/* Show backstage talk or customer messages to the plugins that want it. */
void pf_pipeline_observe(struct pf_pipeline *pl, const struct pf_msg *msg);

/* Tell every plugin that had findings on msg what a person decided. */
void pf_pipeline_learn(struct pf_pipeline *pl, const struct pf_msg *msg,
                       const struct pf_decision *d);

#endif
