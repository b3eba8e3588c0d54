/*
 * check_pipeline.c - running plugins: findings flow through with spans,
 * and every failure fails closed (an error, a NaN score, an overrun budget
 * each hold the message and name the plugin); garbage in a finding is
 * cleaned up; observe, learn and the context reach the plugins.
 */
#include <math.h>
#include <string.h>

#include "rules/pipeline.h"
#include "testutil.h"

#define PROBE(cfg) "{\"plugins\": [{\"name\": \"probe\", \"config\": " cfg "}]}"

START_TEST(findings_with_spans)
{
    struct tu_engine t;
    struct pf_result r;
    tu_engine_open(&t, PROBE("{\"word\": \"pebkac\", \"label\": \"t.slang\"}"),
                   tu_fixture_dir());
    ck_assert_int_eq(tu_check(&t, "Taas PEBKAC, ja pebkac", &r), PF_ACT_HOLD);
    ck_assert_uint_eq(r.n_found, 2);
    ck_assert_str_eq(r.found[0].plugin, "probe");
    ck_assert_str_eq(r.found[0].f.label, "t.slang");
    ck_assert(tu_span_is(&r, "Taas PEBKAC, ja pebkac", "PEBKAC"));
    ck_assert(tu_span_is(&r, "Taas PEBKAC, ja pebkac", "pebkac"));
    ck_assert_int_eq(tu_check(&t, "ei mitään", &r), PF_ACT_PASS);
    ck_assert_uint_eq(r.n_found, 0);
    tu_engine_close(&t);
}
END_TEST

START_TEST(direction_controls_hold)
{
    /* "The \u202Etoidi\u202C in billing" shows the customer "The idiot in
       billing": the host holds text with bidi controls whatever the
       plugins say (the probe finds nothing here) */
    struct tu_engine t;
    struct pf_result r;
    tu_engine_open(&t, PROBE("{\"word\": \"zzz\"}"), tu_fixture_dir());
    static const char *const bidi[] = {
        "The \xe2\x80\xaetoidi\xe2\x80\xac in billing", /* RLO, PDF */
        "ok \xe2\x80\xaa",
        "ok \xe2\x80\xab",
        "ok \xe2\x80\xad", /* LRE RLE LRO */
        "ok \xe2\x81\xa6x\xe2\x81\xa9",
        "ok \xe2\x81\xa7",
        "ok \xe2\x81\xa8",
    };
    for (size_t i = 0; i < sizeof(bidi) / sizeof(*bidi); i++) {
        ck_assert_int_eq(tu_check(&t, bidi[i], &r), PF_ACT_HOLD);
        const struct pf_found *f = tu_find(&r, "pokerface.bidi");
        ck_assert_msg(f, "no pokerface.bidi for case %zu", i);
        ck_assert_uint_eq(f->f.n_spans, 1);
        ck_assert_msg(strstr(f->f.reason, "direction"), "%s", f->f.reason);
    }
    /* the spans of the first: from the control to the end of the line */
    tu_check(&t, bidi[0], &r);
    ck_assert(
        tu_span_is(&r, bidi[0], "\xe2\x80\xaetoidi\xe2\x80\xac in billing"));
    /* the marks that only hint a direction (LRM, RLM) are harmless */
    ck_assert_int_eq(tu_check(&t, "ok \xe2\x80\x8e\xe2\x80\x8f", &r),
                     PF_ACT_PASS);
    tu_engine_close(&t);
}
END_TEST

START_TEST(check_error_holds_naming_the_plugin)
{
    struct tu_engine t;
    struct pf_result r;
    tu_engine_open(&t, PROBE("{\"fail_check\": true}"), tu_fixture_dir());
    ck_assert_int_eq(tu_check(&t, "a perfectly good reply", &r), PF_ACT_HOLD);
    const struct pf_found *f = tu_find(&r, "pokerface.plugin_error");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(f->plugin, "probe");
    ck_assert_msg(strstr(f->f.reason, "plugin 'probe' failed"), "%s",
                  f->f.reason);
    tu_engine_close(&t);
}
END_TEST

START_TEST(nan_score_holds)
{
    struct tu_engine t;
    struct pf_result r;
    tu_engine_open(&t, PROBE("{\"nan\": true}"), tu_fixture_dir());
    ck_assert_int_eq(tu_check(&t, "hello", &r), PF_ACT_HOLD);
    ck_assert_ptr_nonnull(tu_find(&r, "pokerface.plugin_error"));
    tu_engine_close(&t);
}
END_TEST

