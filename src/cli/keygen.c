/*
 * keygen.c - `pokerface keygen FILE`: a new key for the sealed journal.
 */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/journal.h"

static const char usage[] =
    "usage: pokerface keygen [--if-missing] FILE\n"
    "\n"
    "Create a key for the hold queue's journal: 32 random bytes, written\n"
    "as hex to FILE with mode 0600; FILE's directory is created (mode\n"
    "0700) if it does not exist. An existing file is never overwritten\n"
    "(a lost key is a lost queue). Keep a copy somewhere safe; name the\n"
    "file in the configuration as \"journal_key_file\" (by default it is\n"
    "journal.key in the state directory).\n"
    "\n"
    "      --if-missing  an existing FILE is kept, and that is no error\n"
    "                    (the systemd unit's first start makes the key)\n"
    "  -h, --help        show this help\n";

int
pf_cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"if-missing", no_argument, NULL, 'm'},
        {NULL, 0, NULL, 0},
    };
    int c, if_missing = 0;
    char err[512];
    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(usage, stdout); return PF_EXIT_OK;
        case 'm': if_missing = 1; break;
        default: return pf_cli_usage_error("keygen", "unknown option");
        }
    }
    if (optind != argc - 1)
        return pf_cli_usage_error("keygen", "expected one FILE");
    if (sodium_init() < 0) {
        fprintf(stderr, "pokerface keygen: libsodium cannot start\n");
        return PF_EXIT_ERROR;
    }
    const char *path = argv[optind];
    struct stat st;
    if (if_missing && lstat(path, &st) == 0) {
        printf("kept the key in %s\n", path);
        return PF_EXIT_OK;
    }
    const char *slash = strrchr(path, '/');
    if (slash && slash != path) {
        char *dir = strndup(path, (size_t)(slash - path));
        if (!dir || pf_cli_mkdirs(dir) != 0) {
            fprintf(stderr,
                    "pokerface keygen: cannot create directory '%s': "
                    "%s\n",
                    dir ? dir : path, strerror(errno));
            free(dir);
            return PF_EXIT_ERROR;
        }
        free(dir);
    }
    if (pf_key_create(path, err, sizeof(err)) != 0) {
        fprintf(stderr, "pokerface keygen: %s\n", err);
        return PF_EXIT_ERROR;
    }
    printf("wrote a new key to %s (mode 0600); keep a copy somewhere safe\n",
           path);
    return PF_EXIT_OK;
}
