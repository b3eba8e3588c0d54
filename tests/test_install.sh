#!/bin/sh
# test_install.sh - `make install` into a staging directory, then what a
# plugin author does: build a plugin outside the tree with nothing but the
# installed header and pkg-config file, and load it into the installed
# pokerface. Also: the installed binary finds its default configuration,
# plugins and lexicons relative to itself; the systemd unit passes
# `systemd-analyze verify`; the configuration in SYSCONFDIR is installed
# once and never replaced or removed; uninstall removes exactly what
# install put there, and leaves a third-party plugin alone. Run by
# `make check`.
set -u
# its own make runs, not a part of the make that runs the tests
unset MAKEFLAGS MFLAGS MAKELEVEL
BUILD=${BUILD:-build}
CC=${CC:-cc}
T=$(mktemp -d "${TMPDIR:-/tmp}/pf-install-XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
n=0
ok() { n=$((n + 1)); }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

DEST="$T/stage"
PREFIX=/opt/pf
install_() {
    make -s install BUILD="$BUILD" SAN="${SAN:-}" DESTDIR="$DEST" PREFIX="$PREFIX" >"$T/log" 2>&1 ||
        { echo "FAIL: make install"; cat "$T/log"; exit 1; }
}
install_
ROOT="$DEST$PREFIX"
for f in bin/pokerface lib/pokerface/plugins/backstage.so \
    lib/pokerface/plugins/example.so include/pokerface/plugin.h \
    share/pkgconfig/pokerface-plugin.pc share/pokerface/pokerface.json \
    share/pokerface/lexicons/backstage-fi.txt share/pokerface/web/index.html \
    share/pokerface/web/app.js share/pokerface/web/app.css share/man/man1/pokerface.1 \
    share/man/man5/pokerface.json.5; do
    if [ -f "$ROOT/$f" ]; then ok; else fail "not installed: $f"; fi
done
# with a prefix systemd does not read, the unit and the user go in /etc
UNIT="$DEST/etc/systemd/system/pokerface.service"
CONF="$DEST/etc/pokerface/pokerface.json"
for f in "$UNIT" "$DEST/etc/sysusers.d/pokerface.conf" "$CONF"; do
    if [ -f "$f" ]; then ok; else fail "not installed: $f"; fi
done
find "$DEST" | sort >"$T/installed"

# --- the unit ---
if grep -qx "ExecStart=$PREFIX/bin/pokerface run -c /etc/pokerface/pokerface.json" "$UNIT" &&
    grep -qx "LoadCredential=password:/etc/pokerface/password" "$UNIT" &&
    grep -qx "Type=notify" "$UNIT" && grep -q "^WatchdogSec=" "$UNIT" &&
    grep -qx "User=pokerface" "$UNIT" && grep -qx "StateDirectory=pokerface" "$UNIT" &&
    grep -qx "ProtectSystem=strict" "$UNIT" && grep -qx "NoNewPrivileges=yes" "$UNIT" &&
    grep -qx "CapabilityBoundingSet=" "$UNIT" &&
    ! grep -q "@BINDIR@\|@SYSCONFDIR@" "$UNIT"; then ok
else fail "the unit is not the hardened notify service it should be"; cat "$UNIT"; fi
if command -v systemd-analyze >/dev/null; then
    # systemd's own units, for the ones ours pulls in (a copy: --root
    # reads nothing outside the staging directory)
    mkdir -p "$T/sysroot/usr/lib/systemd" "$T/sysroot/etc/systemd/system" "$T/sysroot$PREFIX/bin"
    cp -r /usr/lib/systemd/system "$T/sysroot/usr/lib/systemd/"
    cp "$UNIT" "$T/sysroot/etc/systemd/system/"
    cp "$ROOT/bin/pokerface" "$T/sysroot$PREFIX/bin/"
    # ExecReload= runs the system's kill(1)
    mkdir -p "$T/sysroot/bin"
    for k in /bin/kill /usr/bin/kill; do [ -x "$k" ] && cp "$k" "$T/sysroot/bin/kill" && break; done
    # Documentation=man:... is looked up with man(1): the installed pages
    if MANPATH="$ROOT/share/man" systemd-analyze verify --root="$T/sysroot" \
        "$T/sysroot/etc/systemd/system/pokerface.service" >"$T/verify" 2>&1 &&
        [ ! -s "$T/verify" ]; then ok
    else fail "systemd-analyze verify"; cat "$T/verify"; fi
else
    echo "SKIP: systemd-analyze verify: systemd-analyze is not installed (make deps installs the package systemd)"
fi
if grep -q "pokerface keygen \[--if-missing\] FILE" "$ROOT/share/man/man1/pokerface.1" &&
    grep -q "password_credential" "$ROOT/share/man/man5/pokerface.json.5"; then ok
else fail "the man pages do not carry the --help texts and the configuration's keys"; fi

# --- the configuration: the example, with a credential; never replaced ---
"$ROOT/bin/pokerface" check -c "$CONF" "Your order ships today" >"$T/out" 2>&1
if [ $? -eq 0 ] && grep -q '"password_credential": "password"' "$CONF" &&
    grep -q '"state_dir": "/var/lib/pokerface"' "$CONF"; then ok
else fail "the installed configuration"; cat "$T/out"; fi
printf '{"plugins": ["backstage"], "// edited": "by the operator"}\n' >"$CONF"
cp "$CONF" "$T/conf.edited"
install_
if cmp -s "$CONF" "$T/conf.edited" && grep -q "kept $CONF" "$T/log"; then ok
else fail "make install replaced an edited configuration"; cat "$T/log"; fi
if grep -q "^prefix=$PREFIX\$" "$ROOT/share/pkgconfig/pokerface-plugin.pc"; then ok
else fail "pkg-config prefix is not $PREFIX"; cat "$ROOT/share/pkgconfig/pokerface-plugin.pc"; fi

# the installed binary, without -c: its own config, plugins and lexicons
"$ROOT/bin/pokerface" check "tell the idiot it shipped" >"$T/out" 2>&1
if [ $? -eq 1 ] && grep -q backstage.derogatory "$T/out"; then ok
else fail "installed pokerface does not hold with its defaults"; cat "$T/out"; fi

# a plugin author's own rule, outside the source tree
mkdir -p "$T/author"
sed -e 's/PF_PLUGIN_INIT("example"/PF_PLUGIN_INIT("myrule"/' \
    -e 's/"example.placeholder"/"myrule.placeholder"/g' \
    plugins/example/example.c >"$T/author/myrule.c"
CFLAGS_PC=$(PKG_CONFIG_PATH="$ROOT/share/pkgconfig" \
    PKG_CONFIG_SYSROOT_DIR="$DEST" pkg-config --cflags pokerface-plugin)
case "$CFLAGS_PC" in
    *"$ROOT/include"*) ok ;;
    *) fail "pkg-config --cflags gives '$CFLAGS_PC'" ;;
