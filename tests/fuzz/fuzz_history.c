/*
 * fuzz_history.c - libFuzzer target for reading a history (core/
 * history.c): any bytes as a history file under a fixed key, so that the
 * seed corpus (real histories sealed with that key) reaches the record
 * parser, and mutations of it the damaged and resynchronising paths.
 * Every record parsed is read in full; the parser is also given the
 * input itself as a payload of both history types.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t sink;

static int
touch(void *ud, int type, uint64_t seq, json_t *o)
{
    (void)ud;
    char *s = json_dumps(o, JSON_COMPACT);
    sink += (size_t)type + (size_t)seq + (s ? strlen(s) : 0);
    free(s);
    return 0;
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
    pf_history_read_buf("fuzz", data, size, key, touch, NULL, NULL, err,
                        sizeof(err));
    for (int type = PF_HREC_HELD; type <= PF_HREC_DECISION; type++) {
        json_t *o = pf_history_parse(type, data, size, err, sizeof(err));
        if (o)
            touch(NULL, type, 0, o);
        json_decref(o);
    }
    return 0;
}
