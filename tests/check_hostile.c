/*
 * check_hostile.c - pokerface (the real binary) against a hostile XMPP
 * server: a small RFC 7395 server on libwebsockets, here in the test, that
 * logs the bot in properly and then sends, one at a time, stanzas no
 * server should send: entity bombs, deep nesting, invalid UTF-8, frames
 * over the size limit, binary frames, garbage, a stream error, and an
 * abrupt hang-up. After each one it plays an agent's reply; the test
 * asserts that every reply still reaches the customer room (the
 * connection survived or was re-established), that each hostile input
 * left a log line naming the problem, and that the bot never crashed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "base/util.h"
#include "chat.h"
#include "connectors/xml.h"
#include "testutil.h"

#define TEAM "team@conference.localhost"
#define CUST "customer@conference.localhost"

enum { F_TEXT, F_BINARY, F_HANGUP };

struct frame {
    struct frame *next;
    int kind;
    size_t len;
    unsigned char data[]; /* LWS_PRE headroom, then the frame */
};

struct conn {
    struct srv *s;
    struct lws *wsi;
    struct frame *out, *out_tail;
    struct pf_buf rx;
    int authed, joined;
};

struct post {
    char *key, *body;
};

struct srv {
    struct lws_context *ctx;
    int port;
    struct conn *cur; /* the bot's connection, when there is one */
    int connections;
    struct post posts[256];
    size_t n_posts;
    unsigned sid;
};

static struct srv g_srv;

static void
queue(struct conn *c, int kind, const char *data, size_t len)
{
    struct frame *f = pf_xmalloc(sizeof(*f) + LWS_PRE + len);
    f->next = NULL;
    f->kind = kind;
    f->len = len;
    memcpy(f->data + LWS_PRE, data, len);
    if (c->out_tail)
        c->out_tail->next = f;
    else
        c->out = f;
    c->out_tail = f;
    lws_callback_on_writable(c->wsi);
}

static void
queue_str(struct conn *c, const char *s)
{
    queue(c, F_TEXT, s, strlen(s));
}

static void queue_fmt(struct conn *c, const char *fmt, ...)
    PF_ATTR_PRINTF(2, 3);

static void
queue_fmt(struct conn *c, const char *fmt, ...)
{
    struct pf_buf b = PF_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    pf_buf_vaddf(&b, fmt, ap);
    va_end(ap);
    queue(c, F_TEXT, b.data, b.len);
    pf_buf_release(&b);
}

