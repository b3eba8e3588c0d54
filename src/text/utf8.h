/*
 * utf8.h - strict UTF-8 validation and decoding (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). NUL bytes are refused too: no
 * message text legitimately contains one and C strings would cut there.
 */
#ifndef PF_UTF8_H
#define PF_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Check s[0..len). Returns 1 when valid; otherwise 0 with *bad_off set to
 * the offset of the first byte that starts an invalid sequence.
 */
int pf_utf8_valid(const char *s, size_t len, size_t *bad_off);

/*
 * Decode the character at s (which must be valid UTF-8 with at least one
 * byte left). Returns its length in bytes and stores the code point.
 */
size_t pf_utf8_decode(const unsigned char *s, int32_t *cp);

/* Describe the invalid sequence at s[off] for an error message:
   "byte 0xff at offset 12" or "NUL byte at offset 3". */
void pf_utf8_describe(const char *s, size_t len, size_t off, char *out,
                      size_t cap);

#endif
