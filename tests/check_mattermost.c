/*
 * check_mattermost.c - the Mattermost connector and its emulator, held
 * to the documented JSON shapes (tests/fixtures/mattermost/, from the
 * reference notes and the server's model/ sources):
 *
 *  - the connector, fed each fixture as a frame, reports the right event;
 *  - malformed frames (bad JSON, a "post" string that is not JSON,
 *    missing fields, 10 MB) are logged and skipped, and the next good
 *    one still counts; a gap in seq is noticed;
 *  - the emulator, driven through a conversation by real connectors,
 *    sends and receives only what the fixtures show, key for key and
 *    type for type, the doubly encoded "post" and "reaction" included;
 *  - a bad token: REST 401, and the WebSocket closes without a word;
 *  - HTTP 429 is waited out and the retry keeps its pending_post_id;
 *    a second create with the same pending_post_id returns the first.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "chat.h"
#include "connectors/http.h"
#include "connectors/mattermost.h"
#include "connectors/ws.h"
#include "core/loop.h"
#include "testutil.h"

#define WAIT 10000

static const char *
srcdir(void)
{
    const char *s = getenv("PF_SRCDIR");
    return s && *s ? s : ".";
}

static json_t *
fixture(const char *name)
{
    char *p =
        pf_xasprintf("%s/tests/fixtures/mattermost/%s.json", srcdir(), name);
    json_error_t e;
    json_t *j = json_load_file(p, 0, &e);
    ck_assert_msg(j != NULL, "%s: %s", p, e.text);
    free(p);
    return j;
}

static char *
fixture_text(const char *name)
{
    json_t *j = fixture(name);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

/* ---- what the connector reports ---- */

struct seen {
    int type;
    char room[64], author[64], name[64], text[256], msg[64], ref[64],
        thread[64];
    int own, catchup;
};

static struct seen g_ev[32];
static size_t g_n;
static char g_members[512]; /* "+id " joined, "-id " left */
static char g_log[8192];

static void
on_event(void *ud, const struct pf_event *ev)
{
    (void)ud;
    if (ev->type == PF_EV_JOIN || ev->type == PF_EV_LEAVE) {
        size_t l = strlen(g_members);
        snprintf(g_members + l, sizeof(g_members) - l, "%c%s ",
                 ev->type == PF_EV_JOIN ? '+' : '-', ev->author_id);
        return;
    }
    if (ev->type == PF_EV_STATE || g_n == sizeof(g_ev) / sizeof(*g_ev))
        return;
    struct seen *s = &g_ev[g_n++];
    memset(s, 0, sizeof(*s));
    s->type = ev->type;
    snprintf(s->room, sizeof(s->room), "%s", ev->room ? ev->room : "(dm)");
    snprintf(s->author, sizeof(s->author), "%s", ev->author_id);
    snprintf(s->name, sizeof(s->name), "%s", ev->author_name);
    snprintf(s->text, sizeof(s->text), "%s", ev->text);
    snprintf(s->msg, sizeof(s->msg), "%s", ev->msg_id);
    snprintf(s->ref, sizeof(s->ref), "%s", ev->ref_id);
    snprintf(s->thread, sizeof(s->thread), "%s", ev->thread);
    s->own = ev->own;
    s->catchup = ev->catchup;
}

static void
on_log(void *ud, int level, const char *line)
{
    (void)ud;
    (void)level;
    size_t l = strlen(g_log);
    snprintf(g_log + l, sizeof(g_log) - l, "%s\n", line);
}

struct fed {
    struct pf_loop loop;
    struct pf_connector *c;
};

/* a connector that believes it is the bot of the fixtures, in the
   fixtures' internal channel, connected */
static void
fed_open(struct fed *f)
{
    char err[256];
    struct pf_mattermost_opts o;
    g_n = 0;
    g_log[0] = '\0';
    g_members[0] = '\0';
    pf_log_set_sink(on_log, NULL);
    pf_log_set_level(PF_LOG_DEBUG);
    ck_assert_int_eq(pf_loop_init(&f->loop, err, sizeof(err)), 0);
    memset(&o, 0, sizeof(o));
    o.url = "http://127.0.0.1:9";
    o.token = "t";
    f->c = pf_mattermost_new(f->loop.ctx, &o, on_event, NULL, err, sizeof(err));
    ck_assert_ptr_nonnull(f->c);
    pf_mattermost_pretend(f->c, "bt1k8q3z7pfy5ewx9c2m4n6r8s",
                          "support/internal", "ch4nn3l1nt3rn4l00000000000");
}

static void
fed_close(struct fed *f)
{
    f->c->ops->destroy(f->c);
    pf_loop_release(&f->loop);
    pf_log_set_sink(NULL, NULL);
    pf_log_set_level(PF_LOG_INFO);
}

