/*
 * slack_interact.c - the Slack connector's buttons and forms. offer()
 * shows a user alone (chat.postEphemeral) a text with Block Kit buttons
 * whose value is the relay's key; a click comes over Socket Mode as a
 * block_actions envelope and goes to the relay as PF_EV_CHOICE. Edit's
 * answer is a modal (views.open with the click's trigger_id, prefilled
 * with the text); its submission (view_submission) is PF_EV_CHOICE
 * "edited". The relay answers with answer(): to a click, an ephemeral
 * message; to a submission, the payload of the envelope's ack
 * (response_action "errors" keeps the modal open and says what is wrong
 * under the text, "clear" closes it).
 *
 * Invariants:
 *  - every interactive envelope is acknowledged once: a click at once,
 *    before it is handled; a submission once it was handled (handling is
 *    synchronous, so well within Slack's three seconds), with the answer;
 *  - one interaction (its trigger_id) is handled once, however often its
 *    envelope comes;
 *  - a payload is a request, nothing more: the button's value goes to
 *    the relay as it came and the relay decides who may do what; who
 *    clicked is the user Slack names. Payloads that are not ours or lack
 *    a field are logged and skipped.
 * Called by slack_events.c (pf_slack_interact_feed) and through the
 * connector's ops (slack.c's table).
 */
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/util.h"
#include "connectors/slack_int.h"
#include "pokerface/plugin.h"

#define SECTION_MAX 3000 /* characters of a section block's text */
#define INPUT_MAX 3000   /* of a plain_text_input's value */
#define TITLE_MAX 24     /* of a modal's title */
#define LABEL_MAX 75     /* of a button's text */
#define CALLBACK_ID "pf_edit"
#define TEXT_BLOCK "pf_text"

/* characters (code points) of UTF-8 text */
static size_t
runes(const char *t)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)t; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

/* t cut to at most max characters, an ellipsis at the end if cut */
static char *
cut(const char *t, size_t max)
{
    if (runes(t) <= max)
        return pf_xstrdup(t);
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)t;
    for (; *p; p++) {
        if ((*p & 0xC0) != 0x80 && ++n > max - 1)
            break;
    }
    return pf_xasprintf("%.*s\xe2\x80\xa6", (int)(p - (const unsigned char *)t),
                        t);
}

static json_t *
plain(const char *text, size_t max)
{
    char *c = cut(text, max);
    json_t *o = json_pack("{s:s, s:s, s:b}", "type", "plain_text", "text", c,
                          "emoji", 1);
    free(c);
    return o;
}

static void
on_done(struct slack *s, struct call *q, const struct pf_http_resp *r,
        json_t *o)
{
    char buf[32];
    (void)s;
    if (!pf_slack_ok(r, o))
        pf_warn("slack: %s: %s", q->method,
                pf_slack_why(r, o, buf, sizeof(buf)));
}

/* an ephemeral message to user in channel (thread_ts may be "") */
static void
ephemeral(struct slack *s, const char *channel, const char *thread_ts,
          const char *user, const char *text, json_t *blocks)
{
    char *esc = pf_slack_escape(text);
    char *c = cut(esc, MAX_POST_RUNES);
    json_t *o = json_pack("{s:s, s:s, s:s}", "channel", channel, "user", user,
                          "text", c);
    if (thread_ts && *thread_ts)
        json_object_set_new(o, "thread_ts", json_string(thread_ts));
    if (blocks)
        json_object_set_new(o, "blocks", blocks);
    pf_slack_call_go(pf_slack_api_json(s, "chat.postEphemeral", o, on_done));
    free(c);
    free(esc);
}

static json_t *
button(const char *action_id, const char *label, const char *value,
       const char *style)
{
    json_t *b =
        json_pack("{s:s, s:s, s:o, s:s}", "type", "button", "action_id",
                  action_id, "text", plain(label, LABEL_MAX), "value", value);
    if (style)
        json_object_set_new(b, "style", json_string(style));
    return b;
}

