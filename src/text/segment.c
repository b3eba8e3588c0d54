/*
 * segment.c - a message split into segments (struct pf_segment in
 * plugin.h): sentences and lines, the clauses split off at a discourse
 * marker ("btw", "lol", "tho", "mutta") or at a semicolon,
 * parenthesised, bracketed and quoted parts, and the greeting, the closing
 * and what comes after the closing. Each segment gets the cues of its own
 * tokens: whom it talks to, the author's person, the register.
 *
 * Why: real accidents are one backstage sentence inside a long, polite
 * reply. A rule that weighs the whole message lets the greeting and the
 * helpful paragraphs dilute the remark; a rule that reads segment by
 * segment does not.
 *
 * Invariants: top-level segments follow each other and cover every token
 * once; a nested segment lies inside one top-level segment (never nested
 * deeper); token_segment[t] is the innermost segment of token t. Everything
 * is one or two walks over the tokens, with the word classes of the
 * language pass (lang.c), so no word is looked up again.
 *
 * Called by the engine for every prepared message (core/engine.c).
 */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "text/text.h"

/* a message with more segments than this has the rest in its last one */
#define MAX_SEGMENTS 512

struct seg_builder {
    struct pf_msg *m;
    const uint16_t *wc;
    struct pf_segment *seg;
    size_t n, cap;
    size_t last_top; /* the last top-level segment */
    uint32_t *tok_seg;
    /* for the message's pf_addressee, counted on the way */
    uint16_t questions;
    int32_t colleague_tok, customer_tok;
};

static int
is_punct(const struct pf_msg *m, size_t t, char c)
{
    const struct pf_token *tok = &m->tokens[t];
    return tok->kind == PF_TOK_PUNCT && tok->norm_len >= 1 &&
           m->norm[tok->norm_off] == c;
}

/* a newline in the raw text between token t - 1 and token t (t > 0) */
static int
newline_before(const struct seg_builder *b, size_t t)
{
    const struct pf_msg *m = b->m;
    uint32_t from = m->tokens[t - 1].raw.off + m->tokens[t - 1].raw.len;
    for (uint32_t k = from; k < m->tokens[t].raw.off; k++)
        if (m->text[k] == '\n')
            return 1;
    return 0;
}

static int
is_space_byte(char c)
{
    return c == ' ' || c == '\n' || c == '\t';
}

/* white space (or the start, the end) right before / after token t */
static int
space_before(const struct seg_builder *b, size_t t)
{
    uint32_t o = b->m->tokens[t].raw.off;
    return o == 0 || is_space_byte(b->m->text[o - 1]);
}

static int
space_after(const struct seg_builder *b, size_t t)
{
    const struct pf_msg *m = b->m;
    uint32_t e = m->tokens[t].raw.off + m->tokens[t].raw.len;
    return e >= m->text_len || is_space_byte(m->text[e]);
}

static int
has(const struct seg_builder *b, size_t t, uint16_t cls)
{
    return t < b->m->n_tokens && (b->wc[t] & cls);
}

/* words after which a full stop does not end a sentence (PF_WC_ABBR), and
   initials */
static int
abbreviation(const struct seg_builder *b, size_t t)
{
    const struct pf_token *tok = &b->m->tokens[t];
    return tok->kind == PF_TOK_WORD &&
           (tok->norm_len == 1 || has(b, t, PF_WC_ABBR));
}

/* does a sentence end after punctuation token t? */
static int
ends_sentence(const struct seg_builder *b, size_t t)
{
    const struct pf_msg *m = b->m;
    const struct pf_token *tok = &m->tokens[t];
    const char *w = m->norm + tok->norm_off;
    int stop = 0, dot = 0;
    if (tok->kind != PF_TOK_PUNCT)
        return 0;
    for (size_t i = 0; i < tok->norm_len; i++) {
        if (w[i] == '!' || w[i] == '?')
            stop = 1;
        if (w[i] == '.')
            dot = 1;
    }
    if (tok->norm_len >= 3 && memcmp(w, "\xe2\x80\xa6", 3) == 0)
        stop = 1; /* … */
    if (stop)
        return 1;
    if (!dot)
        return 0;
    if (tok->norm_len >= 2)
        return 1; /* ... */
    if (!space_after(b, t))
        return 0; /* a dot inside something: 3.5, www.x */
    /* a date or an ordinal: "30.4. asti", "2. kerros" */
    if (t > 0 && m->tokens[t - 1].kind == PF_TOK_NUMBER &&
        t + 1 < m->n_tokens && m->tokens[t + 1].kind == PF_TOK_WORD &&
        !(m->tokens[t + 1].flags & PF_TOKF_CAPITALIZED))
        return 0;
    return !(t > 0 && abbreviation(b, t - 1));
}

