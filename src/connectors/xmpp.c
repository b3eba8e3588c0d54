/*
 * xmpp.c - see xmpp.h.
 *
 * States of one connection:
 *
 *   OPEN   <open/> sent, waiting for stream features
 *   AUTH   SASL exchange; on success the stream restarts (<open/> again)
 *   BIND   binding the resource
 *   JOIN   joining rooms, then reading back what was missed (MAM)
 *   READY  every room joined and caught up; queued posts go out
 *
 * Invariants:
 *  - every frame is one stanza, parsed on its own with hard limits; a
 *    stanza that cannot be parsed is logged and skipped, the connection
 *    stays up;
 *  - the bot's own messages are recognized by their origin-id (a pending
 *    post's key) or the bot's nick, and never reported as input;
 *  - history the room replays on join (<delay/>) is never reported live;
 *    only the catch-up query reports missed messages, flagged catchup;
 *  - a room's resume point (last_id) only moves over what has been
 *    reported in order: archive pages as they are read, live messages
 *    once the room is caught up on this connection. A live message that
 *    arrives while the archive is still being read is reported but does
 *    not move it, so a reconnect in the middle of a catch-up reads back
 *    from where the archive was left, and nothing is skipped;
 *  - who wrote a message is the room's word, never a nick alone: live,
 *    the real JID its occupant joined with; read back, the one real JID
 *    the archive stored with it (Prosody adds it in rooms that show real
 *    JIDs to everyone). Anything else is reported anonymous;
 *  - archive results count only from the room's own address, as answers
 *    to a query in flight;
 *  - a post stays pending until its reflection arrives; after a reconnect
 *    the room's archive is searched for its key before it is sent again,
 *    and so is one made with post_again at any time (a reply the bot may
 *    have posted before a restart);
 *  - an answer (iq result or error) is taken only for a request of ours
 *    still in flight on this connection, and only from where it was sent
 *    (the server, or the room asked): any account can send the bot an iq;
 *  - nothing is sent that the server would refuse for its size (the
 *    smaller of max_stanza and what the server advertises, XEP-0478); a
 *    post the server refuses anyway (an error with its id, or connections
 *    that ended while it was the oldest in flight: see strike()) is given
 *    up and reported, never sent again and again;
 *  - a stanza too big to read is not lost without a word: what its start
 *    says (who wrote it, where) is reported (PF_EV_TOOBIG).
 *
 * One file, though long: it is one connection's state machine, and the
 * invariants above cut across its states (a post pending in READY is
 * looked for in JOIN after a reconnect; an iq answer is matched to a
 * request still in flight, whichever state sent it). What reads well
 * apart already is apart: stanzas (xml.c), SASL (sasl.c), the WebSocket
 * (ws.c).
 */
#define _DEFAULT_SOURCE /* timegm */
#include "connectors/xmpp.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/log.h"
#include "base/util.h"
#include "connectors/sasl.h"
#include "connectors/ws.h"
#include "connectors/xml.h"
#include "pokerface/plugin.h"

#define NS_FRAMING "urn:ietf:params:xml:ns:xmpp-framing"
#define NS_STREAMS "http://etherx.jabber.org/streams"
#define NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"
#define NS_BIND "urn:ietf:params:xml:ns:xmpp-bind"
#define NS_CLIENT "jabber:client"
#define NS_MUC "http://jabber.org/protocol/muc"
#define NS_MUC_USER "http://jabber.org/protocol/muc#user"
#define NS_MUC_OWNER "http://jabber.org/protocol/muc#owner"
#define NS_MUC_ADMIN "http://jabber.org/protocol/muc#admin"
#define NS_SID "urn:xmpp:sid:0"
#define NS_DELAY "urn:xmpp:delay"
#define NS_MAM "urn:xmpp:mam:2"
#define NS_RSM "http://jabber.org/protocol/rsm"
#define NS_FORWARD "urn:xmpp:forward:0"
#define NS_REACTIONS "urn:xmpp:reactions:0"
#define NS_CORRECT "urn:xmpp:message-correct:0"
#define NS_RETRACT "urn:xmpp:message-retract:1"
#define NS_RETRACT0 "urn:xmpp:message-retract:0"
#define NS_FASTEN "urn:xmpp:fasten:0"
#define NS_PING "urn:xmpp:ping"
#define NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define NS_LIMITS "urn:xmpp:stream-limits:0"
#define NS_XSTREAMS "urn:ietf:params:xml:ns:xmpp-streams"

/* a post's frame around its text, room and key (keys are shorter than
   KEY_MAX): send_post's, which is the longest the bot writes */
#define KEY_MAX 128
#define FRAME_BYTES 256
/* strikes that give a post up (see strike()) */
#define STRIKES_MAX 4

#define MAM_PAGE 50
#define LOOKBACK 100
#define OWN_SEEN 64 /* keys of our posts read back, per room */

enum state { S_DOWN, S_OPEN, S_AUTH, S_BIND, S_JOIN, S_READY };

struct member {
    char *nick;
    char *id;       /* bare real JID when the room shows it, else room/nick */
    int real;       /* id is a real JID */
    int affiliated; /* member, admin or owner of the room */
};

struct room {
    char *jid;
    char *nick;
    int joined;
    unsigned nick_tries;
    struct member *members;
    size_t n_members, cap_members;
    char *last_id;  /* resume point: everything up to this stanza-id was
                       reported; catch-up starts after it */
    char *catch_q;  /* id of the catch-up query in flight */
    char *look_q;   /* id of the lookback query in flight */
    unsigned setup; /* requests configuring the room we created, in
                       flight: nobody else can join before they are done */
    int shows_jids; /* the room shows everyone's real JID (status 100), so
                       its archive keeps who wrote what */
    int warned_anonymous, warned_archive;
    /* our posts seen read back with their keys (origin-id), the last
       OWN_SEEN of them: a post that may have gone out before is looked
       for here too, in case it was read back before it was asked for */
    char *own_key[OWN_SEEN], *own_id[OWN_SEEN];
    unsigned own_pos;
};

/* a request (iq get or set) in flight on this connection */
struct request {
    struct request *next;
    char *id;
    char *to; /* the room it was sent to; NULL: the server */
};

struct post {
    struct post *next;
    char *room, *text, *key;
    unsigned gen;     /* the connection it last went out on (0: never); one
                         sent on an earlier connection is looked for in the
                         room before it is sent again */
    unsigned strikes; /* connections that ended while it was the oldest
                         post in flight: 2 for a policy violation, 1
                         for a close without a word; wait errors 1 */
};

struct xmpp {
    struct pf_connector base;
    struct pf_ws *ws;
    char *jid, *user, *domain, *resource, *nick, *full_jid, *sasl_pref;
    char *password; /* sodium_malloc'd */
    int configure_rooms;
    char **owners; /* made owners of the rooms the bot creates */
    size_t n_owners;
    int cleartext; /* ws:// to another machine */
    enum state state;
    unsigned gen;  /* counts connections */
    int64_t rx_ns; /* when the frame being handled arrived */
    int authed;
    struct pf_scram *scram;
    struct room *rooms;
    size_t n_rooms;
    struct post *posts;
    struct request *requests;
    unsigned ignored; /* answers to no request of ours, this connection */
    unsigned seq;
    struct pf_arena arena;
    struct pf_xml_limits lim;
    size_t server_limit; /* what the server says it takes (0: unknown) */
    int stream_error;    /* the server ended this connection with one */
    int stopped;
    pf_xmpp_tap_cb tap; /* sees every stanza written */
    void *tap_ud;
};

/* ---- helpers ---- */

static void
emit(struct xmpp *x, const struct pf_event *ev)
{
    if (x->base.cb && !x->stopped) {
        struct pf_event e = *ev;
        e.rx_ns = x->rx_ns;
        x->base.cb(x->base.ud, &e);
    }
}

static void
emit_state(struct xmpp *x, const char *state)
{
    struct pf_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = PF_EV_STATE;
    ev.text = state;
    ev.author_id = ev.author_name = ev.msg_id = ev.ref_id = ev.key = "";
    ev.thread = ev.alt_id = "";
    emit(x, &ev);
}

/* the resume point of r moved to msg_id over something not reported */
static void
emit_cursor(struct xmpp *x, struct room *r, const char *msg_id)
{
    struct pf_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = PF_EV_CURSOR;
    ev.room = r->jid;
    ev.msg_id = msg_id;
    ev.in_order = 1;
    ev.author_id = ev.author_name = ev.ref_id = ev.key = ev.text = "";
    ev.thread = ev.alt_id = "";
    emit(x, &ev);
}

