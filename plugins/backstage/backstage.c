/*
 * backstage - holds replies that read like backstage talk: derogatory
 * names for customers, support slang (PEBKAC, layer 8), "don't tell him"
 * asides, messages addressed to a colleague, mockery, venting, gossip and
 * profanity, in Finnish and English.
 *
 * How a message is scored:
 *
 *  1. Cues from the lexicon files are found: words by token (with every
 *     Finnish case form, squeezed letters for leetspeak, masked letters
 *     such as k*sipää, and insult compounds such as idioottiasiakas), and
 *     phrases by one Vectorscan scan of the normalized text.
 *  2. Guards cancel the cues that are innocent in context: words inside
 *     quotation marks (the customer's own words quoted back), words next
 *     to "I"/"mä" (self-deprecation), capitalized words followed by another
 *     capitalized word (names: Pelle Lindqvist), negated slang ("no PEBKAC
 *     here"), weak insults without a determiner ("apinat" vs "tää apina")
 *     and adjectives with no person near them ("a dumb question").
 *  3. The score is sigmoid(bias + the weights of the remaining cues + the
 *     context): talking about someone in the third person raises it; a
 *     greeting, thanks, an apology or talking to the reader lowers it.
 *
 * One finding is reported per cue family that fired, labelled
 * "backstage.FAMILY"; the strongest family carries the message's score.
 * Every finding names the words that caused it.
 */
#include <pokerface/plugin.h>

#include <hs/hs.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/lexicon.h"

#define MAX_HITS 256

/* a cue found in the message */
/* Families of cues. The first ones produce findings ("backstage.NAME");
   the others are context that raises or lowers the score. */
enum family {
    FAM_DEROGATORY = 0,
    FAM_SLANG,
    FAM_ASIDE,
    FAM_COLLEAGUE,
    FAM_MOCKERY,
    FAM_VENTING,
    FAM_GOSSIP,
    FAM_PROFANITY,
    FAM_N_FINDING,             /* families below add context only */
    FAM_THIRD = FAM_N_FINDING, /* talks about a person: he, se, this guy */
    FAM_SECOND,                /* talks to the reader: you, teille */
    FAM_FIRST,                 /* the author: I, mä */
    FAM_FACING,     /* customer-facing register: greeting, thanks, apology */
    FAM_NEGATION,   /* no, not, ei */
    FAM_DETERMINER, /* this, what a, tää, toi: makes a weak insult count */
    FAM_HONORIFIC,  /* Mr, Mrs, herra: "Mr Entitled" */
    FAM_NOTNAME,    /* capitalized words that are not names: Thanks, Kiitos */
    FAM_REQUEST,    /* a request to a colleague after a name: voitko, pls */
    FAM_DEMONSTRATIVE, /* this, that, toi, tää: points at a person */
    FAM_COUNT
};

static const char *const family_names[FAM_COUNT] = {
    "derogatory", "slang",   "aside",         "colleague",  "mockery",
    "venting",    "gossip",  "profanity",     "third",      "second",
    "first",      "facing",  "negation",      "determiner", "honorific",
    "notname",    "request", "demonstrative",
};

struct bs {
    const struct pf_host *h;
    struct pf_hctx *hctx;
    struct lexicon lx;
    float bias;
    float w_mention, w_vocative, w_team, w_scare;
    /* per finding family: the score from which it holds (reported as 0.6,
       the default policy's hold threshold) */
    float hold_from[FAM_N_FINDING];
    /* the first three bytes of every insult and swear word, as written,
       squeezed and without ä/ö (a bit each, hashed): a word that starts
       otherwise needs no evasion lookup */
    uint64_t evade3[64];
    /* the words of the finding families grouped by their first byte, for
       masked words (k*sipää): by_first[by_start[c] .. by_start[c + 1]),
       and by_chars[i] the characters of word by_first[i] (255 for 255 or
       more), since a star stands for one or two of them */
    uint32_t *by_first;
    uint8_t *by_chars;
    uint32_t by_start[257];
    /* the finding labels, "backstage.NAME", made once */
    char labels[FAM_N_FINDING][PF_LABEL_MAX];
};

static const struct lex_spec lexicon_spec = {
    family_names, FAM_COUNT, FAM_DEROGATORY, FAM_THIRD, "backstage", 0,
};

struct hit {
    uint32_t cue; /* index into lx.cues, or UINT32_MAX for built-ins */
    uint8_t family;
    uint8_t dead;    /* cancelled by a guard */
    uint16_t why;    /* guard that cancelled or weakened it */
    uint32_t t0, t1; /* tokens [t0, t1) */
    uint32_t n0, n1; /* normalized text [n0, n1) */
    float w;
    const char *label; /* for built-in cues */
};

enum guard {
    G_NONE = 0,
    G_QUOTED,
    G_NAME,
    G_SELF,
    G_NEGATED,
    G_WEAK,
    G_ADJ,
    G_NICKNAME,
    G_PARTICLE,
    G_TO_CUSTOMER
};

static const char *const guard_names[] = {
    "",
    "inside quotation marks",
    "part of a name",
    "about the author",
    "negated",
    "weak word with no determiner or person",
    "adjective with no person near",
    "mocking nickname",
    "a discourse particle, not a negation",
    "the message opens with the customer's name",
};

struct scan {
    const struct bs *bs;
    const struct pf_msg *m;
    struct hit *hits;
    size_t n;
    /* per token: bit f set when a hit of family f covers it (any hit for
       fam_any, live hits for fam_live); built by index_hits() */
    uint32_t *fam_any, *fam_live;
    int to_customer; /* opens with a customer's name: "Kalle, voisitko" */
};

/* set the family bits of every token from hits [from, n): from 0 starts
   afresh, a later from adds the hits found since (none of the earlier
   ones may have changed) */
static void
index_hits(struct scan *s, size_t from)
{
    size_t nt = s->m->n_tokens;
    if (from == 0) {
        memset(s->fam_any, 0, nt * sizeof(*s->fam_any));
        memset(s->fam_live, 0, nt * sizeof(*s->fam_live));
    }
    for (size_t i = from; i < s->n; i++) {
        const struct hit *h = &s->hits[i];
        for (size_t t = h->t0; t < h->t1 && t < nt; t++) {
            s->fam_any[t] |= 1u << h->family;
            if (!h->dead)
                s->fam_live[t] |= 1u << h->family;
        }
    }
}

/* ---- configuration ---- */

static int
cfg_float(struct bs *b, const char *path, float *out, float lo, float hi,
          char *err, size_t errlen)
{
    double d;
    int rc = b->h->cfg_num(b->hctx, path, &d);
    if (rc == PF_ENOTFOUND)
        return PF_OK;
    if (rc != PF_OK || d < lo || d > hi) {
        snprintf(err, errlen, "config.%s: expected a number from %g to %g",
                 path, lo, hi);
        return PF_EINVAL;
    }
    *out = (float)d;
    return PF_OK;
}

/*
 * A hash of the first three letters of squeeze(w) (ä, ö as a, o, runs of
 * a letter as one), computed without squeezing the rest. Every way a word
 * can meet an insult here (squeezed, without ä/ö, split in two) keeps
 * these letters, so a word whose hash no insult has needs no lookup.
 */
