/*
 * ws.h - a WebSocket client connection on libwebsockets that stays up:
 * it reconnects with capped exponential backoff (and jitter) until
 * stopped, reassembles fragmented messages up to a size cap, queues
 * outgoing messages, and keeps the connection alive with pings.
 *
 * One struct pf_ws per connection; all on the loop thread. The protocol
 * on top (XMPP, Mattermost) sees whole text messages only.
 */
#ifndef PF_WS_H
#define PF_WS_H

#include <libwebsockets.h>
#include <stddef.h>

struct pf_ws;

struct pf_ws_opts {
    const char *url;         /* ws:// or wss:// */
    const char *subprotocol; /* "xmpp", or NULL */
    const char *name;        /* for log lines: "xmpp" */
    size_t max_message;      /* larger messages are dropped, logged */
    int reconnect_min_ms;    /* first retry delay */
    int reconnect_max_ms;    /* cap */
    int ping_s;              /* idle seconds before a ping; 0: 30 */
    int insecure_tls;        /* accept self-signed certificates (tests) */
    int no_origin;           /* send no Origin header (Mattermost checks
                                it against its site URL) */
};

struct pf_ws_ops {
    void (*open)(void *ud);
    void (*message)(void *ud, const char *data, size_t len);
    /* the connection is gone (a reconnect follows unless stopped) */
    void (*closed)(void *ud, const char *why);
    /* optional: a message over max_message was dropped; its first bytes
       (up to PF_WS_HEAD) and its whole size, to say what was lost */
    void (*too_big)(void *ud, const char *head, size_t len, size_t size);
};

#define PF_WS_HEAD 8192

/* NULL with err set for a bad URL. */
struct pf_ws *pf_ws_new(struct lws_context *ctx, const struct pf_ws_opts *o,
                        const struct pf_ws_ops *ops, void *ud, char *err,
                        size_t errlen);
/* The path (and query) of the next connection attempt, e.g. to resume a
   Mattermost session; the URL's own path when NULL. */
void pf_ws_set_path(struct pf_ws *w, const char *path_and_query);
/* Connect now (and keep reconnecting). */
void pf_ws_start(struct pf_ws *w);
/* Queue a text message; PF_ENOTFOUND when not connected. */
int pf_ws_send(struct pf_ws *w, const char *data, size_t len);
int pf_ws_is_open(const struct pf_ws *w);
/* Drop the connection now; a reconnect follows after the backoff. */
void pf_ws_drop(struct pf_ws *w, const char *why);
/* Close for good: no more callbacks after the close completes. */
void pf_ws_stop(struct pf_ws *w);
/* 1 when stopped and the connection is closed. */
int pf_ws_stopped(const struct pf_ws *w);
void pf_ws_free(struct pf_ws *w);

/* The lws protocol callback; the loop registers it as "pf-ws". */
int pf_ws_lws_callback(struct lws *wsi, enum lws_callback_reasons reason,
                       void *user, void *in, size_t len);

#endif
