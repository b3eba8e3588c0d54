/*
 * mmemu.c - a Mattermost server emulator for the tests: the parts of API
 * v4 that pokerface uses, with the real paths, status codes, field names
 * and encodings (see the reference notes, chat-protocols.md section 1,
 * and the server's model/post.go, model/reaction.go, model/channel.go,
 * model/websocket_message.go, platform/web_conn.go).
 *
 *   mmemu WORLD.json PORT_FILE [LOG_FILE]
 *
 * WORLD.json: {"team": {"id", "name"}, "users": [{"id", "username",
 * "token", "is_bot"}], "channels": [{"id", "name", "display_name",
 * "type", "members": [user ids]}], "pending_post_ttl_ms": 30000,
 * "read_back_delay_ms": 0}: a read-back (GET .../posts?after=) is
 * answered that much later, as a busy server would. The port it
 * listens on (on 127.0.0.1) is written to PORT_FILE; every REST call and
 * WebSocket session is logged, one line each, to LOG_FILE (or stdout).
 *
 * With MMEMU_TRACE=FILE in the environment, every JSON text it sends or
 * receives is written there, one per line, tagged: EVENT (WebSocket
 * events), REPLY (answers to WebSocket requests), WSREQ (those requests),
 * REQ METHOD PATH (REST request bodies), RESP METHOD PATH STATUS (REST
 * response bodies). The fidelity tests compare them with the fixtures.
 *
 * On demand, by signal:
 *   SIGUSR1  drop every WebSocket; sessions can be resumed
 *   SIGUSR2  drop every WebSocket and forget the sessions (resumption
 *            fails: a new connection_id and hello)
 *   SIGWINCH the same for bot accounts only: everyone else stays
 *            connected (the bot alone has to read back what it missed)
 *   SIGHUP   the next two POST /api/v4/posts get 429, Retry-After: 1
 *   SIGTERM  exit
 *
 * What it models of the real server:
 *  - REST: Authorization: Bearer <token>; a bad token is 401 with the
 *    AppError shape; a channel the user is not in is 403;
 *  - WebSocket /api/v4/websocket: authentication_challenge (a bad token
 *    closes the socket, no reply); requests with seq <= 0 or no action
 *    get FAIL; ping answers pong; events carry event, data, broadcast
 *    and a per-connection seq from 0 (hello);
 *  - a connection that goes away stays resumable: events for it are
 *    kept (up to 128) and replayed when it comes back with its
 *    connection_id and sequence_number; otherwise a new hello;
 *  - posted / post_edited / post_deleted carry the post as a JSON
 *    string; reaction_added the reaction as a JSON string;
 *  - pending_post_id: a second create within 30 s returns the first post.
 */
#include <jansson.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/util.h"

#define DEAD_MAX 128
#define PENDING_TTL_MS 30000
#define MAX_BODY (1024 * 1024)

struct user {
    char *id, *username, *token;
    int is_bot;
};

struct channel {
    char *id, *name, *display_name, *type;
    char **members;
    size_t n_members;
    int64_t create_at;
};

struct post {
    json_t *j; /* the post as the API shows it */
    char *pending;
    int64_t pending_at;
};

struct session; /* a WebSocket connection, live or resumable */

struct conn {
    struct lws *wsi;
    struct session *s;
    char qid[64];
    long long qseq;
    int authed;
    char **out;
    size_t n_out, cap_out;
    int closing;
};

struct session {
    char id[27];
    struct user *u;
    long long next_seq;
    struct conn *live;
    char *dead[DEAD_MAX]; /* the last events sent or kept, by seq */
    long long dead_seq[DEAD_MAX];
    size_t n_dead;
};

/* per lws connection: one HTTP request, or a WebSocket */
struct pss {
    char method[8];
    char path[512];
    char query[1024];
    struct user *u;
    struct pf_buf body;
    int too_big;
    /* the response */
    char *resp;
    size_t resp_len, resp_off;
    struct conn *ws;
    /* a response held back (read_back_delay_ms), sent when this fires */
    lws_sorted_usec_list_t later;
    struct lws *wsi;
    int64_t delay_us;
};

static struct {
    char *team_id, *team_name;
    struct user *users;
    size_t n_users;
    struct channel *channels;
    size_t n_channels;
    struct post *posts;
    size_t n_posts;
    struct session **sessions;
    size_t n_sessions;
    struct lws_context *ctx;
    FILE *log, *trace;
    int throttle;
    long long pending_ttl_ms;     /* the world's "pending_post_ttl_ms" */
    long long read_back_delay_ms; /* the world's "read_back_delay_ms" */
    volatile sig_atomic_t sig_drop, sig_forget, sig_forget_bots, sig_throttle,
        sig_stop;
} W;

static void
logf_(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(W.log, fmt, ap);
    va_end(ap);
    fputc('\n', W.log);
    fflush(W.log);
}

static void
trace(const char *tag, const char *json)
{
    if (!W.trace)
        return;
    fprintf(W.trace, "%s %s\n", tag, json);
    fflush(W.trace);
}

static int64_t
now_ms(void)
{
    return pf_wall_us() / 1000;
}

/* model.NewId: 26 characters of Mattermost's base32 alphabet */
static void
new_id(char out[27])
{
    static const char a[] = "ybndrfg8ejkmcpqxot1uwisza345h769";
    for (int i = 0; i < 26; i++)
        out[i] = a[rand() % 32];
    out[26] = '\0';
}

static struct user *
user_by_token(const char *t)
{
    for (size_t i = 0; i < W.n_users; i++)
        if (*t && strcmp(W.users[i].token, t) == 0)
            return &W.users[i];
    return NULL;
}

static struct user *
user_by_id(const char *id)
{
    for (size_t i = 0; i < W.n_users; i++)
        if (strcmp(W.users[i].id, id) == 0)
            return &W.users[i];
    return NULL;
}

