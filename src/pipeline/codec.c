/*
 * codec.c - batches to JSON text and back (codec.h).
 *
 * Both directions are hand-written rather than built on jansson: a batch is encoded with no
 * intermediate tree (keys escaped once per call, values written straight into the buffer,
 * floats by Grisu2), and decoded by a small strict parser that writes values straight into
 * the batch, which is several times faster than building and walking json_t objects.
 */
#include "pipeline/codec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Text -------------------------------------------------------------------------------- */

void sl_text_free(sl_text *t) {
    free(t->data);
    *t = (sl_text){0};
}

static bool grow(sl_text *t, size_t n) {
    size_t cap = t->cap ? t->cap : 256;
    while (cap - t->len < n) {
        if (cap > SIZE_MAX / 2) return false;
        cap *= 2;
    }
    char *d = realloc(t->data, cap);
    if (!d) return false;
    t->data = d;
    t->cap = cap;
    return true;
}

static inline bool reserve(sl_text *t, size_t n) {
    return t->cap - t->len >= n || grow(t, n);
}

/* ---- Numbers ----------------------------------------------------------------------------- */

static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930"
    "31323334353637383940414243444546474849505152535455565758596061"
    "62636465666768697071727374757677787980818283848586878889909192"
    "939495969798990";

static char *put_u64(char *o, uint64_t v) {
    char tmp[20];
    char *e = tmp + sizeof tmp, *p = e;
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        *--p = digit_pairs[d + 1];
        *--p = digit_pairs[d];
    }
    if (v >= 10) {
        *--p = digit_pairs[v * 2 + 1];
        *--p = digit_pairs[v * 2];
    } else {
        *--p = (char)('0' + v);
    }
    memcpy(o, p, (size_t)(e - p));
    return o + (e - p);
}

static char *put_i64(char *o, int64_t v) {
    if (v < 0) {
        *o++ = '-';
        return put_u64(o, -(uint64_t)v);
    }
    return put_u64(o, (uint64_t)v);
}

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

static double to_double(const char *s, size_t n);
static const double pow10_exact[23]; /* defined with to_double */

/* Whether digits c[0..n) * 10^k read back as v. Usually (an integer below 2^53, a power of
 * ten up to 10^22) one exact operation answers it; text and strtod otherwise. This runs for
 * every float written, so it must not go through snprintf. */
