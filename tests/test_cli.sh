#!/bin/sh
# test_cli.sh - the pokerface command as a user runs it: help on every
# subcommand, exit codes, the text, JSON and JSON-lines outputs, eval and
# bench on a small corpus written here. Run by `make check`.
set -u
BUILD=${BUILD:-build}
PF="$BUILD/pokerface"
T=$(mktemp -d "${TMPDIR:-/tmp}/pf-cli-XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
n=0

ok() { n=$((n + 1)); }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

# expect_exit CODE DESCRIPTION -- COMMAND...
expect_exit() {
    want=$1; what=$2; shift 3
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" = "$want" ]; then ok; else
        fail "$what: exit $got, want $want"; sed 's/^/    /' "$T/out" "$T/err"
    fi
}

# expect_in FILE TEXT DESCRIPTION
expect_in() {
    if grep -qF -- "$2" "$1"; then ok; else
        fail "$3: no '$2' in output"; sed 's/^/    /' "$1"
    fi
}

expect_not_in() {
    if grep -qF -- "$2" "$1"; then fail "$3: '$2' in output"; else ok; fi
}

# --- help and usage ---
expect_exit 0 "pokerface --help" -- "$PF" --help
expect_in "$T/out" "commands:" "top-level help"
for cmd in run check eval bench train keygen queue status web-login; do
    expect_exit 0 "$cmd --help" -- "$PF" "$cmd" --help
    expect_in "$T/out" "usage: pokerface $cmd" "$cmd help"
done
expect_exit 0 "--version" -- "$PF" --version
expect_in "$T/out" "plugin ABI 1.3" "version names the ABI"
expect_exit 2 "no command" -- "$PF"
expect_exit 2 "unknown command" -- "$PF" frobnicate
expect_in "$T/err" "unknown command 'frobnicate'" "unknown command message"
expect_exit 2 "unknown option" -- "$PF" check --frob x
expect_in "$T/err" "try 'pokerface check --help'" "usage hint"

# --- check: exit codes and the human report ---
expect_exit 0 "a clean reply passes" -- "$PF" check "Your order ships today, thanks!"
expect_in "$T/out" "pass" "pass printed"
expect_exit 1 "backstage talk is held" -- "$PF" check tell the idiot the refund went out
expect_in "$T/out" "hold" "hold printed"
expect_in "$T/out" "backstage.derogatory" "label printed"
expect_in "$T/out" " the [[idiot]] the refund" "offending word highlighted"
expect_not_in "$T/out" "$(printf '\033')" "no colour when not a terminal"
printf 'PEBKAC again, closing\n' >"$T/msg"
expect_exit 1 "message from stdin" -- "$PF" check <"$T/msg"
expect_in "$T/out" "[[PEBKAC]]" "stdin message highlighted"
expect_exit 2 "invalid UTF-8 on stdin" -- sh -c "printf 'bad \377 byte' | \"$PF\" check"
expect_in "$T/err" "invalid UTF-8: byte 0xff at offset 4" "invalid UTF-8 named"
expect_in "$T/err" "the message was not checked" "not checked said"
expect_exit 0 "empty message" -- sh -c "printf '' | \"$PF\" check"
yes 'Your order ships on Monday, thank you for waiting.' | head -c 1000000 >"$T/big"
# checked, not refused: passed, or held when a slow build (ASan) makes a
# plugin overrun its budget on a megabyte
"$PF" check <"$T/big" >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ]; then ok; else
    fail "1 MB message: exit $rc, want 0 or 1"; sed 's/^/    /' "$T/err"
fi
expect_not_in "$T/err" "not checked" "a 1 MB message is checked"
head -c 2000000 /dev/zero | tr '\0' 'a' >"$T/huge"
expect_exit 2 "2 MB message" -- sh -c "\"$PF\" check <\"$T/huge\""
expect_in "$T/err" "message too large" "too large named"
expect_exit 0 "explain" -- "$PF" check --explain "I'm the idiot here, sorry"
expect_in "$T/out" "normalized: i'm the idiot here, sorry" "explain: normalized"
expect_in "$T/out" "cancelled: about the author" "explain: guard"
expect_in "$T/out" "score = sigmoid(" "explain: score"

# --- configuration errors ---
echo '{"plugins": ["bakstage"]}' >"$T/bad.json"
expect_exit 2 "unknown plugin" -- "$PF" check -c "$T/bad.json" hi
expect_in "$T/err" "plugins[0]: unknown plugin 'bakstage'" "config error names key"
echo '{"plugins": ["backstage"], "policy": {"hold_threshold": "x"}}' >"$T/bad.json"
expect_exit 2 "wrong type" -- "$PF" check -c "$T/bad.json" hi
expect_in "$T/err" "policy.hold_threshold: expected a number, got a string" "type error"
expect_exit 2 "missing config" -- "$PF" check -c "$T/none.json" hi
expect_in "$T/err" "none.json: no such file" "missing config named"

