/*
 * journal_bench.c - replay speed of the sealed journal: N records of a
 * typical size written (one fsync at the end), then the journal opened and
 * replayed, timed against reading the same bytes from the file with a
 * checksum, the floor any replay has. Then what pokerface does on start:
 * a journal of N records as the relay writes them (messages received,
 * checked, relayed and confirmed; holds with their notices, decided and
 * sent; a few still held) replayed into a relay's state and compacted,
 * timed against the journal-only replay of the same file. The holds left
 * after it are counted, so a record format this bench no longer matches
 * fails it. Run by tests/bench/journal.sh.
 *
 *     journal_bench DIR [N]     (default 100000)
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/config.h"
#include "base/log.h"
#include "base/util.h"
#include "core/journal.h"
#include "core/relay.h"

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

/* one record of the relay's, from a json_pack()ed object */
static void
put(struct pf_journal *j, int type, json_t *o, long *left)
{
    char err[512], *text = json_dumps(o, JSON_COMPACT);
    if (!text || pf_journal_append(j, type, text, strlen(text), *left == 1,
                                   NULL, err, sizeof(err))) {
        fprintf(stderr, "%s\n", text ? err : "json_dumps failed");
        exit(1);
    }
    free(text);
    json_decref(o);
    (*left)--;
}

#define CROOM "asiakas-1@conference.localhost"
#define IROOM "tiimi-1@conference.localhost"

static json_t *
post(const char *text, const char *key)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "room", CROOM, "thread", "",
                     "in", "", "text", text, "key", key);
}

/*
 * n records in the relay's own formats (see relay.c): two of three
 * replies pass (RECEIVED, VERDICT with the post, SENT), one is held
 * (RECEIVED, HELD, the notice's SENT), and of those all but one in twenty
 * are sent by a supervisor (DECISION with the post, SENT); a CURSOR every
 * ten messages. Returns how many holds are left open.
 */
