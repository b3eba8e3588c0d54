/*
 * history.c - see history.h. The file is a journal (journal.c does the
 * sealing, the appending and the rewriting); this module knows which
 * records are history records, what they hold, and when they are old.
 *
 * The writer keeps the sequence number and time of every record in
 * memory (16 bytes each: a busy team's 90 days are a few megabytes at
 * most), so that pruning picks the old records by number and the
 * rewrite never opens a record again.
 */
#include "core/history.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/config.h"
#include "base/log.h"
#include "base/util.h"
#include "pokerface/plugin.h"

#define PRUNE_EVERY_MS (3600 * 1000)

struct hidx {
    uint64_t seq;
    int64_t at;
};

struct pf_history {
    struct pf_journal *j;
    char *path;
    double days;
    struct hidx *idx; /* by sequence number, growing */
    size_t n, cap;
    size_t damaged; /* records that did not open or parse at open */
    int64_t next_prune_ms;
    pf_history_fn watch; /* told every record read at open and written */
    void *watch_ud;
    int warned; /* the damage was said when pruning was skipped */
    /* pruning: the numbers to drop, sorted */
    const uint64_t *drop;
    size_t n_drop;
};

/* ---- records ---- */

static int
is_str(json_t *o, const char *k)
{
    return json_is_string(json_object_get(o, k));
}

static int
is_int(json_t *o, const char *k)
{
    return json_is_integer(json_object_get(o, k));
}

static int
is_one_of(json_t *o, const char *k, const char *const *v)
{
    const char *s = json_string_value(json_object_get(o, k));
    for (; s && *v; v++)
        if (!strcmp(s, *v))
            return 1;
    return 0;
}

static int
labels_ok(json_t *a)
{
    size_t i;
    json_t *v;
    if (!json_is_array(a))
        return 0;
    json_array_foreach (a, i, v)
        if (!json_is_string(v))
            return 0;
    return 1;
}

