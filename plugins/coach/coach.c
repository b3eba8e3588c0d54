/*
 * coach - makes replies better, using the customer's recent messages as
 * context. Four findings, each a note by default (the policy decides):
 *
 *   missing_apology       the customer complains of a delay, an error or a
 *                         bad experience, and the reply does not apologise
 *   unanswered_questions  the customer asked several questions (also two
 *                         joined with "and"/"ja" under one question mark)
 *                         and the reply leaves some unanswered; the
 *                         finding quotes them
 *   emoji_overuse         a wall of emoji (more than the customer used)
 *   condescension         "as I already told you", "obviously", "kuten jo
 *                         kerroin", "sinäkin ymmärrät"
 *
 * The words are data: config/lexicons/coach-*.txt (same format as the
 * backstage lexicons), with families for complaints, apologies, phrases
 * that only look like apologies, condescension, function words, and the
 * kinds of questions and of answers (when / how much / where / why).
 *
 * Whether a question is answered: its content words (not function words)
 * are stemmed and looked for in the reply, or the reply has the kind of
 * answer the question asks for (a time for "when", a price for "how
 * much"), or it is a yes/no question answered with yes, no or the
 * question's own verb ("Voiko...? - Voi!"). A lone question with a reply
 * of some length counts as answered: a rhetorical "Mitä ihmettä?" should
 * not nag.
 *
 * Coaching is a tip, whatever the policy says of other labels: no finding
 * scores more than "max_score" (0.55), below the default hold threshold
 * (0.6), so a configuration that only lists the plugin gets notes. A
 * team that wants a label held says so in policy.labels.
 *
 * Config: "emoji_max" (4), "complaint_min" (1.5, the complaint cues'
 * weight that makes a message a complaint), "max_score" (0.55),
 * "lexicons", "extra_lexicons", "cache_dir" (as for backstage).
 */
#include <pokerface/plugin.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/lexicon.h"

enum family {
    F_COMPLAINT = 0, /* the customer is unhappy: late, wrong, broken */
    F_APOLOGY,       /* sorry, pahoittelut */
    F_NOT_APOLOGY,   /* "no need to be sorry": an apology word, no apology */
    F_CONDESCENSION, /* as I already told you */
    F_FUNCTION,      /* function words: not what a question is about */
    F_ASK_TIME,      /* when, milloin, how long */
    F_ASK_PRICE,     /* how much, paljonko */
    F_ASK_PLACE,     /* where, missä */
    F_ASK_REASON,    /* why, miksi */
    F_ASK,           /* starts a question: can, do, is, onko, what */
    F_ANS_TIME,      /* tomorrow, torstaina, within 3 days */
    F_ANS_PRICE,     /* €, euroa, free */
    F_ANS_PLACE,     /* under, kohdasta, -sivulta, -> */
    F_ANS_REASON,    /* because, koska, takia */
    F_ANS_YESNO,     /* yes, no, kyllä, joo */
    F_AND,           /* and, ja, also, entä: may start another question */
    F_GREETING,      /* hi, moi: not the start of a question or an answer */
    F_COUNT
};

static const char *const family_names[F_COUNT] = {
    "complaint", "apology",   "not_apology", "condescension", "function",
    "ask_time",  "ask_price", "ask_place",   "ask_reason",    "ask",
    "ans_time",  "ans_price", "ans_place",   "ans_reason",    "ans_yesno",
    "and",       "greeting",
};

static const struct lex_spec lexicon_spec = {
    family_names, F_COUNT, -1, -1, "coach", 0,
};

/* without the customer's messages only condescension can be found: a
   lexicon of that family alone makes most checks cheap */
static const struct lex_spec condescension_spec = {
    family_names, F_COUNT, -1, -1, "coach", 1u << F_CONDESCENSION,
};

#define MAX_TOKENS 512 /* longer messages are coached on their start */
#define MAX_QUESTIONS 8
#define MAX_STEMS 128
#define STEM_LEN 32

