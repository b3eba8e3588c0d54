/*
 * check_catchup.c - the XMPP connector reading back what a room said
 * while it was away, frame by frame (pf_xmpp_feed, no server): where the
 * room's resume point is whatever the order in which live messages and
 * archive pages arrive, who an archived message is attributed to, and
 * which archive answers count at all. The same rules against a real
 * Prosody are in check_relay.c (the soak and the kill-and-restart tests).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "connectors/xmpp.h"
#include "core/loop.h"
#include "testutil.h"

#define TEAM "team@conference.localhost"
#define MUC_USER "http://jabber.org/protocol/muc#user"

struct seen {
    int type, catchup, in_order, anonymous, own;
    char *msg_id, *author, *text;
};

static struct seen g_ev[64];
static size_t g_n;

static void
on_event(void *ud, const struct pf_event *ev)
{
    (void)ud;
    if (ev->type == PF_EV_STATE)
        return;
    ck_assert_uint_lt(g_n, 64);
    struct seen *s = &g_ev[g_n++];
    s->type = ev->type;
    s->catchup = ev->catchup;
    s->in_order = ev->in_order;
    s->anonymous = ev->anonymous;
    s->own = ev->own;
    s->msg_id = pf_xstrdup(ev->msg_id ? ev->msg_id : "");
    s->author = pf_xstrdup(ev->author_id ? ev->author_id : "");
    s->text = pf_xstrdup(ev->text ? ev->text : "");
}

static void
forget_events(void)
{
    for (size_t i = 0; i < g_n; i++) {
        free(g_ev[i].msg_id);
        free(g_ev[i].author);
        free(g_ev[i].text);
    }
    g_n = 0;
}

static struct pf_loop g_loop;
static struct pf_connector *g_c;

static void
feed(const char *frame)
{
    pf_xmpp_feed(g_c, frame, strlen(frame));
}

static void feedf(const char *fmt, ...) PF_ATTR_PRINTF(1, 2);

static void
feedf(const char *fmt, ...)
{
    struct pf_buf b = PF_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    pf_buf_vaddf(&b, fmt, ap);
    va_end(ap);
    pf_xmpp_feed(g_c, b.data, b.len);
    pf_buf_release(&b);
}

/*
 * The bot logged in and in TEAM as "bot", aino there with her real JID.
 * resume: the room's resume point from before (a restart): the join then
 * starts a catch-up, query "catch1". shows_jids: the room says (status
 * 100) that it shows everyone's real JID.
 */
static void
connect_bot(const char *resume, int shows_jids)
{
    char err[256];
    struct pf_xmpp_opts o;
    memset(&o, 0, sizeof(o));
    o.url = "ws://127.0.0.1:9/xmpp-websocket";
    o.jid = "bot@localhost";
    o.password = "secret";
    o.nick = "bot";
    pf_log_set_level(getenv("PF_TEST_VERBOSE") ? PF_LOG_DEBUG : PF_LOG_ERR);
    ck_assert_int_eq(pf_loop_init(&g_loop, err, sizeof(err)), 0);
    g_c = pf_xmpp_new(g_loop.ctx, &o, on_event, NULL, err, sizeof(err));
    ck_assert_ptr_nonnull(g_c);
    ck_assert_int_eq(g_c->ops->join(g_c, TEAM), PF_OK);
    if (resume)
        pf_xmpp_set_last_id(g_c, TEAM, resume);
    feed("<stream:features xmlns:stream='http://etherx.jabber.org/streams'>"
         "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>"
         "PLAIN</mechanism></mechanisms></stream:features>");
    feed("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    feed("<stream:features xmlns:stream='http://etherx.jabber.org/streams'>"
         "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>");
    feed("<iq xmlns='jabber:client' type='result' id='bind'><bind "
         "xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>bot@localhost/"
         "pokerface</jid></bind></iq>");
    feed("<presence xmlns='jabber:client' from='" TEAM
         "/aino'><x xmlns='" MUC_USER
         "'><item affiliation='member' role='participant' "
         "jid='aino@localhost/web'/></x></presence>");
    feedf("<presence xmlns='jabber:client' from='" TEAM
          "/bot'><x xmlns='" MUC_USER
          "'><item affiliation='owner' role='moderator' "
          "jid='bot@localhost/pokerface'/><status code='110'/>%s</x>"
          "</presence>",
          shows_jids ? "<status code='100'/>" : "");
    forget_events();
}

