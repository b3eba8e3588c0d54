/*
 * lexicon.h - a cue lexicon for rule plugins (backstage, coach): parsed
 * from text files in config/lexicons/, Finnish nouns expanded to their
 * inflected forms, word cues in a hash table, phrase cues compiled into one
 * Vectorscan database. Compiled into each plugin that uses it.
 *
 * Lexicon line format (see config/lexicons/README for the full story):
 *
 *   FAMILY WEIGHT KIND[/FLAG...] ITEMS...
 *
 *   derogatory 4.0 noun      idiot moron imbecile
 *   derogatory 4.0 fi        idiootti idiootin idiootteja
 *   derogatory 2.5 noun/weak clown fool
 *   aside      3.5 phrase    don't|never tell|mention ~2 him|her|them
 *   @fi-endings  n a ta lle ...      (directives start with @)
 */
#ifndef PF_PLUGINS_LEXICON_H
#define PF_PLUGINS_LEXICON_H

#include <pokerface/plugin.h>
#include <stddef.h>
#include <stdint.h>

/* A lexicon has up to LEX_MAX_FAMILIES families of cues; the plugin that
   uses it names them (struct lex_spec). */
#define LEX_MAX_FAMILIES 32

struct lex_spec {
    const char *const *families; /* names, as written in lexicon files */
    unsigned n_families;
    /* the family of insults: its Finnish nouns also make -mainen
       adjectives and compound modifiers (idioottimainen,
       idioottiasiakas); -1 for none */
    int insult_family;
    /* the family of person words: they double as compound heads; -1 */
    int person_family;
    const char *cache_prefix; /* compiled phrases: PREFIX-HASH.hsdb */
    uint32_t family_mask;     /* bit f: keep family f's cues; 0 keeps all */
};

enum kind {
    KIND_WORD = 0, /* whole tokens, as listed */
    KIND_NOUN,     /* English: also +s, +es, +'s, +s' */
    KIND_FI,       /* Finnish principal parts: all case forms */
    KIND_PREFIX,   /* a token starting with it (compounds) */
    KIND_EMOJI,    /* emoji tokens */
    KIND_PHRASE,   /* token sequence pattern, compiled to a regex */
    KIND_REGEX     /* raw regex on the normalized text */
};

#define CUE_WEAK 0x01  /* counts fully only with a determiner or a person */
#define CUE_ADJ 0x02   /* counts fully only next to a person word */
#define CUE_START 0x04 /* phrase: only at the start of the message */
#define CUE_CAPS 0x08  /* word: only when typed in capitals (PICNIC) */

struct cue {
    uint8_t family;
    uint8_t kind;
    uint16_t flags;
    float weight;
    char *text;  /* the item as written, for reasons and explain */
    char *where; /* "file:line" */
};

/* One entry of the word table: a normalized form and the cue it belongs
   to; forms shared by several cues chain through next. */
struct wentry {
    uint32_t hash;
    uint32_t cue;
    uint32_t key;  /* offset of the form in lexicon.keys */
    uint32_t next; /* next entry with the same form, or UINT32_MAX */
};

/* the largest bloom filter a table gets: 16 KiB */
#define BLOOM_MAX_WORDS 2048

struct wtable {
    uint32_t *slots; /* index into entries + 1, 0 = empty */
    size_t n_slots;  /* power of two */
    /* two bits per form, both in one 64-bit word: most words of a message
       are in no list, and this says so with one load that is likely in
       the cache. Eight bits per slot (16+ per form) up to
       BLOOM_MAX_WORDS, so the small tables (most of them) take a few
       cache lines, not 16 KiB each */
    uint64_t *bloom;
    size_t bloom_mask; /* words - 1 */
    struct wentry *entries;
    size_t n, cap;
    int reverse; /* keys hashed backwards (lex_hash_rev): suffixes */
    /* bit wt_lead_bit() of the first two bytes of every form (the last
       two, backwards, when reverse): a word whose own first two bytes
       have no bit set begins with no form of the table, and its prefixes
       need no hashing and no lookup. A one-byte form sets short_form,
       and then every word may begin with one */
    uint64_t lead[16];
    int short_form;
};

