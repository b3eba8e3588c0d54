/*
 * check_worker.c - the plugins in a worker process (core/worker.c), on
 * the engine directly: a check() that never returns is stopped at twice
 * its budget and one that crashes is survived, each holding its message
 * with a label and a reason naming the plugin; a plugin that fails on
 * every message holds every message, never passes one, and after three
 * failures in a row the checks pause and hold without trying; a create()
 * that fails is an error at the start; the checks run on the CPU the
 * bot runs on; and the worker process ends with the engine. (check_relay.c
 * has the same end to end, with status.)
 */
#define _GNU_SOURCE /* sched_setaffinity */
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "core/worker.h"
#include "rules/pipeline.h"
#include "testutil.h"

struct iso {
    struct pf_config cfg;
    struct pf_engine e;
};

/* an engine on the fixtures, its plugins in a worker; rc of isolate */
static int
iso_open(struct iso *t, const char *json, char *err, size_t errlen)
{
    ck_assert_int_eq(tu_config(&t->cfg, json, tu_fixture_dir(), err, errlen),
                     0);
    ck_assert_int_eq(pf_engine_load(&t->e, &t->cfg, NULL, err, errlen), 0);
    return pf_engine_isolate(&t->e, err, errlen);
}

static void
iso_close(struct iso *t)
{
    pf_engine_close(&t->e);
    pf_config_release(&t->cfg);
}

static int
check(struct iso *t, const char *text, struct pf_result *r)
{
    struct pf_input in;
    char err[256];
    memset(&in, 0, sizeof(in));
    in.text = text;
    in.len = strlen(text);
    ck_assert_int_eq(pf_engine_check(&t->e, &in, r, err, sizeof(err)), PF_OK);
    return r->action;
}

/* the one finding of a held result: its label, and words in its reason */
static void
held_for(const struct pf_result *r, const char *label, const char *plugin,
         const char *why)
{
    ck_assert_int_ge(r->action, PF_ACT_HOLD);
    const struct pf_found *f = tu_find(r, label);
    ck_assert_msg(f != NULL, "no %s finding (%zu findings, first %s)", label,
                  r->n_found, r->n_found ? r->found[0].f.label : "-");
    ck_assert_str_eq(f->plugin, plugin);
    ck_assert_msg(strstr(f->f.reason, why), "reason: %s", f->f.reason);
}

#define HAZARD(cfg)                                                            \
    "{\"plugins\": [{\"name\": \"probe\", \"config\": {\"word\": "             \
    "\"pebkac\"}}, {\"name\": \"hazard\", \"budget_ms\": 100, "                \
    "\"config\": " cfg "}]}"

