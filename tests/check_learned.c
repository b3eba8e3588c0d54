/*
 * check_learned.c - the learned classifier: what it holds and what it lets
 * through, the words it names, a damaged model refused with the reason,
 * and online learning that moves the score, persists, and stays bounded.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "rules/pipeline.h"
#include "testutil.h"

/* written for this test, not taken from any corpus */
#define REMARK "guess who is calling again, our favourite genius 🙄"
#define REPLY                                                                  \
    "Hi Laura, thank you for your message! Your order left our warehouse "     \
    "today and should arrive on Thursday."
#define REPLY_FI                                                               \
    "Hei Pekka, kiitos viestistäsi! Palautus on kirjattu ja rahat näkyvät " \
    "tililläsi parin päivän kuluessa."

static char model_path[4096];

static void
model_setup(void)
{
    snprintf(model_path, sizeof(model_path),
             "%s/share/pokerface/models/learned.model", tu_build());
}

/* the learned finding's score for text, or 0 when there is none */
static float
score_of(struct pf_engine *e, const char *text)
{
    struct pf_result r;
    char err[512];
    struct pf_input in = {0};
    in.text = text;
    in.len = strlen(text);
    in.author_id = "agent1";
    in.route = "r";
    ck_assert_int_eq(pf_engine_check(e, &in, &r, err, sizeof(err)), PF_OK);
    const struct pf_found *f = tu_find(&r, "learned.backstage");
    return f ? f->f.score : 0.0f;
}

START_TEST(test_remark_and_reply)
{
    struct tu_engine t;
    tu_engine_open(&t, "{\"plugins\": [\"learned\"]}", NULL);
    struct pf_result r;
    tu_check(&t, REMARK, &r);
    const struct pf_found *f = tu_find(&r, "learned.backstage");
    ck_assert_msg(f && f->f.score >= 0.9f, "remark scored %.2f",
                  f ? (double)f->f.score : 0.0);
    ck_assert_int_ge(f->f.n_spans, 1);
    ck_assert_msg(strstr(f->f.reason, "\""), "no words named: %s", f->f.reason);
    /* each span is a whole token of what was typed */
    for (size_t i = 0; i < f->f.n_spans; i++) {
        size_t off = f->f.spans[i].off, len = f->f.spans[i].len;
        ck_assert_uint_le(off + len, strlen(REMARK));
        ck_assert(len > 0 && REMARK[off] != ' ' &&
                  REMARK[off + len - 1] != ' ');
    }
    ck_assert_msg(score_of(&t.e, REPLY) < 0.5f, "reply scored %.2f",
                  (double)score_of(&t.e, REPLY));
    ck_assert_msg(score_of(&t.e, REPLY_FI) < 0.5f, "fi reply scored %.2f",
                  (double)score_of(&t.e, REPLY_FI));
    tu_engine_close(&t);
}
END_TEST

/* open the learned plugin on this model file; return rc, fill err */
static int
open_with_model(const char *path, char *err, size_t errlen)
{
    char json[8192];
    struct pf_config c;
    struct pf_engine e;
    snprintf(json, sizeof(json),
             "{\"plugins\": [{\"name\": \"learned\", \"config\": "
             "{\"model\": \"%s\"}}]}",
             path);
    ck_assert_int_eq(tu_config(&c, json, NULL, err, errlen), 0);
    int rc = pf_engine_open(&e, &c, NULL, err, errlen);
    if (rc == PF_OK)
        pf_engine_close(&e);
    pf_config_release(&c);
    return rc;
}

