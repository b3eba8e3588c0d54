/*
 * reload.c - see reload.h.
 */
#include "cli/reload.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "rules/loader.h"
#include "rules/pipeline.h"

static int
same_str(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static int
same_connector(const struct pf_connector_conf *a,
               const struct pf_connector_conf *b)
{
    return same_str(a->type, b->type) && same_str(a->url, b->url) &&
           same_str(a->jid, b->jid) &&
           same_str(a->password_file, b->password_file) &&
           same_str(a->password_env, b->password_env) &&
           same_str(a->app_token_file, b->app_token_file) &&
           same_str(a->app_token_env, b->app_token_env) &&
           same_str(a->resource, b->resource) && same_str(a->nick, b->nick) &&
           same_str(a->sasl, b->sasl) &&
           a->reconnect_min_ms == b->reconnect_min_ms &&
           a->reconnect_max_ms == b->reconnect_max_ms &&
           a->ping_s == b->ping_s &&
           a->max_stanza_bytes == b->max_stanza_bytes &&
           a->configure_rooms == b->configure_rooms;
}

/* the same routes in the same order: names and the rooms they pair */
static int
same_rooms(const struct pf_config *a, const struct pf_config *b)
{
    if (a->n_routes != b->n_routes)
        return 0;
    for (size_t i = 0; i < a->n_routes; i++) {
        const struct pf_route_conf *x = &a->routes[i], *y = &b->routes[i];
        if (!same_str(x->name, y->name) ||
            !same_str(x->customer_room, y->customer_room) ||
            !same_str(x->internal_room, y->internal_room))
            return 0;
    }
    return 1;
}

#define SWAP(a, b)                                                             \
    do {                                                                       \
        __typeof__(a) t_ = (a);                                                \
        (a) = (b);                                                             \
        (b) = t_;                                                              \
    } while (0)

/*
 * What cannot change while the bot runs keeps its old value in nc (the
 * new values go to a copy of the old configuration, released with it).
 */
static void
keep_fixed(const char *path, struct pf_config *old, struct pf_config *nc)
{
    if (!same_connector(&old->connector, &nc->connector)) {
        pf_warn("reload: %s: \"connector\" changed: needs a restart; "
                "the bot stays connected as before",
                path);
        SWAP(old->connector, nc->connector);
    }
    if (!same_str(old->state_dir, nc->state_dir)) {
        pf_warn("reload: %s: \"state_dir\" changed: needs a restart; "
                "keeping '%s'",
                path, old->state_dir ? old->state_dir : "(the default)");
        SWAP(old->state_dir, nc->state_dir);
    }
    if (!same_str(old->journal_key_file, nc->journal_key_file)) {
        pf_warn("reload: %s: \"journal_key_file\" changed: needs a restart; "
                "the journal keeps its key",
                path);
        SWAP(old->journal_key_file, nc->journal_key_file);
    }
    if (!same_rooms(old, nc)) {
        pf_warn("reload: %s: the routes' names or rooms changed: needs a "
                "restart; the routes stay as they were",
                path);
        SWAP(old->routes, nc->routes);
        SWAP(old->n_routes, nc->n_routes);
    }
}

/* a plugin whose file was replaced while it was loaded runs the old code
   still: dlopen() of a loaded path gives the loaded code */
static void
warn_stale(const struct pf_pipeline *old, struct pf_pipeline *now)
{
    for (size_t i = 0; i < now->n_libs; i++)
        for (size_t k = 0; k < old->n_libs; k++)
            if (pf_loader_stale(&now->libs[i], &old->libs[k]))
                pf_warn("reload: plugin file '%s' was replaced since it was "
                        "loaded: its new code needs a restart (the rules, "
                        "lexicons and models are new, the code is not)",
                        now->libs[i].path);
}

static void
drop_engine(struct pf_engine *e, struct pf_config *c, int owned)
{
    pf_engine_close(e);
    pf_config_release(c);
    if (owned) {
        free(e);
        free(c);
    }
}

int
pf_reload(struct pf_reloader *rl)
{
    char err[1024];
    struct pf_cli_env *env = rl->env;
    struct pf_config *nc = pf_xcalloc(1, sizeof(*nc));
    struct pf_engine *ne = pf_xcalloc(1, sizeof(*ne));
    int rc;

    pf_info("reload: loading '%s' (SIGHUP)", rl->config_path);
    rc = pf_config_load(nc, rl->config_path, &env->paths, err, sizeof(err));
    if (rc == PF_OK && (!nc->have_connector || nc->n_routes == 0)) {
        pf_snprintf(err, sizeof(err), "%s: %s", rl->config_path,
                    !nc->have_connector ? "no \"connector\"" : "no \"routes\"");
        pf_config_release(nc);
        rc = PF_EINVAL;
    }
    if (rc != PF_OK) {
        pf_err("reload refused: configuration error: %s; the running "
               "configuration stays",
               err);
        free(nc);
        free(ne);
        return rc;
    }
    keep_fixed(rl->config_path, rl->cfg, nc);
    /* the plugins of the new configuration, started while the old ones
       still answer */
    rc = pf_engine_load(ne, nc, env->state_dir, err, sizeof(err));
    if (rc == PF_OK && (rc = pf_engine_isolate(ne, err, sizeof(err))) != PF_OK)
        pf_engine_close(ne);
    if (rc != PF_OK) {
        pf_err("reload refused: %s; the running configuration stays", err);
        pf_config_release(nc);
        free(nc);
        free(ne);
        return rc;
    }

    struct pf_config *oc = rl->cfg;
    struct pf_engine *oe = rl->engine;
    int owned = rl->owned;
    warn_stale(oe->pl, ne->pl);
    pf_relay_reload(rl->relay, nc, ne);
    rl->cfg = nc;
    rl->engine = ne;
    rl->owned = 1;
    pf_log_set_level(rl->verbose ? PF_LOG_DEBUG : nc->log_level);
    pf_log_set_format(nc->log_format);
    drop_engine(oe, oc, owned);
    if (!owned)
        env->have_cfg = env->have_engine = 0;
    pf_info("reloaded: %zu route(s), %zu plugin(s)", nc->n_routes,
            pf_engine_n_plugins(ne));
    return PF_OK;
}

void
pf_reload_release(struct pf_reloader *rl)
{
    if (rl->owned)
        drop_engine(rl->engine, rl->cfg, 1);
    rl->cfg = NULL;
    rl->engine = NULL;
    rl->owned = 0;
}
