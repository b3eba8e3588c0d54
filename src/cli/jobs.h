/*
 * jobs.h - the lines of a regular file done by several worker processes
 * at once, with the output one process would have written, in order.
 *
 * check --jsonl spends nearly all of its time in the engine, one line at
 * a time, and the lines do not depend on each other. pf_jobs_file() maps
 * the file, cuts it into chunks of whole lines (many more chunks than
 * workers, so that a slow core does not hold up the rest), and forks the
 * workers after the caller has loaded everything: each worker has its
 * own copy of the engine and its plugins (processes, not threads: plugins
 * keep state per instance and are not promised to be thread-safe). A
 * worker takes the next chunk not taken, writes what the callback makes
 * of it to a temporary file of its own and tells the parent; the parent
 * copies the chunks to the output in the file's order as soon as each
 * one and all before it are done, so memory stays small and the output
 * starts early.
 *
 * Never fail open: a chunk whose worker died (a crash, a signal, an exit
 * with an error) or whose output is short is not printed at all; the
 * parent says on stderr which lines of which file were not done and why,
 * goes on with the other chunks (with a new worker in the dead one's
 * place), and answers -1. A worker is killed when
 * the parent dies (a SIGPIPE on the output, say): nothing keeps running
 * for nobody.
 */
#ifndef PF_CLI_JOBS_H
#define PF_CLI_JOBS_H

#include <stddef.h>

/* the counters a chunk adds to (for check --jsonl: held, errors) */
#define PF_JOBS_COUNTS 2

/* Does the whole lines [p, p + n): each ends in '\n', but the file's last
   may not; the first is line first_line of the file. Writes its output
   to fd (fully, or fails) and adds to counts. Returns 0, or -1 when
   writing to fd failed (errno says why). */
typedef int (*pf_jobs_cb)(void *arg, const char *p, size_t n, size_t first_line,
                          int fd, long *counts);

struct pf_jobs {
    const char *who; /* "pokerface check": how messages start */
    int jobs;        /* worker processes at most */
    int out;         /* where the output goes (1) */
    pf_jobs_cb cb;
    void *arg; /* cb's; each worker has its own copy */
};

/* The lines of fd, from its current offset to its end as it is now, done
   by j->cb in up to j->jobs worker processes (in this process when they
   make one chunk, or when no worker can be started); the output goes to
   j->out in the file's order, the counters are added to counts; fd's
   offset is left at its end. name is the file's name in messages.
   Returns 0 when every line was done and its output written; 1, with
   nothing done, when fd is not a regular file with something in it from
   its offset (a pipe, a terminal, an empty file) or cannot be mapped: the
   caller reads it as a stream; -1 when some lines were not done (said on
   stderr, naming the file and the lines; the output of the others was
   written); -2 when writing to j->out failed (said), and the rest was
   not done. */
int pf_jobs_file(const struct pf_jobs *j, int fd, const char *name,
                 long *counts);

#endif
