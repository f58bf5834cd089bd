# Example functions (functions/NAME/NAME.c) built with the C SDK (sdk/c/, docs/abi.md).
# `make` builds each as a WASI command, $(BUILD)/functions/NAME.wasm, and as a handler module,
# $(BUILD)/functions/NAME.handler.wasm (importing nothing: -DSLUICE_NO_WASI_IMPORTS).
# `make test-functions` (part of `make check`, also under ASan) runs them under $(SLUICE) and
# through tests/functions/handler_driver.c (linked with $(LIB)), and checks the PCA numbers
# against numpy (tests/functions/run.sh, run.py).

FUNCTIONS      := hello echo pca wordcount identity
FN_DIR         := $(BUILD)/functions
FN_SDK         := sdk/c/sluice_fn.c sdk/c/sluice_fn.h mk/functions.mk
FN_WASM_FLAGS  := -std=gnu17 -Wall -Wextra -Werror -Isdk/c
FN_COMMANDS    := $(FUNCTIONS:%=$(FN_DIR)/%.wasm)
FN_HANDLERS    := $(FUNCTIONS:%=$(FN_DIR)/%.handler.wasm)
HANDLER_DRIVER := $(BUILD)/tests/functions/handler_driver

all: $(FN_COMMANDS) $(FN_HANDLERS)

define function_rules
$(FN_DIR)/$1.wasm: functions/$1/$1.c $(FN_SDK)
	@mkdir -p $$(dir $$@)
	$$(WASM_CC) $$(WASM_CFLAGS) $$(FN_WASM_FLAGS) -o $$@ $$< sdk/c/sluice_fn.c

$(FN_DIR)/$1.handler.wasm: functions/$1/$1.c $(FN_SDK)
	@mkdir -p $$(dir $$@)
	$$(WASM_CC) $$(WASM_CFLAGS) $$(FN_WASM_FLAGS) -DSLUICE_HANDLER -DSLUICE_NO_WASI_IMPORTS -mexec-model=reactor \
	    -o $$@ $$< sdk/c/sluice_fn.c
endef
$(foreach f,$(FUNCTIONS),$(eval $(call function_rules,$f)))

$(HANDLER_DRIVER): $(BUILD)/obj/tests/functions/handler_driver.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

.PHONY: functions test-functions
functions: $(FN_COMMANDS) $(FN_HANDLERS)

test-functions: $(SLUICE) $(HANDLER_DRIVER) $(FN_COMMANDS) $(FN_HANDLERS)
	@bash tests/functions/run.sh $(SLUICE) $(HANDLER_DRIVER) $(FN_DIR)

CHECK_TARGETS += test-functions
SAN_CHECK_TARGETS += test-functions

-include $(BUILD)/obj/tests/functions/handler_driver.d
