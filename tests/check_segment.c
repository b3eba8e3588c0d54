/*
 * check_segment.c - a message read segment by segment (src/text/segment.c,
 * pf_msg.segments): where sentences, clauses, parentheses and quotations
 * begin and end, the flags (greeting, closing, trailing aside, vocative),
 * the cue counts, the names, and the invariants plugins rely on, tried on
 * random input too.
 */
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "core/engine.h"
#include "pokerface/plugin.h"
#include "testutil.h"
#include "text/text.h"

static struct pf_config cfg;
static struct pf_engine eng;

static void
setup(void)
{
    memset(&cfg, 0, sizeof(cfg));
    cfg.ui_language = (char *)"auto";
    cfg.max_message_bytes = 1u << 21;
    pf_engine_open_bare(&eng, &cfg);
}

static void
teardown(void)
{
    pf_engine_close(&eng);
}

static const struct pf_msg *
prep_team(const char *s, const char *const *team, size_t n_team)
{
    struct pf_input in;
    const struct pf_msg *m;
    char err[128];
    memset(&in, 0, sizeof(in));
    in.text = s;
    in.len = strlen(s);
    in.team = team;
    in.n_team = n_team;
    ck_assert_msg(pf_engine_prepare(&eng, &in, &m, err, sizeof(err)) == 0,
                  "prepare '%s': %s", s, err);
    return m;
}

static const struct pf_msg *
prep(const char *s)
{
    return prep_team(s, NULL, 0);
}

/* the text of segment i */
static char *
seg_text(const struct pf_msg *m, size_t i)
{
    static char buf[512];
    const struct pf_segment *g = pf_msg_segment(m, i);
    snprintf(buf, sizeof(buf), "%.*s", (int)g->raw.len, m->text + g->raw.off);
    return buf;
}

/* index of the segment whose text is exactly s, or -1 */
static long
find_seg(const struct pf_msg *m, const char *s)
{
    for (size_t i = 0; i < m->n_segments; i++)
        if (strcmp(seg_text(m, i), s) == 0)
            return (long)i;
    return -1;
}

static const struct pf_segment *
seg_of(const struct pf_msg *m, const char *s)
{
    long i = find_seg(m, s);
    if (i < 0) {
        char all[2048] = "";
        for (size_t k = 0; k < m->n_segments; k++) {
            strncat(all, " | ", sizeof(all) - strlen(all) - 1);
            strncat(all, seg_text(m, k), sizeof(all) - strlen(all) - 1);
        }
        ck_abort_msg("no segment '%s' in '%s'; segments:%s", s, m->text, all);
    }
    return pf_msg_segment(m, (size_t)i);
}

/* every token is in exactly one innermost segment inside its range, top
   levels follow each other and cover all tokens, nested ones sit inside a
   top level */
static void
check_invariants(const struct pf_msg *m)
{
    ck_assert(m->segment_size == sizeof(struct pf_segment));
    if (m->n_tokens == 0)
        return;
    ck_assert_uint_ge(m->n_segments, 1);
    size_t next = 0;
    for (size_t i = 0; i < m->n_segments; i++) {
        const struct pf_segment *g = pf_msg_segment(m, i);
        ck_assert_uint_le(g->tok0, g->tok1);
        ck_assert_uint_le(g->tok1, m->n_tokens);
        ck_assert_uint_le((size_t)g->raw.off + g->raw.len, m->text_len);
        if (g->parent == PF_SEG_NONE) {
            ck_assert_msg(g->tok0 == next,
                          "segment %zu starts at token %u, "
                          "not %zu",
                          i, g->tok0, next);
            next = g->tok1;
        } else {
            ck_assert_uint_lt(g->parent, i);
            const struct pf_segment *p = pf_msg_segment(m, g->parent);
            ck_assert(p->parent == PF_SEG_NONE);
            ck_assert(g->tok0 >= p->tok0 && g->tok1 <= p->tok1);
        }
    }
    ck_assert_uint_eq(next, m->n_tokens);
    for (size_t t = 0; t < m->n_tokens; t++) {
        uint32_t s = m->token_segment[t];
        ck_assert_uint_lt(s, m->n_segments);
        const struct pf_segment *g = pf_msg_segment(m, s);
        ck_assert(t >= g->tok0 && t < g->tok1);
    }
}

