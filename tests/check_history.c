/*
 * check_history.c - the history of holds (core/history.c): what is
 * written comes back after a reopen, in order and sealed; records older
 * than history_days are pruned and the rest kept; a changed record is
 * reported (counted, with where) and not silently skipped, and a damaged
 * history is not pruned; records that open but are no history records
 * are refused by the parser, whatever they hold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "core/history.h"
#include "core/journal.h"
#include "core/ledger.h"
#include "testutil.h"

static unsigned char key[PF_KEY_BYTES];
static char *dir, path[4096];

static void
setup(void)
{
    dir = tu_tmpdir();
    snprintf(path, sizeof(path), "%s/history", dir);
    for (int i = 0; i < PF_KEY_BYTES; i++)
        key[i] = (unsigned char)(i * 5 + 3);
}

static void
teardown(void)
{
    tu_rmrf(dir);
    free(dir);
}

struct got {
    int n, held, decided;
    unsigned hold[64];
    char outcome[64][16];
    int64_t at[64];
};

static int
collect(void *ud, int type, uint64_t seq, json_t *o)
{
    struct got *g = ud;
    (void)seq;
    if (g->n < 64) {
        g->hold[g->n] =
            (unsigned)json_integer_value(json_object_get(o, "hold"));
        g->at[g->n] = json_integer_value(json_object_get(o, "at"));
        snprintf(g->outcome[g->n], sizeof(g->outcome[0]), "%s",
                 type == PF_HREC_HELD
                     ? "HELD"
                     : json_string_value(json_object_get(o, "outcome")));
    }
    g->n++;
    if (type == PF_HREC_HELD)
        g->held++;
    else
        g->decided++;
    return 0;
}

static void
fill_hold(struct pf_hold *h, unsigned id, const char *text)
{
    memset(h, 0, sizeof(*h));
    h->id = id;
    h->action = 2; /* PF_ACT_HOLD */
    h->route = "acme";
    h->author_id = "aino@example.com";
    h->author_name = "aino";
    h->text = (char *)text;
    h->labels = "backstage.derogatory,learned.backstage";
    h->words = "\"idiot\"";
    h->why = "insults the customer";
}

static json_t *
held_at(unsigned id, int64_t at)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:[s], s:s, s:s, s:s, s:I}",
                     "hold", (json_int_t)id, "route", "acme", "author",
                     "aino@example.com", "name", "aino", "action", "hold",
                     "labels", "backstage.derogatory", "words", "", "why", "",
                     "text", "an old one", "at", (json_int_t)at);
}

