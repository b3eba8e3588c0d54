/*
 * control.c - see control.h.
 *
 * The listening socket and each connection are adopted into the bot's
 * one libwebsockets loop as raw descriptors, so requests are handled on
 * the loop thread like chat events, and a decision taken here cannot race
 * one taken in the chat.
 */
#define _GNU_SOURCE /* struct ucred */
#include "core/control.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "core/relay.h"

#define MAX_REQUEST (1u << 20) /* an edit's text fits with room to spare */

enum { T_LISTEN = 1, T_CONN };

struct pf_control {
    int tag; /* T_LISTEN */
    int fd;
    char *path;
    struct lws_context *ctx;
    struct pf_relay *relay;
    struct lws *wsi;
};

struct conn {
    int tag; /* T_CONN */
    int fd;
    struct pf_control *srv;
    char user[64];
    struct pf_buf in, out;
    size_t out_off;
    int closing; /* close once out is written */
};

static void
answer(struct conn *c, json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s)
        s = pf_xstrdup("{\"ok\": false, \"error\": \"out of memory\"}");
    pf_buf_addstr(&c->out, s);
    pf_buf_addch(&c->out, '\n');
    free(s);
}

json_t *
pf_control_error(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static void
request(struct conn *c, const char *line, size_t len)
{
    json_error_t je;
    json_t *req = json_loadb(line, len, 0, &je);
    if (!json_is_object(req)) {
        answer(c, pf_control_error("not a JSON object: %s", je.text));
        c->closing = 1;
    } else {
        answer(c, pf_relay_control(c->srv->relay, req, c->user));
    }
    json_decref(req);
}

/* who is at the other end; 0 when it may use the queue */
static int
check_peer(struct conn *c)
{
    struct ucred cred;
    socklen_t n = sizeof(cred);
    if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &n) != 0) {
        answer(c, pf_control_error("cannot tell who you are: %s",
                                   strerror(errno)));
        return -1;
    }
    struct passwd *pw = getpwuid(cred.uid);
    snprintf(c->user, sizeof(c->user), "%s", pw ? pw->pw_name : "unknown");
    if (cred.uid != geteuid()) {
        pf_warn("control: refused user %s (uid %u): not the bot's owner",
                c->user, (unsigned)cred.uid);
        answer(c, pf_control_error(
                      "refused: you are %s (uid %u); only the user "
                      "pokerface runs as (uid %u) may use its queue",
                      c->user, (unsigned)cred.uid, (unsigned)geteuid()));
        return -1;
    }
    return 0;
}

static void
accept_one(struct pf_control *s)
{
    int fd = accept(s->fd, NULL, NULL);
    if (fd < 0)
        return;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    struct conn *c = pf_xcalloc(1, sizeof(*c));
    c->tag = T_CONN;
    c->fd = fd;
    c->srv = s;
    pf_buf_init(&c->in);
    pf_buf_init(&c->out);
    if (check_peer(c) != 0)
        c->closing = 1;
    lws_sock_file_fd_type u;
    u.filefd = fd;
    struct lws *wsi = lws_adopt_descriptor_vhost(
        lws_get_vhost_by_name(s->ctx, "default"), LWS_ADOPT_RAW_FILE_DESC, u,
        "pf-control", NULL);
    if (!wsi) {
        pf_warn("control: cannot watch a connection");
        close(fd);
        pf_buf_release(&c->in);
        pf_buf_release(&c->out);
        free(c);
        return;
    }
    lws_set_wsi_user(wsi, c);
    if (c->out.len)
        lws_callback_on_writable(wsi);
}

static int
conn_read(struct lws *wsi, struct conn *c)
{
    char buf[16384];
    ssize_t n = read(c->fd, buf, sizeof(buf));
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    if (n == 0)
        return c->out.len > c->out_off ? (c->closing = 1, 0) : -1;
    if (c->closing)
        return 0;
    pf_buf_add(&c->in, buf, (size_t)n);
    size_t start = 0;
    for (size_t i = 0; i < c->in.len; i++) {
        if (c->in.data[i] != '\n')
            continue;
        request(c, c->in.data + start, i - start);
        start = i + 1;
    }
    if (start) {
        memmove(c->in.data, c->in.data + start, c->in.len - start);
        c->in.len -= start;
    }
    if (c->in.len > MAX_REQUEST) {
        answer(c,
               pf_control_error("a request longer than %u bytes", MAX_REQUEST));
        c->closing = 1;
    }
    if (c->out.len > c->out_off)
        lws_callback_on_writable(wsi);
    return 0;
}

static int
conn_write(struct conn *c)
{
    while (c->out_off < c->out.len) {
        ssize_t n =
            write(c->fd, c->out.data + c->out_off, c->out.len - c->out_off);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -1;
        c->out_off += (size_t)n;
    }
    c->out.len = c->out_off = 0;
    return c->closing ? -1 : 0;
}

int
pf_control_lws_callback(struct lws *wsi, enum lws_callback_reasons reason,
                        void *user, void *in, size_t len)
{
    int *tag = lws_wsi_user(wsi);
    (void)user;
    (void)in;
    (void)len;
    if (!tag)
        return 0;
    if (*tag == T_LISTEN) {
        struct pf_control *s = (struct pf_control *)tag;
        if (reason == LWS_CALLBACK_RAW_RX_FILE)
            accept_one(s);
        else if (reason == LWS_CALLBACK_RAW_CLOSE_FILE)
            s->wsi = NULL;
        return 0;
    }
    struct conn *c = (struct conn *)tag;
    switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE: {
        int rc = conn_read(wsi, c);
        if (rc == 0 && c->out.len > c->out_off)
            rc = conn_write(c);
        if (rc == 0 && c->out.len > c->out_off)
            lws_callback_on_writable(wsi);
        return rc;
    }
    case LWS_CALLBACK_RAW_WRITEABLE_FILE: {
        int rc = conn_write(c);
        if (rc == 0 && c->out.len > c->out_off)
            lws_callback_on_writable(wsi);
        return rc;
    }
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        lws_set_wsi_user(wsi, NULL);
        pf_buf_release(&c->in);
        pf_buf_release(&c->out);
        free(c);
        return 0;
    default: return 0;
    }
}