static inline unsigned
sq_prefix3(const char *w, size_t n)
{
    unsigned h = 0;
    char last = 0;
    int got = 0;
    /* most words: three ASCII bytes, no two the same side by side, which
       neither squeezing nor ä/ö change */
    if (n >= 3) {
        unsigned char a = (unsigned char)w[0], b = (unsigned char)w[1],
                      c = (unsigned char)w[2];
        if (((a | b | c) & 0x80) == 0 && a != b && b != c)
            return ((a * 31u + b) * 31u + c) & 4095u;
    }
    for (size_t i = 0; i < n && got < 3; i++) {
        char c = lex_plain_char(w, n, &i);
        if (got && c == last && c >= 'a' && c <= 'z')
            continue;
        h = h * 31u + (unsigned char)c;
        last = c;
        got++;
    }
    return h & 4095u;
}

static int
evade3_has(const struct bs *b, const char *w, size_t n)
{
    unsigned h = sq_prefix3(w, n);
    return (b->evade3[h >> 6] >> (h & 63)) & 1u;
}

/* group the finding families' words by first byte (masked words) */
static int
by_first_init(struct bs *b)
{
    const struct lexicon *lx = &b->lx;
    memset(b->by_start, 0, sizeof(b->by_start));
    for (size_t i = 0; i < lx->words.n; i++) {
        const struct wentry *we = &lx->words.entries[i];
        if (lx->cues[we->cue].family < FAM_N_FINDING)
            b->by_start[(unsigned char)lx->keys[we->key] + 1]++;
    }
    for (int c = 0; c < 256; c++)
        b->by_start[c + 1] += b->by_start[c];
    b->by_first = malloc((b->by_start[256] + 1) * sizeof(*b->by_first));
    b->by_chars = malloc(b->by_start[256] + 1);
    if (!b->by_first || !b->by_chars)
        return PF_ENOMEM;
    uint32_t fill[256];
    memcpy(fill, b->by_start, sizeof(fill));
    for (size_t i = 0; i < lx->words.n; i++) {
        const struct wentry *we = &lx->words.entries[i];
        if (lx->cues[we->cue].family < FAM_N_FINDING) {
            const char *key = lx->keys + we->key;
            uint32_t at = fill[(unsigned char)key[0]]++;
            size_t chars = 0;
            for (const char *k = key; *k; k++)
                chars += ((unsigned char)*k & 0xC0) != 0x80;
            b->by_first[at] = (uint32_t)i;
            b->by_chars[at] = (uint8_t)(chars < 255 ? chars : 255);
        }
    }
    return PF_OK;
}

static void
evade3_init(struct bs *b)
{
    const struct lexicon *lx = &b->lx;
    memset(b->evade3, 0, sizeof(b->evade3));
    for (size_t i = 0; i < lx->words.n; i++) {
        const struct wentry *we = &lx->words.entries[i];
        const struct cue *c = &lx->cues[we->cue];
        const char *key = lx->keys + we->key;
        if (c->family != FAM_DEROGATORY && c->family != FAM_PROFANITY)
            continue;
        unsigned h = sq_prefix3(key, strlen(key));
        b->evade3[h >> 6] |= 1ull << (h & 63);
    }
}

static int
bs_create(const struct pf_host *h, struct pf_hctx *hctx, void **inst, char *err,
          size_t errlen)
{
    struct bs *b = calloc(1, sizeof(*b));
    int rc;
    if (!b) {
        pf_strlcpy(err, "out of memory", errlen);
        return PF_ENOMEM;
    }
    b->h = h;
    b->hctx = hctx;
    b->bias = -3.0f;
    b->w_mention = 3.0f;
    b->w_vocative = 1.5f;
    b->w_team = 3.5f;
    b->w_scare = 2.0f;
    for (int f = 0; f < FAM_N_FINDING; f++)
        b->hold_from[f] = 0.6f;
    /* an insult holds from a lower score, and so does any swear word that
       survived the guards: nothing to gain from letting them through */
    b->hold_from[FAM_DEROGATORY] = 0.5f;
    b->hold_from[FAM_PROFANITY] = 0.35f;
    for (int f = 0; f < FAM_N_FINDING; f++)
        snprintf(b->labels[f], sizeof(b->labels[f]), "backstage.%s",
                 family_names[f]);
    lex_init(&b->lx, h, hctx, &lexicon_spec);
    if ((rc = cfg_float(b, "bias", &b->bias, -20, 20, err, errlen)) ||
        (rc = cfg_float(b, "mention_weight", &b->w_mention, -20, 20, err,
                        errlen)) ||
        (rc = cfg_float(b, "vocative_weight", &b->w_vocative, -20, 20, err,
                        errlen)) ||
        (rc = cfg_float(b, "team_name_weight", &b->w_team, -20, 20, err,
                        errlen)) ||
        (rc = cfg_float(b, "scare_quote_weight", &b->w_scare, -20, 20, err,
                        errlen)))
        goto fail;
    for (int f = 0; f < FAM_N_FINDING; f++) {
        char key[64];
        snprintf(key, sizeof(key), "hold_from.%s", family_names[f]);
        if ((rc = cfg_float(b, key, &b->hold_from[f], 0.05f, 0.95f, err,
                            errlen)))
            goto fail;
    }
    for (int f = 0; f < FAM_COUNT; f++) {
        char key[64];
        snprintf(key, sizeof(key), "family_weights.%s", family_names[f]);
        if ((rc =
                 cfg_float(b, key, &b->lx.weight_scale[f], 0, 10, err, errlen)))
            goto fail;
    }
    {
        /* a misspelt family name must not pass silently */
        size_t nk = 0, known = 0;
        if (h->cfg_len(hctx, "family_weights", &nk) == PF_OK) {
            for (int f = 0; f < FAM_COUNT; f++) {
                char key[64];
                double d;
                snprintf(key, sizeof(key), "family_weights.%s",
                         family_names[f]);
                if (h->cfg_num(hctx, key, &d) == PF_OK)
                    known++;
            }
            if (known < nk) {
                snprintf(err, errlen,
                         "config.family_weights: unknown family name (known: "
                         "derogatory, slang, aside, colleague, mockery, "
                         "venting, gossip, profanity, third, second, first, "
                         "facing)");
                rc = PF_EINVAL;
                goto fail;
            }
        }
    }
    if ((rc = lex_load_config(&b->lx, "backstage-*.txt", err, errlen)))
        goto fail;
    evade3_init(b);
    if ((rc = by_first_init(b))) {
        pf_strlcpy(err, "out of memory", errlen);
        goto fail;
    }
    *inst = b;
    return PF_OK;
fail:
    free(b->by_first);
    free(b->by_chars);
    lex_release(&b->lx);
    free(b);
    return rc;
}

static void
bs_destroy(void *inst)
{
    struct bs *b = inst;
    free(b->by_first);
    free(b->by_chars);
    lex_release(&b->lx);
    free(b);
}

/* ---- finding cues ---- */

static struct hit *
add_hit(struct scan *s, uint32_t cue, int family, float w, size_t t0, size_t t1,
        size_t n0, size_t n1)
{
    if (s->n >= MAX_HITS)
        return NULL;
    /* one hit per cue and place */
    for (size_t i = 0; i < s->n; i++)
        if (s->hits[i].cue == cue && cue != UINT32_MAX && s->hits[i].n0 == n0)
            return NULL;
    struct hit *h = &s->hits[s->n++];
    memset(h, 0, sizeof(*h));
    h->cue = cue;
    h->family = (uint8_t)family;
    h->w = w;
    h->t0 = (uint32_t)t0;
    h->t1 = (uint32_t)t1;
    h->n0 = (uint32_t)n0;
    h->n1 = (uint32_t)n1;
    return h;
}

