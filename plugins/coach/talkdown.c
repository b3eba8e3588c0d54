/*
 * talkdown.c - condescension: the reply talks down to the customer.
 *
 * Two sources of evidence, added up and turned into a score with a
 * sigmoid (sum - 2.5): a finding from about 1.65 on.
 *
 *  - the condescension cues of the lexicon: reminding them what was said
 *    ("as I already told you", "kuten edellisessä viestissä kerroin"),
 *    pointing at what they should have read ("as clearly stated in the
 *    terms", "kuten ohjeissa lukee"), presuming what anyone knows ("as I'm
 *    sure you know", "perusasia"), belittling how hard it is ("it's not
 *    that hard", "ei se ole vaikeaa"), reproach ("you should have
 *    checked", "jos olisit katsonut", "read it next time"). Words that
 *    only look like it ("as we agreed") are covered by not_condescension.
 *  - over-explaining the obvious: defining words the customer or the
 *    reply itself just used ("...in the paper tray. The paper tray is a
 *    drawer that...", "Profiili-sivu on se sivu, jossa"), found from the
 *    define and point families' phrases after the repeated word.
 */
#include "coach.h"

#include <math.h>
#include <stdio.h>

#define DEFINE_WEIGHT 1.5f   /* defining a word the customer used */
#define REDEFINE_WEIGHT 2.5f /* ... or one the reply itself just used */
#define MAX_DEFINITIONS 3

static int
sentence_end(const struct pf_msg *m, size_t t)
{
    return coach_ends(m, t, ".!?:;\n");
}

/* The word a definition at [d0, d1) defines: the content word right
   before it in its clause ("Clockwise means", "rengas on se"), or
   SIZE_MAX. */
static size_t
defined_word(const struct pf_msg *m, const struct marks *mk, size_t d0)
{
    for (size_t t = d0, k = 0; t-- > 0 && k < 3; k++) {
        if (m->tokens[t].kind == PF_TOK_PUNCT &&
            (sentence_end(m, t) || coach_is_punct(m, t, ",(")))
            break;
        if (coach_content_word(m, mk, t))
            return t;
    }
    return SIZE_MAX;
}

/* "on se" defines only before what it points at, a noun: "se laatikko",
   not "se, että" */
static int
points(const struct pf_msg *m, const struct marks *mk, size_t d1)
{
    return d1 < mk->n && coach_content_word(m, mk, d1);
}

/* Has the word w been used before: 2 earlier in the reply, 1 in the
   customer's messages, 0 not */
static int
used_before(const struct coach *c, const struct pf_msg *m,
            const struct marks *mk, size_t w)
{
    char sw[COACH_STEM_LEN], s[COACH_STEM_LEN];
    const char *lang = coach_lang(m);
    if (coach_stem(c, m, w, lang, sw, sizeof(sw)) <= 0)
        return 0;
    for (size_t t = 0; t < w; t++)
        if (coach_content_word(m, mk, t) &&
            coach_stem(c, m, t, lang, s, sizeof(s)) > 0 &&
            coach_stem_match(s, sw))
            return 2;
    for (size_t i = 0; i < m->n_context; i++) {
        const struct pf_msg *cm = m->context[i];
        for (size_t t = 0; t < cm->n_tokens && t < COACH_MAX_TOKENS; t++)
            if (cm->tokens[t].kind == PF_TOK_WORD &&
                cm->tokens[t].norm_len >= 3 &&
                coach_stem(c, cm, t, lang, s, sizeof(s)) > 0 &&
                coach_stem_match(s, sw))
                return 1;
    }
    return 0;
}

/*
 * Over-explaining: the reply defines words that need no definition, ones
 * the customer or the reply itself just used ("...clockwise. Clockwise
 * means the same direction as a clock's hands", "Paperikasetti on se
 * laatikko"). Not when the customer asked what something means
 * (customer marks ck has a define cue: "what does X mean", "ero"). The
 * weight it adds; [*w0, *w1) gets the first definition's tokens.
 */
