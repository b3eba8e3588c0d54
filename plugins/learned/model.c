/*
 * model.c - see model.h.
 */
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- hashing ---- */

static uint32_t
mix(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static uint32_t
hbytes(uint32_t kind, const char *s, size_t n)
{
    uint32_t h = 2166136261u ^ (kind * 0x9e3779b9u);
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return mix(h);
}

enum {
    K_WORD = 1,
    K_PAIR,
    K_EMOJI,
    K_SHAPE,
    K_OPENER,
};

static void
add(struct lm_feats *f, uint32_t h, uint32_t mask, int32_t tok)
{
    if (f->n >= LM_MAX_FEATURES)
        return;
    /* the index from the low bits, the sign from the top one */
    f->idx[f->n] = h & mask;
    f->val[f->n] = (h >> 31) ? -1.0f : 1.0f;
    f->tok[f->n] = tok;
    f->n++;
}

/* the shape features, their names hashed once */
enum {
    S_LEN,
    S_QUESTION,
    S_BANG,
    S_CAPS,
    S_QUOTED,
    S_LANG,
    S_KIND,
    S_FLAG, /* value: the flag's bit number */
    S_SECOND,
    S_THIRD,
    S_FIRST,
    S_THIRD_NO_SECOND,
    S_COLLEAGUE,
    S_CUSTOMER,
    S_INFORMAL,
    S_N_TOP,
    S_MSG_GREETING,
    S_REGISTER_SHIFT,
    S_CASE_SHIFT,
    S_ABOUT_IN_REPLY,
    S_ONLY,
    S_NAMES,
    S_N
};
static const char *const shape_name[S_N] = {
    "len",          "question",       "bang",       "caps",
    "quoted",       "lang",           "kind",       "flag",
    "second",       "third",          "first",      "third-no-second",
    "colleague",    "customer",       "informal",   "n-top",
    "msg-greeting", "register-shift", "case-shift", "about-in-reply",
    "only",         "names",
};
/* each shape feature with each value (0..SHAPE_VALUES-1), hashed once */
#define SHAPE_VALUES 16
static uint32_t shape_hash[S_N][SHAPE_VALUES];
/* the words that stand for a kind of token, hashed once too */
static uint32_t h_name, h_num, h_url, h_mention;
static pthread_once_t shape_once = PTHREAD_ONCE_INIT;

static void
shape_init(void)
{
    h_name = hbytes(K_WORD, "#name", 5);
    h_num = hbytes(K_WORD, "#num", 4);
    h_url = hbytes(K_WORD, "#url", 4);
    h_mention = hbytes(K_WORD, "@", 1);
    for (int i = 0; i < S_N; i++) {
        uint32_t h = hbytes(K_SHAPE, shape_name[i], strlen(shape_name[i]));
        for (unsigned v = 0; v < SHAPE_VALUES; v++)
            shape_hash[i][v] = mix(h + (v + 1u) * 0x9e3779b9u);
    }
}

static void
shape(struct lm_feats *f, uint32_t mask, int which, unsigned value)
{
    add(f, shape_hash[which][value < SHAPE_VALUES ? value : SHAPE_VALUES - 1],
        mask, -1);
}

static unsigned
bucket(size_t n)
{
    return n < 4 ? 0 : n < 9 ? 1 : n < 17 ? 2 : n < 33 ? 3 : 4;
}

static int
has_segments(const struct pf_msg *m)
{
    return PF_MSG_HAS(m, token_segment) && m->segments && m->n_segments &&
           m->token_segment;
}

size_t
lm_n_segments(const struct pf_msg *m)
{
    return has_segments(m) ? m->n_segments : 1;
}

int
lm_scored(const struct pf_msg *m, size_t i)
{
    if (!has_segments(m))
        return i == 0 && m->n_tokens > 0;
    const struct pf_segment *s = pf_msg_segment(m, i);
    if (s->kind == PF_SEG_QUOTE || (s->flags & PF_SEGF_QUOTED))
        return 0;
    for (uint32_t t = s->tok0; t < s->tok1; t++) {
        if (m->token_segment[t] != i)
            continue;
        unsigned k = m->tokens[t].kind;
        if (k == PF_TOK_WORD || k == PF_TOK_EMOJI || k == PF_TOK_MENTION)
            return 1;
    }
    return 0;
}

void
lm_context(const struct pf_msg *m, struct lm_ctx *c)
{
    memset(c, 0, sizeof(*c));
    c->lang = strcmp(m->lang, "fi") == 0   ? 0
              : strcmp(m->lang, "en") == 0 ? 1
                                           : 2;
    c->formal = 1;
    if (!has_segments(m)) {
        c->n_top = 1;
        return;
    }
    for (size_t i = 0; i < m->n_segments; i++) {
        const struct pf_segment *s = pf_msg_segment(m, i);
        if (s->parent == PF_SEG_NONE)
            c->n_top++;
        if (s->flags & PF_SEGF_GREETING)
            c->greeting = 1;
        if (s->second)
            c->second = 1;
        if (s->informal) {
            c->formal = 0;
            c->informal_segs++;
        }
        if (s->words && !(s->flags & PF_SEGF_LOWER_START))
            c->upper_starts++;
    }
}

void
lm_featurize(const struct pf_msg *m, size_t si, const struct lm_ctx *c,
             uint32_t mask, struct lm_feats *f)
{
    uint32_t prev = 0;
    size_t words = 0;
    unsigned caps = 0, quoted = 0, question = 0, bang = 0;
    int opener = 1;
    size_t t0 = 0, t1 = m->n_tokens;
    const struct pf_segment *seg = NULL;
    pthread_once(&shape_once, shape_init);
    f->n = 0;
    if (has_segments(m)) {
        seg = pf_msg_segment(m, si);
        t0 = seg->tok0;
        t1 = seg->tok1;
    }
    for (size_t t = t0; t < t1; t++) {
        const struct pf_token *tok = &m->tokens[t];
        const char *w = m->norm + tok->norm_off;
        size_t n = tok->norm_len;
        uint32_t h;
        int32_t ti = (int32_t)t;
        if (seg && m->token_segment[t] != si)
            continue;
        switch (tok->kind) {
        case PF_TOK_WORD:
            words++;
            /* a name is a name, whoever it is: "#name, can you..." */
            h = (tok->flags & PF_TOKF_NAME) ? h_name : hbytes(K_WORD, w, n);
            add(f, h, mask, ti);
            if (opener) {
                add(f, mix(h ^ K_OPENER ^ (uint32_t)(c->lang << 8)), mask, ti);
                opener = 0;
            }
            if (tok->flags & PF_TOKF_ALLCAPS)
                caps++;
            if (tok->flags & PF_TOKF_QUOTED)
                quoted++;
            break;
        case PF_TOK_NUMBER: h = h_num; break;
        case PF_TOK_URL:
        case PF_TOK_EMAIL: h = h_url; break;
        case PF_TOK_MENTION: h = h_mention; break;
        case PF_TOK_EMOJI: h = hbytes(K_EMOJI, w, n); break;
        default:
            /* punctuation: ends a pair at . ! ? */
            if (n && (w[0] == '.' || w[0] == '!' || w[0] == '?'))
                prev = 0;
            question += (tok->flags & PF_TOKF_QUESTION) != 0;
            bang += n && w[0] == '!';
            continue;
        }
        if (tok->kind != PF_TOK_WORD) {
            add(f, h, mask, ti);
            if (opener && tok->kind == PF_TOK_MENTION) {
                add(f, mix(h ^ K_OPENER ^ (uint32_t)(c->lang << 8)), mask, ti);
                opener = 0;
            }
        }
        if (prev)
            add(f, mix(prev * 31u + h) ^ (uint32_t)K_PAIR, mask, ti);
        prev = h;
    }
    /* the shape of the segment */
    shape(f, mask, S_LEN, bucket(words));
    shape(f, mask, S_QUESTION, question > 0);
    shape(f, mask, S_BANG, bang > 0);
    shape(f, mask, S_CAPS, caps > 0);
    shape(f, mask, S_QUOTED, quoted > 0);
    shape(f, mask, S_LANG, (unsigned)c->lang);
    shape(f, mask, S_N_TOP,
          c->n_top <= 1   ? 0
          : c->n_top <= 3 ? 1
          : c->n_top <= 7 ? 2
                          : 3);
    if (c->n_top <= 1)
        shape(f, mask, S_ONLY, 1);
    if (!seg) {
        /* a 1.1 host: the whole message, whom it talks to */
        if (PF_MSG_HAS(m, addressee) && m->addressee) {
            const struct pf_addressee *a = m->addressee;
            shape(f, mask, S_SECOND, a->second > 0);
            shape(f, mask, S_THIRD, a->third > 0);
            shape(f, mask, S_COLLEAGUE, a->colleague > 0);
            shape(f, mask, S_CUSTOMER, a->customer_name > 0);
            shape(f, mask, S_THIRD_NO_SECOND, a->third > 0 && a->second == 0);
        }
        return;
    }
    shape(f, mask, S_KIND, seg->kind);
    for (unsigned b = 0; b < 16; b++)
        if (seg->flags & (1u << b))
            shape(f, mask, S_FLAG, b);
    shape(f, mask, S_SECOND, seg->second > 0);
    shape(f, mask, S_THIRD, seg->third > 0);
    shape(f, mask, S_FIRST, seg->first > 0);
    shape(f, mask, S_THIRD_NO_SECOND, seg->third > 0 && seg->second == 0);
    shape(f, mask, S_COLLEAGUE, seg->colleague > 0);
    shape(f, mask, S_CUSTOMER, seg->customer > 0);
    shape(f, mask, S_INFORMAL, seg->informal > 1 ? 2 : seg->informal);
    if (PF_MSG_HAS(m, segments) &&
        m->segment_size >=
            offsetof(struct pf_segment, names) + sizeof(seg->names))
        shape(f, mask, S_NAMES, seg->names > 1 ? 2 : seg->names);
    if (!(seg->flags & PF_SEGF_GREETING))
        shape(f, mask, S_MSG_GREETING, (unsigned)c->greeting);
    /* the contrasts that give an aside away inside a reply */
    if (seg->informal && c->informal_segs == 1 && c->n_top > 1)
        shape(f, mask, S_REGISTER_SHIFT, 1);
    if ((seg->flags & PF_SEGF_LOWER_START) && c->upper_starts >= 2)
        shape(f, mask, S_CASE_SHIFT, 1);
    if (seg->third && !seg->second && c->second)
        shape(f, mask, S_ABOUT_IN_REPLY, 1);
}

int
lm_is_short(const struct pf_msg *m)
{
    size_t words = 0;
    for (size_t t = 0; t < m->n_tokens; t++)
        if (m->tokens[t].kind == PF_TOK_WORD && ++words > LM_SHORT_WORDS)
            return 0;
    return 1;
}

float
lm_score(const struct lm_model *md, const float *delta, const struct pf_msg *m,
         long *seg, struct lm_feats *f)
{
    struct lm_ctx c;
    /* the first segment's features go to f: with one segment (most
       messages) nothing is copied */
    struct lm_feats tmp, *best_f = f, *cur = f;
    float best = 0;
    size_t n = lm_n_segments(m);
    lm_context(m, &c);
    *seg = -1;
    f->n = 0;
    for (size_t i = 0; i < n; i++) {
        if (!lm_scored(m, i))
            continue;
        lm_featurize(m, i, &c, md->mask, cur);
        float z = lm_margin(md, delta, cur);
        if (*seg < 0 || z > best) {
            struct lm_feats *x = cur == best_f ? &tmp : best_f;
            best = z;
            *seg = (long)i;
            best_f = cur;
            cur = x;
        }
    }
    if (best_f != f) {
        memcpy(f->idx, best_f->idx, best_f->n * sizeof(*f->idx));
        memcpy(f->val, best_f->val, best_f->n * sizeof(*f->val));
        memcpy(f->tok, best_f->tok, best_f->n * sizeof(*f->tok));
        f->n = best_f->n;
    }
    return *seg < 0 ? 0.0f : lm_sigmoid(best);
}

float
lm_sigmoid(float z)
{
    if (z > 30)
        return 1;
    if (z < -30)
        return 0;
    return 1.0f / (1.0f + expf(-z));
}

float
lm_margin(const struct lm_model *md, const float *delta,
          const struct lm_feats *f)
{
    float z = md->bias;
    /* two loops, so that the one per feature has no test of delta */
    if (delta) {
        for (size_t i = 0; i < f->n; i++)
            z += (md->w[f->idx[i]] + delta[f->idx[i]]) * f->val[i];
    } else {
        for (size_t i = 0; i < f->n; i++)
            z += md->w[f->idx[i]] * f->val[i];
    }
    return z;
}

void
lm_explain(const struct lm_model *md, const float *delta,
           const struct lm_feats *f, float *per_token, size_t n_tokens)
{
    memset(per_token, 0, n_tokens * sizeof(*per_token));
    for (size_t i = 0; i < f->n; i++) {
        if (f->tok[i] < 0 || (size_t)f->tok[i] >= n_tokens)
            continue;
        float w = md->w[f->idx[i]];
        if (delta)
            w += delta[f->idx[i]];
        per_token[f->tok[i]] += w * f->val[i];
    }
}

int
lm_alloc(struct lm_model *md, uint32_t bits)
{
    memset(md, 0, sizeof(*md));
    if (bits < 8 || bits > 24)
        return PF_EINVAL;
    md->bits = bits;
    md->mask = (1u << bits) - 1u;
    md->w = calloc((size_t)1 << bits, sizeof(float));
    return md->w ? PF_OK : PF_ENOMEM;
}

void
lm_free(struct lm_model *md)
{
    free(md->w);
    memset(md, 0, sizeof(*md));
}

/* ---- files ---- */

#define MODEL_MAGIC "PFLEARN1"
#define DELTA_MAGIC "PFLDELT1"

static uint64_t
checksum(const void *p, size_t n, uint64_t h)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h;
}

