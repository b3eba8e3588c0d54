/*
 * fuzz_text.c - libFuzzer target for the text layer: any bytes as an
 * outgoing message, prepared as the engine prepares it (validation,
 * folding, tokens, language, segments, whom it talks to) and then read by
 * the learned model's features, segment by segment. Invalid UTF-8 must be
 * refused; anything else must keep every invariant plugins rely on, which
 * this target checks and aborts on:
 *
 *  - tokens' raw spans lie in the text, in order, on character
 *    boundaries; norm_map is non-decreasing and ends at text_len;
 *  - each token's shared hash (pf_msg.token_hash) is the ABI's
 *    pf_word_hash() of its normalized bytes, and the hash the plugins'
 *    word tables are built with (lex_hash) gives the same;
 *  - top-level segments follow each other and cover every token once,
 *    nested ones lie inside one top-level segment, and each token's
 *    segment contains it.
 *
 *   make fuzz                    clang + libFuzzer
 *   build/tests/fuzz_text FILES  replays inputs (make check does)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/learned/model.h"
#include "../../plugins/lib/lexicon.h"
#include "base/log.h"
#include "core/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
boundary(const char *s, size_t n, size_t off)
{
    return off == 0 || off >= n || ((unsigned char)s[off] & 0xC0) != 0x80;
}

static void
check(const struct pf_msg *m)
{
    size_t prev_end = 0;
    for (size_t t = 0; t < m->n_tokens; t++) {
        const struct pf_token *k = &m->tokens[t];
        if ((size_t)k->raw.off + k->raw.len > m->text_len ||
            k->raw.off < prev_end ||
            !boundary(m->text, m->text_len, k->raw.off) ||
            !boundary(m->text, m->text_len, k->raw.off + k->raw.len) ||
            (size_t)k->norm_off + k->norm_len > m->norm_len)
            abort();
        prev_end = k->raw.off + k->raw.len;
        const char *w = m->norm + k->norm_off;
        if (!PF_MSG_HAS(m, token_hash) || !m->token_hash ||
            m->token_hash[t] != pf_word_hash(w, k->norm_len) ||
            m->token_hash[t] != lex_hash(w, k->norm_len) ||
            pf_msg_token_hash(m, t) != m->token_hash[t])
            abort();
    }
    for (size_t i = 0; i < m->norm_len; i++)
        if (m->norm_map[i] > m->norm_map[i + 1])
            abort();
    if (m->norm_map[m->norm_len] != m->text_len)
        abort();
    if (m->n_tokens == 0)
        return;
    size_t next = 0;
    for (size_t i = 0; i < m->n_segments; i++) {
        const struct pf_segment *g = pf_msg_segment(m, i);
        if (g->tok0 > g->tok1 || g->tok1 > m->n_tokens ||
            (size_t)g->raw.off + g->raw.len > m->text_len)
            abort();
        if (g->parent == PF_SEG_NONE) {
            if (g->tok0 != next)
                abort();
            next = g->tok1;
        } else {
            if (g->parent >= i)
                abort();
            const struct pf_segment *p = pf_msg_segment(m, g->parent);
            if (p->parent != PF_SEG_NONE || g->tok0 < p->tok0 ||
                g->tok1 > p->tok1)
                abort();
        }
    }
    if (next != m->n_tokens)
        abort();
    for (size_t t = 0; t < m->n_tokens; t++) {
        uint32_t s = m->token_segment[t];
        if (s >= m->n_segments)
            abort();
        const struct pf_segment *g = pf_msg_segment(m, s);
        if (t < g->tok0 || t >= g->tok1)
            abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct pf_config cfg;
    static struct pf_engine eng;
    static struct lm_feats feats;
    static const char *const team[] = {"Sanna", "Mikko Lahti"};
    static const char *const customers[] = {"Kalle"};
    static int ready;
    if (!ready) {
        cfg.ui_language = (char *)"auto";
        cfg.max_message_bytes = 1u << 20;
        pf_log_set_level(PF_LOG_ERR);
        pf_engine_open_bare(&eng, &cfg);
        ready = 1;
    }
    struct pf_input in;
    const struct pf_msg *m;
    char err[256];
    memset(&in, 0, sizeof(in));
    in.text = (const char *)data;
    in.len = size;
    in.flags = PF_MSG_OUTGOING;
    in.team = team;
    in.n_team = 2;
    in.customers = customers;
    in.n_customers = 1;
    if (pf_engine_prepare(&eng, &in, &m, err, sizeof(err)) != PF_OK)
        return 0; /* invalid UTF-8 or too large: refused, as it must be */
    check(m);
    struct lm_ctx ctx;
    lm_context(m, &ctx);
    for (size_t i = 0; i < lm_n_segments(m); i++)
        if (lm_scored(m, i))
            lm_featurize(m, i, &ctx, (1u << 18) - 1u, &feats);
    return 0;
}