START_TEST(test_damaged_model)
{
    char *dir = tu_tmpdir(), path[4096], err[1024];
    size_t n;
    char *good = tu_read(model_path, &n);
    snprintf(path, sizeof(path), "%s/m.model", dir);

    tu_write(path, good, n);
    ck_assert_int_eq(open_with_model(path, err, sizeof(err)), PF_OK);

    tu_write(path, good, n / 2);
    ck_assert_int_ne(open_with_model(path, err, sizeof(err)), PF_OK);
    ck_assert_msg(strstr(err, "damaged") && strstr(err, "truncated"), "%s",
                  err);

    good[n / 2] ^= 0x10; /* a bit flipped in the weights */
    tu_write(path, good, n);
    good[n / 2] ^= 0x10;
    ck_assert_int_ne(open_with_model(path, err, sizeof(err)), PF_OK);
    ck_assert_msg(strstr(err, "checksum"), "%s", err);

    tu_write(path, "hello, world\n", 13);
    ck_assert_int_ne(open_with_model(path, err, sizeof(err)), PF_OK);
    ck_assert_msg(strstr(err, "not a pokerface model"), "%s", err);

    /* the feature version, after the magic and the file version */
    uint32_t fv = 999;
    memcpy(good + 12, &fv, 4);
    tu_write(path, good, n);
    ck_assert_int_ne(open_with_model(path, err, sizeof(err)), PF_OK);
    ck_assert_msg(strstr(err, "features 999") && strstr(err, "train it again"),
                  "%s", err);

    snprintf(path, sizeof(path), "%s/missing.model", dir);
    ck_assert_int_ne(open_with_model(path, err, sizeof(err)), PF_OK);
    ck_assert_msg(strstr(err, "missing.model"), "%s", err);
    free(good);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

struct learner {
    struct pf_config c;
    struct pf_engine e;
};

static void
learner_open(struct learner *l, const char *state, const char *cfg)
{
    char json[4096], err[512];
    /* every score shown: the operating point at its lowest */
    snprintf(json, sizeof(json),
             "{\"plugins\": [{\"name\": \"learned\", \"config\": "
             "{\"threshold\": 0.01%s%s}}]}",
             *cfg ? ", " : "", cfg);
    ck_assert_int_eq(tu_config(&l->c, json, NULL, err, sizeof(err)), 0);
    ck_assert_msg(pf_engine_open(&l->e, &l->c, state, err, sizeof(err)) ==
                      PF_OK,
                  "%s", err);
}

static void
learner_close(struct learner *l)
{
    pf_engine_close(&l->e);
    pf_config_release(&l->c);
}

/* the author (or who) decided kind about text */
static void
teach(struct learner *l, const char *text, int kind, const char *who)
{
    const struct pf_msg *m;
    char err[256];
    struct pf_input in = {0};
    in.text = text;
    in.len = strlen(text);
    in.author_id = "agent1";
    in.route = "r";
    ck_assert_int_eq(pf_engine_prepare(&l->e, &in, &m, err, sizeof(err)),
                     PF_OK);
    struct pf_decision d = {sizeof(d), (uint32_t)kind, who, 0, NULL, NULL, 0};
    pf_pipeline_learn(l->e.pl, m, &d);
}

START_TEST(test_learns_and_remembers)
{
    char *state = tu_tmpdir();
    struct learner l;
    umask(022); /* the usual one: the delta must not follow it */
    learner_open(&l, state, "\"max_lessons\": 1000");
    float before = score_of(&l.e, REMARK);
    for (int i = 0; i < 10; i++)
        teach(&l, REMARK, PF_DECIDE_SEND, "agent1");
    float after = score_of(&l.e, REMARK);
    ck_assert_msg(after < before - 0.05f, "%.3f -> %.3f", (double)before,
                  (double)after);
    /* a neighbour of the lesson moves too, a stranger to it hardly */
    learner_close(&l);
    /* what the team taught is theirs alone, whatever the umask */
    {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof(path), "%s/learned/learned.delta", state);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_msg((st.st_mode & 0777) == 0600, "learned.delta is %03o",
                      (unsigned)(st.st_mode & 0777));
    }

    learner_open(&l, state, "\"max_lessons\": 1000");
    float again = score_of(&l.e, REMARK);
    ck_assert_msg(again > after - 1e-4f && again < after + 1e-4f,
                  "not kept across a restart: %.4f, then %.4f", (double)after,
                  (double)again);
    /* the other way: dropped means it was backstage talk */
    for (int i = 0; i < 10; i++)
        teach(&l, REPLY, PF_DECIDE_DROP, "agent1");
    learner_close(&l);
    learner_open(&l, state, "\"max_lessons\": 1000");
    ck_assert_msg(score_of(&l.e, REPLY) > score_of(&l.e, REPLY_FI),
                  "dropping a reply did not raise its score");
    learner_close(&l);

    /* learning off: the state is not read */
    learner_open(&l, state, "\"learning\": false");
    float off = score_of(&l.e, REMARK);
    ck_assert_msg(off > before - 1e-4f && off < before + 1e-4f, "%.4f vs %.4f",
                  (double)off, (double)before);
    learner_close(&l);
    tu_rmrf(state);
    free(state);
}
END_TEST

