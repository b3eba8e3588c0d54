/*
 * http.h - HTTP/1.1 requests on the bot's libwebsockets loop, for
 * backends whose writes are REST calls (Mattermost).
 *
 * One client per server: a base URL and an Authorization header value
 * kept in locked memory. Each request is its own connection and ends in
 * exactly one callback, unless the client is freed first (then none).
 */
#ifndef PF_HTTP_H
#define PF_HTTP_H

#include <libwebsockets.h>
#include <stddef.h>

struct pf_http;

struct pf_http_resp {
    int status;       /* 0: no response (connection failed, cut) */
    const char *body; /* NUL-terminated; "" when none */
    size_t len;
    long long retry_ms; /* 429/503: Retry-After or X-RateLimit-Reset,
                           in ms from now; -1 when not given */
    const char *error;  /* status 0: why */
};

typedef void (*pf_http_cb)(void *ud, const struct pf_http_resp *r);

/* base: http(s)://host[:port]; NULL with err set for a bad URL. */
struct pf_http *pf_http_new(struct lws_context *ctx, const char *base,
                            const char *authorization, const char *name,
                            size_t max_body, char *err, size_t errlen);
/*
 * method "GET", "POST", "PUT", "DELETE"; path "/api/v4/..."; body is a
 * JSON text or NULL. Returns 0, or -1 when the request could not even be
 * started (then cb is not called).
 */
int pf_http_request(struct pf_http *h, const char *method, const char *path,
                    const char *body, pf_http_cb cb, void *ud);
/* Requests in flight. */
size_t pf_http_pending(const struct pf_http *h);
/* Forget every request of ud: their callbacks will not be called. */
void pf_http_cancel(struct pf_http *h, void *ud);
void pf_http_free(struct pf_http *h);

/* The lws protocol callback; the loop registers it as "pf-http". */
int pf_http_lws_callback(struct lws *wsi, enum lws_callback_reasons reason,
                         void *user, void *in, size_t len);

/* Retry-After / X-RateLimit-Reset header values to ms from now (-1). */
long long pf_http_retry_ms(const char *retry_after, const char *reset,
                           long long now_s);

#endif
