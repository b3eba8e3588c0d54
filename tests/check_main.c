/*
 * check_main.c - runs every Check suite. CK_RUN_SUITE / CK_RUN_CASE select
 * parts; the exit status is non-zero when any test failed.
 */
#include <sodium.h>
#include <stdlib.h>

#include "testutil.h"

int
main(void)
{
    if (sodium_init() < 0)
        return EXIT_FAILURE;
    SRunner *sr = srunner_create(suite_text());
    srunner_add_suite(sr, suite_segment());
    srunner_add_suite(sr, suite_config());
    srunner_add_suite(sr, suite_policy());
    srunner_add_suite(sr, suite_loader());
    srunner_add_suite(sr, suite_pipeline());
    srunner_add_suite(sr, suite_confcheck());
    srunner_add_suite(sr, suite_worker());
    srunner_add_suite(sr, suite_example());
    srunner_add_suite(sr, suite_backstage());
    srunner_add_suite(sr, suite_coach());
    srunner_add_suite(sr, suite_learned());
    srunner_add_suite(sr, suite_echo());
    srunner_add_suite(sr, suite_journal());
    srunner_add_suite(sr, suite_state());
    srunner_add_suite(sr, suite_xmpp_wire());
    srunner_add_suite(sr, suite_catchup());
    srunner_add_suite(sr, suite_idset());
    srunner_add_suite(sr, suite_log());
    srunner_add_suite(sr, suite_display());
    srunner_add_suite(sr, suite_mattermost());
    srunner_add_suite(sr, suite_slack());
    srunner_add_suite(sr, suite_relay());
    srunner_add_suite(sr, suite_hostile());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
