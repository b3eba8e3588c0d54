/*
 * check_loader.c - every way a plugin can fail to load gives its own clear
 * error: each case has a fixture plugin (tests/fixtures/plugins) built by
 * make check. Also: the frozen ABI 1.0 plugin loads and works.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "rules/loader.h"
#include "rules/pipeline.h"
#include "testutil.h"

/* open a pipeline on the fixture directory; return rc and the error */
static int
open_fixtures(const char *plugins_json, const char *dir, char *err,
              size_t errlen)
{
    struct pf_config c;
    struct pf_pipeline *pl = NULL;
    char json[2048];
    snprintf(json, sizeof(json), "{\"plugins\": %s}", plugins_json);
    int rc = tu_config(&c, json, dir ? dir : tu_fixture_dir(), err, errlen);
    if (rc)
        return rc;
    rc = pf_pipeline_open(&pl, &c, NULL, err, errlen);
    pf_pipeline_free(pl);
    pf_config_release(&c);
    return rc;
}

static void
expect_load_error(const char *plugins_json, const char *want)
{
    char err[1024] = "";
    int rc = open_fixtures(plugins_json, NULL, err, sizeof(err));
    ck_assert_msg(rc != 0, "%s loaded", plugins_json);
    ck_assert_msg(strstr(err, want), "%s:\n  got  %s\n  want %s", plugins_json,
                  err, want);
}

START_TEST(good_plugin_loads)
{
    char err[1024] = "";
    ck_assert_msg(open_fixtures("[\"probe\"]", NULL, err, sizeof(err)) == 0,
                  "%s", err);
}
END_TEST

START_TEST(frozen_abi_1_0_plugin_loads_and_works)
{
    struct tu_engine t;
    struct pf_result r;
    tu_engine_open(&t,
                   "{\"plugins\": [{\"name\": \"frozen\", \"file\": "
                   "\"frozen_v1_0.so\", \"config\": {\"word\": \"ÄÄLIÖ\"}}]}",
                   tu_fixture_dir());
    tu_check(&t, "tää ääliö taas", &r);
    const struct pf_found *f = tu_find(&r, "frozen.hit");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(f->plugin, "frozen");
    ck_assert(tu_span_is(&r, "tää ääliö taas", "ääliö"));
    tu_engine_close(&t);
}
END_TEST

START_TEST(file_not_found)
{
    /* config validation catches it first, with a suggestion */
    expect_load_error("[\"prob\"]", "unknown plugin 'prob'");
    expect_load_error("[\"prob\"]", "did you mean 'probe'");
    /* and the loader itself, should the file vanish in between */
    struct pf_loaded lp;
    char err[512];
    ck_assert_int_eq(
        pf_loader_open(&lp, tu_fixture_dir(), "gone.so", err, sizeof(err)),
        PF_ENOTFOUND);
    ck_assert_msg(strstr(err, "gone.so': no such file"), "%s", err);
    ck_assert_int_ne(
        pf_loader_open(&lp, tu_fixture_dir(), "../probe.so", err, sizeof(err)),
        0);
    ck_assert_msg(strstr(err, "must be a file name"), "%s", err);
}
END_TEST

START_TEST(not_a_plugin)
{
    expect_load_error("[\"nosym\"]",
                      "not a pokerface plugin (no pf_plugin_entry_v1 symbol");
    /* a file that is not a shared object at all */
    char *dir = tu_tmpdir();
    char *so = pf_path_join(dir, "junk.so");
    FILE *f = fopen(so, "w");
    fputs("this is not ELF\n", f);
    fclose(f);
    chmod(so, 0644);
    char err[1024];
    ck_assert_int_ne(open_fixtures("[\"junk\"]", dir, err, sizeof(err)), 0);
    ck_assert_msg(strstr(err, "cannot load") && strstr(err, "junk.so"), "%s",
                  err);
    tu_rmrf(dir);
    free(dir);
    free(so);
}
END_TEST

START_TEST(wrong_abi_major)
{
    expect_load_error("[\"v2\"]", "built for plugin ABI 2, but this "
                                  "pokerface speaks ABI 1");
    expect_load_error("[\"badmajor\"]", "wrong ABI major 2");
}
END_TEST

START_TEST(newer_minor)
{
    char want[128];
    snprintf(want, sizeof(want),
             "built for plugin ABI %d.%d, newer than this pokerface (%d.%d); "
             "upgrade pokerface",
             PF_ABI_MAJOR, PF_ABI_MINOR + 1, PF_ABI_MAJOR, PF_ABI_MINOR);
    expect_load_error("[\"newminor\"]", want);
}
END_TEST

START_TEST(struct_too_small)
{
    expect_load_error("[\"smallsize\"]", "struct pf_plugin is 16 bytes");
}
END_TEST

START_TEST(missing_callbacks)
{
    expect_load_error("[\"nocheck\"]", "missing required callback 'check'");
    expect_load_error("[\"nullentry\"]", "pf_plugin_entry_v1() returned NULL");
}
END_TEST

START_TEST(bad_and_duplicate_names)
{
    expect_load_error("[\"badname\"]", "badname.so': invalid name");
    expect_load_error("[\"probe\", \"dupname\"]",
                      "duplicate plugin name 'probe' (already loaded from");
    /* two instances of one plugin under different names are fine */
    char err[1024] = "";
    ck_assert_msg(open_fixtures("[\"probe\", {\"name\": \"probe2\", \"file\": "
                                "\"probe.so\"}]",
                                NULL, err, sizeof(err)) == 0,
                  "%s", err);
}
END_TEST

