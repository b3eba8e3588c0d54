/*
 * check_slack.c - the Slack connector's parsing, held to the documented
 * Socket Mode and Events API shapes (tests/fixtures/slack/, from Slack's
 * API documentation and the reference notes):
 *
 *  - the connector, fed each fixture as a Socket Mode message, reports
 *    the right event (messages, threads, edits, deletions, reactions,
 *    joins, direct messages; its own posts and hidden changes not);
 *  - every envelope is acknowledged by its envelope_id, interactive ones
 *    and unknown ones too; an event_id sent again is handled once;
 *  - a click on one of pokerface's buttons (block_actions) and a
 *    submission of its edit form (view_submission) are choices, each
 *    handled once; what is not ours, or lacks a field, is not;
 *  - malformed messages (bad JSON, no envelope_id, no event, unknown
 *    types, 10 MB) are logged and skipped, and the next good one still
 *    counts; a message too big to read is acknowledged and reported;
 *  - the exactly-once search finds the bot's post by the key in its
 *    metadata, and nothing else.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/slack.h"
#include "base/log.h"
#include "core/loop.h"
#include "base/util.h"
#include "testutil.h"

static const char *
srcdir(void)
{
    const char *s = getenv("PF_SRCDIR");
    return s && *s ? s : ".";
}

static char *
fixture_text(const char *name)
{
    char *p = pf_xasprintf("%s/tests/fixtures/slack/%s.json", srcdir(), name);
    json_error_t e;
    json_t *j = json_load_file(p, 0, &e);
    ck_assert_msg(j != NULL, "%s: %s", p, e.text);
    free(p);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

struct seen {
    int type;
    char room[64], author[64], name[64], text[256], msg[64], ref[64],
        thread[64];
    char key[64], choice[16], handle[128];
    int own, catchup, in_order;
    size_t bytes;
};

static struct seen g_ev[32];
static size_t g_n;
static char g_members[512];
static char g_log[16384];

static void
on_event(void *ud, const struct pf_event *ev)
{
    (void)ud;
    if (ev->type == PF_EV_JOIN || ev->type == PF_EV_LEAVE) {
        size_t l = strlen(g_members);
        snprintf(g_members + l, sizeof(g_members) - l, "%c%s ",
                 ev->type == PF_EV_JOIN ? '+' : '-', ev->author_id);
        return;
    }
    if (ev->type == PF_EV_STATE || g_n == sizeof(g_ev) / sizeof(*g_ev))
        return;
    struct seen *s = &g_ev[g_n++];
    memset(s, 0, sizeof(*s));
    s->type = ev->type;
    snprintf(s->room, sizeof(s->room), "%s", ev->room ? ev->room : "(dm)");
    snprintf(s->author, sizeof(s->author), "%s", ev->author_id);
    snprintf(s->name, sizeof(s->name), "%s", ev->author_name);
    snprintf(s->text, sizeof(s->text), "%s", ev->text);
    snprintf(s->msg, sizeof(s->msg), "%s", ev->msg_id);
    snprintf(s->ref, sizeof(s->ref), "%s", ev->ref_id);
    snprintf(s->thread, sizeof(s->thread), "%s", ev->thread);
    snprintf(s->key, sizeof(s->key), "%s", ev->key);
    snprintf(s->choice, sizeof(s->choice), "%s", ev->choice ? ev->choice : "");
    snprintf(s->handle, sizeof(s->handle), "%s", ev->handle ? ev->handle : "");
    s->own = ev->own;
    s->catchup = ev->catchup;
    s->in_order = ev->in_order;
    s->bytes = ev->bytes;
}

static void
on_log(void *ud, int level, const char *line)
{
    (void)ud;
    (void)level;
    size_t l = strlen(g_log);
    snprintf(g_log + l, sizeof(g_log) - l, "%s\n", line);
}

struct fed {
    struct pf_loop loop;
    struct pf_connector *c;
};

/* a connector that believes it is the fixtures' bot, in the fixtures'
   internal channel, connected */
