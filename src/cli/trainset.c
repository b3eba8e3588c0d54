/*
 * trainset.c - see trainset.h.
 */
#include "cli/trainset.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

void
ts_init(struct trainset *ts, uint32_t bits)
{
    memset(ts, 0, sizeof(*ts));
    ts->bits = bits;
    ts->mask = (1u << bits) - 1u;
}

void
ts_release(struct trainset *ts)
{
    for (size_t i = 0; i < ts->n_seg; i++) {
        free(ts->seg[i].idx);
        free(ts->seg[i].val);
    }
    for (size_t i = 0; i < ts->n_msg; i++)
        free(ts->msg[i].text);
    for (size_t i = 0; i < ts->n_sources; i++)
        free(ts->sources[i]);
    free(ts->seg);
    free(ts->msg);
    free(ts->sources);
    memset(ts, 0, sizeof(*ts));
}

char *
ts_source_name(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    if (strncmp(b, "messages.", 9) == 0)
        b += 9;
    else if (strncmp(b, "conversations.", 14) == 0)
        b += 14;
    char *s = pf_xstrdup(b);
    char *dot = strrchr(s, '.');
    if (dot && dot != s)
        *dot = '\0';
    return s;
}

unsigned
ts_source(struct trainset *ts, const char *name)
{
    for (size_t i = 0; i < ts->n_sources; i++)
        if (strcmp(ts->sources[i], name) == 0)
            return (unsigned)i;
    ts->sources =
        pf_xrealloc(ts->sources, (ts->n_sources + 1) * sizeof(*ts->sources));
    ts->sources[ts->n_sources] = pf_xstrdup(name);
    return (unsigned)ts->n_sources++;
}

static const char **
names(json_t *arr, size_t *n)
{
    size_t k = json_array_size(arr);
    const char **v = pf_xcalloc(k + 1, sizeof(*v));
    *n = 0;
    for (size_t i = 0; i < k; i++)
        if (json_is_string(json_array_get(arr, i)))
            v[(*n)++] = json_string_value(json_array_get(arr, i));
    return v;
}

/* the label of segment i of m given the backstage bytes [a, b) of text:
   1 mostly inside, 0 outside, -1 only touching */
static int
seg_label(const struct pf_msg *m, size_t i, size_t a, size_t b)
{
    unsigned own = 0, in = 0;
    for (size_t t = 0; t < m->n_tokens; t++) {
        if (m->token_segment[t] != i)
            continue;
        const struct pf_token *tok = &m->tokens[t];
        if (tok->kind == PF_TOK_PUNCT)
            continue;
        own++;
        if (tok->raw.off < b && tok->raw.off + tok->raw.len > a)
            in++;
    }
    if (own == 0 || in == 0)
        return 0;
    return in * 2 >= own ? 1 : -1;
}

static void
add_seg(struct trainset *ts, const struct lm_feats *f, int y)
{
    if (ts->n_seg == ts->cap_seg) {
        ts->cap_seg = ts->cap_seg ? ts->cap_seg * 2 : 4096;
        ts->seg = pf_xrealloc(ts->seg, ts->cap_seg * sizeof(*ts->seg));
    }
    struct ts_seg *s = &ts->seg[ts->n_seg++];
    s->n = (uint32_t)f->n;
    s->idx = pf_xmalloc((f->n + 1) * sizeof(*s->idx));
    s->val = pf_xmalloc((f->n + 1) * sizeof(*s->val));
    memcpy(s->idx, f->idx, f->n * sizeof(*s->idx));
    memcpy(s->val, f->val, f->n * sizeof(*s->val));
    s->y = (int8_t)y;
}