int
pf_slack_interact_offer(struct pf_connector *c, const struct pf_offer *o)
{
    struct slack *s = (struct slack *)c;
    struct room *r = o->room ? pf_slack_room_by_name(s, o->room) : NULL;
    if (!r || !r->id || !pf_slack_is_user(o->user_id) || !o->key ||
        strlen(o->key) > 2000)
        return PF_EINVAL;
    const char *thread_ts =
        o->thread && *o->thread ? pf_slack_id_ts(o->thread, r->id) : NULL;
    json_t *buttons = json_array();
    if (o->send)
        json_array_append_new(buttons,
                              button("pf_send", o->send, o->key, "primary"));
    if (o->edit)
        json_array_append_new(buttons,
                              button("pf_edit", o->edit, o->key, NULL));
    if (o->drop)
        json_array_append_new(buttons,
                              button("pf_drop", o->drop, o->key, "danger"));
    char *esc = pf_slack_escape(o->text);
    char *sec = cut(esc, SECTION_MAX);
    json_t *blocks = json_pack(
        "[{s:s, s:s, s:{s:s, s:s}}, {s:s, s:s, s:o}]", "type", "section",
        "block_id", "pf_notice", "text", "type", "mrkdwn", "text", sec, "type",
        "actions", "block_id", "pf_choices", "elements", buttons);
    ephemeral(s, r->id, thread_ts, o->user_id, o->text, blocks);
    free(sec);
    free(esc);
    return PF_OK;
}

/* the interaction handle names, while its event is handled; else NULL */
static struct interaction *
current(struct slack *s, const char *handle)
{
    return s->act.active && handle && strcmp(handle, s->act.handle) == 0
               ? &s->act
               : NULL;
}

