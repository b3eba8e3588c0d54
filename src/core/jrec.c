/*
 * jrec.c - see jrec.h. A recursive descent over RFC 8259 text with
 * Jansson's rules where they differ from a lenient reader: no NUL
 * (\u0000), no lone surrogate, valid UTF-8 only, integers that fit
 * json_int_t, nothing but white space after the object.
 */
#include "core/jrec.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

#define MAX_DEPTH 64

struct rd {
    const unsigned char *p, *end;
    struct pf_jrec *rec;
};

static void
ws(struct rd *r)
{
    while (r->p < r->end &&
           (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static int
hex4(const unsigned char *p, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            return 0;
        *v = *v << 4 | d;
    }
    return 1;
}

/* bytes of the valid UTF-8 sequence at p, or 0 */
static size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static char *
put_cp(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xc0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xe0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *o++ = (char)(0xf0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 0x3f));
        *o++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    }
    return o;
}

/* a string at r->p (at its quote); decoded into rec->buf when out, else
   only checked */
static int
string(struct rd *r, const char **out)
{
    char *o = NULL;
    r->p++;
    if (out)
        o = r->rec->buf + r->rec->len;
    while (r->p < r->end && *r->p != '"') {
        unsigned c = *r->p;
        if (c < 0x20)
            return 0;
        if (c != '\\') {
            size_t n = utf8_len(r->p, r->end);
            if (!n)
                return 0;
            if (o) {
                memcpy(o, r->p, n);
                o += n;
            }
            r->p += n;
            continue;
        }
        if (r->end - r->p < 2)
            return 0;
        unsigned e = r->p[1], cp;
        r->p += 2;
        switch (e) {
        case '"': cp = '"'; break;
        case '\\': cp = '\\'; break;
        case '/': cp = '/'; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            if (r->end - r->p < 4 || !hex4(r->p, &cp))
                return 0;
            r->p += 4;
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return 0;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                unsigned lo;
                if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' ||
                    !hex4(r->p + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
                    return 0;
                r->p += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (cp == 0)
                return 0;
            break;
        default: return 0;
        }
        if (o)
            o = put_cp(o, cp);
    }
    if (r->p >= r->end)
        return 0;
    r->p++;
    if (o) {
        *o++ = '\0';
        *out = r->rec->buf + r->rec->len;
        r->rec->len = (size_t)(o - r->rec->buf);
    }
    return 1;
}

/* a number; *is_int when it is an integer that fits */
static int
number(struct rd *r, int64_t *v, int *is_int)
{
    int neg = 0, frac = 0;
    uint64_t u = 0, lim;
    if (r->p < r->end && *r->p == '-')
        neg = 1, r->p++;
    if (r->p >= r->end || *r->p < '0' || *r->p > '9')
        return 0;
    if (*r->p == '0') {
        r->p++;
    } else {
        lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
            unsigned d = *r->p++ - '0';
            if (u > (lim - d) / 10)
                u = lim + 1; /* too big: Jansson refuses it */
            else
                u = u * 10 + d;
        }
        if (u > lim &&
            !(r->p < r->end && (*r->p == '.' || (*r->p | 0x20) == 'e')))
            return 0;
    }
    if (r->p < r->end && *r->p == '.') {
        frac = 1;
        r->p++;
        if (r->p >= r->end || *r->p < '0' || *r->p > '9')
            return 0;
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
    }
    if (r->p < r->end && (*r->p | 0x20) == 'e') {
        frac = 1;
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            r->p++;
        if (r->p >= r->end || *r->p < '0' || *r->p > '9')
            return 0;
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
    }
    *is_int = !frac;
    if (!frac)
        *v = neg ? (int64_t)(0 - u) : (int64_t)u;
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

static int value(struct rd *r, int depth, struct pf_jrec_member *m);

/* an object at r->p; its members go in rec at depth 0 */
static int
object(struct rd *r, int depth)
{
    r->p++;
    ws(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        return 1;
    }
    for (;;) {
        struct pf_jrec_member tmp, *m = &tmp;
        const char *key = NULL;
        ws(r);
        if (r->p >= r->end || *r->p != '"' ||
            !string(r, depth == 0 ? &key : NULL))
            return 0;
        ws(r);
        if (r->p >= r->end || *r->p != ':')
            return 0;
        r->p++;
        ws(r);
        if (depth == 0) {
            struct pf_jrec *rec = r->rec;
            if (rec->n == rec->cap_m) {
                rec->cap_m = rec->cap_m ? rec->cap_m * 2 : 16;
                rec->m = pf_xrealloc(rec->m, rec->cap_m * sizeof(*rec->m));
            }
            m = &rec->m[rec->n++];
            memset(m, 0, sizeof(*m));
            m->key = key;
        }
        if (!value(r, depth, depth == 0 ? m : NULL))
            return 0;
        ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == '}') {
            r->p++;
            return 1;
        }
        return 0;
    }
}

