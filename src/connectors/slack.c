/*
 * slack.c - see slack.h. The connection and the Web API: the state
 * machine below, every Web API call (slack_int.h's struct call) with its
 * per-method rate limits, booting, the socket and the connector ops.
 * Envelopes and events are parsed in slack_events.c; posting exactly
 * once and reading back what was missed are in slack_sync.c.
 *
 * About 1,300 lines, over the usual 1,000: every change of state (booting,
 * opening a socket, its drops and retries, ready) and the Web API calls
 * they make are kept in this one file, so that the state machine reads in
 * one place; what is not the state machine is in the other two.
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
 *  - the socket is never reconnected to the same URL: every connection
 *    starts with apps.connections.open; "link_disabled" stops reconnecting;
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
#include "connectors/slack_int.h"
#include "pokerface/plugin.h"

static void boot(struct slack *s);
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

int
pf_slack_is_user(const char *s)
{
    return is_id(s, "UW");
}

int
pf_slack_is_channel(const char *s)
{
    return is_id(s, "CGD");
}

void
pf_slack_emit(struct slack *s, struct pf_event *ev)
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
    pf_slack_emit(s, &ev);
}

struct room *
pf_slack_room_by_name(struct slack *s, const char *name)
{
    for (size_t i = 0; i < s->n_rooms; i++)
        if (strcmp(s->rooms[i].name, name) == 0)
            return &s->rooms[i];
    return NULL;
}

struct room *
pf_slack_room_by_channel(struct slack *s, const char *id)
{
    for (size_t i = 0; i < s->n_rooms; i++)
        if (s->rooms[i].id && strcmp(s->rooms[i].id, id) == 0)
            return &s->rooms[i];
    return NULL;
}

/* "CHANNEL/TS" */
char *
pf_slack_msg_id(const char *channel, const char *ts)
{
    return pf_xasprintf("%s/%s", channel, ts);
}

/* the ts of an id the relay gives back: "CHANNEL/TS" or a bare ts; NULL
   when it is neither, or of another channel */
const char *
pf_slack_id_ts(const char *id, const char *channel)
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
char *
pf_slack_unescape(const char *t)
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

char *
pf_slack_escape(const char *t)
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

char *
pf_slack_url_escape(const char *t)
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
int
pf_slack_ring_seen(char **ring, size_t n, size_t *at, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (ring[i] && strcmp(ring[i], key) == 0)
            return 1;
    free(ring[*at]);
    ring[*at] = pf_xstrdup(key);
    *at = (*at + 1) % n;
    return 0;
}

long long
pf_slack_backoff_us(struct slack *s, unsigned tries)
{
    unsigned shift = tries < 16 ? tries : 16;
    long long ms = (long long)s->rmin << shift;
    if (ms > s->rmax)
        ms = s->rmax;
    return ms * 1000;
}

const char *
pf_slack_user_name(struct slack *s, const char *id)
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
long long
pf_slack_limited_until(struct slack *s, const char *method)
{
    struct method_limit *l = limit_of(s, method);
    return l && l->until_us > pf_now_us() ? l->until_us : 0;
}

void
pf_slack_call_free(struct call *q)
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

static void
call_sul_cb(lws_sorted_usec_list_t *sul)
{
    pf_slack_call_go(lws_container_of(sul, struct call, sul));
}

static void
call_later(struct call *q, long long us)
{
    lws_sul_schedule(q->s->ctx, 0, &q->sul, call_sul_cb, us > 0 ? us : 1);
}

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
        if (q->cb == pf_slack_sync_on_posted)
            lws_sul_schedule(s->ctx, 0, &s->timeout_sul,
                             pf_slack_sync_timeout_cb,
                             (ms + s->post_timeout_ms) * 1000);
        call_later(q, ms * 1000);
        return;
    }
    if (q->reads && (r->status == 0 || r->status >= 500) &&
        ++q->tries < CALL_TRIES) {
        pf_warn("slack: %s: %s; trying again", q->method,
                r->status ? "server error" : (r->error ? r->error : "failed"));
        json_decref(o);
        call_later(q, pf_slack_backoff_us(s, q->tries));
        return;
    }
    q->cb(s, q, r, o);
    json_decref(o);
    pf_slack_call_free(q);
}

void
pf_slack_call_go(struct call *q)
{
    struct slack *s = q->s;
    long long until = pf_slack_limited_until(s, q->method);
    if (until) {
        call_later(q, until - pf_now_us());
        return;
    }
    if (pf_http_request(q->app ? s->app_http : s->http, q->verb, q->path,
                        q->body, on_http, q) != 0)
        call_later(q, pf_slack_backoff_us(s, ++q->tries));
}

/*
 * Call a Web API method: GET with a query (reads) or POST with a JSON
 * body (writes; the body is taken over). cb gets the answer once, unless
 * the connector is destroyed first.
 */