static bool reads_back(const char *c, int n, int k, double v) {
    if (n <= 15 && k >= -22 && k <= 22) {
        uint64_t m = 0;
        for (int i = 0; i < n; i++)
            m = m * 10 + (uint64_t)(c[i] - '0');
        double d = k < 0 ? (double)m / pow10_exact[-k] : (double)m * pow10_exact[k];
        return d == v;
    }
    char t[48];
    memcpy(t, c, (size_t)n);
    int len = n + snprintf(t + n, sizeof t - (size_t)n, "e%d", k);
    return to_double(t, (size_t)len) == v;
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
    return put_u64(o, (uint64_t)(e < 0 ? -e : e));
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

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Decimal text (syntax already checked) to the nearest double. Numbers with at most 19
 * significant digits, a mantissa below 2^53 and a power of ten within 10^±22 are one exact
 * operation on exact values, hence correctly rounded (Clinger's fast path); strtod does the
 * rest. */
static double to_double(const char *s, size_t n) {
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
        d = e10 < 0 ? d / pow10_exact[-e10] : d * pow10_exact[e10];
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
    *out = to_double(s, n);
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

/* ---- Encoding ---------------------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at s (s[0] >= 0x80), or 0. */
static size_t utf8_seq(const unsigned char *s, const unsigned char *end) {
    unsigned c = s[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xbf; /* the range of the second byte */
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c == 0xe0)
        n = 3, lo = 0xa0;
    else if (c == 0xed)
        n = 3, hi = 0x9f; /* no surrogates */
    else if (c >= 0xe1 && c <= 0xef)
        n = 3;
    else if (c == 0xf0)
        n = 4, lo = 0x90;
    else if (c == 0xf4)
        n = 4, hi = 0x8f;
    else if (c >= 0xf1 && c <= 0xf3)
        n = 4;
    else
        return 0;
    if ((size_t)(end - s) < n || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xc0) != 0x80) return 0;
    return n;
}

/* 1: a byte that cannot go into a JSON string as it is (control, '"', '\\', non-ASCII). */
#define X16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
// clang-format off
static const unsigned char str_special[256] = {
    X16(1), X16(1),                                 /* 0x00-0x1f */
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x20-0x2f: '"' */
    X16(0), X16(0),                                 /* 0x30-0x4f */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* 0x50-0x5f: '\\' */
    X16(0), X16(0),                                 /* 0x60-0x7f */
    X16(1), X16(1), X16(1), X16(1), X16(1), X16(1), X16(1), X16(1), /* 0x80-0xff */
};
// clang-format on

static bool put_str(sl_text *t, const char *s, size_t n) {
    if (!reserve(t, n + 2)) return false;
    char *o = t->data + t->len;
    *o++ = '"';
    const unsigned char *u = (const unsigned char *)s, *end = u + n;
    while (u < end) {
        const unsigned char *r = u;
        while (r < end && !str_special[*r])
            r++;
        memcpy(o, u, (size_t)(r - u));
        o += r - u;
        u = r;
        if (u == end) break;
        /* Every special byte may take up to 6 bytes: make room for the rest of the string. */
        t->len = (size_t)(o - t->data);
        if (!reserve(t, (size_t)(end - u) + 12)) return false;
        o = t->data + t->len;
        unsigned c = *u;
        if (c >= 0x80) {
            size_t k = utf8_seq(u, end);
            if (k) {
                memcpy(o, u, k);
                o += k;
                u += k;
            } else {
                memcpy(o, "\xef\xbf\xbd", 3); /* U+FFFD for a byte that is not UTF-8 */
                o += 3;
                u++;
            }
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        default:
            memcpy(o, "u00", 3);
            o[3] = "0123456789abcdef"[c >> 4];
            o[4] = "0123456789abcdef"[c & 15];
            o += 5;
        }
        u++;
    }
    *o++ = '"';
    t->len = (size_t)(o - t->data);
    return true;
}

#define MAX_SCALAR 34 /* the longest non-string value: a quoted timestamp */

/* Writes a value other than a string; o has MAX_SCALAR bytes of room. */
static char *put_scalar(char *o, const sl_value *v) {
    switch (v->type) {
    case SL_F_INT: return put_i64(o, v->v.i);
    case SL_F_FLOAT:
        if (isfinite(v->v.f)) return o + sl_format_float(v->v.f, o);
        break;
    case SL_F_BOOL:
        if (v->v.b) {
            memcpy(o, "true", 4);
            return o + 4;
        }
        memcpy(o, "false", 5);
        return o + 5;
    case SL_F_TIME:
        *o++ = '"';
        o += sl_format_time(v->v.i, o);
        *o++ = '"';
        return o;
    }
    memcpy(o, "null", 4);
    return o + 4;
}

static bool put_value(sl_text *t, const sl_batch *b, const sl_value *v) {
    if (v->type == SL_F_STRING) return put_str(t, sl_batch_str(b, v), v->len);
    if (!reserve(t, MAX_SCALAR)) return false;
    t->len = (size_t)(put_scalar(t->data + t->len, v) - t->data);
    return true;
}

/* The schema's keys, escaped once per call: key j is text[off[j]..off[j+1]), written with
 * `pre` before it (but for the first) and `post` after it. */
typedef struct keytab {
    sl_text text;
    size_t *off;
} keytab;

static bool keys_make(keytab *k, const sl_schema *s, const char *pre, const char *post) {
    *k = (keytab){0};
    if (!(k->off = malloc((s->nfields + 1) * sizeof *k->off))) return false;
    for (uint32_t j = 0; j < s->nfields; j++) {
        k->off[j] = k->text.len;
        size_t n = j ? strlen(pre) : 0;
        if (!reserve(&k->text, n)) return false;
        if (n) memcpy(k->text.data + k->text.len, pre, n); /* data may still be NULL */
        k->text.len += n;
        if (!put_str(&k->text, s->names[j], strlen(s->names[j])) ||
            !reserve(&k->text, strlen(post)))
            return false;
        memcpy(k->text.data + k->text.len, post, strlen(post));
        k->text.len += strlen(post);
    }
    k->off[s->nfields] = k->text.len;
    return true;
}

static void keys_free(keytab *k) {
    sl_text_free(&k->text);
    free(k->off);
}

static bool put_record(sl_text *t, const sl_batch *b, const sl_value *row, const keytab *k) {
    uint32_t nf = b->schema->nfields;
    /* Room for every key and every non-string value, and '}', ',' or "\n"; strings make their
     * own room, after which this is reserved again. */
    size_t room = k->text.len + (size_t)nf * MAX_SCALAR + 4;
    if (!reserve(t, room)) return false;
    char *o = t->data + t->len;
    *o++ = '{';
    for (uint32_t j = 0; j < nf; j++) {
        size_t kl = k->off[j + 1] - k->off[j];
        memcpy(o, k->text.data + k->off[j], kl);
        o += kl;
        const sl_value *v = &row[j];
        if (v->type != SL_F_STRING) {
            o = put_scalar(o, v);
            continue;
        }
        t->len = (size_t)(o - t->data);
        if (!put_str(t, sl_batch_str(b, v), v->len) || !reserve(t, room)) return false;
        o = t->data + t->len;
    }
    *o++ = '}';
    t->len = (size_t)(o - t->data);
    return true;
}

static bool put_char(sl_text *t, char c) {
    if (!reserve(t, 1)) return false;
    t->data[t->len++] = c;
    return true;
}

bool sl_json_encode_record(const sl_batch *b, uint32_t i, sl_text *out) {
    keytab k;
    bool ok = keys_make(&k, b->schema, ",", ":") && put_record(out, b, sl_batch_row(b, i), &k);
    keys_free(&k);
    return ok;
}

bool sl_json_encode(const sl_batch *b, sl_json_shape shape, sl_text *out) {
    const sl_schema *s = b->schema;
    keytab k;
    bool ok;
    if (shape == SL_JSON_COLUMNS) {
        ok = keys_make(&k, s, "],", ":[") && put_char(out, '{');
        for (uint32_t j = 0; ok && j < s->nfields; j++) {
            size_t kl = k.off[j + 1] - k.off[j];
            ok = reserve(out, kl);
            if (!ok) break;
            memcpy(out->data + out->len, k.text.data + k.off[j], kl);
            out->len += kl;
            const sl_value *v = b->values + j;
            for (uint32_t i = 0; ok && i < b->n; i++, v += s->nfields)
                ok = (!i || put_char(out, ',')) && put_value(out, b, v);
        }
        ok = ok && (!s->nfields || put_char(out, ']')) && put_char(out, '}');
    } else {
        ok = keys_make(&k, s, ",", ":");
        if (ok && shape == SL_JSON_ARRAY) ok = put_char(out, '[');
        char sep = shape == SL_JSON_ARRAY ? ',' : '\n';
        for (uint32_t i = 0; ok && i < b->n; i++) {
            ok = put_record(out, b, sl_batch_row(b, i), &k);
            /* put_record left room for this */
            if (ok && (sep == '\n' || i + 1 < b->n)) out->data[out->len++] = sep;
        }
        if (ok && shape == SL_JSON_ARRAY) ok = put_char(out, ']');
    }
    keys_free(&k);
    return ok;
}

/* ---- Decoding ---------------------------------------------------------------------------- */

#define MAX_DEPTH 512 /* nesting of arrays and objects inside a value */

/* A parsed value; a string's bytes are at `off` in the input, or in the reader's scratch. */
typedef struct jval {
    sl_value v;
    uint8_t in_scratch;
    uint8_t nested; /* an array ('[') or object ('{') kept as its text */
} jval;

typedef struct jmember {
    uint32_t key_off, key_len;
    uint8_t key_in_scratch;
    int32_t idx; /* field in the mapped schema, or -1 */
    jval val;
} jmember;

struct sl_json_reader {
    const sl_schema *hint;
    const char *in; /* the text being parsed */
    jmember *m;     /* the object's members */
    uint32_t nm, mcap;
    char *scratch; /* unescaped strings */
    size_t slen, scap;
    jval *vals; /* columnar decoding: the values of all the columns */
    size_t nvals, vcap;
    sl_schema *mapped; /* the schema name_len is for (referenced, so that its address is not
                          reused by another while cached) */
    uint32_t *name_len;
    uint32_t nlcap;
    const char *err;
    size_t err_off;
};

sl_json_reader *sl_json_reader_new(const sl_schema *hint) {
    sl_json_reader *r = calloc(1, sizeof *r);
    if (r) r->hint = hint;
    return r;
}

void sl_json_reader_free(sl_json_reader *r) {
    if (!r) return;
    free(r->m);
    free(r->scratch);
    free(r->vals);
    free(r->name_len);
    sl_schema_unref(r->mapped);
    free(r);
}

const char *sl_json_reader_error(const sl_json_reader *r, size_t *offset) {
    if (offset) *offset = r->err_off;
    return r->err;
}

static bool jerr(sl_json_reader *r, const char *at, const char *msg) {
    r->err = msg;
    r->err_off = (size_t)(at - r->in);
    return false;
}

static inline const char *skip_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

static const char *jstr(const sl_json_reader *r, uint32_t off, bool in_scratch) {
    return in_scratch ? r->scratch + off : r->in + off;
}

static int hex4(const char *p) {
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = (unsigned char)p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A string at *pp (its opening quote): its bytes stay in the input unless it has escapes,
 * which are decoded into scratch. */
static bool parse_string(sl_json_reader *r, const char **pp, const char *end, uint32_t *off,
                         uint32_t *len, uint8_t *in_scratch) {
    const char *a = *pp + 1, *p = a;
    bool esc = false;
    for (;;) {
        while (p < end && !str_special[(unsigned char)*p])
            p++;
        if (p == end) return jerr(r, *pp, "unterminated string");
        unsigned char c = (unsigned char)*p;
        if (c == '"') break;
        if (c == '\\') {
            esc = true;
            if (++p == end) return jerr(r, *pp, "unterminated string");
            p++;
        } else if (c >= 0x80) {
            size_t k = utf8_seq((const unsigned char *)p, (const unsigned char *)end);
            if (!k) return jerr(r, p, "invalid UTF-8 in a string");
            p += k;
        } else {
            return jerr(r, p, "control character in a string");
        }
    }
    if ((size_t)(p - a) > UINT32_MAX) return jerr(r, *pp, "string too long");
    *pp = p + 1;
    if (!esc) {
        *off = (uint32_t)(a - r->in);
        *len = (uint32_t)(p - a);
        *in_scratch = 0;
        return true;
    }
    /* Decode into scratch: at most as long as the escaped text. */
    size_t need = r->slen + (size_t)(p - a);
    if (need > UINT32_MAX) return jerr(r, *pp, "strings too long");
    if (need > r->scap) {
        size_t cap = r->scap ? r->scap : 1024;
        while (cap < need)
            cap *= 2;
        char *s = realloc(r->scratch, cap);
        if (!s) return jerr(r, a, "out of memory");
        r->scratch = s;
        r->scap = cap;
    }
    char *o = r->scratch + r->slen;
    for (const char *q = a; q < p;) {
        if (*q != '\\') {
            *o++ = *q++;
            continue;
        }
        q++;
        switch (*q++) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            int u = p - q >= 4 ? hex4(q) : -1;
            if (u < 0) return jerr(r, q - 2, "invalid \\u escape");
            q += 4;
            if (u >= 0xdc00 && u <= 0xdfff)
                return jerr(r, q - 6, "lone low surrogate in \\u escape");
            if (u >= 0xd800 && u <= 0xdbff) {
                int lo = p - q >= 6 && q[0] == '\\' && q[1] == 'u' ? hex4(q + 2) : -1;
                if (lo < 0xdc00 || lo > 0xdfff)
                    return jerr(r, q - 6, "high surrogate without a low one in \\u escape");
                q += 6;
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
            }
            /* UTF-8 is never longer than the \u escape(s) it replaces. */
            if (u < 0x80) {
                *o++ = (char)u;
            } else if (u < 0x800) {
                *o++ = (char)(0xc0 | u >> 6);
                *o++ = (char)(0x80 | (u & 0x3f));
            } else if (u < 0x10000) {
                *o++ = (char)(0xe0 | u >> 12);
                *o++ = (char)(0x80 | (u >> 6 & 0x3f));
                *o++ = (char)(0x80 | (u & 0x3f));
            } else {
                *o++ = (char)(0xf0 | u >> 18);
                *o++ = (char)(0x80 | (u >> 12 & 0x3f));
                *o++ = (char)(0x80 | (u >> 6 & 0x3f));
                *o++ = (char)(0x80 | (u & 0x3f));
            }
            break;
        }
        default: return jerr(r, q - 2, "invalid escape in a string");
        }
    }
    *off = (uint32_t)r->slen;
    *len = (uint32_t)(o - (r->scratch + r->slen));
    *in_scratch = 1;
    r->slen += *len;
    return true;
}

static bool parse_number(sl_json_reader *r, const char **pp, const char *end, sl_value *v) {
    const char *a = *pp, *p = a;
    if (*p == '-') p++;
    if (p < end && *p == '0') {
        p++;
    } else if (p < end && *p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    } else {
        return jerr(r, a, "invalid number");
    }
    const char *int_end = p;
    if (p < end && *p == '.') {
        const char *d = ++p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == d) return jerr(r, a, "invalid number: no digit after '.'");
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        const char *d = p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == d) return jerr(r, a, "invalid number: no digit in the exponent");
    }
    *pp = p;
    if (p == int_end && sl_parse_int(a, (size_t)(p - a), &v->v.i)) {
        v->type = SL_F_INT;
        return true;
    }
    v->type = SL_F_FLOAT;
    v->v.f = to_double(a, (size_t)(p - a));
    return true;
}