json_t *
pf_history_parse(int type, const void *payload, size_t len, char *why,
                 size_t cap)
{
    static const char *const actions[] = {"hold", "block", NULL};
    static const char *const kinds[] = {"send", "edit", "drop", "expire", NULL};
    static const char *const vias[] = {"chat", "terminal", "web", "timer",
                                       NULL};
    static const char *const outcomes[] = {"sent", "held", "dropped", "expired",
                                           NULL};
    static const char *const held_str[] = {"route", "author", "name", "words",
                                           "why",   "text",   NULL};
    static const char *const dec_str[] = {"route", "by", "name", NULL};
    json_error_t je;
    const char *bad = NULL;
    if (type != PF_HREC_HELD && type != PF_HREC_DECISION) {
        pf_snprintf(why, cap, "type %d is not a history record", type);
        return NULL;
    }
    json_t *o = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(o)) {
        pf_snprintf(why, cap, "not a JSON object: %s",
                    o ? "another JSON value" : je.text);
        json_decref(o);
        return NULL;
    }
    const char *const *strs = type == PF_HREC_HELD ? held_str : dec_str;
    for (size_t i = 0; strs[i] && !bad; i++)
        if (!is_str(o, strs[i]))
            bad = strs[i];
    if (!bad && (!is_int(o, "hold") ||
                 json_integer_value(json_object_get(o, "hold")) <= 0 ||
                 json_integer_value(json_object_get(o, "hold")) > 0xFFFFFFFF))
        bad = "hold";
    if (!bad &&
        (!is_int(o, "at") || json_integer_value(json_object_get(o, "at")) < 0))
        bad = "at";
    if (!bad && type == PF_HREC_HELD) {
        if (!is_one_of(o, "action", actions))
            bad = "action";
        else if (!labels_ok(json_object_get(o, "labels")))
            bad = "labels";
    }
    if (!bad && type == PF_HREC_DECISION) {
        json_t *v = json_object_get(o, "verdict");
        if (!is_one_of(o, "kind", kinds))
            bad = "kind";
        else if (!is_one_of(o, "via", vias))
            bad = "via";
        else if (!is_one_of(o, "outcome", outcomes))
            bad = "outcome";
        else if (json_object_get(o, "text") && !is_str(o, "text"))
            bad = "text";
        else if (v && (!json_is_object(v) || !is_str(v, "action") ||
                       !labels_ok(json_object_get(v, "labels"))))
            bad = "verdict";
    }
    if (bad) {
        pf_snprintf(why, cap, "\"%s\" is missing or not what it should be",
                    bad);
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- reading ---- */

struct read_ctx {
    const char *name;
    pf_history_fn fn;
    void *ud;
    struct pf_history_report *rep;
};

/* a record of history name that opened: its JSON, or NULL with a
   warning and why (a record that is no history record is skipped) */
static json_t *
record_json(const char *name, int type, uint64_t seq, const void *payload,
            size_t len, char *why, size_t cap)
{
    json_t *o = pf_history_parse(type, payload, len, why, cap);
    if (!o)
        pf_warn("history %s: record %llu opens but is no history record "
                "(%s); skipped",
                name, (unsigned long long)seq, why);
    return o;
}

static int
read_one(void *ud, int type, uint64_t seq, const void *payload, size_t len)
{
    struct read_ctx *c = ud;
    char why[128];
    json_t *o = record_json(c->name, type, seq, payload, len, why, sizeof(why));
    if (!o) {
        if (!c->rep->first_bad_seq) {
            c->rep->first_bad_seq = seq;
            pf_snprintf(c->rep->first_bad_why, sizeof(c->rep->first_bad_why),
                        "%s", why);
        }
        c->rep->bad_records++;
        return 0;
    }
    c->rep->records++;
    int rc = c->fn ? c->fn(c->ud, type, seq, o) : 0;
    json_decref(o);
    return rc;
}

int
pf_history_read_buf(const char *name, const void *data, size_t size,
                    const unsigned char key[PF_KEY_BYTES], pf_history_fn fn,
                    void *ud, struct pf_history_report *rep, char *err,
                    size_t errlen)
{
    struct pf_history_report local;
    struct pf_journal_report jr;
    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof(*rep));
    struct read_ctx c = {name, fn, ud, rep};
    int rc = pf_journal_replay_buf(name, data, size, key, read_one, &c, &jr,
                                   err, errlen);
    rep->bad_records += jr.bad_records;
    rep->skipped_bytes = jr.skipped_bytes;
    rep->first_bad_offset = jr.first_bad_offset;
    rep->torn_tail = jr.torn_tail;
    if (rc == PF_OK && jr.records == 0 && jr.bad_records > 0) {
        pf_snprintf(err, errlen,
                    "history %s: not one of its %zu records opens with this "
                    "key; is it the right key file?",
                    name, jr.bad_records);
        return PF_EINVAL;
    }
    return rc;
}

int
pf_history_read(const char *path, const unsigned char key[PF_KEY_BYTES],
                pf_history_fn fn, void *ud, struct pf_history_report *rep,
                char *err, size_t errlen)
{
    struct pf_buf b = PF_BUF_INIT;
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT) {
        if (rep)
            memset(rep, 0, sizeof(*rep));
        return PF_OK;
    }
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        pf_snprintf(err, errlen, "history %s: %s", path,
                    fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return PF_EINVAL;
    }
    char chunk[65536];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            pf_snprintf(err, errlen, "history %s: cannot read: %s", path,
                        strerror(errno));
            close(fd);
            pf_buf_release(&b);
            return PF_EINVAL;
        }
        pf_buf_add(&b, chunk, (size_t)n);
    }
    close(fd);
    int rc = PF_OK;
    if (b.len) /* an empty file: created, nothing written yet */
        rc = pf_history_read_buf(path, b.data, b.len, key, fn, ud, rep, err,
                                 errlen);
    else if (rep)
        memset(rep, 0, sizeof(*rep));
    pf_buf_release(&b);
    return rc;
}

