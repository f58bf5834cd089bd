# Running functions (src/fn/invoke.c, handler.c): `make test-invoke` builds the guests in
# tests/invoke/guests to $(BUILD)/tests/invoke/ and runs the tests in tests/invoke/.

INVOKE_GUEST_SRC := $(sort $(wildcard tests/invoke/guests/*.c))
INVOKE_GUESTS    := $(INVOKE_GUEST_SRC:tests/invoke/guests/%.c=$(BUILD)/tests/invoke/%.wasm)
INVOKE_TESTS     := $(BUILD)/tests/invoke-tests
INVOKE_OBJ       := $(patsubst %.c,$(BUILD)/obj/%.o,$(sort $(wildcard tests/invoke/*.c))) \
                    $(BUILD)/obj/tests/unit/check.o

$(BUILD)/tests/invoke/%.wasm: tests/invoke/guests/%.c
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_CFLAGS) -Wall -Wextra -Werror $< -o $@

$(INVOKE_TESTS): $(INVOKE_OBJ) $(FN_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(INVOKE_OBJ) $(FN_LINK) $(FN_LDLIBS) $(LDLIBS)

ifeq ($(SAN),1)
INVOKE_ENV := ASAN_OPTIONS=handle_segv=0:allow_user_segv_handler=1:detect_leaks=1
endif

.PHONY: test-invoke
test-invoke: $(INVOKE_TESTS) $(INVOKE_GUESTS)
	@$(INVOKE_ENV) GUESTS=$(BUILD)/tests/invoke $(INVOKE_TESTS)

CHECK_TARGETS += test-invoke
SAN_CHECK_TARGETS += test-invoke

-include $(INVOKE_OBJ:.o=.d)
