/*
 * echo - holds a reply that repeats what the team said backstage.
 *
 * The worst leak is not a rude word but a paste: an internal joke, a
 * colleague's remark about the customer, copied into the reply by mistake.
 * Word lists cannot see it; this plugin remembers what was said in each
 * route's internal room (observe()) and holds an outgoing reply that
 * closely resembles any of it, naming who said it and when:
 *
 *     this echoes what Sanna said internally at 14:02
 *
 * How: every message becomes a set of shingles, hashes of three
 * consecutive words (punctuation left out, each word cut to its first five
 * letters so that inflected forms meet: "asiakkaalle" and "asiakkaan"
 * share "asiak"). A reply echoes a backstage message when at least
 * min_words of its words fall in shared shingles and that is at least
 * min_share of either message, or when a run of long_words words is
 * shared whatever the lengths.
 *
 * What is not an echo:
 *  - words the customer wrote (observed as PF_MSG_CUSTOMER): quoting the
 *    customer back is what replies do, and backstage often quotes them too;
 *  - words inside quotation marks backstage ("tell her: 'it ships
 *    Monday'"): a suggested wording, meant to be sent;
 *  - a backstage message that talks to the customer and about nobody (a
 *    draft written in the internal room first).
 *
 * Memory is bounded: per route the last window_messages messages younger
 * than window_minutes, at most MAX_ROUTES routes (the least recently used
 * is forgotten), at most MAX_SHINGLES shingles per message. Nothing is
 * kept across restarts.
 */
#include <pokerface/plugin.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/config.h"

#define MAX_ROUTES 64
#define MAX_SHINGLES 256
#define MAX_CANDIDATES 32
#define MAX_OUT_TOKENS 512 /* words of a reply looked at */
#define KEY_CHARS 5        /* letters of a word that make its key */
#define SHINGLE 3          /* words per shingle */

struct entry {
    uint64_t seq; /* 0: empty */
    int64_t ts_ms;
    char who[64];
    uint32_t n_words;
    int customer; /* the customer wrote it */
    uint64_t *sh; /* its shingles */
    uint32_t n_sh;
};

struct slot {
    uint64_t hash; /* 0: empty */
    uint64_t seq;
};

struct route {
    char name[128];
    uint64_t used;      /* tick of last use, for eviction */
    struct entry *ring; /* window entries, by seq % window */
    uint64_t next_seq;
    struct slot *table; /* shingle -> entry, open addressing */
    size_t cap, filled;
};

struct echo {
    const struct pf_host *h;
    struct pf_hctx *hctx;
    size_t window;
    int64_t window_ms;
    unsigned min_words, long_words;
    float min_share, score;
    uint64_t tick;
    struct route routes[MAX_ROUTES];
};

/* ---- words and shingles ---- */

static uint64_t
mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static int
is_word(const struct pf_token *t)
{
    return t->kind != PF_TOK_PUNCT;
}

/* hash of a word's key: its first KEY_CHARS characters as normalized */
static uint64_t
word_key(const struct pf_msg *m, const struct pf_token *t)
{
    const unsigned char *s = (const unsigned char *)m->norm + t->norm_off;
    size_t n = t->norm_len, chars = 0, i = 0;
    uint64_t h = 14695981039346656037ULL;
    if (t->kind == PF_TOK_WORD)
        for (; i < n; i++) {
            if ((s[i] & 0xC0) != 0x80 && chars++ == KEY_CHARS)
                break;
        }
    else
        i = n;
    for (size_t k = 0; k < i; k++)
        h = (h ^ s[k]) * 1099511628211ULL;
    return h;
}

/*
 * The words of m (token indexes) and the shingle starting at each; a
 * shingle is "quoted" when all its words are. Returns the number of words.
 */
static size_t
shingles(const struct pf_msg *m, uint32_t *words, uint64_t *sh,
         unsigned char *quoted, size_t cap)
{
    size_t nw = 0;
    uint64_t key[SHINGLE];
    for (size_t i = 0; i < m->n_tokens && nw < cap; i++) {
        const struct pf_token *t = &m->tokens[i];
        if (!is_word(t))
            continue;
        words[nw] = (uint32_t)i;
        key[nw % SHINGLE] = word_key(m, t);
        nw++;
        if (nw >= SHINGLE) {
            size_t s = nw - SHINGLE;
            uint64_t h = 0;
            int q = 1;
            for (size_t k = 0; k < SHINGLE; k++) {
                h = mix(h ^ key[(s + k) % SHINGLE]);
                q &= (m->tokens[words[s + k]].flags & PF_TOKF_QUOTED) != 0;
            }
            sh[s] = h | 1; /* 0 marks an empty slot */
            if (quoted)
                quoted[s] = (unsigned char)q;
        }
    }
    return nw;
}

