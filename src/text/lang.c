/*
 * lang.c - a cheap language guess for one message: Finnish, English, both,
 * or undetermined. It counts very frequent function words of each language
 * and the letters ä and ö, which English text does not use. The guess lets
 * rules pick the right word list and the right language for their reasons;
 * nothing is decided on it alone, so "mixed" and "und" are fine answers.
 */
#include <stdlib.h>
#include <string.h>

#include "text/text.h"

/* sorted, for bsearch */
/* clang-format off */
static const char *const fi_words[] = {
    "ei", "eikä", "emme", "en", "et", "ette", "että", "hei", "hän",
    "ihan", "ja", "jo", "joka", "jos", "kanssa", "kiitos", "koska", "kuin",
    "kun", "kyllä", "meidän", "meillä", "mikä", "minä", "missä",
    "miten", "mitä", "moi", "mulla", "mulle", "mun", "mut", "mutta", "myös",
    "mä", "ne", "niin", "nyt", "ole", "olen", "olet", "oli", "olla",
    "onko", "oon", "ovat", "se", "sen", "siitä", "sinä", "sit", "sitten",
    "sulle", "sun", "sä", "taas", "tai", "te", "teidän", "teille", "tosi",
    "tämä", "tänään", "tää", "vaan", "vain", "vielä", "voi", "voit", "voitte",
};

static const char *const en_words[] = {
    "a",     "about", "an",    "and",   "are",   "as",    "at",
    "be",    "been",  "but",   "by",    "can",   "could", "do",
    "don't", "for",   "from",  "has",   "have",  "he",    "her",
    "hi",    "him",   "his",   "how",   "i",     "i'm",   "i've",
    "if",    "in",    "is",    "it",    "it's",  "just",  "me",
    "my",    "not",   "of",    "or",    "our",   "please","she",
    "so",    "sorry", "thanks","that",  "the",   "they",  "this",
    "to",    "was",   "we",    "we'll", "were",  "what",  "when",
    "why",   "will",  "with",  "would", "you",   "you'll","your",
};

/* clang-format on */

static int
cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

static int
in_list(const char *w, const char *const *list, size_t n)
{
    return bsearch(w, list, n, sizeof(*list), cmp) != NULL;
}

const char *
pf_text_lang(const struct pf_text *t)
{
    unsigned fi = 0, en = 0;
    char w[16];
    for (size_t i = 0; i < t->n_tokens; i++) {
        const struct pf_token *tok = &t->tokens[i];
        if (tok->kind != PF_TOK_WORD || tok->norm_len >= sizeof(w))
            continue;
        memcpy(w, t->norm + tok->norm_off, tok->norm_len);
        w[tok->norm_len] = '\0';
        if (in_list(w, fi_words, sizeof(fi_words) / sizeof(*fi_words)))
            fi += 2;
        else if (in_list(w, en_words, sizeof(en_words) / sizeof(*en_words)))
            en += 2;
        else if (strstr(w, "\xc3\xa4") || strstr(w, "\xc3\xb6")) /* ä ö */
            fi += 1;
    }
    if (!fi && !en)
        return "und";
    if (fi && en) {
        unsigned lo = fi < en ? fi : en, hi = fi < en ? en : fi;
        if (lo * 3 >= hi)
            return "mixed";
    }
    return fi > en ? "fi" : "en";
}
