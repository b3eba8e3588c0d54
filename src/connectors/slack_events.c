/*
 * slack_events.c - the Slack connector's Socket Mode messages, parsed
 * into connector events: pf_slack_feed (and pf_slack_feed_too_big for
 * one over the size limit) takes one message from the socket (or a test),
 * acknowledges its envelope and hands its events to handle_event (a
 * message to pf_slack_events_handle_message); hello and disconnect
 * envelopes move slack.c's state machine. Messages read back
 * (slack_sync.c) are reported through pf_slack_events_handle_message too.
 *
 * Invariants:
 *  - every Socket Mode message is parsed on its own; bad JSON, unknown
 *    envelope or event types and missing fields are logged and skipped,
 *    the connection stays up; every envelope that names an envelope_id is
 *    acknowledged at once, before it is handled, whatever it holds (even
 *    one too big to read, when its id is in its start); interactive ones
 *    (buttons, forms) go to slack_interact.c, which acknowledges a form's
 *    submission once handled, with the answer in the ack;
 *  - an event_id seen before (Slack retries an envelope it thinks was not
 *    acknowledged, with retry_attempt) is handled once; a message (channel,
 *    ts) both seen live and read back is reported once.
 */
#include "connectors/slack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/mattermost.h" /* the emoji names are the same */
#include "connectors/ws.h"
#include "base/json.h"
#include "base/log.h"
#include "base/util.h"
#include "connectors/slack_int.h"
#include "pokerface/plugin.h"

/* ---- events ---- */

static int
is_own(struct slack *s, const json_t *m)
{
    const char *user = pf_json_str(m, "user");
    const char *bot = pf_json_str(m, "bot_id");
    return (s->me[0] && strcmp(user, s->me) == 0) ||
           (s->bot[0] && strcmp(bot, s->bot) == 0);
}

/* a message (live: its event; read back: the history's entry) */
void
pf_slack_events_handle_message(struct slack *s, const char *channel,
                               const json_t *m, const char *channel_type,
                               int catchup, long long rx_ns)
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
    struct room *r = pf_slack_room_by_channel(s, channel);
    int in_order = pf_slack_sync_advance(r, ts, catchup);
    int direct = !r && (strcmp(channel_type, "im") == 0 ||
                        (channel[0] == 'D' && pf_slack_is_channel(channel)));
    if (!r && !direct)
        return; /* a channel we were not asked to be in */
    char *id = pf_slack_msg_id(channel, ts);
    int dup = pf_slack_ring_seen(s->seen, SEEN_MAX, &s->seen_at, id);
    if (*thread_ts && strcmp(thread_ts, ts) != 0)
        pf_slack_sync_note_thread(r, thread_ts);
    if (json_integer_value(json_object_get(m, "reply_count")) > 0)
        pf_slack_sync_note_thread(r, ts);
    if (r &&
        (!strcmp(subtype, "channel_join") || !strcmp(subtype, "group_join"))) {
        if (*user && !dup)
            pf_slack_joined(s, (size_t)(r - s->rooms), user, 0);
    } else if (r && (!strcmp(subtype, "channel_leave") ||
                     !strcmp(subtype, "group_leave"))) {
        if (*user && !dup)
            pf_slack_remove_member(s, r, user);
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
            const char *name = pf_slack_user_name(s, author);
            if (!name && !*user)
                name = pf_json_str(m, "username");
            if (!name || !*name) {
                name = author;
                if (*user && r)
                    pf_slack_joined(s, (size_t)(r - s->rooms), user, 0);
            }
            char *text = pf_slack_unescape(pf_json_str(m, "text"));
            char *thread = *thread_ts && strcmp(thread_ts, ts) != 0
                               ? pf_slack_msg_id(channel, thread_ts)
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
            pf_slack_emit(s, &ev);
            free(text);
            free(thread);
            free(id);
            return;
        }
    }
    /* not reported (ours, a duplicate, a join, a topic change): the
       resume point moves over it all the same */
    if (in_order)
        pf_slack_sync_emit_cursor(s, r);
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
    struct room *r = pf_slack_room_by_channel(s, channel);
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
    char *id = pf_slack_msg_id(channel, ts);
    char *thread = *thread_ts && strcmp(thread_ts, ts) != 0
                       ? pf_slack_msg_id(channel, thread_ts)
                       : pf_xstrdup("");
    char *text = pf_slack_unescape(pf_json_str(m, "text"));
    const char *name = pf_slack_user_name(s, user);
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
    pf_slack_emit(s, &ev);
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
    struct room *r = pf_slack_room_by_channel(s, channel);
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
    char *ref = pf_slack_msg_id(channel, ts);
    const char *who = pf_slack_user_name(s, user);
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
    pf_slack_emit(s, &ev);
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
            pf_slack_events_handle_message(
                s, channel, e, pf_json_str(e, "channel_type"), 0, rx_ns);
        }
    } else if (strcmp(type, "reaction_added") == 0) {
        handle_reaction(s, e, rx_ns);
    } else if (strcmp(type, "member_joined_channel") == 0 ||
               strcmp(type, "member_left_channel") == 0) {
        struct room *r = pf_slack_room_by_channel(s, channel);
        const char *user = pf_json_str(e, "user");
        if (!r || !*user)
            return;
        if (type[7] == 'j')
            pf_slack_joined(s, (size_t)(r - s->rooms), user, 0);
        else
            pf_slack_remove_member(s, r, user);
    } else {
        pf_debug("slack: ignoring event '%s'", *type ? type : "(no type)");
    }
}

