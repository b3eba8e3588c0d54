/*
 * slackemu.c - a Slack emulator for the tests: the Socket Mode WebSocket
 * and the Web API methods pokerface's Slack connector uses, with Slack's
 * real paths, envelopes, field names, error codes and paging (see the
 * reference notes, chat-protocols.md section 2, Slack's method and event
 * pages under api.slack.com, and what @slack/socket-mode and
 * @slack/web-api send and expect). tests/official/slack.mjs points those
 * two official clients at it; if they reject it, it is wrong.
 *
 *   slackemu WORLD.json PORT_FILE [LOG_FILE]
 *
 * It listens on 127.0.0.1 (a free port, written to PORT_FILE); the Web
 * API is http://127.0.0.1:PORT/api/ (the clients' slackApiUrl). Every
 * call, socket and envelope is logged, one line each, to LOG_FILE (or
 * stdout). With SLACKEMU_TRACE=FILE, every JSON text sent or received is
 * written there, one per line, tagged: ENVELOPE (sent on a socket), WSIN
 * (received on a socket: acks), REQ METHOD (a call's arguments, as a JSON
 * object), RESP METHOD STATUS (its answer).
 *
 * WORLD.json (ids are any strings; Slack's look like these):
 *   {"team": {"id": "T0TEAM", "name": "Pokerface", "domain": "pokerface"},
 *    "app": {"id": "A0APP", "token": "xapp-1-...", "bot_user": "U0BOT"},
 *    "users": [{"id": "U0BOT", "name": "pokerface", "token": "xoxb-...",
 *               "is_bot": true, "bot_id": "B0BOT"},
 *              {"id": "U0ALICE", "name": "alice", "real_name": "Alice",
 *               "token": "xoxp-..."},
 *              {"id": "U0EXT", "name": "carol", "token": "xoxp-...",
 *               "team_id": "T0OTHER"}],          (a user of another team)
 *    "channels": [{"id": "C0INT", "name": "support-internal",
 *                  "members": ["U0BOT", "U0ALICE"]},
 *                 {"id": "G0PRIV", "name": "leads", "is_private": true,
 *                  "members": [...]},
 *                 {"id": "C0SHARED", "name": "acme-support",
 *                  "is_ext_shared": true, "members": [...]},
 *                 {"id": "D0ALICE", "is_im": true,
 *                  "members": ["U0BOT", "U0ALICE"]}],
 *    "ack_timeout_ms": 3000, "max_retries": 3, "trigger_ttl_ms": 3000,
 *    "ping_interval_ms": 10000, "warning_lead_ms": 10000}
 * The optional numbers are shown with their defaults (Slack's figures).
 *
 * Tokens: the app-level token (xapp-) opens sockets and nothing else; a
 * user's token (xoxb- for the bot, xoxp- for people) calls every other
 * method as that user, so tests play agents and customers by posting with
 * chat.postMessage under their own tokens. A user with an "app_token" has
 * an app of their own with user-scope event subscriptions (as an app a
 * user installed for themselves): its token opens sockets that get the
 * events of the conversations that user is in, their own messages too,
 * with "authorizations" naming that user. That is how a test user hears
 * what is said; the faults below (lose_ack, duplicate, ratelimit) hit
 * the bot's app and the bot's calls only. A token is taken from
 * "Authorization: Bearer" or, in a form body or the query, a "token"
 * field (apps.connections.open: the header only). Bodies are
 * application/x-www-form-urlencoded (objects such as blocks, metadata and
 * view as JSON strings: what @slack/web-api sends) or, for write methods
 * only and with the header token, application/json (Slack's 2017 rule: a
 * read method does not parse a JSON body, so its arguments are missing).
 *
 * Methods (POST /api/METHOD; GET with query arguments too):
 *   apps.connections.open -> {"ok", "url"}: ws://127.0.0.1:PORT/link/
 *     ?ticket=...&app_id=...; a URL works once.
 *   auth.test, users.info, conversations.info, conversations.list (types;
 *     one page), conversations.members (channel; one page),
 *   conversations.history (channel, oldest, latest, inclusive, limit,
 *     cursor, include_all_metadata), conversations.replies (channel, ts,
 *     the same paging): newest first / thread oldest first, has_more,
 *     response_metadata.next_cursor (base64 "next_ts:TS"),
 *   chat.postMessage (channel, text, blocks, thread_ts, reply_broadcast,
 *     metadata {event_type, event_payload}, username; a channel that is
 *     a user's id posts in the IM with them, opened then), chat.postEphemeral
 *     (channel, user, text, blocks, thread_ts), chat.update, chat.delete,
 *   reactions.add (channel, timestamp, name), views.open (trigger_id,
 *     view).
 * Errors are HTTP 200 {"ok": false, "error": CODE} with Slack's codes
 * (not_authed, invalid_auth, not_allowed_token_type, channel_not_found,
 * not_in_channel, user_not_in_channel, user_not_found, message_not_found,
 * thread_not_found, cant_update_message, cant_delete_message, no_text,
 * msg_too_long, invalid_blocks, invalid_metadata_format, already_reacted,
 * invalid_name, invalid_cursor, invalid_trigger_id, expired_trigger_id,
 * exchanged_trigger_id, invalid_json, invalid_arguments with
 * response_metadata.messages, unknown_method (404)); rate limits are HTTP 429
 * {"ok": false, "error": "ratelimited"} with Retry-After; a body over 1 MiB is
 * HTTP 413.
 *
 * Socket Mode: on connecting, hello (num_connections, debug_info,
 * connection_info.app_id); the server pings every ping_interval_ms.
 * Envelopes {"envelope_id", "type", "accepts_response_payload",
 * "payload"} go to the newest live connection (or wait for one):
 *   events_api, payload {"token", "team_id", "context_team_id",
 *     "context_enterprise_id", "api_app_id", "event", "type":
 *     "event_callback", "event_id", "event_time", "authorizations",
 *     "is_ext_shared_channel", "event_context"}, plus "retry_attempt" and
 *     "retry_reason". Events: message (plain, thread replies with
 *     thread_ts and parent_user_id, bot_message when the bot posts with a
 *     username, message_changed, message_deleted, channel_join,
 *     channel_leave), reaction_added; for the channels the bot is a
 *     member of, IMs included, and its own messages too (as Slack does).
 *     An envelope not acknowledged ({"envelope_id": ...}) within
 *     ack_timeout_ms is sent again, as a new envelope with the same
 *     event_id, retry_attempt 1..max_retries and retry_reason "timeout";
 *     then dropped.
 *   interactive: block_actions and view_submission (below); never
 *     retried. Their ack may carry a payload; it is kept.
 * Ephemeral messages reach no socket and no history: they are kept for
 * their user (GET /emu/ephemeral?user=U).
 *
 * Controls for the tests (HTTP on the same port, no token; each answers
 * {"ok": true, ...} or {"ok": false, "error"}):
 *   POST /emu/fault {"kind": K, ...} with K:
 *     "drop"               close every socket at once, no goodbye (with
 *                          "app": a user id, only that app's sockets;
 *                          the bot's id: the app's; the same for the
 *                          next three)
 *     "refresh_requested"  send disconnect refresh_requested; the socket
 *                          is closed 2 s later if the client has not
 *     "warning"            send disconnect warning; refresh_requested
 *                          follows warning_lead_ms later
 *     "link_disabled"      send disconnect link_disabled and close; from
 *                          then on every new socket gets the same
 *     "outage"             drop every socket; until an app connects
 *                          again, the events for it are lost (Slack gave
 *                          up delivering them), not kept for its socket
 *                          (with "app": that app's alone)
 *     "ratelimit"          the next "count" (1) calls of "method"
 *                          (chat.postMessage) get 429, Retry-After
 *                          "retry_after" (1) seconds
 *     "no_answer"          the next "count" (1) calls of "method"
 *                          (chat.postMessage) are carried out and never
 *                          answered
 *     "lose_ack"           the next "count" (1) acks are ignored, so the
 *                          envelopes are retried
 *     "duplicate"          the next event is delivered twice, in two
 *                          envelopes with one event_id
 *   POST /emu/click {"user", "channel", "ts", "action_id"}: the user clicks
 *     the button action_id of message ts (or of an ephemeral one shown to
 *     them): a block_actions envelope with a fresh trigger_id (valid
 *     trigger_ttl_ms, once). Answers envelope_id and trigger_id. With
 *     "twice": true the same payload comes in a second envelope too.
 *   POST /emu/submit {"user", "view_id", "values"}: the user submits a
 *     modal opened with views.open (and not closed): a view_submission
 *     envelope. Its ack closes the view, unless its payload is
 *     response_action "errors" naming input blocks of the view.
 *   GET /emu/views?user=U (or POST {"user"}): the views open for U.
 *   POST /emu/join, /emu/leave {"user", "channel"}: membership changes,
 *     with the channel_join / channel_leave message.
 *   POST /emu/send {"app", "text"} or {"app", "bytes"}: a frame on the
 *     newest socket of app's (a user id; the bot's app by default): the
 *     text as it is (malformed envelopes), or an events_api envelope of
 *     that many bytes of padding, type "raw" in /emu/envelopes.
 *   GET /emu/envelopes: every envelope so far: envelope_id, type,
 *     event_id, event_type, retry_attempt, delivered, acked, response.
 *   GET /emu/ephemeral?user=U (or POST {"user"}): the ephemeral messages
 *     shown to U.
 * The same faults by signal: SIGUSR1 drop, SIGUSR2 refresh_requested,
 * SIGWINCH warning, SIGHUP the next two chat.postMessage get 429
 * (Retry-After 1); SIGTERM or SIGINT exit.
 *
 * Not modelled: files, other event types (member_joined_channel,
 * message_metadata_*), edits' time windows, tombstones of deleted thread
 * parents (a deleted message is simply gone), enterprise grids, more than
 * one app, and the 10-socket limit (too_many_websockets).
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

#define MAX_BODY (1024 * 1024) /* HTTP bodies and socket messages */
#define MAX_TEXT 40000         /* chat.postMessage's text limit */
#define TICK_US (50 * 1000)    /* the timer that checks deadlines */
#define CLOSE_GRACE_US 2000000 /* a refreshed socket's time to go */
#define MAX_LIMIT 999          /* conversations.history's largest page */
#define DEFAULT_LIMIT 100

struct user {
    char *id, *name, *real_name, *token, *team_id, *bot_id;
    char *app_token; /* the user's own app (user-scope events), or "" */
    int is_bot;
    int outage; /* its app's events are lost until it has a socket again */
};

struct channel {
    char *id, *name;
    int is_private, is_im, is_ext_shared;
    char **members;
    size_t n_members;
    int64_t created;
};

struct msg {
    struct channel *ch;
    json_t *j;    /* the message as history shows it (no metadata) */
    json_t *meta; /* its metadata, or NULL */
    const struct user *author;
    char ts[32];
    char thread_ts[32]; /* "" unless in a thread (the root has its own) */
    int deleted;
};

struct ephemeral {
    const struct user *u;
    struct channel *ch;
    char ts[32];
    json_t *j;
};

struct trigger {
    char id[64];
    const struct user *u;
    int64_t at;
    int used;
};

struct view {
    char id[16];
    const struct user *u;
    json_t *j;
    int closed; /* submitted and closed (an ack without errors) */
};

struct conn; /* a Socket Mode WebSocket */

struct envelope {
    char id[40];
    const char *type; /* events_api, interactive */
    json_t *payload;
    char event_id[16];
    char event_type[32];
    int attempt;
    struct conn *to; /* where it was sent; NULL before */
    int64_t deadline;
    int acked, retried, accepts_response;
    json_t *response;       /* the payload of its ack */
    const struct user *app; /* whose app it is for (W.bot: the app) */
};

struct conn {
    struct lws *wsi;
    char **out;
    size_t n_out, cap_out;
    struct pf_buf rx;
    int too_big;
    int closing;        /* close at the next writeable */
    int64_t close_at;   /* close then (0: no) */
    int64_t refresh_at; /* send refresh_requested then (0: no) */
    int64_t ping_at;
    int want_ping;
    int serial;
    const struct user *app; /* whose app's socket (W.bot: the app) */
};

/* per lws connection: one HTTP request, or a socket */
struct pss {
    char method[8];
    char path[256];
    char ctype[128];
    char auth[512];
    json_t *query;
    struct pf_buf body;
    int too_big;
    int answered; /* lws may call BODY_COMPLETION after an empty body */
    char *resp;
    size_t resp_len;
    struct conn *ws;
};

