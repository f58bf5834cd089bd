/*
 * test_declared.c - the "sluice.fn" section reader (src/fn/declared.c): the C SDK's pieces,
 * the Rust SDK's padded object, every way the content can be wrong, and how a deployment's
 * config takes the declaration.
 */
#include <stdlib.h>
#include <string.h>

#include "../unit/check.h"
#include "fn/declared.h"

static bool parse(const char *text, sl_fn_declared *d, sl_error *err) {
    return sl_fn_declared_parse((const uint8_t *)text, strlen(text), "f.wasm", d, err);
}

TEST(declared_c_pieces_and_rust_padding) {
    sl_fn_declared d;
    sl_error err;
    CHECK(parse("{\"v\":1,\"input\":\"event\",\"output\":\"integration\"}{\"v\":1,\"kind\":"
                "\"handler\"}",
                &d, &err));
    CHECK(d.present);
    CHECK_EQ(d.kind, SL_FN_HANDLER);
    CHECK_EQ(d.input, SL_INPUT_EVENT);
    CHECK_EQ(d.output, SL_OUTPUT_INTEGRATION);
    /* no SL_FN_MODES: the SDK's default modes */
    CHECK(parse("{\"v\":1,\"kind\":\"command\"}", &d, &err));
    CHECK(d.present && d.kind == SL_FN_COMMAND && d.input == SL_INPUT_RAW &&
          d.output == SL_OUTPUT_RAW);
    /* one object padded with spaces, as the Rust SDK writes it; the same member twice with
     * the same value is fine */
    CHECK(parse("{\"v\":1,\"kind\":\"command\",\"input\":\"event\",\"output\":\"raw\"}  \n "
                "{\"v\":1,\"input\":\"event\"}   ",
                &d, &err));
    CHECK(d.kind == SL_FN_COMMAND && d.input == SL_INPUT_EVENT && d.output == SL_OUTPUT_RAW);
    CHECK(d.has_kind);
    /* the Rust SDK's: modes only, no kind */
    CHECK(parse("{\"v\":1,\"input\":\"event\",\"output\":\"integration\"}         ", &d, &err));
    CHECK(d.present && !d.has_kind && d.input == SL_INPUT_EVENT);
    d.has_kind = true;
    d.output = SL_OUTPUT_RAW;
    /* what sl_fn_declared_to_text writes reads back the same */
    d.kind = SL_FN_HANDLER;
    char *text = sl_fn_declared_to_text(&d);
    REQUIRE(text);
    CHECK(!strcmp(text, "{\"v\":1,\"kind\":\"handler\",\"input\":\"event\",\"output\":\"raw\"}"));
    sl_fn_declared back;
    CHECK(parse(text, &back, &err));
    CHECK(back.kind == SL_FN_HANDLER && back.input == SL_INPUT_EVENT &&
          back.output == SL_OUTPUT_RAW);
    free(text);
    d.present = false;
    CHECK(sl_fn_declared_to_text(&d) == NULL);
}

TEST(declared_bad_content_is_an_error_naming_the_module) {
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"{\"v\":2,\"kind\":\"command\"}", "version 2"},
        {"{\"kind\":\"command\"}", "without \"v\""},
        {"{\"v\":\"1\",\"kind\":\"command\"}", "without \"v\""},
        {"{\"v\":1,\"kind\":\"command\",\"memory\":1}", "unknown member \"memory\""},
        {"{\"v\":1,\"kind\":\"reactor\"}", "bad \"kind\""},
        {"{\"v\":1,\"kind\":\"command\",\"input\":\"json\"}", "bad \"input\""},
        {"{\"v\":1,\"kind\":\"command\",\"output\":1}", "bad \"output\""},
        {"{\"v\":1,\"kind\":\"command\"}{\"v\":1,\"kind\":\"handler\"}", "twice"},
        {"{\"v\":1,\"kind\":\"command\"", "not JSON"},
        {"{\"v\":1,\"kind\":\"command\"} x", "not JSON"},
        {"[1]", "not an object"},
        {"   ", "empty"},
        {"", "empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sl_fn_declared d;
        sl_error err = {0};
        bool ok = parse(cases[i].text, &d, &err);
        if (!CHECK(!ok) || !CHECK(strstr(err.message, cases[i].want) != NULL) ||
            !CHECK(!strncmp(err.message, "f.wasm: ", 8)))
            check_note("case %zu: %s -> %s", i, cases[i].text, err.message);
        CHECK_EQ(err.status, SL_ERR_INVALID);
        CHECK(!d.present);
    }
}

