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

#include "base/arena.h"
#include "base/config.h"
#include "pokerface/plugin.h"
#include "rules/host.h"
#include "rules/loader.h"

#define PF_FINDINGS_PER_PLUGIN 16

#define PF_LABEL_PLUGIN_ERROR "pokerface.plugin_error"
#define PF_LABEL_PLUGIN_TIMEOUT "pokerface.plugin_timeout"
#define PF_LABEL_PLUGIN_CRASH "pokerface.plugin_crash"

struct pf_instance {
    char *name;        /* instance name from the config */
    size_t lib;        /* index into pf_pipeline.libs */
    size_t conf_index; /* its entry in the config's "plugins" */
    void *inst;        /* NULL until created */
    struct pf_hctx *hctx;
    int enabled; /* created, and so run */
    int64_t budget_ns;
    uint64_t n_checks, n_errors, n_overruns;
};

struct pf_found;

/*
 * Which plugin callback runs, and since when: written by the pipeline
 * around every callback when pf_pipeline.stage is set, read by a watchdog
 * in another process (core/worker.c) through shared memory, so that a
 * callback that never returns can be named and stopped.
 */
enum {
    PF_STAGE_IDLE = 0,
    PF_STAGE_HOST,   /* the host's own work (inst is -1) */
    PF_STAGE_CREATE, /* a plugin's callback: */
    PF_STAGE_CHECK,
    PF_STAGE_OBSERVE,
    PF_STAGE_LEARN,
    PF_STAGE_DESTROY
};
struct pf_stage {
    _Atomic int32_t inst;     /* the instance, or -1 */
    _Atomic int32_t what;     /* PF_STAGE_* */
    _Atomic int64_t since_ns; /* pf_coarse_ns() when it began */
    _Atomic uint64_t calls;   /* callbacks begun, ever */
};

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
    struct pf_stage *stage; /* NULL, or where to say what runs */
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
    int64_t *plugin_ns; /* n_inst entries; -1 for an instance that is not
                           running (it holds the message), -2 for one
                           skipped (the action was settled) */
    char **explain;     /* n_inst entries: captured reasoning or NULL */
    size_t n_inst;
};

/*
 * Load every plugin the config names, create the enabled instances (all
 * of them, so a broken instance is found at start-up) and return the
 * pipeline. state_dir may be NULL. On failure err says which plugin and
 * why, and nothing stays loaded. The same as pf_pipeline_load() and then
 * pf_pipeline_create().
 */
int pf_pipeline_open(struct pf_pipeline **out, const struct pf_config *cfg,
                     const char *state_dir, char *err, size_t errlen);
/*
 * Load the plugins and set up their instances (names, budgets, contexts,
 * state directories) without creating them; the label rules of the
 * policy are checked against what the plugins declare.
 */
int pf_pipeline_load(struct pf_pipeline **out, const struct pf_config *cfg,
                     const char *state_dir, char *err, size_t errlen);
/*
 * Create every instance (create(), then the check of its config block's
 * keys). On failure err names the plugin and the instances created so far
 * are destroyed again.
 */
int pf_pipeline_create(struct pf_pipeline *pl, const struct pf_config *cfg,
                       char *err, size_t errlen);
/* Destroy the instances (the plugins stay loaded). */
void pf_pipeline_uncreate(struct pf_pipeline *pl);
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
