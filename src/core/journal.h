/*
 * journal.h - the hold queue's durable memory: an append-only file of
 * records, each sealed with XChaCha20-Poly1305 under a 32-byte key, so
 * that no message text is ever on disk in plaintext and a changed byte is
 * noticed.
 *
 * File: a 16-byte header ("PFJOURN1", version, reserved), then records:
 *
 *     "PFR1"  u32 sealed length  24-byte nonce  sealed bytes
 *
 * The sealed bytes open (with the marker and length as associated data)
 * to: u8 type, u64 sequence number, payload. Sequence numbers only grow.
 * Nonces are a random prefix per open and a counter (journal.c, next_nonce,
 * says why they never repeat); a reader does not care how they were made.
 *
 * Writes: a record appended with sync goes out at once, together with
 * the records appended before it without sync, in one write and one
 * fdatasync (a group commit); records without sync wait for that or for
 * pf_journal_flush(). A record appended with PF_JOURNAL_SOON goes out
 * at once in the same way, and the fdatasync is left to the journal's
 * own thread, which the caller starts when it is ready to
 * (pf_journal_sync_start()): the caller may go on while the disk catches
 * up, and what it wrote survives the process being killed, though not
 * yet the machine going down. A crash in the middle of such a write leaves
 * whole records and then at most one torn one, which is read as below: the
 * format is the same whether records were written one by one or in a
 * batch.
 *
 * Replay reads every record in order. A record cut short at the end (a
 * crash in the middle of a write) is ignored with a warning, and the file
 * is cut back to the last whole record before anything is appended. A
 * record that fails authentication, or bytes that are no record, are
 * reported with their offset and skipped: replay finds the next record by
 * its marker. Nothing is dropped silently and nothing of this is fatal;
 * but a journal of which not one record opens is refused (the wrong key).
 */
#ifndef PF_JOURNAL_H
#define PF_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define PF_KEY_BYTES 32
#define PF_JOURNAL_MAX_RECORD (16u << 20) /* sealed bytes of one record */

/* Record types the relay writes (the journal itself does not care). */
enum pf_jrec_type {
    PF_JREC_RECEIVED = 1, /* an outgoing message came in */
    PF_JREC_VERDICT = 2,  /* it was checked */
    PF_JREC_HELD = 3,     /* it is held, with its notice */
    PF_JREC_DECISION = 4, /* who decided what, when */
    PF_JREC_SENT = 5,     /* posted, with the backend's id */
    PF_JREC_EXPIRED = 6,  /* dropped unsent after hold_ttl */
    PF_JREC_DROPPED = 7,  /* dropped by a person */
    PF_JREC_CURSOR = 8,   /* the last message handled in a room */
    PF_JREC_META = 9,     /* counters that must never go back */
    PF_JREC_THREAD = 10   /* an internal thread answers a customer's */
};

/* What this journal did since it was opened (the tests count syncs). */
struct pf_journal_stats {
    uint64_t records; /* appended */
    uint64_t writes;  /* write calls */
    uint64_t syncs;   /* fdatasync calls */
};

/* What replay found besides the records. */
struct pf_journal_report {
    size_t records;       /* opened and handed to the callback */
    size_t bad_records;   /* failed authentication (skipped) */
    size_t skipped_bytes; /* bytes that were no record (skipped) */
    int torn_tail;        /* the last record was cut short (ignored) */
    uint64_t torn_offset; /* ... here */
    uint64_t first_bad_offset;
    uint64_t last_seq;
};

/* Called for each record in order; payload is valid during the call. A
   non-zero return stops the replay and is returned by open. */
typedef int (*pf_journal_fn)(void *ud, int type, uint64_t seq,
                             const void *payload, size_t len);

struct pf_journal;

/*
 * Read a key file: exactly 32 bytes, or 64 hex digits and an optional
 * newline; a regular file owned by this user that only this user can read
 * (mode 0600 or 0400). err names the file and what is wrong.
 */
