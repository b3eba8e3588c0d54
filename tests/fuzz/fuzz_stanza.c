/*
 * fuzz_stanza.c - libFuzzer target for what the XMPP server sends: the
 * frame parser (xml.c) and the stanza handling behind it (xmpp.c).
 *
 * An input is a sequence of frames separated by NUL bytes (XML cannot
 * contain NUL). The connector is first taken through a login, so the
 * frames reach the states where messages, presences, archive results
 * and reactions are handled; every event it reports is read in full, so
 * the sanitizers see a bad pointer in any field.
 *
 *   make fuzz                      clang + libFuzzer, FUZZ_SECONDS long
 *   build/tests/fuzz_stanza FILES  replays inputs (make check runs the
 *                                  corpus this way, with any compiler)
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "connectors/xmpp.h"
#include "core/loop.h"
#include "frames.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const login[] = {
    "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>"
    "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN"
    "</mechanism></mechanisms></stream:features>",
    "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
    "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>"
    "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>",
    "<iq xmlns='jabber:client' type='result' id='bind'><bind "
    "xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>bot@localhost/pokerface"
    "</jid></bind></iq>",
    "<presence xmlns='jabber:client' from='team@conference.localhost/bot'>"
    "<x xmlns='http://jabber.org/protocol/muc#user'><item "
    "affiliation='owner' role='moderator' jid='bot@localhost/pokerface'/>"
    "<status code='100'/><status code='110'/><status code='201'/></x>"
    "</presence>",
    "<presence xmlns='jabber:client' from='team@conference.localhost/aino'>"
    "<x xmlns='http://jabber.org/protocol/muc#user'><item "
    "affiliation='none' role='participant' jid='aino@localhost/web'/></x>"
    "</presence>",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pf_loop *loop = fuzz_loop();
    char err[256];
    struct pf_xmpp_opts o;
    memset(&o, 0, sizeof(o));
    o.url = "ws://127.0.0.1:9/xmpp-websocket";
    o.jid = "bot@localhost";
    o.password = "secret";
    o.nick = "bot";
    o.max_stanza = 64 * 1024;
    struct pf_connector *c =
        pf_xmpp_new(loop->ctx, &o, fuzz_on_event, NULL, err, sizeof(err));
    if (!c)
        abort();
    c->ops->join(c, "team@conference.localhost");
    c->ops->join(c, "customer@conference.localhost");
    /* a room read back from S0 after a restart: the join starts a
       catch-up (query catch2, after the room's configuration cfg1), so
       archive pages and live messages meet */
    pf_xmpp_set_last_id(c, "team@conference.localhost", "S0");
    for (size_t i = 0; i < sizeof(login) / sizeof(*login); i++)
        pf_xmpp_feed(c, login[i], strlen(login[i]));
    fuzz_frames(data, size, pf_xmpp_feed, c);
    c->ops->destroy(c);
    return 0;
}
