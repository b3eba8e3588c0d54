/*
 * config.c - see config.h.
 *
 * Validation walks the JSON tree once, building the key path as it goes
 * ("plugins[2].config"), and stops at the first problem: one precise
 * message beats a screenful of consequences. Plugin names are checked
 * against the plugin directory here, so a typo is reported as a config
 * error with a suggestion rather than as a loader failure.
 *
 * One file, though long: it is one walk over one JSON tree, in the order
 * of the example configuration, and every section uses the same helpers
 * that name the key path in an error (fail(), check_keys(), get_*()).
 * Cut by section, the sections would share those through a header and
 * the reader would follow one walk across files.
 */
#include "base/config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "pokerface/plugin.h"

#define DEFAULT_MAX_MESSAGE (1u << 20)

struct vctx {
    const char *file;
    char *err;
    size_t errlen;
};

static int fail(struct vctx *v, const char *path, const char *fmt, ...)
    PF_ATTR_PRINTF(3, 4);

static int
fail(struct vctx *v, const char *path, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (path && *path)
        pf_snprintf(v->err, v->errlen, "%s: %s: %s", v->file, path, msg);
    else
        pf_snprintf(v->err, v->errlen, "%s: %s", v->file, msg);
    return PF_EINVAL;
}

static const char *
type_name(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static int
is_comment(const char *key)
{
    return key[0] == '/' && key[1] == '/';
}

/* "unknown key 'x'" with the closest known key as a hint */
static int
unknown_key(struct vctx *v, const char *path, const char *key,
            const char *const *known)
{
    const char *best = NULL;
    unsigned best_d = 3;
    for (size_t i = 0; known[i]; i++) {
        unsigned d = pf_edit_distance(key, known[i], 2);
        if (d < best_d)
            best_d = d, best = known[i];
    }
    if (best)
        return fail(v, path, "unknown key '%s' (did you mean '%s'?)", key,
                    best);
    return fail(v, path, "unknown key '%s'", key);
}

static int
check_keys(struct vctx *v, const char *path, json_t *obj,
           const char *const *known)
{
    const char *key;
    json_t *val;
    json_object_foreach (obj, key, val) {
        size_t i;
        if (is_comment(key))
            continue;
        for (i = 0; known[i]; i++)
            if (strcmp(key, known[i]) == 0)
                break;
        if (!known[i]) {
            char *p =
                *path ? pf_xasprintf("%s.%s", path, key) : pf_xstrdup(key);
            int rc = unknown_key(v, p, key, known);
            free(p);
            return rc;
        }
    }
    return PF_OK;
}

static char *
sub(const char *path, const char *key)
{
    return *path ? pf_xasprintf("%s.%s", path, key) : pf_xstrdup(key);
}

static int
get_string(struct vctx *v, const char *path, json_t *obj, const char *key,
           const char **out)
{
    json_t *j = json_object_get(obj, key);
    if (!j)
        return PF_ENOTFOUND;
    if (!json_is_string(j)) {
        char *p = sub(path, key);
        int rc = fail(v, p, "expected a string, got %s", type_name(j));
        free(p);
        return rc;
    }
    *out = json_string_value(j);
    return PF_OK;
}

/* d for a person: whole numbers in full (67108864, not 6.71089e+07) */
static const char *
num_str(double d, char *buf, size_t cap)
{
    if (d == (double)(long long)d && d > -1e15 && d < 1e15)
        snprintf(buf, cap, "%lld", (long long)d);
    else
        snprintf(buf, cap, "%g", d);
    return buf;
}

static int
get_number(struct vctx *v, const char *path, json_t *obj, const char *key,
           double lo, double hi, double *out)
{
    json_t *j = json_object_get(obj, key);
    if (!j)
        return PF_ENOTFOUND;
    char *p = sub(path, key);
    int rc = PF_OK;
    if (!json_is_number(j)) {
        rc = fail(v, p, "expected a number, got %s", type_name(j));
    } else {
        double d = json_number_value(j);
        char a[32], b[32], c[32];
        if (d < lo || d > hi)
            rc = fail(v, p, "%s is out of range (%s to %s)",
                      num_str(d, a, sizeof(a)), num_str(lo, b, sizeof(b)),
                      num_str(hi, c, sizeof(c)));
        else
            *out = d;
    }
    free(p);
    return rc;
}

static int
get_bool(struct vctx *v, const char *path, json_t *obj, const char *key,
         int *out)
{
    json_t *j = json_object_get(obj, key);
    if (!j)
        return PF_ENOTFOUND;
    if (!json_is_boolean(j)) {
        char *p = sub(path, key);
        int rc = fail(v, p, "expected true or false, got %s", type_name(j));
        free(p);
        return rc;
    }
    *out = json_is_true(j);
    return PF_OK;
}

/* closest "<name>.so" in dir, for "did you mean" */
static char *
closest_plugin(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char *best = NULL;
    unsigned best_d = 3;
    if (!d)
        return NULL;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 4 || strcmp(de->d_name + n - 3, ".so") != 0)
            continue;
        char *stem = pf_xstrndup(de->d_name, n - 3);
        unsigned dist = pf_edit_distance(name, stem, 2);
        if (dist < best_d) {
            best_d = dist;
            free(best);
            best = stem;
        } else {
            free(stem);
        }
    }
    closedir(d);
    return best;
}

