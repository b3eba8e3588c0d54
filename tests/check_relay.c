/*
 * check_relay.c - end to end: pokerface (the real binary) between test
 * users on a chat server: a real Prosody XMPP server started on a free
 * loopback port, and the same scenarios again on the Mattermost emulator
 * (tests/mmemu.c, one per scenario).
 *
 * Cast: aino (agent) and ville (her colleague) and sanna (supervisor) in
 * the internal room, asiakas (the customer) in the customer room, and a
 * stranger who is in neither. Every scenario has rooms of its own and its
 * own pokerface process, so scenarios do not see each other's messages.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "base/util.h"
#include "chat.h"
#include "connectors/xmpp.h"
#include "core/control.h"
#include "core/journal.h"
#include "core/web.h"
#include "prom.h"
#include "testutil.h"

#define MUC "@conference.localhost"
#define WAIT 10000 /* ms: the longest anything should take */
#define QUIET 600  /* ms: how long "nothing arrives" is watched */

static char *g_dir; /* the Prosody instance */
/* a scene's own configuration, where it needs one (reset by scene_open):
   keys added to "connector", and the plugins */
#define PLUGINS "[\"example\", \"backstage\", \"echo\"]"
static const char *g_conn_extra = "", *g_route_extra = "";
static const char *g_plugins = PLUGINS;
static char g_url[256];
static int g_mm; /* the scenarios run on an emulator: Mattermost's or
                    (g_slack) Slack's */
static int g_slack;
/* spliced into the next scene's XMPP connector config ("\"k\": v,") */
static const char *g_xmpp_extra = "";
/* where the XMPP bot's password comes from (one scene) */
static const char *g_xmpp_secret = "\"password_env\": \"PF_TEST_BOT_PW\"";

static const char *
srcdir(void)
{
    const char *s = getenv("PF_SRCDIR");
    return s && *s ? s : ".";
}

static int
prosody(const char *cmd, const char *users)
{
    char *line = pf_xasprintf("bash %s/tests/prosody.sh %s %s %s", srcdir(),
                              cmd, g_dir, users);
    int rc = system(line);
    free(line);
    return rc;
}

static void
prosody_up(void)
{
    struct pf_buf b = PF_BUF_INIT;
    if (system("command -v prosody >/dev/null 2>&1") != 0) {
        fprintf(stderr, "check_relay: prosody is not installed; `make deps` "
                        "installs it\n");
        abort();
    }
    g_dir = tu_tmpdir();
    if (prosody("start", "bot:pw-bot aino:pw-aino ville:pw-ville "
                         "sanna:pw-sanna asiakas:pw-asiakas "
                         "stranger:pw-stranger mallory:pw-mallory") != 0) {
        fprintf(stderr, "check_relay: cannot start prosody in %s\n", g_dir);
        abort();
    }
    char *p = pf_xasprintf("%s/ws_url", g_dir);
    if (pf_read_file(p, 4096, &b) != 0)
        abort();
    free(p);
    snprintf(g_url, sizeof(g_url), "%.*s", (int)strcspn(b.data, "\n"), b.data);
    pf_buf_release(&b);
    setenv("PF_TEST_BOT_PW", "pw-bot", 1);
}

static void
mattermost_up(void)
{
    char *emu = pf_xasprintf("%s/tests/mmemu", tu_build());
    if (access(emu, X_OK) != 0) {
        fprintf(stderr, "check_relay: %s is not built\n", emu);
        abort();
    }
    free(emu);
    g_mm = 1;
    setenv("PF_TEST_BOT_TOKEN", "tok-pokerface", 1);
}

static void
mattermost_down(void)
{
    g_mm = 0;
}

static void
slack_up(void)
{
    char *emu = pf_xasprintf("%s/tests/slackemu", tu_build());
    if (access(emu, X_OK) != 0) {
        fprintf(stderr, "check_relay: %s is not built\n", emu);
        abort();
    }
    free(emu);
    g_mm = g_slack = 1;
    setenv("PF_TEST_BOT_TOKEN", "xoxb-pokerface", 1);
    setenv("PF_TEST_APP_TOKEN", "xapp-1-pokerface", 1);
}

static void
slack_down(void)
{
    g_mm = g_slack = 0;
}

static void
prosody_down(void)
{
    prosody("stop", "");
    if (!getenv("PF_KEEP"))
        tu_rmrf(g_dir);
    free(g_dir);
}

struct scene {
    struct tc_world w;
    struct tc_bot bot;
    struct tc_user *aino, *ville, *sanna, *cust, *stranger;
    char croom[128], iroom[128];
    char *tmp;
    char url[256];
    char bot_id[64]; /* the bot's user id: bot@localhost, or on
                        Mattermost its 26-character id */
    pid_t emu;       /* the Mattermost emulator, or 0 */
    pid_t proxy;     /* XMPP: the bot connects through it (cut_bot) */
};

#define mm_id tc_mm_id

/* a Slack user id made of a name: "UAINO" */
static void
slack_id(char out[32], const char *name)
{
    size_t i = 0;
    out[i++] = 'U';
    for (; *name && i < 31; name++)
        out[i++] = (char)(*name >= 'a' && *name <= 'z' ? *name - 32 : *name);
    out[i] = '\0';
}

/*
 * The scenario's own Slack: the app with its bot, the internal channel
 * C0INT and the customer's C0CUST, and the cast with user tokens
 * "xoxp-NAME" and apps of their own ("xapp-NAME") to hear with.
 */
static void
slack_emulator_start(struct scene *s)
{
    static const char *const cast[] = {"pokerface", "aino",    "ville",
                                       "sanna",     "asiakas", "stranger"};
    char id[32];
    json_t *users = json_array();
    for (size_t i = 0; i < sizeof(cast) / sizeof(*cast); i++) {
        slack_id(id, cast[i]);
        json_t *u = json_pack("{s:s, s:s, s:s}", "id", id, "name", cast[i],
                              "real_name", cast[i]);
        if (i == 0) {
            json_object_set_new(u, "token", json_string("xoxb-pokerface"));
            json_object_set_new(u, "is_bot", json_true());
            json_object_set_new(u, "bot_id", json_string("BPOKERFACE"));
        } else {
            char *tok = pf_xasprintf("xoxp-%s", cast[i]);
            char *app = pf_xasprintf("xapp-%s", cast[i]);
            json_object_set_new(u, "token", json_string(tok));
            json_object_set_new(u, "app_token", json_string(app));
            free(tok);
            free(app);
        }
        json_array_append_new(users, u);
    }
    json_t *world = json_pack(
        "{s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}, s:o, s:[{s:s, s:s, "
        "s:[s,s,s,s]}, {s:s, s:s, s:[s,s]}]}",
        "team", "id", "T0PFTEAM", "name", "Pokerface", "domain", "pokerface",
        "app", "id", "A0PFAPP", "token", "xapp-1-pokerface", "bot_user",
        "UPOKERFACE", "users", users, "channels", "id", "C0INT", "name",
        "tiimi", "members", "UPOKERFACE", "UAINO", "UVILLE", "USANNA", "id",
        "C0CUST", "name", "asiakas", "members", "UPOKERFACE", "UASIAKAS");
    s->emu =
        tc_slackemu_start(tu_build(), s->tmp, world, s->url, sizeof(s->url));
    json_decref(world);
    ck_assert_msg(s->emu > 0, "the emulator did not start; see %s/emu.log",
                  s->tmp);
    snprintf(s->iroom, sizeof(s->iroom), "C0INT");
    snprintf(s->croom, sizeof(s->croom), "C0CUST");
    snprintf(s->bot_id, sizeof(s->bot_id), "UPOKERFACE");
}

/*
 * The scenario's own Mattermost: a team "support", the internal and
 * customer channels of tag, and the cast with tokens "tok-NAME".
 */
static void
emulator_start(struct scene *s, const char *tag, int read_back_delay_ms)
{
    static const char *const cast[] = {"pokerface", "aino",    "ville",
                                       "sanna",     "asiakas", "stranger"};
    char id[27];
    json_t *users = json_array();
    for (size_t i = 0; i < sizeof(cast) / sizeof(*cast); i++) {
        mm_id(id, cast[i]);
        char *tok = pf_xasprintf("tok-%s", cast[i]);
        json_array_append_new(users, json_pack("{s:s, s:s, s:s, s:b}", "id", id,
                                               "username", cast[i], "token",
                                               tok, "is_bot", i == 0));
        free(tok);
    }
    char bot[27], aino[27], ville[27], sanna[27], cust[27], ci[27], cc[27];
    mm_id(bot, "pokerface");
    mm_id(aino, "aino");
    mm_id(ville, "ville");
    mm_id(sanna, "sanna");
    mm_id(cust, "asiakas");
    char *iname = pf_xasprintf("tiimi-%s", tag);
    char *cname = pf_xasprintf("asiakas-%s", tag);
    mm_id(ci, "chint");
    mm_id(cc, "chcust");
    json_t *world = json_pack(
        "{s:{s:s, s:s}, s:o, s:i, s:[{s:s, s:s, s:s, s:s, "
        "s:[s,s,s,s]}, {s:s, s:s, s:s, s:s, s:[s,s]}]}",
        "team", "id", "t3am0000000000000000000000", "name", "support", "users",
        users, "read_back_delay_ms", read_back_delay_ms, "channels", "id", ci,
        "name", iname, "display_name", "Tiimi (internal)", "type", "O",
        "members", bot, aino, ville, sanna, "id", cc, "name", cname,
        "display_name", "Asiakas", "type", "O", "members", bot, cust);
    s->emu = tc_mmemu_start(tu_build(), s->tmp, world, s->url, sizeof(s->url));
    json_decref(world);
    ck_assert_msg(s->emu > 0, "the emulator did not start; see %s/emu.log",
                  s->tmp);
    snprintf(s->iroom, sizeof(s->iroom), "support/%s", iname);
    snprintf(s->croom, sizeof(s->croom), "support/%s", cname);
    snprintf(s->bot_id, sizeof(s->bot_id), "%s", bot);
    free(iname);
    free(cname);
}

static void
emulator_stop(struct scene *s)
{
    tc_mmemu_stop(s->emu);
    s->emu = 0;
}

/* The chat server goes away for a moment: Prosody restarts; the
   Mattermost emulator drops every connection and forgets the sessions;
   Slack's drops every socket and loses what happens until each app is
   back. */
static void
outage(struct scene *s)
{
    if (g_slack)
        ck_assert_int_eq(
            tc_emu_control(s->url, "fault", "{\"kind\": \"outage\"}", NULL), 0);
    else if (s->emu)
        ck_assert_int_eq(kill(s->emu, SIGUSR2), 0);
    else
        ck_assert_int_eq(prosody("restart", ""), 0);
}

static int
wait_logged(struct tc_bot *b, const char *needle, int ms)
{
    for (int i = 0; i < ms / 20; i++) {
        if (tc_bot_logged(b, needle))
            return 0;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

/* like wait_logged, but pumping the test users' loop meanwhile */
/* a failing test says so when the emulator itself died, not the bot */
static void
emulator_alive(struct scene *s)
{
    int st;
    if (s->emu <= 0 || waitpid(s->emu, &st, WNOHANG) != s->emu)
        return;
    s->emu = 0;
    ck_abort_msg("the Mattermost emulator died (%s %d); see %s/emu.log and "
                 "the test's output",
                 WIFSIGNALED(st) ? "signal" : "exit",
                 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), s->tmp);
}

static int
pump_until_logged(struct scene *s, const char *needle, int ms)
{
    for (int i = 0; i < ms / 50; i++) {
        if (tc_bot_logged(&s->bot, needle))
            return 0;
        emulator_alive(s);
        tc_pump(&s->w, 50);
    }
    return -1;
}

static void
bot_start(struct scene *s)
{
    char *cfg = pf_xasprintf("%s/pf.json", s->tmp);
    char *log = pf_xasprintf("%s/bot.log", s->tmp);
    ck_assert_int_eq(tc_bot_start(&s->bot, tu_build(), cfg, log), 0);
    ck_assert_msg(wait_logged(&s->bot, "chat ready", WAIT) == 0,
                  "pokerface did not get ready; see %s", log);
    free(cfg);
    free(log);
}

static void
bot_kill(struct scene *s)
{
    kill(s->bot.pid, SIGKILL);
    waitpid(s->bot.pid, NULL, 0);
    s->bot.pid = 0;
}

/* start the bot again, not waiting for it: the test users keep talking */
static void
bot_restart(struct scene *s, int run)
{
    char *cfg = pf_xasprintf("%s/pf.json", s->tmp);
    char *log = pf_xasprintf("%s/bot-%02d.log", s->tmp, run);
    ck_assert_int_eq(tc_bot_start(&s->bot, tu_build(), cfg, log), 0);
    free(cfg);
    free(log);
}

/* one of the cast, logged in to the scenario's backend */
static struct tc_user *
cast(struct scene *s, const char *name, const char *const *rooms)
{
    char id[64], *secret;
    if (g_slack) {
        slack_id(id, name);
        secret = pf_xasprintf("xoxp-%s", name);
    } else if (g_mm) {
        mm_id(id, name);
        secret = pf_xasprintf("tok-%s", name);
    } else {
        snprintf(id, sizeof(id), "%s@localhost", name);
        secret = pf_xasprintf("pw-%s", name);
    }
    struct tc_user *u = tc_user_new(&s->w, name, id, secret, rooms);
    free(secret);
    return u;
}

/*
 * Rooms named after the scenario; extra is spliced into the config's
 * top level (",\"hold_ttl_s\": 2"), reconnect_ms is the bot's minimum
 * reconnect delay. cuttable: the bot's connection alone can be cut
 * (cut_bot): on XMPP it goes through a proxy.
 */
static void
scene_open_cuttable(struct scene *s, const char *tag, const char *extra,
                    int reconnect_ms, int cuttable)
{
    memset(s, 0, sizeof(*s));
    s->tmp = tu_tmpdir();
    char *conn, sanna[64], bot_url[256];
    if (g_slack) {
        slack_emulator_start(s);
        slack_id(sanna, "sanna");
        conn = pf_xasprintf("{\"type\": \"slack\", \"api_url\": \"%s\",\n"
                            "   \"bot_token_env\": \"PF_TEST_BOT_TOKEN\",\n"
                            "   \"app_token_env\": \"PF_TEST_APP_TOKEN\",\n",
                            s->url);
    } else if (g_mm) {
        /* a cuttable bot reads back slowly, so that the cuts and live
           posts come while it does */
        emulator_start(s, tag, cuttable ? 250 : 0);
        mm_id(sanna, "sanna");
        conn = pf_xasprintf("{\"type\": \"mattermost\", \"url\": \"%s\",\n"
                            "   \"token_env\": \"PF_TEST_BOT_TOKEN\",\n",
                            s->url);
    } else {
        snprintf(s->url, sizeof(s->url), "%s", g_url);
        snprintf(s->croom, sizeof(s->croom), "asiakas-%s" MUC, tag);
        snprintf(s->iroom, sizeof(s->iroom), "tiimi-%s" MUC, tag);
        snprintf(s->bot_id, sizeof(s->bot_id), "bot@localhost");
        snprintf(sanna, sizeof(sanna), "sanna@localhost");
        snprintf(bot_url, sizeof(bot_url), "%s", s->url);
        if (cuttable) {
            struct pf_buf b = PF_BUF_INIT;
            char *pp = pf_xasprintf("%s/http_port", g_dir);
            int port = 0;
            ck_assert_int_eq(pf_read_file(pp, 64, &b), 0);
            s->proxy = tc_proxy_start(atoi(b.data), &port);
            ck_assert_int_gt(s->proxy, 0);
            snprintf(bot_url, sizeof(bot_url),
                     "ws://127.0.0.1:%d/xmpp-websocket", port);
            pf_buf_release(&b);
            free(pp);
        }
        conn = pf_xasprintf("{\"type\": \"xmpp\", \"url\": \"%s\",\n"
                            "   \"jid\": \"bot@localhost\", %s,\n"
                            "   \"nick\": \"pokerface\", %s",
                            bot_url, g_xmpp_secret, g_xmpp_extra);
    }
    char *cfg = pf_xasprintf(
        "{\"plugins\": %s,\n"
        " \"connector\": %s \"reconnect_min_ms\": %d,\n"
        "   \"reconnect_max_ms\": %d%s},\n"
        " \"routes\": [{\"name\": \"%s\", \"customer_room\": \"%s\",\n"
        "   \"internal_room\": \"%s\"%s}],\n"
        " \"supervisors\": [\"%s\"], \"state_dir\": "
        "\"state\"%s}\n",
        g_plugins ? g_plugins : PLUGINS, conn, reconnect_ms, reconnect_ms * 2,
        g_conn_extra, tag, s->croom, s->iroom, g_route_extra, sanna,
        extra ? extra : "");
    free(conn);
    /* rooms the bot creates and configures are members-only */
    int locked = !g_mm && !strstr(g_xmpp_extra, "\"configure_rooms\": false");
    g_plugins = PLUGINS;
    g_conn_extra = g_route_extra = "";
    g_xmpp_secret = "\"password_env\": \"PF_TEST_BOT_PW\"";
    ck_assert_int_eq(tc_state_dir(s->tmp), 0);
    char *path = pf_xasprintf("%s/pf.json", s->tmp);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(cfg, f);
    fclose(f);
    free(path);
    free(cfg);

    /* the bot first: it creates the rooms, so it owns them and sees who
       is who (real JIDs); they are members-only, and sanna, a supervisor,
       owns them with the bot: she adds the team and the customer */
    bot_start(s);
    ck_assert_int_eq(tc_world_init(&s->w, s->url), 0);
    const char *internal[] = {s->iroom, NULL};
    const char *customer[] = {s->croom, NULL};
    s->sanna = cast(s, "sanna", internal);
    ck_assert_msg(tc_wait_ready(&s->w, WAIT) == 0, "sanna not ready");
    if (locked) {
        static const char *const team[] = {"aino", "ville", "mallory"};
        for (size_t i = 0; i < sizeof(team) / sizeof(*team); i++) {
            char *jid = pf_xasprintf("%s@localhost", team[i]);
            ck_assert_int_eq(tc_affiliate(s->sanna, s->iroom, jid, "member"),
                             0);
            free(jid);
        }
        ck_assert_int_eq(
            tc_affiliate(s->sanna, s->croom, "asiakas@localhost", "member"), 0);
    }
    s->aino = cast(s, "aino", internal);
    s->ville = cast(s, "ville", internal);
    s->cust = cast(s, "asiakas", customer);
    s->stranger = cast(s, "stranger", NULL);
    ck_assert_msg(tc_wait_ready(&s->w, WAIT) == 0, "test users not ready");
    ck_assert_int_eq(tc_wait_member(s->aino, s->iroom, "pokerface", WAIT), 0);
    ck_assert_int_eq(tc_wait_member(s->cust, s->croom, "pokerface", WAIT), 0);
}

static void
scene_open(struct scene *s, const char *tag, const char *extra,
           int reconnect_ms)
{
    scene_open_cuttable(s, tag, extra, reconnect_ms, 0);
}

/* the bot's connection breaks, and (Mattermost) its session cannot be
   resumed; the server and everyone else stay */
static void
cut_bot(struct scene *s)
{
    if (g_slack)
        ck_assert_int_eq(tc_emu_control(s->url, "fault",
                                        "{\"kind\": \"outage\", \"app\": "
                                        "\"UPOKERFACE\"}",
                                        NULL),
                         0);
    else if (s->emu)
        ck_assert_int_eq(kill(s->emu, SIGWINCH), 0);
    else
        ck_assert_int_eq(kill(s->proxy, SIGUSR1), 0);
}

/* Whatever happened, the customer saw no notice and no command reply. */
static void
customer_saw_no_backstage(struct scene *s)
{
    static const char *const never[] = {
        "held #",    "pidätetty #", "not sent", "ei lähetetty",
        "Words:",    "Sanat:",      "Sorry ",   "Pahoittelut",
        "Commands:", "Komennot:",   "dropped",  "hylätty",
        "expired",   "vanheni",     "No held",  "[customer]",
    };
    for (size_t i = 0; i < s->cust->n; i++) {
        const struct tc_msg *m = &s->cust->msgs[i];
        /* what he saw where he should not be (a test let him in): that
           is what the team is warned about */
        if (m->own || (m->room && !strcmp(m->room, s->iroom)))
            continue;
        for (size_t k = 0; k < sizeof(never) / sizeof(*never); k++)
            ck_assert_msg(!strstr(m->text, never[k]),
                          "the customer saw '%s' in: %s", never[k], m->text);
    }
}

static void
scene_close(struct scene *s)
{
    customer_saw_no_backstage(s);
    int st = tc_bot_stop(&s->bot);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "pokerface exited with status %d; see %s", st, s->bot.log);
    ck_assert_msg(!tc_bot_logged(&s->bot, g_slack ? "xoxb-pokerface"
                                          : g_mm  ? "tok-pokerface"
                                                  : "pw-bot") &&
                      !tc_bot_logged(&s->bot, "xapp-1-pokerface"),
                  "the password or token appeared in the log");
    ck_assert_msg(!tc_bot_logged(&s->bot, "ERROR") &&
                      !tc_bot_logged(&s->bot, "runtime error"),
                  "errors in %s", s->bot.log);
    tc_world_free(&s->w);
    emulator_stop(s);
    tc_proxy_stop(s->proxy);
    if (!getenv("PF_KEEP"))
        tu_rmrf(s->tmp);
    free(s->tmp);
}

/* The hold number in a notice "... held #12, ..." (0 if none). */
static unsigned
hold_id(const struct tc_msg *m)
{
    const char *p = m ? strchr(m->text, '#') : NULL;
    return p ? (unsigned)strtoul(p + 1, NULL, 10) : 0;
}

/* aino says text (with the reply prefix); returns the hold number */
static unsigned
say_held(struct scene *s, const char *text, const char *expect_word)
{
    size_t from = s->aino->n;
    char *line = pf_xasprintf(">> %s", text);
    tc_say(s->aino, s->iroom, line);
    free(line);
    const struct tc_msg *n = tc_wait_msg(s->aino, s->iroom, "#", &from, WAIT);
    ck_assert_msg(n != NULL, "no notice for: %s", text);
    ck_assert_msg(strstr(n->text, "aino: ") == n->text,
                  "the notice does not name its author: %s", n->text);
    ck_assert_msg(strstr(n->text, "held #") || strstr(n->text, "pidätetty #"),
                  "not a hold notice: %s", n->text);
    if (expect_word) {
        char *q = pf_xasprintf("\"%s\"", expect_word);
        ck_assert_msg(strstr(n->text, q), "the notice does not quote %s: %s", q,
                      n->text);
        free(q);
    }
    unsigned id = hold_id(n);
    ck_assert_uint_gt(id, 0);
    return id;
}

/* "!send 12", "!edit 12 new text" */
static void
say_cmd(struct tc_user *u, const char *room, const char *cmd, unsigned id,
        const char *rest)
{
    char *t =
        pf_xasprintf("%s %u%s%s", cmd, id, rest ? " " : "", rest ? rest : "");
    tc_say(u, room, t);
    free(t);
}

/* nothing containing needle reaches u in room for QUIET ms */
static void
assert_none(struct scene *s, struct tc_user *u, const char *room,
            const char *needle)
{
    tc_pump(&s->w, QUIET);
    ck_assert_msg(tc_count(u, room, needle) == 0, "%s saw '%s'", u->name,
                  needle);
}

/* ---- scenarios ---- */

START_TEST(clean_reply_is_relayed_and_customer_mirrored)
{
    struct scene s;
    scene_open(&s, "clean", NULL, 500);
    tc_say(s.cust, s.croom, "Hei, missä tilaukseni 4411 on?");
    ck_assert_ptr_nonnull(tc_wait_msg(s.aino, s.iroom,
                                      "[customer] asiakas: Hei, missä "
                                      "tilaukseni 4411 on?",
                                      NULL, WAIT));
    tc_say(s.aino, s.iroom,
           ">> Hei! Tilauksesi lähti tänään, seurantakoodi "
           "tulee sähköpostiin.");
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.cust, s.croom, "aino: Hei! Tilauksesi lähti tänään", NULL, WAIT));
    /* backstage talk without the prefix stays inside */
    tc_say(s.aino, s.iroom, "kahvitauko kymmenen minuutin päästä?");
    assert_none(&s, s.cust, s.croom, "kahvitauko");
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "Tilauksesi lähti"), 1);
    char *line = pf_xasprintf("relayed on clean from %s", s.aino->id);
    ck_assert(tc_bot_logged(&s.bot, line));
    free(line);
    scene_close(&s);
}
END_TEST

START_TEST(hold_then_send)
{
    struct scene s;
    scene_open(&s, "send", NULL, 500);
    unsigned id =
        say_held(&s, "lol this guy is a total idiot, PEBKAC again", "idiot");
    assert_none(&s, s.cust, s.croom, "PEBKAC");
    size_t from = s.aino->n;
    say_cmd(s.aino, s.iroom, "!send", id, NULL);
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "sent to the customer", &from, WAIT));
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.cust, s.croom, "aino: lol this guy is a total idiot", NULL, WAIT));
    /* decided once: a second !send finds nothing */
    say_cmd(s.aino, s.iroom, "!send", id, NULL);
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "No held message", &from, WAIT));
    tc_pump(&s.w, QUIET);
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "total idiot"), 1);
    ck_assert(tc_bot_logged(&s.bot, "sent #"));
    scene_close(&s);
}
END_TEST

START_TEST(an_echo_of_backstage_talk_is_held)
{
    struct scene s;
    scene_open(&s, "echo", NULL, 500);
    tc_say(s.ville, s.iroom,
           "this guy asks the same question for the third time today");
    /* aino echoes what she has read: on Mattermost two people's posts are
       two HTTP requests, and a reply sent before the remark arrived
       would have nothing to echo */
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.aino, s.iroom, "the same question for the third time", NULL, WAIT));
    size_t from = s.aino->n;
    unsigned id = say_held(&s,
                           "Hi! You ask the same question for the third time "
                           "today, please see the guide.",
                           "the same question for the third time today");
    const struct tc_msg *n = tc_wait_msg(
        s.aino, s.iroom, "echoes what ville said internally at", &from, WAIT);
    ck_assert_msg(n != NULL, "the notice does not say whose words it echoes");
    assert_none(&s, s.cust, s.croom, "third time");
    say_cmd(s.aino, s.iroom, "!drop", id, NULL);
    ck_assert_ptr_nonnull(tc_wait_msg(s.aino, s.iroom, "#", &from, WAIT));
    scene_close(&s);
}
END_TEST

START_TEST(hold_then_edit_is_checked_again)
{
    struct scene s;
    scene_open(&s, "edit", NULL, 500);
    unsigned id = say_held(&s, "no nyt se idiootti soittaa taas", "idiootti");
    size_t from = s.aino->n;
    /* still rude: held again, same number */
    say_cmd(s.aino, s.iroom, "!edit", id,
            "se idiootti soittaa taas, vastaa sille");
    const struct tc_msg *n = tc_wait_msg(
        s.aino, s.iroom, "muokattu viesti pidätetty yhä", &from, WAIT);
    ck_assert_ptr_nonnull(n);
    ck_assert_uint_eq(hold_id(n), id);
    assert_none(&s, s.cust, s.croom, "idiootti");
    /* fit to send: sent */
    say_cmd(s.aino, s.iroom, "!edit", id,
            "Hei, soitan teille vielä tänään uudelleen.");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "muokattu ja lähetetty", &from, WAIT));
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.cust, s.croom, "aino: Hei, soitan teille vielä tänään uudelleen.",
        NULL, WAIT));
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "idiootti"), 0);
    scene_close(&s);
}
END_TEST

