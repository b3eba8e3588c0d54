/*
 * history.c - `pokerface queue history`: the holds the history keeps
 * (core/history.h) and what became of each, read straight from the
 * sealed file in the state directory with the journal's key, so it
 * works while the bot is stopped as well as while it writes. Records
 * are gathered per hold: its HELD record, then its decisions in order.
 * A record that does not open or is no history record is reported and
 * makes the exit status 1; a torn last record is one being written.
 */
#define _XOPEN_SOURCE 700 /* strptime */
#include <ctype.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/json.h"
#include "base/util.h"
#include "cli/cli.h"
#include "core/history.h"
#include "core/journal.h"

struct gather {
    json_t *holds; /* array of {hold, route, ..., decisions: []} */
};

/* the latest entry for this hold on this route, or NULL */
static json_t *
find_hold(json_t *holds, json_int_t id, const char *route)
{
    for (size_t i = json_array_size(holds); i-- > 0;) {
        json_t *h = json_array_get(holds, i);
        if (json_integer_value(json_object_get(h, "hold")) == id &&
            !strcmp(pf_json_str(h, "route"), route))
            return h;
    }
    return NULL;
}

static const char *
outcome_of(json_t *d)
{
    const char *kind = pf_json_str(d, "kind"), *out = pf_json_str(d, "outcome");
    if (!strcmp(out, "sent"))
        return strcmp(kind, "edit") ? "sent" : "edited";
    return out;
}

static int
gather_one(void *ud, int type, uint64_t seq, json_t *o)
{
    struct gather *g = ud;
    (void)seq;
    json_int_t id = json_integer_value(json_object_get(o, "hold"));
    const char *route = pf_json_str(o, "route");
    if (type == PF_HREC_HELD) {
        json_t *h = json_deep_copy(o);
        json_object_set_new(h, "held_at",
                            json_incref(json_object_get(o, "at")));
        json_object_del(h, "at");
        json_object_set_new(h, "decisions", json_array());
        json_object_set_new(h, "outcome", json_string("held"));
        json_array_append_new(g->holds, h);
        return 0;
    }
    json_t *h = find_hold(g->holds, id, route);
    if (!h || strcmp(pf_json_str(h, "outcome"), "held")) {
        /* held before the history began, or its record was pruned */
        h = json_pack("{s:I, s:s, s:s, s:s, s:s, s:[], s:s, s:s, s:s, s:I, "
                      "s:[], s:s}",
                      "hold", id, "route", route, "author", "", "name", "",
                      "action", "hold", "labels", "words", "", "why", "",
                      "text", "", "held_at", (json_int_t)0, "decisions",
                      "outcome", "held");
        json_array_append_new(g->holds, h);
    }
    json_array_append(json_object_get(h, "decisions"), o);
    json_object_set_new(h, "outcome", json_string(outcome_of(o)));
    return 0;
}

/* WHEN as milliseconds since the epoch; -1 when it is no time */
static int64_t
parse_since(const char *s)
{
    char *end;
    if (isdigit((unsigned char)s[0])) {
        long long n = strtoll(s, &end, 10);
        int64_t unit = !strcmp(end, "d")   ? 86400000
                       : !strcmp(end, "h") ? 3600000
                       : !strcmp(end, "m") ? 60000
                       : !strcmp(end, "s") ? 1000
                                           : 0;
        if (unit && n >= 0 && n < 100000000LL)
            return pf_wall_us() / 1000 - n * unit;
    }
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *fmts[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
                          "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"};
    for (size_t i = 0; i < PF_ARRAY_LEN(fmts); i++) {
        memset(&tm, 0, sizeof(tm));
        end = strptime(s, fmts[i], &tm);
        if (end && !*end) {
            tm.tm_isdst = -1;
            time_t t = mktime(&tm);
            return t == (time_t)-1 ? -1 : (int64_t)t * 1000;
        }
    }
    return -1;
}

/* does this hold pass the filters? */
static int
wanted(json_t *h, int64_t since, const char *author, const char *label)
{
    if (since >= 0) {
        int64_t last = json_integer_value(json_object_get(h, "held_at"));
        json_t *d;
        size_t i;
        json_array_foreach (json_object_get(h, "decisions"), i, d)
            if (json_integer_value(json_object_get(d, "at")) > last)
                last = json_integer_value(json_object_get(d, "at"));
        if (last < since)
            return 0;
    }
    if (author && strcasecmp(pf_json_str(h, "author"), author) &&
        strcasecmp(pf_json_str(h, "name"), author))
        return 0;
    if (label) {
        size_t n = strlen(label), i;
        json_t *l;
        int hit = 0;
        json_array_foreach (json_object_get(h, "labels"), i, l) {
            const char *s = json_string_value(l);
            if (!strcmp(s, label) || (!strncmp(s, label, n) && s[n] == '.'))
                hit = 1;
        }
        if (!hit)
            return 0;
    }
    return 1;
}

static void
when(char *buf, size_t cap, json_t *o, const char *k)
{
    json_int_t ms = json_integer_value(json_object_get(o, k));
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!ms) {
        snprintf(buf, cap, "%-16s", "(before)");
        return;
    }
    localtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%d %H:%M", &tm);
}