/* ---- the window ---- */

static void
entry_clear(struct entry *e)
{
    free(e->sh);
    memset(e, 0, sizeof(*e));
}

static struct route *
route_find(struct echo *ec, const char *name, int create)
{
    struct route *lru = NULL;
    for (size_t i = 0; i < MAX_ROUTES; i++) {
        struct route *r = &ec->routes[i];
        if (r->ring && strcmp(r->name, name) == 0) {
            r->used = ++ec->tick;
            return r;
        }
        if (!lru || (!r->ring && lru->ring) ||
            (r->ring && lru->ring && r->used < lru->used))
            lru = r;
    }
    if (!create || strlen(name) >= sizeof(lru->name))
        return NULL;
    if (lru->ring) { /* forget the least recently used route */
        for (size_t i = 0; i < ec->window; i++)
            entry_clear(&lru->ring[i]);
        free(lru->ring);
        free(lru->table);
        memset(lru, 0, sizeof(*lru));
    }
    lru->ring = calloc(ec->window, sizeof(*lru->ring));
    lru->cap = 1024;
    lru->table = calloc(lru->cap, sizeof(*lru->table));
    if (!lru->ring || !lru->table) {
        free(lru->ring);
        free(lru->table);
        memset(lru, 0, sizeof(*lru));
        return NULL;
    }
    snprintf(lru->name, sizeof(lru->name), "%s", name);
    lru->next_seq = 1;
    lru->used = ++ec->tick;
    return lru;
}

/* the entry seq names, if it is still in the window */
static struct entry *
live(struct echo *ec, struct route *r, uint64_t seq, int64_t now_ms)
{
    struct entry *e = &r->ring[seq % ec->window];
    if (!seq || e->seq != seq || now_ms - e->ts_ms > ec->window_ms)
        return NULL;
    return e;
}

static void
table_put(struct slot *t, size_t cap, uint64_t hash, uint64_t seq)
{
    size_t i = (size_t)hash & (cap - 1);
    while (t[i].hash)
        i = (i + 1) & (cap - 1);
    t[i].hash = hash;
    t[i].seq = seq;
}

/*
 * Slots are never removed one by one; when the table fills up it is
 * rebuilt from the live entries, grown if they need it.
 */
static int
table_rebuild(struct echo *ec, struct route *r, int64_t now_ms)
{
    size_t need = 0;
    for (size_t i = 0; i < ec->window; i++)
        if (live(ec, r, r->ring[i].seq, now_ms))
            need += r->ring[i].n_sh;
    size_t cap = 1024;
    while (cap < need * 4)
        cap *= 2;
    struct slot *t = calloc(cap, sizeof(*t));
    if (!t)
        return PF_ENOMEM;
    for (size_t i = 0; i < ec->window; i++) {
        struct entry *e = &r->ring[i];
        if (!live(ec, r, e->seq, now_ms))
            continue;
        for (uint32_t k = 0; k < e->n_sh; k++)
            table_put(t, cap, e->sh[k], e->seq);
    }
    free(r->table);
    r->table = t;
    r->cap = cap;
    r->filled = need;
    return PF_OK;
}

static int64_t
now_ms(struct echo *ec)
{
    return ec->h->now_us(PF_CLOCK_WALL) / 1000;
}

/* a backstage message that talks to the customer and about nobody */
static int
is_draft(const struct pf_msg *m)
{
    if (!PF_MSG_HAS(m, addressee) || !m->addressee)
        return 0;
    const struct pf_addressee *a = m->addressee;
    return (a->second || a->greeting || a->customer_name) && !a->third &&
           !a->colleague;
}

static void
echo_observe(void *inst, const struct pf_msg *m)
{
    struct echo *ec = inst;
    int customer = (m->flags & PF_MSG_CUSTOMER) != 0;
    if (!(m->flags & (PF_MSG_BACKSTAGE | PF_MSG_CUSTOMER)) || !m->route[0])
        return;
    if (!customer && is_draft(m))
        return;
    uint32_t words[MAX_SHINGLES + SHINGLE];
    uint64_t sh[MAX_SHINGLES + SHINGLE];
    unsigned char quoted[MAX_SHINGLES + SHINGLE];
    size_t nw = shingles(m, words, sh, quoted, MAX_SHINGLES + SHINGLE - 1);
    if (nw < SHINGLE)
        return; /* too short to echo */
    struct route *r = route_find(ec, m->route, 1);
    if (!r)
        return;
    int64_t now = now_ms(ec), ts = m->ts_ms > 0 ? m->ts_ms : now;
    if (now - ts > ec->window_ms)
        return; /* history older than the window (a catch-up) */
    uint64_t seq = r->next_seq++;
    struct entry *e = &r->ring[seq % ec->window];
    entry_clear(e);
    size_t n = nw - SHINGLE + 1, kept = 0;
    e->sh = malloc(n * sizeof(*e->sh));
    if (!e->sh)
        return;
    for (size_t i = 0; i < n; i++)
        if (customer || !quoted[i])
            e->sh[kept++] = sh[i];
    e->seq = seq;
    e->ts_ms = ts;
    e->n_sh = (uint32_t)kept;
    e->n_words = (uint32_t)nw;
    e->customer = customer;
    snprintf(e->who, sizeof(e->who), "%s",
             m->author_name[0] ? m->author_name
             : m->author_id[0] ? m->author_id
                               : "?");
    if ((r->filled + kept) * 2 > r->cap) {
        if (table_rebuild(ec, r, now) != PF_OK)
            return;
    } else {
        for (size_t i = 0; i < kept; i++)
            table_put(r->table, r->cap, e->sh[i], seq);
        r->filled += kept;
    }
}

