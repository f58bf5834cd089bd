# The official WASI preview1 test suite (shared/wasi-testsuite: 72 prebuilt C, Rust and
# AssemblyScript tests). tests/wasi-testsuite/run.py runs each under `$(SLUICE) run` against a
# fresh copy of its directory in $(BUILD)/wasi-testsuite/, checks exit code and output, and
# ends with `wasi-testsuite: N passed, N failed`. WASI_TS_FLAGS are extra `sluice run` options
# (another tier, limits); WASI_TS_ARGS are the runner's own (`-v`, `-j 1`, `--timeout S`).

WASI_TS_SUITE ?= $(firstword $(wildcard ../shared/wasi-testsuite /work/shared/wasi-testsuite))
WASI_TS_FLAGS ?=
WASI_TS_ARGS  ?=

# The VM catches out-of-bounds accesses on guard pages with its own SIGSEGV handler.
ifeq ($(SAN),1)
WASI_TS_ENV := ASAN_OPTIONS=handle_segv=0:allow_user_segv_handler=1:detect_leaks=1 \
               UBSAN_OPTIONS=print_stacktrace=1
WASI_TS_TIMEOUT ?= 300
else
WASI_TS_ENV :=
WASI_TS_TIMEOUT ?= 60
endif

.PHONY: test-wasi-testsuite
test-wasi-testsuite: $(SLUICE)
	@test -n "$(WASI_TS_SUITE)" || { echo "wasi-testsuite: the test suite (shared/wasi-testsuite) is missing"; \
		echo "wasi-testsuite: 0 passed, 1 failed"; exit 1; }
	@$(WASI_TS_ENV) python3 tests/wasi-testsuite/run.py --suite $(WASI_TS_SUITE) \
		--work $(BUILD)/wasi-testsuite --timeout $(WASI_TS_TIMEOUT) $(WASI_TS_ARGS) \
		$(SLUICE) $(WASI_TS_FLAGS)

CHECK_TARGETS += test-wasi-testsuite
SAN_CHECK_TARGETS += test-wasi-testsuite