static void
print_labels(json_t *a)
{
    json_t *l;
    size_t i;
    json_array_foreach (a, i, l)
        printf("%s%s", i ? ", " : "", json_string_value(l));
}

static void
print_hold(json_t *h)
{
    char at[32];
    json_t *d;
    size_t i;
    when(at, sizeof(at), h, "held_at");
    printf("%s  #%lld on %s: %s", at,
           (long long)json_integer_value(json_object_get(h, "hold")),
           pf_json_str(h, "route"), pf_json_str(h, "outcome"));
    if (*pf_json_str(h, "author"))
        printf(", from %s (%s), %s by ", pf_json_str(h, "name"),
               pf_json_str(h, "author"),
               strcmp(pf_json_str(h, "action"), "block") ? "held" : "blocked");
    if (*pf_json_str(h, "author"))
        print_labels(json_object_get(h, "labels"));
    putchar('\n');
    if (*pf_json_str(h, "words"))
        printf("      words   %s\n", pf_json_str(h, "words"));
    json_array_foreach (json_object_get(h, "decisions"), i, d) {
        const char *via = pf_json_str(d, "via");
        when(at, sizeof(at), d, "at");
        if (!strcmp(via, "timer")) {
            printf("      %s  expired: nobody decided in time\n", at);
            continue;
        }
        printf("      %s  %s -> %s, by %s (%s) %s\n", at,
               pf_json_str(d, "kind"), pf_json_str(d, "outcome"),
               pf_json_str(d, "name"), pf_json_str(d, "by"),
               !strcmp(via, "terminal") ? "on the terminal"
               : !strcmp(via, "web")    ? "on the review page"
                                        : "in the chat");
        json_t *v = json_object_get(d, "verdict");
        if (v) {
            printf("              the edit's check: %s",
                   pf_json_str(v, "action"));
            if (json_array_size(json_object_get(v, "labels"))) {
                printf(" (");
                print_labels(json_object_get(v, "labels"));
                putchar(')');
            }
            putchar('\n');
        }
    }
}

int
pf_cli_queue_history(const char *config, int json, const char *since,
                     const char *author, const char *label)
{
    char err[1024];
    int64_t since_ms = -1;
    if (since && (since_ms = parse_since(since)) < 0)
        return pf_cli_usage_error("queue",
                                  "--since '%s' is not a time: give "
                                  "2026-12-01, 2026-12-01T09:30, or 7d, 12h, "
                                  "30m",
                                  since);
    char *key_path = NULL;
    char *dir = pf_cli_state_paths(config, &key_path);
    if (!dir)
        return PF_EXIT_ERROR;
    if (sodium_init() < 0) {
        fprintf(stderr, "pokerface queue: libsodium cannot start\n");
        free(dir);
        free(key_path);
        return PF_EXIT_ERROR;
    }
    unsigned char *key = sodium_malloc(PF_KEY_BYTES);
    if (!key)
        pf_die("out of memory");
    char *path = pf_path_join(dir, "history");
    struct pf_history_report rep;
    struct gather g = {json_array()};
    int rc = pf_key_load(key_path, key, err, sizeof(err));
    if (rc != PF_OK) {
        fprintf(stderr, "pokerface queue: the history's key: %s\n", err);
    } else {
        rc = pf_history_read(path, key, gather_one, &g, &rep, err, sizeof(err));
        if (rc != PF_OK)
            fprintf(stderr, "pokerface queue: %s\n", err);
    }
    sodium_free(key);
    int status = PF_EXIT_OK;
    if (rc != PF_OK) {
        status = PF_EXIT_ERROR;
        goto out;
    }
    json_t *shown = json_array(), *h;
    size_t i;
    json_array_foreach (g.holds, i, h)
        if (wanted(h, since_ms, author, label))
            json_array_append(shown, h);
    if (json) {
        json_dumpf(shown, stdout, JSON_INDENT(2));
        putchar('\n');
    } else if (!json_array_size(shown)) {
        printf("No holds in the history%s.\n",
               since || author || label ? " that match" : "");
    } else {
        json_array_foreach (shown, i, h)
            print_hold(h);
    }
    json_decref(shown);
    if (rep.bad_records || rep.skipped_bytes) {
        fprintf(stderr,
                "pokerface queue: history %s is damaged or was changed: %zu "
                "record(s) do not open or are no history records",
                path, rep.bad_records);
        if (rep.skipped_bytes || rep.first_bad_offset)
            fprintf(stderr, ", the first at byte %llu",
                    (unsigned long long)rep.first_bad_offset);
        if (rep.first_bad_seq)
            fprintf(stderr, "; record %llu: %s",
                    (unsigned long long)rep.first_bad_seq, rep.first_bad_why);
        if (rep.skipped_bytes)
            fprintf(stderr, "; %zu byte(s) are no record at all",
                    rep.skipped_bytes);
        fprintf(stderr, ". What they held is not shown above.\n");
        status = PF_EXIT_HELD;
    }
out:
    json_decref(g.holds);
    free(path);
    free(dir);
    free(key_path);
    return status;
}
