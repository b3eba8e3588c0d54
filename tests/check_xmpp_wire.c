/*
 * check_xmpp_wire.c - what the XMPP connector reads and writes on the
 * wire, without a server: stanza parsing (including hostile input: billion
 * laughs, external entities, deep nesting, oversize, invalid UTF-8, two
 * elements in one frame), XML escaping, and SASL PLAIN and SCRAM-SHA-256
 * against the RFC 7677 test vector.
 */
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "connectors/sasl.h"
#include "connectors/xml.h"
#include "pokerface/plugin.h"
#include "testutil.h"

static struct pf_arena arena;

static void
setup(void)
{
    pf_arena_init(&arena, 0);
}

static void
teardown(void)
{
    pf_arena_release(&arena);
}

static int
parse(const char *s, struct pf_xnode **root, char *err, size_t errlen)
{
    return pf_xml_parse(&arena, s, strlen(s), NULL, root, err, errlen);
}

START_TEST(parses_a_groupchat_message)
{
    /* single quotes and any attribute order, as Prosody sends them */
    const char *s =
        "<message to='bot@localhost/relay' xml:lang='en' "
        "xmlns='jabber:client' from='room@conference.localhost/agent' "
        "type='groupchat' id='m1'><body>Hei &amp; moi &lt;3 ääliö</body>"
        "<origin-id xmlns='urn:xmpp:sid:0' id='m1'/>"
        "<stanza-id xmlns='urn:xmpp:sid:0' by='room@conference.localhost' "
        "id='S-1'/></message>";
    struct pf_xnode *r;
    char err[256];
    ck_assert_int_eq(parse(s, &r, err, sizeof(err)), PF_OK);
    ck_assert(pf_xml_is(r, "jabber:client", "message"));
    ck_assert_str_eq(pf_xml_attr(r, "type"), "groupchat");
    ck_assert_str_eq(pf_xml_attr(r, "from"), "room@conference.localhost/agent");
    ck_assert_ptr_null(pf_xml_attr(r, "lang")); /* xml:lang has a namespace */
    const struct pf_xnode *b = pf_xml_child(r, "jabber:client", "body");
    ck_assert_ptr_nonnull(b);
    ck_assert_str_eq(b->text, "Hei & moi <3 ääliö");
    const struct pf_xnode *sid = pf_xml_child(r, "urn:xmpp:sid:0", "stanza-id");
    ck_assert_str_eq(pf_xml_attr(sid, "id"), "S-1");
    ck_assert_ptr_null(pf_xml_child(r, "jabber:client", "origin-id"));
    ck_assert_ptr_nonnull(pf_xml_child(r, NULL, "origin-id"));
}
END_TEST

/*
 * Parsing a stanza asks the kernel for no random bytes: expat's hash
 * salt is drawn once per process, not once per parser (a system call on
 * the path of every reply). A child parses once, then is killed by the
 * kernel should it call getrandom again, and parses some more.
 */
START_TEST(a_stanza_costs_no_random_bytes)
{
    static const char xml[] =
        "<message xmlns='jabber:client' type='groupchat' "
        "from='tiimi@conference.localhost/aino' id='m1'><body>hei</body>"
        "</message>";
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct pf_arena a;
        struct pf_xnode *root;
        char err[256];
        pf_arena_init(&a, 4096);
        if (pf_xml_parse(&a, xml, sizeof(xml) - 1, NULL, &root, err,
                         sizeof(err)) != PF_OK)
            _exit(3);
        if (tu_seccomp(SYS_getrandom, SECCOMP_RET_KILL_PROCESS) != 0)
            _exit(4);
        for (int i = 0; i < 3; i++) {
            pf_arena_reset(&a);
            if (pf_xml_parse(&a, xml, sizeof(xml) - 1, NULL, &root, err,
                             sizeof(err)) != PF_OK ||
                strcmp(pf_xml_child(root, NULL, "body")->text, "hei") != 0)
                _exit(5);
        }
        _exit(0);
    }
    tu_child_ok(pid, "the parser child");
}
END_TEST

/*
 * The parser is kept from one stanza to the next (reset, not created
 * again): nothing of one stanza is left for the next, a namespace
 * prefix it declared, a refusal, or an error.
 */
