/*
 * questions.c - unanswered_questions: the customer asked two or more
 * questions and the reply leaves some unanswered.
 *
 * The questions: each sentence that ends in '?', split where "and"/"ja"/
 * "entä" or a comma starts another question ("When does it start, and
 * can I pay in instalments?"). "Or"/"vai" does not split: "Can I add it
 * myself or do you need to?" is one question with two sides. Punctuation
 * glued inside a word ("4K:n", "Go:ssa") ends nothing.
 *
 * Whether a question is answered: its content words (not function words)
 * are stemmed and looked for in the reply, each reply word answering one
 * question; or the reply has the kind of answer the question asks for (a
 * time for "when", a price for "how much"); or the reply opens with yes,
 * no or the question's own verb ("Voiko...? - Voi!"), which answers the
 * first yes/no question; or it answers them all ("Yes to both",
 * "Molemmat onnistuvat"). A lone question is no finding: a reply that
 * skips the only question is another problem.
 */
#include "coach.h"

#include <stdio.h>
#include <string.h>

#define MAX_QUESTIONS 8
#define MAX_STEMS 128
#define Q_STEMS 16

struct question {
    size_t t0, t1; /* tokens of the customer message */
    int kind;      /* F_ASK_TIME.. F_ASK_REASON, or -1 */
    int yesno;     /* starts with an auxiliary or a -ko/-kö verb */
    size_t verb;   /* that word */
    size_t n_content;
    char stems[Q_STEMS][COACH_STEM_LEN];
    /* the stem is in another question too: the topic ("cat" in "How
       often should I worm my cat, and which product for an indoor
       cat?") says nothing about which one the reply answers */
    unsigned char shared[Q_STEMS];
    size_t n_stems, n_own;
};

struct stemset {
    char s[MAX_STEMS][COACH_STEM_LEN];
    size_t tok[MAX_STEMS];         /* the reply's token */
    unsigned char used[MAX_STEMS]; /* already answered an earlier question */
    size_t n;
};

/* a Finnish question verb: onko, voiko, tukeeko, toimiiks */
static int
ko_word(const struct pf_msg *m, size_t t)
{
    const struct pf_token *tok = &m->tokens[t];
    const char *w = m->norm + tok->norm_off;
    size_t n = tok->norm_len;
    if (tok->kind != PF_TOK_WORD || n < 4)
        return 0;
    return (w[n - 2] == 'k' && w[n - 1] == 'o') ||
           (n >= 5 && memcmp(w + n - 3, "k\xc3\xb6", 3) == 0) ||
           (w[n - 2] == 'k' && w[n - 1] == 's');
}

/* does a new question start at token t (after "and", or a comma)? */
static int
starts_question(const struct pf_msg *m, const struct marks *mk, size_t t)
{
    return t < mk->n &&
           (coach_has(mk, t, F_ASK) || coach_has(mk, t, F_WH) ||
            coach_has(mk, t, F_ASK_TIME) || coach_has(mk, t, F_ASK_PRICE) ||
            coach_has(mk, t, F_ASK_PLACE) || coach_has(mk, t, F_ASK_REASON) ||
            ko_word(m, t));
}

