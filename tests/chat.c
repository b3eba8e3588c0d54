/*
 * chat.c - see chat.h.
 */
#include "chat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "connectors/mattermost.h"
#include "connectors/slack.h"
#include "connectors/xmpp.h"
#include "core/journal.h"

static void
wake_cb(lws_sorted_usec_list_t *sul)
{
    (void)sul;
}

static void
record(struct tc_user *u, const char *room, const char *thread,
       const char *author, const char *text, const char *id, int own)
{
    /* a message seen live and read back again after a reconnect is one
       message (two posts are two ids) */
    for (size_t i = u->n; id && *id && i-- > 0;)
        if (!strcmp(u->msgs[i].id, id) && !u->msgs[i].own == !own &&
            (room ? u->msgs[i].room && !strcmp(u->msgs[i].room, room)
                  : !u->msgs[i].room))
            return;
    if (u->n == u->cap) {
        u->cap = u->cap ? u->cap * 2 : 64;
        u->msgs = pf_xrealloc(u->msgs, u->cap * sizeof(*u->msgs));
    }
    struct tc_msg *m = &u->msgs[u->n++];
    m->room = room ? pf_xstrdup(room) : NULL;
    m->author = pf_xstrdup(author);
    m->text = pf_xstrdup(text);
    m->id = pf_xstrdup(id ? id : "");
    m->thread = pf_xstrdup(thread ? thread : "");
    m->own = own;
    m->at_ns = pf_now_ns();
    if (u->w->transcript && u->view) {
        const char *at = room ? strchr(room, '@') : NULL;
        fprintf(u->w->transcript, "  %-10s %-13.*s %s: %s\n", u->view,
                room ? (int)(at ? at - room : (long)strlen(room)) : 7,
                room ? room : "private", author, text);
        fflush(u->w->transcript);
    }
}

/* what an XMPP test user's server sends that no event reports */
static void
on_frame(void *ud, int in, const char *frame, size_t len)
{
    struct tc_user *u = ud;
    if (!in || len < 9)
        return;
    char *f = pf_xstrndup(frame, len);
    if (strncmp(f, "<iq", 3) != 0 &&
        !(strncmp(f, "<presence", 9) == 0 && strstr(f, "type='error'"))) {
        free(f);
        return;
    }
    u->frames = pf_xrealloc(u->frames, (u->n_frames + 1) * sizeof(char *));
    u->frames[u->n_frames++] = f;
}

static void
on_event(void *ud, const struct pf_event *ev)
{
    struct tc_user *u = ud;
    switch (ev->type) {
    case PF_EV_STATE:
        if (!strcmp(ev->text, "ready"))
            u->ready = 1;
        else if (!strcmp(ev->text, "disconnected"))
            u->ready = 0;
        break;
    case PF_EV_MESSAGE:
        record(u, ev->room, ev->thread, ev->author_name, ev->text, ev->msg_id,
               0);
        break;
    case PF_EV_POSTED:
        record(u, ev->room, ev->thread, u->name, ev->text, ev->msg_id, 1);
        break;
    case PF_EV_DELETE:
        for (size_t i = 0; i < u->n; i++)
            if (u->msgs[i].id[0] && strcmp(u->msgs[i].id, ev->ref_id) == 0)
                u->msgs[i].deleted = 1;
        break;
    case PF_EV_JOIN: {
        char *k = pf_xasprintf("%s\x01%s", ev->room, ev->author_name);
        u->members =
            pf_xrealloc(u->members, (u->n_members + 1) * sizeof(*u->members));
        u->members[u->n_members++] = k;
        break;
    }
    default: break;
    }
}

int
tc_world_init(struct tc_world *w, const char *url)
{
    char err[256];
    memset(w, 0, sizeof(*w));
    /* the test users' own connection lines are noise; PF_TEST_VERBOSE=1
       shows them */
    pf_log_set_level(getenv("PF_TEST_VERBOSE") ? PF_LOG_DEBUG : PF_LOG_ERR);
    snprintf(w->url, sizeof(w->url), "%s", url);
    return pf_loop_init(&w->loop, err, sizeof(err));
}