# --- check --json ---
expect_exit 1 "--json" -- "$PF" check --json "Hi [NAME], sorry!"
expect_in "$T/out" '{"action":"hold","score":0.9,"lang":"en","findings":[{"plugin":"example","label":"example.placeholder","score":0.9,"reason":"the reply still contains the placeholder \"[NAME]\"","spans":[[3,6]],"suggestion":"Fill it in with the real value before sending."}' "json result"

# --- check --jsonl ---
cat >"$T/in.jsonl" <<'JSONL'
{"id": 1, "text": "Kiitos, tilauksesi on matkalla!"}
{"id": "b", "text": "toi ääliö soitti taas"}
not json at all
{"id": 3}
{"id": [4], "text": "Hi [NAME]", "customer": "Where is my parcel?"}
{"id": 5, "text": "ok", "customer": 7}
JSONL
expect_exit 2 "--jsonl with bad lines" -- sh -c "\"$PF\" check --jsonl <\"$T/in.jsonl\""
if [ "$(wc -l <"$T/out")" -eq 6 ]; then ok; else fail "jsonl: one line per input"; cat "$T/out"; fi
expect_in "$T/out" '{"id":1,"action":"pass","score":0.0,"lang":"fi","findings":[]}' "jsonl pass"
expect_in "$T/out" '{"id":"b","action":"hold"' "jsonl hold"
expect_in "$T/out" '"spans":[[4,8]]' "jsonl spans in bytes (ääliö is 8)"
expect_in "$T/out" '{"id":null,"error":"stdin:3: invalid JSON' "jsonl bad line"
expect_in "$T/out" '{"id":3,"error":"stdin:4: missing \"text\""}' "jsonl missing text"
expect_in "$T/out" '{"id":[4],"action":"hold"' "jsonl id echoed as given"
expect_in "$T/out" '{"id":5,"error":"stdin:6: \"customer\" is not a string"}' "jsonl bad customer"
head -n 2 "$T/in.jsonl" >"$T/good.jsonl"
expect_exit 1 "--jsonl from a file, one held" -- "$PF" check --jsonl "$T/good.jsonl"
head -n 1 "$T/in.jsonl" >"$T/clean.jsonl"
expect_exit 0 "--jsonl all clean" -- "$PF" check --jsonl "$T/clean.jsonl"

# --- check --jsonl -j: a regular file in several processes ---
# 6,000 lines (about 180 KB: several chunks of at least 16 KB each) of
# every kind: clean, held, not JSON, no text, empty, CRLF with a bad
# customer, and a last line without its newline
awk 'BEGIN { for (i = 1; i <= 1000; i++) {
    printf "{\"id\":%d,\"text\":\"Your order ships today, thanks!\"}\n", i
    printf "{\"id\":\"h%d\",\"text\":\"tell the idiot the refund went out\"}\n", i
    print "{not json"
    printf "{\"id\":%d}\n", i
    print ""
    printf "{\"id\":[%d],\"text\":\"Hi there\",\"customer\":7}\r\n", i }
  printf "{\"id\":\"last\",\"text\":\"fine\"}" }' >"$T/mix.jsonl"
for j in 1 2 3; do
    expect_exit 2 "--jsonl -j $j with bad lines" -- "$PF" check --jsonl -j "$j" "$T/mix.jsonl"
    cp "$T/out" "$T/mix.$j"
done
if [ "$(wc -l <"$T/mix.1")" -eq 5001 ]; then ok; else fail "jsonl -j 1: one line per input"; fi
for j in 2 3; do
    if cmp -s "$T/mix.1" "$T/mix.$j"; then ok; else
        fail "--jsonl -j $j differs from -j 1"; diff "$T/mix.1" "$T/mix.$j" | head -n 5
    fi
