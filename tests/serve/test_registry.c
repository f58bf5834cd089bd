/*
 * test_registry.c - the function registry (src/serve/registry.c): functions, versions,
 * aliases, blobs, the token, persistence. Built with tests/unit/check.c (`make test-registry`).
 * Each test works in its own directory under $SLUICE_TEST_TMP (default /tmp).
 */
#include <dirent.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../unit/check.h"
#include "fn/config.h"
#include "serve/registry.h"
#include "base/sha256.h"

/* ---- Helpers ----------------------------------------------------------------------------- */

static sl_error err;

/* A fresh data directory (its parent is made; DATA itself is left to the registry). */
static void tmp_data(char *dir, size_t size) {
    const char *base = getenv("SLUICE_TEST_TMP");
    char tmpl[400];
    snprintf(tmpl, sizeof tmpl, "%s/registry-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpl)) {
        CHECK(!"mkdtemp failed");
        abort();
    }
    snprintf(dir, size, "%s/data", tmpl);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void rm_data(const char *dir) {
    char parent[512];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash) *slash = '\0';
    nftw(parent, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static sl_registry *open_reg(const char *dir) {
    sl_registry *reg = sl_registry_open(dir, &err);
    if (!reg) check_note("open: %s", err.message);
    CHECK(reg != NULL);
    return reg;
}

/* A tiny valid module: the empty module plus a custom section "x" holding `tag`. */
typedef struct {
    uint8_t b[16];
} tiny;
static tiny tiny_module(uint32_t tag) {
    tiny m = {{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x06, 0x01, 'x'}};
    memcpy(m.b + 12, &tag, 4);
    return m;
}

static int count_blobs(const char *dir) {
    char path[600];
    snprintf(path, sizeof path, "%s/blobs", dir);
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

static bool blob_exists(const char *dir, const char *sha) {
    char path[700];
    snprintf(path, sizeof path, "%s/blobs/%s", dir, sha);
    return access(path, F_OK) == 0;
}

static sl_reg_status add(sl_registry *reg, const char *fn, uint32_t tag, char sha[65],
                         bool *created) {
    tiny m = tiny_module(tag);
    sl_reg_status s = sl_registry_add_version(reg, fn, m.b, sizeof m.b, NULL, sha, created, &err);
    if (s) check_note("add_version %s: %s", fn, err.message);
    return s;
}

/* The SHA-256 a ref resolves to, or "" (with err set). */
static sl_reg_status resolve_sha(sl_registry *reg, const char *ref, char sha[65]) {
    sl_fn_version v;
    sl_reg_status s = sl_registry_resolve(reg, ref, &v, &err);
    snprintf(sha, 65, "%s", s ? "" : v.sha256);
    sl_fn_version_clear(&v);
    return s;
}

/* ---- Tests ------------------------------------------------------------------------------- */

TEST(registry_create_list_delete) {
    char dir[512];
    tmp_data(dir, sizeof dir);
    sl_registry *reg = open_reg(dir);
    REQUIRE(reg);
    CHECK_EQ(sl_registry_create_function(reg, "zeta", &err), SL_REG_OK);
    CHECK_EQ(sl_registry_create_function(reg, "alpha", &err), SL_REG_OK);
    CHECK_EQ(sl_registry_create_function(reg, "alpha", &err), SL_REG_EXISTS);
    CHECK(strstr(err.message, "alpha") && strstr(err.message, "exists"));
    char sha[65];
    CHECK_EQ(add(reg, "alpha", 1, sha, NULL), SL_REG_OK);

    sl_fn_info *fns;
    size_t n;
    REQUIRE(sl_registry_list_functions(reg, &fns, &n, &err) == SL_REG_OK);
    REQUIRE(n == 2);
    CHECK(strcmp(fns[0].name, "alpha") == 0 && strcmp(fns[1].name, "zeta") == 0);
    CHECK_EQ(fns[0].nversions, 1);
    CHECK(strcmp(fns[0].latest, sha) == 0);
    CHECK_EQ(fns[1].nversions, 0);
    CHECK(fns[1].latest[0] == '\0');
    CHECK(fns[0].created > 0);
    free(fns);

    CHECK_EQ(sl_registry_delete_function(reg, "alpha", &err), SL_REG_OK);
    CHECK_EQ(sl_registry_delete_function(reg, "alpha", &err), SL_REG_NOT_FOUND);
    CHECK(strstr(err.message, "no function") != NULL);
    REQUIRE(sl_registry_list_functions(reg, &fns, &n, &err) == SL_REG_OK);
    CHECK_EQ(n, 1);
    free(fns);
    CHECK_EQ(add(reg, "missing", 1, sha, NULL), SL_REG_NOT_FOUND);
    sl_registry_close(reg);
    rm_data(dir);
}

TEST(registry_names) {
    const char *good[] = {
        "a",     "0",      "hello",
        "a-b_c", "9lives", "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc"};
    const char *bad[] = {
        "",    "-a",  "_a",   "Hello",
        "a b", "a/b", "../x", "a.b",
        "a@b", "é",   "a\nb", "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcd"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        CHECK(sl_registry_name_ok(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(!sl_registry_name_ok(bad[i]));
    CHECK(!sl_registry_name_ok(NULL));

    char dir[512];
    tmp_data(dir, sizeof dir);
    sl_registry *reg = open_reg(dir);
    REQUIRE(reg);
    CHECK_EQ(sl_registry_create_function(reg, "../etc", &err), SL_REG_INVALID);
    CHECK(strstr(err.message, "invalid function name") != NULL);
    CHECK_EQ(sl_registry_create_function(reg, "x'); DROP TABLE functions;--", &err),
             SL_REG_INVALID);
    sl_fn_info *fns;
    size_t n;
    REQUIRE(sl_registry_list_functions(reg, &fns, &n, &err) == SL_REG_OK);
    CHECK_EQ(n, 0);
    free(fns);
    sl_registry_close(reg);
    rm_data(dir);
}

TEST(registry_invalid_module_stores_nothing) {
    char dir[512];
    tmp_data(dir, sizeof dir);
    sl_registry *reg = open_reg(dir);
    REQUIRE(reg);
    REQUIRE(sl_registry_create_function(reg, "f", &err) == SL_REG_OK);
    static const uint8_t bad_version[] = {0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00};
    static const uint8_t garbage[] = "not wasm at all";
    char sha[65] = "";
    CHECK_EQ(
        sl_registry_add_version(reg, "f", bad_version, sizeof bad_version, NULL, sha, NULL, &err),
        SL_REG_INVALID);
    CHECK(strstr(err.message, "invalid module") != NULL);
    check_note("rejected: %s", err.message);
    CHECK_EQ(sl_registry_add_version(reg, "f", garbage, sizeof garbage, NULL, sha, NULL, &err),
             SL_REG_INVALID);
    CHECK_EQ(sl_registry_add_version(reg, "f", NULL, 0, NULL, sha, NULL, &err), SL_REG_INVALID);
    /* A module whose function body does not type-check. */
    size_t len;
    uint8_t *wasm = wat_to_wasm("(module (func (result i32) (i64.const 1)))", &len);
    REQUIRE(wasm);
    CHECK_EQ(sl_registry_add_version(reg, "f", wasm, len, NULL, sha, NULL, &err), SL_REG_INVALID);
    free(wasm);
    /* A bad config is rejected too. */
    sl_fn_config cfg = sl_fn_config_default();
    const char *env[] = {"NOEQUALS"};
    cfg.env = env, cfg.nenv = 1;
    tiny m = tiny_module(7);
    CHECK_EQ(sl_registry_add_version(reg, "f", m.b, sizeof m.b, &cfg, sha, NULL, &err),
             SL_REG_INVALID);
    CHECK(strstr(err.message, "KEY=VALUE") != NULL);
    CHECK(sha[0] == '\0');

    sl_fn_version *vs;
    size_t n;
    REQUIRE(sl_registry_list_versions(reg, "f", &vs, &n, &err) == SL_REG_OK);
    CHECK_EQ(n, 0);
    sl_fn_versions_free(vs, n);
    CHECK_EQ(count_blobs(dir), 0);
    sl_fn_version v;
    CHECK_EQ(sl_registry_resolve(reg, "f", &v, &err), SL_REG_NOT_FOUND);
    sl_registry_close(reg);
    rm_data(dir);
}

TEST(registry_same_bytes_same_version) {
    char dir[512];
    tmp_data(dir, sizeof dir);
    sl_registry *reg = open_reg(dir);
    REQUIRE(reg);
    REQUIRE(sl_registry_create_function(reg, "f", &err) == SL_REG_OK);
    REQUIRE(sl_registry_create_function(reg, "g", &err) == SL_REG_OK);
    size_t len;
    uint8_t *wasm = wat_to_wasm("(module (func (export \"_start\")))", &len);
    REQUIRE(wasm);
    char sha1[65], sha2[65], sha3[65], want[65];
    bool created = false;
    REQUIRE(sl_sha256_hex(wasm, len, want, &err));
    CHECK_EQ(sl_registry_add_version(reg, "f", wasm, len, NULL, sha1, &created, &err), SL_REG_OK);
    CHECK(created);
    CHECK(strcmp(sha1, want) == 0);
    CHECK_EQ(sl_registry_add_version(reg, "f", wasm, len, NULL, sha2, &created, &err), SL_REG_OK);
    CHECK(!created);
    CHECK(strcmp(sha1, sha2) == 0);
    /* Another function, same module: a new version, the same blob. */
    CHECK_EQ(sl_registry_add_version(reg, "g", wasm, len, NULL, sha3, &created, &err), SL_REG_OK);
    CHECK(created);
    CHECK(strcmp(sha1, sha3) == 0);
    CHECK_EQ(count_blobs(dir), 1);
    CHECK(blob_exists(dir, sha1));

    /* Same bytes, different config: versions are immutable. */
    sl_fn_config cfg = sl_fn_config_default();
    cfg.timeout_ms = 1;
    CHECK_EQ(sl_registry_add_version(reg, "f", wasm, len, &cfg, sha2, NULL, &err), SL_REG_EXISTS);
    CHECK(strstr(err.message, "immutable") != NULL);

    sl_fn_version *vs;
    size_t n;
    REQUIRE(sl_registry_list_versions(reg, "f", &vs, &n, &err) == SL_REG_OK);
    CHECK_EQ(n, 1);
    if (n == 1) {
        CHECK_EQ(vs[0].size, len);
        CHECK_EQ(vs[0].config.timeout_ms, 10000);
    }
    sl_fn_versions_free(vs, n);

    uint8_t *back;
    size_t backlen;
    REQUIRE(sl_registry_load_blob(reg, sha1, &back, &backlen, &err) == SL_REG_OK);
    CHECK(backlen == len && memcmp(back, wasm, len) == 0);
    free(back);
    CHECK_EQ(sl_registry_load_blob(reg, "../token", &back, &backlen, &err), SL_REG_INVALID);
    free(wasm);
    sl_registry_close(reg);
    rm_data(dir);
}

TEST(registry_aliases_move_and_rollback) {
    char dir[512];
    tmp_data(dir, sizeof dir);
    sl_registry *reg = open_reg(dir);
    REQUIRE(reg);
    REQUIRE(sl_registry_create_function(reg, "f", &err) == SL_REG_OK);
    char v1[65], v2[65], v3[65], got[65];
    REQUIRE(add(reg, "f", 1, v1, NULL) == SL_REG_OK);
    CHECK_EQ(resolve_sha(reg, "f", got), SL_REG_OK);
    CHECK(strcmp(got, v1) == 0);
    CHECK_EQ(sl_registry_set_alias(reg, "f", "prod", "latest", &err), SL_REG_OK);
    REQUIRE(add(reg, "f", 2, v2, NULL) == SL_REG_OK);
    /* latest moved; prod did not. */
    CHECK_EQ(resolve_sha(reg, "f@latest", got), SL_REG_OK);
    CHECK(strcmp(got, v2) == 0);
    CHECK_EQ(resolve_sha(reg, "f@prod", got), SL_REG_OK);
    CHECK(strcmp(got, v1) == 0);
    /* Promote v2 by prefix, then roll back to v1. */
    char prefix[9];
    snprintf(prefix, sizeof prefix, "%.8s", v2);
    CHECK_EQ(sl_registry_set_alias(reg, "f", "prod", prefix, &err), SL_REG_OK);
    CHECK_EQ(resolve_sha(reg, "f@prod", got), SL_REG_OK);
    CHECK(strcmp(got, v2) == 0);
    CHECK_EQ(sl_registry_set_alias(reg, "f", "prod", v1, &err), SL_REG_OK);
    CHECK_EQ(resolve_sha(reg, "f@prod", got), SL_REG_OK);
    CHECK(strcmp(got, v1) == 0);
    /* latest itself can be rolled back; the next add moves it again. */
    CHECK_EQ(sl_registry_set_alias(reg, "f", "latest", v1, &err), SL_REG_OK);
    CHECK_EQ(resolve_sha(reg, "f", got), SL_REG_OK);
    CHECK(strcmp(got, v1) == 0);
    REQUIRE(add(reg, "f", 3, v3, NULL) == SL_REG_OK);
    CHECK_EQ(resolve_sha(reg, "f", got), SL_REG_OK);
    CHECK(strcmp(got, v3) == 0);
    /* Re-adding v2's bytes makes it latest again. */
    bool created = true;
    REQUIRE(add(reg, "f", 2, got, &created) == SL_REG_OK);
    CHECK(!created);
    CHECK_EQ(resolve_sha(reg, "f", got), SL_REG_OK);
    CHECK(strcmp(got, v2) == 0);

    /* Failures leave the alias where it was. */
    CHECK_EQ(sl_registry_set_alias(reg, "f", "prod", "ffffffffff", &err), SL_REG_NOT_FOUND);
    CHECK_EQ(sl_registry_set_alias(reg, "f", "prod", "staging", &err), SL_REG_NOT_FOUND);
    CHECK_EQ(sl_registry_set_alias(reg, "f", "Prod", v2, &err), SL_REG_INVALID);
    CHECK_EQ(sl_registry_set_alias(reg, "f", "deadbeef", v2, &err), SL_REG_INVALID);
    CHECK_EQ(sl_registry_set_alias(reg, "nope", "prod", v2, &err), SL_REG_NOT_FOUND);
    CHECK_EQ(resolve_sha(reg, "f@prod", got), SL_REG_OK);
    CHECK(strcmp(got, v1) == 0);

    /* list_versions: newest first, with aliases. */
    sl_fn_version *vs;
    size_t n;
    REQUIRE(sl_registry_list_versions(reg, "f", &vs, &n, &err) == SL_REG_OK);
    REQUIRE(n == 3);
    CHECK(strcmp(vs[0].sha256, v3) == 0 && vs[0].naliases == 0);
    CHECK(strcmp(vs[1].sha256, v2) == 0 && vs[1].naliases == 1 &&
          strcmp(vs[1].aliases[0], "latest") == 0);
    CHECK(strcmp(vs[2].sha256, v1) == 0 && vs[2].naliases == 1 &&
          strcmp(vs[2].aliases[0], "prod") == 0);
    sl_fn_versions_free(vs, n);

    CHECK_EQ(sl_registry_delete_alias(reg, "f", "prod", &err), SL_REG_OK);
    CHECK_EQ(sl_registry_delete_alias(reg, "f", "prod", &err), SL_REG_NOT_FOUND);
    CHECK_EQ(sl_registry_delete_alias(reg, "f", "latest", &err), SL_REG_INVALID);
    CHECK_EQ(resolve_sha(reg, "f@prod", got), SL_REG_NOT_FOUND);
    sl_registry_close(reg);
    rm_data(dir);
}

struct pfx {
    uint32_t prefix, tag;
};
static int cmp_pfx(const void *a, const void *b) {
    const struct pfx *x = a, *y = b;
    return x->prefix < y->prefix ? -1 : x->prefix > y->prefix ? 1 : (int)(x->tag - y->tag);
}

TEST(registry_resolve_forms) {
    char dir[512];
    tmp_data(dir, sizeof dir);
    sl_registry *reg = open_reg(dir);
    REQUIRE(reg);
    REQUIRE(sl_registry_create_function(reg, "f", &err) == SL_REG_OK);

    /* Two modules whose digests share their first 8 hex digits (a birthday search over
     * 2^32 prefixes: a collision is all but certain among 300000 modules). */
    enum { N = 300000 };
    struct pfx *all = malloc(N * sizeof *all);
    REQUIRE(all);
    for (uint32_t i = 0; i < N; i++) {
        tiny m = tiny_module(i);
        char hex[65];
        REQUIRE(sl_sha256_hex(m.b, sizeof m.b, hex, &err));
        all[i].prefix = (uint32_t)strtoul(
            (char[9]){hex[0], hex[1], hex[2], hex[3], hex[4], hex[5], hex[6], hex[7], 0}, NULL, 16);
        all[i].tag = i;
    }
    qsort(all, N, sizeof *all, cmp_pfx);
    uint32_t t1 = 0, t2 = 0;
    bool found = false;
    for (uint32_t i = 1; i < N && !found; i++)
        if (all[i].prefix == all[i - 1].prefix) t1 = all[i - 1].tag, t2 = all[i].tag, found = true;
    free(all);
    REQUIRE(found);

    char a[65], b[65], got[65], ref[128];
    REQUIRE(add(reg, "f", t1, a, NULL) == SL_REG_OK);
    REQUIRE(add(reg, "f", t2, b, NULL) == SL_REG_OK);
    REQUIRE(strncmp(a, b, 8) == 0 && strcmp(a, b) != 0);
    check_note("versions %s and %s share a prefix", a, b);

    /* The shared 8-digit prefix is ambiguous; enough digits to tell them apart is not. */
    snprintf(ref, sizeof ref, "f@%.8s", a);
    CHECK_EQ(resolve_sha(reg, ref, got), SL_REG_AMBIGUOUS);
    CHECK(strstr(err.message, "several") != NULL);
    size_t k = 8;
    while (a[k] == b[k])
        k++;
    snprintf(ref, sizeof ref, "f@%.*s", (int)k + 1, a);
    CHECK_EQ(resolve_sha(reg, ref, got), SL_REG_OK);
    CHECK(strcmp(got, a) == 0);
    snprintf(ref, sizeof ref, "f@%s", b);
    CHECK_EQ(resolve_sha(reg, ref, got), SL_REG_OK);
    CHECK(strcmp(got, b) == 0);
    /* Too short, not hex, too long, uppercase, no such version. */
    snprintf(ref, sizeof ref, "f@%.7s", a);
    CHECK_EQ(resolve_sha(reg, ref, got), SL_REG_INVALID);
    CHECK(strstr(err.message, "at least 8") != NULL);
    snprintf(ref, sizeof ref, "f@%sa", a);
    CHECK_EQ(resolve_sha(reg, ref, got), SL_REG_INVALID);
    CHECK_EQ(resolve_sha(reg, "f@ABCDEF0123", got), SL_REG_INVALID);
    snprintf(ref, sizeof ref, "f@%c%.9s", a[0] == '0' ? '1' : '0', a + 1);
    CHECK_EQ(resolve_sha(reg, ref, got), SL_REG_NOT_FOUND);
    /* Names and aliases. */
    CHECK_EQ(resolve_sha(reg, "f", got), SL_REG_OK);
    CHECK(strcmp(got, b) == 0);
    CHECK_EQ(resolve_sha(reg, "f@latest", got), SL_REG_OK);
    CHECK(strcmp(got, b) == 0);
    CHECK_EQ(resolve_sha(reg, "f@prod", got), SL_REG_NOT_FOUND);
    CHECK(strstr(err.message, "no alias") != NULL);
    CHECK_EQ(resolve_sha(reg, "g", got), SL_REG_NOT_FOUND);
    CHECK_EQ(resolve_sha(reg, "", got), SL_REG_INVALID);
    CHECK_EQ(resolve_sha(reg, "f@", got), SL_REG_INVALID);
    CHECK_EQ(resolve_sha(reg, "@latest", got), SL_REG_INVALID);
    CHECK_EQ(resolve_sha(reg, "f@latest@x", got), SL_REG_INVALID);
    CHECK_EQ(resolve_sha(reg, "../f", got), SL_REG_INVALID);

    sl_fn_version v;
    REQUIRE(sl_registry_resolve(reg, "f", &v, &err) == SL_REG_OK);
    CHECK(strcmp(v.function, "f") == 0);
    CHECK(v.naliases == 1 && strcmp(v.aliases[0], "latest") == 0);
    CHECK_EQ(v.size, sizeof(tiny));
    sl_fn_version_clear(&v);
    sl_registry_close(reg);
    rm_data(dir);
}

TEST(registry_token) {
    char dir[512], path[600];
    tmp_data(dir, sizeof dir);
    sl_registry *reg = open_reg(dir);
    REQUIRE(reg);
    char token[65];
    snprintf(token, sizeof token, "%s", sl_registry_token(reg));
    CHECK(sl_sha256_is_hex(token));
    sl_registry_close(reg);

    snprintf(path, sizeof path, "%s/token", dir);
    struct stat st;
    REQUIRE(stat(path, &st) == 0);
    CHECK_EQ(st.st_mode & 0777, 0600);
    FILE *f = fopen(path, "r");
    REQUIRE(f);
    char line[80] = "";
    CHECK(fgets(line, sizeof line, f) != NULL);
    fclose(f);
    CHECK(strncmp(line, token, 64) == 0 && line[64] == '\n');

    reg = open_reg(dir);
    REQUIRE(reg);
    CHECK(strcmp(sl_registry_token(reg), token) == 0);
    sl_registry_close(reg);

    /* Another data directory gets another token. */
    char dir2[512];
    tmp_data(dir2, sizeof dir2);
    reg = open_reg(dir2);
    REQUIRE(reg);
    CHECK(strcmp(sl_registry_token(reg), token) != 0);
    sl_registry_close(reg);
    rm_data(dir2);

    /* A token others can read is refused, not silently used or replaced. */
    REQUIRE(chmod(path, 0644) == 0);
    CHECK(sl_registry_open(dir, &err) == NULL);
    CHECK(strstr(err.message, "chmod 600") != NULL);
    REQUIRE(chmod(path, 0600) == 0);
    reg = open_reg(dir);
    REQUIRE(reg);
    CHECK(strcmp(sl_registry_token(reg), token) == 0);
    sl_registry_close(reg);
    rm_data(dir);
}

TEST(registry_reopen_persists) {
    char dir[512];
    tmp_data(dir, sizeof dir);
    sl_registry *reg = open_reg(dir);
    REQUIRE(reg);
    REQUIRE(sl_registry_create_function(reg, "api", &err) == SL_REG_OK);
    sl_fn_config cfg = sl_fn_config_default();
    const char *env[] = {"GREETING=hi", "EMPTY="};
    const char *dirs[] = {"/srv/data::/data"};
    const char *cors[] = {"https://example.com", "*"};
    cfg.kind = SL_FN_HANDLER, cfg.input = SL_INPUT_EVENT, cfg.output = SL_OUTPUT_INTEGRATION;
    cfg.env = env, cfg.nenv = 2, cfg.dirs = dirs, cfg.ndirs = 1;
    cfg.cors_origins = cors, cfg.ncors = 2;
    cfg.timeout_ms = 2500, cfg.memory_mib = 64, cfg.max_request = 1000;
    cfg.max_response = 5000000000ull, cfg.content_type = "application/json";
    tiny m = tiny_module(42);
    char v1[65], v2[65];
    REQUIRE(sl_registry_add_version(reg, "api", m.b, sizeof m.b, &cfg, v1, NULL, &err) ==
            SL_REG_OK);
    REQUIRE(add(reg, "api", 43, v2, NULL) == SL_REG_OK);
    REQUIRE(sl_registry_set_alias(reg, "api", "prod", v1, &err) == SL_REG_OK);
    sl_registry_close(reg);

    reg = open_reg(dir);
    REQUIRE(reg);
    sl_fn_info *fns;
    size_t n;
    REQUIRE(sl_registry_list_functions(reg, &fns, &n, &err) == SL_REG_OK);
    CHECK(n == 1 && strcmp(fns[0].name, "api") == 0 && fns[0].nversions == 2 &&
          strcmp(fns[0].latest, v2) == 0);
    free(fns);
    sl_fn_version v;
    REQUIRE(sl_registry_resolve(reg, "api@prod", &v, &err) == SL_REG_OK);
    CHECK(strcmp(v.sha256, v1) == 0);
    const sl_fn_config *c = &v.config;
    CHECK(c->kind == SL_FN_HANDLER && c->input == SL_INPUT_EVENT &&
          c->output == SL_OUTPUT_INTEGRATION);
    CHECK(c->nenv == 2 && strcmp(c->env[0], "GREETING=hi") == 0 &&
          strcmp(c->env[1], "EMPTY=") == 0);
    CHECK(c->ndirs == 1 && strcmp(c->dirs[0], "/srv/data::/data") == 0);
    CHECK(c->ncors == 2 && strcmp(c->cors_origins[1], "*") == 0);
    CHECK(c->timeout_ms == 2500 && c->memory_mib == 64 && c->max_request == 1000 &&
          c->max_response == 5000000000ull);
    CHECK(c->content_type && strcmp(c->content_type, "application/json") == 0);
    sl_fn_version_clear(&v);
    REQUIRE(sl_registry_resolve(reg, "api", &v, &err) == SL_REG_OK);
    CHECK(strcmp(v.sha256, v2) == 0);
    CHECK(v.config.nenv == 0 && v.config.content_type == NULL && v.config.timeout_ms == 10000);
    sl_fn_version_clear(&v);
    uint8_t *bytes;
    size_t len;
    REQUIRE(sl_registry_load_blob(reg, v1, &bytes, &len, &err) == SL_REG_OK);
    CHECK(len == sizeof m.b && memcmp(bytes, m.b, len) == 0);
    free(bytes);
    sl_registry_close(reg);

    /* The database is in WAL mode with the schema version set. */
    char path[600];
    snprintf(path, sizeof path, "%s/sluice.db", dir);
    sqlite3 *db;
    REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
    sqlite3_stmt *st;
    REQUIRE(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW &&
          strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0);
    sqlite3_finalize(st);
    REQUIRE(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 2);
    sqlite3_finalize(st);
    /* A newer schema than this build knows is refused. */
    CHECK(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    CHECK(sl_registry_open(dir, &err) == NULL);
    CHECK(strstr(err.message, "newer") != NULL);
    rm_data(dir);
}

TEST(registry_delete_removes_unreferenced_blobs) {
    char dir[512];
    tmp_data(dir, sizeof dir);
    sl_registry *reg = open_reg(dir);
    REQUIRE(reg);
    REQUIRE(sl_registry_create_function(reg, "a", &err) == SL_REG_OK);
    REQUIRE(sl_registry_create_function(reg, "b", &err) == SL_REG_OK);
    char shared[65], only_a[65], only_b[65], tmp[65];
    REQUIRE(add(reg, "a", 1, shared, NULL) == SL_REG_OK);
    REQUIRE(add(reg, "a", 2, only_a, NULL) == SL_REG_OK);
    REQUIRE(add(reg, "b", 1, tmp, NULL) == SL_REG_OK);
    REQUIRE(add(reg, "b", 3, only_b, NULL) == SL_REG_OK);
    REQUIRE(sl_registry_set_alias(reg, "a", "prod", shared, &err) == SL_REG_OK);
    CHECK_EQ(count_blobs(dir), 3);

    CHECK_EQ(sl_registry_delete_function(reg, "a", &err), SL_REG_OK);
    CHECK(!blob_exists(dir, only_a));
    CHECK(blob_exists(dir, shared));
    CHECK(blob_exists(dir, only_b));
    CHECK_EQ(resolve_sha(reg, "a@prod", tmp), SL_REG_NOT_FOUND);
    /* b is untouched. */
    sl_fn_version *vs;
    size_t n;
    REQUIRE(sl_registry_list_versions(reg, "b", &vs, &n, &err) == SL_REG_OK);
    CHECK_EQ(n, 2);
    sl_fn_versions_free(vs, n);
    /* A recreated function starts empty. */
    REQUIRE(sl_registry_create_function(reg, "a", &err) == SL_REG_OK);
    CHECK_EQ(resolve_sha(reg, "a", tmp), SL_REG_NOT_FOUND);

    CHECK_EQ(sl_registry_delete_function(reg, "b", &err), SL_REG_OK);
    CHECK_EQ(count_blobs(dir), 0);
    sl_registry_close(reg);

    /* Leftovers from a crash (a temp file, an orphan blob) go on the next open. */
    char path[700];
    snprintf(path, sizeof path, "%s/blobs/.tmp-0123456789abcdef-XXXXXX", dir);
    FILE *f = fopen(path, "w");
    REQUIRE(f);
    fclose(f);
    snprintf(path, sizeof path, "%s/blobs/%s", dir, only_a);
    REQUIRE((f = fopen(path, "w")));
    fclose(f);
    snprintf(path, sizeof path, "%s/blobs/README", dir);
    REQUIRE((f = fopen(path, "w")));
    fclose(f);
    reg = open_reg(dir);
    REQUIRE(reg);
    CHECK_EQ(count_blobs(dir), 1); /* README stays */
    sl_registry_close(reg);
    rm_data(dir);
}

struct worker {
    sl_registry *reg;
    uint32_t base;
    int failures;
};

static void *worker_run(void *arg) {
    struct worker *w = arg;
    char sha[65];
    sl_error e;
    for (uint32_t i = 0; i < 20; i++) {
        tiny m = tiny_module(w->base + i % 10);
        if (sl_registry_add_version(w->reg, "shared", m.b, sizeof m.b, NULL, sha, NULL, &e) !=
            SL_REG_OK)
            w->failures++;
        sl_fn_version v;
        if (sl_registry_resolve(w->reg, "shared", &v, &e) != SL_REG_OK) w->failures++;
        sl_fn_version_clear(&v);
    }
    return NULL;
}

TEST(registry_threads) {
    char dir[512];
    tmp_data(dir, sizeof dir);
    sl_registry *reg = open_reg(dir);
    REQUIRE(reg);
    REQUIRE(sl_registry_create_function(reg, "shared", &err) == SL_REG_OK);
    struct worker w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){reg, (uint32_t)i * 5, 0}; /* overlapping modules */
        REQUIRE(pthread_create(&t[i], NULL, worker_run, &w[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK_EQ(w[i].failures, 0);
    }
    sl_fn_version *vs;
    size_t n;
    REQUIRE(sl_registry_list_versions(reg, "shared", &vs, &n, &err) == SL_REG_OK);
    CHECK_EQ(n, 25); /* tags 0..24 */
    sl_fn_versions_free(vs, n);
    CHECK_EQ(count_blobs(dir), 25);
    sl_registry_close(reg);
    rm_data(dir);
}

/* ---- Config updates, the generation, and the config's JSON forms ------------------------- */

TEST(registry_set_config_and_generation) {
    char dir[512];
    tmp_data(dir, sizeof dir);
    sl_registry *reg = open_reg(dir);
    tiny m = tiny_module(7);
    char sha[SL_REG_SHA_LEN + 1];
    uint64_t g0 = sl_registry_generation(reg);
    CHECK_EQ(sl_registry_add_version(reg, "fn", m.b, sizeof m.b, NULL, sha, NULL, &err),
             SL_REG_NOT_FOUND);
    CHECK_EQ(sl_registry_generation(reg), g0); /* a failed write changes nothing */
    CHECK_EQ(sl_registry_create_function(reg, "fn", &err), SL_REG_OK);
    uint64_t g1 = sl_registry_generation(reg);
    CHECK(g1 != g0);
    CHECK_EQ(sl_registry_add_version(reg, "fn", m.b, sizeof m.b, NULL, sha, NULL, &err), SL_REG_OK);
    uint64_t g2 = sl_registry_generation(reg);
    CHECK(g2 != g1);
    sl_fn_version v;
    CHECK_EQ(sl_registry_resolve(reg, "fn", &v, &err), SL_REG_OK);
    CHECK_EQ(sl_registry_generation(reg), g2); /* reads do not count */
    CHECK_EQ(v.config.timeout_ms, 10000u);
    CHECK(!v.config.keep_state);
    v.config.timeout_ms = 250;
    v.config.keep_state = true;
    v.config.concurrency = 3;
    CHECK_EQ(sl_registry_set_config(reg, "fn", "latest", &v.config, &err), SL_REG_OK);
    sl_fn_version_clear(&v);
    CHECK(sl_registry_generation(reg) != g2);
    CHECK_EQ(sl_registry_resolve(reg, "fn", &v, &err), SL_REG_OK);
    CHECK_EQ(v.config.timeout_ms, 250u);
    CHECK(v.config.keep_state);
    CHECK_EQ(v.config.concurrency, 3u);
    CHECK_EQ(strcmp(v.sha256, sha), 0); /* same version, new config */
    /* a bad config is refused and changes nothing */
    const char *bad_env[] = {"NOEQUALS"};
    v.config.env = bad_env, v.config.nenv = 1;
    CHECK_EQ(sl_registry_set_config(reg, "fn", sha, &v.config, &err), SL_REG_INVALID);
    v.config.env = NULL, v.config.nenv = 0;
    CHECK_EQ(sl_registry_set_config(reg, "fn", "nosuch", &v.config, &err), SL_REG_NOT_FOUND);
    CHECK_EQ(sl_registry_set_config(reg, "other", NULL, &v.config, &err), SL_REG_NOT_FOUND);
    sl_fn_version_clear(&v);
    CHECK_EQ(sl_registry_resolve(reg, "fn", &v, &err), SL_REG_OK);
    CHECK_EQ(v.config.nenv, 0u);
    sl_fn_version_clear(&v);
    sl_registry_close(reg);
    rm_data(dir);
}

TEST(registry_config_from_api_forms) {
    sl_fn_config c = sl_fn_config_default();
    /* query-parameter form: lists append, numbers in decimal */
    CHECK(sl_fn_config_set(&c, "kind", "handler", &err));
    CHECK(sl_fn_config_set(&c, "env", "A=1", &err));
    CHECK(sl_fn_config_set(&c, "env", "B=2", &err));
    CHECK(sl_fn_config_set(&c, "timeout_ms", "500", &err));
    CHECK(sl_fn_config_set(&c, "keep_state", "true", &err));
    CHECK(sl_fn_config_set(&c, "cors", "*", &err));
    CHECK_EQ(c.kind, SL_FN_HANDLER);
    CHECK_EQ(c.nenv, 2u);
    CHECK_EQ(strcmp(c.env[1], "B=2"), 0);
    CHECK_EQ(c.timeout_ms, 500u);
    CHECK(c.keep_state);
    CHECK_EQ(c.ncors, 1u);
    CHECK(!sl_fn_config_set(&c, "kind", "daemon", &err));
    CHECK(strstr(err.message, "command") != NULL);
    CHECK(!sl_fn_config_set(&c, "timeout_ms", "-1", &err));
    CHECK(!sl_fn_config_set(&c, "timeout_ms", "12x", &err));
    CHECK(!sl_fn_config_set(&c, "memory_mib", "99999999999", &err));
    CHECK(!sl_fn_config_set(&c, "colour", "blue", &err));
    CHECK(strstr(err.message, "unknown member") != NULL);
    CHECK_EQ(c.timeout_ms, 500u); /* failed sets leave the value */

    /* JSON form: lists replace, null clears content_type, types are checked */
    json_error_t jerr;
    json_t *o = json_loads("{\"env\":[\"C=3\"],\"content_type\":\"image/svg+xml\","
                           "\"output\":\"integration\",\"concurrency\":4}",
                           0, &jerr);
    CHECK(o != NULL);
    CHECK(sl_fn_config_apply(&c, o, &err));
    json_decref(o);
    CHECK_EQ(c.nenv, 1u);
    CHECK_EQ(strcmp(c.env[0], "C=3"), 0);
    CHECK_EQ(strcmp(c.content_type, "image/svg+xml"), 0);
    CHECK_EQ(c.output, SL_OUTPUT_INTEGRATION);
    CHECK_EQ(c.concurrency, 4u);
    static const char *const bad[] = {
        "{\"timeout_ms\":\"fast\"}", "{\"env\":\"A=1\"}",    "{\"env\":[1]}",
        "{\"keep_state\":1}",        "{\"env\":[\"NOEQ\"]}", "{\"kind\":null}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        o = json_loads(bad[i], 0, &jerr);
        CHECK(o != NULL);
        if (sl_fn_config_apply(&c, o, &err)) check_note("accepted %s", bad[i]);
        CHECK(strstr(err.message, "invalid config") != NULL);
        json_decref(o);
    }
    o = json_loads("{\"content_type\":null,\"env\":[]}", 0, &jerr);
    CHECK(sl_fn_config_apply(&c, o, &err));
    json_decref(o);
    CHECK(c.content_type == NULL);
    CHECK_EQ(c.nenv, 0u);

    /* the JSON the API shows reads back to the same config */
    char *text = sl_fn_config_to_json(&c);
    sl_fn_config back;
    CHECK(sl_fn_config_from_json(text, &back, &err));
    char *again = sl_fn_config_to_json(&back);
    CHECK_EQ(strcmp(text, again), 0);
    free(text);
    free(again);
    sl_fn_config_free(&back);
    sl_fn_config_free(&c);
}

/* A module with a sluice.fn section holding `text` (the empty module plus the section). */
static size_t declaring_module(uint8_t *out, const char *text) {
    static const uint8_t header[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    size_t n = strlen(text), at = 0;
    memcpy(out, header, 8), at = 8;
    out[at++] = 0;
    out[at++] = (uint8_t)(1 + 9 + n);
    out[at++] = 9;
    memcpy(out + at, "sluice.fn", 9), at += 9;
    memcpy(out + at, text, n), at += n;
    return at;
}

TEST(registry_keeps_the_declaration) {
    char dir[512];
    tmp_data(dir, sizeof dir);
    sl_registry *reg = open_reg(dir);
    REQUIRE(reg);
    for (const char *const *f = (const char *const[]){"d", "plain", "bad", NULL}; *f; f++)
        REQUIRE(sl_registry_create_function(reg, *f, &err) == SL_REG_OK);
    uint8_t m[128];
    size_t len = declaring_module(m, "{\"v\":1,\"input\":\"event\"}{\"v\":1,\"kind\":\"handler\"}");
    char sha[65];
    CHECK_EQ(sl_registry_add_version(reg, "d", m, len, NULL, sha, NULL, &err), SL_REG_OK);
    sl_fn_version v;
    CHECK_EQ(sl_registry_resolve(reg, "d", &v, &err), SL_REG_OK);
    CHECK(v.declared.present && v.declared.has_kind && v.declared.kind == SL_FN_HANDLER &&
          v.declared.input == SL_INPUT_EVENT && v.declared.output == SL_OUTPUT_RAW);
    sl_fn_version_clear(&v);
    /* without the section: nothing declared */
    tiny t = tiny_module(7);
    CHECK_EQ(sl_registry_add_version(reg, "plain", t.b, sizeof t.b, NULL, sha, NULL, &err),
             SL_REG_OK);
    CHECK_EQ(sl_registry_resolve(reg, "plain", &v, &err), SL_REG_OK);
    CHECK(!v.declared.present);
    sl_fn_version_clear(&v);
    /* a bad section: refused, nothing stored */
    len = declaring_module(m, "{\"v\":3}");
    CHECK_EQ(sl_registry_add_version(reg, "bad", m, len, NULL, sha, NULL, &err), SL_REG_INVALID);
    CHECK(strstr(err.message, "version 3") != NULL);
    CHECK_EQ(sl_registry_resolve(reg, "bad", &v, &err), SL_REG_NOT_FOUND);
    sl_registry_close(reg);

    /* a database of schema 1 (before the column) is migrated, its versions declaring nothing */
    char path[600];
    snprintf(path, sizeof path, "%s/sluice.db", dir);
    sqlite3 *db;
    REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "ALTER TABLE versions DROP COLUMN declared; PRAGMA user_version = 1;",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    reg = open_reg(dir);
    REQUIRE(reg);
    CHECK_EQ(sl_registry_resolve(reg, "d", &v, &err), SL_REG_OK);
    CHECK(!v.declared.present);
    sl_fn_version_clear(&v);
    len = declaring_module(m, "{\"v\":1,\"kind\":\"command\"}");
    CHECK_EQ(sl_registry_add_version(reg, "d", m, len, NULL, sha, NULL, &err), SL_REG_OK);
    CHECK_EQ(sl_registry_resolve(reg, "d", &v, &err), SL_REG_OK);
    CHECK(v.declared.present && v.declared.kind == SL_FN_COMMAND);
    sl_fn_version_clear(&v);
    sl_registry_close(reg);
    rm_data(dir);
}