static void
feed(struct fed *f, const char *frame)
{
    pf_mattermost_feed(f->c, frame, strlen(frame));
}

static void
feed_fixture(struct fed *f, const char *name)
{
    char *s = fixture_text(name);
    feed(f, s);
    free(s);
}

START_TEST(fixture_events_are_understood)
{
    struct fed f;
    fed_open(&f);
    feed_fixture(&f, "hello");
    ck_assert_uint_eq(g_n, 0);

    feed_fixture(&f, "posted");
    ck_assert_uint_eq(g_n, 1);
    ck_assert_int_eq(g_ev[0].type, PF_EV_MESSAGE);
    ck_assert_str_eq(g_ev[0].room, "support/internal");
    ck_assert_str_eq(g_ev[0].author, "ag3nt1u5er1d0000000000000a");
    ck_assert_str_eq(g_ev[0].name, "alice");
    ck_assert_str_eq(g_ev[0].text, "Your refund is on its way :)");
    ck_assert_str_eq(g_ev[0].msg, "p1a2b3c4d5e6f7g8h9i0j1k2l3");
    ck_assert_str_eq(g_ev[0].thread, "");
    ck_assert_int_eq(g_ev[0].own, 0);

    feed_fixture(&f, "posted_direct");
    ck_assert_uint_eq(g_n, 2);
    ck_assert_int_eq(g_ev[1].type, PF_EV_MESSAGE);
    ck_assert_str_eq(g_ev[1].room, "(dm)");
    ck_assert_str_eq(g_ev[1].text, "!send 3");

    feed_fixture(&f, "post_edited");
    ck_assert_uint_eq(g_n, 3);
    ck_assert_int_eq(g_ev[2].type, PF_EV_EDIT);
    ck_assert_str_eq(g_ev[2].ref, "p1a2b3c4d5e6f7g8h9i0j1k2l3");
    ck_assert_str_eq(g_ev[2].text, "edited text");

    feed_fixture(&f, "post_deleted");
    ck_assert_uint_eq(g_n, 4);
    ck_assert_int_eq(g_ev[3].type, PF_EV_DELETE);
    ck_assert_str_eq(g_ev[3].ref, "p1a2b3c4d5e6f7g8h9i0j1k2l3");

    feed_fixture(&f, "reaction_added");
    ck_assert_uint_eq(g_n, 5);
    ck_assert_int_eq(g_ev[4].type, PF_EV_REACTION);
    ck_assert_str_eq(g_ev[4].text, "✅");
    ck_assert_str_eq(g_ev[4].ref, "b0tn0t1c3p05t1d00000000000");
    ck_assert_str_eq(g_ev[4].author, "ag3nt1u5er1d0000000000000a");

    /* members: the author of a post is one; one removed leaves; one added
       is looked up (GET /api/v4/users?in_channel=) before joining */
    ck_assert_str_eq(g_members, "+ag3nt1u5er1d0000000000000a ");
    feed_fixture(&f, "user_added");
    feed_fixture(&f, "user_removed");
    ck_assert_str_eq(g_members, "+ag3nt1u5er1d0000000000000a "
                                "-ag3nt1u5er1d0000000000000a ");

    /* the same post again (a resumption replays, a catch-up overlaps):
       reported once */
    char *s = fixture_text("posted");
    json_t *j = json_loads(s, 0, NULL);
    json_object_set_new(j, "seq", json_integer(8));
    char *again = json_dumps(j, JSON_COMPACT);
    feed(&f, again);
    ck_assert_uint_eq(g_n, 5);
    free(again);
    json_decref(j);
    free(s);
    ck_assert_msg(!strstr(g_log, "warning"), "unexpected: %s", g_log);
    fed_close(&f);
}
END_TEST

