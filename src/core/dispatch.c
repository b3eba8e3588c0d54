/*
 * dispatch.c - an event from the connector (pf_relay_event): what it is
 * and where it goes. Our own posts arriving, joins and leaves, resume
 * points, messages too big and posts refused are handled here; a message
 * is handled once (ids already seen are skipped). In a customer room a
 * message is mirrored into the internal room, never a command; in an
 * internal room it is a command, a reply (outgoing.c) or backstage talk
 * shown to the plugins; edits, reactions and deletions there decide about
 * holds. A direct message is a command or nothing. A choice made with
 * the chat's own buttons (PF_EV_CHOICE) is commands.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/display.h"
#include "core/journal.h"
#include "core/relay_int.h"
#include "core/service.h"

static int
seen_before(struct pf_relay *r, const char *id)
{
    return id && *id && pf_idset_seen(&r->seen, id);
}

/*
 * A customer is in the internal room of rt, where the team talks about
 * customers and decides what they read: the team is told there, once
 * while they stay, and the log says so.
 */
static void
warn_outsider(struct pf_relay *r, struct pf_route *rt, struct pf_person *p)
{
    if (p->warned)
        return;
    p->warned = 1;
    pf_warn("%s (%s) is in the internal room %s of route '%s' but is not on "
            "the team: they were in a customer room and are not a member of "
            "the internal room. They can read backstage talk and hold "
            "notices there; make the room members-only and take them out",
            p->name, p->id, rt->conf->internal_room, rt->conf->name);
    char *msg = pf_texts_every(PF_UI_FI, PF_T_OUTSIDER, p->name, p->id);
    char *key = pf_post_key(r, "w");
    pf_post_internal(r, rt->conf->internal_room, "", msg, key, 0);
    free(key);
    free(msg);
}

/* someone joined one of rt's rooms (or their name or membership changed) */
static void
joined(struct pf_relay *r, struct pf_route *rt, int internal,
       const struct pf_event *ev)
{
    if (internal) {
        struct pf_person *p = pf_people_join(&rt->team, ev->author_id,
                                             ev->author_name, ev->member);
        if (pf_decide_is_customer(r, rt, p->id))
            warn_outsider(r, rt, p);
        return;
    }
    pf_people_join(&rt->cust, ev->author_id, ev->author_name, ev->member);
    struct pf_person *in = pf_people_find(&rt->team, ev->author_id);
    if (ev->own || pf_decide_is_supervisor(r, ev->author_id) ||
        (in && in->member))
        return;
    pf_idset_seen(&r->customers, ev->author_id);
    /* and in an internal room already? */
    for (size_t i = 0; i < r->n_routes; i++) {
        struct pf_route *o = &r->routes[i];
        struct pf_person *p = pf_people_find(&o->team, ev->author_id);
        if (p && pf_decide_is_customer(r, o, p->id))
            warn_outsider(r, o, p);
    }
}

static void
customer_message(struct pf_relay *r, struct pf_route *rt,
                 const struct pf_event *ev)
{
    if (pf_decide_is_team(r, rt, ev->author_id))
        return; /* the team writing in the customer room: not a customer */
    if (rt->n_ctx == CONTEXT_MSGS) {
        free(rt->ctx[0]);
        memmove(rt->ctx, rt->ctx + 1, (CONTEXT_MSGS - 1) * sizeof(*rt->ctx));
        rt->n_ctx--;
    }
    rt->ctx[rt->n_ctx++] = pf_xstrdup(ev->text);
    /* show plugins the customer's side of the conversation */
    pf_check_observe(r, rt, ev, PF_MSG_CUSTOMER);
    if (rt->conf->mirror) {
        /* every line marked: none can pass for one of the bot's */
        char *line = pf_display_quote(rt->conf->mirror_format, ev->author_name,
                                      ev->text);
        char *key =
            pf_xasprintf("pf-m-%s", ev->msg_id[0] ? ev->msg_id : ev->alt_id);
        /* in the internal thread that answers the customer's thread, or
           starting it */
        const char *cust = pf_threads_of(r, ev);
        const char *in = pf_threads_in(r, cust);
        pf_post_internal(r, rt->conf->internal_room, in, line, key, 0);
        if (!*in && *cust)
            pf_threads_await(r, key, NULL, cust);
        free(key);
        free(line);
        r->stats.mirrored++;
        pf_debug("mirrored a customer message on %s", rt->conf->name);
    }
}

