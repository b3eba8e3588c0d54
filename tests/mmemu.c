/*
 * mmemu.c - a Mattermost server emulator for the tests: the parts of API
 * v4 that pokerface uses, with the real paths, status codes, field names
 * and encodings (see the reference notes, chat-protocols.md section 1,
 * and the server's model/post.go, model/reaction.go, model/channel.go,
 * model/websocket_message.go, platform/web_conn.go).
 *
 *   mmemu WORLD.json PORT_FILE [LOG_FILE]
 *
 * WORLD.json: {"team": {"id", "name", "display_name"}, "users": [{"id",
 * "username", "token", "is_bot", "oauth_token", "session_token",
 * "csrf"}], "channels": [{"id", "name", "display_name", "type",
 * "members": [user ids]}], "pending_post_ttl_ms": 30000,
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
 * "token" is a personal access token; "oauth_token" an OAuth one;
 * "session_token" a login session's, with "csrf" its CSRF token (all
 * but "token" optional).
 *
 * What it models of the real server (tests/official/mattermost.mjs
 * holds it to Mattermost's own client library):
 *  - REST: the token as the server finds it: the MMAUTHTOKEN cookie,
 *    "Authorization: Bearer" or "Token" in any case, an OAuth token in
 *    access_token; cookie requests other than GET pass the CSRF check
 *    (web/handlers.go); a bad token is 401 with the AppError shape; a
 *    channel the user is not in is 403;
 *  - the endpoints pokerface and the official client use: users/me,
 *    users?in_channel, users/me/teams, teams/name/{name},
 *    teams/{id|name/x}/channels/name/{name}, channels/{id}/members,
 *    channels/{id}/posts (page, per_page, before, after, since, as
 *    channel_posts says), posts (create, get, update, patch, delete),
 *    reactions, channels/direct;
 *  - WebSocket /api/v4/websocket: authentication_challenge (a bad token
 *    closes the socket, no reply); requests with seq <= 0 or no action
 *    get FAIL; ping answers pong; events carry event, data, broadcast
 *    and a per-connection seq from 0 (hello);
 *  - a connection that goes away stays resumable: events for it are
 *    kept (up to 128) and replayed when it comes back with its
 *    connection_id and sequence_number; otherwise a new hello;
 *  - posted / post_edited / post_deleted carry the post as a JSON
 *    string; reaction_added the reaction as a JSON string; posted
 *    carries "mentions" to each user the post mentions (mentions_of);
 *  - pending_post_id: a second create within 30 s returns the first post.
 */
#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/util.h"

#define DEAD_MAX 128
#define PENDING_TTL_MS 30000
#define MAX_BODY (1024 * 1024)

struct user {
    char *id, *username, *token;
    char *oauth_token;   /* "" or an OAuth access token */
    char *session_token; /* "" or a login session's token ... */
    char *csrf;          /* ... and that session's CSRF token */
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
    const char *auth_error; /* why a token was refused (401), or NULL */
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
    char *team_id, *team_name, *team_display_name;
    int64_t last_create_at;
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

static int
in_list(const json_t *ids, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v) {
        if (strcmp(json_string_value(v), id) == 0)
            return 1;
    }
    return 0;
}

/*
 * An event to every session of every member of channel c (takes data).
 * mentioned (borrowed, may be NULL): the users a post mentions; as the
 * server's add_mentions broadcast hook does (app/web_broadcast_hooks.go),
 * each of them, and no one else, finds data.mentions in their copy: a
 * JSON text of an array holding their own id only.
 */
static void
to_channel(const struct channel *c, const char *event, json_t *data,
           const json_t *mentioned)
{
    for (size_t i = 0; i < W.n_sessions; i++) {
        struct session *s = W.sessions[i];
        if (!is_member(c, s->u))
            continue;
        json_t *d = json_copy(data);
        if (mentioned && in_list(mentioned, s->u->id)) {
            char *m = pf_xasprintf("[\"%s\"]", s->u->id);
            json_object_set_new(d, "mentions", json_string(m));
            free(m);
        }
        json_t *ev = json_pack("{s:s, s:o, s:o}", "event", event, "data", d,
                               "broadcast", broadcast(c->id, NULL));
        session_send(s, ev);
        json_decref(ev);
    }
    json_decref(data);
}

/* ---- mentions (app/notification.go, app/mention_parser_standard.go) ---- */

