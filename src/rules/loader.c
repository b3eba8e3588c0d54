/*
 * loader.c - see loader.h.
 *
 * The order of checks matters for the messages: a file that is not there
 * or could have been tampered with is refused before dlopen() runs any of
 * its constructors. The entry symbol carries the ABI major in its name, so
 * a plugin for another major is recognized as such rather than misread.
 * The host keeps its own zero-extended copy of the plugin's struct: members
 * a plugin built for an older minor does not know about read as NULL.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "rules/loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/config.h"
#include "base/util.h"

/* the smallest struct pf_plugin a 1.x plugin can have: up to learn */
#define V1_0_SIZE (offsetof(struct pf_plugin, learn) + sizeof(void (*)(void)))

int
pf_loader_check_perms(const char *path, int want_dir, char *err, size_t errlen)
{
    struct stat st;
    const char *what = want_dir ? "plugin directory" : "plugin";
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            pf_snprintf(err, errlen, "%s '%s': no such %s", what, path,
                        want_dir ? "directory" : "file");
        else
            pf_snprintf(err, errlen, "%s '%s': %s", what, path,
                        strerror(errno));
        return errno == ENOENT ? PF_ENOTFOUND : PF_ERR;
    }
    if (want_dir && !S_ISDIR(st.st_mode)) {
        pf_snprintf(err, errlen, "%s '%s': not a directory", what, path);
        return PF_EINVAL;
    }
    if (!want_dir && !S_ISREG(st.st_mode)) {
        pf_snprintf(err, errlen, "%s '%s': not a regular file", what, path);
        return PF_EINVAL;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        pf_snprintf(err, errlen,
                    "%s '%s': writable by %s (mode %03o); refusing to load "
                    "code others can replace (chmod go-w)",
                    what, path,
                    (st.st_mode & S_IWOTH) ? "everyone" : "its group",
                    (unsigned)(st.st_mode & 0777));
        return PF_EINVAL;
    }
    if (st.st_uid != 0 && st.st_uid != geteuid()) {
        pf_snprintf(err, errlen,
                    "%s '%s': owned by uid %u, neither root nor the user "
                    "running pokerface (uid %u); refusing to load it",
                    what, path, (unsigned)st.st_uid, (unsigned)geteuid());
        return PF_EINVAL;
    }
    return PF_OK;
}

/*
 * The real path of path (dir/file), when it lies directly in the real
 * dir; else NULL with err naming both. Loading the real path, not path,
 * means a link swapped after this check is not followed again.
 */
static char *
confined(const char *dir, const char *path, char *err, size_t errlen)
{
    char *rdir = realpath(dir, NULL), *real = realpath(path, NULL);
    char *rparent = real ? pf_dirname(real) : NULL;
    if (!rdir || !real) {
        pf_snprintf(err, errlen, "plugin '%s': cannot resolve its path: %s",
                    path, strerror(errno));
    } else if (strcmp(rparent, rdir) != 0) {
        pf_snprintf(err, errlen,
                    "plugin '%s': a link to '%s', outside the plugin "
                    "directory '%s'; refusing to load it (plugins are loaded "
                    "only from that directory)",
                    path, real, rdir);
    } else {
        free(rdir);
        free(rparent);
        return real;
    }
    free(rdir);
    free(rparent);
    free(real);
    return NULL;
}

