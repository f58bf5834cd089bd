/*
 * declared.h - what a module says about itself: the "sluice.fn" custom section the SDKs
 * write (docs/abi.md, "The sluice.fn section"): the function's kind and its input and
 * output modes. A deployment takes them as its defaults, and may not contradict them.
 */
#ifndef SL_FN_DECLARED_H
#define SL_FN_DECLARED_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fn/config.h"
#include "sluice.h"

#define SL_FN_SECTION         "sluice.fn"
#define SL_FN_SECTION_VERSION 1

typedef struct sl_fn_declared {
    bool present;  /* the module has the section; the rest is meaningful only then */
    bool has_kind; /* the section says the kind (the Rust SDK's cannot: docs/abi.md) */
    sl_fn_kind kind;
    sl_input_mode input;
    sl_output_mode output;
} sl_fn_declared;

/* Parses the section's payload text[0..len): one or more JSON objects, separated by
 * whitespace, whose members together give "kind" (optional), "input" and "output" (default
 * "raw"); each object has "v": 1. `what` names the module in errors ("pca.wasm"). False
 * with SL_ERR_INVALID for anything else: another version, an unknown member or value, a
 * member given twice with different values. */
bool sl_fn_declared_parse(const uint8_t *text, size_t len, const char *what, sl_fn_declared *out,
                          sl_error *err);
/* Finds and parses the section in a module's bytes; out->present is false (and the call
 * succeeds) when there is none. */
bool sl_fn_declared_read(const uint8_t *module, size_t len, const char *what, sl_fn_declared *out,
                         sl_error *err);

/* The declaration as one object in the section's format ({"v":1,"kind":...,"input":...,
 * "output":...}, malloc'd; parse it back with sl_fn_declared_parse), or NULL when it is not
 * present or out of memory. */
char *sl_fn_declared_to_text(const sl_fn_declared *d);
/* {"kind": ..., "input": ..., "output": ...} (no "kind" when it is not declared), or JSON
 * null when not present. */
json_t *sl_fn_declared_json(const sl_fn_declared *d);

/* Which of a config's kind, input and output the deployment gave explicitly. */
enum { SL_FN_GIVEN_KIND = 1, SL_FN_GIVEN_INPUT = 2, SL_FN_GIVEN_OUTPUT = 4 };

/* Makes cfg agree with the declaration: members not in `given` take the declared values (the
 * kind only when declared);
 * a given one that differs is an error (SL_ERR_INVALID) saying what the module declares and
 * what contradicts it. Nothing changes when the declaration is not present. */
bool sl_fn_declared_apply(const sl_fn_declared *d, const char *what, unsigned given,
                          sl_fn_config *cfg, sl_error *err);

#endif