static void
fed_open(struct fed *f)
{
    char err[256];
    struct pf_slack_opts o;
    g_n = 0;
    g_log[0] = '\0';
    g_members[0] = '\0';
    pf_log_set_sink(on_log, NULL);
    pf_log_set_level(PF_LOG_DEBUG);
    ck_assert_int_eq(pf_loop_init(&f->loop, err, sizeof(err)), 0);
    memset(&o, 0, sizeof(o));
    o.api_url = "http://127.0.0.1:9/api";
    o.bot_token = "xoxb-test";
    o.app_token = "xapp-test";
    o.max_frame = 64 * 1024;
    f->c = pf_slack_new(f->loop.ctx, &o, on_event, NULL, err, sizeof(err));
    ck_assert_msg(f->c != NULL, "%s", err);
    pf_slack_pretend(f->c, "U0PFBOT001", "B0PFBOT001", "support-internal",
                     "C0INTERNAL");
}

static void
fed_close(struct fed *f)
{
    f->c->ops->destroy(f->c);
    pf_loop_release(&f->loop);
    pf_log_set_sink(NULL, NULL);
    pf_log_set_level(PF_LOG_INFO);
}

static void
feed(struct fed *f, const char *frame)
{
    pf_slack_feed(f->c, frame, strlen(frame));
}

static void
feed_fixture(struct fed *f, const char *name)
{
    char *s = fixture_text(name);
    feed(f, s);
    free(s);
}

START_TEST(fixture_events_are_understood)
{
    struct fed f;
    fed_open(&f);
    feed_fixture(&f, "hello");
    ck_assert_uint_eq(g_n, 0);

    feed_fixture(&f, "message");
    ck_assert_uint_eq(g_n, 1);
    ck_assert_int_eq(g_ev[0].type, PF_EV_MESSAGE);
    ck_assert_str_eq(g_ev[0].room, "support-internal");
    ck_assert_str_eq(g_ev[0].author, "U0AGENT01");
    /* the name is not known yet: the id stands in, users.info is asked */
    ck_assert_str_eq(g_ev[0].name, "U0AGENT01");
    /* Slack's &amp; &lt; &gt; read as the characters */
    ck_assert_str_eq(g_ev[0].text, ">> Your refund is on its way & sorry");
    ck_assert_str_eq(g_ev[0].msg, "C0INTERNAL/1732294800.000100");
    ck_assert_str_eq(g_ev[0].thread, "");
    ck_assert_int_eq(g_ev[0].own, 0);
    ck_assert_int_eq(g_ev[0].catchup, 0);
    ck_assert_int_eq(g_ev[0].in_order, 1);

    feed_fixture(&f, "message_thread");
    ck_assert_uint_eq(g_n, 2);
    ck_assert_int_eq(g_ev[1].type, PF_EV_MESSAGE);
    ck_assert_str_eq(g_ev[1].thread, "C0INTERNAL/1732294800.000100");
    ck_assert_str_eq(g_ev[1].msg, "C0INTERNAL/1732294810.000200");

    feed_fixture(&f, "message_changed");
    ck_assert_uint_eq(g_n, 3);
    ck_assert_int_eq(g_ev[2].type, PF_EV_EDIT);
    ck_assert_str_eq(g_ev[2].ref, "C0INTERNAL/1732294800.000100");
    ck_assert_str_eq(g_ev[2].text, "edited text");
    ck_assert_str_eq(g_ev[2].author, "U0AGENT01");
    ck_assert_str_eq(g_ev[2].msg, "");

    feed_fixture(&f, "message_deleted");
    ck_assert_uint_eq(g_n, 4);
    ck_assert_int_eq(g_ev[3].type, PF_EV_DELETE);
    ck_assert_str_eq(g_ev[3].ref, "C0INTERNAL/1732294800.000100");
    ck_assert_str_eq(g_ev[3].author, "U0AGENT01");

    feed_fixture(&f, "reaction_added");
    ck_assert_uint_eq(g_n, 5);
    ck_assert_int_eq(g_ev[4].type, PF_EV_REACTION);
    ck_assert_str_eq(g_ev[4].text, "✅");
    ck_assert_str_eq(g_ev[4].ref, "C0INTERNAL/1732294805.000150");
    ck_assert_str_eq(g_ev[4].room, "support-internal");

    /* a join: reported as one once the name is known (users.info); the
       message itself is no message, but the resume point moves over it */
    feed_fixture(&f, "channel_join");
    ck_assert_uint_eq(g_n, 6);
    ck_assert_int_eq(g_ev[5].type, PF_EV_CURSOR);
    ck_assert_str_eq(g_ev[5].msg, "C0INTERNAL/1732294850.000600");

    /* our own post: not reported (the Web API's answer confirms it) */
    feed_fixture(&f, "own_message");
    ck_assert_uint_eq(g_n, 7);
    ck_assert_int_eq(g_ev[6].type, PF_EV_CURSOR);

    /* another app's bot: a message, named by its bot_id */
    feed_fixture(&f, "bot_message");
    ck_assert_uint_eq(g_n, 8);
    ck_assert_int_eq(g_ev[7].type, PF_EV_MESSAGE);
    ck_assert_str_eq(g_ev[7].author, "B0OTHERBOT");
    ck_assert_str_eq(g_ev[7].name, "Deploy bot");

    feed_fixture(&f, "message_im");
    ck_assert_uint_eq(g_n, 9);
    ck_assert_int_eq(g_ev[8].type, PF_EV_MESSAGE);
    ck_assert_str_eq(g_ev[8].room, "(dm)");
    ck_assert_str_eq(g_ev[8].text, "!send 3");
    ck_assert_int_eq(g_ev[8].in_order, 0);

    /* another app's button: acknowledged and logged, nothing reported */
    feed_fixture(&f, "interactive");
    ck_assert_uint_eq(g_n, 9);
    ck_assert_ptr_nonnull(strstr(g_log, "a click on 'hold_send', not a "
                                        "button of pokerface's; skipped"));
    const char *last;
    ck_assert_uint_eq(pf_slack_acks(f.c, &last), 10);
    ck_assert_str_eq(last, "a1b2c3d4-0000-4000-8000-00000000000a");

    feed_fixture(&f, "disconnect");
    ck_assert_ptr_nonnull(strstr(g_log, "refresh_requested"));
    ck_assert_uint_eq(pf_slack_acks(f.c, NULL), 10);
    fed_close(&f);
}
END_TEST