static float
over_explaining(const struct coach *c, const struct pf_msg *m,
                const struct marks *mk, const struct marks *ck, size_t *w0,
                size_t *w1)
{
    if (mk->n_def == 0 || (ck && coach_any(ck, 0, ck->n, F_DEFINE)))
        return 0;
    float w = 0;
    size_t n = 0, last = SIZE_MAX;
    for (size_t i = 0; i < mk->n_def && n < MAX_DEFINITIONS; i++) {
        size_t d0 = mk->def[i].t0, d1 = mk->def[i].t1;
        if (mk->def[i].family == F_POINT && !points(m, mk, d1))
            continue;
        size_t word = defined_word(m, mk, d0);
        if (word == SIZE_MAX || word == last)
            continue;
        int seen = used_before(c, m, mk, word);
        if (!seen)
            continue;
        w += seen == 2 ? REDEFINE_WEIGHT : DEFINE_WEIGHT;
        if (n++ == 0) {
            *w0 = word;
            *w1 = d1;
        }
        last = word;
    }
    return w;
}

static void
add_span(struct pf_finding *f, const struct pf_msg *m, size_t t0, size_t t1,
         char *words, size_t cap, size_t *wo)
{
    const struct pf_token *a = &m->tokens[t0];
    const struct pf_token *b = &m->tokens[t1 - 1];
    uint32_t off = a->raw.off, len = b->raw.off + b->raw.len - off;
    pf_finding_span(f, off, len);
    if (*wo + len + 6 < cap)
        *wo += (size_t)snprintf(words + *wo, cap - *wo, "%s\"%.*s\"",
                                *wo ? ", " : "", (int)len, m->text + off);
}

void
coach_condescension(const struct coach *c, const struct pf_msg *m,
                    const struct marks *rk, const struct marks *ck,
                    struct pf_verdict *v)
{
    int explain = (m->flags & PF_MSG_EXPLAIN) != 0;
    float sum = 0;
    /* the cues, less those inside words that only look condescending */
    for (size_t i = 0; i < rk->n_cond; i++)
        if (!coach_any(rk, rk->cond[i].t0, rk->cond[i].t1, F_NOT_CONDESCENSION))
            sum += rk->cond[i].w;
    size_t d0 = SIZE_MAX, d1 = SIZE_MAX;
    float over = over_explaining(c, m, rk, ck, &d0, &d1);
    sum += over;
    float score = 1.0f / (1.0f + expf(2.5f - sum));
    if (explain && (sum > 0 || over > 0))
        COACH_EXPLAIN(c,
                      "condescension: cues %.2f + over-explaining %.2f = "
                      "%.2f, score %.2f",
                      sum - over, over, sum, score);
    if (sum <= 0 || score < 0.3f)
        return;
    struct pf_finding *f = coach_finding(c, v, "condescension", score);
    if (!f)
        return;
    int fi = coach_fi(m);
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
        if (inside ||
            coach_any(rk, rk->cond[i].t0, rk->cond[i].t1, F_NOT_CONDESCENSION))
            continue;
        add_span(f, m, rk->cond[i].t0, rk->cond[i].t1, words, sizeof(words),
                 &wo);
    }
    if (over > 0 && d0 < d1)
        add_span(f, m, d0, d1, words, sizeof(words), &wo);
    snprintf(f->reason, sizeof(f->reason), "%s: %s",
             fi ? "alentuva sävy" : "talks down to the customer", words);
    pf_strlcpy(f->suggestion,
               fi ? "Vastaa asiaan ilman muistutusta siitä, mitä on jo sanottu "
                    "tai mitä asiakkaan olisi pitänyt tietää, ja selittämättä "
                    "itsestäänselvyyksiä."
                  : "Answer the question without reminding the customer what "
                    "was said before or what they should have known, and "
                    "without explaining the obvious.",
               sizeof(f->suggestion));
}