static struct channel *
channel_by_id(const char *id)
{
    for (size_t i = 0; i < W.n_channels; i++)
        if (strcmp(W.channels[i].id, id) == 0)
            return &W.channels[i];
    return NULL;
}

static int
is_member(const struct channel *c, const struct user *u)
{
    for (size_t i = 0; i < c->n_members; i++)
        if (strcmp(c->members[i], u->id) == 0)
            return 1;
    return 0;
}

static json_t *
user_json(const struct user *u)
{
    return json_pack("{s:s, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, "
                     "s:s, s:b}",
                     "id", u->id, "create_at", (json_int_t)1700000000000,
                     "update_at", (json_int_t)1700000000000, "delete_at",
                     (json_int_t)0, "username", u->username, "auth_service", "",
                     "email", "", "nickname", "", "first_name", "", "last_name",
                     "", "roles", u->is_bot ? "system_user" : "system_user",
                     "is_bot", u->is_bot);
}

static json_t *
channel_json(const struct channel *c)
{
    return json_pack(
        "{s:s, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, "
        "s:I, s:I, s:I, s:s}",
        "id", c->id, "create_at", (json_int_t)c->create_at, "update_at",
        (json_int_t)c->create_at, "delete_at", (json_int_t)0, "team_id",
        strcmp(c->type, "D") ? W.team_id : "", "type", c->type, "display_name",
        c->display_name, "name", c->name, "header", "", "purpose", "",
        "last_post_at", (json_int_t)0, "total_msg_count", (json_int_t)0,
        "extra_update_at", (json_int_t)0, "creator_id", "");
}

/* ---- events ---- */

static void conn_queue(struct conn *c, const char *s);

static void
session_send(struct session *s, json_t *ev)
{
    json_object_set_new(ev, "seq", json_integer(s->next_seq));
    char *txt = json_dumps(ev, JSON_COMPACT);
    /* kept for a resumption either way; sent when connected */
    size_t slot = (size_t)(s->next_seq % DEAD_MAX);
    free(s->dead[slot]);
    s->dead[slot] = pf_xstrdup(txt);
    s->dead_seq[slot] = s->next_seq;
    if (s->n_dead < DEAD_MAX)
        s->n_dead++;
    s->next_seq++;
    trace("EVENT", txt);
    if (s->live && s->live->authed)
        conn_queue(s->live, txt);
    free(txt);
}

static json_t *
broadcast(const char *channel_id, const char *user_id)
{
    return json_pack("{s:n, s:s, s:s, s:s, s:s, s:s}", "omit_users", "user_id",
                     user_id ? user_id : "", "channel_id",
                     channel_id ? channel_id : "", "team_id", "",
                     "connection_id", "", "omit_connection_id", "");
}

/* an event to every session of every member of channel c */
static void
to_channel(const struct channel *c, const char *event, json_t *data)
{
    for (size_t i = 0; i < W.n_sessions; i++) {
        struct session *s = W.sessions[i];
        if (!is_member(c, s->u))
            continue;
        json_t *ev = json_pack("{s:s, s:O, s:o}", "event", event, "data", data,
                               "broadcast", broadcast(c->id, NULL));
        session_send(s, ev);
        json_decref(ev);
    }
    json_decref(data);
}

static void
hello(struct session *s)
{
    json_t *ev =
        json_pack("{s:s, s:{s:s, s:s, s:s}, s:o}", "event", "hello", "data",
                  "server_version", "10.5.0.12345.abcdef0123456789.false",
                  "connection_id", s->id, "server_hostname", "mmemu",
                  "broadcast", broadcast(NULL, s->u->id));
    session_send(s, ev);
    json_decref(ev);
}

static char *
post_string(const json_t *p)
{
    return json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

static void
post_event(const char *event, const json_t *p, const struct user *sender)
{
    struct channel *c =
        channel_by_id(json_string_value(json_object_get(p, "channel_id")));
    if (!c)
        return;
    char *ps = post_string(p);
    json_t *data;
    if (strcmp(event, "posted") == 0) {
        data = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s}",
                         "channel_display_name", c->display_name,
                         "channel_name", c->name, "channel_type", c->type,
                         "post", ps, "sender_name", "", "set_online", 1,
                         "team_id", strcmp(c->type, "D") ? W.team_id : "");
        char *sn = pf_xasprintf("@%s", sender->username);
        json_object_set_new(data, "sender_name", json_string(sn));
        free(sn);
    } else {
        data = json_pack("{s:s}", "post", ps);
    }
    free(ps);
    to_channel(c, event, data);
}

/* ---- the WebSocket ---- */

static void
conn_queue(struct conn *c, const char *s)
{
    if (c->n_out == c->cap_out) {
        c->cap_out = c->cap_out ? 2 * c->cap_out : 16;
        c->out = pf_xrealloc(c->out, c->cap_out * sizeof(*c->out));
    }
    c->out[c->n_out++] = pf_xstrdup(s);
    lws_callback_on_writable(c->wsi);
}

static void
reply(struct conn *c, long long seq, const char *status, json_t *extra)
{
    json_t *o =
        json_pack("{s:s, s:I}", "status", status, "seq_reply", (json_int_t)seq);
    if (extra)
        json_object_update(o, extra);
    char *s = json_dumps(o, JSON_COMPACT);
    trace("REPLY", s);
    conn_queue(c, s);
    free(s);
    json_decref(o);
    json_decref(extra);
}

static struct session *
new_session(struct user *u)
{
    struct session *s = pf_xcalloc(1, sizeof(*s));
    new_id(s->id);
    s->u = u;
    W.sessions =
        pf_xrealloc(W.sessions, (W.n_sessions + 1) * sizeof(*W.sessions));
    W.sessions[W.n_sessions++] = s;
    return s;
}

