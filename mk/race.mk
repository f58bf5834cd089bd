# Several pipelines hosted by one `sluice serve` at once (issue 11): `make test-race` starts
# a real server and checks that two tcp, one http and two file pipelines, all fed at the
# same time, each get exactly their own records (tests/race/run.sh, race.py; needs curl and
# python3). `make test-race RACE_RECORDS=1000000` feeds more (200000 per tcp pipeline by
# default). Part of `make check`, and of the TSan pass (mk/tsan.mk), smaller there.

RACE_RECORDS ?= $(if $(filter thread,$(SAN)),50000,200000)

.PHONY: test-race
test-race: all
	@RACE_RECORDS=$(RACE_RECORDS) bash tests/race/run.sh $(BUILD)

CHECK_TARGETS += test-race
