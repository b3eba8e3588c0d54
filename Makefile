# pokerface - one non-recursive Makefile.
#
#   make            build/pokerface, build/plugins/*.so, build/share/pokerface
#   make demo       pokerface for real against a throwaway local Prosody
#   make check      build everything and run every test
#   make asan       the whole suite under AddressSanitizer + UBSan (build-asan/)
#   make deps       install the Debian packages pokerface needs (apt-get),
#                   and the npm packages of the tests (tests/package.json)
#   make install    PREFIX=/usr/local DESTDIR= SYSCONFDIR=/etc: the binary,
#                   plugins, data, header, man pages, and pokerface.service
#                   with its system user; the configuration in
#                   SYSCONFDIR/pokerface/ only when there is none.
#                   make uninstall removes what install put there, except
#                   the configuration (and the user and its state)
#   make fuzz       libFuzzer on XMPP stanzas, the XMPP connector's whole
#                   session, Mattermost events, Slack envelopes, journal
#                   and history replay (and the review page's view of
#                   it), the plugin worker's answers, the text layer,
#                   the JSON lines of check --jsonl and what the web
#                   listener reads of a request (clang), FUZZ_SECONDS each
#   make fmt        clang-format the sources; make fmt-check only checks
#   make clean

PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
MANDIR ?= $(PREFIX)/share/man
# systemd reads units and sysusers.d from /usr/local/lib and /usr/lib, and
# /etc for any other prefix
SYSTEMD_LIB := $(if $(filter /usr /usr/local,$(PREFIX)),$(PREFIX)/lib,$(SYSCONFDIR))
UNITDIR ?= $(SYSTEMD_LIB)/systemd/system
SYSUSERSDIR ?= $(SYSTEMD_LIB)/sysusers.d
BUILD ?= build
VERSION := 0.1.0

CC ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
SAN ?=

# Debian packages: build and test dependencies (chromium: the review
# page's test drives it with playwright-core, tests/test_web_browser.sh)
DEB_PACKAGES := build-essential pkg-config libjansson-dev libutf8proc-dev \
	libstemmer-dev libvectorscan-dev libwebsockets-dev libsodium-dev \
	libexpat1-dev libsystemd-dev systemd check clang-format clang prosody openssl \
	chromium

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 \
	-Wmissing-prototypes -Werror=implicit-function-declaration -Werror
ifneq ($(SAN),)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
CFLAGS := -O1 -g
endif

HOST_PKGS_ALL := jansson libutf8proc libsodium expat libwebsockets libsystemd
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(HOST_PKGS_ALL) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(HOST_PKGS_ALL) 2>/dev/null)
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS := $(shell $(PKG_CONFIG) --libs check 2>/dev/null)
HS_CFLAGS := $(shell $(PKG_CONFIG) --cflags libhs 2>/dev/null)
HS_LIBS := $(shell $(PKG_CONFIG) --libs libhs 2>/dev/null)

ALL_CPPFLAGS := -D_POSIX_C_SOURCE=200809L -DPF_VERSION='"$(VERSION)"' \
	-Isrc -Iinclude $(CPPFLAGS)
HOST_CFLAGS := -std=c11 $(WARN) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -MMD -MP
HOST_LIBS := $(PKG_LIBS) -lstemmer -ldl -lm -pthread
PLUGIN_CFLAGS := -std=c99 $(WARN) -Wpedantic $(CFLAGS) $(SANFLAGS) -fPIC \
	-fvisibility=hidden
PLUGIN_LDFLAGS := -shared $(SANFLAGS) -Wl,--no-undefined -Wl,--as-needed

