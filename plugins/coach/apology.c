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
 */
#include "coach.h"

#include <string.h>

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

void
coach_missing_apology(struct coach *c, const struct pf_msg *m,
                      const struct marks *reply, const struct marks *ck,
                      struct pf_verdict *v)
{
    float complaint = 0;
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
            coach_any(mk, 0, mk->n, F_NOT_APOLOGY))
            w *= 0.5f;
        complaint += k ? w * 0.5f : w;
    }
    int sorry = apologises(reply, F_APOLOGY) || apologises(reply, F_REGRET);
    if (explain)
        COACH_EXPLAIN(c,
                      "missing_apology: complaint %.2f (a complaint from "
                      "%.2f), the reply %s",
                      complaint, c->complaint_min,
                      sorry ? "apologises" : "does not apologise");
    if (complaint < c->complaint_min || sorry)
        return;
    float score = 0.35f + 0.08f * (complaint - c->complaint_min);
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
