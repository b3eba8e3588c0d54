/*
 * check_text.c - the text layer: UTF-8 validation, normalization, folding,
 * tokens and their spans, quotes, the language guess, and the invariants
 * every plugin relies on, tried on random input.
 */
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "pokerface/plugin.h"
#include "testutil.h"
#include "text/text.h"
#include "text/utf8.h"

static struct pf_arena arena;

static void
setup(void)
{
    pf_arena_init(&arena, 0);
}

static void
teardown(void)
{
    pf_arena_release(&arena);
}

static struct pf_text
prep(const char *s)
{
    struct pf_text t;
    char err[128];
    int rc = pf_text_prepare(&t, &arena, s, strlen(s), err, sizeof(err));
    ck_assert_msg(rc == 0, "prepare '%s': %s", s, err);
    return t;
}

/* the normalized form of token i */
static char *
tok_norm(const struct pf_text *t, size_t i)
{
    static char buf[256];
    const struct pf_token *k = &t->tokens[i];
    snprintf(buf, sizeof(buf), "%.*s", (int)k->norm_len, t->norm + k->norm_off);
    return buf;
}

/* the raw text of token i */
static char *
tok_raw(const struct pf_text *t, size_t i)
{
    static char buf[256];
    const struct pf_token *k = &t->tokens[i];
    snprintf(buf, sizeof(buf), "%.*s", (int)k->raw.len, t->text + k->raw.off);
    return buf;
}

/* index of the first token whose norm is w, or -1 */
static int
find_tok(const struct pf_text *t, const char *w)
{
    for (size_t i = 0; i < t->n_tokens; i++)
        if (strcmp(tok_norm(t, i), w) == 0)
            return (int)i;
    return -1;
}

START_TEST(utf8_validation)
{
    size_t bad;
    ck_assert(pf_utf8_valid("plain ascii text", 16, &bad));
    ck_assert(pf_utf8_valid("ääliö 😂 ｉ", strlen("ääliö 😂 ｉ"), &bad));
    ck_assert(!pf_utf8_valid("ab\xff", 3, &bad));
    ck_assert_uint_eq(bad, 2);
    ck_assert(!pf_utf8_valid("\xc0\xaf", 2, &bad)); /* overlong '/' */
    ck_assert_uint_eq(bad, 0);
    ck_assert(!pf_utf8_valid("x\xed\xa0\x80", 4, &bad)); /* surrogate */
    ck_assert_uint_eq(bad, 1);
    ck_assert(!pf_utf8_valid("\xf4\x90\x80\x80", 4, &bad)); /* > U+10FFFF */
    ck_assert(!pf_utf8_valid("abc\xe2\x82", 5, &bad));      /* truncated */
    ck_assert_uint_eq(bad, 3);
    ck_assert(!pf_utf8_valid("a\0b", 3, &bad)); /* NUL */
    ck_assert_uint_eq(bad, 1);
    /* the fast path must not skip a bad byte inside an 8-byte block */
    ck_assert(!pf_utf8_valid("abcdefg\x80hijklmno", 16, &bad));
    ck_assert_uint_eq(bad, 7);
    /* nor, in mixed text, one after the ASCII bytes it skips, or a NUL
       next to a multi-byte character: every place of the bad byte */
    static const char mixed[] = "ab\xc3\xa4"
                                "cdefgh\xc3\xb6"
                                "ijklmnopqrst";
    size_t ml = sizeof(mixed) - 1;
    for (size_t at = 0; at < ml; at++) {
        char buf[sizeof(mixed)];
        if ((mixed[at] & 0xC0) == 0x80)
            continue;
        for (int k = 0; k < 2; k++) {
            memcpy(buf, mixed, sizeof(mixed));
            buf[at] = k ? '\0' : '\xff';
            ck_assert(!pf_utf8_valid(buf, ml, &bad));
            ck_assert_uint_eq(bad, at);
        }
    }
    ck_assert(pf_utf8_valid(mixed, ml, &bad));
}
END_TEST

