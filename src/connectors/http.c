/*
 * http.c - see http.h.
 *
 * libwebsockets 4.1 client HTTP, as its minimal http-client examples use
 * it: headers are added in CLIENT_APPEND_HANDSHAKE_HEADER; a body is
 * announced with lws_client_http_body_pending() and written in
 * CLIENT_HTTP_WRITEABLE as one final write; the response body is pulled
 * with lws_http_client_read() from RECEIVE_CLIENT_HTTP and arrives in
 * RECEIVE_CLIENT_HTTP_READ. A request ends in COMPLETED_CLIENT_HTTP, or
 * in CLIENT_CONNECTION_ERROR / CLOSED_CLIENT_HTTP when it went wrong.
 */
#include "connectors/http.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/util.h"
#include "connectors/connfail.h"
#include "pokerface/plugin.h"

struct req {
    struct req *next;
    struct pf_http *h;
    struct lws *wsi;
    char *method, *path, *body;
    struct pf_buf rx;
    int status, done, too_big;
    int connecting, failed_early; /* inside lws_client_connect_via_info */
    char *early_error;            /* why it failed there */
    int watching;                 /* an attempt is under way (connfail.h) */
    long long retry_ms;
    pf_http_cb cb;
    void *ud;
};

struct pf_http {
    struct lws_context *ctx;
    char *host, *base_path, *name;
    int port, ssl;
    char *auth; /* sodium_malloc'd */
    size_t max_body;
    struct req *reqs;
};

long long
pf_http_retry_ms(const char *retry_after, const char *reset, long long now_s)
{
    const char *v = retry_after && *retry_after ? retry_after : reset;
    if (!v || !*v)
        return -1;
    char *end;
    double d = strtod(v, &end);
    if (end == v || d < 0)
        return -1;
    /* an epoch time (some servers) or seconds from now (Mattermost's
       throttled limiter, and Retry-After) */
    if (d > 1e9)
        d = d > (double)now_s ? d - (double)now_s : 0;
    if (d > 3600)
        d = 3600;
    return (long long)(d * 1000);
}

struct pf_http *
pf_http_new(struct lws_context *ctx, const char *base,
            const char *authorization, const char *name, size_t max_body,
            char *err, size_t errlen)
{
    char *copy = pf_xstrdup(base);
    const char *prot, *host, *path;
    int port;
    if (lws_parse_uri(copy, &prot, &host, &port, &path) ||
        (strcmp(prot, "http") != 0 && strcmp(prot, "https") != 0) || !*host) {
        pf_snprintf(err, errlen, "'%s' is not an http:// or https:// URL",
                    base);
        free(copy);
        return NULL;
    }
    struct pf_http *h = pf_xcalloc(1, sizeof(*h));
    h->ctx = ctx;
    h->ssl = strcmp(prot, "https") == 0;
    h->host = pf_xstrdup(host);
    h->port = port;
    /* lws_parse_uri drops the leading '/'; no trailing one either */
    size_t pl = strlen(path);
    while (pl && path[pl - 1] == '/')
        pl--;
    h->base_path = pl ? pf_xasprintf("/%.*s", (int)pl, path) : pf_xstrdup("");
    free(copy);
    h->name = pf_xstrdup(name ? name : "http");
    h->max_body = max_body ? max_body : 16 * 1024 * 1024;
    size_t al = authorization ? strlen(authorization) : 0;
    h->auth = sodium_malloc(al + 1);
    if (!h->auth)
        pf_die("out of memory");
    memcpy(h->auth, authorization ? authorization : "", al + 1);
    return h;
}

static void
req_free(struct req *q)
{
    if (q->watching)
        pf_connfail_end();
    free(q->early_error);
    free(q->method);
    free(q->path);
    free(q->body);
    pf_buf_release(&q->rx);
    free(q);
}

static void
unlink_req(struct pf_http *h, struct req *q)
{
    for (struct req **pp = &h->reqs; *pp; pp = &(*pp)->next)
        if (*pp == q) {
            *pp = q->next;
            return;
        }
}

/* deliver the answer once, then forget the request */
static void
finish(struct req *q, const char *error)
{
    if (q->done)
        return;
    if (q->connecting) {
        /* failed before the connect call returned: the caller reports it */
        q->failed_early = 1;
        free(q->early_error);
        q->early_error = error ? pf_xstrdup(error) : NULL;
        return;
    }
    q->done = 1;
    struct pf_http *h = q->h;
    if (q->wsi)
        lws_set_opaque_user_data(q->wsi, NULL);
    q->wsi = NULL;
    if (h)
        unlink_req(h, q);
    struct pf_http_resp r;
    memset(&r, 0, sizeof(r));
    r.status = error ? 0 : q->status;
    if (!error && q->too_big) {
        r.status = 0;
        error = "the response is too large";
    }
    pf_buf_add(&q->rx, "", 1);
    q->rx.len--;
    r.body = q->rx.data;
    r.len = q->rx.len;
    r.retry_ms = q->retry_ms;
    r.error = error;
    if (q->cb)
        q->cb(q->ud, &r);
    req_free(q);
}

