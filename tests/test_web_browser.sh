#!/bin/sh
# test_web_browser.sh - the review page in a real browser: starts a
# Prosody on loopback (tests/prosody.sh) with a supervisor, two agents and
# a customer, and pokerface with its web listener on a free loopback port;
# then tests/web_browser.mjs drives Debian's Chromium (headless, with
# playwright-core from tests/node_modules) through the page as they would
# use it. Fails when the script fails. The screenshots it takes of the
# queue, the history and the statistics stay in $BUILD/tests/screenshots/.
# Run by `make check`.
set -u
BUILD=${BUILD:-build}
SRC=$(cd "$(dirname "$0")/.." && pwd)
CHROMIUM=${CHROMIUM:-$(command -v chromium)}
if [ ! -d "$SRC/tests/node_modules/playwright-core" ] || [ ! -d "$SRC/tests/node_modules/ws" ]; then
    echo "test_web_browser.sh: tests/node_modules has no playwright-core: run make deps" >&2
    exit 1
fi
if [ -z "$CHROMIUM" ] || [ ! -x "$CHROMIUM" ]; then
    echo "test_web_browser.sh: no chromium: run make deps" >&2
    exit 1
fi
command -v node >/dev/null || {
    echo "test_web_browser.sh: no node: run make deps" >&2
    exit 1
}
case $BUILD in /*) ABS_BUILD=$BUILD ;; *) ABS_BUILD=$SRC/$BUILD ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/pf-web-XXXXXX")
BOT=
cleanup() {
    [ -n "$BOT" ] && kill "$BOT" 2>/dev/null && wait "$BOT" 2>/dev/null
    bash "$SRC/tests/prosody.sh" stop "$T/prosody" >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pw() { head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 10; }
BOT_PW=$(pw) SANNA_PW=$(pw) AINO_PW=$(pw) VILLE_PW=$(pw) KALLE_PW=$(pw)
export SANNA_PW AINO_PW VILLE_PW KALLE_PW
PROSODY_LOCKED_ROOMS=1 bash "$SRC/tests/prosody.sh" start "$T/prosody" \
    "bot:$BOT_PW" "sanna:$SANNA_PW" "aino:$AINO_PW" "ville:$VILLE_PW" \
    "kalle:$KALLE_PW" >"$T/prosody.out" 2>&1 || {
    echo "FAIL: Prosody did not start" >&2
    cat "$T/prosody.out" >&2
    exit 1
}
WS_URL=$(cat "$T/prosody/ws_url")

# a free port below the ephemeral range, as tests/prosody.sh picks them
# (one that is taken by the time the bot binds it: another, up to 5 times)
free_port() {
    node -e '
const net = require("net");
(function next(n) {
  const p = 20000 + Math.floor(Math.random() * 12000), s = net.createServer();
  s.once("error", () => (n ? next(n - 1) : process.exit(1)));
  s.listen(p, "127.0.0.1", () => s.close(() => console.log(p)));
})(200);'
}

umask 077
printf '%s\n' "$BOT_PW" >"$T/bot.password"
mkdir "$T/state"
"$BUILD/pokerface" keygen "$T/state/journal.key" >/dev/null || exit 1
start_bot() {
    PORT=$(free_port) || { echo "FAIL: no free port" >&2; exit 1; }
    WEB="http://127.0.0.1:$PORT"
    cat >"$T/pokerface.json" <<JSON
{
  "plugins": ["example", "backstage"],
  "policy": {"labels": {"backstage.derogatory": {"hold": 0.5},
                        "backstage.profanity": "block"}},
  "connector": {"type": "xmpp", "url": "$WS_URL", "jid": "bot@localhost",
                "password_file": "bot.password", "nick": "pokerface"},
  "routes": [{"name": "support",
              "customer_room": "asiakas@conference.localhost",
              "internal_room": "tiimi@conference.localhost"}],
  "supervisors": ["sanna@localhost"],
  "hold_ttl_s": 900,
  "state_dir": "state",
  "web": {"listen": "127.0.0.1:$PORT", "url": "$WEB", "link_ttl_s": $LINK_TTL}
}
JSON
    : >"$T/bot.log"
    "$BUILD/pokerface" run -c "$T/pokerface.json" 2>"$T/bot.log" &
    BOT=$!
    for _ in $(seq 1 500); do
        grep -q "chat ready" "$T/bot.log" && return 0
        kill -0 "$BOT" 2>/dev/null || break
        sleep 0.04
    done
    wait "$BOT" 2>/dev/null
    BOT=
    return 1
}
run_bot() {
    tries=0
    until start_bot; do
        tries=$((tries + 1))
        if ! grep -q "web: cannot listen" "$T/bot.log" || [ $tries -ge 5 ]; then
            echo "FAIL: pokerface did not start; its log:" >&2
            sed 's/^/    /' "$T/bot.log" >&2
            exit 1
        fi
    done
}

SHOTS="$ABS_BUILD/tests/screenshots"
rm -rf "$SHOTS"
# drive PHASE: the browser script's part, against the bot as it runs now;
# then the bot is stopped and must exit cleanly
drive() {
    rc=0
    PHASE=$1 WS_URL=$WS_URL WEB=$WEB PF="$ABS_BUILD/pokerface" \
        CONFIG="$T/pokerface.json" SHOTS="$SHOTS" BOTLOG="$T/bot.log" \
        CHROMIUM="$CHROMIUM" node "$SRC/tests/web_browser.mjs" >>"$T/node.out" 2>&1 || rc=1
    kill -TERM "$BOT"
    wait "$BOT"
    st=$?
    if [ $st -ne 0 ]; then
        echo "FAIL: pokerface exited with $st at SIGTERM; its log ends:" >&2
        tail -n 40 "$T/bot.log" | sed 's/^/    /' >&2
        rc=1
    fi
    BOT=
    if [ $rc -ne 0 ]; then
        echo "FAIL: the review page in Chromium ($1):" >&2
        sed 's/^/    /' "$T/node.out" >&2
        exit 1
    fi
}
: >"$T/node.out"
# links live 10 minutes, as by default
LINK_TTL=600
run_bot
drive main
# and then one second, so that one expires while the test waits
LINK_TTL=1
run_bot
drive expired
grep '^screenshot: ' "$T/node.out"
echo "test_web_browser.sh: $(grep -c '^ok: ' "$T/node.out") steps passed in Chromium"
