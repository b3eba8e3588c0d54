/*
 * check_journal.c - the sealed journal: records come back in order and
 * never appear in plaintext on disk; a torn tail, a flipped bit, garbage
 * and the wrong key are each reported, and nothing good is lost;
 * compaction keeps exactly the live records; key files are strict.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "base/log.h"
#include "base/util.h"
#include "core/jrec.h"
#include "core/journal.h"
#include "testutil.h"

struct seen {
    int n;
    int type[64];
    uint64_t seq[64];
    char text[64][64];
};

static int
collect(void *ud, int type, uint64_t seq, const void *p, size_t len)
{
    struct seen *s = ud;
    if (s->n < 64) {
        s->type[s->n] = type;
        s->seq[s->n] = seq;
        snprintf(s->text[s->n], sizeof(s->text[0]), "%.*s", (int)len,
                 (const char *)p);
    }
    s->n++;
    return 0;
}

static unsigned char key[PF_KEY_BYTES];
static char *dir, path[4096];

static void
setup(void)
{
    dir = tu_tmpdir();
    snprintf(path, sizeof(path), "%s/journal", dir);
    for (int i = 0; i < PF_KEY_BYTES; i++)
        key[i] = (unsigned char)(i * 7 + 1);
}

static void
teardown(void)
{
    tu_rmrf(dir);
    free(dir);
}

/* a journal with n records "message number i" */
static void
write_n(int n)
{
    struct pf_journal *j;
    char err[256], text[64];
    ck_assert_int_eq(
        pf_journal_open(&j, path, key, NULL, NULL, NULL, err, sizeof(err)),
        PF_OK);
    for (int i = 0; i < n; i++) {
        snprintf(text, sizeof(text), "message number %d", i);
        ck_assert_int_eq(pf_journal_append(j, 1 + i % 7, text, strlen(text),
                                           i == n - 1, NULL, err, sizeof(err)),
                         PF_OK);
    }
    pf_journal_close(j);
}

static int
reopen(struct seen *s, struct pf_journal_report *rep, char *err, size_t n)
{
    struct pf_journal *j = NULL;
    memset(s, 0, sizeof(*s));
    int rc = pf_journal_open(&j, path, key, collect, s, rep, err, n);
    pf_journal_close(j);
    return rc;
}

static char *
slurp(size_t *n)
{
    return tu_read(path, n);
}

static void
spit(const char *d, size_t n)
{
    tu_write(path, d, n);
}

