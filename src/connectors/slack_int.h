/*
 * slack_int.h - the Slack connector's state, shared by its files and by
 * nothing else: slack.c (the connection and the Web API), slack_events.c
 * (Socket Mode messages into events), slack_sync.c (posts exactly once,
 * reading back) and slack_interact.c (buttons and forms). Not for the rest of
 * pokerface: slack.h is the interface.
 */
#ifndef PF_SLACK_INT_H
#define PF_SLACK_INT_H

#include "connectors/slack.h"
#include "connectors/http.h"

#define SEEN_MAX 512
#define EVENTS_MAX 256
#define PAGE 200
#define LOOK_PAGES 10        /* pages searched for a post's key */
#define READ_PAGES 50        /* pages read back per room and connection */
#define THREADS_MAX 32       /* threads per room whose replies are read back */
#define FOLLOW_MAX 128       /* threads the relay follows, until a catch-up */
#define CALL_TRIES 5         /* reads tried again on 5xx or no answer */
#define MAX_POST_RUNES 40000 /* Slack truncates text after 40,000 chars */
#define METHODS_MAX 24
#define EVENT_TYPE "pokerface_post"
#define TRIGGERS_MAX 128 /* interactions remembered, to handle each once */

enum { S_DOWN, S_BOOT, S_OPEN, S_HELLO, S_SYNC, S_READY };

struct user {
    char *id;
    char *name; /* NULL while users.info is asked */
};

struct room {
    char *name;    /* as joined: an id or a name */
    char *id;      /* channel id, once known */
    char *last_ts; /* resume point: every message up to it was reported */
    long long last_us;
    int catching;   /* a read-back is under way (or its first answer) */
    int stale;      /* the last read-back was not whole: nothing moves
                       last_ts until one is */
    int partial;    /* this read-back is not whole */
    unsigned gen;   /* counts read-backs: answers to older ones are
                       ignored */
    size_t pending; /* calls of this read-back still out */
    size_t pages;
    json_t *got;                /* messages read back so far (owned) */
    json_t *reading;            /* thread_ts read back this time: once */
    char *threads[THREADS_MAX]; /* recent thread_ts, a ring */
    size_t thread_at;
    char **members;
    size_t n_members;
};

struct post {
    struct post *next;
    char *room; /* NULL: a direct message */
    char *channel, *thread_ts, *thread, *text, *key;
    int again; /* maybe sent before: look first */
    int inflight;
    long long not_before_us;
    long long first_wall_us; /* when it was first tried; 0: before a
                                restart (unknown) */
    unsigned tries, gen, look_pages;
    char *cursor; /* of the search for it */
};

struct call;
struct slack;
typedef void (*call_cb)(struct slack *s, struct call *q,
                        const struct pf_http_resp *r, json_t *o);

/* one Web API request, kept until its answer (or destroy) */
struct call {
    struct call *next;
    struct slack *s;
    int app; /* with the app-level token */
    char *method, *verb, *path, *body;
    call_cb cb;
    int reads; /* a read: tried again on 5xx or no answer */
    unsigned tries;
    lws_sorted_usec_list_t sul;
    /* what the answer is about */
    size_t room;
    unsigned gen;
    char *user;
    int booting;
};

/* a click or a submission, while its PF_EV_CHOICE is handled */
struct interaction {
    int active;
    int form;         /* a view_submission: answered in its ack */
    char handle[128]; /* its trigger_id (or view id) */
    char user[32], channel[32], thread_ts[32];
    json_t *response; /* the ack's payload (a form's answer), owned */
};

struct method_limit {
    char name[40];
    long long until_us;
};

