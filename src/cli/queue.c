/*
 * queue.c - `pokerface queue` and `pokerface status`: review held
 * messages from a terminal while the bot runs, through its control
 * socket (state_dir/control.sock). Decisions taken here are the same as
 * !send, !edit and !drop in the chat, attributed to the local user.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "base/util.h"
#include "cli/cli.h"
#include "core/control.h"

static const char queue_usage[] =
    "usage: pokerface queue [-c CONFIG | --socket PATH] [--json] COMMAND\n"
    "\n"
    "Review the messages the running bot holds. Only the user pokerface runs\n"
    "as may do this; decisions count as a supervisor's and are announced in\n"
    "the team's room.\n"
    "\n"
    "commands:\n"
    "  list              the held messages, oldest first\n"
    "  show ID           one of them: its text, why it was held, the words\n"
    "  send ID           send it to the customer as it is\n"
    "  edit ID           change it in $EDITOR (or --text TEXT); the new text\n"
    "                    is checked again and sent if it passes\n"
    "  drop ID           drop it; it is never sent\n"
    "  history           every hold kept in the history (history_days) and\n"
    "                    what became of it: who decided what, when, where;\n"
    "                    read from the sealed file, so the bot need not run\n"
    "\n"
    "  -c, --config FILE  the bot's configuration (finds its state_dir)\n"
    "      --socket PATH  the control socket itself\n"
    "      --text TEXT    edit: the new text, instead of $EDITOR\n"
    "      --json         print the bot's answer as JSON\n"
    "  -h, --help         show this help\n"
    "\n"
    "history filters:\n"
    "      --since WHEN   held or decided since WHEN: 2026-12-01,\n"
    "                     2026-12-01T09:30 (local time), or 7d, 12h, 30m ago\n"
    "      --author WHO   held from WHO (a user id, or a name)\n"
    "      --label LABEL  held by LABEL (backstage.derogatory), or by any\n"
    "                     label of a plugin (backstage)\n";

static const char status_usage[] =
    "usage: pokerface status [-c CONFIG | --socket PATH] [--json]\n"
    "\n"
    "What the running bot is doing: its chat connection, routes (and which\n"
    "are in observe mode), how many messages it holds, relayed (and of\n"
    "those, how many observe mode relayed that would have been held), sent,\n"
    "dropped and expired, how often it reloaded, and its uptime.\n"
    "\n"
    "  -c, --config FILE  the bot's configuration (finds its state_dir)\n"
    "      --socket PATH  the control socket itself\n"
    "      --json         print the bot's answer as JSON\n"
    "  -h, --help         show this help\n";

static const char web_login_usage[] =
    "usage: pokerface web-login [-c CONFIG | --socket PATH] [--json]\n"
    "\n"
    "A one-time link to the review page for the bot's owner, who signs in\n"
    "as a supervisor (the same as on the terminal). It works once, for\n"
    "web.link_ttl_s seconds (ten minutes by default); the session it starts\n"
    "lasts twelve hours or until the bot stops. Team members ask for their\n"
    "own link with !web in the chat. Needs \"web\" in the configuration\n"
    "and the bot running.\n"
    "\n"
    "  -c, --config FILE  the bot's configuration (finds its state_dir)\n"
    "      --socket PATH  the control socket itself\n"
    "      --json         print the bot's answer as JSON\n"
    "  -h, --help         show this help\n";

struct qopts {
    const char *config, *socket, *text;
    const char *since, *author, *label; /* queue history */
    int json;
};

static int
parse(int argc, char **argv, const char *cmd, const char *usage,
      struct qopts *o)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"socket", required_argument, NULL, 'S'},
        {"text", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {"since", required_argument, NULL, 's'},
        {"author", required_argument, NULL, 'a'},
        {"label", required_argument, NULL, 'l'},
        {NULL, 0, NULL, 0},
    };
    int c;
    memset(o, 0, sizeof(*o));
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; break;
        case 'S': o->socket = optarg; break;
        case 't': o->text = optarg; break;
        case 'j': o->json = 1; break;
        case 's': o->since = optarg; break;
        case 'a': o->author = optarg; break;
        case 'l': o->label = optarg; break;
        case 'h': fputs(usage, stdout); return -1;
        default: return pf_cli_usage_error(cmd, "unknown option");
        }
    }
    return 0;
}

/* the control socket's path (a new string), or NULL after printing why */
static char *
socket_path(const struct qopts *o)
{
    if (o->socket)
        return pf_xstrdup(o->socket);
    char *dir = pf_cli_state_dir(o->config);
    if (!dir)
        return NULL;
    char *path = pf_path_join(dir, "control.sock");
    free(dir);
    return path;
}

