/*
 * webapp.c - see webapp.h. Routes, in the order of the table at the end:
 * the page's files; /login (GET shows, POST uses the link); /logout;
 * /api/queue, /api/hold, /api/decide; /api/history(.csv), /api/stats;
 * /api/events (server-sent events); /metrics and /healthz.
 */
#include "core/webapp.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/log.h"
#include "core/history.h"
#include "core/ledger.h"
#include "core/relay_int.h"
#include "core/web.h"
#include "text/utf8.h"

#define MAX_SESSIONS 256
#define MAX_LINKS 64
#define SESSION_MS (12 * 3600 * 1000LL)
#define TOKEN_BYTES 32
#define TOKEN_CHARS 43 /* base64url, no padding */
#define COOKIE "pf_session"

struct wsession {
    unsigned char hash[crypto_generichash_BYTES];
    char *who, *name;
    int local; /* the bot's owner (web-login): a supervisor */
    int64_t expires_ms;
    char csrf[TOKEN_CHARS + 1];
};

struct wlink {
    unsigned char hash[crypto_generichash_BYTES];
    char *who, *name;
    int64_t expires_ms;
};

struct file {
    const char *path, *type;
    char *data;
    size_t len;
};

struct pf_webapp {
    struct pf_relay *r;
    struct pf_web *web;
    char *base_url;
    int secure; /* cookies only over HTTPS */
    int64_t link_ms;
    struct wsession *sessions[MAX_SESSIONS];
    size_t n_sessions;
    struct wlink links[MAX_LINKS];
    size_t n_links;
    struct file files[3];
};

/* ---- tokens, links, sessions ---- */

static void
new_token(char out[TOKEN_CHARS + 1])
{
    unsigned char raw[TOKEN_BYTES];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, TOKEN_CHARS + 1, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
}

/* the hash of a token as sent (n bytes); 0 when it cannot be one */
static int
token_hash(const char *t, size_t n, unsigned char h[crypto_generichash_BYTES])
{
    if (n != TOKEN_CHARS)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                    "0123456789-_",
                    t[i]))
            return 0;
    crypto_generichash(h, crypto_generichash_BYTES, (const unsigned char *)t, n,
                       NULL, 0);
    return 1;
}

static void
link_clear(struct wlink *l)
{
    free(l->who);
    free(l->name);
    sodium_memzero(l, sizeof(*l));
}

static void
links_expire(struct pf_webapp *a, int64_t now)
{
    for (size_t i = 0; i < a->n_links;) {
        if (a->links[i].expires_ms <= now) {
            link_clear(&a->links[i]);
            a->links[i] = a->links[--a->n_links];
            memset(&a->links[a->n_links], 0, sizeof(struct wlink));
        } else {
            i++;
        }
    }
}

char *
pf_webapp_link(struct pf_webapp *a, const char *who, const char *name)
{
    char t[TOKEN_CHARS + 1];
    int64_t now = pf_wall_us() / 1000;
    links_expire(a, now);
    if (a->n_links == MAX_LINKS) {
        /* the oldest goes: links are cheap to ask for again */
        size_t old = 0;
        for (size_t i = 1; i < a->n_links; i++)
            if (a->links[i].expires_ms < a->links[old].expires_ms)
                old = i;
        link_clear(&a->links[old]);
        a->links[old] = a->links[--a->n_links];
    }
    new_token(t);
    struct wlink *l = &a->links[a->n_links++];
    token_hash(t, strlen(t), l->hash);
    l->who = pf_xstrdup(who);
    l->name = pf_xstrdup(name);
    l->expires_ms = now + a->link_ms;
    pf_info("web: a sign-in link for %s, good for %lld s", who,
            (long long)(a->link_ms / 1000));
    char *url = pf_xasprintf("%s/login?t=%s", a->base_url, t);
    sodium_memzero(t, sizeof(t));
    return url;
}

/* the live link with this token, or NULL */
static struct wlink *
link_find(struct pf_webapp *a, const char *t, size_t n)
{
    unsigned char h[crypto_generichash_BYTES];
    links_expire(a, pf_wall_us() / 1000);
    if (!t || !token_hash(t, n, h))
        return NULL;
    for (size_t i = 0; i < a->n_links; i++)
        if (!sodium_memcmp(a->links[i].hash, h, sizeof(h)))
            return &a->links[i];
    return NULL;
}

