/*
 * testutil.c - see testutil.h.
 */
#define _XOPEN_SOURCE 700
#include "testutil.h"

#include <ftw.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"

const char *
tu_build(void)
{
    const char *b = getenv("PF_BUILD");
    return b && *b ? b : "build";
}

const char *
tu_fixture_dir(void)
{
    static char buf[4096];
    snprintf(buf, sizeof(buf), "%s/tests/plugins", tu_build());
    return buf;
}

void
tu_paths(struct pf_paths *p, const char *plugin_dir)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s/plugins", tu_build());
    p->plugin_dir = pf_xstrdup(plugin_dir ? plugin_dir : buf);
    snprintf(buf, sizeof(buf), "%s/share/pokerface", tu_build());
    p->data_dir = pf_xstrdup(buf);
}

int
tu_config(struct pf_config *c, const char *json, const char *plugin_dir,
          char *err, size_t errlen)
{
    struct pf_paths p;
    char e[1024] = "";
    tu_paths(&p, plugin_dir);
    int rc = pf_config_load_string(c, json, "test.json", ".", &p, e, sizeof(e));
    pf_paths_release(&p);
    if (err)
        snprintf(err, errlen, "%s", e);
    return rc;
}

void
tu_engine_open(struct tu_engine *t, const char *json, const char *plugin_dir)
{
    char err[1024];
    int rc = tu_config(&t->cfg, json, plugin_dir, err, sizeof(err));
    ck_assert_msg(rc == 0, "config: %s", err);
    rc = pf_engine_open(&t->e, &t->cfg, NULL, err, sizeof(err));
    ck_assert_msg(rc == 0, "engine: %s", err);
    t->e.complete = 1; /* tests look at every finding */
}

void
tu_engine_close(struct tu_engine *t)
{
    pf_engine_close(&t->e);
    pf_config_release(&t->cfg);
}

int
tu_check_ctx(struct tu_engine *t, const char *text, const char *customer,
             struct pf_result *r)
{
    struct pf_input in;
    char err[256];
    const char *ctx[1] = {customer};
    memset(&in, 0, sizeof(in));
    in.text = text;
    in.len = strlen(text);
    if (customer) {
        in.context = ctx;
        in.n_context = 1;
    }
    int rc = pf_engine_check(&t->e, &in, r, err, sizeof(err));
    ck_assert_msg(rc == 0, "check '%s': %s", text, err);
    return r->action;
}

int
tu_check(struct tu_engine *t, const char *text, struct pf_result *r)
{
    return tu_check_ctx(t, text, NULL, r);
}

const struct pf_found *
tu_find(const struct pf_result *r, const char *label)
{
    for (size_t i = 0; i < r->n_found; i++)
        if (strcmp(r->found[i].f.label, label) == 0)
            return &r->found[i];
    return NULL;
}

int
tu_span_is(const struct pf_result *r, const char *text, const char *word)
{
    const char *at = strstr(text, word);
    if (!at)
        return 0;
    uint32_t off = (uint32_t)(at - text), len = (uint32_t)strlen(word);
    for (size_t i = 0; i < r->n_found; i++)
        for (uint32_t k = 0; k < r->found[i].f.n_spans; k++)
            if (r->found[i].f.spans[k].off == off &&
                r->found[i].f.spans[k].len == len)
                return 1;
    return 0;
}

char *
tu_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *p =
        pf_xasprintf("%s/pokerface-test-XXXXXX", base && *base ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(p));
    return p;
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void
tu_rmrf(const char *path)
{
    nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

char *
tu_read(const char *path, size_t *n)
{
    struct pf_buf b = PF_BUF_INIT;
    ck_assert_msg(pf_read_file(path, 64u << 20, &b) == 0, "cannot read %s",
                  path);
    pf_buf_grow(&b, 1);
    b.data[b.len] = '\0';
    *n = b.len;
    return b.data;
}

void
tu_write(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

void
tu_copy(const char *from, const char *to, unsigned mode)
{
    size_t n;
    char *d = tu_read(from, &n);
    tu_write(to, d, n);
    chmod(to, mode);
    free(d);
}

int
tu_has_bytes(const char *data, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(data + i, needle, k) == 0)
            return 1;
    return 0;
}

int
tu_seccomp(long nr, unsigned what)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, what),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof(f) / sizeof(f[0]), f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
        return -1;
    return 0;
}

void
tu_child_ok(int pid, const char *who)
{
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s %s %d", who,
                  WIFSIGNALED(st) ? "was killed by signal" : "exited with",
                  WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}
