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
#include "base/config.h"
#include "base/util.h"
#include "cli/cli.h"
#include "cli/coachset.h"
#include "cli/trainset.h"
#include "core/engine.h"

static const char usage[] =
    "usage: pokerface train -o MODEL [options] FILE...\n"
    "       pokerface train --cv K [options] FILE...\n"
    "       pokerface train --coach -o MODEL FILE...\n"
    "\n"
    "Fit the learned plugin's model (logistic regression over each segment\n"
    "of a message: its words, word pieces, word pairs, shape, whom it talks\n"
    "to, and the message around it) on labelled JSON lines:\n"
    "{\"text\": ..., \"label\": \"hold\" | \"pass\", \"segment\": ...,\n"
    "\"team\": [names], \"customers\": [names]}. \"segment\" (optional)\n"
    "copies the backstage words of a message to hold from its text; team\n"
    "and customers (optional) are the names a relay would know. The\n"
    "model's operating point is chosen on held-out folds of the training\n"
    "data for the --fhr false-hold rate. With --cv, measure instead:\n"
    "K-fold cross-validation, stratified by label; nothing is written.\n"
    "\n"
    "With --coach, fit the coach plugin's missing_apology model instead\n"
    "(logistic regression over the words of the customer's message and of\n"
    "the reply) on labelled conversations: {\"customer\": ..., \"reply\":\n"
    "..., \"expect\": [labels]}; lines with \"text\" are skipped.\n"
    "\n"
    "  -o, --output FILE  write the model here (atomically)\n"
    "      --coach        the coach plugin's model (see above)\n"
    "      --cv K         K-fold cross-validation (2..20)\n"
    "      --bits N       2^N weights (default 18)\n"
    "      --fhr X        false-hold rate of the operating point (default\n"
    "                     0.015)\n"
    "      --epochs N     passes over the data (default 30)\n"
    "      --rate X       AdaGrad learning rate (default 0.2)\n"
    "      --l2 X         L2 regularization per step (default 1e-6)\n"
    "      --seed N       shuffling seed (default 1)\n"
    "  -T, --team NAME    a team member's name for examples that give none\n"
    "                     (may be given several times)\n"
    "  -h, --help         show this help\n";

#define N_THRESH 5
static const float thresholds[N_THRESH] = {0.3f, 0.5f, 0.7f, 0.8f, 0.9f};

struct counts {
    unsigned tp[N_THRESH + 1], fp[N_THRESH + 1], fn[N_THRESH + 1],
        tn[N_THRESH + 1];
};

static void
tally(struct counts *c, int k, int y, int held)
{
    if (y)
        held ? c->tp[k]++ : c->fn[k]++;
    else
        held ? c->fp[k]++ : c->tn[k]++;
}

static void
print_row(const struct counts *c, int k, const char *name)
{
    double p =
        c->tp[k] + c->fp[k] ? (double)c->tp[k] / (c->tp[k] + c->fp[k]) : 0;
    double r =
        c->tp[k] + c->fn[k] ? (double)c->tp[k] / (c->tp[k] + c->fn[k]) : 0;
    double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
    double far =
        c->fp[k] + c->tn[k] ? (double)c->fp[k] / (c->fp[k] + c->tn[k]) : 0;
    printf("  %9s  %9.3f  %6.3f  %6.3f   %6.3f (%u of %u)\n", name, p, r, f1,
           far, c->fp[k], c->fp[k] + c->tn[k]);
}

static void
print_counts(const char *what, const struct counts *c, const char *own)
{
    printf("%s\n  threshold  precision  recall     F1   false-alarm rate\n",
           what);
    for (int k = 0; k < N_THRESH; k++) {
        char name[16];
        snprintf(name, sizeof(name), "%.2f", (double)thresholds[k]);
        print_row(c, k, name);
    }
    print_row(c, N_THRESH, own);
}