/* a byte that may be part of a word: what is not may not be part of an
   at-mention (bytes of UTF-8 sequences count as letters) */
static int
word_byte(unsigned char c)
{
    return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c && strchr(":.-_@", c) != NULL);
}

/* the members a keyword stands for, added to out: "@username" (any case),
   "@channel" and "@all" (everyone), "@here" (everyone connected);
   1 if the word is a keyword */
static int
keyword(const struct channel *c, const char *w, size_t n, json_t *out)
{
    char k[128];
    if (n == 0 || n >= sizeof(k) || w[0] != '@')
        return 0;
    for (size_t i = 0; i < n; i++)
        k[i] = (char)((w[i] >= 'A' && w[i] <= 'Z') ? w[i] - 'A' + 'a' : w[i]);
    k[n] = '\0';
    int all = !strcmp(k, "@channel") || !strcmp(k, "@all");
    int here = !strcmp(k, "@here");
    int found = 0;
    for (size_t i = 0; i < c->n_members; i++) {
        struct user *u = user_by_id(c->members[i]);
        if (!u)
            continue;
        int live = 0;
        for (size_t j = 0; j < W.n_sessions && here; j++)
            live |= W.sessions[j]->u == u && W.sessions[j]->live != NULL;
        if (all || (here && live) || strcasecmp(k + 1, u->username) == 0) {
            found = 1;
            if (!in_list(out, u->id))
                json_array_append_new(out, json_string(u->id));
        }
    }
    return found || all || here;
}

/*
 * Who a post in channel c mentions, as a new array of user ids: in a
 * direct channel the other member; in a group channel every other
 * member; elsewhere the members named by keyword. Words are split the
 * way the server's standard mention parser splits them: on whatever
 * cannot be part of a mention; ":emoji:" skipped; leading ":.-_" dropped;
 * trailing ".-:_" dropped one at a time until a keyword matches; else a
 * word not starting with @ is split again on ".-:". The author is never
 * mentioned. Not modelled: mention keys and first names in notify
 * props, group mentions, code spans.
 */
static json_t *
mentions_of(const struct channel *c, const char *text, const struct user *by)
{
    json_t *out = json_array();
    if (!strcmp(c->type, "D") || !strcmp(c->type, "G")) {
        for (size_t i = 0; i < c->n_members; i++)
            if (strcmp(c->members[i], by->id) != 0 &&
                !in_list(out, c->members[i]))
                json_array_append_new(out, json_string(c->members[i]));
        return out;
    }
    for (const char *q = text; *q;) {
        if (!word_byte((unsigned char)*q)) {
            q++;
            continue;
        }
        const char *w = q;
        while (*q && word_byte((unsigned char)*q))
            q++;
        size_t n = (size_t)(q - w);
        if (n >= 2 && w[0] == ':' && w[n - 1] == ':')
            continue;
        while (n && strchr(":.-_", *w)) {
            w++;
            n--;
        }
        if (keyword(c, w, n, out))
            continue;
        size_t m = n;
        int found = 0;
        while (m && strchr(".-:_", w[m - 1]) && !found)
            found = keyword(c, w, --m, out);
        if (found || (n && w[0] == '@'))
            continue;
        for (size_t a = 0; a < n;) {
            size_t b = a;
            while (b < n && !strchr(".-:", w[b]))
                b++;
            keyword(c, w + a, b - a, out);
            a = b + 1;
        }
    }
    for (size_t i = json_array_size(out); i-- > 0;)
        if (!strcmp(json_string_value(json_array_get(out, i)), by->id))
            json_array_remove(out, i);
    return out;
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
    json_t *data, *mentioned = NULL;
    if (strcmp(event, "posted") == 0) {
        mentioned = mentions_of(
            c, json_string_value(json_object_get(p, "message")), sender);
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
    to_channel(c, event, data, mentioned);
    json_decref(mentioned);
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
    /* distinct and rising: on the server two posts of the same
       millisecond are possible, and GET .../posts?after= would skip the
       second (it compares create_at strictly); the tests want neither */
    int64_t now = now_ms();
    if (now <= W.last_create_at)
        now = W.last_create_at + 1;
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
    W.last_create_at = now;
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

/* model.IsValidId: 26 letters or digits */
static int
valid_id(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
              (s[n] >= '0' && s[n] <= '9')))
            return 0;
    return n == 26;
}

