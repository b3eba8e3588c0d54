/*
 * mattermost.c - see mattermost.h.
 *
 * States:
 *
 *   DOWN    not started, or waiting to try again
 *   BOOT    REST: who am I, the rooms' channel ids, their members
 *   AUTH    WebSocket open, authentication_challenge sent
 *   SYNC    authenticated; a resumed session is confirmed by the answer
 *           to a ping (a failed one says so with a new hello first), a
 *           new one reads back what it missed (GET .../posts?after=)
 *   READY   events flow; queued posts go out, one at a time, in order
 *
 * Invariants:
 *  - every frame is parsed on its own; bad JSON, a "post" or "reaction"
 *    string that is not JSON, or missing fields are logged and skipped,
 *    the connection stays up;
 *  - events are numbered (seq); a gap drops the socket and resumes from
 *    the first missing one; if the server cannot replay them, the
 *    channels are read back from their resume point;
 *  - a channel's resume point (last_id) moves only over posts reported in
 *    order: read back page by page, or live once the channel is caught
 *    up. A live post that arrives while older ones are being read back is
 *    reported but does not move it, so a connection lost in the middle of
 *    a read-back starts again where the read-back was, and a page is
 *    never asked for after a post that is newer than what is unread;
 *  - a post keeps its pending_post_id across retries; one whose outcome
 *    is unknown (the connection broke, or it is from before a restart)
 *    is looked for in the channel's recent posts before it is sent;
 *  - HTTP 429 is waited out for as long as Retry-After (or
 *    X-RateLimit-Reset) says.
 *
 * One file, though long: it is one session's state machine over REST and
 * the WebSocket, and the invariants above cut across its states (a
 * resume point moved by SYNC's read-back and READY's live posts, a
 * pending post carried through a reconnect). The transport that reads
 * well apart already is apart: http.c and ws.c.
 */
#include "connectors/mattermost.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/util.h"
#include "connectors/http.h"
#include "connectors/ws.h"
#include "pokerface/plugin.h"

#define ID_LEN 26
#define SEEN_MAX 512
#define PAGE 200
#define LOOK_BACK 100

enum { S_DOWN, S_BOOT, S_AUTH, S_SYNC, S_READY };

struct member {
    char *id, *name;
};

struct room {
    char *name;      /* as joined: "team/channel" or an id */
    char *id;        /* channel id, once known */
    char *last_id;   /* resume point: every post up to it was reported */
    int64_t last_at; /* create_at of last_id */
    struct member *members;
    size_t n_members;
    int catching;   /* a read-back is under way: live posts are reported
                       but do not move last_id */
    unsigned pages; /* counts read-backs: an answer to an older one (from
                       a connection since lost) is ignored */
};

struct post {
    struct post *next;
    char *room; /* NULL: a direct message */
    char *channel, *root, *text, *key, *to_user;
    int again; /* maybe sent before: look first */
    int inflight;
    int64_t not_before_us;
    unsigned tries;
};

struct dm {
    char *user, *channel;
};

/* what a REST answer about one room needs; kept on the connector's list
   until the answer comes, so that destroy frees what is still in flight */
struct rreq {
    struct rreq *next;
    struct mm *m;
    char *room;
    size_t idx;
    int booting;
    unsigned pages; /* a read-back page: the room's read-back it is of */
};

struct mm {
    struct pf_connector base;
    struct lws_context *ctx;
    struct pf_ws *ws;
    struct pf_http *http;
    char *token; /* sodium_malloc'd */
    char *url;
    int state, stopped;
    int rmin, rmax;
    unsigned boot_tries;
    lws_sorted_usec_list_t boot_sul, post_sul;
    char me[ID_LEN + 1];
    char *my_name;
    struct room *rooms;
    size_t n_rooms;
    size_t boot_pending; /* REST answers still awaited while booting */
    size_t catch_pending;
    struct dm *dms;
    size_t n_dms;
    struct post *posts;
    /* the WebSocket session */
    char *conn_id;
    int64_t next_seq; /* the next event's seq; -1 before hello */
    int resuming, was_ready, lost;
    int64_t req_seq;
    int64_t ping_seq;
    char *seen[SEEN_MAX];
    size_t seen_at;
    unsigned n_direct;
    size_t max_frame;
    struct rreq *rreqs;
};

/* ---- emoji ---- */

static const char *const emoji_map[][2] = {
    {"white_check_mark", "✅"},
    {"heavy_check_mark", "✔️"},
    {"x", "❌"},
    {"heavy_multiplication_x", "✖️"},
    {"+1", "👍"},
    {"thumbsup", "👍"},
    {"-1", "👎"},
    {"thumbsdown", "👎"},
    {"hourglass_flowing_sand", "⏳"},
    {"eyes", "👀"},
};

const char *
pf_mm_emoji_name(const char *unicode)
{
    for (size_t i = 0; i < sizeof(emoji_map) / sizeof(*emoji_map); i++)
        if (strcmp(emoji_map[i][1], unicode) == 0)
            return emoji_map[i][0];
    if (strcmp(unicode, "✔") == 0)
        return "heavy_check_mark";
    return NULL;
}

const char *
pf_mm_emoji_char(const char *name)
{
    for (size_t i = 0; i < sizeof(emoji_map) / sizeof(*emoji_map); i++)
        if (strcmp(emoji_map[i][0], name) == 0)
            return emoji_map[i][1];
    return NULL;
}

/* ---- small helpers ---- */

static void
emit(struct mm *m, const struct pf_event *ev)
{
    m->base.cb(m->base.ud, ev);
}

static void
emit_state(struct mm *m, const char *state)
{
    struct pf_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = PF_EV_STATE;
    ev.text = state;
    ev.thread = ev.author_id = ev.author_name = ev.msg_id = ev.alt_id =
        ev.ref_id = ev.key = "";
    emit(m, &ev);
}

static struct room *
room_by_name(struct mm *m, const char *name)
{
    for (size_t i = 0; i < m->n_rooms; i++)
        if (strcmp(m->rooms[i].name, name) == 0)
            return &m->rooms[i];
    return NULL;
}

static struct room *
room_by_channel(struct mm *m, const char *id)
{
    for (size_t i = 0; i < m->n_rooms; i++)
        if (m->rooms[i].id && strcmp(m->rooms[i].id, id) == 0)
            return &m->rooms[i];
    return NULL;
}

