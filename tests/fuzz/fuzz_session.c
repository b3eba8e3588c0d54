/*
 * fuzz_session.c - libFuzzer target for the XMPP connector's whole life
 * with a hostile or broken server: the stream opening, SASL (PLAIN and
 * SCRAM), resource binding, joining and configuring rooms, reading them
 * back (MAM pages), live traffic, errors, frames too big to read, and
 * connections that drop and open again, in any order the input says.
 *
 * Whatever the server sends, the bot must not be made to send: the
 * harness asks the connector for two posts to the customer room (one new,
 * one that may have arrived before a restart) and nothing else, and it
 * watches every stanza the connector writes (pf_xmpp_tap):
 *  - each is well-formed XML, within the stanza limit;
 *  - a message is one of the two posts, to the customer room, with its
 *    own text and key: nothing the server said turns into a post, a
 *    direct message, a reaction or a retraction;
 *  - a post goes out at most once per connection;
 *  - the password never appears as it is.
 * A broken rule aborts, which libFuzzer reports as a crash.
 *
 * An input is frames separated by NUL bytes. A frame of the single byte
 * 0x01 is the connection dropping and opening again; a frame starting
 * with 0x02 is the start of a frame too big to read. In a frame, @ID@ is
 * the id of the last request the bot wrote (@ID2@ the one before) and
 * @SCRAM@ a SCRAM server-first message for the bot's nonce, so that the
 * fuzzer can answer what the bot asked.
 *
 *   make fuzz                       clang + libFuzzer, FUZZ_SECONDS long
 *   build/tests/fuzz_session FILES  replays inputs (make check does)
 */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/log.h"
#include "base/util.h"
#include "connectors/xml.h"
#include "connectors/xmpp.h"
#include "core/loop.h"
#include "frames.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CUST "customer@conference.localhost"
#define TEAM "team@conference.localhost"
#define PASSWORD "pw-Zq7hunter2"
#define MAX_STANZA (64 * 1024)

static const char *const post_key[2] = {"pf-r-k1", "pf-r-k2"};
static const char *const post_text[2] = {"aino: first <post> & 'more'",
                                         "aino: second post"};

static struct {
    char id[2][64];     /* the last two request ids the bot wrote */
    char nonce[128];    /* the bot's SCRAM nonce, once it sent one */
    unsigned sent[2];   /* each post, written on this connection */
    int heard_password; /* the server itself wrote the password, which
                           the bot may rightly echo (an address) */
    struct pf_arena arena;
} g;

static void
fail(const char *why, const char *stanza, size_t len)
{
    fprintf(stderr, "fuzz_session: %s: %.*s\n", why,
            (int)(len > 400 ? 400 : len), stanza);
    abort();
}

/* the value of attribute name='...' in a stanza we wrote, or "" */
static void
attr(const char *s, const char *name, char *out, size_t cap)
{
    char pat[32];
    snprintf(pat, sizeof(pat), " %s='", name);
    const char *p = strstr(s, pat);
    out[0] = '\0';
    if (!p)
        return;
    p += strlen(pat);
    size_t n = strcspn(p, "'");
    if (n < cap) {
        memcpy(out, p, n);
        out[n] = '\0';
    }
}

