/* tier_interp.c - the spec runner on the interpreter: nothing to attach. */
#include "tier.h"

const char *const spec_tier_name = "interp";

bool spec_tier_attach(const sl_module *m, sl_instance *inst, char *why, size_t whylen) {
    (void)m, (void)inst, (void)why, (void)whylen;
    return true;
}

void spec_tier_summary(void) {}
