/*
 * text.h - the host's text layer: one message's raw text in, everything
 * the rules match on out, computed once and shared by all plugins.
 *
 *   raw text --validate--> units (one per grapheme cluster, NFKC casefold)
 *            --tokenize--> tokens (words, numbers, URLs, mentions, emoji...)
 *            --fold------> leetspeak, look-alikes, spaced letters, quotes
 *            --emit------> norm text + norm_map back to raw offsets
 *
 * Every token and every byte of norm knows which bytes of the raw text it
 * came from, so a finding always points at what the author actually typed.
 */
#ifndef PF_TEXT_H
#define PF_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "pokerface/plugin.h"

struct pf_text {
    const char *text; /* the raw text (borrowed from the caller) */
    size_t text_len;
    char *norm;
    size_t norm_len;
    uint32_t *norm_map; /* norm_len + 1 entries */
    struct pf_token *tokens;
    size_t n_tokens;
    const char *lang; /* "fi", "en", "mixed", "und" (static string) */
    /* the first bidirectional embedding, override or isolate control
       (U+202A..U+202E, U+2066..U+2069) in text, or text_len when none:
       with them, what a reader sees is not what was checked */
    size_t bidi_off;
    uint16_t *wclass; /* per token: PF_WC_* classes of closed-class words */
    /* per token: pf_word_hash() of its norm bytes (pf_msg.token_hash) */
    uint32_t *token_hash;
};

/* pf_text.wclass bits */
#define PF_WC_SECOND 0x01   /* you, sinä, teille */
#define PF_WC_THIRD 0x02    /* he, hän, this guy */
#define PF_WC_PERSON 0x04   /* customer, asiakas (a person noun) */
#define PF_WC_POINTER 0x08  /* this, the, se, tää */
#define PF_WC_GREETING 0x10 /* hi, hei, moi */
#define PF_WC_FIRST 0x20    /* I, me, we, mä, me, meidän */
#define PF_WC_INFORMAL 0x40 /* chat register: lol, tbh, gonna, mä, toi */
#define PF_WC_MARKER 0x80   /* opens or closes an aside: btw, ps, lol, tho */
#define PF_WC_NAME 0x100    /* a common first name: Sanna, Jess, Mikko */
#define PF_WC_REQUEST 0x200 /* asks someone: can, voitko, muista, check */
#define PF_WC_ABBR 0x400    /* a full stop after it ends no sentence: esim */
#define PF_WC_CLOSING 0x800 /* a closing on its own: regards, terveisin */
#define PF_WC_CLOSING1                                                         \
    0x1000 /* opens a two-word closing: kind, ystävällisin                   \
            */
#define PF_WC_CLOSING2 0x2000 /* ends one: regards, wishes, terveisin */
#define PF_WC_BUT 0x4000      /* but, mutta: opens a clause after a comma */

/*
 * Prepare text[0..len) (need not be NUL-terminated, but see pf_msg.text).
 * Everything is allocated from a. Returns PF_OK, PF_EINVAL for invalid UTF-8
 * (err says where), PF_ETOOBIG when len does not fit the 32-bit offsets.
 */
int pf_text_prepare(struct pf_text *t, struct pf_arena *a, const char *text,
                    size_t len, char *err, size_t errlen);

/* pf_text_prepare() without its fast path for text in plain letters:
   the same result, for tests that compare the two. */
int pf_text_prepare_stages(struct pf_text *t, struct pf_arena *a,
                           const char *text, size_t len, char *err,
                           size_t errlen);

/* The language guess on its own (used by pf_text_prepare): t's tokens
   and token_hash must be set; fills wclass (n_tokens entries). */
const char *pf_text_lang(const struct pf_text *t, uint16_t *wclass);

/* Whom m talks to (m's tokens, team and customers must be set; wclass is
   the pf_text's). */
void pf_addressee_read(const struct pf_msg *m, const uint16_t *wclass,
                       struct pf_addressee *a);

/* Does token t of m spell name (its first word, ASCII case aside)? */
int pf_text_names(const struct pf_msg *m, size_t t, const char *name);

/*
 * Split m into segments (struct pf_segment, plugin.h) and count each one's
 * cues; m's tokens, team and customers must be set, wclass is the
 * pf_text's (never NULL). Sets m->segments, n_segments, segment_size and
 * token_segment, allocated from a, and fills ad with whom the whole message
 * talks to (the same as pf_addressee_read, counted on the way).
 */
void pf_segments_read(struct pf_msg *m, const uint16_t *wclass,
                      struct pf_arena *a, struct pf_addressee *ad);

/* Printable name of a segment kind ("sentence", "paren", ...). */
const char *pf_segment_kind_name(unsigned kind);

/* Printable name of a token kind ("word", "emoji", ...). */
const char *pf_text_kind_name(unsigned kind);

#endif
