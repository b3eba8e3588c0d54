/*
 * check.c - what the relay asks of the engine: a reply checked (and the
 * line around it that the customer reads), a message prepared for its
 * language, other messages shown (observe) and decisions told (learn);
 * and what the findings say, in words for a notice and in detail for
 * !why.
 */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/display.h"
#include "core/relay_int.h"

static const char *const *
team_names(struct pf_route *rt, size_t *n)
{
    static const char *names[64];
    size_t k = 0;
    for (size_t i = 0; i < rt->team.n && k < 64; i++)
        names[k++] = rt->team.v[i].name;
    *n = k;
    return names;
}

/* the customer room's members who are not on the team (nor the bot) */
static const char *const *
customer_names(struct pf_relay *r, struct pf_route *rt, size_t *n)
{
    static const char *names[64];
    size_t k = 0;
    for (size_t i = 0; i < rt->cust.n && k < 64; i++)
        if (!pf_decide_is_team(r, rt, rt->cust.v[i].id))
            names[k++] = rt->cust.v[i].name;
    *n = k;
    return names;
}

/* text as ev's author's reply on rt, for the engine (the names are
   static: valid until the next call) */
static void
reply_input(struct pf_relay *r, struct pf_route *rt, const struct pf_event *ev,
            const char *text, struct pf_input *in)
{
    size_t nt;
    memset(in, 0, sizeof(*in));
    in->text = text;
    in->len = strlen(text);
    in->context = (const char *const *)rt->ctx;
    in->n_context = rt->n_ctx;
    in->author_id = ev->author_id;
    in->author_name = ev->author_name;
    in->route = rt->conf->name;
    in->platform = r->conn->ops->name;
    in->msg_id = ev->msg_id;
    in->ts_ms = ev->ts_ms;
    in->team = team_names(rt, &nt);
    in->n_team = nt;
    in->customers = customer_names(r, rt, &nt);
    in->n_customers = nt;
}

void
pf_check_begin(struct pf_relay *r, struct pf_route *rt,
               const struct pf_event *ev, const char *name, const char *text,
               struct pf_reply_check *c)
{
    struct pf_input in[2];
    const struct pf_input *p[2] = {&in[0], &in[1]};
    size_t covered = 0, n = 0;
    memset(c, 0, sizeof(*c));
    c->line = pf_display_format(rt->conf->relay_format, name, text, c->sp, 8,
                                &c->n_sp);
    for (size_t i = 0; i < c->n_sp; i++)
        covered += c->sp[i].len;
    if (covered >= strlen(c->line)) {
        free(c->line); /* "{text}": nothing but the reply */
        c->line = NULL;
    } else {
        reply_input(r, rt, ev, c->line, &in[n++]);
    }
    reply_input(r, rt, ev, text, &in[n++]);
    pf_engine_check_ahead(r->engine, p, n);
}

void
pf_check_end(struct pf_reply_check *c)
{
    free(c->line);
    c->line = NULL;
}

int
pf_check_text(struct pf_relay *r, struct pf_route *rt,
              const struct pf_event *ev, const char *text,
              struct pf_result *res, char *err, size_t errlen)
{
    struct pf_input in;
    reply_input(r, rt, ev, text, &in);
    int rc = pf_engine_check(r->engine, &in, res, err, errlen);
    if (rc == PF_OK)
        pf_relay_metrics_plugins(r, res);
    return rc;
}

/* label into a comma-separated list, once */
static void
add_label(struct pf_buf *b, const char *label)
{
    size_t n = strlen(label);
    for (const char *p = b->data; p && (p = strstr(p, label)); p += n)
        if ((p == b->data || p[-1] == ',') && (p[n] == ',' || !p[n]))
            return;
    if (b->len)
        pf_buf_addch(b, ',');
    pf_buf_addstr(b, label);
}

