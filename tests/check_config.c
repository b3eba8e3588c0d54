/*
 * check_config.c - configuration loading: the shipped example, defaults,
 * and an error naming the key path for every kind of mistake.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "base/util.h"
#include "testutil.h"

static void
expect_error(const char *json, const char *want)
{
    struct pf_config c;
    char err[1024];
    int rc = tu_config(&c, json, NULL, err, sizeof(err));
    ck_assert_msg(rc != 0, "accepted: %s", json);
    ck_assert_msg(strstr(err, want), "error for %s:\n  got  %s\n  want %s",
                  json, err, want);
}

START_TEST(example_config_loads)
{
    struct pf_config c;
    struct pf_paths p;
    char err[1024], path[4096];
    tu_paths(&p, NULL);
    snprintf(path, sizeof(path), "%s/share/pokerface/pokerface.json",
             tu_build());
    int rc = pf_config_load(&c, path, &p, err, sizeof(err));
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_uint_ge(c.n_plugins, 2);
    ck_assert_str_eq(c.plugins[0].name, "example");
    ck_assert_str_eq(c.plugins[1].name, "backstage");
    ck_assert_double_eq_tol(c.policy.hold_threshold, 0.6, 1e-9);
    ck_assert_str_eq(c.ui_language, "auto");
    /* the example shows the relay's keys with their defaults */
    ck_assert(c.have_connector);
    ck_assert_str_eq(c.connector.sasl, "auto");
    ck_assert_int_eq(c.connector.reconnect_min_ms, 500);
    ck_assert_uint_eq(c.n_routes, 1);
    ck_assert_str_eq(c.routes[0].reply_prefix, ">>");
    ck_assert_int_eq(c.routes[0].observe, 0);
    ck_assert_int_eq(c.log_format, PF_LOG_TEXT);
    ck_assert_double_eq_tol(c.hold_ttl_s, 1800, 1e-9);
    ck_assert_str_eq(c.command_prefix, "!");
    pf_config_release(&c);
    pf_paths_release(&p);
}
END_TEST

START_TEST(defaults_and_shorthand)
{
    struct pf_config c;
    char err[1024];
    int rc =
        tu_config(&c, "{\"plugins\": [\"backstage\"]}", NULL, err, sizeof(err));
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_uint_eq(c.n_plugins, 1);
    ck_assert_str_eq(c.plugins[0].file, "backstage.so");
    ck_assert(c.plugins[0].enabled);
    ck_assert_double_eq_tol(c.policy.note_threshold, 0.3, 1e-9);
    ck_assert_double_eq_tol(c.policy.plugin_budget_ms, 50, 1e-9);
    ck_assert_uint_eq(c.max_message_bytes, 1u << 20);
    pf_config_release(&c);
}
END_TEST

#define CONN                                                                   \
    "\"connector\": {\"type\": \"xmpp\", \"url\": "                            \
    "\"ws://127.0.0.1:5280/ws\", "                                             \
    "\"jid\": \"bot@localhost\", \"password_env\": \"PW\"}"
#define ROUTE(n, c, i)                                                         \
    "{\"name\": \"" n "\", \"customer_room\": \"" c                            \
    "@conference.localhost\", \"internal_room\": \"" i                         \
    "@conference.localhost\"}"

