/*
 * engine.h - one message in, one decision out: the text layer, the rule
 * pipeline and the policy put together. The command line uses it directly;
 * the relay calls it for every outgoing message.
 */
#ifndef PF_ENGINE_H
#define PF_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/policy.h"
#include "rules/pipeline.h"

struct pf_engine {
    const struct pf_config *cfg; /* borrowed; outlives the engine */
    struct pf_pipeline *pl;
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
    int max_action; /* PF_ACT_UNSET: never skip */
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

/* Open the pipeline the config describes; err says what failed. */
int pf_engine_open(struct pf_engine *e, const struct pf_config *cfg,
                   const char *state_dir, char *err, size_t errlen);
void pf_engine_close(struct pf_engine *e);

/*
 * Check one outgoing message. The result lives until the next call.
 * Returns PF_OK, PF_EINVAL (invalid UTF-8) or PF_ETOOBIG (over
 * max_message_bytes) with err set; the message was then not checked and
 * must not be sent.
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

/* Instance names, in pipeline order. */
size_t pf_engine_n_plugins(const struct pf_engine *e);
const char *pf_engine_plugin_name(const struct pf_engine *e, size_t i);

#endif