static void
add_question(const struct coach *c, const struct pf_msg *m,
             const struct marks *mk, const char *lang, size_t t0, size_t t1,
             struct question *qs, size_t *nq)
{
    while (t0 < t1 &&
           (m->tokens[t0].kind == PF_TOK_PUNCT || coach_has(mk, t0, F_AND) ||
            coach_has(mk, t0, F_OR) || coach_has(mk, t0, F_GREETING) ||
            m->tokens[t0].kind == PF_TOK_EMOJI))
        t0++;
    if (t0 >= t1 || *nq >= MAX_QUESTIONS)
        return;
    struct question *q = &qs[(*nq)++];
    memset(q, 0, sizeof(*q));
    q->t0 = t0;
    q->t1 = t1;
    q->kind = -1;
    static const int kinds[] = {F_ASK_TIME, F_ASK_PRICE, F_ASK_PLACE,
                                F_ASK_REASON};
    size_t kind_at = t1;
    for (size_t t = t0; t < t1 && q->kind < 0; t++)
        for (size_t k = 0; k < 4 && q->kind < 0; k++)
            if (coach_has(mk, t, kinds[k])) {
                q->kind = kinds[k];
                kind_at = t;
            }
    for (size_t t = t0, words = 0; t < t1 && words < 2; t++) {
        if (m->tokens[t].kind != PF_TOK_WORD)
            continue;
        words++;
        if (coach_has(mk, t, F_WH))
            break; /* "What would the fee be?" is no yes/no question */
        if ((coach_has(mk, t, F_ASK) || ko_word(m, t)) && t < kind_at) {
            q->yesno = 1;
            q->verb = t;
            break;
        }
    }
    /* "Is fitting included in the price?" asks yes or no, not a price:
       a kind word deep inside a yes/no question ("Could you tell me, how
       much...?" still asks a price) */
    size_t words_before = 0;
    for (size_t t = q->verb; q->yesno && t < kind_at && t < t1; t++)
        words_before += m->tokens[t].kind == PF_TOK_WORD;
    if (q->yesno && q->kind >= 0 && words_before > 2)
        q->kind = -1;
    else if (q->kind >= 0)
        q->yesno = 0;
    for (size_t t = t0; t < t1; t++) {
        if (!coach_content_word(m, mk, t))
            continue;
        q->n_content++;
        /* the verb that asks ("näkyykö") is answered by yes or no, and
           its stem ("näkyy") is in many a reply to other questions */
        if (q->yesno && t == q->verb && t + 1 < t1)
            continue;
        if (q->n_stems < Q_STEMS &&
            coach_stem(c, m, t, lang, q->stems[q->n_stems], COACH_STEM_LEN) > 0)
            q->n_stems++;
    }
}

/* does [t0, t1) ask for something: a content word besides its question
   verbs, or a word that asks for a kind of answer ("Where is it")? */
static int
says_something(const struct pf_msg *m, const struct marks *mk, size_t t0,
               size_t t1)
{
    for (size_t t = t0; t < t1; t++)
        if ((coach_content_word(m, mk, t) && !ko_word(m, t)) ||
            coach_has(mk, t, F_ASK_TIME) || coach_has(mk, t, F_ASK_PRICE) ||
            coach_has(mk, t, F_ASK_PLACE) || coach_has(mk, t, F_ASK_REASON))
            return 1;
    return 0;
}

/* do the first two words of [t0, t1) ask something? */
static int
opens_question(const struct pf_msg *m, const struct marks *mk, size_t t0,
               size_t t1)
{
    for (size_t t = t0, words = 0; t < t1 && words < 2; t++) {
        if (m->tokens[t].kind != PF_TOK_WORD || coach_has(mk, t, F_GREETING))
            continue;
        words++;
        if (starts_question(m, mk, t))
            return 1;
    }
    return 0;
}

static int locative(const struct pf_msg *m, const struct marks *mk);

/* a word that asks for a kind of answer: when, why, how much */
static int
kind_word(const struct marks *mk, size_t t)
{
    return coach_has(mk, t, F_ASK_TIME) || coach_has(mk, t, F_ASK_PRICE) ||
           coach_has(mk, t, F_ASK_PLACE) || coach_has(mk, t, F_ASK_REASON);
}

/* the first word of [t0, t1) */
static size_t
first_word(const struct pf_msg *m, const struct marks *mk, size_t t0, size_t t1)
{
    while (t0 < t1 &&
           (m->tokens[t0].kind != PF_TOK_WORD || coach_has(mk, t0, F_GREETING)))
        t0++;
    return t0;
}

