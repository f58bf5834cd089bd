# The client commands of sluice-net (src/cli/net/client*.c, http_client.c): `make test-cli`
# starts `sluice serve` on a free port with a fresh data directory and drives deploy, invoke,
# functions, versions, alias, config, logs, stats and delete against it (tests/cli/run.sh;
# needs curl, python3 and wat2wasm).

ifeq ($(SAN),1)
# The VM catches SIGSEGV for its guard pages.
CLI_ENV := ASAN_OPTIONS=handle_segv=0:allow_user_segv_handler=1:detect_leaks=1 \
           UBSAN_OPTIONS=print_stacktrace=1
else
CLI_ENV :=
endif

.PHONY: test-cli
test-cli: all
	@$(CLI_ENV) bash tests/cli/run.sh $(BUILD)

CHECK_TARGETS += test-cli
SAN_CHECK_TARGETS += test-cli