static struct {
    char *team_id, *team_name, *team_domain;
    char *app_id, *app_token;
    struct user *bot;
    struct user *users;
    size_t n_users;
    struct channel *channels;
    size_t n_channels;
    struct msg *msgs;
    size_t n_msgs;
    struct ephemeral *eph;
    size_t n_eph;
    struct trigger *triggers;
    size_t n_triggers;
    struct view *views;
    size_t n_views;
    struct envelope **envs;
    size_t n_envs;
    struct conn **conns;
    size_t n_conns;
    struct ticket {
        char *id; /* NULL once used */
        const struct user *app;
    } * tickets;
    size_t n_tickets;
    size_t cap_channels; /* IMs are made on demand; channels never move */
    int n_serial;
    int64_t last_ts_us;
    long long ack_timeout_ms, max_retries, trigger_ttl_ms, ping_interval_ms,
        warning_lead_ms;
    int port;
    int link_disabled;
    char ratelimit_method[64];
    int ratelimit_count, ratelimit_after;
    int lose_acks, duplicate_next;
    char swallow_method[64];
    int swallow_count; /* the bot's next calls carried out, not answered */
    struct lws_context *ctx;
    lws_sorted_usec_list_t tick;
    FILE *log, *trace;
    volatile sig_atomic_t sig_drop, sig_refresh, sig_warning, sig_throttle,
        sig_stop;
} W;

/* ---- small helpers ---- */

static void logf_(const char *fmt, ...) PF_ATTR_PRINTF(1, 2);

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

static void
trace_json(const char *tag, const json_t *j)
{
    if (!W.trace)
        return;
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    trace(tag, s ? s : "null");
    free(s);
}

static int64_t
now_us(void)
{
    return pf_now_us();
}

static void
rand_chars(char *out, size_t n, const char *alphabet)
{
    size_t k = strlen(alphabet);
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[(size_t)rand() % k];
    out[n] = '\0';
}

/* a Slack id: a letter and 10 upper-case letters or digits */
static void
new_id(char out[12], char first)
{
    out[0] = first;
    rand_chars(out + 1, 10, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
}

static void
new_uuid(char out[37])
{
    char h[33];
    rand_chars(h, 32, "0123456789abcdef");
    snprintf(out, 37, "%.8s-%.4s-4%.3s-a%.3s-%.12s", h, h + 8, h + 12, h + 15,
             h + 18);
}

/*
 * A message timestamp, "1700000000.000100": the wall clock in
 * microseconds, always above the last one handed out, so ts strings are
 * unique and increase (in every channel, since across all of them).
 */
static void
next_ts(char out[32])
{
    int64_t t = pf_wall_us();
    if (t <= W.last_ts_us)
        t = W.last_ts_us + 1;
    W.last_ts_us = t;
    snprintf(out, 32, "%lld.%06lld", (long long)(t / 1000000),
             (long long)(t % 1000000));
}

/* "1700000000.000100" -> microseconds; -1 if it is not a timestamp */
static int64_t
ts_us(const char *s)
{
    if (!s || !*s)
        return -1;
    char *end;
    double d = strtod(s, &end);
    if (*end || d < 0)
        return -1;
    const char *dot = strchr(s, '.');
    long long sec = atoll(s), frac = 0;
    if (dot) {
        char f[7] = "000000";
        size_t n = strlen(dot + 1);
        memcpy(f, dot + 1, n < 6 ? n : 6);
        frac = atoll(f);
    }
    return (int64_t)sec * 1000000 + frac;
}

static struct user *
user_by_id(const char *id)
{
    for (size_t i = 0; id && i < W.n_users; i++)
        if (strcmp(W.users[i].id, id) == 0)
            return &W.users[i];
    return NULL;
}

static struct user *
user_by_app_token(const char *t)
{
    for (size_t i = 0; t && *t && i < W.n_users; i++)
        if (W.users[i].app_token && strcmp(W.users[i].app_token, t) == 0)
            return &W.users[i];
    return NULL;
}

static struct user *
user_by_token(const char *t)
{
    for (size_t i = 0; t && *t && i < W.n_users; i++)
        if (strcmp(W.users[i].token, t) == 0)
            return &W.users[i];
    return NULL;
}

/* by id, or by name with or without '#' as chat.postMessage allows */
static struct channel *
channel_by_ref(const char *ref)
{
    if (!ref)
        return NULL;
    const char *name = ref[0] == '#' ? ref + 1 : ref;
    for (size_t i = 0; i < W.n_channels; i++)
        if (strcmp(W.channels[i].id, ref) == 0)
            return &W.channels[i];
    for (size_t i = 0; i < W.n_channels; i++)
        if (!W.channels[i].is_im && strcmp(W.channels[i].name, name) == 0)
            return &W.channels[i];
    return NULL;
}

static int
is_member(const struct channel *c, const struct user *u)
{
    for (size_t i = 0; u && i < c->n_members; i++)
        if (strcmp(c->members[i], u->id) == 0)
            return 1;
    return 0;
}

/* whether u may see that c exists: public channels, or a member */
static int
visible(const struct channel *c, const struct user *u)
{
    return (!c->is_private && !c->is_im) || is_member(c, u);
}

static const char *
channel_type(const struct channel *c)
{
    return c->is_im ? "im" : c->is_private ? "group" : "channel";
}

static const char *
team_of(const struct user *u)
{
    return u->team_id && *u->team_id ? u->team_id : W.team_id;
}

static struct msg *
find_msg(const struct channel *c, const char *ts)
{
    for (size_t i = 0; ts && i < W.n_msgs; i++)
        if (W.msgs[i].ch == c && !W.msgs[i].deleted &&
            strcmp(W.msgs[i].ts, ts) == 0)
            return &W.msgs[i];
    return NULL;
}

/* ---- envelopes and the sockets ---- */

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
conn_queue_json(struct conn *c, json_t *j, const char *tag)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    trace(tag, s);
    conn_queue(c, s);
    free(s);
}

/* the newest connection of app's that can take envelopes */
static struct conn *
live_conn(const struct user *app)
{
    for (size_t i = W.n_conns; i-- > 0;)
        if (W.conns[i]->app == app && !W.conns[i]->closing &&
            !W.conns[i]->close_at)
            return W.conns[i];
    return NULL;
}

static void
env_send(struct envelope *e, struct conn *c)
{
    json_t *j = json_pack("{s:s, s:O, s:s, s:b}", "envelope_id", e->id,
                          "payload", e->payload, "type", e->type,
                          "accepts_response_payload", e->accepts_response);
    if (strcmp(e->type, "events_api") == 0) {
        json_object_set_new(j, "retry_attempt", json_integer(e->attempt));
        json_object_set_new(j, "retry_reason",
                            json_string(e->attempt ? "timeout" : ""));
    }
    conn_queue_json(c, j, "ENVELOPE");
    json_decref(j);
    e->to = c;
    e->deadline = now_us() + W.ack_timeout_ms * 1000;
    logf_("ENVELOPE %s %s%s%s attempt %d to socket #%d", e->id, e->type,
          e->event_type[0] ? " " : "", e->event_type, e->attempt, c->serial);
}

static struct envelope *
env_new(const char *type, json_t *payload, int accepts_response)
{
    struct envelope *e = pf_xcalloc(1, sizeof(*e));
    new_uuid(e->id);
    e->type = type;
    e->payload = payload; /* takes the reference */
    e->accepts_response = accepts_response;
    e->app = W.bot;
    W.envs = pf_xrealloc(W.envs, (W.n_envs + 1) * sizeof(*W.envs));
    W.envs[W.n_envs++] = e;
    struct conn *c = live_conn(W.bot);
    if (c)
        env_send(e, c);
    return e;
}

/* the Events API wrapper around one event, to app's sockets (W.bot:
   the app; a user: that user's own app); takes the event */