static const char *
member_name(struct mm *m, struct room *r, const char *user)
{
    if (r)
        for (size_t i = 0; i < r->n_members; i++)
            if (strcmp(r->members[i].id, user) == 0)
                return r->members[i].name;
    for (size_t k = 0; k < m->n_rooms; k++)
        for (size_t i = 0; i < m->rooms[k].n_members; i++)
            if (strcmp(m->rooms[k].members[i].id, user) == 0)
                return m->rooms[k].members[i].name;
    return NULL;
}

/* a member seen for the first time: reported as joining */
static void
add_member(struct mm *m, struct room *r, const char *id, const char *name)
{
    for (size_t i = 0; i < r->n_members; i++)
        if (strcmp(r->members[i].id, id) == 0)
            return;
    r->members =
        pf_xrealloc(r->members, (r->n_members + 1) * sizeof(*r->members));
    r->members[r->n_members].id = pf_xstrdup(id);
    r->members[r->n_members].name = pf_xstrdup(name);
    r->n_members++;
    struct pf_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = PF_EV_JOIN;
    ev.room = r->name;
    ev.author_id = id;
    ev.author_name = name;
    ev.thread = ev.text = ev.msg_id = ev.alt_id = ev.ref_id = ev.key = "";
    ev.own = strcmp(id, m->me) == 0;
    ev.member = 1; /* channel members are its member list */
    emit(m, &ev);
}

static void
remove_member(struct mm *m, struct room *r, const char *id)
{
    for (size_t i = 0; i < r->n_members; i++) {
        if (strcmp(r->members[i].id, id) != 0)
            continue;
        struct pf_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = PF_EV_LEAVE;
        ev.room = r->name;
        ev.author_id = id;
        ev.author_name = r->members[i].name;
        ev.thread = ev.text = ev.msg_id = ev.alt_id = ev.ref_id = ev.key = "";
        emit(m, &ev);
        free(r->members[i].id);
        free(r->members[i].name);
        r->members[i] = r->members[--r->n_members];
        return;
    }
}

/* 1 if this post id was reported already (live and read back overlap) */
static int
seen_before(struct mm *m, const char *id)
{
    for (size_t i = 0; i < SEEN_MAX; i++)
        if (m->seen[i] && strcmp(m->seen[i], id) == 0)
            return 1;
    free(m->seen[m->seen_at]);
    m->seen[m->seen_at] = pf_xstrdup(id);
    m->seen_at = (m->seen_at + 1) % SEEN_MAX;
    return 0;
}

static void
api_error(const char *what, const struct pf_http_resp *r)
{
    if (r->status == 0) {
        pf_warn("mattermost: %s: %s", what, r->error ? r->error : "failed");
        return;
    }
    json_t *o = json_loadb(r->body, r->len, 0, NULL);
    const char *msg = o ? pf_json_str(o, "message") : "";
    const char *id = o ? pf_json_str(o, "id") : "";
    pf_warn("mattermost: %s: HTTP %d%s%s%s%s", what, r->status,
            *msg ? ": " : "", msg, *id ? " " : "", id);
    json_decref(o);
}

static int64_t
backoff_us(struct mm *m, unsigned tries)
{
    unsigned shift = tries < 16 ? tries : 16;
    int64_t ms = (int64_t)m->rmin << shift;
    if (ms > m->rmax)
        ms = m->rmax;
    return ms * 1000;
}

static struct rreq *
rreq_new(struct mm *m, const char *room, size_t idx, int booting)
{
    struct rreq *q = pf_xcalloc(1, sizeof(*q));
    q->m = m;
    q->room = room ? pf_xstrdup(room) : NULL;
    q->idx = idx;
    q->booting = booting;
    q->next = m->rreqs;
    m->rreqs = q;
    return q;
}

static void
rreq_free(struct rreq *q)
{
    for (struct rreq **pp = &q->m->rreqs; *pp; pp = &(*pp)->next)
        if (*pp == q) {
            *pp = q->next;
            break;
        }
    free(q->room);
    free(q);
}

static void boot(struct mm *m);
static void flush_posts(struct mm *m);
static void catch_up(struct mm *m);

/* ---- events from the WebSocket ---- */

/* the resume point of r moved to msg_id over something not reported */
static void
emit_cursor(struct mm *m, struct room *r, const char *msg_id)
{
    struct pf_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = PF_EV_CURSOR;
    ev.room = r->name;
    ev.msg_id = msg_id;
    ev.in_order = 1;
    ev.thread = ev.author_id = ev.author_name = ev.alt_id = ev.ref_id = ev.key =
        ev.text = "";
    emit(m, &ev);
}

/*
 * A new post p in r, read back (catchup) or live: is it the channel's
 * resume point now? Read back, the pages come in order; live, only when
 * nothing older is still being read back.
 */
static int
advance(struct room *r, const json_t *p, int catchup)
{
    int64_t at = pf_json_int(p, "create_at");
    const char *id = pf_json_str(p, "id");
    if (!r || (!catchup && r->catching) ||
        (r->last_id && (at < r->last_at || !strcmp(r->last_id, id))))
        return 0;
    free(r->last_id);
    r->last_id = pf_xstrdup(id);
    r->last_at = at;
    return 1;
}