START_TEST(invalid_utf8_is_refused)
{
    struct pf_text t;
    char err[128];
    int rc = pf_text_prepare(&t, &arena, "moi \xff\xfe", 6, err, sizeof(err));
    ck_assert_int_eq(rc, PF_EINVAL);
    ck_assert_msg(strstr(err, "invalid UTF-8") && strstr(err, "offset 4"), "%s",
                  err);
    rc = pf_text_prepare(&t, &arena, "x\xe2\x82", 3, err, sizeof(err));
    ck_assert_int_eq(rc, PF_EINVAL);
    ck_assert_msg(strstr(err, "truncated"), "%s", err);
}
END_TEST

START_TEST(casefold_and_compatibility)
{
    struct pf_text t = prep("ÄÄLIÖ Idiootti ｉｄｉｏｔ 𝐢𝐝𝐢𝐨𝐭 ⓘⓓⓘⓞⓣ Straße");
    ck_assert_str_eq(t.norm, "ääliö idiootti idiot idiot idiot strasse");
    /* a + combining diaeresis composes to ä */
    t = prep("a\xcc\x88\xc3\xa4li\xc3\xb6");
    ck_assert_str_eq(t.norm, "ääliö");
    ck_assert_uint_eq(t.n_tokens, 1);
}
END_TEST

START_TEST(invisible_characters_dropped)
{
    /* zero-width space, soft hyphen, word joiner, BOM, braille blank */
    struct pf_text t = prep("id\u200biot id\u00adi\u2060ot \ufeffidiot "
                            "i\u2800diot");
    ck_assert_str_eq(t.norm, "idiot idiot idiot idiot");
    ck_assert_uint_eq(t.n_tokens, 4);
    /* the span still covers the invisible character the author typed */
    ck_assert_str_eq(tok_raw(&t, 0), "id\u200biot");
}
END_TEST

START_TEST(lookalikes_folded_in_latin_words)
{
    /* Cyrillic і, о and а inside Latin words */
    struct pf_text t = prep("іdіоt cl\u043ewn");
    ck_assert_str_eq(t.norm, "idiot clown");
    ck_assert(t.tokens[0].flags & PF_TOKF_LOOKALIKE);
    /* genuine Cyrillic text is left alone */
    t = prep("привет как дела");
    ck_assert_str_eq(t.norm, "привет как дела");
    ck_assert(!(t.tokens[0].flags & PF_TOKF_LOOKALIKE));
}
END_TEST

START_TEST(small_capitals_folded)
{
    /* ɪᴅɪᴏᴛ: Latin small capitals, which NFKC leaves alone */
    struct pf_text t =
        prep("the \xc9\xaa\xe1\xb4\x85\xc9\xaa\xe1\xb4\x8f\xe1\xb4\x9b "
             "in \xca\x99\xc9\xaa\xca\x9f\xca\x9f\xc9\xaa\xc9\xb4\xc9\xa2");
    ck_assert_str_eq(t.norm, "the idiot in billing");
    ck_assert_uint_eq(t.n_tokens, 4);
    ck_assert_str_eq(tok_raw(&t, 1),
                     "\xc9\xaa\xe1\xb4\x85\xc9\xaa\xe1\xb4\x8f\xe1\xb4\x9b");
}
END_TEST

START_TEST(leetspeak_in_mixed_words)
{
    struct pf_text t = prep("1d10tti m0r0n ID10T $h!t ääl1ö p4sk4");
    ck_assert_str_eq(t.norm, "idiotti moron idiot shit ääliö paska");
    for (size_t i = 0; i < t.n_tokens; i++)
        ck_assert_msg(t.tokens[i].flags & PF_TOKF_LEET, "%s", tok_raw(&t, i));
    /* codes, quantities and prices are not leetspeak */
    t = prep("4G mp3 24h B2B salasana123 6,90 14:02 TG-4410 2019");
    ck_assert_str_eq(t.norm, "4g mp3 24h b2b salasana123 6,90 14:02 "
                             "tg-4410 2019");
    for (size_t i = 0; i < t.n_tokens; i++)
        ck_assert_msg(!(t.tokens[i].flags & PF_TOKF_LEET), "%s",
                      tok_raw(&t, i));
    ck_assert_int_eq(t.tokens[find_tok(&t, "6,90")].kind, PF_TOK_NUMBER);
    ck_assert_int_eq(t.tokens[find_tok(&t, "14:02")].kind, PF_TOK_NUMBER);
}
END_TEST

