/*
 * lexicon.c - parsing and compiling a cue lexicon (see lexicon.h).
 *
 * Every item is normalized with the host's casefold service, the same
 * normalization messages get, so "Ääliö" in a file matches "ÄÄLIÖ" or
 * "ää1iö" in a message. Finnish nouns come as dictionary principal parts;
 * the four stems they imply (strong and weak, singular and plural) are
 * combined with the @fi-endings list, in the vowel harmony of each stem,
 * so one line covers every case form while a compound such as
 * "idioottivarma" (foolproof) stays unmatched: "varma" is no ending.
 */
#include "lexicon.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const kind_names[] = {"word",  "noun",   "fi",   "prefix",
                                         "emoji", "phrase", "regex"};

/* ---- small helpers ---- */

static void *
xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        abort();
    return q;
}

static char *
xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *p = xrealloc(NULL, n + 1);
    memcpy(p, s, n + 1);
    return p;
}

uint32_t
lex_hash_rev(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    while (n--) {
        h ^= (unsigned char)s[n];
        h *= 16777619u;
    }
    return h ? h : 1;
}

void
lex_hash_lens(const char *w, size_t wl, uint32_t lens, int rev,
              uint32_t out[32])
{
    uint32_t h = 2166136261u;
    for (size_t k = 1; k < 32 && k <= wl && (lens >> k); k++) {
        h ^= (unsigned char)(rev ? w[wl - k] : w[k - 1]);
        h *= 16777619u;
        out[k] = h ? h : 1;
    }
}

static uint32_t
wt_hash(const struct wtable *t, const char *s, size_t n)
{
    return t->reverse ? lex_hash_rev(s, n) : lex_hash(s, n);
}

size_t
squeeze(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        /* ä, ö and å as a, o and a: ääliö, aalio and ääli0 meet */
        char c = lex_plain_char(s, n, &i);
        if (o > 0 && out[o - 1] == c && c >= 'a' && c <= 'z')
            continue;
        out[o++] = c;
    }
    out[o] = '\0';
    return o;
}

size_t
deumlaut(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    int any = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        size_t at = i;
        char c = lex_plain_char(s, n, &i);
        any |= i != at;
        out[o++] = c;
    }
    out[o] = '\0';
    return any ? o : 0;
}

/* ---- the word tables ---- */

static uint32_t
add_key(struct lexicon *lx, const char *s, size_t n)
{
    if (lx->keys_len + n + 1 > lx->keys_cap) {
        /* s may be a key already in keys (phrase_compile indexes a
           phrase by its own units): keep where it is across the realloc */
        uintptr_t at = (uintptr_t)s, base = (uintptr_t)lx->keys;
        int inside = lx->keys && at >= base && at < base + lx->keys_len;
        size_t cap = lx->keys_cap ? lx->keys_cap * 2 : 4096;
        while (cap < lx->keys_len + n + 1)
            cap *= 2;
        lx->keys = xrealloc(lx->keys, cap);
        lx->keys_cap = cap;
        if (inside)
            s = lx->keys + (at - base);
    }
    uint32_t off = (uint32_t)lx->keys_len;
    memcpy(lx->keys + off, s, n);
    lx->keys[off + n] = '\0';
    lx->keys_len += n + 1;
    return off;
}

static void
bloom_add(struct wtable *t, uint32_t h)
{
    t->bloom[h >> 12 & t->bloom_mask] |= wt_bloom_bits(h);
}

const struct wentry *
wt_find(const struct lexicon *lx, const struct wtable *t, const char *s,
        size_t n)
{
    return t->n_slots ? wt_find_h(lx, t, s, n, wt_hash(t, s, n)) : NULL;
}

static void
wt_add(struct lexicon *lx, struct wtable *t, const char *s, size_t n,
       uint32_t cue)
{
    if (n == 0)
        return;
    if ((t->n + 1) * 2 > t->n_slots) {
        /* rebuild with the chains intact */
        size_t ns = t->n_slots ? t->n_slots * 2 : 256;
        uint32_t *slots = calloc(ns, sizeof(*slots));
        if (!slots)
            abort();
        for (size_t i = 0; t->slots && i < t->n_slots; i++) {
            if (!t->slots[i])
                continue;
            uint32_t head = t->slots[i];
            size_t j = t->entries[head - 1].hash & (ns - 1);
            while (slots[j])
                j = (j + 1) & (ns - 1);
            slots[j] = head;
        }
        free(t->slots);
        t->slots = slots;
        t->n_slots = ns;
        size_t nw = ns / 8;
        if (nw > BLOOM_MAX_WORDS)
            nw = BLOOM_MAX_WORDS;
        free(t->bloom);
        t->bloom = calloc(nw, sizeof(*t->bloom));
        if (!t->bloom)
            abort();
        t->bloom_mask = nw - 1;
        for (size_t i = 0; i < t->n; i++)
            bloom_add(t, t->entries[i].hash);
    }
    if (n < 2) {
        t->short_form = 1;
    } else {
        unsigned lb = t->reverse ? wt_lead_bit(s[n - 1], s[n - 2])
                                 : wt_lead_bit(s[0], s[1]);
        t->lead[lb >> 6] |= 1ULL << (lb & 63);
    }
    const struct wentry *found = wt_find(lx, t, s, n);
    if (found) {
        /* same form, same cue: nothing to add */
        for (const struct wentry *e = found; e; e = wt_next(lx, t, e))
            if (e->cue == cue)
                return;
    }
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 256;
        t->entries = xrealloc(t->entries, t->cap * sizeof(*t->entries));
        /* entries moved: found is stale */
        found = wt_find(lx, t, s, n);
    }
    struct wentry *e = &t->entries[t->n];
    e->hash = wt_hash(t, s, n);
    e->cue = cue;
    e->next = UINT32_MAX;
    if (found) {
        /* append to the chain; the head stays in its slot */
        struct wentry *last = (struct wentry *)found;
        while (last->next != UINT32_MAX)
            last = &t->entries[last->next];
        e->key = found->key;
        last->next = (uint32_t)t->n;
        t->n++;
        return;
    }
    e->key = add_key(lx, s, n);
    bloom_add(t, e->hash);
    size_t j = e->hash & (t->n_slots - 1);
    while (t->slots[j])
        j = (j + 1) & (t->n_slots - 1);
    t->slots[j] = (uint32_t)t->n + 1;
    t->n++;
}

static void
wt_release(struct wtable *t)
{
    free(t->slots);
    free(t->entries);
    free(t->bloom);
    memset(t, 0, sizeof(*t));
}

/* ---- setup ---- */

void
lex_init(struct lexicon *lx, const struct pf_host *h, struct pf_hctx *hctx,
         const struct lex_spec *spec)
{
    memset(lx, 0, sizeof(*lx));
    lx->h = h;
    lx->hctx = hctx;
    lx->spec = *spec;
    lx->ph_suffix.reverse = 1;
    if (lx->spec.n_families > LEX_MAX_FAMILIES)
        lx->spec.n_families = LEX_MAX_FAMILIES;
    for (int i = 0; i < LEX_MAX_FAMILIES; i++)
        lx->weight_scale[i] = 1.0f;
}

static void
free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void
lex_release(struct lexicon *lx)
{
    for (size_t i = 0; i < lx->n_cues; i++) {
        free(lx->cues[i].text);
        free(lx->cues[i].where);
    }
    free(lx->cues);
    free(lx->keys);
    wt_release(&lx->words);
    wt_release(&lx->squeezed);
    wt_release(&lx->plain);
    wt_release(&lx->prefixes);
    wt_release(&lx->modifiers);
    wt_release(&lx->heads);
    free(lx->ph_units);
    free(lx->ph_alts);
    free(lx->ph_elems);
    free(lx->phrases);
    free(lx->ph_num);
    wt_release(&lx->ph_starts);
    wt_release(&lx->ph_prefix);
    wt_release(&lx->ph_suffix);
    free_strv(lx->regex, lx->n_regex);
    free(lx->regex_cue);
    free(lx->regex_words);
    free_strv(lx->endings, lx->n_endings);
    free_strv(lx->clitics, lx->n_clitics);
    free_strv(lx->clitic_forms, lx->n_clitic_forms);
    free(lx->clitic_len);
    free(lx->clitic_by_last);
    if (lx->scratch)
        hs_free_scratch(lx->scratch);
    for (size_t i = 0; lx->som_db && i < lx->n_regex; i++)
        if (lx->som_db[i])
            hs_free_database(lx->som_db[i]);
    free(lx->som_db);
    if (lx->som_scratch)
        hs_free_scratch(lx->som_scratch);
    if (lx->db)
        hs_free_database(lx->db);
    memset(lx, 0, sizeof(*lx));
}

