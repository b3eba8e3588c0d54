#!/bin/sh
# all.sh - this tree against a baseline build, side by side, on the
# figures of issue 17: the delay the bot adds to a relayed reply (p50,
# p99; relay.sh's measurement, with the journal on), relay start with a
# journal of N records (journal.sh), check --jsonl whole-process
# throughput on the training corpus (and whether the outputs are the
# same byte for byte), engine instructions per check (callgrind, when
# valgrind is installed) and `pokerface bench` relay-mode throughput;
# the relay delay also once more with this tree's journal on tmpfs, to
# show how much of it is the disk's fdatasync, and this tree's delay by
# stage (reading, checking, journal, posting; from the bot's log).
#
#   tests/bench/all.sh BASELINE_BUILD_DIR [RUNS]
#
# BASELINE_BUILD_DIR is another tree's build directory (its pokerface,
# plugins/ and, for relay start, tests/bench_journal: make -C TREE all
# build/tests/bench_journal). Each figure is the median of RUNS runs
# (default 5), baseline and this tree alternating, and the ratio is this
# tree's over the baseline's. The relay delay is measured by this tree's
# bench_relay driving either bot, each run on a fresh Prosody (needs
# prosody). Not part of make check: the machine's noise is the point of
# the medians.
set -eu
BASE=$(cd "${1:?usage: all.sh BASELINE_BUILD_DIR [RUNS]}" && pwd)
RUNS=${2:-5}
BUILD=${BUILD:-build}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
NEW="$SRC/$BUILD"
RELAY_N=${RELAY_N:-300}
JOURNAL_N=${JOURNAL_N:-100000}
BENCH_N=${BENCH_N:-100000}
T=$(mktemp -d "${TMPDIR:-/tmp}/pf-bench-all-XXXXXX")
# this tree's relay delay once more with the journal in memory (tmpfs):
# the same code, without the disk's fdatasync, to show what is the disk's
SHM=
[ -d /dev/shm ] && [ -w /dev/shm ] && SHM=$(mktemp -d /dev/shm/pf-bench-all-XXXXXX)
trap 'bash "$SRC/tests/prosody.sh" stop "$T/prosody" >/dev/null 2>&1 || true; rm -rf "$T" ${SHM:+"$SHM"}' EXIT INT TERM

make -s -C "$SRC" BUILD="$BUILD" all "$BUILD/tests/bench_relay" \
    "$BUILD/tests/bench_journal"

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a != "nan") printf "%.2f", a / b; else print "-" }'; }

# the corpus for check --jsonl: the training messages, to ~32k lines
for f in "$SRC"/config/training/messages.*.jsonl; do cat "$f"; done >"$T/one.jsonl"
: >"$T/corpus.jsonl"
while [ "$(wc -l <"$T/corpus.jsonl")" -lt 32000 ]; do cat "$T/one.jsonl" >>"$T/corpus.jsonl"; done

relay_once() { # BUILD_DIR WHO RUN [DIR]: "p50 p99" of the bot's added delay,
    # then "p50 p99" of relayed / direct end to end (agent's send to the
    # customer's receipt); the bot's state (its journal) in DIR/relay-WHO-RUN
    d="${4:-$T}/relay-$2-$3"
    mkdir -p "$d"
    bash "$SRC/tests/prosody.sh" start "$T/prosody" bot:pw-bot aino:pw-aino \
        asiakas:pw-asiakas >/dev/null
    if "$NEW/tests/bench_relay" "$(cat "$T/prosody/ws_url")" "$1" "$d" \
        "$RELAY_N" >"$d/out" 2>&1; then
        awk 'BEGIN { r = k = j = p = "nan" }
             /added/ { for (i = 1; i <= NF; i++) { if ($i == "p50" && a == "") a = $(i + 1); if ($i == "p99" && b == "") b = $(i + 1) } }
             /ratio/ { for (i = 1; i <= NF; i++) { if ($i == "p50" && c == "") c = $(i + 1); if ($i == "p99" && e == "") e = $(i + 1) } }
             /stages/ { for (i = 1; i <= NF; i++) { split($(i + 1), v, "/")
                            if ($i == "reading") r = v[1]; if ($i == "checking") k = v[1]
                            if ($i == "(written)") j = v[1]; if ($i == "posting") p = v[1] } }
             END { print a, b, c, e, r, k, j, p }' "$d/out"
        sed -n 's/.*journal: \([0-9]*\) records in \([0-9]*\) writes, \([0-9]*\) fdatasyncs.*/\1 \2 \3/p' \
            "$d/bot.log" >"$d/journal"
    else
        echo "nan nan nan nan nan nan nan nan"
        sed 's/^/    /' "$d/out" >&2
    fi
    bash "$SRC/tests/prosody.sh" stop "$T/prosody" >/dev/null 2>&1 || true
    rm -rf "$T/prosody"
}

