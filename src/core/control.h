/*
 * control.h - the control socket: a Unix socket in state_dir (mode 0600)
 * through which `pokerface queue` and `pokerface status` talk to the
 * running bot. Only the user the bot runs as may use it: the socket's
 * mode keeps others out, and each connection's peer uid is checked too.
 *
 * Protocol: one JSON object per line each way. Requests:
 *
 *   {"cmd": "list"}                       the open holds
 *   {"cmd": "show", "id": N}              one hold, with its text
 *   {"cmd": "send", "id": N}              decide: send it as it is
 *   {"cmd": "edit", "id": N, "text": T}   decide: send T instead (checked)
 *   {"cmd": "drop", "id": N}              decide: drop it
 *   {"cmd": "status"}                     backends, routes, counts, uptime
 *
 * Answers: {"ok": true, ...} or {"ok": false, "error": "..."}. Decisions
 * go through the same path as those made in the chat and are attributed
 * to the local user ("local:NAME").
 */
#ifndef PF_CONTROL_H
#define PF_CONTROL_H

#include <jansson.h>
#include <libwebsockets.h>
#include <stddef.h>

struct pf_relay;
struct pf_control;

/* Listen on path (a stale socket there is replaced; a live one is an
   error: another pokerface runs with this state_dir). */
int pf_control_start(struct pf_control **out, struct lws_context *ctx,
                     const char *path, struct pf_relay *relay, char *err,
                     size_t errlen);
void pf_control_stop(struct pf_control *c);

/* {"ok": false, "error": MESSAGE}: a refusal, the same for every request. */
json_t *pf_control_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* The loop's protocol callback for control connections (loop.c). */
int pf_control_lws_callback(struct lws *wsi, enum lws_callback_reasons reason,
                            void *user, void *in, size_t len);

/*
 * The client side: send one request line to the socket at path and read
 * one answer line (malloc'd, without the newline). err says why not.
 */
char *pf_control_call(const char *path, const char *request, char *err,
                      size_t errlen);

#endif
