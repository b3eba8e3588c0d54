/*
 * ws.c - see ws.h.
 *
 * libwebsockets 4.1 details this relies on (see the reference notes):
 *  - a connect can fail synchronously (NULL, no callback) or later
 *    (CLIENT_CONNECTION_ERROR); both schedule the retry;
 *  - the saved struct lws * is cleared here on every close, lws does not;
 *  - one lws_write() per WRITEABLE callback, with LWS_PRE bytes of
 *    headroom in front of each message;
 *  - messages arrive in pieces; a message is whole when the final fragment
 *    has no payload left;
 *  - the reconnect timer is cancelled before the object is freed, and a
 *    stopping connection never re-arms it.
 */
#include "connectors/ws.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/log.h"
#include "base/util.h"
#include "connectors/connfail.h"
#include "pokerface/plugin.h"

struct outmsg {
    struct outmsg *next;
    size_t len;
    unsigned char data[]; /* LWS_PRE bytes of headroom, then the message */
};

struct pf_ws {
    struct lws_context *ctx;
    struct lws *wsi;
    char *url, *host, *path, *subprotocol, *name;
    char *next_path; /* pf_ws_set_path */
    int port, ssl, insecure, no_origin;
    size_t max_message;
    int rmin, rmax;
    unsigned attempt;
    lws_sorted_usec_list_t sul;
    lws_retry_bo_t retry;
    struct pf_buf rx;
    int rx_dropping;
    size_t rx_size; /* of a message being dropped: its whole size */
    struct outmsg *out_head, *out_tail;
    int open, closing, stopping;
    int watching; /* an attempt is under way (connfail.h) */
    struct pf_ws_ops ops;
    void *ud;
    unsigned seed;
};

static void connect_now(struct pf_ws *w);

static void
drop_queue(struct pf_ws *w)
{
    while (w->out_head) {
        struct outmsg *m = w->out_head;
        w->out_head = m->next;
        free(m);
    }
    w->out_tail = NULL;
}

static void
retry_cb(lws_sorted_usec_list_t *sul)
{
    struct pf_ws *w = lws_container_of(sul, struct pf_ws, sul);
    connect_now(w);
}

static void
schedule_retry(struct pf_ws *w)
{
    if (w->stopping)
        return;
    unsigned shift = w->attempt < 16 ? w->attempt : 16;
    long long delay = (long long)w->rmin << shift;
    if (delay > w->rmax)
        delay = w->rmax;
    /* +-20% jitter so that many bots do not reconnect in step */
    long long j = delay / 5;
    if (j > 0)
        delay += (long long)(rand_r(&w->seed) % (unsigned)(2 * j + 1)) - j;
    if (delay < 1)
        delay = 1;
    w->attempt++;
    pf_info("%s: reconnecting in %.1f s", w->name, (double)delay / 1000.0);
    lws_sul_schedule(w->ctx, 0, &w->sul, retry_cb, (lws_usec_t)delay * 1000);
}

/* the attempt is over (connected or not): lws's log goes back down */
static void
unwatch(struct pf_ws *w)
{
    if (w->watching) {
        w->watching = 0;
        pf_connfail_end();
    }
}

/* say why the attempt failed: in is lws's string, NULL when the connect
   call itself failed */
static void
connect_failed(struct pf_ws *w, struct lws *wsi, const char *in)
{
    char why[512];
    pf_connfail_reason(wsi, in, why, sizeof(why));
    unwatch(w);
    const char *kv[] = {"event", "connect_failed", "url", w->url, "reason", why,
                        NULL};
    pf_log_kv(PF_LOG_WARN, kv, "%s: cannot connect to %s: %s", w->name, w->url,
              why);
}

static void
connect_now(struct pf_ws *w)
{
    struct lws_client_connect_info i;
    if (w->stopping || w->wsi)
        return;
    memset(&i, 0, sizeof(i));
    i.context = w->ctx;
    i.address = w->host;
    i.port = w->port;
    i.path = w->next_path ? w->next_path : w->path;
    i.host = w->host;
    i.origin = w->no_origin ? NULL : w->host;
    if (w->ssl) {
        i.ssl_connection = LCCSCF_USE_SSL;
        if (w->insecure)
            i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
                                LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK;
    }
    i.alpn = "http/1.1";
    i.protocol = w->subprotocol;
    i.local_protocol_name = "pf-ws";
    i.pwsi = &w->wsi;
    i.retry_and_idle_policy = &w->retry;
    i.opaque_user_data = w;
    pf_connfail_begin();
    w->watching = 1;
    if (!lws_client_connect_via_info(&i)) {
        w->wsi = NULL;
        connect_failed(w, NULL, NULL);
        schedule_retry(w);
    }
}