START_TEST(test_bounded)
{
    char *state = tu_tmpdir();
    struct learner l;

    /* one person teaches at most max_lessons a day */
    learner_open(&l, state, "\"max_lessons\": 3");
    for (int i = 0; i < 3; i++)
        teach(&l, REMARK, PF_DECIDE_SEND, "agent1");
    float three = score_of(&l.e, REMARK);
    for (int i = 0; i < 50; i++)
        teach(&l, REMARK, PF_DECIDE_SEND, "agent1");
    float more = score_of(&l.e, REMARK);
    ck_assert_msg(more > three - 1e-5f && more < three + 1e-5f,
                  "lessons past the limit counted: %.4f -> %.4f", (double)three,
                  (double)more);
    /* someone else still may */
    teach(&l, REMARK, PF_DECIDE_SEND, "supervisor1");
    ck_assert(score_of(&l.e, REMARK) < three);
    learner_close(&l);
    tu_rmrf(state);
    free(state);

    /* however many people insist, no weight leaves max_shift */
    state = tu_tmpdir();
    learner_open(&l, state, "\"max_lessons\": 100000, \"max_shift\": 0.05");
    float before = score_of(&l.e, REMARK);
    char who[32];
    for (int i = 0; i < 500; i++) {
        snprintf(who, sizeof(who), "user%d", i);
        teach(&l, REMARK, PF_DECIDE_SEND, who);
    }
    float after = score_of(&l.e, REMARK);
    ck_assert_msg(after < before, "no learning at all");
    /* the margin moves by at most (features) x 0.05: the remark stays
       far above a clean reply */
    ck_assert_msg(after > 0.5f, "drifted from %.3f to %.3f", (double)before,
                  (double)after);
    learner_close(&l);
    tu_rmrf(state);
    free(state);
}
END_TEST

START_TEST(test_damaged_delta)
{
    char *state = tu_tmpdir(), path[4096];
    struct learner l;
    learner_open(&l, state, "");
    float before = score_of(&l.e, REMARK);
    teach(&l, REMARK, PF_DECIDE_SEND, "agent1");
    learner_close(&l);
    snprintf(path, sizeof(path), "%s/learned/learned.delta", state);
    size_t n;
    char *d = tu_read(path, &n);
    d[n / 3] ^= 0x40;
    tu_write(path, d, n);
    free(d);
    /* starts from the trained model alone, keeping the damaged file */
    learner_open(&l, state, "");
    float now = score_of(&l.e, REMARK);
    ck_assert_msg(now > before - 1e-4f && now < before + 1e-4f, "%.4f vs %.4f",
                  (double)now, (double)before);
    learner_close(&l);
    snprintf(path, sizeof(path), "%s/learned/learned.delta.damaged", state);
    struct stat st;
    ck_assert_msg(stat(path, &st) == 0, "damaged delta not kept aside");
    tu_rmrf(state);
    free(state);
}
END_TEST

/* the learned finding for text, or NULL */
static const struct pf_found *
found_for(struct tu_engine *t, const char *text, struct pf_result *r)
{
    tu_check(t, text, r);
    return tu_find(r, "learned.backstage");
}

