# nanodns: plain GNU Makefile with pkg-config.
#
#   make            release build: build/nanodns
#   make run        install missing Debian packages, build, serve the example on 127.0.0.1:5353
#   make test       install missing Debian packages, then everything under ASan+UBSan: unit
#                   tests, system tests, fuzz-corpus replay; plus a clang -Werror build
#   make fuzz       libFuzzer targets (clang), each run for FUZZ_SECONDS
#   make bench      in-process query_process micro-benchmark, then ../shared/bench/run.sh
#                   (Knot DNS, NSD, BIND, a no-work reflector and nanodns side by side)
#   make qbench     the micro-benchmark alone
#   make bench-load load time and memory of a 1,000,000-record zone file
#   make clean
#
# Variables: CC (gcc), BUILD (build), PYTHON (/usr/bin/python3), PYTEST_ARGS, FUZZ_SECONDS,
# STATIC_DEPS (1: the release binary links jansson, liburcu, libuv, nettle and lmdb statically).

VERSION := 0.1.0

ifeq ($(origin CC),default)
CC := gcc
endif
BUILD   ?= build
PYTHON  ?= /usr/bin/python3
# Linked: what every server uses. Headers only: libraries loaded on first use (src/util/dl.h).
PKGS    := jansson liburcu liburcu-cds libuv nettle lmdb libsodium
DL_PKGS := libmicrohttpd libcurl libsystemd
FUZZ_SECONDS ?= 60

# pkg-config is expanded lazily so that `make test` can install the packages first.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) $(DL_PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS)) -lpthread
# The release binary takes the linked libraries from their Debian -dev packages' static
# archives (libc stays shared): one binary that starts ~1 ms sooner, since the dynamic loader
# maps and relocates six fewer libraries. A security update of one of them then needs a
# rebuild (`make`); STATIC_DEPS=0 links them as shared libraries instead.
STATIC_DEPS ?= 1
STATIC_LIBS := -Wl,-Bstatic -ljansson -lurcu -lurcu-cds -lnettle -luv_a -llmdb -lsodium -Wl,-Bdynamic \
               -lpthread -ldl
REL_LIBS     = $(if $(filter 1,$(STATIC_DEPS)),$(STATIC_LIBS),$(PKG_LIBS))

WARN     := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
            -Wmissing-prototypes -Wvla -Wformat=2 -Wno-format-nonliteral
BASEFLAGS = -std=c17 -D_GNU_SOURCE -Isrc -I$(BUILD)/gen $(WARN) -MMD -MP \
            -DNANODNS_VERSION='"$(VERSION)"' $(PKG_CFLAGS)
OPTFLAGS ?= -O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2
SANFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
            -fno-sanitize-recover=all

