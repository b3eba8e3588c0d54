/*
 * recovery.c - the relay's journal: what it writes as it goes, and how
 * that is read back after a restart (pf_relay_open_journal): holds stay
 * held, decided posts are posted again unless they arrived, messages
 * never checked are checked again, and each room is read back from its
 * resume point. Compaction rewrites only what is still live.
 *
 * Every record's payload is a JSON object. What the relay writes, and
 * what replaying it rebuilds:
 *
 *   RECEIVED  an outgoing message came in: {route, id, alt, author, name,
 *             text, ts, tries}; not yet checked
 *   VERDICT   it passed: {id, action, post: {room, text, key}}; the post
 *             is pending until SENT
 *   HELD      it is held: the whole hold, written again after each edit
 *   DECISION  {hold, kind, by, name, at, text?, post?}; send and a passing
 *             edit carry the post, pending until SENT
 *   SENT      {key, room, msg}: a post (or a notice) arrived as msg
 *   EXPIRED   {hold, at}
 *   CURSOR    {room, msg}: the last message handled in the room
 *   META      {next_hold}: hold numbers are never reused
 *
 * A record that decides something is fsync'd before the relay acts on it
 * (posts, tells the author); RECEIVED, SENT and CURSOR are not, because
 * losing them only means reading a message back or looking for a post
 * before sending it again. Those wait in the journal's memory until the
 * next record that is written, which takes them along in its one write,
 * or until this turn of the event loop is over (flush_cb): never longer
 * than that, so a process that is killed loses at most what it wrote
 * while handling its last event.
 *
 * A reply's VERDICT is the exception: it and its RECEIVED are written in
 * one write before the post, and fdatasync'd by the journal's thread
 * once the post is on its way (PF_JOURNAL_SOON, pf_relay_wrote()). Losing both
 * to a machine that went down only means the reply is read back (or checked
 * again, if its RECEIVED survived) after the restart; such a reply's post is
 * looked for under its key before it is made (ev->catchup: post_again),
 * so it still arrives once.
 */
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "core/jrec.h"
#include "core/jsonw.h"
#include "core/journal.h"
#include "core/relay_int.h"

/* msg_id was handled: never again, even after a restart */
void
pf_recovery_handled(struct pf_relay *r, const char *msg_id)
{
    if (!msg_id || !*msg_id)
        return;
    pf_idset_seen(&r->seen, msg_id);
    free(r->recent[r->recent_pos]);
    r->recent[r->recent_pos] = pf_xstrdup(msg_id);
    r->recent_pos = (r->recent_pos + 1) % RECENT_MAX;
}

/* the end of a turn of the loop: the records that wait are written */
static void
flush_cb(lws_sorted_usec_list_t *sul)
{
    struct pf_relay *r = lws_container_of(sul, struct pf_relay, jflush);
    char err[512];
    if (r->journal &&
        pf_journal_flush(r->journal, 0, err, sizeof(err)) != PF_OK)
        pf_err("%s", err);
}

/* a record's JSON text appended (sync as pf_journal_append()); a record
   that is not synced waits for the end of this turn of the loop */
static int
append(struct pf_relay *r, int type, const char *s, size_t n, int sync,
       uint64_t *seq)
{
    char err[512];
    int rc =
        pf_journal_append(r->journal, type, s, n, sync, seq, err, sizeof(err));
    if (rc != PF_OK)
        pf_err("%s", err);
    else if (!sync) {
        if (r->ctx)
            lws_sul_schedule(r->ctx, 0, &r->jflush, flush_cb, 0);
        else
            flush_cb(&r->jflush);
    }
    return rc;
}

int
pf_recovery_write(struct pf_relay *r, int type, json_t *o, int sync,
                  uint64_t *seq)
{
    int rc = PF_OK;
    if (seq)
        *seq = 0;
    if (!o)
        return PF_ENOMEM;
    if (r->journal) {
        char *s = json_dumps(o, JSON_COMPACT);
        if (s)
            rc = append(r, type, s, strlen(s), sync, seq);
        else {
            pf_err("journal: out of memory");
            rc = PF_ENOMEM;
        }
        free(s);
    }
    json_decref(o);
    return rc;
}