/* A unit of a phrase alternative: one token. */
enum ph_unit_kind {
    PH_WORD = 0, /* exactly this normalized word (or emoji) */
    PH_PREFIX,   /* a word starting with it: kerro* */
    PH_SUFFIX,   /* a word of 3+ more letters ending with it: *nne */
    PH_NUM,      /* @num: a number */
    PH_PUNCT     /* punctuation starting with it: , : ( ! */
};

struct ph_unit {
    uint32_t str; /* offset in lexicon.keys */
    uint16_t len;
    uint8_t kind;
};

struct ph_alt {
    uint32_t u0; /* units [u0, u0 + nu) */
    uint16_t nu;
    /* the first byte of the token it begins at, or -1 for any byte: an
       element's other alternatives are passed over without a look */
    int16_t first;
};

struct ph_elem {
    uint32_t a0; /* alternatives [a0, a0 + na) */
    uint16_t na;
    uint8_t optional;
    uint8_t gap;    /* up to this many other words before it */
    uint8_t word;   /* words (else punctuation) */
    uint64_t first; /* bit b & 63 set: an alternative may begin with byte b */
};

struct ph_phrase {
    uint32_t cue;
    uint32_t e0; /* elements [e0, e0 + ne) */
    uint16_t ne;
    uint8_t start; /* only at the start of the message */
    /* the words that may follow the phrase's first token, when they are
       known exactly: the second word of a two-word first alternative
       ("it_is"), or the first word of the next element (and of the ones
       after it while those are optional), with no gap and no prefix,
       suffix or number among them. Bit (lex_hash(word) & 255) of each;
       has_next is 0 when any of that does not hold. Most phrases tried
       fail right there, and lex_phrase_at says so before matching.
       The second element alone may have a gap ("on ~2 selvästi"): then
       the word is one of the next_span (1 + the gap) tokens after the
       first that are not punctuation */
    uint8_t has_next;
    uint8_t next_span;
    uint64_t next[4];
};