static int
load_plugins(struct vctx *v, struct pf_config *c, json_t *arr)
{
    static const char *const keys[] = {"name",      "file",   "enabled",
                                       "budget_ms", "config", NULL};
    size_t i;
    json_t *el;
    if (!json_is_array(arr))
        return fail(v, "plugins", "expected an array, got %s", type_name(arr));
    c->plugins = pf_xcalloc(json_array_size(arr) + 1, sizeof(*c->plugins));
    json_array_foreach (arr, i, el) {
        char path[64];
        struct pf_plugin_conf *pc = &c->plugins[c->n_plugins];
        const char *name = NULL, *file = NULL;
        int rc;
        snprintf(path, sizeof(path), "plugins[%zu]", i);
        if (json_is_string(el)) {
            name = json_string_value(el);
        } else if (json_is_object(el)) {
            if ((rc = check_keys(v, path, el, keys)))
                return rc;
            rc = get_string(v, path, el, "name", &name);
            if (rc == PF_ENOTFOUND)
                return fail(v, path, "missing key 'name'");
            if (rc)
                return rc;
            rc = get_string(v, path, el, "file", &file);
            if (rc && rc != PF_ENOTFOUND)
                return rc;
        } else {
            return fail(v, path, "expected a plugin name or an object, got %s",
                        type_name(el));
        }
        char *npath =
            pf_xasprintf("%s%s", path, json_is_object(el) ? ".name" : "");
        if (!pf_plugin_name_valid(name)) {
            rc = fail(v, npath,
                      "invalid plugin name '%s' (use 1 to 31 of a-z 0-9 _ -)",
                      name);
            free(npath);
            return rc;
        }
        for (size_t k = 0; k < c->n_plugins; k++) {
            if (strcmp(c->plugins[k].name, name) == 0) {
                rc = fail(v, npath,
                          "duplicate plugin name '%s' (also plugins[%zu]); "
                          "give the second instance its own name and a "
                          "\"file\"",
                          name, k);
                free(npath);
                return rc;
            }
        }
        if (file && (strchr(file, '/') || strcmp(file, "..") == 0 ||
                     file[0] == '.' || !*file)) {
            free(npath);
            return fail(v, path,
                        "file: '%s' must be a file name in the "
                        "plugin directory, not a path",
                        file);
        }
        pc->name = pf_xstrdup(name);
        pc->file = file ? pf_xstrdup(file) : pf_xasprintf("%s.so", name);
        pc->enabled = 1;
        c->n_plugins++;

        char *full = pf_path_join(c->plugin_dir, pc->file);
        struct stat st;
        if (stat(full, &st) != 0) {
            char *stem = pf_xstrndup(
                pc->file,
                strlen(pc->file) -
                    (strlen(pc->file) > 3 &&
                             strcmp(pc->file + strlen(pc->file) - 3, ".so") == 0
                         ? 3
                         : 0));
            char *best = closest_plugin(c->plugin_dir, stem);
            if (best)
                rc = fail(v, file ? path : npath,
                          "unknown plugin '%s' in %s (did you mean '%s'?)",
                          stem, c->plugin_dir, best);
            else
                rc = fail(v, file ? path : npath, "unknown plugin '%s' in %s",
                          stem, c->plugin_dir);
            free(best);
            free(stem);
            free(full);
            free(npath);
            return rc;
        }
        free(full);
        free(npath);

        if (json_is_object(el)) {
            if ((rc = get_bool(v, path, el, "enabled", &pc->enabled)) &&
                rc != PF_ENOTFOUND)
                return rc;
            if ((rc = get_number(v, path, el, "budget_ms", 0.001, 60000,
                                 &pc->budget_ms)) &&
                rc != PF_ENOTFOUND)
                return rc;
            json_t *cfg = json_object_get(el, "config");
            if (cfg) {
                if (!json_is_object(cfg)) {
                    char *p = sub(path, "config");
                    rc = fail(v, p, "expected an object, got %s",
                              type_name(cfg));
                    free(p);
                    return rc;
                }
                pc->config = json_incref(cfg);
            }
        }
    }
    return PF_OK;
}

static int
valid_label_pattern(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= PF_LABEL_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '*' && i == n - 1 && i > 0 && s[i - 1] == '.')
            continue;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

static int
load_policy(struct vctx *v, struct pf_config *c, json_t *pol)
{
    static const char *const keys[] = {"note_threshold", "hold_threshold",
                                       "plugin_budget_ms", "labels", NULL};
    static const char *const lkeys[] = {"action", "note", "hold", NULL};
    struct pf_policy *p = &c->policy;
    int rc;
    if (!json_is_object(pol))
        return fail(v, "policy", "expected an object, got %s", type_name(pol));
    if ((rc = check_keys(v, "policy", pol, keys)))
        return rc;
    if ((rc = get_number(v, "policy", pol, "note_threshold", 0, 1,
                         &p->note_threshold)) &&
        rc != PF_ENOTFOUND)
        return rc;
    if ((rc = get_number(v, "policy", pol, "hold_threshold", 0, 1,
                         &p->hold_threshold)) &&
        rc != PF_ENOTFOUND)
        return rc;
    if (p->note_threshold > p->hold_threshold)
        return fail(v, "policy.note_threshold", "%g is above hold_threshold %g",
                    p->note_threshold, p->hold_threshold);
    if ((rc = get_number(v, "policy", pol, "plugin_budget_ms", 0.001, 60000,
                         &p->plugin_budget_ms)) &&
        rc != PF_ENOTFOUND)
        return rc;

    json_t *labels = json_object_get(pol, "labels");
    if (!labels)
        return PF_OK;
    if (!json_is_object(labels))
        return fail(v, "policy.labels", "expected an object, got %s",
                    type_name(labels));
    p->labels = pf_xcalloc(json_object_size(labels) + 1, sizeof(*p->labels));
    const char *key;
    json_t *val;
    json_object_foreach (labels, key, val) {
        if (is_comment(key))
            continue;
        char *path = pf_xasprintf("policy.labels.\"%s\"", key);
        struct pf_label_rule *r = &p->labels[p->n_labels];
        r->action = PF_ACT_UNSET;
        r->note = -1;
        r->hold = -1;
        if (!valid_label_pattern(key)) {
            rc = fail(v, path,
                      "invalid label (use a-z 0-9 . _ -, or end with \".*\")");
            free(path);
            return rc;
        }
        if (json_is_string(val)) {
            r->action = pf_action_parse(json_string_value(val));
            if (r->action < 0) {
                rc = fail(v, path,
                          "unknown action '%s' (pass, note, hold or block)",
                          json_string_value(val));
                free(path);
                return rc;
            }
        } else if (json_is_object(val)) {
            const char *act;
            if ((rc = check_keys(v, path, val, lkeys))) {
                free(path);
                return rc;
            }
            rc = get_string(v, path, val, "action", &act);
            if (rc == PF_OK) {
                r->action = pf_action_parse(act);
                if (r->action < 0) {
                    char *ap = sub(path, "action");
                    rc = fail(v, ap,
                              "unknown action '%s' (pass, note, hold or "
                              "block)",
                              act);
                    free(ap);
                    free(path);
                    return rc;
                }
            } else if (rc != PF_ENOTFOUND) {
                free(path);
                return rc;
            }
            if (((rc = get_number(v, path, val, "note", 0, 1, &r->note)) &&
                 rc != PF_ENOTFOUND) ||
                ((rc = get_number(v, path, val, "hold", 0, 1, &r->hold)) &&
                 rc != PF_ENOTFOUND)) {
                free(path);
                return rc;
            }
        } else {
            rc = fail(v, path, "expected an action name or an object, got %s",
                      type_name(val));
            free(path);
            return rc;
        }
        if (!strncmp(key, "pokerface.", 10)) {
            /* the host's labels: a plugin failed, crashed or overran */
            rc = PF_OK;
            if (r->action == PF_ACT_PASS || r->action == PF_ACT_NOTE)
                rc = fail(v, path,
                          "'%s' would have no effect: what pokerface "
                          "reports itself (a plugin that failed or did not "
                          "answer) always holds; only \"block\" changes it",
                          pf_action_name(r->action));
            else if (r->note >= 0 || r->hold >= 0)
                rc = fail(v, path,
                          "thresholds have no effect on pokerface's own "
                          "labels (they always score 1)");
            if (rc) {
                free(path);
                return rc;
            }
        }
        free(path);
        r->label = pf_xstrdup(key);
        p->n_labels++;
    }
    return PF_OK;
}

