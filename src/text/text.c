/*
 * text.c - see text.h for the stages.
 *
 * Invariants the rest of pokerface relies on:
 *  - the input is refused unless it is valid UTF-8 without NUL bytes;
 *  - every token's raw span and every norm_map entry lies on a character
 *    boundary of the raw text, and norm_map is non-decreasing;
 *  - norm is valid UTF-8 holding no run of two white-space characters, and
 *    neither starts nor ends with one;
 *  - folding only changes norm, never the raw text or the spans.
 *
 * Folding rules (each made to be boring on ordinary text):
 *  - leetspeak: a word mixing letters with digits/symbols from the leet
 *    table is folded when a run of them sits between letters (m0r0n, ID10T,
 *    $h!t) or leads three or more letters (1diot). Codes and quantities
 *    such as 4G, mp3, 24h, B2B or salasana123 do not qualify.
 *  - look-alikes: Cyrillic/Greek letters that look Latin, inside a word that
 *    has Latin letters, or in a word made only of look-alikes in a message
 *    that is otherwise written in Latin letters.
 *  - spaced letters: three or more one-letter words separated by a space,
 *    dot, hyphen or underscore are joined (i d i o t, d-u-m-b).
 *  - quotes: tokens between a matching pair of quotation marks in one
 *    paragraph are flagged PF_TOKF_QUOTED.
 */
#include "text/text.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "text/fold.h"
#include "text/utf8.h"

#define UM_DROP 0x01  /* separator inside joined letters: not emitted */
#define UM_FOLD 0x02  /* emit unit.fold instead of the folded bytes */
#define UM_INTOK 0x04 /* part of a word-like token */
/* a one-byte letter or digit, neither folded nor dropped: emitted as it
   is (cleared with UM_FOLD and UM_DROP) */
#define UM_ASIS 0x08

struct unit {
    uint32_t raw_off;
    uint32_t nb_off; /* folded bytes in the scratch buffer */
    uint32_t norm_off;
    uint32_t norm_end;
    uint16_t raw_len;
    uint16_t nb_len;
    uint8_t cls;
    uint8_t uflags;
    uint8_t mark;
    char lookalike;
    char leet;
    char fold;
};

struct tok {
    uint32_t u0, u1; /* units [u0, u1) */
    uint16_t kind;
    uint16_t flags;
    uint8_t plain; /* letters only, none of them a look-alike: no folding */
};

struct prep {
    const char *raw;
    size_t len;
    struct unit *u;
    size_t nu;
    struct pf_buf nb; /* folded bytes of every unit */
    struct tok *t;
    size_t nt;
    unsigned latin_letters, cyrgreek_letters;
    int maybe_email;           /* the raw text has an "@" */
    unsigned one_letter_words; /* candidates for joining spaced letters */
};

static const char *
unit_nb(const struct prep *p, size_t i)
{
    return p->nb.data + p->u[i].nb_off;
}

static int
is_wordc(const struct unit *u)
{
    return u->cls == PF_U_LETTER || u->cls == PF_U_DIGIT;
}

static int
is_space(const struct unit *u)
{
    return u->cls == PF_U_SPACE || u->cls == PF_U_NEWLINE;
}

static unsigned char
raw_ch(const struct prep *p, size_t i)
{
    return (unsigned char)p->raw[p->u[i].raw_off];
}

/* next unit index >= i that is not ignored, or nu */
static size_t
next_vis(const struct prep *p, size_t i)
{
    while (i < p->nu && p->u[i].cls == PF_U_IGNORED)
        i++;
    return i;
}

/* previous unit index < i that is not ignored, or SIZE_MAX */
static size_t
prev_vis(const struct prep *p, size_t i)
{
    while (i > 0) {
        i--;
        if (p->u[i].cls != PF_U_IGNORED)
            return i;
    }
    return SIZE_MAX;
}

/* p->t has room for a token per unit (pf_text_prepare): no unit starts
   two tokens */
static inline void
add_tok(struct prep *p, size_t u0, size_t u1, int kind)
{
    struct tok *t = &p->t[p->nt++];
    t->u0 = (uint32_t)u0;
    t->u1 = (uint32_t)u1;
    t->kind = (uint16_t)kind;
    t->flags = 0;
    t->plain = 0;
}

static uint8_t
asis_mark(const struct unit *u)
{
    return u->nb_len == 1 && is_wordc(u) ? UM_ASIS : 0;
}

/* an ASCII character's unit but for its offsets, from the fold table:
   one copy per character instead of a store per field */
static struct unit ascii_unit[128];
static uint8_t ascii_latin[128]; /* 1 for a letter */
static pthread_once_t ascii_once = PTHREAD_ONCE_INIT;

static void
ascii_init(void)
{
    for (int c = 0; c < 128; c++) {
        const struct pf_fold_ascii *fa = &pf_fold_ascii_table[c];
        struct unit *u = &ascii_unit[c];
        memset(u, 0, sizeof(*u));
        u->raw_len = 1;
        u->cls = fa->cls;
        u->uflags = fa->flags;
        u->leet = fa->leet;
        u->nb_len = fa->cls != PF_U_IGNORED;
        u->mark = asis_mark(u);
        ascii_latin[c] = fa->cls == PF_U_LETTER;
    }
}

/* the first i >= off with s[i] >= 0x80, or len: eight bytes at a time */
static size_t
ascii_run_end(const unsigned char *s, size_t off, size_t len)
{
    while (off + 8 <= len) {
        uint64_t w;
        memcpy(&w, s + off, 8);
        w &= 0x8080808080808080ull;
        if (w) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) &&                            \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return off + ((size_t)__builtin_ctzll(w) >> 3);
#else
            break;
#endif
        }
        off += 8;
    }
    while (off < len && s[off] < 0x80)
        off++;
    return off;
}

/* Stage 1: one unit per grapheme cluster. */
static void
make_units(struct prep *p, struct pf_arena *a)
{
    const unsigned char *s = (const unsigned char *)p->raw;
    const size_t len = p->len;
    size_t off = 0, n = 0;
    unsigned latin = 0;
    pthread_once(&ascii_once, ascii_init);
    struct unit *units = pf_arena_alloc(a, (len + 1) * sizeof(*units));
    /* the buffer in locals: the compiler cannot keep p->nb in registers */
    char *nb = p->nb.data;
    size_t nb_len = p->nb.len, nb_cap = p->nb.cap;
    while (off < len) {
        unsigned char c = s[off];
        /* a run of ASCII characters not followed by a combining mark,
           inline: most chat text. Each folds to at most one byte, so
           room in nb is made once for the rest of the text */
        if (c < 0x80 && (off + 1 >= len || s[off + 1] < 0xCC)) {
            /* the run ends at the first non-ASCII byte; its last ASCII
               character is left to pf_fold_cluster() when a combining
               mark may follow it (s[off] itself is known not to) */
            size_t end = ascii_run_end(s, off + 1, len);
            if (end < len && s[end] >= 0xCC)
                end--;
            if (nb_len + (end - off) + 2 > nb_cap) {
                p->nb.len = nb_len;
                pf_buf_grow(&p->nb, len - off + 64);
                nb = p->nb.data;
                nb_cap = p->nb.cap;
            }
            for (; off < end; off++) {
                c = s[off];
                struct unit *u = &units[n++];
                *u = ascii_unit[c];
                u->raw_off = (uint32_t)off;
                u->nb_off = (uint32_t)nb_len;
                nb[nb_len] = pf_fold_ascii_table[c].lower;
                nb_len += u->nb_len;
                latin += ascii_latin[c];
            }
            continue;
        }
        struct unit *u = &units[n++];
        u->raw_off = (uint32_t)off;
        u->mark = 0;
        u->fold = 0;
        u->lookalike = 0;
        struct pf_fold_info fi;
        p->nb.len = nb_len;
        size_t k = pf_fold_cluster(p->raw, len, off, &p->nb, &fi);
        nb = p->nb.data;
        nb_cap = p->nb.cap;
        u->raw_len = (uint16_t)k;
        u->nb_off = (uint32_t)nb_len;
        u->nb_len = (uint16_t)(p->nb.len - nb_len);
        nb_len = p->nb.len;
        u->cls = fi.cls;
        u->uflags = fi.flags;
        u->lookalike = fi.lookalike;
        u->leet = fi.leet;
        u->mark = asis_mark(u);
        if (u->cls == PF_U_LETTER) {
            if (fi.flags & PF_UF_CYRGREEK)
                p->cyrgreek_letters++;
            else if (fi.flags & PF_UF_LATIN)
                latin++;
        }
        off += k;
    }
    p->nb.len = nb_len;
    if (nb)
        nb[nb_len] = '\0';
    p->u = units;
    p->nu = n;
    p->latin_letters += latin;
}

