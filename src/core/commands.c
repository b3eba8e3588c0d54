/*
 * commands.c - what people ask of the relay: the chat commands (!send,
 * !edit, !drop, !held, !why, !help) in an internal room or a direct
 * message, and the requests of the control socket (pokerface queue,
 * pokerface status). Commands are the team's; the decisions they ask for
 * are decide.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/control.h"
#include "core/display.h"
#include "core/journal.h"
#include "core/relay_int.h"
#include "core/webapp.h"
#include "text/utf8.h"

static void
help(struct pf_relay *r, struct pf_route *rt, const struct pf_event *ev,
     enum pf_ui_lang lang)
{
    const char *p = r->cfg->command_prefix;
    char *msg = pf_texts_fmt(lang, PF_T_HELP, p, p, p, p, p, p);
    pf_post_reply(r, rt, ev, msg);
    free(msg);
}

static int
cmp_hold_id(const void *a, const void *b)
{
    const struct pf_hold *x = *(const struct pf_hold *const *)a;
    const struct pf_hold *y = *(const struct pf_hold *const *)b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* holds listed in one answer: an answer stays short whatever the queue */
#define HELD_PAGE 10

/* !held [page]: one's holds (a supervisor's: all), oldest first */
static void
list_held(struct pf_relay *r, struct pf_route *rt, const struct pf_event *ev,
          unsigned page)
{
    struct pf_buf b = PF_BUF_INIT;
    int sup = pf_decide_is_supervisor(r, ev->author_id);
    int64_t now = pf_wall_us() / 1000;
    struct pf_hold **v = pf_xmalloc((r->holds.n + 1) * sizeof(*v));
    size_t n = 0;
    for (size_t i = 0; i < r->holds.n; i++) {
        struct pf_hold *h = r->holds.items[i];
        if (!sup && strcmp(h->author_id, ev->author_id) != 0)
            continue;
        if (rt && strcmp(h->route, rt->conf->name) != 0 && !sup)
            continue;
        v[n++] = h;
    }
    qsort(v, n, sizeof(*v), cmp_hold_id);
    size_t pages = (n + HELD_PAGE - 1) / HELD_PAGE;
    if (page < 1)
        page = 1;
    for (size_t i = (size_t)(page - 1) * HELD_PAGE;
         i < n && i < (size_t)page * HELD_PAGE; i++) {
        const struct pf_hold *h = v[i];
        char *excerpt = pf_display_line(h->text, 64, "");
        pf_buf_addf(
            &b, "%s#%u %s (%s, %ld min): %s", b.len ? "\n" : "", h->id,
            pf_texts_get(PF_UI_EN, h->action == PF_ACT_BLOCK ? PF_T_LIST_BLOCKED
                                                             : PF_T_LIST_HELD),
            h->author_name, (long)((now - h->created_ms) / 60000), excerpt);
        free(excerpt);
    }
    char *pg = NULL;
    if (pages > 1 && page < pages) {
        pg = pf_texts_every(PF_UI_EN, PF_T_HELD_PAGE_NEXT, n, page, pages,
                            r->cfg->command_prefix, page + 1);
        pf_buf_addf(&b, "\n(%s)", pg);
    } else if (pages > 1 || (page > 1 && n)) {
        pg = pf_texts_every(PF_UI_EN, PF_T_HELD_PAGE, n, page, pages);
        pf_buf_addf(&b, "%s(%s)", b.len ? "\n" : "", pg);
    }
    free(pg);
    pf_post_reply(r, rt, ev,
                  b.data ? b.data : pf_texts_get(PF_UI_EN, PF_T_NO_HELD));
    pf_buf_release(&b);
    free(v);
}

/*
 * !web: a one-time sign-in link to the review page, privately (in the
 * room, anyone could use it first): someone who cannot be written to
 * privately gets none.
 */
