/*
 * learned - a learned classifier of backstage talk: logistic regression
 * over the message's words, word pieces, pairs, shape and addressee (see
 * model.h), trained with `pokerface train` on config/training/ and shipped
 * as DATADIR/models/learned.model. It catches what word lists cannot: a
 * remark with no rude word in it ("guess who's back", "no nyt se löysi sen
 * virtanapin").
 *
 * A reply is scored segment by segment (ABI 1.2) and is as backstage as
 * its most backstage segment. Finding: "learned.backstage", naming that
 * segment and the words in it that pushed the score up most. The model
 * carries its operating point (the probability its training chose for a
 * low false-hold rate); the finding's score is 0.6, the default policy's
 * hold threshold, at that point and rises to 1 above it, and nothing is
 * reported below it. So "ok", "kiitos" or "thanks!" never get a finding,
 * whatever the policy says. A message of four words or fewer needs more:
 * the model's threshold for short messages, set above every short
 * message its training held out that should pass.
 *
 * Online learning: what people decide about held messages moves the model
 * a little (learn()): sent as it was is a false alarm, edited or dropped a
 * true one. Bounded so nobody can drag it far: each weight may move at
 * most max_shift from the trained model, each person teaches at most
 * max_lessons a day, and a decision by someone else than the author (a
 * supervisor, a colleague) counts twice as much as the author's own. The
 * adjustments are kept in STATE_DIR/learned.delta across restarts.
 *
 * Config: "model" (a path; default DATADIR/models/learned.model),
 * "learning" (true), "rate" (0.05), "max_shift" (1.0), "max_lessons" (50),
 * "threshold" (the operating point as a probability; default the
 * model's own; a message of four words or fewer needs the model's
 * threshold for short messages too, which is never below it).
 */
#include <pokerface/plugin.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/config.h"
#include "model.h"

#define TEACHERS 64

struct teacher {
    uint32_t who;   /* hash of the user id */
    int64_t day;    /* days since the epoch */
    unsigned count; /* lessons that day */
};

struct learned {
    const struct pf_host *h;
    struct pf_hctx *hctx;
    struct lm_model md;
    float *delta; /* online adjustments, or NULL when not learning */
    char delta_path[4096];
    float rate, max_shift, threshold, threshold_short;
    unsigned max_lessons;
    struct teacher teachers[TEACHERS];
};

static int
lm_create(const struct pf_host *h, struct pf_hctx *hctx, void **inst, char *err,
          size_t errlen)
{
    struct learned *l = calloc(1, sizeof(*l));
    const char *path;
    char def[4096];
    int learning = 1, rc;
    double lessons = 50;
    if (!l) {
        pf_strlcpy(err, "out of memory", errlen);
        return PF_ENOMEM;
    }
    l->h = h;
    l->hctx = hctx;
    double rate = 0.05, max_shift = 1.0, threshold = -1;
    if ((rc = pl_cfg_number(h, hctx, "rate", 0, 1, &rate, err, errlen)) ||
        (rc = pl_cfg_number(h, hctx, "max_shift", 0, 10, &max_shift, err,
                            errlen)) ||
        (rc = pl_cfg_number(h, hctx, "threshold", 0.01, 0.99, &threshold, err,
                            errlen)) ||
        (rc = pl_cfg_number(h, hctx, "max_lessons", 0, 100000, &lessons, err,
                            errlen))) {
        free(l);
        return rc;
    }
    l->rate = (float)rate;
    l->max_shift = (float)max_shift;
    l->max_lessons = (unsigned)lessons;
    rc = h->cfg_bool(hctx, "learning", &learning);
    if (rc != PF_OK && rc != PF_ENOTFOUND) {
        pf_strlcpy(err, "config.learning: expected true or false", errlen);
        free(l);
        return PF_EINVAL;
    }
    rc = h->cfg_path(hctx, "model", &path);
    if (rc == PF_ENOTFOUND) {
        snprintf(def, sizeof(def), "%s/models/learned.model",
                 h->data_dir(hctx));
        path = def;
    } else if (rc != PF_OK) {
        pf_strlcpy(err, "config.model: expected a file name", errlen);
        free(l);
        return PF_EINVAL;
    }
    if ((rc = lm_load(&l->md, path, err, errlen)) != PF_OK) {
        free(l);
        return rc;
    }
    l->threshold = threshold > 0 ? (float)threshold : l->md.threshold;
    l->threshold_short = l->md.threshold_short > l->threshold
                             ? l->md.threshold_short
                             : l->threshold;
    const char *state = h->state_dir(hctx);
    if (learning && state) {
        l->delta = calloc((size_t)1 << l->md.bits, sizeof(float));
        if (!l->delta) {
            lm_free(&l->md);
            free(l);
            pf_strlcpy(err, "out of memory", errlen);
            return PF_ENOMEM;
        }
        snprintf(l->delta_path, sizeof(l->delta_path), "%s/learned.delta",
                 state);
        char derr[512];
        if (lm_delta_load(l->delta, l->md.bits, l->delta_path, derr,
                          sizeof(derr)) == PF_EINVAL) {
            /* kept aside for a person to look at, never overwritten */
            char aside[4200];
            snprintf(aside, sizeof(aside), "%s.damaged", l->delta_path);
            if (rename(l->delta_path, aside) == 0)
                h->log(hctx, PF_LOG_WARN, "%s (kept as %s)", derr, aside);
            else
                h->log(hctx, PF_LOG_WARN, "%s", derr);
        }
    }
    h->log(hctx, PF_LOG_DEBUG,
           "model %s: 2^%u weights, trained on %u "
           "messages, holds from %.3f%s",
           path, l->md.bits, l->md.n_examples, (double)l->threshold,
           l->delta ? ", learning" : "");
    *inst = l;
    return PF_OK;
}