START_TEST(hold_then_drop)
{
    struct scene s;
    scene_open(&s, "drop", NULL, 500);
    unsigned id = say_held(&s, "this customer is such a moron lol", "moron");
    size_t from = s.aino->n;
    say_cmd(s.aino, s.iroom, "!drop", id, NULL);
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "dropped; it was not sent", &from, WAIT));
    say_cmd(s.aino, s.iroom, "!send", id, NULL);
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "No held message", &from, WAIT));
    assert_none(&s, s.cust, s.croom, "moron");
    scene_close(&s);
}
END_TEST

START_TEST(reactions_on_the_notice_decide)
{
    struct scene s;
    scene_open(&s, "react", NULL, 500);
    size_t from = s.aino->n;
    tc_say(s.aino, s.iroom, ">> ok the idiot wants a refund");
    const struct tc_msg *n =
        tc_wait_msg(s.aino, s.iroom, "held #", &from, WAIT);
    ck_assert_ptr_nonnull(n);
    ck_assert_str_ne(n->id, "");
    tc_react(s.aino, s.iroom, n->id, "✅");
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.cust, s.croom, "aino: ok the idiot wants a refund", NULL, WAIT));

    tc_say(s.aino, s.iroom, ">> this customer is such a moron lol");
    n = tc_wait_msg(s.aino, s.iroom, "held #", &from, WAIT);
    ck_assert_ptr_nonnull(n);
    unsigned id = hold_id(n);
    /* a colleague's reaction does not count */
    tc_react(s.ville, s.iroom, n->id, "✅");
    ck_assert_ptr_nonnull(tc_wait_msg(s.ville, s.iroom,
                                      "Sorry ville, only "
                                      "aino or a supervisor",
                                      NULL, WAIT));
    tc_react(s.aino, s.iroom, n->id, "❌");
    char *want = pf_xasprintf("#%u dropped", id);
    ck_assert_ptr_nonnull(tc_wait_msg(s.aino, s.iroom, want, &from, WAIT));
    free(want);
    assert_none(&s, s.cust, s.croom, "moron");
    scene_close(&s);
}
END_TEST

START_TEST(an_undecided_hold_expires_unsent)
{
    struct scene s;
    scene_open(&s, "expiry", ", \"hold_ttl_s\": 2", 500);
    unsigned id = say_held(&s, "lol this guy is a total idiot", "idiot");
    /* aino gets her text back privately, the room hears it expired */
    char *dm = pf_xasprintf("#%u expired and was not sent. Your text was: "
                            "lol this guy is a total idiot",
                            id);
    ck_assert_ptr_nonnull(tc_wait_msg(s.aino, NULL, dm, NULL, WAIT));
    free(dm);
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.ville, s.iroom, "(aino) expired, not sent", NULL, WAIT));
    size_t from = s.aino->n;
    say_cmd(s.aino, s.iroom, "!send", id, NULL);
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "No held message", &from, WAIT));
    assert_none(&s, s.cust, s.croom, "idiot");
    ck_assert(tc_bot_logged(&s.bot, "expired #"));
    scene_close(&s);
}
END_TEST

/* aino's reply of about `bytes` bytes of plain words, with a marker */
static char *
long_reply(const char *marker, size_t bytes)
{
    struct pf_buf b = PF_BUF_INIT;
    pf_buf_addf(&b, ">> %s ", marker);
    while (b.len + 40 < bytes)
        pf_buf_addstr(&b, "Your order is on its way to you today. ");
    return pf_buf_detach(&b, NULL);
}

/* what every author is told of a reply too long for the chat server */
#define TOO_LONG "Your reply was not sent to the customer: it is too long"

/*
 * A reply too long for what the server takes in a post (with the name
 * and the signature in relay_format around it: Mattermost's 16383
 * characters, or the stanza limit on XMPP) is not lost without a word:
 * nothing is sent, and its author is told in both languages; the log
 * names the author and the room.
 */
START_TEST(a_reply_too_long_to_post_is_not_lost)
{
    struct scene s;
    char sig[1100];
    memset(sig, 0, sizeof(sig));
    strcpy(sig, "\\n\\n-- \\nAcme Oy");
    while (strlen(sig) < 1000)
        strcat(sig, " / asiakaspalvelu, arkisin 8-16");
    char *route = pf_xasprintf(", \"relay_format\": \"{name}: {text}%s\"", sig);
    g_route_extra = route;
    if (!g_mm)
        g_conn_extra = ", \"max_stanza_bytes\": 32768";
    scene_open(&s, "toolong", NULL, 500);
    free(route);
    /* it arrives whole (on XMPP, under the bot's 32768 bytes with the
       room's envelope), but with the name and signature it does not fit */
    char *t = long_reply("[L1]", g_slack ? 39500 : g_mm ? 16300 : 32768 - 700);
    size_t from = s.aino->n;
    tc_say(s.aino, s.iroom, t);
    free(t);
    const struct tc_msg *m =
        tc_wait_msg(s.aino, s.iroom, TOO_LONG, &from, WAIT);
    ck_assert_msg(m != NULL, "aino was not told; see %s", s.bot.log);
    ck_assert_msg(strstr(m->text, "aino: ") == m->text &&
                      strstr(m->text, "Vastaustasi ei lähetetty"),
                  "not to aino in both languages: %s", m->text);
    char *line = pf_xasprintf("a reply from aino (%s) in %s on route "
                              "'toolong' is too long",
                              s.aino->id, s.iroom);
    ck_assert_msg(tc_bot_logged(&s.bot, line), "no log line '%s'; see %s", line,
                  s.bot.log);
    free(line);
    assert_none(&s, s.cust, s.croom, "[L1]");
    /* and a reply that fits still goes */
    tc_say(s.aino, s.iroom, ">> Your refund went out on Monday.");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.cust, s.croom, "aino: Your refund went out", NULL, WAIT));
    scene_close(&s);
}
END_TEST

/*
 * !held with a long queue: ten holds an answer, and the way to the next
 * page; every answer short whatever the queue (before, one answer listed
 * every hold, and over the server's stanza limit it closed the stream).
 */
START_TEST(a_long_queue_is_listed_in_pages)
{
    struct scene s;
    scene_open(&s, "pages", ", \"hold_ttl_s\": 7200", 500);
    unsigned first = 0;
    for (int i = 0; i < 12; i++) {
        char *t = pf_xasprintf("[P%02d] lol this guy is a total idiot", i);
        unsigned id = say_held(&s, t, "idiot");
        free(t);
        if (!first)
            first = id;
    }
    size_t from = s.aino->n;
    tc_say(s.aino, s.iroom, "!held");
    const struct tc_msg *m =
        tc_wait_msg(s.aino, s.iroom, "aino: #", &from, WAIT);
    ck_assert_ptr_nonnull(m);
    ck_assert_msg(strstr(m->text, "[P00]") && strstr(m->text, "[P09]") &&
                      !strstr(m->text, "[P10]") &&
                      strstr(m->text, "page 1 of 2: !held 2"),
                  "the first page: %s", m->text);
    tc_say(s.aino, s.iroom, "!held 2");
    m = tc_wait_msg(s.aino, s.iroom, "aino: #", &from, WAIT);
    ck_assert_ptr_nonnull(m);
    ck_assert_msg(strstr(m->text, "[P10]") && strstr(m->text, "[P11]") &&
                      !strstr(m->text, "[P09]") &&
                      strstr(m->text, "page 2 of 2"),
                  "the second page: %s", m->text);
    scene_close(&s);
}
END_TEST

/* what anyone not on the team gets for any command */
#define NEUTRAL_ANSWER "its commands are not for you"

/*
 * A customer (or anyone not on the team) who writes commands to the bot
 * learns nothing about holds: one answer, the same for a hold that
 * exists, one that does not, the list and the reasons; no numbers, no
 * names. The hold stays as it was.
 */
START_TEST(outsiders_get_one_neutral_answer)
{
    struct scene s;
    scene_open(&s, "outsider", NULL, 500);
    unsigned id = say_held(&s, "ok the idiot wants a refund", "idiot");
    char cmds[6][32];
    snprintf(cmds[0], 32, "!send %u", id);
    snprintf(cmds[1], 32, "!send %u", id + 1000);
    snprintf(cmds[2], 32, "!why %u", id);
    snprintf(cmds[3], 32, "!drop %u", id);
    snprintf(cmds[4], 32, "!held");
    snprintf(cmds[5], 32, "!help");
    struct tc_user *who[] = {s.stranger, s.cust};
    for (size_t u = 0; u < 2; u++) {
        size_t from = who[u]->n;
        for (size_t i = 0; i < 6; i++) {
            tc_dm(who[u], s.bot_id, cmds[i]);
            tc_pump(&s.w, 100); /* in order, one at a time */
        }
        const struct tc_msg *first = NULL;
        for (size_t i = 0; i < 6; i++) {
            const struct tc_msg *m = tc_wait_msg(who[u], NULL, "", &from, WAIT);
            ck_assert_msg(m != NULL, "%s got %zu answers of 6", who[u]->name,
                          i);
            if (!first)
                first = m;
            ck_assert_str_eq(m->text, first->text);
        }
        ck_assert_msg(
            strstr(first->text, NEUTRAL_ANSWER) && !strchr(first->text, '#') &&
                !strpbrk(first->text, "0123456789") &&
                !strstr(first->text, "aino") && !strstr(first->text, "held"),
            "the answer says something: %s", first->text);
    }
    assert_none(&s, s.cust, s.croom, "idiot");
    /* nothing was decided */
    size_t af = s.aino->n;
    tc_say(s.aino, s.iroom, "!held");
    char *want = pf_xasprintf("#%u held (aino", id);
    ck_assert_ptr_nonnull(tc_wait_msg(s.aino, s.iroom, want, &af, WAIT));
    free(want);
    scene_close(&s);
}
END_TEST

START_TEST(only_the_author_or_a_supervisor_decides)
{
    struct scene s;
    scene_open(&s, "who", NULL, 500);
    unsigned id = say_held(&s, "ok the idiot wants a refund", "idiot");
    /* a colleague in the room */
    say_cmd(s.ville, s.iroom, "!send", id, NULL);
    ck_assert_ptr_nonnull(tc_wait_msg(s.ville, s.iroom,
                                      "Sorry ville, only aino or a supervisor "
                                      "can decide",
                                      NULL, WAIT));
    /* someone outside the team, privately: not even told who may */
    char *cmd = pf_xasprintf("!send %u", id);
    tc_dm(s.stranger, s.bot_id, cmd);
    free(cmd);
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.stranger, NULL, NEUTRAL_ANSWER, NULL, WAIT));
    ck_assert_uint_eq(tc_count(s.stranger, NULL, "aino"), 0);
    assert_none(&s, s.cust, s.croom, "idiot");
    /* the supervisor may */
    size_t from = s.sanna->n;
    say_cmd(s.sanna, s.iroom, "!send", id, NULL);
    ck_assert_ptr_nonnull(tc_wait_msg(s.sanna, s.iroom,
                                      "sent to the customer (decided by sanna)",
                                      &from, WAIT));
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.cust, s.croom, "aino: ok the idiot", NULL, WAIT));
    ck_assert(tc_bot_logged(&s.bot, "refused !send"));
    scene_close(&s);
}
END_TEST

START_TEST(a_block_needs_a_supervisor_to_send)
{
    struct scene s;
    scene_open(&s, "block",
               ", \"policy\": {\"labels\": "
               "{\"backstage.derogatory\": \"block\"}}",
               500);
    unsigned id = say_held(&s, "ok the idiot wants a refund", "idiot");
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.aino, s.iroom, "Only a supervisor can send it", NULL, WAIT));
    size_t from = s.aino->n;
    say_cmd(s.aino, s.iroom, "!send", id, NULL);
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.aino, s.iroom, "is blocked: only a supervisor", &from, WAIT));
    assert_none(&s, s.cust, s.croom, "idiot");
    /* its author may still rewrite it */
    say_cmd(s.aino, s.iroom, "!edit", id,
            "Thanks, I have started the refund for you.");
    ck_assert_ptr_nonnull(tc_wait_msg(s.cust, s.croom,
                                      "aino: Thanks, I have started the refund",
                                      NULL, WAIT));
    /* the confirmation follows the customer's copy; wait for it, or it
       would be taken for the next hold's notice */
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "edited and sent", &from, WAIT));
    /* and a supervisor may send one as it is */
    id = say_held(&s, "this customer is such a moron lol", "moron");
    from = s.sanna->n;
    say_cmd(s.sanna, s.iroom, "!send", id, NULL);
    ck_assert_ptr_nonnull(tc_wait_msg(s.sanna, s.iroom,
                                      "sent to the customer (decided by sanna)",
                                      &from, WAIT));
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.cust, s.croom, "aino: this customer is such a moron", NULL, WAIT));
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "idiot"), 0);
    scene_close(&s);
}
END_TEST

/* the author deletes (retracts) a reply: the customer's copy goes too;
   deleting a held message drops it */
START_TEST(deleting_a_reply_deletes_the_relayed_copy)
{
    struct scene s;
    scene_open(&s, "delete", NULL, 500);
    tc_say(s.aino, s.iroom, ">> Thanks, the refund is on its way.");
    const struct tc_msg *c = tc_wait_msg(
        s.cust, s.croom, "aino: Thanks, the refund is on its way.", NULL, WAIT);
    ck_assert_ptr_nonnull(c);
    char *cid = pf_xstrdup(c->id);
    tc_pump(&s.w, 200);
    const struct tc_msg *mine = tc_own(s.aino, s.iroom, "the refund");
    ck_assert_ptr_nonnull(mine);
    ck_assert_str_ne(mine->id, "");
    tc_delete(s.aino, s.iroom, mine->id);
    ck_assert_msg(tc_wait_deleted(s.cust, cid, WAIT) == 0,
                  "the customer's copy was not deleted");
    ck_assert_ptr_nonnull(tc_wait_msg(s.aino, NULL,
                                      "You deleted a reply that "
                                      "had reached the customer",
                                      NULL, WAIT));
    free(cid);

    unsigned id = say_held(&s, "lol this guy is a total idiot", "idiot");
    mine = tc_own(s.aino, s.iroom, "total idiot");
    ck_assert_ptr_nonnull(mine);
    size_t from = s.aino->n;
    tc_delete(s.aino, s.iroom, mine->id);
    char *want = pf_xasprintf("#%u dropped", id);
    ck_assert_ptr_nonnull(tc_wait_msg(s.aino, s.iroom, want, &from, WAIT));
    free(want);
    say_cmd(s.aino, s.iroom, "!send", id, NULL);
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "No held message", &from, WAIT));
    assert_none(&s, s.cust, s.croom, "idiot");
    scene_close(&s);
}
END_TEST

START_TEST(customer_room_is_never_a_command)
{
    struct scene s;
    scene_open(&s, "custcmd", NULL, 500);
    unsigned id = say_held(&s, "lol this guy is a total idiot", "idiot");
    say_cmd(s.cust, s.croom, "!send", id, NULL);
    tc_say(s.cust, s.croom, "!held");
    say_cmd(s.cust, s.croom, ">> lol hello from the customer", id, NULL);
    /* mirrored as customer talk, nothing else */
    size_t from = 0;
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "[customer] asiakas: !held", &from, WAIT));
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.aino, s.iroom, "[customer] asiakas: >> lol hello", &from, WAIT));
    assert_none(&s, s.cust, s.croom, "idiot");
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "Sorry"), 0);
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "No held"), 0);
    /* the hold is still there, undecided */
    size_t af = s.aino->n;
    tc_say(s.aino, s.iroom, "!held");
    char *want = pf_xasprintf("#%u held (aino", id);
    ck_assert_ptr_nonnull(tc_wait_msg(s.aino, s.iroom, want, &af, WAIT));
    free(want);
    scene_close(&s);
}
END_TEST

START_TEST(commands_help_why_and_mistakes)
{
    struct scene s;
    scene_open(&s, "cmds", NULL, 500);
    size_t from = s.aino->n;
    tc_say(s.aino, s.iroom, "!help");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "Commands: !send N", &from, WAIT));
    tc_say(s.aino, s.iroom, "!apua");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "Komennot: !send N", &from, WAIT));
    tc_say(s.aino, s.iroom, "!held");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "No held messages.", &from, WAIT));
    tc_say(s.aino, s.iroom, "!sned 1");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "Unknown command '!sned'", &from, WAIT));
    tc_say(s.aino, s.iroom, "!send");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "Which one?", &from, WAIT));
    unsigned id = say_held(&s, "this customer is such a moron lol", "moron");
    from = s.aino->n;
    say_cmd(s.aino, s.iroom, "!why", id, NULL);
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "backstage.derogatory", &from, WAIT));
    say_cmd(s.aino, s.iroom, "!edit", id, NULL);
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "Give the new text", &from, WAIT));
    assert_none(&s, s.cust, s.croom, "moron");
    scene_close(&s);
}
END_TEST

/*
 * A reply before the connection goes (cut, SIGUSR1 on the emulator, or
 * outage()) and one written while the bot is away: each reaches the
 * customer exactly once. The test users come back within a fraction of
 * a second, the bot only after its reconnect delay.
 */
static void
reply_across_a_drop(struct scene *s, void (*cut)(struct scene *))
{
    tc_say(s->aino, s->iroom,
           ">> Hello! Your parcel left our warehouse today.");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s->cust, s->croom, "aino: Hello! Your parcel", NULL, WAIT));
    cut(s);
    ck_assert_msg(pump_until_logged(s, "reconnecting", WAIT) == 0,
                  "the bot did not notice the connection go");
    for (int i = 0; i < WAIT / 50 && !(s->aino->ready && s->cust->ready); i++)
        tc_pump(&s->w, 50);
    ck_assert(s->aino->ready && s->cust->ready);
    tc_say(s->aino, s->iroom,
           ">> The tracking code is ABC123, it works from tomorrow.");
    ck_assert_ptr_nonnull(tc_wait_msg(s->cust, s->croom,
                                      "aino: The tracking code is ABC123", NULL,
                                      3 * WAIT));
    tc_pump(&s->w, 2 * QUIET);
    ck_assert_uint_eq(tc_count(s->cust, s->croom, "ABC123"), 1);
    ck_assert_uint_eq(tc_count(s->cust, s->croom, "Your parcel left"), 1);
}

/*
 * The server goes away and comes back (Prosody restarts; the emulator
 * drops every connection and forgets the sessions, so that they cannot
 * be resumed): the reply written meanwhile comes from the bot's read-back.
 */
START_TEST(restart_mid_conversation_relays_once)
{
    struct scene s;
    scene_open(&s, "restart", NULL, 6000);
    reply_across_a_drop(&s, outage);
    ck_assert_msg(tc_bot_logged(&s.bot, "caught up after a reconnect"),
                  "relayed live, not from the catch-up: the test did not "
                  "test the outage");
    scene_close(&s);
}
END_TEST

/*
 * What the bot read back after a restart is handled once, not again at
 * every later start: the read-back moves the room's cursor as it goes.
 * A customer's message and a !help written while the bot was down are
 * mirrored and answered once over three starts with nothing said between.
 */
START_TEST(what_was_read_back_is_handled_once_across_restarts)
{
    struct scene s;
    scene_open(&s, "readback", NULL, 500);
    /* something handled first, so that each room has a cursor */
    tc_say(s.cust, s.croom, "Hei, onko tilaukseni jo lähtenyt?");
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.aino, s.iroom, "[customer] asiakas: Hei, onko", NULL, WAIT));
    tc_say(s.aino, s.iroom, "katson tämän");
    tc_pump(&s.w, QUIET);
    ck_assert_int_eq(tc_bot_stop(&s.bot), 0);

    tc_say(s.cust, s.croom, "Missä paketti 7788 on?");
    tc_say(s.aino, s.iroom, "!help");
    tc_pump(&s.w, QUIET);
    for (int run = 1; run <= 3; run++) {
        bot_restart(&s, run);
        ck_assert_msg(pump_until_logged(&s, "chat ready", WAIT) == 0,
                      "start %d did not get ready; see %s", run, s.bot.log);
        if (run == 1) {
            ck_assert_ptr_nonnull(tc_wait_msg(s.aino, s.iroom,
                                              "[customer] asiakas: Missä "
                                              "paketti 7788",
                                              NULL, WAIT));
            ck_assert_ptr_nonnull(
                tc_wait_msg(s.aino, s.iroom, "Commands: !send N", NULL, WAIT));
        }
        tc_pump(&s.w, 2 * QUIET);
        if (run < 3)
            ck_assert_int_eq(tc_bot_stop(&s.bot), 0);
    }
    ck_assert_uint_eq(tc_count(s.aino, s.iroom, "Missä paketti 7788"), 1);
    ck_assert_uint_eq(tc_count(s.aino, s.iroom, "Commands: !send N"), 1);
    ck_assert_uint_eq(tc_count(s.aino, s.iroom, "onko tilaukseni"), 1);
    scene_close(&s);
}
END_TEST

/* Mattermost: every WebSocket drops, the server keeps the sessions */
static void
drop_sockets(struct scene *s)
{
    ck_assert_int_eq(kill(s->emu, SIGUSR1), 0);
}

/*
 * Mattermost only: the bot comes back with its connection_id and
 * sequence_number and gets the events it missed from the server, in
 * order, not from a read-back.
 */
START_TEST(a_dropped_socket_resumes_the_session)
{
    struct scene s;
    scene_open(&s, "resume", NULL, 3000);
    reply_across_a_drop(&s, drop_sockets);
    ck_assert_msg(tc_bot_logged(&s.bot, "mattermost: session resumed"),
                  "the session was not resumed; see %s", s.bot.log);
    ck_assert(!tc_bot_logged(&s.bot, "caught up after a reconnect"));
    scene_close(&s);
}
END_TEST

/* the message's id and thread, copied (the list they are in grows) */
static void
ids_of(const struct tc_msg *m, const char *what, char id[64], char thread[64])
{
    ck_assert_msg(m != NULL, "no %s", what);
    snprintf(id, 64, "%s", m->id);
    snprintf(thread, 64, "%s", m->thread);
}

/*
 * Mattermost only (threads are root posts' ids): a reply in the thread
 * of a mirrored customer message goes in the customer's thread, and her
 * answers there come back in the internal thread; a hold's notice and
 * its decision stay in the thread; the pairing survives a restart; a new
 * reply at the top starts a new pair; and a thread whose first post the
 * customer deleted does not lose the reply.
 */
START_TEST(threads_are_followed_across_the_rooms)
{
    struct scene s;
    char mirror[64], cthread[64], id[64], th[64];
    scene_open(&s, "thread", NULL, 500);
    tc_say(s.cust, s.croom, "Hei, missä tilaukseni 4411 on?");
    ids_of(tc_wait_msg(s.aino, s.iroom, "[customer] asiakas: Hei, missä", NULL,
                       WAIT),
           "mirror", mirror, th);
    ck_assert_str_eq(th, "");
    ids_of(tc_own(s.cust, s.croom, "tilaukseni 4411"), "customer's post",
           cthread, th);

    /* aino answers in the mirror's thread */
    tc_say_in(s.aino, s.iroom, mirror, ">> Hei! Tilauksesi lähti tänään.");
    ids_of(
        tc_wait_msg(s.cust, s.croom, "aino: Hei! Tilauksesi lähti", NULL, WAIT),
        "reply", id, th);
    ck_assert_str_eq(th, cthread);

    /* the customer answers in her thread */
    tc_say_in(s.cust, s.croom, cthread, "Kiitos! Entä lasku?");
    ids_of(
        tc_wait_msg(s.aino, s.iroom, "[customer] asiakas: Kiitos!", NULL, WAIT),
        "mirror of the answer", id, th);
    ck_assert_str_eq(th, mirror);

    /* a hold in the thread: notice and decision there, the copy in hers */
    size_t from = s.aino->n;
    tc_say_in(s.aino, s.iroom, mirror,
              ">> lol this guy is a total idiot, PEBKAC again");
    const struct tc_msg *n =
        tc_wait_msg(s.aino, s.iroom, "held #", &from, WAIT);
    ids_of(n, "notice", id, th);
    ck_assert_str_eq(th, mirror);
    say_cmd(s.aino, s.iroom, "!send", hold_id(n), NULL);
    ids_of(tc_wait_msg(s.aino, s.iroom, "sent to the customer", &from, WAIT),
           "confirmation", id, th);
    ck_assert_str_eq(th, mirror);
    ids_of(tc_wait_msg(s.cust, s.croom, "aino: lol this guy", NULL, WAIT),
           "sent copy", id, th);
    ck_assert_str_eq(th, cthread);

    /* a restart: the pairing comes back from the journal, and a hold
       made before it is still answered in its thread */
    from = s.aino->n;
    tc_say_in(s.aino, s.iroom, mirror, ">> what a moron, PEBKAC for sure");
    n = tc_wait_msg(s.aino, s.iroom, "held #", &from, WAIT);
    char notice[64];
    ids_of(n, "second notice", notice, th);
    ck_assert_str_eq(th, mirror);
    ck_assert_int_eq(tc_bot_stop(&s.bot), 0);
    bot_restart(&s, 1);
    ck_assert(wait_logged(&s.bot, "chat ready", WAIT) == 0);
    tc_say_in(s.aino, s.iroom, mirror, ">> Lasku tulee sähköpostiin.");
    ids_of(tc_wait_msg(s.cust, s.croom, "aino: Lasku tulee", NULL, WAIT),
           "reply after the restart", id, th);
    ck_assert_str_eq(th, cthread);
    /* decided by a reaction (an event with no thread of its own) */
    tc_react(s.aino, s.iroom, notice, "✅");
    ids_of(tc_wait_msg(s.aino, s.iroom, "sent to the customer", &from, WAIT),
           "confirmation of the reaction", id, th);
    ck_assert_str_eq(th, mirror);
    ids_of(tc_wait_msg(s.cust, s.croom, "aino: what a moron", NULL, WAIT),
           "copy sent by the reaction", id, th);
    ck_assert_str_eq(th, cthread);

    /* a reply at the top starts a thread; her answer in it is mirrored
       in the thread of aino's reply */
    tc_say(s.aino, s.iroom, ">> Kerro, jos on muuta kysyttävää.");
    char top[64], aino_top[64];
    ids_of(tc_wait_msg(s.cust, s.croom, "aino: Kerro, jos", NULL, WAIT),
           "reply at the top", top, th);
    ck_assert_str_eq(th, "");
    ids_of(tc_own(s.aino, s.iroom, "Kerro, jos"), "aino's reply", aino_top, th);
    tc_say_in(s.cust, s.croom, top, "Ei muuta, kiitos!");
    ids_of(tc_wait_msg(s.aino, s.iroom, "[customer] asiakas: Ei muuta", NULL,
                       WAIT),
           "mirror in aino's thread", id, th);
    ck_assert_str_eq(th, aino_top);

    /* the customer deletes the first post of her thread (and with it the
       thread): a reply to it still reaches her, outside any thread. Not
       on Slack: there a thread's first message deleted leaves the thread
       (a tombstone), and a reply still goes in it (the emulator does the
       same, without the tombstone) */
    if (g_slack) {
        scene_close(&s);
        return;
    }
    tc_delete(s.cust, s.croom, cthread);
    tc_pump(&s.w, QUIET);
    tc_say_in(s.aino, s.iroom, mirror, ">> Tilaus 4411 on perillä huomenna.");
    ids_of(tc_wait_msg(s.cust, s.croom, "aino: Tilaus 4411 on perillä", NULL,
                       WAIT),
           "reply in a deleted thread", id, th);
    ck_assert_str_eq(th, "");
    ck_assert(tc_bot_logged(&s.bot, "is gone (HTTP 400); posting outside it"));
    tc_pump(&s.w, QUIET);
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "on perillä huomenna"), 1);
    scene_close(&s);
}
END_TEST