/* an event built on the fixture "posted" with data.post replaced */
static char *
posted_with(long long seq, const char *post)
{
    json_t *j = fixture("posted");
    json_object_set_new(j, "seq", json_integer(seq));
    json_object_set_new(json_object_get(j, "data"), "post", json_string(post));
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

START_TEST(malformed_frames_are_logged_and_skipped)
{
    struct fed f;
    fed_open(&f);
    feed_fixture(&f, "hello");
    static const struct {
        const char *frame, *log;
    } bad[] = {
        {"{\"event\": \"posted\", \"data\": ", "not a JSON object"},
        {"[1, 2, 3]", "not a JSON object"},
        {"{\"event\": \"posted\", \"seq\": 1}", "without seq or data"},
        {"{\"event\": \"posted\", \"data\": {}, \"seq\": 1}",
         "without a 'post' string"},
        {"{\"event\": \"posted\", \"data\": {\"post\": 7}, \"seq\": 2}",
         "without a 'post' string"},
        {"{\"event\": \"reaction_added\", \"data\": {\"reaction\": "
         "\"{oops\"}, \"seq\": 3}",
         "'reaction' is not a JSON object"},
        {"{\"event\": \"reaction_added\", \"data\": {\"reaction\": "
         "\"{}\"}, \"seq\": 4}",
         "a reaction without user_id"},
    };
    long long seq = 1;
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        g_log[0] = '\0';
        feed(&f, bad[i].frame);
        ck_assert_msg(strstr(g_log, bad[i].log), "frame %zu: log was: %s", i,
                      g_log);
        json_t *j = json_loads(bad[i].frame, 0, NULL);
        if (json_is_integer(json_object_get(j, "seq")))
            seq = json_integer_value(json_object_get(j, "seq")) + 1;
        json_decref(j);
    }
    /* a "post" string that is not JSON, or misses its ids */
    char *s = posted_with(seq++, "this is not JSON");
    g_log[0] = '\0';
    feed(&f, s);
    ck_assert_msg(strstr(g_log, "'post' is not a JSON object"), "%s", g_log);
    free(s);
    s = posted_with(seq++, "{\"message\": \"no ids\"}");
    g_log[0] = '\0';
    feed(&f, s);
    ck_assert_msg(strstr(g_log, "without id, user_id or channel_id"), "%s",
                  g_log);
    free(s);
    /* 10 MB */
    size_t big = 10 * 1024 * 1024;
    char *huge = pf_xmalloc(big + 64);
    int n =
        snprintf(huge, 64, "{\"event\":\"posted\",\"seq\":%lld,\"x\":\"", seq);
    memset(huge + n, 'A', big);
    strcpy(huge + n + big, "\"}");
    g_log[0] = '\0';
    pf_mattermost_feed(f.c, huge, strlen(huge));
    free(huge);
    ck_assert_msg(strstr(g_log, "over"), "%s", g_log);
    ck_assert_uint_eq(g_n, 0);
    /* and the next good one counts */
    json_t *pj = fixture("posted");
    s = posted_with(seq++, json_string_value(json_object_get(
                               json_object_get(pj, "data"), "post")));
    json_decref(pj);
    feed(&f, s);
    free(s);
    ck_assert_uint_eq(g_n, 1);
    ck_assert_str_eq(g_ev[0].text, "Your refund is on its way :)");
    fed_close(&f);
}
END_TEST

START_TEST(a_gap_in_seq_is_noticed)
{
    struct fed f;
    fed_open(&f);
    feed_fixture(&f, "hello");
    json_t *pj = fixture("posted");
    const char *post =
        json_string_value(json_object_get(json_object_get(pj, "data"), "post"));
    char *s = posted_with(1, post);
    feed(&f, s);
    free(s);
    ck_assert_uint_eq(g_n, 1);
    /* seq 2 never came */
    s = posted_with(3, post);
    feed(&f, s);
    free(s);
    json_decref(pj);
    ck_assert_msg(strstr(g_log, "events lost (seq 3, expected 2)"), "%s",
                  g_log);
    ck_assert_uint_eq(g_n, 1);
    fed_close(&f);
}
END_TEST

/* ---- the emulator, against the fixtures ---- */

/* Same keys with the same JSON types, recursively; the JSON texts in
   "post" and "reaction" are compared as JSON too; props and metadata are
   free-form. 0, or -1 with why. */
static int
same_shape(json_t *want, json_t *got, const char *path, char *why, size_t n)
{
    int wt = json_typeof(want), gt = json_typeof(got);
    if (wt == JSON_TRUE)
        wt = JSON_FALSE;
    if (gt == JSON_TRUE)
        gt = JSON_FALSE;
    if (wt != gt) {
        snprintf(why, n, "%s: type %d, the fixture has %d", path, gt, wt);
        return -1;
    }
    if (json_is_object(want)) {
        const char *last = strrchr(path, '.');
        if (last && (!strcmp(last, ".props") || !strcmp(last, ".metadata")))
            return 0;
        const char *k;
        json_t *v;
        if (!strcmp(path, "$.posts")) {
            /* keyed by post id: every post has the fixture's one's shape */
            json_t *proto = json_object_iter_value(json_object_iter(want));
            json_object_foreach (got, k, v) {
                if (same_shape(proto, v, "$.posts[]", why, n))
                    return -1;
            }
            return 0;
        }
        json_object_foreach (want, k, v) {
            char p[256];
            snprintf(p, sizeof(p), "%s.%s", path, k);
            json_t *g = json_object_get(got, k);
            if (!g) {
                snprintf(why, n, "%s: missing", p);
                return -1;
            }
            if (json_is_string(v) &&
                (!strcmp(k, "post") || !strcmp(k, "reaction"))) {
                json_t *a = json_loads(json_string_value(v), 0, NULL);
                json_t *b = json_loads(json_string_value(g), 0, NULL);
                int rc = a && b ? same_shape(a, b, p, why, n) : -1;
                if (!b)
                    snprintf(why, n, "%s: not a JSON text", p);
                json_decref(a);
                json_decref(b);
                if (rc)
                    return rc;
                continue;
            }
            if (same_shape(v, g, p, why, n))
                return -1;
        }
        json_object_foreach (got, k, v) {
            if (!json_object_get(want, k)) {
                snprintf(why, n, "%s.%s: not in the fixture", path, k);
                return -1;
            }
        }
    } else if (json_is_array(want) && json_array_size(want) &&
               json_array_size(got)) {
        char p[256];
        snprintf(p, sizeof(p), "%s[0]", path);
        return same_shape(json_array_get(want, 0), json_array_get(got, 0), p,
                          why, n);
    }
    return 0;
}

