/*
 * bench.c - `pokerface bench`: throughput and per-message latency of the
 * configured pipeline on a corpus, on one thread.
 *
 * Two phases over the same messages, after a warm-up: a throughput run
 * that only counts, then a latency run that times every message (and
 * reads each plugin's time from the pipeline) to get p50/p99. Numbers on
 * a shared machine are noisy: compare runs as ratios made in one run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "base/util.h"
#include "cli/cli.h"

static const char usage[] =
    "usage: pokerface bench [-c CONFIG] [-n N] [--cpu K] [--json] FILE...\n"
    "\n"
    "Measure messages per second and per-message latency (p50, p99),\n"
    "overall and per plugin, on one thread. Throughput is measured as the\n"
    "relay runs (once a message is held, the plugins after that point are\n"
    "skipped: they cannot change what happens to it) and with every plugin\n"
    "on every message, as check and eval run; latency with every plugin.\n"
    "Each FILE holds JSON lines with\n"
    "\"text\" (or \"reply\" and \"customer\"), or plain text, one message per\n"
    "line.\n"
    "\n"
    "  -c, --config FILE  configuration (default: the built-in one)\n"
    "  -n N               messages to check in each phase (default 200000)\n"
    "      --isolated     check in a worker process, as pokerface run does\n"
    "                     (what keeping a hung or crashed plugin from\n"
    "                     stopping the bot costs)\n"
    "      --cpu K        pin the process to CPU K\n"
    "      --json         machine-readable output\n"
    "  -h, --help         show this help\n";

struct bmsg {
    char *text;
    size_t len;
    char *customer;
};

static int
cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double
pct(int64_t *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return (double)v[i];
}

/* the messages of path, after those already in *mp; -1 when it cannot be
   read */
static int
load(const char *path, struct bmsg **mp, size_t *n_io, size_t *mcap_io)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, n = *n_io, mcap = *mcap_io;
    ssize_t len;
    struct bmsg *m = *mp;
    if (!f) {
        fprintf(stderr, "pokerface bench: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while ((len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (n == mcap) {
            mcap = mcap ? mcap * 2 : 256;
            m = pf_xrealloc(m, mcap * sizeof(*m));
        }
        struct bmsg *b = &m[n];
        memset(b, 0, sizeof(*b));
        json_t *o = line[0] == '{' ? json_loads(line, 0, NULL) : NULL;
        if (o && json_is_object(o)) {
            json_t *t = json_object_get(o, "text");
            json_t *c = json_object_get(o, "customer");
            if (!json_is_string(t))
                t = json_object_get(o, "reply");
            if (!json_is_string(t)) {
                json_decref(o);
                continue;
            }
            b->text = pf_xstrndup(json_string_value(t), json_string_length(t));
            b->len = json_string_length(t);
            if (json_is_string(c) &&
                json_is_string(json_object_get(o, "reply")))
                b->customer = pf_xstrdup(json_string_value(c));
        } else {
            b->text = pf_xstrndup(line, (size_t)len);
            b->len = (size_t)len;
        }
        if (o)
            json_decref(o);
        n++;
    }
    free(line);
    fclose(f);
    *mp = m;
    *n_io = n;
    *mcap_io = mcap;
    return 0;
}

static int
run_one(struct pf_engine *e, const struct bmsg *b, struct pf_result *r)
{
    struct pf_input in;
    char err[128];
    const char *ctx[1];
    memset(&in, 0, sizeof(in));
    in.text = b->text;
    in.len = b->len;
    if (b->customer) {
        ctx[0] = b->customer;
        in.context = ctx;
        in.n_context = 1;
    }
    return pf_engine_check(e, &in, r, err, sizeof(err));
}