int
pf_loader_open(struct pf_loaded *lp, const char *dir, const char *file,
               char *err, size_t errlen)
{
    typedef const struct pf_plugin *(*entry_fn)(void);
    const struct pf_plugin *p;
    char *path;
    void *dl;
    int rc;

    memset(lp, 0, sizeof(*lp));
    if (!*file || strchr(file, '/') || strlen(file) > 255) {
        pf_snprintf(err, errlen,
                    "plugin '%s': must be a file name in the plugin "
                    "directory",
                    file);
        return PF_EINVAL;
    }
    if ((rc = pf_loader_check_perms(dir, 1, err, errlen)))
        return rc;
    path = pf_path_join(dir, file);
    if ((rc = pf_loader_check_perms(path, 0, err, errlen))) {
        free(path);
        return rc;
    }
    /* a symbolic link may point elsewhere in the plugin directory, never
       out of it: what is loaded is what the checks above and the
       directory's permissions vouch for */
    char *real = confined(dir, path, err, errlen);
    if (!real) {
        free(path);
        return PF_EINVAL;
    }
    if ((rc = pf_loader_check_perms(real, 0, err, errlen))) {
        free(real);
        free(path);
        return rc;
    }

    struct stat st;
    if (stat(real, &st) == 0) {
        lp->dev = (unsigned long long)st.st_dev;
        lp->ino = (unsigned long long)st.st_ino;
        lp->ctime_ns =
            (long long)st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
    }
    dlerror();
    dl = dlopen(real, RTLD_NOW | RTLD_LOCAL);
    free(real);
    if (!dl) {
        const char *e = dlerror();
        pf_snprintf(err, errlen,
                    "plugin '%s': cannot load: %s (a missing library is the "
                    "usual cause; try ldd)",
                    path, e ? e : "unknown error");
        free(path);
        return PF_EINVAL;
    }
    entry_fn entry;
    *(void **)&entry = dlsym(dl, PF_ENTRY_SYMBOL);
    if (!entry) {
        /* a plugin for another major exports pf_plugin_entry_vN */
        for (int major = 2; major <= 9; major++) {
            char sym[32];
            snprintf(sym, sizeof(sym), "pf_plugin_entry_v%d", major);
            if (dlsym(dl, sym)) {
                pf_snprintf(err, errlen,
                            "plugin '%s': built for plugin ABI %d, but this "
                            "pokerface speaks ABI %d; rebuild the plugin "
                            "against pokerface/plugin.h %d.x",
                            path, major, PF_ABI_MAJOR, PF_ABI_MAJOR);
                dlclose(dl);
                free(path);
                return PF_ENOTSUP;
            }
        }
        pf_snprintf(err, errlen,
                    "plugin '%s': not a pokerface plugin (no %s symbol; "
                    "build it against pokerface/plugin.h and export that "
                    "function)",
                    path, PF_ENTRY_SYMBOL);
        dlclose(dl);
        free(path);
        return PF_EINVAL;
    }
    p = entry();
    if (!p) {
        pf_snprintf(err, errlen, "plugin '%s': %s() returned NULL", path,
                    PF_ENTRY_SYMBOL);
        goto bad;
    }
    if (p->abi_major != PF_ABI_MAJOR) {
        pf_snprintf(err, errlen,
                    "plugin '%s': wrong ABI major %u from its v%d entry "
                    "point (this pokerface speaks ABI %d); rebuild it",
                    path, p->abi_major, PF_ABI_MAJOR, PF_ABI_MAJOR);
        goto bad;
    }
    if (p->abi_minor > PF_ABI_MINOR) {
        pf_snprintf(err, errlen,
                    "plugin '%s': built for plugin ABI %u.%u, newer than "
                    "this pokerface (%d.%d); upgrade pokerface or rebuild "
                    "the plugin against this version's header",
                    path, p->abi_major, p->abi_minor, PF_ABI_MAJOR,
                    PF_ABI_MINOR);
        goto bad;
    }
    if (p->size < V1_0_SIZE) {
        pf_snprintf(err, errlen,
                    "plugin '%s': struct pf_plugin is %u bytes, smaller "
                    "than ABI 1.0's %zu; it was not built with "
                    "PF_PLUGIN_INIT()",
                    path, p->size, (size_t)V1_0_SIZE);
        goto bad;
    }
    memcpy(&lp->p, p, p->size < sizeof(lp->p) ? p->size : sizeof(lp->p));
    if (!pf_plugin_name_valid(lp->p.name)) {
        pf_snprintf(err, errlen,
                    "plugin '%s': invalid name (use 1 to 31 of a-z 0-9 _ -)",
                    path);
        goto bad;
    }
    {
        const char *missing = !lp->p.create    ? "create"
                              : !lp->p.destroy ? "destroy"
                              : !lp->p.check   ? "check"
                                               : NULL;
        if (missing) {
            pf_snprintf(err, errlen,
                        "plugin '%s' (%s): missing required callback '%s'",
                        path, lp->p.name, missing);
            goto bad;
        }
    }
    if (!lp->p.version)
        lp->p.version = "";
    if (!lp->p.description)
        lp->p.description = "";
    lp->dl = dl;
    lp->path = path;
    return PF_OK;

bad:
    memset(&lp->p, 0, sizeof(lp->p));
    dlclose(dl);
    free(path);
    return PF_EINVAL;
}

int
pf_loader_stale(struct pf_loaded *now, const struct pf_loaded *old)
{
    if (!now->dl || now->dl != old->dl)
        return 0;
    int changed = now->dev != old->dev || now->ino != old->ino ||
                  now->ctime_ns != old->ctime_ns;
    now->dev = old->dev;
    now->ino = old->ino;
    now->ctime_ns = old->ctime_ns;
    return changed;
}

void
pf_loader_close(struct pf_loaded *lp)
{
    if (lp->dl)
        dlclose(lp->dl);
    free(lp->path);
    memset(lp, 0, sizeof(*lp));
}
