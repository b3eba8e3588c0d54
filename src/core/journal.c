/*
 * journal.c - see journal.h.
 */
#include "core/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

#define HEADER "PFJOURN1"
#define HEADER_LEN 16
#define MARKER "PFR1"
#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define FRAME (4 + 4 + NONCE) /* marker, length, nonce */
#define INNER 9               /* type, sequence number */
#define PEND_MAX (64u << 10)  /* bytes of records waiting for a write */

/* where a whole record is in the file, and what compaction asks about it */
struct jidx {
    uint64_t off, seq;
    uint32_t len; /* FRAME + sealed */
    int type;
};

struct pf_journal {
    char *path;
    int fd;
    unsigned char key[PF_KEY_BYTES];
    uint64_t seq;  /* last sequence number used */
    uint64_t size; /* bytes in the file */
    /* nonces: a random prefix drawn at open, then a counter (next_nonce) */
    unsigned char nonce_base[NONCE];
    uint64_t nonce_ctr;
    /* sealed records not yet written: they go at size, with the next
       record that must be durable, or at pf_journal_flush() */
    unsigned char *pend;
    size_t pend_len, pend_cap;
    /* every whole record in the file and in pend, in order */
    struct jidx *idx;
    size_t n_idx, cap_idx;
    int want_idx; /* 0: replay_buf, which never compacts */
    struct pf_journal_stats stats;
    /* the thread that makes PF_JOURNAL_SOON writes durable, started with
       the first of them; mu guards what it shares: fd while it syncs,
       the counters below and stats.syncs */
    pthread_t syncer;
    int has_syncer, stopping;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t sync_want, sync_done; /* writes asked to be durable; made so */
    int sync_errno;                /* the thread's fdatasync failed so */
    int sync_asked; /* written SOON since pf_journal_sync_start() */
};

/* ---- the key ---- */

static int
hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
pf_key_load(const char *path, unsigned char key[PF_KEY_BYTES], char *err,
            size_t errlen)
{
    struct stat st;
    unsigned char buf[PF_KEY_BYTES * 2 + 2];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        snprintf(err, errlen,
                 "key file '%s': %s (create one with 'pokerface keygen %s')",
                 path, strerror(errno), path);
        return PF_ENOTFOUND;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "key file '%s' is not a regular file", path);
        close(fd);
        return PF_EINVAL;
    }
    if (st.st_mode & 077) {
        snprintf(err, errlen,
                 "key file '%s' can be read by others (mode %03o); it must "
                 "be 0600: chmod 600 '%s'",
                 path, (unsigned)(st.st_mode & 0777), path);
        close(fd);
        return PF_EINVAL;
    }
    if (st.st_uid != geteuid()) {
        snprintf(err, errlen, "key file '%s' belongs to another user (uid %u)",
                 path, (unsigned)st.st_uid);
        close(fd);
        return PF_EINVAL;
    }
    ssize_t n = read(fd, buf, sizeof(buf));
    close(fd);
    if (n == PF_KEY_BYTES) {
        memcpy(key, buf, PF_KEY_BYTES);
        sodium_memzero(buf, sizeof(buf));
        return PF_OK;
    }
    if (n == PF_KEY_BYTES * 2 ||
        (n == PF_KEY_BYTES * 2 + 1 && buf[PF_KEY_BYTES * 2] == '\n')) {
        for (size_t i = 0; i < PF_KEY_BYTES; i++) {
            int hi = hexval(buf[2 * i]), lo = hexval(buf[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                sodium_memzero(buf, sizeof(buf));
                snprintf(err, errlen, "key file '%s': not hex digits", path);
                return PF_EINVAL;
            }
            key[i] = (unsigned char)(hi << 4 | lo);
        }
        sodium_memzero(buf, sizeof(buf));
        return PF_OK;
    }
    sodium_memzero(buf, sizeof(buf));
    snprintf(err, errlen,
             "key file '%s' holds %zd bytes; a key is 32 bytes or 64 hex "
             "digits",
             path, n);
    return PF_EINVAL;
}