struct lexicon {
    const struct pf_host *h;
    struct pf_hctx *hctx;
    struct cue *cues;
    size_t n_cues, cap_cues;
    char *keys; /* NUL-separated forms */
    size_t keys_len, keys_cap;
    struct wtable words;     /* exact forms */
    struct wtable squeezed;  /* forms with doubled letters squeezed */
    struct wtable plain;     /* forms with ä, ö, å written a, o, a (only
                                those that have them) */
    struct wtable prefixes;  /* KIND_PREFIX items */
    struct wtable modifiers; /* nominatives of Finnish insults, for compounds */
    struct wtable heads;     /* person words a compound may end in */
    uint32_t prefix_lens;    /* bit n set: some prefix is n bytes long */
    uint32_t modifier_lens;  /* the same for compound modifiers */
    /* phrases, matched on tokens: each a sequence of elements, an element
       a set of alternatives, an alternative a sequence of units */
    struct ph_unit *ph_units;
    struct ph_alt *ph_alts;
    struct ph_elem *ph_elems;
    struct ph_phrase *phrases;
    size_t n_ph_units, cap_ph_units, n_ph_alts, cap_ph_alts, n_ph_elems,
        cap_ph_elems, n_phrases, cap_phrases;
    /* what a phrase can begin with -> the phrase: a word or punctuation,
       a prefix, a suffix (their lengths in the masks), a number */
    struct wtable ph_starts, ph_prefix, ph_suffix;
    uint32_t ph_prefix_lens, ph_suffix_lens;
    /* bit b: some phrase begins with punctuation starting with byte b, with
       a prefix starting with b, with a suffix ending in b; a token no
       phrase can begin at is passed over without hashing anything */
    uint64_t ph_punct_first[4], ph_prefix_first[4], ph_suffix_last[4];
    /* the first two together, and the digits when a phrase begins with a
       number: a token whose first byte is not here, and whose last byte
       no suffix ends in, begins none of these phrases */
    uint64_t ph_rest_first[4];
    uint32_t *ph_num;
    size_t n_ph_num, cap_ph_num;
    /* raw regex cues (KIND_REGEX), scanned with Vectorscan */
    char **regex;
    unsigned *regex_cue;
    /* words a phrase always spans (no gaps, optional or punctuation
       elements), so its start is found by counting back; 0 = rescan */
    uint8_t *regex_words;
    size_t n_regex, cap_regex;
    void *db;      /* hs_database_t, all phrases, no start offsets */
    void *scratch; /* hs_scratch_t */
    void **som_db; /* per phrase, compiled with start offsets */
    void *som_scratch;
    /* Finnish morphology from @fi-endings / @fi-clitics */
    char **endings;
    size_t n_endings;
    char **clitics;
    size_t n_clitics;
    char **clitic_forms; /* both vowel-harmony forms of each clitic */
    size_t *clitic_len;
    size_t n_clitic_forms;
    /* the forms ending in byte b: clitic_by_last[clitic_at[b] ..
       clitic_at[b + 1]), in the order they were listed */
    uint16_t clitic_at[257];
    uint16_t *clitic_by_last;
    /* bit wt_lead_bit(last byte, the byte before it) of every form (a
       one-byte form: with any byte before it), so that most words are
       passed over with one test */
    uint64_t clitic_tail[16];
    float weight_scale[LEX_MAX_FAMILIES];
    struct lex_spec spec;
};

void lex_init(struct lexicon *lx, const struct pf_host *h, struct pf_hctx *hctx,
              const struct lex_spec *spec);
void lex_release(struct lexicon *lx);

/*
 * Everything from the plugin's configuration: "lexicons" (files that
 * replace the shipped ones, which are DATADIR/lexicons/<shipped>, a glob),
 * "extra_lexicons" (added to them), "cache_dir" (where compiled phrases are
 * kept; "" for nowhere); then lex_finish().
 */
int lex_load_config(struct lexicon *lx, const char *shipped, char *err,
                    size_t errlen);

/* Parse one lexicon file; err gets "file:line: problem". */
int lex_load_file(struct lexicon *lx, const char *path, char *err,
                  size_t errlen);

/* After all files: compile the phrases, or load them from cache_dir (NULL
   or "": no cache). */
int lex_finish(struct lexicon *lx, const char *cache_dir, char *err,
               size_t errlen);

/*
 * Where the match of phrase id that ends at `to` in text starts (the
 * leftmost start), from that phrase's own start-tracking database. Not to
 * be called from inside a scan (it uses its own scratch space).
 */
int lex_match_start(struct lexicon *lx, unsigned id, const char *text,
                    unsigned long long to, unsigned long long *from);

/* One cue found in a message: tokens [t0, t1) of it. */
struct lex_hit {
    uint32_t cue; /* index into lx->cues */
    unsigned family;
    float weight; /* the cue's weight times its family's weight_scale */
    size_t t0, t1;
};

typedef void (*lex_hit_fn)(void *ud, const struct lex_hit *h);

/*
 * Every cue of lx in m, in no particular order: words (whole tokens, and
 * Finnish words without their clitic), prefixes, emoji, and phrases, each
 * place a phrase ends. A simple scanner for plugins that need no more
 * (the backstage plugin has its own, with evasion and compounds).
 */
void lex_scan(struct lexicon *lx, const struct pf_msg *m, lex_hit_fn fn,
              void *ud);

/*
 * The phrases (and raw regex cues) of lx in m: fn gets each match, with
 * the tokens it covers. A phrase is reported once per token it starts at.
 */
