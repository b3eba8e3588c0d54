/*
 * ledger.c - see ledger.h. Items are kept in the order they were held;
 * a decision finds its item by hold number and route, the newest open
 * one (numbers are the journal's and are not reused while a hold with
 * one is open).
 */
#include "core/ledger.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/history.h"

struct pf_ledger {
    json_t **v; /* items, oldest first */
    size_t n, cap;
};

struct pf_ledger *
pf_ledger_new(void)
{
    return pf_xcalloc(1, sizeof(struct pf_ledger));
}

void
pf_ledger_free(struct pf_ledger *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        json_decref(l->v[i]);
    free(l->v);
    free(l);
}

size_t
pf_ledger_count(const struct pf_ledger *l)
{
    return l ? l->n : 0;
}

static const char *
str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static int64_t
num(json_t *o, const char *k)
{
    return (int64_t)json_integer_value(json_object_get(o, k));
}

static void
held(struct pf_ledger *l, json_t *o)
{
    json_t *labels = json_object_get(o, "labels");
    json_t *it = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:O, s:s, s:s, s:s, s:I, s:s, s:I, s:s, "
        "s:s, s:[]}",
        "hold", (json_int_t)num(o, "hold"), "route", str(o, "route"), "author",
        str(o, "author"), "name", str(o, "name"), "action", str(o, "action"),
        "labels", labels ? labels : json_array(), "words", str(o, "words"),
        "why", str(o, "why"), "text", str(o, "text"), "held_at",
        (json_int_t)num(o, "at"), "outcome", "open", "decided_at",
        (json_int_t)0, "decided_by", "", "via", "", "decisions");
    if (!it)
        return;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = pf_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = it;
}

static void
decision(struct pf_ledger *l, json_t *o)
{
    json_int_t id = (json_int_t)num(o, "hold");
    const char *route = str(o, "route");
    json_t *it = NULL;
    for (size_t i = l->n; i-- > 0 && !it;)
        if (json_integer_value(json_object_get(l->v[i], "hold")) == id &&
            !strcmp(str(l->v[i], "route"), route) &&
            !strcmp(str(l->v[i], "outcome"), "open"))
            it = l->v[i];
    if (!it)
        return; /* its hold was pruned (or the record is older) */
    json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "kind",
                          str(o, "kind"), "by", str(o, "by"), "name",
                          str(o, "name"), "via", str(o, "via"), "outcome",
                          str(o, "outcome"), "at", (json_int_t)num(o, "at"));
    if (!d)
        return;
    if (json_is_string(json_object_get(o, "text")))
        json_object_set(d, "text", json_object_get(o, "text"));
    json_t *ds = json_object_get(it, "decisions");
    int edited = 0;
    size_t i;
    json_t *prev;
    json_array_foreach (ds, i, prev)
        edited |= !strcmp(str(prev, "kind"), "edit");
    json_array_append_new(ds, d);
    const char *kind = str(o, "kind"), *out = str(o, "outcome");
    const char *res = NULL;
    if (!strcmp(out, "sent"))
        res = edited || !strcmp(kind, "edit") ? "edited" : "sent";
    else if (!strcmp(out, "dropped") || !strcmp(out, "expired"))
        res = out;
    if (!res)
        return; /* an edit still held: the hold goes on */
    json_object_set_new(it, "outcome", json_string(res));
    json_object_set_new(it, "decided_at", json_integer(num(o, "at")));
    json_object_set_new(it, "decided_by", json_string(str(o, "name")));
    json_object_set_new(it, "via", json_string(str(o, "via")));
}

int
pf_ledger_add(void *ud, int type, uint64_t seq, json_t *o)
{
    (void)seq;
    struct pf_ledger *l = ud;
    if (type == PF_HREC_HELD)
        held(l, o);
    else if (type == PF_HREC_DECISION)
        decision(l, o);
    return 0;
}

void
pf_ledger_prune(struct pf_ledger *l, int64_t before_ms)
{
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (num(l->v[i], "held_at") < before_ms)
            json_decref(l->v[i]);
        else
            l->v[k++] = l->v[i];
    }
    l->n = k;
}

/* does needle occur in hay, in any case (ASCII)? */
static int
has_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return 1;
    return !n;
}

static int
passes(json_t *it, const struct pf_ledger_filter *f)
{
    if (f->since_ms && num(it, "held_at") < f->since_ms)
        return 0;
    if (f->author && *f->author && !has_ci(str(it, "author"), f->author) &&
        !has_ci(str(it, "name"), f->author))
        return 0;
    if (f->outcome && *f->outcome && strcmp(str(it, "outcome"), f->outcome))
        return 0;
    if (f->label && *f->label) {
        size_t i;
        json_t *v;
        int found = 0;
        size_t n = strlen(f->label);
        json_array_foreach (json_object_get(it, "labels"), i, v) {
            const char *l = json_string_value(v) ? json_string_value(v) : "";
            /* a label, or every label of a plugin ("backstage") */
            found |= !strcmp(l, f->label) ||
                     (!strncmp(l, f->label, n) && l[n] == '.');
        }
        if (!found)
            return 0;
    }
    return 1;
}

