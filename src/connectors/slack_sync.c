/*
 * slack_sync.c - the Slack connector's posts, each exactly once, and
 * catch-up: a post is sent with its key in its metadata, and one whose
 * outcome is unknown is looked for (pf_slack_find_key) before it is sent
 * again; on each connection (state SYNC, slack.c) every room is read back
 * since its resume point (conversations.history, conversations.replies
 * for threads), and the resume points move here.
 *
 * Invariants:
 *  - a room's resume point (last_ts) moves only over messages reported in
 *    order: read back (all pages, then oldest first, since Slack pages
 *    newest first), or live once the room is caught up. A live message
 *    that arrives during a read-back is reported but does not move it;
 *  - a post keeps its key in its metadata; one whose outcome is unknown
 *    is looked for (conversations.history or .replies with
 *    include_all_metadata) before it is sent again.
 */
#include "connectors/slack.h"

#include <stdlib.h>
#include <string.h>

#include "connectors/http.h"
#include "base/json.h"
#include "base/log.h"
#include "base/util.h"
#include "connectors/slack_int.h"
#include "pokerface/plugin.h"

/* ---- posts confirmed or refused ---- */

void
pf_slack_sync_post_free(struct post *p)
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
        char *id = ts ? pf_slack_msg_id(p->channel, ts) : NULL;
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
        pf_slack_emit(s, &ev);
        free(id);
    }
    pf_slack_sync_post_free(p);
}

static void
post_later(struct slack *s, struct post *p, long long us)
{
    lws_sul_cancel(&s->timeout_sul);
    p->inflight = 0;
    p->gen++; /* an answer still on its way is not this try's */
    p->tries++;
    p->not_before_us = pf_now_us() + us;
    pf_slack_sync_flush_posts(s);
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

void
pf_slack_sync_on_posted(struct slack *s, struct call *q,
                        const struct pf_http_resp *r, json_t *o)
{
    struct post *p = post_of(s, q);
    char buf[32];
    if (!p)
        return; /* given up waiting: its outcome is looked for */
    if (pf_slack_ok(r, o)) {
        const char *ts = pf_json_str(o, "ts");
        if (pf_slack_ts_us(ts) < 0) {
            pf_warn("slack: chat.postMessage answered without a ts; "
                    "looking for the post before trying again");
            p->again = 1;
            post_later(s, p, pf_slack_backoff_us(s, p->tries));
            return;
        }
        post_done(s, p, ts, NULL);
        pf_slack_sync_flush_posts(s);
        return;
    }
    const char *e = pf_slack_why(r, o, buf, sizeof(buf));
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
        pf_slack_sync_flush_posts(s);
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
    post_later(s, p, pf_slack_backoff_us(s, p->tries));
}

void
pf_slack_sync_timeout_cb(lws_sorted_usec_list_t *sul)
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
        if (q->cb == pf_slack_sync_on_posted && q->gen == p->gen) {
            pf_slack_call_free(q);
            break;
        }
    p->again = 1;
    post_later(s, p, pf_slack_backoff_us(s, p->tries));
}

static void
send_post(struct slack *s, struct post *p)
{
    char *text = pf_slack_escape(p->text);
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
    struct call *q =
        pf_slack_api_json(s, "chat.postMessage", o, pf_slack_sync_on_posted);
    q->gen = p->gen;
    lws_sul_schedule(s->ctx, 0, &s->timeout_sul, pf_slack_sync_timeout_cb,
                     (lws_usec_t)s->post_timeout_ms * 1000);
    pf_slack_call_go(q);
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
    if (!pf_slack_ok(r, o)) {
        const char *e = pf_slack_why(r, o, buf, sizeof(buf));
        if (r->status == 200 && permanent(e)) {
            pf_err("slack: looking for a post in %s: %s; it is not sent",
                   p->room ? p->room : "a direct message", e);
            post_done(s, p, NULL, e);
            pf_slack_sync_flush_posts(s);
            return;
        }
        pf_warn("slack: looking for a post sent before: %s; trying again", e);
        post_later(s, p, pf_slack_backoff_us(s, p->tries));
        return;
    }
    const char *ts = pf_slack_find_key(o, p->key, s->me, s->bot);
    if (ts) {
        pf_info("slack: post %s had arrived before; not sent again", p->key);
        post_done(s, p, ts, NULL);
        pf_slack_sync_flush_posts(s);
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
        char *c = pf_slack_url_escape(p->cursor);
        pf_buf_addf(&b, "&cursor=%s", c);
        free(c);
    }
    pf_buf_addch(&b, '\0');
    p->inflight = 1;
    struct call *q = pf_slack_api(
        s, p->thread_ts ? "conversations.replies" : "conversations.history",
        b.data, NULL, on_looked);
    pf_buf_release(&b);
    q->gen = p->gen;
    pf_slack_call_go(q);
}

