/*
 * model.c - see model.h.
 */
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- features ---- */

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

/* side: 'c' the customer's message, 'r' the reply */
static uint32_t
hbytes(char side, const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    h = (h ^ (unsigned char)side) * 16777619u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return mix(h);
}

struct feat {
    uint32_t idx;
    uint32_t neg; /* the sign: 1 for -1 */
    int32_t tok;
    uint32_t order;
};

static size_t
side(const struct pf_msg *m, char which, uint32_t mask, struct feat *to,
     size_t n)
{
    size_t nt = m->n_tokens < CM_MAX_SIDE ? m->n_tokens : CM_MAX_SIDE;
    for (size_t t = 0; t < nt && n < CM_MAX_FEATURES; t++) {
        const struct pf_token *tok = &m->tokens[t];
        const char *s = m->norm + tok->norm_off;
        size_t len = tok->norm_len;
        if (tok->kind == PF_TOK_NUMBER) {
            s = "#num";
            len = 4;
        } else if (tok->kind == PF_TOK_PUNCT) {
            if (len < 1 || (s[0] != '?' && s[0] != '!'))
                continue;
            len = 1; /* "!!!" is "!" */
        } else if (tok->kind != PF_TOK_WORD || len == 0) {
            continue;
        }
        uint32_t h = hbytes(which, s, len);
        /* the index from the low bits, the sign from the top one */
        to[n].idx = h & mask;
        to[n].neg = h >> 31;
        to[n].tok = which == 'r' ? (int32_t)t : -1 - (int32_t)t;
        to[n].order = (uint32_t)n;
        n++;
    }
    return n;
}

/* by index, then sign, then where: the first of a kind stays */
static int
cmp_feat(const void *a, const void *b)
{
    const struct feat *x = a, *y = b;
    if (x->idx != y->idx)
        return x->idx < y->idx ? -1 : 1;
    if (x->neg != y->neg)
        return x->neg < y->neg ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

void
cm_featurize(const struct pf_msg *customer, const struct pf_msg *reply,
             uint32_t mask, struct cm_feats *f)
{
    struct feat all[CM_MAX_FEATURES];
    size_t n = 0;
    if (customer)
        n = side(customer, 'c', mask, all, n);
    n = side(reply, 'r', mask, all, n);
    qsort(all, n, sizeof(*all), cmp_feat);
    f->n = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && all[i].idx == all[i - 1].idx && all[i].neg == all[i - 1].neg)
            continue;
        f->idx[f->n] = all[i].idx;
        f->val[f->n] = all[i].neg ? -1.0f : 1.0f;
        f->tok[f->n] = all[i].tok;
        f->n++;
    }
}

static float
sigmoid(float z)
{
    if (z > 30)
        return 1;
    if (z < -30)
        return 0;
    return 1.0f / (1.0f + expf(-z));
}

float
cm_predict(const struct cm_model *md, const struct cm_feats *f)
{
    float z = md->bias;
    for (size_t i = 0; i < f->n; i++)
        z += md->w[f->idx[i]] * f->val[i];
    return sigmoid(z);
}

void
cm_contributions(const struct cm_model *md, const struct cm_feats *f,
                 float *out)
{
    for (size_t i = 0; i < f->n; i++)
        out[i] = md->w[f->idx[i]] * f->val[i];
}

int
cm_alloc(struct cm_model *md, uint32_t bits)
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
cm_free(struct cm_model *md)
{
    free(md->w);
    memset(md, 0, sizeof(*md));
}

/* ---- the file ---- */

#define MAGIC "PFCOACH1"
#define VERSION 1

struct header {
    char magic[8];
    uint32_t version, feature_version, bits, n_examples;
    float bias;
    uint32_t reserved;
};

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

static uint64_t
file_sum(const struct header *h, const float *w)
{
    return checksum(w, ((size_t)1 << h->bits) * sizeof(float),
                    checksum(h, sizeof(*h), 14695981039346656037ULL));
}

