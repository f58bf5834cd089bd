/*
 * sha256.h - SHA-256 digests as lowercase hex (OpenSSL EVP), for content-addressed blobs.
 */
#ifndef SL_BASE_SHA256_H
#define SL_BASE_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice.h" /* sl_error */

#define SL_SHA256_HEX_LEN 64

/* Writes the 64 hex digits and a NUL to `hex` (65 bytes). Returns false (and a message in
 * err) only if OpenSSL fails. */
bool sl_sha256_hex(const uint8_t *bytes, size_t len, char hex[SL_SHA256_HEX_LEN + 1],
                   sl_error *err);

/* Whether s is exactly 64 lowercase hex digits. */
bool sl_sha256_is_hex(const char *s);

/* Whether s is made of n lowercase hex digits (n = strlen(s)), n >= 1. */
bool sl_is_lower_hex(const char *s);

#endif
