/*
 * test_link.c - linking rules that protect the host: objects never cross stores (a memory
 * of another store would fault outside the running store's guard pages).
 */
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
