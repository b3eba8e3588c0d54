/*
 * main.c - the pokerface command: dispatch to a subcommand.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "pokerface/plugin.h"

#ifndef PF_VERSION
#define PF_VERSION "0.1.0"
#endif

struct cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct cmd cmds[] = {
    {"run", pf_cmd_run, "run the bot: relay replies, hold backstage talk"},
    {"check", pf_cmd_check, "check a message the way the bot would"},
    {"eval", pf_cmd_eval, "measure the rules on labelled corpora"},
    {"bench", pf_cmd_bench, "measure throughput and latency"},
    {"train", pf_cmd_train, "fit the learned plugin's model"},
    {"queue", pf_cmd_queue, "review held messages of the running bot"},
    {"status", pf_cmd_status, "what the running bot is doing"},
    {"keygen", pf_cmd_keygen, "create a key for the sealed journal"},
    {"web-login", pf_cmd_web_login, "a sign-in link to the review page"},
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: pokerface COMMAND [OPTIONS] [ARGS]\n"
               "\n"
               "pokerface keeps a support team's poker face: it checks every\n"
               "reply on its way to a customer and holds anything that reads\n"
               "like backstage talk until its author confirms it.\n"
               "\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
    fprintf(f, "\n'pokerface COMMAND --help' tells more about a command.\n"
               "'pokerface --version' prints the version.\n");
}

int
main(int argc, char **argv)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "pokerface: cannot initialise libsodium\n");
        return PF_EXIT_ERROR;
    }
    if (argc < 2) {
        usage(stderr);
        return PF_EXIT_ERROR;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return PF_EXIT_OK;
    }
    if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version") ||
        !strcmp(argv[1], "version")) {
        printf("pokerface %s (plugin ABI %d.%d)\n", PF_VERSION, PF_ABI_MAJOR,
               PF_ABI_MINOR);
        return PF_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "pokerface: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return PF_EXIT_ERROR;
}