void
tc_world_free(struct tc_world *w)
{
    for (size_t i = 0; i < w->n_users; i++) {
        struct tc_user *u = w->users[i];
        u->c->ops->stop(u->c);
    }
    tc_pump(w, 200);
    lws_sul_cancel(&w->wake);
    for (size_t i = 0; i < w->n_users; i++) {
        struct tc_user *u = w->users[i];
        u->c->ops->destroy(u->c);
        for (size_t k = 0; k < u->n; k++) {
            free(u->msgs[k].room);
            free(u->msgs[k].author);
            free(u->msgs[k].text);
            free(u->msgs[k].id);
            free(u->msgs[k].thread);
        }
        free(u->msgs);
        for (size_t k = 0; k < u->n_members; k++)
            free(u->members[k]);
        free(u->members);
        for (size_t k = 0; k < u->n_frames; k++)
            free(u->frames[k]);
        free(u->frames);
        free(u->name);
        free(u->id);
        free(u);
    }
    pf_loop_release(&w->loop);
}

struct tc_user *
tc_user_new(struct tc_world *w, const char *name, const char *jid,
            const char *password, const char *const *rooms)
{
    struct tc_user *u = pf_xcalloc(1, sizeof(*u));
    struct pf_xmpp_opts o;
    char err[256];
    u->w = w;
    u->name = pf_xstrdup(name);
    u->id = pf_xstrdup(jid);
    if (tc_is_slack(w->url)) {
        /* Slack: jid is the user id, password the user token "xoxp-X",
           whose own app's token is "xapp-X" */
        struct pf_slack_opts so;
        char *app = pf_xasprintf("xapp-%s", strncmp(password, "xoxp-", 5) == 0
                                                ? password + 5
                                                : password);
        memset(&so, 0, sizeof(so));
        so.api_url = w->url;
        so.bot_token = password;
        so.app_token = app;
        so.reconnect_min_ms = 100;
        so.reconnect_max_ms = 400;
        u->c = pf_slack_new(w->loop.ctx, &so, on_event, u, err, sizeof(err));
        free(app);
        goto made;
    }
    if (strncmp(w->url, "http", 4) == 0) {
        /* Mattermost: jid is the user id, password the token */
        struct pf_mattermost_opts mo;
        memset(&mo, 0, sizeof(mo));
        mo.url = w->url;
        mo.token = password;
        mo.reconnect_min_ms = 100;
        mo.reconnect_max_ms = 400;
        u->c =
            pf_mattermost_new(w->loop.ctx, &mo, on_event, u, err, sizeof(err));
        goto made;
    }
    memset(&o, 0, sizeof(o));
    o.url = w->url;
    o.jid = jid;
    o.password = password;
    o.resource = "test";
    o.nick = name;
    o.reconnect_min_ms = 100;
    o.reconnect_max_ms = 400;
    o.configure_rooms = 1;
    u->c = pf_xmpp_new(w->loop.ctx, &o, on_event, u, err, sizeof(err));
    if (u->c)
        pf_xmpp_tap(u->c, on_frame, u);
made:
    if (!u->c) {
        fprintf(stderr, "tc_user_new: %s\n", err);
        abort();
    }
    for (size_t i = 0; rooms && rooms[i]; i++)
        u->c->ops->join(u->c, rooms[i]);
    u->c->ops->start(u->c);
    w->users[w->n_users++] = u;
    return u;
}

void
tc_pump(struct tc_world *w, int ms)
{
    int64_t until = pf_now_ns() + (int64_t)ms * 1000000;
    while (pf_now_ns() < until) {
        lws_sul_schedule(w->loop.ctx, 0, &w->wake, wake_cb, 20 * 1000);
        pf_loop_once(&w->loop, 20);
    }
}

static int
all_ready(struct tc_world *w)
{
    for (size_t i = 0; i < w->n_users; i++)
        if (!w->users[i]->ready)
            return 0;
    return 1;
}

int
tc_wait_ready(struct tc_world *w, int timeout_ms)
{
    int64_t until = pf_now_ns() + (int64_t)timeout_ms * 1000000;
    while (!all_ready(w)) {
        if (pf_now_ns() > until)
            return -1;
        tc_pump(w, 20);
    }
    return 0;
}

int
tc_wait_member(struct tc_user *u, const char *room, const char *nick,
               int timeout_ms)
{
    int64_t until = pf_now_ns() + (int64_t)timeout_ms * 1000000;
    char *k = pf_xasprintf("%s\x01%s", room, nick);
    for (;;) {
        for (size_t i = 0; i < u->n_members; i++) {
            if (strcmp(u->members[i], k) == 0) {
                free(k);
                return 0;
            }
        }
        if (pf_now_ns() > until) {
            free(k);
            return -1;
        }
        tc_pump(u->w, 20);
    }
}

void
tc_say(struct tc_user *u, const char *room, const char *text)
{
    tc_say_in(u, room, "", text);
}

void
tc_say_in(struct tc_user *u, const char *room, const char *thread,
          const char *text)
{
    char *key =
        pf_xasprintf("t-%s-%u-%lld", u->name, ++u->seq, (long long)pf_now_ns());
    u->c->ops->post(u->c, room, thread, text, key);
    free(key);
}