struct header {
    char magic[8];
    uint32_t version, feature_version, bits, n_examples;
    float bias;
    float threshold;       /* version 2; reserved (0) in version 1 */
    float threshold_short; /* version 2 */
    uint32_t reserved;
};

/* write a file whole or not at all; mode is the new file's (less the
   umask): what a team taught the model is theirs alone (0600) */
static int
write_atomic(const char *path, mode_t mode, const void *a, size_t an,
             const void *b, size_t bn, uint64_t sum, char *err, size_t errlen)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    unlink(tmp); /* a leftover of a crash; never written through */
    int fd =
        open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        return PF_ERR;
    }
    int ok = fwrite(a, 1, an, f) == an && fwrite(b, 1, bn, f) == bn &&
             fwrite(&sum, sizeof(sum), 1, f) == 1 && fflush(f) == 0 &&
             fsync(fileno(f)) == 0;
    if (fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return PF_ERR;
    }
    return PF_OK;
}

int
lm_save(const struct lm_model *md, const char *path, char *err, size_t errlen)
{
    struct header h;
    size_t n = ((size_t)1 << md->bits) * sizeof(float);
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, MODEL_MAGIC, 8);
    h.version = 2;
    h.feature_version = LM_FEATURE_VERSION;
    h.bits = md->bits;
    h.n_examples = md->n_examples;
    h.bias = md->bias;
    h.threshold = md->threshold;
    h.threshold_short = md->threshold_short;
    uint64_t sum =
        checksum(md->w, n, checksum(&h, sizeof(h), 14695981039346656037ULL));
    return write_atomic(path, 0644, &h, sizeof(h), md->w, n, sum, err, errlen);
}