START_TEST(spaced_letters_joined)
{
    struct pf_text t = prep("toi on ä ä l i ö ja i.d.i.o.t ja d-u-m-b");
    int a = find_tok(&t, "ääliö"), b = find_tok(&t, "idiot"),
        c = find_tok(&t, "dumb");
    ck_assert_int_ge(a, 0);
    ck_assert_int_ge(b, 0);
    ck_assert_int_ge(c, 0);
    ck_assert(t.tokens[a].flags & PF_TOKF_JOINED);
    ck_assert_str_eq(tok_raw(&t, (size_t)a), "ä ä l i ö");
    ck_assert_str_eq(tok_raw(&t, (size_t)b), "i.d.i.o.t");
    /* two single letters are not a word, and "e.g." stays */
    t = prep("a b testi e.g. x");
    ck_assert_int_lt(find_tok(&t, "ab"), 0);
    ck_assert_int_lt(find_tok(&t, "eg"), 0);
}
END_TEST

START_TEST(masked_letters)
{
    struct pf_text t = prep("k*sipää soitti, f**k");
    ck_assert_str_eq(tok_norm(&t, 0), "k*sipää");
    ck_assert(t.tokens[0].flags & PF_TOKF_MASKED);
    ck_assert_str_eq(tok_raw(&t, 3), "f**k");
    /* a footnote star is not a mask */
    t = prep("hinta* alkaen");
    ck_assert_str_eq(tok_norm(&t, 0), "hinta");
}
END_TEST

START_TEST(token_kinds)
{
    struct pf_text t = prep("@Heidi katso https://example.com/a?b=1. "
                            "mail a.b@c.fi 😂👍 !!! 12,50");
    ck_assert_int_eq(t.tokens[0].kind, PF_TOK_MENTION);
    ck_assert_str_eq(tok_raw(&t, 0), "@Heidi");
    int u = find_tok(&t, "https://example.com/a?b=1");
    ck_assert_int_ge(u, 0);
    ck_assert_int_eq(t.tokens[u].kind, PF_TOK_URL);
    int e = find_tok(&t, "a.b@c.fi");
    ck_assert_int_ge(e, 0);
    ck_assert_int_eq(t.tokens[e].kind, PF_TOK_EMAIL);
    int em = find_tok(&t, "😂");
    ck_assert_int_ge(em, 0);
    ck_assert_int_eq(t.tokens[em].kind, PF_TOK_EMOJI);
    ck_assert_int_eq(t.tokens[em + 1].kind, PF_TOK_EMOJI);
    int p = find_tok(&t, "!!!");
    ck_assert_int_ge(p, 0);
    ck_assert_int_eq(t.tokens[p].kind, PF_TOK_PUNCT);
}
END_TEST

START_TEST(emoji_next_to_letters_gets_a_space)
{
    struct pf_text t = prep("kiitos😊moi");
    ck_assert_str_eq(t.norm, "kiitos 😊 moi");
    ck_assert_uint_eq(t.n_tokens, 3);
    ck_assert_str_eq(tok_raw(&t, 1), "😊");
}
END_TEST

START_TEST(quotes_are_flagged)
{
    struct pf_text t = prep("You said 'a total clown' and \"more\", "
                            "don't worry; ”ihan pelle”");
    int c = find_tok(&t, "clown"), m = find_tok(&t, "more"),
        d = find_tok(&t, "don't"), p = find_tok(&t, "pelle"),
        s = find_tok(&t, "said");
    ck_assert(t.tokens[c].flags & PF_TOKF_QUOTED);
    ck_assert(t.tokens[m].flags & PF_TOKF_QUOTED);
    ck_assert(t.tokens[p].flags & PF_TOKF_QUOTED);
    ck_assert(!(t.tokens[d].flags & PF_TOKF_QUOTED));
    ck_assert(!(t.tokens[s].flags & PF_TOKF_QUOTED));
    /* an apostrophe inside a word is not a quote */
    ck_assert_str_eq(tok_norm(&t, (size_t)d), "don't");
    /* an unclosed quote marks nothing */
    t = prep("it's 'open and never closed");
    for (size_t i = 0; i < t.n_tokens; i++)
        ck_assert(!(t.tokens[i].flags & PF_TOKF_QUOTED));
}
END_TEST

