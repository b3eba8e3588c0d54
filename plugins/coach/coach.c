/*
 * coach - makes replies better, using the customer's recent messages as
 * context. Four findings, each a tip (see max_score below):
 *
 *   missing_apology       the customer complains of a delay, an error or a
 *                         bad experience, and the reply does not apologise
 *                         or regret it in any form (apology.c)
 *   unanswered_questions  the customer asked several questions (also two
 *                         joined with "and"/"ja" under one question mark)
 *                         and the reply leaves some unanswered; the
 *                         finding quotes them (questions.c)
 *   emoji_overuse         a wall of emoji (more than the customer used)
 *   condescension         the reply talks down: reminds the customer what
 *                         was said or what they should have read, presumes
 *                         what "anyone" knows, belittles how hard it is,
 *                         explains the obvious (talkdown.c)
 *
 * The words are data: config/lexicons/coach-*.txt (same format as the
 * backstage lexicons), with families for complaints, apologies, regret,
 * phrases that only look like apologies, condescension, definitions,
 * function words, and the kinds of questions and of answers (when / how
 * much / where / why). The cues are general forms of what people write
 * (inflected, with words between), not sentences seen somewhere.
 *
 * Coaching is a tip, whatever the policy says of other labels: no finding
 * scores more than "max_score" (0.55), below the default hold threshold
 * (0.6), so a configuration that only lists the plugin gets notes. A
 * team that wants a label held says so in policy.labels.
 *
 * missing_apology also asks a small learned model (model.h, trained at
 * build time on config/training/conversations.*.jsonl) what it makes of
 * the conversation: see apology.c.
 *
 * Config: "emoji_max" (4), "complaint_min" (1.5, the complaint cues'
 * weight that makes a message a complaint), "max_score" (0.55), "model"
 * (a path; default DATADIR/models/coach.model; false: the lexicons
 * alone), "lexicons", "extra_lexicons", "cache_dir" (as for backstage).
 */
#include "coach.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const family_names[F_COUNT] = {
    "complaint",     "apology",
    "regret",        "not_apology",
    "condescension", "not_condescension",
    "define",        "point",
    "function",      "ask_time",
    "ask_price",     "ask_place",
    "ask_reason",    "wh",
    "ask",           "ans_time",
    "not_time",      "ans_price",
    "ans_place",     "ans_reason",
    "ans_yesno",     "ans_all",
    "and",           "or",
    "greeting",
};

static const struct lex_spec lexicon_spec = {
    family_names, F_COUNT, -1, -1, "coach", 0,
};

/* without the customer's messages only condescension can be found: a
   lexicon of those families alone makes most checks cheap (a reply with a
   definition in it is marked again with the whole lexicon) */
static const struct lex_spec condescension_spec = {
    family_names,
    F_COUNT,
    -1,
    -1,
    "coach",
    1u << F_CONDESCENSION | 1u << F_NOT_CONDESCENSION | 1u << F_DEFINE |
        1u << F_POINT,
};

struct pf_finding *
coach_finding(const struct coach *c, struct pf_verdict *v, const char *label,
              float score)
{
    return pf_verdict_add(v, label,
                          score < c->max_score ? score : c->max_score);
}

int
coach_fi(const struct pf_msg *m)
{
    return m->ui_lang && strcmp(m->ui_lang, "fi") == 0;
}

/* ---- marking ---- */

struct scan {
    const struct coach *c;
    const struct lexicon *lx;
    struct marks *mk;
    int explain;
};