/* ---- normalization of items ---- */

/* casefold one word into out; 0 on success */
static int
norm_word(struct lexicon *lx, const char *w, size_t n, char *out, size_t cap)
{
    long r = lx->h->casefold(lx->hctx, w, n, out, cap);
    if (r < 0 || (size_t)r >= cap)
        return -1;
    return 0;
}

static uint32_t
add_cue(struct lexicon *lx, int family, int kind, unsigned flags, float weight,
        const char *text, const char *where)
{
    if (lx->n_cues == lx->cap_cues) {
        lx->cap_cues = lx->cap_cues ? lx->cap_cues * 2 : 256;
        lx->cues = xrealloc(lx->cues, lx->cap_cues * sizeof(*lx->cues));
    }
    struct cue *c = &lx->cues[lx->n_cues];
    c->family = (uint8_t)family;
    c->kind = (uint8_t)kind;
    c->flags = (uint16_t)flags;
    c->weight = weight;
    c->text = xstrdup(text);
    c->where = xstrdup(where);
    return (uint32_t)lx->n_cues++;
}

static void
add_form(struct lexicon *lx, const char *form, size_t n, uint32_t cue)
{
    char sq[256];
    wt_add(lx, &lx->words, form, n, cue);
    size_t m = squeeze(form, n, sq, sizeof(sq));
    wt_add(lx, &lx->squeezed, sq, m, cue);
    if ((m = deumlaut(form, n, sq, sizeof(sq))))
        wt_add(lx, &lx->plain, sq, m, cue);
}

/* ---- Finnish morphology ---- */

static int
is_back_vowel_stem(const char *s)
{
    for (; *s; s++)
        if (*s == 'a' || *s == 'o' || *s == 'u')
            return 1;
    return 0;
}

/* the stem's last vowel (as UTF-8 bytes) for the illative: talo-on */
static size_t
last_vowel(const char *s, char *out)
{
    size_t n = strlen(s);
    for (size_t i = n; i > 0; i--) {
        unsigned char c = (unsigned char)s[i - 1];
        if (strchr("aeiouy", c) && c) {
            out[0] = (char)c;
            return 1;
        }
        if (i >= 2 && (unsigned char)s[i - 2] == 0xC3 &&
            (c == 0xA4 || c == 0xB6)) { /* ä ö */
            out[0] = (char)0xC3;
            out[1] = (char)c;
            return 2;
        }
    }
    return 0;
}

