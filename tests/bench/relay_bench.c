/*
 * relay_bench.c - how much time pokerface adds to an agent's reply.
 *
 *   bench_relay WS_URL BUILD_DIR WORK_DIR [N]
 *
 * Run by tests/bench/relay.sh, which starts a throwaway Prosody with the
 * accounts bot, aino and asiakas. The agent aino is in the internal room
 * and in the customer room; the customer asiakas is in the customer room.
 * The rooms are left open (configure_rooms false): the bot would make
 * them members-only, and the test users are no members. N times, one
 * message in flight at a time, alternating:
 *
 *   direct   aino writes in the customer room; asiakas receives it
 *   relayed  aino writes ">> text" in the internal room; pokerface checks
 *            it and posts it in the customer room; asiakas receives it
 *
 * Both are timed by this process's monotonic clock, from aino's send to
 * asiakas's receipt, so the ratio relayed/direct is measured in one run on
 * one machine. The relayed path has one more hop through the server (bot
 * in, bot out) besides the bot's own work; the bot's own share (frame in
 * -> relayed post queued for the socket) is what pokerface reports in its
 * log when it stops, and is printed here as "added", with its stages
 * (reading, checking, journal, posting) when the bot says them. Target:
 * added p99 <= 1 ms.
 */
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "../chat.h"
#include "base/util.h"

#define MUC "@conference.localhost"
#define CUST "asiakas-bench" MUC
#define TEAM "tiimi-bench" MUC

/* clean replies, Finnish and English, that pass the rules */
static const char *const replies[] = {
    "Thanks for your patience, your order left our warehouse today.",
    "Kiitos viestistä! Tilauksesi lähti tänään matkaan.",
    "I have refunded the shipping cost to your card.",
    "Palautus on kirjattu, hyvitys näkyy tililläsi parin päivän sisällä.",
    "Could you send me the order number so I can check it?",
    "Voisitko kertoa tilausnumeron, niin tarkistan asian?",
    "The replacement part is on its way and should arrive on Friday.",
    "Vaihtotuote on matkalla ja sen pitäisi olla perillä perjantaina.",
};

static int
cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double
pct(int64_t *v, size_t n, double q)
{
    qsort(v, n, sizeof(*v), cmp_i64);
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return (double)v[i] / 1e3; /* us */
}

/* one message from aino, timed until asiakas has it; -1 on timeout */
static int64_t
one(struct tc_user *aino, struct tc_user *cust, const char *room,
    const char *text, const char *expect)
{
    size_t from = cust->n;
    int64_t t0 = pf_now_ns();
    tc_say(aino, room, text);
    const struct tc_msg *m = tc_wait_msg(cust, CUST, expect, &from, 10000);
    return m ? m->at_ns - t0 : -1;
}

/* "p50 12.3 us" from the bot's last latency line, and its stages'
   p50/p99 (st[8]; -1 when the bot does not say them) */
static int
bot_latency(const char *log, double *p50, double *p99, size_t *n, double *st)
{
    struct pf_buf b = PF_BUF_INIT;
    int ok = 0;
    for (int i = 0; i < 8; i++)
        st[i] = -1;
    if (pf_read_file(log, 64u << 20, &b) == 0) {
        const char *l = strstr(b.data, "relay latency");
        if (l && sscanf(strstr(l, "over "),
                        "over %zu messages: p50 %lf us, "
                        "p99 %lf us",
                        n, p50, p99) == 3)
            ok = 1;
        const char *s = l ? strstr(l, "by stage, p50/p99: ") : NULL;
        if (s && sscanf(s,
                        "by stage, p50/p99: reading %lf/%lf us, checking "
                        "%lf/%lf us, journal %lf/%lf us, posting %lf/%lf us",
                        &st[0], &st[1], &st[2], &st[3], &st[4], &st[5], &st[6],
                        &st[7]) != 8)
            for (int i = 0; i < 8; i++)
                st[i] = -1;
    }
    pf_buf_release(&b);
    return ok;
}

