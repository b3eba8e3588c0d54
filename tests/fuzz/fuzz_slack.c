/*
 * fuzz_slack.c - libFuzzer target for what Slack sends over a Socket Mode
 * WebSocket: hello, disconnect, and envelopes (events_api with message,
 * message_changed, message_deleted, reaction_added, member events;
 * interactive; anything else), as parsed by slack.c, and the start of a
 * message too big to read.
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
        pf_slack_new(loop->ctx, &o, fuzz_on_event, NULL, err, sizeof(err));
    if (!c)
        abort();
    pf_slack_pretend(c, "U0PFBOT001", "B0PFBOT001", "support-internal",
                     "C0INTERNAL");
    fuzz_frames(data, size, feed, c);
    c->ops->destroy(c);
    return 0;
}
