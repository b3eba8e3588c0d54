/*
 * metrics.c - see metrics.h; and what the relay shows at /metrics and
 * /healthz (pf_relay_metrics, pf_relay_health in relay.h).
 *
 * Rendering reads the relay's counters on the loop thread, as everything
 * else does, so a scrape sees one consistent moment; it costs a few
 * microseconds per series and allocates one buffer.
 */
#include "core/metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/history.h"
#include "core/journal.h"
#include "core/relay_int.h"

const double pf_metrics_latency_bounds[] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
    0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
const size_t pf_metrics_latency_n = 14;
const double pf_metrics_check_bounds[] = {
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001,
    0.0025,  0.005,    0.01,    0.025,  0.05,    0.1,    0.25};
const size_t pf_metrics_check_n = 14;

void
pf_histogram_init(struct pf_histogram *h, const double *bounds, size_t n)
{
    memset(h, 0, sizeof(*h));
    h->bounds = bounds;
    h->n_bounds = n > PF_HIST_MAX ? PF_HIST_MAX : n;
}

void
pf_histogram_observe(struct pf_histogram *h, double v)
{
    size_t i = 0;
    while (i < h->n_bounds && v > h->bounds[i])
        i++;
    h->counts[i]++;
    h->count++;
    h->sum += v;
}

void
pf_counter_add(struct pf_counter *c, uint64_t n, const char *v1, const char *v2)
{
    char *key = v2 ? pf_xasprintf("%s\x1f%s", v1, v2) : pf_xstrdup(v1);
    for (size_t i = 0; i < c->n; i++) {
        if (!strcmp(c->s[i].key, key)) {
            c->s[i].n += n;
            free(key);
            return;
        }
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        c->s = pf_xrealloc(c->s, c->cap * sizeof(*c->s));
    }
    c->s[c->n].key = key;
    c->s[c->n].n = n;
    c->n++;
}

void
pf_counter_release(struct pf_counter *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->s[i].key);
    free(c->s);
    memset(c, 0, sizeof(*c));
}

/* ---- the exposition format ---- */

static void
add_value(struct pf_buf *b, double v)
{
    if (isnan(v))
        pf_buf_addstr(b, "NaN");
    else if (isinf(v))
        pf_buf_addstr(b, v > 0 ? "+Inf" : "-Inf");
    else if (v == (double)(int64_t)v && fabs(v) < 9e15)
        pf_buf_addf(b, "%lld", (long long)v);
    else {
        /* the shortest of these that reads back as the same number */
        char s[40];
        snprintf(s, sizeof(s), "%.15g", v);
        if (strtod(s, NULL) != v)
            snprintf(s, sizeof(s), "%.17g", v);
        pf_buf_addstr(b, s);
    }
}

/* a label value: backslash, double quote and newline escaped */
static void
add_label_value(struct pf_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            pf_buf_addch(b, '\\'), pf_buf_addch(b, *s);
        else if (*s == '\n')
            pf_buf_addstr(b, "\\n");
        else
            pf_buf_addch(b, *s);
    }
}