START_TEST(buttons_and_the_form_are_choices)
{
    struct fed f;
    fed_open(&f);
    feed_fixture(&f, "block_actions");
    ck_assert_uint_eq(g_n, 1);
    ck_assert_int_eq(g_ev[0].type, PF_EV_CHOICE);
    ck_assert_str_eq(g_ev[0].choice, "send");
    ck_assert_str_eq(g_ev[0].key, "hold:3:0");
    ck_assert_str_eq(g_ev[0].room, "support-internal");
    ck_assert_str_eq(g_ev[0].author, "U0AGENT01");
    ck_assert_str_eq(g_ev[0].thread, "C0INTERNAL/1732294800.000100");
    ck_assert_str_eq(g_ev[0].msg, "");
    ck_assert_str_eq(g_ev[0].handle,
                     "4455667788.1122334455.0f1e2d3c4b5a69788796a5b4c3d2e1f0");
    const char *last;
    ck_assert_uint_eq(pf_slack_acks(f.c, &last), 1);
    ck_assert_str_eq(last, "b7c8d9e0-0000-4000-8000-00000000000b");
    /* the same envelope again (its trigger_id): acknowledged, once */
    feed_fixture(&f, "block_actions");
    ck_assert_uint_eq(g_n, 1);
    ck_assert_uint_eq(pf_slack_acks(f.c, NULL), 2);
    ck_assert_ptr_nonnull(strstr(g_log, "came again; handled once"));

    /* the edit form's submission: the text as typed (no &amp; there) */
    feed_fixture(&f, "view_submission");
    ck_assert_uint_eq(g_n, 2);
    ck_assert_int_eq(g_ev[1].type, PF_EV_CHOICE);
    ck_assert_str_eq(g_ev[1].choice, "edited");
    ck_assert_str_eq(g_ev[1].key, "hold:3:0");
    ck_assert_str_eq(g_ev[1].text, "Thank you for waiting <3 & more");
    ck_assert_str_eq(g_ev[1].room, "support-internal");
    ck_assert_uint_eq(pf_slack_acks(f.c, &last), 3);
    ck_assert_str_eq(last, "c9d0e1f2-0000-4000-8000-00000000000c");

    /* not ours, or missing what Slack always gives: nothing reported,
       each acknowledged */
    feed(&f, "{\"envelope_id\":\"i1\",\"type\":\"interactive\",\"payload\":"
             "{\"type\":\"block_actions\",\"trigger_id\":\"1.2.3\","
             "\"container\":{\"channel_id\":\"C0INTERNAL\"},\"actions\":"
             "[{\"action_id\":\"pf_drop\",\"value\":\"hold:3:0\"}]}}");
    feed(&f, "{\"envelope_id\":\"i2\",\"type\":\"interactive\",\"payload\":"
             "{\"type\":\"view_submission\",\"user\":{\"id\":\"U0AGENT01\"},"
             "\"trigger_id\":\"1.2.4\",\"view\":{\"callback_id\":\"pf_edit\","
             "\"private_metadata\":\"{}\"}}}");
    feed(&f, "{\"envelope_id\":\"i3\",\"type\":\"interactive\"}");
    ck_assert_uint_eq(g_n, 2);
    ck_assert_uint_eq(pf_slack_acks(f.c, NULL), 6);
    ck_assert_ptr_nonnull(strstr(g_log, "a click on pf_drop without a user"));
    ck_assert_ptr_nonnull(strstr(g_log, "edit form without a user"));
    ck_assert_ptr_nonnull(strstr(g_log, "an interactive envelope without a "
                                        "payload"));

    /* the ops: an offer where the bot is not, a form or an answer for an
       interaction that is over */
    const struct pf_connector_ops *ops = f.c->ops;
    struct pf_offer o = {"elsewhere", "",     "U0AGENT01", "held",
                         "hold:1:0",  "Send", "Edit",      "Drop"};
    ck_assert_int_eq(ops->offer(f.c, &o), PF_EINVAL);
    o.room = "support-internal";
    o.user_id = "alice";
    ck_assert_int_eq(ops->offer(f.c, &o), PF_EINVAL);
    struct pf_form form = {"hold:1:0", "Edit #1", "Reply",
                           "Send",     "Cancel",  "text"};
    ck_assert_int_eq(ops->edit_form(f.c, g_ev[0].handle, &form), PF_EINVAL);
    ops->answer(f.c, g_ev[0].handle, "too late", 0);
    fed_close(&f);
}
END_TEST

