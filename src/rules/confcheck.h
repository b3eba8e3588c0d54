/*
 * confcheck.h - what the configuration asks of the plugins, checked
 * against what they read and what they declare, so that a typo is an
 * error naming its key instead of a setting silently ignored:
 *
 *  - a key in a plugin's "config" block that the plugin never read while
 *    create() ran (the host records what its getters are asked for, see
 *    pf_hctx_record()), nor declared in struct pf_plugin.config_keys;
 *  - a policy.labels rule that no loaded plugin can report, judged by
 *    the labels plugins declare (struct pf_plugin.labels, ABI 1.2), and
 *    a rule for a label of the host's own ("pokerface.*") it does not
 *    have.
 *
 * Messages read like the configuration's own: "FILE: KEY.PATH: what".
 */
#ifndef PF_CONFCHECK_H
#define PF_CONFCHECK_H

#include <stddef.h>

#include "base/config.h"
#include "rules/host.h"
#include "rules/loader.h"

/*
 * After create() returned PF_OK with recording on: the first key of h's
 * config block that the plugin neither read nor declares, reported as
 * "FILE: WHERE.KEY: unknown key for plugin 'NAME' (did you mean 'X'?)".
 * where is the block's path in the configuration ("plugins[1].config").
 * A plugin that read the block with cfg_json() and declares nothing is
 * not checked. Returns PF_OK or PF_EINVAL with err set.
 */
int pf_plugin_config_check(struct pf_hctx *h, const struct pf_plugin *p,
                           const char *file, const char *where, char *err,
                           size_t errlen);

/*
 * Every rule of cfg->policy.labels can match a label that some loaded
 * plugin (libs) reports. A plugin that declares no labels could report
 * anything, so while one is loaded only rules that fall in a declaring
 * plugin's namespace (the part of its labels before the first '.') are
 * judged; rules naming a disabled plugin are left alone. Returns PF_OK or
 * PF_EINVAL with err naming the rule and the closest known label.
 */
int pf_label_rules_check(const struct pf_loaded *libs, size_t n_libs,
                         const struct pf_config *cfg, char *err, size_t errlen);

/* The labels the host itself reports ("pokerface.plugin_error", ...),
   NULL-terminated. */
extern const char *const pf_host_labels[];

#endif
