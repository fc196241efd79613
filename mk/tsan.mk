# ThreadSanitizer concurrency tests (tests/tsan/tsan_*.c), part of `make check`:
#
#   make tsan       build the library and the tests with -fsanitize=thread and run them
#
# Objects go to $(BUILD)/tsan/ with their own pattern rules. Each tests/tsan/tsan_<x>.c is
# one program, exiting nonzero on failure; TSan is told to stop at the first report with
# exit code 66, so a race fails the build. tests/tsan/urcu_model.c is linked into every
# program: it tells TSan what liburcu (not instrumented) guarantees, through the linker's
# --wrap of the liburcu calls our objects make. No report is suppressed.
#
# Variables: TSAN_OPTIONS_EXTRA (appended to TSAN_OPTIONS), TSAN_TIMEOUT (seconds per
# program, 300).

TSAN_FLAGS   := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
TSAN_SRC     := $(sort $(wildcard tests/tsan/tsan_*.c))
TSAN_BIN     := $(patsubst tests/tsan/%.c,$(BUILD)/tsan/bin/%,$(TSAN_SRC))
TSAN_LIB_OBJ := $(patsubst %.c,$(BUILD)/tsan/%.o,$(LIB_SRC)) $(BUILD)/tsan/gen/example_config.o
TSAN_LIB     := $(BUILD)/tsan/libnanodns.a
TSAN_MODEL   := $(BUILD)/tsan/tests/tsan/urcu_model.o
TSAN_WRAP    := -Wl,--wrap=rcu_dereference_sym,--wrap=rcu_xchg_pointer_sym \
                -Wl,--wrap=urcu_memb_read_lock,--wrap=urcu_memb_read_unlock \
                -Wl,--wrap=urcu_memb_synchronize_rcu,--wrap=urcu_memb_call_rcu \
                -Wl,--wrap=urcu_memb_barrier,--wrap=cds_lfht_destroy \
                -Wl,--wrap=cds_lfht_lookup,--wrap=cds_lfht_add_replace,--wrap=cds_lfht_del
TSAN_TIMEOUT ?= 300
TSAN_ENV      = TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1:history_size=7$(TSAN_OPTIONS_EXTRA:%=:%)"

.PHONY: tsan
CHECK_EXTRA += tsan

$(BUILD)/tsan/%.o: %.c
	@mkdir -p $(dir $@)
	$(QCC)$(CC) $(BASEFLAGS) $(TSAN_FLAGS) -c $< -o $@
$(BUILD)/tsan/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(QCC)$(CC) $(BASEFLAGS) $(TSAN_FLAGS) -c $< -o $@
# An archive, so that each program links only the modules it uses.
$(TSAN_LIB): $(TSAN_LIB_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/tsan/bin/%: $(BUILD)/tsan/tests/tsan/%.o $(TSAN_MODEL) $(TSAN_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(TSAN_FLAGS) $(TSAN_WRAP) -o $@ $^ $(PKG_LIBS)

# Some kernels place mappings where TSan does not expect them ("unexpected memory mapping",
# with a high vm.mmap_rnd_bits); then the program is run again without address space
# randomization, which the message says.
tsan: $(TSAN_BIN)
	@set -e; for t in $(TSAN_BIN); do \
	  echo "== $$t"; rc=0; \
	  $(TSAN_ENV) timeout $(TSAN_TIMEOUT) $$t 2>$$t.err || rc=$$?; cat $$t.err >&2; \
	  if [ $$rc -ne 0 ] && grep -q 'unexpected memory mapping' $$t.err; then \
	    echo "== $$t: TSan cannot run with this address layout; again under setarch -R"; \
	    $(TSAN_ENV) timeout $(TSAN_TIMEOUT) setarch $$(uname -m) -R $$t; \
	  elif [ $$rc -ne 0 ]; then \
	    echo "== $$t: FAILED (exit $$rc; 66 is a ThreadSanitizer report)" >&2; exit $$rc; \
	  fi; done