/* an array of non-empty strings at path into a new vector */
static int
load_strings(struct vctx *v, json_t *arr, const char *path, char ***out,
             size_t *n)
{
    size_t i;
    json_t *el;
    if (!json_is_array(arr))
        return fail(v, path, "expected an array of strings, got %s",
                    type_name(arr));
    *out = pf_xcalloc(json_array_size(arr) + 1, sizeof(**out));
    json_array_foreach (arr, i, el) {
        if (!json_is_string(el) || !*json_string_value(el)) {
            char p[64];
            snprintf(p, sizeof(p), "%s[%zu]", path, i);
            return fail(v, p, "expected a non-empty string, got %s",
                        json_is_string(el) ? "an empty string" : type_name(el));
        }
        (*out)[(*n)++] = pf_xstrdup(json_string_value(el));
    }
    return PF_OK;
}

/* an optional string member into *out (a new copy), or def */
static int
opt_string(struct vctx *v, const char *path, json_t *obj, const char *key,
           const char *def, char **out)
{
    const char *s = NULL;
    int rc = get_string(v, path, obj, key, &s);
    if (rc == PF_ENOTFOUND) {
        *out = def ? pf_xstrdup(def) : NULL;
        return PF_OK;
    }
    if (rc)
        return rc;
    *out = pf_xstrdup(s);
    return PF_OK;
}

static int
opt_int(struct vctx *v, const char *path, json_t *obj, const char *key,
        double lo, double hi, int def, int *out)
{
    double d = def;
    int rc = get_number(v, path, obj, key, lo, hi, &d);
    if (rc && rc != PF_ENOTFOUND)
        return rc;
    if (d != (double)(long long)d) {
        char *p = sub(path, key);
        rc = fail(v, p, "%g is not a whole number", d);
        free(p);
        return rc;
    }
    *out = (int)d;
    return PF_OK;
}

/* a bare JID: local@domain, without a resource or white space */
static int
bare_jid(const char *s)
{
    const char *at = strchr(s, '@');
    if (!at || at == s || !at[1] || strchr(at + 1, '@') || strchr(s, '/'))
        return 0;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ')
            return 0;
    return 1;
}

/* a Mattermost id: 26 lower-case letters and digits */
static int
mm_id(const char *s)
{
    if (strlen(s) != 26)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            return 0;
    return 1;
}

/* a Mattermost channel: its id, or TEAM/CHANNEL as in its URL */
static int
mm_channel(const char *s)
{
    const char *slash = strchr(s, '/');
    if (mm_id(s))
        return 1;
    if (!slash || slash == s || !slash[1] || strchr(slash + 1, '/'))
        return 0;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ')
            return 0;
    return 1;
}

static int
is_mattermost(const struct pf_config *c)
{
    return c->have_connector && !strcmp(c->connector.type, "mattermost");
}

/* a Slack id: its kind's letter, then upper-case letters and digits */
static int
slack_id(const char *s, const char *first)
{
    size_t n = strlen(s);
    if (n < 3 || n > 24 || !strchr(first, s[0]))
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return 0;
    return 1;
}

/* a Slack channel: its id (C..., G...), or its name, "#" or not */
static int
slack_channel(const char *s)
{
    if (slack_id(s, "CG"))
        return 1;
    if (*s == '#')
        s++;
    if (!*s || strlen(s) > 80)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || (unsigned char)*p >= 0x80))
            return 0;
    return 1;
}

static int
is_slack(const struct pf_config *c)
{
    return c->have_connector && !strcmp(c->connector.type, "slack");
}

/* room is an address of the connector's kind (when there is one) */
static int
check_room(struct vctx *v, const struct pf_config *c, const char *path,
           const char *key, const char *room)
{
    char p[96];
    if (!c->have_connector)
        return PF_OK;
    snprintf(p, sizeof(p), "%s.%s", path, key);
    if (is_mattermost(c) && !mm_channel(room))
        return fail(v, p,
                    "'%s' is not a channel: TEAM/CHANNEL with the names in "
                    "its URL (support/acme-customer), or a channel id",
                    room);
    if (is_slack(c) && !slack_channel(room))
        return fail(v, p,
                    "'%s' is not a Slack channel: its id (C0123ABCD) or its "
                    "name (acme-customer: lower-case letters, digits, - "
                    "and _)",
                    room);
    if (!is_mattermost(c) && !is_slack(c) && !bare_jid(room))
        return fail(v, p,
                    "'%s' is not a room address "
                    "(room@conference.example.com)",
                    room);
    return PF_OK;
}

/* What every connector has: the secret's file (relative to the config)
   and the reconnect and keepalive timing. */
static int
connection_common(struct vctx *v, struct pf_config *c, json_t *o)
{
    struct pf_connector_conf *k = &c->connector;
    const char *P = "connector";
    int rc;
    if (k->password_file) {
        char *full = pf_path_join(c->base_dir, k->password_file);
        free(k->password_file);
        k->password_file = full;
    }
    if ((rc = opt_int(v, P, o, "reconnect_min_ms", 10, 600000, 500,
                      &k->reconnect_min_ms)) ||
        (rc = opt_int(v, P, o, "reconnect_max_ms", 10, 3600000, 30000,
                      &k->reconnect_max_ms)) ||
        (rc = opt_int(v, P, o, "ping_s", 5, 3600, 30, &k->ping_s)))
        return rc;
    if (k->reconnect_min_ms > k->reconnect_max_ms)
        return fail(v, "connector.reconnect_min_ms",
                    "%d is above reconnect_max_ms (%d%s): the first wait "
                    "would be longer than the longest",
                    k->reconnect_min_ms, k->reconnect_max_ms,
                    json_object_get(o, "reconnect_max_ms") ? ""
                                                           : ", the default");
    return PF_OK;
}

/* a systemd credential's name: a file name in $CREDENTIALS_DIRECTORY */
static int
credential_name(struct vctx *v, const char *key, const char *name)
{
    if (!name)
        return PF_OK;
    if (!*name || strchr(name, '/') || !strcmp(name, ".") ||
        !strcmp(name, ".."))
        return fail(v, key,
                    "'%s' is not a credential's name (the ID of "
                    "LoadCredential=ID:FILE in the systemd unit: no '/')",
                    name);
    return PF_OK;
}

/* a connector's secret (XMPP's password, Mattermost's token, one of
   Slack's two): from a file (NAME_file), the environment (NAME_env) or a
   systemd credential (NAME_credential), never the configuration, and
   from exactly one of them */
