/*
 * host.h - the services table (struct pf_host) handed to plugins, and the
 * per-instance context behind struct pf_hctx.
 */
#ifndef PF_HOST_H
#define PF_HOST_H

#include <jansson.h>

#include "core/arena.h"
#include "core/util.h"
#include "pokerface/plugin.h"
#include "text/stem.h"

/* Shared by every instance of a pipeline. */
struct pf_hostsvc {
    struct pf_stem *stem;
    struct pf_arena scratch; /* casefold/tokenize work, reset per call */
};

struct pf_hctx {
    char *name;        /* instance name, for log lines */
    json_t *config;    /* the instance's "config" block or NULL; owned ref */
    char *config_json; /* cfg_json() result, made on first use */
    char *base_dir;    /* config file directory */
    char *data_dir;
    char *state_dir; /* may be NULL */
    struct pf_hostsvc *svc;
    struct pf_buf *capture; /* while set, debug/info log lines go here */
    char **paths;           /* cfg_path() results, freed with the context */
    size_t n_paths;
};

extern const struct pf_host pf_host_table;

/* config is borrowed (a reference is taken); state_dir may be NULL. */
struct pf_hctx *pf_hctx_new(const char *name, json_t *config,
                            const char *base_dir, const char *data_dir,
                            const char *state_dir, struct pf_hostsvc *svc);
void pf_hctx_free(struct pf_hctx *h);

void pf_hostsvc_init(struct pf_hostsvc *s);
void pf_hostsvc_release(struct pf_hostsvc *s);

/*
 * Look up a dotted path ("a.b[2].c") in a JSON object; NULL when absent or
 * malformed.
 */
json_t *pf_json_path(json_t *root, const char *path);

#endif
