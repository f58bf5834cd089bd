# Sluice build. `make` builds build/sluice and build/libsluice.a; `make check` runs every test.
# Each area adds its own targets in mk/<area>.mk (included at the end).

CC       ?= cc
BUILD    ?= build
OPT      ?= -O2
CFLAGS   ?=
CFLAGS   += -std=gnu17 $(OPT) -g -Wall -Wextra -Werror -D_GNU_SOURCE -pthread -fno-strict-aliasing -fno-math-errno -ffp-contract=off \
            -Iinclude -Isrc -MMD -MP
LDLIBS   += -lm -pthread

# The sluice command is linked statically: it starts ~0.25 ms sooner, which is most of
# what a short `sluice run` costs beyond the guest itself.
SLUICE_LDFLAGS ?= -static

# `make SAN=1 BUILD=build/asan ...` builds everything with AddressSanitizer + UBSan.
ifeq ($(SAN),1)
SLUICE_LDFLAGS :=
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
OPT      := -O1
endif

# `make SAN=thread BUILD=build/tsan ...` builds everything with ThreadSanitizer (mk/tsan.mk:
# `make check-tsan`). Not static: the TSan runtime is a shared library here.
ifeq ($(SAN),thread)
SLUICE_LDFLAGS :=
# GCC's TSan instrumentation at -O1 hides the stores of out-parameters (read helpers that set
# their result on success) from -Wmaybe-uninitialized, which then warns where the normal and
# ASan builds see no problem.
CFLAGS   += -fsanitize=thread -fno-omit-frame-pointer -Wno-maybe-uninitialized
LDFLAGS  += -fsanitize=thread
OPT      := -O1
endif

# `make PROFILE=1 BUILD=build/prof` counts executed ops (src/vm/profile.c).
ifeq ($(PROFILE),1)
CFLAGS   += -DSL_PROFILE
endif
# `make NOPOLL=1 BUILD=build/nopoll` leaves out the interrupt/fuel polls: a baseline for
# `make bench`, which reports what the polls cost. Never a build to run guests with.
ifeq ($(NOPOLL),1)
CFLAGS   += -DSL_NO_POLL
endif