void
pf_slack_events_ack(struct slack *s, const char *envelope_id,
                    const json_t *payload)
{
    s->acks++;
    pf_snprintf(s->last_ack, sizeof(s->last_ack), "%s", envelope_id);
    if (!s->ws || !pf_ws_is_open(s->ws))
        return;
    json_t *o = json_pack("{s:s}", "envelope_id", envelope_id);
    if (payload)
        json_object_set(o, "payload", (json_t *)payload);
    char *t = json_dumps(o, JSON_COMPACT);
    pf_ws_send(s->ws, t, strlen(t));
    free(t);
    json_decref(o);
}

static void
hello(struct slack *s, const json_t *o)
{
    lws_sul_cancel(&s->hello_sul);
    s->conn_tries = 0;
    pf_info("slack: connected (%lld connection(s) of this app)",
            (long long)pf_json_int(o, "num_connections"));
    if (s->state == S_HELLO || s->state == S_OPEN) {
        s->state = S_SYNC;
        pf_slack_sync_catch_up(s);
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
    /* interactive ones by slack_interact.c: a form's answer is in its
       ack */
    int interactive = strcmp(type, "interactive") == 0;
    if (*env_id && !interactive)
        pf_slack_events_ack(s, env_id, NULL);
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
        } else if (*event_id && pf_slack_ring_seen(s->events, EVENTS_MAX,
                                                   &s->events_at, event_id)) {
            pf_debug("slack: event %s seen before; skipped", event_id);
        } else {
            handle_event(s, ev, rx_ns);
        }
    } else if (interactive) {
        pf_slack_interact_feed(s, env_id, payload, rx_ns);
    } else if (strcmp(type, "slash_commands") == 0) {
        /* commands: acknowledged; not acted on */
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
        pf_slack_events_ack(s, env_id, NULL);
    pf_warn("slack: a Socket Mode message of %zu bytes, over the limit of "
            "%zu, was dropped unread%s",
            size, s->max_frame, *env_id ? " (acknowledged)" : "");
    struct room *r = *channel ? pf_slack_room_by_channel(s, channel) : NULL;
    if ((!r && channel[0] != 'D') || !pf_slack_is_user(user) ||
        (s->me[0] && strcmp(user, s->me) == 0))
        return;
    char *id =
        pf_slack_ts_us(ts) >= 0 ? pf_slack_msg_id(channel, ts) : pf_xstrdup("");
    const char *name = pf_slack_user_name(s, user);
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
    pf_slack_emit(s, &ev);
    free(id);
}
