/*
 * ledger.h - the history as the review page shows it: one item per hold
 * (what held it, and what became of it), built from the history's
 * records (history.h) as they are read at start and as they are written,
 * kept in memory so that a page never waits for the disk.
 *
 * An item is a JSON object:
 *   {hold, route, author, name, action, labels: [..], words, why, text,
 *    held_at, outcome: "open"|"sent"|"edited"|"dropped"|"expired",
 *    decided_at, decided_by, via, decisions: [{kind, by, name, via,
 *    outcome, at, text?}]}
 * "sent" is sent as it was held (a false alarm); "edited" is sent after
 * an edit (the author's or a supervisor's); a DECISION with outcome
 * "held" (an edit still held) leaves the item open.
 */
#ifndef PF_LEDGER_H
#define PF_LEDGER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

struct pf_ledger;

struct pf_ledger_filter {
    int64_t since_ms;    /* held at or after this (0: any time) */
    const char *author;  /* in the author's id or name, any case; NULL */
    const char *label;   /* one of its labels ("backstage.joke"), or of
                            its plugin's ("backstage"); NULL: any */
    const char *outcome; /* exactly; NULL: any */
    size_t max;          /* at most this many, newest first (0: 1000) */
};

struct pf_ledger *pf_ledger_new(void);
void pf_ledger_free(struct pf_ledger *l);
/* A history record (a pf_history_fn: ud is the ledger; o is borrowed). */
int pf_ledger_add(void *ud, int type, uint64_t seq, json_t *o);
/* Forget the holds held before before_ms (the history's pruning). */
void pf_ledger_prune(struct pf_ledger *l, int64_t before_ms);
size_t pf_ledger_count(const struct pf_ledger *l);
/* The items that pass f, newest first: a new array. */
json_t *pf_ledger_items(const struct pf_ledger *l,
                        const struct pf_ledger_filter *f);
/*
 * The same as CSV (RFC 4180, a header line first): hold, held_at, route,
 * author, labels, outcome, decided_by, decided_at, text; times in ISO
 * 8601 UTC. A field that a spreadsheet would take for a formula (it
 * starts with = + - @ or a tab) is prefixed with an apostrophe.
 */
void pf_ledger_csv(const struct pf_ledger *l, const struct pf_ledger_filter *f,
                   struct pf_buf *out);
/*
 * Counts over the days days up to now_ms (UTC days), per day (every day,
 * oldest first) and per label: {days: [{day, held, sent, edited,
 * dropped, expired}], labels: [{label, ...the same}]}.
 */
json_t *pf_ledger_stats(const struct pf_ledger *l, int64_t now_ms, int days);

#endif
