# Examples of embedding libsluice (docs/embedding.md). `make examples` builds
# $(BUILD)/examples/embed; `make test-examples` (part of `make check`) runs it on its built-in
# module and on small modules assembled here with wat2wasm, and checks what it prints, so the
# documented example keeps working.

EXAMPLES_DIR := $(BUILD)/examples
EMBED        := $(EXAMPLES_DIR)/embed

ifeq ($(SAN),1)
EXAMPLES_ENV := ASAN_OPTIONS=handle_segv=0:allow_user_segv_handler=1:detect_leaks=1 \
                UBSAN_OPTIONS=print_stacktrace=1
else
EXAMPLES_ENV :=
endif

$(EMBED): $(BUILD)/obj/examples/embed.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/obj/examples/embed.o $(LIB) $(LDLIBS)

# Test modules: each exports run(i32) -> i32 and may import env.log(i32, i32).
EXAMPLE_WAT_triple := (module (func (export "run") (param i32) (result i32) \
    (i32.mul (local.get 0) (i32.const 3))))
EXAMPLE_WAT_spin   := (module (func (export "run") (param i32) (result i32) \
    (loop $$l (br $$l)) (i32.const 0)))
EXAMPLE_WAT_badlog := (module (import "env" "log" (func $$log (param i32 i32))) (memory 1) \
    (func (export "run") (param i32) (result i32) \
    (call $$log (i32.const 65530) (i32.const 10)) (i32.const 0)))
EXAMPLE_WAT_noexp  := (module (func (export "other")))

$(EXAMPLES_DIR)/%.wasm:
	@mkdir -p $(dir $@)
	@printf '%s\n' '$(EXAMPLE_WAT_$*)' > $(EXAMPLES_DIR)/$*.wat
	@wat2wasm $(EXAMPLES_DIR)/$*.wat -o $@

EXAMPLE_MODULES := $(addprefix $(EXAMPLES_DIR)/,triple.wasm spin.wasm badlog.wasm noexp.wasm)

# expect CMD REGEX: CMD (stdout and stderr together) must print a line matching REGEX.
define expect
	out=$$( { $(EXAMPLES_ENV) $1; } 2>&1); \
	if printf '%s\n' "$$out" | grep -Eq -- '$2'; then :; else \
	  echo "test-examples: FAIL: '$1' printed:"; printf '%s\n' "$$out"; \
	  echo "test-examples: expected a line matching: $2"; exit 1; fi
endef

.PHONY: examples test-examples
examples: $(EMBED)

test-examples: $(EMBED) $(EXAMPLE_MODULES)
	@$(call expect,$(EMBED),^guest says: summing 1\.\.n$$)
	@$(call expect,$(EMBED),^run\(10\) = 55$$)
	@$(call expect,$(EMBED) - 100,^run\(100\) = 5050$$)
	@$(call expect,$(EMBED) $(EXAMPLES_DIR)/missing.wasm,No such file)
	@$(call expect,$(EMBED) $(EXAMPLES_DIR)/triple.wasm 14,^run\(14\) = 42$$)
	@$(call expect,$(EMBED) $(EXAMPLES_DIR)/spin.wasm,^embed: run: trap: interrupted)
	@$(call expect,$(EMBED) $(EXAMPLES_DIR)/badlog.wasm,^embed: run: trap: log: .* is outside memory$$)
	@$(call expect,$(EMBED) $(EXAMPLES_DIR)/noexp.wasm,^embed: run: bad argument)
	@$(EXAMPLES_ENV) $(EMBED) $(EXAMPLES_DIR)/spin.wasm >/dev/null 2>&1; \
	  test $$? = 1 || { echo "test-examples: FAIL: embed should exit 1 on a trap"; exit 1; }
	@echo "test-examples: passed"

CHECK_TARGETS += test-examples
SAN_CHECK_TARGETS += test-examples

-include $(BUILD)/obj/examples/embed.d