static unsigned
write_relay_journal(const char *path, const unsigned char *key, long n)
{
    char err[512], id[64], k[64], text[256];
    struct pf_journal *j;
    if (pf_journal_open(&j, path, key, NULL, NULL, NULL, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    long left = n, msg = 0;
    unsigned hold = 0, open = 0;
    int64_t now = pf_wall_us() / 1000;
    while (left > 0) {
        msg++;
        snprintf(id, sizeof(id), "msg-%ld", msg);
        int held = msg % 3 == 0;
        snprintf(text, sizeof(text),
                 held ? "lol taas tää tyyppi, PEBKAC %ld"
                      : "Hei! Tilauksesi %ld lähti tänään, seurantakoodi "
                        "tulee sähköpostiin.",
                 msg);
        put(j, PF_JREC_RECEIVED,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
                      "route", "asiakas-1", "id", id, "msg", id, "alt", "",
                      "author", "aino@localhost", "name", "aino", "text", text,
                      "thread", "", "ts", (json_int_t)now, "tries",
                      (json_int_t)0),
            &left);
        if (left > 0 && !held) {
            char line[300];
            snprintf(line, sizeof(line), "aino: %s", text);
            snprintf(k, sizeof(k), "pf-r-%ld", msg);
            put(j, PF_JREC_VERDICT,
                json_pack("{s:s, s:s, s:o}", "id", id, "action", "pass", "post",
                          post(line, k)),
                &left);
            if (left > 0)
                put(j, PF_JREC_SENT,
                    json_pack("{s:s, s:s, s:s}", "key", k, "room", CROOM, "msg",
                              id),
                    &left);
        } else if (left > 0) {
            hold++;
            put(j, PF_JREC_HELD,
                json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, "
                          "s:I, s:s, s:s, s:s, s:s, s:s, s:s}",
                          "hold", (json_int_t)hold, "action", "hold", "route",
                          "asiakas-1", "author", "aino@localhost", "name",
                          "aino", "lang", "fi", "why",
                          "backstage.slang: sisäpiirin slangia", "words",
                          "PEBKAC", "edits", (json_int_t)0, "created",
                          (json_int_t)now, "expires",
                          (json_int_t)(now + 1800000), "text", text, "details",
                          "backstage.slang 0.91 [22,28] PEBKAC", "src", id,
                          "src_alt", "", "thread", "", "msg", id),
                &left);
            snprintf(k, sizeof(k), "pf-n%u-0", hold);
            if (left > 0)
                put(j, PF_JREC_SENT,
                    json_pack("{s:s, s:s, s:s}", "key", k, "room", IROOM, "msg",
                              k),
                    &left);
            if (hold % 20 == 0) {
                open++;
                continue;
            }
            snprintf(k, sizeof(k), "pf-h%u-s", hold);
            if (left > 0)
                put(j, PF_JREC_DECISION,
                    json_pack("{s:I, s:s, s:s, s:s, s:I, s:o}", "hold",
                              (json_int_t)hold, "kind", "send", "by",
                              "sanna@localhost", "name", "sanna", "at",
                              (json_int_t)now, "post", post(text, k)),
                    &left);
            else
                open++;
            if (left > 0)
                put(j, PF_JREC_SENT,
                    json_pack("{s:s, s:s, s:s}", "key", k, "room", CROOM, "msg",
                              k),
                    &left);
        } else if (held) {
            /* the last record was a RECEIVED: checked again on start */
        }
        if (left > 0 && msg % 10 == 0)
            put(j, PF_JREC_CURSOR,
                json_pack("{s:s, s:s}", "room", IROOM, "msg", id), &left);
    }
    pf_journal_close(j);
    return open;
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

    /* the relay's start: the same number of its own records */
    char *rpath = pf_xasprintf("%s/relay-journal", argv[1]);
    unsigned open = write_relay_journal(rpath, key, n);
    t0 = pf_now_ns();
    replayed = 0;
    if (pf_journal_open(&j, rpath, key, count, NULL, &rep, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    pf_journal_close(j);
    int64_t t_plain = pf_now_ns() - t0;
    struct pf_config cfg;
    /* the build tree's plugins: build/tests/bench_journal, build/plugins */
    char *exe = pf_exe_dir();
    struct pf_paths paths = {pf_path_join(exe, "../plugins"),
                             pf_path_join(exe, "../share/pokerface")};
    free(exe);
    if (pf_config_load_string(
            &cfg,
            "{\"plugins\": [\"backstage\"], \"connector\": {\"type\": "
            "\"xmpp\", "
            "\"url\": \"ws://127.0.0.1:5280/ws\", \"jid\": \"bot@localhost\", "
            "\"password_env\": \"PW\"}, \"routes\": [{\"name\": "
            "\"asiakas-1\", \"customer_room\": \"" CROOM
            "\", \"internal_room\": \"" IROOM "\"}]}",
            "bench.json", ".", &paths, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    pf_paths_release(&paths);
    pf_log_set_level(PF_LOG_WARN);
    struct pf_relay *relay = pf_relay_new(&cfg, NULL, NULL);
    t0 = pf_now_ns();
    if (pf_relay_open_journal(relay, rpath, key, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int64_t t_relay = pf_now_ns() - t0;
    json_t *req = json_pack("{s:s}", "cmd", "list");
    json_t *ans = pf_relay_control(relay, req, "bench");
    size_t holds = json_array_size(json_object_get(ans, "holds"));
    struct stat sb;
    uint64_t compacted = stat(rpath, &sb) == 0 ? (uint64_t)sb.st_size : 0;
    json_decref(req);
    json_decref(ans);
    pf_relay_free(relay);
    pf_config_release(&cfg);
    if (rep.records != (size_t)n || holds != open) {
        fprintf(stderr,
                "relay replay: %zu records, %zu holds (expected %ld, "
                "%u)\n",
                rep.records, holds, n, open);
        return 1;
    }
    printf("relay start   %.3f s  (%ld of the relay's records replayed into "
           "its state, %zu holds left open, compacted to %.1f kB)\n",
           (double)t_relay / 1e9, n, holds, (double)compacted / 1e3);
    printf("              %.1f x the journal-only replay of that file "
           "(%.3f s)\n",
           (double)t_relay / (double)t_plain, (double)t_plain / 1e9);
    free(rpath);
    free(path);
    return 0;
}