/*
 * A customer writes lines that look like the bot's (a hold notice, a
 * command): mirrored into the internal room, every line carries the
 * mirror's marker, and nothing is taken from them as a command.
 */
START_TEST(customer_text_cannot_pass_for_the_bot)
{
    struct scene s;
    scene_open(&s, "forgeline", NULL, 500);
    tc_say(s.cust, s.croom,
           "Hello\npokerface: aino: held #4242, not sent to the customer. "
           "Why: rude. Reply !send 4242 to send it as it is.\r\n"
           "!send 4242\n\u2028aino: >> lol");
    const struct tc_msg *m =
        tc_wait_msg(s.aino, s.iroom, "[customer] asiakas: Hello", NULL, WAIT);
    ck_assert_ptr_nonnull(m);
    int lines = 0;
    for (const char *l = m->text; l; l = strchr(l, '\n'), l = l ? l + 1 : l) {
        ck_assert_msg(strncmp(l, "[customer] asiakas: ", 20) == 0,
                      "a mirrored line without the marker: %s", m->text);
        lines++;
    }
    ck_assert_int_eq(lines, 5);
    ck_assert_ptr_null(strstr(m->text, "\u2028"));
    tc_pump(&s.w, QUIET);
    ck_assert_uint_eq(tc_count(s.aino, s.iroom, "No held message"), 0);
    ck_assert_uint_eq(tc_count(s.aino, s.iroom, "#4242"), 1);
    scene_close(&s);
}
END_TEST

/* how many times needle is in the bot's log */
static size_t
log_count(struct scene *s, const char *needle)
{
    struct pf_buf b = PF_BUF_INIT;
    size_t n = 0;
    if (pf_read_file(s->bot.log, 64u << 20, &b) == 0)
        for (const char *p = b.data; (p = strstr(p, needle)); p++)
            n++;
    pf_buf_release(&b);
    return n;
}

/*
 * XMPP: the rooms the bot creates are members-only, hidden and
 * non-anonymous: someone no owner added cannot join them, and the bot
 * sees who is who.
 */
START_TEST(rooms_the_bot_creates_are_locked)
{
    struct scene s;
    scene_open(&s, "locked", NULL, 500);
    const char *rooms[] = {s.iroom, s.croom};
    for (int i = 0; i < 2; i++) {
        char *join = pf_xasprintf("<presence xmlns='jabber:client' to='%s/"
                                  "stranger'><x xmlns='http://jabber.org/"
                                  "protocol/muc'/></presence>",
                                  rooms[i]);
        ck_assert_int_eq(pf_xmpp_send_raw(s.stranger->c, join), 0);
        free(join);
        char *from = pf_xasprintf("from='%s/stranger'", rooms[i]);
        const char *f = tc_wait_frame(s.stranger, from, WAIT);
        free(from);
        ck_assert_msg(f && strstr(f, "registration-required"),
                      "a stranger was not refused from %s: %s", rooms[i],
                      f ? f : "no answer");
        /* what the room says of itself, to its owner */
        char id[32];
        snprintf(id, sizeof(id), "disco%d", i);
        char *q = pf_xasprintf("<iq xmlns='jabber:client' type='get' id='%s' "
                               "to='%s'><query xmlns='http://jabber.org/"
                               "protocol/disco#info'/></iq>",
                               id, rooms[i]);
        const char *a;
        ck_assert_int_eq(tc_iq(s.sanna, id, q, &a, WAIT), 0);
        free(q);
        ck_assert_msg(strstr(a, "muc_membersonly") && strstr(a, "muc_hidden") &&
                          strstr(a, "muc_nonanonymous") &&
                          strstr(a, "muc_persistent"),
                      "%s is not locked: %s", rooms[i], a);
    }
    scene_close(&s);
}
END_TEST

/*
 * XMPP: someone opened the internal room, and the customer came in. The
 * team is told there who it is, and so is the log; his commands there
 * get the answer any outsider gets, and what he writes in his own room
 * is still mirrored.
 */
START_TEST(a_customer_in_the_internal_room_is_named)
{
    struct scene s;
    scene_open(&s, "intruder", NULL, 500);
    unsigned id = say_held(&s, "ok the idiot wants a refund", "idiot");
    char *open = pf_xasprintf(
        "<iq xmlns='jabber:client' type='set' id='open1' to='%s'><query "
        "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:"
        "data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/"
        "protocol/muc#roomconfig</value></field><field var='muc#roomconfig_"
        "membersonly'><value>0</value></field></x></query></iq>",
        s.iroom);
    ck_assert_int_eq(tc_iq(s.sanna, "open1", open, NULL, WAIT), 0);
    free(open);
    size_t from = s.aino->n;
    s.cust->c->ops->join(s.cust->c, s.iroom);
    ck_assert_int_eq(tc_wait_member(s.aino, s.iroom, "asiakas", WAIT), 0);
    const struct tc_msg *w =
        tc_wait_msg(s.aino, s.iroom,
                    "Warning: asiakas (asiakas@localhost) is in this room "
                    "but not on the team",
                    &from, WAIT);
    ck_assert_msg(w && strstr(w->text, "Varoitus: asiakas"),
                  "the team was not warned");
    ck_assert(tc_bot_logged(&s.bot, "asiakas (asiakas@localhost) is in the "
                                    "internal room"));
    /* his command there */
    say_cmd(s.cust, s.iroom, "!send", id, NULL);
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, NEUTRAL_ANSWER, &from, WAIT));
    /* his own room is still mirrored while he is in ours */
    tc_say(s.cust, s.croom, "Onko tilaukseni jo matkalla?");
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.aino, s.iroom, "[customer] asiakas: Onko tilaukseni", NULL, WAIT));
    /* nothing was decided, and he is warned about once */
    assert_none(&s, s.cust, s.croom, "idiot");
    ck_assert_uint_eq(tc_count(s.aino, s.iroom, "Warning: asiakas"), 1);
    size_t af = s.aino->n;
    tc_say(s.aino, s.iroom, "!held");
    char *want = pf_xasprintf("#%u held (aino", id);
    ck_assert_ptr_nonnull(tc_wait_msg(s.aino, s.iroom, want, &af, WAIT));
    free(want);
    scene_close(&s);
}
END_TEST

/*
 * XMPP: a reply bigger than the bot reads (max_stanza_bytes under what
 * the server takes) is not lost without a word: its author is told, in
 * both languages, and the log names author and room; nothing is sent.
 */
START_TEST(a_reply_too_big_to_read_is_not_lost)
{
    struct scene s;
    g_conn_extra = ", \"max_stanza_bytes\": 32768";
    scene_open(&s, "toobig", NULL, 500);
    char *t = long_reply("[B1]", 40000);
    size_t from = s.aino->n;
    tc_say(s.aino, s.iroom, t);
    free(t);
    const struct tc_msg *m =
        tc_wait_msg(s.aino, s.iroom, TOO_LONG, &from, WAIT);
    ck_assert_msg(m != NULL, "aino was not told; see %s", s.bot.log);
    ck_assert_msg(strstr(m->text, "aino: ") == m->text &&
                      strstr(m->text, "Vastaustasi ei lähetetty") &&
                      strstr(m->text, "at most 32768"),
                  "not the notice: %s", m->text);
    char *line = pf_xasprintf("a reply from aino (%s) in %s on route "
                              "'toobig' is too long",
                              s.aino->id, s.iroom);
    ck_assert_msg(tc_bot_logged(&s.bot, line), "no log line '%s'; see %s", line,
                  s.bot.log);
    free(line);
    /* the customer's too: the team hears of it */
    t = long_reply("[B2]", 40000);
    tc_say(s.cust, s.croom, t + 3);
    free(t);
    ck_assert_ptr_nonnull(tc_wait_msg(s.aino, s.iroom,
                                      "[customer] asiakas: (viesti, jota ei "
                                      "voi näyttää",
                                      NULL, WAIT));
    assert_none(&s, s.cust, s.croom, "[B1]");
    /* told once, also after a reconnect reads the room back */
    outage(&s);
    ck_assert(pump_until_logged(&s, "reconnecting", WAIT) == 0);
    for (int i = 0; i < WAIT / 50 && !s.aino->ready; i++)
        tc_pump(&s.w, 50);
    tc_pump(&s.w, 4 * QUIET);
    ck_assert_uint_eq(tc_count(s.aino, s.iroom, TOO_LONG), 1);
    scene_close(&s);
}
END_TEST

/*
 * XMPP, the bot set to a bigger stanza than the server takes: the server
 * closes the stream for the post (policy-violation). The post is given
 * up after the second time (or the fourth, when Prosody's stream error
 * is lost as it closes the socket), with a log line; its author is told;
 * the bot does not reconnect for ever.
 */
START_TEST(a_post_the_server_refuses_is_given_up)
{
    struct scene s;
    char sig[2100];
    memset(sig, 0, sizeof(sig));
    strcpy(sig, " --");
    while (strlen(sig) < 2000)
        strcat(sig, " Acme Oy, asiakaspalvelu");
    char *route = pf_xasprintf(", \"relay_format\": \"{name}: {text}%s\"", sig);
    g_route_extra = route;
    g_conn_extra = ", \"max_stanza_bytes\": 1048576";
    g_plugins = "[\"example\"]";
    scene_open(&s, "refused", ", \"policy\": {\"plugin_budget_ms\": 10000}",
               300);
    free(route);
    /* within Prosody's 262144 bytes as aino sends it; over, as posted */
    char *t = long_reply("[R1]", 262144 - 1000);
    size_t from = s.aino->n;
    tc_say(s.aino, s.iroom, t);
    free(t);
    const struct tc_msg *m =
        tc_wait_msg(s.aino, s.iroom, "aino: your reply could not be delivered",
                    &from, 3 * WAIT);
    ck_assert_msg(m != NULL, "aino was not told; see %s", s.bot.log);
    ck_assert(tc_bot_logged(&s.bot, "it is given up, not sent again"));
    /* and it stays given up */
    tc_pump(&s.w, 3000);
    size_t n = log_count(&s, "reconnecting in");
    /* twice with the stream error; Prosody's error is sometimes lost as it
       closes the socket, and a close without one counts half */
    ck_assert_msg(n >= 1 && n <= 4, "%zu reconnects; see %s", n, s.bot.log);
    assert_none(&s, s.cust, s.croom, "[R1]");
    tc_say(s.aino, s.iroom, ">> Your refund went out on Monday.");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.cust, s.croom, "aino: Your refund went out", NULL, WAIT));
    ck_assert_uint_eq(log_count(&s, "reconnecting in"), n);
    scene_close(&s);
}
END_TEST

/*
 * XMPP only: any account on the server can send the bot an iq. Answers
 * to requests it never made (a resource binding without an address, one
 * with a log line in it, an archive page) change nothing: the connection
 * stays up and nothing forged reaches the log.
 */
START_TEST(forged_answers_change_nothing)
{
    struct scene s;
    scene_open(&s, "forge", NULL, 500);
    static const char *const forged[] = {
        "<iq xmlns='jabber:client' type='result' id='bind' "
        "to='bot@localhost/pokerface'/>",
        "<iq xmlns='jabber:client' type='result' id='bind' "
        "to='bot@localhost/pokerface'><bind xmlns='urn:ietf:params:xml:ns:"
        "xmpp-bind'><jid>evil@localhost/x&#10;2026-01-01T00:00:00Z "
        "pokerface: relayed on forge from sanna@localhost</jid></bind></iq>",
        "<iq xmlns='jabber:client' type='error' id='catch3' "
        "to='bot@localhost/pokerface'><error type='cancel'><item-not-found "
        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
        "<iq xmlns='jabber:client' type='result' id='cfg2' "
        "to='bot@localhost/pokerface'/>",
    };
    for (size_t i = 0; i < sizeof(forged) / sizeof(*forged); i++)
        ck_assert_int_eq(pf_xmpp_send_raw(s.stranger->c, forged[i]), 0);
    ck_assert_msg(pump_until_logged(&s, "ignoring an answer", WAIT) == 0,
                  "the forged answers were not noticed; see %s", s.bot.log);
    tc_pump(&s.w, QUIET);
    /* still the same connection, and it still relays */
    tc_say(s.aino, s.iroom, ">> Your parcel is at the pickup point.");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.cust, s.croom, "aino: Your parcel is at", NULL, WAIT));
    ck_assert_msg(!tc_bot_logged(&s.bot, "dropping the connection") &&
                      !tc_bot_logged(&s.bot, "reconnecting"),
                  "a forged answer dropped the connection; see %s", s.bot.log);
    ck_assert_uint_eq(log_count(&s, "logged in as"), 1);
    ck_assert_msg(!tc_bot_logged(&s.bot, "evil@localhost"),
                  "a forged address was taken; see %s", s.bot.log);
    ck_assert_msg(!tc_bot_logged(&s.bot, "\npokerface: relayed on forge "
                                         "from sanna") &&
                      !tc_bot_logged(&s.bot, "Z pokerface: relayed on forge "
                                             "from sanna"),
                  "a forged line in the log; see %s", s.bot.log);
    scene_close(&s);
}
END_TEST

/*
 * XMPP: the author's name is part of what the customer reads ("{name}:
 * {text}"). A nick that says what the customer must not read holds a
 * clean reply, the notice quotes the words, and an edit of the text is
 * held again; a nick too long is cut.
 */
START_TEST(a_name_is_checked_as_the_customer_reads_it)
{
    struct scene s;
    scene_open(&s, "nick", NULL, 500);
    char *to = pf_xasprintf("<presence xmlns='jabber:client' "
                            "to='%s/Eve (this customer is an idiot)'/>",
                            s.iroom);
    ck_assert_int_eq(pf_xmpp_send_raw(s.ville->c, to), 0);
    free(to);
    tc_pump(&s.w, QUIET);
    size_t from = s.ville->n;
    tc_say(s.ville, s.iroom, ">> Your refund went out on Monday.");
    const struct tc_msg *n = tc_wait_msg(s.ville, s.iroom,
                                         "Eve (this customer is an idiot): "
                                         "held #",
                                         &from, WAIT);
    ck_assert_msg(n != NULL, "a clean reply under a rude name was not held");
    ck_assert_msg(strstr(n->text, "\"idiot\""),
                  "the notice does not quote the name's word: %s", n->text);
    unsigned id = hold_id(n);
    say_cmd(s.ville, s.iroom, "!edit", id, "Your refund went out today.");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.ville, s.iroom, "the edit is still held", &from, WAIT));
    assert_none(&s, s.cust, s.croom, "Your refund");

    /* a name longer than a name is cut in what the customer reads */
    struct pf_buf nick = PF_BUF_INIT;
    pf_buf_addf(&nick, "<presence xmlns='jabber:client' to='%s/Ville", s.iroom);
    for (int i = 0; i < 20; i++)
        pf_buf_addstr(&nick, " Aaltonen");
    pf_buf_addstr(&nick, "'/>");
    ck_assert_int_eq(pf_xmpp_send_raw(s.ville->c, nick.data), 0);
    pf_buf_release(&nick);
    tc_pump(&s.w, QUIET);
    tc_say(s.ville, s.iroom, ">> Your parcel is at the pickup point.");
    const struct tc_msg *c = tc_wait_msg(
        s.cust, s.croom, ": Your parcel is at the pickup", NULL, WAIT);
    ck_assert_ptr_nonnull(c);
    ck_assert_msg(strncmp(c->text, "Ville Aaltonen", 14) == 0 &&
                      strstr(c->text, "\u2026: Your parcel") &&
                      strstr(c->text, ": Your parcel") - c->text <= 64,
                  "the name is not cut: %s", c->text);
    scene_close(&s);
}
END_TEST

/* ---- the queue from a terminal ---- */

/* run build/pokerface ARGS (a shell line); its stdout+stderr, exit code */
static char *cli(struct scene *s, int *status, const char *fmt, ...)
    PF_ATTR_PRINTF(3, 4);

static char *
cli(struct scene *s, int *status, const char *fmt, ...)
{
    char args[1024];
    va_list ap;
    (void)s;
    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    char *line = pf_xasprintf("%s/pokerface %s 2>&1", tu_build(), args);
    FILE *p = popen(line, "r");
    ck_assert_ptr_nonnull(p);
    struct pf_buf b = PF_BUF_INIT;
    char buf[4096];
    size_t n;
    /* the bot answers on its loop: keep the test users' loop turning */
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
        pf_buf_add(&b, buf, n);
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    free(line);
    pf_buf_addstr(&b, "");
    return pf_buf_detach(&b, NULL);
}

/* as another user (nobody): ask the bot's socket for the queue */
static char *
as_nobody(const char *sock)
{
    int fd[2];
    ck_assert_int_eq(pipe(fd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        char err[512];
        close(fd[0]);
        if (setgid(65534) != 0 || setuid(65534) != 0) {
            dprintf(fd[1], "cannot become nobody");
            _exit(1);
        }
        /* not pf_control_call(): that refuses a socket of another user
           before the bot could refuse us (check_state.c tests it) */
        struct sockaddr_un a;
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        memset(&a, 0, sizeof(a));
        a.sun_family = AF_UNIX;
        snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
        if (connect(c, (struct sockaddr *)&a, sizeof(a)) != 0) {
            snprintf(err, sizeof(err), "%s: %s", sock,
                     errno == EACCES ? "permission denied" : strerror(errno));
            dprintf(fd[1], "%s", err);
            _exit(0);
        }
        /* the refusal comes at once; a request the bot never reads
           would turn its close into a reset */
        ssize_t n;
        while ((n = read(c, err, sizeof(err))) > 0)
            if (write(fd[1], err, (size_t)n) < 0)
                _exit(1);
        _exit(0);
    }
    close(fd[1]);
    struct pf_buf b = PF_BUF_INIT;
    char buf[1024];
    ssize_t n;
    while ((n = read(fd[0], buf, sizeof(buf))) > 0)
        pf_buf_add(&b, buf, (size_t)n);
    close(fd[0]);
    waitpid(pid, NULL, 0);
    pf_buf_addstr(&b, "");
    return pf_buf_detach(&b, NULL);
}

START_TEST(queue_from_the_command_line)
{
    struct scene s;
    int st;
    char *out;
    scene_open(&s, "queue", NULL, 500);
    /* the password came from the environment, and is no longer in it */
    {
        char *envf = pf_xasprintf("/proc/%d/environ", (int)s.bot.pid);
        size_t en;
        char *e = tu_read(envf, &en);
        ck_assert_ptr_nonnull(e);
        ck_assert_msg(!tu_has_bytes(e, en, "pw-bot") &&
                          !tu_has_bytes(e, en, "PF_TEST_BOT_PW="),
                      "the password is still in %s", envf);
        free(e);
        free(envf);
    }
    unsigned a = say_held(&s, "lol this guy is a total idiot", "idiot");
    unsigned b = say_held(&s, "ok the idiot wants a refund", "idiot");
    unsigned c = say_held(&s, "this customer is such a moron lol", "moron");

    out = cli(&s, &st, "queue -c %s/pf.json list", s.tmp);
    ck_assert_msg(st == 0 && strstr(out, "lol this guy is a total idiot") &&
                      strstr(out, "such a moron"),
                  "queue list: %s", out);
    free(out);
    out = cli(&s, &st, "queue -c %s/pf.json show %u", s.tmp, a);
    ck_assert_msg(st == 0 &&
                      strstr(out, "text     lol this guy is a total "
                                  "idiot") &&
                      strstr(out, "\"idiot\"") && strstr(out, "aino"),
                  "queue show: %s", out);
    free(out);
    out = cli(&s, &st, "status -c %s/pf.json", s.tmp);
    ck_assert_msg(st == 0 && strstr(out, "held     3 now") &&
                      strstr(out, "xmpp, connected") &&
                      strstr(out, "route    queue"),
                  "status: %s", out);
    free(out);

    /* send: the customer gets it, the team is told who decided */
    out = cli(&s, &st, "queue -c %s/pf.json send %u", s.tmp, a);
    ck_assert_msg(st == 0 && strstr(out, "sent to the customer"),
                  "queue send: %s", out);
    free(out);
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.cust, s.croom, "aino: lol this guy is a total idiot", NULL, WAIT));
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "(pokerface queue)", NULL, WAIT));

    /* edit with $EDITOR: the new text is checked and sent; the held text
       is edited in a private file in the state directory, not in /tmp,
       and the file is gone afterwards */
    char *nt = pf_xasprintf("%s/new.txt", s.tmp);
    char *rec = pf_xasprintf("%s/editor.rec", s.tmp);
    const char *fresh = "Your refund is on its way, thank you for waiting.";
    tu_write(nt, fresh, strlen(fresh));
    char *ed = pf_xasprintf("ed() { stat -c '%%a %%n' \"$1\" >'%s'; "
                            "cp -f '%s' \"$1\"; }; ed",
                            rec, nt);
    setenv("EDITOR", ed, 1);
    out = cli(&s, &st, "queue -c %s/pf.json edit %u", s.tmp, b);
    ck_assert_msg(st == 0 && strstr(out, "edited and sent"), "queue edit: %s",
                  out);
    free(out);
    size_t rn;
    char *r = tu_read(rec, &rn);
    char *want = pf_xasprintf("600 %s/state/", s.tmp);
    ck_assert_msg(r && strncmp(r, want, strlen(want)) == 0,
                  "the editor's file was not private in the state directory: "
                  "%s",
                  r ? r : "(not run)");
    r[strcspn(r, "\n")] = '\0';
    ck_assert_msg(access(strchr(r, ' ') + 1, F_OK) != 0,
                  "the editor's file was left behind: %s", r);
    free(r);
    free(want);
    free(rec);
    free(ed);
    free(nt);
    unsetenv("EDITOR");
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.cust, s.croom, "aino: Your refund is on its way", NULL, WAIT));

    /* drop: never sent; and a decided one cannot be decided again */
    out = cli(&s, &st, "queue -c %s/pf.json drop %u", s.tmp, c);
    ck_assert_msg(st == 0 && strstr(out, "dropped"), "queue drop: %s", out);
    free(out);
    out = cli(&s, &st, "queue -c %s/pf.json send %u", s.tmp, c);
    ck_assert_msg(st == 2 && strstr(out, "no held message"),
                  "send after drop: %s", out);
    free(out);
    out = cli(&s, &st, "queue -c %s/pf.json list", s.tmp);
    ck_assert_msg(st == 0 && strstr(out, "No held messages."), "empty: %s",
                  out);
    free(out);
    assert_none(&s, s.cust, s.croom, "moron");
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "total idiot"), 1);

    /* another user: kept out by the socket's mode, and by the uid check
       when the mode is opened up */
    char *sock = pf_xasprintf("%s/state/control.sock", s.tmp);
    struct stat sst;
    ck_assert_int_eq(stat(sock, &sst), 0);
    ck_assert_uint_eq(sst.st_mode & 0777, 0600);
    char *state = pf_xasprintf("%s/state", s.tmp);
    chmod(s.tmp, 0711);
    chmod(state, 0711);
    out = as_nobody(sock);
    ck_assert_msg(strstr(out, "permission denied"), "nobody got: %s", out);
    free(out);
    chmod(sock, 0666);
    out = as_nobody(sock);
    ck_assert_msg(strstr(out, "refused: you are nobody"), "nobody got: %s",
                  out);
    free(out);
    chmod(sock, 0600);
    chmod(state, 0700);
    chmod(s.tmp, 0700);
    free(state);
    free(sock);
    pump_until_logged(&s, "refused user nobody", WAIT);
    scene_close(&s);
}
END_TEST

/* ---- the web listener, metrics and the history ---- */