static int
starts_with(const struct prep *p, size_t i, const char *s)
{
    size_t n = strlen(s);
    for (size_t k = 0; k < n; k++) {
        if (i + k >= p->nu || p->u[i + k].nb_len != 1 ||
            unit_nb(p, i + k)[0] != s[k])
            return 0;
    }
    return 1;
}

/* end of the white-space separated chunk starting at i */
static size_t
chunk_end(const struct prep *p, size_t i)
{
    while (i < p->nu && !is_space(&p->u[i]))
        i++;
    return i;
}

/* drop trailing punctuation that usually ends a sentence, not a URL */
static size_t
trim_trailing(const struct prep *p, size_t i, size_t end)
{
    while (end > i) {
        const struct unit *u = &p->u[end - 1];
        if (u->cls == PF_U_PUNCT || u->cls == PF_U_QUOTE ||
            u->cls == PF_U_APOS || u->cls == PF_U_EMOJI ||
            u->cls == PF_U_IGNORED) {
            unsigned char c = raw_ch(p, end - 1);
            if (c == '/' || c == '=' || c == '#' || c == '_' || c == '-')
                break;
            end--;
        } else {
            break;
        }
    }
    return end;
}

static int
is_email_chunk(const struct prep *p, size_t i, size_t end)
{
    size_t at = SIZE_MAX, dot_after = 0;
    for (size_t k = i; k < end; k++) {
        unsigned char c = raw_ch(p, k);
        if (c == '@') {
            if (at != SIZE_MAX || k == i)
                return 0;
            at = k;
        } else if (c == '.' && at != SIZE_MAX && k > at + 1 && k + 1 < end) {
            dot_after = 1;
        } else if (!is_wordc(&p->u[k]) && c != '.' && c != '_' && c != '-' &&
                   c != '+') {
            return 0;
        }
    }
    return at != SIZE_MAX && dot_after;
}

/* Can unit k continue a word that has units [i, k)? */
static int
word_continues(const struct prep *p, size_t i, size_t k)
{
    const struct unit *u = &p->u[k];
    size_t prev, next;
    if (is_wordc(u) || u->cls == PF_U_IGNORED)
        return 1;
    /* what ends most words: nothing to look around for */
    if (is_space(u) || u->cls == PF_U_EMOJI || u->cls == PF_U_QUOTE)
        return 0;
    unsigned char c = raw_ch(p, k);
    /* nor for what none of the rules below takes: no apostrophe, mask,
       leet symbol or number separator; and a separator after a letter
       (the word's own, just before it) is no number's */
    if (u->cls != PF_U_APOS && c != '*' && !u->leet &&
        ((c != '.' && c != ',' && c != ':') ||
         (k > i && p->u[k - 1].cls == PF_U_LETTER)))
        return 0;
    prev = prev_vis(p, k);
    next = next_vis(p, k + 1);
    int prev_w = prev != SIZE_MAX && prev >= i && is_wordc(&p->u[prev]);
    int next_w = next < p->nu && is_wordc(&p->u[next]);
    /* don't, asiakkaan's */
    if (u->cls == PF_U_APOS && prev_w && next_w &&
        p->u[prev].cls == PF_U_LETTER && p->u[next].cls == PF_U_LETTER)
        return 1;
    /* masked letters: k*sipää, f**k (a star may follow a star) */
    if (c == '*' && prev != SIZE_MAX && prev >= i &&
        (is_wordc(&p->u[prev]) || raw_ch(p, prev) == '*')) {
        size_t m = k;
        while (m < p->nu && raw_ch(p, m) == '*')
            m++;
        return m < p->nu && p->u[m].cls == PF_U_LETTER;
    }
    /* leetspeak symbols between word characters: $h!t, p@ss */
    if (u->leet && !is_wordc(u) && next_w && (prev_w || k == i))
        return 1;
    /* 6,90 14:02 15.3.2024 inside numbers */
    if ((c == '.' || c == ',' || c == ':') && prev_w && next_w &&
        p->u[prev].cls == PF_U_DIGIT && p->u[next].cls == PF_U_DIGIT)
        return 1;
    return 0;
}

