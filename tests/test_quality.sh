#!/bin/sh
# test_quality.sh - the shipped rules on the in-repo labelled corpora
# (tests/corpus/, written for this; never ../shared/corpus). Messages:
# recall of what must be held, and no false holds. Conversations: F1 of
# each coaching label. A regression here means a lexicon or scoring change
# broke something that worked.
set -u
BUILD=${BUILD:-build}
MIN_RECALL=0.90
# about one in thirty: a false hold costs the author one click, a miss
# can cost the customer
MAX_FALSE_HOLD=0.035
MIN_F1=0.85
fails=0
for f in tests/corpus/*.jsonl; do
    out=$("$BUILD/pokerface" eval "$f") || { echo "FAIL: eval $f"; fails=1; continue; }
    case "$f" in
    */conversations-*)
        bad=$(printf '%s\n' "$out" | awk -v m="$MIN_F1" \
            'NR > 2 && NF == 7 && $7 + 0 < m { print $1 " F1 " $7 }')
        if [ -z "$bad" ]; then
            echo "test_quality.sh: $f: every coaching label F1 >= $MIN_F1"
        else
            echo "FAIL: $f: $bad (min $MIN_F1)"
            "$BUILD/pokerface" eval --errors "$f" | sed -n '/^  miss\|^  false/,$p'
            fails=1
        fi
        continue
        ;;
    esac
    # messages-b and -c are kept as blind checks of the learned model: never
    # trained on, their bar is about what the model reached when first
    # shown them
    min_recall=$MIN_RECALL
    case "$f" in */messages-[bc].jsonl) min_recall=0.80 ;; esac
    line=$(printf '%s\n' "$out" | sed -n 2p)
    recall=$(printf '%s\n' "$line" | sed -n 's/.*hold recall \([0-9.]*\).*/\1/p')
    fh=$(printf '%s\n' "$line" | sed -n 's/.*false-hold rate \([0-9.]*\).*/\1/p')
    if awk -v r="$recall" -v f="$fh" -v mr="$min_recall" -v mf="$MAX_FALSE_HOLD" \
        'BEGIN { exit !(r >= mr && f <= mf) }'; then
        echo "test_quality.sh: $f: recall $recall, false-hold rate $fh"
    else
        echo "FAIL: $f: recall $recall (min $min_recall), false-hold rate $fh (max $MAX_FALSE_HOLD)"
        "$BUILD/pokerface" eval --errors "$f" | sed -n '/^  miss\|^  false/,$p'
        fails=1
    fi
done
[ "$fails" -eq 0 ]
