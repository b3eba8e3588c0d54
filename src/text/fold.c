/*
 * fold.c - see fold.h.
 *
 * ASCII takes a table-driven fast path (the bulk of chat text); everything
 * else goes through utf8proc one grapheme cluster at a time, which keeps a
 * base letter and its combining marks together so NFKC composes them, and
 * lets the caller map every normalized byte back to the cluster it came
 * from. Default-ignorable characters (zero-width space, soft hyphen, joiners,
 * variation selectors, bidi controls, tag characters...) fold to nothing;
 * a few invisible characters that Unicode does not list as ignorable
 * (braille blank, Hangul fillers) are dropped as well.
 */
#include "text/fold.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "text/utf8.h"

#define MAX_CLUSTER_CPS 16

/* Cyrillic and Greek letters that look like Latin ones, by raw code point
   (upper case letters look different from their lower case forms). */
static char
lookalike(int32_t cp)
{
    switch (cp) {
    /* Cyrillic capitals */
    case 0x0410: return 'a';
    case 0x0412: return 'b';
    case 0x0415: return 'e';
    case 0x0401: return 'e';
    case 0x041A: return 'k';
    case 0x041C: return 'm';
    case 0x041D: return 'h';
    case 0x041E: return 'o';
    case 0x0420: return 'p';
    case 0x0421: return 'c';
    case 0x0422: return 't';
    case 0x0423: return 'y';
    case 0x0425: return 'x';
    case 0x0405: return 's';
    case 0x0406: return 'i';
    case 0x0407: return 'i';
    case 0x0408: return 'j';
    /* Cyrillic small letters */
    case 0x0430: return 'a';
    case 0x0435: return 'e';
    case 0x0451: return 'e';
    case 0x043E: return 'o';
    case 0x0440: return 'p';
    case 0x0441: return 'c';
    case 0x0443: return 'y';
    case 0x0445: return 'x';
    case 0x0455: return 's';
    case 0x0456: return 'i';
    case 0x0457: return 'i';
    case 0x0458: return 'j';
    case 0x0501: return 'd';
    case 0x051B: return 'q';
    case 0x051D: return 'w';
    case 0x04BB: return 'h';
    case 0x04CF: return 'l';
    case 0x04C0: return 'i';
    case 0x043A: return 'k';
    case 0x0442: return 't';
    case 0x043C: return 'm';
    case 0x043D: return 'h';
    case 0x0432: return 'b';
    case 0x044C: return 'b';
    /* Greek capitals */
    case 0x0391: return 'a';
    case 0x0392: return 'b';
    case 0x0395: return 'e';
    case 0x0396: return 'z';
    case 0x0397: return 'h';
    case 0x0399: return 'i';
    case 0x039A: return 'k';
    case 0x039C: return 'm';
    case 0x039D: return 'n';
    case 0x039F: return 'o';
    case 0x03A1: return 'p';
    case 0x03A4: return 't';
    case 0x03A5: return 'y';
    case 0x03A7: return 'x';
    /* Greek small letters */
    case 0x03B1: return 'a';
    case 0x03B2: return 'b';
    case 0x03B5: return 'e';
    case 0x03B7: return 'n';
    case 0x03B9: return 'i';
    case 0x03BA: return 'k';
    case 0x03BC: return 'u';
    case 0x03BD: return 'v';
    case 0x03BF: return 'o';
    case 0x03C1: return 'p';
    case 0x03C4: return 't';
    case 0x03C5: return 'u';
    case 0x03C7: return 'x';
    case 0x03C9: return 'w';
    default: return 0;
    }
}