static void
add_cue_hits(struct scan *s, const struct wentry *e, size_t t,
             const struct pf_token *tok)
{
    const struct lexicon *lx = &s->bs->lx;
    for (; e; e = wt_next(lx, &lx->words, e)) {
        const struct cue *c = &lx->cues[e->cue];
        if ((c->flags & CUE_CAPS) && !(tok->flags & PF_TOKF_ALLCAPS))
            continue;
        add_hit(s, e->cue, c->family, c->weight * lx->weight_scale[c->family],
                t, t + 1, tok->norm_off, tok->norm_off + tok->norm_len);
    }
}

/* '*' in a masked token stands for one or two characters: k*sipää,
   idi*tti (idiootti) */
static int
masked_match(const char *pat, size_t pn, const char *key)
{
    if (pn == 0)
        return *key == '\0';
    if (*pat == '*') {
        const char *k = key;
        for (int skip = 0; skip < 2 && *k; skip++) {
            /* skip one UTF-8 character of key */
            k++;
            while (((unsigned char)*k & 0xC0) == 0x80)
                k++;
            if (masked_match(pat + 1, pn - 1, k))
                return 1;
        }
        return 0;
    }
    return *key == *pat && masked_match(pat + 1, pn - 1, key + 1);
}

static int
word_tok(const struct pf_msg *m, size_t t)
{
    return t < m->n_tokens && m->tokens[t].kind == PF_TOK_WORD;
}

static void
add_evasion_hits(struct scan *s, const struct wtable *tab, const char *key,
                 size_t kl, uint32_t h, size_t t, int any_family,
                 float min_weight)
{
    const struct lexicon *lx = &s->bs->lx;
    const struct pf_token *tok = &s->m->tokens[t];
    const struct wentry *q = wt_find_h(lx, tab, key, kl, h);
    for (; q; q = wt_next(lx, tab, q)) {
        const struct cue *c = &lx->cues[q->cue];
        if (c->family >= FAM_N_FINDING || c->weight < min_weight ||
            (!any_family && c->family != FAM_DEROGATORY &&
             c->family != FAM_PROFANITY))
            continue;
        add_hit(s, q->cue, c->family, c->weight * lx->weight_scale[c->family],
                t, t + 1, tok->norm_off, tok->norm_off + tok->norm_len);
    }
}

/*
 * A word the lists do not know, written to get past them:
 *  - folded by the host (1d10tti, i.d.i.o.t, Cyrillic look-alikes): any
 *    family, with doubled letters squeezed and ä/ö as a/o;
 *  - vowels stretched (idiooootti, moooron): runs of three or more of a
 *    letter squeezed;
 *  - written without ä and ö (aalio, kusipaa).
 * (Squeezing every long word, for a dropped letter, was tried: "lupaamme"
 * met "luupäämme"; the common misspellings are in the word lists.)
 * Plain words only meet insults and swear words, and doubled letters are
 * only squeezed where that cannot turn a word into another (asia, aasia).
 */
static void
evasion(struct scan *s, size_t t, char *sq, size_t cap)
{
    const struct lexicon *lx = &s->bs->lx;
    const struct pf_token *tok = &s->m->tokens[t];
    const char *w = s->m->norm + tok->norm_off;
    size_t wl = tok->norm_len, ql;
    if (tok->flags & (PF_TOKF_LEET | PF_TOKF_JOINED | PF_TOKF_LOOKALIKE)) {
        ql = squeeze(w, wl, sq, cap);
        add_evasion_hits(s, &lx->squeezed, sq, ql, lex_hash(sq, ql), t, 1, 0);
        return;
    }
    if (wl < 4 || !evade3_has(s->bs, w, wl))
        return;
    int run3 = 0, umlaut = 0;
    for (size_t i = 0; i < wl; i++) {
        umlaut |= (unsigned char)w[i] == 0xC3;
        if (i >= 2 && w[i] == w[i - 1] && w[i] == w[i - 2] && w[i] >= 'a' &&
            w[i] <= 'z')
            run3 = 1;
    }
    if (run3) {
        ql = squeeze(w, wl, sq, cap);
        add_evasion_hits(s, &lx->squeezed, sq, ql, lex_hash(sq, ql), t, 0, 0);
    }
    if (!umlaut)
        /* the token as it is: the host's hash of it */
        add_evasion_hits(s, &lx->plain, w, wl, pf_msg_token_hash(s->m, t), t, 0,
                         0);
}

/*
 * Leetspeak at the end of a word, which the text layer leaves alone so
 * that codes such as mp3 or salasana123 stay as typed: "ääli0", "kusip44".
 * Read the trailing digits and symbols as letters and look again, for
 * insults and swearing only.
 */
static void
trailing_leet(struct scan *s, size_t t)
{
    static const char from[] = "01345789@$!", to[] = "oieastbgasi";
    const struct lexicon *lx = &s->bs->lx;
    const struct pf_msg *m = s->m;
    const struct pf_token *tok = &m->tokens[t];
    const char *w = m->norm + tok->norm_off;
    size_t wl = tok->norm_len, k = wl, letters = 0;
    char buf[64], sq[64];
    if (wl < 4 || wl >= sizeof(buf))
        return;
    /* most words end in a letter */
    if (w[wl - 1] != '@' && w[wl - 1] != '$' && w[wl - 1] != '!' &&
        (w[wl - 1] < '0' || w[wl - 1] > '9'))
        return;
    while (k > 0 && strchr(from, w[k - 1]) && w[k - 1])
        k--;
    if (k == wl)
        return;
    for (size_t i = 0; i < k; i++)
        letters += ((unsigned char)w[i] & 0xC0) != 0x80;
    if (letters < 3)
        return;
    memcpy(buf, w, wl);
    for (size_t i = k; i < wl; i++)
        buf[i] = to[strchr(from, w[i]) - from];
    size_t ql = squeeze(buf, wl, sq, sizeof(sq));
    const struct wentry *q =
        wt_find_h(lx, &lx->squeezed, sq, ql, lex_hash(sq, ql));
    for (; q; q = wt_next(lx, &lx->squeezed, q)) {
        const struct cue *c = &lx->cues[q->cue];
        if (c->family == FAM_DEROGATORY || c->family == FAM_PROFANITY)
            add_hit(s, q->cue, c->family,
                    c->weight * lx->weight_scale[c->family], t, t + 1,
                    tok->norm_off, tok->norm_off + wl);
    }
}

/* a short word of its own in English or Finnish */
static int
little_word(const struct pf_msg *m, size_t t)
{
    /* each NUL-padded to four bytes */
    static const char little[][4] = {
        "a",   "an",  "as",  "at",  "be",  "by",  "do",  "go",  "he",
        "if",  "in",  "is",  "it",  "me",  "my",  "no",  "of",  "on",
        "or",  "so",  "to",  "up",  "us",  "we",  "ja",  "ei",  "se",
        "ne",  "en",  "et",  "jo",  "nyt", "tai", "kun", "jos", "mä",
        "sä",  "te",  "vai", "sen", "oli", "ole", "the", "and", "for",
        "you", "she", "his", "her", "our", "are", "was",
    };
    const char *w = m->norm + m->tokens[t].norm_off;
    size_t n = m->tokens[t].norm_len;
    if (n > 3)
        return 0;
    for (size_t i = 0; i < sizeof(little) / sizeof(*little); i++)
        if (little[i][0] == w[0] && same_bytes(little[i], w, n) &&
            little[i][n] == '\0')
            return 1;
    return 0;
}