void
tc_dm(struct tc_user *u, const char *to_id, const char *text)
{
    u->c->ops->direct(u->c, to_id, text);
}

void
tc_react(struct tc_user *u, const char *room, const char *msg_id,
         const char *emoji)
{
    u->c->ops->react(u->c, room, msg_id, emoji);
}

void
tc_delete(struct tc_user *u, const char *room, const char *msg_id)
{
    u->c->ops->del(u->c, room, msg_id);
}

const struct tc_msg *
tc_own(struct tc_user *u, const char *room, const char *needle)
{
    for (size_t i = u->n; i-- > 0;) {
        const struct tc_msg *m = &u->msgs[i];
        if (m->own && m->room && strcmp(m->room, room) == 0 &&
            strstr(m->text, needle))
            return m;
    }
    return NULL;
}

int
tc_wait_deleted(struct tc_user *u, const char *msg_id, int timeout_ms)
{
    int64_t until = pf_now_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        for (size_t i = 0; i < u->n; i++)
            if (u->msgs[i].deleted && strcmp(u->msgs[i].id, msg_id) == 0)
                return 0;
        if (pf_now_ns() > until)
            return -1;
        tc_pump(u->w, 10);
    }
}

static int
room_matches(const struct tc_msg *m, const char *room)
{
    if (!room)
        return m->room == NULL;
    return m->room && strcmp(m->room, room) == 0;
}

const struct tc_msg *
tc_wait_msg(struct tc_user *u, const char *room, const char *needle,
            size_t *from, int timeout_ms)
{
    int64_t until = pf_now_ns() + (int64_t)timeout_ms * 1000000;
    size_t i = from ? *from : 0;
    for (;;) {
        for (; i < u->n; i++) {
            const struct tc_msg *m = &u->msgs[i];
            if (!m->own && room_matches(m, room) && strstr(m->text, needle)) {
                if (from)
                    *from = i + 1;
                return m;
            }
        }
        if (pf_now_ns() > until)
            return NULL;
        tc_pump(u->w, 10);
    }
}

size_t
tc_count(struct tc_user *u, const char *room, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < u->n; i++)
        if (!u->msgs[i].own && room_matches(&u->msgs[i], room) &&
            strstr(u->msgs[i].text, needle))
            n++;
    return n;
}

/* ---- the cutting proxy ---- */

#define PROXY_PAIRS 32

static volatile sig_atomic_t proxy_cut;

static void
proxy_on_usr1(int sig)
{
    (void)sig;
    proxy_cut = 1;
}

static void
proxy_loop(int lfd, int to_port)
{
    int fd[PROXY_PAIRS][2];
    size_t n = 0;
    static char buf[65536];
    for (;;) {
        if (proxy_cut) {
            proxy_cut = 0;
            for (size_t i = 0; i < n; i++)
                close(fd[i][0]), close(fd[i][1]);
            n = 0;
        }
        struct pollfd p[1 + 2 * PROXY_PAIRS];
        p[0].fd = lfd;
        p[0].events = POLLIN;
        for (size_t i = 0; i < n; i++)
            for (int k = 0; k < 2; k++) {
                p[1 + 2 * i + k].fd = fd[i][k];
                p[1 + 2 * i + k].events = POLLIN;
            }
        if (poll(p, 1 + 2 * n, -1) < 0) {
            if (errno == EINTR)
                continue;
            _exit(1);
        }
        if (p[0].revents & POLLIN) {
            int c = accept(lfd, NULL, NULL);
            struct sockaddr_in a;
            memset(&a, 0, sizeof(a));
            a.sin_family = AF_INET;
            a.sin_port = htons((uint16_t)to_port);
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            int s = c < 0 ? -1 : socket(AF_INET, SOCK_STREAM, 0);
            if (s >= 0 && n < PROXY_PAIRS &&
                connect(s, (struct sockaddr *)&a, sizeof(a)) == 0) {
                fd[n][0] = c;
                fd[n][1] = s;
                n++;
            } else {
                if (c >= 0)
                    close(c);
                if (s >= 0)
                    close(s);
            }
            continue; /* the pairs moved */
        }
        for (size_t i = 0; i < n; i++) {
            for (int k = 0; k < 2; k++) {
                short ev = p[1 + 2 * i + k].revents;
                if (!ev)
                    continue;
                ssize_t got = read(fd[i][k], buf, sizeof(buf));
                ssize_t off = 0;
                while (got > 0 && off < got) {
                    ssize_t w =
                        write(fd[i][!k], buf + off, (size_t)(got - off));
                    if (w <= 0)
                        break;
                    off += w;
                }
                if (got <= 0 || off < got) {
                    close(fd[i][0]);
                    close(fd[i][1]);
                    fd[i][0] = fd[n - 1][0];
                    fd[i][1] = fd[n - 1][1];
                    n--;
                    goto next; /* the pairs moved */
                }
            }
        }
    next:;
    }
}

