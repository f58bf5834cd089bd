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