/* Stage 2: tokens. */
static void
tokenize_units(struct prep *p)
{
    size_t i = 0;
    while (i < p->nu) {
        struct unit *u = &p->u[i];
        if (is_space(u) || u->cls == PF_U_IGNORED) {
            i++;
            continue;
        }
        if (u->cls == PF_U_EMOJI) {
            add_tok(p, i, i + 1, PF_TOK_EMOJI);
            i++;
            continue;
        }
        /* what comes before matters to URLs, e-mail addresses and
           mentions only: most words start with none of their letters */
        size_t prev = SIZE_MAX;
        int chunk_start = 0;
        if ((u->nb_len == 1 &&
             (unit_nb(p, i)[0] == 'h' || unit_nb(p, i)[0] == 'w')) ||
            (p->maybe_email && is_wordc(u)) || raw_ch(p, i) == '@') {
            prev = prev_vis(p, i);
            chunk_start = prev == SIZE_MAX || is_space(&p->u[prev]) ||
                          p->u[prev].cls == PF_U_QUOTE ||
                          p->u[prev].cls == PF_U_APOS ||
                          raw_ch(p, prev) == '(' || raw_ch(p, prev) == '<';
        }
        if (chunk_start && u->nb_len == 1 &&
            (unit_nb(p, i)[0] == 'h' || unit_nb(p, i)[0] == 'w') &&
            (starts_with(p, i, "http://") || starts_with(p, i, "https://") ||
             starts_with(p, i, "www."))) {
            size_t end = trim_trailing(p, i, chunk_end(p, i));
            add_tok(p, i, end, PF_TOK_URL);
            i = end;
            continue;
        }
        if (chunk_start && p->maybe_email && is_wordc(u)) {
            size_t end = trim_trailing(p, i, chunk_end(p, i));
            if (is_email_chunk(p, i, end)) {
                add_tok(p, i, end, PF_TOK_EMAIL);
                i = end;
                continue;
            }
        }
        if (raw_ch(p, i) == '@' &&
            (prev == SIZE_MAX || !is_wordc(&p->u[prev])) && i + 1 < p->nu &&
            p->u[i + 1].cls == PF_U_LETTER) {
            size_t j = i + 1;
            while (j < p->nu &&
                   (is_wordc(&p->u[j]) || raw_ch(p, j) == '_' ||
                    ((raw_ch(p, j) == '.' || raw_ch(p, j) == '-') &&
                     j + 1 < p->nu && is_wordc(&p->u[j + 1]))))
                j++;
            add_tok(p, i, j, PF_TOK_MENTION);
            i = j;
            continue;
        }
        if (is_wordc(u) || (u->leet && word_continues(p, i, i))) {
            size_t j = i + 1;
            int letters = u->cls == PF_U_LETTER;
            int upper = letters && (u->uflags & PF_UF_UPPER);
            int first_upper = letters ? upper : -1;
            /* plain: letters only, none a look-alike, so no folding */
            int plain = u->cls == PF_U_LETTER && !u->lookalike;
            while (j < p->nu) {
                const struct unit *v = &p->u[j];
                if (v->cls == PF_U_LETTER) {
                    int up = (v->uflags & PF_UF_UPPER) != 0;
                    if (first_upper < 0)
                        first_upper = up;
                    letters++;
                    upper += up;
                    plain &= !v->lookalike;
                } else if (is_space(v)) {
                    break; /* how most words end: no call */
                } else if (v->cls == PF_U_DIGIT || word_continues(p, i, j)) {
                    plain = 0;
                } else {
                    break;
                }
                j++;
            }
            /* trailing ignorables belong to the space after the word */
            while (j > i + 1 && p->u[j - 1].cls == PF_U_IGNORED)
                j--;
            int kind = PF_TOK_WORD;
            if (!letters) {
                /* digits with separators only: a number, unless leet
                   symbols were folded in (they make it a word) */
                int leetsym = 0;
                for (size_t k = i; k < j; k++)
                    if (!is_wordc(&p->u[k]) && p->u[k].leet &&
                        raw_ch(p, k) != '.' && raw_ch(p, k) != ',' &&
                        raw_ch(p, k) != ':')
                        leetsym = 1;
                kind = leetsym ? PF_TOK_WORD : PF_TOK_NUMBER;
            }
            add_tok(p, i, j, kind);
            struct tok *nt = &p->t[p->nt - 1];
            /* a plain word's units are all letters, which emit() takes
               as word characters unmarked; fold_word() marks the others */
            nt->plain = (uint8_t)plain;
            if (first_upper > 0)
                nt->flags |= PF_TOKF_CAPITALIZED;
            if (letters >= 2 && upper == letters)
                nt->flags |= PF_TOKF_ALLCAPS;
            p->one_letter_words += letters == 1 && j - i <= 4;
            i = j;
            continue;
        }
        /* punctuation and symbols: runs of one character are one token */
        size_t j = i + 1;
        while (j < p->nu && p->u[j].cls == u->cls &&
               p->u[j].nb_len == u->nb_len && u->nb_len > 0 &&
               memcmp(unit_nb(p, j), unit_nb(p, i), u->nb_len) == 0)
            j++;
        add_tok(p, i, j, PF_TOK_PUNCT);
        i = j;
    }
}

/* Stage 3a: leetspeak, masks and look-alikes inside one word token. */
static void
fold_word(struct prep *p, struct tok *t, int fold_pure_lookalikes)
{
    size_t letters = 0, latin = 0, look = 0, bad_digit = 0;
    int interior = 0;
    for (size_t k = t->u0; k < t->u1; k++) {
        struct unit *u = &p->u[k];
        u->mark |= UM_INTOK;
        if (u->cls == PF_U_LETTER) {
            letters++;
            if (u->uflags & PF_UF_LATIN)
                latin++;
            if (u->lookalike)
                look++;
        } else if (u->cls == PF_U_DIGIT && !u->leet) {
            bad_digit++;
        }
        if (raw_ch(p, k) == '*')
            t->flags |= PF_TOKF_MASKED;
    }
    if (letters == 0)
        return;

    /* runs of leet characters: find one between letters */
    for (size_t k = t->u0; k < t->u1;) {
        if (p->u[k].cls == PF_U_LETTER || p->u[k].cls == PF_U_IGNORED ||
            raw_ch(p, k) == '*' || p->u[k].cls == PF_U_APOS) {
            k++;
            continue;
        }
        size_t r0 = k;
        int all_leet = 1;
        while (k < t->u1 && p->u[k].cls != PF_U_LETTER &&
               p->u[k].cls != PF_U_APOS && raw_ch(p, k) != '*') {
            if (!p->u[k].leet && p->u[k].cls != PF_U_IGNORED)
                all_leet = 0;
            k++;
        }
        if (all_leet && r0 > t->u0 && k < t->u1 &&
            p->u[r0 - 1].cls == PF_U_LETTER && p->u[k].cls == PF_U_LETTER)
            interior = 1;
    }
    int fold_leading = 0;
    if (!interior && !bad_digit && p->u[t->u0].leet &&
        p->u[t->u0].cls != PF_U_LETTER) {
        size_t k = t->u0;
        while (k < t->u1 && p->u[k].cls != PF_U_LETTER)
            k++;
        size_t after = 0;
        for (; k < t->u1; k++)
            if (p->u[k].cls == PF_U_LETTER)
                after++;
            else
                break;
        fold_leading = after >= 3 && k == t->u1;
    }
    if (interior || fold_leading) {
        for (size_t k = t->u0; k < t->u1; k++) {
            struct unit *u = &p->u[k];
            if (u->cls == PF_U_LETTER || !u->leet)
                continue;
            if (fold_leading && !interior && k > t->u0 &&
                p->u[k - 1].cls == PF_U_LETTER)
                break;
            u->fold = u->leet;
            u->mark = (uint8_t)((u->mark | UM_FOLD) & ~UM_ASIS);
        }
        t->flags |= PF_TOKF_LEET;
    }

    if (look && (latin || (fold_pure_lookalikes && look == letters))) {
        for (size_t k = t->u0; k < t->u1; k++) {
            struct unit *u = &p->u[k];
            if (u->cls == PF_U_LETTER && u->lookalike) {
                u->fold = u->lookalike;
                u->mark = (uint8_t)((u->mark | UM_FOLD) & ~UM_ASIS);
            }
        }
        t->flags |= PF_TOKF_LOOKALIKE;
    }
}

static size_t
tok_letters(const struct prep *p, const struct tok *t)
{
    if (t->u1 - t->u0 > 4)
        return 99; /* not a one-letter word, whatever it is */
    size_t n = 0;
    for (size_t k = t->u0; k < t->u1; k++) {
        if (p->u[k].cls == PF_U_LETTER || (p->u[k].mark & UM_FOLD))
            n++;
        else if (p->u[k].cls != PF_U_IGNORED)
            return 99;
    }
    return n;
}

static int
is_join_sep(const struct prep *p, const struct tok *t)
{
    if (t->kind != PF_TOK_PUNCT || t->u1 - t->u0 != 1)
        return 0;
    unsigned char c = raw_ch(p, t->u0);
    return c == '.' || c == '-' || c == '_' || c == '*' ||
           (p->u[t->u0].nb_len == 2 &&
            memcmp(unit_nb(p, t->u0), "\xc2\xb7", 2) == 0);
}

/* raw bytes between two units, if all white space (no line break) */
static int
small_space_gap(const struct prep *p, size_t a_end, size_t b_start)
{
    size_t spaces = 0;
    for (size_t k = a_end; k < b_start; k++) {
        if (p->u[k].cls == PF_U_SPACE)
            spaces++;
        else if (p->u[k].cls != PF_U_IGNORED)
            return 0;
    }
    return spaces <= 2;
}

