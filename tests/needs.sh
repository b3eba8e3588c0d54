#!/bin/sh
# needs.sh - before `make check` (and `make demo`): is everything the build
# and the tests need installed? If not, say what is missing in one line and
# install it with `make deps` (apt-get; sudo when not root), as `make demo`
# does; with NEEDS_NO_INSTALL=1 stop there instead.
cd "${0%/*}/.." || exit 1
missing=
command -v cc >/dev/null 2>&1 || missing="$missing a C compiler (build-essential)"
if command -v pkg-config >/dev/null 2>&1; then
    for p in jansson libutf8proc libsodium expat libwebsockets libsystemd \
        libhs check; do
        pkg-config --exists "$p" 2>/dev/null || missing="$missing $p"
    done
else
    missing="$missing pkg-config"
fi
[ -f /usr/include/libstemmer.h ] || missing="$missing libstemmer"
command -v prosody >/dev/null 2>&1 || missing="$missing prosody"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
# the review page's test runs Debian's Chromium (tests/test_web_browser.sh)
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
[ -d tests/node_modules/@mattermost/client ] &&
    [ -d tests/node_modules/@slack/web-api ] &&
    [ -d tests/node_modules/playwright-core ] ||
    missing="$missing tests/node_modules (npm ci)"
[ -z "$missing" ] && exit 0
if [ -n "${NEEDS_NO_INSTALL:-}" ]; then
    echo "missing:$missing; run 'make deps' first" >&2
    exit 1
fi
echo "== missing:$missing; installing them: make deps"
if ! make --no-print-directory deps; then
    echo "could not install what is missing:$missing; run 'make deps' as root (or with sudo) first" >&2
    exit 1
fi