static void
session_end(struct pf_webapp *a, size_t i)
{
    struct wsession *s = a->sessions[i];
    pf_web_close_streams(a->web, s);
    free(s->who);
    free(s->name);
    sodium_memzero(s, sizeof(*s));
    free(s);
    a->sessions[i] = a->sessions[--a->n_sessions];
}

/* may this person still look at the queue? */
static int
still_team(struct pf_webapp *a, const struct wsession *s)
{
    return s->local || pf_decide_team_anywhere(a->r, s->who);
}

static void *
session_of(void *ud, const char *cookie)
{
    struct pf_webapp *a = ud;
    int64_t now = pf_wall_us() / 1000;
    size_t n = 0;
    const char *t = pf_web_cookie(cookie, COOKIE, &n);
    unsigned char h[crypto_generichash_BYTES];
    if (!t || !token_hash(t, n, h))
        return NULL;
    for (size_t i = 0; i < a->n_sessions; i++) {
        struct wsession *s = a->sessions[i];
        if (sodium_memcmp(s->hash, h, sizeof(h)))
            continue;
        if (s->expires_ms <= now || !still_team(a, s)) {
            pf_info("web: the session of %s ended (%s)", s->who,
                    s->expires_ms <= now ? "expired" : "no longer on a team");
            session_end(a, i);
            return NULL;
        }
        return s;
    }
    return NULL;
}

/* a session from a link that is used up now; its token into t */
static struct wsession *
session_new(struct pf_webapp *a, struct wlink *l, char t[TOKEN_CHARS + 1])
{
    int64_t now = pf_wall_us() / 1000;
    for (size_t i = 0; i < a->n_sessions;)
        if (a->sessions[i]->expires_ms <= now)
            session_end(a, i);
        else
            i++;
    if (a->n_sessions == MAX_SESSIONS) {
        size_t old = 0;
        for (size_t i = 1; i < a->n_sessions; i++)
            if (a->sessions[i]->expires_ms < a->sessions[old]->expires_ms)
                old = i;
        pf_info("web: %d sessions; the oldest (%s) ends", MAX_SESSIONS,
                a->sessions[old]->who);
        session_end(a, old);
    }
    struct wsession *s = pf_xcalloc(1, sizeof(*s));
    new_token(t);
    token_hash(t, strlen(t), s->hash);
    new_token(s->csrf);
    s->who = l->who;
    s->name = l->name;
    l->who = l->name = NULL;
    s->local = !strncmp(s->who, "local:", 6);
    s->expires_ms = now + SESSION_MS;
    a->sessions[a->n_sessions++] = s;
    link_clear(l);
    *l = a->links[--a->n_links];
    memset(&a->links[a->n_links], 0, sizeof(struct wlink));
    return s;
}

/* ---- answers ---- */

static void
json_answer(struct pf_web_resp *resp, int status, json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    resp->status = status;
    resp->type = "application/json";
    pf_buf_addstr(&resp->body, s ? s : "{}");
    free(s);
}

static void json_error(struct pf_web_resp *resp, int status, const char *fmt,
                       ...) __attribute__((format(printf, 3, 4)));

static void
json_error(struct pf_web_resp *resp, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_answer(resp, status, json_pack("{s:b, s:s}", "ok", 0, "error", msg));
}

/* text for HTML */
static void
html_text(struct pf_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': pf_buf_addstr(b, "&lt;"); break;
        case '>': pf_buf_addstr(b, "&gt;"); break;
        case '&': pf_buf_addstr(b, "&amp;"); break;
        case '"': pf_buf_addstr(b, "&quot;"); break;
        case '\'': pf_buf_addstr(b, "&#39;"); break;
        default: pf_buf_addch(b, *s);
        }
    }
}

static int
finnish(const struct pf_web_req *req)
{
    return !strncasecmp(req->accept_language, "fi", 2);
}