/* front-vowel form of a back-vowel ending: a->ä o->ö u->y */
static void
harmonize(const char *ending, int back, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = ending; *p && o + 3 < cap; p++) {
        if (!back && *p == 'a') {
            out[o++] = (char)0xC3, out[o++] = (char)0xA4;
        } else if (!back && *p == 'o') {
            out[o++] = (char)0xC3, out[o++] = (char)0xB6;
        } else if (!back && *p == 'u') {
            out[o++] = 'y';
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

static void
add_fi_stem(struct lexicon *lx, const char *stem, uint32_t cue)
{
    char form[256], end[64];
    int back = is_back_vowel_stem(stem);
    size_t sl = strlen(stem);
    if (sl == 0 || sl > 200)
        return;
    for (size_t i = 0; i < lx->n_endings; i++) {
        const char *e = lx->endings[i];
        char v[3] = {0};
        size_t vl;
        if (strcmp(e, "Vn") == 0 || strcmp(e, "hVn") == 0) {
            vl = last_vowel(stem, v);
            if (!vl)
                continue;
            snprintf(end, sizeof(end), "%s%sn", e[0] == 'h' ? "h" : "", v);
        } else {
            harmonize(e, back, end, sizeof(end));
        }
        snprintf(form, sizeof(form), "%s%s", stem, end);
        add_form(lx, form, strlen(form), cue);
    }
}

static size_t
common_prefix(const char *a, const char *b)
{
    size_t i = 0;
    while (a[i] && a[i] == b[i])
        i++;
    return i;
}

/*
 * Principal parts: nominative, genitive singular, partitive plural (the
 * three a Finnish dictionary gives), then any extra forms as they are.
 */
static int
expand_fi(struct lexicon *lx, char **parts, size_t n, uint32_t cue, char *err,
          size_t errlen, const char *where)
{
    char s1[128], w[128], x[128], xw[128];
    size_t len;
    if (n < 3) {
        snprintf(err, errlen,
                 "%s: 'fi' needs nominative, genitive and partitive plural "
                 "(e.g. idiootti idiootin idiootteja)",
                 where);
        return PF_EINVAL;
    }
    snprintf(s1, sizeof(s1), "%s", parts[0]);
    len = strlen(parts[1]);
    if (len < 2 || parts[1][len - 1] != 'n') {
        snprintf(err, errlen, "%s: genitive '%s' does not end in -n", where,
                 parts[1]);
        return PF_EINVAL;
    }
    snprintf(w, sizeof(w), "%.*s", (int)(len - 1), parts[1]);
    /* partitive plural: -a/-ä, then -j-/-t- before it */
    snprintf(x, sizeof(x), "%s", parts[2]);
    len = strlen(x);
    if (len >= 2 && x[len - 1] == 'a')
        x[--len] = '\0';
    else if (len >= 3 && (unsigned char)x[len - 2] == 0xC3 &&
             (unsigned char)x[len - 1] == 0xA4)
        len -= 2, x[len] = '\0';
    else {
        snprintf(err, errlen,
                 "%s: partitive plural '%s' does not end in -a "
                 "or -ä",
                 where, parts[2]);
        return PF_EINVAL;
    }
    if (len >= 2 && (x[len - 1] == 'j' || x[len - 1] == 't'))
        x[--len] = '\0';
    /* weak plural stem: the nominative-to-genitive consonant gradation
       (idiootti -> idiooti) applied to the plural stem (idiootte ->
       idioote) */
    snprintf(xw, sizeof(xw), "%s", x);
    size_t p = common_prefix(s1, w);
    size_t s1l = strlen(s1);
    if (p < s1l && s1l >= 1 && strncmp(x, s1, s1l - 1) == 0 && strlen(w) >= 1) {
        size_t wl = strlen(w);
        snprintf(xw, sizeof(xw), "%.*s%s", (int)(wl - 1), w, x + s1l - 1);
    }
    add_fi_stem(lx, s1, cue);
    add_fi_stem(lx, w, cue);
    add_fi_stem(lx, x, cue);
    if (strcmp(xw, x) != 0)
        add_fi_stem(lx, xw, cue);
    /* nominative (and the weak stem) as compound modifiers: idioottiasiakas */
    wt_add(lx, &lx->modifiers, s1, strlen(s1), cue);
    if (strlen(s1) < 32)
        lx->modifier_lens |= 1u << strlen(s1);
    for (size_t i = 3; i < n; i++)
        add_form(lx, parts[i], strlen(parts[i]), cue);
    return PF_OK;
}

/*
 * The -mainen adjective of a Finnish noun (ääliö -> ääliömäinen,
 * idiootti -> idioottimainen: "idiotic") in every case form, for the
 * insult nouns: it is as rude as the noun. -mainen declines like
 * nainen: -mainen -maisen -maisia.
 */
static void
expand_fi_mainen(struct lexicon *lx, const char *nom, uint32_t cue,
                 const char *where)
{
    char m0[160], m1[160], m2[160], err[64];
    char *parts[3] = {m0, m1, m2};
    int back = is_back_vowel_stem(nom);
    snprintf(m0, sizeof(m0), "%sm%sinen", nom, back ? "a" : "\xc3\xa4");
    snprintf(m1, sizeof(m1), "%sm%sisen", nom, back ? "a" : "\xc3\xa4");
    snprintf(m2, sizeof(m2), "%sm%sisi%s", nom, back ? "a" : "\xc3\xa4",
             back ? "a" : "\xc3\xa4");
    expand_fi(lx, parts, 3, cue, err, sizeof(err), where);
    /* the forms built on the consonant stem -mais-: partitive -maista,
       genitive plural -maisten */
    snprintf(m0, sizeof(m0), "%sm%sist%s", nom, back ? "a" : "\xc3\xa4",
             back ? "a" : "\xc3\xa4");
    add_form(lx, m0, strlen(m0), cue);
    snprintf(m0, sizeof(m0), "%sm%sisten", nom, back ? "a" : "\xc3\xa4");
    add_form(lx, m0, strlen(m0), cue);
}

static void
expand_noun(struct lexicon *lx, const char *w, uint32_t cue)
{
    char f[256];
    size_t n = strlen(w);
    add_form(lx, w, n, cue);
    int sib =
        n >= 1 && (w[n - 1] == 's' || w[n - 1] == 'x' || w[n - 1] == 'z' ||
                   (n >= 2 && (strcmp(w + n - 2, "ch") == 0 ||
                               strcmp(w + n - 2, "sh") == 0)));
    snprintf(f, sizeof(f), "%s%s", w, sib ? "es" : "s");
    add_form(lx, f, strlen(f), cue);
    if (n >= 2 && w[n - 1] == 'y' && !strchr("aeiou", w[n - 2])) {
        snprintf(f, sizeof(f), "%.*sies", (int)(n - 1), w);
        add_form(lx, f, strlen(f), cue);
    }
    snprintf(f, sizeof(f), "%s's", w);
    add_form(lx, f, strlen(f), cue);
    snprintf(f, sizeof(f), "%ss'", w);
    add_form(lx, f, strlen(f), cue);
}

size_t
strip_clitic_forms(const struct lexicon *lx, const char *s, size_t n)
{
    unsigned char last = (unsigned char)s[n - 1];
    /* only the forms that end like the word (most words: none) */
    for (size_t k = lx->clitic_at[last]; k < lx->clitic_at[last + 1]; k++) {
        size_t i = lx->clitic_by_last[k];
        size_t cl = lx->clitic_len[i];
        if (n > cl + 2 && same_bytes(s + n - cl, lx->clitic_forms[i], cl))
            return n - cl;
    }
    return n;
}

/* both vowel-harmony forms of every clitic, made once at load */
static void
make_clitic_forms(struct lexicon *lx)
{
    free_strv(lx->clitic_forms, lx->n_clitic_forms);
    free(lx->clitic_len);
    lx->clitic_forms = calloc(lx->n_clitics * 2 + 1, sizeof(char *));
    lx->clitic_len = calloc(lx->n_clitics * 2 + 1, sizeof(size_t));
    if (!lx->clitic_forms || !lx->clitic_len)
        abort();
    lx->n_clitic_forms = 0;
    for (size_t i = 0; i < lx->n_clitics; i++) {
        for (int back = 1; back >= 0; back--) {
            char c[32];
            harmonize(lx->clitics[i], back, c, sizeof(c));
            if (!back &&
                strcmp(c, lx->clitic_forms[lx->n_clitic_forms - 1]) == 0)
                continue;
            lx->clitic_len[lx->n_clitic_forms] = strlen(c);
            lx->clitic_forms[lx->n_clitic_forms++] = xstrdup(c);
        }
    }
    memset(lx->clitic_tail, 0, sizeof(lx->clitic_tail));
    for (size_t i = 0; i < lx->n_clitic_forms; i++) {
        const char *f = lx->clitic_forms[i];
        size_t cl = lx->clitic_len[i];
        for (unsigned x = 0; cl && x < 32; x++) {
            unsigned lb = cl >= 2 ? wt_lead_bit(f[cl - 1], f[cl - 2])
                                  : wt_lead_bit(f[0], (char)x);
            lx->clitic_tail[lb >> 6] |= 1ULL << (lb & 63);
            if (cl >= 2)
                break;
        }
    }
    /* grouped by the last byte (a counting sort, stable) */
    free(lx->clitic_by_last);
    lx->clitic_by_last =
        calloc(lx->n_clitic_forms + 1, sizeof(*lx->clitic_by_last));
    if (!lx->clitic_by_last)
        abort();
    memset(lx->clitic_at, 0, sizeof(lx->clitic_at));
    for (size_t i = 0; i < lx->n_clitic_forms; i++) {
        size_t cl = lx->clitic_len[i];
        if (cl)
            lx->clitic_at[(unsigned char)lx->clitic_forms[i][cl - 1] + 1]++;
    }
    for (size_t b = 1; b < 257; b++)
        lx->clitic_at[b] += lx->clitic_at[b - 1];
    uint16_t fill[256];
    memcpy(fill, lx->clitic_at, sizeof(fill));
    for (size_t i = 0; i < lx->n_clitic_forms; i++) {
        size_t cl = lx->clitic_len[i];
        if (cl)
            lx->clitic_by_last[fill[(unsigned char)
                                        lx->clitic_forms[i][cl - 1]]++] =
                (uint16_t)i;
    }
}

/* ---- phrases ---- */

static int
is_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\'' ||
           c == '*' || c >= 0x80;
}

static void
add_regex(struct lexicon *lx, const char *re, uint32_t cue, unsigned words)
{
    if (lx->n_regex == lx->cap_regex) {
        lx->cap_regex = lx->cap_regex ? lx->cap_regex * 2 : 64;
        lx->regex = xrealloc(lx->regex, lx->cap_regex * sizeof(*lx->regex));
        lx->regex_cue =
            xrealloc(lx->regex_cue, lx->cap_regex * sizeof(*lx->regex_cue));
        lx->regex_words =
            xrealloc(lx->regex_words, lx->cap_regex * sizeof(*lx->regex_words));
    }
    lx->regex[lx->n_regex] = xstrdup(re);
    lx->regex_cue[lx->n_regex] = cue;
    lx->regex_words[lx->n_regex] = (uint8_t)words;
    lx->n_regex++;
}

/* ---- token phrases ---- */

#define GROW(ptr, n, cap)                                                      \
    do {                                                                       \
        if ((n) == (cap)) {                                                    \
            (cap) = (cap) ? (cap)*2 : 64;                                      \
            (ptr) = xrealloc((ptr), (cap) * sizeof(*(ptr)));                   \
        }                                                                      \
    } while (0)

static void
ph_add_unit(struct lexicon *lx, int kind, const char *s, size_t n)
{
    GROW(lx->ph_units, lx->n_ph_units, lx->cap_ph_units);
    struct ph_unit *u = &lx->ph_units[lx->n_ph_units++];
    u->kind = (uint8_t)kind;
    u->len = (uint16_t)n;
    u->str = add_key(lx, s, n);
}

/*
 * One alternative of a word element into units: "kerro*" a prefix, "*nne"
 * a suffix, "@num" a number, else its words, "two_words" joined: each
 * normalized and cut into tokens the way messages are (so "brain-dead"
 * and "👏👏" are two units).
 */
static int
ph_word_alt(struct lexicon *lx, const char *alt, char *err, size_t errlen,
            const char *where)
{
    size_t al = strlen(alt);
    char nw[256];
    if (strcmp(alt, "@num") == 0) {
        ph_add_unit(lx, PH_NUM, "", 0);
        return PF_OK;
    }
    int prefix = al > 1 && alt[al - 1] == '*' && !strchr(alt, '_');
    int suffix = al > 1 && alt[0] == '*' && !strchr(alt, '_');
    if (prefix || suffix) {
        const char *w = suffix ? alt + 1 : alt;
        size_t wl = al - 1;
        if (norm_word(lx, w, wl, nw, sizeof(nw)) != 0 || !*nw) {
            snprintf(err, errlen, "%s: cannot normalize '%s' in phrase", where,
                     alt);
            return PF_EINVAL;
        }
        ph_add_unit(lx, prefix ? PH_PREFIX : PH_SUFFIX, nw, strlen(nw));
        return PF_OK;
    }
    char w[256];
    snprintf(w, sizeof(w), "%s", alt);
    for (char *q = w; *q; q++)
        if (*q == '_')
            *q = ' ';
    if (norm_word(lx, w, strlen(w), nw, sizeof(nw)) != 0 || !*nw) {
        snprintf(err, errlen, "%s: cannot normalize '%s' in phrase", where,
                 alt);
        return PF_EINVAL;
    }
    struct pf_span spans[16];
    uint16_t kinds[16];
    size_t nt = 0;
    if (lx->h->tokenize(lx->hctx, nw, strlen(nw), spans, kinds, 16, &nt) !=
            PF_OK ||
        nt == 0 || nt > 16) {
        snprintf(err, errlen, "%s: cannot read '%s' in phrase", where, alt);
        return PF_EINVAL;
    }
    size_t added = 0;
    for (size_t i = 0; i < nt; i++) {
        if (kinds[i] == PF_TOK_PUNCT)
            continue; /* the hyphen of brain-dead: any separator will do */
        ph_add_unit(lx, PH_WORD, nw + spans[i].off, spans[i].len);
        added++;
    }
    if (!added) {
        snprintf(err, errlen,
                 "%s: '%s' in a phrase is not a word (put punctuation in its "
                 "own element)",
                 where, alt);
        return PF_EINVAL;
    }
    return PF_OK;
}

/* ph->next: see lexicon.h. The word after the phrase's first token is
   the second word of a two-word alternative ("it_is"), or, after a
   one-word alternative, the first word of the next element (or of the one
   after it, while they are optional) */
static int
next_add(const struct lexicon *lx, struct ph_phrase *ph,
         const struct ph_unit *u)
{
    if (u->kind != PH_WORD)
        return -1; /* a prefix, suffix or number: no word to hash */
    uint32_t h = lex_hash(lx->keys + u->str, u->len) & 255;
    ph->next[h >> 6] |= 1ULL << (h & 63);
    return 0;
}

static void
next_words(const struct lexicon *lx, struct ph_phrase *ph)
{
    memset(ph->next, 0, sizeof(ph->next));
    ph->has_next = 0;
    ph->next_span = 1;
    const struct ph_elem *e0 = &lx->ph_elems[ph->e0];
    if (e0->optional || !e0->word)
        return;
    int one_word = 0;
    for (size_t a = e0->a0; a < e0->a0 + e0->na; a++) {
        const struct ph_alt *al = &lx->ph_alts[a];
        if (al->nu == 1)
            one_word = 1;
        else if (al->nu == 0 ||
                 next_add(lx, ph, &lx->ph_units[al->u0 + 1]) != 0)
            return;
    }
    for (size_t i = 1; one_word; i++) {
        if (i == ph->ne)
            return; /* the phrase may end after its first word */
        const struct ph_elem *e = e0 + i;
        if (!e->word || (e->gap && (i > 1 || e->optional)))
            return;
        ph->next_span = (uint8_t)(1 + e->gap);
        for (size_t a = e->a0; a < e->a0 + e->na; a++)
            if (lx->ph_alts[a].nu == 0 ||
                next_add(lx, ph, &lx->ph_units[lx->ph_alts[a].u0]) != 0)
                return;
        if (!e->optional)
            break;
    }
    ph->has_next = 1;
}

/*
 * Compile one phrase: elements separated by spaces; "a|b" alternatives,
 * "~N" a gap of up to N words before the next element ("~" = 3), "X?" an
 * optional element, punctuation (, : ? ( <-) as elements of its own.
 */
static int
phrase_compile(struct lexicon *lx, const char *phrase, uint32_t cue, int start,
               char *err, size_t errlen, const char *where)
{
    char buf[1024];
    char *save = NULL, *tok;
    unsigned gap = 0;
    size_t e0 = lx->n_ph_elems;
    snprintf(buf, sizeof(buf), "%s", phrase);
    for (tok = strtok_r(buf, " \t", &save); tok;
         tok = strtok_r(NULL, " \t", &save)) {
        size_t tl = strlen(tok);
        int optional = 0;
        if (tok[0] == '~') {
            gap = tok[1] ? (unsigned)atoi(tok + 1) : 3;
            if (gap > 8)
                gap = 8;
            continue;
        }
        if (tl > 1 && tok[tl - 1] == '?' &&
            is_word_byte((unsigned char)tok[tl - 2])) {
            optional = 1;
            tok[--tl] = '\0';
        }
        unsigned char c0 = (unsigned char)tok[0];
        int word = (c0 >= 'a' && c0 <= 'z') || (c0 >= '0' && c0 <= '9') ||
                   c0 >= 0x80 || c0 == '@' || (c0 == '*' && tl > 1);
        GROW(lx->ph_elems, lx->n_ph_elems, lx->cap_ph_elems);
        struct ph_elem *e = &lx->ph_elems[lx->n_ph_elems++];
        e->a0 = (uint32_t)lx->n_ph_alts;
        e->na = 0;
        e->optional = (uint8_t)optional;
        e->gap = (uint8_t)gap;
        e->word = (uint8_t)word;
        e->first = 0;
        gap = 0;
        char *asave = NULL, *alt;
        for (alt = strtok_r(tok, "|", &asave); alt;
             alt = strtok_r(NULL, "|", &asave)) {
            GROW(lx->ph_alts, lx->n_ph_alts, lx->cap_ph_alts);
            struct ph_alt *a = &lx->ph_alts[lx->n_ph_alts];
            a->u0 = (uint32_t)lx->n_ph_units;
            if (word) {
                int rc = ph_word_alt(lx, alt, err, errlen, where);
                if (rc)
                    return rc;
            } else {
                /* "<-": one unit per character, each a token */
                for (const char *q = alt; *q; q++)
                    ph_add_unit(lx, PH_PUNCT, q, 1);
            }
            a = &lx->ph_alts[lx->n_ph_alts++]; /* may have moved */
            a->nu = (uint16_t)(lx->n_ph_units - a->u0);
            struct ph_elem *el = &lx->ph_elems[lx->n_ph_elems - 1];
            el->na++;
            /* which first bytes an alternative can begin with, to skip
               the element quickly where none can */
            const struct ph_unit *u0 = &lx->ph_units[a->u0];
            if (a->nu &&
                (u0->kind == PH_WORD || u0->kind == PH_PREFIX ||
                 u0->kind == PH_PUNCT) &&
                u0->len) {
                a->first = (unsigned char)lx->keys[u0->str];
                el->first |= 1ULL << (a->first & 63);
            } else {
                a->first = -1;
                el->first = ~0ULL;
            }
        }
    }
    if (lx->n_ph_elems == e0) {
        snprintf(err, errlen, "%s: empty phrase", where);
        return PF_EINVAL;
    }
    GROW(lx->phrases, lx->n_phrases, lx->cap_phrases);
    struct ph_phrase *ph = &lx->phrases[lx->n_phrases];
    ph->cue = cue;
    ph->e0 = (uint32_t)e0;
    ph->ne = (uint16_t)(lx->n_ph_elems - e0);
    ph->start = (uint8_t)start;
    next_words(lx, ph);
    /* index it by what it can begin with: the first element's units, and
       the next one's while the ones before are optional. Words and
       punctuation by their text, prefixes and suffixes by theirs (with
       their lengths in a mask), numbers in a list of their own */
    uint32_t id = (uint32_t)lx->n_phrases;
    for (size_t i = e0; i < lx->n_ph_elems; i++) {
        const struct ph_elem *e = &lx->ph_elems[i];
        for (size_t a = e->a0; a < e->a0 + e->na; a++) {
            const struct ph_unit *u = &lx->ph_units[lx->ph_alts[a].u0];
            const char *k = lx->keys + u->str;
            unsigned char b0 = (unsigned char)k[0],
                          bl = (unsigned char)k[u->len ? u->len - 1 : 0];
            switch (u->kind) {
            case PH_WORD: wt_add(lx, &lx->ph_starts, k, u->len, id); break;
            case PH_PUNCT:
                wt_add(lx, &lx->ph_starts, k, u->len, id);
                lx->ph_punct_first[b0 / 64] |= 1ULL << (b0 % 64);
                lx->ph_rest_first[b0 / 64] |= 1ULL << (b0 % 64);
                break;
            case PH_PREFIX:
                lx->ph_prefix_first[b0 / 64] |= 1ULL << (b0 % 64);
                lx->ph_rest_first[b0 / 64] |= 1ULL << (b0 % 64);
                wt_add(lx, &lx->ph_prefix, k, u->len, id);
                if (u->len < 32)
                    lx->ph_prefix_lens |= 1u << u->len;
                break;
            case PH_SUFFIX:
                lx->ph_suffix_last[bl / 64] |= 1ULL << (bl % 64);
                wt_add(lx, &lx->ph_suffix, k, u->len, id);
                if (u->len < 32)
                    lx->ph_suffix_lens |= 1u << u->len;
                break;
            default:
                GROW(lx->ph_num, lx->n_ph_num, lx->cap_ph_num);
                lx->ph_num[lx->n_ph_num++] = id;
                for (unsigned d = '0'; d <= '9'; d++)
                    lx->ph_rest_first[0] |= 1ULL << d;
            }
        }
        if (!e->optional)
            break;
    }
    lx->n_phrases++;
    return PF_OK;
}

/* ---- matching token phrases ---- */

static int
tok_wordish(const struct pf_token *t)
{
    return t->kind != PF_TOK_PUNCT;
}

/* does token t match unit u? */
static int
unit_match(const struct lexicon *lx, const struct ph_unit *u,
           const struct pf_msg *m, size_t t)
{
    const struct pf_token *tok = &m->tokens[t];
    const char *w = m->norm + tok->norm_off, *k = lx->keys + u->str;
    size_t n = tok->norm_len;
    switch (u->kind) {
    case PH_WORD: return tok_wordish(tok) && n == u->len && same_bytes(w, k, n);
    case PH_PREFIX:
        return tok->kind == PF_TOK_WORD && n >= u->len &&
               same_bytes(w, k, u->len);
    case PH_SUFFIX:
        return tok->kind == PF_TOK_WORD && n >= (size_t)u->len + 3 &&
               same_bytes(w + n - u->len, k, u->len);
    case PH_NUM:
        if (tok->kind == PF_TOK_NUMBER)
            return 1;
        for (size_t i = 0; i < n; i++)
            if (w[i] < '0' || w[i] > '9')
                return 0;
        return tok->kind == PF_TOK_WORD && n > 0;
    case PH_PUNCT:
        return tok->kind == PF_TOK_PUNCT && n >= u->len &&
               same_bytes(w, k, u->len);
    }
    return 0;
}

static size_t
skip_punct(const struct pf_msg *m, size_t p)
{
    while (p < m->n_tokens && m->tokens[p].kind == PF_TOK_PUNCT)
        p++;
    return p;
}

/* alternative a at token p: the token after it, or 0 when it does not
   match (a match always covers at least one token) */
static size_t
alt_match(const struct lexicon *lx, const struct ph_alt *a,
          const struct pf_msg *m, size_t p)
{
    for (size_t i = 0; i < a->nu; i++) {
        const struct ph_unit *u = &lx->ph_units[a->u0 + i];
        if (i > 0) {
            const struct ph_unit *v = u - 1;
            if (u->kind == PH_PUNCT && v->kind == PH_PUNCT) {
                /* "<-": the characters touch */
                const struct pf_token *x = &m->tokens[p - 1];
                if (p >= m->n_tokens ||
                    x->norm_off + x->norm_len != m->tokens[p].norm_off)
                    return 0;
            } else if (u->kind != PH_PUNCT && v->kind != PH_PUNCT) {
                p = skip_punct(m, p); /* "two_words", "brain-dead" */
            }
        }
        if (p >= m->n_tokens || !unit_match(lx, u, m, p))
            return 0;
        p++;
    }
    return p;
}

/* elements [i, ne) of ph, the first of them beginning at token p (at p
   exactly when anchored, else after the separators and gap the phrase
   allows); the token after the match, or 0 */
static size_t
elems_match(const struct lexicon *lx, const struct ph_phrase *ph, size_t i,
            const struct pf_msg *m, size_t p, int anchored, int depth)
{
    if (i == ph->ne)
        return p;
    if (depth > 24)
        return 0; /* a pathological phrase: give up rather than loop */
    const struct ph_elem *e = &lx->ph_elems[ph->e0 + i];
    int prev_word = i > 0 && lx->ph_elems[ph->e0 + i - 1].word;
    size_t q = p;
    for (unsigned g = 0; g <= (anchored ? 0u : e->gap); g++) {
        size_t at = q;
        /* between two words any punctuation may stand; next to
           punctuation only spaces */
        if (!anchored && e->word && prev_word)
            at = skip_punct(m, at);
        if (at >= m->n_tokens)
            break;
        const struct pf_token *at_tok = &m->tokens[at];
        unsigned char b0 =
            at_tok->norm_len ? (unsigned char)m->norm[at_tok->norm_off] : 0;
        const struct ph_alt *a = &lx->ph_alts[e->a0], *z = a + e->na;
        if (!(e->first >> (b0 & 63) & 1))
            z = a; /* none of them begins so */
        for (; a < z; a++) {
            if (a->first != b0 && a->first >= 0)
                continue;
            size_t end = alt_match(lx, a, m, at);
            if (!end)
                continue;
            size_t r = elems_match(lx, ph, i + 1, m, end, 0, depth + 1);
            if (r)
                return r;
        }
        /* one more word of gap */
        q = skip_punct(m, q);
        if (q >= m->n_tokens)
            break;
        q++;
    }
    if (e->optional)
        return elems_match(lx, ph, i + 1, m, p, anchored, depth + 1);
    return 0;
}

void
lex_phrase_match(struct lexicon *lx, uint32_t id, const struct pf_msg *m,
                 size_t t, lex_hit_fn fn, void *ud)
{
    const struct ph_phrase *ph = &lx->phrases[id];
    size_t end = elems_match(lx, ph, 0, m, t, 1, 0);
    if (!end)
        return;
    const struct cue *c = &lx->cues[ph->cue];
    struct lex_hit h;
    h.cue = ph->cue;
    h.family = c->family;
    h.weight = c->weight * lx->weight_scale[c->family];
    h.t0 = t;
    h.t1 = end;
    fn(ud, &h);
}

/* ---- parsing ---- */

static int
parse_family(const struct lexicon *lx, const char *s)
{
    for (unsigned i = 0; i < lx->spec.n_families; i++)
        if (strcmp(s, lx->spec.families[i]) == 0)
            return (int)i;
    return -1;
}

static char **
split_words(char *s, size_t *n)
{
    char **v = NULL, *save = NULL, *t;
    size_t k = 0;
    for (t = strtok_r(s, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        v = xrealloc(v, (k + 1) * sizeof(*v));
        v[k++] = t;
    }
    *n = k;
    return v;
}

static int
directive(struct lexicon *lx, char *line, char *err, size_t errlen,
          const char *where)
{
    size_t n;
    char **v = split_words(line, &n);
    int rc = PF_OK;
    char ***dst = NULL;
    size_t *dn = NULL;
    if (n && strcmp(v[0], "@fi-endings") == 0)
        dst = &lx->endings, dn = &lx->n_endings;
    else if (n && strcmp(v[0], "@fi-clitics") == 0)
        dst = &lx->clitics, dn = &lx->n_clitics;
    if (!dst) {
        snprintf(err, errlen, "%s: unknown directive '%s'", where,
                 n ? v[0] : "@");
        rc = PF_EINVAL;
    } else {
        for (size_t i = 1; i < n; i++) {
            *dst = xrealloc(*dst, (*dn + 1) * sizeof(**dst));
            /* "-" stands for the empty ending (the nominative itself) */
            (*dst)[(*dn)++] = xstrdup(strcmp(v[i], "-") == 0 ? "" : v[i]);
        }
        if (dst == &lx->clitics)
            make_clitic_forms(lx);
    }
    free(v);
    return rc;
}

static int
parse_line(struct lexicon *lx, char *line, char *err, size_t errlen,
           const char *where)
{
    char *save = NULL;
    char *fam_s = strtok_r(line, " \t", &save);
    char *w_s = strtok_r(NULL, " \t", &save);
    char *kind_s = strtok_r(NULL, " \t", &save);
    char *rest = save;
    int fam, kind = -1;
    unsigned flags = 0;
    char *endp;
    float weight;

    if (!fam_s || !w_s || !kind_s) {
        snprintf(err, errlen, "%s: expected FAMILY WEIGHT KIND ITEMS...",
                 where);
        return PF_EINVAL;
    }
    if ((fam = parse_family(lx, fam_s)) < 0) {
        snprintf(err, errlen, "%s: unknown family '%s'", where, fam_s);
        return PF_EINVAL;
    }
    errno = 0;
    weight = strtof(w_s, &endp);
    if (*endp || errno || weight < -20 || weight > 20) {
        snprintf(err, errlen,
                 "%s: weight '%s' is not a number from -20 to "
                 "20",
                 where, w_s);
        return PF_EINVAL;
    }
    /* KIND/FLAG/FLAG */
    for (char *f = strchr(kind_s, '/'); f;) {
        char *next = strchr(f + 1, '/');
        *f++ = '\0';
        if (next)
            *next = '\0';
        if (strcmp(f, "weak") == 0)
            flags |= CUE_WEAK;
        else if (strcmp(f, "adj") == 0)
            flags |= CUE_ADJ;
        else if (strcmp(f, "start") == 0)
            flags |= CUE_START;
        else if (strcmp(f, "caps") == 0)
            flags |= CUE_CAPS;
        else {
            snprintf(err, errlen, "%s: unknown flag '/%s'", where, f);
            return PF_EINVAL;
        }
        f = next;
    }
    for (size_t i = 0; i < sizeof(kind_names) / sizeof(*kind_names); i++)
        if (strcmp(kind_s, kind_names[i]) == 0)
            kind = (int)i;
    if (kind < 0) {
        snprintf(err, errlen, "%s: unknown kind '%s'", where, kind_s);
        return PF_EINVAL;
    }
    while (rest && (*rest == ' ' || *rest == '\t'))
        rest++;
    if (!rest || !*rest) {
        snprintf(err, errlen, "%s: no items", where);
        return PF_EINVAL;
    }
    /* trim the end */
    size_t rl = strlen(rest);
    while (rl && (rest[rl - 1] == ' ' || rest[rl - 1] == '\t' ||
                  rest[rl - 1] == '\r'))
        rest[--rl] = '\0';
    /* a lexicon for some families only skips the others' cues */
    if (lx->spec.family_mask && !(lx->spec.family_mask & (1u << fam)))
        return PF_OK;

    if (kind == KIND_PHRASE || kind == KIND_REGEX) {
        uint32_t cue = add_cue(lx, fam, kind, flags, weight, rest, where);
        if (kind == KIND_REGEX) {
            add_regex(lx, rest, cue, 0);
            return PF_OK;
        }
        return phrase_compile(lx, rest, cue, (flags & CUE_START) != 0, err,
                              errlen, where);
    }

    size_t n;
    char **items = split_words(rest, &n);
    char **normed = calloc(n + 1, sizeof(char *));
    int rc = PF_OK;
    for (size_t i = 0; i < n; i++) {
        char nw[256];
        if (norm_word(lx, items[i], strlen(items[i]), nw, sizeof(nw)) != 0 ||
            !*nw) {
            snprintf(err, errlen, "%s: cannot normalize '%s'", where, items[i]);
            rc = PF_EINVAL;
            goto out;
        }
        normed[i] = xstrdup(nw);
    }
    if (kind == KIND_FI && lx->n_endings == 0) {
        snprintf(err, errlen, "%s: 'fi' line before any @fi-endings", where);
        rc = PF_EINVAL;
    } else if (kind == KIND_FI) {
        uint32_t cue = add_cue(lx, fam, kind, flags, weight, normed[0], where);
        rc = expand_fi(lx, normed, n, cue, err, errlen, where);
        if (rc == PF_OK && fam == lx->spec.insult_family &&
            !(flags & (CUE_WEAK | CUE_ADJ)))
            expand_fi_mainen(lx, normed[0], cue, where);
    } else {
        for (size_t i = 0; i < n; i++) {
            /* "brain-dead": the tokenizer splits at hyphens and dots, so a
               word with one is matched as a phrase of its parts (which
               also finds "brain dead") */
            if ((kind == KIND_WORD || kind == KIND_NOUN) &&
                strpbrk(normed[i], "-.") && normed[i][0] != '-' &&
                normed[i][0] != '.') {
                char ph[512];
                size_t k = 0;
                for (const char *q = normed[i]; *q && k + 1 < sizeof(ph); q++)
                    ph[k++] = (*q == '-' || *q == '.') ? ' ' : *q;
                ph[k] = '\0';
                uint32_t cue =
                    add_cue(lx, fam, KIND_PHRASE, flags, weight, ph, where);
                rc = phrase_compile(lx, ph, cue, 0, err, errlen, where);
                if (rc)
                    goto out;
                continue;
            }
            uint32_t cue =
                add_cue(lx, fam, kind, flags, weight, normed[i], where);
            if (kind == KIND_NOUN)
                expand_noun(lx, normed[i], cue);
            else if (kind == KIND_PREFIX) {
                size_t pl = strlen(normed[i]);
                wt_add(lx, &lx->prefixes, normed[i], pl, cue);
                if (pl < 32)
                    lx->prefix_lens |= 1u << pl;
            } else
                add_form(lx, normed[i], strlen(normed[i]), cue);
            /* person words double as compound heads: idioottiasiakas */
            if (fam == lx->spec.person_family && kind != KIND_EMOJI)
                wt_add(lx, &lx->heads, normed[i], strlen(normed[i]), cue);
        }
    }
out:
    for (size_t i = 0; i < n; i++)
        free(normed[i]);
    free(normed);
    free(items);
    return rc;
}

int
lex_load_file(struct lexicon *lx, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    int rc = PF_OK;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (!f) {
        snprintf(err, errlen, "cannot open lexicon '%s': %s", path,
                 strerror(errno));
        return PF_ENOTFOUND;
    }
    while ((n = getline(&line, &cap, f)) >= 0) {
        char where[256];
        lineno++;
        /* comments: '#' at the start or after white space */
        for (ssize_t i = 0; i < n; i++) {
            if (line[i] == '#' &&
                (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
                line[i] = '\0';
                n = i;
                break;
            }
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
                         line[n - 1] == ' ' || line[n - 1] == '\t'))
            line[--n] = '\0';
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s)
            continue;
        snprintf(where, sizeof(where), "%s:%zu", base, lineno);
        if (*s == '@')
            rc = directive(lx, s, err, errlen, where);
        else
            rc = parse_line(lx, s, err, errlen, where);
        if (rc)
            break;
    }
    free(line);
    fclose(f);
    return rc;
}

/* ---- compiled phrases, and their cache ---- */

/*
 * The phrase database is compiled without start-of-match tracking (ten
 * times faster to compile, a twelfth of the size) and every phrase is also
 * compiled alone with it, so lex_match_start() can find where a match
 * begins. All of it is compiled here, in create(), never during a check.
 * Compiling takes about half a second, so the result is cached in a file
 * keyed by a hash of the Vectorscan version and every pattern; loading the
 * cache takes milliseconds. A cache file that is not ours, or that others
 * could write, is ignored.
 */

#define CACHE_MAGIC "PFBSHS3\n"

static void
hash128(const struct lexicon *lx, uint64_t out[2])
{
    uint64_t a = 1469598103934665603ULL, b = 0x9E3779B97F4A7C15ULL;
    const char *ver = hs_version();
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i <= lx->n_regex; i++) {
            const char *str = i < lx->n_regex ? lx->regex[i] : ver;
            for (const unsigned char *p = (const unsigned char *)str;; p++) {
                a = (a ^ *p) * 1099511628211ULL;
                b = (b ^ *p) * 0xff51afd7ed558ccdULL;
                b ^= b >> 29;
                if (!*p)
                    break;
            }
        }
    }
    out[0] = a;
    out[1] = b ^ (uint64_t)lx->n_regex;
}

