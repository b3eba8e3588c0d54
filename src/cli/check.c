/*
 * check.c - `pokerface check`: run the rule pipeline on one message (the
 * words of the command line, or stdin) and print the decision, or on a
 * stream of JSON lines (--jsonl) and print one JSON object per line:
 * as the lines come from a pipe, or a regular file in several processes
 * at once (-j, cli/jobs.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "cli/cli.h"
#include "cli/jobs.h"
#include "cli/jsonl.h"
#include "core/jsonw.h"
#include "text/text.h"

static const char usage[] =
    "usage: pokerface check [-c CONFIG] [--explain] [--json] [TEXT...]\n"
    "       pokerface check [-c CONFIG] --jsonl [-j N] [FILE...]\n"
    "\n"
    "Check an outgoing message the way the bot would before sending it.\n"
    "TEXT is the message (several words are joined with spaces); without\n"
    "TEXT the message is read from standard input.\n"
    "\n"
    "  -c, --config FILE  configuration (default: pokerface.json in the\n"
    "                     data directory, with the plugins next to the\n"
    "                     binary)\n"
    "  -N, --customer-name NAME  the customer's name (may be given several\n"
    "                     times): a reply that names them talks to them\n"
    "  -T, --team NAME    a team member's name, instead of the config's\n"
    "                     \"team\" (may be given several times)\n"
    "  -C, --customer TEXT  the customer's last message (context for\n"
    "                     coaching rules); may be given several times\n"
    "      --explain      also show the normalized text, tokens, language,\n"
    "                     each plugin's time and reasoning\n"
    "      --json         print the result as one JSON object\n"
    "      --jsonl        read JSON lines {\"id\":..., \"text\":...,\n"
    "                     \"customer\":...} from FILEs or standard input and\n"
    "                     write one result line per input line\n"
    "  -j, --jobs N       with --jsonl: check a regular file (a FILE, or\n"
    "                     standard input redirected from one) in N\n"
    "                     processes at once, the output the same and in\n"
    "                     the same order (default: the number of CPUs\n"
    "                     online; 1: one process); a pipe is always read\n"
    "                     line by line as it comes\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 pass or note, 1 hold or block, 2 usage, configuration\n"
    "or input error (the message was not checked). With --jsonl: 2 if any\n"
    "line had an error, else 1 if any message was held, else 0.\n";

/* --jobs at most */
#define JOBS_MAX 256

/* a score as the JSON prints it: three decimals */
static void
write_score(struct jw *w, float score)
{
    jw_real(w, round(score * 1000) / 1000);
}

/* the result's members, without braces: "action", "score", "lang",
   "findings" */
static void
write_result(struct jw *w, const struct pf_result *r)
{
    jw_lit(w, "\"action\":");
    jw_cstr(w, pf_action_name(r->action));
    jw_lit(w, ",\"score\":");
    write_score(w, r->score);
    if (r->msg) {
        jw_lit(w, ",\"lang\":");
        jw_cstr(w, r->msg->lang);
    }
    jw_lit(w, ",\"findings\":[");
    for (size_t i = 0; i < r->n_found; i++) {
        const struct pf_found *x = &r->found[i];
        jw_lit(w, i ? ",{\"plugin\":" : "{\"plugin\":");
        jw_cstr(w, x->plugin);
        jw_lit(w, ",\"label\":");
        jw_cstr(w, x->f.label);
        jw_lit(w, ",\"score\":");
        write_score(w, x->f.score);
        jw_lit(w, ",\"reason\":");
        jw_cstr(w, x->f.reason);
        jw_lit(w, ",\"spans\":[");
        for (uint32_t k = 0; k < x->f.n_spans; k++) {
            jw_lit(w, k ? ",[" : "[");
            jw_int(w, (long long)x->f.spans[k].off);
            jw_raw(w, ",", 1);
            jw_int(w, (long long)x->f.spans[k].len);
            jw_raw(w, "]", 1);
        }
        jw_lit(w, "],\"suggestion\":");
        if (x->f.suggestion[0])
            jw_cstr(w, x->f.suggestion);
        else
            jw_lit(w, "null");
        jw_raw(w, "}", 1);
    }
    jw_raw(w, "]", 1);
}

/* the line in w, and a new line; w is emptied */
static void
put_line(struct jw *w)
{
    jw_raw(w, "\n", 1);
    fwrite(w->buf, 1, w->len, stdout);
    w->len = 0;
}

