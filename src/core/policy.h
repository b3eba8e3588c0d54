/*
 * policy.h - maps findings to actions. Plugins report labels and scores;
 * only the configuration decides what happens (the rspamd model).
 *
 * For each finding, the most specific policy.labels rule for its label
 * applies (an exact label beats "prefix.*", a longer prefix beats a
 * shorter one):
 *   score <  note threshold            -> pass (the finding is dropped)
 *   otherwise, the rule has an action   -> that action
 *   otherwise, score >= hold threshold  -> hold, else note
 * The message gets the most severe action of its findings and the highest
 * score. Labels "pokerface.*" (a plugin failed or overran) are at least a
 * hold, whatever the configuration says: pokerface never fails open.
 */
#ifndef PF_POLICY_H
#define PF_POLICY_H

#include <stddef.h>

#include "base/config.h"
#include "rules/pipeline.h"

/* The rule that applies to label, or NULL. */
const struct pf_label_rule *pf_policy_rule(const struct pf_policy *p,
                                           const char *label);

/* Set found[i].action for each finding; return the message's action and
   store its score. */
int pf_policy_decide(const struct pf_policy *p, struct pf_found *found,
                     size_t n, float *score);

#endif