/* a small page of the sign-in's own (the review page is a file) */
static void
small_page(struct pf_web_resp *resp, int status, int fi, const char *title,
           const char *text, const char *form_token, const char *button)
{
    struct pf_buf *b = &resp->body;
    resp->status = status;
    resp->type = "text/html; charset=utf-8";
    pf_buf_addf(b,
                "<!doctype html>\n<html lang=\"%s\"><head><meta "
                "charset=\"utf-8\"><meta name=\"viewport\" "
                "content=\"width=device-width, initial-scale=1\">"
                "<title>pokerface</title><link rel=\"stylesheet\" "
                "href=\"/app.css\"></head>\n<body class=\"signin\"><main "
                "class=\"signin-box\"><h1>",
                fi ? "fi" : "en");
    html_text(b, title);
    pf_buf_addstr(b, "</h1><p>");
    html_text(b, text);
    pf_buf_addstr(b, "</p>");
    if (form_token) {
        pf_buf_addstr(b, "<form method=\"post\" action=\"/login\"><input "
                         "type=\"hidden\" name=\"t\" value=\"");
        html_text(b, form_token);
        pf_buf_addstr(b, "\"><button type=\"submit\" id=\"signin\">");
        html_text(b, button);
        pf_buf_addstr(b, "</button></form>");
    }
    pf_buf_addstr(b, "</main></body></html>\n");
}

/* ---- the page's files ---- */

static void
file_cb(void *ud, const struct pf_web_req *req, struct pf_web_resp *resp)
{
    const struct file *f = ud;
    (void)req;
    if (!f->data) {
        resp->status = 404;
        pf_buf_addf(&resp->body,
                    "404 the review page's file %s is not installed\n",
                    f->path);
        return;
    }
    resp->type = f->type;
    pf_buf_add(&resp->body, f->data, f->len);
}

/* ---- sign-in ---- */

static void
link_refused(struct pf_web_resp *resp, int fi)
{
    small_page(resp, 403, fi,
               fi ? "Linkki ei kelpaa" : "This link does not work",
               fi ? "Kirjautumislinkki on jo käytetty tai vanhentunut. "
                    "Pyydä uusi kirjoittamalla !web tiimin keskusteluun."
                  : "This sign-in link was used already or has expired. "
                    "Ask for a new one by writing !web in the team chat.",
               NULL, NULL);
}

static void
login_get_cb(void *ud, const struct pf_web_req *req, struct pf_web_resp *resp)
{
    struct pf_webapp *a = ud;
    int fi = finnish(req);
    const char *t = pf_web_arg(req, "t");
    struct wlink *l = t ? link_find(a, t, strlen(t)) : NULL;
    if (!l) {
        link_refused(resp, fi);
        return;
    }
    char *text = pf_xasprintf(fi ? "Kirjaudu tarkistussivulle nimellä %s."
                                 : "Sign in to the review page as %s.",
                              l->name);
    small_page(resp, 200, fi, "pokerface", text, t,
               fi ? "Kirjaudu sisään" : "Sign in");
    free(text);
}

static void
login_post_cb(void *ud, const struct pf_web_req *req, struct pf_web_resp *resp)
{
    struct pf_webapp *a = ud;
    int fi = finnish(req);
    size_t n = 0;
    const char *t = pf_web_form(req->body, "t", &n);
    struct wlink *l = t ? link_find(a, t, n) : NULL;
    if (!l) {
        pf_info("web: a sign-in with a link that was used, expired or never "
                "given; refused");
        link_refused(resp, fi);
        return;
    }
    char tok[TOKEN_CHARS + 1];
    struct wsession *s = session_new(a, l, tok);
    pf_info("web: %s signed in%s", s->who, s->local ? " (a supervisor)" : "");
    resp->status = 303;
    pf_buf_addf(&resp->headers,
                "Set-Cookie: " COOKIE "=%s; Path=/; Max-Age=%lld; HttpOnly; "
                "SameSite=Strict%s\nLocation: /\n",
                tok, SESSION_MS / 1000,
                a->secure || req->tls ? "; Secure" : "");
    sodium_memzero(tok, sizeof(tok));
    pf_buf_addstr(&resp->body, "303 signed in: /\n");
}

/* a change: the session's CSRF token must come with it */
static int
csrf_ok(const struct wsession *s, const struct pf_web_req *req,
        struct pf_web_resp *resp)
{
    if (strlen(req->csrf) == TOKEN_CHARS &&
        !sodium_memcmp(req->csrf, s->csrf, TOKEN_CHARS))
        return 1;
    pf_warn("web: a change by %s without its CSRF token; refused", s->who);
    json_error(resp, 403,
               "this request does not carry the page's CSRF token "
               "(X-CSRF-Token); reload the page");
    return 0;
}

static size_t
session_index(struct pf_webapp *a, const struct wsession *s)
{
    for (size_t i = 0; i < a->n_sessions; i++)
        if (a->sessions[i] == s)
            return i;
    return a->n_sessions;
}