static void
emit_event(json_t *event, const struct channel *c, const struct user *app)
{
    char event_id[16] = "Ev"; /* "Ev" and ten more */
    rand_chars(event_id + 2, 10, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
    const char *etype = json_string_value(json_object_get(event, "type"));
    char ctx[128];
    snprintf(ctx, sizeof(ctx), "1-%s-%s-%s", etype ? etype : "", W.team_id,
             c ? c->id : "");
    /* the faults are the bot's: the test users' apps see none */
    int copies = app == W.bot && W.duplicate_next ? 2 : 1;
    if (app == W.bot)
        W.duplicate_next = 0;
    for (int i = 0; i < copies; i++) {
        json_t *payload = json_pack(
            "{s:s, s:s, s:s, s:n, s:s, s:O, s:s, s:s, s:I, s:[{s:n, s:s, "
            "s:s, s:b, s:b}], s:b, s:s}",
            "token", "emulator-verification-token", "team_id", W.team_id,
            "context_team_id", W.team_id, "context_enterprise_id", "api_app_id",
            W.app_id, "event", event, "type", "event_callback", "event_id",
            event_id, "event_time", (json_int_t)time(NULL), "authorizations",
            "enterprise_id", "team_id", W.team_id, "user_id", app->id, "is_bot",
            app->is_bot, "is_enterprise_install", 0, "is_ext_shared_channel",
            c && c->is_ext_shared, "event_context", ctx);
        struct envelope *e = pf_xcalloc(1, sizeof(*e));
        pf_snprintf(e->event_id, sizeof(e->event_id), "%s", event_id);
        pf_snprintf(e->event_type, sizeof(e->event_type), "%s",
                    etype ? etype : "");
        /* env_new sends at once: set the event fields first */
        new_uuid(e->id);
        e->type = "events_api";
        e->payload = payload;
        e->app = app;
        W.envs = pf_xrealloc(W.envs, (W.n_envs + 1) * sizeof(*W.envs));
        W.envs[W.n_envs++] = e;
        struct conn *to = live_conn(app);
        if (to)
            env_send(e, to);
        else if (app->outage) {
            e->acked = 1; /* nothing will ever send it */
            logf_("ENVELOPE %s of event %s lost: an outage, and %s's app has "
                  "no socket",
                  e->id, event_id, app->name);
        }
        if (i)
            logf_("duplicate of event %s sent", event_id);
    }
    json_decref(event);
}

/* an event about channel c, to the app if the bot is in it, and to
   each user's own app if that user is in it; takes the event */
static void
to_bot(const struct channel *c, json_t *event)
{
    for (size_t i = 0; i < W.n_users; i++) {
        const struct user *u = &W.users[i];
        if (u != W.bot && !*u->app_token)
            continue;
        if (is_member(c, u))
            emit_event(json_deep_copy(event), c, u);
    }
    json_decref(event);
}

static void
hello(struct conn *c)
{
    size_t n = 0;
    for (size_t i = 0; i < W.n_conns; i++)
        n += W.conns[i]->app == c->app && !W.conns[i]->closing;
    json_t *j = json_pack("{s:s, s:I, s:{s:s, s:i, s:i}, s:{s:s}}", "type",
                          "hello", "num_connections", (json_int_t)n,
                          "debug_info", "host", "applink-slackemu",
                          "build_number", 1, "approximate_connection_time",
                          18060, "connection_info", "app_id", W.app_id);
    conn_queue_json(c, j, "ENVELOPE");
    json_decref(j);
}

static void
disconnect_msg(struct conn *c, const char *reason)
{
    json_t *j = json_pack("{s:s, s:s, s:{s:s}}", "type", "disconnect", "reason",
                          reason, "debug_info", "host", "applink-slackemu");
    conn_queue_json(c, j, "ENVELOPE");
    json_decref(j);
    logf_("WS socket #%d: disconnect %s", c->serial, reason);
}

/* envelopes that were on a socket that went, or have waited too long */
static void
check_envelopes(int64_t now)
{
    size_t n = W.n_envs; /* retries appended now wait for the next tick */
    for (size_t i = 0; i < n; i++) {
        struct envelope *e = W.envs[i];
        if (e->acked || e->retried)
            continue;
        if (!e->to) { /* never sent: no socket until now */
            struct conn *c = live_conn(e->app);
            if (c)
                env_send(e, c);
            continue;
        }
        if (now < e->deadline)
            continue;
        e->retried = 1;
        if (strcmp(e->type, "events_api") != 0) {
            logf_("ENVELOPE %s not acknowledged (not retried)", e->id);
            continue;
        }
        if (e->attempt >= W.max_retries) {
            logf_("ENVELOPE %s not acknowledged: event %s given up", e->id,
                  e->event_id);
            continue;
        }
        struct envelope *r = pf_xcalloc(1, sizeof(*r));
        new_uuid(r->id);
        r->type = e->type;
        r->payload = json_incref(e->payload);
        memcpy(r->event_id, e->event_id, sizeof(r->event_id));
        memcpy(r->event_type, e->event_type, sizeof(r->event_type));
        r->attempt = e->attempt + 1;
        logf_("ENVELOPE %s not acknowledged: retry %d of event %s as %s", e->id,
              r->attempt, e->event_id, r->id);
        W.envs = pf_xrealloc(W.envs, (W.n_envs + 1) * sizeof(*W.envs));
        r->app = e->app;
        W.envs[W.n_envs++] = r;
        struct conn *c = live_conn(e->app);
        if (c)
            env_send(r, c);
    }
}

static void
tick_cb(lws_sorted_usec_list_t *sul)
{
    (void)sul;
    int64_t now = now_us();
    for (size_t i = 0; i < W.n_conns; i++) {
        struct conn *c = W.conns[i];
        if (c->refresh_at && now >= c->refresh_at) {
            c->refresh_at = 0;
            disconnect_msg(c, "refresh_requested");
            c->close_at = now + CLOSE_GRACE_US;
        }
        if (c->close_at && now >= c->close_at && !c->closing) {
            logf_("WS socket #%d: closed by the server", c->serial);
            c->closing = 1;
            lws_callback_on_writable(c->wsi);
        }
        if (now >= c->ping_at) {
            c->ping_at = now + W.ping_interval_ms * 1000;
            c->want_ping = 1;
            lws_callback_on_writable(c->wsi);
        }
    }
    check_envelopes(now);
    lws_sul_schedule(W.ctx, 0, &W.tick, tick_cb, TICK_US);
}

/* the input blocks' ids of a view */
static int
has_input_block(const json_t *view, const char *block_id)
{
    json_t *blocks = json_object_get(view, "blocks");
    for (size_t i = 0; i < json_array_size(blocks); i++) {
        json_t *b = json_array_get(blocks, i);
        const char *t = json_string_value(json_object_get(b, "type"));
        const char *id = json_string_value(json_object_get(b, "block_id"));
        if (t && id && !strcmp(t, "input") && !strcmp(id, block_id))
            return 1;
    }
    return 0;
}

/*
 * A view_submission's ack, as Slack takes it: no payload (or
 * response_action "clear") closes the view; "errors" keeps it open and
 * must name input blocks of the view, each with a string (else Slack
 * shows the user a generic failure: logged as invalid, the view
 * closed). "update" and "push" are not modelled.
 */
static void
view_answered(struct envelope *e, const json_t *pl)
{
    const char *vid = json_string_value(
        json_object_get(json_object_get(e->payload, "view"), "id"));
    struct view *v = NULL;
    for (size_t i = 0; vid && i < W.n_views; i++)
        if (strcmp(W.views[i].id, vid) == 0)
            v = &W.views[i];
    if (!v)
        return;
    const char *ra = json_string_value(json_object_get(pl, "response_action"));
    if (!ra || !strcmp(ra, "clear")) {
        v->closed = 1;
        logf_("view %s closed", v->id);
        return;
    }
    json_t *errors = json_object_get(pl, "errors");
    int good = !strcmp(ra, "errors") && json_is_object(errors) &&
               json_object_size(errors);
    const char *k;
    json_t *val;
    json_object_foreach (errors, k, val) {
        if (!json_is_string(val) || !has_input_block(v->j, k))
            good = 0;
    }
    if (!good) {
        v->closed = 1;
        logf_("view %s: invalid response_action '%s' in the ack; the user "
              "is shown an error and the view closed",
              v->id, ra);
        return;
    }
    logf_("view %s stays open with errors", v->id);
}

static void
ws_receive(struct conn *c, const char *in, size_t len)
{
    json_t *o = json_loadb(in, len, 0, NULL);
    if (W.trace) {
        char *t = pf_xstrndup(in, len);
        trace("WSIN", t);
        free(t);
    }
    const char *id = json_string_value(json_object_get(o, "envelope_id"));
    struct envelope *e = NULL;
    for (size_t i = 0; id && i < W.n_envs; i++)
        if (strcmp(W.envs[i]->id, id) == 0)
            e = W.envs[i];
    if (!e) {
        /* Slack ignores what it cannot read; say so in the log */
        logf_("WS socket #%d: ignored a message that acks no envelope "
              "(%zu bytes)",
              c->serial, len);
    } else if (W.lose_acks > 0 && e->app == W.bot) {
        W.lose_acks--;
        logf_("ACK %s lost on purpose", e->id);
    } else if (e->acked) {
        logf_("ACK %s again (ignored)", e->id);
    } else if (e->retried) {
        logf_("ACK %s too late (already %s)", e->id,
              strcmp(e->type, "events_api") == 0 ? "retried" : "expired");
    } else {
        e->acked = 1;
        json_t *pl = json_object_get(o, "payload");
        if (pl && json_object_size(pl))
            e->response = json_incref(pl);
        if (strcmp(e->event_type, "view_submission") == 0)
            view_answered(e, pl);
        logf_("ACK %s %s%s%s after %lld ms", e->id, e->type,
              e->event_type[0] ? " " : "", e->event_type,
              (long long)(now_us() - (e->deadline - W.ack_timeout_ms * 1000)) /
                  1000);
    }
    json_decref(o);
}

static void
conn_remove(struct conn *c)
{
    size_t k = 0;
    for (size_t i = 0; i < W.n_conns; i++)
        if (W.conns[i] != c)
            W.conns[k++] = W.conns[i];
    W.n_conns = k;
    for (size_t i = 0; i < W.n_envs; i++)
        if (W.envs[i]->to == c)
            W.envs[i]->to = (struct conn *)-1; /* sent; the socket went */
    for (size_t i = 0; i < c->n_out; i++)
        free(c->out[i]);
    free(c->out);
    pf_buf_release(&c->rx);
    free(c);
}

/* ---- Web API: the shapes ---- */

static json_t *
user_json(const struct user *u)
{
    const char *real = u->real_name && *u->real_name ? u->real_name : u->name;
    json_t *profile = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "title", "",
        "phone", "", "real_name", real, "real_name_normalized", real,
        "display_name", u->name, "display_name_normalized", u->name,
        "avatar_hash", "g0000000000a", "status_text", "", "status_emoji", "",
        "image_48",
        "https://a.slack-edge.com/80588/img/avatars/ava_0001-48.png", "team",
        team_of(u));
    if (u->is_bot) {
        json_object_set_new(profile, "bot_id", json_string(u->bot_id));
        json_object_set_new(profile, "api_app_id", json_string(W.app_id));
    }
    return json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:i, s:o, "
                     "s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:I, s:b}",
                     "id", u->id, "team_id", team_of(u), "name", u->name,
                     "deleted", 0, "color", "9f69e7", "real_name", real, "tz",
                     "Europe/Helsinki", "tz_label", "Eastern European Time",
                     "tz_offset", 7200, "profile", profile, "is_admin", 0,
                     "is_owner", 0, "is_primary_owner", 0, "is_restricted", 0,
                     "is_ultra_restricted", 0, "is_bot", u->is_bot,
                     "is_app_user", 0, "updated", (json_int_t)1700000000,
                     "is_email_confirmed", !u->is_bot);
}

static json_t *
channel_json(const struct channel *c, const struct user *viewer)
{
    if (c->is_im) {
        const char *other = "";
        for (size_t i = 0; i < c->n_members; i++)
            if (!viewer || strcmp(c->members[i], viewer->id) != 0)
                other = c->members[i];
        return json_pack("{s:s, s:I, s:b, s:b, s:s, s:I, s:s, s:b, s:i}", "id",
                         c->id, "created", (json_int_t)c->created, "is_im", 1,
                         "is_org_shared", 0, "context_team_id", W.team_id,
                         "updated", (json_int_t)c->created * 1000, "user",
                         other, "is_user_deleted", 0, "priority", 0);
    }
    json_t *shared = json_array();
    if (c->is_ext_shared) {
        json_array_append_new(shared, json_string(W.team_id));
        for (size_t i = 0; i < c->n_members; i++) {
            struct user *m = user_by_id(c->members[i]);
            if (m && strcmp(team_of(m), W.team_id) != 0)
                json_array_append_new(shared, json_string(team_of(m)));
        }
    }
    return json_pack(
        "{s:s, s:s, s:b, s:b, s:b, s:I, s:b, s:b, s:i, s:s, s:b, s:b, "
        "s:b, s:b, s:b, s:b, s:[], s:s, s:I, s:n, s:s, s:b, s:b, "
        "s:{s:s, s:s, s:i}, s:{s:s, s:s, s:i}, s:[], s:o, s:I}",
        "id", c->id, "name", c->name, "is_channel", !c->is_private, "is_group",
        c->is_private, "is_im", 0, "created", (json_int_t)c->created,
        "is_archived", 0, "is_general", 0, "unlinked", 0, "name_normalized",
        c->name, "is_shared", c->is_ext_shared, "is_org_shared", 0,
        "is_pending_ext_shared", 0, "is_ext_shared", c->is_ext_shared,
        "is_mpim", 0, "is_private", c->is_private, "pending_shared",
        "context_team_id", W.team_id, "updated", (json_int_t)c->created * 1000,
        "parent_conversation", "creator", c->n_members ? c->members[0] : "",
        "is_member", is_member(c, viewer), "is_read_only", 0, "topic", "value",
        "", "creator", "", "last_set", 0, "purpose", "value", "", "creator", "",
        "last_set", 0, "previous_names", "shared_team_ids", shared,
        "num_members", (json_int_t)c->n_members);
}

static void
add_bot_fields(json_t *m)
{
    json_object_set_new(m, "bot_id", json_string(W.bot->bot_id));
    json_object_set_new(m, "app_id", json_string(W.app_id));
    json_object_set_new(
        m, "bot_profile",
        json_pack(
            "{s:s, s:b, s:s, s:I, s:s, s:{s:s, s:s, s:s}, s:s}", "id",
            W.bot->bot_id, "deleted", 0, "name", W.bot->name, "updated",
            (json_int_t)1700000000, "app_id", W.app_id, "icons", "image_36",
            "https://a.slack-edge.com/80588/img/plugins/app/bot_36.png",
            "image_48",
            "https://a.slack-edge.com/80588/img/plugins/app/bot_48.png",
            "image_72",
            "https://a.slack-edge.com/80588/img/plugins/app/service_72.png",
            "team_id", W.team_id));
}

/* the message as shown now: thread fields on a root, metadata if asked */
static json_t *
msg_view(const struct msg *m, int with_meta)
{
    json_t *j = json_deep_copy(m->j);
    if (m->thread_ts[0] && strcmp(m->thread_ts, m->ts) == 0) {
        json_t *users = json_array();
        size_t n = 0;
        const char *latest = m->ts;
        for (size_t i = 0; i < W.n_msgs; i++) {
            const struct msg *r = &W.msgs[i];
            if (r->ch != m->ch || r->deleted || r == m ||
                strcmp(r->thread_ts, m->ts) != 0)
                continue;
            n++;
            latest = r->ts;
            const char *uid = r->author->id;
            int seen = 0;
            for (size_t k = 0; k < json_array_size(users); k++)
                seen |= strcmp(json_string_value(json_array_get(users, k)),
                               uid) == 0;
            if (!seen)
                json_array_append_new(users, json_string(uid));
        }
        json_object_set_new(j, "thread_ts", json_string(m->ts));
        json_object_set_new(j, "reply_count", json_integer((json_int_t)n));
        json_object_set_new(j, "reply_users_count",
                            json_integer((json_int_t)json_array_size(users)));
        json_object_set_new(j, "latest_reply", json_string(latest));
        json_object_set_new(j, "reply_users", users);
        json_object_set_new(j, "is_locked", json_false());
        json_object_set_new(j, "subscribed", json_false());
    }
    if (with_meta && m->meta)
        json_object_set(j, "metadata", m->meta);
    return j;
}

/* ---- Web API: one call ---- */

struct call {
    const char *method;
    json_t *args; /* strings, or objects/arrays from a JSON body */
    const struct user *u;
    const struct user *app; /* apps.connections.open: whose app */
    int app_token;
    int status;      /* HTTP status: 200 unless 404/413/429 */
    int retry_after; /* seconds, for 429 */
    json_t *warnings;
};

static const char *
arg(const struct call *c, const char *k)
{
    return json_string_value(json_object_get(c->args, k));
}

static int
arg_true(const struct call *c, const char *k)
{
    const char *v = arg(c, k);
    return json_is_true(json_object_get(c->args, k)) ||
           (v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0));
}

/* an object or array argument: given as one, or as a JSON string; a new
   reference, or NULL (absent); *bad when present but not JSON */
static json_t *
arg_json(const struct call *c, const char *k, int *bad)
{
    json_t *v = json_object_get(c->args, k);
    *bad = 0;
    if (!v)
        return NULL;
    if (json_is_object(v) || json_is_array(v))
        return json_incref(v);
    const char *s = json_string_value(v);
    json_t *j = s ? json_loads(s, 0, NULL) : NULL;
    if (!j || !(json_is_object(j) || json_is_array(j))) {
        json_decref(j);
        *bad = 1;
        return NULL;
    }
    return j;
}

static json_t *
ok(json_t *o)
{
    json_t *r = json_pack("{s:b}", "ok", 1);
    json_object_update(r, o);
    json_decref(o);
    return r;
}

static json_t *
err(const char *code)
{
    return json_pack("{s:b, s:s}", "ok", 0, "error", code);
}

/* invalid_arguments and the like, with Slack's explanation lines */
static json_t *err_msg(const char *code, const char *fmt, ...)
    PF_ATTR_PRINTF(2, 3);

static json_t *
err_msg(const char *code, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    return json_pack("{s:b, s:s, s:{s:[s]}}", "ok", 0, "error", code,
                     "response_metadata", "messages", line);
}

static json_t *
missing(const char *field)
{
    return err_msg("invalid_arguments", "[ERROR] missing required field: %s",
                   field);
}

/*
 * The channel named by argument k, for the caller: channel_not_found if
 * it does not exist or is private to others; with need_member, a public
 * channel the caller is not in is not_in_channel.
 */
