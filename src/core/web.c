/*
 * web.c - see web.h.
 *
 * One libwebsockets vhost, "pf-web", added to the loop's context; its
 * one protocol is this file's callback. Per connection (lws's
 * per-session storage, freed between the requests of a kept-alive
 * connection) a request: method, path, query, body; and the answer
 * being written. lws parses the request line and headers itself and
 * refuses what it cannot parse (or what is over its header limit)
 * before this callback sees it.
 */
#include "core/web.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "pokerface/plugin.h"

#define CHUNK 16384
#define IDLE_S 10 /* seconds a connection may wait for its request */

struct pf_web {
    struct lws_context *ctx;
    struct lws_vhost *vh;
    struct pf_web_route *routes;
    size_t n_routes;
    pf_web_session_fn session_fn;
    void *session_ud;
    struct lws *conns[PF_WEB_MAX_CONN]; /* the connections open now */
    int n_conn;
    char *where;
    int tls;
    struct lws **streams; /* the connections that are event streams */
    size_t n_streams, cap_streams;
    lws_sorted_usec_list_t ping; /* a comment down every stream now and
                                    then, so that proxies keep them */
};

#define PING_US (15 * LWS_US_PER_SEC)

static const char csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src "
    "'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'";

struct pss {
    char method[8];
    char *path, *query;
    struct pf_buf args; /* the query's arguments, decoded, each ending in
                           a NUL */
    const struct pf_web_route *route;
    struct pf_buf body;
    int body_pending; /* a POST whose body is still coming */
    int too_big;
    char *out; /* the body of the answer, being written */
    size_t out_len, out_off;
    int close_after; /* the request was not read to its end */
    int stream;      /* an event stream: out grows as pushes come */
    const void *stream_key;
};

