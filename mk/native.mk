# The native tier (docs/native.md): libsluice-compile.a, the compiler from Wasm to native code
# with LLVM 15 (the only library that links LLVM), and its tests. `make spec-native` runs the
# core suite with every function the compiler supports running natively.
LLVM_CONFIG  ?= llvm-config-15
LLVM_CFLAGS  := $(filter-out -D_GNU_SOURCE,$(shell $(LLVM_CONFIG) --cflags 2>/dev/null))
LLVM_LDLIBS  := $(shell $(LLVM_CONFIG) --ldflags --libs core analysis target x86 passes 2>/dev/null)
COMPILE_SRC  := $(sort $(wildcard src/compile/*.c))
COMPILE_OBJ  := $(COMPILE_SRC:%.c=$(BUILD)/obj/%.o)
COMPILE_LIB  := $(BUILD)/libsluice-compile.a
COMPILE_LINK := $(COMPILE_LIB) $(LIB)

$(COMPILE_OBJ): CFLAGS += $(LLVM_CFLAGS)
$(COMPILE_LIB): $(COMPILE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
LAYER_LIBS += $(COMPILE_LIB)
all: $(COMPILE_LIB)

-include $(COMPILE_OBJ:.o=.d)

# The spec suite on the native tier (tests/spec/tier_native.c): in `make check` since it passes
# everything it does not skip, like the interpreter's `make spec`.
SPEC_RUNNER_NATIVE := $(BUILD)/tests/spec-runner-native
$(BUILD)/obj/tests/spec/tier_native.o: CFLAGS += $(LLVM_CFLAGS)
$(SPEC_RUNNER_NATIVE): $(BUILD)/obj/tests/spec/runner.o $(BUILD)/obj/tests/spec/tier_native.o $(COMPILE_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/obj/tests/spec/runner.o $(BUILD)/obj/tests/spec/tier_native.o \
	    $(COMPILE_LINK) $(LLVM_LDLIBS) $(LDLIBS) -lcjson

.PHONY: spec-native
spec-native: $(SPEC_RUNNER_NATIVE) spec-convert
	@$(SPEC_ENV) $(SPEC_RUNNER_NATIVE) -t $(SPEC_TIMEOUT) -d $(SPEC_DIR) $(SPEC_ARGS)

-include $(BUILD)/obj/tests/spec/tier_native.d

# sluice-compile: `sluice compile` and the cache filler of `sluice run --tier native`.
SLUICE_COMPILE := $(BUILD)/sluice-compile
SLUICE_COMPILE_OBJ := $(BUILD)/obj/src/cli/compile/main.o
$(SLUICE_COMPILE_OBJ): CFLAGS += $(LLVM_CFLAGS)
$(SLUICE_COMPILE): $(SLUICE_COMPILE_OBJ) $(COMPILE_LIB) $(BASE_LINK)
	$(CC) $(LDFLAGS) -o $@ $(SLUICE_COMPILE_OBJ) $(COMPILE_LIB) $(BASE_LINK) $(LLVM_LDLIBS) $(BASE_LDLIBS) $(LDLIBS)
all: $(SLUICE_COMPILE)
-include $(SLUICE_COMPILE_OBJ:.o=.d)

# `sluice compile` and `sluice run --tier native` end to end (tests/native/run.sh).
.PHONY: test-native
test-native: all
	@bash tests/native/run.sh $(BUILD)

CHECK_TARGETS += spec-native test-native