static void
logout_cb(void *ud, const struct pf_web_req *req, struct pf_web_resp *resp)
{
    struct pf_webapp *a = ud;
    struct wsession *s = req->session;
    if (!csrf_ok(s, req, resp))
        return;
    pf_info("web: %s signed out", s->who);
    size_t i = session_index(a, s);
    if (i < a->n_sessions)
        session_end(a, i);
    pf_buf_addf(&resp->headers,
                "Set-Cookie: " COOKIE "=; Path=/; Max-Age=0; HttpOnly; "
                "SameSite=Strict%s\n",
                a->secure || req->tls ? "; Secure" : "");
    json_answer(resp, 200, json_pack("{s:b}", "ok", 1));
}

/* ---- the queue ---- */

static int
is_sup(struct pf_webapp *a, const struct wsession *s)
{
    return s->local || pf_decide_is_supervisor(a->r, s->who);
}

/*
 * The words to highlight: what is quoted in the hold's words ("\"a\",
 * \"b\"") and in its reasons (a word a reason quotes is not repeated in
 * words), each once.
 */
static void
quoted(json_t *v, const char *s)
{
    while (s && (s = strchr(s, '"'))) {
        const char *e = strchr(s + 1, '"');
        if (!e)
            break;
        if (e > s + 1) {
            json_t *w = json_stringn(s + 1, (size_t)(e - s - 1));
            size_t i;
            json_t *x;
            int dup = 0;
            json_array_foreach (v, i, x)
                dup |= json_equal(x, w);
            if (dup)
                json_decref(w);
            else
                json_array_append_new(v, w);
        }
        s = e + 1;
    }
}

static json_t *
words_json(const struct pf_hold *h)
{
    json_t *v = json_array();
    quoted(v, h->words);
    quoted(v, h->why);
    return v;
}

static json_t *
hold_json(struct pf_webapp *a, const struct wsession *s,
          const struct pf_hold *h, int full)
{
    int sup = is_sup(a, s);
    int mine = !strcmp(h->author_id, s->who);
    json_t *o = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:s, s:b, "
        "s:b}",
        "hold", (json_int_t)h->id, "action",
        h->action == PF_ACT_BLOCK ? "block" : "hold", "route", h->route,
        "author", h->author_id, "name", h->author_name, "why",
        h->why ? h->why : "", "words", words_json(h), "labels",
        pf_history_labels(h->labels), "edits", (json_int_t)h->edits, "created",
        (json_int_t)h->created_ms, "expires", (json_int_t)h->expires_ms, "text",
        h->text, "may_decide", sup || mine, "may_send",
        (sup || mine) && (h->action != PF_ACT_BLOCK || sup));
    if (o && full) {
        json_t *d = json_array();
        for (const char *p = h->details; p && *p;) {
            size_t n = strcspn(p, "\n");
            if (n)
                json_array_append_new(d, json_stringn(p, n));
            p += n + (p[n] == '\n');
        }
        json_object_set_new(o, "details", d);
    }
    return o;
}

static int
cmp_hold(const void *x, const void *y)
{
    const struct pf_hold *a = *(const struct pf_hold *const *)x;
    const struct pf_hold *b = *(const struct pf_hold *const *)y;
    return a->id < b->id ? -1 : a->id > b->id;
}

static void
queue_cb(void *ud, const struct pf_web_req *req, struct pf_web_resp *resp)
{
    struct pf_webapp *a = ud;
    struct wsession *s = req->session;
    struct pf_relay *r = a->r;
    struct pf_hold **v = pf_xmalloc((r->holds.n + 1) * sizeof(*v));
    memcpy(v, r->holds.items, r->holds.n * sizeof(*v));
    qsort(v, r->holds.n, sizeof(*v), cmp_hold);
    json_t *holds = json_array();
    for (size_t i = 0; i < r->holds.n; i++)
        json_array_append_new(holds, hold_json(a, s, v[i], 0));
    free(v);
    json_answer(resp, 200,
                json_pack("{s:{s:s, s:s, s:b}, s:s, s:I, s:b, s:o}", "me", "id",
                          s->who, "name", s->name, "supervisor", is_sup(a, s),
                          "csrf", s->csrf, "now",
                          (json_int_t)(pf_wall_us() / 1000), "connected",
                          r->conn->ops->ready(r->conn), "holds", holds));
}