static void
internal_message(struct pf_relay *r, struct pf_route *rt,
                 const struct pf_event *ev)
{
    const char *text = ev->text;
    const char *cp = r->cfg->command_prefix;
    const char *rp = rt->conf->reply_prefix;
    size_t cl = strlen(cp), rl = strlen(rp);
    while (*text == ' ' || *text == '\n' || *text == '\t')
        text++;
    if (strncmp(text, cp, cl) == 0 && text[cl] && text[cl] != ' ') {
        pf_commands_run(r, rt, ev, text + cl);
        return;
    }
    if (rl == 0 || strncmp(text, rp, rl) == 0) {
        const char *body = text + rl;
        while (*body == ' ' || *body == '\n' || *body == '\t')
            body++;
        if (*body && !pf_decide_refuse_anonymous(r, rt, ev))
            pf_outgoing_handle(r, rt, ev, body, 0);
        return;
    }
    /* backstage talk: never sent, shown to the plugins */
    pf_check_observe(r, rt, ev, PF_MSG_BACKSTAGE);
}

/* an edit (XEP-0308 correction) of a held message is an !edit */
static void
edit_event(struct pf_relay *r, struct pf_route *rt, const struct pf_event *ev)
{
    struct pf_hold *h = pf_holds_by_source(&r->holds, ev->ref_id);
    char why[256];
    if (!h)
        return; /* not held: already relayed or backstage */
    if (pf_decide_refuse_anonymous(r, rt, ev))
        return;
    if (!pf_decide_may(r, h, 0, ev->author_id, ev->author_name, why,
                       sizeof(why))) {
        pf_post_reply(r, rt, ev, why);
        return;
    }
    const char *text = ev->text;
    size_t rl = strlen(rt->conf->reply_prefix);
    while (*text == ' ')
        text++;
    if (rl && strncmp(text, rt->conf->reply_prefix, rl) == 0)
        text += rl;
    while (*text == ' ')
        text++;
    if (*text)
        pf_decide_edit(r, rt, h, ev, text);
}

static void
reaction_event(struct pf_relay *r, struct pf_route *rt,
               const struct pf_event *ev)
{
    struct pf_hold *h = pf_holds_by_notice(&r->holds, ev->ref_id);
    char why[256];
    int send = !strcmp(ev->text, "✅") || !strcmp(ev->text, "✔️") ||
               !strcmp(ev->text, "✔") || !strcmp(ev->text, "👍");
    int drop = !strcmp(ev->text, "❌") || !strcmp(ev->text, "✖️") ||
               !strcmp(ev->text, "✖") || !strcmp(ev->text, "👎");
    if (!h || (!send && !drop) || !pf_commands_may(r, rt, ev) ||
        pf_decide_refuse_anonymous(r, rt, ev))
        return;
    if (!pf_decide_may(r, h, send, ev->author_id, ev->author_name, why,
                       sizeof(why))) {
        r->stats.refused++;
        pf_post_reply(r, rt, ev, why);
        return;
    }
    struct pf_route *hrt = pf_relay_route_by_name(r, h->route);
    if (!hrt)
        return;
    if (send)
        pf_decide_send(r, hrt, h, ev);
    else
        pf_decide_drop(r, hrt, h, ev);
}

/*
 * The author deleted (retracted) a message in the internal room: a held
 * one is dropped; a relayed one is deleted from the customer room too.
 */
static void
delete_event(struct pf_relay *r, struct pf_route *rt, const struct pf_event *ev)
{
    struct pf_hold *h = pf_holds_by_source(&r->holds, ev->ref_id);
    char why[256];
    if (ev->anonymous)
        return; /* nobody known deleted anything */
    if (h) {
        if (!pf_decide_may(r, h, 0, ev->author_id, ev->author_name, why,
                           sizeof(why)))
            return;
        struct pf_route *hrt = pf_relay_route_by_name(r, h->route);
        if (hrt)
            pf_decide_drop(r, hrt, h, ev);
        return;
    }
    struct pf_relayed *x = pf_post_relayed_by_source(r, ev->ref_id);
    if (!x || (strcmp(x->author_id, ev->author_id) != 0 &&
               !pf_decide_is_supervisor(r, ev->author_id)))
        return;
    struct pf_route *xrt = pf_relay_route_by_name(r, x->route);
    if (!xrt)
        return;
    if (x->posted_id && x->posted_id[0])
        r->conn->ops->del(r->conn, xrt->conf->customer_room, x->posted_id);
    else
        x->delete_wanted = 1; /* when the post's id is known */
    pf_info("deleted the relayed copy on %s: %s deleted the original",
            xrt->conf->name, ev->author_id);
    pf_post_tell(r, rt, ev->author_id, ev->author_name, 1,
                 pf_texts_get(x->lang, PF_T_DELETED_TOO));
    x->src_id[0] = x->src_alt[0] = '\0'; /* once */
}