struct coach {
    const struct pf_host *h;
    struct pf_hctx *hctx;
    struct lexicon lx;
    struct lexicon lx_cond; /* condescension only */
    int emoji_max;
    float complaint_min;
    float max_score; /* the highest score a finding gets */
};

/* a finding, its score capped at max_score: coaching is a tip unless the
   policy makes the label hold */
static struct pf_finding *
finding(const struct coach *c, struct pf_verdict *v, const char *label,
        float score)
{
    return pf_verdict_add(v, label,
                          score < c->max_score ? score : c->max_score);
}

/* per token: a bit per family of the cues that cover it */
struct marks {
    uint32_t fam[MAX_TOKENS];
    float complaint;      /* sum of complaint weights */
    float cw[MAX_TOKENS]; /* complaint weight, at each hit's last token */
    float condescension;
    size_t n;
    /* the condescending phrases, for spans */
    struct {
        size_t t0, t1;
    } cond[PF_SPANS_MAX];
    size_t n_cond;
};

static void
on_hit(void *ud, const struct lex_hit *h)
{
    struct marks *mk = ud;
    for (size_t t = h->t0; t < h->t1 && t < mk->n; t++)
        mk->fam[t] |= 1u << h->family;
    if (h->family == F_COMPLAINT) {
        mk->complaint += h->weight;
        if (h->t1 >= 1 && h->t1 - 1 < mk->n)
            mk->cw[h->t1 - 1] += h->weight;
    }
    if (h->family == F_CONDESCENSION) {
        mk->condescension += h->weight;
        if (mk->n_cond < PF_SPANS_MAX) {
            mk->cond[mk->n_cond].t0 = h->t0;
            mk->cond[mk->n_cond].t1 = h->t1;
            mk->n_cond++;
        }
    }
}

static void
mark_with(struct lexicon *lx, const struct pf_msg *m, struct marks *mk)
{
    mk->n = m->n_tokens < MAX_TOKENS ? m->n_tokens : MAX_TOKENS;
    memset(mk->fam, 0, mk->n * sizeof(*mk->fam));
    memset(mk->cw, 0, mk->n * sizeof(*mk->cw));
    mk->complaint = mk->condescension = 0;
    mk->n_cond = 0;
    lex_scan(lx, m, on_hit, mk);
}

static void
mark(struct coach *c, const struct pf_msg *m, struct marks *mk)
{
    mark_with(&c->lx, m, mk);
}

static int
has(const struct marks *mk, size_t t, int fam)
{
    return t < mk->n && (mk->fam[t] & (1u << fam)) != 0;
}

static int
any(const struct marks *mk, size_t t0, size_t t1, int fam)
{
    for (size_t t = t0; t < t1 && t < mk->n; t++)
        if (has(mk, t, fam))
            return 1;
    return 0;
}

static int
is_punct(const struct pf_msg *m, size_t t, const char *chars)
{
    const struct pf_token *tok = &m->tokens[t];
    return tok->kind == PF_TOK_PUNCT && tok->norm_len >= 1 &&
           strchr(chars, m->norm[tok->norm_off]) != NULL;
}

static int
fi_lang(const struct pf_msg *m)
{
    return m->ui_lang && strcmp(m->ui_lang, "fi") == 0;
}

/* ---- missing_apology ---- */

/* "Why can't I log in?" asks about a problem; "Login ei toimi taas!!"
   complains: cues in a sentence that ends with '?' count half */
static float
complaint_weight(const struct pf_msg *m, const struct marks *mk)
{
    float w = 0, sentence = 0;
    for (size_t t = 0; t < mk->n; t++) {
        sentence += mk->cw[t];
        if (is_punct(m, t, "!") && m->tokens[t].norm_len >= 2)
            sentence += 0.5f; /* "!!" */
        if (!is_punct(m, t, ".!?\n") && t + 1 < mk->n)
            continue;
        w += (m->tokens[t].flags & PF_TOKF_QUESTION) ? sentence * 0.5f
                                                     : sentence;
        sentence = 0;
    }
    return w;
}