/* ---- writing ---- */

static void
idx_add(struct pf_history *h, uint64_t seq, int64_t at)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 256;
        h->idx = pf_xrealloc(h->idx, h->cap * sizeof(*h->idx));
    }
    h->idx[h->n].seq = seq;
    h->idx[h->n].at = at;
    h->n++;
}

static int
open_one(void *ud, int type, uint64_t seq, const void *payload, size_t len)
{
    struct pf_history *h = ud;
    char why[128];
    json_t *o = record_json(h->path, type, seq, payload, len, why, sizeof(why));
    if (!o) {
        h->damaged++;
        return 0;
    }
    idx_add(h, seq, (int64_t)json_integer_value(json_object_get(o, "at")));
    if (h->watch)
        h->watch(h->watch_ud, type, seq, o);
    json_decref(o);
    return 0;
}

int
pf_history_open(struct pf_history **out, const char *path,
                const unsigned char key[PF_KEY_BYTES], double days, char *err,
                size_t errlen)
{
    return pf_history_open_watched(out, path, key, days, NULL, NULL, err,
                                   errlen);
}

int
pf_history_open_watched(struct pf_history **out, const char *path,
                        const unsigned char key[PF_KEY_BYTES], double days,
                        pf_history_fn watch, void *ud, char *err, size_t errlen)
{
    struct pf_journal_report rep;
    struct pf_history *h = pf_xcalloc(1, sizeof(*h));
    h->path = pf_xstrdup(path);
    h->days = days;
    h->watch = watch;
    h->watch_ud = ud;
    int rc = pf_journal_open(&h->j, path, key, open_one, h, &rep, err, errlen);
    if (rc != PF_OK) {
        free(h->path);
        free(h);
        return rc;
    }
    h->damaged += rep.bad_records + (rep.skipped_bytes ? 1 : 0);
    pf_info("history %s: %zu record(s), kept %g day(s)", path, h->n, days);
    if (h->damaged)
        pf_warn("history %s: %zu damaged or changed record(s), the first at "
                "byte %llu (see the lines above); it is not pruned until "
                "someone has looked at it: move the file away to start a "
                "new one",
                path, h->damaged, (unsigned long long)rep.first_bad_offset);
    h->warned = 1;
    pf_history_tick(h, pf_wall_us() / 1000);
    *out = h;
    return PF_OK;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int
keep_one(void *ud, int type, uint64_t seq, const void *payload, size_t len)
{
    struct pf_history *h = ud;
    (void)type, (void)payload, (void)len;
    return !bsearch(&seq, h->drop, h->n_drop, sizeof(*h->drop), cmp_u64);
}

int
pf_history_prune(struct pf_history *h, int64_t now_ms, char *err, size_t errlen)
{
    int64_t cutoff = now_ms - (int64_t)(h->days * 86400.0 * 1000.0);
    size_t n_old = 0;
    for (size_t i = 0; i < h->n; i++)
        n_old += h->idx[i].at < cutoff;
    if (!n_old)
        return PF_OK;
    if (h->damaged) {
        if (!h->warned)
            pf_warn("history %s: %zu record(s) are older than %g day(s) but "
                    "not pruned: the file has damaged or changed records",
                    h->path, n_old, h->days);
        h->warned = 1;
        return PF_OK;
    }
    uint64_t *drop = pf_xmalloc(n_old * sizeof(*drop));
    size_t k = 0;
    for (size_t i = 0; i < h->n; i++)
        if (h->idx[i].at < cutoff)
            drop[k++] = h->idx[i].seq;
    qsort(drop, k, sizeof(*drop), cmp_u64);
    h->drop = drop;
    h->n_drop = k;
    uint64_t before = pf_journal_size(h->j);
    int rc = pf_journal_compact(h->j, keep_one, h, err, errlen);
    h->drop = NULL;
    h->n_drop = 0;
    free(drop);
    if (rc != PF_OK)
        return rc;
    size_t w = 0;
    for (size_t i = 0; i < h->n; i++)
        if (h->idx[i].at >= cutoff)
            h->idx[w++] = h->idx[i];
    h->n = w;
    pf_info("history %s: pruned %zu record(s) older than %g day(s): %llu -> "
            "%llu bytes",
            h->path, n_old, h->days, (unsigned long long)before,
            (unsigned long long)pf_journal_size(h->j));
    return PF_OK;
}

void
pf_history_tick(struct pf_history *h, int64_t now_ms)
{
    char err[512];
    if (!h || now_ms < h->next_prune_ms)
        return;
    h->next_prune_ms = now_ms + PRUNE_EVERY_MS;
    if (pf_history_prune(h, now_ms, err, sizeof(err)) != PF_OK)
        pf_err("%s", err);
}

int
pf_history_append(struct pf_history *h, int type, json_t *o, char *err,
                  size_t errlen)
{
    uint64_t seq;
    if (!o) {
        pf_snprintf(err, errlen, "history %s: out of memory", h->path);
        return PF_ENOMEM;
    }
    int64_t at = (int64_t)json_integer_value(json_object_get(o, "at"));
    char *s = json_dumps(o, JSON_COMPACT);
    if (!s) {
        json_decref(o);
        pf_snprintf(err, errlen, "history %s: out of memory", h->path);
        return PF_ENOMEM;
    }
    int rc = pf_journal_append(h->j, type, s, strlen(s), 1, &seq, err, errlen);
    free(s);
    if (rc == PF_OK) {
        idx_add(h, seq, at);
        if (h->watch)
            h->watch(h->watch_ud, type, seq, o);
    }
    json_decref(o);
    return rc;
}

json_t *
pf_history_labels(const char *s)
{
    json_t *a = json_array();
    while (s && *s) {
        size_t n = strcspn(s, ",");
        if (n)
            json_array_append_new(a, json_stringn(s, n));
        s += n + (s[n] == ',');
    }
    return a;
}

static void
append_logged(struct pf_history *h, int type, json_t *o)
{
    char err[512];
    if (pf_history_append(h, type, o, err, sizeof(err)) != PF_OK)
        pf_err("%s", err);
}

void
pf_history_held(struct pf_history *h, const struct pf_hold *hold)
{
    if (!h)
        return;
    append_logged(
        h, PF_HREC_HELD,
        json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:I}", "hold",
                  (json_int_t)hold->id, "route", hold->route, "author",
                  hold->author_id, "name", hold->author_name, "action",
                  hold->action == PF_ACT_BLOCK ? "block" : "hold", "labels",
                  pf_history_labels(hold->labels), "words",
                  hold->words ? hold->words : "", "why",
                  hold->why ? hold->why : "", "text", hold->text, "at",
                  (json_int_t)(pf_wall_us() / 1000)));
}

void
pf_history_decided(struct pf_history *h, const struct pf_hold *hold,
                   const char *kind, const char *by, const char *name,
                   const char *via, const char *outcome, const char *text,
                   json_t *verdict)
{
    if (!h) {
        json_decref(verdict);
        return;
    }
    json_t *o =
        json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "hold",
                  (json_int_t)hold->id, "route", hold->route, "kind", kind,
                  "by", by ? by : "", "name", name ? name : "", "via", via,
                  "outcome", outcome, "at", (json_int_t)(pf_wall_us() / 1000));
    if (o && text)
        json_object_set_new(o, "text", json_string(text));
    if (o && verdict)
        json_object_set(o, "verdict", verdict);
    json_decref(verdict);
    append_logged(h, PF_HREC_DECISION, o);
}

uint64_t
pf_history_size(const struct pf_history *h)
{
    return h ? pf_journal_size(h->j) : 0;
}

void
pf_history_close(struct pf_history *h)
{
    if (!h)
        return;
    pf_journal_close(h->j);
    free(h->idx);
    free(h->path);
    free(h);
}