static struct channel *
channel_arg(const struct call *c, const char *k, int need_member,
            json_t **error)
{
    struct channel *ch = channel_by_ref(arg(c, k));
    if (!ch || !visible(ch, c->u)) {
        *error = err("channel_not_found");
        return NULL;
    }
    if (need_member && !is_member(ch, c->u)) {
        *error = err("not_in_channel");
        return NULL;
    }
    return ch;
}

static json_t *
m_auth_test(struct call *c)
{
    char url[128];
    snprintf(url, sizeof(url), "https://%s.slack.com/", W.team_domain);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "url", url, "team",
                          W.team_name, "user", c->u->name, "team_id", W.team_id,
                          "user_id", c->u->id, "is_enterprise_install", 0);
    if (c->u->is_bot)
        json_object_set_new(o, "bot_id", json_string(c->u->bot_id));
    return ok(o);
}

static json_t *
m_users_info(struct call *c)
{
    if (!arg(c, "user"))
        return missing("user");
    struct user *u = user_by_id(arg(c, "user"));
    if (!u)
        return err("user_not_found");
    return ok(json_pack("{s:o}", "user", user_json(u)));
}

static json_t *
m_conversations_info(struct call *c)
{
    json_t *e = NULL;
    if (!arg(c, "channel"))
        return missing("channel");
    struct channel *ch = channel_arg(c, "channel", 0, &e);
    if (!ch)
        return e;
    return ok(json_pack("{s:o}", "channel", channel_json(ch, c->u)));
}

/* the types conversations.list is asked for include c's */
static int
listed(const struct channel *c, const char *types)
{
    char want[32];
    pf_snprintf(want, sizeof(want), "%s",
                c->is_im        ? "im"
                : c->is_private ? "private_channel"
                                : "public_channel");
    for (const char *p = types; p && *p;) {
        size_t n = strcspn(p, ",");
        if (n == strlen(want) && strncmp(p, want, n) == 0)
            return 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

/* every conversation of the types the caller may see, in one page */
static json_t *
m_conversations_list(struct call *c)
{
    const char *types = arg(c, "types");
    json_t *list = json_array();
    for (size_t i = 0; i < W.n_channels; i++) {
        const struct channel *ch = &W.channels[i];
        if (!visible(ch, c->u) ||
            !listed(ch, types && *types ? types : "public_channel"))
            continue;
        json_array_append_new(list, channel_json(ch, c->u));
    }
    return ok(json_pack("{s:o, s:{s:s}}", "channels", list, "response_metadata",
                        "next_cursor", ""));
}

/* a conversation's members, in one page */
static json_t *
m_conversations_members(struct call *c)
{
    json_t *e = NULL;
    if (!arg(c, "channel"))
        return missing("channel");
    struct channel *ch = channel_arg(c, "channel", 0, &e);
    if (!ch)
        return e;
    json_t *ids = json_array();
    for (size_t i = 0; i < ch->n_members; i++)
        json_array_append_new(ids, json_string(ch->members[i]));
    return ok(json_pack("{s:o, s:{s:s}}", "members", ids, "response_metadata",
                        "next_cursor", ""));
}

/* the IM of a and b, made on first use (Slack opens it when one of them
   posts to the other's user id) */
static struct channel *
im_of(const struct user *a, const struct user *b)
{
    for (size_t i = 0; i < W.n_channels; i++) {
        struct channel *ch = &W.channels[i];
        if (ch->is_im && is_member(ch, a) && is_member(ch, b) &&
            ch->n_members == (a == b ? 1u : 2u))
            return ch;
    }
    if (W.n_channels == W.cap_channels)
        return NULL;
    struct channel *ch = &W.channels[W.n_channels++];
    char id[12];
    new_id(id, 'D');
    ch->id = pf_xstrdup(id);
    ch->name = pf_xstrdup("");
    ch->is_im = 1;
    ch->created = time(NULL);
    ch->members = pf_xcalloc(3, sizeof(char *));
    ch->members[ch->n_members++] = pf_xstrdup(a->id);
    if (a != b)
        ch->members[ch->n_members++] = pf_xstrdup(b->id);
    logf_("IM %s opened for %s and %s", ch->id, a->name, b->name);
    return ch;
}

/* cursor "next_ts:TS" in base64, as Slack's look */
static void
make_cursor(const char *ts, char *out, size_t outlen)
{
    char raw[64];
    snprintf(raw, sizeof(raw), "next_ts:%s", ts);
    lws_b64_encode_string(raw, (int)strlen(raw), out, (int)outlen);
}

static int
read_cursor(const char *cursor, int64_t *at)
{
    char raw[64];
    int n = lws_b64_decode_string(cursor, raw, sizeof(raw) - 1);
    if (n <= 8 || strncmp(raw, "next_ts:", 8) != 0)
        return -1;
    raw[n] = '\0';
    *at = ts_us(raw + 8);
    return *at < 0 ? -1 : 0;
}

/* the paging arguments shared by history and replies */
struct page {
    int64_t oldest, latest, from; /* from: the cursor's ts, or -1 */
    int inclusive, limit, with_meta;
};

static json_t *
page_args(const struct call *c, struct page *p)
{
    const char *o = arg(c, "oldest"), *l = arg(c, "latest"),
               *lim = arg(c, "limit"), *cur = arg(c, "cursor");
    p->oldest = o && *o ? ts_us(o) : 0;
    p->latest = l && *l ? ts_us(l) : INT64_MAX;
    if (p->oldest < 0 || p->latest < 0)
        return err("invalid_ts_latest");
    p->inclusive = arg_true(c, "inclusive");
    p->limit = lim && *lim ? atoi(lim) : DEFAULT_LIMIT;
    if (p->limit <= 0)
        p->limit = DEFAULT_LIMIT;
    if (p->limit > MAX_LIMIT)
        p->limit = MAX_LIMIT;
    p->from = -1;
    if (cur && *cur && read_cursor(cur, &p->from) != 0)
        return err("invalid_cursor");
    p->with_meta = arg_true(c, "include_all_metadata");
    return NULL;
}

static int
in_range(const struct page *p, int64_t t)
{
    if (p->inclusive)
        return t >= p->oldest && t <= p->latest;
    return t > p->oldest && t < p->latest;
}

static json_t *
m_conversations_history(struct call *c)
{
    json_t *e = NULL;
    struct page p;
    if (!arg(c, "channel"))
        return err("channel_not_found");
    struct channel *ch = channel_arg(c, "channel", c->u->is_bot, &e);
    if (!ch)
        return e;
    if ((e = page_args(c, &p)))
        return e;
    /* newest first: the channel's messages (thread replies only when
       broadcast), from the cursor's ts down */
    json_t *out = json_array();
    int more = 0;
    const char *next = NULL;
    for (size_t i = W.n_msgs; i-- > 0;) {
        struct msg *m = &W.msgs[i];
        int64_t t = ts_us(m->ts);
        if (m->ch != ch || m->deleted || !in_range(&p, t) ||
            (p.from >= 0 && t > p.from))
            continue;
        if (m->thread_ts[0] && strcmp(m->thread_ts, m->ts) != 0 &&
            strcmp(json_string_value(json_object_get(m->j, "subtype"))
                       ? json_string_value(json_object_get(m->j, "subtype"))
                       : "",
                   "thread_broadcast") != 0)
            continue; /* a reply, even a bot's: only in its thread */
        if (json_array_size(out) == (size_t)p.limit) {
            more = 1;
            next = m->ts;
            break;
        }
        json_array_append_new(out, msg_view(m, p.with_meta));
    }
    json_t *o = json_pack("{s:o, s:b, s:i, s:n, s:i}", "messages", out,
                          "has_more", more, "pin_count", 0,
                          "channel_actions_ts", "channel_actions_count", 0);
    if (more) {
        char cur[128];
        make_cursor(next, cur, sizeof(cur));
        json_object_set_new(o, "response_metadata",
                            json_pack("{s:s}", "next_cursor", cur));
    }
    return ok(o);
}

static json_t *
m_conversations_replies(struct call *c)
{
    json_t *e = NULL;
    struct page p;
    if (!arg(c, "channel"))
        return err("channel_not_found");
    if (!arg(c, "ts"))
        return missing("ts");
    struct channel *ch = channel_arg(c, "channel", c->u->is_bot, &e);
    if (!ch)
        return e;
    if ((e = page_args(c, &p)))
        return e;
    struct msg *m = find_msg(ch, arg(c, "ts"));
    if (!m)
        return err("thread_not_found");
    const char *root = m->thread_ts[0] ? m->thread_ts : m->ts;
    struct msg *r = find_msg(ch, root);
    if (!r)
        return err("thread_not_found");
    /* the root first, then the replies oldest first, from the cursor */
    json_t *out = json_array();
    int more = 0;
    const char *next = NULL;
    for (size_t i = 0; i < W.n_msgs; i++) {
        struct msg *q = &W.msgs[i];
        int64_t t = ts_us(q->ts);
        if (q->ch != ch || q->deleted ||
            (q != r && strcmp(q->thread_ts, root) != 0))
            continue;
        if (q != r && (!in_range(&p, t) || (p.from >= 0 && t < p.from)))
            continue;
        if (q == r && p.from >= 0)
            continue; /* a later page: replies only */
        if (json_array_size(out) == (size_t)p.limit) {
            more = 1;
            next = q->ts;
            break;
        }
        json_array_append_new(out, msg_view(q, p.with_meta));
    }
    json_t *o = json_pack("{s:o, s:b}", "messages", out, "has_more", more);
    if (more) {
        char cur[128];
        make_cursor(next, cur, sizeof(cur));
        json_object_set_new(o, "response_metadata",
                            json_pack("{s:s}", "next_cursor", cur));
    }
    return ok(o);
}

/* text and blocks of a message to post; NULL or an error */
static json_t *
content(const struct call *c, json_t *m)
{
    const char *text = arg(c, "text");
    int bad;
    json_t *blocks = arg_json(c, "blocks", &bad);
    if (bad || (blocks && !json_is_array(blocks))) {
        json_decref(blocks);
        return err("invalid_blocks");
    }
    for (size_t i = 0; i < json_array_size(blocks); i++)
        if (!json_is_string(
                json_object_get(json_array_get(blocks, i), "type"))) {
            json_decref(blocks);
            return err_msg("invalid_blocks",
                           "[ERROR] missing required field: type "
                           "[json-pointer:/blocks/%zu/type]",
                           i);
        }
    if ((!text || !*text) && !json_array_size(blocks)) {
        json_decref(blocks);
        return err("no_text");
    }
    if (text && strlen(text) > MAX_TEXT) {
        json_decref(blocks);
        return err("msg_too_long");
    }
    json_object_set_new(m, "text", json_string(text ? text : ""));
    if (blocks)
        json_object_set_new(m, "blocks", blocks);
    return NULL;
}

static json_t *
metadata_arg(const struct call *c, json_t **meta)
{
    int bad;
    json_t *md = arg_json(c, "metadata", &bad);
    *meta = NULL;
    if (bad ||
        (md && (!json_is_object(md) ||
                !json_is_string(json_object_get(md, "event_type")) ||
                !json_is_object(json_object_get(md, "event_payload"))))) {
        json_decref(md);
        return err("invalid_metadata_format");
    }
    if (md)
        *meta = json_pack("{s:O, s:O}", "event_type",
                          json_object_get(md, "event_type"), "event_payload",
                          json_object_get(md, "event_payload"));
    json_decref(md);
    return NULL;
}

static struct msg *
store(struct channel *ch, json_t *j, json_t *meta, const struct user *u,
      const char *ts, const char *thread_ts)
{
    W.msgs = pf_xrealloc(W.msgs, (W.n_msgs + 1) * sizeof(*W.msgs));
    struct msg *m = &W.msgs[W.n_msgs++];
    memset(m, 0, sizeof(*m));
    m->ch = ch;
    m->j = j;
    m->meta = meta;
    m->author = u;
    pf_snprintf(m->ts, sizeof(m->ts), "%s", ts);
    pf_snprintf(m->thread_ts, sizeof(m->thread_ts), "%s",
                thread_ts ? thread_ts : "");
    return m;
}

/* a message event for the bot: the message with channel fields */
static void
message_event(const struct msg *m)
{
    json_t *ev = json_deep_copy(m->j);
    json_object_set_new(ev, "channel", json_string(m->ch->id));
    json_object_set_new(ev, "event_ts", json_string(m->ts));
    json_object_set_new(ev, "channel_type", json_string(channel_type(m->ch)));
    to_bot(m->ch, ev);
}

static json_t *
m_chat_post_message(struct call *c)
{
    json_t *e = NULL, *meta = NULL;
    if (!arg(c, "channel"))
        return err("channel_not_found");
    const struct user *to = user_by_id(arg(c, "channel"));
    if (to) {
        /* a user's id: the IM with them */
        struct channel *im = im_of(c->u, to);
        if (!im)
            return err("channel_not_found");
        json_object_set_new(c->args, "channel", json_string(im->id));
    }
    struct channel *ch = channel_arg(c, "channel", 1, &e);
    if (!ch)
        return e;
    json_t *m = json_pack("{s:s}", "type", "message");
    const char *username = arg(c, "username");
    int as_bot_message = c->u->is_bot && username && *username;
    if (as_bot_message) {
        json_object_set_new(m, "subtype", json_string("bot_message"));
        json_object_set_new(m, "username", json_string(username));
    } else {
        json_object_set_new(m, "user", json_string(c->u->id));
    }
    if ((e = content(c, m)) || (e = metadata_arg(c, &meta))) {
        json_decref(m);
        return e;
    }
    /* a reply's thread is its root's: Slack threads one level deep */
    const char *tts = arg(c, "thread_ts");
    char root[32] = "";
    if (tts && *tts) {
        struct msg *parent = find_msg(ch, tts);
        if (!parent) {
            logf_("chat.postMessage: thread_ts %s is no message in %s", tts,
                  ch->id);
            pf_snprintf(root, sizeof(root), "%s", tts);
        } else {
            pf_snprintf(root, sizeof(root), "%s",
                        parent->thread_ts[0] ? parent->thread_ts : parent->ts);
            if (!parent->thread_ts[0])
                pf_snprintf(parent->thread_ts, sizeof(parent->thread_ts), "%s",
                            parent->ts);
            const char *pu = parent->author->id;
            struct msg *r = find_msg(ch, root);
            if (r)
                pu = r->author->id;
            json_object_set_new(m, "parent_user_id", json_string(pu));
        }
        json_object_set_new(m, "thread_ts", json_string(root));
        if (arg_true(c, "reply_broadcast"))
            json_object_set_new(m, "subtype", json_string("thread_broadcast"));
    }
    char ts[32];
    next_ts(ts);
    json_object_set_new(m, "ts", json_string(ts));
    if (c->u->is_bot)
        add_bot_fields(m);
    json_object_set_new(m, "team", json_string(team_of(c->u)));
    if (as_bot_message)
        json_object_del(m, "team");
    struct msg *sm = store(ch, m, meta, c->u, ts, root[0] ? root : NULL);
    json_t *shown = msg_view(sm, 1);
    json_t *resp = ok(json_pack("{s:s, s:s, s:o}", "channel", ch->id, "ts", ts,
                                "message", shown));
    message_event(sm);
    return resp;
}

static json_t *
m_chat_post_ephemeral(struct call *c)
{
    json_t *e = NULL;
    if (!arg(c, "channel"))
        return err("channel_not_found");
    if (!arg(c, "user"))
        return missing("user");
    struct channel *ch = channel_arg(c, "channel", 1, &e);
    if (!ch)
        return e;
    struct user *to = user_by_id(arg(c, "user"));
    if (!to)
        return err("user_not_found");
    if (!is_member(ch, to))
        return err("user_not_in_channel");
    json_t *m = json_pack("{s:s, s:s}", "type", "message", "user", c->u->id);
    if ((e = content(c, m))) {
        json_decref(m);
        return e;
    }
    char ts[32];
    next_ts(ts);
    json_object_set_new(m, "ts", json_string(ts));
    const char *tts = arg(c, "thread_ts");
    if (tts && *tts)
        json_object_set_new(m, "thread_ts", json_string(tts));
    if (c->u->is_bot)
        add_bot_fields(m);
    W.eph = pf_xrealloc(W.eph, (W.n_eph + 1) * sizeof(*W.eph));
    struct ephemeral *x = &W.eph[W.n_eph++];
    x->u = to;
    x->ch = ch;
    pf_snprintf(x->ts, sizeof(x->ts), "%s", ts);
    x->j = m;
    logf_("ephemeral %s in %s shown to %s", ts, ch->id, to->id);
    return ok(json_pack("{s:s}", "message_ts", ts));
}

/* the message argument of update/delete/react, and may c->u change it */
static struct msg *
target(struct call *c, const char *tskey, json_t **error)
{
    if (!arg(c, "channel")) {
        *error = err("channel_not_found");
        return NULL;
    }
    if (!arg(c, tskey)) {
        *error = missing(tskey);
        return NULL;
    }
    struct channel *ch = channel_arg(c, "channel", 0, error);
    if (!ch)
        return NULL;
    struct msg *m = find_msg(ch, arg(c, tskey));
    if (!m)
        *error = err("message_not_found");
    return m;
}

static json_t *
m_chat_update(struct call *c)
{
    json_t *e = NULL, *meta = NULL;
    struct msg *m = target(c, "ts", &e);
    if (!m)
        return e;
    if (m->author != c->u)
        return err("cant_update_message");
    json_t *next = json_deep_copy(m->j);
    if (!arg(c, "text") && !json_object_get(c->args, "blocks"))
        json_object_set_new(
            c->args, "text",
            json_string(json_string_value(json_object_get(m->j, "text"))));
    if ((e = content(c, next)) || (e = metadata_arg(c, &meta))) {
        json_decref(next);
        return e;
    }
    char ets[32];
    next_ts(ets);
    json_object_set_new(next, "edited",
                        json_pack("{s:s, s:s}", "user", c->u->id, "ts", ets));
    json_t *prev = msg_view(m, 0);
    json_decref(m->j);
    m->j = next;
    if (meta) {
        json_decref(m->meta);
        m->meta = meta;
    }
    json_t *now = msg_view(m, 0);
    json_t *resp =
        ok(json_pack("{s:s, s:s, s:s, s:o}", "channel", m->ch->id, "ts", m->ts,
                     "text", json_string_value(json_object_get(next, "text")),
                     "message", msg_view(m, 1)));
    to_bot(m->ch, json_pack("{s:s, s:s, s:o, s:o, s:s, s:b, s:s, s:s, s:s}",
                            "type", "message", "subtype", "message_changed",
                            "message", now, "previous_message", prev, "channel",
                            m->ch->id, "hidden", 1, "ts", ets, "event_ts", ets,
                            "channel_type", channel_type(m->ch)));
    return resp;
}

static json_t *
m_chat_delete(struct call *c)
{
    json_t *e = NULL;
    struct msg *m = target(c, "ts", &e);
    if (!m)
        return e;
    if (m->author != c->u)
        return err("cant_delete_message");
    m->deleted = 1;
    char ets[32];
    next_ts(ets);
    json_t *prev = msg_view(m, 0);
    json_t *resp =
        ok(json_pack("{s:s, s:s}", "channel", m->ch->id, "ts", m->ts));
    to_bot(m->ch,
           json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:o, s:s}", "type",
                     "message", "subtype", "message_deleted", "hidden", 1,
                     "channel", m->ch->id, "ts", ets, "deleted_ts", m->ts,
                     "event_ts", ets, "previous_message", prev, "channel_type",
                     channel_type(m->ch)));
    return resp;
}

