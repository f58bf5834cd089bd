/*
 * anomaly.c - Seasonal Hybrid ESD (S-H-ESD), the anomaly detection of Twitter's
 * AnomalyDetection R package (Hochenbaum, Vallis and Kejariwal, "Automatic Anomaly Detection
 * in the Cloud Via Statistical Learning", 2017), on one column of a window of data.
 *
 * Input (raw): a JSON object of columns, each an array of the same length, e.g.
 *     {"air_quality": [41.2, 39.8, ...], "timestamp": ["2024-01-01T00:00", ...]}
 * Output (raw): the same columns, passed through as they came (an input column named
 * is_anomaly is dropped), then "is_anomaly": an array of booleans.
 *
 * The value column is decomposed with STL as R's stl(x, s.window = "periodic",
 * robust = TRUE) does (stl.c); the remainder x - seasonal - median(x) then goes through the
 * generalized ESD test on the median and MAD (esd.c), with critical values from Student's t
 * (tdist.c).
 *
 * Parameters (sl_fn_setup: `--name value` for the command, sluice_setup for the handler;
 * "max-anoms" is the same as "max_anoms", and numbers may be given as strings):
 *   period     observations per seasonal cycle, an integer >= 2 (required)
 *   alpha      significance level of the test, 0 < alpha <= 1 (default 0.05)
 *   max_anoms  at most this fraction of the points is reported, 0 < max_anoms <= 0.5
 *              (default 0.10)
 *   direction  both, pos (only above the expected) or neg (only below) (default both)
 *   value      the name of the column to test (default air_quality)
 * Input that is not such an object, columns of different lengths, a value that is not a
 * number, or fewer than two periods of data are answered with 400 and a one-line message.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esd.h"
#include "sluice_fn.h"
#include "stl.h"

SL_FN_MODES(SL_FN_IN_RAW, SL_FN_OUT_RAW);

#define DEFAULT_VALUE_COLUMN "air_quality"
#define MAX_PERIOD           1000000

typedef struct config {
    char *value; /* malloc'd, or NULL for DEFAULT_VALUE_COLUMN */
    double alpha, max_anoms;
    size_t period; /* 0: not configured */
    esd_direction direction;
} config;

static const config defaults = {NULL, 0.05, 0.10, 0, ESD_BOTH};
static config cfg = {NULL, 0.05, 0.10, 0, ESD_BOTH};

static const char *value_column(void) {
    return cfg.value ? cfg.value : DEFAULT_VALUE_COLUMN;
}

/* A parameter's number: a JSON number, or a string holding a decimal one. */
static bool param_number(const char *val, size_t len, double *out) {
    char tmp[64];
    const char *s = tmp;
    char *decoded = NULL;
    if (len && val[0] == '"') {
        if (!(decoded = sl_fn_json_string(val, len, &len))) return false;
        s = decoded;
    } else {
        if (len >= sizeof tmp) return false;
        memcpy(tmp, val, len);
        tmp[len] = 0;
    }
    /* strtod alone would also take "inf", "nan", hex and leading blanks. */
    bool ok = len > 0 && strspn(s, "0123456789+-.eE") == len;
    char *end;
    double d = ok ? strtod(s, &end) : 0;
    ok = ok && end == s + len && isfinite(d);
    free(decoded);
    if (ok) *out = d;
    return ok;
}

/* A parameter's string (a JSON string; numbers are taken as their text). NULL if neither. */
static char *param_string(const char *val, size_t len) {
    if (len && val[0] == '"') return sl_fn_json_string(val, len, NULL);
    if (len && (val[0] == '-' || (val[0] >= '0' && val[0] <= '9'))) return strndup(val, len);
    return NULL;
}

static int bad_param(const char *name, const char *val, size_t len, const char *want) {
    return sl_fn_setup_error(400, "anomaly: parameter %s must be %s, got %.*s", name, want,
                             (int)(len > 40 ? 40 : len), val);
}

