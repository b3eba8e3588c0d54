/*
 * check_main.c - runs every Check suite. CK_RUN_SUITE / CK_RUN_CASE select
 * parts; the exit status is non-zero when any test failed. What the code
 * under test logs (many tests provoke warnings on purpose) goes to a file,
 * not the terminal: its name is printed when a test failed, and it is
 * removed when none did. PF_TEST_STDERR=1 leaves stderr alone.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "testutil.h"

int
main(void)
{
    if (sodium_init() < 0)
        return EXIT_FAILURE;
    char log[4096] = "";
    if (!getenv("PF_TEST_STDERR")) {
        const char *tmp = getenv("TMPDIR");
        snprintf(log, sizeof(log), "%s/pf-check-stderr-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        int fd = mkstemp(log);
        if (fd < 0 || dup2(fd, 2) < 0) {
            perror("check_all: the tests' log");
            return EXIT_FAILURE;
        }
        close(fd);
    }
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
    srunner_add_suite(sr, suite_history());
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
    if (*log && failed)
        printf("what the tests logged (warnings they provoke among them): "
               "%s\n",
               log);
    else if (*log)
        unlink(log);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
