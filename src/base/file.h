/*
 * file.h - whole files: the one reader (of a path, or "-" for stdin) and the one atomic
 * writer (a temp file beside the target, flushed to disk, renamed over it).
 */
#ifndef SL_BASE_FILE_H
#define SL_BASE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "sluice.h"

/* Reads all of `path` ("-" = stdin) into a malloc'd buffer, NUL-terminated (the NUL is not
 * counted in *len). A file larger than `max` bytes (0 = no limit) is refused with
 * SL_ERR_LIMIT. On failure: NULL, errno kept, and err says "PATH: why". */
char *sl_read_file(const char *path, size_t max, size_t *len, sl_error *err);

/* Replaces `path` with `len` bytes atomically: readers see the old or the new contents, and
 * after a crash one of the two is there. `mode` as for open(2). */
bool sl_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
                          sl_error *err);

#endif