/*
 * The same for a record written straight as JSON (struct jw), the bytes
 * json_dumps() would print for its tree: the records on every reply's
 * path, where building and dumping a tree cost more than the rest of
 * the journal's work. What Jansson refuses (a string that is not UTF-8,
 * or none) is refused here too, as pf_recovery_write() refuses a NULL
 * tree. w is emptied.
 */
static int
write_jw(struct pf_relay *r, int type, struct jw *w, int sync, uint64_t *seq)
{
    int rc = PF_OK;
    if (seq)
        *seq = 0;
    if (w->bad)
        rc = PF_ENOMEM;
    else if (r->journal)
        rc = append(r, type, w->buf, w->len, sync, seq);
    jw_free(w);
    return rc;
}

void
pf_relay_wrote(void *relay)
{
    struct pf_relay *r = relay;
    if (!r->sync_due)
        return;
    r->sync_due = 0;
    lws_sul_cancel(&r->jkick);
    pf_journal_sync_start(r->journal);
}

static void
kick_cb(lws_sorted_usec_list_t *sul)
{
    pf_relay_wrote(lws_container_of(sul, struct pf_relay, jkick));
}

/* the journal's thread is to sync a reply's records once its post is on
   its way: when a connection next writes, a millisecond from now at the
   latest */
static void
sync_after_post(struct pf_relay *r)
{
    if (!r->journal)
        return;
    if (!r->ctx) {
        pf_journal_sync_start(r->journal);
        return;
    }
    if (!r->sync_due)
        lws_sul_schedule(r->ctx, 0, &r->jkick, kick_cb, 1000);
    r->sync_due = 1;
}

/* ,"post":{...}: a post as a record holds it, the members of
   pf_recovery_post_json() in its order */
static void
jw_post(struct jw *w, const char *room, const char *thread, const char *in,
        const char *text, const char *key)
{
    jw_lit(w, ",\"post\":{");
    jw_key_str(w, 1, "room", room);
    jw_key_str(w, 0, "thread", thread);
    jw_key_str(w, 0, "in", in);
    jw_key_str(w, 0, "text", text);
    jw_key_str(w, 0, "key", key);
    jw_lit(w, "}");
}

int
pf_recovery_verdict(struct pf_relay *r, const char *id, const char *action,
                    const char *observed, const char *room, const char *thread,
                    const char *in, const char *text, const char *key,
                    uint64_t *seq)
{
    struct jw w;
    jw_init(&w);
    jw_lit(&w, "{");
    jw_key_str(&w, 1, "id", id);
    jw_key_str(&w, 0, "action", action);
    jw_post(&w, room, thread, in, text, key);
    if (observed)
        jw_key_str(&w, 0, "observed", observed);
    jw_lit(&w, "}");
    int rc = write_jw(r, PF_JREC_VERDICT, &w, PF_JOURNAL_SOON, seq);
    if (rc == PF_OK)
        sync_after_post(r);
    return rc;
}

/* a post to a customer: where, what, under which key, in which thread
   (jw_post() writes the same members for a VERDICT without a tree: the
   two change together) */
json_t *
pf_recovery_post_json(const char *room, const char *thread, const char *in,
                      const char *text, const char *key)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "room", room, "thread",
                     thread, "in", in, "text", text, "key", key);
}

