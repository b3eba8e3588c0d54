/*
 * web.h - the bot's HTTP listener: a libwebsockets server vhost on the
 * bot's own event loop (loop.h), so a request is handled on the loop
 * thread between chat events, like a control socket request, and no
 * second process or thread is involved. Off unless "web" is configured.
 *
 * Nothing here may hold up the relay: sockets are non-blocking; a
 * handler builds its whole answer in memory at once (it must be quick:
 * no disk or network waits); answers go out in pieces as the socket
 * takes them; at most PF_WEB_MAX_CONN connections are open (more are
 * closed at once), a request's headers are capped by libwebsockets, its
 * body at PF_WEB_MAX_BODY, and idle connections time out.
 *
 * Every answer says what the page may do (a strict Content-Security-
 * Policy: scripts, styles and images from the listener only, no inline
 * code, no framing, no forms elsewhere) and that it is not to be cached,
 * sniffed or framed, and sends no Referer.
 *
 * Requests are routed by exact path through a table the caller gives.
 * A route is public (anyone who reaches the listener: /metrics, /healthz)
 * or needs a session: a person signed in. Sessions are the caller's: a
 * lookup callback turns the request's Cookie header into a session
 * pointer the handler gets; without one (or when it finds none), such a
 * route answers 401. Answers to anything else: 404 for an unknown path,
 * 405 (with Allow) for a method the route does not take, 413 for a body
 * too big, each with a one-line text/plain body naming the problem. A
 * request libwebsockets cannot parse it refuses itself (403, or the
 * connection closed when the headers are over its limit) before any of
 * this is reached.
 */
#ifndef PF_WEB_H
#define PF_WEB_H

#include <libwebsockets.h>
#include <stddef.h>

#include "base/config.h"
#include "base/util.h"

#define PF_WEB_MAX_CONN 64
#define PF_WEB_MAX_BODY (64u << 10)

enum { PF_WEB_GET = 1, PF_WEB_POST = 2 };
enum { PF_WEB_PUBLIC = 0, PF_WEB_SESSION = 1 };

struct pf_web_req {
    const char *method; /* "GET" or "POST" */
    const char *path;   /* without the query */
    const char *query;  /* "a=1&b=2" as sent, or "" */
    const char *args;   /* the arguments, decoded: "a=1\0b=2\0" (or NULL) */
    size_t args_len;
    const char *body; /* POST: the body (NUL-terminated), else "" */
    size_t body_len;
    void *session;      /* a PF_WEB_SESSION route: the session; else NULL */
    const char *cookie; /* the Cookie header, or "" */
    const char *csrf;   /* the X-CSRF-Token header, or "" */
    const char *accept_language; /* the Accept-Language header, or "" */
    int tls;                     /* the listener is HTTPS */
};

struct pf_web_resp {
    int status;       /* 200 unless the handler says otherwise */
    const char *type; /* Content-Type; "text/plain; charset=utf-8" */
    struct pf_buf body;
    /* more headers, each "name: value\n" (Set-Cookie, Location, ...) */
    struct pf_buf headers;
    /*
     * The answer is a stream of server-sent events (text/event-stream):
     * the body goes out first, the connection stays open (no idle time
     * out) and pf_web_push() adds to it. stream_key says which pushes it
     * takes (the caller's: a session).
     */
    int stream;
    const void *stream_key;
};

typedef void (*pf_web_fn)(void *ud, const struct pf_web_req *req,
                          struct pf_web_resp *resp);

struct pf_web_route {
    const char *path; /* exact, "/metrics" */
    unsigned methods; /* PF_WEB_GET | PF_WEB_POST */
    int access;       /* PF_WEB_PUBLIC or PF_WEB_SESSION */
    pf_web_fn fn;
    void *ud;
};

/* the session of a request with this Cookie header ("" when none), or
   NULL */
typedef void *(*pf_web_session_fn)(void *ud, const char *cookie);

struct pf_web;

/*
 * Listen as conf says (host, port, TLS files) on ctx, with the routes
 * given (copied; their ud outlives the listener). err names the address
 * or file when it cannot. The log says where it listens.
 */
int pf_web_start(struct pf_web **out, struct lws_context *ctx,
                 const struct pf_web_conf *conf,
                 const struct pf_web_route *routes, size_t n_routes, char *err,
                 size_t errlen);
/* How sessions are found (none until this is called). */
void pf_web_sessions(struct pf_web *w, pf_web_session_fn fn, void *ud);
/*
 * Add text to every open stream (with key, or every stream when key is
 * NULL); a stream that is over PF_WEB_MAX_BACKLOG behind is closed.
 */
void pf_web_push(struct pf_web *w, const void *key, const char *text);
/* How many streams of key are open. */
size_t pf_web_streams(const struct pf_web *w, const void *key);
/* Close the streams of key (a session that ended). */
void pf_web_close_streams(struct pf_web *w, const void *key);
#define PF_WEB_MAX_BACKLOG (256u << 10)
/*
 * The value of cookie name in a Cookie header ("a=1; b=2"), the first
 * when there are several, or NULL; *len is its length (it is not
 * NUL-terminated).
 */
const char *pf_web_cookie(const char *header, const char *name, size_t *len);
/*
 * The value of name in an application/x-www-form-urlencoded body
 * ("a=1&b=2"), as sent (not decoded), the first when there are several,
 * or NULL; *len is its length.
 */
const char *pf_web_form(const char *body, const char *name, size_t *len);
/* The value of the query's argument name (decoded), or NULL. */
const char *pf_web_arg(const struct pf_web_req *req, const char *name);
/* The port it listens on (the one picked, for port 0). */
int pf_web_port(const struct pf_web *w);
void pf_web_stop(struct pf_web *w);

/* The listener's protocol callback (its vhost has only this one). */
int pf_web_lws_callback(struct lws *wsi, enum lws_callback_reasons reason,
                        void *user, void *in, size_t len);

#endif