/* the port the bot's web listener said it listens on (its latest log) */
static int
web_port(struct scene *s)
{
    struct pf_buf b = PF_BUF_INIT;
    const char *needle = "web: listening on http://127.0.0.1:";
    int port = 0;
    for (int i = 0; i < WAIT / 20 && !port; i++) {
        if (pf_read_file(s->bot.log, 64u << 20, &b) == 0) {
            const char *p = strstr(b.data, needle);
            if (p)
                port = atoi(p + strlen(needle));
        }
        pf_buf_release(&b);
        if (!port) {
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    ck_assert_msg(port > 0, "no web listener in %s", s->bot.log);
    return port;
}

/* GET /metrics, parsed strictly */
static void
scrape(int port, struct prom *p)
{
    char *body;
    ck_assert_int_eq(tu_http_get(port, "/metrics", &body), 200);
    const char *e = prom_parse(body, p);
    ck_assert_msg(e == NULL, "/metrics is not Prometheus text: %s\n%.1500s", e,
                  body);
    free(body);
}

#define PROM(p, name, labels) prom_get(p, name, labels)

/*
 * Before the bot reaches its chat server, /healthz says 503 and why, and
 * /metrics says it is not connected; the listener is up all the same,
 * and answers over TLS when given a certificate.
 */
START_TEST(healthz_is_503_until_connected)
{
    char *tmp = tu_tmpdir();
    ck_assert_int_eq(tc_state_dir(tmp), 0);
    char *cfg = pf_xasprintf("%s/pf.json", tmp);
    char *log = pf_xasprintf("%s/bot.log", tmp);
    FILE *f = fopen(cfg, "w");
    ck_assert_ptr_nonnull(f);
    /* port 9 (discard): nothing listens there */
    fprintf(f, "{\"plugins\": [\"example\"],\n"
               " \"connector\": {\"type\": \"xmpp\", \"url\": "
               "\"ws://127.0.0.1:9/xmpp-websocket\", \"jid\": "
               "\"bot@localhost\", \"password_env\": \"PF_TEST_BOT_PW\"},\n"
               " \"routes\": [{\"name\": \"r\", \"customer_room\": "
               "\"c@conference.localhost\", \"internal_room\": "
               "\"i@conference.localhost\"}],\n"
               " \"state_dir\": \"state\", \"web\": {\"listen\": "
               "\"127.0.0.1:0\"}}\n");
    fclose(f);
    struct scene s;
    memset(&s, 0, sizeof(s));
    ck_assert_int_eq(tc_bot_start(&s.bot, tu_build(), cfg, log), 0);
    int port = web_port(&s);
    char *body;
    ck_assert_int_eq(tu_http_get(port, "/healthz", &body), 503);
    ck_assert_msg(strstr(body, "not connected"), "healthz said: %s", body);
    free(body);
    struct prom p;
    scrape(port, &p);
    ck_assert(PROM(&p, "pokerface_connected", "") == 0);
    ck_assert(PROM(&p, "pokerface_ready", "") == 0);
    prom_free(&p);
    /* not a page: 404; not a method: 405, each saying so */
    ck_assert_int_eq(tu_http_get(port, "/nope", &body), 404);
    ck_assert_msg(strstr(body, "no such page: /nope"), "%s", body);
    free(body);
    const char *post = "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: "
                       "2\r\n\r\nhi";
    ck_assert_int_eq(tu_http_raw(port, post, strlen(post), &body, 5000), 405);
    ck_assert_msg(strstr(body, "only GET"), "%.300s", body);
    free(body);
    /* connections are capped: a 17th waits for nothing and is closed,
       and once the idle ones go, requests are answered again */
    int idle[PF_WEB_MAX_CONN];
    for (int i = 0; i < PF_WEB_MAX_CONN; i++) {
        struct sockaddr_in sa;
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_port = htons((unsigned short)port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        idle[i] = socket(AF_INET, SOCK_STREAM, 0);
        ck_assert_int_eq(connect(idle[i], (struct sockaddr *)&sa, sizeof(sa)),
                         0);
    }
    struct timespec settle = {0, 300 * 1000 * 1000};
    nanosleep(&settle, NULL);
    ck_assert_int_eq(tu_http_get(port, "/healthz", &body), 0);
    free(body);
    ck_assert(tc_bot_logged(&s.bot, "connections open already"));
    for (int i = 0; i < PF_WEB_MAX_CONN; i++)
        close(idle[i]);
    nanosleep(&settle, NULL);
    for (int i = 0; i < 2 * PF_WEB_MAX_CONN; i++) {
        ck_assert_int_eq(tu_http_get(port, "/healthz", &body), 503);
        free(body);
    }
    ck_assert_int_eq(tc_bot_stop(&s.bot), 0);

    /* the same over TLS, with a certificate made here */
    char *certs = pf_xasprintf(
        "cd '%s' && openssl req -x509 -newkey ec -pkeyopt "
        "ec_paramgen_curve:prime256v1 -nodes -keyout web.key -out web.crt "
        "-days 1 -subj /CN=localhost >/dev/null 2>&1",
        tmp);
    ck_assert_msg(system(certs) == 0, "openssl could not make a certificate");
    free(certs);
    f = fopen(cfg, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "{\"plugins\": [\"example\"],\n"
               " \"connector\": {\"type\": \"xmpp\", \"url\": "
               "\"ws://127.0.0.1:9/xmpp-websocket\", \"jid\": "
               "\"bot@localhost\", \"password_env\": \"PF_TEST_BOT_PW\"},\n"
               " \"routes\": [{\"name\": \"r\", \"customer_room\": "
               "\"c@conference.localhost\", \"internal_room\": "
               "\"i@conference.localhost\"}],\n"
               " \"state_dir\": \"state\", \"web\": {\"listen\": "
               "\"127.0.0.1:0\", \"tls_cert_file\": \"web.crt\", "
               "\"tls_key_file\": \"web.key\"}}\n");
    fclose(f);
    char *log2 = pf_xasprintf("%s/bot-tls.log", tmp);
    ck_assert_int_eq(tc_bot_start(&s.bot, tu_build(), cfg, log2), 0);
    struct pf_buf lb = PF_BUF_INIT;
    const char *needle = "web: listening on https://127.0.0.1:";
    port = 0;
    for (int i = 0; i < WAIT / 20 && !port; i++) {
        if (pf_read_file(log2, 1u << 20, &lb) == 0 && strstr(lb.data, needle))
            port = atoi(strstr(lb.data, needle) + strlen(needle));
        pf_buf_release(&lb);
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ck_assert_msg(port > 0, "no HTTPS listener in %s", log2);
    char *get = pf_xasprintf(
        "printf 'GET /healthz HTTP/1.1\\r\\nHost: x\\r\\nConnection: "
        "close\\r\\n\\r\\n' | timeout 10 openssl s_client -quiet -ign_eof "
        "-connect 127.0.0.1:%d 2>/dev/null",
        port);
    FILE *pp = popen(get, "r");
    ck_assert_ptr_nonnull(pp);
    char got[4096];
    size_t gn = fread(got, 1, sizeof(got) - 1, pp);
    got[gn] = '\0';
    pclose(pp);
    free(get);
    ck_assert_msg(strstr(got, "HTTP/1.1 503") && strstr(got, "not connected"),
                  "over TLS: %s", got);
    /* plain HTTP on the TLS port gets nothing of the page */
    ck_assert_int_ne(tu_http_get(port, "/healthz", &body), 503);
    free(body);
    ck_assert_int_eq(tc_bot_stop(&s.bot), 0);
    free(log2);
    tu_rmrf(tmp);
    free(tmp);
    free(cfg);
    free(log);
}
END_TEST

/* `pokerface queue history ARGS` as JSON, with its exit status */
static json_t *
history_json(struct scene *s, const char *args)
{
    int st;
    char *out =
        cli(s, &st, "queue -c %s/pf.json history --json %s", s->tmp, args);
    json_error_t je;
    json_t *a = json_loads(out, 0, &je);
    ck_assert_msg(st == 0 && json_is_array(a), "queue history %s: %d %s", args,
                  st, out);
    free(out);
    return a;
}

/* the entry of hold id in a history array */
static json_t *
history_hold(json_t *a, unsigned id)
{
    json_t *h;
    size_t i;
    json_array_foreach (a, i, h)
        if (json_integer_value(json_object_get(h, "hold")) == id)
            return h;
    ck_abort_msg("hold #%u is not in the history", id);
    return NULL;
}

static const char *
decision_str(json_t *h, size_t k, const char *key)
{
    json_t *d = json_array_get(json_object_get(h, "decisions"), k);
    ck_assert_msg(d != NULL, "no decision %zu for #%lld", k,
                  (long long)json_integer_value(json_object_get(h, "hold")));
    const char *v = json_string_value(json_object_get(d, key));
    return v ? v : "";
}

/* ---- the review page's server side ---- */

/* an HTTP request to the bot's listener: status; *head and *body */
static int
web_req(int port, const char *method, const char *path, const char *cookie,
        const char *csrf, const char *body, char **head, char **out)
{
    char *req = pf_xasprintf(
        "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        "%s%s%s%s%s%sContent-Length: %zu\r\n\r\n%s",
        method, path, cookie ? "Cookie: " : "", cookie ? cookie : "",
        cookie ? "\r\n" : "", csrf ? "X-CSRF-Token: " : "", csrf ? csrf : "",
        csrf ? "\r\n" : "", body ? strlen(body) : 0, body ? body : "");
    int st = tu_http_full(port, req, strlen(req), head, out, 5000);
    free(req);
    return st;
}

/* u asks for a sign-in link with !web; its path ("/login?t=...") */
static char *
web_link(struct scene *s, struct tc_user *u)
{
    size_t from = u->n;
    tc_say(u, s->iroom, "!web");
    const struct tc_msg *m = tc_wait_msg(u, NULL, "/login?t=", &from, WAIT);
    ck_assert_msg(m != NULL, "%s got no sign-in link privately", u->name);
    ck_assert_msg(!m->room || !*m->room, "the link came in a room: %s",
                  m->room);
    const char *p = strstr(m->text, "/login?t=");
    size_t n = strcspn(p, " \n");
    return pf_xasprintf("%.*s", (int)n, p);
}

/* open the link and press the button: the session cookie ("pf_session=") */
static char *
web_signin(int port, const char *link)
{
    char *head, *body;
    ck_assert_int_eq(web_req(port, "GET", link, NULL, NULL, NULL, &head, &body),
                     200);
    ck_assert_msg(strstr(body, "id=\"signin\"") && strstr(body, "<form"),
                  "no sign-in button: %s", body);
    ck_assert_msg(strstr(head, "content-security-policy: default-src 'none'"),
                  "no CSP: %s", head);
    free(head);
    free(body);
    /* showing the page used nothing up: the button still works */
    char *form = pf_xasprintf("t=%s", strstr(link, "t=") + 2);
    ck_assert_int_eq(
        web_req(port, "POST", "/login", NULL, NULL, form, &head, &body), 303);
    const char *c = strstr(head, "set-cookie: pf_session=");
    ck_assert_msg(c != NULL, "no session cookie: %s", head);
    size_t n = strcspn(c + 12, ";\r");
    char *cookie = pf_xasprintf("%.*s", (int)n, c + 12);
    ck_assert_msg(strstr(c, "HttpOnly") && strstr(c, "SameSite=Strict") &&
                      strstr(head, "location: /"),
                  "cookie or redirect: %s", head);
    free(head);
    free(body);
    /* a link works once */
    ck_assert_int_eq(
        web_req(port, "POST", "/login", NULL, NULL, form, NULL, &body), 403);
    ck_assert_msg(strstr(body, "used already or has expired"), "%s", body);
    free(body);
    free(form);
    return cookie;
}

/* GET an API path as JSON */
static json_t *
web_json(int port, const char *path, const char *cookie, int want)
{
    char *body;
    ck_assert_int_eq(
        web_req(port, "GET", path, cookie, NULL, NULL, NULL, &body), want);
    json_error_t e;
    json_t *o = json_loads(body, 0, &e);
    ck_assert_msg(o != NULL, "%s is not JSON: %s", path, body);
    free(body);
    return o;
}

static json_t *
hold_in(json_t *q, unsigned id)
{
    size_t i;
    json_t *h;
    json_array_foreach (json_object_get(q, "holds"), i, h)
        if (json_integer_value(json_object_get(h, "hold")) == (json_int_t)id)
            return h;
    return NULL;
}

/*
 * The review page's server on a real Prosody: !web sends a one-time link
 * privately; opening it uses nothing up, the button starts a session (an
 * HttpOnly, SameSite=Strict cookie) and the link is spent; the queue shows
 * the hold with its words; another agent sees it but may not decide (and
 * is refused when he tries); a change without the CSRF token is refused;
 * the author's Send reaches the customer once, the room is told, the log
 * and the history say it was done on the page, a live event stream hears
 * of it, the statistics and the CSV count it. The owner's web-login link
 * is a supervisor's; an expired link, no cookie and a signed-out session
 * are refused.
 */
START_TEST(review_page_signin_and_decisions)
{
    struct scene s;
    char *body, *head;
    scene_open(&s, "page",
               ", \"web\": {\"listen\": \"127.0.0.1:0\", \"link_ttl_s\": 4}",
               500);
    int port = web_port(&s);
    unsigned a = say_held(&s, "lol this guy is a total idiot", "idiot");
    char *link_a = web_link(&s, s.aino);
    char *link_v = web_link(&s, s.ville);
    char *ck_a = web_signin(port, link_a);
    char *ck_v = web_signin(port, link_v);

    json_t *qa = web_json(port, "/api/queue", ck_a, 200);
    json_t *h = hold_in(qa, a);
    ck_assert_msg(h != NULL, "hold #%u not in the queue", a);
    ck_assert_str_eq(
        json_string_value(json_array_get(json_object_get(h, "words"), 0)),
        "idiot");
    ck_assert(json_is_true(json_object_get(h, "may_send")));
    ck_assert_str_eq(json_string_value(json_object_get(h, "text")),
                     "lol this guy is a total idiot");
    ck_assert(json_is_false(
        json_object_get(json_object_get(qa, "me"), "supervisor")));
    const char *csrf_a = json_string_value(json_object_get(qa, "csrf"));
    json_t *qv = web_json(port, "/api/queue", ck_v, 200);
    h = hold_in(qv, a);
    ck_assert_msg(h != NULL, "ville does not see the hold");
    ck_assert(json_is_false(json_object_get(h, "may_send")) &&
              json_is_false(json_object_get(h, "may_decide")));
    const char *csrf_v = json_string_value(json_object_get(qv, "csrf"));
    char *hpath = pf_xasprintf("/api/hold?id=%u", a);
    json_t *hd = web_json(port, hpath, ck_v, 200);
    free(hpath);
    ck_assert_msg(json_array_size(json_object_get(hd, "details")) >= 1,
                  "no details");
    json_decref(hd);

    /* ville may not decide aino's hold; nobody decides without a token */
    char *sendit = pf_xasprintf("{\"id\": %u, \"action\": \"send\"}", a);
    ck_assert_int_eq(
        web_req(port, "POST", "/api/decide", ck_v, csrf_v, sendit, NULL, &body),
        403);
    ck_assert_msg(strstr(body, "aino"), "why not: %s", body);
    free(body);
    ck_assert_int_eq(
        web_req(port, "POST", "/api/decide", ck_a, NULL, sendit, NULL, &body),
        403);
    ck_assert_msg(strstr(body, "CSRF"), "%s", body);
    free(body);
    ck_assert_int_eq(
        web_req(port, "POST", "/api/decide", ck_a, csrf_v, sendit, NULL, &body),
        403);
    free(body);
    ck_assert_int_eq(
        web_req(port, "POST", "/api/decide", NULL, csrf_a, sendit, NULL, &body),
        401);
    free(body);
    json_t *still = web_json(port, "/api/queue", ck_a, 200);
    ck_assert_ptr_nonnull(hold_in(still, a));
    json_decref(still);

    /* a live stream of events */
    int ev = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(ev, (struct sockaddr *)&sa, sizeof(sa)), 0);
    char *evreq = pf_xasprintf("GET /api/events HTTP/1.1\r\nHost: x\r\n"
                               "Cookie: %s\r\n\r\n",
                               ck_a);
    ck_assert_int_eq(send(ev, evreq, strlen(evreq), 0), (ssize_t)strlen(evreq));
    free(evreq);

    /* the author sends it from the page: once to the customer */
    size_t from = s.aino->n;
    ck_assert_int_eq(
        web_req(port, "POST", "/api/decide", ck_a, csrf_a, sendit, NULL, &body),
        200);
    ck_assert_msg(strstr(body, "\"state\":\"sent\""), "%s", body);
    free(body);
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.cust, s.croom, "aino: lol this guy is a total idiot", NULL, WAIT));
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "(review page)", &from, WAIT));
    char *line = pf_xasprintf("sent #%u on page by aino@localhost (on the "
                              "review page)",
                              a);
    ck_assert_msg(pump_until_logged(&s, line, WAIT) == 0, "no '%s' in %s", line,
                  s.bot.log);
    free(line);
    tc_pump(&s.w, 500);
    ck_assert_int_eq(tc_count(s.cust, s.croom, "total idiot"), 1);

    /* the stream heard of it */
    struct pf_buf got = PF_BUF_INIT;
    for (int i = 0; i < 50 && (!got.data || !strstr(got.data, "decided"));
         i++) {
        struct pollfd pfd = {ev, POLLIN, 0};
        if (poll(&pfd, 1, 100) > 0) {
            char buf[4096];
            ssize_t n = recv(ev, buf, sizeof(buf), 0);
            if (n <= 0)
                break;
            pf_buf_add(&got, buf, (size_t)n);
            pf_buf_addstr(&got, "");
            got.len--;
        }
    }
    ck_assert_msg(got.data && strstr(got.data, "text/event-stream") &&
                      strstr(got.data, "event: queue") &&
                      strstr(got.data, "\"what\":\"decided\""),
                  "the event stream: %s", got.data ? got.data : "(nothing)");
    pf_buf_release(&got);
    /* one session holds at most four streams: the places are everyone's */
    int more[3];
    for (int i = 0; i < 3; i++) {
        more[i] = socket(AF_INET, SOCK_STREAM, 0);
        ck_assert_int_eq(connect(more[i], (struct sockaddr *)&sa, sizeof(sa)),
                         0);
        char *r = pf_xasprintf("GET /api/events HTTP/1.1\r\nHost: x\r\n"
                               "Cookie: %s\r\n\r\n",
                               ck_a);
        ck_assert_int_eq(send(more[i], r, strlen(r), 0), (ssize_t)strlen(r));
        free(r);
        char buf[256];
        struct pollfd pfd = {more[i], POLLIN, 0};
        ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
        ck_assert_int_gt(recv(more[i], buf, sizeof(buf), 0), 0);
    }
    ck_assert_int_eq(
        web_req(port, "GET", "/api/events", ck_a, NULL, NULL, NULL, &body),
        429);
    free(body);
    for (int i = 0; i < 3; i++)
        close(more[i]);
    close(ev);

    /* the history, the statistics and the CSV */
    json_t *hist = web_json(port, "/api/history?days=1", ck_v, 200);
    json_t *it = json_array_get(json_object_get(hist, "items"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(it, "outcome")), "sent");
    ck_assert_str_eq(json_string_value(json_object_get(it, "via")), "web");
    ck_assert_str_eq(json_string_value(json_object_get(it, "decided_by")),
                     "aino");
    json_decref(hist);
    hist = web_json(port, "/api/history?days=1&outcome=dropped", ck_v, 200);
    ck_assert_int_eq(json_array_size(json_object_get(hist, "items")), 0);
    json_decref(hist);
    json_t *st = web_json(port, "/api/stats?days=7", ck_v, 200);
    json_t *days = json_object_get(st, "days");
    ck_assert_int_eq(json_array_size(days), 7);
    json_t *today = json_array_get(days, 6);
    ck_assert_int_eq(json_integer_value(json_object_get(today, "held")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(today, "sent")), 1);
    ck_assert_int_ge(json_array_size(json_object_get(st, "labels")), 1);
    json_decref(st);
    ck_assert_int_eq(web_req(port, "GET", "/api/history.csv", ck_v, NULL, NULL,
                             &head, &body),
                     200);
    ck_assert_msg(strstr(head, "text/csv") &&
                      strstr(head, "attachment; filename="),
                  "%s", head);
    ck_assert_msg(
        !strncmp(body, "hold,held_at,route,author,labels,outcome,", 41) &&
            strstr(body, ",sent,aino,"),
        "%s", body);
    free(head);
    free(body);

    /* the terminal's history says where it was decided */
    int status;
    char *hout = cli(&s, &status, "queue -c %s/pf.json history", s.tmp);
    ck_assert_msg(status == 0 && strstr(hout, "send -> sent, by aino") &&
                      strstr(hout, "on the review page"),
                  "queue history: %s", hout);
    free(hout);

    /* the owner's link is a supervisor's */
    char *out = cli(&s, &status, "web-login -c %s/pf.json", s.tmp);
    ck_assert_msg(status == 0 && strstr(out, "/login?t="), "web-login: %s",
                  out);
    *strchr(strstr(out, "/login?t="), '\n') = '\0';
    char *ck_s = web_signin(port, strstr(out, "/login?t="));
    free(out);
    json_t *qs = web_json(port, "/api/queue", ck_s, 200);
    ck_assert(
        json_is_true(json_object_get(json_object_get(qs, "me"), "supervisor")));
    json_decref(qs);

    /* an expired link is refused; so is everything without a session */
    char *late = web_link(&s, s.ville);
    sleep(5);
    ck_assert_int_eq(web_req(port, "GET", late, NULL, NULL, NULL, NULL, &body),
                     403);
    free(body);
    free(late);
    ck_assert_int_eq(
        web_req(port, "GET", "/api/queue", NULL, NULL, NULL, NULL, &body), 401);
    free(body);
    ck_assert_int_eq(
        web_req(port, "POST", "/logout", ck_v, csrf_v, "", NULL, &body), 200);
    free(body);
    ck_assert_int_eq(
        web_req(port, "GET", "/api/queue", ck_v, NULL, NULL, NULL, &body), 401);
    free(body);

    json_decref(qa);
    json_decref(qv);
    free(sendit);
    free(ck_a);
    free(ck_v);
    free(ck_s);
    free(link_a);
    free(link_v);
    scene_close(&s);
}
END_TEST

/*
 * A scenario with the web listener on: /healthz is 200 once connected;
 * /metrics parses strictly and its counters move with a relayed reply,
 * holds and decisions in the chat and on the terminal; malformed and
 * huge requests are refused and the relay goes on relaying. Every hold
 * and decision is in the history, which outlives a clean restart (and
 * the journal's compaction with it), a kill -9 and another start, reads
 * while the bot is stopped, filters and prints JSON; a changed byte in
 * it is reported, not skipped.
 */
START_TEST(metrics_and_history_end_to_end)
{
    struct scene s;
    int st;
    char *out, *body;
    struct prom m0, m1;
    scene_open(&s, "hist", ", \"web\": {\"listen\": \"127.0.0.1:0\"}", 500);
    int port = web_port(&s);
    ck_assert_int_eq(tu_http_get(port, "/healthz", &body), 200);
    ck_assert_msg(strstr(body, "ok"), "%s", body);
    free(body);
    scrape(port, &m0);
    ck_assert(PROM(&m0, "pokerface_connected", "") == 1);
    ck_assert(PROM(&m0, "pokerface_build_info",
                   "version=\"" PF_VERSION "\",abi=\"1.3\"") == 1);

    tc_say(s.aino, s.iroom, ">> Your parcel left today, thanks!");
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.cust, s.croom, "aino: Your parcel left today", NULL, WAIT));
    /* the relayed reply's records are made durable after its post, with
       nothing else happening (a hold would sync the journal itself) */
    double synced = 0;
    for (int i = 0; i < 50 && synced < 1; i++) {
        struct prom m;
        tc_pump(&s.w, 20);
        scrape(port, &m);
        synced = PROM(&m, "pokerface_journal_fdatasyncs_total", "") -
                 PROM(&m0, "pokerface_journal_fdatasyncs_total", "");
        prom_free(&m);
    }
    ck_assert_msg(synced >= 1, "the reply's records were never synced");
    size_t from = s.aino->n;
    unsigned a = say_held(&s, "lol this guy is a total idiot", "idiot");
    say_cmd(s.aino, s.iroom, "!send", a, NULL);
    char *want = pf_xasprintf("#%u sent to the customer", a);
    ck_assert_ptr_nonnull(tc_wait_msg(s.aino, s.iroom, want, &from, WAIT));
    free(want);
    unsigned b = say_held(&s, "this customer is such a moron lol", "moron");
    say_cmd(s.sanna, s.iroom, "!drop", b, NULL);
    want = pf_xasprintf("#%u dropped", b);
    ck_assert_ptr_nonnull(tc_wait_msg(s.aino, s.iroom, want, &from, WAIT));
    free(want);
    unsigned c = say_held(&s, "no nyt se idiootti soittaa taas", "idiootti");
    say_cmd(s.aino, s.iroom, "!edit", c,
            "se idiootti soittaa taas, vastaa sille");
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.aino, s.iroom, "muokattu viesti pidätetty yhä", &from, WAIT));
    say_cmd(s.aino, s.iroom, "!edit", c,
            "Hei, soitan teille vielä tänään uudelleen.");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "muokattu ja lähetetty", &from, WAIT));
    unsigned d = say_held(&s, "ok the idiot wants a refund", "idiot");
    out = cli(&s, &st, "queue -c %s/pf.json drop %u", s.tmp, d);
    ck_assert_msg(st == 0, "queue drop: %s", out);
    free(out);

    /* who decided, in the log */
    char *line = pf_xasprintf("sent #%u on hist by aino@localhost (in the "
                              "chat)",
                              a);
    ck_assert_msg(pump_until_logged(&s, line, WAIT) == 0, "no '%s' in %s", line,
                  s.bot.log);
    free(line);
    line =
        pf_xasprintf("dropped #%u on hist by sanna@localhost (in the chat)", b);
    ck_assert_msg(tc_bot_logged(&s.bot, line), "no '%s'", line);
    free(line);
    line = pf_xasprintf("dropped #%u on hist by local:", d);
    ck_assert_msg(tc_bot_logged(&s.bot, line) &&
                      tc_bot_logged(&s.bot, "(on the terminal)"),
                  "no '%s'", line);
    free(line);

    scrape(port, &m1);
#define MOVED(name, labels)                                                    \
    ((isnan(PROM(&m1, name, labels)) ? 0 : PROM(&m1, name, labels)) -          \
     (isnan(PROM(&m0, name, labels)) ? 0 : PROM(&m0, name, labels)))
    ck_assert_msg(MOVED("pokerface_relayed_total", "") == 1, "relayed %g",
                  MOVED("pokerface_relayed_total", ""));
    ck_assert(MOVED("pokerface_held_total", "") == 4);
    ck_assert(
        MOVED("pokerface_decisions_total", "kind=\"send\",by=\"author\"") == 1);
    ck_assert(MOVED("pokerface_decisions_total",
                    "kind=\"drop\",by=\"supervisor\"") == 1);
    ck_assert(
        MOVED("pokerface_decisions_total", "kind=\"edit\",by=\"author\"") == 2);
    ck_assert(MOVED("pokerface_decisions_total",
                    "kind=\"drop\",by=\"terminal\"") == 1);
    ck_assert(MOVED("pokerface_sent_after_hold_total", "") == 2);
    ck_assert(MOVED("pokerface_held_by_label_total",
                    "label=\"backstage.derogatory\"") >= 3);
    ck_assert(MOVED("pokerface_relay_latency_seconds_count", "") >= 1);
    /* and by stage: each relayed reply in each, the stages adding up to
       the whole; its checks and its journal write take time */
    {
        static const char *const stages[] = {"reading", "checking", "journal",
                                             "posting"};
        double parts = 0;
        for (size_t i = 0; i < 4; i++) {
            char *lab = pf_xasprintf("stage=\"%s\"", stages[i]);
            ck_assert_msg(
                MOVED("pokerface_relay_stage_seconds_count", lab) ==
                    MOVED("pokerface_relay_latency_seconds_count", ""),
                "%s", lab);
            parts += MOVED("pokerface_relay_stage_seconds_sum", lab);
            if (i == 1 || i == 2)
                ck_assert_msg(MOVED("pokerface_relay_stage_seconds_sum", lab) >
                                  0,
                              "%s", lab);
            free(lab);
        }
        double whole = MOVED("pokerface_relay_latency_seconds_sum", "");
        ck_assert_msg(fabs(parts - whole) < 1e-6, "stages %g, whole %g", parts,
                      whole);
    }
    ck_assert(MOVED("pokerface_plugin_check_seconds_count",
                    "plugin=\"backstage\"") >= 5);
    /* timed to the nanosecond, not with the coarse clock (which mostly
       says 0 for a check of microseconds) */
    ck_assert(MOVED("pokerface_plugin_check_seconds_sum",
                    "plugin=\"backstage\"") > 0);
    ck_assert(PROM(&m1, "pokerface_held", "") == 0);
    ck_assert(PROM(&m1, "pokerface_journal_bytes", "") > 16);
    ck_assert(PROM(&m1, "pokerface_history_bytes", "") > 16);