int
ts_load(struct trainset *ts, struct pf_engine *eng, const char *path,
        const char *const *team, size_t n_team, const char *cmd)
{
    json_error_t je;
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    if (!f) {
        fprintf(stderr, "pokerface %s: %s: %s\n", cmd, path, strerror(errno));
        return -1;
    }
    char *src = ts_source_name(path);
    unsigned source = ts_source(ts, src);
    free(src);
    struct lm_feats *feats = pf_xmalloc(sizeof(*feats));
    int rc = 0;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        if (strspn(line, " \t\r\n") == strlen(line))
            continue;
        json_t *o = json_loads(line, 0, &je);
        if (o && json_is_string(json_object_get(o, "reply")) &&
            !json_object_get(o, "text")) {
            json_decref(o); /* a conversation: for coaching */
            continue;
        }
        const char *text = json_string_value(json_object_get(o, "text"));
        const char *label = json_string_value(json_object_get(o, "label"));
        const char *segment = json_string_value(json_object_get(o, "segment"));
        if (!o || !text || !label ||
            (strcmp(label, "hold") && strcmp(label, "pass"))) {
            fprintf(stderr,
                    "pokerface %s: %s:%zu: expected {\"text\": ..., "
                    "\"label\": \"hold\" or \"pass\"}\n",
                    cmd, path, lineno);
            json_decref(o);
            rc = -1;
            break;
        }
        size_t nt = 0, nc = 0;
        const char **t = names(json_object_get(o, "team"), &nt);
        const char **c = names(json_object_get(o, "customers"), &nc);
        struct pf_input in;
        const struct pf_msg *m;
        char err[256];
        memset(&in, 0, sizeof(in));
        in.text = text;
        in.len = strlen(text);
        in.flags = PF_MSG_OUTGOING;
        in.team = nt ? t : team;
        in.n_team = nt ? nt : n_team;
        in.customers = c;
        in.n_customers = nc;
        if (pf_engine_prepare(eng, &in, &m, err, sizeof(err)) != PF_OK) {
            fprintf(stderr, "pokerface %s: %s:%zu: %s\n", cmd, path, lineno,
                    err);
            free(t);
            free(c);
            json_decref(o);
            rc = -1;
            break;
        }
        int y = strcmp(label, "hold") == 0;
        size_t a = 0, b = 0;
        const char *at = segment && y ? strstr(text, segment) : NULL;
        if (segment && y && !at) {
            fprintf(stderr,
                    "pokerface %s: %s:%zu: \"segment\" is not a part of "
                    "\"text\"\n",
                    cmd, path, lineno);
            free(t);
            free(c);
            json_decref(o);
            rc = -1;
            break;
        }
        if (at) {
            a = (size_t)(at - text);
            b = a + strlen(segment);
        }
        if (ts->n_msg == ts->cap_msg) {
            ts->cap_msg = ts->cap_msg ? ts->cap_msg * 2 : 1024;
            ts->msg = pf_xrealloc(ts->msg, ts->cap_msg * sizeof(*ts->msg));
        }
        struct ts_msg *x = &ts->msg[ts->n_msg];
        memset(x, 0, sizeof(*x));
        x->seg0 = ts->n_seg;
        x->y = y;
        x->annotated = at != NULL;
        x->is_short = lm_is_short(m);
        x->source = source;
        struct lm_ctx ctx;
        lm_context(m, &ctx);
        size_t n = lm_n_segments(m), scored = 0;
        for (size_t i = 0; i < n; i++)
            scored += (size_t)lm_scored(m, i);
        for (size_t i = 0; i < n; i++) {
            if (!lm_scored(m, i))
                continue;
            lm_featurize(m, i, &ctx, ts->mask, feats);
            int sy = !y ? 0 : at ? seg_label(m, i, a, b) : scored == 1 ? 1 : -1;
            add_seg(ts, feats, sy);
            x->n_seg++;
        }
        if (x->n_seg) {
            x->text = pf_xstrdup(text);
            ts->n_msg++;
        }
        free(t);
        free(c);
        json_decref(o);
    }
    free(line);
    free(feats);
    fclose(f);
    return rc;
}

static float
seg_prob(const struct lm_model *md, const struct ts_seg *s)
{
    float z = md->bias;
    for (uint32_t i = 0; i < s->n; i++)
        z += md->w[s->idx[i]] * s->val[i];
    return lm_sigmoid(z);
}

float
ts_predict(const struct lm_model *md, const struct trainset *ts, size_t msg)
{
    const struct ts_msg *x = &ts->msg[msg];
    float best = 0;
    for (size_t i = 0; i < x->n_seg; i++) {
        float p = seg_prob(md, &ts->seg[x->seg0 + i]);
        if (p > best)
            best = p;
    }
    return best;
}

/*
 * One logistic regression on the segments of the used messages, with
 * chosen[m] (or -1) the segment taken as backstage in a message to hold
 * that does not say which. Classes weigh the same in total.
 */
static void
fit_once(const struct trainset *ts, const unsigned char *use,
         const long *chosen, const struct lm_train_opts *o, struct lm_model *md)
{
    size_t n = 0, pos = 0, neg = 0;
    struct lm_example *ex = pf_xcalloc(ts->n_seg + 1, sizeof(*ex));
    for (size_t m = 0; m < ts->n_msg; m++) {
        const struct ts_msg *x = &ts->msg[m];
        if (use && !use[m])
            continue;
        for (size_t i = 0; i < x->n_seg; i++) {
            const struct ts_seg *s = &ts->seg[x->seg0 + i];
            int y = s->y;
            if (y < 0 && chosen && chosen[m] >= 0)
                y = (long)i == chosen[m] ? 1 : -1;
            if (y < 0)
                continue;
            ex[n].idx = s->idx;
            ex[n].val = s->val;
            ex[n].n = s->n;
            ex[n].y = y;
            y ? pos++ : neg++;
            n++;
        }
    }
    float wp = pos ? (float)(pos + neg) / (2.0f * (float)pos) : 1;
    float wn = neg ? (float)(pos + neg) / (2.0f * (float)neg) : 1;
    for (size_t i = 0; i < n; i++)
        ex[i].weight = ex[i].y ? wp : wn;
    memset(md->w, 0, ((size_t)1 << md->bits) * sizeof(float));
    md->bias = 0;
    /* a feature seen in fewer than min_df of the messages is noise: one
       writer's word, one product's name */
    size_t nw = (size_t)1 << md->bits;
    const unsigned min_df = 2;
    uint8_t *keep = pf_xcalloc(nw, 1);
    uint32_t *last = pf_xcalloc(nw, sizeof(*last));
    for (size_t m = 0; m < ts->n_msg; m++) {
        const struct ts_msg *x = &ts->msg[m];
        if (use && !use[m])
            continue;
        for (size_t i = 0; i < x->n_seg; i++) {
            const struct ts_seg *sg = &ts->seg[x->seg0 + i];
            for (uint32_t k = 0; k < sg->n; k++) {
                uint32_t j = sg->idx[k];
                if (last[j] == m + 1)
                    continue;
                last[j] = (uint32_t)(m + 1);
                if (keep[j] < 255)
                    keep[j]++;
            }
        }
    }
    for (size_t j = 0; j < nw; j++)
        keep[j] = keep[j] >= min_df;
    struct lm_train_opts oo = *o;
    oo.keep = keep;
    lm_train(md, ex, n, &oo);
    free(keep);
    free(last);
    free(ex);
}