START_TEST(case_and_sentence_flags)
{
    struct pf_text t = prep("Hi Mr Cockburn. THANKS a lot? yes");
    ck_assert(t.tokens[0].flags & PF_TOKF_SENT_START);
    ck_assert(t.tokens[2].flags & PF_TOKF_CAPITALIZED);
    ck_assert(!(t.tokens[2].flags & PF_TOKF_SENT_START));
    int th = find_tok(&t, "thanks");
    ck_assert(t.tokens[th].flags & PF_TOKF_ALLCAPS);
    ck_assert(t.tokens[th].flags & PF_TOKF_SENT_START);
    int q = find_tok(&t, "?");
    ck_assert(t.tokens[q].flags & PF_TOKF_QUESTION);
    ck_assert(t.tokens[q + 1].flags & PF_TOKF_SENT_START);
}
END_TEST

START_TEST(spans_point_at_raw_text)
{
    const char *s = "  ＩＤＩＯＴ  and ÄÄLIÖ\u200b!";
    struct pf_text t = prep(s);
    ck_assert_str_eq(tok_raw(&t, 0), "ＩＤＩＯＴ");
    ck_assert_str_eq(tok_norm(&t, 0), "idiot");
    struct pf_msg m;
    memset(&m, 0, sizeof(m));
    m.text = t.text;
    m.text_len = t.text_len;
    m.norm = t.norm;
    m.norm_len = t.norm_len;
    m.norm_map = t.norm_map;
    /* the helper plugins use: norm range back to raw bytes */
    const char *at = strstr(t.norm, "ääliö");
    struct pf_span sp =
        pf_msg_raw_span(&m, (size_t)(at - t.norm), strlen("ääliö"));
    /* starts at the word as typed; may take the invisible character after
       it along, never the "!" */
    ck_assert_uint_ge(sp.len, strlen("ÄÄLIÖ"));
    ck_assert_int_eq(memcmp(s + sp.off, "ÄÄLIÖ", strlen("ÄÄLIÖ")), 0);
    ck_assert_uint_le(sp.off + sp.len, strlen(s) - 1);
    /* half of an expansion (the first s of ß -> ss) maps to the whole ß */
    t = prep("Straße");
    m.text = t.text;
    m.text_len = t.text_len;
    m.norm = t.norm;
    m.norm_len = t.norm_len;
    m.norm_map = t.norm_map;
    sp = pf_msg_raw_span(&m, 4, 1);
    ck_assert_uint_eq(sp.off, 4);
    ck_assert_uint_eq(sp.len, 2);
}
END_TEST

START_TEST(whitespace_collapsed)
{
    struct pf_text t = prep("  moi\t\t  hei \n\n rivi  ");
    ck_assert_str_eq(t.norm, "moi hei\nrivi");
    t = prep("");
    ck_assert_str_eq(t.norm, "");
    ck_assert_uint_eq(t.n_tokens, 0);
    ck_assert_uint_eq(t.norm_map[0], 0);
}
END_TEST

START_TEST(language_guess)
{
    ck_assert_str_eq(prep("Kiitos, tilaus on nyt matkalla ja se on perillä "
                          "huomenna")
                         .lang,
                     "fi");
    ck_assert_str_eq(prep("Thanks, your order is on its way and will arrive "
                          "tomorrow")
                         .lang,
                     "en");
    ck_assert_str_eq(prep("tää queue on ihan hirvee today and the tickets "
                          "are everywhere")
                         .lang,
                     "mixed");
    ck_assert_str_eq(prep("12345 !!!").lang, "und");
    /* no function word: the shape of the words decides */
    ck_assert_str_eq(
        prep("Kalle, voisitko tarkistaa sarjanumeron laitteen pohjasta?").lang,
        "fi");
    ck_assert_str_eq(
        prep("Checking the shipping label with the warehouse").lang, "en");
}
END_TEST

/* up to max_parts pieces drawn from pieces[0..np) joined into buf (cap
   bytes, NUL-terminated); returns the length */