json_t *
pf_recovery_hold_json(const struct pf_hold *h, int full)
{
    json_t *o = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "hold",
        (json_int_t)h->id, "action",
        h->action == PF_ACT_BLOCK ? "block" : "hold", "route", h->route,
        "author", h->author_id, "name", h->author_name, "lang",
        h->lang ? h->lang : "en", "why", h->why ? h->why : "", "words",
        h->words ? h->words : "", "edits", (json_int_t)h->edits, "created",
        (json_int_t)h->created_ms, "expires", (json_int_t)h->expires_ms);
    if (o && full) {
        json_object_set_new(o, "text", json_string(h->text));
        json_object_set_new(o, "details",
                            json_string(h->details ? h->details : ""));
        json_object_set_new(o, "src",
                            json_string(h->source_id ? h->source_id : ""));
        json_object_set_new(
            o, "src_alt",
            json_string(h->source_alt_id ? h->source_alt_id : ""));
        json_object_set_new(o, "thread",
                            json_string(h->thread ? h->thread : ""));
    }
    return o;
}

void
pf_recovery_pend_add(struct pf_relay *r, const char *key, const char *room,
                     const char *thread, const char *in, const char *text,
                     uint64_t jseq)
{
    for (size_t i = 0; i < r->n_pend; i++)
        if (!strcmp(r->pend[i].key, key))
            return;
    if (r->n_pend == r->cap_pend) {
        r->cap_pend = r->cap_pend ? r->cap_pend * 2 : 16;
        r->pend = pf_xrealloc(r->pend, r->cap_pend * sizeof(*r->pend));
    }
    struct pf_pending *p = &r->pend[r->n_pend++];
    p->key = pf_xstrdup(key);
    p->room = pf_xstrdup(room);
    p->thread = pf_xstrdup(thread);
    p->in = pf_xstrdup(in);
    p->text = pf_xstrdup(text);
    p->jseq = jseq;
}

void
pf_recovery_pend_clear(struct pf_pending *p)
{
    free(p->key);
    free(p->room);
    free(p->thread);
    free(p->in);
    free(p->text);
}

/* the pending post with this key is done; 1 if there was one */
int
pf_recovery_pend_done(struct pf_relay *r, const char *key)
{
    for (size_t i = 0; key && i < r->n_pend; i++) {
        if (strcmp(r->pend[i].key, key) != 0)
            continue;
        pf_recovery_pend_clear(&r->pend[i]);
        r->pend[i] = r->pend[--r->n_pend];
        return 1;
    }
    return 0;
}

void
pf_recovery_unch_clear(struct pf_unchecked *u)
{
    free(u->route);
    free(u->msg_id);
    free(u->alt_id);
    free(u->author_id);
    free(u->author_name);
    free(u->text);
    free(u->thread);
}

static struct pf_unchecked *
unch_find(struct pf_relay *r, const char *msg_id)
{
    for (size_t i = 0; msg_id && i < r->n_unch; i++)
        if (!strcmp(r->unch[i].msg_id, msg_id))
            return &r->unch[i];
    return NULL;
}

static void
unch_done(struct pf_relay *r, const char *msg_id)
{
    struct pf_unchecked *u = unch_find(r, msg_id);
    if (u) {
        pf_recovery_unch_clear(u);
        *u = r->unch[--r->n_unch];
    }
}

static void
set_cursor(struct pf_relay *r, const char *room, const char *msg_id)
{
    int internal;
    struct pf_route *rt = pf_relay_route_by_room(r, room, &internal);
    if (rt && msg_id && *msg_id) {
        free(rt->cursor[internal]);
        rt->cursor[internal] = pf_xstrdup(msg_id);
    }
}

/*
 * ev was handled: when its id is a resume point (the connector reported
 * everything before it), a restart reads back only what came after it.
 * A live message that arrived while older ones were still being read
 * back is no resume point: the cursor stays where the read-back is.
 */
void
pf_recovery_note_cursor(struct pf_relay *r, const struct pf_event *ev)
{
    int internal;
    if (!ev->in_order || !ev->room || !ev->msg_id || !*ev->msg_id)
        return;
    struct pf_route *rt = pf_relay_route_by_room(r, ev->room, &internal);
    if (!rt ||
        (rt->cursor[internal] && strcmp(rt->cursor[internal], ev->msg_id) == 0))
        return;
    set_cursor(r, ev->room, ev->msg_id);
    struct jw w;
    jw_init(&w);
    jw_lit(&w, "{");
    jw_key_str(&w, 1, "room", ev->room);
    jw_key_str(&w, 0, "msg", ev->msg_id);
    jw_lit(&w, "}");
    write_jw(r, PF_JREC_CURSOR, &w, 0, NULL);
}