START_TEST(overrun_budget_holds)
{
    struct tu_engine t;
    struct pf_result r;
    tu_engine_open(&t,
                   "{\"plugins\": [{\"name\": \"probe\", \"budget_ms\": 5, "
                   "\"config\": {\"sleep_ms\": 30}}]}",
                   tu_fixture_dir());
    ck_assert_int_eq(tu_check(&t, "hello", &r), PF_ACT_HOLD);
    const struct pf_found *f = tu_find(&r, "pokerface.plugin_timeout");
    ck_assert_ptr_nonnull(f);
    ck_assert_msg(strstr(f->f.reason, "over its budget of 5.0 ms"), "%s",
                  f->f.reason);
    tu_engine_close(&t);
}
END_TEST

START_TEST(garbage_findings_are_cleaned)
{
    struct tu_engine t;
    struct pf_result r;
    const char *text = "äiti soitti";
    tu_engine_open(&t, PROBE("{\"garbage\": true}"), tu_fixture_dir());
    tu_check(&t, text, &r);
    ck_assert_uint_eq(r.n_found, 1);
    const struct pf_finding *f = &r.found[0].f;
    ck_assert_str_eq(f->label, "probe");      /* invalid label replaced */
    ck_assert_float_eq(f->score, 1.0f);       /* 7 clamped */
    ck_assert_uint_eq(strlen(f->reason), 10); /* cut at the 0xff */
    ck_assert_uint_eq(strlen(f->suggestion), PF_SUGGEST_MAX - 1);
    /* of 1000 claimed spans: the out-of-range one and the one inside a
       character are dropped, zero-length ones too; the whole text stays */
    ck_assert_uint_eq(f->n_spans, 1);
    ck_assert_uint_eq(f->spans[0].off, 0);
    ck_assert_uint_eq(f->spans[0].len, strlen(text));
    tu_engine_close(&t);
}
END_TEST

START_TEST(observe_learn_and_context_reach_plugins)
{
    struct tu_engine t;
    struct pf_result r;
    const struct pf_msg *m;
    struct pf_input in;
    char err[128];
    tu_engine_open(&t,
                   "{\"team\": [\"Sanna\", \"Mikko\"], \"ui_language\": "
                   "\"fi\", \"plugins\": [{\"name\": \"probe\", "
                   "\"config\": {\"report\": true}}]}",
                   tu_fixture_dir());
    memset(&in, 0, sizeof(in));
    in.text = "sisäistä juttua";
    in.len = strlen(in.text);
    in.flags = PF_MSG_BACKSTAGE;
    ck_assert_int_eq(pf_engine_prepare(&t.e, &in, &m, err, sizeof(err)), 0);
    pf_pipeline_observe(t.e.pl, m);
    pf_pipeline_observe(t.e.pl, m);
    struct pf_decision d = {sizeof(d), PF_DECIDE_DROP, "u1", 0, NULL, NULL, 0};
    pf_pipeline_learn(t.e.pl, m, &d);
    tu_check_ctx(&t, "Kiitos viestistä", "Missä MINUN pakettini on??", &r);
    const struct pf_found *f = tu_find(&r, "probe.report");
    ck_assert_ptr_nonnull(f);
    ck_assert_msg(strstr(f->f.reason, "observed=2 learned=1 decision=3 "
                                      "context=1 team=2 lang=fi ui=fi "
                                      "first=missä minun pakettini on??"),
                  "%s", f->f.reason);
    /* a score below the note threshold does not act */
    ck_assert_int_eq(r.action, PF_ACT_PASS);
    tu_engine_close(&t);
}
END_TEST

/* ABI 1.1: the host reads whom a message talks to */
static const struct pf_addressee *
addressee(struct tu_engine *t, const char *text, const char *const *cust,
          size_t n_cust)
{
    struct pf_input in;
    const struct pf_msg *m;
    char err[128];
    memset(&in, 0, sizeof(in));
    in.text = text;
    in.len = strlen(text);
    in.customers = cust;
    in.n_customers = n_cust;
    ck_assert_int_eq(pf_engine_prepare(&t->e, &in, &m, err, sizeof(err)), 0);
    ck_assert(PF_MSG_HAS(m, addressee));
    ck_assert_ptr_nonnull(m->addressee);
    ck_assert_uint_eq(m->addressee->size, sizeof(struct pf_addressee));
    return m->addressee;
}