/* ---- checking a reply ---- */

struct cand {
    struct entry *e;
    size_t words; /* of the reply, in shared shingles */
};

static void
echo_reason(struct echo *ec, const struct pf_msg *m, const struct entry *e,
            struct pf_finding *f)
{
    char when[32] = "";
    time_t t = (time_t)(e->ts_ms / 1000);
    struct tm tm;
    int fi = m->ui_lang && strcmp(m->ui_lang, "fi") == 0;
    if (localtime_r(&t, &tm)) {
        int64_t age = now_ms(ec) - e->ts_ms;
        static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr",
                                          "May", "Jun", "Jul", "Aug",
                                          "Sep", "Oct", "Nov", "Dec"};
        if (age > 20 * 3600 * 1000LL && fi)
            snprintf(when, sizeof(when), "%d.%d. klo %02d.%02d", tm.tm_mday,
                     tm.tm_mon + 1, tm.tm_hour, tm.tm_min);
        else if (age > 20 * 3600 * 1000LL)
            snprintf(when, sizeof(when), "on %s %d at %02d:%02d",
                     mon[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min);
        else
            snprintf(when, sizeof(when), fi ? "klo %02d.%02d" : "at %02d:%02d",
                     tm.tm_hour, tm.tm_min);
    }
    if (fi)
        snprintf(f->reason, sizeof(f->reason),
                 "toistaa, mitä %s kirjoitti sisäiseen kanavaan %s", e->who,
                 when);
    else
        snprintf(f->reason, sizeof(f->reason),
                 "this echoes what %s said internally %s", e->who, when);
    pf_strlcpy(f->suggestion,
               fi ? "Tarkista, ettei vastaukseen päätynyt tiimin sisäistä "
                    "keskustelua."
                  : "Make sure none of the team's internal talk ended up in "
                    "the reply.",
               sizeof(f->suggestion));
}