/* Latin small capitals, which NFKC leaves alone: ɪᴅɪᴏᴛ reads "idiot" */
static char
small_capital(int32_t cp)
{
    switch (cp) {
    case 0x1D00: return 'a';
    case 0x0299: return 'b';
    case 0x1D04: return 'c';
    case 0x1D05: return 'd';
    case 0x1D07: return 'e';
    case 0xA730: return 'f';
    case 0x0262: return 'g';
    case 0x029C: return 'h';
    case 0x026A: return 'i';
    case 0x1D0A: return 'j';
    case 0x1D0B: return 'k';
    case 0x029F: return 'l';
    case 0x1D0D: return 'm';
    case 0x0274: return 'n';
    case 0x1D0F: return 'o';
    case 0x1D18: return 'p';
    case 0x0280: return 'r';
    case 0xA731: return 's';
    case 0x1D1B: return 't';
    case 0x1D1C: return 'u';
    case 0x1D20: return 'v';
    case 0x1D21: return 'w';
    case 0x028F: return 'y';
    case 0x1D22: return 'z';
    default: return 0;
    }
}

static int
is_emoji_cp(int32_t cp)
{
    return (cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x2600 && cp <= 0x27BF) ||
           (cp >= 0x2300 && cp <= 0x23FF) || (cp >= 0x2B00 && cp <= 0x2BFF) ||
           cp == 0x3030 || cp == 0x303D || cp == 0x3297 || cp == 0x3299 ||
           cp == 0x2122 || cp == 0x2139 || (cp >= 0x2194 && cp <= 0x21AA);
}

static int
is_extra_invisible(int32_t cp)
{
    return cp == 0x2800 || cp == 0x3164 || cp == 0xFFA0 || cp == 0x115F ||
           cp == 0x1160 || cp == 0x180E || cp == 0x061C || cp == 0x17B4 ||
           cp == 0x17B5 || (cp >= 0x1D173 && cp <= 0x1D17A);
}

static uint8_t
class_of(int32_t cp)
{
    switch (cp) {
    case '\'':
    case '`':
    case 0x00B4:
    case 0x2018:
    case 0x2019:
    case 0x201B:
    case 0x02BC:
    case 0x2032: return PF_U_APOS;
    case '"':
    case 0x201C:
    case 0x201D:
    case 0x201E:
    case 0x201F:
    case 0x00AB:
    case 0x00BB:
    case 0x2039:
    case 0x203A:
    case 0x201A:
    case 0x2033: return PF_U_QUOTE;
    case '\n':
    case '\r':
    case '\v':
    case '\f':
    case 0x0085:
    case 0x2028:
    case 0x2029: return PF_U_NEWLINE;
    }
    if (is_emoji_cp(cp))
        return PF_U_EMOJI;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME: return PF_U_LETTER;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO: return PF_U_DIGIT;
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_CC: return PF_U_SPACE;
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP: return PF_U_NEWLINE;
    case UTF8PROC_CATEGORY_SM:
    case UTF8PROC_CATEGORY_SC:
    case UTF8PROC_CATEGORY_SK:
    case UTF8PROC_CATEGORY_SO: return PF_U_SYMBOL;
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CN:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CS: return PF_U_IGNORED;
    default: return PF_U_PUNCT;
    }
}

/* Everything the tokenizer needs to know about an ASCII character, as a
   table: the fast path for most chat text. */