START_TEST(an_event_sent_again_is_handled_once)
{
    struct fed f;
    fed_open(&f);
    feed_fixture(&f, "message");
    ck_assert_uint_eq(g_n, 1);
    /* Slack sends an envelope again when it thinks the ack was late: a
       new envelope_id, the same event_id, retry_attempt 1 */
    feed(&f, "{\"envelope_id\":\"again-1\",\"type\":\"events_api\","
             "\"retry_attempt\":1,\"retry_reason\":\"timeout\","
             "\"payload\":{\"type\":\"event_callback\",\"event_id\":"
             "\"Ev0PF00000001\",\"event\":{\"type\":\"message\",\"channel\":"
             "\"C0INTERNAL\",\"user\":\"U0AGENT01\",\"text\":\"x\","
             "\"ts\":\"1732294800.000100\"}}}");
    ck_assert_uint_eq(g_n, 1);
    const char *last;
    ck_assert_uint_eq(pf_slack_acks(f.c, &last), 2);
    ck_assert_str_eq(last, "again-1");
    ck_assert_ptr_nonnull(strstr(g_log, "attempt 1, timeout"));
    /* another event_id for the same message (channel, ts): once too */
    feed(&f, "{\"envelope_id\":\"again-2\",\"type\":\"events_api\","
             "\"payload\":{\"type\":\"event_callback\",\"event_id\":"
             "\"Ev0PFOTHER\",\"event\":{\"type\":\"message\",\"channel\":"
             "\"C0INTERNAL\",\"user\":\"U0AGENT01\",\"text\":\"x\","
             "\"ts\":\"1732294800.000100\"}}}");
    ck_assert_uint_eq(g_n, 1);
    /* an older message than the resume point: reported, not in order */
    feed(&f, "{\"envelope_id\":\"e3\",\"type\":\"events_api\","
             "\"payload\":{\"type\":\"event_callback\",\"event_id\":"
             "\"Ev0PFOLD\",\"event\":{\"type\":\"message\",\"channel\":"
             "\"C0INTERNAL\",\"user\":\"U0AGENT01\",\"text\":\"old\","
             "\"ts\":\"1732294700.000100\"}}}");
    ck_assert_uint_eq(g_n, 2);
    ck_assert_int_eq(g_ev[1].in_order, 0);
    fed_close(&f);
}
END_TEST

