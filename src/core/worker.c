/*
 * worker.c - see worker.h.
 *
 * Frames on the socket pair, both ways: a u32 length, then that many
 * bytes: a u32 type and its fields (integers in the machine's order,
 * strings as a u32 length, the bytes and a NUL, or UINT32_MAX for none;
 * findings as the struct itself: both sides are the same binary).
 *
 *   bot -> worker   CHECK, OBSERVE, LEARN (an input, see put_input()),
 *                   QUIT
 *   worker -> bot   READY or FAIL (after creating the plugins), and one
 *                   RESULT per CHECK, in order
 *
 * The bot trusts nothing the worker sends beyond its shape: lengths and
 * indices are checked, every finding is sanitized again against the text
 * the bot sent, and the action is decided again by the bot's policy.
 *
 * The watchdog: the worker's pipeline writes which instance runs which
 * callback, and since when, into a page shared with the bot (struct
 * pf_stage); while the bot waits for an answer it looks there every few
 * milliseconds and stops the worker when a callback has run longer than
 * it may (allowance()).
 *
 * One file, though long: it is both ends of one protocol, in one binary,
 * so that each frame's writer and its reader, and each limit the bot
 * checks against what the worker may send, are read side by side.
 */
#define _GNU_SOURCE /* prctl, sched_getcpu */
#include "core/worker.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "core/policy.h"
#include "rules/verdict.h"

enum { M_CHECK = 1, M_OBSERVE, M_LEARN, M_QUIT, M_READY, M_FAIL, M_RESULT };

enum { W_DOWN = 0, W_STARTING, W_READY };

#define NO_STR UINT32_MAX
#define MS (INT64_C(1000000))
#define START_NS (30000 * MS) /* create() of every plugin */
#define HOST_NS (5000 * MS)   /* pokerface's own work on one message */
#define LEARN_MIN_NS (5000 * MS)
#define DESTROY_NS (2000 * MS)
#define BACKOFF_MAX_NS (60000 * MS)
/* whatever the shared page says (the worker can write anything there),
   no wait is longer than this */
#define WAIT_MAX_NS (2 * START_NS)
#define SLICE_MS 5 /* how often the watchdog looks */

/* why the worker did not answer */
struct failure {
    const char *label;          /* PF_LABEL_PLUGIN_* */
    int inst;                   /* the instance to blame, or -1 */
    char reason[PF_REASON_MAX]; /* for the hold */
    char detail[1024];          /* create() failed: the whole message */
};

struct pf_worker {
    struct pf_engine *e;
    struct pf_stage *stage; /* shared with the worker */
    pid_t pid, parent;
    int fd;
    int state;
    uint64_t seq;
    struct pf_buf out, in;
    size_t in_used; /* bytes of in that the last frame read took */
    /* checks sent ahead (pf_worker_ahead), oldest first, whose answers
       pf_worker_check() takes */
    struct ahead {
        uint64_t seq;
        const char *text; /* which input: the caller's bytes */
        size_t len;
        unsigned gen; /* the worker it went to: lost if it is gone */
    } ahead[PF_WORKER_AHEAD];
    size_t n_ahead;
    unsigned gen;          /* workers started: which one an ahead went to */
    struct failure lost;   /* why the worker of those went away */
    int64_t waiting_since; /* when the bot sent what it waits for */
    int64_t retry_at;      /* W_DOWN: no new worker before */
    size_t max_frame;
    int cpu; /* the CPU it was kept on (beside_bot()), -1 none yet, -2 never */
    struct pf_worker_stats st;
};

/* ---- frames ---- */

static void
put_u32(struct pf_buf *b, uint32_t v)
{
    pf_buf_add(b, &v, sizeof(v));
}

static void
put_i64(struct pf_buf *b, int64_t v)
{
    pf_buf_add(b, &v, sizeof(v));
}

static void
put_f64(struct pf_buf *b, double v)
{
    pf_buf_add(b, &v, sizeof(v));
}

static void
put_bytes(struct pf_buf *b, const void *p, size_t n)
{
    put_u32(b, (uint32_t)n);
    pf_buf_add(b, p, n);
    pf_buf_addch(b, '\0');
}

static void
put_str(struct pf_buf *b, const char *s)
{
    if (!s)
        put_u32(b, NO_STR);
    else
        put_bytes(b, s, strlen(s));
}

