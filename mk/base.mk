# The base layer's unit tests (src/base: buffer, files, errors, names): `make test-base`.
BASE_TEST_OBJ := $(BUILD)/obj/tests/base/test_base.o $(BUILD)/obj/tests/unit/check.o
BASE_TESTS    := $(BUILD)/tests/base-tests

$(BASE_TESTS): $(BASE_TEST_OBJ) $(BASE_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(BASE_TEST_OBJ) $(BASE_LINK) $(BASE_LDLIBS) $(LDLIBS)

.PHONY: test-base
test-base: $(BASE_TESTS)
	@mkdir -p $(BUILD)/tmp
	@SLUICE_TEST_TMP=$(abspath $(BUILD)/tmp) $(BASE_TESTS)

CHECK_TARGETS += test-base
SAN_CHECK_TARGETS += test-base

-include $(BASE_TEST_OBJ:.o=.d)