START_TEST(a_hung_or_crashed_check_holds_and_the_next_is_checked)
{
    struct iso t;
    struct pf_result r;
    char err[512];
    ck_assert_msg(iso_open(&t,
                           HAZARD("{\"loop_on\": \"LOOPME\", \"crash_on\": "
                                  "\"CRASHME\"}"),
                           err, sizeof(err)) == PF_OK,
                  "%s", err);
    const struct pf_worker_stats *st = pf_engine_worker_stats(&t.e);
    ck_assert_ptr_nonnull(st);
    pid_t first = st->pid;
    ck_assert_int_gt(first, 0);
    ck_assert_int_ne(first, getpid());

    /* the worker checks: findings come back with their spans */
    ck_assert_int_eq(check(&t, "taas pebkac", &r), PF_ACT_HOLD);
    ck_assert(tu_span_is(&r, "taas pebkac", "pebkac"));
    ck_assert_str_eq(tu_find(&r, "probe.hit")->plugin, "probe");
    ck_assert_int_eq(check(&t, "all good", &r), PF_ACT_PASS);

    /* never returns: stopped at twice its budget (200 ms) */
    int64_t t0 = pf_now_us();
    check(&t, "please LOOPME", &r);
    held_for(&r, "pokerface.plugin_timeout", "hazard",
             "plugin 'hazard' did not answer within 200 ms");
    ck_assert_msg(pf_now_us() - t0 < 2000000, "took %lld us",
                  (long long)(pf_now_us() - t0));
    ck_assert_str_eq(r.msg->text, "please LOOPME");
    ck_assert_int_eq(st->timeouts, 1);
    /* the old worker is gone, a new one checks */
    ck_assert_int_ne(kill(first, 0), 0);
    ck_assert_int_eq(check(&t, "all good", &r), PF_ACT_PASS);
    ck_assert_int_ne(st->pid, first);

    /* crashes */
    check(&t, "CRASHME now", &r);
    held_for(&r, "pokerface.plugin_crash", "hazard",
             "plugin 'hazard' crashed in check() (");
    ck_assert_int_eq(st->crashes, 1);
    ck_assert_int_eq(check(&t, "taas pebkac", &r), PF_ACT_HOLD);
    ck_assert_ptr_nonnull(tu_find(&r, "probe.hit"));
    ck_assert_int_eq(st->starts, 3);
    ck_assert_int_eq(st->failures, 0);

    /* killed between two messages: replaced, and the next message is
       checked as usual, not held for it */
    ck_assert_int_eq(kill(st->pid, SIGKILL), 0);
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    ck_assert_int_eq(check(&t, "all good", &r), PF_ACT_PASS);
    ck_assert_int_eq(st->crashes, 2);
    ck_assert_int_eq(st->starts, 4);
    ck_assert_msg(strstr(st->last, "ended between two messages (signal 9"),
                  "%s", st->last);

    /* the host's own finding on text with bidi controls comes back as
       such: held for it, and the worker was not taken for broken */
    ck_assert_int_ge(check(&t,
                           "Your order \xe2\x80\xae"
                           "detpmats\xe2\x80\xac is on its way",
                           &r),
                     PF_ACT_HOLD);
    held_for(&r, "pokerface.bidi", "pokerface", "direction controls");
    ck_assert_int_eq(st->starts, 4);
    ck_assert_int_eq(st->crashes, 2);

    pid_t last = st->pid;
    iso_close(&t);
    ck_assert_int_ne(kill(last, 0), 0); /* reaped, not left behind */
}
END_TEST