/* strconv.Atoi / ParseInt: an optional sign and digits, nothing else */
static int
parse_int(const char *s, long long *out)
{
    char *end;
    if (!s || !*s || *s == ' ')
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno)
        return -1;
    *out = v;
    return 0;
}

/* strconv.ParseBool's true */
static int
query_true(const struct pss *p, const char *name)
{
    char v[16];
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    if (!query_arg(p, name, v, sizeof(v)))
        return 0;
    for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
        if (strcmp(v, yes[i]) == 0)
            return 1;
    return 0;
}

static void
invalid_param(struct lws *wsi, struct pss *p, const char *name)
{
    char *m =
        pf_xasprintf("Invalid or missing %s parameter in request URL.", name);
    respond(wsi, p, 400,
            app_error("api.context.invalid_url_param.app_error", m, 400), 0);
    free(m);
}

/* web/params.go: page (default 0) and per_page (or the mobile app's
   pageSize; default 60, at most 200) */
static void
paging(const struct pss *p, long long *page, long long *per_page)
{
    char v[32];
    long long n;
    *page = query_arg(p, "page", v, sizeof(v)) && !parse_int(v, &n) && n >= 0
                ? n
                : 0;
    if ((query_arg(p, "per_page", v, sizeof(v)) && !parse_int(v, &n)) ||
        (query_arg(p, "pageSize", v, sizeof(v)) && !parse_int(v, &n)))
        *per_page = n < 0 ? 60 : n > 200 ? 200 : n;
    else
        *per_page = 60;
}

static int64_t
post_int(const json_t *q, const char *k)
{
    return (int64_t)json_integer_value(json_object_get(q, k));
}

static const char *
post_str(const json_t *q, const char *k)
{
    const char *v = json_string_value(json_object_get(q, k));
    return v ? v : "";
}

/* the id of the first live post of channel c after (dir > 0) or before
   (dir < 0) time at, or "" (store GetPostIdAfterTime / BeforeTime) */
static const char *
post_id_around(const struct channel *c, int64_t at, int dir)
{
    const char *best = "";
    int64_t best_at = 0;
    for (size_t i = 0; i < W.n_posts; i++) {
        const json_t *q = W.posts[i].j;
        int64_t t = post_int(q, "create_at");
        if (strcmp(post_str(q, "channel_id"), c->id) != 0 ||
            post_int(q, "delete_at") || (dir > 0 ? t <= at : t >= at))
            continue;
        if (!*best || (dir > 0 ? t < best_at : t > best_at)) {
            best = post_str(q, "id");
            best_at = t;
        }
    }
    return best;
}

/*
 * GET /api/v4/channels/{id}/posts, as api4/post.go getPostsForChannel and
 * the post store answer it. The W.posts array is in create_at order
 * (create_post keeps create_at rising).
 *
 *  - since=T (T > 0): every post whose update_at is after T, deleted
 *    ones too, at most 1000; no cursors;
 *  - after=ID / before=ID: live posts created strictly after / before
 *    that post, the nearest first, page * per_page of them skipped,
 *    per_page of them taken; an id no post has matches nothing (200, an
 *    empty list); on page 0 prev_post_id is ID (after) or next_post_id
 *    is ID (before);
 *  - neither: live posts newest first, paged the same way.
 *
 * "order" lists them newest first; "posts" holds them and the roots of
 * the threads they reply in (and, unless skipFetchThreads=true, those
 * threads' other live replies). The cursors the server does not set from
 * the request are the posts next to the page's newest and oldest ones.
 * An after or before that is not an id is 400.
 */