static int
cross_validate(const struct trainset *ts, unsigned k, const struct ts_opts *o)
{
    unsigned *fold = pf_xcalloc(ts->n_msg + 1, sizeof(*fold));
    unsigned char *use = pf_xcalloc(ts->n_msg + 1, 1);
    unsigned next[2] = {0, 0};
    struct counts all;
    memset(&all, 0, sizeof(all));
    /* stratified: each label dealt round the folds in file order */
    for (size_t i = 0; i < ts->n_msg; i++)
        fold[i] = next[ts->msg[i].y]++ % k;
    for (unsigned f = 0; f < k; f++) {
        struct lm_model md;
        if (lm_alloc(&md, ts->bits) != PF_OK)
            return PF_EXIT_ERROR;
        for (size_t i = 0; i < ts->n_msg; i++)
            use[i] = fold[i] != f;
        ts_fit(ts, use, o, &md);
        for (size_t i = 0; i < ts->n_msg; i++) {
            if (fold[i] != f)
                continue;
            float p = ts_predict(&md, ts, i);
            for (int t = 0; t < N_THRESH; t++)
                tally(&all, t, ts->msg[i].y, p >= thresholds[t]);
            tally(
                &all, N_THRESH, ts->msg[i].y,
                p >= (ts->msg[i].is_short ? md.threshold_short : md.threshold));
        }
        lm_free(&md);
    }
    char what[160];
    snprintf(what, sizeof(what),
             "%u-fold cross-validation, %zu messages (each held out once; "
             "a message scores as its most backstage segment):",
             k, ts->n_msg);
    print_counts(what, &all, "own");
    printf("  (own: each fold's own operating point, chosen on its training "
           "folds for a %.1f%% false-hold rate)\n",
           100.0 * (double)o->target_fhr);
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

/* train --coach: the coach plugin's model on the conversations of files */
static int
train_coach(const char *out, char **files, int n_files,
            const struct lm_train_opts *lo)
{
    struct pf_config cfg;
    struct pf_engine eng;
    struct trainset ts;
    struct coachset cs;
    int rc = PF_EXIT_OK;
    memset(&cfg, 0, sizeof(cfg));
    cfg.ui_language = (char *)"auto";
    cfg.max_message_bytes = 1u << 20;
    pf_engine_open_bare(&eng, &cfg);
    ts_init(&ts, 8);
    cs_init(&cs, CM_BITS);
    for (int i = 0; i < n_files && rc == PF_EXIT_OK; i++)
        if (cs_load(&cs, &ts, &eng, files[i], "train"))
            rc = PF_EXIT_ERROR;
    pf_engine_close(&eng);
    size_t pos, n = cs_count(&cs, NULL, &pos);
    if (rc == PF_EXIT_OK && (pos == 0 || pos == n)) {
        fprintf(stderr,
                "pokerface train: need conversations with and without "
                "missing_apology (got %zu of %zu with it)\n",
                pos, n);
        rc = PF_EXIT_ERROR;
    }
    if (rc == PF_EXIT_OK) {
        struct cm_model md;
        struct cm_train_opts o = {lo->epochs, lo->rate, 1e-4f, lo->seed};
        char err[512];
        if (cm_alloc(&md, cs.bits) != PF_OK)
            abort();
        cs_fit(&cs, NULL, &o, &md);
        if (cm_save(&md, out, err, sizeof(err)) != PF_OK) {
            fprintf(stderr, "pokerface train: %s\n", err);
            rc = PF_EXIT_ERROR;
        } else {
            printf("trained the coach model on %zu conversations (%zu with "
                   "missing_apology), 2^%u weights, %u epochs: %s\n",
                   n, pos, cs.bits, o.epochs, out);
        }
        cm_free(&md);
    }
    cs_release(&cs);
    ts_release(&ts);
    return rc;
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
        {"fhr", required_argument, NULL, 'f'},
        {"team", required_argument, NULL, 'T'},
        {"coach", no_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    double cv = 0, bits = 18, d = 0;
    struct ts_opts o = {{30, 0.2f, 1e-6f, 1, NULL}, 0.015f, 4};
    const char **team = pf_xcalloc((size_t)argc + 1, sizeof(*team));
    size_t n_team = 0;
    int c, coach = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "o:T:h", opts, NULL)) != -1) {
        const char *bad = NULL;
        switch (c) {
        case 'o': out = optarg; break;
        case 'T': team[n_team++] = optarg; break;
        case 'C': coach = 1; break;
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
            o.lm.epochs = (unsigned)d;
            break;
        case 'r':
            if (parse_num(optarg, 1e-6, 10, &d))
                bad = "--rate: expected a number from 0.000001 to 10";
            o.lm.rate = (float)d;
            break;
        case 'l':
            if (parse_num(optarg, 0, 1, &d))
                bad = "--l2: expected a number from 0 to 1";
            o.lm.l2 = (float)d;
            break;
        case 's':
            if (parse_num(optarg, 0, 1e18, &d))
                bad = "--seed: expected a whole number";
            o.lm.seed = (uint64_t)d;
            break;
        case 'f':
            if (parse_num(optarg, 0.001, 0.5, &d))
                bad = "--fhr: expected a rate from 0.001 to 0.5";
            o.target_fhr = (float)d;
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

    if (coach) {
        free(team);
        if (!out || cv)
            return pf_cli_usage_error("train", "--coach goes with -o MODEL "
                                               "(eval --loso measures it)");
        return train_coach(out, argv + optind, argc - optind, &o.lm);
    }
    struct pf_config cfg;
    struct pf_engine eng;
    memset(&cfg, 0, sizeof(cfg));
    cfg.ui_language = (char *)"auto";
    cfg.max_message_bytes = 1u << 20;
    pf_engine_open_bare(&eng, &cfg);
    struct trainset ts;
    ts_init(&ts, (uint32_t)bits);
    int rc = PF_EXIT_OK;
    for (int i = optind; i < argc && rc == PF_EXIT_OK; i++)
        if (ts_load(&ts, &eng, argv[i], team, n_team, "train"))
            rc = PF_EXIT_ERROR;
    pf_engine_close(&eng);
    free(team);
    size_t pos = 0;
    for (size_t i = 0; i < ts.n_msg; i++)
        pos += (size_t)ts.msg[i].y;
    if (rc == PF_EXIT_OK && (pos == 0 || pos == ts.n_msg)) {
        fprintf(stderr,
                "pokerface train: need messages of both labels (got "
                "%zu to hold, %zu to pass)\n",
                pos, ts.n_msg - pos);
        rc = PF_EXIT_ERROR;
    }
    if (rc == PF_EXIT_OK && cv) {
        rc = cross_validate(&ts, (unsigned)cv, &o);
    } else if (rc == PF_EXIT_OK) {
        struct lm_model md;
        char err[512];
        if (lm_alloc(&md, (uint32_t)bits) != PF_OK) {
            ts_release(&ts);
            return PF_EXIT_ERROR;
        }
        ts_fit(&ts, NULL, &o, &md);
        struct counts fit;
        memset(&fit, 0, sizeof(fit));
        for (size_t i = 0; i < ts.n_msg; i++) {
            float p = ts_predict(&md, &ts, i);
            for (int t = 0; t < N_THRESH; t++)
                tally(&fit, t, ts.msg[i].y, p >= thresholds[t]);
            tally(&fit, N_THRESH, ts.msg[i].y,
                  p >=
                      (ts.msg[i].is_short ? md.threshold_short : md.threshold));
        }
        if (lm_save(&md, out, err, sizeof(err)) != PF_OK) {
            fprintf(stderr, "pokerface train: %s\n", err);
            rc = PF_EXIT_ERROR;
        } else {
            printf("trained on %zu messages (%zu to hold; %zu segments), 2^%u "
                   "weights, %u epochs, holds from %.3f (%.3f for a message "
                   "of %d words or fewer): %s\n",
                   ts.n_msg, pos, ts.n_seg, (unsigned)bits, o.lm.epochs,
                   (double)md.threshold, (double)md.threshold_short,
                   LM_SHORT_WORDS, out);
            char own[16];
            snprintf(own, sizeof(own), "%.3f", (double)md.threshold);
            print_counts(
                "on its own training data (use --cv to measure):", &fit, own);
        }
        lm_free(&md);
    }
    ts_release(&ts);
    return rc;
}
