#!/bin/sh
# peers.sh - pokerface against the JavaScript profanity filters a user might
# pick instead (../shared/peers-bench), on the same messages, in one run:
# throughput of each, and the ratio of pokerface to the fastest peer.
#
#   tests/bench/peers.sh [CORPUS.jsonl] [PEERS_DIR]
#
# Needs node and npm (the npm registry) for the peers; not part of
# `make check`. The peers get the research's custom word list
# (terms-base.txt, 28 dictionary forms) on top of their built-in lists.
set -eu
CORPUS=${1:-../shared/corpus/messages.dev.jsonl}
PEERS=${2:-../shared/peers-bench}
BUILD=${BUILD:-build}
N=${N:-300000}
T=$(mktemp -d "${TMPDIR:-/tmp}/pf-peers-XXXXXX")
trap 'rm -rf "$T"' EXIT

cp -r "$PEERS"/. "$T/peers"
( cd "$T/peers" && npm ci --silent --no-audit --no-fund >/dev/null 2>&1 ||
  npm install --silent --no-audit --no-fund >/dev/null )
mkdir -p "$T/peers/data"
python3 "$T/peers/mkterms.py" "$T/peers/data" >/dev/null
# the peers want a truthy label for "should be flagged"
python3 - "$CORPUS" "$T/in.jsonl" <<'PY'
import json, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as o:
    for line in f:
        d = json.loads(line)
        lab = d.get("label")
        o.write(json.dumps({"text": d["text"], "label": 1 if lab in ("hold", "block") else 0,
                            "category": d.get("category", "")}) + "\n")
PY
# a few hundred messages time badly in a JIT: repeat them to 10,000 lines
: >"$T/timed.jsonl"
while [ "$(wc -l <"$T/timed.jsonl")" -lt 10000 ]; do cat "$T/in.jsonl" >>"$T/timed.jsonl"; done

echo "== pokerface ($BUILD/pokerface bench -n $N, default plugins)"
"$BUILD/pokerface" bench -n "$N" --json "$CORPUS" >"$T/pf.json"
PF=$(awk -F': ' '/"messages_per_second"/ { sub(/,$/, "", $2); printf "%.0f", $2 + 0 }' "$T/pf.json")
sed -n 's/^ *"\(messages_per_second\|latency_us\|p50\|p99\)".*/&/p' "$T/pf.json" | head -4
"$BUILD/pokerface" eval "$CORPUS" | sed -n 2p

echo "== peers: quality on the corpus (node peers.js, terms-base.txt)"
( cd "$T/peers" && node peers.js --input "$T/in.jsonl" \
    --terms data/terms-base.txt --runs 1 --group-field category ) | sed -n '1,10p'
echo "== peers: speed (the corpus repeated to 10,000 messages, median of 7 passes)"
( cd "$T/peers" && node peers.js --input "$T/timed.jsonl" \
    --terms data/terms-base.txt --runs 7 ) >"$T/peers.txt"
grep 'msg/s' "$T/peers.txt" | sed 's/  P .*//' 

BEST=$(awk '/msg\/s/ { for (i = 1; i < NF; i++) if ($(i+1) == "msg/s" && $i + 0 > best) { best = $i + 0; who = $1 } } END { print best " " who }' "$T/peers.txt")
BEST_WHO=${BEST#* }
BEST=${BEST%% *}
echo "== pokerface $PF msgs/s; fastest peer $BEST_WHO $BEST msgs/s; pokerface/peer = $(awk -v a="$PF" -v b="$BEST" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }')"