/* read exactly n bytes or fail */
static int
read_all(FILE *f, void *p, size_t n)
{
    return fread(p, 1, n, f) == n;
}

int
lm_load(struct lm_model *md, const char *path, char *err, size_t errlen)
{
    struct header h;
    uint64_t sum;
    FILE *f = fopen(path, "rb");
    memset(md, 0, sizeof(*md));
    if (!f) {
        snprintf(err, errlen, "model '%s': %s", path, strerror(errno));
        return PF_ENOTFOUND;
    }
    if (!read_all(f, &h, sizeof(h)) || memcmp(h.magic, MODEL_MAGIC, 8) != 0) {
        snprintf(err, errlen, "model '%s' is not a pokerface model", path);
        fclose(f);
        return PF_EINVAL;
    }
    if (h.version != 2 || h.feature_version != LM_FEATURE_VERSION) {
        snprintf(err, errlen,
                 "model '%s' is version %u with features %u; this plugin "
                 "reads 2 with features %u: train it again",
                 path, h.version, h.feature_version, LM_FEATURE_VERSION);
        fclose(f);
        return PF_EINVAL;
    }
    if (lm_alloc(md, h.bits) != PF_OK) {
        snprintf(err, errlen, "model '%s': bad size (2^%u weights)", path,
                 h.bits);
        fclose(f);
        return PF_EINVAL;
    }
    size_t n = ((size_t)1 << md->bits) * sizeof(float);
    int extra = EOF;
    if (!read_all(f, md->w, n) || !read_all(f, &sum, sizeof(sum)) ||
        (extra = fgetc(f)) != EOF ||
        sum != checksum(md->w, n,
                        checksum(&h, sizeof(h), 14695981039346656037ULL))) {
        snprintf(err, errlen, "model '%s' is damaged (%s)", path,
                 extra != EOF ? "longer than it should be"
                              : "truncated or its checksum does not match");
        fclose(f);
        lm_free(md);
        return PF_EINVAL;
    }
    fclose(f);
    for (size_t i = 0; i < ((size_t)1 << md->bits); i++) {
        if (!isfinite(md->w[i])) {
            snprintf(err, errlen,
                     "model '%s' has a weight that is not a "
                     "number",
                     path);
            lm_free(md);
            return PF_EINVAL;
        }
    }
    if (!isfinite(h.bias) || !isfinite(h.threshold) || h.threshold <= 0 ||
        h.threshold >= 1 || !isfinite(h.threshold_short) ||
        h.threshold_short < h.threshold || h.threshold_short >= 1) {
        snprintf(err, errlen,
                 "model '%s' has no valid operating point (threshold %g)", path,
                 (double)h.threshold);
        lm_free(md);
        return PF_EINVAL;
    }
    md->bias = h.bias;
    md->n_examples = h.n_examples;
    md->threshold = h.threshold;
    md->threshold_short = h.threshold_short;
    return PF_OK;
}