START_TEST(relay_keys)
{
    struct pf_config c;
    char err[1024];
    int rc = tu_config(&c,
                       "{\"plugins\": [\"backstage\"], " CONN
                       ", \"routes\": [" ROUTE("a", "c1", "i1") ", " ROUTE(
                           "b", "c2", "i2") "], \"supervisors\": "
                                            "[\"sanna@localhost\"], "
                                            "\"hold_ttl_s\": 60}",
                       NULL, err, sizeof(err));
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert(c.have_connector);
    ck_assert_str_eq(c.connector.jid, "bot@localhost");
    ck_assert_str_eq(c.connector.resource, "pokerface");
    ck_assert_int_eq(c.connector.reconnect_max_ms, 30000);
    ck_assert(c.connector.configure_rooms);
    ck_assert_uint_eq(c.n_routes, 2);
    ck_assert_str_eq(c.routes[1].internal_room, "i2@conference.localhost");
    ck_assert_str_eq(c.routes[0].relay_format, "{name}: {text}");
    ck_assert(c.routes[0].mirror);
    ck_assert_uint_eq(c.n_supervisors, 1);
    ck_assert_double_eq_tol(c.hold_ttl_s, 60, 1e-9);
    pf_config_release(&c);

    expect_error("{\"plugins\": [\"backstage\"], \"connector\": {\"type\": "
                 "\"irc\"}}",
                 "connector.type: unknown connector 'irc'");
    expect_error("{\"plugins\": [\"backstage\"], \"connector\": {\"type\": "
                 "\"xmpp\", \"password\": \"hunter2\"}}",
                 "connector.password: the password never goes in the "
                 "configuration");
    expect_error("{\"plugins\": [\"backstage\"], " CONN
                 ", \"routes\": [" ROUTE("a", "c1", "c1") "]}",
                 "routes[0]: customer_room and internal_room are the same");
    expect_error("{\"plugins\": [\"backstage\"], " CONN ", \"routes\": [" ROUTE(
                     "a", "c1", "i1") ", " ROUTE("b", "c2", "i1") "]}",
                 "routes[1]: internal room 'i1@conference.localhost' is "
                 "route 'a''s too");
    expect_error("{\"plugins\": [\"backstage\"], " CONN ", \"routes\": [" ROUTE(
                     "a", "c1", "i1") ", " ROUTE("b", "i1", "i2") "]}",
                 "routes[1]: room 'i1@conference.localhost'");
    expect_error("{\"plugins\": [\"backstage\"], " CONN ", \"routes\": [" ROUTE(
                     "a", "c1", "i1") ", " ROUTE("a", "c2", "i2") "]}",
                 "duplicate route name 'a'");
    expect_error("{\"plugins\": [\"backstage\"], " CONN ", \"hold_ttl_s\": 0}",
                 "hold_ttl_s");
}
END_TEST

#define MM_CONN                                                                \
    "\"connector\": {\"type\": \"mattermost\", \"url\": "                      \
    "\"http://127.0.0.1:8065\", \"token_env\": \"TOK\"}"

#define SL_CONN                                                                \
    "\"connector\": {\"type\": \"slack\", \"bot_token_env\": \"B\", "          \
    "\"app_token_env\": \"A\"}"