static int
token_source(struct vctx *v, json_t *o, const char *name, const char *what,
             char **file, char **env, char **cred)
{
    const char *P = "connector";
    char key[96], fkey[32], ekey[32], ckey[40];
    int rc;
    snprintf(key, sizeof(key), "connector.%s", name);
    snprintf(fkey, sizeof(fkey), "%s_file", name);
    snprintf(ekey, sizeof(ekey), "%s_env", name);
    snprintf(ckey, sizeof(ckey), "%s_credential", name);
    if (json_object_get(o, name))
        return fail(v, key,
                    "the %s never goes in the configuration: put it in a "
                    "file (%s, mode 0600), an environment variable (%s) or "
                    "a systemd credential (%s)",
                    strcmp(name, "password") ? "token" : "password", fkey, ekey,
                    ckey);
    if ((rc = opt_string(v, P, o, fkey, NULL, file)) ||
        (rc = opt_string(v, P, o, ekey, NULL, env)) ||
        (rc = opt_string(v, P, o, ckey, NULL, cred)))
        return rc;
    snprintf(key, sizeof(key), "connector.%s", ckey);
    if ((rc = credential_name(v, key, *cred)))
        return rc;
    if (!*file && !*env && !*cred)
        return fail(v, P, "neither '%s' nor '%s' nor '%s' is set (%s)", fkey,
                    ekey, ckey, what);
    if (!!*file + !!*env + !!*cred > 1) {
        const char *set[3];
        int n = 0;
        if (*file)
            set[n++] = fkey;
        if (*env)
            set[n++] = ekey;
        if (*cred)
            set[n++] = ckey;
        snprintf(key, sizeof(key), "connector.%s", set[n - 1]);
        const char *kind = strcmp(name, "password") ? "token" : "password";
        if (n == 3)
            return fail(v, key,
                        "'%s', '%s' and '%s' are all set; which %s is "
                        "meant? keep one",
                        set[0], set[1], set[2], kind);
        return fail(v, key,
                    "both '%s' and '%s' are set; which %s is meant? keep one",
                    set[0], set[1], kind);
    }
    return PF_OK;
}

/* "connector" of type mattermost */
static int
load_mattermost(struct vctx *v, struct pf_config *c, json_t *o)
{
    static const char *const keys[] = {"type",
                                       "url",
                                       "token_file",
                                       "token_env",
                                       "token_credential",
                                       "ping_s",
                                       "reconnect_min_ms",
                                       "reconnect_max_ms",
                                       "max_frame_bytes",
                                       NULL};
    struct pf_connector_conf *k = &c->connector;
    const char *P = "connector";
    int rc;
    if ((rc = token_source(v, o, "token", "the bot account's access token",
                           &k->password_file, &k->password_env,
                           &k->password_cred)) ||
        (rc = check_keys(v, P, o, keys)) ||
        (rc = opt_string(v, P, o, "url", NULL, &k->url)))
        return rc;
    if (!k->url)
        return fail(v, P, "missing key 'url' (https://chat.example.com)");
    if (strncmp(k->url, "http://", 7) != 0 &&
        strncmp(k->url, "https://", 8) != 0)
        return fail(v, "connector.url",
                    "'%s' is not an http:// or https:// URL (the server's "
                    "address, without /api/v4)",
                    k->url);
    if ((rc = connection_common(v, c, o)))
        return rc;
    int max_frame = 1024 * 1024;
    if ((rc = opt_int(v, P, o, "max_frame_bytes", 4096, 64 * 1024 * 1024,
                      max_frame, &max_frame)))
        return rc;
    k->max_stanza_bytes = (size_t)max_frame;
    c->have_connector = 1;
    return PF_OK;
}

/* "connector" of type slack */
static int
load_slack(struct vctx *v, struct pf_config *c, json_t *o)
{
    static const char *const keys[] = {"type",
                                       "api_url",
                                       "bot_token_file",
                                       "bot_token_env",
                                       "bot_token_credential",
                                       "app_token_file",
                                       "app_token_env",
                                       "app_token_credential",
                                       "ping_s",
                                       "reconnect_min_ms",
                                       "reconnect_max_ms",
                                       "max_frame_bytes",
                                       "post_timeout_s",
                                       NULL};
    struct pf_connector_conf *k = &c->connector;
    const char *P = "connector";
    int rc;
    if ((rc = token_source(
             v, o, "bot_token", "the app's Bot User OAuth Token, xoxb-",
             &k->password_file, &k->password_env, &k->password_cred)) ||
        (rc = token_source(v, o, "app_token",
                           "the app-level token with connections:write, "
                           "xapp-",
                           &k->app_token_file, &k->app_token_env,
                           &k->app_token_cred)))
        return rc;
    if ((rc = check_keys(v, P, o, keys)))
        return rc;
    if ((rc = opt_string(v, P, o, "api_url", "https://slack.com/api", &k->url)))
        return rc;
    if (strncmp(k->url, "http://", 7) != 0 &&
        strncmp(k->url, "https://", 8) != 0)
        return fail(v, "connector.api_url",
                    "'%s' is not an http:// or https:// URL (Slack's Web "
                    "API: https://slack.com/api)",
                    k->url);
    if ((rc = connection_common(v, c, o)))
        return rc;
    if (k->app_token_file) {
        char *full = pf_path_join(c->base_dir, k->app_token_file);
        free(k->app_token_file);
        k->app_token_file = full;
    }
    int max_frame = 1024 * 1024;
    if ((rc = opt_int(v, P, o, "max_frame_bytes", 4096, 64 * 1024 * 1024,
                      max_frame, &max_frame)))
        return rc;
    k->max_stanza_bytes = (size_t)max_frame;
    if ((rc = opt_int(v, P, o, "post_timeout_s", 1, 600, 30,
                      &k->post_timeout_s)))
        return rc;
    c->have_connector = 1;
    return PF_OK;
}