int
pf_cmd_bench(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"cpu", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'},
        {"isolated", no_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    long n_checks = 200000, cpu = -1;
    int want_json = 0, isolated = 0, c, rc;
    struct pf_cli_env env;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:n:h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'c': config = optarg; break;
        case 'n':
            n_checks = strtol(optarg, &end, 10);
            if (*end || n_checks <= 0 || n_checks > 100000000)
                return pf_cli_usage_error("bench",
                                          "-n: '%s' is not a count "
                                          "from 1 to 100000000",
                                          optarg);
            break;
        case 'p':
            cpu = strtol(optarg, &end, 10);
            if (*end || cpu < 0 || cpu >= CPU_SETSIZE)
                return pf_cli_usage_error("bench", "--cpu: bad CPU '%s'",
                                          optarg);
            break;
        case 'j': want_json = 1; break;
        case 'i': isolated = 1; break;
        case 'h': fputs(usage, stdout); return PF_EXIT_OK;
        default: return pf_cli_usage_error("bench", "unknown option");
        }
    }
    if (optind == argc)
        return pf_cli_usage_error("bench", "expected a corpus FILE");
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET((int)cpu, &set);
        if (sched_setaffinity(0, sizeof(set), &set) != 0)
            fprintf(stderr, "pokerface bench: cannot pin to CPU %ld: %s\n", cpu,
                    strerror(errno));
    }
    size_t n_msgs = 0, m_cap = 0;
    struct bmsg *msgs = NULL;
    char name[64];
    if (argc - optind > 1)
        snprintf(name, sizeof(name), "%d files", argc - optind);
    int bad = 0;
    for (int i = optind; i < argc && !bad; i++)
        bad = load(argv[i], &msgs, &n_msgs, &m_cap) != 0;
    if (bad || !n_msgs) {
        if (!bad)
            fprintf(stderr, "pokerface bench: %s: no messages\n",
                    argc - optind > 1 ? "these files" : argv[optind]);
        for (size_t i = 0; i < n_msgs; i++)
            free(msgs[i].text), free(msgs[i].customer);
        free(msgs);
        return PF_EXIT_ERROR;
    }
    const char *corpus = argc - optind > 1 ? name : argv[optind];
    if ((rc = pf_cli_open(&env, config)))
        goto out_msgs;
    if (isolated) {
        char err[1024];
        if (pf_engine_isolate(&env.engine, err, sizeof(err)) != PF_OK) {
            fprintf(stderr, "pokerface bench: %s\n", err);
            rc = PF_EXIT_ERROR;
            goto out;
        }
    }

    struct pf_result r;
    size_t bytes = 0;
    for (size_t i = 0; i < n_msgs; i++) {
        bytes += msgs[i].len;
        if (run_one(&env.engine, &msgs[i], &r) != 0) {
            fprintf(stderr, "pokerface bench: message %zu cannot be checked\n",
                    i + 1);
            rc = PF_EXIT_ERROR;
            goto out;
        }
    }
    /* warm-up */
    for (long i = 0; i < n_checks / 10 + 1; i++)
        run_one(&env.engine, &msgs[(size_t)i % n_msgs], &r);

    /* throughput */
    size_t held = 0;
    int64_t t0 = pf_now_ns();
    for (long i = 0; i < n_checks; i++) {
        run_one(&env.engine, &msgs[(size_t)i % n_msgs], &r);
        held += r.action >= PF_ACT_HOLD;
    }
    int64_t elapsed = pf_now_ns() - t0;
    double per_sec = (double)n_checks / ((double)elapsed / 1e9);

    /* the same with every plugin on every message (pokerface check and
       eval run so); the latency phase too, an upper bound for the relay */
    env.engine.complete = 1;
    t0 = pf_now_ns();
    for (long i = 0; i < n_checks; i++)
        run_one(&env.engine, &msgs[(size_t)i % n_msgs], &r);
    elapsed = pf_now_ns() - t0;
    double per_sec_all = (double)n_checks / ((double)elapsed / 1e9);

    /* latency: per part, to the nanosecond (the throughput run above used
       the coarse clock the bot uses for plugin budgets) */
    env.engine.precise = 1;
    size_t np = pf_engine_n_plugins(&env.engine);
    int64_t *total = pf_xmalloc((size_t)n_checks * sizeof(int64_t));
    int64_t *text = pf_xmalloc((size_t)n_checks * sizeof(int64_t));
    int64_t **plug = pf_xcalloc(np + 1, sizeof(int64_t *));
    for (size_t k = 0; k < np; k++)
        plug[k] = pf_xmalloc((size_t)n_checks * sizeof(int64_t));
    for (long i = 0; i < n_checks; i++) {
        int64_t a = pf_now_ns();
        run_one(&env.engine, &msgs[(size_t)i % n_msgs], &r);
        total[i] = pf_now_ns() - a;
        text[i] = r.text_ns;
        for (size_t k = 0; k < np; k++)
            plug[k][i] = r.run.plugin_ns[k];
    }
    qsort(total, (size_t)n_checks, sizeof(int64_t), cmp_i64);
    qsort(text, (size_t)n_checks, sizeof(int64_t), cmp_i64);
    for (size_t k = 0; k < np; k++)
        qsort(plug[k], (size_t)n_checks, sizeof(int64_t), cmp_i64);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    size_t nc = (size_t)n_checks;

    if (want_json) {
        json_t *o = json_pack(
            "{s:s, s:i, s:i, s:f, s:f, s:{s:f, s:f, s:f}, s:{s:f, s:f}, "
            "s:i, s:f, s:f}",
            "file", corpus, "messages", (json_int_t)n_msgs, "checks",
            (json_int_t)n_checks, "messages_per_second", per_sec,
            "mb_per_second", (double)bytes / (double)n_msgs * per_sec / 1e6,
            "latency_us", "p50", pct(total, nc, 0.5) / 1000.0, "p99",
            pct(total, nc, 0.99) / 1000.0, "max",
            (double)total[nc - 1] / 1000.0, "text_layer_us", "p50",
            pct(text, nc, 0.5) / 1000.0, "p99", pct(text, nc, 0.99) / 1000.0,
            "max_rss_kib", (json_int_t)ru.ru_maxrss, "held_ratio",
            (double)held / (double)n_checks, "messages_per_second_every_plugin",
            per_sec_all);
        json_t *pl = json_object();
        for (size_t k = 0; k < np; k++)
            json_object_set_new(pl, pf_engine_plugin_name(&env.engine, k),
                                json_pack("{s:f, s:f}", "p50",
                                          pct(plug[k], nc, 0.5) / 1000.0, "p99",
                                          pct(plug[k], nc, 0.99) / 1000.0));
        json_object_set_new(o, "plugins_us", pl);
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                    JSON_REAL_PRECISION(5));
        puts(s);
        free(s);
        json_decref(o);
    } else {
        printf("bench: %s: %zu messages (%.0f bytes on average), %ld checks "
               "per phase, 1 thread\n",
               corpus, n_msgs, (double)bytes / (double)n_msgs, n_checks);
        printf("throughput   %.0f messages/s  (%.1f MB/s, %.2f us per "
               "message; %.1f%% held)\n",
               per_sec, (double)bytes / (double)n_msgs * per_sec / 1e6,
               1e6 / per_sec, 100.0 * (double)held / (double)n_checks);
        printf("every plugin %.0f messages/s  (%.2f us per message: no "
               "plugin skipped after a hold)\n",
               per_sec_all, 1e6 / per_sec_all);
        printf("latency      p50 %.2f us  p99 %.2f us  max %.1f us\n",
               pct(total, nc, 0.5) / 1000.0, pct(total, nc, 0.99) / 1000.0,
               (double)total[nc - 1] / 1000.0);
        printf("  text layer p50 %.2f us  p99 %.2f us\n",
               pct(text, nc, 0.5) / 1000.0, pct(text, nc, 0.99) / 1000.0);
        for (size_t k = 0; k < np; k++)
            printf("  %-10s p50 %.2f us  p99 %.2f us\n",
                   pf_engine_plugin_name(&env.engine, k),
                   pct(plug[k], nc, 0.5) / 1000.0,
                   pct(plug[k], nc, 0.99) / 1000.0);
        printf("memory       max RSS %ld KiB\n", ru.ru_maxrss);
    }
    for (size_t k = 0; k < np; k++)
        free(plug[k]);
    free(plug);
    free(total);
    free(text);
    rc = PF_EXIT_OK;
out:
    pf_cli_close(&env);
out_msgs:
    for (size_t i = 0; i < n_msgs; i++) {
        free(msgs[i].text);
        free(msgs[i].customer);
    }
    free(msgs);
    return rc;
}
