/*
 * pca.c - principal component analysis of 2-D points, answered as an SVG plot.
 *
 * Input (the body): comma-separated coordinates "x1,y1,x2,y2,..." (whitespace around numbers
 * is ignored; numbers are decimal, e.g. -1.5e3). The function computes the mean, the sample
 * covariance matrix (divided by n-1, as numpy.cov), and its eigenvalues and unit
 * eigenvectors (closed form for a symmetric 2x2 matrix), and draws the points (one
 * <circle class="point"> each), the mean (<circle class="mean">) and both eigenvectors from
 * the mean, scaled by the square root of their eigenvalue (<line class="eigenvector">), over
 * a pair of axes, with x and y on the same scale.
 *
 * With the query parameter format=json (event input), or when the body's first line is
 * "format=json", the answer is the numbers as JSON instead:
 *     {"n":N,"mean":[mx,my],"covariance":[[cxx,cxy],[cxy,cyy]],
 *      "eigenvalues":[l1,l2],"eigenvectors":[[v1x,v1y],[v2x,v2y]]}    (l1 >= l2)
 * Malformed input (a non-number, an odd count, fewer than 2 points) is answered with 400
 * and a one-line message.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice_fn.h"

SL_FN_MODES(SL_FN_IN_EVENT, SL_FN_OUT_INTEGRATION);

typedef struct pca {
    size_t n;
    double mean[2], cov[3]; /* cxx, cxy, cyy */
    double lambda[2], vec[2][2];
} pca;

/* The common case of parse_number without strtod, whose musl implementation computes in long
 * double, which wasm32 emulates in software (about 20x slower). When the digits form an
 * integer below 2^53 and the decimal exponent is at most 22 in size, both the integer and
 * the power of ten are exact doubles, so one multiplication or division rounds exactly
 * once: the result is the correctly rounded value, the same as strtod's (Clinger's fast
 * path). Anything else (more digits, an exponent part) returns false and goes to strtod. */
static bool fast_decimal(const char *s, size_t len, double *out) {
    static const double POW10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t i = 0;
    bool neg = false;
    if (s[0] == '+' || s[0] == '-') neg = s[i++] == '-';
    uint64_t m = 0;
    int frac = 0, ndigits = 0;
    bool dot = false;
    for (; i < len; i++) {
        if (s[i] == '.' && !dot) {
            dot = true;
            continue;
        }
        if (s[i] < '0' || s[i] > '9') return false; /* an exponent part: leave it to strtod */
        if (m || s[i] != '0') ndigits++;
        if (ndigits > 15) return false; /* 10^15 < 2^53: 15 digits are always exact */
        m = m * 10 + (uint64_t)(s[i] - '0');
        frac += dot;
    }
    double v = (double)m / POW10[frac > 22 ? 22 : frac];
    if (frac > 22) return false;
    *out = neg ? -v : v;
    return true;
}

/* A decimal number at s[0..len) (the grammar is checked here: strtod alone would also take
 * hex, "inf" and "nan"). */
static bool parse_number(const char *s, size_t len, double *out) {
    size_t i = 0, digits = 0;
    if (i < len && (s[i] == '+' || s[i] == '-')) i++;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, digits++;
    }
    if (!digits) return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) i++;
        size_t e = i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == e) return false;
    }
    if (i != len || len > 400) return false;
    if (fast_decimal(s, len, out)) return true;
    char tmp[401];
    memcpy(tmp, s, len);
    tmp[len] = 0;
    *out = strtod(tmp, NULL);
    return isfinite(*out);
}