static const struct lws_protocols protocols[] = {
    {"pf-web", pf_web_lws_callback, sizeof(struct pss), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void
pss_clear(struct pss *p)
{
    free(p->path);
    free(p->query);
    free(p->out);
    pf_buf_release(&p->body);
    pf_buf_release(&p->args);
    memset(p, 0, sizeof(*p));
}

/*
 * Write the status line and headers now, and queue the body for
 * WRITEABLE. 0, or -1 when the connection is to be closed.
 */
static int
add_header(struct lws *wsi, const char *name, const char *value,
           unsigned char **q, unsigned char *end)
{
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                       (const unsigned char *)value,
                                       (int)strlen(value), q, end);
}

/*
 * Write the status line and headers now, and queue the body for
 * WRITEABLE; more is "name: value\n" lines to add. A stream has no
 * length and stays open. 0, or -1 when the connection is to be closed.
 */
static int
respond(struct lws *wsi, struct pss *p, int status, const char *type,
        const char *allow, const char *more, int stream, char *body, size_t len)
{
    unsigned char buf[LWS_PRE + 4096], *start = buf + LWS_PRE, *q = start,
                                       *end = buf + sizeof(buf) - 1;
    free(p->out);
    p->out = body;
    p->out_len = len;
    p->out_off = 0;
    p->stream = stream;
    if (lws_add_http_common_headers(wsi, (unsigned)status, type,
                                    stream ? LWS_ILLEGAL_HTTP_CONTENT_LEN
                                           : (lws_filepos_t)len,
                                    &q, end) ||
        add_header(wsi, "cache-control:", "no-store", &q, end) ||
        add_header(wsi, "x-content-type-options:", "nosniff", &q, end) ||
        add_header(wsi, "content-security-policy:", csp, &q, end) ||
        add_header(wsi, "x-frame-options:", "DENY", &q, end) ||
        add_header(wsi, "referrer-policy:", "no-referrer", &q, end) ||
        (allow && add_header(wsi, "allow:", allow, &q, end)) ||
        (p->close_after && lws_add_http_header_by_token(
                               wsi, WSI_TOKEN_CONNECTION,
                               (const unsigned char *)"close", 5, &q, end)))
        return -1;
    for (const char *l = more; l && *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        const char *colon = memchr(l, ':', n);
        char name[64], value[1024];
        if (colon && (size_t)(colon - l) + 2 < sizeof(name) &&
            n - (size_t)(colon - l) < sizeof(value)) {
            /* lower case: HTTP/2 takes no other */
            size_t k = 0;
            for (; l + k < colon; k++)
                name[k] = (char)tolower((unsigned char)l[k]);
            name[k++] = ':';
            name[k] = '\0';
            const char *v = colon + 1;
            while (*v == ' ')
                v++;
            pf_snprintf(value, sizeof(value), "%.*s", (int)(l + n - v), v);
            if (add_header(wsi, name, value, &q, end))
                return -1;
        }
        l += n + (nl != NULL);
    }
    if (lws_finalize_write_http_header(wsi, start, &q, end))
        return -1;
    if (stream)
        lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
    lws_callback_on_writable(wsi);
    return 0;
}

/* a refusal: status and one line of text */
static int refuse(struct lws *wsi, struct pss *p, int status, const char *allow,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
refuse(struct lws *wsi, struct pss *p, int status, const char *allow,
       const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    char *body = pf_xasprintf("%d %s\n", status, line);
    return respond(wsi, p, status, "text/plain; charset=utf-8", allow, NULL, 0,
                   body, strlen(body));
}

static const char *
allow_of(unsigned methods)
{
    return methods == (PF_WEB_GET | PF_WEB_POST) ? "GET, POST"
           : methods == PF_WEB_POST              ? "POST"
                                                 : "GET";
}

/* the request is read: run its route */
static int
handle(struct lws *wsi, struct pss *p)
{
    struct pf_web *w = lws_get_vhost_user(lws_get_vhost(wsi));
    const struct pf_web_route *rt = p->route;
    struct pf_web_req req;
    struct pf_web_resp resp;
    if (p->too_big)
        return refuse(wsi, p, 413, NULL, "the request body is over %u bytes",
                      PF_WEB_MAX_BODY);
    memset(&req, 0, sizeof(req));
    req.method = p->method;
    req.path = p->path;
    req.query = p->query ? p->query : "";
    req.body = p->body.data ? p->body.data : "";
    req.body_len = p->body.len;
    req.args = p->args.data;
    req.args_len = p->args.len;
    char cookie[2048] = "", csrf[128] = "", lang[256] = "";
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_COOKIE) >= (int)sizeof(cookie))
        return refuse(wsi, p, 400, NULL, "the Cookie header is too long");
    if (lws_hdr_copy(wsi, cookie, sizeof(cookie), WSI_TOKEN_HTTP_COOKIE) < 0)
        cookie[0] = '\0';
    if (lws_hdr_custom_copy(wsi, csrf, sizeof(csrf), "x-csrf-token:", 13) < 0)
        csrf[0] = '\0';
    if (lws_hdr_copy(wsi, lang, sizeof(lang), WSI_TOKEN_HTTP_ACCEPT_LANGUAGE) <
        0)
        lang[0] = '\0';
    req.cookie = cookie;
    req.csrf = csrf;
    req.accept_language = lang;
    req.tls = w->tls;
    if (rt->access == PF_WEB_SESSION) {
        req.session =
            w->session_fn ? w->session_fn(w->session_ud, cookie) : NULL;
        if (!req.session)
            return refuse(wsi, p, 401, NULL, "sign in first");
    }
    memset(&resp, 0, sizeof(resp));
    resp.status = 200;
    resp.type = "text/plain; charset=utf-8";
    rt->fn(rt->ud, &req, &resp);
    if (!resp.body.data)
        pf_buf_addstr(&resp.body, "");
    size_t len = resp.body.len;
    if (resp.stream) {
        p->stream_key = resp.stream_key;
        if (w->n_streams == w->cap_streams) {
            w->cap_streams = w->cap_streams ? 2 * w->cap_streams : 8;
            w->streams =
                pf_xrealloc(w->streams, w->cap_streams * sizeof(*w->streams));
        }
        w->streams[w->n_streams++] = wsi;
    }
    int rc = respond(wsi, p, resp.status, resp.type, NULL, resp.headers.data,
                     resp.stream, pf_buf_detach(&resp.body, NULL), len);
    pf_buf_release(&resp.headers);
    return rc;
}

static void
stream_gone(struct pf_web *w, struct lws *wsi)
{
    for (size_t i = 0; w && i < w->n_streams; i++)
        if (w->streams[i] == wsi) {
            w->streams[i] = w->streams[--w->n_streams];
            return;
        }
}