struct pf_ws *
pf_ws_new(struct lws_context *ctx, const struct pf_ws_opts *o,
          const struct pf_ws_ops *ops, void *ud, char *err, size_t errlen)
{
    char *copy = pf_xstrdup(o->url);
    const char *prot, *host, *path;
    int port;
    if (lws_parse_uri(copy, &prot, &host, &port, &path) ||
        (strcmp(prot, "ws") != 0 && strcmp(prot, "wss") != 0) || !*host) {
        pf_snprintf(err, errlen, "'%s' is not a ws:// or wss:// URL", o->url);
        free(copy);
        return NULL;
    }
    struct pf_ws *w = pf_xcalloc(1, sizeof(*w));
    w->ctx = ctx;
    w->url = pf_xstrdup(o->url);
    w->ssl = strcmp(prot, "wss") == 0;
    w->host = pf_xstrdup(host);
    w->port = port;
    w->path = pf_xasprintf("/%s", path);
    free(copy);
    w->subprotocol = o->subprotocol ? pf_xstrdup(o->subprotocol) : NULL;
    w->name = pf_xstrdup(o->name ? o->name : "ws");
    w->max_message = o->max_message ? o->max_message : 256 * 1024;
    w->rmin = o->reconnect_min_ms > 0 ? o->reconnect_min_ms : 500;
    w->rmax = o->reconnect_max_ms > w->rmin ? o->reconnect_max_ms : w->rmin;
    w->insecure = o->insecure_tls;
    w->no_origin = o->no_origin;
    w->retry.secs_since_valid_ping = (uint16_t)(o->ping_s > 0 ? o->ping_s : 30);
    w->retry.secs_since_valid_hangup =
        (uint16_t)(w->retry.secs_since_valid_ping * 2);
    w->ops = *ops;
    w->ud = ud;
    w->seed = (unsigned)pf_now_us();
    pf_buf_init(&w->rx);
    return w;
}

void
pf_ws_set_path(struct pf_ws *w, const char *path_and_query)
{
    free(w->next_path);
    w->next_path = path_and_query ? pf_xstrdup(path_and_query) : NULL;
}

void
pf_ws_start(struct pf_ws *w)
{
    w->stopping = 0;
    w->attempt = 0;
    connect_now(w);
}

int
pf_ws_is_open(const struct pf_ws *w)
{
    return w->open && !w->closing;
}

int
pf_ws_send(struct pf_ws *w, const char *data, size_t len)
{
    if (!pf_ws_is_open(w) || !w->wsi)
        return PF_ENOTFOUND;
    struct outmsg *m = pf_xmalloc(sizeof(*m) + LWS_PRE + len);
    m->next = NULL;
    m->len = len;
    memcpy(m->data + LWS_PRE, data, len);
    if (w->out_tail)
        w->out_tail->next = m;
    else
        w->out_head = m;
    w->out_tail = m;
    lws_callback_on_writable(w->wsi);
    return PF_OK;
}

void
pf_ws_drop(struct pf_ws *w, const char *why)
{
    if (!w->wsi || w->closing)
        return;
    pf_warn("%s: dropping the connection: %s", w->name, why);
    w->closing = 1;
    lws_callback_on_writable(w->wsi);
}

void
pf_ws_stop(struct pf_ws *w)
{
    w->stopping = 1;
    lws_sul_cancel(&w->sul);
    if (w->wsi && !w->closing) {
        w->closing = 1;
        lws_callback_on_writable(w->wsi);
    }
}

int
pf_ws_stopped(const struct pf_ws *w)
{
    return w->stopping && !w->wsi;
}

void
pf_ws_free(struct pf_ws *w)
{
    if (!w)
        return;
    w->stopping = 1;
    lws_sul_cancel(&w->sul);
    unwatch(w);
    if (w->wsi)
        lws_set_opaque_user_data(w->wsi, NULL);
    drop_queue(w);
    pf_buf_release(&w->rx);
    free(w->url);
    free(w->host);
    free(w->path);
    free(w->next_path);
    free(w->subprotocol);
    free(w->name);
    free(w);
}