static void
put_strs(struct pf_buf *b, const char *const *v, size_t n)
{
    if (!v) {
        put_u32(b, NO_STR);
        return;
    }
    put_u32(b, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        put_str(b, v[i]);
}

/* start a frame of type t in b (emptied); end_frame() sets its length */
static void
begin_frame(struct pf_buf *b, uint32_t t)
{
    pf_buf_reset(b);
    put_u32(b, 0);
    put_u32(b, t);
}

static void
end_frame(struct pf_buf *b)
{
    uint32_t n = (uint32_t)(b->len - 4);
    memcpy(b->data, &n, 4);
}

/* a frame being read: fields are taken in order; bad is set (and
   sticks) when one does not fit */
struct rd {
    const char *p;
    size_t n;
    int bad;
};

static int
take(struct rd *r, void *out, size_t n)
{
    if (r->bad || r->n < n) {
        r->bad = 1;
        memset(out, 0, n);
        return -1;
    }
    memcpy(out, r->p, n);
    r->p += n;
    r->n -= n;
    return 0;
}

static uint32_t
get_u32(struct rd *r)
{
    uint32_t v;
    take(r, &v, sizeof(v));
    return v;
}

static int64_t
get_i64(struct rd *r)
{
    int64_t v;
    take(r, &v, sizeof(v));
    return v;
}

static double
get_f64(struct rd *r)
{
    double v;
    take(r, &v, sizeof(v));
    return v;
}

/* a string in the frame (NUL-terminated there), or NULL for none or
   when it does not fit (then r->bad); *len its length */
static const char *
get_str(struct rd *r, size_t *len)
{
    uint32_t n = get_u32(r);
    if (len)
        *len = 0;
    if (r->bad || n == NO_STR)
        return NULL;
    if ((size_t)n + 1 > r->n || r->p[n] != '\0') {
        r->bad = 1;
        return NULL;
    }
    const char *s = r->p;
    r->p += (size_t)n + 1;
    r->n -= (size_t)n + 1;
    if (len)
        *len = n;
    return s;
}

/* n strings into an array from a (NULL for none) */
static const char *const *
get_strs(struct rd *r, struct pf_arena *a, size_t *n)
{
    uint32_t k = get_u32(r);
    *n = 0;
    if (r->bad || k == NO_STR)
        return NULL;
    if (k > r->n / 5) { /* each takes five bytes at least */
        r->bad = 1;
        return NULL;
    }
    const char **v = pf_arena_calloc(a, (size_t)k + 1, sizeof(*v));
    for (uint32_t i = 0; i < k; i++)
        if (!(v[i] = get_str(r, NULL)))
            v[i] = "";
    *n = k;
    return v;
}

/* the fields of a pf_input */
static void
put_input(struct pf_buf *b, const struct pf_input *in)
{
    put_u32(b, in->flags);
    put_i64(b, in->ts_ms);
    put_bytes(b, in->text, in->len);
    put_str(b, in->author_id);
    put_str(b, in->author_name);
    put_str(b, in->route);
    put_str(b, in->platform);
    put_str(b, in->msg_id);
    put_strs(b, in->context, in->n_context);
    put_strs(b, in->team, in->n_team);
    put_strs(b, in->customers, in->n_customers);
}

static void
get_input(struct rd *r, struct pf_arena *a, struct pf_input *in)
{
    memset(in, 0, sizeof(*in));
    in->flags = get_u32(r);
    in->ts_ms = get_i64(r);
    in->text = get_str(r, &in->len);
    in->author_id = get_str(r, NULL);
    in->author_name = get_str(r, NULL);
    in->route = get_str(r, NULL);
    in->platform = get_str(r, NULL);
    in->msg_id = get_str(r, NULL);
    in->context = get_strs(r, a, &in->n_context);
    in->team = get_strs(r, a, &in->n_team);
    in->customers = get_strs(r, a, &in->n_customers);
    if (!in->text)
        r->bad = 1;
}

/* ---- the worker process ---- */

/* whole frames, blocking (the worker's side) */
static int
write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* requests come in frames, several at once at times (observe, then
   check): read what is there, hand out one frame after the other */
struct inbox {
    struct pf_buf b;
    size_t start; /* the next frame begins here */
};

/* the next frame's body (after its length) into *p, *n; -1 at the end
   or on a frame no request can be */
static int
next_frame(int fd, struct inbox *ib, size_t max, const char **p, size_t *n)
{
    if (ib->start > 0 && ib->start == ib->b.len) {
        ib->b.len = 0;
        ib->start = 0;
    }
    for (;;) {
        size_t have = ib->b.len - ib->start;
        uint32_t len = 0;
        if (have >= 4) {
            memcpy(&len, ib->b.data + ib->start, 4);
            if (len < 4 || len > max)
                return -1;
            if (have >= 4 + (size_t)len) {
                *p = ib->b.data + ib->start + 4;
                *n = len;
                ib->start += 4 + (size_t)len;
                return 0;
            }
        }
        if (ib->start > 0) { /* keep the buffer from creeping */
            memmove(ib->b.data, ib->b.data + ib->start, have);
            ib->b.len = have;
            ib->start = 0;
        }
        size_t room = have >= 4 && 4 + (size_t)len - have > 65536
                          ? 4 + (size_t)len - have
                          : 65536;
        pf_buf_grow(&ib->b, room);
        ssize_t k = read(fd, ib->b.data + ib->b.len, room);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        ib->b.len += (size_t)k;
    }
}

/* is the next request, already read whole, another check? */
static int
check_waits(const struct inbox *ib)
{
    size_t have = ib->b.len - ib->start;
    uint32_t len, type;
    if (have < 8)
        return 0;
    memcpy(&len, ib->b.data + ib->start, 4);
    memcpy(&type, ib->b.data + ib->start + 4, 4);
    return have >= 4 + (size_t)len && type == M_CHECK;
}

/* close what the bot has open (its sockets, the journal): the worker
   needs only its end of the pair and the log */
static void
close_inherited(int keep)
{
    DIR *d = opendir("/proc/self/fd");
    int fds[1024], n = 0;
    struct dirent *de;
    if (!d)
        return;
    while ((de = readdir(d)) != NULL && n < 1024) {
        int fd = atoi(de->d_name);
        if (de->d_name[0] >= '0' && de->d_name[0] <= '9' && fd > 2 &&
            fd != keep && fd != dirfd(d))
            fds[n++] = fd;
    }
    closedir(d);
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

static void
idle(struct pf_stage *st)
{
    atomic_fetch_add_explicit(&st->calls, 1, memory_order_relaxed);
    atomic_store_explicit(&st->since_ns, pf_coarse_ns(), memory_order_relaxed);
    atomic_store_explicit(&st->what, PF_STAGE_IDLE, memory_order_relaxed);
    atomic_store_explicit(&st->inst, -1, memory_order_release);
}

static void
busy(struct pf_stage *st)
{
    atomic_fetch_add_explicit(&st->calls, 1, memory_order_relaxed);
    atomic_store_explicit(&st->since_ns, pf_coarse_ns(), memory_order_relaxed);
    atomic_store_explicit(&st->what, PF_STAGE_HOST, memory_order_relaxed);
    atomic_store_explicit(&st->inst, -1, memory_order_release);
}

/* the answer to a CHECK: findings name their instance by index (the
   bot has the same instances, in the same order) */
static void
child_result(struct pf_buf *b, uint64_t seq, int rc, const char *err,
             const struct pf_result *r, const struct pf_pipeline *pl)
{
    begin_frame(b, M_RESULT);
    pf_buf_add(b, &seq, sizeof(seq));
    put_u32(b, (uint32_t)rc);
    if (rc) {
        put_str(b, err);
        end_frame(b);
        return;
    }
    put_u32(b, (uint32_t)r->action);
    put_f64(b, r->score);
    put_str(b, r->msg->lang);
    put_str(b, r->msg->ui_lang);
    put_i64(b, r->text_ns);
    put_i64(b, r->total_ns);
    put_u32(b, (uint32_t)pl->n_inst);
    for (size_t i = 0; i < pl->n_inst; i++)
        put_i64(b, r->run.plugin_ns[i]);
    put_u32(b, (uint32_t)r->n_found);
    for (size_t i = 0; i < r->n_found; i++) {
        const struct pf_found *f = &r->found[i];
        uint32_t idx = 0;
        while (idx < pl->n_inst && f->plugin != pl->inst[idx].name)
            idx++;
        put_u32(b, idx);
        put_u32(b, (uint32_t)f->action);
        pf_buf_add(b, &f->f, sizeof(f->f));
    }
    end_frame(b);
}

PF_NORETURN static void child_main(struct pf_worker *w, int fd);

static void
child_main(struct pf_worker *w, int fd)
{
    struct pf_engine *e = w->e;
    struct pf_pipeline *pl = e->pl;
    struct pf_buf out = PF_BUF_INIT, one = PF_BUF_INIT;
    struct inbox ib = {PF_BUF_INIT, 0};
    struct pf_arena a;
    char err[1024];

    e->worker = NULL; /* here the plugins run in this process */
    /* Ctrl-C, or systemd's SIGTERM to the whole unit, stops the bot, and
       the bot this (QUIT, so that the plugins are destroyed); should the
       bot die first, the kernel ends this too */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN); /* the bot reloads; it starts a new worker */
    signal(SIGPIPE, SIG_IGN);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != w->parent)
        _exit(0); /* the bot is gone already */
    close_inherited(fd);
    pf_arena_init(&a, 16 * 1024);
    pl->stage = w->stage;

    busy(w->stage);
    int failed = pf_pipeline_create(pl, e->cfg, err, sizeof(err)) != PF_OK;
    begin_frame(&out, failed ? M_FAIL : M_READY);
    if (failed)
        put_str(&out, err);
    end_frame(&out);
    if (write_all(fd, out.data, out.len) != 0 || failed)
        _exit(0);
    pf_buf_reset(&out);

    for (;;) {
        const char *frame;
        size_t n;
        uint32_t type;
        idle(w->stage);
        if (next_frame(fd, &ib, w->max_frame, &frame, &n) != 0)
            break;
        busy(w->stage);
        pf_arena_reset(&a);
        struct rd r = {frame, n, 0};
        type = get_u32(&r);
        if (type == M_QUIT)
            break;
        uint64_t seq = 0;
        uint32_t precise = 0, complete = 0;
        if (type == M_CHECK) {
            take(&r, &seq, sizeof(seq));
            precise = get_u32(&r);
            complete = get_u32(&r);
        }
        struct pf_input in;
        get_input(&r, &a, &in);
        if (r.bad)
            break; /* the bot sent nonsense: nothing sound to do */
        if (type == M_CHECK) {
            struct pf_result res;
            e->precise = (int)precise;
            e->complete = (int)complete;
            int rc = pf_engine_check(e, &in, &res, err, sizeof(err));
            child_result(&one, seq, rc, err, &res, pl);
            pf_buf_add(&out, one.data, one.len);
            /* checks sent together are answered together: one wake-up
               of the bot for all of them */
            if (!check_waits(&ib)) {
                if (write_all(fd, out.data, out.len) != 0)
                    break;
                pf_buf_reset(&out);
            }
        } else if (type == M_OBSERVE) {
            pf_engine_observe(e, &in);
        } else if (type == M_LEARN) {
            struct pf_decision d;
            size_t nf;
            memset(&d, 0, sizeof(d));
            d.size = sizeof(d);
            d.kind = get_u32(&r);
            d.decided_by = get_str(&r, NULL);
            d.by_supervisor = (int)get_u32(&r);
            d.new_text = get_str(&r, NULL);
            nf = get_u32(&r);
            if (r.bad || nf > r.n / sizeof(struct pf_finding))
                break;
            struct pf_finding *f =
                pf_arena_calloc(&a, nf + 1, sizeof(struct pf_finding));
            for (size_t i = 0; i < nf; i++)
                take(&r, &f[i], sizeof(f[i]));
            d.findings = f;
            d.n_findings = nf;
            if (!d.decided_by)
                d.decided_by = "";
            pf_engine_learn(e, &in, &d);
        }
    }
    busy(w->stage);
    pf_pipeline_uncreate(pl);
    _exit(0);
}

