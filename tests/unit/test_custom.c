/*
 * test_custom.c - custom sections by name (sl_module_custom_section, sl_custom_section).
 */
#include <string.h>

#include "check.h"

/* A valid module: header, custom "a" = "xy", type section (one () -> ()), custom
 * "sluice.fn" = "{}", custom "a" again = "later" (the first "a" wins), custom "" (empty
 * name, empty payload). */
static const uint8_t with_sections[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, /* header */
    0x00, 0x04, 0x01, 'a',  'x',  'y',              /* custom "a" */
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00,             /* type */
    0x00, 0x0c, 0x09, 's',  'l',  'u',  'i',  'c',  'e', '.', 'f', 'n',
    '{',  '}',  0x00, 0x07, 0x01, 'a',  'l',  'a',  't', 'e', 'r', /* custom "a" again */
    0x00, 0x01, 0x00,                                              /* custom "" */
};

TEST(custom_sections_by_name_on_a_module) {
    sl_engine *e = sl_engine_new(NULL);
    REQUIRE(e);
    sl_error err;
    sl_module *m = sl_module_new(e, with_sections, sizeof with_sections, &err);
    CHECK(m != NULL);
    if (m) {
        size_t len = 99;
        const uint8_t *p = sl_module_custom_section(m, "sluice.fn", &len);
        CHECK(p != NULL);
        CHECK_EQ(len, 2);
        CHECK(p && !memcmp(p, "{}", 2));
        p = sl_module_custom_section(m, "a", &len);
        CHECK(p && len == 2 && !memcmp(p, "xy", 2)); /* the first one */
        p = sl_module_custom_section(m, "", &len);
        CHECK(p != NULL);
        CHECK_EQ(len, 0);
        len = 99;
        CHECK(sl_module_custom_section(m, "sluice", &len) == NULL); /* a prefix is not a name */
        CHECK_EQ(len, 0);
        CHECK(sl_module_custom_section(m, "name", NULL) == NULL);
        /* the pointer is into the module's own copy, not the caller's buffer */
        p = sl_module_custom_section(m, "sluice.fn", NULL);
        CHECK(p && (p < with_sections || p >= with_sections + sizeof with_sections));
        sl_module_free(m);
    }
    sl_engine_free(e);
}

TEST(custom_sections_on_bytes) {
    size_t len = 99;
    const uint8_t *p = sl_custom_section(with_sections, sizeof with_sections, "sluice.fn", &len);
    CHECK(p == with_sections + 32);
    CHECK_EQ(len, 2);
    /* a section length running past the end: no answer, even for a section before it */
    uint8_t cut[sizeof with_sections];
    memcpy(cut, with_sections, sizeof cut);
    cut[21] = 0x7f; /* the sluice.fn section's size */
    CHECK(sl_custom_section(cut, sizeof cut, "sluice.fn", &len) == NULL);
    CHECK_EQ(len, 0);
    /* an earlier custom section whose name runs past its payload: the module is malformed,
     * so nothing after it is trusted either */
    memcpy(cut, with_sections, sizeof cut);
    cut[10] = 0x05;
    CHECK(sl_custom_section(cut, sizeof cut, "sluice.fn", NULL) == NULL);
    cut[10] = 0x01;
    CHECK(sl_custom_section(cut, sizeof cut, "sluice.fn", NULL) != NULL);
    /* not a module */
    CHECK(sl_custom_section((const uint8_t *)"\0asn\1\0\0\0", 8, "a", NULL) == NULL);
    CHECK(sl_custom_section(with_sections, 7, "a", NULL) == NULL);
    CHECK(sl_custom_section(NULL, 0, "a", NULL) == NULL);
    /* just the header: a module without sections */
    CHECK(sl_custom_section(with_sections, 8, "a", NULL) == NULL);
}
