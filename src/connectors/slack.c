/*
 * slack.c - see slack.h.
 *
 * States:
 *
 *   DOWN    not started, or waiting to try again
 *   BOOT    Web API: auth.test (who am I), the rooms' channel ids
 *           (conversations.list for names, conversations.info), their
 *           members (conversations.members, users.info for names)
 *   OPEN    apps.connections.open: a new single-use socket URL
 *   HELLO   the socket is connecting; waiting for "hello"
 *   SYNC    reading back what each room said since its resume point
 *           (conversations.history, conversations.replies for threads)
 *   READY   events flow; queued posts go out, one at a time, in order
 *
 * Invariants:
 *  - every Socket Mode message is parsed on its own; bad JSON, unknown
 *    envelope or event types and missing fields are logged and skipped,
 *    the connection stays up; every envelope that names an envelope_id is
 *    acknowledged at once, before it is handled, whatever it holds (even
 *    one too big to read, when its id is in its start);
 *  - an event_id seen before (Slack retries an envelope it thinks was not
 *    acknowledged, with retry_attempt) is handled once; a message (channel,
 *    ts) both seen live and read back is reported once;
 *  - a room's resume point (last_ts) moves only over messages reported in
 *    order: read back (all pages, then oldest first, since Slack pages
 *    newest first), or live once the room is caught up. A live message
 *    that arrives during a read-back is reported but does not move it;
 *  - the socket is never reconnected to the same URL: every connection
 *    starts with apps.connections.open; "link_disabled" stops reconnecting;
 *  - a post keeps its key in its metadata; one whose outcome is unknown
 *    is looked for (conversations.history or .replies with
 *    include_all_metadata) before it is sent again;
 *  - HTTP 429 (and "ratelimited") is waited out for as long as
 *    Retry-After says, per Web API method: other methods go on.
 */
#include "connectors/slack.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/http.h"
#include "connectors/mattermost.h" /* the emoji names are the same */
#include "connectors/ws.h"
#include "base/json.h"
#include "base/log.h"
#include "base/util.h"
#include "pokerface/plugin.h"

#define SEEN_MAX 512
#define EVENTS_MAX 256
#define PAGE 200
#define LOOK_PAGES 10        /* pages searched for a post's key */
#define READ_PAGES 50        /* pages read back per room and connection */
#define THREADS_MAX 32       /* threads per room whose replies are read back */
#define CALL_TRIES 5         /* reads tried again on 5xx or no answer */
#define MAX_POST_RUNES 40000 /* Slack truncates text after 40,000 chars */
#define METHODS_MAX 24
#define EVENT_TYPE "pokerface_post"

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
};

static void boot(struct slack *s);
static void flush_posts(struct slack *s);
static void catch_up(struct slack *s);
static void open_socket(struct slack *s);

/* ---- small helpers ---- */

long long
pf_slack_ts_us(const char *ts)
{
    long long sec = 0, frac = 0;
    int nd = 0, nf = 0;
    const char *p = ts;
    if (!p)
        return -1;
    for (; *p >= '0' && *p <= '9'; p++, nd++) {
        if (nd >= 12)
            return -1;
        sec = sec * 10 + (*p - '0');
    }
    if (nd == 0)
        return -1;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++, nf++) {
            if (nf >= 6)
                return -1;
            frac = frac * 10 + (*p - '0');
        }
        for (int k = nf; k < 6; k++)
            frac *= 10;
    }
    if (*p)
        return -1;
    return sec * 1000000 + frac;
}

static int
is_id(const char *s, const char *first)
{
    size_t n = strlen(s);
    if (n < 3 || n > 24 || !strchr(first, s[0]))
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return 0;
    return 1;
}

static int
is_user(const char *s)
{
    return is_id(s, "UW");
}

static int
is_channel(const char *s)
{
    return is_id(s, "CGD");
}

static void
emit(struct slack *s, struct pf_event *ev)
{
    if (!ev->thread)
        ev->thread = "";
    if (!ev->author_id)
        ev->author_id = "";
    if (!ev->author_name)
        ev->author_name = "";
    if (!ev->text)
        ev->text = "";
    if (!ev->msg_id)
        ev->msg_id = "";
    if (!ev->alt_id)
        ev->alt_id = "";
    if (!ev->ref_id)
        ev->ref_id = "";
    if (!ev->key)
        ev->key = "";
    s->base.cb(s->base.ud, ev);
}

static void
emit_state(struct slack *s, const char *state)
{
    struct pf_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = PF_EV_STATE;
    ev.text = state;
    emit(s, &ev);
}

static struct room *
room_by_name(struct slack *s, const char *name)
{
    for (size_t i = 0; i < s->n_rooms; i++)
        if (strcmp(s->rooms[i].name, name) == 0)
            return &s->rooms[i];
    return NULL;
}

static struct room *
room_by_channel(struct slack *s, const char *id)
{
    for (size_t i = 0; i < s->n_rooms; i++)
        if (s->rooms[i].id && strcmp(s->rooms[i].id, id) == 0)
            return &s->rooms[i];
    return NULL;
}

/* "CHANNEL/TS" */
static char *
msg_id(const char *channel, const char *ts)
{
    return pf_xasprintf("%s/%s", channel, ts);
}

/* the ts of an id the relay gives back: "CHANNEL/TS" or a bare ts; NULL
   when it is neither, or of another channel */
static const char *
id_ts(const char *id, const char *channel)
{
    const char *slash = strchr(id, '/');
    if (!slash)
        return pf_slack_ts_us(id) >= 0 ? id : NULL;
    if (channel && (strncmp(id, channel, (size_t)(slash - id)) != 0 ||
                    channel[slash - id] != '\0'))
        return NULL;
    return pf_slack_ts_us(slash + 1) >= 0 ? slash + 1 : NULL;
}

/* Slack escapes &, < and > in message text (and only those) */
static char *
unescape(const char *t)
{
    struct pf_buf b;
    pf_buf_init(&b);
    while (*t) {
        if (strncmp(t, "&amp;", 5) == 0) {
            pf_buf_addch(&b, '&');
            t += 5;
        } else if (strncmp(t, "&lt;", 4) == 0) {
            pf_buf_addch(&b, '<');
            t += 4;
        } else if (strncmp(t, "&gt;", 4) == 0) {
            pf_buf_addch(&b, '>');
            t += 4;
        } else {
            pf_buf_addch(&b, *t++);
        }
    }
    pf_buf_addch(&b, '\0');
    return pf_buf_detach(&b, NULL);
}

static char *
escape(const char *t)
{
    struct pf_buf b;
    pf_buf_init(&b);
    for (; *t; t++) {
        if (*t == '&')
            pf_buf_addstr(&b, "&amp;");
        else if (*t == '<')
            pf_buf_addstr(&b, "&lt;");
        else if (*t == '>')
            pf_buf_addstr(&b, "&gt;");
        else
            pf_buf_addch(&b, *t);
    }
    pf_buf_addch(&b, '\0');
    return pf_buf_detach(&b, NULL);
}

static char *
url_escape(const char *t)
{
    struct pf_buf b;
    pf_buf_init(&b);
    for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("-_.~", *p))
            pf_buf_addch(&b, (char)*p);
        else
            pf_buf_addf(&b, "%%%02X", *p);
    }
    pf_buf_addch(&b, '\0');
    return pf_buf_detach(&b, NULL);
}

/* 1 if key was seen before in ring (of n entries); remembers it */
static int
ring_seen(char **ring, size_t n, size_t *at, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (ring[i] && strcmp(ring[i], key) == 0)
            return 1;
    free(ring[*at]);
    ring[*at] = pf_xstrdup(key);
    *at = (*at + 1) % n;
    return 0;
}

static long long
backoff_us(struct slack *s, unsigned tries)
{
    unsigned shift = tries < 16 ? tries : 16;
    long long ms = (long long)s->rmin << shift;
    if (ms > s->rmax)
        ms = s->rmax;
    return ms * 1000;
}

static const char *
user_name(struct slack *s, const char *id)
{
    for (size_t i = 0; i < s->n_users; i++)
        if (strcmp(s->users[i].id, id) == 0)
            return s->users[i].name;
    return NULL;
}

static struct user *
user_slot(struct slack *s, const char *id)
{
    for (size_t i = 0; i < s->n_users; i++)
        if (strcmp(s->users[i].id, id) == 0)
            return &s->users[i];
    s->users = pf_xrealloc(s->users, (s->n_users + 1) * sizeof(*s->users));
    struct user *u = &s->users[s->n_users++];
    u->id = pf_xstrdup(id);
    u->name = NULL;
    return u;
}

/* ---- Web API calls ---- */

static struct method_limit *
limit_of(struct slack *s, const char *method)
{
    struct method_limit *free_slot = NULL;
    for (size_t i = 0; i < METHODS_MAX; i++) {
        if (strcmp(s->limits[i].name, method) == 0)
            return &s->limits[i];
        if (!s->limits[i].name[0] && !free_slot)
            free_slot = &s->limits[i];
    }
    if (free_slot)
        pf_snprintf(free_slot->name, sizeof(free_slot->name), "%s", method);
    return free_slot;
}

/* until when method is rate limited (0: it is not) */
static long long
limited_until(struct slack *s, const char *method)
{
    struct method_limit *l = limit_of(s, method);
    return l && l->until_us > pf_now_us() ? l->until_us : 0;
}

