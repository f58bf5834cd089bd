# The anomaly function (functions/anomaly: S-H-ESD, issue #6), built like the example functions
# of mk/functions.mk (a WASI command $(BUILD)/functions/anomaly.wasm and a handler module
# anomaly.handler.wasm importing nothing) but from all of functions/anomaly/*.c. This file is
# read before mk/functions.mk, so it names its paths itself.
# `make test-anomaly` (part of `make check`, also under ASan) runs both against the Python
# reference (tests/anomaly/run.sh, run.py, reference.py: numpy, scipy, statsmodels), through
# tests/functions/handler_driver.c (linked with $(LIB)) and tests/anomaly/probe.c (the
# function's numerical code as a WASI command).

ANOMALY_SRC     := $(sort $(wildcard functions/anomaly/*.c))
ANOMALY_DEPS    := $(ANOMALY_SRC) $(wildcard functions/anomaly/*.h) sdk/c/sluice_fn.c \
                   sdk/c/sluice_fn.h mk/anomaly.mk
ANOMALY_FLAGS   := -std=gnu17 -Wall -Wextra -Werror -Isdk/c
ANOMALY_WASM    := $(BUILD)/functions/anomaly.wasm
ANOMALY_HANDLER := $(BUILD)/functions/anomaly.handler.wasm
ANOMALY_DRIVER  := $(BUILD)/tests/functions/handler_driver # its rule: mk/functions.mk
ANOMALY_PROBE   := $(BUILD)/tests/anomaly/probe.wasm

all: $(ANOMALY_WASM) $(ANOMALY_HANDLER)

$(ANOMALY_WASM): $(ANOMALY_DEPS)
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_CFLAGS) $(ANOMALY_FLAGS) -o $@ $(ANOMALY_SRC) sdk/c/sluice_fn.c

$(ANOMALY_HANDLER): $(ANOMALY_DEPS)
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_CFLAGS) $(ANOMALY_FLAGS) -DSLUICE_HANDLER -DSLUICE_NO_WASI_IMPORTS \
	    -mexec-model=reactor -o $@ $(ANOMALY_SRC) sdk/c/sluice_fn.c

# The probe links the function's sources but its own main (anomaly.c holds the SDK glue).
$(ANOMALY_PROBE): tests/anomaly/probe.c $(ANOMALY_DEPS)
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_CFLAGS) $(ANOMALY_FLAGS) -Ifunctions/anomaly -o $@ tests/anomaly/probe.c \
	    $(filter-out functions/anomaly/anomaly.c,$(ANOMALY_SRC))

.PHONY: anomaly test-anomaly
anomaly: $(ANOMALY_WASM) $(ANOMALY_HANDLER)

# hello.wasm (mk/functions.mk) checks the SDK's argument handling for a function without
# sl_fn_setup.
test-anomaly: $(SLUICE) $(ANOMALY_DRIVER) $(ANOMALY_WASM) $(ANOMALY_HANDLER) $(ANOMALY_PROBE) \
              $(BUILD)/functions/hello.wasm
	@bash tests/anomaly/run.sh $(SLUICE) $(ANOMALY_DRIVER) $(BUILD)/functions $(ANOMALY_PROBE)

CHECK_TARGETS += test-anomaly
SAN_CHECK_TARGETS += test-anomaly
