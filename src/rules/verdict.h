/*
 * verdict.h - validation of what a plugin wrote into its findings. The
 * host never trusts plugin output: after check() every finding goes through
 * pf_verdict_sanitize() before anything else reads it.
 */
#ifndef PF_VERDICT_H
#define PF_VERDICT_H

#include <stddef.h>

#include "pokerface/plugin.h"

/*
 * Make f safe to use: NUL-terminate and cut label, reason and suggestion
 * at their buffers and at invalid UTF-8, replace a malformed label with
 * fallback_label, cap n_spans and drop spans outside msg->text or off a
 * character boundary. Returns 0, or PF_EINVAL when the score is NaN or
 * infinite (the caller treats that as a failed check: fail closed). A
 * finite score is clamped to [0, 1].
 */
int pf_verdict_sanitize(struct pf_finding *f, const struct pf_msg *msg,
                        const char *fallback_label);

/* Is s a valid label: 1 to PF_LABEL_MAX-1 of [a-z0-9._-]? */
int pf_label_valid(const char *s);

#endif