start_once() { # BUILD_DIR WHO RUN: relay start in seconds
    d="$T/start-$2-$3"
    mkdir -p "$d"
    if [ -x "$1/tests/bench_journal" ]; then
        "$1/tests/bench_journal" "$d" "$JOURNAL_N" |
            awk '/^relay start/ { print $3 }'
    else
        echo nan
    fi
    rm -rf "$d"
}

jsonl_once() { # BUILD_DIR WHO: lines per second of check --jsonl
    t0=$(date +%s.%N)
    "$1/pokerface" check --jsonl "$T/corpus.jsonl" >"$T/jsonl-$2.out" 2>/dev/null || true
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" -v n="$(wc -l <"$T/corpus.jsonl")" 'BEGIN { printf "%.0f\n", n / (b - a) }'
}

bench_once() { # BUILD_DIR: pokerface bench messages per second (relay mode)
    "$1/pokerface" bench -n "$BENCH_N" --json "$SRC/config/training/messages.dev.jsonl" 2>/dev/null |
        awk -F': ' '/"messages_per_second"/ { sub(/,$/, "", $2); print $2 + 0 }'
}

: >"$T/base.relay"; : >"$T/new.relay"; : >"$T/base.start"; : >"$T/new.start"
: >"$T/shm.relay"; : >"$T/base.jsonl"; : >"$T/new.jsonl"; : >"$T/base.bench"; : >"$T/new.bench"
i=1
while [ "$i" -le "$RUNS" ]; do
    echo "run $i of $RUNS" >&2
    relay_once "$BASE" base "$i" >>"$T/base.relay"
    relay_once "$NEW" new "$i" >>"$T/new.relay"
    start_once "$BASE" base "$i" >>"$T/base.start"
    start_once "$NEW" new "$i" >>"$T/new.start"
    jsonl_once "$BASE" base >>"$T/base.jsonl"
    jsonl_once "$NEW" new >>"$T/new.jsonl"
    bench_once "$BASE" >>"$T/base.bench"
    bench_once "$NEW" >>"$T/new.bench"
    if [ -n "$SHM" ]; then
        relay_once "$NEW" shm "$i" "$SHM" >>"$T/shm.relay"
        rm -rf "$SHM/relay-shm-$i"
    fi
    i=$((i + 1))
done

b50=$(cut -d' ' -f1 "$T/base.relay" | median); n50=$(cut -d' ' -f1 "$T/new.relay" | median)
b99=$(cut -d' ' -f2 "$T/base.relay" | median); n99=$(cut -d' ' -f2 "$T/new.relay" | median)
be50=$(cut -d' ' -f3 "$T/base.relay" | median); ne50=$(cut -d' ' -f3 "$T/new.relay" | median)
be99=$(cut -d' ' -f4 "$T/base.relay" | median); ne99=$(cut -d' ' -f4 "$T/new.relay" | median)
bst=$(median <"$T/base.start"); nst=$(median <"$T/new.start")
bjl=$(median <"$T/base.jsonl"); njl=$(median <"$T/new.jsonl")
bbe=$(median <"$T/base.bench"); nbe=$(median <"$T/new.bench")
if cmp -s "$T/jsonl-base.out" "$T/jsonl-new.out"; then same="the same, byte for byte"; else same="DIFFERENT"; fi

