/*
 * test_conf.c - the messages of pipeline files (conf.c): "FILE:LINE: WHAT: message" in an
 * sl_error, whose 256 bytes must keep the message when the file's path is long.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "pipeline/conf.h"

static const char MSG[] = "unknown setting \"tabel\" (known: type, path, table, key, mode)";

TEST(conf_message_names_file_line_and_node) {
    sl_error e;
    json_t *root = sl_conf_parse("sinks:\n  - type: sqlite\n", 24, "p.yaml", &e);
    REQUIRE(root != NULL);
    json_t *sink = json_array_get(json_object_get(root, "sinks"), 0);
    sl_conf_ctx c = {.file = "p.yaml", .what = "sink 1 (sqlite)", .err = &e};
    CHECK(!sl_conf_fail(&c, sink, "%s", MSG));
    CHECK_STR(strdup(e.message), "p.yaml:2: sink 1 (sqlite): unknown setting \"tabel\" (known: "
                                 "type, path, table, key, mode)");
    CHECK(e.status == SL_ERR_ARGUMENT);
    json_decref(root);
}

TEST(conf_long_path_loses_its_start_not_the_message) {
    char path[400];
    int n = snprintf(path, sizeof path, "/srv/");
    while (n < 300)
        n += snprintf(path + n, sizeof path - (size_t)n, "deep-folder/");
    snprintf(path + n, sizeof path - (size_t)n, "air-quality.yaml");
    sl_error e;
    sl_conf_ctx c = {.file = path, .what = "sink 1 (sqlite)", .err = &e};
    json_t *root = sl_conf_parse("a: 1\n", 5, path, &e);
    REQUIRE(root != NULL);
    sl_conf_fail(&c, root, "%s", MSG);
    CHECK(strlen(e.message) < sizeof e.message);
    CHECK(!strncmp(e.message, "...", 3));
    char want[300];
    snprintf(want, sizeof want, "/air-quality.yaml:1: sink 1 (sqlite): %s", MSG);
    size_t ml = strlen(e.message), wl = strlen(want);
    CHECK(ml >= wl && !strcmp(e.message + ml - wl, want));
    json_decref(root);

    /* a YAML error of the same file */
    CHECK(sl_conf_parse("a: [1\n", 6, path, &e) == NULL);
    CHECK(!strncmp(e.message, "...", 3));
    CHECK(strstr(e.message, "/air-quality.yaml:") != NULL);
}
