/*
 * sasl.h - the SASL mechanisms the XMPP connector speaks: PLAIN (RFC 4616)
 * and SCRAM-SHA-256 (RFC 5802, RFC 7677), on libsodium's SHA-256 and
 * HMAC-SHA-256. SCRAM also proves the server knows the password, so a
 * man in the middle on a plain connection learns nothing reusable.
 *
 * All messages in and out are base64 (the XMPP encoding). Secrets live in
 * sodium_malloc'd memory and are wiped when the exchange is released.
 */
#ifndef PF_SASL_H
#define PF_SASL_H

#include <stddef.h>

/* base64 of "\0user\0password" into a new string (free with free()). */
char *pf_sasl_plain(const char *user, const char *password);

struct pf_scram;

/*
 * Start SCRAM-SHA-256 for user. nonce is the client nonce (NULL: 24
 * random bytes, base64); tests pass the RFC's. *first gets the base64
 * client-first message (free with free()).
 */
struct pf_scram *pf_scram_start(const char *user, const char *nonce,
                                char **first);

/*
 * Answer the server-first message (base64) with the client-final message
 * (base64, *final, free with free()). Returns 0, or -1 with err set (bad
 * message, a nonce the server did not extend, too few or too many
 * iterations).
 */
int pf_scram_final(struct pf_scram *s, const char *password,
                   const char *server_first_b64, char **final, char *err,
                   size_t errlen);

/* Check the server-final message (base64 "v=..."): 0 when the server
   proved it knows the password, -1 otherwise. */
int pf_scram_verify(struct pf_scram *s, const char *server_final_b64, char *err,
                    size_t errlen);

void pf_scram_free(struct pf_scram *s);

/* base64 helpers (RFC 4648, padded); decode returns the length or -1 */
char *pf_b64_encode(const void *data, size_t len);
long pf_b64_decode(const char *b64, unsigned char *out, size_t cap);

#endif
