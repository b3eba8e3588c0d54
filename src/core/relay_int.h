/*
 * relay_int.h - the relay's state and what its files share; only the
 * relay's own files include it (everyone else: relay.h).
 *
 * The relay is one module in several files, each with one job:
 *
 *   relay.c     its life: new, start, stop, free; routes; figures
 *   dispatch.c  an event from the connector: which room, which kind,
 *               handled once; mirroring customers' messages
 *   outgoing.c  an agent's reply: checked, then relayed or held (notice)
 *   check.c     what the engine is asked (check, observe, learn) and
 *               what its findings say
 *   decide.c    who is who, who may decide, and the decisions: send,
 *               edit, drop, expire
 *   commands.c  what people ask: chat commands and the control socket
 *   recovery.c  what the relay writes in the journal and how it comes
 *               back after a restart: replay, compaction, pending posts
 *   metrics.c   what it counts for /metrics, and what /healthz says
 *   threads.c   which internal thread answers which customer thread
 *   post.c      every post the relay makes, and what it relayed
 *   texts*.c    the words it says to people, one table per language
 *
 * Invariants (all files):
 *  - a message is relayed to a customer only after the engine checked it
 *    and policy said pass or note, or after a person decided to send it;
 *    a message that cannot be checked is held;
 *  - every message is handled once: ids already seen are skipped, so a
 *    live message that also comes back in a catch-up is not relayed twice;
 *  - every post has an idempotency key derived from what caused it, so a
 *    post repeated after a reconnect is still one post;
 *  - notices and replies go to the internal room or to a user directly,
 *    never to a customer room.
 * Log lines: one per event that matters (relayed, held, decided, expired,
 * mirrored at debug); never the text of a held message.
 */
#ifndef PF_RELAY_INT_H
#define PF_RELAY_INT_H

#include <jansson.h>
#include <stdint.h>

#include "base/idset.h"
#include "base/util.h"
#include "core/display.h"
#include "core/holds.h"
#include "core/jrec.h"
#include "core/metrics.h"
#include "core/people.h"
#include "core/relay.h"
#include "core/texts.h"
#include "rules/pipeline.h"

#define CONTEXT_MSGS 5
#define SEEN_MAX 4096
#define LAT_MAX 65536
#define RELAYED_MAX 1024
#define RECENT_MAX 1024
#define THREADS_MAX 1024
#define THREAD_WAIT_MAX 256

/* a message relayed to a customer, kept so that it can be deleted */
struct pf_relayed {
    char *src_id, *src_alt; /* the author's message in the internal room */
    char *author_id, *author_name, *route;
    char *key;       /* our post's idempotency key */
    char *posted_id; /* its id in the customer room, once known */
    int delete_wanted;
    enum pf_ui_lang lang; /* tell its author in this language */
};

struct pf_route {
    const struct pf_route_conf *conf;
    struct pf_people team;   /* who is in the internal room */
    struct pf_people cust;   /* who is in the customer room */
    char *ctx[CONTEXT_MSGS]; /* the customer's recent messages, oldest first */
    size_t n_ctx;
    /* the last message handled in each room (0: customer, 1: internal):
       after a restart the connector reads back what came after it */
    char *cursor[2];
};

/* a post to a customer that was decided (journaled) and not yet seen to
   arrive; after a restart it is posted again under the same key */
struct pf_pending {
    char *key, *room, *text;
    char *thread;  /* the customer thread it goes in, or "" */
    char *in;      /* the internal thread it answers, or "" */
    uint64_t jseq; /* the record that decided it */
};

/* an internal thread and the customer thread it answers (threads.c) */
struct pf_thread_pair {
    char *in, *cust;
};

/* a post that will start a thread: its partner is known, its own id
   comes with PF_EV_POSTED (one of in, cust is NULL) */
struct pf_thread_wait {
    char *key, *in, *cust;
};

/* an outgoing message the journal received but never saw checked */
struct pf_unchecked {
    char *route, *msg_id, *alt_id, *author_id, *author_name, *text, *thread;
    int64_t ts_ms;
    unsigned tries;
    uint64_t jseq; /* its last RECEIVED record (compaction keeps it) */
};