static void
explain(FILE *f, struct pf_cli_env *env, const struct pf_result *r, int color)
{
    const struct pf_msg *m = r->msg;
    const char *dim = color ? "\033[2m" : "", *reset = color ? "\033[0m" : "";
    fprintf(f, "\n%stext layer%s  %.1f us, language %s, %zu tokens\n", dim,
            reset, (double)r->text_ns / 1000.0, m->lang, m->n_tokens);
    fprintf(f, "  normalized: %s\n", m->norm);
    if (m->addressee) {
        const struct pf_addressee *ad = m->addressee;
        fprintf(f,
                "  addressee: second person %u, third person %u, greeting "
                "%u, customer's name %u, colleague %u, questions %u\n",
                ad->second, ad->third, ad->greeting, ad->customer_name,
                ad->colleague, ad->question);
    }
    fputs("  tokens:", f);
    for (size_t i = 0; i < m->n_tokens; i++) {
        const struct pf_token *t = &m->tokens[i];
        fprintf(f, " %.*s", (int)t->norm_len, m->norm + t->norm_off);
        if (t->kind != PF_TOK_WORD)
            fprintf(f, "/%s", pf_text_kind_name(t->kind));
        if (t->flags & PF_TOKF_QUOTED)
            fputs("/quoted", f);
        if (t->flags & PF_TOKF_LEET)
            fputs("/leet", f);
        if (t->flags & PF_TOKF_LOOKALIKE)
            fputs("/lookalike", f);
        if (t->flags & PF_TOKF_JOINED)
            fputs("/joined", f);
        if (t->flags & PF_TOKF_MASKED)
            fputs("/masked", f);
        if (t->flags & PF_TOKF_NAME)
            fputs("/name", f);
    }
    fputc('\n', f);
    long decided = pf_result_segment(r);
    for (size_t i = 0; i < m->n_segments; i++) {
        const struct pf_segment *s = pf_msg_segment(m, i);
        static const char *const flag_names[] = {
            "first",     "last",          "line",     "greeting",
            "signoff",   "after-signoff", "marker",   "question",
            "lowercase", "quoted",        "vocative",
        };
        fprintf(f, "  %ssegment %zu%s %s", s->parent == PF_SEG_NONE ? "" : "  ",
                i, (long)i == decided ? " (decided)" : "",
                pf_segment_kind_name(s->kind));
        for (size_t k = 0; k < PF_ARRAY_LEN(flag_names); k++)
            if (s->flags & (1u << k))
                fprintf(f, " %s", flag_names[k]);
        fprintf(f,
                "; words %u, you %u, third %u, I/we %u, colleague %u, "
                "customer %u, names %u, informal %u\n",
                s->words, s->second, s->third, s->first, s->colleague,
                s->customer, s->names, s->informal);
        fprintf(f, "  %s    > %.*s\n", s->parent == PF_SEG_NONE ? "" : "  ",
                (int)s->raw.len, m->text + s->raw.off);
    }
    for (size_t i = 0; i < r->run.n_inst; i++) {
        fprintf(f, "%splugin %s%s  ", dim,
                pf_engine_plugin_name(&env->engine, i), reset);
        if (r->run.plugin_ns[i] < 0)
            fputs("disabled\n", f);
        else
            fprintf(f, "%.1f us\n", (double)r->run.plugin_ns[i] / 1000.0);
        if (r->run.explain[i]) {
            const char *s = r->run.explain[i];
            while (*s) {
                const char *nl = strchr(s, '\n');
                size_t n = nl ? (size_t)(nl - s) : strlen(s);
                fprintf(f, "  %.*s\n", (int)n, s);
                s += n + (nl != NULL);
            }
        }
    }
    const struct pf_policy *p = &env->cfg.policy;
    fprintf(f,
            "%spolicy%s  note at %.2f, hold at %.2f; the message takes the "
            "most severe action of its findings\n",
            dim, reset, p->note_threshold, p->hold_threshold);
    for (size_t i = 0; i < r->n_found; i++) {
        const struct pf_label_rule *rule =
            pf_policy_rule(p, r->found[i].f.label);
        fprintf(f, "  %s %.2f -> %s%s%s\n", r->found[i].f.label,
                r->found[i].f.score, pf_action_name(r->found[i].action),
                rule ? "  (rule policy.labels." : "", rule ? rule->label : "");
        if (rule)
            fputs(")", f);
    }
}

/* -N and -T */
struct names {
    const char **cust, **team;
    size_t n_cust, n_team;
};