/*
 * A word split in two to get past a filter: "id iot", "mor-on",
 * "kusi pää". Two short neighbouring words (or two around a hyphen or a
 * dot) that make an insult or a swear word together are one.
 */
static void
split_word(struct scan *s, size_t t)
{
    const struct lexicon *lx = &s->bs->lx;
    const struct pf_msg *m = s->m;
    size_t u = t + 1;
    char joined[64], sq[64];
    if (!word_tok(m, t) || m->tokens[t].norm_len < 2 ||
        m->tokens[t].norm_len > 8)
        return;
    /* across a hyphen, a dot or an underscore typed between the halves */
    if (u < m->n_tokens && m->tokens[u].kind == PF_TOK_PUNCT &&
        m->tokens[u].norm_len == 1 &&
        strchr("-._", m->norm[m->tokens[u].norm_off]) &&
        m->tokens[u].raw.off == m->tokens[t].raw.off + m->tokens[t].raw.len)
        u++;
    if (!word_tok(m, u) || m->tokens[u].norm_len < 2 ||
        m->tokens[u].norm_len > 8)
        return;

    const struct pf_token *a = &m->tokens[t], *b = &m->tokens[u];
    size_t n = a->norm_len + b->norm_len;
    if (n < 5 || n >= sizeof(joined))
        return;
    memcpy(joined, m->norm + a->norm_off, a->norm_len);
    memcpy(joined + a->norm_len, m->norm + b->norm_off, b->norm_len);
    if (!evade3_has(s->bs, joined, n))
        return;
    /* with a space between, two real words are two words: "to open" is
       not "toopen" */
    if (u == t + 1 && (little_word(m, t) || little_word(m, u)))
        return;
    /* the joined word as it is, and a strong one: "hop on" is not a
       squeezed "hoopon" */
    (void)sq;
    const struct wentry *q =
        wt_find_h(lx, &lx->words, joined, n, lex_hash(joined, n));
    for (; q; q = wt_next(lx, &lx->words, q)) {
        const struct cue *c = &lx->cues[q->cue];
        if ((c->family != FAM_DEROGATORY && c->family != FAM_PROFANITY) ||
            c->weight < 3.0f)
            continue;
        /* neither half is a word of its own family already: "paska
           homma" is two words, not one */
        add_hit(s, q->cue, c->family, c->weight * lx->weight_scale[c->family],
                t, u + 1, a->norm_off, b->norm_off + b->norm_len);
    }
}

static void
on_phrase(void *ud, const struct lex_hit *h)
{
    struct scan *s = ud;
    const struct pf_msg *m = s->m;
    const struct pf_token *a = &m->tokens[h->t0], *b = &m->tokens[h->t1 - 1];
    add_hit(s, h->cue, h->family, h->weight, h->t0, h->t1, a->norm_off,
            b->norm_off + b->norm_len);
}

static void
token_cues(struct scan *s)
{
    const struct lexicon *lx = &s->bs->lx;
    const struct pf_msg *m = s->m;
    char sq[256];
    /* Finnish clitics (-kin, -han, ...) are not tried on English text */
    int finnish = strcmp(m->lang, "en") != 0;
    const uint32_t *th = lex_token_hashes(m);
    for (size_t t = 0; t < m->n_tokens; t++) {
        const struct pf_token *tok = &m->tokens[t];
        const char *w = m->norm + tok->norm_off;
        size_t wl = tok->norm_len;
        const struct wentry *e;
        if (tok->kind == PF_TOK_MENTION) {
            struct hit *h =
                add_hit(s, UINT32_MAX, FAM_COLLEAGUE,
                        s->bs->w_mention * lx->weight_scale[FAM_COLLEAGUE], t,
                        t + 1, tok->norm_off, tok->norm_off + wl);
            if (h)
                h->label = "@mention";
            continue;
        }
        if (tok->kind != PF_TOK_WORD && tok->kind != PF_TOK_EMOJI)
            continue;
        if (wl == 0 || wl >= sizeof(sq))
            continue;
        uint32_t hw = lex_token_hash(th, m, t);
        /* phrases that begin with this word */
        for (const struct wentry *ps = wt_find_h(lx, &lx->ph_starts, w, wl, hw);
             ps; ps = wt_next(lx, &lx->ph_starts, ps))
            lex_phrase_at((struct lexicon *)lx, ps->cue, m, t, on_phrase, s);
        e = wt_find_h(lx, &lx->words, w, wl, hw);
        if (!e && tok->kind == PF_TOK_WORD && finnish) {
            size_t sl = strip_clitic(lx, w, wl);
            if (sl != wl)
                e = wt_find(lx, &lx->words, w, sl);
        }
        if (e) {
            add_cue_hits(s, e, t, tok);
            continue;
        }
        if (tok->kind != PF_TOK_WORD)
            continue;
        /* evasion: 1d10tti, idiooootti, idiotti, aalio, kusip44 all meet
           their word once ä/ö/å are read as a/o/a and letter runs
           squeezed; a plain word only for insults and swearing, and only
           when it is long enough not to meet an innocent word */
        evasion(s, t, sq, sizeof(sq));
        split_word(s, t);
        trailing_leet(s, t);
        if (tok->flags & PF_TOKF_MASKED) {
            /* the words starting with its first letter (all of them when
               that is masked too) */
            const struct bs *bs = s->bs;
            unsigned fc = (unsigned char)w[0];
            uint32_t i0 = fc == '*' ? 0 : bs->by_start[fc];
            uint32_t i1 = fc == '*' ? bs->by_start[256] : bs->by_start[fc + 1];
            /* a word it can match has as many characters as it has but
               its stars, and one or two for each star */
            size_t stars = 0, chars = 0;
            for (size_t k = 0; k < wl; k++) {
                stars += w[k] == '*';
                chars += w[k] != '*' && ((unsigned char)w[k] & 0xC0) != 0x80;
            }
            size_t lo = chars + stars, hi = chars + 2 * stars;
            for (uint32_t i = i0; i < i1; i++) {
                if (bs->by_chars[i] < lo ||
                    (bs->by_chars[i] > hi && bs->by_chars[i] < 255))
                    continue;
                const struct wentry *we = &lx->words.entries[bs->by_first[i]];
                const struct cue *c = &lx->cues[we->cue];
                const char *key = lx->keys + we->key;
                if (masked_match(w, wl, key))
                    add_hit(s, we->cue, c->family,
                            c->weight * lx->weight_scale[c->family], t, t + 1,
                            tok->norm_off, tok->norm_off + wl);
            }
        }
        /* profanity and insult prefixes: paskaposti, kusipäinen */
        /* only the lengths some prefix has, shorter than the word by 2+ */
        uint32_t lens = lx->prefix_lens, hs[32];
        if (wl < 34)
            lens &= (1u << (wl - 1)) - 1u;
        if (!wt_may_lead(&lx->prefixes, w, wl))
            lens = 0;
        /* and the compound modifiers' lengths, 4 to wl - 4 (below 32):
           every prefix hashed in the one pass */
        uint32_t mods = 0;
        if (wl >= 8 && lx->modifiers.n && wt_may_lead(&lx->modifiers, w, wl)) {
            size_t top = wl - 4 < 31 ? wl - 4 : 31;
            mods = lx->modifier_lens & ((2u << top) - 1u) & ~15u;
        }
        if (lens | mods)
            lex_hash_lens(w, wl, lens | mods, 0, hs);
        while (lens) {
            size_t pl = (size_t)__builtin_ctz(lens);
            lens &= lens - 1;
            if (pl + 2 > wl)
                break;
            const struct wentry *p =
                wt_find_h(lx, &lx->prefixes, w, pl, hs[pl]);
            for (; p; p = wt_next(lx, &lx->prefixes, p)) {
                const struct cue *c = &lx->cues[p->cue];
                add_hit(s, p->cue, c->family,
                        c->weight * lx->weight_scale[c->family], t, t + 1,
                        tok->norm_off, tok->norm_off + wl);
            }
        }
        /* compounds: an insult followed by a person word (idioottiasiakas) */
        for (; mods; mods &= mods - 1) {
            size_t k = (size_t)__builtin_ctz(mods);
            if (((unsigned char)w[k] & 0xC0) == 0x80)
                continue;
            const struct wentry *mo =
                wt_find_h(lx, &lx->modifiers, w, k, hs[k]);
            if (!mo)
                continue;
            const struct wentry *hd = wt_find(lx, &lx->words, w + k, wl - k);
            int person = 0;
            for (; hd; hd = wt_next(lx, &lx->words, hd))
                if (lx->cues[hd->cue].family == FAM_THIRD)
                    person = 1;
            if (person) {
                const struct cue *c = &lx->cues[mo->cue];
                add_hit(s, mo->cue, c->family,
                        c->weight * lx->weight_scale[c->family], t, t + 1,
                        tok->norm_off, tok->norm_off + wl);
                break;
            }
        }
    }
}