struct expect {
    const char *fixture;
    const char *tag; /* the trace line starts with it */
    const char *has; /* and contains this */
};

static const struct expect expects[] = {
    {"hello", "EVENT ", "\"event\":\"hello\""},
    {"posted", "EVENT ", "\"channel_type\":\"O\""},
    /* the copy of the one it mentions */
    {"posted_direct", "EVENT ", "\"mentions\":\"["},
    {"post_edited", "EVENT ", "\"event\":\"post_edited\""},
    {"post_deleted", "EVENT ", "\"event\":\"post_deleted\""},
    {"reaction_added", "EVENT ", "\"event\":\"reaction_added\""},
    {"ws_ok", "REPLY ", "\"status\":\"OK\",\"seq_reply\":1}"},
    {"ws_pong", "REPLY ", "pong"},
    {"ws_fail", "REPLY ", "FAIL"},
    {"ws_authentication_challenge", "WSREQ ", "authentication_challenge"},
    {"ws_ping", "WSREQ ", "\"ping\""},
    {"user", "RESP GET /api/v4/users/me 200 ", ""},
    {"users", "RESP GET /api/v4/users 200 ", ""},
    {"channel", "RESP GET /api/v4/teams/name/", " 200 "},
    {"post", "RESP POST /api/v4/posts 201 ", ""},
    {"post_list", "RESP GET /api/v4/channels/", "/posts 200 "},
    {"reaction", "RESP POST /api/v4/reactions 200 ", ""},
    {"status_ok", "RESP DELETE /api/v4/posts/", " 200 "},
    {"app_error", "RESP GET /api/v4/users/me 401 ", ""},
    {"post", "RESP PUT /api/v4/posts/", " 200 "},
    {"request_create_post", "REQ POST /api/v4/posts ", ""},
    {"request_reaction", "REQ POST /api/v4/reactions ", ""},
    {"request_direct", "REQ POST /api/v4/channels/direct ", ""},
};

/* one REST call with token, waited for */
struct call {
    int done, status;
    char *body;
};

static void
on_call(void *ud, const struct pf_http_resp *r)
{
    struct call *c = ud;
    c->done = 1;
    c->status = r->status;
    c->body = pf_xstrdup(r->body ? r->body : "");
}

static int
call(struct tc_world *w, const char *token, const char *method,
     const char *path, const char *body, char **out)
{
    char err[128];
    char *auth = pf_xasprintf("Bearer %s", token);
    struct pf_http *h =
        pf_http_new(w->loop.ctx, w->url, auth, "test", 0, err, sizeof(err));
    free(auth);
    ck_assert_ptr_nonnull(h);
    struct call c = {0, 0, NULL};
    ck_assert_int_eq(pf_http_request(h, method, path, body, on_call, &c), 0);
    for (int i = 0; i < WAIT / 20 && !c.done; i++)
        tc_pump(w, 20);
    pf_http_free(h);
    ck_assert_msg(c.done, "%s %s: no answer", method, path);
    if (out)
        *out = c.body;
    else
        free(c.body);
    return c.status;
}

struct mmscene {
    char *tmp;
    pid_t emu;
    struct tc_world w;
    struct tc_user *aino, *ville;
    char chan[27], aino_id[27], ville_id[27];
};