/* what /metrics shows besides pf_relay_stats (metrics.c) */
struct pf_relay_metrics {
    struct pf_counter held_by_label;          /* label */
    struct pf_counter decisions;              /* kind, by (author, supervisor,
                                                 terminal) */
    struct pf_histogram latency;              /* pf_relay_note_latency */
    struct pf_histogram stage[PF_LAT_STAGES]; /* and its stages */
    struct pf_histogram *plugin;              /* per instance, by index */
    size_t n_plugin;
};

struct pf_relay {
    const struct pf_config *cfg;
    struct pf_engine *engine;
    struct lws_context *ctx;
    struct pf_connector *conn;
    struct pf_route *routes;
    size_t n_routes;
    struct pf_holds holds;
    struct pf_idset seen; /* message ids already handled */
    /* accounts seen in a customer room that are neither supervisors nor
       members of that route's internal room: customers */
    struct pf_idset customers;
    lws_sorted_usec_list_t tick;
    unsigned seq;
    int running;
    struct pf_relay_stats stats;
    /* ring of latencies in ns (capped at 4 s): the whole, then each
       stage */
    uint32_t (*lat)[1 + PF_LAT_STAGES];
    size_t n_lat, lat_pos;
    struct pf_relayed *relayed; /* ring of the last RELAYED_MAX */
    size_t n_relayed, relayed_pos;
    struct pf_journal *journal; /* NULL: nothing survives a restart */
    /* records that license nothing wait for the end of this turn of the
       loop (or the next record that does), then go in one write */
    lws_sorted_usec_list_t jflush;
    /* a reply's records wait for its post to go out before the journal's
       thread syncs them (pf_relay_wrote(); jkick at the latest) */
    lws_sorted_usec_list_t jkick;
    int sync_due;
    struct pf_history *history; /* NULL: decisions are not kept */
    struct pf_relay_metrics metrics;
    int connected; /* the connector said "connected" last, not
                      "disconnected" */
    struct pf_pending *pend;
    size_t n_pend, cap_pend;
    struct pf_unchecked *unch; /* from replay, until checked again */
    size_t n_unch, cap_unch;
    uint64_t keep_seq;   /* compaction: records from here on are kept */
    struct pf_jrec jrec; /* replay: the record being read */
    uint64_t compacted_size;
    int64_t started_ms;
    int recheck_done;
    /* ids of the last messages handled, kept through compaction: those
       handled while a room was being read back are newer than its cursor */
    char *recent[RECENT_MAX];
    size_t recent_pos;
    struct pf_thread_pair threads[THREADS_MAX]; /* a ring */
    size_t thread_pos;
    struct pf_thread_wait twait[THREAD_WAIT_MAX]; /* a ring */
    size_t twait_pos;
    /* a decision from the control socket: its event, and the answer */
    const struct pf_event *ctl_ev;
    struct pf_buf ctl_answer;
    const char *ctl_via; /* "terminal" (NULL) or "web": where it came from */
    struct pf_ledger *ledger; /* the history as the page shows it (with
                                 "web" configured), else NULL */
    struct pf_webapp *webapp; /* the review page, or NULL */
};

/*
 * What the customer reads besides the reply itself: the author's name and
 * the words of relay_format around the reply. The rendered line goes
 * through the pipeline, and what it finds there counts: findings that
 * point at the name or the format's words (or say that the check itself
 * failed). What it finds in the reply is the reply check's: that one sees
 * the reply as written, because a name in front of a reply changes what
 * the plugins make of its first words (measured on the corpus: recall
 * fell from 1.000 to 0.974 and from 0.900 to 0.867 when every reply was
 * checked as "aino: reply" only).
 */
struct pf_frame_verdict {
    int action; /* PF_ACT_PASS: nothing found in the frame */
    int failed; /* the check itself failed (why says how): the message is
                   held unchecked, and not checked a second time */
    struct pf_buf why, words, details;
    struct pf_buf labels; /* comma-separated */
};

/* the id an event goes by: its backend id, else its alternative one */
static inline const char *
pf_event_id(const struct pf_event *ev)
{
    return ev->msg_id && ev->msg_id[0] ? ev->msg_id : ev->alt_id;
}

/* ---- relay.c ---- */

