/*
 * check_example.c - the template plugin: leftover placeholders and marker
 * words hold a reply; ordinary brackets, percentages and links do not.
 */
#include <string.h>

#include "testutil.h"

#define CFG                                                                    \
    "{\"plugins\": [{\"name\": \"example\", \"config\": {\"markers\": "        \
    "[\"XXX\", \"TODO\"]}}]}"

START_TEST(placeholders_hold)
{
    static const char *const held[][2] = {
        {"Hi [NAME], your order has shipped.", "[NAME]"},
        {"Tilauksesi {{order_id}} on matkalla.", "{{order_id}}"},
        {"Dear {first_name}, thanks!", "{first_name}"},
        {"Hei <asiakkaan nimi>, kiitos viestistä", "<asiakkaan nimi>"},
        {"Your code is %DISCOUNT_CODE%.", "%DISCOUNT_CODE%"},
        {"The refund of XXX euros is on its way", "XXX"},
        {"TODO add the tracking link", "TODO"},
    };
    struct tu_engine t;
    struct pf_result r;
    tu_engine_open(&t, CFG, NULL);
    for (size_t i = 0; i < sizeof(held) / sizeof(held[0]); i++) {
        ck_assert_msg(tu_check(&t, held[i][0], &r) == PF_ACT_HOLD, "%s",
                      held[i][0]);
        ck_assert_msg(tu_span_is(&r, held[i][0], held[i][1]), "span in %s",
                      held[i][0]);
        ck_assert_ptr_nonnull(tu_find(&r, "example.placeholder"));
    }
    /* the reason speaks the message's language */
    tu_check(&t, "Hei [NIMI], tilauksesi on nyt matkalla ja se on perillä", &r);
    ck_assert_msg(strstr(r.found[0].f.reason, "täyttämätön"), "%s",
                  r.found[0].f.reason);
    tu_engine_close(&t);
}
END_TEST

START_TEST(ordinary_text_passes)
{
    static const char *const passed[] = {
        "Step [1/2] is done, see the guide [here](https://x.fi).",
        "We give 10% off, and 20% more for members.",
        "Check the box [ ] to confirm, and use <3 freely",
        "xxx hugs from the team", /* marker words match as typed */
        "todo list app is updated",
    };
    struct tu_engine t;
    struct pf_result r;
    tu_engine_open(&t, CFG, NULL);
    for (size_t i = 0; i < sizeof(passed) / sizeof(passed[0]); i++)
        ck_assert_msg(tu_check(&t, passed[i], &r) == PF_ACT_PASS, "%s",
                      passed[i]);
    tu_engine_close(&t);
}
END_TEST

START_TEST(bad_config_is_refused)
{
    struct pf_config c;
    struct pf_pipeline *pl;
    char err[512];
    ck_assert_int_eq(tu_config(&c,
                               "{\"plugins\": [{\"name\": \"example\", "
                               "\"config\": {\"score\": \"high\"}}]}",
                               NULL, err, sizeof(err)),
                     0);
    ck_assert_int_ne(pf_pipeline_open(&pl, &c, NULL, err, sizeof(err)), 0);
    ck_assert_msg(strstr(err, "config.score: expected a number"), "%s", err);
    pf_config_release(&c);
}
END_TEST

Suite *
suite_example(void)
{
    Suite *s = suite_create("example");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, placeholders_hold);
    tcase_add_test(tc, ordinary_text_passes);
    tcase_add_test(tc, bad_config_is_refused);
    suite_add_tcase(s, tc);
    return s;
}
