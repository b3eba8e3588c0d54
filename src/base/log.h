/*
 * log.h - one-line log messages to stderr (or a sink set by the caller).
 *
 * Messages are lowercase, without a final full stop, and quote what they
 * talk about: "plugin 'backstage': lexicon 'x.txt' line 3: unknown kind".
 * Secrets are never logged.
 */
#ifndef PF_LOG_H
#define PF_LOG_H

#include <stdarg.h>

#include "base/util.h"
#include "pokerface/plugin.h" /* enum pf_log_level */

typedef void (*pf_log_sink_cb)(void *ud, int level, const char *line);

/* Lines above level are dropped. Default PF_LOG_INFO. */
void pf_log_set_level(int level);
int pf_log_get_level(void);
/* Send lines to sink instead of stderr; NULL restores stderr. */
void pf_log_set_sink(pf_log_sink_cb sink, void *ud);
/* Prefix lines with an ISO-8601 time (pokerface run). */
void pf_log_set_timestamps(int on);

/* How a line is written: text ("pokerface: warning: ...") or one JSON
   object per line ({"time", "level", "message", and any fields}). */
enum pf_log_format { PF_LOG_TEXT = 0, PF_LOG_JSON = 1 };
void pf_log_set_format(int format);

/*
 * Is stderr connected to the journal? As systemd documents it: the
 * environment variable JOURNAL_STREAM holds "DEV:INO" of the stream
 * journald gave the service, and stderr is that very file (a service
 * whose stderr was redirected elsewhere does not match). Then each line
 * starts with its sd-daemon priority (<3> error, <4> warning, <6> info,
 * <7> debug), so that journalctl -p can filter, and carries no time of
 * its own (the journal keeps one).
 */
int pf_log_under_journal(void);
/* Write priority prefixes instead of timestamps (on) or not. */
void pf_log_set_journal(int on);

void pf_log(int level, const char *fmt, ...) PF_ATTR_PRINTF(2, 3);
void pf_vlog(int level, const char *fmt, va_list ap) PF_ATTR_PRINTF(2, 0);
/*
 * A line with fields: kv is NULL or "key", "value", ..., NULL. In JSON
 * they are members of the line's object (strings, escaped like the
 * message); in text the message alone is written, so it should say the
 * same in words.
 */
void pf_log_kv(int level, const char *const *kv, const char *fmt, ...)
    PF_ATTR_PRINTF(3, 4);

#define pf_err(...) pf_log(PF_LOG_ERR, __VA_ARGS__)
#define pf_warn(...) pf_log(PF_LOG_WARN, __VA_ARGS__)
#define pf_info(...) pf_log(PF_LOG_INFO, __VA_ARGS__)
#define pf_debug(...) pf_log(PF_LOG_DEBUG, __VA_ARGS__)

const char *pf_log_level_name(int level);

/*
 * Copy in to out (cap bytes, always NUL-terminated) with everything that
 * could break a log line or a terminal written as an escape: control
 * characters (\n, \x1b), C1 controls, line and paragraph separators and
 * bidi controls (\u2028, \u202e), bytes that are not UTF-8 (\xff). Every
 * log line goes through it; cut at cap on a character boundary.
 */
void pf_log_escape(const char *in, char *out, size_t cap);

#endif
