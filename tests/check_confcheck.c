/*
 * check_confcheck.c - a typo in what the configuration asks of a plugin
 * is an error naming the key: a key in a plugin's "config" block that the
 * plugin never reads (every shipped plugin, a 1.0 plugin, one that reads
 * its block whole and declares its keys), and a policy.labels rule no
 * plugin can report. Also: every label a shipped plugin reports is one it
 * declares, so that those errors are never wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "base/util.h"
#include "rules/pipeline.h"
#include "testutil.h"

static char *g_dir; /* shipped plugins and fixtures side by side */

static void
setup(void)
{
    static const char *const shipped[] = {"example", "backstage", "learned",
                                          "echo", "coach"};
    static const char *const fixtures[] = {"probe", "whole", "frozen_v1_0"};
    g_dir = tu_tmpdir();
    chmod(g_dir, 0755);
    for (size_t i = 0; i < PF_ARRAY_LEN(shipped); i++) {
        char *from = pf_xasprintf("%s/plugins/%s.so", tu_build(), shipped[i]);
        char *to = pf_xasprintf("%s/%s.so", g_dir, shipped[i]);
        tu_copy(from, to, 0644);
        free(from);
        free(to);
    }
    for (size_t i = 0; i < PF_ARRAY_LEN(fixtures); i++) {
        char *from = pf_xasprintf("%s/%s.so", tu_fixture_dir(), fixtures[i]);
        char *to = pf_xasprintf("%s/%s.so", g_dir, fixtures[i]);
        tu_copy(from, to, 0644);
        free(from);
        free(to);
    }
}

static void
teardown(void)
{
    tu_rmrf(g_dir);
    free(g_dir);
}

/* open a pipeline on json; its return code, err filled */
static int
open_json(const char *json, char *err, size_t errlen)
{
    struct pf_config c;
    struct pf_pipeline *pl = NULL;
    int rc = tu_config(&c, json, g_dir, err, errlen);
    if (rc)
        return rc;
    rc = pf_pipeline_open(&pl, &c, NULL, err, errlen);
    pf_pipeline_free(pl);
    pf_config_release(&c);
    return rc;
}

static void
expect_error(const char *json, const char *want)
{
    char err[1024] = "";
    ck_assert_msg(open_json(json, err, sizeof(err)) != 0, "accepted: %s", json);
    ck_assert_msg(strstr(err, want), "%s:\n  got  %s\n  want %s", json, err,
                  want);
}

static void
expect_ok(const char *json)
{
    char err[1024] = "";
    ck_assert_msg(open_json(json, err, sizeof(err)) == 0, "%s: %s", json, err);
}

START_TEST(a_key_no_plugin_reads_is_an_error)
{
    /* the typos of the issue, in every shipped plugin */
    expect_error("{\"plugins\": [{\"name\": \"example\", \"config\": "
                 "{\"scor\": 0.5}}]}",
                 "plugins[0].config.scor: unknown key for plugin 'example' "
                 "(did you mean 'score'?)");
    expect_error("{\"plugins\": [{\"name\": \"example\", \"config\": "
                 "{\"marker\": [\"TBD\"]}}]}",
                 "plugins[0].config.marker: unknown key for plugin 'example' "
                 "(did you mean 'markers'?)");
    expect_error("{\"plugins\": [\"example\", {\"name\": \"backstage\", "
                 "\"config\": {\"extra_lexicon\": [\"team.txt\"]}}]}",
                 "plugins[1].config.extra_lexicon: unknown key for plugin "
                 "'backstage' (did you mean 'extra_lexicons'?)");
    expect_error("{\"plugins\": [{\"name\": \"learned\", \"config\": "
                 "{\"max_lesson\": 5}}]}",
                 "plugins[0].config.max_lesson: unknown key for plugin "
                 "'learned' (did you mean 'max_lessons'?)");
    expect_error("{\"plugins\": [{\"name\": \"echo\", \"config\": "
                 "{\"window_minute\": 5}}]}",
                 "(did you mean 'window_minutes'?)");
    expect_error("{\"plugins\": [{\"name\": \"coach\", \"config\": "
                 "{\"emoji_maximum\": 5}}]}",
                 "plugins[0].config.emoji_maximum: unknown key for plugin "
                 "'coach'");
    /* the instance's name, as the configuration gives it */
    expect_error("{\"plugins\": [{\"name\": \"strict\", \"file\": "
                 "\"example.so\", \"config\": {\"colour\": 1}}]}",
                 "plugins[0].config.colour: unknown key for plugin 'strict'");
    /* more elements than the plugin takes are not silently dropped */
    expect_error("{\"plugins\": [{\"name\": \"example\", \"config\": "
                 "{\"markers\": [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\","
                 "\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\","
                 "\"q\"]}}]}",
                 "plugins[0].config.markers[16]: not used by plugin "
                 "'example'");
    /* a plugin built for ABI 1.0 is checked the same way */
    expect_error("{\"plugins\": [{\"name\": \"frozen\", \"file\": "
                 "\"frozen_v1_0.so\", \"config\": {\"word\": \"x\", "
                 "\"wrod\": \"y\"}}]}",
                 "plugins[0].config.wrod: unknown key for plugin 'frozen' "
                 "(did you mean 'word'?)");
    /* what is read, and comments, are fine */
    expect_ok("{\"plugins\": [{\"name\": \"example\", \"config\": "
              "{\"// why\": \"placeholders of our templates\", \"score\": "
              "0.8, \"markers\": [\"TBD\"]}}, {\"name\": \"backstage\", "
              "\"config\": {\"family_weights\": {\"gossip\": 0}, \"bias\": "
              "0.5, \"cache_dir\": \"\"}}]}");
}
END_TEST