START_TEST(malformed_messages_are_logged_and_skipped)
{
    struct fed f;
    fed_open(&f);
    feed(&f, "{not json");
    ck_assert_ptr_nonnull(strstr(g_log, "not a JSON object"));
    feed(&f, "[1,2,3]");
    feed(&f, "\"events_api\"");
    feed(&f, "{}");
    ck_assert_ptr_nonnull(strstr(g_log, "without an envelope_id"));
    /* an envelope of an unknown type: acknowledged all the same */
    feed(&f, "{\"envelope_id\":\"u1\",\"type\":\"shiny_new_thing\"}");
    ck_assert_ptr_nonnull(strstr(g_log, "unknown type 'shiny_new_thing'"));
    /* an events_api envelope without an event, with a mistyped one */
    feed(&f, "{\"envelope_id\":\"u2\",\"type\":\"events_api\"}");
    feed(&f, "{\"envelope_id\":\"u3\",\"type\":\"events_api\",\"payload\":"
             "{\"event\":[1]}}");
    ck_assert_ptr_nonnull(strstr(g_log, "without an event"));
    /* events of unknown types, and a message without the fields */
    feed(&f, "{\"envelope_id\":\"u4\",\"type\":\"events_api\",\"payload\":"
             "{\"event_id\":\"Ev1\",\"event\":{\"type\":\"team_join\"}}}");
    feed(&f, "{\"envelope_id\":\"u5\",\"type\":\"events_api\",\"payload\":"
             "{\"event_id\":\"Ev2\",\"event\":{\"type\":\"message\","
             "\"channel\":\"C0INTERNAL\",\"ts\":17}}}");
    ck_assert_ptr_nonnull(strstr(g_log, "a message without a ts"));
    feed(&f, "{\"envelope_id\":\"u6\",\"type\":\"events_api\",\"payload\":"
             "{\"event_id\":\"Ev3\",\"event\":{\"type\":\"message\","
             "\"channel\":\"C0INTERNAL\",\"ts\":\"1.2\"}}}");
    ck_assert_ptr_nonnull(strstr(g_log, "without user or bot_id"));
    feed(&f, "{\"envelope_id\":\"u7\",\"type\":\"events_api\",\"payload\":"
             "{\"event_id\":\"Ev4\",\"event\":{\"type\":\"reaction_added\","
             "\"item\":{\"type\":\"message\"}}}}");
    ck_assert_ptr_nonnull(strstr(g_log, "a reaction without"));
    feed(&f, "{\"envelope_id\":\"u8\",\"type\":\"events_api\",\"payload\":"
             "{\"event_id\":\"Ev5\",\"event\":{\"type\":\"message\","
             "\"subtype\":\"message_changed\",\"channel\":\"C0INTERNAL\","
             "\"message\":\"nope\"}}}");
    /* nothing reported but the resume point moving over the message
       without an author (it is in the channel, reading it again would
       not mend it) */
    ck_assert_uint_eq(g_n, 1);
    ck_assert_int_eq(g_ev[0].type, PF_EV_CURSOR);
    ck_assert_str_eq(g_ev[0].msg, "C0INTERNAL/1.2");
    g_n = 0;
    ck_assert_uint_eq(pf_slack_acks(f.c, NULL), 8);
    /* 10 MB, handed over whole: over the limit, skipped */
    size_t big = 10 * 1024 * 1024;
    char *b = malloc(big + 1);
    memset(b, ' ', big);
    b[big] = '\0';
    pf_slack_feed(f.c, b, big);
    free(b);
    ck_assert_ptr_nonnull(strstr(g_log, "over the limit of 65536"));
    /* and the next good one still counts */
    feed_fixture(&f, "message");
    ck_assert_uint_eq(g_n, 1);
    ck_assert_int_eq(g_ev[0].type, PF_EV_MESSAGE);
    fed_close(&f);
}
END_TEST