static size_t
join_pieces(unsigned *seed, const char *const *pieces, size_t np, int max_parts,
            char *buf, size_t cap)
{
    size_t n = 0;
    int parts = (int)(rand_r(seed) % (unsigned)max_parts);
    for (int i = 0; i < parts; i++) {
        const char *p = pieces[rand_r(seed) % np];
        size_t l = strlen(p);
        if (n + l >= cap)
            break;
        memcpy(buf + n, p, l);
        n += l;
    }
    buf[n] = '\0';
    return n;
}

/* Random input: the invariants every plugin relies on. */
START_TEST(invariants_on_random_text)
{
    static const char *const pieces[] = {
        "a", "Ä",        "ö",  " ",  "\n",     "1",      "0",         "$", "!",
        "@", "*",        "'",  "\"", "”",      "’",      ".",         "-", ",",
        "😂", "👍🏽", "ｉ", "і",  "\u200b", "\u00ad", "a\xcc\x88", "ß", "ﬁ",
        "x", "http://",  "🇫🇮", "  ", "?",      "(",      "<-",
    };
    unsigned seed = 12345;
    for (int round = 0; round < 3000; round++) {
        char buf[512];
        size_t n = join_pieces(&seed, pieces, PF_ARRAY_LEN(pieces), 40, buf,
                               sizeof(buf));
        struct pf_text t;
        char err[128];
        ck_assert_int_eq(pf_text_prepare(&t, &arena, buf, n, err, sizeof(err)),
                         0);
        size_t bad;
        ck_assert_msg(pf_utf8_valid(t.norm, t.norm_len, &bad),
                      "norm not UTF-8 for '%s'", buf);
        ck_assert_uint_eq(t.norm_map[t.norm_len], n);
        for (size_t i = 0; i < t.norm_len; i++) {
            ck_assert(t.norm_map[i] <= t.norm_map[i + 1]);
            ck_assert((buf[t.norm_map[i]] & 0xC0) != 0x80);
        }
        if (t.norm_len) {
            ck_assert(t.norm[0] != ' ' && t.norm[0] != '\n');
            ck_assert(t.norm[t.norm_len - 1] != ' ');
        }
        for (size_t i = 0; i < t.n_tokens; i++) {
            const struct pf_token *k = &t.tokens[i];
            ck_assert(k->raw.off + k->raw.len <= n);
            ck_assert(k->raw.len > 0);
            ck_assert((buf[k->raw.off] & 0xC0) != 0x80);
            ck_assert(k->raw.off + k->raw.len == n ||
                      (buf[k->raw.off + k->raw.len] & 0xC0) != 0x80);
            ck_assert(k->norm_off + k->norm_len <= t.norm_len);
            if (i > 0)
                ck_assert(k->raw.off >= t.tokens[i - 1].raw.off);
            ck_assert_uint_eq(t.token_hash[i],
                              pf_word_hash(t.norm + k->norm_off, k->norm_len));
        }
        pf_arena_reset(&arena);
    }
}
END_TEST

START_TEST(token_hash_is_the_word_hash)
{
    /* the ABI fixes the function: 32-bit FNV-1a, 0 read as 1 */
    ck_assert_uint_eq(pf_word_hash("", 0), 2166136261u);
    ck_assert_uint_eq(pf_word_hash("a", 1), 0xe40c292cu);
    ck_assert_uint_eq(pf_word_hash("foobar", 6), 0xbf9cf968u);
    struct pf_text t = prep("Hei ID10TTI, (ääliö) 👍 https://x.fi/a?b");
    for (size_t i = 0; i < t.n_tokens; i++) {
        const struct pf_token *k = &t.tokens[i];
        ck_assert_uint_eq(t.token_hash[i],
                          pf_word_hash(t.norm + k->norm_off, k->norm_len));
    }
    /* of the folded word, not of what was typed */
    int i = find_tok(&t, "idiotti");
    ck_assert_int_ge(i, 0);
    ck_assert_uint_eq(t.token_hash[i], pf_word_hash("idiotti", 7));
    /* a plugin reads it through pf_msg, or hashes itself on an older
       host */
    struct pf_msg m;
    memset(&m, 0, sizeof(m));
    m.size = sizeof(m);
    m.norm = t.norm;
    m.tokens = t.tokens;
    m.n_tokens = t.n_tokens;
    m.token_hash = t.token_hash;
    ck_assert_uint_eq(pf_msg_token_hash(&m, (size_t)i),
                      pf_word_hash("idiotti", 7));
    m.token_hash = NULL;
    ck_assert_uint_eq(pf_msg_token_hash(&m, (size_t)i),
                      pf_word_hash("idiotti", 7));
    m.token_hash = t.token_hash;
    m.size = (uint32_t)offsetof(struct pf_msg, token_hash); /* a 1.2 host */
    ck_assert_uint_eq(pf_msg_token_hash(&m, (size_t)i),
                      pf_word_hash("idiotti", 7));
}
END_TEST

