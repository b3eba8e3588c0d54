/*
 * engine.c - see engine.h.
 *
 * All memory of one check comes from the engine's arena and is released
 * by the next check, so a long-running bot does not fragment.
 */
#include "core/engine.h"

#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "core/worker.h"
#include "text/text.h"

static int
open_engine(struct pf_engine *e, const struct pf_config *cfg,
            const char *state_dir, int create, char *err, size_t errlen)
{
    memset(e, 0, sizeof(*e));
    e->cfg = cfg;
    e->max_action = PF_ACT_HOLD;
    for (size_t i = 0; i < cfg->policy.n_labels; i++)
        if (cfg->policy.labels[i].action == PF_ACT_BLOCK)
            e->max_action = PF_ACT_BLOCK;
    pf_arena_init(&e->arena, 64 * 1024);
    int rc = create ? pf_pipeline_open(&e->pl, cfg, state_dir, err, errlen)
                    : pf_pipeline_load(&e->pl, cfg, state_dir, err, errlen);
    if (rc)
        pf_arena_release(&e->arena);
    return rc;
}

int
pf_engine_open(struct pf_engine *e, const struct pf_config *cfg,
               const char *state_dir, char *err, size_t errlen)
{
    return open_engine(e, cfg, state_dir, 1, err, errlen);
}

int
pf_engine_load(struct pf_engine *e, const struct pf_config *cfg,
               const char *state_dir, char *err, size_t errlen)
{
    return open_engine(e, cfg, state_dir, 0, err, errlen);
}

int
pf_engine_isolate(struct pf_engine *e, char *err, size_t errlen)
{
    if (e->worker)
        return PF_OK;
    /* instances made here are made again, there */
    pf_pipeline_uncreate(e->pl);
    return pf_worker_start(&e->worker, e, err, errlen);
}

const struct pf_worker_stats *
pf_engine_worker_stats(const struct pf_engine *e)
{
    return e->worker ? pf_worker_stats(e->worker) : NULL;
}

json_t *
pf_engine_status(const struct pf_engine *e)
{
    const struct pf_worker_stats *st = pf_engine_worker_stats(e);
    if (!st)
        return json_pack("{s:b}", "worker", 0);
    return json_pack("{s:b, s:I, s:I, s:I, s:I, s:s}", "worker", 1, "pid",
                     (json_int_t)st->pid, "starts", (json_int_t)st->starts,
                     "timeouts", (json_int_t)st->timeouts, "crashes",
                     (json_int_t)st->crashes, "last", st->last);
}

void
pf_engine_open_bare(struct pf_engine *e, const struct pf_config *cfg)
{
    memset(e, 0, sizeof(*e));
    e->cfg = cfg;
    pf_arena_init(&e->arena, 64 * 1024);
}

void
pf_engine_close(struct pf_engine *e)
{
    if (e->worker)
        pf_worker_stop(e->worker);
    pf_pipeline_free(e->pl);
    pf_arena_release(&e->arena);
    memset(e, 0, sizeof(*e));
}

static const char *
ui_lang(const struct pf_config *cfg, const char *lang)
{
    if (strcmp(cfg->ui_language, "auto") != 0)
        return cfg->ui_language;
    return strcmp(lang, "fi") == 0 ? "fi" : "en";
}

static struct pf_msg *
make_msg(struct pf_engine *e, const struct pf_text *t, uint32_t flags)
{
    struct pf_msg *m = pf_arena_calloc(&e->arena, 1, sizeof(*m));
    m->size = sizeof(*m);
    m->flags = flags;
    m->text = t->text;
    m->text_len = t->text_len;
    m->norm = t->norm;
    m->norm_len = t->norm_len;
    m->norm_map = t->norm_map;
    m->tokens = t->tokens;
    m->n_tokens = t->n_tokens;
    m->token_hash = t->token_hash;
    m->lang = t->lang;
    m->ui_lang = ui_lang(e->cfg, t->lang);
    m->author_id = m->author_name = m->route = m->msg_id = "";
    m->platform = "cli";
    m->team = (const char *const *)e->cfg->team;
    m->n_team = e->cfg->n_team;
    return m;
}

