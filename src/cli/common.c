/*
 * common.c - what the subcommands share: configuration loading, colour,
 * highlighting findings in the text and the human-readable report.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "cli/cli.h"

static int open_env(struct pf_cli_env *env, const char *config_path,
                    int with_state);

int
pf_cli_open(struct pf_cli_env *env, const char *config_path)
{
    return open_env(env, config_path, 0);
}

int
pf_cli_open_state(struct pf_cli_env *env, const char *config_path)
{
    return open_env(env, config_path, 1);
}

int
pf_cli_mkdirs(const char *path)
{
    char *p = pf_xstrdup(path);
    int rc = 0;
    for (char *q = p + 1; *q && rc == 0; q++) {
        if (*q != '/')
            continue;
        *q = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            rc = -1;
        *q = '/';
    }
    if (rc == 0 && mkdir(p, 0700) != 0 && errno != EEXIST)
        rc = -1;
    free(p);
    return rc;
}

/*
 * May the bot trust dir with its journal, key and control socket? Only if
 * nobody else can change what is in it: a directory owned by the user
 * pokerface runs as, writable by no one else. 0 or -1 with err set.
 */
static int
trusted_state_dir(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        pf_snprintf(err, errlen, "state directory '%s': %s", dir,
                    strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        pf_snprintf(err, errlen, "state directory '%s' is not a directory",
                    dir);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        pf_snprintf(err, errlen,
                    "state directory '%s' is owned by uid %u, not by the "
                    "user pokerface runs as (uid %u); another user could "
                    "replace its journal or control socket (chown %u '%s', "
                    "or use another state_dir)",
                    dir, (unsigned)st.st_uid, (unsigned)geteuid(),
                    (unsigned)geteuid(), dir);
        return -1;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        pf_snprintf(err, errlen,
                    "state directory '%s' is writable by %s (mode %03o); "
                    "they could replace its journal or control socket "
                    "(chmod 700 '%s')",
                    dir, (st.st_mode & S_IWOTH) ? "everyone" : "its group",
                    (unsigned)(st.st_mode & 0777), dir);
        return -1;
    }
    return 0;
}

static char *
default_state_dir(void)
{
    const char *s = getenv("STATE_DIRECTORY"); /* systemd StateDirectory= */
    if (s && *s == '/')
        return pf_xstrndup(s, strcspn(s, ":"));
    if ((s = getenv("XDG_STATE_HOME")) && *s == '/')
        return pf_path_join(s, "pokerface");
    if ((s = getenv("HOME")) && *s == '/')
        return pf_path_join(s, ".local/state/pokerface");
    return NULL;
}

char *
pf_cli_state_dir(const char *config_path)
{
    return pf_cli_state_paths(config_path, NULL);
}

char *
pf_cli_state_paths(const char *config_path, char **key_path)
{
    struct pf_paths paths;
    struct pf_config cfg;
    char err[1024];
    char *def = NULL, *dir = NULL;
    if (key_path)
        *key_path = NULL;
    pf_paths_detect(&paths);
    if (!config_path)
        config_path = def = pf_config_default_path(&paths);
    if (pf_config_load(&cfg, config_path, &paths, err, sizeof(err)) != 0) {
        fprintf(stderr, "pokerface: configuration error: %s\n", err);
    } else {
        dir = cfg.state_dir ? pf_xstrdup(cfg.state_dir) : default_state_dir();
        if (!dir)
            fprintf(stderr, "pokerface: no state directory: set "
                            "\"state_dir\" in the configuration\n");
        else if (key_path)
            *key_path = cfg.journal_key_file ? pf_xstrdup(cfg.journal_key_file)
                                             : pf_path_join(dir, "journal.key");
        pf_config_release(&cfg);
    }
    free(def);
    pf_paths_release(&paths);
    return dir;
}

