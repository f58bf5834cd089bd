# Fuzzing (tests/fuzz/README.md).
#
#   make fuzz [FUZZ_TIME=60]   fuzz_module (libFuzzer, ASan+UBSan) for FUZZ_TIME seconds, then
#                              the differential loop against V8 (tests/fuzz/diff.sh) as long
#   make fuzz-smoke            (part of `make check`) replays tests/fuzz/corpus/*.wasm through
#                              both libFuzzer targets and the V8 differential, then fuzzes each
#                              for a few seconds; fails on any finding
#   make fuzz-replay           only the corpus replay
#   make fuzz-bounds           fuzz_diff (guard pages vs explicit bounds checks) for FUZZ_TIME s
#
# The libFuzzer targets are built with clang into $(FUZZ_BUILD) from the VM sources compiled
# there with the same sanitizer and coverage flags (never mixed with $(BUILD)). The V8
# differential uses $(BUILD)/tests/fuzz-diff-runner, linked against the normal $(LIB).
# New inputs found by the fuzzers go to $(FUZZ_BUILD)/work (fuzz-smoke: $(FUZZ_BUILD)/smoke),
# never into the repository; crashes and mismatches to $(FUZZ_BUILD)/findings.

FUZZ_BUILD      := build/fuzz
FUZZ_CC         ?= clang
FUZZ_TIME       ?= 60
FUZZ_SMOKE_TIME ?= 8
FUZZ_SANFLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                   -fno-omit-frame-pointer
FUZZ_CFLAGS     := -std=gnu17 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -pthread \
                   -fno-strict-aliasing -fno-math-errno -ffp-contract=off -Iinclude -Isrc -MMD -MP \
                   $(FUZZ_SANFLAGS) -fsanitize=fuzzer-no-link
FUZZ_CORPUS     := tests/fuzz/corpus
FUZZ_LIB_OBJ    := $(LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o) $(FUZZ_BUILD)/obj/tests/fuzz/harness.o
FUZZ_TARGETS    := $(FUZZ_BUILD)/fuzz_module $(FUZZ_BUILD)/fuzz_diff
DIFF_RUNNER     := $(BUILD)/tests/fuzz-diff-runner
DIFF_OBJ        := $(BUILD)/obj/tests/fuzz/diff_runner.o $(BUILD)/obj/tests/fuzz/harness.o

# Sluice turns guest faults on guard pages into traps with its own SIGSEGV handler, which
# hands every other fault on to libFuzzer's.
FUZZ_ENV  := ASAN_OPTIONS=handle_segv=0:allow_user_segv_handler=1:detect_leaks=1 \
             UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
FUZZ_ARGS := -dict=tests/fuzz/wasm.dict -max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
DIFF_ENV  := FUZZ_BUILD="$(FUZZ_BUILD)" DIFF_RUNNER="$(DIFF_RUNNER)"

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_TARGETS): $(FUZZ_BUILD)/%: $(FUZZ_BUILD)/obj/tests/fuzz/%.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_SANFLAGS) -fsanitize=fuzzer -o $@ $^ -lm -pthread

$(DIFF_RUNNER): $(DIFF_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(DIFF_OBJ) $(LIB) $(LDLIBS)

.PHONY: fuzz fuzz-build fuzz-smoke fuzz-replay fuzz-bounds
fuzz-build: $(FUZZ_TARGETS) $(DIFF_RUNNER)

# Runs libFuzzer target $1 for $2 seconds on working corpus $3 (seeded from the corpus), which
# `make fuzz` keeps between runs ($4 = keep) and fuzz-smoke starts afresh.
define fuzz_run
	@$(if $4,,rm -rf $3 && )mkdir -p $3 $(FUZZ_BUILD)/findings
	@cp $(FUZZ_CORPUS)/*.wasm $3/
	@echo "fuzz: $(notdir $1) for $2 s"
	@$(FUZZ_ENV) $1 $(FUZZ_ARGS) -max_total_time=$2 \
	    -artifact_prefix=$(FUZZ_BUILD)/findings/$(notdir $1)- $3 > $3.log 2>&1 \
	  || { tail -n 60 $3.log; \
	       echo "fuzz: FINDING in $(notdir $1): reproducer in $(FUZZ_BUILD)/findings/, log $3.log"; exit 1; }
	@grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' $3.log \
	    | sed 's/^/fuzz:   /' || true
endef

fuzz-replay: $(FUZZ_TARGETS) $(DIFF_RUNNER)
	@echo "fuzz: replaying $(words $(wildcard $(FUZZ_CORPUS)/*.wasm)) corpus inputs"
	@for t in $(FUZZ_TARGETS); do \
	  $(FUZZ_ENV) $$t -runs=1 $(FUZZ_CORPUS)/*.wasm > $$t.replay.log 2>&1 \
	    || { tail -n 60 $$t.replay.log; echo "fuzz: FINDING: corpus replay failed in $$t (log $$t.replay.log)"; exit 1; }; \
	done
	@$(DIFF_ENV) bash tests/fuzz/diff.sh --replay $(FUZZ_CORPUS)/*.wasm

fuzz: $(FUZZ_TARGETS) $(DIFF_RUNNER)
	$(call fuzz_run,$(FUZZ_BUILD)/fuzz_module,$(FUZZ_TIME),$(FUZZ_BUILD)/work/fuzz_module,keep)
	@$(DIFF_ENV) bash tests/fuzz/diff.sh -t $(FUZZ_TIME) -m $(FUZZ_BUILD)/work/fuzz_module

# fuzz_diff alone: guard pages vs explicit bounds checks, in process.
fuzz-bounds: $(FUZZ_TARGETS)
	$(call fuzz_run,$(FUZZ_BUILD)/fuzz_diff,$(FUZZ_TIME),$(FUZZ_BUILD)/work/fuzz_diff,keep)

fuzz-smoke: fuzz-replay
	$(call fuzz_run,$(FUZZ_BUILD)/fuzz_module,$(FUZZ_SMOKE_TIME),$(FUZZ_BUILD)/smoke/fuzz_module)
	$(call fuzz_run,$(FUZZ_BUILD)/fuzz_diff,$(FUZZ_SMOKE_TIME),$(FUZZ_BUILD)/smoke/fuzz_diff)
	@$(DIFF_ENV) bash tests/fuzz/diff.sh -t $(FUZZ_SMOKE_TIME) -m $(FUZZ_BUILD)/smoke/fuzz_module
	@echo "fuzz-smoke: passed"

CHECK_TARGETS += fuzz-smoke

-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_TARGETS:$(FUZZ_BUILD)/%=$(FUZZ_BUILD)/obj/tests/fuzz/%.d) \
         $(DIFF_OBJ:.o=.d)