int
pf_engine_prepare(struct pf_engine *e, const struct pf_input *in,
                  const struct pf_msg **out, char *err, size_t errlen)
{
    struct pf_text t;
    int rc;

    pf_arena_reset(&e->arena);
    if (in->len > e->cfg->max_message_bytes) {
        pf_snprintf(err, errlen,
                    "message too large: %zu bytes (max_message_bytes is "
                    "%zu)",
                    in->len, e->cfg->max_message_bytes);
        return PF_ETOOBIG;
    }
    /* the text must stay NUL-terminated for plugins */
    char *text = pf_arena_strndup(&e->arena, in->text, in->len);
    if ((rc = pf_text_prepare(&t, &e->arena, text, in->len, err, errlen)))
        return rc;
    struct pf_msg *m = make_msg(e, &t, in->flags);
    e->bidi_off = t.bidi_off;
    if (in->author_id)
        m->author_id = in->author_id;
    if (in->author_name)
        m->author_name = in->author_name;
    if (in->route)
        m->route = in->route;
    if (in->platform)
        m->platform = in->platform;
    if (in->msg_id)
        m->msg_id = in->msg_id;
    if (in->team) {
        m->team = in->team;
        m->n_team = in->n_team;
    }
    if (in->customers) {
        m->customers = in->customers;
        m->n_customers = in->n_customers;
    }
    struct pf_addressee *ad = pf_arena_alloc(&e->arena, sizeof(*ad));
    pf_segments_read(m, t.wclass, &e->arena, ad);
    m->addressee = ad;
    m->ts_ms = in->ts_ms ? in->ts_ms : pf_wall_us() / 1000;

    if (in->n_context) {
        const struct pf_msg **ctx =
            pf_arena_calloc(&e->arena, in->n_context, sizeof(*ctx));
        size_t n = 0;
        for (size_t i = 0; i < in->n_context; i++) {
            struct pf_text ct;
            char cerr[128];
            const char *s = in->context[i];
            size_t len = strlen(s);
            if (len > e->cfg->max_message_bytes ||
                pf_text_prepare(&ct, &e->arena, s, len, cerr, sizeof(cerr))) {
                pf_log(PF_LOG_WARN, "context message %zu skipped: %s", i,
                       len > e->cfg->max_message_bytes ? "too large" : cerr);
                continue;
            }
            struct pf_msg *cm = make_msg(e, &ct, PF_MSG_CUSTOMER);
            cm->route = m->route;
            cm->platform = m->platform;
            cm->customers = m->customers;
            cm->n_customers = m->n_customers;
            struct pf_addressee *cad = pf_arena_alloc(&e->arena, sizeof(*cad));
            pf_addressee_read(cm, ct.wclass, cad);
            cm->addressee = cad;
            ctx[n++] = cm;
        }
        m->context = ctx;
        m->n_context = n;
    }
    *out = m;
    return PF_OK;
}

/*
 * Text with bidirectional override, embedding or isolate controls can show
 * the customer something else than what the rules read ("The \u202Etoidi"
 * reads "The idiot"): the host holds it itself, whatever the plugins and
 * the policy say (a pokerface.* label always holds).
 */
static void
bidi_finding(struct pf_engine *e, const struct pf_msg *m, struct pf_result *r)
{
    struct pf_found *f = pf_arena_calloc(&e->arena, r->n_found + 1, sizeof(*f));
    if (r->n_found)
        memcpy(f, r->found, r->n_found * sizeof(*f));
    struct pf_found *x = &f[r->n_found];
    int fi = strcmp(m->ui_lang, "fi") == 0;
    x->plugin = "pokerface";
    x->f.score = 1.0f;
    pf_strlcpy(x->f.label, PF_LABEL_BIDI, sizeof(x->f.label));
    pf_strlcpy(x->f.reason,
               fi ? "tekstissä on näkymättömiä suunnanvaihtomerkkejä "
                    "(U+202A–202E, U+2066–2069): asiakas näkisi muuta kuin "
                    "mitä tarkistettiin"
                  : "the text has invisible direction controls (U+202A-202E, "
                    "U+2066-2069): the customer would see something else "
                    "than what was checked",
               sizeof(x->f.reason));
    pf_strlcpy(x->f.suggestion,
               fi ? "Kirjoita viesti uudelleen ilman niitä."
                  : "Write the message again without them.",
               sizeof(x->f.suggestion));
    /* from the first control to the end of its line */
    size_t a = e->bidi_off, b = a;
    while (b < m->text_len && m->text[b] != '\n')
        b++;
    pf_finding_span(&x->f, (uint32_t)a, (uint32_t)(b - a));
    r->found = f;
    r->n_found++;
}