/* pending_ttl_ms: how long the server dedupes pending_post_id (30 s) */
static void
mm_open_ttl(struct mmscene *s, long long pending_ttl_ms)
{
    memset(s, 0, sizeof(*s));
    s->tmp = tu_tmpdir();
    char *trace = pf_xasprintf("%s/trace", s->tmp);
    setenv("MMEMU_TRACE", trace, 1);
    free(trace);
    tc_mm_id(s->chan, "chint");
    tc_mm_id(s->aino_id, "aino");
    tc_mm_id(s->ville_id, "ville");
    json_t *world = json_pack(
        "{s:{s:s, s:s}, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}], "
        "s:[{s:s, s:s, s:s, s:s, s:[s,s]}]}",
        "team", "id", "t3am0000000000000000000000", "name", "support", "users",
        "id", s->aino_id, "username", "aino", "token", "tok-aino", "id",
        s->ville_id, "username", "ville", "token", "tok-ville", "channels",
        "id", s->chan, "name", "tiimi", "display_name", "Tiimi", "type", "O",
        "members", s->aino_id, s->ville_id);
    json_object_set_new(world, "pending_post_ttl_ms",
                        json_integer(pending_ttl_ms));
    char url[256];
    s->emu = tc_mmemu_start(tu_build(), s->tmp, world, url, sizeof(url));
    json_decref(world);
    unsetenv("MMEMU_TRACE");
    ck_assert_int_gt(s->emu, 0);
    ck_assert_int_eq(tc_world_init(&s->w, url), 0);
    const char *rooms[] = {"support/tiimi", NULL};
    s->aino = tc_user_new(&s->w, "aino", s->aino_id, "tok-aino", rooms);
    s->ville = tc_user_new(&s->w, "ville", s->ville_id, "tok-ville", rooms);
    ck_assert_int_eq(tc_wait_ready(&s->w, WAIT), 0);
}

static void
mm_open(struct mmscene *s)
{
    mm_open_ttl(s, 30000);
}

static void
mm_close(struct mmscene *s)
{
    tc_world_free(&s->w);
    tc_mmemu_stop(s->emu);
    if (!getenv("PF_KEEP"))
        tu_rmrf(s->tmp);
    free(s->tmp);
}

/* the emulator's log (emu.log) or trace, as one string */
static char *
emu_file(struct mmscene *s, const char *name)
{
    char *p = pf_xasprintf("%s/%s", s->tmp, name);
    size_t n;
    char *t = tu_read(p, &n);
    free(p);
    return t ? t : pf_xstrdup("");
}

/* a raw WebSocket to the emulator: frames received, closed or not */
struct raw {
    int open, closed, n;
    char last[512];
};

static void
raw_open(void *ud)
{
    ((struct raw *)ud)->open = 1;
}

static void
raw_message(void *ud, const char *data, size_t len)
{
    struct raw *r = ud;
    r->n++;
    snprintf(r->last, sizeof(r->last), "%.*s", (int)len, data);
}

static void
raw_closed(void *ud, const char *why)
{
    (void)why;
    ((struct raw *)ud)->closed = 1;
}

static const struct pf_ws_ops raw_ops = {raw_open, raw_message, raw_closed,
                                         NULL};

static struct pf_ws *
raw_connect(struct mmscene *s, struct raw *r)
{
    char err[128];
    char *url = pf_xasprintf("ws%s/api/v4/websocket", s->w.url + 4);
    struct pf_ws_opts o;
    memset(r, 0, sizeof(*r));
    memset(&o, 0, sizeof(o));
    o.url = url;
    o.name = "raw";
    o.reconnect_min_ms = 60000;
    o.no_origin = 1;
    struct pf_ws *w =
        pf_ws_new(s->w.loop.ctx, &o, &raw_ops, r, err, sizeof(err));
    free(url);
    ck_assert_ptr_nonnull(w);
    pf_ws_start(w);
    for (int i = 0; i < WAIT / 20 && !r->open; i++)
        tc_pump(&s->w, 20);
    ck_assert(r->open);
    return w;
}

