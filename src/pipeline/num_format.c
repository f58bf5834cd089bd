/*
 * num_format.c - floats as the shortest text that reads back as the same double (num_format.h).
 *
 * Hand-written rather than snprintf("%.17g") and trimming: the JSON encoder writes every float
 * of every batch through here, and Grisu2 with an exact check is several times faster.
 */
#include "pipeline/num_format.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>

#include "pipeline/num_parse.h"

const char sl_digit_pairs[201] = "00010203040506070809101112131415161718192021222324252627282930"
                                 "31323334353637383940414243444546474849505152535455565758596061"
                                 "62636465666768697071727374757677787980818283848586878889909192"
                                 "939495969798990";

/* Grisu2 (F. Loitsch, "Printing floating-point numbers quickly and accurately with integers",
 * 2010), after Milo Yip's implementation in RapidJSON: digits that always read back as the
 * same double, and are the shortest such in all but rare cases. */

typedef struct diyfp {
    uint64_t f;
    int e;
} diyfp;

#define DP_HIDDEN (UINT64_C(1) << 52)

/* Normalized 64-bit approximations of 10^k, k = -348, -340, ..., 340: {f, e} = f * 2^e. */
static const struct {
    uint64_t f;
    int16_t e;
} cached_powers[87] = {
    {0xfa8fd5a0081c0288, -1220}, {0xbaaee17fa23ebf76, -1193}, {0x8b16fb203055ac76, -1166},
    {0xcf42894a5dce35ea, -1140}, {0x9a6bb0aa55653b2d, -1113}, {0xe61acf033d1a45df, -1087},
    {0xab70fe17c79ac6ca, -1060}, {0xff77b1fcbebcdc4f, -1034}, {0xbe5691ef416bd60c, -1007},
    {0x8dd01fad907ffc3c, -980},  {0xd3515c2831559a83, -954},  {0x9d71ac8fada6c9b5, -927},
    {0xea9c227723ee8bcb, -901},  {0xaecc49914078536d, -874},  {0x823c12795db6ce57, -847},
    {0xc21094364dfb5637, -821},  {0x9096ea6f3848984f, -794},  {0xd77485cb25823ac7, -768},
    {0xa086cfcd97bf97f4, -741},  {0xef340a98172aace5, -715},  {0xb23867fb2a35b28e, -688},
    {0x84c8d4dfd2c63f3b, -661},  {0xc5dd44271ad3cdba, -635},  {0x936b9fcebb25c996, -608},
    {0xdbac6c247d62a584, -582},  {0xa3ab66580d5fdaf6, -555},  {0xf3e2f893dec3f126, -529},
    {0xb5b5ada8aaff80b8, -502},  {0x87625f056c7c4a8b, -475},  {0xc9bcff6034c13053, -449},
    {0x964e858c91ba2655, -422},  {0xdff9772470297ebd, -396},  {0xa6dfbd9fb8e5b88f, -369},
    {0xf8a95fcf88747d94, -343},  {0xb94470938fa89bcf, -316},  {0x8a08f0f8bf0f156b, -289},
    {0xcdb02555653131b6, -263},  {0x993fe2c6d07b7fac, -236},  {0xe45c10c42a2b3b06, -210},
    {0xaa242499697392d3, -183},  {0xfd87b5f28300ca0e, -157},  {0xbce5086492111aeb, -130},
    {0x8cbccc096f5088cc, -103},  {0xd1b71758e219652c, -77},   {0x9c40000000000000, -50},
    {0xe8d4a51000000000, -24},   {0xad78ebc5ac620000, 3},     {0x813f3978f8940984, 30},
    {0xc097ce7bc90715b3, 56},    {0x8f7e32ce7bea5c70, 83},    {0xd5d238a4abe98068, 109},
    {0x9f4f2726179a2245, 136},   {0xed63a231d4c4fb27, 162},   {0xb0de65388cc8ada8, 189},
    {0x83c7088e1aab65db, 216},   {0xc45d1df942711d9a, 242},   {0x924d692ca61be758, 269},
    {0xda01ee641a708dea, 295},   {0xa26da3999aef774a, 322},   {0xf209787bb47d6b85, 348},
    {0xb454e4a179dd1877, 375},   {0x865b86925b9bc5c2, 402},   {0xc83553c5c8965d3d, 428},
    {0x952ab45cfa97a0b3, 455},   {0xde469fbd99a05fe3, 481},   {0xa59bc234db398c25, 508},
    {0xf6c69a72a3989f5c, 534},   {0xb7dcbf5354e9bece, 561},   {0x88fcf317f22241e2, 588},
    {0xcc20ce9bd35c78a5, 614},   {0x98165af37b2153df, 641},   {0xe2a0b5dc971f303a, 667},
    {0xa8d9d1535ce3b396, 694},   {0xfb9b7cd9a4a7443c, 720},   {0xbb764c4ca7a44410, 747},
    {0x8bab8eefb6409c1a, 774},   {0xd01fef10a657842c, 800},   {0x9b10a4e5e9913129, 827},
    {0xe7109bfba19c0c9d, 853},   {0xac2820d9623bf429, 880},   {0x80444b5e7aa7cf85, 907},
    {0xbf21e44003acdd2d, 933},   {0x8e679c2f5e44ff8f, 960},   {0xd433179d9c8cb841, 986},
    {0x9e19db92b4e31ba9, 1013},  {0xeb96bf6ebadf77d9, 1039},  {0xaf87023b9bf0ee6b, 1066},
};