pid_t
tc_proxy_start(int to_port, int *port)
{
    int pfd[2];
    if (pipe(pfd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        close(pfd[0]);
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = proxy_on_usr1; /* no SA_RESTART: poll wakes up */
        sigaction(SIGUSR1, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        int lfd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a;
        socklen_t al = sizeof(a);
        memset(&a, 0, sizeof(a));
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int p = -1;
        if (lfd >= 0 && bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
            listen(lfd, 16) == 0 &&
            getsockname(lfd, (struct sockaddr *)&a, &al) == 0)
            p = ntohs(a.sin_port);
        if (write(pfd[1], &p, sizeof(p)) != sizeof(p) || p < 0)
            _exit(1);
        close(pfd[1]);
        proxy_loop(lfd, to_port);
        _exit(0);
    }
    close(pfd[1]);
    int p = -1;
    if (read(pfd[0], &p, sizeof(p)) != sizeof(p) || p <= 0) {
        close(pfd[0]);
        tc_proxy_stop(pid);
        return -1;
    }
    close(pfd[0]);
    *port = p;
    return pid;
}

void
tc_proxy_stop(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

const char *
tc_wait_frame(struct tc_user *u, const char *needle, int timeout_ms)
{
    int64_t until = pf_now_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        for (size_t i = 0; i < u->n_frames; i++)
            if (strstr(u->frames[i], needle))
                return u->frames[i];
        if (pf_now_ns() > until)
            return NULL;
        tc_pump(u->w, 10);
    }
}

int
tc_iq(struct tc_user *u, const char *id, const char *iq, const char **answer,
      int timeout_ms)
{
    char *want = pf_xasprintf("id='%s'", id);
    size_t from = u->n_frames;
    int rc = -1;
    if (answer)
        *answer = NULL;
    if (pf_xmpp_send_raw(u->c, iq) != 0)
        goto out;
    int64_t until = pf_now_ns() + (int64_t)timeout_ms * 1000000;
    while (pf_now_ns() < until) {
        for (size_t i = from; i < u->n_frames; i++) {
            if (!strstr(u->frames[i], want))
                continue;
            if (answer)
                *answer = u->frames[i];
            rc = strstr(u->frames[i], "type='result'") ? 0 : -1;
            goto out;
        }
        tc_pump(u->w, 10);
    }
out:
    free(want);
    return rc;
}

int
tc_affiliate(struct tc_user *u, const char *room, const char *jid,
             const char *affiliation)
{
    char id[32];
    snprintf(id, sizeof(id), "tc-aff-%u", ++u->seq);
    char *iq = pf_xasprintf(
        "<iq xmlns='jabber:client' type='set' id='%s' to='%s'><query "
        "xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='%s' "
        "jid='%s'/></query></iq>",
        id, room, affiliation, jid);
    int rc = tc_iq(u, id, iq, NULL, 10000);
    free(iq);
    return rc;
}

int
tc_state_dir(const char *dir)
{
    char err[256];
    char *state = pf_xasprintf("%s/state", dir);
    char *key = pf_xasprintf("%s/journal.key", state);
    int rc = mkdir(state, 0700) != 0 || pf_key_create(key, err, sizeof(err));
    if (rc)
        fprintf(stderr, "tc_state_dir: %s: %s\n", state, err);
    free(key);
    free(state);
    return rc ? -1 : 0;
}

int
tc_bot_start(struct tc_bot *b, const char *build, const char *config,
             const char *log_path)
{
    memset(b, 0, sizeof(*b));
    snprintf(b->log, sizeof(b->log), "%s", log_path);
    b->pid = fork();
    if (b->pid < 0)
        return -1;
    if (b->pid == 0) {
        char exe[512];
        /* never outlive the test, even when it is killed */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        FILE *f = freopen(log_path, "w", stderr);
        (void)f;
        snprintf(exe, sizeof(exe), "%s/pokerface", build);
        execl(exe, "pokerface", "run", "-c", config, "-v", (char *)NULL);
        _exit(127);
    }
    return 0;
}

int
tc_bot_stop(struct tc_bot *b)
{
    int status = 0;
    if (b->pid <= 0)
        return -1;
    kill(b->pid, SIGTERM);
    waitpid(b->pid, &status, 0);
    b->pid = 0;
    return status;
}

int
tc_bot_logged(const struct tc_bot *b, const char *needle)
{
    struct pf_buf buf = PF_BUF_INIT;
    int found = 0;
    if (pf_read_file(b->log, 64u << 20, &buf) == 0)
        found = strstr(buf.data, needle) != NULL;
    pf_buf_release(&buf);
    return found;
}

void
tc_mm_id(char out[27], const char *name)
{
    size_t n = strlen(name) < 26 ? strlen(name) : 26;
    memcpy(out, name, n);
    memset(out + n, '0', 26 - n);
    out[26] = '\0';
}

pid_t
tc_mmemu_start(const char *build, const char *dir, json_t *world, char *url,
               size_t urllen)
{
    char *wpath = pf_xasprintf("%s/world.json", dir);
    char *ppath = pf_xasprintf("%s/emu.port", dir);
    char *lpath = pf_xasprintf("%s/emu.log", dir);
    char *emu = pf_xasprintf("%s/tests/mmemu", build);
    pid_t pid = -1;
    struct pf_buf b = PF_BUF_INIT;
    if (json_dump_file(world, wpath, JSON_INDENT(1)) != 0)
        goto out;
    pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execl(emu, emu, wpath, ppath, lpath, (char *)NULL);
        _exit(127);
    }
    if (pid < 0)
        goto out;
    for (int i = 0; i < 250 && pf_read_file(ppath, 64, &b) != 0; i++) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (b.len == 0) {
        tc_mmemu_stop(pid);
        pid = -1;
        goto out;
    }
    snprintf(url, urllen, "http://127.0.0.1:%d", atoi(b.data));
out:
    pf_buf_release(&b);
    free(wpath);
    free(ppath);
    free(lpath);
    free(emu);
    return pid;
}

int
tc_is_slack(const char *url)
{
    size_t n = strlen(url);
    return strncmp(url, "http", 4) == 0 && n > 4 &&
           strcmp(url + n - 4, "/api") == 0;
}

int
tc_emu_control(const char *url, const char *what, const char *json,
               char **answer)
{
    const char *hp = strstr(url, "://");
    int port =
        hp ? atoi(strchr(hp + 3, ':') ? strchr(hp + 3, ':') + 1 : "") : 0;
    if (port <= 0)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char *req = pf_xasprintf("POST /emu/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Content-Type: application/json\r\n"
                             "Content-Length: %zu\r\nConnection: close\r\n"
                             "\r\n%s",
                             what, strlen(json), json);
    size_t len = strlen(req), off = 0;
    while (off < len) {
        ssize_t w = write(fd, req + off, len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    free(req);
    struct pf_buf in = PF_BUF_INIT;
    char buf[4096];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r <= 0)
            break;
        pf_buf_add(&in, buf, (size_t)r);
    }
    pf_buf_addch(&in, '\0');
    close(fd);
    const char *body = strstr(in.data, "\r\n\r\n");
    body = body ? body + 4 : "";
    int rc =
        strstr(body, "\"ok\":true") || strstr(body, "\"ok\": true") ? 0 : -1;
    if (answer)
        *answer = pf_xstrdup(body);
    pf_buf_release(&in);
    return rc;
}

pid_t
tc_slackemu_start(const char *build, const char *dir, json_t *world, char *url,
                  size_t urllen)
{
    char *wpath = pf_xasprintf("%s/world.json", dir);
    char *ppath = pf_xasprintf("%s/emu.port", dir);
    char *lpath = pf_xasprintf("%s/emu.log", dir);
    char *emu = pf_xasprintf("%s/tests/slackemu", build);
    pid_t pid = -1;
    struct pf_buf b = PF_BUF_INIT;
    if (json_dump_file(world, wpath, JSON_INDENT(1)) != 0)
        goto out;
    pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execl(emu, emu, wpath, ppath, lpath, (char *)NULL);
        _exit(127);
    }
    if (pid < 0)
        goto out;
    for (int i = 0; i < 250 && (pf_read_file(ppath, 64, &b) != 0 || !b.len);
         i++) {
        pf_buf_release(&b);
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (b.len == 0) {
        tc_mmemu_stop(pid);
        pid = -1;
        goto out;
    }
    snprintf(url, urllen, "http://127.0.0.1:%d/api", atoi(b.data));
out:
    pf_buf_release(&b);
    free(wpath);
    free(ppath);
    free(lpath);
    free(emu);
    return pid;
}

void
tc_mmemu_stop(pid_t pid)
{
    int st;
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
}
