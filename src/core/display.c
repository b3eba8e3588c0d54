/*
 * display.c - see display.h.
 *
 * Everything here works on code points decoded one at a time; input that
 * is not valid UTF-8 (the connectors hand over only valid text, but a
 * name may come from anywhere) loses the bytes that do not decode.
 */
#include "core/display.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "text/utf8.h"

static const char ELLIPSIS[] = "\xe2\x80\xa6"; /* … */

/* the code point at s (n bytes left) and its length; 0 when invalid */
static size_t
next_cp(const char *s, size_t n, int32_t *cp)
{
    size_t bad;
    unsigned char c = (unsigned char)s[0];
    size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    if (len > n || !pf_utf8_valid(s, len, &bad))
        return 0;
    return pf_utf8_decode((const unsigned char *)s, cp);
}

static int
is_break(int32_t c)
{
    return c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0x85 ||
           c == 0x2028 || c == 0x2029;
}

/* embeddings, overrides and isolates: they reorder what follows them */
static int
is_bidi_run(int32_t c)
{
    return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

static int
is_invisible(int32_t c)
{
    return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == 0x061C ||
           c == 0x200E || c == 0x200F || is_bidi_run(c) ||
           (c >= 0x200B && c <= 0x200D) || c == 0x2060 || c == 0xFEFF;
}

static int
is_space(int32_t c)
{
    return c == ' ' || c == '\t' || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x202F || c == 0x205F ||
           c == 0x3000;
}

size_t
pf_display_cut(const char *text, size_t max)
{
    size_t n = strlen(text), end = 0;
    int32_t cp;
    if (n <= max)
        return n;
    if (max < sizeof(ELLIPSIS) - 1)
        return 0;
    max -= sizeof(ELLIPSIS) - 1;
    for (size_t i = 0; i < n;) {
        size_t l = next_cp(text + i, n - i, &cp);
        if (!l)
            l = 1;
        if (i + l > max)
            break;
        i += l;
        end = i;
    }
    return end;
}

char *
pf_display_name(const char *name, const char *fallback)
{
    return pf_display_line(name, PF_NAME_MAX, fallback);
}

char *
pf_display_line(const char *name, size_t max, const char *fallback)
{
    struct pf_buf b = PF_BUF_INIT;
    size_t n = strlen(name);
    int space = 0;
    for (size_t i = 0; i < n;) {
        int32_t cp;
        size_t l = next_cp(name + i, n - i, &cp);
        if (!l) {
            i++;
            continue;
        }
        if (is_space(cp) || is_break(cp)) {
            space = b.len > 0;
        } else if (!is_invisible(cp)) {
            if (space)
                pf_buf_addch(&b, ' ');
            space = 0;
            pf_buf_add(&b, name + i, l);
        }
        i += l;
    }
    if (!b.len) {
        pf_buf_release(&b);
        return pf_xstrdup(fallback ? fallback : "");
    }
    pf_buf_addstr(&b, "");
    size_t keep = pf_display_cut(b.data, max);
    if (keep < b.len) {
        while (keep && b.data[keep - 1] == ' ')
            keep--;
        b.len = keep;
        pf_buf_addstr(&b, ELLIPSIS);
    }
    return pf_buf_detach(&b, NULL);
}

char *
pf_display_format(const char *fmt, const char *name, const char *text,
                  struct pf_display_span *spans, size_t max_spans,
                  size_t *n_spans)
{
    struct pf_buf b = PF_BUF_INIT;
    size_t k = 0;
    for (const char *p = fmt; *p;) {
        if (strncmp(p, "{name}", 6) == 0) {
            pf_buf_addstr(&b, name);
            p += 6;
        } else if (strncmp(p, "{text}", 6) == 0) {
            if (spans && k < max_spans) {
                spans[k].off = b.len;
                spans[k].len = strlen(text);
                k++;
            }
            pf_buf_addstr(&b, text);
            p += 6;
        } else {
            pf_buf_addch(&b, *p++);
        }
    }
    if (n_spans)
        *n_spans = k;
    pf_buf_addstr(&b, "");
    return pf_buf_detach(&b, NULL);
}

/* one line of a customer's text, as the internal room shows it */
static void
quote_line(struct pf_buf *out, const char *fmt, const char *name,
           const char *line, size_t len)
{
    struct pf_buf clean = PF_BUF_INIT;
    for (size_t i = 0; i < len;) {
        int32_t cp;
        size_t l = next_cp(line + i, len - i, &cp);
        if (!l) {
            i++;
            continue;
        }
        if (!is_bidi_run(cp))
            pf_buf_add(&clean, line + i, l);
        i += l;
    }
    pf_buf_addstr(&clean, "");
    if (out->len)
        pf_buf_addch(out, '\n');
    /* a line starts with the format's own words, never the customer's */
    if (strncmp(fmt, "{name}", 6) == 0 || strncmp(fmt, "{text}", 6) == 0 ||
        !*fmt)
        pf_buf_addstr(out, "\xc2\xbb "); /* » */
    char *l = pf_display_format(fmt, name, clean.data, NULL, 0, NULL);
    pf_buf_addstr(out, l);
    free(l);
    pf_buf_release(&clean);
}

char *
pf_display_quote(const char *fmt, const char *name, const char *text)
{
    struct pf_buf out = PF_BUF_INIT;
    size_t n = strlen(text), start = 0, end = n;
    int32_t cp;
    /* line breaks at the end make no lines of their own */
    while (end > 0) {
        size_t back = 1;
        while (back < end && back < 4 &&
               ((unsigned char)text[end - back] & 0xC0) == 0x80)
            back++;
        size_t l = next_cp(text + end - back, back, &cp);
        if (!l || l != back || !is_break(cp))
            break;
        end -= back;
    }
    for (size_t i = 0; i < end;) {
        size_t l = next_cp(text + i, end - i, &cp);
        if (!l) {
            i++;
            continue;
        }
        if (is_break(cp)) {
            quote_line(&out, fmt, name, text + start, i - start);
            i += l;
            if (cp == '\r' && i < end && text[i] == '\n')
                i++;
            start = i;
            continue;
        }
        i += l;
    }
    quote_line(&out, fmt, name, text + start, end - start);
    pf_buf_addstr(&out, "");
    return pf_buf_detach(&out, NULL);
}