# plugins/<name>/*.c -> $(BUILD)/plugins/<name>.so; extra libraries per plugin
# plugins/lib/ holds code compiled into the plugins that use it
PLUGIN_NAMES := $(filter-out lib,$(notdir $(wildcard plugins/*)))
PLUGINS := $(PLUGIN_NAMES:%=$(BUILD)/plugins/%.so)
backstage_CFLAGS := $(HS_CFLAGS)
backstage_LIBS := $(HS_LIBS) -lm
backstage_SRCS := plugins/lib/lexicon.c plugins/lib/lexicon.h
coach_CFLAGS := $(HS_CFLAGS)
coach_LIBS := $(HS_LIBS) -lm
coach_SRCS := plugins/lib/lexicon.c plugins/lib/lexicon.h
learned_LIBS := -lm
learned_SRCS := plugins/lib/config.h
echo_SRCS := plugins/lib/config.h

# the learned and coach plugins' model code is also pokerface train's (and
# eval --loso's)
SRCS := $(wildcard src/*.c src/*/*.c) plugins/learned/model.c \
	plugins/coach/model.c
OBJS := $(SRCS:%.c=$(BUILD)/obj/%.o)
LIB_OBJS := $(filter-out $(BUILD)/obj/src/main.o,$(OBJS))

DATA_SRC := config/pokerface.example.json $(wildcard config/lexicons/*)
MODEL := $(BUILD)/share/pokerface/models/learned.model
TRAINING := $(sort $(wildcard config/training/messages.*.jsonl))
# the coach plugin's model learns from every conversation source (eval
# --loso trains it again without the source it measures)
COACH_MODEL := $(BUILD)/share/pokerface/models/coach.model
COACH_TRAINING := $(sort $(wildcard config/training/conversations.*.jsonl))
# the review page (config/web/: index.html, app.js, app.css), served by
# the bot's web listener from the data directory
WEB_FILES := $(notdir $(wildcard config/web/*))
DATA := $(BUILD)/share/pokerface/pokerface.json $(MODEL) $(COACH_MODEL) \
	$(patsubst config/%,$(BUILD)/share/pokerface/%,$(wildcard config/lexicons/*)) \
	$(WEB_FILES:%=$(BUILD)/share/pokerface/web/%)

TEST_SRCS := $(wildcard tests/check_*.c) tests/testutil.c tests/chat.c tests/prom.c
TEST_OBJS := $(TEST_SRCS:%.c=$(BUILD)/obj/%.o)
FIXTURE_NAMES := $(basename $(notdir $(wildcard tests/fixtures/plugins/*.c)))
FIXTURES := $(FIXTURE_NAMES:%=$(BUILD)/tests/plugins/%.so) \
	$(BUILD)/tests/plugins/frozen_v1_0.so

FUZZ_TARGETS := stanza journal history mattermost slack worker session text jsonl web
FUZZ_SECONDS ?= 60
FUZZ_BUILD := build-fuzz

.PHONY: all check check-run test asan fuzz demo deps install uninstall clean fmt fmt-check FORCE
.DELETE_ON_ERROR:
.SECONDEXPANSION:

all: $(BUILD)/pokerface $(PLUGINS) $(DATA)

$(BUILD)/pokerface: $(OBJS)
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(HOST_LIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(HOST_CFLAGS) -c -o $@ $<

$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(HOST_CFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

# Plugins see only the public header; group/other write bits are dropped
# because the loader refuses writable plugin files and directories.
$(BUILD)/plugins/%.so: $$(wildcard plugins/$$*/*.c plugins/$$*/*.h) $$($$*_SRCS) include/pokerface/plugin.h
	@mkdir -p $(@D)
	$(CC) -D_POSIX_C_SOURCE=200809L -Iinclude $(PLUGIN_CFLAGS) \
		$($*_CFLAGS) $(PLUGIN_LDFLAGS) -o $@ $(filter %.c,$^) $($*_LIBS)
	@chmod go-w $@ $(@D)

$(BUILD)/share/pokerface/pokerface.json: config/pokerface.example.json
	@mkdir -p $(@D)
	cp $< $@

# the learned plugin's model, trained on config/training/ (deterministic)
$(MODEL): $(BUILD)/pokerface $(TRAINING)
	@mkdir -p $(@D)
	$(BUILD)/pokerface train -o $@ $(TRAINING) >/dev/null

# the coach plugin's model, trained the same way (plugins/coach/model.h)
$(COACH_MODEL): $(BUILD)/pokerface $(COACH_TRAINING)
	@mkdir -p $(@D)
	$(BUILD)/pokerface train --coach -o $@ $(COACH_TRAINING) >/dev/null

$(BUILD)/share/pokerface/lexicons/%: config/lexicons/%
	@mkdir -p $(@D)
	cp $< $@

$(BUILD)/share/pokerface/web/%: config/web/%
	@mkdir -p $(@D)
	cp $< $@

# regenerated every time: it records PREFIX
$(BUILD)/pokerface-plugin.pc: FORCE
	@mkdir -p $(@D)
	@printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$${prefix}/include' \
		'plugindir=$${prefix}/lib/pokerface/plugins' '' \
		'Name: pokerface-plugin' \
		'Description: Rule-plugin ABI of the pokerface moderation bot' \
		'Version: $(VERSION)' 'Cflags: -I$${includedir}' > $@

# the service: the unit with this installation's paths, the configuration
# it starts with (the example, with its password as a systemd credential
# and its state where the unit keeps it), the man pages
$(BUILD)/service/pokerface.service: config/systemd/pokerface.service.in FORCE
	@mkdir -p $(@D)
	@sed -e 's|@BINDIR@|$(PREFIX)/bin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< >$@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/service/pokerface.json: config/pokerface.example.json
	@mkdir -p $(@D)
	sed -e 's|"password_env": "POKERFACE_PASSWORD"|"password_credential": "password"|' \
		-e 's|^  "// state_dir": .*|&\n  "state_dir": "/var/lib/pokerface",|' $< >$@
	@grep -q '"password_credential": "password"' $@ && grep -q '"state_dir"' $@

# made again at every install: they name SYSCONFDIR
MAN_PAGES := $(BUILD)/man/pokerface.1 $(BUILD)/man/pokerface.json.5
$(MAN_PAGES) &: $(BUILD)/pokerface README.md config/man/mkman.sh FORCE
	sh config/man/mkman.sh $(BUILD)/pokerface README.md $(VERSION) $(SYSCONFDIR) $(BUILD)/man

# ---- tests ----

$(BUILD)/tests/plugins/%.so: tests/fixtures/plugins/%.c tests/fixtures/plugins/fixture.h include/pokerface/plugin.h
	@mkdir -p $(@D)
	$(CC) -D_POSIX_C_SOURCE=200809L -Iinclude $(PLUGIN_CFLAGS) \
		$(PLUGIN_LDFLAGS) -o $@ $<
	@chmod go-w $@ $(@D)

# A plugin built against the frozen ABI 1.0 header must keep loading.
$(BUILD)/tests/plugins/frozen_v1_0.so: tests/abi/frozen_plugin.c tests/abi/plugin_v1_0.h
	@mkdir -p $(@D)
	$(CC) -D_POSIX_C_SOURCE=200809L -Itests/abi $(PLUGIN_CFLAGS) \
		$(PLUGIN_LDFLAGS) -o $@ $<
	@chmod go-w $@ $(@D)

$(BUILD)/tests/check_all: $(TEST_OBJS) $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(HOST_LIBS) $(CHECK_LIBS)

# the fuzz corpus, replayed by a plain driver: a regression test
FUZZ_OBJS := $(FUZZ_TARGETS:%=$(BUILD)/obj/tests/fuzz/fuzz_%.o) \
	$(BUILD)/obj/tests/fuzz/replay.o
.SECONDARY: $(FUZZ_OBJS)
$(BUILD)/tests/fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/obj/tests/fuzz/replay.o $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(HOST_LIBS)

# the scripted conversation of make demo
$(BUILD)/tests/demo_chat: $(BUILD)/obj/tests/demo.o $(BUILD)/obj/tests/chat.o $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(HOST_LIBS)

demo:
	@BUILD=$(BUILD) bash tests/demo.sh

# the Mattermost emulator the end-to-end tests run pokerface against
$(BUILD)/tests/mmemu: $(BUILD)/obj/tests/mmemu.o $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(HOST_LIBS)

# the Slack emulator (tests/official/slack.mjs checks it with Slack's own
# client libraries)
$(BUILD)/tests/slackemu: $(BUILD)/obj/tests/slackemu.o $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(HOST_LIBS)

# the relay latency benchmark (tests/bench/relay.sh runs it)
$(BUILD)/tests/bench_relay: $(BUILD)/obj/tests/bench/relay_bench.o $(BUILD)/obj/tests/chat.o $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(HOST_LIBS)

# the journal replay benchmark (tests/bench/journal.sh)
$(BUILD)/tests/bench_journal: $(BUILD)/obj/tests/bench/journal_bench.o $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(HOST_LIBS)

# what the tests need is installed first (tests/needs.sh, as make demo);
# they run with a HOME of their own, removed afterwards, so that nothing is
# written into yours
check test:
	@sh tests/needs.sh
	@home=$$(mktemp -d "$${TMPDIR:-/tmp}/pf-check-home-XXXXXX") && \
	env -u STATE_DIRECTORY -u NOTIFY_SOCKET -u WATCHDOG_USEC \
		-u CREDENTIALS_DIRECTORY HOME=$$home XDG_STATE_HOME= \
		XDG_CACHE_HOME= XDG_CONFIG_HOME= \
		$(MAKE) --no-print-directory check-run; \
	rc=$$?; rm -rf "$$home"; exit $$rc

check-run: all $(BUILD)/tests/check_all $(FIXTURES) $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz_%) \
		$(BUILD)/tests/bench_relay $(BUILD)/tests/bench_journal $(BUILD)/tests/demo_chat \
		$(BUILD)/tests/mmemu $(BUILD)/tests/slackemu
	PF_BUILD=$(BUILD) $(BUILD)/tests/check_all
	$(foreach t,$(FUZZ_TARGETS),$(BUILD)/tests/fuzz_$(t) tests/fuzz/corpus/$(t)/* &&) true
	BUILD=$(BUILD) sh tests/bench/journal.sh 3000 >/dev/null
	BUILD=$(BUILD) sh tests/test_cli.sh
	BUILD=$(BUILD) sh tests/test_official.sh
	BUILD=$(BUILD) sh tests/test_quality.sh
	BUILD=$(BUILD) SAN="$(SAN)" CC="$(CC)" sh tests/test_install.sh
	BUILD=$(BUILD) sh tests/test_readme.sh
	BUILD=$(BUILD) sh tests/test_demo.sh
	BUILD=$(BUILD) sh tests/test_slack_official.sh
	BUILD=$(BUILD) sh tests/test_web_browser.sh

asan:
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(MAKE) BUILD=build-asan SAN=1 check

# libFuzzer: build-fuzz/ with clang, ASan and UBSan; new inputs that add
# coverage land in build-fuzz/corpus-<target>, crashes in build-fuzz/
fuzz:
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=clang SAN=1 \
		CFLAGS="-O1 -g -fsanitize=fuzzer-no-link" $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o) $(LIB_OBJS:$(BUILD)/%=$(FUZZ_BUILD)/%)
	@for t in $(FUZZ_TARGETS); do \
		clang -fsanitize=fuzzer,address,undefined -o $(FUZZ_BUILD)/fuzz_$$t \
			$(FUZZ_BUILD)/obj/tests/fuzz/fuzz_$$t.o \
			$(LIB_OBJS:$(BUILD)/%=$(FUZZ_BUILD)/%) $(HOST_LIBS) || exit 1; \
		mkdir -p $(FUZZ_BUILD)/corpus-$$t; \
		$(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
			-dict=tests/fuzz/$$t.dict -artifact_prefix=$(FUZZ_BUILD)/ \
			$(FUZZ_BUILD)/corpus-$$t tests/fuzz/corpus/$$t || exit 1; \
	done

# ---- setup and installation ----

# Debian's prosody package enables and starts a system-wide Prosody (5222
# and 5269 on every interface); the tests and make demo start their own on
# loopback, so a Prosody that make deps brought in is stopped and disabled
# at once, and it says so
deps:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	had_prosody=; dpkg -s prosody >/dev/null 2>&1 && had_prosody=1; \
	$$SUDO apt-get update -q || true; \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $(DEB_PACKAGES) || exit 1; \
	command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive \
		$$SUDO apt-get install -y -q --no-install-recommends nodejs npm || exit 1; \
	if [ -z "$$had_prosody" ]; then \
		if [ -d /run/systemd/system ]; then \
			$$SUDO systemctl disable --now prosody.service >/dev/null 2>&1; \
		else \
			$$SUDO /etc/init.d/prosody stop >/dev/null 2>&1; \
			$$SUDO update-rc.d prosody disable >/dev/null 2>&1; \
		fi; \
		echo "make deps: the system Prosody that Debian's package starts is stopped and disabled (the tests start their own); 'systemctl enable --now prosody' brings it back"; \
	fi
	@# the chat platforms' official client libraries, which the tests point
	@# at the emulators, and playwright-core, which drives chromium in the
	@# review page's test (tests/package-lock.json pins them)
	npm ci --prefix tests --no-audit --no-fund

SERVICE := $(BUILD)/service/pokerface.service $(BUILD)/service/pokerface.json
LEXICONS := $(notdir $(wildcard config/lexicons/*))
I := $(DESTDIR)$(PREFIX)

install: all $(BUILD)/pokerface-plugin.pc $(SERVICE) $(MAN_PAGES)
	install -d $(I)/bin $(I)/lib/pokerface/plugins $(I)/include/pokerface \
		$(I)/share/pkgconfig $(I)/share/pokerface/lexicons \
		$(I)/share/pokerface/models $(I)/share/pokerface/web \
		$(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSCONFDIR)/pokerface
	install -m 755 $(BUILD)/pokerface $(I)/bin/pokerface
	install -m 755 $(PLUGINS) $(I)/lib/pokerface/plugins/
	install -m 644 include/pokerface/plugin.h $(I)/include/pokerface/
	install -m 644 $(BUILD)/pokerface-plugin.pc $(I)/share/pkgconfig/
	install -m 644 $(BUILD)/share/pokerface/pokerface.json \
		$(I)/share/pokerface/pokerface.json
	install -m 644 $(wildcard config/lexicons/*) $(I)/share/pokerface/lexicons/
	install -m 644 $(MODEL) $(COACH_MODEL) $(I)/share/pokerface/models/
	install -m 644 $(WEB_FILES:%=config/web/%) $(I)/share/pokerface/web/
	install -m 644 $(BUILD)/man/pokerface.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(BUILD)/man/pokerface.json.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 $(BUILD)/service/pokerface.service $(DESTDIR)$(UNITDIR)/
	install -m 644 config/systemd/pokerface.sysusers \
		$(DESTDIR)$(SYSUSERSDIR)/pokerface.conf
	@# the configuration is the operator's: installed once, never replaced
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/pokerface/pokerface.json ]; then \
		echo "kept $(DESTDIR)$(SYSCONFDIR)/pokerface/pokerface.json (the shipped one is $(PREFIX)/share/pokerface/pokerface.json)"; \
	else \
		install -m 644 $(BUILD)/service/pokerface.json \
			$(DESTDIR)$(SYSCONFDIR)/pokerface/pokerface.json; \
	fi
	@# the system user, on this machine (not into a DESTDIR)
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v systemd-sysusers >/dev/null; then \
		systemd-sysusers $(SYSUSERSDIR)/pokerface.conf; \
	fi

# exactly what install put there: a plugin someone else installed in the
# plugin directory stays, and so do the configuration in SYSCONFDIR, the
# system user and the service's state (/var/lib/pokerface: the held
# messages and the journal's key)
uninstall:
	rm -f $(I)/bin/pokerface $(PLUGIN_NAMES:%=$(I)/lib/pokerface/plugins/%.so) \
		$(I)/include/pokerface/plugin.h $(I)/share/pkgconfig/pokerface-plugin.pc \
		$(I)/share/pokerface/pokerface.json \
		$(LEXICONS:%=$(I)/share/pokerface/lexicons/%) \
		$(I)/share/pokerface/models/learned.model \
		$(I)/share/pokerface/models/coach.model \
		$(WEB_FILES:%=$(I)/share/pokerface/web/%) \
		$(DESTDIR)$(MANDIR)/man1/pokerface.1 \
		$(DESTDIR)$(MANDIR)/man5/pokerface.json.5 \
		$(DESTDIR)$(UNITDIR)/pokerface.service \
		$(DESTDIR)$(SYSUSERSDIR)/pokerface.conf
	@for d in $(I)/lib/pokerface/plugins $(I)/lib/pokerface \
		$(I)/include/pokerface $(I)/share/pokerface/lexicons \
		$(I)/share/pokerface/models $(I)/share/pokerface/web \
		$(I)/share/pokerface; do \
		if [ -d "$$d" ]; then rmdir --ignore-fail-on-non-empty "$$d"; fi; \
	done

FMT_FILES := $(wildcard src/*.c src/*/*.c src/*/*.h include/pokerface/*.h \
	plugins/*/*.[ch] plugins/*/*/*.c tests/*.c tests/*.h tests/fixtures/plugins/*.[ch] tests/abi/*.c \
	tests/fuzz/*.c tests/bench/*.c)

fmt:
	clang-format -i $(FMT_FILES)

fmt-check:
	clang-format --dry-run -Werror $(FMT_FILES)

clean:
	rm -rf build build-asan build-fuzz

FORCE:

-include $(OBJS:.o=.d) $(TEST_OBJS:.o=.d) $(FUZZ_OBJS:.o=.d) \
	$(BUILD)/obj/tests/bench/relay_bench.d $(BUILD)/obj/tests/bench/journal_bench.d \
	$(BUILD)/obj/tests/demo.d $(BUILD)/obj/tests/slackemu.d