# One static library per layer (docs/architecture.md); each uses only those to its left:
#   vm+wasi (libsluice.a) <- base <- fn <- { serve, pipeline } <- cli
# `make layers` checks that no #include goes the wrong way.
LIB_SRC  := $(sort $(wildcard src/vm/*.c src/wasi/*.c))
BASE_SRC := $(sort $(wildcard src/base/*.c))
FN_SRC   := $(sort $(wildcard src/fn/*.c))
SERVE_SRC:= $(sort $(wildcard src/serve/*.c))
PIPE_SRC := $(sort $(wildcard src/pipeline/*.c))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
NET_SRC  := $(sort $(wildcard src/cli/net/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
BASE_OBJ := $(BASE_SRC:%.c=$(BUILD)/obj/%.o)
FN_OBJ   := $(FN_SRC:%.c=$(BUILD)/obj/%.o)
SERVE_OBJ:= $(SERVE_SRC:%.c=$(BUILD)/obj/%.o)
PIPE_OBJ := $(PIPE_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
NET_OBJ  := $(NET_SRC:%.c=$(BUILD)/obj/%.o)
LIB      := $(BUILD)/libsluice.a
BASE_LIB := $(BUILD)/libsluice-base.a
FN_LIB   := $(BUILD)/libsluice-fn.a
SERVE_LIB:= $(BUILD)/libsluice-serve.a
PIPE_LIB := $(BUILD)/libsluice-pipeline.a
LAYER_LIBS := $(LIB) $(BASE_LIB) $(FN_LIB) $(SERVE_LIB) $(PIPE_LIB)
# What a program using a layer links, in order (the layer first, then those to its left),
# and the system libraries that layer may need.
BASE_LINK    := $(BASE_LIB) $(LIB)
BASE_LDLIBS  := -lcrypto
FN_LINK      := $(FN_LIB) $(BASE_LINK)
FN_LDLIBS    := -ljansson $(BASE_LDLIBS)
SERVE_LINK   := $(SERVE_LIB) $(FN_LINK)
SERVE_LDLIBS := -lmicrohttpd -lsqlite3 $(FN_LDLIBS)
PIPE_LINK    := $(PIPE_LIB) $(FN_LINK)
PIPE_LDLIBS  := -lyaml -lpq -lsqlite3 -lmicrohttpd -lcurl $(FN_LDLIBS)
SLUICE   := $(BUILD)/sluice
# The network half of the command (serve, deploy, functions, ...): `sluice` runs it for those
# subcommands. It is linked dynamically, since libmicrohttpd and libcurl need libraries
# Debian ships only as shared objects (p11-kit, GSSAPI); `sluice run` stays static and fast.
SLUICE_NET := $(BUILD)/sluice-net
NET_LDLIBS := -lcurl

# Tools for building guest functions (Debian: clang, wasi-libc, libclang-rt-14-dev-wasm32).
WASM_CC     ?= clang
WASM_CFLAGS ?= --target=wasm32-wasi --sysroot=/usr -O2 -Wl,--strip-all

.PHONY: all deps check test run clean sanitize format format-check
all: $(SLUICE) $(SLUICE_NET) $(LAYER_LIBS)

deps:
	@bash scripts/install-deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
$(BASE_LIB): $(BASE_OBJ)
$(FN_LIB): $(FN_OBJ)
$(SERVE_LIB): $(SERVE_OBJ)
$(PIPE_LIB): $(PIPE_OBJ)
$(LAYER_LIBS):
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(SLUICE): $(CLI_OBJ) $(BASE_LINK)
	$(CC) $(LDFLAGS) $(SLUICE_LDFLAGS) -o $@ $(CLI_OBJ) $(BASE_LINK) $(BASE_LDLIBS) $(LDLIBS)

# The cli is the one layer that sees both serve and pipeline: it plugs the pipeline host into
# the server (src/cli/net/serve_cmd.c).
$(SLUICE_NET): $(NET_OBJ) $(SERVE_LIB) $(PIPE_LIB) $(FN_LINK)
	$(CC) $(LDFLAGS) -o $@ $(NET_OBJ) $(SERVE_LIB) $(PIPE_LINK) $(SERVE_LDLIBS) $(PIPE_LDLIBS) $(NET_LDLIBS) $(LDLIBS)

# Test targets append themselves to CHECK_TARGETS in mk/*.mk; `check` runs them all, then the
# same unit/spec/WASI tests again under the sanitizers, then the threaded ones under
# ThreadSanitizer (TSAN_TARGETS, mk/tsan.mk).
CHECK_TARGETS :=
SAN_CHECK_TARGETS :=

run: deps all
	@bash scripts/run-example.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')
format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

sanitize:
	$(MAKE) SAN=1 BUILD=build/asan all

clean:
	rm -rf build

-include $(sort $(wildcard mk/*.mk))

# The test targets are independent (each picks free ports and its own temporary folders), so
# `make check` (scripts/check.sh) runs them CHECK_JOBS at a time, each target's output printed
# whole when it ends, and closes with "check: N passed, N failed" (test targets).
CHECK_JOBS ?= 2
check: deps
	@CHECK_JOBS=$(CHECK_JOBS) MAKE="$(MAKE)" bash scripts/check.sh

.PHONY: check-list check-san-list
check-list:
	@echo $(CHECK_TARGETS)
check-san-list:
	@echo $(SAN_CHECK_TARGETS)

.PHONY: check-run check-san-run
check-run: $(CHECK_TARGETS)
	@echo "check: all test targets passed"
check-san-run: $(SAN_CHECK_TARGETS)
	@echo "check (ASan+UBSan): all test targets passed"

-include $(LIB_OBJ:.o=.d) $(BASE_OBJ:.o=.d) $(FN_OBJ:.o=.d) $(SERVE_OBJ:.o=.d) $(PIPE_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(NET_OBJ:.o=.d)