static void
phrase_cues(struct scan *s)
{
    /* the ones that begin with a word were tried in token_cues() */
    lex_phrases_rest((struct lexicon *)&s->bs->lx, s->m, on_phrase, s);
}

/* a live hit of family covering a token at most `before` tokens before
   [t0, t1) or at most `after` tokens after it (0 = not looked for) */
static int
fam_hit_near(const struct scan *s, int family, size_t t0, size_t t1,
             size_t before, size_t after)
{
    uint32_t bit = 1u << family;
    for (size_t k = t0; k > 0 && t0 - k < before;) {
        k--;
        if (s->fam_live[k] & bit)
            return 1;
    }
    for (size_t k = t1; k < s->m->n_tokens && k - t1 < after; k++)
        if (s->fam_live[k] & bit)
            return 1;
    return 0;
}

static int
is_clause_break(const struct pf_msg *m, size_t t)
{
    const struct pf_token *tok = &m->tokens[t];
    if (tok->kind != PF_TOK_PUNCT)
        return 0;
    char c = m->norm[tok->norm_off];
    return c == ',' || c == '.' || c == ';' || c == ':' || c == '!' ||
           c == '?' || c == '(' || c == ')' || c == '-';
}

/* like fam_hit_near, but only within the clause: "I'm the idiot" is
   about the author, "...idiootille, mulla on meeting" is not */
static int
fam_in_clause(const struct scan *s, int family, size_t t0, size_t t1,
              size_t before, size_t after)
{
    const struct pf_msg *m = s->m;
    uint32_t bit = 1u << family;
    for (size_t k = t0; k > 0 && t0 - k < before;) {
        k--;
        if (is_clause_break(m, k))
            break;
        if (s->fam_live[k] & bit)
            return 1;
    }
    for (size_t k = t1; k < m->n_tokens && k - t1 < after; k++) {
        if (is_clause_break(m, k))
            break;
        if (s->fam_live[k] & bit)
            return 1;
    }
    return 0;
}

static int
fam_present(const struct scan *s, int family)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->hits[i].family == family && !s->hits[i].dead)
            return 1;
    return 0;
}

/* capitalized word as typed (not all capitals) */
static int
is_cap_word(const struct pf_token *t)
{
    return t->kind == PF_TOK_WORD && (t->flags & PF_TOKF_CAPITALIZED) &&
           !(t->flags & PF_TOKF_ALLCAPS);
}

static int
tok_is_family(const struct scan *s, size_t t, int family)
{
    return (s->fam_any[t] >> family) & 1u;
}

/* ---- structural cues ---- */

static int
same_name(const char *a, size_t an, const char *b)
{
    size_t bn = strcspn(b, " "); /* a first name is enough: "Sanna Lahti" */
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (char)(y + 32);
        if (x != y)
            return 0;
    }
    return 1;
}

/* can, could, will, would, do, did, is, are, have, has */
static int
is_auxiliary(const struct pf_msg *m, size_t t)
{
    static const char *const aux[] = {"can", "could", "will", "would", "do",
                                      "did", "is",    "are",  "have",  "has"};
    const char *w = m->norm + m->tokens[t].norm_off;
    size_t n = m->tokens[t].norm_len;
    for (size_t i = 0; i < sizeof(aux) / sizeof(*aux); i++)
        if (strlen(aux[i]) == n && memcmp(aux[i], w, n) == 0)
            return 1;
    return 0;
}

/*
 * A message that opens by addressing someone by name ("Sanna, ota sä tää",
 * "Jari voitko", "hey Sam,") talks to a colleague, unless the name is
 * followed by a surname (a customer greeted by full name).
 */
/* the same word, case aside? */
static int
same_token(const struct pf_msg *m, size_t a, size_t b)
{
    const struct pf_token *x = &m->tokens[a], *y = &m->tokens[b];
    return x->norm_len == y->norm_len &&
           memcmp(m->norm + x->norm_off, m->norm + y->norm_off, x->norm_len) ==
               0;
}

/*
 * greeted: the token of the name the message's greeting used ("Hi Emma,"),
 * or SIZE_MAX. A request to someone else by name later in the reply ("Jess
 * can you double-check...") is to a colleague.
 */