/* Apply one parameter to *c. Returns 0 or the status of sl_fn_setup_error. */
static int set_param(config *c, const char *name, const char *val, size_t len) {
    char key[32];
    size_t n = strlen(name);
    if (n >= sizeof key) n = sizeof key - 1;
    for (size_t i = 0; i < n; i++) /* "max-anoms" is "max_anoms" */
        key[i] = name[i] == '-' ? '_' : name[i];
    key[n] = 0;
    double d;
    if (!strcmp(key, "period")) {
        if (!param_number(val, len, &d) || d != floor(d) || d < 2 || d > MAX_PERIOD)
            return bad_param(name, val, len, "an integer from 2 to 1000000");
        c->period = (size_t)d;
    } else if (!strcmp(key, "alpha")) {
        if (!param_number(val, len, &d) || !(d > 0 && d <= 1))
            return bad_param(name, val, len, "a number with 0 < alpha <= 1");
        c->alpha = d;
    } else if (!strcmp(key, "max_anoms")) {
        if (!param_number(val, len, &d) || !(d > 0 && d <= 0.5))
            return bad_param(name, val, len, "a number with 0 < max_anoms <= 0.5");
        c->max_anoms = d;
    } else if (!strcmp(key, "direction")) {
        char *s = param_string(val, len);
        if (s && !strcmp(s, "both"))
            c->direction = ESD_BOTH;
        else if (s && !strcmp(s, "pos"))
            c->direction = ESD_POS;
        else if (s && !strcmp(s, "neg"))
            c->direction = ESD_NEG;
        else {
            free(s);
            return bad_param(name, val, len, "both, pos or neg");
        }
        free(s);
    } else if (!strcmp(key, "value")) {
        char *s = param_string(val, len);
        if (!s || !*s) {
            free(s);
            return bad_param(name, val, len, "a column name");
        }
        free(c->value);
        c->value = s;
    } else {
        return sl_fn_setup_error(400,
                                 "anomaly: unknown parameter \"%s\" (known: period, alpha, "
                                 "max_anoms, direction, value)",
                                 name);
    }
    return 0;
}

int sl_fn_setup(const char *json, size_t len) {
    config c = defaults;
    size_t pos = 0, klen, vlen;
    const char *k, *v;
    int m, status = 0;
    while (!status && (m = sl_fn_json_next(json, len, &pos, &k, &klen, &v, &vlen)) == 1) {
        char *name = sl_fn_json_string(k, klen, NULL);
        status = name ? set_param(&c, name, v, vlen)
                      : sl_fn_setup_error(500, "anomaly: out of memory reading the parameters");
        free(name);
    }
    if (!status && m < 0) status = sl_fn_setup_error(400, "anomaly: malformed parameters");
    if (!status && !c.period)
        status = sl_fn_setup_error(400, "anomaly: parameter period (observations per seasonal "
                                        "cycle, e.g. --period 24) is required");
    if (status) {
        free(c.value);
        return status;
    }
    /* Only a complete, valid configuration replaces the one in force. */
    free(cfg.value);
    cfg = c;
    return 0;
}

/* ---- Requests ---------------------------------------------------------------------------- */

typedef struct column {
    const char *key, *val; /* raw JSON text of the name (quoted) and of the array */
    size_t key_len, val_len, count;
    char *name; /* decoded */
} column;

typedef struct table {
    column *cols;
    size_t ncols;
} table;

static void table_free(table *t) {
    for (size_t i = 0; i < t->ncols; i++)
        free(t->cols[i].name);
    free(t->cols);
}

/* Read the body's columns into *t. Returns 0 or an error status (message in res). */
static int read_table(const char *body, size_t len, table *t, sl_fn_response *res) {
    static const char not_columns[] =
        "anomaly: the input is not a JSON object of columns ({\"name\": [values...], ...})";
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r'))
        i++;
    if (i == len || body[i] != '{') return sl_fn_error(res, 400, "%s", not_columns);
    size_t pos = 0, cap = 0;
    column c;
    int m;
    while ((m = sl_fn_json_next(body, len, &pos, &c.key, &c.key_len, &c.val, &c.val_len)) == 1) {
        if (t->ncols == cap) {
            cap = cap ? 2 * cap : 8;
            column *p = realloc(t->cols, cap * sizeof *p);
            if (!p) return sl_fn_error(res, 500, "anomaly: out of memory");
            t->cols = p;
        }
        if (!(c.name = sl_fn_json_string(c.key, c.key_len, NULL)))
            return sl_fn_error(res, 500, "anomaly: out of memory");
        t->cols[t->ncols++] = c;
        for (size_t j = 0; j + 1 < t->ncols; j++)
            if (!strcmp(t->cols[j].name, c.name))
                return sl_fn_error(res, 400, "anomaly: column \"%s\" appears twice", c.name);
        if (c.val[0] != '[')
            return sl_fn_error(res, 400, "anomaly: column \"%s\" is not an array", c.name);
        size_t apos = 0, elen, count = 0;
        const char *e;
        while (sl_fn_json_next(c.val, c.val_len, &apos, NULL, NULL, &e, &elen) == 1)
            count++; /* the array was checked as part of the object */
        t->cols[t->ncols - 1].count = count;
        if (t->cols[0].count != count)
            return sl_fn_error(res, 400,
                               "anomaly: the columns have different lengths (\"%s\" has %zu "
                               "values, \"%s\" has %zu)",
                               t->cols[0].name, t->cols[0].count, c.name, count);
    }
    if (m < 0) return sl_fn_error(res, 400, "%s", not_columns);
    return 0;
}

