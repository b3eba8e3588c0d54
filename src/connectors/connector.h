/*
 * connector.h - the one interface between the relay and a chat backend
 * (XMPP now; Mattermost and Slack behind the same ops later).
 *
 * A connector turns the backend's protocol into platform-neutral events
 * (a message, an edit, a reaction, someone joining or leaving a room, one
 * of our own posts confirmed) and carries out actions (post in a room,
 * write to one user, react). It knows nothing of rules, holds or routes;
 * the relay knows nothing of XML or JSON.
 *
 * Identities: rooms and users are the backend's own ids as strings (for
 * XMPP a room is its bare JID; a user is a bare JID when the room shows
 * real JIDs to the bot, else "room/nick"). Message ids are the backend's
 * stable ids (XMPP: the room's stanza-id), used to deduplicate. An event
 * whose author the backend does not name by a stable id (an XMPP
 * occupant known only by a nick, which anyone may take) is flagged
 * anonymous: its author_id is a name, not an identity, and it may decide
 * nothing.
 *
 * Resume points: a connector reads back what a room said while it was
 * away (catch-up), while live messages already flow. A message id is a
 * resume point when everything the room said up to it has been reported:
 * reading back from it after a restart loses nothing. Events that move
 * the resume point say so (in_order); when the point moves over something
 * that is not reported (the bot's own post, a message seen live before
 * it came back from the archive), a PF_EV_CURSOR says so. A live message
 * that arrives while older ones are still being read back is reported
 * at once, but is not a resume point.
 *
 * Threads: everything runs on the loop thread; callbacks are synchronous
 * and may call back into the connector.
 */
#ifndef PF_CONNECTOR_H
#define PF_CONNECTOR_H

#include <stdint.h>

enum pf_ev_type {
    PF_EV_STATE = 1, /* text: "connected", "disconnected", "ready" */
    PF_EV_MESSAGE,   /* a new message */
    PF_EV_EDIT,      /* a correction of ref_id */
    PF_EV_REACTION,  /* reaction added to ref_id */
    PF_EV_JOIN,      /* author joined room */
    PF_EV_LEAVE,     /* author left room */
    PF_EV_POSTED,    /* our post with idempotency key `key` arrived as id */
    PF_EV_DELETE,    /* the author deleted (retracted) ref_id */
    PF_EV_CURSOR,    /* msg_id in room is a resume point (see above);
                        nothing else to handle */
    PF_EV_TOOBIG,    /* a message from author in room (NULL: a direct
                        one) was too big to read: `bytes` long, over the
                        `limit`; text is what its start said, msg_id and
                        alt_id what is known of its ids */
    PF_EV_FAILED,    /* our post with key `key` in room was refused by
                        the server and is given up (text: why); it is
                        not posted again */
    PF_EV_CHOICE     /* author chose with the backend's own controls (a
                        button, a form) what becomes of what offer()
                        showed them: key is the offer's key as it came
                        back (the relay checks it: anyone may send
                        anything), choice says what, handle names the
                        interaction for answer() and edit_form(); room is
                        where the offer was shown, or NULL; msg_id "" */
};

struct pf_event {
    int type;
    const char *room;        /* NULL for a direct (1:1) message */
    const char *thread;      /* "" when none */
    const char *author_id;   /* stable identity, see above */
    const char *author_name; /* display name (XMPP: the nick) */
    const char *text;        /* body, reaction emoji or state */
    const char *msg_id;      /* the backend's id of this message, or "" */
    const char *alt_id;      /* the id its sender gave it (XMPP id), which
                                corrections refer to; "" when none */
    const char *ref_id;      /* EDIT/REACTION/DELETE: the message it refers
                                to (its msg_id or its alt_id) */
    const char *key;         /* POSTED: our idempotency key */
    int64_t ts_ms;           /* when it was written, ms since the epoch */
    int64_t rx_ns;           /* when its frame arrived (pf_now_ns), 0 if
                                unknown: the start of the bot's latency */
    int catchup;             /* read back after a reconnect, not live */
    int own;                 /* written by the bot itself */
    int in_order;            /* msg_id is the room's resume point once this
                                event is handled (see above) */
    int anonymous;           /* the author is known only by a name anyone
                                could take: this event decides nothing */
    int member;              /* JOIN: the account is on the room's member
                                list (XMPP: affiliation member, admin or
                                owner; Mattermost: a channel member), not
                                only present in it */
    size_t bytes, limit;     /* TOOBIG: the message's size and the most
                                the bot reads */
    /* appended (connectors that memset an event leave them NULL) */
    const char *choice; /* CHOICE: "send", "drop", "edit" (asks for the
                           form) or "edited" (text: the form's new text) */
    const char *handle; /* CHOICE: valid during the callback only */
};