static bool skip_value(sl_json_reader *r, const char **pp, const char *end, int depth);

static bool skip_container(sl_json_reader *r, const char **pp, const char *end, int depth) {
    const char *p = *pp;
    char close = *p == '[' ? ']' : '}';
    if (depth >= MAX_DEPTH) return jerr(r, p, "nested too deeply");
    p = skip_ws(p + 1, end);
    if (p < end && *p == close) {
        *pp = p + 1;
        return true;
    }
    for (;;) {
        if (close == '}') {
            uint32_t off, len;
            uint8_t sc;
            if (p == end || *p != '"') return jerr(r, p, "expected a string (an object key)");
            size_t slen = r->slen;
            if (!parse_string(r, &p, end, &off, &len, &sc)) return false;
            r->slen = slen; /* the key is not kept */
            p = skip_ws(p, end);
            if (p == end || *p != ':') return jerr(r, p, "expected ':' after an object key");
            p = skip_ws(p + 1, end);
        }
        if (!skip_value(r, &p, end, depth + 1)) return false;
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == close) break;
        return jerr(r, p, close == ']' ? "expected ',' or ']'" : "expected ',' or '}'");
    }
    *pp = p + 1;
    return true;
}

static bool parse_value(sl_json_reader *r, const char **pp, const char *end, jval *out);