START_TEST(a_plugin_reading_its_block_whole_declares_its_keys)
{
    expect_ok("{\"plugins\": [{\"name\": \"whole\", \"config\": {\"rules\": "
              "[1, {\"a\": 2}], \"options\": {\"depth\": 3}, \"verbose\": "
              "true}}]}");
    expect_error("{\"plugins\": [{\"name\": \"whole\", \"config\": "
                 "{\"rulez\": []}}]}",
                 "plugins[0].config.rulez: unknown key for plugin 'whole' "
                 "(did you mean 'rules'?)");
    expect_error("{\"plugins\": [{\"name\": \"whole\", \"config\": "
                 "{\"options\": {\"depht\": 3}}}]}",
                 "plugins[0].config.options.depht: unknown key for plugin "
                 "'whole' (did you mean 'depth'?)");
    /* one that reads it whole and declares nothing is not judged */
    expect_ok("{\"plugins\": [{\"name\": \"probe\", \"config\": "
              "{\"read_whole\": true, \"anything\": 1}}]}");
    expect_error("{\"plugins\": [{\"name\": \"probe\", \"config\": "
                 "{\"anything\": 1}}]}",
                 "plugins[0].config.anything: unknown key for plugin "
                 "'probe'");
}
END_TEST

START_TEST(a_label_rule_no_plugin_reports_is_an_error)
{
#define PL(rule)                                                               \
    "{\"plugins\": [\"example\", \"backstage\", \"coach\"], \"policy\": "      \
    "{\"labels\": {" rule "}}}"
    expect_error(PL("\"backstage.derogatry\": \"hold\""),
                 "policy.labels.\"backstage.derogatry\": no plugin reports "
                 "this label (did you mean 'backstage.derogatory'?)");
    expect_error(PL("\"bakstage.*\": \"hold\""),
                 "policy.labels.\"bakstage.*\": no plugin reports this label "
                 "(did you mean 'backstage.*'?)");
    expect_error(PL("\"missing_apolgy\": \"hold\""),
                 "(did you mean 'missing_apology'?)");
    expect_error(PL("\"learned.backstage\": {\"hold\": 0.7}"),
                 "policy.labels.\"learned.backstage\": no plugin reports "
                 "this label");
    expect_error(PL("\"pokerface.plugin_eror\": \"block\""),
                 "policy.labels.\"pokerface.plugin_eror\": pokerface reports "
                 "no such label of its own (did you mean "
                 "'pokerface.plugin_error'?)");
    expect_ok(PL("\"backstage.derogatory\": {\"hold\": 0.5}, "
                 "\"backstage.*\": \"hold\", \"example.placeholder\": "
                 "\"block\", \"condescension\": \"hold\", \"pokerface.*\": "
                 "\"block\", \"pokerface.plugin_timeout\": \"block\""));
#undef PL
    /* a plugin that is switched off keeps its rules */
    expect_ok("{\"plugins\": [\"example\", {\"name\": \"learned\", "
              "\"enabled\": false}], \"policy\": {\"labels\": "
              "{\"learned.backstage\": \"hold\"}}}");
    /* a plugin that declares no labels may report any: only the
       namespaces of those that do are judged */
    expect_ok("{\"plugins\": [\"example\", {\"name\": \"probe\", \"config\": "
              "{\"label\": \"custom.thing\"}}], \"policy\": {\"labels\": "
              "{\"custom.thing\": \"block\", \"probe.*\": \"hold\"}}}");
    expect_error("{\"plugins\": [\"example\", \"probe\"], \"policy\": "
                 "{\"labels\": {\"example.placeholdr\": \"block\"}}}",
                 "(did you mean 'example.placeholder'?)");
    /* declared families ("whole.more.*") */
    expect_ok("{\"plugins\": [\"whole\"], \"policy\": {\"labels\": "
              "{\"whole.more.x\": \"hold\", \"whole.*\": \"note\"}}}");
    expect_error("{\"plugins\": [\"whole\"], \"policy\": {\"labels\": "
                 "{\"whole.mroe.x\": \"hold\"}}}",
                 "no plugin reports this label");
}
END_TEST