static void
session_free(struct session *s)
{
    for (size_t i = 0; i < DEAD_MAX; i++)
        free(s->dead[i]);
    free(s);
}

/* authenticated: resume the session asked for, or start a new one */
static void
attach(struct conn *c, struct user *u)
{
    struct session *s = NULL;
    for (size_t i = 0; i < W.n_sessions && c->qid[0]; i++)
        if (strcmp(W.sessions[i]->id, c->qid) == 0 && W.sessions[i]->u == u &&
            !W.sessions[i]->live)
            s = W.sessions[i];
    c->authed = 1;
    if (s && c->qseq > 0) {
        s->live = c;
        c->s = s;
        long long oldest = s->next_seq - (long long)s->n_dead;
        if (c->qseq >= oldest && c->qseq <= s->next_seq) {
            /* everything it missed is still here */
            for (long long q = c->qseq; q < s->next_seq; q++)
                conn_queue(c, s->dead[q % DEAD_MAX]);
            logf_("WS resume %s user=%s from seq %lld: %lld event(s) "
                  "replayed",
                  s->id, u->username, c->qseq, s->next_seq - c->qseq);
            return;
        }
        /* lost: a new connection id, seq from 0, hello */
        for (size_t i = 0; i < DEAD_MAX; i++) {
            free(s->dead[i]);
            s->dead[i] = NULL;
        }
        s->n_dead = 0;
        new_id(s->id);
        s->next_seq = 0;
        logf_("WS resume failed user=%s: new connection %s", u->username,
              s->id);
        hello(s);
        return;
    }
    s = new_session(u);
    s->live = c;
    c->s = s;
    logf_("WS connect user=%s connection %s%s", u->username, s->id,
          c->qid[0] ? " (the one asked for is unknown)" : "");
    hello(s);
}

static int
ws_receive(struct conn *c, const char *in, size_t len)
{
    json_t *o = json_loadb(in, len, 0, NULL);
    if (W.trace) {
        char *t = pf_xstrndup(in, len);
        trace("WSREQ", t);
        free(t);
    }
    json_t *seqv = json_object_get(o, "seq");
    const char *action = json_string_value(json_object_get(o, "action"));
    long long seq = json_is_integer(seqv) ? json_integer_value(seqv) : 0;
    if (!o || seq <= 0 || !action) {
        reply(c, seq, "FAIL",
              json_pack("{s:{s:s, s:s, s:s, s:i}}", "error", "id",
                        "api.web_socket_router.bad_seq.app_error", "message",
                        "Invalid sequence for WebSocket message.",
                        "detailed_error", "", "status_code", 400));
        json_decref(o);
        return 0;
    }
    if (strcmp(action, "authentication_challenge") == 0) {
        if (c->authed) {
            json_decref(o);
            return 0; /* already authenticated: the server says nothing */
        }
        const char *tok = json_string_value(
            json_object_get(json_object_get(o, "data"), "token"));
        struct user *u = user_by_token(tok ? tok : "");
        json_decref(o);
        if (!u) {
            logf_("WS bad token: closing");
            return -1; /* no reply: the socket closes */
        }
        reply(c, seq, "OK", NULL);
        attach(c, u);
        return 0;
    }
    if (!c->authed) {
        reply(c, seq, "FAIL",
              json_pack("{s:{s:s, s:s, s:s, s:i}}", "error", "id",
                        "api.web_socket_router.not_authenticated.app_error",
                        "message", "You are not authenticated.",
                        "detailed_error", "", "status_code", 401));
    } else if (strcmp(action, "ping") == 0) {
        reply(c, seq, "OK",
              json_pack("{s:{s:s, s:s, s:I, s:s}}", "data", "text", "pong",
                        "version", "10.5.0", "server_time",
                        (json_int_t)now_ms(), "node_id", ""));
    } else {
        reply(c, seq, "FAIL",
              json_pack("{s:{s:s, s:s, s:s, s:i}}", "error", "id",
                        "api.web_socket_router.bad_action.app_error", "message",
                        "An unknown action was received.", "detailed_error", "",
                        "status_code", 501));
    }
    json_decref(o);
    return 0;
}

/* ---- REST ---- */

static void
send_later_cb(lws_sorted_usec_list_t *sul)
{
    struct pss *p = lws_container_of(sul, struct pss, later);
    lws_callback_on_writable(p->wsi);
}

static void
respond(struct lws *wsi, struct pss *p, int status, json_t *body,
        int retry_after)
{
    char *txt = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER)
                     : pf_xstrdup("");
    json_decref(body);
    unsigned char buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *q = start,
                                       *end = buf + sizeof(buf) - 1;
    size_t n = strlen(txt);
    logf_("%s %s%s%s %d", p->method, p->path, p->query[0] ? "?" : "", p->query,
          status);
    if (W.trace && n) {
        char tag[600];
        pf_snprintf(tag, sizeof(tag), "RESP %s %s %d", p->method, p->path,
                    status);
        trace(tag, txt);
    }
    if (lws_add_http_common_headers(wsi, (unsigned)status, "application/json",
                                    n, &q, end))
        goto fail;
    if (retry_after) {
        char v[32], reset[32];
        snprintf(v, sizeof(v), "%d", retry_after);
        snprintf(reset, sizeof(reset), "%d", retry_after);
        if (lws_add_http_header_by_name(wsi,
                                        (const unsigned char *)"X-RateLimit-"
                                                               "Limit:",
                                        (const unsigned char *)"10", 2, &q,
                                        end) ||
            lws_add_http_header_by_name(
                wsi, (const unsigned char *)"X-RateLimit-Remaining:",
                (const unsigned char *)"0", 1, &q, end) ||
            lws_add_http_header_by_name(
                wsi, (const unsigned char *)"X-RateLimit-Reset:",
                (const unsigned char *)reset, (int)strlen(reset), &q, end) ||
            lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_RETRY_AFTER,
                                         (const unsigned char *)v,
                                         (int)strlen(v), &q, end))
            goto fail;
    }
    if (lws_finalize_write_http_header(wsi, start, &q, end))
        goto fail;
    p->resp = txt;
    p->resp_len = n;
    p->resp_off = 0;
    if (p->delay_us > 0) {
        p->wsi = wsi;
        lws_sul_schedule(W.ctx, 0, &p->later, send_later_cb, p->delay_us);
        p->delay_us = 0; /* the next request on this connection is not */
        return;
    }
    lws_callback_on_writable(wsi);
    return;
