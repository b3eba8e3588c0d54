/*
 * outgoing.c - an agent's reply to a customer: one the server would
 * refuse for its size is refused at once; else it is journaled, checked
 * (the reply and the line around it), then relayed (pass, note: with a
 * tip to its author) or held with a notice to its author. A reply that
 * cannot be checked is held.
 *
 * On a route in observe mode (a trial) a reply the rules would hold is
 * relayed as a pass is, journaled the same way (so a restart posts it
 * once, under the same key), and its author is told privately what would
 * have been held and why. What the host itself holds is not a verdict of
 * the rules and stays held there too: a reply that could not be checked
 * (a plugin that failed, pokerface.* labels) or that would show the
 * customer something else than what was checked (pokerface.bidi).
 */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/history.h"
#include "core/journal.h"
#include "core/relay_int.h"

/*
 * The notice's buttons, where the chat has them (offer): to the author,
 * and to each supervisor in the internal room, where they decide. Send
 * as is is not offered to an author who may not (a blocked message).
 * The key names the hold and its edit: a button of an older notice is
 * refused once the text changed.
 */
static void
offer(struct pf_relay *r, struct pf_route *rt, const struct pf_hold *h,
      const char *text)
{
    const struct pf_connector_ops *ops = r->conn->ops;
    if (!ops->offer)
        return;
    enum pf_ui_lang l = pf_texts_lang(h->lang);
    char key[48];
    pf_snprintf(key, sizeof(key), "hold:%u:%u", h->id, h->edits);
    struct pf_offer o;
    memset(&o, 0, sizeof(o));
    o.room = rt->conf->internal_room;
    o.thread = h->thread ? h->thread : "";
    o.user_id = h->author_id;
    o.text = text;
    o.key = key;
    o.edit = pf_texts_get(l, PF_T_BUTTON_EDIT);
    o.drop = pf_texts_get(l, PF_T_BUTTON_DROP);
    int sup = pf_decide_is_supervisor(r, h->author_id);
    o.send = h->action == PF_ACT_BLOCK && !sup
                 ? NULL
                 : pf_texts_get(l, PF_T_BUTTON_SEND);
    if (pf_post_addressable(r, h->author_id))
        ops->offer(r->conn, &o);
    o.send = pf_texts_get(l, PF_T_BUTTON_SEND);
    for (size_t i = 0; i < r->cfg->n_supervisors; i++) {
        const char *who = r->cfg->supervisors[i];
        if (strcmp(who, h->author_id) == 0 || !pf_people_find(&rt->team, who))
            continue;
        o.user_id = who;
        ops->offer(r->conn, &o);
    }
}

/* the notice of a hold (edited: after an edit; after_restart: posted
   again under the same key, unless it arrived before the restart) */
void
pf_outgoing_notice(struct pf_relay *r, struct pf_route *rt, struct pf_hold *h,
                   int again, int after_restart)
{
    struct pf_buf b = PF_BUF_INIT;
    enum pf_ui_lang l = pf_texts_lang(h->lang);
    long mins = (long)((h->expires_ms - pf_wall_us() / 1000 + 59999) / 60000);
    const char *p = r->cfg->command_prefix;
    pf_texts_addf(
        &b, l, PF_T_NOTICE, h->author_name,
        pf_texts_get(l, again ? PF_T_NOTICE_STILL_HELD : PF_T_NOTICE_HELD),
        h->id, h->why);
    if (h->words[0])
        pf_texts_addf(&b, l, PF_T_NOTICE_WORDS, h->words);
    pf_texts_addf(&b, l,
                  h->action == PF_ACT_BLOCK ? PF_T_NOTICE_BLOCKED
                                            : PF_T_NOTICE_HOWTO,
                  p, h->id, p, h->id, p, h->id);
    pf_texts_addf(&b, l, PF_T_NOTICE_EXPIRES, mins);
    char *key = pf_xasprintf("pf-n%u-%u", h->id, h->edits);
    /* in the thread of the author's message, where there are threads */
    const char *thread = h->thread ? h->thread : "";
    if (after_restart) {
        pf_post_internal(r, rt->conf->internal_room, thread, b.data, key, 1);
    } else {
        pf_hold_set(&h->notice_key, key);
        pf_hold_set(&h->notice_id, NULL);
        pf_post_internal(r, rt->conf->internal_room, thread, b.data, key, 0);
        /* not again after a restart: the buttons shown before work */
        offer(r, rt, h, b.data);
    }
    free(key);
    pf_buf_release(&b);
}

