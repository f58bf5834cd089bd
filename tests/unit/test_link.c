/*
 * test_link.c - linking rules that protect the host: objects never cross stores (a memory
 * of another store would fault outside the running store's guard pages).
 */
#include <string.h>

#include "check.h"

TEST(link_rejects_objects_of_another_store) {
    sl_engine *engine = sl_engine_new(NULL);
    sl_module *exporter = wat_module(engine, "(module (memory (export \"mem\") 1))");
    sl_module *importer = wat_module(engine, "(module (import \"a\" \"mem\" (memory 1))\n"
                                             " (func (export \"peek\") (result i32)\n"
                                             "  (i32.load (i32.const 70000))))");
    REQUIRE(exporter && importer);
    sl_store *a = sl_store_new(engine, NULL), *b = sl_store_new(engine, NULL);
    sl_error err;
    sl_instance *ia = sl_instantiate(a, exporter, NULL, &err);
    REQUIRE(ia != NULL);
    sl_linker *linker = sl_linker_new(engine);
    CHECK_STATUS(sl_linker_define_instance(linker, "a", ia), SL_OK, NULL);

    CHECK(sl_instantiate(b, importer, linker, &err) == NULL);
    CHECK_EQ(err.status, SL_ERR_LINK);

    /* in its own store the import works, and an access past the end traps */
    sl_instance *ok = sl_instantiate(a, importer, linker, &err);
    CHECK(ok != NULL);
    if (ok) {
        sl_val r;
        CHECK_STATUS(sl_call(ok, "peek", NULL, 0, &r, 1, &err), SL_ERR_TRAP, &err);
        CHECK_EQ(err.trap, SL_TRAP_MEMORY_OOB);
    }
    sl_linker_free(linker);
    sl_store_free(a);
    sl_store_free(b);
    sl_module_free(exporter);
    sl_module_free(importer);
    sl_engine_free(engine);
}

/* Wasm names may contain NUL bytes: "f\0x" and "f" are two exports, and each is found, listed
 * and linked as itself. */
TEST(link_names_with_nul_bytes) {
    sl_engine *engine = sl_engine_new(NULL);
    sl_module *m = wat_module(engine, "(module\n"
                                      " (func (export \"f\\00x\") (result i32) (i32.const 1))\n"
                                      " (func (export \"f\") (result i32) (i32.const 2)))");
    sl_module *user =
        wat_module(engine, "(module (import \"a\" \"f\\00x\" (func $g (result i32)))\n"
                           " (func (export \"call\") (result i32) (call $g)))");
    REQUIRE(m && user);
    sl_exportdesc d;
    CHECK(sl_module_export(m, 0, &d));
    CHECK_EQ(d.name_len, 3);
    CHECK(memcmp(d.name, "f\0x", 3) == 0);

    sl_store *store = sl_store_new(engine, NULL);
    sl_error err;
    sl_instance *inst = sl_instantiate(store, m, NULL, &err);
    REQUIRE(inst != NULL);
    sl_extern e;
    sl_val r;
    CHECK(sl_instance_export_n(inst, "f\0x", 3, &e));
    CHECK_STATUS(sl_func_call(store, e.of.func, NULL, 0, &r, 1, &err), SL_OK, &err);
    CHECK_EQ(r.of.i32, 1);
    CHECK(sl_instance_export(inst, "f", &e));
    CHECK_STATUS(sl_func_call(store, e.of.func, NULL, 0, &r, 1, &err), SL_OK, &err);
    CHECK_EQ(r.of.i32, 2);

    sl_linker *linker = sl_linker_new(engine);
    CHECK_STATUS(sl_linker_define_instance(linker, "a", inst), SL_OK, NULL);
    sl_instance *ui = sl_instantiate(store, user, linker, &err);
    CHECK(ui != NULL);
    if (ui) {
        CHECK_STATUS(sl_call(ui, "call", NULL, 0, &r, 1, &err), SL_OK, &err);
        CHECK_EQ(r.of.i32, 1);
    }
    sl_linker_free(linker);
    sl_store_free(store);
    sl_module_free(m);
    sl_module_free(user);
    sl_engine_free(engine);
}