static void
on_hit(void *ud, const struct lex_hit *h)
{
    struct scan *s = ud;
    struct marks *mk = s->mk;
    for (size_t t = h->t0; t < h->t1 && t < mk->n; t++)
        mk->fam[t] |= 1u << h->family;
    if (h->family == F_COMPLAINT && h->t1 >= 1 && h->t1 - 1 < mk->n)
        mk->cw[h->t1 - 1] += h->weight;
    if (h->family == F_CONDESCENSION && h->t1 <= mk->n) {
        mk->condescension += h->weight;
        if (mk->n_cond < PF_SPANS_MAX) {
            mk->cond[mk->n_cond].t0 = h->t0;
            mk->cond[mk->n_cond].t1 = h->t1;
            mk->cond[mk->n_cond].w = h->weight;
            mk->n_cond++;
        }
    }
    if ((h->family == F_DEFINE || h->family == F_POINT) && h->t1 <= mk->n &&
        mk->n_def < PF_SPANS_MAX) {
        mk->def[mk->n_def].t0 = h->t0;
        mk->def[mk->n_def].t1 = h->t1;
        mk->def[mk->n_def].family = (int)h->family;
        mk->n_def++;
    }
    if (s->explain && h->weight != 0 && h->t0 < h->t1 && h->t1 <= mk->n) {
        const struct pf_msg *m = mk->m;
        const struct cue *cue = &s->lx->cues[h->cue];
        uint32_t off = m->tokens[h->t0].raw.off;
        uint32_t end =
            m->tokens[h->t1 - 1].raw.off + m->tokens[h->t1 - 1].raw.len;
        COACH_EXPLAIN(s->c, "%s%5.2f %-13s \"%.*s\"  %s (%s)",
                      m->flags & PF_MSG_CUSTOMER ? "  customer " : "  ",
                      h->weight, family_names[h->family], (int)(end - off),
                      m->text + off, cue->text, cue->where);
    }
}

void
coach_mark(const struct coach *c, struct lexicon *lx, const struct pf_msg *m,
           struct marks *mk, int explain)
{
    struct scan s = {c, lx, mk, explain};
    mk->m = m;
    mk->n = m->n_tokens < COACH_MAX_TOKENS ? m->n_tokens : COACH_MAX_TOKENS;
    memset(mk->fam, 0, mk->n * sizeof(*mk->fam));
    memset(mk->cw, 0, mk->n * sizeof(*mk->cw));
    mk->condescension = 0;
    mk->n_cond = mk->n_def = 0;
    lex_scan(lx, m, on_hit, &s);
}

int
coach_any(const struct marks *mk, size_t t0, size_t t1, int fam)
{
    for (size_t t = t0; t < t1 && t < mk->n; t++)
        if (coach_has(mk, t, fam))
            return 1;
    return 0;
}

int
coach_is_punct(const struct pf_msg *m, size_t t, const char *chars)
{
    const struct pf_token *tok = &m->tokens[t];
    return tok->kind == PF_TOK_PUNCT && tok->norm_len >= 1 &&
           strchr(chars, m->norm[tok->norm_off]) != NULL;
}

static int
wordlike(const struct pf_token *tok)
{
    return tok->kind == PF_TOK_WORD || tok->kind == PF_TOK_NUMBER;
}

int
coach_ends(const struct pf_msg *m, size_t t, const char *chars)
{
    if (!coach_is_punct(m, t, chars))
        return 0;
    const struct pf_token *p = &m->tokens[t];
    char ch = m->norm[p->norm_off];
    if (t + 1 >= m->n_tokens || p->norm_len != 1 || !strchr(".:;", ch))
        return 1;
    /* "4K:n", "Go:ssa", "kajo.com", ".fi-domain": a full stop or a colon
       with a word right after it, no space between */
    return !(wordlike(&p[1]) && p->raw.off + p->raw.len == p[1].raw.off);
}

const char *
coach_lang(const struct pf_msg *m)
{
    return strcmp(m->lang, "en") == 0 ? "en" : "fi";
}

long
coach_stem(const struct coach *c, const struct pf_msg *m, size_t t,
           const char *lang, char *out, size_t cap)
{
    const struct pf_token *tok = &m->tokens[t];
    if (tok->kind == PF_TOK_NUMBER) {
        if (tok->norm_len >= cap)
            return -1;
        memcpy(out, m->norm + tok->norm_off, tok->norm_len);
        out[tok->norm_len] = '\0';
        return (long)tok->norm_len;
    }
    return c->h->stem(c->hctx, lang, m->norm + tok->norm_off, tok->norm_len,
                      out, cap);
}