START_TEST(sentences_and_lines)
{
    const struct pf_msg *m =
        prep("Hei Laura, kulkutagisi on nyt aktivoitu. Voit käyttää sitä "
             "heti! Helvetin lukkojärjestelmä kaatuu\njoka toinen viikko");
    check_invariants(m);
    ck_assert_uint_eq(m->n_segments, 4);
    seg_of(m, "Hei Laura, kulkutagisi on nyt aktivoitu.");
    seg_of(m, "Voit käyttää sitä heti!");
    seg_of(m, "Helvetin lukkojärjestelmä kaatuu");
    const struct pf_segment *g = seg_of(m, "joka toinen viikko");
    ck_assert(g->flags & PF_SEGF_LINE_START);
    ck_assert(g->flags & PF_SEGF_LAST);
    ck_assert(pf_msg_segment(m, 0)->flags & PF_SEGF_FIRST);
    ck_assert(pf_msg_segment(m, 0)->flags & PF_SEGF_GREETING);
}
END_TEST

START_TEST(dots_that_do_not_end_a_sentence)
{
    const struct pf_msg *m =
        prep("Matkan voi vaihtaa 30.4. asti, esim. netissä. Dr. Smith "
             "agrees, e.g. on 3.5 kg bags. Klo 14.00 alkaen.");
    check_invariants(m);
    seg_of(m, "Matkan voi vaihtaa 30.4. asti, esim. netissä.");
    seg_of(m, "Dr. Smith agrees, e.g. on 3.5 kg bags.");
    seg_of(m, "Klo 14.00 alkaen.");
    ck_assert_uint_eq(m->n_segments, 3);
}
END_TEST

START_TEST(emoji_stay_with_their_sentence)
{
    const struct pf_msg *m =
        prep("Kiitos tilauksesta! 😊 Toimitus on perillä. 👍👍");
    ck_assert_uint_eq(m->n_segments, 2);
    seg_of(m, "Kiitos tilauksesta! 😊");
    seg_of(m, "Toimitus on perillä. 👍👍");
}
END_TEST

START_TEST(clauses_split_at_markers)
{
    const struct pf_msg *m =
        prep("The car is ready for pickup on Friday, total shitbox tho. "
             "Thanks for waiting btw this guy is a clown. Sorry for the "
             "delay, but the parcel ships today; it is insured.");
    check_invariants(m);
    const struct pf_segment *g = seg_of(m, "total shitbox tho.");
    ck_assert_uint_eq(g->kind, PF_SEG_CLAUSE);
    ck_assert(g->flags & PF_SEGF_MARKER);
    g = seg_of(m, "btw this guy is a clown.");
    ck_assert_uint_eq(g->kind, PF_SEG_CLAUSE);
    ck_assert_uint_eq(g->third, 1);
    seg_of(m, "Thanks for waiting");
    seg_of(m, "but the parcel ships today;");
    seg_of(m, "it is insured.");
    /* "but" without a comma does not split */
    m = prep("Nothing but good news.");
    ck_assert_uint_eq(m->n_segments, 1);
}
END_TEST

START_TEST(parentheses_are_nested)
{
    const struct pf_msg *m =
        prep("Your refund (the idiot ordered twice lol) went out on "
             "Monday. We sent a photo :) too [internal: check CRM].");
    check_invariants(m);
    long p = find_seg(m, "(the idiot ordered twice lol)");
    ck_assert_int_ge(p, 0);
    const struct pf_segment *g = pf_msg_segment(m, (size_t)p);
    ck_assert_uint_eq(g->kind, PF_SEG_PAREN);
    ck_assert_uint_ne(g->parent, PF_SEG_NONE);
    ck_assert(g->flags & PF_SEGF_MARKER);
    /* the parent's own words do not count the parenthesis's */
    const struct pf_segment *parent = pf_msg_segment(m, g->parent);
    ck_assert_uint_eq(parent->words, 6);
    /* a smiley does not close anything; a bracket is a part of its own */
    g = seg_of(m, "[internal: check CRM]");
    ck_assert_uint_eq(g->kind, PF_SEG_BRACKET);
    /* a sentence wholly in parentheses is a sentence */
    m = prep("(Don't tell him yet.) The fix ships Monday.");
    check_invariants(m);
    g = seg_of(m, "(Don't tell him yet.)");
    ck_assert(g->parent == PF_SEG_NONE);
}
END_TEST

START_TEST(quotations)
{
    const struct pf_msg *m =
        prep("> you guys are idiots\nI am sorry you feel that way. You "
             "wrote \"this is the worst shop ever\" and I understand.");
    check_invariants(m);
    const struct pf_segment *g = seg_of(m, "> you guys are idiots");
    ck_assert_uint_eq(g->kind, PF_SEG_QUOTE);
    g = seg_of(m, "\"this is the worst shop ever\"");
    ck_assert_uint_eq(g->kind, PF_SEG_QUOTE);
    ck_assert(g->flags & PF_SEGF_QUOTED);
    ck_assert_uint_ne(g->parent, PF_SEG_NONE);
    /* a sentence that opens with a long quotation: one segment (this
       looped for ever once; the fuzz target found it) */
    m = prep("\"this is the worst shop ever\" is what you wrote.");
    check_invariants(m);
    ck_assert_uint_eq(m->n_segments, 1);
    /* a short quotation stays in its sentence: scare quotes are a cue */
    m = prep("The customer is an \"IT expert\" again.");
    ck_assert_uint_eq(m->n_segments, 1);
}
END_TEST

