/*
 * num_parse.c - text to ints, floats and bools (num_parse.h).
 */
#include "pipeline/num_parse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const double sl_pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Decimal text (syntax already checked) to the nearest double. Numbers with at most 19
 * significant digits, a mantissa below 2^53 and a power of ten within 10^±22 are one exact
 * operation on exact values, hence correctly rounded (Clinger's fast path); strtod does the
 * rest. */
double sl_decimal_to_double(const char *s, size_t n) {
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-' || s[0] == '+') neg = s[i++] == '-';
    uint64_t m = 0;
    int sig = 0, e10 = 0;
    bool slow = false;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (sig < 19) {
            m = m * 10 + (uint64_t)(s[i] - '0');
            sig += m != 0;
        } else {
            slow = true;
        }
    }
    if (i < n && s[i] == '.')
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            if (sig < 19) {
                m = m * 10 + (uint64_t)(s[i] - '0');
                sig += m != 0;
                e10--;
            } else {
                slow = true;
            }
        }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (s[i] == '-' || s[i] == '+') eneg = s[i++] == '-';
        int e = 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            if (e < 100000) e = e * 10 + (s[i] - '0');
        e10 += eneg ? -e : e;
    }
    if (!slow && m <= (UINT64_C(1) << 53) && e10 >= -22 && e10 <= 22) {
        double d = (double)m;
        d = e10 < 0 ? d / sl_pow10_exact[-e10] : d * sl_pow10_exact[e10];
        return neg ? -d : d;
    }
    char buf[64], *t = n < sizeof buf ? buf : malloc(n + 1);
    if (!t) return NAN; /* out of memory: unlikely enough to be a null */
    memcpy(t, s, n);
    t[n] = '\0';
    double d = strtod(t, NULL);
    if (t != buf) free(t);
    return d;
}

static bool eq_nocase(const char *s, size_t n, const char *word) {
    size_t i = 0;
    for (; i < n && word[i]; i++)
        if ((s[i] | 0x20) != word[i]) return false;
    return i == n && !word[i];
}

bool sl_parse_int(const char *s, size_t n, int64_t *out) {
    size_t i = 0;
    bool neg = false;
    if (n && (s[0] == '-' || s[0] == '+')) neg = s[i++] == '-';
    if (i == n) return false;
    uint64_t v = 0, lim = neg ? (UINT64_C(1) << 63) : INT64_MAX;
    for (; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9 || v > (lim - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

bool sl_parse_float(const char *s, size_t n, double *out) {
    size_t i = 0;
    if (n && (s[0] == '-' || s[0] == '+')) i++;
    size_t digits = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < n && s[i] == '.')
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
    if (!digits) {
        const char *w = s + (n && (s[0] == '-' || s[0] == '+'));
        size_t wn = n - (size_t)(w - s);
        if (eq_nocase(w, wn, "inf") || eq_nocase(w, wn, "infinity")) {
            *out = s[0] == '-' ? -INFINITY : INFINITY;
            return true;
        }
        if (eq_nocase(w, wn, "nan")) {
            *out = NAN;
            return true;
        }
        return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+')) i++;
        size_t e0 = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == e0) return false;
    }
    if (i != n) return false;
    *out = sl_decimal_to_double(s, n);
    return true;
}

bool sl_parse_bool(const char *s, size_t n, bool *out) {
    static const char *const yes[] = {"true", "t", "yes", "1"}, *const no[] = {"false", "f", "no",
                                                                               "0"};
    for (int i = 0; i < 4; i++) {
        if (eq_nocase(s, n, yes[i])) return *out = true;
        if (eq_nocase(s, n, no[i])) return !(*out = false);
    }
    return false;
}