static int
load_connector(struct vctx *v, struct pf_config *c, json_t *o)
{
    static const char *const keys[] = {"type",
                                       "url",
                                       "jid",
                                       "password_file",
                                       "password_env",
                                       "password_credential",
                                       "resource",
                                       "nick",
                                       "sasl",
                                       "reconnect_min_ms",
                                       "reconnect_max_ms",
                                       "ping_s",
                                       "max_stanza_bytes",
                                       "configure_rooms",
                                       NULL};
    struct pf_connector_conf *k = &c->connector;
    const char *P = "connector";
    int rc;
    if (!json_is_object(o))
        return fail(v, P, "expected an object, got %s", type_name(o));
    if (json_is_object(o) && json_is_string(json_object_get(o, "type")) &&
        strcmp(json_string_value(json_object_get(o, "type")), "mattermost") ==
            0) {
        k->type = pf_xstrdup("mattermost");
        return load_mattermost(v, c, o);
    }
    if (json_is_string(json_object_get(o, "type")) &&
        strcmp(json_string_value(json_object_get(o, "type")), "slack") == 0) {
        k->type = pf_xstrdup("slack");
        return load_slack(v, c, o);
    }
    /* before the unknown keys: "password" is one, but this says more */
    if (json_object_get(o, "password"))
        return token_source(v, o, "password", "", NULL, NULL, NULL);
    if ((rc = check_keys(v, P, o, keys)))
        return rc;
    if ((rc = opt_string(v, P, o, "type", NULL, &k->type)))
        return rc;
    if (!k->type)
        return fail(v, P, "missing key 'type' (xmpp, mattermost or slack)");
    if (strcmp(k->type, "xmpp") != 0)
        return fail(v, "connector.type",
                    "unknown connector '%s' (xmpp, mattermost or slack)",
                    k->type);
    if ((rc = opt_string(v, P, o, "url", NULL, &k->url)) ||
        (rc = opt_string(v, P, o, "jid", NULL, &k->jid)) ||
        (rc = opt_string(v, P, o, "resource", "pokerface", &k->resource)) ||
        (rc = opt_string(v, P, o, "nick", NULL, &k->nick)) ||
        (rc = opt_string(v, P, o, "sasl", "auto", &k->sasl)))
        return rc;
    if (!k->url)
        return fail(v, P, "missing key 'url' (ws://host:5280/xmpp-websocket)");
    if (strncmp(k->url, "ws://", 5) != 0 && strncmp(k->url, "wss://", 6) != 0)
        return fail(v, "connector.url", "'%s' is not a ws:// or wss:// URL",
                    k->url);
    if (!k->jid)
        return fail(v, P, "missing key 'jid' (the bot's account)");
    if (!strchr(k->jid, '@') || strchr(k->jid, '/'))
        return fail(v, "connector.jid", "'%s' is not a bare JID (user@domain)",
                    k->jid);
    if ((rc = token_source(
             v, o, "password", "the password itself never goes in the config",
             &k->password_file, &k->password_env, &k->password_cred)))
        return rc;
    if (strcmp(k->sasl, "auto") && strcmp(k->sasl, "plain") &&
        strcmp(k->sasl, "scram-sha-256"))
        return fail(v, "connector.sasl",
                    "'%s' is not one of auto, plain, scram-sha-256", k->sasl);
    if ((rc = connection_common(v, c, o)))
        return rc;
    int max_stanza = 256 * 1024;
    if ((rc = opt_int(v, P, o, "max_stanza_bytes", 4096, 16 * 1024 * 1024,
                      max_stanza, &max_stanza)))
        return rc;
    k->max_stanza_bytes = (size_t)max_stanza;
    k->configure_rooms = 1;
    if ((rc = get_bool(v, P, o, "configure_rooms", &k->configure_rooms)) &&
        rc != PF_ENOTFOUND)
        return rc;
    c->have_connector = 1;
    return PF_OK;
}

static int
load_routes(struct vctx *v, struct pf_config *c, json_t *arr)
{
    static const char *const keys[] = {
        "name",         "customer_room", "internal_room",
        "reply_prefix", "relay_format",  "mirror_format",
        "mirror",       "mode",          NULL};
    size_t i;
    json_t *el;
    int rc;
    if (!json_is_array(arr))
        return fail(v, "routes", "expected an array, got %s", type_name(arr));
    c->routes = pf_xcalloc(json_array_size(arr) + 1, sizeof(*c->routes));
    json_array_foreach (arr, i, el) {
        char P[32], P2[64];
        struct pf_route_conf *r = &c->routes[c->n_routes];
        snprintf(P, sizeof(P), "routes[%zu]", i);
        if (!json_is_object(el))
            return fail(v, P, "expected an object, got %s", type_name(el));
        if ((rc = check_keys(v, P, el, keys)))
            return rc;
        c->n_routes++;
        if ((rc = opt_string(v, P, el, "name", NULL, &r->name)) ||
            (rc = opt_string(v, P, el, "customer_room", NULL,
                             &r->customer_room)) ||
            (rc = opt_string(v, P, el, "internal_room", NULL,
                             &r->internal_room)) ||
            (rc = opt_string(v, P, el, "reply_prefix", ">>",
                             &r->reply_prefix)) ||
            (rc = opt_string(v, P, el, "relay_format", "{name}: {text}",
                             &r->relay_format)) ||
            (rc = opt_string(v, P, el, "mirror_format",
                             "[customer] {name}: {text}", &r->mirror_format)))
            return rc;
        if (!r->customer_room || !*r->customer_room)
            return fail(v, P, "missing key 'customer_room'");
        if (!r->internal_room || !*r->internal_room)
            return fail(v, P, "missing key 'internal_room'");
        if ((rc = check_room(v, c, P, "customer_room", r->customer_room)) ||
            (rc = check_room(v, c, P, "internal_room", r->internal_room)))
            return rc;
        if (strcmp(r->customer_room, r->internal_room) == 0)
            return fail(v, P,
                        "customer_room and internal_room are the same "
                        "room; replies would reach the customer "
                        "unchecked");
        if (!r->name)
            r->name = pf_xasprintf("route%zu", i + 1);
        if (!strstr(r->relay_format, "{text}")) {
            snprintf(P2, sizeof(P2), "%s.relay_format", P);
            return fail(v, P2, "'%s' has no {text}", r->relay_format);
        }
        if (!strstr(r->mirror_format, "{text}")) {
            snprintf(P2, sizeof(P2), "%s.mirror_format", P);
            return fail(v, P2, "'%s' has no {text}", r->mirror_format);
        }
        r->mirror = 1;
        if ((rc = get_bool(v, P, el, "mirror", &r->mirror)) &&
            rc != PF_ENOTFOUND)
            return rc;
        const char *mode;
        rc = get_string(v, P, el, "mode", &mode);
        if (rc == PF_OK) {
            snprintf(P2, sizeof(P2), "%s.mode", P);
            if (!strcmp(mode, "observe"))
                r->observe = 1;
            else if (strcmp(mode, "enforce"))
                return fail(v, P2,
                            "'%s' is not one of enforce, observe (a trial: "
                            "replies are sent, their authors told what "
                            "would have been held)",
                            mode);
        } else if (rc != PF_ENOTFOUND) {
            return rc;
        }
        for (size_t k = 0; k + 1 < c->n_routes; k++) {
            const struct pf_route_conf *o = &c->routes[k];
            if (strcmp(o->name, r->name) == 0)
                return fail(v, P, "duplicate route name '%s'", r->name);
            if (!strcmp(o->customer_room, r->customer_room) ||
                !strcmp(o->internal_room, r->customer_room) ||
                !strcmp(o->customer_room, r->internal_room))
                return fail(v, P,
                            "room '%s' is a customer room in another "
                            "route too, or someone's internal room",
                            r->customer_room);
            if (!strcmp(o->internal_room, r->internal_room))
                return fail(v, P,
                            "internal room '%s' is route '%s''s too; each "
                            "customer room needs an internal room of its "
                            "own, or a reply could not tell whom it is for",
                            r->internal_room, o->name);
        }
    }
    return PF_OK;
}

