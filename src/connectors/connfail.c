/*
 * connfail.c - see connfail.h.
 *
 * The state here is process-wide, as lws's log is: the levels to restore,
 * how many attempts are under way, and what the last lines said. Only
 * the bot's thread connects (and the worker process never does).
 */
#include "connectors/connfail.h"

#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* while an attempt runs: notices say getaddrinfo failed, debug lines what
   the socket's error was */
#define WATCH_LEVELS (LLL_WARN | LLL_NOTICE | LLL_DEBUG)

static int base_levels = LLL_ERR;
static pf_lws_log_cb emit_cb;
static unsigned watching;
static int seen_gai, seen_errno, seen_status;

void
pf_connfail_init(int levels, pf_lws_log_cb emit)
{
    base_levels = levels;
    emit_cb = emit;
    watching = 0;
    lws_set_log_level(levels, emit);
}

void
pf_connfail_begin(void)
{
    if (watching++ == 0) {
        seen_gai = seen_errno = seen_status = 0;
        lws_set_log_level(base_levels | WATCH_LEVELS, emit_cb);
    }
}

void
pf_connfail_end(void)
{
    if (watching > 0 && --watching == 0)
        lws_set_log_level(base_levels, emit_cb);
}

/* the number after the first occurrence of key in line, or 0 */
static int
number_after(const char *line, const char *key)
{
    const char *p = strstr(line, key);
    return p ? atoi(p + strlen(key)) : 0;
}

void
pf_connfail_lws_line(int level, const char *line)
{
    int n;
    (void)level;
    if ((n = number_after(line, "getaddrinfo46 failed ")) != 0)
        seen_gai = n;
    else if (strstr(line, "getsockopt fd ") &&
             (n = number_after(line, " says err ")) > 0)
        seen_errno = n;
    else if ((n = number_after(line, "bad HTTP response '")) > 0)
        seen_status = n;
}

/* strerror() in lower case, as log messages are */
static void
lower_first(char *s)
{
    if (s[0] && isupper((unsigned char)s[0]) && !isupper((unsigned char)s[1]))
        s[0] = (char)tolower((unsigned char)s[0]);
}

void
pf_connfail_reason(struct lws *wsi, const char *in, char *out, size_t cap)
{
    char what[256];
    const char *lws_says = in && *in ? in : NULL;
    int status = seen_status;
    if (wsi && !status)
        status = (int)lws_http_client_http_response(wsi);
    if (!lws_says && seen_gai) {
        pf_snprintf(out, cap, "cannot resolve the server's name: %s",
                    gai_strerror(seen_gai));
    } else if (!lws_says) {
        pf_snprintf(what, sizeof(what), "%s",
                    seen_errno ? strerror(seen_errno) : "");
        lower_first(what);
        pf_snprintf(out, cap, "the connection could not be started%s%s",
                    what[0] ? ": " : "", what);
    } else if (seen_errno && strstr(lws_says, "Unable to connect")) {
        pf_snprintf(what, sizeof(what), "%s", strerror(seen_errno));
        lower_first(what);
        pf_snprintf(out, cap, "%s", what);
    } else if (strstr(lws_says, "SSL") || strstr(lws_says, "ssl") ||
               strstr(lws_says, "tls") || strstr(lws_says, "TLS")) {
        pf_snprintf(out, cap, "TLS failed (%s)", lws_says);
    } else if (strstr(lws_says, "unauthorized")) {
        pf_snprintf(out, cap,
                    "the server answered HTTP 401 (unauthorized), not a "
                    "WebSocket");
    } else if (!strncmp(lws_says, "HS: ", 4) && status > 0 && status != 101) {
        pf_snprintf(out, cap, "the server answered HTTP %d, not a WebSocket",
                    status);
    } else {
        pf_snprintf(out, cap, "%s", lws_says);
    }
    seen_gai = seen_errno = seen_status = 0;
}