static void
missing_apology(struct coach *c, const struct pf_msg *m,
                const struct marks *reply, struct pf_verdict *v)
{
    float complaint = 0;
    const struct pf_msg *last = NULL;
    /* the latest customer message counts fully, earlier ones half */
    for (size_t i = m->n_context; i-- > 0;) {
        const struct pf_msg *cm = m->context[i];
        struct marks mk;
        mark(c, cm, &mk);
        float w = complaint_weight(cm, &mk);
        /* "Sorry to bother you, but...": a customer who apologises is
           asking, not complaining */
        if (any(&mk, 0, mk.n, F_APOLOGY) || any(&mk, 0, mk.n, F_NOT_APOLOGY))
            w *= 0.5f;
        complaint += last ? w * 0.5f : w;
        if (!last)
            last = cm;
        if (m->n_context - i >= 2)
            break;
    }
    if (!last || complaint < c->complaint_min)
        return;
    /* an apology anywhere in the reply, unless it is "no need to be sorry" */
    for (size_t t = 0; t < reply->n; t++)
        if (has(reply, t, F_APOLOGY) && !has(reply, t, F_NOT_APOLOGY))
            return;
    float score = 0.35f + 0.08f * (complaint - c->complaint_min);
    if (score > 0.9f)
        score = 0.9f;
    struct pf_finding *f = finding(c, v, "missing_apology", score);
    if (!f)
        return;
    int fi = fi_lang(m);
    pf_strlcpy(f->reason,
               fi ? "asiakas valittaa viivästyksestä, virheestä tai huonosta "
                    "kokemuksesta, eikä vastauksessa pahoitella"
                  : "the customer complains of a delay, an error or a bad "
                    "experience, and the reply does not apologise",
               sizeof(f->reason));
    pf_strlcpy(f->suggestion,
               fi ? "Aloita pahoittelulla: \"Pahoittelut viivästyksestä!\" tai "
                    "\"Olen todella pahoillani...\""
                  : "Start with an apology: \"Sorry for the delay!\" or \"I'm "
                    "really sorry about...\"",
               sizeof(f->suggestion));
}

/* ---- unanswered_questions ---- */

struct question {
    size_t t0, t1; /* tokens of the customer message */
    int kind;      /* F_ASK_TIME.. F_ASK_REASON, or -1 */
    int yesno;     /* starts with an auxiliary or a -ko/-kö verb */
    size_t verb;   /* that word */
    size_t n_content;
    char stems[16][STEM_LEN];
    size_t n_stems;
};

struct stemset {
    char s[MAX_STEMS][STEM_LEN];
    unsigned char used[MAX_STEMS]; /* already answered an earlier question */
    size_t n;
};

static long
stem_word(struct coach *c, const struct pf_msg *m, size_t t, char *out,
          size_t cap)
{
    const struct pf_token *tok = &m->tokens[t];
    const char *lang = strcmp(m->lang, "en") == 0 ? "en" : "fi";
    if (tok->kind == PF_TOK_NUMBER) {
        if (tok->norm_len >= cap)
            return -1;
        memcpy(out, m->norm + tok->norm_off, tok->norm_len);
        out[tok->norm_len] = '\0';
        return (long)tok->norm_len;
    }
    return c->h->stem(c->hctx, lang, m->norm + tok->norm_off, tok->norm_len,
                      out, cap);
}

/* a word a question is about: not a function word, not the question word */
static int
content_word(const struct pf_msg *m, const struct marks *mk, size_t t)
{
    const struct pf_token *tok = &m->tokens[t];
    if (tok->kind == PF_TOK_NUMBER)
        return 1;
    if (tok->kind != PF_TOK_WORD || tok->norm_len < 2)
        return 0;
    for (int f = F_FUNCTION; f <= F_ASK; f++)
        if (has(mk, t, f))
            return 0;
    return !has(mk, t, F_AND) && !has(mk, t, F_GREETING);
}

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
    return t < m->n_tokens &&
           (has(mk, t, F_ASK) || has(mk, t, F_ASK_TIME) ||
            has(mk, t, F_ASK_PRICE) || has(mk, t, F_ASK_PLACE) ||
            has(mk, t, F_ASK_REASON) || ko_word(m, t));
}