/* closing punctuation that stays with the sentence it ends: ") ] " ' */
static inline int
closing(const struct seg_builder *b, size_t t)
{
    const struct pf_msg *m = b->m;
    return is_punct(m, t, ')') || is_punct(m, t, ']') ||
           (m->tokens[t].kind == PF_TOK_PUNCT && !space_before(b, t) &&
            (m->text[m->tokens[t].raw.off] == '"' ||
             m->text[m->tokens[t].raw.off] == '\'' ||
             (unsigned char)m->text[m->tokens[t].raw.off] == 0xE2));
}

static int
is_word(const struct pf_msg *m, size_t t)
{
    return m->tokens[t].kind == PF_TOK_WORD;
}

/* the next / previous word token in [lo, hi), or hi / SIZE_MAX */
static size_t
next_word(const struct pf_msg *m, size_t t, size_t hi)
{
    while (t < hi && !is_word(m, t))
        t++;
    return t;
}

/*
 * The matching ')' or ']' of an opening one at t on the same line, or
 * SIZE_MAX: not a smiley ":)" or a list number "1)", with a word inside.
 */
static size_t
match_close(const struct seg_builder *b, size_t t, char open, char close)
{
    const struct pf_msg *m = b->m;
    size_t words = 0;
    if (!space_before(b, t) && t > 0 && !is_punct(m, t - 1, '"'))
        return SIZE_MAX; /* f(x), a:(  */
    for (size_t k = t + 1; k < m->n_tokens && k < t + 80; k++) {
        if (newline_before(b, k))
            return SIZE_MAX;
        if (is_punct(m, k, open))
            return SIZE_MAX; /* no nesting */
        if (is_punct(m, k, close)) {
            if (k > 0 && (is_punct(m, k - 1, ':') || is_punct(m, k - 1, ';')))
                continue; /* a smiley inside */
            return words ? k : SIZE_MAX;
        }
        words += is_word(m, k);
    }
    return SIZE_MAX;
}

static struct pf_segment *
open_seg(struct seg_builder *b, size_t t0, unsigned kind, uint32_t parent)
{
    if (b->n >= b->cap)
        return NULL;
    if (parent == PF_SEG_NONE)
        b->last_top = b->n;
    struct pf_segment *s = &b->seg[b->n++];
    memset(s, 0, sizeof(*s));
    s->tok0 = s->tok1 = (uint32_t)t0;
    s->kind = (uint16_t)kind;
    s->parent = parent;
    return s;
}

/* a spaced dash: " - ", " – ", " — " */
static int
spaced_dash(const struct seg_builder *b, size_t t)
{
    const struct pf_msg *m = b->m;
    const struct pf_token *tok = &m->tokens[t];
    if (tok->kind != PF_TOK_PUNCT || !space_before(b, t) || !space_after(b, t))
        return 0;
    const char *w = m->text + tok->raw.off;
    return (tok->raw.len == 1 && w[0] == '-') ||
           (tok->raw.len == 3 && (memcmp(w, "\xe2\x80\x93", 3) == 0 ||
                                  memcmp(w, "\xe2\x80\x94", 3) == 0));
}

static size_t
words_between(const struct pf_msg *m, size_t a, size_t b)
{
    size_t n = 0;
    for (size_t t = a; t < b; t++)
        n += m->tokens[t].kind == PF_TOK_WORD;
    return n;
}