static int
check_one(struct pf_cli_env *env, const char *text, size_t len,
          const char *const *customer, size_t n_customer,
          const struct names *nm, int want_explain, int want_json)
{
    struct pf_input in;
    struct pf_result r;
    char err[256];
    int color = pf_cli_color(stdout);

    memset(&in, 0, sizeof(in));
    in.text = text;
    in.len = len;
    in.context = customer;
    in.n_context = n_customer;
    in.customers = nm->cust;
    in.n_customers = nm->n_cust;
    if (nm->n_team) {
        in.team = nm->team;
        in.n_team = nm->n_team;
    }
    in.flags = want_explain ? PF_MSG_EXPLAIN : 0;
    if (pf_engine_check(&env->engine, &in, &r, err, sizeof(err))) {
        fprintf(stderr, "pokerface check: %s; the message was not checked\n",
                err);
        return PF_EXIT_ERROR;
    }
    if (want_json) {
        struct jw w;
        jw_init(&w);
        jw_raw(&w, "{", 1);
        write_result(&w, &r);
        jw_raw(&w, "}", 1);
        put_line(&w);
        jw_free(&w);
    } else {
        pf_cli_report(stdout, &r, color);
        if (want_explain)
            explain(stdout, env, &r, color);
    }
    return r.action >= PF_ACT_HOLD ? PF_EXIT_HELD : PF_EXIT_OK;
}

/* check --jsonl: what every line needs, one per process */
struct jsonl {
    struct pf_cli_env *env;
    const char *name; /* the file's, in error lines */
    struct jw w;      /* output not yet written */
    struct jl_line jl;
};

enum { JSONL_HELD, JSONL_ERRORS }; /* the counters, PF_JOBS_COUNTS */

/* output is written in pieces of about this much, and whenever the input
   would make us wait */
#define JSONL_OUT_CHUNK 65536

static int
jsonl_flush(struct jsonl *j, int fd)
{
    int rc = pf_write_all(fd, j->w.buf, j->w.len);
    j->w.len = 0;
    return rc;
}

/* one input line (without its newline), number lineno: its output line
   goes to j->w */
static void
jsonl_line(struct jsonl *j, const char *line, size_t n, size_t lineno,
           long *counts)
{
    static const char *const keys[3] = {"id", "text", "customer"};
    struct jl_value vals[3];
    struct jw *w = &j->w;
    const char *name = j->name;
    json_error_t je;
    json_t *o;
    char err[512];
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    if (n == 0)
        return;
    /* id, text and customer: read in place when the line is a flat
       object (jsonl.h), else by Jansson, which then also says what
       is wrong with it */
    const char *text = NULL, *cust = NULL;
    size_t text_len = 0;
    int text_bad = 0, cust_bad = 0;
    o = NULL;
    if (jl_read(&j->jl, line, n, keys, vals, 3)) {
        jw_lit(w, "{\"id\":");
        jl_write(w, &vals[0]);
        text = vals[1].type == JL_STRING ? vals[1].s : NULL;
        text_len = vals[1].len;
        text_bad = vals[1].type != JL_ABSENT && !text;
        cust = vals[2].type == JL_STRING ? vals[2].s : NULL;
        cust_bad =
            vals[2].type != JL_ABSENT && vals[2].type != JL_NULL && !cust;
    } else {
        o = json_loadb(line, n, JSON_REJECT_DUPLICATES, &je);
        if (!o || !json_is_object(o)) {
            if (!o)
                pf_snprintf(err, sizeof(err), "%s:%zu: invalid JSON: %s", name,
                            lineno, je.text);
            else
                pf_snprintf(err, sizeof(err), "%s:%zu: expected a JSON object",
                            name, lineno);
            jw_lit(w, "{\"id\":null");
            goto line_error;
        }
        json_t *id = json_object_get(o, "id");
        json_t *jt = json_object_get(o, "text");
        json_t *jc = json_object_get(o, "customer");
        jw_lit(w, "{\"id\":");
        if (id)
            jw_value(w, id);
        else
            jw_lit(w, "null");
        text = json_string_value(jt);
        text_len = text ? json_string_length(jt) : 0;
        text_bad = jt && !text;
        cust = json_string_value(jc);
        cust_bad = jc && !cust && !json_is_null(jc);
    }
    if (!text) {
        pf_snprintf(err, sizeof(err), "%s:%zu: %s", name, lineno,
                    text_bad ? "\"text\" is not a string" : "missing \"text\"");
        goto line_error;
    }
    if (cust_bad) {
        pf_snprintf(err, sizeof(err), "%s:%zu: \"customer\" is not a string",
                    name, lineno);
        goto line_error;
    }
    {
        struct pf_input inp;
        struct pf_result r;
        const char *ctx[1];
        char cerr[256];
        memset(&inp, 0, sizeof(inp));
        inp.text = text;
        inp.len = text_len;
        if (cust) {
            ctx[0] = cust;
            inp.context = ctx;
            inp.n_context = 1;
        }
        if (pf_engine_check(&j->env->engine, &inp, &r, cerr, sizeof(cerr))) {
            pf_snprintf(err, sizeof(err), "%s:%zu: %s", name, lineno, cerr);
            goto line_error;
        }
        jw_raw(w, ",", 1);
        write_result(w, &r);
        jw_raw(w, "}\n", 2);
        if (r.action >= PF_ACT_HOLD)
            counts[JSONL_HELD]++;
    }
    if (o)
        json_decref(o);
    return;
line_error:
    jw_lit(w, ",\"error\":");
    jw_cstr(w, err);
    jw_raw(w, "}\n", 2);
    if (o)
        json_decref(o);
    counts[JSONL_ERRORS]++;
}