SRC      := $(sort $(wildcard src/*/*.c))
MAIN_SRC := src/server/main.c
LIB_SRC  := $(filter-out $(MAIN_SRC),$(SRC))
GEN_SRC  := $(BUILD)/gen/example_config.c
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

REL_OBJ  := $(patsubst %.c,$(BUILD)/rel/%.o,$(LIB_SRC)) $(BUILD)/rel/gen/example_config.o
SAN_OBJ  := $(patsubst %.c,$(BUILD)/san/%.o,$(LIB_SRC)) $(BUILD)/san/gen/example_config.o
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/san/tests/%,$(UNIT_SRC))
REPLAY_BIN := $(patsubst tests/fuzz/%.c,$(BUILD)/san/fuzz/%-replay,$(FUZZ_SRC))
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))

# Quiet by default; `make V=1` shows the commands.
ifeq ($(V),1)
Q :=
QCC = 
else
Q := @
QCC = @echo "  CC      $<";
endif

.PHONY: all run test check unit system replay clang-check fuzz bench qbench bench-load deps deps-test clean
.DEFAULT_GOAL := all
.SECONDARY:

# Test suites kept in their own fragments add themselves here: CHECK_EXTRA (more targets for
# `make check`), SYSTEM_DEPS and SYSTEM_ENV (what the system tests need built and passed).
CHECK_EXTRA :=
SYSTEM_DEPS :=
SYSTEM_ENV  :=
include $(sort $(wildcard mk/*.mk))

all: $(BUILD)/nanodns

# ---- the embedded example config (`nanodns init`, `start` without --config) ----------------
$(GEN_SRC): src/conf/example-config.json scripts/embed.sh
	@mkdir -p $(dir $@)
	$(Q)scripts/embed.sh conf_example_json $< > $@

# ---- release build -------------------------------------------------------------------------
$(BUILD)/rel/%.o: %.c
	@mkdir -p $(dir $@)
	$(QCC)$(CC) $(BASEFLAGS) $(OPTFLAGS) -c $< -o $@
$(BUILD)/rel/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(QCC)$(CC) $(BASEFLAGS) $(OPTFLAGS) -c $< -o $@
$(BUILD)/nanodns: $(BUILD)/rel/$(MAIN_SRC:.c=.o) $(REL_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(OPTFLAGS) -o $@ $^ $(REL_LIBS)

# ---- sanitizer build (tests) ---------------------------------------------------------------
$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(QCC)$(CC) $(BASEFLAGS) $(SANFLAGS) -c $< -o $@
$(BUILD)/san/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(QCC)$(CC) $(BASEFLAGS) $(SANFLAGS) -c $< -o $@
$(BUILD)/san/nanodns: $(BUILD)/san/$(MAIN_SRC:.c=.o) $(SAN_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(SANFLAGS) -o $@ $^ $(PKG_LIBS)
$(BUILD)/san/tests/%: $(BUILD)/san/tests/unit/%.o $(SAN_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(SANFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka
$(BUILD)/san/fuzz/%-replay: $(BUILD)/san/tests/fuzz/%.o $(BUILD)/san/tests/fuzz/replay.o $(SAN_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(SANFLAGS) -o $@ $^ $(PKG_LIBS)

# ---- the two README commands -----------------------------------------------------------------
deps:
	@scripts/deps.sh build
deps-test:
	@scripts/deps.sh test

run: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/nanodns start --host 127.0.0.1 --port 5353 --mgmt-host 127.0.0.1 --mgmt-port 9053

test: deps-test
	@$(MAKE) --no-print-directory check

check: unit system replay clang-check $(CHECK_EXTRA)
	@echo "make test: all passed"

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

system: $(BUILD)/san/nanodns $(SYSTEM_DEPS)
	NANODNS_BIN=$(abspath $(BUILD)/san/nanodns) $(SYSTEM_ENV) $(PYTHON) -m pytest -q tests/system $(PYTEST_ARGS)

replay: $(REPLAY_BIN)
	@set -e; for t in $(REPLAY_BIN); do \
	  name=$$(basename $$t -replay); name=$${name#fuzz_}; \
	  echo "== $$t tests/fuzz/corpus/$$name"; $$t tests/fuzz/corpus/$$name; done

# Everything must also build warning-free with clang.
clang-check:
	@$(MAKE) --no-print-directory CC=clang BUILD=$(BUILD)/clang all

# ---- libFuzzer -------------------------------------------------------------------------------
FUZZ_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(GEN_SRC)
	@mkdir -p $(dir $@)
	clang $(BASEFLAGS) $(FUZZ_FLAGS) -o $@ $< $(LIB_SRC) $(GEN_SRC) $(PKG_LIBS)

# Every target runs for FUZZ_SECONDS under ASan+UBSan. Inputs that crash, leak or time out
# are copied into the target's replayed corpus (tests/fuzz/corpus/<name>/), so that `make
# test` fails on them until they are fixed and then guards against their return; the run
# goes on with the other targets and fails at the end, naming the files.
fuzz: deps-test
	@$(MAKE) --no-print-directory BUILD=$(BUILD) $(FUZZ_BIN)
	@found=""; for t in $(FUZZ_BIN); do \
	  name=$$(basename $$t); name=$${name#fuzz_}; art=$(BUILD)/fuzz/artifacts-$$name; \
	  mkdir -p $(BUILD)/fuzz/new-$$name $$art; \
	  echo "== $$t for $(FUZZ_SECONDS)s"; \
	  $$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	      -artifact_prefix=$$art/ $(BUILD)/fuzz/new-$$name tests/fuzz/corpus/$$name \
	      || echo "== $$t failed"; \
	  for f in $$art/crash-* $$art/leak-* $$art/timeout-* $$art/oom-*; do \
	    [ -f "$$f" ] || continue; \
	    cp "$$f" tests/fuzz/corpus/$$name/ && rm -f "$$f"; \
	    found="$$found tests/fuzz/corpus/$$name/$$(basename $$f)"; done; \
	done; \
	if [ -n "$$found" ]; then \
	  echo "make fuzz: new failing inputs, added to the replayed corpus:$$found"; exit 1; fi; \
	echo "make fuzz: no failures"

# ---- benchmarks (never part of `make test`) ---------------------------------------------------
$(BUILD)/bench/qbench: bench/qbench.c $(REL_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(BASEFLAGS) $(OPTFLAGS) -o $@ $< $(REL_OBJ) $(PKG_LIBS)

$(BUILD)/bench/startprobe: bench/startprobe.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) -std=c17 -D_GNU_SOURCE -O2 $(WARN) -o $@ $<

qbench: deps $(BUILD)/bench/qbench
	$(BUILD)/bench/qbench bench/internal.lan.zone

# The in-process micro-benchmark, then ../shared/bench/run.sh with nanodns as the server
# under test (BENCH_ARGS: environment for run.sh, e.g. BENCH_ARGS="QUICK=1").
bench: deps all $(BUILD)/bench/qbench $(BUILD)/bench/startprobe
	scripts/bench.sh $(BENCH_ARGS)

# Load time and memory for a zone file of BENCH_RECORDS records (KNOT=1: Knot DNS too).
BENCH_RECORDS ?= 1000000
bench-load: all
	scripts/zone-load-bench.sh $(BENCH_RECORDS)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
