/*
 * prom.c - see prom.h.
 */
#include "prom.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"

int
tu_http_raw(int port, const char *raw, size_t len, char **body, int timeout_ms)
{
    return tu_http_full(port, raw, len, NULL, body, timeout_ms);
}

int
tu_http_full(int port, const char *raw, size_t len, char **head, char **body,
             int timeout_ms)
{
    struct sockaddr_in sa;
    struct pf_buf in = PF_BUF_INIT;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (body)
        *body = NULL;
    if (fd < 0)
        return 0;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return 0;
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t off = 0;
    for (;;) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long ms =
            (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (ms >= timeout_ms)
            break;
        struct pollfd pfd = {fd, POLLIN | (off < len ? POLLOUT : 0), 0};
        if (poll(&pfd, 1, (int)(timeout_ms - ms)) <= 0)
            break;
        if ((pfd.revents & POLLOUT) && off < len) {
            ssize_t w = send(fd, raw + off, len - off, MSG_NOSIGNAL);
            if (w < 0)
                off = len; /* the server closed; read what it said */
            else
                off += (size_t)w;
        }
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[16384];
            ssize_t r = recv(fd, buf, sizeof(buf), 0);
            if (r <= 0)
                break;
            pf_buf_add(&in, buf, (size_t)r);
        }
    }
    close(fd);
    pf_buf_addstr(&in, "");
    int status = 0;
    const char *b = in.data;
    if (!strncmp(in.data, "HTTP/1.", 7) && in.len > 12) {
        status = atoi(in.data + 9);
        const char *e = strstr(in.data, "\r\n\r\n");
        b = e ? e + 4 : in.data + in.len;
    }
    if (head)
        *head = pf_xasprintf("%.*s", (int)(b - in.data), in.data);
    if (body)
        *body = pf_xstrdup(b);
    pf_buf_release(&in);
    return status;
}

int
tu_http_get(int port, const char *path, char **body)
{
    char *req = pf_xasprintf("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Connection: close\r\n\r\n",
                             path);
    int st = tu_http_raw(port, req, strlen(req), body, 5000);
    free(req);
    return st;
}

/* ---- the exposition format ---- */

static char err_buf[512];

#define FAIL(...)                                                              \
    do {                                                                       \
        snprintf(err_buf, sizeof(err_buf), __VA_ARGS__);                       \
        goto fail;                                                             \
    } while (0)

static int
name_ok(const char *s, size_t n, int metric)
{
    if (!n || isdigit((unsigned char)s[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
            !(metric && s[i] == ':'))
            return 0;
    return 1;
}

static int
value_ok(const char *s, double *v)
{
    char *end;
    if (!strcmp(s, "+Inf"))
        return *v = INFINITY, 1;
    if (!strcmp(s, "-Inf"))
        return *v = -INFINITY, 1;
    if (!strcmp(s, "NaN"))
        return *v = NAN, 1;
    if (!*s || isspace((unsigned char)*s))
        return 0;
    *v = strtod(s, &end);
    return *end == '\0' && !strchr(s, 'x') && !strchr(s, 'X') &&
           strncasecmp(s, "inf", 3) && strncasecmp(s, "nan", 3);
}

struct fam {
    char name[128];
    char type[16];
    int help, typed, done;
};

static struct fam *
fam_get(struct fam *f, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(f[i].name, name))
            return &f[i];
    if (*n >= 256)
        return NULL;
    memset(&f[*n], 0, sizeof(f[*n]));
    snprintf(f[*n].name, sizeof(f[*n].name), "%s", name);
    return &f[(*n)++];
}

/* the family a sample name belongs to, given the TYPEs seen */
static struct fam *
family_of(struct fam *f, size_t n, const char *name)
{
    static const char *const sfx[] = {"_bucket", "_sum", "_count"};
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(f[i].name, name))
            return &f[i];
        size_t l = strlen(f[i].name);
        if (!strcmp(f[i].type, "histogram") && !strncmp(name, f[i].name, l))
            for (size_t k = 0; k < 3; k++)
                if (!strcmp(name + l, sfx[k]))
                    return &f[i];
    }
    return NULL;
}

