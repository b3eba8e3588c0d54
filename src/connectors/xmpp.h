/*
 * xmpp.h - the XMPP connector: a client over WebSocket (RFC 7395) that
 * logs in (SASL SCRAM-SHA-256 or PLAIN), binds a resource, joins MUC
 * rooms (creating them if need be), and turns groupchat and direct
 * messages, corrections (XEP-0308) and reactions (XEP-0444) into connector
 * events. After a reconnect it reads back what was said in each room while
 * it was away from the room's archive (MAM, XEP-0313), and checks that a
 * post it was unsure about did not arrive before resending it.
 */
#ifndef PF_XMPP_H
#define PF_XMPP_H

#include <libwebsockets.h>
#include <stddef.h>

#include "connectors/connector.h"

struct pf_xmpp_opts {
    const char *url;      /* ws://host:port/xmpp-websocket */
    const char *jid;      /* bot@example.com */
    const char *password; /* copied into locked memory, wiped on destroy */
    const char *resource; /* default "pokerface" */
    const char *nick;     /* nick in rooms, default the JID's local part */
    const char *sasl;     /* "auto" (SCRAM-SHA-256, else PLAIN), "plain",
                             "scram-sha-256" */
    int reconnect_min_ms, reconnect_max_ms;
    int ping_s;
    size_t max_stanza;   /* default 256 KiB */
    int configure_rooms; /* make rooms the bot creates persistent,
                            members-only, hidden and non-anonymous */
    /* made owners of the rooms the bot creates (the supervisors), so that
       they can add the team as members */
    const char *const *room_owners;
    size_t n_room_owners;
};

/* NULL with err set when the options are unusable. */
struct pf_connector *pf_xmpp_new(struct lws_context *ctx,
                                 const struct pf_xmpp_opts *o, pf_event_cb cb,
                                 void *ud, char *err, size_t errlen);

/* Last message id seen in room (for catch-up), or NULL; and setting it
   (the journal restores it after a restart). */
const char *pf_xmpp_last_id(struct pf_connector *c, const char *room);
void pf_xmpp_set_last_id(struct pf_connector *c, const char *room,
                         const char *id);

/*
 * Handle one frame as if the server had sent it (tests and the fuzz
 * target drive the stanza handling this way, without a socket).
 */
void pf_xmpp_feed(struct pf_connector *c, const char *frame, size_t len);
/* ... and the rest of what the transport reports: the connection opened
   (a stream starts), it closed, a frame too big to read came (its start
   and its size). */
void pf_xmpp_feed_open(struct pf_connector *c);
void pf_xmpp_feed_closed(struct pf_connector *c);
void pf_xmpp_feed_too_big(struct pf_connector *c, const char *head, size_t len,
                          size_t size);

/*
 * Send one stanza exactly as given, on the connection as it is (the
 * tests play a client that puts into its message what only a server
 * should). PF_ENOTFOUND when not connected.
 */
int pf_xmpp_send_raw(struct pf_connector *c, const char *stanza);

/*
 * Watch every frame the connector reads (in: 1) and every stanza it
 * writes, whether or not a connection is open (in: 0): the fuzz targets
 * see what the bot would send and answer its requests by their ids, the
 * tests read answers the connector takes no event from. NULL stops.
 */
typedef void (*pf_xmpp_tap_cb)(void *ud, int in, const char *stanza,
                               size_t len);
void pf_xmpp_tap(struct pf_connector *c, pf_xmpp_tap_cb cb, void *ud);

#endif
