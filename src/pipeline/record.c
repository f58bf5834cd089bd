/*
 * record.c - schemas, batches and ISO 8601 timestamps (record.h).
 */
#include "pipeline/record.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

/* ---- Schemas ----------------------------------------------------------------------------- */

sl_schema *sl_schema_new(const char *const *names, const sl_ftype *types, uint32_t nfields) {
    sl_schema *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    atomic_init(&s->refs, 1);
    /* At least one element each, so that a schema with no fields still has arrays. */
    s->names = calloc(nfields ? nfields : 1, sizeof *s->names);
    s->types = calloc(nfields ? nfields : 1, sizeof *s->types);
    if (!s->names || !s->types) goto fail;
    for (uint32_t i = 0; i < nfields; i++) {
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0) goto fail; /* names must be unique */
        if (!(s->names[i] = strdup(names[i]))) goto fail;
        s->nfields = i + 1;
        s->types[i] = types ? types[i] : SL_F_NULL;
    }
    s->nfields = nfields;
    return s;
fail:
    for (uint32_t i = 0; i < s->nfields; i++)
        free(s->names[i]);
    free(s->names);
    free(s->types);
    free(s);
    return NULL;
}

sl_schema *sl_schema_ref(sl_schema *s) {
    if (s) atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return s;
}

void sl_schema_unref(sl_schema *s) {
    if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1) return;
    for (uint32_t i = 0; i < s->nfields; i++)
        free(s->names[i]);
    free(s->names);
    free(s->types);
    free(s);
}

int sl_schema_find(const sl_schema *s, const char *name, size_t len) {
    for (uint32_t i = 0; i < s->nfields; i++)
        /* strnlen first: name may hold a NUL, and names[i] may be shorter than len */
        if (strnlen(s->names[i], len + 1) == len && memcmp(s->names[i], name, len) == 0)
            return (int)i;
    return -1;
}

/* ---- Batches ----------------------------------------------------------------------------- */

sl_batch *sl_batch_new(sl_schema *schema, uint32_t cap) {
    sl_batch *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->schema = sl_schema_ref(schema);
    if (cap) {
        size_t nf = schema->nfields ? schema->nfields : 1;
        b->values = malloc((size_t)cap * nf * sizeof *b->values);
        b->pos = malloc((size_t)cap * sizeof *b->pos);
        if (!b->values || !b->pos) {
            sl_batch_free(b);
            return NULL;
        }
        b->cap = cap;
    }
    return b;
}

void sl_batch_free(sl_batch *b) {
    if (!b) return;
    sl_schema_unref(b->schema);
    free(b->values);
    free(b->pos);
    free(b->arena);
    free(b);
}

void sl_batch_clear(sl_batch *b) {
    b->n = 0;
    b->arena_len = 0;
}

/* Not sl_grow: the values and the positions share one capacity in records, and the values
 * array holds nfields per record. */
static bool batch_grow(sl_batch *b) {
    uint32_t cap = b->cap ? b->cap * 2 : 64;
    if (cap <= b->cap) return false; /* 2^32 records */
    size_t nf = b->schema->nfields ? b->schema->nfields : 1;
    sl_value *v = realloc(b->values, (size_t)cap * nf * sizeof *v);
    if (!v) return false;
    b->values = v;
    uint64_t *pos = realloc(b->pos, (size_t)cap * sizeof *pos);
    if (!pos) return false;
    b->pos = pos;
    b->cap = cap;
    return true;
}

sl_value *sl_batch_add(sl_batch *b, uint64_t pos) {
    if (b->n == b->cap && !batch_grow(b)) return NULL;
    sl_value *row = b->values + (size_t)b->n * b->schema->nfields;
    /* SL_F_NULL is 0: a zeroed row is a row of nulls. */
    memset(row, 0, b->schema->nfields * sizeof *row);
    b->pos[b->n++] = pos;
    return row;
}

bool sl_batch_set_str(sl_batch *b, sl_value *v, const char *s, size_t len) {
    if (len > UINT32_MAX) return false;
    /* checked here first: this runs for every string value; a batch's arena starts at 4 KiB
     * rather than sl_grow's 8 bytes, which would take nine reallocs to get there */
    size_t need = b->arena_len + len < 4096 ? 4096 : b->arena_len + len;
    if (b->arena_cap - b->arena_len < len && !sl_grow(&b->arena, &b->arena_cap, need, 1))
        return false;
    if (len) memcpy(b->arena + b->arena_len, s, len);
    v->type = SL_F_STRING;
    v->len = (uint32_t)len;
    v->v.off = b->arena_len;
    b->arena_len += len;
    return true;
}

const char *sl_batch_str(const sl_batch *b, const sl_value *v) {
    return b->arena ? b->arena + v->v.off : ""; /* an arena that never held a byte is NULL */
}

/* ---- Timestamps -------------------------------------------------------------------------- */