/*
 * A reply that cannot reach the customer for its size: bytes long, over
 * what the bot reads (limit, when it never got to read it) or what the
 * server takes in a post. Nothing of it is sent; its author is told, in
 * both languages (the reply's was never known), where they wrote it.
 */
void
pf_outgoing_too_long(struct pf_relay *r, struct pf_route *rt,
                     const struct pf_event *ev, size_t bytes, size_t limit)
{
    char lim[64] = "";
    if (limit)
        pf_snprintf(lim, sizeof(lim), "; at most %zu", limit);
    pf_warn("a reply from %s (%s) in %s on route '%s' is too long for the "
            "chat server (%zu bytes%s): not %s, not sent; its author was told",
            ev->author_name, ev->author_id, ev->room, rt->conf->name, bytes,
            lim, limit ? "read" : "checked");
    char *msg = limit ? pf_texts_every(PF_UI_FI, PF_T_REPLY_TOO_LONG_UNREAD,
                                       bytes, limit)
                      : pf_texts_every(PF_UI_FI, PF_T_REPLY_TOO_LONG, bytes);
    pf_post_reply(r, rt, ev, msg);
    free(msg);
    r->stats.too_long++;
}

/* did the host hold it (pokerface.* labels), rather than the rules? */
static int
host_holds(const struct pf_result *res)
{
    for (size_t i = 0; i < res->n_found; i++)
        if (res->found[i].action >= PF_ACT_HOLD &&
            !strncmp(res->found[i].f.label, "pokerface.", 10))
            return 1;
    return 0;
}

/* observe mode: tell the author what would have been held, and why */
static void
tell_observed(struct pf_relay *r, struct pf_route *rt,
              const struct pf_event *ev, const struct pf_result *res,
              const struct pf_frame_verdict *fv)
{
    struct pf_hold h;
    struct pf_buf b = PF_BUF_INIT;
    enum pf_ui_lang l = pf_texts_lang(res->msg->ui_lang);
    memset(&h, 0, sizeof(h));
    pf_check_describe(res, &h);
    pf_check_describe_frame(&h, fv);
    pf_texts_addf(&b, l, PF_T_OBSERVED, h.why);
    if (h.words[0])
        pf_texts_addf(&b, l, PF_T_NOTICE_WORDS, h.words);
    pf_post_tell(r, rt, ev->author_id, ev->author_name, 1, b.data);
    pf_buf_release(&b);
    free(h.why);
    free(h.words);
    free(h.details);
}

/*
 * A new outgoing message: check it, then relay it or hold it. tries > 0:
 * the journal had it unchecked after a restart (checking it may be what
 * stopped the bot: after three tries it is held unchecked).
 */
