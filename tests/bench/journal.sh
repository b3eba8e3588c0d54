#!/bin/sh
# journal.sh - how fast the sealed journal replays on start: N records
# (default 100000) written, then replayed, against reading the same file;
# then N records of the relay's own replayed into its state and compacted,
# as pokerface run does on start (see journal_bench.c). Target: 100,000
# records in under a second. make check runs it with N=3000, so that a
# bench that no longer matches the relay's records fails there.
set -eu
# its own make, not a part of the make that runs it (no jobserver warning)
unset MAKEFLAGS MFLAGS MAKELEVEL
N=${1:-100000}
BUILD=${BUILD:-build}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/pf-journal-bench-XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
make -s -C "$SRC" BUILD="$BUILD" "$BUILD/tests/bench_journal"
"$SRC/$BUILD/tests/bench_journal" "$T" "$N"