int
cm_save(const struct cm_model *md, const char *path, char *err, size_t errlen)
{
    struct header h;
    char tmp[4096];
    size_t n = ((size_t)1 << md->bits) * sizeof(float);
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, MAGIC, 8);
    h.version = VERSION;
    h.feature_version = CM_FEATURE_VERSION;
    h.bits = md->bits;
    h.n_examples = md->n_examples;
    h.bias = md->bias;
    uint64_t sum = file_sum(&h, md->w);
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
        snprintf(err, errlen, "model '%s': the name is too long", path);
        return PF_EINVAL;
    }
    unlink(tmp); /* a leftover of a crash; never written through */
    int fd =
        open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        return PF_ERR;
    }
    int ok = fwrite(&h, sizeof(h), 1, f) == 1 && fwrite(md->w, 1, n, f) == n &&
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
cm_load(struct cm_model *md, const char *path, char *err, size_t errlen)
{
    struct header h;
    uint64_t sum;
    FILE *f = fopen(path, "rb");
    memset(md, 0, sizeof(*md));
    if (!f) {
        snprintf(err, errlen, "model '%s': %s", path, strerror(errno));
        return PF_ENOTFOUND;
    }
    if (fread(&h, sizeof(h), 1, f) != 1 || memcmp(h.magic, MAGIC, 8) != 0) {
        snprintf(err, errlen, "model '%s' is not a coach model", path);
        fclose(f);
        return PF_EINVAL;
    }
    if (h.version != VERSION || h.feature_version != CM_FEATURE_VERSION) {
        snprintf(err, errlen,
                 "model '%s' is version %u with features %u; this plugin "
                 "reads %u with features %u: train it again",
                 path, h.version, h.feature_version, VERSION,
                 CM_FEATURE_VERSION);
        fclose(f);
        return PF_EINVAL;
    }
    if (cm_alloc(md, h.bits) != PF_OK) {
        snprintf(err, errlen, "model '%s': bad size (2^%u weights)", path,
                 h.bits);
        fclose(f);
        return PF_EINVAL;
    }
    size_t n = (size_t)1 << md->bits;
    int extra = EOF;
    if (fread(md->w, sizeof(float), n, f) != n ||
        fread(&sum, sizeof(sum), 1, f) != 1 || (extra = fgetc(f)) != EOF ||
        sum != file_sum(&h, md->w)) {
        snprintf(err, errlen, "model '%s' is damaged (%s)", path,
                 extra != EOF ? "longer than it should be"
                              : "truncated or its checksum does not match");
        fclose(f);
        cm_free(md);
        return PF_EINVAL;
    }
    fclose(f);
    int finite = isfinite(h.bias);
    for (size_t i = 0; i < n && finite; i++)
        finite = isfinite(md->w[i]);
    if (!finite) {
        snprintf(err, errlen, "model '%s' has a weight that is not a number",
                 path);
        cm_free(md);
        return PF_EINVAL;
    }
    md->bias = h.bias;
    md->n_examples = h.n_examples;
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
cm_train(struct cm_model *md, const struct cm_example *ex, size_t n,
         const struct cm_train_opts *o)
{
    size_t nw = (size_t)1 << md->bits, pos = 0;
    float *g2 = calloc(nw, sizeof(float));
    size_t *order = malloc((n ? n : 1) * sizeof(size_t));
    float gb = 0;
    uint64_t seed = o->seed ? o->seed : 88172645463325252ULL;
    if (!g2 || !order)
        abort();
    for (size_t i = 0; i < n; i++) {
        order[i] = i;
        pos += ex[i].y != 0;
    }
    /* each class weighs half: complaints left without an apology are the
       rarer kind */
    float wpos = pos ? (float)n / (2.0f * (float)pos) : 1;
    float wneg = pos < n ? (float)n / (2.0f * (float)(n - pos)) : 1;
    for (unsigned e = 0; e < o->epochs; e++) {
        for (size_t i = n; i > 1; i--) {
            size_t j = (size_t)(xorshift(&seed) % i);
            size_t t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        for (size_t k = 0; k < n; k++) {
            const struct cm_example *x = &ex[order[k]];
            float z = md->bias;
            for (size_t i = 0; i < x->n; i++)
                z += md->w[x->idx[i]] * x->val[i];
            float g = (sigmoid(z) - (float)(x->y != 0)) * (x->y ? wpos : wneg);
            gb += g * g;
            md->bias -= o->rate * g / sqrtf(gb + 1e-8f);
            for (size_t i = 0; i < x->n; i++) {
                uint32_t j = x->idx[i];
                float gi = g * x->val[i] + o->l2 * md->w[j];
                g2[j] += gi * gi;
                md->w[j] -= o->rate * gi / sqrtf(g2[j] + 1e-8f);
            }
        }
    }
    md->n_examples = (uint32_t)n;
    free(g2);
    free(order);
}