START_TEST(each_stanza_starts_from_nothing)
{
    struct pf_xnode *r;
    char err[256];
    ck_assert_int_eq(
        parse("<a xmlns='x' xmlns:p='urn:p'><p:b/></a>", &r, err, sizeof(err)),
        PF_OK);
    ck_assert_ptr_nonnull(pf_xml_child(r, "urn:p", "b"));
    /* p is not declared here */
    ck_assert_int_eq(parse("<p:c xmlns='x'/>", &r, err, sizeof(err)),
                     PF_EINVAL);
    ck_assert_msg(strstr(err, "unbound prefix"), "%s", err);
    ck_assert_int_eq(parse("<a xmlns='x'><b>cut", &r, err, sizeof(err)),
                     PF_EINVAL);
    ck_assert_int_eq(
        parse("<a xmlns='x'><b>whole</b></a>", &r, err, sizeof(err)), PF_OK);
    ck_assert_str_eq(pf_xml_child(r, "x", "b")->text, "whole");
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(parse("<!DOCTYPE m [<!ENTITY e 'x'>]><m>&e;</m>", &r,
                               err, sizeof(err)),
                         PF_EINVAL);
        ck_assert_msg(strstr(err, "DOCTYPE"), "%s", err);
        ck_assert_int_eq(parse("<m xmlns='y'>fine</m>", &r, err, sizeof(err)),
                         PF_OK);
        ck_assert_str_eq(r->text, "fine");
        ck_assert_str_eq(r->ns, "y");
    }
}
END_TEST

START_TEST(refuses_hostile_input)
{
    static const char *const bad[][2] = {
        {"<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
         "<!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>]>"
         "<message>&lol2;</message>",
         "DOCTYPE"},
        {"<!DOCTYPE m SYSTEM 'file:///etc/passwd'><m/>", "DOCTYPE"},
        {"<message><body>&xxe;</body></message>", "malformed XML"},
        {"<message><body>x</message>", "malformed XML"},
        {"<a/><b/>", "malformed XML"},
        {"<message><body>bad \xff byte</body></message>", "malformed XML"},
        {"", "malformed XML"},
        {"not xml at all", "malformed XML"},
    };
    struct pf_xnode *r;
    char err[256];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(parse(bad[i][0], &r, err, sizeof(err)) != PF_OK,
                      "accepted: %s", bad[i][0]);
        ck_assert_msg(strstr(err, bad[i][1]), "%s: %s", bad[i][0], err);
        ck_assert_ptr_null(r);
    }
}
END_TEST

/* the start of a stanza too big to keep still says who wrote what */
START_TEST(reads_the_start_of_a_stanza)
{
    struct pf_xnode *n;
    char err[256];
    const char *head =
        "<message xmlns='jabber:client' type='groupchat' from='team@conf/aino' "
        "id='m1'><body>&gt;&gt; Your order is on its way. Your ord";
    ck_assert_int_eq(pf_xml_parse_head(&arena, head, strlen(head), NULL, &n,
                                       err, sizeof(err)),
                     PF_OK);
    ck_assert_str_eq(pf_xml_attr(n, "from"), "team@conf/aino");
    const struct pf_xnode *b = pf_xml_child(n, "jabber:client", "body");
    ck_assert_ptr_nonnull(b);
    ck_assert_str_eq(b->text, ">> Your order is on its way. Your ord");
    /* cut inside a tag or a character: what came before */
    const char *cut = "<message xmlns='jabber:client' from='a@b/c'><body>"
                      "h\xc3\xa4\xc3";
    ck_assert_int_eq(
        pf_xml_parse_head(&arena, cut, strlen(cut), NULL, &n, err, sizeof(err)),
        PF_OK);
    ck_assert_str_eq(pf_xml_child(n, NULL, "body")->text, "h\xc3\xa4");
    /* what a whole frame may not have, a head may not either */
    const char *bad = "<!DOCTYPE x [<!ENTITY a 'b'>]><message xmlns='jabber:"
                      "client'><body>&a;";
    ck_assert_int_ne(
        pf_xml_parse_head(&arena, bad, strlen(bad), NULL, &n, err, sizeof(err)),
        PF_OK);
}
END_TEST

START_TEST(enforces_limits)
{
    struct pf_xnode *r;
    char err[256];
    struct pf_buf b = PF_BUF_INIT;
    /* nesting */
    for (int i = 0; i < 40; i++)
        pf_buf_addstr(&b, "<a>");
    for (int i = 0; i < 40; i++)
        pf_buf_addstr(&b, "</a>");
    ck_assert_int_eq(parse(b.data, &r, err, sizeof(err)), PF_ETOOBIG);
    ck_assert_msg(strstr(err, "nested deeper than 32"), "%s", err);
    /* element count */
    pf_buf_reset(&b);
    pf_buf_addstr(&b, "<m>");
    for (int i = 0; i < 5000; i++)
        pf_buf_addstr(&b, "<x/>");
    pf_buf_addstr(&b, "</m>");
    ck_assert_int_eq(parse(b.data, &r, err, sizeof(err)), PF_ETOOBIG);
    ck_assert_msg(strstr(err, "more than 4096 elements"), "%s", err);
    /* attributes */
    pf_buf_reset(&b);
    pf_buf_addstr(&b, "<m");
    for (int i = 0; i < 40; i++)
        pf_buf_addf(&b, " a%d='x'", i);
    pf_buf_addstr(&b, "/>");
    ck_assert_int_eq(parse(b.data, &r, err, sizeof(err)), PF_ETOOBIG);
    ck_assert_msg(strstr(err, "more than 32 attributes"), "%s", err);
    /* size */
    pf_buf_reset(&b);
    pf_buf_addstr(&b, "<m>");
    for (int i = 0; i < 30000; i++)
        pf_buf_addstr(&b, "0123456789");
    pf_buf_addstr(&b, "</m>");
    ck_assert_int_eq(parse(b.data, &r, err, sizeof(err)), PF_ETOOBIG);
    ck_assert_msg(strstr(err, "over the limit of 262144"), "%s", err);
    pf_buf_release(&b);
}
END_TEST