static void
add_question(struct coach *c, const struct pf_msg *m, const struct marks *mk,
             size_t t0, size_t t1, struct question *qs, size_t *nq)
{
    while (t0 < t1 &&
           (m->tokens[t0].kind == PF_TOK_PUNCT || has(mk, t0, F_AND) ||
            has(mk, t0, F_GREETING) || m->tokens[t0].kind == PF_TOK_EMOJI))
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
    for (size_t k = 0; k < 4 && q->kind < 0; k++)
        if (any(mk, t0, t1, kinds[k]))
            q->kind = kinds[k];
    q->yesno = 0;
    for (size_t t = t0, words = 0; t < t1 && words < 2; t++) {
        if (m->tokens[t].kind != PF_TOK_WORD)
            continue;
        words++;
        if (q->kind < 0 && (has(mk, t, F_ASK) || ko_word(m, t))) {
            q->yesno = 1;
            q->verb = t;
            break;
        }
    }
    for (size_t t = t0; t < t1; t++) {
        if (!content_word(m, mk, t))
            continue;
        q->n_content++;
        if (q->n_stems < 16 &&
            stem_word(c, m, t, q->stems[q->n_stems], STEM_LEN) > 0)
            q->n_stems++;
    }
}

/* do the first two words of [t0, t1) ask something? */
static int
opens_question(const struct pf_msg *m, const struct marks *mk, size_t t0,
               size_t t1)
{
    for (size_t t = t0, words = 0; t < t1 && words < 2; t++) {
        if (m->tokens[t].kind != PF_TOK_WORD || has(mk, t, F_GREETING))
            continue;
        words++;
        if (starts_question(m, mk, t))
            return 1;
    }
    return 0;
}

/* the questions of one customer message */
static size_t
questions(struct coach *c, const struct pf_msg *m, const struct marks *mk,
          struct question *qs)
{
    size_t nq = 0, start = 0;
    size_t n = mk->n;
    for (size_t t = 0; t < n; t++) {
        if (!is_punct(m, t, ".!?:;\n") && t + 1 < n)
            continue;
        size_t end = t + 1;
        if (m->tokens[t].flags & PF_TOKF_QUESTION) {
            /* split at "and"/"ja" or a comma that starts a new question */
            size_t q0 = start;
            for (size_t k = start + 1; k < t; k++) {
                int cut =
                    (has(mk, k, F_AND) && starts_question(m, mk, k + 1)) ||
                    (is_punct(m, k, ",") && (starts_question(m, mk, k + 1) ||
                                             (has(mk, k + 1, F_AND) &&
                                              starts_question(m, mk, k + 2))));
                if (!cut || k <= q0 + 1)
                    continue;
                /* "Moi, mun tilaus on myöhässä, mitä tapahtuu?": only the
                   part that asks is a question */
                if (opens_question(m, mk, q0, k))
                    add_question(c, m, mk, q0, k, qs, &nq);
                q0 = k;
            }
            add_question(c, m, mk, q0, t, qs, &nq);
        }
        start = end;
    }
    return nq;
}

static int
stem_match(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la == lb)
        return strcmp(a, b) == 0;
    /* Finnish forms the stemmer leaves apart: nolla / nollaus */
    const char *s = la < lb ? a : b, *l = la < lb ? b : a;
    size_t ls = la < lb ? la : lb, ll = la < lb ? lb : la;
    return ls >= 5 && ll - ls <= 3 && strncmp(s, l, ls) == 0;
}

static void
answered_by(struct coach *c, const struct pf_msg *m, const struct marks *mk,
            struct stemset *ss, size_t *content)
{
    ss->n = 0;
    *content = 0;
    memset(ss->used, 0, sizeof(ss->used));
    for (size_t t = 0; t < mk->n; t++) {
        if (!content_word(m, mk, t))
            continue;
        (*content)++;
        if (ss->n < MAX_STEMS && stem_word(c, m, t, ss->s[ss->n], STEM_LEN) > 0)
            ss->n++;
    }
}