static bool skip_value(sl_json_reader *r, const char **pp, const char *end, int depth) {
    if (*pp < end && (**pp == '[' || **pp == '{')) return skip_container(r, pp, end, depth);
    jval v;
    size_t slen = r->slen;
    bool ok = parse_value(r, pp, end, &v);
    r->slen = slen;
    return ok;
}

static bool word(sl_json_reader *r, const char **pp, const char *end, const char *w, size_t n) {
    if ((size_t)(end - *pp) < n || memcmp(*pp, w, n) != 0) return jerr(r, *pp, "invalid literal");
    *pp += n;
    return true;
}

static bool parse_value(sl_json_reader *r, const char **pp, const char *end, jval *out) {
    out->in_scratch = out->nested = 0;
    out->v = (sl_value){.type = SL_F_NULL};
    if (*pp == end) return jerr(r, *pp, "expected a value");
    uint32_t off, len;
    switch (**pp) {
    case '"':
        if (!parse_string(r, pp, end, &off, &len, &out->in_scratch)) return false;
        out->v.type = SL_F_STRING;
        out->v.len = len;
        out->v.v.off = off;
        return true;
    case 't':
        out->v.type = SL_F_BOOL;
        out->v.v.b = true;
        return word(r, pp, end, "true", 4);
    case 'f': out->v.type = SL_F_BOOL; return word(r, pp, end, "false", 5);
    case 'n': return word(r, pp, end, "null", 4);
    case '[':
    case '{': {
        const char *a = *pp;
        if (!skip_container(r, pp, end, 0)) return false;
        if ((size_t)(*pp - a) > UINT32_MAX) return jerr(r, a, "value too long");
        out->nested = (uint8_t)*a;
        out->v.type = SL_F_STRING;
        out->v.len = (uint32_t)(*pp - a);
        out->v.v.off = (uint64_t)(a - r->in);
        return true;
    }
    default:
        if (**pp == '-' || (**pp >= '0' && **pp <= '9')) return parse_number(r, pp, end, &out->v);
        return jerr(r, *pp, "unexpected character");
    }
}