static void
channel_posts(struct lws *wsi, struct pss *p, struct channel *c)
{
    char after[64] = "", before[64] = "", since_s[32] = "";
    long long page, per_page, since = 0;
    query_arg(p, "after", after, sizeof(after));
    query_arg(p, "before", before, sizeof(before));
    if (*after && !valid_id(after)) {
        invalid_param(wsi, p, "after");
        return;
    }
    if (*before && !valid_id(before)) {
        invalid_param(wsi, p, "before");
        return;
    }
    if (query_arg(p, "since", since_s, sizeof(since_s)) && *since_s &&
        parse_int(since_s, &since) != 0) {
        invalid_param(wsi, p, "since");
        return;
    }
    paging(p, &page, &per_page);
    int skip_threads = query_true(p, "skipFetchThreads");
    if (*after)
        p->delay_us = W.read_back_delay_ms * 1000;

    /* the page, as indexes into W.posts, newest first */
    size_t *idx = pf_xcalloc(W.n_posts + 1, sizeof(*idx)), n = 0;
    int after_mode = since <= 0 && *after,
        before_mode = since <= 0 && !*after && *before;
    int64_t ref = 0;
    int ref_known = 1;
    if (after_mode || before_mode) {
        json_t *r = find_post(after_mode ? after : before);
        ref_known = r != NULL;
        ref = r ? post_int(r, "create_at") : 0;
    }
    long long skip = page * per_page, taken = 0;
    if (since > 0) {
        for (size_t i = W.n_posts; i-- > 0 && n < 1000;) {
            const json_t *q = W.posts[i].j;
            if (!strcmp(post_str(q, "channel_id"), c->id) &&
                post_int(q, "update_at") > since)
                idx[n++] = i;
        }
    } else if (ref_known && after_mode) {
        /* oldest first from the post on, then turned around */
        for (size_t i = 0; i < W.n_posts && taken < per_page; i++) {
            const json_t *q = W.posts[i].j;
            if (strcmp(post_str(q, "channel_id"), c->id) ||
                post_int(q, "delete_at") || post_int(q, "create_at") <= ref)
                continue;
            if (skip > 0) {
                skip--;
                continue;
            }
            idx[n++] = i;
            taken++;
        }
        for (size_t a = 0, b = n; a + 1 < b; a++, b--) {
            size_t t = idx[a];
            idx[a] = idx[b - 1];
            idx[b - 1] = t;
        }
    } else if (ref_known) {
        for (size_t i = W.n_posts; i-- > 0 && taken < per_page;) {
            const json_t *q = W.posts[i].j;
            if (strcmp(post_str(q, "channel_id"), c->id) ||
                post_int(q, "delete_at") ||
                (before_mode && post_int(q, "create_at") >= ref))
                continue;
            if (skip > 0) {
                skip--;
                continue;
            }
            idx[n++] = i;
            taken++;
        }
    }

    json_t *order = json_array(), *posts = json_object();
    for (size_t k = 0; k < n; k++) {
        json_t *q = W.posts[idx[k]].j;
        json_array_append_new(order, json_string(post_str(q, "id")));
        json_object_set(posts, post_str(q, "id"), q);
    }
    for (size_t k = 0; k < n; k++) {
        const char *root = post_str(W.posts[idx[k]].j, "root_id");
        for (size_t i = 0; *root && i < W.n_posts; i++) {
            json_t *q = W.posts[i].j;
            if ((!strcmp(post_str(q, "id"), root) ||
                 (!skip_threads && !strcmp(post_str(q, "root_id"), root))) &&
                (since > 0 || !post_int(q, "delete_at")))
                json_object_set(posts, post_str(q, "id"), q);
        }
    }

    /* app/post.go AddCursorIdsForPostList */
    const char *next = NULL, *prev = NULL;
    if (since > 0) {
        next = prev = "";
    } else if (*after) {
        if (page == 0)
            prev = after;
        if ((long long)n < per_page)
            next = "";
    } else if (*before) {
        if (page == 0)
            next = before;
        if ((long long)n < per_page)
            prev = "";
    }
    if (!next)
        next =
            n ? post_id_around(c, post_int(W.posts[idx[0]].j, "create_at"), 1)
              : "";
    if (!prev)
        prev = n ? post_id_around(
                       c, post_int(W.posts[idx[n - 1]].j, "create_at"), -1)
                 : "";
    free(idx);
    respond(wsi, p, 200,
            json_pack("{s:o, s:o, s:s, s:s, s:I}", "order", order, "posts",
                      posts, "next_post_id", next, "prev_post_id", prev,
                      "first_inaccessible_post_time", (json_int_t)0),
            0);
}

static json_t *
team_json(void)
{
    return json_pack("{s:s, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, "
                     "s:s, s:s, s:b, s:I, s:n, s:n, s:n, s:b}",
                     "id", W.team_id, "create_at", (json_int_t)1700000000000,
                     "update_at", (json_int_t)1700000000000, "delete_at",
                     (json_int_t)0, "display_name", W.team_display_name, "name",
                     W.team_name, "description", "", "email", "", "type", "O",
                     "company_name", "", "allowed_domains", "", "invite_id", "",
                     "allow_open_invite", 0, "last_team_icon_update",
                     (json_int_t)0, "scheme_id", "group_constrained",
                     "policy_id", "cloud_limits_archived", 0);
}

