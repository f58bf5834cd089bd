# Tests of the pipeline sinks (src/pipeline/sink_sqlite.c, sink_postgres.c, sink_http.c,
# sink.c, deadletter.c): `make test-sinks` builds $(BUILD)/tests/sinks-tests from
# tests/sinks/*.c and the unit-test runner, and runs it through tests/sinks/run.sh, which
# starts a throwaway PostgreSQL cluster (initdb in a temp dir, removed at the end) for the
# postgres tests; the HTTP and Elasticsearch tests start python3 peers (tests/sinks/peer.py).
# `make test-sinks SINKS_ARGS="-v sqlite"` runs the tests whose names contain "sqlite".

# libpq's header lives in /usr/include/postgresql on Debian.
PG_CFLAGS := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
$(BUILD)/obj/src/pipeline/sink_postgres.o: CFLAGS += $(PG_CFLAGS)
$(BUILD)/obj/tests/sinks/%.o: CFLAGS += $(PG_CFLAGS)

SINKS_OBJ    := $(patsubst %.c,$(BUILD)/obj/%.o,$(sort $(wildcard tests/sinks/*.c))) \
                $(BUILD)/obj/tests/unit/check.o
SINKS_TESTS  := $(BUILD)/tests/sinks-tests
SINKS_ARGS   ?=

ifeq ($(SAN),1)
SINKS_ENV := ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
else
SINKS_ENV :=
endif

$(SINKS_TESTS): $(SINKS_OBJ) $(PIPE_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(SINKS_OBJ) $(PIPE_LINK) $(PIPE_LDLIBS) $(LDLIBS)

.PHONY: test-sinks
test-sinks: $(SINKS_TESTS)
	@mkdir -p $(BUILD)/tmp
	@SLUICE_TEST_TMP=$(abspath $(BUILD)/tmp) $(SINKS_ENV) bash tests/sinks/run.sh $(SINKS_TESTS) $(SINKS_ARGS)

CHECK_TARGETS += test-sinks
SAN_CHECK_TARGETS += test-sinks

-include $(SINKS_OBJ:.o=.d)