int
lm_delta_save(const float *delta, uint32_t bits, const char *path, char *err,
              size_t errlen)
{
    struct header h;
    size_t n = ((size_t)1 << bits) * sizeof(float);
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, DELTA_MAGIC, 8);
    h.version = 1;
    h.feature_version = LM_FEATURE_VERSION;
    h.bits = bits;
    uint64_t sum =
        checksum(delta, n, checksum(&h, sizeof(h), 14695981039346656037ULL));
    return write_atomic(path, 0600, &h, sizeof(h), delta, n, sum, err, errlen);
}

int
lm_delta_load(float *delta, uint32_t bits, const char *path, char *err,
              size_t errlen)
{
    struct header h;
    uint64_t sum;
    size_t n = ((size_t)1 << bits) * sizeof(float);
    FILE *f = fopen(path, "rb");
    if (!f)
        return PF_ENOTFOUND;
    int ok = read_all(f, &h, sizeof(h)) && !memcmp(h.magic, DELTA_MAGIC, 8) &&
             h.version == 1 && h.feature_version == LM_FEATURE_VERSION &&
             h.bits == bits && read_all(f, delta, n) &&
             read_all(f, &sum, sizeof(sum)) && fgetc(f) == EOF &&
             sum == checksum(delta, n,
                             checksum(&h, sizeof(h), 14695981039346656037ULL));
    fclose(f);
    for (size_t i = 0; ok && i < ((size_t)1 << bits); i++)
        ok = isfinite(delta[i]) && fabsf(delta[i]) <= 100;
    if (!ok) {
        memset(delta, 0, n);
        snprintf(err, errlen,
                 "'%s' is damaged or from another model; starting from the "
                 "trained model alone",
                 path);
        return PF_EINVAL;
    }
    return PF_OK;
}

