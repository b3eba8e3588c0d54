/*
 * addressee.c - whom a message talks to (struct pf_addressee): counts of
 * second-person words, third-person references, a greeting at the start,
 * the customers' and the team's names, and questions. Small closed word
 * classes (pronouns, greetings), so they are here rather than in a
 * plugin's lexicon: every plugin gets the same reading.
 */
#include "text/text.h"

#include <string.h>

/* clang-format off */
static const char *const second_words[] = {
    "you", "your", "yours", "you're", "you've", "you'll", "you'd",
    "yourself", "yourselves", "u", "ur",
    "sinä", "sinun", "sinulle", "sinua", "sinulla", "sinulta", "sinut",
    "sinusta", "sä", "sun", "sulle", "sua", "sulla", "sulta", "susta",
    "te", "teidän", "teille", "teitä", "teillä", "teiltä", "teistä",
    "teihin", "voit", "voitte", "olet", "olette", "saat", "saatte",
    "haluat", "haluatte", "tarvitset", "tarvitsette",
};
static const char *const third_words[] = {
    "he", "she", "him", "her", "his", "hers", "himself", "herself",
    "guy", "dude", "lady", "bloke", "fella", "chap",
    "hän", "häntä", "hänen", "hänelle", "häneltä", "hänellä", "hänestä",
    "häneen", "tyyppi", "tyyppiä", "tyypin", "tyypille", "äijä", "äijää",
    "ukko", "ukkoa", "akka", "akkaa", "täti", "setä",
};
static const char *const person_nouns[] = {
    /* "this customer", "se asiakas": about, not to */
    "customer", "caller", "client", "asiakas", "asiakkaan", "asiakkaalle",
    "asiakasta", "soittaja", "soittajan",
};
static const char *const pointers[] = {
    "this", "that", "the", "our", "se", "sen", "tää", "tämä", "toi", "tuo",
    "meidän",
};
static const char *const greetings[] = {
    "hi", "hello", "hey", "dear", "greetings", "morning", "afternoon",
    "evening", "hei", "moi", "moikka", "moro", "terve", "heippa",
    "huomenta", "tervehdys", "hyvää", "päivää", "iltaa",
};
/* clang-format on */

#define N(a) (sizeof(a) / sizeof(*(a)))

static int
is(const struct pf_msg *m, size_t t, const char *const *list, size_t n)
{
    const struct pf_token *tok = &m->tokens[t];
    const char *w = m->norm + tok->norm_off;
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == tok->norm_len &&
            memcmp(list[i], w, tok->norm_len) == 0)
            return 1;
    return 0;
}

/* does token t spell name (its first word), case aside? */
static int
names(const struct pf_msg *m, size_t t, const char *name)
{
    const struct pf_token *tok = &m->tokens[t];
    const char *w = m->text + tok->raw.off;
    size_t n = tok->raw.len, k = 0;
    while (name[k] && name[k] != ' ')
        k++;
    if (k != n || n < 2)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char a = w[i], b = name[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a + 32);
        if (b >= 'A' && b <= 'Z')
            b = (char)(b + 32);
        if (a != b)
            return 0;
    }
    return 1;
}

static int
ends_nne(const struct pf_msg *m, size_t t)
{
    const struct pf_token *tok = &m->tokens[t];
    const char *w = m->norm + tok->norm_off;
    return tok->norm_len >= 6 && memcmp(w + tok->norm_len - 3, "nne", 3) == 0;
}

void
pf_addressee_read(const struct pf_msg *m, struct pf_addressee *a)
{
    memset(a, 0, sizeof(*a));
    a->size = sizeof(*a);
    a->colleague_tok = a->customer_tok = -1;
    int first_word = 1;
    for (size_t t = 0; t < m->n_tokens; t++) {
        const struct pf_token *tok = &m->tokens[t];
        if (tok->flags & PF_TOKF_QUESTION)
            a->question++;
        if (tok->kind == PF_TOK_MENTION) {
            a->colleague++;
            if (a->colleague_tok < 0)
                a->colleague_tok = (int32_t)t;
            continue;
        }
        if (tok->kind != PF_TOK_WORD)
            continue;
        if (first_word && is(m, t, greetings, N(greetings)))
            a->greeting++;
        first_word = 0;
        if (is(m, t, second_words, N(second_words)) || ends_nne(m, t))
            a->second++;
        if (is(m, t, third_words, N(third_words)) ||
            (t > 0 && is(m, t, person_nouns, N(person_nouns)) &&
             is(m, t - 1, pointers, N(pointers))))
            a->third++;
        if (!(tok->flags & PF_TOKF_CAPITALIZED))
            continue;
        for (size_t i = 0; i < m->n_team; i++) {
            if (names(m, t, m->team[i])) {
                a->colleague++;
                if (a->colleague_tok < 0)
                    a->colleague_tok = (int32_t)t;
                break;
            }
        }
        for (size_t i = 0; i < m->n_customers; i++) {
            if (names(m, t, m->customers[i])) {
                a->customer_name++;
                if (a->customer_tok < 0)
                    a->customer_tok = (int32_t)t;
                break;
            }
        }
    }
}
