/*
 * apology.c - missing_apology: the customer complains (of a delay, an
 * error, a defect, a bad experience) and the reply neither apologises nor
 * regrets it.
 *
 * A complaint is the weight of the complaint cues in the customer's last
 * message (and half of the one before): "late", "ei toimi", "vieläkään",
 * "third time", "not happy". A cue in a sentence that asks ("Why can't I
 * log in?") counts half: a question about a problem is not yet a
 * complaint; so does a whole message whose author apologises for asking.
 *
 * An apology is any cue of the apology family (sorry, pahoittelut,
 * anteeksi, "my mistake") or of regret ("that shouldn't have happened",
 * "harmittaa", "not the experience we want you to have"), unless it
 * apologises for nothing ("no need to be sorry").
 *
 * The model (model.h) gives its own probability from the words of both
 * messages. Word lists tuned on some writers over-fire and under-fire on
 * others; the model, trained on many writers, is a second opinion that
 * corrects them where it is sure: a finding of the lexicons stands unless
 * the model gives it less than MODEL_VETO (or always, when the reply's
 * only sorry apologises for nothing: the model cannot read that), and with no
 * apology cue in the reply the model alone makes a finding from MODEL_ALONE,
 * unless the customer apologises for asking (the model has seen few of those).
 * Both were chosen leaving one source out at a time (the model trained on the
 * other sources), with word lists that had not seen the source either:
 * an earlier version of the lists, and the lists without the cues only
 * that source used.
 */
#include "coach.h"

#include <stdio.h>
#include <string.h>

#define MODEL_VETO 0.05f
#define MODEL_ALONE 0.8f

/* "Why can't I log in?" asks about a problem; "Login ei toimi taas!!"
   complains: cues in a sentence that ends with '?' count half */
static float
complaint_weight(const struct pf_msg *m, const struct marks *mk)
{
    float w = 0, sentence = 0;
    for (size_t t = 0; t < mk->n; t++) {
        sentence += mk->cw[t];
        /* "!" makes a complaint stronger */
        if (coach_is_punct(m, t, "!") && sentence > 0)
            sentence += 0.5f;
        if (!coach_ends(m, t, ".!?\n") && t + 1 < mk->n)
            continue;
        w += (m->tokens[t].flags & PF_TOKF_QUESTION) ? sentence * 0.5f
                                                     : sentence;
        sentence = 0;
    }
    return w;
}

/* a cue of family fam that is not "no need to be sorry" */
static int
apologises(const struct marks *mk, int fam)
{
    for (size_t t = 0; t < mk->n; t++)
        if (coach_has(mk, t, fam) && !coach_has(mk, t, F_NOT_APOLOGY))
            return 1;
    return 0;
}

/* the word of message m (reply, or customer with tok < 0) a feature came
   from */
static void
explain_word(const struct coach *c, const struct pf_msg *reply,
             const struct pf_msg *customer, int32_t tok, float w)
{
    const struct pf_msg *m = tok >= 0 ? reply : customer;
    size_t t = (size_t)(tok >= 0 ? tok : -1 - tok);
    if (!m || t >= m->n_tokens)
        return;
    const struct pf_token *k = &m->tokens[t];
    COACH_EXPLAIN(c, "    %+6.2f %s \"%.*s\"", w,
                  tok >= 0 ? "reply   " : "customer", (int)k->raw.len,
                  m->text + k->raw.off);
}

/* with explain, the words that weighed most with the model either way */
static void
explain_model(const struct coach *c, const struct pf_msg *m,
              const struct cm_feats *f)
{
    float w[CM_MAX_FEATURES];
    cm_contributions(&c->md, f, w);
    for (int sign = 1; sign >= -1; sign -= 2) {
        unsigned char used[CM_MAX_FEATURES] = {0};
        for (int k = 0; k < 3; k++) {
            size_t best = f->n;
            for (size_t i = 0; i < f->n; i++)
                if (!used[i] && w[i] * (float)sign > 0.05f &&
                    (best == f->n ||
                     w[i] * (float)sign > w[best] * (float)sign))
                    best = i;
            if (best == f->n)
                break;
            used[best] = 1;
            explain_word(c, m, m->context[m->n_context - 1], f->tok[best],
                         w[best]);
        }
    }
}

void
coach_missing_apology(struct coach *c, const struct pf_msg *m,
                      const struct marks *reply, const struct marks *ck,
                      struct pf_verdict *v)
{
    float complaint = 0;
    int humble = 0; /* the latest message apologises for asking */
    int explain = (m->flags & PF_MSG_EXPLAIN) != 0;
    /* the latest customer message counts fully, the one before half */
    for (size_t i = m->n_context, k = 0; i-- > 0 && k < 2; k++) {
        const struct pf_msg *cm = m->context[i];
        struct marks earlier;
        const struct marks *mk = ck;
        if (k) {
            coach_mark(c, &c->lx, cm, &earlier, explain);
            mk = &earlier;
        }
        float w = complaint_weight(cm, mk);
        /* "Sorry to bother you, but...": a customer who apologises is
           asking, not complaining */
        if (coach_any(mk, 0, mk->n, F_APOLOGY) ||
            coach_any(mk, 0, mk->n, F_NOT_APOLOGY)) {
            w *= 0.5f;
            humble |= k == 0;
        }
        complaint += k ? w * 0.5f : w;
    }
    int sorry = apologises(reply, F_APOLOGY) || apologises(reply, F_REGRET);
    if (explain)
        COACH_EXPLAIN(c,
                      "missing_apology: complaint %.2f (a complaint from "
                      "%.2f), the reply %s",
                      complaint, c->complaint_min,
                      sorry ? "apologises" : "does not apologise");
    int lexicons = complaint >= c->complaint_min && !sorry, found = lexicons;
    float p = 0;
    /* nothing for the model to say when the reply apologises, or alone
       when the customer apologises for asking */
    if (c->has_model && !sorry && (lexicons || !humble)) {
        struct cm_feats f;
        cm_featurize(m->context[m->n_context - 1], m, c->md.mask, &f);
        p = cm_predict(&c->md, &f);
        /* the model reads words, not "no need to be sorry": where the
           lexicons saw a sorry that apologises for nothing, its word is
           no reason to drop their finding */
        int hollow = coach_any(reply, 0, reply->n, F_NOT_APOLOGY);
        found =
            p >= (lexicons ? MODEL_VETO : MODEL_ALONE) || (lexicons && hollow);
        if (explain) {
            COACH_EXPLAIN(c,
                          "missing_apology: the model says %.3f: %s (it "
                          "keeps the lexicons' finding from %.2f, makes one "
                          "alone from %.2f)",
                          p, found ? "a finding" : "none", MODEL_VETO,
                          MODEL_ALONE);
            explain_model(c, m, &f);
        }
    }
    if (!found)
        return;
    float score = lexicons ? 0.35f + 0.08f * (complaint - c->complaint_min)
                           : 0.35f + (p - MODEL_ALONE);
    struct pf_finding *f = coach_finding(c, v, "missing_apology", score);
    if (!f)
        return;
    int fi = coach_fi(m);
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