/*
 * Where clauses of the sentence [t0, t1) begin, written into starts (at
 * most cap); returns how many. A clause begins at a marker that opens an
 * aside (", btw ...", "lol this guy"), after a semicolon,
 * and at the comma before a clause that ends with a marker (", total
 * shitbox tho").
 */
static size_t
clause_starts(const struct seg_builder *b, size_t t0, size_t t1,
              const uint8_t *nested, size_t *starts, size_t cap)
{
    const struct pf_msg *m = b->m;
    size_t n = 0, last_comma = SIZE_MAX;
    size_t first = next_word(m, t0, t1);
    for (size_t t = t0; t < t1 && n < cap; t++) {
        if (nested[t - t0])
            continue;
        if (m->tokens[t].kind == PF_TOK_PUNCT) {
            if (is_punct(m, t, ',')) {
                last_comma = t;
                continue;
            }
            /* (a spaced dash was tried too: it cut "Let's fix this ASAP
               - does noon suit you?" into fragments that read like
               remarks, and held more innocent replies) */
            if (is_punct(m, t, ';') && t + 1 < t1 &&
                next_word(m, t + 1, t1) < t1 &&
                words_between(m, n ? starts[n - 1] : t0, t) >= 2) {
                starts[n++] = t + 1;
                last_comma = SIZE_MAX;
            }
            continue;
        }
        if (!has(b, t, PF_WC_MARKER) || t == first)
            continue;
        /* a marker at the end of the sentence (before its last punctuation)
           closes a clause: from the last comma on */
        size_t nw = next_word(m, t + 1, t1);
        if (nw >= t1) {
            if (last_comma != SIZE_MAX && last_comma + 1 < t &&
                last_comma + 1 > t0)
                starts[n++] = last_comma + 1;
            continue;
        }
        /* "but" and "mutta" open a clause only after a comma */
        if (has(b, t, PF_WC_BUT) && !(t > t0 && is_punct(m, t - 1, ',')))
            continue;
        starts[n++] = t;
        last_comma = SIZE_MAX;
    }
    return n;
}

/* a closing line: "Best regards", "Ystävällisin terveisin", "t. Minna" */
static int
signoff_words(const struct seg_builder *b, size_t t, size_t t1)
{
    const struct pf_msg *m = b->m;
    size_t w0 = next_word(m, t, t1);
    if (w0 >= t1)
        return 0;
    size_t w1 = next_word(m, w0 + 1, t1);
    if (has(b, w0, PF_WC_CLOSING1) && w1 < t1 && has(b, w1, PF_WC_CLOSING2))
        return 1;
    if (!has(b, w0, PF_WC_CLOSING))
        return 0;
    /* "Thanks," alone on its line, or "Best, Tom", not "Thanks for
       waiting, your order..." */
    return w1 >= t1 || (m->tokens[w1].flags & PF_TOKF_CAPITALIZED) ||
           is_punct(m, w0 + 1, ',') || is_punct(m, w0 + 1, '.');
}

/* a line of one to four capitalized words and nothing else: a name, a
   company */
static int
name_line(const struct pf_msg *m, size_t t0, size_t t1)
{
    size_t words = 0;
    for (size_t t = t0; t < t1; t++) {
        const struct pf_token *tok = &m->tokens[t];
        if (tok->kind == PF_TOK_PUNCT || tok->kind == PF_TOK_EMAIL ||
            tok->kind == PF_TOK_URL || tok->kind == PF_TOK_NUMBER)
            continue;
        if (tok->kind != PF_TOK_WORD || !(tok->flags & PF_TOKF_CAPITALIZED))
            return 0;
        words++;
    }
    return words >= 1 && words <= 4;
}

/* does segment si end with a question mark (its own tokens)? */
static int
question_seg(const struct seg_builder *b, uint32_t si)
{
    const struct pf_segment *s = &b->seg[si];
    for (size_t t = s->tok1; t > s->tok0; t--)
        if (b->tok_seg[t - 1] == si &&
            (b->m->tokens[t - 1].flags & PF_TOKF_QUESTION))
            return 1;
    return 0;
}