START_TEST(addressee_cues)
{
    struct tu_engine t;
    static const char *const cust[] = {"Kalle Virtanen"};
    const struct pf_addressee *a;
    tu_engine_open(&t,
                   "{\"team\": [\"Sanna Lahti\"], \"plugins\": [\"probe\"]}",
                   tu_fixture_dir());
    a = addressee(&t,
                  "Hi Kalle! Your refund is on its way, you'll see it "
                  "Friday.",
                  cust, 1);
    ck_assert_uint_eq(a->greeting, 1);
    ck_assert_uint_eq(a->customer_name, 1);
    ck_assert_int_eq(a->customer_tok, 1);
    ck_assert_uint_eq(a->second, 2); /* your, you'll */
    ck_assert_uint_eq(a->third, 0);
    ck_assert_uint_eq(a->colleague, 0);
    ck_assert_int_eq(a->colleague_tok, -1);
    a = addressee(&t, "Sanna, can you call him? this guy is calling again",
                  cust, 1);
    ck_assert_uint_eq(a->colleague, 1);
    ck_assert_int_eq(a->colleague_tok, 0);
    ck_assert_uint_eq(a->third, 2); /* him, this guy */
    ck_assert_uint_eq(a->question, 1);
    ck_assert_uint_eq(a->greeting, 0);
    a = addressee(&t, "@mikko voitko ottaa tän, hän soittaa taas", NULL, 0);
    ck_assert_uint_eq(a->colleague, 1);
    ck_assert_uint_eq(a->third, 1); /* hän */
    a = addressee(&t, "Hei! Tilauksenne lähti tänään, voitte seurata sitä.",
                  NULL, 0);
    ck_assert_uint_eq(a->greeting, 1);
    ck_assert_uint_eq(a->second, 2); /* tilauksenne, voitte */
    tu_engine_close(&t);
}
END_TEST

START_TEST(disabled_plugins_do_not_run)
{
    struct tu_engine t;
    struct pf_result r;
    tu_engine_open(&t,
                   "{\"plugins\": [{\"name\": \"probe\", \"enabled\": false, "
                   "\"config\": {\"fail_check\": true}}, {\"name\": \"p2\", "
                   "\"file\": \"probe.so\", \"config\": {\"word\": \"x\"}}]}",
                   tu_fixture_dir());
    ck_assert_int_eq(tu_check(&t, "hello", &r), PF_ACT_PASS);
    ck_assert_int_eq(tu_check(&t, "x marks", &r), PF_ACT_HOLD);
    ck_assert_str_eq(r.found[0].plugin, "p2");
    tu_engine_close(&t);
}
END_TEST

START_TEST(oversized_and_invalid_messages_are_not_checked)
{
    struct tu_engine t;
    struct pf_result r;
    struct pf_input in;
    char err[256];
    tu_engine_open(&t, "{\"max_message_bytes\": 100, \"plugins\": [\"probe\"]}",
                   tu_fixture_dir());
    memset(&in, 0, sizeof(in));
    char big[200];
    memset(big, 'a', sizeof(big));
    in.text = big;
    in.len = sizeof(big);
    ck_assert_int_eq(pf_engine_check(&t.e, &in, &r, err, sizeof(err)),
                     PF_ETOOBIG);
    ck_assert_msg(strstr(err, "message too large: 200 bytes"), "%s", err);
    in.text = "ok \xc3";
    in.len = 4;
    ck_assert_int_eq(pf_engine_check(&t.e, &in, &r, err, sizeof(err)),
                     PF_EINVAL);
    ck_assert_msg(strstr(err, "invalid UTF-8"), "%s", err);
    in.text = "";
    in.len = 0;
    ck_assert_int_eq(pf_engine_check(&t.e, &in, &r, err, sizeof(err)), 0);
    ck_assert_int_eq(r.action, PF_ACT_PASS);
    tu_engine_close(&t);
}
END_TEST