#undef MOVED
    prom_free(&m0);
    prom_free(&m1);

    /* garbage, over-long headers and a huge body: refused (or the
       connection closed), and the relay goes on */
    const char *garbage = "GARBAGE \x01\x02 nonsense\r\n\r\n";
    st = tu_http_raw(port, garbage, strlen(garbage), &body, 3000);
    ck_assert_msg(st == 0 || (st >= 400 && st < 500), "garbage got %d", st);
    free(body);
    struct pf_buf big = PF_BUF_INIT;
    pf_buf_addstr(&big, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ");
    for (int i = 0; i < 20000; i++)
        pf_buf_addch(&big, 'a');
    pf_buf_addstr(&big, "\r\n\r\n");
    st = tu_http_raw(port, big.data, big.len, &body, 3000);
    ck_assert_msg(st == 0 || (st >= 400 && st < 500), "big headers got %d", st);
    free(body);
    pf_buf_release(&big);
    const char *huge = "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: "
                       "1000000000\r\n\r\nxxxxxxxx";
    ck_assert_int_eq(tu_http_raw(port, huge, strlen(huge), &body, 3000), 413);
    ck_assert_msg(strstr(body, "over 65536 bytes"), "%s", body);
    free(body);
    tc_say(s.aino, s.iroom, ">> Anything else I can help with?");
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.cust, s.croom, "aino: Anything else I can help with?", NULL, WAIT));
    ck_assert_int_eq(tu_http_get(port, "/healthz", &body), 200);
    free(body);

    /* a clean restart (the journal is compacted at start), a kill -9 and
       another start: the history has every hold and decision */
    ck_assert_int_eq(tc_bot_stop(&s.bot), 0);
    bot_restart(&s, 1);
    ck_assert_int_eq(pump_until_logged(&s, "journal compacted", WAIT), 0);
    ck_assert_int_eq(pump_until_logged(&s, "chat ready", WAIT), 0);
    bot_kill(&s);
    out = cli(&s, &st, "queue -c %s/pf.json history", s.tmp);
    ck_assert_msg(st == 0 && strstr(out, "on the terminal") &&
                      strstr(out, "in the chat") && strstr(out, "edited"),
                  "queue history with the bot stopped: %s", out);
    free(out);
    bot_restart(&s, 2);
    ck_assert_int_eq(pump_until_logged(&s, "chat ready", WAIT), 0);

    json_t *all = history_json(&s, "");
    ck_assert_uint_eq(json_array_size(all), 4);
    json_t *h = history_hold(all, a);
    ck_assert_str_eq(json_string_value(json_object_get(h, "outcome")), "sent");
    ck_assert_str_eq(json_string_value(json_object_get(h, "author")),
                     "aino@localhost");
    ck_assert_str_eq(json_string_value(json_object_get(h, "text")),
                     "lol this guy is a total idiot");
    ck_assert_str_eq(decision_str(h, 0, "by"), "aino@localhost");
    ck_assert_str_eq(decision_str(h, 0, "via"), "chat");
    h = history_hold(all, b);
    ck_assert_str_eq(json_string_value(json_object_get(h, "outcome")),
                     "dropped");
    ck_assert_str_eq(decision_str(h, 0, "by"), "sanna@localhost");
    h = history_hold(all, c);
    ck_assert_str_eq(json_string_value(json_object_get(h, "outcome")),
                     "edited");
    ck_assert_str_eq(decision_str(h, 0, "outcome"), "held");
    ck_assert_str_eq(decision_str(h, 1, "outcome"), "sent");
    json_t *v0 = json_object_get(
        json_array_get(json_object_get(h, "decisions"), 0), "verdict");
    json_t *v1 = json_object_get(
        json_array_get(json_object_get(h, "decisions"), 1), "verdict");
    ck_assert_str_eq(json_string_value(json_object_get(v0, "action")), "hold");
    ck_assert_msg(
        strcmp(json_string_value(json_object_get(v1, "action")), "pass") == 0 ||
            strcmp(json_string_value(json_object_get(v1, "action")), "note") ==
                0,
        "the sent edit's verdict");
    ck_assert_str_eq(decision_str(h, 1, "text"),
                     "Hei, soitan teille vielä tänään uudelleen.");
    h = history_hold(all, d);
    ck_assert_str_eq(decision_str(h, 0, "via"), "terminal");
    ck_assert_msg(!strncmp(decision_str(h, 0, "by"), "local:", 6), "%s",
                  decision_str(h, 0, "by"));
    json_decref(all);

    /* the filters */
    json_t *x = history_json(&s, "--author aino");
    ck_assert_uint_eq(json_array_size(x), 4);
    json_decref(x);
    x = history_json(&s, "--author ville");
    ck_assert_uint_eq(json_array_size(x), 0);
    json_decref(x);
    x = history_json(&s, "--label backstage.nosuch");
    ck_assert_uint_eq(json_array_size(x), 0);
    json_decref(x);
    x = history_json(&s, "--label backstage");
    size_t by_plugin = json_array_size(x);
    json_decref(x);
    x = history_json(&s, "--label backstage.derogatory");
    ck_assert_uint_ge(json_array_size(x), 3);
    ck_assert_uint_ge(by_plugin, json_array_size(x));
    json_decref(x);
    x = history_json(&s, "--since 1h");
    ck_assert_uint_eq(json_array_size(x), 4);
    json_decref(x);
    x = history_json(&s, "--since 2099-01-01");
    ck_assert_uint_eq(json_array_size(x), 0);
    json_decref(x);
    out =
        cli(&s, &st, "queue -c %s/pf.json history --since yesterdayish", s.tmp);
    ck_assert_msg(st == 2 && strstr(out, "'yesterdayish' is not a time"), "%s",
                  out);
    free(out);

    /* a changed byte: reported, with where, and the status says so */
    ck_assert_int_eq(tc_bot_stop(&s.bot), 0);
    char *hp = pf_xasprintf("%s/state/history", s.tmp);
    size_t n;
    char *raw = tu_read(hp, &n);
    ck_assert_uint_gt(n, 200);
    raw[n / 2] ^= 0x04;
    tu_write(hp, raw, n);
    free(raw);
    free(hp);
    out = cli(&s, &st, "queue -c %s/pf.json history", s.tmp);
    ck_assert_msg(st == 1 && strstr(out, "is damaged or was changed") &&
                      strstr(out, "fails authentication") &&
                      strstr(out, "at byte"),
                  "a changed history: %d %s", st, out);
    free(out);
    bot_restart(&s, 3);
    ck_assert_int_eq(pump_until_logged(&s, "chat ready", WAIT), 0);
    ck_assert(tc_bot_logged(&s.bot, "it is not pruned until someone has "
                                    "looked at it"));
    scene_close(&s);
}
END_TEST

/*
 * A damaged journal: a record cut short at the end (a crash mid-write)
 * and a flipped bit in the middle are both reported, with where, and the
 * bot starts; the hold whose record survived is still held.
 */
START_TEST(damaged_journal_is_reported_and_survived)
{
    struct scene s;
    scene_open(&s, "damaged", NULL, 500);
    unsigned id = say_held(&s, "lol this guy is a total idiot", "idiot");
    ck_assert_int_eq(tc_bot_stop(&s.bot), 0);
    char *jp = pf_xasprintf("%s/state/journal", s.tmp);
    size_t n;
    char *j = tu_read(jp, &n);
    /* a torn tail: half a record appended */
    ck_assert_uint_gt(n, 100);
    char *torn = pf_xmalloc(n + 40);
    memcpy(torn, j, n);
    memcpy(torn + n, j + 16, 40); /* the start of the first record */
    tu_write(jp, torn, n + 40);
    bot_restart(&s, 1);
    ck_assert_msg(pump_until_logged(&s, "chat ready", WAIT) == 0,
                  "no start after a torn tail; see %s", s.bot.log);
    ck_assert_msg(tc_bot_logged(&s.bot, "was cut short"),
                  "no report of the torn tail; see %s", s.bot.log);
    size_t from = s.aino->n;
    tc_say(s.aino, s.iroom, "!held");
    const struct tc_msg *m =
        tc_wait_msg(s.aino, s.iroom, "aino: #", &from, WAIT);
    ck_assert_msg(m && hold_id(m) == id, "the hold is gone after a torn tail");
    ck_assert_int_eq(tc_bot_stop(&s.bot), 0);

    /* a flipped bit in the first record: reported, skipped, not fatal */
    free(j);
    j = tu_read(jp, &n);
    j[16 + 40] ^= 0x10;
    tu_write(jp, j, n);
    bot_restart(&s, 2);
    ck_assert_msg(pump_until_logged(&s, "chat ready", WAIT) == 0,
                  "no start after a flipped bit; see %s", s.bot.log);
    ck_assert_msg(tc_bot_logged(&s.bot, "damaged record(s)") &&
                      tc_bot_logged(&s.bot, "at byte 16"),
                  "no report of the damaged record; see %s", s.bot.log);
    free(torn);
    free(j);
    free(jp);
    /* the damage is reported as a warning, not an error */
    scene_close(&s);
}
END_TEST

static int
ignore_record(void *ud, int type, uint64_t seq, const void *p, size_t n)
{
    (void)ud, (void)type, (void)seq, (void)p, (void)n;
    return 0;
}

/*
 * A crash between receiving a reply and checking it: the journal has the
 * reply and nothing else. On start it is checked again and relayed; one
 * whose checks already stopped the bot twice is held, unchecked, instead.
 */
START_TEST(a_reply_never_checked_is_checked_after_a_restart)
{
    struct scene s;
    char err[256];
    scene_open(&s, "unchecked", NULL, 500);
    ck_assert_int_eq(tc_bot_stop(&s.bot), 0);
    unsigned char key[PF_KEY_BYTES];
    char *kp = pf_xasprintf("%s/state/journal.key", s.tmp);
    char *jp = pf_xasprintf("%s/state/journal", s.tmp);
    ck_assert_int_eq(pf_key_load(kp, key, err, sizeof(err)), PF_OK);
    struct pf_journal *j;
    ck_assert_int_eq(pf_journal_open(&j, jp, key, ignore_record, NULL, NULL,
                                     err, sizeof(err)),
                     PF_OK);
    static const char *const rec[] = {
        "{\"route\": \"unchecked\", \"id\": \"lost-1\", \"msg\": \"lost-1\", "
        "\"alt\": \"\", \"author\": \"aino@localhost\", \"name\": \"aino\", "
        "\"text\": \"Your parcel is at the pickup point.\", \"ts\": 0, "
        "\"tries\": 0}",
        "{\"route\": \"unchecked\", \"id\": \"lost-2\", \"msg\": \"lost-2\", "
        "\"alt\": \"\", \"author\": \"aino@localhost\", \"name\": \"aino\", "
        "\"text\": \"The invoice is attached.\", \"ts\": 0, \"tries\": 2}",
    };
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pf_journal_append(j, PF_JREC_RECEIVED, rec[i],
                                           strlen(rec[i]), 1, NULL, err,
                                           sizeof(err)),
                         PF_OK);
    pf_journal_close(j);
    bot_restart(&s, 1);
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.cust, s.croom, "aino: Your parcel is at the pickup", NULL, WAIT));
    const struct tc_msg *n = tc_wait_msg(
        s.aino, s.iroom, "checking it stopped pokerface 3 times", NULL, WAIT);
    ck_assert_msg(n && strstr(n->text, "held #"),
                  "the third try is not held unchecked; see %s", s.bot.log);
    assert_none(&s, s.cust, s.croom, "invoice");
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "pickup point"), 1);
    free(kp);
    free(jp);
    scene_close(&s);
}
END_TEST

/* the payload of the last RECEIVED record that holds needle, and of
   the last VERDICT */
struct last_received {
    const char *needle;
    char *payload, *verdict;
};

static int
find_received(void *ud, int type, uint64_t seq, const void *p, size_t n)
{
    struct last_received *l = ud;
    char **to = type == PF_JREC_RECEIVED  ? &l->payload
                : type == PF_JREC_VERDICT ? &l->verdict
                                          : NULL;
    (void)seq;
    if (to && tu_has_bytes(p, n, l->needle)) {
        free(*to);
        *to = pf_xstrndup(p, n);
    }
    return 0;
}

/* a record's JSON is what Jansson prints for it, escapes and all (the
   reply's records are written without a tree, and must read as the
   others do) */
static void
as_jansson_prints(const char *rec)
{
    json_error_t je;
    json_t *o = json_loads(rec, 0, &je);
    ck_assert_msg(o, "a record that is no JSON (%s): %s", je.text, rec);
    char *again = json_dumps(o, JSON_COMPACT);
    ck_assert_str_eq(rec, again);
    free(again);
    json_decref(o);
}

/*
 * A reply is written to the journal before it is posted, and made
 * durable while it goes out. The machine goes down right after the post
 * and the disk never had the records: after the restart the journal is
 * what it was before the reply. The reply is read back from the internal
 * room, checked again, and its post found in the customer room under its
 * key: the customer has it once. The same when the disk kept the reply's
 * RECEIVED record but lost its VERDICT: it is checked again, and found.
 */
START_TEST(a_reply_the_disk_lost_is_not_posted_twice)
{
    struct scene s;
    char err[256];
    scene_open(&s, "lostsync", NULL, 500);
    char *jp = pf_xasprintf("%s/state/journal", s.tmp);
    char *kp = pf_xasprintf("%s/state/journal.key", s.tmp);
    /* something relayed first, so that each room has a resume point */
    tc_say(s.aino, s.iroom, ">> Hello, I will look into this.");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.cust, s.croom, "aino: Hello, I will look", NULL, WAIT));
    tc_pump(&s.w, QUIET);
    static const char *const said[2] = {
        ">> Your parcel left our warehouse today.",
        ">> The tracking code is \"ABC123\" \\ ä 📦, it works from "
        "tomorrow."};
    static const char *const seen[2] = {"Your parcel left", "ABC123"};
    for (int run = 1; run <= 2; run++) {
        size_t n;
        char *before = tu_read(jp, &n);
        tc_say(s.aino, s.iroom, said[run - 1]);
        ck_assert_ptr_nonnull(
            tc_wait_msg(s.cust, s.croom, seen[run - 1], NULL, WAIT));
        bot_kill(&s);
        struct last_received l = {seen[run - 1], NULL, NULL};
        unsigned char key[PF_KEY_BYTES];
        struct pf_journal *j;
        ck_assert_int_eq(pf_key_load(kp, key, err, sizeof(err)), PF_OK);
        ck_assert_int_eq(pf_journal_open(&j, jp, key, find_received, &l, NULL,
                                         err, sizeof(err)),
                         PF_OK);
        pf_journal_close(j);
        ck_assert_msg(l.payload && l.verdict, "the reply was never journaled");
        as_jansson_prints(l.payload);
        as_jansson_prints(l.verdict);
        ck_assert_msg(strstr(l.payload, "\\\"ABC123\\\" \\\\ ä 📦") || run == 1,
                      "the text in %s", l.payload);
        /* the disk lost what was written since */
        tu_write(jp, before, n);
        if (run == 2) { /* ... but for the reply's RECEIVED */
            ck_assert_int_eq(pf_journal_open(&j, jp, key, ignore_record, NULL,
                                             NULL, err, sizeof(err)),
                             PF_OK);
            ck_assert_int_eq(pf_journal_append(j, PF_JREC_RECEIVED, l.payload,
                                               strlen(l.payload), 1, NULL, err,
                                               sizeof(err)),
                             PF_OK);
            pf_journal_close(j);
        }
        free(l.payload);
        free(l.verdict);
        free(before);
        bot_restart(&s, run);
        ck_assert_msg(pump_until_logged(&s, "chat ready", WAIT) == 0,
                      "start %d did not get ready; see %s", run, s.bot.log);
        ck_assert_msg(pump_until_logged(&s,
                                        run == 1 ? "caught up after a reconnect"
                                                 : "checking again a message",
                                        WAIT) == 0,
                      "start %d: the reply was not handled again, so the "
                      "test tested nothing; see %s",
                      run, s.bot.log);
        ck_assert_msg(pump_until_logged(&s, "had arrived", WAIT) == 0,
                      "start %d: the post was not looked for; see %s", run,
                      s.bot.log);
        tc_pump(&s.w, 3 * QUIET);
        ck_assert_msg(tc_count(s.cust, s.croom, seen[run - 1]) == 1,
                      "start %d: the customer has the reply %zu times; see %s",
                      run, tc_count(s.cust, s.croom, seen[run - 1]), s.bot.log);
    }
    /* and the bot still relays */
    tc_say(s.aino, s.iroom, ">> Anything else I can help with?");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.cust, s.croom, "aino: Anything else", NULL, WAIT));
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "Hello, I will look"), 1);
    free(jp);
    free(kp);
    scene_close(&s);
}
END_TEST

/* ---- kill and restart ---- */

/* the marker [Mnnn] in a text, or -1 */
static int
marker(const char *t)
{
    const char *p = strstr(t, "[M");
    return p ? atoi(p + 2) : -1;
}

/*
 * sanna asks for the queue; from the answer, hold number -> marker. 0 if
 * no answer came (the bot was down: asked again later).
 */
static int
read_queue(struct scene *s, unsigned *hold_of, int n)
{
    /* page by page: ten holds an answer */
    for (unsigned page = 1;; page++) {
        size_t from = s->sanna->n;
        char cmd[32];
        snprintf(cmd, sizeof(cmd), "!held %u", page);
        tc_say(s->sanna, s->iroom, cmd);
        const struct tc_msg *m =
            tc_wait_msg(s->sanna, s->iroom, "sanna: ", &from, 3000);
        if (!m)
            return 0;
        for (const char *line = m->text; line && *line;) {
            const char *hash = strchr(line, '#');
            const char *nl = strchr(line, '\n');
            if (hash && (!nl || hash < nl)) {
                unsigned id = (unsigned)strtoul(hash + 1, NULL, 10);
                int k = marker(hash);
                if (k >= 0 && k < n)
                    hold_of[k] = id;
            }
            line = nl ? nl + 1 : NULL;
        }
        if (!strstr(m->text, "for the next"))
            return 1;
    }
}

/*
 * The never-fail-open promise under crashes: aino sends a stream of
 * replies (every third one held) while pokerface is killed with SIGKILL
 * at random points and restarted; sanna approves the held ones with an
 * even number as they show up in the queue. Afterwards, message by
 * message: each passing reply reached the customer exactly once, each
 * approved one exactly once, no other held one at all, and those are all
 * still in the queue. PF_FAULT_SEED repeats a run.
 */
START_TEST(kill_and_restart_loses_and_duplicates_nothing)
{
    enum { N = 200, KILLS = 24 };
    struct scene s;
    unsigned seed = getenv("PF_FAULT_SEED")
                        ? (unsigned)strtoul(getenv("PF_FAULT_SEED"), NULL, 10)
                        : (unsigned)time(NULL);
    srand(seed);
    scene_open(&s, "fault", ", \"hold_ttl_s\": 7200", 200);
    static unsigned hold_of[N], approved[N];
    int kill_at[N] = {0};
    memset(hold_of, 0, sizeof(hold_of));
    memset(approved, 0, sizeof(approved));
    for (int k = 0; k < KILLS;) {
        int i = 5 + rand() % (N - 10);
        if (!kill_at[i])
            kill_at[i] = 1, k++;
    }
    int kills = 0, run = 1;
    for (int i = 0; i < N; i++) {
        char *t = i % 3 == 0
                      ? pf_xasprintf(">> [M%03d] lol this guy is a total "
                                     "idiot, PEBKAC again",
                                     i)
                      : pf_xasprintf(">> [M%03d] Hello! Your order is on its "
                                     "way and arrives on Friday.",
                                     i);
        tc_say(s.aino, s.iroom, t);
        free(t);
        tc_pump(&s.w, 20 + rand() % 40);
        if (kill_at[i]) {
            tc_pump(&s.w, rand() % 400);
            bot_kill(&s);
            kills++;
            bot_restart(&s, ++run);
        }
        if (i % 25 == 24 && read_queue(&s, hold_of, N)) {
            for (int k = 0; k < N; k++)
                if (hold_of[k] && k % 2 == 0 && !approved[k]) {
                    say_cmd(s.sanna, s.iroom, "!send", hold_of[k], NULL);
                    approved[k] = hold_of[k];
                }
        }
    }
    /* the last run: let it settle, then approve what is left to approve */
    ck_assert_msg(pump_until_logged(&s, "chat ready", 3 * WAIT) == 0,
                  "the last run did not get ready; see %s", s.bot.log);
    tc_pump(&s.w, 2000);
    ck_assert(read_queue(&s, hold_of, N));
    for (int k = 0; k < N; k++)
        if (hold_of[k] && k % 2 == 0 && !approved[k]) {
            say_cmd(s.sanna, s.iroom, "!send", hold_of[k], NULL);
            approved[k] = hold_of[k];
        }
    /* wait until everything that should arrive did */
    for (int tries = 0; tries < 3 * WAIT / 100; tries++) {
        int missing = 0;
        for (int k = 0; k < N && !missing; k++) {
            char mk[16];
            snprintf(mk, sizeof(mk), "[M%03d]", k);
            if ((k % 3 || approved[k]) && !tc_count(s.cust, s.croom, mk))
                missing = 1;
        }
        if (!missing)
            break;
        tc_pump(&s.w, 100);
    }
    tc_pump(&s.w, 3 * QUIET);
    memset(hold_of, 0, sizeof(hold_of));
    ck_assert(read_queue(&s, hold_of, N));

    unsigned lost = 0, dup = 0, undecided_sent = 0, vanished = 0, passed = 0,
             held = 0, n_approved = 0;
    for (int k = 0; k < N; k++) {
        char mk[16];
        snprintf(mk, sizeof(mk), "[M%03d]", k);
        size_t c = tc_count(s.cust, s.croom, mk);
        if (k % 3) {
            passed++;
            lost += c == 0;
            dup += c > 1;
        } else if (approved[k]) {
            held++;
            n_approved++;
            lost += c == 0;
            dup += c > 1;
        } else {
            held++;
            undecided_sent += c > 0;
            vanished += hold_of[k] == 0; /* no longer in the queue */
        }
        if (c != (k % 3 || approved[k] ? 1u : 0u))
            fprintf(stderr, "fault: [M%03d] reached the customer %zu times\n",
                    k, c);
    }
    fprintf(stderr,
            "fault (seed %u): %d messages (%u passing, %u held, %u approved), "
            "%d kills: %u lost, %u duplicated, %u sent without a decision, "
            "%u held ones missing from the queue\n",
            seed, N, passed, held, n_approved, kills, lost, dup, undecided_sent,
            vanished);
    ck_assert_int_ge(kills, 20);
    ck_assert_uint_eq(lost, 0);
    ck_assert_uint_eq(dup, 0);
    ck_assert_uint_eq(undecided_sent, 0);
    ck_assert_uint_eq(vanished, 0);
    ck_assert_uint_gt(n_approved, 10);

    /* and the journal never held a message's text in plaintext */
    size_t jn;
    char *jpath = pf_xasprintf("%s/state/journal", s.tmp);
    char *j = tu_read(jpath, &jn);
    ck_assert_uint_gt(jn, 16);
    ck_assert_msg(!tu_has_bytes(j, jn, "total idiot") &&
                      !tu_has_bytes(j, jn, "arrives on Friday") &&
                      !tu_has_bytes(j, jn, s.aino->id),
                  "plaintext in %s", jpath);
    for (int k = 0; k < N; k++) {
        char mk[16];
        snprintf(mk, sizeof(mk), "[M%03d]", k);
        ck_assert_msg(!tu_has_bytes(j, jn, mk), "%s in plaintext in %s", mk,
                      jpath);
    }
    free(j);
    free(jpath);
    scene_close(&s);
}
END_TEST

/* ---- the soak ---- */

/* whether the bot's log has needle after byte *off; *off moves to the
   end of what was read (only new lines are read each time) */
static int
logged_since(const struct tc_bot *b, const char *needle, long *off)
{
    FILE *f = fopen(b->log, "r");
    int found = 0;
    if (!f)
        return 0;
    if (fseek(f, *off, SEEK_SET) == 0) {
        char line[4096];
        long at = *off;
        while (fgets(line, sizeof(line), f)) {
            size_t n = strlen(line);
            if (n && line[n - 1] != '\n')
                break; /* half a line: read it again next time */
            at += (long)n;
            found |= strstr(line, needle) != NULL;
        }
        *off = at;
    }
    fclose(f);
    return found;
}

/* the marker [Snnnn] in a text, or -1 */
static int
soak_marker(const char *t)
{
    const char *p = strstr(t, "[S");
    return p && p[2] >= '0' && p[2] <= '9' ? atoi(p + 2) : -1;
}

/* how many times each marker reached u in room */
static void
soak_counts(struct tc_user *u, const char *room, unsigned *count, int n)
{
    memset(count, 0, (size_t)n * sizeof(*count));
    for (size_t i = 0; i < u->n; i++) {
        const struct tc_msg *m = &u->msgs[i];
        int k = m->own || !m->room || strcmp(m->room, room)
                    ? -1
                    : soak_marker(m->text);
        if (k >= 0 && k < n)
            count[k]++;
    }
}

/* the queue, from the bot's control socket: marker -> hold number;
   returns how many markers are held more than once */
static int
soak_queue(struct scene *s, unsigned *hold_of, int n)
{
    int twice = 0;
    char err[512];
    char *sock = pf_xasprintf("%s/state/control.sock", s->tmp);
    char *a = pf_control_call(sock, "{\"cmd\": \"list\"}", err, sizeof(err));
    ck_assert_msg(a != NULL, "the queue: %s", err);
    json_t *o = json_loads(a, 0, NULL), *h;
    size_t i;
    memset(hold_of, 0, (size_t)n * sizeof(*hold_of));
    json_array_foreach (json_object_get(o, "holds"), i, h) {
        int k = soak_marker(json_string_value(json_object_get(h, "text")));
        if (k < 0 || k >= n)
            continue;
        twice += hold_of[k] != 0;
        hold_of[k] = (unsigned)json_integer_value(json_object_get(h, "hold"));
    }
    json_decref(o);
    free(a);
    free(sock);
    return twice;
}

/* did u get the notice of hold id ("u: held #id,") */
static int
soak_told(struct tc_user *u, const char *room, unsigned id)
{
    char want[64];
    snprintf(want, sizeof(want), "%s: held #%u,", u->name, id);
    for (size_t i = 0; i < u->n; i++)
        if (!u->msgs[i].own && u->msgs[i].room &&
            !strcmp(u->msgs[i].room, room) &&
            !strncmp(u->msgs[i].text, want, strlen(want)))
            return 1;
    return 0;
}

/*
 * A read-back of many pages while the team goes on writing: the bot is
 * killed while 450 replies are written, and started again while aino
 * writes more; on Mattermost the server answers each page of the
 * read-back late, so that live posts come between pages. Every reply
 * reaches the customer once (on today's main, Mattermost asked for the
 * second page after the newest live post, and lost the rest).
 */