/* flags and cue counts of one segment, over its own tokens */
static void
count(struct seg_builder *b, uint32_t si)
{
    struct pf_msg *m = b->m;
    struct pf_segment *s = &b->seg[si];
    int first_word = 1;
    size_t quoted = 0;
    for (size_t t = s->tok0; t < s->tok1; t++) {
        const struct pf_token *tok = &m->tokens[t];
        uint16_t c = b->wc[t];
        if (b->tok_seg[t] != si)
            continue;
        if (tok->flags & PF_TOKF_QUESTION)
            b->questions++;
        if (tok->kind == PF_TOK_MENTION) {
            if (b->colleague_tok < 0 || (int32_t)t < b->colleague_tok)
                b->colleague_tok = (int32_t)t;
            s->colleague++;
            if (first_word)
                s->flags |= PF_SEGF_VOCATIVE;
            first_word = 0;
            continue;
        }
        if (tok->kind != PF_TOK_WORD)
            continue;
        s->words++;
        quoted += (tok->flags & PF_TOKF_QUOTED) != 0;
        if (first_word && !(tok->flags & (PF_TOKF_CAPITALIZED)) &&
            (tok->norm_len > 1 || m->text[tok->raw.off] == 'i'))
            s->flags |= PF_SEGF_LOWER_START;
        if ((c & PF_WC_SECOND) ||
            (tok->norm_len >= 6 &&
             memcmp(m->norm + tok->norm_off + tok->norm_len - 3, "nne", 3) ==
                 0))
            s->second++;
        if ((c & PF_WC_THIRD) ||
            ((c & PF_WC_PERSON) && t > 0 && (b->wc[t - 1] & PF_WC_POINTER)))
            s->third++;
        if (c & PF_WC_FIRST)
            s->first++;
        if (c & (PF_WC_INFORMAL))
            s->informal++;
        if ((tok->flags & PF_TOKF_ALLCAPS) && tok->norm_len >= 3)
            s->caps++;
        if (tok->flags & PF_TOKF_CAPITALIZED) {
            int team = 0;
            int customer = 0;
            for (size_t i = 0; i < m->n_team; i++)
                if (pf_text_names(m, t, m->team[i])) {
                    s->colleague++;
                    if (b->colleague_tok < 0 || (int32_t)t < b->colleague_tok)
                        b->colleague_tok = (int32_t)t;
                    team = 1;
                    break;
                }
            for (size_t i = 0; !team && i < m->n_customers; i++)
                if (pf_text_names(m, t, m->customers[i])) {
                    s->customer++;
                    if (b->customer_tok < 0 || (int32_t)t < b->customer_tok)
                        b->customer_tok = (int32_t)t;
                    customer = 1;
                    break;
                }
            if ((c & PF_WC_NAME) && !team && !customer &&
                !(tok->flags & PF_TOKF_ALLCAPS))
                s->names++;
            /* the host's own tokens, in its arena: flag the names */
            if (((c & PF_WC_NAME) || team) && !customer &&
                !(tok->flags & PF_TOKF_ALLCAPS))
                ((struct pf_token *)m->tokens)[t].flags |= PF_TOKF_NAME;
            /* "Jess can you", "Sanna, voitko", "Mikko:", "Ville - was it
               15 or 19?" at the start: a name and then a request, or a
               separator, or a question. A word that is not a known name
               needs a comma and a request: "Kev, can you" */
            if (first_word && team)
                s->flags |= PF_SEGF_VOCATIVE;
            else if (first_word && !customer &&
                     !(c & (PF_WC_GREETING | PF_WC_SECOND | PF_WC_FIRST |
                            PF_WC_THIRD)) &&
                     t + 1 < m->n_tokens && b->tok_seg[t + 1] == si) {
                size_t k = t + 1;
                int sep = 0;
                if (is_punct(m, k, ',') || is_punct(m, k, ':') ||
                    spaced_dash(b, k)) {
                    k++;
                    sep = 1;
                }
                int req = k < s->tok1 && is_word(m, k) &&
                          has(b, k, PF_WC_REQUEST) &&
                          !(m->tokens[k].flags & PF_TOKF_CAPITALIZED);
                if ((c & PF_WC_NAME) ? req || question_seg(b, si) : sep && req)
                    s->flags |= PF_SEGF_VOCATIVE;
            }
        }
        first_word = 0;
    }
    if (s->words && quoted == s->words)
        s->flags |= PF_SEGF_QUOTED;
    /* the last own token that is not closing punctuation */
    for (size_t t = s->tok1; t > s->tok0; t--) {
        if (b->tok_seg[t - 1] != si)
            continue;
        if (m->tokens[t - 1].flags & PF_TOKF_QUESTION)
            s->flags |= PF_SEGF_QUESTION;
        if (m->tokens[t - 1].kind != PF_TOK_PUNCT || !closing(b, t - 1))
            break;
    }
    /* a marker at either end */
    size_t w0 = next_word(m, s->tok0, s->tok1);
    if (w0 < s->tok1 && has(b, w0, PF_WC_MARKER))
        s->flags |= PF_SEGF_MARKER;
    for (size_t t = s->tok1; t > s->tok0; t--) {
        if (is_word(m, t - 1)) {
            if (has(b, t - 1, PF_WC_MARKER))
                s->flags |= PF_SEGF_MARKER;
            break;
        }
    }
}