START_TEST(holds_and_decisions_come_back_sealed)
{
    char err[512];
    struct pf_history *h;
    struct pf_hold hold;
    ck_assert_int_eq(pf_history_open(&h, path, key, 90, err, sizeof(err)),
                     PF_OK);
    fill_hold(&hold, 7, "the idiot wants a refund, secret-text-123");
    pf_history_held(h, &hold);
    pf_history_decided(h, &hold, "edit", "aino@example.com", "aino", "chat",
                       "held", "still an idiot",
                       json_pack("{s:s, s:[s]}", "action", "hold", "labels",
                                 "backstage.derogatory"));
    pf_history_decided(h, &hold, "send", "local:root", "root", "terminal",
                       "sent", NULL, NULL);
    fill_hold(&hold, 8, "moron");
    pf_history_held(h, &hold);
    pf_history_decided(h, &hold, "expire", "", "", "timer", "expired", NULL,
                       NULL);
    pf_history_close(h);

    size_t n;
    char *raw = tu_read(path, &n);
    ck_assert(!tu_has_bytes(raw, n, "secret-text-123"));
    ck_assert(!tu_has_bytes(raw, n, "aino"));
    free(raw);

    /* read back twice: by the reader, and by a reopen (a restart) */
    struct got g;
    struct pf_history_report rep;
    memset(&g, 0, sizeof(g));
    ck_assert_int_eq(
        pf_history_read(path, key, collect, &g, &rep, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(g.n, 5);
    ck_assert_int_eq(g.held, 2);
    ck_assert_str_eq(g.outcome[1], "held");
    ck_assert_str_eq(g.outcome[2], "sent");
    ck_assert_str_eq(g.outcome[4], "expired");
    ck_assert_uint_eq(g.hold[3], 8);
    ck_assert_uint_eq(rep.bad_records, 0);
    ck_assert_int_eq(pf_history_open(&h, path, key, 90, err, sizeof(err)),
                     PF_OK);
    fill_hold(&hold, 9, "after the restart");
    pf_history_held(h, &hold);
    pf_history_close(h);
    memset(&g, 0, sizeof(g));
    ck_assert_int_eq(
        pf_history_read(path, key, collect, &g, &rep, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(g.n, 6);
    ck_assert_uint_eq(g.hold[5], 9);

    /* the wrong key: refused, not an empty history */
    unsigned char other[PF_KEY_BYTES] = {1};
    ck_assert_int_ne(
        pf_history_read(path, other, collect, &g, &rep, err, sizeof(err)),
        PF_OK);
    ck_assert_msg(strstr(err, "right key"), "%s", err);
    /* no file yet: an empty history */
    char *none = pf_xasprintf("%s/none", dir);
    memset(&g, 0, sizeof(g));
    ck_assert_int_eq(
        pf_history_read(none, key, collect, &g, &rep, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(g.n, 0);
    free(none);
}
END_TEST

START_TEST(old_records_are_pruned_and_the_rest_kept)
{
    char err[512];
    struct pf_history *h;
    int64_t now = pf_wall_us() / 1000, day = 86400000;
    ck_assert_int_eq(pf_history_open(&h, path, key, 90, err, sizeof(err)),
                     PF_OK);
    ck_assert_int_eq(pf_history_append(h, PF_HREC_HELD,
                                       held_at(1, now - 200 * day), err,
                                       sizeof(err)),
                     PF_OK);
    ck_assert_int_eq(pf_history_append(h, PF_HREC_HELD,
                                       held_at(2, now - 91 * day), err,
                                       sizeof(err)),
                     PF_OK);
    ck_assert_int_eq(pf_history_append(h, PF_HREC_HELD,
                                       held_at(3, now - 89 * day), err,
                                       sizeof(err)),
                     PF_OK);
    ck_assert_int_eq(
        pf_history_append(h, PF_HREC_HELD, held_at(4, now), err, sizeof(err)),
        PF_OK);
    pf_history_close(h);
    /* reopened (a start): the two older than 90 days go */
    ck_assert_int_eq(pf_history_open(&h, path, key, 90, err, sizeof(err)),
                     PF_OK);
    struct got g;
    memset(&g, 0, sizeof(g));
    ck_assert_int_eq(
        pf_history_read(path, key, collect, &g, NULL, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(g.n, 2);
    ck_assert_uint_eq(g.hold[0], 3);
    ck_assert_uint_eq(g.hold[1], 4);
    /* while running: a day later the next one goes too, and what is
       appended after a prune is kept */
    ck_assert_int_eq(pf_history_prune(h, now + 2 * day, err, sizeof(err)),
                     PF_OK);
    ck_assert_int_eq(
        pf_history_append(h, PF_HREC_HELD, held_at(5, now), err, sizeof(err)),
        PF_OK);
    pf_history_close(h);
    memset(&g, 0, sizeof(g));
    ck_assert_int_eq(
        pf_history_read(path, key, collect, &g, NULL, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(g.n, 2);
    ck_assert_uint_eq(g.hold[0], 4);
    ck_assert_uint_eq(g.hold[1], 5);
}
END_TEST

START_TEST(a_changed_record_is_reported_and_stops_pruning)
{
    char err[512];
    struct pf_history *h;
    int64_t now = pf_wall_us() / 1000, day = 86400000;
    ck_assert_int_eq(pf_history_open(&h, path, key, 90, err, sizeof(err)),
                     PF_OK);
    ck_assert_int_eq(pf_history_append(h, PF_HREC_HELD,
                                       held_at(1, now - 100 * day), err,
                                       sizeof(err)),
                     PF_OK);
    ck_assert_int_eq(
        pf_history_append(h, PF_HREC_HELD, held_at(2, now), err, sizeof(err)),
        PF_OK);
    ck_assert_int_eq(
        pf_history_append(h, PF_HREC_HELD, held_at(3, now), err, sizeof(err)),
        PF_OK);
    pf_history_close(h);
    size_t n;
    char *raw = tu_read(path, &n);
    size_t second = 0;
    /* the second record's frame: after the header and the first record */
    for (size_t i = 17; i + 4 <= n; i++)
        if (!memcmp(raw + i, "PFR1", 4)) {
            second = i;
            break;
        }
    ck_assert_uint_gt(second, 16);
    raw[second + 40] ^= 0x01; /* inside its sealed bytes */
    tu_write(path, raw, n);
    free(raw);

    struct got g;
    struct pf_history_report rep;
    memset(&g, 0, sizeof(g));
    ck_assert_int_eq(
        pf_history_read(path, key, collect, &g, &rep, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(g.n, 2); /* the others are still read */
    ck_assert_uint_eq(rep.bad_records, 1);
    ck_assert_uint_eq(rep.first_bad_offset, second);

    /* the bot keeps it, unpruned, until someone looked */
    ck_assert_int_eq(pf_history_open(&h, path, key, 90, err, sizeof(err)),
                     PF_OK);
    ck_assert_int_eq(pf_history_prune(h, now, err, sizeof(err)), PF_OK);
    pf_history_close(h);
    memset(&g, 0, sizeof(g));
    ck_assert_int_eq(
        pf_history_read(path, key, collect, &g, &rep, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(g.n, 2);
    ck_assert_uint_eq(g.hold[0], 1); /* the old one was not pruned */
    ck_assert_uint_eq(rep.bad_records, 1);
}
END_TEST

START_TEST(a_sealed_record_of_another_kind_is_reported)
{
    char err[512];
    struct pf_journal *j;
    ck_assert_int_eq(
        pf_journal_open(&j, path, key, NULL, NULL, NULL, err, sizeof(err)),
        PF_OK);
    const char *good = "{\"hold\": 1, \"route\": \"r\", \"kind\": \"drop\", "
                       "\"by\": \"x\", \"name\": \"x\", \"via\": \"chat\", "
                       "\"outcome\": \"dropped\", \"at\": 5}";
    const char *recs[][2] = {
        {"102", good},
        {"4", "{\"hold\": 1}"}, /* a journal record */
        {"101", "{\"hold\": 1}"},
        {"102", "not json"},
        {"102", "{\"hold\": 1, \"route\": \"r\", \"kind\": \"frob\", \"by\": "
                "\"x\", \"name\": \"x\", \"via\": \"chat\", \"outcome\": "
                "\"dropped\", \"at\": 5}"},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(recs); i++)
        ck_assert_int_eq(pf_journal_append(j, atoi(recs[i][0]), recs[i][1],
                                           strlen(recs[i][1]), 1, NULL, err,
                                           sizeof(err)),
                         PF_OK);
    pf_journal_close(j);
    struct got g;
    struct pf_history_report rep;
    memset(&g, 0, sizeof(g));
    ck_assert_int_eq(
        pf_history_read(path, key, collect, &g, &rep, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(g.n, 1);
    ck_assert_uint_eq(rep.bad_records, 4);
    ck_assert_uint_eq(rep.first_bad_seq, 2);
    ck_assert_msg(strstr(rep.first_bad_why, "type 4"), "%s", rep.first_bad_why);
    char why[128];
    json_t *o = pf_history_parse(PF_HREC_DECISION, good, strlen(good), why,
                                 sizeof(why));
    ck_assert_ptr_nonnull(o);
    json_decref(o);
    ck_assert_ptr_null(pf_history_parse(PF_HREC_DECISION, recs[4][1],
                                        strlen(recs[4][1]), why, sizeof(why)));
    ck_assert_msg(strstr(why, "\"kind\""), "%s", why);
}
END_TEST

/* the fuzz target's seeds are real histories under its key */
START_TEST(fuzz_seeds_read)
{
    const char *seeds[] = {"holds-and-decisions", "held-and-blocked"};
    unsigned char fkey[PF_KEY_BYTES];
    char err[256];
    for (int i = 0; i < PF_KEY_BYTES; i++)
        fkey[i] = (unsigned char)i;
    for (size_t i = 0; i < PF_ARRAY_LEN(seeds); i++) {
        char *p = pf_xasprintf("%s/tests/fuzz/corpus/history/%s",
                               getenv("PF_SRCDIR") ? getenv("PF_SRCDIR") : ".",
                               seeds[i]);
        size_t n;
        char *d = tu_read(p, &n);
        ck_assert_msg(d != NULL, "no seed %s", p);
        struct got g;
        struct pf_history_report rep;
        memset(&g, 0, sizeof(g));
        ck_assert_int_eq(pf_history_read_buf(p, d, n, fkey, collect, &g, &rep,
                                             err, sizeof(err)),
                         PF_OK);
        ck_assert_int_gt(g.n, 0);
        ck_assert_uint_eq(rep.bad_records, 0);
        free(d);
        free(p);
    }
}
END_TEST

/* ---- the page's view of it (ledger.h) ---- */

static void
ledger_rec(struct pf_ledger *l, int type, const char *json)
{
    json_error_t e;
    json_t *o = json_loads(json, 0, &e);
    ck_assert_msg(o != NULL, "%s: %s", json, e.text);
    pf_ledger_add(l, type, 0, o);
    json_decref(o);
}

#define DAY 86400000LL
#define NOW (20000 * DAY + 3600000) /* 2024-10-04, 01:00 UTC */

static void
ledger_held(struct pf_ledger *l, int id, int64_t at, const char *label,
            const char *text)
{
    char *j = pf_xasprintf(
        "{\"hold\": %d, \"route\": \"r\", \"author\": \"a@x\", \"name\": "
        "\"aino\", \"action\": \"hold\", \"labels\": [\"%s\"], \"words\": "
        "\"\", \"why\": \"w\", \"text\": \"%s\", \"at\": %lld}",
        id, label, text, (long long)at);
    ledger_rec(l, PF_HREC_HELD, j);
    free(j);
}

static void
ledger_decided(struct pf_ledger *l, int id, const char *kind,
               const char *outcome, int64_t at)
{
    char *j = pf_xasprintf(
        "{\"hold\": %d, \"route\": \"r\", \"kind\": \"%s\", \"by\": \"s@x\", "
        "\"name\": \"sanna\", \"via\": \"web\", \"outcome\": \"%s\", "
        "\"at\": %lld}",
        id, kind, outcome, (long long)at);
    ledger_rec(l, PF_HREC_DECISION, j);
    free(j);
}

static const char *
outcome_of(json_t *items, int id)
{
    size_t i;
    json_t *it;
    json_array_foreach (items, i, it)
        if (json_integer_value(json_object_get(it, "hold")) == id)
            return json_string_value(json_object_get(it, "outcome"));
    return NULL;
}

/*
 * What became of each hold: sent as is, edited (also when an edit was
 * held first and then sent), dropped, expired, open; a decision whose
 * hold is unknown changes nothing; filters, newest first; statistics per
 * day (every day, zeros too) and per label; CSV quotes what it must and
 * defuses what a spreadsheet would run; pruning forgets old holds.
 */
START_TEST(the_ledger_says_what_became_of_each_hold)
{
    struct pf_ledger *l = pf_ledger_new();
    ledger_held(l, 1, NOW - 2 * DAY, "backstage.joke", "one");
    ledger_held(l, 2, NOW - DAY, "backstage.derogatory", "two, \\\"quoted\\\"");
    ledger_held(l, 3, NOW - 100, "backstage.derogatory", "=HYPERLINK(1)");
    ledger_held(l, 4, NOW - 50, "backstage.joke", "four");
    ledger_held(l, 5, NOW - 40, "backstage.joke", "five");
    ledger_decided(l, 1, "send", "sent", NOW - 2 * DAY + 5);
    ledger_decided(l, 2, "edit", "held", NOW - DAY + 5);
    ledger_decided(l, 2, "send", "sent", NOW - DAY + 9);
    ledger_decided(l, 3, "drop", "dropped", NOW - 90);
    ledger_decided(l, 4, "expire", "expired", NOW - 10);
    ledger_decided(l, 9, "send", "sent", NOW - 10); /* no such hold */
    ck_assert_uint_eq(pf_ledger_count(l), 5);

    struct pf_ledger_filter f;
    memset(&f, 0, sizeof(f));
    json_t *all = pf_ledger_items(l, &f);
    ck_assert_uint_eq(json_array_size(all), 5);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_array_get(all, 0), "hold")), 5);
    ck_assert_str_eq(outcome_of(all, 1), "sent");
    ck_assert_str_eq(outcome_of(all, 2), "edited");
    ck_assert_str_eq(outcome_of(all, 3), "dropped");
    ck_assert_str_eq(outcome_of(all, 4), "expired");
    ck_assert_str_eq(outcome_of(all, 5), "open");
    json_t *two = json_array_get(all, 3);
    ck_assert_uint_eq(json_array_size(json_object_get(two, "decisions")), 2);
    ck_assert_str_eq(json_string_value(json_object_get(two, "decided_by")),
                     "sanna");
    ck_assert_str_eq(json_string_value(json_object_get(two, "via")), "web");
    json_decref(all);

    f.label = "backstage.joke";
    f.outcome = "open";
    json_t *some = pf_ledger_items(l, &f);
    ck_assert_uint_eq(json_array_size(some), 1);
    json_decref(some);
    f.label = "backstage"; /* the plugin's: every label of it */
    f.outcome = NULL;
    some = pf_ledger_items(l, &f);
    ck_assert_uint_eq(json_array_size(some), 5);
    json_decref(some);
    f.label = "backstage.jok"; /* no label, no plugin */
    some = pf_ledger_items(l, &f);
    ck_assert_uint_eq(json_array_size(some), 0);
    json_decref(some);
    memset(&f, 0, sizeof(f));
    f.author = "AINO";
    f.since_ms = NOW - DAY - 1;
    some = pf_ledger_items(l, &f);
    ck_assert_uint_eq(json_array_size(some), 4);
    json_decref(some);
    f.author = "ville";
    some = pf_ledger_items(l, &f);
    ck_assert_uint_eq(json_array_size(some), 0);
    json_decref(some);

    json_t *st = pf_ledger_stats(l, NOW, 3);
    json_t *days = json_object_get(st, "days");
    ck_assert_uint_eq(json_array_size(days), 3);
    json_t *d0 = json_array_get(days, 0), *d2 = json_array_get(days, 2);
    ck_assert_str_eq(json_string_value(json_object_get(d0, "day")),
                     "2024-10-02");
    ck_assert_int_eq(json_integer_value(json_object_get(d0, "held")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(d0, "sent")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(d2, "held")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(d2, "dropped")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(d2, "expired")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(d2, "sent")), 0);
    size_t i;
    json_t *lc;
    int seen = 0;
    json_array_foreach (json_object_get(st, "labels"), i, lc)
        if (!strcmp(json_string_value(json_object_get(lc, "label")),
                    "backstage.joke")) {
            ck_assert_int_eq(json_integer_value(json_object_get(lc, "held")),
                             3);
            ck_assert_int_eq(json_integer_value(json_object_get(lc, "sent")),
                             1);
            seen = 1;
        }
    ck_assert(seen);
    json_decref(st);

    struct pf_buf csv = PF_BUF_INIT;
    memset(&f, 0, sizeof(f));
    pf_ledger_csv(l, &f, &csv);
    pf_buf_addstr(&csv, "");
    ck_assert_msg(!strncmp(csv.data, "hold,held_at,route,author,labels,", 33),
                  "%s", csv.data);
    ck_assert_msg(strstr(csv.data, ",\"two, \"\"quoted\"\"\"\r\n"), "%s",
                  csv.data);
    ck_assert_msg(strstr(csv.data, ",\"'=HYPERLINK(1)\"\r\n"), "%s", csv.data);
    ck_assert_msg(strstr(csv.data, "2024-10-02T01:00:00Z"), "%s", csv.data);
    pf_buf_release(&csv);

    pf_ledger_prune(l, NOW - DAY - 1);
    ck_assert_uint_eq(pf_ledger_count(l), 4);
    pf_ledger_free(l);
}
END_TEST

Suite *
suite_history(void)
{
    Suite *s = suite_create("history");
    TCase *tc = tcase_create("history");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, holds_and_decisions_come_back_sealed);
    tcase_add_test(tc, old_records_are_pruned_and_the_rest_kept);
    tcase_add_test(tc, a_changed_record_is_reported_and_stops_pruning);
    tcase_add_test(tc, a_sealed_record_of_another_kind_is_reported);
    tcase_add_test(tc, fuzz_seeds_read);
    tcase_add_test(tc, the_ledger_says_what_became_of_each_hold);
    suite_add_tcase(s, tc);
    return s;
}