int
pf_slack_interact_edit_form(struct pf_connector *c, const char *handle,
                            const struct pf_form *f)
{
    struct slack *s = (struct slack *)c;
    struct interaction *a = current(s, handle);
    if (!a || a->form || !f->key)
        return PF_EINVAL;
    if (runes(f->text) > INPUT_MAX)
        return PF_ETOOBIG;
    json_t *meta = json_pack("{s:s, s:s, s:s}", "key", f->key, "channel",
                             a->channel, "thread_ts", a->thread_ts);
    char *pm = json_dumps(meta, JSON_COMPACT);
    json_decref(meta);
    if (strlen(pm) > 3000) { /* Slack's limit for private_metadata */
        free(pm);
        return PF_ETOOBIG;
    }
    json_t *view = json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:o, s:[{s:s, s:s, s:o, s:{s:s, s:s, "
        "s:b, s:s, s:i}}]}",
        "type", "modal", "callback_id", CALLBACK_ID, "private_metadata", pm,
        "title", plain(f->title, TITLE_MAX), "submit", plain(f->submit, 24),
        "close", plain(f->cancel, 24), "blocks", "type", "input", "block_id",
        TEXT_BLOCK, "label", plain(f->label, 2000), "element", "type",
        "plain_text_input", "action_id", TEXT_BLOCK, "multiline", 1,
        "initial_value", f->text, "max_length", INPUT_MAX);
    free(pm);
    pf_slack_call_go(pf_slack_api_json(
        s, "views.open",
        json_pack("{s:s, s:o}", "trigger_id", a->handle, "view", view),
        on_done));
    return PF_OK;
}

void
pf_slack_interact_answer(struct pf_connector *c, const char *handle,
                         const char *text, int done)
{
    struct slack *s = (struct slack *)c;
    struct interaction *a = current(s, handle);
    if (!a)
        return;
    if (a->form) {
        json_decref(a->response);
        if (done) {
            a->response = json_pack("{s:s}", "response_action", "clear");
        } else {
            char *e = cut(text ? text : "", 2000);
            a->response = json_pack("{s:s, s:{s:s}}", "response_action",
                                    "errors", "errors", TEXT_BLOCK, e);
            free(e);
        }
        return;
    }
    if (text && *text && *a->channel)
        ephemeral(s, a->channel, a->thread_ts, a->user, text, NULL);
}

/* the interaction under way; its event is emitted by the caller */
static void
begin(struct slack *s, int form, const char *handle, const char *user,
      const char *channel, const char *thread_ts)
{
    struct interaction *a = &s->act;
    json_decref(a->response);
    memset(a, 0, sizeof(*a));
    a->active = 1;
    a->form = form;
    pf_snprintf(a->handle, sizeof(a->handle), "%s", handle);
    pf_snprintf(a->user, sizeof(a->user), "%s", user);
    pf_snprintf(a->channel, sizeof(a->channel), "%s", channel);
    pf_snprintf(a->thread_ts, sizeof(a->thread_ts), "%s", thread_ts);
}

/* emit the choice; the interaction ends with it */
static void
choose(struct slack *s, const char *channel, const char *thread_ts,
       const json_t *user, const char *choice, const char *key,
       const char *text, long long rx_ns)
{
    const char *uid = pf_json_str(user, "id");
    struct room *r = pf_slack_room_by_channel(s, channel);
    const char *name = pf_slack_user_name(s, uid);
    if (!name || !*name)
        name = pf_json_str(user, "username");
    char *thread =
        *thread_ts && r ? pf_slack_msg_id(channel, thread_ts) : pf_xstrdup("");
    struct pf_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = PF_EV_CHOICE;
    ev.room = r ? r->name : NULL;
    ev.thread = thread;
    ev.author_id = uid;
    ev.author_name = *name ? name : uid;
    ev.text = text;
    ev.key = key;
    ev.choice = choice;
    ev.handle = s->act.handle;
    ev.ts_ms = pf_wall_us() / 1000;
    ev.rx_ns = rx_ns;
    pf_slack_emit(s, &ev);
    s->act.active = 0;
    free(thread);
}

/* Slack's ids are short; one that is not is not Slack's */
static int
short_field(const char *v, size_t max)
{
    return *v && strlen(v) < max;
}

static void
click(struct slack *s, const json_t *p, long long rx_ns)
{
    const json_t *user = json_object_get(p, "user");
    const json_t *actions = json_object_get(p, "actions");
    const json_t *a = json_array_get(actions, 0);
    const json_t *cont = json_object_get(p, "container");
    const char *uid = pf_json_str(user, "id");
    const char *aid = pf_json_str(a, "action_id");
    const char *trigger = pf_json_str(p, "trigger_id");
    const char *channel = pf_json_str(cont, "channel_id");
    const char *thread_ts = pf_json_str(cont, "thread_ts");
    if (!*channel)
        channel = pf_json_str(json_object_get(p, "channel"), "id");
    const char *choice = !strcmp(aid, "pf_send")   ? "send"
                         : !strcmp(aid, "pf_edit") ? "edit"
                         : !strcmp(aid, "pf_drop") ? "drop"
                                                   : NULL;
    if (!json_is_object(a) || !*aid) {
        pf_warn("slack: a block_actions payload without an action; skipped");
        return;
    }
    if (!choice) {
        pf_info("slack: a click on '%.64s', not a button of pokerface's; "
                "skipped",
                aid);
        return;
    }
    if (!pf_slack_is_user(uid) ||
        !short_field(trigger, sizeof(s->act.handle)) ||
        !pf_slack_is_channel(channel) ||
        (*thread_ts && pf_slack_ts_us(thread_ts) < 0) ||
        !json_is_string(json_object_get(a, "value"))) {
        pf_warn("slack: a click on %s without a user, trigger_id, channel or "
                "value Slack would give; refused",
                aid);
        return;
    }
    if (pf_slack_ring_seen(s->triggers, TRIGGERS_MAX, &s->triggers_at,
                           trigger)) {
        pf_info("slack: the click %.40s came again; handled once", trigger);
        return;
    }
    begin(s, 0, trigger, uid, channel, thread_ts);
    choose(s, channel, thread_ts, user, choice, pf_json_str(a, "value"), "",
           rx_ns);
}

/* a view_submission: handled, then acknowledged with the answer */
static void
submission(struct slack *s, const char *env_id, const json_t *p,
           long long rx_ns)
{
    const json_t *view = json_object_get(p, "view");
    const json_t *user = json_object_get(p, "user");
    const char *uid = pf_json_str(user, "id");
    const char *trigger = pf_json_str(p, "trigger_id");
    const char *vid = pf_json_str(view, "id");
    const char *handle = *trigger ? trigger : vid;
    if (strcmp(pf_json_str(view, "callback_id"), CALLBACK_ID) != 0) {
        pf_info("slack: a view_submission of another view ('%.64s'); "
                "acknowledged and skipped",
                pf_json_str(view, "callback_id"));
        pf_slack_events_ack(s, env_id, NULL);
        return;
    }
    json_t *meta = json_loads(pf_json_str(view, "private_metadata"), 0, NULL);
    const char *key = pf_json_str(meta, "key");
    const char *channel = pf_json_str(meta, "channel");
    const char *thread_ts = pf_json_str(meta, "thread_ts");
    const json_t *input = json_object_get(
        json_object_get(
            json_object_get(json_object_get(view, "state"), "values"),
            TEXT_BLOCK),
        TEXT_BLOCK);
    const json_t *value = json_object_get(input, "value");
    if (!pf_slack_is_user(uid) || !short_field(handle, sizeof(s->act.handle)) ||
        !*key || !pf_slack_is_channel(channel) ||
        (*thread_ts && pf_slack_ts_us(thread_ts) < 0) ||
        !(json_is_string(value) || json_is_null(value) || !value) ||
        !json_is_object(input)) {
        pf_warn("slack: a view_submission of pokerface's edit form without "
                "a user, trigger_id, its private_metadata or its text; "
                "refused");
        pf_slack_events_ack(s, env_id, NULL);
        json_decref(meta);
        return;
    }
    if (pf_slack_ring_seen(s->triggers, TRIGGERS_MAX, &s->triggers_at,
                           handle)) {
        pf_info("slack: the submission %.40s came again; handled once", handle);
        pf_slack_events_ack(s, env_id, NULL);
        json_decref(meta);
        return;
    }
    begin(s, 1, handle, uid, channel, thread_ts);
    choose(s, channel, thread_ts, user, "edited", key,
           json_is_string(value) ? json_string_value(value) : "", rx_ns);
    pf_slack_events_ack(s, env_id, s->act.response);
    json_decref(s->act.response);
    s->act.response = NULL;
    json_decref(meta);
}

void
pf_slack_interact_feed(struct slack *s, const char *env_id,
                       const json_t *payload, long long rx_ns)
{
    const char *type = pf_json_str(payload, "type");
    if (strcmp(type, "view_submission") == 0) {
        submission(s, env_id, payload, rx_ns);
        return;
    }
    pf_slack_events_ack(s, env_id, NULL);
    if (!json_is_object(payload))
        pf_warn("slack: an interactive envelope without a payload; skipped");
    else if (strcmp(type, "block_actions") == 0)
        click(s, payload, rx_ns);
    else
        pf_info("slack: an interactive '%.64s' acknowledged; pokerface does "
                "not act on it",
                *type ? type : "(no type)");
}

void
pf_slack_interact_release(struct slack *s)
{
    json_decref(s->act.response);
    s->act.response = NULL;
    for (size_t i = 0; i < TRIGGERS_MAX; i++) {
        free(s->triggers[i]);
        s->triggers[i] = NULL;
    }
}
