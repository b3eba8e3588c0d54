/*
 * sasl.c - see sasl.h. Written from RFC 5802 section 3:
 *
 *   SaltedPassword  = Hi(password, salt, i)        (PBKDF2 with HMAC)
 *   ClientKey       = HMAC(SaltedPassword, "Client Key")
 *   StoredKey       = H(ClientKey)
 *   AuthMessage     = client-first-bare "," server-first ","
 *                     client-final-without-proof
 *   ClientProof     = ClientKey XOR HMAC(StoredKey, AuthMessage)
 *   ServerSignature = HMAC(HMAC(SaltedPassword, "Server Key"), AuthMessage)
 *
 * libsodium has SHA-256 and HMAC-SHA-256 but no PBKDF2, so Hi() is the
 * loop below. Passwords are used as given (no SASLprep): fine for the
 * ASCII passwords bot accounts get.
 */
#include "connectors/sasl.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

#define SHA_LEN 32
#define MIN_ITER 4096
#define MAX_ITER 1000000

struct pf_scram {
    char *client_first_bare; /* n=user,r=nonce */
    char *nonce;
    char *auth_message;
    unsigned char *server_sig; /* sodium_malloc, SHA_LEN */
};

char *
pf_b64_encode(const void *data, size_t len)
{
    size_t cap = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *out = pf_xmalloc(cap);
    sodium_bin2base64(out, cap, data, len, sodium_base64_VARIANT_ORIGINAL);
    return out;
}

long
pf_b64_decode(const char *b64, unsigned char *out, size_t cap)
{
    size_t n = 0;
    if (sodium_base642bin(out, cap, b64, strlen(b64), " \t\r\n", &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return -1;
    return (long)n;
}

char *
pf_sasl_plain(const char *user, const char *password)
{
    size_t ul = strlen(user), pl = strlen(password);
    unsigned char *buf = sodium_malloc(ul + pl + 2);
    char *out;
    if (!buf)
        pf_die("out of memory");
    buf[0] = '\0';
    memcpy(buf + 1, user, ul);
    buf[1 + ul] = '\0';
    memcpy(buf + 2 + ul, password, pl);
    out = pf_b64_encode(buf, ul + pl + 2);
    sodium_free(buf);
    return out;
}

/* RFC 5802 saslname: '=' -> "=3D", ',' -> "=2C" */
static void
add_saslname(struct pf_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '=')
            pf_buf_addstr(b, "=3D");
        else if (*s == ',')
            pf_buf_addstr(b, "=2C");
        else
            pf_buf_addch(b, *s);
    }
}

struct pf_scram *
pf_scram_start(const char *user, const char *nonce, char **first)
{
    struct pf_scram *s = pf_xcalloc(1, sizeof(*s));
    struct pf_buf b = PF_BUF_INIT;
    if (nonce) {
        s->nonce = pf_xstrdup(nonce);
    } else {
        unsigned char raw[24];
        randombytes_buf(raw, sizeof(raw));
        s->nonce = pf_b64_encode(raw, sizeof(raw));
    }
    pf_buf_addstr(&b, "n=");
    add_saslname(&b, user);
    pf_buf_addf(&b, ",r=%s", s->nonce);
    s->client_first_bare = pf_buf_detach(&b, NULL);
    /* gs2 header "n,," : no channel binding, no authzid */
    pf_buf_addf(&b, "n,,%s", s->client_first_bare);
    *first = pf_b64_encode(b.data, b.len);
    pf_buf_release(&b);
    s->server_sig = sodium_malloc(SHA_LEN);
    if (!s->server_sig)
        pf_die("out of memory");
    return s;
}

static void
hmac(const unsigned char *key, size_t klen, const void *msg, size_t mlen,
     unsigned char out[SHA_LEN])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, klen);
    crypto_auth_hmacsha256_update(&st, msg, mlen);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof(st));
}

/* Hi(): PBKDF2-HMAC-SHA-256 with one output block */
static void
hi(const char *password, const unsigned char *salt, size_t salt_len,
   unsigned iter, unsigned char out[SHA_LEN])
{
    unsigned char u[SHA_LEN];
    unsigned char *block = pf_xmalloc(salt_len + 4);
    size_t pl = strlen(password);
    memcpy(block, salt, salt_len);
    block[salt_len] = 0, block[salt_len + 1] = 0;
    block[salt_len + 2] = 0, block[salt_len + 3] = 1; /* INT(1) */
    hmac((const unsigned char *)password, pl, block, salt_len + 4, u);
    memcpy(out, u, SHA_LEN);
    for (unsigned i = 1; i < iter; i++) {
        hmac((const unsigned char *)password, pl, u, SHA_LEN, u);
        for (int k = 0; k < SHA_LEN; k++)
            out[k] ^= u[k];
    }
    sodium_memzero(u, sizeof(u));
    free(block);
}

/* value of "k=" in a comma-separated attribute list, into a new string */
static char *
attr_value(const char *msg, char k)
{
    const char *p = msg;
    while (p && *p) {
        if (p[0] == k && p[1] == '=') {
            const char *end = strchr(p, ',');
            return pf_xstrndup(p + 2,
                               end ? (size_t)(end - p - 2) : strlen(p + 2));
        }
        p = strchr(p, ',');
        if (p)
            p++;
    }
    return NULL;
}

