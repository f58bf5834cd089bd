# The Rust SDK (sdk/rust/sluice-fn, issue #7) and the Rust ports of hello, pca and anomaly
# (functions/rust/). `make` builds each port as a WASI command, $(BUILD)/functions/rust/NAME.wasm
# (the crate's binary, for wasm32-wasi), and as a handler module importing nothing,
# NAME.handler.wasm (its cdylib, for wasm32-unknown-unknown), as mk/functions.mk does for C.
# `make test-rust` (part of `make check`) runs the SDK's and the ports' unit tests and checks
# that the ports answer as the C versions do (tests/rust/run.sh).
#
# The toolchain is Debian's (scripts/install-deps.sh: rustc, cargo, libstd-rust-dev-wasm32
# and the librust-serde*-dev crates), called by path because a rustup toolchain without wasm
# targets may come first on PATH. Builds are offline: the .cargo/config.toml of each cargo
# workspace replaces crates.io with /usr/share/cargo/registry (cargo reads it from the
# current directory, hence the cd). Cargo's cache is $(RUST_TARGET_DIR), shared by every
# BUILD variant; without the toolchain (before `make deps`) `all` skips the Rust part.

CARGO           ?= /usr/bin/cargo
RUSTC           ?= /usr/bin/rustc
RUST_FUNCTIONS  := hello pca anomaly
RUST_FN_DIR     := $(BUILD)/functions/rust
RUST_TARGET_DIR := $(abspath build/rust-target)
RUST_ENV        := RUSTC=$(RUSTC) CARGO_TARGET_DIR=$(RUST_TARGET_DIR) CARGO_TERM_COLOR=never
RUST_SOURCES    := $(shell find sdk/rust functions/rust tests/rust -type f \
                     \( -name '*.rs' -o -name '*.toml' -o -name Cargo.lock \) 2>/dev/null) mk/rust.mk
RUST_COMMANDS   := $(RUST_FUNCTIONS:%=$(RUST_FN_DIR)/%.wasm)
RUST_HANDLERS   := $(RUST_FUNCTIONS:%=$(RUST_FN_DIR)/%.handler.wasm)
RUST_STAMP      := $(RUST_FN_DIR)/.built
RUST_TOOLCHAIN  := $(shell test -x $(CARGO) && test -x $(RUSTC) && \
                     test -d /usr/lib/rustlib/wasm32-unknown-unknown && \
                     test -d /usr/lib/rustlib/wasm32-wasi && \
                     ls -d /usr/share/cargo/registry/serde_json-* >/dev/null 2>&1 && echo yes)

# Two cargo runs build all three crates for both targets (the release profile of
# functions/rust/Cargo.toml: panics abort, which is a trap); the copies give them the names
# the C functions have.
$(RUST_STAMP): $(RUST_SOURCES)
	@mkdir -p $(RUST_FN_DIR)
	cd functions/rust && $(RUST_ENV) $(CARGO) build --release --target wasm32-unknown-unknown --lib
	cd functions/rust && $(RUST_ENV) $(CARGO) build --release --target wasm32-wasi --bins
	@for f in $(RUST_FUNCTIONS); do \
	    cp $(RUST_TARGET_DIR)/wasm32-wasi/release/$$f.wasm $(RUST_FN_DIR)/$$f.wasm && \
	    cp $(RUST_TARGET_DIR)/wasm32-unknown-unknown/release/$${f}_fn.wasm \
	       $(RUST_FN_DIR)/$$f.handler.wasm || exit 1; \
	done
	@touch $@

$(RUST_COMMANDS) $(RUST_HANDLERS): $(RUST_STAMP) ;

.PHONY: rust-functions test-rust
rust-functions: $(RUST_COMMANDS) $(RUST_HANDLERS)

# Not under SAN=1 or SAN=thread: the sanitizers are for the C code, and the modules would be
# the same.
ifeq ($(SAN),)
ifeq ($(RUST_TOOLCHAIN),yes)
all: rust-functions
else
all: rust-skipped
.PHONY: rust-skipped
rust-skipped:
	@echo "rust: Debian's Rust toolchain is not installed (make deps): $(RUST_FN_DIR) not built"
endif
endif

test-rust: $(SLUICE) $(SLUICE_NET) $(HANDLER_DRIVER) $(ANOMALY_DRIVER) $(ANOMALY_PROBE) \
           $(FN_COMMANDS) $(FN_HANDLERS) $(ANOMALY_WASM) $(ANOMALY_HANDLER) \
           $(RUST_COMMANDS) $(RUST_HANDLERS)
	@RUSTC=$(RUSTC) CARGO=$(CARGO) CARGO_TARGET_DIR=$(RUST_TARGET_DIR) \
	    bash tests/rust/run.sh $(BUILD)

CHECK_TARGETS += test-rust
