# Benchmark of pipelines (bench/pipeline/README.md). `make bench-pipeline` measures `sluice
# pipeline run` (tcp -> csv -> identity function -> file; tcp -> csv -> window -> anomaly ->
# sqlite) next to a plain C program doing the same parse and write (bench/pipeline/baseline.c)
# in the same run, and prints figures (records/s, per CPU-second, latency), not pass/fail.
# Not part of `make check`. Sizes and rates: BENCH_PIPELINE_* (bench/pipeline/run.sh).

BENCH_PIPE_DIR      := $(BUILD)/bench/pipeline
BENCH_PIPE_BASELINE := $(BENCH_PIPE_DIR)/baseline
BENCH_PIPE_LOAD     := $(BENCH_PIPE_DIR)/load
BENCH_PIPE_OBJ      := $(BUILD)/obj/bench/pipeline/baseline.o $(BUILD)/obj/bench/pipeline/load.o

$(BENCH_PIPE_BASELINE): $(BUILD)/obj/bench/pipeline/baseline.o $(PIPE_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(PIPE_LINK) $(PIPE_LDLIBS) $(LDLIBS)

$(BENCH_PIPE_LOAD): $(BUILD)/obj/bench/pipeline/load.o $(PIPE_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(PIPE_LINK) $(PIPE_LDLIBS) $(LDLIBS)

.PHONY: bench-pipeline
bench-pipeline: all $(BENCH_PIPE_BASELINE) $(BENCH_PIPE_LOAD)
	@BUILD="$(BUILD)" bash bench/pipeline/run.sh

-include $(BENCH_PIPE_OBJ:.o=.d)