/* a post a record decided (the text of its "post" member, if any):
   pending until SENT */
static void
replay_post(struct pf_relay *r, const struct pf_jrec_member *post, uint64_t seq)
{
    struct pf_jrec p;
    memset(&p, 0, sizeof(p));
    if (post && post->kind == PF_JV_OBJECT &&
        pf_jrec_read(&p, post->raw, post->raw_len) && *pf_jrec_str(&p, "key"))
        pf_recovery_pend_add(r, pf_jrec_str(&p, "key"), pf_jrec_str(&p, "room"),
                             pf_jrec_str(&p, "thread"), pf_jrec_str(&p, "in"),
                             pf_jrec_str(&p, "text"), seq);
    pf_jrec_release(&p);
}

/* a META record: the counter, the ids handled last, the thread pairs */
static void
replay_meta(struct pf_relay *r, const void *payload, size_t len, uint64_t seq)
{
    json_t *o = json_loadb(payload, len, 0, NULL), *v;
    size_t i;
    if (!json_is_object(o)) {
        pf_warn("journal: record %llu is not a JSON object; skipped",
                (unsigned long long)seq);
        json_decref(o);
        return;
    }
    if ((unsigned)pf_json_int(o, "next_hold") > r->holds.next_id)
        r->holds.next_id = (unsigned)pf_json_int(o, "next_hold");
    json_array_foreach (json_object_get(o, "seen"), i, v)
        pf_recovery_handled(r, json_string_value(v));
    json_array_foreach (json_object_get(o, "threads"), i, v)
        pf_threads_pair(r, json_string_value(json_array_get(v, 0)),
                        json_string_value(json_array_get(v, 1)), 0);
    json_decref(o);
}

/*
 * one record of the journal, at startup: its JSON is read once, in place
 * (jrec.h), and what it says goes into the relay's state
 */
