/*
 * jsonw.c - see jsonw.h.
 */
#include "core/jsonw.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "text/utf8.h"

void
jw_init(struct jw *w)
{
    memset(w, 0, sizeof(*w));
}

void
jw_free(struct jw *w)
{
    free(w->buf);
    memset(w, 0, sizeof(*w));
}

static void
reserve(struct jw *w, size_t n)
{
    if (w->cap - w->len >= n)
        return;
    size_t cap = w->cap ? w->cap : 256;
    while (cap - w->len < n)
        cap *= 2;
    w->buf = pf_xrealloc(w->buf, cap);
    w->cap = cap;
}

void
jw_raw(struct jw *w, const char *s, size_t n)
{
    reserve(w, n);
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

void
jw_lit(struct jw *w, const char *s)
{
    jw_raw(w, s, strlen(s));
}

/* the bytes a JSON string holds as they are, of ASCII */
static inline int
plain(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

void
jw_str(struct jw *w, const char *s, size_t n)
{
    /* at worst six bytes for one ("\u001F"), three for a bad byte */
    reserve(w, n * 6 + 2);
    char *o = w->buf + w->len;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    *o++ = '"';
    while (p < end) {
        const unsigned char *q = p;
        while (q < end && plain(*q))
            q++;
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        p = q;
        if (p == end)
            break;
        unsigned char c = *p;
        if (c >= 0x80) {
            /* a run of valid UTF-8 as it is; a bad byte as U+FFFD */
            size_t bad = 0;
            const unsigned char *r = p;
            while (r < end && *r >= 0x80)
                r++;
            if (pf_utf8_valid((const char *)p, (size_t)(r - p), &bad)) {
                memcpy(o, p, (size_t)(r - p));
                o += r - p;
                p = r;
            } else {
                memcpy(o, p, bad);
                o += bad;
                p += bad;
                memcpy(o, "\xef\xbf\xbd", 3);
                o += 3;
                p++;
                w->bad = 1;
            }
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default: o += sprintf(o, "u%04X", c); break;
        }
        p++;
    }
    *o++ = '"';
    w->len = (size_t)(o - w->buf);
}

void
jw_cstr(struct jw *w, const char *s)
{
    jw_str(w, s, strlen(s));
}

/* a key no escaping touches, quoted, with its colon (and the comma
   before it, unless first) */
static void
key(struct jw *w, int first, const char *k)
{
    size_t n = strlen(k);
    reserve(w, n + 4);
    char *o = w->buf + w->len;
    if (!first)
        *o++ = ',';
    *o++ = '"';
    memcpy(o, k, n);
    o += n;
    *o++ = '"';
    *o++ = ':';
    w->len = (size_t)(o - w->buf);
}

void
jw_key_str(struct jw *w, int first, const char *k, const char *s)
{
    key(w, first, k);
    if (!s)
        w->bad = 1;
    jw_cstr(w, s ? s : "");
}

void
jw_key_int(struct jw *w, int first, const char *k, long long v)
{
    key(w, first, k);
    jw_int(w, v);
}

void
jw_real(struct jw *w, double v)
{
    char b[64];
    /* the usual one, a score in thousandths from 0 to 1: as "%.6g"
       prints it (the double nearest i / 1000 has the digits of i),
       without printf */
    if (v >= 0 && v <= 1 && !signbit(v)) {
        double k = v * 1000;
        int i = (int)k;
        if (k == i && i / 1000.0 == v) {
            if (i == 0 || i == 1000) {
                jw_lit(w, i ? "1.0" : "0.0");
                return;
            }
            int n = 5;
            b[0] = '0';
            b[1] = '.';
            b[2] = (char)('0' + i / 100);
            b[3] = (char)('0' + i / 10 % 10);
            b[4] = (char)('0' + i % 10);
            while (b[n - 1] == '0')
                n--;
            jw_raw(w, b, (size_t)n);
            return;
        }
    }
    int n = snprintf(b, sizeof(b) - 3, "%.6g", v);
    if (n < 0 || (size_t)n >= sizeof(b) - 3)
        n = 0;
    /* a decimal comma of some locale is a point in JSON */
    for (int i = 0; i < n; i++)
        if (b[i] == ',')
            b[i] = '.';
    if (!memchr(b, '.', (size_t)n) && !memchr(b, 'e', (size_t)n)) {
        b[n++] = '.';
        b[n++] = '0';
        b[n] = '\0';
    }
    /* "1e+07" is "1e7", "1e-07" is "1e-7" */
    char *e = memchr(b, 'e', (size_t)n);
    if (e) {
        char *start = e + 1, *from = start;
        if (*from == '+')
            from++;
        else if (*from == '-')
            start = ++from;
        while (*from == '0' && from[1])
            from++;
        memmove(start, from, (size_t)(b + n - from) + 1);
        n = (int)strlen(b);
    }
    jw_raw(w, b, (size_t)n);
}

void
jw_int(struct jw *w, long long v)
{
    char b[24], *p = b + sizeof(b);
    unsigned long long u =
        v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    jw_raw(w, p, (size_t)(b + sizeof(b) - p));
}

void
jw_value(struct jw *w, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        int first = 1;
        jw_raw(w, "{", 1);
        json_object_foreach ((json_t *)v, k, x) {
            if (!first)
                jw_raw(w, ",", 1);
            first = 0;
            jw_cstr(w, k);
            jw_raw(w, ":", 1);
            jw_value(w, x);
        }
        jw_raw(w, "}", 1);
        break;
    }
    case JSON_ARRAY:
        jw_raw(w, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                jw_raw(w, ",", 1);
            jw_value(w, json_array_get(v, i));
        }
        jw_raw(w, "]", 1);
        break;
    case JSON_STRING:
        jw_str(w, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER: jw_int(w, (long long)json_integer_value(v)); break;
    case JSON_REAL: jw_real(w, json_real_value(v)); break;
    case JSON_TRUE: jw_lit(w, "true"); break;
    case JSON_FALSE: jw_lit(w, "false"); break;
    default: jw_lit(w, "null"); break;
    }
}