START_TEST(a_long_read_back_with_live_replies_loses_nothing)
{
    enum { BACKLOG = 450, LIVE = 40 };
    struct scene s;
    unsigned count[BACKLOG + LIVE];
    scene_open_cuttable(&s, "pages", NULL, 200, 1);
    tc_say(s.aino, s.iroom, ">> [S9999] Hello, one moment please.");
    ck_assert_ptr_nonnull(tc_wait_msg(s.cust, s.croom, "[S9999]", NULL, WAIT));
    bot_kill(&s);
    for (int i = 0; i < BACKLOG; i++) {
        char *t = pf_xasprintf(">> [S%04d] Your order %d is on its way.", i, i);
        tc_say(s.aino, s.iroom, t);
        free(t);
        tc_pump(&s.w, 2);
    }
    tc_pump(&s.w, QUIET);
    bot_restart(&s, 1);
    long off = 0;
    int live = 0;
    for (; live < LIVE && !logged_since(&s.bot, "chat ready", &off); live++) {
        char *t = pf_xasprintf(">> [S%04d] Your order %d is on its way.",
                               BACKLOG + live, BACKLOG + live);
        tc_say(s.ville, s.iroom, t);
        free(t);
        tc_pump(&s.w, 50);
    }
    int missing = 1;
    for (int tries = 0; missing && tries < 3 * WAIT / 100; tries++) {
        tc_pump(&s.w, 100);
        soak_counts(s.cust, s.croom, count, BACKLOG + live);
        missing = 0;
        for (int k = 0; k < BACKLOG + live; k++)
            missing += !count[k];
    }
    tc_pump(&s.w, QUIET);
    soak_counts(s.cust, s.croom, count, BACKLOG + live);
    int lost = 0, dup = 0;
    for (int k = 0; k < BACKLOG + live; k++) {
        lost += !count[k];
        dup += count[k] > 1;
    }
    ck_assert_msg(live > 0, "no reply was written during the read-back");
    ck_assert_msg(!lost && !dup,
                  "%d of %d replies lost, %d duplicated (%d written during "
                  "the read-back); see %s",
                  lost, BACKLOG + live, dup, live, s.bot.log);
    scene_close(&s);
}
END_TEST

/*
 * The soak of issue 12: aino and ville send a burst of replies (one in
 * five held), while the bot's connection is cut again and again, each
 * time a second cut while it is reading back what the first made it
 * miss, and the bot is killed and restarted twice. Then every passing
 * reply reached the customer exactly once, no held one at all, every
 * held one is in the queue and its author was told; and of those a
 * supervisor approves, each arrives once. PF_SOAK_N sets the number of
 * replies (2000), PF_SOAK_SEED repeats a run.
 */
START_TEST(a_burst_with_cuts_and_kills_loses_nothing)
{
    int n = getenv("PF_SOAK_N") ? atoi(getenv("PF_SOAK_N")) : 2000;
    unsigned seed = getenv("PF_SOAK_SEED")
                        ? (unsigned)strtoul(getenv("PF_SOAK_SEED"), NULL, 10)
                        : (unsigned)time(NULL);
    enum { CUTS = 6 };
    const char *readback = g_slack ? "slack: C0INT: reading back what was "
                                     "missed"
                           : g_mm  ? "reading back what was missed"
                                   : "catching up after";
    struct scene s;
    int64_t t0 = pf_now_ns();
    ck_assert_int_ge(n, 50);
    srand(seed);
    scene_open_cuttable(&s, "soak", ", \"hold_ttl_s\": 7200", 150, 1);
    unsigned *count = pf_xcalloc((size_t)n, sizeof(*count));
    unsigned *hold_of = pf_xcalloc((size_t)n, sizeof(*hold_of));
    unsigned *approved = pf_xcalloc((size_t)n, sizeof(*approved));
    long off = 0;
    int cuts = 0, cuts_in_readback = 0, kills = 0, run = 1, armed = 0;
    for (int i = 0; i < n; i++) {
        struct tc_user *who = i % 2 ? s.ville : s.aino;
        char *t = i % 5 == 0
                      ? pf_xasprintf(">> [S%04d] lol this guy is a total "
                                     "idiot, PEBKAC again",
                                     i)
                      : pf_xasprintf(">> [S%04d] Hello! Your order is on its "
                                     "way and arrives on Friday.",
                                     i);
        tc_say(who, s.iroom, t);
        free(t);
        tc_pump(&s.w, 1 + rand() % 3);
        if (i % (n / (CUTS + 1)) == n / (CUTS + 1) / 2) {
            /* a cut; the next one comes while the bot reads back */
            logged_since(&s.bot, readback, &off);
            cut_bot(&s);
            cuts++;
            armed = 1;
        } else if (armed && logged_since(&s.bot, readback, &off)) {
            tc_pump(&s.w, rand() % 20);
            cut_bot(&s);
            cuts++;
            cuts_in_readback++;
            armed = 0;
        }
        if (i == n / 3 || i == 2 * n / 3) {
            bot_kill(&s);
            kills++;
            bot_restart(&s, ++run);
            off = 0;
            armed = 0;
        }
    }
    /* settle: everything passing arrives */
    int missing = n;
    for (int tries = 0; missing && tries < 600; tries++) {
        tc_pump(&s.w, 100);
        emulator_alive(&s);
        soak_counts(s.cust, s.croom, count, n);
        missing = 0;
        for (int k = 0; k < n; k++)
            missing += k % 5 && !count[k];
    }
    tc_pump(&s.w, 2 * QUIET);
    /* the queue; a supervisor approves every other held reply */
    int held_twice = soak_queue(&s, hold_of, n);
    int n_approved = 0;
    for (int k = 0; k < n; k += 10)
        if (hold_of[k]) {
            say_cmd(s.sanna, s.iroom, "!send", hold_of[k], NULL);
            approved[k] = hold_of[k];
            n_approved++;
        }
    for (int tries = 0; tries < 300; tries++) {
        tc_pump(&s.w, 100);
        soak_counts(s.cust, s.croom, count, n);
        int waiting = 0;
        for (int k = 0; k < n; k += 10)
            waiting += approved[k] && !count[k];
        if (!waiting)
            break;
    }
    tc_pump(&s.w, 3 * QUIET);
    soak_counts(s.cust, s.croom, count, n);
    unsigned *left = pf_xcalloc((size_t)n, sizeof(*left));
    soak_queue(&s, left, n);
    int lost = 0, dup = held_twice, undecided_sent = 0, untold = 0,
        vanished = 0, held = 0;
    for (int k = 0; k < n; k++) {
        struct tc_user *who = k % 2 ? s.ville : s.aino;
        if (k % 5) {
            lost += count[k] == 0;
            dup += count[k] > 1;
        } else {
            held++;
            if (!hold_of[k])
                vanished++;
            else if (!soak_told(who, s.iroom, hold_of[k]))
                untold++;
            if (approved[k]) {
                lost += count[k] == 0;
                dup += count[k] > 1;
            } else {
                undecided_sent += count[k] > 0;
                vanished += !left[k] && hold_of[k];
            }
        }
        if (count[k] != (k % 5 == 0 && !approved[k] ? 0u : 1u))
            fprintf(stderr, "soak: [S%04d] reached the customer %u times\n", k,
                    count[k]);
    }
    int secs = (int)((pf_now_ns() - t0) / 1000000000);
    fprintf(stderr,
            "soak on %s (seed %u): %d replies (%d passing, %d held, %d "
            "approved), %d cuts (%d while reading back), %d kills: %d lost, "
            "%d duplicated, %d sent without a decision, %d holds whose author "
            "was not told, %d held ones missing from the queue; %d s\n",
            g_slack ? "slack"
            : g_mm  ? "mattermost"
                    : "prosody",
            seed, n, n - held, held, n_approved, cuts, cuts_in_readback, kills,
            lost, dup, undecided_sent, untold, vanished, secs);
    ck_assert_int_ge(cuts_in_readback, 3);
    ck_assert_int_eq(kills, 2);
    ck_assert_int_eq(lost, 0);
    ck_assert_int_eq(dup, 0);
    ck_assert_int_eq(undecided_sent, 0);
    ck_assert_int_eq(untold, 0);
    ck_assert_int_eq(vanished, 0);
    ck_assert_int_gt(n_approved, n / 20);
    free(count);
    free(hold_of);
    free(approved);
    free(left);
    scene_close(&s);
}
END_TEST

/* u goes away: its connection closes (on XMPP its nick is free then) */
static void
user_away(struct scene *s, struct tc_user *u)
{
    u->c->ops->stop(u->c);
    u->ready = 0;
    tc_pump(&s->w, QUIET);
}

/* u is back, and has read what it missed */
static void
user_back(struct scene *s, struct tc_user *u)
{
    u->c->ops->start(u->c);
    for (int i = 0; i < 3 * WAIT / 50 && !u->ready; i++)
        tc_pump(&s->w, 50);
    ck_assert_msg(u->ready, "%s did not come back", u->name);
}

/* how many of sanna's view of the queue (!held) contain needle; -1 when
   no answer came */
static int
queue_has(struct scene *s, const char *needle)
{
    size_t from = s->sanna->n;
    tc_say(s->sanna, s->iroom, "!held");
    const struct tc_msg *m =
        tc_wait_msg(s->sanna, s->iroom, "sanna: ", &from, WAIT);
    return m ? strstr(m->text, needle) != NULL : -1;
}

/*
 * XMPP only: a room that does not show real JIDs to everyone (the bot
 * made it without configuring it, so Prosody's default, semi-anonymous,
 * holds) keeps no authors in its archive. Live, the bot (its owner) sees
 * who is who and decisions work; what it reads back after a restart
 * decides nothing, whoever holds the nick: a reply is not sent or held,
 * a !send does not release, and the writer is told why. On today's main
 * aino's !send read back released the hold (by her nick).
 */
START_TEST(what_is_read_back_from_a_semi_anonymous_room_decides_nothing)
{
    struct scene s;
    g_xmpp_extra = "\"configure_rooms\": false,";
    scene_open(&s, "semianon", ", \"hold_ttl_s\": 7200", 300);
    g_xmpp_extra = "";
    unsigned a = say_held(&s, "[X1] lol this guy is a total idiot", "idiot");
    tc_say(s.aino, s.iroom, ">> [X0] Your order is on its way.");
    ck_assert_ptr_nonnull(tc_wait_msg(s.cust, s.croom, "[X0]", NULL, WAIT));
    bot_kill(&s);
    say_cmd(s.aino, s.iroom, "!send", a, NULL);
    tc_say(s.aino, s.iroom, ">> [X2] Your refund went out today.");
    tc_pump(&s.w, QUIET);
    bot_restart(&s, 1);
    ck_assert_msg(pump_until_logged(&s, "chat ready", 3 * WAIT) == 0,
                  "no restart; see %s", s.bot.log);
    tc_pump(&s.w, 3 * QUIET);
    ck_assert_msg(tc_count(s.cust, s.croom, "[X1]") == 0,
                  "a !send read back by nick released the hold");
    ck_assert_msg(tc_count(s.cust, s.croom, "[X2]") == 0,
                  "a reply read back by nick was sent");
    ck_assert_ptr_nonnull(tc_wait_msg(s.aino, s.iroom,
                                      "Sorry aino, pokerface cannot tell who "
                                      "wrote",
                                      NULL, WAIT));
    tc_pump(&s.w, QUIET);
    ck_assert_uint_eq(tc_count(s.aino, s.iroom, "cannot tell who wrote"), 2);
    ck_assert_msg(tc_bot_logged(&s.bot, "does not show real JIDs to everyone"),
                  "no warning about the room; see %s", s.bot.log);
    ck_assert_int_eq(queue_has(&s, "[X1]"), 1);
    /* live, she is known again: her !send counts */
    say_cmd(s.aino, s.iroom, "!send", a, NULL);
    ck_assert_ptr_nonnull(tc_wait_msg(s.cust, s.croom, "[X1]", NULL, WAIT));
    scene_close(&s);
}
END_TEST

/*
 * Decisions taken while the bot is down are read back from the room when
 * it is up again and applied once, as decided by whoever wrote them (the
 * room's word for it), whoever holds their nick by then: the author's
 * and a supervisor's are applied; never one by a colleague, by someone
 * who took the author's nick while she was away (XMPP), or by someone
 * who named a supervisor as its author in an element only the server
 * should add (XMPP). Twice: the bot restarted while everyone is there,
 * and the chat server restarted with the bot back before anyone else.
 */
START_TEST(decisions_taken_while_the_bot_is_down_apply_once)
{
    struct scene s;
    scene_open(&s, "down", ", \"hold_ttl_s\": 7200", 300);
    const char *internal[] = {s.iroom, NULL};
    char mk[16];
    for (int round = 1; round <= 2; round++) {
        unsigned id[4];
        for (int k = 0; k < (g_mm ? 3 : 4); k++) {
            char *t = pf_xasprintf("[%c%d] lol this guy is a total idiot",
                                   "ABCD"[k], round);
            id[k] = say_held(&s, t, "idiot");
            free(t);
        }
        bot_kill(&s);
        say_cmd(s.aino, s.iroom, "!send", id[0], NULL);
        say_cmd(s.sanna, s.iroom, "!send", id[1], NULL);
        if (g_mm) {
            say_cmd(s.ville, s.iroom, "!send", id[2], NULL);
        } else {
            /* mallory takes aino's nick while she is away */
            user_away(&s, s.aino);
            struct tc_user *imp = tc_user_new(&s.w, "aino", "mallory@localhost",
                                              "pw-mallory", internal);
            for (int i = 0; i < WAIT / 50 && !imp->ready; i++)
                tc_pump(&s.w, 50);
            ck_assert_msg(imp->ready, "mallory did not get in as aino");
            say_cmd(imp, s.iroom, "!send", id[2], NULL);
            for (int i = 0; i < WAIT / 50 && !tc_own(imp, s.iroom, "!send");
                 i++)
                tc_pump(&s.w, 50);
            ck_assert_ptr_nonnull(tc_own(imp, s.iroom, "!send"));
            user_away(&s, imp);
            user_back(&s, s.aino);
            /* ville writes as if the room had said sanna wrote it */
            char *forged = pf_xasprintf(
                "<message xmlns='jabber:client' type='groupchat' to='%s' "
                "id='forged-%d'><body>!send %u</body><x xmlns='http://"
                "jabber.org/protocol/muc#user'><item affiliation='owner' "
                "role='moderator' jid='sanna@localhost'/></x></message>",
                s.iroom, round, id[3]);
            ck_assert_int_eq(pf_xmpp_send_raw(s.ville->c, forged), 0);
            free(forged);
        }
        tc_pump(&s.w, QUIET); /* archived before the bot reads back */
        if (round == 1) {
            bot_restart(&s, round);
            ck_assert_msg(pump_until_logged(&s, "chat ready", 3 * WAIT) == 0,
                          "no restart; see %s", s.bot.log);
        } else {
            struct tc_user *all[] = {s.aino, s.ville, s.sanna, s.cust,
                                     s.stranger};
            for (size_t i = 0; i < 5; i++)
                user_away(&s, all[i]);
            outage(&s);
            bot_restart(&s, round);
            ck_assert_msg(pump_until_logged(&s, "chat ready", 3 * WAIT) == 0,
                          "no restart; see %s", s.bot.log);
            tc_pump(&s.w, QUIET); /* the bot reads back alone */
            for (size_t i = 0; i < 5; i++)
                user_back(&s, all[i]);
        }
        for (int k = 0; k < 2; k++) {
            snprintf(mk, sizeof(mk), "[%c%d]", "AB"[k], round);
            ck_assert_msg(tc_wait_msg(s.cust, s.croom, mk, NULL, 3 * WAIT),
                          "%s decided by %s while the bot was down was not "
                          "sent; see %s",
                          mk, k ? "a supervisor" : "its author", s.bot.log);
        }
        tc_pump(&s.w, 2 * QUIET);
        for (int k = 0; k < 4; k++) {
            snprintf(mk, sizeof(mk), "[%c%d]", "ABCD"[k], round);
            ck_assert_msg(tc_count(s.cust, s.croom, mk) == (k < 2),
                          "%s reached the customer %zu times", mk,
                          tc_count(s.cust, s.croom, mk));
        }
    }
    for (int round = 1; round <= 2; round++)
        for (int k = 2; k < (g_mm ? 3 : 4); k++) {
            snprintf(mk, sizeof(mk), "[%c%d]", "ABCD"[k], round);
            ck_assert_msg(queue_has(&s, mk) == 1, "%s is no longer held", mk);
        }
    if (!g_mm)
        ck_assert_ptr_nonnull(tc_wait_msg(
            s.ville, s.iroom, "Sorry ville, pokerface cannot tell who wrote",
            NULL, WAIT));
    scene_close(&s);
}
END_TEST

/* ---- plugins that hang or crash ---- */

/* a plugin directory of the test's own: the shipped plugins and hazard */
static char *
hazard_plugin_dir(const char *tmp)
{
    static const char *const shipped[] = {"example", "backstage"};
    char *dir = pf_xasprintf("%s/plugins", tmp);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    for (size_t i = 0; i < PF_ARRAY_LEN(shipped); i++) {
        char *from = pf_xasprintf("%s/plugins/%s.so", tu_build(), shipped[i]);
        char *to = pf_xasprintf("%s/%s.so", dir, shipped[i]);
        tu_copy(from, to, 0644);
        free(from);
        free(to);
    }
    char *from = pf_xasprintf("%s/hazard.so", tu_fixture_dir());
    char *to = pf_xasprintf("%s/hazard.so", dir);
    tu_copy(from, to, 0644);
    free(from);
    free(to);
    return dir;
}

/* aino's reply reaches the customer (the checks work) */
static void
relayed_fine(struct scene *s, const char *text)
{
    char *line = pf_xasprintf(">> %s", text);
    char *seen = pf_xasprintf("aino: %s", text);
    tc_say(s->aino, s->iroom, line);
    ck_assert_msg(tc_wait_msg(s->cust, s->croom, seen, NULL, WAIT) != NULL,
                  "not relayed: %s", text);
    free(line);
    free(seen);
}

/* the hold's notice for text, which must say why */
static unsigned
held_because(struct scene *s, const char *text, const char *why)
{
    size_t from = s->aino->n;
    int64_t t0 = pf_now_us();
    unsigned id = say_held(s, text, NULL);
    const struct tc_msg *n = tc_wait_msg(s->aino, s->iroom, why, &from, WAIT);
    ck_assert_msg(n != NULL, "the notice for '%s' does not say '%s'", text,
                  why);
    ck_assert_msg(strstr(n->text, "'hazard'"),
                  "the notice does not name the plugin: %s", n->text);
    /* stopped at twice its budget (100 ms), not after WAIT */
    ck_assert_msg(pf_now_us() - t0 < 5000000, "the notice took %.1f s",
                  (double)(pf_now_us() - t0) / 1e6);
    return id;
}

/*
 * A plugin whose check() never returns, one that crashes, and one whose
 * observe() never returns: each time the message is held, naming the
 * plugin and what happened, the bot keeps relaying, answering commands
 * and `pokerface status`, and it is the same process throughout; the
 * plugins are started again in a new worker.
 */
START_TEST(a_plugin_that_hangs_or_crashes_does_not_stop_the_bot)
{
    struct scene s;
    char *tmp = tu_tmpdir();
    char *pdir = hazard_plugin_dir(tmp);
    char *extra = pf_xasprintf(", \"plugin_dir\": \"%s\"", pdir);
    g_plugins = "[\"example\", {\"name\": \"hazard\", \"budget_ms\": 100, "
                "\"config\": {\"loop_on\": \"LOOPME\", \"crash_on\": "
                "\"CRASHME\", \"observe_loop_on\": \"STALLME\"}}, "
                "\"backstage\"]";
    scene_open(&s, "hazard", extra, 500);
    g_plugins = NULL;
    pid_t pid = s.bot.pid;
    int st;
    char *out;

    relayed_fine(&s, "Hello! Your order left our warehouse today.");

    /* check() never returns */
    unsigned a = held_because(&s, "Your refund is on its way LOOPME",
                              "did not answer within 200 ms");
    out = cli(&s, &st, "status -c %s/pf.json", s.tmp);
    ck_assert_msg(st == 0 && strstr(out, "held     1 now") &&
                      strstr(out, "checks   in a worker process") &&
                      strstr(out, "1 stopped"),
                  "status: %s", out);
    free(out);
    relayed_fine(&s, "Your parcel arrives on Friday.");

    /* check() crashes */
    held_because(&s, "Thanks for waiting CRASHME", "crashed in check()");
    relayed_fine(&s, "The invoice is attached to this message.");

    /* observe() of backstage talk never returns: the next reply is not
       checked, so held */
    {
        /* aino answers after she has seen ville's remark, so the server
           has sent it to the bot before her reply (under ASan the two
           could reach the bot the other way round) */
        size_t seen = s.aino->n;
        tc_say(s.ville, s.iroom, "STALLME coffee anyone?");
        ck_assert_ptr_nonnull(
            tc_wait_msg(s.aino, s.iroom, "STALLME", &seen, WAIT));
    }
    held_because(&s, "All set, have a nice day!", "observe()");
    relayed_fine(&s, "We have refunded the shipping costs.");

    /* a person still decides: the held one goes when aino says so */
    size_t from = s.aino->n;
    say_cmd(s.aino, s.iroom, "!send", a, NULL);
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "sent to the customer", &from, WAIT));
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.cust, s.croom, "aino: Your refund is on its way", NULL, WAIT));
    /* nothing else that was held reached the customer */
    assert_none(&s, s.cust, s.croom, "CRASHME");
    assert_none(&s, s.cust, s.croom, "All set");
    out = cli(&s, &st, "status -c %s/pf.json", s.tmp);
    ck_assert_msg(st == 0 &&
                      strstr(out, "started again 3 time(s): 2 stopped, 1 "
                                  "crashed"),
                  "status: %s", out);
    free(out);
    /* the same bot all along */
    ck_assert_int_eq(s.bot.pid, pid);
    ck_assert_int_eq(kill(pid, 0), 0);
    ck_assert(tc_bot_logged(&s.bot, "plugin 'hazard' crashed in check()"));
    scene_close(&s);
    free(extra);
    free(pdir);
    tu_rmrf(tmp);
    free(tmp);
}
END_TEST

/* ---- Slack only ---- */

/* a control of the Slack emulator's that must answer ok; its answer */
static char *
emu(struct scene *s, const char *what, const char *json)
{
    char *answer = NULL;
    int rc = tc_emu_control(s->url, what, json, &answer);
    ck_assert_msg(rc == 0, "/emu/%s %s: %s", what, json,
                  answer ? answer : "no answer");
    return answer;
}

/* customer saw each of the markers [Xnnn] (k < n) exactly once */
static void
each_once(struct scene *s, char letter, int n)
{
    for (int tries = 0; tries < 3 * WAIT / 100; tries++) {
        int missing = 0;
        for (int k = 0; k < n && !missing; k++) {
            char mk[16];
            snprintf(mk, sizeof(mk), "[%c%03d]", letter, k);
            missing = !tc_count(s->cust, s->croom, mk);
        }
        if (!missing)
            break;
        tc_pump(&s->w, 100);
    }
    tc_pump(&s->w, 2 * QUIET);
    for (int k = 0; k < n; k++) {
        char mk[16];
        snprintf(mk, sizeof(mk), "[%c%03d]", letter, k);
        ck_assert_msg(tc_count(s->cust, s->croom, mk) == 1,
                      "%s reached the customer %zu times; see %s", mk,
                      tc_count(s->cust, s->croom, mk), s->bot.log);
    }
}

/*
 * The bot is killed after Slack carried out its post and before the
 * answer came (the emulator never answers it), so its journal does not
 * say the post arrived: started again, it finds the post by the key in
 * its metadata and does not post it twice.
 */
START_TEST(slack_a_post_whose_answer_never_came_is_not_sent_twice)
{
    struct scene s;
    scene_open(&s, "noanswer", NULL, 300);
    free(emu(&s, "fault", "{\"kind\": \"no_answer\"}"));
    tc_say(s.aino, s.iroom, ">> [K1] Your refund went out on Monday.");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.cust, s.croom, "aino: [K1] Your refund", NULL, WAIT));
    tc_pump(&s.w, 200);
    bot_kill(&s);
    bot_restart(&s, 1);
    ck_assert_msg(
        pump_until_logged(&s, "had arrived before; not sent again", WAIT) == 0,
        "the post was not looked for; see %s", s.bot.log);
    tc_say(s.aino, s.iroom, ">> [K2] Anything else I can help with?");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.cust, s.croom, "aino: [K2] Anything", NULL, WAIT));
    tc_pump(&s.w, 2 * QUIET);
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "[K1]"), 1);
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "[K2]"), 1);
    scene_close(&s);
}
END_TEST

/*
 * Slack carries out a post and never answers, and the bot is not
 * restarted: after post_timeout_s its outcome is unknown, so it is looked
 * for by its key before it is sent again, and found: sent once.
 */
START_TEST(slack_a_post_never_answered_is_looked_for_not_sent_again)
{
    struct scene s;
    g_conn_extra = ", \"post_timeout_s\": 1";
    scene_open(&s, "noanswer2", NULL, 300);
    free(emu(&s, "fault", "{\"kind\": \"no_answer\"}"));
    tc_say(s.aino, s.iroom, ">> [N1] Your refund went out on Monday.");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.cust, s.croom, "aino: [N1] Your refund", NULL, WAIT));
    ck_assert_msg(pump_until_logged(&s, "no answer about a post", WAIT) == 0,
                  "the post was not given up on; see %s", s.bot.log);
    ck_assert_msg(
        pump_until_logged(&s, "had arrived before; not sent again", WAIT) == 0,
        "the post was not looked for; see %s", s.bot.log);
    tc_say(s.aino, s.iroom, ">> [N2] Anything else I can help with?");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.cust, s.croom, "aino: [N2] Anything", NULL, WAIT));
    tc_pump(&s.w, 2 * QUIET);
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "[N1]"), 1);
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "[N2]"), 1);
    scene_close(&s);
}
END_TEST

/*
 * A burst of replies while the bot's socket is asked to refresh
 * (disconnect refresh_requested), dropped without a word, and warned:
 * each reply reaches the customer once.
 */
START_TEST(slack_refreshes_and_drops_during_a_burst_lose_nothing)
{
    enum { N = 120 };
    struct scene s;
    scene_open(&s, "refresh", NULL, 200);
    for (int i = 0; i < N; i++) {
        char *t = pf_xasprintf(">> [R%03d] Your order is on its way.", i);
        tc_say(i % 2 ? s.ville : s.aino, s.iroom, t);
        free(t);
        tc_pump(&s.w, 5 + rand() % 20);
        if (i == 30)
            free(emu(&s, "fault",
                     "{\"kind\": \"refresh_requested\", \"app\": "
                     "\"UPOKERFACE\"}"));
        if (i == 60)
            free(emu(&s, "fault",
                     "{\"kind\": \"drop\", \"app\": \"UPOKERFACE\"}"));
        if (i == 90)
            free(emu(&s, "fault",
                     "{\"kind\": \"refresh_requested\", \"app\": "
                     "\"UPOKERFACE\"}"));
    }
    each_once(&s, 'R', N);
    ck_assert(tc_bot_logged(&s.bot, "asks for a new connection "
                                    "(refresh_requested)"));
    ck_assert(tc_bot_logged(&s.bot, "the socket closed"));
    scene_close(&s);
}
END_TEST

/* how many lines of the bot's log hold needle */
static unsigned
logged_times(const struct scene *s, const char *needle)
{
    struct pf_buf b = PF_BUF_INIT;
    unsigned n = 0;
    if (pf_read_file(s->bot.log, 64u << 20, &b) == 0)
        for (const char *p = b.data; (p = strstr(p, needle)); p++)
            n++;
    pf_buf_release(&b);
    return n;
}

/*
 * Socket Mode turned off for the app (disconnect link_disabled; every new
 * socket would get the same): the bot says so as an error, does not
 * reconnect, keeps running, and a held reply stays held (nothing reaches
 * the customer).
 */
