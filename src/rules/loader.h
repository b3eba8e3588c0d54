/*
 * loader.h - loading one plugin shared object safely: path and permission
 * checks, dlopen(RTLD_NOW | RTLD_LOCAL), the entry symbol, ABI version and
 * struct size checks, required callbacks and a valid name.
 */
#ifndef PF_LOADER_H
#define PF_LOADER_H

#include <stddef.h>

#include "pokerface/plugin.h"

struct pf_loaded {
    void *dl;
    struct pf_plugin p; /* host copy: min(size) bytes, the rest zero */
    char *path;
    /*
     * The file the running code came from: its device, inode and time of
     * change. dlopen() of a path already open gives the code loaded
     * then, even when the file was replaced since (a reload while the
     * old handle is open): pf_loader_same_code() tells.
     */
    unsigned long long dev, ino;
    long long ctime_ns;
};

/*
 * Load dir/file. file must be a plain file name; a symbolic link is
 * followed only to a file directly in dir. On failure returns a
 * negative PF_E* code and writes a message naming the file and the problem
 * into err, e.g. "plugin 'x.so': built for plugin ABI 1.3, newer than this
 * pokerface (1.0); upgrade pokerface or rebuild the plugin".
 */
int pf_loader_open(struct pf_loaded *lp, const char *dir, const char *file,
                   char *err, size_t errlen);

/*
 * now was opened while old was still loaded. Returns 1 when both run the
 * same code (one handle) but the file now holds something else: that
 * code is not the file's, and takes a restart. now is given old's file
 * identity (the code's), so the next reload still knows. 0 otherwise.
 */
int pf_loader_stale(struct pf_loaded *now, const struct pf_loaded *old);

/* Unload (dlclose). Only after every instance was destroyed. */
void pf_loader_close(struct pf_loaded *lp);

/*
 * Refuse a file or directory that others could have replaced: writable by
 * group or others, or owned by someone other than root or the current
 * user. Returns PF_OK or PF_EINVAL with a message.
 */
int pf_loader_check_perms(const char *path, int want_dir, char *err,
                          size_t errlen);

#endif