/* ---- the bot's side ---- */

static const char *const stage_names[] = {
    "", "", "create()", "check()", "observe()", "learn()", "destroy()",
};

/* how long a callback (or the host's own work) may run before the worker
   is stopped */
static int64_t
allowance(const struct pf_worker *w, int inst, int what)
{
    const struct pf_pipeline *pl = w->e->pl;
    int64_t b =
        inst >= 0 && (size_t)inst < pl->n_inst ? pl->inst[inst].budget_ns : 0;
    switch (what) {
    case PF_STAGE_CREATE: return START_NS;
    case PF_STAGE_CHECK: return 2 * b;
    case PF_STAGE_OBSERVE: return 2 * b + 100 * MS;
    case PF_STAGE_LEARN: return 2 * b > LEARN_MIN_NS ? 2 * b : LEARN_MIN_NS;
    case PF_STAGE_DESTROY: return DESTROY_NS;
    default: return HOST_NS;
    }
}

static const char *
inst_name(const struct pf_worker *w, int inst)
{
    const struct pf_pipeline *pl = w->e->pl;
    return inst >= 0 && (size_t)inst < pl->n_inst ? pl->inst[inst].name
                                                  : "pokerface";
}

/* the worker is gone or stopped: reap it; what became of it, for a
   person ("signal 11, Segmentation fault"), into how */