int pf_key_load(const char *path, unsigned char key[PF_KEY_BYTES], char *err,
                size_t errlen);
/* Create one with a fresh random key (hex), mode 0600; never overwrite. */
int pf_key_create(const char *path, char *err, size_t errlen);

/*
 * Open (creating it if missing, mode 0600) and replay the journal at path.
 * Warnings about torn or bad records go to the log and into *rep (may be
 * NULL). Returns PF_OK, or an error with err set: not a journal, no record
 * opens with this key, an I/O error, or the callback's non-zero value.
 */
int pf_journal_open(struct pf_journal **out, const char *path,
                    const unsigned char key[PF_KEY_BYTES], pf_journal_fn fn,
                    void *ud, struct pf_journal_report *rep, char *err,
                    size_t errlen);

/* How durable a record must be when pf_journal_append() returns. */
enum {
    PF_JOURNAL_LATER = 0, /* in memory: written with the next one, or flush */
    PF_JOURNAL_SYNC = 1,  /* written and fdatasync'd */
    PF_JOURNAL_SOON = 2   /* written; fdatasync'd by the journal's thread */
};

/*
 * Append a record. With PF_JOURNAL_SYNC, it and every record appended
 * before it are written in one write and fdatasync'd before this returns,
 * so the caller may act on it; an error means none of them may be counted
 * on. With PF_JOURNAL_SOON they are written in one write before this
 * returns (a killed process loses none of them) and fdatasync'd by the
 * journal's thread once pf_journal_sync_start() wakes it: for an act that
 * can be found out again after the machine went down (a post under its
 * key, looked for before it is made again). A failed fdatasync there
 * makes every later append and flush fail with it. With PF_JOURNAL_LATER (0)
 * the record waits in memory for the next record written, for
 * pf_journal_flush() or close (or 64 KiB of such records): one that may be lost
 * in a crash. Returns the record's sequence number in *seq (may be NULL).
 */
int pf_journal_append(struct pf_journal *j, int type, const void *payload,
                      size_t len, int sync, uint64_t *seq, char *err,
                      size_t errlen);

/*
 * Wake the journal's thread to fdatasync what PF_JOURNAL_SOON wrote
 * (nothing when there is nothing). Waking a thread costs its waker an
 * interrupt to another CPU, 20-30 us on a virtual machine whose other
 * vCPU is halted: the relay calls this once the post the records are
 * for is on its way, not before. Compaction and close wake it too,
 * and wait for it.
 */
void pf_journal_sync_start(struct pf_journal *j);

/* Write the records waiting in memory (with sync: and fdatasync them and
   all written before, waiting for the journal's thread's too). */
int pf_journal_flush(struct pf_journal *j, int sync, char *err, size_t errlen);

void pf_journal_stats(const struct pf_journal *j, struct pf_journal_stats *st);

/*
 * Rewrite the journal with only the records keep() hands back: a new file
 * next to it, fsync'd, renamed over the old one, the directory fsync'd.
 * keep is called with each record's type and sequence number in order
 * (payload NULL, len 0: nothing is opened again) and returns 1 to keep
 * it. The kept records are copied as they are sealed.
 */
int pf_journal_compact(struct pf_journal *j, pf_journal_fn keep, void *ud,
                       char *err, size_t errlen);

/*
 * Replay a journal image in memory (the fuzz target; tools): as open
 * does, without a file. name is used in messages.
 */
int pf_journal_replay_buf(const char *name, const void *data, size_t size,
                          const unsigned char key[PF_KEY_BYTES],
                          pf_journal_fn fn, void *ud,
                          struct pf_journal_report *rep, char *err,
                          size_t errlen);

/* Bytes in the file now, and those waiting to be written. */
uint64_t pf_journal_size(const struct pf_journal *j);

void pf_journal_close(struct pf_journal *j);

#endif