void
pf_web_push(struct pf_web *w, const void *key, const char *text)
{
    size_t n = strlen(text);
    for (size_t i = 0; w && i < w->n_streams;) {
        struct lws *wsi = w->streams[i];
        struct pss *p = lws_wsi_user(wsi);
        if (!p || (key && p->stream_key != key)) {
            i++;
            continue;
        }
        if (p->out_len - p->out_off + n > PF_WEB_MAX_BACKLOG) {
            /* a reader that does not read: let it go */
            pf_warn("web: an event stream is %zu bytes behind; closed",
                    p->out_len - p->out_off);
            stream_gone(w, wsi);
            lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
            continue;
        }
        if (p->out_off) {
            memmove(p->out, p->out + p->out_off, p->out_len - p->out_off);
            p->out_len -= p->out_off;
            p->out_off = 0;
        }
        p->out = pf_xrealloc(p->out, p->out_len + n + 1);
        memcpy(p->out + p->out_len, text, n);
        p->out_len += n;
        lws_callback_on_writable(wsi);
        i++;
    }
}

size_t
pf_web_streams(const struct pf_web *w, const void *key)
{
    size_t n = 0;
    for (size_t i = 0; w && i < w->n_streams; i++) {
        struct pss *p = lws_wsi_user(w->streams[i]);
        n += p && p->stream_key == key;
    }
    return n;
}

void
pf_web_close_streams(struct pf_web *w, const void *key)
{
    for (size_t i = 0; w && i < w->n_streams;) {
        struct lws *wsi = w->streams[i];
        struct pss *p = lws_wsi_user(wsi);
        if (p && p->stream_key == key) {
            stream_gone(w, wsi);
            lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
        } else {
            i++;
        }
    }
}

static void
ping_cb(lws_sorted_usec_list_t *sul)
{
    struct pf_web *w = lws_container_of(sul, struct pf_web, ping);
    pf_web_push(w, NULL, ": ping\n\n");
    lws_sul_schedule(w->ctx, 0, &w->ping, ping_cb, PING_US);
}

/* a new request: which method, which path, which route */
static int
request(struct lws *wsi, struct pss *p, const char *uri)
{
    static const struct {
        enum lws_token_indexes t;
        const char *m;
    } methods[] = {
        {WSI_TOKEN_GET_URI, "GET"},         {WSI_TOKEN_POST_URI, "POST"},
        {WSI_TOKEN_HEAD_URI, "HEAD"},       {WSI_TOKEN_PUT_URI, "PUT"},
        {WSI_TOKEN_DELETE_URI, "DELETE"},   {WSI_TOKEN_PATCH_URI, "PATCH"},
        {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
    };
    struct pf_web *w = lws_get_vhost_user(lws_get_vhost(wsi));
    pss_clear(p);
    for (size_t i = 0; i < PF_ARRAY_LEN(methods); i++)
        if (lws_hdr_total_length(wsi, methods[i].t) > 0)
            snprintf(p->method, sizeof(p->method), "%s", methods[i].m);
    p->path = pf_xstrdup(uri ? uri : "");
    struct pf_buf q = PF_BUF_INIT;
    char frag[1024];
    for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof(frag),
                                          WSI_TOKEN_HTTP_URI_ARGS, i) > 0;
         i++) {
        if (q.len)
            pf_buf_addch(&q, '&');
        pf_buf_addstr(&q, frag);
        pf_buf_add(&p->args, frag, strlen(frag) + 1);
    }
    p->query = q.data ? pf_buf_detach(&q, NULL) : pf_xstrdup("");
    int post = !strcmp(p->method, "POST");
    char cl[32] = "";
    if (lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) < 0)
        cl[0] = '\0';
    long long body_len = cl[0] ? atoll(cl) : 0;
    int want_body = post && body_len > 0;
    unsigned m = !strcmp(p->method, "GET") ? PF_WEB_GET
                 : post                    ? PF_WEB_POST
                                           : 0;
    unsigned allowed = 0; /* the methods the path takes */
    for (size_t i = 0; i < w->n_routes; i++) {
        if (strcmp(w->routes[i].path, p->path))
            continue;
        allowed |= w->routes[i].methods;
        if (!p->route && (w->routes[i].methods & m))
            p->route = &w->routes[i];
    }
    /* answered before the body is read: the connection is closed after
       the answer, since the rest of the request is still on the way */
    p->close_after = body_len > 0;
    if (!p->method[0])
        return refuse(wsi, p, 405, NULL,
                      "the method is not one pokerface "
                      "knows");
    if (body_len > (long long)PF_WEB_MAX_BODY)
        return refuse(wsi, p, 413, NULL, "the request body is over %u bytes",
                      PF_WEB_MAX_BODY);
    if (!allowed)
        return refuse(wsi, p, 404, NULL, "no such page: %s", p->path);
    if (!p->route)
        return refuse(wsi, p, 405, allow_of(allowed),
                      "%s is not allowed on %s (only %s)", p->method, p->path,
                      allow_of(allowed));
    p->close_after = 0;
    if (want_body) {
        p->body_pending = 1;
        return 0; /* the body first */
    }
    return handle(wsi, p);
}