static void
web_link(struct pf_relay *r, struct pf_route *rt, const struct pf_event *ev)
{
    if (!r->webapp) {
        char *msg = pf_texts_every(PF_UI_EN, PF_T_WEB_OFF);
        pf_post_reply(r, rt, ev, msg);
        free(msg);
        return;
    }
    if (ev == r->ctl_ev || !pf_post_addressable(r, ev->author_id)) {
        pf_info("web: no sign-in link for %s: not addressable privately",
                ev->author_id);
        char *msg = pf_texts_every(PF_UI_EN, PF_T_WEB_NO_DIRECT);
        pf_post_reply(r, rt, ev, msg);
        free(msg);
        return;
    }
    char *url = pf_webapp_link(r->webapp, ev->author_id, ev->author_name);
    int minutes = (int)((r->cfg->web.link_ttl_s + 59) / 60);
    char *en = pf_texts_fmt(PF_UI_EN, PF_T_WEB_LINK, minutes, url);
    char *fi = pf_texts_fmt(PF_UI_FI, PF_T_WEB_LINK, minutes, url);
    char *msg = pf_xasprintf("%s\n%s", en, fi);
    r->conn->ops->direct(r->conn, ev->author_id, msg);
    free(msg);
    free(en);
    free(fi);
    free(url);
    if (ev->room) {
        char *said = pf_texts_every(PF_UI_EN, PF_T_WEB_SENT);
        pf_post_reply(r, rt, ev, said);
        free(said);
    }
}

/* "!cmd N rest": parse N; *rest points after it */
static int
parse_id(const char *s, unsigned *id, const char **rest)
{
    while (*s == ' ')
        s++;
    if (*s == '#')
        s++;
    if (*s < '0' || *s > '9')
        return 0;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (v == 0 || v > 0xFFFFFFFFu || (*end && *end != ' ' && *end != '\n'))
        return 0;
    *id = (unsigned)v;
    while (*end == ' ' || *end == '\n')
        end++;
    *rest = end;
    return 1;
}

/*
 * Commands are the team's. Anyone else gets one answer, the same whatever
 * they asked: nothing in it says whether a hold exists, its number or its
 * author. In an internal room that is a customer who got in (someone
 * there may have written a command while the bot was away and be gone
 * since: being in the room now is not asked); privately, anyone who is
 * neither a supervisor nor on the team of some route now. 0 when that
 * answer was given.
 */
int
pf_commands_may(struct pf_relay *r, struct pf_route *rt,
                const struct pf_event *ev)
{
    if (ev == r->ctl_ev || (rt ? !pf_decide_is_customer(r, rt, ev->author_id)
                               : pf_decide_team_anywhere(r, ev->author_id)))
        return 1;
    pf_info("a command from %s, who is not on the team%s%s: answered that "
            "there are none for them",
            ev->author_id, rt ? " of route " : "", rt ? rt->conf->name : "");
    char *msg = pf_texts_every(PF_UI_FI, PF_T_NOT_FOR_YOU);
    pf_post_reply(r, rt, ev, msg);
    free(msg);
    return 0;
}

