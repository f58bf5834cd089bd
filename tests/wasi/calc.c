/* calc.c - a reactor with numeric exports for `sluice run --invoke`. Built with
 * -mexec-model=reactor (see run.sh). */
#include <math.h>
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))

EXPORT("add") int32_t add(int32_t a, int32_t b) {
    return a + b;
}
EXPORT("div") int32_t divide(int32_t a, int32_t b) {
    return a / b;
}
EXPORT("mul64") int64_t mul64(int64_t a, int64_t b) {
    return a * b;
}
EXPORT("fdiv") double fdiv(double a, double b) {
    return a / b;
}
EXPORT("half") float half(float a) {
    return a / 2;
}
EXPORT("pair") void nothing(void) {}
EXPORT("isnan") int32_t is_nan(double a) {
    return isnan(a);
}
