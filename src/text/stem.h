/*
 * stem.h - Snowball stemmers (libstemmer) for Finnish and English, created
 * on first use. Words must be lower case already (casefold first).
 */
#ifndef PF_STEM_H
#define PF_STEM_H

#include <stddef.h>

struct pf_stem;

struct pf_stem *pf_stem_new(void);
void pf_stem_free(struct pf_stem *st);

/*
 * Stem word[0..len) in lang ("fi" or "en"). snprintf-like: writes at most
 * cap bytes including the NUL, returns the stem's full length, or a
 * negative PF_E* code (PF_ENOTSUP for another language).
 */
long pf_stem(struct pf_stem *st, const char *lang, const char *word, size_t len,
             char *out, size_t cap);

#endif
