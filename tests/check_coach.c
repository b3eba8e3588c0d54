/*
 * check_coach.c - the coaching plugin on conversations written for these
 * tests: each label found when it should be, not when it should not, the
 * finding naming what it is about.
 */
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "testutil.h"

/* no policy: every finding must come out a note by itself */
#define CFG "{\"plugins\": [\"coach\"]}"

static struct tu_engine eng;

static void
setup(void)
{
    tu_engine_open(&eng, CFG, NULL);
}

static void
teardown(void)
{
    tu_engine_close(&eng);
}

/* the finding with label for this reply to this customer message, or NULL */
static const struct pf_found *
coach(const char *customer, const char *reply, const char *label,
      struct pf_result *r)
{
    tu_check_ctx(&eng, reply, customer, r);
    const struct pf_found *f = tu_find(r, label);
    if (f)
        ck_assert_msg(f->action == PF_ACT_NOTE, "%s is not a note: %s", label,
                      pf_action_name(f->action));
    return f;
}

static void
expect(const char *customer, const char *reply, const char *label)
{
    struct pf_result r;
    ck_assert_msg(coach(customer, reply, label, &r), "no %s for:\n  %s\n  %s",
                  label, customer, reply);
}

static void
expect_not(const char *customer, const char *reply, const char *label)
{
    struct pf_result r;
    const struct pf_found *f = coach(customer, reply, label, &r);
    ck_assert_msg(!f, "%s (%s) for:\n  %s\n  %s", label, f ? f->f.reason : "",
                  customer, reply);
}

START_TEST(missing_apology)
{
    const char *late = "The sofa was supposed to arrive on Monday and it "
                       "still hasn't come.";
    expect(late, "It will be delivered on Thursday morning.",
           "missing_apology");
    expect_not(late, "Sorry for the delay! It will be delivered on Thursday.",
               "missing_apology");
    expect_not(late, "We apologise for the wait; it arrives on Thursday.",
               "missing_apology");
    expect_not(late, "My apologies, it arrives on Thursday.",
               "missing_apology");
    /* "sorry" that apologises for nothing */
    expect(late, "No need to be sorry for asking! It arrives on Thursday.",
           "missing_apology");

    const char *wrong = "Sain väärän värisen sohvan, tilasin harmaan.";
    expect(wrong, "Harmaa sohva toimitetaan torstaina.", "missing_apology");
    expect_not(wrong, "Pahoittelut! Harmaa sohva toimitetaan torstaina.",
               "missing_apology");
    expect_not(wrong, "Anteeksi, meidän virheemme. Harmaa tulee torstaina.",
               "missing_apology");
    expect_not(wrong, "Olen todella pahoillani, harmaa tulee torstaina.",
               "missing_apology");
    expect_not(wrong, "Tosi ikävää! Harmaa sohva tulee torstaina.",
               "missing_apology");

    /* a plain question, or a question about a problem, is no complaint */
    expect_not("When does the sale end?", "The sale ends on Sunday.",
               "missing_apology");
    expect_not("Why can't I log in to the app?",
               "Passwords now need 12 characters; reset yours from the "
               "login page.",
               "missing_apology");
    /* nor a customer who apologises for asking */
    expect_not("Sorry to bother you, but is my order late?",
               "It ships today and arrives tomorrow.", "missing_apology");
}
END_TEST

START_TEST(unanswered_questions)
{
    struct pf_result r;
    const char *three = "How much is the spa day? Can I book for two? And is "
                        "there parking?";
    const struct pf_found *f = coach(three, "The spa day is €79 per person.",
                                     "unanswered_questions", &r);
    ck_assert_ptr_nonnull(f);
    /* the finding names the questions left unanswered, and only those */
    ck_assert_msg(strstr(f->f.reason, "Can I book for two?") &&
                      strstr(f->f.reason, "is there parking?") &&
                      !strstr(f->f.reason, "How much"),
                  "%s", f->f.reason);
    expect_not(three,
               "The spa day is €79 per person, you can book for two online, "
               "and there's free parking behind the hotel.",
               "unanswered_questions");

    /* two questions under one question mark */
    expect("Milloin kurssi alkaa ja paljonko se maksaa?", "Kurssi alkaa 3.9.",
           "unanswered_questions");
    expect_not("Milloin kurssi alkaa ja paljonko se maksaa?",
               "Kurssi alkaa 3.9. ja maksaa 120 euroa.",
               "unanswered_questions");
    expect("When does the course start, and can I pay in instalments?",
           "The course starts on 3 September.", "unanswered_questions");

    /* answered by the kind of answer: a time for "when" */
    expect_not("When will my refund come? And will I get an email?",
               "Tomorrow, and yes, you'll get a confirmation email.",
               "unanswered_questions");
    /* a yes/no question answered with its own verb */
    expect_not("Voiko lipun vaihtaa?", "Voi! Vaihdon voi tehdä sovelluksessa.",
               "unanswered_questions");
    /* a lone rhetorical question does not nag */
    expect_not("Paketti on taas myöhässä. Mitä ihmettä?",
               "Pahoittelut! Paketti on perillä huomenna aamupäivällä.",
               "unanswered_questions");
}
END_TEST