/* the route room belongs to (*internal: 1 for its internal room), or
   NULL */
struct pf_route *pf_relay_route_by_room(struct pf_relay *r, const char *room,
                                        int *internal);
struct pf_route *pf_relay_route_by_name(struct pf_relay *r, const char *name);
/* a reply relayed as it came: when its frame arrived (at[0]), and when
   each stage (pf_relay_stage) of it ended (at[1..]) */
void pf_relay_note_latency(struct pf_relay *r,
                           const int64_t at[1 + PF_LAT_STAGES]);

/* ---- dispatch.c: pf_relay_event() (relay.h) ---- */

/* ---- outgoing.c ---- */

/*
 * A new outgoing message: check it, then relay it or hold it. tries > 0:
 * the journal had it unchecked after a restart (checking it may be what
 * stopped the bot: after three tries it is held unchecked).
 */
void pf_outgoing_handle(struct pf_relay *r, struct pf_route *rt,
                        const struct pf_event *ev, const char *text,
                        unsigned tries);
/* the notice of a hold (again: after an edit; after_restart: posted
   again under the same key, unless it arrived before the restart) */
void pf_outgoing_notice(struct pf_relay *r, struct pf_route *rt,
                        struct pf_hold *h, int again, int after_restart);
/* a new hold h: into the history and the metrics */
void pf_outgoing_kept(struct pf_relay *r, const struct pf_hold *h);
/* a reply of bytes that cannot reach the customer for its size (limit:
   what the bot reads, when it never got to read it; else 0) */
void pf_outgoing_too_long(struct pf_relay *r, struct pf_route *rt,
                          const struct pf_event *ev, size_t bytes,
                          size_t limit);

/* ---- check.c ---- */

/* a reply's checks, started together (pf_check_begin): the line the
   customer would read around it, and the reply itself */
struct pf_reply_check {
    char *line;                   /* NULL: the line is nothing but the reply */
    struct pf_display_span sp[8]; /* where the reply is in it */
    size_t n_sp;
};

/* start the checks of text as ev's author's reply on rt (name: as the
   customer would see it): the line around it (pf_check_frame) and the
   reply (pf_check_text, with the same text). They run while the caller
   does other work, and are answered in one round trip. pf_check_end()
   after. */
void pf_check_begin(struct pf_relay *r, struct pf_route *rt,
                    const struct pf_event *ev, const char *name,
                    const char *text, struct pf_reply_check *c);
void pf_check_end(struct pf_reply_check *c);
/* check text as ev's author's reply on rt; the result lives until the
   engine's next check */
int pf_check_text(struct pf_relay *r, struct pf_route *rt,
                  const struct pf_event *ev, const char *text,
                  struct pf_result *res, char *err, size_t errlen);
/* the line the customer would read around the reply (c, from
   pf_check_begin); run before the reply's own check. Release fv after. */
void pf_check_frame(struct pf_relay *r, struct pf_route *rt,
                    const struct pf_event *ev, const struct pf_reply_check *c,
                    struct pf_frame_verdict *fv);
void pf_check_frame_release(struct pf_frame_verdict *fv);
/* what the findings say, for the notice, and every detail for !why */
void pf_check_describe(const struct pf_result *res, struct pf_hold *h);
/* a hold's reasons, with what was found around the reply added */
void pf_check_describe_frame(struct pf_hold *h,
                             const struct pf_frame_verdict *fv);
/* text prepared (its language, for the answer in the chat), or NULL */
const struct pf_msg *pf_check_prepare(struct pf_relay *r, struct pf_route *rt,
                                      const char *text, const char *author_id,
                                      const char *author_name,
                                      const char *msg_id, int64_t ts_ms,
                                      uint32_t flags);
/* show the plugins a message that is not checked (their observe()) */
void pf_check_observe(struct pf_relay *r, struct pf_route *rt,
                      const struct pf_event *ev, uint32_t flags);
/* tell the plugins what became of a hold (their learn()) */
void pf_check_learn(struct pf_relay *r, struct pf_route *rt, struct pf_hold *h,
                    int kind, const char *by, const char *new_text);

/* ---- decide.c ---- */