static void
lm_destroy(void *inst)
{
    struct learned *l = inst;
    if (!l)
        return;
    lm_free(&l->md);
    free(l->delta);
    free(l);
}

/* The words of segment seg that pushed the score up most, as spans, and
   quoted. */
static void
name_words(struct learned *l, const struct pf_msg *m, const struct lm_feats *f,
           struct pf_finding *fd, char *words, size_t cap)
{
    float stack[256], *per = stack;
    size_t n = m->n_tokens;
    if (n > 256 && !(per = malloc(n * sizeof(*per))))
        return;
    lm_explain(&l->md, l->delta, f, per, n);
    size_t wo = 0;
    words[0] = '\0';
    for (int k = 0; k < 3; k++) {
        size_t best = n;
        for (size_t t = 0; t < n; t++)
            /* the strongest word always (a hold names its words), the
               next ones when they matter */
            if (per[t] > (k ? 1.0f : 0.0f) && (best == n || per[t] > per[best]))
                best = t;
        if (best == n)
            break;
        per[best] = 0;
        const struct pf_token *tok = &m->tokens[best];
        pf_finding_span(fd, tok->raw.off, tok->raw.len);
        if (wo + tok->raw.len + 6 < cap) {
            /* , "word" -- by hand: snprintf here was 2% of a check */
            if (wo) {
                memcpy(words + wo, ", ", 2);
                wo += 2;
            }
            words[wo++] = '"';
            memcpy(words + wo, m->text + tok->raw.off, tok->raw.len);
            wo += tok->raw.len;
            words[wo++] = '"';
            words[wo] = '\0';
        }
    }
    if (per != stack)
        free(per);
}

/* append s[0..n) to buf (cap bytes) at *o, always terminated; the host
   cuts a reason at a character boundary */
static void
append(char *buf, size_t cap, size_t *o, const char *s, size_t n)
{
    if (*o + n >= cap)
        n = cap - 1 - *o;
    memcpy(buf + *o, s, n);
    *o += n;
    buf[*o] = '\0';
}

/* the finding's score: 0.6 (the default hold threshold) at the operating
   point t, 1 at certainty */
static float
scaled(float t, float p)
{
    return 0.6f + 0.4f * (p - t) / (1.0f - t);
}

