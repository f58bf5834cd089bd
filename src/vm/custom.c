/*
 * custom.c - finding custom sections by name (sl_custom_section, sl_module_custom_section).
 *
 * The decoder keeps only the "name" section it uses itself; anything else an embedder wants
 * from a custom section (the Sluice SDKs' "sluice.fn" record, say) is found here by walking
 * the section headers again. That walk is cheap (it skips every payload) and needs no
 * decoded module, so a host can read a declaration before it pays for compiling.
 */
#include <string.h>

#include "sluice.h"
#include "vm/reader.h"
#include "vm/module.h"

const uint8_t *sl_custom_section(const uint8_t *bytes, size_t len, const char *name,
                                 size_t *out_len) {
    if (out_len) *out_len = 0;
    if (!bytes || !name || len < 8 || len > UINT32_MAX || memcmp(bytes, "\0asm\1\0\0\0", 8))
        return NULL;
    size_t want = strlen(name);
    sl_reader r;
    sl_rd_init(&r, bytes, bytes + 8, bytes + len);
    while (!sl_rd_eof(&r)) {
        uint8_t id;
        uint32_t size;
        sl_reader s;
        if (!sl_rd_u8(&r, &id) || !sl_rd_u32(&r, &size) || !sl_rd_sub(&r, size, &s)) return NULL;
        if (id != 0) continue;
        const uint8_t *sname;
        uint32_t slen;
        /* a custom section with a bad name makes the module malformed: no answer from it */
        if (!sl_rd_name(&s, &sname, &slen)) return NULL;
        if (slen == want && !memcmp(sname, name, want)) {
            if (out_len) *out_len = sl_rd_left(&s);
            return s.pos;
        }
    }
    return NULL;
}

const uint8_t *sl_module_custom_section(const sl_module *m, const char *name, size_t *out_len) {
    if (!m) {
        if (out_len) *out_len = 0;
        return NULL;
    }
    return sl_custom_section(m->bytes, m->len, name, out_len);
}
