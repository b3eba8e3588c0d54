#!/bin/sh
# test_slack_official.sh - Slack's own Node clients (@slack/web-api and
# @slack/socket-mode, installed in tests/node_modules by `make deps`)
# against the Slack emulator: starts $BUILD/tests/slackemu with the world
# below, runs tests/official/slack.mjs on it, and fails if the script
# fails or the emulator did not stop cleanly. Run by `make check`.
set -u
BUILD=${BUILD:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$HERE/node_modules/@slack/socket-mode" ] ||
    [ ! -d "$HERE/node_modules/@slack/web-api" ]; then
    echo "test_slack_official.sh: tests/node_modules has no Slack clients:" \
        "run make deps" >&2
    exit 1
fi
command -v node >/dev/null || {
    echo "test_slack_official.sh: no node: run make deps" >&2
    exit 1
}
T=$(mktemp -d "${TMPDIR:-/tmp}/pf-slack-XXXXXX")
EMU=
cleanup() {
    [ -n "$EMU" ] && kill "$EMU" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

cat >"$T/world.json" <<'EOF'
{"team": {"id": "T0PFTEAM01", "name": "Pokerface", "domain": "pokerface"},
 "app": {"id": "A0PFAPP001", "token": "xapp-1-A0PFAPP001-1-emulated",
         "bot_user": "U0PFBOT001"},
 "users": [
  {"id": "U0PFBOT001", "name": "pokerface", "token": "xoxb-1-pokerface-emulated",
   "is_bot": true, "bot_id": "B0PFBOT001"},
  {"id": "U0ALICE001", "name": "alice", "real_name": "Alice Agent",
   "token": "xoxp-1-alice-emulated"},
  {"id": "U0CAROL001", "name": "carol", "real_name": "Carol Customer",
   "token": "xoxp-1-carol-emulated", "team_id": "T0ACME0001"}],
 "channels": [
  {"id": "C0INTERNAL", "name": "support-internal",
   "members": ["U0PFBOT001", "U0ALICE001"]},
  {"id": "C0SHARED01", "name": "acme-support", "is_ext_shared": true,
   "members": ["U0PFBOT001", "U0ALICE001", "U0CAROL001"]},
  {"id": "G0PRIVATE1", "name": "leads", "is_private": true,
   "members": ["U0ALICE001"]},
  {"id": "D0ALICE001", "is_im": true, "members": ["U0PFBOT001", "U0ALICE001"]}],
 "ack_timeout_ms": 1500, "ping_interval_ms": 2000}
EOF

"$BUILD/tests/slackemu" "$T/world.json" "$T/port" "$T/emu.log" &
EMU=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 250 ]; do
    sleep 0.02
    i=$((i + 1))
done
if [ ! -s "$T/port" ]; then
    echo "FAIL: slackemu did not start" >&2
    cat "$T/emu.log" >&2
    exit 1
fi
PORT=$(cat "$T/port")

rc=0
node "$HERE/official/slack.mjs" "http://127.0.0.1:$PORT" "$T/world.json" \
    >"$T/node.out" 2>&1 || rc=1
kill -TERM "$EMU"
wait "$EMU" || { echo "FAIL: slackemu exited with $?" >&2; rc=1; }
EMU=
if [ $rc -ne 0 ]; then
    echo "FAIL: the official Slack clients against slackemu:" >&2
    sed 's/^/    /' "$T/node.out" >&2
    echo "  the emulator's log:" >&2
    sed 's/^/    /' "$T/emu.log" >&2
    exit 1
fi
echo "Slack official clients: $(grep -c '^ok:' "$T/node.out") steps passed"