/* The object at *pp (its '{') into r->m. */
static bool parse_object(sl_json_reader *r, const char **pp, const char *end) {
    const char *p = skip_ws(*pp + 1, end);
    r->nm = 0;
    if (p < end && *p == '}') {
        *pp = p + 1;
        return true;
    }
    for (;;) {
        if (r->nm == r->mcap) {
            uint32_t cap = r->mcap ? r->mcap * 2 : 16;
            jmember *m = realloc(r->m, cap * sizeof *m);
            if (!m) return jerr(r, p, "out of memory");
            r->m = m;
            r->mcap = cap;
        }
        jmember *m = &r->m[r->nm];
        if (p == end || *p != '"') return jerr(r, p, "expected a string (an object key)");
        const char *k = p;
        if (!parse_string(r, &p, end, &m->key_off, &m->key_len, &m->key_in_scratch)) return false;
        if (memchr(jstr(r, m->key_off, m->key_in_scratch), '\0', m->key_len))
            return jerr(r, k, "an object key holds \\u0000");
        p = skip_ws(p, end);
        if (p == end || *p != ':') return jerr(r, p, "expected ':' after an object key");
        p = skip_ws(p + 1, end);
        if (!parse_value(r, &p, end, &m->val)) return false;
        r->nm++;
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}') break;
        return jerr(r, p, "expected ',' or '}'");
    }
    *pp = p + 1;
    return true;
}

bool sl_json_reader_parse(sl_json_reader *r, const char *s, size_t len) {
    const char *p = s, *end = s + len;
    r->in = s;
    r->slen = 0;
    r->err = NULL;
    p = skip_ws(p, end);
    if (p == end || *p != '{') return jerr(r, p, "expected a JSON object");
    if (!parse_object(r, &p, end)) return false;
    p = skip_ws(p, end);
    if (p != end) return jerr(r, p, "unexpected text after the object");
    return true;
}