/* labels without le="...": the series a bucket belongs to */
static char *
without_le(const char *labels, char **le)
{
    struct pf_buf b = PF_BUF_INIT;
    const char *p = labels;
    *le = NULL;
    while (*p) {
        const char *q = p;
        int inq = 0;
        while (*q && (inq || *q != ',')) {
            if (*q == '\\' && inq)
                q++;
            else if (*q == '"')
                inq = !inq;
            q++;
        }
        if (!strncmp(p, "le=\"", 4))
            *le = pf_xstrndup(p + 4, (size_t)(q - p) - 5);
        else {
            if (b.len)
                pf_buf_addch(&b, ',');
            pf_buf_add(&b, p, (size_t)(q - p));
        }
        p = *q ? q + 1 : q;
    }
    pf_buf_addstr(&b, "");
    return pf_buf_detach(&b, NULL);
}

static const char *
check_histograms(const struct prom *p, struct fam *f, size_t nf)
{
    for (size_t i = 0; i < nf; i++) {
        if (strcmp(f[i].type, "histogram"))
            continue;
        char bucket[160], count[160];
        snprintf(bucket, sizeof(bucket), "%s_bucket", f[i].name);
        snprintf(count, sizeof(count), "%s_count", f[i].name);
        for (size_t k = 0; k < p->n; k++) {
            if (strcmp(p->s[k].name, count))
                continue;
            double last = -1, inf = NAN;
            double prev_le = -INFINITY;
            for (size_t j = 0; j < p->n; j++) {
                char *le;
                if (strcmp(p->s[j].name, bucket))
                    continue;
                char *rest = without_le(p->s[j].labels, &le);
                if (!le) {
                    free(rest);
                    snprintf(err_buf, sizeof(err_buf),
                             "%s{%s}: a bucket without le", bucket,
                             p->s[j].labels);
                    return err_buf;
                }
                if (strcmp(rest, p->s[k].labels) == 0) {
                    double lev;
                    if (!value_ok(le, &lev) || lev <= prev_le ||
                        p->s[j].v < last) {
                        snprintf(err_buf, sizeof(err_buf),
                                 "%s{%s}: buckets not ascending or not "
                                 "cumulative",
                                 bucket, p->s[j].labels);
                        free(rest), free(le);
                        return err_buf;
                    }
                    prev_le = lev;
                    last = p->s[j].v;
                    if (isinf(lev))
                        inf = p->s[j].v;
                }
                free(rest);
                free(le);
            }
            if (isnan(inf) || inf != p->s[k].v) {
                snprintf(err_buf, sizeof(err_buf),
                         "%s{%s}: no le=\"+Inf\" bucket equal to _count",
                         f[i].name, p->s[k].labels);
                return err_buf;
            }
        }
    }
    return NULL;
}