fail:
    free(txt);
}

static json_t *
app_error(const char *id, const char *message, int status)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:i}", "id", id, "message", message,
                     "detailed_error", "", "request_id", "mmemu", "status_code",
                     status);
}

/* 403: not a member of the channel, not the post's author */
static void
forbidden(struct lws *wsi, struct pss *p)
{
    respond(wsi, p, 403,
            app_error("api.context.permissions.app_error",
                      "You do not have the appropriate permissions.", 403),
            0);
}

static void
no_such_post(struct lws *wsi, struct pss *p)
{
    respond(wsi, p, 404,
            app_error("app.post.get.app_error", "Unable to get post.", 404), 0);
}

static const char *
query_arg(const struct pss *p, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    const char *q = p->query;
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t l = amp ? (size_t)(amp - q) : strlen(q);
        if (l > nl && strncmp(q, name, nl) == 0 && q[nl] == '=') {
            pf_snprintf(out, outlen, "%.*s", (int)(l - nl - 1), q + nl + 1);
            return out;
        }
        q += l + (amp ? 1 : 0);
    }
    return NULL;
}

static json_t *
find_post(const char *id)
{
    for (size_t i = 0; i < W.n_posts; i++)
        if (strcmp(json_string_value(json_object_get(W.posts[i].j, "id")),
                   id) == 0)
            return W.posts[i].j;
    return NULL;
}

static void
create_post(struct lws *wsi, struct pss *p)
{
    json_t *in =
        json_loadb(p->body.data ? p->body.data : "", p->body.len, 0, NULL);
    const char *cid = json_string_value(json_object_get(in, "channel_id"));
    const char *msg = json_string_value(json_object_get(in, "message"));
    const char *root = json_string_value(json_object_get(in, "root_id"));
    const char *pending =
        json_string_value(json_object_get(in, "pending_post_id"));
    json_t *props = json_object_get(in, "props");
    struct channel *c = cid ? channel_by_id(cid) : NULL;
    if (!in || !cid) {
        respond(wsi, p, 400,
                app_error("api.context.invalid_body_param.app_error",
                          "Invalid or missing post in request body.", 400),
                0);
        goto out;
    }
    if (!c || !is_member(c, p->u)) {
        forbidden(wsi, p);
        goto out;
    }
    if (W.throttle > 0) {
        W.throttle--;
        respond(wsi, p, 429, NULL, 1);
        goto out;
    }
    /* the server counts characters (runes), as utf8.RuneCountInString:
       more than PostMessageMaxRunesV2 (16383) is refused */
    size_t runes = 0;
    for (const char *q = msg ? msg : ""; *q; q++)
        runes += ((unsigned char)*q & 0xC0) != 0x80;
    if (!msg || runes > 16383) {
        respond(wsi, p, 400,
                app_error("model.post.is_valid.msg.app_error",
                          "Invalid message.", 400),
                0);
        goto out;
    }
    if (root && *root) {
        /* the store looks the root up among posts not deleted */
        json_t *r = find_post(root);
        if (!r || json_integer_value(json_object_get(r, "delete_at")) ||
            strcmp(json_string_value(json_object_get(r, "channel_id")), cid) !=
                0) {
            respond(wsi, p, 400,
                    app_error("api.post.create_post.root_id.app_error",
                              "Invalid RootId parameter.", 400),
                    0);
            goto out;
        }
    }
    int64_t now = now_ms();
    if (pending && *pending)
        for (size_t i = 0; i < W.n_posts; i++)
            if (W.posts[i].pending &&
                strcmp(W.posts[i].pending, pending) == 0 &&
                now - W.posts[i].pending_at < W.pending_ttl_ms) {
                logf_("dedupe pending_post_id=%s", pending);
                respond(wsi, p, 201, json_incref(W.posts[i].j), 0);
                goto out;
            }
    char id[27];
    new_id(id);
    json_t *pr = json_is_object(props) ? json_incref(props) : json_object();
    json_t *post = json_pack(
        "{s:s, s:I, s:I, s:I, s:I, s:b, s:s, s:s, s:s, s:s, s:s, s:s, "
        "s:o, s:s, s:[], s:s, s:I, s:I, s:n, s:{}}",
        "id", id, "create_at", (json_int_t)now, "update_at", (json_int_t)now,
        "edit_at", (json_int_t)0, "delete_at", (json_int_t)0, "is_pinned", 0,
        "user_id", p->u->id, "channel_id", cid, "root_id", root ? root : "",
        "original_id", "", "message", msg, "type", "", "props", pr, "hashtags",
        "", "file_ids", "pending_post_id", pending ? pending : "",
        "reply_count", (json_int_t)0, "last_reply_at", (json_int_t)0,
        "participants", "metadata");
    W.posts = pf_xrealloc(W.posts, (W.n_posts + 1) * sizeof(*W.posts));
    W.posts[W.n_posts].j = post;
    W.posts[W.n_posts].pending =
        pending && *pending ? pf_xstrdup(pending) : NULL;
    W.posts[W.n_posts].pending_at = now;
    W.n_posts++;
    respond(wsi, p, 201, json_incref(post), 0);
    post_event("posted", post, p->u);
out:
    json_decref(in);
}