static int
open_env(struct pf_cli_env *env, const char *config_path, int with_state)
{
    char err[1024];
    char *def = NULL;
    int rc;

    memset(env, 0, sizeof(*env));
    pf_paths_detect(&env->paths);
    if (!config_path) {
        def = pf_config_default_path(&env->paths);
        if (access(def, R_OK) != 0) {
            fprintf(stderr,
                    "pokerface: no configuration given and the default "
                    "'%s' is missing; pass -c CONFIG\n",
                    def);
            free(def);
            pf_paths_release(&env->paths);
            return PF_EXIT_ERROR;
        }
        config_path = def;
    }
    rc = pf_config_load(&env->cfg, config_path, &env->paths, err, sizeof(err));
    free(def);
    if (rc) {
        fprintf(stderr, "pokerface: configuration error: %s\n", err);
        pf_paths_release(&env->paths);
        return PF_EXIT_ERROR;
    }
    env->have_cfg = 1;
    pf_log_set_level(env->cfg.log_level);
    if (with_state) {
        env->state_dir = env->cfg.state_dir ? pf_xstrdup(env->cfg.state_dir)
                                            : default_state_dir();
        if (!env->state_dir || pf_cli_mkdirs(env->state_dir) != 0) {
            fprintf(stderr,
                    "pokerface: cannot use the state directory '%s': %s; set "
                    "\"state_dir\" in the configuration\n",
                    env->state_dir ? env->state_dir : "(none: no $HOME)",
                    env->state_dir ? strerror(errno) : "nowhere to keep it");
            pf_cli_close(env);
            return PF_EXIT_ERROR;
        }
        if (trusted_state_dir(env->state_dir, err, sizeof(err)) != 0) {
            fprintf(stderr, "pokerface: %s\n", err);
            pf_cli_close(env);
            return PF_EXIT_ERROR;
        }
    }
    /* run creates the plugins in a worker process (pf_engine_isolate) */
    rc = with_state ? pf_engine_load(&env->engine, &env->cfg, env->state_dir,
                                     err, sizeof(err))
                    : pf_engine_open(&env->engine, &env->cfg, env->state_dir,
                                     err, sizeof(err));
    if (rc) {
        fprintf(stderr, "pokerface: %s\n", err);
        pf_cli_close(env);
        return PF_EXIT_ERROR;
    }
    env->have_engine = 1;
    return PF_EXIT_OK;
}

void
pf_cli_close(struct pf_cli_env *env)
{
    if (env->have_engine)
        pf_engine_close(&env->engine);
    if (env->have_cfg)
        pf_config_release(&env->cfg);
    pf_paths_release(&env->paths);
    free(env->state_dir);
    memset(env, 0, sizeof(*env));
}

int
pf_cli_color(FILE *f)
{
    const char *nc = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    if (nc && *nc)
        return 0;
    if (term && strcmp(term, "dumb") == 0)
        return 0;
    return isatty(fileno(f));
}

int
pf_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "pokerface %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\ntry 'pokerface %s --help'\n", cmd);
    return PF_EXIT_ERROR;
}

void
pf_cli_highlight(FILE *f, const char *text, size_t len,
                 const struct pf_result *r, int color)
{
    /* mark every byte covered by a span of a finding that acted */
    unsigned char *mark = calloc(len + 1, 1);
    if (!mark)
        return;
    for (size_t i = 0; i < r->n_found; i++) {
        const struct pf_finding *fd = &r->found[i].f;
        if (r->found[i].action == PF_ACT_PASS)
            continue;
        for (uint32_t k = 0; k < fd->n_spans; k++)
            for (uint32_t b = 0; b < fd->spans[k].len; b++)
                if ((size_t)fd->spans[k].off + b < len)
                    mark[fd->spans[k].off + b] = 1;
    }
    int on = 0;
    for (size_t i = 0; i < len; i++) {
        if (mark[i] != on) {
            if (color)
                fputs(mark[i] ? "\033[1;31m" : "\033[0m", f);
            else
                fputs(mark[i] ? "[[" : "]]", f);
            on = mark[i];
        }
        fputc(text[i], f);
    }
    if (on)
        fputs(color ? "\033[0m" : "]]", f);
    free(mark);
}

static const char *
action_color(int action)
{
    switch (action) {
    case PF_ACT_PASS: return "\033[32m";
    case PF_ACT_NOTE: return "\033[33m";
    default: return "\033[1;31m";
    }
}

void
pf_cli_report(FILE *f, const struct pf_result *r, int color)
{
    const char *reset = color ? "\033[0m" : "";
    fprintf(f, "%s%s%s", color ? action_color(r->action) : "",
            pf_action_name(r->action), reset);
    if (r->n_found)
        fprintf(f, "  score %.2f", r->score);
    fputc('\n', f);
    for (size_t i = 0; i < r->n_found; i++) {
        const struct pf_found *x = &r->found[i];
        fprintf(f, "  %s%-5s%s %.2f  %s  (%s)\n",
                color ? action_color(x->action) : "", pf_action_name(x->action),
                reset, x->f.score, x->f.label, x->plugin);
        if (x->f.reason[0])
            fprintf(f, "        %s\n", x->f.reason);
        if (x->f.suggestion[0])
            fprintf(f, "        suggestion: %s\n", x->f.suggestion);
    }
    if (r->n_found) {
        fputs("  > ", f);
        /* the text, one line per line, highlighted */
        const char *t = r->msg->text;
        size_t len = r->msg->text_len;
        pf_cli_highlight(f, t, len, r, color);
        fputc('\n', f);
    }
}
