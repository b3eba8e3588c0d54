/*
 * demo.c - the scripted conversation of `make demo` (tests/demo.sh).
 *
 *   demo_chat WS_URL AGENT_PW SUPERVISOR_PW CUSTOMER_PW
 *
 * Aino (agent) and Sanna (supervisor) are in the team's internal room,
 * Kalle (customer) in the customer room, pokerface in both. The rooms
 * are members-only: Sanna, whom pokerface made their owner, adds Aino and
 * Kalle first. Four short
 * scenes, in English and Finnish: a clean reply relayed, and three held
 * replies that end with !send, !edit and !drop. Everything Aino and Kalle
 * see is printed as it arrives. Exits non-zero if any step does not
 * happen, or if the customer saw anything held.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "chat.h"

#define TEAM "tiimi-demo@conference.localhost"
#define CUST "asiakas-demo@conference.localhost"
#define WAIT 15000

static struct tc_world w;
static struct tc_user *aino, *sanna, *kalle;
static int pause_ms = 900;

static void
scene(const char *title)
{
    tc_pump(&w, pause_ms);
    printf("\n== %s\n", title);
    fflush(stdout);
}

static void
narrate(const char *text)
{
    tc_pump(&w, pause_ms / 2);
    printf("   (%s)\n", text);
    fflush(stdout);
}

static const struct tc_msg *
expect(struct tc_user *u, const char *room, const char *needle)
{
    const struct tc_msg *m = tc_wait_msg(u, room, needle, NULL, WAIT);
    if (!m) {
        fprintf(stderr, "demo: %s never saw \"%s\"\n", u->name, needle);
        exit(1);
    }
    return m;
}

/* aino writes text; returns the hold number from pokerface's notice */
static unsigned
held(const char *text, const char *notice_word)
{
    size_t from = aino->n;
    tc_say(aino, TEAM, text);
    const struct tc_msg *m = tc_wait_msg(aino, TEAM, notice_word, &from, WAIT);
    const char *hash = m ? strchr(m->text, '#') : NULL;
    if (!hash) {
        fprintf(stderr, "demo: no hold notice for \"%s\"\n", text);
        exit(1);
    }
    return (unsigned)strtoul(hash + 1, NULL, 10);
}

static void
command(const char *cmd, unsigned id, const char *rest)
{
    char *t =
        pf_xasprintf("%s %u%s%s", cmd, id, rest ? " " : "", rest ? rest : "");
    tc_pump(&w, pause_ms);
    tc_say(aino, TEAM, t);
    free(t);
}

int
main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: demo_chat WS_URL AGENT_PW SUPERVISOR_PW "
                        "CUSTOMER_PW\n");
        return 2;
    }
    if (sodium_init() < 0 || tc_world_init(&w, argv[1]) != 0)
        return 1;
    if (getenv("DEMO_FAST"))
        pause_ms = 50;
    const char *team[] = {TEAM, NULL}, *cust[] = {CUST, NULL};
    /* pokerface made both rooms members-only, and Sanna (the supervisor)
       their owner with it: she lets Aino into the team's room and Kalle
       into his own */
    sanna = tc_user_new(&w, "sanna", "sanna@localhost", argv[3], team);
    if (tc_wait_ready(&w, WAIT) != 0 ||
        tc_affiliate(sanna, TEAM, "aino@localhost", "member") != 0 ||
        tc_affiliate(sanna, CUST, "kalle@localhost", "member") != 0) {
        fprintf(stderr, "demo: the supervisor could not add the members\n");
        return 1;
    }
    aino = tc_user_new(&w, "aino", "aino@localhost", argv[2], team);
    kalle = tc_user_new(&w, "kalle", "kalle@localhost", argv[4], cust);
    if (tc_wait_ready(&w, WAIT) != 0 ||
        tc_wait_member(aino, TEAM, "pokerface", WAIT) != 0 ||
        tc_wait_member(kalle, CUST, "pokerface", WAIT) != 0) {
        fprintf(stderr, "demo: could not log in the demo users\n");
        return 1;
    }
    tc_pump(&w, 300);
    printf("The transcript as each side saw it: \"aino sees\" is the team's "
           "internal\nroom (%s), \"kalle sees\" the customer's room (%s).\n"
           "Aino starts a reply to the customer with \">>\"; everything else "
           "she\nwrites stays in the team room.\n",
           TEAM, CUST);
    w.transcript = stdout;
    aino->view = "aino sees";
    kalle->view = "kalle sees";

    scene("1. A clean reply goes straight through (Finnish)");
    tc_say(kalle, CUST,
           "Hei! Autoni kojelaudassa palaa punainen valo, onko se "
           "vaarallista?");
    expect(aino, TEAM, "[customer] kalle: Hei! Autoni kojelaudassa");
    tc_pump(&w, pause_ms);
    tc_say(aino, TEAM,
           ">> Hei Kalle! Punainen öljyvalo tarkoittaa, että öljyä on liian "
           "vähän. Lisää öljyä ennen kuin jatkat ajoa, niin valo sammuu.");
    expect(kalle, CUST, "aino: Hei Kalle! Punainen öljyvalo");

    scene("2. Held, then sent as it is with !send (English)");
    tc_say(kalle, CUST,
           "Sorry, what is that red oil-can light on the dashboard, exactly?");
    expect(aino, TEAM, "[customer] kalle: Sorry, what is that red");
    tc_pump(&w, pause_ms);
    unsigned id = held(">> That little idiot light on your dashboard is just "
                       "the oil warning: top up the oil and it goes off.",
                       "held #");
    narrate("\"idiot light\" is what mechanics call a warning light, not "
            "a word about Kalle: Aino sends it as it is");
    command("!send", id, NULL);
    expect(kalle, CUST, "aino: That little idiot light on your dashboard");

    scene("3. Held, then rewritten with !edit (Finnish)");
    tc_say(kalle, CUST, "Tilasin väärän koon, voinko vaihtaa sen?");
    expect(aino, TEAM, "[customer] kalle: Tilasin väärän koon");
    tc_pump(&w, pause_ms);
    id = held(">> no nyt se tilas taas väärän koon, mikä pelle", "pidätetty #");
    narrate("a remark meant for the team, typed as a reply: pokerface "
            "holds it; Aino writes what she meant to say");
    command("!edit", id,
            "Hei! Voit vaihtaa koon maksutta, ohjeet tulevat "
            "sähköpostiisi.");
    expect(kalle, CUST, "aino: Hei! Voit vaihtaa koon maksutta");

    scene("4. Held, then dropped with !drop (English)");
    id = held(">> @sanna can you take this one, this guy is a total moron",
              "held #");
    narrate("backstage talk that must never reach Kalle: Aino drops it");
    command("!drop", id, NULL);
    expect(aino, TEAM, "dropped; it was not sent");
    tc_pump(&w, pause_ms);
    w.transcript = NULL;

    /* what the customer saw: the three replies, nothing held */
    static const char *const never[] = {"pelle", "moron", "@sanna", "held #",
                                        "pidätetty"};
    size_t seen = 0;
    for (size_t i = 0; i < kalle->n; i++) {
        if (kalle->msgs[i].own)
            continue;
        seen++;
        for (size_t k = 0; k < sizeof(never) / sizeof(*never); k++) {
            if (strstr(kalle->msgs[i].text, never[k])) {
                fprintf(stderr, "demo: the customer saw: %s\n",
                        kalle->msgs[i].text);
                return 1;
            }
        }
    }
    printf("\nKalle received %zu replies and none of the held texts.\n", seen);
    tc_world_free(&w);
    return 0;
}