/* mistakes that used to be accepted without a word, each named by key */
START_TEST(silent_mistakes_are_errors)
{
    const char *pl = "{\"plugins\": [\"backstage\"], ";
    char j[2048];
#define E(fmt, want)                                                           \
    do {                                                                       \
        snprintf(j, sizeof(j), "%s" fmt "}", pl);                              \
        expect_error(j, want);                                                 \
    } while (0)
    /* the host's own labels always hold: pass or note would do nothing */
    E("\"policy\": {\"labels\": {\"pokerface.*\": \"pass\"}}",
      "policy.labels.\"pokerface.*\": 'pass' would have no effect");
    E("\"policy\": {\"labels\": {\"pokerface.plugin_timeout\": "
      "\"note\"}}",
      "'note' would have no effect");
    E("\"policy\": {\"labels\": {\"pokerface.*\": {\"hold\": 0.9}}}",
      "thresholds have no effect on pokerface's own labels");
    /* reconnecting: the first wait longer than the longest */
    E("\"connector\": {\"type\": \"xmpp\", \"url\": \"ws://h/ws\", "
      "\"jid\": \"b@h\", \"password_env\": \"PW\", "
      "\"reconnect_min_ms\": 5000, \"reconnect_max_ms\": 1000}",
      "connector.reconnect_min_ms: 5000 is above reconnect_max_ms (1000)");
    E("\"connector\": {\"type\": \"xmpp\", \"url\": \"ws://h/ws\", "
      "\"jid\": \"b@h\", \"password_env\": \"PW\", "
      "\"reconnect_min_ms\": 60000}",
      "reconnect_max_ms (30000, the default)");
    E("\"connector\": {\"type\": \"xmpp\", \"url\": \"ws://h/ws\", "
      "\"jid\": \"b@h\", \"password_env\": \"PW\", "
      "\"reconnect_min_ms\": 1500.5}",
      "connector.reconnect_min_ms: 1500.5 is not a whole number");
    /* one secret, from one place */
    E("\"connector\": {\"type\": \"xmpp\", \"url\": \"ws://h/ws\", "
      "\"jid\": \"b@h\", \"password_env\": \"PW\", \"password_file\": "
      "\"pw\"}",
      "connector.password_env: both 'password_file' and 'password_env'");
    E("\"connector\": {\"type\": \"mattermost\", \"url\": \"http://h\", "
      "\"token_env\": \"T\", \"token_file\": \"t\"}",
      "connector.token_env: both 'token_file' and 'token_env'");
    /* or a systemd credential (LoadCredential=), by its name */
    E("\"connector\": {\"type\": \"xmpp\", \"url\": \"ws://h/ws\", "
      "\"jid\": \"b@h\", \"password_env\": \"PW\", "
      "\"password_credential\": \"pw\"}",
      "connector.password_credential: both 'password_env' and "
      "'password_credential' are set");
    E("\"connector\": {\"type\": \"xmpp\", \"url\": \"ws://h/ws\", "
      "\"jid\": \"b@h\", \"password_file\": \"f\", \"password_env\": "
      "\"PW\", \"password_credential\": \"pw\"}",
      "'password_file', 'password_env' and 'password_credential' are all "
      "set");
    E("\"connector\": {\"type\": \"xmpp\", \"url\": \"ws://h/ws\", "
      "\"jid\": \"b@h\"}",
      "connector: neither 'password_file' nor 'password_env' nor "
      "'password_credential' is set");
    E("\"connector\": {\"type\": \"xmpp\", \"url\": \"ws://h/ws\", "
      "\"jid\": \"b@h\", \"password_credential\": \"../etc/pw\"}",
      "connector.password_credential: '../etc/pw' is not a credential's "
      "name");
    E("\"connector\": {\"type\": \"mattermost\", \"url\": \"http://h\", "
      "\"token_credential\": \"\"}",
      "connector.token_credential: '' is not a credential's name");
    E("\"connector\": {\"type\": \"slack\", \"bot_token_credential\": "
      "\"bot\", \"app_token_env\": \"A\", \"app_token_credential\": "
      "\"app\"}",
      "connector.app_token_credential: both 'app_token_env' and "
      "'app_token_credential'");
    /* Slack: two tokens, each from one place, never in the file */
    E("\"connector\": {\"type\": \"slack\", \"app_token_env\": \"A\"}",
      "connector: neither 'bot_token_file' nor 'bot_token_env' nor "
      "'bot_token_credential' is set");
    E("\"connector\": {\"type\": \"slack\", \"bot_token_env\": \"B\"}",
      "connector: neither 'app_token_file' nor 'app_token_env' nor "
      "'app_token_credential' is set");
    E("\"connector\": {\"type\": \"slack\", \"bot_token\": \"xoxb-1\", "
      "\"app_token_env\": \"A\"}",
      "connector.bot_token: the token never goes in the configuration");
    E("\"connector\": {\"type\": \"slack\", \"bot_token_env\": \"B\", "
      "\"app_token\": \"xapp-1\"}",
      "connector.app_token: the token never goes in the configuration");
    E("\"connector\": {\"type\": \"slack\", \"bot_token_env\": \"B\", "
      "\"app_token_env\": \"A\", \"app_token_file\": \"a\"}",
      "connector.app_token_env: both 'app_token_file' and 'app_token_env'");
    E("\"connector\": {\"type\": \"slack\", \"bot_token_env\": \"B\", "
      "\"app_token_env\": \"A\", \"api_url\": \"slack.com/api\"}",
      "connector.api_url: 'slack.com/api' is not an http:// or https:// URL");
    E("\"connector\": {\"type\": \"slack\", \"bot_token_env\": \"B\", "
      "\"app_token_env\": \"A\", \"url\": \"https://slack.com/api\"}",
      "connector.url");
    E("\"connector\": {\"type\": \"slack\", \"bot_token_env\": \"B\", "
      "\"app_token_env\": \"A\", \"post_timeout_s\": 0}",
      "connector.post_timeout_s: 0 is out of range (1 to 600)");
    E(SL_CONN ", \"supervisors\": [\"sanna\"]",
      "supervisors[0]: 'sanna' is not a Slack user id");
    E(SL_CONN ", \"routes\": [{\"customer_room\": \"Acme Customer\", "
              "\"internal_room\": \"C0INTERNAL\"}]",
      "routes[0].customer_room: 'Acme Customer' is not a Slack channel");
    /* supervisors are ids: bare JIDs, Mattermost user ids */
    E(CONN ", \"supervisors\": [\"sanna@localhost\", \"sanna\"]",
      "supervisors[1]: 'sanna' is not a bare JID");
    E(CONN ", \"supervisors\": [\"sanna@localhost/phone\"]",
      "supervisors[0]: 'sanna@localhost/phone' is not a bare JID");
    E(MM_CONN ", \"supervisors\": [\"sanna\"]",
      "supervisors[0]: 'sanna' is not a user id");
    /* rooms are room addresses */
    E(CONN ", \"routes\": [{\"customer_room\": \"acme-support\", "
           "\"internal_room\": \"team@conference.localhost\"}]",
      "routes[0].customer_room: 'acme-support' is not a room address");
    E(CONN ", \"routes\": [{\"customer_room\": \"c@conference.localhost\", "
           "\"internal_room\": \"team@conference.localhost/nick\"}]",
      "routes[0].internal_room: 'team@conference.localhost/nick' is not a "
      "room address");
    E(MM_CONN ", \"routes\": [{\"customer_room\": \"acme-customer\", "
              "\"internal_room\": \"support/acme-team\"}]",
      "routes[0].customer_room: 'acme-customer' is not a channel");
    /* a reply prefix that marks nothing, or reads as a command */
    E(CONN ", \"routes\": [" ROUTE("a", "c", "i") "], \"command_prefix\": "
                                                  "\">>\"",
      "routes[0].reply_prefix: \">>\" is the command prefix \">>\"");
    E(CONN ", \"routes\": [" ROUTE("a", "c", "i") "], \"command_prefix\": "
                                                  "\">\"",
      "routes[0].reply_prefix: \">>\" begins with the command prefix");
    E(CONN ", \"routes\": [{\"customer_room\": \"c@conference.localhost\", "
           "\"internal_room\": \"i@conference.localhost\", "
           "\"reply_prefix\": \"  \"}]",
      "routes[0].reply_prefix: \"  \" is only white space");
    E(CONN ", \"routes\": [{\"customer_room\": \"c@conference.localhost\", "
           "\"internal_room\": \"i@conference.localhost\", "
           "\"reply_prefix\": \" >>\"}]",
      "starts with white space");
    /* a route's mode, the log's format */
    E(CONN ", \"routes\": [{\"customer_room\": \"c@conference.localhost\", "
           "\"internal_room\": \"i@conference.localhost\", "
           "\"mode\": \"watch\"}]",
      "routes[0].mode: 'watch' is not one of enforce, observe");
    E("\"log_format\": \"xml\"", "log_format: 'xml' is not one of text, json");
    /* a number beyond 64 bits: jansson's own error names no key */
    E("\"max_message_bytes\": 99999999999999999999",
      "max_message_bytes: 1e+20 is too large");
    E("\"connector\": {\"type\": \"xmpp\", \"ping_s\": "
      "-123456789012345678901234}",
      "connector.ping_s: -1.23457e+23 is too large");
#undef E
    /* and what is right still loads: "" (everything is a reply), a
       Mattermost id and TEAM/CHANNEL, a prefix that only begins like
       the command prefix the other way round */
    struct pf_config c;
    char err[1024];
    snprintf(j, sizeof(j),
             "%s" MM_CONN ", \"routes\": [{\"customer_room\": "
             "\"abcdefghijklmnopqrstuvwxyz\", \"internal_room\": "
             "\"support/acme-team\", \"reply_prefix\": \"\"}], "
             "\"supervisors\": [\"0123456789abcdefghijklmnop\"], "
             "\"command_prefix\": \"!!\"}",
             pl);
    ck_assert_msg(tu_config(&c, j, NULL, err, sizeof(err)) == 0, "%s", err);
    pf_config_release(&c);
    /* Slack: channels by id or name, the Web API's default address */
    snprintf(j, sizeof(j),
             "%s" SL_CONN ", \"routes\": [{\"customer_room\": "
             "\"#acme-customer\", \"internal_room\": \"G0TEAM0001\"}], "
             "\"supervisors\": [\"U0SANNA01\", \"W0SANNA02\"]}",
             pl);
    ck_assert_msg(tu_config(&c, j, NULL, err, sizeof(err)) == 0, "%s", err);
    ck_assert_str_eq(c.connector.type, "slack");
    ck_assert_str_eq(c.connector.url, "https://slack.com/api");
    ck_assert_str_eq(c.connector.password_env, "B");
    ck_assert_str_eq(c.connector.app_token_env, "A");
    pf_config_release(&c);
    snprintf(j, sizeof(j),
             "%s" CONN ", \"routes\": [{\"customer_room\": "
             "\"c@conference.localhost\", \"internal_room\": "
             "\"i@conference.localhost\", \"reply_prefix\": \"!\"}], "
             "\"command_prefix\": \"!!\", \"policy\": {\"labels\": "
             "{\"pokerface.*\": \"block\"}}}",
             pl);
    ck_assert_msg(tu_config(&c, j, NULL, err, sizeof(err)) == 0, "%s", err);
    pf_config_release(&c);
}
END_TEST

