/*
 * blobs.h - the content-addressed module store: DIR/<sha256 hex>, one file per distinct
 * module, written once (temp file + fsync + rename) and never modified.
 *
 * Every function takes a digest that must already be 64 lowercase hex digits (checked again
 * here): no other string is ever used to build a path.
 */
#ifndef SL_SERVE_BLOBS_H
#define SL_SERVE_BLOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice.h" /* sl_error */

/* Stores bytes as DIR/<sha>, unless that file exists already (*created says which). */
bool sl_blob_write(const char *dir, const char *sha, const uint8_t *bytes, size_t len,
                   bool *created, sl_error *err);

/* Reads DIR/<sha> into a malloc'd buffer and checks that its digest is still `sha`. */
bool sl_blob_read(const char *dir, const char *sha, uint8_t **bytes, size_t *len, sl_error *err);

/* Removes DIR/<sha>; a missing file is not an error. */
bool sl_blob_remove(const char *dir, const char *sha, sl_error *err);

/* Removes leftover temp files, and every blob for which keep(ctx, sha) returns false (other
 * file names are left alone). keep returns -1 on error (the sweep stops and fails). */
bool sl_blob_sweep(const char *dir, int (*keep)(void *ctx, const char *sha), void *ctx,
                   sl_error *err);

#endif
