/*
 * check_state.c - whom the bot trusts on its own machine: a state
 * directory another user owns or may write to is refused before anything
 * is read from it or written to it, and `pokerface queue` talks only to a
 * control socket served by its own user. (The journal's refusal to follow
 * symbolic links is in check_journal.c.)
 *
 * The tests run as root, as `make check` does, so that they can play
 * another user (nobody); they skip that part otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "testutil.h"

#define NOBODY 65534

/* build/pokerface ARGS (a shell line): stdout+stderr, and the exit code */
static char *run_pf(int *status, const char *fmt, ...) PF_ATTR_PRINTF(2, 3);

static char *
run_pf(int *status, const char *fmt, ...)
{
    char args[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    char *line = pf_xasprintf("%s/pokerface %s 2>&1", tu_build(), args);
    FILE *p = popen(line, "r");
    ck_assert_ptr_nonnull(p);
    struct pf_buf b = PF_BUF_INIT;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
        pf_buf_add(&b, buf, n);
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    free(line);
    pf_buf_addstr(&b, "");
    return pf_buf_detach(&b, NULL);
}

/* a configuration `run` accepts, its state in dir/state */
static char *
write_config(const char *dir)
{
    char *path = pf_xasprintf("%s/pf.json", dir);
    char *json = pf_xasprintf(
        "{\"plugins\": [\"example\"], \"state_dir\": \"state\",\n"
        " \"connector\": {\"type\": \"xmpp\", \"url\": "
        "\"ws://127.0.0.1:9/xmpp-websocket\",\n"
        "   \"jid\": \"bot@localhost\", \"password_env\": \"PF_NO_SUCH\"},\n"
        " \"routes\": [{\"customer_room\": \"c@conference.localhost\",\n"
        "   \"internal_room\": \"i@conference.localhost\"}]}\n");
    tu_write(path, json, strlen(json));
    free(json);
    return path;
}

START_TEST(an_untrusted_state_dir_is_refused)
{
    char *dir = tu_tmpdir();
    char *cfg = write_config(dir);
    char *state = pf_xasprintf("%s/state", dir);
    char *out;
    int st;

    /* writable by everyone: a local user could plant links or a socket */
    ck_assert_int_eq(mkdir(state, 0700), 0);
    ck_assert_int_eq(chmod(state, 0777), 0);
    out = run_pf(&st, "run -c %s", cfg);
    ck_assert_msg(st == 2 && strstr(out, state) &&
                      strstr(out, "writable by everyone (mode 777)") &&
                      strstr(out, "chmod 700"),
                  "exit %d: %s", st, out);
    free(out);
    char *journal = pf_xasprintf("%s/journal", state);
    ck_assert_msg(access(journal, F_OK) != 0, "a journal was made there");

    /* writable by its group */
    ck_assert_int_eq(chmod(state, 0770), 0);
    out = run_pf(&st, "run -c %s", cfg);
    ck_assert_msg(st == 2 && strstr(out, "writable by its group (mode 770)"),
                  "exit %d: %s", st, out);
    free(out);

    /* owned by someone else */
    ck_assert_int_eq(chmod(state, 0700), 0);
    if (geteuid() == 0) {
        ck_assert_int_eq(chown(state, NOBODY, NOBODY), 0);
        out = run_pf(&st, "run -c %s", cfg);
        ck_assert_msg(st == 2 && strstr(out, state) &&
                          strstr(out, "owned by uid 65534") &&
                          strstr(out, "chown"),
                      "exit %d: %s", st, out);
        free(out);
        ck_assert_int_eq(chown(state, 0, 0), 0);
    }

    /* a trusted one gets past that point (to the missing key) */
    out = run_pf(&st, "run -c %s", cfg);
    ck_assert_msg(st == 2 && strstr(out, "journal.key") &&
                      !strstr(out, "state directory"),
                  "exit %d: %s", st, out);
    free(out);
    free(journal);
    free(state);
    free(cfg);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

/*
 * Someone else's socket where the bot's should be: a process of another
 * user listens there and would answer with a fake queue. The client
 * refuses it by its peer's uid and sends it nothing.
 */
START_TEST(the_client_refuses_an_impostor_socket)
{
    if (geteuid() != 0)
        return; /* cannot play another user */
    char *dir = tu_tmpdir();
    char *sock = pf_xasprintf("%s/control.sock", dir);
    int ready[2], got[2];
    ck_assert_int_eq(chmod(dir, 0777), 0);
    ck_assert_int_eq(pipe(ready), 0);
    ck_assert_int_eq(pipe(got), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* the impostor */
        close(ready[0]);
        close(got[0]);
        if (setgid(NOBODY) != 0 || setuid(NOBODY) != 0)
            _exit(1);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a;
        memset(&a, 0, sizeof(a));
        a.sun_family = AF_UNIX;
        snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
        umask(0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
            listen(fd, 4) != 0)
            _exit(1);
        if (write(ready[1], "r", 1) != 1)
            _exit(1);
        int c = accept(fd, NULL, NULL);
        if (c < 0)
            _exit(1);
        const char *fake = "{\"ok\": true, \"holds\": [{\"hold\": 1, "
                           "\"text\": \"FAKE QUEUE\"}]}\n";
        /* the client may already have hung up (it refuses before it
           reads): no SIGPIPE for that */
        if (send(c, fake, strlen(fake), MSG_NOSIGNAL) < 0 && errno != EPIPE &&
            errno != ECONNRESET)
            _exit(1);
        /* what did the client tell us? */
        char buf[512];
        ssize_t n = 0;
        struct pollfd p = {c, POLLIN, 0};
        if (poll(&p, 1, 2000) > 0)
            n = read(c, buf, sizeof(buf));
        if (write(got[1], n > 0 ? "y" : "n", 1) != 1)
            _exit(1);
        _exit(0);
    }
    close(ready[1]);
    close(got[1]);
    char c;
    ck_assert_int_eq(read(ready[0], &c, 1), 1);
    int st;
    char *out = run_pf(&st, "queue --socket %s list", sock);
    ck_assert_msg(st == 2 && !strstr(out, "FAKE QUEUE") &&
                      strstr(out, "is not pokerface's") &&
                      strstr(out, "nobody (uid 65534)"),
                  "exit %d: %s", st, out);
    free(out);
    ck_assert_int_eq(read(got[0], &c, 1), 1);
    ck_assert_msg(c == 'n', "the impostor was sent the request");
    close(ready[0]);
    close(got[0]);
    waitpid(pid, NULL, 0);
    free(sock);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

Suite *
suite_state(void)
{
    Suite *s = suite_create("state");
    TCase *tc = tcase_create("state");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, an_untrusted_state_dir_is_refused);
    tcase_add_test(tc, the_client_refuses_an_impostor_socket);
    suite_add_tcase(s, tc);
    return s;
}
