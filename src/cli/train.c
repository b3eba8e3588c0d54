/*
 * train.c - `pokerface train`: fit the learned plugin's model on labelled
 * messages, or measure it by cross-validation.
 *
 * Messages are prepared exactly as the bot prepares them (text layer,
 * language, addressee) and turned into features by the plugin's own code
 * (plugins/learned/model.c), so the model sees at training time what it
 * will see at run time. Training is deterministic: the same files give
 * the same model, byte for byte.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/learned/model.h"
#include "cli/cli.h"
#include "core/config.h"
#include "core/engine.h"
#include "core/util.h"

static const char usage[] =
    "usage: pokerface train -o MODEL [options] FILE...\n"
    "       pokerface train --cv K [options] FILE...\n"
    "\n"
    "Fit the learned plugin's model (logistic regression over a message's\n"
    "words, word pieces, word pairs, shape and addressee) on labelled JSON\n"
    "lines: {\"text\": ..., \"label\": \"hold\" | \"pass\", \"category\": "
    "...,\n"
    "\"team\": [names], \"customers\": [names]} (team and customers are\n"
    "optional: the names a relay would know). With --cv, measure instead:\n"
    "K-fold cross-validation, stratified by label; nothing is written.\n"
    "\n"
    "  -o, --output FILE  write the model here (atomically)\n"
    "      --cv K         K-fold cross-validation (2..20)\n"
    "      --bits N       2^N weights (default 16)\n"
    "      --epochs N     passes over the data (default 30)\n"
    "      --rate X       AdaGrad learning rate (default 0.2)\n"
    "      --l2 X         L2 regularization per step (default 1e-6)\n"
    "      --seed N       shuffling seed (default 1)\n"
    "  -T, --team NAME    a team member's name for examples that give none\n"
    "                     (may be given several times)\n"
    "  -h, --help         show this help\n";

struct item {
    uint32_t *idx;
    float *val;
    size_t n;
    int y;
    char *category;
};

struct set {
    struct item *it;
    size_t n, cap;
};

static void
set_free(struct set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->it[i].idx);
        free(s->it[i].val);
        free(s->it[i].category);
    }
    free(s->it);
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

static int
load_file(struct pf_engine *eng, const char *path, uint32_t mask, struct set *s,
          const char *const *team, size_t n_team)
{
    json_error_t je;
    FILE *f = fopen(path, "r");
    char line[1 << 16];
    size_t lineno = 0;
    if (!f) {
        fprintf(stderr, "pokerface train: %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct lm_feats *feats = pf_xmalloc(sizeof(*feats));
    int rc = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        if (strspn(line, " \t\r\n") == strlen(line))
            continue;
        json_t *o = json_loads(line, 0, &je);
        const char *text = json_string_value(json_object_get(o, "text"));
        const char *label = json_string_value(json_object_get(o, "label"));
        if (!o || !text || !label ||
            (strcmp(label, "hold") && strcmp(label, "pass"))) {
            fprintf(stderr,
                    "pokerface train: %s:%zu: expected {\"text\": ..., "
                    "\"label\": \"hold\" or \"pass\"}\n",
                    path, lineno);
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
            fprintf(stderr, "pokerface train: %s:%zu: %s\n", path, lineno, err);
            free(t);
            free(c);
            json_decref(o);
            rc = -1;
            break;
        }
        lm_featurize(m, mask, feats);
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 256;
            s->it = pf_xrealloc(s->it, s->cap * sizeof(*s->it));
        }
        struct item *x = &s->it[s->n++];
        x->n = feats->n;
        x->idx = pf_xmalloc((feats->n + 1) * sizeof(*x->idx));
        x->val = pf_xmalloc((feats->n + 1) * sizeof(*x->val));
        memcpy(x->idx, feats->idx, feats->n * sizeof(*x->idx));
        memcpy(x->val, feats->val, feats->n * sizeof(*x->val));
        x->y = strcmp(label, "hold") == 0;
        const char *cat = json_string_value(json_object_get(o, "category"));
        x->category = pf_xstrdup(cat ? cat : "");
        free(t);
        free(c);
        json_decref(o);
    }
    free(feats);
    fclose(f);
    return rc;
}

/* examples of the items in use[], weighted so the classes count equally */
static struct lm_example *
examples(const struct set *s, const unsigned char *use, size_t *n)
{
    size_t pos = 0, neg = 0, k = 0;
    for (size_t i = 0; i < s->n; i++)
        if (!use || use[i])
            s->it[i].y ? pos++ : neg++;
    struct lm_example *ex = pf_xcalloc(pos + neg + 1, sizeof(*ex));
    float wp = pos ? (float)(pos + neg) / (2.0f * (float)pos) : 1;
    float wn = neg ? (float)(pos + neg) / (2.0f * (float)neg) : 1;
    for (size_t i = 0; i < s->n; i++) {
        if (use && !use[i])
            continue;
        ex[k].idx = s->it[i].idx;
        ex[k].val = s->it[i].val;
        ex[k].n = s->it[i].n;
        ex[k].y = s->it[i].y;
        ex[k].weight = s->it[i].y ? wp : wn;
        k++;
    }
    *n = k;
    return ex;
}