void lex_phrases(struct lexicon *lx, const struct pf_msg *m, lex_hit_fn fn,
                 void *ud);
/* Only the phrases that do not begin with a whole word (punctuation,
   prefixes, suffixes, numbers), and the regex cues: for a scanner that
   looks its words up itself (ph_starts, lex_phrase_at). */
void lex_phrases_rest(struct lexicon *lx, const struct pf_msg *m, lex_hit_fn fn,
                      void *ud);
/* lex_phrase_at past its quick tests: match phrase id at token t. */
void lex_phrase_match(struct lexicon *lx, uint32_t id, const struct pf_msg *m,
                      size_t t, lex_hit_fn fn, void *ud);
/* The hash the word tables use: the ABI's pf_word_hash() (FNV-1a; 0 is
   never a hash), so that a token is looked up with the hash the host
   computed for it, pf_msg_token_hash(). */
static inline uint32_t
lex_hash(const char *s, size_t n)
{
    return pf_word_hash(s, n);
}
/* m's token hashes (ABI 1.3), or NULL from an older host: taken once
   before a loop over the tokens, for lex_token_hash() */
static inline const uint32_t *
lex_token_hashes(const struct pf_msg *m)
{
    return PF_MSG_HAS(m, token_hash) ? m->token_hash : NULL;
}

/* pf_msg_token_hash() with th = lex_token_hashes(m) */
static inline uint32_t
lex_token_hash(const uint32_t *th, const struct pf_msg *m, size_t t)
{
    return th ? th[t]
              : pf_word_hash(m->norm + m->tokens[t].norm_off,
                             m->tokens[t].norm_len);
}

/* Try phrase id (a ph_starts entry's cue) beginning at token t. Inline,
   since most phrases tried fail the first tests: one only at the start
   of the message, or one whose second word is not the next word (between
   two words any punctuation may stand). */
static inline void
lex_phrase_at(struct lexicon *lx, uint32_t id, const struct pf_msg *m, size_t t,
              lex_hit_fn fn, void *ud)
{
    const struct ph_phrase *ph = &lx->phrases[id];
    if (ph->start && t != 0)
        return;
    if (ph->has_next) {
        size_t at = t + 1;
        for (unsigned k = 0;; k++, at++) {
            if (k == ph->next_span)
                return;
            while (at < m->n_tokens && m->tokens[at].kind == PF_TOK_PUNCT)
                at++;
            if (at >= m->n_tokens)
                return;
            uint32_t h = pf_msg_token_hash(m, at) & 255;
            if (ph->next[h >> 6] >> (h & 63) & 1)
                break;
        }
    }
    lex_phrase_match(lx, id, m, t, fn, ud);
}
/* ... of s read backwards: the hash of tables of suffixes (wtable.reverse) */
uint32_t lex_hash_rev(const char *s, size_t n);
/*
 * The hashes of w's prefixes (or, with rev, suffixes hashed backwards) of
 * each length k whose bit is set in lens, into out[k], in one pass over
 * the word: a word is looked up at every length some entry has.
 */
void lex_hash_lens(const char *w, size_t wl, uint32_t lens, int rev,
                   uint32_t out[32]);

/* Look a normalized form up; returns the first entry or NULL. */
const struct wentry *wt_find(const struct lexicon *lx, const struct wtable *t,
                             const char *s, size_t n);
/* memcmp(a, b, n) == 0 for the few bytes of a word or an ending, where
   a loop costs less than the library call */
