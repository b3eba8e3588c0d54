/*
 * post.c - every post the relay makes: in an internal room or privately
 * (shortened to fit what the server takes), a reply to a customer (never
 * shortened: outgoing.c refuses one that does not fit), an answer where
 * a command was given; and the ring of replies relayed, so that a reply
 * its author deletes goes from the customer's room too.
 */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/display.h"
#include "core/relay_int.h"

void
pf_post_relayed_clear(struct pf_relayed *x)
{
    free(x->src_id);
    free(x->src_alt);
    free(x->author_id);
    free(x->author_name);
    free(x->route);
    free(x->key);
    free(x->posted_id);
    memset(x, 0, sizeof(*x));
}

/* "{name}: {text}" */
char *
pf_post_format(const char *fmt, const char *name, const char *text)
{
    return pf_display_format(fmt, name, text, NULL, 0, NULL);
}

char *
pf_post_key(struct pf_relay *r, const char *kind)
{
    return pf_xasprintf("pf-%s-%u-%lld", kind, ++r->seq,
                        (long long)(pf_wall_us() / 1000));
}

/* Can this user be written to privately? */
int
pf_post_addressable(const struct pf_relay *r, const char *user_id)
{
    if (r->conn->ops->addressable)
        return r->conn->ops->addressable(r->conn, user_id);
    return strchr(user_id, '@') && !strchr(user_id, '/');
}

/*
 * text as the server takes it in a post to `to` (a room, or a user for a
 * direct message): cut, with "…", when it is longer than that. Notices,
 * answers and mirrored lines are shortened; a reply to a customer never
 * is (fits_customer).
 */
static char *
fitted(struct pf_relay *r, const char *to, const char *text)
{
    const struct pf_connector_ops *o = r->conn->ops;
    if (!o->fits || o->fits(r->conn, to, text))
        return pf_xstrdup(text);
    size_t lo = 0, hi = strlen(text);
    char *best = pf_xstrdup("\xe2\x80\xa6");
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        size_t keep = pf_display_cut(text, mid);
        char *c = pf_xasprintf("%.*s\xe2\x80\xa6", (int)keep, text);
        if (o->fits(r->conn, to, c)) {
            free(best);
            best = c;
            lo = mid;
        } else {
            free(c);
            hi = mid - 1;
        }
    }
    pf_debug("a post to %s was cut to %zu bytes to fit", to, strlen(best));
    return best;
}

/* a post in an internal room, shortened to fit */
void
pf_post_internal(struct pf_relay *r, const char *room, const char *thread,
                 const char *text, const char *key, int again)
{
    char *t = fitted(r, room, text);
    if (again)
        r->conn->ops->post_again(r->conn, room, thread, t, key);
    else
        r->conn->ops->post(r->conn, room, thread, t, key);
    free(t);
}

/* a direct message, shortened to fit */
static void
send_direct(struct pf_relay *r, const char *user, const char *text)
{
    char *t = fitted(r, user, text);
    r->conn->ops->direct(r->conn, user, t);
    free(t);
}

/* does line fit in a post to rt's customer? */
int
pf_post_fits_customer(struct pf_relay *r, struct pf_route *rt, const char *line)
{
    return !r->conn->ops->fits ||
           r->conn->ops->fits(r->conn, rt->conf->customer_room, line);
}

/* A direct message when the user has a real address, else a line in the
   internal room that names them. */
void
pf_post_tell(struct pf_relay *r, struct pf_route *rt, const char *user_id,
             const char *user_name, int direct_ok, const char *text)
{
    if (direct_ok && pf_post_addressable(r, user_id)) {
        send_direct(r, user_id, text);
        return;
    }
    if (!rt)
        return;
    char *line = pf_xasprintf("%s: %s", user_name, text);
    char *key = pf_post_key(r, "t");
    pf_post_internal(r, rt->conf->internal_room, "", line, key, 0);
    free(key);
    free(line);
}

/*
 * Reply to a command where it was given: the internal room (in the
 * command's thread, else in thread, which may be NULL) or a DM.
 */
void
pf_post_reply_in(struct pf_relay *r, struct pf_route *rt,
                 const struct pf_event *ev, const char *thread,
                 const char *text)
{
    char *line, *key;
    if (ev->thread && *ev->thread)
        thread = ev->thread;
    if (ev == r->ctl_ev) {
        /* to the command line, and a line in the room for the team */
        pf_buf_addf(&r->ctl_answer, "%s%s", r->ctl_answer.len ? "\n" : "",
                    text);
        line = pf_texts_fmt(PF_UI_EN,
                            r->ctl_via && !strcmp(r->ctl_via, "web")
                                ? PF_T_WEB_LINE
                                : PF_T_QUEUE_LINE,
                            ev->author_name, text);
        key = pf_post_key(r, "q");
    } else if (!ev->room) {
        send_direct(r, ev->author_id, text);
        return;
    } else {
        line = pf_xasprintf("%s: %s", ev->author_name, text);
        key = pf_post_key(r, "t");
    }
    if (rt)
        pf_post_internal(r, rt->conf->internal_room, thread ? thread : "", line,
                         key, 0);
    free(key);
    free(line);
}

void
pf_post_reply(struct pf_relay *r, struct pf_route *rt,
              const struct pf_event *ev, const char *text)
{
    pf_post_reply_in(r, rt, ev, NULL, text);
}

/* the relayed message that came from the author's message id, or NULL */
struct pf_relayed *
pf_post_relayed_by_source(struct pf_relay *r, const char *id)
{
    for (size_t i = 0; id && *id && i < r->n_relayed; i++) {
        struct pf_relayed *x = &r->relayed[i];
        if (!strcmp(x->src_id, id) || !strcmp(x->src_alt, id))
            return x;
    }
    return NULL;
}

/*
 * Post the author's text in the customer room, in thread (the partner of
 * internal thread in; "" when it has none yet, and then this post starts
 * it), and remember where it came from: if its author deletes it, the
 * relayed copy goes too. again: it may have gone out before, so the
 * connector looks for its key in the room before it posts.
 */
void
pf_post_customer(struct pf_relay *r, struct pf_route *rt, const char *author_id,
                 const char *author_name, const char *src_id,
                 const char *src_alt, const char *in, const char *thread,
                 const char *lang, const char *line, const char *key, int again)
{
    if (again)
        r->conn->ops->post_again(r->conn, rt->conf->customer_room, thread, line,
                                 key);
    else
        r->conn->ops->post(r->conn, rt->conf->customer_room, thread, line, key);
    if (!*thread && *in)
        pf_threads_await(r, key, in, NULL);
    struct pf_relayed *x;
    if (r->n_relayed < RELAYED_MAX) {
        x = &r->relayed[r->n_relayed++];
    } else {
        x = &r->relayed[r->relayed_pos];
        pf_post_relayed_clear(x);
        r->relayed_pos = (r->relayed_pos + 1) % RELAYED_MAX;
    }
    x->src_id = pf_xstrdup(src_id ? src_id : "");
    x->src_alt = pf_xstrdup(src_alt ? src_alt : "");
    x->author_id = pf_xstrdup(author_id);
    x->author_name = pf_xstrdup(author_name);
    x->route = pf_xstrdup(rt->conf->name);
    x->key = pf_xstrdup(key);
    x->posted_id = NULL;
    x->delete_wanted = 0;
    x->lang = pf_texts_lang(lang);
}
