/*
 * service.h - telling systemd how the bot is doing (Type=notify): ready
 * once connected, joined and caught up, a watchdog ping from the event
 * loop, and stopping. Each call does nothing when the bot was not started
 * by systemd (NOTIFY_SOCKET unset).
 */
#ifndef PF_SERVICE_H
#define PF_SERVICE_H

#include <libwebsockets.h>

/* The chat connection's state ("connected", "disconnected", "ready"):
   READY=1 the first time it is "ready", STATUS= every time. */
void pf_service_chat_state(const char *state);
/* WATCHDOG=1 at half of WatchdogSec=, from a timer on ctx's loop: when
   the loop hangs, the pings stop and systemd restarts the bot. */
void pf_service_watchdog_start(struct lws_context *ctx);
void pf_service_watchdog_stop(void);
/* STOPPING=1: the bot is saying goodbye to the server */
void pf_service_stopping(void);

/* RELOADING=1 on SIGHUP, then READY=1 with how it went ("reloaded",
   "reload refused: ..."): the bot stays up either way */
void pf_service_reloading(void);
void pf_service_reloaded(const char *how);

#endif