static void
call_free(struct call *q)
{
    struct slack *s = q->s;
    for (struct call **pp = &s->calls; *pp; pp = &(*pp)->next)
        if (*pp == q) {
            *pp = q->next;
            break;
        }
    lws_sul_cancel(&q->sul);
    pf_http_cancel(q->app ? s->app_http : s->http, q);
    free(q->method);
    free(q->verb);
    free(q->path);
    free(q->body);
    free(q->user);
    free(q);
}

static void call_go(struct call *q);

static void
call_sul_cb(lws_sorted_usec_list_t *sul)
{
    call_go(lws_container_of(sul, struct call, sul));
}

static void
call_later(struct call *q, long long us)
{
    lws_sul_schedule(q->s->ctx, 0, &q->sul, call_sul_cb, us > 0 ? us : 1);
}

static void on_posted(struct slack *s, struct call *q,
                      const struct pf_http_resp *r, json_t *o);
static void timeout_cb(lws_sorted_usec_list_t *sul);

static void
on_http(void *ud, const struct pf_http_resp *r)
{
    struct call *q = ud;
    struct slack *s = q->s;
    json_t *o = r->status ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    int limited =
        r->status == 429 || strcmp(pf_json_str(o, "error"), "ratelimited") == 0;
    if (limited) {
        long long ms = r->retry_ms >= 0 ? r->retry_ms : 1000;
        struct method_limit *l = limit_of(s, q->method);
        if (l)
            l->until_us = pf_now_us() + ms * 1000;
        pf_warn("slack: rate limited on %s (HTTP %d); waiting %.1f s",
                q->method, r->status, (double)ms / 1000.0);
        json_decref(o);
        /* nothing was done: the same request again, once allowed (a post
           waiting for it is not one whose answer is missing) */
        if (q->cb == on_posted)
            lws_sul_schedule(s->ctx, 0, &s->timeout_sul, timeout_cb,
                             (ms + s->post_timeout_ms) * 1000);
        call_later(q, ms * 1000);
        return;
    }
    if (q->reads && (r->status == 0 || r->status >= 500) &&
        ++q->tries < CALL_TRIES) {
        pf_warn("slack: %s: %s; trying again", q->method,
                r->status ? "server error" : (r->error ? r->error : "failed"));
        json_decref(o);
        call_later(q, backoff_us(s, q->tries));
        return;
    }
    q->cb(s, q, r, o);
    json_decref(o);
    call_free(q);
}

static void
call_go(struct call *q)
{
    struct slack *s = q->s;
    long long until = limited_until(s, q->method);
    if (until) {
        call_later(q, until - pf_now_us());
        return;
    }
    if (pf_http_request(q->app ? s->app_http : s->http, q->verb, q->path,
                        q->body, on_http, q) != 0)
        call_later(q, backoff_us(s, ++q->tries));
}

/*
 * Call a Web API method: GET with a query (reads) or POST with a JSON
 * body (writes; the body is taken over). cb gets the answer once, unless
 * the connector is destroyed first.
 */
static struct call *
api(struct slack *s, const char *method, const char *query, char *body,
    call_cb cb)
{
    struct call *q = pf_xcalloc(1, sizeof(*q));
    q->s = s;
    q->method = pf_xstrdup(method);
    q->verb = pf_xstrdup(body ? "POST" : "GET");
    q->path = pf_xasprintf("/%s%s%s", method, query && *query ? "?" : "",
                           query ? query : "");
    q->body = body;
    q->cb = cb;
    q->reads = body == NULL;
    q->next = s->calls;
    s->calls = q;
    return q;
}

static struct call *
api_json(struct slack *s, const char *method, json_t *o, call_cb cb)
{
    char *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return api(s, method, NULL, body, cb);
}

/* why a call failed, for a log line: "HTTP 500", "channel_not_found" */
static const char *
why(const struct pf_http_resp *r, const json_t *o, char *buf, size_t len)
{
    if (r->status == 0)
        return r->error ? r->error : "no answer";
    if (r->status != 200 || !o) {
        pf_snprintf(buf, len, "HTTP %d", r->status);
        return buf;
    }
    const char *e = pf_json_str(o, "error");
    return *e ? e : "not ok";
}

static int
ok(const struct pf_http_resp *r, const json_t *o)
{
    return r->status == 200 && json_is_true(json_object_get(o, "ok"));
}

/* ---- members and names ---- */

static void
add_member(struct slack *s, struct room *r, const char *id)
{
    for (size_t i = 0; i < r->n_members; i++)
        if (strcmp(r->members[i], id) == 0)
            return;
    r->members =
        pf_xrealloc(r->members, (r->n_members + 1) * sizeof(*r->members));
    r->members[r->n_members++] = pf_xstrdup(id);
    const char *name = user_name(s, id);
    struct pf_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = PF_EV_JOIN;
    ev.room = r->name;
    ev.author_id = id;
    ev.author_name = name ? name : id;
    ev.own = strcmp(id, s->me) == 0;
    ev.member = 1; /* a channel's members are its member list */
    emit(s, &ev);
}

static void
remove_member(struct slack *s, struct room *r, const char *id)
{
    for (size_t i = 0; i < r->n_members; i++) {
        if (strcmp(r->members[i], id) != 0)
            continue;
        const char *name = user_name(s, id);
        struct pf_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = PF_EV_LEAVE;
        ev.room = r->name;
        ev.author_id = id;
        ev.author_name = name ? name : id;
        emit(s, &ev);
        free(r->members[i]);
        r->members[i] = r->members[--r->n_members];
        return;
    }
}

static void boot_step_done(struct slack *s);

static void
on_user(struct slack *s, struct call *q, const struct pf_http_resp *r,
        json_t *o)
{
    json_t *u = json_object_get(o, "user");
    struct user *slot = user_slot(s, q->user);
    char buf[32];
    if (!ok(r, o) || !json_is_object(u)) {
        pf_warn("slack: users.info %s: %s", q->user, why(r, o, buf, 32));
        if (!slot->name)
            slot->name = pf_xstrdup(q->user);
    } else {
        json_t *prof = json_object_get(u, "profile");
        const char *n = pf_json_str(prof, "display_name");
        if (!*n)
            n = pf_json_str(prof, "real_name");
        if (!*n)
            n = pf_json_str(u, "real_name");
        if (!*n)
            n = pf_json_str(u, "name");
        free(slot->name);
        slot->name = pf_xstrdup(*n ? n : q->user);
    }
    /* a member whose name was awaited joins now */
    if (q->room < s->n_rooms && s->rooms[q->room].id)
        add_member(s, &s->rooms[q->room], q->user);
    if (q->booting)
        boot_step_done(s);
}

/* user joined room i: reported once the name is known */
static void
joined(struct slack *s, size_t i, const char *user, int booting)
{
    struct room *r = &s->rooms[i];
    if (user_name(s, user) || !is_user(user)) {
        add_member(s, r, user);
        return;
    }
    user_slot(s, user);
    for (struct call *c = s->calls; c; c = c->next)
        if (c->cb == on_user && c->room == i && !strcmp(c->user, user))
            return; /* asked already */
    char *query = pf_xasprintf("user=%s", user);
    struct call *q = api(s, "users.info", query, NULL, on_user);
    free(query);
    q->user = pf_xstrdup(user);
    q->room = i;
    q->booting = booting;
    if (booting)
        s->boot_pending++;
    call_go(q);
}

/* ---- posts confirmed or refused ---- */

static void
post_free(struct post *p)
{
    free(p->room);
    free(p->channel);
    free(p->thread_ts);
    free(p->thread);
    free(p->text);
    free(p->key);
    free(p->cursor);
    free(p);
}