/* one post (already decoded from its JSON string) */
static void
handle_post(struct mm *m, const json_t *p, int type, const char *channel_type,
            const char *sender, int catchup, int64_t rx_ns)
{
    const char *id = pf_json_str(p, "id");
    const char *user = pf_json_str(p, "user_id");
    const char *channel = pf_json_str(p, "channel_id");
    const char *message = pf_json_str(p, "message");
    const char *ptype = pf_json_str(p, "type");
    if (strlen(id) != ID_LEN || !*user || !*channel) {
        pf_warn("mattermost: a post without id, user_id or channel_id; "
                "skipped");
        return;
    }
    struct room *r = room_by_channel(m, channel);
    int in_order = type == PF_EV_MESSAGE && advance(r, p, catchup);
    if (strncmp(ptype, "system_", 7) == 0) {
        if (in_order)
            emit_cursor(m, r, id);
        return;
    }
    int direct = !r && channel_type && strcmp(channel_type, "D") == 0;
    for (size_t i = 0; !r && !direct && i < m->n_dms; i++)
        direct = strcmp(m->dms[i].channel, channel) == 0;
    if (!r && !direct)
        return; /* a channel we were not asked to be in */
    int own = strcmp(user, m->me) == 0;
    /* our own posts are confirmed by the REST answer (PF_EV_POSTED), as
       the XMPP connector confirms them by their reflection; a post both
       seen live and read back is reported once */
    if (type == PF_EV_MESSAGE && (seen_before(m, id) || own)) {
        if (in_order)
            emit_cursor(m, r, id);
        return;
    }
    const char *name = sender && *sender == '@' ? sender + 1 : sender;
    /* whoever writes in a channel is in it (one added since the member
       list was read, say) */
    if (r && type == PF_EV_MESSAGE && name && *name)
        add_member(m, r, user, name);
    if (!name || !*name)
        name = member_name(m, r, user);
    if (!name)
        name = user;
    struct pf_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.room = r ? r->name : NULL;
    ev.thread = pf_json_str(p, "root_id");
    ev.author_id = user;
    ev.author_name = name;
    ev.text = message;
    ev.msg_id = type == PF_EV_MESSAGE ? id : "";
    ev.alt_id = "";
    ev.ref_id = type == PF_EV_MESSAGE ? "" : id;
    ev.key = "";
    ev.ts_ms = pf_json_int(p, type == PF_EV_EDIT ? "edit_at" : "create_at");
    ev.rx_ns = rx_ns;
    ev.catchup = catchup;
    ev.own = own;
    ev.in_order = in_order;
    emit(m, &ev);
}

/* "post": a JSON text inside the event's JSON */
static json_t *
inner(const json_t *data, const char *key, const char *event)
{
    const char *s = json_string_value(json_object_get(data, key));
    if (!s) {
        pf_warn("mattermost: %s without a '%s' string; skipped", event, key);
        return NULL;
    }
    json_error_t e;
    json_t *o = json_loads(s, 0, &e);
    if (!json_is_object(o)) {
        pf_warn("mattermost: %s: '%s' is not a JSON object (%s); skipped",
                event, key, o ? "not an object" : e.text);
        json_decref(o);
        return NULL;
    }
    return o;
}

static void
reaction(struct mm *m, const json_t *data, int64_t rx_ns)
{
    json_t *x = inner(data, "reaction", "reaction_added");
    if (!x)
        return;
    const char *user = pf_json_str(x, "user_id");
    const char *post = pf_json_str(x, "post_id");
    const char *name = pf_json_str(x, "emoji_name");
    const char *channel = pf_json_str(x, "channel_id");
    if (!*user || !*post || !*name) {
        pf_warn("mattermost: a reaction without user_id, post_id or "
                "emoji_name; skipped");
        json_decref(x);
        return;
    }
    struct room *r = *channel ? room_by_channel(m, channel) : NULL;
    const char *u = pf_mm_emoji_char(name);
    char other[80];
    if (!u) {
        pf_snprintf(other, sizeof(other), ":%s:", name);
        u = other;
    }
    const char *who = member_name(m, r, user);
    struct pf_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = PF_EV_REACTION;
    ev.room = r ? r->name : NULL;
    ev.thread = ev.msg_id = ev.alt_id = ev.key = "";
    ev.author_id = user;
    ev.author_name = who ? who : user;
    ev.text = u;
    ev.ref_id = post;
    ev.ts_ms = pf_json_int(x, "create_at");
    ev.rx_ns = rx_ns;
    ev.own = strcmp(user, m->me) == 0;
    emit(m, &ev);
    json_decref(x);
}

static void members_of(struct mm *m, struct room *r, int booting);

static void
ready(struct mm *m)
{
    if (m->state == S_READY)
        return;
    m->state = S_READY;
    m->was_ready = 1;
    m->resuming = 0;
    pf_info("mattermost: ready: %zu channel(s)%s", m->n_rooms,
            m->lost ? ", caught up" : "");
    m->lost = 0;
    emit_state(m, "ready");
    flush_posts(m);
}

static void
ws_event(struct mm *m, json_t *o, int64_t rx_ns)
{
    const char *event = pf_json_str(o, "event");
    json_t *data = json_object_get(o, "data");
    json_t *bc = json_object_get(o, "broadcast");
    json_t *seqv = json_object_get(o, "seq");
    if (!json_is_integer(seqv) || !json_is_object(data)) {
        pf_warn("mattermost: event '%s' without seq or data; skipped", event);
        return;
    }
    int64_t seq = (int64_t)json_integer_value(seqv);
    if (strcmp(event, "hello") == 0) {
        const char *cid = pf_json_str(data, "connection_id");
        int resumed_fail = m->conn_id && strcmp(m->conn_id, cid) != 0;
        free(m->conn_id);
        m->conn_id = pf_xstrdup(cid);
        m->next_seq = seq + 1;
        if (resumed_fail || m->was_ready) {
            if (m->resuming)
                pf_info("mattermost: the session could not be resumed; "
                        "reading back what was missed");
            m->lost = 1;
        }
        m->resuming = 0;
        if (m->state == S_SYNC || m->state == S_AUTH || m->state == S_READY) {
            m->state = S_SYNC;
            catch_up(m);
        }
        return;
    }
    if (m->next_seq >= 0 && seq != m->next_seq) {
        pf_warn("mattermost: events lost (seq %lld, expected %lld); "
                "resuming the session",
                (long long)seq, (long long)m->next_seq);
        m->resuming = 1;
        pf_ws_drop(m->ws, "events lost");
        return;
    }
    m->next_seq = seq + 1;
    if (strcmp(event, "posted") == 0) {
        json_t *p = inner(data, "post", event);
        if (p) {
            const char *ct =
                json_string_value(json_object_get(data, "channel_type"));
            handle_post(m, p, PF_EV_MESSAGE, ct ? ct : "",
                        json_string_value(json_object_get(data, "sender_name")),
                        0, rx_ns);
            json_decref(p);
        }
    } else if (strcmp(event, "post_edited") == 0) {
        json_t *p = inner(data, "post", event);
        if (p) {
            handle_post(m, p, PF_EV_EDIT, NULL, NULL, 0, rx_ns);
            json_decref(p);
        }
    } else if (strcmp(event, "post_deleted") == 0) {
        json_t *p = inner(data, "post", event);
        if (p) {
            handle_post(m, p, PF_EV_DELETE, NULL, NULL, 0, rx_ns);
            json_decref(p);
        }
    } else if (strcmp(event, "reaction_added") == 0) {
        reaction(m, data, rx_ns);
    } else if (strcmp(event, "user_added") == 0 ||
               strcmp(event, "user_removed") == 0) {
        /* user_added names the channel in broadcast; user_removed in data
           (and the user in broadcast when it is us) */
        const char *ch = pf_json_str(bc, "channel_id");
        if (!*ch)
            ch = pf_json_str(data, "channel_id");
        struct room *r = *ch ? room_by_channel(m, ch) : NULL;
        const char *user = pf_json_str(data, "user_id");
        if (!*user)
            user = pf_json_str(bc, "user_id");
        if (!r || !*user)
            return;
        if (event[5] == 'r')
            remove_member(m, r, user);
        else
            members_of(m, r, 0);
    } else {
        pf_debug("mattermost: ignoring event '%s'", event);
    }
}