static int
echo_check(void *inst, const struct pf_msg *m, struct pf_verdict *v)
{
    struct echo *ec = inst;
    struct route *r = m->route[0] ? route_find(ec, m->route, 0) : NULL;
    if (!r)
        return PF_OK;
    uint32_t words[MAX_OUT_TOKENS];
    uint64_t sh[MAX_OUT_TOKENS];
    size_t nw = shingles(m, words, sh, NULL, MAX_OUT_TOKENS);
    if (nw < SHINGLE)
        return PF_OK;
    size_t n_sh = nw - SHINGLE + 1;
    int64_t now = now_ms(ec);
    struct cand cands[MAX_CANDIDATES];
    size_t n_cands = 0;
    uint32_t hits[MAX_OUT_TOKENS]; /* per shingle: which candidates */
    for (size_t i = 0; i < n_sh; i++) {
        uint32_t mask = 0;
        int theirs = 0; /* the customer said it */
        size_t j = (size_t)sh[i] & (r->cap - 1);
        for (; r->table[j].hash; j = (j + 1) & (r->cap - 1)) {
            if (r->table[j].hash != sh[i])
                continue;
            struct entry *e = live(ec, r, r->table[j].seq, now);
            if (!e)
                continue;
            if (e->customer) {
                theirs = 1;
                continue;
            }
            size_t c = 0;
            while (c < n_cands && cands[c].e != e)
                c++;
            if (c == n_cands) {
                if (n_cands == MAX_CANDIDATES)
                    continue;
                cands[n_cands].e = e;
                cands[n_cands++].words = 0;
            }
            mask |= 1u << c;
        }
        hits[i] = theirs ? 0 : mask;
    }
    if (!n_cands)
        return PF_OK;

    /* the candidate most of the reply echoes */
    struct cand *best = NULL;
    float best_share = 0;
    for (size_t c = 0; c < n_cands; c++) {
        size_t covered = 0, until = 0, run = 0, longest = 0;
        for (size_t i = 0; i < n_sh; i++) {
            if (!(hits[i] >> c & 1)) {
                continue;
            }
            size_t from = i > until ? i : until;
            size_t to = i + SHINGLE;
            covered += to - from;
            run = i < until ? run + (to - from) : SHINGLE;
            if (run > longest)
                longest = run;
            until = to;
        }
        float share_out = (float)covered / (float)nw;
        float share_in = (float)covered / (float)cands[c].e->n_words;
        float share = share_out > share_in ? share_out : share_in;
        if (share > 1)
            share = 1;
        int echo = (covered >= ec->min_words && share >= ec->min_share) ||
                   longest >= ec->long_words;
        cands[c].words = covered;
        if (echo && (!best || covered > best->words)) {
            best = &cands[c];
            best_share = share;
        }
    }
    if (!best)
        return PF_OK;
    size_t c = (size_t)(best - cands);
    float score = ec->score + (1 - ec->score) * (best_share - ec->min_share) /
                                  (1 - ec->min_share + 1e-6f);
    if (score < ec->score)
        score = ec->score;
    struct pf_finding *f = pf_verdict_add(v, "echo.backstage", score);
    if (!f)
        return PF_OK;
    echo_reason(ec, m, best->e, f);
    /* spans: each run of echoed words, from its first byte to its last */
    size_t i = 0;
    while (i < n_sh) {
        if (!(hits[i] >> c & 1)) {
            i++;
            continue;
        }
        size_t last = i;
        while (last + 1 < n_sh && (hits[last + 1] >> c & 1))
            last++;
        const struct pf_token *a = &m->tokens[words[i]];
        const struct pf_token *b = &m->tokens[words[last + SHINGLE - 1]];
        pf_finding_span(f, a->raw.off, b->raw.off + b->raw.len - a->raw.off);
        i = last + 1;
    }
    if (m->flags & PF_MSG_EXPLAIN)
        ec->h->log(ec->hctx, PF_LOG_DEBUG,
                   "%zu of %zu words shared with a message of %u words by "
                   "%s (share %.2f)",
                   best->words, nw, best->e->n_words, best->e->who,
                   (double)best_share);
    return PF_OK;
}

/* ---- life cycle ---- */

static int
echo_create(const struct pf_host *h, struct pf_hctx *hctx, void **inst,
            char *err, size_t errlen)
{
    struct echo *ec = calloc(1, sizeof(*ec));
    double window = 200, minutes = 120, min_words = 5, long_words = 8,
           share = 0.6, score = 0.8;
    if (!ec) {
        pf_strlcpy(err, "out of memory", errlen);
        return PF_ENOMEM;
    }
    ec->h = h;
    ec->hctx = hctx;
    int rc;
    if ((rc = pl_cfg_number(h, hctx, "window_messages", 1, 10000, &window, err,
                            errlen)) ||
        (rc = pl_cfg_number(h, hctx, "window_minutes", 1, 7 * 24 * 60, &minutes,
                            err, errlen)) ||
        (rc = pl_cfg_number(h, hctx, "min_words", SHINGLE, 100, &min_words, err,
                            errlen)) ||
        (rc = pl_cfg_number(h, hctx, "long_words", SHINGLE, 1000, &long_words,
                            err, errlen)) ||
        (rc = pl_cfg_number(h, hctx, "min_share", 0.05, 1, &share, err,
                            errlen)) ||
        (rc = pl_cfg_number(h, hctx, "score", 0, 1, &score, err, errlen))) {
        free(ec);
        return rc;
    }
    ec->window = (size_t)window;
    ec->window_ms = (int64_t)(minutes * 60000);
    ec->min_words = (unsigned)min_words;
    ec->long_words = (unsigned)long_words;
    ec->min_share = (float)share;
    ec->score = (float)score;
    *inst = ec;
    return PF_OK;
}

static void
echo_destroy(void *inst)
{
    struct echo *ec = inst;
    if (!ec)
        return;
    for (size_t i = 0; i < MAX_ROUTES; i++) {
        struct route *r = &ec->routes[i];
        if (!r->ring)
            continue;
        for (size_t k = 0; k < ec->window; k++)
            entry_clear(&r->ring[k]);
        free(r->ring);
        free(r->table);
    }
    free(ec);
}

static const char *const echo_labels[] = {"echo.backstage", NULL};

static const struct pf_plugin echo_plugin = {
    PF_PLUGIN_INIT("echo", "1.0",
                   "holds a reply that repeats what the team said backstage"),
    echo_create,
    echo_destroy,
    echo_check,
    echo_observe,
    NULL,
    echo_labels,
    NULL,
};

PF_EXPORT const struct pf_plugin *
pf_plugin_entry_v1(void)
{
    return &echo_plugin;
}
