/*
 * cli.h - the pokerface subcommands and what they share: loading the
 * configuration and the engine, terminal colours, printing findings.
 *
 * Exit codes: 0 pass/note (or success), 1 hold/block, 2 usage,
 * configuration or input error (the message was not checked).
 */
#ifndef PF_CLI_H
#define PF_CLI_H

#include <stdio.h>

#include "base/config.h"
#include "core/engine.h"

#define PF_EXIT_OK 0
#define PF_EXIT_HELD 1
#define PF_EXIT_ERROR 2

int pf_cmd_check(int argc, char **argv);
int pf_cmd_eval(int argc, char **argv);
int pf_cmd_bench(int argc, char **argv);
int pf_cmd_run(int argc, char **argv);
int pf_cmd_train(int argc, char **argv);
int pf_cmd_keygen(int argc, char **argv);
int pf_cmd_queue(int argc, char **argv);
int pf_cmd_status(int argc, char **argv);
int pf_cmd_web_login(int argc, char **argv);

/* A loaded configuration with its engine. */
struct pf_cli_env {
    struct pf_paths paths;
    struct pf_config cfg;
    struct pf_engine engine;
    int have_cfg, have_engine;
    char *state_dir; /* for `run`: where plugins and the journal keep state */
};

/* Load config_path (NULL: the default next to the binary) and open the
   engine. Prints the error and returns PF_EXIT_ERROR on failure. */
int pf_cli_open(struct pf_cli_env *env, const char *config_path);
/*
 * The same with a state directory (pokerface run): the config's
 * "state_dir", else $STATE_DIRECTORY (systemd), $XDG_STATE_HOME/pokerface
 * or ~/.local/state/pokerface; created 0700. A state directory that
 * another user owns or may write to is refused, with the fix. The
 * plugins are loaded, not created: pf_engine_isolate() does that.
 */
int pf_cli_open_state(struct pf_cli_env *env, const char *config_path);
/* mkdir -p, 0700 for what it makes; 0 or -1 with errno */
int pf_cli_mkdirs(const char *path);
void pf_cli_close(struct pf_cli_env *env);
/* The state directory config_path gives `run` (not created, no engine
   opened); NULL after printing why. */
char *pf_cli_state_dir(const char *config_path);
/* The same, and the journal's key file in *key_path (both new strings) */
char *pf_cli_state_paths(const char *config_path, char **key_path);

/*
 * pokerface queue history (cli/history.c): the holds in the history and
 * what became of them, filtered (each filter may be NULL).
 */
int pf_cli_queue_history(const char *config, int json, const char *since,
                         const char *author, const char *label);

/* Colour on this stream? (a terminal, and NO_COLOR unset) */
int pf_cli_color(FILE *f);

/*
 * Print text with the spans of every finding in r highlighted: bold red
 * on a terminal, [[like this]] otherwise.
 */
void pf_cli_highlight(FILE *f, const char *text, size_t len,
                      const struct pf_result *r, int color);

/* Print the human report of one result. */
void pf_cli_report(FILE *f, const struct pf_result *r, int color);

/* Usage error: "pokerface CMD: MESSAGE" + "try 'pokerface CMD --help'". */
int pf_cli_usage_error(const char *cmd, const char *fmt, ...)
    PF_ATTR_PRINTF(2, 3);

#endif