# instructions per check: callgrind counts only inside pf_engine_check
ir_per_check() { # BUILD_DIR WHO
    out="$T/callgrind-$2.out"
    valgrind --tool=callgrind --toggle-collect=pf_engine_check \
        --callgrind-out-file="$out" "$1/pokerface" bench -n 10000 \
        "$SRC/config/training/messages.dev.jsonl" >/dev/null 2>&1 || { echo nan; return; }
    awk '/^fn=\([0-9]+\) pf_engine_check$/ { split($1, a, /[()]/); id = a[2] }
         /^cfn=/ { split($1, a, /[()]/); want = (a[2] == id) || ($2 == "pf_engine_check") }
         /^calls=/ { if (want) { split($1, c, "="); calls += c[2] } want = 0 }
         /^(summary|totals):/ { tot = $2 }
         END { if (calls) printf "%.0f\n", tot / calls; else print "nan" }' "$out"
}
if command -v valgrind >/dev/null 2>&1; then
    bir=$(ir_per_check "$BASE" base); nir=$(ir_per_check "$NEW" new)
    irline=$(printf '%-44s %14s %14s %8s' "engine instructions per check (callgrind)" "$bir" "$nir" "$(ratio "$nir" "$bir")")
else
    irline="engine instructions per check: valgrind is not installed, not measured"
fi

jrn=$(awk '{ r += $1; w += $2; s += $3 } END { if (NR) printf "%d records, %d writes, %d fdatasyncs", r / NR, w / NR, s / NR }' "$T"/relay-new-*/journal 2>/dev/null || true)

echo
echo "pokerface: this tree ($NEW) against $BASE; medians of $RUNS alternating runs"
printf '%-44s %14s %14s %8s\n' "" "baseline" "this tree" "ratio"
printf '%-44s %14s %14s %8s\n' "bot-added relay delay p50 (us)" "$b50" "$n50" "$(ratio "$n50" "$b50")"
printf '%-44s %14s %14s %8s\n' "bot-added relay delay p99 (us)" "$b99" "$n99" "$(ratio "$n99" "$b99")"
if [ -n "$SHM" ]; then
    printf '%-44s %14s %14s\n' "  same, this tree's journal on tmpfs, p50/p99" "" \
        "$(cut -d' ' -f1 "$T/shm.relay" | median)/$(cut -d' ' -f2 "$T/shm.relay" | median)"
fi
stage() { cut -d' ' -f"$2" "$T/$1.relay" | grep -v nan | median; }
printf '%-44s %14s %14s\n' "  this tree's p50 by stage (us)" "" \
    "reading $(stage new 5), checking $(stage new 6), journal (written) $(stage new 7), posting $(stage new 8)"
if [ -n "$SHM" ]; then
    printf '%-44s %14s %14s\n' "  the same on tmpfs" "" \
        "reading $(stage shm 5), checking $(stage shm 6), journal $(stage shm 7), posting $(stage shm 8)"
fi
printf '%-44s %14s %14s %8s\n' "relayed / direct end to end, p50" "$be50" "$ne50" "$(ratio "$ne50" "$be50")"
printf '%-44s %14s %14s %8s\n' "relayed / direct end to end, p99" "$be99" "$ne99" "$(ratio "$ne99" "$be99")"
printf '%-44s %14s %14s %8s\n' "relay start, $JOURNAL_N records (s)" "$bst" "$nst" "$(ratio "$nst" "$bst")"
printf '%-44s %14s %14s %8s\n' "check --jsonl, $(wc -l <"$T/corpus.jsonl") lines (lines/s)" "$bjl" "$njl" "$(ratio "$njl" "$bjl")"
printf '%-44s %14s %14s %8s\n' "pokerface bench, relay mode (msgs/s)" "$bbe" "$nbe" "$(ratio "$nbe" "$bbe")"
echo "$irline"
echo "check --jsonl outputs: $same"
[ -n "$jrn" ] && echo "this tree's journal per relay run ($RELAY_N replies and $RELAY_N direct messages mirrored): $jrn"
echo "targets: added p99 <= 1000 us, p50 <= 250 us; relay start <= 0.5 s"
