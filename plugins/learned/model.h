/*
 * model.h - the learned classifier: features of a message's segments, a
 * logistic regression over them, training, and the model file. Compiled
 * into the learned plugin (which predicts and learns online) and into
 * pokerface itself (`pokerface train`, `pokerface eval --loso`), so both
 * see a message the same way.
 *
 * A reply is judged segment by segment (struct pf_segment, ABI 1.2): each
 * sentence, clause, parenthesis or trailing aside gets its own score, and
 * the message is as backstage as its most backstage segment, so a greeting
 * and three helpful paragraphs cannot dilute the one remark among them.
 *
 * Features of a segment (hashed into 2^bits weights, each with a sign
 * from its hash), from its own tokens:
 *   - every word, number class, emoji and @mention as normalized (a first
 *     name as "#name", whoever it is); pairs of neighbouring words; the
 *     word it opens with. (Word pieces -- the first and last three bytes
 *     -- were tried and dropped: on writers the model never saw they
 *     added noise, recall at 2% false holds fell by about 0.03);
 *   - its shape: kind (sentence, clause, parenthesis...), place (first,
 *     last, after the closing), length, question, capitals, quotes, a
 *     marker (btw, lol, tho), lower case start, a name opening it;
 *   - whom it talks to: second and third person, the author's person, a
 *     colleague's or the customer's name, chat register;
 *   - the message around it: a greeting elsewhere, how many segments, and
 *     the contrasts that give an aside away: chat register or talk about
 *     a third person inside a reply that otherwise talks to the reader.
 * Each feature remembers the token it came from, so a prediction can name
 * the words that pushed it up.
 */
#ifndef PF_LEARNED_MODEL_H
#define PF_LEARNED_MODEL_H

#include <pokerface/plugin.h>
#include <stddef.h>
#include <stdint.h>

#define LM_FEATURE_VERSION 6
#define LM_MAX_FEATURES 1024

struct lm_feats {
    uint32_t idx[LM_MAX_FEATURES];
    float val[LM_MAX_FEATURES];   /* +1 or -1 (signed hashing) */
    int32_t tok[LM_MAX_FEATURES]; /* token it came from, -1 for shape */
    size_t n;
};

struct lm_model {
    uint32_t bits; /* 2^bits weights */
    uint32_t mask;
    float bias;
    float *w;
    uint32_t n_examples; /* messages it was trained on */
    /* The operating point: a segment scoring at least this is backstage
       talk. Chosen by `pokerface train` on held-out folds of its own
       training data for a target false-hold rate. */
    float threshold;
    /* ... and for a short message (lm_is_short()): above every short
       message to pass those folds held, so "ok", "no problem" or
       "kiitos!" are not held on a word or two of evidence */
    float threshold_short;
};

/* A message of LM_SHORT_WORDS words or fewer. */
#define LM_SHORT_WORDS 4
int lm_is_short(const struct pf_msg *m);

/* What the features of every segment share: the message around it. */
struct lm_ctx {
    unsigned n_top;    /* top-level segments */
    int greeting;      /* the message opens with a greeting */
    int second;        /* some segment talks to the reader */
    int formal;        /* no segment is in chat register */
    int informal_segs; /* segments in chat register */
    int upper_starts;  /* segments that start with a capital */
    int lang;          /* 0 fi, 1 en, 2 other */
};

void lm_context(const struct pf_msg *m, struct lm_ctx *c);

/*
 * May segment i of m be scored? Not a quotation (the customer's words),
 * and it has a word, an emoji or an @mention of its own. A message from a
 * host without segments (ABI 1.1) is one segment, i == 0.
 */
int lm_scored(const struct pf_msg *m, size_t i);
size_t lm_n_segments(const struct pf_msg *m);

/* The features of segment i of m; mask is the model's. */
void lm_featurize(const struct pf_msg *m, size_t i, const struct lm_ctx *c,
                  uint32_t mask, struct lm_feats *f);

/* w . x + bias, with delta (or NULL) added to the weights. */
float lm_margin(const struct lm_model *md, const float *delta,
                const struct lm_feats *f);
float lm_sigmoid(float z);

/*
 * The contribution of each token to the margin, summed into per_token
 * (n_tokens entries, zeroed first).
 */
void lm_explain(const struct lm_model *md, const float *delta,
                const struct lm_feats *f, float *per_token, size_t n_tokens);

int lm_alloc(struct lm_model *md, uint32_t bits);
void lm_free(struct lm_model *md);

/*
 * The most backstage segment of m: its index into *seg (or -1 when none
 * may be scored), its features into f, and its probability returned.
 * delta may be NULL.
 */
float lm_score(const struct lm_model *md, const float *delta,
               const struct pf_msg *m, long *seg, struct lm_feats *f);

/*
 * The model file: "PFLEARN1", version 2, feature version, bits, bias,
 * examples, the two thresholds, weights (little-endian floats), and a
 * 64-bit checksum of all that. Load refuses anything else with a message naming
 * the problem.
 */
int lm_load(struct lm_model *md, const char *path, char *err, size_t errlen);
int lm_save(const struct lm_model *md, const char *path, char *err,
            size_t errlen);

/* Online adjustments: a delta per weight, in a file of its own. */
int lm_delta_load(float *delta, uint32_t bits, const char *path, char *err,
                  size_t errlen);
int lm_delta_save(const float *delta, uint32_t bits, const char *path,
                  char *err, size_t errlen);

/* ---- training ---- */

struct lm_example {
    const uint32_t *idx; /* its features (lm_feats.idx and .val, n of them) */
    const float *val;
    size_t n;
    int y;        /* 1 backstage, 0 fine */
    float weight; /* class balance */
};

struct lm_train_opts {
    unsigned epochs; /* 30 */
    float rate;      /* AdaGrad base rate, 0.2 */
    float l2;        /* per step, 1e-6 */
    uint64_t seed;   /* shuffle */
    /* per weight: 0 leaves it at zero (a feature seen too rarely to
       trust); NULL trains every weight */
    const uint8_t *keep;
};

void lm_train(struct lm_model *md, struct lm_example *ex, size_t n,
              const struct lm_train_opts *o);

#endif
