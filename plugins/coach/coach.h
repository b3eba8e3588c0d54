/*
 * coach.h - the parts of the coach plugin and what they share: the cue
 * families of its lexicons (config/lexicons/coach-*.txt), the marks a
 * lexicon scan leaves on a message's tokens, and one function per
 * finding.
 *
 *   coach.c     the plugin: configuration, marking, emoji_overuse
 *   apology.c   missing_apology: does the customer complain, does the
 *               reply apologise (the lexicons, with the model's opinion)
 *   model.c     the learned model missing_apology consults (model.h)
 *   questions.c unanswered_questions: the customer's questions and which
 *               of them the reply answers
 *   talkdown.c  condescension: the lexicon's cues and over-explaining
 *
 * Everything here is internal to the plugin (hidden visibility).
 */
#ifndef PF_PLUGINS_COACH_H
#define PF_PLUGINS_COACH_H

#include <pokerface/plugin.h>
#include <stdint.h>

#include "../lib/lexicon.h"
#include "model.h"

enum family {
    F_COMPLAINT = 0, /* the customer is unhappy: late, wrong, broken */
    F_APOLOGY,       /* sorry, pahoittelut: a reply or a customer */
    F_REGRET,        /* that shouldn't have happened, harmittaa: the
                        reply's regret (a customer's is a complaint) */
    F_NOT_APOLOGY,   /* "no need to be sorry": an apology word, no apology */
    F_CONDESCENSION, /* as I already told you */
    F_NOT_CONDESCENSION, /* "as we agreed": covers words that talk down
                            only elsewhere */
    F_DEFINE,            /* means, "is a ... that": defines the word before */
    F_POINT,             /* on se: defines the word before it when a noun
                            follows ("on se laatikko") */
    F_FUNCTION,          /* function words: not what a question is about */
    F_ASK_TIME,          /* when, milloin, how long */
    F_ASK_PRICE,         /* how much, paljonko */
    F_ASK_PLACE,         /* where, missä */
    F_ASK_REASON,        /* why, miksi */
    F_WH,                /* what, which, mikä: asks, but not yes or no */
    F_ASK,               /* starts a yes/no question: can, do, is, onko */
    F_ANS_TIME,          /* tomorrow, torstaina, within 3 days */
    F_NOT_TIME,          /* per month, every 20 minutes: no answer to when */
    F_ANS_PRICE,         /* €, euroa, free */
    F_ANS_PLACE,         /* under, kohdasta, -sivulta, -> */
    F_ANS_REASON,        /* because, koska, takia */
    F_ANS_YESNO,         /* yes, no, kyllä, joo */
    F_ANS_ALL,           /* both, molemmat: answers every question */
    F_AND,               /* and, ja, also, entä: may start another question */
    F_OR,                /* or, vai, tai: another side of the same question */
    F_GREETING,          /* hi, moi: not the start of a question or an answer */
    F_COUNT
};

#define COACH_MAX_TOKENS 512 /* longer messages are coached on their start */
#define COACH_STEM_LEN 32

struct coach {
    const struct pf_host *h;
    struct pf_hctx *hctx;
    struct lexicon lx;
    struct lexicon lx_cond; /* condescension only: replies without context */
    int emoji_max;
    float complaint_min;
    float max_score; /* the highest score a finding gets */
    struct cm_model md;
    int has_model; /* "model": false turns it off */
};

/* per token: a bit per family of the cues that cover it */
struct marks {
    const struct pf_msg *m;
    size_t n; /* tokens marked: at most COACH_MAX_TOKENS */
    uint32_t fam[COACH_MAX_TOKENS];
    float cw[COACH_MAX_TOKENS]; /* complaint weight, at each hit's last token */
    float condescension;        /* sum of its cues' weights */
    /* the definitions ("means", "on se"): where they are */
    struct {
        size_t t0, t1;
        int family;
    } def[PF_SPANS_MAX];
    size_t n_def;
    /* the condescending phrases, their weights and tokens */
    struct {
        size_t t0, t1;
        float w;
    } cond[PF_SPANS_MAX];
    size_t n_cond;
};

/* Scan m with lx. With explain set, every weighted cue is logged. */
void coach_mark(const struct coach *c, struct lexicon *lx,
                const struct pf_msg *m, struct marks *mk, int explain);

static inline int
coach_has(const struct marks *mk, size_t t, int fam)
{
    return t < mk->n && (mk->fam[t] & (1u << fam)) != 0;
}

/* any token of [t0, t1) in family fam */
int coach_any(const struct marks *mk, size_t t0, size_t t1, int fam);

/* is token t punctuation starting with one of chars? */
int coach_is_punct(const struct pf_msg *m, size_t t, const char *chars);

/* Does a sentence (or a clause: with chars) end at token t? A full stop,
   colon or semicolon with a word right after it ("4K:n", "kajo.com",
   ".fi-domain") ends nothing. */
int coach_ends(const struct pf_msg *m, size_t t, const char *chars);

/* the stemmer's language for m's words: "en" or "fi" */
const char *coach_lang(const struct pf_msg *m);

/* the Snowball stem of token t in lang (a number as it is), its length or
   -1. Words compared across messages are stemmed in one language. */
long coach_stem(const struct coach *c, const struct pf_msg *m, size_t t,
                const char *lang, char *out, size_t cap);

/* a word a question or a definition is about: not a function word */
int coach_content_word(const struct pf_msg *m, const struct marks *mk,
                       size_t t);

/* two stems of one word: equal, a Finnish form the stemmer leaves apart
   (nolla / nollaus), or a compound and its first part (vahvistusmerkki /
   vahvistus) */
int coach_stem_match(const char *a, const char *b);

/* the reasons are in Finnish for a Finnish-speaking author */
int coach_fi(const struct pf_msg *m);

/* add a finding, its score capped at c->max_score */
struct pf_finding *coach_finding(const struct coach *c, struct pf_verdict *v,
                                 const char *label, float score);

/* log a line of reasoning for --explain */
#define COACH_EXPLAIN(c, ...) (c)->h->log((c)->hctx, PF_LOG_DEBUG, __VA_ARGS__)

/* The findings of reply m, marked as rk; ck marks the customer's last
   message (m->context[m->n_context - 1]), NULL when there is none. */
void coach_missing_apology(struct coach *c, const struct pf_msg *m,
                           const struct marks *rk, const struct marks *ck,
                           struct pf_verdict *v);
void coach_unanswered(struct coach *c, const struct pf_msg *m,
                      const struct marks *rk, const struct marks *ck,
                      struct pf_verdict *v);
void coach_condescension(const struct coach *c, const struct pf_msg *m,
                         const struct marks *rk, const struct marks *ck,
                         struct pf_verdict *v);

#endif