static void
ws_response(struct mm *m, json_t *o)
{
    int64_t reply = pf_json_int(o, "seq_reply");
    const char *status = pf_json_str(o, "status");
    if (strcmp(status, "OK") != 0) {
        json_t *e = json_object_get(o, "error");
        pf_warn("mattermost: request %lld failed: %s", (long long)reply,
                e ? pf_json_str(e, "message") : status);
        return;
    }
    if (reply == 1 && m->state == S_AUTH) {
        /* authenticated. A resumed session gets no hello: a ping's answer
           says that everything the server had for us came first */
        m->state = S_SYNC;
        if (m->resuming) {
            m->ping_seq = ++m->req_seq;
            char buf[64];
            int n = snprintf(buf, sizeof(buf),
                             "{\"seq\":%lld,\"action\":"
                             "\"ping\"}",
                             (long long)m->ping_seq);
            pf_ws_send(m->ws, buf, (size_t)n);
        }
        return;
    }
    if (reply == m->ping_seq && m->state == S_SYNC && m->resuming) {
        pf_info("mattermost: session resumed");
        ready(m);
    }
}

void
pf_mattermost_feed(struct pf_connector *c, const char *frame, size_t len)
{
    struct mm *m = (struct mm *)c;
    int64_t rx_ns = pf_now_ns();
    json_error_t e;
    if (len > m->max_frame) {
        pf_warn("mattermost: a frame of %zu bytes, over the limit of %zu; "
                "skipped",
                len, m->max_frame);
        return;
    }
    json_t *o = json_loadb(frame, len, 0, &e);
    if (!json_is_object(o)) {
        pf_warn("mattermost: a frame that is not a JSON object (%s); "
                "skipped",
                o ? "not an object" : e.text);
        json_decref(o);
        return;
    }
    if (json_object_get(o, "event"))
        ws_event(m, o, rx_ns);
    else if (json_object_get(o, "seq_reply"))
        ws_response(m, o);
    else
        pf_debug("mattermost: a frame that is neither event nor reply");
    json_decref(o);
}

static void
ws_message(void *ud, const char *data, size_t len)
{
    pf_mattermost_feed(ud, data, len);
}

static void
ws_open(void *ud)
{
    struct mm *m = ud;
    m->state = S_AUTH;
    m->req_seq = 1;
    json_t *o =
        json_pack("{s:i, s:s, s:{s:s}}", "seq", 1, "action",
                  "authentication_challenge", "data", "token", m->token);
    char *s = json_dumps(o, JSON_COMPACT);
    pf_ws_send(m->ws, s, strlen(s));
    sodium_memzero(s, strlen(s));
    free(s);
    json_decref(o);
}

static void
ws_closed(void *ud, const char *why)
{
    struct mm *m = ud;
    int was = m->state;
    (void)why;
    if (m->state >= S_AUTH)
        m->state = S_DOWN; /* the socket reconnects by itself */
    /* resume where we were, if the server still has it */
    if (m->conn_id && m->next_seq > 0) {
        char *p = pf_xasprintf(
            "/api/v4/websocket?connection_id=%s&sequence_number=%lld",
            m->conn_id, (long long)m->next_seq);
        pf_ws_set_path(m->ws, p);
        free(p);
        m->resuming = 1;
    }
    if (was == S_READY)
        emit_state(m, "disconnected");
}

static const struct pf_ws_ops ws_ops = {ws_open, ws_message, ws_closed, NULL};

/* ---- catching up after a session was lost ---- */

static void
catch_done(struct mm *m)
{
    if (m->catch_pending == 0 && m->state == S_SYNC)
        ready(m);
}

static void catch_room(struct mm *m, size_t i);

static void
on_catch(void *ud, const struct pf_http_resp *r)
{
    struct rreq *q = ud;
    struct mm *m = q->m;
    size_t i = q->idx;
    unsigned pages = q->pages;
    rreq_free(q);
    m->catch_pending--;
    struct room *rm = &m->rooms[i];
    if (pages != rm->pages) {
        /* of a read-back the lost connection started; the new one reads
           back from the resume point again */
        catch_done(m);
        return;
    }
    if (r->status != 200) {
        api_error("reading back a channel", r);
        pf_warn("mattermost: %s: what was said while away could not be "
                "read back; continuing live",
                rm->name);
        rm->catching = 0;
        catch_done(m);
        return;
    }
    json_t *o = json_loadb(r->body, r->len, 0, NULL);
    json_t *order = json_object_get(o, "order");
    json_t *posts = json_object_get(o, "posts");
    size_t n = json_array_size(order), got = 0;
    /* order is newest first; report oldest first */
    json_t **list = pf_xcalloc(n + 1, sizeof(*list));
    for (size_t k = 0; k < n; k++) {
        const char *pid = json_string_value(json_array_get(order, k));
        json_t *p = pid ? json_object_get(posts, pid) : NULL;
        if (json_is_object(p))
            list[got++] = p;
    }
    for (size_t a = 1; a < got; a++)
        for (size_t b = a; b > 0 && pf_json_int(list[b - 1], "create_at") >
                                        pf_json_int(list[b], "create_at");
             b--) {
            json_t *t = list[b];
            list[b] = list[b - 1];
            list[b - 1] = t;
        }
    for (size_t k = 0; k < got; k++) {
        json_t *p = list[k];
        if (pf_json_int(p, "delete_at") == 0)
            handle_post(m, p, PF_EV_MESSAGE, "O", NULL, 1, 0);
        else if (advance(rm, p, 1))
            emit_cursor(m, rm, pf_json_str(p, "id"));
    }
    free(list);
    json_decref(o);
    if (got == PAGE && rm->last_id)
        catch_room(m, i); /* there is more */
    else
        rm->catching = 0; /* caught up: live posts move last_id again */
    catch_done(m);
}