static void
post_timer_cb(lws_sorted_usec_list_t *sul)
{
    struct slack *s = lws_container_of(sul, struct slack, post_sul);
    pf_slack_sync_flush_posts(s);
}

void
pf_slack_sync_flush_posts(struct slack *s)
{
    struct post *p = s->posts;
    if (!p || p->inflight || s->state != S_READY)
        return;
    long long now = pf_now_us();
    long long until = pf_slack_limited_until(s, "chat.postMessage");
    if (until < p->not_before_us)
        until = p->not_before_us;
    if (until > now) {
        lws_sul_schedule(s->ctx, 0, &s->post_sul, post_timer_cb, until - now);
        return;
    }
    if (!p->channel && p->room) {
        struct room *r = pf_slack_room_by_name(s, p->room);
        if (r && r->id)
            p->channel = pf_xstrdup(r->id);
    }
    if (!p->channel) {
        pf_err("slack: no channel for a post in %s; not sent",
               p->room ? p->room : "?");
        post_done(s, p, NULL, "channel_not_found");
        pf_slack_sync_flush_posts(s);
        return;
    }
    if (p->again)
        look_for(s, p);
    else
        send_post(s, p);
}

/* ---- resume points ---- */

/*
 * A new message at ts in r, read back (catchup) or live: is it the room's
 * resume point now? Read back, the messages come in order; live, only
 * when nothing older is still being read back.
 */
int
pf_slack_sync_advance(struct room *r, const char *ts, int catchup)
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

void
pf_slack_sync_emit_cursor(struct slack *s, struct room *r)
{
    char *id = pf_slack_msg_id(r->id, r->last_ts);
    struct pf_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = PF_EV_CURSOR;
    ev.room = r->name;
    ev.msg_id = id;
    ev.in_order = 1;
    pf_slack_emit(s, &ev);
    free(id);
}

void
pf_slack_sync_note_thread(struct room *r, const char *thread_ts)
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

/*
 * Threads whose replies are read back. conversations.history leaves
 * thread replies out (and shows a parent by its own, older ts), so a
 * reply posted while the bot was away, in a thread whose first message is
 * older than the resume point, is read back only by conversations.replies
 * of that thread (oldest = the resume point). Which threads: those whose
 * parent the history read back shows with a latest_reply newer than the
 * resume point, and those the bot knows to be active, a ring per room of
 * the THREADS_MAX newest: seen live (a reply, a parent with replies) and
 * followed for the relay. What survives a restart is the relay's: its
 * thread pairs are journaled, and it gives them back before start
 * (op follow_thread, oldest first, so the ring keeps the newest), and
 * each new pair as it is made; nothing of the connector's own is kept.
 */
void
pf_slack_sync_follow(struct slack *s, const char *thread)
{
    const char *slash = thread ? strchr(thread, '/') : NULL;
    if (!slash || slash == thread || pf_slack_ts_us(slash + 1) < 0)
        return; /* not a Slack thread id */
    for (size_t i = 0; i < FOLLOW_MAX; i++)
        if (s->follow[i] && strcmp(s->follow[i], thread) == 0)
            return;
    free(s->follow[s->follow_at]);
    s->follow[s->follow_at] = pf_xstrdup(thread);
    s->follow_at = (s->follow_at + 1) % FOLLOW_MAX;
}

/* the threads followed since the last catch-up, into their rooms' rings
   (oldest first) */
static void
follow_into_rooms(struct slack *s)
{
    for (size_t k = 0; k < FOLLOW_MAX; k++) {
        char **f = &s->follow[(s->follow_at + k) % FOLLOW_MAX];
        if (!*f)
            continue;
        const char *slash = strchr(*f, '/');
        char *channel = pf_xstrndup(*f, (size_t)(slash - *f));
        pf_slack_sync_note_thread(pf_slack_room_by_channel(s, channel),
                                  slash + 1);
        free(channel);
        free(*f);
        *f = NULL;
    }
    s->follow_at = 0;
}

static void
forget_thread(struct room *r, const char *thread_ts)
{
    for (size_t i = 0; i < THREADS_MAX; i++)
        if (r->threads[i] && strcmp(r->threads[i], thread_ts) == 0) {
            free(r->threads[i]);
            r->threads[i] = NULL;
        }
}

