# Tests of the pipeline's records and parsers (src/pipeline: record.c, the parsers, the
# JSON encoder, reader and decoder, the number formatting and parsing):
# `make test-pipeline-units` builds $(BUILD)/tests/pipeline-unit-tests from tests/pipeline/*.c
# (but the benchmark) and the unit-test runner (tests/unit/check.c), and runs it.
# `make test-pipeline-units PIPELINE_UNIT_ARGS="-v csv"` runs the tests whose names contain "csv".
# `make bench-pipeline-codec` prints the parsers' and the encoder's throughput (records/s).

PIPELINE_UNIT_SRC   := $(filter-out tests/pipeline/bench_codec.c,$(sort $(wildcard tests/pipeline/*.c)))
PIPELINE_UNIT_OBJ   := $(PIPELINE_UNIT_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/tests/unit/check.o
PIPELINE_UNIT_TESTS := $(BUILD)/tests/pipeline-unit-tests
PIPELINE_UNIT_ARGS  ?=
PIPELINE_BENCH_OBJ  := $(BUILD)/obj/tests/pipeline/bench_codec.o
PIPELINE_BENCH      := $(BUILD)/tests/bench-pipeline-codec
PIPELINE_BENCH_ARGS ?=

ifeq ($(SAN),1)
PIPELINE_UNIT_ENV := ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
else
PIPELINE_UNIT_ENV :=
endif

# check.c's helpers need libsluice.a; the tests compare with jansson.
$(PIPELINE_UNIT_TESTS): $(PIPELINE_UNIT_OBJ) $(PIPE_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(PIPELINE_UNIT_OBJ) $(PIPE_LINK) $(PIPE_LDLIBS) $(LDLIBS)

$(PIPELINE_BENCH): $(PIPELINE_BENCH_OBJ) $(PIPE_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(PIPELINE_BENCH_OBJ) $(PIPE_LINK) $(PIPE_LDLIBS) $(LDLIBS)

.PHONY: test-pipeline-units bench-pipeline-codec
test-pipeline-units: $(PIPELINE_UNIT_TESTS)
	@$(PIPELINE_UNIT_ENV) $(PIPELINE_UNIT_TESTS) $(PIPELINE_UNIT_ARGS)

bench-pipeline-codec: $(PIPELINE_BENCH)
	@$(PIPELINE_BENCH) $(PIPELINE_BENCH_ARGS)

CHECK_TARGETS += test-pipeline-units
SAN_CHECK_TARGETS += test-pipeline-units

-include $(PIPELINE_UNIT_OBJ:.o=.d) $(PIPELINE_BENCH_OBJ:.o=.d)
