# Tests of the server's function registry (src/serve/registry.c): `make test-registry` builds
# $(BUILD)/tests/registry-tests from tests/serve/test_registry.c and the unit-test runner
# (tests/unit/check.c) and runs it in temp directories under $(BUILD)/tmp. It needs wat2wasm.
# `make test-registry REGISTRY_ARGS="-v alias"` runs the tests whose names contain "alias".

REGISTRY_OBJ   := $(BUILD)/obj/tests/serve/test_registry.o $(BUILD)/obj/tests/unit/check.o
REGISTRY_TESTS := $(BUILD)/tests/registry-tests
REGISTRY_ARGS  ?=

ifeq ($(SAN),1)
REGISTRY_ENV := ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
else
REGISTRY_ENV :=
endif

$(REGISTRY_TESTS): $(REGISTRY_OBJ) $(SERVE_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(REGISTRY_OBJ) $(SERVE_LINK) $(SERVE_LDLIBS) $(LDLIBS)

.PHONY: test-registry
test-registry: $(REGISTRY_TESTS)
	@mkdir -p $(BUILD)/tmp
	@SLUICE_TEST_TMP=$(abspath $(BUILD)/tmp) $(REGISTRY_ENV) $(REGISTRY_TESTS) $(REGISTRY_ARGS)

CHECK_TARGETS += test-registry
SAN_CHECK_TARGETS += test-registry

-include $(REGISTRY_OBJ:.o=.d)