START_TEST(the_emulator_speaks_the_documented_shapes)
{
    struct mmscene s;
    mm_open(&s);
    /* a conversation: a post, a reaction, an edit, a deletion, a DM */
    size_t from = 0;
    tc_say(s.aino, "support/tiimi", "Hei, tilaus 4411 lähti tänään.");
    const struct tc_msg *m =
        tc_wait_msg(s.ville, "support/tiimi", "tilaus 4411", &from, WAIT);
    ck_assert_ptr_nonnull(m);
    char *pid = pf_xstrdup(m->id);
    tc_react(s.ville, "support/tiimi", pid, "✅");
    tc_dm(s.ville, s.aino_id, "kahville?");
    ck_assert_ptr_nonnull(tc_wait_msg(s.aino, NULL, "kahville?", NULL, WAIT));
    char *path = pf_xasprintf("/api/v4/posts/%s/patch", pid);
    ck_assert_int_eq(call(&s.w, "tok-aino", "PUT", path,
                          "{\"message\": \"Hei, tilaus 4411 lähti.\"}", NULL),
                     200);
    free(path);
    path = pf_xasprintf("/api/v4/channels/%s/posts?page=0&per_page=10", s.chan);
    ck_assert_int_eq(call(&s.w, "tok-ville", "GET", path, NULL, NULL), 200);
    free(path);
    tc_delete(s.aino, "support/tiimi", pid);
    ck_assert_int_eq(tc_wait_deleted(s.ville, pid, WAIT), 0);
    ck_assert_int_eq(
        call(&s.w, "bad-token", "GET", "/api/v4/users/me", NULL, NULL), 401);
    /* a resumed session pings; a request before authenticating fails */
    ck_assert_int_eq(kill(s.emu, SIGUSR1), 0);
    tc_pump(&s.w, 300);
    ck_assert_int_eq(tc_wait_ready(&s.w, WAIT), 0);
    struct raw r;
    struct pf_ws *w = raw_connect(&s, &r);
    const char *ping = "{\"seq\": 1, \"action\": \"ping\"}";
    pf_ws_send(w, ping, strlen(ping));
    for (int i = 0; i < WAIT / 20 && !r.n; i++)
        tc_pump(&s.w, 20);
    ck_assert_msg(strstr(r.last, "not_authenticated"), "%s", r.last);
    pf_ws_stop(w);
    tc_pump(&s.w, 100);
    pf_ws_free(w);
    free(pid);

    /* every fixture has its counterpart in the trace, shape for shape */
    char *trace = emu_file(&s, "trace");
    for (size_t i = 0; i < sizeof(expects) / sizeof(*expects); i++) {
        const struct expect *e = &expects[i];
        json_t *want = fixture(e->fixture);
        int found = 0;
        char why[512] = "";
        for (char *line = trace; *line && !found;) {
            char *nl = strchr(line, '\n');
            size_t len = nl ? (size_t)(nl - line) : strlen(line);
            char *l = pf_xstrndup(line, len);
            line += len + (nl ? 1 : 0);
            if (strncmp(l, e->tag, strlen(e->tag)) != 0 || !strstr(l, e->has)) {
                free(l);
                continue;
            }
            const char *js = strchr(l + strlen(e->tag), '{');
            const char *ja = strchr(l + strlen(e->tag), '[');
            if (!js || (ja && ja < js))
                js = ja;
            json_t *got = js ? json_loads(js, 0, NULL) : NULL;
            ck_assert_msg(got != NULL, "not JSON in the trace: %s", l);
            ck_assert_msg(same_shape(want, got, "$", why, sizeof(why)) == 0,
                          "%s.json vs %s: %s", e->fixture, l, why);
            found = 1;
            json_decref(got);
            free(l);
        }
        ck_assert_msg(found, "nothing in the trace for %s.json (%s...%s)",
                      e->fixture, e->tag, e->has);
        json_decref(want);
    }
    free(trace);
    mm_close(&s);
}
END_TEST

/*
 * pf_loop_on_wrote(): called once a chat connection has written (a
 * WebSocket message, an HTTP request's body), not when it was queued:
 * the relay wakes the journal's thread there, after a reply's post.
 */
static void
count_wrote(void *ud)
{
    (*(int *)ud)++;
}

START_TEST(the_loop_says_when_a_connection_wrote)
{
    struct mmscene s;
    mm_open(&s);
    struct raw r;
    struct pf_ws *w = raw_connect(&s, &r);
    int n = 0;
    pf_loop_on_wrote(&s.w.loop, count_wrote, &n);
    const char *ping = "{\"seq\": 1, \"action\": \"ping\"}";
    pf_ws_send(w, ping, strlen(ping));
    ck_assert_int_eq(n, 0); /* queued, not written yet */
    for (int i = 0; i < WAIT / 20 && !r.n; i++)
        tc_pump(&s.w, 20);
    ck_assert_msg(r.n, "no answer to the ping");
    ck_assert_int_ge(n, 1);
    int before = n;
    ck_assert_int_eq(call(&s.w, "bad-token", "POST", "/api/v4/posts",
                          "{\"channel_id\": \"x\", \"message\": \"hei\"}",
                          NULL),
                     401);
    ck_assert_int_gt(n, before);
    pf_loop_on_wrote(&s.w.loop, NULL, NULL);
    pf_ws_stop(w);
    tc_pump(&s.w, 100);
    pf_ws_free(w);
    mm_close(&s);
}
END_TEST

