/*
 * coach_train.c - build/coach-train: fit the coach plugin's model
 * (plugins/coach/model.h) on labelled conversations, or measure it leaving
 * one source out. The Makefile runs it to build
 * share/pokerface/models/coach.model; it is not installed.
 *
 * Each conversation ({"customer": ..., "reply": ..., "expect": [labels]})
 * is prepared exactly as the bot prepares it (the text layer, the
 * customer's message as the reply's context) and turned into features by
 * the plugin's own code, so the model sees at training time what it will
 * see at run time. Its label is whether "expect" has "missing_apology".
 * Training is deterministic: the same files give the same model, byte for
 * byte.
 *
 * A file's source is its name without the directory, "conversations."
 * and the extension (conversations.t3.jsonl is "t3"), as for pokerface
 * eval --loso.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model.h"
#include "core/config.h"
#include "core/engine.h"
#include "core/util.h"

static const char usage[] =
    "usage: coach-train -o MODEL [options] FILE...\n"
    "       coach-train --loso [options] FILE...\n"
    "\n"
    "Fit the coach plugin's missing_apology model (logistic regression over\n"
    "the words of the customer's message and of the reply) on labelled\n"
    "conversations: {\"customer\": ..., \"reply\": ..., \"expect\":\n"
    "[labels]}. With --loso, measure it instead: for each source (a file's\n"
    "name without \"conversations.\" and \".jsonl\"), train on the others\n"
    "and count its findings on the one left out; nothing is written.\n"
    "\n"
    "  -o, --output FILE     write the model here (atomically)\n"
    "      --loso            leave one source out (see above)\n"
    "      --leave-out SRC   do not train on source SRC (may be given\n"
    "                        several times)\n"
    "      --bits N          2^N weights (default 16)\n"
    "      --epochs N        passes over the data (default 30)\n"
    "      --rate X          AdaGrad learning rate (default 0.2)\n"
    "      --l2 X            L2 regularization per step (default 0.0001)\n"
    "      --seed N          shuffling seed (default 1)\n"
    "  -h, --help            show this help\n";

struct set {
    struct cm_example *ex;
    unsigned *source;
    size_t n, cap;
    char **sources;
    size_t n_sources;
};

static char *
source_name(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    if (strncmp(b, "conversations.", 14) == 0)
        b += 14;
    char *s = pf_xstrdup(b);
    char *dot = strrchr(s, '.');
    if (dot && dot != s)
        *dot = '\0';
    return s;
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

/* the conversations of path into s; 0, or -1 after saying why */
static int
load(struct set *s, struct pf_engine *eng, uint32_t mask, const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    int rc = 0;
    if (!f) {
        fprintf(stderr, "coach-train: %s: %s\n", path, strerror(errno));
        return -1;
    }
    s->sources =
        pf_xrealloc(s->sources, (s->n_sources + 1) * sizeof(*s->sources));
    s->sources[s->n_sources++] = source_name(path);
    struct cm_feats *feats = pf_xmalloc(sizeof(*feats));
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        json_error_t je;
        lineno++;
        if (strspn(line, " \t\r\n") == strlen(line))
            continue;
        json_t *o = json_loads(line, 0, &je);
        const char *reply = json_string_value(json_object_get(o, "reply"));
        const char *cust = json_string_value(json_object_get(o, "customer"));
        json_t *expect = json_object_get(o, "expect");
        if (!o || !reply || !cust || !json_is_array(expect)) {
            fprintf(stderr,
                    "coach-train: %s:%zu: expected {\"customer\": ..., "
                    "\"reply\": ..., \"expect\": [labels]}\n",
                    path, lineno);
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
            fprintf(stderr, "coach-train: %s:%zu: %s\n", path, lineno, err);
            json_decref(o);
            rc = -1;
            break;
        }
        cm_featurize(m->n_context ? m->context[m->n_context - 1] : NULL, m,
                     mask, feats);
        if (s->n == s->cap) {
            s->cap = s->cap ? 2 * s->cap : 1024;
            s->ex = pf_xrealloc(s->ex, s->cap * sizeof(*s->ex));
            s->source = pf_xrealloc(s->source, s->cap * sizeof(*s->source));
        }
        struct cm_example *x = &s->ex[s->n];
        x->n = feats->n;
        x->idx = pf_xmalloc((feats->n + 1) * sizeof(*x->idx));
        x->val = pf_xmalloc((feats->n + 1) * sizeof(*x->val));
        memcpy(x->idx, feats->idx, feats->n * sizeof(*x->idx));
        memcpy(x->val, feats->val, feats->n * sizeof(*x->val));
        x->y = has_label(expect, "missing_apology");
        s->source[s->n] = (unsigned)(s->n_sources - 1);
        s->n++;
        json_decref(o);
    }
    free(feats);
    free(line);
    fclose(f);
    return rc;
}

