/*
 * check_policy.c - from findings to one action: thresholds, per-label
 * rules, prefix rules, and the floor for pokerface.* labels.
 */
#include <stdio.h>
#include <string.h>

#include "core/policy.h"
#include "testutil.h"

static struct pf_found
found(const char *label, float score)
{
    struct pf_found f;
    memset(&f, 0, sizeof(f));
    f.plugin = "t";
    f.f.score = score;
    snprintf(f.f.label, sizeof(f.f.label), "%s", label);
    return f;
}

static struct pf_policy
policy(struct pf_label_rule *rules, size_t n)
{
    struct pf_policy p = {0.3, 0.6, 50, rules, n};
    return p;
}

START_TEST(thresholds)
{
    struct pf_policy p = policy(NULL, 0);
    struct pf_found f[3] = {found("a.x", 0.1f), found("a.y", 0.45f),
                            found("a.z", 0.7f)};
    float score;
    ck_assert_int_eq(pf_policy_decide(&p, f, 1, &score), PF_ACT_PASS);
    ck_assert_int_eq(f[0].action, PF_ACT_PASS);
    ck_assert_int_eq(pf_policy_decide(&p, f, 2, &score), PF_ACT_NOTE);
    ck_assert_int_eq(f[1].action, PF_ACT_NOTE);
    ck_assert_int_eq(pf_policy_decide(&p, f, 3, &score), PF_ACT_HOLD);
    ck_assert_float_eq_tol(score, 0.7f, 1e-6);
    ck_assert_int_eq(pf_policy_decide(&p, NULL, 0, &score), PF_ACT_PASS);
    ck_assert_float_eq(score, 0);
}
END_TEST

START_TEST(label_rules)
{
    struct pf_label_rule r[] = {
        {"backstage.profanity", PF_ACT_BLOCK, -1, -1},
        {"coach.*", PF_ACT_NOTE, -1, -1},
        {"coach.special.*", PF_ACT_UNSET, 0.1, 0.2},
        {"quiet", PF_ACT_PASS, -1, -1},
    };
    struct pf_policy p = policy(r, 4);
    struct pf_found f = found("backstage.profanity", 0.35f);
    ck_assert_int_eq(pf_policy_decide(&p, &f, 1, NULL), PF_ACT_BLOCK);
    f = found("backstage.profanity", 0.1f); /* below note: not at all */
    ck_assert_int_eq(pf_policy_decide(&p, &f, 1, NULL), PF_ACT_PASS);
    f = found("coach.apology", 0.99f); /* coaching never holds */
    ck_assert_int_eq(pf_policy_decide(&p, &f, 1, NULL), PF_ACT_NOTE);
    f = found("coach.special.x", 0.25f); /* longer prefix, own thresholds */
    ck_assert_int_eq(pf_policy_decide(&p, &f, 1, NULL), PF_ACT_HOLD);
    f = found("quiet", 0.9f);
    ck_assert_int_eq(pf_policy_decide(&p, &f, 1, NULL), PF_ACT_PASS);
    f = found("coach", 0.9f); /* "coach.*" needs something after the dot */
    ck_assert_int_eq(pf_policy_decide(&p, &f, 1, NULL), PF_ACT_HOLD);
    ck_assert_ptr_eq(pf_policy_rule(&p, "coach.special.y"), &r[2]);
}
END_TEST

START_TEST(most_severe_wins)
{
    struct pf_label_rule r[] = {{"x.block", PF_ACT_BLOCK, -1, -1}};
    struct pf_policy p = policy(r, 1);
    struct pf_found f[3] = {found("a", 0.4f), found("x.block", 0.5f),
                            found("b", 0.9f)};
    float score;
    ck_assert_int_eq(pf_policy_decide(&p, f, 3, &score), PF_ACT_BLOCK);
    ck_assert_int_eq(f[0].action, PF_ACT_NOTE);
    ck_assert_int_eq(f[2].action, PF_ACT_HOLD);
    ck_assert_float_eq_tol(score, 0.9f, 1e-6);
}
END_TEST

START_TEST(pokerface_labels_never_fail_open)
{
    /* even a config that tries to pass plugin failures holds them */
    struct pf_label_rule r[] = {{"pokerface.*", PF_ACT_PASS, 0.99, 0.99}};
    struct pf_policy p = policy(r, 1);
    struct pf_found f = found("pokerface.plugin_error", 1.0f);
    ck_assert_int_eq(pf_policy_decide(&p, &f, 1, NULL), PF_ACT_HOLD);
    f = found("pokerface.plugin_timeout", 0.5f);
    ck_assert_int_eq(pf_policy_decide(&p, &f, 1, NULL), PF_ACT_HOLD);
    /* but a block stays a block */
    struct pf_label_rule rb[] = {{"pokerface.*", PF_ACT_BLOCK, -1, -1}};
    p = policy(rb, 1);
    f = found("pokerface.plugin_error", 1.0f);
    ck_assert_int_eq(pf_policy_decide(&p, &f, 1, NULL), PF_ACT_BLOCK);
}
END_TEST

Suite *
suite_policy(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, thresholds);
    tcase_add_test(tc, label_rules);
    tcase_add_test(tc, most_severe_wins);
    tcase_add_test(tc, pokerface_labels_never_fail_open);
    suite_add_tcase(s, tc);
    return s;
}