/* Stage 3b: join spaced-out letters into one token. */
static void
join_letters(struct prep *p)
{
    size_t out = 0;
    for (size_t i = 0; i < p->nt;) {
        struct tok *t = &p->t[i];
        size_t j = i, letters = 0;
        if (t->kind == PF_TOK_WORD && tok_letters(p, t) == 1) {
            /* extend over: letter (sep letter)* where sep is a gap of
               spaces or one separator token with no spaces around it */
            letters = 1;
            j = i;
            for (;;) {
                size_t nxt = j + 1;
                if (nxt < p->nt && p->t[nxt].kind == PF_TOK_WORD &&
                    tok_letters(p, &p->t[nxt]) == 1 &&
                    p->t[j].u1 < p->t[nxt].u0 &&
                    small_space_gap(p, p->t[j].u1, p->t[nxt].u0)) {
                    j = nxt;
                    letters++;
                    continue;
                }
                if (nxt + 1 < p->nt && is_join_sep(p, &p->t[nxt]) &&
                    p->t[nxt].u0 == p->t[j].u1 &&
                    p->t[nxt + 1].kind == PF_TOK_WORD &&
                    tok_letters(p, &p->t[nxt + 1]) == 1 &&
                    p->t[nxt + 1].u0 == p->t[nxt].u1) {
                    j = nxt + 1;
                    letters++;
                    continue;
                }
                break;
            }
        }
        if (letters >= 3) {
            struct tok joined = *t;
            joined.u1 = p->t[j].u1;
            joined.flags |= PF_TOKF_JOINED;
            for (size_t k = joined.u0; k < joined.u1; k++) {
                struct unit *u = &p->u[k];
                if (u->cls == PF_U_LETTER || (u->mark & UM_FOLD))
                    u->mark |= UM_INTOK;
                else
                    u->mark = (uint8_t)((u->mark | UM_DROP) & ~UM_ASIS);
            }
            for (size_t k = i; k <= j; k++)
                joined.flags |=
                    p->t[k].flags & (PF_TOKF_LEET | PF_TOKF_LOOKALIKE);
            p->t[out++] = joined;
            i = j + 1;
        } else {
            p->t[out++] = *t;
            i++;
        }
    }
    p->nt = out;
}

static int
quote_family(const struct prep *p, const struct tok *t)
{
    const struct unit *u = &p->u[t->u0];
    if (u->cls == PF_U_QUOTE)
        return 2;
    if (u->cls == PF_U_APOS)
        return 1;
    return 0;
}

/* Stage 3c: flags from context: quotes, case, sentence starts. */
static void
flag_tokens(struct prep *p)
{
    size_t open = SIZE_MAX;
    int open_fam = 0;
    int sent_start = 1;
    for (size_t i = 0; i < p->nt; i++) {
        struct tok *t = &p->t[i];
        size_t before = prev_vis(p, t->u0);
        int newline_before =
            before == SIZE_MAX || p->u[before].cls == PF_U_NEWLINE;

        if (newline_before) {
            sent_start = 1;
            open = SIZE_MAX;
        }
        if (t->kind == PF_TOK_PUNCT) {
            int fam = quote_family(p, t);
            if (fam) {
                size_t after = next_vis(p, t->u1);
                const struct unit *pu =
                    before != SIZE_MAX ? &p->u[before] : NULL;
                const struct unit *nu = after < p->nu ? &p->u[after] : NULL;
                int can_open = (!pu || is_space(pu) || pu->cls == PF_U_PUNCT ||
                                pu->cls == PF_U_QUOTE) &&
                               nu && !is_space(nu);
                int can_close = pu && !is_space(pu) &&
                                (!nu || is_space(nu) || nu->cls == PF_U_PUNCT ||
                                 nu->cls == PF_U_QUOTE ||
                                 nu->cls == PF_U_APOS || nu->cls == PF_U_EMOJI);
                if (open != SIZE_MAX && fam == open_fam && can_close &&
                    i - open <= 80) {
                    for (size_t k = open + 1; k < i; k++)
                        p->t[k].flags |= PF_TOKF_QUOTED;
                    open = SIZE_MAX;
                } else if (can_open && open == SIZE_MAX) {
                    open = i;
                    open_fam = fam;
                }
                continue;
            }
            for (size_t k = t->u0; k < t->u1; k++) {
                unsigned char c = raw_ch(p, k);
                if (c == '?')
                    t->flags |= PF_TOKF_QUESTION;
                if ((c == '.' || c == '!' || c == '?') ||
                    (p->u[k].nb_len == 3 &&
                     memcmp(unit_nb(p, k), "...", 3) == 0))
                    sent_start = 1;
            }
            continue;
        }
        if (t->kind == PF_TOK_EMOJI)
            continue;
        if (t->kind == PF_TOK_WORD && !(t->flags & PF_TOKF_JOINED))
            goto sentence; /* case set while tokenizing */
        /* case of the letters as typed */
        size_t letters = 0, upper = 0;
        int first_upper = -1;
        for (size_t k = t->u0; k < t->u1; k++) {
            const struct unit *u = &p->u[k];
            if (u->cls != PF_U_LETTER)
                continue;
            letters++;
            if (u->uflags & PF_UF_UPPER)
                upper++;
            if (first_upper < 0)
                first_upper = (u->uflags & PF_UF_UPPER) != 0;
        }
        if (first_upper > 0)
            t->flags |= PF_TOKF_CAPITALIZED;
        if (letters >= 2 && upper == letters)
            t->flags |= PF_TOKF_ALLCAPS;
    sentence:
        if (t->kind == PF_TOK_WORD || t->kind == PF_TOK_MENTION ||
            t->kind == PF_TOK_NUMBER) {
            int after_emoji = i > 0 && p->t[i - 1].kind == PF_TOK_EMOJI &&
                              (t->flags & PF_TOKF_CAPITALIZED);
            if (sent_start || after_emoji)
                t->flags |= PF_TOKF_SENT_START;
            sent_start = 0;
        }
    }
}

/* a one-byte letter or digit, neither folded nor dropped */
static inline int
emit_as_is(const struct unit *u)
{
    return u->mark & UM_ASIS;
}