START_TEST(slack_link_disabled_stops_reconnecting_and_releases_nothing)
{
    struct scene s;
    scene_open(&s, "linkoff", NULL, 200);
    say_held(&s, "lol this guy is a total idiot, PEBKAC again", "idiot");
    unsigned before = logged_times(&s, "slack: connected to");
    ck_assert_uint_ge(before, 1);
    free(emu(&s, "fault",
             "{\"kind\": \"link_disabled\", \"app\": \"UPOKERFACE\"}"));
    ck_assert_msg(pump_until_logged(&s,
                                    "error: slack: Socket Mode was turned off "
                                    "for the app (link_disabled); not "
                                    "reconnecting",
                                    WAIT) == 0,
                  "no error line; see %s", s.bot.log);
    /* ten times the reconnect delay: no new socket */
    tc_pump(&s.w, 2000);
    ck_assert_uint_eq(logged_times(&s, "slack: connected to"), before);
    ck_assert(!tc_bot_logged(&s.bot, "slack: trying again"));
    ck_assert_int_eq(kill(s.bot.pid, 0), 0);
    tc_say(s.aino, s.iroom, ">> [LD1] Your order left today.");
    tc_pump(&s.w, QUIET);
    assert_none(&s, s.cust, s.croom, "PEBKAC");
    assert_none(&s, s.cust, s.croom, "[LD1]");
    scene_close(&s);
}
END_TEST

/* chat.postMessage answers 429 twice: waited out, posted once */
START_TEST(slack_a_rate_limit_is_waited_out)
{
    struct scene s;
    scene_open(&s, "ratelimit", NULL, 300);
    free(emu(&s, "fault",
             "{\"kind\": \"ratelimit\", \"count\": 2, \"retry_after\": 1}"));
    int64_t t0 = pf_now_ns();
    tc_say(s.aino, s.iroom, ">> [Q1] Thanks for waiting!");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.cust, s.croom, "aino: [Q1] Thanks", NULL, WAIT));
    ck_assert_int_ge(pf_now_ns() - t0, 1900LL * 1000000);
    ck_assert(tc_bot_logged(&s.bot, "rate limited on chat.postMessage"));
    tc_pump(&s.w, 2 * QUIET);
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "[Q1]"), 1);
    scene_close(&s);
}
END_TEST

/*
 * The bot's ack is lost: Slack sends the envelope again (retry_attempt
 * 1, the same event_id); and an event comes twice in two envelopes. Each
 * is handled once.
 */
START_TEST(slack_envelopes_sent_again_are_handled_once)
{
    struct scene s;
    scene_open(&s, "retry", NULL, 300);
    free(emu(&s, "fault", "{\"kind\": \"lose_ack\"}"));
    tc_say(s.aino, s.iroom, ">> [E1] Your parcel is at the pickup point.");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.cust, s.croom, "aino: [E1] Your parcel", NULL, WAIT));
    ck_assert_msg(
        pump_until_logged(&s, "sent again (attempt 1, timeout)", WAIT) == 0,
        "no retry came; see %s", s.bot.log);
    free(emu(&s, "fault", "{\"kind\": \"duplicate\"}"));
    tc_say(s.cust, s.croom, "[E2] Kiitos!");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "[customer] asiakas: [E2]", NULL, WAIT));
    tc_pump(&s.w, 2 * QUIET);
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "[E1]"), 1);
    ck_assert_uint_eq(tc_count(s.aino, s.iroom, "[E2]"), 1);
    char *list = emu(&s, "envelopes", "{}");
    ck_assert_msg(strstr(list, "\"retry_attempt\":1,\"delivered\":true,"
                               "\"acked\":true"),
                  "the retry was not acknowledged: %s", list);
    free(list);
    scene_close(&s);
}
END_TEST

/*
 * What a server should never send: not JSON, not an object, an envelope
 * without an id, of an unknown type, an events_api one without an event
 * or with an unknown event, and 10 MB. Each is logged and survived (the
 * big one acknowledged), and the next reply still goes.
 */
START_TEST(slack_malformed_and_huge_envelopes_are_survived)
{
    static const char *const bad[] = {
        "{\"text\": \"not json",
        "[1, 2, 3]",
        "{\"type\": \"events_api\", \"payload\": {}}",
        "{\"envelope_id\": \"x-1\", \"type\": \"carrier_pigeon\"}",
        "{\"envelope_id\": \"x-2\", \"type\": \"events_api\", "
        "\"payload\": {\"event\": 7}}",
        "{\"envelope_id\": \"x-3\", \"type\": \"events_api\", "
        "\"payload\": {\"event_id\": \"Ev0X\", \"event\": {\"type\": "
        "\"app_mention\", \"channel\": 5}}}",
        "{\"envelope_id\": \"x-4\", \"type\": \"events_api\", "
        "\"payload\": {\"event_id\": \"Ev0Y\", \"event\": {\"type\": "
        "\"message\", \"channel\": \"C0INT\", \"user\": [], \"ts\": "
        "\"nope\"}}}",
    };
    struct scene s;
    scene_open(&s, "malformed", NULL, 300);
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        json_t *o = json_pack("{s:s}", "text", bad[i]);
        char *body = json_dumps(o, JSON_COMPACT);
        free(emu(&s, "send", body));
        free(body);
        json_decref(o);
    }
    char *big = emu(&s, "send", "{\"bytes\": 10485760}");
    ck_assert_msg(pump_until_logged(&s,
                                    "over the limit of 1048576, was "
                                    "dropped unread (acknowledged)",
                                    WAIT) == 0,
                  "the big envelope was not logged; see %s", s.bot.log);
    ck_assert(tc_bot_logged(&s.bot, "not a JSON object"));
    ck_assert(tc_bot_logged(&s.bot, "without an envelope_id"));
    ck_assert(tc_bot_logged(&s.bot, "unknown type 'carrier_pigeon'"));
    ck_assert(tc_bot_logged(&s.bot, "events_api envelope without an event"));
    tc_say(s.aino, s.iroom, ">> [B1] Still here and well.");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.cust, s.croom, "aino: [B1] Still here", NULL, WAIT));
    /* the big one was acknowledged, so Slack does not send it again */
    json_t *a = json_loads(big, 0, NULL);
    const char *id = json_string_value(json_object_get(a, "envelope_id"));
    ck_assert_ptr_nonnull(id);
    char *list = emu(&s, "envelopes", "{}");
    char *want = pf_xasprintf(
        "\"envelope_id\":\"%s\",\"type\":\"raw\",\"event_id\":\"\","
        "\"event_type\":\"\",\"retry_attempt\":0,\"delivered\":true,"
        "\"acked\":true",
        id);
    ck_assert_msg(strstr(list, want),
                  "the 10 MB envelope was not acknowledged: %s", list);
    free(want);
    free(list);
    json_decref(a);
    free(big);
    scene_close(&s);
}
END_TEST

/* ---- Slack's buttons and the edit form ---- */

/*
 * The ephemeral message with the buttons of hold id (at edit edits) that
 * user uid is shown, waited for; its ts into ts. 0 when none came.
 */
static int
buttons_of(struct scene *s, const char *uid, unsigned id, unsigned edits,
           char ts[32], int ms)
{
    char want[64];
    snprintf(want, sizeof(want), "\"value\":\"hold:%u:%u\"", id, edits);
    char *body = pf_xasprintf("{\"user\": \"%s\"}", uid);
    int found = 0;
    for (int i = 0; i < ms / 50 && !found; i++) {
        char *a = emu(s, "ephemeral", body);
        json_t *o = json_loads(a, 0, NULL);
        json_t *msgs = json_object_get(o, "messages");
        for (size_t k = 0; k < json_array_size(msgs) && !found; k++) {
            json_t *m = json_array_get(msgs, k);
            char *d = json_dumps(m, JSON_COMPACT);
            if (strstr(d, want)) {
                snprintf(ts, 32, "%s",
                         json_string_value(json_object_get(m, "ts")));
                found = 1;
            }
            free(d);
        }
        json_decref(o);
        free(a);
        if (!found)
            tc_pump(&s->w, 50);
    }
    free(body);
    return found;
}

/* an ephemeral message to uid containing needle came (waited for) */
static int
told_alone(struct scene *s, const char *uid, const char *needle)
{
    char *body = pf_xasprintf("{\"user\": \"%s\"}", uid);
    int found = 0;
    for (int i = 0; i < WAIT / 50 && !found; i++) {
        char *a = emu(s, "ephemeral", body);
        json_t *o = json_loads(a, 0, NULL);
        json_t *msgs = json_object_get(o, "messages");
        for (size_t k = 0; k < json_array_size(msgs); k++) {
            const char *t = json_string_value(
                json_object_get(json_array_get(msgs, k), "text"));
            if (t && strstr(t, needle))
                found = 1;
        }
        json_decref(o);
        free(a);
        if (!found)
            tc_pump(&s->w, 50);
    }
    free(body);
    return found;
}

/* uid clicks the button action of their ephemeral message ts */
static void
click(struct scene *s, const char *uid, const char *ts, const char *action,
      int twice)
{
    char *body = pf_xasprintf("{\"user\": \"%s\", \"channel\": \"C0INT\", "
                              "\"ts\": \"%s\", \"action_id\": \"%s\", "
                              "\"twice\": %s}",
                              uid, ts, action, twice ? "true" : "false");
    free(emu(s, "click", body));
    free(body);
}

/* the edit form open for uid, waited for: its id into vid and its text
   (borrowed from *view, which the caller frees) */
static const char *
form_of(struct scene *s, const char *uid, char vid[32], json_t **view)
{
    char *body = pf_xasprintf("{\"user\": \"%s\"}", uid);
    *view = NULL;
    for (int i = 0; i < WAIT / 50 && !*view; i++) {
        char *a = emu(s, "views", body);
        json_t *o = json_loads(a, 0, NULL);
        json_t *v = json_array_get(json_object_get(o, "views"), 0);
        if (v)
            *view = json_incref(v);
        json_decref(o);
        free(a);
        if (!*view)
            tc_pump(&s->w, 50);
    }
    free(body);
    ck_assert_msg(*view != NULL, "no edit form opened for %s; see %s", uid,
                  s->bot.log);
    snprintf(vid, 32, "%s", json_string_value(json_object_get(*view, "id")));
    json_t *b = json_array_get(json_object_get(*view, "blocks"), 0);
    return json_string_value(
        json_object_get(json_object_get(b, "element"), "initial_value"));
}

/* uid submits form vid with text; the ack's payload (the caller frees
   it), waited for */
static json_t *
submit(struct scene *s, const char *uid, const char *vid, const char *text)
{
    json_t *in = json_pack("{s:s, s:s, s:{s:{s:{s:s, s:s}}}}", "user", uid,
                           "view_id", vid, "values", "pf_text", "pf_text",
                           "type", "plain_text_input", "value", text);
    char *body = json_dumps(in, JSON_COMPACT);
    json_decref(in);
    char *a = emu(s, "submit", body);
    free(body);
    json_t *o = json_loads(a, 0, NULL);
    free(a);
    char *env =
        pf_xstrdup(json_string_value(json_object_get(o, "envelope_id")));
    json_decref(o);
    json_t *resp = NULL;
    int acked = 0;
    for (int i = 0; i < WAIT / 50 && !acked; i++) {
        char *l = emu(s, "envelopes", "{}");
        json_t *all = json_loads(l, 0, NULL);
        json_t *es = json_object_get(all, "envelopes");
        for (size_t k = 0; k < json_array_size(es); k++) {
            json_t *e = json_array_get(es, k);
            if (strcmp(json_string_value(json_object_get(e, "envelope_id")),
                       env) != 0 ||
                !json_is_true(json_object_get(e, "acked")))
                continue;
            acked = 1;
            resp = json_incref(json_object_get(e, "response"));
        }
        json_decref(all);
        free(l);
        if (!acked)
            tc_pump(&s->w, 50);
    }
    ck_assert_msg(acked, "the submission was not acknowledged; see %s",
                  s->bot.log);
    free(env);
    return resp;
}

/*
 * A hold's notice comes with buttons to its author and to the supervisor
 * in the room, not to a colleague. The author's Send as is sends it
 * once, though the click comes twice (the same envelope again) and is
 * clicked once more after.
 */
START_TEST(slack_the_authors_button_sends_once)
{
    struct scene s;
    scene_open(&s, "buttons", NULL, 300);
    unsigned id =
        say_held(&s, "lol this guy is a total idiot, PEBKAC again", "idiot");
    char ts[32], sts[32], vts[32];
    ck_assert_msg(buttons_of(&s, "UAINO", id, 0, ts, WAIT),
                  "aino got no buttons; see %s", s.bot.log);
    ck_assert_msg(buttons_of(&s, "USANNA", id, 0, sts, WAIT),
                  "the supervisor got no buttons; see %s", s.bot.log);
    ck_assert_msg(!buttons_of(&s, "UVILLE", id, 0, vts, QUIET),
                  "a colleague got the author's buttons");
    assert_none(&s, s.cust, s.croom, "PEBKAC");
    size_t from = s.aino->n;
    click(&s, "UAINO", ts, "pf_send", 1);
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "sent to the customer", &from, WAIT));
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.cust, s.croom, "aino: lol this guy is a total idiot", NULL, WAIT));
    ck_assert(pump_until_logged(&s, "came again; handled once", WAIT) == 0);
    /* clicked again: decided already */
    click(&s, "UAINO", ts, "pf_send", 0);
    char *no = pf_xasprintf("No held message #%u", id);
    ck_assert_msg(told_alone(&s, "UAINO", no), "no answer to the late click");
    free(no);
    tc_pump(&s.w, 2 * QUIET);
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "total idiot"), 1);
    ck_assert(tc_bot_logged(&s.bot, "send #"));
    scene_close(&s);
}
END_TEST

/*
 * The same authorization as the commands: a colleague's click (a payload
 * Slack would never build for him: he does not see her buttons; here it
 * comes anyway) is refused and told why, alone; the supervisor's works.
 * A button that names no hold, or a hold not held, and payloads without
 * a user or a value are refused and logged; nothing reaches the customer.
 */
START_TEST(slack_buttons_are_authorized_like_commands)
{
    struct scene s;
    scene_open(&s, "btnauth", NULL, 300);
    unsigned id =
        say_held(&s, "lol this guy is a total idiot, PEBKAC again", "idiot");
    char ts[32];
    ck_assert(buttons_of(&s, "USANNA", id, 0, ts, WAIT));
    /* ville clicks Send as is on a copy of the button */
    char *forged = pf_xasprintf(
        "{\"envelope_id\": \"f-1\", \"type\": \"interactive\", "
        "\"accepts_response_payload\": false, \"payload\": {\"type\": "
        "\"block_actions\", \"user\": {\"id\": \"UVILLE\", \"username\": "
        "\"ville\"}, \"trigger_id\": \"111.222.forged1\", \"container\": "
        "{\"type\": \"message\", \"message_ts\": \"%s\", \"channel_id\": "
        "\"C0INT\", \"is_ephemeral\": true}, \"channel\": {\"id\": "
        "\"C0INT\"}, \"actions\": [{\"action_id\": \"pf_send\", \"type\": "
        "\"button\", \"value\": \"hold:%u:0\", \"action_ts\": "
        "\"1.2\"}]}}",
        ts, id);
    static const char *const bad_values[] = {"hold:999:0", "hold:1x:0",
                                             "drop everything"};
    json_t *o = json_pack("{s:s}", "text", forged);
    free(forged);
    char *b = json_dumps(o, JSON_COMPACT);
    free(emu(&s, "send", b));
    free(b);
    json_decref(o);
    ck_assert_msg(told_alone(&s, "UVILLE", "only aino or a supervisor"),
                  "ville was not told; see %s", s.bot.log);
    char *line = pf_xasprintf("refused the button send on #%u from UVILLE", id);
    ck_assert(tc_bot_logged(&s.bot, line));
    free(line);
    for (size_t i = 0; i < sizeof(bad_values) / sizeof(*bad_values); i++) {
        char *t = pf_xasprintf(
            "{\"envelope_id\": \"f-v%zu\", \"type\": \"interactive\", "
            "\"payload\": {\"type\": \"block_actions\", \"user\": {\"id\": "
            "\"USANNA\"}, \"trigger_id\": \"333.444.bad%zu\", \"container\": "
            "{\"channel_id\": \"C0INT\"}, \"actions\": [{\"action_id\": "
            "\"pf_send\", \"value\": \"%s\"}]}}",
            i, i, bad_values[i]);
        o = json_pack("{s:s}", "text", t);
        b = json_dumps(o, JSON_COMPACT);
        free(emu(&s, "send", b));
        free(b);
        json_decref(o);
        free(t);
    }
    /* malformed: no user; no value; not a button of ours */
    free(emu(&s, "send",
             "{\"text\": \"{\\\"envelope_id\\\": \\\"f-m1\\\", \\\"type\\\": "
             "\\\"interactive\\\", \\\"payload\\\": {\\\"type\\\": "
             "\\\"block_actions\\\", \\\"trigger_id\\\": \\\"9.9.m1\\\", "
             "\\\"container\\\": {\\\"channel_id\\\": \\\"C0INT\\\"}, "
             "\\\"actions\\\": [{\\\"action_id\\\": \\\"pf_send\\\", "
             "\\\"value\\\": \\\"hold:1:0\\\"}]}}\"}"));
    free(emu(&s, "send",
             "{\"text\": \"{\\\"envelope_id\\\": \\\"f-m2\\\", \\\"type\\\": "
             "\\\"interactive\\\", \\\"payload\\\": {\\\"type\\\": "
             "\\\"block_actions\\\", \\\"user\\\": {\\\"id\\\": "
             "\\\"USANNA\\\"}, \\\"trigger_id\\\": \\\"9.9.m2\\\", "
             "\\\"container\\\": {\\\"channel_id\\\": \\\"C0INT\\\"}, "
             "\\\"actions\\\": [{\\\"action_id\\\": \\\"pf_drop\\\"}]}}\"}"));
    free(emu(&s, "send",
             "{\"text\": \"{\\\"envelope_id\\\": \\\"f-m3\\\", \\\"type\\\": "
             "\\\"interactive\\\", \\\"payload\\\": \\\"nope\\\"}\"}"));
    ck_assert_msg(pump_until_logged(&s,
                                    "an interactive envelope without a payload",
                                    WAIT) == 0,
                  "see %s", s.bot.log);
    ck_assert(tc_bot_logged(&s.bot, "'hold:999:0' names no hold") == 0);
    ck_assert(tc_bot_logged(&s.bot, "of #999 from USANNA: no such hold"));
    ck_assert(tc_bot_logged(&s.bot, "'hold:1x:0' names no hold"));
    ck_assert(tc_bot_logged(&s.bot, "'drop everything' names no hold"));
    ck_assert(tc_bot_logged(&s.bot, "without a user, trigger_id, channel or "
                                    "value Slack would give; refused"));
    ck_assert(tc_count(s.aino, s.iroom, "(decided by") == 0);
    /* the supervisor's own button works */
    size_t from = s.aino->n;
    click(&s, "USANNA", ts, "pf_send", 0);
    ck_assert_ptr_nonnull(tc_wait_msg(s.aino, s.iroom,
                                      "sent to the customer (decided by sanna)",
                                      &from, WAIT));
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.cust, s.croom, "aino: lol this guy is a total idiot", NULL, WAIT));
    tc_pump(&s.w, 2 * QUIET);
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "total idiot"), 1);
    scene_close(&s);
}
END_TEST

/* Drop drops: nothing reaches the customer, the hold is gone */
START_TEST(slack_the_drop_button_drops)
{
    struct scene s;
    scene_open(&s, "btndrop", NULL, 300);
    unsigned id =
        say_held(&s, "lol this guy is a total idiot, PEBKAC again", "idiot");
    char ts[32];
    ck_assert(buttons_of(&s, "UAINO", id, 0, ts, WAIT));
    size_t from = s.aino->n;
    click(&s, "UAINO", ts, "pf_drop", 0);
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "dropped; it was not sent", &from, WAIT));
    say_cmd(s.aino, s.iroom, "!send", id, NULL);
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "No held message", &from, WAIT));
    assert_none(&s, s.cust, s.croom, "PEBKAC");
    scene_close(&s);
}
END_TEST

/*
 * Edit opens a form with the held text; its submission is checked again
 * as !edit's: still rude, it stays held (the form stays open and says
 * why; a new notice with new buttons comes, and the old buttons are out
 * of date); fit to send, it is sent once and the form closes.
 */
START_TEST(slack_the_edit_form_is_checked_again)
{
    struct scene s;
    scene_open(&s, "btnedit", NULL, 300);
    unsigned id =
        say_held(&s, "lol this guy is a total idiot, PEBKAC again", "idiot");
    char ts[32], ts2[32], vid[32];
    ck_assert(buttons_of(&s, "UAINO", id, 0, ts, WAIT));
    click(&s, "UAINO", ts, "pf_edit", 0);
    json_t *view;
    const char *shown = form_of(&s, "UAINO", vid, &view);
    ck_assert_str_eq(shown, "lol this guy is a total idiot, PEBKAC again");
    json_decref(view);
    size_t from = s.aino->n;
    json_t *r = submit(&s, "UAINO", vid, "this guy is an idiot, PEBKAC");
    ck_assert_msg(
        r && !strcmp(json_string_value(json_object_get(r, "response_action")),
                     "errors"),
        "a held edit did not keep the form open");
    const char *err = json_string_value(
        json_object_get(json_object_get(r, "errors"), "pf_text"));
    ck_assert_msg(err && strstr(err, "still held"), "the form says: %s",
                  err ? err : "(nothing)");
    json_decref(r);
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "the edit is still held", &from, WAIT));
    ck_assert_msg(buttons_of(&s, "UAINO", id, 1, ts2, WAIT),
                  "no new buttons after the edit");
    assert_none(&s, s.cust, s.croom, "PEBKAC");
    /* the old notice's Send as is: out of date */
    click(&s, "UAINO", ts, "pf_send", 0);
    ck_assert(told_alone(&s, "UAINO", "out of date"));
    /* the form is still open: fixed, it goes */
    r = submit(&s, "UAINO", vid,
               "[F1] Thank you for waiting, it is fixed now.");
    ck_assert_msg(
        r && !strcmp(json_string_value(json_object_get(r, "response_action")),
                     "clear"),
        "the form was not closed");
    json_decref(r);
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.cust, s.croom, "aino: [F1] Thank you for waiting", NULL, WAIT));
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "edited and sent", &from, WAIT));
    tc_pump(&s.w, 2 * QUIET);
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "[F1]"), 1);
    assert_none(&s, s.cust, s.croom, "PEBKAC");
    /* and the commands and reactions still work beside the buttons */
    from = s.aino->n;
    unsigned id2 = say_held(&s, "[F2] what an idiot, honestly", "idiot");
    say_cmd(s.aino, s.iroom, "!drop", id2, NULL);
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "dropped; it was not sent", &from, WAIT));
    scene_close(&s);
}
END_TEST

/* the scene's configuration file, as it is */
static char *
scene_config(struct scene *s)
{
    char *path = pf_xasprintf("%s/pf.json", s->tmp);
    size_t n;
    char *text = tu_read(path, &n);
    free(path);
    return text;
}

static void
scene_write_config(struct scene *s, const char *text)
{
    char *path = pf_xasprintf("%s/pf.json", s->tmp);
    tu_write(path, text, strlen(text));
    free(path);
}

/* SIGHUP, and wait for the log line that says how it went */
static void
reload_bot(struct scene *s, const char *expect)
{
    size_t before = log_count(s, expect);
    ck_assert_int_eq(kill(s->bot.pid, SIGHUP), 0);
    for (int i = 0; i < WAIT / 50 && log_count(s, expect) == before; i++)
        tc_pump(&s->w, 50);
    ck_assert_msg(log_count(s, expect) > before, "no '%s' after SIGHUP; see %s",
                  expect, s->bot.log);
}

/*
 * SIGHUP loads the plugins again, with the team's lexicon as it is now:
 * a word added to it holds from then on, without a reconnect, and a
 * message held before is still held and can be sent.
 */
START_TEST(a_reload_takes_a_new_lexicon_and_keeps_the_holds)
{
    struct scene s;
    char *lexdir = tu_tmpdir();
    char *lex = pf_path_join(lexdir, "team.txt");
    tu_write(lex, "# the team's words\n", 19);
    char *plugins =
        pf_xasprintf("[\"example\", {\"name\": \"backstage\", \"config\": "
                     "{\"extra_lexicons\": [\"%s\"]}}]",
                     lex);
    g_plugins = plugins;
    char *pdir = hazard_plugin_dir(lexdir);
    char *extra = pf_xasprintf(", \"plugin_dir\": \"%s\"", pdir);
    scene_open(&s, "reload", extra, 500);
    unsigned id =
        say_held(&s, "lol this guy is a total idiot, PEBKAC again", "idiot");
    tc_say(s.aino, s.iroom,
           ">> Zorblax: your parcel left the warehouse today.");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.cust, s.croom, "aino: Zorblax: your parcel", NULL, WAIT));

    const char *words = "slang 6.0 word zorblax\n";
    tu_write(lex, words, strlen(words));
    reload_bot(&s, "reloaded: 1 route(s), 2 plugin(s)");
    unsigned id2 =
        say_held(&s, "Zorblax: your refund went out on Monday.", "Zorblax");
    ck_assert_uint_ne(id2, id);
    assert_none(&s, s.cust, s.croom, "refund went out");
    /* the connection stayed: connected once, joined once */
    ck_assert_uint_eq(log_count(&s, "connected to"), 1);
    ck_assert_uint_eq(log_count(&s, "chat ready"), 1);
    /* the hold from before the reload is still there */
    size_t from = s.aino->n;
    say_cmd(s.aino, s.iroom, "!send", id, NULL);
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "sent to the customer", &from, WAIT));
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.cust, s.croom, "aino: lol this guy is a total idiot", NULL, WAIT));
    ck_assert(!tc_bot_logged(&s.bot, "reload refused"));
    ck_assert(!tc_bot_logged(&s.bot, "was replaced since it was loaded"));

    /* a plugin's file replaced: its new code takes a restart, and the
       log says so */
    char *so = pf_xasprintf("%s/plugins/example.so", tu_build());
    char *tmp = pf_xasprintf("%s/example.so.new", pdir);
    char *to = pf_xasprintf("%s/example.so", pdir);
    tu_copy(so, tmp, 0644);
    ck_assert_int_eq(rename(tmp, to), 0);
    reload_bot(&s, "reloaded: 1 route(s), 2 plugin(s)");
    ck_assert_msg(tc_bot_logged(&s.bot, "example.so' was replaced since it "
                                        "was loaded: its new code needs a "
                                        "restart"),
                  "see %s", s.bot.log);
    ck_assert(!tc_bot_logged(&s.bot, "backstage.so' was replaced"));
    free(so);
    free(tmp);
    free(to);
    scene_close(&s);
    tu_rmrf(lexdir);
    free(lexdir);
    free(lex);
    free(plugins);
    free(pdir);
    free(extra);
}
END_TEST

/*
 * A configuration that does not load is refused on SIGHUP, with its
 * error in the log, and the bot goes on as it was; settings that need a
 * restart keep their value, and the log says so.
 */
