/*
 * policy.c - see policy.h.
 */
#include "core/policy.h"

#include <string.h>

const struct pf_label_rule *
pf_policy_rule(const struct pf_policy *p, const char *label)
{
    const struct pf_label_rule *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < p->n_labels; i++) {
        const struct pf_label_rule *r = &p->labels[i];
        size_t n = strlen(r->label);
        if (n >= 2 && r->label[n - 1] == '*') {
            /* "prefix.*" matches "prefix.anything" */
            if (strncmp(label, r->label, n - 1) == 0 && n - 1 > best_len &&
                strlen(label) > n - 1) {
                best = r;
                best_len = n - 1;
            }
        } else if (strcmp(label, r->label) == 0) {
            return r;
        }
    }
    return best;
}

int
pf_policy_decide(const struct pf_policy *p, struct pf_found *found, size_t n,
                 float *score)
{
    int action = PF_ACT_PASS;
    float top = 0;
    for (size_t i = 0; i < n; i++) {
        struct pf_found *f = &found[i];
        const struct pf_label_rule *r = pf_policy_rule(p, f->f.label);
        double note = r && r->note >= 0 ? r->note : p->note_threshold;
        double hold = r && r->hold >= 0 ? r->hold : p->hold_threshold;
        int a;
        if (f->f.score < note && f->f.score < hold)
            a = PF_ACT_PASS;
        else if (r && r->action != PF_ACT_UNSET)
            a = r->action;
        else
            a = f->f.score >= hold ? PF_ACT_HOLD : PF_ACT_NOTE;
        if (strncmp(f->f.label, "pokerface.", 10) == 0 && a < PF_ACT_HOLD)
            a = PF_ACT_HOLD;
        f->action = a;
        if (a > action)
            action = a;
        if (f->f.score > top)
            top = f->f.score;
    }
    if (score)
        *score = top;
    return action;
}