done
# error lines carry their line number in the whole file
expect_in "$T/mix.3" '{"id":null,"error":"'"$T"'/mix.jsonl:5997: invalid JSON' "-j 3: global line numbers"
expect_in "$T/mix.3" '{"id":1000,"error":"'"$T"'/mix.jsonl:5998: missing \"text\""}' "-j 3: global line numbers (2)"
expect_in "$T/mix.3" '{"id":[1000],"error":"'"$T"'/mix.jsonl:6000: \"customer\" is not a string"}' "-j 3: CRLF line"
expect_in "$T/mix.3" '{"id":"last","action":"pass"' "-j 3: the last line without a newline"
# standard input redirected from the file is split the same way
expect_exit 2 "--jsonl -j 1 on stdin" -- sh -c "\"$PF\" check --jsonl -j 1 <\"$T/mix.jsonl\""
cp "$T/out" "$T/mix.stdin1"
expect_exit 2 "--jsonl -j 2 on stdin" -- sh -c "\"$PF\" check --jsonl -j 2 <\"$T/mix.jsonl\""
if cmp -s "$T/mix.stdin1" "$T/out"; then ok; else fail "--jsonl -j 2 on stdin differs from -j 1"; fi
expect_in "$T/out" '{"id":1000,"error":"stdin:5998: missing \"text\""}' "-j 2 on stdin: global line numbers"
# the exit status: 1 when something was held and nothing was wrong, 0
# when all passed
grep -v -e '^{not' -e '"id":[0-9]*}' -e 'customer' "$T/mix.jsonl" >"$T/held.jsonl"
grep -e '"id":[0-9]*,' "$T/mix.jsonl" >"$T/pass.jsonl"
for j in 1 2; do
    expect_exit 1 "--jsonl -j $j, some held" -- "$PF" check --jsonl -j "$j" "$T/held.jsonl"
    expect_exit 0 "--jsonl -j $j, all pass" -- "$PF" check --jsonl -j "$j" "$T/pass.jsonl" "$T/clean.jsonl"
done
mkdir "$T/adir"
for j in 1 2; do
    expect_exit 2 "--jsonl -j $j on a directory" -- "$PF" check --jsonl -j "$j" "$T/adir"
    expect_in "$T/err" "$T/adir: Is a directory" "--jsonl -j $j: a directory is named"
done
expect_exit 2 "--jobs 0" -- "$PF" check --jsonl -j 0 "$T/pass.jsonl"
expect_in "$T/err" "--jobs wants a number of processes from 1 to" "--jobs 0 refused"
expect_exit 2 "--jobs without --jsonl" -- "$PF" check -j 2 hello
expect_in "$T/err" "--jobs goes with --jsonl only" "--jobs needs --jsonl"
expect_exit 0 "check --help" -- "$PF" check --help
expect_in "$T/out" "-j, --jobs N" "--jobs in check --help"

# a pipe is answered line by line, while it stays open
mkfifo "$T/in.fifo"
"$PF" check --jsonl -j 2 <"$T/in.fifo" >"$T/stream.out" 2>"$T/stream.err" &
stream_pid=$!
exec 3>"$T/in.fifo"
echo '{"id":"first","text":"fine"}' >&3
i=0
while [ $i -lt 100 ] && ! grep -qs '"first"' "$T/stream.out"; do sleep 0.1; i=$((i + 1)); done
expect_in "$T/stream.out" '{"id":"first","action":"pass"' "a pipe is answered before it ends"
echo '{"id":"second","text":"fine"}' >&3
exec 3>&-
wait "$stream_pid"
expect_in "$T/stream.out" '{"id":"second","action":"pass"' "a pipe: the second line"

# workers that die: their lines are named and not printed, all the
# others are (a worker is replaced while lines are left), and the exit
# status is 2; each line's id is its number here, three lines crash
FIXDIR=$(cd "$BUILD/tests/plugins" && pwd)
printf '{"plugin_dir": "%s", "plugins": [{"name": "hazard", "config": {"crash_on": "CRASHME"}}]}\n' \
    "$FIXDIR" >"$T/hazard.json"
awk 'BEGIN { for (i = 1; i <= 4000; i++)
    printf "{\"id\":%d,\"text\":\"%s number %d\"}\n", i, i % 1500 == 500 ? "CRASHME" : "message", i }' >"$T/crash.jsonl"
expect_exit 2 "--jsonl -j 2, workers crash" -- "$PF" check -c "$T/hazard.json" --jsonl -j 2 "$T/crash.jsonl"
expect_in "$T/err" "$T/crash.jsonl: lines " "a crash: the file and its lines named"
expect_in "$T/err" "were not checked: the worker process was killed by signal 11" "a crash: why"
expect_not_in "$T/err" "no worker process was left" "a crash: the worker is replaced"
ranges=$(sed -n 's/.*crash\.jsonl: lines \([0-9]*\)-\([0-9]*\) were not checked.*/\1 \2/p' "$T/err" | tr '\n' ' ')
# every line outside the ranges, in order, none inside them, and each
# range holds a line that crashes
awk -v r="$ranges" 'BEGIN { k = split(r, b, " ")
    for (i = 1; i <= 4000; i++) {
        out = 1
        for (m = 1; m < k; m += 2) if (i >= b[m] && i <= b[m + 1]) out = 0
        if (out) printf "{\"id\":%d,\"action\":\"pass\",\"score\":0.0,\"lang\":\"und\",\"findings\":[]}\n", i
        else if (i % 1500 == 500) crashed++
    }
    print crashed >"/dev/stderr" }' >"$T/crash.want" 2>"$T/crash.n"