static void
catch_room(struct mm *m, size_t i)
{
    struct room *r = &m->rooms[i];
    struct rreq *q = rreq_new(m, NULL, i, 0);
    char *path = pf_xasprintf("/api/v4/channels/%s/posts?after=%s&per_page=%d",
                              r->id, r->last_id, PAGE);
    q->pages = r->pages;
    m->catch_pending++;
    if (pf_http_request(m->http, "GET", path, NULL, on_catch, q) != 0) {
        m->catch_pending--;
        rreq_free(q);
        r->catching = 0;
    }
    free(path);
}

static void
catch_up(struct mm *m)
{
    for (size_t i = 0; i < m->n_rooms; i++) {
        struct room *r = &m->rooms[i];
        r->pages++;
        r->catching = r->id && r->last_id;
        if (r->catching)
            catch_room(m, i);
    }
    catch_done(m);
}

/* ---- booting: who am I, which channels, who is in them ---- */

static void
boot_retry_cb(lws_sorted_usec_list_t *sul)
{
    struct mm *m = lws_container_of(sul, struct mm, boot_sul);
    boot(m);
}

static void
boot_failed(struct mm *m)
{
    int64_t us = backoff_us(m, m->boot_tries++);
    pf_info("mattermost: trying again in %.1f s", (double)us / 1e6);
    m->state = S_DOWN;
    lws_sul_schedule(m->ctx, 0, &m->boot_sul, boot_retry_cb, us);
}

static void
boot_step_done(struct mm *m)
{
    if (--m->boot_pending || m->state != S_BOOT)
        return;
    for (size_t i = 0; i < m->n_rooms; i++)
        if (!m->rooms[i].id) {
            boot_failed(m);
            return;
        }
    m->boot_tries = 0;
    pf_ws_start(m->ws);
}

static void
on_members(void *ud, const struct pf_http_resp *r)
{
    struct rreq *q = ud;
    struct mm *m = q->m;
    struct room *rm = room_by_name(m, q->room);
    if (r->status != 200) {
        api_error("listing a channel's members", r);
    } else if (rm) {
        json_t *o = json_loadb(r->body, r->len, 0, NULL);
        size_t i;
        json_t *u;
        json_array_foreach (o, i, u) {
            const char *id = pf_json_str(u, "id"),
                       *name = pf_json_str(u, "username");
            if (*id && *name)
                add_member(m, rm, id, name);
        }
        json_decref(o);
    }
    int booting = q->booting;
    rreq_free(q);
    if (booting)
        boot_step_done(m);
}

static void
members_of(struct mm *m, struct room *r, int booting)
{
    struct rreq *q = rreq_new(m, r->name, 0, booting);
    char *path = pf_xasprintf("/api/v4/users?in_channel=%s&page=0&per_page=%d",
                              r->id, PAGE);
    if (booting)
        m->boot_pending++;
    if (pf_http_request(m->http, "GET", path, NULL, on_members, q) != 0) {
        if (booting)
            m->boot_pending--;
        rreq_free(q);
    }
    free(path);
}

static void
on_channel(void *ud, const struct pf_http_resp *r)
{
    struct rreq *q = ud;
    struct mm *m = q->m;
    struct room *rm = room_by_name(m, q->room);
    if (r->status != 200) {
        char what[300];
        pf_snprintf(what, sizeof(what), "finding channel '%s'", q->room);
        api_error(what, r);
    } else if (rm) {
        json_t *o = json_loadb(r->body, r->len, 0, NULL);
        const char *id = pf_json_str(o, "id");
        if (strlen(id) == ID_LEN) {
            free(rm->id);
            rm->id = pf_xstrdup(id);
            members_of(m, rm, 1);
        }
        json_decref(o);
    }
    rreq_free(q);
    boot_step_done(m);
}

static int
is_id(const char *s)
{
    if (strlen(s) != ID_LEN)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            return 0;
    return 1;
}

static void
find_room(struct mm *m, struct room *r)
{
    if (r->id) {
        members_of(m, r, 1);
        return;
    }
    if (is_id(r->name)) {
        r->id = pf_xstrdup(r->name);
        members_of(m, r, 1);
        return;
    }
    const char *slash = strchr(r->name, '/');
    struct rreq *q = rreq_new(m, r->name, 0, 1);
    char *path = pf_xasprintf("/api/v4/teams/name/%.*s/channels/name/%s",
                              (int)(slash - r->name), r->name, slash + 1);
    m->boot_pending++;
    if (pf_http_request(m->http, "GET", path, NULL, on_channel, q) != 0) {
        m->boot_pending--;
        rreq_free(q);
    }
    free(path);
}

static void
on_me(void *ud, const struct pf_http_resp *r)
{
    struct mm *m = ud;
    if (m->state != S_BOOT)
        return;
    if (r->status == 401) {
        pf_err("mattermost: the server refused the bot's token (HTTP 401); "
               "check the token, and that the server allows personal "
               "access tokens");
        boot_failed(m);
        return;
    }
    json_t *o = r->status == 200 ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    const char *id = pf_json_str(o, "id");
    if (!is_id(id)) {
        api_error("GET /api/v4/users/me", r);
        json_decref(o);
        boot_failed(m);
        return;
    }
    if (m->me[0] && strcmp(m->me, id) != 0)
        pf_warn("mattermost: the token now belongs to another user");
    memcpy(m->me, id, ID_LEN + 1);
    free(m->my_name);
    m->my_name = pf_xstrdup(pf_json_str(o, "username"));
    json_decref(o);
    pf_info("mattermost: logged in as @%s (%s)", m->my_name, m->me);
    m->boot_pending = 1;
    for (size_t i = 0; i < m->n_rooms; i++)
        find_room(m, &m->rooms[i]);
    boot_step_done(m);
}

static void
boot(struct mm *m)
{
    if (m->stopped)
        return;
    m->state = S_BOOT;
    if (pf_http_request(m->http, "GET", "/api/v4/users/me", NULL, on_me, m) !=
        0)
        boot_failed(m);
}

/* ---- posting ---- */