/* the hold named by the "id" argument or member */
static struct pf_hold *
hold_of(struct pf_webapp *a, json_int_t id, struct pf_web_resp *resp)
{
    struct pf_hold *h = id > 0 && id <= 0xFFFFFFFF
                            ? pf_holds_get(&a->r->holds, (unsigned)id)
                            : NULL;
    if (!h)
        json_error(resp, 404,
                   "no held message #%lld (it may have been decided already)",
                   (long long)id);
    return h;
}

static void
hold_cb(void *ud, const struct pf_web_req *req, struct pf_web_resp *resp)
{
    struct pf_webapp *a = ud;
    const char *id = pf_web_arg(req, "id");
    struct pf_hold *h = hold_of(a, id ? atoll(id) : 0, resp);
    if (h)
        json_answer(resp, 200, hold_json(a, req->session, h, 1));
}

static void
decide_cb(void *ud, const struct pf_web_req *req, struct pf_web_resp *resp)
{
    struct pf_webapp *a = ud;
    struct pf_relay *r = a->r;
    struct wsession *s = req->session;
    json_error_t jerr;
    char why[400];
    if (!csrf_ok(s, req, resp))
        return;
    json_t *o =
        json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    const char *act = json_string_value(json_object_get(o, "action"));
    const char *text = json_string_value(json_object_get(o, "text"));
    json_t *jid = json_object_get(o, "id");
    if (!json_is_object(o) || !act || !json_is_integer(jid) ||
        (strcmp(act, "send") && strcmp(act, "edit") && strcmp(act, "drop"))) {
        json_error(resp, 400,
                   "a decision is {\"id\": N, \"action\": \"send\"|\"edit\"|"
                   "\"drop\", \"text\": \"...\" (for edit)}%s%s",
                   o ? "" : ": ", o ? "" : jerr.text);
        json_decref(o);
        return;
    }
    struct pf_hold *h = hold_of(a, json_integer_value(jid), resp);
    if (!h) {
        json_decref(o);
        return;
    }
    unsigned id = h->id;
    int send = !strcmp(act, "send");
    size_t bad;
    if (!strcmp(act, "edit")) {
        const char *t = text ? text : "";
        while (*t == ' ' || *t == '\n' || *t == '\t')
            t++;
        if (!*t || !pf_utf8_valid(text, strlen(text), &bad) ||
            strlen(text) > r->cfg->max_message_bytes) {
            json_error(resp, 400,
                       "an edit needs \"text\": the new text, valid UTF-8, "
                       "at most %zu bytes",
                       r->cfg->max_message_bytes);
            json_decref(o);
            return;
        }
    }
    if (!s->local &&
        !pf_decide_may(r, h, send, s->who, s->name, why, sizeof(why))) {
        r->stats.refused++;
        pf_info("web: refused %s #%u by %s", act, id, s->who);
        json_error(resp, 403, "%s", why);
        json_decref(o);
        return;
    }
    struct pf_route *rt = pf_relay_route_by_name(r, h->route);
    if (!rt) {
        json_error(resp, 409,
                   "#%u belongs to route '%s', which is no longer configured",
                   id, h->route);
        json_decref(o);
        return;
    }
    if (!r->conn->ops->ready(r->conn) && strcmp(act, "drop")) {
        json_error(resp, 503,
                   "the chat is not connected; try again in a "
                   "moment");
        json_decref(o);
        return;
    }
    pf_info("web: %s #%u decided on the review page by %s", act, id, s->who);
    json_answer(
        resp, 200,
        pf_commands_decide_as(r, rt, h, act, text, s->who, s->name, "web"));
    json_decref(o);
}

/* ---- history and statistics ---- */

static int
arg_int(const struct pf_web_req *req, const char *name, int dflt, int lo,
        int hi)
{
    const char *v = pf_web_arg(req, name);
    if (!v || !*v)
        return dflt;
    long n = strtol(v, NULL, 10);
    return n < lo ? lo : n > hi ? hi : (int)n;
}

static void
filter_of(struct pf_webapp *a, const struct pf_web_req *req,
          struct pf_ledger_filter *f)
{
    int64_t now = pf_wall_us() / 1000;
    memset(f, 0, sizeof(*f));
    f->since_ms = now - (int64_t)arg_int(req, "days", 30, 1, 3660) * 86400000;
    f->author = pf_web_arg(req, "author");
    f->label = pf_web_arg(req, "label");
    f->outcome = pf_web_arg(req, "outcome");
    f->max = 1000;
    /* what the history no longer has, the page does not show either */
    pf_ledger_prune(a->r->ledger,
                    now - (int64_t)(a->r->cfg->history_days * 86400000.0));
}