static void
reap(struct pf_worker *w, char *how, size_t cap)
{
    int st = 0;
    if (w->pid > 0) {
        kill(w->pid, SIGKILL);
        while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR)
            ;
        if (WIFSIGNALED(st))
            snprintf(how, cap, "signal %d, %s", WTERMSIG(st),
                     strsignal(WTERMSIG(st)));
        else
            snprintf(how, cap, "it exited with status %d", WEXITSTATUS(st));
    } else {
        snprintf(how, cap, "no process");
    }
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    w->pid = 0;
    w->st.pid = 0;
    w->state = W_DOWN;
    pf_buf_reset(&w->in); /* its answers: gone with it */
    w->in_used = 0;
}

/* a callback ran too long: 1 (and f filled) to stop the worker */
static int
overran(struct pf_worker *w, struct failure *f)
{
    struct pf_stage *st = w->stage;
    uint64_t calls = atomic_load_explicit(&st->calls, memory_order_acquire);
    int inst = atomic_load_explicit(&st->inst, memory_order_acquire);
    int what = atomic_load_explicit(&st->what, memory_order_relaxed);
    int64_t since = atomic_load_explicit(&st->since_ns, memory_order_relaxed);
    int64_t now = pf_coarse_ns();
    if (what < PF_STAGE_IDLE || what > PF_STAGE_DESTROY)
        what = PF_STAGE_HOST; /* the page was scribbled on */
    if (inst < 0 || (size_t)inst >= w->e->pl->n_inst || what < PF_STAGE_CREATE)
        inst = -1;
    if (what == PF_STAGE_IDLE || since > now)
        since = w->waiting_since; /* our request not taken up yet */
    int64_t allow = allowance(w, inst, what);
    if (now - w->waiting_since > WAIT_MAX_NS) {
        allow = WAIT_MAX_NS;
        inst = -1;
    } else if (now - since <= allow) {
        return 0;
    } else if (atomic_load_explicit(&st->calls, memory_order_acquire) !=
               calls) {
        return 0; /* it moved on meanwhile */
    }
    f->label = PF_LABEL_PLUGIN_TIMEOUT;
    f->inst = inst;
    if (inst >= 0 && what == PF_STAGE_CHECK)
        pf_snprintf(f->reason, sizeof(f->reason),
                    "plugin '%s' did not answer within %.0f ms (twice its "
                    "budget) and was stopped; held until a person looks",
                    inst_name(w, inst), (double)allow / 1e6);
    else if (inst >= 0)
        pf_snprintf(f->reason, sizeof(f->reason),
                    "plugin '%s' did not return from %s within %.0f ms and "
                    "was stopped, so this message was not checked; held "
                    "until a person looks",
                    inst_name(w, inst), stage_names[what], (double)allow / 1e6);
    else
        pf_snprintf(f->reason, sizeof(f->reason),
                    "the checks did not answer within %.0f s and were "
                    "stopped; held until a person looks",
                    (double)allow / 1e9);
    return 1;
}

/* wait until fd is ready for events: 0, or -1 with f filled (stopped) */
static int
wait_fd(struct pf_worker *w, short events, struct failure *f)
{
    for (;;) {
        struct pollfd p = {w->fd, events, 0};
        int n = poll(&p, 1, SLICE_MS);
        if (n > 0)
            return 0; /* ready, or hung up: the read or write says */
        if (n < 0 && errno != EINTR) {
            f->label = PF_LABEL_PLUGIN_ERROR;
            f->inst = -1;
            pf_snprintf(f->reason, sizeof(f->reason),
                        "cannot wait for the checks: %s; held until a "
                        "person looks",
                        strerror(errno));
            return -1;
        }
        if (overran(w, f))
            return -1;
    }
}

/* the worker died (or hung up): what it was doing, for f */
static void
died(struct pf_worker *w, struct failure *f)
{
    int inst = atomic_load_explicit(&w->stage->inst, memory_order_acquire);
    int what = atomic_load_explicit(&w->stage->what, memory_order_relaxed);
    char how[128];
    reap(w, how, sizeof(how));
    if (inst < 0 || (size_t)inst >= w->e->pl->n_inst ||
        what < PF_STAGE_CREATE || what > PF_STAGE_DESTROY)
        inst = -1; /* in pokerface's own code, or the page is garbage */
    f->label = PF_LABEL_PLUGIN_CRASH;
    f->inst = inst;
    if (inst >= 0)
        pf_snprintf(f->reason, sizeof(f->reason),
                    "plugin '%s' crashed in %s (%s)%s; held until a person "
                    "looks",
                    inst_name(w, inst), stage_names[what], how,
                    what == PF_STAGE_CHECK ? ""
                                           : ", so this message was not "
                                             "checked");
    else
        pf_snprintf(f->reason, sizeof(f->reason),
                    "the checks stopped (%s), so this message was not "
                    "checked; held until a person looks",
                    how);
}

