#!/bin/sh
# relay.sh - the bot's added latency on a real Prosody: an agent's reply
# relayed through pokerface against the same reply written straight into
# the customer room, in one run (see relay_bench.c).
#
#   tests/bench/relay.sh [N]        N messages each way (default 1000)
#
# Needs prosody (make deps) and `make` (builds build/tests/bench_relay).
set -eu
# its own make, not a part of the make that runs it (no jobserver warning)
unset MAKEFLAGS MFLAGS MAKELEVEL
N=${1:-1000}
BUILD=${BUILD:-build}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/pf-relay-bench-XXXXXX")
cleanup() {
    bash "$SRC/tests/prosody.sh" stop "$T/prosody" || true
    rm -rf "$T"
}
trap cleanup EXIT INT TERM

make -s -C "$SRC" BUILD="$BUILD" all "$BUILD/tests/bench_relay"
bash "$SRC/tests/prosody.sh" start "$T/prosody" bot:pw-bot aino:pw-aino \
    asiakas:pw-asiakas
"$SRC/$BUILD/tests/bench_relay" "$(cat "$T/prosody/ws_url")" \
    "$SRC/$BUILD" "$T" "$N"
