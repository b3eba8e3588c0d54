/*
 * jobs.c - see jobs.h.
 *
 * The parent maps the file, cuts the chunks and counts their line
 * numbers, then forks. The chunks are taken in order through a counter
 * in shared memory. Each worker has a pipe to the parent on which it
 * writes two small fixed-size messages per chunk (started, done: each one
 * write(), so never torn), and a temporary file, opened by the parent
 * before the fork, that it appends its output to. The parent polls the
 * pipes; a pipe at its end is a worker gone, which is then reaped, and
 * the chunk it had started (if any) is marked as failed with the reason;
 * a new worker takes its place while chunks are left (so a plugin that
 * crashes on a few lines costs those chunks, not the parallelism).
 * Chunks not taken when every worker is gone are failed too. The parent
 * copies each chunk from its worker's file with pread() when it and all
 * before it are settled, and punches the copied bytes out of the file.
 */
#define _GNU_SOURCE
#include "cli/jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"

/* chunks per worker: small enough that the last ones even out the
   workers, large enough that their bookkeeping costs nothing */
#define CHUNKS_PER_JOB 32
#define CHUNK_MIN (16 * 1024)
#define CHUNK_MAX (4 * 1024 * 1024)

enum { CH_PENDING, CH_STARTED, CH_DONE, CH_FAILED };

struct chunk {
    size_t off, len;           /* in the mapping */
    size_t first, last;        /* its line numbers */
    int state, worker;         /* worker: who started it, or -1 */
    uint64_t out_off, out_len; /* CH_DONE: its output in worker's file */
    long counts[PF_JOBS_COUNTS];
};

/* worker -> parent, one write each: far below PIPE_BUF */
struct msg {
    uint64_t chunk;
    uint64_t done; /* 0: started, 1: done */
    uint64_t out_off, out_len;
    long counts[PF_JOBS_COUNTS];
};

struct worker {
    pid_t pid;
    int status_fd; /* the pipe's read end, -1 once it ended */
    int out_fd;    /* its output file */
    long current;  /* the chunk it started and did not finish, or -1 */
    char why[128]; /* how it ended, when that was not well */
};

/* a file nobody else sees, removed when closed */
static int
tmp_fd(void)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    char *path = pf_xasprintf("%s/pokerface-jobs-XXXXXX", dir);
    fd = mkstemp(path);
    if (fd >= 0)
        unlink(path);
    free(path);
    return fd;
}

static size_t
count_newlines(const char *p, size_t n)
{
    size_t k = 0;
    const char *end = p + n, *q;
    while (p < end && (q = memchr(p, '\n', (size_t)(end - p)))) {
        k++;
        p = q + 1;
    }
    return k;
}

/* the chunks of base[0..len): whole lines, about len / (jobs *
   CHUNKS_PER_JOB) bytes each; returns how many */
static size_t
cut(const char *base, size_t len, int jobs, struct chunk **out)
{
    size_t target = len / ((size_t)jobs * CHUNKS_PER_JOB);
    if (target < CHUNK_MIN)
        target = CHUNK_MIN;
    if (target > CHUNK_MAX)
        target = CHUNK_MAX;
    size_t cap = len / target + 2, n = 0, pos = 0, line = 1;
    struct chunk *c = pf_xmalloc(cap * sizeof(*c));
    while (pos < len) {
        size_t end = len - pos > target ? pos + target : len;
        if (end < len) {
            const char *nl = memchr(base + end - 1, '\n', len - (end - 1));
            end = nl ? (size_t)(nl - base) + 1 : len;
        }
        if (n == cap)
            c = pf_xrealloc(c, (cap *= 2) * sizeof(*c));
        size_t k = count_newlines(base + pos, end - pos);
        memset(&c[n], 0, sizeof(c[n]));
        c[n].off = pos;
        c[n].len = end - pos;
        c[n].first = line;
        c[n].last = base[end - 1] == '\n' ? line + k - 1 : line + k;
        c[n].state = CH_PENDING;
        c[n].worker = -1;
        n++;
        line += k;
        pos = end;
    }
    *out = c;
    return n;
}

