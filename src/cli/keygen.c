/*
 * keygen.c - `pokerface keygen FILE`: a new key for the sealed journal.
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>

#include "cli/cli.h"
#include "core/journal.h"

static const char usage[] =
    "usage: pokerface keygen FILE\n"
    "\n"
    "Create a key for the hold queue's journal: 32 random bytes, written\n"
    "as hex to FILE with mode 0600. An existing file is never overwritten\n"
    "(a lost key is a lost queue). Keep a copy somewhere safe; name the\n"
    "file in the configuration as \"journal_key_file\".\n"
    "\n"
    "  -h, --help   show this help\n";

int
pf_cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    char err[512];
    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(usage, stdout); return PF_EXIT_OK;
        default: return pf_cli_usage_error("keygen", "unknown option");
        }
    }
    if (optind != argc - 1)
        return pf_cli_usage_error("keygen", "expected one FILE");
    if (sodium_init() < 0) {
        fprintf(stderr, "pokerface keygen: libsodium cannot start\n");
        return PF_EXIT_ERROR;
    }
    if (pf_key_create(argv[optind], err, sizeof(err)) != 0) {
        fprintf(stderr, "pokerface keygen: %s\n", err);
        return PF_EXIT_ERROR;
    }
    printf("wrote a new key to %s (mode 0600)\n", argv[optind]);
    return PF_EXIT_OK;
}