static void
vocative_at(struct scan *s, size_t t, size_t end, int first, size_t *greeted)
{
    const struct pf_msg *m = s->m;
    while (t < end && m->tokens[t].kind != PF_TOK_WORD)
        t++;
    /* skip a greeting or an interjection: "Hei Liisa, ...", "hey Sam," */
    if (t + 1 < end &&
        (tok_is_family(s, t, FAM_FACING) || tok_is_family(s, t, FAM_NOTNAME)) &&
        m->tokens[t + 1].kind == PF_TOK_WORD) {
        t++;
        if (first && is_cap_word(&m->tokens[t]))
            *greeted = t;
    }
    if (t >= end)
        return;
    const struct pf_token *name = &m->tokens[t];
    /* after the first sentence, any sentence opens with a capital: only a
       name counts there ("Jess can you", not "Online check-in...") */
    if (!first && !(name->flags & PF_TOKF_NAME))
        return;
    if (!is_cap_word(name) || tok_is_family(s, t, FAM_NOTNAME) ||
        tok_is_family(s, t, FAM_FACING) || tok_is_family(s, t, FAM_FIRST) ||
        tok_is_family(s, t, FAM_SECOND) || tok_is_family(s, t, FAM_THIRD) ||
        tok_is_family(s, t, FAM_HONORIFIC) ||
        tok_is_family(s, t, FAM_REQUEST) || name->raw.len < 2)
        return;
    int team = 0;
    for (size_t i = 0; i < m->n_team; i++)
        if (same_name(m->text + name->raw.off, name->raw.len, m->team[i]))
            team = 1;
    /* "Kalle, voisitko...": Kalle is the customer, not a colleague */
    if (!team && PF_MSG_HAS(m, customers))
        for (size_t i = 0; i < m->n_customers; i++)
            if (same_name(m->text + name->raw.off, name->raw.len,
                          m->customers[i])) {
                if (first)
                    s->to_customer = 1;
                return;
            }
    if (t + 1 >= end)
        return;
    const struct pf_token *next = &m->tokens[t + 1];
    const char *nn = m->norm + next->norm_off;
    int comma = next->kind == PF_TOK_PUNCT && next->norm_len == 1 &&
                (nn[0] == ',' || nn[0] == ':');
    /* "Marja Juntunen, ..." is a customer greeted by full name */
    if (is_cap_word(next))
        return;
    /* a request right after the name: "Jari voitko", "Sam, ping me" */
    size_t after = t + 1 + (size_t)comma;
    int request = after < end && tok_is_family(s, after, FAM_REQUEST);
    /* "Sam can you..." asks; "Sam will call you tomorrow" tells the
       customer who calls: an auxiliary asks only before "you" */
    if (request && after + 1 < end && is_auxiliary(m, after) &&
        !tok_is_family(s, after + 1, FAM_SECOND))
        request = 0;
    int question = 0;
    for (size_t k = t + 1; k < end; k++)
        if (m->tokens[k].flags & PF_TOKF_QUESTION)
            question = 1;
    float w;
    const char *label;
    if (team) {
        w = s->bs->w_team;
        label = "a team member's name";
    } else if (request && !first && *greeted != SIZE_MAX &&
               !same_token(m, t, *greeted)) {
        /* "Hi Emma, ... Jess can you": not the one greeted */
        w = s->bs->w_vocative * 2.0f + 1.0f;
        label = "a request to someone else than the one greeted";
    } else if (request) {
        w = s->bs->w_vocative * 2.0f;
        label = "a name and a request at the start";
    } else if (comma && question && first) {
        w = s->bs->w_vocative;
        label = "a name at the start of a question";
    } else {
        return;
    }
    struct hit *h = add_hit(s, UINT32_MAX, FAM_COLLEAGUE,
                            w * s->bs->lx.weight_scale[FAM_COLLEAGUE], t, t + 1,
                            name->norm_off, name->norm_off + name->norm_len);
    if (h)
        h->label = label;
}

/*
 * Each sentence that opens by addressing someone by name talks to them:
 * "Jess can you double-check..." in the middle of a reply too.
 */
static void
vocative(struct scan *s)
{
    const struct pf_msg *m = s->m;
    size_t greeted = SIZE_MAX;
    if (!PF_MSG_HAS(m, segments) || !m->segments || m->n_segments == 0) {
        vocative_at(s, 0, m->n_tokens, 1, &greeted);
        return;
    }
    int first = 1;
    for (size_t i = 0; i < m->n_segments; i++) {
        const struct pf_segment *g = pf_msg_segment(m, i);
        if (g->parent != PF_SEG_NONE || g->kind == PF_SEG_QUOTE)
            continue;
        vocative_at(s, g->tok0, g->tok1, first, &greeted);
        first = 0;
    }
}

/*
 * Scare quotes: a word or two in quotation marks in a message about
 * somebody ("Asiakas on 'IT-ammattilainen'", "to 'send' it") mocks them.
 * Quoting the customer back to them ("You said 'useless'") is the opposite
 * and comes with a second-person quote intro, which the context weighs.
 */
static void
scare_quotes(struct scan *s)
{
    const struct pf_msg *m = s->m;
    if (!fam_present(s, FAM_THIRD) && !fam_present(s, FAM_MOCKERY))
        return;
    for (size_t t = 0; t < m->n_tokens;) {
        if (!(m->tokens[t].flags & PF_TOKF_QUOTED)) {
            t++;
            continue;
        }
        size_t e = t, words = 0;
        while (e < m->n_tokens && (m->tokens[e].flags & PF_TOKF_QUOTED)) {
            words += m->tokens[e].kind == PF_TOK_WORD;
            e++;
        }
        if (words >= 1 && words <= 4) {
            struct hit *h =
                add_hit(s, UINT32_MAX, FAM_MOCKERY,
                        s->bs->w_scare * s->bs->lx.weight_scale[FAM_MOCKERY], t,
                        e, m->tokens[t].norm_off,
                        m->tokens[e - 1].norm_off + m->tokens[e - 1].norm_len);
            if (h)
                h->label = "scare quotes";
            return;
        }
        t = e;
    }
}

/* ---- guards ---- */

/*
 * "no" negates a noun ("no PEBKAC here") but is a discourse particle in
 * Finnish ("no nyt se idiootti...") and an interjection before a comma
 * ("No, he is an idiot"): neither cancels what follows.
 */
static void
particles(struct scan *s)
{
    const struct pf_msg *m = s->m;
    int finnish = strcmp(m->lang, "en") != 0;
    for (size_t i = 0; i < s->n; i++) {
        struct hit *h = &s->hits[i];
        if (h->family != FAM_NEGATION || h->t1 != h->t0 + 1 ||
            h->n1 - h->n0 != 2 || memcmp(m->norm + h->n0, "no", 2) != 0)
            continue;
        if (finnish || h->t1 >= m->n_tokens ||
            m->tokens[h->t1].kind == PF_TOK_PUNCT)
            h->dead = 1, h->why = G_PARTICLE;
    }
}

static void
apply_guards(struct scan *s)
{
    const struct pf_msg *m = s->m;
    int third = fam_present(s, FAM_THIRD);
    for (size_t i = 0; i < s->n; i++) {
        struct hit *h = &s->hits[i];
        const struct cue *c =
            h->cue == UINT32_MAX ? NULL : &s->bs->lx.cues[h->cue];
        int word_fam = h->family == FAM_DEROGATORY || h->family == FAM_SLANG ||
                       h->family == FAM_PROFANITY;
        if (h->family >= FAM_N_FINDING || !c)
            continue;
        /* "Kalle, voisitko tarkistaa...": the request is to the customer */
        if (s->to_customer && h->family == FAM_COLLEAGUE) {
            h->w *= 0.2f;
            h->why = G_TO_CUSTOMER;
        }
        /* the customer's words quoted back */
        if (word_fam || h->family == FAM_MOCKERY) {
            int all_quoted = 1;
            for (size_t t = h->t0; t < h->t1; t++)
                if (!(m->tokens[t].flags & PF_TOKF_QUOTED))
                    all_quoted = 0;
            if (all_quoted) {
                h->dead = 1, h->why = G_QUOTED;
                continue;
            }
        }
        if (!word_fam)
            continue;
        /* names: Pelle Lindqvist, Dick Andersson; Mr Entitled is a jab;
           "Hei Urpo," greets someone called Urpo */
        if (h->t1 == h->t0 + 1) {
            const struct pf_token *tok = &m->tokens[h->t0];
            if (is_cap_word(tok) && h->t0 > 0 &&
                tok_is_family(s, h->t0 - 1, FAM_FACING)) {
                h->dead = 1, h->why = G_NAME;
                continue;
            }
            if (is_cap_word(tok)) {
                int prev_hon =
                    fam_hit_near(s, FAM_HONORIFIC, h->t0, h->t1, 2, 0);
                if (prev_hon && h->family == FAM_DEROGATORY) {
                    h->w += 1.0f;
                    h->why = G_NICKNAME;
                } else if ((h->t0 + 1 < m->n_tokens &&
                            is_cap_word(&m->tokens[h->t0 + 1])) ||
                           prev_hon ||
                           /* capitalized inside a sentence: a name, a
                              title, a place ("The Dumbo plush toy", "Mr
                              Pratt's claim", "The Idiot by Dostoevsky") */
                           (!(tok->flags & PF_TOKF_SENT_START) &&
                            !(tok->flags & PF_TOKF_QUOTED)) ||
                           (h->t0 > 0 && is_cap_word(&m->tokens[h->t0 - 1]) &&
                            !(tok->flags & PF_TOKF_SENT_START) &&
                            !(m->tokens[h->t0 - 1].flags &
                              PF_TOKF_SENT_START))) {
                    h->dead = 1, h->why = G_NAME;
                    continue;
                }
            }
        }
        /* negated: "no PEBKAC here", "you're not an idiot" */
        if (fam_hit_near(s, FAM_NEGATION, h->t0, h->t1, 3, 0)) {
            h->dead = 1, h->why = G_NEGATED;
            continue;
        }
        /* self-deprecation: "I'm the idiot here", "tyhmä minä" */
        if (h->family == FAM_DEROGATORY &&
            fam_in_clause(s, FAM_FIRST, h->t0, h->t1, 4, 2) &&
            !fam_in_clause(s, FAM_THIRD, h->t0, h->t1, 4, 2)) {
            h->dead = 1, h->why = G_SELF;
            continue;
        }
        /* "toi hölmö", "this clown": pointed at someone */
        if ((c->flags & CUE_WEAK) &&
            fam_hit_near(s, FAM_DEMONSTRATIVE, h->t0, h->t1, 1, 0))
            h->w += 1.0f;
        if ((c->flags & CUE_WEAK) &&
            !fam_hit_near(s, FAM_DETERMINER, h->t0, h->t1, 2, 0) &&
            !fam_hit_near(s, FAM_DEMONSTRATIVE, h->t0, h->t1, 2, 0) &&
            !fam_hit_near(s, FAM_HONORIFIC, h->t0, h->t1, 2, 0) && !third) {
            h->w *= 0.25f;
            h->why = G_WEAK;
        }
        if ((c->flags & CUE_ADJ) &&
            !fam_hit_near(s, FAM_THIRD, h->t0, h->t1, 4, 4) &&
            !fam_hit_near(s, FAM_DEMONSTRATIVE, h->t0, h->t1, 1, 0) &&
            !fam_hit_near(s, FAM_HONORIFIC, h->t0, h->t1, 2, 0)) {
            h->w *= 0.2f;
            h->why = G_ADJ;
        }
    }
}

