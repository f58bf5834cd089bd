# Benchmarks (bench/README.md). `make bench` builds the programs natively and to wasm, times
# them natively, under build/sluice and under node, and measures compile/instantiate costs.
# `make bench-smoke` (part of `make check`) only checks that sluice's outputs match native.

BENCH_ENV = BUILD="$(BUILD)" WASM_CC="$(WASM_CC)" WASM_CFLAGS="$(WASM_CFLAGS)"

.PHONY: bench bench-smoke
bench: $(SLUICE) $(LIB)
	@$(MAKE) --no-print-directory NOPOLL=1 BUILD=$(BUILD)/nopoll $(BUILD)/nopoll/sluice >/dev/null
	@$(BENCH_ENV) bash bench/run.sh

bench-smoke: $(SLUICE)
	@$(BENCH_ENV) bash bench/run.sh --smoke

CHECK_TARGETS += bench-smoke