/*
 * A message too big to read: its start says who wrote it and where. A
 * reply's author is told it was not sent; a customer's message is
 * announced in the internal room, so nobody waits for an answer to it.
 */
static void
too_big(struct pf_relay *r, const struct pf_event *ev)
{
    int internal;
    struct pf_route *rt = pf_relay_route_by_room(r, ev->room, &internal);
    /* once, live or read back again (the start has the sender's id) */
    char *key = pf_xasprintf("big:%s/%s", ev->room ? ev->room : "dm",
                             ev->alt_id[0] ? ev->alt_id : ev->msg_id);
    int seen = seen_before(r, ev->msg_id) ||
               (ev->alt_id[0] || ev->msg_id[0] ? seen_before(r, key) : 0);
    pf_recovery_handled(r, ev->msg_id);
    free(key);
    if (seen)
        return;
    if (!rt) {
        pf_warn("a message of %zu bytes from %s%s%s, over the %zu the bot "
                "reads, was not read",
                ev->bytes, ev->author_id, ev->room ? " in " : "",
                ev->room ? ev->room : "", ev->limit);
        return;
    }
    if (!internal) {
        pf_warn("a message of %zu bytes from %s (%s) in the customer room %s "
                "of route '%s', over the %zu the bot reads, was not read or "
                "mirrored",
                ev->bytes, ev->author_name, ev->author_id, ev->room,
                rt->conf->name, ev->limit);
        char *both = pf_texts_every(PF_UI_FI, PF_T_TOO_BIG_TO_SHOW, ev->bytes);
        char *what = pf_xasprintf("(%s)", both);
        free(both);
        char *line =
            pf_display_quote(rt->conf->mirror_format, ev->author_name, what);
        char *k = pf_post_key(r, "b");
        pf_post_internal(r, rt->conf->internal_room, "", line, k, 0);
        free(k);
        free(line);
        free(what);
        return;
    }
    const char *text = ev->text, *rp = rt->conf->reply_prefix;
    while (*text == ' ' || *text == '\n' || *text == '\t')
        text++;
    if (*rp && strncmp(text, rp, strlen(rp)) != 0) {
        pf_info("a message of %zu bytes from %s in %s, not a reply, was over "
                "the %zu the bot reads",
                ev->bytes, ev->author_id, ev->room, ev->limit);
        return;
    }
    pf_outgoing_too_long(r, rt, ev, ev->bytes, ev->limit);
}

/*
 * The server refused one of our posts after all, and the connector gave
 * it up. A reply to a customer is not posted again (not after a restart
 * either), and its author is told.
 */
static void
post_failed(struct pf_relay *r, const struct pf_event *ev)
{
    if (pf_recovery_pend_done(r, ev->key))
        pf_recovery_write(r, PF_JREC_SENT,
                          json_pack("{s:s, s:s, s:s, s:b}", "key", ev->key,
                                    "room", ev->room ? ev->room : "", "msg", "",
                                    "failed", 1),
                          0, NULL);
    for (size_t i = 0; i < r->n_relayed; i++) {
        struct pf_relayed *x = &r->relayed[i];
        if (strcmp(x->key, ev->key) != 0)
            continue;
        struct pf_route *rt = pf_relay_route_by_name(r, x->route);
        r->stats.failed++;
        pf_warn("a reply from %s on route '%s' was refused by the chat "
                "server (%s): not sent; its author was told",
                x->author_id, x->route, ev->text);
        /* in the room, not privately: a post waits for the connection
           (the server may be closing this one), a direct message not */
        char *msg =
            pf_texts_fmt(x->lang, PF_T_POST_REFUSED, x->author_name, ev->text);
        char *k = pf_post_key(r, "f");
        if (rt)
            pf_post_internal(r, rt->conf->internal_room, "", msg, k, 0);
        free(k);
        free(msg);
        return;
    }
}