/* is something listening at path? */
static int
live_socket(const char *path)
{
    struct sockaddr_un a;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    int live = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (fd >= 0)
        close(fd);
    return live;
}

int
pf_control_start(struct pf_control **out, struct lws_context *ctx,
                 const char *path, struct pf_relay *relay, char *err,
                 size_t errlen)
{
    struct sockaddr_un a;
    *out = NULL;
    if (strlen(path) >= sizeof(a.sun_path)) {
        pf_snprintf(err, errlen,
                    "control socket '%s': the path is too long for a Unix "
                    "socket (%zu bytes at most); use a shorter state_dir",
                    path, sizeof(a.sun_path) - 1);
        return PF_EINVAL;
    }
    if (live_socket(path)) {
        pf_snprintf(err, errlen,
                    "control socket '%s' is in use: another pokerface runs "
                    "with this state_dir",
                    path);
        return PF_EINVAL;
    }
    unlink(path); /* stale, from a run that did not stop cleanly */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    memcpy(a.sun_path, path, strlen(path) + 1);
    /* never, not even for an instant, more than 0600 */
    mode_t old = umask(0177);
    int bad = fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0;
    umask(old);
    if (bad || chmod(path, 0600) != 0 || listen(fd, 16) != 0) {
        pf_snprintf(err, errlen, "control socket '%s': %s", path,
                    strerror(errno));
        if (fd >= 0)
            close(fd);
        return PF_EINVAL;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    struct pf_control *s = pf_xcalloc(1, sizeof(*s));
    s->tag = T_LISTEN;
    s->fd = fd;
    s->path = pf_xstrdup(path);
    s->ctx = ctx;
    s->relay = relay;
    lws_sock_file_fd_type u;
    u.filefd = fd;
    s->wsi = lws_adopt_descriptor_vhost(lws_get_vhost_by_name(ctx, "default"),
                                        LWS_ADOPT_RAW_FILE_DESC, u,
                                        "pf-control", NULL);
    if (!s->wsi) {
        pf_snprintf(err, errlen, "control socket '%s': cannot watch it", path);
        close(fd);
        unlink(path);
        free(s->path);
        free(s);
        return PF_EINVAL;
    }
    lws_set_wsi_user(s->wsi, s);
    *out = s;
    return PF_OK;
}

void
pf_control_stop(struct pf_control *s)
{
    if (!s)
        return;
    if (s->wsi) {
        lws_set_wsi_user(s->wsi, NULL);
        lws_set_timeout(s->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_SYNC);
    }
    unlink(s->path);
    free(s->path);
    free(s);
}

/* ---- the client ---- */

char *
pf_control_call(const char *path, const char *request, char *err, size_t errlen)
{
    struct sockaddr_un a;
    struct pf_buf b = PF_BUF_INIT;
    if (strlen(path) >= sizeof(a.sun_path)) {
        pf_snprintf(err, errlen, "'%s': the path is too long", path);
        return NULL;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    memcpy(a.sun_path, path, strlen(path) + 1);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        int e = errno;
        if (e == ENOENT || e == ECONNREFUSED)
            pf_snprintf(err, errlen,
                        "pokerface is not running with this configuration "
                        "(no one listens at %s)",
                        path);
        else if (e == EACCES || e == EPERM)
            pf_snprintf(err, errlen,
                        "%s: permission denied: only the user pokerface "
                        "runs as may use its queue",
                        path);
        else
            pf_snprintf(err, errlen, "%s: %s", path, strerror(e));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    /* the bot checks who connects; the client checks who listens: a
       socket someone else put there gets neither the request (it may
       carry a decision or an edit's text) nor any trust in its answer */
    struct ucred cred;
    socklen_t cn = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cn) != 0 ||
        cred.uid != geteuid()) {
        char who[96] = "someone who cannot be told";
        if (cn == sizeof(cred)) {
            struct passwd *pw = getpwuid(cred.uid);
            snprintf(who, sizeof(who), "%s (uid %u)",
                     pw ? pw->pw_name : "another user", (unsigned)cred.uid);
        }
        pf_snprintf(err, errlen,
                    "%s is not pokerface's: it is served by %s, not by you "
                    "(uid %u); refusing to talk to it (remove it and "
                    "restart pokerface)",
                    path, who, (unsigned)geteuid());
        close(fd);
        return NULL;
    }
    char *line = pf_xasprintf("%s\n", request);
    size_t n = strlen(line), off = 0;
    while (off < n) {
        ssize_t w = send(fd, line + off, n - off, MSG_NOSIGNAL);
        if (w < 0 && errno != EINTR)
            break; /* a refusal closes early: its answer is still read */
        off += w > 0 ? (size_t)w : 0;
    }
    free(line);
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 10000) <= 0) {
            pf_snprintf(err, errlen, "%s: no answer in 10 s", path);
            break;
        }
        char buf[16384];
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            pf_snprintf(err, errlen, "%s: the bot closed the connection", path);
            break;
        }
        pf_buf_add(&b, buf, (size_t)r);
        char *nl = memchr(b.data, '\n', b.len);
        if (nl) {
            *nl = '\0';
            close(fd);
            return pf_buf_detach(&b, NULL);
        }
    }
    close(fd);
    pf_buf_release(&b);
    return NULL;
}