/* clang-format off */
const struct pf_fold_ascii pf_fold_ascii_table[128] = {
    /*   0 */ {PF_U_SPACE, 0, ' ', 0},
    /*   1 */ {PF_U_SPACE, 0, ' ', 0},
    /*   2 */ {PF_U_SPACE, 0, ' ', 0},
    /*   3 */ {PF_U_SPACE, 0, ' ', 0},
    /*   4 */ {PF_U_SPACE, 0, ' ', 0},
    /*   5 */ {PF_U_SPACE, 0, ' ', 0},
    /*   6 */ {PF_U_SPACE, 0, ' ', 0},
    /*   7 */ {PF_U_SPACE, 0, ' ', 0},
    /*   8 */ {PF_U_SPACE, 0, ' ', 0},
    /*   9 */ {PF_U_SPACE, 0, ' ', 0},
    /*  10 */ {PF_U_NEWLINE, 0, '\n', 0},
    /*  11 */ {PF_U_NEWLINE, 0, '\n', 0},
    /*  12 */ {PF_U_NEWLINE, 0, '\n', 0},
    /*  13 */ {PF_U_NEWLINE, 0, '\n', 0},
    /*  14 */ {PF_U_SPACE, 0, ' ', 0},
    /*  15 */ {PF_U_SPACE, 0, ' ', 0},
    /*  16 */ {PF_U_SPACE, 0, ' ', 0},
    /*  17 */ {PF_U_SPACE, 0, ' ', 0},
    /*  18 */ {PF_U_SPACE, 0, ' ', 0},
    /*  19 */ {PF_U_SPACE, 0, ' ', 0},
    /*  20 */ {PF_U_SPACE, 0, ' ', 0},
    /*  21 */ {PF_U_SPACE, 0, ' ', 0},
    /*  22 */ {PF_U_SPACE, 0, ' ', 0},
    /*  23 */ {PF_U_SPACE, 0, ' ', 0},
    /*  24 */ {PF_U_SPACE, 0, ' ', 0},
    /*  25 */ {PF_U_SPACE, 0, ' ', 0},
    /*  26 */ {PF_U_SPACE, 0, ' ', 0},
    /*  27 */ {PF_U_SPACE, 0, ' ', 0},
    /*  28 */ {PF_U_SPACE, 0, ' ', 0},
    /*  29 */ {PF_U_SPACE, 0, ' ', 0},
    /*  30 */ {PF_U_SPACE, 0, ' ', 0},
    /*  31 */ {PF_U_SPACE, 0, ' ', 0},
    /*  32 */ {PF_U_SPACE, 0, ' ', 0},
    /*  33 */ {PF_U_PUNCT, 0, '!', 'i'},
    /*  34 */ {PF_U_QUOTE, 0, '"', 0},
    /*  35 */ {PF_U_PUNCT, 0, '#', 0},
    /*  36 */ {PF_U_SYMBOL, 0, '$', 's'},
    /*  37 */ {PF_U_PUNCT, 0, '%', 0},
    /*  38 */ {PF_U_PUNCT, 0, '&', 0},
    /*  39 */ {PF_U_APOS, 0, '\'', 0},
    /*  40 */ {PF_U_PUNCT, 0, '(', 0},
    /*  41 */ {PF_U_PUNCT, 0, ')', 0},
    /*  42 */ {PF_U_PUNCT, 0, '*', 0},
    /*  43 */ {PF_U_SYMBOL, 0, '+', 0},
    /*  44 */ {PF_U_PUNCT, 0, ',', 0},
    /*  45 */ {PF_U_PUNCT, 0, '-', 0},
    /*  46 */ {PF_U_PUNCT, 0, '.', 0},
    /*  47 */ {PF_U_PUNCT, 0, '/', 0},
    /*  48 */ {PF_U_DIGIT, 0, '0', 'o'},
    /*  49 */ {PF_U_DIGIT, 0, '1', 'i'},
    /*  50 */ {PF_U_DIGIT, 0, '2', 0},
    /*  51 */ {PF_U_DIGIT, 0, '3', 'e'},
    /*  52 */ {PF_U_DIGIT, 0, '4', 'a'},
    /*  53 */ {PF_U_DIGIT, 0, '5', 's'},
    /*  54 */ {PF_U_DIGIT, 0, '6', 0},
    /*  55 */ {PF_U_DIGIT, 0, '7', 't'},
    /*  56 */ {PF_U_DIGIT, 0, '8', 'b'},
    /*  57 */ {PF_U_DIGIT, 0, '9', 'g'},
    /*  58 */ {PF_U_PUNCT, 0, ':', 0},
    /*  59 */ {PF_U_PUNCT, 0, ';', 0},
    /*  60 */ {PF_U_SYMBOL, 0, '<', 0},
    /*  61 */ {PF_U_SYMBOL, 0, '=', 0},
    /*  62 */ {PF_U_SYMBOL, 0, '>', 0},
    /*  63 */ {PF_U_PUNCT, 0, '?', 0},
    /*  64 */ {PF_U_PUNCT, 0, '@', 'a'},
    /*  65 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'a', 0},
    /*  66 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'b', 0},
    /*  67 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'c', 0},
    /*  68 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'd', 0},
    /*  69 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'e', 0},
    /*  70 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'f', 0},
    /*  71 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'g', 0},
    /*  72 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'h', 0},
    /*  73 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'i', 0},
    /*  74 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'j', 0},
    /*  75 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'k', 0},
    /*  76 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'l', 0},
    /*  77 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'm', 0},
    /*  78 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'n', 0},
    /*  79 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'o', 0},
    /*  80 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'p', 0},
    /*  81 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'q', 0},
    /*  82 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'r', 0},
    /*  83 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 's', 0},
    /*  84 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 't', 0},
    /*  85 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'u', 0},
    /*  86 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'v', 0},
    /*  87 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'w', 0},
    /*  88 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'x', 0},
    /*  89 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'y', 0},
    /*  90 */ {PF_U_LETTER, PF_UF_UPPER|PF_UF_LATIN, 'z', 0},
    /*  91 */ {PF_U_PUNCT, 0, '[', 0},
    /*  92 */ {PF_U_PUNCT, 0, '\\', 0},
    /*  93 */ {PF_U_PUNCT, 0, ']', 0},
    /*  94 */ {PF_U_SYMBOL, 0, '^', 0},
    /*  95 */ {PF_U_PUNCT, 0, '_', 0},
    /*  96 */ {PF_U_APOS, 0, '\'', 0},
    /*  97 */ {PF_U_LETTER, PF_UF_LATIN, 'a', 0},
    /*  98 */ {PF_U_LETTER, PF_UF_LATIN, 'b', 0},
    /*  99 */ {PF_U_LETTER, PF_UF_LATIN, 'c', 0},
    /* 100 */ {PF_U_LETTER, PF_UF_LATIN, 'd', 0},
    /* 101 */ {PF_U_LETTER, PF_UF_LATIN, 'e', 0},
    /* 102 */ {PF_U_LETTER, PF_UF_LATIN, 'f', 0},
    /* 103 */ {PF_U_LETTER, PF_UF_LATIN, 'g', 0},
    /* 104 */ {PF_U_LETTER, PF_UF_LATIN, 'h', 0},
    /* 105 */ {PF_U_LETTER, PF_UF_LATIN, 'i', 0},
    /* 106 */ {PF_U_LETTER, PF_UF_LATIN, 'j', 0},
    /* 107 */ {PF_U_LETTER, PF_UF_LATIN, 'k', 0},
    /* 108 */ {PF_U_LETTER, PF_UF_LATIN, 'l', 0},
    /* 109 */ {PF_U_LETTER, PF_UF_LATIN, 'm', 0},
    /* 110 */ {PF_U_LETTER, PF_UF_LATIN, 'n', 0},
    /* 111 */ {PF_U_LETTER, PF_UF_LATIN, 'o', 0},
    /* 112 */ {PF_U_LETTER, PF_UF_LATIN, 'p', 0},
    /* 113 */ {PF_U_LETTER, PF_UF_LATIN, 'q', 0},
    /* 114 */ {PF_U_LETTER, PF_UF_LATIN, 'r', 0},
    /* 115 */ {PF_U_LETTER, PF_UF_LATIN, 's', 0},
    /* 116 */ {PF_U_LETTER, PF_UF_LATIN, 't', 0},
    /* 117 */ {PF_U_LETTER, PF_UF_LATIN, 'u', 0},
    /* 118 */ {PF_U_LETTER, PF_UF_LATIN, 'v', 0},
    /* 119 */ {PF_U_LETTER, PF_UF_LATIN, 'w', 0},
    /* 120 */ {PF_U_LETTER, PF_UF_LATIN, 'x', 0},
    /* 121 */ {PF_U_LETTER, PF_UF_LATIN, 'y', 0},
    /* 122 */ {PF_U_LETTER, PF_UF_LATIN, 'z', 0},
    /* 123 */ {PF_U_PUNCT, 0, '{', 0},
    /* 124 */ {PF_U_SYMBOL, 0, '|', 'i'},
    /* 125 */ {PF_U_PUNCT, 0, '}', 0},
    /* 126 */ {PF_U_SYMBOL, 0, '~', 0},
    /* 127 */ {PF_U_IGNORED, 0, 0, 0},
};
/* clang-format on */