/*
 * "listen": "HOST:PORT", "[V6]:PORT" or ":PORT" (all addresses); the
 * port 1 to 65535, or 0 for any free one (the log says which).
 */
static int
parse_listen(struct vctx *v, const char *s, struct pf_web_conf *w)
{
    const char *colon = strrchr(s, ':');
    const char *host = s;
    size_t hn;
    if (!colon || !colon[1])
        return fail(v, "web.listen",
                    "'%s' is not HOST:PORT (127.0.0.1:8751, [::1]:8751)", s);
    hn = (size_t)(colon - s);
    if (hn >= 2 && s[0] == '[' && s[hn - 1] == ']')
        host = s + 1, hn -= 2;
    else if (memchr(s, ':', hn))
        return fail(v, "web.listen",
                    "'%s': an IPv6 address goes in brackets ([::1]:8751)", s);
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535 || !isdigit((unsigned char)colon[1]))
        return fail(v, "web.listen", "'%s': '%s' is not a port (0 to 65535)", s,
                    colon + 1);
    for (size_t i = 0; i < hn; i++)
        if (!isalnum((unsigned char)host[i]) && !strchr(".-:", host[i]))
            return fail(v, "web.listen",
                        "'%s': '%.*s' is not a host name or "
                        "address",
                        s, (int)hn, host);
    w->host = hn ? pf_xasprintf("%.*s", (int)hn, host) : NULL;
    w->port = (int)port;
    return PF_OK;
}

/* "web": {"enabled", "listen", "tls_cert_file", "tls_key_file"} */
static int
load_web(struct vctx *v, struct pf_config *c, json_t *o)
{
    static const char *const keys[] = {
        "enabled",    "listen", "tls_cert_file", "tls_key_file", "url",
        "link_ttl_s", NULL};
    struct pf_web_conf *w = &c->web;
    const char *s;
    int rc;
    if (!json_is_object(o))
        return fail(v, "web", "expected an object, got %s", type_name(o));
    if ((rc = check_keys(v, "web", o, keys)))
        return rc;
    w->enabled = 1;
    if ((rc = get_bool(v, "web", o, "enabled", &w->enabled)) &&
        rc != PF_ENOTFOUND)
        return rc;
    if ((rc = opt_string(v, "web", o, "listen", "127.0.0.1:8751", &w->listen)))
        return rc;
    if ((rc = parse_listen(v, w->listen, w)))
        return rc;
    rc = get_string(v, "web", o, "tls_cert_file", &s);
    if (rc == PF_OK)
        w->tls_cert = pf_path_join(c->base_dir, s);
    else if (rc != PF_ENOTFOUND)
        return rc;
    rc = get_string(v, "web", o, "tls_key_file", &s);
    if (rc == PF_OK)
        w->tls_key = pf_path_join(c->base_dir, s);
    else if (rc != PF_ENOTFOUND)
        return rc;
    w->link_ttl_s = 600;
    if ((rc =
             get_number(v, "web", o, "link_ttl_s", 1, 86400, &w->link_ttl_s)) &&
        rc != PF_ENOTFOUND)
        return rc;
    rc = get_string(v, "web", o, "url", &s);
    if (rc == PF_OK) {
        size_t n = strlen(s);
        if ((strncmp(s, "http://", 7) && strncmp(s, "https://", 8)) ||
            strpbrk(s, " \t\r\n\"<>'?#"))
            return fail(v, "web.url",
                        "'%s' is not an http:// or https:// address "
                        "(https://review.example.org)",
                        s);
        while (n && s[n - 1] == '/')
            n--;
        w->url = pf_xasprintf("%.*s", (int)n, s);
    } else if (rc != PF_ENOTFOUND) {
        return rc;
    }
    if (!w->tls_cert != !w->tls_key)
        return fail(v, "web",
                    "TLS needs both \"tls_cert_file\" and \"tls_key_file\" "
                    "(or neither, for plain HTTP behind a proxy)");
    for (int i = 0; i < 2; i++) {
        const char *f = i ? w->tls_key : w->tls_cert;
        if (f && access(f, R_OK) != 0)
            return fail(v, i ? "web.tls_key_file" : "web.tls_cert_file",
                        "'%s': %s", f, strerror(errno));
    }
    return PF_OK;
}

