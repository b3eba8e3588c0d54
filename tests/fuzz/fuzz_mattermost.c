/*
 * fuzz_mattermost.c - libFuzzer target for what a Mattermost server
 * sends over the WebSocket: events (with their doubly encoded "post" and
 * "reaction" strings) and replies, as parsed by mattermost.c.
 *
 * An input is a sequence of frames separated by NUL bytes (JSON text
 * cannot contain NUL). The connector believes it is connected, as the bot
 * in one internal channel, so frames reach the event handling; every
 * event it reports is read in full, so the sanitizers see a bad pointer
 * in any field.
 *
 *   make fuzz                         clang + libFuzzer, FUZZ_SECONDS long
 *   build/tests/fuzz_mattermost FILES replays inputs (make check runs the
 *                                     corpus this way, with any compiler)
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "connectors/mattermost.h"
#include "core/loop.h"
#include "frames.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pf_loop *loop = fuzz_loop();
    char err[256];
    struct pf_mattermost_opts o;
    memset(&o, 0, sizeof(o));
    o.url = "http://127.0.0.1:9";
    o.token = "secret";
    o.max_frame = 64 * 1024;
    struct pf_connector *c =
        pf_mattermost_new(loop->ctx, &o, fuzz_on_event, NULL, err, sizeof(err));
    if (!c)
        abort();
    pf_mattermost_pretend(c, "bt1k8q3z7pfy5ewx9c2m4n6r8s", "support/internal",
                          "ch4nn3l1nt3rn4l00000000000");
    fuzz_frames(data, size, pf_mattermost_feed, c);
    c->ops->destroy(c);
    return 0;
}
