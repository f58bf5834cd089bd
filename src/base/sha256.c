/*
 * sha256.c - SHA-256 through OpenSSL's EVP interface.
 */
#include "base/sha256.h"

#include "base/error.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

bool sl_sha256_hex(const uint8_t *bytes, size_t len, char hex[SL_SHA256_HEX_LEN + 1],
                   sl_error *err) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(bytes, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
        unsigned long e = ERR_get_error();
        char why[160] = "unknown error";
        if (e) ERR_error_string_n(e, why, sizeof why);
        sl_errorf(err, SL_ERR_NOMEM, "cannot compute SHA-256: OpenSSL: %s", why);
        return false;
    }
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[SL_SHA256_HEX_LEN] = '\0';
    return true;
}

bool sl_is_lower_hex(const char *s) {
    if (!*s) return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) return false;
    return true;
}

bool sl_sha256_is_hex(const char *s) {
    return strlen(s) == SL_SHA256_HEX_LEN && sl_is_lower_hex(s);
}
