/*
 * metrics.h - what the relay counts for a monitoring system, and the
 * Prometheus text exposition format (version 0.0.4) it is shown in at
 * /metrics (core/web.c serves it).
 *
 * Counters only grow while the bot runs and start at zero with each
 * start (Prometheus's rate() takes restarts in its stride); the
 * history (history.h) is what keeps every decision for good. Series
 * are labelled by things of few values: a plugin, a label a plugin
 * reports, a kind of decision, the role of who decided (author,
 * supervisor, terminal) - never a person or a message.
 */
#ifndef PF_METRICS_H
#define PF_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

#define PF_HIST_MAX 16

/* a histogram with fixed upper bounds (seconds), ascending */
struct pf_histogram {
    const double *bounds;
    size_t n_bounds;                  /* at most PF_HIST_MAX */
    uint64_t counts[PF_HIST_MAX + 1]; /* per bucket, not cumulative; the
                                         last is above every bound */
    uint64_t count;
    double sum;
};

/* one series of a labelled counter: its label values, joined by '\x1f' */
struct pf_series {
    char *key;
    uint64_t n;
};

struct pf_counter {
    struct pf_series *s;
    size_t n, cap;
};

/* Bounds for latencies added by the bot, and for one plugin's check. */
extern const double pf_metrics_latency_bounds[];
extern const size_t pf_metrics_latency_n;
extern const double pf_metrics_check_bounds[];
extern const size_t pf_metrics_check_n;

void pf_histogram_init(struct pf_histogram *h, const double *bounds, size_t n);
void pf_histogram_observe(struct pf_histogram *h, double v);

/* Add n to the series of these label values (v2 NULL: one label). */
void pf_counter_add(struct pf_counter *c, uint64_t n, const char *v1,
                    const char *v2);
void pf_counter_release(struct pf_counter *c);

/*
 * Writing the exposition format. A family starts with pf_prom_family
 * (# HELP and # TYPE); then its samples. Label names are given as a
 * NULL-terminated list of names and values; values are escaped.
 */
void pf_prom_family(struct pf_buf *b, const char *name, const char *type,
                    const char *help);
void pf_prom_sample(struct pf_buf *b, const char *name, const char *const *lv,
                    double v);
/* every series of c, with label names l1 (and l2 when the keys have two) */
void pf_prom_counter(struct pf_buf *b, const char *name, const char *help,
                     const struct pf_counter *c, const char *l1,
                     const char *l2);
/* a histogram's _bucket, _sum and _count samples (family written first) */
void pf_prom_histogram(struct pf_buf *b, const char *name,
                       const char *const *lv, const struct pf_histogram *h);

#endif