int
pf_key_create(const char *path, char *err, size_t errlen)
{
    unsigned char key[PF_KEY_BYTES];
    char hex[PF_KEY_BYTES * 2 + 2];
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create key file '%s': %s%s", path,
                 strerror(errno),
                 errno == EEXIST ? " (a key is never overwritten)" : "");
        return PF_EINVAL;
    }
    randombytes_buf(key, sizeof(key));
    sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
    sodium_memzero(key, sizeof(key));
    size_t n = strlen(hex);
    hex[n++] = '\n';
    int ok = write(fd, hex, n) == (ssize_t)n && fsync(fd) == 0;
    sodium_memzero(hex, sizeof(hex));
    if (close(fd) != 0)
        ok = 0;
    if (!ok) {
        snprintf(err, errlen, "cannot write key file '%s': %s", path,
                 strerror(errno));
        unlink(path);
        return PF_EINVAL;
    }
    return PF_OK;
}

/* ---- records ---- */

static void
put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t
get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void
put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/*
 * The nonce of the next record. XChaCha20-Poly1305 must never see one
 * (key, nonce) pair twice. Each open draws a random 16-byte prefix
 * (randombytes_buf, the kernel's CSPRNG) and numbers its records with a
 * 64-bit counter in the last 8 bytes, from 0: within one open the nonces
 * differ by their counter, which cannot wrap (2^64 records); between
 * opens, in this process or another, they differ by their prefix, 128
 * random bits: after 2^32 opens under one key the chance that two
 * prefixes ever met is below 2^-64. A forked child never appends (the
 * worker closes what the bot has open). So every record sealed gets a
 * nonce of its own, at the cost of one getrandom per open instead of one
 * per record. Compaction copies sealed records as they are: the same
 * bytes under the same nonce, not a second encryption.
 */
static void
next_nonce(struct pf_journal *j, unsigned char *nonce)
{
    memcpy(nonce, j->nonce_base, NONCE - 8);
    put64(nonce + NONCE - 8, j->nonce_ctr++);
}

/* make room for n more bytes in pend (it never holds plaintext once
   seal returns) */
static unsigned char *
pend_grow(struct pf_journal *j, size_t n)
{
    if (j->pend_len + n > j->pend_cap) {
        size_t cap = j->pend_cap ? j->pend_cap : 4096;
        while (cap < j->pend_len + n)
            cap *= 2;
        j->pend = pf_xrealloc(j->pend, cap);
        j->pend_cap = cap;
    }
    return j->pend + j->pend_len;
}

static void
idx_add(struct pf_journal *j, uint64_t off, size_t len, int type, uint64_t seq)
{
    if (!j->want_idx)
        return;
    if (j->n_idx == j->cap_idx) {
        j->cap_idx = j->cap_idx ? j->cap_idx * 2 : 1024;
        j->idx = pf_xrealloc(j->idx, j->cap_idx * sizeof(*j->idx));
    }
    j->idx[j->n_idx++] = (struct jidx){off, seq, (uint32_t)len, type};
}

/* seal one record at the end of pend; the plaintext is built in place,
   in the bytes the ciphertext then overwrites */
static void
seal(struct pf_journal *j, int type, uint64_t seq, const void *payload,
     size_t len)
{
    size_t plain = INNER + len, sealed = plain + TAG;
    unsigned char *buf = pend_grow(j, FRAME + sealed);
    unsigned char *in = buf + FRAME;
    in[0] = (unsigned char)type;
    put64(in + 1, seq);
    if (len)
        memcpy(in + INNER, payload, len);
    memcpy(buf, MARKER, 4);
    put32(buf + 4, (uint32_t)sealed);
    next_nonce(j, buf + 8);
    unsigned long long clen;
    crypto_aead_xchacha20poly1305_ietf_encrypt(buf + FRAME, &clen, in, plain,
                                               buf, 8, NULL, buf + 8, j->key);
    idx_add(j, j->size + j->pend_len, FRAME + sealed, type, seq);
    j->pend_len += FRAME + sealed;
}