static int
replay_one(void *ud, int type, uint64_t seq, const void *payload, size_t len)
{
    struct pf_relay *r = ud;
    struct pf_jrec *o = &r->jrec;
    if (type == PF_JREC_META) {
        replay_meta(r, payload, len, seq);
        return 0;
    }
    if (!pf_jrec_read(o, payload, len)) {
        pf_warn("journal: record %llu is not a JSON object; skipped",
                (unsigned long long)seq);
        return 0;
    }
    struct pf_hold *h;
    switch (type) {
    case PF_JREC_RECEIVED: {
        const char *id = pf_jrec_str(o, "id");
        pf_recovery_handled(r, id);
        struct pf_unchecked *u = unch_find(r, id);
        if (!u) {
            if (r->n_unch == r->cap_unch) {
                r->cap_unch = r->cap_unch ? r->cap_unch * 2 : 16;
                r->unch = pf_xrealloc(r->unch, r->cap_unch * sizeof(*r->unch));
            }
            u = &r->unch[r->n_unch++];
            memset(u, 0, sizeof(*u));
            u->route = pf_xstrdup(pf_jrec_str(o, "route"));
            u->msg_id = pf_xstrdup(id);
            u->alt_id = pf_xstrdup(pf_jrec_str(o, "alt"));
            u->author_id = pf_xstrdup(pf_jrec_str(o, "author"));
            u->author_name = pf_xstrdup(pf_jrec_str(o, "name"));
            u->text = pf_xstrdup(pf_jrec_str(o, "text"));
            u->thread = pf_xstrdup(pf_jrec_str(o, "thread"));
            u->ts_ms = pf_jrec_int(o, "ts");
        }
        if ((unsigned)pf_jrec_int(o, "tries") > u->tries)
            u->tries = (unsigned)pf_jrec_int(o, "tries");
        u->jseq = seq;
        break;
    }
    case PF_JREC_VERDICT:
        unch_done(r, pf_jrec_str(o, "id"));
        replay_post(r, pf_jrec_get(o, "post"), seq);
        break;
    case PF_JREC_HELD: {
        unsigned id = (unsigned)pf_jrec_int(o, "hold");
        unch_done(r, pf_jrec_str(o, "msg"));
        h = pf_holds_get(&r->holds, id);
        if (!h && !(h = pf_holds_add_id(&r->holds, id)))
            break;
        h->action = strcmp(pf_jrec_str(o, "action"), "block") ? PF_ACT_HOLD
                                                              : PF_ACT_BLOCK;
        pf_hold_set(&h->route, pf_jrec_str(o, "route"));
        pf_hold_set(&h->author_id, pf_jrec_str(o, "author"));
        pf_hold_set(&h->author_name, pf_jrec_str(o, "name"));
        pf_hold_set(&h->text, pf_jrec_str(o, "text"));
        pf_hold_set(&h->source_id, pf_jrec_str(o, "src"));
        pf_hold_set(&h->source_alt_id, pf_jrec_str(o, "src_alt"));
        pf_hold_set(&h->thread, pf_jrec_str(o, "thread"));
        pf_hold_set(&h->lang, pf_jrec_str(o, "lang"));
        pf_hold_set(&h->why, pf_jrec_str(o, "why"));
        pf_hold_set(&h->words, pf_jrec_str(o, "words"));
        pf_hold_set(&h->details, pf_jrec_str(o, "details"));
        h->edits = (unsigned)pf_jrec_int(o, "edits");
        h->created_ms = pf_jrec_int(o, "created");
        h->expires_ms = pf_jrec_int(o, "expires");
        char *key = pf_xasprintf("pf-n%u-%u", h->id, h->edits);
        pf_hold_set(&h->notice_key, key);
        free(key);
        h->jseq = seq;
        break;
    }
    case PF_JREC_DECISION:
    case PF_JREC_EXPIRED:
    case PF_JREC_DROPPED: {
        unsigned id = (unsigned)pf_jrec_int(o, "hold");
        const struct pf_jrec_member *post = pf_jrec_get(o, "post");
        replay_post(r, post, seq);
        /* an edit that is still held is followed by a HELD record */
        if (type != PF_JREC_DECISION ||
            strcmp(pf_jrec_str(o, "kind"), "edit") || post)
            pf_holds_remove(&r->holds, id);
        if (r->holds.next_id <= id)
            r->holds.next_id = id + 1;
        break;
    }
    case PF_JREC_SENT: {
        const char *key = pf_jrec_str(o, "key");
        pf_recovery_pend_done(r, key);
        for (size_t i = 0; i < r->holds.n; i++) {
            h = r->holds.items[i];
            if (h->notice_key && !strcmp(h->notice_key, key)) {
                pf_hold_set(&h->notice_id, pf_jrec_str(o, "msg"));
                h->notice_jseq = seq;
            }
        }
        break;
    }
    case PF_JREC_CURSOR:
        set_cursor(r, pf_jrec_str(o, "room"), pf_jrec_str(o, "msg"));
        break;
    case PF_JREC_THREAD:
        pf_threads_pair(r, pf_jrec_str(o, "in"), pf_jrec_str(o, "cust"), 0);
        break;
    default:
        pf_warn("journal: record %llu has an unknown type %d; skipped",
                (unsigned long long)seq, type);
    }
    return 0;
}

/* compaction: is this record still needed? */
static int
keep_one(void *ud, int type, uint64_t seq, const void *payload, size_t len)
{
    struct pf_relay *r = ud;
    (void)payload;
    (void)len;
    if (seq >= r->keep_seq)
        return 1; /* the cursors and counter written just before */
    switch (type) {
    case PF_JREC_RECEIVED:
        /* the last one of a message not yet checked: it has the most
           tries, and the others say the same */
        for (size_t i = 0; i < r->n_unch; i++)
            if (r->unch[i].jseq == seq)
                return 1;
        return 0;
    case PF_JREC_VERDICT:
    case PF_JREC_DECISION:
        for (size_t i = 0; i < r->n_pend; i++)
            if (r->pend[i].jseq == seq)
                return 1;
        return 0;
    case PF_JREC_HELD:
    case PF_JREC_SENT:
        for (size_t i = 0; i < r->holds.n; i++)
            if (r->holds.items[i]->jseq == seq ||
                r->holds.items[i]->notice_jseq == seq)
                return 1;
        return 0;
    default: return 0;
    }
}

