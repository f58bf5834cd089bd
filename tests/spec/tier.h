/*
 * tier.h - how the spec runner runs a module's functions: spec-runner links tier_interp.c
 * (the interpreter only, no LLVM), spec-runner-native links tier_native.c, which compiles
 * every instantiated module with src/compile/ and runs what compiled natively.
 */
#ifndef SPEC_TIER_H
#define SPEC_TIER_H

#include "sluice.h"

extern const char *const spec_tier_name;
/* Called after each successful instantiation; false (with why) if the tier failed. */
bool spec_tier_attach(const sl_module *m, sl_instance *inst, char *why, size_t whylen);
/* Printed at the end (may print nothing). */
void spec_tier_summary(void);

#endif