/* ---- scoring and reporting ---- */

static float
sigmoid(float z)
{
    return 1.0f / (1.0f + expf(-z));
}

static const char *
family_reason(int f, int fi)
{
    static const char *const en[] = {
        "derogatory word for a person",
        "support in-group slang",
        "an internal aside not meant for the customer",
        "addressed to a colleague, not the customer",
        "mocks the customer",
        "venting about the work or the customer",
        "gossip about colleagues",
        "profanity",
    };
    static const char *const fin[] = {
        "halventava nimitys ihmisestä",
        "tukitiimin sisäistä slangia",
        "sisäinen huomautus, jota ei ole tarkoitettu asiakkaalle",
        "osoitettu kollegalle eikä asiakkaalle",
        "pilkkaa asiakasta",
        "purkautumista työstä tai asiakkaasta",
        "juoruja kollegoista",
        "kiroilua",
    };
    return fi ? fin[f] : en[f];
}

static const char *
family_suggestion(int f, int fi)
{
    static const char *const en[] = {
        "Rephrase without the name-calling, or post it in the internal room.",
        "Explain the cause in plain words the customer can act on.",
        "This reads like a note to your team: remove it before sending.",
        "Send this to your colleague in the internal room instead.",
        "Write to the customer, not about them.",
        "Take a breath and post this in the internal room; the customer "
        "gets a calm reply.",
        "Keep talk about colleagues in the internal room.",
        "Rephrase without the swearing.",
    };
    static const char *const fin[] = {
        "Muotoile ilman nimittelyä tai kirjoita tämä sisäiseen kanavaan.",
        "Kerro syy selkokielellä, jotta asiakas voi toimia sen mukaan.",
        "Tämä näyttää viestiltä tiimille: poista se ennen lähettämistä.",
        "Lähetä tämä kollegalle sisäisessä kanavassa.",
        "Kirjoita asiakkaalle, älä asiakkaasta.",
        "Hengähdä ja kirjoita tämä sisäiseen kanavaan; asiakas saa "
        "rauhallisen vastauksen.",
        "Pidä puheet kollegoista sisäisessä kanavassa.",
        "Muotoile ilman kiroilua.",
    };
    return fi ? fin[f] : en[f];
}

/* append n bytes of s (SIZE_MAX: up to its NUL) to buf at *o, keeping
   room for the NUL (the host cuts at a character boundary if need be) */
static void
append(char *buf, size_t cap, size_t *o, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        n = strlen(s);
    if (*o + n >= cap)
        n = cap - 1 - *o;
    memcpy(buf + *o, s, n);
    *o += n;
    buf[*o] = '\0';
}

static void
hit_span(const struct pf_msg *m, const struct hit *h, struct pf_span *sp)
{
    if (h->t1 == h->t0 + 1) {
        *sp = m->tokens[h->t0].raw;
        return;
    }
    *sp = pf_msg_raw_span(m, h->n0, h->n1 - h->n0);
}

static void
explain_hits(const struct bs *b, const struct scan *s)
{
    const struct pf_msg *m = s->m;
    for (size_t i = 0; i < s->n; i++) {
        const struct hit *h = &s->hits[i];
        const struct cue *c = h->cue == UINT32_MAX ? NULL : &b->lx.cues[h->cue];
        struct pf_span sp;
        if (h->w == 0 && !h->dead && !h->why)
            continue; /* context words: they show up in guards */
        hit_span(m, h, &sp);
        b->h->log(b->hctx, PF_LOG_DEBUG, "%c%5.2f %-10s \"%.*s\"  %s%s%s%s%s",
                  h->dead ? 'x' : (h->w >= 0 ? '+' : '-'), fabsf(h->w),
                  family_names[h->family], (int)sp.len, m->text + sp.off,
                  c ? c->text : h->label, c ? " (" : "", c ? c->where : "",
                  c ? ")" : "", h->why ? "" : "");
        if (h->why)
            b->h->log(
                b->hctx, PF_LOG_DEBUG, "       %s %s",
                h->dead ? "cancelled:" : "weakened:", guard_names[h->why]);
    }
}

/* a family's score on the policy's scale: h (its hold_from) becomes 0.6,
   the default hold threshold; 0 and 1 stay */
static float
remap(float x, float h)
{
    return x < h ? 0.6f * x / h : 0.6f + 0.4f * (x - h) / (1.0f - h);
}

/* the segment a hit belongs to: its first token's (0 without segments) */
static uint32_t
hit_segment(const struct pf_msg *m, const struct hit *h)
{
    if (!PF_MSG_HAS(m, token_segment) || !m->token_segment ||
        h->t0 >= m->n_tokens)
        return 0;
    return m->token_segment[h->t0];
}

#define MAX_SEGS 64

/* the cue sums of one segment */
struct seg_sum {
    uint32_t seg;
    float fam[FAM_COUNT];
    int n[FAM_COUNT];
};