#define US_PER_DAY (86400 * INT64_C(1000000))

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y) {
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* n decimal digits at s[*i]; advances *i. */
static bool digits(const char *s, size_t len, size_t *i, int n, int *out) {
    if (len - *i < (size_t)n) return false;
    int v = 0;
    for (int k = 0; k < n; k++) {
        unsigned c = (unsigned char)s[*i + k] - '0';
        if (c > 9) return false;
        v = v * 10 + (int)c;
    }
    *i += n;
    *out = v;
    return true;
}

bool sl_parse_time(const char *s, size_t len, int64_t *us) {
    size_t i = 0;
    int64_t year;
    int neg = 0, v;
    /* Years beyond 0000..9999 take a sign and up to six digits (ISO 8601 expanded form),
     * which is how sl_format_time writes them. */
    if (len && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
        size_t start = i;
        year = 0;
        while (i < len && i - start < 6 && s[i] >= '0' && s[i] <= '9')
            year = year * 10 + s[i++] - '0';
        if (i - start < 4) return false;
        if (neg) year = -year;
    } else {
        if (!digits(s, len, &i, 4, &v)) return false;
        year = v;
    }
    int mon, day, hour = 0, min = 0, sec = 0;
    int64_t frac = 0;
    if (i >= len || s[i++] != '-' || !digits(s, len, &i, 2, &mon)) return false;
    if (i >= len || s[i++] != '-' || !digits(s, len, &i, 2, &day)) return false;
    static const unsigned char mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mon < 1 || mon > 12 || day < 1) return false;
    if (day > mdays[mon - 1] + (mon == 2 && is_leap(year))) return false;
    int64_t offset_min = 0;
    if (i < len) {
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return false;
        i++;
        if (!digits(s, len, &i, 2, &hour) || i >= len || s[i++] != ':' ||
            !digits(s, len, &i, 2, &min))
            return false;
        if (i < len && s[i] == ':') {
            i++;
            if (!digits(s, len, &i, 2, &sec)) return false;
            if (i < len && (s[i] == '.' || s[i] == ',')) {
                i++;
                size_t start = i;
                int64_t scale = 100000;
                /* Digits past microseconds are dropped (truncated). */
                for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, scale /= 10)
                    frac += (s[i] - '0') * scale;
                if (i == start) return false;
            }
        }
        if (hour > 23 || min > 59 || sec > 59) return false;
        if (i < len) {
            char c = s[i++];
            if (c == 'Z' || c == 'z') {
                /* UTC */
            } else if (c == '+' || c == '-') {
                int oh, om = 0;
                if (!digits(s, len, &i, 2, &oh)) return false;
                if (i < len) {
                    if (s[i] == ':') i++;
                    if (!digits(s, len, &i, 2, &om)) return false;
                }
                if (oh > 23 || om > 59) return false;
                offset_min = (c == '-' ? -1 : 1) * (oh * 60 + om);
            } else {
                return false;
            }
        }
    }
    if (i != len) return false;
    /* In 128 bits: the start of the earliest representable day lies below INT64_MIN. */
    __int128 t = (__int128)days_from_civil(year, (unsigned)mon, (unsigned)day) * US_PER_DAY +
                 (((int64_t)hour * 60 + min - offset_min) * 60 + sec) * 1000000 + frac;
    if (t < INT64_MIN || t > INT64_MAX) return false;
    *us = (int64_t)t;
    return true;
}

static char *put2(char *p, unsigned v) {
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

size_t sl_format_time(int64_t us, char *buf) {
    int64_t days = us / US_PER_DAY, rem = us % US_PER_DAY;
    if (rem < 0) {
        days--;
        rem += US_PER_DAY;
    }
    int64_t year;
    unsigned mon, day;
    civil_from_days(days, &year, &mon, &day);
    char *p = buf;
    if (year < 0 || year > 9999) {
        /* ISO 8601 expanded year: a sign and six digits (int64 microseconds reach ~292277). */
        *p++ = year < 0 ? '-' : '+';
        uint64_t y = year < 0 ? (uint64_t)-year : (uint64_t)year;
        for (int k = 5; k >= 0; k--, y /= 10)
            p[k] = (char)('0' + y % 10);
        p += 6;
    } else {
        p = put2(p, (unsigned)year / 100);
        p = put2(p, (unsigned)year % 100);
    }
    *p++ = '-';
    p = put2(p, mon);
    *p++ = '-';
    p = put2(p, day);
    *p++ = 'T';
    unsigned secs = (unsigned)(rem / 1000000), frac = (unsigned)(rem % 1000000);
    p = put2(p, secs / 3600);
    *p++ = ':';
    p = put2(p, secs / 60 % 60);
    *p++ = ':';
    p = put2(p, secs % 60);
    if (frac) {
        *p++ = '.';
        for (int k = 5; k >= 0; k--, frac /= 10)
            p[k] = (char)('0' + frac % 10);
        p += 6;
    }
    *p++ = 'Z';
    *p = '\0';
    return (size_t)(p - buf);
}

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