esac
( cd "$T/author" &&
  $CC $CFLAGS_PC -std=c99 -Wall -Wextra -Werror -O2 -fPIC -shared \
      -fvisibility=hidden -Wl,--no-undefined -o myrule.so myrule.c ) \
    >"$T/cc.log" 2>&1 && ok || { fail "out-of-tree build"; cat "$T/cc.log"; }
mkdir -p "$T/plugins"
chmod 755 "$T/plugins"
install -m 644 "$T/author/myrule.so" "$T/plugins/"
cat >"$T/pf.json" <<JSON
{"plugin_dir": "plugins",
 "plugins": [{"name": "myrule", "config": {"markers": ["FIXME"]}}]}
JSON
"$ROOT/bin/pokerface" check -c "$T/pf.json" "Hi [NAME], FIXME add the link" >"$T/out" 2>&1
if [ $? -eq 1 ] && grep -q "myrule.placeholder" "$T/out" &&
    grep -q "\[\[FIXME\]\]" "$T/out"; then ok
else fail "out-of-tree plugin does not load or work"; cat "$T/out"; fi
"$ROOT/bin/pokerface" check -c "$T/pf.json" "Your order ships today" >"$T/out" 2>&1
if [ $? -eq 0 ]; then ok; else fail "out-of-tree plugin holds a clean reply"; cat "$T/out"; fi

# --- uninstall: exactly what install put there ---
install -m 644 "$T/author/myrule.so" "$ROOT/lib/pokerface/plugins/"
make -s uninstall DESTDIR="$DEST" PREFIX="$PREFIX" >"$T/log" 2>&1
if [ -f "$ROOT/lib/pokerface/plugins/myrule.so" ]; then ok
else fail "uninstall removed a third-party plugin"; fi
if cmp -s "$CONF" "$T/conf.edited"; then ok
else fail "uninstall removed or changed the configuration"; fi
# nothing else is left but the directories both are in
find "$DEST" -type f | sort >"$T/left"
printf '%s\n' "$CONF" "$ROOT/lib/pokerface/plugins/myrule.so" | sort >"$T/want"
if cmp -s "$T/left" "$T/want"; then ok
else fail "uninstall left other files:"; diff "$T/want" "$T/left"; fi
rm -f "$ROOT/lib/pokerface/plugins/myrule.so" "$CONF"
make -s uninstall DESTDIR="$DEST" PREFIX="$PREFIX" >"$T/log" 2>&1
if [ ! -e "$ROOT/bin/pokerface" ] && [ ! -e "$ROOT/lib/pokerface" ] &&
    [ ! -e "$ROOT/share/pokerface" ] && [ ! -e "$ROOT/include/pokerface" ]; then ok
else fail "uninstall left directories of its own"; find "$DEST"; fi

echo "test_install.sh: $((n - fails))/$n passed"
[ "$fails" -eq 0 ]
