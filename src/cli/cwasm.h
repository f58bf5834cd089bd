/*
 * cwasm.h - the file format of compiled code (`sluice compile`, the cache; docs/native.md,
 * "Object format, loader and cache"): a fixed header that keys the entry, the ELF object,
 * and a SHA-256 (hex) of everything before it. A reader checks all of it before mapping.
 */
#ifndef SL_CLI_CWASM_H
#define SL_CLI_CWASM_H

#include <stdint.h>
#include <string.h>

#include "base/sha256.h"

#define SL_CWASM_MAGIC   "SLNATIVE"
#define SL_CWASM_VERSION 1u
#define SL_CWASM_LLVM    "llvm-15"

typedef struct sl_cwasm_header {
    char magic[8];
    uint32_t version, abi;
    char module_sha[SL_SHA256_HEX_LEN]; /* of the .wasm bytes */
    char compiler[16];                  /* SL_CWASM_LLVM */
    uint32_t flags;                     /* SL_CWASM_EXPLICIT_BOUNDS */
    uint32_t reserved;
    uint64_t object_len;
} sl_cwasm_header;
#define SL_CWASM_EXPLICIT_BOUNDS 1u

/* The object inside a whole cwasm file, or NULL (why set) if anything does not match: the
 * magic, versions, the module's hash, the options, the length or the trailing hash. */
static inline const uint8_t *sl_cwasm_object(const uint8_t *file, size_t len,
                                             const char *module_sha, uint32_t abi, uint32_t flags,
                                             size_t *objlen, const char **why) {
    sl_cwasm_header h;
    char hex[SL_SHA256_HEX_LEN + 1];
    *why = "truncated";
    if (len < sizeof h + SL_SHA256_HEX_LEN) return NULL;
    memcpy(&h, file, sizeof h);
    *why = "not a compiled module of this version";
    if (memcmp(h.magic, SL_CWASM_MAGIC, 8) || h.version != SL_CWASM_VERSION || h.abi != abi ||
        strncmp(h.compiler, SL_CWASM_LLVM, sizeof h.compiler))
        return NULL;
    *why = "compiled from another module or with other options";
    if (memcmp(h.module_sha, module_sha, SL_SHA256_HEX_LEN) || h.flags != flags) return NULL;
    *why = "truncated or corrupt";
    if (h.object_len != len - sizeof h - SL_SHA256_HEX_LEN) return NULL;
    if (!sl_sha256_hex(file, len - SL_SHA256_HEX_LEN, hex, NULL) ||
        memcmp(hex, file + len - SL_SHA256_HEX_LEN, SL_SHA256_HEX_LEN))
        return NULL;
    *objlen = h.object_len;
    return file + sizeof h;
}

#endif