static diyfp diy_mul(diyfp x, diyfp y) {
    unsigned __int128 p = (unsigned __int128)x.f * y.f;
    uint64_t h = (uint64_t)(p >> 64), l = (uint64_t)p;
    if (l & (UINT64_C(1) << 63)) h++; /* round */
    return (diyfp){h, x.e + y.e + 64};
}

// clang-format off
static const uint64_t pow10_u64[20] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000, 10000000000,
    100000000000, 1000000000000, 10000000000000, 100000000000000, 1000000000000000,
    10000000000000000, 100000000000000000, 1000000000000000000, 10000000000000000000u};
// clang-format on

static void grisu_round(char *buf, int len, uint64_t delta, uint64_t rest, uint64_t ten_kappa,
                        uint64_t wp_w) {
    while (rest < wp_w && delta - rest >= ten_kappa &&
           (rest + ten_kappa < wp_w || wp_w - rest > rest + ten_kappa - wp_w)) {
        buf[len - 1]--;
        rest += ten_kappa;
    }
}

static int count_digits32(uint32_t n) {
    int d = 1;
    while (d < 9 && n >= pow10_u64[d])
        d++;
    return d;
}

static void digit_gen(diyfp w, diyfp mp, uint64_t delta, char *buf, int *len, int *k) {
    diyfp one = {UINT64_C(1) << -mp.e, mp.e};
    uint64_t wp_w = mp.f - w.f;
    uint32_t p1 = (uint32_t)(mp.f >> -one.e);
    uint64_t p2 = mp.f & (one.f - 1);
    int kappa = count_digits32(p1);
    *len = 0;
    while (kappa > 0) {
        uint32_t div = (uint32_t)pow10_u64[kappa - 1];
        uint32_t d = p1 / div;
        p1 %= div;
        if (d || *len) buf[(*len)++] = (char)('0' + d);
        kappa--;
        uint64_t tmp = ((uint64_t)p1 << -one.e) + p2;
        if (tmp <= delta) {
            *k += kappa;
            grisu_round(buf, *len, delta, tmp, pow10_u64[kappa] << -one.e, wp_w);
            return;
        }
    }
    for (;;) {
        p2 *= 10;
        delta *= 10;
        char d = (char)(p2 >> -one.e);
        if (d || *len) buf[(*len)++] = (char)('0' + d);
        p2 &= one.f - 1;
        kappa--;
        if (p2 < delta) {
            *k += kappa;
            int index = -kappa;
            grisu_round(buf, *len, delta, p2, one.f, wp_w * (index < 20 ? pow10_u64[index] : 0));
            return;
        }
    }
}

/* Digits of v > 0 (finite) in buf, with v = digits * 10^*k. */
static void grisu2(double v, char *buf, int *len, int *k) {
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    int be = (int)(u >> 52 & 0x7ff);
    uint64_t sig = u & (DP_HIDDEN - 1);
    diyfp x = be ? (diyfp){sig + DP_HIDDEN, be - 1075} : (diyfp){sig, -1074};
    /* The boundaries m- and m+ halfway to the neighbouring doubles. */
    diyfp pl = {(x.f << 1) + 1, x.e - 1};
    while (!(pl.f & (DP_HIDDEN << 1))) {
        pl.f <<= 1;
        pl.e--;
    }
    pl.f <<= 10;
    pl.e -= 10;
    diyfp mi =
        x.f == DP_HIDDEN ? (diyfp){(x.f << 2) - 1, x.e - 2} : (diyfp){(x.f << 1) - 1, x.e - 1};
    mi.f <<= mi.e - pl.e;
    mi.e = pl.e;
    double dk = (-61 - pl.e) * 0.30102999566398114 + 347;
    int ik = (int)dk;
    if (dk - ik > 0.0) ik++;
    unsigned index = (unsigned)((ik >> 3) + 1);
    *k = -(-348 + (int)(index << 3));
    diyfp c = {cached_powers[index].f, cached_powers[index].e};
    int sh = __builtin_clzll(x.f);
    diyfp w = diy_mul((diyfp){x.f << sh, x.e - sh}, c);
    diyfp wp = diy_mul(pl, c), wm = diy_mul(mi, c);
    wm.f++;
    wp.f--;
    digit_gen(w, wp, wp.f - wm.f, buf, len, k);
}