static void
disconnect_bot(void)
{
    g_c->ops->destroy(g_c);
    pf_loop_release(&g_loop);
    forget_events();
}

/* a live groupchat message from nick, with the room's stanza-id */
static void
live(const char *nick, const char *sid, const char *body)
{
    feedf("<message xmlns='jabber:client' type='groupchat' from='" TEAM
          "/%s' id='c-%s'><body>%s</body><stanza-id xmlns='urn:xmpp:sid:0' "
          "by='" TEAM "' id='%s'/></message>",
          nick, sid, body, sid);
}

/* one archive result of query qid from `from` (the room itself, or an
   occupant), the archived message carrying `extra` (its muc#user
   elements, as the archive stored them) */
static void
archived_from(const char *from, const char *qid, const char *id,
              const char *nick, const char *extra, const char *body)
{
    feedf("<message xmlns='jabber:client' from='%s' to='bot@localhost/"
          "pokerface'><result xmlns='urn:xmpp:mam:2' queryid='%s' id='%s'>"
          "<forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:"
          "delay' stamp='2024-03-01T12:00:00Z'/><message xmlns='jabber:"
          "client' type='groupchat' from='" TEAM "/%s' id='c-%s'><body>%s"
          "</body>%s</message></forwarded></result></message>",
          from, qid, id, nick, id, body, extra);
}

static void
archived(const char *qid, const char *id, const char *nick, const char *extra,
         const char *body)
{
    archived_from(TEAM, qid, id, nick, extra, body);
}

/* Prosody's own <x/>: what it adds to the archived copy in a room that
   shows real JIDs */
#define SERVER_X(jid)                                                          \
    "<occupant-id xmlns='urn:xmpp:occupant-id:0' id='occ'/><x "                \
    "xmlns='" MUC_USER                                                         \
    "'><item affiliation='member' role='participant' jid='" jid "'/></x>"

static void
fin(const char *qid, int complete, const char *last)
{
    feedf("<iq xmlns='jabber:client' type='result' id='%s' from='" TEAM
          "'><fin xmlns='urn:xmpp:mam:2' complete='%s'><set xmlns='http://"
          "jabber.org/protocol/rsm'><last>%s</last></set></fin></iq>",
          qid, complete ? "true" : "false", last);
}

static const char *
resume_point(void)
{
    const char *id = pf_xmpp_last_id(g_c, TEAM);
    return id ? id : "(none)";
}

/*
 * Live messages while the archive is still being read are reported at
 * once but never become the resume point: a connection lost then reads
 * back from the last archived message read, so what the archive still
 * held is not skipped. Once caught up, live messages move it again.
 */
START_TEST(live_messages_during_a_catch_up_do_not_move_the_resume_point)
{
    connect_bot("A0", 1);
    archived("catch1", "A1", "aino", SERVER_X("aino@localhost"),
             "&gt;&gt; one");
    ck_assert_str_eq(resume_point(), "A1");
    live("aino", "L1", "&gt;&gt; live while reading back");
    ck_assert_uint_eq(g_n, 2);
    ck_assert_int_eq(g_ev[1].type, PF_EV_MESSAGE);
    ck_assert_int_eq(g_ev[1].catchup, 0);
    ck_assert_msg(!g_ev[1].in_order,
                  "a live message during a catch-up is not a resume point");
    ck_assert_msg(!strcmp(resume_point(), "A1"),
                  "the resume point jumped over the unread archive to %s",
                  resume_point());
    fin("catch1", 0, "A1");
    ck_assert_str_eq(resume_point(), "A1");
    /* the next page (query catch2) has the live one too, then more */
    archived("catch2", "A2", "aino", SERVER_X("aino@localhost"),
             "&gt;&gt; two");
    archived("catch2", "L1", "aino", SERVER_X("aino@localhost"),
             "&gt;&gt; live while reading back");
    ck_assert_str_eq(resume_point(), "L1");
    fin("catch2", 1, "L1");
    live("aino", "L2", "&gt;&gt; live again");
    ck_assert_str_eq(resume_point(), "L2");
    ck_assert_uint_eq(g_n, 5);
    for (size_t i = 0; i < g_n; i++)
        ck_assert_msg(g_ev[i].in_order == (i != 1),
                      "event %zu (%s): in_order %d", i, g_ev[i].msg_id,
                      g_ev[i].in_order);
    ck_assert_str_eq(g_ev[4].msg_id, "L2");
    disconnect_bot();
}
END_TEST