static json_t *
m_reactions_add(struct call *c)
{
    json_t *e = NULL;
    const char *name = arg(c, "name");
    if (!arg(c, "timestamp") && !arg(c, "channel"))
        return err("no_item_specified");
    struct msg *m = target(c, "timestamp", &e);
    if (!m)
        return e;
    if (!name || !*name ||
        strspn(name, "abcdefghijklmnopqrstuvwxyz"
                     "0123456789_+-'") != strlen(name))
        return err("invalid_name");
    json_t *rs = json_object_get(m->j, "reactions");
    if (!rs) {
        rs = json_array();
        json_object_set_new(m->j, "reactions", rs);
    }
    json_t *r = NULL;
    for (size_t i = 0; i < json_array_size(rs); i++)
        if (strcmp(json_string_value(
                       json_object_get(json_array_get(rs, i), "name")),
                   name) == 0)
            r = json_array_get(rs, i);
    if (!r) {
        r = json_pack("{s:s, s:[], s:i}", "name", name, "users", "count", 0);
        json_array_append_new(rs, r);
    }
    json_t *users = json_object_get(r, "users");
    for (size_t i = 0; i < json_array_size(users); i++)
        if (strcmp(json_string_value(json_array_get(users, i)), c->u->id) == 0)
            return err("already_reacted");
    json_array_append_new(users, json_string(c->u->id));
    json_object_set_new(r, "count",
                        json_integer((json_int_t)json_array_size(users)));
    char ets[32];
    next_ts(ets);
    to_bot(m->ch,
           json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:s, s:s}", "type",
                     "reaction_added", "user", c->u->id, "reaction", name,
                     "item", "type", "message", "channel", m->ch->id, "ts",
                     m->ts, "item_user", m->author->id, "event_ts", ets));
    return ok(json_object());
}

static json_t *
m_views_open(struct call *c)
{
    const char *tid = arg(c, "trigger_id");
    if (!tid && !arg(c, "interactivity_pointer"))
        return missing("trigger_id");
    int bad;
    json_t *v = arg_json(c, "view", &bad);
    if (!v)
        return missing("view");
    const char *type = json_string_value(json_object_get(v, "type"));
    json_t *title = json_object_get(v, "title");
    json_t *e = NULL;
    if (!json_is_object(v))
        e = err_msg("invalid_arguments", "[ERROR] must be an object "
                                         "[json-pointer:/view]");
    else if (!type || strcmp(type, "modal") != 0)
        e = err_msg("invalid_arguments", "[ERROR] must be a valid enum value "
                                         "[json-pointer:/view/type]");
    else if (!json_is_string(json_object_get(title, "text")))
        e = err_msg("invalid_arguments",
                    "[ERROR] missing required field: title "
                    "[json-pointer:/view/title]");
    else if (!json_is_array(json_object_get(v, "blocks")))
        e = err_msg("invalid_arguments",
                    "[ERROR] missing required field: blocks "
                    "[json-pointer:/view/blocks]");
    if (e) {
        json_decref(v);
        return e;
    }
    struct trigger *t = NULL;
    for (size_t i = 0; tid && i < W.n_triggers; i++)
        if (strcmp(W.triggers[i].id, tid) == 0)
            t = &W.triggers[i];
    if (!t)
        e = err("invalid_trigger_id");
    else if (t->used)
        e = err("exchanged_trigger_id");
    else if (now_us() - t->at > W.trigger_ttl_ms * 1000)
        e = err("expired_trigger_id");
    if (e) {
        json_decref(v);
        return e;
    }
    t->used = 1;
    W.views = pf_xrealloc(W.views, (W.n_views + 1) * sizeof(*W.views));
    struct view *sv = &W.views[W.n_views++];
    memset(sv, 0, sizeof(*sv));
    new_id(sv->id, 'V');
    sv->u = t->u;
    char hash[32], h[9];
    rand_chars(h, 8, "0123456789abcdef");
    snprintf(hash, sizeof(hash), "%lld.%s", (long long)time(NULL), h);
    json_t *pm = json_object_get(v, "private_metadata");
    json_t *cb = json_object_get(v, "callback_id");
    json_t *ext = json_object_get(v, "external_id");
    sv->j = json_pack(
        "{s:s, s:s, s:s, s:O, s:O, s:O, s:O, s:s, s:s, s:{s:{}}, s:s, s:b, "
        "s:b, s:s, s:n, s:s, s:s, s:s, s:s}",
        "id", sv->id, "team_id", W.team_id, "type", "modal", "title", title,
        "blocks", json_object_get(v, "blocks"), "close",
        json_object_get(v, "close") ? json_object_get(v, "close") : json_null(),
        "submit",
        json_object_get(v, "submit") ? json_object_get(v, "submit")
                                     : json_null(),
        "private_metadata", json_is_string(pm) ? json_string_value(pm) : "",
        "callback_id", json_is_string(cb) ? json_string_value(cb) : "", "state",
        "values", "hash", hash, "clear_on_close",
        json_is_true(json_object_get(v, "clear_on_close")), "notify_on_close",
        json_is_true(json_object_get(v, "notify_on_close")), "root_view_id",
        sv->id, "previous_view_id", "app_id", W.app_id, "external_id",
        json_is_string(ext) ? json_string_value(ext) : "",
        "app_installed_team_id", W.team_id, "bot_id", W.bot->bot_id);
    json_decref(v);
    logf_("view %s opened for %s", sv->id, sv->u->id);
    return ok(json_pack("{s:O}", "view", sv->j));
}

static json_t *
m_apps_connections_open(struct call *c)
{
    char ticket[37], url[256];
    new_uuid(ticket);
    W.tickets = pf_xrealloc(W.tickets, (W.n_tickets + 1) * sizeof(*W.tickets));
    W.tickets[W.n_tickets].id = pf_xstrdup(ticket);
    W.tickets[W.n_tickets++].app = c->app ? c->app : W.bot;
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/link/?ticket=%s&app_id=%s",
             W.port, ticket, W.app_id);
    return ok(json_pack("{s:s}", "url", url));
}

enum { TOK_USER = 1, TOK_APP = 2 };