/* the lines of p[0..n), the first numbered first_line (pf_jobs_cb) */
static int
jsonl_lines_cb(void *arg, const char *p, size_t n, size_t first_line, int fd,
               long *counts)
{
    struct jsonl *j = arg;
    const char *end = p + n;
    size_t lineno = first_line;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        jsonl_line(j, p, len, lineno++, counts);
        p += len + (nl != NULL);
        if (j->w.len >= JSONL_OUT_CHUNK && jsonl_flush(j, fd))
            return -1;
    }
    return jsonl_flush(j, fd);
}

/* fd read as a stream, as it comes: what its lines give is written out
   before each read that may wait, so that a pipe gets its answers line
   by line; 0, or -1 when standard output failed (said) */
static int
jsonl_stream(struct jsonl *j, int fd, long *counts)
{
    size_t cap = 65536, have = 0, lineno = 1;
    char *buf = pf_xmalloc(cap);
    int rc = 0;
    for (;;) {
        /* the whole lines read so far */
        char *p = buf, *end = buf + have, *nl;
        while (p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
            jsonl_line(j, p, (size_t)(nl - p), lineno++, counts);
            p = nl + 1;
        }
        have = (size_t)(end - p);
        memmove(buf, p, have);
        if (jsonl_flush(j, STDOUT_FILENO)) {
            fprintf(stderr, "pokerface check: standard output: %s\n",
                    strerror(errno));
            rc = -1;
            break;
        }
        if (have == cap)
            buf = pf_xrealloc(buf, cap *= 2);
        ssize_t r = read(fd, buf + have, cap - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fprintf(stderr, "pokerface check: %s: %s\n", j->name,
                    strerror(errno));
            counts[JSONL_ERRORS]++;
        }
        if (r <= 0) {
            /* the last line, without a newline */
            if (have)
                jsonl_line(j, buf, have, lineno, counts);
            if (jsonl_flush(j, STDOUT_FILENO)) {
                fprintf(stderr, "pokerface check: standard output: %s\n",
                        strerror(errno));
                rc = -1;
            }
            break;
        }
        have += (size_t)r;
    }
    free(buf);
    return rc;
}

/* fd (name in messages) checked line by line: by jobs processes when it
   is a regular file, else as a stream; 0, or -1 when stopped because
   standard output failed */
static int
jsonl_file(struct pf_cli_env *env, int fd, const char *name, int jobs,
           long *counts)
{
    struct jsonl j;
    int rc = 1;
    memset(&j, 0, sizeof(j));
    j.env = env;
    j.name = name;
    jw_init(&j.w);
    if (jobs > 1) {
        struct pf_jobs pj = {"pokerface check", jobs, STDOUT_FILENO,
                             jsonl_lines_cb, &j};
        rc = pf_jobs_file(&pj, fd, name, counts);
        if (rc == -1) {
            counts[JSONL_ERRORS]++;
            rc = 0;
        }
    }
    if (rc == 1)
        rc = jsonl_stream(&j, fd, counts);
    if (rc < 0)
        counts[JSONL_ERRORS]++;
    jw_free(&j.w);
    jl_free(&j.jl);
    return rc;
}