/* fit, then take each unlabelled hold's best segment as its backstage one
   and fit again */
static void
fit_mil(const struct trainset *ts, const unsigned char *use,
        const struct lm_train_opts *o, struct lm_model *md)
{
    long *chosen = pf_xmalloc((ts->n_msg + 1) * sizeof(*chosen));
    int any = 0;
    fit_once(ts, use, NULL, o, md);
    for (size_t m = 0; m < ts->n_msg; m++) {
        const struct ts_msg *x = &ts->msg[m];
        chosen[m] = -1;
        if ((use && !use[m]) || !x->y || x->annotated || x->n_seg < 2)
            continue;
        float best = -1;
        for (size_t i = 0; i < x->n_seg; i++) {
            float p = seg_prob(md, &ts->seg[x->seg0 + i]);
            if (p > best) {
                best = p;
                chosen[m] = (long)i;
            }
        }
        any = 1;
    }
    if (any)
        fit_once(ts, use, chosen, o, md);
    free(chosen);
}

static int
cmp_float_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

void
ts_fit(const struct trainset *ts, const unsigned char *use,
       const struct ts_opts *o, struct lm_model *md)
{
    unsigned k = o->inner_folds ? o->inner_folds : 4;
    unsigned char *inner = pf_xcalloc(ts->n_msg + 1, 1);
    unsigned *fold = pf_xcalloc(ts->n_msg + 1, sizeof(*fold));
    float *pass = pf_xmalloc((ts->n_msg + 1) * sizeof(*pass));
    size_t n_pass = 0;
    float short_max = 0;
    unsigned next[2] = {0, 0};
    struct lm_model tmp;
    /* folds by source when there are enough of them: the operating point
       is then chosen on writers the fold's model never saw, which is
       what it will meet; else stratified folds in file order */
    unsigned *src_fold = pf_xcalloc(ts->n_sources + 1, sizeof(*src_fold));
    unsigned n_used_src = 0;
    for (size_t sidx = 0; sidx < ts->n_sources; sidx++) {
        int used = 0;
        for (size_t m = 0; m < ts->n_msg && !used; m++)
            used = ts->msg[m].source == sidx && (!use || use[m]);
        if (used)
            src_fold[sidx] = n_used_src++ % k;
    }
    int by_source = n_used_src >= k;
    for (size_t m = 0; m < ts->n_msg; m++)
        fold[m] =
            by_source ? src_fold[ts->msg[m].source] : next[ts->msg[m].y]++ % k;
    free(src_fold);
    lm_alloc(&tmp, ts->bits);
    for (unsigned f = 0; f < k; f++) {
        for (size_t m = 0; m < ts->n_msg; m++)
            inner[m] = (!use || use[m]) && fold[m] != f;
        fit_mil(ts, inner, &o->lm, &tmp);
        for (size_t m = 0; m < ts->n_msg; m++)
            if ((!use || use[m]) && fold[m] == f && !ts->msg[m].y) {
                float p = ts_predict(&tmp, ts, m);
                if (ts->msg[m].is_short) {
                    if (p > short_max)
                        short_max = p;
                } else {
                    pass[n_pass++] = p;
                }
            }
    }
    lm_free(&tmp);
    /* the lowest threshold that holds at most target_fhr of them */
    qsort(pass, n_pass, sizeof(*pass), cmp_float_desc);
    size_t allowed = (size_t)((double)o->target_fhr * (double)n_pass);
    float t = n_pass > allowed ? pass[allowed] + 1e-4f : 0.5f;
    if (t < 0.5f)
        t = 0.5f;
    if (t > 0.98f)
        t = 0.98f;
    fit_mil(ts, use, &o->lm, md);
    size_t used = 0;
    for (size_t m = 0; m < ts->n_msg; m++)
        used += !use || use[m];
    md->n_examples = (uint32_t)used;
    md->threshold = t;
    md->threshold_short = short_max + 1e-4f > t ? short_max + 1e-4f : t;
    if (md->threshold_short > 0.995f)
        md->threshold_short = 0.995f;
    free(inner);
    free(fold);
    free(pass);
}
