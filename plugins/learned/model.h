/*
 * model.h - the learned classifier: features of a message, a logistic
 * regression over them, training, and the model file. Compiled into the
 * learned plugin (which predicts and learns online) and into pokerface
 * itself (`pokerface train`), so both see a message the same way.
 *
 * Features (hashed into 2^bits weights, each with a sign from its hash):
 *   - every word, number class, emoji and @mention as normalized;
 *   - a word's first and last three bytes (Finnish endings, typos);
 *   - pairs of neighbouring words;
 *   - the shape: length, questions, exclamations, capitals, quotes, a name
 *     and a comma at the start, the language;
 *   - whom it talks to (ABI 1.1): second and third person, a greeting, the
 *     customer's name, a colleague's name or @mention (and at the start).
 * Each feature remembers the token it came from, so a prediction can name
 * the words that pushed it up.
 */
#ifndef PF_LEARNED_MODEL_H
#define PF_LEARNED_MODEL_H

#include <pokerface/plugin.h>
#include <stddef.h>
#include <stdint.h>

#define LM_FEATURE_VERSION 3
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
    uint32_t n_examples; /* it was trained on */
};

/* The features of m; mask is the model's. */
void lm_featurize(const struct pf_msg *m, uint32_t mask, struct lm_feats *f);

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
 * The model file: "PFLEARN1", version, feature version, bits, bias,
 * examples, weights (little-endian floats), and a 64-bit checksum of all
 * that. Load refuses anything else with a message naming the problem.
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
};

void lm_train(struct lm_model *md, struct lm_example *ex, size_t n,
              const struct lm_train_opts *o);

#endif
