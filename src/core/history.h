/*
 * history.h - what became of every hold, kept for history_days: who was
 * held by which labels and words, who decided what and when (in the chat
 * or on the terminal), and whether it was sent, edited, dropped or
 * expired, with the edited text's verdict.
 *
 * File: state_dir/history, a journal file (journal.h: the same header,
 * the same sealed records, under the journal's key), so that the text of
 * a held message is never on disk in plaintext and a changed byte is
 * noticed. Only two record types are history records; each payload is a
 * JSON object:
 *
 *   HELD (101)      {hold, route, author, name, action: "hold"|"block",
 *                    labels: [..], words, why, text, at}
 *   DECISION (102)  {hold, route, kind: "send"|"edit"|"drop"|"expire",
 *                    by, name, via: "chat"|"terminal"|"web"|"timer",
 *                    outcome: "sent"|"held"|"dropped"|"expired", at,
 *                    text? (an edit's), verdict? {action, labels} (an
 *                    edit's)}
 *
 * "at" is milliseconds since the epoch; "by" is the chat user id of who
 * decided ("local:USER" on the terminal, "" for an expiry). An edit that
 * is still held is followed by a DECISION with outcome "held" and, as
 * the hold goes on, by the next decision about the same hold.
 *
 * The journal is compacted down to what is live; the history is a file
 * of its own that only grows, except for pruning: records older than
 * history_days are dropped (at start and then hourly), by the same
 * rewrite the journal's compaction does. A history with a record that
 * does not open (changed, or damaged) is reported and not pruned, so
 * that nothing more is lost before a person has looked at it.
 */
#ifndef PF_HISTORY_H
#define PF_HISTORY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/holds.h"
#include "core/journal.h"

enum pf_hrec_type { PF_HREC_HELD = 101, PF_HREC_DECISION = 102 };

struct pf_history;

/* What reading a history found besides its records. */
struct pf_history_report {
    size_t records;       /* history records handed to the callback */
    size_t bad_records;   /* failed authentication, or sealed but not
                             a history record */
    size_t skipped_bytes; /* bytes that were no record */
    uint64_t first_bad_offset;
    uint64_t first_bad_seq; /* a sealed record that is no history record
                               (0: none) */
    char first_bad_why[160];
    int torn_tail; /* the last record was cut short (a write in progress,
                      or a crash while writing) */
};

/* A history record, parsed and checked: o is borrowed for the call. */
typedef int (*pf_history_fn)(void *ud, int type, uint64_t seq, json_t *o);

/*
 * Parse a sealed record's payload as a history record of this type:
 * a JSON object with the members above, of the right types. Returns the
 * object (the caller's), or NULL with why.
 */
json_t *pf_history_parse(int type, const void *payload, size_t len, char *why,
                         size_t cap);

/*
 * Read a history image (the file's bytes) under key: each record that
 * opens and parses goes to fn in order. Damage is counted into *rep and
 * logged as warnings; it does not stop the reading. Returns PF_OK, or
 * an error (not a history file) with err set.
 */
int pf_history_read_buf(const char *name, const void *data, size_t size,
                        const unsigned char key[PF_KEY_BYTES], pf_history_fn fn,
                        void *ud, struct pf_history_report *rep, char *err,
                        size_t errlen);

/*
 * The same from the file at path, read only (the bot may be writing it:
 * a record cut short at the end is one being written). A missing file
 * is an empty history.
 */
int pf_history_read(const char *path, const unsigned char key[PF_KEY_BYTES],
                    pf_history_fn fn, void *ud, struct pf_history_report *rep,
                    char *err, size_t errlen);

/*
 * Open the history at path for appending (creating it, mode 0600), and
 * prune what is older than days. Errors: as pf_journal_open.
 */
int pf_history_open(struct pf_history **out, const char *path,
                    const unsigned char key[PF_KEY_BYTES], double days,
                    char *err, size_t errlen);

/*
 * The same, and watch (when not NULL) is told every history record read
 * at open, then every record written, once it is on disk (o borrowed).
 */
int pf_history_open_watched(struct pf_history **out, const char *path,
                            const unsigned char key[PF_KEY_BYTES], double days,
                            pf_history_fn watch, void *ud, char *err,
                            size_t errlen);

/* Prune now if an hour has passed since the last time (the relay's tick). */
void pf_history_tick(struct pf_history *h, int64_t now_ms);
/* Drop the records older than days before now_ms (tests). */
int pf_history_prune(struct pf_history *h, int64_t now_ms, char *err,
                     size_t errlen);

/*
 * A hold was made: its record (fsync'd). A failure is logged; the hold
 * goes on (the journal keeps it safe).
 */
void pf_history_held(struct pf_history *h, const struct pf_hold *hold);
/*
 * A decision about hold: kind, who (by, name) and how (via), and what
 * came of it; text and verdict (stolen, may be NULL) for an edit.
 */
void pf_history_decided(struct pf_history *h, const struct pf_hold *hold,
                        const char *kind, const char *by, const char *name,
                        const char *via, const char *outcome, const char *text,
                        json_t *verdict);
/* Append a record (o stolen), fsync'd (tests: records of any age). */
int pf_history_append(struct pf_history *h, int type, json_t *o, char *err,
                      size_t errlen);

uint64_t pf_history_size(const struct pf_history *h);
void pf_history_close(struct pf_history *h);

#endif
