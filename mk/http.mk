# HTTP integration tests of `sluice serve` (docs/api.md): `make test-http` builds the guests in
# tests/http/guests to $(BUILD)/tests/http/ (NAME.c a WASI command; NAME.handler.c a handler
# module built with the C SDK, WASI imports kept so its stderr reaches the log), reuses some
# of tests/invoke/guests, and runs tests/http/run.sh $(BUILD): a real server on a loopback
# port, driven with curl and raw sockets (python3).

HTTP_GUEST_DIR     := $(BUILD)/tests/http
HTTP_GUEST_SRC     := $(sort $(wildcard tests/http/guests/*.c))
HTTP_HANDLER_SRC   := $(filter %.handler.c,$(HTTP_GUEST_SRC))
HTTP_COMMAND_SRC   := $(filter-out %.handler.c,$(HTTP_GUEST_SRC))
HTTP_COMMANDS      := $(HTTP_COMMAND_SRC:tests/http/guests/%.c=$(HTTP_GUEST_DIR)/%.wasm)
HTTP_HANDLERS      := $(HTTP_HANDLER_SRC:tests/http/guests/%.c=$(HTTP_GUEST_DIR)/%.wasm)
# Built by the pattern rule in mk/invoke.mk (included after this file, hence listed here).
HTTP_INVOKE_GUESTS := $(patsubst %,$(BUILD)/tests/invoke/%.wasm,trap spin badjson big exit3 cat svg env)

$(HTTP_COMMANDS): $(HTTP_GUEST_DIR)/%.wasm: tests/http/guests/%.c
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_CFLAGS) -Wall -Wextra -Werror $< -o $@

$(HTTP_HANDLERS): $(HTTP_GUEST_DIR)/%.wasm: tests/http/guests/%.c sdk/c/sluice_fn.c sdk/c/sluice_fn.h
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_CFLAGS) -std=gnu17 -Wall -Wextra -Werror -Isdk/c -DSLUICE_HANDLER \
	    -mexec-model=reactor -o $@ $< sdk/c/sluice_fn.c

# The VM catches SIGSEGV for its guard pages: ASan must leave that signal to it.
ifeq ($(SAN),1)
HTTP_ENV := ASAN_OPTIONS=handle_segv=0:allow_user_segv_handler=1:detect_leaks=1 \
            UBSAN_OPTIONS=print_stacktrace=1
endif

.PHONY: test-http
test-http: all $(HTTP_COMMANDS) $(HTTP_HANDLERS) $(HTTP_INVOKE_GUESTS)
	@$(HTTP_ENV) bash tests/http/run.sh $(BUILD)

CHECK_TARGETS += test-http
SAN_CHECK_TARGETS += test-http