/* the questions of one customer message */
static size_t
questions(const struct coach *c, const struct pf_msg *m, const struct marks *mk,
          const char *lang, struct question *qs)
{
    size_t nq = 0, start = 0;
    size_t n = mk->n;
    for (size_t t = 0; t < n; t++) {
        if (!coach_ends(m, t, ".!?:;\n") && t + 1 < n)
            continue;
        size_t end = t + 1;
        if (m->tokens[t].flags & PF_TOKF_QUESTION) {
            size_t q0 = start;
            /* "Why and when...?", "Miksi ja milloin...?": two questions,
               the first of them only its question word */
            size_t w = first_word(m, mk, start, t);
            if (w + 2 < t && kind_word(mk, w) && coach_has(mk, w + 1, F_AND) &&
                kind_word(mk, w + 2)) {
                add_question(c, m, mk, lang, w, w + 1, qs, &nq);
                q0 = w + 2;
            }
            /* split at "and"/"ja" or a comma that starts a new question */
            for (size_t k = start + 1; k < t; k++) {
                int cut = (coach_has(mk, k, F_AND) &&
                           starts_question(m, mk, k + 1)) ||
                          (coach_is_punct(m, k, ",") &&
                           (starts_question(m, mk, k + 1) ||
                            (coach_has(mk, k + 1, F_AND) &&
                             starts_question(m, mk, k + 2))));
                /* "Could you tell me, how much...?", "Voisitteko kertoa,
                   paljonko...?": a part that only asks to be told leads
                   into the question, it is none of its own */
                if (!cut || k <= q0 + 1 || !says_something(m, mk, q0, k))
                    continue;
                /* "Moi, mun tilaus on myöhässä, mitä tapahtuu?": only the
                   part that asks is a question */
                if (opens_question(m, mk, q0, k))
                    add_question(c, m, mk, lang, q0, k, qs, &nq);
                q0 = k;
            }
            add_question(c, m, mk, lang, q0, t, qs, &nq);
        }
        start = end;
    }
    return nq;
}

static void
answered_by(const struct coach *c, const struct pf_msg *m,
            const struct marks *mk, const char *lang, struct stemset *ss)
{
    ss->n = 0;
    memset(ss->used, 0, sizeof(ss->used));
    for (size_t t = 0; t < mk->n && ss->n < MAX_STEMS; t++)
        if (coach_content_word(m, mk, t) &&
            coach_stem(c, m, t, lang, ss->s[ss->n], COACH_STEM_LEN) > 0)
            ss->tok[ss->n++] = t;
}

/* which stems of each question are in another one too */
static void
mark_shared(struct question *qs, size_t nq)
{
    for (size_t i = 0; i < nq; i++) {
        struct question *q = &qs[i];
        q->n_own = 0;
        for (size_t k = 0; k < q->n_stems; k++) {
            q->shared[k] = 0;
            for (size_t j = 0; j < nq && !q->shared[k]; j++)
                for (size_t l = 0; j != i && l < qs[j].n_stems; l++)
                    if (coach_stem_match(q->stems[k], qs[j].stems[l])) {
                        q->shared[k] = 1;
                        break;
                    }
            q->n_own += !q->shared[k];
        }
    }
}

/* does the question's word k count: its own words, or all of them when
   it has none of its own */
static int
counts(const struct question *q, size_t k)
{
    return !q->shared[k] || q->n_own == 0;
}

/* Is stem in the reply? Each word of the reply answers one question:
   "You can switch any time" answers "Can I switch?", not also "Is there
   a fee for switching?". */
static int
in_reply(struct stemset *ss, const char *stem)
{
    for (size_t i = 0; i < ss->n; i++) {
        if (!ss->used[i] && coach_stem_match(ss->s[i], stem)) {
            ss->used[i] = 1;
            return 1;
        }
    }
    return 0;
}