/* the client nonce of a SCRAM client-first message (base64 in <auth>) */
static void
take_nonce(const char *s)
{
    const char *b = strchr(s, '>');
    const char *e = b ? strstr(b, "</auth>") : NULL;
    unsigned char raw[256];
    size_t n;
    if (!e ||
        sodium_base642bin(raw, sizeof(raw) - 1, b + 1, (size_t)(e - b - 1),
                          NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
        return;
    raw[n] = '\0';
    const char *r = strstr((const char *)raw, ",r=");
    if (r)
        snprintf(g.nonce, sizeof(g.nonce), "%s", r + 3);
}

static void
on_stanza(void *ud, int in, const char *s, size_t len)
{
    struct pf_xnode *n;
    char err[256];
    (void)ud;
    if (in)
        return;
    if (len > MAX_STANZA)
        fail("a stanza over the limit", s, len);
    for (size_t i = 0; !g.heard_password && i + strlen(PASSWORD) <= len; i++)
        if (!memcmp(s + i, PASSWORD, strlen(PASSWORD)))
            fail("the password as it is", s, len);
    pf_arena_reset(&g.arena);
    if (pf_xml_parse(&g.arena, s, len, NULL, &n, err, sizeof(err)) != PF_OK)
        fail(err, s, len);
    if (strcmp(n->name, "iq") == 0) {
        memcpy(g.id[1], g.id[0], sizeof(g.id[0]));
        attr(s, "id", g.id[0], sizeof(g.id[0]));
    } else if (strcmp(n->name, "auth") == 0) {
        take_nonce(s);
    } else if (strcmp(n->name, "message") == 0) {
        const char *to = pf_xml_attr(n, "to"), *id = pf_xml_attr(n, "id");
        const char *type = pf_xml_attr(n, "type");
        const struct pf_xnode *body = pf_xml_child(n, NULL, "body");
        int k = id && !strcmp(id, post_key[0])   ? 0
                : id && !strcmp(id, post_key[1]) ? 1
                                                 : -1;
        size_t kids = 0;
        for (const struct pf_xnode *c = n->child; c; c = c->next)
            kids++;
        /* <body/> and <origin-id/>, nothing else */
        if (k < 0 || !to || strcmp(to, CUST) || !type ||
            strcmp(type, "groupchat") || !body ||
            strcmp(body->text, post_text[k]) || kids != 2)
            fail("a message nobody asked for", s, len);
        if (++g.sent[k] > 1)
            fail("a post twice on one connection", s, len);
    }
}

/* frame with @ID@, @ID2@ and @SCRAM@ filled in */
static char *
fill(const char *f, size_t len)
{
    struct pf_buf b = PF_BUF_INIT;
    for (size_t i = 0; i < len;) {
        if (len - i >= 4 && !memcmp(f + i, "@ID@", 4)) {
            pf_buf_addstr(&b, g.id[0]);
            i += 4;
        } else if (len - i >= 5 && !memcmp(f + i, "@ID2@", 5)) {
            pf_buf_addstr(&b, g.id[1]);
            i += 5;
        } else if (len - i >= 7 && !memcmp(f + i, "@SCRAM@", 7)) {
            char first[256], b64[400];
            snprintf(first, sizeof(first), "r=%sSRV,s=c2FsdHNhbHQ=,i=4096",
                     g.nonce);
            sodium_bin2base64(b64, sizeof(b64), (unsigned char *)first,
                              strlen(first), sodium_base64_VARIANT_ORIGINAL);
            pf_buf_addstr(&b, b64);
            i += 7;
        } else {
            pf_buf_addch(&b, f[i++]);
        }
    }
    pf_buf_addstr(&b, "");
    return pf_buf_detach(&b, NULL);
}

static void
feed(struct pf_connector *c, const char *frame, size_t len)
{
    if (len == 1 && frame[0] == '\x01') {
        pf_xmpp_feed_closed(c);
        pf_xmpp_feed_open(c);
        g.sent[0] = g.sent[1] = 0;
        return;
    }
    int big = len > 0 && frame[0] == '\x02';
    char *f = fill(frame + big, len - big);
    if (strstr(f, PASSWORD))
        g.heard_password = 1;
    if (big)
        pf_xmpp_feed_too_big(c, f, strlen(f), MAX_STANZA + strlen(f));
    else
        pf_xmpp_feed(c, f, strlen(f));
    free(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pf_loop *loop = fuzz_loop();
    char err[256];
    static const char *const owners[] = {"sanna@localhost"};
    struct pf_xmpp_opts o;
    memset(&o, 0, sizeof(o));
    memset(g.id, 0, sizeof(g.id));
    g.nonce[0] = '\0';
    g.sent[0] = g.sent[1] = 0;
    g.heard_password = 0;
    pf_arena_init(&g.arena, 4096);
    o.url = "ws://127.0.0.1:9/xmpp-websocket";
    o.jid = "bot@localhost";
    o.password = PASSWORD;
    o.nick = "bot";
    o.max_stanza = MAX_STANZA;
    o.configure_rooms = 1;
    o.room_owners = owners;
    o.n_room_owners = 1;
    struct pf_connector *c =
        pf_xmpp_new(loop->ctx, &o, fuzz_on_event, NULL, err, sizeof(err));
    if (!c)
        abort();
    pf_xmpp_tap(c, on_stanza, NULL);
    c->ops->join(c, TEAM);
    c->ops->join(c, CUST);
    /* read back from S0 after a restart; one post decided before it (it
       may have arrived), one new */
    pf_xmpp_set_last_id(c, TEAM, "S0");
    c->ops->post_again(c, CUST, "", post_text[1], post_key[1]);
    c->ops->post(c, CUST, "", post_text[0], post_key[0]);
    pf_xmpp_feed_open(c);
    fuzz_frames(data, size, feed, c);
    c->ops->destroy(c);
    pf_arena_release(&g.arena);
    return 0;
}
