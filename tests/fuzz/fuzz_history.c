/*
 * fuzz_history.c - libFuzzer target for reading a history (core/
 * history.c): any bytes as a history file under a fixed key, so that the
 * seed corpus (real histories sealed with that key) reaches the record
 * parser, and mutations of it the damaged and resynchronising paths.
 * Every record parsed is read in full; the parser is also given the
 * input itself as a payload of both history types. What parses goes
 * into the review page's view (ledger.h), whose items, statistics and
 * CSV are made; the CSV must read back as rows of nine fields, with no
 * field a spreadsheet would run as a formula.
 *
 *   make fuzz                       clang + libFuzzer
 *   build/tests/fuzz_history FILES  replays inputs (make check does)
 */
#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/history.h"
#include "core/ledger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t sink;

static int
touch(void *ud, int type, uint64_t seq, json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);
    sink += (size_t)type + (size_t)seq + (s ? strlen(s) : 0);
    free(s);
    if (ud)
        pf_ledger_add(ud, type, seq, o);
    return 0;
}

/* RFC 4180: every row has nine fields; none starts a formula */
static void
csv_check(const char *p, size_t n)
{
    const char *end = p + n;
    while (p < end) {
        int fields = 1;
        for (;;) {
            if (*p == '"') {
                p++;
                if (strchr("=+-@\t\r", *p) && *p)
                    abort(); /* a formula, quoted */
                for (;; p++) {
                    if (p >= end)
                        abort(); /* an open quote */
                    if (*p == '"' && p[1] == '"')
                        p++;
                    else if (*p == '"')
                        break;
                }
                p++;
            } else {
                if (strchr("=+-@\t", *p) && *p)
                    abort(); /* a formula */
                while (p < end && *p != ',' && *p != '\r')
                    if (*p++ == '"' || p[-1] == '\n')
                        abort(); /* should have been quoted */
            }
            if (p < end && *p == ',') {
                p++;
                fields++;
                continue;
            }
            break;
        }
        if (p + 1 >= end || p[0] != '\r' || p[1] != '\n' || fields != 9)
            abort();
        p += 2;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    unsigned char key[PF_KEY_BYTES];
    char err[256];
    if (!ready) {
        if (sodium_init() < 0)
            return 0;
        pf_log_set_level(PF_LOG_ERR); /* the warnings are expected */
        ready = 1;
    }
    for (int i = 0; i < PF_KEY_BYTES; i++)
        key[i] = (unsigned char)i; /* the seeds are sealed with this */
    struct pf_ledger *l = pf_ledger_new();
    pf_history_read_buf("fuzz", data, size, key, touch, l, NULL, err,
                        sizeof(err));
    for (int type = PF_HREC_HELD; type <= PF_HREC_DECISION; type++) {
        json_t *o = pf_history_parse(type, data, size, err, sizeof(err));
        if (o)
            touch(l, type, 0, o);
        json_decref(o);
    }
    struct pf_ledger_filter f;
    memset(&f, 0, sizeof(f));
    json_t *items = pf_ledger_items(l, &f);
    json_t *st = pf_ledger_stats(l, 1765000000000LL, 90);
    if (!items || !st)
        abort();
    sink += json_array_size(items);
    json_decref(items);
    json_decref(st);
    struct pf_buf csv = PF_BUF_INIT;
    pf_ledger_csv(l, &f, &csv);
    csv_check(csv.data, csv.len);
    pf_buf_release(&csv);
    pf_ledger_free(l);
    return 0;
}