/*
 * Keep the worker on the CPU the bot runs on, before sending it a check.
 * The bot waits for every check it sends, so the two need no two CPUs
 * for checks; on one, a check costs two switches. (What the worker does
 * unwaited for, observe() and learn(), then shares the bot's CPU; should
 * that keep it busy, the scheduler moves the bot, and the next check
 * the worker with it.) Left to the scheduler, the worker wakes on
 * whichever CPU is idle, and waking an idle CPU (on a virtual machine,
 * a halted vCPU that the host must run again) took about 100 us each
 * way, half the bot's whole added delay (tests/bench/relay.sh). Asked
 * again only when the bot has moved; should the kernel refuse (a
 * cpuset without that CPU), the worker is left where it is.
 */
static void
beside_bot(struct pf_worker *w)
{
    int c = w->cpu == -2 || w->pid <= 0 ? -1 : sched_getcpu();
    if (c < 0 || c == w->cpu)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(c, &set);
    if (sched_setaffinity(w->pid, sizeof(set), &set) != 0) {
        pf_debug("worker: cannot keep the checks on CPU %d: %s", c,
                 strerror(errno));
        w->cpu = -2;
        return;
    }
    w->cpu = c;
}

static int
send_frame(struct pf_worker *w, const struct pf_buf *b, struct failure *f)
{
    size_t off = 0;
    while (off < b->len) {
        ssize_t k = send(w->fd, b->data + off, b->len - off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k > 0) {
            off += (size_t)k;
        } else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_fd(w, POLLOUT, f) != 0)
                return -1;
        } else if (k < 0 && errno == EINTR) {
            continue;
        } else {
            died(w, f);
            return -1;
        }
    }
    return 0;
}

/* the worker sent what no frame can be: stop it */
static int
nonsense(struct pf_worker *w, struct failure *f, size_t n)
{
    char how[128];
    reap(w, how, sizeof(how));
    f->label = PF_LABEL_PLUGIN_ERROR;
    f->inst = -1;
    pf_snprintf(f->reason, sizeof(f->reason),
                "the checks answered nonsense (a frame of %zu bytes) and "
                "were stopped; held until a person looks",
                n);
    return -1;
}

/*
 * One whole frame at the start of w->in (w->in_used bytes): 0, or -1
 * with f. wait_first: the answer cannot be there yet (it was just asked
 * for), so wait before reading. The worker sends nothing it was not
 * asked for, so whatever is there belongs to this frame, or to the
 * answers of checks sent ahead after it; a first read usually takes all
 * of it.
 */
static int
read_frame(struct pf_worker *w, struct failure *f, int wait_first)
{
    size_t want = 0; /* 0: not known yet */
    /* what came after the last frame: the next answers */
    size_t left = w->in.len - w->in_used;
    if (left && w->in_used)
        memmove(w->in.data, w->in.data + w->in_used, left);
    w->in.len = left;
    w->in_used = 0;
    if (wait_first && !left && wait_fd(w, POLLIN, f) != 0)
        return -1;
    for (;;) {
        if (!want && w->in.len >= 4) {
            uint32_t n;
            memcpy(&n, w->in.data, 4);
            if (n < 4 || n > w->max_frame)
                return nonsense(w, f, n);
            want = 4 + (size_t)n;
        }
        if (want && w->in.len >= want)
            break;
        size_t room = want ? want - w->in.len : 4096;
        pf_buf_grow(&w->in, room);
        ssize_t k = read(w->fd, w->in.data + w->in.len, room);
        if (k > 0) {
            w->in.len += (size_t)k;
        } else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_fd(w, POLLIN, f) != 0)
                return -1;
        } else if (k < 0 && errno == EINTR) {
            continue;
        } else {
            died(w, f);
            return -1;
        }
    }
    /* more than this frame: only answers to checks still ahead */
    if (w->in.len > want && !w->n_ahead)
        return nonsense(w, f, w->in.len);
    w->in_used = want;
    return 0;
}

static int
spawn(struct pf_worker *w, char *err, size_t errlen)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        pf_snprintf(err, errlen, "cannot start the checks: socketpair: %s",
                    strerror(errno));
        return PF_ERR;
    }
    atomic_store(&w->stage->inst, -1);
    atomic_store(&w->stage->what, PF_STAGE_IDLE);
    atomic_store(&w->stage->since_ns, pf_coarse_ns());
    w->parent = getpid();
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        pf_snprintf(err, errlen, "cannot start the checks: fork: %s",
                    strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return PF_ERR;
    }
    if (pid == 0) {
        close(sv[0]);
        child_main(w, sv[1]);
    }
    close(sv[1]);
    w->fd = sv[0];
    fcntl(w->fd, F_SETFL, fcntl(w->fd, F_GETFL) | O_NONBLOCK);
    w->pid = pid;
    w->cpu = w->cpu == -2 ? -2 : -1;
    w->st.pid = pid;
    w->st.starts++;
    w->gen++;
    w->state = W_STARTING;
    w->waiting_since = pf_coarse_ns();
    return PF_OK;
}

/* wait for a starting worker's plugins: 0, or -1 with f */
static int
ready(struct pf_worker *w, struct failure *f)
{
    if (w->state == W_READY)
        return 0;
    if (read_frame(w, f, 0) != 0)
        return -1;
    struct rd r = {w->in.data + 4, w->in_used - 4, 0};
    uint32_t type = get_u32(&r);
    if (type == M_READY && !r.bad) {
        w->state = W_READY;
        return 0;
    }
    const char *why = type == M_FAIL ? get_str(&r, NULL) : NULL;
    char how[128];
    pf_snprintf(f->detail, sizeof(f->detail), "%s",
                why ? why : "the plugins' process answered nonsense");
    reap(w, how, sizeof(how));
    f->label = PF_LABEL_PLUGIN_ERROR;
    f->inst = -1;
    pf_snprintf(f->reason, sizeof(f->reason),
                "the plugins could not be started: %s; held until a person "
                "looks",
                why ? why : "they answered nonsense");
    return -1;
}

/* after a failure: counted, logged, and a new worker started (at once,
   or after a pause once failures come in a row) */
