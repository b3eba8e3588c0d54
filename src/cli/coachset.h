/*
 * coachset.h - labelled conversations turned into the coach plugin's
 * missing_apology examples (plugins/coach/model.h), and fitting its model
 * on them: what `pokerface train --coach` and `pokerface eval --loso`
 * share.
 *
 * Each conversation ({"customer": ..., "reply": ..., "expect": [labels]})
 * is prepared exactly as the bot prepares it (the text layer, the
 * customer's message as the reply's context) and turned into features by
 * the plugin's own code, so the model sees at training time what it will
 * see at run time. Its label is whether "expect" has "missing_apology".
 * A file's source is named as for trainset.h (conversations.t3.jsonl is
 * "t3"); lines with "text" instead of "reply" (messages) are skipped.
 */
#ifndef PF_CLI_COACHSET_H
#define PF_CLI_COACHSET_H

#include <stddef.h>
#include <stdint.h>

#include "../../plugins/coach/model.h"
#include "cli/trainset.h"
#include "core/engine.h"

struct coachset {
    uint32_t bits, mask;
    struct cm_example *ex;
    unsigned *source; /* index into trainset.sources */
    size_t n, cap;
};

void cs_init(struct coachset *cs, uint32_t bits);
void cs_release(struct coachset *cs);

/*
 * Add the conversations of path; their source is registered in ts (so a
 * source's messages and conversations share one index). Returns 0, or -1
 * after printing "pokerface CMD: FILE:LINE: problem".
 */
int cs_load(struct coachset *cs, struct trainset *ts, struct pf_engine *eng,
            const char *path, const char *cmd);

/* How many examples use[] keeps (NULL: all), and how many of those have
   missing_apology. */
size_t cs_count(const struct coachset *cs, const unsigned char *use_source,
                size_t *pos);

/*
 * Fit md (allocated with cs->bits) on the conversations whose source is
 * not left out (use_source[s] == 0 leaves s out; NULL uses all).
 * Deterministic.
 */
void cs_fit(const struct coachset *cs, const unsigned char *use_source,
            const struct cm_train_opts *o, struct cm_model *md);

#endif