int
main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_relay WS_URL BUILD_DIR WORK_DIR [N]\n");
        return 2;
    }
    const char *url = argv[1], *build = argv[2], *dir = argv[3];
    if (sodium_init() < 0)
        return 1;
    long n = argc > 4 ? strtol(argv[4], NULL, 10) : 1000;
    if (n < 1)
        n = 1;
    char *cfg = pf_xasprintf("%s/pf.json", dir);
    char *log = pf_xasprintf("%s/bot.log", dir);
    FILE *f = fopen(cfg, "w");
    if (!f) {
        perror(cfg);
        return 1;
    }
    fprintf(f,
            "{\"plugins\": [\"example\", \"backstage\"],\n"
            " \"connector\": {\"type\": \"xmpp\", \"url\": \"%s\",\n"
            "   \"jid\": \"bot@localhost\", \"password_env\": "
            "\"PF_BENCH_PW\", \"nick\": \"pokerface\",\n"
            "   \"configure_rooms\": false},\n"
            " \"routes\": [{\"name\": \"bench\", \"customer_room\": \"" CUST
            "\",\n   \"internal_room\": \"" TEAM "\"}],\n"
            " \"state_dir\": \"state\"}\n",
            url);
    fclose(f);
    if (tc_state_dir(dir) != 0)
        return 1;
    setenv("PF_BENCH_PW", "pw-bot", 1);

    struct tc_bot bot;
    if (tc_bot_start(&bot, build, cfg, log) != 0)
        return 1;
    for (int i = 0; i < 500 && !tc_bot_logged(&bot, "chat ready"); i++) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (!tc_bot_logged(&bot, "chat ready")) {
        fprintf(stderr, "bench_relay: pokerface did not start; see %s\n", log);
        tc_bot_stop(&bot);
        return 1;
    }
    struct tc_world w;
    if (tc_world_init(&w, url) != 0)
        return 1;
    const char *both[] = {TEAM, CUST, NULL};
    const char *cust_rooms[] = {CUST, NULL};
    struct tc_user *aino =
        tc_user_new(&w, "aino", "aino@localhost", "pw-aino", both);
    struct tc_user *cust = tc_user_new(&w, "asiakas", "asiakas@localhost",
                                       "pw-asiakas", cust_rooms);
    if (tc_wait_ready(&w, 10000) ||
        tc_wait_member(aino, TEAM, "pokerface", 10000)) {
        fprintf(stderr, "bench_relay: test users not ready\n");
        return 1;
    }
    tc_pump(&w, 300);

    int64_t *direct = pf_xcalloc((size_t)n, sizeof(*direct));
    int64_t *relayed = pf_xcalloc((size_t)n, sizeof(*relayed));
    const size_t nr = sizeof(replies) / sizeof(*replies);
    int rc = 0;
    for (long i = -20; i < n; i++) { /* 20 rounds of warm-up */
        const char *r = replies[(size_t)(i + 20) % nr];
        char *d = pf_xasprintf("%s [d%ld]", r, i);
        char *v = pf_xasprintf(">> %s [v%ld]", r, i);
        char *ve = pf_xasprintf("aino: %s [v%ld]", r, i);
        int64_t td = one(aino, cust, CUST, d, d);
        int64_t tv = one(aino, cust, TEAM, v, ve);
        free(d);
        free(v);
        free(ve);
        if (td < 0 || tv < 0) {
            fprintf(stderr, "bench_relay: message %ld did not arrive (%s)\n", i,
                    td < 0 ? "direct" : "relayed");
            rc = 1;
            break;
        }
        if (i >= 0) {
            direct[i] = td;
            relayed[i] = tv;
        }
    }
    int st = tc_bot_stop(&bot);
    tc_world_free(&w);
    if (rc)
        return rc;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "bench_relay: pokerface exited badly; see %s\n", log);
        return 1;
    }
    double d50 = pct(direct, (size_t)n, 0.5), d99 = pct(direct, (size_t)n, .99);
    double v50 = pct(relayed, (size_t)n, 0.5),
           v99 = pct(relayed, (size_t)n, .99);
    double a50, a99, sg[8];
    size_t an;
    if (!bot_latency(log, &a50, &a99, &an, sg)) {
        fprintf(stderr, "bench_relay: no latency line in %s\n", log);
        return 1;
    }
    printf("relay benchmark: %ld messages each way, one in flight\n", n);
    printf("  direct   agent -> customer           p50 %8.1f us  p99 %8.1f "
           "us\n",
           d50, d99);
    printf("  relayed  agent -> pokerface -> cust. p50 %8.1f us  p99 %8.1f "
           "us\n",
           v50, v99);
    printf("  ratio    relayed / direct            p50 %8.2f     p99 %8.2f\n",
           v50 / d50, v99 / d99);
    printf("  added    by pokerface itself (%zu)  p50 %8.1f us  p99 %8.1f "
           "us  (target p99 <= 1000 us: %s)\n",
           an, a50, a99, a99 <= 1000.0 ? "met" : "MISSED");
    if (sg[0] >= 0)
        printf("  stages   p50/p99 us: reading %.1f/%.1f, checking %.1f/%.1f, "
               "journal (written) %.1f/%.1f, posting %.1f/%.1f\n",
               sg[0], sg[1], sg[2], sg[3], sg[4], sg[5], sg[6], sg[7]);
    free(direct);
    free(relayed);
    free(cfg);
    free(log);
    return 0;
}