/* send req (stolen) to the bot; the answer, or NULL after printing why */
static json_t *
call(const struct qopts *o, const char *cmd, json_t *req)
{
    char err[1024];
    char *path = socket_path(o);
    if (!path) {
        json_decref(req);
        return NULL;
    }
    char *line = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    char *ans = line ? pf_control_call(path, line, err, sizeof(err)) : NULL;
    free(line);
    free(path);
    if (!ans) {
        fprintf(stderr, "pokerface %s: %s\n", cmd, err);
        return NULL;
    }
    json_error_t je;
    json_t *a = json_loads(ans, 0, &je);
    free(ans);
    if (!json_is_object(a)) {
        fprintf(stderr, "pokerface %s: the bot's answer is not JSON: %s\n", cmd,
                je.text);
        json_decref(a);
        return NULL;
    }
    if (!json_is_true(json_object_get(a, "ok"))) {
        const char *e = json_string_value(json_object_get(a, "error"));
        fprintf(stderr, "pokerface %s: %s\n", cmd, e ? e : "refused");
        json_decref(a);
        return NULL;
    }
    return a;
}

static long
minutes_from_now(json_t *o, const char *k)
{
    int64_t at = (int64_t)json_integer_value(json_object_get(o, k));
    int64_t now = pf_wall_us() / 1000;
    return (long)((at - now) / 60000);
}

static void
print_when(const char *label, json_t *o, const char *k)
{
    time_t t = (time_t)(json_integer_value(json_object_get(o, k)) / 1000);
    struct tm tm;
    char buf[32];
    localtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm);
    long m = minutes_from_now(o, k);
    int past = json_integer_value(json_object_get(o, k)) <= pf_wall_us() / 1000;
    printf("%-8s %s (%s%ld min%s)\n", label, buf, past ? "" : "in ",
           m < 0 ? -m : m, past ? " ago" : "");
}

static void
print_list(json_t *a)
{
    json_t *holds = json_object_get(a, "holds"), *h;
    size_t i;
    if (!json_array_size(holds)) {
        printf("No held messages.\n");
        return;
    }
    json_array_foreach (holds, i, h) {
        const char *text = pf_json_str(h, "text");
        size_t n = strlen(text), cut = n > 70 ? 70 : n;
        while (cut < n && ((unsigned char)text[cut] & 0xC0) == 0x80)
            cut--; /* not in the middle of a character */
        printf("#%-4lld %-5s %s (%s), %ld min ago, expires in %ld min\n"
               "      %.*s%s\n",
               (long long)json_integer_value(json_object_get(h, "hold")),
               pf_json_str(h, "action"), pf_json_str(h, "name"),
               pf_json_str(h, "author"), -minutes_from_now(h, "created"),
               minutes_from_now(h, "expires"), (int)cut, text,
               cut < n ? "…" : "");
    }
}

static void
print_show(json_t *h)
{
    printf("#%lld    %s on route '%s', from %s (%s)\n",
           (long long)json_integer_value(json_object_get(h, "hold")),
           pf_json_str(h, "action"), pf_json_str(h, "route"),
           pf_json_str(h, "name"), pf_json_str(h, "author"));
    print_when("held", h, "created");
    print_when("expires", h, "expires");
    printf("text     %s\n", pf_json_str(h, "text"));
    printf("why      %s\n", pf_json_str(h, "why"));
    if (*pf_json_str(h, "words"))
        printf("words    %s\n", pf_json_str(h, "words"));
    if (*pf_json_str(h, "details")) {
        printf("details\n");
        const char *d = pf_json_str(h, "details");
        while (*d) {
            size_t n = strcspn(d, "\n");
            printf("  %.*s\n", (int)n, d);
            d += n + (d[n] == '\n');
        }
    }
}

/*
 * The new text, from $EDITOR on the old one; NULL after saying why. The
 * held text is never in plaintext where others keep files: the file is
 * made in dir (the bot's state directory, next to its control socket),
 * mode 0600, and removed afterwards.
 */
