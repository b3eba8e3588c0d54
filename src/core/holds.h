/*
 * holds.h - the messages waiting for a person's decision. Each hold has a
 * short number people type (!send 7), the text as the author wrote it,
 * why it was held, and when it expires. Kept in memory here; the relay's
 * journal makes it survive restarts.
 */
#ifndef PF_HOLDS_H
#define PF_HOLDS_H

#include <stddef.h>
#include <stdint.h>

enum pf_hold_state {
    PF_HOLD_OPEN = 0,
    PF_HOLD_SENT,
    PF_HOLD_DROPPED,
    PF_HOLD_EXPIRED
};

struct pf_hold {
    unsigned id;
    int action;  /* PF_ACT_HOLD or PF_ACT_BLOCK */
    int state;   /* enum pf_hold_state */
    char *route; /* route name */
    char *author_id, *author_name;
    char *text;          /* the text as held (after an edit, the new one) */
    char *source_id;     /* backend id of the author's message */
    char *source_alt_id; /* the id the author's client gave it */
    char *thread;        /* the internal thread it was written in (its root
                            post's id), where its notice goes; "" when
                            the backend has no threads */
    char *lang;          /* "fi" or "en": the language of the notices */
    char *why;           /* one line: what the rules found */
    char *words;         /* the offending words, quoted, comma-separated */
    char *labels;        /* the labels that held it, comma-separated (not
                            kept in the journal: the history has them) */
    char *details;       /* several lines: every finding, for !why */
    char *notice_key;    /* idempotency key of the latest notice */
    char *notice_id;     /* backend id of that notice, once known */
    unsigned edits;
    int64_t created_ms, expires_ms;
    uint64_t jseq;        /* the journal record that holds it now */
    uint64_t notice_jseq; /* the record that knows notice_id */
};

struct pf_holds {
    struct pf_hold **items;
    size_t n, cap;
    unsigned next_id;
};

void pf_holds_init(struct pf_holds *h);
void pf_holds_release(struct pf_holds *h);
/* A new open hold with the next id; fill it in. */
struct pf_hold *pf_holds_add(struct pf_holds *h);
/* The same with a given id (replaying the journal); NULL if it exists. */
struct pf_hold *pf_holds_add_id(struct pf_holds *h, unsigned id);
struct pf_hold *pf_holds_get(struct pf_holds *h, unsigned id);
struct pf_hold *pf_holds_by_notice(struct pf_holds *h, const char *notice_id);
/* The hold of the author's message with this id (backend or client id). */
struct pf_hold *pf_holds_by_source(struct pf_holds *h, const char *alt_id);
/* Forget a decided hold. */
void pf_holds_remove(struct pf_holds *h, unsigned id);
/* Replace a string member: *field = copy of value. */
void pf_hold_set(char **field, const char *value);
size_t pf_holds_open(const struct pf_holds *h);

#endif