struct slack {
    struct pf_connector base;
    struct lws_context *ctx;
    struct pf_ws *ws;
    struct pf_http *http, *app_http;
    char *api_url;
    int state, stopped, link_disabled;
    int rmin, rmax, ping_s, post_timeout_ms, hello_timeout_ms;
    unsigned conn_tries, boot_tries;
    lws_sorted_usec_list_t boot_sul, post_sul, hello_sul, timeout_sul;
    char me[32], bot[32];
    char *my_name;
    struct room *rooms;
    size_t n_rooms;
    struct user *users;
    size_t n_users;
    size_t boot_pending;
    struct post *posts;
    struct call *calls;
    char *seen[SEEN_MAX];
    size_t seen_at;
    char *events[EVENTS_MAX];
    size_t events_at;
    struct method_limit limits[METHODS_MAX];
    unsigned n_direct, acks;
    char last_ack[128];
    size_t max_frame;
    int was_ready;
    struct interaction act;
    char *triggers[TRIGGERS_MAX];
    size_t triggers_at;
    char *follow[FOLLOW_MAX]; /* thread ids (CHANNEL/TS) from the relay,
                                 into their rooms' rings at the next
                                 catch-up (a room's id is known then) */
    size_t follow_at;
};

/*
 * The functions one file owns and the others call, by owner (each is
 * documented where it is defined). slack.c: small helpers, Web API calls
 * (pf_slack_api makes one, pf_slack_call_go sends it once its method is
 * not rate limited), members, and pf_slack_ready (SYNC over: READY).
 */

int pf_slack_is_user(const char *s);
int pf_slack_is_channel(const char *s);
void pf_slack_emit(struct slack *s, struct pf_event *ev);
struct room *pf_slack_room_by_name(struct slack *s, const char *name);
struct room *pf_slack_room_by_channel(struct slack *s, const char *id);
char *pf_slack_msg_id(const char *channel, const char *ts);
const char *pf_slack_id_ts(const char *id, const char *channel);
char *pf_slack_unescape(const char *t);
char *pf_slack_escape(const char *t);
char *pf_slack_url_escape(const char *t);
int pf_slack_ring_seen(char **ring, size_t n, size_t *at, const char *key);
long long pf_slack_backoff_us(struct slack *s, unsigned tries);
const char *pf_slack_user_name(struct slack *s, const char *id);
long long pf_slack_limited_until(struct slack *s, const char *method);
void pf_slack_call_free(struct call *q);
void pf_slack_call_go(struct call *q);
struct call *pf_slack_api(struct slack *s, const char *method,
                          const char *query, char *body, call_cb cb);
struct call *pf_slack_api_json(struct slack *s, const char *method, json_t *o,
                               call_cb cb);
const char *pf_slack_why(const struct pf_http_resp *r, const json_t *o,
                         char *buf, size_t len);
int pf_slack_ok(const struct pf_http_resp *r, const json_t *o);
void pf_slack_remove_member(struct slack *s, struct room *r, const char *id);
void pf_slack_joined(struct slack *s, size_t i, const char *user, int booting);
void pf_slack_ready(struct slack *s);

/* slack_events.c: a message, live or read back, into events */

void pf_slack_events_handle_message(struct slack *s, const char *channel,
                                    const json_t *m, const char *channel_type,
                                    int catchup, long long rx_ns);

/* acknowledge an envelope (payload, borrowed, may be NULL) */
void pf_slack_events_ack(struct slack *s, const char *envelope_id,
                         const json_t *payload);

/* slack_interact.c: buttons and forms (the ops offer, edit_form, answer) */

void pf_slack_interact_feed(struct slack *s, const char *env_id,
                            const json_t *payload, long long rx_ns);
int pf_slack_interact_offer(struct pf_connector *c, const struct pf_offer *o);
int pf_slack_interact_edit_form(struct pf_connector *c, const char *handle,
                                const struct pf_form *f);
void pf_slack_interact_answer(struct pf_connector *c, const char *handle,
                              const char *text, int done);
void pf_slack_interact_release(struct slack *s);

/* slack_sync.c: posts, resume points, reading back */

void pf_slack_sync_post_free(struct post *p);
void pf_slack_sync_on_posted(struct slack *s, struct call *q,
                             const struct pf_http_resp *r, json_t *o);
void pf_slack_sync_timeout_cb(lws_sorted_usec_list_t *sul);
void pf_slack_sync_flush_posts(struct slack *s);
int pf_slack_sync_advance(struct room *r, const char *ts, int catchup);
void pf_slack_sync_emit_cursor(struct slack *s, struct room *r);
void pf_slack_sync_note_thread(struct room *r, const char *thread_ts);
void pf_slack_sync_follow(struct slack *s, const char *thread);
void pf_slack_sync_catch_up(struct slack *s);

#endif