/* Whether digits c[0..n) * 10^k read back as v. Usually (an integer below 2^53, a power of
 * ten up to 10^22) one exact operation answers it; text and strtod otherwise. This runs for
 * every float written, so it must not go through snprintf. */
static bool reads_back(const char *c, int n, int k, double v) {
    if (n <= 15 && k >= -22 && k <= 22) {
        uint64_t m = 0;
        for (int i = 0; i < n; i++)
            m = m * 10 + (uint64_t)(c[i] - '0');
        double d = k < 0 ? (double)m / sl_pow10_exact[-k] : (double)m * sl_pow10_exact[k];
        return d == v;
    }
    char t[48];
    memcpy(t, c, (size_t)n);
    int len = n + snprintf(t + n, sizeof t - (size_t)n, "e%d", k);
    return sl_decimal_to_double(t, (size_t)len) == v;
}

/* Grisu2 gives a digit or two too many for roughly 0.1-0.5% of doubles. If any decimal with
 * one digit less reads back as v, one of the two neighbours of the digits cut short does (any
 * such decimal lies within the rounding interval, and so does the neighbour between it and
 * the digits): try them, the nearer first, while one works. */
static void shorten(double v, char *buf, int *len, int *k) {
    char c[24];
    while (*len > 1) {
        int n = *len - 1;
        bool found = false;
        for (int up = buf[n] >= '5', tries = 0; tries < 2 && !found; tries++, up = !up) {
            int cn = n, ck = *k + 1;
            memcpy(c, buf, (size_t)n);
            if (up) {
                int i = n - 1;
                while (i >= 0 && c[i] == '9')
                    c[i--] = '0';
                if (i >= 0) {
                    c[i]++;
                } else {
                    c[0] = '1'; /* 99..9 + 1 */
                    ck += n;
                    cn = 1;
                }
            }
            while (cn > 1 && c[cn - 1] == '0')
                cn--, ck++;
            if (reads_back(c, cn, ck, v)) {
                memcpy(buf, c, (size_t)cn);
                *len = cn;
                *k = ck;
                found = true;
            }
        }
        if (!found) return;
    }
}

static char *put_exp(char *o, int e) {
    *o++ = 'e';
    *o++ = e < 0 ? '-' : '+';
    return sl_put_u64(o, (uint64_t)(e < 0 ? -e : e));
}

size_t sl_format_float(double d, char *buf) {
    char *o = buf;
    if (!isfinite(d)) {
        const char *t = isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
        return (size_t)(stpcpy(buf, t) - buf);
    }
    if (signbit(d)) {
        *o++ = '-';
        d = -d;
    }
    if (d == 0) {
        memcpy(o, "0.0", 4);
        return (size_t)(o + 3 - buf);
    }
    int len, k;
    grisu2(d, o, &len, &k);
    shorten(d, o, &len, &k);
    int kk = len + k; /* 10^(kk-1) <= d < 10^kk */
    if (k >= 0 && kk <= 21) {
        /* 1234e7 -> 12340000000.0 */
        memset(o + len, '0', (size_t)(kk - len));
        memcpy(o + kk, ".0", 2);
        o += kk + 2;
    } else if (kk > 0 && kk <= 21) {
        /* 1234e-2 -> 12.34 */
        memmove(o + kk + 1, o + kk, (size_t)(len - kk));
        o[kk] = '.';
        o += len + 1;
    } else if (kk > -6 && kk <= 0) {
        /* 1234e-6 -> 0.001234 */
        int off = 2 - kk;
        memmove(o + off, o, (size_t)len);
        o[0] = '0';
        o[1] = '.';
        memset(o + 2, '0', (size_t)(off - 2));
        o += len + off;
    } else if (len == 1) {
        /* 1e30 */
        o = put_exp(o + 1, kk - 1);
    } else {
        /* 1234e30 -> 1.234e+33 */
        memmove(o + 2, o + 1, (size_t)(len - 1));
        o[1] = '.';
        o = put_exp(o + len + 1, kk - 1);
    }
    *o = '\0';
    return (size_t)(o - buf);
}