static int
compile_all(struct lexicon *lx, char *err, size_t errlen)
{
    hs_compile_error_t *ce = NULL;
    unsigned *flags = calloc(lx->n_regex, sizeof(*flags));
    unsigned *ids = calloc(lx->n_regex, sizeof(*ids));
    if (!flags || !ids)
        abort();
    /* one match per phrase is all a cue needs */
    for (size_t i = 0; i < lx->n_regex; i++) {
        ids[i] = (unsigned)i;
        flags[i] = HS_FLAG_SINGLEMATCH;
    }
    hs_database_t *db = NULL;
    hs_error_t e =
        hs_compile_multi((const char *const *)lx->regex, flags, ids,
                         (unsigned)lx->n_regex, HS_MODE_BLOCK, NULL, &db, &ce);
    free(flags);
    free(ids);
    if (e != HS_SUCCESS) {
        int bad = ce ? ce->expression : -1;
        if (bad >= 0 && (size_t)bad < lx->n_regex)
            snprintf(err, errlen, "%s: phrase does not compile: %s",
                     lx->cues[lx->regex_cue[bad]].where,
                     ce ? ce->message : "unknown error");
        else
            snprintf(err, errlen, "phrases do not compile: %s",
                     ce ? ce->message : "unknown error");
        if (ce)
            hs_free_compile_error(ce);
        return PF_EINVAL;
    }
    lx->db = db;
    for (size_t i = 0; i < lx->n_regex; i++) {
        if (hs_compile(lx->regex[i], HS_FLAG_SOM_LEFTMOST, HS_MODE_BLOCK, NULL,
                       (hs_database_t **)&lx->som_db[i], &ce) != HS_SUCCESS) {
            snprintf(err, errlen, "%s: phrase does not compile: %s",
                     lx->cues[lx->regex_cue[i]].where,
                     ce ? ce->message : "unknown error");
            if (ce)
                hs_free_compile_error(ce);
            return PF_EINVAL;
        }
    }
    return PF_OK;
}