START_TEST(host_services)
{
    /* the services table, called the way a plugin calls it */
    struct pf_hostsvc svc;
    pf_hostsvc_init(&svc);
    json_t *cfg = json_loads("{\"a\": {\"b\": [1, 2.5, \"x\", true]}, "
                             "\"p\": \"rel/file.txt\"}",
                             0, NULL);
    struct pf_hctx *h = pf_hctx_new("t", cfg, "/base", "/data", NULL, &svc);
    const struct pf_host *H = &pf_host_table;
    int64_t i;
    double d;
    const char *s;
    int b;
    size_t n;
    ck_assert_int_eq(H->cfg_int(h, "a.b[0]", &i), PF_OK);
    ck_assert_int_eq(i, 1);
    ck_assert_int_eq(H->cfg_num(h, "a.b[1]", &d), PF_OK);
    ck_assert_double_eq(d, 2.5);
    ck_assert_int_eq(H->cfg_int(h, "a.b[1]", &i), PF_ETYPE);
    ck_assert_int_eq(H->cfg_str(h, "a.b[2]", &s), PF_OK);
    ck_assert_str_eq(s, "x");
    ck_assert_int_eq(H->cfg_bool(h, "a.b[3]", &b), PF_OK);
    ck_assert_int_eq(b, 1);
    ck_assert_int_eq(H->cfg_len(h, "a.b", &n), PF_OK);
    ck_assert_uint_eq(n, 4);
    ck_assert_int_eq(H->cfg_str(h, "a.c", &s), PF_ENOTFOUND);
    ck_assert_int_eq(H->cfg_str(h, "a.b[9]", &s), PF_ENOTFOUND);
    ck_assert_int_eq(H->cfg_str(h, "a..b", &s), PF_ENOTFOUND);
    ck_assert_int_eq(H->cfg_path(h, "p", &s), PF_OK);
    ck_assert_str_eq(s, "/base/rel/file.txt");
    ck_assert_str_eq(H->data_dir(h), "/data");
    ck_assert_ptr_null(H->state_dir(h));
    ck_assert_str_eq(H->cfg_json(h), "{\"a\":{\"b\":[1,2.5,\"x\",true]},"
                                     "\"p\":\"rel/file.txt\"}");
    char out[64];
    ck_assert_int_eq(H->casefold(h, "ÄÄL1Ö", strlen("ÄÄL1Ö"), out, 64), 8);
    ck_assert_str_eq(out, "ääliö");
    ck_assert_int_eq(H->casefold(h, "\xff", 1, out, 64), PF_EINVAL);
    /* truncation never cuts a character */
    ck_assert_int_eq(H->casefold(h, "ääää", 8, out, 4), 8);
    ck_assert_str_eq(out, "ä");
    struct pf_span sp[8];
    uint16_t kinds[8];
    ck_assert_int_eq(
        H->tokenize(h, "moi, @anu 😂", strlen("moi, @anu 😂"), sp, kinds, 8, &n),
        PF_OK);
    ck_assert_uint_eq(n, 4);
    ck_assert_int_eq(kinds[2], PF_TOK_MENTION);
    ck_assert_int_eq(kinds[3], PF_TOK_EMOJI);
    ck_assert_int_eq(H->stem(h, "fi", "idiootille", 10, out, 64), 6);
    ck_assert_str_eq(out, "idioot");
    ck_assert_int_eq(H->stem(h, "sv", "x", 1, out, 64), PF_ENOTSUP);
    ck_assert_int_gt(H->now_us(PF_CLOCK_WALL), 1600000000LL * 1000000);
    pf_hctx_free(h);
    json_decref(cfg);
    pf_hostsvc_release(&svc);
}
END_TEST

/* the relay's engine stops once the action is settled; check and eval
   (complete) never do */
START_TEST(plugins_after_a_settled_hold_are_skipped)
{
    static const char *text = "Hei [NAME], se asiakas on taas ihan idiootti";
    struct tu_engine t;
    struct pf_result r;
    tu_engine_open(&t, "{\"plugins\": [\"example\", \"backstage\"]}", NULL);
    t.e.complete = 0;
    ck_assert_int_eq(tu_check(&t, text, &r), PF_ACT_HOLD);
    ck_assert(tu_find(&r, "example.placeholder"));
    ck_assert(!tu_find(&r, "backstage.derogatory"));
    ck_assert_int_eq(r.run.plugin_ns[1], -2);
    /* no hold yet: everything runs */
    ck_assert_int_eq(tu_check(&t, "Hei, se asiakas on taas ihan idiootti", &r),
                     PF_ACT_HOLD);
    ck_assert(tu_find(&r, "backstage.derogatory"));
    /* complete: everything, always */
    t.e.complete = 1;
    tu_check(&t, text, &r);
    ck_assert(tu_find(&r, "backstage.derogatory"));
    ck_assert_int_ge(r.run.plugin_ns[1], 0);
    tu_engine_close(&t);

    /* a policy that can block: a hold settles nothing */
    tu_engine_open(&t,
                   "{\"plugins\": [\"example\", \"backstage\"], \"policy\": "
                   "{\"labels\": {\"backstage.derogatory\": \"block\"}}}",
                   NULL);
    t.e.complete = 0;
    ck_assert_int_eq(tu_check(&t, text, &r), PF_ACT_BLOCK);
    ck_assert(tu_find(&r, "example.placeholder"));
    ck_assert(tu_find(&r, "backstage.derogatory"));
    tu_engine_close(&t);
}
END_TEST

Suite *
suite_pipeline(void)
{
    Suite *s = suite_create("pipeline");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, findings_with_spans);
    tcase_add_test(tc, check_error_holds_naming_the_plugin);
    tcase_add_test(tc, direction_controls_hold);
    tcase_add_test(tc, nan_score_holds);
    tcase_add_test(tc, overrun_budget_holds);
    tcase_add_test(tc, garbage_findings_are_cleaned);
    tcase_add_test(tc, observe_learn_and_context_reach_plugins);
    tcase_add_test(tc, addressee_cues);
    tcase_add_test(tc, disabled_plugins_do_not_run);
    tcase_add_test(tc, plugins_after_a_settled_hold_are_skipped);
    tcase_add_test(tc, oversized_and_invalid_messages_are_not_checked);
    tcase_add_test(tc, host_services);
    suite_add_tcase(s, tc);
    return s;
}