int
pf_http_request(struct pf_http *h, const char *method, const char *path,
                const char *body, pf_http_cb cb, void *ud)
{
    struct req *q = pf_xcalloc(1, sizeof(*q));
    q->h = h;
    q->method = pf_xstrdup(method);
    q->path = pf_xasprintf("%s%s", h->base_path, path);
    q->body = body ? pf_xstrdup(body) : NULL;
    q->retry_ms = -1;
    q->cb = cb;
    q->ud = ud;
    pf_buf_init(&q->rx);
    q->next = h->reqs;
    h->reqs = q;

    struct lws_client_connect_info i;
    memset(&i, 0, sizeof(i));
    i.context = h->ctx;
    i.address = h->host;
    i.port = h->port;
    i.path = q->path;
    i.host = h->host;
    i.origin = h->host;
    i.method = q->method;
    i.alpn = "http/1.1";
    if (h->ssl)
        i.ssl_connection = LCCSCF_USE_SSL;
    i.protocol = "pf-http";
    i.local_protocol_name = "pf-http";
    i.pwsi = &q->wsi;
    i.opaque_user_data = q;
    q->connecting = 1;
    pf_connfail_begin();
    q->watching = 1;
    struct lws *w = lws_client_connect_via_info(&i);
    q->connecting = 0;
    if (!w || q->failed_early) {
        char why[512], port[16];
        if (w)
            lws_set_opaque_user_data(w, NULL);
        if (q->early_error)
            pf_snprintf(why, sizeof(why), "%s", q->early_error);
        else
            pf_connfail_reason(NULL, NULL, why, sizeof(why));
        unlink_req(h, q);
        req_free(q);
        snprintf(port, sizeof(port), "%d", h->port);
        const char *kv[] = {"event", "connect_failed", "host", h->host, "port",
                            port,    "reason",         why,    NULL};
        pf_log_kv(PF_LOG_WARN, kv, "%s: cannot connect to %s:%d: %s", h->name,
                  h->host, h->port, why);
        return -1;
    }
    return 0;
}

size_t
pf_http_pending(const struct pf_http *h)
{
    size_t n = 0;
    for (const struct req *q = h->reqs; q; q = q->next)
        n++;
    return n;
}

void
pf_http_cancel(struct pf_http *h, void *ud)
{
    for (struct req *q = h->reqs; q; q = q->next)
        if (q->ud == ud)
            q->cb = NULL;
}

void
pf_http_free(struct pf_http *h)
{
    if (!h)
        return;
    while (h->reqs) {
        struct req *q = h->reqs;
        h->reqs = q->next;
        if (q->wsi) {
            lws_set_opaque_user_data(q->wsi, NULL);
            lws_set_timeout(q->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT,
                            LWS_TO_KILL_ASYNC);
        }
        req_free(q);
    }
    free(h->host);
    free(h->base_path);
    free(h->name);
    sodium_free(h->auth);
    free(h);
}

static void
header(struct lws *wsi, enum lws_token_indexes t, char *buf, size_t len)
{
    buf[0] = '\0';
    if (lws_hdr_copy(wsi, buf, (int)len, t) < 0)
        buf[0] = '\0';
}

int
pf_http_lws_callback(struct lws *wsi, enum lws_callback_reasons reason,
                     void *user, void *in, size_t len)
{
    struct req *q = lws_get_opaque_user_data(wsi);
    (void)user;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        if (!q)
            return -1;
        unsigned char **p = (unsigned char **)in, *end = (*p) + len;
        const struct pf_http *h = q->h;
        if (*h->auth &&
            lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                         (const unsigned char *)h->auth,
                                         (int)strlen(h->auth), p, end))
            return -1;
        if (q->body) {
            char n[32];
            int nl = snprintf(n, sizeof(n), "%zu", strlen(q->body));
            if (lws_add_http_header_by_token(
                    wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                    (const unsigned char *)"application/json", 16, p, end) ||
                lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH,
                                             (const unsigned char *)n, nl, p,
                                             end))
                return -1;
            lws_client_http_body_pending(wsi, 1);
            lws_callback_on_writable(wsi);
        }
        break;
    }

    case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE: {
        if (!q || !q->body)
            break;
        size_t bl = strlen(q->body);
        unsigned char *buf = pf_xmalloc(LWS_PRE + bl + 1);
        memcpy(buf + LWS_PRE, q->body, bl);
        int n = lws_write(wsi, buf + LWS_PRE, bl, LWS_WRITE_HTTP_FINAL);
        free(buf);
        lws_client_http_body_pending(wsi, 0);
        if (n < 0)
            return -1;
        break;
    }

    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP: {
        if (q && q->watching) {
            q->watching = 0;
            pf_connfail_end();
        }
        if (!q)
            return -1;
        q->status = (int)lws_http_client_http_response(wsi);
        char ra[64], reset[64];
        header(wsi, WSI_TOKEN_HTTP_RETRY_AFTER, ra, sizeof(ra));
        reset[0] = '\0';
        if (lws_hdr_custom_copy(wsi, reset, (int)sizeof(reset),
                                "x-ratelimit-reset:", 18) < 0)
            reset[0] = '\0';
        q->retry_ms = pf_http_retry_ms(ra, reset, (long long)time(NULL));
        break;
    }

    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        if (!q)
            return -1;
        if (q->rx.len + len > q->h->max_body) {
            q->too_big = 1;
            pf_buf_reset(&q->rx);
        } else if (!q->too_big) {
            pf_buf_add(&q->rx, in, len);
        }
        break;

    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
        char buf[LWS_PRE + 4096];
        char *px = buf + LWS_PRE;
        int lenx = (int)sizeof(buf) - LWS_PRE;
        if (lws_http_client_read(wsi, &px, &lenx) < 0)
            return -1;
        break;
    }

    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        if (q)
            finish(q, NULL);
        return -1; /* one request per connection: close it */

    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (q) {
            char why[512];
            pf_connfail_reason(wsi, in, why, sizeof(why));
            q->wsi = NULL;
            finish(q, why);
        }
        break;

    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        if (q) {
            q->wsi = NULL;
            finish(q, "the connection closed before the response ended");
        }
        break;

    default: break;
    }
    return 0;
}