static void
send_msg(int fd, const struct msg *m)
{
    if (pf_write_all(fd, m, sizeof(*m)))
        _exit(1); /* the parent is gone */
}

static void __attribute__((noreturn))
work(const struct pf_jobs *j, const char *base, struct chunk *c, size_t n,
     atomic_size_t *next, int status_fd, int out_fd, pid_t parent)
{
    /* dies with the parent, whatever kills it */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1);
    uint64_t off = 0;
    for (;;) {
        size_t k = atomic_fetch_add(next, 1);
        if (k >= n)
            break;
        struct msg m;
        memset(&m, 0, sizeof(m));
        m.chunk = k;
        send_msg(status_fd, &m);
        if (j->cb(j->arg, base + c[k].off, c[k].len, c[k].first, out_fd,
                  m.counts)) {
            fprintf(stderr, "%s: a temporary file: %s\n", j->who,
                    strerror(errno));
            _exit(3);
        }
        off_t end = lseek(out_fd, 0, SEEK_CUR);
        if (end < 0)
            _exit(3);
        m.done = 1;
        m.out_off = off;
        m.out_len = (uint64_t)end - off;
        off = (uint64_t)end;
        send_msg(status_fd, &m);
    }
    _exit(0);
}

/* how a worker ended, when that was not well; "" when it was */
static void
describe_end(int st, char *why, size_t n)
{
    why[0] = '\0';
    if (WIFSIGNALED(st))
        pf_snprintf(why, n, "the worker process was killed by signal %d (%s)",
                    WTERMSIG(st), strsignal(WTERMSIG(st)));
    else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
        pf_snprintf(why, n, "the worker process exited with status %d",
                    WEXITSTATUS(st));
}

/* w's pipe ended (broken: it is killed first): reap it and fail the
   chunk it had started; 0 when it ended well, having finished all it
   started, else -1 */
static int
reap(struct worker *w, struct chunk *c, int broken)
{
    int st = 0;
    close(w->status_fd);
    w->status_fd = -1;
    if (broken)
        kill(w->pid, SIGKILL);
    while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR)
        ;
    describe_end(st, w->why, sizeof(w->why));
    if (broken && !w->why[0])
        pf_snprintf(w->why, sizeof(w->why),
                    "the worker process sent a broken message");
    if (w->current >= 0) {
        if (!w->why[0])
            pf_snprintf(w->why, sizeof(w->why),
                        "the worker process stopped before finishing them");
        c[w->current].state = CH_FAILED;
        w->current = -1;
        return -1;
    }
    return w->why[0] ? -1 : 0;
}

static void
report(const struct pf_jobs *j, const char *name, const struct chunk *c,
       const char *why)
{
    if (c->first == c->last)
        fprintf(stderr, "%s: %s: line %zu was not checked: %s\n", j->who, name,
                c->first, why);
    else
        fprintf(stderr, "%s: %s: lines %zu-%zu were not checked: %s\n", j->who,
                name, c->first, c->last, why);
}

/* chunk c, done by w, to j->out: 0, -1 when its output is short (said),
   -2 when writing j->out failed */