/*
 * Which questions does the reply take up in words? Each word of the reply
 * answers one question. First each question's own words (an answered
 * question uses up the words it shares with others too: "Can I retake
 * just that module?" is not answered by the one mention of the module
 * that answered another question); then, for the questions still
 * unanswered, the words they share ("Can I switch? Does switching
 * cost?" - "You can switch any time, and switching is free").
 */
static void
words_answer(struct stemset *ss, const struct question *qs, size_t nq,
             unsigned char *by_words)
{
    for (size_t i = 0; i < nq; i++) {
        const struct question *q = &qs[i];
        size_t found = 0, n = 0;
        for (size_t k = 0; k < q->n_stems; k++)
            if (counts(q, k)) {
                found += (size_t)in_reply(ss, q->stems[k]);
                n++;
            }
        /* a question that wants a time, a price or a place is answered
           by its words only when most of them are in the reply */
        by_words[i] =
            q->kind >= 0 && q->kind != F_ASK_REASON ? found * 2 > n : found > 0;
        for (size_t k = 0; by_words[i] && k < q->n_stems; k++)
            if (!counts(q, k))
                while (in_reply(ss, q->stems[k]))
                    ;
    }
    for (size_t i = 0; i < nq; i++)
        for (size_t k = 0; !by_words[i] && k < qs[i].n_stems; k++)
            if (!counts(&qs[i], k))
                by_words[i] = (unsigned char)in_reply(ss, qs[i].stems[k]);
}

/* Which yes/no question does an opening "yes" answer? The one whose words
   the reply's first sentence takes up ("Are they waterproof? - Yes,
   they're fully waterproof"), else the first one; -1 if none. */
static long
yes_target(const struct pf_msg *m, const struct marks *rk,
           const struct stemset *ss, const struct question *qs, size_t nq)
{
    size_t end = 0;
    while (end < rk->n && !coach_ends(m, end, ".!?\n"))
        end++;
    long first = -1, best = -1;
    size_t best_n = 0;
    for (size_t i = 0; i < nq; i++) {
        const struct question *q = &qs[i];
        if (!q->yesno)
            continue;
        if (first < 0)
            first = (long)i;
        size_t n = 0;
        for (size_t k = 0; k < q->n_stems; k++)
            for (size_t r = 0; counts(q, k) && r < ss->n && ss->tok[r] < end;
                 r++)
                if (coach_stem_match(ss->s[r], q->stems[k])) {
                    n++;
                    break;
                }
        if (n > best_n) {
            best_n = n;
            best = (long)i;
        }
    }
    return best >= 0 ? best : first;
}

/* How many yes/no answers does the reply give: a run of them before its
   first content word ("Yes, yes and yes", "Kyllä ja kyllä"), or one
   opening each of its sentences ("Joo, lisää ne... Ja kyllä, uudet
   jäsenet näkevät...")? */
static size_t
yeses(const struct pf_msg *m, const struct marks *rk)
{
    size_t run = 0, opening = 0, t = 0;
    for (; t < rk->n && !coach_content_word(m, rk, t); t++) {
        if (coach_ends(m, t, ".!?\n"))
            break;
        run += coach_has(rk, t, F_ANS_YESNO);
    }
    for (t = 0; t < rk->n; t++) {
        while (t < rk->n &&
               (m->tokens[t].kind != PF_TOK_WORD || coach_has(rk, t, F_AND) ||
                coach_has(rk, t, F_GREETING)))
            t++;
        opening += coach_has(rk, t, F_ANS_YESNO);
        while (t < rk->n && !coach_ends(m, t, ".!?\n"))
            t++;
    }
    return run > opening ? run : opening;
}

/* an answer of the kind asked for: a time for "when" (not the "month" of
   "4.90 €/month" nor the "minutes" of "every 20 minutes"; "15:00" and
   "31.10." are), a price for "how much" */