if [ "$(grep -c 'were not checked' "$T/err")" -eq 3 ] && [ "$(cat "$T/crash.n")" = 3 ] &&
    cmp -s "$T/crash.want" "$T/out"; then ok; else
    fail "a crash: the output is not every line but the ranges '$ranges'"; head -c 300 "$T/out"; cat "$T/err"
fi

# a worker killed from outside while it checks (one that never returns):
# the same, with the signal named
printf '{"plugin_dir": "%s", "plugins": [{"name": "hazard", "config": {"loop_on": "LOOPME"}}]}\n' \
    "$FIXDIR" >"$T/loop.json"
sed 's/CRASHME/message/; 2000s/message/LOOPME/' "$T/crash.jsonl" >"$T/loop.jsonl"
"$PF" check -c "$T/loop.json" --jsonl -j 2 "$T/loop.jsonl" >"$T/out" 2>"$T/err" &
pf_pid=$!
# the worker that loops is the one left, the same for a while
hung=
i=0
while [ $i -lt 300 ]; do
    kids=$(cat "/proc/$pf_pid/task/$pf_pid/children" 2>/dev/null)
    if [ "$(echo $kids | wc -w)" -eq 1 ] && [ "$kids" = "$hung" ]; then break; fi
    hung=
    [ "$(echo $kids | wc -w)" -eq 1 ] && hung=$kids
    sleep 0.2
    i=$((i + 1))
done
[ -n "$hung" ] && kill -KILL $hung
wait "$pf_pid"
rc=$?
if [ "$rc" = 2 ]; then ok; else fail "--jsonl -j 2, a worker killed: exit $rc, want 2"; fi
expect_in "$T/err" "were not checked: the worker process was killed by signal 9" "a worker killed: why"
if grep -q '"id":1,' "$T/out" && grep -q '"id":4000,' "$T/out" && ! grep -q '"id":2000,' "$T/out"; then ok
else fail "a worker killed: the lines before and after it are not all there"; fi

# --- eval ---
cat >"$T/corpus.jsonl" <<'JSONL'
{"id": "e1", "label": "hold", "category": "slang", "text": "layer 8 problem, closing"}
{"id": "e2", "label": "hold", "category": "venting", "text": "en jaksa enää tätä päivää"}
{"id": "e3", "label": "pass", "category": "normal", "text": "Your refund was sent today."}
{"id": "e4", "label": "pass", "category": "normal", "text": "Kiitos, hyvää viikonloppua!"}
JSONL
expect_exit 0 "eval" -- "$PF" eval "$T/corpus.jsonl"
expect_in "$T/out" "hold recall 1.000  precision 1.000  false-hold rate 0.000" "eval summary"
expect_in "$T/out" "slang" "eval per category"
expect_exit 0 "eval --json" -- "$PF" eval --json "$T/corpus.jsonl"
expect_in "$T/out" '"recall": 1.0' "eval json recall"
# options after the file, as the README writes them
expect_exit 0 "eval FILE --json" -- "$PF" eval "$T/corpus.jsonl" --json
expect_in "$T/out" '"recall": 1.0' "eval FILE --json is JSON"
cat >"$T/conv.jsonl" <<'JSONL'
{"id": "c1", "customer": "Where is [my] order?", "reply": "Hi [NAME], it ships today", "expect": ["placeholder"]}
{"id": "c2", "customer": "Thanks!", "reply": "You're welcome!", "expect": ["none"]}
JSONL
expect_exit 0 "eval conversations" -- "$PF" eval "$T/conv.jsonl"
expect_in "$T/out" "2 conversations" "eval conversations counted"
expect_in "$T/out" "placeholder" "eval conversation label"
expect_exit 2 "eval without files" -- "$PF" eval