static void
send_buf(struct xmpp *x, struct pf_buf *b)
{
    if (x->tap && b->data)
        x->tap(x->tap_ud, 0, b->data, b->len);
    if (pf_ws_send(x->ws, b->data, b->len) != PF_OK)
        pf_debug("xmpp: not connected, stanza not sent");
    pf_buf_release(b);
}

static char *
new_id(struct xmpp *x, const char *prefix)
{
    return pf_xasprintf("%s%u", prefix, ++x->seq);
}

/* A request with this id (taken) to the server (to NULL) or to a room:
   the id, which lives until the answer or the end of the connection. */
static const char *
new_request(struct xmpp *x, char *id, const char *to)
{
    struct request *q = pf_xcalloc(1, sizeof(*q));
    q->id = id;
    q->to = to ? pf_xstrdup(to) : NULL;
    q->next = x->requests;
    x->requests = q;
    return q->id;
}

static void
clear_requests(struct xmpp *x)
{
    while (x->requests) {
        struct request *q = x->requests;
        x->requests = q->next;
        free(q->id);
        free(q->to);
        free(q);
    }
}

/* "user@host" and "user@host/..." are the same account as bare_jid
   (domains and local parts compared as servers prepare them: case
   folded, which is enough for the ASCII addresses of a configuration) */
static int
is_account(const char *jid, const char *bare_jid)
{
    size_t n = strlen(bare_jid);
    return strncasecmp(jid, bare_jid, n) == 0 && (!jid[n] || jid[n] == '/');
}

/* bytes s takes escaped (pf_xml_escape) */
static size_t
escaped_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        switch (*s) {
        case '&': n += 5; break;
        case '<':
        case '>': n += 4; break;
        case '"':
        case '\'': n += 6; break;
        default:
            n += (unsigned char)*s >= 0x20 || *s == '\t' || *s == '\n' ||
                 *s == '\r';
        }
    }
    return n;
}

/* the most the server takes in one stanza */
static size_t
stanza_limit(const struct xmpp *x)
{
    return x->server_limit && x->server_limit < x->lim.max_bytes
               ? x->server_limit
               : x->lim.max_bytes;
}

static int
fits(const struct xmpp *x, const char *to, const char *text)
{
    return escaped_len(text) + escaped_len(to) + 2 * KEY_MAX + FRAME_BYTES <=
           stanza_limit(x);
}

/*
 * The answer id from `from` is for one of our requests: take it off the
 * list (1). 0: nobody asked, or it came from somewhere else than the
 * request went. The server answers for itself with no from, its domain
 * or our own address.
 */
static int
take_request(struct xmpp *x, const char *id, const char *from)
{
    for (struct request **qq = &x->requests; *qq; qq = &(*qq)->next) {
        struct request *q = *qq;
        if (strcmp(q->id, id) != 0)
            continue;
        int ok = q->to ? from && strcasecmp(from, q->to) == 0
                       : !from || strcasecmp(from, x->domain) == 0 ||
                             is_account(from, x->jid);
        if (!ok)
            return 0;
        *qq = q->next;
        free(q->id);
        free(q->to);
        free(q);
        return 1;
    }
    return 0;
}

static struct room *
find_room(struct xmpp *x, const char *jid, size_t len)
{
    for (size_t i = 0; i < x->n_rooms; i++)
        if (strlen(x->rooms[i].jid) == len &&
            strncmp(x->rooms[i].jid, jid, len) == 0)
            return &x->rooms[i];
    return NULL;
}

/* split "room@host/nick": the room, and the nick or NULL */
static struct room *
room_of(struct xmpp *x, const char *from, const char **nick)
{
    const char *slash;
    if (!from)
        return NULL;
    slash = strchr(from, '/');
    *nick = slash ? slash + 1 : NULL;
    return find_room(x, from, slash ? (size_t)(slash - from) : strlen(from));
}

static char *
bare(const char *jid)
{
    const char *slash = strchr(jid, '/');
    return slash ? pf_xstrndup(jid, (size_t)(slash - jid)) : pf_xstrdup(jid);
}

static struct member *
find_member(struct room *r, const char *nick)
{
    for (size_t i = 0; i < r->n_members; i++)
        if (strcmp(r->members[i].nick, nick) == 0)
            return &r->members[i];
    return NULL;
}

static void
clear_members(struct room *r)
{
    for (size_t i = 0; i < r->n_members; i++) {
        free(r->members[i].nick);
        free(r->members[i].id);
    }
    r->n_members = 0;
}

