/*
 * reload.h - pokerface run on SIGHUP: the configuration, the plugins,
 * their lexicons and models loaded again while the bot stays connected
 * and every hold stays held.
 *
 * The new configuration is loaded and validated, and a new engine is made
 * from it, its plugins created in a worker process of their own, while
 * the old one still runs; only when all of that worked does the relay
 * switch to them, and the old engine's worker is let go. Anything that
 * fails (a configuration error, a plugin that will not start, a lexicon
 * with a bad line) is logged with its error and changes nothing. The
 * switch happens on the bot's thread between two events, and a check is
 * always answered within the event that asked for it, so no check is in
 * flight when the engine changes.
 *
 * A plugin's shared object is the exception: while its old code is
 * loaded, dlopen() of the same path gives that code, even when the file
 * was replaced since; the log says so (its code needs a restart; its
 * configuration, lexicons and models are new all the same).
 *
 * Settings that cannot change under a running connection keep their old
 * value, and the log says which ones need a restart: the connector (its
 * account, server and everything else in "connector"), state_dir,
 * journal_key_file, and which rooms the routes pair (route names and
 * rooms; what a route does with them can change).
 */
#ifndef PF_RELOAD_H
#define PF_RELOAD_H

#include "cli/cli.h"
#include "core/relay.h"

struct pf_reloader {
    const char *config_path; /* borrowed */
    struct pf_cli_env *env;  /* what pokerface run started with */
    int verbose;             /* -v: debug lines whatever log_level says */
    struct pf_relay *relay;
    /* what the relay uses now: env's, or (owned) a reload's */
    struct pf_config *cfg;
    struct pf_engine *engine;
    int owned;
};

/*
 * Load everything again and switch to it (see above). Returns PF_OK when
 * the relay runs on the new configuration, else an error (logged; the
 * old one stays). The configuration and engine replaced are released;
 * env's are released in env (its have_cfg and have_engine cleared), so
 * pf_cli_close() does not release them again.
 */
int pf_reload(struct pf_reloader *rl);

/* Release what a reload made (at the end of pokerface run). */
void pf_reload_release(struct pf_reloader *rl);

#endif