/* Stage 4: emit norm, the map and the final tokens. */
static void
emit(struct prep *p, struct pf_arena *a, struct pf_text *out)
{
    /* each unit emits its folded bytes or one folded letter, plus at most
       one space put between a word and an emoji */
    size_t cap = p->nb.len + p->nu + 16, n = 0;
    char *norm = pf_arena_alloc(a, cap + 1);
    uint32_t *map = pf_arena_alloc(a, (cap + 1) * sizeof(*map));
    int last = -1; /* 0 word-ish, 1 emoji, 2 other, -1 space/nothing */
    const char *nb = p->nb.data;
    /* in locals: the bytes written to norm could be p's, as far as the
       compiler knows, so it would read p->nu and p->u again after each */
    struct unit *const units = p->u;
    const size_t nu = p->nu;

    for (size_t i = 0; i < nu; i++) {
        struct unit *u = &units[i];
        /* the common case first: a run of one-byte letters and digits as
           they are */
        if (emit_as_is(u)) {
            if (last == 1) {
                norm[n] = ' ';
                map[n++] = u->raw_off;
            }
            for (;;) {
                u->norm_off = (uint32_t)n;
                norm[n] = nb[u->nb_off];
                map[n++] = u->raw_off;
                u->norm_end = (uint32_t)n;
                if (i + 1 >= nu || !emit_as_is(u + 1))
                    break;
                i++;
                u++;
            }
            last = 0;
            continue;
        }
        u->norm_off = (uint32_t)n;
        if (u->cls == PF_U_IGNORED || (u->mark & UM_DROP) ||
            (u->nb_len == 0 && !(u->mark & UM_FOLD))) {
            u->norm_end = (uint32_t)n;
            continue;
        }
        if (is_space(u)) {
            if (n > 0 && (norm[n - 1] == ' ' || norm[n - 1] == '\n')) {
                if (u->cls == PF_U_NEWLINE)
                    norm[n - 1] = '\n';
            } else if (n > 0) {
                norm[n] = u->cls == PF_U_NEWLINE ? '\n' : ' ';
                map[n++] = u->raw_off;
            }
            u->norm_off = u->norm_end = (uint32_t)n;
            last = -1;
            continue;
        }
        int cur = u->cls == PF_U_EMOJI                                ? 1
                  : (is_wordc(u) || (u->mark & (UM_FOLD | UM_INTOK))) ? 0
                                                                      : 2;
        if ((cur == 1 && last == 0) || (cur == 0 && last == 1)) {
            norm[n] = ' ';
            map[n++] = u->raw_off;
        }
        u->norm_off = (uint32_t)n;
        if (u->mark & UM_FOLD) {
            norm[n] = u->fold;
            map[n++] = u->raw_off;
        } else {
            const char *b = unit_nb(p, i);
            for (size_t k = 0; k < u->nb_len; k++) {
                norm[n] = b[k];
                map[n++] = u->raw_off;
            }
        }
        u->norm_end = (uint32_t)n;
        last = cur;
    }
    /* no trailing white space */
    while (n > 0 && (norm[n - 1] == ' ' || norm[n - 1] == '\n'))
        n--;
    norm[n] = '\0';
    map[n] = (uint32_t)p->len;
    out->norm = norm;
    out->norm_len = n;
    out->norm_map = map;

    out->tokens = pf_arena_alloc(a, (p->nt ? p->nt : 1) * sizeof(*out->tokens));
    out->token_hash =
        pf_arena_alloc(a, (p->nt ? p->nt : 1) * sizeof(*out->token_hash));
    out->n_tokens = p->nt;
    const struct tok *const toks = p->t;
    const size_t nt = p->nt;
    for (size_t i = 0; i < nt; i++) {
        const struct tok *t = &toks[i];
        struct pf_token *o = &out->tokens[i];
        const struct unit *first = &units[t->u0], *lastu = &units[t->u1 - 1];
        o->raw.off = first->raw_off;
        o->raw.len = lastu->raw_off + lastu->raw_len - first->raw_off;
        o->norm_off = first->norm_off;
        o->norm_len = lastu->norm_end > first->norm_off
                          ? lastu->norm_end - first->norm_off
                          : 0;
        o->kind = t->kind;
        o->flags = t->flags;
        /* the one hash of the word that lang.c and the plugins share */
        out->token_hash[i] = pf_word_hash(norm + o->norm_off, o->norm_len);
    }
}

/*
 * The fast path: a message written only in ASCII letters and digits, ä,
 * ö, å and their capitals, spaces, line breaks, ASCII punctuation and
 * symbols (but * and the leetspeak symbols $ @ |, which ! is too),
 * straight quotes and emoji is tokenized, flagged and emitted in one pass
 * over its bytes, without a unit per character. What the stages above do
 * with such text is simple: a word is letters, with apostrophes between
 * them (don't), and nothing in it is folded; a number is digits, with . ,
 * : between them; an emoji is a token of its own, folded by
 * pf_fold_cluster() as make_units() folds it; every other token is a run
 * of one character, quotes paired as flag_tokens() pairs them. Where a
 * rule of the stages would do more, the text is left to them: a word
 * mixing letters and digits (leetspeak, or a code such as mp3; digits
 * and then one or two letters, 90s or 3rd, it takes), a word
 * starting www. or http:// (a URL), a ! before a letter or digit (sh!t),
 * three one-letter words (spaced letters: i d i o t), any other
 * character. Three-byte characters from U+2000 to U+2FFF (the euro
 * sign, arrows, bullets, sun and snowflake) are taken too when the stages
 * would see them as above: punctuation or a symbol that folds to itself
 * and joins nothing, or an emoji (a dash, which folds to a hyphen, is
 * not). tests/check_text.c compares the two paths.
 */
enum fast_class {
    FC_NO = 0, /* not taken: the stages do it */
    FC_LETTER, /* an ASCII letter */
    FC_C3,     /* 0xC3, which starts ä, ö, å, Ä, Ö or Å */
    FC_DIGIT,
    FC_SPACE,
    FC_NEWLINE,
    FC_PUNCT, /* punctuation and symbols */
    FC_BANG,  /* !, a leetspeak i before a letter or digit */
    FC_APOS,
    FC_QUOTE,
    FC_F0, /* 0xF0, which starts an emoji (folded as the stages fold it) */
    FC_E2, /* 0xE2, which starts one of the characters below or another */
    FC_E2_PUNCT, /* E2 xx xx: punctuation or a symbol, as it is */
    FC_E2_EMOJI  /* E2 xx xx: an emoji (folded as the stages fold it) */
};
static uint8_t fast_class[256];
/* the class (PF_U_*) of the character a byte starts */
static uint8_t fast_ucls[256];
/* for the second byte of ä, ö, å, Ä, Ö and Å: their folded second byte,
   or 0 for a character the fast path leaves to the stages */
static unsigned char fast_c3[256];
static uint8_t fast_c3_upper[256];
/* E2 b1 b2, at [b1 & 63][b2 & 63]: FC_E2_PUNCT, FC_E2_EMOJI or FC_NO, and
   the character's class. A row (one b1) is made when the fast path first
   meets it (a few pf_fold_cluster() calls for each of its 64 characters);
   most rows never are */
static uint8_t fast_e2[64][64], fast_e2_ucls[64][64];
static atomic_uchar fast_e2_made[64];
static pthread_mutex_t fast_e2_lock = PTHREAD_MUTEX_INITIALIZER;

static void
fast_init(void)
{
    for (int c = 0; c < 128; c++) {
        const struct pf_fold_ascii *fa = &pf_fold_ascii_table[c];
        uint8_t k = FC_NO;
        if (fa->cls == PF_U_LETTER && !fa->leet)
            k = FC_LETTER;
        else if (fa->cls == PF_U_DIGIT && fa->lower == c)
            k = FC_DIGIT;
        else if (c == ' ' && fa->cls == PF_U_SPACE && fa->lower == ' ')
            k = FC_SPACE;
        else if (c == '\n' && fa->cls == PF_U_NEWLINE && fa->lower == '\n')
            k = FC_NEWLINE;
        else if (c == '!' && fa->cls == PF_U_PUNCT && fa->lower == '!')
            k = FC_BANG;
        else if ((fa->cls == PF_U_PUNCT || fa->cls == PF_U_SYMBOL) &&
                 !fa->leet && c != '*' && fa->lower == c)
            k = FC_PUNCT;
        else if (c == '\'' && fa->cls == PF_U_APOS && fa->lower == c)
            k = FC_APOS;
        else if (c == '"' && fa->cls == PF_U_QUOTE && fa->lower == c)
            k = FC_QUOTE;
        fast_class[c] = k;
        fast_ucls[c] = fa->cls;
    }
    /* ä, å, ö, Ä, Å, Ö, as the folding tables have them */
    static const unsigned char second[] = {0xA4, 0xA5, 0xB6, 0x84, 0x85, 0x96};
    for (size_t i = 0; i < sizeof(second); i++) {
        char raw[2] = {(char)0xC3, (char)second[i]};
        struct pf_buf b;
        struct pf_fold_info fi;
        pf_buf_init(&b);
        size_t k = pf_fold_cluster(raw, 2, 0, &b, &fi);
        if (k == 2 && b.len == 2 && (unsigned char)b.data[0] == 0xC3 &&
            fi.cls == PF_U_LETTER && !fi.lookalike && !fi.leet &&
            (unsigned char)b.data[1] >= 0x80) {
            fast_c3[second[i]] = (unsigned char)b.data[1];
            fast_c3_upper[second[i]] = (fi.flags & PF_UF_UPPER) != 0;
        }
        pf_buf_release(&b);
    }
    fast_class[0xC3] = FC_C3;
    fast_class[0xF0] = FC_F0;
    fast_class[0xE2] = FC_E2;
    /* what the byte after a quote starts, when it is not ASCII: one of
       ä, ö, å and their capitals, or an emoji (anything else, the fast
       path gives up on when it gets there) */
    for (int c = 0x80; c < 0x100; c++)
        fast_ucls[c] = PF_U_LETTER;
    fast_ucls[0xF0] = PF_U_EMOJI;
}

