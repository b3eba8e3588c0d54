#!/bin/sh
# test_readme.sh - the README's commands work as written, in the order
# written, for someone who starts from the clone: every line of its
# indented code blocks that starts with a command (make, build/pokerface,
# pokerface, cp, cc, install, sudo, sh; `$ ` is a prompt) is run with
# sh, in a directory of its own that holds the clone's files (its build/
# is this build), with a fresh HOME. A command fails the test when it
# exits non-zero; `check` may exit 1 (a hold: it says so in its output).
#
# Adapted, because this runs as a test and not on your machine:
#   - sudo is dropped; make install goes into a DESTDIR in the temporary
#     directory, and /usr/local in later commands means that DESTDIR's
#     (pkg-config is pointed at it as PKG_CONFIG_PATH would be)
# Not run, each for the reason given (SKIP lines list them):
#   - make demo: runs until Ctrl-C (make check runs it: tests/test_demo.sh)
#   - make check: this test is part of it
#   - run: runs until stopped (tests/check_relay.c runs the bot)
#   - queue, status: need the running bot (tests/check_relay.c)
#   - web-login: needs the running bot (tests/test_web_browser.sh)
#   - eval --loso: make check runs it in tests/test_quality.sh
#   - sudoedit, systemctl, journalctl, writing /etc/pokerface/password:
#     root on a machine running systemd, an editor, typed input
#     (tests/test_install.sh checks the unit with systemd-analyze)
set -u
# its own make runs, not a part of the make that runs the tests
unset MAKEFLAGS MFLAGS MAKELEVEL
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/pf-readme-XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
n=0
ok() { n=$((n + 1)); }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

# a clone: the sources, and this build as its build/
mkdir -p "$T/clone" "$T/home" "$T/dest"
for f in Makefile README.md src include plugins config tests .clang-format; do
    ln -s "$SRC/$f" "$T/clone/$f"
done
ln -s "$SRC/$BUILD" "$T/clone/build"

# the commands, one per line (continued lines joined)
awk '
/^    / && cont != "" { l = $0; sub(/^ +/, "", l); cmd = cont " " l; cont = "" }
/^    [^ ]/ && cmd == "" {
    l = substr($0, 5)
    if (l ~ /^(\$ )?[a-z\/]+ [a-z]+: /) next  # output: "pokerface run: ..."
    if (l ~ /^(\$ )?(make|build\/pokerface|pokerface|cp|cc|install|sudo|sudoedit|sh|journalctl) /) cmd = l
    else next
}
cmd != "" {
    sub(/^\$ /, "", cmd)
    if (cmd ~ /\\$/) { sub(/\\$/, "", cmd); cont = cmd; cmd = ""; next }
    print cmd
    cmd = ""
    next
}
{ cont = "" }' "$SRC/README.md" >"$T/commands"
if [ "$(wc -l <"$T/commands")" -ge 15 ]; then ok
else fail "too few commands found in README.md"; cat "$T/commands"; fi

export HOME="$T/home"
unset XDG_STATE_HOME XDG_CACHE_HOME STATE_DIRECTORY CREDENTIALS_DIRECTORY
export PKG_CONFIG_PATH="$T/dest/usr/local/share/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$T/dest"
i=0
while IFS= read -r cmd; do
    i=$((i + 1))
    why=
    case "$cmd" in
    "make demo"*) why="runs until Ctrl-C (tests/test_demo.sh runs it)" ;;
    "make check"*) why="this test is part of it" ;;
    *" run "* | *" run") why="runs until stopped (tests/check_relay.c)" ;;
    *" queue "* | *" status "*) why="needs the running bot (tests/check_relay.c)" ;;
    *" web-login"*) why="needs the running bot (tests/test_web_browser.sh)" ;;
    *"eval --loso"*) why="tests/test_quality.sh runs it" ;;
    sudoedit* | *systemctl* | journalctl* | *"/etc/pokerface/password"*)
        why="root on a machine running systemd, an editor or typed input" ;;
    esac
    if [ -n "$why" ]; then
        echo "SKIP: $cmd: $why"
        continue
    fi
    run=$(printf '%s' "$cmd" | sed -e 's/^sudo //' -e "s|/usr/local|$T/dest/usr/local|g")
    case "$run" in
    "make install"*) run="$run DESTDIR=$T/dest" ;;
    esac
    (cd "$T/clone" && sh -c "$run") </dev/null >"$T/out.$i" 2>&1
    rc=$?
    case "$rc:$run" in
    0:*) ok ;;
    1:build/pokerface\ check* | 1:pokerface\ check*)
        if grep -q "^hold" "$T/out.$i"; then ok
        else fail "'$cmd' exited 1 without a hold"; cat "$T/out.$i"; fi ;;
    *) fail "'$cmd' exited $rc"; cat "$T/out.$i" ;;
    esac
done <"$T/commands"

# what those commands were for
if [ -f "$T/home/.local/state/pokerface/journal.key" ] &&
    [ "$(stat -c %a "$T/home/.local/state/pokerface")" = 700 ]; then ok
else fail "keygen did not make the key and its 0700 directory in a fresh HOME"; fi
if [ -f "$T/dest/usr/local/lib/pokerface/plugins/myrule.so" ]; then ok
else fail "the plugin was not built and installed as the README says"; fi
if [ -f "$T/clone/my.model" ]; then ok; else fail "train -o wrote no model"; fi

# make check says in one line what is missing (here: prosody, hidden)
mkdir -p "$T/bin"
for c in pkg-config cc node openssl chromium; do
    p=$(command -v "$c") && ln -s "$p" "$T/bin/$c"
done
out=$(PATH="$T/bin" NEEDS_NO_INSTALL=1 /bin/sh "$SRC/tests/needs.sh" 2>&1)
if [ $? -eq 1 ] && [ "$out" = "missing: prosody; run 'make deps' first" ]; then ok
else fail "tests/needs.sh without prosody said: $out"; fi
if out=$(NEEDS_NO_INSTALL=1 sh "$SRC/tests/needs.sh" 2>&1) && [ -z "$out" ]; then ok
else fail "tests/needs.sh finds something missing here: $out"; fi

echo "test_readme.sh: $((n - fails))/$n passed"
[ "$fails" -eq 0 ]