/* what a MUC service does with one frame from the bot */
static void
serve(struct conn *c, const char *data, size_t len)
{
    struct pf_arena a;
    struct pf_xnode *n;
    struct pf_xml_limits lim = PF_XML_LIMITS_DEFAULT;
    char err[256];
    pf_arena_init(&a, 4096);
    if (pf_xml_parse(&a, data, len, &lim, &n, err, sizeof(err)) != PF_OK) {
        fprintf(stderr, "hostile server: the bot sent bad XML: %s\n", err);
        abort();
    }
    const char *to = pf_xml_attr(n, "to"), *id = pf_xml_attr(n, "id");
    const char *type = pf_xml_attr(n, "type");
    if (!strcmp(n->name, "open")) {
        queue_str(c, "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' "
                     "from='localhost' id='s1' version='1.0'/>");
        if (!c->authed)
            queue_str(c, "<stream:features xmlns:stream='http://etherx."
                         "jabber.org/streams'><mechanisms xmlns='urn:ietf:"
                         "params:xml:ns:xmpp-sasl'><mechanism>PLAIN"
                         "</mechanism></mechanisms></stream:features>");
        else
            queue_str(c, "<stream:features xmlns:stream='http://etherx."
                         "jabber.org/streams'><bind xmlns='urn:ietf:params:"
                         "xml:ns:xmpp-bind'/></stream:features>");
    } else if (!strcmp(n->name, "auth")) {
        c->authed = 1;
        queue_str(c, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    } else if (!strcmp(n->name, "iq") && id && !strncmp(id, "bind", 4)) {
        queue_fmt(c,
                  "<iq xmlns='jabber:client' type='result' id='%s'>"
                  "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>"
                  "bot@localhost/pokerface</jid></bind></iq>",
                  id);
    } else if (!strcmp(n->name, "iq") && id && type &&
               (!strcmp(type, "get") || !strcmp(type, "set"))) {
        /* archive queries and the like: an empty, complete answer,
           from where the request went (RFC 6120 8.1.2.1) */
        queue_fmt(c,
                  "<iq xmlns='jabber:client' type='result' id='%s'%s%s%s><fin "
                  "xmlns='urn:xmpp:mam:2' complete='true'/></iq>",
                  id, to ? " from='" : "", to ? to : "", to ? "'" : "");
    } else if (!strcmp(n->name, "presence") && to && strchr(to, '/')) {
        const char *slash = strchr(to, '/');
        queue_fmt(c,
                  "<presence xmlns='jabber:client' from='%s'><x xmlns='"
                  "http://jabber.org/protocol/muc#user'><item affiliation="
                  "'owner' role='moderator' jid='bot@localhost/pokerface'/>"
                  "<status code='110'/></x></presence>",
                  to);
        if (!strncmp(to, TEAM, (size_t)(slash - to)))
            queue_str(c, "<presence xmlns='jabber:client' from='" TEAM
                         "/aino'><x xmlns='http://jabber.org/protocol/muc"
                         "#user'><item affiliation='member' role="
                         "'participant' jid='aino@localhost/web'/></x>"
                         "</presence>");
        c->joined++;
    } else if (!strcmp(n->name, "message") && type &&
               !strcmp(type, "groupchat") && to) {
        const struct pf_xnode *body = pf_xml_child(n, NULL, "body");
        const struct pf_xnode *oid = pf_xml_child(n, NULL, "origin-id");
        const char *key = oid ? pf_xml_attr(oid, "id") : "";
        if (!strcmp(to, CUST) && body) {
            struct srv *s = c->s;
            ck_assert_uint_lt(s->n_posts, 256);
            s->posts[s->n_posts].key = pf_xstrdup(key ? key : "");
            s->posts[s->n_posts].body = pf_xstrdup(body->text);
            s->n_posts++;
        }
        /* the room reflects it, with its stanza-id */
        struct pf_buf b = PF_BUF_INIT;
        pf_buf_addf(&b,
                    "<message xmlns='jabber:client' type='groupchat' "
                    "from='%s/pokerface' id='%s'><body>",
                    to, id ? id : "");
        if (body)
            pf_xml_escape_str(&b, body->text);
        pf_buf_addf(&b,
                    "</body><stanza-id xmlns='urn:xmpp:sid:0' by='%s' "
                    "id='srv%u'/><origin-id xmlns='urn:xmpp:sid:0' id='%s'/>"
                    "</message>",
                    to, ++c->s->sid, key ? key : "");
        queue(c, F_TEXT, b.data, b.len);
        pf_buf_release(&b);
    }
    pf_arena_release(&a);
}

static int
srv_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
       size_t len)
{
    struct conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        memset(c, 0, sizeof(*c));
        c->s = &g_srv;
        c->wsi = wsi;
        pf_buf_init(&c->rx);
        g_srv.cur = c;
        g_srv.connections++;
        break;
    case LWS_CALLBACK_RECEIVE:
        pf_buf_add(&c->rx, in, len);
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            serve(c, c->rx.data, c->rx.len);
            pf_buf_reset(&c->rx);
        }
        break;
    case LWS_CALLBACK_SERVER_WRITEABLE: {
        struct frame *f = c->out;
        if (!f)
            break;
        c->out = f->next;
        if (!c->out)
            c->out_tail = NULL;
        if (f->kind == F_HANGUP) {
            free(f);
            return -1; /* drop the TCP connection, no close frame */
        }
        int rc =
            lws_write(wsi, f->data + LWS_PRE, f->len,
                      f->kind == F_BINARY ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
        free(f);
        if (rc < 0)
            return -1;
        if (c->out)
            lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_CLOSED:
        while (c->out) {
            struct frame *f = c->out;
            c->out = f->next;
            free(f);
        }
        pf_buf_release(&c->rx);
        if (g_srv.cur == c)
            g_srv.cur = NULL;
        break;
    default: break;
    }
    return 0;
}