/* What the fast path does with E2 b1 b2 (see fast_e2): the stages make it
   a unit of its own, next to a letter on either side, and then either an
   emoji, or punctuation or a symbol that folds to itself */
static uint8_t
e2_class(unsigned char b1, unsigned char b2, uint8_t *ucls)
{
    const char c[3] = {(char)0xE2, (char)b1, (char)b2};
    const char before[4] = {'a', c[0], c[1], c[2]};
    const char after[4] = {c[0], c[1], c[2], 'a'};
    struct pf_fold_info fi = {0}, other;
    struct pf_buf b;
    uint8_t k = FC_NO;
    pf_buf_init(&b);
    if (pf_fold_cluster(before, 4, 0, &b, &other) == 1 &&
        pf_fold_cluster(after, 4, 0, &b, &other) == 3) {
        pf_buf_reset(&b);
        if (pf_fold_cluster(c, 3, 0, &b, &fi) == 3) {
            if (fi.cls == PF_U_EMOJI)
                k = FC_E2_EMOJI;
            else if ((fi.cls == PF_U_PUNCT || fi.cls == PF_U_SYMBOL) &&
                     !fi.leet && !fi.lookalike && b.len == 3 &&
                     memcmp(b.data, c, 3) == 0)
                k = FC_E2_PUNCT;
        }
    }
    pf_buf_release(&b);
    *ucls = fi.cls;
    return k;
}

/* fast_e2's entry for the character at s[i] (0xE2), FC_NO for one cut
   short */
static uint8_t
fast_e2_at(const unsigned char *s, size_t len, size_t i)
{
    if (i + 2 >= len || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80)
        return FC_NO;
    unsigned r = s[i + 1] & 63u;
    if (!atomic_load_explicit(&fast_e2_made[r], memory_order_acquire)) {
        pthread_mutex_lock(&fast_e2_lock);
        if (!atomic_load_explicit(&fast_e2_made[r], memory_order_relaxed)) {
            for (unsigned c = 0; c < 64; c++)
                fast_e2[r][c] =
                    e2_class((unsigned char)(0x80 + r),
                             (unsigned char)(0x80 + c), &fast_e2_ucls[r][c]);
            atomic_store_explicit(&fast_e2_made[r], 1, memory_order_release);
        }
        pthread_mutex_unlock(&fast_e2_lock);
    }
    return fast_e2[r][s[i + 2] & 63u];
}

/* The class (PF_U_*) of the character at s[i], as the fast path sees it
   (at a character it does not take, it gives up before this matters) */
static int
fast_ucls_at(const unsigned char *s, size_t len, size_t i)
{
    if (s[i] == 0xE2 && fast_e2_at(s, len, i) != FC_NO)
        return fast_e2_ucls[s[i + 1] & 63u][s[i + 2] & 63u];
    return fast_ucls[s[i]];
}

/* Does a letter the fast path takes start at s[i]? */
static inline int
fast_letter_at(const unsigned char *s, size_t len, size_t i)
{
    return i < len && (fast_class[s[i]] == FC_LETTER ||
                       (s[i] == 0xC3 && i + 1 < len && fast_c3[s[i + 1]]));
}

/* Does s[i..) start with p (ASCII, lower case), ASCII case aside? */
static int
fast_starts(const unsigned char *s, size_t len, size_t i, const char *p)
{
    for (; *p; p++, i++)
        if (i >= len || (fast_class[s[i]] == FC_LETTER ? s[i] | 0x20 : s[i]) !=
                            (unsigned char)*p)
            return 0;
    return 1;
}

/* pf_word_hash() (plugin.h) a byte at a time: 32-bit FNV-1a, whose 0 the
   caller reads as 1 */
#define FNV_BASIS 2166136261u
static inline uint32_t
fnv_step(uint32_t h, unsigned char b)
{
    return (h ^ b) * 16777619u;
}

static inline int
fast_space(uint8_t ucls)
{
    return ucls == PF_U_SPACE || ucls == PF_U_NEWLINE;
}

/* the flags of word ti, which the fast path has read: its case, and
   whether a sentence starts at it (one was due, or it is capitalized
   after an emoji: as stage 3c says for the stages) */
static inline uint16_t
fast_word_flags(int capitalized, int allcaps, int sent_start,
                const struct pf_token *toks, size_t ti)
{
    uint16_t flags = (capitalized ? PF_TOKF_CAPITALIZED : 0) |
                     (allcaps ? PF_TOKF_ALLCAPS : 0);
    if (sent_start ||
        (capitalized && ti > 0 && toks[ti - 1].kind == PF_TOK_EMOJI))
        flags |= PF_TOKF_SENT_START;
    return flags;
}

