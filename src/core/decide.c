/*
 * decide.c - who is who and who may decide, and the decisions about a
 * hold: send, edit (checked again), drop, and expiry. Only the author or
 * a supervisor may decide; only a supervisor may send a blocked message
 * as it is; an author known by no address decides nothing. Every
 * decision is journaled (fsync'd) before the relay acts on it, then told
 * to the plugins (learn).
 */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/history.h"
#include "core/journal.h"
#include "core/relay_int.h"

int
pf_decide_is_supervisor(struct pf_relay *r, const char *id)
{
    for (size_t i = 0; i < r->cfg->n_supervisors; i++)
        if (strcmp(r->cfg->supervisors[i], id) == 0)
            return 1;
    return 0;
}

/*
 * Who is on the team of a route: a supervisor, or someone in its internal
 * room who is not a customer. A customer is someone seen in a customer
 * room who is not on the internal room's member list (XMPP: affiliation
 * member, admin or owner): in a room anyone may join, being there proves
 * nothing, and a customer who joined it stays a customer.
 */
int
pf_decide_is_customer(struct pf_relay *r, struct pf_route *rt, const char *id)
{
    const struct pf_person *p = pf_people_find(&rt->team, id);
    return !pf_decide_is_supervisor(r, id) && !(p && p->member) &&
           pf_idset_has(&r->customers, id);
}

int
pf_decide_is_team(struct pf_relay *r, struct pf_route *rt, const char *id)
{
    if (pf_decide_is_supervisor(r, id))
        return 1;
    return pf_people_find(&rt->team, id) && !pf_decide_is_customer(r, rt, id);
}

/* on the team of some route (a command in a direct message) */
int
pf_decide_team_anywhere(struct pf_relay *r, const char *id)
{
    for (size_t i = 0; i < r->n_routes; i++)
        if (pf_decide_is_team(r, &r->routes[i], id))
            return 1;
    return pf_decide_is_supervisor(r, id);
}

/*
 * May this person decide about h? The author or a supervisor may; only a
 * supervisor may send a blocked message as it is (its author can still
 * rewrite or drop it). Says why not into why.
 */
int
pf_decide_may(struct pf_relay *r, const struct pf_hold *h, int send,
              const char *who, const char *who_name, char *why, size_t cap)
{
    /* the bot's owner, on its control socket, is a supervisor */
    int sup = pf_decide_is_supervisor(r, who) ||
              (r->ctl_ev && !strncmp(who, "local:", 6));
    enum pf_ui_lang l = pf_texts_lang(h->lang);
    if (send && h->action == PF_ACT_BLOCK && !sup) {
        pf_texts_snprintf(why, cap, l, PF_T_ONLY_SUPERVISOR, who_name, h->id);
        return 0;
    }
    if (!sup && strcmp(h->author_id, who) != 0) {
        pf_texts_snprintf(why, cap, l, PF_T_NOT_YOURS, who_name, h->author_name,
                          h->id);
        return 0;
    }
    return 1;
}

/*
 * ev's author is known only by a name anyone could take (the connector
 * could not say who wrote it: an occupant's nick, read back from an
 * archive that kept no address): it decides nothing, and nothing is held
 * or sent in that name. Says so in the room; 1 when refused.
 */
int
pf_decide_refuse_anonymous(struct pf_relay *r, struct pf_route *rt,
                           const struct pf_event *ev)
{
    if (!ev->anonymous || !rt)
        return 0;
    const struct pf_msg *m =
        pf_check_prepare(r, rt, ev->text, ev->author_id, ev->author_name,
                         ev->msg_id, ev->ts_ms, 0);
    char *msg = pf_texts_fmt(pf_texts_lang(m ? m->ui_lang : NULL),
                             PF_T_ANONYMOUS, ev->author_name);
    r->stats.refused++;
    pf_info("refused a message on %s from %s: its author is not known by "
            "address",
            rt->conf->name, ev->author_id);
    pf_post_reply(r, rt, ev, msg);
    free(msg);
    return 1;
}

