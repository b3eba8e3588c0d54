/*
 * verdict.c - see verdict.h.
 */
#include "rules/verdict.h"

#include <math.h>
#include <string.h>

#include "text/utf8.h"

int
pf_label_valid(const char *s)
{
    size_t n = strnlen(s, PF_LABEL_MAX);
    if (n == 0 || n >= PF_LABEL_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* NUL-terminate buf and cut it before the first invalid UTF-8 byte */
static void
clean_string(char *buf, size_t cap)
{
    size_t bad;
    buf[cap - 1] = '\0';
    size_t n = strlen(buf);
    if (!pf_utf8_valid(buf, n, &bad))
        buf[bad] = '\0';
}

static int
on_boundary(const struct pf_msg *m, size_t off)
{
    return off == 0 || off >= m->text_len ||
           ((unsigned char)m->text[off] & 0xC0) != 0x80;
}

int
pf_verdict_sanitize(struct pf_finding *f, const struct pf_msg *msg,
                    const char *fallback_label)
{
    int rc = 0;
    clean_string(f->label, sizeof(f->label));
    clean_string(f->reason, sizeof(f->reason));
    clean_string(f->suggestion, sizeof(f->suggestion));
    if (!pf_label_valid(f->label))
        pf_strlcpy(f->label, fallback_label, sizeof(f->label));
    if (isnan(f->score) || isinf(f->score)) {
        f->score = 1;
        rc = PF_EINVAL;
    } else if (f->score < 0) {
        f->score = 0;
    } else if (f->score > 1) {
        f->score = 1;
    }
    if (f->n_spans > PF_SPANS_MAX)
        f->n_spans = PF_SPANS_MAX;
    uint32_t out = 0;
    for (uint32_t i = 0; i < f->n_spans; i++) {
        struct pf_span s = f->spans[i];
        if (s.len == 0 || s.off > msg->text_len ||
            s.len > msg->text_len - s.off || !on_boundary(msg, s.off) ||
            !on_boundary(msg, (size_t)s.off + s.len))
            continue;
        f->spans[out++] = s;
    }
    f->n_spans = out;
    return rc;
}
