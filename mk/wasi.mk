# WASI tests: guest C programs in tests/wasi/ are built for wasm32-wasi and run under
# $(SLUICE) by tests/wasi/run.sh (which also compares with node's WASI when node is there);
# tests/wasi/api/api_test.c checks the embedding side (captured stdio, limits).
.PHONY: test-wasi

$(BUILD)/tests/wasi/api_test: tests/wasi/api/api_test.c $(LIB) include/sluice_wasi.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

test-wasi: $(SLUICE) $(BUILD)/tests/wasi/api_test
	@bash tests/wasi/run.sh $(SLUICE) $(BUILD)

CHECK_TARGETS += test-wasi
SAN_CHECK_TARGETS += test-wasi