static int
lm_check(void *inst, const struct pf_msg *m, struct pf_verdict *v)
{
    struct learned *l = inst;
    struct lm_feats f;
    long seg;
    float p = lm_score(&l->md, l->delta, m, &seg, &f);
    float t = lm_is_short(m) ? l->threshold_short : l->threshold;
    if (seg < 0 || p < t)
        return PF_OK;
    struct pf_finding *fd =
        pf_verdict_add(v, "learned.backstage", scaled(t, p));
    if (!fd)
        return PF_OK;
    char words[160];
    name_words(l, m, &f, fd, words, sizeof(words));
    int fi = m->ui_lang && strcmp(m->ui_lang, "fi") == 0;
    size_t o = 0, cap = sizeof(fd->reason);
    const char *what =
        fi ? "kuulostaa sisäiseltä jutulta" : "reads like backstage talk";
    append(fd->reason, cap, &o, what, strlen(what));
    if (lm_n_segments(m) > 1 && PF_MSG_HAS(m, segments)) {
        /* name the segment when there is more than one: in "..." */
        const struct pf_segment *s = pf_msg_segment(m, (size_t)seg);
        size_t n = s->raw.len;
        const char *txt = m->text + s->raw.off;
        int cut = 0;
        if (n > 90) {
            n = 90;
            while (n > 0 && ((unsigned char)txt[n] & 0xC0) == 0x80)
                n--;
            cut = 1;
        }
        const char *in = fi ? " kohdassa \"" : " in \"";
        append(fd->reason, cap, &o, in, strlen(in));
        append(fd->reason, cap, &o, txt, n);
        append(fd->reason, cap, &o, cut ? "\xe2\x80\xa6\"" : "\"", cut ? 4 : 1);
    }
    if (words[0]) {
        append(fd->reason, cap, &o, ": ", 2);
        append(fd->reason, cap, &o, words, strlen(words));
    }
    pf_strlcpy(fd->suggestion,
               fi ? "Jos tämä on tarkoitettu tiimille, kirjoita se sisäiseen "
                    "kanavaan ilman vastausetuliitettä."
                  : "If this is meant for the team, write it in the internal "
                    "room without the reply prefix.",
               sizeof(fd->suggestion));
    return PF_OK;
}

static uint32_t
who_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* may this person teach once more today? -1: no, and it is the first no */
static int
may_teach(struct learned *l, const char *who)
{
    uint32_t h = who_hash(who);
    int64_t day = l->h->now_us(PF_CLOCK_WALL) / 86400000000LL;
    struct teacher *slot = &l->teachers[h % TEACHERS];
    if (slot->who != h || slot->day != day) {
        slot->who = h;
        slot->day = day;
        slot->count = 0;
    }
    if (slot->count > l->max_lessons)
        return 0;
    return ++slot->count <= l->max_lessons ? 1 : -1;
}

static void
lm_learn(void *inst, const struct pf_msg *m, const struct pf_decision *d)
{
    struct learned *l = inst;
    int y;
    if (!l->delta)
        return;
    if (d->kind == PF_DECIDE_SEND)
        y = 0;
    else if (d->kind == PF_DECIDE_EDIT || d->kind == PF_DECIDE_DROP)
        y = 1;
    else
        return; /* nobody decided: nothing learned */
    int may = may_teach(l, d->decided_by);
    if (may <= 0) {
        if (may < 0) /* said once a day, not at every decision */
            l->h->log(l->hctx, PF_LOG_INFO,
                      "not learning from %s until tomorrow: %u lessons "
                      "today already",
                      d->decided_by, l->max_lessons);
        return;
    }
    struct lm_feats f;
    long seg;
    /* the segment that decided is the one that learns */
    float p = lm_score(&l->md, l->delta, m, &seg, &f);
    if (seg < 0)
        return;
    int other = d->by_supervisor ||
                (d->decided_by && strcmp(d->decided_by, m->author_id) != 0);
    float g = (p - (float)y) * l->rate * (other ? 2.0f : 1.0f);
    for (size_t i = 0; i < f.n; i++) {
        float *dw = &l->delta[f.idx[i]];
        *dw -= g * f.val[i];
        if (*dw > l->max_shift)
            *dw = l->max_shift;
        if (*dw < -l->max_shift)
            *dw = -l->max_shift;
    }
    char err[512];
    if (lm_delta_save(l->delta, l->md.bits, l->delta_path, err, sizeof(err)))
        l->h->log(l->hctx, PF_LOG_WARN, "cannot keep what was learned: %s",
                  err);
    l->h->log(l->hctx, PF_LOG_DEBUG, "learned from %s: %s (was %.2f)",
              d->decided_by, y ? "backstage" : "fine", (double)p);
}

static const char *const lm_labels[] = {"learned.backstage", NULL};

static const struct pf_plugin learned_plugin = {
    PF_ABI_MAJOR,
    PF_ABI_MINOR,
    sizeof(struct pf_plugin),
    0,
    "learned",
    "1.0",
    "learned classifier of backstage talk (logistic regression)",
    lm_create,
    lm_destroy,
    lm_check,
    NULL,
    lm_learn,
    lm_labels,
    NULL,
};

PF_EXPORT const struct pf_plugin *
pf_plugin_entry_v1(void)
{
    return &learned_plugin;
}