struct call *
pf_slack_api(struct slack *s, const char *method, const char *query, char *body,
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

struct call *
pf_slack_api_json(struct slack *s, const char *method, json_t *o, call_cb cb)
{
    char *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return pf_slack_api(s, method, NULL, body, cb);
}

/* why a call failed, for a log line: "HTTP 500", "channel_not_found" */
const char *
pf_slack_why(const struct pf_http_resp *r, const json_t *o, char *buf,
             size_t len)
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

int
pf_slack_ok(const struct pf_http_resp *r, const json_t *o)
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
    const char *name = pf_slack_user_name(s, id);
    struct pf_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = PF_EV_JOIN;
    ev.room = r->name;
    ev.author_id = id;
    ev.author_name = name ? name : id;
    ev.own = strcmp(id, s->me) == 0;
    ev.member = 1; /* a channel's members are its member list */
    pf_slack_emit(s, &ev);
}

void
pf_slack_remove_member(struct slack *s, struct room *r, const char *id)
{
    for (size_t i = 0; i < r->n_members; i++) {
        if (strcmp(r->members[i], id) != 0)
            continue;
        const char *name = pf_slack_user_name(s, id);
        struct pf_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = PF_EV_LEAVE;
        ev.room = r->name;
        ev.author_id = id;
        ev.author_name = name ? name : id;
        pf_slack_emit(s, &ev);
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
    if (!pf_slack_ok(r, o) || !json_is_object(u)) {
        pf_warn("slack: users.info %s: %s", q->user,
                pf_slack_why(r, o, buf, 32));
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
void
pf_slack_joined(struct slack *s, size_t i, const char *user, int booting)
{
    struct room *r = &s->rooms[i];
    if (pf_slack_user_name(s, user) || !pf_slack_is_user(user)) {
        add_member(s, r, user);
        return;
    }
    user_slot(s, user);
    for (struct call *c = s->calls; c; c = c->next)
        if (c->cb == on_user && c->room == i && !strcmp(c->user, user))
            return; /* asked already */
    char *query = pf_xasprintf("user=%s", user);
    struct call *q = pf_slack_api(s, "users.info", query, NULL, on_user);
    free(query);
    q->user = pf_xstrdup(user);
    q->room = i;
    q->booting = booting;
    if (booting)
        s->boot_pending++;
    pf_slack_call_go(q);
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
    long long us = pf_slack_backoff_us(s, s->conn_tries++);
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
    long long us = pf_slack_backoff_us(s, s->conn_tries++);
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
    if (!pf_slack_ok(r, o) || !*url) {
        const char *e = pf_slack_why(r, o, buf, sizeof(buf));
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
    struct call *q = pf_slack_api(s, "apps.connections.open", NULL,
                                  pf_xstrdup("{}"), on_socket_url);
    q->app = 1;
    pf_slack_call_go(q);
}

void
pf_slack_ready(struct slack *s)
{
    if (s->state == S_READY)
        return;
    s->state = S_READY;
    pf_info("slack: ready: %zu channel(s)%s", s->n_rooms,
            s->was_ready ? ", caught up" : "");
    s->was_ready = 1;
    emit_state(s, "ready");
    pf_slack_sync_flush_posts(s);
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
    long long us = pf_slack_backoff_us(s, s->boot_tries++);
    pf_info("slack: trying again in %.1f s", (double)us / 1e6);
    s->state = S_DOWN;
    s->boot_pending = 0;
    for (struct call *q = s->calls, *n; q; q = n) {
        n = q->next;
        if (q->booting)
            pf_slack_call_free(q); /* of the boot that failed */
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
        if (!pf_slack_ok(r, o)) {
            pf_warn("slack: conversations.members of %s: %s", rm->name,
                    pf_slack_why(r, o, buf, sizeof(buf)));
        } else {
            size_t i;
            json_t *u;
            json_array_foreach (json_object_get(o, "members"), i, u)
                if (json_is_string(u))
                    pf_slack_joined(s, q->room, json_string_value(u), 1);
            const char *next = pf_json_str(
                json_object_get(o, "response_metadata"), "next_cursor");
            if (*next) {
                char *c = pf_slack_url_escape(next);
                char *query = pf_xasprintf("channel=%s&limit=%d&cursor=%s",
                                           rm->id, PAGE, c);
                free(c);
                struct call *n = pf_slack_api(s, "conversations.members", query,
                                              NULL, on_members);
                free(query);
                n->room = q->room;
                s->boot_pending++;
                n->booting = 1;
                pf_slack_call_go(n);
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
    if (!pf_slack_ok(r, o)) {
        pf_err("slack: channel %s: %s", rm->name,
               pf_slack_why(r, o, buf, sizeof(buf)));
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
            pf_slack_api(s, "conversations.members", query, NULL, on_members);
        free(query);
        n->room = q->room;
        s->boot_pending++;
        n->booting = 1;
        pf_slack_call_go(n);
    }
    boot_step_done(s);
}

static void
channel_info(struct slack *s, size_t i)
{
    char *query = pf_xasprintf("channel=%s", s->rooms[i].id);
    struct call *q =
        pf_slack_api(s, "conversations.info", query, NULL, on_info);
    free(query);
    q->room = i;
    s->boot_pending++;
    q->booting = 1;
    pf_slack_call_go(q);
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
    if (!pf_slack_ok(r, o)) {
        pf_err("slack: conversations.list: %s",
               pf_slack_why(r, o, buf, sizeof(buf)));
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
                pf_slack_is_channel(pf_json_str(ch, "id"))) {
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
        char *c = pf_slack_url_escape(next);
        char *query = pf_xasprintf("types=public_channel,private_channel&"
                                   "exclude_archived=true&limit=%d&cursor=%s",
                                   PAGE, c);
        free(c);
        struct call *n =
            pf_slack_api(s, "conversations.list", query, NULL, on_list);
        free(query);
        s->boot_pending++;
        n->booting = 1;
        pf_slack_call_go(n);
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
        if (!r->id && pf_slack_is_channel(r->name))
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
        struct call *q =
            pf_slack_api(s, "conversations.list", query, NULL, on_list);
        free(query);
        s->boot_pending++;
        q->booting = 1;
        pf_slack_call_go(q);
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
    if (!pf_slack_ok(r, o) || !pf_slack_is_user(user)) {
        const char *e = pf_slack_why(r, o, buf, sizeof(buf));
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
    pf_slack_call_go(pf_slack_api(s, "auth.test", NULL, NULL, on_auth));
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
        pf_slack_call_free(s->calls);
    if (s->ws)
        pf_ws_stop(s->ws);
    s->state = S_DOWN;
}

static int
op_join(struct pf_connector *c, const char *room)
{
    struct slack *s = (struct slack *)c;
    if (pf_slack_room_by_name(s, room))
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
        if (pf_slack_is_channel(room))
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
    struct room *r = room ? pf_slack_room_by_name(s, room) : NULL;
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
        const char *ts = pf_slack_id_ts(thread, r ? r->id : NULL);
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
    pf_slack_sync_flush_posts(s);
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
    if (!pf_slack_is_user(user))
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
    if (!pf_slack_ok(r, o) &&
        strcmp(pf_json_str(o, "error"), "already_reacted") != 0)
        pf_warn("slack: %s: %s", q->method,
                pf_slack_why(r, o, buf, sizeof(buf)));
}

/* room and msg_id to (channel, ts); 0 when they do not name a message */
static int
locate(struct slack *s, const char *room, const char *id, const char **channel,
       const char **ts)
{
    struct room *r = room ? pf_slack_room_by_name(s, room) : NULL;
    if (!r || !r->id)
        return 0;
    *channel = r->id;
    *ts = pf_slack_id_ts(id, r->id);
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
    pf_slack_call_go(
        pf_slack_api_json(s, "reactions.add",
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
    pf_slack_call_go(pf_slack_api_json(
        s, "chat.delete", json_pack("{s:s, s:s}", "channel", channel, "ts", ts),
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
    struct room *r = pf_slack_room_by_name(s, room);
    const char *ts = r ? pf_slack_id_ts(id, NULL) : NULL;
    if (!ts)
        return;
    free(r->last_ts);
    r->last_ts = pf_xstrdup(ts);
    r->last_us = pf_slack_ts_us(ts);
}

static void
op_follow_thread(struct pf_connector *c, const char *thread)
{
    pf_slack_sync_follow((struct slack *)c, thread);
}

static int
op_addressable(struct pf_connector *c, const char *user_id)
{
    (void)c;
    return pf_slack_is_user(user_id);
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
        pf_slack_call_free(s->calls);
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
        json_decref(r->reading);
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
        pf_slack_sync_post_free(p);
    }
    for (size_t i = 0; i < SEEN_MAX; i++)
        free(s->seen[i]);
    for (size_t i = 0; i < EVENTS_MAX; i++)
        free(s->events[i]);
    for (size_t i = 0; i < FOLLOW_MAX; i++)
        free(s->follow[i]);
    pf_slack_interact_release(s);
    free(s->my_name);
    free(s->api_url);
    free(s);
}

static const struct pf_connector_ops slack_ops = {
    "slack",
    op_start,
    op_stop,
    op_join,
    op_post,
    op_direct,
    op_react,
    op_del,
    op_ready,
    op_destroy,
    op_post_again,
    op_resume_after,
    op_addressable,
    1,
    op_fits,
    pf_slack_interact_offer,
    pf_slack_interact_edit_form,
    pf_slack_interact_answer,
    op_follow_thread,
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
    struct room *r = pf_slack_room_by_name(s, room);
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
