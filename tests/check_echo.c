/*
 * check_echo.c - the echo plugin: a reply that repeats backstage talk is
 * held with the echoed words and who said them when; the customer's own
 * words, quoted wording, drafts, other routes and old talk are not echoes.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/util.h"
#include "rules/pipeline.h"
#include "testutil.h"

#define CFG                                                                    \
    "{\"ui_language\": \"en\", \"plugins\": [{\"name\": \"echo\", "            \
    "\"config\": {\"window_messages\": "                                       \
    "%d}}], \"policy\": {\"labels\": {\"echo.backstage\": \"hold\"}}}"

static struct tu_engine eng;

static void
open_window(int window)
{
    char json[512];
    snprintf(json, sizeof(json), CFG, window);
    tu_engine_open(&eng, json, NULL);
}

static void
setup(void)
{
    open_window(200);
}

static void
teardown(void)
{
    tu_engine_close(&eng);
}

/* show the plugin a message said in route's internal room (or by the
   customer), ago_min minutes ago */
static void
said(const char *route, const char *who, const char *text, uint32_t flags,
     int ago_min)
{
    const struct pf_msg *m;
    char err[256];
    struct pf_input in = {0};
    in.text = text;
    in.len = strlen(text);
    in.author_id = who;
    in.author_name = who;
    in.route = route;
    in.flags = flags;
    in.ts_ms = pf_wall_us() / 1000 - (int64_t)ago_min * 60000;
    ck_assert_int_eq(pf_engine_prepare(&eng.e, &in, &m, err, sizeof(err)),
                     PF_OK);
    pf_pipeline_observe(eng.e.pl, m);
}

static void
backstage(const char *route, const char *who, const char *text)
{
    said(route, who, text, PF_MSG_BACKSTAGE, 0);
}

static const struct pf_found *
reply(const char *route, const char *text, struct pf_result *r)
{
    char err[256];
    struct pf_input in = {0};
    in.text = text;
    in.len = strlen(text);
    in.author_id = "agent";
    in.route = route;
    ck_assert_int_eq(pf_engine_check(&eng.e, &in, r, err, sizeof(err)), PF_OK);
    return tu_find(r, "echo.backstage");
}

START_TEST(test_echo_held_with_words_name_and_time)
{
    const char *note = "asiakas on taas ihan pihalla koko jutusta, "
                       "ei osaa edes kirjautua";
    const char *text = "Hei! Asiakkaalle: on taas ihan pihalla koko jutusta. "
                       "Palaan asiaan.";
    backstage("r1", "Sanna", note);
    struct pf_result r;
    const struct pf_found *f = reply("r1", text, &r);
    ck_assert_msg(f, "no echo");
    ck_assert_int_eq(r.action, PF_ACT_HOLD);
    ck_assert_msg(strstr(f->f.reason, "this echoes what Sanna said internally "
                                      "at "),
                  "%s", f->f.reason);
    /* the time as HH:MM, now in local time */
    char hhmm[8];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    snprintf(hhmm, sizeof(hhmm), "%02d:%02d", tm.tm_hour, tm.tm_min);
    ck_assert_msg(strstr(f->f.reason, hhmm), "%s (want %s)", f->f.reason, hhmm);
    /* the span: the echoed words as typed, from the first to the last */
    ck_assert_msg(tu_span_is(&r, text,
                             "Asiakkaalle: on taas ihan pihalla "
                             "koko jutusta"),
                  "span %u+%u", f->f.spans[0].off, f->f.spans[0].len);
    ck_assert_uint_eq(f->f.n_spans, 1);
}
END_TEST

START_TEST(test_finnish_reason)
{
    tu_engine_close(&eng);
    char json[512];
    snprintf(json, sizeof(json),
             "{\"ui_language\": \"fi\", \"plugins\": [\"echo\"]}");
    tu_engine_open(&eng, json, NULL);
    backstage("r1", "Mikko",
              "this guy has called five times today about "
              "the same printer");
    struct pf_result r;
    const struct pf_found *f = reply(
        "r1", "You have called five times today about the same printer", &r);
    ck_assert_msg(f, "no echo");
    ck_assert_msg(strstr(f->f.reason, "toistaa, mitä Mikko kirjoitti "
                                      "sisäiseen kanavaan klo "),
                  "%s", f->f.reason);
}
END_TEST

START_TEST(test_other_route_and_unrelated)
{
    backstage("r1", "Sanna", "asiakas on taas ihan pihalla koko jutusta");
    struct pf_result r;
    ck_assert(!reply("r2", "asiakas on taas ihan pihalla koko jutusta", &r));
    ck_assert(!reply("r1",
                     "Kiitos viestistä, tilaus on matkalla ja perillä "
                     "torstaina.",
                     &r));
}
END_TEST

