#!/bin/sh
# test_install.sh - `make install` into a staging directory, then what a
# plugin author does: build a plugin outside the tree with nothing but the
# installed header and pkg-config file, and load it into the installed
# pokerface. Also: the installed binary finds its default configuration,
# plugins and lexicons relative to itself. Run by `make check`.
set -u
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
make -s install BUILD="$BUILD" SAN="${SAN:-}" DESTDIR="$DEST" PREFIX="$PREFIX" >"$T/log" 2>&1 ||
    { echo "FAIL: make install"; cat "$T/log"; exit 1; }
ROOT="$DEST$PREFIX"
for f in bin/pokerface lib/pokerface/plugins/backstage.so \
    lib/pokerface/plugins/example.so include/pokerface/plugin.h \
    share/pkgconfig/pokerface-plugin.pc share/pokerface/pokerface.json \
    share/pokerface/lexicons/backstage-fi.txt; do
    if [ -f "$ROOT/$f" ]; then ok; else fail "not installed: $f"; fi
done
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

make -s uninstall DESTDIR="$DEST" PREFIX="$PREFIX" >"$T/log" 2>&1
if [ ! -e "$ROOT/bin/pokerface" ] && [ ! -e "$ROOT/lib/pokerface" ]; then ok
else fail "uninstall left files"; fi

echo "test_install.sh: $((n - fails))/$n passed"
[ "$fails" -eq 0 ]
