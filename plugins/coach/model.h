/*
 * model.h - coach's learned second opinion on missing_apology: a logistic
 * regression over the words of the customer's last message and of the
 * reply, giving the probability that the customer complains and the reply
 * does not apologise. Compiled into the coach plugin (which predicts) and
 * into pokerface (`pokerface train --coach` fits it on config/training/
 * conversations.*.jsonl at build time; `pokerface eval --loso` fits it
 * again without the source it measures), so both see a conversation the
 * same way.
 *
 * Features (hashed into 2^bits weights, each with a sign from its hash):
 * every word of the customer's message and every word of the reply, as
 * the host normalized it, kept apart by side ("late" from the customer is
 * not "late" in the reply); a number as one class; "?" and "!". Each
 * counts once per message. Word pairs and word pieces were tried and
 * dropped: left-out sources got worse.
 *
 * The plugin uses it together with its lexicons (apology.c): the model
 * alone is not trusted with a finding the lexicons see no reason for
 * unless it is sure, and it can overrule the lexicons when it is sure
 * there is nothing to coach.
 */
#ifndef PF_PLUGINS_COACH_MODEL_H
#define PF_PLUGINS_COACH_MODEL_H

#include <pokerface/plugin.h>
#include <stddef.h>
#include <stdint.h>

#define CM_FEATURE_VERSION 1
#define CM_BITS 16      /* the default size: 2^16 weights */
#define CM_MAX_SIDE 512 /* words of one message that count */
#define CM_MAX_FEATURES (2 * CM_MAX_SIDE)

struct cm_feats {
    uint32_t idx[CM_MAX_FEATURES];
    float val[CM_MAX_FEATURES];   /* +1 or -1 (signed hashing) */
    int32_t tok[CM_MAX_FEATURES]; /* the token: >= 0 in the reply, -1 - t
                                     for token t of the customer's message */
    size_t n;
};

struct cm_model {
    uint32_t bits; /* 2^bits weights */
    uint32_t mask;
    float bias;
    float *w;
    uint32_t n_examples; /* conversations it was trained on */
};

/*
 * The features of reply to customer (the customer's last message) into f,
 * for a model of mask. Each feature once, in index order.
 */
void cm_featurize(const struct pf_msg *customer, const struct pf_msg *reply,
                  uint32_t mask, struct cm_feats *f);

/* The probability of missing_apology. */
float cm_predict(const struct cm_model *md, const struct cm_feats *f);

/* Each feature's part of the margin (weight x value), in f's order. */
void cm_contributions(const struct cm_model *md, const struct cm_feats *f,
                      float *out);

/* 2^bits zero weights (bits 8 to 24); PF_OK or PF_ENOMEM / PF_EINVAL. */
int cm_alloc(struct cm_model *md, uint32_t bits);
void cm_free(struct cm_model *md);

/*
 * The model file: "PFCOACH1", version 1, feature version, bits, examples,
 * bias, the weights (floats as this machine stores them, like the learned
 * model), and a 64-bit checksum of all that. Load refuses anything else,
 * with a message naming the file and the problem; save writes a new file
 * and renames it over path.
 */
int cm_load(struct cm_model *md, const char *path, char *err, size_t errlen);
int cm_save(const struct cm_model *md, const char *path, char *err,
            size_t errlen);

/* ---- training ---- */

struct cm_example {
    uint32_t *idx; /* its features (cm_feats.idx and .val, n of them) */
    float *val;
    size_t n;
    int y; /* 1: the customer complains and the reply does not apologise */
};

struct cm_train_opts {
    unsigned epochs; /* 30 */
    float rate;      /* AdaGrad base rate, 0.2 */
    float l2;        /* per step, 1e-4 */
    uint64_t seed;   /* the shuffle's; 0 takes a fixed one */
};

/* Fit md (allocated, zero) on ex, each class weighing half in all. The
   same examples in the same order give the same model, bit for bit. */
void cm_train(struct cm_model *md, const struct cm_example *ex, size_t n,
              const struct cm_train_opts *o);

#endif
