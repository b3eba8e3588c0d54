#!/bin/bash
# demo.sh - `make demo`: pokerface for real, on a throwaway Prosody XMPP
# server on this machine. Installs what is missing (make deps), starts
# Prosody with an agent, a supervisor and a customer account, starts
# pokerface, plays a short conversation (tests/demo.c) and then keeps
# running, so that you can join with any XMPP client, until Ctrl-C.
# Everything it made is removed when it stops.
#
#   DEMO_EXIT=1      stop after the conversation (tests/test_demo.sh)
#   DEMO_FAST=1      no pauses between the lines
#   DEMO_NO_BUILD=1  neither install nor build (make check built it)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
cd "$SRC"

if [ -z "${DEMO_NO_BUILD:-}" ]; then
sh tests/needs.sh
echo "== building"
make -s BUILD="$BUILD" all "$BUILD/tests/demo_chat"
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/pokerface-demo-XXXXXX")
BOT_PID=
cleanup() {
    trap - EXIT INT TERM
    [ -n "$BOT_PID" ] && kill "$BOT_PID" 2>/dev/null && wait "$BOT_PID" 2>/dev/null
    jobs -p | xargs -r kill 2>/dev/null || true
    bash "$SRC/tests/prosody.sh" stop "$T/prosody" || true
    rm -rf "$T"
    echo "== demo stopped; its server, accounts and files are gone"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pw() { head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 10; }
BOT_PW=$(pw) AINO_PW=$(pw) SANNA_PW=$(pw) KALLE_PW=$(pw)

echo "== starting Prosody on 127.0.0.1"
PROSODY_LOCKED_ROOMS=1 bash tests/prosody.sh start "$T/prosody" "bot:$BOT_PW" "aino:$AINO_PW" \
    "sanna:$SANNA_PW" "kalle:$KALLE_PW"
URL=$(cat "$T/prosody/ws_url")
C2S=$(cat "$T/prosody/c2s_port")

umask 077
printf '%s\n' "$BOT_PW" >"$T/bot.password"
cat >"$T/pokerface.json" <<JSON
{
  "plugins": ["example", "backstage", "coach"],
  "policy": {
    "labels": {
      "backstage.derogatory": {"hold": 0.5},
      "backstage.profanity": "hold",
      "missing_apology": "note", "unanswered_questions": "note",
      "emoji_overuse": "note", "condescension": "note"
    }
  },
  "connector": {
    "type": "xmpp", "url": "$URL", "jid": "bot@localhost",
    "password_file": "bot.password", "nick": "pokerface"
  },
  "routes": [{
    "name": "demo",
    "customer_room": "asiakas-demo@conference.localhost",
    "internal_room": "tiimi-demo@conference.localhost"
  }],
  "supervisors": ["sanna@localhost"],
  "hold_ttl_s": 900,
  "state_dir": "state"
}
JSON
mkdir -m 700 "$T/state"
"$BUILD/pokerface" keygen "$T/state/journal.key" >/dev/null

echo "== starting pokerface: $BUILD/pokerface run -c $T/pokerface.json"
"$BUILD/pokerface" run -c "$T/pokerface.json" 2>"$T/pokerface.log" &
BOT_PID=$!
for _ in $(seq 1 250); do
    grep -q "chat ready" "$T/pokerface.log" 2>/dev/null && break
    kill -0 "$BOT_PID" 2>/dev/null || { cat "$T/pokerface.log"; exit 1; }
    sleep 0.04
done
grep -q "chat ready" "$T/pokerface.log" || {
    echo "demo: pokerface did not connect; its log:" >&2
    cat "$T/pokerface.log" >&2
    exit 1
}

echo
"$BUILD/tests/demo_chat" "$URL" "$AINO_PW" "$SANNA_PW" "$KALLE_PW"

echo
echo "pokerface's own log of it:"
grep -E "relayed on|held #|sent #|edited and sent #|dropped #" \
    "$T/pokerface.log" | sed 's/^/  /'

[ -n "${DEMO_EXIT:-}" ] && exit 0

cat <<INFO

pokerface keeps running. Join with any XMPP client (Gajim, Dino,
Conversations, Converse.js...):

  server     127.0.0.1, port $C2S, plain connection (allow "unencrypted"
             or "no TLS" in the account settings: this server is only on
             this machine); web clients: $URL
  accounts   aino@localhost   password $AINO_PW   (agent)
             sanna@localhost  password $SANNA_PW   (supervisor)
             kalle@localhost  password $KALLE_PW   (customer)
  rooms      tiimi-demo@conference.localhost    the team's internal room
             asiakas-demo@conference.localhost  the customer's room
             (members-only and hidden: pokerface created them and made
             sanna their owner, who added aino and kalle; add another
             account as a member from sanna's client to let it in)

In the team room, start a reply to the customer with ">>"; answer a hold
with !send N, !edit N new text or !drop N (!help lists the commands).
From another terminal, as this user, review the held ones:

  $BUILD/pokerface queue -c $T/pokerface.json list    (then show, send,
  edit or drop N; and $BUILD/pokerface status -c $T/pokerface.json)

pokerface's log follows. Press Ctrl-C to stop; everything is removed.

INFO
tail -n 0 -f "$T/pokerface.log" &
wait "$BOT_PID"