/* The fast path; 0 when the text is not for it (nothing is set then). */
static int
prepare_fast(struct pf_text *out, struct pf_arena *a, const char *text,
             size_t len, struct pf_buf *fb)
{
    const unsigned char *s = (const unsigned char *)text;
    /* norm: the text's bytes (an emoji folds to no more than it has), and
       at most two spaces around each emoji, of four bytes or more */
    size_t cap = len + len / 2 + 1;
    char *norm = pf_arena_alloc(a, cap);
    uint32_t *map = pf_arena_alloc(a, cap * sizeof(*map));
    struct pf_token *toks = pf_arena_alloc(a, (len + 1) * sizeof(*toks));
    uint32_t *th = pf_arena_alloc(a, (len + 1) * sizeof(*th));
    size_t n = 0, nt = 0, one_letter = 0, i = 0;
    size_t open = SIZE_MAX; /* the token that opened a quote */
    uint8_t open_fam = 0;
    int sent_start = 1;
    int newline_before = 1; /* the unit before the next token */
    int before = -1;        /* its class (PF_U_*), -1 at the start */
    /* as in emit(): 0 after a word's character, 1 after an emoji, 2 after
       anything else, -1 after white space; a space goes between a word
       and an emoji */
    int last = -1;
    int checked = 0; /* the rest of the text is known to be UTF-8 */
    while (i < len) {
        unsigned char c = s[i];
        uint8_t k = fast_class[c];
        /* every byte is one the fast path takes (which validates the
           UTF-8 too), or the stages do it all */
        if (k == FC_E2)
            k = fast_e2_at(s, len, i);
        if (k == FC_NO)
            return 0;
        if (k == FC_SPACE || k == FC_NEWLINE) {
            if (n > 0 && (norm[n - 1] == ' ' || norm[n - 1] == '\n')) {
                if (k == FC_NEWLINE)
                    norm[n - 1] = '\n';
            } else if (n > 0) {
                norm[n] = k == FC_NEWLINE ? '\n' : ' ';
                map[n++] = (uint32_t)i;
            }
            newline_before = k == FC_NEWLINE;
            before = k == FC_NEWLINE ? PF_U_NEWLINE : PF_U_SPACE;
            last = -1;
            i++;
            continue;
        }
        if ((k == FC_LETTER || k == FC_C3 || k == FC_DIGIT) && last == 1) {
            norm[n] = ' ';
            map[n++] = (uint32_t)i;
        }
        size_t ti = nt++, i0 = i, n0 = n;
        struct pf_token *o = &toks[ti];
        uint16_t flags = 0;
        uint32_t wh = 0; /* the token's pf_word_hash(), when made on the way */
        if (newline_before) {
            sent_start = 1;
            open = SIZE_MAX;
        }
        newline_before = 0;
        if (k == FC_LETTER || k == FC_C3) {
            /* the word's PF_UF_UPPER when every letter has it, and its
               hash, on the way */
            unsigned all_upper = PF_UF_UPPER;
            uint32_t h = FNV_BASIS;
            for (;;) {
                k = i < len ? fast_class[s[i]] : FC_NO;
                if (k == FC_LETTER) {
                    const struct pf_fold_ascii *fa = &pf_fold_ascii_table[s[i]];
                    all_upper &= fa->flags;
                    norm[n] = fa->lower;
                    h = fnv_step(h, (unsigned char)fa->lower);
                    map[n++] = (uint32_t)i;
                    i++;
                } else if (k == FC_C3) {
                    if (i + 1 >= len || !fast_c3[s[i + 1]])
                        return 0;
                    all_upper &= fast_c3_upper[s[i + 1]];
                    norm[n] = (char)0xC3;
                    norm[n + 1] = (char)fast_c3[s[i + 1]];
                    h = fnv_step(fnv_step(h, 0xC3), fast_c3[s[i + 1]]);
                    map[n] = map[n + 1] = (uint32_t)i;
                    n += 2;
                    i += 2;
                } else if (k == FC_APOS && fast_letter_at(s, len, i + 1)) {
                    /* (before is set after the word: a letter ends it) */
                    norm[n] = '\'';
                    h = fnv_step(h, '\'');
                    map[n++] = (uint32_t)i;
                    i++;
                } else if (k == FC_DIGIT) {
                    return 0; /* leetspeak or a code */
                } else {
                    break;
                }
            }
            /* a URL: www. or http:// or https:// (its letters are the
               word's, in lower case, in norm) */
            if (i < len && (s[i] == '.' || s[i] == ':') &&
                (s[i] == '.' ? n - n0 == 3 && memcmp(norm + n0, "www", 3) == 0
                             : fast_starts(s, len, i, "://") &&
                                   (n - n0 == 4 || n - n0 == 5) &&
                                   memcmp(norm + n0, "https", n - n0) == 0))
                return 0;
            wh = h ? h : 1;
            /* one letter: one byte, or ä, ö, å (an apostrophe stands
               between two letters only) */
            int one = i - i0 == 1 || (i - i0 == 2 && c == 0xC3);
            if (one && ++one_letter >= 3)
                return 0; /* spaced letters may be joined: i d i o t */
            flags |= fast_word_flags(
                c == 0xC3 ? fast_c3_upper[s[i0 + 1]]
                          : pf_fold_ascii_table[c].flags & PF_UF_UPPER,
                !one && (all_upper & PF_UF_UPPER), sent_start, toks, ti);
            sent_start = 0;
            o->kind = PF_TOK_WORD;
            before = PF_U_LETTER;
            last = 0;
        } else if (k == FC_DIGIT) {
            /* digits, and . , : between two of them */
            size_t units = 0;
            int sep = 0;
            for (;;) {
                k = i < len ? fast_class[s[i]] : FC_NO;
                if (k == FC_LETTER || k == FC_C3)
                    break;
                if (k != FC_DIGIT &&
                    !((s[i] == '.' || s[i] == ',' || s[i] == ':') &&
                      i + 1 < len && fast_class[s[i + 1]] == FC_DIGIT))
                    break;
                sep |= k != FC_DIGIT;
                norm[n] = (char)s[i];
                map[n++] = (uint32_t)i;
                i++;
                units++;
            }
            if (k == FC_LETTER || k == FC_C3) {
                /* digits and then one or two letters to the end of the
                   word, a count or an ordinal (90s, 3rd, 2FA), are a word
                   the stages leave as it is: leading leetspeak is read
                   only before three letters or more (1diot) */
                size_t letters = 0, upper = 0;
                int first_upper = -1;
                if (sep)
                    return 0;
                for (;; letters++) {
                    int up;
                    k = i < len ? fast_class[s[i]] : FC_NO;
                    if (k == FC_LETTER) {
                        const struct pf_fold_ascii *fa =
                            &pf_fold_ascii_table[s[i]];
                        up = (fa->flags & PF_UF_UPPER) != 0;
                        norm[n] = fa->lower;
                        map[n++] = (uint32_t)i;
                        i++;
                    } else if (k == FC_C3) {
                        if (i + 1 >= len || !fast_c3[s[i + 1]])
                            return 0;
                        up = fast_c3_upper[s[i + 1]];
                        norm[n] = (char)0xC3;
                        norm[n + 1] = (char)fast_c3[s[i + 1]];
                        map[n] = map[n + 1] = (uint32_t)i;
                        n += 2;
                        i += 2;
                    } else {
                        break;
                    }
                    if (first_upper < 0)
                        first_upper = up;
                    upper += (size_t)up;
                }
                /* more letters, digits again or an apostrophe: the
                   stages */
                if (letters > 2 || k == FC_DIGIT || k == FC_APOS)
                    return 0;
                if (letters == 1 && units + 1 <= 4 && ++one_letter >= 3)
                    return 0; /* spaced letters may be joined */
                flags |= fast_word_flags(first_upper > 0,
                                         letters >= 2 && upper == letters,
                                         sent_start, toks, ti);
                sent_start = 0;
                o->kind = PF_TOK_WORD;
                before = PF_U_LETTER;
                last = 0;
            } else {
                if (sent_start)
                    flags |= PF_TOKF_SENT_START;
                sent_start = 0;
                o->kind = PF_TOK_NUMBER;
                before = PF_U_DIGIT;
                last = 0;
            }
        } else if (k == FC_F0 || k == FC_E2_EMOJI) {
            /* one emoji, a grapheme cluster folded by pf_fold_cluster() as
               the stages fold it. Not an emoji modifier, which would join
               the character before it */
            if (k == FC_F0 &&
                (i + 3 >= len || s[i + 1] != 0x9F ||
                 (s[i + 2] == 0x8F && s[i + 3] >= 0xBB && s[i + 3] <= 0xBF)))
                return 0;
            size_t bad;
            if (!checked && !pf_utf8_valid(text + i, len - i, &bad))
                return 0;
            checked = 1;
            struct pf_fold_info fi;
            pf_buf_reset(fb);
            size_t kb = pf_fold_cluster(text, len, i, fb, &fi);
            if (fi.cls != PF_U_EMOJI || fb->len == 0 || fb->len > kb)
                return 0;
            if (last == 0) {
                norm[n] = ' ';
                map[n++] = (uint32_t)i;
            }
            n0 = n;
            for (size_t q = 0; q < fb->len; q++) {
                norm[n] = fb->data[q];
                map[n++] = (uint32_t)i;
            }
            i += kb;
            o->kind = PF_TOK_EMOJI;
            before = PF_U_EMOJI;
            last = 1;
        } else if (k == FC_E2_PUNCT) {
            /* a run of one three-byte character, as it is */
            unsigned char b1 = s[i + 1], b2 = s[i + 2];
            while (i + 2 < len && s[i] == 0xE2 && s[i + 1] == b1 &&
                   s[i + 2] == b2) {
                for (size_t q = 0; q < 3; q++) {
                    norm[n] = (char)s[i + q];
                    map[n++] = (uint32_t)i;
                }
                i += 3;
            }
            o->kind = PF_TOK_PUNCT;
            before = fast_e2_ucls[b1 & 63u][b2 & 63u];
            last = 2;
        } else {
            /* a run of one character */
            while (i < len && s[i] == c) {
                if (k == FC_BANG && i + 1 < len &&
                    (fast_letter_at(s, len, i + 1) ||
                     fast_class[s[i + 1]] == FC_DIGIT))
                    return 0; /* sh!t */
                norm[n] = (char)c;
                map[n++] = (uint32_t)i;
                i++;
            }
            o->kind = PF_TOK_PUNCT;
            int pu = before;
            before = fast_ucls[c];
            last = 2;
            if (k == FC_APOS || k == FC_QUOTE) {
                /* quotes pair as in flag_tokens() */
                uint8_t fam = k == FC_QUOTE ? 2 : 1;
                int nu = i < len ? fast_ucls_at(s, len, i) : -1;
                int can_open = (pu < 0 || fast_space((uint8_t)pu) ||
                                pu == PF_U_PUNCT || pu == PF_U_QUOTE) &&
                               nu >= 0 && !fast_space((uint8_t)nu);
                int can_close =
                    pu >= 0 && !fast_space((uint8_t)pu) &&
                    (nu < 0 || fast_space((uint8_t)nu) || nu == PF_U_PUNCT ||
                     nu == PF_U_QUOTE || nu == PF_U_APOS || nu == PF_U_EMOJI);
                if (open != SIZE_MAX && fam == open_fam && can_close &&
                    ti - open <= 80) {
                    for (size_t q = open + 1; q < ti; q++)
                        toks[q].flags |= PF_TOKF_QUOTED;
                    open = SIZE_MAX;
                } else if (can_open && open == SIZE_MAX) {
                    open = ti;
                    open_fam = fam;
                }
            } else {
                if (c == '?')
                    flags |= PF_TOKF_QUESTION;
                if (c == '.' || c == '!' || c == '?')
                    sent_start = 1;
            }
        }
        o->raw.off = (uint32_t)i0;
        o->raw.len = (uint32_t)(i - i0);
        o->norm_off = (uint32_t)n0;
        o->norm_len = (uint32_t)(n - n0);
        o->flags = flags;
        th[ti] = wh ? wh : pf_word_hash(norm + n0, n - n0);
        /* one space after a token and no more white space, the most
           common case of the white space branch above, taken here (FC_SPACE
           and FC_NEWLINE are ' ' and '\n' alone) */
        if (i + 1 < len && s[i] == ' ' && s[i + 1] != ' ' && s[i + 1] != '\n' &&
            norm[n - 1] != ' ' && norm[n - 1] != '\n') {
            norm[n] = ' ';
            map[n++] = (uint32_t)i;
            newline_before = 0;
            before = PF_U_SPACE;
            last = -1;
            i++;
        }
    }
    /* no trailing white space */
    while (n > 0 && (norm[n - 1] == ' ' || norm[n - 1] == '\n'))
        n--;
    norm[n] = '\0';
    map[n] = (uint32_t)len;
    out->norm = norm;
    out->norm_len = n;
    out->norm_map = map;
    out->tokens = toks;
    out->n_tokens = nt;
    out->token_hash = th;
    return 1;
}