static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Parse the body into *vals (malloc'd). Returns NULL or an error message (in err). */
static bool parse_points(const char *s, size_t len, double **vals, size_t *count, char *err,
                         size_t errlen) {
    size_t n = 0, cap = 0, i = 0;
    double *v = NULL;
    *vals = NULL;
    while (i < len && is_space(s[i]))
        i++;
    if (i == len) {
        snprintf(err, errlen, "pca: no points given (expected x1,y1,x2,y2,...)");
        return false;
    }
    for (;;) {
        while (i < len && is_space(s[i]))
            i++;
        size_t start = i;
        while (i < len && s[i] != ',' && !is_space(s[i]))
            i++;
        double d;
        if (!parse_number(s + start, i - start, &d)) {
            size_t show = i - start > 40 ? 40 : i - start;
            snprintf(err, errlen, "pca: value %zu is not a finite decimal number: \"%.*s\"", n + 1,
                     (int)show, s + start);
            free(v);
            return false;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            double *p = realloc(v, cap * sizeof *p);
            if (!p) {
                free(v);
                snprintf(err, errlen, "pca: out of memory");
                return false;
            }
            v = p;
        }
        v[n++] = d;
        while (i < len && is_space(s[i]))
            i++;
        if (i == len) break;
        if (s[i] != ',') {
            snprintf(err, errlen, "pca: expected a comma after value %zu", n);
            free(v);
            return false;
        }
        i++;
    }
    if (n % 2) {
        snprintf(err, errlen, "pca: odd number of values (%zu): expected x,y pairs", n);
        free(v);
        return false;
    }
    if (n < 4) {
        snprintf(err, errlen, "pca: need at least 2 points, got %zu", n / 2);
        free(v);
        return false;
    }
    *vals = v;
    *count = n / 2;
    return true;
}

static void compute(const double *v, size_t n, pca *r) {
    r->n = n;
    double sx = 0, sy = 0;
    for (size_t i = 0; i < n; i++)
        sx += v[2 * i], sy += v[2 * i + 1];
    r->mean[0] = sx / (double)n;
    r->mean[1] = sy / (double)n;
    double xx = 0, xy = 0, yy = 0;
    for (size_t i = 0; i < n; i++) {
        double dx = v[2 * i] - r->mean[0], dy = v[2 * i + 1] - r->mean[1];
        xx += dx * dx, xy += dx * dy, yy += dy * dy;
    }
    double a = xx / (double)(n - 1), b = xy / (double)(n - 1), c = yy / (double)(n - 1);
    r->cov[0] = a, r->cov[1] = b, r->cov[2] = c;
    /* Eigenvalues of [[a,b],[b,c]]: m +- d with m the mean of the diagonal. */
    double m = (a + c) / 2, d = hypot((a - c) / 2, b);
    r->lambda[0] = m + d;
    r->lambda[1] = m - d;
    /* An eigenvector of lambda0 is (b, l-a) or, equally, (l-c, b): take the longer one, which
     * is the better conditioned; the other eigenvector is perpendicular to it. */
    double l = r->lambda[0], u1x = b, u1y = l - a, u2x = l - c, u2y = b;
    double n1 = hypot(u1x, u1y), n2 = hypot(u2x, u2y);
    double ux = 1, uy = 0;
    if (n1 >= n2 && n1 > 0)
        ux = u1x / n1, uy = u1y / n1;
    else if (n2 > 0)
        ux = u2x / n2, uy = u2y / n2;
    r->vec[0][0] = ux, r->vec[0][1] = uy;
    r->vec[1][0] = 0.0 - uy, r->vec[1][1] = ux; /* 0.0 - : no negative zero */
}

static void write_json(sl_fn_response *res, const pca *r) {
    sl_fn_set_header(res, "Content-Type", "application/json");
    sl_fn_printf(res,
                 "{\"n\":%zu,\"mean\":[%.17g,%.17g],\"covariance\":[[%.17g,%.17g],[%.17g,%.17g]],"
                 "\"eigenvalues\":[%.17g,%.17g],\"eigenvectors\":[[%.17g,%.17g],[%.17g,%.17g]]}\n",
                 r->n, r->mean[0], r->mean[1], r->cov[0], r->cov[1], r->cov[1], r->cov[2],
                 r->lambda[0], r->lambda[1], r->vec[0][0], r->vec[0][1], r->vec[1][0],
                 r->vec[1][1]);
}

#define SVG_SIZE   480.0
#define SVG_MARGIN 48.0

typedef struct view {
    double x0, y0, scale;
} view;

static double px(const view *w, double x) {
    return SVG_MARGIN + (x - w->x0) * w->scale;
}
static double py(const view *w, double y) {
    return SVG_SIZE - SVG_MARGIN - (y - w->y0) * w->scale;
}

/* x with two decimals, as "%.2f" would print it for the coordinates of the plot (0..480),
 * but with integer arithmetic: printf's floating-point path computes in long double, which
 * wasm32 emulates in software, and the plot prints two numbers per point. */
static const char *fixed2(char buf[32], double x) {
    if (!(fabs(x) < 1e9)) {
        snprintf(buf, 32, "%.2f", x);
        return buf;
    }
    long long c = llround(x * 100);
    unsigned long long a = (unsigned long long)(c < 0 ? -c : c);
    snprintf(buf, 32, "%s%llu.%02llu", c < 0 ? "-" : "", a / 100, a % 100);
    return buf;
}

static void write_svg(sl_fn_response *res, const pca *r, const double *v) {
    /* The end points of both eigenvector segments. */
    double ends[2][2];
    for (int k = 0; k < 2; k++) {
        double s = sqrt(r->lambda[k] > 0 ? r->lambda[k] : 0);
        ends[k][0] = r->mean[0] + s * r->vec[k][0];
        ends[k][1] = r->mean[1] + s * r->vec[k][1];
    }
    double lo[2] = {r->mean[0], r->mean[1]}, hi[2] = {r->mean[0], r->mean[1]};
    for (size_t i = 0; i < r->n + 2; i++) {
        const double *p = i < r->n ? v + 2 * i : ends[i - r->n];
        for (int a = 0; a < 2; a++) {
            if (p[a] < lo[a]) lo[a] = p[a];
            if (p[a] > hi[a]) hi[a] = p[a];
        }
    }
    double span = fmax(hi[0] - lo[0], hi[1] - lo[1]);
    if (!(span > 0) || !isfinite(span)) span = 1;
    double inner = SVG_SIZE - 2 * SVG_MARGIN;
    view w = {lo[0] - (span - (hi[0] - lo[0])) / 2, lo[1] - (span - (hi[1] - lo[1])) / 2,
              inner / span};
    sl_fn_set_header(res, "Content-Type", "image/svg+xml");
    sl_fn_printf(res,
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
                 "viewBox=\"0 0 %g %g\">\n"
                 "<title>PCA of %zu points</title>\n"
                 "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                 SVG_SIZE, SVG_SIZE, SVG_SIZE, SVG_SIZE, r->n);
    /* Axes along the bottom and the left edge of the plot, labelled with their range. */
    double b = SVG_SIZE - SVG_MARGIN, e = SVG_SIZE - SVG_MARGIN / 2;
    sl_fn_printf(res,
                 "<g class=\"axes\" stroke=\"black\" stroke-width=\"1\">\n"
                 "<line class=\"axis x-axis\" x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\"/>\n"
                 "<line class=\"axis y-axis\" x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\"/>\n"
                 "</g>\n",
                 SVG_MARGIN, b, e, b, SVG_MARGIN, b, SVG_MARGIN, SVG_MARGIN / 2);
    sl_fn_printf(res,
                 "<g class=\"labels\" font-family=\"sans-serif\" font-size=\"11\">\n"
                 "<text x=\"%g\" y=\"%g\">%.4g</text>\n"
                 "<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%.4g</text>\n"
                 "<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%.4g</text>\n"
                 "<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%.4g</text>\n"
                 "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">x</text>\n"
                 "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">y</text>\n"
                 "</g>\n",
                 SVG_MARGIN, b + 16, w.x0, SVG_SIZE - SVG_MARGIN, b + 16, w.x0 + span,
                 SVG_MARGIN - 4, b, w.y0, SVG_MARGIN - 4, SVG_MARGIN + 4, w.y0 + span, SVG_SIZE / 2,
                 b + 30, SVG_MARGIN / 2 - 8, SVG_SIZE / 2);
    sl_fn_puts(res, "<g class=\"points\" fill=\"steelblue\" fill-opacity=\"0.7\">\n");
    char cx[32], cy[32];
    for (size_t i = 0; i < r->n; i++)
        sl_fn_printf(res, "<circle class=\"point\" cx=\"%s\" cy=\"%s\" r=\"3\"/>\n",
                     fixed2(cx, px(&w, v[2 * i])), fixed2(cy, py(&w, v[2 * i + 1])));
    sl_fn_puts(res, "</g>\n");
    static const char *colors[2] = {"crimson", "darkorange"};
    for (int k = 0; k < 2; k++)
        sl_fn_printf(res,
                     "<line class=\"eigenvector\" data-eigenvalue=\"%.17g\" x1=\"%.2f\" "
                     "y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-width=\"2.5\"/>\n",
                     r->lambda[k], px(&w, r->mean[0]), py(&w, r->mean[1]), px(&w, ends[k][0]),
                     py(&w, ends[k][1]), colors[k]);
    sl_fn_printf(res, "<circle class=\"mean\" cx=\"%.2f\" cy=\"%.2f\" r=\"4\" fill=\"black\"/>\n",
                 px(&w, r->mean[0]), py(&w, r->mean[1]));
    sl_fn_puts(res, "</svg>\n");
}

int sl_fn_handle(const sl_fn_request *req, sl_fn_response *res) {
    const char *body = req->body;
    size_t len = req->body_len;
    const char *format = sl_fn_query(req, "format");
    bool json = format && !strcmp(format, "json");
    static const char flag[] = "format=json";
    size_t fl = sizeof flag - 1;
    if (len >= fl && !memcmp(body, flag, fl) &&
        (len == fl || body[fl] == '\n' || body[fl] == '\r')) {
        json = true;
        body += fl, len -= fl;
    } else if (format && !json && strcmp(format, "svg")) {
        return sl_fn_error(res, 400, "pca: unknown format \"%s\" (svg or json)", format);
    }
    double *v;
    size_t n;
    char err[160];
    if (!parse_points(body, len, &v, &n, err, sizeof err)) return sl_fn_error(res, 400, "%s", err);
    pca r;
    compute(v, n, &r);
    int status = 200;
    if (!isfinite(r.cov[0] + r.cov[1] + r.cov[2] + r.lambda[0] + r.lambda[1]))
        status = sl_fn_error(res, 400, "pca: values too large to compute with");
    else if (json)
        write_json(res, &r);
    else
        write_svg(res, &r, v);
    free(v);
    return status;
}