static inline int
same_bytes(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* The slots of t for a form its bloom filter may have (wt_find_h).
   Inline, as the bloom filter: a word of the lists is looked up at every
   message that has it. */
static inline const struct wentry *
wt_probe(const struct lexicon *lx, const struct wtable *t, const char *s,
         size_t n, uint32_t h)
{
    size_t j = h & (t->n_slots - 1);
    while (t->slots[j]) {
        const struct wentry *e = &t->entries[t->slots[j] - 1];
        /* the form (NUL-terminated in keys) is the n bytes of s */
        if (e->hash == h && same_bytes(lx->keys + e->key, s, n) &&
            lx->keys[e->key + n] == '\0')
            return e;
        j = (j + 1) & (t->n_slots - 1);
    }
    return NULL;
}
/* The next entry with the same form, or NULL. */
static inline const struct wentry *
wt_next(const struct lexicon *lx, const struct wtable *t,
        const struct wentry *e)
{
    (void)lx;
    return e->next == UINT32_MAX ? NULL : &t->entries[e->next];
}

/* The bloom filter's two bits for hash h, in the word h >> 12 picks. */
static inline uint64_t
wt_bloom_bits(uint32_t h)
{
    return 1ULL << (h & 63) | 1ULL << (h >> 6 & 63);
}

/* The lead filter's bit for a form or word beginning with bytes a, b:
   letters (a-z, and the second byte of ä, ö, å) each keep a bit pair */
static inline unsigned
wt_lead_bit(char a, char b)
{
    return ((unsigned char)a & 31u) << 5 | ((unsigned char)b & 31u);
}

/* May some form of t be a prefix of w (a suffix when t->reverse)? 0 when
   none can be: the table's lead filter has no bit for w's first two
   bytes (last two). */
static inline int
wt_may_lead(const struct wtable *t, const char *w, size_t n)
{
    if (n < 2 || t->short_form)
        return 1;
    unsigned i =
        t->reverse ? wt_lead_bit(w[n - 1], w[n - 2]) : wt_lead_bit(w[0], w[1]);
    return t->lead[i >> 6] >> (i & 63) & 1;
}

/* wt_find with the form's lex_hash() already known. Inline: most lookups
   end at the bloom filter, and a call would cost more than that test. */
static inline const struct wentry *
wt_find_h(const struct lexicon *lx, const struct wtable *t, const char *s,
          size_t n, uint32_t h)
{
    uint64_t b = wt_bloom_bits(h);
    if (!t->n_slots || (t->bloom[h >> 12 & t->bloom_mask] & b) != b)
        return NULL;
    return wt_probe(lx, t, s, n, h);
}

/* The byte at s[*i], with ä, ö and å (two bytes) read as a, o and a: then
 *i is moved to the second byte. */
static inline char
lex_plain_char(const char *s, size_t n, size_t *i)
{
    if ((unsigned char)s[*i] == 0xC3 && *i + 1 < n) {
        unsigned char d = (unsigned char)s[*i + 1];
        if (d == 0xA4 || d == 0xA5 || d == 0xB6) {
            (*i)++;
            return d == 0xB6 ? 'o' : 'a';
        }
    }
    return s[*i];
}

/* s with ä, ö, å read as a, o, a and runs of one letter squeezed to one
   (idiooootti, idiotti and idiootti meet); returns the new length. */
size_t squeeze(const char *s, size_t n, char *out, size_t cap);

/* s with ä, ö, å written a, o, a; returns the new length, or 0 when s has
   none of them. */
size_t deumlaut(const char *s, size_t n, char *out, size_t cap);

/* strip_clitic() past its tail filter. */
size_t strip_clitic_forms(const struct lexicon *lx, const char *s, size_t n);

/* Strip one Finnish clitic (kin, kaan, ...) from the end; new length or n.
   Inline: the last two bytes of most words end no clitic. */
static inline size_t
strip_clitic(const struct lexicon *lx, const char *s, size_t n)
{
    if (n < 2)
        return n;
    unsigned lb = wt_lead_bit(s[n - 1], s[n - 2]);
    if (!(lx->clitic_tail[lb >> 6] >> (lb & 63) & 1))
        return n;
    return strip_clitic_forms(lx, s, n);
}

#endif