static int
writeable(struct lws *wsi, struct pss *p)
{
    if (!p->out)
        return 0;
    if (p->stream) {
        /* an event stream: what has come, never the final piece */
        size_t n = p->out_len - p->out_off;
        if (n > CHUNK)
            n = CHUNK;
        if (!n)
            return 0;
        unsigned char *buf = pf_xmalloc(LWS_PRE + n + 1);
        memcpy(buf + LWS_PRE, p->out + p->out_off, n);
        int wr = lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_HTTP);
        free(buf);
        if (wr < 0)
            return -1;
        p->out_off += n;
        if (p->out_off < p->out_len)
            lws_callback_on_writable(wsi);
        return 0;
    }
    size_t n = p->out_len - p->out_off;
    int last = n <= CHUNK;
    if (!last)
        n = CHUNK;
    unsigned char *buf = pf_xmalloc(LWS_PRE + n + 1);
    memcpy(buf + LWS_PRE, p->out + p->out_off, n);
    int wr = lws_write(wsi, buf + LWS_PRE, n,
                       last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
    free(buf);
    if (wr < 0)
        return -1;
    p->out_off += n;
    if (!last) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    free(p->out);
    p->out = NULL;
    if (p->close_after)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int
pf_web_lws_callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len)
{
    struct pss *p = user;
    struct lws_vhost *vh = lws_get_vhost(wsi);
    struct pf_web *w = vh ? lws_get_vhost_user(vh) : NULL;
    switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        /* (wsi is the listener's here: the new one does not exist yet) */
        if (w && w->n_conn >= PF_WEB_MAX_CONN) {
            pf_warn("web: %d connections open already; one more refused",
                    w->n_conn);
            return -1;
        }
        return 0;
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
        if (w && w->n_conn < PF_WEB_MAX_CONN) {
            w->conns[w->n_conn++] = wsi;
            lws_set_opaque_user_data(wsi, w); /* counted */
        }
        /* a connection that never sends a request is closed after a
           while, so that idle ones cannot fill every place */
        lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_KEEPALIVE_IDLE, IDLE_S);
        return 0;
    case LWS_CALLBACK_WSI_DESTROY: {
        /* lws destroys the wsi of a refused connection too: only those
           counted are counted off; by then the wsi may have left its
           vhost, so the listener is found through the mark itself */
        struct pf_web *counted = lws_get_opaque_user_data(wsi);
        if (counted) {
            for (int i = 0; i < counted->n_conn; i++)
                if (counted->conns[i] == wsi) {
                    counted->conns[i] = counted->conns[--counted->n_conn];
                    break;
                }
            lws_set_opaque_user_data(wsi, NULL);
        }
        return 0;
    }
    case LWS_CALLBACK_HTTP_BIND_PROTOCOL: return 0;
    case LWS_CALLBACK_HTTP:
        if (!p)
            return -1;
        return request(wsi, p, in);
    case LWS_CALLBACK_HTTP_BODY:
        if (!p)
            return -1;
        if (!p->body_pending)
            return 0;
        if (p->body.len + len > PF_WEB_MAX_BODY)
            p->too_big = 1;
        else
            pf_buf_add(&p->body, in, len);
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        /* lws says so for a POST without a body too, and for one that
           was answered before its body came: only a body waited for is
           handled here */
        if (!p || !p->body_pending)
            return 0;
        p->body_pending = 0;
        return handle(wsi, p);
    case LWS_CALLBACK_HTTP_WRITEABLE: return p ? writeable(wsi, p) : -1;
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (p && p->stream) /* w through the mark: see WSI_DESTROY */
            stream_gone(lws_get_opaque_user_data(wsi), wsi);
        if (p)
            pss_clear(p);
        return 0;
    default: return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