/* GET /api/v4/teams/{team_id}/channels/name/{name} (and by team name):
   a channel of the team by its name (any case); one that is not there,
   and a private one the user is not in, is 404 alike (api4/channel.go
   getChannelByName) */
static void
channel_by_name(struct lws *wsi, struct pss *p, const char *team,
                const char *name)
{
    for (size_t i = 0; i < W.n_channels && !strcmp(team, W.team_id); i++) {
        struct channel *c = &W.channels[i];
        if (strcasecmp(c->name, name) == 0 &&
            (!strcmp(c->type, "O") ||
             (!strcmp(c->type, "P") && is_member(c, p->u)))) {
            respond(wsi, p, 200, channel_json(c), 0);
            return;
        }
    }
    respond(wsi, p, 404,
            app_error("app.channel.get_by_name.missing.app_error",
                      "Channel does not exist.", 404),
            0);
}

/* GET /api/v4/channels/{id}/members?page=&per_page=: ChannelMember
   objects, for members only (403 otherwise) */
static void
channel_members(struct lws *wsi, struct pss *p, const char *id)
{
    struct channel *c = channel_by_id(id);
    long long page, per_page;
    if (!c || !is_member(c, p->u)) {
        forbidden(wsi, p);
        return;
    }
    paging(p, &page, &per_page);
    json_t *arr = json_array();
    for (long long i = page * per_page;
         i < (long long)c->n_members && i < (page + 1) * per_page; i++)
        json_array_append_new(
            arr,
            json_pack(
                "{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, "
                "s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:I, s:b, s:b, "
                "s:b, s:s}",
                "channel_id", c->id, "user_id", c->members[i], "roles",
                "channel_user", "last_viewed_at", (json_int_t)0, "msg_count",
                (json_int_t)0, "mention_count", (json_int_t)0,
                "mention_count_root", (json_int_t)0, "urgent_mention_count",
                (json_int_t)0, "msg_count_root", (json_int_t)0, "notify_props",
                "desktop", "default", "email", "default",
                "ignore_channel_mentions", "default", "mark_unread", "all",
                "push", "default", "channel_auto_follow_threads", "off",
                "last_update_at", (json_int_t)c->create_at, "scheme_guest", 0,
                "scheme_user", 1, "scheme_admin", 0, "explicit_roles", ""));
    respond(wsi, p, 200, arr, 0);
}

/* GET /api/v4/posts/{id}: 404 for a post that is not there or deleted
   (include_deleted needs manage_system: 403), 403 outside the channel */
static void
get_post(struct lws *wsi, struct pss *p, const char *id)
{
    json_t *q = find_post(id);
    struct channel *c = q ? channel_by_id(post_str(q, "channel_id")) : NULL;
    if (query_true(p, "include_deleted"))
        forbidden(wsi, p);
    else if (!q || post_int(q, "delete_at"))
        no_such_post(wsi, p);
    else if (!c || !is_member(c, p->u))
        forbidden(wsi, p);
    else
        respond(wsi, p, 200, json_incref(q), 0);
}

/*
 * PUT /api/v4/posts/{id} (full: the body is the whole post, its id the
 * path's, else 400) and PUT /api/v4/posts/{id}/patch (the fields given).
 * A post that is not there, is deleted, or is someone else's is 403, as
 * api4/post.go answers. As app/post.go UpdatePost: edit_at moves only
 * when the message changes, update_at always; a full update also takes
 * is_pinned and props from the body; then post_edited.
 */
static void
edit_post(struct lws *wsi, struct pss *p, const char *id, int full)
{
    json_t *in =
        json_loadb(p->body.data ? p->body.data : "", p->body.len, 0, NULL);
    json_t *q = find_post(id);
    if (!json_is_object(in)) {
        invalid_param(wsi, p, "post");
    } else if (full && strcmp(post_str(in, "id"), id) != 0) {
        invalid_param(wsi, p, "id");
    } else if (!q || post_int(q, "delete_at") ||
               strcmp(post_str(q, "user_id"), p->u->id) != 0) {
        forbidden(wsi, p);
    } else {
        int64_t now = now_ms();
        const char *msg = json_string_value(json_object_get(in, "message"));
        json_t *pin = json_object_get(in, "is_pinned");
        json_t *props = json_object_get(in, "props");
        if (msg && strcmp(msg, post_str(q, "message")) != 0) {
            json_object_set_new(q, "message", json_string(msg));
            json_object_set_new(q, "edit_at", json_integer(now));
        }
        if (json_is_boolean(pin) || full)
            json_object_set_new(q, "is_pinned",
                                json_boolean(json_is_true(pin)));
        if (json_is_object(props))
            json_object_set(q, "props", props);
        else if (full)
            json_object_set_new(q, "props", json_object());
        json_object_set_new(q, "update_at", json_integer(now));
        respond(wsi, p, 200, json_incref(q), 0);
        post_event("post_edited", q, p->u);
    }
    json_decref(in);
}