/*
 * Rewrite the journal with only what is live: open holds, posts not yet
 * seen to arrive, messages not yet checked, and the cursors.
 */
static void
compact(struct pf_relay *r)
{
    char err[512];
    uint64_t first = 0, seq;
    int rc = PF_OK;
    for (size_t i = 0; i < r->n_routes && rc == PF_OK; i++) {
        struct pf_route *rt = &r->routes[i];
        for (int k = 0; k < 2 && rc == PF_OK; k++) {
            if (!rt->cursor[k])
                continue;
            rc = pf_recovery_write(
                r, PF_JREC_CURSOR,
                json_pack("{s:s, s:s}", "room",
                          k ? rt->conf->internal_room : rt->conf->customer_room,
                          "msg", rt->cursor[k]),
                0, &seq);
            if (!first)
                first = seq;
        }
    }
    json_t *seen = json_array();
    for (size_t i = 0; i < RECENT_MAX; i++) {
        const char *id = r->recent[(r->recent_pos + i) % RECENT_MAX];
        if (id)
            json_array_append_new(seen, json_string(id));
    }
    /* the thread pairs, oldest first */
    json_t *threads = json_array();
    for (size_t i = 0; i < THREADS_MAX; i++) {
        const struct pf_thread_pair *t =
            &r->threads[(r->thread_pos + i) % THREADS_MAX];
        if (t->in)
            json_array_append_new(threads, json_pack("[s, s]", t->in, t->cust));
    }
    if (rc == PF_OK)
        rc = pf_recovery_write(r, PF_JREC_META,
                               json_pack("{s:I, s:o, s:o}", "next_hold",
                                         (json_int_t)r->holds.next_id, "seen",
                                         seen, "threads", threads),
                               1, &seq);
    else
        json_decref(seen), json_decref(threads);
    if (rc != PF_OK)
        return;
    r->keep_seq = first ? first : seq;
    uint64_t before = pf_journal_size(r->journal);
    if (pf_journal_compact(r->journal, keep_one, r, err, sizeof(err)) !=
        PF_OK) {
        pf_err("%s", err);
        return;
    }
    r->compacted_size = pf_journal_size(r->journal);
    pf_info("journal compacted: %llu -> %llu bytes", (unsigned long long)before,
            (unsigned long long)r->compacted_size);
}

void
pf_recovery_maybe_compact(struct pf_relay *r)
{
    uint64_t size = r->journal ? pf_journal_size(r->journal) : 0;
    if (size > (1u << 20) && size > 4 * r->compacted_size)
        compact(r);
}

int
pf_relay_open_journal(struct pf_relay *r, const char *path,
                      const unsigned char key[PF_KEY_BYTES], char *err,
                      size_t errlen)
{
    struct pf_journal_report rep;
    int rc = pf_journal_open(&r->journal, path, key, replay_one, r, &rep, err,
                             errlen);
    pf_jrec_release(&r->jrec);
    if (rc != PF_OK)
        return rc;
    size_t open = r->holds.n;
    pf_info("journal %s: %zu record(s); %zu held, %zu post(s) to confirm, "
            "%zu message(s) to check again",
            path, rep.records, open, r->n_pend, r->n_unch);
    if (rep.bad_records || rep.skipped_bytes)
        pf_warn("journal %s: %zu damaged record(s) and %zu unreadable "
                "byte(s) skipped, the first at byte %llu; what they held is "
                "lost (see the log lines above)",
                path, rep.bad_records, rep.skipped_bytes,
                (unsigned long long)rep.first_bad_offset);
    compact(r);
    return PF_OK;
}