int
pf_scram_final(struct pf_scram *s, const char *password,
               const char *server_first_b64, char **final, char *err,
               size_t errlen)
{
    unsigned char raw[1024], salt[256];
    long n = pf_b64_decode(server_first_b64, raw, sizeof(raw) - 1);
    char *server_first, *r, *salt_b64, *iter_s;
    int rc = -1;
    if (n < 0) {
        snprintf(err, errlen, "server-first message is not base64");
        return -1;
    }
    raw[n] = '\0';
    server_first = pf_xstrndup((char *)raw, (size_t)n);
    r = attr_value(server_first, 'r');
    salt_b64 = attr_value(server_first, 's');
    iter_s = attr_value(server_first, 'i');
    if (!r || !salt_b64 || !iter_s) {
        snprintf(err, errlen, "server-first message lacks r, s or i");
        goto out;
    }
    /* the server must extend our nonce, never replace it */
    if (strncmp(r, s->nonce, strlen(s->nonce)) != 0 ||
        strlen(r) == strlen(s->nonce)) {
        snprintf(err, errlen, "server did not extend the client nonce");
        goto out;
    }
    char *end;
    unsigned long iter = strtoul(iter_s, &end, 10);
    if (*end || iter < MIN_ITER || iter > MAX_ITER) {
        snprintf(err, errlen, "iteration count '%s' out of range (%d to %d)",
                 iter_s, MIN_ITER, MAX_ITER);
        goto out;
    }
    long salt_len = pf_b64_decode(salt_b64, salt, sizeof(salt));
    if (salt_len <= 0) {
        snprintf(err, errlen, "salt is not base64");
        goto out;
    }

    unsigned char *keys = sodium_malloc(SHA_LEN * 4);
    if (!keys)
        pf_die("out of memory");
    unsigned char *salted = keys, *client_key = keys + SHA_LEN,
                  *stored = keys + 2 * SHA_LEN,
                  *server_key = keys + 3 * SHA_LEN;
    unsigned char sig[SHA_LEN], proof[SHA_LEN];
    hi(password, salt, (size_t)salt_len, (unsigned)iter, salted);
    hmac(salted, SHA_LEN, "Client Key", 10, client_key);
    crypto_hash_sha256(stored, client_key, SHA_LEN);

    struct pf_buf b = PF_BUF_INIT;
    pf_buf_addf(&b, "c=biws,r=%s", r); /* biws = base64("n,,") */
    char *without_proof = pf_buf_detach(&b, NULL);
    pf_buf_addf(&b, "%s,%s,%s", s->client_first_bare, server_first,
                without_proof);
    /* a second challenge (a broken or hostile server) replaces the first */
    free(s->auth_message);
    s->auth_message = pf_buf_detach(&b, NULL);

    hmac(stored, SHA_LEN, s->auth_message, strlen(s->auth_message), sig);
    for (int k = 0; k < SHA_LEN; k++)
        proof[k] = client_key[k] ^ sig[k];
    hmac(salted, SHA_LEN, "Server Key", 10, server_key);
    hmac(server_key, SHA_LEN, s->auth_message, strlen(s->auth_message),
         s->server_sig);

    char *proof_b64 = pf_b64_encode(proof, SHA_LEN);
    pf_buf_addf(&b, "%s,p=%s", without_proof, proof_b64);
    *final = pf_b64_encode(b.data, b.len);
    pf_buf_release(&b);
    free(proof_b64);
    free(without_proof);
    sodium_memzero(sig, sizeof(sig));
    sodium_memzero(proof, sizeof(proof));
    sodium_free(keys);
    rc = 0;
out:
    free(server_first);
    free(r);
    free(salt_b64);
    free(iter_s);
    return rc;
}

int
pf_scram_verify(struct pf_scram *s, const char *server_final_b64, char *err,
                size_t errlen)
{
    unsigned char raw[512], v[SHA_LEN + 8];
    long n = pf_b64_decode(server_final_b64, raw, sizeof(raw) - 1);
    if (n < 0 || !s->auth_message) {
        snprintf(err, errlen, "server-final message is not base64");
        return -1;
    }
    raw[n] = '\0';
    char *e = attr_value((char *)raw, 'e');
    if (e) {
        snprintf(err, errlen, "server reports error '%s'", e);
        free(e);
        return -1;
    }
    char *vb = attr_value((char *)raw, 'v');
    long vl = vb ? pf_b64_decode(vb, v, sizeof(v)) : -1;
    free(vb);
    if (vl != SHA_LEN || sodium_memcmp(v, s->server_sig, SHA_LEN) != 0) {
        snprintf(err, errlen,
                 "server signature does not match: the server does not "
                 "know the password");
        return -1;
    }
    return 0;
}

void
pf_scram_free(struct pf_scram *s)
{
    if (!s)
        return;
    free(s->client_first_bare);
    free(s->nonce);
    if (s->auth_message) {
        sodium_memzero(s->auth_message, strlen(s->auth_message));
        free(s->auth_message);
    }
    sodium_free(s->server_sig);
    free(s);
}