static float
predict(const struct lm_model *md, const struct item *x)
{
    float z = md->bias;
    for (size_t i = 0; i < x->n; i++)
        z += md->w[x->idx[i]] * x->val[i];
    return lm_sigmoid(z);
}

#define N_THRESH 5
static const float thresholds[N_THRESH] = {0.3f, 0.5f, 0.7f, 0.8f, 0.9f};

struct counts {
    unsigned tp[N_THRESH], fp[N_THRESH], fn[N_THRESH], tn[N_THRESH];
};

static void
print_counts(const char *what, const struct counts *c)
{
    printf("%s\n  threshold  precision  recall     F1   false-alarm rate\n",
           what);
    for (int k = 0; k < N_THRESH; k++) {
        double p =
            c->tp[k] + c->fp[k] ? (double)c->tp[k] / (c->tp[k] + c->fp[k]) : 0;
        double r =
            c->tp[k] + c->fn[k] ? (double)c->tp[k] / (c->tp[k] + c->fn[k]) : 0;
        double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
        double far =
            c->fp[k] + c->tn[k] ? (double)c->fp[k] / (c->fp[k] + c->tn[k]) : 0;
        printf("  %9.2f  %9.3f  %6.3f  %6.3f   %6.3f (%u of %u)\n",
               (double)thresholds[k], p, r, f1, far, c->fp[k],
               c->fp[k] + c->tn[k]);
    }
}

static int
cross_validate(const struct set *s, unsigned k, uint32_t bits,
               const struct lm_train_opts *o)
{
    unsigned *fold = pf_xcalloc(s->n + 1, sizeof(*fold));
    unsigned char *use = pf_xcalloc(s->n + 1, 1);
    unsigned next[2] = {0, 0};
    struct counts all;
    memset(&all, 0, sizeof(all));
    /* stratified: each label dealt round the folds in file order */
    for (size_t i = 0; i < s->n; i++)
        fold[i] = next[s->it[i].y]++ % k;
    for (unsigned f = 0; f < k; f++) {
        struct lm_model md;
        size_t n;
        if (lm_alloc(&md, bits) != PF_OK)
            return PF_EXIT_ERROR;
        for (size_t i = 0; i < s->n; i++)
            use[i] = fold[i] != f;
        struct lm_example *ex = examples(s, use, &n);
        lm_train(&md, ex, n, o);
        free(ex);
        for (size_t i = 0; i < s->n; i++) {
            if (fold[i] != f)
                continue;
            float p = predict(&md, &s->it[i]);
            for (int t = 0; t < N_THRESH; t++) {
                int held = p >= thresholds[t];
                if (s->it[i].y)
                    held ? all.tp[t]++ : all.fn[t]++;
                else
                    held ? all.fp[t]++ : all.tn[t]++;
            }
        }
        lm_free(&md);
    }
    char what[128];
    snprintf(what, sizeof(what),
             "%u-fold cross-validation, %zu messages (each held out once):", k,
             s->n);
    print_counts(what, &all);
    free(fold);
    free(use);
    return PF_EXIT_OK;
}

static int
parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || *end || d < lo || d > hi)
        return -1;
    *out = d;
    return 0;
}