/* who decided, for the metrics: the author, a supervisor, or the bot's
   owner on the terminal */
static const char *
role(const struct pf_hold *h, const char *by)
{
    if (!strncmp(by, "local:", 6))
        return "terminal";
    return strcmp(h->author_id, by) == 0 ? "author" : "supervisor";
}

/*
 * A decision was taken (ev NULL: the hold expired): the log line names
 * who took it and where, the history and the metrics keep it, and a
 * hold that is no longer held is forgotten. verdict is stolen.
 */
static void
decided(struct pf_relay *r, struct pf_hold *h, const char *what,
        const char *kind, const struct pf_event *ev, const char *outcome,
        const char *text, json_t *verdict)
{
    if (ev) {
        const char *via = !r->ctl_ev   ? "chat"
                          : r->ctl_via ? r->ctl_via
                                       : "terminal";
        pf_info("%s #%u on %s by %s (%s)", what, h->id, h->route, ev->author_id,
                !strcmp(via, "chat")  ? "in the chat"
                : !strcmp(via, "web") ? "on the review page"
                                      : "on the terminal");
        pf_counter_add(&r->metrics.decisions, 1, kind, role(h, ev->author_id));
        pf_history_decided(r->history, h, kind, ev->author_id, ev->author_name,
                           via, outcome, text, verdict);
    } else {
        pf_info("%s #%u on %s", what, h->id, h->route);
        pf_history_decided(r->history, h, kind, "", "", "timer", outcome, NULL,
                           verdict);
    }
    if (strcmp(outcome, "held") != 0)
        pf_holds_remove(&r->holds, h->id);
}

/* what the check of an edit said: {action, labels} (labels of findings
   at note or above, in the reply and around it) */
static json_t *
verdict_json(int action, const struct pf_result *res,
             const struct pf_frame_verdict *fv)
{
    json_t *labels = json_array();
    for (size_t i = 0; res && i < res->n_found; i++)
        if (res->found[i].action >= PF_ACT_NOTE)
            json_array_append_new(labels, json_string(res->found[i].f.label));
    for (const char *p = fv ? fv->labels.data : NULL; p && *p;) {
        size_t n = strcspn(p, ",");
        json_array_append_new(labels, json_stringn(p, n));
        p += n + (p[n] == ',');
    }
    return json_pack("{s:s, s:o}", "action", pf_action_name(action), "labels",
                     labels);
}

/*
 * Journal a decision that posts line to the customer under key, then
 * post it; 0 when the journal refused (nothing was posted).
 */
static int
decide_post(struct pf_relay *r, struct pf_route *rt, struct pf_hold *h,
            const struct pf_event *ev, const char *kind, const char *text,
            const char *lang, const char *key)
{
    char *line = pf_post_format(rt->conf->relay_format, h->author_name, text);
    const char *in = h->thread ? h->thread : "";
    const char *ct = pf_threads_cust(r, in);
    uint64_t seq;
    if (!pf_post_fits_customer(r, rt, line)) {
        char msg[400];
        char *both =
            pf_texts_every(PF_UI_FI, PF_T_HOLD_TOO_LONG, h->id, strlen(text),
                           r->cfg->command_prefix, h->id);
        pf_snprintf(msg, sizeof(msg), "%s", both);
        free(both);
        pf_warn("#%u on %s is too long for the chat server (%zu bytes): not "
                "sent, still held",
                h->id, rt->conf->name, strlen(text));
        pf_post_reply_in(r, rt, ev, h->thread, msg);
        free(line);
        return 0;
    }
    if (pf_recovery_decision(
            r, h, kind, ev->author_id, ev->author_name,
            strcmp(kind, "send") ? text : NULL,
            pf_recovery_post_json(rt->conf->customer_room, ct, in, line, key),
            &seq) != PF_OK) {
        pf_recovery_failed(r, rt, ev->author_id, ev->author_name, h->lang);
        free(line);
        return 0;
    }
    if (r->journal)
        pf_recovery_pend_add(r, key, rt->conf->customer_room, ct, in, line,
                             seq);
    pf_post_customer(r, rt, h->author_id, h->author_name, h->source_id,
                     h->source_alt_id, in, ct, lang, line, key, 0);
    free(line);
    return 1;
}