START_TEST(create_failure_names_the_plugin)
{
    expect_load_error("[{\"name\": \"probe\", \"config\": {\"fail_create\": "
                      "\"cannot open lexicon 'x.txt'\"}}]",
                      "plugin 'probe' (");
    expect_load_error("[{\"name\": \"probe\", \"config\": {\"fail_create\": "
                      "\"cannot open lexicon 'x.txt'\"}}]",
                      "create failed: cannot open lexicon 'x.txt'");
}
END_TEST

START_TEST(writable_files_and_directories_refused)
{
    char *dir = tu_tmpdir();
    char *so = pf_path_join(dir, "probe.so");
    char *from = pf_path_join(tu_fixture_dir(), "probe.so");
    char err[1024];
    chmod(dir, 0755);
    tu_copy(from, so, 0666);
    ck_assert_int_ne(open_fixtures("[\"probe\"]", dir, err, sizeof(err)), 0);
    ck_assert_msg(strstr(err, "probe.so': writable by everyone (mode 666)"),
                  "%s", err);
    chmod(so, 0664);
    ck_assert_int_ne(open_fixtures("[\"probe\"]", dir, err, sizeof(err)), 0);
    ck_assert_msg(strstr(err, "writable by its group"), "%s", err);
    chmod(so, 0644);
    chmod(dir, 0777);
    ck_assert_int_ne(open_fixtures("[\"probe\"]", dir, err, sizeof(err)), 0);
    ck_assert_msg(strstr(err, "plugin directory") &&
                      strstr(err, "writable by everyone"),
                  "%s", err);
    chmod(dir, 0755);
    ck_assert_msg(open_fixtures("[\"probe\"]", dir, err, sizeof(err)) == 0,
                  "%s", err);
    tu_rmrf(dir);
    free(dir), free(so), free(from);
}
END_TEST

/* {"name": "evil", "file": "link.so"} with link.so pointing out of the
   plugin directory is refused; a link within it is fine */
START_TEST(a_link_out_of_the_plugin_directory_is_refused)
{
    char *dir = tu_tmpdir(), *outside = tu_tmpdir();
    char *from = pf_path_join(tu_fixture_dir(), "probe.so");
    char *evil = pf_path_join(outside, "evil.so");
    char *link = pf_path_join(dir, "link.so");
    char *inside = pf_path_join(dir, "probe.so");
    char *alias = pf_path_join(dir, "alias.so");
    char err[1024];
    chmod(dir, 0755);
    chmod(outside, 0755);
    tu_copy(from, evil, 0644);
    ck_assert_int_eq(symlink(evil, link), 0);
    ck_assert_int_ne(open_fixtures("[{\"name\": \"evil\", \"file\": "
                                   "\"link.so\"}]",
                                   dir, err, sizeof(err)),
                     0);
    ck_assert_msg(strstr(err, "link.so': a link to '") &&
                      strstr(err, "evil.so', outside the plugin directory"),
                  "%s", err);
    /* relative, through .. */
    unlink(link);
    char *rel = pf_xasprintf("../%s/evil.so", strrchr(outside, '/') + 1);
    ck_assert_int_eq(symlink(rel, link), 0);
    ck_assert_int_ne(open_fixtures("[{\"name\": \"evil\", \"file\": "
                                   "\"link.so\"}]",
                                   dir, err, sizeof(err)),
                     0);
    ck_assert_msg(strstr(err, "outside the plugin directory"), "%s", err);
    /* to a file in the directory itself */
    tu_copy(from, inside, 0644);
    ck_assert_int_eq(symlink("probe.so", alias), 0);
    ck_assert_msg(open_fixtures("[{\"name\": \"probe\", \"file\": "
                                "\"alias.so\"}]",
                                dir, err, sizeof(err)) == 0,
                  "%s", err);
    tu_rmrf(dir);
    tu_rmrf(outside);
    free(rel), free(dir), free(outside), free(from), free(evil), free(link);
    free(inside), free(alias);
}
END_TEST

START_TEST(plugins_export_one_symbol)
{
    /* the shipped plugins are built hidden: no host symbols, no leaks */
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "nm -D --defined-only %s/plugins/backstage.so "
             "%s/plugins/example.so | grep -c ' T '",
             tu_build(), tu_build());
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    int n = 0;
    ck_assert_int_eq(fscanf(p, "%d", &n), 1);
    pclose(p);
    ck_assert_int_eq(n, 2);
}
END_TEST

Suite *
suite_loader(void)
{
    Suite *s = suite_create("loader");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, good_plugin_loads);
    tcase_add_test(tc, frozen_abi_1_0_plugin_loads_and_works);
    tcase_add_test(tc, file_not_found);
    tcase_add_test(tc, not_a_plugin);
    tcase_add_test(tc, wrong_abi_major);
    tcase_add_test(tc, newer_minor);
    tcase_add_test(tc, struct_too_small);
    tcase_add_test(tc, missing_callbacks);
    tcase_add_test(tc, bad_and_duplicate_names);
    tcase_add_test(tc, create_failure_names_the_plugin);
    tcase_add_test(tc, writable_files_and_directories_refused);
    tcase_add_test(tc, a_link_out_of_the_plugin_directory_is_refused);
    tcase_add_test(tc, plugins_export_one_symbol);
    suite_add_tcase(s, tc);
    return s;
}