START_TEST(random_bytes_never_crash)
{
    /* mutations of a real stanza: every outcome is a tree or an error */
    const char *seed = "<message xmlns='jabber:client' type='groupchat' "
                       "from='r@c/n'><body>hi &amp; bye</body><x y='z'/>"
                       "</message>";
    size_t n = strlen(seed);
    char buf[256];
    unsigned st = 7;
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, seed, n);
        int edits = 1 + (int)(rand_r(&st) % 4);
        for (int k = 0; k < edits; k++)
            buf[rand_r(&st) % n] = (char)(rand_r(&st) % 256);
        struct pf_xnode *r;
        char err[256];
        int rc = pf_xml_parse(&arena, buf, n, NULL, &r, err, sizeof(err));
        ck_assert(rc == PF_OK ? r != NULL : r == NULL);
        pf_arena_reset(&arena);
    }
}
END_TEST

START_TEST(escaping)
{
    struct pf_buf b = PF_BUF_INIT;
    pf_xml_escape_str(&b, "a<b>&\"'c\x01\x1f\td ääliö");
    ck_assert_str_eq(b.data, "a&lt;b&gt;&amp;&quot;&apos;c\td ääliö");
    pf_buf_release(&b);
}
END_TEST

START_TEST(sasl_plain)
{
    char *s = pf_sasl_plain("agent1", "pass-agent1");
    /* from the verified Prosody transcript */
    ck_assert_str_eq(s, "AGFnZW50MQBwYXNzLWFnZW50MQ==");
    free(s);
}
END_TEST

START_TEST(scram_sha256_rfc7677_vector)
{
    char *first, *final, err[256];
    struct pf_scram *s = pf_scram_start("user", "rOprNGfwEbeRWgbNEkqO", &first);
    unsigned char raw[256];
    long n = pf_b64_decode(first, raw, sizeof(raw) - 1);
    raw[n] = '\0';
    ck_assert_str_eq((char *)raw, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    char *sf = pf_b64_encode(
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        strlen("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
               "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"));
    ck_assert_int_eq(pf_scram_final(s, "pencil", sf, &final, err, sizeof(err)),
                     0);
    n = pf_b64_decode(final, raw, sizeof(raw) - 1);
    raw[n] = '\0';
    ck_assert_str_eq((char *)raw,
                     "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)"
                     "hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    const char *v = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    char *vb = pf_b64_encode(v, strlen(v));
    ck_assert_int_eq(pf_scram_verify(s, vb, err, sizeof(err)), 0);
    /* a server that does not know the password */
    const char *bad = "v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    char *bb = pf_b64_encode(bad, strlen(bad));
    ck_assert_int_eq(pf_scram_verify(s, bb, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "does not know the password"), "%s", err);
    free(first), free(final), free(sf), free(vb), free(bb);
    pf_scram_free(s);
}
END_TEST

START_TEST(scram_refuses_bad_servers)
{
    char *first, *final, err[256];
    static const char *const bad[][2] = {
        {"r=othernonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "did not extend"},
        {"r=abc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "did not extend"},
        {"r=abcXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1", "out of range"},
        {"r=abcXYZ,i=4096", "lacks r, s or i"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct pf_scram *s = pf_scram_start("u", "abc", &first);
        char *b64 = pf_b64_encode(bad[i][0], strlen(bad[i][0]));
        ck_assert_int_eq(pf_scram_final(s, "p", b64, &final, err, sizeof(err)),
                         -1);
        ck_assert_msg(strstr(err, bad[i][1]), "%s: %s", bad[i][0], err);
        free(b64);
        free(first);
        pf_scram_free(s);
    }
}
END_TEST

Suite *
suite_xmpp_wire(void)
{
    Suite *s = suite_create("xmpp_wire");
    TCase *tc = tcase_create("xml");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, parses_a_groupchat_message);
    tcase_add_test(tc, refuses_hostile_input);
    tcase_add_test(tc, enforces_limits);
    tcase_add_test(tc, reads_the_start_of_a_stanza);
    tcase_add_test(tc, random_bytes_never_crash);
    tcase_add_test(tc, escaping);
    tcase_add_test(tc, a_stanza_costs_no_random_bytes);
    tcase_add_test(tc, each_stanza_starts_from_nothing);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    tc = tcase_create("sasl");
    tcase_add_test(tc, sasl_plain);
    tcase_add_test(tc, scram_sha256_rfc7677_vector);
    tcase_add_test(tc, scram_refuses_bad_servers);
    suite_add_tcase(s, tc);
    return s;
}
