/*
 * connfail.h - why a connection could not be made, in words: name
 * resolution, refused, TLS, or the HTTP status the server answered
 * instead of a WebSocket.
 *
 * libwebsockets 4.1 tells its client callbacks only "Unable to connect"
 * (or nothing at all when the name does not resolve: the connect call
 * returns NULL); the cause is in its own log lines (getaddrinfo's code,
 * the socket's error, the bad HTTP status). So while an attempt is under
 * way, lws's log level is raised and those lines are read here (the loop
 * feeds every lws line to pf_connfail_lws_line); it goes back down once
 * no attempt is left. The lws log is process-wide, so is this: a failure
 * read while several attempts run at once is given to the next reason
 * asked for, and reasons only ever add words to what lws said.
 */
#ifndef PF_CONNFAIL_H
#define PF_CONNFAIL_H

#include <libwebsockets.h>
#include <stddef.h>

/* The lws log levels pokerface always wants (errors) and its callback. */
typedef void (*pf_lws_log_cb)(int level, const char *line);
void pf_connfail_init(int base_levels, pf_lws_log_cb emit);
/* A connection attempt starts (before lws_client_connect_via_info). */
void pf_connfail_begin(void);
/* It ended: connected or failed (after pf_connfail_reason). Each begin
   has exactly one end. */
void pf_connfail_end(void);
/* Every lws log line (level LLL_*); what it says about a failure is kept. */
void pf_connfail_lws_line(int level, const char *line);
/*
 * The reason for a failed attempt, into out (cap bytes): in is lws's
 * string from CLIENT_CONNECTION_ERROR (NULL when the connect call itself
 * failed), wsi the connection (may be NULL). "connection refused",
 * "cannot resolve the server's name: Name or service not known", "TLS
 * failed: ...", "the server answered HTTP 404, not a WebSocket".
 */
void pf_connfail_reason(struct lws *wsi, const char *in, char *out, size_t cap);

#endif