/*
 * Two-byte characters (U+0080..U+07FF: Latin-1, Latin Extended, Greek,
 * Cyrillic...) folded once, on first use, by the slow path below, so the
 * ä and ö of every Finnish word cost a table lookup. The bot is
 * single-threaded; the table never changes once filled.
 */
struct fold2 {
    uint8_t ready;
    uint8_t n; /* folded bytes, 0xFF when too long for the table */
    char bytes[6];
    struct pf_fold_info info;
};
static struct fold2 fold2_table[0x800];

static size_t fold_slow(const char *raw, size_t len, size_t off,
                        struct pf_buf *out, struct pf_fold_info *info);

static const struct fold2 *
fold2(int32_t cp)
{
    struct fold2 *e = &fold2_table[cp];
    if (!e->ready) {
        unsigned char enc[4];
        struct pf_buf b = PF_BUF_INIT;
        size_t k = (size_t)utf8proc_encode_char(cp, enc);
        fold_slow((const char *)enc, k, 0, &b, &e->info);
        if (b.len <= sizeof(e->bytes)) {
            e->n = (uint8_t)b.len;
            if (b.len)
                memcpy(e->bytes, b.data, b.len);
        } else {
            e->n = 0xFF;
        }
        pf_buf_release(&b);
        e->ready = 1;
    }
    return e;
}

