/*
 * coachset.c - see coachset.h.
 */
#include "cli/coachset.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

void
cs_init(struct coachset *cs, uint32_t bits)
{
    memset(cs, 0, sizeof(*cs));
    cs->bits = bits;
    cs->mask = (1u << bits) - 1u;
}

void
cs_release(struct coachset *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        free(cs->ex[i].idx);
        free(cs->ex[i].val);
    }
    free(cs->ex);
    free(cs->source);
    memset(cs, 0, sizeof(*cs));
}

static int
has_label(json_t *expect, const char *label)
{
    size_t i;
    json_t *el;
    json_array_foreach (expect, i, el) {
        const char *l = json_string_value(el);
        if (l && strcmp(l, label) == 0)
            return 1;
    }
    return 0;
}

int
cs_load(struct coachset *cs, struct trainset *ts, struct pf_engine *eng,
        const char *path, const char *cmd)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    int rc = 0;
    if (!f) {
        fprintf(stderr, "pokerface %s: %s: %s\n", cmd, path, strerror(errno));
        return -1;
    }
    char *src = ts_source_name(path);
    unsigned source = ts_source(ts, src);
    free(src);
    struct cm_feats *feats = pf_xmalloc(sizeof(*feats));
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        json_error_t je;
        lineno++;
        if (strspn(line, " \t\r\n") == strlen(line))
            continue;
        json_t *o = json_loads(line, 0, &je);
        if (o && json_is_string(json_object_get(o, "text")) &&
            !json_object_get(o, "reply")) {
            json_decref(o); /* a message: for the learned model */
            continue;
        }
        const char *reply = json_string_value(json_object_get(o, "reply"));
        const char *cust = json_string_value(json_object_get(o, "customer"));
        json_t *expect = json_object_get(o, "expect");
        if (!o || !reply || !cust || !json_is_array(expect)) {
            fprintf(stderr,
                    "pokerface %s: %s:%zu: expected {\"customer\": ..., "
                    "\"reply\": ..., \"expect\": [labels]}\n",
                    cmd, path, lineno);
            json_decref(o);
            rc = -1;
            break;
        }
        struct pf_input in;
        const struct pf_msg *m;
        char err[256];
        const char *ctx[1] = {cust};
        memset(&in, 0, sizeof(in));
        in.text = reply;
        in.len = strlen(reply);
        in.flags = PF_MSG_OUTGOING;
        in.context = ctx;
        in.n_context = 1;
        if (pf_engine_prepare(eng, &in, &m, err, sizeof(err)) != PF_OK) {
            fprintf(stderr, "pokerface %s: %s:%zu: %s\n", cmd, path, lineno,
                    err);
            json_decref(o);
            rc = -1;
            break;
        }
        cm_featurize(m->n_context ? m->context[m->n_context - 1] : NULL, m,
                     cs->mask, feats);
        if (cs->n == cs->cap) {
            cs->cap = cs->cap ? 2 * cs->cap : 1024;
            cs->ex = pf_xrealloc(cs->ex, cs->cap * sizeof(*cs->ex));
            cs->source = pf_xrealloc(cs->source, cs->cap * sizeof(*cs->source));
        }
        struct cm_example *x = &cs->ex[cs->n];
        x->n = feats->n;
        x->idx = pf_xmalloc((feats->n + 1) * sizeof(*x->idx));
        x->val = pf_xmalloc((feats->n + 1) * sizeof(*x->val));
        memcpy(x->idx, feats->idx, feats->n * sizeof(*x->idx));
        memcpy(x->val, feats->val, feats->n * sizeof(*x->val));
        x->y = has_label(expect, "missing_apology");
        cs->source[cs->n] = source;
        cs->n++;
        json_decref(o);
    }
    free(feats);
    free(line);
    fclose(f);
    return rc;
}

size_t
cs_count(const struct coachset *cs, const unsigned char *use_source,
         size_t *pos)
{
    size_t n = 0;
    *pos = 0;
    for (size_t i = 0; i < cs->n; i++)
        if (!use_source || use_source[cs->source[i]]) {
            n++;
            *pos += cs->ex[i].y != 0;
        }
    return n;
}

void
cs_fit(const struct coachset *cs, const unsigned char *use_source,
       const struct cm_train_opts *o, struct cm_model *md)
{
    struct cm_example *tr = pf_xmalloc((cs->n + 1) * sizeof(*tr));
    size_t n = 0;
    for (size_t i = 0; i < cs->n; i++)
        if (!use_source || use_source[cs->source[i]])
            tr[n++] = cs->ex[i];
    cm_train(md, tr, n, o);
    free(tr);
}
