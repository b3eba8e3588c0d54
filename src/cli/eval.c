/*
 * eval.c - `pokerface eval`: measure the configured rules on labelled
 * corpora. Two shapes of JSON lines are understood:
 *
 *   messages:      {"id", "label": "hold"|"pass", "category", "text"}
 *   conversations: {"id", "customer", "reply", "expect": [labels]}
 *
 * For messages it reports, per expected label and per category, how many
 * were held (hold or block), recall, precision and the false-hold rate of
 * messages that should pass. For conversations it reports precision,
 * recall and F1 per expected label, matching a finding whose label is the
 * expected one or ends in ".<expected>" with an action other than pass.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "cli/cli.h"
#include "cli/coachset.h"
#include "cli/trainset.h"

static const char usage[] =
    "usage: pokerface eval [-c CONFIG] [--json] [--errors] FILE...\n"
    "       pokerface eval --loso [-c CONFIG] [--json] [--measure SRC,...]\n"
    "                      FILE...\n"
    "\n"
    "Run the rules over labelled JSON-lines corpora and report how well\n"
    "they do: recall (how many of the messages that should be held were),\n"
    "precision (how many held messages should have been) and the\n"
    "false-hold rate (how many messages that should pass were held), per\n"
    "label and per category. Conversation files (customer + reply + expect)\n"
    "get precision, recall and F1 per expected label.\n"
    "\n"
    "With --loso (leave one source out), FILEs are sources, named by the\n"
    "file (messages.travel.jsonl and conversations.travel.jsonl are the\n"
    "source \"travel\"). For each source, the learned model is trained on\n"
    "the messages of all the other sources (its operating point chosen on\n"
    "them too), and so is the coach plugin's model, on their conversations;\n"
    "the rules with those models are measured on the source left out:\n"
    "figures on text that no model was fitted on. Each source's figures\n"
    "are printed, then the worst.\n"
    "\n"
    "  -c, --config FILE  configuration (default: the built-in one)\n"
    "      --loso         leave one source out (see above)\n"
    "      --measure LIST with --loso, leave out only these sources\n"
    "                     (comma-separated; the others only train)\n"
    "      --json         machine-readable output\n"
    "      --errors       list every miss and false alarm with its findings\n"
    "  -h, --help         show this help\n";

struct bucket {
    char *name;
    int positive; /* 1 hold-type, 0 pass-type, -1 mixed */
    unsigned n, held, noted;
};

struct counts {
    struct bucket *b;
    size_t n, cap;
};

static struct bucket *
bucket(struct counts *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->b[i].name, name) == 0)
            return &c->b[i];
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->b = pf_xrealloc(c->b, c->cap * sizeof(*c->b));
    }
    struct bucket *b = &c->b[c->n++];
    memset(b, 0, sizeof(*b));
    b->name = pf_xstrdup(name);
    b->positive = -2;
    return b;
}

static void
counts_release(struct counts *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->b[i].name);
    free(c->b);
}

static int
is_positive_label(const char *label)
{
    return strcmp(label, "hold") == 0 || strcmp(label, "block") == 0;
}

struct labelstat {
    char *label;
    unsigned tp, fp, fn;
};

struct file_eval {
    const char *file;
    int kind; /* 0 messages, 1 conversations */
    unsigned n, bad_lines;
    struct counts labels, cats;
    unsigned tp, fp, fn, tn; /* messages: hold vs pass */
    struct labelstat *ls;
    size_t n_ls;
    json_t *errors; /* array of {"id","kind","text","findings"} */
};

static struct labelstat *
labelstat(struct file_eval *fe, const char *label)
{
    for (size_t i = 0; i < fe->n_ls; i++)
        if (strcmp(fe->ls[i].label, label) == 0)
            return &fe->ls[i];
    fe->ls = pf_xrealloc(fe->ls, (fe->n_ls + 1) * sizeof(*fe->ls));
    struct labelstat *s = &fe->ls[fe->n_ls++];
    memset(s, 0, sizeof(*s));
    s->label = pf_xstrdup(label);
    return s;
}

static int
finding_matches(const struct pf_result *r, const char *label)
{
    size_t n = strlen(label);
    for (size_t i = 0; i < r->n_found; i++) {
        const char *l = r->found[i].f.label;
        size_t m = strlen(l);
        if (r->found[i].action == PF_ACT_PASS)
            continue;
        if (strcmp(l, label) == 0 ||
            (m > n + 1 && l[m - n - 1] == '.' && strcmp(l + m - n, label) == 0))
            return 1;
    }
    return 0;
}