static void
release(struct set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->ex[i].idx);
        free(s->ex[i].val);
    }
    free(s->ex);
    free(s->source);
    for (size_t i = 0; i < s->n_sources; i++)
        free(s->sources[i]);
    free(s->sources);
}

/* the examples of s whose source is not left out, in file order */
static size_t
pick(const struct set *s, const unsigned char *out, struct cm_example *to)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (!out[s->source[i]])
            to[n++] = s->ex[i];
    return n;
}

static float
predict(const struct cm_model *md, const struct cm_example *x)
{
    float z = md->bias;
    for (size_t i = 0; i < x->n; i++)
        z += md->w[x->idx[i]] * x->val[i];
    return 1.0f / (1.0f + expf(-z));
}

static double
f1(unsigned tp, unsigned fp, unsigned fn)
{
    return tp ? 2.0 * tp / (2.0 * tp + fp + fn) : 0;
}

static int
loso(const struct set *s, uint32_t bits, const struct cm_train_opts *o)
{
    unsigned char *out = pf_xcalloc(s->n_sources + 1, 1);
    struct cm_example *tr = pf_xmalloc((s->n + 1) * sizeof(*tr));
    unsigned all[3] = {0, 0, 0};
    double worst = 1;
    const char *worst_src = "-";
    printf("missing_apology, the model alone (probability 0.5 or more), "
           "each source left out:\n  source        tp   fp   fn     F1\n");
    for (size_t k = 0; k < s->n_sources; k++) {
        struct cm_model md;
        unsigned c[3] = {0, 0, 0}; /* tp, fp, fn */
        if (cm_alloc(&md, bits) != PF_OK)
            abort();
        out[k] = 1;
        cm_train(&md, tr, pick(s, out, tr), o);
        out[k] = 0;
        for (size_t i = 0; i < s->n; i++) {
            if (s->source[i] != k)
                continue;
            int got = predict(&md, &s->ex[i]) >= 0.5f, want = s->ex[i].y;
            if (got && want)
                c[0]++;
            else if (got)
                c[1]++;
            else if (want)
                c[2]++;
        }
        cm_free(&md);
        printf("  %-12s %3u  %3u  %3u  %.3f\n", s->sources[k], c[0], c[1], c[2],
               f1(c[0], c[1], c[2]));
        for (int j = 0; j < 3; j++)
            all[j] += c[j];
        if (c[0] + c[2] && f1(c[0], c[1], c[2]) < worst) {
            worst = f1(c[0], c[1], c[2]);
            worst_src = s->sources[k];
        }
    }
    printf("  all          %3u  %3u  %3u  %.3f\n  worst: %s %.3f\n", all[0],
           all[1], all[2], f1(all[0], all[1], all[2]), worst_src, worst);
    free(out);
    free(tr);
    return 0;
}