START_TEST(test_customer_words_are_not_an_echo)
{
    said("r1", "Laura", "my router keeps blinking red every single morning",
         PF_MSG_CUSTOMER, 0);
    backstage("r1", "Sanna",
              "she says her router keeps blinking red every "
              "single morning lol");
    struct pf_result r;
    const struct pf_found *f = reply(
        "r1",
        "Sorry to hear your router keeps blinking red every single morning!",
        &r);
    ck_assert_msg(!f, "%s", f ? f->f.reason : "");
}
END_TEST

START_TEST(test_quoted_wording_and_drafts)
{
    backstage("r1", "Sanna",
              "@Mikko tell her: \"the parcel ships on Monday "
              "morning from Vantaa\"");
    backstage("r1", "Mikko",
              "Hi Laura, your refund was approved today and "
              "reaches your account in three days");
    struct pf_result r;
    const struct pf_found *f =
        reply("r1", "The parcel ships on Monday morning from Vantaa.", &r);
    ck_assert_msg(!f, "quoted wording: %s", f ? f->f.reason : "");
    f = reply("r1",
              "Hi Laura, your refund was approved today and reaches your "
              "account in three days",
              &r);
    ck_assert_msg(!f, "draft: %s", f ? f->f.reason : "");
    /* but the unquoted part of the same message is remembered */
    backstage("r1", "Sanna",
              "she has been rude to every single one of us "
              "\"but ok\"");
    ck_assert(reply("r1", "You have been rude to every single one of us", &r));
}
END_TEST

START_TEST(test_a_few_shared_words_are_not_an_echo)
{
    backstage("r1", "Sanna", "can you check the order status");
    struct pf_result r;
    const struct pf_found *f =
        reply("r1",
              "I will check the order status right away and get back to you "
              "within the hour.",
              &r);
    ck_assert_msg(!f, "%s", f ? f->f.reason : "");
    /* a long run is an echo however long the reply */
    backstage("r1", "Sanna",
              "honestly I think he broke it himself and now "
              "wants a new one for free");
    f = reply("r1",
              "Thank you for waiting. We looked at the photos, and honestly "
              "I think he broke it himself and now wants a new one, so the "
              "warranty does not apply in this case, sorry.",
              &r);
    ck_assert(f);
}
END_TEST

START_TEST(test_window)
{
    tu_engine_close(&eng);
    open_window(2);
    struct pf_result r;
    backstage("r1", "Sanna", "tää tyyppi soittaa joka aamu samasta asiasta");
    backstage("r1", "Sanna", "toinen viesti joka ei liity mihinkään");
    ck_assert(reply("r1", "tää tyyppi soittaa joka aamu samasta asiasta", &r));
    backstage("r1", "Sanna", "kolmas viesti joka työntää ensimmäisen pois");
    ck_assert(!reply("r1", "tää tyyppi soittaa joka aamu samasta asiasta", &r));
    /* older than window_minutes (120): history, not a window */
    said("r1", "Sanna", "vanha juttu asiakkaasta joka ei osaa lukea",
         PF_MSG_BACKSTAGE, 180);
    ck_assert(!reply("r1", "vanha juttu asiakkaasta joka ei osaa lukea", &r));
}
END_TEST

START_TEST(test_many_routes)
{
    char route[32];
    struct pf_result r;
    for (int i = 0; i < 100; i++) {
        snprintf(route, sizeof(route), "route-%d", i);
        backstage(route, "Sanna", "asiakas on taas ihan pihalla koko jutusta");
    }
    /* the most recent routes are remembered, the oldest forgotten */
    ck_assert(
        reply("route-99", "asiakas on taas ihan pihalla koko jutusta", &r));
    ck_assert(
        !reply("route-0", "asiakas on taas ihan pihalla koko jutusta", &r));
    /* and many messages in one route stay bounded and findable */
    for (int i = 0; i < 5000; i++) {
        char text[128];
        snprintf(text, sizeof(text), "viesti numero %d jossa on jotain %d", i,
                 i * 7);
        backstage("r1", "Sanna", text);
    }
    ck_assert(reply("r1", "viesti numero 4999 jossa on jotain 34993", &r));
    ck_assert(!reply("r1", "viesti numero 10 jossa on jotain 70", &r));
}
END_TEST

Suite *
suite_echo(void)
{
    Suite *s = suite_create("echo");
    TCase *tc = tcase_create("echo");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_echo_held_with_words_name_and_time);
    tcase_add_test(tc, test_finnish_reason);
    tcase_add_test(tc, test_other_route_and_unrelated);
    tcase_add_test(tc, test_customer_words_are_not_an_echo);
    tcase_add_test(tc, test_quoted_wording_and_drafts);
    tcase_add_test(tc, test_a_few_shared_words_are_not_an_echo);
    tcase_add_test(tc, test_window);
    tcase_add_test(tc, test_many_routes);
    suite_add_tcase(s, tc);
    return s;
}
