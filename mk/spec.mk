# Core spec tests: `make spec` converts the official suite (shared/wasm-testsuite) with wast2json
# into $(BUILD)/spec/, builds $(BUILD)/tests/spec-runner and runs every file through the public
# API. `make spec SPEC_ARGS="-v i32 br_table"` runs chosen files (verbose); `make spec-bounds`
# runs the suite with explicit_bounds_checks=true.

SPEC_SUITE  ?= $(firstword $(wildcard ../shared/wasm-testsuite /work/shared/wasm-testsuite))
WAST2JSON   ?= wast2json
SPEC_DIR    := $(BUILD)/spec
SPEC_RUNNER := $(BUILD)/tests/spec-runner
SPEC_ARGS   ?=

SPEC_WAST := $(wildcard $(SPEC_SUITE)/*.wast $(SPEC_SUITE)/simd/*.wast)
SPEC_JSON := $(patsubst $(SPEC_SUITE)/%.wast,$(SPEC_DIR)/%.json,$(SPEC_WAST))

# The VM catches out-of-bounds accesses on guard pages with its own SIGSEGV handler.
ifeq ($(SAN),1)
SPEC_ENV := ASAN_OPTIONS=handle_segv=0:allow_user_segv_handler=1:detect_leaks=1 \
            UBSAN_OPTIONS=print_stacktrace=1
SPEC_TIMEOUT ?= 900
else
SPEC_ENV :=
SPEC_TIMEOUT ?= 300
endif

# wast2json does not create the output directory. A failed conversion leaves no .json behind.
$(SPEC_DIR)/%.json: $(SPEC_SUITE)/%.wast
	@mkdir -p $(dir $@)
	@$(WAST2JSON) $< -o $@ || { rm -f $@; exit 1; }

$(SPEC_RUNNER): $(BUILD)/obj/tests/spec/runner.o $(BUILD)/obj/tests/spec/tier_interp.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/obj/tests/spec/runner.o $(BUILD)/obj/tests/spec/tier_interp.o $(LIB) $(LDLIBS) -lcjson

.PHONY: spec spec-convert spec-bounds
spec-convert: $(SPEC_JSON)
	@test -n "$(SPEC_SUITE)" || { echo "spec: the test suite (shared/wasm-testsuite) is missing"; exit 1; }

spec: $(SPEC_RUNNER) spec-convert
	@$(SPEC_ENV) $(SPEC_RUNNER) -t $(SPEC_TIMEOUT) -d $(SPEC_DIR) $(SPEC_ARGS)

spec-bounds: $(SPEC_RUNNER) spec-convert
	@$(SPEC_ENV) $(SPEC_RUNNER) -b -t $(SPEC_TIMEOUT) -d $(SPEC_DIR) $(SPEC_ARGS)

CHECK_TARGETS += spec
SAN_CHECK_TARGETS += spec

-include $(BUILD)/obj/tests/spec/runner.d $(BUILD)/obj/tests/spec/tier_interp.d