START_TEST(a_message_too_big_is_acknowledged_and_reported)
{
    struct fed f;
    fed_open(&f);
    /* what the socket kept of a 10 MB message: its start */
    const char *head =
        "{\"envelope_id\":\"big-1\",\"type\":\"events_api\",\"payload\":"
        "{\"type\":\"event_callback\",\"event_id\":\"EvBIG\",\"event\":"
        "{\"type\":\"message\",\"channel\":\"C0INTERNAL\",\"user\":"
        "\"U0AGENT01\",\"ts\":\"1732294900.000100\",\"text\":\">> aaaa";
    pf_slack_feed_too_big(f.c, head, strlen(head), 10 * 1024 * 1024);
    const char *last;
    ck_assert_uint_eq(pf_slack_acks(f.c, &last), 1);
    ck_assert_str_eq(last, "big-1");
    ck_assert_uint_eq(g_n, 1);
    ck_assert_int_eq(g_ev[0].type, PF_EV_TOOBIG);
    ck_assert_str_eq(g_ev[0].room, "support-internal");
    ck_assert_str_eq(g_ev[0].author, "U0AGENT01");
    ck_assert_str_eq(g_ev[0].msg, "C0INTERNAL/1732294900.000100");
    ck_assert_uint_eq(g_ev[0].bytes, 10 * 1024 * 1024);
    /* a start that says nothing: logged only */
    pf_slack_feed_too_big(f.c, "xxxx", 4, 11 * 1024 * 1024);
    ck_assert_uint_eq(g_n, 1);
    ck_assert_ptr_nonnull(strstr(g_log, "dropped unread"));
    fed_close(&f);
}
END_TEST

START_TEST(the_key_is_found_in_the_metadata)
{
    char *p = pf_xasprintf("%s/tests/fixtures/slack/history.json", srcdir());
    json_error_t e;
    json_t *page = json_load_file(p, 0, &e);
    free(p);
    ck_assert_ptr_nonnull(page);
    const char *ts = pf_slack_find_key(page, "pf-r-7-1732294900000",
                                       "U0PFBOT001", "B0PFBOT001");
    ck_assert_ptr_nonnull(ts);
    ck_assert_str_eq(ts, "1732294905.000300");
    /* by the bot_id alone too */
    ts = pf_slack_find_key(page, "pf-r-7-1732294900000", "", "B0PFBOT001");
    ck_assert_ptr_nonnull(ts);
    /* a key in someone else's message's metadata (or text) is not ours */
    ck_assert_ptr_null(pf_slack_find_key(page, "pf-r-8-1732294900000",
                                         "U0PFBOT001", "B0PFBOT001"));
    ck_assert_ptr_null(pf_slack_find_key(page, "pf-r-9-1732294900000",
                                         "U0PFBOT001", "B0PFBOT001"));
    ck_assert_ptr_null(
        pf_slack_find_key(page, "pf-r-7-1732294900000", "U0OTHER", ""));
    json_decref(page);
    /* no messages, messages of the wrong type */
    json_t *bad = json_loads("{\"ok\":true,\"messages\":{\"a\":1}}", 0, NULL);
    ck_assert_ptr_null(pf_slack_find_key(bad, "k", "U1", "B1"));
    json_decref(bad);
    bad = json_loads("{\"ok\":true,\"messages\":[1,null,{\"user\":\"U1\","
                     "\"metadata\":{\"event_type\":\"pokerface_post\","
                     "\"event_payload\":{\"key\":\"k\"}},\"ts\":\"x\"}]}",
                     0, NULL);
    ck_assert_ptr_null(pf_slack_find_key(bad, "k", "U1", "B1"));
    json_decref(bad);
}
END_TEST

