# End-to-end tests of pipelines (src/pipeline): `make test-flow` runs `sluice pipeline run` on
# pipeline files written by tests/flow/run.sh into a temp folder: file, stdin and tcp sources,
# CSV with bad lines, function stages (batch and per record, a trapping one), windows,
# filter/select, file and sqlite sinks, the dead letter, resuming a file source from its
# offset, and backpressure from a slow stage to a TCP sender. The test guest is built with the
# C SDK like the example functions.

FLOW_GUESTS := $(BUILD)/tests/flow/trapper.handler.wasm

$(BUILD)/tests/flow/%.handler.wasm: tests/flow/guests/%.c sdk/c/sluice_fn.c sdk/c/sluice_fn.h
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_CFLAGS) $(FN_WASM_FLAGS) -DSLUICE_HANDLER -mexec-model=reactor -o $@ $< sdk/c/sluice_fn.c

ifeq ($(SAN),1)
FLOW_ENV := ASAN_OPTIONS=handle_segv=0:allow_user_segv_handler=1:detect_leaks=1
endif

.PHONY: test-flow
test-flow: all $(FLOW_GUESTS)
	@$(FLOW_ENV) bash tests/flow/run.sh $(BUILD)

CHECK_TARGETS += test-flow
SAN_CHECK_TARGETS += test-flow

