/*
 * service.c - see service.h. libsystemd's sd_notify() speaks the notify
 * socket's datagram protocol; with NOTIFY_SOCKET unset it returns 0 and
 * sends nothing.
 */
#include "core/service.h"

#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "base/log.h"

static int ready_sent;
static lws_sorted_usec_list_t watchdog;
static lws_usec_t watchdog_every;
static int watchdog_on;
static struct lws_context *watchdog_ctx;

void
pf_service_chat_state(const char *state)
{
    if (!strcmp(state, "ready") && !ready_sent) {
        ready_sent = 1;
        sd_notify(0, "READY=1\nSTATUS=connected, joined and caught up");
        return;
    }
    sd_notifyf(0, "STATUS=%s",
               !strcmp(state, "ready") ? "connected, joined and caught up"
               : !strcmp(state, "connected")
                   ? "connected, joining and reading back"
                   : "disconnected, reconnecting");
}

static void
watchdog_cb(lws_sorted_usec_list_t *sul)
{
    sd_notify(0, "WATCHDOG=1");
    lws_sul_schedule(watchdog_ctx, 0, sul, watchdog_cb, watchdog_every);
}

void
pf_service_watchdog_start(struct lws_context *ctx)
{
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return;
    watchdog_every = (lws_usec_t)(usec / 2);
    memset(&watchdog, 0, sizeof(watchdog));
    watchdog_on = 1;
    watchdog_ctx = ctx;
    pf_debug("systemd watchdog: a ping every %.1f s",
             (double)watchdog_every / 1e6);
    sd_notify(0, "WATCHDOG=1");
    lws_sul_schedule(ctx, 0, &watchdog, watchdog_cb, watchdog_every);
}

void
pf_service_watchdog_stop(void)
{
    if (watchdog_on)
        lws_sul_cancel(&watchdog);
    watchdog_on = 0;
}

void
pf_service_stopping(void)
{
    sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

void
pf_service_reloading(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
               (unsigned long long)ts.tv_sec * 1000000ULL +
                   (unsigned long long)ts.tv_nsec / 1000ULL);
}

void
pf_service_reloaded(const char *how)
{
    sd_notifyf(0, "READY=1\nSTATUS=%s", how);
}