static void
post_free(struct post *p)
{
    free(p->room);
    free(p->channel);
    free(p->root);
    free(p->text);
    free(p->key);
    free(p->to_user);
    free(p);
}

static void
post_done(struct mm *m, struct post *p, const char *id)
{
    for (struct post **pp = &m->posts; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    if (id && p->room && p->key) {
        struct pf_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = PF_EV_POSTED;
        ev.room = p->room;
        ev.thread = p->root ? p->root : "";
        ev.author_id = m->me;
        ev.author_name = m->my_name ? m->my_name : "";
        ev.text = p->text;
        ev.msg_id = id;
        ev.alt_id = ev.ref_id = "";
        ev.key = p->key;
        ev.own = 1;
        emit(m, &ev);
    }
    post_free(p);
}

static void
post_later(struct mm *m, struct post *p, int64_t us)
{
    p->inflight = 0;
    p->tries++;
    p->not_before_us = pf_now_us() + us;
    flush_posts(m);
}

static void
on_posted(void *ud, const struct pf_http_resp *r)
{
    struct mm *m = ud;
    struct post *p = m->posts;
    if (!p || !p->inflight)
        return;
    if (r->status == 201 || r->status == 200) {
        json_t *o = json_loadb(r->body, r->len, 0, NULL);
        const char *id = pf_json_str(o, "id");
        post_done(m, p, *id ? id : NULL);
        json_decref(o);
        flush_posts(m);
        return;
    }
    if (r->status == 429) {
        int64_t ms = r->retry_ms >= 0 ? r->retry_ms : 1000;
        pf_warn("mattermost: rate limited (HTTP 429); waiting %.1f s",
                (double)ms / 1000.0);
        post_later(m, p, ms * 1000);
        return;
    }
    if (r->status == 0 || r->status >= 500) {
        /* 500 "deduplicate_create_post.pending": the first try is still
           being made; the same pending_post_id again is safe */
        api_error("posting", r);
        if (r->status == 0)
            p->again = 1; /* it may have arrived: look before resending */
        post_later(m, p, backoff_us(m, p->tries));
        return;
    }
    if (r->status == 400 && p->root) {
        /* the thread's first post is gone (deleted): the reply is not
           lost, it goes in the channel instead */
        pf_warn("mattermost: the thread %s in %s is gone (HTTP 400); "
                "posting outside it",
                p->root, p->room ? p->room : "a direct message");
        free(p->root);
        p->root = NULL;
        post_later(m, p, 0);
        return;
    }
    char what[300];
    pf_snprintf(what, sizeof(what), "posting in %s was refused",
                p->room ? p->room : "a direct message");
    api_error(what, r);
    pf_err("mattermost: a post in %s was refused (HTTP %d) and is not sent",
           p->room ? p->room : "a direct message", r->status);
    if (p->room && p->key) {
        char why[64];
        pf_snprintf(why, sizeof(why), "HTTP %d", r->status);
        struct pf_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = PF_EV_FAILED;
        ev.room = p->room;
        ev.thread = ev.msg_id = ev.alt_id = ev.ref_id = "";
        ev.author_id = m->me;
        ev.author_name = m->my_name ? m->my_name : "";
        ev.text = why;
        ev.key = p->key;
        ev.own = 1;
        emit(m, &ev);
    }
    post_done(m, p, NULL);
    flush_posts(m);
}

static void
send_post(struct mm *m, struct post *p)
{
    char *pending = pf_xasprintf("%s:%s", m->me, p->key);
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:{s:s}}", "channel_id", p->channel,
                  "message", p->text, "root_id", p->root ? p->root : "",
                  "pending_post_id", pending, "props", "pokerface_key", p->key);
    char *body = json_dumps(o, JSON_COMPACT);
    p->inflight = 1;
    if (pf_http_request(m->http, "POST", "/api/v4/posts?set_online=false", body,
                        on_posted, m) != 0)
        post_later(m, p, backoff_us(m, p->tries));
    free(body);
    json_decref(o);
    free(pending);
}

/* the channel's recent posts, searched for the post's key */
static void
on_looked(void *ud, const struct pf_http_resp *r)
{
    struct mm *m = ud;
    struct post *p = m->posts;
    if (!p || !p->inflight)
        return;
    if (r->status != 200) {
        api_error("looking for a post sent before", r);
        if (r->status == 429 && r->retry_ms >= 0)
            post_later(m, p, r->retry_ms * 1000);
        else
            post_later(m, p, backoff_us(m, p->tries));
        return;
    }
    json_t *o = json_loadb(r->body, r->len, 0, NULL);
    json_t *posts = json_object_get(o, "posts");
    const char *k;
    json_t *v;
    const char *found = NULL;
    json_object_foreach (posts, k, v) {
        json_t *props = json_object_get(v, "props");
        if (strcmp(pf_json_str(v, "user_id"), m->me) == 0 &&
            strcmp(pf_json_str(props, "pokerface_key"), p->key) == 0 &&
            pf_json_int(v, "delete_at") == 0)
            found = pf_json_str(v, "id");
    }
    if (found) {
        pf_info("mattermost: post %s had arrived before; not sent again",
                p->key);
        post_done(m, p, found);
        json_decref(o);
        flush_posts(m);
        return;
    }
    json_decref(o);
    p->again = 0;
    send_post(m, p);
}

static void
look_for(struct mm *m, struct post *p)
{
    char *path = pf_xasprintf("/api/v4/channels/%s/posts?page=0&per_page=%d",
                              p->channel, LOOK_BACK);
    p->inflight = 1;
    if (pf_http_request(m->http, "GET", path, NULL, on_looked, m) != 0)
        post_later(m, p, backoff_us(m, p->tries));
    free(path);
}

/* a direct message needs its channel first */
static void
on_direct_channel(void *ud, const struct pf_http_resp *r)
{
    struct mm *m = ud;
    struct post *p = m->posts;
    if (!p || !p->inflight)
        return;
    json_t *o =
        r->status / 100 == 2 ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    const char *id = pf_json_str(o, "id");
    if (!is_id(id)) {
        api_error("opening a direct channel", r);
        json_decref(o);
        if (r->status == 0 || r->status >= 500 || r->status == 429) {
            post_later(m, p,
                       r->retry_ms >= 0 ? r->retry_ms * 1000
                                        : backoff_us(m, p->tries));
        } else {
            post_done(m, p, NULL);
            flush_posts(m);
        }
        return;
    }
    m->dms = pf_xrealloc(m->dms, (m->n_dms + 1) * sizeof(*m->dms));
    m->dms[m->n_dms].user = pf_xstrdup(p->to_user);
    m->dms[m->n_dms].channel = pf_xstrdup(id);
    m->n_dms++;
    p->channel = pf_xstrdup(id);
    json_decref(o);
    send_post(m, p);
}