# --- bench ---
expect_exit 0 "bench" -- "$PF" bench -n 300 "$T/corpus.jsonl"
expect_in "$T/out" "messages/s" "bench throughput"
expect_in "$T/out" "backstage  p50" "bench per plugin"
expect_exit 0 "bench --json" -- "$PF" bench --json -n 100 "$T/corpus.jsonl"
expect_in "$T/out" '"messages_per_second":' "bench json"
expect_exit 0 "bench FILE -n N" -- "$PF" bench "$T/corpus.jsonl" -n 100 --json
expect_in "$T/out" '"checks": 100' "bench FILE -n N checks N messages"
expect_exit 0 "bench FILE FILE" -- "$PF" bench -n 50 --json "$T/corpus.jsonl" "$T/corpus.jsonl"
expect_in "$T/out" '"file": "2 files"' "bench reads several files as one corpus"
expect_exit 2 "bench with a file that is not there" -- "$PF" bench -n 50 "$T/corpus.jsonl" "$T/nope.jsonl"
expect_in "$T/err" "nope.jsonl: No such file or directory" "bench names the missing file"
expect_exit 2 "bench bad -n" -- "$PF" bench -n zero "$T/corpus.jsonl"
expect_exit 0 "bench --isolated" -- "$PF" bench --isolated -n 300 "$T/corpus.jsonl"
expect_in "$T/out" "backstage  p50" "bench --isolated per plugin"
expect_in "$T/err" "plugins started in a worker process" "bench --isolated uses a worker"

# --- run: what it refuses before connecting ---
expect_exit 2 "run without -c" -- "$PF" run
expect_in "$T/err" "-c CONFIG is required" "run needs a config"
printf '{"plugins": ["backstage"]}\n' >"$T/noconn.json"
expect_exit 2 "run without a connector" -- "$PF" run -c "$T/noconn.json"
expect_in "$T/err" 'no "connector"' "run names the missing connector"
cat >"$T/run.json" <<JSON
{"plugins": ["backstage"], "state_dir": "st",
 "connector": {"type": "xmpp", "url": "ws://127.0.0.1:9/xmpp-websocket",
   "jid": "bot@localhost", "password_env": "PF_TEST_UNSET_PW"},
 "routes": [{"name": "r", "customer_room": "c@conference.localhost",
   "internal_room": "i@conference.localhost"}]}
JSON
expect_exit 2 "run without a journal key" -- "$PF" run -c "$T/run.json"
expect_in "$T/err" "create one with 'pokerface keygen $T/st/journal.key'" "run says how to make the key"
"$PF" keygen "$T/st/journal.key" >/dev/null
chmod 644 "$T/st/journal.key"
expect_exit 2 "run with a readable journal key" -- "$PF" run -c "$T/run.json"
expect_in "$T/err" "chmod 600" "run refuses a 0644 key"
chmod 600 "$T/st/journal.key"

# --- queue and status: what they say with no bot running ---
expect_exit 2 "queue list with no bot" -- "$PF" queue -c "$T/run.json" list
expect_in "$T/err" "pokerface is not running with this configuration" "queue says the bot is not running"
expect_exit 2 "status with no bot" -- "$PF" status -c "$T/run.json"
expect_in "$T/err" "$T/st/control.sock" "status names the socket"
expect_exit 2 "queue without a command" -- "$PF" queue -c "$T/run.json"
expect_in "$T/err" "which command?" "queue asks which command"
expect_exit 2 "queue send without a number" -- "$PF" queue -c "$T/run.json" send
expect_exit 2 "queue send a non-number" -- "$PF" queue -c "$T/run.json" send x7
expect_in "$T/err" "'x7' is not a hold number" "queue names a bad number"
expect_exit 2 "queue --text for send" -- "$PF" queue -c "$T/run.json" --text hi send 3
# --- queue history: read from the state directory, no bot needed ---
expect_exit 0 "queue history with none yet" -- "$PF" queue -c "$T/run.json" history
expect_in "$T/out" "No holds in the history." "an empty history says so"
expect_exit 0 "queue history --json with none yet" -- "$PF" queue -c "$T/run.json" history --json
expect_in "$T/out" "[]" "an empty history is an empty array"
expect_exit 2 "queue history --since nonsense" -- "$PF" queue -c "$T/run.json" history --since soon
expect_in "$T/err" "--since 'soon' is not a time" "a bad --since is named"
expect_exit 2 "history filters on list" -- "$PF" queue -c "$T/run.json" --author aino list
expect_in "$T/err" "are for history" "filters belong to history"
expect_exit 2 "queue history with an argument" -- "$PF" queue -c "$T/run.json" history 3
chmod 644 "$T/st/journal.key"
expect_exit 2 "queue history with a readable key" -- "$PF" queue -c "$T/run.json" history
expect_in "$T/err" "chmod 600" "history refuses a 0644 key"
chmod 600 "$T/st/journal.key"
printf 'not a journal at all, not at all' >"$T/st/history"
expect_exit 2 "queue history of a file that is no history" -- "$PF" queue -c "$T/run.json" history
expect_in "$T/err" "is not a pokerface journal" "a foreign file is named"
rm -f "$T/st/history"
expect_exit 2 "run with the password variable unset" -- \
    env -u PF_TEST_UNSET_PW "$PF" run -c "$T/run.json"
