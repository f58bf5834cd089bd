/*
 * token.h - the registry's API token: DIR/token, 32 random bytes as 64 hex digits.
 */
#ifndef SL_SERVE_TOKEN_H
#define SL_SERVE_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#include "sluice.h" /* sl_error */

#define SL_TOKEN_HEX_LEN 64

/* Reads DIR/token, or, if there is none, creates it (mode 0600, from getrandom, published
 * with link() so two processes starting at once agree on one token). An existing token is
 * never regenerated; one that others can read (group/other mode bits) or that is not 64 hex
 * digits is an error. */
bool sl_token_load_or_create(const char *dir, char token[SL_TOKEN_HEX_LEN + 1], sl_error *err);

#endif
