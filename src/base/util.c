/*
 * util.c - allocation, the growable buffer, file and path helpers, clocks.
 *
 * Allocation failure of the small internal sizes handled here is not
 * recoverable in any useful way, so these helpers abort (as Redis and h2o
 * do); sizes driven by remote input are capped by their callers first.
 */
#include "base/util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pokerface/plugin.h"

void
pf_die(const char *fmt, ...)
{
    va_list ap;
    fputs("pokerface: fatal: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

void *
pf_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        pf_die("out of memory allocating %zu bytes", n);
    return p;
}

void *
pf_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        pf_die("out of memory allocating %zu x %zu bytes", n, size);
    return p;
}

void *
pf_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        pf_die("out of memory allocating %zu bytes", n);
    return q;
}

char *
pf_xstrdup(const char *s)
{
    return pf_xstrndup(s, strlen(s));
}

char *
pf_xstrndup(const char *s, size_t n)
{
    char *p = pf_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
pf_xasprintf(const char *fmt, ...)
{
    struct pf_buf b = PF_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    pf_buf_vaddf(&b, fmt, ap);
    va_end(ap);
    if (!b.data)
        return pf_xstrdup("");
    return pf_buf_detach(&b, NULL);
}

void
pf_buf_init(struct pf_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void
pf_buf_release(struct pf_buf *b)
{
    free(b->data);
    pf_buf_init(b);
}

void
pf_buf_reset(struct pf_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void
pf_buf_grow(struct pf_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need < b->len)
        pf_die("buffer size overflow");
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap < SIZE_MAX / 2 ? cap * 2 : need;
    b->data = pf_xrealloc(b->data, cap);
    b->cap = cap;
}

void
pf_buf_add(struct pf_buf *b, const void *p, size_t n)
{
    pf_buf_grow(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void
pf_buf_addstr(struct pf_buf *b, const char *s)
{
    pf_buf_add(b, s, strlen(s));
}

void
pf_buf_addch(struct pf_buf *b, char c)
{
    pf_buf_add(b, &c, 1);
}

void
pf_buf_vaddf(struct pf_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    int n;
    pf_buf_grow(b, 64);
    va_copy(cp, ap);
    n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, cp);
    va_end(cp);
    if (n < 0)
        pf_die("vsnprintf failed");
    if ((size_t)n >= b->cap - b->len) {
        pf_buf_grow(b, (size_t)n);
        va_copy(cp, ap);
        vsnprintf(b->data + b->len, b->cap - b->len, fmt, cp);
        va_end(cp);
    }
    b->len += (size_t)n;
}

void
pf_buf_addf(struct pf_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pf_buf_vaddf(b, fmt, ap);
    va_end(ap);
}

char *
pf_buf_detach(struct pf_buf *b, size_t *len)
{
    char *p;
    if (!b->data)
        pf_buf_grow(b, 0), b->data[0] = '\0';
    p = b->data;
    if (len)
        *len = b->len;
    pf_buf_init(b);
    return p;
}

int
pf_read_file(const char *path, size_t max, struct pf_buf *b)
{
    FILE *f = fopen(path, "rb");
    char chunk[8192];
    size_t n, total = 0;
    if (!f)
        return errno == ENOENT ? PF_ENOTFOUND : PF_ERR;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        total += n;
        if (total > max) {
            fclose(f);
            errno = EFBIG;
            return PF_ETOOBIG;
        }
        pf_buf_add(b, chunk, n);
    }
    if (ferror(f)) {
        int e = errno;
        fclose(f);
        errno = e;
        return PF_ERR;
    }
    fclose(f);
    if (!b->data)
        pf_buf_grow(b, 0), b->data[0] = '\0';
    return PF_OK;
}

int
pf_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

void
pf_snprintf(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (cap == 0)
        return;
    va_start(ap, fmt);
    n = vsnprintf(dst, cap, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n >= cap) {
        /* cut back to the start of a UTF-8 character */
        size_t end = cap - 1;
        while (end > 0 && ((unsigned char)dst[end] & 0xC0) == 0x80)
            end--;
        dst[end] = '\0';
    }
}

unsigned
pf_edit_distance(const char *a, const char *b, unsigned cap)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned row[64], i, j;
    if (la >= 63 || lb >= 63)
        return cap + 1;
    for (j = 0; j <= lb; j++)
        row[j] = j;
    for (i = 1; i <= la; i++) {
        unsigned prev = row[0], best;
        row[0] = i;
        best = row[0];
        for (j = 1; j <= lb; j++) {
            unsigned cur = row[j];
            unsigned sub = prev + (a[i - 1] != b[j - 1]);
            unsigned del = row[j] + 1, ins = row[j - 1] + 1;
            row[j] =
                sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            prev = cur;
            if (row[j] < best)
                best = row[j];
        }
        if (best > cap)
            return cap + 1;
    }
    return row[lb];
}

char *
pf_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return pf_xstrdup(".");
    if (slash == path)
        return pf_xstrdup("/");
    return pf_xstrndup(path, (size_t)(slash - path));
}

char *
pf_path_join(const char *dir, const char *rel)
{
    if (rel[0] == '/' || !dir || !dir[0])
        return pf_xstrdup(rel);
    return pf_xasprintf("%s/%s", dir, rel);
}

char *
pf_exe_dir(void)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    if (n <= 0)
        return NULL;
    path[n] = '\0';
    return pf_dirname(path);
}

int64_t
pf_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
pf_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
pf_coarse_ns(void)
{
    struct timespec ts;
#ifdef CLOCK_MONOTONIC_COARSE
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
#else
    clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
pf_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