const char *
prom_parse(const char *text, struct prom *p)
{
    struct fam *f = pf_xcalloc(256, sizeof(*f));
    size_t nf = 0, line_no = 0, cap = 0;
    struct fam *cur = NULL;
    memset(p, 0, sizeof(*p));
    if (*text && text[strlen(text) - 1] != '\n') {
        snprintf(err_buf, sizeof(err_buf), "the last line has no newline");
        goto fail;
    }
    for (const char *l = text; *l;) {
        const char *nl = strchr(l, '\n');
        char *line = pf_xstrndup(l, (size_t)(nl - l));
        l = nl + 1;
        line_no++;
        if (!*line) {
            free(line);
            continue;
        }
        if (line[0] == '#') {
            char kw[8], name[128];
            int used = 0;
            if (sscanf(line, "# %7s %127s %n", kw, name, &used) >= 2 &&
                (!strcmp(kw, "HELP") || !strcmp(kw, "TYPE"))) {
                if (!name_ok(name, strlen(name), 1)) {
                    free(line);
                    FAIL("line %zu: bad metric name '%s'", line_no, name);
                }
                struct fam *fm = fam_get(f, &nf, name);
                if (!fm || fm->done) {
                    free(line);
                    FAIL("line %zu: %s for '%s' again or after its samples",
                         line_no, kw, name);
                }
                if (!strcmp(kw, "TYPE")) {
                    const char *t = line + used;
                    if (fm->typed ||
                        (strcmp(t, "counter") && strcmp(t, "gauge") &&
                         strcmp(t, "histogram") && strcmp(t, "summary") &&
                         strcmp(t, "untyped"))) {
                        free(line);
                        FAIL("line %zu: bad or second TYPE", line_no);
                    }
                    snprintf(fm->type, sizeof(fm->type), "%s", t);
                    fm->typed = 1;
                } else {
                    if (fm->help) {
                        free(line);
                        FAIL("line %zu: a second HELP for '%s'", line_no, name);
                    }
                    fm->help = 1;
                }
                if (cur && cur != fm)
                    cur->done = 1;
                cur = fm;
            }
            free(line);
            continue;
        }
        /* a sample: name{labels} value [timestamp] */
        size_t n = strcspn(line, "{ ");
        if (!name_ok(line, n, 1)) {
            free(line);
            FAIL("line %zu: bad metric name", line_no);
        }
        char *name = pf_xstrndup(line, n);
        const char *q = line + n;
        struct pf_buf labels = PF_BUF_INIT;
        if (*q == '{') {
            q++;
            char seen[16][64];
            size_t n_seen = 0;
            while (*q != '}') {
                size_t ln = strcspn(q, "=");
                if (!name_ok(q, ln, 0) || q[ln] != '=' || q[ln + 1] != '"' ||
                    ln >= 64 || n_seen >= 16) {
                    free(line), free(name), pf_buf_release(&labels);
                    FAIL("line %zu: bad label", line_no);
                }
                for (size_t i = 0; i < n_seen; i++)
                    if (strlen(seen[i]) == ln && !strncmp(seen[i], q, ln)) {
                        free(line), free(name), pf_buf_release(&labels);
                        FAIL("line %zu: label named twice", line_no);
                    }
                snprintf(seen[n_seen++], 64, "%.*s", (int)ln, q);
                const char *v = q + ln + 2;
                while (*v && *v != '"') {
                    if (*v == '\\' && v[1] != '\\' && v[1] != '"' &&
                        v[1] != 'n') {
                        free(line), free(name), pf_buf_release(&labels);
                        FAIL("line %zu: bad escape in a label value", line_no);
                    }
                    v += *v == '\\' ? 2 : 1;
                }
                if (*v != '"') {
                    free(line), free(name), pf_buf_release(&labels);
                    FAIL("line %zu: unterminated label value", line_no);
                }
                if (labels.len)
                    pf_buf_addch(&labels, ',');
                pf_buf_add(&labels, q, (size_t)(v + 1 - q));
                q = v + 1;
                if (*q == ',')
                    q++;
                else if (*q != '}') {
                    free(line), free(name), pf_buf_release(&labels);
                    FAIL("line %zu: expected , or }", line_no);
                }
            }
            q++;
        }
        pf_buf_addstr(&labels, "");
        if (*q != ' ') {
            free(line), free(name), pf_buf_release(&labels);
            FAIL("line %zu: no space before the value", line_no);
        }
        q++;
        char vs[64] = "", ts[64] = "";
        int k = sscanf(q, "%63s %63s", vs, ts);
        double v;
        if (k < 1 || !value_ok(vs, &v) ||
            (k == 2 && strspn(ts, "-0123456789") != strlen(ts))) {
            free(line), free(name), pf_buf_release(&labels);
            FAIL("line %zu: bad value '%s'", line_no, vs);
        }
        struct fam *fm = family_of(f, nf, name);
        if (!fm || !fm->typed || fm->done) {
            snprintf(err_buf, sizeof(err_buf),
                     "line %zu: a sample of '%s' without its TYPE before it, "
                     "or apart from its family",
                     line_no, name);
            free(line), free(name), pf_buf_release(&labels);
            goto fail;
        }
        if (cur && cur != fm)
            cur->done = 1;
        cur = fm;
        if (!strcmp(fm->type, "counter") && (v < 0 || isnan(v))) {
            free(line), free(name), pf_buf_release(&labels);
            FAIL("line %zu: a negative counter", line_no);
        }
        for (size_t i = 0; i < p->n; i++)
            if (!strcmp(p->s[i].name, name) &&
                !strcmp(p->s[i].labels, labels.data)) {
                free(line), free(name), pf_buf_release(&labels);
                FAIL("line %zu: the series is there twice", line_no);
            }
        if (p->n == cap) {
            cap = cap ? cap * 2 : 64;
            p->s = pf_xrealloc(p->s, cap * sizeof(*p->s));
        }
        p->s[p->n].name = name;
        p->s[p->n].labels = pf_buf_detach(&labels, NULL);
        p->s[p->n].v = v;
        p->n++;
        free(line);
    }
    const char *e = check_histograms(p, f, nf);
    free(f);
    return e;
fail:
    free(f);
    return err_buf;
}

double
prom_get(const struct prom *p, const char *name, const char *labels)
{
    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->s[i].name, name) && !strcmp(p->s[i].labels, labels))
            return p->s[i].v;
    return NAN;
}

void
prom_free(struct prom *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->s[i].name);
        free(p->s[i].labels);
    }
    free(p->s);
    memset(p, 0, sizeof(*p));
}