static int
write_all(FILE *f, const void *p, size_t n)
{
    return fwrite(p, 1, n, f) == n ? 0 : -1;
}

static int
save_db(FILE *f, const hs_database_t *db)
{
    char *bytes = NULL;
    size_t len = 0;
    if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS)
        return -1;
    uint64_t l = len;
    int rc = write_all(f, &l, sizeof(l)) || write_all(f, bytes, len);
    free(bytes);
    return rc;
}

static void
cache_save(struct lexicon *lx, const char *path, const uint64_t key[2])
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(tmp);
        return;
    }
    uint32_t n = (uint32_t)lx->n_regex;
    int rc = write_all(f, CACHE_MAGIC, 8) || write_all(f, key, 16) ||
             write_all(f, &n, sizeof(n)) || save_db(f, lx->db);
    for (size_t i = 0; !rc && i < lx->n_regex; i++)
        rc = save_db(f, lx->som_db[i]);
    if (fclose(f) != 0)
        rc = -1;
    if (rc || rename(tmp, path) != 0)
        unlink(tmp);
}

static hs_database_t *
load_db(FILE *f, size_t remaining)
{
    uint64_t len;
    if (fread(&len, sizeof(len), 1, f) != 1 || len == 0 || len > remaining)
        return NULL;
    char *bytes = malloc((size_t)len);
    if (!bytes)
        return NULL;
    hs_database_t *db = NULL;
    if (fread(bytes, 1, (size_t)len, f) != len ||
        hs_deserialize_database(bytes, (size_t)len, &db) != HS_SUCCESS)
        db = NULL;
    free(bytes);
    return db;
}