/* the next marker at or after from, or size */
static size_t
next_marker(const unsigned char *d, size_t size, size_t from)
{
    while (from + 4 <= size) {
        const unsigned char *p = memchr(d + from, 'P', size - from);
        if (!p)
            break;
        size_t at = (size_t)(p - d);
        if (at + 4 <= size && memcmp(p, MARKER, 4) == 0)
            return at;
        from = at + 1;
    }
    return size;
}

/*
 * Walk the records of d[0..size); *good_end gets the end of the last
 * whole record that opened (where appending may go on).
 */
static int
replay(struct pf_journal *j, const unsigned char *d, size_t size,
       pf_journal_fn fn, void *ud, struct pf_journal_report *rep,
       size_t *good_end, char *err, size_t errlen)
{
    size_t pos = HEADER_LEN, cap = 0;
    unsigned char *plain = NULL;
    int rc = PF_OK;
    *good_end = HEADER_LEN;
    while (pos < size) {
        if (size - pos < FRAME || memcmp(d + pos, MARKER, 4) != 0) {
            size_t next = next_marker(d, size, pos + 1);
            if (memcmp(d + pos, MARKER, size - pos < 4 ? size - pos : 4) == 0 &&
                next == size) {
                /* a frame cut short at the very end */
                rep->torn_tail = 1;
                rep->torn_offset = pos;
                pf_warn("journal %s: the last record (offset %zu) was cut "
                        "short, probably by a crash while writing; ignored",
                        j->path, pos);
                break;
            }
            pf_warn("journal %s: bytes %zu to %zu are not a record; skipped",
                    j->path, pos, next);
            rep->skipped_bytes += next - pos;
            pos = next;
            continue;
        }
        size_t sealed = get32(d + pos + 4);
        if (sealed < INNER + TAG || sealed > PF_JOURNAL_MAX_RECORD ||
            sealed > size - pos - FRAME) {
            size_t next = next_marker(d, size, pos + 4);
            if (next == size && sealed >= INNER + TAG &&
                sealed <= PF_JOURNAL_MAX_RECORD) {
                rep->torn_tail = 1;
                rep->torn_offset = pos;
                pf_warn("journal %s: the last record (offset %zu) was cut "
                        "short, probably by a crash while writing; ignored",
                        j->path, pos);
                break;
            }
            pf_warn("journal %s: the record at offset %zu has a bad length "
                    "(%zu); skipped to offset %zu",
                    j->path, pos, sealed, next);
            if (!rep->bad_records++)
                rep->first_bad_offset = pos;
            pos = next;
            continue;
        }
        if (sealed - TAG > cap) {
            cap = sealed - TAG;
            free(plain);
            plain = pf_xmalloc(cap);
        }
        unsigned long long plen;
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(
                plain, &plen, NULL, d + pos + FRAME, sealed, d + pos, 8,
                d + pos + 8, j->key) != 0) {
            pf_warn("journal %s: the record at offset %zu fails "
                    "authentication (damaged, or another key); skipped",
                    j->path, pos);
            if (!rep->bad_records++)
                rep->first_bad_offset = pos;
            pos = next_marker(d, size, pos + 4);
            continue;
        }
        uint64_t seq = get64(plain + 1);
        if (seq <= j->seq) {
            pf_warn("journal %s: the record at offset %zu repeats sequence "
                    "number %llu; skipped",
                    j->path, pos, (unsigned long long)seq);
            if (!rep->bad_records++)
                rep->first_bad_offset = pos;
            pos += FRAME + sealed;
            continue;
        }
        j->seq = seq;
        rep->records++;
        idx_add(j, pos, FRAME + sealed, plain[0], seq);
        pos += FRAME + sealed;
        *good_end = pos;
        if (fn && (rc = fn(ud, plain[0], seq, plain + INNER,
                           (size_t)plen - INNER)) != 0) {
            snprintf(err, errlen, "journal %s: replay stopped at offset %zu",
                     j->path, pos);
            break;
        }
    }
    if (plain) {
        sodium_memzero(plain, cap);
        free(plain);
    }
    rep->last_seq = j->seq;
    return rc;
}

