/*
 * buf.h - the one growable buffer: bytes appended at the end, always NUL-terminated (the NUL
 * is not counted), and sl_grow for arrays of any element type.
 *
 * An append that cannot get memory leaves the buffer as it was, sets `failed` and returns
 * false, so a caller may append many times and check once.
 */
#ifndef SL_BASE_BUF_H
#define SL_BASE_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sl_buf {
    char *data; /* NULL until the first append */
    size_t len, cap;
    bool failed; /* some append ran out of memory */
} sl_buf;

/* Room for `more` bytes beyond len (and the NUL). */
bool sl_buf_reserve(sl_buf *b, size_t more);
bool sl_buf_append(sl_buf *b, const void *data, size_t len);
bool sl_buf_puts(sl_buf *b, const char *s);
bool sl_buf_putc(sl_buf *b, char c);
bool sl_buf_printf(sl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the bytes (NUL-terminated, malloc'd; never NULL unless out of memory) to the caller
 * and empties the buffer. *len may be NULL. */
char *sl_buf_take(sl_buf *b, size_t *len);
void sl_buf_free(sl_buf *b);

/* Makes the array at *(T **)items, of *cap elements of elem bytes, hold at least `need`
 * elements: doubles, from 8. The new elements are not cleared. False when out of memory
 * (the array is then unchanged). */
bool sl_grow(void *items, size_t *cap, size_t need, size_t elem);

#endif