static int
cache_load(struct lexicon *lx, const char *path, const uint64_t key[2])
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & (S_IWGRP | S_IWOTH))) {
        close(fd);
        return -1;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return -1;
    }
    char magic[8];
    uint64_t k[2];
    uint32_t n;
    size_t size = (size_t)st.st_size;
    int rc = -1;
    if (fread(magic, 8, 1, f) == 1 && memcmp(magic, CACHE_MAGIC, 8) == 0 &&
        fread(k, 16, 1, f) == 1 && k[0] == key[0] && k[1] == key[1] &&
        fread(&n, sizeof(n), 1, f) == 1 && n == lx->n_regex) {
        lx->db = load_db(f, size);
        rc = lx->db ? 0 : -1;
        for (size_t i = 0; rc == 0 && i < lx->n_regex; i++) {
            lx->som_db[i] = load_db(f, size);
            if (!lx->som_db[i])
                rc = -1;
        }
    }
    fclose(f);
    if (rc != 0) {
        if (lx->db)
            hs_free_database(lx->db);
        lx->db = NULL;
        for (size_t i = 0; i < lx->n_regex; i++) {
            if (lx->som_db[i])
                hs_free_database(lx->som_db[i]);
            lx->som_db[i] = NULL;
        }
    }
    return rc;
}