void
pf_outgoing_handle(struct pf_relay *r, struct pf_route *rt,
                   const struct pf_event *ev, const char *text, unsigned tries)
{
    struct pf_result res;
    struct pf_frame_verdict fv;
    char err[256];
    int rc;
    /* when the frame came, and when each stage of relaying it ended */
    int64_t at[1 + PF_LAT_STAGES] = {ev->rx_ns, pf_now_ns()};
    /* one the server would refuse is not checked, held or sent: its
       author is told at once */
    char *whole = pf_post_format(rt->conf->relay_format, ev->author_name, text);
    int fit = pf_post_fits_customer(r, rt, whole);
    free(whole);
    if (!fit) {
        pf_outgoing_too_long(r, rt, ev, strlen(text), 0);
        return;
    }
    /* the checks run while the message is journaled */
    struct pf_reply_check c;
    memset(&c, 0, sizeof(c));
    if (tries < 3)
        pf_check_begin(r, rt, ev, ev->author_name, text, &c);
    if (pf_recovery_received(r, rt, ev, text, tries) != PF_OK) {
        pf_recovery_failed(r, rt, ev->author_id, ev->author_name, "en");
        pf_check_end(&c);
        return;
    }
    memset(&fv, 0, sizeof(fv));
    if (tries >= 3) {
        pf_snprintf(err, sizeof(err), "checking it stopped pokerface %u times",
                    tries);
        rc = PF_EINVAL;
    } else {
        pf_check_frame(r, rt, ev, &c, &fv);
        if (fv.failed) {
            pf_snprintf(err, sizeof(err), "%s", fv.why.data);
            rc = PF_EINVAL;
        } else {
            rc = pf_check_text(r, rt, ev, text, &res, err, sizeof(err));
        }
    }
    pf_check_end(&c);
    at[1 + PF_LAT_CHECKING] = pf_now_ns();
    if (rc != PF_OK) {
        /* not checked, so not sent: hold it with the reason */
        struct pf_hold *h = pf_holds_add(&r->holds);
        h->action = PF_ACT_HOLD;
        pf_hold_set(&h->route, rt->conf->name);
        pf_hold_set(&h->author_id, ev->author_id);
        pf_hold_set(&h->author_name, ev->author_name);
        pf_hold_set(&h->text, text);
        pf_hold_set(&h->source_id, ev->msg_id);
        pf_hold_set(&h->source_alt_id, ev->alt_id);
        pf_hold_set(&h->thread, pf_threads_of(r, ev));
        pf_hold_set(&h->lang, "en");
        pf_hold_set(&h->why, err);
        pf_hold_set(&h->words, "");
        pf_hold_set(&h->details, err);
        pf_hold_set(&h->labels, "pokerface.unchecked");
        h->created_ms = pf_wall_us() / 1000;
        h->expires_ms = h->created_ms + (int64_t)(r->cfg->hold_ttl_s * 1000);
        r->stats.held++;
        pf_info("held #%u on %s from %s: could not be checked: %s", h->id,
                rt->conf->name, ev->author_id, err);
        pf_recovery_held(r, h, pf_event_id(ev));
        pf_outgoing_kept(r, h);
        pf_outgoing_notice(r, rt, h, 0, 0);
        pf_check_frame_release(&fv);
        return;
    }
    const char *in = pf_threads_of(r, ev);
    int action = res.action > fv.action ? res.action : fv.action;
    /* a trial: relayed all the same, unless the host itself holds it */
    int observed =
        action >= PF_ACT_HOLD && rt->conf->observe && !host_holds(&res) ? action
                                                                        : 0;
    if (action <= PF_ACT_NOTE || observed) {
        char *key = pf_xasprintf("pf-r-%s", pf_event_id(ev));
        char *line =
            pf_post_format(rt->conf->relay_format, ev->author_name, text);
        const char *ct = pf_threads_cust(r, in);
        uint64_t seq;
        /* written before it is posted, made durable while it is: if
           the machine goes down before the disk has it, the reply is
           read back (or checked again) after the restart and its post
           looked for under its key before it is made again */
        int wrc = pf_recovery_verdict(
            r, pf_event_id(ev), res.action == PF_ACT_NOTE ? "note" : "pass",
            observed ? pf_action_name(observed) : NULL, rt->conf->customer_room,
            ct, in, line, key, &seq);
        at[1 + PF_LAT_JOURNAL] = pf_now_ns();
        if (wrc != PF_OK) {
            pf_recovery_failed(r, rt, ev->author_id, ev->author_name,
                               res.msg->ui_lang);
            free(line);
            free(key);
            return;
        }
        if (r->journal)
            pf_recovery_pend_add(r, key, rt->conf->customer_room, ct, in, line,
                                 seq);
        pf_post_customer(r, rt, ev->author_id, ev->author_name, ev->msg_id,
                         ev->alt_id, in, ct, res.msg->ui_lang, line, key,
                         ev->catchup);
        free(line);
        free(key);
        at[1 + PF_LAT_POSTING] = pf_now_ns();
        if (ev->rx_ns && !ev->catchup)
            pf_relay_note_latency(r, at);
        r->stats.relayed++;
        pf_info("relayed on %s from %s (%zu bytes%s%s)", rt->conf->name,
                ev->author_id, strlen(text),
                observed == PF_ACT_BLOCK    ? ", observe mode: would have been "
                                              "blocked"
                : observed                  ? ", observe mode: would have been "
                                              "held"
                : res.action == PF_ACT_NOTE ? ", with a tip"
                                            : "",
                ev->catchup ? ", caught up after a reconnect" : "");
        if (observed) {
            tell_observed(r, rt, ev, &res, &fv);
            r->stats.observed++;
        } else if (res.action == PF_ACT_NOTE) {
            struct pf_buf b = PF_BUF_INIT;
            pf_buf_addstr(
                &b, pf_texts_get(pf_texts_lang(res.msg->ui_lang), PF_T_TIP));
            for (size_t i = 0; i < res.n_found; i++) {
                if (res.found[i].action != PF_ACT_NOTE)
                    continue;
                pf_buf_addf(&b, "%s. ", res.found[i].f.reason);
                if (res.found[i].f.suggestion[0])
                    pf_buf_addf(&b, "%s ", res.found[i].f.suggestion);
                break;
            }
            pf_post_tell(r, rt, ev->author_id, ev->author_name, 1, b.data);
            pf_buf_release(&b);
            r->stats.notes++;
        }
        pf_check_frame_release(&fv);
        return;
    }
    struct pf_hold *h = pf_holds_add(&r->holds);
    h->action = action;
    pf_hold_set(&h->route, rt->conf->name);
    pf_hold_set(&h->author_id, ev->author_id);
    pf_hold_set(&h->author_name, ev->author_name);
    pf_hold_set(&h->text, text);
    pf_hold_set(&h->source_id, ev->msg_id);
    pf_hold_set(&h->source_alt_id, ev->alt_id);
    pf_hold_set(&h->thread, in);
    pf_hold_set(&h->lang, res.msg->ui_lang);
    pf_check_describe(&res, h);
    pf_check_describe_frame(h, &fv);
    h->created_ms = pf_wall_us() / 1000;
    h->expires_ms = h->created_ms + (int64_t)(r->cfg->hold_ttl_s * 1000);
    r->stats.held++;
    pf_info("%s #%u on %s from %s (score %.2f%s)",
            action == PF_ACT_BLOCK ? "blocked" : "held", h->id, rt->conf->name,
            ev->author_id, res.score,
            fv.action >= PF_ACT_HOLD ? ", for what shows around the reply"
                                     : "");
    pf_check_frame_release(&fv);
    pf_recovery_held(r, h, pf_event_id(ev));
    pf_outgoing_kept(r, h);
    pf_outgoing_notice(r, rt, h, 0, 0);
}

/* a new hold: in the history, and counted by its labels */
void
pf_outgoing_kept(struct pf_relay *r, const struct pf_hold *h)
{
    const char *s = h->labels ? h->labels : "";
    pf_history_held(r->history, h);
    while (*s) {
        size_t n = strcspn(s, ",");
        char *one = pf_xasprintf("%.*s", (int)n, s);
        pf_counter_add(&r->metrics.held_by_label, 1, one, NULL);
        free(one);
        s += n + (s[n] == ',');
    }
}