START_TEST(a_broken_configuration_is_refused_on_reload)
{
    struct scene s;
    scene_open(&s, "badreload", NULL, 500);
    char *good = scene_config(&s);
    unsigned id = say_held(&s, "what an idiot, PEBKAC again", "idiot");

    scene_write_config(&s, "{\"plugins\": [\"example\",");
    reload_bot(&s, "reload refused: configuration error");
    ck_assert(tc_bot_logged(&s.bot, "pf.json"));
    /* a plugin that is not there: the new engine is never made */
    char *bad = pf_xasprintf("%s", good);
    char *p = strstr(bad, "\"backstage\"");
    ck_assert_ptr_nonnull(p);
    memcpy(p, "\"bakstage\" ", 11);
    scene_write_config(&s, bad);
    reload_bot(&s, "unknown plugin 'bakstage'");
    ck_assert_uint_eq(log_count(&s, "reload refused"), 2);
    ck_assert_uint_eq(log_count(&s, "reloaded:"), 0);

    /* still relaying, still holding, on the configuration it had */
    tc_say(s.aino, s.iroom, ">> Your order ships today.");
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.cust, s.croom, "aino: Your order ships today", NULL, WAIT));
    unsigned id2 = say_held(&s, "this guy is an idiot", "idiot");
    ck_assert_uint_ne(id2, id);

    /* the connector's account and the state directory need a restart */
    char *moved = pf_xasprintf("%s", good);
    p = strstr(moved, "\"nick\": \"pokerface\"");
    ck_assert_ptr_nonnull(p);
    memcpy(p, "\"nick\": \"pokerfake\"", 19);
    p = strstr(moved, "\"state_dir\": \"state\"");
    ck_assert_ptr_nonnull(p);
    memcpy(p, "\"state_dir\": \"stat2\"", 20);
    scene_write_config(&s, moved);
    reload_bot(&s, "reloaded:");
    ck_assert(tc_bot_logged(&s.bot, "\"connector\" changed: needs a restart"));
    ck_assert(tc_bot_logged(&s.bot, "\"state_dir\" changed: needs a restart"));
    tc_say(s.aino, s.iroom, ">> It arrives on Friday.");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.cust, s.croom, "aino: It arrives on Friday", NULL, WAIT));
    ck_assert_uint_eq(tc_count(s.aino, s.iroom, "pokerfake"), 0);
    ck_assert_uint_eq(log_count(&s, "connected to"), 1);
    /* both holds decided on the configuration after the reloads */
    size_t from = s.aino->n;
    say_cmd(s.aino, s.iroom, "!drop", id, NULL);
    ck_assert_ptr_nonnull(tc_wait_msg(s.aino, s.iroom, "dropped", &from, WAIT));
    say_cmd(s.aino, s.iroom, "!send", id2, NULL);
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "sent to the customer", &from, WAIT));
    scene_write_config(&s, good);
    free(good);
    free(bad);
    free(moved);
    scene_close(&s);
}
END_TEST

/*
 * A route in observe mode (a trial) relays what would be held, and tells
 * its author privately what would have been held and why; status counts
 * it. What the host itself holds (text that would show the customer
 * something else than was checked) stays held. A bot killed around such
 * a reply relays it exactly once.
 */
START_TEST(observe_mode_relays_and_tells_the_author)
{
    struct scene s;
    g_route_extra = ", \"mode\": \"observe\"";
    scene_open(&s, "observe", NULL, 500);
    size_t from = 0;
    tc_say(s.aino, s.iroom, ">> lol this guy is a total idiot, PEBKAC again");
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.cust, s.croom, "aino: lol this guy is a total idiot", NULL, WAIT));
    const struct tc_msg *m = tc_wait_msg(
        s.aino, NULL, "Trial run: your reply was sent", &from, WAIT);
    ck_assert_msg(m != NULL, "aino was not told privately");
    ck_assert_msg(strstr(m->text, "\"idiot\"") && strstr(m->text, "Why: "),
                  "the trial notice does not say why: %s", m->text);
    /* a clean reply: relayed, nothing said to its author */
    tc_say(s.aino, s.iroom, ">> Your refund went out on Monday.");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.cust, s.croom, "aino: Your refund went out", NULL, WAIT));
    /* in Finnish too */
    tc_say(s.aino, s.iroom, ">> taas tää idiootti asiakas, huoh");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.cust, s.croom, "aino: taas tää idiootti", NULL, WAIT));
    m = tc_wait_msg(s.aino, NULL, "Kokeilujakso: vastauksesi lähetettiin",
                    &from, WAIT);
    ck_assert_msg(m != NULL, "no trial notice in Finnish");
    /* never a hold notice, and nothing of it in the customer's room */
    tc_pump(&s.w, QUIET);
    ck_assert_uint_eq(tc_count(s.aino, s.iroom, "held #"), 0);
    ck_assert_uint_eq(tc_count(s.aino, NULL, "Trial run"), 1);
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "Trial run"), 0);
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "Kokeilujakso"), 0);
    ck_assert(tc_bot_logged(&s.bot, "observe mode: would have been held"));

    /* what the host holds is held even here */
    unsigned id = say_held(&s,
                           "Your order \xe2\x80\xae"
                           "detpmats"
                           "\xe2\x80\xac is on its way",
                           NULL);
    ck_assert_uint_gt(id, 0);
    ck_assert_uint_eq(tc_count(s.aino, s.iroom, "direction controls"), 1);
    assert_none(&s, s.cust, s.croom, "on its way");

    int st;
    char *sock = pf_xasprintf("%s/state/control.sock", s.tmp);
    char *out = cli(&s, &st, "status --socket %s --json", sock);
    ck_assert_int_eq(st, 0);
    json_t *o = json_loads(out, 0, NULL);
    ck_assert_ptr_nonnull(o);
    json_t *c = json_object_get(o, "counts");
    ck_assert_int_eq(json_integer_value(json_object_get(c, "observed")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "relayed")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "held")), 1);
    ck_assert_str_eq(
        json_string_value(json_object_get(
            json_array_get(json_object_get(o, "routes"), 0), "mode")),
        "observe");
    json_decref(o);
    free(out);
    out = cli(&s, &st, "status --socket %s", sock);
    ck_assert_msg(strstr(out, "observe mode") &&
                      strstr(out, "observed 2 relayed that would have been "
                                  "held"),
                  "%s", out);
    free(out);
    free(sock);

    /* killed around such a reply: before it was read, once it was
       relayed (journaled, its post queued), and once it arrived; each
       reaches the customer once */
    static const char *const crash[] = {
        ">> ugh this idiot again, first crash",
        ">> what a moron, second crash",
        ">> PEBKAC as usual, third crash",
    };
    for (int i = 0; i < 3; i++) {
        size_t before = log_count(&s, "would have been held");
        tc_say(s.aino, s.iroom, crash[i]);
        if (i == 1)
            for (int k = 0; k < WAIT / 5 &&
                            log_count(&s, "would have been held") == before;
                 k++)
                tc_pump(&s.w, 5);
        if (i == 2)
            ck_assert_ptr_nonnull(
                tc_wait_msg(s.cust, s.croom, crash[i] + 3, NULL, WAIT));
        bot_kill(&s);
        if (i == 1)
            ck_assert_msg(log_count(&s, "would have been held") > before,
                          "the bot did not relay it before it was killed");
        bot_restart(&s, i + 1);
        ck_assert_msg(wait_logged(&s.bot, "chat ready", WAIT) == 0,
                      "pokerface did not come back; see %s", s.bot.log);
    }
    for (int i = 0; i < 3; i++)
        ck_assert_ptr_nonnull(
            tc_wait_msg(s.cust, s.croom, crash[i] + 3, NULL, 2 * WAIT));
    tc_pump(&s.w, 2 * QUIET);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(tc_count(s.cust, s.croom, crash[i] + 3) == 1,
                      "'%s' reached the customer %zu times", crash[i] + 3,
                      tc_count(s.cust, s.croom, crash[i] + 3));
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "lol this guy"), 1);
    /* and the held one is still held */
    from = s.aino->n;
    say_cmd(s.aino, s.iroom, "!drop", id, NULL);
    ck_assert_ptr_nonnull(tc_wait_msg(s.aino, s.iroom, "dropped", &from, WAIT));
    scene_close(&s);
}
END_TEST

/* Under systemd (Type=notify): READY=1 once connected, joined and caught
   up, not when the connection opens; WATCHDOG=1 from the event loop at
   half of WATCHDOG_USEC; STOPPING=1 on SIGTERM. The password comes as a
   credential (LoadCredential=). */
static void
notify_collect(int fd, struct pf_buf *got, int ms)
{
    char buf[512];
    for (int i = 0; i < ms / 20; i++) {
        ssize_t n;
        while ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
            buf[n] = '\0';
            pf_buf_add(got, buf, (size_t)n);
            pf_buf_addch(got, '\n');
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static size_t
count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

START_TEST(systemd_hears_ready_and_the_watchdog)
{
    struct scene s;
    char *dir = tu_tmpdir();
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    ck_assert_int_lt(
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", dir),
        (int)sizeof(sa.sun_path));
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    char *creds = pf_xasprintf("%s/creds", dir);
    char *pw = pf_xasprintf("%s/xmpp-password", creds);
    ck_assert_int_eq(mkdir(creds, 0700), 0);
    tu_write(pw, "pw-bot\n", 7);
    ck_assert_int_eq(chmod(pw, 0400), 0);
    setenv("NOTIFY_SOCKET", sa.sun_path, 1);
    setenv("WATCHDOG_USEC", "400000", 1);
    setenv("CREDENTIALS_DIRECTORY", creds, 1);
    g_xmpp_secret = "\"password_credential\": \"xmpp-password\"";
    scene_open(&s, "notify", NULL, 500);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("CREDENTIALS_DIRECTORY");
    free(pw);
    free(creds);
    struct pf_buf got = PF_BUF_INIT;
    notify_collect(fd, &got, 1500);
    pf_buf_addstr(&got, "--");
    const char *ready = strstr(got.data, "READY=1");
    ck_assert_msg(ready, "no READY=1; systemd heard: %s", got.data);
    ck_assert_uint_eq(count_of(got.data, "READY=1"), 1);
    const char *conn = strstr(got.data, "STATUS=connected, joining");
    ck_assert_msg(conn && conn < ready,
                  "READY=1 came before the rooms were joined and read "
                  "back: %s",
                  got.data);
    /* every 200 ms: seven in 1.5 s, at least three however slow */
    ck_assert_msg(count_of(got.data, "WATCHDOG=1") >= 3,
                  "too few watchdog pings: %s", got.data);
    /* the relay works as usual */
    tc_say(s.aino, s.iroom, ">> Your order ships today.");
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.cust, s.croom, "aino: Your order ships today.", NULL, WAIT));
    /* systemctl reload: RELOADING=1, then READY=1 once it is done */
    pf_buf_release(&got);
    ck_assert_int_eq(kill(s.bot.pid, SIGHUP), 0);
    notify_collect(fd, &got, 1500);
    pf_buf_addstr(&got, "--");
    const char *rl = strstr(got.data, "RELOADING=1\nMONOTONIC_USEC=");
    const char *again = strstr(got.data, "READY=1\nSTATUS=reloaded");
    ck_assert_msg(rl && again && rl < again,
                  "no RELOADING=1 then READY=1 on SIGHUP: %s", got.data);
    scene_close(&s);
    pf_buf_release(&got);
    notify_collect(fd, &got, 100);
    pf_buf_addstr(&got, "--");
    ck_assert_msg(strstr(got.data, "STOPPING=1"), "no STOPPING=1: %s",
                  got.data);
    pf_buf_release(&got);
    close(fd);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

/*
 * Slack's conversations.history holds no thread replies, and shows a
 * thread's first message by its own, older ts. A customer's question is
 * mirrored (the two threads are paired) and both rooms go on at the top,
 * so that the threads' first messages are older than the bot's resume
 * points; the bot is stopped, and aino answers in the mirror's thread and
 * the customer in hers, and Slack gives up on delivering those events.
 * Started again, the bot reads both threads back:
 * each reply reaches its partner thread once, and two more starts with
 * nothing said between relay nothing again.
 */
START_TEST(slack_replies_in_old_threads_while_stopped_are_read_back)
{
    struct scene s;
    char mirror[64], cthread[64], id[64], th[64];
    scene_open(&s, "oldthreads", NULL, 500);
    tc_say(s.cust, s.croom, "Hei, missä tilaukseni 4411 on?");
    ids_of(tc_wait_msg(s.aino, s.iroom, "[customer] asiakas: Hei, missä", NULL,
                       WAIT),
           "mirror", mirror, th);
    ids_of(tc_own(s.cust, s.croom, "tilaukseni 4411"), "customer's post",
           cthread, th);
    tc_say(s.cust, s.croom, "Ja toinen asia: osoitteeni muuttui.");
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.aino, s.iroom, "[customer] asiakas: Ja toinen", NULL, WAIT));
    tc_say(s.aino, s.iroom, "katson molemmat");
    tc_pump(&s.w, QUIET);
    ck_assert_int_eq(tc_bot_stop(&s.bot), 0);
    /* and Slack gives up delivering the bot's events meanwhile: what
       follows comes from the read-back, not from envelopes kept for it */
    free(emu(&s, "fault",
             "{\"kind\": \"outage\", \"app\": "
             "\"UPOKERFACE\"}"));

    tc_say_in(s.aino, s.iroom, mirror, ">> [T1] Tilauksesi lähti tänään.");
    tc_say_in(s.cust, s.croom, cthread, "[T2] Kiitos! Entä lasku?");
    tc_pump(&s.w, QUIET);
    for (int run = 1; run <= 3; run++) {
        bot_restart(&s, run);
        ck_assert_msg(pump_until_logged(&s, "chat ready", WAIT) == 0,
                      "start %d did not get ready; see %s", run, s.bot.log);
        if (run == 1) {
            ids_of(tc_wait_msg(s.cust, s.croom, "aino: [T1]", NULL, WAIT),
                   "the reply in an old thread", id, th);
            ck_assert_str_eq(th, cthread);
            ids_of(tc_wait_msg(s.aino, s.iroom, "[customer] asiakas: [T2]",
                               NULL, WAIT),
                   "the mirror of the customer's answer", id, th);
            ck_assert_str_eq(th, mirror);
        }
        tc_pump(&s.w, 2 * QUIET);
        if (run < 3)
            ck_assert_int_eq(tc_bot_stop(&s.bot), 0);
    }
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "[T1]"), 1);
    ck_assert_uint_eq(tc_count(s.aino, s.iroom, "[T2]"), 1);
    ck_assert_uint_eq(tc_count(s.aino, s.iroom, "tilaukseni 4411"), 1);
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "aino: "), 1);
    scene_close(&s);
}
END_TEST

/*
 * The same across an outage (Slack drops the bot's socket and the events
 * of meanwhile are lost): the threads were paired but had no reply yet,
 * so the bot learnt of them only from the pairing. aino's answer in the
 * mirror's thread and the customer's in hers, written while the bot is
 * away, come from the read-back after the reconnect, once each; a restart
 * after that relays nothing again.
 */
START_TEST(slack_replies_in_old_threads_during_an_outage_are_read_back)
{
    struct scene s;
    char mirror[64], cthread[64], id[64], th[64];
    scene_open(&s, "oldthreads-outage", NULL, 3000);
    tc_say(s.cust, s.croom, "Hei, missä tilaukseni 5522 on?");
    ids_of(tc_wait_msg(s.aino, s.iroom, "[customer] asiakas: Hei, missä", NULL,
                       WAIT),
           "mirror", mirror, th);
    ids_of(tc_own(s.cust, s.croom, "tilaukseni 5522"), "customer's post",
           cthread, th);
    tc_say(s.cust, s.croom, "Ja toinen asia: osoitteeni muuttui.");
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.aino, s.iroom, "[customer] asiakas: Ja toinen", NULL, WAIT));
    tc_say(s.aino, s.iroom, "katson molemmat");
    tc_pump(&s.w, QUIET);

    outage(&s);
    ck_assert_msg(pump_until_logged(&s, "reconnecting", WAIT) == 0,
                  "the bot did not notice the connection go");
    for (int i = 0; i < WAIT / 50 && !(s.aino->ready && s.cust->ready); i++)
        tc_pump(&s.w, 50);
    ck_assert(s.aino->ready && s.cust->ready);
    tc_say_in(s.aino, s.iroom, mirror, ">> [T3] Tilauksesi lähti tänään.");
    tc_say_in(s.cust, s.croom, cthread, "[T4] Kiitos! Entä lasku?");
    ids_of(tc_wait_msg(s.cust, s.croom, "aino: [T3]", NULL, 3 * WAIT),
           "the reply in an old thread", id, th);
    ck_assert_str_eq(th, cthread);
    ids_of(tc_wait_msg(s.aino, s.iroom, "[customer] asiakas: [T4]", NULL, WAIT),
           "the mirror of the customer's answer", id, th);
    ck_assert_str_eq(th, mirror);
    ck_assert_msg(tc_bot_logged(&s.bot, "caught up after a reconnect"),
                  "relayed live, not from the catch-up: the test did not "
                  "test the outage");
    tc_pump(&s.w, QUIET);
    ck_assert_int_eq(tc_bot_stop(&s.bot), 0);
    bot_restart(&s, 1);
    ck_assert_msg(pump_until_logged(&s, "chat ready", WAIT) == 0,
                  "the restart did not get ready; see %s", s.bot.log);
    tc_pump(&s.w, 2 * QUIET);
    ck_assert_uint_eq(tc_count(s.cust, s.croom, "[T3]"), 1);
    ck_assert_uint_eq(tc_count(s.aino, s.iroom, "[T4]"), 1);
    ck_assert_uint_eq(tc_count(s.aino, s.iroom, "tilaukseni 5522"), 1);
    scene_close(&s);
}
END_TEST

/*
 * A followed thread whose first message is deleted while the bot is
 * stopped is gone (conversations.replies: thread_not_found): it is no
 * longer read back, and the read-back is whole all the same, so the
 * resume point moves on and the next start hands nothing twice.
 */
START_TEST(slack_a_followed_thread_that_is_gone_stops_nothing)
{
    struct scene s;
    char cthread[64], th[64];
    scene_open(&s, "gonethread", NULL, 500);
    tc_say(s.cust, s.croom, "Hei, missä tilaukseni 6633 on?");
    ck_assert_ptr_nonnull(tc_wait_msg(
        s.aino, s.iroom, "[customer] asiakas: Hei, missä", NULL, WAIT));
    ids_of(tc_own(s.cust, s.croom, "tilaukseni 6633"), "customer's post",
           cthread, th);
    tc_pump(&s.w, QUIET);
    ck_assert_int_eq(tc_bot_stop(&s.bot), 0);
    free(emu(&s, "fault", "{\"kind\": \"outage\", \"app\": \"UPOKERFACE\"}"));
    tc_delete(s.cust, s.croom, cthread);
    tc_pump(&s.w, QUIET);
    bot_restart(&s, 1);
    ck_assert_msg(pump_until_logged(&s, "chat ready", WAIT) == 0,
                  "the start did not get ready; see %s", s.bot.log);
    ck_assert_msg(tc_bot_logged(&s.bot, "is gone; no longer read back"),
                  "the gone thread was not noticed; see %s", s.bot.log);
    tc_say(s.cust, s.croom, "[G1] Uusi kysymys laskusta.");
    ck_assert_ptr_nonnull(
        tc_wait_msg(s.aino, s.iroom, "[customer] asiakas: [G1]", NULL, WAIT));
    tc_pump(&s.w, QUIET);
    ck_assert_int_eq(tc_bot_stop(&s.bot), 0);
    bot_restart(&s, 2);
    ck_assert_msg(pump_until_logged(&s, "chat ready", WAIT) == 0,
                  "the second start did not get ready; see %s", s.bot.log);
    tc_pump(&s.w, 2 * QUIET);
    ck_assert_uint_eq(tc_count(s.aino, s.iroom, "[G1]"), 1);
    ck_assert_msg(!tc_bot_logged(&s.bot, "could not be read back"),
                  "a read-back was not whole; see %s", s.bot.log);
    scene_close(&s);
}
END_TEST

/* the scenarios written once, for every backend (those that restart the
   server too: tests/prosody.sh starts Prosody in a session of its own, so
   the server a test restarted outlives the test's process group, which
   Check kills when the test ends) */
static void
add_shared_scenarios(TCase *tc)
{
    tcase_add_test(tc, clean_reply_is_relayed_and_customer_mirrored);
    tcase_add_test(tc, hold_then_send);
    tcase_add_test(tc, hold_then_edit_is_checked_again);
    tcase_add_test(tc, hold_then_drop);
    tcase_add_test(tc, an_echo_of_backstage_talk_is_held);
    tcase_add_test(tc, reactions_on_the_notice_decide);
    tcase_add_test(tc, an_undecided_hold_expires_unsent);
    tcase_add_test(tc, only_the_author_or_a_supervisor_decides);
    tcase_add_test(tc, outsiders_get_one_neutral_answer);
    tcase_add_test(tc, a_reply_too_long_to_post_is_not_lost);
    tcase_add_test(tc, a_long_queue_is_listed_in_pages);
    tcase_add_test(tc, a_block_needs_a_supervisor_to_send);
    tcase_add_test(tc, deleting_a_reply_deletes_the_relayed_copy);
    tcase_add_test(tc, customer_room_is_never_a_command);
    tcase_add_test(tc, commands_help_why_and_mistakes);
    tcase_add_test(tc, customer_text_cannot_pass_for_the_bot);
    tcase_add_test(tc, what_was_read_back_is_handled_once_across_restarts);
    tcase_add_test(tc, decisions_taken_while_the_bot_is_down_apply_once);
    tcase_add_test(tc, a_long_read_back_with_live_replies_loses_nothing);
    tcase_add_test(tc, a_reply_the_disk_lost_is_not_posted_twice);
    tcase_add_test(tc, restart_mid_conversation_relays_once);
}

Suite *
suite_relay(void)
{
    Suite *s = suite_create("relay");
    TCase *tc = tcase_create("prosody");
    tcase_add_unchecked_fixture(tc, prosody_up, prosody_down);
    tcase_set_timeout(tc, 120);
    add_shared_scenarios(tc);
    tcase_add_test(tc, queue_from_the_command_line);
    tcase_add_test(tc, damaged_journal_is_reported_and_survived);
    tcase_add_test(tc, a_reply_never_checked_is_checked_after_a_restart);
    tcase_add_test(tc, a_plugin_that_hangs_or_crashes_does_not_stop_the_bot);
    tcase_add_test(
        tc, what_is_read_back_from_a_semi_anonymous_room_decides_nothing);
    tcase_add_test(tc, forged_answers_change_nothing);
    tcase_add_test(tc, rooms_the_bot_creates_are_locked);
    tcase_add_test(tc, a_reply_too_big_to_read_is_not_lost);
    tcase_add_test(tc, a_post_the_server_refuses_is_given_up);
    tcase_add_test(tc, a_customer_in_the_internal_room_is_named);
    tcase_add_test(tc, a_name_is_checked_as_the_customer_reads_it);
    suite_add_tcase(s, tc);
    /* SIGHUP, and the trial mode */
    tc = tcase_create("reload");
    tcase_add_unchecked_fixture(tc, prosody_up, prosody_down);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, a_reload_takes_a_new_lexicon_and_keeps_the_holds);
    tcase_add_test(tc, a_broken_configuration_is_refused_on_reload);
    tcase_add_test(tc, observe_mode_relays_and_tells_the_author);
    suite_add_tcase(s, tc);
    tc = tcase_create("notify");
    tcase_add_unchecked_fixture(tc, prosody_up, prosody_down);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, systemd_hears_ready_and_the_watchdog);
    suite_add_tcase(s, tc);
    /* the same scenarios on Mattermost, and what only it has */
    tc = tcase_create("web");
    tcase_add_unchecked_fixture(tc, prosody_up, prosody_down);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, healthz_is_503_until_connected);
    tcase_add_test(tc, metrics_and_history_end_to_end);
    tcase_add_test(tc, review_page_signin_and_decisions);
    suite_add_tcase(s, tc);

    tc = tcase_create("mattermost");
    tcase_add_unchecked_fixture(tc, mattermost_up, mattermost_down);
    tcase_set_timeout(tc, 120);
    add_shared_scenarios(tc);
    tcase_add_test(tc, a_dropped_socket_resumes_the_session);
    tcase_add_test(tc, threads_are_followed_across_the_rooms);
    tcase_add_test(tc, a_plugin_that_hangs_or_crashes_does_not_stop_the_bot);
    suite_add_tcase(s, tc);
    /* and on Slack */
    tc = tcase_create("slack");
    tcase_add_unchecked_fixture(tc, slack_up, slack_down);
    tcase_set_timeout(tc, 120);
    add_shared_scenarios(tc);
    tcase_add_test(tc, threads_are_followed_across_the_rooms);
    suite_add_tcase(s, tc);
    tc = tcase_create("slack-only");
    tcase_add_unchecked_fixture(tc, slack_up, slack_down);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, slack_a_post_whose_answer_never_came_is_not_sent_twice);
    tcase_add_test(tc,
                   slack_a_post_never_answered_is_looked_for_not_sent_again);
    tcase_add_test(tc, slack_refreshes_and_drops_during_a_burst_lose_nothing);
    tcase_add_test(tc, slack_a_rate_limit_is_waited_out);
    tcase_add_test(tc, slack_envelopes_sent_again_are_handled_once);
    tcase_add_test(tc, slack_malformed_and_huge_envelopes_are_survived);
    tcase_add_test(tc, slack_the_authors_button_sends_once);
    tcase_add_test(tc, slack_buttons_are_authorized_like_commands);
    tcase_add_test(tc, slack_the_drop_button_drops);
    tcase_add_test(tc, slack_the_edit_form_is_checked_again);
    tcase_add_test(tc,
                   slack_replies_in_old_threads_while_stopped_are_read_back);
    tcase_add_test(tc,
                   slack_replies_in_old_threads_during_an_outage_are_read_back);
    tcase_add_test(tc, slack_a_followed_thread_that_is_gone_stops_nothing);
    tcase_add_test(tc,
                   slack_link_disabled_stops_reconnecting_and_releases_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("kill-slack");
    tcase_add_unchecked_fixture(tc, slack_up, slack_down);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, kill_and_restart_loses_and_duplicates_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("kill");
    tcase_add_unchecked_fixture(tc, prosody_up, prosody_down);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, kill_and_restart_loses_and_duplicates_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("kill-mattermost");
    tcase_add_unchecked_fixture(tc, mattermost_up, mattermost_down);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, kill_and_restart_loses_and_duplicates_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("soak");
    tcase_add_unchecked_fixture(tc, prosody_up, prosody_down);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, a_burst_with_cuts_and_kills_loses_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("soak-slack");
    tcase_add_unchecked_fixture(tc, slack_up, slack_down);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, a_burst_with_cuts_and_kills_loses_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("soak-mattermost");
    tcase_add_unchecked_fixture(tc, mattermost_up, mattermost_down);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, a_burst_with_cuts_and_kills_loses_nothing);
    suite_add_tcase(s, tc);
    return s;
}