START_TEST(records_come_back_in_order_and_sealed)
{
    struct seen s;
    struct pf_journal_report rep;
    char err[256];
    write_n(10);
    ck_assert_int_eq(reopen(&s, &rep, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(s.n, 10);
    for (int i = 0; i < 10; i++) {
        char want[64];
        snprintf(want, sizeof(want), "message number %d", i);
        ck_assert_str_eq(s.text[i], want);
        ck_assert_int_eq(s.type[i], 1 + i % 7);
        ck_assert_uint_eq(s.seq[i], (uint64_t)i + 1);
    }
    ck_assert_uint_eq(rep.bad_records, 0);
    ck_assert(!rep.torn_tail);
    /* no plaintext on disk */
    size_t n;
    char *d = slurp(&n);
    ck_assert(!tu_has_bytes(d, n, "message"));
    ck_assert(!tu_has_bytes(d, n, "number"));
    free(d);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    /* appending after a reopen goes on with the numbers */
    struct pf_journal *j;
    uint64_t seq;
    ck_assert_int_eq(
        pf_journal_open(&j, path, key, NULL, NULL, NULL, err, sizeof(err)),
        PF_OK);
    ck_assert_int_eq(
        pf_journal_append(j, 2, "later", 5, 1, &seq, err, sizeof(err)), PF_OK);
    ck_assert_uint_eq(seq, 11);
    pf_journal_close(j);
    ck_assert_int_eq(reopen(&s, &rep, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(s.n, 11);
    ck_assert_str_eq(s.text[10], "later");
}
END_TEST

START_TEST(a_torn_tail_is_ignored_and_cut)
{
    struct seen s;
    struct pf_journal_report rep;
    char err[256];
    write_n(5);
    size_t n;
    char *d = slurp(&n);
    for (size_t cut = 1; cut < 40; cut += 7) {
        spit(d, n - cut); /* the last record cut short */
        ck_assert_int_eq(reopen(&s, &rep, err, sizeof(err)), PF_OK);
        ck_assert_int_eq(s.n, 4);
        ck_assert(rep.torn_tail);
        ck_assert_uint_eq(rep.bad_records, 0);
    }
    /* the torn bytes were cut: an append follows whole records */
    struct pf_journal *j;
    ck_assert_int_eq(
        pf_journal_open(&j, path, key, NULL, NULL, NULL, err, sizeof(err)),
        PF_OK);
    ck_assert_int_eq(pf_journal_append(j, 1, "after the crash", 15, 1, NULL,
                                       err, sizeof(err)),
                     PF_OK);
    pf_journal_close(j);
    ck_assert_int_eq(reopen(&s, &rep, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(s.n, 5);
    ck_assert_str_eq(s.text[4], "after the crash");
    ck_assert(!rep.torn_tail);
    free(d);
}
END_TEST

START_TEST(a_flipped_bit_is_reported_and_skipped)
{
    struct seen s;
    struct pf_journal_report rep;
    char err[256];
    write_n(9);
    size_t n;
    char *d = slurp(&n);
    /* the records are the same size: flip a bit inside the fifth */
    size_t rec = (n - 16) / 9, off = 16 + 4 * rec + rec / 2;
    d[off] ^= 0x04;
    spit(d, n);
    ck_assert_int_eq(reopen(&s, &rep, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(s.n, 8);
    ck_assert_uint_eq(rep.bad_records, 1);
    ck_assert_uint_eq(rep.first_bad_offset, 16 + 4 * rec);
    ck_assert_str_eq(s.text[3], "message number 3");
    ck_assert_str_eq(s.text[4], "message number 5");
    /* a flipped length: the record is skipped, the next one found */
    d[off] ^= 0x04;
    d[16 + 2 * rec + 5] ^= 0x40;
    spit(d, n);
    ck_assert_int_eq(reopen(&s, &rep, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(s.n, 8);
    ck_assert_uint_eq(rep.bad_records, 1);
    /* garbage between records */
    d[16 + 2 * rec + 5] ^= 0x40;
    char *g = malloc(n + 100);
    memcpy(g, d, 16 + 3 * rec);
    memset(g + 16 + 3 * rec, 'x', 100);
    memcpy(g + 16 + 3 * rec + 100, d + 16 + 3 * rec, n - 16 - 3 * rec);
    spit(g, n + 100);
    ck_assert_int_eq(reopen(&s, &rep, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(s.n, 9);
    ck_assert_uint_eq(rep.skipped_bytes, 100);
    free(g);
    free(d);
}
END_TEST

START_TEST(wrong_key_and_not_a_journal)
{
    struct seen s;
    char err[256];
    write_n(3);
    key[0] ^= 1;
    ck_assert_int_ne(reopen(&s, NULL, err, sizeof(err)), PF_OK);
    ck_assert_msg(strstr(err, "right key"), "%s", err);
    ck_assert_int_eq(s.n, 0);
    key[0] ^= 1;
    spit("hello, this is not a journal at all", 35);
    ck_assert_int_ne(reopen(&s, NULL, err, sizeof(err)), PF_OK);
    ck_assert_msg(strstr(err, "not a pokerface journal"), "%s", err);
}
END_TEST

static int
keep_odd(void *ud, int type, uint64_t seq, const void *p, size_t len)
{
    (void)ud;
    (void)type;
    (void)p;
    (void)len;
    return seq % 2 == 1;
}

START_TEST(compaction_keeps_the_live_records)
{
    struct seen s;
    struct pf_journal_report rep;
    struct pf_journal *j;
    char err[256];
    write_n(20);
    ck_assert_int_eq(
        pf_journal_open(&j, path, key, NULL, NULL, NULL, err, sizeof(err)),
        PF_OK);
    uint64_t before = pf_journal_size(j);
    ck_assert_int_eq(pf_journal_compact(j, keep_odd, NULL, err, sizeof(err)),
                     PF_OK);
    ck_assert_uint_lt(pf_journal_size(j), before);
    /* appending goes on in the new file, with new numbers */
    uint64_t seq;
    ck_assert_int_eq(
        pf_journal_append(j, 3, "new", 3, 1, &seq, err, sizeof(err)), PF_OK);
    ck_assert_uint_eq(seq, 21);
    pf_journal_close(j);
    ck_assert_int_eq(reopen(&s, &rep, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(s.n, 11);
    for (int i = 0; i < 10; i++) {
        ck_assert_uint_eq(s.seq[i], (uint64_t)(2 * i + 1));
        char want[64];
        snprintf(want, sizeof(want), "message number %d", 2 * i);
        ck_assert_str_eq(s.text[i], want);
    }
    ck_assert_str_eq(s.text[10], "new");
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.compact", path);
    ck_assert_int_ne(access(tmp, F_OK), 0);
}
END_TEST

/*
 * A local user who could put a symbolic link in the state directory
 * must not choose what the bot overwrites: a link planted at
 * journal.compact is replaced, not written through, and a journal that
 * is a link is refused.
 */
START_TEST(symbolic_links_are_never_followed)
{
    struct pf_journal *j;
    char err[512], tmp[4200], victim[4200];
    struct stat st;
    write_n(6);
    snprintf(tmp, sizeof(tmp), "%s.compact", path);
    snprintf(victim, sizeof(victim), "%s/victim", dir);
    tu_write(victim, "precious\n", 9);
    ck_assert_int_eq(symlink(victim, tmp), 0);
    ck_assert_int_eq(
        pf_journal_open(&j, path, key, NULL, NULL, NULL, err, sizeof(err)),
        PF_OK);
    ck_assert_int_eq(pf_journal_compact(j, keep_odd, NULL, err, sizeof(err)),
                     PF_OK);
    pf_journal_close(j);
    size_t n;
    char *v = tu_read(victim, &n);
    ck_assert_msg(n == 9 && memcmp(v, "precious\n", 9) == 0,
                  "the file the link pointed at was overwritten");
    free(v);
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert_msg(S_ISREG(st.st_mode), "the journal became a link");
    struct seen s;
    struct pf_journal_report rep;
    ck_assert_int_eq(reopen(&s, &rep, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(s.n, 3);

    /* the journal itself a link: refused, naming it */
    unlink(path);
    ck_assert_int_eq(symlink(victim, path), 0);
    ck_assert_int_ne(
        pf_journal_open(&j, path, key, NULL, NULL, NULL, err, sizeof(err)),
        PF_OK);
    ck_assert_msg(strstr(err, "symbolic link") && strstr(err, path), "%s", err);
    v = tu_read(victim, &n);
    ck_assert_msg(n == 9 && memcmp(v, "precious\n", 9) == 0,
                  "the file the link pointed at was written");
    free(v);
}
END_TEST

START_TEST(key_files_are_strict)
{
    char kp[4200], err[512];
    unsigned char k[PF_KEY_BYTES], k2[PF_KEY_BYTES];
    snprintf(kp, sizeof(kp), "%s/key", dir);
    ck_assert_int_ne(pf_key_load(kp, k, err, sizeof(err)), PF_OK);
    ck_assert_msg(strstr(err, "pokerface keygen"), "%s", err);
    ck_assert_int_eq(pf_key_create(kp, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(pf_key_load(kp, k, err, sizeof(err)), PF_OK);
    /* never overwritten */
    ck_assert_int_ne(pf_key_create(kp, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(pf_key_load(kp, k2, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(memcmp(k, k2, sizeof(k)), 0);
    chmod(kp, 0640);
    ck_assert_int_ne(pf_key_load(kp, k, err, sizeof(err)), PF_OK);
    ck_assert_msg(strstr(err, "mode 640") && strstr(err, "chmod 600"), "%s",
                  err);
    chmod(kp, 0600);
    FILE *f = fopen(kp, "w");
    fputs("too short\n", f);
    fclose(f);
    ck_assert_int_ne(pf_key_load(kp, k, err, sizeof(err)), PF_OK);
    ck_assert_msg(strstr(err, "32 bytes or 64 hex"), "%s", err);
}
END_TEST

/* the fuzz seeds are real journals: the fuzzer starts past the seal */
START_TEST(fuzz_seeds_open)
{
    unsigned char k[PF_KEY_BYTES];
    struct pf_journal_report rep;
    struct seen s;
    char err[256];
    size_t n;
    for (int i = 0; i < PF_KEY_BYTES; i++)
        k[i] = (unsigned char)i;
    snprintf(path, sizeof(path), "tests/fuzz/corpus/journal/four-records");
    char *d = slurp(&n);
    memset(&s, 0, sizeof(s));
    ck_assert_int_eq(pf_journal_replay_buf("seed", d, n, k, collect, &s, &rep,
                                           err, sizeof(err)),
                     PF_OK);
    ck_assert_int_eq(s.n, 4);
    ck_assert_str_eq(s.text[0], "{\"id\":1,\"text\":\"Hei!\"}");
    ck_assert_int_eq(s.type[3], PF_JREC_SENT);
    free(d);
}
END_TEST

/*
 * A record to act on goes out with the records written before it in one
 * write and one fdatasync; records that license nothing wait for it.
 */
START_TEST(one_write_and_one_sync_per_decision)
{
    struct pf_journal *j;
    struct pf_journal_stats st;
    struct seen s;
    struct pf_journal_report rep;
    char err[256];
    uint64_t seq;
    ck_assert_int_eq(
        pf_journal_open(&j, path, key, NULL, NULL, NULL, err, sizeof(err)),
        PF_OK);
    pf_journal_stats(j, &st);
    struct pf_journal_stats before = st;
    /* a reply: received (no sync), its verdict (sync) */
    ck_assert_int_eq(pf_journal_append(j, PF_JREC_RECEIVED, "r", 1, 0, NULL,
                                       err, sizeof(err)),
                     PF_OK);
    pf_journal_stats(j, &st);
    ck_assert_uint_eq(st.writes, before.writes);
    ck_assert_int_eq(pf_journal_append(j, PF_JREC_VERDICT, "v", 1, 1, &seq, err,
                                       sizeof(err)),
                     PF_OK);
    ck_assert_uint_eq(seq, 2);
    pf_journal_stats(j, &st);
    ck_assert_uint_eq(st.writes - before.writes, 1);
    ck_assert_uint_eq(st.syncs - before.syncs, 1);
    ck_assert_uint_eq(st.records - before.records, 2);
    /* a cursor waits for a flush, which writes without a sync */
    ck_assert_int_eq(
        pf_journal_append(j, PF_JREC_CURSOR, "c", 1, 0, NULL, err, sizeof(err)),
        PF_OK);
    ck_assert_int_eq(pf_journal_flush(j, 0, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(pf_journal_flush(j, 0, err, sizeof(err)), PF_OK);
    pf_journal_stats(j, &st);
    ck_assert_uint_eq(st.writes - before.writes, 2);
    ck_assert_uint_eq(st.syncs - before.syncs, 1);
    /* what waits at close is written then */
    ck_assert_int_eq(
        pf_journal_append(j, PF_JREC_SENT, "s", 1, 0, NULL, err, sizeof(err)),
        PF_OK);
    pf_journal_close(j);
    ck_assert_int_eq(reopen(&s, &rep, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(s.n, 4);
    ck_assert_str_eq(s.text[0], "r");
    ck_assert_str_eq(s.text[1], "v");
    ck_assert_str_eq(s.text[2], "c");
    ck_assert_str_eq(s.text[3], "s");
}
END_TEST

/* wait (up to 10 s) until the journal's thread has made n syncs */
static int
wait_syncs(struct pf_journal *j, uint64_t n)
{
    struct pf_journal_stats st;
    for (int i = 0; i < 10000; i++) {
        pf_journal_stats(j, &st);
        if (st.syncs >= n)
            return 1;
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    return 0;
}

/*
 * PF_JOURNAL_SOON: the record and those waiting before it are in the file
 * when append returns, in one write, and fdatasync'd by the journal's
 * thread, not by the caller, once the caller wakes it
 * (pf_journal_sync_start(): after its post), and not before.
 */
START_TEST(soon_writes_at_once_and_syncs_on_its_thread)
{
    struct pf_journal *j;
    struct pf_journal_stats st;
    struct seen s;
    struct stat sb;
    char err[256];
    ck_assert_int_eq(
        pf_journal_open(&j, path, key, NULL, NULL, NULL, err, sizeof(err)),
        PF_OK);
    ck_assert_int_eq(pf_journal_append(j, PF_JREC_RECEIVED, "r", 1,
                                       PF_JOURNAL_LATER, NULL, err,
                                       sizeof(err)),
                     PF_OK);
    ck_assert_int_eq(pf_journal_append(j, PF_JREC_VERDICT, "v", 1,
                                       PF_JOURNAL_SOON, NULL, err, sizeof(err)),
                     PF_OK);
    pf_journal_stats(j, &st);
    ck_assert_uint_eq(st.writes, 1);
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_uint_eq((uint64_t)sb.st_size, pf_journal_size(j));
    /* the thread waits to be woken: the caller's post goes first */
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
    pf_journal_stats(j, &st);
    ck_assert_uint_eq(st.syncs, 0);
    pf_journal_sync_start(j);
    ck_assert_msg(wait_syncs(j, 1), "the journal's thread never synced");
    /* again: the thread is still there */
    ck_assert_int_eq(pf_journal_append(j, PF_JREC_SENT, "s", 1, PF_JOURNAL_SOON,
                                       NULL, err, sizeof(err)),
                     PF_OK);
    pf_journal_sync_start(j);
    ck_assert_msg(wait_syncs(j, 2), "the journal's thread synced only once");
    /* one never woken for: the close syncs it */
    ck_assert_int_eq(pf_journal_append(j, PF_JREC_SENT, "t", 1, PF_JOURNAL_SOON,
                                       NULL, err, sizeof(err)),
                     PF_OK);
    pf_journal_close(j);
    ck_assert_int_eq(reopen(&s, NULL, err, sizeof(err)), PF_OK);
    ck_assert_int_eq(s.n, 4);
    ck_assert_str_eq(s.text[1], "v");
    ck_assert_str_eq(s.text[2], "s");
    ck_assert_str_eq(s.text[3], "t");
}
END_TEST

/*
 * The journal's thread cannot sync (the disk failed): what comes after
 * is refused, with the cause, never counted on. The child's fdatasync
 * fails with EIO by a seccomp filter.
 */
START_TEST(a_sync_that_fails_on_the_thread_refuses_what_follows)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct pf_journal *j;
        char err[256];
        if (pf_journal_open(&j, path, key, NULL, NULL, NULL, err,
                            sizeof(err)) != PF_OK)
            _exit(3);
        if (tu_seccomp(SYS_fdatasync, SECCOMP_RET_ERRNO | EIO) != 0)
            _exit(4);
        if (pf_journal_append(j, PF_JREC_VERDICT, "v", 1, PF_JOURNAL_SOON, NULL,
                              err, sizeof(err)) != PF_OK)
            _exit(5); /* written: the sync comes after */
        pf_journal_sync_start(j);
        if (!wait_syncs(j, 1))
            _exit(6);
        if (pf_journal_flush(j, 0, err, sizeof(err)) == PF_OK)
            _exit(7);
        if (!strstr(err, "cannot make what was written durable") ||
            !strstr(err, strerror(EIO)))
            _exit(8);
        err[0] = 0;
        if (pf_journal_append(j, PF_JREC_SENT, "s", 1, PF_JOURNAL_SOON, NULL,
                              err, sizeof(err)) == PF_OK ||
            !strstr(err, "durable"))
            _exit(9);
        _exit(0);
    }
    tu_child_ok(pid, "the journal's child");
}
END_TEST

/*
 * A batch written in one write and cut at any byte by a crash: the
 * records before the cut come back whole, the one cut is a torn tail,
 * nothing is misread or reported damaged, and appending goes on.
 */
START_TEST(a_batch_cut_anywhere_keeps_its_whole_records)
{
    struct pf_journal *j;
    struct seen s;
    struct pf_journal_report rep;
    char err[256];
    size_t n;
    const char *texts[3] = {"received: a reply", "verdict: pass, post it",
                            "and a cursor"};
    ck_assert_int_eq(
        pf_journal_open(&j, path, key, NULL, NULL, NULL, err, sizeof(err)),
        PF_OK);
    ck_assert_int_eq(
        pf_journal_append(j, 1, "before", 6, 1, NULL, err, sizeof(err)), PF_OK);
    size_t start = (size_t)pf_journal_size(j);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pf_journal_append(j, 2 + i, texts[i], strlen(texts[i]),
                                           i == 2, NULL, err, sizeof(err)),
                         PF_OK);
    pf_journal_close(j);
    char *whole = slurp(&n);
    /* where each record of the batch ends */
    size_t ends[3], at = start;
    for (int i = 0; i < 3; i++) {
        at += 8 + 24 + 9 + strlen(texts[i]) + 16;
        ends[i] = at;
    }
    ck_assert_uint_eq(ends[2], n);
    pf_log_set_level(PF_LOG_ERR); /* a warning per cut: expected */
    for (size_t cut = start; cut <= n; cut++) {
        spit(whole, cut);
        ck_assert_int_eq(reopen(&s, &rep, err, sizeof(err)), PF_OK);
        int k = 0;
        while (k < 3 && ends[k] <= cut)
            k++;
        ck_assert_int_eq(s.n, 1 + k);
        ck_assert_str_eq(s.text[0], "before");
        for (int i = 0; i < k; i++)
            ck_assert_str_eq(s.text[1 + i], texts[i]);
        ck_assert_uint_eq(rep.bad_records, 0);
        ck_assert_uint_eq(rep.skipped_bytes, 0);
        int boundary = k ? cut == ends[k - 1] : cut == start;
        ck_assert_int_eq(rep.torn_tail, !boundary);
        /* the torn record is cut off; the next one follows whole ones */
        ck_assert_int_eq(
            pf_journal_open(&j, path, key, NULL, NULL, NULL, err, sizeof(err)),
            PF_OK);
        ck_assert_int_eq(
            pf_journal_append(j, 6, "after", 5, 1, NULL, err, sizeof(err)),
            PF_OK);
        pf_journal_close(j);
        ck_assert_int_eq(reopen(&s, &rep, err, sizeof(err)), PF_OK);
        ck_assert_int_eq(s.n, 2 + k);
        ck_assert_str_eq(s.text[1 + k], "after");
        ck_assert_uint_eq(rep.bad_records, 0);
    }
    pf_log_set_level(PF_LOG_WARN);
    free(whole);
}
END_TEST

/* the nonce of each record at its offset (records of the test's sizes) */
static void
nonces_of(const unsigned char *d, size_t n, unsigned char (*out)[24],
          int *count)
{
    size_t at = 16;
    *count = 0;
    while (at + 32 <= n && *count < 64) {
        uint32_t len = (uint32_t)d[at + 4] | (uint32_t)d[at + 5] << 8 |
                       (uint32_t)d[at + 6] << 16 | (uint32_t)d[at + 7] << 24;
        memcpy(out[(*count)++], d + at + 8, 24);
        at += 32 + len;
    }
}

/* no two records ever share a nonce: within an open, across opens, and
   compaction copies records without sealing them again */
START_TEST(nonces_never_repeat)
{
    unsigned char nonces[64][24];
    int count;
    size_t n;
    write_n(10);
    write_n(0); /* opens again: a new prefix */
    struct pf_journal *j;
    char err[256];
    ck_assert_int_eq(
        pf_journal_open(&j, path, key, NULL, NULL, NULL, err, sizeof(err)),
        PF_OK);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(
            pf_journal_append(j, 1, "more", 4, i == 9, NULL, err, sizeof(err)),
            PF_OK);
    pf_journal_close(j);
    unsigned char *d = (unsigned char *)slurp(&n);
    nonces_of(d, n, nonces, &count);
    ck_assert_int_eq(count, 20);
    for (int a = 0; a < count; a++)
        for (int b = a + 1; b < count; b++)
            ck_assert_msg(memcmp(nonces[a], nonces[b], 24) != 0,
                          "records %d and %d share a nonce", a, b);
    /* within one open: one prefix, counted up */
    ck_assert_int_eq(memcmp(nonces[0], nonces[1], 16), 0);
    ck_assert_int_ne(memcmp(nonces[9], nonces[10], 16), 0);
    free(d);
}
END_TEST

/* a journal written before this version (a random nonce per record, a
   write per record: the fuzz seed) is read, appended to and compacted */
START_TEST(an_older_journal_is_read_and_goes_on)
{
    unsigned char k[PF_KEY_BYTES];
    struct pf_journal_report rep;
    struct pf_journal *j;
    struct seen s;
    char err[256];
    size_t n;
    for (int i = 0; i < PF_KEY_BYTES; i++)
        k[i] = (unsigned char)i;
    char *d = tu_read("tests/fuzz/corpus/journal/four-records", &n);
    spit(d, n);
    free(d);
    memset(&s, 0, sizeof(s));
    ck_assert_int_eq(
        pf_journal_open(&j, path, k, collect, &s, &rep, err, sizeof(err)),
        PF_OK);
    ck_assert_int_eq(s.n, 4);
    ck_assert_int_eq(pf_journal_append(j, PF_JREC_CURSOR, "new", 3, 1, NULL,
                                       err, sizeof(err)),
                     PF_OK);
    ck_assert_int_eq(pf_journal_compact(j, keep_odd, NULL, err, sizeof(err)),
                     PF_OK);
    pf_journal_close(j);
    memset(&s, 0, sizeof(s));
    ck_assert_int_eq(
        pf_journal_open(&j, path, k, collect, &s, &rep, err, sizeof(err)),
        PF_OK);
    pf_journal_close(j);
    ck_assert_int_eq(s.n, 3); /* records 1, 3 and the new 5 */
    ck_assert_str_eq(s.text[0], "{\"id\":1,\"text\":\"Hei!\"}");
    ck_assert_uint_eq(s.seq[2], 5);
    ck_assert_str_eq(s.text[2], "new");
    ck_assert_uint_eq(rep.bad_records, 0);
}
END_TEST

/*
 * A record's JSON read in place reads as Jansson reads it: the same
 * objects refused, the same strings and integers for each member.
 */
START_TEST(records_read_in_place_as_jansson_reads_them)
{
    static const char *const cases[] = {
        "{\"id\":\"m1\",\"tries\":2,\"post\":{\"key\":\"k\",\"text\":\"a\"}}",
        "{\"text\":\"r\\u00e4\\u00e4kyv\\u00e4 \\ud83d\\ude00 \\\"x\\\" "
        "\\\\ \\/ \\b\\f\\n\\r\\t\"}",
        "{\"text\":\"tää on utf-8 😀\", \"n\": -9223372036854775808}",
        " { \"a\" : 1 , \"a\" : \"last\" } \n",
        "{\"big\":9223372036854775807,\"real\":1.5e3,\"t\":true,\"z\":null}",
        "{\"arr\":[1,\"x\",{\"y\":[]}],\"o\":{}}",
        "{}",
        /* refused */
        "{\"big\":9223372036854775808}",
        "{\"nul\":\"a\\u0000b\"}",
        "{\"lone\":\"\\ud800\"}",
        "{\"lone\":\"\\udc00x\"}",
        "{\"bad\":\"\xc3\"}",
        "{\"bad\":\"\xed\xa0\x80\"}",
        "{\"ctl\":\"a\nb\"}",
        "{\"a\":1,}",
        "{\"a\":01}",
        "{\"a\":1} x",
        "[1]",
        "\"s\"",
        "{\"a\":-}",
        "{\"a\":1.}",
        "{\"a\" 1}",
        "{",
        "{\"a\":tru}",
        "{\"a\":\"\\x\"}",
    };
    static const char *const keys[] = {"id",  "tries", "post", "text", "n",
                                       "a",   "big",   "real", "t",    "z",
                                       "arr", "o",     "nul",  "lone", "bad"};
    struct pf_jrec rec;
    memset(&rec, 0, sizeof(rec));
    for (size_t c = 0; c < sizeof(cases) / sizeof(*cases); c++) {
        const char *in = cases[c];
        json_t *o = json_loadb(in, strlen(in), 0, NULL);
        int ok = pf_jrec_read(&rec, in, strlen(in));
        ck_assert_msg(ok == json_is_object(o), "case %zu (%s): %d", c, in, ok);
        for (size_t k = 0; ok && k < sizeof(keys) / sizeof(*keys); k++) {
            ck_assert_str_eq(pf_jrec_str(&rec, keys[k]),
                             pf_json_str(o, keys[k]));
            ck_assert_int_eq(pf_jrec_int(&rec, keys[k]),
                             pf_json_int(o, keys[k]));
            ck_assert_int_eq(pf_jrec_get(&rec, keys[k]) != NULL,
                             json_object_get(o, keys[k]) != NULL);
        }
        json_decref(o);
    }
    /* a nested object is kept as its text, and read the same way */
    const char *in = "{\"post\":{\"key\":\"k-1\",\"room\":\"c@x\"}}";
    ck_assert(pf_jrec_read(&rec, in, strlen(in)));
    const struct pf_jrec_member *m = pf_jrec_get(&rec, "post");
    ck_assert_int_eq(m->kind, PF_JV_OBJECT);
    struct pf_jrec sub;
    memset(&sub, 0, sizeof(sub));
    ck_assert(pf_jrec_read(&sub, m->raw, m->raw_len));
    ck_assert_str_eq(pf_jrec_str(&sub, "key"), "k-1");
    ck_assert_str_eq(pf_jrec_str(&sub, "room"), "c@x");
    pf_jrec_release(&sub);
    pf_jrec_release(&rec);
}
END_TEST

Suite *
suite_journal(void)
{
    Suite *s = suite_create("journal");
    TCase *tc = tcase_create("journal");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, records_come_back_in_order_and_sealed);
    tcase_add_test(tc, a_torn_tail_is_ignored_and_cut);
    tcase_add_test(tc, a_flipped_bit_is_reported_and_skipped);
    tcase_add_test(tc, wrong_key_and_not_a_journal);
    tcase_add_test(tc, compaction_keeps_the_live_records);
    tcase_add_test(tc, one_write_and_one_sync_per_decision);
    tcase_add_test(tc, soon_writes_at_once_and_syncs_on_its_thread);
    tcase_add_test(tc, a_sync_that_fails_on_the_thread_refuses_what_follows);
    tcase_add_test(tc, a_batch_cut_anywhere_keeps_its_whole_records);
    tcase_add_test(tc, nonces_never_repeat);
    tcase_add_test(tc, an_older_journal_is_read_and_goes_on);
    tcase_add_test(tc, records_read_in_place_as_jansson_reads_them);
    tcase_add_test(tc, symbolic_links_are_never_followed);
    tcase_add_test(tc, key_files_are_strict);
    tcase_add_test(tc, fuzz_seeds_open);
    suite_add_tcase(s, tc);
    return s;
}
