/*
 * fold.h - character-level normalization: one grapheme cluster of raw text
 * in, its NFKC_Casefold form out (utf8proc), with the character class and
 * the look-alike and leetspeak letters the tokenizer may fold it to.
 */
#ifndef PF_FOLD_H
#define PF_FOLD_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

enum pf_ucls {
    PF_U_SPACE = 0, /* white space and control characters */
    PF_U_NEWLINE,   /* line and paragraph breaks */
    PF_U_LETTER,    /* letters and combining marks */
    PF_U_DIGIT,     /* decimal digits and other numbers */
    PF_U_APOS,   /* ' ’ ‘ ʼ ` ´: apostrophe inside a word, else a quote */
    PF_U_QUOTE,  /* " “ ” „ « » ‹ › */
    PF_U_PUNCT,  /* other punctuation */
    PF_U_SYMBOL, /* math, currency, arrows, other symbols */
    PF_U_EMOJI,  /* pictographs, emoji sequences, flags */
    PF_U_IGNORED /* invisible: folds to nothing */
};

#define PF_UF_UPPER 0x01    /* upper- or title-case letter in the raw text */
#define PF_UF_CYRGREEK 0x02 /* a Cyrillic or Greek letter */
#define PF_UF_LATIN 0x04    /* a Latin letter */

struct pf_fold_info {
    uint8_t cls;    /* enum pf_ucls */
    uint8_t flags;  /* PF_UF_* */
    char lookalike; /* Latin letter it looks like, or 0 */
    char leet;      /* letter it stands for in leetspeak, or 0 */
};

/*
 * Normalize the grapheme cluster that starts at raw[off] (raw is valid
 * UTF-8 of len bytes). Appends the folded UTF-8 to out, fills info and
 * returns the number of raw bytes consumed (at least 1). Very long clusters
 * (stacked combining marks) are cut into pieces of bounded size.
 */
size_t pf_fold_cluster(const char *raw, size_t len, size_t off,
                       struct pf_buf *out, struct pf_fold_info *info);

/* ASCII characters, for callers that take the fast path themselves. Use
   only when the next byte does not start a combining mark (< 0xCC). */
struct pf_fold_ascii {
    uint8_t cls;   /* enum pf_ucls */
    uint8_t flags; /* PF_UF_* */
    char lower;    /* what it folds to (space, newline, ' for apostrophes) */
    char leet;     /* letter it stands for in leetspeak, or 0 */
};
extern const struct pf_fold_ascii pf_fold_ascii_table[128];

#endif
