/*
 * host.h - the services table (struct pf_host) handed to plugins, and the
 * per-instance context behind struct pf_hctx.
 */
#ifndef PF_HOST_H
#define PF_HOST_H

#include <jansson.h>

#include "base/arena.h"
#include "base/util.h"
#include "pokerface/plugin.h"
#include "text/stem.h"

/* Shared by every instance of a pipeline. */
struct pf_hostsvc {
    struct pf_stem *stem;
    struct pf_arena scratch; /* casefold/tokenize work, reset per call */
};

/*
 * One step of a configuration path a plugin asked for while create() ran:
 * the member key (or element index) of the object (or array) in. how is
 * the most that was done with it: asked for and absent, found (and looked
 * into, as cfg_len() and paths through it do), or read as one value.
 */
enum { PF_CFG_MISSING = 0, PF_CFG_FOUND = 1, PF_CFG_VALUE = 2 };
struct pf_cfg_mark {
    const json_t *in;
    char *key; /* NULL: an array element */
    size_t index;
    int how;
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
    /* while recording (create()): what the getters were asked for */
    int recording;
    int read_whole; /* cfg_json() was called: the plugin read it all */
    struct pf_cfg_mark *marks;
    size_t n_marks, cap_marks;
};

extern const struct pf_host pf_host_table;

/* config is borrowed (a reference is taken); state_dir may be NULL. */
struct pf_hctx *pf_hctx_new(const char *name, json_t *config,
                            const char *base_dir, const char *data_dir,
                            const char *state_dir, struct pf_hostsvc *svc);
void pf_hctx_free(struct pf_hctx *h);

/*
 * Record what the cfg_* getters are asked for (on: from now, forgetting
 * what was recorded before; off: stop). The pipeline records around
 * create(), so that a key the plugin never read can be reported
 * (pf_plugin_config_check()); nothing is recorded afterwards.
 */
void pf_hctx_record(struct pf_hctx *h, int on);
/* Count the key at path (and all inside it) as read: the plugin
   declares it (struct pf_plugin.config_keys). */
void pf_hctx_declare(struct pf_hctx *h, const char *path);

void pf_hostsvc_init(struct pf_hostsvc *s);
void pf_hostsvc_release(struct pf_hostsvc *s);

/*
 * Look up a dotted path ("a.b[2].c") in a JSON object; NULL when absent or
 * malformed.
 */
json_t *pf_json_path(json_t *root, const char *path);

#endif
