/*
 * fuzz_slack.c - libFuzzer target for what Slack sends over a Socket Mode
 * WebSocket: hello, disconnect, and envelopes (events_api with message,
 * message_changed, message_deleted, reaction_added, member events;
 * interactive: block_actions and view_submission, the buttons and the
 * edit form of slack_interact.c; anything else), as parsed by slack.c,
 * and the start of a message too big to read. A choice is answered as the
 * relay would (answer(), and edit_form() for "edit"), so the answer's
 * path runs too.
 *
 * An input is a sequence of messages separated by NUL bytes (JSON text
 * cannot contain NUL); one that starts with '!' is handed over as the kept
 * start of a message over the limit instead. The connector believes it is
 * connected, as the bot in one internal channel, so messages reach the
 * event handling; every event it reports is read in full, so the
 * sanitizers see a bad pointer in any field.
 *
 *   make fuzz                    clang + libFuzzer, FUZZ_SECONDS long
 *   build/tests/fuzz_slack FILES replays inputs (make check runs the
 *                                corpus this way, with any compiler)
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/slack.h"
#include "base/log.h"
#include "core/loop.h"
#include "frames.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pf_connector *g_conn;

/* every field read; a choice answered as the relay answers one */
static void
on_event(void *ud, const struct pf_event *ev)
{
    fuzz_on_event(ud, ev);
    if (ev->type != PF_EV_CHOICE || !g_conn)
        return;
    if (ev->choice && !strcmp(ev->choice, "edit")) {
        struct pf_form f = {ev->key, "Edit #1", "Your reply",
                            "Send",  "Cancel",  ev->text};
        g_conn->ops->edit_form(g_conn, ev->handle, &f);
    }
    g_conn->ops->answer(g_conn, ev->handle, ev->text,
                        ev->text && strlen(ev->text) % 2);
    /* a handle that is not the interaction's: nothing happens */
    g_conn->ops->answer(g_conn, "not-a-handle", "x", 0);
}

static void
feed(struct pf_connector *c, const char *frame, size_t len)
{
    if (len > 0 && frame[0] == '!')
        pf_slack_feed_too_big(c, frame + 1, len - 1, 10 * 1024 * 1024);
    else
        pf_slack_feed(c, frame, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pf_loop *loop = fuzz_loop();
    char err[256];
    struct pf_slack_opts o;
    memset(&o, 0, sizeof(o));
    o.api_url = "http://127.0.0.1:9/api";
    o.bot_token = "xoxb-secret";
    o.app_token = "xapp-secret";
    o.max_frame = 64 * 1024;
    struct pf_connector *c =
        pf_slack_new(loop->ctx, &o, on_event, NULL, err, sizeof(err));
    if (!c)
        abort();
    g_conn = c;
    pf_slack_pretend(c, "U0PFBOT001", "B0PFBOT001", "support-internal",
                     "C0INTERNAL");
    fuzz_frames(data, size, feed, c);
    g_conn = NULL;
    c->ops->destroy(c);
    return 0;
}