int
coach_content_word(const struct pf_msg *m, const struct marks *mk, size_t t)
{
    const struct pf_token *tok = &m->tokens[t];
    if (tok->kind == PF_TOK_NUMBER)
        return 1;
    if (tok->kind != PF_TOK_WORD || tok->norm_len < 2)
        return 0;
    for (int f = F_FUNCTION; f <= F_ASK; f++)
        if (coach_has(mk, t, f))
            return 0;
    return !coach_has(mk, t, F_AND) && !coach_has(mk, t, F_OR) &&
           !coach_has(mk, t, F_GREETING);
}

int
coach_stem_match(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la == lb)
        return strcmp(a, b) == 0;
    /* one the start of the other: Finnish forms the stemmer leaves apart
       (nolla / nollaus), loans inflected (expir / expiroidu) */
    const char *s = la < lb ? a : b, *l = la < lb ? b : a;
    size_t ls = la < lb ? la : lb, ll = la < lb ? lb : la;
    if (ls >= 5 && ll - ls <= 4 && strncmp(s, l, ls) == 0)
        return 1;
    /* a compound and its first part, inflected: vahvistuks /
       vahvistusmerk */
    size_t common = 0;
    while (common < ls && s[common] == l[common])
        common++;
    return common >= 6 && common + 2 >= ls;
}

/* ---- emoji_overuse ---- */

static void
emoji_overuse(const struct coach *c, const struct pf_msg *m,
              struct pf_verdict *v)
{
    size_t n = 0, words = 0, run = 0, max_run = 0, theirs = 0;
    const struct pf_token *prev = NULL;
    for (size_t t = 0; t < m->n_tokens; t++) {
        const struct pf_token *tok = &m->tokens[t];
        if (tok->kind != PF_TOK_EMOJI) {
            prev = NULL;
            run = 0;
            continue;
        }
        n++;
        run = prev && prev->norm_len == tok->norm_len &&
                      memcmp(m->norm + prev->norm_off, m->norm + tok->norm_off,
                             tok->norm_len) == 0
                  ? run + 1
                  : 1;
        if (run > max_run)
            max_run = run;
        prev = tok;
    }
    for (size_t i = 0; i < m->n_context; i++)
        for (size_t t = 0; t < m->context[i]->n_tokens; t++)
            theirs += m->context[i]->tokens[t].kind == PF_TOK_EMOJI;
    /* the customer's own emoji make more fine */
    size_t limit = (size_t)c->emoji_max + theirs;
    if (n < limit && !(n >= 3 && max_run >= 3 && theirs == 0))
        return;
    float score = 0.45f + 0.05f * (float)(n - (n < limit ? n : limit));
    if (score > 0.8f)
        score = 0.8f;
    struct pf_finding *f = coach_finding(c, v, "emoji_overuse", score);
    if (!f)
        return;
    for (size_t t = 0; t < m->n_tokens; t++)
        words += m->tokens[t].kind == PF_TOK_WORD;
    int fi = coach_fi(m);
    snprintf(f->reason, sizeof(f->reason),
             fi ? "%zu emojia %zu sanan viestissä"
                : "%zu emoji in a reply of "
                  "%zu words",
             n, words);
    pf_strlcpy(f->suggestion,
               fi ? "Yksi hymiö riittää; loput voi jättää pois."
                  : "One emoji is plenty; leave the rest out.",
               sizeof(f->suggestion));
    for (size_t t = 0; t < m->n_tokens; t++)
        if (m->tokens[t].kind == PF_TOK_EMOJI &&
            pf_finding_span(f, m->tokens[t].raw.off, m->tokens[t].raw.len) !=
                PF_OK)
            break;
}

/* ---- the plugin ---- */

static int
coach_check(void *inst, const struct pf_msg *m, struct pf_verdict *v)
{
    struct coach *c = inst;
    struct marks rk, ck;
    int explain = (m->flags & PF_MSG_EXPLAIN) != 0;
    if (m->n_context == 0) {
        coach_mark(c, &c->lx_cond, m, &rk, explain);
        /* over-explaining needs to know the function words */
        if (rk.n_def)
            coach_mark(c, &c->lx, m, &rk, 0);
        coach_condescension(c, m, &rk, NULL, v);
        emoji_overuse(c, m, v);
        return PF_OK;
    }
    coach_mark(c, &c->lx, m, &rk, explain);
    coach_mark(c, &c->lx, m->context[m->n_context - 1], &ck, explain);
    coach_condescension(c, m, &rk, &ck, v);
    emoji_overuse(c, m, v);
    coach_missing_apology(c, m, &rk, &ck, v);
    coach_unanswered(c, m, &rk, &ck, v);
    return PF_OK;
}