/* everything pf_text_prepare() gives, the same with and without the fast
   path for text in plain letters */
static void
assert_same_as_stages(const char *s, size_t n)
{
    struct pf_text f, g;
    char ef[128] = "", eg[128] = "";
    int rf = pf_text_prepare(&f, &arena, s, n, ef, sizeof(ef));
    int rg = pf_text_prepare_stages(&g, &arena, s, n, eg, sizeof(eg));
    ck_assert_int_eq(rf, rg);
    ck_assert_str_eq(ef, eg);
    if (rf)
        return;
    ck_assert_msg(f.norm_len == g.norm_len &&
                      memcmp(f.norm, g.norm, f.norm_len + 1) == 0,
                  "norm '%s' vs '%s' for '%s'", f.norm, g.norm, s);
    ck_assert_msg(memcmp(f.norm_map, g.norm_map,
                         (f.norm_len + 1) * sizeof(*f.norm_map)) == 0,
                  "norm_map differs for '%s'", s);
    ck_assert_msg(f.n_tokens == g.n_tokens, "%zu vs %zu tokens for '%s'",
                  f.n_tokens, g.n_tokens, s);
    for (size_t i = 0; i < f.n_tokens; i++) {
        const struct pf_token *a = &f.tokens[i], *b = &g.tokens[i];
        ck_assert_msg(a->raw.off == b->raw.off && a->raw.len == b->raw.len &&
                          a->norm_off == b->norm_off &&
                          a->norm_len == b->norm_len && a->kind == b->kind &&
                          a->flags == b->flags,
                      "token %zu differs for '%s': kind %u/%u flags %x/%x", i,
                      s, a->kind, b->kind, a->flags, b->flags);
        ck_assert_uint_eq(f.token_hash[i], g.token_hash[i]);
        ck_assert_uint_eq(f.wclass[i], g.wclass[i]);
    }
    ck_assert_str_eq(f.lang, g.lang);
    ck_assert_uint_eq(f.bidi_off, g.bidi_off);
}