static const struct method {
    const char *name;
    json_t *(*fn)(struct call *);
    int tokens; /* TOK_USER, TOK_APP */
    int write;  /* takes a JSON body */
    int header; /* the token only from the header */
} methods[] = {
    {"apps.connections.open", m_apps_connections_open, TOK_APP, 1, 1},
    {"auth.test", m_auth_test, TOK_USER, 0, 0},
    {"users.info", m_users_info, TOK_USER, 0, 0},
    {"conversations.info", m_conversations_info, TOK_USER, 0, 0},
    {"conversations.list", m_conversations_list, TOK_USER, 0, 0},
    {"conversations.members", m_conversations_members, TOK_USER, 0, 0},
    {"conversations.history", m_conversations_history, TOK_USER, 0, 0},
    {"conversations.replies", m_conversations_replies, TOK_USER, 0, 0},
    {"chat.postMessage", m_chat_post_message, TOK_USER, 1, 0},
    {"chat.postEphemeral", m_chat_post_ephemeral, TOK_USER, 1, 0},
    {"chat.update", m_chat_update, TOK_USER, 1, 0},
    {"chat.delete", m_chat_delete, TOK_USER, 1, 0},
    {"reactions.add", m_reactions_add, TOK_USER, 1, 0},
    {"views.open", m_views_open, TOK_USER, 1, 0},
};

/* application/x-www-form-urlencoded into args (values are strings) */
static void
percent_decode(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '+') {
            *o++ = ' ';
        } else if (*p == '%' && p[1] && p[2] &&
                   strchr("0123456789abcdefABCDEF", p[1]) &&
                   strchr("0123456789abcdefABCDEF", p[2])) {
            char h[3] = {p[1], p[2], 0};
            *o++ = (char)strtol(h, NULL, 16);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

static void
parse_form(const char *body, size_t len, json_t *args)
{
    char *s = pf_xstrndup(body, len);
    char *save = NULL;
    for (char *kv = strtok_r(s, "&", &save); kv;
         kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        if (eq)
            *eq = '\0';
        percent_decode(kv);
        if (eq)
            percent_decode(eq + 1);
        /* a NUL inside a value ends it: Slack's values are text */
        if (*kv)
            json_object_set_new(args, kv, json_string(eq ? eq + 1 : ""));
    }
    free(s);
}

static void
respond(struct lws *wsi, struct pss *p, int status, json_t *body,
        int retry_after, const char *tag)
{
    char *txt = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    if (!txt)
        txt = pf_xstrdup("{}");
    size_t n = strlen(txt);
    if (W.trace) {
        char t[128];
        pf_snprintf(t, sizeof(t), "RESP %s %d", tag, status);
        trace(t, txt);
    }
    unsigned char buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *q = start,
                                       *end = buf + sizeof(buf) - 1;
    if (lws_add_http_common_headers(wsi, (unsigned)status,
                                    "application/json; charset=utf-8", n, &q,
                                    end))
        goto fail;
    if (retry_after) {
        char v[16];
        snprintf(v, sizeof(v), "%d", retry_after);
        if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_RETRY_AFTER,
                                         (const unsigned char *)v,
                                         (int)strlen(v), &q, end))
            goto fail;
    }
    if (lws_finalize_write_http_header(wsi, start, &q, end))
        goto fail;
    p->resp = txt;
    p->resp_len = n;
    lws_callback_on_writable(wsi);
    return;
fail:
    free(txt);
}

static void
api_call(struct lws *wsi, struct pss *p, const char *name)
{
    const struct method *m = NULL;
    for (size_t i = 0; i < sizeof(methods) / sizeof(*methods); i++)
        if (strcmp(methods[i].name, name) == 0)
            m = &methods[i];
    struct call c;
    memset(&c, 0, sizeof(c));
    c.method = name;
    c.status = 200;
    c.args = json_object();
    json_object_update(c.args, p->query);
    int is_json = strncmp(p->ctype, "application/json", 16) == 0;
    int warn_charset = 0, bad_json = 0;
    if (p->body.len && is_json) {
        json_t *j = json_loadb(p->body.data, p->body.len, 0, NULL);
        warn_charset = !strstr(p->ctype, "charset");
        bad_json = m && m->write && !json_is_object(j);
        if (m && m->write && json_is_object(j)) {
            const char *k;
            json_t *v;
            json_object_foreach (j, k, v) {
                /* a token in a JSON body is not read */
                if (strcmp(k, "token") == 0)
                    continue;
                if (json_is_string(v) || json_is_object(v) ||
                    json_is_array(v)) {
                    json_object_set(c.args, k, v);
                } else if (json_is_boolean(v)) {
                    json_object_set_new(
                        c.args, k,
                        json_string(json_is_true(v) ? "true" : "false"));
                } else if (json_is_number(v)) {
                    char num[64];
                    if (json_is_integer(v))
                        snprintf(num, sizeof(num), "%lld",
                                 (long long)json_integer_value(v));
                    else
                        snprintf(num, sizeof(num), "%.6f", json_real_value(v));
                    json_object_set_new(c.args, k, json_string(num));
                }
            }
        } else if (m && !m->write) {
            logf_("%s: a JSON body is not read by a read method", name);
        }
        json_decref(j);
    } else if (p->body.len) {
        parse_form(p->body.data, p->body.len, c.args);
    }
    trace_json(name, c.args);

    /* the token: the header, else a token argument (not from JSON) */
    const char *tok = NULL;
    if (strncmp(p->auth, "Bearer ", 7) == 0)
        tok = p->auth + 7;
    else if (m && !m->header)
        tok = arg(&c, "token");
    json_t *r;
    if (!m) {
        c.status = 404;
        r = json_pack("{s:b, s:s, s:s}", "ok", 0, "error", "unknown_method",
                      "req_method", name);
    } else if (!tok || !*tok) {
        r = err("not_authed");
    } else if (bad_json) {
        r = err("invalid_json");
    } else if (W.app_token && strcmp(tok, W.app_token) == 0) {
        c.app = W.bot;
        r = m->tokens & TOK_APP ? m->fn(&c) : err("not_allowed_token_type");
    } else if ((c.app = user_by_app_token(tok))) {
        r = m->tokens & TOK_APP ? m->fn(&c) : err("not_allowed_token_type");
    } else if (!(c.u = user_by_token(tok))) {
        r = err("invalid_auth");
    } else if (!(m->tokens & TOK_USER)) {
        r = err("not_allowed_token_type");
    } else if (W.ratelimit_count > 0 && c.u == W.bot &&
               strcmp(W.ratelimit_method, name) == 0) {
        W.ratelimit_count--;
        c.status = 429;
        c.retry_after = W.ratelimit_after;
        r = err("ratelimited");
    } else {
        r = m->fn(&c);
    }
    if (warn_charset)
        json_object_set_new(r, "warning", json_string("missing_charset"));
    if (warn_charset && json_is_true(json_object_get(r, "ok"))) {
        json_t *rm = json_object_get(r, "response_metadata");
        if (!rm) {
            rm = json_object();
            json_object_set_new(r, "response_metadata", rm);
        }
        json_object_set_new(rm, "warnings",
                            json_pack("[s]", "missing_charset"));
    }
    const char *e = json_string_value(json_object_get(r, "error"));
    logf_("%s %s%s%s %d", name, c.u ? c.u->name : "-", e ? " " : "", e ? e : "",
          c.status);
    if (W.swallow_count > 0 && c.u == W.bot &&
        strcmp(W.swallow_method, name) == 0) {
        /* done, and never answered: the connection stays open */
        W.swallow_count--;
        logf_("%s: carried out, not answered", name);
        json_decref(r);
        json_decref(c.args);
        return;
    }
    respond(wsi, p, c.status, r, c.retry_after, name);
    json_decref(c.args);
}

/* ---- the test controls ---- */

static json_t *
find_button(json_t *blocks, const char *action_id, const char **block_id)
{
    for (size_t i = 0; i < json_array_size(blocks); i++) {
        json_t *b = json_array_get(blocks, i);
        json_t *acc = json_object_get(b, "accessory");
        const char *aid = json_string_value(json_object_get(acc, "action_id"));
        *block_id = json_string_value(json_object_get(b, "block_id"));
        if (aid && strcmp(aid, action_id) == 0)
            return acc;
        json_t *els = json_object_get(b, "elements");
        for (size_t k = 0; k < json_array_size(els); k++) {
            json_t *el = json_array_get(els, k);
            aid = json_string_value(json_object_get(el, "action_id"));
            if (aid && strcmp(aid, action_id) == 0)
                return el;
        }
    }
    return NULL;
}

static struct trigger *
new_trigger(const struct user *u)
{
    W.triggers =
        pf_xrealloc(W.triggers, (W.n_triggers + 1) * sizeof(*W.triggers));
    struct trigger *t = &W.triggers[W.n_triggers++];
    memset(t, 0, sizeof(*t));
    char a[14], b[14], h[33];
    rand_chars(a, 13, "0123456789");
    rand_chars(b, 13, "0123456789");
    rand_chars(h, 32, "0123456789abcdef");
    snprintf(t->id, sizeof(t->id), "%s.%s.%s", a, b, h);
    t->u = u;
    t->at = now_us();
    return t;
}

static json_t *
user_ref(const struct user *u)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "id", u->id, "username", u->name,
                     "name", u->name, "team_id", team_of(u));
}

static json_t *
ctl_click(json_t *in)
{
    const struct user *u =
        user_by_id(json_string_value(json_object_get(in, "user")));
    struct channel *ch =
        channel_by_ref(json_string_value(json_object_get(in, "channel")));
    const char *ts = json_string_value(json_object_get(in, "ts"));
    const char *aid = json_string_value(json_object_get(in, "action_id"));
    if (!u || !ch || !ts || !aid)
        return err("need user, channel, ts and action_id");
    json_t *blocks = NULL, *msg = NULL;
    const char *thread_ts = NULL;
    int eph = 0;
    struct msg *m = find_msg(ch, ts);
    if (m && is_member(ch, u)) {
        blocks = json_object_get(m->j, "blocks");
        msg = msg_view(m, 0);
    } else {
        for (size_t i = 0; i < W.n_eph; i++)
            if (W.eph[i].u == u && W.eph[i].ch == ch &&
                strcmp(W.eph[i].ts, ts) == 0) {
                blocks = json_object_get(W.eph[i].j, "blocks");
                thread_ts =
                    json_string_value(json_object_get(W.eph[i].j, "thread_ts"));
                eph = 1;
            }
    }
    const char *block_id = NULL;
    json_t *button = find_button(blocks, aid, &block_id);
    if (!button) {
        json_decref(msg);
        return err("no such button on a message the user sees");
    }
    struct trigger *t = new_trigger(u);
    char ats[32];
    next_ts(ats);
    json_t *action =
        json_pack("{s:s, s:s, s:s, s:s}", "action_id", aid, "block_id",
                  block_id ? block_id : "", "type",
                  json_string_value(json_object_get(button, "type"))
                      ? json_string_value(json_object_get(button, "type"))
                      : "button",
                  "action_ts", ats);
    if (json_object_get(button, "text"))
        json_object_set(action, "text", json_object_get(button, "text"));
    if (json_object_get(button, "value"))
        json_object_set(action, "value", json_object_get(button, "value"));
    char resp_url[160];
    snprintf(resp_url, sizeof(resp_url),
             "https://hooks.slack.com/actions/%s/%lld/emulated", W.team_id,
             (long long)t->at);
    json_t *payload = json_pack(
        "{s:s, s:o, s:s, s:s, s:{s:s, s:s, s:s, s:b}, s:s, s:{s:s, s:s}, "
        "s:n, s:b, s:{s:s, s:s}, s:{s:{}}, s:s, s:[o]}",
        "type", "block_actions", "user", user_ref(u), "api_app_id", W.app_id,
        "token", "emulator-verification-token", "container", "type", "message",
        "message_ts", ts, "channel_id", ch->id, "is_ephemeral", eph,
        "trigger_id", t->id, "team", "id", W.team_id, "domain", W.team_domain,
        "enterprise", "is_enterprise_install", 0, "channel", "id", ch->id,
        "name", ch->is_im ? "directmessage" : ch->name, "state", "values",
        "response_url", resp_url, "actions", action);
    if (msg)
        json_object_set_new(payload, "message", msg);
    if (m && *m->thread_ts)
        thread_ts = m->thread_ts;
    if (thread_ts)
        json_object_set_new(json_object_get(payload, "container"), "thread_ts",
                            json_string(thread_ts));
    /* twice: the same payload in a second envelope, as a retry would */
    json_t *again = json_is_true(json_object_get(in, "twice"))
                        ? json_incref(payload)
                        : NULL;
    struct envelope *e = env_new("interactive", payload, 0);
    pf_snprintf(e->event_type, sizeof(e->event_type), "block_actions");
    if (again) {
        struct envelope *e2 = env_new("interactive", again, 0);
        pf_snprintf(e2->event_type, sizeof(e2->event_type), "block_actions");
    }
    logf_("click %s by %s on %s/%s%s", aid, u->id, ch->id, ts,
          again ? " (sent twice)" : "");
    return ok(
        json_pack("{s:s, s:s}", "envelope_id", e->id, "trigger_id", t->id));
}