static void
close_seg(struct seg_builder *b, struct pf_segment *s, size_t t1)
{
    const struct pf_msg *m = b->m;
    s->tok1 = (uint32_t)t1;
    if (t1 > s->tok0) {
        const struct pf_token *a = &m->tokens[s->tok0];
        const struct pf_token *z = &m->tokens[t1 - 1];
        s->raw.off = a->raw.off;
        s->raw.len = z->raw.off + z->raw.len - a->raw.off;
    }
}

/*
 * One sentence [t0, t1): its nested parts (parentheses, brackets, quoted
 * runs of three words or more), then its clauses as top-level segments.
 * line_start: the sentence begins a line.
 */
static void
sentence(struct seg_builder *b, size_t t0, size_t t1, int line_start,
         int quote_line)
{
    struct pf_msg *m = b->m;
    uint8_t nested_stack[256], *nested = nested_stack;
    size_t starts[32], ns = 0;
    size_t len = t1 - t0;
    if (len > sizeof(nested_stack))
        nested = pf_xcalloc(len, 1);
    else
        memset(nested, 0, len);
    /* nested parts, found first so clauses are not split inside them */
    struct {
        size_t a, z;
        unsigned kind;
    } parts[32];
    size_t np = 0;
    for (size_t t = t0; t < t1 && np < PF_ARRAY_LEN(parts) && !quote_line;
         t++) {
        size_t z = SIZE_MAX;
        unsigned kind = 0;
        if (m->tokens[t].kind != PF_TOK_PUNCT &&
            !(m->tokens[t].flags & PF_TOKF_QUOTED))
            continue;
        if (is_punct(m, t, '(')) {
            z = match_close(b, t, '(', ')');
            kind = PF_SEG_PAREN;
        } else if (is_punct(m, t, '[')) {
            z = match_close(b, t, '[', ']');
            kind = PF_SEG_BRACKET;
        } else if ((m->tokens[t].flags & PF_TOKF_QUOTED) && t > t0) {
            size_t e = t, words = 0;
            while (e < t1 && (m->tokens[e].flags & PF_TOKF_QUOTED)) {
                words += is_word(m, e);
                e++;
            }
            /* with its quotation marks when they are there; the quoted run
               is passed over whether it makes a part or not */
            if (words < 3 || e >= t1 || t - 1 == t0) {
                t = e;
                continue;
            }
            z = e;
            kind = PF_SEG_QUOTE;
            t = t - 1;
        }
        if (z == SIZE_MAX || z >= t1)
            continue;
        /* the whole sentence in parentheses is a sentence, not a part */
        if (t == t0 && z + 1 >= t1)
            continue;
        parts[np].a = t;
        parts[np].z = z + 1;
        parts[np].kind = kind;
        np++;
        for (size_t k = t; k <= z; k++)
            nested[k - t0] = 1;
        t = z;
    }
    if (!quote_line)
        ns = clause_starts(b, t0, t1, nested, starts, PF_ARRAY_LEN(starts));
    size_t a = t0, pi = 0;
    for (size_t c = 0; c <= ns; c++) {
        size_t z = c < ns ? starts[c] : t1;
        if (z <= a)
            continue;
        struct pf_segment *s = open_seg(b, a,
                                        quote_line ? PF_SEG_QUOTE
                                        : c == 0   ? PF_SEG_SENTENCE
                                                   : PF_SEG_CLAUSE,
                                        PF_SEG_NONE);
        if (!s) {
            /* out of segments: the rest joins the last top-level one */
            close_seg(b, &b->seg[b->last_top], t1);
            for (size_t t = a; t < t1; t++)
                b->tok_seg[t] = (uint32_t)b->last_top;
            break;
        }
        uint32_t si = (uint32_t)(b->n - 1);
        if (c == 0 && line_start)
            s->flags |= PF_SEGF_LINE_START;
        for (size_t t = a; t < z; t++)
            b->tok_seg[t] = si;
        close_seg(b, s, z);
        /* the nested parts that start in this clause */
        for (; pi < np && parts[pi].a < z; pi++) {
            struct pf_segment *p = open_seg(b, parts[pi].a, parts[pi].kind, si);
            if (!p)
                break;
            uint32_t pj = (uint32_t)(b->n - 1);
            size_t pz = parts[pi].z < z ? parts[pi].z : z;
            for (size_t t = parts[pi].a; t < pz; t++)
                b->tok_seg[t] = pj;
            close_seg(b, p, pz);
        }
        a = z;
    }
    if (nested != nested_stack)
        free(nested);
}