static const struct lws_protocols srv_protocols[] = {
    {"xmpp", srv_cb, sizeof(struct conn), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void
srv_start(void)
{
    struct lws_context_creation_info info;
    memset(&g_srv, 0, sizeof(g_srv));
    memset(&info, 0, sizeof(info));
    info.port = 0; /* any free port */
    info.iface = "127.0.0.1";
    info.protocols = srv_protocols;
    info.gid = (gid_t)-1;
    info.uid = (uid_t)-1;
    lws_set_log_level(getenv("PF_TEST_VERBOSE") ? LLL_ERR | LLL_WARN : 0, NULL);
    g_srv.ctx = lws_create_context(&info);
    ck_assert_ptr_nonnull(g_srv.ctx);
    g_srv.port =
        lws_get_vhost_listen_port(lws_get_vhost_by_name(g_srv.ctx, "default"));
    ck_assert_int_gt(g_srv.port, 0);
}

static void
srv_stop(void)
{
    lws_context_destroy(g_srv.ctx);
    for (size_t i = 0; i < g_srv.n_posts; i++) {
        free(g_srv.posts[i].key);
        free(g_srv.posts[i].body);
    }
}

static void
wake_cb(lws_sorted_usec_list_t *sul)
{
    (void)sul;
}

/* lws_service() waits for the next timer or socket event: a timer every
   10 ms keeps the test's own clock moving */
static void
service(void)
{
    static lws_sorted_usec_list_t wake;
    lws_sul_schedule(g_srv.ctx, 0, &wake, wake_cb, 10 * 1000);
    lws_service(g_srv.ctx, 0);
}

static void
srv_pump(int ms)
{
    int64_t until = pf_now_ns() + (int64_t)ms * 1000000;
    while (pf_now_ns() < until)
        service();
}

/* the bot's connection, logged in and in both rooms */
static struct conn *
wait_bot(int ms)
{
    int64_t until = pf_now_ns() + (int64_t)ms * 1000000;
    while (pf_now_ns() < until) {
        if (g_srv.cur && g_srv.cur->joined >= 2)
            return g_srv.cur;
        service();
    }
    return NULL;
}

/* how many different posts (by idempotency key) carried needle */
static size_t
posts_with(const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < g_srv.n_posts; i++) {
        if (!strstr(g_srv.posts[i].body, needle))
            continue;
        int dup = 0;
        for (size_t k = 0; k < i; k++)
            if (strstr(g_srv.posts[k].body, needle) &&
                !strcmp(g_srv.posts[k].key, g_srv.posts[i].key))
                dup = 1;
        n += !dup;
    }
    return n;
}

static void
probe(struct conn *c, unsigned step)
{
    queue_fmt(c,
              "<message xmlns='jabber:client' type='groupchat' from='" TEAM
              "/aino' id='p%u'><body>&gt;&gt; Your order %u is on its way."
              "</body><stanza-id xmlns='urn:xmpp:sid:0' by='" TEAM
              "' id='probe-%u'/></message>",
              step, 1000 + step, step);
}

struct hostile {
    const char *name;
    int kind;
    char *data; /* NULL: built by size */
    size_t size;
    const char *logged; /* what the bot's log must say about it */
};

START_TEST(hostile_server_cannot_break_the_bot)
{
    char *tmp = tu_tmpdir();
    struct tc_bot bot;
    struct pf_buf big = PF_BUF_INIT, deep = PF_BUF_INIT, wide = PF_BUF_INIT;

    pf_buf_addstr(&big, "<message xmlns='jabber:client' type='groupchat' "
                        "from='" TEAM "/aino'><body>");
    while (big.len < 100 * 1024)
        pf_buf_addstr(&big, "all work and no play ");
    pf_buf_addstr(&big, "</body></message>");
    for (int i = 0; i < 100; i++)
        pf_buf_addstr(&deep, "<a>");
    for (int i = 0; i < 100; i++)
        pf_buf_addstr(&deep, "</a>");
    pf_buf_addstr(&wide, "<message xmlns='jabber:client'>");
    for (int i = 0; i < 5000; i++)
        pf_buf_addstr(&wide, "<x/>");
    pf_buf_addstr(&wide, "</message>");

    struct hostile h[] = {
        {"billion laughs", F_TEXT,
         "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
         "<!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
         "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>]>"
         "<message xmlns='jabber:client'><body>&lol3;</body></message>",
         0, "DOCTYPE"},
        {"external entity", F_TEXT,
         "<!DOCTYPE m [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
         "<message xmlns='jabber:client'><body>&x;</body></message>",
         0, "DOCTYPE"},
        {"deep nesting", F_TEXT, deep.data, deep.len, "nested deeper than"},
        {"too many elements", F_TEXT, wide.data, wide.len,
         "more than 4096 elements"},
        {"invalid UTF-8", F_TEXT,
         "<message xmlns='jabber:client' type='groupchat' from='" TEAM
         "/aino'><body>&gt;&gt; xyzzy \xff\xfe bytes</body></message>",
         0, "malformed XML"},
        {"oversized frame", F_TEXT, big.data, big.len, "over 65536 bytes"},
        {"binary frame", F_BINARY, "\x00\x01\x02<message/>", 13,
         "binary frame ignored"},
        {"garbage", F_TEXT, "<<<>>> not xml", 0, "malformed XML"},
        {"two stanzas in one frame", F_TEXT,
         "<message xmlns='jabber:client'/><message xmlns='jabber:client'/>", 0,
         "malformed XML"},
        {"unknown request", F_TEXT,
         "<iq xmlns='jabber:client' type='set' id='evil1' from='localhost'>"
         "<query xmlns='jabber:iq:roster'><item jid='x@y'/></query></iq>",
         0, NULL},
        {"message from nowhere", F_TEXT,
         "<message xmlns='jabber:client' type='groupchat' from="
         "'elsewhere@conference.localhost/x'><body>&gt;&gt; plugh</body>"
         "</message>",
         0, NULL},
        {"stream error", F_TEXT,
         "<stream:error xmlns:stream='http://etherx.jabber.org/streams'>"
         "<conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
         "</stream:error>",
         0, "stream error from the server: conflict"},
        {"hang-up", F_HANGUP, "", 0, "reconnecting"},
    };
    size_t nh = sizeof(h) / sizeof(*h);

    srv_start();
    char *cfg = pf_xasprintf(
        "{\"plugins\": [\"backstage\"],\n"
        " \"connector\": {\"type\": \"xmpp\", \"url\": "
        "\"ws://127.0.0.1:%d/xmpp-websocket\",\n"
        "   \"jid\": \"bot@localhost\", \"password_env\": \"PF_TEST_BOT_PW\",\n"
        "   \"nick\": \"pokerface\", \"reconnect_min_ms\": 100, "
        "\"reconnect_max_ms\": 200,\n"
        "   \"max_stanza_bytes\": 65536},\n"
        " \"routes\": [{\"name\": \"r\", \"customer_room\": \"" CUST "\",\n"
        "   \"internal_room\": \"" TEAM "\"}], \"state_dir\": \"state\"}\n",
        g_srv.port);
    ck_assert_int_eq(tc_state_dir(tmp), 0);
    char *cfg_path = pf_xasprintf("%s/pf.json", tmp);
    char *log = pf_xasprintf("%s/bot.log", tmp);
    FILE *f = fopen(cfg_path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(cfg, f);
    fclose(f);
    setenv("PF_TEST_BOT_PW", "pw-bot", 1);
    ck_assert_int_eq(tc_bot_start(&bot, tu_build(), cfg_path, log), 0);

    for (size_t i = 0; i < nh; i++) {
        struct conn *c = wait_bot(10000);
        ck_assert_msg(c != NULL, "the bot is not back after '%s'; see %s",
                      i ? h[i - 1].name : "start", log);
        queue(c, h[i].kind, h[i].data,
              h[i].size ? h[i].size : strlen(h[i].data));
        char want[64];
        snprintf(want, sizeof(want), "Your order %u is", (unsigned)(1000 + i));
        /* the reply after it gets through: on this connection, or on the
           next one if the bot had to reconnect */
        int64_t until = pf_now_ns() + 15000 * 1000000LL;
        int sent_on = -1;
        while (posts_with(want) == 0 && pf_now_ns() < until) {
            c = wait_bot(200);
            if (c && sent_on != g_srv.connections) {
                probe(c, (unsigned)i);
                sent_on = g_srv.connections;
            }
            srv_pump(20);
        }
        ck_assert_msg(posts_with(want) == 1,
                      "after '%s' the agent's reply was relayed %zu times; "
                      "see %s",
                      h[i].name, posts_with(want), log);
        ck_assert_msg(kill(bot.pid, 0) == 0, "the bot died after '%s'",
                      h[i].name);
        if (h[i].logged)
            ck_assert_msg(tc_bot_logged(&bot, h[i].logged),
                          "no log line with '%s' after '%s'; see %s",
                          h[i].logged, h[i].name, log);
    }
    /* nothing of the hostile input reached the customer */
    for (size_t i = 0; i < g_srv.n_posts; i++)
        ck_assert_msg(!strstr(g_srv.posts[i].body, "lol") &&
                          !strstr(g_srv.posts[i].body, "xyzzy") &&
                          !strstr(g_srv.posts[i].body, "plugh"),
                      "relayed: %s", g_srv.posts[i].body);
    ck_assert(tc_bot_logged(&bot, "stanza of") ||
              tc_bot_logged(&bot, "over 65536 bytes"));
    int st = tc_bot_stop(&bot);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "pokerface exited with status %d; see %s", st, log);
    ck_assert(!tc_bot_logged(&bot, "runtime error"));
    ck_assert(!tc_bot_logged(&bot, "pw-bot"));
    srv_stop();
    pf_buf_release(&big);
    pf_buf_release(&deep);
    pf_buf_release(&wide);
    free(cfg);
    free(cfg_path);
    free(log);
    if (!getenv("PF_KEEP"))
        tu_rmrf(tmp);
    free(tmp);
}
END_TEST

Suite *
suite_hostile(void)
{
    Suite *s = suite_create("hostile");
    TCase *tc = tcase_create("server");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, hostile_server_cannot_break_the_bot);
    suite_add_tcase(s, tc);
    return s;
}