static json_t *
findings_brief(const struct pf_result *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->n_found; i++)
        json_array_append_new(
            a, json_pack("{s:s, s:f, s:s, s:s}", "label", r->found[i].f.label,
                         "score", (double)r->found[i].f.score, "action",
                         pf_action_name(r->found[i].action), "reason",
                         r->found[i].f.reason));
    return a;
}

/* Read every JSON object of path into an array, reporting bad lines. */
static json_t *
read_lines(const char *path, struct file_eval *fe)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t len;
    json_t *all;
    if (!f) {
        fprintf(stderr, "pokerface eval: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    all = json_array();
    while ((len = getline(&line, &cap, f)) >= 0) {
        json_error_t je;
        lineno++;
        if (len <= 1)
            continue;
        json_t *o = json_loads(line, 0, &je);
        if (!o || !json_is_object(o) ||
            (!json_is_string(json_object_get(o, "text")) &&
             !json_is_string(json_object_get(o, "reply")))) {
            fprintf(stderr, "pokerface eval: %s:%zu: %s\n", path, lineno,
                    !o                   ? je.text
                    : !json_is_object(o) ? "not a JSON object"
                                         : "no \"text\" or \"reply\"");
            fe->bad_lines++;
            if (o)
                json_decref(o);
            continue;
        }
        json_object_set_new(o, "_line", json_integer((json_int_t)lineno));
        json_array_append_new(all, o);
    }
    free(line);
    fclose(f);
    return all;
}

static int
eval_file(struct pf_cli_env *env, const char *path, struct file_eval *fe)
{
    size_t idx;
    json_t *o;
    json_t *all = read_lines(path, fe);
    if (!all)
        return -1;
    fe->file = path;
    fe->errors = json_array();
    fe->kind = 0;

    /* conversations: every label of the file is scored on every line */
    json_array_foreach (all, idx, o) {
        if (!json_is_string(json_object_get(o, "reply")))
            continue;
        fe->kind = 1;
        size_t i;
        json_t *el;
        json_array_foreach (json_object_get(o, "expect"), i, el) {
            const char *l = json_string_value(el);
            if (l && strcmp(l, "none") != 0)
                labelstat(fe, l);
        }
    }

    json_array_foreach (all, idx, o) {
        const char *id = json_string_value(json_object_get(o, "id"));
        json_t *reply = json_object_get(o, "reply");
        json_t *text = json_object_get(o, "text");
        struct pf_input in;
        struct pf_result r;
        char err[256];
        const char *ctx[1];
        memset(&in, 0, sizeof(in));
        if (json_is_string(reply)) {
            json_t *cust = json_object_get(o, "customer");
            in.text = json_string_value(reply);
            in.len = json_string_length(reply);
            if (json_is_string(cust)) {
                ctx[0] = json_string_value(cust);
                in.context = ctx;
                in.n_context = 1;
            }
        } else {
            in.text = json_string_value(text);
            in.len = json_string_length(text);
        }
        if (pf_engine_check(&env->engine, &in, &r, err, sizeof(err))) {
            fprintf(stderr, "pokerface eval: %s:%lld: %s\n", path,
                    (long long)json_integer_value(json_object_get(o, "_line")),
                    err);
            fe->bad_lines++;
            continue;
        }
        fe->n++;
        int held = r.action >= PF_ACT_HOLD;
        if (!json_is_string(reply)) {
            const char *label = json_string_value(json_object_get(o, "label"));
            const char *cat = json_string_value(json_object_get(o, "category"));
            if (!label)
                label = "pass";
            if (!cat)
                cat = "(none)";
            int pos = is_positive_label(label);
            struct bucket *lb = bucket(&fe->labels, label);
            struct bucket *cb = bucket(&fe->cats, cat);
            lb->positive = pos;
            cb->positive = cb->positive == -2 || cb->positive == pos ? pos : -1;
            lb->n++, cb->n++;
            lb->held += held, cb->held += held;
            lb->noted += r.action == PF_ACT_NOTE;
            cb->noted += r.action == PF_ACT_NOTE;
            if (pos && held)
                fe->tp++;
            else if (pos)
                fe->fn++;
            else if (held)
                fe->fp++;
            else
                fe->tn++;
            if (pos != held)
                json_array_append_new(
                    fe->errors,
                    json_pack("{s:s?, s:s, s:s, s:s, s:o}", "id", id, "kind",
                              pos ? "miss" : "false_hold", "category", cat,
                              "text", in.text, "findings", findings_brief(&r)));
        } else {
            json_t *expect = json_object_get(o, "expect");
            for (size_t k = 0; k < fe->n_ls; k++) {
                struct labelstat *s = &fe->ls[k];
                int want = 0;
                size_t i;
                json_t *el;
                json_array_foreach (expect, i, el) {
                    const char *l = json_string_value(el);
                    if (l && strcmp(l, s->label) == 0)
                        want = 1;
                }
                int got = finding_matches(&r, s->label);
                if (want && got)
                    s->tp++;
                else if (want)
                    s->fn++;
                else if (got)
                    s->fp++;
                if (want != got)
                    json_array_append_new(
                        fe->errors,
                        json_pack("{s:s?, s:s, s:s, s:s, s:o}", "id", id,
                                  "kind", want ? "miss" : "false_alarm",
                                  "label", s->label, "text", in.text,
                                  "findings", findings_brief(&r)));
            }
        }
    }
    json_decref(all);
    return 0;
}

static double
ratio(unsigned a, unsigned b)
{
    return b ? (double)a / b : 0;
}

static json_t *
file_json(const struct file_eval *fe)
{
    json_t *o = json_object();
    json_object_set_new(o, "file", json_string(fe->file));
    json_object_set_new(o, "messages", json_integer(fe->n));
    json_object_set_new(o, "bad_lines", json_integer(fe->bad_lines));
    if (fe->kind == 1) {
        json_t *labels = json_object();
        for (size_t i = 0; i < fe->n_ls; i++) {
            const struct labelstat *s = &fe->ls[i];
            double p = ratio(s->tp, s->tp + s->fp),
                   r = ratio(s->tp, s->tp + s->fn);
            json_object_set_new(
                labels, s->label,
                json_pack("{s:i, s:i, s:i, s:f, s:f, s:f}", "tp", s->tp, "fp",
                          s->fp, "fn", s->fn, "precision", p, "recall", r, "f1",
                          p + r > 0 ? 2 * p * r / (p + r) : 0.0));
        }
        json_object_set_new(o, "labels", labels);
    } else {
        json_object_set_new(
            o, "hold",
            json_pack("{s:f, s:f, s:f}", "recall",
                      ratio(fe->tp, fe->tp + fe->fn), "precision",
                      ratio(fe->tp, fe->tp + fe->fp), "false_hold_rate",
                      ratio(fe->fp, fe->fp + fe->tn)));
        const struct counts *sets[2] = {&fe->labels, &fe->cats};
        const char *names[2] = {"labels", "categories"};
        for (int s = 0; s < 2; s++) {
            json_t *g = json_object();
            for (size_t i = 0; i < sets[s]->n; i++) {
                const struct bucket *b = &sets[s]->b[i];
                json_t *e = json_pack("{s:i, s:i, s:i}", "n", b->n, "held",
                                      b->held, "noted", b->noted);
                if (b->positive == 1)
                    json_object_set_new(e, "recall",
                                        json_real(ratio(b->held, b->n)));
                else if (b->positive == 0)
                    json_object_set_new(e, "false_hold_rate",
                                        json_real(ratio(b->held, b->n)));
                json_object_set_new(g, b->name, e);
            }
            json_object_set_new(o, names[s], g);
        }
    }
    json_object_set(o, "errors", fe->errors);
    return o;
}

static void
print_buckets(const struct counts *c, const char *title)
{
    printf("  %-22s %5s %5s %5s  %s\n", title, "n", "held", "noted", "rate");
    for (size_t i = 0; i < c->n; i++) {
        const struct bucket *b = &c->b[i];
        printf("  %-22s %5u %5u %5u  %.3f %s\n", b->name, b->n, b->held,
               b->noted, ratio(b->held, b->n),
               b->positive == 1   ? "recall"
               : b->positive == 0 ? "false-hold rate"
                                  : "held");
    }
}

static int
cmp_bucket(const void *a, const void *b)
{
    const struct bucket *x = a, *y = b;
    if (x->positive != y->positive)
        return y->positive - x->positive;
    return strcmp(x->name, y->name);
}

static void
print_file(const struct file_eval *fe, int show_errors)
{
    printf("%s: %u %s", fe->file, fe->n,
           fe->kind == 1 ? "conversations" : "messages");
    if (fe->bad_lines)
        printf(" (%u bad lines skipped)", fe->bad_lines);
    putchar('\n');
    if (fe->kind == 1) {
        printf("  %-24s %4s %4s %4s  %9s %6s %6s\n", "label", "tp", "fp", "fn",
               "precision", "recall", "F1");
        for (size_t i = 0; i < fe->n_ls; i++) {
            const struct labelstat *s = &fe->ls[i];
            double p = ratio(s->tp, s->tp + s->fp),
                   r = ratio(s->tp, s->tp + s->fn);
            printf("  %-24s %4u %4u %4u  %9.3f %6.3f %6.3f\n", s->label, s->tp,
                   s->fp, s->fn, p, r, p + r > 0 ? 2 * p * r / (p + r) : 0.0);
        }
    } else {
        printf("  hold recall %.3f  precision %.3f  false-hold rate %.3f "
               "(%u of %u passing messages held)\n",
               ratio(fe->tp, fe->tp + fe->fn), ratio(fe->tp, fe->tp + fe->fp),
               ratio(fe->fp, fe->fp + fe->tn), fe->fp, fe->fp + fe->tn);
        qsort(fe->labels.b, fe->labels.n, sizeof(struct bucket), cmp_bucket);
        qsort(fe->cats.b, fe->cats.n, sizeof(struct bucket), cmp_bucket);
        print_buckets(&fe->labels, "label");
        print_buckets(&fe->cats, "category");
    }
    if (show_errors) {
        size_t i;
        json_t *e;
        json_array_foreach (fe->errors, i, e) {
            json_t *fs = json_object_get(e, "findings");
            const char *cat = json_string_value(json_object_get(e, "category"));
            const char *lab = json_string_value(json_object_get(e, "label"));
            printf("  %-11s %-9s %-18s %s\n",
                   json_string_value(json_object_get(e, "kind")),
                   json_string_value(json_object_get(e, "id"))
                       ? json_string_value(json_object_get(e, "id"))
                       : "-",
                   cat   ? cat
                   : lab ? lab
                         : "",
                   json_string_value(json_object_get(e, "text")));
            size_t k;
            json_t *x;
            json_array_foreach (fs, k, x)
                printf("        %s %.2f %s: %s\n",
                       json_string_value(json_object_get(x, "action")),
                       json_real_value(json_object_get(x, "score")),
                       json_string_value(json_object_get(x, "label")),
                       json_string_value(json_object_get(x, "reason")));
        }
    }
}

static void
fe_release(struct file_eval *fe)
{
    counts_release(&fe->labels);
    counts_release(&fe->cats);
    for (size_t k = 0; k < fe->n_ls; k++)
        free(fe->ls[k].label);
    free(fe->ls);
    json_decref(fe->errors);
}

/* one left-out source: its messages and conversations, summed */
struct fold {
    const char *source;
    int measured;
    float threshold;
    unsigned n_msg, n_conv;
    unsigned tp, fp, fn, tn;
    struct labelstat *ls;
    size_t n_ls;
};

static void
fold_add(struct fold *fo, const struct file_eval *fe)
{
    if (fe->kind == 0) {
        fo->n_msg += fe->n;
        fo->tp += fe->tp, fo->fp += fe->fp, fo->fn += fe->fn, fo->tn += fe->tn;
        return;
    }
    fo->n_conv += fe->n;
    for (size_t i = 0; i < fe->n_ls; i++) {
        struct labelstat *s = NULL;
        for (size_t k = 0; k < fo->n_ls; k++)
            if (strcmp(fo->ls[k].label, fe->ls[i].label) == 0)
                s = &fo->ls[k];
        if (!s) {
            fo->ls = pf_xrealloc(fo->ls, (fo->n_ls + 1) * sizeof(*fo->ls));
            s = &fo->ls[fo->n_ls++];
            memset(s, 0, sizeof(*s));
            s->label = pf_xstrdup(fe->ls[i].label);
        }
        s->tp += fe->ls[i].tp, s->fp += fe->ls[i].fp, s->fn += fe->ls[i].fn;
    }
}

static double
f1(const struct labelstat *s)
{
    double p = ratio(s->tp, s->tp + s->fp), r = ratio(s->tp, s->tp + s->fn);
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

/* the instances of one plugin (every plugin whose file is so_name) use
   the model at path, or none (NULL: "model": false), except those the
   configuration runs without their model (off[i]) */
static void
use_model(struct pf_config *cfg, const char *so_name, const char *path,
          const unsigned char *off)
{
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        struct pf_plugin_conf *pc = &cfg->plugins[i];
        const char *b = strrchr(pc->file, '/');
        b = b ? b + 1 : pc->file;
        if (strcmp(b, so_name) != 0 || off[i])
            continue;
        if (!pc->config)
            pc->config = json_object();
        json_object_set_new(pc->config, "model",
                            path ? json_string(path) : json_false());
    }
}

static int
in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (k == n && strncmp(p, name, n) == 0)
            return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

static int
loso(const char *config, char **files, int n_files, const char *measure,
     int want_json, int want_errors)
{
    struct pf_cli_env env;
    char err[1024];
    int rc = PF_EXIT_OK;
    memset(&env, 0, sizeof(env));
    pf_paths_detect(&env.paths);
    char *def = config ? NULL : pf_config_default_path(&env.paths);
    if (pf_config_load(&env.cfg, config ? config : def, &env.paths, err,
                       sizeof(err))) {
        fprintf(stderr, "pokerface: configuration error: %s\n", err);
        free(def);
        pf_paths_release(&env.paths);
        return PF_EXIT_ERROR;
    }
    free(def);
    env.have_cfg = 1;
    pf_log_set_level(env.cfg.log_level);

    /* every message and conversation of every source, prepared and
       featurized once */
    struct pf_engine bare;
    struct trainset ts;
    struct coachset cs;
    struct ts_opts o = {{30, 0.2f, 1e-6f, 1, NULL}, 0.015f, 4};
    const struct cm_train_opts co = {30, 0.2f, 1e-4f, 1};
    pf_engine_open_bare(&bare, &env.cfg);
    ts_init(&ts, 18);
    cs_init(&cs, CM_BITS);
    for (int i = 0; i < n_files && rc == PF_EXIT_OK; i++)
        if (ts_load(&ts, &bare, files[i], (const char *const *)env.cfg.team,
                    env.cfg.n_team, "eval") ||
            cs_load(&cs, &ts, &bare, files[i], "eval"))
            rc = PF_EXIT_ERROR;
    pf_engine_close(&bare);
    if (rc) {
        ts_release(&ts);
        cs_release(&cs);
        pf_cli_close(&env);
        return rc;
    }
    /* each fold's models, in files of our own */
    const char *tmpdir = getenv("TMPDIR");
    char model[4096], coach_model[4096];
    snprintf(model, sizeof(model), "%s/pokerface-loso-XXXXXX",
             tmpdir && *tmpdir ? tmpdir : "/tmp");
    snprintf(coach_model, sizeof(coach_model), "%s/pokerface-loso-XXXXXX",
             tmpdir && *tmpdir ? tmpdir : "/tmp");
    int fd = mkstemp(model), cfd = fd < 0 ? -1 : mkstemp(coach_model);
    if (fd < 0 || cfd < 0) {
        fprintf(stderr, "pokerface eval: %s: %s\n",
                fd < 0 ? model : coach_model, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(model);
        }
        ts_release(&ts);
        cs_release(&cs);
        pf_cli_close(&env);
        return PF_EXIT_ERROR;
    }
    close(fd);
    close(cfd);
    /* the plugins the configuration runs without a model stay so */
    unsigned char *off = pf_xcalloc(env.cfg.n_plugins + 1, 1);
    for (size_t i = 0; i < env.cfg.n_plugins; i++)
        off[i] =
            json_is_false(json_object_get(env.cfg.plugins[i].config, "model"));
    use_model(&env.cfg, "learned.so", model, off);
    unsigned char *use_src = pf_xcalloc(ts.n_sources + 1, 1);

    struct fold *folds = pf_xcalloc(ts.n_sources + 1, sizeof(*folds));
    unsigned char *use = pf_xcalloc(ts.n_msg + 1, 1);
    json_t *jfolds = json_array();
    for (size_t s = 0; s < ts.n_sources && rc == PF_EXIT_OK; s++) {
        struct fold *fo = &folds[s];
        fo->source = ts.sources[s];
        if (measure && !in_list(measure, fo->source))
            continue;
        fo->measured = 1;
        struct lm_model md;
        size_t held_out = 0;
        for (size_t m = 0; m < ts.n_msg; m++) {
            use[m] = ts.msg[m].source != s;
            held_out += !use[m];
        }
        lm_alloc(&md, ts.bits);
        ts_fit(&ts, use, &o, &md);
        fo->threshold = md.threshold;
        if (lm_save(&md, model, err, sizeof(err))) {
            fprintf(stderr, "pokerface eval: %s\n", err);
            lm_free(&md);
            rc = PF_EXIT_ERROR;
            break;
        }
        lm_free(&md);
        /* the coach plugin's model, without this source either (when the
           others have conversations of both kinds; else none) */
        size_t coach_n = 0, coach_pos = 0;
        for (size_t k = 0; k < ts.n_sources; k++)
            use_src[k] = k != s;
        coach_n = cs_count(&cs, use_src, &coach_pos);
        if (coach_pos > 0 && coach_pos < coach_n) {
            struct cm_model cmd;
            if (cm_alloc(&cmd, cs.bits) != PF_OK)
                abort();
            cs_fit(&cs, use_src, &co, &cmd);
            int bad = cm_save(&cmd, coach_model, err, sizeof(err));
            cm_free(&cmd);
            if (bad) {
                fprintf(stderr, "pokerface eval: %s\n", err);
                rc = PF_EXIT_ERROR;
                break;
            }
            use_model(&env.cfg, "coach.so", coach_model, off);
        } else {
            /* the other sources cannot teach it (no conversations of one
               kind): the lexicons alone, not a model that saw this one */
            use_model(&env.cfg, "coach.so", NULL, off);
            coach_n = 0;
        }
        if (pf_engine_open(&env.engine, &env.cfg, NULL, err, sizeof(err))) {
            fprintf(stderr, "pokerface: %s\n", err);
            rc = PF_EXIT_ERROR;
            break;
        }
        env.engine.complete = 1;
        if (!want_json) {
            printf("== %s left out: model trained on %zu messages of the "
                   "other sources, holds from %.3f",
                   fo->source, ts.n_msg - held_out, (double)fo->threshold);
            if (coach_n)
                printf("; coach's model on %zu conversations", coach_n);
            putchar('\n');
        }
        for (int i = 0; i < n_files; i++) {
            char *src = ts_source_name(files[i]);
            int mine = strcmp(src, fo->source) == 0;
            free(src);
            if (!mine)
                continue;
            struct file_eval fe;
            memset(&fe, 0, sizeof(fe));
            if (eval_file(&env, files[i], &fe) != 0) {
                rc = PF_EXIT_ERROR;
                continue;
            }
            if (fe.n)
                fold_add(fo, &fe);
            if (!want_json && fe.n)
                print_file(&fe, want_errors);
            fe_release(&fe);
        }
        pf_engine_close(&env.engine);
    }
    unlink(model);
    unlink(coach_model);
    free(use_src);
    free(off);

    /* the summary and the worst */
    double worst_recall = 2, worst_fhr = -1, worst_f1 = 2;
    const char *wr = NULL, *wf = NULL, *wc = NULL;
    if (!want_json)
        printf("\nleave one source out: each source measured with a model "
               "trained on the others\n  %-16s %6s %7s %7s   %s\n",
               "source", "msgs", "recall", "FHR", "coaching F1");
    for (size_t s = 0; s < ts.n_sources; s++) {
        struct fold *fo = &folds[s];
        if (!fo->measured || (!fo->n_msg && !fo->n_conv))
            continue;
        double r = ratio(fo->tp, fo->tp + fo->fn);
        double fhr = ratio(fo->fp, fo->fp + fo->tn);
        json_t *jf = json_pack("{s:s, s:i, s:i, s:f}", "source", fo->source,
                               "messages", fo->n_msg, "conversations",
                               fo->n_conv, "threshold", (double)fo->threshold);
        if (fo->n_msg) {
            json_object_set_new(jf, "recall", json_real(r));
            json_object_set_new(jf, "false_hold_rate", json_real(fhr));
            if (fo->tp + fo->fn && r < worst_recall)
                worst_recall = r, wr = fo->source;
            if (fo->fp + fo->tn && fhr > worst_fhr)
                worst_fhr = fhr, wf = fo->source;
        }
        json_t *jl = json_object();
        for (size_t k = 0; k < fo->n_ls; k++) {
            double x = f1(&fo->ls[k]);
            json_object_set_new(jl, fo->ls[k].label, json_real(x));
            if (x < worst_f1)
                worst_f1 = x, wc = fo->source;
        }
        json_object_set_new(jf, "coaching_f1", jl);
        json_array_append_new(jfolds, jf);
        if (!want_json) {
            printf("  %-16s %6u", fo->source, fo->n_msg);
            if (fo->n_msg)
                printf(" %7.3f %7.3f  ", r, fhr);
            else
                printf(" %7s %7s  ", "-", "-");
            for (size_t k = 0; k < fo->n_ls; k++)
                printf(" %s %.2f", fo->ls[k].label, f1(&fo->ls[k]));
            putchar('\n');
        }
    }
    if (want_json) {
        json_t *o2 = json_pack("{s:o}", "folds", jfolds);
        json_t *w = json_object();
        if (wr)
            json_object_set_new(w, "recall", json_real(worst_recall));
        if (wf)
            json_object_set_new(w, "false_hold_rate", json_real(worst_fhr));
        if (wc)
            json_object_set_new(w, "coaching_f1", json_real(worst_f1));
        json_object_set_new(o2, "worst", w);
        char *js = json_dumps(o2, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                      JSON_REAL_PRECISION(4));
        puts(js);
        free(js);
        json_decref(o2);
    } else {
        json_decref(jfolds);
        printf("  worst: recall %.3f (%s), false-hold rate %.3f (%s)",
               wr ? worst_recall : 0.0, wr ? wr : "-", wf ? worst_fhr : 0.0,
               wf ? wf : "-");
        if (wc)
            printf(", coaching F1 %.3f (%s)", worst_f1, wc);
        putchar('\n');
    }
    for (size_t s = 0; s < ts.n_sources; s++) {
        for (size_t k = 0; k < folds[s].n_ls; k++)
            free(folds[s].ls[k].label);
        free(folds[s].ls);
    }
    free(folds);
    free(use);
    ts_release(&ts);
    cs_release(&cs);
    pf_config_release(&env.cfg);
    pf_paths_release(&env.paths);
    return rc;
}

int
pf_cmd_eval(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},
        {"errors", no_argument, NULL, 'e'},
        {"loso", no_argument, NULL, 'L'},
        {"measure", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *measure = NULL;
    int want_json = 0, want_errors = 0, want_loso = 0, c, rc = PF_EXIT_OK;
    struct pf_cli_env env;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'j': want_json = 1; break;
        case 'e': want_errors = 1; break;
        case 'L': want_loso = 1; break;
        case 'm': measure = optarg; break;
        case 'h': fputs(usage, stdout); return PF_EXIT_OK;
        default: return pf_cli_usage_error("eval", "unknown option");
        }
    }
    if (optind >= argc)
        return pf_cli_usage_error("eval", "no corpus file given");
    if (measure && !want_loso)
        return pf_cli_usage_error("eval", "--measure goes with --loso");
    if (want_loso)
        return loso(config, argv + optind, argc - optind, measure, want_json,
                    want_errors);
    if ((rc = pf_cli_open(&env, config)))
        return rc;
    env.engine.complete = 1; /* every plugin: all findings shown */
    json_t *all = json_array();
    for (int i = optind; i < argc; i++) {
        struct file_eval fe;
        memset(&fe, 0, sizeof(fe));
        if (eval_file(&env, argv[i], &fe) != 0) {
            rc = PF_EXIT_ERROR;
            continue;
        }
        if (want_json)
            json_array_append_new(all, file_json(&fe));
        else
            print_file(&fe, want_errors);
        if (fe.bad_lines)
            rc = PF_EXIT_ERROR;
        fe_release(&fe);
    }
    if (want_json) {
        json_t *o = json_pack("{s:o}", "files", all);
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                    JSON_REAL_PRECISION(4));
        puts(s);
        free(s);
        json_decref(o);
    } else {
        json_decref(all);
    }
    pf_cli_close(&env);
    return rc;
}
