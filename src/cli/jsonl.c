/*
 * jsonl.c - see jsonl.h.
 */
#include "cli/jsonl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonw.h"
#include "base/util.h"
#include "text/utf8.h"

struct rd {
    const char *p, *end;
    char *out; /* next free byte of the decoded strings */
};

static void
skip_ws(struct rd *r)
{
    while (r->p < r->end &&
           (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static int
hex4(const char *p, const char *end, uint32_t *v)
{
    if (end - p < 4)
        return 0;
    uint32_t x = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        x <<= 4;
        if (c >= '0' && c <= '9')
            x |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            x |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            x |= (uint32_t)(c - 'A' + 10);
        else
            return 0;
    }
    *v = x;
    return 1;
}

static char *
put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xc0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xe0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *o++ = (char)(0xf0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    }
    return o;
}

/* the string at r->p (its opening quote), decoded into r->out */
static int
string(struct rd *r, struct jl_value *v)
{
    r->p++;
    char *o = r->out;
    v->s = o;
    for (;;) {
        const char *q = r->p;
        while (q < r->end && *q != '"' && *q != '\\' &&
               (unsigned char)*q >= 0x20)
            q++;
        memcpy(o, r->p, (size_t)(q - r->p));
        o += q - r->p;
        r->p = q;
        if (q == r->end || (unsigned char)*q < 0x20)
            return 0;
        if (*q == '"')
            break;
        /* an escape */
        if (r->end - q < 2)
            return 0;
        r->p = q + 2;
        switch (q[1]) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            if (!hex4(r->p, r->end, &cp))
                return 0;
            r->p += 4;
            if (cp == 0 || (cp >= 0xdc00 && cp <= 0xdfff))
                return 0;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' ||
                    !hex4(r->p + 2, r->end, &lo) || lo < 0xdc00 || lo > 0xdfff)
                    return 0;
                r->p += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            o = put_utf8(o, cp);
            break;
        }
        default: return 0;
        }
    }
    r->p++;
    v->len = (size_t)(o - v->s);
    *o++ = '\0';
    r->out = o;
    v->type = JL_STRING;
    return 1;
}

static int
word(struct rd *r, const char *w, size_t n)
{
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
        return 0;
    r->p += n;
    return 1;
}

int
jl_read(struct jl_line *jl, const char *line, size_t n, const char *const *keys,
        struct jl_value *vals, size_t n_keys)
{
    size_t bad;
    for (size_t k = 0; k < n_keys; k++)
        vals[k].type = JL_ABSENT;
    /* valid UTF-8 without NUL, or Jansson says what is wrong */
    if (!pf_utf8_valid(line, n, &bad))
        return 0;
    /* decoded strings are never longer than their text, plus a NUL each */
    if (jl->cap < 2 * n + 16) {
        free(jl->buf);
        jl->cap = 2 * n + 16;
        jl->buf = pf_xmalloc(jl->cap);
    }
    struct rd r = {line, line + n, jl->buf};
    struct jl_value seen[JL_MAX_KEYS];
    size_t n_seen = 0;
    skip_ws(&r);
    if (r.p == r.end || *r.p != '{')
        return 0;
    r.p++;
    skip_ws(&r);
    if (r.p < r.end && *r.p == '}') {
        r.p++;
    } else {
        for (;;) {
            struct jl_value key, val = {JL_ABSENT, NULL, 0};
            if (r.p == r.end || *r.p != '"' || n_seen == JL_MAX_KEYS ||
                !string(&r, &key))
                return 0;
            /* a key twice: Jansson refuses the line, and says so */
            for (size_t i = 0; i < n_seen; i++)
                if (seen[i].len == key.len &&
                    memcmp(seen[i].s, key.s, key.len) == 0)
                    return 0;
            seen[n_seen++] = key;
            skip_ws(&r);
            if (r.p == r.end || *r.p != ':')
                return 0;
            r.p++;
            skip_ws(&r);
            if (r.p == r.end)
                return 0;
            if (*r.p == '"') {
                if (!string(&r, &val))
                    return 0;
            } else if (word(&r, "null", 4)) {
                val.type = JL_NULL;
            } else if (word(&r, "true", 4)) {
                val.type = JL_TRUE;
            } else if (word(&r, "false", 5)) {
                val.type = JL_FALSE;
            } else {
                return 0; /* a number, an array, an object: Jansson's */
            }
            for (size_t k = 0; k < n_keys; k++)
                if (strlen(keys[k]) == key.len &&
                    memcmp(keys[k], key.s, key.len) == 0)
                    vals[k] = val;
            skip_ws(&r);
            if (r.p == r.end)
                return 0;
            if (*r.p == '}') {
                r.p++;
                break;
            }
            if (*r.p != ',')
                return 0;
            r.p++;
            skip_ws(&r);
        }
    }
    skip_ws(&r);
    return r.p == r.end;
}

void
jl_free(struct jl_line *jl)
{
    free(jl->buf);
    memset(jl, 0, sizeof(*jl));
}

void
jl_write(struct jw *w, const struct jl_value *v)
{
    switch (v->type) {
    case JL_STRING: jw_str(w, v->s, v->len); break;
    case JL_TRUE: jw_lit(w, "true"); break;
    case JL_FALSE: jw_lit(w, "false"); break;
    default: jw_lit(w, "null"); break;
    }
}
