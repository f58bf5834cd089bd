# The air-quality example (examples/air-quality, issue #6): a generator of synthetic sensor
# readings with injected anomalies, the input of the anomaly-detection pipeline example. `make`
# builds $(BUILD)/examples/air-quality-gen (plain C, libc + libm); `make test-airquality` (part
# of `make check`; needs python3) runs examples/air-quality/test.sh on it.

AIRQ_GEN := $(BUILD)/examples/air-quality-gen
AIRQ_OBJ := $(BUILD)/obj/examples/air-quality/generator.o

all: $(AIRQ_GEN)

$(AIRQ_GEN): $(AIRQ_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(AIRQ_OBJ) -lm

.PHONY: test-airquality
test-airquality: $(AIRQ_GEN)
	@bash examples/air-quality/test.sh $(AIRQ_GEN)

CHECK_TARGETS += test-airquality

-include $(AIRQ_OBJ:.o=.d)