static int
kind_answer(const struct pf_msg *m, const struct marks *rk, int kind)
{
    static const int ans_of[] = {F_ANS_TIME, F_ANS_PRICE, F_ANS_PLACE,
                                 F_ANS_REASON};
    int ans = ans_of[kind - F_ASK_TIME];
    for (size_t t = 0; t < rk->n; t++) {
        const struct pf_token *tok = &m->tokens[t];
        const char *w = m->norm + tok->norm_off;
        /* "15:00", and a date "31.10." (not the price "4.90 €") */
        if (kind == F_ASK_TIME && tok->kind == PF_TOK_NUMBER &&
            (memchr(w, ':', tok->norm_len) ||
             (memchr(w, '.', tok->norm_len) &&
              !coach_has(rk, t + 1, F_ANS_PRICE))))
            return 1;
        if (coach_has(rk, t, ans) &&
            !(kind == F_ASK_TIME && coach_has(rk, t, F_NOT_TIME)))
            return 1;
    }
    return kind == F_ASK_PLACE && locative(m, rk);
}

/* the reply opens with yes or no, or answers with the question's own
   verb: "Do you...? - We do!", "Voiko...? - Voi!" */
static int
yes_no_answer(const struct pf_msg *reply, const struct marks *rk,
              const struct pf_msg *cm, const struct question *q)
{
    const struct pf_token *v = &cm->tokens[q->verb];
    const char *vw = cm->norm + v->norm_off;
    int ko = ko_word(cm, q->verb);
    for (size_t t = 0, words = 0; t < rk->n && words < 3; t++) {
        const struct pf_token *a = &reply->tokens[t];
        if (a->kind != PF_TOK_WORD || coach_has(rk, t, F_GREETING))
            continue;
        words++;
        const char *aw = reply->norm + a->norm_off;
        if (coach_has(rk, t, F_ANS_YESNO))
            return 1;
        /* the verb as a whole answer ("It does!", "Voi."), not the "is"
           of "The washer is 499 €" */
        if (t + 1 < reply->n_tokens &&
            reply->tokens[t + 1].kind != PF_TOK_PUNCT)
            continue;
        if (!ko && a->norm_len == v->norm_len &&
            memcmp(aw, vw, a->norm_len) == 0)
            return 1; /* do ... do */
        if (ko && a->norm_len >= 2 &&
            memcmp(aw, vw, a->norm_len < 3 ? a->norm_len : 3) == 0)
            return 1; /* voiko ... voi, onks ... on */
    }
    return 0;
}

/* a Finnish place: laatikossa, sivulta, kaupalla (inessive, elative,
   adessive, ablative) */
static int
locative(const struct pf_msg *m, const struct marks *mk)
{
    static const char *const ends[] = {"ssa",        "ss\xc3\xa4", "sta",
                                       "st\xc3\xa4", "lla",        "ll\xc3\xa4",
                                       "lta",        "lt\xc3\xa4"};
    for (size_t t = 0; t < mk->n; t++) {
        const struct pf_token *tok = &m->tokens[t];
        const char *w = m->norm + tok->norm_off;
        if (tok->kind != PF_TOK_WORD || tok->norm_len < 6 ||
            coach_has(mk, t, F_FUNCTION))
            continue;
        for (size_t k = 0; k < sizeof(ends) / sizeof(*ends); k++) {
            size_t el = strlen(ends[k]);
            if (memcmp(w + tok->norm_len - el, ends[k], el) == 0)
                return 1;
        }
    }
    return 0;
}

static void
explain_question(const struct coach *c, const struct pf_msg *cm,
                 const struct question *q, const char *verdict)
{
    const struct pf_token *a = &cm->tokens[q->t0];
    const struct pf_token *b = &cm->tokens[q->t1 - 1];
    char stems[Q_STEMS * (COACH_STEM_LEN + 9) + 1];
    size_t o = 0;
    stems[0] = '\0';
    for (size_t i = 0; i < q->n_stems; i++)
        o += (size_t)snprintf(stems + o, sizeof(stems) - o, "%s%s%s",
                              i ? " " : "", q->stems[i],
                              counts(q, i) ? "" : "(shared)");
    COACH_EXPLAIN(c, "  question \"%.*s?\" (%s%s, stems: %s): %s",
                  (int)(b->raw.off + b->raw.len - a->raw.off),
                  cm->text + a->raw.off, q->kind >= 0 ? "asks a kind" : "asks",
                  q->yesno ? ", yes/no" : "", stems, verdict);
}