int
pf_cmd_train(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"cv", required_argument, NULL, 'k'},
        {"bits", required_argument, NULL, 'b'},
        {"epochs", required_argument, NULL, 'e'},
        {"rate", required_argument, NULL, 'r'},
        {"l2", required_argument, NULL, 'l'},
        {"seed", required_argument, NULL, 's'},
        {"team", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    double cv = 0, bits = 16, d = 0;
    struct lm_train_opts o = {30, 0.2f, 1e-6f, 1};
    const char **team = pf_xcalloc((size_t)argc + 1, sizeof(*team));
    size_t n_team = 0;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+o:T:h", opts, NULL)) != -1) {
        const char *bad = NULL;
        switch (c) {
        case 'o': out = optarg; break;
        case 'T': team[n_team++] = optarg; break;
        case 'k':
            if (parse_num(optarg, 2, 20, &cv))
                bad = "--cv: expected a number of folds from 2 to 20";
            break;
        case 'b':
            if (parse_num(optarg, 8, 24, &bits))
                bad = "--bits: expected 8 to 24";
            break;
        case 'e':
            if (parse_num(optarg, 1, 1000, &d))
                bad = "--epochs: expected 1 to 1000";
            o.epochs = (unsigned)d;
            break;
        case 'r':
            if (parse_num(optarg, 1e-6, 10, &d))
                bad = "--rate: expected a number from 0.000001 to 10";
            o.rate = (float)d;
            break;
        case 'l':
            if (parse_num(optarg, 0, 1, &d))
                bad = "--l2: expected a number from 0 to 1";
            o.l2 = (float)d;
            break;
        case 's':
            if (parse_num(optarg, 0, 1e18, &d))
                bad = "--seed: expected a whole number";
            o.seed = (uint64_t)d;
            break;
        case 'h':
            fputs(usage, stdout);
            free(team);
            return PF_EXIT_OK;
        default:
            free(team);
            return pf_cli_usage_error("train", "unknown option");
        }
        if (bad) {
            free(team);
            return pf_cli_usage_error("train", "%s", bad);
        }
    }
    if (optind >= argc || (!out && !cv)) {
        free(team);
        return pf_cli_usage_error("train", optind >= argc
                                               ? "no training files"
                                               : "-o MODEL or --cv K is "
                                                 "required");
    }

    struct pf_config cfg;
    struct pf_engine eng;
    memset(&cfg, 0, sizeof(cfg));
    cfg.ui_language = (char *)"auto";
    cfg.max_message_bytes = 1u << 20;
    pf_engine_open_bare(&eng, &cfg);
    struct set s;
    memset(&s, 0, sizeof(s));
    uint32_t mask = (1u << (unsigned)bits) - 1u;
    int rc = PF_EXIT_OK;
    for (int i = optind; i < argc && rc == PF_EXIT_OK; i++)
        if (load_file(&eng, argv[i], mask, &s, team, n_team))
            rc = PF_EXIT_ERROR;
    pf_engine_close(&eng);
    free(team);
    size_t pos = 0;
    for (size_t i = 0; i < s.n; i++)
        pos += (size_t)s.it[i].y;
    if (rc == PF_EXIT_OK && (pos == 0 || pos == s.n)) {
        fprintf(stderr,
                "pokerface train: need messages of both labels (got "
                "%zu to hold, %zu to pass)\n",
                pos, s.n - pos);
        rc = PF_EXIT_ERROR;
    }
    if (rc == PF_EXIT_OK && cv) {
        rc = cross_validate(&s, (unsigned)cv, (uint32_t)bits, &o);
    } else if (rc == PF_EXIT_OK) {
        struct lm_model md;
        size_t n;
        char err[512];
        if (lm_alloc(&md, (uint32_t)bits) != PF_OK) {
            set_free(&s);
            return PF_EXIT_ERROR;
        }
        struct lm_example *ex = examples(&s, NULL, &n);
        lm_train(&md, ex, n, &o);
        free(ex);
        struct counts fit;
        memset(&fit, 0, sizeof(fit));
        for (size_t i = 0; i < s.n; i++) {
            float p = predict(&md, &s.it[i]);
            for (int t = 0; t < N_THRESH; t++) {
                int held = p >= thresholds[t];
                if (s.it[i].y)
                    held ? fit.tp[t]++ : fit.fn[t]++;
                else
                    held ? fit.fp[t]++ : fit.tn[t]++;
            }
        }
        if (lm_save(&md, out, err, sizeof(err)) != PF_OK) {
            fprintf(stderr, "pokerface train: %s\n", err);
            rc = PF_EXIT_ERROR;
        } else {
            printf("trained on %zu messages (%zu to hold), 2^%u weights, %u "
                   "epochs: %s\n",
                   s.n, pos, (unsigned)bits, o.epochs, out);
            print_counts("on its own training data (use --cv to measure):",
                         &fit);
        }
        lm_free(&md);
    }
    set_free(&s);
    return rc;
}