/* the findings so far already give the most severe action there is */
static int
settled(void *ud, struct pf_found *found, size_t n)
{
    struct pf_engine *e = ud;
    return pf_policy_decide(&e->cfg->policy, found, n, NULL) >= e->max_action;
}

void
pf_engine_check_ahead(struct pf_engine *e, const struct pf_input *const *in,
                      size_t n)
{
    struct pf_input local[PF_WORKER_AHEAD];
    const struct pf_input *p[PF_WORKER_AHEAD];
    if (!e->worker || n > PF_WORKER_AHEAD)
        return;
    for (size_t i = 0; i < n; i++) {
        local[i] = *in[i];
        local[i].flags |= PF_MSG_OUTGOING; /* as pf_engine_check() sends it */
        p[i] = &local[i];
    }
    pf_worker_ahead(e->worker, p, n);
}

int
pf_engine_check(struct pf_engine *e, const struct pf_input *in,
                struct pf_result *r, char *err, size_t errlen)
{
    const struct pf_msg *m;
    int precise = e->precise || (in->flags & PF_MSG_EXPLAIN);
    int64_t t0 = precise ? pf_now_ns() : 0;
    struct pf_input local = *in;
    int rc;

    memset(r, 0, sizeof(*r));
    local.flags |= PF_MSG_OUTGOING;
    if (e->worker) {
        pf_arena_reset(&e->arena);
        rc = pf_worker_check(e->worker, &local, r, &e->arena, err, errlen);
        if (rc == PF_OK && precise)
            r->total_ns = pf_now_ns() - t0;
        return rc;
    }
    if ((rc = pf_engine_prepare(e, &local, &m, err, errlen)))
        return rc;
    int64_t t1 = precise ? pf_now_ns() : 0;
    e->pl->precise = precise;
    e->pl->enough = e->complete || (in->flags & PF_MSG_EXPLAIN) ||
                            e->max_action == PF_ACT_UNSET
                        ? NULL
                        : settled;
    e->pl->enough_ud = e;
    pf_pipeline_check(e->pl, m, &e->arena, &r->run);
    r->found = r->run.found;
    r->n_found = r->run.n_found;
    if (e->bidi_off < m->text_len)
        bidi_finding(e, m, r);
    r->action =
        pf_policy_decide(&e->cfg->policy, r->found, r->n_found, &r->score);
    r->msg = m;
    r->text_ns = t1 - t0;
    r->total_ns = precise ? pf_now_ns() - t0 : 0;
    return PF_OK;
}

void
pf_engine_observe(struct pf_engine *e, const struct pf_input *in)
{
    const struct pf_msg *m;
    char err[128];
    if (e->worker) {
        pf_worker_observe(e->worker, in);
        return;
    }
    if (pf_engine_prepare(e, in, &m, err, sizeof(err)) == PF_OK)
        pf_pipeline_observe(e->pl, m);
    else
        pf_debug("not shown to the plugins: %s", err);
}

void
pf_engine_learn(struct pf_engine *e, const struct pf_input *in,
                const struct pf_decision *d)
{
    const struct pf_msg *m;
    char err[128];
    if (e->worker) {
        pf_worker_learn(e->worker, in, d);
        return;
    }
    if (pf_engine_prepare(e, in, &m, err, sizeof(err)) == PF_OK)
        pf_pipeline_learn(e->pl, m, d);
    else
        pf_debug("not shown to the plugins: %s", err);
}

size_t
pf_engine_n_plugins(const struct pf_engine *e)
{
    return e->pl->n_inst;
}

const char *
pf_engine_plugin_name(const struct pf_engine *e, size_t i)
{
    return e->pl->inst[i].name;
}

long
pf_result_segment(const struct pf_result *r)
{
    const struct pf_found *best = NULL;
    const struct pf_msg *m = r->msg;
    if (!m || !m->segments || r->action == PF_ACT_PASS)
        return -1;
    for (size_t i = 0; i < r->n_found; i++) {
        const struct pf_found *x = &r->found[i];
        if (x->action != r->action || x->f.n_spans == 0)
            continue;
        if (!best || x->f.score > best->f.score)
            best = x;
    }
    if (!best)
        return -1;
    uint32_t off = best->f.spans[0].off;
    for (size_t t = 0; t < m->n_tokens; t++) {
        const struct pf_token *tok = &m->tokens[t];
        if (off < tok->raw.off + tok->raw.len &&
            off + best->f.spans[0].len > tok->raw.off)
            return (long)m->token_segment[t];
    }
    return -1;
}
