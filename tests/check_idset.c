/*
 * check_idset.c - the set of message ids already handled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/idset.h"
#include "testutil.h"

START_TEST(remembers_and_forgets_the_oldest)
{
    struct pf_idset s;
    char id[32];
    pf_idset_init(&s, 16);
    ck_assert_uint_eq(s.cap, 16);
    for (int i = 0; i < 16; i++) {
        snprintf(id, sizeof(id), "m%d", i);
        ck_assert_int_eq(pf_idset_seen(&s, id), 0);
    }
    for (int i = 0; i < 16; i++) {
        snprintf(id, sizeof(id), "m%d", i);
        ck_assert_int_eq(pf_idset_seen(&s, id), 1);
    }
    /* a 17th pushes m0 out, and only m0 */
    ck_assert_int_eq(pf_idset_seen(&s, "m16"), 0);
    ck_assert_int_eq(pf_idset_seen(&s, "m1"), 1);
    ck_assert_int_eq(pf_idset_seen(&s, "m15"), 1);
    ck_assert_int_eq(pf_idset_seen(&s, "m0"), 0); /* forgotten, re-added */
    ck_assert_int_eq(pf_idset_seen(&s, "m1"), 0); /* m0 pushed m1 out */
    pf_idset_release(&s);
}
END_TEST

/* the same answers as a plain list of the last cap ids */
START_TEST(agrees_with_a_plain_list)
{
    enum { CAP = 64, N = 20000 };
    struct pf_idset s;
    char *ring[CAP] = {0};
    size_t n = 0, pos = 0;
    unsigned seed = 7;
    pf_idset_init(&s, CAP);
    for (int k = 0; k < N; k++) {
        char id[32];
        snprintf(id, sizeof(id), "id-%u", (unsigned)(rand_r(&seed) % 200));
        int want = 0;
        for (size_t i = 0; i < n; i++)
            if (strcmp(ring[i], id) == 0)
                want = 1;
        if (!want) {
            if (n < CAP) {
                ring[n++] = strdup(id);
            } else {
                free(ring[pos]);
                ring[pos] = strdup(id);
            }
            pos = (pos + 1) % CAP;
        }
        ck_assert_int_eq(pf_idset_seen(&s, id), want);
    }
    for (size_t i = 0; i < n; i++)
        free(ring[i]);
    pf_idset_release(&s);
}
END_TEST

Suite *
suite_idset(void)
{
    Suite *s = suite_create("idset");
    TCase *tc = tcase_create("idset");
    tcase_add_test(tc, remembers_and_forgets_the_oldest);
    tcase_add_test(tc, agrees_with_a_plain_list);
    suite_add_tcase(s, tc);
    return s;
}