static void
channel_posts(struct lws *wsi, struct pss *p, struct channel *c)
{
    char after[64], since[32], per[16];
    int per_page = query_arg(p, "per_page", per, sizeof(per)) ? atoi(per) : 60;
    if (per_page <= 0 || per_page > 200)
        per_page = 60;
    const char *a = query_arg(p, "after", after, sizeof(after));
    const char *sn = query_arg(p, "since", since, sizeof(since));
    long long since_ms = sn ? atoll(sn) : 0;
    int64_t after_at = -1;
    if (a && *a) {
        json_t *ap = find_post(a);
        if (!ap) {
            no_such_post(wsi, p);
            return;
        }
        after_at =
            (int64_t)json_integer_value(json_object_get(ap, "create_at"));
    }
    if (a)
        p->delay_us = W.read_back_delay_ms * 1000;
    json_t *order = json_array(), *posts = json_object();
    /* newest first; "after": the oldest ones after the post, up to
       per_page */
    size_t idx[4096], n = 0;
    for (size_t i = W.n_posts; i-- > 0 && n < 4096;) {
        json_t *q = W.posts[i].j;
        if (strcmp(json_string_value(json_object_get(q, "channel_id")),
                   c->id) != 0)
            continue;
        int64_t at =
            (int64_t)json_integer_value(json_object_get(q, "create_at"));
        int64_t up =
            (int64_t)json_integer_value(json_object_get(q, "update_at"));
        if (a &&
            (at < after_at ||
             (at == after_at &&
              strcmp(json_string_value(json_object_get(q, "id")), a) == 0)))
            continue;
        if (sn && up <= since_ms)
            continue;
        if (!sn && json_integer_value(json_object_get(q, "delete_at")))
            continue;
        idx[n++] = i;
    }
    size_t from = 0;
    if (a && n > (size_t)per_page)
        from = n - (size_t)per_page; /* the oldest per_page of them */
    size_t to = a ? n : (n < (size_t)per_page ? n : (size_t)per_page);
    for (size_t k = from; k < to; k++) {
        json_t *q = W.posts[idx[k]].j;
        const char *id = json_string_value(json_object_get(q, "id"));
        json_array_append_new(order, json_string(id));
        json_object_set(posts, id, q);
    }
    respond(wsi, p, 200,
            json_pack("{s:o, s:o, s:s, s:s, s:b}", "order", order, "posts",
                      posts, "next_post_id", "", "prev_post_id", "", "has_next",
                      0),
            0);
}

