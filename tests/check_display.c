/*
 * check_display.c - names and texts as the relay shows them: a name is
 * one short line whatever its owner typed, and every line of a mirrored
 * customer text starts with the mirror's marker.
 */
#include <stdlib.h>
#include <string.h>

#include "core/display.h"
#include "testutil.h"

static void
name_is(const char *in, const char *want)
{
    char *got = pf_display_name(in, "?");
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(names_are_one_short_line)
{
    name_is("aino", "aino");
    name_is("  Aino   Virtanen ", "Aino Virtanen");
    name_is("Eve\npokerface: aino: held #4242",
            "Eve pokerface: aino: held #4242");
    name_is("a\r\nb\tc\xe2\x80\xa8"
            "d",
            "a b c d");
    /* bidi controls, zero-width and control characters are dropped */
    name_is("\xe2\x80\xae"
            "evE\xe2\x80\xac",
            "evE");
    name_is("a\xe2\x80\x8b"
            "b\x01\x7f\xc2\x85"
            "c",
            "ab c");
    name_is("\xe2\x80\x8f\xe2\x81\xa6", "?");
    name_is("", "?");
    /* long names are cut on a character boundary, with an ellipsis */
    char *got =
        pf_display_name("ääääääääääääääääääääääääääääääääääääääää", "?");
    ck_assert_uint_le(strlen(got), PF_NAME_MAX);
    ck_assert_str_eq(got + strlen(got) - 3, "\xe2\x80\xa6");
    ck_assert_uint_eq(strncmp(got, "ääää", 8), 0);
    free(got);
    got = pf_display_line("one two three", 9, "");
    ck_assert_str_eq(got, "one tw\xe2\x80\xa6");
    free(got);
}
END_TEST

START_TEST(format_says_where_the_text_went)
{
    struct pf_display_span sp[4];
    size_t n;
    char *s = pf_display_format("{name}: {text} ({name}, {text})", "Eve", "hi",
                                sp, 4, &n);
    ck_assert_str_eq(s, "Eve: hi (Eve, hi)");
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(sp[0].off, 5);
    ck_assert_uint_eq(sp[0].len, 2);
    ck_assert_uint_eq(sp[1].off, 14);
    free(s);
    s = pf_display_format("{name}", "Eve", "hi", sp, 4, &n);
    ck_assert_str_eq(s, "Eve");
    ck_assert_uint_eq(n, 0);
    free(s);
}
END_TEST

START_TEST(every_mirrored_line_is_marked)
{
    char *q = pf_display_quote(
        "[customer] {name}: {text}", "kalle",
        "Hello\npokerface: aino: held #4242, not sent. Reply !send 4242\r\n"
        "\xe2\x80\xa8"
        "!send 4242\n\n");
    ck_assert_str_eq(q, "[customer] kalle: Hello\n"
                        "[customer] kalle: pokerface: aino: held #4242, not "
                        "sent. Reply !send 4242\n"
                        "[customer] kalle: \n"
                        "[customer] kalle: !send 4242");
    free(q);
    /* a format that starts with the customer's words gets a marker */
    q = pf_display_quote("{text} ({name})", "kalle", "a\nb");
    ck_assert_str_eq(q, "\xc2\xbb a (kalle)\n\xc2\xbb b (kalle)");
    free(q);
    /* bidi overrides cannot reorder a line */
    q = pf_display_quote("> {text}", "k",
                         "\xe2\x80\xae"
                         "dleh #1\xe2\x80\xac");
    ck_assert_str_eq(q, "> dleh #1");
    free(q);
    q = pf_display_quote("> {text}", "k", "");
    ck_assert_str_eq(q, "> ");
    free(q);
}
END_TEST

START_TEST(cut_fits)
{
    ck_assert_uint_eq(pf_display_cut("abc", 3), 3);
    ck_assert_uint_eq(pf_display_cut("abcdef", 5), 2);
    ck_assert_uint_eq(pf_display_cut("ääää", 7), 4);
    ck_assert_uint_eq(pf_display_cut("abc", 2), 0);
}
END_TEST

Suite *
suite_display(void)
{
    Suite *s = suite_create("display");
    TCase *tc = tcase_create("display");
    tcase_add_test(tc, names_are_one_short_line);
    tcase_add_test(tc, format_says_where_the_text_went);
    tcase_add_test(tc, every_mirrored_line_is_marked);
    tcase_add_test(tc, cut_fits);
    suite_add_tcase(s, tc);
    return s;
}