void
pf_segments_read(struct pf_msg *m, const uint16_t *wc, struct pf_arena *a,
                 struct pf_addressee *ad)
{
    struct seg_builder b;
    size_t nt = m->n_tokens;
    memset(&b, 0, sizeof(b));
    b.m = m;
    b.wc = wc;
    b.colleague_tok = b.customer_tok = -1;
    memset(ad, 0, sizeof(*ad));
    ad->size = sizeof(*ad);
    ad->colleague_tok = ad->customer_tok = -1;
    /* at most one top-level per token, and one nested per two tokens */
    size_t cap = nt + nt / 2 + 1;
    if (cap > MAX_SEGMENTS)
        cap = MAX_SEGMENTS;
    b.cap = cap;
    b.seg = pf_arena_alloc(a, cap * sizeof(*b.seg));
    b.tok_seg = pf_arena_alloc(a, (nt ? nt : 1) * sizeof(*b.tok_seg));
    m->segments = b.seg;
    m->segment_size = sizeof(struct pf_segment);
    m->token_segment = b.tok_seg;
    m->n_segments = 0;
    if (nt == 0)
        return;
    /* sentences: at a line break, after . ! ? … (not after an
       abbreviation), and at a capitalized word after an emoji */
    size_t t0 = 0;
    int line_start = 1;
    int depth = 0; /* inside parentheses: no sentence break */
    /* the first line break after the token before t (newline_before(),
       with one memchr() per line) */
    const char *nl_at = memchr(m->text, '\n', m->text_len);
    for (size_t t = 0; t < nt; t++) {
        int brk = 0, nl = 0;
        unsigned prev = t ? m->tokens[t - 1].kind : PF_TOK_WORD;
        const struct pf_token *tok = &m->tokens[t];
        int nl_before = nl_at && nl_at < m->text + tok->raw.off;
        size_t end = (size_t)tok->raw.off + tok->raw.len;
        if (nl_at && nl_at < m->text + end)
            nl_at = memchr(m->text + end, '\n', m->text_len - end);
        if (t > t0 && nl_before)
            brk = nl = 1;
        /* the common case first: after a word, nothing ends */
        else if (t > t0 && depth == 0 &&
                 (prev == PF_TOK_PUNCT || prev == PF_TOK_EMOJI) &&
                 m->tokens[t].kind != PF_TOK_EMOJI && !closing(&b, t) &&
                 (ends_sentence(&b, t - 1) ||
                  /* "(Don't tell him yet.) The fix..." */
                  (t >= 2 && is_punct(m, t - 1, ')') &&
                   (is_punct(m, t - 2, '.') || is_punct(m, t - 2, '!') ||
                    is_punct(m, t - 2, '?')) &&
                   (m->tokens[t].flags & PF_TOKF_CAPITALIZED)) ||
                  (m->tokens[t - 1].kind == PF_TOK_EMOJI &&
                   (m->tokens[t].flags & PF_TOKF_SENT_START))))
            brk = 1;
        if (brk) {
            int ql = is_punct(m, t0, '>') && line_start;
            sentence(&b, t0, t, line_start, ql);
            t0 = t;
            line_start = nl;
            depth = 0;
        }
        if (m->tokens[t].kind != PF_TOK_PUNCT)
            continue;
        if (is_punct(m, t, '('))
            depth += match_close(&b, t, '(', ')') != SIZE_MAX;
        else if (is_punct(m, t, ')') && depth > 0)
            depth--;
    }
    sentence(&b, t0, nt, line_start, is_punct(m, t0, '>') && line_start);
    m->n_segments = b.n;

