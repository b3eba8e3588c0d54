#!/bin/sh
# test_quality.sh - the shipped rules on the in-repo labelled messages:
# recall of messages that must be held, and no false holds. A regression
# here means a lexicon or scoring change broke something that worked.
set -u
BUILD=${BUILD:-build}
MIN_RECALL=0.90
MAX_FALSE_HOLD=0.0
fails=0
for f in tests/corpus/*.jsonl; do
    out=$("$BUILD/pokerface" eval "$f") || { echo "FAIL: eval $f"; fails=1; continue; }
    line=$(printf '%s\n' "$out" | sed -n 2p)
    recall=$(printf '%s\n' "$line" | sed -n 's/.*hold recall \([0-9.]*\).*/\1/p')
    fh=$(printf '%s\n' "$line" | sed -n 's/.*false-hold rate \([0-9.]*\).*/\1/p')
    if awk -v r="$recall" -v f="$fh" -v mr="$MIN_RECALL" -v mf="$MAX_FALSE_HOLD" \
        'BEGIN { exit !(r >= mr && f <= mf) }'; then
        echo "test_quality.sh: $f: recall $recall, false-hold rate $fh"
    else
        echo "FAIL: $f: recall $recall (min $MIN_RECALL), false-hold rate $fh (max $MAX_FALSE_HOLD)"
        "$BUILD/pokerface" eval --errors "$f" | sed -n '/^  miss\|^  false/,$p'
        fails=1
    fi
done
[ "$fails" -eq 0 ]
