/*
 * testutil.h - helpers shared by the Check suites: where the build put
 * things, engines made from a JSON config string, temporary directories.
 */
#ifndef PF_TESTUTIL_H
#define PF_TESTUTIL_H

#include <check.h>

#include "base/config.h"
#include "core/engine.h"

/* Directory of the build ($PF_BUILD, default "build"). */
const char *tu_build(void);
/* build/tests/plugins: the fixture plugins. */
const char *tu_fixture_dir(void);

/* paths with plugin_dir = dir (NULL: build/plugins), data_dir = build's */
void tu_paths(struct pf_paths *p, const char *plugin_dir);

/*
 * Load a config from a JSON string; on failure copy the error into err
 * (if given) and return the PF_E* code.
 */
int tu_config(struct pf_config *c, const char *json, const char *plugin_dir,
              char *err, size_t errlen);

/* A config + engine in one, for behaviour tests. */
struct tu_engine {
    struct pf_config cfg;
    struct pf_engine e;
};
/* Abort the test on failure (ck_assert). */
void tu_engine_open(struct tu_engine *t, const char *json,
                    const char *plugin_dir);
void tu_engine_close(struct tu_engine *t);
/* Check text; returns the action, fills r. */
int tu_check(struct tu_engine *t, const char *text, struct pf_result *r);
/* ... with one customer message as context */
int tu_check_ctx(struct tu_engine *t, const char *text, const char *customer,
                 struct pf_result *r);
/* The finding with this label, or NULL. */
const struct pf_found *tu_find(const struct pf_result *r, const char *label);
/* Does some finding's span cover exactly this substring of text? */
int tu_span_is(const struct pf_result *r, const char *text, const char *word);

/* mkdtemp under $TMPDIR; the caller removes it with tu_rmrf(). */
char *tu_tmpdir(void);
void tu_rmrf(const char *path);
/* a whole file, NUL-terminated, its length in *n (free it) */
char *tu_read(const char *path, size_t *n);
void tu_write(const char *path, const void *data, size_t n);
/* 1 when the n bytes at data hold needle anywhere */
int tu_has_bytes(const char *data, size_t n, const char *needle);
/* copy a file, keeping nothing but the bytes; mode applied after */
void tu_copy(const char *from, const char *to, unsigned mode);
/* In a child process: from now on, system call nr gets what (a seccomp
   return: SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_ERRNO | EIO, ...), in
   this thread and those it starts. 0 when the filter is on. */
int tu_seccomp(long nr, unsigned what);
/* Wait for child pid; fails the test unless it exited 0, naming how it
   ended (each exit status means what the test says). */
void tu_child_ok(int pid, const char *who);

Suite *suite_text(void);
Suite *suite_segment(void);
Suite *suite_config(void);
Suite *suite_loader(void);
Suite *suite_pipeline(void);
Suite *suite_policy(void);
Suite *suite_backstage(void);
Suite *suite_coach(void);
Suite *suite_learned(void);
Suite *suite_echo(void);
Suite *suite_journal(void);
Suite *suite_history(void);
Suite *suite_example(void);
Suite *suite_xmpp_wire(void);
Suite *suite_idset(void);
Suite *suite_log(void);
Suite *suite_display(void);
Suite *suite_mattermost(void);
Suite *suite_slack(void);
Suite *suite_relay(void);
Suite *suite_hostile(void);
Suite *suite_state(void);
Suite *suite_catchup(void);
Suite *suite_confcheck(void);
Suite *suite_worker(void);

#endif