void
pf_commands_run(struct pf_relay *r, struct pf_route *rt,
                const struct pf_event *ev, const char *cmdline)
{
    char word[16];
    size_t n = 0;
    while (cmdline[n] && cmdline[n] != ' ' && cmdline[n] != '\n' &&
           n + 1 < sizeof(word)) {
        word[n] = cmdline[n];
        n++;
    }
    word[n] = '\0';
    const char *args = cmdline + n;
    unsigned id;
    const char *rest = "";
    char why[256];

    if (!pf_commands_may(r, rt, ev))
        return;
    if (!strcmp(word, "help") || !strcmp(word, "apua")) {
        help(r, rt, ev, !strcmp(word, "apua") ? PF_UI_FI : PF_UI_EN);
        return;
    }
    if (pf_decide_refuse_anonymous(r, rt, ev))
        return;
    if (!strcmp(word, "web")) {
        web_link(r, rt, ev);
        return;
    }
    if (!strcmp(word, "held")) {
        unsigned page = 1;
        const char *after;
        if (!parse_id(args, &page, &after))
            page = 1;
        list_held(r, rt, ev, page);
        return;
    }
    if (strcmp(word, "send") && strcmp(word, "edit") && strcmp(word, "drop") &&
        strcmp(word, "why")) {
        char *msg =
            pf_texts_fmt(PF_UI_EN, PF_T_UNKNOWN_COMMAND, r->cfg->command_prefix,
                         word, r->cfg->command_prefix);
        pf_post_reply(r, rt, ev, msg);
        free(msg);
        return;
    }
    if (!parse_id(args, &id, &rest)) {
        char *msg = pf_texts_fmt(PF_UI_EN, PF_T_WHICH_ONE,
                                 r->cfg->command_prefix, word);
        pf_post_reply(r, rt, ev, msg);
        free(msg);
        return;
    }
    struct pf_hold *h = pf_holds_get(&r->holds, id);
    if (!h && ev->catchup)
        return; /* decided before a restart: read back, nothing to say */
    if (!h) {
        char msg[120];
        pf_texts_snprintf(msg, sizeof(msg), PF_UI_EN, PF_T_NO_SUCH_HOLD, id);
        pf_post_reply(r, rt, ev, msg);
        return;
    }
    struct pf_route *hrt = pf_relay_route_by_name(r, h->route);
    if (!hrt)
        return;
    if (!strcmp(word, "why")) {
        if (!pf_decide_is_supervisor(r, ev->author_id) &&
            strcmp(h->author_id, ev->author_id) != 0 &&
            !pf_decide_is_team(r, hrt, ev->author_id)) {
            pf_post_reply(r, rt, ev,
                          pf_texts_get(PF_UI_EN, PF_T_WHY_TEAM_ONLY));
            return;
        }
        char *msg = pf_xasprintf("#%u:\n%s", h->id, h->details);
        pf_post_reply(r, rt, ev, msg);
        free(msg);
        return;
    }
    if (!pf_decide_may(r, h, !strcmp(word, "send"), ev->author_id,
                       ev->author_name, why, sizeof(why))) {
        r->stats.refused++;
        pf_info("refused %s%s #%u from %s", r->cfg->command_prefix, word, h->id,
                ev->author_id);
        pf_post_reply(r, rt, ev, why);
        return;
    }
    if (!strcmp(word, "send")) {
        pf_decide_send(r, hrt, h, ev);
    } else if (!strcmp(word, "drop")) {
        pf_decide_drop(r, hrt, h, ev);
    } else {
        if (!*rest) {
            pf_post_reply(
                r, rt, ev,
                pf_texts_get(pf_texts_lang(h->lang), PF_T_GIVE_NEW_TEXT));
            return;
        }
        pf_decide_edit(r, hrt, h, ev, rest);
    }
}

/*
 * The answer to a choice, to the one who chose alone where the chat can
 * (done: a form is closed), else where a command's answer goes.
 */
static void
choice_answer(struct pf_relay *r, struct pf_route *rt,
              const struct pf_event *ev, const char *text, int done)
{
    if (r->conn->ops->answer && ev->handle)
        r->conn->ops->answer(r->conn, ev->handle, text, done);
    else if (text)
        pf_post_reply(r, rt, ev, text);
}

/* "hold:N:E" (a notice's key, offer() in outgoing.c); 0 when it is not */
static int
parse_choice_key(const char *key, unsigned *id, unsigned *edits)
{
    if (strncmp(key, "hold:", 5) != 0)
        return 0;
    const char *p = key + 5;
    char *end;
    if (*p < '1' || *p > '9')
        return 0;
    unsigned long v = strtoul(p, &end, 10);
    if (v > 0xFFFFFFFFu || *end != ':' || end[1] < '0' || end[1] > '9')
        return 0;
    const char *q = end + 1;
    unsigned long e = strtoul(q, &end, 10);
    if (e > 0xFFFFFFFFu || *end || end - q > 10)
        return 0;
    *id = (unsigned)v;
    *edits = (unsigned)e;
    return 1;
}

