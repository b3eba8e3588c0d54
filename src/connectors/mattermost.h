/*
 * mattermost.h - the Mattermost connector (API v4): events from the
 * WebSocket (/api/v4/websocket, authentication_challenge, resumption
 * with connection_id and sequence_number), everything else over REST on
 * the same loop.
 *
 * Rooms are named "team/channel" (the team's and the channel's URL
 * names) or given as a channel id; events report them under the name
 * they were joined with. Users are Mattermost user ids; author_name is
 * the username. Posts carry pending_post_id "<bot id>:<key>" (the
 * server's 30 s idempotency) and the key again in props, so that after
 * a restart the channel's recent posts can be searched for it.
 */
#ifndef PF_MATTERMOST_H
#define PF_MATTERMOST_H

#include <libwebsockets.h>
#include <stddef.h>

#include "connectors/connector.h"

struct pf_mattermost_opts {
    const char *url;   /* https://chat.example.com (no /api/v4) */
    const char *token; /* copied into locked memory, wiped on destroy */
    int reconnect_min_ms, reconnect_max_ms;
    int ping_s;
    size_t max_frame; /* default 1 MiB */
};

/* NULL with err set when the options are unusable. */
struct pf_connector *pf_mattermost_new(struct lws_context *ctx,
                                       const struct pf_mattermost_opts *o,
                                       pf_event_cb cb, void *ud, char *err,
                                       size_t errlen);

/*
 * Handle one WebSocket frame as if the server had sent it (the fuzz
 * target and tests drive event parsing this way, without a socket).
 * me is the bot's user id; rooms joined before are known by channel id.
 */
void pf_mattermost_feed(struct pf_connector *c, const char *frame, size_t len);
/* For tests and the fuzz target: pretend to be user me, with channel id
   known as room. */
void pf_mattermost_pretend(struct pf_connector *c, const char *me,
                           const char *room, const char *channel_id);

/* Mattermost's emoji names and the Unicode the relay speaks: NULL when
   there is no mapping. */
const char *pf_mm_emoji_name(const char *unicode);
const char *pf_mm_emoji_char(const char *name);

#endif