START_TEST(a_bad_token_is_refused)
{
    struct mmscene s;
    mm_open(&s);
    /* the WebSocket closes, without a reply */
    struct raw r;
    struct pf_ws *w = raw_connect(&s, &r);
    const char *bad = "{\"seq\": 1, \"action\": \"authentication_challenge\", "
                      "\"data\": {\"token\": \"nope\"}}";
    pf_ws_send(w, bad, strlen(bad));
    for (int i = 0; i < WAIT / 20 && !r.closed; i++)
        tc_pump(&s.w, 20);
    ck_assert_msg(r.closed, "the socket stayed open");
    ck_assert_int_eq(r.n, 0);
    pf_ws_stop(w);
    pf_ws_free(w);
    /* the connector says why and does not get ready */
    g_log[0] = '\0';
    pf_log_set_sink(on_log, NULL);
    const char *rooms[] = {"support/tiimi", NULL};
    struct tc_user *u = tc_user_new(&s.w, "eve", "eve", "not-a-token", rooms);
    tc_pump(&s.w, 500);
    pf_log_set_sink(NULL, NULL);
    ck_assert(!u->ready);
    ck_assert_msg(strstr(g_log, "refused the bot's token (HTTP 401)"), "%s",
                  g_log);
    mm_close(&s);
}
END_TEST

START_TEST(rate_limits_and_pending_post_ids)
{
    struct mmscene s;
    mm_open(&s);
    /* the next two posts get 429, Retry-After: 1 */
    ck_assert_int_eq(kill(s.emu, SIGHUP), 0);
    tc_pump(&s.w, 100);
    int64_t t0 = pf_now_ns();
    tc_say(s.aino, "support/tiimi", "odota hetki");
    const struct tc_msg *m =
        tc_wait_msg(s.ville, "support/tiimi", "odota hetki", NULL, 3 * WAIT);
    ck_assert_ptr_nonnull(m);
    double waited = (double)(m->at_ns - t0) / 1e9;
    ck_assert_msg(waited >= 1.9, "arrived after %.2f s: 429 not waited out",
                  waited);
    tc_pump(&s.w, 300);
    ck_assert_uint_eq(tc_count(s.ville, "support/tiimi", "odota hetki"), 1);
    /* three tries, one pending_post_id */
    char *trace = emu_file(&s, "trace");
    size_t tries = 0;
    char first[128] = "";
    for (char *p = trace; (p = strstr(p, "REQ POST /api/v4/posts ")); p++) {
        char *q = strstr(p, "\"pending_post_id\":\"");
        ck_assert_ptr_nonnull(q);
        q += 19;
        char id[128];
        snprintf(id, sizeof(id), "%.*s", (int)strcspn(q, "\""), q);
        if (!tries++)
            snprintf(first, sizeof(first), "%s", id);
        ck_assert_str_eq(id, first);
    }
    ck_assert_uint_eq(tries, 3);
    free(trace);
    char *log = emu_file(&s, "emu.log");
    ck_assert_ptr_nonnull(
        strstr(log, "POST /api/v4/posts?set_online=false 429"));
    free(log);

    /* the server's dedupe: the same pending_post_id within 30 s returns
       the first post, and nobody sees it twice */
    char *body = pf_xasprintf("{\"channel_id\": \"%s\", \"message\": "
                              "\"kerran vain\", \"pending_post_id\": "
                              "\"%s:1\"}",
                              s.chan, s.aino_id);
    char *a, *b;
    ck_assert_int_eq(call(&s.w, "tok-aino", "POST", "/api/v4/posts", body, &a),
                     201);
    ck_assert_int_eq(call(&s.w, "tok-aino", "POST", "/api/v4/posts", body, &b),
                     201);
    json_t *ja = json_loads(a, 0, NULL), *jb = json_loads(b, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(ja, "id")),
                     json_string_value(json_object_get(jb, "id")));
    json_decref(ja);
    json_decref(jb);
    free(a);
    free(b);
    free(body);
    tc_pump(&s.w, 500);
    ck_assert_uint_eq(tc_count(s.ville, "support/tiimi", "kerran vain"), 1);
    mm_close(&s);
}
END_TEST

/* a connector of aino's, outside the test world's users: its POSTED
   events land in posted[] */
struct poster {
    char key[32][64], id[32][64];
    int n, ready;
};

static void
on_poster(void *ud, const struct pf_event *ev)
{
    struct poster *p = ud;
    if (ev->type == PF_EV_STATE && !strcmp(ev->text, "ready"))
        p->ready = 1;
    if (ev->type != PF_EV_POSTED || p->n == 32)
        return;
    snprintf(p->key[p->n], sizeof(p->key[0]), "%s", ev->key);
    snprintf(p->id[p->n], sizeof(p->id[0]), "%s", ev->msg_id);
    p->n++;
}

