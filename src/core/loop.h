/*
 * loop.h - the one event loop: a libwebsockets context that every
 * connection and timer of the bot runs on, stopped by SIGINT/SIGTERM.
 */
#ifndef PF_LOOP_H
#define PF_LOOP_H

#include <libwebsockets.h>
#include <signal.h>

struct pf_loop {
    struct lws_context *ctx;
    volatile sig_atomic_t stop;   /* set by signals or pf_loop_stop() */
    volatile sig_atomic_t reload; /* set by SIGHUP */
    void (*wrote)(void *ud);      /* pf_loop_on_wrote() */
    void *wrote_ud;
};

/* Create the context (client connections only). err on failure. */
int pf_loop_init(struct pf_loop *l, char *err, size_t errlen);
/* Stop the loop on SIGINT and SIGTERM, and return from it on SIGHUP
   (pokerface run: reload). */
void pf_loop_catch_signals(struct pf_loop *l);
/* Run until stop or reload is set; returns the signal number that stopped
   it (SIGHUP: reload, which it clears; the loop can run again), or 0. */
int pf_loop_run(struct pf_loop *l);
/* Run one iteration (at most timeout_ms); for tests and clean shutdown. */
void pf_loop_once(struct pf_loop *l, int timeout_ms);
void pf_loop_stop(struct pf_loop *l);
/* Call fn(ud) after each time a chat connection has written (a WebSocket
   message, an HTTP request's body): for work that must not delay what
   goes out (fn NULL: none). */
void pf_loop_on_wrote(struct pf_loop *l, void (*fn)(void *ud), void *ud);
void pf_loop_release(struct pf_loop *l);

#endif