int pf_decide_is_supervisor(struct pf_relay *r, const char *id);
/* a customer (seen in a customer room, not a member of rt's internal
   room, not a supervisor) */
int pf_decide_is_customer(struct pf_relay *r, struct pf_route *rt,
                          const char *id);
/* on rt's team: a supervisor, or in its internal room and no customer */
int pf_decide_is_team(struct pf_relay *r, struct pf_route *rt, const char *id);
/* on the team of some route (a command in a direct message) */
int pf_decide_team_anywhere(struct pf_relay *r, const char *id);
/* may who decide about h (send: send it as it is)? says why not into why */
int pf_decide_may(struct pf_relay *r, const struct pf_hold *h, int send,
                  const char *who, const char *who_name, char *why, size_t cap);
/* ev's author is known by no address: said in the room; 1 when refused */
int pf_decide_refuse_anonymous(struct pf_relay *r, struct pf_route *rt,
                               const struct pf_event *ev);
/* the decisions about h, by ev's author; each journaled before it acts */
void pf_decide_send(struct pf_relay *r, struct pf_route *rt, struct pf_hold *h,
                    const struct pf_event *ev);
void pf_decide_drop(struct pf_relay *r, struct pf_route *rt, struct pf_hold *h,
                    const struct pf_event *ev);
void pf_decide_edit(struct pf_relay *r, struct pf_route *rt, struct pf_hold *h,
                    const struct pf_event *ev, const char *text);
/* every 250 ms while running: holds past their time expire */
void pf_decide_tick_cb(lws_sorted_usec_list_t *sul);

/* ---- commands.c (and pf_relay_control(), relay.h) ---- */

/* may ev's author give commands here? 0: they were told there are none
   for them */
int pf_commands_may(struct pf_relay *r, struct pf_route *rt,
                    const struct pf_event *ev);
/* cmdline (after the command prefix) from ev, in rt's internal room or
   (rt NULL) a direct message */
void pf_commands_run(struct pf_relay *r, struct pf_route *rt,
                     const struct pf_event *ev, const char *cmdline);
/* a choice made with the chat's controls (PF_EV_CHOICE): checked as the
   command it stands for, then decided */
void pf_commands_choice(struct pf_relay *r, const struct pf_event *ev);
/*
 * A decision (cmd: send, edit with text, drop) about h on rt by who
 * (name), taken outside the chat: via NULL on the terminal, "web" on the
 * review page. The caller has checked that who may take it. Its answers
 * go into the result, {ok, state: "sent"|"dropped"|"held"|"unchanged",
 * message}, and a line in the room tells the team.
 */
json_t *pf_commands_decide_as(struct pf_relay *r, struct pf_route *rt,
                              struct pf_hold *h, const char *cmd,
                              const char *text, const char *who,
                              const char *name, const char *via);

/* ---- recovery.c (and pf_relay_open_journal(), relay.h) ---- */

/* append a record (o is stolen; sync: fsync first); logs a failure */
int pf_recovery_write(struct pf_relay *r, int type, json_t *o, int sync,
                      uint64_t *seq);
/* the records of an outgoing message's life */
int pf_recovery_received(struct pf_relay *r, struct pf_route *rt,
                         const struct pf_event *ev, const char *text,
                         unsigned tries);
/* a reply that passed, with the post it makes (observed: the action it
   would have had in a trial, or NULL); written at once and made durable
   once the post is on its way (PF_JOURNAL_SOON, pf_relay_wrote()) */
int pf_recovery_verdict(struct pf_relay *r, const char *id, const char *action,
                        const char *observed, const char *room,
                        const char *thread, const char *in, const char *text,
                        const char *key, uint64_t *seq);
int pf_recovery_held(struct pf_relay *r, struct pf_hold *h, const char *msg_id);
/* a decision; post (may be NULL) is stolen */
int pf_recovery_decision(struct pf_relay *r, const struct pf_hold *h,
                         const char *kind, const char *by, const char *by_name,
                         const char *text, json_t *post, uint64_t *seq);
/* the journal could not take a record: the author is told */
void pf_recovery_failed(struct pf_relay *r, struct pf_route *rt,
                        const char *author_id, const char *author_name,
                        const char *lang);
/* a post to a customer as a record holds it; a hold as records and the
   control socket show it (full: with its text and details) */
