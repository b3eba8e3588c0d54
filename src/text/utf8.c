/*
 * utf8.c - see utf8.h. The validator takes the ASCII fast path eight bytes
 * at a time, since nearly all chat text is mostly ASCII.
 */
#include "text/utf8.h"

#include <stdio.h>
#include <string.h>

int
pf_utf8_valid(const char *str, size_t len, size_t *bad_off)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        if (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            uint64_t high = w & 0x8080808080808080ULL;
            uint64_t nul =
                (w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL;
            /* all eight bytes ASCII and none of them NUL */
            if (!high && !nul) {
                i += 8;
                continue;
            }
#if defined(__GNUC__) && defined(__BYTE_ORDER__) &&                            \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            /* no NUL: skip the ASCII bytes before the first that is not
               (the lowest set bit is the first byte in memory), so mixed
               text is not looked at a byte at a time */
            if (!nul && !(high & 0x80)) {
                i += (size_t)__builtin_ctzll(high) >> 3;
                continue;
            }
#endif
        }
        unsigned char c = s[i];
        size_t n;
        int32_t cp, min;
        if (c == 0)
            goto bad;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            /* two bytes (ä, ö): never overlong, never a surrogate */
            if (i + 1 >= len || (s[i + 1] & 0xC0) != 0x80)
                goto bad;
            i += 2;
            continue;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 3, cp = c & 0x0F, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4, cp = c & 0x07, min = 0x10000;
        } else {
            goto bad;
        }
        if (i + n > len)
            goto bad;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                goto bad;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            goto bad;
        i += n;
    }
    return 1;
bad:
    if (bad_off)
        *bad_off = i;
    return 0;
}

size_t
pf_utf8_decode(const unsigned char *s, int32_t *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c < 0xE0) {
        *cp = ((c & 0x1F) << 6) | (s[1] & 0x3F);
        return 2;
    }
    if (c < 0xF0) {
        *cp = ((c & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        return 3;
    }
    *cp = ((c & 0x07) << 18) | ((s[1] & 0x3F) << 12) | ((s[2] & 0x3F) << 6) |
          (s[3] & 0x3F);
    return 4;
}

void
pf_utf8_describe(const char *s, size_t len, size_t off, char *out, size_t cap)
{
    unsigned char c = off < len ? (unsigned char)s[off] : 0;
    size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 1;
    if (off >= len)
        snprintf(out, cap, "truncated text at offset %zu", off);
    else if (c == 0)
        snprintf(out, cap, "NUL byte at offset %zu", off);
    else if (need > 1 && c <= 0xF4 && off + need > len)
        snprintf(out, cap, "truncated character at offset %zu", off);
    else
        snprintf(out, cap, "byte 0x%02x at offset %zu", c, off);
}