static json_t *
ctl_submit(json_t *in)
{
    const struct user *u =
        user_by_id(json_string_value(json_object_get(in, "user")));
    const char *vid = json_string_value(json_object_get(in, "view_id"));
    json_t *values = json_object_get(in, "values");
    struct view *v = NULL;
    for (size_t i = 0; vid && i < W.n_views; i++)
        if (strcmp(W.views[i].id, vid) == 0)
            v = &W.views[i];
    if (!u || !v || v->u != u || v->closed)
        return err("no such view open for that user");
    json_t *view = json_deep_copy(v->j);
    json_object_set_new(
        view, "state",
        json_pack("{s:O}", "values",
                  json_is_object(values) ? values : json_object()));
    struct trigger *t = new_trigger(u);
    json_t *payload = json_pack(
        "{s:s, s:{s:s, s:s}, s:o, s:s, s:s, s:s, s:o, s:[], s:b, s:n}", "type",
        "view_submission", "team", "id", W.team_id, "domain", W.team_domain,
        "user", user_ref(u), "api_app_id", W.app_id, "token",
        "emulator-verification-token", "trigger_id", t->id, "view", view,
        "response_urls", "is_enterprise_install", 0, "enterprise");
    struct envelope *e = env_new("interactive", payload, 1);
    pf_snprintf(e->event_type, sizeof(e->event_type), "view_submission");
    logf_("view %s submitted by %s", vid, u->id);
    return ok(json_pack("{s:s}", "envelope_id", e->id));
}

static json_t *
ctl_membership(json_t *in, int join)
{
    struct user *u = user_by_id(json_string_value(json_object_get(in, "user")));
    struct channel *ch =
        channel_by_ref(json_string_value(json_object_get(in, "channel")));
    if (!u || !ch || ch->is_im)
        return err("need user and channel");
    if (join == is_member(ch, u))
        return err(join ? "already_in_channel" : "not_in_channel");
    char ts[32], text[128];
    next_ts(ts);
    snprintf(text, sizeof(text), "<@%s> has %s the channel", u->id,
             join ? "joined" : "left");
    json_t *m =
        json_pack("{s:s, s:s, s:s, s:s, s:s}", "user", u->id, "type", "message",
                  "subtype", join ? "channel_join" : "channel_leave", "ts", ts,
                  "text", text);
    if (join) {
        ch->members =
            pf_xrealloc(ch->members, (ch->n_members + 1) * sizeof(char *));
        ch->members[ch->n_members++] = pf_xstrdup(u->id);
    }
    struct msg *sm = store(ch, m, NULL, u, ts, NULL);
    message_event(sm); /* the leaver still sees its own leave */
    if (!join) {
        size_t k = 0;
        for (size_t i = 0; i < ch->n_members; i++) {
            if (strcmp(ch->members[i], u->id) == 0)
                free(ch->members[i]);
            else
                ch->members[k++] = ch->members[i];
        }
        ch->n_members = k;
    }
    return ok(json_pack("{s:s}", "ts", ts));
}

/*
 * A frame as the server never should send it, on the newest socket of
 * app's: "text" as it is, or an envelope of "bytes" bytes (an events_api
 * envelope whose payload is padding), kept as an envelope of type "raw"
 * so that its ack shows in /emu/envelopes.
 */
static json_t *
ctl_send(json_t *in)
{
    const char *who = json_string_value(json_object_get(in, "app"));
    const struct user *app = who ? user_by_id(who) : W.bot;
    struct conn *c = app ? live_conn(app) : NULL;
    const char *text = json_string_value(json_object_get(in, "text"));
    json_t *bytes = json_object_get(in, "bytes");
    if (!c)
        return err("no socket");
    if (text) {
        conn_queue(c, text);
        logf_("RAW %zu bytes to socket #%d", strlen(text), c->serial);
        return ok(json_object());
    }
    if (!json_is_integer(bytes) || json_integer_value(bytes) < 200 ||
        json_integer_value(bytes) > 64 * 1024 * 1024)
        return err("need text, or bytes from 200 to 64 MiB");
    size_t n = (size_t)json_integer_value(bytes);
    struct envelope *e = pf_xcalloc(1, sizeof(*e));
    new_uuid(e->id);
    e->type = "raw";
    e->payload = json_null();
    e->app = app;
    e->to = c;
    e->deadline = now_us() + W.ack_timeout_ms * 1000;
    W.envs = pf_xrealloc(W.envs, (W.n_envs + 1) * sizeof(*W.envs));
    W.envs[W.n_envs++] = e;
    struct pf_buf b = PF_BUF_INIT;
    pf_buf_addf(&b,
                "{\"envelope_id\":\"%s\",\"type\":\"events_api\","
                "\"accepts_response_payload\":false,\"retry_attempt\":0,"
                "\"retry_reason\":\"\",\"payload\":{\"padding\":\"",
                e->id);
    while (b.len + 4 < n)
        pf_buf_addch(&b, 'x');
    pf_buf_addstr(&b, "\"}}");
    conn_queue(c, b.data);
    logf_("RAW envelope %s of %zu bytes to socket #%d", e->id, b.len,
          c->serial);
    pf_buf_release(&b);
    return ok(json_pack("{s:s}", "envelope_id", e->id));
}

static json_t *
ctl_envelopes(void)
{
    json_t *a = json_array();
    for (size_t i = 0; i < W.n_envs; i++) {
        struct envelope *e = W.envs[i];
        json_array_append_new(
            a,
            json_pack("{s:s, s:s, s:s, s:s, s:i, s:b, s:b, s:O}", "envelope_id",
                      e->id, "type", e->type, "event_id", e->event_id,
                      "event_type", e->event_type, "retry_attempt", e->attempt,
                      "delivered", e->to != NULL, "acked", e->acked, "response",
                      e->response ? e->response : json_null()));
    }
    return ok(json_pack("{s:o}", "envelopes", a));
}

/* the views open for a user */
static json_t *
ctl_views(json_t *query, json_t *in)
{
    const char *uid = json_string_value(json_object_get(query, "user"));
    if (!uid)
        uid = json_string_value(json_object_get(in, "user"));
    json_t *a = json_array();
    for (size_t i = 0; uid && i < W.n_views; i++)
        if (!W.views[i].closed && strcmp(W.views[i].u->id, uid) == 0)
            json_array_append(a, W.views[i].j);
    return ok(json_pack("{s:o}", "views", a));
}

static json_t *
ctl_ephemeral(json_t *query, json_t *in)
{
    const char *uid = json_string_value(json_object_get(query, "user"));
    if (!uid)
        uid = json_string_value(json_object_get(in, "user"));
    json_t *a = json_array();
    for (size_t i = 0; i < W.n_eph; i++)
        if (uid && strcmp(W.eph[i].u->id, uid) == 0) {
            json_t *m = json_deep_copy(W.eph[i].j);
            json_object_set_new(m, "channel", json_string(W.eph[i].ch->id));
            json_array_append_new(a, m);
        }
    return ok(json_pack("{s:o}", "messages", a));
}

static void request_refresh(const char *reason, const struct user *app);

static json_t *
ctl_fault(json_t *in)
{
    const char *kind = json_string_value(json_object_get(in, "kind"));
    json_t *cnt = json_object_get(in, "count");
    int count = json_is_integer(cnt) ? (int)json_integer_value(cnt) : 1;
    if (!kind)
        return err("need kind");
    if (strcmp(kind, "drop") == 0 || strcmp(kind, "refresh_requested") == 0 ||
        strcmp(kind, "warning") == 0 || strcmp(kind, "link_disabled") == 0) {
        const char *who = json_string_value(json_object_get(in, "app"));
        const struct user *app = who ? user_by_id(who) : NULL;
        if (who && !app)
            return err("no such user");
        request_refresh(kind, app);
    } else if (strcmp(kind, "outage") == 0) {
        /* every socket drops, and until an app connects again its events
           are lost, as when Slack gives up on delivering them */
        const char *who = json_string_value(json_object_get(in, "app"));
        const struct user *app = who ? user_by_id(who) : NULL;
        if (who && !app)
            return err("no such user");
        for (size_t i = 0; i < W.n_users; i++)
            if (!app || &W.users[i] == app)
                W.users[i].outage = 1;
        request_refresh("drop", app);
    } else if (strcmp(kind, "ratelimit") == 0) {
        const char *m = json_string_value(json_object_get(in, "method"));
        json_t *ra = json_object_get(in, "retry_after");
        pf_snprintf(W.ratelimit_method, sizeof(W.ratelimit_method), "%s",
                    m ? m : "chat.postMessage");
        W.ratelimit_count = count;
        W.ratelimit_after =
            json_is_integer(ra) ? (int)json_integer_value(ra) : 1;
        logf_("the next %d %s calls get 429", count, W.ratelimit_method);
    } else if (strcmp(kind, "no_answer") == 0) {
        const char *m = json_string_value(json_object_get(in, "method"));
        pf_snprintf(W.swallow_method, sizeof(W.swallow_method), "%s",
                    m ? m : "chat.postMessage");
        W.swallow_count = count;
        logf_("the bot's next %d %s calls get no answer", count,
              W.swallow_method);
    } else if (strcmp(kind, "lose_ack") == 0) {
        W.lose_acks = count;
    } else if (strcmp(kind, "duplicate") == 0) {
        W.duplicate_next = 1;
    } else {
        return err("unknown fault kind");
    }
    return ok(json_object());
}

static void
control(struct lws *wsi, struct pss *p, const char *what)
{
    json_t *in = NULL, *r;
    if (p->body.len)
        in = json_loadb(p->body.data, p->body.len, 0, NULL);
    if (!in)
        in = json_object();
    int post = strcmp(p->method, "POST") == 0;
    if (post && strcmp(what, "fault") == 0)
        r = ctl_fault(in);
    else if (post && strcmp(what, "click") == 0)
        r = ctl_click(in);
    else if (post && strcmp(what, "submit") == 0)
        r = ctl_submit(in);
    else if (post && strcmp(what, "join") == 0)
        r = ctl_membership(in, 1);
    else if (post && strcmp(what, "leave") == 0)
        r = ctl_membership(in, 0);
    else if (post && strcmp(what, "send") == 0)
        r = ctl_send(in);
    else if (strcmp(what, "envelopes") == 0)
        r = ctl_envelopes();
    else if (strcmp(what, "ephemeral") == 0)
        r = ctl_ephemeral(p->query, in);
    else if (strcmp(what, "views") == 0)
        r = ctl_views(p->query, in);
    else
        r = err("unknown control");
    json_decref(in);
    logf_("control %s", what);
    respond(wsi, p, 200, r, 0, "emu");
}

/* ---- sockets on demand ---- */

static void
request_refresh(const char *reason, const struct user *app)
{
    int64_t now = now_us();
    if (strcmp(reason, "link_disabled") == 0)
        W.link_disabled = 1;
    for (size_t i = 0; i < W.n_conns; i++) {
        struct conn *c = W.conns[i];
        if (c->closing || (app && c->app != app))
            continue;
        if (strcmp(reason, "drop") == 0) {
            c->closing = 1;
            lws_callback_on_writable(c->wsi);
            logf_("WS socket #%d dropped", c->serial);
        } else if (strcmp(reason, "warning") == 0) {
            disconnect_msg(c, "warning");
            c->refresh_at = now + W.warning_lead_ms * 1000;
        } else {
            disconnect_msg(c, reason);
            c->close_at = now + CLOSE_GRACE_US;
        }
    }
}

/* ---- HTTP and WebSocket plumbing ---- */

/* what one HTTP request holds; p stays usable (lws zeroes a new pss) */
static void
request_release(struct pss *p)
{
    pf_buf_release(&p->body);
    json_decref(p->query);
    p->query = NULL;
    free(p->resp);
    p->resp = NULL;
}

static void
request_start(struct lws *wsi, struct pss *p, const char *uri)
{
    request_release(p); /* a kept-alive connection's last request */
    memset(p, 0, sizeof(*p));
    pf_buf_init(&p->body);
    p->query = json_object();
    if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI))
        snprintf(p->method, sizeof(p->method), "POST");
    else if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI))
        snprintf(p->method, sizeof(p->method), "GET");
    else
        snprintf(p->method, sizeof(p->method), "OTHER");
    pf_snprintf(p->path, sizeof(p->path), "%s", uri);
    char frag[2048];
    for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof(frag),
                                          WSI_TOKEN_HTTP_URI_ARGS, i) > 0;
         i++) {
        char *eq = strchr(frag, '=');
        if (eq)
            *eq = '\0';
        if (*frag)
            json_object_set_new(p->query, frag, json_string(eq ? eq + 1 : ""));
    }
    if (lws_hdr_copy(wsi, p->ctype, sizeof(p->ctype),
                     WSI_TOKEN_HTTP_CONTENT_TYPE) < 0)
        p->ctype[0] = '\0';
    if (lws_hdr_copy(wsi, p->auth, sizeof(p->auth),
                     WSI_TOKEN_HTTP_AUTHORIZATION) < 0)
        p->auth[0] = '\0';
}