static void
failed(struct pf_worker *w, const struct failure *f)
{
    if (w->pid > 0) {
        char how[128];
        reap(w, how, sizeof(how));
    }
    w->lost = *f; /* for the checks sent ahead to it */
    if (!strcmp(f->label, PF_LABEL_PLUGIN_TIMEOUT))
        w->st.timeouts++;
    else
        w->st.crashes++;
    w->st.failures++;
    pf_snprintf(w->st.last, sizeof(w->st.last), "%.*s",
                (int)strcspn(f->reason, ";"), f->reason);
    pf_warn("%s; the plugins are started again%s", w->st.last,
            w->st.failures >= 3 ? " after a pause" : "");
    if (w->st.failures >= 3) {
        int64_t pause = (int64_t)1000 * MS
                        << (w->st.failures - 3 < 6 ? w->st.failures - 3 : 6);
        if (pause > BACKOFF_MAX_NS)
            pause = BACKOFF_MAX_NS;
        w->retry_at = pf_coarse_ns() + pause;
        return;
    }
    char err[256];
    if (spawn(w, err, sizeof(err)) != PF_OK)
        pf_warn("%s", err);
}

/*
 * Did the worker end between two messages (killed from outside, out of
 * memory)? Then it is counted and replaced now, and the message about to
 * be sent is checked as usual: it had no part in it.
 */