void
coach_unanswered(struct coach *c, const struct pf_msg *m,
                 const struct marks *rk, const struct marks *ck,
                 struct pf_verdict *v)
{
    if (m->n_context == 0)
        return;
    int explain = (m->flags & PF_MSG_EXPLAIN) != 0;
    const struct pf_msg *cm = m->context[m->n_context - 1];
    const char *lang = coach_lang(cm); /* for the reply's words too */
    struct question qs[MAX_QUESTIONS];
    size_t nq = questions(c, cm, ck, lang, qs);
    size_t asked = 0;
    for (size_t i = 0; i < nq; i++)
        if (qs[i].n_content || qs[i].kind >= 0)
            asked++;
    if (explain)
        COACH_EXPLAIN(c, "unanswered_questions: %zu question%s", asked,
                      asked == 1 ? "" : "s");
    if (asked < 2)
        return;
    struct stemset ss;
    answered_by(c, m, rk, lang, &ss);
    mark_shared(qs, nq);
    long yes_q = yes_target(m, rk, &ss, qs, nq);
    unsigned char by_words[MAX_QUESTIONS];
    words_answer(&ss, qs, nq, by_words);
    size_t n_yes = yeses(m, rk), yesno_seen = 0;
    int all = coach_any(rk, 0, rk->n, F_ANS_ALL);
    char list[PF_REASON_MAX - 40]; /* leaves room for the lead-in */
    size_t lo = 0, missed = 0;
    list[0] = '\0';
    for (size_t i = 0; i < nq; i++) {
        struct question *q = &qs[i];
        if (!q->n_content && q->kind < 0)
            continue; /* "Mitä ihmettä?" asks nothing */
        const char *how = NULL;
        if (by_words[i])
            how = "its words";
        if (!how && q->kind >= 0 && kind_answer(m, rk, q->kind))
            how = "the kind of answer it asks for";
        if (!how && (long)i == yes_q && yes_no_answer(m, rk, cm, q))
            how = "yes or no";
        if (!how && q->yesno && n_yes >= 2 && yesno_seen < n_yes)
            how = "one of the yeses the reply gives";
        yesno_seen += (size_t)q->yesno;
        if (!how && all)
            how = "an answer to all";
        if (explain)
            explain_question(c, cm, q, how ? how : "not answered");
        if (how)
            continue;
        missed++;
        /* quote it: "can I get a courtesy car?" */
        const struct pf_token *a = &cm->tokens[q->t0];
        const struct pf_token *b = &cm->tokens[q->t1 - 1];
        size_t off = a->raw.off, len = b->raw.off + b->raw.len - off;
        if (lo + len + 8 < sizeof(list))
            lo += (size_t)snprintf(list + lo, sizeof(list) - lo, "%s\"%.*s?\"",
                                   lo ? ", " : "", (int)len, cm->text + off);
    }
    if (!missed)
        return;
    struct pf_finding *f = coach_finding(c, v, "unanswered_questions",
                                         missed == asked ? 0.55f : 0.5f);
    if (!f)
        return;
    int fi = coach_fi(m);
    snprintf(f->reason, sizeof(f->reason), "%s: %s",
             fi ? (missed == 1 ? "vastaamatta jäi" : "vastaamatta jäivät")
                : "not answered",
             list);
    pf_strlcpy(f->suggestion,
               fi ? "Vastaa jokaiseen asiakkaan kysymykseen, tai kerro milloin "
                    "palaat niihin."
                  : "Answer each of the customer's questions, or say when you "
                    "will get back to them.",
               sizeof(f->suggestion));
}