size_t
pf_fold_cluster(const char *raw, size_t len, size_t off, struct pf_buf *out,
                struct pf_fold_info *info)
{
    const unsigned char *s = (const unsigned char *)raw;
    unsigned char c = s[off];
    /* a two-byte character followed by nothing that could combine with it
       (ASCII, another two-byte character that is no combining mark, or the
       end): the table */
    if (c >= 0xC2 && c <= 0xDF && off + 1 < len &&
        (off + 2 >= len || s[off + 2] < 0x80 ||
         (s[off + 2] >= 0xC2 && s[off + 2] <= 0xDF && s[off + 2] != 0xCC &&
          s[off + 2] != 0xCD))) {
        int32_t cp = ((c & 0x1F) << 6) | (s[off + 1] & 0x3F);
        const struct fold2 *e = fold2(cp);
        if (e->n != 0xFF) {
            *info = e->info;
            if (e->n)
                pf_buf_add(out, e->bytes, e->n);
            return 2;
        }
    }
    return fold_slow(raw, len, off, out, info);
}

static size_t
fold_slow(const char *raw, size_t len, size_t off, struct pf_buf *out,
          struct pf_fold_info *info)
{
    const unsigned char *s = (const unsigned char *)raw;
    unsigned char c = s[off];

    info->lookalike = 0;
    info->leet = 0;
    info->flags = 0;

    /* ASCII not followed by a combining mark: table lookup */
    if (c < 0x80 && (off + 1 >= len || s[off + 1] < 0xCC)) {
        const struct pf_fold_ascii *a = &pf_fold_ascii_table[c];
        info->cls = a->cls;
        info->flags = a->flags;
        info->leet = a->leet;
        if (a->cls != PF_U_IGNORED)
            pf_buf_add(out, &a->lower, 1);
        return 1;
    }

    /* one grapheme cluster, at most MAX_CLUSTER_CPS code points */
    int32_t first, cp, prev;
    size_t pos = off, n = 0;
    utf8proc_int32_t state = 0;
    pos += pf_utf8_decode(s + pos, &first);
    prev = first;
    n = 1;
    while (pos < len && n < MAX_CLUSTER_CPS) {
        size_t k = pf_utf8_decode(s + pos, &cp);
        if (utf8proc_grapheme_break_stateful(prev, cp, &state))
            break;
        pos += k;
        prev = cp;
        n++;
    }