static void
relay_event(struct pf_relay *r, const struct pf_event *ev)
{
    int internal = 0;
    struct pf_route *rt;

    switch (ev->type) {
    case PF_EV_STATE:
        pf_info("chat %s", ev->text);
        pf_service_chat_state(ev->text);
        if (!strcmp(ev->text, "connected") || !strcmp(ev->text, "ready"))
            r->connected = 1;
        else if (!strcmp(ev->text, "disconnected"))
            r->connected = 0;
        if (!strcmp(ev->text, "ready") && !r->recheck_done) {
            r->recheck_done = 1;
            pf_recovery_recheck(r);
        }
        return;
    case PF_EV_POSTED: {
        json_t *sent = json_pack("{s:s, s:s, s:s}", "key", ev->key, "room",
                                 ev->room ? ev->room : "", "msg", ev->msg_id);
        uint64_t seq = 0;
        /* a post to a customer: no longer pending */
        if (pf_recovery_pend_done(r, ev->key))
            pf_recovery_write(r, PF_JREC_SENT, json_incref(sent), 0, &seq);
        pf_recovery_note_cursor(r, ev);
        /* learn the backend id of a notice, for reactions */
        for (size_t i = 0; i < r->holds.n; i++) {
            struct pf_hold *h = r->holds.items[i];
            if (h->notice_key && strcmp(h->notice_key, ev->key) == 0) {
                pf_hold_set(&h->notice_id, ev->msg_id);
                if (!seq)
                    pf_recovery_write(r, PF_JREC_SENT, json_incref(sent), 0,
                                      &seq);
                h->notice_jseq = seq;
            }
        }
        json_decref(sent);
        pf_threads_posted(r, ev->key, ev->msg_id);
        /* and of a relayed message, in case its author deletes it */
        for (size_t i = 0; i < r->n_relayed; i++) {
            struct pf_relayed *x = &r->relayed[i];
            if (strcmp(x->key, ev->key) != 0)
                continue;
            pf_hold_set(&x->posted_id, ev->msg_id);
            if (x->delete_wanted && ev->msg_id[0]) {
                r->conn->ops->del(r->conn, ev->room, ev->msg_id);
                x->delete_wanted = 0;
            }
        }
        return;
    }
    case PF_EV_JOIN:
    case PF_EV_LEAVE:
        rt = pf_relay_route_by_room(r, ev->room, &internal);
        if (!rt)
            return;
        if (ev->type == PF_EV_JOIN)
            joined(r, rt, internal, ev);
        else
            pf_people_leave(internal ? &rt->team : &rt->cust, ev->author_id);
        return;
    case PF_EV_CURSOR: pf_recovery_note_cursor(r, ev); return;
    case PF_EV_TOOBIG: too_big(r, ev); return;
    case PF_EV_FAILED: post_failed(r, ev); return;
    case PF_EV_CHOICE: pf_commands_choice(r, ev); return;
    default: break;
    }
    if (ev->own || seen_before(r, ev->msg_id)) {
        pf_recovery_note_cursor(
            r, ev); /* handled before: the read-back moves on */
        return;
    }
    if (!ev->room) {
        /* a direct message: commands only */
        const char *cp = r->cfg->command_prefix;
        if (ev->type == PF_EV_MESSAGE && strncmp(ev->text, cp, strlen(cp)) == 0)
            pf_commands_run(r, NULL, ev, ev->text + strlen(cp));
        return;
    }
    rt = pf_relay_route_by_room(r, ev->room, &internal);
    if (!rt)
        return;
    if (!internal) {
        /* a customer room: never commands, never reactions */
        if (ev->type == PF_EV_MESSAGE)
            customer_message(r, rt, ev);
    } else {
        switch (ev->type) {
        case PF_EV_MESSAGE: internal_message(r, rt, ev); break;
        case PF_EV_EDIT: edit_event(r, rt, ev); break;
        case PF_EV_REACTION: reaction_event(r, rt, ev); break;
        case PF_EV_DELETE: delete_event(r, rt, ev); break;
        default: break;
        }
    }
    pf_recovery_handled(r, ev->msg_id);
    pf_recovery_note_cursor(r, ev);
    pf_recovery_maybe_compact(r);
}

void
pf_relay_event(void *ud, const struct pf_event *ev)
{
    /* a name as everyone will see it, in notices and in front of a reply:
       one short line (display.h) */
    char *id = pf_display_name(ev->author_id ? ev->author_id : "", "?");
    char *name = pf_display_name(ev->author_name ? ev->author_name : "", id);
    struct pf_event e = *ev;
    e.author_name = name;
    relay_event(ud, &e);
    free(name);
    free(id);
}
