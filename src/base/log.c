/*
 * log.c - see log.h.
 *
 * The level, sink, format and prefixes are process-wide settings made by
 * the command line code at start-up, and again on a reload (the one piece
 * of static state outside struct pf_app; threading it through every call
 * would only add noise). Everything runs on one thread; the worker
 * process writes to the same stderr, one whole line per write.
 *
 * Every line is made safe before it is written (pf_log_escape): much of
 * what is logged comes from the network (JIDs, nicks, texts a server
 * sent), and a newline in it would start a forged line, an escape
 * sequence would drive the terminal, a bidi override would reorder what
 * a reader sees. One call is always exactly one line.
 */
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int log_level = PF_LOG_INFO;
static pf_log_sink_cb log_sink;
static void *log_sink_ud;
static int log_timestamps;
static int log_format = PF_LOG_TEXT;
static int log_journal;

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

void
pf_log_set_format(int format)
{
    log_format = format;
}

void
pf_log_set_journal(int on)
{
    log_journal = on;
}

int
pf_log_under_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    char end;
    if (!js || sscanf(js, "%llu:%llu%c", &dev, &ino, &end) != 2)
        return 0;
    if (fstat(2, &st) != 0)
        return 0;
    return (unsigned long long)st.st_dev == dev &&
           (unsigned long long)st.st_ino == ino;
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

/* the length of the UTF-8 sequence at s (n bytes left), 0 if invalid */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
    size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : 2;
    if (s[0] < 0xC2 || s[0] > 0xF4 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    /* no overlong three- and four-byte forms, nothing past U+10FFFF */
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xF0 && s[1] < 0x90) ||
        (s[0] == 0xF4 && s[1] > 0x8F))
        return 0;
    return len;
}

/* is the code point of the sequence at s (len bytes) one to escape? */
static int
unsafe_cp(const unsigned char *s, size_t len, unsigned *cp)
{
    if (len == 2)
        *cp = (unsigned)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
    else if (len == 3)
        *cp = (unsigned)(s[0] & 0x0F) << 12 | (unsigned)(s[1] & 0x3F) << 6 |
              (s[2] & 0x3F);
    else
        return 0;
    return (*cp >= 0x80 && *cp <= 0x9F) ||     /* C1 controls */
           *cp == 0x2028 || *cp == 0x2029 ||   /* line, paragraph sep. */
           (*cp >= 0x200E && *cp <= 0x200F) || /* LRM, RLM */
           (*cp >= 0x202A && *cp <= 0x202E) || /* embeddings, overrides */
           (*cp >= 0x2066 && *cp <= 0x2069);   /* isolates */
}

void
pf_log_escape(const char *in, char *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t o = 0, n = strlen(in);
    if (!cap)
        return;
    for (size_t i = 0; i < n;) {
        char esc[12];
        size_t el = 0, adv = 1;
        unsigned cp;
        if (s[i] == '\n')
            el = (size_t)snprintf(esc, sizeof(esc), "\\n");
        else if (s[i] == '\r')
            el = (size_t)snprintf(esc, sizeof(esc), "\\r");
        else if (s[i] == '\t')
            el = (size_t)snprintf(esc, sizeof(esc), "\\t");
        else if (s[i] < 0x20 || s[i] == 0x7F)
            el = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", s[i]);
        else if (s[i] >= 0x80) {
            size_t len = utf8_len(s + i, n - i);
            if (!len)
                el = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", s[i]);
            else if (unsafe_cp(s + i, len, &cp))
                el = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", cp);
            if (len)
                adv = len; /* printable ones are copied as they are */
        }
        const char *src = el ? esc : (const char *)s + i;
        size_t sl = el ? el : adv;
        if (o + sl >= cap)
            break; /* never half an escape or half a character */
        memcpy(out + o, src, sl);
        o += sl;
        i += adv;
    }
    out[o] = '\0';
}

/* sd-daemon(3) priorities: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG */
static int
priority(int level)
{
    switch (level) {
    case PF_LOG_ERR: return 3;
    case PF_LOG_WARN: return 4;
    case PF_LOG_INFO: return 6;
    default: return 7;
    }
}

/* s as the inside of a JSON string: s went through pf_log_escape, so only
   quotes and backslashes are left to escape */
static void
json_str(struct pf_buf *b, const char *s)
{
    pf_buf_addstr(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            pf_buf_addstr(b, "\\");
        pf_buf_add(b, s, 1);
    }
    pf_buf_addstr(b, "\"");
}

static void
json_line(struct pf_buf *b, int level, const char *line, const char *const *kv)
{
    char ts[40];
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof(ts) - n, ".%03ldZ", now.tv_nsec / 1000000);
    pf_buf_addf(b, "{\"time\":\"%s\",\"level\":\"%s\",\"message\":", ts,
                pf_log_level_name(level));
    json_str(b, line);
    for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2) {
        char k[128], v[2048];
        pf_log_escape(kv[i], k, sizeof(k));
        pf_log_escape(kv[i + 1], v, sizeof(v));
        if (!strcmp(k, "time") || !strcmp(k, "level") || !strcmp(k, "message"))
            continue; /* never two members of one name */
        pf_buf_addstr(b, ",");
        json_str(b, k);
        pf_buf_addstr(b, ":");
        json_str(b, v);
    }
    pf_buf_addstr(b, "}\n");
}

/* one line, written with one write(), so that the bot's lines and its
   worker's never interleave */
PF_ATTR_PRINTF(3, 0)
static void
write_line(int level, const char *const *kv, const char *fmt, va_list ap)
{
    char raw[2048], line[4096];
    struct pf_buf b = PF_BUF_INIT;
    if (level > log_level)
        return;
    vsnprintf(raw, sizeof(raw), fmt, ap);
    pf_log_escape(raw, line, sizeof(line));
    if (log_sink) {
        log_sink(log_sink_ud, level, line);
        return;
    }
    if (log_journal) {
        pf_buf_addf(&b, "<%d>", priority(level));
    } else if (log_timestamps && log_format != PF_LOG_JSON) {
        char ts[32];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ ", &tm);
        pf_buf_addstr(&b, ts);
    }
    if (log_format == PF_LOG_JSON)
        json_line(&b, level, line, kv);
    else if (level <= PF_LOG_WARN)
        pf_buf_addf(&b, "pokerface: %s: %s\n", pf_log_level_name(level), line);
    else
        pf_buf_addf(&b, "pokerface: %s\n", line);
    (void)!write(2, b.data, b.len);
    pf_buf_release(&b);
}

void
pf_vlog(int level, const char *fmt, va_list ap)
{
    write_line(level, NULL, fmt, ap);
}

void
pf_log(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    write_line(level, NULL, fmt, ap);
    va_end(ap);
}

void
pf_log_kv(int level, const char *const *kv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    write_line(level, kv, fmt, ap);
    va_end(ap);
}