    /* cues, then the message-level flags; the message's addressee is the
       sum of its segments' */
    for (uint32_t i = 0; i < b.n; i++) {
        const struct pf_segment *g = &b.seg[i];
        count(&b, i);
        ad->second += g->second;
        ad->third += g->third;
        ad->colleague += g->colleague;
        ad->customer_name += g->customer;
    }
    ad->question = b.questions;
    ad->colleague_tok = b.colleague_tok;
    ad->customer_tok = b.customer_tok;
    {
        size_t w0 = 0;
        while (w0 < nt && m->tokens[w0].kind != PF_TOK_WORD)
            w0++;
        ad->greeting = w0 < nt && has(&b, w0, PF_WC_GREETING);
    }
    size_t first = SIZE_MAX, last = SIZE_MAX;
    for (size_t i = 0; i < b.n; i++) {
        if (b.seg[i].parent != PF_SEG_NONE)
            continue;
        if (first == SIZE_MAX)
            first = i;
        last = i;
    }
    b.seg[first].flags |= PF_SEGF_FIRST;
    b.seg[last].flags |= PF_SEGF_LAST;
    {
        size_t w0 = next_word(m, b.seg[first].tok0, b.seg[first].tok1);
        if (w0 < b.seg[first].tok1 && has(&b, w0, PF_WC_GREETING))
            b.seg[first].flags |= PF_SEGF_GREETING;
    }
    /* the closing: a sign-off phrase that begins a line in the second half
       of the message, and the name lines right after it; what follows is
       a trailing aside */
    int signed_off = 0;
    for (size_t i = 0; i < b.n; i++) {
        struct pf_segment *s = &b.seg[i];
        if (s->parent != PF_SEG_NONE) {
            if (signed_off)
                s->flags |= PF_SEGF_AFTER_SIGNOFF;
            continue;
        }
        if (!signed_off) {
            if ((s->flags & PF_SEGF_LINE_START) && i != first &&
                s->raw.off * 2 >= m->text_len / 2 &&
                signoff_words(&b, s->tok0, s->tok1)) {
                s->flags |= PF_SEGF_SIGNOFF;
                signed_off = 1;
            }
            continue;
        }
        if (signed_off == 1 && (s->flags & PF_SEGF_LINE_START) &&
            name_line(m, s->tok0, s->tok1))
            s->flags |= PF_SEGF_SIGNOFF;
        else {
            signed_off = 2;
            s->flags |= PF_SEGF_AFTER_SIGNOFF;
        }
    }
}

const char *
pf_segment_kind_name(unsigned kind)
{
    static const char *const names[] = {"sentence", "clause", "paren",
                                        "bracket", "quote"};
    return kind < PF_ARRAY_LEN(names) ? names[kind] : "?";
}