json_t *pf_recovery_post_json(const char *room, const char *thread,
                              const char *in, const char *text,
                              const char *key);
json_t *pf_recovery_hold_json(const struct pf_hold *h, int full);
/* a decided post, pending until it is seen to arrive */
void pf_recovery_pend_add(struct pf_relay *r, const char *key, const char *room,
                          const char *thread, const char *in, const char *text,
                          uint64_t jseq);
/* the pending post with this key is done; 1 if there was one */
int pf_recovery_pend_done(struct pf_relay *r, const char *key);
void pf_recovery_pend_clear(struct pf_pending *p);
void pf_recovery_unch_clear(struct pf_unchecked *u);
/* msg_id was handled: never again, even after a restart */
void pf_recovery_handled(struct pf_relay *r, const char *msg_id);
/* ev was handled: its room's resume point moves, where it may */
void pf_recovery_note_cursor(struct pf_relay *r, const struct pf_event *ev);
/* messages the journal had received but not seen checked: again now */
void pf_recovery_recheck(struct pf_relay *r);
/* compact the journal when it has grown enough since the last time */
void pf_recovery_maybe_compact(struct pf_relay *r);

/* ---- metrics.c (and pf_relay_metrics(), pf_relay_health(), relay.h) ---- */

/* a check's per-plugin times into the histograms */
void pf_relay_metrics_plugins(struct pf_relay *r, const struct pf_result *res);

/* ---- threads.c ---- */

/* the customer thread that internal thread in answers, or "" */
const char *pf_threads_cust(const struct pf_relay *r, const char *in);
/* the internal thread that answers customer thread cust, or "" */
const char *pf_threads_in(const struct pf_relay *r, const char *cust);
/* in and cust are partners (journal: remember it across restarts) */
void pf_threads_pair(struct pf_relay *r, const char *in, const char *cust,
                     int journal);
/* the post with key starts the partner thread of in (or of cust) */
void pf_threads_await(struct pf_relay *r, const char *key, const char *in,
                      const char *cust);
/* our post with key arrived as msg_id: a thread it started is paired */
void pf_threads_posted(struct pf_relay *r, const char *key, const char *msg_id);
/* the internal thread an event is in: its root, or itself as a root */
const char *pf_threads_of(const struct pf_relay *r, const struct pf_event *ev);

/* ---- post.c ---- */

/* "{name}: {text}" in fmt */
char *pf_post_format(const char *fmt, const char *name, const char *text);
/* a new idempotency key for a post of this kind */
char *pf_post_key(struct pf_relay *r, const char *kind);
/* can this user be written to privately? */
int pf_post_addressable(const struct pf_relay *r, const char *user_id);
/* does line fit in a post to rt's customer? */
int pf_post_fits_customer(struct pf_relay *r, struct pf_route *rt,
                          const char *line);
/* a post in an internal room, shortened to fit (again: post_again) */
void pf_post_internal(struct pf_relay *r, const char *room, const char *thread,
                      const char *text, const char *key, int again);
/* privately where the user has an address (and direct_ok), else a line
   in rt's internal room that names them */
void pf_post_tell(struct pf_relay *r, struct pf_route *rt, const char *user_id,
                  const char *user_name, int direct_ok, const char *text);
/* the answer to ev where it was asked (in thread, unless ev has one) */
void pf_post_reply_in(struct pf_relay *r, struct pf_route *rt,
                      const struct pf_event *ev, const char *thread,
                      const char *text);
void pf_post_reply(struct pf_relay *r, struct pf_route *rt,
                   const struct pf_event *ev, const char *text);
/* a reply to the customer, remembered with where it came from; again:
   it may have gone out before (looked for under its key first) */
void pf_post_customer(struct pf_relay *r, struct pf_route *rt,
                      const char *author_id, const char *author_name,
                      const char *src_id, const char *src_alt, const char *in,
                      const char *thread, const char *lang, const char *line,
                      const char *key, int again);
/* the relayed message that came from the author's message id, or NULL */
struct pf_relayed *pf_post_relayed_by_source(struct pf_relay *r,
                                             const char *id);
void pf_post_relayed_clear(struct pf_relayed *x);

#endif
