/*
 * fuzz_jsonl.c - libFuzzer target for the JSON lines of check --jsonl:
 * the in-place reader (src/cli/jsonl.h) and the direct writer
 * (src/core/jsonw.h) against Jansson, byte for byte. Aborts when
 *
 *  - jl_read accepts a line Jansson refuses (with JSON_REJECT_DUPLICATES,
 *    as check reads it), or that is not an object;
 *  - a value it read differs from Jansson's (absent, null, true, false,
 *    or a string with the same bytes);
 *  - the writer prints any value Jansson read other than json_dumps()
 *    prints it (JSON_COMPACT | JSON_REAL_PRECISION(6)), reals and
 *    integers included.
 *
 * jl_read may refuse what Jansson accepts (numbers, nesting): the caller
 * then reads the line with Jansson.
 *
 *   make fuzz                     clang + libFuzzer
 *   build/tests/fuzz_jsonl FILES  replays inputs (make check does)
 */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/jsonl.h"
#include "core/jsonw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
same_dump(const json_t *v)
{
    char *want =
        json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
    if (!want)
        return; /* Jansson cannot print it (a NUL in a key): not ours */
    struct jw w;
    jw_init(&w);
    jw_value(&w, v);
    if (w.len != strlen(want) || memcmp(w.buf, want, w.len) != 0)
        abort();
    jw_free(&w);
    free(want);
}

/* the reals and integers the writer prints without printf, all of them
   once: scores in thousandths (and their neighbours), integer limits */
static void
same_numbers(void)
{
    static const long long ints[] = {0,
                                     1,
                                     -1,
                                     9,
                                     10,
                                     -10,
                                     1234567890123LL,
                                     9223372036854775807LL,
                                     -9223372036854775807LL - 1};
    for (int i = -1; i <= 1001; i++) {
        double v = i / 1000.0;
        double near[] = {v, nextafter(v, 2), nextafter(v, -2), -v};
        for (size_t k = 0; k < sizeof(near) / sizeof(near[0]); k++) {
            json_t *r = json_real(near[k]);
            same_dump(r);
            json_decref(r);
        }
        json_t *r = json_real((float)v);
        same_dump(r);
        json_decref(r);
    }
    for (size_t k = 0; k < sizeof(ints) / sizeof(ints[0]); k++) {
        json_t *n = json_integer(ints[k]);
        same_dump(n);
        json_decref(n);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int numbers_done;
    if (!numbers_done++)
        same_numbers();
    static const char *const keys[4] = {"id", "text", "customer", "\xc3\xa4"};
    struct jl_value vals[4];
    struct jl_line jl = {NULL, 0};
    const char *line = (const char *)data;
    json_error_t je;
    json_t *o = json_loadb(line, size, JSON_REJECT_DUPLICATES, &je);
    int fast = jl_read(&jl, line, size, keys, vals, 4);
    if (fast && (!o || !json_is_object(o)))
        abort();
    if (fast) {
        for (int k = 0; k < 4; k++) {
            json_t *v = json_object_get(o, keys[k]);
            switch (vals[k].type) {
            case JL_ABSENT:
                if (v)
                    abort();
                break;
            case JL_NULL:
                if (!json_is_null(v))
                    abort();
                break;
            case JL_TRUE:
                if (!json_is_true(v))
                    abort();
                break;
            case JL_FALSE:
                if (!json_is_false(v))
                    abort();
                break;
            case JL_STRING:
                if (!json_is_string(v) ||
                    json_string_length(v) != vals[k].len ||
                    memcmp(json_string_value(v), vals[k].s, vals[k].len) != 0 ||
                    vals[k].s[vals[k].len] != '\0')
                    abort();
                break;
            }
            /* the writer prints what it read as Jansson would */
            if (v) {
                struct jw a;
                jw_init(&a);
                jl_write(&a, &vals[k]);
                char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
                                               JSON_REAL_PRECISION(6));
                if (!want || a.len != strlen(want) ||
                    memcmp(a.buf, want, a.len) != 0)
                    abort();
                free(want);
                jw_free(&a);
            }
        }
    }
    if (o) {
        same_dump(o);
        /* and each number and string read as any JSON value */
        const char *k;
        json_t *v;
        json_object_foreach (o, k, v) {
            same_dump(v);
        }
    }
    /* any JSON text at all: numbers and strings alone too */
    json_t *any = json_loadb(line, size, JSON_DECODE_ANY, &je);
    if (any) {
        same_dump(any);
        json_decref(any);
    }
    json_decref(o);
    jl_free(&jl);
    return 0;
}