int
lex_finish(struct lexicon *lx, const char *cache_dir, char *err, size_t errlen)
{
    uint64_t key[2];
    char path[4096] = "";
    int rc;
    if (lx->n_regex == 0)
        return PF_OK;
    lx->som_db = calloc(lx->n_regex, sizeof(*lx->som_db));
    if (!lx->som_db)
        abort();
    hash128(lx, key);
    if (cache_dir && *cache_dir)
        snprintf(path, sizeof(path), "%s/%s-%016llx%016llx.hsdb", cache_dir,
                 lx->spec.cache_prefix, (unsigned long long)key[0],
                 (unsigned long long)key[1]);
    if (!*path || cache_load(lx, path, key) != 0) {
        if ((rc = compile_all(lx, err, errlen)))
            return rc;
        if (*path) {
            mkdir(cache_dir, 0700); /* may exist already */
            cache_save(lx, path, key);
        }
    }
    if (hs_alloc_scratch(lx->db, (hs_scratch_t **)&lx->scratch) != HS_SUCCESS) {
        snprintf(err, errlen, "cannot allocate Vectorscan scratch space");
        return PF_ENOMEM;
    }
    for (size_t i = 0; i < lx->n_regex; i++) {
        if (hs_alloc_scratch(lx->som_db[i],
                             (hs_scratch_t **)&lx->som_scratch) != HS_SUCCESS) {
            snprintf(err, errlen, "cannot allocate Vectorscan scratch space");
            return PF_ENOMEM;
        }
    }
    return PF_OK;
}

struct som_ctx {
    unsigned long long to;
    unsigned long long from;
    int found;
};

static int
som_cb(unsigned int id, unsigned long long from, unsigned long long to,
       unsigned int flags, void *ctx)
{
    struct som_ctx *c = ctx;
    (void)id;
    (void)flags;
    if (to == c->to && (!c->found || from < c->from)) {
        c->from = from;
        c->found = 1;
    }
    return 0;
}

int
lex_match_start(struct lexicon *lx, unsigned id, const char *text,
                unsigned long long to, unsigned long long *from)
{
    struct som_ctx c = {to, 0, 0};
    if (id >= lx->n_regex || !lx->som_db || !lx->som_db[id])
        return PF_EINVAL;
    if (hs_scan(lx->som_db[id], text, (unsigned)to, 0, lx->som_scratch, som_cb,
                &c) != HS_SUCCESS ||
        !c.found)
        return PF_ENOTFOUND;
    *from = c.from;
    return PF_OK;
}

/* ---- configuration ---- */

/*
 * Where compiled phrases are cached: config "cache_dir" ("" turns the
 * cache off), else the state directory the host gives this instance, else
 * $XDG_CACHE_HOME/pokerface or ~/.cache/pokerface.
 */
static void
cache_dir(struct lexicon *lx, char *out, size_t cap)
{
    const char *p, *env;
    out[0] = '\0';
    if (lx->h->cfg_str(lx->hctx, "cache_dir", &p) == PF_OK) {
        if (*p && lx->h->cfg_path(lx->hctx, "cache_dir", &p) == PF_OK)
            snprintf(out, cap, "%s", p);
        return;
    }
    if ((p = lx->h->state_dir(lx->hctx)) != NULL) {
        snprintf(out, cap, "%s", p);
        mkdir(out, 0700);
        return;
    }
    if ((env = getenv("XDG_CACHE_HOME")) != NULL && *env == '/' &&
        strlen(env) < cap - 12) {
        mkdir(env, 0700);
        snprintf(out, cap, "%s/pokerface", env);
    } else if ((env = getenv("HOME")) != NULL && *env == '/' &&
               strlen(env) < cap - 20) {
        snprintf(out, cap, "%s/.cache", env);
        mkdir(out, 0700);
        snprintf(out, cap, "%s/.cache/pokerface", env);
    }
}

int
lex_load_config(struct lexicon *lx, const char *shipped, char *err,
                size_t errlen)
{
    size_t n = 0;
    int rc;
    char pattern[1024];
    glob_t g;
    /* the shared morphology first (common-*.txt), whatever else is used */
    snprintf(pattern, sizeof(pattern), "%s/lexicons/common-*.txt",
             lx->h->data_dir(lx->hctx));
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            if ((rc = lex_load_file(lx, g.gl_pathv[i], err, errlen))) {
                globfree(&g);
                return rc;
            }
        }
    }
    globfree(&g);
    /* "lexicons" replaces the shipped files; default: all of them */
    if (lx->h->cfg_len(lx->hctx, "lexicons", &n) == PF_OK) {
        for (size_t i = 0; i < n; i++) {
            char key[32];
            const char *path;
            snprintf(key, sizeof(key), "lexicons[%zu]", i);
            if (lx->h->cfg_path(lx->hctx, key, &path) != PF_OK) {
                snprintf(err, errlen, "config.%s: expected a file name", key);
                return PF_EINVAL;
            }
            if ((rc = lex_load_file(lx, path, err, errlen)))
                return rc;
        }
    } else {
        snprintf(pattern, sizeof(pattern), "%s/lexicons/%s",
                 lx->h->data_dir(lx->hctx), shipped);
        if (glob(pattern, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
            snprintf(err, errlen, "no lexicon files match '%s'", pattern);
            globfree(&g);
            return PF_ENOTFOUND;
        }
        for (size_t i = 0; i < g.gl_pathc; i++) {
            if ((rc = lex_load_file(lx, g.gl_pathv[i], err, errlen))) {
                globfree(&g);
                return rc;
            }
        }
        globfree(&g);
    }
    /* "extra_lexicons" add to them (a team's own words) */
    if (lx->h->cfg_len(lx->hctx, "extra_lexicons", &n) == PF_OK) {
        for (size_t i = 0; i < n; i++) {
            char key[40];
            const char *path;
            snprintf(key, sizeof(key), "extra_lexicons[%zu]", i);
            if (lx->h->cfg_path(lx->hctx, key, &path) != PF_OK) {
                snprintf(err, errlen, "config.%s: expected a file name", key);
                return PF_EINVAL;
            }
            if ((rc = lex_load_file(lx, path, err, errlen)))
                return rc;
        }
    }
    char cache[4096];
    cache_dir(lx, cache, sizeof(cache));
    return lex_finish(lx, cache, err, errlen);
}

/* ---- a simple scanner ---- */

/* the token whose normalized text contains byte off, or n_tokens */
static size_t
token_at(const struct pf_msg *m, size_t off)
{
    size_t lo = 0, hi = m->n_tokens;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const struct pf_token *t = &m->tokens[mid];
        if (off < t->norm_off)
            hi = mid;
        else if (off >= t->norm_off + t->norm_len)
            lo = mid + 1;
        else
            return mid;
    }
    return lo < m->n_tokens ? lo : m->n_tokens;
}

struct scan_ends {
    struct {
        unsigned id;
        unsigned long long to;
    } e[64];
    size_t n;
};

