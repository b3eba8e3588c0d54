#!/bin/sh
# test_demo.sh - `make demo`'s conversation, end to end and without pauses:
# all four outcomes appear in the transcript, the customer saw nothing
# held, and nothing is left behind.
set -eu
BUILD=${BUILD:-build}
out=$(mktemp)
# a temporary directory of its own: what the demo leaves behind is its
# own, whatever else runs on the machine
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pf-test-demo-XXXXXX")
trap 'rm -f "$out"; rm -rf "$tmp"' EXIT
if ! TMPDIR="$tmp" DEMO_EXIT=1 DEMO_FAST=1 DEMO_NO_BUILD=1 BUILD="$BUILD" \
    bash tests/demo.sh >"$out" 2>&1; then
    cat "$out"
    echo "test_demo.sh: the demo failed" >&2
    exit 1
fi
fail=0
for want in \
    "kalle sees asiakas-demo  pokerface: aino: Hei Kalle! Punainen öljyvalo" \
    "held #1" "#1 sent to the customer" \
    "kalle sees asiakas-demo  pokerface: aino: That little idiot light" \
    "pidätetty #2" "#2 muokattu ja lähetetty asiakkaalle" \
    "kalle sees asiakas-demo  pokerface: aino: Hei! Voit vaihtaa koon" \
    "held #3" "#3 dropped; it was not sent" \
    "of the held texts." \
    "demo stopped"; do
    if ! grep -qF -- "$want" "$out"; then
        echo "test_demo.sh: missing from the transcript: $want" >&2
        fail=1
    fi
done
if [ -n "$(ls -A "$tmp")" ]; then
    echo "test_demo.sh: the demo left its directory behind" >&2
    fail=1
fi
if [ "$fail" -ne 0 ]; then
    cat "$out"
    exit 1
fi
echo "test_demo.sh: the demo's four outcomes all shown"
