/*
 * addressee.c - whom a message talks to (struct pf_addressee): counts of
 * second-person words, third-person references, a greeting at the start,
 * the customers' and the team's names, and questions. The closed word
 * classes come from the language pass (pf_text.wclass, lang.c), so this
 * is one more walk over the tokens.
 */
#include "text/text.h"

#include <string.h>

int
pf_text_names(const struct pf_msg *m, size_t t, const char *name)
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

/* tilauksenne, laskunne: the second-person plural possessive */
static int
ends_nne(const struct pf_msg *m, size_t t)
{
    const struct pf_token *tok = &m->tokens[t];
    const char *w = m->norm + tok->norm_off;
    return tok->norm_len >= 6 && memcmp(w + tok->norm_len - 3, "nne", 3) == 0;
}

void
pf_addressee_read(const struct pf_msg *m, const uint16_t *wc,
                  struct pf_addressee *a)
{
    memset(a, 0, sizeof(*a));
    a->size = sizeof(*a);
    a->colleague_tok = a->customer_tok = -1;
    int first_word = 1;
    for (size_t t = 0; t < m->n_tokens; t++) {
        const struct pf_token *tok = &m->tokens[t];
        uint16_t c = wc ? wc[t] : 0;
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
        if (first_word && (c & PF_WC_GREETING))
            a->greeting++;
        first_word = 0;
        if ((c & PF_WC_SECOND) || ends_nne(m, t))
            a->second++;
        if ((c & PF_WC_THIRD) ||
            ((c & PF_WC_PERSON) && t > 0 && wc && (wc[t - 1] & PF_WC_POINTER)))
            a->third++;
        if (!(tok->flags & PF_TOKF_CAPITALIZED))
            continue;
        for (size_t i = 0; i < m->n_team; i++) {
            if (pf_text_names(m, t, m->team[i])) {
                a->colleague++;
                if (a->colleague_tok < 0)
                    a->colleague_tok = (int32_t)t;
                break;
            }
        }
        for (size_t i = 0; i < m->n_customers; i++) {
            if (pf_text_names(m, t, m->customers[i])) {
                a->customer_name++;
                if (a->customer_tok < 0)
                    a->customer_tok = (int32_t)t;
                break;
            }
        }
    }
}
