/*
 * fuzz_journal.c - libFuzzer target for journal replay: any bytes as a
 * journal file, under a fixed key, so that the seed corpus (real journals
 * sealed with that key) reaches the authenticated path and mutations of
 * it the torn, damaged and resynchronising ones. Every record handed out
 * is read in full.
 *
 *   make fuzz                       clang + libFuzzer
 *   build/tests/fuzz_journal FILES  replays inputs (make check does)
 */
#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "base/log.h"
#include "core/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t sink;

static int
touch(void *ud, int type, uint64_t seq, const void *p, size_t len)
{
    const unsigned char *b = p;
    (void)ud;
    sink += (size_t)type + (size_t)seq;
    for (size_t i = 0; i < len; i++)
        sink += b[i];
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
    pf_journal_replay_buf("fuzz", data, size, key, touch, NULL, NULL, err,
                          sizeof(err));
    return 0;
}