void
pf_prom_family(struct pf_buf *b, const char *name, const char *type,
               const char *help)
{
    pf_buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
add_labels(struct pf_buf *b, const char *const *lv, const char *extra_name,
           const char *extra_value)
{
    int any = 0;
    for (size_t i = 0; lv && lv[i]; i += 2) {
        pf_buf_addstr(b, any ? "," : "{");
        pf_buf_addf(b, "%s=\"", lv[i]);
        add_label_value(b, lv[i + 1]);
        pf_buf_addch(b, '"');
        any = 1;
    }
    if (extra_name) {
        pf_buf_addstr(b, any ? "," : "{");
        pf_buf_addf(b, "%s=\"%s\"", extra_name, extra_value);
        any = 1;
    }
    if (any)
        pf_buf_addch(b, '}');
}

void
pf_prom_sample(struct pf_buf *b, const char *name, const char *const *lv,
               double v)
{
    pf_buf_addstr(b, name);
    add_labels(b, lv, NULL, NULL);
    pf_buf_addch(b, ' ');
    add_value(b, v);
    pf_buf_addch(b, '\n');
}

void
pf_prom_counter(struct pf_buf *b, const char *name, const char *help,
                const struct pf_counter *c, const char *l1, const char *l2)
{
    pf_prom_family(b, name, "counter", help);
    for (size_t i = 0; i < c->n; i++) {
        const char *key = c->s[i].key;
        const char *sep = strchr(key, '\x1f');
        char *v1 =
            sep ? pf_xasprintf("%.*s", (int)(sep - key), key) : pf_xstrdup(key);
        const char *lv[] = {l1, v1, sep && l2 ? l2 : NULL, sep ? sep + 1 : NULL,
                            NULL};
        pf_prom_sample(b, name, lv, (double)c->s[i].n);
        free(v1);
    }
}

void
pf_prom_histogram(struct pf_buf *b, const char *name, const char *const *lv,
                  const struct pf_histogram *h)
{
    uint64_t cum = 0;
    char le[32];
    for (size_t i = 0; i <= h->n_bounds; i++) {
        cum += h->counts[i];
        if (i < h->n_bounds) {
            struct pf_buf v = PF_BUF_INIT;
            add_value(&v, h->bounds[i]);
            snprintf(le, sizeof(le), "%s", v.data);
            pf_buf_release(&v);
        } else {
            snprintf(le, sizeof(le), "+Inf");
        }
        pf_buf_addf(b, "%s_bucket", name);
        add_labels(b, lv, "le", le);
        pf_buf_addf(b, " %llu\n", (unsigned long long)cum);
    }
    pf_buf_addf(b, "%s_sum", name);
    add_labels(b, lv, NULL, NULL);
    pf_buf_addch(b, ' ');
    add_value(b, h->sum);
    pf_buf_addf(b, "\n%s_count", name);
    add_labels(b, lv, NULL, NULL);
    pf_buf_addf(b, " %llu\n", (unsigned long long)h->count);
}

/* ---- the relay's ---- */

static void
one(struct pf_buf *b, const char *name, const char *type, const char *help,
    double v)
{
    pf_prom_family(b, name, type, help);
    pf_prom_sample(b, name, NULL, v);
}

void
pf_relay_metrics(struct pf_relay *r, struct pf_buf *b)
{
    const struct pf_relay_stats *st = &r->stats;
    struct pf_relay_metrics *m = &r->metrics;
    char abi[32];
    snprintf(abi, sizeof(abi), "%d.%d", PF_ABI_MAJOR, PF_ABI_MINOR);
    const char *build[] = {"version", PF_VERSION, "abi", abi, NULL};
    pf_prom_family(b, "pokerface_build_info", "gauge",
                   "The running build: version and plugin ABI.");
    pf_prom_sample(b, "pokerface_build_info", build, 1);
    one(b, "pokerface_start_time_seconds", "gauge",
        "When the bot started, in seconds since the epoch.",
        (double)r->started_ms / 1000.0);
    one(b, "pokerface_connected", "gauge",
        "1 while the bot is connected to the chat, else 0.",
        r->conn && r->connected ? 1 : 0);
    one(b, "pokerface_ready", "gauge",
        "1 while the bot is connected, in its rooms and caught up, else 0.",
        r->conn && r->conn->ops->ready(r->conn) ? 1 : 0);
    one(b, "pokerface_relayed_total", "counter",
        "Replies relayed to customers as they were written (checked and "
        "passed).",
        st->relayed);
    one(b, "pokerface_mirrored_total", "counter",
        "Customers' messages mirrored into internal rooms.", st->mirrored);
    one(b, "pokerface_held_total", "counter",
        "Replies held (or blocked) for a person's decision.", st->held);
    pf_prom_counter(b, "pokerface_held_by_label_total",
                    "Holds by a label that held them (a hold with two labels "
                    "counts under both).",
                    &m->held_by_label, "label", NULL);
    pf_prom_counter(b, "pokerface_decisions_total",
                    "Decisions about holds, by kind (send, edit, drop) and by "
                    "who took them (author, supervisor, terminal).",
                    &m->decisions, "kind", "by");
    one(b, "pokerface_sent_after_hold_total", "counter",
        "Held replies sent to the customer after a decision (as they were, "
        "or edited).",
        st->sent);
    one(b, "pokerface_expired_total", "counter",
        "Holds nobody decided about in time: dropped, never sent.",
        st->expired);
    one(b, "pokerface_notes_total", "counter",
        "Replies relayed with a tip to their author.", st->notes);
    one(b, "pokerface_refused_total", "counter",
        "Commands and messages refused (not allowed, or from no known "
        "address).",
        st->refused);
    one(b, "pokerface_too_long_total", "counter",
        "Replies too long to read or to post, returned to their author.",
        st->too_long);
    one(b, "pokerface_held", "gauge", "Holds waiting for a decision now.",
        (double)r->holds.n);
    pf_prom_family(b, "pokerface_relay_latency_seconds", "histogram",
                   "Time the bot adds to a reply relayed as it came: from "
                   "its frame's arrival to the relayed post being queued.");
    pf_prom_histogram(b, "pokerface_relay_latency_seconds", NULL, &m->latency);
    pf_prom_family(b, "pokerface_relay_stage_seconds", "histogram",
                   "The same, by stage: reading (the frame parsed and "
                   "dispatched), checking (the checks, while the reply is "
                   "journaled), journal (the verdict written; the journal's "
                   "thread syncs it once the post is out), posting (the "
                   "post queued).");
    for (int i = 0; i < PF_LAT_STAGES; i++) {
        const char *lv[] = {"stage", pf_relay_stage_names[i], NULL};
        pf_prom_histogram(b, "pokerface_relay_stage_seconds", lv, &m->stage[i]);
    }
    pf_prom_family(b, "pokerface_plugin_check_seconds", "histogram",
                   "Time of one plugin's check of one message.");
    for (size_t i = 0; i < m->n_plugin; i++) {
        const char *lv[] = {"plugin", pf_engine_plugin_name(r->engine, i),
                            NULL};
        pf_prom_histogram(b, "pokerface_plugin_check_seconds", lv,
                          &m->plugin[i]);
    }
    one(b, "pokerface_journal_bytes", "gauge",
        "Size of the journal of held messages.",
        (double)(r->journal ? pf_journal_size(r->journal) : 0));
    struct pf_journal_stats js;
    pf_relay_journal_stats(r, &js);
    one(b, "pokerface_journal_fdatasyncs_total", "counter",
        "fdatasync calls that made the journal durable, by the bot and by "
        "the journal's thread.",
        (double)js.syncs);
    one(b, "pokerface_history_bytes", "gauge", "Size of the history file.",
        (double)pf_history_size(r->history));
}

int
pf_relay_health(struct pf_relay *r, char *why, size_t cap)
{
    if (!r->conn || !r->connected) {
        pf_snprintf(why, cap, "not connected to the chat");
        return 0;
    }
    if (!r->conn->ops->ready(r->conn)) {
        pf_snprintf(why, cap,
                    "connected, not yet in every room and caught "
                    "up");
        return 0;
    }
    pf_snprintf(why, cap, "connected and caught up");
    return 1;
}

void
pf_relay_metrics_plugins(struct pf_relay *r, const struct pf_result *res)
{
    struct pf_relay_metrics *m = &r->metrics;
    for (size_t i = 0; i < res->run.n_inst && i < m->n_plugin; i++)
        if (res->run.plugin_ns && res->run.plugin_ns[i] >= 0)
            pf_histogram_observe(&m->plugin[i],
                                 (double)res->run.plugin_ns[i] / 1e9);
}
