/*
 * run.c - `pokerface run`: the bot, in the foreground. Connects to the
 * team chat, relays and holds until SIGTERM or SIGINT, then disconnects
 * cleanly. One log line per event that matters, on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "cli/cli.h"
#include "cli/reload.h"
#include "connectors/mattermost.h"
#include "connectors/slack.h"
#include "connectors/xmpp.h"
#include "core/control.h"
#include "core/journal.h"
#include "core/loop.h"
#include "core/relay.h"
#include "core/service.h"
#include "core/webapp.h"

static const char usage[] =
    "usage: pokerface run -c CONFIG [-v]\n"
    "\n"
    "Run the bot in the foreground: connect to the team chat, relay agents'\n"
    "replies to customers through the rules, and hold what reads like\n"
    "backstage talk until its author decides. Stops cleanly on SIGTERM or\n"
    "SIGINT (Ctrl-C). SIGHUP loads the configuration, plugins, lexicons and\n"
    "models again without dropping the connection or any hold; a new\n"
    "configuration that does not load is refused (logged) and the running\n"
    "one stays.\n"
    "\n"
    "The configuration needs a \"connector\" (the bot's chat account, on\n"
    "XMPP, Mattermost or Slack; its password or tokens come from a file,\n"
    "an environment variable or a systemd credential, never from the\n"
    "configuration) and at least one entry in \"routes\". See\n"
    "config/pokerface.example.json (XMPP), config/pokerface.mattermost.json\n"
    "and config/pokerface.slack.json.\n"
    "\n"
    "Under systemd (the pokerface.service that make install puts in place)\n"
    "it tells systemd when it is connected, joined and caught up (READY=1)\n"
    "and pings its watchdog from the event loop (WatchdogSec=); its state\n"
    "is in $STATE_DIRECTORY, its secret may be a credential\n"
    "(\"password_credential\": LoadCredential=).\n"
    "\n"
    "  -c, --config FILE  configuration (required)\n"
    "  -v, --verbose      log debug lines too\n"
    "  -h, --help         show this help\n";

extern char **environ;

/*
 * Take the variable out of the environment. unsetenv() alone is not
 * enough: /proc/PID/environ shows the process's first environment block
 * as it is in memory, so the value is wiped there first.
 */