/*
 * Archived messages are attributed by the one real JID the room's archive
 * stored with them, never by who holds the nick now; one with a second
 * such element (its sender added one), or from a room that does not show
 * real JIDs, names nobody and is anonymous.
 */
START_TEST(archived_messages_are_attributed_by_the_archive_not_the_nick)
{
    connect_bot("A0", 1);
    /* aino holds the nick now; the archive says stranger wrote it */
    archived("catch1", "A1", "aino", SERVER_X("stranger@localhost"), "!send 3");
    /* ville forged sanna's address: two elements, the server's last */
    archived("catch1", "A2", "ville",
             "<x xmlns='" MUC_USER
             "'><item jid='sanna@localhost'/></x>" SERVER_X("ville@localhost"),
             "!send 4");
    /* the archive kept no address */
    archived("catch1", "A3", "sanna", "", "!send 5");
    /* someone took the bot's nick while it was away: not the bot */
    archived("catch1", "A4", "bot", SERVER_X("stranger@localhost"), "!drop 6");
    /* and the bot's own message under another nick is its own */
    archived("catch1", "A5", "bot_", SERVER_X("bot@localhost"), "notice");
    ck_assert_uint_eq(g_n, 5);
    ck_assert_str_eq(g_ev[0].author, "stranger@localhost");
    ck_assert_int_eq(g_ev[0].anonymous, 0);
    ck_assert_int_eq(g_ev[1].anonymous, 1);
    ck_assert_str_ne(g_ev[1].author, "sanna@localhost");
    ck_assert_str_ne(g_ev[1].author, "ville@localhost");
    ck_assert_int_eq(g_ev[2].anonymous, 1);
    ck_assert_str_eq(g_ev[2].author, TEAM "/sanna");
    ck_assert_str_eq(g_ev[3].author, "stranger@localhost");
    ck_assert_int_eq(g_ev[3].type, PF_EV_MESSAGE);
    ck_assert_int_eq(g_ev[4].type, PF_EV_CURSOR);
    ck_assert_str_eq(g_ev[4].msg_id, "A5");
    /* live: by the real JID the occupant joined with */
    fin("catch1", 1, "A5");
    live("aino", "L1", "!send 3");
    ck_assert_str_eq(g_ev[5].author, "aino@localhost");
    ck_assert_int_eq(g_ev[5].anonymous, 0);
    live("nobody", "L2", "!send 3");
    ck_assert_int_eq(g_ev[6].anonymous, 1);
    disconnect_bot();

    /* a room that does not show real JIDs: its archive proves nothing */
    connect_bot("A0", 0);
    archived("catch1", "A1", "aino", SERVER_X("aino@localhost"), "!send 3");
    ck_assert_uint_eq(g_n, 1);
    ck_assert_int_eq(g_ev[0].anonymous, 1);
    disconnect_bot();
}
END_TEST

/*
 * Only the room answers for its archive: an occupant's private message
 * (from room/nick) carrying a result for the query in flight is no
 * result; nor is one for a query that is not in flight.
 */
START_TEST(archive_results_count_only_from_the_room)
{
    connect_bot("A0", 1);
    archived_from(TEAM "/ville", "catch1", "F1", "sanna",
                  SERVER_X("sanna@localhost"), "!send 3");
    archived("look7", "F2", "sanna", SERVER_X("sanna@localhost"), "!send 3");
    ck_assert_uint_eq(g_n, 0);
    ck_assert_str_eq(resume_point(), "A0");
    archived("catch1", "A1", "sanna", SERVER_X("sanna@localhost"), "!send 3");
    ck_assert_uint_eq(g_n, 1);
    ck_assert_str_eq(g_ev[0].author, "sanna@localhost");
    disconnect_bot();
}
END_TEST

Suite *
suite_catchup(void)
{
    Suite *s = suite_create("catchup");
    TCase *tc = tcase_create("xmpp");
    tcase_add_test(
        tc, live_messages_during_a_catch_up_do_not_move_the_resume_point);
    tcase_add_test(
        tc, archived_messages_are_attributed_by_the_archive_not_the_nick);
    tcase_add_test(tc, archive_results_count_only_from_the_room);
    suite_add_tcase(s, tc);
    return s;
}
