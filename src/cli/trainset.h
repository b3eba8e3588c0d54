/*
 * trainset.h - labelled messages turned into the learned model's segment
 * examples, and fitting a model on them: what `pokerface train` and
 * `pokerface eval --loso` share.
 *
 * Each message is prepared exactly as the bot prepares it (text layer,
 * segments, language, whom it talks to) and each segment that may be
 * scored becomes an example with the learned plugin's own features
 * (plugins/learned/model.c). A segment's label:
 *
 *  - a message to pass: every segment is fine (0);
 *  - a message to hold with a "segment" (the backstage words, copied from
 *    its text): the segments mostly inside it are backstage (1), those
 *    outside it fine (0), and those it only touches are left out;
 *  - a message to hold without one: a single segment is backstage; of
 *    several, the one the model scores highest is taken as the backstage
 *    one (refitted once with that choice), and the others are left out.
 *
 * The operating point (lm_model.threshold) is chosen on held-out folds of
 * the training messages, never on the messages it is then used on: the
 * lowest probability at which at most target_fhr of the passing messages
 * are held, a message scoring as its most backstage segment. For short
 * messages (lm_is_short) it is set above every short passing message of
 * those folds (threshold_short): a word or two is too little evidence to
 * hold "ok" or "no problem" on.
 *
 * Sources: a file's source is its name without the directory, a leading
 * "messages." or "conversations.", and the extension: messages.travel.jsonl
 * and conversations.travel.jsonl are both "travel". Leave-one-source-out
 * evaluation leaves out every file of a source together.
 */
#ifndef PF_CLI_TRAINSET_H
#define PF_CLI_TRAINSET_H

#include <stddef.h>
#include <stdint.h>

#include "../../plugins/learned/model.h"
#include "core/engine.h"

struct ts_seg {
    uint32_t *idx;
    float *val;
    uint32_t n;
    int8_t y; /* 1 backstage, 0 fine, -1 not known */
};

struct ts_msg {
    size_t seg0, n_seg; /* its scorable segments in trainset.seg */
    int y;              /* 1 hold, 0 pass */
    int annotated;      /* it said which words are backstage */
    int is_short;       /* lm_is_short() */
    unsigned source;    /* index into trainset.sources */
    char *text;         /* for --errors */
};

struct trainset {
    uint32_t bits, mask;
    struct ts_seg *seg;
    size_t n_seg, cap_seg;
    struct ts_msg *msg;
    size_t n_msg, cap_msg;
    char **sources;
    size_t n_sources;
};

struct ts_opts {
    struct lm_train_opts lm;
    float target_fhr;     /* the operating point's false-hold rate (0.015) */
    unsigned inner_folds; /* folds to choose it on (4) */
};

void ts_init(struct trainset *ts, uint32_t bits);
void ts_release(struct trainset *ts);

/* The source name of a file path (see above); a new string. */
char *ts_source_name(const char *path);

/* The index of source name in ts (added when new). */
unsigned ts_source(struct trainset *ts, const char *name);

/*
 * Add the labelled messages of path ({"text", "label": "hold"|"pass",
 * "segment"?, "team"?, "customers"?}); lines with "reply" instead of
 * "text" (conversations) are skipped. team is used for lines without one.
 * Returns 0, or -1 after printing "pokerface CMD: FILE:LINE: problem".
 */
int ts_load(struct trainset *ts, struct pf_engine *eng, const char *path,
            const char *const *team, size_t n_team, const char *cmd);

/*
 * Fit md (allocated with ts->bits) on the messages with use[i] set (NULL:
 * all), choosing its threshold on inner folds. Deterministic.
 */
void ts_fit(const struct trainset *ts, const unsigned char *use,
            const struct ts_opts *o, struct lm_model *md);

/* A message's probability: its most backstage segment's. */
float ts_predict(const struct lm_model *md, const struct trainset *ts,
                 size_t msg);

#endif