/* ---- reading back what was said while away ---- */

static void
catch_done(struct slack *s)
{
    if (s->state != S_SYNC)
        return;
    for (size_t i = 0; i < s->n_rooms; i++)
        if (s->rooms[i].catching)
            return;
    pf_slack_ready(s);
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
        pf_slack_events_handle_message(s, r->id, list[i], "", 1, 0);
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
    int replies = strcmp(q->method, "conversations.replies") == 0;
    if (replies && r->status == 200 &&
        !strcmp(pf_json_str(o, "error"), "thread_not_found")) {
        /* its first message is gone, and with it the thread */
        pf_info("slack: %s: thread %s is gone; no longer read back", rm->name,
                q->user);
        forget_thread(rm, q->user);
        room_call_done(s, rm);
        return;
    }
    if (!pf_slack_ok(r, o)) {
        pf_warn("slack: %s: what was said in %s while away could not be "
                "read back (%s); the resume point stays, so the next "
                "connection reads it again",
                q->method, rm->name, pf_slack_why(r, o, buf, sizeof(buf)));
        rm->partial = 1;
        room_call_done(s, rm);
        return;
    }
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
        /* a parent whose thread has replies since the resume point */
        if (!replies &&
            json_integer_value(json_object_get(m, "reply_count")) > 0 &&
            (!rm->last_ts ||
             pf_slack_ts_us(pf_json_str(m, "latest_reply")) > rm->last_us)) {
            pf_slack_sync_note_thread(rm, ts);
            read_thread(s, q->room, ts, NULL);
        }
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
        char *c = pf_slack_url_escape(cursor);
        pf_buf_addf(&b, "&cursor=%s", c);
        free(c);
    }
    pf_buf_addch(&b, '\0');
    struct call *q =
        pf_slack_api(s, "conversations.history", b.data, NULL, on_read);
    pf_buf_release(&b);
    q->room = i;
    q->gen = r->gen;
    r->pending++;
    pf_slack_call_go(q);
}

/* a thread's replies since the resume point; each thread once per
   read-back (its first page; cursor: the next ones) */
static void
read_thread(struct slack *s, size_t i, const char *thread_ts,
            const char *cursor)
{
    struct room *r = &s->rooms[i];
    if (!cursor) {
        if (json_object_get(r->reading, thread_ts))
            return;
        json_object_set_new(r->reading, thread_ts, json_true());
    }
    struct pf_buf b;
    pf_buf_init(&b);
    pf_buf_addf(&b, "channel=%s&ts=%s&oldest=%s&limit=%d", r->id, thread_ts,
                r->last_ts, PAGE);
    if (cursor) {
        char *c = pf_slack_url_escape(cursor);
        pf_buf_addf(&b, "&cursor=%s", c);
        free(c);
    }
    pf_buf_addch(&b, '\0');
    struct call *q =
        pf_slack_api(s, "conversations.replies", b.data, NULL, on_read);
    pf_buf_release(&b);
    q->room = i;
    q->gen = r->gen;
    q->user = pf_xstrdup(thread_ts); /* the thread, for the next page */
    r->pending++;
    pf_slack_call_go(q);
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
    if (!pf_slack_ok(r, o))
        pf_warn("slack: conversations.history of %s: %s", rm->name,
                pf_slack_why(r, o, buf, sizeof(buf)));
    const char *ts =
        pf_json_str(json_array_get(json_object_get(o, "messages"), 0), "ts");
    if (pf_slack_sync_advance(rm, ts, 1))
        pf_slack_sync_emit_cursor(s, rm);
    rm->catching = 0;
    catch_done(s);
}

void
pf_slack_sync_catch_up(struct slack *s)
{
    follow_into_rooms(s);
    for (size_t i = 0; i < s->n_rooms; i++) {
        struct room *r = &s->rooms[i];
        r->gen++;
        r->pages = 0;
        r->pending = 0;
        r->partial = 0;
        json_decref(r->got);
        r->got = json_array();
        json_decref(r->reading);
        r->reading = json_object();
        if (!r->id)
            continue;
        r->catching = 1;
        if (r->last_ts) {
            pf_info("slack: %s: reading back what was missed since %s", r->name,
                    r->last_ts);
            read_room(s, i, NULL);
        } else {
            char *query = pf_xasprintf("channel=%s&limit=1", r->id);
            struct call *q = pf_slack_api(s, "conversations.history", query,
                                          NULL, on_newest);
            free(query);
            q->room = i;
            q->gen = r->gen;
            pf_slack_call_go(q);
        }
    }
    catch_done(s);
}