static bool name_is(const char *name, uint32_t nlen, const char *k, uint32_t klen) {
    return nlen == klen && memcmp(name, k, klen) == 0;
}

uint32_t sl_json_reader_map(sl_json_reader *r, const sl_schema *s) {
    uint32_t nf = s->nfields, missing = 0;
    if (r->mapped != s) {
        /* Name lengths, for comparing keys with memcmp (schemas rarely change). */
        if (nf > r->nlcap) {
            uint32_t *nl = realloc(r->name_len, nf * sizeof *nl);
            if (!nl) {
                sl_schema_unref(r->mapped);
                r->mapped = NULL;
                for (uint32_t i = 0; i < r->nm; i++) {
                    jmember *m = &r->m[i];
                    m->idx = sl_schema_find(s, jstr(r, m->key_off, m->key_in_scratch), m->key_len);
                    missing += m->idx < 0;
                }
                return missing;
            }
            r->name_len = nl;
            r->nlcap = nf;
        }
        for (uint32_t j = 0; j < nf; j++)
            r->name_len[j] = (uint32_t)strlen(s->names[j]);
        sl_schema_unref(r->mapped);
        r->mapped = sl_schema_ref((sl_schema *)s);
    }
    for (uint32_t i = 0; i < r->nm; i++) {
        jmember *m = &r->m[i];
        const char *k = jstr(r, m->key_off, m->key_in_scratch);
        m->idx = -1;
        /* Objects mostly list their keys in schema order: try field i first. */
        if (i < nf && name_is(s->names[i], r->name_len[i], k, m->key_len)) {
            m->idx = (int32_t)i;
            continue;
        }
        for (uint32_t j = 0; j < nf; j++)
            if (name_is(s->names[j], r->name_len[j], k, m->key_len)) {
                m->idx = (int32_t)j;
                break;
            }
        missing += m->idx < 0;
    }
    return missing;
}

sl_schema *sl_json_reader_extend(sl_json_reader *r, const sl_schema *s) {
    uint32_t old = s ? s->nfields : 0, n = old;
    char **names = malloc((old + r->nm + 1) * sizeof *names);
    sl_ftype *types = malloc((old + r->nm + 1) * sizeof *types);
    sl_schema *ns = NULL;
    if (!names || !types) goto done;
    for (uint32_t j = 0; j < old; j++) {
        names[j] = s->names[j];
        types[j] = s->types[j];
    }
    for (uint32_t i = 0; i < r->nm; i++) {
        jmember *m = &r->m[i];
        if (s && m->idx >= 0) continue;
        const char *k = jstr(r, m->key_off, m->key_in_scratch);
        uint32_t j = old;
        while (j < n && !(strlen(names[j]) == m->key_len && memcmp(names[j], k, m->key_len) == 0))
            j++;
        if (j < n) continue; /* a key repeated in the object */
        if (!(names[n] = strndup(k, m->key_len))) goto done;
        int h = r->hint ? sl_schema_find(r->hint, k, m->key_len) : -1;
        types[n++] = h >= 0 ? r->hint->types[h] : SL_F_NULL;
    }
    ns = sl_schema_new((const char *const *)names, types, n);
    if (ns) sl_json_reader_map(r, ns);
done:
    for (uint32_t j = old; names && j < n; j++)
        free(names[j]);
    free(names);
    free(types);
    return ns;
}

/* Stores v as *dst in b, converted as the field's declared type asks. */
static bool set_value(const sl_json_reader *r, sl_batch *b, sl_value *dst, const jval *v,
                      sl_ftype decl) {
    if (v->v.type == SL_F_STRING) {
        const char *s = jstr(r, (uint32_t)v->v.v.off, v->in_scratch);
        if (decl == SL_F_TIME && !v->nested && sl_parse_time(s, v->v.len, &dst->v.i)) {
            dst->type = SL_F_TIME;
            return true;
        }
        return sl_batch_set_str(b, dst, s, v->v.len);
    }
    *dst = v->v;
    if (decl == SL_F_FLOAT && v->v.type == SL_F_INT) {
        dst->type = SL_F_FLOAT;
        dst->v.f = (double)v->v.v.i;
    }
    return true;
}

bool sl_json_reader_emit(sl_json_reader *r, sl_batch *b, uint64_t pos) {
    size_t arena0 = b->arena_len;
    sl_value *row = sl_batch_add(b, pos);
    if (!row) return false;
    const sl_ftype *types = b->schema->types;
    for (uint32_t i = 0; i < r->nm; i++) {
        const jmember *m = &r->m[i];
        if (m->idx < 0) continue;
        if (!set_value(r, b, &row[m->idx], &m->val, types[m->idx])) {
            b->n--;
            b->arena_len = arena0;
            return false;
        }
    }
    return true;
}

