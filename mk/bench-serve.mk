# Benchmarks of the HTTP server (bench/serve/README.md). `make bench-serve` runs wrk against
# the HTTP libraries alone, nginx and `sluice serve` with the example functions, and prints
# figures (not pass/fail). Not part of `make check`: it takes a minute or more and its
# figures depend on the machine. BENCH_SECONDS (5) sets the length of each wrk run.
#
# It installs what it needs when missing (Debian 12): wrk, nginx-light, the two HTTP
# libraries' headers, curl and python3. The library programs (bench/serve/httplib) are
# built by bench/serve/run.sh into $(BUILD)/bench/serve/.

BENCH_SERVE_PKGS := wrk nginx-light libh2o-evloop-dev libmicrohttpd-dev curl python3 pkg-config

.PHONY: bench-serve bench-serve-deps
bench-serve: bench-serve-deps all
	@BUILD="$(BUILD)" CC="$(CC)" bash bench/serve/run.sh

bench-serve-deps:
	@missing=""; \
	for p in $(BENCH_SERVE_PKGS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "bench-serve: installing$$missing"; \
	    sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	    $$sudo apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