/* what the findings say, for the notice, and every detail for !why */
void
pf_check_describe(const struct pf_result *res, struct pf_hold *h)
{
    struct pf_buf why = PF_BUF_INIT, words = PF_BUF_INIT, det = PF_BUF_INIT;
    struct pf_buf labels = PF_BUF_INIT;
    size_t n_words = 0;
    for (size_t i = 0; i < res->n_found; i++) {
        const struct pf_found *f = &res->found[i];
        if (f->action < PF_ACT_HOLD)
            continue;
        add_label(&labels, f->f.label);
        if (why.len)
            pf_buf_addstr(&why, "; ");
        pf_buf_addstr(&why, f->f.reason[0] ? f->f.reason : f->f.label);
        for (uint32_t k = 0; k < f->f.n_spans && n_words < 6; k++) {
            const struct pf_span *sp = &f->f.spans[k];
            struct pf_buf w = PF_BUF_INIT;
            pf_buf_addch(&w, '"');
            pf_buf_add(&w, res->msg->text + sp->off, sp->len);
            pf_buf_addch(&w, '"');
            /* a word the reason already quotes is not repeated */
            if ((!words.data || !strstr(words.data, w.data)) &&
                (!why.data || !strstr(why.data, w.data))) {
                if (words.len)
                    pf_buf_addstr(&words, ", ");
                pf_buf_add(&words, w.data, w.len);
                n_words++;
            }
            pf_buf_release(&w);
        }
    }
    for (size_t i = 0; i < res->n_found; i++) {
        const struct pf_found *f = &res->found[i];
        pf_buf_addf(&det, "%s%s %.2f %s (%s): %s", det.len ? "\n" : "",
                    pf_action_name(f->action), f->f.score, f->f.label,
                    f->plugin, f->f.reason);
        if (f->f.suggestion[0])
            pf_buf_addf(&det, " %s", f->f.suggestion);
    }
    pf_hold_set(&h->why, why.data ? why.data : "");
    pf_hold_set(&h->words, words.data ? words.data : "");
    pf_hold_set(&h->details, det.data ? det.data : "");
    pf_hold_set(&h->labels, labels.data ? labels.data : "");
    pf_buf_release(&labels);
    pf_buf_release(&why);
    pf_buf_release(&words);
    pf_buf_release(&det);
}

void
pf_check_frame_release(struct pf_frame_verdict *fv)
{
    pf_buf_release(&fv->why);
    pf_buf_release(&fv->words);
    pf_buf_release(&fv->details);
    pf_buf_release(&fv->labels);
}

/* does [off, off + len) reach outside every span of the reply? */
static int
in_frame(size_t off, size_t len, const struct pf_display_span *sp, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (off >= sp[i].off && off + len <= sp[i].off + sp[i].len)
            return 0;
    return 1;
}

/* check the line the customer would read; run before the reply's own
   check (an engine result lives only until the next check) */
void
pf_check_frame(struct pf_relay *r, struct pf_route *rt,
               const struct pf_event *ev, const struct pf_reply_check *c,
               struct pf_frame_verdict *fv)
{
    const struct pf_display_span *sp = c->sp;
    size_t n_sp = c->n_sp;
    const char *line = c->line;
    struct pf_result res;
    char err[256];
    memset(fv, 0, sizeof(*fv));
    fv->action = PF_ACT_PASS;
    if (!line)
        return;
    if (pf_check_text(r, rt, ev, line, &res, err, sizeof(err)) != PF_OK) {
        fv->action = PF_ACT_HOLD; /* not checked, so not sent */
        fv->failed = 1;
        pf_buf_addstr(&fv->why, err);
        pf_buf_addstr(&fv->details, err);
        return;
    }
    for (size_t i = 0; i < res.n_found; i++) {
        const struct pf_found *f = &res.found[i];
        int failed = strncmp(f->f.label, "pokerface.", 10) == 0;
        int here = failed;
        for (uint32_t k = 0; k < f->f.n_spans && !here; k++)
            here = in_frame(f->f.spans[k].off, f->f.spans[k].len, sp, n_sp);
        if (f->action < PF_ACT_HOLD || !here)
            continue;
        if (f->action > fv->action)
            fv->action = f->action;
        /* a plugin failed on the line (hung, crashed): it would fail on
           the reply too, so it is not asked again */
        fv->failed |= failed;
        pf_buf_addf(&fv->why, "%s%s", fv->why.len ? "; " : "",
                    f->f.reason[0] ? f->f.reason : f->f.label);
        add_label(&fv->labels, f->f.label);
        for (uint32_t k = 0; k < f->f.n_spans; k++) {
            const struct pf_span *s = &f->f.spans[k];
            if (!in_frame(s->off, s->len, sp, n_sp))
                continue;
            pf_buf_addf(&fv->words, "%s\"%.*s\"", fv->words.len ? ", " : "",
                        (int)s->len, res.msg->text + s->off);
        }
        pf_buf_addf(&fv->details, "%s%s %.2f %s (%s, in \"%s\"): %s",
                    fv->details.len ? "\n" : "", pf_action_name(f->action),
                    f->f.score, f->f.label, f->plugin, line, f->f.reason);
    }
}