TEST(declared_read_from_module_bytes) {
    /* header, a custom "sluice.fn" section holding {"v":1,"kind":"handler"} */
    static const char rec[] = "{\"v\":1,\"kind\":\"handler\"}";
    uint8_t m[64] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00};
    size_t n = 9;
    m[n++] = (uint8_t)(1 + 9 + strlen(rec));
    m[n++] = 9;
    memcpy(m + n, "sluice.fn", 9), n += 9;
    memcpy(m + n, rec, strlen(rec)), n += strlen(rec);
    sl_fn_declared d;
    sl_error err;
    CHECK(sl_fn_declared_read(m, n, "f.wasm", &d, &err));
    CHECK(d.present && d.kind == SL_FN_HANDLER && d.input == SL_INPUT_RAW);
    /* no section: nothing declared, no error */
    CHECK(sl_fn_declared_read(m, 8, "f.wasm", &d, &err));
    CHECK(!d.present);
    /* a section with a bad record */
    m[n - 3] = 'X'; /* "handleX" */
    CHECK(!sl_fn_declared_read(m, n, "f.wasm", &d, &err));
    CHECK(strstr(err.message, "bad \"kind\"") != NULL);
}

TEST(declared_apply_defaults_and_contradictions) {
    sl_fn_declared d = {.present = true,
                        .has_kind = true,
                        .kind = SL_FN_COMMAND,
                        .input = SL_INPUT_EVENT,
                        .output = SL_OUTPUT_INTEGRATION};
    sl_error err = {0};
    /* nothing given: the declaration */
    sl_fn_config cfg = sl_fn_config_default();
    CHECK(sl_fn_declared_apply(&d, "pca.wasm", 0, &cfg, &err));
    CHECK(cfg.kind == SL_FN_COMMAND && cfg.input == SL_INPUT_EVENT &&
          cfg.output == SL_OUTPUT_INTEGRATION);
    /* given and agreeing */
    cfg = sl_fn_config_default();
    cfg.input = SL_INPUT_EVENT;
    CHECK(sl_fn_declared_apply(&d, "pca.wasm", SL_FN_GIVEN_INPUT | SL_FN_GIVEN_KIND, &cfg, &err));
    CHECK(cfg.output == SL_OUTPUT_INTEGRATION);
    /* given and contradicting: the default raw input, given explicitly */
    cfg = sl_fn_config_default();
    CHECK(!sl_fn_declared_apply(&d, "pca.wasm", SL_FN_GIVEN_INPUT, &cfg, &err));
    CHECK(!strcmp(err.message, "pca.wasm declares kind \"command\", input \"event\" and output "
                               "\"integration\" (its sluice.fn section); the requested input "
                               "\"raw\" contradicts it"));
    CHECK_EQ(err.status, SL_ERR_INVALID);
    CHECK(cfg.input == SL_INPUT_RAW); /* left as it was */
    cfg.kind = SL_FN_HANDLER;
    CHECK(!sl_fn_declared_apply(&d, "pca.wasm", SL_FN_GIVEN_KIND | SL_FN_GIVEN_INPUT, &cfg, &err));
    CHECK(strstr(err.message, "the requested kind \"handler\" and input \"raw\" contradict it"));
    cfg.kind = SL_FN_COMMAND;
    CHECK(!sl_fn_declared_apply(&d, NULL, 7, &cfg, &err));
    CHECK(strstr(err.message, "the module declares"));
    CHECK(strstr(err.message, "input \"raw\" and output \"raw\" contradict it"));
    /* a command's SLUICE_INPUT_MODE/SLUICE_OUTPUT_MODE override what it declares, as the SDK
     * does at run time; a handler ignores them */
    const char *const env[] = {"SLUICE_INPUT_MODE=raw", "X=1", "SLUICE_OUTPUT_MODE=raw"};
    cfg = sl_fn_config_default();
    cfg.env = env, cfg.nenv = 3;
    CHECK(sl_fn_declared_apply(&d, "echo.wasm", 0, &cfg, &err));
    CHECK(cfg.input == SL_INPUT_RAW && cfg.output == SL_OUTPUT_RAW);
    cfg.input = SL_INPUT_EVENT;
    CHECK(!sl_fn_declared_apply(&d, "echo.wasm", SL_FN_GIVEN_INPUT, &cfg, &err));
    CHECK(strstr(err.message, "input \"raw\" and output \"raw\"") != NULL);
    d.kind = SL_FN_HANDLER;
    cfg = sl_fn_config_default();
    cfg.env = env, cfg.nenv = 3;
    CHECK(sl_fn_declared_apply(&d, "echo.wasm", 0, &cfg, &err));
    CHECK(cfg.kind == SL_FN_HANDLER && cfg.input == SL_INPUT_EVENT);
    d.kind = SL_FN_COMMAND;
    /* no kind declared: the config's kind stays, whatever it is */
    d.has_kind = false;
    cfg = sl_fn_config_default();
    cfg.kind = SL_FN_HANDLER;
    CHECK(sl_fn_declared_apply(&d, "mean.wasm", SL_FN_GIVEN_KIND, &cfg, &err));
    CHECK(cfg.kind == SL_FN_HANDLER && cfg.input == SL_INPUT_EVENT);
    cfg = sl_fn_config_default();
    CHECK(sl_fn_declared_apply(&d, "mean.wasm", 0, &cfg, &err));
    CHECK(cfg.kind == SL_FN_COMMAND);
    cfg.output = SL_OUTPUT_RAW;
    CHECK(!sl_fn_declared_apply(&d, "mean.wasm", SL_FN_GIVEN_OUTPUT, &cfg, &err));
    CHECK(!strcmp(err.message, "mean.wasm declares input \"event\" and output \"integration\" "
                               "(its sluice.fn section); the requested output \"raw\" "
                               "contradicts it"));
    /* no declaration: the config stays as given, whatever it is */
    d.present = false;
    cfg = sl_fn_config_default();
    cfg.output = SL_OUTPUT_INTEGRATION;
    CHECK(sl_fn_declared_apply(&d, "x", 7, &cfg, &err));
    CHECK(cfg.kind == SL_FN_COMMAND && cfg.input == SL_INPUT_RAW &&
          cfg.output == SL_OUTPUT_INTEGRATION);
}

/* sl_read_file (base/file.h) reads a module of any size whole: it once stopped at 128 KiB,
 * which cut the Rust anomaly handler in pipelines. Here: 1 MiB + 3 bytes of a pattern. */
#include <unistd.h>

#include "base/file.h"

TEST(read_file_reads_large_files_whole) {
    char path[] = "/tmp/sluice-read-file.XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    size_t n = (1u << 20) + 3;
    uint8_t *want = malloc(n);
    REQUIRE(want);
    for (size_t i = 0; i < n; i++)
        want[i] = (uint8_t)(i * 7 + i / 251);
    CHECK(write(fd, want, n) == (ssize_t)n);
    close(fd);
    size_t len = 0;
    sl_error err;
    char *got = sl_read_file(path, 0, &len, &err);
    unlink(path);
    CHECK(got != NULL);
    CHECK_EQ(len, n);
    CHECK(got && len == n && !memcmp(got, want, n));
    free(got);
    free(want);
}