static void
handle(struct lws *wsi, struct pss *p)
{
    const char *path = p->path;
    if (!p->u) {
        int query =
            p->auth_error &&
            strcmp(p->auth_error, "api.context.token_provided.app_error") == 0;
        respond(wsi, p, 401,
                app_error(query ? p->auth_error
                                : "api.context.session_expired.app_error",
                          query ? "Session is not OAuth but token was "
                                  "provided in the query string."
                                : "Invalid or expired session, please login "
                                  "again.",
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
    int end = 0;
    if (put &&
        sscanf(path, "/api/v4/posts/%127[^/]/patc%1[h]%n", a, b, &end) == 2 &&
        !path[end]) {
        edit_post(wsi, p, a, 0);
        return;
    }
    end = 0;
    if ((put || get) &&
        sscanf(path, "/api/v4/posts/%127[^/]%n", a, &end) == 1 && !path[end]) {
        if (put)
            edit_post(wsi, p, a, 1);
        else
            get_post(wsi, p, a);
        return;
    }
    if (get && strcmp(path, "/api/v4/users/me/teams") == 0) {
        /* every user of the world is on its one team */
        json_t *arr = json_array();
        json_array_append_new(arr, team_json());
        respond(wsi, p, 200, arr, 0);
        return;
    }
    end = 0;
    if (get && sscanf(path, "/api/v4/teams/name/%127[^/]%n", a, &end) == 1 &&
        !path[end]) {
        if (strcasecmp(a, W.team_name) == 0)
            respond(wsi, p, 200, team_json(), 0);
        else
            respond(wsi, p, 404,
                    app_error("app.team.get_by_name.missing.app_error",
                              "Unable to find the existing team.", 404),
                    0);
        return;
    }
    end = 0;
    if (get &&
        sscanf(path, "/api/v4/teams/%127[^/]/channels/name/%127[^/]%n", a, b,
               &end) == 2 &&
        !path[end] && strcmp(a, "name") != 0) {
        channel_by_name(wsi, p, a, b);
        return;
    }
    end = 0;
    if (get &&
        sscanf(path, "/api/v4/channels/%127[^/]/member%1[s]%n", a, b, &end) ==
            2 &&
        !path[end]) {
        channel_members(wsi, p, a);
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
    end = 0;
    if (get &&
        sscanf(path, "/api/v4/teams/name/%127[^/]/channels/name/%127[^/]%n", a,
               b, &end) == 2 &&
        !path[end]) {
        channel_by_name(wsi, p, strcasecmp(a, W.team_name) ? "" : W.team_id, b);
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
            to_channel(c, "reaction_added", json_pack("{s:s}", "reaction", rs),
                       NULL);
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

/* ---- who is asking ---- */

enum token_at { AT_NONE, AT_COOKIE, AT_HEADER, AT_QUERY };

/* the value of cookie name in the Cookie header, or NULL */
static const char *
cookie_value(struct lws *wsi, const char *name, char *out, size_t outlen)
{
    char c[1024];
    if (lws_hdr_copy(wsi, c, sizeof(c), WSI_TOKEN_HTTP_COOKIE) <= 0)
        return NULL;
    size_t nl = strlen(name);
    for (char *q = c; *q;) {
        q += strspn(q, " ;");
        size_t l = strcspn(q, ";");
        if (l > nl && strncmp(q, name, nl) == 0 && q[nl] == '=') {
            pf_snprintf(out, outlen, "%.*s", (int)(l - nl - 1), q + nl + 1);
            return out;
        }
        q += l;
    }
    return NULL;
}

/*
 * Where the server looks for a token, in its order
 * (app/authentication.go, ParseAuthTokenFromRequest): the MMAUTHTOKEN
 * cookie; then "Authorization: Bearer <t>" with the scheme in any case
 * (six letters compared, the token from the eighth character on); then
 * "Authorization: Token <t>" the same way; then the access_token query
 * parameter.
 */
static enum token_at
find_token(struct lws *wsi, const struct pss *p, char *tok, size_t toklen)
{
    char h[512];
    if (cookie_value(wsi, "MMAUTHTOKEN", tok, toklen))
        return AT_COOKIE;
    int n = lws_hdr_copy(wsi, h, sizeof(h), WSI_TOKEN_HTTP_AUTHORIZATION);
    if (n > 6 && strncasecmp(h, "bearer", 6) == 0) {
        pf_snprintf(tok, toklen, "%s", h + 7);
        return AT_HEADER;
    }
    if (n > 5 && strncasecmp(h, "token", 5) == 0) {
        pf_snprintf(tok, toklen, "%s", h + 6);
        return AT_HEADER;
    }
    if (query_arg(p, "access_token", tok, toklen) && *tok)
        return AT_QUERY;
    return AT_NONE;
}

/*
 * The session a request is made in (web/handlers.go, ServeHTTP and
 * checkCSRFToken): a token that is no session's is refused; so is one in
 * the query string unless it is an OAuth one; and a request other than
 * GET authenticated by the cookie must carry the session's CSRF token in
 * X-CSRF-Token, or, as the server still allows unless
 * ExperimentalStrictCSRFEnforcement is on, X-Requested-With:
 * XMLHttpRequest. A personal access token's session has no CSRF token,
 * so for it an absent X-CSRF-Token is a match, as on the server.
 */
static void
authenticate(struct lws *wsi, struct pss *p)
{
    char tok[512], h[128], x[32];
    enum token_at at = find_token(wsi, p, tok, sizeof(tok));
    if (at == AT_NONE)
        return;
    struct user *u = NULL;
    int oauth = 0;
    const char *csrf = "";
    for (size_t i = 0; i < W.n_users && !u && *tok; i++) {
        struct user *c = &W.users[i];
        if (strcmp(c->token, tok) == 0) {
            u = c;
        } else if (*c->oauth_token && strcmp(c->oauth_token, tok) == 0) {
            u = c;
            oauth = 1;
        } else if (*c->session_token && strcmp(c->session_token, tok) == 0) {
            u = c;
            csrf = c->csrf;
        }
    }
    if (!u) {
        p->auth_error = "api.context.session_expired.app_error";
        return;
    }
    if (at == AT_QUERY && !oauth) {
        p->auth_error = "api.context.token_provided.app_error";
        return;
    }
    if (at == AT_COOKIE && strcmp(p->method, "GET") != 0) {
        int n = lws_hdr_custom_copy(wsi, h, sizeof(h), "x-csrf-token:", 13);
        const char *given = n >= 0 ? h : "";
        int xhr = lws_hdr_custom_copy(wsi, x, sizeof(x),
                                      "x-requested-with:", 17) >= 0 &&
                  strcmp(x, "XMLHttpRequest") == 0;
        if (strcmp(given, csrf) != 0 && !xhr) {
            p->auth_error = "api.context.session_expired.app_error";
            return;
        }
    }
    p->u = u;
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
    authenticate(wsi, p);
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
    /* lws frees per-session storage between the requests of a connection
       kept alive, saying so with this (and no CLOSED_HTTP) */
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
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
    W.team_display_name = jdup(team, "display_name");
    if (!*W.team_display_name) {
        free(W.team_display_name);
        W.team_display_name = pf_xstrdup(W.team_name);
    }
    json_t *us = json_object_get(w, "users"),
           *cs = json_object_get(w, "channels");
    W.n_users = json_array_size(us);
    W.users = pf_xcalloc(W.n_users + 1, sizeof(*W.users));
    for (size_t i = 0; i < W.n_users; i++) {
        json_t *u = json_array_get(us, i);
        W.users[i].id = jdup(u, "id");
        W.users[i].username = jdup(u, "username");
        W.users[i].token = jdup(u, "token");
        W.users[i].oauth_token = jdup(u, "oauth_token");
        W.users[i].session_token = jdup(u, "session_token");
        W.users[i].csrf = jdup(u, "csrf");
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
        free(W.users[i].oauth_token);
        free(W.users[i].session_token);
        free(W.users[i].csrf);
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
    free(W.team_display_name);
    return 0;
}