static void
post_timer_cb(lws_sorted_usec_list_t *sul)
{
    struct mm *m = lws_container_of(sul, struct mm, post_sul);
    flush_posts(m);
}

static void
flush_posts(struct mm *m)
{
    struct post *p = m->posts;
    if (!p || p->inflight || m->state != S_READY)
        return;
    int64_t now = pf_now_us();
    if (p->not_before_us > now) {
        lws_sul_schedule(m->ctx, 0, &m->post_sul, post_timer_cb,
                         p->not_before_us - now);
        return;
    }
    if (!p->channel && p->room) {
        struct room *r = room_by_name(m, p->room);
        if (r && r->id)
            p->channel = pf_xstrdup(r->id);
    }
    if (!p->channel && p->to_user) {
        for (size_t i = 0; i < m->n_dms; i++)
            if (strcmp(m->dms[i].user, p->to_user) == 0)
                p->channel = pf_xstrdup(m->dms[i].channel);
        if (!p->channel) {
            char *body = pf_xasprintf("[\"%s\",\"%s\"]", m->me, p->to_user);
            p->inflight = 1;
            if (pf_http_request(m->http, "POST", "/api/v4/channels/direct",
                                body, on_direct_channel, m) != 0)
                post_later(m, p, backoff_us(m, p->tries));
            free(body);
            return;
        }
    }
    if (!p->channel) {
        pf_warn("mattermost: no channel for a post in %s; dropped",
                p->room ? p->room : "?");
        post_done(m, p, NULL);
        flush_posts(m);
        return;
    }
    if (p->again)
        look_for(m, p);
    else
        send_post(m, p);
}

static int
is_pending_key(struct mm *m, const char *key)
{
    for (struct post *p = m->posts; p; p = p->next)
        if (p->key && strcmp(p->key, key) == 0)
            return 1;
    return 0;
}

static int
add_post(struct mm *m, const char *room, const char *thread, const char *text,
         const char *key, int again)
{
    if (!room_by_name(m, room) || !key || !*key)
        return PF_EINVAL;
    if (is_pending_key(m, key))
        return PF_OK;
    struct post *p = pf_xcalloc(1, sizeof(*p));
    p->room = pf_xstrdup(room);
    p->root = thread && *thread ? pf_xstrdup(thread) : NULL;
    p->text = pf_xstrdup(text);
    p->key = pf_xstrdup(key);
    p->again = again;
    struct post **pp = &m->posts;
    while (*pp)
        pp = &(*pp)->next;
    *pp = p;
    flush_posts(m);
    return PF_OK;
}

/* ---- the connector ops ---- */

static int
op_start(struct pf_connector *c)
{
    struct mm *m = (struct mm *)c;
    m->stopped = 0;
    boot(m);
    return PF_OK;
}

static void
op_stop(struct pf_connector *c)
{
    struct mm *m = (struct mm *)c;
    m->stopped = 1;
    lws_sul_cancel(&m->boot_sul);
    lws_sul_cancel(&m->post_sul);
    pf_http_cancel(m->http, m);
    pf_ws_stop(m->ws);
    m->state = S_DOWN;
}

static int
op_join(struct pf_connector *c, const char *room)
{
    struct mm *m = (struct mm *)c;
    if (room_by_name(m, room))
        return PF_OK;
    const char *slash = strchr(room, '/');
    if (!is_id(room) &&
        (!slash || slash == room || !slash[1] || strchr(slash + 1, '/')))
        return PF_EINVAL;
    m->rooms = pf_xrealloc(m->rooms, (m->n_rooms + 1) * sizeof(*m->rooms));
    struct room *r = &m->rooms[m->n_rooms++];
    memset(r, 0, sizeof(*r));
    r->name = pf_xstrdup(room);
    if (m->state >= S_AUTH) {
        /* joined while running: found, then read like the others */
        m->boot_pending++;
        find_room(m, r);
        m->boot_pending--;
    }
    return PF_OK;
}

/* Mattermost refuses a post longer than 16383 characters (runes), its
   MaxPostSize since 5.0 */
#define MAX_POST_RUNES 16383

static int
op_fits(struct pf_connector *c, const char *to, const char *text)
{
    size_t runes = 0;
    (void)c;
    (void)to;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        runes += (*p & 0xC0) != 0x80;
    return runes <= MAX_POST_RUNES;
}

static int
op_post(struct pf_connector *c, const char *room, const char *thread,
        const char *text, const char *key)
{
    if (!op_fits(c, room, text)) {
        pf_warn("mattermost: a post in %s is over %d characters; not sent",
                room, MAX_POST_RUNES);
        return PF_ETOOBIG;
    }
    return add_post((struct mm *)c, room, thread, text, key, 0);
}

static int
op_post_again(struct pf_connector *c, const char *room, const char *thread,
              const char *text, const char *key)
{
    if (!op_fits(c, room, text))
        return PF_ETOOBIG;
    return add_post((struct mm *)c, room, thread, text, key, 1);
}

static int
op_direct(struct pf_connector *c, const char *user, const char *text)
{
    struct mm *m = (struct mm *)c;
    if (!is_id(user))
        return PF_EINVAL;
    if (!op_fits(c, user, text)) {
        pf_warn("mattermost: a direct message to %s is over %d characters; "
                "not sent",
                user, MAX_POST_RUNES);
        return PF_ETOOBIG;
    }
    struct post *p = pf_xcalloc(1, sizeof(*p));
    p->to_user = pf_xstrdup(user);
    p->text = pf_xstrdup(text);
    p->key = pf_xasprintf("dm-%lld-%u", (long long)(pf_wall_us() / 1000),
                          ++m->n_direct);
    struct post **pp = &m->posts;
    while (*pp)
        pp = &(*pp)->next;
    *pp = p;
    flush_posts(m);
    return PF_OK;
}