/* ---- Decoding whole texts ---------------------------------------------------------------- */

/* The members of the parsed object are arrays (their text in the input): one column each. */
static sl_batch *decode_columns(sl_json_reader *r, uint64_t pos, char *err, size_t errsize) {
    size_t *start = malloc((r->nm + 1) * sizeof *start);
    sl_batch *b = NULL;
    sl_schema *s = NULL;
    if (!start) goto oom;
    r->nvals = 0;
    for (uint32_t c = 0; c < r->nm; c++) {
        const jval *col = &r->m[c].val;
        const char *p = r->in + col->v.v.off, *end = p + col->v.len;
        start[c] = r->nvals;
        p = skip_ws(p + 1, end);
        if (*p == ']') continue;
        for (;;) {
            if (r->nvals == r->vcap) {
                size_t cap = r->vcap ? r->vcap * 2 : 256;
                jval *v = realloc(r->vals, cap * sizeof *v);
                if (!v) goto oom;
                r->vals = v;
                r->vcap = cap;
            }
            /* Already checked by skip_container: this cannot fail but for memory. */
            if (!parse_value(r, &p, end, &r->vals[r->nvals])) goto oom;
            r->nvals++;
            p = skip_ws(p, end);
            if (*p == ']') break;
            p = skip_ws(p + 1, end);
        }
    }
    start[r->nm] = r->nvals;
    size_t n = start[1] - start[0];
    for (uint32_t c = 1; c < r->nm; c++) {
        size_t nc = start[c + 1] - start[c];
        if (nc != n) {
            snprintf(err, errsize, "columnar object: \"%.*s\" has %zu values but \"%.*s\" has %zu",
                     (int)(r->m[c].key_len > 80 ? 80 : r->m[c].key_len),
                     jstr(r, r->m[c].key_off, r->m[c].key_in_scratch), nc,
                     (int)(r->m[0].key_len > 80 ? 80 : r->m[0].key_len),
                     jstr(r, r->m[0].key_off, r->m[0].key_in_scratch), n);
            free(start);
            return NULL;
        }
    }
    if (n > UINT32_MAX) {
        snprintf(err, errsize, "columnar object: too many records (%zu)", n);
        free(start);
        return NULL;
    }
    if (!(s = sl_json_reader_extend(r, NULL)) || !(b = sl_batch_new(s, (uint32_t)n))) goto oom;
    for (size_t i = 0; i < n; i++) {
        sl_value *row = sl_batch_add(b, pos);
        if (!row) goto oom;
        for (uint32_t c = 0; c < r->nm; c++) {
            int32_t j = r->m[c].idx;
            if (!set_value(r, b, &row[j], &r->vals[start[c] + i], s->types[j])) goto oom;
        }
    }
    sl_schema_unref(s);
    free(start);
    return b;
oom:
    snprintf(err, errsize, "JSON: out of memory");
    sl_batch_free(b);
    sl_schema_unref(s);
    free(start);
    return NULL;
}

static void where(const char *s, size_t off, char *err, size_t errsize, const char *msg) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < off; i++) {
        if (s[i] == '\n')
            line++, col = 1;
        else
            col++;
    }
    snprintf(err, errsize, "JSON: %s at line %zu, column %zu", msg, line, col);
}