static int
load_root(struct vctx *v, struct pf_config *c, const struct pf_paths *paths)
{
    static const char *const keys[] = {"plugin_dir",
                                       "plugins",
                                       "policy",
                                       "ui_language",
                                       "max_message_bytes",
                                       "log_level",
                                       "log_format",
                                       "team",
                                       "connector",
                                       "routes",
                                       "supervisors",
                                       "hold_ttl_s",
                                       "command_prefix",
                                       "state_dir",
                                       "journal_key_file",
                                       "history_days",
                                       "web",
                                       NULL};
    json_t *root = c->root;
    const char *s;
    int rc;

    if (!json_is_object(root))
        return fail(v, NULL, "expected a JSON object at the top, got %s",
                    type_name(root));
    if ((rc = check_keys(v, "", root, keys)))
        return rc;

    rc = get_string(v, "", root, "plugin_dir", &s);
    if (rc == PF_OK)
        c->plugin_dir = pf_path_join(c->base_dir, s);
    else if (rc == PF_ENOTFOUND)
        c->plugin_dir = pf_xstrdup(paths->plugin_dir);
    else
        return rc;
    c->data_dir = pf_xstrdup(paths->data_dir);
    {
        struct stat st;
        if (stat(c->plugin_dir, &st) != 0 || !S_ISDIR(st.st_mode))
            return fail(
                v, "plugin_dir", "'%s' is not a directory%s", c->plugin_dir,
                rc == PF_ENOTFOUND ? " (the default; set plugin_dir)" : "");
    }

    c->ui_language = pf_xstrdup("auto");
    rc = get_string(v, "", root, "ui_language", &s);
    if (rc == PF_OK) {
        if (strcmp(s, "auto") && strcmp(s, "fi") && strcmp(s, "en"))
            return fail(v, "ui_language", "'%s' is not one of auto, fi, en", s);
        free(c->ui_language);
        c->ui_language = pf_xstrdup(s);
    } else if (rc != PF_ENOTFOUND) {
        return rc;
    }

    double d = DEFAULT_MAX_MESSAGE;
    rc =
        get_number(v, "", root, "max_message_bytes", 1, 64.0 * 1024 * 1024, &d);
    if (rc && rc != PF_ENOTFOUND)
        return rc;
    c->max_message_bytes = (size_t)d;

    c->log_level = PF_LOG_INFO;
    rc = get_string(v, "", root, "log_level", &s);
    if (rc == PF_OK) {
        if (!strcmp(s, "error"))
            c->log_level = PF_LOG_ERR;
        else if (!strcmp(s, "warning"))
            c->log_level = PF_LOG_WARN;
        else if (!strcmp(s, "info"))
            c->log_level = PF_LOG_INFO;
        else if (!strcmp(s, "debug"))
            c->log_level = PF_LOG_DEBUG;
        else
            return fail(v, "log_level",
                        "'%s' is not one of error, warning, info, debug", s);
    } else if (rc != PF_ENOTFOUND) {
        return rc;
    }

    c->log_format = PF_LOG_TEXT;
    rc = get_string(v, "", root, "log_format", &s);
    if (rc == PF_OK) {
        if (!strcmp(s, "json"))
            c->log_format = PF_LOG_JSON;
        else if (strcmp(s, "text"))
            return fail(v, "log_format", "'%s' is not one of text, json", s);
    } else if (rc != PF_ENOTFOUND) {
        return rc;
    }

    json_t *team = json_object_get(root, "team");
    if (team && (rc = load_strings(v, team, "team", &c->team, &c->n_team)))
        return rc;

    json_t *conn = json_object_get(root, "connector");
    if (conn && (rc = load_connector(v, c, conn)))
        return rc;
    json_t *routes = json_object_get(root, "routes");
    if (routes && (rc = load_routes(v, c, routes)))
        return rc;
    json_t *sups = json_object_get(root, "supervisors");
    if (sups && (rc = load_strings(v, sups, "supervisors", &c->supervisors,
                                   &c->n_supervisors)))
        return rc;
    for (size_t i = 0; c->have_connector && i < c->n_supervisors; i++) {
        const char *sv = c->supervisors[i];
        char p[48];
        snprintf(p, sizeof(p), "supervisors[%zu]", i);
        if (is_mattermost(c) && !mm_id(sv))
            return fail(v, p,
                        "'%s' is not a user id (26 letters and digits, in "
                        "System Console > Users); a username can change "
                        "hands, so supervisors are named by id",
                        sv);
        if (is_slack(c) && !slack_id(sv, "UW"))
            return fail(v, p,
                        "'%s' is not a Slack user id (U0123ABCD: the "
                        "profile's menu, Copy member ID); a name can change "
                        "hands, so supervisors are named by id",
                        sv);
        if (!is_mattermost(c) && !is_slack(c) && !bare_jid(sv))
            return fail(v, p, "'%s' is not a bare JID (sanna@example.com)", sv);
    }
    c->hold_ttl_s = 1800;
    if ((rc = get_number(v, "", root, "hold_ttl_s", 1, 7 * 24 * 3600.0,
                         &c->hold_ttl_s)) &&
        rc != PF_ENOTFOUND)
        return rc;
    if ((rc = opt_string(v, "", root, "command_prefix", "!",
                         &c->command_prefix)))
        return rc;
    if (!*c->command_prefix || strlen(c->command_prefix) > 4 ||
        strchr(c->command_prefix, ' '))
        return fail(v, "command_prefix",
                    "'%s' must be 1 to 4 characters without spaces",
                    c->command_prefix);
    for (size_t i = 0; i < c->n_routes; i++) {
        const char *rp = c->routes[i].reply_prefix;
        char p[64];
        snprintf(p, sizeof(p), "routes[%zu].reply_prefix", i);
        if (!*rp)
            continue; /* everything in the internal room is a reply */
        if (!rp[strspn(rp, " \t\n\r")])
            return fail(v, p,
                        "\"%s\" is only white space: no reply would be told "
                        "from backstage talk by it; use a visible mark "
                        "(\">>\"), or \"\" to make everything a reply",
                        rp);
        if (strchr(" \t\n\r", rp[0]))
            return fail(v, p,
                        "\"%s\" starts with white space, which is never "
                        "part of a message's start: no reply would match it",
                        rp);
        size_t cl = strlen(c->command_prefix);
        if (!strncmp(rp, c->command_prefix, cl))
            return fail(v, p,
                        "\"%s\" %s the command prefix \"%s\": every reply "
                        "would be read as a command; give them different "
                        "first characters",
                        rp, strlen(rp) == cl ? "is" : "begins with",
                        c->command_prefix);
    }
    rc = get_string(v, "", root, "state_dir", &s);
    if (rc == PF_OK && *s)
        c->state_dir = pf_path_join(c->base_dir, s);
    else if (rc == PF_OK)
        return fail(v, "state_dir", "expected a directory, got \"\"");
    else if (rc != PF_ENOTFOUND)
        return rc;
    rc = get_string(v, "", root, "journal_key_file", &s);
    if (rc == PF_OK && *s)
        c->journal_key_file = pf_path_join(c->base_dir, s);
    else if (rc == PF_OK)
        return fail(v, "journal_key_file", "expected a file name, got \"\"");
    else if (rc != PF_ENOTFOUND)
        return rc;

    c->history_days = 90;
    if ((rc = get_number(v, "", root, "history_days", 1, 36500,
                         &c->history_days)) &&
        rc != PF_ENOTFOUND)
        return rc;
    json_t *web = json_object_get(root, "web");
    if (web && (rc = load_web(v, c, web)))
        return rc;

    c->policy.note_threshold = 0.3;
    c->policy.hold_threshold = 0.6;
    c->policy.plugin_budget_ms = 50;
    json_t *pol = json_object_get(root, "policy");
    if (pol && (rc = load_policy(v, c, pol)))
        return rc;

    json_t *plugins = json_object_get(root, "plugins");
    if (!plugins)
        return fail(v, NULL,
                    "missing key 'plugins' (the rule plugins to "
                    "run; without any, nothing would be checked)");
    if ((rc = load_plugins(v, c, plugins)))
        return rc;
    size_t enabled = 0;
    for (size_t i = 0; i < c->n_plugins; i++)
        enabled += c->plugins[i].enabled != 0;
    if (enabled == 0)
        return fail(v, "plugins",
                    "no plugin is enabled; every message would "
                    "pass unchecked");
    return PF_OK;
}