START_TEST(closing_and_what_follows_it)
{
    const struct pf_msg *m =
        prep("Hi Deborah,\n\nThanks for getting in touch. The allowance is "
             "23 kg per person.\n\nBest wishes,\nTom\nLintukoto Travel\n\nlol "
             "what a muppet");
    check_invariants(m);
    ck_assert(seg_of(m, "Hi Deborah,")->flags & PF_SEGF_GREETING);
    ck_assert(seg_of(m, "Best wishes,")->flags & PF_SEGF_SIGNOFF);
    ck_assert(seg_of(m, "Tom")->flags & PF_SEGF_SIGNOFF);
    ck_assert(seg_of(m, "Lintukoto Travel")->flags & PF_SEGF_SIGNOFF);
    const struct pf_segment *g = seg_of(m, "lol what a muppet");
    ck_assert(g->flags & PF_SEGF_AFTER_SIGNOFF);
    ck_assert(g->flags & PF_SEGF_LOWER_START);
    ck_assert_uint_ge(g->informal, 1);
    /* "Thanks for waiting, your order..." at the start is no closing */
    m = prep("Thanks for waiting, your order ships today.");
    ck_assert(!(pf_msg_segment(m, 0)->flags & PF_SEGF_SIGNOFF));
}
END_TEST

START_TEST(vocatives)
{
    const struct pf_msg *m = prep(
        "Hi Emma, your session moved to Tuesday. Jess can you double-check "
        "Ollie has that slot free? Ville - was it 15 or 19 euros? Oskar "
        "muista poistaa varmuuskopiot. See you there. Emma, your order is "
        "ready. Kev, can you check the log?");
    check_invariants(m);
    ck_assert(seg_of(m, "Jess can you double-check Ollie has that slot free?")
                  ->flags &
              PF_SEGF_VOCATIVE);
    ck_assert(seg_of(m, "Ville - was it 15 or 19 euros?")->flags &
              PF_SEGF_VOCATIVE);
    ck_assert(seg_of(m, "Oskar muista poistaa varmuuskopiot.")->flags &
              PF_SEGF_VOCATIVE);
    ck_assert(seg_of(m, "Kev, can you check the log?")->flags &
              PF_SEGF_VOCATIVE);
    ck_assert(!(seg_of(m, "See you there.")->flags & PF_SEGF_VOCATIVE));
    ck_assert(
        !(seg_of(m, "Emma, your order is ready.")->flags & PF_SEGF_VOCATIVE));
    ck_assert(!(seg_of(m, "Hi Emma, your session moved to Tuesday.")->flags &
                PF_SEGF_VOCATIVE));
    /* a team member by name counts as a colleague, with no request */
    static const char *const team[] = {"Kev Smith"};
    m = prep_team("Kev will take it from here. Kev ok", team, 1);
    ck_assert(seg_of(m, "Kev will take it from here.")->flags &
              PF_SEGF_VOCATIVE);
    ck_assert_uint_eq(seg_of(m, "Kev will take it from here.")->colleague, 1);
}
END_TEST

START_TEST(names_are_flagged)
{
    const struct pf_msg *m =
        prep("Mikko sano et Sanna hoitaa. Onni oli matkassa. JESS");
    /* first names capitalized as typed; not "Onni" (luck), not capitals */
    size_t names = 0;
    for (size_t t = 0; t < m->n_tokens; t++)
        if (m->tokens[t].flags & PF_TOKF_NAME)
            names++;
    ck_assert_uint_eq(names, 2);
    ck_assert(m->tokens[0].flags & PF_TOKF_NAME);
    ck_assert_uint_eq(pf_msg_segment(m, 0)->names, 2);
}
END_TEST

START_TEST(cues_per_segment)
{
    const struct pf_msg *m =
        prep("Your parcel left today. He's such a pain lol. I'll check it.");
    const struct pf_segment *a = seg_of(m, "Your parcel left today.");
    const struct pf_segment *b = seg_of(m, "He's such a pain lol.");
    const struct pf_segment *c = seg_of(m, "I'll check it.");
    ck_assert_uint_eq(a->second, 1);
    ck_assert_uint_eq(a->third, 0);
    ck_assert_uint_eq(b->third, 1);
    ck_assert_uint_eq(b->informal, 1);
    ck_assert_uint_eq(c->first, 1);
    ck_assert_uint_eq(c->second, 0);
}
END_TEST