static float
clampf(float x, float lo, float hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/*
 * The log-odds of segment g: the bias, its cues, talk about a third person
 * anywhere in the message (capped), and the context of the segment itself:
 * the author's person, and talking to the reader or a greeting, thanks or
 * an apology, which lower it -- but never an insult's or a swear word's:
 * "Your refund went out, you are a moron" is no kinder for the "you".
 */
static float
seg_z(const struct bs *b, const struct seg_sum *g, float third, float *pos)
{
    float p = 0;
    for (int f = 0; f < FAM_N_FINDING; f++)
        p += g->fam[f];
    float ctx = third + clampf(g->fam[FAM_FIRST], -1.0f, 1.0f);
    int insult = (g->n[FAM_DEROGATORY] && g->fam[FAM_DEROGATORY] > 0) ||
                 (g->n[FAM_PROFANITY] && g->fam[FAM_PROFANITY] > 0);
    /* in "Jess, can you check..." the "you" is the colleague */
    if (!insult && !(g->n[FAM_COLLEAGUE] && g->fam[FAM_COLLEAGUE] > 0))
        ctx += clampf(g->fam[FAM_SECOND], -1.6f, 0.0f);
    if (!insult)
        ctx += clampf(g->fam[FAM_FACING], -4.0f, 0.0f);
    *pos = p;
    return b->bias + p + ctx;
}

/*
 * Score a message segment by segment: each cue counts in the segment it
 * is in, and the message is as backstage as its most backstage segment,
 * so a greeting or thanks elsewhere in a long reply cannot dilute a remark.
 */
static int
score(struct bs *b, const struct pf_msg *m, struct pf_verdict *v, uint32_t *fam)
{
    struct hit hits[MAX_HITS];
    struct scan s = {b, m, hits, 0, fam, fam + m->n_tokens, 0};
    struct seg_sum segs[MAX_SEGS];
    size_t n_segs = 0;
    float third = 0;
    int explain = (m->flags & PF_MSG_EXPLAIN) != 0;
    int fi = m->ui_lang && strcmp(m->ui_lang, "fi") == 0;

    if (m->n_tokens == 0)
        return PF_OK;
    token_cues(&s);
    phrase_cues(&s);
    particles(&s);
    index_hits(&s, 0);
    /* these only add hits */
    size_t indexed = s.n;
    vocative(&s);
    scare_quotes(&s);
    index_hits(&s, indexed);
    apply_guards(&s);

    /* each cue counts once, at its strongest, in its segment */
    for (size_t i = 0; i < s.n; i++) {
        struct hit *h = &hits[i];
        int dup = 0;
        if (h->dead)
            continue;
        for (size_t k = 0; k < i; k++) {
            if (!hits[k].dead && hits[k].cue == h->cue &&
                h->cue != UINT32_MAX) {
                dup = 1;
                break;
            }
        }
        if (dup)
            continue;
        if (h->family == FAM_THIRD) {
            third += h->w;
            continue;
        }
        uint32_t sg = hit_segment(m, h);
        size_t k = 0;
        while (k < n_segs && segs[k].seg != sg)
            k++;
        if (k == n_segs) {
            if (n_segs == MAX_SEGS)
                k = MAX_SEGS - 1; /* the rest count with the last one */
            else {
                memset(&segs[n_segs], 0, sizeof(segs[0]));
                segs[n_segs++].seg = sg;
            }
        }
        segs[k].fam[h->family] += h->w;
        segs[k].n[h->family]++;
    }
    third = clampf(third, 0.0f, 1.5f);
    /* the most backstage segment */
    long top_seg = -1;
    float top_z = 0, top_pos = 0;
    for (size_t k = 0; k < n_segs; k++) {
        float pos;
        float z = seg_z(b, &segs[k], third, &pos);
        if (pos <= 0)
            continue;
        if (top_seg < 0 || z > top_z) {
            top_seg = (long)k;
            top_z = z;
            top_pos = pos;
        }
    }
    float score = top_seg < 0 ? sigmoid(b->bias + third) : sigmoid(top_z);

    if (explain) {
        explain_hits(b, &s);
        if (top_seg >= 0)
            b->h->log(b->hctx, PF_LOG_DEBUG,
                      "score = sigmoid(bias %.2f + cues %.2f + context %.2f) "
                      "= %.3f, in segment %u",
                      b->bias, top_pos, top_z - b->bias - top_pos, score,
                      segs[top_seg].seg);
        else
            b->h->log(b->hctx, PF_LOG_DEBUG,
                      "score = sigmoid(bias %.2f + cues 0.00 + context "
                      "%.2f) = %.3f: no cue left",
                      b->bias, third, score);
    }
    if (top_seg < 0)
        return PF_OK;

    /* one finding per family, scored in its best segment, never above the
       message's score */
    for (int f = 0; f < FAM_N_FINDING; f++) {
        float best = -1;
        for (size_t k = 0; k < n_segs; k++) {
            float pos;
            if (!segs[k].n[f] || segs[k].fam[f] <= 0)
                continue;
            float z = seg_z(b, &segs[k], third, &pos);
            /* this family's share of the segment */
            float sf = sigmoid(z - pos + segs[k].fam[f]);
            if ((long)k == top_seg && segs[k].fam[f] >= top_pos * 0.5f)
                sf = score;
            if (sf > best)
                best = sf;
        }
        if (best < 0)
            continue;
        if (best > score)
            best = score;
        if (best < 0.1f)
            continue;
        struct pf_finding *fd =
            pf_verdict_add(v, b->labels[f], remap(best, b->hold_from[f]));
        if (!fd)
            break;
        /* reason: what it is, and the words */
        size_t o = 0;
        append(fd->reason, sizeof(fd->reason), &o, family_reason(f, fi),
               SIZE_MAX);
        append(fd->reason, sizeof(fd->reason), &o, ":", 1);
        int words = 0;
        for (size_t i = 0; i < s.n; i++) {
            const struct hit *h = &hits[i];
            struct pf_span sp;
            if (h->dead || h->family != f || h->w <= 0)
                continue;
            hit_span(m, h, &sp);
            pf_finding_span(fd, sp.off, sp.len);
            if (words < 4 && o + sp.len + 8 < sizeof(fd->reason)) {
                append(fd->reason, sizeof(fd->reason), &o,
                       words ? ", \"" : " \"", SIZE_MAX);
                append(fd->reason, sizeof(fd->reason), &o, m->text + sp.off,
                       sp.len);
                append(fd->reason, sizeof(fd->reason), &o, "\"", 1);
                words++;
            }
        }
        pf_strlcpy(fd->suggestion, family_suggestion(f, fi),
                   sizeof(fd->suggestion));
    }
    return PF_OK;
}

static int
bs_check(void *inst, const struct pf_msg *m, struct pf_verdict *v)
{
    uint32_t stack[2 * 256], *fam = stack;
    if (m->n_tokens == 0)
        return PF_OK;
    if (m->n_tokens > 256 && !(fam = malloc(2 * m->n_tokens * sizeof(*fam))))
        return PF_ENOMEM;
    int rc = score(inst, m, v, fam);
    if (fam != stack)
        free(fam);
    return rc;
}

/* what check() reports: "backstage." and the finding families' names */
static const char *const bs_labels[] = {
    "backstage.derogatory", "backstage.slang",     "backstage.aside",
    "backstage.colleague",  "backstage.mockery",   "backstage.venting",
    "backstage.gossip",     "backstage.profanity", NULL,
};

static const struct pf_plugin plugin = {
    PF_PLUGIN_INIT("backstage", "1.0",
                   "holds replies that read like backstage talk (fi, en)"),
    .create = bs_create,
    .destroy = bs_destroy,
    .check = bs_check,
    .labels = bs_labels,
};

PF_EXPORT const struct pf_plugin *
pf_plugin_entry_v1(void)
{
    return &plugin;
}