START_TEST(fast_path_is_the_stages)
{
    static const char *const fixed[] = {
        "",
        "Hello world",
        "Thanks! We'll fix it today.",
        "  leading and trailing  \n",
        "a \n b\n\n c",
        "Hyvää päivää, ÄITI! Öljyä?",
        "don't 'quote' it",
        "rock'n'roll isn't",
        "he said \"no\" and 'yes' (twice), 'then'",
        "www.example.com is down",
        "Www. no",
        "see http://x or https://y",
        "WWW.x",
        "a Http://y",
        "a HTTPS://z",
        "httpx://a http:/b www http: https wwww.c ww.d xwww.e ahttp://f",
        "www'.g http'://h",
        "sh!t and wow!nice",
        "hi!!there 5!5",
        "i d i o t",
        "I said a word",
        "e.g. this",
        "so... what?! (really) - yes; no: maybe",
        "ÅÄÖ åäö",
        "it's'",
        "'tis",
        "pizzas' worth",
        "6,90 e 14:02 15.3.2024 1.2. 5..6 12a mp3 cl0wn 3'",
        "100% & more + less <- [x] {y} a/b c_d #tag ^ ~ = > \\",
        "Thanks😄 Great👍🏽 ok 😂😂",
        "'😄' \"a\"😊 5😄 !😄",
        "A\n😄 🇫🇮 👨‍👩‍👧",
        "😄Hi 😄 hi 😄. 😄I",
        "🏽 a🏽 ☀️ ❤️ 😄️",
        "5€ – 10 € → ok—fine •x ☀ ✨Hi ❄️❄️ a☀b '☀' "
        "'–' "
        "\"€\"",
        "3rd 90s 2FA 4G 21ST 5ä 1diot 12.3rd 3rd's 3rd2 5t 6 5 4k 1:n 3rd!x",
        "x… ’q’ “y” ™ ‰ ′ a\xe2\x83\x9d x\xe2\x80\x8dy \xe2\x80\xae"
        "ab ––",
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(fixed); i++)
        assert_same_as_stages(fixed[i], strlen(fixed[i]));
    /* the last 16: characters the fast path leaves to the stages */
    /* clang-format off */
    static const char *const pieces[] = {
        "a",     "b",       "w",   "W",  "x",  "Q",        "ä",     "ö",
        "å",     "Ä",       "Ö",   "Å",  " ",  " ",        " ",     "\n",
        ",",     ".",       "?",   ";",  ":",  "-",        "(",     ")",
        "!",     "'",       "\"",  "i ", "I ", "OK",       "hello", "1",
        "2",     "0",       "/",   "%",  "<",  "+",        "_",     "www.",
        "Don't", "http://", "...", "!!", "😄",  "👍🏽", "🇫🇮",    "😊",
        "3rd",   "90s",     "2FA", "4G", "5ä", "21st",     "1d",    "7",
        "€",     "–",       "—",   "→",  "☀",  "✨",        "❄",     "•",
        "‰",     "†",       "↑",   "☕",  "✅",  "⚠",        "★",     "⌘",
        "@",     "é",       "\t",  "*",  "$",  "`",        "😂",     "a\xcc\x88",
        "…",     "’",       "“",   "™",  "\xe2\x83\x9d", "\xe2\x80\x8d",
        "\xe2\x80\xae", "\xef\xb8\x8f",
    };
    /* clang-format on */
    unsigned seed = 4242;
    for (int round = 0; round < 20000; round++) {
        char buf[256];
        /* mostly the fast path's own characters */
        size_t np = rand_r(&seed) % 4 ? PF_ARRAY_LEN(pieces) - 16
                                      : PF_ARRAY_LEN(pieces);
        size_t n = join_pieces(&seed, pieces, np, 30, buf, sizeof(buf));
        assert_same_as_stages(buf, n);
        pf_arena_reset(&arena);
    }
}
END_TEST

START_TEST(large_input)
{
    size_t n = 1000000;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        big[i] = "ab cdä"[i % 7];
    /* keep UTF-8 valid: the cycle is 7 bytes, cut on a boundary */
    n -= n % 7;
    big[n] = '\0';
    struct pf_text t;
    char err[128];
    ck_assert_int_eq(pf_text_prepare(&t, &arena, big, n, err, sizeof(err)), 0);
    /* "ab cdä" repeated without a space: two words per cycle at first,
       then "cdäab" joins each cycle to the next */
    ck_assert_uint_eq(t.n_tokens, n / 7 + 1);
    ck_assert_uint_eq(t.norm_map[t.norm_len], n);
    free(big);
}
END_TEST

Suite *
suite_text(void)
{
    Suite *s = suite_create("text");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, utf8_validation);
    tcase_add_test(tc, invalid_utf8_is_refused);
    tcase_add_test(tc, casefold_and_compatibility);
    tcase_add_test(tc, invisible_characters_dropped);
    tcase_add_test(tc, lookalikes_folded_in_latin_words);
    tcase_add_test(tc, small_capitals_folded);
    tcase_add_test(tc, leetspeak_in_mixed_words);
    tcase_add_test(tc, spaced_letters_joined);
    tcase_add_test(tc, masked_letters);
    tcase_add_test(tc, token_kinds);
    tcase_add_test(tc, emoji_next_to_letters_gets_a_space);
    tcase_add_test(tc, quotes_are_flagged);
    tcase_add_test(tc, case_and_sentence_flags);
    tcase_add_test(tc, spans_point_at_raw_text);
    tcase_add_test(tc, whitespace_collapsed);
    tcase_add_test(tc, language_guess);
    tcase_add_test(tc, invariants_on_random_text);
    tcase_add_test(tc, token_hash_is_the_word_hash);
    tcase_add_test(tc, fast_path_is_the_stages);
    tcase_add_test(tc, large_input);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}
