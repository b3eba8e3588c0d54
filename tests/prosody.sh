#!/bin/bash
# prosody.sh - a throwaway Prosody XMPP server on loopback, for the tests
# and `make demo` (the recipe in ../shared/reference/chat-protocols.md).
#
#   prosody.sh start DIR [USER:PASSWORD ...]   free ports, accounts, start
#   prosody.sh stop DIR                         SIGTERM, wait
#   prosody.sh restart DIR                      stop and start, same ports/data
#
# Writes DIR/prosody.cfg.lua, DIR/http_port, DIR/c2s_port (plain XMPP
# clients) and DIR/ws_url; data (rooms,
# their archives) lives in DIR/data and survives a restart. Rooms are
# persistent and archived (muc_mam), so messages carry a stanza-id; with
# PROSODY_LOCKED_ROOMS=1 also hidden, members-only and non-anonymous.
set -eu

cmd=${1:?usage: prosody.sh start|stop|restart DIR [USER:PASSWORD ...]}
dir=${2:?missing DIR}
shift 2

port_free() { ! (: </dev/tcp/127.0.0.1/"$1") 2>/dev/null; }

free_port() {
    local p i
    for i in $(seq 1 200); do
        # below Linux's ephemeral range (32768-60999), where an outgoing
        # connection may take the port between this check and the bind
        p=$((20000 + RANDOM % 12000))
        if port_free "$p"; then echo "$p"; return 0; fi
    done
    echo "prosody.sh: no free port found" >&2
    return 1
}

ready() { # HTTP 200 on /xmpp-websocket: the WebSocket module is up
    local port=$1 line
    exec 3<>/dev/tcp/127.0.0.1/"$port" || return 1
    printf 'GET /xmpp-websocket HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
    read -r -t 2 line <&3 || true
    exec 3<&- 3>&-
    case "$line" in *" 200 "*) return 0 ;; esac
    return 1
}

tries=0
start() {
    local c2s http i fresh=0
    mkdir -p "$dir/data" "$dir/certs"
    if [ ! -f "$dir/prosody.cfg.lua" ]; then
        fresh=1
        c2s=$(free_port)
        http=$(free_port)
        while [ "$http" = "$c2s" ]; do http=$(free_port); done
        # PROSODY_LOCKED_ROOMS=1 (make demo): rooms are made locked down
        # as the README says: hidden, members-only, non-anonymous. The
        # tests keep Prosody's defaults, so that they can make rooms of
        # both kinds (pokerface configures the rooms it creates anyway)
        local public=true members_only=false public_jids=false
        if [ -n "${PROSODY_LOCKED_ROOMS:-}" ]; then
            public=false members_only=true public_jids=true
        fi
        cat >"$dir/prosody.cfg.lua" <<CFG
-- test-only Prosody: loopback, no TLS, foreground (prosody -F)
run_as_root = true
pidfile = "$dir/prosody.pid"
data_path = "$dir/data"
certificates = "$dir/certs"
log = { info = "$dir/prosody.log" }
interfaces = { "127.0.0.1" }
c2s_ports = { $c2s }
s2s_ports = { }
component_ports = { }
http_interfaces = { "127.0.0.1" }
http_ports = { $http }
https_ports = { }
modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "posix"; "websocket"; }
modules_disabled = { "s2s"; "tls"; "offline"; }
authentication = "internal_hashed"
storage = "internal"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
consider_websocket_secure = true
allow_registration = false
VirtualHost "localhost"
Component "conference.localhost" "muc"
  modules_enabled = { "muc_mam" }
  restrict_room_creation = false
  muc_room_default_public = $public
  muc_room_default_members_only = $members_only
  muc_room_default_public_jids = $public_jids
  muc_room_default_persistent = true
  muc_log_by_default = true
CFG
        echo "$http" >"$dir/http_port"
        echo "$c2s" >"$dir/c2s_port"
        echo "ws://127.0.0.1:$http/xmpp-websocket" >"$dir/ws_url"
    fi
    for up in "$@"; do
        prosodyctl --config "$dir/prosody.cfg.lua" register \
            "${up%%:*}" localhost "${up#*:}" >/dev/null
    done
    # a session of its own: a test that restarts the server runs in a
    # process group that Check kills when the test ends, and the server
    # must outlive it
    setsid prosody -F --config "$dir/prosody.cfg.lua" >"$dir/stdout.log" 2>&1 &
    echo $! >"$dir/prosody.pid.start"
    http=$(cat "$dir/http_port")
    for i in $(seq 1 200); do
        if ready "$http" 2>/dev/null; then return 0; fi
        if [ "$fresh" = 1 ] && [ "$tries" -lt 5 ] &&
            grep -q "Failed to open server port" "$dir/prosody.log" 2>/dev/null; then
            # taken since we looked: new ports, new start
            tries=$((tries + 1))
            stop
            rm -f "$dir/prosody.cfg.lua" "$dir/prosody.log"
            start "$@"
            return $?
        fi
        if ! kill -0 "$(cat "$dir/prosody.pid.start")" 2>/dev/null; then
            echo "prosody.sh: prosody exited; see $dir/stdout.log" >&2
            cat "$dir/stdout.log" >&2
            return 1
        fi
        sleep 0.05
    done
    echo "prosody.sh: prosody did not become ready in 10 s" >&2
    return 1
}

stop() {
    local pid
    [ -f "$dir/prosody.pid.start" ] || return 0
    pid=$(cat "$dir/prosody.pid.start")
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$dir/prosody.pid.start"
}

case "$cmd" in
    start) start "$@" ;;
    stop) stop ;;
    restart) stop; start ;;
    *) echo "prosody.sh: unknown command '$cmd'" >&2; exit 2 ;;
esac