static void
request_done(struct lws *wsi, struct pss *p)
{
    if (p->answered)
        return;
    p->answered = 1;
    if (p->too_big) {
        logf_("%s %s: body over %d bytes refused", p->method, p->path,
              MAX_BODY);
        respond(wsi, p, 413, err("request_too_large"), 0, p->path);
    } else if (strncmp(p->path, "/api/", 5) == 0 && p->path[5]) {
        api_call(wsi, p, p->path + 5);
    } else if (strncmp(p->path, "/emu/", 5) == 0) {
        control(wsi, p, p->path + 5);
    } else {
        respond(wsi, p, 404, err("not_found"), 0, p->path);
    }
}

static int
request_has_body(struct lws *wsi)
{
    char cl[32];
    if (lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
        return atoll(cl) > 0;
    return lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
}

/* the upgrade to /link/?ticket=T: a ticket from apps.connections.open,
   used once */
static int
ws_accept(struct lws *wsi, const struct user **app)
{
    char uri[64], frag[128];
    if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 ||
        (strcmp(uri, "/link/") != 0 && strcmp(uri, "/link") != 0))
        return -1;
    for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof(frag),
                                          WSI_TOKEN_HTTP_URI_ARGS, i) > 0;
         i++) {
        if (strncmp(frag, "ticket=", 7) != 0)
            continue;
        for (size_t k = 0; k < W.n_tickets; k++)
            if (W.tickets[k].id && strcmp(W.tickets[k].id, frag + 7) == 0) {
                free(W.tickets[k].id);
                W.tickets[k].id = NULL; /* once */
                *app = W.tickets[k].app;
                return 0;
            }
        logf_("WS refused: ticket %s unknown or already used", frag + 7);
        return -1;
    }
    logf_("WS refused: no ticket");
    return -1;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
         void *in, size_t len)
{
    struct pss *p = user;
    if (!p && reason != LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION)
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        request_start(wsi, p, (const char *)in);
        if (strcmp(p->method, "POST") == 0 && request_has_body(wsi))
            return 0; /* the body first */
        request_done(wsi, p);
        return 0;

    case LWS_CALLBACK_HTTP_BODY:
        if (p->body.len + len > MAX_BODY)
            p->too_big = 1;
        else
            pf_buf_add(&p->body, in, len);
        return 0;

    case LWS_CALLBACK_HTTP_BODY_COMPLETION: request_done(wsi, p); return 0;

    case LWS_CALLBACK_HTTP_WRITEABLE: {
        if (!p->resp)
            return 0;
        unsigned char *buf = pf_xmalloc(LWS_PRE + p->resp_len + 1);
        memcpy(buf + LWS_PRE, p->resp, p->resp_len);
        int w =
            lws_write(wsi, buf + LWS_PRE, p->resp_len, LWS_WRITE_HTTP_FINAL);
        free(buf);
        free(p->resp);
        p->resp = NULL;
        if (w < 0)
            return -1;
        if (lws_http_transaction_completed(wsi))
            return -1;
        return 0;
    }

    /* lws frees a finished request's pss with DROP_PROTOCOL, not always
       with CLOSED_HTTP */
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (!p->ws)
            request_release(p);
        return 0;

    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
        const struct user *app = NULL;
        if (!p || ws_accept(wsi, &app) != 0)
            return -1;
        json_decref(p->query);
        pf_buf_release(&p->body);
        memset(p, 0, sizeof(*p));
        struct conn *c = pf_xcalloc(1, sizeof(*c));
        c->wsi = wsi;
        c->serial = ++W.n_serial;
        c->app = app;
        pf_buf_init(&c->rx);
        p->ws = c;
        return 0;
    }

    case LWS_CALLBACK_ESTABLISHED: {
        struct conn *c = p->ws;
        if (!c)
            return -1;
        W.conns = pf_xrealloc(W.conns, (W.n_conns + 1) * sizeof(*W.conns));
        W.conns[W.n_conns++] = c;
        c->ping_at = now_us() + W.ping_interval_ms * 1000;
        if (W.link_disabled) {
            disconnect_msg(c, "link_disabled");
            c->close_at = now_us() + CLOSE_GRACE_US;
            return 0;
        }
        logf_("WS socket #%d connected (%s's app)", c->serial, c->app->name);
        W.users[c->app - W.users].outage = 0;
        hello(c);
        /* what waited for a socket goes now */
        for (size_t i = 0; i < W.n_envs; i++)
            if (W.envs[i]->app == c->app && !W.envs[i]->to && !W.envs[i]->acked)
                env_send(W.envs[i], c);
        return 0;
    }

    case LWS_CALLBACK_RECEIVE: {
        struct conn *c = p->ws;
        if (!c || c->closing)
            return -1;
        if (c->rx.len + len > MAX_BODY)
            c->too_big = 1;
        else
            pf_buf_add(&c->rx, in, len);
        if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
            return 0;
        if (c->too_big) {
            logf_("WS socket #%d: a message over %d bytes: closing", c->serial,
                  MAX_BODY);
            lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                             (unsigned char *)"too large", 9);
            return -1;
        }
        ws_receive(c, c->rx.data ? c->rx.data : "", c->rx.len);
        pf_buf_reset(&c->rx);
        return 0;
    }

    case LWS_CALLBACK_SERVER_WRITEABLE: {
        struct conn *c = p->ws;
        if (!c || c->closing) {
            if (c)
                lws_close_reason(wsi, LWS_CLOSE_STATUS_GOINGAWAY, NULL, 0);
            return -1;
        }
        if (c->want_ping) {
            unsigned char pb[LWS_PRE + 16];
            memcpy(pb + LWS_PRE, "ping", 4);
            c->want_ping = 0;
            if (lws_write(wsi, pb + LWS_PRE, 4, LWS_WRITE_PING) < 4)
                return -1;
            if (c->n_out)
                lws_callback_on_writable(wsi);
            return 0;
        }
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
            logf_("WS socket #%d closed", p->ws->serial);
            conn_remove(p->ws);
            p->ws = NULL;
        }
        return 0;

    default: break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"slack", callback, sizeof(struct pss), 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void
on_signal(int sig)
{
    if (sig == SIGUSR1)
        W.sig_drop = 1;
    else if (sig == SIGUSR2)
        W.sig_refresh = 1;
    else if (sig == SIGWINCH)
        W.sig_warning = 1;
    else if (sig == SIGHUP)
        W.sig_throttle = 1;
    else
        W.sig_stop = 1;
    if (W.ctx)
        lws_cancel_service(W.ctx);
}

/* ---- the world ---- */

static char *
jdup(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return pf_xstrdup(s ? s : "");
}

static long long
jnum(json_t *o, const char *k, long long dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) && json_integer_value(v) > 0
               ? (long long)json_integer_value(v)
               : dflt;
}

static int
load_world(const char *path)
{
    json_error_t e;
    json_t *w = json_load_file(path, 0, &e);
    if (!w) {
        fprintf(stderr, "slackemu: %s:%d: %s\n", path, e.line, e.text);
        return -1;
    }
    json_t *team = json_object_get(w, "team"), *app = json_object_get(w, "app");
    W.team_id = jdup(team, "id");
    W.team_name = jdup(team, "name");
    W.team_domain = jdup(team, "domain");
    W.app_id = jdup(app, "id");
    W.app_token = jdup(app, "token");
    W.ack_timeout_ms = jnum(w, "ack_timeout_ms", 3000);
    W.max_retries = jnum(w, "max_retries", 3);
    W.trigger_ttl_ms = jnum(w, "trigger_ttl_ms", 3000);
    W.ping_interval_ms = jnum(w, "ping_interval_ms", 10000);
    W.warning_lead_ms = jnum(w, "warning_lead_ms", 10000);
    json_t *us = json_object_get(w, "users"),
           *cs = json_object_get(w, "channels");
    W.n_users = json_array_size(us);
    W.users = pf_xcalloc(W.n_users + 1, sizeof(*W.users));
    for (size_t i = 0; i < W.n_users; i++) {
        json_t *u = json_array_get(us, i);
        struct user *x = &W.users[i];
        x->id = jdup(u, "id");
        x->name = jdup(u, "name");
        x->real_name = jdup(u, "real_name");
        x->token = jdup(u, "token");
        x->team_id = jdup(u, "team_id");
        x->bot_id = jdup(u, "bot_id");
        x->app_token = jdup(u, "app_token");
        x->is_bot = json_is_true(json_object_get(u, "is_bot"));
    }
    W.bot = user_by_id(json_string_value(json_object_get(app, "bot_user")));
    W.n_channels = json_array_size(cs);
    W.cap_channels = W.n_channels + 256;
    W.channels = pf_xcalloc(W.cap_channels, sizeof(*W.channels));
    for (size_t i = 0; i < W.n_channels; i++) {
        json_t *c = json_array_get(cs, i), *m = json_object_get(c, "members");
        struct channel *ch = &W.channels[i];
        ch->id = jdup(c, "id");
        ch->name = jdup(c, "name");
        ch->is_private = json_is_true(json_object_get(c, "is_private"));
        ch->is_im = json_is_true(json_object_get(c, "is_im"));
        ch->is_ext_shared = json_is_true(json_object_get(c, "is_ext_shared"));
        ch->created = 1700000000;
        ch->n_members = json_array_size(m);
        ch->members = pf_xcalloc(ch->n_members + 1, sizeof(char *));
        for (size_t k = 0; k < ch->n_members; k++) {
            const char *id = json_string_value(json_array_get(m, k));
            ch->members[k] = pf_xstrdup(id ? id : "");
        }
    }
    json_decref(w);
    if (!W.bot || !W.bot->is_bot || !*W.app_id || !*W.app_token) {
        fprintf(stderr,
                "slackemu: %s: app needs id, token and bot_user "
                "(a user with is_bot)\n",
                path);
        return -1;
    }
    return 0;
}

static void
world_free(void)
{
    for (size_t i = 0; i < W.n_msgs; i++) {
        json_decref(W.msgs[i].j);
        json_decref(W.msgs[i].meta);
    }
    free(W.msgs);
    for (size_t i = 0; i < W.n_eph; i++)
        json_decref(W.eph[i].j);
    free(W.eph);
    for (size_t i = 0; i < W.n_views; i++)
        json_decref(W.views[i].j);
    free(W.views);
    free(W.triggers);
    for (size_t i = 0; i < W.n_envs; i++) {
        json_decref(W.envs[i]->payload);
        json_decref(W.envs[i]->response);
        free(W.envs[i]);
    }
    free(W.envs);
    free(W.conns);
    for (size_t i = 0; i < W.n_tickets; i++)
        free(W.tickets[i].id);
    free(W.tickets);
    for (size_t i = 0; i < W.n_users; i++) {
        struct user *u = &W.users[i];
        free(u->id);
        free(u->name);
        free(u->real_name);
        free(u->token);
        free(u->team_id);
        free(u->bot_id);
        free(u->app_token);
    }
    free(W.users);
    for (size_t i = 0; i < W.n_channels; i++) {
        struct channel *c = &W.channels[i];
        for (size_t k = 0; k < c->n_members; k++)
            free(c->members[k]);
        free(c->members);
        free(c->id);
        free(c->name);
    }
    free(W.channels);
    free(W.team_id);
    free(W.team_name);
    free(W.team_domain);
    free(W.app_id);
    free(W.app_token);
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: slackemu WORLD.json PORT_FILE [LOG_FILE]\n");
        return 2;
    }
    W.log = argc > 3 ? fopen(argv[3], "a") : stdout;
    if (!W.log || load_world(argv[1]) != 0)
        return 1;
    const char *tp = getenv("SLACKEMU_TRACE");
    if (tp && *tp && !(W.trace = fopen(tp, "a"))) {
        fprintf(stderr, "slackemu: cannot open %s\n", tp);
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
        fprintf(stderr, "slackemu: cannot create the server\n");
        return 1;
    }
    W.port = lws_get_vhost_listen_port(lws_get_vhost_by_name(W.ctx, "default"));
    char tmp[1024];
    snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%d\n", W.port) < 0 || fclose(f) != 0 ||
        rename(tmp, argv[2]) != 0) {
        fprintf(stderr, "slackemu: cannot write %s\n", argv[2]);
        return 1;
    }
    logf_("listening on 127.0.0.1:%d", W.port);
    lws_sul_schedule(W.ctx, 0, &W.tick, tick_cb, TICK_US);
    while (!W.sig_stop) {
        if (W.sig_drop) {
            W.sig_drop = 0;
            request_refresh("drop", NULL);
        }
        if (W.sig_refresh) {
            W.sig_refresh = 0;
            request_refresh("refresh_requested", NULL);
        }
        if (W.sig_warning) {
            W.sig_warning = 0;
            request_refresh("warning", NULL);
        }
        if (W.sig_throttle) {
            W.sig_throttle = 0;
            pf_snprintf(W.ratelimit_method, sizeof(W.ratelimit_method), "%s",
                        "chat.postMessage");
            W.ratelimit_count = 2;
            W.ratelimit_after = 1;
            logf_("the next 2 chat.postMessage calls get 429");
        }
        if (lws_service(W.ctx, 0) < 0)
            break;
    }
    lws_sul_cancel(&W.tick);
    lws_context_destroy(W.ctx);
    world_free();
    if (W.trace)
        fclose(W.trace);
    if (W.log != stdout)
        fclose(W.log);
    return 0;
}