/* has process pid ended (a zombie, not reaped yet), within two seconds? */
static int
ends(pid_t pid)
{
    char path[64], st[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    for (int i = 0; i < 200; i++) {
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(st, 1, sizeof(st) - 1, f) : 0;
        if (f)
            fclose(f);
        st[n] = '\0';
        const char *p = strrchr(st, ')');
        if (!p || (p[1] == ' ' && p[2] == 'Z'))
            return 1;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static void
input_of(struct pf_input *in, const char *text)
{
    memset(in, 0, sizeof(*in));
    in->text = text;
    in->len = strlen(text);
}

/*
 * Checks sent ahead (pf_engine_check_ahead: a reply and the line around
 * it) are answered together, each check taking its own answer; a check
 * that crashes the worker loses the one sent after it with it, which
 * then holds for the same reason and is not taken for the next answer;
 * an answer nobody takes is never given to another message.
 */
START_TEST(checks_sent_ahead_each_take_their_own_answer)
{
    struct iso t;
    struct pf_result r;
    struct pf_input a, b;
    const struct pf_input *both[2] = {&a, &b};
    char err[512];
    ck_assert_msg(iso_open(&t, HAZARD("{\"crash_on\": \"CRASHME\"}"), err,
                           sizeof(err)) == PF_OK,
                  "%s", err);
    const struct pf_worker_stats *st = pf_engine_worker_stats(&t.e);

    /* the line first, then the reply, as the relay sends them: each gets
       its own verdict and its own spans */
    char line[] = "aino: taas pebkac", reply[] = "all good";
    input_of(&a, line);
    input_of(&b, reply);
    for (int round = 0; round < 3; round++) {
        pf_engine_check_ahead(&t.e, both, 2);
        ck_assert_int_eq(pf_engine_check(&t.e, &a, &r, err, sizeof(err)),
                         PF_OK);
        ck_assert_int_eq(r.action, PF_ACT_HOLD);
        ck_assert(tu_span_is(&r, line, "pebkac"));
        ck_assert_str_eq(r.msg->text, line);
        ck_assert_int_eq(pf_engine_check(&t.e, &b, &r, err, sizeof(err)),
                         PF_OK);
        ck_assert_int_eq(r.action, PF_ACT_PASS);
        ck_assert_str_eq(r.msg->text, reply);
    }
    ck_assert_int_eq(st->starts, 1);

    /* the first crashes the worker, which it does before it is asked
       for (the checks run meanwhile): the second is lost with it */
    char crash[] = "aino: CRASHME";
    input_of(&a, crash);
    input_of(&b, reply);
    pid_t first = st->pid;
    pf_engine_check_ahead(&t.e, both, 2);
    ck_assert_msg(ends(first), "the checks were not sent ahead");
    ck_assert_int_eq(pf_engine_check(&t.e, &a, &r, err, sizeof(err)), PF_OK);
    held_for(&r, "pokerface.plugin_crash", "hazard",
             "plugin 'hazard' crashed in check() (");
    ck_assert_int_eq(pf_engine_check(&t.e, &b, &r, err, sizeof(err)), PF_OK);
    held_for(&r, "pokerface.plugin_crash", "hazard",
             "plugin 'hazard' crashed in check() (");
    ck_assert_str_eq(r.msg->text, reply);
    ck_assert_int_eq(st->crashes, 1);
    /* and the new worker answers the next message, once */
    ck_assert_int_eq(check(&t, "taas pebkac", &r), PF_ACT_HOLD);
    ck_assert_int_eq(st->crashes, 1);
    ck_assert_int_eq(st->starts, 2);

    /* sent ahead but never asked for (the line failed, say): dropped,
       never the answer to the next message */
    input_of(&a, line);
    input_of(&b, reply);
    pf_engine_check_ahead(&t.e, both, 2);
    ck_assert_int_eq(check(&t, "one more pebkac", &r), PF_ACT_HOLD);
    ck_assert_str_eq(r.msg->text, "one more pebkac");
    ck_assert(tu_span_is(&r, "one more pebkac", "pebkac"));
    ck_assert_int_eq(check(&t, "fine", &r), PF_ACT_PASS);
    /* one taken, the other not */
    pf_engine_check_ahead(&t.e, both, 2);
    ck_assert_int_eq(pf_engine_check(&t.e, &a, &r, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(r.action, PF_ACT_HOLD);
    ck_assert_int_eq(check(&t, "fine again", &r), PF_ACT_PASS);
    ck_assert_str_eq(r.msg->text, "fine again");
    ck_assert_int_eq(st->starts, 2);
    ck_assert_int_eq(st->crashes, 1);
    iso_close(&t);
}
END_TEST

/* a plugin that crashes on every message: no message ever passes */
START_TEST(a_plugin_that_always_fails_holds_everything_and_pauses)
{
    struct iso t;
    struct pf_result r;
    char err[512];
    ck_assert_msg(
        iso_open(&t, HAZARD("{\"crash_on\": \"\"}"), err, sizeof(err)) == PF_OK,
        "%s", err);
    const struct pf_worker_stats *st = pf_engine_worker_stats(&t.e);
    for (int i = 0; i < 3; i++) {
        check(&t, "a perfectly good reply", &r);
        held_for(&r, "pokerface.plugin_crash", "hazard", "crashed in check()");
    }
    ck_assert_int_eq(st->failures, 3);
    /* paused: held without trying, at once */
    int64_t t0 = pf_now_us();
    for (int i = 0; i < 20; i++) {
        check(&t, "another good reply", &r);
        held_for(&r, "pokerface.plugin_error", "pokerface",
                 "the checks are paused after 3 failures in a row");
    }
    ck_assert_int_lt(pf_now_us() - t0, 500000);
    ck_assert_int_eq(st->pid, 0);
    ck_assert_int_eq(st->starts, 3);
    /* after the pause (1 s), tried again: and held again */
    struct timespec ts = {1, 200 * 1000 * 1000};
    nanosleep(&ts, NULL);
    check(&t, "a reply after the pause", &r);
    held_for(&r, "pokerface.plugin_crash", "hazard", "crashed in check()");
    ck_assert_int_eq(st->starts, 4);
    /* learn and observe meanwhile are dropped, not fatal */
    struct pf_input in;
    memset(&in, 0, sizeof(in));
    in.text = "backstage";
    in.len = 9;
    in.flags = PF_MSG_BACKSTAGE;
    pf_engine_observe(&t.e, &in);
    iso_close(&t);
}
END_TEST

START_TEST(a_create_that_fails_is_an_error_at_the_start)
{
    struct iso t;
    char err[512];
    ck_assert_int_ne(iso_open(&t,
                              "{\"plugins\": [{\"name\": \"probe\", "
                              "\"config\": {\"fail_create\": \"no lexicon "
                              "here\"}}]}",
                              err, sizeof(err)),
                     PF_OK);
    ck_assert_msg(strstr(err, "plugin 'probe'") &&
                      strstr(err, "create failed: no lexicon here"),
                  "%s", err);
    iso_close(&t);
    /* and an unknown key, found in the worker */
    ck_assert_int_ne(iso_open(&t,
                              "{\"plugins\": [{\"name\": \"probe\", "
                              "\"config\": {\"wrod\": \"x\"}}]}",
                              err, sizeof(err)),
                     PF_OK);
    ck_assert_msg(strstr(err, "plugins[0].config.wrod: unknown key for "
                              "plugin 'probe' (did you mean 'word'?)"),
                  "%s", err);
    iso_close(&t);
    /* not isolated, and not created: nothing passes unchecked */
    struct pf_result r;
    ck_assert_int_eq(tu_config(&t.cfg, "{\"plugins\": [\"probe\"]}",
                               tu_fixture_dir(), err, sizeof(err)),
                     0);
    ck_assert_int_eq(pf_engine_load(&t.e, &t.cfg, NULL, err, sizeof(err)), 0);
    ck_assert_int_eq(check(&t, "hello", &r), PF_ACT_HOLD);
    ck_assert_ptr_nonnull(tu_find(&r, "pokerface.plugin_error"));
    iso_close(&t);
}
END_TEST

/* what a worker answers is read as untrusted: the seed of the fuzz
   target parses, and a finding naming no instance, a span beyond the
   text, a NaN score or a cut frame are each caught */
START_TEST(a_worker_answer_is_checked_before_it_is_believed)
{
    static struct pf_instance inst[3];
    static char *const names[] = {"example", "backstage", "learned"};
    struct pf_pipeline pl;
    struct pf_config cfg;
    struct pf_engine e;
    struct pf_arena a;
    struct pf_input in;
    struct pf_result r;
    char err[256];
    const char *text = "Hei, tää ääliö taas 🙄";
    memset(&pl, 0, sizeof(pl));
    memset(&cfg, 0, sizeof(cfg));
    memset(&e, 0, sizeof(e));
    for (int i = 0; i < 3; i++)
        inst[i].name = names[i];
    pl.inst = inst;
    pl.n_inst = 3;
    cfg.policy.note_threshold = 0.3;
    cfg.policy.hold_threshold = 0.6;
    e.cfg = &cfg;
    e.pl = &pl;
    pf_arena_init(&a, 4096);
    memset(&in, 0, sizeof(in));
    in.text = text;
    in.len = strlen(text);

    size_t n;
    char *seed = tu_read("tests/fuzz/corpus/worker/two-findings", &n);
    ck_assert_int_eq(
        pf_worker_parse_result(&e, 1, seed, n, &in, &r, &a, err, sizeof(err)),
        PF_OK);
    ck_assert_uint_eq(r.n_found, 2);
    ck_assert_str_eq(r.found[0].plugin, "backstage");
    ck_assert(tu_span_is(&r, text, "ääliö"));
    ck_assert_int_eq(r.action, PF_ACT_HOLD); /* decided here, again */
    ck_assert_str_eq(r.msg->ui_lang, "fi");
    /* not the answer to this check */
    ck_assert_int_eq(
        pf_worker_parse_result(&e, 2, seed, n, &in, &r, &a, err, sizeof(err)),
        1);
    /* cut short anywhere */
    for (size_t cut = 0; cut < n; cut += 7)
        ck_assert_int_eq(pf_worker_parse_result(&e, 1, seed, cut, &in, &r, &a,
                                                err, sizeof(err)),
                         1);
    /* the frame: type 4, seq 8, rc 4, action 4, score 8, "fi" 7, "fi" 7,
       text_ns 8, total_ns 8, n_inst 4, 3 x 8, n_found 4: 90 bytes; then
       each finding: instance 4, action 4, the struct */
    size_t f0 = 90, score = f0 + 8, spans = score + 4 + 48 + 256 + 512;
    uint32_t idx = 3;
    memcpy(seed + f0, &idx, 4); /* no such instance */
    ck_assert_int_eq(
        pf_worker_parse_result(&e, 1, seed, n, &in, &r, &a, err, sizeof(err)),
        1);
    idx = 1;
    memcpy(seed + f0, &idx, 4);
    uint32_t far[2] = {1000, 5};
    memcpy(seed + spans + 4, far, sizeof(far)); /* beyond the text */
    float nan = (float)NAN;
    memcpy(seed + score, &nan, sizeof(nan));
    ck_assert_int_eq(
        pf_worker_parse_result(&e, 1, seed, n, &in, &r, &a, err, sizeof(err)),
        PF_OK);
    ck_assert_uint_eq(r.found[0].f.n_spans, 0);
    ck_assert(r.found[0].f.score == 1.0f); /* NaN holds */
    ck_assert_int_eq(r.action, PF_ACT_HOLD);
    free(seed);
    pf_arena_release(&a);
}
END_TEST

/* the one CPU pid may run on, or -1 when it may run on more */
static int
only_cpu(pid_t pid)
{
    cpu_set_t set;
    ck_assert_int_eq(sched_getaffinity(pid, sizeof(set), &set), 0);
    if (CPU_COUNT(&set) != 1)
        return -1;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set))
            return c;
    return -1;
}

static void
run_on(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    ck_assert_int_eq(sched_setaffinity(0, sizeof(set), &set), 0);
}

/*
 * The checks run on the CPU the bot runs on (the bot waits for them:
 * two switches on one CPU are cheaper than waking an idle one twice),
 * and follow the bot when it moves, for checks sent ahead too. The
 * worker is started while the bot may run anywhere, so it does not
 * just inherit the bot's CPU.
 */
START_TEST(the_checks_run_beside_the_bot)
{
    struct iso t;
    struct pf_result r;
    char err[512];
    cpu_set_t all;
    ck_assert_int_eq(sched_getaffinity(0, sizeof(all), &all), 0);
    int cpus[2] = {-1, -1}, n = 0;
    for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
        if (CPU_ISSET(c, &all))
            cpus[n++] = c;
    if (n < 2) {
        fprintf(stderr, "the_checks_run_beside_the_bot: one CPU here, "
                        "nothing to follow\n");
        return;
    }
    ck_assert_msg(iso_open(&t,
                           "{\"plugins\": [{\"name\": \"probe\", "
                           "\"config\": {\"word\": \"pebkac\"}}]}",
                           err, sizeof(err)) == PF_OK,
                  "%s", err);
    const struct pf_worker_stats *st = pf_engine_worker_stats(&t.e);
    ck_assert_int_eq(only_cpu(st->pid), -1);

    run_on(cpus[1]);
    ck_assert_int_eq(check(&t, "taas pebkac", &r), PF_ACT_HOLD);
    ck_assert_int_eq(only_cpu(st->pid), cpus[1]);

    run_on(cpus[0]);
    char line[] = "aino: all good", reply[] = "all good";
    struct pf_input a, b;
    const struct pf_input *both[2] = {&a, &b};
    input_of(&a, line);
    input_of(&b, reply);
    pf_engine_check_ahead(&t.e, both, 2);
    ck_assert_int_eq(only_cpu(st->pid), cpus[0]);
    ck_assert_int_eq(pf_engine_check(&t.e, &a, &r, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(pf_engine_check(&t.e, &b, &r, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(r.action, PF_ACT_PASS);
    ck_assert_int_eq(st->starts, 1);
    ck_assert_int_eq(sched_setaffinity(0, sizeof(all), &all), 0);
    iso_close(&t);
}
END_TEST

Suite *
suite_worker(void)
{
    Suite *s = suite_create("worker");
    TCase *tc = tcase_create("worker");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_hung_or_crashed_check_holds_and_the_next_is_checked);
    tcase_add_test(tc, a_plugin_that_always_fails_holds_everything_and_pauses);
    tcase_add_test(tc, a_create_that_fails_is_an_error_at_the_start);
    tcase_add_test(tc, a_worker_answer_is_checked_before_it_is_believed);
    tcase_add_test(tc, checks_sent_ahead_each_take_their_own_answer);
    tcase_add_test(tc, the_checks_run_beside_the_bot);
    suite_add_tcase(s, tc);
    return s;
}