static void
ended_meanwhile(struct pf_worker *w)
{
    int st;
    if (w->pid <= 0 || waitpid(w->pid, &st, WNOHANG) != w->pid)
        return;
    struct failure f;
    memset(&f, 0, sizeof(f));
    f.label = PF_LABEL_PLUGIN_CRASH;
    f.inst = -1;
    if (WIFSIGNALED(st))
        pf_snprintf(f.reason, sizeof(f.reason),
                    "the checks ended between two messages (signal %d, %s)",
                    WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        pf_snprintf(f.reason, sizeof(f.reason),
                    "the checks ended between two messages (status %d)",
                    WEXITSTATUS(st));
    close(w->fd);
    w->fd = -1;
    w->pid = 0;
    w->st.pid = 0;
    w->state = W_DOWN;
    pf_buf_reset(&w->in);
    w->in_used = 0;
    failed(w, &f);
}

/* a worker to send to: 0, or -1 with f (no worker now) */
static int
usable(struct pf_worker *w, struct failure *f)
{
    ended_meanwhile(w);
    if (w->state == W_DOWN) {
        char err[256];
        int64_t now = pf_coarse_ns();
        if (now < w->retry_at) {
            f->label = PF_LABEL_PLUGIN_ERROR;
            f->inst = -1;
            pf_snprintf(f->reason, sizeof(f->reason),
                        "the checks are paused after %u failures in a row "
                        "(last: %s) and start again in %.0f s; held until "
                        "a person looks",
                        w->st.failures, w->st.last,
                        (double)(w->retry_at - now) / 1e9 + 0.5);
            return -1;
        }
        if (spawn(w, err, sizeof(err)) != PF_OK) {
            f->label = PF_LABEL_PLUGIN_ERROR;
            f->inst = -1;
            pf_snprintf(f->reason, sizeof(f->reason),
                        "%s; held until a person looks", err);
            w->retry_at = now + 1000 * MS;
            return -1;
        }
    }
    if (ready(w, f) != 0) {
        failed(w, f);
        return -1;
    }
    return 0;
}

/* a result that holds the message, for reason f */
static void
held(struct pf_worker *w, const struct pf_input *in, struct pf_result *r,
     struct pf_arena *a, const struct failure *f)
{
    const struct pf_config *cfg = w->e->cfg;
    struct pf_msg *m = pf_arena_calloc(a, 1, sizeof(*m));
    m->size = sizeof(*m);
    m->text = pf_arena_strndup(a, in->text, in->len);
    m->text_len = in->len;
    m->lang = "und";
    m->ui_lang = strcmp(cfg->ui_language, "fi") ? "en" : "fi";
    memset(r, 0, sizeof(*r));
    r->msg = m;
    r->found = pf_arena_calloc(a, 1, sizeof(*r->found));
    r->n_found = 1;
    r->found[0].plugin = inst_name(w, f->inst);
    pf_strlcpy(r->found[0].f.label, f->label, sizeof(r->found[0].f.label));
    r->found[0].f.score = 1;
    pf_strlcpy(r->found[0].f.reason, f->reason, sizeof(r->found[0].f.reason));
    size_t n = w->e->pl->n_inst;
    r->run.n_inst = n;
    r->run.plugin_ns = pf_arena_calloc(a, n + 1, sizeof(int64_t));
    for (size_t i = 0; i < n; i++)
        r->run.plugin_ns[i] = -1;
    r->run.explain = pf_arena_calloc(a, n + 1, sizeof(char *));
    r->run.found = r->found;
    r->run.n_found = 1;
    r->action = pf_policy_decide(&cfg->policy, r->found, 1, &r->score);
}

static const char *
known_lang(const char *s, const char *const *known, const char *def)
{
    for (size_t i = 0; s && known[i]; i++)
        if (!strcmp(s, known[i]))
            return known[i];
    return def;
}

int
pf_worker_parse_result(const struct pf_engine *e, uint64_t want_seq,
                       const void *frame, size_t n, const struct pf_input *in,
                       struct pf_result *r, struct pf_arena *a, char *err,
                       size_t errlen)
{
    static const char *const langs[] = {"fi", "en", "mixed", "und", NULL};
    static const char *const ui[] = {"fi", "en", NULL};
    const struct pf_pipeline *pl = e->pl;
    struct rd rd = {frame, n, 0};
    uint64_t seq;
    if (get_u32(&rd) != M_RESULT || take(&rd, &seq, sizeof(seq)) ||
        seq != want_seq)
        return 1;
    int rc = (int)get_u32(&rd);
    if (rc) {
        const char *why = get_str(&rd, NULL);
        if (rd.bad || rc > 0)
            return 1;
        pf_snprintf(err, errlen, "%s", why ? why : "not checked");
        return rc;
    }
    struct pf_msg *m = pf_arena_calloc(a, 1, sizeof(*m));
    m->size = sizeof(*m);
    m->text = pf_arena_strndup(a, in->text, in->len);
    m->text_len = in->len;
    (void)get_u32(&rd); /* the worker's action: decided again here */
    (void)get_f64(&rd);
    m->lang = known_lang(get_str(&rd, NULL), langs, "und");
    m->ui_lang = known_lang(get_str(&rd, NULL), ui, "en");
    memset(r, 0, sizeof(*r));
    r->msg = m;
    r->text_ns = get_i64(&rd);
    (void)get_i64(&rd);
    if (get_u32(&rd) != pl->n_inst)
        return 1;
    r->run.n_inst = pl->n_inst;
    r->run.plugin_ns = pf_arena_calloc(a, pl->n_inst + 1, sizeof(int64_t));
    r->run.explain = pf_arena_calloc(a, pl->n_inst + 1, sizeof(char *));
    for (size_t i = 0; i < pl->n_inst; i++)
        r->run.plugin_ns[i] = get_i64(&rd);
    uint32_t nf = get_u32(&rd);
    if (rd.bad || nf > rd.n / sizeof(struct pf_finding))
        return 1;
    r->found = pf_arena_calloc(a, (size_t)nf + 1, sizeof(*r->found));
    for (uint32_t i = 0; i < nf; i++) {
        struct pf_found *f = &r->found[i];
        uint32_t idx = get_u32(&rd);
        (void)get_u32(&rd);
        take(&rd, &f->f, sizeof(f->f));
        /* past the instances: the host's own finding (pokerface.bidi),
           which only ever holds, whatever score the worker wrote */
        if (rd.bad || idx > pl->n_inst ||
            (idx == pl->n_inst &&
             strncmp(f->f.label, PF_LABEL_BIDI, sizeof(f->f.label)) != 0))
            return 1;
        if (idx == pl->n_inst)
            f->f.score = 1.0f;
        f->plugin = idx < pl->n_inst ? pl->inst[idx].name : "pokerface";
        f->action = PF_ACT_UNSET;
        if (pf_verdict_sanitize(&f->f, m, f->plugin) != 0)
            f->f.score = 1; /* NaN: it holds, as in the worker */
    }
    r->n_found = nf;
    r->run.found = r->found;
    r->run.n_found = nf;
    r->action = pf_policy_decide(&e->cfg->policy, r->found, nf, &r->score);
    return PF_OK;
}

/* a CHECK frame for in, numbered seq, after what b has */
static void
add_check(struct pf_buf *b, uint64_t seq, int precise, int complete,
          const struct pf_input *in)
{
    size_t at = b->len;
    uint32_t n;
    put_u32(b, 0);
    put_u32(b, M_CHECK);
    pf_buf_add(b, &seq, sizeof(seq));
    put_u32(b, (uint32_t)(precise || (in->flags & PF_MSG_EXPLAIN)));
    put_u32(b, (uint32_t)complete);
    put_input(b, in);
    n = (uint32_t)(b->len - at - 4);
    memcpy(b->data + at, &n, 4);
}

/* the answer to the check numbered seq, in w->in, as r: the engine's
   code; a worker that answered nonsense is stopped (r then holds) */
static int
take_answer(struct pf_worker *w, uint64_t seq, const struct pf_input *in,
            struct pf_result *r, struct pf_arena *a, char *err, size_t errlen)
{
    int rc = pf_worker_parse_result(w->e, seq, w->in.data + 4, w->in_used - 4,
                                    in, r, a, err, errlen);
    if (rc == 1) {
        struct failure f;
        char how[128];
        memset(&f, 0, sizeof(f));
        reap(w, how, sizeof(how));
        f.label = PF_LABEL_PLUGIN_ERROR;
        f.inst = -1;
        pf_snprintf(f.reason, sizeof(f.reason),
                    "the checks answered nonsense and were stopped; held "
                    "until a person looks");
        failed(w, &f);
        held(w, in, r, a, &f);
        return PF_OK;
    }
    w->st.failures = 0;
    return rc;
}

/* answers to checks sent ahead that nobody took: read and dropped */
static void
drop_ahead(struct pf_worker *w)
{
    while (w->n_ahead) {
        struct ahead x = w->ahead[0];
        struct failure f;
        memset(&f, 0, sizeof(f));
        memmove(w->ahead, w->ahead + 1, --w->n_ahead * sizeof(*w->ahead));
        if (x.gen != w->gen || w->state != W_READY)
            continue; /* gone with its worker */
        w->waiting_since = pf_coarse_ns();
        if (read_frame(w, &f, 0) != 0)
            failed(w, &f);
    }
}

void
pf_worker_ahead(struct pf_worker *w, const struct pf_input *const *in, size_t n)
{
    struct failure f;
    memset(&f, 0, sizeof(f));
    drop_ahead(w);
    ended_meanwhile(w);
    /* a worker that is not ready is not waited for here: the checks
       themselves start or wait for it, or hold */
    if (n > PF_WORKER_AHEAD || w->state != W_READY)
        return;
    pf_buf_reset(&w->out);
    for (size_t i = 0; i < n; i++)
        add_check(&w->out, w->seq + 1 + i, w->e->precise, w->e->complete,
                  in[i]);
    w->waiting_since = pf_coarse_ns();
    beside_bot(w);
    if (send_frame(w, &w->out, &f) != 0) {
        failed(w, &f); /* the checks go to the next worker */
        return;
    }
    for (size_t i = 0; i < n; i++) {
        w->ahead[i].seq = ++w->seq;
        w->ahead[i].text = in[i]->text;
        w->ahead[i].len = in[i]->len;
        w->ahead[i].gen = w->gen;
    }
    w->n_ahead = n;
}

int
pf_worker_check(struct pf_worker *w, const struct pf_input *in,
                struct pf_result *r, struct pf_arena *a, char *err,
                size_t errlen)
{
    struct failure f;
    memset(&f, 0, sizeof(f));
    if (w->n_ahead && w->ahead[0].text == in->text &&
        w->ahead[0].len == in->len) {
        struct ahead x = w->ahead[0];
        memmove(w->ahead, w->ahead + 1, --w->n_ahead * sizeof(*w->ahead));
        if (x.gen != w->gen || w->state != W_READY) {
            /* its worker failed on an earlier check: this one is lost
               with it, for the same reason */
            held(w, in, r, a, &w->lost);
            return PF_OK;
        }
        if (read_frame(w, &f, 0) != 0) {
            failed(w, &f);
            held(w, in, r, a, &f);
            return PF_OK;
        }
        /* the next one ahead is waited for from now */
        w->waiting_since = pf_coarse_ns();
        return take_answer(w, x.seq, in, r, a, err, errlen);
    }
    drop_ahead(w);
    if (usable(w, &f) != 0) {
        held(w, in, r, a, &f);
        return PF_OK;
    }
    pf_buf_reset(&w->out);
    add_check(&w->out, ++w->seq, w->e->precise, w->e->complete, in);
    w->waiting_since = pf_coarse_ns();
    beside_bot(w);
    if (send_frame(w, &w->out, &f) != 0 || read_frame(w, &f, 1) != 0) {
        failed(w, &f);
        held(w, in, r, a, &f);
        return PF_OK;
    }
    return take_answer(w, w->seq, in, r, a, err, errlen);
}

/* a request nobody waits for */
static void
send_async(struct pf_worker *w, const char *what)
{
    struct failure f;
    memset(&f, 0, sizeof(f));
    if (usable(w, &f) != 0) {
        pf_debug("%s not shown to the plugins: %s", what, f.reason);
        return;
    }
    w->waiting_since = pf_coarse_ns();
    if (send_frame(w, &w->out, &f) != 0) {
        failed(w, &f);
        pf_debug("%s not shown to the plugins", what);
    }
}

void
pf_worker_observe(struct pf_worker *w, const struct pf_input *in)
{
    begin_frame(&w->out, M_OBSERVE);
    put_input(&w->out, in);
    end_frame(&w->out);
    send_async(w, "a message");
}

void
pf_worker_learn(struct pf_worker *w, const struct pf_input *in,
                const struct pf_decision *d)
{
    begin_frame(&w->out, M_LEARN);
    put_input(&w->out, in);
    put_u32(&w->out, d->kind);
    put_str(&w->out, d->decided_by);
    put_u32(&w->out, (uint32_t)d->by_supervisor);
    put_str(&w->out, d->new_text);
    put_u32(&w->out, (uint32_t)d->n_findings);
    for (size_t i = 0; i < d->n_findings; i++)
        pf_buf_add(&w->out, &d->findings[i], sizeof(d->findings[i]));
    end_frame(&w->out);
    send_async(w, "a decision");
}

const struct pf_worker_stats *
pf_worker_stats(const struct pf_worker *w)
{
    return &w->st;
}

int
pf_worker_start(struct pf_worker **out, struct pf_engine *e, char *err,
                size_t errlen)
{
    struct pf_worker *w = pf_xcalloc(1, sizeof(*w));
    struct failure f;
    w->e = e;
    w->fd = -1;
    /* the largest request: a message and its context, with room */
    w->max_frame = 8 * e->cfg->max_message_bytes + (4u << 20);
    w->stage = mmap(NULL, sizeof(*w->stage), PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (w->stage == MAP_FAILED) {
        pf_snprintf(err, errlen, "cannot start the checks: mmap: %s",
                    strerror(errno));
        free(w);
        return PF_ERR;
    }
    memset(&f, 0, sizeof(f));
    if (spawn(w, err, errlen) != PF_OK) {
        munmap(w->stage, sizeof(*w->stage));
        free(w);
        return PF_ERR;
    }
    if (ready(w, &f) != 0) {
        if (f.detail[0])
            pf_snprintf(err, errlen, "%s", f.detail);
        else /* the reason, without "; held until a person looks" */
            pf_snprintf(err, errlen, "the plugins could not be started: %.*s",
                        (int)strcspn(f.reason, ";"), f.reason);
        pf_worker_stop(w);
        return PF_EINVAL;
    }
    pf_info("plugins started in a worker process (pid %d)", (int)w->pid);
    *out = w;
    return PF_OK;
}

void
pf_worker_stop(struct pf_worker *w)
{
    if (!w)
        return;
    if (w->pid > 0 && w->fd >= 0) {
        /* QUIT: it destroys its instances (they may save state) */
        struct pf_buf b = PF_BUF_INIT;
        begin_frame(&b, M_QUIT);
        end_frame(&b);
        (void)!send(w->fd, b.data, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
        pf_buf_release(&b);
        int64_t until = pf_now_ns() + 2000 * MS;
        while (pf_now_ns() < until) {
            if (waitpid(w->pid, NULL, WNOHANG) == w->pid) {
                w->pid = 0;
                break;
            }
            struct pollfd p = {w->fd, POLLIN, 0};
            poll(&p, 1, 20);
        }
    }
    char how[128];
    reap(w, how, sizeof(how));
    munmap(w->stage, sizeof(*w->stage));
    pf_buf_release(&w->out);
    pf_buf_release(&w->in);
    free(w);
}
