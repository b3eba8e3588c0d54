#!/bin/sh
# test_official.sh - the chat platforms' own client libraries against the
# emulators: starts tests/mmemu with a world written here and runs
# tests/official/mattermost.mjs (Mattermost's @mattermost/client) on it.
# The packages come from `make deps` (tests/package-lock.json); without
# them this fails, it does not skip. Run by `make check`.
set -u
BUILD=${BUILD:-build}
EMU="$BUILD/tests/mmemu"
T=$(mktemp -d "${TMPDIR:-/tmp}/pf-official-XXXXXX")
emu=
cleanup() {
    if [ -n "$emu" ]; then
        kill "$emu" 2>/dev/null
        wait "$emu" 2>/dev/null
    fi
    rm -rf "$T"
}
trap cleanup EXIT

if ! command -v node >/dev/null 2>&1; then
    echo "test_official.sh: node is not installed; run \`make deps\`" >&2
    exit 1
fi
for pkg in @mattermost/client @mattermost/types ws; do
    if [ ! -f "tests/node_modules/$pkg/package.json" ]; then
        echo "test_official.sh: tests/node_modules/$pkg is missing; run \`make deps\`" >&2
        exit 1
    fi
done

cat >"$T/world.json" <<'EOF'
{"team": {"id": "t3am0000000000000000000000", "name": "support",
          "display_name": "Support"},
 "users": [
  {"id": "aino0000000000000000000000", "username": "aino",
   "token": "tok-aino", "oauth_token": "oauth-aino",
   "session_token": "session-aino", "csrf": "csrf-aino"},
  {"id": "ville000000000000000000000", "username": "ville",
   "token": "tok-ville"}],
 "channels": [
  {"id": "tiimi00000000000000000000a", "name": "tiimi",
   "display_name": "Tiimi", "type": "O",
   "members": ["aino0000000000000000000000", "ville000000000000000000000"]},
  {"id": "salainen0000000000000000aa", "name": "salainen",
   "display_name": "Salainen", "type": "P",
   "members": ["aino0000000000000000000000"]}]}
EOF

"$EMU" "$T/world.json" "$T/port" "$T/emu.log" &
emu=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 250 ]; do
    sleep 0.02
    i=$((i + 1))
done
if [ ! -s "$T/port" ]; then
    echo "test_official.sh: the emulator did not start" >&2
    cat "$T/emu.log" >&2
    exit 1
fi
url="http://127.0.0.1:$(cat "$T/port")"

if node tests/official/mattermost.mjs "$url" "$T/world.json" \
    >"$T/out" 2>&1; then
    tail -n 1 "$T/out"
else
    echo "test_official.sh: Mattermost's own client does not accept the emulator:" >&2
    sed 's/^/    /' "$T/out" >&2
    echo "    --- the emulator's log:" >&2
    sed 's/^/    /' "$T/emu.log" >&2
    exit 1
fi