static void
gone(struct pf_ws *w, const char *why)
{
    int was_open = w->open;
    unwatch(w);
    w->wsi = NULL;
    w->open = 0;
    w->closing = 0;
    w->rx_dropping = 0;
    pf_buf_reset(&w->rx);
    drop_queue(w);
    if (was_open || !w->stopping)
        w->ops.closed(w->ud, why);
    schedule_retry(w);
}

/*
 * Acknowledge what arrived at once. Linux delays the ACK of received data
 * (up to 40 ms) hoping to piggyback it on a reply; a server with Nagle on
 * then holds its next message to the bot until that ACK comes, so a
 * customer's or an agent's message can wait for a timer. TCP_QUICKACK is
 * not sticky (the kernel may fall back to delayed ACKs), so it is set again
 * after every read. Where there is no such option, nothing is done.
 */
static void
quickack(struct lws *wsi)
{
#ifdef TCP_QUICKACK
    lws_sockfd_type fd = lws_get_socket_fd(wsi);
    int one = 1;
    if (fd >= 0)
        (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#else
    (void)wsi;
#endif
}

int
pf_ws_lws_callback(struct lws *wsi, enum lws_callback_reasons reason,
                   void *user, void *in, size_t len)
{
    struct pf_ws *w = lws_get_opaque_user_data(wsi);
    (void)user;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (!w)
            return -1;
        w->open = 1;
        w->attempt = 0;
        unwatch(w);
        pf_info("%s: connected to %s", w->name, w->url);
        w->ops.open(w->ud);
        break;

    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (!w)
            return -1;
        quickack(wsi);
        if (lws_frame_is_binary(wsi)) {
            pf_warn("%s: binary frame ignored", w->name);
            break;
        }
        if (!w->rx_dropping && w->rx.len + len > w->max_message) {
            pf_warn("%s: message over %zu bytes dropped", w->name,
                    w->max_message);
            w->rx_dropping = 1;
            w->rx_size = w->rx.len;
            if (w->rx.len > PF_WS_HEAD)
                w->rx.len = PF_WS_HEAD; /* only its start is kept */
        }
        if (!w->rx_dropping) {
            pf_buf_add(&w->rx, in, len);
        } else {
            w->rx_size += len;
            if (w->rx.len < PF_WS_HEAD)
                pf_buf_add(&w->rx, in,
                           len < PF_WS_HEAD - w->rx.len
                               ? len
                               : PF_WS_HEAD - w->rx.len);
        }
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            if (!w->rx_dropping && w->rx.len)
                w->ops.message(w->ud, w->rx.data, w->rx.len);
            else if (w->rx_dropping && w->ops.too_big)
                w->ops.too_big(w->ud, w->rx.data, w->rx.len, w->rx_size);
            w->rx_dropping = 0;
            pf_buf_reset(&w->rx);
        }
        break;

    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        if (!w)
            return -1;
        /* what was queued goes out first (a final <close/>, say) */
        struct outmsg *m = w->out_head;
        if (m) {
            w->out_head = m->next;
            if (!w->out_head)
                w->out_tail = NULL;
            int n = lws_write(wsi, m->data + LWS_PRE, m->len, LWS_WRITE_TEXT);
            free(m);
            if (n < 0) {
                pf_warn("%s: write failed", w->name);
                return -1;
            }
            if (w->out_head || w->closing)
                lws_callback_on_writable(wsi);
            break;
        }
        if (w->closing) {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
            return -1;
        }
        break;
    }

    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (w && len >= 2) {
            const unsigned char *p = in;
            pf_info("%s: server closed the connection (code %u)", w->name,
                    (unsigned)(p[0] << 8 | p[1]));
        }
        break;

    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (!w)
            break;
        connect_failed(w, wsi, in);
        gone(w, "connection failed");
        break;

    case LWS_CALLBACK_CLIENT_CLOSED:
        if (!w)
            break;
        if (!w->stopping)
            pf_warn("%s: connection closed", w->name);
        gone(w, "closed");
        break;

    default: break;
    }
    return 0;
}