static void
handle(struct lws *wsi, struct pss *p)
{
    const char *path = p->path;
    if (!p->u) {
        respond(wsi, p, 401,
                app_error("api.context.session_expired.app_error",
                          "Invalid or expired session, please login again.",
                          401),
                0);
        return;
    }
    int get = strcmp(p->method, "GET") == 0;
    int post = strcmp(p->method, "POST") == 0;
    int put = strcmp(p->method, "PUT") == 0;
    int del = strcmp(p->method, "DELETE") == 0;
    char a[128], b[128];
    if (W.trace && p->body.len) {
        char tag[600];
        char *t = pf_xstrndup(p->body.data, p->body.len);
        pf_snprintf(tag, sizeof(tag), "REQ %s %s", p->method, path);
        trace(tag, t);
        free(t);
    }
    if (put && sscanf(path, "/api/v4/posts/%127[^/]/patc%1[h]", a, b) == 2) {
        json_t *q = find_post(a);
        json_t *in =
            json_loadb(p->body.data ? p->body.data : "", p->body.len, 0, NULL);
        const char *msg = json_string_value(json_object_get(in, "message"));
        if (!q || json_integer_value(json_object_get(q, "delete_at"))) {
            no_such_post(wsi, p);
        } else if (strcmp(json_string_value(json_object_get(q, "user_id")),
                          p->u->id) != 0) {
            forbidden(wsi, p);
        } else {
            if (msg) {
                int64_t now = now_ms();
                json_object_set_new(q, "message", json_string(msg));
                json_object_set_new(q, "edit_at", json_integer(now));
                json_object_set_new(q, "update_at", json_integer(now));
            }
            respond(wsi, p, 200, json_incref(q), 0);
            post_event("post_edited", q, p->u);
        }
        json_decref(in);
        return;
    }
    if (get && strcmp(path, "/api/v4/users/me") == 0) {
        respond(wsi, p, 200, user_json(p->u), 0);
        return;
    }
    if (get && strcmp(path, "/api/v4/users") == 0) {
        char ch[64];
        struct channel *c = query_arg(p, "in_channel", ch, sizeof(ch))
                                ? channel_by_id(ch)
                                : NULL;
        if (!c || !is_member(c, p->u)) {
            forbidden(wsi, p);
            return;
        }
        json_t *arr = json_array();
        for (size_t i = 0; i < c->n_members; i++)
            json_array_append_new(arr, user_json(user_by_id(c->members[i])));
        respond(wsi, p, 200, arr, 0);
        return;
    }
    if (get && sscanf(path, "/api/v4/teams/name/%127[^/]/channels/name/%127s",
                      a, b) == 2) {
        for (size_t i = 0; i < W.n_channels; i++) {
            struct channel *c = &W.channels[i];
            if (strcmp(a, W.team_name) == 0 && strcmp(c->name, b) == 0 &&
                (strcmp(c->type, "P") != 0 || is_member(c, p->u))) {
                respond(wsi, p, 200, channel_json(c), 0);
                return;
            }
        }
        respond(wsi, p, 404,
                app_error("app.channel.get_by_name.missing.app_error",
                          "Channel does not exist.", 404),
                0);
        return;
    }
    if (get && sscanf(path, "/api/v4/channels/%127[^/]/post%1[s]", a, b) == 2) {
        struct channel *c = channel_by_id(a);
        if (!c || !is_member(c, p->u)) {
            forbidden(wsi, p);
            return;
        }
        channel_posts(wsi, p, c);
        return;
    }
    if (post && strcmp(path, "/api/v4/posts") == 0) {
        create_post(wsi, p);
        return;
    }
    if (del && sscanf(path, "/api/v4/posts/%127s", a) == 1) {
        json_t *q = find_post(a);
        if (!q || json_integer_value(json_object_get(q, "delete_at"))) {
            no_such_post(wsi, p);
            return;
        }
        if (strcmp(json_string_value(json_object_get(q, "user_id")),
                   p->u->id) != 0) {
            forbidden(wsi, p);
            return;
        }
        int64_t now = now_ms();
        json_object_set_new(q, "delete_at", json_integer(now));
        json_object_set_new(q, "update_at", json_integer(now));
        /* as the post store does: a thread's replies go with its root
           (one event, for the root) */
        for (size_t i = 0; i < W.n_posts; i++) {
            json_t *rp = W.posts[i].j;
            const char *root =
                json_string_value(json_object_get(rp, "root_id"));
            if (root && strcmp(root, a) == 0 &&
                !json_integer_value(json_object_get(rp, "delete_at"))) {
                json_object_set_new(rp, "delete_at", json_integer(now));
                json_object_set_new(rp, "update_at", json_integer(now));
            }
        }
        respond(wsi, p, 200, json_pack("{s:s}", "status", "OK"), 0);
        post_event("post_deleted", q, p->u);
        return;
    }
    if (post && strcmp(path, "/api/v4/reactions") == 0) {
        json_t *in =
            json_loadb(p->body.data ? p->body.data : "", p->body.len, 0, NULL);
        const char *uid = json_string_value(json_object_get(in, "user_id"));
        const char *pid = json_string_value(json_object_get(in, "post_id"));
        const char *name = json_string_value(json_object_get(in, "emoji_name"));
        json_t *q = pid ? find_post(pid) : NULL;
        struct channel *c = q ? channel_by_id(json_string_value(
                                    json_object_get(q, "channel_id")))
                              : NULL;
        if (!uid || !name || strcmp(uid, p->u->id) != 0) {
            respond(wsi, p, 400,
                    app_error("api.context.invalid_body_param.app_error",
                              "Invalid or missing reaction in request body.",
                              400),
                    0);
        } else if (!c || !is_member(c, p->u)) {
            forbidden(wsi, p);
        } else {
            json_t *r =
                json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s}", "user_id",
                          uid, "post_id", pid, "emoji_name", name, "create_at",
                          (json_int_t)now_ms(), "update_at",
                          (json_int_t)now_ms(), "delete_at", (json_int_t)0,
                          "remote_id", "", "channel_id", c->id);
            respond(wsi, p, 200, json_incref(r), 0);
            char *rs = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER);
            to_channel(c, "reaction_added", json_pack("{s:s}", "reaction", rs));
            free(rs);
            json_decref(r);
        }
        json_decref(in);
        return;
    }
    if (post && strcmp(path, "/api/v4/channels/direct") == 0) {
        json_t *in =
            json_loadb(p->body.data ? p->body.data : "", p->body.len, 0, NULL);
        const char *u1 = json_string_value(json_array_get(in, 0));
        const char *u2 = json_string_value(json_array_get(in, 1));
        if (json_array_size(in) != 2 || !u1 || !u2 || !user_by_id(u1) ||
            !user_by_id(u2) || (strcmp(u1, p->u->id) && strcmp(u2, p->u->id))) {
            respond(wsi, p, 400,
                    app_error("api.context.invalid_body_param.app_error",
                              "Invalid or missing user_ids in request body.",
                              400),
                    0);
            json_decref(in);
            return;
        }
        char name[64];
        snprintf(name, sizeof(name), "%s__%s", strcmp(u1, u2) < 0 ? u1 : u2,
                 strcmp(u1, u2) < 0 ? u2 : u1);
        struct channel *c = NULL;
        for (size_t i = 0; i < W.n_channels; i++)
            if (strcmp(W.channels[i].name, name) == 0)
                c = &W.channels[i];
        if (!c) {
            W.channels = pf_xrealloc(W.channels,
                                     (W.n_channels + 1) * sizeof(*W.channels));
            c = &W.channels[W.n_channels++];
            memset(c, 0, sizeof(*c));
            char id[27];
            new_id(id);
            c->id = pf_xstrdup(id);
            c->name = pf_xstrdup(name);
            c->display_name = pf_xstrdup("");
            c->type = pf_xstrdup("D");
            c->create_at = now_ms();
            c->members = pf_xcalloc(2, sizeof(char *));
            c->members[0] = pf_xstrdup(u1);
            c->members[1] = pf_xstrdup(u2);
            c->n_members = strcmp(u1, u2) ? 2 : 1;
        }
        respond(wsi, p, 201, channel_json(c), 0);
        json_decref(in);
        return;
    }
    respond(wsi, p, 404,
            app_error("api.context.404.app_error",
                      "Sorry, we could not find the page.", 404),
            0);
}