static void
history_cb(void *ud, const struct pf_web_req *req, struct pf_web_resp *resp)
{
    struct pf_webapp *a = ud;
    struct pf_ledger_filter f;
    filter_of(a, req, &f);
    json_answer(resp, 200,
                json_pack("{s:o}", "items", pf_ledger_items(a->r->ledger, &f)));
}

static void
history_csv_cb(void *ud, const struct pf_web_req *req, struct pf_web_resp *resp)
{
    struct pf_webapp *a = ud;
    struct pf_ledger_filter f;
    filter_of(a, req, &f);
    f.max = (size_t)-1;
    resp->type = "text/csv; charset=utf-8";
    pf_buf_addstr(&resp->headers, "Content-Disposition: attachment; "
                                  "filename=\"pokerface-history.csv\"\n");
    pf_ledger_csv(a->r->ledger, &f, &resp->body);
}

static void
stats_cb(void *ud, const struct pf_web_req *req, struct pf_web_resp *resp)
{
    struct pf_webapp *a = ud;
    struct pf_ledger_filter f;
    filter_of(a, req, &f);
    json_answer(resp, 200,
                pf_ledger_stats(a->r->ledger, pf_wall_us() / 1000,
                                arg_int(req, "days", 30, 1, 366)));
}

/* ---- live ---- */

/* streams one session may hold open (its tabs): the listener's places
   are for everyone */
#define STREAMS_PER_SESSION 4

static void
events_cb(void *ud, const struct pf_web_req *req, struct pf_web_resp *resp)
{
    struct pf_webapp *a = ud;
    if (pf_web_streams(a->web, req->session) >= STREAMS_PER_SESSION) {
        resp->status = 429;
        pf_buf_addf(&resp->body,
                    "429 this session has %d event streams open already "
                    "(close a tab)\n",
                    STREAMS_PER_SESSION);
        return;
    }
    resp->type = "text/event-stream";
    resp->stream = 1;
    resp->stream_key = req->session;
    pf_buf_addstr(&resp->body, "retry: 3000\n\n");
}

void
pf_webapp_record(struct pf_webapp *a, int type, json_t *o)
{
    if (!a)
        return;
    char line[160];
    pf_snprintf(line, sizeof(line),
                "event: queue\ndata: {\"hold\":%lld,\"what\":\"%s\"}\n\n",
                (long long)json_integer_value(json_object_get(o, "hold")),
                type == PF_HREC_HELD ? "held" : "decided");
    pf_web_push(a->web, NULL, line);
}

/* ---- metrics, health ---- */

/* GET /metrics: the Prometheus text format (metrics.h) */
static void
metrics_cb(void *ud, const struct pf_web_req *req, struct pf_web_resp *resp)
{
    struct pf_webapp *a = ud;
    (void)req;
    resp->type = "text/plain; version=0.0.4; charset=utf-8";
    pf_relay_metrics(a->r, &resp->body);
}

/* GET /healthz: 200 once connected and caught up, else 503 */
static void
healthz_cb(void *ud, const struct pf_web_req *req, struct pf_web_resp *resp)
{
    struct pf_webapp *a = ud;
    char why[128];
    (void)req;
    resp->status = pf_relay_health(a->r, why, sizeof(why)) ? 200 : 503;
    pf_buf_addf(&resp->body, "%s: %s\n",
                resp->status == 200 ? "ok" : "not ready", why);
}

/* ---- start, stop ---- */