static void
post_unlink(struct slack *s, struct post *p)
{
    for (struct post **pp = &s->posts; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
}

/* our post p arrived as ts (NULL: it is given up, not posted) */
static void
post_done(struct slack *s, struct post *p, const char *ts, const char *error)
{
    post_unlink(s, p);
    lws_sul_cancel(&s->timeout_sul);
    if (p->room && p->key && (ts || error)) {
        char *id = ts ? msg_id(p->channel, ts) : NULL;
        struct pf_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = ts ? PF_EV_POSTED : PF_EV_FAILED;
        ev.room = p->room;
        ev.thread = ts ? p->thread : "";
        ev.author_id = s->me;
        ev.author_name = s->my_name;
        ev.text = ts ? p->text : error;
        ev.msg_id = id;
        ev.key = p->key;
        ev.own = 1;
        emit(s, &ev);
        free(id);
    }
    post_free(p);
}

static void
post_later(struct slack *s, struct post *p, long long us)
{
    lws_sul_cancel(&s->timeout_sul);
    p->inflight = 0;
    p->gen++; /* an answer still on its way is not this try's */
    p->tries++;
    p->not_before_us = pf_now_us() + us;
    flush_posts(s);
}

/* Slack's errors that no retry mends: the post is given up (and said so) */
static int
permanent(const char *e)
{
    static const char *const list[] = {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "restricted_action",
        "cannot_reply_to_message",
        "invalid_blocks",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "duplicate_channel_not_found",
        "user_not_found",
        "user_not_visible",
        "channel_type_not_supported",
        "messages_tab_disabled",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "invalid_arguments",
        "invalid_arg_name",
        "invalid_charset",
        "as_user_not_supported",
        "missing_scope",
        "not_allowed_token_type"};
    for (size_t i = 0; i < PF_ARRAY_LEN(list); i++)
        if (strcmp(e, list[i]) == 0)
            return 1;
    return 0;
}

static struct post *
post_of(struct slack *s, struct call *q)
{
    struct post *p = s->posts;
    return p && p->inflight && p->gen == q->gen ? p : NULL;
}

static void
on_posted(struct slack *s, struct call *q, const struct pf_http_resp *r,
          json_t *o)
{
    struct post *p = post_of(s, q);
    char buf[32];
    if (!p)
        return; /* given up waiting: its outcome is looked for */
    if (ok(r, o)) {
        const char *ts = pf_json_str(o, "ts");
        if (pf_slack_ts_us(ts) < 0) {
            pf_warn("slack: chat.postMessage answered without a ts; "
                    "looking for the post before trying again");
            p->again = 1;
            post_later(s, p, backoff_us(s, p->tries));
            return;
        }
        post_done(s, p, ts, NULL);
        flush_posts(s);
        return;
    }
    const char *e = why(r, o, buf, sizeof(buf));
    if (r->status == 200 && p->thread_ts &&
        (!strcmp(e, "thread_not_found") || !strcmp(e, "invalid_thread_ts"))) {
        /* the thread's first message is gone: the reply is not lost, it
           goes in the channel instead */
        pf_warn("slack: the thread %s in %s is gone (%s); posting outside it",
                p->thread_ts, p->room ? p->room : "a direct message", e);
        free(p->thread_ts);
        p->thread_ts = NULL;
        free(p->thread);
        p->thread = pf_xstrdup("");
        post_later(s, p, 0);
        return;
    }
    if (r->status == 200 && permanent(e)) {
        pf_err("slack: a post in %s was refused (%s) and is not sent",
               p->room ? p->room : "a direct message", e);
        post_done(s, p, NULL, e);
        flush_posts(s);
        return;
    }
    /* no answer, a 5xx, an answer that is not JSON: it may have arrived.
       A token problem: logged loudly, and tried again (it may be mended
       and the bot restarted; the post is not given up on its account) */
    if (r->status == 200)
        pf_err("slack: chat.postMessage in %s: %s; trying again",
               p->room ? p->room : "a direct message", e);
    else
        pf_warn("slack: chat.postMessage in %s: %s; looking for it before "
                "trying again",
                p->room ? p->room : "a direct message", e);
    if (r->status != 200 || !o)
        p->again = 1;
    post_later(s, p, backoff_us(s, p->tries));
}

static void
timeout_cb(lws_sorted_usec_list_t *sul)
{
    struct slack *s = lws_container_of(sul, struct slack, timeout_sul);
    struct post *p = s->posts;
    if (!p || !p->inflight)
        return;
    pf_warn("slack: no answer about a post in %s after %.1f s; its outcome is "
            "unknown, so it is looked for before it is sent again",
            p->room ? p->room : "a direct message",
            (double)s->post_timeout_ms / 1000.0);
    for (struct call *q = s->calls; q; q = q->next)
        if (q->cb == on_posted && q->gen == p->gen) {
            call_free(q);
            break;
        }
    p->again = 1;
    post_later(s, p, backoff_us(s, p->tries));
}

static void
send_post(struct slack *s, struct post *p)
{
    char *text = escape(p->text);
    json_t *o = json_pack("{s:s, s:s, s:b, s:b}", "channel", p->channel, "text",
                          text, "unfurl_links", 0, "unfurl_media", 0);
    free(text);
    if (p->thread_ts)
        json_object_set_new(o, "thread_ts", json_string(p->thread_ts));
    if (p->key)
        json_object_set_new(o, "metadata",
                            json_pack("{s:s, s:{s:s}}", "event_type",
                                      EVENT_TYPE, "event_payload", "key",
                                      p->key));
    if (!p->first_wall_us)
        p->first_wall_us = pf_wall_us();
    p->inflight = 1;
    struct call *q = api_json(s, "chat.postMessage", o, on_posted);
    q->gen = p->gen;
    lws_sul_schedule(s->ctx, 0, &s->timeout_sul, timeout_cb,
                     (lws_usec_t)s->post_timeout_ms * 1000);
    call_go(q);
}

const char *
pf_slack_find_key(const json_t *page, const char *key, const char *me,
                  const char *bot)
{
    json_t *list = json_object_get(page, "messages");
    size_t i;
    json_t *m;
    json_array_foreach (list, i, m) {
        json_t *md = json_object_get(m, "metadata");
        const char *user = pf_json_str(m, "user");
        const char *bot_id = pf_json_str(m, "bot_id");
        int mine = (*me && strcmp(user, me) == 0) ||
                   (*bot && strcmp(bot_id, bot) == 0);
        if (mine && strcmp(pf_json_str(md, "event_type"), EVENT_TYPE) == 0 &&
            strcmp(pf_json_str(json_object_get(md, "event_payload"), "key"),
                   key) == 0 &&
            pf_slack_ts_us(pf_json_str(m, "ts")) >= 0)
            return pf_json_str(m, "ts");
    }
    return NULL;
}

static void look_for(struct slack *s, struct post *p);

static void
on_looked(struct slack *s, struct call *q, const struct pf_http_resp *r,
          json_t *o)
{
    struct post *p = post_of(s, q);
    char buf[32];
    if (!p)
        return;
    if (!ok(r, o)) {
        const char *e = why(r, o, buf, sizeof(buf));
        if (r->status == 200 && permanent(e)) {
            pf_err("slack: looking for a post in %s: %s; it is not sent",
                   p->room ? p->room : "a direct message", e);
            post_done(s, p, NULL, e);
            flush_posts(s);
            return;
        }
        pf_warn("slack: looking for a post sent before: %s; trying again", e);
        post_later(s, p, backoff_us(s, p->tries));
        return;
    }
    const char *ts = pf_slack_find_key(o, p->key, s->me, s->bot);
    if (ts) {
        pf_info("slack: post %s had arrived before; not sent again", p->key);
        post_done(s, p, ts, NULL);
        flush_posts(s);
        return;
    }
    const char *next =
        pf_json_str(json_object_get(o, "response_metadata"), "next_cursor");
    if (json_is_true(json_object_get(o, "has_more")) && *next &&
        ++p->look_pages < LOOK_PAGES) {
        free(p->cursor);
        p->cursor = pf_xstrdup(next);
        look_for(s, p);
        return;
    }
    free(p->cursor);
    p->cursor = NULL;
    p->look_pages = 0;
    p->again = 0;
    send_post(s, p);
}

/* the room's (or thread's) messages since the post was first tried,
   searched for its key */
static void
look_for(struct slack *s, struct post *p)
{
    struct pf_buf b;
    pf_buf_init(&b);
    pf_buf_addf(&b, "channel=%s&limit=%d&include_all_metadata=true", p->channel,
                PAGE);
    if (p->thread_ts)
        pf_buf_addf(&b, "&ts=%s", p->thread_ts);
    if (p->first_wall_us) {
        /* a minute of slack for the clocks */
        long long sec = p->first_wall_us / 1000000 - 60;
        pf_buf_addf(&b, "&oldest=%lld.000000", sec > 0 ? sec : 0);
    }
    if (p->cursor) {
        char *c = url_escape(p->cursor);
        pf_buf_addf(&b, "&cursor=%s", c);
        free(c);
    }
    pf_buf_addch(&b, '\0');
    p->inflight = 1;
    struct call *q =
        api(s, p->thread_ts ? "conversations.replies" : "conversations.history",
            b.data, NULL, on_looked);
    pf_buf_release(&b);
    q->gen = p->gen;
    call_go(q);
}

static void
post_timer_cb(lws_sorted_usec_list_t *sul)
{
    struct slack *s = lws_container_of(sul, struct slack, post_sul);
    flush_posts(s);
}

static void
flush_posts(struct slack *s)
{
    struct post *p = s->posts;
    if (!p || p->inflight || s->state != S_READY)
        return;
    long long now = pf_now_us();
    long long until = limited_until(s, "chat.postMessage");
    if (until < p->not_before_us)
        until = p->not_before_us;
    if (until > now) {
        lws_sul_schedule(s->ctx, 0, &s->post_sul, post_timer_cb, until - now);
        return;
    }
    if (!p->channel && p->room) {
        struct room *r = room_by_name(s, p->room);
        if (r && r->id)
            p->channel = pf_xstrdup(r->id);
    }
    if (!p->channel) {
        pf_err("slack: no channel for a post in %s; not sent",
               p->room ? p->room : "?");
        post_done(s, p, NULL, "channel_not_found");
        flush_posts(s);
        return;
    }
    if (p->again)
        look_for(s, p);
    else
        send_post(s, p);
}

/* ---- events ---- */

/*
 * A new message at ts in r, read back (catchup) or live: is it the room's
 * resume point now? Read back, the messages come in order; live, only
 * when nothing older is still being read back.
 */
static int
advance(struct room *r, const char *ts, int catchup)
{
    long long us = pf_slack_ts_us(ts);
    if (!r || us < 0 || r->stale || (!catchup && r->catching) ||
        (r->last_ts && us <= r->last_us))
        return 0;
    free(r->last_ts);
    r->last_ts = pf_xstrdup(ts);
    r->last_us = us;
    return 1;
}

static void
emit_cursor(struct slack *s, struct room *r)
{
    char *id = msg_id(r->id, r->last_ts);
    struct pf_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = PF_EV_CURSOR;
    ev.room = r->name;
    ev.msg_id = id;
    ev.in_order = 1;
    emit(s, &ev);
    free(id);
}

static void
note_thread(struct room *r, const char *thread_ts)
{
    if (!r || pf_slack_ts_us(thread_ts) < 0)
        return;
    for (size_t i = 0; i < THREADS_MAX; i++)
        if (r->threads[i] && strcmp(r->threads[i], thread_ts) == 0)
            return;
    free(r->threads[r->thread_at]);
    r->threads[r->thread_at] = pf_xstrdup(thread_ts);
    r->thread_at = (r->thread_at + 1) % THREADS_MAX;
}

static int
is_own(struct slack *s, const json_t *m)
{
    const char *user = pf_json_str(m, "user");
    const char *bot = pf_json_str(m, "bot_id");
    return (s->me[0] && strcmp(user, s->me) == 0) ||
           (s->bot[0] && strcmp(bot, s->bot) == 0);
}

/* a message (live: its event; read back: the history's entry) */
static void
handle_message(struct slack *s, const char *channel, const json_t *m,
               const char *channel_type, int catchup, long long rx_ns)
{
    const char *subtype = pf_json_str(m, "subtype");
    const char *ts = pf_json_str(m, "ts");
    const char *user = pf_json_str(m, "user");
    const char *bot_id = pf_json_str(m, "bot_id");
    const char *thread_ts = pf_json_str(m, "thread_ts");
    if (pf_slack_ts_us(ts) < 0) {
        pf_warn("slack: a message without a ts; skipped");
        return;
    }
    struct room *r = room_by_channel(s, channel);
    int in_order = advance(r, ts, catchup);
    int direct = !r && (strcmp(channel_type, "im") == 0 ||
                        (channel[0] == 'D' && is_channel(channel)));
    if (!r && !direct)
        return; /* a channel we were not asked to be in */
    char *id = msg_id(channel, ts);
    int dup = ring_seen(s->seen, SEEN_MAX, &s->seen_at, id);
    if (*thread_ts && strcmp(thread_ts, ts) != 0)
        note_thread(r, thread_ts);
    if (json_integer_value(json_object_get(m, "reply_count")) > 0)
        note_thread(r, ts);
    if (r &&
        (!strcmp(subtype, "channel_join") || !strcmp(subtype, "group_join"))) {
        if (*user && !dup)
            joined(s, (size_t)(r - s->rooms), user, 0);
    } else if (r && (!strcmp(subtype, "channel_leave") ||
                     !strcmp(subtype, "group_leave"))) {
        if (*user && !dup)
            remove_member(s, r, user);
    } else if (!dup && !is_own(s, m) &&
               (!*subtype || !strcmp(subtype, "thread_broadcast") ||
                !strcmp(subtype, "bot_message") ||
                !strcmp(subtype, "file_share") ||
                !strcmp(subtype, "me_message")) &&
               !json_is_true(json_object_get(m, "hidden"))) {
        /* a bot without a user is named by its bot_id, as stable */
        const char *author = *user ? user : bot_id;
        if (!*author) {
            pf_warn("slack: a message in %s without user or bot_id; skipped",
                    channel);
        } else {
            const char *name = user_name(s, author);
            if (!name && !*user)
                name = pf_json_str(m, "username");
            if (!name || !*name) {
                name = author;
                if (*user && r)
                    joined(s, (size_t)(r - s->rooms), user, 0);
            }
            char *text = unescape(pf_json_str(m, "text"));
            char *thread = *thread_ts && strcmp(thread_ts, ts) != 0
                               ? msg_id(channel, thread_ts)
                               : pf_xstrdup("");
            struct pf_event ev;
            memset(&ev, 0, sizeof(ev));
            ev.type = PF_EV_MESSAGE;
            ev.room = r ? r->name : NULL;
            ev.thread = thread;
            ev.author_id = author;
            ev.author_name = name;
            ev.text = text;
            ev.msg_id = id;
            ev.ts_ms = pf_slack_ts_us(ts) / 1000;
            ev.rx_ns = rx_ns;
            ev.catchup = catchup;
            ev.in_order = in_order;
            emit(s, &ev);
            free(text);
            free(thread);
            free(id);
            return;
        }
    }
    /* not reported (ours, a duplicate, a join, a topic change): the
       resume point moves over it all the same */
    if (in_order)
        emit_cursor(s, r);
    free(id);
}

/* message_changed and message_deleted */
static void
handle_change(struct slack *s, const char *channel, const json_t *e,
              int deleted, long long rx_ns)
{
    const json_t *m =
        json_object_get(e, deleted ? "previous_message" : "message");
    const json_t *prev = json_object_get(e, "previous_message");
    const char *ts =
        deleted ? pf_json_str(e, "deleted_ts") : pf_json_str(m, "ts");
    if (!*ts)
        ts = pf_json_str(m, "ts");
    struct room *r = room_by_channel(s, channel);
    int direct = !r && channel[0] == 'D';
    if ((!r && !direct) || pf_slack_ts_us(ts) < 0)
        return;
    const char *user = pf_json_str(m, "user");
    if (!*user)
        user = pf_json_str(m, "bot_id");
    if (!deleted && prev &&
        strcmp(pf_json_str(prev, "text"), pf_json_str(m, "text")) == 0)
        return; /* a thread's reply count, an unfurl: not an edit */
    if (!*user || is_own(s, m))
        return;
    const char *thread_ts = pf_json_str(m, "thread_ts");
    char *id = msg_id(channel, ts);
    char *thread = *thread_ts && strcmp(thread_ts, ts) != 0
                       ? msg_id(channel, thread_ts)
                       : pf_xstrdup("");
    char *text = unescape(pf_json_str(m, "text"));
    const char *name = user_name(s, user);
    struct pf_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = deleted ? PF_EV_DELETE : PF_EV_EDIT;
    ev.room = r ? r->name : NULL;
    ev.thread = thread;
    ev.author_id = user;
    ev.author_name = name ? name : user;
    ev.text = deleted ? "" : text;
    ev.ref_id = id;
    ev.ts_ms = pf_slack_ts_us(pf_json_str(e, "event_ts")) / 1000;
    ev.rx_ns = rx_ns;
    emit(s, &ev);
    free(text);
    free(thread);
    free(id);
}

static void
handle_reaction(struct slack *s, const json_t *e, long long rx_ns)
{
    const json_t *item = json_object_get(e, "item");
    const char *user = pf_json_str(e, "user");
    const char *name = pf_json_str(e, "reaction");
    const char *channel = pf_json_str(item, "channel");
    const char *ts = pf_json_str(item, "ts");
    if (strcmp(pf_json_str(item, "type"), "message") != 0)
        return; /* on a file: nothing of ours */
    if (!*user || !*name || !*channel || pf_slack_ts_us(ts) < 0) {
        pf_warn("slack: a reaction without user, reaction or item; skipped");
        return;
    }
    struct room *r = room_by_channel(s, channel);
    if (!r && channel[0] != 'D')
        return;
    /* "+1::skin-tone-2" is a "+1" */
    char base[80];
    pf_snprintf(base, sizeof(base), "%s", name);
    char *colons = strstr(base, "::");
    if (colons)
        *colons = '\0';
    const char *u = pf_mm_emoji_char(base);
    char other[96];
    if (!u) {
        pf_snprintf(other, sizeof(other), ":%s:", base);
        u = other;
    }
    char *ref = msg_id(channel, ts);
    const char *who = user_name(s, user);
    struct pf_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = PF_EV_REACTION;
    ev.room = r ? r->name : NULL;
    ev.author_id = user;
    ev.author_name = who ? who : user;
    ev.text = u;
    ev.ref_id = ref;
    ev.ts_ms = pf_slack_ts_us(pf_json_str(e, "event_ts")) / 1000;
    ev.rx_ns = rx_ns;
    ev.own = strcmp(user, s->me) == 0;
    emit(s, &ev);
    free(ref);
}

static void
handle_event(struct slack *s, const json_t *e, long long rx_ns)
{
    const char *type = pf_json_str(e, "type");
    const char *channel = pf_json_str(e, "channel");
    if (strcmp(type, "message") == 0) {
        const char *sub = pf_json_str(e, "subtype");
        if (!*channel) {
            pf_warn("slack: a message event without a channel; skipped");
        } else if (strcmp(sub, "message_changed") == 0) {
            handle_change(s, channel, e, 0, rx_ns);
        } else if (strcmp(sub, "message_deleted") == 0) {
            handle_change(s, channel, e, 1, rx_ns);
        } else if (strcmp(sub, "message_replied") == 0) {
            /* the thread's first message changed: its reply follows */
        } else {
            handle_message(s, channel, e, pf_json_str(e, "channel_type"), 0,
                           rx_ns);
        }
    } else if (strcmp(type, "reaction_added") == 0) {
        handle_reaction(s, e, rx_ns);
    } else if (strcmp(type, "member_joined_channel") == 0 ||
               strcmp(type, "member_left_channel") == 0) {
        struct room *r = room_by_channel(s, channel);
        const char *user = pf_json_str(e, "user");
        if (!r || !*user)
            return;
        if (type[7] == 'j')
            joined(s, (size_t)(r - s->rooms), user, 0);
        else
            remove_member(s, r, user);
    } else {
        pf_debug("slack: ignoring event '%s'", *type ? type : "(no type)");
    }
}

static void
ack(struct slack *s, const char *envelope_id)
{
    s->acks++;
    pf_snprintf(s->last_ack, sizeof(s->last_ack), "%s", envelope_id);
    if (!s->ws || !pf_ws_is_open(s->ws))
        return;
    json_t *o = json_pack("{s:s}", "envelope_id", envelope_id);
    char *t = json_dumps(o, JSON_COMPACT);
    pf_ws_send(s->ws, t, strlen(t));
    free(t);
    json_decref(o);
}

static void ready(struct slack *s);

static void
hello(struct slack *s, const json_t *o)
{
    lws_sul_cancel(&s->hello_sul);
    s->conn_tries = 0;
    pf_info("slack: connected (%lld connection(s) of this app)",
            (long long)pf_json_int(o, "num_connections"));
    if (s->state == S_HELLO || s->state == S_OPEN) {
        s->state = S_SYNC;
        catch_up(s);
    }
}

static void
disconnect(struct slack *s, const json_t *o)
{
    const char *reason = pf_json_str(o, "reason");
    if (strcmp(reason, "link_disabled") == 0) {
        pf_err("slack: Socket Mode was turned off for the app "
               "(link_disabled); not reconnecting. Turn it on again in the "
               "app's settings and restart pokerface");
        s->link_disabled = 1;
        if (s->ws)
            pf_ws_stop(s->ws);
    } else if (strcmp(reason, "warning") == 0) {
        pf_info("slack: the server will refresh the connection soon");
    } else {
        /* refresh_requested, too_many_websockets, ...: a new URL; at
           once only when the server refreshes (backing off otherwise) */
        pf_info("slack: the server asks for a new connection (%s)",
                *reason ? reason : "no reason");
        if (strcmp(reason, "refresh_requested") == 0)
            s->conn_tries = 0;
        if (s->ws)
            pf_ws_drop(s->ws, "refresh requested");
    }
}

/*
 * The Socket Mode message, parsed: envelopes are acknowledged first,
 * then their payload is looked at.
 */
void
pf_slack_feed(struct pf_connector *c, const char *frame, size_t len)
{
    struct slack *s = (struct slack *)c;
    long long rx_ns = pf_now_ns();
    json_error_t e;
    if (len > s->max_frame) {
        pf_warn("slack: a message of %zu bytes, over the limit of %zu; "
                "skipped",
                len, s->max_frame);
        return;
    }
    json_t *o = json_loadb(frame, len, 0, &e);
    if (!json_is_object(o)) {
        pf_warn("slack: a Socket Mode message that is not a JSON object "
                "(%s); skipped",
                o ? "not an object" : e.text);
        json_decref(o);
        return;
    }
    const char *type = pf_json_str(o, "type");
    const char *env_id = pf_json_str(o, "envelope_id");
    if (*env_id)
        ack(s, env_id);
    json_t *payload = json_object_get(o, "payload");
    if (strcmp(type, "hello") == 0) {
        hello(s, o);
    } else if (strcmp(type, "disconnect") == 0) {
        disconnect(s, o);
    } else if (!*env_id) {
        pf_warn("slack: a '%s' message without an envelope_id; skipped",
                *type ? type : "(no type)");
    } else if (strcmp(type, "events_api") == 0) {
        const char *event_id = pf_json_str(payload, "event_id");
        json_t *ev = json_object_get(payload, "event");
        long long attempt = pf_json_int(o, "retry_attempt");
        if (attempt > 0)
            pf_info("slack: envelope %s sent again (attempt %lld, %s)", env_id,
                    attempt, pf_json_str(o, "retry_reason"));
        if (!json_is_object(ev)) {
            pf_warn("slack: an events_api envelope without an event; "
                    "skipped");
        } else if (*event_id &&
                   ring_seen(s->events, EVENTS_MAX, &s->events_at, event_id)) {
            pf_debug("slack: event %s seen before; skipped", event_id);
        } else {
            handle_event(s, ev, rx_ns);
        }
    } else if (strcmp(type, "interactive") == 0 ||
               strcmp(type, "slash_commands") == 0) {
        /* buttons and commands: acknowledged; not acted on yet */
        pf_info("slack: a '%s' envelope ('%s') acknowledged; pokerface does "
                "not act on it",
                type, pf_json_str(payload, "type"));
    } else {
        pf_warn("slack: an envelope of unknown type '%s' acknowledged and "
                "skipped",
                type);
    }
    json_decref(o);
}

/* the value of "key":"..." in what start of a JSON text there is */
static void
head_value(const char *head, size_t len, const char *key, char *out,
           size_t outlen)
{
    char pat[48];
    out[0] = '\0';
    int n = snprintf(pat, sizeof(pat), "\"%s\":\"", key);
    const char *end = head + len;
    for (const char *p = head; p + n <= end; p++) {
        if (memcmp(p, pat, (size_t)n) != 0)
            continue;
        p += n;
        size_t k = 0;
        while (p < end && *p != '"' && *p != '\\' && k + 1 < outlen)
            out[k++] = *p++;
        if (p < end && *p == '"')
            out[k] = '\0';
        else
            out[0] = '\0';
        return;
    }
}

void
pf_slack_feed_too_big(struct pf_connector *c, const char *head, size_t len,
                      size_t size)
{
    struct slack *s = (struct slack *)c;
    char env_id[128], channel[32], user[32], ts[32];
    head_value(head, len, "envelope_id", env_id, sizeof(env_id));
    head_value(head, len, "channel", channel, sizeof(channel));
    head_value(head, len, "user", user, sizeof(user));
    head_value(head, len, "ts", ts, sizeof(ts));
    /* acknowledged, or Slack would send it again and again */
    if (*env_id)
        ack(s, env_id);
    pf_warn("slack: a Socket Mode message of %zu bytes, over the limit of "
            "%zu, was dropped unread%s",
            size, s->max_frame, *env_id ? " (acknowledged)" : "");
    struct room *r = *channel ? room_by_channel(s, channel) : NULL;
    if ((!r && channel[0] != 'D') || !is_user(user) ||
        (s->me[0] && strcmp(user, s->me) == 0))
        return;
    char *id = pf_slack_ts_us(ts) >= 0 ? msg_id(channel, ts) : pf_xstrdup("");
    const char *name = user_name(s, user);
    struct pf_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = PF_EV_TOOBIG;
    ev.room = r ? r->name : NULL;
    ev.author_id = user;
    ev.author_name = name ? name : user;
    ev.msg_id = id;
    ev.bytes = size;
    ev.limit = s->max_frame;
    ev.ts_ms = pf_wall_us() / 1000;
    emit(s, &ev);
    free(id);
}

/* ---- the socket ---- */

static void
ws_message(void *ud, const char *data, size_t len)
{
    pf_slack_feed(ud, data, len);
}

static void
ws_too_big(void *ud, const char *head, size_t len, size_t size)
{
    pf_slack_feed_too_big(ud, head, len, size);
}

static void
hello_timeout_cb(lws_sorted_usec_list_t *sul)
{
    struct slack *s = lws_container_of(sul, struct slack, hello_sul);
    if (s->state == S_HELLO && s->ws) {
        pf_warn("slack: no hello %.1f s after connecting",
                (double)s->hello_timeout_ms / 1000.0);
        pf_ws_drop(s->ws, "no hello");
    }
}

static void
ws_open(void *ud)
{
    (void)ud; /* the server speaks first: hello */
}

static void
reconnect_cb(lws_sorted_usec_list_t *sul)
{
    struct slack *s = lws_container_of(sul, struct slack, boot_sul);
    open_socket(s);
}

static void
ws_closed(void *ud, const char *reason)
{
    struct slack *s = ud;
    int was = s->state;
    /* a Socket Mode URL is single-use: this connection is done, the next
       one starts with a new URL */
    pf_ws_stop(s->ws);
    lws_sul_cancel(&s->hello_sul);
    if (s->state >= S_OPEN)
        s->state = S_DOWN;
    for (size_t i = 0; i < s->n_rooms; i++) {
        /* a read-back under way is started again on the next hello */
        s->rooms[i].gen++;
        s->rooms[i].catching = 0;
        s->rooms[i].pending = 0;
        json_decref(s->rooms[i].got);
        s->rooms[i].got = NULL;
    }
    if (was == S_READY)
        emit_state(s, "disconnected");
    if (s->stopped || s->link_disabled)
        return;
    long long us = backoff_us(s, s->conn_tries++);
    pf_info("slack: the socket closed (%s); reconnecting in %.1f s",
            reason && *reason ? reason : "no reason", (double)us / 1e6);
    lws_sul_schedule(s->ctx, 0, &s->boot_sul, reconnect_cb, us);
}

static const struct pf_ws_ops ws_ops = {ws_open, ws_message, ws_closed,
                                        ws_too_big};

static void
connect_failed(struct slack *s)
{
    s->state = S_DOWN;
    long long us = backoff_us(s, s->conn_tries++);
    pf_info("slack: trying again in %.1f s", (double)us / 1e6);
    lws_sul_schedule(s->ctx, 0, &s->boot_sul, reconnect_cb, us);
}

static void
on_socket_url(struct slack *s, struct call *q, const struct pf_http_resp *r,
              json_t *o)
{
    char buf[32], err[256];
    (void)q;
    if (s->state != S_OPEN)
        return;
    const char *url = pf_json_str(o, "url");
    if (!ok(r, o) || !*url) {
        const char *e = why(r, o, buf, sizeof(buf));
        if (!strcmp(e, "invalid_auth") || !strcmp(e, "not_authed"))
            pf_err("slack: apps.connections.open refused the app-level "
                   "token (%s): it must be an xapp- token with "
                   "connections:write",
                   e);
        else
            pf_warn("slack: apps.connections.open: %s", e);
        connect_failed(s);
        return;
    }
    /* the last socket is closed, and this is not its callback */
    pf_ws_free(s->ws);
    s->ws = NULL;
    struct pf_ws_opts wo;
    memset(&wo, 0, sizeof(wo));
    wo.url = url;
    wo.name = "slack";
    wo.max_message = s->max_frame;
    wo.reconnect_min_ms = s->rmin;
    wo.reconnect_max_ms = s->rmax;
    wo.ping_s = s->ping_s;
    wo.no_origin = 1;
    s->ws = pf_ws_new(s->ctx, &wo, &ws_ops, s, err, sizeof(err));
    if (!s->ws) {
        pf_warn("slack: the socket URL from apps.connections.open: %s", err);
        connect_failed(s);
        return;
    }
    s->state = S_HELLO;
    lws_sul_schedule(s->ctx, 0, &s->hello_sul, hello_timeout_cb,
                     (lws_usec_t)s->hello_timeout_ms * 1000);
    pf_ws_start(s->ws);
}

static void
open_socket(struct slack *s)
{
    if (s->stopped || s->link_disabled)
        return;
    if (s->state == S_DOWN && !s->me[0]) {
        boot(s);
        return;
    }
    s->state = S_OPEN;
    struct call *q =
        api(s, "apps.connections.open", NULL, pf_xstrdup("{}"), on_socket_url);
    q->app = 1;
    call_go(q);
}

/* ---- reading back what was said while away ---- */

static void
ready(struct slack *s)
{
    if (s->state == S_READY)
        return;
    s->state = S_READY;
    pf_info("slack: ready: %zu channel(s)%s", s->n_rooms,
            s->was_ready ? ", caught up" : "");
    s->was_ready = 1;
    emit_state(s, "ready");
    flush_posts(s);
}

static void
catch_done(struct slack *s)
{
    if (s->state != S_SYNC)
        return;
    for (size_t i = 0; i < s->n_rooms; i++)
        if (s->rooms[i].catching)
            return;
    ready(s);
}

static int
by_ts(const void *a, const void *b)
{
    long long x = pf_slack_ts_us(pf_json_str(*(json_t *const *)a, "ts"));
    long long y = pf_slack_ts_us(pf_json_str(*(json_t *const *)b, "ts"));
    return x < y ? -1 : x > y;
}

/* everything read back: reported oldest first */
static void
room_caught_up(struct slack *s, struct room *r)
{
    size_t n = json_array_size(r->got), k = 0;
    json_t **list = pf_xcalloc(n + 1, sizeof(*list));
    for (size_t i = 0; i < n; i++)
        list[k++] = json_array_get(r->got, i);
    qsort(list, k, sizeof(*list), by_ts);
    json_t *got = r->got;
    r->got = NULL;
    /* a whole read-back: the resume point moves over it; one that is not
       is reported all the same, but the next one starts where it did */
    r->stale = r->partial;
    for (size_t i = 0; i < k; i++)
        handle_message(s, r->id, list[i], "", 1, 0);
    free(list);
    json_decref(got);
    r->catching = 0; /* live messages move last_ts again */
    catch_done(s);
}

static void read_room(struct slack *s, size_t i, const char *cursor);
static void read_thread(struct slack *s, size_t i, const char *thread_ts,
                        const char *cursor);

static void
room_call_done(struct slack *s, struct room *r)
{
    if (--r->pending == 0)
        room_caught_up(s, r);
}

static void
on_read(struct slack *s, struct call *q, const struct pf_http_resp *r,
        json_t *o)
{
    struct room *rm = q->room < s->n_rooms ? &s->rooms[q->room] : NULL;
    char buf[32];
    if (!rm || q->gen != rm->gen || !rm->catching)
        return; /* of a read-back a lost connection started */
    if (!ok(r, o)) {
        pf_warn("slack: %s: what was said in %s while away could not be "
                "read back (%s); the resume point stays, so the next "
                "connection reads it again",
                q->method, rm->name, why(r, o, buf, sizeof(buf)));
        rm->partial = 1;
        room_call_done(s, rm);
        return;
    }
    int replies = strcmp(q->method, "conversations.replies") == 0;
    size_t i;
    json_t *m;
    json_array_foreach (json_object_get(o, "messages"), i, m) {
        const char *ts = pf_json_str(m, "ts");
        long long us = pf_slack_ts_us(ts);
        /* the thread's first message comes with every page of replies;
           history with oldest= still holds it only when newer */
        if (us < 0 || (rm->last_ts && us <= rm->last_us))
            continue;
        if (replies && strcmp(ts, pf_json_str(m, "thread_ts")) == 0)
            continue;
        json_array_append(rm->got, m);
        if (!replies &&
            json_integer_value(json_object_get(m, "reply_count")) > 0)
            note_thread(rm, ts);
    }
    const char *next =
        pf_json_str(json_object_get(o, "response_metadata"), "next_cursor");
    if (json_is_true(json_object_get(o, "has_more")) && *next &&
        ++rm->pages < READ_PAGES) {
        if (replies)
            read_thread(s, q->room, q->user, next);
        else
            read_room(s, q->room, next);
    } else if (json_is_true(json_object_get(o, "has_more"))) {
        pf_warn("slack: %s: more than %d pages to read back; the newest "
                "are reported, and the next connection reads from the same "
                "resume point again",
                rm->name, READ_PAGES);
        rm->partial = 1;
    } else if (!replies) {
        /* the room is read; its threads' replies (which history leaves
           out) next */
        for (size_t t = 0; t < THREADS_MAX; t++)
            if (rm->threads[t])
                read_thread(s, q->room, rm->threads[t], NULL);
    }
    room_call_done(s, rm);
}

static void
read_room(struct slack *s, size_t i, const char *cursor)
{
    struct room *r = &s->rooms[i];
    struct pf_buf b;
    pf_buf_init(&b);
    pf_buf_addf(&b, "channel=%s&oldest=%s&limit=%d&include_all_metadata=true",
                r->id, r->last_ts, PAGE);
    if (cursor) {
        char *c = url_escape(cursor);
        pf_buf_addf(&b, "&cursor=%s", c);
        free(c);
    }
    pf_buf_addch(&b, '\0');
    struct call *q = api(s, "conversations.history", b.data, NULL, on_read);
    pf_buf_release(&b);
    q->room = i;
    q->gen = r->gen;
    r->pending++;
    call_go(q);
}

static void
read_thread(struct slack *s, size_t i, const char *thread_ts,
            const char *cursor)
{
    struct room *r = &s->rooms[i];
    struct pf_buf b;
    pf_buf_init(&b);
    pf_buf_addf(&b, "channel=%s&ts=%s&oldest=%s&limit=%d", r->id, thread_ts,
                r->last_ts, PAGE);
    if (cursor) {
        char *c = url_escape(cursor);
        pf_buf_addf(&b, "&cursor=%s", c);
        free(c);
    }
    pf_buf_addch(&b, '\0');
    struct call *q = api(s, "conversations.replies", b.data, NULL, on_read);
    pf_buf_release(&b);
    q->room = i;
    q->gen = r->gen;
    q->user = pf_xstrdup(thread_ts); /* the thread, for the next page */
    r->pending++;
    call_go(q);
}

/* a room without a resume point: its newest message becomes it */
static void
on_newest(struct slack *s, struct call *q, const struct pf_http_resp *r,
          json_t *o)
{
    struct room *rm = q->room < s->n_rooms ? &s->rooms[q->room] : NULL;
    char buf[32];
    if (!rm || q->gen != rm->gen || !rm->catching)
        return;
    if (!ok(r, o))
        pf_warn("slack: conversations.history of %s: %s", rm->name,
                why(r, o, buf, sizeof(buf)));
    const char *ts =
        pf_json_str(json_array_get(json_object_get(o, "messages"), 0), "ts");
    if (advance(rm, ts, 1))
        emit_cursor(s, rm);
    rm->catching = 0;
    catch_done(s);
}

static void
catch_up(struct slack *s)
{
    for (size_t i = 0; i < s->n_rooms; i++) {
        struct room *r = &s->rooms[i];
        r->gen++;
        r->pages = 0;
        r->pending = 0;
        r->partial = 0;
        json_decref(r->got);
        r->got = json_array();
        if (!r->id)
            continue;
        r->catching = 1;
        if (r->last_ts) {
            pf_info("slack: %s: reading back what was missed since %s", r->name,
                    r->last_ts);
            read_room(s, i, NULL);
        } else {
            char *query = pf_xasprintf("channel=%s&limit=1", r->id);
            struct call *q =
                api(s, "conversations.history", query, NULL, on_newest);
            free(query);
            q->room = i;
            q->gen = r->gen;
            call_go(q);
        }
    }
    catch_done(s);
}

/* ---- booting: who am I, which channels, who is in them ---- */

static void
boot_retry_cb(lws_sorted_usec_list_t *sul)
{
    struct slack *s = lws_container_of(sul, struct slack, boot_sul);
    boot(s);
}

static void
boot_failed(struct slack *s)
{
    long long us = backoff_us(s, s->boot_tries++);
    pf_info("slack: trying again in %.1f s", (double)us / 1e6);
    s->state = S_DOWN;
    s->boot_pending = 0;
    for (struct call *q = s->calls, *n; q; q = n) {
        n = q->next;
        if (q->booting)
            call_free(q); /* of the boot that failed */
    }
    lws_sul_schedule(s->ctx, 0, &s->boot_sul, boot_retry_cb, us);
}

static void
boot_step_done(struct slack *s)
{
    if (s->boot_pending == 0 || --s->boot_pending || s->state != S_BOOT)
        return;
    for (size_t i = 0; i < s->n_rooms; i++)
        if (!s->rooms[i].id) {
            boot_failed(s);
            return;
        }
    s->boot_tries = 0;
    open_socket(s);
}

static void
on_members(struct slack *s, struct call *q, const struct pf_http_resp *r,
           json_t *o)
{
    char buf[32];
    if (s->state == S_BOOT && q->room < s->n_rooms) {
        struct room *rm = &s->rooms[q->room];
        if (!ok(r, o)) {
            pf_warn("slack: conversations.members of %s: %s", rm->name,
                    why(r, o, buf, sizeof(buf)));
        } else {
            size_t i;
            json_t *u;
            json_array_foreach (json_object_get(o, "members"), i, u)
                if (json_is_string(u))
                    joined(s, q->room, json_string_value(u), 1);
            const char *next = pf_json_str(
                json_object_get(o, "response_metadata"), "next_cursor");
            if (*next) {
                char *c = url_escape(next);
                char *query = pf_xasprintf("channel=%s&limit=%d&cursor=%s",
                                           rm->id, PAGE, c);
                free(c);
                struct call *n =
                    api(s, "conversations.members", query, NULL, on_members);
                free(query);
                n->room = q->room;
                s->boot_pending++;
                n->booting = 1;
                call_go(n);
            }
        }
    }
    boot_step_done(s);
}

static void
on_info(struct slack *s, struct call *q, const struct pf_http_resp *r,
        json_t *o)
{
    char buf[32];
    if (s->state != S_BOOT || q->room >= s->n_rooms) {
        boot_step_done(s);
        return;
    }
    struct room *rm = &s->rooms[q->room];
    json_t *ch = json_object_get(o, "channel");
    if (!ok(r, o)) {
        pf_err("slack: channel %s: %s", rm->name, why(r, o, buf, sizeof(buf)));
        free(rm->id);
        rm->id = NULL; /* the boot is tried again */
    } else {
        if (!json_is_true(json_object_get(ch, "is_member")) &&
            !json_is_true(json_object_get(ch, "is_im")))
            pf_err("slack: the bot is not in #%s (%s); invite it there "
                   "(/invite @the-bot's-name)",
                   pf_json_str(ch, "name"), rm->id);
        char *query = pf_xasprintf("channel=%s&limit=%d", rm->id, PAGE);
        struct call *n =
            api(s, "conversations.members", query, NULL, on_members);
        free(query);
        n->room = q->room;
        s->boot_pending++;
        n->booting = 1;
        call_go(n);
    }
    boot_step_done(s);
}

static void
channel_info(struct slack *s, size_t i)
{
    char *query = pf_xasprintf("channel=%s", s->rooms[i].id);
    struct call *q = api(s, "conversations.info", query, NULL, on_info);
    free(query);
    q->room = i;
    s->boot_pending++;
    q->booting = 1;
    call_go(q);
}

static const char *
bare_name(const char *name)
{
    return name[0] == '#' ? name + 1 : name;
}

static void
on_list(struct slack *s, struct call *q, const struct pf_http_resp *r,
        json_t *o)
{
    char buf[32];
    (void)q;
    if (s->state != S_BOOT) {
        boot_step_done(s);
        return;
    }
    if (!ok(r, o)) {
        pf_err("slack: conversations.list: %s", why(r, o, buf, sizeof(buf)));
        boot_step_done(s);
        return;
    }
    size_t k;
    json_t *ch;
    json_array_foreach (json_object_get(o, "channels"), k, ch)
        for (size_t i = 0; i < s->n_rooms; i++) {
            struct room *rm = &s->rooms[i];
            if (!rm->id &&
                strcmp(bare_name(rm->name), pf_json_str(ch, "name")) == 0 &&
                is_channel(pf_json_str(ch, "id"))) {
                rm->id = pf_xstrdup(pf_json_str(ch, "id"));
                channel_info(s, i);
            }
        }
    const char *next =
        pf_json_str(json_object_get(o, "response_metadata"), "next_cursor");
    int missing = 0;
    for (size_t i = 0; i < s->n_rooms; i++)
        missing |= !s->rooms[i].id;
    if (missing && *next) {
        char *c = url_escape(next);
        char *query = pf_xasprintf("types=public_channel,private_channel&"
                                   "exclude_archived=true&limit=%d&cursor=%s",
                                   PAGE, c);
        free(c);
        struct call *n = api(s, "conversations.list", query, NULL, on_list);
        free(query);
        s->boot_pending++;
        n->booting = 1;
        call_go(n);
    } else if (missing) {
        for (size_t i = 0; i < s->n_rooms; i++)
            if (!s->rooms[i].id)
                pf_err("slack: no channel named #%s that the bot can see "
                       "(a private one needs the bot invited first)",
                       bare_name(s->rooms[i].name));
    }
    boot_step_done(s);
}

static void
find_rooms(struct slack *s)
{
    int names = 0;
    s->boot_pending++; /* until every request below is made */
    for (size_t i = 0; i < s->n_rooms; i++) {
        struct room *r = &s->rooms[i];
        if (!r->id && is_channel(r->name))
            r->id = pf_xstrdup(r->name);
        if (r->id)
            channel_info(s, i);
        else
            names = 1;
    }
    if (names) {
        char *query = pf_xasprintf("types=public_channel,private_channel&"
                                   "exclude_archived=true&limit=%d",
                                   PAGE);
        struct call *q = api(s, "conversations.list", query, NULL, on_list);
        free(query);
        s->boot_pending++;
        q->booting = 1;
        call_go(q);
    }
    boot_step_done(s);
}

static void
on_auth(struct slack *s, struct call *q, const struct pf_http_resp *r,
        json_t *o)
{
    char buf[32];
    (void)q;
    if (s->state != S_BOOT)
        return;
    const char *user = pf_json_str(o, "user_id");
    if (!ok(r, o) || !is_user(user)) {
        const char *e = why(r, o, buf, sizeof(buf));
        if (!strcmp(e, "invalid_auth") || !strcmp(e, "not_authed") ||
            !strcmp(e, "token_revoked") || !strcmp(e, "account_inactive"))
            pf_err("slack: auth.test refused the bot token (%s): it must "
                   "be the app's xoxb- Bot User OAuth Token",
                   e);
        else
            pf_warn("slack: auth.test: %s", e);
        boot_failed(s);
        return;
    }
    if (s->me[0] && strcmp(s->me, user) != 0)
        pf_warn("slack: the bot token now belongs to another user");
    pf_snprintf(s->me, sizeof(s->me), "%s", user);
    pf_snprintf(s->bot, sizeof(s->bot), "%s", pf_json_str(o, "bot_id"));
    free(s->my_name);
    s->my_name = pf_xstrdup(pf_json_str(o, "user"));
    pf_info("slack: logged in as @%s (%s%s%s) in %s", s->my_name, s->me,
            s->bot[0] ? ", bot " : "", s->bot, pf_json_str(o, "team"));
    find_rooms(s);
}

static void
boot(struct slack *s)
{
    if (s->stopped)
        return;
    s->state = S_BOOT;
    s->boot_pending = 0;
    call_go(api(s, "auth.test", NULL, NULL, on_auth));
}

/* ---- the connector ops ---- */

static int
op_start(struct pf_connector *c)
{
    struct slack *s = (struct slack *)c;
    s->stopped = 0;
    boot(s);
    return PF_OK;
}

static void
op_stop(struct pf_connector *c)
{
    struct slack *s = (struct slack *)c;
    s->stopped = 1;
    lws_sul_cancel(&s->boot_sul);
    lws_sul_cancel(&s->post_sul);
    lws_sul_cancel(&s->hello_sul);
    lws_sul_cancel(&s->timeout_sul);
    while (s->calls)
        call_free(s->calls);
    if (s->ws)
        pf_ws_stop(s->ws);
    s->state = S_DOWN;
}

static int
op_join(struct pf_connector *c, const char *room)
{
    struct slack *s = (struct slack *)c;
    if (room_by_name(s, room))
        return PF_OK;
    const char *n = bare_name(room);
    if (!*n || strlen(n) > 80)
        return PF_EINVAL;
    for (const char *p = n; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '/' || *p == '#')
            return PF_EINVAL;
    s->rooms = pf_xrealloc(s->rooms, (s->n_rooms + 1) * sizeof(*s->rooms));
    struct room *r = &s->rooms[s->n_rooms++];
    memset(r, 0, sizeof(*r));
    r->name = pf_xstrdup(room);
    if (s->state > S_BOOT) {
        /* joined while running: found on the next connection */
        pf_warn("slack: %s joined while running: read from the next "
                "connection on",
                room);
        if (is_channel(room))
            r->id = pf_xstrdup(room);
    }
    return PF_OK;
}

static size_t
escaped_runes(const char *text)
{
    size_t runes = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        runes += *p == '&'                  ? 5
                 : (*p == '<' || *p == '>') ? 4
                                            : (*p & 0xC0) != 0x80;
    return runes;
}

static int
op_fits(struct pf_connector *c, const char *to, const char *text)
{
    (void)c;
    (void)to;
    return escaped_runes(text) <= MAX_POST_RUNES;
}

static int
add_post(struct slack *s, const char *room, const char *to_user,
         const char *thread, const char *text, const char *key, int again)
{
    struct room *r = room ? room_by_name(s, room) : NULL;
    if ((room && !r) || !key || !*key)
        return PF_EINVAL;
    for (struct post *p = s->posts; p; p = p->next)
        if (p->key && strcmp(p->key, key) == 0)
            return PF_OK; /* queued already */
    struct post *p = pf_xcalloc(1, sizeof(*p));
    p->room = room ? pf_xstrdup(room) : NULL;
    p->channel = to_user ? pf_xstrdup(to_user) : NULL;
    p->thread = pf_xstrdup(thread ? thread : "");
    if (thread && *thread) {
        const char *ts = id_ts(thread, r ? r->id : NULL);
        if (ts)
            p->thread_ts = pf_xstrdup(ts);
        else
            pf_warn("slack: thread '%s' is not of %s; posting outside it",
                    thread, room ? room : "a direct message");
    }
    p->text = pf_xstrdup(text);
    p->key = pf_xstrdup(key);
    p->again = again;
    struct post **pp = &s->posts;
    while (*pp)
        pp = &(*pp)->next;
    *pp = p;
    flush_posts(s);
    return PF_OK;
}

static int
op_post(struct pf_connector *c, const char *room, const char *thread,
        const char *text, const char *key)
{
    if (!op_fits(c, room, text)) {
        pf_warn("slack: a post in %s is over %d characters; not sent", room,
                MAX_POST_RUNES);
        return PF_ETOOBIG;
    }
    return add_post((struct slack *)c, room, NULL, thread, text, key, 0);
}

static int
op_post_again(struct pf_connector *c, const char *room, const char *thread,
              const char *text, const char *key)
{
    if (!op_fits(c, room, text))
        return PF_ETOOBIG;
    return add_post((struct slack *)c, room, NULL, thread, text, key, 1);
}

/* a direct message: chat.postMessage to the user's id opens the app's
   conversation with them (no im:write needed) */
static int
op_direct(struct pf_connector *c, const char *user, const char *text)
{
    struct slack *s = (struct slack *)c;
    if (!is_user(user))
        return PF_EINVAL;
    if (!op_fits(c, user, text)) {
        pf_warn("slack: a direct message to %s is over %d characters; not "
                "sent",
                user, MAX_POST_RUNES);
        return PF_ETOOBIG;
    }
    char key[64];
    pf_snprintf(key, sizeof(key), "dm-%lld-%u",
                (long long)(pf_wall_us() / 1000), ++s->n_direct);
    return add_post(s, NULL, user, NULL, text, key, 0);
}

static void
on_fire(struct slack *s, struct call *q, const struct pf_http_resp *r,
        json_t *o)
{
    char buf[32];
    (void)s;
    if (!ok(r, o) && strcmp(pf_json_str(o, "error"), "already_reacted") != 0)
        pf_warn("slack: %s: %s", q->method, why(r, o, buf, sizeof(buf)));
}

/* room and msg_id to (channel, ts); 0 when they do not name a message */
static int
locate(struct slack *s, const char *room, const char *id, const char **channel,
       const char **ts)
{
    struct room *r = room ? room_by_name(s, room) : NULL;
    if (!r || !r->id)
        return 0;
    *channel = r->id;
    *ts = id_ts(id, r->id);
    return *ts != NULL;
}

static int
op_react(struct pf_connector *c, const char *room, const char *id,
         const char *emoji)
{
    struct slack *s = (struct slack *)c;
    const char *channel, *ts;
    if (!locate(s, room, id, &channel, &ts))
        return PF_EINVAL;
    const char *name = pf_mm_emoji_name(emoji);
    char buf[80];
    if (!name) {
        /* ":name:" passes through */
        size_t l = strlen(emoji);
        if (l < 3 || l >= sizeof(buf) || emoji[0] != ':' || emoji[l - 1] != ':')
            return PF_EINVAL;
        memcpy(buf, emoji + 1, l - 2);
        buf[l - 2] = '\0';
        name = buf;
    }
    call_go(api_json(s, "reactions.add",
                     json_pack("{s:s, s:s, s:s}", "channel", channel,
                               "timestamp", ts, "name", name),
                     on_fire));
    return PF_OK;
}

static int
op_del(struct pf_connector *c, const char *room, const char *id)
{
    struct slack *s = (struct slack *)c;
    const char *channel, *ts;
    if (!locate(s, room, id, &channel, &ts))
        return PF_EINVAL;
    call_go(api_json(s, "chat.delete",
                     json_pack("{s:s, s:s}", "channel", channel, "ts", ts),
                     on_fire));
    return PF_OK;
}

static int
op_ready(struct pf_connector *c)
{
    return ((struct slack *)c)->state == S_READY;
}

static void
op_resume_after(struct pf_connector *c, const char *room, const char *id)
{
    struct slack *s = (struct slack *)c;
    struct room *r = room_by_name(s, room);
    const char *ts = r ? id_ts(id, NULL) : NULL;
    if (!ts)
        return;
    free(r->last_ts);
    r->last_ts = pf_xstrdup(ts);
    r->last_us = pf_slack_ts_us(ts);
}

static int
op_addressable(struct pf_connector *c, const char *user_id)
{
    (void)c;
    return is_user(user_id);
}

static void
op_destroy(struct pf_connector *c)
{
    struct slack *s = (struct slack *)c;
    if (!s)
        return;
    lws_sul_cancel(&s->boot_sul);
    lws_sul_cancel(&s->post_sul);
    lws_sul_cancel(&s->hello_sul);
    lws_sul_cancel(&s->timeout_sul);
    pf_ws_free(s->ws);
    while (s->calls)
        call_free(s->calls);
    pf_http_free(s->http); /* no callback comes after this */
    pf_http_free(s->app_http);
    for (size_t i = 0; i < s->n_rooms; i++) {
        struct room *r = &s->rooms[i];
        for (size_t k = 0; k < r->n_members; k++)
            free(r->members[k]);
        free(r->members);
        for (size_t k = 0; k < THREADS_MAX; k++)
            free(r->threads[k]);
        json_decref(r->got);
        free(r->name);
        free(r->id);
        free(r->last_ts);
    }
    free(s->rooms);
    for (size_t i = 0; i < s->n_users; i++) {
        free(s->users[i].id);
        free(s->users[i].name);
    }
    free(s->users);
    while (s->posts) {
        struct post *p = s->posts;
        s->posts = p->next;
        post_free(p);
    }
    for (size_t i = 0; i < SEEN_MAX; i++)
        free(s->seen[i]);
    for (size_t i = 0; i < EVENTS_MAX; i++)
        free(s->events[i]);
    free(s->my_name);
    free(s->api_url);
    free(s);
}

static const struct pf_connector_ops slack_ops = {
    "slack",       op_start,        op_stop,        op_join,  op_post,
    op_direct,     op_react,        op_del,         op_ready, op_destroy,
    op_post_again, op_resume_after, op_addressable, 1,        op_fits,
};

static struct pf_http *
new_http(struct slack *s, const char *token, char *err, size_t errlen)
{
    char *auth = pf_xasprintf("Bearer %s", token);
    struct pf_http *h = pf_http_new(s->ctx, s->api_url, auth, "slack",
                                    s->max_frame * 4, err, errlen);
    sodium_memzero(auth, strlen(auth));
    free(auth);
    return h;
}

struct pf_connector *
pf_slack_new(struct lws_context *ctx, const struct pf_slack_opts *o,
             pf_event_cb cb, void *ud, char *err, size_t errlen)
{
    const char *url =
        o->api_url && *o->api_url ? o->api_url : "https://slack.com/api";
    if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) {
        pf_snprintf(err, errlen, "'%s' is not an http:// or https:// URL", url);
        return NULL;
    }
    if (!o->bot_token || !*o->bot_token) {
        pf_snprintf(err, errlen, "no bot token (xoxb-)");
        return NULL;
    }
    if (!o->app_token || !*o->app_token) {
        pf_snprintf(err, errlen, "no app-level token (xapp-)");
        return NULL;
    }
    struct slack *s = pf_xcalloc(1, sizeof(*s));
    s->base.ops = &slack_ops;
    s->base.cb = cb;
    s->base.ud = ud;
    s->ctx = ctx;
    s->api_url = pf_xstrdup(url);
    s->rmin = o->reconnect_min_ms > 0 ? o->reconnect_min_ms : 500;
    s->rmax = o->reconnect_max_ms > s->rmin ? o->reconnect_max_ms : s->rmin;
    s->ping_s = o->ping_s;
    s->max_frame = o->max_frame ? o->max_frame : 1024 * 1024;
    s->post_timeout_ms = o->post_timeout_ms > 0 ? o->post_timeout_ms : 30000;
    s->hello_timeout_ms = o->hello_timeout_ms > 0 ? o->hello_timeout_ms : 15000;
    s->my_name = pf_xstrdup("");
    s->http = new_http(s, o->bot_token, err, errlen);
    s->app_http = s->http ? new_http(s, o->app_token, err, errlen) : NULL;
    if (!s->app_http) {
        op_destroy(&s->base);
        return NULL;
    }
    return &s->base;
}

void
pf_slack_pretend(struct pf_connector *c, const char *me, const char *bot,
                 const char *room, const char *channel_id)
{
    struct slack *s = (struct slack *)c;
    pf_snprintf(s->me, sizeof(s->me), "%s", me);
    pf_snprintf(s->bot, sizeof(s->bot), "%s", bot);
    op_join(c, room);
    struct room *r = room_by_name(s, room);
    if (r && !r->id)
        r->id = pf_xstrdup(channel_id);
    s->state = S_READY;
}

unsigned
pf_slack_acks(struct pf_connector *c, const char **last)
{
    struct slack *s = (struct slack *)c;
    if (last)
        *last = s->last_ack;
    return s->acks;
}
