/*
 * util.h - small helpers every module uses: allocation that aborts on
 * out-of-memory, a growable byte buffer, and string helpers.
 */
#ifndef PF_UTIL_H
#define PF_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define PF_ATTR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define PF_NORETURN __attribute__((noreturn))
#else
#define PF_ATTR_PRINTF(f, a)
#define PF_NORETURN
#endif

#define PF_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation for internal, small, bounded sizes: aborts on failure. */
void *pf_xmalloc(size_t n);
void *pf_xcalloc(size_t n, size_t size);
void *pf_xrealloc(void *p, size_t n);
char *pf_xstrdup(const char *s);
char *pf_xstrndup(const char *s, size_t n);
char *pf_xasprintf(const char *fmt, ...) PF_ATTR_PRINTF(1, 2);

/* Print "pokerface: fatal: ..." and abort. For impossible situations. */
PF_NORETURN void pf_die(const char *fmt, ...) PF_ATTR_PRINTF(1, 2);

/*
 * A growable byte buffer, always NUL-terminated once anything was added.
 * Initialize with PF_BUF_INIT or pf_buf_init(); release with
 * pf_buf_release(). Growth aborts on out-of-memory.
 */
struct pf_buf {
    char *data;
    size_t len;
    size_t cap;
};
#define PF_BUF_INIT                                                            \
    {                                                                          \
        NULL, 0, 0                                                             \
    }

void pf_buf_init(struct pf_buf *b);
void pf_buf_release(struct pf_buf *b);
void pf_buf_reset(struct pf_buf *b); /* len = 0, keeps the memory */
void pf_buf_grow(struct pf_buf *b, size_t extra);
void pf_buf_add(struct pf_buf *b, const void *p, size_t n);
void pf_buf_addstr(struct pf_buf *b, const char *s);
void pf_buf_addch(struct pf_buf *b, char c);
void pf_buf_addf(struct pf_buf *b, const char *fmt, ...) PF_ATTR_PRINTF(2, 3);
void pf_buf_vaddf(struct pf_buf *b, const char *fmt, va_list ap)
    PF_ATTR_PRINTF(2, 0);
/* Give the data away (caller frees); the buffer is empty afterwards. */
char *pf_buf_detach(struct pf_buf *b, size_t *len);

/*
 * Read a whole file into b (appending). Returns 0, or a negative PF_E*
 * code with errno set: PF_ENOTFOUND when missing, PF_ETOOBIG beyond max.
 */
int pf_read_file(const char *path, size_t max, struct pf_buf *b);

/* All of p[0..n) to fd, through short writes and EINTR: 0, or -1 with
   errno. */
int pf_write_all(int fd, const void *p, size_t n);

/* snprintf into a fixed buffer, truncating at a UTF-8 boundary. */
void pf_snprintf(char *dst, size_t cap, const char *fmt, ...)
    PF_ATTR_PRINTF(3, 4);

/* Levenshtein distance of two short ASCII strings, capped at cap + 1. */
unsigned pf_edit_distance(const char *a, const char *b, unsigned cap);

/* Directory part of path into a new string ("." when there is none). */
char *pf_dirname(const char *path);
/* Join dir and rel unless rel is absolute; a new string. */
char *pf_path_join(const char *dir, const char *rel);
/* Directory of the running executable, a new string, or NULL. */
char *pf_exe_dir(void);

/* Monotonic and wall clocks in microseconds; monotonic in nanoseconds. */
int64_t pf_now_us(void);
int64_t pf_now_ns(void);
/* The same clock at tick resolution (a few ms), several times cheaper:
   for time budgets, not for measuring. */
int64_t pf_coarse_ns(void);
int64_t pf_wall_us(void);

#endif
