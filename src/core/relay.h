/*
 * relay.h - the relay: the one part of pokerface that knows both the chat
 * (through a connector) and the rules (through the engine).
 *
 * For each route (a customer room C paired with an internal room I):
 *  - a customer's message in C is mirrored into I;
 *  - an agent's message in I that starts with the reply prefix is an
 *    outgoing message: checked, then posted in C (pass, note) or held
 *    (hold, block) with a notice to its author in I;
 *  - commands (!send, !edit, !drop, !held, !why, !help) in I or in a
 *    direct message, and ✅/❌ reactions on a notice, decide about holds;
 *    only the author or a supervisor may decide, only a supervisor may
 *    release a block;
 *  - a hold expires after hold_ttl_s: dropped, never sent, and the author
 *    gets the text back;
 *  - anything else said in I is backstage talk, shown to the plugins.
 * Nothing written in a customer room is ever a command, and no notice is
 * ever posted in a customer room.
 */
#ifndef PF_RELAY_H
#define PF_RELAY_H

#include <jansson.h>
#include <libwebsockets.h>

#include "base/config.h"
#include "base/util.h"
#include "connectors/connector.h"
#include "core/engine.h"

struct pf_relay;

struct pf_relay_stats {
    unsigned relayed, mirrored, held, sent, edited, dropped, expired, refused,
        notes;
    unsigned too_long; /* replies too long to read or to post */
    unsigned failed;   /* replies the server refused after all */
    unsigned reloads;  /* configurations loaded again (SIGHUP) */
    unsigned observed; /* relayed in observe mode that would have been held
                          (also counted in relayed) */
};

/* cfg and engine are borrowed and outlive the relay (engine NULL: only
   the journal is replayed, as the journal benchmark does). */
struct pf_relay *pf_relay_new(const struct pf_config *cfg,
                              struct pf_engine *engine,
                              struct lws_context *ctx);
/*
 * Go on with cfg and engine instead (pokerface run's reload): they have
 * the same routes, in the same order, as the ones used so far (names
 * and rooms; what else a route says may differ). Holds, what was handled
 * and the connection stay. Call it between events; the old ones are no
 * longer used when it returns.
 */
void pf_relay_reload(struct pf_relay *r, const struct pf_config *cfg,
                     struct pf_engine *engine);
/* Use c (the relay takes its events; see pf_relay_event). */
void pf_relay_attach(struct pf_relay *r, struct pf_connector *c);
/* The connector's event callback (ud is the relay). */
void pf_relay_event(void *ud, const struct pf_event *ev);
/*
 * Keep the relay's state in the journal at path (sealed under key), and
 * first replay it: holds stay held, decided posts are posted again unless
 * they arrived, messages never checked are checked again, and each room
 * is read back from the last message handled. Before pf_relay_start.
 */
int pf_relay_open_journal(struct pf_relay *r, const char *path,
                          const unsigned char key[32], char *err,
                          size_t errlen);
/*
 * Keep what becomes of every hold in the history at path (history.h),
 * sealed under key; records older than days are pruned. After
 * pf_relay_open_journal.
 */
int pf_relay_open_history(struct pf_relay *r, const char *path,
                          const unsigned char key[32], double days, char *err,
                          size_t errlen);
/*
 * The Prometheus text exposition of the relay's counters, gauges and
 * histograms, appended to out (metrics.h says what is in it).
 */
void pf_relay_metrics(struct pf_relay *r, struct pf_buf *out);
/* 1 when connected and caught up (healthy); why says it either way */
int pf_relay_health(struct pf_relay *r, char *why, size_t cap);
/*
 * A control socket request (see control.h) from the local user `user`
 * (the bot's owner, so a supervisor); returns the answer object.
 */
json_t *pf_relay_control(struct pf_relay *r, json_t *req, const char *user);
/* Join the rooms of every route and start the connector and timers. */
int pf_relay_start(struct pf_relay *r);
void pf_relay_stop(struct pf_relay *r);
void pf_relay_free(struct pf_relay *r);
/*
 * A chat connection wrote something (pf_loop_on_wrote(), with the relay
 * as ud): a relayed reply's post is on its way, so the journal's thread
 * is woken now to make the reply's records durable. Waking it before
 * would delay the post (journal.h); at the latest it is woken a
 * millisecond after the records were written.
 */
void pf_relay_wrote(void *relay);
const struct pf_relay_stats *pf_relay_stats(const struct pf_relay *r);

/*
 * The bot's own latency for messages relayed as they came (not held, not
 * caught up): from the arrival of the agent's frame to the relayed post
 * being queued for the socket, over the last 65,536 of them. Returns how
 * many there are; q in [0, 1] (0.5: the median), in nanoseconds.
 */
size_t pf_relay_latency(const struct pf_relay *r, double q, int64_t *ns);
/* The same, of one stage of it: reading (the frame parsed and the
   message dispatched), checking (the checks in the worker, while the
   message is journaled), journal (the verdict written; the journal's
   thread fdatasyncs it once the post is on its way) and posting (the
   post queued). */
enum pf_relay_stage {
    PF_LAT_READING,
    PF_LAT_CHECKING,
    PF_LAT_JOURNAL,
    PF_LAT_POSTING,
    PF_LAT_STAGES
};
extern const char *const pf_relay_stage_names[PF_LAT_STAGES];
size_t pf_relay_latency_of(const struct pf_relay *r, enum pf_relay_stage st,
                           double q, int64_t *ns);
/* what its journal wrote since it was opened (zeros without one) */
struct pf_journal_stats;
void pf_relay_journal_stats(const struct pf_relay *r,
                            struct pf_journal_stats *st);

#endif