/* the key path of the first number in j too large for an integer */
static int
find_huge(json_t *j, struct pf_buf *path, double *value)
{
    size_t len = path->len;
    if (json_is_real(j)) {
        *value = json_real_value(j);
        return *value >= 9.2e18 || *value <= -9.2e18;
    }
    if (json_is_object(j)) {
        const char *key;
        json_t *val;
        json_object_foreach (j, key, val) {
            pf_buf_addf(path, "%s%s", path->len ? "." : "", key);
            if (find_huge(val, path, value))
                return 1;
            path->len = len;
            if (path->data)
                path->data[len] = '\0';
        }
    } else if (json_is_array(j)) {
        size_t i;
        json_t *val;
        json_array_foreach (j, i, val) {
            pf_buf_addf(path, "[%zu]", i);
            if (find_huge(val, path, value))
                return 1;
            path->len = len;
            path->data[len] = '\0';
        }
    }
    return 0;
}

/*
 * Jansson refuses an integer beyond 64 bits and says only where it is in
 * the text; read it again with integers as reals to name its key. 1 when
 * the error was written.
 */
static int
too_big(struct vctx *v, const char *json)
{
    json_error_t je;
    json_t *j =
        json_loads(json, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &je);
    struct pf_buf path = PF_BUF_INIT;
    double d = 0;
    int found = j && find_huge(j, &path, &d);
    if (found)
        fail(v, path.data,
             "%g is too large (no setting takes a number beyond 64 bits)", d);
    pf_buf_release(&path);
    json_decref(j);
    return found;
}

int
pf_config_load_string(struct pf_config *c, const char *json, const char *name,
                      const char *base_dir, const struct pf_paths *paths,
                      char *err, size_t errlen)
{
    struct vctx v = {name, err, errlen};
    json_error_t je;
    int rc;

    memset(c, 0, sizeof(*c));
    c->path = pf_xstrdup(name);
    c->base_dir = pf_xstrdup(base_dir ? base_dir : ".");
    c->root = json_loads(json, JSON_REJECT_DUPLICATES, &je);
    if (!c->root) {
        if (strstr(je.text, "too big") && too_big(&v, json))
            ; /* named by its key */
        else
            pf_snprintf(err, errlen, "%s:%d:%d: %s", name, je.line, je.column,
                        je.text);
        pf_config_release(c);
        return PF_EINVAL;
    }
    rc = load_root(&v, c, paths);
    if (rc) {
        pf_config_release(c);
        return rc;
    }
    return PF_OK;
}

int
pf_config_load(struct pf_config *c, const char *path,
               const struct pf_paths *paths, char *err, size_t errlen)
{
    struct pf_buf b = PF_BUF_INIT;
    int rc = pf_read_file(path, 4u << 20, &b);
    memset(c, 0, sizeof(*c));
    if (rc) {
        if (rc == PF_ENOTFOUND)
            pf_snprintf(err, errlen, "%s: no such file", path);
        else if (rc == PF_ETOOBIG)
            pf_snprintf(err, errlen, "%s: larger than 4 MiB", path);
        else
            pf_snprintf(err, errlen, "%s: %s", path, strerror(errno));
        pf_buf_release(&b);
        return rc;
    }
    char *dir = pf_dirname(path);
    rc = pf_config_load_string(c, b.data, path, dir, paths, err, errlen);
    free(dir);
    pf_buf_release(&b);
    return rc;
}

char *
pf_config_default_path(const struct pf_paths *paths)
{
    return pf_path_join(paths->data_dir, "pokerface.json");
}

void
pf_config_release(struct pf_config *c)
{
    for (size_t i = 0; i < c->n_plugins; i++) {
        free(c->plugins[i].name);
        free(c->plugins[i].file);
        if (c->plugins[i].config)
            json_decref(c->plugins[i].config);
    }
    free(c->plugins);
    for (size_t i = 0; i < c->policy.n_labels; i++)
        free(c->policy.labels[i].label);
    free(c->policy.labels);
    for (size_t i = 0; i < c->n_team; i++)
        free(c->team[i]);
    free(c->team);
    struct pf_connector_conf *k = &c->connector;
    free(k->type), free(k->url), free(k->jid), free(k->password_file);
    free(k->password_env), free(k->resource), free(k->nick), free(k->sasl);
    free(k->app_token_file), free(k->app_token_env);
    free(k->password_cred), free(k->app_token_cred);
    for (size_t i = 0; i < c->n_routes; i++) {
        struct pf_route_conf *r = &c->routes[i];
        free(r->name), free(r->customer_room), free(r->internal_room);
        free(r->reply_prefix), free(r->relay_format), free(r->mirror_format);
    }
    free(c->routes);
    for (size_t i = 0; i < c->n_supervisors; i++)
        free(c->supervisors[i]);
    free(c->supervisors);
    free(c->command_prefix);
    free(c->state_dir);
    free(c->journal_key_file);
    free(c->web.host), free(c->web.listen), free(c->web.tls_cert);
    free(c->web.tls_key);
    free(c->web.url);
    free(c->path);
    free(c->base_dir);
    free(c->plugin_dir);
    free(c->data_dir);
    free(c->ui_language);
    if (c->root)
        json_decref(c->root);
    memset(c, 0, sizeof(*c));
}

const char *
pf_action_name(int action)
{
    switch (action) {
    case PF_ACT_PASS: return "pass";
    case PF_ACT_NOTE: return "note";
    case PF_ACT_HOLD: return "hold";
    case PF_ACT_BLOCK: return "block";
    default: return "?";
    }
}

int
pf_plugin_name_valid(const char *s)
{
    size_t n;
    if (!s)
        return 0;
    n = strnlen(s, 32);
    if (n == 0 || n > 31)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-'))
            return 0;
    }
    return 1;
}

int
pf_action_parse(const char *s)
{
    if (!strcmp(s, "pass"))
        return PF_ACT_PASS;
    if (!strcmp(s, "note"))
        return PF_ACT_NOTE;
    if (!strcmp(s, "hold"))
        return PF_ACT_HOLD;
    if (!strcmp(s, "block"))
        return PF_ACT_BLOCK;
    return -1;
}

void
pf_paths_detect(struct pf_paths *p)
{
    char *exe = pf_exe_dir();
    struct stat st;
    if (!exe)
        exe = pf_xstrdup(".");
    char *build_plugins = pf_path_join(exe, "plugins");
    if (stat(build_plugins, &st) == 0 && S_ISDIR(st.st_mode)) {
        /* the build tree: build/pokerface next to build/plugins */
        p->plugin_dir = build_plugins;
        p->data_dir = pf_path_join(exe, "share/pokerface");
    } else {
        free(build_plugins);
        p->plugin_dir = pf_path_join(exe, "../lib/pokerface/plugins");
        p->data_dir = pf_path_join(exe, "../share/pokerface");
    }
    free(exe);
}

void
pf_paths_release(struct pf_paths *p)
{
    free(p->plugin_dir);
    free(p->data_dir);
    p->plugin_dir = p->data_dir = NULL;
}