void
pf_decide_send(struct pf_relay *r, struct pf_route *rt, struct pf_hold *h,
               const struct pf_event *ev)
{
    char *key = pf_xasprintf("pf-h%u-s", h->id);
    int ok = decide_post(r, rt, h, ev, "send", h->text, h->lang, key);
    free(key);
    if (!ok)
        return;
    pf_check_learn(r, rt, h, PF_DECIDE_SEND, ev->author_id, NULL);
    char msg[200];
    pf_texts_snprintf(msg, sizeof(msg), pf_texts_lang(h->lang), PF_T_SENT,
                      h->id, ev->author_name);
    pf_post_reply_in(r, rt, ev, h->thread, msg);
    r->stats.sent++;
    decided(r, h, "sent", "send", ev, "sent", NULL, NULL);
}

void
pf_decide_drop(struct pf_relay *r, struct pf_route *rt, struct pf_hold *h,
               const struct pf_event *ev)
{
    if (pf_recovery_decision(r, h, "drop", ev->author_id, ev->author_name, NULL,
                             NULL, NULL) != PF_OK) {
        pf_recovery_failed(r, rt, ev->author_id, ev->author_name, h->lang);
        return;
    }
    pf_check_learn(r, rt, h, PF_DECIDE_DROP, ev->author_id, NULL);
    char msg[200];
    pf_texts_snprintf(msg, sizeof(msg), pf_texts_lang(h->lang), PF_T_DROPPED,
                      h->id);
    /* not in the thread of a message its author deleted: the thread went
       with it */
    pf_post_reply_in(r, rt, ev, ev->type == PF_EV_DELETE ? NULL : h->thread,
                     msg);
    r->stats.dropped++;
    decided(r, h, "dropped", "drop", ev, "dropped", NULL, NULL);
}