/* a hold's reasons, with what was found around the reply added */
void
pf_check_describe_frame(struct pf_hold *h, const struct pf_frame_verdict *fv)
{
    if (fv->action < PF_ACT_HOLD)
        return;
    char *why =
        pf_xasprintf("%s%s%s", h->why, h->why[0] ? "; " : "", fv->why.data);
    char *words = pf_xasprintf("%s%s%s", h->words,
                               h->words[0] && fv->words.len ? ", " : "",
                               fv->words.data ? fv->words.data : "");
    char *det = pf_xasprintf("%s%s%s", h->details, h->details[0] ? "\n" : "",
                             fv->details.data);
    pf_hold_set(&h->why, why);
    pf_hold_set(&h->words, words);
    pf_hold_set(&h->details, det);
    free(why);
    free(words);
    free(det);
    struct pf_buf labels = PF_BUF_INIT;
    pf_buf_addstr(&labels, h->labels ? h->labels : "");
    for (const char *p = fv->labels.data; p && *p;) {
        size_t n = strcspn(p, ",");
        char *one = pf_xasprintf("%.*s", (int)n, p);
        add_label(&labels, one);
        free(one);
        p += n + (p[n] == ',');
    }
    pf_hold_set(&h->labels, labels.data ? labels.data : "");
    pf_buf_release(&labels);
}

/* a message for the plugins' observe() or learn() (not checked) */
static void
input_of(struct pf_relay *r, struct pf_route *rt, const char *text,
         const char *author_id, const char *author_name, const char *msg_id,
         int64_t ts_ms, uint32_t flags, struct pf_input *in)
{
    memset(in, 0, sizeof(*in));
    in->text = text;
    in->len = strlen(text);
    in->author_id = author_id;
    in->author_name = author_name;
    in->route = rt->conf->name;
    in->platform = r->conn->ops->name;
    in->msg_id = msg_id;
    in->ts_ms = ts_ms;
    in->flags = flags;
}

/* text prepared (its language, for the answer in the chat) */
const struct pf_msg *
pf_check_prepare(struct pf_relay *r, struct pf_route *rt, const char *text,
                 const char *author_id, const char *author_name,
                 const char *msg_id, int64_t ts_ms, uint32_t flags)
{
    struct pf_input in;
    const struct pf_msg *m;
    char err[128];
    input_of(r, rt, text, author_id, author_name, msg_id, ts_ms, flags, &in);
    if (pf_engine_prepare(r->engine, &in, &m, err, sizeof(err)) == PF_OK)
        return m;
    pf_debug("not shown to the plugins: %s", err);
    return NULL;
}

void
pf_check_learn(struct pf_relay *r, struct pf_route *rt, struct pf_hold *h,
               int kind, const char *by, const char *new_text)
{
    struct pf_input in;
    input_of(r, rt, h->text, h->author_id, h->author_name, NULL, 0,
             PF_MSG_OUTGOING, &in);
    struct pf_decision d;
    memset(&d, 0, sizeof(d));
    d.size = sizeof(d);
    d.kind = (uint32_t)kind;
    d.decided_by = by;
    d.by_supervisor = pf_decide_is_supervisor(r, by);
    d.new_text = new_text;
    pf_engine_learn(r->engine, &in, &d);
}

/* show the plugins a message that is not checked (observe()) */
void
pf_check_observe(struct pf_relay *r, struct pf_route *rt,
                 const struct pf_event *ev, uint32_t flags)
{
    struct pf_input in;
    input_of(r, rt, ev->text, ev->author_id, ev->author_name, ev->msg_id,
             ev->ts_ms, flags, &in);
    pf_engine_observe(r->engine, &in);
}
