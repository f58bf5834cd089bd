/*
 * check.h - a tiny assertion framework for the unit tests.
 *
 *   TEST(name) { CHECK(x == 1); CHECK_EQ(a, b); REQUIRE(ptr != NULL); }
 *
 * Tests register themselves at load time; check.c's main runs each in a forked child (so a
 * crash fails only that test), prints every failed check with file and line, and ends with
 * `unit: N passed, N failed` (counting tests).
 */
#ifndef SLUICE_TEST_CHECK_H
#define SLUICE_TEST_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice.h"

typedef void (*check_test_fn)(void);

void check_register(const char *name, check_test_fn fn);
bool check_result(bool ok, const char *expr, const char *file, int line);
/* Each argument is evaluated once. */
bool check_eq_i64(int64_t got, int64_t want, const char *expr, const char *file, int line);
bool check_result_status(sl_status got, sl_status want, const sl_error *err, const char *expr,
                         const char *file, int line);
void check_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define TEST(name)                                                                                 \
    static void name(void);                                                                        \
    __attribute__((constructor)) static void check_register_##name(void) {                         \
        check_register(#name, name);                                                               \
    }                                                                                              \
    static void name(void)

/* Each returns whether the check held. */
#define CHECK(cond) check_result((cond) ? true : false, #cond, __FILE__, __LINE__)
#define CHECK_EQ(got, want)                                                                        \
    check_eq_i64((int64_t)(got), (int64_t)(want), #got " == " #want, __FILE__, __LINE__)
/* A status compared with the expected one; on a mismatch the sl_error is printed too. */
#define CHECK_STATUS(got, want, err)                                                               \
    check_result_status((got), (want), (err), #got, __FILE__, __LINE__)
/* Stop the test (it must return void) when the check fails. */
#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!CHECK(cond)) return;                                                                  \
    } while (0)

/* ---- Helpers ----------------------------------------------------------------------------- */

/* Assemble WAT text with wat2wasm. Returns malloc'd bytes, or NULL (and a failed check). */
uint8_t *wat_to_wasm(const char *wat, size_t *len);
/* Assemble and compile; NULL (and a failed check) on any error. */
sl_module *wat_module(sl_engine *engine, const char *wat);
/* Compile, instantiate without imports; NULL (and a failed check) on any error. The module
 * is returned through *module for the caller to free after the store. */
sl_instance *wat_instance(sl_store *store, sl_engine *engine, const char *wat, sl_module **module);
/* Monotonic time in milliseconds. */
double now_ms(void);

/* Values. */
static inline sl_val val_i32(int32_t v) {
    return (sl_val){.type = SL_I32, .of.i32 = v};
}
static inline sl_val val_i64(int64_t v) {
    return (sl_val){.type = SL_I64, .of.i64 = v};
}
static inline sl_val val_f32(float v) {
    return (sl_val){.type = SL_F32, .of.f32 = v};
}
static inline sl_val val_f64(double v) {
    return (sl_val){.type = SL_F64, .of.f64 = v};
}

#endif
