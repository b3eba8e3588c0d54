#!/bin/sh
# test_quality.sh - how well the shipped rules hold backstage talk that
# nothing was fitted on, and that ordinary replies always pass.
#
# 1. Leave one source out (pokerface eval --loso) over every labelled
#    source in config/training/: for each source, the learned model is
#    trained on all the others and the rules are measured on it. Bars per
#    source: hold recall, false-hold rate, and F1 of each coaching label.
#    The bars sit a little under what the sources reach today, so a change
#    that makes detection worse on text it was not fitted on fails here.
#    (The dev source shaped the word lists long ago, so its figures are
#    optimistic; it is held to the same bars anyway.)
# 2. Short ordinary replies are never held, with the example configuration
#    and with one that only lists the plugins.
set -u
BUILD=${BUILD:-build}
PF="$BUILD/pokerface"
# the three shared sources: issue 13's bars, 0.85 at 3% on the worst
# (travel 0.867 and dev 0.021 today); the others are batches written for training, some of them on purpose the
# hardest kinds (t11, t12: sarcasm and in-jokes), held to a lower bar
SHARED="dev travel saas-trades"
MIN_RECALL_SHARED=0.85
MAX_FALSE_HOLD_SHARED=0.03
MIN_RECALL=0.70
MAX_FALSE_HOLD=0.075
# coaching: the lowest label on any source left out; issue 13 asks F1
# 0.80 for each label on the worst (missing_apology on saas-trades,
# 0.815, is the lowest today)
MIN_F1=0.80
fails=0
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

"$PF" eval --loso config/training/*.jsonl >"$T/loso.txt" 2>"$T/loso.err" || {
    echo "FAIL: pokerface eval --loso: $(cat "$T/loso.err")"
    exit 1
}
# the summary's rows: SOURCE MSGS RECALL FHR [LABEL F1]... -> one line per
# source: NAME RECALL FHR LOWEST_F1 ITS_LABEL ("-" where there is none)
awk '/^leave one source out/ { on = 1; getline; next }
     /^  worst:/ { on = 0 }
     on && NF >= 4 {
         low = "-"; lab = "-"
         for (i = 5; i + 1 <= NF; i += 2)
             if (low == "-" || $(i + 1) + 0 < low + 0) { low = $(i + 1); lab = $i }
         print $1, $3, $4, low, lab
     }' "$T/loso.txt" >"$T/folds"
while read -r src recall fhr f1 label; do
    mr=$MIN_RECALL mf=$MAX_FALSE_HOLD
    case " $SHARED " in *" $src "*) mr=$MIN_RECALL_SHARED mf=$MAX_FALSE_HOLD_SHARED ;; esac
    line="test_quality.sh: $src left out: recall $recall, false-hold rate $fhr, lowest coaching F1 $f1 ($label)"
    bad=$(awk -v r="$recall" -v f="$fhr" -v c="$f1" -v mr="$mr" \
        -v mf="$mf" -v mc="$MIN_F1" 'BEGIN {
            if (r != "-" && r + 0 < mr) printf "recall %s < %s; ", r, mr
            if (f != "-" && f + 0 > mf) printf "false-hold rate %s > %s; ", f, mf
            if (c != "-" && c + 0 < mc) printf "coaching F1 %s < %s; ", c, mc
        }')
    if [ -n "$bad" ]; then
        echo "FAIL: $src left out: $bad"
        fails=1
    else
        echo "$line"
    fi
done <"$T/folds"
[ -s "$T/folds" ] || { echo "FAIL: no source measured"; fails=1; }

# short ordinary replies: never held, whatever the configuration
printf '{"plugins": ["example", "backstage", "learned", "echo", "coach"]}\n' >"$T/minimal.json"
held=0
while IFS= read -r reply; do
    for cfg in "" "$T/minimal.json"; do
        if [ -n "$cfg" ]; then
            "$PF" check -c "$cfg" "$reply" >"$T/out" 2>&1
        else
            "$PF" check "$reply" >"$T/out" 2>&1
        fi
        rc=$?
        if [ "$rc" -ne 0 ]; then
            echo "FAIL: '$reply' is not passed (${cfg:-example config}): $(head -n 3 "$T/out")"
            held=$((held + 1))
        fi
    done
done <<'EOF'
ok
OK!
kiitos!
Kiitos paljon!
thanks, done
Thanks!
thank you :)
👍
👍👍
done ✅
hoidettu
Selvä, kiitos!
sure thing
no problem
Ei hätää!
Have a nice day!
Hyvää päivänjatkoa!
I'll check and get back to you.
Tarkistan asian ja palaan pian.
Sorry for the wait!
Pahoittelut viiveestä!
You're welcome 😊
Ole hyvä!
Yes, it's on its way.
Kyllä, se on matkalla.
EOF
[ "$held" -eq 0 ] && echo "test_quality.sh: 25 short ordinary replies pass with both configurations"
[ "$held" -eq 0 ] || fails=1
[ "$fails" -eq 0 ]