/* the labels each shipped plugin reports on real text */
static int
declared(const struct pf_pipeline *pl, const char *plugin, const char *label)
{
    for (size_t i = 0; i < pl->n_libs; i++) {
        const struct pf_plugin *p = &pl->libs[i].p;
        if (strcmp(p->name, plugin) != 0)
            continue;
        for (size_t k = 0; p->labels && p->labels[k]; k++) {
            size_t n = strlen(p->labels[k]);
            if (!strcmp(p->labels[k], label) ||
                (p->labels[k][n - 1] == '*' &&
                 !strncmp(p->labels[k], label, n - 1)))
                return 1;
        }
        return 0;
    }
    return 0;
}

START_TEST(shipped_plugins_declare_every_label_they_report)
{
    struct tu_engine t;
    static const char *const files[] = {
        "config/training/messages.seed-a.jsonl",
        "config/training/messages.seed-b.jsonl",
        "config/training/conversations.seed-a.jsonl"};
    size_t n_found = 0;
    tu_engine_open(&t,
                   "{\"plugins\": [\"example\", \"backstage\", \"learned\", "
                   "\"echo\", \"coach\"]}",
                   g_dir);
    for (size_t fi = 0; fi < PF_ARRAY_LEN(files); fi++) {
        size_t n;
        char *data = tu_read(files[fi], &n);
        for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
            json_t *o = json_loads(line, 0, NULL);
            const char *text = json_string_value(json_object_get(o, "text"));
            const char *reply = json_string_value(json_object_get(o, "reply"));
            const char *cust =
                json_string_value(json_object_get(o, "customer"));
            struct pf_result r;
            if (text)
                tu_check(&t, text, &r);
            else if (reply && cust)
                tu_check_ctx(&t, reply, cust, &r);
            else
                r.n_found = 0;
            for (size_t k = 0; k < r.n_found; k++) {
                ck_assert_msg(
                    declared(t.e.pl, r.found[k].plugin, r.found[k].f.label),
                    "plugin '%s' reported '%s', which it does not declare",
                    r.found[k].plugin, r.found[k].f.label);
                n_found++;
            }
            json_decref(o);
        }
        free(data);
    }
    ck_assert_uint_gt(n_found, 100);
    tu_engine_close(&t);
}
END_TEST

Suite *
suite_confcheck(void)
{
    Suite *s = suite_create("confcheck");
    TCase *tc = tcase_create("confcheck");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_key_no_plugin_reads_is_an_error);
    tcase_add_test(tc, a_plugin_reading_its_block_whole_declares_its_keys);
    tcase_add_test(tc, a_label_rule_no_plugin_reports_is_an_error);
    tcase_add_test(tc, shipped_plugins_declare_every_label_they_report);
    suite_add_tcase(s, tc);
    return s;
}
