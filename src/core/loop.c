/*
 * loop.c - see loop.h.
 *
 * lws_service() ignores its timeout since lws 3.2; a ripe timer runs
 * before poll() and signals interrupt poll(), so setting the stop flag from
 * a signal handler and cancelling the service wait is enough to get out.
 * lws log lines go through pokerface's log (errors as warnings; the rest
 * is lws-internal chatter and stays quiet).
 */
#include "core/loop.h"

#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "connectors/connfail.h"
#include "connectors/http.h"
#include "connectors/ws.h"
#include "core/control.h"
#include "core/web.h"
#include "pokerface/plugin.h"

/* the chat connections' callbacks, and after a write, pf_loop_on_wrote()'s */
static int
wrote(struct lws *wsi, int rc)
{
    struct pf_loop *l = lws_context_user(lws_get_context(wsi));
    if (l && l->wrote)
        l->wrote(l->wrote_ud);
    return rc;
}

static int
ws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
      size_t len)
{
    int rc = pf_ws_lws_callback(wsi, reason, user, in, len);
    return reason == LWS_CALLBACK_CLIENT_WRITEABLE ? wrote(wsi, rc) : rc;
}

static int
http_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
        size_t len)
{
    int rc = pf_http_lws_callback(wsi, reason, user, in, len);
    return reason == LWS_CALLBACK_CLIENT_HTTP_WRITEABLE ? wrote(wsi, rc) : rc;
}

static const struct lws_protocols protocols[] = {
    {"http-only", lws_callback_http_dummy, 0, 0, 0, NULL, 0},
    {"pf-ws", ws_cb, 0, 16384, 0, NULL, 0},
    {"pf-control", pf_control_lws_callback, 0, 0, 0, NULL, 0},
    {"pf-http", http_cb, 0, 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static struct pf_loop *signal_loop;
static volatile sig_atomic_t last_signal;

static void
lws_log_cb(int level, const char *line)
{
    char buf[512];
    size_t n = strlen(line);
    if (n >= sizeof(buf))
        n = sizeof(buf) - 1;
    memcpy(buf, line, n);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    /* the lines that say why a connection failed are read there; the
       rest of what lws says while a connection is made is chatter */
    pf_connfail_lws_line(level, buf);
    if (level & (LLL_ERR | LLL_WARN))
        pf_log(level == LLL_ERR ? PF_LOG_WARN : PF_LOG_DEBUG, "lws: %s", buf);
}

int
pf_loop_init(struct pf_loop *l, char *err, size_t errlen)
{
    struct lws_context_creation_info info;
    memset(l, 0, sizeof(*l));
    pf_connfail_init(LLL_ERR, lws_log_cb);
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    /* the chat connections, the control socket and its clients, and the
       web listener and its connections (web.h caps them) */
    info.fd_limit_per_thread = 1 + 64 + 1 + PF_WEB_MAX_CONN;
    info.gid = (gid_t)-1;
    info.uid = (uid_t)-1;
    info.user = l;
    l->ctx = lws_create_context(&info);
    if (!l->ctx) {
        pf_snprintf(err, errlen, "cannot create the libwebsockets context");
        return PF_ERR;
    }
    return PF_OK;
}

static void
on_signal(int sig)
{
    if (sig != SIGHUP)
        last_signal = sig;
    if (signal_loop) {
        if (sig == SIGHUP)
            signal_loop->reload = 1;
        else
            signal_loop->stop = 1;
        if (signal_loop->ctx)
            lws_cancel_service(signal_loop->ctx);
    }
}

void
pf_loop_catch_signals(struct pf_loop *l)
{
    struct sigaction sa;
    signal_loop = l;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

int
pf_loop_run(struct pf_loop *l)
{
    while (!l->stop && !l->reload)
        if (lws_service(l->ctx, 0) < 0)
            break;
    if (!l->stop && l->reload) {
        l->reload = 0;
        return SIGHUP;
    }
    return (int)last_signal;
}

void
pf_loop_once(struct pf_loop *l, int timeout_ms)
{
    lws_service(l->ctx, timeout_ms);
}

void
pf_loop_on_wrote(struct pf_loop *l, void (*fn)(void *ud), void *ud)
{
    l->wrote = fn;
    l->wrote_ud = ud;
}

void
pf_loop_stop(struct pf_loop *l)
{
    l->stop = 1;
    if (l->ctx)
        lws_cancel_service(l->ctx);
}

void
pf_loop_release(struct pf_loop *l)
{
    if (signal_loop == l)
        signal_loop = NULL;
    if (l->ctx)
        lws_context_destroy(l->ctx);
    l->ctx = NULL;
}