static int
read_file(int fd, unsigned char **out, size_t *n)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    size_t size = (size_t)st.st_size, got = 0;
    unsigned char *d = pf_xmalloc(size + 1);
    while (got < size) {
        ssize_t r = pread(fd, d + got, size - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            free(d);
            return -1;
        }
        got += (size_t)r;
    }
    *out = d;
    *n = size;
    return 0;
}

static int
fsync_dir(const char *path)
{
    char *dir = pf_xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        strcpy(dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int
write_header(int fd)
{
    unsigned char h[HEADER_LEN] = {0};
    memcpy(h, HEADER, 8);
    put32(h + 8, 1);
    return pf_write_all(fd, h, sizeof(h));
}

int
pf_journal_open(struct pf_journal **out, const char *path,
                const unsigned char key[PF_KEY_BYTES], pf_journal_fn fn,
                void *ud, struct pf_journal_report *rep, char *err,
                size_t errlen)
{
    struct pf_journal_report local;
    struct pf_journal *j = pf_xcalloc(1, sizeof(*j));
    j->fd = -1;
    unsigned char *d = NULL;
    size_t size = 0, good_end;
    int rc;
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium cannot start");
        pf_journal_close(j);
        return PF_EINVAL;
    }
    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof(*rep));
    j->path = pf_xstrdup(path);
    memcpy(j->key, key, PF_KEY_BYTES);
    sodium_mlock(j->key, sizeof(j->key));
    j->want_idx = 1;
    randombytes_buf(j->nonce_base, sizeof(j->nonce_base));
    /* never through a symbolic link: whoever planted it would choose
       what the bot overwrites */
    j->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (j->fd < 0) {
        if (errno == ELOOP)
            snprintf(err, errlen,
                     "journal %s is a symbolic link; refusing to follow it "
                     "(remove it, or point state_dir at the real directory)",
                     path);
        else
            snprintf(err, errlen, "journal %s: %s", path, strerror(errno));
        rc = PF_EINVAL;
        goto fail;
    }
    struct stat st;
    if (fstat(j->fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_uid != geteuid()) {
        snprintf(err, errlen,
                 "journal %s is not a regular file of the user pokerface "
                 "runs as (uid %u); refusing to use it",
                 path, (unsigned)geteuid());
        rc = PF_EINVAL;
        goto fail;
    }
    if (read_file(j->fd, &d, &size) != 0) {
        snprintf(err, errlen, "journal %s: cannot read: %s", path,
                 strerror(errno));
        rc = PF_EINVAL;
        goto fail;
    }
    if (size == 0) {
        if (write_header(j->fd) != 0 || fsync(j->fd) != 0 ||
            fsync_dir(path) != 0) {
            snprintf(err, errlen, "journal %s: cannot write: %s", path,
                     strerror(errno));
            rc = PF_EINVAL;
            goto fail;
        }
        j->size = HEADER_LEN;
        free(d);
        *out = j;
        return PF_OK;
    }
    if (size < HEADER_LEN || memcmp(d, HEADER, 8) != 0 || get32(d + 8) != 1) {
        snprintf(err, errlen,
                 "%s is not a pokerface journal (or of a newer version)", path);
        rc = PF_EINVAL;
        goto fail;
    }
    rc = replay(j, d, size, fn, ud, rep, &good_end, err, errlen);
    if (rc != PF_OK)
        goto fail;
    if (rep->records == 0 && rep->bad_records > 0) {
        snprintf(err, errlen,
                 "journal %s: not one of its %zu records opens with this "
                 "key; is it the right key file?",
                 path, rep->bad_records);
        rc = PF_EINVAL;
        goto fail;
    }
    /* cut a torn tail off so that new records follow whole ones */
    if (rep->torn_tail && good_end < size) {
        if (ftruncate(j->fd, (off_t)rep->torn_offset) != 0 ||
            fsync(j->fd) != 0) {
            snprintf(err, errlen, "journal %s: cannot cut the torn record: %s",
                     path, strerror(errno));
            rc = PF_EINVAL;
            goto fail;
        }
        size = rep->torn_offset;
    }
    j->size = size;
    free(d);
    *out = j;
    return PF_OK;
fail:
    free(d);
    pf_journal_close(j);
    return rc;
}

/* drop what pend holds (its records were never written whole) */
static void
pend_drop(struct pf_journal *j)
{
    while (j->n_idx && j->idx[j->n_idx - 1].off >= j->size)
        j->n_idx--;
    j->pend_len = 0;
}

/* ---- the syncer: fdatasync off the caller's path ---- */

static void
lock(struct pf_journal *j)
{
    if (j->has_syncer)
        pthread_mutex_lock(&j->mu);
}

static void
unlock(struct pf_journal *j)
{
    if (j->has_syncer)
        pthread_mutex_unlock(&j->mu);
}

static void *
syncer_main(void *arg)
{
    struct pf_journal *j = arg;
    pthread_mutex_lock(&j->mu);
    for (;;) {
        while (j->sync_done == j->sync_want && !j->stopping)
            pthread_cond_wait(&j->cv, &j->mu);
        if (j->sync_done == j->sync_want)
            break; /* stopping, and nothing is left to sync */
        /* everything written up to now, in one fdatasync */
        uint64_t want = j->sync_want;
        int fd = j->fd;
        pthread_mutex_unlock(&j->mu);
        int e = fdatasync(fd) != 0 ? errno : 0;
        pthread_mutex_lock(&j->mu);
        j->stats.syncs++;
        if (e && !j->sync_errno)
            j->sync_errno = e;
        j->sync_done = want;
        pthread_cond_broadcast(&j->cv);
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

/* what was written is to be made durable by the syncer; 0 if it cannot
   start (then the caller syncs itself) */
static int
sync_soon(struct pf_journal *j)
{
    if (!j->has_syncer) {
        if (pthread_mutex_init(&j->mu, NULL) != 0)
            return 0;
        if (pthread_cond_init(&j->cv, NULL) != 0) {
            pthread_mutex_destroy(&j->mu);
            return 0;
        }
        if (pthread_create(&j->syncer, NULL, syncer_main, j) != 0) {
            pthread_cond_destroy(&j->cv);
            pthread_mutex_destroy(&j->mu);
            return 0;
        }
        j->has_syncer = 1;
    }
    j->sync_asked = 1; /* pf_journal_sync_start() wakes the thread */
    return 1;
}

void
pf_journal_sync_start(struct pf_journal *j)
{
    if (!j || !j->sync_asked)
        return;
    j->sync_asked = 0;
    pthread_mutex_lock(&j->mu);
    j->sync_want++;
    pthread_mutex_unlock(&j->mu);
    /* after the unlock: the thread wakes to a free mutex */
    pthread_cond_signal(&j->cv);
}

/* wait until the syncer has synced all it was asked to */
static void
sync_drain(struct pf_journal *j)
{
    if (!j->has_syncer)
        return;
    pf_journal_sync_start(j);
    pthread_mutex_lock(&j->mu);
    while (j->sync_done != j->sync_want)
        pthread_cond_wait(&j->cv, &j->mu);
    pthread_mutex_unlock(&j->mu);
}

/* the syncer failed once: nothing is counted on after that */
static int
sync_failed(struct pf_journal *j, char *err, size_t errlen)
{
    lock(j);
    int e = j->sync_errno;
    unlock(j);
    if (e)
        snprintf(err, errlen,
                 "journal %s: cannot make what was written durable: %s",
                 j->path, strerror(e));
    return e != 0;
}

/* write pend at the end of the file in one write; with sync, fdatasync */
static int
flush(struct pf_journal *j, int sync, char *err, size_t errlen)
{
    int bad = 0;
    if (sync_failed(j, err, errlen)) {
        pend_drop(j);
        return PF_EINVAL;
    }
    errno = 0;
    if (j->pend_len) {
        bad = pwrite(j->fd, j->pend, j->pend_len, (off_t)j->size) !=
              (ssize_t)j->pend_len;
        j->stats.writes++;
    }
    if (!bad && sync == PF_JOURNAL_SOON && !sync_soon(j))
        sync = PF_JOURNAL_SYNC;
    if (!bad && sync == PF_JOURNAL_SYNC) {
        bad = fdatasync(j->fd) != 0;
        lock(j);
        j->stats.syncs++;
        unlock(j);
    }
    if (bad) {
        snprintf(err, errlen, "journal %s: cannot write: %s", j->path,
                 errno == 0 ? "short write" : strerror(errno));
        /* whatever was written is a torn tail: cut off (or else
           overwritten by the next write) */
        if (ftruncate(j->fd, (off_t)j->size) != 0)
            errno = 0;
        pend_drop(j);
        return PF_EINVAL;
    }
    j->size += j->pend_len;
    j->pend_len = 0;
    return PF_OK;
}

int
pf_journal_append(struct pf_journal *j, int type, const void *payload,
                  size_t len, int sync, uint64_t *seq, char *err, size_t errlen)
{
    if (len > PF_JOURNAL_MAX_RECORD - INNER - TAG) {
        snprintf(err, errlen, "journal %s: a record of %zu bytes is too big",
                 j->path, len);
        return PF_ETOOBIG;
    }
    seal(j, type, j->seq + 1, payload, len);
    j->seq++;
    j->stats.records++;
    if (seq)
        *seq = j->seq;
    /* a record to act on goes out at once with those before it, in one
       write and one fdatasync; the others wait for it (or a flush), up
       to PEND_MAX bytes */
    if (sync || j->pend_len >= PEND_MAX) {
        int rc = flush(j, sync, err, errlen);
        if (rc != PF_OK && seq)
            *seq = 0;
        return rc;
    }
    return PF_OK;
}

int
pf_journal_flush(struct pf_journal *j, int sync, char *err, size_t errlen)
{
    if (!j->pend_len && !sync)
        return sync_failed(j, err, errlen) ? PF_EINVAL : PF_OK;
    return flush(j, sync ? PF_JOURNAL_SYNC : PF_JOURNAL_LATER, err, errlen);
}

void
pf_journal_stats(const struct pf_journal *j, struct pf_journal_stats *st)
{
    lock((struct pf_journal *)j);
    *st = j->stats;
    unlock((struct pf_journal *)j);
}

int
pf_journal_compact(struct pf_journal *j, pf_journal_fn keep, void *ud,
                   char *err, size_t errlen)
{
    char *tmp = pf_xasprintf("%s.compact", j->path);
    int fd = -1, rc = PF_EINVAL;
    unsigned char *out = NULL;
    struct jidx *kept = NULL;
    size_t n_kept = 0, out_len = HEADER_LEN;
    if (flush(j, 0, err, errlen) != PF_OK)
        goto out;
    /* which records stay: asked by type and number, from the index, so
       nothing is opened again */
    kept = pf_xmalloc((j->n_idx ? j->n_idx : 1) * sizeof(*kept));
    for (size_t i = 0; i < j->n_idx; i++) {
        if (keep(ud, j->idx[i].type, j->idx[i].seq, NULL, 0)) {
            kept[n_kept++] = j->idx[i];
            out_len += j->idx[i].len;
        }
    }
    /* the new file in memory: the header, then the kept records' sealed
       bytes as they are */
    out = pf_xmalloc(out_len);
    unsigned char *h = out;
    memset(h, 0, HEADER_LEN);
    memcpy(h, HEADER, 8);
    put32(h + 8, 1);
    size_t at = HEADER_LEN;
    for (size_t i = 0; i < n_kept; i++) {
        ssize_t r;
        do
            r = pread(j->fd, out + at, kept[i].len, (off_t)kept[i].off);
        while (r < 0 && errno == EINTR);
        if (r != (ssize_t)kept[i].len) {
            snprintf(err, errlen, "journal %s: cannot read: %s", j->path,
                     r < 0 ? strerror(errno) : "short read");
            goto out;
        }
        kept[i].off = at;
        at += kept[i].len;
    }
    /* a fresh file: a leftover of a crash is removed (a symbolic link
       planted there goes, not what it points at), and O_EXCL refuses
       anything that appears there meanwhile */
    unlink(tmp);
    fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || pf_write_all(fd, out, out_len) != 0 || fsync(fd) != 0) {
        snprintf(err, errlen, "journal %s: cannot compact: %s", tmp,
                 strerror(errno));
        goto out;
    }
    if (rename(tmp, j->path) != 0 || fsync_dir(j->path) != 0) {
        snprintf(err, errlen, "journal %s: cannot replace it: %s", j->path,
                 strerror(errno));
        goto out;
    }
    /* from now on, append to the new file */
    /* the syncer is done with the old file before it is closed */
    sync_drain(j);
    lock(j);
    close(j->fd);
    j->fd = fd;
    unlock(j);
    fd = -1;
    j->size = out_len;
    memcpy(j->idx, kept, n_kept * sizeof(*kept));
    j->n_idx = n_kept;
    rc = PF_OK;
out:
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    free(tmp);
    free(out);
    free(kept);
    return rc;
}

int
pf_journal_replay_buf(const char *name, const void *data, size_t size,
                      const unsigned char key[PF_KEY_BYTES], pf_journal_fn fn,
                      void *ud, struct pf_journal_report *rep, char *err,
                      size_t errlen)
{
    struct pf_journal j;
    struct pf_journal_report local;
    const unsigned char *d = data;
    size_t good_end;
    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof(*rep));
    memset(&j, 0, sizeof(j));
    j.path = (char *)name;
    j.fd = -1;
    memcpy(j.key, key, PF_KEY_BYTES);
    if (size < HEADER_LEN || memcmp(d, HEADER, 8) != 0 || get32(d + 8) != 1) {
        snprintf(err, errlen, "%s is not a pokerface journal", name);
        return PF_EINVAL;
    }
    int rc = replay(&j, d, size, fn, ud, rep, &good_end, err, errlen);
    sodium_memzero(j.key, sizeof(j.key));
    return rc;
}

uint64_t
pf_journal_size(const struct pf_journal *j)
{
    return j->size + j->pend_len;
}

void
pf_journal_close(struct pf_journal *j)
{
    if (!j)
        return;
    if (j->fd >= 0) {
        char err[256];
        if (j->pend_len && flush(j, 1, err, sizeof(err)) != PF_OK)
            pf_err("%s", err);
    }
    if (j->has_syncer) {
        char err[256];
        pf_journal_sync_start(j); /* what it was not woken for yet */
        pthread_mutex_lock(&j->mu);
        j->stopping = 1;
        pthread_cond_signal(&j->cv);
        pthread_mutex_unlock(&j->mu);
        pthread_join(j->syncer, NULL);
        if (sync_failed(j, err, sizeof(err)))
            pf_err("%s", err);
        pthread_cond_destroy(&j->cv);
        pthread_mutex_destroy(&j->mu);
        j->has_syncer = 0;
    }
    if (j->fd >= 0)
        close(j->fd);
    free(j->pend);
    free(j->idx);
    sodium_munlock(j->key, sizeof(j->key));
    free(j->path);
    free(j);
}