static void
load_file(struct file *f, const char *dir)
{
    char *path = pf_path_join(dir, f->path + 1);
    struct pf_buf b = PF_BUF_INIT;
    FILE *fp = fopen(path, "rb");
    char chunk[8192];
    size_t n;
    while (fp && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        pf_buf_add(&b, chunk, n);
    if (!fp || ferror(fp)) {
        pf_warn("web: cannot read %s (%s); the review page will not load "
                "until it is installed",
                path, fp ? "read error" : strerror(errno));
        pf_buf_release(&b);
    } else {
        f->len = b.len;
        f->data = pf_buf_detach(&b, NULL);
    }
    if (fp)
        fclose(fp);
    free(path);
}

int
pf_webapp_start(struct pf_webapp **out, struct pf_relay *r,
                struct lws_context *ctx, const char *data_dir, char *err,
                size_t errlen)
{
    const struct pf_web_conf *conf = &r->cfg->web;
    struct pf_webapp *a = pf_xcalloc(1, sizeof(*a));
    a->r = r;
    a->link_ms = (int64_t)(conf->link_ttl_s * 1000);
    const struct file files[] = {
        {"/", "text/html; charset=utf-8", NULL, 0},
        {"/app.js", "text/javascript; charset=utf-8", NULL, 0},
        {"/app.css", "text/css; charset=utf-8", NULL, 0},
    };
    char *web_dir = pf_path_join(data_dir, "web");
    for (size_t i = 0; i < PF_ARRAY_LEN(files); i++) {
        a->files[i] = files[i];
        a->files[i].path = i ? files[i].path : "/index.html";
        load_file(&a->files[i], web_dir);
    }
    free(web_dir);
    const struct pf_web_route routes[] = {
        {"/", PF_WEB_GET, PF_WEB_PUBLIC, file_cb, &a->files[0]},
        {"/app.js", PF_WEB_GET, PF_WEB_PUBLIC, file_cb, &a->files[1]},
        {"/app.css", PF_WEB_GET, PF_WEB_PUBLIC, file_cb, &a->files[2]},
        {"/login", PF_WEB_GET, PF_WEB_PUBLIC, login_get_cb, a},
        {"/login", PF_WEB_POST, PF_WEB_PUBLIC, login_post_cb, a},
        {"/logout", PF_WEB_POST, PF_WEB_SESSION, logout_cb, a},
        {"/api/queue", PF_WEB_GET, PF_WEB_SESSION, queue_cb, a},
        {"/api/hold", PF_WEB_GET, PF_WEB_SESSION, hold_cb, a},
        {"/api/decide", PF_WEB_POST, PF_WEB_SESSION, decide_cb, a},
        {"/api/history", PF_WEB_GET, PF_WEB_SESSION, history_cb, a},
        {"/api/history.csv", PF_WEB_GET, PF_WEB_SESSION, history_csv_cb, a},
        {"/api/stats", PF_WEB_GET, PF_WEB_SESSION, stats_cb, a},
        {"/api/events", PF_WEB_GET, PF_WEB_SESSION, events_cb, a},
        {"/metrics", PF_WEB_GET, PF_WEB_PUBLIC, metrics_cb, a},
        {"/healthz", PF_WEB_GET, PF_WEB_PUBLIC, healthz_cb, a},
    };
    int rc = pf_web_start(&a->web, ctx, conf, routes, PF_ARRAY_LEN(routes), err,
                          errlen);
    if (rc != PF_OK) {
        for (size_t i = 0; i < PF_ARRAY_LEN(a->files); i++)
            free(a->files[i].data);
        free(a);
        return rc;
    }
    pf_web_sessions(a->web, session_of, a);
    if (conf->url) {
        a->base_url = pf_xstrdup(conf->url);
    } else {
        const char *h = conf->host;
        char name[256] = "localhost";
        if (!h || !*h || !strcmp(h, "0.0.0.0") || !strcmp(h, "::")) {
            if (gethostname(name, sizeof(name) - 1) != 0)
                pf_snprintf(name, sizeof(name), "localhost");
            h = name;
        }
        a->base_url =
            pf_xasprintf("%s://%s%s%s:%d", conf->tls_cert ? "https" : "http",
                         strchr(h, ':') ? "[" : "", h,
                         strchr(h, ':') ? "]" : "", pf_web_port(a->web));
    }
    a->secure = !strncmp(a->base_url, "https:", 6);
    pf_info("web: the review page is %s/", a->base_url);
    r->webapp = a;
    *out = a;
    return PF_OK;
}

int
pf_webapp_port(const struct pf_webapp *a)
{
    return pf_web_port(a->web);
}

void
pf_webapp_stop(struct pf_webapp *a)
{
    if (!a)
        return;
    if (a->r && a->r->webapp == a)
        a->r->webapp = NULL;
    while (a->n_sessions)
        session_end(a, 0);
    pf_web_stop(a->web);
    for (size_t i = 0; i < a->n_links; i++)
        link_clear(&a->links[i]);
    for (size_t i = 0; i < PF_ARRAY_LEN(a->files); i++)
        free(a->files[i].data);
    free(a->base_url);
    free(a);
}