json_t *
pf_ledger_items(const struct pf_ledger *l, const struct pf_ledger_filter *f)
{
    json_t *a = json_array();
    size_t max = f->max ? f->max : 1000;
    for (size_t i = l->n; i-- > 0 && json_array_size(a) < max;)
        if (passes(l->v[i], f))
            json_array_append(a, l->v[i]);
    return a;
}

static void
iso(char *buf, size_t cap, int64_t ms)
{
    if (!ms) {
        buf[0] = '\0';
        return;
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
csv_field(struct pf_buf *out, const char *s, int last)
{
    int formula = strchr("=+-@\t\r", s[0]) && s[0];
    if (formula || strpbrk(s, ",\"\r\n")) {
        pf_buf_addch(out, '"');
        if (formula)
            pf_buf_addch(out, '\'');
        for (; *s; s++) {
            if (*s == '"')
                pf_buf_addch(out, '"');
            pf_buf_addch(out, *s);
        }
        pf_buf_addch(out, '"');
    } else {
        pf_buf_addstr(out, s);
    }
    pf_buf_addstr(out, last ? "\r\n" : ",");
}

void
pf_ledger_csv(const struct pf_ledger *l, const struct pf_ledger_filter *f,
              struct pf_buf *out)
{
    pf_buf_addstr(out, "hold,held_at,route,author,labels,outcome,decided_by,"
                       "decided_at,text\r\n");
    json_t *a = pf_ledger_items(l, f);
    size_t i;
    json_t *it;
    json_array_foreach (a, i, it) {
        char n[24], at[32], dat[32];
        struct pf_buf labels = PF_BUF_INIT;
        size_t k;
        json_t *v;
        json_array_foreach (json_object_get(it, "labels"), k, v)
            pf_buf_addf(&labels, "%s%s", k ? " " : "",
                        json_string_value(v) ? json_string_value(v) : "");
        pf_snprintf(n, sizeof(n), "%lld", (long long)num(it, "hold"));
        iso(at, sizeof(at), num(it, "held_at"));
        iso(dat, sizeof(dat), num(it, "decided_at"));
        csv_field(out, n, 0);
        csv_field(out, at, 0);
        csv_field(out, str(it, "route"), 0);
        csv_field(out, str(it, "name")[0] ? str(it, "name") : str(it, "author"),
                  0);
        csv_field(out, labels.data ? labels.data : "", 0);
        csv_field(out, str(it, "outcome"), 0);
        csv_field(out, str(it, "decided_by"), 0);
        csv_field(out, dat, 0);
        csv_field(out, str(it, "text"), 1);
        pf_buf_release(&labels);
    }
    json_decref(a);
}

static const char *const kinds[] = {"held", "sent", "edited", "dropped",
                                    "expired"};

static json_t *
counts(void)
{
    json_t *o = json_object();
    for (size_t i = 0; i < PF_ARRAY_LEN(kinds); i++)
        json_object_set_new(o, kinds[i], json_integer(0));
    return o;
}

static void
bump(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (v)
        json_integer_set(v, json_integer_value(v) + 1);
}

json_t *
pf_ledger_stats(const struct pf_ledger *l, int64_t now_ms, int days)
{
    const int64_t day_ms = 86400000;
    if (days < 1)
        days = 1;
    if (days > 366)
        days = 366;
    int64_t last = now_ms / day_ms, first = last - days + 1;
    json_t *per_day = json_array(), *per_label = json_object();
    for (int64_t d = first; d <= last; d++) {
        char day[16];
        time_t t = (time_t)(d * 86400);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(day, sizeof(day), "%Y-%m-%d", &tm);
        json_t *c = counts();
        json_object_set_new(c, "day", json_string(day));
        json_array_append_new(per_day, c);
    }
    for (size_t i = 0; i < l->n; i++) {
        json_t *it = l->v[i];
        int64_t d = num(it, "held_at") / day_ms;
        if (d < first || d > last)
            continue;
        const char *out = str(it, "outcome");
        json_t *c = json_array_get(per_day, (size_t)(d - first));
        bump(c, "held");
        bump(c, out);
        size_t k;
        json_t *v;
        json_array_foreach (json_object_get(it, "labels"), k, v) {
            const char *name = json_string_value(v);
            if (!name)
                continue;
            json_t *lc = json_object_get(per_label, name);
            if (!lc) {
                lc = counts();
                json_object_set_new(per_label, name, lc);
            }
            bump(lc, "held");
            bump(lc, out);
        }
    }
    json_t *labels = json_array();
    const char *name;
    json_t *lc;
    json_object_foreach (per_label, name, lc) {
        json_object_set_new(lc, "label", json_string(name));
        json_array_append(labels, lc);
    }
    json_decref(per_label);
    return json_pack("{s:o, s:o}", "days", per_day, "labels", labels);
}