static void
scrub_env(const char *name)
{
    size_t n = strlen(name), k = 0;
    char *found[8];
    for (char **e = environ; e && *e && k < PF_ARRAY_LEN(found); e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            found[k++] = *e;
    unsetenv(name);
    while (k > 0) {
        k--;
        sodium_memzero(found[k], strlen(found[k]));
    }
}

/* The password, into sodium_malloc'd memory; NULL with err on failure.
   One of three places: a variable (env, taken out of the environment:
   scrub_env), a systemd credential (cred: the file of that name in
   $CREDENTIALS_DIRECTORY, which LoadCredential= fills), or a file. what
   names it, key its configuration keys without _file, _env, _credential. */
static char *
read_secret(const char *file, const char *env, const char *cred,
            const char *what, const char *key, char *err, size_t errlen)
{
    char *out, *path = NULL;
    if (env) {
        const char *v = getenv(env);
        if (!v || !*v) {
            pf_snprintf(err, errlen,
                        "environment variable '%s' (connector.%s_env) "
                        "is not set",
                        env, key);
            return NULL;
        }
        size_t n = strlen(v);
        out = sodium_malloc(n + 1);
        if (!out)
            pf_die("out of memory");
        memcpy(out, v, n + 1);
        scrub_env(env);
        return out;
    }
    if (cred) {
        const char *dir = getenv("CREDENTIALS_DIRECTORY");
        if (!dir || !*dir) {
            pf_snprintf(err, errlen,
                        "%s: credential '%s' (connector.%s_credential): "
                        "CREDENTIALS_DIRECTORY is not set; start pokerface "
                        "from its systemd unit, with LoadCredential=%s:FILE",
                        what, cred, key, cred);
            return NULL;
        }
        file = path = pf_path_join(dir, cred);
    }
    int fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    out = NULL;
    if (fd < 0) {
        pf_snprintf(err, errlen, "%s %s '%s': %s", what,
                    cred ? "credential" : "file", file, strerror(errno));
        goto done;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        pf_snprintf(err, errlen, "%s file '%s' is not a regular file", what,
                    file);
        goto done;
    }
    /* systemd gives a credential to the service's user alone, sometimes
       through an ACL that shows as group bits: others must not read it */
    if (st.st_mode & (cred ? S_IRWXO : (S_IRWXG | S_IRWXO))) {
        pf_snprintf(err, errlen,
                    "%s file '%s' can be read by others (mode %03o); "
                    "chmod 600 it",
                    what, file, (unsigned)(st.st_mode & 0777));
        goto done;
    }
    out = sodium_malloc(4096);
    if (!out)
        pf_die("out of memory");
    ssize_t n = read(fd, out, 4095);
    if (n <= 0) {
        pf_snprintf(err, errlen, "%s file '%s' is empty", what, file);
        sodium_free(out);
        out = NULL;
        goto done;
    }
    /* one line: the newline at the end is not part of the password */
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        n--;
    out[n] = '\0';
done:
    if (fd >= 0)
        close(fd);
    free(path);
    return out;
}

static char *
read_password(const struct pf_connector_conf *k, char *err, size_t errlen)
{
    if (strcmp(k->type, "slack") == 0)
        return read_secret(k->password_file, k->password_env, k->password_cred,
                           "bot token", "bot_token", err, errlen);
    if (strcmp(k->type, "mattermost") == 0)
        return read_secret(k->password_file, k->password_env, k->password_cred,
                           "token", "token", err, errlen);
    return read_secret(k->password_file, k->password_env, k->password_cred,
                       "password", "password", err, errlen);
}

static struct pf_connector *
new_xmpp(struct pf_loop *loop, const struct pf_config *cfg,
         const char *password, struct pf_relay *relay, char *err, size_t errlen)
{
    const struct pf_connector_conf *k = &cfg->connector;
    struct pf_xmpp_opts xo;
    memset(&xo, 0, sizeof(xo));
    xo.url = k->url;
    xo.jid = k->jid;
    xo.password = password;
    xo.resource = k->resource;
    xo.nick = k->nick;
    xo.sasl = k->sasl;
    xo.reconnect_min_ms = k->reconnect_min_ms;
    xo.reconnect_max_ms = k->reconnect_max_ms;
    xo.ping_s = k->ping_s;
    xo.max_stanza = k->max_stanza_bytes;
    xo.configure_rooms = k->configure_rooms;
    /* the supervisors own the rooms the bot creates with it, so that they
       can add the team as members */
    xo.room_owners = (const char *const *)cfg->supervisors;
    xo.n_room_owners = cfg->n_supervisors;
    return pf_xmpp_new(loop->ctx, &xo, pf_relay_event, relay, err, errlen);
}

static struct pf_connector *
new_mattermost(struct pf_loop *loop, const struct pf_connector_conf *k,
               const char *token, struct pf_relay *relay, char *err,
               size_t errlen)
{
    struct pf_mattermost_opts mo;
    memset(&mo, 0, sizeof(mo));
    mo.url = k->url;
    mo.token = token;
    mo.reconnect_min_ms = k->reconnect_min_ms;
    mo.reconnect_max_ms = k->reconnect_max_ms;
    mo.ping_s = k->ping_s;
    mo.max_frame = k->max_stanza_bytes;
    return pf_mattermost_new(loop->ctx, &mo, pf_relay_event, relay, err,
                             errlen);
}

/* Slack: the bot token is password; the app-level token is read here */
static struct pf_connector *
new_slack(struct pf_loop *loop, const struct pf_connector_conf *k,
          const char *bot_token, struct pf_relay *relay, char *err,
          size_t errlen)
{
    char *app_token =
        read_secret(k->app_token_file, k->app_token_env, k->app_token_cred,
                    "app-level token", "app_token", err, errlen);
    if (!app_token)
        return NULL;
    struct pf_slack_opts so;
    memset(&so, 0, sizeof(so));
    so.api_url = k->url;
    so.bot_token = bot_token;
    so.app_token = app_token;
    so.reconnect_min_ms = k->reconnect_min_ms;
    so.reconnect_max_ms = k->reconnect_max_ms;
    so.ping_s = k->ping_s;
    so.max_frame = k->max_stanza_bytes;
    so.post_timeout_ms = k->post_timeout_s * 1000;
    struct pf_connector *c =
        pf_slack_new(loop->ctx, &so, pf_relay_event, relay, err, errlen);
    sodium_free(app_token);
    return c;
}

static void
wake_cb(lws_sorted_usec_list_t *sul)
{
    (void)sul; /* only there to make lws_service() return */
}

int
pf_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    int verbose = 0, c, rc;
    char err[1024];
    struct pf_cli_env env;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+c:vh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'v': verbose = 1; break;
        case 'h': fputs(usage, stdout); return PF_EXIT_OK;
        default: return pf_cli_usage_error("run", "unknown option");
        }
    }
    if (!config)
        return pf_cli_usage_error("run", "-c CONFIG is required");
    if (optind != argc)
        return pf_cli_usage_error("run", "unexpected argument '%s'",
                                  argv[optind]);
    /* under systemd the journal keeps the time, and wants priorities */
    if (pf_log_under_journal())
        pf_log_set_journal(1);
    else
        pf_log_set_timestamps(1);
    /* what the bot writes (journal, plugins' state, caches) is private */
    umask(077);
    if ((rc = pf_cli_open_state(&env, config)))
        return rc;
    pf_log_set_format(env.cfg.log_format);
    if (verbose)
        pf_log_set_level(PF_LOG_DEBUG);
    if (!env.cfg.have_connector || env.cfg.n_routes == 0) {
        fprintf(stderr, "pokerface run: %s: %s\n", config,
                !env.cfg.have_connector
                    ? "no \"connector\": how should the bot reach the chat?"
                    : "no \"routes\": which rooms should the bot relay?");
        pf_cli_close(&env);
        return PF_EXIT_ERROR;
    }
    /* the journal's key first: without it nothing can be held safely */
    unsigned char *key = sodium_malloc(PF_KEY_BYTES);
    char *key_path = env.cfg.journal_key_file
                         ? pf_xstrdup(env.cfg.journal_key_file)
                         : pf_path_join(env.state_dir, "journal.key");
    char *journal_path = pf_path_join(env.state_dir, "journal");
    if (!key)
        pf_die("out of memory");
    if (pf_key_load(key_path, key, err, sizeof(err)) != PF_OK) {
        fprintf(stderr, "pokerface run: the journal of held messages: %s\n",
                err);
        goto fail_early;
    }
    char *password = read_password(&env.cfg.connector, err, sizeof(err));
    if (!password) {
        fprintf(stderr, "pokerface run: %s\n", err);
        goto fail_early;
    }
    /* the plugins in a process of their own, so that one that hangs or
       crashes cannot stop the bot; forked now, once the password is out
       of the environment and before the event loop opens anything */
    if (pf_engine_isolate(&env.engine, err, sizeof(err)) != PF_OK) {
        fprintf(stderr, "pokerface: %s\n", err);
        sodium_free(password);
        goto fail_early;
    }

    struct pf_loop loop;
    if (pf_loop_init(&loop, err, sizeof(err))) {
        fprintf(stderr, "pokerface run: %s\n", err);
        sodium_free(password);
        goto fail_early;
    }
    pf_loop_catch_signals(&loop);
    struct pf_relay *relay = pf_relay_new(&env.cfg, &env.engine, loop.ctx);
    const struct pf_connector_conf *k = &env.cfg.connector;
    struct pf_connector *conn =
        strcmp(k->type, "mattermost") == 0
            ? new_mattermost(&loop, k, password, relay, err, sizeof(err))
        : strcmp(k->type, "slack") == 0
            ? new_slack(&loop, k, password, relay, err, sizeof(err))
            : new_xmpp(&loop, &env.cfg, password, relay, err, sizeof(err));
    sodium_free(password); /* the connector keeps its own locked copy */
    if (!conn) {
        fprintf(stderr, "pokerface run: connector: %s\n", err);
        pf_relay_free(relay);
        pf_loop_release(&loop);
        goto fail_early;
    }
    pf_relay_attach(relay, conn);
    if (pf_relay_open_journal(relay, journal_path, key, err, sizeof(err)) !=
        PF_OK) {
        fprintf(stderr, "pokerface run: %s\n", err);
        pf_relay_free(relay);
        conn->ops->destroy(conn);
        pf_loop_release(&loop);
        goto fail_early;
    }
    char *history_path = pf_path_join(env.state_dir, "history");
    rc = pf_relay_open_history(relay, history_path, key, env.cfg.history_days,
                               err, sizeof(err));
    free(history_path);
    if (rc != PF_OK) {
        fprintf(stderr, "pokerface run: %s\n", err);
        pf_relay_free(relay);
        conn->ops->destroy(conn);
        pf_loop_release(&loop);
        goto fail_early;
    }
    sodium_free(key);
    key = NULL;
    struct pf_control *control = NULL;
    struct pf_reloader reloaded;
    memset(&reloaded, 0, sizeof(reloaded));
    char *sock_path = pf_path_join(env.state_dir, "control.sock");
    rc = pf_control_start(&control, loop.ctx, sock_path, relay, err,
                          sizeof(err));
    free(sock_path);
    if (rc != PF_OK) {
        fprintf(stderr, "pokerface run: %s\n", err);
        pf_relay_free(relay);
        conn->ops->destroy(conn);
        pf_loop_release(&loop);
        goto fail_early;
    }
    struct pf_webapp *web = NULL;
    if (env.cfg.web.enabled) {
        /* each plugin's check timed to the nanosecond, for its histogram
           (else the coarse clock, milliseconds, which budgets need only):
           two clock reads per plugin per message */
        env.engine.precise = 1;
        if (pf_webapp_start(&web, relay, loop.ctx, env.cfg.data_dir, err,
                            sizeof(err)) != PF_OK) {
            fprintf(stderr, "pokerface run: %s\n", err);
            pf_control_stop(control);
            pf_relay_free(relay);
            conn->ops->destroy(conn);
            pf_loop_release(&loop);
            goto fail_early;
        }
    }
    pf_info("pokerface %s starting: %zu route(s), %zu plugin(s), as %s on %s",
            PF_VERSION, env.cfg.n_routes, pf_engine_n_plugins(&env.engine),
            k->jid ? k->jid : "the bot's token", k->url);
    pf_loop_on_wrote(&loop, pf_relay_wrote, relay);
    if ((rc = pf_relay_start(relay)) != PF_OK) {
        fprintf(stderr, "pokerface run: cannot start (a route's room is not "
                        "a room address?)\n");
    } else {
        struct pf_reloader rl;
        memset(&rl, 0, sizeof(rl));
        rl.config_path = config;
        rl.env = &env;
        rl.verbose = verbose;
        rl.relay = relay;
        rl.cfg = &env.cfg;
        rl.engine = &env.engine;
        pf_service_watchdog_start(loop.ctx);
        int sig;
        while ((sig = pf_loop_run(&loop)) == SIGHUP) {
            pf_service_reloading();
            pf_service_reloaded(pf_reload(&rl) == PF_OK
                                    ? "reloaded"
                                    : "reload refused; the running "
                                      "configuration stays");
        }
        pf_service_stopping();
        reloaded = rl;
        pf_info("stopping%s", sig == SIGTERM  ? " (SIGTERM)"
                              : sig == SIGINT ? " (SIGINT)"
                                              : "");
        /* say goodbye to the server, for at most two seconds */
        pf_relay_stop(relay);
        lws_sorted_usec_list_t wake;
        memset(&wake, 0, sizeof(wake));
        int64_t until = pf_now_us() + 2000000;
        loop.stop = 0;
        while (pf_now_us() < until) {
            lws_sul_schedule(loop.ctx, 0, &wake, wake_cb, 100 * 1000);
            pf_loop_once(&loop, 100);
            if (loop.stop)
                break; /* a second signal: leave now */
            if (!conn->ops->ready(conn))
                break; /* the server closed the stream */
        }
        lws_sul_cancel(&wake);
        pf_service_watchdog_stop();
    }
    const struct pf_relay_stats *st = pf_relay_stats(relay);
    pf_info("stopped: relayed %u, mirrored %u, held %u, sent %u, dropped %u, "
            "expired %u",
            st->relayed, st->mirrored, st->held, st->sent, st->dropped,
            st->expired);
    int64_t p50, p99, pmax;
    size_t n_lat = pf_relay_latency(relay, 0.5, &p50);
    if (n_lat) {
        pf_relay_latency(relay, 0.99, &p99);
        pf_relay_latency(relay, 1.0, &pmax);
        int64_t s50[PF_LAT_STAGES], s99[PF_LAT_STAGES];
        for (int i = 0; i < PF_LAT_STAGES; i++) {
            pf_relay_latency_of(relay, (enum pf_relay_stage)i, 0.5, &s50[i]);
            pf_relay_latency_of(relay, (enum pf_relay_stage)i, 0.99, &s99[i]);
        }
        pf_info("relay latency (frame in -> relayed post queued) over %zu "
                "messages: p50 %.1f us, p99 %.1f us, max %.1f us; by stage, "
                "p50/p99: reading %.1f/%.1f us, checking %.1f/%.1f us, "
                "journal %.1f/%.1f us, posting %.1f/%.1f us",
                n_lat, (double)p50 / 1e3, (double)p99 / 1e3, (double)pmax / 1e3,
                (double)s50[0] / 1e3, (double)s99[0] / 1e3,
                (double)s50[1] / 1e3, (double)s99[1] / 1e3,
                (double)s50[2] / 1e3, (double)s99[2] / 1e3,
                (double)s50[3] / 1e3, (double)s99[3] / 1e3);
    }
    struct pf_journal_stats js;
    pf_relay_journal_stats(relay, &js);
    if (js.records)
        pf_info("journal: %llu records in %llu writes, %llu fdatasyncs",
                (unsigned long long)js.records, (unsigned long long)js.writes,
                (unsigned long long)js.syncs);
    pf_webapp_stop(web);
    pf_control_stop(control);
    pf_loop_on_wrote(&loop, NULL, NULL);
    pf_relay_free(relay);
    conn->ops->destroy(conn);
    pf_loop_release(&loop);
    pf_reload_release(&reloaded);
    pf_cli_close(&env);
    free(key_path);
    free(journal_path);
    return PF_EXIT_OK;

fail_early:
    sodium_free(key);
    free(key_path);
    free(journal_path);
    pf_cli_close(&env);
    return PF_EXIT_ERROR;
}