expect_in "$T/err" "environment variable 'PF_TEST_UNSET_PW'" "run names the variable"
printf 's3cret-pw\n' >"$T/pw"
chmod 644 "$T/pw"
sed 's/"password_env": "PF_TEST_UNSET_PW"/"password_file": "pw"/' "$T/run.json" >"$T/run2.json"
expect_exit 2 "run with a readable password file" -- "$PF" run -c "$T/run2.json"
expect_in "$T/err" "can be read by others (mode 644)" "run refuses a 0644 password file"
sed 's/"password_env": "PF_TEST_UNSET_PW", *//; s/"jid"/"password": "x", "jid"/' "$T/run.json" >"$T/run3.json"
expect_exit 2 "a password in the config" -- "$PF" run -c "$T/run3.json"
expect_in "$T/err" "connector.password: the password never goes in the configuration" "the config may not hold the password"
# a systemd credential (LoadCredential=password:FILE): the file of that
# name in $CREDENTIALS_DIRECTORY, which only systemd sets
sed 's/"password_env": "PF_TEST_UNSET_PW"/"password_credential": "password"/' "$T/run.json" >"$T/run6.json"
expect_exit 2 "run with a credential outside systemd" -- \
    env -u CREDENTIALS_DIRECTORY "$PF" run -c "$T/run6.json"
expect_in "$T/err" "credential 'password' (connector.password_credential): CREDENTIALS_DIRECTORY is not set" "run says where a credential comes from"
mkdir -p "$T/creds"
expect_exit 2 "run with a credential that is not there" -- \
    env CREDENTIALS_DIRECTORY="$T/creds" "$PF" run -c "$T/run6.json"
expect_in "$T/err" "password credential '$T/creds/password': No such file" "run names the missing credential"
printf 's3cret-pw\n' >"$T/creds/password"
chmod 604 "$T/creds/password"
expect_exit 2 "run with a credential others can read" -- \
    env CREDENTIALS_DIRECTORY="$T/creds" "$PF" run -c "$T/run6.json"
expect_in "$T/err" "can be read by others (mode 604)" "run refuses a credential others can read"
# a plugin's create() and its config keys are checked in the worker
# process the plugins run in; its error stops run, naming the key
sed 's/"plugins": \["backstage"\]/"plugins": [{"name": "backstage", "config": {"extra_lexicon": []}}]/' \
    "$T/run.json" >"$T/run5.json"
expect_exit 2 "run with a typo in a plugin's config" -- \
    env PF_TEST_UNSET_PW=pw "$PF" run -c "$T/run5.json"
expect_in "$T/err" "plugins[0].config.extra_lexicon: unknown key for plugin 'backstage' (did you mean 'extra_lexicons'?)" "run names the plugin's key"
sed 's/"c@conference.localhost"/"i@conference.localhost"/' "$T/run.json" >"$T/run4.json"
expect_exit 2 "a room that is both" -- "$PF" run -c "$T/run4.json"
expect_in "$T/err" "routes[0]" "the route is named"

# --- a Mattermost connector: the token's place, the URL, the example ---
cat >"$T/mm.json" <<JSON
{"plugins": ["backstage"], "state_dir": "st",
 "connector": {"type": "mattermost", "url": "http://127.0.0.1:9",
   "token_env": "PF_TEST_UNSET_TOKEN"},
 "routes": [{"name": "r", "customer_room": "support/customer",
   "internal_room": "support/team"}]}
JSON
expect_exit 2 "run with the token variable unset" -- \
    env -u PF_TEST_UNSET_TOKEN "$PF" run -c "$T/mm.json"
expect_in "$T/err" "environment variable 'PF_TEST_UNSET_TOKEN' (connector.token_env) is not set" "run names the token variable"
sed 's/"token_env": "PF_TEST_UNSET_TOKEN"/"token": "x"/' "$T/mm.json" >"$T/mm2.json"
expect_exit 2 "a token in the config" -- "$PF" run -c "$T/mm2.json"
expect_in "$T/err" "connector.token: the token never goes in the configuration" "the config may not hold the token"
sed 's|"http://127.0.0.1:9"|"ws://127.0.0.1:9"|' "$T/mm.json" >"$T/mm3.json"
expect_exit 2 "a ws:// Mattermost URL" -- "$PF" run -c "$T/mm3.json"
expect_in "$T/err" "is not an http:// or https:// URL" "the URL's scheme is checked"
expect_exit 0 "the Mattermost example config loads" -- \
    "$PF" check -c config/pokerface.mattermost.json "Kiitos, tilauksesi on matkalla!"
expect_in "$T/out" "pass" "the Mattermost example passes a polite reply"