static pthread_once_t fast_once = PTHREAD_ONCE_INIT;
#define FAST_MAX 16384 /* bytes of text the fast path takes at most */

static int
prepare(struct pf_text *t, struct pf_arena *a, const char *text, size_t len,
        char *err, size_t errlen, int fast)
{
    struct prep p;
    size_t bad;

    memset(t, 0, sizeof(*t));
    t->text = text;
    t->text_len = len;
    if (len >= UINT32_MAX / 2) {
        if (err)
            snprintf(err, errlen, "text too large (%zu bytes)", len);
        return PF_ETOOBIG;
    }
    pthread_once(&fast_once, fast_init);
    /* what the fast path allocates stays in the arena when it gives up
       half way: only for chat-sized text, where that is little */
    if (fast && len <= FAST_MAX) {
        struct pf_buf fb = PF_BUF_INIT; /* for emoji */
        int done = prepare_fast(t, a, text, len, &fb);
        if (fb.data)
            pf_buf_release(&fb);
        if (done) {
            t->bidi_off = len; /* it has none of the controls */
            goto lang;
        }
    }
    if (!pf_utf8_valid(text, len, &bad)) {
        char where[64];
        pf_utf8_describe(text, len, bad, where, sizeof(where));
        if (err)
            snprintf(err, errlen, "invalid UTF-8: %s", where);
        return PF_EINVAL;
    }
    t->bidi_off = len;
    for (const char *e = memchr(text, 0xE2, len); e;
         e = memchr(e + 1, 0xE2, len - (size_t)(e + 1 - text))) {
        size_t o = (size_t)(e - text);
        unsigned char b1 = o + 2 < len ? (unsigned char)e[1] : 0;
        unsigned char b2 = o + 2 < len ? (unsigned char)e[2] : 0;
        if ((b1 == 0x80 && b2 >= 0xAA && b2 <= 0xAE) ||
            (b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9)) {
            t->bidi_off = o;
            break;
        }
    }
    memset(&p, 0, sizeof(p));
    p.raw = text;
    p.len = len;
    pf_buf_init(&p.nb);
    pf_buf_grow(&p.nb, len + 16);

    /* e-mail detection only when there is an @ at all */
    p.maybe_email = memchr(text, '@', len) != NULL;
    make_units(&p, a);
    p.t = pf_arena_alloc(a, (p.nu + 1) * sizeof(*p.t));
    tokenize_units(&p);
    int pure = p.latin_letters > 0 && p.cyrgreek_letters * 4 < p.latin_letters;
    for (size_t i = 0; i < p.nt; i++) {
        if (p.t[i].kind != PF_TOK_WORD)
            continue;
        if (!p.t[i].plain)
            fold_word(&p, &p.t[i], pure);
    }
    if (p.one_letter_words >= 3)
        join_letters(&p);
    flag_tokens(&p);
    emit(&p, a, t);
    pf_buf_release(&p.nb);
lang:
    t->wclass = pf_arena_alloc(a, (t->n_tokens + 1) * sizeof(*t->wclass));
    t->lang = pf_text_lang(t, t->wclass);
    return PF_OK;
}

int
pf_text_prepare(struct pf_text *t, struct pf_arena *a, const char *text,
                size_t len, char *err, size_t errlen)
{
    return prepare(t, a, text, len, err, errlen, 1);
}

int
pf_text_prepare_stages(struct pf_text *t, struct pf_arena *a, const char *text,
                       size_t len, char *err, size_t errlen)
{
    return prepare(t, a, text, len, err, errlen, 0);
}

const char *
pf_text_kind_name(unsigned kind)
{
    static const char *names[] = {"word",    "number", "url",  "email",
                                  "mention", "emoji",  "punct"};
    return kind < PF_ARRAY_LEN(names) ? names[kind] : "?";
}