/* a choice shown to one user alone (offer); labels NULL are not offered */
struct pf_offer {
    const char *room, *thread;      /* where (thread "" for none) */
    const char *user_id;            /* who sees it */
    const char *text;               /* what it is about */
    const char *key;                /* comes back as PF_EV_CHOICE's key */
    const char *send, *edit, *drop; /* the choices' labels */
};

/* a form to change a text, answering a PF_EV_CHOICE "edit" */
struct pf_form {
    const char *key; /* comes back with "edited" */
    const char *title, *label, *submit, *cancel;
    const char *text; /* the text to change */
};

typedef void (*pf_event_cb)(void *ud, const struct pf_event *ev);

struct pf_connector;

struct pf_connector_ops {
    const char *name; /* "xmpp" */
    /* Connect; events start flowing. Reconnects by itself until stop. */
    int (*start)(struct pf_connector *c);
    /* Disconnect cleanly; no more events. */
    void (*stop)(struct pf_connector *c);
    /* Be in this room (joined on connect and every reconnect). */
    int (*join)(struct pf_connector *c, const char *room);
    /*
     * Post text in room. key is an idempotency key: the same key is never
     * posted twice, even across reconnects (the post is queued while
     * disconnected and confirmed by a PF_EV_POSTED event).
     */
    int (*post)(struct pf_connector *c, const char *room, const char *thread,
                const char *text, const char *key);
    /* Write to one user privately (a DM). */
    int (*direct)(struct pf_connector *c, const char *user_id,
                  const char *text);
    /* React to a message. */
    int (*react)(struct pf_connector *c, const char *room, const char *msg_id,
                 const char *emoji);
    /* Delete (retract) one of the bot's own posts, by its msg_id. */
    int (*del)(struct pf_connector *c, const char *room, const char *msg_id);
    /* 1 when connected, joined and caught up. */
    int (*ready)(struct pf_connector *c);
    void (*destroy)(struct pf_connector *c);
    /*
     * Post with a key that may have been posted before a restart (the
     * journal says it was decided, not that it arrived). Before start:
     * the connector looks for the key in the room's recent history first
     * and posts only if it is not there, confirming it either way.
     */
    int (*post_again)(struct pf_connector *c, const char *room,
                      const char *thread, const char *text, const char *key);
    /*
     * The last message of room that was handled before a restart: on
     * connecting, what came after it is read back (flagged catchup).
     * Before start.
     */
    void (*resume_after)(struct pf_connector *c, const char *room,
                         const char *msg_id);
    /*
     * 1 when user_id can be written to privately (direct). NULL: the
     * XMPP rule (a bare JID, not an occupant's "room/nick").
     */
    int (*addressable)(struct pf_connector *c, const char *user_id);
    /*
     * 1 when threads are named by their first post's msg_id (Mattermost's
     * root_id): an event's thread is then that id, and post() with it as
     * thread replies in that thread. 0: threads are not followed.
     */
    int threads;
    /*
     * 1 when the server takes a post of text in room `to` (or a direct
     * message, when `to` is a user) by its size: the server's stanza or
     * post limit. post() and direct() refuse what does not fit
     * (PF_ETOOBIG), so a caller shortens or refuses it first.
     */
    int (*fits)(struct pf_connector *c, const char *to, const char *text);
    /*
     * Appended; NULL where the backend has no controls of its own (the
     * chat commands and reactions are the way there).
     *
     * offer: show o->user_id, alone, o->text with buttons; a click comes
     * back as PF_EV_CHOICE. Nothing is promised: a choice shown is not
     * journaled and may be lost (the commands still work).
     */
    int (*offer)(struct pf_connector *c, const struct pf_offer *o);
    /*
     * During a PF_EV_CHOICE "edit": open a form for its author, prefilled
     * with f->text; its submission comes back as PF_EV_CHOICE "edited".
     * PF_ETOOBIG: the text does not fit in the backend's form.
     */
    int (*edit_form)(struct pf_connector *c, const char *handle,
                     const struct pf_form *f);
    /*
     * During a PF_EV_CHOICE: tell its author alone (text NULL: nothing
     * to say). For "edited": done 1 closes the form, done 0 keeps it
     * open with text shown in it as what is wrong.
     */
    void (*answer)(struct pf_connector *c, const char *handle, const char *text,
                   int done);
    /*
     * Appended. thread (an event's thread id, a paired thread's root) may
     * get replies while the connector is disconnected or stopped: each
     * catch-up reads them back too. Called before start for the pairs the
     * journal kept, oldest first, and for each new pair. NULL: the
     * backend's catch-up sees thread replies without it.
     */
    void (*follow_thread)(struct pf_connector *c, const char *thread);
};

struct pf_connector {
    const struct pf_connector_ops *ops;
    pf_event_cb cb;
    void *ud;
};

#endif