static void
request_start(struct lws *wsi, struct pss *p, const char *uri)
{
    static const struct {
        enum lws_token_indexes t;
        const char *m;
    } methods[] = {{WSI_TOKEN_GET_URI, "GET"},
                   {WSI_TOKEN_POST_URI, "POST"},
                   {WSI_TOKEN_PUT_URI, "PUT"},
                   {WSI_TOKEN_DELETE_URI, "DELETE"}};
    memset(p, 0, sizeof(*p));
    pf_buf_init(&p->body);
    for (size_t i = 0; i < sizeof(methods) / sizeof(*methods); i++)
        if (lws_hdr_total_length(wsi, methods[i].t))
            snprintf(p->method, sizeof(p->method), "%s", methods[i].m);
    snprintf(p->path, sizeof(p->path), "%s", uri);
    /* the query, re-joined from lws's fragments */
    char frag[512];
    for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof(frag),
                                          WSI_TOKEN_HTTP_URI_ARGS, i) > 0;
         i++) {
        size_t l = strlen(p->query);
        snprintf(p->query + l, sizeof(p->query) - l, "%s%s", l ? "&" : "",
                 frag);
    }
    char auth[512];
    if (lws_hdr_copy(wsi, auth, sizeof(auth), WSI_TOKEN_HTTP_AUTHORIZATION) >
            0 &&
        strncmp(auth, "Bearer ", 7) == 0)
        p->u = user_by_token(auth + 7);
}

static void
conn_free(struct conn *c)
{
    for (size_t i = 0; i < c->n_out; i++)
        free(c->out[i]);
    free(c->out);
    free(c);
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
         void *in, size_t len)
{
    struct pss *p = user;
    /*
     * lws calls some of these without per-session storage when a peer
     * goes before its request was read (a bot killed mid-connect does):
     * nothing of ours to act on or free then.
     */
    if (!p && reason != LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION)
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        request_start(wsi, p, (const char *)in);
        if (strcmp(p->method, "POST") == 0 || strcmp(p->method, "PUT") == 0)
            return 0; /* the body first */
        handle(wsi, p);
        return 0;

    case LWS_CALLBACK_HTTP_BODY:
        if (p->body.len + len > MAX_BODY)
            p->too_big = 1;
        else
            pf_buf_add(&p->body, in, len);
        return 0;

    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (p->too_big)
            respond(wsi, p, 413,
                    app_error("api.context.request_body_too_large",
                              "Request body too large.", 413),
                    0);
        else
            handle(wsi, p);
        return 0;

    case LWS_CALLBACK_HTTP_WRITEABLE: {
        if (!p->resp)
            return 0;
        size_t n = p->resp_len - p->resp_off;
        unsigned char *buf = pf_xmalloc(LWS_PRE + n + 1);
        memcpy(buf + LWS_PRE, p->resp + p->resp_off, n);
        int w = lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_HTTP_FINAL);
        free(buf);
        free(p->resp);
        p->resp = NULL;
        if (w < 0)
            return -1;
        if (lws_http_transaction_completed(wsi))
            return -1;
        return 0;
    }

    case LWS_CALLBACK_CLOSED_HTTP:
        lws_sul_cancel(&p->later);
        free(p->resp);
        p->resp = NULL;
        pf_buf_release(&p->body);
        return 0;

    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
        /* the upgrade request: only /api/v4/websocket[/] */
        char uri[256];
        if (!p || lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 ||
            (strcmp(uri, "/api/v4/websocket") != 0 &&
             strcmp(uri, "/api/v4/websocket/") != 0))
            return -1;
        struct conn *c = pf_xcalloc(1, sizeof(*c));
        c->wsi = wsi;
        char frag[128];
        for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof(frag),
                                              WSI_TOKEN_HTTP_URI_ARGS, i) > 0;
             i++) {
            if (strncmp(frag, "connection_id=", 14) == 0)
                pf_snprintf(c->qid, sizeof(c->qid), "%s", frag + 14);
            else if (strncmp(frag, "sequence_number=", 16) == 0)
                c->qseq = atoll(frag + 16);
        }
        memset(p, 0, sizeof(*p));
        p->ws = c;
        return 0;
    }

    case LWS_CALLBACK_ESTABLISHED: return p->ws ? 0 : -1;

    case LWS_CALLBACK_RECEIVE:
        if (!p->ws || p->ws->closing)
            return -1;
        return ws_receive(p->ws, in, len);

    case LWS_CALLBACK_SERVER_WRITEABLE: {
        struct conn *c = p->ws;
        if (!c)
            return -1;
        if (c->closing)
            return -1;
        if (!c->n_out)
            return 0;
        char *s = c->out[0];
        memmove(c->out, c->out + 1, (c->n_out - 1) * sizeof(*c->out));
        c->n_out--;
        size_t n = strlen(s);
        unsigned char *buf = pf_xmalloc(LWS_PRE + n);
        memcpy(buf + LWS_PRE, s, n);
        int w = lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT);
        free(buf);
        free(s);
        if (w < (int)n)
            return -1;
        if (c->n_out)
            lws_callback_on_writable(wsi);
        return 0;
    }

    case LWS_CALLBACK_CLOSED:
        if (p->ws) {
            struct conn *c = p->ws;
            if (c->s) {
                c->s->live = NULL;
                logf_("WS closed user=%s connection %s at seq %lld",
                      c->s->u->username, c->s->id, c->s->next_seq);
            }
            conn_free(c);
            p->ws = NULL;
        }
        return 0;

    default: break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"mm", callback, sizeof(struct pss), 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void
on_signal(int sig)
{
    if (sig == SIGUSR1)
        W.sig_drop = 1;
    else if (sig == SIGUSR2)
        W.sig_forget = 1;
    else if (sig == SIGWINCH)
        W.sig_forget_bots = 1;
    else if (sig == SIGHUP)
        W.sig_throttle = 1;
    else
        W.sig_stop = 1;
    if (W.ctx)
        lws_cancel_service(W.ctx);
}

/* drop the WebSockets (of bot accounts only, with bots), and forget
   their sessions */