int
pf_web_start(struct pf_web **out, struct lws_context *ctx,
             const struct pf_web_conf *conf, const struct pf_web_route *routes,
             size_t n_routes, char *err, size_t errlen)
{
    struct lws_context_creation_info info;
    struct pf_web *w = pf_xcalloc(1, sizeof(*w));
    w->ctx = ctx;
    w->routes = pf_xcalloc(n_routes + 1, sizeof(*w->routes));
    memcpy(w->routes, routes, n_routes * sizeof(*routes));
    w->n_routes = n_routes;
    memset(&info, 0, sizeof(info));
    info.vhost_name = "pf-web";
    info.port = conf->port;
    info.iface = conf->host;
    info.protocols = protocols;
    info.user = w;
    info.keepalive_timeout = 5;
    info.timeout_secs = IDLE_S;
    info.ssl_cert_filepath = conf->tls_cert;
    info.ssl_private_key_filepath = conf->tls_key;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    w->vh = lws_create_vhost(ctx, &info);
    if (!w->vh) {
        pf_snprintf(err, errlen,
                    "web: cannot listen on %s%s (is the port in use, or the "
                    "address not one of this machine's?%s)",
                    conf->listen, conf->tls_cert ? " with TLS" : "",
                    conf->tls_cert ? " Or the certificate and key files "
                                     "are no PEM pair"
                                   : "");
        free(w->routes);
        free(w);
        return PF_EINVAL;
    }
    w->tls = conf->tls_cert != NULL;
    lws_sul_schedule(ctx, 0, &w->ping, ping_cb, PING_US);
    w->where = pf_xasprintf("%s://%s%s%s:%d", conf->tls_cert ? "https" : "http",
                            conf->host && strchr(conf->host, ':') ? "[" : "",
                            conf->host ? conf->host : "*",
                            conf->host && strchr(conf->host, ':') ? "]" : "",
                            pf_web_port(w));
    pf_info("web: listening on %s", w->where);
    *out = w;
    return PF_OK;
}

/* the value of name in "name=value" pairs separated by sep (and the
   spaces after it), or NULL */
static const char *
pair_value(const char *s, char sep, const char *name, size_t *len)
{
    size_t n = strlen(name);
    while (s && *s) {
        while (*s == sep || *s == ' ')
            s++;
        size_t pair = strcspn(s, sep == ';' ? ";" : "&");
        if (pair > n && !strncmp(s, name, n) && s[n] == '=') {
            *len = pair - n - 1;
            return s + n + 1;
        }
        s += pair;
    }
    return NULL;
}

const char *
pf_web_cookie(const char *header, const char *name, size_t *len)
{
    return pair_value(header, ';', name, len);
}

const char *
pf_web_form(const char *body, const char *name, size_t *len)
{
    return pair_value(body, '&', name, len);
}

const char *
pf_web_arg(const struct pf_web_req *req, const char *name)
{
    size_t n = strlen(name);
    for (size_t off = 0; req->args && off < req->args_len;) {
        const char *a = req->args + off;
        if (!strncmp(a, name, n) && a[n] == '=')
            return a + n + 1;
        off += strlen(a) + 1;
    }
    return NULL;
}

void
pf_web_sessions(struct pf_web *w, pf_web_session_fn fn, void *ud)
{
    w->session_fn = fn;
    w->session_ud = ud;
}

int
pf_web_port(const struct pf_web *w)
{
    return lws_get_vhost_listen_port(w->vh);
}

void
pf_web_stop(struct pf_web *w)
{
    if (!w)
        return;
    lws_sul_cancel(&w->ping);
    /* every connection closed now, while w is there for their last
       callbacks (lws would close them later, when w is gone) */
    while (w->n_conn > 0) {
        int before = w->n_conn;
        lws_set_timeout(w->conns[0], PENDING_TIMEOUT_CLOSE_SEND,
                        LWS_TO_KILL_SYNC);
        if (w->n_conn == before) { /* not closed: not counted then */
            lws_set_opaque_user_data(w->conns[0], NULL);
            w->conns[0] = w->conns[--w->n_conn];
        }
    }
    lws_vhost_destroy(w->vh);
    free(w->streams);
    free(w->routes);
    free(w->where);
    free(w);
}