sl_batch *sl_json_decode(const char *s, size_t len, const sl_schema *hint, uint64_t pos, char *err,
                         size_t errsize) {
    sl_json_reader *r = sl_json_reader_new(hint);
    sl_batch *b = NULL;
    sl_schema *sch = NULL;
    if (!r) {
        snprintf(err, errsize, "JSON: out of memory");
        return NULL;
    }
    const char *p = s, *end = s + len;
    r->in = s;
    p = skip_ws(p, end);
    if (p < end && *p == '[') {
        sl_schema *empty = sl_schema_new(NULL, NULL, 0);
        b = empty ? sl_batch_new(empty, 0) : NULL;
        sl_schema_unref(empty);
        if (!b) goto oom;
        p = skip_ws(p + 1, end);
        if (p < end && *p == ']')
            p++;
        else
            for (uint32_t i = 0;; i++) {
                if (p == end || *p != '{') {
                    char msg[64];
                    snprintf(msg, sizeof msg, "element %u of the array is not an object", i);
                    jerr(r, p, p == end ? "unterminated array" : msg);
                    where(s, r->err_off, err, errsize, r->err);
                    goto fail;
                }
                r->slen = 0;
                if (!parse_object(r, &p, end)) goto bad;
                if (sl_json_reader_map(r, b->schema)) {
                    if (!(sch = sl_json_reader_extend(r, b->schema)) || !sl_batch_widen(b, sch))
                        goto oom;
                    sl_schema_unref(sch);
                    sch = NULL;
                }
                if (!sl_json_reader_emit(r, b, pos)) goto oom;
                p = skip_ws(p, end);
                if (p < end && *p == ',') {
                    p = skip_ws(p + 1, end);
                    continue;
                }
                if (p < end && *p == ']') {
                    p++;
                    break;
                }
                jerr(r, p, "expected ',' or ']'");
                goto bad;
            }
    } else if (p < end && *p == '{') {
        if (!parse_object(r, &p, end)) goto bad;
        bool columnar = r->nm > 0;
        for (uint32_t i = 0; columnar && i < r->nm; i++)
            columnar = r->m[i].val.nested == '[';
        if (columnar) {
            const char *q = skip_ws(p, end);
            if (q != end) {
                jerr(r, q, "unexpected text after the JSON value");
                goto bad;
            }
            b = decode_columns(r, pos, err, errsize);
            sl_json_reader_free(r);
            return b;
        }
        if (!(sch = sl_json_reader_extend(r, NULL)) || !(b = sl_batch_new(sch, 1)) ||
            !sl_json_reader_emit(r, b, pos))
            goto oom;
        sl_schema_unref(sch);
        sch = NULL;
    } else {
        jerr(r, p, "expected an object or an array");
        goto bad;
    }
    p = skip_ws(p, end);
    if (p != end) {
        jerr(r, p, "unexpected text after the JSON value");
        goto bad;
    }
    sl_json_reader_free(r);
    return b;
oom:
    snprintf(err, errsize, "JSON: out of memory");
    goto fail;
bad:
    where(s, r->err_off, err, errsize, r->err);
fail:
    sl_schema_unref(sch);
    sl_batch_free(b);
    sl_json_reader_free(r);
    return NULL;
}

/* ---- Batches for the parsers ------------------------------------------------------------- */

bool sl_schema_same(const sl_schema *a, const sl_schema *b) {
    if (a == b) return true;
    if (a->nfields != b->nfields) return false;
    for (uint32_t i = 0; i < a->nfields; i++)
        if (a->types[i] != b->types[i] || strcmp(a->names[i], b->names[i]) != 0) return false;
    return true;
}

bool sl_batch_widen(sl_batch *b, sl_schema *s) {
    const sl_schema *old = b->schema;
    uint32_t of = old->nfields, nf = s->nfields;
    if (nf < of) return false;
    for (uint32_t j = 0; j < of; j++)
        if (strcmp(old->names[j], s->names[j]) != 0) return false;
    if (b->cap && nf > of) {
        sl_value *v = malloc((size_t)b->cap * nf * sizeof *v);
        if (!v) return false;
        for (uint32_t i = 0; i < b->n; i++) {
            memcpy(v + (size_t)i * nf, b->values + (size_t)i * of, of * sizeof *v);
            memset(v + (size_t)i * nf + of, 0, (nf - of) * sizeof *v);
        }
        free(b->values);
        b->values = v;
    }
    sl_schema_ref(s);
    sl_schema_unref(b->schema);
    b->schema = s;
    return true;
}

bool sl_batch_ready(sl_batch **bp, sl_schema *s, uint32_t cap, sl_batch_fn on_batch, void *ctx) {
    sl_batch *b = *bp;
    if (b && sl_schema_same(b->schema, s)) return true;
    if (b && b->n == 0) {
        /* Keep the memory: the values array holds cap * nfields values. */
        size_t oldf = b->schema->nfields ? b->schema->nfields : 1;
        size_t newf = s->nfields ? s->nfields : 1;
        size_t fit = (size_t)b->cap * oldf / newf;
        b->cap = fit < b->cap ? (uint32_t)fit : b->cap;
        b->arena_len = 0;
        sl_schema_ref(s);
        sl_schema_unref(b->schema);
        b->schema = s;
        return true;
    }
    if (b) {
        if (!on_batch) return sl_batch_widen(b, s);
        on_batch(ctx, b);
        *bp = NULL;
    }
    return (*bp = sl_batch_new(s, cap)) != NULL;
}

bool sl_carry_append(char **buf, size_t *len, size_t *cap, size_t limit, bool *overflow,
                     const char *s, size_t n) {
    if (*len + n > limit) {
        *overflow = true;
        n = limit - *len;
    }
    if (*cap - *len < n) {
        size_t c = *cap ? *cap : 256;
        while (c - *len < n)
            c *= 2;
        char *p = realloc(*buf, c);
        if (!p) return false;
        *buf = p;
        *cap = c;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    return true;
}