static int
array(struct rd *r, int depth)
{
    r->p++;
    ws(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        return 1;
    }
    for (;;) {
        ws(r);
        if (!value(r, depth, NULL))
            return 0;
        ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == ']') {
            r->p++;
            return 1;
        }
        return 0;
    }
}

/* a member's value (m: of the top object, to be kept; else only read) */
static int
value(struct rd *r, int depth, struct pf_jrec_member *m)
{
    const unsigned char *start = r->p;
    int ok, is_int = 0;
    int64_t v = 0;
    if (r->p >= r->end || depth >= MAX_DEPTH)
        return 0;
    switch (*r->p) {
    case '"':
        ok = string(r, m ? &(m->s) : NULL);
        if (ok && m)
            m->kind = PF_JV_STRING;
        return ok;
    case '{': ok = object(r, depth + 1); break;
    case '[': ok = array(r, depth + 1); break;
    case 't': ok = word(r, "true", 4); break;
    case 'f': ok = word(r, "false", 5); break;
    case 'n': ok = word(r, "null", 4); break;
    default: ok = number(r, &v, &is_int); break;
    }
    if (ok && m) {
        m->kind = *start == '{' ? PF_JV_OBJECT
                  : is_int      ? PF_JV_INT
                                : PF_JV_OTHER;
        m->i = v;
        m->raw = (const char *)start;
        m->raw_len = (size_t)(r->p - start);
    }
    return ok;
}

int
pf_jrec_read(struct pf_jrec *rec, const char *p, size_t n)
{
    struct rd r = {(const unsigned char *)p, (const unsigned char *)p + n, rec};
    /* decoded strings are never longer than their text, plus a NUL each
       (a string is at least two bytes of text) */
    if (rec->cap < n + 1) {
        free(rec->buf);
        rec->cap = n + 1;
        rec->buf = pf_xmalloc(rec->cap);
    }
    rec->len = 0;
    rec->n = 0;
    ws(&r);
    if (r.p >= r.end || *r.p != '{' || !object(&r, 0))
        return 0;
    ws(&r);
    return r.p == r.end;
}

const struct pf_jrec_member *
pf_jrec_get(const struct pf_jrec *rec, const char *key)
{
    for (size_t i = rec->n; i-- > 0;)
        if (strcmp(rec->m[i].key, key) == 0)
            return &rec->m[i];
    return NULL;
}

const char *
pf_jrec_str(const struct pf_jrec *rec, const char *key)
{
    const struct pf_jrec_member *m = pf_jrec_get(rec, key);
    return m && m->kind == PF_JV_STRING ? m->s : "";
}

int64_t
pf_jrec_int(const struct pf_jrec *rec, const char *key)
{
    const struct pf_jrec_member *m = pf_jrec_get(rec, key);
    return m && m->kind == PF_JV_INT ? m->i : 0;
}

void
pf_jrec_release(struct pf_jrec *rec)
{
    free(rec->m);
    free(rec->buf);
    memset(rec, 0, sizeof(*rec));
}