static int64_t
parse_stamp(const char *s)
{
    /* XEP-0082: 2024-03-01T12:34:56[.sss]Z, always UTC from servers */
    struct tm tm;
    int ms = 0;
    memset(&tm, 0, sizeof(tm));
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
                     &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return 0;
    const char *dot = strchr(s, '.');
    if (dot)
        for (int i = 1, scale = 100; i <= 3 && dot[i] >= '0' && dot[i] <= '9';
             i++, scale /= 10)
            ms += (dot[i] - '0') * scale;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

/* an attribute's value, or def */
static const char *
attr_or(const struct pf_xnode *n, const char *name, const char *def)
{
    const char *v = pf_xml_attr(n, name);
    return v ? v : def;
}

/* ---- sending ---- */

static void
send_open(struct xmpp *x)
{
    struct pf_buf b = PF_BUF_INIT;
    pf_buf_addstr(&b, "<open xmlns='" NS_FRAMING "' to='");
    pf_xml_escape_str(&b, x->domain);
    pf_buf_addstr(&b, "' version='1.0'/>");
    send_buf(x, &b);
}

static void
send_join(struct xmpp *x, struct room *r)
{
    struct pf_buf b = PF_BUF_INIT;
    r->joined = 0;
    pf_buf_addstr(&b, "<presence xmlns='" NS_CLIENT "' to='");
    pf_xml_escape_str(&b, r->jid);
    pf_buf_addch(&b, '/');
    pf_xml_escape_str(&b, r->nick);
    pf_buf_addstr(&b, "'><x xmlns='" NS_MUC
                      "'><history maxstanzas='0'/></x></presence>");
    send_buf(x, &b);
}

static void
send_post(struct xmpp *x, struct post *p)
{
    struct pf_buf b = PF_BUF_INIT;
    pf_buf_addstr(&b, "<message xmlns='" NS_CLIENT "' type='groupchat' to='");
    pf_xml_escape_str(&b, p->room);
    pf_buf_addstr(&b, "' id='");
    pf_xml_escape_str(&b, p->key);
    pf_buf_addstr(&b, "'><body>");
    pf_xml_escape_str(&b, p->text);
    pf_buf_addstr(&b, "</body><origin-id xmlns='" NS_SID "' id='");
    pf_xml_escape_str(&b, p->key);
    pf_buf_addstr(&b, "'/></message>");
    p->gen = x->gen;
    send_buf(x, &b);
}

/* MAM query to a room: after `after` (catch-up) or the last page
   (lookback when after is NULL) */
static char *
send_mam(struct xmpp *x, struct room *r, const char *after, int max)
{
    struct pf_buf b = PF_BUF_INIT;
    char *qid =
        pf_xstrdup(new_request(x, new_id(x, after ? "catch" : "look"), r->jid));
    pf_buf_addstr(&b, "<iq xmlns='" NS_CLIENT "' type='set' id='");
    pf_buf_addstr(&b, qid);
    pf_buf_addstr(&b, "' to='");
    pf_xml_escape_str(&b, r->jid);
    pf_buf_addstr(&b, "'><query xmlns='" NS_MAM "' queryid='");
    pf_buf_addstr(&b, qid);
    pf_buf_addf(&b, "'><set xmlns='" NS_RSM "'><max>%d</max>", max);
    if (after) {
        pf_buf_addstr(&b, "<after>");
        pf_xml_escape_str(&b, after);
        pf_buf_addstr(&b, "</after>");
    } else {
        pf_buf_addstr(&b, "<before/>");
    }
    pf_buf_addstr(&b, "</set></query></iq>");
    send_buf(x, &b);
    return qid;
}

/* ---- readiness ---- */

static int
room_busy(const struct room *r)
{
    return !r->joined || r->catch_q || r->look_q || r->setup;
}

/* send what this connection has not sent yet, in order */
static void
flush_posts(struct xmpp *x, struct room *r)
{
    for (struct post *p = x->posts; p; p = p->next)
        if (strcmp(p->room, r->jid) == 0 && p->gen != x->gen)
            send_post(x, p);
}

static void
maybe_ready(struct xmpp *x)
{
    if (x->state != S_JOIN)
        return;
    for (size_t i = 0; i < x->n_rooms; i++)
        if (room_busy(&x->rooms[i]))
            return;
    x->state = S_READY;
    pf_info("xmpp: ready: %zu room(s) joined and caught up", x->n_rooms);
    emit_state(x, "ready");
}

/* a post of ours, read back with its key and stanza-id */
static void
own_seen(struct room *r, const char *key, const char *msg_id)
{
    unsigned i = r->own_pos++ % OWN_SEEN;
    free(r->own_key[i]);
    free(r->own_id[i]);
    r->own_key[i] = pf_xstrdup(key);
    r->own_id[i] = pf_xstrdup(msg_id ? msg_id : "");
}

static const char *
own_seen_id(const struct room *r, const char *key)
{
    for (unsigned i = 0; i < OWN_SEEN; i++)
        if (r->own_key[i] && strcmp(r->own_key[i], key) == 0)
            return r->own_id[i];
    return NULL;
}

static void confirm_post(struct xmpp *x, struct room *r, const char *key,
                         const char *msg_id, int in_order);

/*
 * A room with nothing in flight: its queued posts go out, but for those
 * that may have gone out before and were seen read back.
 */
static void
room_settled(struct xmpp *x, struct room *r)
{
    if (room_busy(r))
        return;
    for (struct post *p = x->posts, *next; p; p = next) {
        next = p->next;
        const char *id = p->gen == UINT_MAX && strcmp(p->room, r->jid) == 0
                             ? own_seen_id(r, p->key)
                             : NULL;
        if (id) {
            pf_info("xmpp: %s: post %s had arrived; not sending it again",
                    r->jid, p->key);
            confirm_post(x, r, p->key, id, 0);
        }
    }
    flush_posts(x, r);
    maybe_ready(x);
}

/*
 * After the join: read back what was missed. The catch-up also shows
 * which of our posts from before the outage did arrive (their
 * reflections carry our origin-id), so they are not sent twice; a room
 * with no message seen yet gets a look at its last page instead.
 */
static void
after_join(struct xmpp *x, struct room *r)
{
    int doubtful = 0;
    for (struct post *p = x->posts; p; p = p->next)
        if (strcmp(p->room, r->jid) == 0 && p->gen && p->gen != x->gen)
            doubtful = 1;
    if (r->last_id && !r->catch_q) {
        pf_info("xmpp: %s: catching up after %s", r->jid, r->last_id);
        r->catch_q = send_mam(x, r, r->last_id, MAM_PAGE);
    } else if (doubtful && !r->look_q) {
        r->look_q = send_mam(x, r, NULL, LOOKBACK);
    }
    room_settled(x, r);
}

static void
confirm_post(struct xmpp *x, struct room *r, const char *key,
             const char *msg_id, int in_order)
{
    struct post **pp = &x->posts;
    while (*pp) {
        struct post *p = *pp;
        if (strcmp(p->key, key) == 0 && strcmp(p->room, r->jid) == 0) {
            struct pf_event ev;
            memset(&ev, 0, sizeof(ev));
            ev.type = PF_EV_POSTED;
            ev.room = r->jid;
            ev.thread = "";
            ev.author_id = x->jid;
            ev.author_name = r->nick;
            ev.text = p->text;
            ev.msg_id = msg_id ? msg_id : "";
            ev.alt_id = p->key;
            ev.ref_id = "";
            ev.key = p->key;
            ev.own = 1;
            ev.in_order = in_order && msg_id;
            *pp = p->next;
            emit(x, &ev);
            free(p->room);
            free(p->text);
            free(p->key);
            free(p);
            return;
        }
        pp = &p->next;
    }
    if (in_order && msg_id)
        emit_cursor(x, r, msg_id);
}

/* The server refused post p: it is given up, and the relay is told. */
static void
give_up(struct xmpp *x, struct post *p, const char *why)
{
    for (struct post **pp = &x->posts; *pp; pp = &(*pp)->next) {
        if (*pp != p)
            continue;
        *pp = p->next;
        pf_warn("xmpp: %s: the server refused post %s (%s); it is given up, "
                "not sent again",
                p->room, p->key, why);
        struct pf_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = PF_EV_FAILED;
        ev.room = p->room;
        ev.thread = ev.msg_id = ev.alt_id = ev.ref_id = "";
        ev.author_id = x->jid;
        ev.author_name = x->nick;
        ev.text = why;
        ev.key = p->key;
        ev.own = 1;
        emit(x, &ev);
        free(p->room);
        free(p->text);
        free(p->key);
        free(p);
        return;
    }
}

static int
is_pending_key(struct xmpp *x, const char *key)
{
    for (struct post *p = x->posts; key && p; p = p->next)
        if (strcmp(p->key, key) == 0)
            return 1;
    return 0;
}

/* 1 when jid (bare or full) is the account bare */
static int
same_account(const char *jid, const char *bare_jid)
{
    size_t n = strlen(bare_jid);
    return strncmp(jid, bare_jid, n) == 0 && (!jid[n] || jid[n] == '/');
}

/*
 * Who wrote a message read back from r's archive: the real JID the room
 * stored with it, or NULL when that cannot be known. Prosody keeps it
 * only in rooms that show real JIDs to everyone, by adding an
 * <x xmlns='muc#user'><item jid=.../></x> to the archived copy (and
 * strips every such element from archive answers otherwise). A sender may
 * put one of its own into its message, and the server keeps that too: so
 * only a room that shows real JIDs counts, and a message with more than
 * one such element (someone added one) names nobody.
 */
static const char *
archived_author(const struct room *r, const struct pf_xnode *m,
                const char **why)
{
    const char *jid = NULL;
    int n = 0;
    for (const struct pf_xnode *ux = pf_xml_child(m, NS_MUC_USER, "x"); ux;
         ux = pf_xml_next(ux, NS_MUC_USER, "x")) {
        const struct pf_xnode *item = pf_xml_child(ux, NS_MUC_USER, "item");
        n++;
        jid = item ? pf_xml_attr(item, "jid") : NULL;
    }
    *why = !r->shows_jids              ? "the room does not show real JIDs"
           : n > 1                     ? "its sender added an author of its own"
           : !jid || !strchr(jid, '@') ? "the archive kept no real JID"
                                       : NULL;
    return *why ? NULL : jid;
}

/*
 * One groupchat message from room r (live, or read back from the archive
 * with archive_id and catchup set).
 */
static void
groupchat(struct xmpp *x, struct room *r, const struct pf_xnode *m,
          const char *archive_id, int catchup, int64_t stamp)
{
    const char *from = pf_xml_attr(m, "from"), *nick;
    if (room_of(x, from, &nick) != r || !nick)
        return; /* from the room itself: subject changes and the like */
    const struct pf_xnode *sid = NULL;
    for (const struct pf_xnode *c = pf_xml_child(m, NS_SID, "stanza-id"); c;
         c = pf_xml_next(c, NS_SID, "stanza-id")) {
        const char *by = pf_xml_attr(c, "by");
        if (by && strcmp(by, r->jid) == 0)
            sid = c;
    }
    const char *msg_id = archive_id ? archive_id
                         : sid      ? pf_xml_attr(sid, "id")
                                    : NULL;
    const struct pf_xnode *origin = pf_xml_child(m, NS_SID, "origin-id");
    const char *origin_id = origin ? pf_xml_attr(origin, "id") : NULL;
    /* history replayed on join: never live input */
    int delayed = !archive_id && pf_xml_child(m, NS_DELAY, "delay");

    /* the resume point moves over the archive as it is read, and over
       live messages only once the room is caught up */
    int in_order = msg_id && *msg_id && !delayed && (archive_id || !r->catch_q);
    if (in_order) {
        free(r->last_id);
        r->last_id = pf_xstrdup(msg_id);
    }
    const char *real, *why = NULL;
    if (archive_id) {
        real = archived_author(r, m, &why);
    } else {
        struct member *mem = find_member(r, nick);
        real = mem && mem->real ? mem->id : NULL;
    }
    /* ours: live, our nick (nobody else has it while we are in the room);
       read back, our JID (anyone may have taken the nick meanwhile) */
    int own = real && archive_id ? same_account(real, x->jid)
                                 : strcmp(nick, r->nick) == 0;
    if (own) {
        if (origin_id && is_pending_key(x, origin_id)) {
            confirm_post(x, r, origin_id, msg_id, in_order);
            return;
        }
        if (origin_id && archive_id)
            own_seen(r, origin_id, msg_id);
        if (in_order)
            emit_cursor(x, r, msg_id);
        return;
    }
    if (delayed)
        return;
    if (why && !r->warned_archive) {
        pf_warn("xmpp: %s: messages read back from the archive do not say "
                "who wrote them (%s): they decide nothing",
                r->jid, why);
        r->warned_archive = 1;
    }

    struct pf_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.room = r->jid;
    ev.thread = "";
    ev.author_name = nick;
    char *who = real ? bare(real) : pf_xasprintf("%s/%s", r->jid, nick);
    ev.author_id = who;
    ev.anonymous = !real;
    ev.in_order = in_order;
    ev.msg_id = msg_id ? msg_id : attr_or(m, "id", "");
    ev.alt_id = attr_or(m, "id", "");
    ev.ref_id = "";
    ev.key = "";
    ev.catchup = catchup;
    ev.ts_ms = stamp ? stamp : pf_wall_us() / 1000;

    const struct pf_xnode *reactions =
        pf_xml_child(m, NS_REACTIONS, "reactions");
    const struct pf_xnode *body = pf_xml_child(m, NS_CLIENT, "body");
    /* XEP-0424: <retract id='stanza-id'/>, or the older form that wraps
       it in <apply-to id='origin-id'/> */
    const struct pf_xnode *retract = pf_xml_child(m, NS_RETRACT, "retract");
    const struct pf_xnode *apply = pf_xml_child(m, NS_FASTEN, "apply-to");
    if (!retract && apply && pf_xml_child(apply, NS_RETRACT0, "retract"))
        retract = apply;
    int emitted = 0;
    if (retract && pf_xml_attr(retract, "id")) {
        ev.type = PF_EV_DELETE;
        ev.ref_id = pf_xml_attr(retract, "id");
        ev.text = "";
        emit(x, &ev);
        emitted = 1;
    } else if (reactions) {
        ev.type = PF_EV_REACTION;
        ev.ref_id = attr_or(reactions, "id", "");
        for (const struct pf_xnode *c =
                 pf_xml_child(reactions, NULL, "reaction");
             c; c = pf_xml_next(c, NULL, "reaction")) {
            ev.text = c->text;
            emit(x, &ev);
            emitted = 1;
        }
    } else if (body) {
        const struct pf_xnode *replace = pf_xml_child(m, NS_CORRECT, "replace");
        ev.text = body->text;
        if (replace && pf_xml_attr(replace, "id")) {
            ev.type = PF_EV_EDIT;
            ev.ref_id = pf_xml_attr(replace, "id");
        } else {
            ev.type = PF_EV_MESSAGE;
        }
        emit(x, &ev);
        emitted = 1;
    }
    if (!emitted && in_order)
        emit_cursor(x, r, msg_id);
    free(who);
}

static void
direct_message(struct xmpp *x, const struct pf_xnode *m)
{
    const struct pf_xnode *body = pf_xml_child(m, NS_CLIENT, "body");
    const char *from = pf_xml_attr(m, "from");
    if (!body || !from || pf_xml_child(m, NS_DELAY, "delay"))
        return;
    char *who = bare(from);
    const char *slash = strchr(who, '@');
    struct pf_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = PF_EV_MESSAGE;
    ev.room = NULL;
    ev.thread = pf_xml_child(m, NS_CLIENT, "thread")
                    ? pf_xml_child(m, NS_CLIENT, "thread")->text
                    : "";
    ev.author_id = who;
    char *name =
        slash ? pf_xstrndup(who, (size_t)(slash - who)) : pf_xstrdup(who);
    ev.author_name = name;
    ev.text = body->text;
    /* the id its sender chose is no stable id: two people's clients
       number their messages alike, and a sender may reuse one. The
       server's stanza-id for our account is, where it keeps one. */
    ev.msg_id = "";
    for (const struct pf_xnode *c = pf_xml_child(m, NS_SID, "stanza-id"); c;
         c = pf_xml_next(c, NS_SID, "stanza-id")) {
        const char *by = pf_xml_attr(c, "by");
        if (by && strcasecmp(by, x->jid) == 0)
            ev.msg_id = attr_or(c, "id", "");
    }
    ev.alt_id = attr_or(m, "id", "");
    ev.ref_id = ev.key = "";
    ev.ts_ms = pf_wall_us() / 1000;
    emit(x, &ev);
    free(name);
    free(who);
}

static void
mam_result(struct xmpp *x, const struct pf_xnode *m,
           const struct pf_xnode *result)
{
    const char *from = pf_xml_attr(m, "from"), *nick;
    struct room *r = room_of(x, from, &nick);
    const char *qid = pf_xml_attr(result, "queryid");
    const struct pf_xnode *fwd = pf_xml_child(result, NS_FORWARD, "forwarded");
    const struct pf_xnode *inner = pf_xml_child(fwd, NS_CLIENT, "message");
    /* only the room itself answers for its archive: an occupant (from
       room/nick) can put anything into a private message */
    if (!r || nick || !qid || !inner)
        return;
    const struct pf_xnode *delay = pf_xml_child(fwd, NS_DELAY, "delay");
    int64_t stamp = delay ? parse_stamp(pf_xml_attr(delay, "stamp")) : 0;
    if (r->catch_q && strcmp(qid, r->catch_q) == 0) {
        groupchat(x, r, inner, pf_xml_attr(result, "id"), 1, stamp);
    } else if (r->look_q && strcmp(qid, r->look_q) == 0) {
        const struct pf_xnode *o = pf_xml_child(inner, NS_SID, "origin-id");
        const char *key = o ? pf_xml_attr(o, "id") : NULL;
        const char *ifrom = pf_xml_attr(inner, "from"), *inick;
        const char *why;
        const char *real = archived_author(r, inner, &why);
        int own =
            room_of(x, ifrom, &inick) == r && inick &&
            (real ? same_account(real, x->jid) : strcmp(inick, r->nick) == 0);
        if (key && own && is_pending_key(x, key)) {
            pf_info("xmpp: %s: post %s had arrived; not sending it again",
                    r->jid, key);
            confirm_post(x, r, key, pf_xml_attr(result, "id"), 0);
        } else if (key && own) {
            own_seen(r, key, pf_xml_attr(result, "id"));
        }
    }
}

static void
message(struct xmpp *x, const struct pf_xnode *m)
{
    const char *type = pf_xml_attr(m, "type");
    const char *from = pf_xml_attr(m, "from"), *nick;
    const struct pf_xnode *result = pf_xml_child(m, NS_MAM, "result");
    if (result) {
        mam_result(x, m, result);
        return;
    }
    if (type && strcmp(type, "error") == 0) {
        const struct pf_xnode *e = pf_xml_child(m, NS_CLIENT, "error");
        const char *cond = e && e->child ? e->child->name : "unknown";
        const char *etype = attr_or(e, "type", "cancel");
        const char *id = pf_xml_attr(m, "id");
        struct room *er = room_of(x, from, &nick);
        pf_warn("xmpp: message error from %s: %s", from ? from : "?", cond);
        /* one of our posts, refused by its room: retried later only when
           the server says so (type wait), and not for ever */
        for (struct post *p = x->posts; er && !nick && id && p; p = p->next) {
            if (strcmp(p->key, id) != 0 || strcmp(p->room, er->jid) != 0)
                continue;
            if (strcmp(etype, "wait") != 0 || ++p->strikes >= STRIKES_MAX)
                give_up(x, p, cond);
            break;
        }
        return;
    }
    struct room *r = room_of(x, from, &nick);
    if (r && type && strcmp(type, "groupchat") == 0) {
        groupchat(x, r, m, NULL, 0, 0);
        return;
    }
    if (!r &&
        (!type || strcmp(type, "chat") == 0 || strcmp(type, "normal") == 0))
        direct_message(x, m);
}

static void
presence(struct xmpp *x, const struct pf_xnode *p)
{
    const char *from = pf_xml_attr(p, "from"), *nick;
    const char *type = pf_xml_attr(p, "type");
    struct room *r = room_of(x, from, &nick);
    if (!r || !nick)
        return;
    if (type && strcmp(type, "error") == 0) {
        const struct pf_xnode *e = pf_xml_child(p, NS_CLIENT, "error");
        const char *cond = e && e->child ? e->child->name : "unknown";
        if (strcmp(cond, "conflict") == 0 && r->nick_tries < 5) {
            char *n = pf_xasprintf("%s_", r->nick);
            pf_warn("xmpp: %s: nick '%s' taken, trying '%s'", r->jid, r->nick,
                    n);
            free(r->nick);
            r->nick = n;
            r->nick_tries++;
            send_join(x, r);
        } else {
            pf_err("xmpp: cannot join %s: %s", r->jid, cond);
        }
        return;
    }
    const struct pf_xnode *ux = pf_xml_child(p, NS_MUC_USER, "x");
    int self = 0, created = 0, nonanonymous = 0;
    for (const struct pf_xnode *s = pf_xml_child(ux, NULL, "status"); s;
         s = pf_xml_next(s, NULL, "status")) {
        const char *code = pf_xml_attr(s, "code");
        if (code && strcmp(code, "110") == 0)
            self = 1;
        if (code && strcmp(code, "201") == 0)
            created = 1;
        if (code && strcmp(code, "100") == 0)
            nonanonymous = 1;
    }
    const struct pf_xnode *item = pf_xml_child(ux, NULL, "item");
    const char *real = item ? pf_xml_attr(item, "jid") : NULL;
    const char *aff = item ? pf_xml_attr(item, "affiliation") : NULL;
    int affiliated =
        aff && (strcmp(aff, "member") == 0 || strcmp(aff, "admin") == 0 ||
                strcmp(aff, "owner") == 0);
    struct pf_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.room = r->jid;
    ev.thread = ev.msg_id = ev.ref_id = ev.key = ev.text = ev.alt_id = "";
    ev.author_name = nick;

    if (type && strcmp(type, "unavailable") == 0) {
        struct member *m = find_member(r, nick);
        if (self) {
            r->joined = 0;
            return;
        }
        if (!m)
            return;
        ev.type = PF_EV_LEAVE;
        ev.author_id = m->id;
        emit(x, &ev);
        free(m->nick);
        free(m->id);
        *m = r->members[--r->n_members];
        return;
    }
    if (self) {
        if (created) {
            struct pf_buf b = PF_BUF_INIT;
            pf_info("xmpp: created room %s", r->jid);
            pf_buf_addstr(&b, "<iq xmlns='" NS_CLIENT "' type='set' id='");
            pf_buf_addstr(&b, new_request(x, new_id(x, "cfg"), r->jid));
            r->setup++;
            pf_buf_addstr(&b, "' to='");
            pf_xml_escape_str(&b, r->jid);
            pf_buf_addstr(&b, "'><query xmlns='" NS_MUC_OWNER
                              "'><x xmlns='jabber:x:data' type='submit'>");
            /* persistent; members-only and hidden, so that only whom
               its owners add can join it, or find it; non-anonymous
               (whois: anyone): only then does the room's archive keep
               who wrote what, so that what is read back after a
               reconnect can be attributed, and decide */
            if (x->configure_rooms)
                pf_buf_addstr(
                    &b, "<field var='FORM_TYPE'><value>http://jabber.org/"
                        "protocol/muc#roomconfig</value></field><field "
                        "var='muc#roomconfig_persistentroom'><value>1</value>"
                        "</field><field var='muc#roomconfig_membersonly'>"
                        "<value>1</value></field><field var='muc#roomconfig_"
                        "publicroom'><value>0</value></field><field "
                        "var='muc#roomconfig_whois'><value>anyone</value>"
                        "</field>");
            if (x->configure_rooms)
                nonanonymous = 1;
            pf_buf_addstr(&b, "</x></query></iq>");
            send_buf(x, &b);
            /* the supervisors own it with the bot: they add the team */
            for (size_t i = 0; x->configure_rooms && i < x->n_owners; i++) {
                pf_buf_addstr(&b, "<iq xmlns='" NS_CLIENT "' type='set' id='");
                pf_buf_addstr(&b, new_request(x, new_id(x, "own"), r->jid));
                r->setup++;
                pf_buf_addstr(&b, "' to='");
                pf_xml_escape_str(&b, r->jid);
                pf_buf_addstr(&b, "'><query xmlns='" NS_MUC_ADMIN
                                  "'><item affiliation='owner' jid='");
                pf_xml_escape_str(&b, x->owners[i]);
                pf_buf_addstr(&b, "'/></query></iq>");
                send_buf(x, &b);
            }
        }
        if (!r->joined) {
            r->joined = 1;
            r->shows_jids = nonanonymous;
            r->warned_archive = 0;
            pf_info("xmpp: joined %s as %s", r->jid, nick);
            if (!nonanonymous)
                pf_warn("xmpp: %s does not show real JIDs to everyone (it "
                        "is not non-anonymous), so its archive does not keep "
                        "who wrote what: what is read back from it after a "
                        "reconnect decides nothing (no commands, no replies "
                        "held in anyone's name). Make it non-anonymous "
                        "(muc#roomconfig_whois: anyone)",
                        r->jid);
            after_join(x, r);
        }
        return;
    }
    struct member *m = find_member(r, nick);
    if (!real && !r->warned_anonymous) {
        pf_warn("xmpp: %s does not show the bot who its members are (no "
                "real JIDs): nobody can be told apart there, so nothing "
                "said there decides anything. Make the room non-anonymous "
                "(muc#roomconfig_whois: anyone)",
                r->jid);
        r->warned_anonymous = 1;
    }
    char *id = real ? bare(real) : pf_xasprintf("%s/%s", r->jid, nick);
    if (m) {
        int changed = m->affiliated != affiliated || strcmp(m->id, id) != 0;
        free(m->id);
        m->id = id;
        m->real = real != NULL;
        m->affiliated = affiliated;
        if (changed) { /* told again: who it is, or whether a member */
            ev.type = PF_EV_JOIN;
            ev.author_id = m->id;
            ev.member = affiliated;
            emit(x, &ev);
        }
        return;
    }
    if (r->n_members == r->cap_members) {
        r->cap_members = r->cap_members ? r->cap_members * 2 : 16;
        r->members =
            pf_xrealloc(r->members, r->cap_members * sizeof(*r->members));
    }
    m = &r->members[r->n_members++];
    m->nick = pf_xstrdup(nick);
    m->id = id;
    m->real = real != NULL;
    m->affiliated = affiliated;
    ev.type = PF_EV_JOIN;
    ev.author_id = m->id;
    ev.member = affiliated;
    emit(x, &ev);
}

static void
iq(struct xmpp *x, const struct pf_xnode *q)
{
    const char *type = pf_xml_attr(q, "type"), *id = pf_xml_attr(q, "id");
    const char *from = pf_xml_attr(q, "from");
    if (!type || !id)
        return;
    if (strcmp(type, "get") == 0 || strcmp(type, "set") == 0) {
        /* answer pings; refuse everything else politely */
        struct pf_buf b = PF_BUF_INIT;
        int ping = pf_xml_child(q, NS_PING, "ping") != NULL;
        pf_buf_addf(&b, "<iq xmlns='" NS_CLIENT "' type='%s' id='",
                    ping ? "result" : "error");
        pf_xml_escape_str(&b, id);
        pf_buf_addch(&b, '\'');
        if (from) {
            pf_buf_addstr(&b, " to='");
            pf_xml_escape_str(&b, from);
            pf_buf_addch(&b, '\'');
        }
        if (ping)
            pf_buf_addstr(&b, "/>");
        else
            pf_buf_addstr(&b, "><error type='cancel'><service-unavailable "
                              "xmlns='" NS_STANZAS "'/></error></iq>");
        send_buf(x, &b);
        return;
    }
    if (!take_request(x, id, from)) {
        /* anyone can send the bot an iq: one of ours is answered once,
           by where it went */
        if (x->ignored++ < 5)
            pf_warn("xmpp: ignoring an answer (iq type '%s', id '%s') from "
                    "%s: it answers no request of ours",
                    type, id, from ? from : "the server");
        return;
    }
    if (strncmp(id, "cfg", 3) == 0 || strncmp(id, "own", 3) == 0) {
        /* the room we created, configured (from is the room: checked) */
        struct room *r = find_room(x, from, strlen(from));
        if (strcmp(type, "result") != 0) {
            const struct pf_xnode *e = pf_xml_child(q, NS_CLIENT, "error");
            pf_warn("xmpp: %s: could not %s: %s", from,
                    id[0] == 'c' ? "configure the room (members-only, hidden, "
                                   "non-anonymous)"
                                 : "make a supervisor its owner",
                    e && e->child ? e->child->name : "unknown");
        }
        if (r && r->setup) {
            r->setup--;
            room_settled(x, r);
        }
        return;
    }
    if (strcmp(id, "bind") == 0) {
        const struct pf_xnode *jid =
            pf_xml_child(pf_xml_child(q, NS_BIND, "bind"), NS_BIND, "jid");
        if (strcmp(type, "result") != 0 || !jid) {
            pf_ws_drop(x->ws, "resource binding failed");
            return;
        }
        if (!is_account(jid->text, x->jid) ||
            jid->text[strlen(x->jid)] != '/' ||
            !jid->text[strlen(x->jid) + 1]) {
            pf_err("xmpp: the server bound the address '%s', not one of "
                   "%s",
                   jid->text, x->jid);
            pf_ws_drop(x->ws, "resource binding gave another address");
            return;
        }
        free(x->full_jid);
        x->full_jid = pf_xstrdup(jid->text);
        pf_info("xmpp: logged in as %s", x->full_jid);
        struct pf_buf b = PF_BUF_INIT;
        pf_buf_addstr(&b, "<presence xmlns='" NS_CLIENT "'/>");
        send_buf(x, &b);
        x->state = S_JOIN;
        emit_state(x, "connected");
        for (size_t i = 0; i < x->n_rooms; i++) {
            clear_members(&x->rooms[i]);
            send_join(x, &x->rooms[i]);
        }
        maybe_ready(x);
        return;
    }
    for (size_t i = 0; i < x->n_rooms; i++) {
        struct room *r = &x->rooms[i];
        if (r->catch_q && strcmp(id, r->catch_q) == 0) {
            const struct pf_xnode *fin = pf_xml_child(q, NS_MAM, "fin");
            const char *complete = fin ? pf_xml_attr(fin, "complete") : NULL;
            const struct pf_xnode *last =
                pf_xml_child(pf_xml_child(fin, NS_RSM, "set"), NS_RSM, "last");
            free(r->catch_q);
            r->catch_q = NULL;
            if (strcmp(type, "result") != 0) {
                pf_warn("xmpp: %s: cannot read back what was missed (the "
                        "archive refused); continuing live",
                        r->jid);
            } else if ((!complete || strcmp(complete, "true") != 0) && last &&
                       last->text[0]) {
                r->catch_q = send_mam(x, r, last->text, MAM_PAGE);
                return;
            }
            room_settled(x, r);
            return;
        }
        if (r->look_q && strcmp(id, r->look_q) == 0) {
            free(r->look_q);
            r->look_q = NULL;
            room_settled(x, r);
            return;
        }
    }
    if (strcmp(type, "error") == 0) {
        const struct pf_xnode *e = pf_xml_child(q, NS_CLIENT, "error");
        pf_warn("xmpp: request %s failed: %s", id,
                e && e->child ? e->child->name : "unknown");
    }
}

static void
features(struct xmpp *x, const struct pf_xnode *f)
{
    /* XEP-0478: what the server takes in one stanza */
    const struct pf_xnode *mb = pf_xml_child(
        pf_xml_child(f, NS_LIMITS, "limits"), NS_LIMITS, "max-bytes");
    if (mb) {
        char *end;
        unsigned long long v = strtoull(mb->text, &end, 10);
        if (end != mb->text && !*end && v >= 1024)
            x->server_limit = v > SIZE_MAX ? SIZE_MAX : (size_t)v;
    }
    if (x->authed) {
        struct pf_buf b = PF_BUF_INIT;
        if (!pf_xml_child(f, NS_BIND, "bind")) {
            pf_ws_drop(x->ws, "server offers no resource binding");
            return;
        }
        x->state = S_BIND;
        pf_buf_addstr(&b, "<iq xmlns='" NS_CLIENT "' type='set' id='");
        pf_buf_addstr(&b, new_request(x, pf_xstrdup("bind"), NULL));
        pf_buf_addstr(&b, "'><bind xmlns='" NS_BIND "'><resource>");
        pf_xml_escape_str(&b, x->resource);
        pf_buf_addstr(&b, "</resource></bind></iq>");
        send_buf(x, &b);
        return;
    }
    const struct pf_xnode *mechs = pf_xml_child(f, NS_SASL, "mechanisms");
    int plain = 0, scram = 0;
    for (const struct pf_xnode *m = pf_xml_child(mechs, NS_SASL, "mechanism");
         m; m = pf_xml_next(m, NS_SASL, "mechanism")) {
        if (strcmp(m->text, "PLAIN") == 0)
            plain = 1;
        if (strcmp(m->text, "SCRAM-SHA-256") == 0)
            scram = 1;
    }
    int want_scram = strcmp(x->sasl_pref, "plain") != 0;
    int want_plain = strcmp(x->sasl_pref, "scram-sha-256") != 0;
    struct pf_buf b = PF_BUF_INIT;
    x->state = S_AUTH;
    if (scram && want_scram) {
        char *first;
        pf_info("xmpp: logging in as %s with SCRAM-SHA-256", x->jid);
        pf_scram_free(x->scram);
        x->scram = pf_scram_start(x->user, NULL, &first);
        pf_buf_addstr(&b,
                      "<auth xmlns='" NS_SASL "' mechanism='SCRAM-SHA-256'>");
        pf_buf_addstr(&b, first);
        pf_buf_addstr(&b, "</auth>");
        free(first);
    } else if (plain && want_plain) {
        char *cred = pf_sasl_plain(x->user, x->password);
        if (x->cleartext)
            pf_warn("xmpp: logging in as %s with PLAIN over an unencrypted "
                    "connection to a host that is not this machine: the "
                    "password can be read on the way; use wss://",
                    x->jid);
        else
            pf_info("xmpp: logging in as %s with PLAIN", x->jid);
        pf_buf_addstr(&b, "<auth xmlns='" NS_SASL "' mechanism='PLAIN'>");
        pf_buf_addstr(&b, cred);
        pf_buf_addstr(&b, "</auth>");
        sodium_memzero(cred, strlen(cred));
        free(cred);
    } else {
        pf_err("xmpp: the server offers no SASL mechanism pokerface may use "
               "(configured: %s)",
               x->sasl_pref);
        pf_ws_drop(x->ws, "no usable SASL mechanism");
        pf_buf_release(&b);
        return;
    }
    send_buf(x, &b);
}

static void
sasl(struct xmpp *x, const struct pf_xnode *s)
{
    char err[256];
    if (strcmp(s->name, "challenge") == 0 && x->scram) {
        char *final;
        if (pf_scram_final(x->scram, x->password, s->text, &final, err,
                           sizeof(err)) != 0) {
            pf_err("xmpp: SCRAM login failed: %s", err);
            pf_ws_drop(x->ws, "SCRAM failed");
            return;
        }
        struct pf_buf b = PF_BUF_INIT;
        pf_buf_addstr(&b, "<response xmlns='" NS_SASL "'>");
        pf_buf_addstr(&b, final);
        pf_buf_addstr(&b, "</response>");
        free(final);
        send_buf(x, &b);
    } else if (strcmp(s->name, "success") == 0) {
        if (x->scram &&
            pf_scram_verify(x->scram, s->text, err, sizeof(err)) != 0) {
            pf_err("xmpp: refusing the server: %s", err);
            pf_ws_drop(x->ws, "server failed SCRAM verification");
            return;
        }
        pf_scram_free(x->scram);
        x->scram = NULL;
        x->authed = 1;
        send_open(x); /* stream restart */
    } else if (strcmp(s->name, "failure") == 0) {
        pf_err("xmpp: login as %s refused: %s", x->jid,
               s->child ? s->child->name : "unknown reason");
        pf_ws_drop(x->ws, "authentication failed");
    }
}

/*
 * The connection ended while posts were on their way: for a policy
 * violation (Prosody: a stanza over its size limit; weight 2), or without
 * a word (weight 1: Prosody's stream error can be lost as it closes the
 * socket). The oldest post sent on this connection and not yet back is
 * the likeliest cause: after STRIKES_MAX it is given up, or it would be
 * sent after every reconnect, for ever. A post in flight when the
 * connection is lost for other reasons is back on the next one, and its
 * strikes go with it.
 */
static void
strike(struct xmpp *x, unsigned weight)
{
    for (struct post *p = x->posts; p; p = p->next) {
        if (p->gen != x->gen)
            continue;
        p->strikes += weight;
        if (p->strikes >= STRIKES_MAX)
            give_up(x, p,
                    "the connection ended each time it was sent, for a "
                    "policy violation");
        return;
    }
}

/*
 * A stanza over the limit was dropped: what its start says. A message in
 * a room (live, or an archive page's) or a direct one is reported with
 * who wrote it; anything else is only logged.
 */
static void
ws_too_big(void *ud, const char *head, size_t len, size_t size)
{
    struct xmpp *x = ud;
    struct pf_xnode *n;
    char err[256];
    pf_arena_reset(&x->arena);
    if (pf_xml_parse_head(&x->arena, head, len, &x->lim, &n, err,
                          sizeof(err)) != PF_OK ||
        !pf_xml_is(n, NS_CLIENT, "message")) {
        pf_warn("xmpp: a stanza of %zu bytes from the server, over the limit "
                "of %zu, was dropped unread",
                size, x->lim.max_bytes);
        return;
    }
    const struct pf_xnode *m = n, *result = pf_xml_child(n, NS_MAM, "result");
    const char *archive_id = NULL, *nick;
    struct room *r = room_of(x, pf_xml_attr(n, "from"), &nick);
    if (result) {
        /* an archive page's message: only from the room itself */
        if (!r || nick)
            return;
        archive_id = pf_xml_attr(result, "id");
        m = pf_xml_child(pf_xml_child(result, NS_FORWARD, "forwarded"),
                         NS_CLIENT, "message");
        if (room_of(x, pf_xml_attr(m, "from"), &nick) != r)
            return;
    }
    const char *type = attr_or(m, "type", "normal");
    const struct pf_xnode *body = pf_xml_child(m, NS_CLIENT, "body");
    struct pf_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = PF_EV_TOOBIG;
    ev.thread = ev.ref_id = ev.key = "";
    ev.text = body ? body->text : "";
    ev.msg_id = archive_id ? archive_id : "";
    ev.alt_id = attr_or(m, "id", "");
    ev.bytes = size;
    ev.limit = x->lim.max_bytes;
    ev.catchup = archive_id != NULL;
    ev.ts_ms = pf_wall_us() / 1000;
    char *who = NULL;
    if (r && nick && strcmp(type, "groupchat") == 0) {
        if (strcmp(nick, r->nick) == 0)
            return; /* ours */
        struct member *mem = find_member(r, nick);
        ev.room = r->jid;
        ev.author_name = nick;
        ev.anonymous = !(mem && mem->real) || archive_id;
        who = mem && mem->real && !archive_id
                  ? pf_xstrdup(mem->id)
                  : pf_xasprintf("%s/%s", r->jid, nick);
    } else if (!r && pf_xml_attr(m, "from") && strcmp(type, "error") != 0 &&
               strcmp(type, "groupchat") != 0) {
        who = bare(pf_xml_attr(m, "from"));
        ev.author_name = who;
    } else {
        pf_warn("xmpp: a message of %zu bytes from %s, over the limit of %zu, "
                "was dropped unread",
                size, attr_or(m, "from", "the server"), x->lim.max_bytes);
        return;
    }
    ev.author_id = who;
    emit(x, &ev);
    free(who);
}

static void
ws_message(void *ud, const char *data, size_t len)
{
    struct xmpp *x = ud;
    struct pf_xnode *n;
    char err[256];
    x->rx_ns = pf_now_ns();
    if (x->tap)
        x->tap(x->tap_ud, 1, data, len);
    pf_arena_reset(&x->arena);
    if (pf_xml_parse(&x->arena, data, len, &x->lim, &n, err, sizeof(err)) !=
        PF_OK) {
        pf_warn("xmpp: ignoring a stanza from the server: %s", err);
        return;
    }
    if (strcmp(n->ns, NS_FRAMING) == 0) {
        if (strcmp(n->name, "close") == 0)
            pf_info("xmpp: the server closed the stream");
        return;
    }
    if (pf_xml_is(n, NS_STREAMS, "features")) {
        features(x, n);
    } else if (pf_xml_is(n, NS_STREAMS, "error")) {
        pf_warn("xmpp: stream error from the server: %s",
                n->child ? n->child->name : "unknown");
        x->stream_error = 1;
        if (pf_xml_child(n, NS_XSTREAMS, "policy-violation"))
            strike(x, 2);
        pf_ws_drop(x->ws, "stream error");
    } else if (strcmp(n->ns, NS_SASL) == 0) {
        sasl(x, n);
    } else if (pf_xml_is(n, NS_CLIENT, "message")) {
        message(x, n);
    } else if (pf_xml_is(n, NS_CLIENT, "presence")) {
        presence(x, n);
    } else if (pf_xml_is(n, NS_CLIENT, "iq")) {
        iq(x, n);
    } else {
        pf_debug("xmpp: ignoring <%s xmlns='%s'>", n->name, n->ns);
    }
}

static void
ws_open(void *ud)
{
    struct xmpp *x = ud;
    x->state = S_OPEN;
    x->authed = 0;
    x->ignored = 0;
    x->stream_error = 0;
    clear_requests(x);
    x->gen++;
    send_open(x);
}

static void
ws_closed(void *ud, const char *why)
{
    struct xmpp *x = ud;
    int was = x->state;
    (void)why;
    if (!x->stream_error && !x->stopped)
        strike(x, 1);
    x->state = S_DOWN;
    x->authed = 0;
    clear_requests(x);
    pf_scram_free(x->scram);
    x->scram = NULL;
    for (size_t i = 0; i < x->n_rooms; i++) {
        struct room *r = &x->rooms[i];
        r->joined = 0;
        r->setup = 0;
        free(r->catch_q);
        free(r->look_q);
        r->catch_q = r->look_q = NULL;
    }
    if (was >= S_JOIN)
        emit_state(x, "disconnected");
}

static const struct pf_ws_ops ws_ops = {ws_open, ws_message, ws_closed,
                                        ws_too_big};

/* ---- the connector ops ---- */

static int
op_start(struct pf_connector *c)
{
    struct xmpp *x = (struct xmpp *)c;
    x->stopped = 0;
    pf_ws_start(x->ws);
    return PF_OK;
}

static void
op_stop(struct pf_connector *c)
{
    struct xmpp *x = (struct xmpp *)c;
    if (pf_ws_is_open(x->ws)) {
        struct pf_buf b = PF_BUF_INIT;
        pf_buf_addstr(&b, "<close xmlns='" NS_FRAMING "'/>");
        send_buf(x, &b);
    }
    x->stopped = 1;
    pf_ws_stop(x->ws);
}

static int
op_join(struct pf_connector *c, const char *room)
{
    struct xmpp *x = (struct xmpp *)c;
    if (find_room(x, room, strlen(room)))
        return PF_OK;
    if (!strchr(room, '@') || strchr(room, '/'))
        return PF_EINVAL;
    x->rooms = pf_xrealloc(x->rooms, (x->n_rooms + 1) * sizeof(*x->rooms));
    struct room *r = &x->rooms[x->n_rooms++];
    memset(r, 0, sizeof(*r));
    r->jid = pf_xstrdup(room);
    r->nick = pf_xstrdup(x->nick);
    if (x->state >= S_JOIN) {
        x->state = S_JOIN;
        send_join(x, r);
    }
    return PF_OK;
}

static int
add_post(struct xmpp *x, const char *room, const char *text, const char *key,
         int again)
{
    struct room *r = find_room(x, room, strlen(room));
    if (!r || !key || !*key || strlen(key) >= KEY_MAX)
        return PF_EINVAL;
    if (is_pending_key(x, key))
        return PF_OK; /* the same post again: already on its way */
    if (!fits(x, room, text)) {
        pf_warn("xmpp: %s: a post of %zu bytes is over what the server takes "
                "(%zu bytes in a stanza); not sent",
                room, strlen(text), stanza_limit(x));
        return PF_ETOOBIG;
    }
    struct post *p = pf_xcalloc(1, sizeof(*p));
    p->room = pf_xstrdup(room);
    p->text = pf_xstrdup(text);
    p->key = pf_xstrdup(key);
    /* sent on a connection of an earlier run, as far as we know: looked
       for in the room before it goes out */
    p->gen = again ? UINT_MAX : 0;
    /* keep the order posts were made in */
    struct post **pp = &x->posts;
    while (*pp)
        pp = &(*pp)->next;
    *pp = p;
    if (!again && (x->state == S_READY || (r->joined && !room_busy(r))))
        send_post(x, p);
    /* one that may have gone out before: the room's last page is read
       first (a room still busy reads back what it missed, and is looked
       at when it settles: room_settled) */
    if (again && r->joined && !room_busy(r))
        r->look_q = send_mam(x, r, NULL, LOOKBACK);
    return PF_OK;
}

static int
op_post(struct pf_connector *c, const char *room, const char *thread,
        const char *text, const char *key)
{
    (void)thread;
    return add_post((struct xmpp *)c, room, text, key, 0);
}

static int
op_post_again(struct pf_connector *c, const char *room, const char *thread,
              const char *text, const char *key)
{
    (void)thread;
    return add_post((struct xmpp *)c, room, text, key, 1);
}

static int
op_direct(struct pf_connector *c, const char *user, const char *text)
{
    struct xmpp *x = (struct xmpp *)c;
    struct pf_buf b = PF_BUF_INIT;
    if (!strchr(user, '@') || x->state < S_JOIN)
        return PF_EINVAL;
    if (!fits(x, user, text)) {
        pf_warn("xmpp: a direct message of %zu bytes to %s is over what the "
                "server takes (%zu bytes in a stanza); not sent",
                strlen(text), user, stanza_limit(x));
        return PF_ETOOBIG;
    }
    char *id = new_id(x, "dm");
    pf_buf_addstr(&b, "<message xmlns='" NS_CLIENT "' type='chat' to='");
    pf_xml_escape_str(&b, user);
    pf_buf_addf(&b, "' id='%s'><body>", id);
    pf_xml_escape_str(&b, text);
    pf_buf_addstr(&b, "</body></message>");
    free(id);
    send_buf(x, &b);
    return PF_OK;
}

static int
op_react(struct pf_connector *c, const char *room, const char *msg_id,
         const char *emoji)
{
    struct xmpp *x = (struct xmpp *)c;
    struct pf_buf b = PF_BUF_INIT;
    if (x->state < S_JOIN)
        return PF_EINVAL;
    char *id = new_id(x, "react");
    pf_buf_addstr(&b, "<message xmlns='" NS_CLIENT "' type='groupchat' to='");
    pf_xml_escape_str(&b, room);
    pf_buf_addf(&b, "' id='%s'><reactions xmlns='" NS_REACTIONS "' id='", id);
    pf_xml_escape_str(&b, msg_id);
    pf_buf_addstr(&b, "'><reaction>");
    pf_xml_escape_str(&b, emoji);
    pf_buf_addstr(&b, "</reaction></reactions><store xmlns='urn:xmpp:hints'/>"
                      "</message>");
    free(id);
    send_buf(x, &b);
    return PF_OK;
}

/* XEP-0424 retraction of one of our own messages in a room */
static int
op_del(struct pf_connector *c, const char *room, const char *msg_id)
{
    struct xmpp *x = (struct xmpp *)c;
    struct pf_buf b = PF_BUF_INIT;
    if (x->state < S_JOIN || !msg_id || !*msg_id)
        return PF_EINVAL;
    char *id = new_id(x, "retract");
    pf_buf_addstr(&b, "<message xmlns='" NS_CLIENT "' type='groupchat' to='");
    pf_xml_escape_str(&b, room);
    pf_buf_addf(&b, "' id='%s'><retract xmlns='" NS_RETRACT "' id='", id);
    pf_xml_escape_str(&b, msg_id);
    pf_buf_addstr(&b,
                  "'/><fallback xmlns='urn:xmpp:fallback:0' for='" NS_RETRACT
                  "'/><body>/me retracted a message; your client does not "
                  "support retractions.</body><store xmlns='urn:xmpp:"
                  "hints'/></message>");
    free(id);
    send_buf(x, &b);
    return PF_OK;
}

static int
op_fits(struct pf_connector *c, const char *to, const char *text)
{
    return fits((struct xmpp *)c, to, text);
}

static int
op_ready(struct pf_connector *c)
{
    return ((struct xmpp *)c)->state == S_READY;
}

static void
op_destroy(struct pf_connector *c)
{
    struct xmpp *x = (struct xmpp *)c;
    if (!x)
        return;
    pf_ws_free(x->ws);
    for (size_t i = 0; i < x->n_rooms; i++) {
        struct room *r = &x->rooms[i];
        clear_members(r);
        free(r->members);
        free(r->jid);
        free(r->nick);
        free(r->last_id);
        free(r->catch_q);
        free(r->look_q);
        for (unsigned k = 0; k < OWN_SEEN; k++) {
            free(r->own_key[k]);
            free(r->own_id[k]);
        }
    }
    free(x->rooms);
    while (x->posts) {
        struct post *p = x->posts;
        x->posts = p->next;
        free(p->room);
        free(p->text);
        free(p->key);
        free(p);
    }
    clear_requests(x);
    pf_scram_free(x->scram);
    if (x->password)
        sodium_free(x->password);
    free(x->jid);
    free(x->user);
    free(x->domain);
    free(x->resource);
    free(x->nick);
    free(x->full_jid);
    free(x->sasl_pref);
    for (size_t i = 0; i < x->n_owners; i++)
        free(x->owners[i]);
    free(x->owners);
    pf_arena_release(&x->arena);
    free(x);
}

static const struct pf_connector_ops xmpp_ops = {
    "xmpp",   op_start,   op_stop,       op_join,
    op_post,  op_direct,  op_react,      op_del,
    op_ready, op_destroy, op_post_again, pf_xmpp_set_last_id,
    NULL,     0,          op_fits,       NULL,
    NULL,     NULL, /* no buttons of its own */
    NULL,           /* no threads */
};

struct pf_connector *
pf_xmpp_new(struct lws_context *ctx, const struct pf_xmpp_opts *o,
            pf_event_cb cb, void *ud, char *err, size_t errlen)
{
    const char *at = o->jid ? strchr(o->jid, '@') : NULL;
    if (!at || at == o->jid || !at[1] || strchr(o->jid, '/')) {
        pf_snprintf(err, errlen, "'%s' is not a bare JID (user@domain)",
                    o->jid ? o->jid : "");
        return NULL;
    }
    const char *sp = o->sasl && *o->sasl ? o->sasl : "auto";
    if (strcmp(sp, "auto") && strcmp(sp, "plain") &&
        strcmp(sp, "scram-sha-256")) {
        pf_snprintf(err, errlen,
                    "sasl '%s' is not one of auto, plain, scram-sha-256", sp);
        return NULL;
    }
    struct xmpp *x = pf_xcalloc(1, sizeof(*x));
    x->base.ops = &xmpp_ops;
    x->base.cb = cb;
    x->base.ud = ud;
    x->jid = pf_xstrdup(o->jid);
    x->user = pf_xstrndup(o->jid, (size_t)(at - o->jid));
    x->domain = pf_xstrdup(at + 1);
    x->resource =
        pf_xstrdup(o->resource && *o->resource ? o->resource : "pokerface");
    x->nick = pf_xstrdup(o->nick && *o->nick ? o->nick : x->user);
    x->sasl_pref = pf_xstrdup(sp);
    x->configure_rooms = o->configure_rooms;
    if (o->n_room_owners) {
        x->owners = pf_xcalloc(o->n_room_owners, sizeof(*x->owners));
        for (size_t i = 0; i < o->n_room_owners; i++)
            x->owners[x->n_owners++] = pf_xstrdup(o->room_owners[i]);
    }
    x->cleartext = strncmp(o->url ? o->url : "", "ws://", 5) == 0 &&
                   strncmp(o->url + 5, "127.", 4) != 0 &&
                   strncmp(o->url + 5, "localhost", 9) != 0 &&
                   strncmp(o->url + 5, "[::1]", 5) != 0;
    size_t pl = o->password ? strlen(o->password) : 0;
    x->password = sodium_malloc(pl + 1);
    if (!x->password)
        pf_die("out of memory");
    memcpy(x->password, o->password ? o->password : "", pl + 1);
    pf_arena_init(&x->arena, 16384);
    struct pf_xml_limits lim = PF_XML_LIMITS_DEFAULT;
    if (o->max_stanza)
        lim.max_bytes = o->max_stanza;
    x->lim = lim;
    struct pf_ws_opts wo;
    memset(&wo, 0, sizeof(wo));
    wo.url = o->url;
    wo.subprotocol = "xmpp";
    wo.name = "xmpp";
    wo.max_message = lim.max_bytes;
    wo.reconnect_min_ms = o->reconnect_min_ms;
    wo.reconnect_max_ms = o->reconnect_max_ms;
    wo.ping_s = o->ping_s;
    x->ws = pf_ws_new(ctx, &wo, &ws_ops, x, err, errlen);
    if (!x->ws) {
        op_destroy(&x->base);
        return NULL;
    }
    return &x->base;
}

const char *
pf_xmpp_last_id(struct pf_connector *c, const char *room)
{
    struct room *r = find_room((struct xmpp *)c, room, strlen(room));
    return r ? r->last_id : NULL;
}

void
pf_xmpp_feed(struct pf_connector *c, const char *frame, size_t len)
{
    ws_message(c, frame, len);
}

void
pf_xmpp_feed_open(struct pf_connector *c)
{
    ws_open(c);
}

void
pf_xmpp_feed_closed(struct pf_connector *c)
{
    ws_closed(c, "closed");
}

void
pf_xmpp_feed_too_big(struct pf_connector *c, const char *head, size_t len,
                     size_t size)
{
    ws_too_big(c, head, len, size);
}

int
pf_xmpp_send_raw(struct pf_connector *c, const char *stanza)
{
    struct xmpp *x = (struct xmpp *)c;
    return pf_ws_send(x->ws, stanza, strlen(stanza));
}

void
pf_xmpp_tap(struct pf_connector *c, pf_xmpp_tap_cb cb, void *ud)
{
    struct xmpp *x = (struct xmpp *)c;
    x->tap = cb;
    x->tap_ud = ud;
}

void
pf_xmpp_set_last_id(struct pf_connector *c, const char *room, const char *id)
{
    struct room *r = find_room((struct xmpp *)c, room, strlen(room));
    if (r) {
        free(r->last_id);
        r->last_id = id ? pf_xstrdup(id) : NULL;
    }
}