static struct pf_connector *
poster_new(struct mmscene *s, struct poster *p)
{
    char err[128];
    struct pf_mattermost_opts o;
    memset(p, 0, sizeof(*p));
    memset(&o, 0, sizeof(o));
    o.url = s->w.url;
    o.token = "tok-aino";
    struct pf_connector *c =
        pf_mattermost_new(s->w.loop.ctx, &o, on_poster, p, err, sizeof(err));
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->ops->join(c, "support/tiimi"), 0);
    return c;
}

static void
poster_free(struct mmscene *s, struct pf_connector *c)
{
    c->ops->stop(c);
    tc_pump(&s->w, 100);
    c->ops->destroy(c);
}

/*
 * After a restart the relay does not know whether a decided post went
 * out: post_again looks for its key among the channel's recent posts,
 * confirms the one that is there and sends only the one that is not.
 */
START_TEST(a_post_from_before_a_restart_is_looked_for_first)
{
    struct mmscene s;
    /* the restart came after the server's 30 s dedupe had forgotten it */
    mm_open_ttl(&s, 0);
    struct poster p;
    struct pf_connector *c = poster_new(&s, &p);
    c->ops->start(c);
    c->ops->post(c, "support/tiimi", "", "ennen katkoa", "k-before");
    for (int i = 0; i < WAIT / 20 && p.n < 1; i++)
        tc_pump(&s.w, 20);
    ck_assert_int_eq(p.n, 1);
    char first[64];
    snprintf(first, sizeof(first), "%s", p.id[0]);
    poster_free(&s, c);

    c = poster_new(&s, &p);
    ck_assert_int_eq(
        c->ops->post_again(c, "support/tiimi", "", "ennen katkoa", "k-before"),
        0);
    ck_assert_int_eq(c->ops->post_again(c, "support/tiimi", "",
                                        "ei vielä lähetetty", "k-never"),
                     0);
    c->ops->start(c);
    for (int i = 0; i < WAIT / 20 && p.n < 2; i++)
        tc_pump(&s.w, 20);
    ck_assert_int_eq(p.n, 2);
    ck_assert_str_eq(p.key[0], "k-before");
    ck_assert_str_eq(p.id[0], first); /* found, not sent again */
    ck_assert_str_eq(p.key[1], "k-never");
    ck_assert_str_ne(p.id[1], first);
    tc_pump(&s.w, 300);
    ck_assert_uint_eq(tc_count(s.ville, "support/tiimi", "ennen katkoa"), 1);
    ck_assert_uint_eq(tc_count(s.ville, "support/tiimi", "ei vielä"), 1);
    poster_free(&s, c);
    mm_close(&s);
}
END_TEST

/*
 * A client that goes before its request is read (a bot killed while it
 * connects) must not take the emulator down: the kill-and-restart test
 * does that two dozen times. A connection closed at once, one closed in
 * the middle of a request line, one in the middle of a body.
 */
START_TEST(a_peer_that_goes_early_leaves_the_emulator_up)
{
    struct mmscene s;
    mm_open(&s);
    const char *port = strrchr(s.w.url, ':');
    ck_assert_ptr_nonnull(port);
    const char *sends[] = {
        "",
        "GET /api/v4/us",
        "POST /api/v4/posts HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
        "\r\n{",
    };
    for (size_t i = 0; i < sizeof(sends) / sizeof(*sends); i++) {
        struct sockaddr_in a;
        memset(&a, 0, sizeof(a));
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)atoi(port + 1));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        size_t n = strlen(sends[i]);
        ck_assert_int_eq(write(fd, sends[i], n), (ssize_t)n);
        tc_pump(&s.w, 100);
        close(fd);
        tc_pump(&s.w, 100);
        int st;
        ck_assert_msg(waitpid(s.emu, &st, WNOHANG) == 0,
                      "the emulator died after a peer sent \"%s\" and went",
                      sends[i]);
    }
    ck_assert_int_eq(
        call(&s.w, "tok-aino", "GET", "/api/v4/users/me", NULL, NULL), 200);
    mm_close(&s);
}
END_TEST

Suite *
suite_mattermost(void)
{
    Suite *s = suite_create("mattermost");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, fixture_events_are_understood);
    tcase_add_test(tc, malformed_frames_are_logged_and_skipped);
    tcase_add_test(tc, a_gap_in_seq_is_noticed);
    suite_add_tcase(s, tc);
    tc = tcase_create("emulator");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, the_emulator_speaks_the_documented_shapes);
    tcase_add_test(tc, a_bad_token_is_refused);
    tcase_add_test(tc, the_loop_says_when_a_connection_wrote);
    tcase_add_test(tc, rate_limits_and_pending_post_ids);
    tcase_add_test(tc, a_post_from_before_a_restart_is_looked_for_first);
    tcase_add_test(tc, a_peer_that_goes_early_leaves_the_emulator_up);
    suite_add_tcase(s, tc);
    return s;
}