/*
 * A choice made with the chat's own controls (PF_EV_CHOICE): a button of
 * a hold's notice, or the edit form's submission. Whatever the button
 * says, it is a request like a command's and goes through the same
 * checks: the key must name a hold held now (Send as is: with the text
 * its notice showed); only
 * its author or a supervisor decides; only a supervisor sends a blocked
 * message as it is. An edit is checked again, as !edit's.
 */
void
pf_commands_choice(struct pf_relay *r, const struct pf_event *ev)
{
    int internal = 0;
    struct pf_route *rt =
        ev->room ? pf_relay_route_by_room(r, ev->room, &internal) : NULL;
    const char *c = ev->choice ? ev->choice : "";
    int edited = !strcmp(c, "edited");
    unsigned id, edits;
    char why[400];
    if (!rt || !internal) {
        r->stats.refused++;
        pf_warn("refused a choice (%s) from %s in %s: not an internal room", c,
                ev->author_id, ev->room ? ev->room : "a direct message");
        choice_answer(r, NULL, ev, pf_texts_get(PF_UI_EN, PF_T_NOT_FOR_YOU), 0);
        return;
    }
    if (strcmp(c, "send") && strcmp(c, "drop") && strcmp(c, "edit") &&
        !edited) {
        pf_warn("refused a choice from %s on %s: unknown choice '%s'",
                ev->author_id, rt->conf->name, c);
        pf_texts_snprintf(why, sizeof(why), PF_UI_EN, PF_T_UNKNOWN_CHOICE,
                          r->cfg->command_prefix);
        choice_answer(r, rt, ev, why, 0);
        return;
    }
    if (!parse_choice_key(ev->key, &id, &edits)) {
        r->stats.refused++;
        pf_warn("refused a choice (%s) from %s on %s: '%.64s' names no hold", c,
                ev->author_id, rt->conf->name, ev->key);
        pf_texts_snprintf(why, sizeof(why), PF_UI_EN, PF_T_UNKNOWN_CHOICE,
                          r->cfg->command_prefix);
        choice_answer(r, rt, ev, why, 0);
        return;
    }
    if (!pf_commands_may(r, rt, ev) || pf_decide_refuse_anonymous(r, rt, ev))
        return;
    struct pf_hold *h = pf_holds_get(&r->holds, id);
    if (!h) {
        pf_info("refused a choice (%s) of #%u from %s: no such hold (decided "
                "already?)",
                c, id, ev->author_id);
        pf_texts_snprintf(why, sizeof(why), PF_UI_EN, PF_T_NO_SUCH_HOLD, id);
        choice_answer(r, rt, ev, why, 0);
        return;
    }
    struct pf_route *hrt = pf_relay_route_by_name(r, h->route);
    if (!hrt)
        return;
    if (!pf_decide_may(r, h, !strcmp(c, "send"), ev->author_id, ev->author_name,
                       why, sizeof(why))) {
        r->stats.refused++;
        pf_info("refused the button %s on #%u from %s", c, h->id,
                ev->author_id);
        choice_answer(r, rt, ev, why, 0);
        return;
    }
    enum pf_ui_lang l = pf_texts_lang(h->lang);
    /* Send as is sends the text its notice showed, or nothing: after an
       edit, an older notice's button would send a text its clicker did
       not see. Edit and drop are about the message, whatever its text */
    if (!strcmp(c, "send") && edits != h->edits) {
        pf_info("refused the button %s on #%u from %s: a notice older than "
                "edit %u",
                c, h->id, ev->author_id, h->edits);
        pf_texts_snprintf(why, sizeof(why), l, PF_T_STALE_CHOICE, h->id);
        choice_answer(r, rt, ev, why, 0);
        return;
    }
    pf_info("%s #%u chosen with a button by %s", c, h->id, ev->author_id);
    if (!strcmp(c, "send")) {
        pf_decide_send(r, hrt, h, ev);
    } else if (!strcmp(c, "drop")) {
        pf_decide_drop(r, hrt, h, ev);
    } else if (!edited) {
        char *title = pf_texts_fmt(l, PF_T_FORM_TITLE, h->id);
        struct pf_form f = {ev->key,
                            title,
                            pf_texts_get(l, PF_T_FORM_LABEL),
                            pf_texts_get(l, PF_T_FORM_SUBMIT),
                            pf_texts_get(l, PF_T_FORM_CANCEL),
                            h->text};
        int rc = r->conn->ops->edit_form
                     ? r->conn->ops->edit_form(r->conn, ev->handle, &f)
                     : PF_EINVAL;
        free(title);
        if (rc != PF_OK) {
            pf_texts_snprintf(why, sizeof(why), l, PF_T_FORM_TOO_LONG,
                              r->cfg->command_prefix, h->id);
            choice_answer(r, rt, ev, why, 0);
        }
    } else {
        const char *text = ev->text;
        while (*text == ' ' || *text == '\n' || *text == '\t')
            text++;
        size_t bad;
        if (!*text || !pf_utf8_valid(text, strlen(text), &bad)) {
            choice_answer(r, rt, ev, pf_texts_get(l, PF_T_GIVE_NEW_TEXT), 0);
            return;
        }
        unsigned before = h->edits;
        pf_decide_edit(r, hrt, h, ev, text);
        h = pf_holds_get(&r->holds, id);
        if (!h || h->edits == before) {
            /* sent, or the journal refused it (its author was told) */
            choice_answer(r, rt, ev, NULL, 1);
            return;
        }
        pf_texts_snprintf(why, sizeof(why), pf_texts_lang(h->lang),
                          PF_T_FORM_STILL_HELD, h->id, h->why);
        choice_answer(r, rt, ev, why, 0);
    }
}