static int
config_error(struct coach *c, char *err, size_t errlen, const char *what)
{
    pf_strlcpy(err, what, errlen);
    free(c);
    return PF_EINVAL;
}

static int
coach_create(const struct pf_host *h, struct pf_hctx *hctx, void **inst,
             char *err, size_t errlen)
{
    struct coach *c = calloc(1, sizeof(*c));
    int64_t n;
    double d;
    int rc, on;
    const char *path;
    char def[4096];
    if (!c) {
        pf_strlcpy(err, "out of memory", errlen);
        return PF_ENOMEM;
    }
    c->h = h;
    c->hctx = hctx;
    c->emoji_max = 4;
    c->complaint_min = 1.5f;
    c->max_score = 0.55f;
    rc = h->cfg_int(hctx, "emoji_max", &n);
    if (rc == PF_OK && n >= 1 && n <= 100)
        c->emoji_max = (int)n;
    else if (rc != PF_ENOTFOUND)
        return config_error(
            c, err, errlen,
            "config.emoji_max: expected a whole number from 1 to 100");
    rc = h->cfg_num(hctx, "complaint_min", &d);
    if (rc == PF_OK && d > 0 && d <= 20)
        c->complaint_min = (float)d;
    else if (rc != PF_ENOTFOUND)
        return config_error(
            c, err, errlen,
            "config.complaint_min: expected a number from 0 to 20");
    rc = h->cfg_num(hctx, "max_score", &d);
    if (rc == PF_OK && d > 0 && d <= 1)
        c->max_score = (float)d;
    else if (rc != PF_ENOTFOUND)
        return config_error(c, err, errlen,
                            "config.max_score: expected a number from 0 to 1");
    /* "model": a file, or false for the lexicons alone */
    snprintf(def, sizeof(def), "%s/models/coach.model", h->data_dir(hctx));
    path = def;
    rc = h->cfg_bool(hctx, "model", &on);
    if (rc == PF_ETYPE)
        rc = h->cfg_path(hctx, "model", &path);
    else if (rc == PF_OK && !on)
        path = NULL;
    if (rc != PF_OK && rc != PF_ENOTFOUND)
        return config_error(c, err, errlen,
                            "config.model: expected a file name or false");
    if (path && (rc = cm_load(&c->md, path, err, errlen)) != PF_OK) {
        free(c);
        return rc;
    }
    c->has_model = path != NULL;
    lex_init(&c->lx, h, hctx, &lexicon_spec);
    lex_init(&c->lx_cond, h, hctx, &condescension_spec);
    if ((rc = lex_load_config(&c->lx, "coach-*.txt", err, errlen)) != PF_OK ||
        (rc = lex_load_config(&c->lx_cond, "coach-*.txt", err, errlen)) !=
            PF_OK) {
        lex_release(&c->lx);
        lex_release(&c->lx_cond);
        cm_free(&c->md);
        free(c);
        return rc;
    }
    *inst = c;
    return PF_OK;
}

static void
coach_destroy(void *inst)
{
    struct coach *c = inst;
    if (!c)
        return;
    lex_release(&c->lx);
    lex_release(&c->lx_cond);
    cm_free(&c->md);
    free(c);
}

static const char *const coach_labels[] = {
    "missing_apology",
    "unanswered_questions",
    "emoji_overuse",
    "condescension",
    NULL,
};

static const struct pf_plugin coach_plugin = {
    PF_ABI_MAJOR,
    PF_ABI_MINOR,
    sizeof(struct pf_plugin),
    PF_PLUGIN_CONTEXT,
    "coach",
    "1.1",
    "coaching: missing apology, unanswered questions, emoji, condescension",
    coach_create,
    coach_destroy,
    coach_check,
    NULL,
    NULL,
    coach_labels,
    NULL,
};

PF_EXPORT const struct pf_plugin *
pf_plugin_entry_v1(void)
{
    return &coach_plugin;
}