/* Is stem in the reply? Each word of the reply answers one question:
   "You can switch any time" answers "Can I switch?", not also "Is there
   a fee for switching?". */
static int
in_reply(struct stemset *ss, const char *stem)
{
    for (size_t i = 0; i < ss->n; i++) {
        if (!ss->used[i] && stem_match(ss->s[i], stem)) {
            ss->used[i] = 1;
            return 1;
        }
    }
    return 0;
}

/* the reply opens with yes or no, or with the question's own verb: "Do
   you...? - We do!", "Voiko...? - Voi!" */
static int
yes_no_answer(const struct pf_msg *reply, const struct marks *rk,
              const struct pf_msg *cm, const struct question *q)
{
    const struct pf_token *v = &cm->tokens[q->verb];
    const char *vw = cm->norm + v->norm_off;
    int ko = ko_word(cm, q->verb);
    for (size_t t = 0, words = 0; t < reply->n_tokens && words < 3; t++) {
        const struct pf_token *a = &reply->tokens[t];
        if (a->kind != PF_TOK_WORD || has(rk, t, F_GREETING))
            continue;
        words++;
        const char *aw = reply->norm + a->norm_off;
        if (has(rk, t, F_ANS_YESNO))
            return 1;
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
            has(mk, t, F_FUNCTION))
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
unanswered(struct coach *c, const struct pf_msg *m, const struct marks *rk,
           struct pf_verdict *v)
{
    if (m->n_context == 0)
        return;
    const struct pf_msg *cm = m->context[m->n_context - 1];
    struct marks ck;
    struct question qs[MAX_QUESTIONS];
    mark(c, cm, &ck);
    size_t nq = questions(c, cm, &ck, qs);
    size_t asked = 0;
    for (size_t i = 0; i < nq; i++)
        if (qs[i].n_content || qs[i].kind >= 0)
            asked++;
    if (asked == 0)
        return;
    struct stemset ss;
    size_t reply_content;
    answered_by(c, m, rk, &ss, &reply_content);
    /* a lone question and a reply that says something: answered */
    if (asked == 1 && reply_content >= 4)
        return;
    static const int ans_of[] = {F_ANS_TIME, F_ANS_PRICE, F_ANS_PLACE,
                                 F_ANS_REASON};
    char list[PF_REASON_MAX - 40]; /* leaves room for the lead-in */
    size_t lo = 0, missed = 0;
    list[0] = '\0';
    for (size_t i = 0; i < nq; i++) {
        struct question *q = &qs[i];
        if (!q->n_content && q->kind < 0)
            continue; /* "Mitä ihmettä?" asks nothing */
        int ok = 0;
        for (size_t k = 0; k < q->n_stems && !ok; k++)
            ok = in_reply(&ss, q->stems[k]);
        if (!ok && q->kind >= 0)
            ok = any(rk, 0, rk->n, ans_of[q->kind - F_ASK_TIME]) ||
                 (q->kind == F_ASK_PLACE && locative(m, rk));
        if (!ok && q->yesno && asked == 1)
            ok = yes_no_answer(m, rk, cm, q);
        if (ok)
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
    struct pf_finding *f =
        finding(c, v, "unanswered_questions", missed == asked ? 0.55f : 0.5f);
    if (!f)
        return;
    int fi = fi_lang(m);
    snprintf(f->reason, sizeof(f->reason), "%s: %s",
             fi ? (missed == 1 ? "vastaamatta jäi" : "vastaamatta jäivät")
                : (missed == 1 ? "not answered" : "not answered"),
             list);
    pf_strlcpy(f->suggestion,
               fi ? "Vastaa jokaiseen asiakkaan kysymykseen, tai kerro milloin "
                    "palaat niihin."
                  : "Answer each of the customer's questions, or say when you "
                    "will get back to them.",
               sizeof(f->suggestion));
}

/* ---- emoji_overuse ---- */

static void
emoji_overuse(struct coach *c, const struct pf_msg *m, struct pf_verdict *v)
{
    size_t n = 0, words = 0, run = 0, max_run = 0, theirs = 0;
    const struct pf_token *prev = NULL;
    for (size_t t = 0; t < m->n_tokens; t++) {
        const struct pf_token *tok = &m->tokens[t];
        if (tok->kind == PF_TOK_WORD)
            words++;
        if (tok->kind != PF_TOK_EMOJI) {
            prev = NULL;
            run = 0;
            continue;
        }
        n++;
        run = prev && prev->norm_len == tok->norm_len &&
                      memcmp(m->norm + prev->norm_off, m->norm + tok->norm_off,
                             tok->norm_len) == 0
                  ? run + 1
                  : 1;
        if (run > max_run)
            max_run = run;
        prev = tok;
    }
    for (size_t i = 0; i < m->n_context; i++)
        for (size_t t = 0; t < m->context[i]->n_tokens; t++)
            theirs += m->context[i]->tokens[t].kind == PF_TOK_EMOJI;
    /* the customer's own emoji make more fine */
    size_t limit = (size_t)c->emoji_max + theirs;
    if (n < limit && !(n >= 3 && max_run >= 3 && theirs == 0))
        return;
    float score = 0.45f + 0.05f * (float)(n - (n < limit ? n : limit));
    if (score > 0.8f)
        score = 0.8f;
    struct pf_finding *f = finding(c, v, "emoji_overuse", score);
    if (!f)
        return;
    int fi = fi_lang(m);
    snprintf(f->reason, sizeof(f->reason),
             fi ? "%zu emojia %zu sanan viestissä"
                : "%zu emoji in a reply of "
                  "%zu words",
             n, words);
    pf_strlcpy(f->suggestion,
               fi ? "Yksi hymiö riittää; loput voi jättää pois."
                  : "One emoji is plenty; leave the rest out.",
               sizeof(f->suggestion));
    for (size_t t = 0; t < m->n_tokens; t++)
        if (m->tokens[t].kind == PF_TOK_EMOJI &&
            pf_finding_span(f, m->tokens[t].raw.off, m->tokens[t].raw.len) !=
                PF_OK)
            break;
}

/* ---- condescension ---- */

static void
condescension(const struct coach *c, const struct pf_msg *m,
              const struct marks *rk, struct pf_verdict *v)
{
    if (rk->condescension <= 0)
        return;
    float score = 1.0f / (1.0f + expf(2.5f - rk->condescension));
    if (score < 0.3f)
        return;
    struct pf_finding *f = finding(c, v, "condescension", score);
    if (!f)
        return;
    int fi = fi_lang(m);
    char words[160];
    size_t wo = 0;
    words[0] = '\0';
    for (size_t i = 0; i < rk->n_cond; i++) {
        int inside = 0; /* the same words found twice, or within another */
        for (size_t k = 0; k < rk->n_cond && !inside; k++)
            inside = k != i && rk->cond[k].t0 <= rk->cond[i].t0 &&
                     rk->cond[i].t1 <= rk->cond[k].t1 &&
                     (rk->cond[k].t1 - rk->cond[k].t0 >
                          rk->cond[i].t1 - rk->cond[i].t0 ||
                      k < i);
        if (inside)
            continue;
        const struct pf_token *a = &m->tokens[rk->cond[i].t0];
        const struct pf_token *b = &m->tokens[rk->cond[i].t1 - 1];
        uint32_t off = a->raw.off, len = b->raw.off + b->raw.len - off;
        pf_finding_span(f, off, len);
        if (wo + len + 6 < sizeof(words))
            wo += (size_t)snprintf(words + wo, sizeof(words) - wo, "%s\"%.*s\"",
                                   wo ? ", " : "", (int)len, m->text + off);
    }
    snprintf(f->reason, sizeof(f->reason), "%s: %s",
             fi ? "alentuva sävy" : "talks down to the customer", words);
    pf_strlcpy(f->suggestion,
               fi ? "Vastaa asiaan ilman muistutusta siitä, mitä on jo sanottu "
                    "tai mitä asiakkaan olisi pitänyt tietää."
                  : "Answer the question without reminding the customer what "
                    "was said before or what they should have known.",
               sizeof(f->suggestion));
}

/* ---- the plugin ---- */

static int
coach_check(void *inst, const struct pf_msg *m, struct pf_verdict *v)
{
    struct coach *c = inst;
    struct marks rk;
    mark_with(m->n_context ? &c->lx : &c->lx_cond, m, &rk);
    condescension(c, m, &rk, v);
    emoji_overuse(c, m, v);
    if (m->n_context > 0) {
        missing_apology(c, m, &rk, v);
        unanswered(c, m, &rk, v);
    }
    return PF_OK;
}

static int
coach_create(const struct pf_host *h, struct pf_hctx *hctx, void **inst,
             char *err, size_t errlen)
{
    struct coach *c = calloc(1, sizeof(*c));
    int64_t n;
    double d;
    int rc;
    if (!c) {
        pf_strlcpy(err, "out of memory", errlen);
        return PF_ENOMEM;
    }
    c->h = h;
    c->hctx = hctx;
    c->emoji_max = 4;
    c->complaint_min = 1.5f;
    c->max_score = 0.55f;
    rc = h->cfg_int(hctx, "emoji_max", &n);
    if (rc == PF_OK && n >= 1 && n <= 100)
        c->emoji_max = (int)n;
    else if (rc != PF_ENOTFOUND) {
        pf_strlcpy(err,
                   "config.emoji_max: expected a whole number from 1 to "
                   "100",
                   errlen);
        free(c);
        return PF_EINVAL;
    }
    rc = h->cfg_num(hctx, "complaint_min", &d);
    if (rc == PF_OK && d > 0 && d <= 20)
        c->complaint_min = (float)d;
    else if (rc != PF_ENOTFOUND) {
        pf_strlcpy(err, "config.complaint_min: expected a number from 0 to 20",
                   errlen);
        free(c);
        return PF_EINVAL;
    }
    rc = h->cfg_num(hctx, "max_score", &d);
    if (rc == PF_OK && d > 0 && d <= 1)
        c->max_score = (float)d;
    else if (rc != PF_ENOTFOUND) {
        pf_strlcpy(err, "config.max_score: expected a number from 0 to 1",
                   errlen);
        free(c);
        return PF_EINVAL;
    }
    lex_init(&c->lx, h, hctx, &lexicon_spec);
    lex_init(&c->lx_cond, h, hctx, &condescension_spec);
    if ((rc = lex_load_config(&c->lx, "coach-*.txt", err, errlen)) != PF_OK ||
        (rc = lex_load_config(&c->lx_cond, "coach-*.txt", err, errlen)) !=
            PF_OK) {
        lex_release(&c->lx);
        lex_release(&c->lx_cond);
        free(c);
        return rc;
    }
    *inst = c;
    return PF_OK;
}

static void
coach_destroy(void *inst)
{
    struct coach *c = inst;
    if (!c)
        return;
    lex_release(&c->lx);
    lex_release(&c->lx_cond);
    free(c);
}

static const char *const coach_labels[] = {
    "missing_apology",
    "unanswered_questions",
    "emoji_overuse",
    "condescension",
    NULL,
};

static const struct pf_plugin coach_plugin = {
    PF_ABI_MAJOR,
    PF_ABI_MINOR,
    sizeof(struct pf_plugin),
    PF_PLUGIN_CONTEXT,
    "coach",
    "1.0",
    "coaching: missing apology, unanswered questions, emoji, condescension",
    coach_create,
    coach_destroy,
    coach_check,
    NULL,
    NULL,
    coach_labels,
    NULL,
};

PF_EXPORT const struct pf_plugin *
pf_plugin_entry_v1(void)
{
    return &coach_plugin;
}