static void
on_fire(void *ud, const struct pf_http_resp *r)
{
    (void)ud;
    if (r->status / 100 != 2)
        api_error("a reaction or deletion", r);
}

static int
op_react(struct pf_connector *c, const char *room, const char *msg_id,
         const char *emoji)
{
    struct mm *m = (struct mm *)c;
    (void)room;
    if (!m->me[0] || !is_id(msg_id))
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
    json_t *o = json_pack("{s:s, s:s, s:s}", "user_id", m->me, "post_id",
                          msg_id, "emoji_name", name);
    char *body = json_dumps(o, JSON_COMPACT);
    pf_http_request(m->http, "POST", "/api/v4/reactions", body, on_fire, m);
    free(body);
    json_decref(o);
    return PF_OK;
}

static int
op_del(struct pf_connector *c, const char *room, const char *msg_id)
{
    struct mm *m = (struct mm *)c;
    (void)room;
    if (!is_id(msg_id))
        return PF_EINVAL;
    char *path = pf_xasprintf("/api/v4/posts/%s", msg_id);
    pf_http_request(m->http, "DELETE", path, NULL, on_fire, m);
    free(path);
    return PF_OK;
}

static int
op_ready(struct pf_connector *c)
{
    return ((struct mm *)c)->state == S_READY;
}

static void
op_resume_after(struct pf_connector *c, const char *room, const char *msg_id)
{
    struct mm *m = (struct mm *)c;
    struct room *r = room_by_name(m, room);
    if (!r || !is_id(msg_id))
        return;
    free(r->last_id);
    r->last_id = pf_xstrdup(msg_id);
    m->lost = 1;
}

static int
op_addressable(struct pf_connector *c, const char *user_id)
{
    (void)c;
    return is_id(user_id);
}

static void
op_destroy(struct pf_connector *c)
{
    struct mm *m = (struct mm *)c;
    if (!m)
        return;
    lws_sul_cancel(&m->boot_sul);
    lws_sul_cancel(&m->post_sul);
    pf_ws_free(m->ws);
    pf_http_free(m->http); /* no callback comes after this */
    while (m->rreqs)
        rreq_free(m->rreqs);
    for (size_t i = 0; i < m->n_rooms; i++) {
        struct room *r = &m->rooms[i];
        for (size_t k = 0; k < r->n_members; k++) {
            free(r->members[k].id);
            free(r->members[k].name);
        }
        free(r->members);
        free(r->name);
        free(r->id);
        free(r->last_id);
    }
    free(m->rooms);
    for (size_t i = 0; i < m->n_dms; i++) {
        free(m->dms[i].user);
        free(m->dms[i].channel);
    }
    free(m->dms);
    while (m->posts) {
        struct post *p = m->posts;
        m->posts = p->next;
        post_free(p);
    }
    for (size_t i = 0; i < SEEN_MAX; i++)
        free(m->seen[i]);
    if (m->token)
        sodium_free(m->token);
    free(m->conn_id);
    free(m->my_name);
    free(m->url);
    free(m);
}

static const struct pf_connector_ops mm_ops = {
    "mattermost",   op_start,   op_stop,       op_join,
    op_post,        op_direct,  op_react,      op_del,
    op_ready,       op_destroy, op_post_again, op_resume_after,
    op_addressable, 1,          op_fits,       NULL,
    NULL,           NULL, /* no buttons of its own */
    NULL,                 /* its read-back has every reply */
};

struct pf_connector *
pf_mattermost_new(struct lws_context *ctx, const struct pf_mattermost_opts *o,
                  pf_event_cb cb, void *ud, char *err, size_t errlen)
{
    const char *url = o->url ? o->url : "";
    int tls = strncmp(url, "https://", 8) == 0;
    if (!tls && strncmp(url, "http://", 7) != 0) {
        pf_snprintf(err, errlen, "'%s' is not an http:// or https:// URL", url);
        return NULL;
    }
    if (!o->token || !*o->token) {
        pf_snprintf(err, errlen, "no token");
        return NULL;
    }
    struct mm *m = pf_xcalloc(1, sizeof(*m));
    m->base.ops = &mm_ops;
    m->base.cb = cb;
    m->base.ud = ud;
    m->ctx = ctx;
    m->next_seq = -1;
    m->url = pf_xstrdup(url);
    size_t ul = strlen(m->url);
    while (ul && m->url[ul - 1] == '/')
        m->url[--ul] = '\0';
    m->rmin = o->reconnect_min_ms > 0 ? o->reconnect_min_ms : 500;
    m->rmax = o->reconnect_max_ms > m->rmin ? o->reconnect_max_ms : m->rmin;
    size_t tl = strlen(o->token);
    m->token = sodium_malloc(tl + 1);
    if (!m->token)
        pf_die("out of memory");
    memcpy(m->token, o->token, tl + 1);
    char *auth = pf_xasprintf("Bearer %s", o->token);
    m->http = pf_http_new(ctx, m->url, auth, "mattermost",
                          o->max_frame ? o->max_frame * 4 : 0, err, errlen);
    sodium_memzero(auth, strlen(auth));
    free(auth);
    if (!m->http) {
        op_destroy(&m->base);
        return NULL;
    }
    char *ws_url = pf_xasprintf("%s%s/api/v4/websocket", tls ? "wss" : "ws",
                                m->url + (tls ? 5 : 4));
    struct pf_ws_opts wo;
    memset(&wo, 0, sizeof(wo));
    wo.url = ws_url;
    wo.name = "mattermost";
    m->max_frame = o->max_frame ? o->max_frame : 1024 * 1024;
    wo.max_message = m->max_frame;
    wo.reconnect_min_ms = m->rmin;
    wo.reconnect_max_ms = m->rmax;
    wo.ping_s = o->ping_s;
    wo.no_origin = 1;
    m->ws = pf_ws_new(ctx, &wo, &ws_ops, m, err, errlen);
    free(ws_url);
    if (!m->ws) {
        op_destroy(&m->base);
        return NULL;
    }
    return &m->base;
}

void
pf_mattermost_pretend(struct pf_connector *c, const char *me, const char *room,
                      const char *channel_id)
{
    struct mm *m = (struct mm *)c;
    pf_snprintf(m->me, sizeof(m->me), "%s", me);
    op_join(c, room);
    struct room *r = room_by_name(m, room);
    if (r && !r->id)
        r->id = pf_xstrdup(channel_id);
    m->state = S_READY;
}