static void
drop_all(int forget, int bots)
{
    size_t kept = 0;
    for (size_t i = 0; i < W.n_sessions; i++) {
        struct session *s = W.sessions[i];
        if (bots && !s->u->is_bot) {
            W.sessions[kept++] = s;
            continue;
        }
        if (s->live) {
            s->live->closing = 1;
            lws_callback_on_writable(s->live->wsi);
            s->live->s = NULL;
            s->live = NULL;
        }
        if (forget)
            session_free(s);
        else
            W.sessions[kept++] = s;
    }
    W.n_sessions = kept;
    logf_("dropped every %sWebSocket%s", bots ? "bot's " : "",
          forget ? " and forgot the sessions" : "");
}

static char *
jdup(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return pf_xstrdup(s ? s : "");
}

static int
load_world(const char *path)
{
    json_error_t e;
    json_t *w = json_load_file(path, 0, &e);
    if (!w) {
        fprintf(stderr, "mmemu: %s:%d: %s\n", path, e.line, e.text);
        return -1;
    }
    json_t *team = json_object_get(w, "team");
    /* 30 s as on the server; a test may shorten it to play a restart
       that came later than that */
    json_t *ttl = json_object_get(w, "pending_post_ttl_ms");
    W.pending_ttl_ms =
        json_is_integer(ttl) ? json_integer_value(ttl) : PENDING_TTL_MS;
    W.read_back_delay_ms =
        json_integer_value(json_object_get(w, "read_back_delay_ms"));
    W.team_id = jdup(team, "id");
    W.team_name = jdup(team, "name");
    json_t *us = json_object_get(w, "users"),
           *cs = json_object_get(w, "channels");
    W.n_users = json_array_size(us);
    W.users = pf_xcalloc(W.n_users + 1, sizeof(*W.users));
    for (size_t i = 0; i < W.n_users; i++) {
        json_t *u = json_array_get(us, i);
        W.users[i].id = jdup(u, "id");
        W.users[i].username = jdup(u, "username");
        W.users[i].token = jdup(u, "token");
        W.users[i].is_bot = json_is_true(json_object_get(u, "is_bot"));
    }
    W.n_channels = json_array_size(cs);
    W.channels = pf_xcalloc(W.n_channels + 1, sizeof(*W.channels));
    for (size_t i = 0; i < W.n_channels; i++) {
        json_t *c = json_array_get(cs, i), *m = json_object_get(c, "members");
        struct channel *ch = &W.channels[i];
        ch->id = jdup(c, "id");
        ch->name = jdup(c, "name");
        ch->display_name = jdup(c, "display_name");
        ch->type = jdup(c, "type");
        ch->create_at = now_ms();
        ch->n_members = json_array_size(m);
        ch->members = pf_xcalloc(ch->n_members + 1, sizeof(char *));
        for (size_t k = 0; k < ch->n_members; k++) {
            const char *id = json_string_value(json_array_get(m, k));
            ch->members[k] = pf_xstrdup(id ? id : "");
        }
    }
    json_decref(w);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: mmemu WORLD.json PORT_FILE [LOG_FILE]\n");
        return 2;
    }
    W.log = argc > 3 ? fopen(argv[3], "a") : stdout;
    if (!W.log || load_world(argv[1]) != 0)
        return 1;
    const char *tp = getenv("MMEMU_TRACE");
    if (tp && *tp && !(W.trace = fopen(tp, "a"))) {
        fprintf(stderr, "mmemu: cannot open %s\n", tp);
        return 1;
    }
    srand((unsigned)(pf_now_us() ^ getpid()));
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGWINCH, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = 0; /* any free port; written to PORT_FILE */
    info.iface = "127.0.0.1";
    info.protocols = protocols;
    info.gid = (gid_t)-1;
    info.uid = (uid_t)-1;
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
    W.ctx = lws_create_context(&info);
    if (!W.ctx) {
        fprintf(stderr, "mmemu: cannot create the server\n");
        return 1;
    }
    int port =
        lws_get_vhost_listen_port(lws_get_vhost_by_name(W.ctx, "default"));
    char tmp[1024];
    snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 ||
        rename(tmp, argv[2]) != 0) {
        fprintf(stderr, "mmemu: cannot write %s\n", argv[2]);
        return 1;
    }
    logf_("listening on 127.0.0.1:%d", port);
    while (!W.sig_stop) {
        if (W.sig_drop || W.sig_forget) {
            int forget = W.sig_forget;
            W.sig_drop = W.sig_forget = 0;
            drop_all(forget, 0);
        }
        if (W.sig_forget_bots) {
            W.sig_forget_bots = 0;
            drop_all(1, 1);
        }
        if (W.sig_throttle) {
            W.sig_throttle = 0;
            W.throttle = 2;
            logf_("the next 2 posts get 429");
        }
        if (lws_service(W.ctx, 0) < 0)
            break;
    }
    lws_context_destroy(W.ctx);
    for (size_t i = 0; i < W.n_sessions; i++)
        session_free(W.sessions[i]);
    free(W.sessions);
    for (size_t i = 0; i < W.n_posts; i++) {
        json_decref(W.posts[i].j);
        free(W.posts[i].pending);
    }
    free(W.posts);
    for (size_t i = 0; i < W.n_users; i++) {
        free(W.users[i].id);
        free(W.users[i].username);
        free(W.users[i].token);
    }
    free(W.users);
    for (size_t i = 0; i < W.n_channels; i++) {
        struct channel *c = &W.channels[i];
        for (size_t k = 0; k < c->n_members; k++)
            free(c->members[k]);
        free(c->members);
        free(c->id);
        free(c->name);
        free(c->display_name);
        free(c->type);
    }
    free(W.channels);
    free(W.team_id);
    free(W.team_name);
    return 0;
}