int
pf_cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"customer", required_argument, NULL, 'C'},
        {"customer-name", required_argument, NULL, 'N'},
        {"team", required_argument, NULL, 'T'},
        {"explain", no_argument, NULL, 'e'},
        {"json", no_argument, NULL, 'J'},
        {"jsonl", no_argument, NULL, 'l'},
        {"jobs", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    const char **customer = NULL;
    size_t n_customer = 0;
    int want_explain = 0, want_json = 0, want_jsonl = 0, c, rc;
    long jobs = 0; /* 0: not given */
    struct pf_cli_env env;

    struct names nm;
    memset(&nm, 0, sizeof(nm));
    customer = calloc((size_t)argc + 1, sizeof(*customer));
    nm.cust = calloc((size_t)argc + 1, sizeof(*nm.cust));
    nm.team = calloc((size_t)argc + 1, sizeof(*nm.team));
    optind = 1;
    while ((c = getopt_long(argc, argv, "+c:C:N:T:j:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'C': customer[n_customer++] = optarg; break;
        case 'N': nm.cust[nm.n_cust++] = optarg; break;
        case 'T': nm.team[nm.n_team++] = optarg; break;
        case 'e': want_explain = 1; break;
        case 'J': want_json = 1; break;
        case 'j': {
            char *end;
            errno = 0;
            jobs = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || jobs < 1 || jobs > JOBS_MAX) {
                free(customer);
                free(nm.cust);
                free(nm.team);
                return pf_cli_usage_error(
                    "check",
                    "--jobs wants a number of processes from 1 to %d, "
                    "not '%s'",
                    JOBS_MAX, optarg);
            }
            break;
        }
        case 'l': want_jsonl = 1; break;
        case 'h':
            fputs(usage, stdout);
            free(customer);
            free(nm.cust);
            free(nm.team);
            return PF_EXIT_OK;
        default:
            free(customer);
            free(nm.cust);
            free(nm.team);
            return pf_cli_usage_error("check", "unknown option");
        }
    }
    if (want_jsonl && (want_explain || want_json || n_customer)) {
        free(customer);
        free(nm.cust);
        free(nm.team);
        return pf_cli_usage_error(
            "check", "--jsonl cannot be combined with --explain, --json or "
                     "--customer");
    }
    if (jobs && !want_jsonl) {
        free(customer);
        free(nm.cust);
        free(nm.team);
        return pf_cli_usage_error("check", "--jobs goes with --jsonl only");
    }
    if (!jobs) {
        jobs = sysconf(_SC_NPROCESSORS_ONLN);
        if (jobs < 1)
            jobs = 1;
        if (jobs > JOBS_MAX)
            jobs = JOBS_MAX;
    }
    if ((rc = pf_cli_open(&env, config))) {
        free(customer);
        free(nm.cust);
        free(nm.team);
        return rc;
    }
    env.engine.complete = 1; /* every plugin: all findings shown */

    if (want_jsonl) {
        long counts[PF_JOBS_COUNTS] = {0, 0};
        fflush(stdout);
        if (optind >= argc) {
            jsonl_file(&env, STDIN_FILENO, "stdin", (int)jobs, counts);
        } else {
            for (int i = optind; i < argc; i++) {
                int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                    fprintf(stderr, "pokerface check: %s: %s\n", argv[i],
                            strerror(errno));
                    counts[JSONL_ERRORS]++;
                    continue;
                }
                rc = jsonl_file(&env, fd, argv[i], (int)jobs, counts);
                close(fd);
                if (rc < 0)
                    break; /* standard output failed */
            }
        }
        pf_cli_close(&env);
        free(customer);
        free(nm.cust);
        free(nm.team);
        return counts[JSONL_ERRORS] ? PF_EXIT_ERROR
               : counts[JSONL_HELD] ? PF_EXIT_HELD
                                    : PF_EXIT_OK;
    }

    struct pf_buf text = PF_BUF_INIT;
    if (optind < argc) {
        for (int i = optind; i < argc; i++) {
            if (i > optind)
                pf_buf_addch(&text, ' ');
            pf_buf_addstr(&text, argv[i]);
        }
    } else {
        char chunk[65536];
        size_t n;
        size_t limit = env.cfg.max_message_bytes + 2;
        while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
            pf_buf_add(&text, chunk, n);
            if (text.len > limit)
                break; /* the engine reports "too large" */
        }
        /* the newline that ends the input is not part of the message */
        if (text.len && text.data[text.len - 1] == '\n')
            text.len--;
        if (text.len && text.data[text.len - 1] == '\r')
            text.len--;
    }
    if (!text.data)
        pf_buf_grow(&text, 0), text.data[0] = '\0';
    rc = check_one(&env, text.data, text.len, customer, n_customer, &nm,
                   want_explain, want_json);
    pf_buf_release(&text);
    pf_cli_close(&env);
    free(customer);
    free(nm.cust);
    free(nm.team);
    return rc;
}