START_TEST(comments_are_ignored)
{
    struct pf_config c;
    char err[1024];
    int rc = tu_config(&c,
                       "{\"//\": \"x\", \"// plugins\": 1, \"plugins\": "
                       "[{\"name\": \"backstage\", \"// why\": \"y\"}], "
                       "\"policy\": {\"//\": [1, 2]}}",
                       NULL, err, sizeof(err));
    ck_assert_msg(rc == 0, "%s", err);
    pf_config_release(&c);
}
END_TEST

START_TEST(errors_name_the_key)
{
    expect_error("{\"plugins\": \"backstage\"}",
                 "plugins: expected an array, got a string");
    expect_error("{\"plugins\": [\"example\", \"bakstage\"]}",
                 "plugins[1]: unknown plugin 'bakstage' in");
    expect_error("{\"plugins\": [\"example\", {\"name\": \"bakstage\"}]}",
                 "plugins[1].name: unknown plugin 'bakstage'");
    expect_error("{\"plugins\": [\"bakstage\"]}", "did you mean 'backstage'");
    expect_error("{\"plugins\": [\"backstage\"], \"polcy\": {}}",
                 "polcy: unknown key 'polcy' (did you mean 'policy'?)");
    expect_error("{\"plugins\": [\"backstage\"], \"policy\": "
                 "{\"hold_threshold\": \"high\"}}",
                 "policy.hold_threshold: expected a number, got a string");
    expect_error("{\"plugins\": [\"backstage\"], \"policy\": "
                 "{\"hold_threshold\": 1.5}}",
                 "policy.hold_threshold: 1.5 is out of range");
    expect_error("{\"plugins\": [\"backstage\"], \"policy\": "
                 "{\"note_threshold\": 0.8, \"hold_threshold\": 0.5}}",
                 "policy.note_threshold: 0.8 is above hold_threshold");
    expect_error("{\"plugins\": [\"backstage\"], \"policy\": {\"labels\": "
                 "{\"x\": \"delete\"}}}",
                 "policy.labels.\"x\": unknown action 'delete'");
    expect_error("{\"plugins\": [\"backstage\"], \"policy\": {\"labels\": "
                 "{\"Bad Label\": \"hold\"}}}",
                 "policy.labels.\"Bad Label\": invalid label");
    expect_error("{\"plugins\": [{\"name\": \"backstage\", \"enabled\": "
                 "\"yes\"}]}",
                 "plugins[0].enabled: expected true or false, got a string");
    expect_error("{\"plugins\": [{\"name\": \"backstage\", \"config\": []}]}",
                 "plugins[0].config: expected an object, got an array");
    expect_error("{\"plugins\": [{\"name\": \"backstage\", \"colour\": 1}]}",
                 "plugins[0].colour: unknown key 'colour'");
    expect_error("{\"plugins\": [{\"file\": \"backstage.so\"}]}",
                 "plugins[0]: missing key 'name'");
    expect_error("{\"plugins\": [\"Backstage!\"]}", "invalid plugin name");
    expect_error("{\"plugins\": [{\"name\": \"x\", \"file\": "
                 "\"../evil.so\"}]}",
                 "must be a file name in the plugin directory");
    expect_error("{\"plugins\": [\"backstage\", \"backstage\"]}",
                 "plugins[1]: duplicate plugin name 'backstage'");
    expect_error("{\"plugins\": [{\"name\": \"backstage\", \"enabled\": "
                 "false}]}",
                 "no plugin is enabled");
    expect_error("{}", "missing key 'plugins'");
    expect_error("[]", "expected a JSON object at the top, got an array");
    expect_error("{\"plugins\": [\"backstage\"], \"ui_language\": \"sv\"}",
                 "ui_language: 'sv' is not one of auto, fi, en");
    expect_error("{\"plugins\": [\"backstage\"], \"max_message_bytes\": 0}",
                 "max_message_bytes: 0 is out of range");
    expect_error("{\"plugins\": [\"backstage\"], \"team\": [\"\"]}",
                 "team[0]: expected a non-empty string, got an empty string");
    expect_error("{\"plugins\": [\"backstage\"], \"plugin_dir\": "
                 "\"/nonexistent\"}",
                 "plugin_dir: '/nonexistent' is not a directory");
}
END_TEST

