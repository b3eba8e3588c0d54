/*
 * check_log.c - log lines: one call is one line, whatever the text in it
 * (a newline or a terminal escape from the network cannot forge a line).
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/log.h"
#include "base/util.h"
#include "connectors/ws.h"
#include "core/loop.h"
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

/* what fn wrote on stderr (into a file while it ran); free it */
static char *
stderr_of(void (*fn)(void *), void *ud, const char *path)
{
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    dup2(fd, 2);
    close(fd);
    fn(ud);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    size_t n;
    return tu_read(path, &n);
}

static void
log_three(void *ud)
{
    (void)ud;
    pf_err("the journal cannot be written: %s", "disk full");
    pf_warn("a \"quoted\" nick with a \\ and a\nnewline \xe2\x80\xae");
    const char *kv[] = {"url", "ws://x/\"y\"", "reason", "refused\n", NULL};
    pf_log_kv(PF_LOG_INFO, kv, "connected after all");
}

START_TEST(json_lines_parse_as_json)
{
    char *tmp = tu_tmpdir();
    char *path = pf_path_join(tmp, "err");
    pf_log_set_format(PF_LOG_JSON);
    char *out = stderr_of(log_three, NULL, path);
    pf_log_set_format(PF_LOG_TEXT);
    const char *levels[] = {"error", "warning", "info"};
    const char *msgs[] = {"the journal cannot be written: disk full",
                          "a \"quoted\" nick with a \\ and a\\nnewline "
                          "\\u202e",
                          "connected after all"};
    int i = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        json_error_t je;
        ck_assert_int_lt(i, 3);
        json_t *o = json_loads(line, 0, &je);
        ck_assert_msg(o != NULL, "not JSON: %s (%s)", line, je.text);
        ck_assert(json_is_object(o));
        const char *t = json_string_value(json_object_get(o, "time"));
        ck_assert_msg(t && strlen(t) == 24 && t[10] == 'T' && t[23] == 'Z',
                      "time: %s", line);
        ck_assert_str_eq(json_string_value(json_object_get(o, "level")),
                         levels[i]);
        ck_assert_str_eq(json_string_value(json_object_get(o, "message")),
                         msgs[i]);
        if (i == 2) {
            ck_assert_str_eq(json_string_value(json_object_get(o, "url")),
                             "ws://x/\"y\"");
            ck_assert_str_eq(json_string_value(json_object_get(o, "reason")),
                             "refused\\n");
        }
        json_decref(o);
        i++;
    }
    ck_assert_int_eq(i, 3);
    free(out);
    free(path);
    tu_rmrf(tmp);
    free(tmp);
}
END_TEST

static void
log_levels(void *ud)
{
    (void)ud;
    pf_log_set_level(PF_LOG_DEBUG);
    pf_err("e");
    pf_warn("w");
    pf_info("i");
    pf_debug("d");
    pf_log_set_level(PF_LOG_INFO);
}

START_TEST(priority_prefixes_under_the_journal)
{
    char *tmp = tu_tmpdir();
    char *path = pf_path_join(tmp, "err");
    char *other = pf_path_join(tmp, "other");
    tu_write(other, "", 0);
    struct stat st;
    /* journald's stream is not stderr: nothing changes */
    ck_assert_int_eq(stat(other, &st), 0);
    char js[64];
    snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", js, 1);
    ck_assert_int_eq(pf_log_under_journal(), 0);
    /* stderr is the journal's stream: priorities, no timestamps */
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    ck_assert_int_eq(fstat(2, &st), 0);
    snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", js, 1);
    int under = pf_log_under_journal();
    setenv("JOURNAL_STREAM", "garbage", 1);
    int garbage = pf_log_under_journal();
    dup2(saved, 2);
    close(saved);
    unsetenv("JOURNAL_STREAM");
    ck_assert_int_eq(under, 1);
    ck_assert_int_eq(garbage, 0);

    pf_log_set_timestamps(1);
    pf_log_set_journal(1);
    char *out = stderr_of(log_levels, NULL, path);
    pf_log_set_journal(0);
    pf_log_set_timestamps(0);
    ck_assert_str_eq(out, "<3>pokerface: error: e\n<4>pokerface: warning: w\n"
                          "<6>pokerface: i\n<7>pokerface: d\n");
    free(out);
    free(path);
    free(other);
    tu_rmrf(tmp);
    free(tmp);
}
END_TEST

static char g_failed[4096];

static void
on_connect_log(void *ud, int level, const char *line)
{
    (void)ud;
    (void)level;
    if (strstr(line, "cannot connect") && !g_failed[0])
        snprintf(g_failed, sizeof(g_failed), "%s", line);
}

static void
ws_noop(void *ud)
{
    (void)ud;
}

static void
ws_closed(void *ud, const char *why)
{
    (void)ud;
    (void)why;
}

/* a loopback port nobody listens on (bound, then closed) */
static int
closed_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &al), 0);
    close(s);
    return ntohs(a.sin_port);
}

/* the line saying why a connection to url failed (or "") */
static const char *
connect_failure(const char *url)
{
    struct pf_loop loop;
    char err[256];
    ck_assert_int_eq(pf_loop_init(&loop, err, sizeof(err)), 0);
    struct pf_ws_opts o;
    memset(&o, 0, sizeof(o));
    o.url = url;
    o.name = "xmpp";
    o.max_message = 65536;
    o.reconnect_min_ms = 10000;
    o.reconnect_max_ms = 20000;
    struct pf_ws_ops ops = {ws_noop, NULL, ws_closed, NULL};
    struct pf_ws *w = pf_ws_new(loop.ctx, &o, &ops, NULL, err, sizeof(err));
    ck_assert_ptr_nonnull(w);
    g_failed[0] = '\0';
    pf_log_set_sink(on_connect_log, NULL);
    pf_ws_start(w);
    for (int i = 0; i < 100 && !g_failed[0]; i++)
        pf_loop_once(&loop, 50);
    pf_log_set_sink(NULL, NULL);
    pf_ws_stop(w);
    pf_ws_free(w);
    pf_loop_release(&loop);
    return g_failed;
}

START_TEST(a_failed_connection_says_why)
{
    char url[128];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/xmpp-websocket",
             closed_port());
    const char *l = connect_failure(url);
    ck_assert_msg(strstr(l, url) && strstr(l, ": connection refused"),
                  "no reason: '%s'", l);
    l = connect_failure("ws://pokerface-test.invalid/xmpp-websocket");
    ck_assert_msg(strstr(l, "cannot resolve the server's name"),
                  "no reason: '%s'", l);
}
END_TEST

Suite *
suite_log(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("escape");
    tcase_add_test(tc, control_characters_are_escaped);
    tcase_add_test(tc, escaping_cuts_on_a_boundary);
    tcase_add_test(tc, json_lines_parse_as_json);
    tcase_add_test(tc, priority_prefixes_under_the_journal);
    tcase_add_test(tc, a_failed_connection_says_why);
    suite_add_tcase(s, tc);
    return s;
}