START_TEST(test_operating_point_is_the_plugins)
{
    /* no policy at all: short ordinary replies get no finding, a remark
       holds (the plugin reports 0.6, the default hold threshold, at its
       operating point) */
    struct tu_engine t;
    struct pf_result r;
    tu_engine_open(&t, "{\"plugins\": [\"learned\"]}", NULL);
    static const char *const fine[] = {"ok",     "kiitos",    "thanks!",
                                       "👍",      "hoidettu",  "thanks, done",
                                       "Selvä!", "sure thing"};
    for (size_t i = 0; i < PF_ARRAY_LEN(fine); i++)
        ck_assert_msg(!found_for(&t, fine[i], &r), "'%s' got a finding",
                      fine[i]);
    const struct pf_found *f = found_for(&t, REMARK, &r);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(r.action, PF_ACT_HOLD);
    tu_engine_close(&t);
    /* the operating point may be moved: the finding is 0.6 there */
    tu_engine_open(&t,
                   "{\"plugins\": [{\"name\": \"learned\", \"config\": "
                   "{\"threshold\": 0.01}}]}",
                   NULL);
    f = found_for(&t, "I will check it and get back to you", &r);
    ck_assert_msg(f && f->f.score >= 0.6f, "a reply at threshold 0.01: %.2f",
                  f ? (double)f->f.score : 0.0);
    ck_assert_ptr_null(found_for(&t, REPLY, &r));
    /* a message of a few words needs the model's own, higher threshold
       for short messages whatever the configuration lowers */
    for (size_t i = 0; i < PF_ARRAY_LEN(fine); i++)
        ck_assert_msg(!found_for(&t, fine[i], &r),
                      "'%s' got a finding at threshold 0.01", fine[i]);
    tu_engine_close(&t);
}
END_TEST

START_TEST(test_remark_inside_a_reply)
{
    /* one remark in a long polite reply: as backstage as the remark, and
       the finding names its segment */
    struct tu_engine t;
    struct pf_result r;
    tu_engine_open(&t, "{\"plugins\": [\"learned\"]}", NULL);
    const struct pf_found *alone = found_for(&t, REMARK, &r);
    ck_assert_ptr_nonnull(alone);
    float score = alone->f.score;
    const char *inside = REPLY " " REMARK "\n\nIf anything is unclear, just "
                               "reply to this message. Have a lovely "
                               "weekend!\n\nBest regards,\nAnna";
    const struct pf_found *f = found_for(&t, inside, &r);
    ck_assert_msg(f && f->f.score > score - 0.05f,
                  "inside a reply: %.2f, alone %.2f",
                  f ? (double)f->f.score : 0.0, (double)score);
    ck_assert_msg(strstr(f->f.reason, " in \"guess who is calling again"), "%s",
                  f->f.reason);
    /* its words are in the remark */
    size_t at = strlen(REPLY) + 1;
    for (size_t i = 0; i < f->f.n_spans; i++)
        ck_assert_uint_ge(f->f.spans[i].off, at);
    tu_engine_close(&t);
}
END_TEST

START_TEST(test_old_model_refused)
{
    char *dir = tu_tmpdir(), path[4096], err[1024];
    size_t n;
    char *good = tu_read(model_path, &n);
    uint32_t v1 = 1; /* the model file version, after the magic */
    memcpy(good + 8, &v1, 4);
    snprintf(path, sizeof(path), "%s/old.model", dir);
    tu_write(path, good, n);
    ck_assert_int_ne(open_with_model(path, err, sizeof(err)), PF_OK);
    ck_assert_msg(strstr(err, "version 1") && strstr(err, "reads 2"), "%s",
                  err);
    free(good);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

Suite *
suite_learned(void)
{
    Suite *s = suite_create("learned");
    TCase *tc = tcase_create("learned");
    tcase_add_checked_fixture(tc, model_setup, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_remark_and_reply);
    tcase_add_test(tc, test_damaged_model);
    tcase_add_test(tc, test_learns_and_remembers);
    tcase_add_test(tc, test_bounded);
    tcase_add_test(tc, test_damaged_delta);
    tcase_add_test(tc, test_operating_point_is_the_plugins);
    tcase_add_test(tc, test_remark_inside_a_reply);
    tcase_add_test(tc, test_old_model_refused);
    suite_add_tcase(s, tc);
    return s;
}
