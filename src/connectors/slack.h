/*
 * slack.h - the Slack connector: events over Socket Mode (a WebSocket
 * whose single-use URL apps.connections.open gives for the app-level
 * token, every envelope acknowledged by its envelope_id), everything
 * else over the Web API with the bot token, on the same loop.
 *
 * Rooms are channels, named by id (C0123ABCD, G0123ABCD) or by name
 * ("support" or "#support", looked up with conversations.list); events
 * report them under the name they were joined with. Users are Slack user
 * ids (U..., W...); author_name is the profile's display name (users.info,
 * cached). A message is (channel, ts): its msg_id is "CHANNEL/TS", so that
 * two channels' equal ts never read as one message, and a thread is named
 * by its first message's msg_id. ids given back (post's thread, react, del,
 * resume_after) may also be a bare ts of the room's channel.
 *
 * Exactly once: Slack's chat.postMessage has no idempotency key, so each
 * post carries pokerface's key in its message metadata (event_type
 * "pokerface_post", event_payload {"key": K}); a post whose outcome is
 * unknown (no answer, a cut connection, a 5xx, or one from before a
 * restart) is looked for in the channel's (or the thread's) history,
 * include_all_metadata=true, before it is posted again.
 */
#ifndef PF_SLACK_H
#define PF_SLACK_H

#include <jansson.h>
#include <libwebsockets.h>
#include <stddef.h>

#include "connectors/connector.h"

struct pf_slack_opts {
    const char *api_url;   /* https://slack.com/api by default */
    const char *bot_token; /* xoxb-...: the Web API; copied into locked
                              memory (the HTTP client's), never logged */
    const char *app_token; /* xapp-...: apps.connections.open only */
    int reconnect_min_ms, reconnect_max_ms;
    int ping_s;
    size_t max_frame;     /* default 1 MiB */
    int post_timeout_ms;  /* a post with no answer by then has an unknown
                             outcome; default 30000 */
    int hello_timeout_ms; /* a socket without hello by then is dropped;
                             default 15000 */
};

/* NULL with err set when the options are unusable. */
struct pf_connector *pf_slack_new(struct lws_context *ctx,
                                  const struct pf_slack_opts *o, pf_event_cb cb,
                                  void *ud, char *err, size_t errlen);

/*
 * Handle one Socket Mode message as if the server had sent it (the fuzz
 * target and tests drive envelope and event parsing this way, without a
 * socket). Envelopes are acknowledged when a socket is open.
 */
void pf_slack_feed(struct pf_connector *c, const char *frame, size_t len);
/* The same for a message over the size limit, of which only the start
   (head, len bytes) was kept: size is its whole size. */
void pf_slack_feed_too_big(struct pf_connector *c, const char *head, size_t len,
                           size_t size);
/* For tests and the fuzz target: be user me (bot_id bot), with channel
   id known as room, connected and caught up. */
void pf_slack_pretend(struct pf_connector *c, const char *me, const char *bot,
                      const char *room, const char *channel_id);
/* For tests: how many envelopes were acknowledged (or would have been,
   had a socket been open), and the last envelope_id. */
unsigned pf_slack_acks(struct pf_connector *c, const char **last);

/*
 * In one page of conversations.history or conversations.replies (the
 * Web API's answer, borrowed), the ts of a message posted by the bot
 * (user me or bot_id bot; either may be "") that carries key in its
 * pokerface metadata; NULL when none does. The pointer is into page.
 */
const char *pf_slack_find_key(const json_t *page, const char *key,
                              const char *me, const char *bot);

/* Slack's "1732294800.000100" as microseconds since the epoch; -1 when
   it is not a ts. */
long long pf_slack_ts_us(const char *ts);

#endif