static char *
edit_in_editor(const char *old, const char *dir)
{
    const char *editor = getenv("VISUAL");
    if (!editor || !*editor)
        editor = getenv("EDITOR");
    if (!editor || !*editor)
        editor = "vi";
    char *path = pf_path_join(dir, "edit-XXXXXX");
    int fd = mkstemp(path); /* 0600 */
    if (fd < 0) {
        fprintf(stderr, "pokerface queue: %s: %s\n", path, strerror(errno));
        free(path);
        return NULL;
    }
    size_t n = strlen(old);
    int ok = write(fd, old, n) == (ssize_t)n && write(fd, "\n", 1) == 1;
    close(fd);
    char *out = NULL;
    if (ok) {
        /* as git does: the shell reads $EDITOR, so it may have options */
        char *line = pf_xasprintf("%s \"$@\"", editor);
        pid_t pid = fork();
        if (pid == 0) {
            execl("/bin/sh", "sh", "-c", line, "sh", path, (char *)NULL);
            _exit(127);
        }
        free(line);
        int st = 0;
        if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
            WEXITSTATUS(st) == 0) {
            struct pf_buf b = PF_BUF_INIT;
            if (pf_read_file(path, 1u << 20, &b) == 0) {
                while (b.len &&
                       (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
                    b.data[--b.len] = '\0';
                out = pf_buf_detach(&b, NULL);
            }
        } else {
            fprintf(stderr,
                    "pokerface queue: the editor '%s' failed; "
                    "nothing changed\n",
                    editor);
        }
    }
    unlink(path);
    free(path);
    return out;
}

int
pf_cmd_queue(int argc, char **argv)
{
    struct qopts o;
    int rc = parse(argc, argv, "queue", queue_usage, &o);
    if (rc)
        return rc < 0 ? PF_EXIT_OK : rc;
    if (optind >= argc)
        return pf_cli_usage_error("queue", "which command? list, show, "
                                           "send, edit, drop or history");
    const char *cmd = argv[optind];
    if (strcmp(cmd, "history") && (o.since || o.author || o.label))
        return pf_cli_usage_error("queue", "--since, --author and --label "
                                           "are for history");
    if (!strcmp(cmd, "history")) {
        if (optind + 1 != argc)
            return pf_cli_usage_error("queue", "history takes no argument "
                                               "(filters are options)");
        if (o.socket)
            return pf_cli_usage_error("queue", "history is read from the "
                                               "state directory: give -c "
                                               "CONFIG, not --socket");
        return pf_cli_queue_history(o.config, o.json, o.since, o.author,
                                    o.label);
    }
    if (!strcmp(cmd, "list")) {
        if (optind + 1 != argc)
            return pf_cli_usage_error("queue", "list takes no argument");
        json_t *a = call(&o, "queue", json_pack("{s:s}", "cmd", "list"));
        if (!a)
            return PF_EXIT_ERROR;
        if (o.json) {
            json_dumpf(json_object_get(a, "holds"), stdout, JSON_INDENT(2));
            putchar('\n');
        } else {
            print_list(a);
        }
        json_decref(a);
        return PF_EXIT_OK;
    }
    if (strcmp(cmd, "show") && strcmp(cmd, "send") && strcmp(cmd, "edit") &&
        strcmp(cmd, "drop"))
        return pf_cli_usage_error("queue", "unknown command '%s'", cmd);
    if (optind + 2 != argc)
        return pf_cli_usage_error("queue", "%s needs one hold number", cmd);
    const char *ids = argv[optind + 1];
    if (*ids == '#')
        ids++;
    char *end;
    unsigned long id = strtoul(ids, &end, 10);
    if (!*ids || *end || id == 0 || id > 0xFFFFFFFFul)
        return pf_cli_usage_error("queue", "'%s' is not a hold number",
                                  argv[optind + 1]);
    if (o.text && strcmp(cmd, "edit"))
        return pf_cli_usage_error("queue", "--text is for edit");
    json_t *req = json_pack("{s:s, s:I}", "cmd", cmd, "id", (json_int_t)id);
    if (!strcmp(cmd, "edit")) {
        char *text = o.text ? pf_xstrdup(o.text) : NULL;
        if (!text) {
            json_t *h = call(
                &o, "queue",
                json_pack("{s:s, s:I}", "cmd", "show", "id", (json_int_t)id));
            if (!h) {
                json_decref(req);
                return PF_EXIT_ERROR;
            }
            char *sock = socket_path(&o);
            char *dir = sock ? pf_dirname(sock) : NULL;
            text = dir ? edit_in_editor(pf_json_str(h, "text"), dir) : NULL;
            free(dir);
            free(sock);
            int same = text && !strcmp(text, pf_json_str(h, "text"));
            json_decref(h);
            if (!text || !*text || same) {
                fprintf(stderr, "pokerface queue: %s; #%lu is still held\n",
                        !text  ? "no new text"
                        : same ? "the text did not change"
                               : "the new text is empty",
                        id);
                free(text);
                json_decref(req);
                return PF_EXIT_ERROR;
            }
        }
        json_object_set_new(req, "text", json_string(text));
        free(text);
    }
    json_t *a = call(&o, "queue", req);
    if (!a)
        return PF_EXIT_ERROR;
    if (o.json) {
        json_dumpf(a, stdout, JSON_INDENT(2));
        putchar('\n');
    } else if (!strcmp(cmd, "show")) {
        print_show(a);
    } else {
        printf("%s\n", pf_json_str(a, "message"));
    }
    json_decref(a);
    return PF_EXIT_OK;
}

int
pf_cmd_status(int argc, char **argv)
{
    struct qopts o;
    int rc = parse(argc, argv, "status", status_usage, &o);
    if (rc)
        return rc < 0 ? PF_EXIT_OK : rc;
    if (optind != argc)
        return pf_cli_usage_error("status", "unexpected argument '%s'",
                                  argv[optind]);
    json_t *a = call(&o, "status", json_pack("{s:s}", "cmd", "status"));
    if (!a)
        return PF_EXIT_ERROR;
    if (o.json) {
        json_dumpf(a, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(a);
        return PF_EXIT_OK;
    }
    json_t *v, *c = json_object_get(a, "counts");
    size_t i;
    long long up =
        (long long)json_integer_value(json_object_get(a, "uptime_s"));
    printf("up       %lldd %02lld:%02lld:%02lld\n", up / 86400, up / 3600 % 24,
           up / 60 % 60, up % 60);
    json_array_foreach (json_object_get(a, "backends"), i, v)
        printf("backend  %s, %s\n", pf_json_str(v, "type"),
               json_is_true(json_object_get(v, "connected")) ? "connected"
                                                             : "not connected");
    json_array_foreach (json_object_get(a, "routes"), i, v)
        printf("route    %s: %s -> %s (%lld on the team)%s\n",
               pf_json_str(v, "name"), pf_json_str(v, "internal_room"),
               pf_json_str(v, "customer_room"),
               (long long)json_integer_value(json_object_get(v, "team")),
               !strcmp(pf_json_str(v, "mode"), "observe")
                   ? ", observe mode: nothing is held"
                   : "");
#define N(k) ((long long)json_integer_value(json_object_get(c, k)))
    printf("held     %lld now (%lld since start)\n", N("held"),
           N("held_total"));
    printf("relayed  %lld; sent after a hold %lld, dropped %lld, expired "
           "%lld, refused %lld\n",
           N("relayed"), N("sent"), N("dropped"), N("expired"), N("refused"));
    if (N("observed"))
        printf("observed %lld relayed that would have been held (observe "
               "mode)\n",
               N("observed"));
    if (N("reloads"))
        printf("reloaded %lld time(s) (SIGHUP)\n", N("reloads"));
#undef N
    json_t *ck = json_object_get(a, "checks");
    if (json_is_true(json_object_get(ck, "worker"))) {
#define K(k) ((long long)json_integer_value(json_object_get(ck, k)))
        if (K("pid"))
            printf("checks   in a worker process (pid %lld)", K("pid"));
        else
            printf("checks   paused: every reply is held");
        if (K("starts") > 1)
            printf("; started again %lld time(s): %lld stopped, %lld "
                   "crashed; last: %s",
                   K("starts") - 1, K("timeouts"), K("crashes"),
                   pf_json_str(ck, "last"));
        putchar('\n');
#undef K
    }
    printf("journal  %lld bytes, %lld post(s) awaiting confirmation\n",
           (long long)json_integer_value(json_object_get(a, "journal_bytes")),
           (long long)json_integer_value(json_object_get(c, "pending")));
    json_decref(a);
    return PF_EXIT_OK;
}

int
pf_cmd_web_login(int argc, char **argv)
{
    struct qopts o;
    int rc = parse(argc, argv, "web-login", web_login_usage, &o);
    if (rc)
        return rc < 0 ? PF_EXIT_OK : rc;
    if (optind != argc)
        return pf_cli_usage_error("web-login", "unexpected argument '%s'",
                                  argv[optind]);
    json_t *a = call(&o, "web-login", json_pack("{s:s}", "cmd", "web-login"));
    if (!a)
        return PF_EXIT_ERROR;
    if (o.json) {
        json_dumpf(a, stdout, JSON_INDENT(2));
        putchar('\n');
    } else {
        printf("%s\n", pf_json_str(a, "url"));
        fprintf(stderr,
                "(one use, within %.0f minutes; it signs you in as a "
                "supervisor)\n",
                json_number_value(json_object_get(a, "valid_s")) / 60);
    }
    json_decref(a);
    return PF_EXIT_OK;
}