# --- a Slack connector: two tokens, each from its place; the example ---
cat >"$T/sl.json" <<JSON
{"plugins": ["backstage"], "state_dir": "st",
 "connector": {"type": "slack", "api_url": "http://127.0.0.1:9/api",
   "bot_token_env": "PF_TEST_SLACK_BOT", "app_token_env": "PF_TEST_UNSET_APP"},
 "routes": [{"name": "r", "customer_room": "acme-customer",
   "internal_room": "C0TEAM0001"}]}
JSON
expect_exit 2 "run with the bot token variable unset" -- \
    env -u PF_TEST_SLACK_BOT "$PF" run -c "$T/sl.json"
expect_in "$T/err" "environment variable 'PF_TEST_SLACK_BOT' (connector.bot_token_env) is not set" "run names the bot token's variable"
expect_exit 2 "run with the app-level token variable unset" -- \
    env -u PF_TEST_UNSET_APP PF_TEST_SLACK_BOT=xoxb-1 "$PF" run -c "$T/sl.json"
expect_in "$T/err" "environment variable 'PF_TEST_UNSET_APP' (connector.app_token_env) is not set" "run names the app-level token's variable"
sed 's/"app_token_env": "PF_TEST_UNSET_APP"/"app_token": "xapp-1"/' "$T/sl.json" >"$T/sl2.json"
expect_exit 2 "an app-level token in the config" -- "$PF" run -c "$T/sl2.json"
expect_in "$T/err" "connector.app_token: the token never goes in the configuration" "the config may not hold the app-level token"
expect_exit 0 "the Slack example config loads" -- \
    "$PF" check -c config/pokerface.slack.json "Kiitos, tilauksesi on matkalla!"
expect_in "$T/out" "pass" "the Slack example passes a polite reply"