START_TEST(addressee_is_the_sum_of_the_segments)
{
    /* the engine counts whom a message talks to on the way through its
       segments; it must be what pf_addressee_read counts */
    static const char *const team[] = {"Sanna", "Mikko"};
    static const char *const texts[] = {
        "Hi Laura, your order ships today. Sanna can you check? He's "
        "such a pain.",
        "hei, tilauksenne on matkalla. Mikko sano et se asiakas soitti "
        "taas?? @ville katso",
        "Thanks! (this guy again lol) Do you need anything else? Kalle?",
        "ok",
        "",
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(texts); i++) {
        struct pf_input in;
        const struct pf_msg *m;
        char err[128];
        static const char *const cust[] = {"Kalle"};
        memset(&in, 0, sizeof(in));
        in.text = texts[i];
        in.len = strlen(texts[i]);
        in.team = team;
        in.n_team = 2;
        in.customers = cust;
        in.n_customers = 1;
        ck_assert_int_eq(pf_engine_prepare(&eng, &in, &m, err, sizeof(err)), 0);
        struct pf_text t;
        struct pf_arena a;
        struct pf_addressee want;
        pf_arena_init(&a, 0);
        ck_assert_int_eq(pf_text_prepare(&t, &a, texts[i], strlen(texts[i]),
                                         err, sizeof(err)),
                         0);
        pf_addressee_read(m, t.wclass, &want);
        const struct pf_addressee *got = m->addressee;
        ck_assert_msg(got->second == want.second && got->third == want.third &&
                          got->greeting == want.greeting &&
                          got->customer_name == want.customer_name &&
                          got->colleague == want.colleague &&
                          got->question == want.question &&
                          got->colleague_tok == want.colleague_tok &&
                          got->customer_tok == want.customer_tok,
                      "'%s': %u %u %u %u %u %u %d %d, want %u %u %u %u %u %u "
                      "%d %d",
                      texts[i], got->second, got->third, got->greeting,
                      got->customer_name, got->colleague, got->question,
                      got->colleague_tok, got->customer_tok, want.second,
                      want.third, want.greeting, want.customer_name,
                      want.colleague, want.question, want.colleague_tok,
                      want.customer_tok);
        pf_arena_release(&a);
    }
}
END_TEST

START_TEST(huge_and_random_input)
{
    /* more sentences than segments: the rest joins the last one */
    size_t n = 40000;
    char *big = malloc(n * 4 + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(big + i * 4, "Ok. ", 4);
    big[n * 4] = '\0';
    const struct pf_msg *m = prep(big);
    check_invariants(m);
    ck_assert_uint_le(m->n_segments, 512);
    free(big);
    /* random bytes that are valid UTF-8: the invariants hold */
    static const char *const pieces[] = {
        "a",  "B",   " ",     ".",           "!",      "?", "(",   ")",
        "[",  "]",   "\"",    "'",           ",",      ";", " - ", "\n",
        ">",  "btw", "lol",   "tho",         "Jess",   "ä", "😊",   ":)",
        "1.", "Hei", "mutta", "Best wishes", "@sanna", "*",
    };
    unsigned seed = 7;
    for (int round = 0; round < 400; round++) {
        char buf[600];
        size_t o = 0;
        int k = 1 + (int)(rand_r(&seed) % 60);
        for (int i = 0; i < k; i++) {
            const char *p = pieces[rand_r(&seed) % PF_ARRAY_LEN(pieces)];
            size_t l = strlen(p);
            if (o + l + 1 >= sizeof(buf))
                break;
            memcpy(buf + o, p, l);
            o += l;
        }
        buf[o] = '\0';
        check_invariants(prep(buf));
    }
}
END_TEST

Suite *
suite_segment(void)
{
    Suite *s = suite_create("segment");
    TCase *tc = tcase_create("segments");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, sentences_and_lines);
    tcase_add_test(tc, dots_that_do_not_end_a_sentence);
    tcase_add_test(tc, emoji_stay_with_their_sentence);
    tcase_add_test(tc, clauses_split_at_markers);
    tcase_add_test(tc, parentheses_are_nested);
    tcase_add_test(tc, quotations);
    tcase_add_test(tc, closing_and_what_follows_it);
    tcase_add_test(tc, vocatives);
    tcase_add_test(tc, names_are_flagged);
    tcase_add_test(tc, cues_per_segment);
    tcase_add_test(tc, addressee_is_the_sum_of_the_segments);
    tcase_add_test(tc, huge_and_random_input);
    suite_add_tcase(s, tc);
    return s;
}
