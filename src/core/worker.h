/*
 * worker.h - the plugins in a process of their own (pokerface run), so
 * that a plugin that never returns or that crashes cannot stop the bot.
 *
 * The bot keeps its event loop; a worker process, forked from it, creates
 * the plugin instances and runs every check(), observe() and learn(). A
 * check is a request on a socket pair and its result the answer: the bot
 * waits for it no longer than the plugins' budgets allow (it watches,
 * through a page of shared memory, which plugin callback runs and since
 * when). A callback still running at twice its plugin's budget is stopped
 * with the whole worker (SIGKILL): there is no sound way to stop one
 * function in C, but there is one to stop a process.
 *
 * Never fail open: a check the worker did not answer (stopped, crashed,
 * not running, answering nonsense) comes back as a result that holds the
 * message, with a pokerface.* label naming the plugin and what happened.
 * A new worker is started at once; after three failures in a row the
 * next one waits, 1 s doubling up to a minute, and every message is held
 * meanwhile. A restarted worker creates the plugins again: what they keep
 * in memory only (echo's recent backstage talk) starts empty, as after a
 * restart of the bot; what they keep on disk (learned.delta) stays.
 *
 * Everything here runs on the bot's thread; the only waits are for the
 * worker's answer, bounded as above.
 */
#ifndef PF_WORKER_H
#define PF_WORKER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/engine.h"

struct pf_worker;

/* What status shows. */
struct pf_worker_stats {
    pid_t pid;         /* the worker now, 0 when there is none */
    unsigned starts;   /* workers started, the first one included */
    unsigned timeouts; /* stopped: a callback did not return in time */
    unsigned crashes;  /* died: a signal, an exit, or nonsense sent */
    unsigned failures; /* in a row, until a check is answered */
    char last[256];    /* the last failure, for a person; "" when none */
};

/*
 * Start the worker for e, whose pipeline is loaded but not created
 * (pf_engine_load()): fork, create the plugin instances there, and wait
 * for them (a create() that fails, or a config key no plugin reads, is
 * reported in err as pf_pipeline_create() words it). Call it before the
 * process holds anything a worker should not inherit open.
 */
int pf_worker_start(struct pf_worker **out, struct pf_engine *e, char *err,
                    size_t errlen);

/*
 * Check one message in the worker: as pf_engine_check(), but r->msg has
 * only text, text_len, lang and ui_lang, and r->run.explain is all NULL.
 * Memory comes from a (reset by the caller). Returns what the engine
 * returned in the worker (PF_EINVAL, PF_ETOOBIG with err); a check the
 * worker could not answer is PF_OK with a result that holds.
 */
int pf_worker_check(struct pf_worker *w, const struct pf_input *in,
                    struct pf_result *r, struct pf_arena *a, char *err,
                    size_t errlen);

/*
 * Send the checks of in[0..n) to the worker at once, n at most
 * PF_WORKER_AHEAD, so that the bot does other work while they run, and
 * the worker answers them together. pf_worker_check() of the same input
 * (the same text bytes), in the same order, then takes each answer; an
 * answer nobody takes is dropped at the next check. A worker that is
 * not ready is not waited for here.
 */
#define PF_WORKER_AHEAD 2
void pf_worker_ahead(struct pf_worker *w, const struct pf_input *const *in,
                     size_t n);

/* Show the worker's plugins backstage talk or a decision; not waited
   for (dropped, with a debug line, while no worker runs). */
void pf_worker_observe(struct pf_worker *w, const struct pf_input *in);
void pf_worker_learn(struct pf_worker *w, const struct pf_input *in,
                     const struct pf_decision *d);

const struct pf_worker_stats *pf_worker_stats(const struct pf_worker *w);

/*
 * The bot's reading of a worker's answer (a RESULT frame without its
 * length) to the check of in, whose number was want_seq: PF_OK with r
 * filled, the engine's error code with err, or 1 when it makes no sense.
 * Whatever the bytes, r only names e's instances (or the host,
 * "pokerface", for a pokerface.* label: its own finding on text with
 * bidi controls), its spans lie in in->text and its action is e's
 * policy's (the fuzz target's entry).
 */
int pf_worker_parse_result(const struct pf_engine *e, uint64_t want_seq,
                           const void *frame, size_t n,
                           const struct pf_input *in, struct pf_result *r,
                           struct pf_arena *a, char *err, size_t errlen);

/* Let the worker destroy its instances and exit (waiting at most two
   seconds, then SIGKILL), and free w. */
void pf_worker_stop(struct pf_worker *w);

#endif