# --- train: deterministic, measured, and strict about its input ---
TR=config/training
expect_exit 0 "train" -- "$PF" train -o "$T/a.model" $TR/*.jsonl
expect_in "$T/out" "trained on " "train says what it fitted"
expect_exit 0 "train again" -- "$PF" train -o "$T/b.model" $TR/*.jsonl
if cmp -s "$T/a.model" "$T/b.model"; then ok; else fail "train is not deterministic"; fi
expect_exit 0 "train with another seed" -- "$PF" train --seed 7 -o "$T/c.model" $TR/*.jsonl
if cmp -s "$T/a.model" "$T/c.model"; then fail "--seed changed nothing"; else ok; fi
cat >"$T/learned.json" <<JSON
{"plugins": [{"name": "learned", "config": {"model": "a.model"}}]}
JSON
expect_exit 1 "check with the trained model" -- "$PF" check -c "$T/learned.json" --jsonl <<'EOF2'
{"id": 1, "text": "guess who is calling again, our favourite genius"}
EOF2
expect_in "$T/out" '"learned.backstage"' "the trained model finds a remark"
expect_exit 0 "cross-validation" -- "$PF" train --cv 4 $TR/*.jsonl
expect_in "$T/out" "4-fold cross-validation" "--cv names the folds"
expect_in "$T/out" "false-alarm rate" "--cv reports false alarms"
expect_not_in "$T/out" "nan" "--cv numbers are numbers"
printf '{"text": "fine", "label": "pass"}\n{"text": "x", "label": "maybe"}\n' >"$T/bad.jsonl"
expect_exit 2 "train on a bad label" -- "$PF" train -o "$T/d.model" "$T/bad.jsonl"
expect_in "$T/err" "bad.jsonl:2:" "train names the bad line"
if [ -e "$T/d.model" ]; then fail "a failed train wrote a model"; else ok; fi
printf '{"text": "hi there, all done", "label": "hold", "segment": "not in it"}\n' >"$T/badseg.jsonl"
expect_exit 2 "train on a segment that is not in the text" -- "$PF" train -o "$T/d.model" "$T/badseg.jsonl"
expect_in "$T/err" 'badseg.jsonl:1: "segment" is not a part of "text"' "the bad segment is named"
expect_exit 0 "train reports its operating point" -- "$PF" train -o "$T/e.model" $TR/messages.seed.jsonl $TR/messages.t1.jsonl
expect_in "$T/out" "holds from 0." "the operating point is said"
expect_exit 2 "train with no output" -- "$PF" train $TR/*.jsonl
expect_exit 2 "train --cv 1" -- "$PF" train --cv 1 $TR/*.jsonl

# --- eval --loso: each source measured by a model that never saw it ---
# source "odd" says its backstage remarks in words no other source has
# ("zqvx ploorg"): left out, the model cannot know them (had it seen
# them, it would hold every one)
mkdir -p "$T/loso"
head -n 150 $TR/messages.t1.jsonl >"$T/loso/messages.one.jsonl"
head -n 150 $TR/messages.t2.jsonl >"$T/loso/messages.two.jsonl"
head -n 20 $TR/conversations.t2.jsonl >"$T/loso/conversations.two.jsonl"
i=0
while [ $i -lt 30 ]; do
    printf '{"id": "o%d", "label": "hold", "category": "odd", "text": "zqvx ploorg %d fnarp"}\n' $i $i
    printf '{"id": "p%d", "label": "pass", "category": "normal", "text": "Your order %d ships on Monday."}\n' $i $i
    i=$((i + 1))
done >"$T/loso/messages.odd.jsonl"
expect_exit 0 "eval --loso" -- "$PF" eval --loso "$T"/loso/*.jsonl
expect_in "$T/out" "== odd left out: model trained on 300 messages of the other sources" "the left-out source is not trained on"
expect_in "$T/out" "leave one source out:" "--loso summary"
expect_in "$T/out" "  worst: recall" "--loso worst"
odd=$(awk '$1 == "odd" && NF >= 4 { print $3 }' "$T/out")
if awk -v r="$odd" 'BEGIN { exit !(r != "" && r + 0 < 0.5) }'; then ok; else
    fail "eval --loso: the left-out source's unseen words were held (recall '$odd')"
fi
expect_in "$T/out" "unanswered_questions" "--loso measures the conversations of a source too"
expect_exit 0 "eval --loso --measure" -- "$PF" eval --loso --measure odd --json "$T"/loso/*.jsonl
expect_in "$T/out" '"source": "odd"' "--measure leaves out the one named"
expect_not_in "$T/out" '"source": "one"' "--measure leaves out only the one named"
expect_exit 2 "--measure without --loso" -- "$PF" eval --measure odd "$T"/loso/messages.odd.jsonl

# --- a plugin's bad setting names the plugin and the key ---
printf '{"plugins": [{"name": "echo", "config": {"min_share": 7}}]}\n' >"$T/badecho.json"
expect_exit 2 "echo with a bad setting" -- "$PF" check -c "$T/badecho.json" hi
expect_in "$T/err" "plugin 'echo'" "the plugin is named"
expect_in "$T/err" "config.min_share: expected a number from 0.05 to 1" "the key is named"
printf '{"plugins": [{"name": "learned", "config": {"rate": "fast"}}]}\n' >"$T/badlearned.json"
expect_exit 2 "learned with a bad setting" -- "$PF" check -c "$T/badlearned.json" hi
expect_in "$T/err" "config.rate: expected a number from 0 to 1" "the key is named"

# --- keygen: a 0600 key, never overwritten ---
expect_exit 0 "keygen" -- "$PF" keygen "$T/journal.key"
if [ "$(stat -c %a "$T/journal.key")" = 600 ]; then ok; else fail "keygen: mode $(stat -c %a "$T/journal.key")"; fi
if [ "$(tr -d '\n' <"$T/journal.key" | wc -c)" = 64 ]; then ok; else fail "keygen: not 64 hex digits"; fi
cp "$T/journal.key" "$T/key.before"
expect_exit 2 "keygen over an existing key" -- "$PF" keygen "$T/journal.key"
expect_in "$T/err" "never overwritten" "keygen says why"
if cmp -s "$T/journal.key" "$T/key.before"; then ok; else fail "keygen overwrote a key"; fi
expect_exit 0 "keygen --if-missing over an existing key" -- "$PF" keygen --if-missing "$T/journal.key"
expect_in "$T/out" "kept the key in $T/journal.key" "keygen --if-missing says it kept the key"
if cmp -s "$T/journal.key" "$T/key.before"; then ok; else fail "keygen --if-missing overwrote a key"; fi
# a fresh account: the key's directory does not exist yet
expect_exit 0 "keygen into a directory that is not there" -- "$PF" keygen "$T/fresh/state/pokerface/journal.key"
if [ "$(stat -c %a "$T/fresh/state/pokerface")" = 700 ] && [ "$(stat -c %a "$T/fresh/state")" = 700 ] &&
    [ "$(stat -c %a "$T/fresh/state/pokerface/journal.key")" = 600 ]; then ok
else fail "keygen: the directories it made are not 0700"; fi
: >"$T/notadir"
expect_exit 2 "keygen under a file" -- "$PF" keygen "$T/notadir/journal.key"
expect_in "$T/err" "notadir/journal.key': Not a directory" "keygen says what is in the way"
expect_exit 2 "keygen without a file" -- "$PF" keygen

echo "test_cli.sh: $((n - fails))/$n passed"
[ "$fails" -eq 0 ]