static int
collect_end(unsigned int id, unsigned long long from, unsigned long long to,
            unsigned int flags, void *ctx)
{
    struct scan_ends *se = ctx;
    (void)from;
    (void)flags;
    if (se->n < sizeof(se->e) / sizeof(se->e[0])) {
        se->e[se->n].id = id;
        se->e[se->n].to = to;
        se->n++;
    }
    return 0;
}

static void
emit_hit(struct lexicon *lx, uint32_t cue, size_t t0, size_t t1, lex_hit_fn fn,
         void *ud)
{
    const struct cue *c = &lx->cues[cue];
    struct lex_hit h;
    h.cue = cue;
    h.family = c->family;
    h.weight = c->weight * lx->weight_scale[c->family];
    h.t0 = t0;
    h.t1 = t1;
    fn(ud, &h);
}

void
lex_scan(struct lexicon *lx, const struct pf_msg *m, lex_hit_fn fn, void *ud)
{
    int finnish = strcmp(m->lang, "en") != 0;
    const uint32_t *th = lex_token_hashes(m);
    for (size_t t = 0; t < m->n_tokens; t++) {
        const struct pf_token *tok = &m->tokens[t];
        const char *w = m->norm + tok->norm_off;
        size_t wl = tok->norm_len;
        if ((tok->kind != PF_TOK_WORD && tok->kind != PF_TOK_EMOJI &&
             tok->kind != PF_TOK_PUNCT) ||
            wl == 0)
            continue;
        uint32_t h = lex_token_hash(th, m, t);
        const struct wentry *e = wt_find_h(lx, &lx->words, w, wl, h);
        if (!e && tok->kind == PF_TOK_WORD && finnish) {
            size_t sl = strip_clitic(lx, w, wl);
            if (sl != wl)
                e = wt_find(lx, &lx->words, w, sl);
        }
        /* phrases that begin with this word */
        for (const struct wentry *ps = wt_find_h(lx, &lx->ph_starts, w, wl, h);
             ps; ps = wt_next(lx, &lx->ph_starts, ps))
            lex_phrase_at(lx, ps->cue, m, t, fn, ud);
        for (; e; e = wt_next(lx, &lx->words, e)) {
            const struct cue *c = &lx->cues[e->cue];
            if ((c->flags & CUE_CAPS) && !(tok->flags & PF_TOKF_ALLCAPS))
                continue;
            emit_hit(lx, e->cue, t, t + 1, fn, ud);
        }
        if (tok->kind != PF_TOK_WORD || !lx->prefix_lens)
            continue;
        uint32_t lens = lx->prefix_lens, hs[32];
        if (wl < 33)
            lens &= (1u << (wl - 1)) - 1u; /* shorter than the word */
        if (!wt_may_lead(&lx->prefixes, w, wl))
            continue;
        lex_hash_lens(w, wl, lens, 0, hs);
        while (lens) {
            size_t pl = (size_t)__builtin_ctz(lens);
            lens &= lens - 1;
            const struct wentry *p =
                wt_find_h(lx, &lx->prefixes, w, pl, hs[pl]);
            for (; p; p = wt_next(lx, &lx->prefixes, p))
                emit_hit(lx, p->cue, t, t + 1, fn, ud);
        }
    }
    lex_phrases_rest(lx, m, fn, ud);
}

void
lex_phrases(struct lexicon *lx, const struct pf_msg *m, lex_hit_fn fn, void *ud)
{
    /* token phrases: at each token, the phrases that can begin there */
    for (size_t t = 0; lx->n_phrases && t < m->n_tokens; t++) {
        const struct pf_token *tok = &m->tokens[t];
        if (!tok_wordish(tok) || !tok->norm_len)
            continue;
        const struct wentry *e =
            wt_find_h(lx, &lx->ph_starts, m->norm + tok->norm_off,
                      tok->norm_len, pf_msg_token_hash(m, t));
        for (; e; e = wt_next(lx, &lx->ph_starts, e))
            lex_phrase_at(lx, e->cue, m, t, fn, ud);
    }
    lex_phrases_rest(lx, m, fn, ud);
}

static int
has_byte(const uint64_t set[4], char c)
{
    unsigned char b = (unsigned char)c;
    return set[b / 64] >> (b % 64) & 1;
}

/* the phrases that do not begin with a word, and raw regex cues */
void
lex_phrases_rest(struct lexicon *lx, const struct pf_msg *m, lex_hit_fn fn,
                 void *ud)
{
    /* a lexicon whose phrases all begin with a word has none of these */
    int rest = 0;
    for (int i = 0; i < 4; i++)
        rest |= (lx->ph_rest_first[i] | lx->ph_suffix_last[i]) != 0;
    for (size_t t = 0; rest && t < m->n_tokens; t++) {
        const struct pf_token *tok = &m->tokens[t];
        const char *w = m->norm + tok->norm_off;
        size_t n = tok->norm_len;
        const struct wentry *e;
        if (!n)
            continue;
        if (!has_byte(lx->ph_rest_first, w[0]) &&
            !has_byte(lx->ph_suffix_last, w[n - 1]) &&
            (tok->kind != PF_TOK_NUMBER || !lx->n_ph_num))
            continue;
        if (tok->kind == PF_TOK_PUNCT) {
            /* "<-", "(": by the first character */
            if (!has_byte(lx->ph_punct_first, w[0]))
                continue;
            for (e = wt_find(lx, &lx->ph_starts, w, 1); e;
                 e = wt_next(lx, &lx->ph_starts, e))
                lex_phrase_at(lx, e->cue, m, t, fn, ud);
            continue;
        }
        if (tok->kind == PF_TOK_NUMBER || (w[0] >= '0' && w[0] <= '9'))
            for (size_t i = 0; i < lx->n_ph_num; i++)
                lex_phrase_at(lx, lx->ph_num[i], m, t, fn, ud);
        if (tok->kind != PF_TOK_WORD)
            continue;
        uint32_t hs[32];
        if (has_byte(lx->ph_prefix_first, w[0]) &&
            wt_may_lead(&lx->ph_prefix, w, n)) {
            lex_hash_lens(w, n, lx->ph_prefix_lens, 0, hs);
            for (uint32_t lens = lx->ph_prefix_lens; lens; lens &= lens - 1) {
                size_t pl = (size_t)__builtin_ctz(lens);
                if (pl > n)
                    break;
                for (e = wt_find_h(lx, &lx->ph_prefix, w, pl, hs[pl]); e;
                     e = wt_next(lx, &lx->ph_prefix, e))
                    lex_phrase_at(lx, e->cue, m, t, fn, ud);
            }
        }
        if (has_byte(lx->ph_suffix_last, w[n - 1]) &&
            wt_may_lead(&lx->ph_suffix, w, n)) {
            lex_hash_lens(w, n, lx->ph_suffix_lens, 1, hs);
            for (uint32_t lens = lx->ph_suffix_lens; lens; lens &= lens - 1) {
                size_t sl = (size_t)__builtin_ctz(lens);
                if (sl + 3 > n)
                    break;
                for (e = wt_find_h(lx, &lx->ph_suffix, w + n - sl, sl, hs[sl]);
                     e; e = wt_next(lx, &lx->ph_suffix, e))
                    lex_phrase_at(lx, e->cue, m, t, fn, ud);
            }
        }
    }
    /* raw regex cues: Vectorscan, a space on each side of the text */
    if (!lx->db || m->norm_len == 0 || m->norm_len + 2 > 0x7FFFFFFFu)
        return;
    char stack[2048], *buf = stack;
    size_t n = m->norm_len + 2;
    if (n > sizeof(stack) && !(buf = malloc(n)))
        return;
    buf[0] = ' ';
    memcpy(buf + 1, m->norm, m->norm_len);
    buf[n - 1] = ' ';
    struct scan_ends se;
    se.n = 0;
    hs_scan(lx->db, buf, (unsigned)n, 0, lx->scratch, collect_end, &se);
    for (size_t i = 0; i < se.n; i++) {
        unsigned id = se.e[i].id;
        unsigned long long from, to = se.e[i].to;
        size_t last = to >= 2 ? (size_t)to - 2 : 0;
        size_t t1 = token_at(m, last ? last - 1 : 0), t0 = t1;
        if (t1 >= m->n_tokens)
            continue;
        /* in the padded text the match starts at from; in norm at from-1 */
        if (lex_match_start(lx, id, buf, to, &from) == PF_OK)
            t0 = token_at(m, from > 0 ? (size_t)from - 1 : 0);
        if (t0 > t1)
            t0 = t1;
        emit_hit(lx, lx->regex_cue[id], t0, t1 + 1, fn, ud);
    }
    if (buf != stack)
        free(buf);
}
