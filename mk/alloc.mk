# Allocation counting for the UDP hot path (tests/system/test_alloc.py).
#
# tests/alloc/alloccount.c is an LD_PRELOAD shim that counts malloc & co. on the UDP worker
# threads. It runs under the release binary: the sanitizer build cannot take a malloc shim
# (ASan owns malloc), so `make system` also builds $(BUILD)/nanodns and passes both paths.

ALLOC_SHIM := $(BUILD)/alloc/alloccount.so

$(ALLOC_SHIM): tests/alloc/alloccount.c mk/alloc.mk
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) -std=gnu17 -Wall -Wextra -Werror -O1 -g -fPIC -shared -o $@ $< -ldl

SYSTEM_DEPS += $(BUILD)/nanodns $(ALLOC_SHIM)
SYSTEM_ENV  += NANODNS_REL_BIN=$(abspath $(BUILD)/nanodns) \
               NANODNS_ALLOC_SHIM=$(abspath $(ALLOC_SHIM))
