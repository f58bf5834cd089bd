# Unit tests of the embedding API: `make test-unit` builds $(BUILD)/tests/unit-tests from
# tests/unit/*.c and runs it (it needs wat2wasm at run time). `make test-unit UNIT_ARGS="-v
# interrupt"` runs the tests whose names contain "interrupt", verbosely.

UNIT_SRC    := $(sort $(wildcard tests/unit/*.c))
UNIT_OBJ    := $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_TESTS  := $(BUILD)/tests/unit-tests
UNIT_ARGS   ?=

ifeq ($(SAN),1)
UNIT_ENV := ASAN_OPTIONS=handle_segv=0:allow_user_segv_handler=1:detect_leaks=1 \
            UBSAN_OPTIONS=print_stacktrace=1
else
UNIT_ENV :=
endif

$(UNIT_TESTS): $(UNIT_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(UNIT_OBJ) $(LIB) $(LDLIBS)

.PHONY: test-unit
test-unit: $(UNIT_TESTS)
	@$(UNIT_ENV) $(UNIT_TESTS) $(UNIT_ARGS)

CHECK_TARGETS += test-unit
SAN_CHECK_TARGETS += test-unit

-include $(UNIT_OBJ:.o=.d)