json_t *
pf_relay_control(struct pf_relay *r, json_t *req, const char *user)
{
    const char *cmd = json_string_value(json_object_get(req, "cmd"));
    if (!cmd)
        return pf_control_error("a request needs \"cmd\"");
    if (!strcmp(cmd, "list")) {
        struct pf_hold **v = pf_xmalloc((r->holds.n + 1) * sizeof(*v));
        memcpy(v, r->holds.items, r->holds.n * sizeof(*v));
        qsort(v, r->holds.n, sizeof(*v), cmp_hold_id);
        json_t *a = json_array();
        for (size_t i = 0; i < r->holds.n; i++) {
            json_t *o = pf_recovery_hold_json(v[i], 0);
            json_object_set_new(o, "text", json_string(v[i]->text));
            json_array_append_new(a, o);
        }
        free(v);
        return json_pack("{s:b, s:o}", "ok", 1, "holds", a);
    }
    if (!strcmp(cmd, "status")) {
        const struct pf_relay_stats *st = &r->stats;
        json_t *routes = json_array();
        for (size_t i = 0; i < r->n_routes; i++)
            json_array_append_new(
                routes,
                json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "name",
                          r->routes[i].conf->name, "mode",
                          r->routes[i].conf->observe ? "observe" : "enforce",
                          "customer_room", r->routes[i].conf->customer_room,
                          "internal_room", r->routes[i].conf->internal_room,
                          "team", (json_int_t)r->routes[i].team.n,
                          "customer_side", (json_int_t)r->routes[i].cust.n));
        json_t *backends = json_pack("[{s:s, s:b}]", "type", r->conn->ops->name,
                                     "connected", r->conn->ops->ready(r->conn));
        json_t *o = json_pack(
            "{s:b, s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
            "s:I}, s:I, s:I}",
            "ok", 1, "backends", backends, "routes", routes, "counts", "held",
            (json_int_t)r->holds.n, "held_total", (json_int_t)st->held,
            "relayed", (json_int_t)st->relayed, "observed",
            (json_int_t)st->observed, "reloads", (json_int_t)st->reloads,
            "sent", (json_int_t)st->sent, "dropped", (json_int_t)st->dropped,
            "expired", (json_int_t)st->expired, "refused",
            (json_int_t)st->refused, "pending", (json_int_t)r->n_pend,
            "uptime_s",
            (json_int_t)((pf_wall_us() / 1000 - r->started_ms) / 1000),
            "journal_bytes",
            (json_int_t)(r->journal ? pf_journal_size(r->journal) : 0));
        json_object_set_new(o, "checks", pf_engine_status(r->engine));
        return o;
    }
    if (!strcmp(cmd, "web-login")) {
        if (!r->webapp)
            return pf_control_error(
                "the review page is not enabled: add \"web\" to the "
                "configuration and restart the bot");
        char *who = pf_xasprintf("local:%s", user);
        char *url = pf_webapp_link(r->webapp, who, user);
        json_t *o = json_pack("{s:b, s:s, s:f}", "ok", 1, "url", url, "valid_s",
                              r->cfg->web.link_ttl_s);
        free(url);
        free(who);
        return o;
    }
    json_t *jid = json_object_get(req, "id");
    if (!json_is_integer(jid) || json_integer_value(jid) <= 0 ||
        json_integer_value(jid) > 0xFFFFFFFF)
        return pf_control_error("'%s' needs \"id\", a hold number", cmd);
    unsigned id = (unsigned)json_integer_value(jid);
    struct pf_hold *h = pf_holds_get(&r->holds, id);
    if (!h)
        return pf_control_error("no held message #%u (it may have been decided "
                                "already)",
                                id);
    if (!strcmp(cmd, "show")) {
        json_t *o = pf_recovery_hold_json(h, 1);
        json_object_set_new(o, "ok", json_true());
        return o;
    }
    const char *text = json_string_value(json_object_get(req, "text"));
    if (strcmp(cmd, "send") && strcmp(cmd, "drop") && strcmp(cmd, "edit"))
        return pf_control_error("unknown command '%s' (list, show, send, edit, "
                                "drop, status)",
                                cmd);
    if (!strcmp(cmd, "edit")) {
        if (!text || !*text)
            return pf_control_error("edit needs \"text\", the new text");
        size_t bad;
        if (!pf_utf8_valid(text, strlen(text), &bad))
            return pf_control_error(
                "the new text is not valid UTF-8 (byte %zu)", bad);
    }
    struct pf_route *rt = pf_relay_route_by_name(r, h->route);
    if (!rt)
        return pf_control_error("#%u belongs to route '%s', which is no longer "
                                "configured",
                                id, h->route);
    if (!r->conn->ops->ready(r->conn) && strcmp(cmd, "drop"))
        return pf_control_error(
            "the chat is not connected; try again in a moment");
    char *who = pf_xasprintf("local:%s", user);
    struct pf_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = PF_EV_MESSAGE;
    ev.thread = ev.msg_id = ev.alt_id = ev.ref_id = ev.key = "";
    ev.author_id = who;
    ev.author_name = user;
    ev.text = text ? text : "";
    r->ctl_ev = &ev;
    pf_buf_init(&r->ctl_answer);
    pf_info("%s #%u decided on the control socket by %s", cmd, id, user);
    if (!strcmp(cmd, "send"))
        pf_decide_send(r, rt, h, &ev);
    else if (!strcmp(cmd, "drop"))
        pf_decide_drop(r, rt, h, &ev);
    else
        pf_decide_edit(r, rt, h, &ev, text);
    r->ctl_ev = NULL;
    const struct pf_hold *still = pf_holds_get(&r->holds, id);
    json_t *o =
        json_pack("{s:b, s:s, s:s}", "ok", 1, "state",
                  !still ? (!strcmp(cmd, "drop") ? "dropped" : "sent")
                  : !strcmp(cmd, "edit") ? "held"
                                         : "unchanged",
                  "message", r->ctl_answer.data ? r->ctl_answer.data : "");
    pf_buf_release(&r->ctl_answer);
    free(who);
    return o;
}