START_TEST(syntax_errors_have_line_and_column)
{
    expect_error("{\n\"plugins\": [\"backstage\",\n", "test.json:3:");
    expect_error("{\"plugins\": [], \"plugins\": []}", "duplicate");
}
END_TEST

START_TEST(missing_file)
{
    struct pf_config c;
    struct pf_paths p;
    char err[512];
    tu_paths(&p, NULL);
    ck_assert_int_eq(
        pf_config_load(&c, "/nonexistent/pf.json", &p, err, sizeof(err)),
        PF_ENOTFOUND);
    ck_assert_msg(strstr(err, "/nonexistent/pf.json: no such file"), "%s", err);
    pf_paths_release(&p);
}
END_TEST

START_TEST(relative_plugin_dir_is_relative_to_the_file)
{
    char *dir = tu_tmpdir();
    char *sub = pf_path_join(dir, "myplugins");
    char *cfg = pf_path_join(dir, "pf.json");
    char *so = pf_path_join(sub, "probe.so");
    char *from = pf_path_join(tu_fixture_dir(), "probe.so");
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    tu_copy(from, so, 0644);
    FILE *f = fopen(cfg, "w");
    fputs("{\"plugin_dir\": \"myplugins\", \"plugins\": [\"probe\"]}", f);
    fclose(f);
    struct pf_config c;
    struct pf_paths p;
    char err[1024];
    tu_paths(&p, NULL);
    int rc = pf_config_load(&c, cfg, &p, err, sizeof(err));
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_str_eq(c.plugin_dir, sub);
    pf_config_release(&c);
    pf_paths_release(&p);
    tu_rmrf(dir);
    free(dir), free(sub), free(cfg), free(so), free(from);
}
END_TEST

