/*
 * log.c - see log.h.
 *
 * The level and sink are process-wide settings made once at start-up by the
 * command line code (the one piece of static state outside struct pf_app;
 * threading it through every call would only add noise). Everything runs on
 * one thread.
 */
#include "core/log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int log_level = PF_LOG_INFO;
static pf_log_sink_cb log_sink;
static void *log_sink_ud;
static int log_timestamps;

void
pf_log_set_level(int level)
{
    log_level = level;
}

int
pf_log_get_level(void)
{
    return log_level;
}

void
pf_log_set_sink(pf_log_sink_cb sink, void *ud)
{
    log_sink = sink;
    log_sink_ud = ud;
}

void
pf_log_set_timestamps(int on)
{
    log_timestamps = on;
}

const char *
pf_log_level_name(int level)
{
    switch (level) {
    case PF_LOG_ERR: return "error";
    case PF_LOG_WARN: return "warning";
    case PF_LOG_INFO: return "info";
    default: return "debug";
    }
}

void
pf_vlog(int level, const char *fmt, va_list ap)
{
    char line[2048];
    if (level > log_level)
        return;
    vsnprintf(line, sizeof(line), fmt, ap);
    if (log_sink) {
        log_sink(log_sink_ud, level, line);
        return;
    }
    if (log_timestamps) {
        char ts[32];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(stderr, "%s ", ts);
    }
    if (level <= PF_LOG_WARN)
        fprintf(stderr, "pokerface: %s: %s\n", pf_log_level_name(level), line);
    else
        fprintf(stderr, "pokerface: %s\n", line);
}

void
pf_log(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pf_vlog(level, fmt, ap);
    va_end(ap);
}
