/*
 * journal_bench.c - replay speed of the sealed journal: N records of a
 * typical size written (one fsync at the end), then the journal opened and
 * replayed, timed against reading the same bytes from the file with a
 * checksum, the floor any replay has. Run by tests/bench/journal.sh.
 *
 *     journal_bench DIR [N]     (default 100000)
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/journal.h"
#include "core/util.h"

static size_t replayed;

static int
count(void *ud, int type, uint64_t seq, const void *p, size_t len)
{
    (void)ud;
    (void)type;
    (void)seq;
    (void)p;
    replayed += len > 0;
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc < 2 || sodium_init() < 0) {
        fprintf(stderr, "usage: journal_bench DIR [N]\n");
        return 2;
    }
    long n = argc > 2 ? atol(argv[2]) : 100000;
    char *path = pf_xasprintf("%s/journal", argv[1]), err[512];
    unsigned char key[PF_KEY_BYTES];
    randombytes_buf(key, sizeof(key));
    struct pf_journal *j;
    if (pf_journal_open(&j, path, key, NULL, NULL, NULL, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    /* a held message's record: its text, author, route and reasons */
    char payload[400];
    for (long i = 0; i < n; i++) {
        int len = snprintf(
            payload, sizeof(payload),
            "{\"id\":%ld,\"route\":\"asiakas-1\",\"author\":\"aino@example."
            "com\",\"text\":\"Hei! Tilauksesi %ld lähti tänään, "
            "seurantakoodi tulee sähköpostiin.\",\"reasons\":[\"backstage."
            "derogatory 0.79\"]}",
            i, i * 7);
        if (pf_journal_append(j, 1 + (int)(i % 6), payload, (size_t)len,
                              i == n - 1, NULL, err, sizeof(err))) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
    }
    uint64_t size = pf_journal_size(j);
    pf_journal_close(j);

    /* the floor: read the file and hash it */
    int64_t t0 = pf_now_ns();
    FILE *f = fopen(path, "rb");
    unsigned char *buf = pf_xmalloc(1 << 20), h[32];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof(h));
    size_t r;
    while ((r = fread(buf, 1, 1 << 20, f)) > 0)
        crypto_generichash_update(&st, buf, r);
    crypto_generichash_final(&st, h, sizeof(h));
    fclose(f);
    free(buf);
    int64_t t_read = pf_now_ns() - t0;

    struct pf_journal_report rep;
    t0 = pf_now_ns();
    if (pf_journal_open(&j, path, key, count, NULL, &rep, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int64_t t_replay = pf_now_ns() - t0;
    pf_journal_close(j);
    if (rep.records != (size_t)n || replayed != (size_t)n) {
        fprintf(stderr, "replayed %zu of %ld records\n", rep.records, n);
        return 1;
    }
    printf("journal: %ld records, %.1f MB\n", n, (double)size / 1e6);
    printf("replay        %.3f s  (%.0f records/s)\n", (double)t_replay / 1e9,
           (double)n / ((double)t_replay / 1e9));
    printf("read + hash   %.3f s  (the floor)\n", (double)t_read / 1e9);
    printf("ratio         %.1f x the floor\n",
           (double)t_replay / (double)t_read);
    free(path);
    return 0;
}