START_TEST(web_and_history_keys)
{
    struct pf_config c;
    char err[1024];
    /* off without "web"; history_days defaults to 90 */
    ck_assert_int_eq(
        tu_config(&c, "{\"plugins\": [\"example\"]}", NULL, err, sizeof(err)),
        0);
    ck_assert_int_eq(c.web.enabled, 0);
    ck_assert(c.history_days == 90);
    pf_config_release(&c);
    /* on with an empty object: the default address */
    ck_assert_int_eq(tu_config(&c,
                               "{\"plugins\": [\"example\"], \"web\": {}, "
                               "\"history_days\": 30}",
                               NULL, err, sizeof(err)),
                     0);
    ck_assert_int_eq(c.web.enabled, 1);
    ck_assert_str_eq(c.web.host, "127.0.0.1");
    ck_assert_int_eq(c.web.port, 8751);
    ck_assert_ptr_null(c.web.tls_cert);
    ck_assert(c.history_days == 30);
    pf_config_release(&c);
    ck_assert_int_eq(tu_config(&c,
                               "{\"plugins\": [\"example\"], \"web\": "
                               "{\"listen\": \"[::1]:9100\", \"enabled\": "
                               "false}}",
                               NULL, err, sizeof(err)),
                     0);
    ck_assert_int_eq(c.web.enabled, 0);
    ck_assert_str_eq(c.web.host, "::1");
    ck_assert_int_eq(c.web.port, 9100);
    pf_config_release(&c);
    ck_assert_int_eq(tu_config(&c,
                               "{\"plugins\": [\"example\"], \"web\": "
                               "{\"listen\": \":9100\"}}",
                               NULL, err, sizeof(err)),
                     0);
    ck_assert_ptr_null(c.web.host); /* every address */
    pf_config_release(&c);
    expect_error("{\"plugins\": [\"example\"], \"web\": {\"listen\": "
                 "\"localhost\"}}",
                 "web.listen: 'localhost' is not HOST:PORT");
    expect_error("{\"plugins\": [\"example\"], \"web\": {\"listen\": "
                 "\"127.0.0.1:99999\"}}",
                 "web.listen: '127.0.0.1:99999': '99999' is not a port");
    expect_error("{\"plugins\": [\"example\"], \"web\": {\"listen\": "
                 "\"::1:80\"}}",
                 "an IPv6 address goes in brackets");
    expect_error("{\"plugins\": [\"example\"], \"web\": {\"tls_cert_file\": "
                 "\"/etc/hostname\"}}",
                 "TLS needs both");
    expect_error("{\"plugins\": [\"example\"], \"web\": {\"tls_cert_file\": "
                 "\"/nonexistent.pem\", \"tls_key_file\": \"/etc/hostname\"}}",
                 "web.tls_cert_file: '/nonexistent.pem'");
    expect_error("{\"plugins\": [\"example\"], \"web\": {\"port\": 80}}",
                 "web.port: unknown key 'port'");
    expect_error("{\"plugins\": [\"example\"], \"history_days\": 0}",
                 "history_days: 0 is out of range");
}
END_TEST

Suite *
suite_config(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, example_config_loads);
    tcase_add_test(tc, defaults_and_shorthand);
    tcase_add_test(tc, comments_are_ignored);
    tcase_add_test(tc, relay_keys);
    tcase_add_test(tc, silent_mistakes_are_errors);
    tcase_add_test(tc, errors_name_the_key);
    tcase_add_test(tc, web_and_history_keys);
    tcase_add_test(tc, syntax_errors_have_line_and_column);
    tcase_add_test(tc, missing_file);
    tcase_add_test(tc, relative_plugin_dir_is_relative_to_the_file);
    suite_add_tcase(s, tc);
    return s;
}