/* ---- training ---- */

static uint64_t
xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

void
lm_train(struct lm_model *md, struct lm_example *ex, size_t n,
         const struct lm_train_opts *o)
{
    size_t nw = (size_t)1 << md->bits;
    float *g2 = calloc(nw, sizeof(float));
    size_t *order = malloc((n ? n : 1) * sizeof(size_t));
    float gb = 0;
    uint64_t seed = o->seed ? o->seed : 88172645463325252ULL;
    /* the weights averaged over the second half of the epochs: steadier
       on writers it never saw than the last step's */
    double *avg = calloc(nw, sizeof(double)), avg_b = 0;
    unsigned n_avg = 0;
    if (!g2 || !order || !avg)
        abort();
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (unsigned e = 0; e < o->epochs; e++) {
        for (size_t i = n; i > 1; i--) {
            size_t j = (size_t)(xorshift(&seed) % i);
            size_t t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        for (size_t k = 0; k < n; k++) {
            const struct lm_example *x = &ex[order[k]];
            float z = md->bias;
            for (size_t i = 0; i < x->n; i++)
                z += md->w[x->idx[i]] * x->val[i];
            float g = (lm_sigmoid(z) - (float)x->y) * x->weight;
            gb += g * g;
            md->bias -= o->rate * g / sqrtf(gb + 1e-8f);
            for (size_t i = 0; i < x->n; i++) {
                uint32_t j = x->idx[i];
                if (o->keep && !o->keep[j])
                    continue;
                float gi = g * x->val[i] + o->l2 * md->w[j];
                g2[j] += gi * gi;
                md->w[j] -= o->rate * gi / sqrtf(g2[j] + 1e-8f);
            }
        }
        if (e >= o->epochs / 2) {
            for (size_t j = 0; j < nw; j++)
                avg[j] += md->w[j];
            avg_b += md->bias;
            n_avg++;
        }
    }
    if (n_avg) {
        for (size_t j = 0; j < nw; j++)
            md->w[j] = (float)(avg[j] / n_avg);
        md->bias = (float)(avg_b / n_avg);
    }
    free(avg);
    md->n_examples = (uint32_t)n;
    free(g2);
    free(order);
}