static int
copy_out(const struct pf_jobs *j, const char *name, const struct chunk *c,
         const struct worker *w)
{
    struct stat st;
    char buf[65536];
    if (fstat(w->out_fd, &st) != 0 ||
        (uint64_t)st.st_size < c->out_off + c->out_len) {
        report(j, name, c, "its output is short");
        return -1;
    }
    uint64_t off = c->out_off, left = c->out_len;
    while (left) {
        ssize_t r =
            pread(w->out_fd, buf,
                  left < sizeof(buf) ? (size_t)left : sizeof(buf), (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            /* not seen before: the part already written stays */
            report(j, name, c, "its output is short");
            return -1;
        }
        if (pf_write_all(j->out, buf, (size_t)r))
            return -2;
        off += (uint64_t)r;
        left -= (uint64_t)r;
    }
    /* what is copied need not stay on disk */
    if (c->out_len)
        fallocate(w->out_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                  (off_t)c->out_off, (off_t)c->out_len);
    return 0;
}

/* read one message: 1, 0 at the pipe's end, -1 when it broke */
static int
read_msg(int fd, struct msg *m)
{
    size_t got = 0;
    while (got < sizeof(*m)) {
        ssize_t r = read(fd, (char *)m + got, sizeof(*m) - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 && got == 0 ? 0 : -1;
        got += (size_t)r;
    }
    return 1;
}

/* what the workers and the parent share */
struct pool {
    const struct pf_jobs *j;
    const char *name, *base;
    struct chunk *c;
    size_t n;
    atomic_size_t *next; /* the next chunk not taken (shared memory) */
    struct worker *w;    /* every worker started, the gone ones too */
    int n_w, cap_w;
    pid_t parent;
    long *counts;
    int rc; /* 0; -1 when a chunk was not done; -2 when the output failed */
};

/* a new worker in p->w[p->n_w]; 0, or -1 when none could start */
static int
spawn(struct pool *p)
{
    if (p->n_w == p->cap_w)
        return -1;
    int fds[2], out = tmp_fd();
    if (out < 0)
        return -1;
    if (pipe(fds) != 0) {
        close(out);
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(out);
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        for (int k = 0; k < p->n_w; k++) {
            if (p->w[k].status_fd >= 0)
                close(p->w[k].status_fd);
            close(p->w[k].out_fd);
        }
        work(p->j, p->base, p->c, p->n, p->next, fds[1], out, p->parent);
    }
    close(fds[1]);
    struct worker *w = &p->w[p->n_w++];
    w->pid = pid;
    w->status_fd = fds[0];
    w->out_fd = out;
    w->current = -1;
    w->why[0] = '\0';
    return 0;
}

/* the settled chunks from *next_out on, in order, to the output; when
   no worker is left, the chunks nobody took are settled as not done */
static void
print_settled(struct pool *p, size_t *next_out, int live)
{
    while (*next_out < p->n && p->rc != -2) {
        struct chunk *x = &p->c[*next_out];
        if (x->state == CH_DONE) {
            int r = copy_out(p->j, p->name, x, &p->w[x->worker]);
            if (r == -2) {
                fprintf(stderr, "%s: standard output: %s\n", p->j->who,
                        strerror(errno));
                p->rc = -2;
                return;
            }
            if (r == 0)
                for (int k = 0; k < PF_JOBS_COUNTS; k++)
                    p->counts[k] += x->counts[k];
            else
                p->rc = -1;
        } else if (x->state == CH_FAILED) {
            report(p->j, p->name, x, p->w[x->worker].why);
            p->rc = -1;
        } else if (live == 0) {
            report(p->j, p->name, x,
                   "no worker process was left to check them");
            p->rc = -1;
        } else {
            return;
        }
        (*next_out)++;
    }
}

/* one message from worker i, or its end */
static int
on_message(struct pool *p, int i)
{
    struct worker *w = &p->w[i];
    struct msg m;
    int r = read_msg(w->status_fd, &m);
    if (r <= 0 || m.chunk >= p->n) {
        int had = w->current >= 0;
        if (reap(w, p->c, r != 0) != 0) {
            if (!p->rc)
                p->rc = -1;
            /* said with the chunk's lines when it had one */
            if (!had)
                fprintf(stderr, "%s: %s: %s\n", p->j->who, p->name, w->why);
        }
        return 0; /* gone */
    }
    struct chunk *x = &p->c[m.chunk];
    x->worker = i;
    if (!m.done) {
        x->state = CH_STARTED;
        w->current = (long)m.chunk;
    } else {
        x->state = CH_DONE;
        x->out_off = m.out_off;
        x->out_len = m.out_len;
        memcpy(x->counts, m.counts, sizeof(x->counts));
        w->current = -1;
    }
    return 1;
}

static int
run_workers(const struct pf_jobs *j, const char *name, const char *base,
            struct chunk *c, size_t n, long *counts)
{
    int nw = (size_t)j->jobs > n ? (int)n : j->jobs;
    struct pool p = {j,    name, base, c,        n,      NULL,
                     NULL, 0,    0,    getpid(), counts, 0};
    p.next = mmap(NULL, sizeof(*p.next), PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p.next == MAP_FAILED)
        return 1;
    atomic_init(p.next, 0);
    /* a worker that dies is replaced while chunks are left: each one
       takes at least one chunk, so there are n more at most */
    p.cap_w = nw + (int)(n < 4096 ? n : 4096);
    p.w = pf_xmalloc((size_t)p.cap_w * sizeof(*p.w));
    struct pollfd *pfd = pf_xmalloc((size_t)nw * sizeof(*pfd));
    int *who = pf_xmalloc((size_t)nw * sizeof(*who));
    int live = 0;
    while (live < nw && spawn(&p) == 0)
        live++;
    if (!live) {
        free(p.w);
        free(pfd);
        free(who);
        munmap(p.next, sizeof(*p.next));
        return 1;
    }

    size_t next_out = 0;
    for (;;) {
        print_settled(&p, &next_out, live);
        if (p.rc == -2 || (next_out == n && live == 0))
            break;
        int np = 0;
        for (int i = 0; i < p.n_w; i++)
            if (p.w[i].status_fd >= 0) {
                pfd[np].fd = p.w[i].status_fd;
                pfd[np].events = POLLIN;
                pfd[np].revents = 0;
                who[np++] = i;
            }
        if (poll(pfd, (nfds_t)np, -1) < 0) {
            if (errno == EINTR)
                continue;
            /* cannot happen; if it does, nothing more is printed, but
               the lines are named */
            char why[128];
            pf_snprintf(why, sizeof(why), "poll: %s", strerror(errno));
            for (; next_out < n; next_out++)
                report(j, name, &c[next_out], why);
            p.rc = -1;
            break;
        }
        for (int k = 0; k < np; k++) {
            if (!pfd[k].revents || on_message(&p, who[k]))
                continue;
            live--;
            if (atomic_load(p.next) < n && spawn(&p) == 0)
                live++;
        }
    }
    /* when stopping early: the workers still there go */
    for (int i = 0; i < p.n_w; i++) {
        if (p.w[i].status_fd >= 0) {
            close(p.w[i].status_fd);
            kill(p.w[i].pid, SIGKILL);
            while (waitpid(p.w[i].pid, NULL, 0) < 0 && errno == EINTR)
                ;
        }
        close(p.w[i].out_fd);
    }
    free(p.w);
    free(pfd);
    free(who);
    munmap(p.next, sizeof(*p.next));
    return p.rc;
}

int
pf_jobs_file(const struct pf_jobs *j, int fd, const char *name, long *counts)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return 1;
    off_t from = lseek(fd, 0, SEEK_CUR);
    if (from < 0 || from >= st.st_size)
        return 1;
    size_t size = (size_t)st.st_size, len = size - (size_t)from;
    char *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED)
        return 1;
    const char *base = map + from;
    struct chunk *c = NULL;
    size_t n = cut(base, len, j->jobs, &c);
    int rc = 1;
    if (n > 1 && j->jobs > 1)
        rc = run_workers(j, name, base, c, n, counts);
    if (rc == 1) {
        /* one chunk, or no worker could start: this process does it */
        rc = 0;
        if (j->cb(j->arg, base, len, 1, j->out, counts)) {
            fprintf(stderr, "%s: standard output: %s\n", j->who,
                    strerror(errno));
            rc = -2;
        }
    }
    free(c);
    munmap(map, size);
    lseek(fd, st.st_size, SEEK_SET);
    return rc;
}