START_TEST(timestamps_are_read_exactly)
{
    ck_assert_int_eq(pf_slack_ts_us("1732294800.000100"), 1732294800000100LL);
    ck_assert_int_eq(pf_slack_ts_us("1732294800.1"), 1732294800100000LL);
    ck_assert_int_eq(pf_slack_ts_us("1732294800"), 1732294800000000LL);
    ck_assert_int_eq(pf_slack_ts_us(""), -1);
    ck_assert_int_eq(pf_slack_ts_us(".5"), -1);
    ck_assert_int_eq(pf_slack_ts_us("1.0000001"), -1);
    ck_assert_int_eq(pf_slack_ts_us("1e9"), -1);
    ck_assert_int_eq(pf_slack_ts_us("99999999999999.0"), -1);
    ck_assert_int_eq(pf_slack_ts_us(NULL), -1);
}
END_TEST

START_TEST(the_ops_refuse_what_is_not_slack)
{
    struct fed f;
    fed_open(&f);
    const struct pf_connector_ops *ops = f.c->ops;
    ck_assert_str_eq(ops->name, "slack");
    ck_assert_int_eq(ops->threads, 1);
    ck_assert_int_eq(ops->addressable(f.c, "U0AGENT01"), 1);
    ck_assert_int_eq(ops->addressable(f.c, "alice"), 0);
    ck_assert_int_eq(ops->addressable(f.c, "C0INTERNAL"), 0);
    ck_assert_int_eq(ops->direct(f.c, "alice", "hi"), PF_EINVAL);
    ck_assert_int_eq(ops->post(f.c, "elsewhere", "", "hi", "k1"), PF_EINVAL);
    ck_assert_int_eq(
        ops->react(f.c, "support-internal", "C0OTHER/1.000001", "✅"),
        PF_EINVAL);
    ck_assert_int_eq(ops->react(f.c, "support-internal", "nonsense", "✅"),
                     PF_EINVAL);
    ck_assert_int_eq(ops->del(f.c, "support-internal", "nonsense"), PF_EINVAL);
    /* Slack's 40,000 characters, counted as Slack escapes them */
    char *text = malloc(40002);
    memset(text, 'a', 40000);
    text[40000] = '\0';
    ck_assert_int_eq(ops->fits(f.c, "support-internal", text), 1);
    text[0] = '<'; /* &lt; */
    ck_assert_int_eq(ops->fits(f.c, "support-internal", text), 0);
    ck_assert_int_eq(ops->post(f.c, "support-internal", "", text, "k2"),
                     PF_ETOOBIG);
    free(text);
    fed_close(&f);
}
END_TEST

Suite *
suite_slack(void)
{
    Suite *s = suite_create("slack");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, fixture_events_are_understood);
    tcase_add_test(tc, an_event_sent_again_is_handled_once);
    tcase_add_test(tc, buttons_and_the_form_are_choices);
    tcase_add_test(tc, malformed_messages_are_logged_and_skipped);
    tcase_add_test(tc, a_message_too_big_is_acknowledged_and_reported);
    tcase_add_test(tc, the_key_is_found_in_the_metadata);
    tcase_add_test(tc, timestamps_are_read_exactly);
    tcase_add_test(tc, the_ops_refuse_what_is_not_slack);
    suite_add_tcase(s, tc);
    return s;
}
