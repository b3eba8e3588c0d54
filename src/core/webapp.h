/*
 * webapp.h - the review page's server side, on the web listener (web.h):
 * the page's files, sign-in, sessions, and the API the page uses (the
 * held queue, a hold's details, decisions, the history, statistics, and a
 * stream of events), next to /metrics and /healthz.
 *
 * Sign-in has no passwords. A one-time link (single use, web.link_ttl_s,
 * ten minutes by default) starts a session bound to a chat identity: the
 * bot sends one privately to a team member who asks with !web, and
 * `pokerface web-login` gives the bot's owner one as a supervisor
 * ("local:USER", as on the terminal). Opening a link shows a page with a
 * button (a chat's link preview that fetches the link uses nothing up);
 * pressing it uses the link and sets the session cookie (HttpOnly,
 * SameSite=Strict, Secure under TLS or behind an https:// web.url).
 * Sessions are in memory, for twelve hours, and end with the bot. Every
 * change (a POST) needs the session's CSRF token in X-CSRF-Token.
 *
 * Who may do what is the chat's rule: anyone on the team sees the queue
 * (someone who has left the team's rooms is signed out); only the author
 * or a supervisor decides; only a supervisor sends a blocked message as
 * it is. Decisions go through decide.c like a command's, and the room is
 * told who decided on the page.
 *
 * Tokens are 32 random bytes; only their hashes are kept.
 */
#ifndef PF_WEBAPP_H
#define PF_WEBAPP_H

#include <jansson.h>
#include <libwebsockets.h>
#include <stddef.h>

struct pf_relay;
struct pf_webapp;

/*
 * Listen as the relay's configuration says (cfg->web), serving the page
 * files from data_dir/web (read once, now: a page never waits for the
 * disk; missing files are warned about and answered with 404).
 */
int pf_webapp_start(struct pf_webapp **out, struct pf_relay *r,
                    struct lws_context *ctx, const char *data_dir, char *err,
                    size_t errlen);
void pf_webapp_stop(struct pf_webapp *a);
/* the listener's port (the one picked, for port 0) */
int pf_webapp_port(const struct pf_webapp *a);

/* A new one-time sign-in link for this chat identity (malloc'd URL). */
char *pf_webapp_link(struct pf_webapp *a, const char *who, const char *name);
/* A history record was written (history.h): tell the open pages. */
void pf_webapp_record(struct pf_webapp *a, int type, json_t *o);

#endif