static int
parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || end == s || *end || d < lo || d > hi)
        return -1;
    *out = d;
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"loso", no_argument, NULL, 'L'},
        {"leave-out", required_argument, NULL, 'x'},
        {"bits", required_argument, NULL, 'b'},
        {"epochs", required_argument, NULL, 'e'},
        {"rate", required_argument, NULL, 'r'},
        {"l2", required_argument, NULL, 'l'},
        {"seed", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *output = NULL;
    const char **leave = pf_xcalloc((size_t)argc + 1, sizeof(*leave));
    size_t n_leave = 0;
    int do_loso = 0, c;
    double bits = CM_BITS, d;
    struct cm_train_opts o = {30, 0.2f, 1e-4f, 1};

    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        const char *bad = NULL;
        switch (c) {
        case 'o': output = optarg; break;
        case 'L': do_loso = 1; break;
        case 'x': leave[n_leave++] = optarg; break;
        case 'b':
            if (parse_num(optarg, 8, 24, &bits))
                bad = "--bits: expected 8 to 24";
            break;
        case 'e':
            if (parse_num(optarg, 1, 1000, &d))
                bad = "--epochs: expected 1 to 1000";
            else
                o.epochs = (unsigned)d;
            break;
        case 'r':
            if (parse_num(optarg, 1e-6, 10, &d))
                bad = "--rate: expected a number from 0.000001 to 10";
            else
                o.rate = (float)d;
            break;
        case 'l':
            if (parse_num(optarg, 0, 1, &d))
                bad = "--l2: expected a number from 0 to 1";
            else
                o.l2 = (float)d;
            break;
        case 's':
            if (parse_num(optarg, 0, 1e18, &d))
                bad = "--seed: expected a whole number";
            else
                o.seed = (uint64_t)d;
            break;
        case 'h':
            fputs(usage, stdout);
            free(leave);
            return 0;
        default: bad = "unknown option"; break;
        }
        if (bad) {
            fprintf(stderr, "coach-train: %s\n%s", bad, usage);
            free(leave);
            return 2;
        }
    }
    if (optind >= argc || (!output && !do_loso) || (output && do_loso)) {
        fprintf(stderr, "coach-train: %s\n%s",
                optind >= argc ? "no training files"
                               : "expected one of -o MODEL and --loso",
                usage);
        free(leave);
        return 2;
    }

    struct pf_config cfg;
    struct pf_engine eng;
    struct set s;
    int rc = 0;
    memset(&cfg, 0, sizeof(cfg));
    memset(&s, 0, sizeof(s));
    cfg.ui_language = (char *)"auto";
    cfg.max_message_bytes = 1u << 20;
    pf_engine_open_bare(&eng, &cfg);
    uint32_t mask = (1u << (uint32_t)bits) - 1u;
    for (int i = optind; i < argc && rc == 0; i++)
        rc = load(&s, &eng, mask, argv[i]);
    pf_engine_close(&eng);
    unsigned char *out = pf_xcalloc(s.n_sources + 1, 1);
    for (size_t i = 0; i < n_leave; i++)
        for (size_t k = 0; k < s.n_sources; k++)
            if (strcmp(s.sources[k], leave[i]) == 0)
                out[k] = 1;
    struct cm_example *tr = pf_xmalloc((s.n + 1) * sizeof(*tr));
    size_t n = rc == 0 ? pick(&s, out, tr) : 0, pos = 0;
    for (size_t i = 0; i < n; i++)
        pos += tr[i].y != 0;
    if (rc == 0 && (pos == 0 || pos == n)) {
        fprintf(stderr,
                "coach-train: need conversations with and without "
                "missing_apology (got %zu of %zu with it)\n",
                pos, n);
        rc = -1;
    }
    if (rc == 0 && do_loso) {
        rc = loso(&s, (uint32_t)bits, &o);
    } else if (rc == 0) {
        struct cm_model md;
        char err[512];
        if (cm_alloc(&md, (uint32_t)bits) != PF_OK)
            abort();
        cm_train(&md, tr, n, &o);
        if (cm_save(&md, output, err, sizeof(err)) != PF_OK) {
            fprintf(stderr, "coach-train: %s\n", err);
            rc = -1;
        } else {
            printf("trained on %zu conversations (%zu with "
                   "missing_apology), 2^%u weights, %u epochs: %s\n",
                   n, pos, (unsigned)bits, o.epochs, output);
        }
        cm_free(&md);
    }
    free(tr);
    free(out);
    free(leave);
    release(&s);
    return rc == 0 ? 0 : 2;
}
