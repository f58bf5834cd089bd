/* buf.c - the growable buffer (buf.h). */
#include "base/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sl_grow(void *items, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return true;
    size_t n = *cap ? *cap : 8;
    while (n < need) {
        if (n > SIZE_MAX / 2) return false;
        n *= 2;
    }
    if (n > SIZE_MAX / elem) return false;
    void *p = realloc(*(void **)items, n * elem);
    if (!p) return false;
    *(void **)items = p;
    *cap = n;
    return true;
}

bool sl_buf_reserve(sl_buf *b, size_t more) {
    bool fresh = !b->data;
    if (more > SIZE_MAX - b->len - 1 || !sl_grow(&b->data, &b->cap, b->len + more + 1, 1)) {
        b->failed = true;
        return false;
    }
    if (fresh) b->data[0] = 0; /* terminated from the start, even while empty */
    return true;
}

bool sl_buf_append(sl_buf *b, const void *data, size_t len) {
    if (!sl_buf_reserve(b, len)) return false;
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = 0;
    return true;
}

bool sl_buf_puts(sl_buf *b, const char *s) {
    return sl_buf_append(b, s, strlen(s));
}

bool sl_buf_putc(sl_buf *b, char c) {
    return sl_buf_append(b, &c, 1);
}

bool sl_buf_printf(sl_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return b->failed = true, false;
    if ((size_t)n < sizeof small) return sl_buf_append(b, small, (size_t)n);
    if (!sl_buf_reserve(b, (size_t)n)) return false;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return true;
}

char *sl_buf_take(sl_buf *b, size_t *len) {
    if (!b->data && !sl_buf_reserve(b, 0)) return NULL;
    char *d = b->data;
    if (len) *len = b->len;
    *b = (sl_buf){0};
    return d;
}

void sl_buf_free(sl_buf *b) {
    free(b->data);
    *b = (sl_buf){0};
}