/* The numbers of column c into *out (malloc'd). Returns 0 or an error status. */
static int read_values(const column *c, double **out, sl_fn_response *res) {
    double *y = malloc((c->count ? c->count : 1) * sizeof *y);
    if (!y) return sl_fn_error(res, 500, "anomaly: out of memory");
    size_t pos = 0, len, i = 0;
    const char *e;
    while (sl_fn_json_next(c->val, c->val_len, &pos, NULL, NULL, &e, &len) == 1) {
        char *end = NULL;
        /* The JSON reader checked the number's grammar; the text after it (',' or ']')
         * stops strtod. */
        if (e[0] == '-' || (e[0] >= '0' && e[0] <= '9')) y[i] = strtod(e, &end);
        if (end != e + len || !isfinite(y[i])) {
            free(y);
            return sl_fn_error(res, 400, "anomaly: %s[%zu] is not a finite number: %.*s", c->name,
                               i, (int)(len > 40 ? 40 : len), e);
        }
        i++;
    }
    *out = y;
    return 0;
}

/* S-H-ESD on y[0..n) into flags. Returns false when out of memory. */
static bool detect(const double *y, size_t n, bool *flags) {
    double *seasonal = malloc(n * sizeof *seasonal), *trend = malloc(n * sizeof *trend);
    bool ok = seasonal && trend;
    stl_params p = stl_periodic_params(n, cfg.period);
    double median;
    ok = ok && stl_decompose(y, n, &p, seasonal, trend) && esd_median(y, n, &median);
    if (ok) {
        stl_make_periodic(seasonal, n, cfg.period);
        /* The remainder of S-H-ESD: the median stands in for the trend, which makes the test
         * robust to a trend that bends around the anomalies themselves. */
        for (size_t i = 0; i < n; i++)
            trend[i] = y[i] - seasonal[i] - median;
        size_t max_outliers = (size_t)floor((double)n * cfg.max_anoms);
        /* A MAD this small is rounding noise (the STL's arithmetic is good to ~1e-14 of the
         * data), left by data that are constant apart from a few points: R's S-H-ESD stops
         * there (its MAD is exactly 0 when its STL's rounding happens to cancel). */
        double largest = 0;
        for (size_t i = 0; i < n; i++)
            largest = fmax(largest, fabs(y[i]));
        ok =
            esd_test(trend, n, max_outliers, cfg.alpha, cfg.direction, 1e-10 * largest, flags) >= 0;
    }
    free(seasonal);
    free(trend);
    return ok;
}

int sl_fn_handle(const sl_fn_request *req, sl_fn_response *res) {
    if (!cfg.period)
        return sl_fn_error(res, 400, "anomaly: no period configured (set the period parameter)");
    table t = {0};
    int status = read_table(req->body, req->body_len, &t, res);
    const column *vc = NULL;
    for (size_t i = 0; !status && i < t.ncols; i++)
        if (!strcmp(t.cols[i].name, value_column())) vc = &t.cols[i];
    if (!status && !vc)
        status = sl_fn_error(res, 400, "anomaly: no column \"%s\" in the input%s", value_column(),
                             cfg.value ? "" : " (choose another with the value parameter)");
    double *y = NULL;
    bool *flags = NULL;
    if (!status) status = read_values(vc, &y, res);
    size_t n = vc ? vc->count : 0;
    if (!status && n < 2 * cfg.period)
        status = sl_fn_error(res, 400,
                             "anomaly: need at least 2 periods of data (2 x %zu = %zu values), "
                             "got %zu",
                             cfg.period, 2 * cfg.period, n);
    if (!status && !(flags = malloc(n * sizeof *flags)))
        status = sl_fn_error(res, 500, "anomaly: out of memory");
    if (!status && !detect(y, n, flags)) status = sl_fn_error(res, 500, "anomaly: out of memory");
    if (!status) {
        sl_fn_set_header(res, "Content-Type", "application/json");
        sl_fn_puts(res, "{");
        for (size_t i = 0; i < t.ncols; i++) {
            const column *c = &t.cols[i];
            if (!strcmp(c->name, "is_anomaly")) continue; /* replaced by ours */
            sl_fn_write(res, c->key, c->key_len);
            sl_fn_puts(res, ":");
            sl_fn_write(res, c->val, c->val_len);
            sl_fn_puts(res, ",");
        }
        sl_fn_puts(res, "\"is_anomaly\":[");
        for (size_t i = 0; i < n; i++)
            sl_fn_puts(res, flags[i] ? (i ? ",true" : "true") : (i ? ",false" : "false"));
        sl_fn_puts(res, "]}\n");
        status = 200;
    }
    free(y);
    free(flags);
    table_free(&t);
    return status;
}
