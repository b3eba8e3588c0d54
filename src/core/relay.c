/*
 * relay.c - the relay's life (see relay.h; its files: relay_int.h): made,
 * started, stopped and freed; its routes, and the figures it keeps.
 */
#include "core/relay.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/history.h"
#include "core/journal.h"
#include "core/ledger.h"
#include "core/webapp.h"
#include "core/relay_int.h"

struct pf_route *
pf_relay_route_by_room(struct pf_relay *r, const char *room, int *internal)
{
    for (size_t i = 0; room && i < r->n_routes; i++) {
        if (strcmp(r->routes[i].conf->internal_room, room) == 0) {
            *internal = 1;
            return &r->routes[i];
        }
        if (strcmp(r->routes[i].conf->customer_room, room) == 0) {
            *internal = 0;
            return &r->routes[i];
        }
    }
    return NULL;
}

struct pf_route *
pf_relay_route_by_name(struct pf_relay *r, const char *name)
{
    for (size_t i = 0; i < r->n_routes; i++)
        if (strcmp(r->routes[i].conf->name, name) == 0)
            return &r->routes[i];
    return NULL;
}

const char *const pf_relay_stage_names[PF_LAT_STAGES] = {"reading", "checking",
                                                         "journal", "posting"};

static uint32_t
lat_ns(int64_t ns)
{
    return ns < 0 ? 0 : ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

void
pf_relay_note_latency(struct pf_relay *r, const int64_t at[1 + PF_LAT_STAGES])
{
    if (!r->lat)
        r->lat = pf_xmalloc(LAT_MAX * sizeof(*r->lat));
    uint32_t *v = r->lat[r->n_lat < LAT_MAX ? r->n_lat++ : r->lat_pos];
    r->lat_pos = (r->lat_pos + 1) % LAT_MAX;
    v[0] = lat_ns(at[PF_LAT_STAGES] - at[0]);
    pf_histogram_observe(&r->metrics.latency, (double)v[0] / 1e9);
    for (int i = 0; i < PF_LAT_STAGES; i++) {
        v[1 + i] = lat_ns(at[i + 1] - at[i]);
        pf_histogram_observe(&r->metrics.stage[i], (double)v[1 + i] / 1e9);
    }
}

static int
cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* quantile q of column k of the ring */
static size_t
quantile(const struct pf_relay *r, int k, double q, int64_t *ns)
{
    *ns = 0;
    if (!r->n_lat)
        return 0;
    uint32_t *v = pf_xmalloc(r->n_lat * sizeof(*v));
    for (size_t i = 0; i < r->n_lat; i++)
        v[i] = r->lat[i][k];
    qsort(v, r->n_lat, sizeof(*v), cmp_u32);
    size_t i = (size_t)(q * (double)(r->n_lat - 1) + 0.5);
    *ns = v[i < r->n_lat ? i : r->n_lat - 1];
    free(v);
    return r->n_lat;
}

size_t
pf_relay_latency(const struct pf_relay *r, double q, int64_t *ns)
{
    return quantile(r, 0, q, ns);
}

size_t
pf_relay_latency_of(const struct pf_relay *r, enum pf_relay_stage st, double q,
                    int64_t *ns)
{
    return quantile(r, 1 + (int)st, q, ns);
}

struct pf_relay *
pf_relay_new(const struct pf_config *cfg, struct pf_engine *engine,
             struct lws_context *ctx)
{
    char err[160];
    /* a text that takes other arguments than English: a programmer's
       error, found before anything is said with it */
    if (pf_texts_check(err, sizeof(err)) != PF_OK)
        pf_die("%s", err);
    struct pf_relay *r = pf_xcalloc(1, sizeof(*r));
    r->cfg = cfg;
    r->engine = engine;
    r->ctx = ctx;
    r->n_routes = cfg->n_routes;
    r->routes = pf_xcalloc(cfg->n_routes + 1, sizeof(*r->routes));
    for (size_t i = 0; i < cfg->n_routes; i++)
        r->routes[i].conf = &cfg->routes[i];
    pf_idset_init(&r->seen, SEEN_MAX);
    pf_idset_init(&r->customers, SEEN_MAX);
    r->relayed = pf_xcalloc(RELAYED_MAX, sizeof(*r->relayed));
    pf_holds_init(&r->holds);
    pf_histogram_init(&r->metrics.latency, pf_metrics_latency_bounds,
                      pf_metrics_latency_n);
    for (int i = 0; i < PF_LAT_STAGES; i++)
        pf_histogram_init(&r->metrics.stage[i], pf_metrics_latency_bounds,
                          pf_metrics_latency_n);
    r->metrics.n_plugin = engine ? pf_engine_n_plugins(engine) : 0;
    r->metrics.plugin =
        pf_xcalloc(r->metrics.n_plugin + 1, sizeof(*r->metrics.plugin));
    for (size_t i = 0; i < r->metrics.n_plugin; i++)
        pf_histogram_init(&r->metrics.plugin[i], pf_metrics_check_bounds,
                          pf_metrics_check_n);
    return r;
}

/* a history record, read or written: the page's view of it */
static int
history_seen(void *ud, int type, uint64_t seq, json_t *o)
{
    struct pf_relay *r = ud;
    pf_ledger_add(r->ledger, type, seq, o);
    pf_webapp_record(r->webapp, type, o);
    return 0;
}

int
pf_relay_open_history(struct pf_relay *r, const char *path,
                      const unsigned char key[32], double days, char *err,
                      size_t errlen)
{
    if (!r->cfg->web.enabled)
        return pf_history_open(&r->history, path, key, days, err, errlen);
    r->ledger = pf_ledger_new();
    return pf_history_open_watched(&r->history, path, key, days, history_seen,
                                   r, err, errlen);
}

void
pf_relay_reload(struct pf_relay *r, const struct pf_config *cfg,
                struct pf_engine *engine)
{
    assert(cfg->n_routes == r->n_routes);
    r->cfg = cfg;
    r->engine = engine;
    for (size_t i = 0; i < r->n_routes; i++)
        r->routes[i].conf = &cfg->routes[i];
    r->stats.reloads++;
}

void
pf_relay_attach(struct pf_relay *r, struct pf_connector *c)
{
    r->conn = c;
}

int
pf_relay_start(struct pf_relay *r)
{
    for (size_t i = 0; i < r->n_routes; i++) {
        struct pf_route *rt = &r->routes[i];
        int rc = r->conn->ops->join(r->conn, rt->conf->customer_room);
        if (!rc)
            rc = r->conn->ops->join(r->conn, rt->conf->internal_room);
        if (rc)
            return rc;
        /* after a restart: read back what came since, and post again
           (unless they arrived) what was decided */
        for (int k = 0; k < 2; k++)
            if (rt->cursor[k])
                r->conn->ops->resume_after(r->conn,
                                           k ? rt->conf->internal_room
                                             : rt->conf->customer_room,
                                           rt->cursor[k]);
    }
    /* the threads the journal kept, oldest first: their replies written
       while the bot was away are read back too */
    for (size_t i = 0; r->conn->ops->follow_thread && i < THREADS_MAX; i++) {
        const struct pf_thread_pair *t =
            &r->threads[(r->thread_pos + i) % THREADS_MAX];
        if (t->in)
            r->conn->ops->follow_thread(r->conn, t->in);
        if (t->cust)
            r->conn->ops->follow_thread(r->conn, t->cust);
    }
    for (size_t i = 0; i < r->n_pend; i++) {
        struct pf_pending *p = &r->pend[i];
        r->conn->ops->post_again(r->conn, p->room, p->thread, p->text, p->key);
        if (!*p->thread && *p->in)
            pf_threads_await(r, p->key, p->in, NULL);
    }
    for (size_t i = 0; i < r->holds.n; i++) {
        struct pf_hold *h = r->holds.items[i];
        struct pf_route *rt = pf_relay_route_by_name(r, h->route);
        if (rt && !(h->notice_id && *h->notice_id))
            pf_outgoing_notice(r, rt, h, h->edits > 0, 1);
    }
    r->started_ms = pf_wall_us() / 1000;
    r->running = 1;
    lws_sul_schedule(r->ctx, 0, &r->tick, pf_decide_tick_cb, 250 * 1000);
    return r->conn->ops->start(r->conn);
}

void
pf_relay_stop(struct pf_relay *r)
{
    r->running = 0;
    lws_sul_cancel(&r->tick);
    if (r->conn)
        r->conn->ops->stop(r->conn);
}

void
pf_relay_free(struct pf_relay *r)
{
    if (!r)
        return;
    lws_sul_cancel(&r->tick);
    lws_sul_cancel(&r->jflush);
    lws_sul_cancel(&r->jkick);
    for (size_t i = 0; i < r->n_routes; i++) {
        struct pf_route *rt = &r->routes[i];
        pf_people_release(&rt->team);
        pf_people_release(&rt->cust);
        for (size_t k = 0; k < rt->n_ctx; k++)
            free(rt->ctx[k]);
        free(rt->cursor[0]);
        free(rt->cursor[1]);
    }
    for (size_t i = 0; i < r->n_pend; i++)
        pf_recovery_pend_clear(&r->pend[i]);
    free(r->pend);
    for (size_t i = 0; i < THREADS_MAX; i++) {
        free(r->threads[i].in);
        free(r->threads[i].cust);
    }
    for (size_t i = 0; i < THREAD_WAIT_MAX; i++) {
        free(r->twait[i].key);
        free(r->twait[i].in);
        free(r->twait[i].cust);
    }
    for (size_t i = 0; i < r->n_unch; i++)
        pf_recovery_unch_clear(&r->unch[i]);
    free(r->unch);
    for (size_t i = 0; i < RECENT_MAX; i++)
        free(r->recent[i]);
    if (r->journal)
        pf_journal_close(r->journal);
    pf_history_close(r->history);
    pf_ledger_free(r->ledger);
    pf_counter_release(&r->metrics.held_by_label);
    pf_counter_release(&r->metrics.decisions);
    free(r->metrics.plugin);
    free(r->routes);
    pf_idset_release(&r->seen);
    pf_idset_release(&r->customers);
    free(r->lat);
    for (size_t i = 0; i < r->n_relayed; i++)
        pf_post_relayed_clear(&r->relayed[i]);
    free(r->relayed);
    pf_holds_release(&r->holds);
    free(r);
}

const struct pf_relay_stats *
pf_relay_stats(const struct pf_relay *r)
{
    return &r->stats;
}

void
pf_relay_journal_stats(const struct pf_relay *r, struct pf_journal_stats *st)
{
    memset(st, 0, sizeof(*st));
    if (r->journal)
        pf_journal_stats(r->journal, st);
}