void
pf_decide_edit(struct pf_relay *r, struct pf_route *rt, struct pf_hold *h,
               const struct pf_event *ev, const char *text)
{
    struct pf_result res;
    struct pf_frame_verdict fv;
    char err[256];
    struct pf_event as_author = *ev;
    as_author.author_id = h->author_id;
    as_author.author_name = h->author_name;
    struct pf_reply_check c;
    pf_check_begin(r, rt, &as_author, h->author_name, text, &c);
    pf_check_frame(r, rt, &as_author, &c, &fv);
    int rc = PF_EINVAL;
    if (fv.failed)
        pf_snprintf(err, sizeof(err), "%s", fv.why.data);
    else
        rc = pf_check_text(r, rt, &as_author, text, &res, err, sizeof(err));
    pf_check_end(&c);
    json_t *verdict =
        rc == PF_OK
            ? verdict_json(res.action > fv.action ? res.action : fv.action,
                           &res, &fv)
            : json_pack("{s:s, s:[s]}", "action", "hold", "labels",
                        "pokerface.unchecked");
    if (rc == PF_OK && res.action <= PF_ACT_NOTE && fv.action <= PF_ACT_NOTE) {
        pf_check_frame_release(&fv);
        char *key = pf_xasprintf("pf-h%u-e%u", h->id, h->edits);
        int ok = decide_post(r, rt, h, ev, "edit", text, res.msg->ui_lang, key);
        free(key);
        if (!ok) {
            json_decref(verdict);
            return;
        }
        pf_check_learn(r, rt, h, PF_DECIDE_EDIT, ev->author_id, text);
        r->stats.edited++;
        char msg[200];
        pf_texts_snprintf(msg, sizeof(msg), pf_texts_lang(h->lang),
                          PF_T_EDITED_SENT, h->id);
        pf_post_reply_in(r, rt, ev, h->thread, msg);
        r->stats.sent++;
        decided(r, h, "edited and sent", "edit", ev, "sent", text, verdict);
        return;
    }
    /* still not fit to send: the hold stays, with the new text */
    if (pf_recovery_decision(r, h, "edit", ev->author_id, ev->author_name, text,
                             NULL, NULL) != PF_OK) {
        pf_recovery_failed(r, rt, ev->author_id, ev->author_name, h->lang);
        pf_check_frame_release(&fv);
        json_decref(verdict);
        return;
    }
    /* what the check said, before learn() prepares another message (the
       engine's result lives only until then) */
    if (rc == PF_OK) {
        h->action = res.action > fv.action ? res.action : fv.action;
        pf_hold_set(&h->lang, res.msg->ui_lang);
        pf_check_describe(&res, h);
        pf_check_describe_frame(h, &fv);
    } else {
        pf_hold_set(&h->why, err);
        pf_hold_set(&h->words, "");
        pf_hold_set(&h->labels, "pokerface.unchecked");
    }
    pf_check_frame_release(&fv);
    pf_check_learn(r, rt, h, PF_DECIDE_EDIT, ev->author_id, text);
    r->stats.edited++;
    h->edits++;
    pf_hold_set(&h->text, text);
    h->expires_ms = pf_wall_us() / 1000 + (int64_t)(r->cfg->hold_ttl_s * 1000);
    decided(r, h, "edited and held again", "edit", ev, "held", text, verdict);
    pf_recovery_held(r, h, h->source_id);
    pf_outgoing_notice(r, rt, h, 1, 0);
}

static void
expire(struct pf_relay *r, struct pf_hold *h)
{
    struct pf_route *rt = pf_relay_route_by_name(r, h->route);
    if (pf_recovery_write(r, PF_JREC_EXPIRED,
                          json_pack("{s:I, s:I}", "hold", (json_int_t)h->id,
                                    "at", (json_int_t)(pf_wall_us() / 1000)),
                          1, NULL) != PF_OK)
        return; /* still held; tried again on the next tick */
    if (rt) {
        enum pf_ui_lang l = pf_texts_lang(h->lang);
        char *msg = pf_texts_fmt(l, PF_T_EXPIRED, h->id, h->text);
        pf_post_tell(r, rt, h->author_id, h->author_name, 1, msg);
        /* and a line in the room, so nobody waits for it */
        if (pf_post_addressable(r, h->author_id)) {
            char line[200];
            char *key = pf_post_key(r, "x");
            pf_texts_snprintf(line, sizeof(line), l, PF_T_EXPIRED_LINE, h->id,
                              h->author_name);
            pf_post_internal(r, rt->conf->internal_room,
                             h->thread ? h->thread : "", line, key, 0);
            free(key);
        }
        free(msg);
        pf_check_learn(r, rt, h, PF_DECIDE_EXPIRE, "", NULL);
    }
    r->stats.expired++;
    decided(r, h, "expired", "expire", NULL, "expired", NULL, NULL);
}

void
pf_decide_tick_cb(lws_sorted_usec_list_t *sul)
{
    struct pf_relay *r = lws_container_of(sul, struct pf_relay, tick);
    int64_t now = pf_wall_us() / 1000;
    pf_history_tick(r->history, now);
    for (size_t i = 0; i < r->holds.n;) {
        struct pf_hold *h = r->holds.items[i];
        if (h->expires_ms <= now && r->conn->ops->ready(r->conn))
            expire(r, h); /* removes h; item i is now another hold */
        else
            i++;
    }
    if (r->running)
        lws_sul_schedule(r->ctx, 0, &r->tick, pf_decide_tick_cb, 250 * 1000);
}