/* the journal could not take a record: nothing is sent without it */
void
pf_recovery_failed(struct pf_relay *r, struct pf_route *rt,
                   const char *author_id, const char *author_name,
                   const char *lang)
{
    pf_post_tell(r, rt, author_id, author_name, 1,
                 pf_texts_get(pf_texts_lang(lang), PF_T_JOURNAL_FAILED));
}

int
pf_recovery_received(struct pf_relay *r, struct pf_route *rt,
                     const struct pf_event *ev, const char *text,
                     unsigned tries)
{
    struct jw w;
    jw_init(&w);
    jw_lit(&w, "{");
    jw_key_str(&w, 1, "route", rt->conf->name);
    jw_key_str(&w, 0, "id", pf_event_id(ev));
    jw_key_str(&w, 0, "msg", ev->msg_id);
    jw_key_str(&w, 0, "alt", ev->alt_id);
    jw_key_str(&w, 0, "author", ev->author_id);
    jw_key_str(&w, 0, "name", ev->author_name);
    jw_key_str(&w, 0, "text", text);
    jw_key_str(&w, 0, "thread", ev->thread ? ev->thread : "");
    jw_key_int(&w, 0, "ts", (long long)ev->ts_ms);
    jw_key_int(&w, 0, "tries", (long long)tries);
    jw_lit(&w, "}");
    return write_jw(r, PF_JREC_RECEIVED, &w, tries > 0, NULL);
}

int
pf_recovery_held(struct pf_relay *r, struct pf_hold *h, const char *msg_id)
{
    json_t *o = pf_recovery_hold_json(h, 1);
    if (o)
        json_object_set_new(o, "msg", json_string(msg_id ? msg_id : ""));
    return pf_recovery_write(r, PF_JREC_HELD, o, 1, &h->jseq);
}

/* a decision; post (may be NULL) is stolen */
int
pf_recovery_decision(struct pf_relay *r, const struct pf_hold *h,
                     const char *kind, const char *by, const char *by_name,
                     const char *text, json_t *post, uint64_t *seq)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:I}", "hold",
                          (json_int_t)h->id, "kind", kind, "by", by, "name",
                          by_name, "at", (json_int_t)(pf_wall_us() / 1000));
    if (o && text)
        json_object_set_new(o, "text", json_string(text));
    if (o && post)
        json_object_set(o, "post", post);
    json_decref(post);
    return pf_recovery_write(r, PF_JREC_DECISION, o, 1, seq);
}

/* messages the journal had received but not seen checked: again now */
void
pf_recovery_recheck(struct pf_relay *r)
{
    struct pf_unchecked *list = r->unch;
    size_t n = r->n_unch;
    r->unch = NULL;
    r->n_unch = r->cap_unch = 0;
    for (size_t i = 0; i < n; i++) {
        struct pf_unchecked *u = &list[i];
        struct pf_route *rt = pf_relay_route_by_name(r, u->route);
        if (rt) {
            struct pf_event ev;
            memset(&ev, 0, sizeof(ev));
            ev.type = PF_EV_MESSAGE;
            ev.room = rt->conf->internal_room;
            ev.thread = u->thread ? u->thread : "";
            ev.author_id = u->author_id;
            ev.author_name = u->author_name;
            ev.text = u->text;
            ev.msg_id = u->msg_id;
            ev.alt_id = u->alt_id;
            ev.ref_id = ev.key = "";
            ev.ts_ms = u->ts_ms;
            ev.catchup = 1;
            pf_info("checking again a message from %s on %s that was not "
                    "checked before the restart",
                    u->author_id, rt->conf->name);
            pf_outgoing_handle(r, rt, &ev, u->text, u->tries + 1);
        } else {
            pf_warn("journal: a message for route '%s', which is no longer "
                    "configured, was never checked; it is not sent",
                    u->route);
        }
        pf_recovery_unch_clear(u);
    }
    free(list);
}
