# Browser tests of the web console and the PCA page (web/, served by `sluice serve`):
# `make test-browser` starts the server on a free port, deploys hello, echo and pca, and drives
# Debian's chromium with playwright-core (tests/browser/run.sh, run.mjs); then, with a server of
# its own, the pipeline dashboard and the console's Pipelines view (tests/browser/dashboard.sh,
# dashboard.mjs: an air-quality pipeline fed over TCP). Both run even when the first fails.
# Screenshots and the servers' logs land in $(BUILD)/browser/. `npm ci` runs only when
# tests/browser/node_modules is missing or older than package-lock.json. Not run under the sanitizers by `make check`; try
# `make SAN=1 BUILD=build/asan test-browser` for that.

BROWSER_DIR  := tests/browser
BROWSER_DEPS := $(BROWSER_DIR)/node_modules/.package-lock.json

$(BROWSER_DEPS): $(BROWSER_DIR)/package-lock.json $(BROWSER_DIR)/package.json
	npm ci --prefix $(BROWSER_DIR) --no-audit --no-fund
	@touch $@

.PHONY: test-browser
test-browser: all $(BROWSER_DEPS)
	@rc=0; bash $(BROWSER_DIR)/run.sh $(BUILD) $(SLUICE) || rc=1; \
	bash $(BROWSER_DIR)/dashboard.sh $(BUILD) $(SLUICE) || rc=1; exit $$rc

CHECK_TARGETS += test-browser
