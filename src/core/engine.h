/*
 * engine.h - one message in, one decision out: the text layer, the rule
 * pipeline and the policy put together. The command line uses it directly;
 * the relay calls it for every outgoing message.
 */
#ifndef PF_ENGINE_H
#define PF_ENGINE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/config.h"
#include "core/policy.h"
#include "rules/pipeline.h"

struct pf_worker;

/* the label of the host's own finding on text with bidi controls */
#define PF_LABEL_BIDI "pokerface.bidi"

struct pf_engine {
    const struct pf_config *cfg; /* borrowed; outlives the engine */
    struct pf_pipeline *pl;
    /* checks run in a worker process (pf_engine_isolate()), or NULL */
    struct pf_worker *worker;
    struct pf_arena arena; /* everything of the last check */
    int precise; /* measure text_ns and each plugin to the nanosecond */
    /*
     * Run every plugin on every message (check, eval, tests). Otherwise a
     * message whose findings already reach max_action, the most severe
     * action the policy can give (a hold, or a block where some rule
     * blocks), skips the plugins after that point: nothing they say can
     * change what happens to it, and the hold names what caused it.
     */
    int complete;
    int max_action;  /* PF_ACT_UNSET: never skip */
    size_t bidi_off; /* of the last prepared message (pf_text.bidi_off) */
};

struct pf_input {
    const char *text;
    size_t len;
    const char *const *context; /* the customer's recent messages, oldest
                                   first (NUL-terminated UTF-8) */
    size_t n_context;
    const char *author_id, *author_name, *route, *platform, *msg_id;
    int64_t ts_ms;           /* 0: now */
    uint32_t flags;          /* PF_MSG_* (OUTGOING is implied for checks) */
    const char *const *team; /* team members' names; NULL: config "team" */
    size_t n_team;
    const char *const *customers; /* the customers' names on this route */
    size_t n_customers;
};

struct pf_result {
    int action; /* enum pf_action */
    float score;
    struct pf_found *found; /* each with its own action */
    size_t n_found;
    const struct pf_msg *msg; /* the prepared message */
    struct pf_run run;        /* timings and explanations per instance */
    int64_t text_ns;          /* time spent preparing the text */
    int64_t total_ns;
};

/*
 * The segment of r->msg that decided: the one holding the first word of
 * the strongest finding that gave the message its action, or -1 when no
 * finding did (a pass) or the finding names no words.
 */
long pf_result_segment(const struct pf_result *r);

/* Open the pipeline the config describes; err says what failed. */
int pf_engine_open(struct pf_engine *e, const struct pf_config *cfg,
                   const char *state_dir, char *err, size_t errlen);
/*
 * The same without creating the plugin instances: pf_engine_isolate()
 * creates them in a worker process. Until then the engine holds every
 * message (no plugin runs).
 */
int pf_engine_load(struct pf_engine *e, const struct pf_config *cfg,
                   const char *state_dir, char *err, size_t errlen);
/*
 * Run the plugins in a worker process from now on (core/worker.h): the
 * instances are created there (any created here are destroyed first),
 * and checks, observe() and learn() go there.
 * err says what failed (a create(), an unknown config key). Call it after
 * pf_engine_load(), before the process holds what a worker should not
 * inherit (pokerface run: after the password was taken out of the
 * environment, before the event loop).
 */
int pf_engine_isolate(struct pf_engine *e, char *err, size_t errlen);
void pf_engine_close(struct pf_engine *e);

/*
 * Isolated, start the checks of in[0..n) (n at most 2) in the worker now
 * and let it answer them together: the caller does other work meanwhile,
 * and one round trip serves them all. pf_engine_check() of each input
 * (the same text bytes), in the same order, then takes its answer; an
 * answer nobody takes is dropped at the next check. Not isolated, this
 * does nothing, and pf_engine_check() checks as always.
 */
void pf_engine_check_ahead(struct pf_engine *e,
                           const struct pf_input *const *in, size_t n);

/*
 * Check one outgoing message. The result lives until the next call.
 * Returns PF_OK, PF_EINVAL (invalid UTF-8) or PF_ETOOBIG (over
 * max_message_bytes) with err set; the message was then not checked and
 * must not be sent. Isolated, r->msg has only text, text_len, lang and
 * ui_lang, and r->run.explain is all NULL.
 */
int pf_engine_check(struct pf_engine *e, const struct pf_input *in,
                    struct pf_result *r, char *err, size_t errlen);

/*
 * An engine without plugins, for preparing messages only (pokerface
 * train): cfg needs ui_language, max_message_bytes and team. Close it with
 * pf_engine_close().
 */
void pf_engine_open_bare(struct pf_engine *e, const struct pf_config *cfg);

/* Prepare a message without checking it (observe, learn, explain). The
   message lives until the next call. */
int pf_engine_prepare(struct pf_engine *e, const struct pf_input *in,
                      const struct pf_msg **out, char *err, size_t errlen);

/*
 * Show the plugins backstage talk or a customer's message (in->flags has
 * PF_MSG_BACKSTAGE or PF_MSG_CUSTOMER), or what a person decided about a
 * held message (learn). Not checked; nothing comes back.
 */
void pf_engine_observe(struct pf_engine *e, const struct pf_input *in);
void pf_engine_learn(struct pf_engine *e, const struct pf_input *in,
                     const struct pf_decision *d);

/* The worker's counters when the engine is isolated, else NULL. */
const struct pf_worker_stats *pf_engine_worker_stats(const struct pf_engine *e);
/* Where the checks run, for pokerface status: {"worker": false} or
   {"worker": true, "pid", "starts", "timeouts", "crashes", "last"}. */
json_t *pf_engine_status(const struct pf_engine *e);

/* Instance names, in pipeline order. */
size_t pf_engine_n_plugins(const struct pf_engine *e);
const char *pf_engine_plugin_name(const struct pf_engine *e, size_t i);

#endif