    info->cls = class_of(first);
    if (info->cls == PF_U_LETTER) {
        utf8proc_category_t cat = utf8proc_category(first);
        if (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT)
            info->flags |= PF_UF_UPPER;
        if ((first >= 0x0370 && first <= 0x03FF) ||
            (first >= 0x0400 && first <= 0x052F)) {
            info->flags |= PF_UF_CYRGREEK;
            if (n == 1)
                info->lookalike = lookalike(first);
        } else if (first < 0x0250 || (first >= 0x1E00 && first <= 0x1EFF)) {
            info->flags |= PF_UF_LATIN;
        } else if (n == 1 && small_capital(first)) {
            char lower = small_capital(first);
            info->flags |= PF_UF_LATIN;
            pf_buf_add(out, &lower, 1);
            return pos - off;
        }
    }
    if (is_extra_invisible(first)) {
        info->cls = PF_U_IGNORED;
        return pos - off;
    }

    /* NFKC_Casefold of the cluster, default ignorables removed */
    utf8proc_int32_t buf[MAX_CLUSTER_CPS * 4];
    utf8proc_int32_t *dec = buf;
    /* COMPOSE here too: without COMPOSE or DECOMPOSE, utf8proc applies no
       compatibility mappings at all */
    utf8proc_option_t opt = UTF8PROC_STABLE | UTF8PROC_COMPAT |
                            UTF8PROC_CASEFOLD | UTF8PROC_IGNORE |
                            UTF8PROC_COMPOSE;
    utf8proc_ssize_t m =
        utf8proc_decompose(s + off, (utf8proc_ssize_t)(pos - off), dec,
                           (utf8proc_ssize_t)PF_ARRAY_LEN(buf), opt);
    if (m > (utf8proc_ssize_t)PF_ARRAY_LEN(buf)) {
        dec = pf_xmalloc((size_t)m * sizeof(*dec));
        m = utf8proc_decompose(s + off, (utf8proc_ssize_t)(pos - off), dec, m,
                               opt);
    }
    if (m < 0) {
        /* cannot happen for valid UTF-8; keep the text unchanged */
        pf_buf_add(out, raw + off, pos - off);
        if (dec != buf)
            free(dec);
        return pos - off;
    }
    m = utf8proc_normalize_utf32(dec, m, opt);
    if (m <= 0) {
        info->cls = PF_U_IGNORED;
    } else if (info->cls == PF_U_SPACE) {
        pf_buf_add(out, " ", 1);
    } else if (info->cls == PF_U_NEWLINE) {
        pf_buf_add(out, "\n", 1);
    } else if (info->cls == PF_U_APOS) {
        pf_buf_add(out, "'", 1);
    } else if (info->cls == PF_U_QUOTE) {
        pf_buf_add(out, "\"", 1);
    } else {
        /* classify by what it folds to: circled or fullwidth letters are
           letters, whatever the raw character's category */
        if (info->cls == PF_U_SYMBOL || info->cls == PF_U_PUNCT ||
            info->cls == PF_U_DIGIT) {
            uint8_t folded = class_of(dec[0]);
            if (folded == PF_U_LETTER || folded == PF_U_DIGIT) {
                info->cls = folded;
                if (dec[0] < 0x80)
                    info->flags |= PF_UF_LATIN;
            } else if (dec[0] == '-' ||
                       (dec[0] >= 0x2010 && dec[0] <= 0x2015) ||
                       dec[0] == 0x2212) {
                dec[0] = '-';
            }
        }
        pf_buf_grow(out, (size_t)m * 4);
        for (utf8proc_ssize_t i = 0; i < m; i++) {
            utf8proc_ssize_t k = utf8proc_encode_char(
                dec[i], (utf8proc_uint8_t *)out->data + out->len);
            out->len += (size_t)k;
        }
        out->data[out->len] = '\0';
    }
    if (dec != buf)
        free(dec);
    return pos - off;
}
