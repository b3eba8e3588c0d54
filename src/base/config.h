/*
 * config.h - the bot's JSON configuration: loading, validation with errors
 * that name the key path, and the defaults.
 *
 * Keys starting with "//" are comments and ignored at any level, so the
 * example configuration can document every key in place. Any other unknown
 * key is an error (a typo must not silently fall back to a default).
 *
 * It lives in base/ rather than core/ because rules/ reads it too (the
 * plugin list, the directories, the time budget, the policy's labels):
 * it is data every layer above base/ may read, and it imports nothing but
 * base/ itself.
 */
#ifndef PF_CONFIG_H
#define PF_CONFIG_H

#include <jansson.h>
#include <stddef.h>

/* Where pokerface finds its plugins and data when the config does not say. */
struct pf_paths {
    char *plugin_dir; /* build/plugins or PREFIX/lib/pokerface/plugins */
    char *data_dir;   /* build/share/pokerface or PREFIX/share/pokerface */
};

/* Fill p from the location of the running binary. */
void pf_paths_detect(struct pf_paths *p);
void pf_paths_release(struct pf_paths *p);

enum pf_action {
    PF_ACT_PASS = 0,
    PF_ACT_NOTE = 1,
    PF_ACT_HOLD = 2,
    PF_ACT_BLOCK = 3
};
#define PF_ACT_UNSET (-1)

const char *pf_action_name(int action);
/* PF_ACT_* for "pass", "note", "hold", "block"; -1 otherwise */
int pf_action_parse(const char *s);

struct pf_plugin_conf {
    char *name; /* instance name: findings are attributed to it */
    char *file; /* absolute or config-relative path of the .so */
    int enabled;
    double budget_ms; /* 0: the policy's plugin_budget_ms */
    json_t *config;   /* the "config" block, or NULL; owned reference */
};

/*
 * Is s a valid plugin or instance name: 1 to 31 of [a-z0-9_-]? The
 * loader asks the same of the name a plugin gives itself.
 */
int pf_plugin_name_valid(const char *s);

/* policy.labels entry: a label (or "prefix.*") and what it does */
struct pf_label_rule {
    char *label;
    int action;  /* PF_ACT_* when a finding has this label, or UNSET */
    double note; /* thresholds for this label, or < 0 for the default */
    double hold;
};

struct pf_policy {
    double note_threshold;   /* default 0.3 */
    double hold_threshold;   /* default 0.6 */
    double plugin_budget_ms; /* default 50 */
    struct pf_label_rule *labels;
    size_t n_labels;
};

/* "connector": how the bot reaches the team chat */
struct pf_connector_conf {
    char *type; /* "xmpp", "mattermost" or "slack" */
    char *url;  /* Slack: the Web API's base (api_url) */
    char *jid;
    char *password_file; /* a file holding the password or, for
                            Mattermost, the token (0600) */
    char *password_env;  /* or an environment variable holding it
                            (Slack: the bot token, xoxb-) */
    char *password_cred; /* or a systemd credential's name: the file of
                            that name in $CREDENTIALS_DIRECTORY
                            (LoadCredential=) */
    char *app_token_file, *app_token_env, *app_token_cred; /* Slack: the
                                             app-level token (xapp-), the
                                             same way */
    char *resource, *nick, *sasl;
    int reconnect_min_ms, reconnect_max_ms, ping_s;
    size_t max_stanza_bytes; /* Mattermost: max_frame_bytes */
    int post_timeout_s;      /* Slack: a post unanswered by then has an
                                unknown outcome and is looked for */
    int configure_rooms;
};

/* "routes[i]": a customer room paired with the team's internal room */
struct pf_route_conf {
    char *name;
    char *customer_room;
    char *internal_room;
    char *reply_prefix;  /* ">>" by default; "" = everything is outgoing */
    char *relay_format;  /* "{name}: {text}" */
    char *mirror_format; /* "[customer] {name}: {text}" */
    int mirror;          /* copy customer messages into the internal room */
    /* "mode": "observe", a trial: what would be held is sent all the
       same, and its author told privately what would have been held and
       why; "enforce" (0) by default */
    int observe;
};

/* "web": the HTTP listener: the review page, metrics, health */
struct pf_web_conf {
    int enabled;    /* a "web" object without "enabled": false */
    char *host;     /* "127.0.0.1" by default */
    int port;       /* 8751 by default; 0: any free port (tests) */
    char *listen;   /* as configured, "HOST:PORT" */
    char *tls_cert; /* PEM certificate (chain) file, or NULL: no TLS */
    char *tls_key;  /* its private key file */
    /* the page's address as people reach it ("https://review.example.org",
       behind a proxy), for sign-in links; by default the listener's own */
    char *url;
    double link_ttl_s; /* a sign-in link works this long; 600 */
};

struct pf_config {
    char *path;     /* the file it came from */
    char *base_dir; /* directory relative paths are resolved against */
    char *plugin_dir;
    char *data_dir;
    char *ui_language; /* "auto", "fi" or "en" */
    size_t max_message_bytes;
    int log_level;
    int log_format; /* PF_LOG_TEXT or PF_LOG_JSON (base/log.h) */
    struct pf_plugin_conf *plugins;
    size_t n_plugins;
    struct pf_policy policy;
    char **team;
    size_t n_team;
    int have_connector;
    struct pf_connector_conf connector;
    struct pf_route_conf *routes;
    size_t n_routes;
    char **supervisors; /* user ids (XMPP: bare JIDs) */
    size_t n_supervisors;
    double hold_ttl_s;      /* default 1800 */
    char *command_prefix;   /* default "!" */
    char *state_dir;        /* NULL: pokerface run picks one */
    char *journal_key_file; /* NULL: state_dir/journal.key */
    double history_days;    /* decided holds kept this long; default 90 */
    struct pf_web_conf web;
    json_t *root; /* owned */
};

/*
 * Load and validate the configuration in path; paths gives the defaults
 * for plugin_dir and data_dir. On error returns a negative PF_E* code and
 * writes "FILE: KEY.PATH: what is wrong" into err; c is then empty.
 */
int pf_config_load(struct pf_config *c, const char *path,
                   const struct pf_paths *paths, char *err, size_t errlen);

/* The same from a JSON string; name is used in messages. */
int pf_config_load_string(struct pf_config *c, const char *json,
                          const char *name, const char *base_dir,
                          const struct pf_paths *paths, char *err,
                          size_t errlen);

/* The default configuration file shipped in the data directory. */
char *pf_config_default_path(const struct pf_paths *paths);

void pf_config_release(struct pf_config *c);

#endif
