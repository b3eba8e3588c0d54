/*
 * threads.c - threads, on backends that have them (connector
 * ops->threads): an internal thread and the customer thread it answers,
 * by their root posts' ids. A pair is made when a post starts a thread on
 * one side for a thread on the other: a customer's message mirrored into
 * the internal room, a reply relayed to the customer. Replies in either
 * thread then go in its partner. Pairs are journaled (PF_JREC_THREAD)
 * and kept through compaction (recovery.c), and the connector follows
 * both threads of each pair (ops->follow_thread: their replies written
 * while the bot was away are read back).
 */
#include <stdlib.h>
#include <string.h>

#include "core/journal.h"
#include "core/relay_int.h"

/* the partner of thread id (side 0: id is internal, 1: a customer's),
   newest pairs first: a conversation goes on in its latest threads */
static const char *
partner(const struct pf_relay *r, const char *id, int side)
{
    for (size_t i = 1; id && *id && i <= THREADS_MAX; i++) {
        const struct pf_thread_pair *t =
            &r->threads[(r->thread_pos + THREADS_MAX - i) % THREADS_MAX];
        const char *mine = side ? t->cust : t->in;
        if (!mine)
            break; /* the ring is not full yet */
        if (strcmp(mine, id) == 0)
            return side ? t->in : t->cust;
    }
    return "";
}

/* the customer thread that internal thread in answers, or "" */
const char *
pf_threads_cust(const struct pf_relay *r, const char *in)
{
    return partner(r, in, 0);
}

/* the internal thread that answers customer thread cust, or "" */
const char *
pf_threads_in(const struct pf_relay *r, const char *cust)
{
    return partner(r, cust, 1);
}

/* in and cust are partners (journal: remember it across restarts) */
void
pf_threads_pair(struct pf_relay *r, const char *in, const char *cust,
                int journal)
{
    if (!in || !*in || !cust || !*cust || *pf_threads_cust(r, in) ||
        *pf_threads_in(r, cust))
        return; /* the first pairing stands */
    struct pf_thread_pair *t = &r->threads[r->thread_pos];
    free(t->in);
    free(t->cust);
    t->in = pf_xstrdup(in);
    t->cust = pf_xstrdup(cust);
    r->thread_pos = (r->thread_pos + 1) % THREADS_MAX;
    /* followed from now on (those of the journal: at start) */
    if (r->running && r->conn && r->conn->ops->follow_thread) {
        r->conn->ops->follow_thread(r->conn, in);
        r->conn->ops->follow_thread(r->conn, cust);
    }
    if (journal)
        pf_recovery_write(r, PF_JREC_THREAD,
                          json_pack("{s:s, s:s}", "in", in, "cust", cust), 0,
                          NULL);
}

/* the post with key starts the partner thread of in (or of cust) */
void
pf_threads_await(struct pf_relay *r, const char *key, const char *in,
                 const char *cust)
{
    struct pf_thread_wait *w = &r->twait[r->twait_pos];
    free(w->key);
    free(w->in);
    free(w->cust);
    w->key = pf_xstrdup(key);
    w->in = in ? pf_xstrdup(in) : NULL;
    w->cust = cust ? pf_xstrdup(cust) : NULL;
    r->twait_pos = (r->twait_pos + 1) % THREAD_WAIT_MAX;
}

/* our post with key arrived as msg_id: a thread it started is paired */
void
pf_threads_posted(struct pf_relay *r, const char *key, const char *msg_id)
{
    for (size_t i = 0; key && msg_id && *msg_id && i < THREAD_WAIT_MAX; i++) {
        struct pf_thread_wait *w = &r->twait[i];
        if (!w->key || strcmp(w->key, key) != 0)
            continue;
        if (w->in)
            pf_threads_pair(r, w->in, msg_id, 1);
        else
            pf_threads_pair(r, msg_id, w->cust, 1);
        free(w->key);
        free(w->in);
        free(w->cust);
        w->key = w->in = w->cust = NULL;
        return;
    }
}

/* the internal thread an event is in: its root, or itself as a root */
const char *
pf_threads_of(const struct pf_relay *r, const struct pf_event *ev)
{
    if (!r->conn->ops->threads)
        return "";
    if (ev->thread && *ev->thread)
        return ev->thread;
    return pf_event_id(ev);
}
