/*
 * check_log.c - log lines: one call is one line, whatever the text in it
 * (a newline or a terminal escape from the network cannot forge a line).
 */
#include <string.h>

#include "base/log.h"
#include "testutil.h"

static char g_line[8192];
static int g_lines;

static void
on_log(void *ud, int level, const char *line)
{
    (void)ud;
    (void)level;
    snprintf(g_line, sizeof(g_line), "%s", line);
    g_lines++;
}

/* the one line pf_info("xmpp: logged in as %s", arg) wrote */
static const char *
logged(const char *arg)
{
    g_lines = 0;
    g_line[0] = '\0';
    pf_log_set_sink(on_log, NULL);
    pf_info("xmpp: logged in as %s", arg);
    pf_log_set_sink(NULL, NULL);
    ck_assert_int_eq(g_lines, 1);
    ck_assert_msg(!strncmp(g_line, "xmpp: logged in as ", 19), "%s", g_line);
    return g_line + 19;
}

START_TEST(control_characters_are_escaped)
{
    /* a JID from the network with a line of its own in it */
    ck_assert_str_eq(
        logged("bot@x/r\n2026-01-01T00:00:00Z pokerface: relayed on acme"),
        "bot@x/r\\n2026-01-01T00:00:00Z pokerface: relayed on acme");
    ck_assert_str_eq(logged("a\rb\tc\x1b[31md\x7f"),
                     "a\\rb\\tc\\x1b[31md\\x7f");
    /* C1 controls, line separators and bidi controls are escapes too */
    ck_assert_str_eq(logged("x\xc2\x85y\xe2\x80\xa8z"), "x\\u0085y\\u2028z");
    ck_assert_str_eq(logged("The \xe2\x80\xaetoidi\xe2\x80\xac in"),
                     "The \\u202etoidi\\u202c in");
    ck_assert_str_eq(logged("\xe2\x81\xa6x\xe2\x81\xa9"), "\\u2066x\\u2069");
    /* bytes that are not UTF-8 */
    ck_assert_str_eq(logged("a\xff\xfe b \xc3"), "a\\xff\\xfe b \\xc3");
    ck_assert_str_eq(logged("\xe0\x80\x80"), "\\xe0\\x80\\x80");
    /* what is fine stays as it is */
    ck_assert_str_eq(logged("Hyvää päivää 👋 ✅ «ok»"), "Hyvää päivää 👋 ✅ «ok»");
}
END_TEST

START_TEST(escaping_cuts_on_a_boundary)
{
    char out[8];
    pf_log_escape("abcd\nef", out, 7);
    ck_assert_str_eq(out, "abcd\\n");
    pf_log_escape("abcdeä", out, 7);
    ck_assert_str_eq(out, "abcde");
    pf_log_escape("abcdef\x01", out, sizeof(out));
    ck_assert_str_eq(out, "abcdef");
    /* a long line is one line, cut */
    char big[5000];
    memset(big, '\n', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    const char *l = logged(big);
    ck_assert_ptr_null(strchr(l, '\n'));
    ck_assert_uint_gt(strlen(l), 1000);
}
END_TEST

Suite *
suite_log(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("escape");
    tcase_add_test(tc, control_characters_are_escaped);
    tcase_add_test(tc, escaping_cuts_on_a_boundary);
    suite_add_tcase(s, tc);
    return s;
}