START_TEST(emoji_overuse)
{
    struct pf_result r;
    const char *reply = "Yay 🎉🎉 so happy for you 💖💖 enjoy ✨";
    const struct pf_found *f = coach("Thanks!", reply, "emoji_overuse", &r);
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(f->f.n_spans, 5); /* every emoji */
    ck_assert(tu_span_is(&r, reply, "🎉"));
    expect_not("Thanks!", "Happy to help 😊", "emoji_overuse");
    /* three hearts in a row is a wall */
    expect("Kiitos!", "Ole hyvä ❤️❤️❤️", "emoji_overuse");
    /* a customer who writes with emoji may get some back */
    expect_not("Kiitos!! 😍😍🎉🎉", "Ole hyvä! 😍🎉🎉🥳", "emoji_overuse");
}
END_TEST

START_TEST(condescension)
{
    struct pf_result r;
    const char *reply = "As I already told you, the form is on our website.";
    const struct pf_found *f =
        coach("Where is the return form?", reply, "condescension", &r);
    ck_assert_ptr_nonnull(f);
    ck_assert(tu_span_is(&r, reply, "As I already told"));
    expect("Miten nollaan reitittimen?",
           "Kuten jo aiemmin kerroin, paina reset-nappia.", "condescension");
    expect("Miten nollaan reitittimen?",
           "Ei se ole kovin vaikeaa: paina reset-nappia.", "condescension");
    expect("How do I reset the router?",
           "Obviously you press the reset button.", "condescension");
    /* agreeing on what was agreed is not talking down */
    expect_not("As agreed on the phone, here are the photos.",
               "Thanks! As we agreed, I'll process the claim today.",
               "condescension");
    expect_not("How do I reset the router?",
               "Press the reset button for ten seconds.", "condescension");
}
END_TEST

/* the action a configuration gives the reply, and coach's score for label */
static int
action_with(const char *json, const char *customer, const char *reply,
            const char *label, float *score)
{
    struct tu_engine e;
    struct pf_result r;
    tu_engine_open(&e, json, NULL);
    tu_check_ctx(&e, reply, customer, &r);
    const struct pf_found *f = tu_find(&r, label);
    ck_assert_msg(f, "no %s for: %s", label, reply);
    *score = f->f.score;
    int action = f->action;
    tu_engine_close(&e);
    return action;
}

/* Coaching is a tip whatever the policy: without policy.labels the
   clearest finding is a note; a team that wants it held says so. */
START_TEST(note_by_default)
{
    const char *customer = "My order is a week late. Where is it?";
    const char *reply = "As I already told you, obviously it ships when "
                        "it ships. Read the FAQ next time 😂😂😂😂😂😂";
    static const char *const labels[] = {"condescension", "missing_apology",
                                         "emoji_overuse"};
    float score;
    for (size_t i = 0; i < sizeof(labels) / sizeof(*labels); i++) {
        ck_assert_int_eq(action_with(CFG, customer, reply, labels[i], &score),
                         PF_ACT_NOTE);
        ck_assert_msg(score <= 0.55f, "%s %.2f", labels[i], score);
    }
    ck_assert_int_eq(action_with("{\"plugins\": [\"coach\"], \"policy\": "
                                 "{\"labels\": {\"condescension\": "
                                 "\"hold\"}}}",
                                 customer, reply, "condescension", &score),
                     PF_ACT_HOLD);
    /* max_score lets findings reach the hold threshold */
    ck_assert_int_eq(action_with("{\"plugins\": [{\"name\": \"coach\", "
                                 "\"config\": {\"max_score\": 0.9}}]}",
                                 customer, reply, "condescension", &score),
                     PF_ACT_HOLD);
    ck_assert_float_gt(score, 0.6f);
}
END_TEST

START_TEST(config_errors)
{
    struct pf_config c;
    struct pf_engine e;
    char err[512];
    ck_assert_int_eq(tu_config(&c,
                               "{\"plugins\": [{\"name\": \"coach\", "
                               "\"config\": {\"emoji_max\": \"many\"}}]}",
                               NULL, err, sizeof(err)),
                     0);
    ck_assert_int_ne(pf_engine_open(&e, &c, NULL, err, sizeof(err)), 0);
    ck_assert_msg(strstr(err, "emoji_max"), "%s", err);
    pf_config_release(&c);
    ck_assert_int_eq(tu_config(&c,
                               "{\"plugins\": [{\"name\": \"coach\", "
                               "\"config\": {\"max_score\": 1.5}}]}",
                               NULL, err, sizeof(err)),
                     0);
    ck_assert_int_ne(pf_engine_open(&e, &c, NULL, err, sizeof(err)), 0);
    ck_assert_msg(strstr(err, "max_score"), "%s", err);
    pf_config_release(&c);
}
END_TEST

Suite *
suite_coach(void)
{
    Suite *s = suite_create("coach");
    TCase *tc = tcase_create("coach");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, missing_apology);
    tcase_add_test(tc, unanswered_questions);
    tcase_add_test(tc, emoji_overuse);
    tcase_add_test(tc, condescension);
    tcase_add_test(tc, note_by_default);
    tcase_add_test(tc, config_errors);
    suite_add_tcase(s, tc);
    return s;
}
