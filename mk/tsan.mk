# ThreadSanitizer pass (issue 11): `make check-tsan` builds everything into build/tsan with
# SAN=thread (the Makefile's -fsanitize=thread block) and runs the tests of the threaded
# parts there: the VM's interrupts and watchdog (test-unit), running functions (test-invoke),
# the registry (test-registry), pipeline records and sinks (test-pipeline-units, test-sinks),
# pipelines end to end (test-flow), the server (test-http, test-cli) and several hosted
# pipelines fed at once (test-race, mk/race.mk). Single-threaded tests (spec, wasi, the
# example functions, fuzzing) stay with the normal and ASan passes: one thread leaves TSan
# nothing to find, and it slows them 5-15x. `make check` runs this pass last (check-tsan-run).
#
# Any TSan report fails the pass: TSAN_OPTIONS makes the first report fatal (halt_on_error,
# exit status 66) and also writes it to $(TSAN_REPORTS)/report.PID, since the servers the
# scripts start log to temp directories they delete. After each target, a report file or a
# "WARNING: ThreadSanitizer" in its output fails the pass and is printed.
# `make check-tsan TSAN_HALT=0` keeps going after a report (to see them all at once).
#
# The VM's guard pages work as they are (no handle_segv=0 needed): TSan calls the VM's
# SIGSEGV handler (traps.c) for a fault, which siglongjmps back to the activation; TSan runs
# handlers with every signal blocked, so the handler restores the faulting code's mask
# first (else a second out-of-bounds access would kill the process). The 8 GiB reserved per
# guarded memory are fine for the servers' and pipelines' few stores at a time, not for a
# thousand memories in one store (below).

TSAN_TARGETS := test-unit test-invoke test-registry test-pipeline-units test-sinks test-flow \
                test-http test-cli test-race
TSAN_REPORTS := $(abspath $(BUILD))/tsan-reports
TSAN_HALT    ?= 1

ifeq ($(SAN),thread)
# Of the VM's unit tests, those where threads meet: interrupts and the watchdog, modules
# shared between threads, stores made and freed by the thousand (the pool), guard-page traps
# (the signal handler) and snapshots. The others run one thread; and
# thousand_instances_in_one_store needs 8 TiB of address space for its guarded memories,
# more than TSan leaves a program. mk/unit.mk is read after this file (?= there keeps this).
UNIT_ARGS ?= interrupt timeout shared_between_threads many_stores traps_of_each_kind pool_ \
             snapshot call_depth
# tests/flow/run.sh: the air-quality example is one thread's number crunching (minutes here)
export FLOW_SKIP_AIRQUALITY := 1
export TSAN_OPTIONS := halt_on_error=$(TSAN_HALT):exitcode=66:second_deadlock_stack=1:log_path=$(TSAN_REPORTS)/report
endif

.PHONY: check-tsan check-tsan-run check-tsan-list
check-tsan-list:
	@echo $(TSAN_TARGETS)
check-tsan:
	@$(MAKE) --no-print-directory SAN=thread BUILD=build/tsan check-tsan-run

# Builds first (in parallel with -j), then runs the targets one after the other: timing
# matters to some of them, and TSan already slows them.
check-tsan-run:
	@test "$(SAN)" = thread || { echo "check-tsan-run: run it as make SAN=thread BUILD=build/tsan"; exit 2; }
	@$(MAKE) --no-print-directory all $(INVOKE_TESTS) $(REGISTRY_TESTS) $(UNIT_TESTS) \
	    $(PIPELINE_UNIT_TESTS) $(SINKS_TESTS)
	@rm -rf $(TSAN_REPORTS) && mkdir -p $(TSAN_REPORTS)
	@t0=$$(date +%s); \
	for t in $(TSAN_TARGETS); do \
	    s=$$(date +%s); \
	    { $(MAKE) --no-print-directory $$t; echo $$? > $(TSAN_REPORTS)/$$t.rc; } 2>&1 \
	        | tee $(TSAN_REPORTS)/$$t.out; rc=$$(cat $(TSAN_REPORTS)/$$t.rc); \
	    reports=$$(ls $(TSAN_REPORTS)/report.* 2>/dev/null); \
	    if [ -n "$$reports" ] || grep -q 'WARNING: ThreadSanitizer' $(TSAN_REPORTS)/$$t.out; then \
	        for r in $$reports; do echo "==== $$r"; cat $$r; done; \
	        echo "check-tsan: FAIL: ThreadSanitizer reports in $$t (files: $(TSAN_REPORTS))"; exit 1; \
	    fi; \
	    [ $$rc = 0 ] || { echo "check-tsan: FAIL: $$t (exit $$rc)"; exit 1; }; \
	    echo "check-tsan: $$t passed in $$(( $$(date +%s) - s )) s"; \
	done; \
	echo "check (TSan): all test targets passed, no reports, in $$(( $$(date +%s) - t0 )) s"
