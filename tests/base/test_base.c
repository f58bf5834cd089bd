/*
 * test_base.c - the base layer (src/base): the growable buffer, the file reader and atomic
 * writer, the error convention and names.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../unit/check.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/name.h"

static const char *tmpdir(void) {
    const char *t = getenv("SLUICE_TEST_TMP");
    return t && *t ? t : "/tmp";
}

TEST(buf_appends_and_stays_terminated) {
    sl_buf b = {0};
    CHECK(sl_buf_append(&b, "ab", 2));
    CHECK(sl_buf_putc(&b, 'c'));
    CHECK(sl_buf_puts(&b, "de"));
    CHECK(sl_buf_printf(&b, "-%d-", 42));
    CHECK_EQ(b.len, 9);
    CHECK(strcmp(b.data, "abcde-42-") == 0);
    /* a formatted piece longer than the small stack buffer */
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    CHECK(sl_buf_printf(&b, "%s|", big));
    CHECK_EQ(b.len, 9 + 999 + 1);
    CHECK_EQ(b.data[b.len], 0);
    CHECK_EQ(b.data[b.len - 1], '|');
    CHECK(!b.failed);
    size_t len;
    char *d = sl_buf_take(&b, &len);
    CHECK_EQ(len, 1009);
    CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
    free(d);
    /* taking an empty buffer gives an empty string, not NULL */
    d = sl_buf_take(&b, &len);
    CHECK(d && d[0] == 0 && len == 0);
    free(d);
    sl_buf_free(&b);
}

TEST(buf_grows_large) {
    sl_buf b = {0};
    for (int i = 0; i < 100000; i++)
        REQUIRE(sl_buf_printf(&b, "%d,", i));
    CHECK(b.cap > b.len);
    CHECK(strncmp(b.data, "0,1,2,", 6) == 0);
    CHECK(strcmp(b.data + b.len - 6, "99999,") == 0);
    sl_buf_free(&b);
}

TEST(grow_arrays) {
    int *a = NULL;
    size_t cap = 0;
    REQUIRE(sl_grow(&a, &cap, 1, sizeof *a));
    CHECK_EQ(cap, 8);
    REQUIRE(sl_grow(&a, &cap, 9, sizeof *a));
    CHECK_EQ(cap, 16);
    a[15] = 7;
    REQUIRE(sl_grow(&a, &cap, 3, sizeof *a)); /* never shrinks */
    CHECK_EQ(cap, 16);
    CHECK_EQ(a[15], 7);
    /* an impossible size fails and leaves the array as it was */
    CHECK(!sl_grow(&a, &cap, SIZE_MAX / 2, sizeof *a));
    CHECK_EQ(cap, 16);
    CHECK_EQ(a[15], 7);
    free(a);
}

TEST(read_file_whole_and_limits) {
    char path[512];
    snprintf(path, sizeof path, "%s/base-read-%d", tmpdir(), (int)getpid());
    /* bigger than the reader's first chunk, and not a round number */
    size_t n = 3 * 65536 + 123;
    char *data = malloc(n);
    REQUIRE(data);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)('a' + i % 26);
    sl_error err = {0};
    REQUIRE(sl_write_file_atomic(path, data, n, 0600, &err));
    struct stat st;
    REQUIRE(stat(path, &st) == 0);
    CHECK_EQ(st.st_mode & 0777, 0600);
    size_t len = 0;
    char *back = sl_read_file(path, 0, &len, &err);
    REQUIRE(back);
    CHECK_EQ(len, n);
    CHECK(memcmp(back, data, n) == 0);
    CHECK_EQ(back[len], 0);
    free(back);
    /* over the limit: refused, with the path and the limit in the message */
    CHECK(sl_read_file(path, 1000, &len, &err) == NULL);
    CHECK_EQ(err.status, SL_ERR_LIMIT);
    CHECK(strstr(err.message, path) && strstr(err.message, "1000"));
    /* replaced atomically: the new contents, no temp file left */
    REQUIRE(sl_write_file_atomic(path, "new", 3, 0600, &err));
    back = sl_read_file(path, 0, &len, &err);
    CHECK(back && len == 3 && !strcmp(back, "new"));
    free(back);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls %s.tmp.* >/dev/null 2>&1", path);
    CHECK(system(cmd) != 0); /* no temp file left */
    unlink(path);
    free(data);
}

TEST(read_file_errors) {
    sl_error err = {0};
    size_t len = 99;
    errno = 0;
    CHECK(sl_read_file("/nonexistent/dir/file", 0, &len, &err) == NULL);
    CHECK_EQ(errno, ENOENT);
    CHECK(strstr(err.message, "/nonexistent/dir/file: No such file or directory") != NULL);
    /* a directory cannot be read as a file */
    CHECK(sl_read_file("/", 0, &len, &err) == NULL);
    CHECK(strstr(err.message, "Is a directory") != NULL);
    /* no sl_error: still NULL, errno says why */
    CHECK(sl_read_file("/nonexistent", 0, &len, NULL) == NULL);
    /* writing where there is no folder fails and says so */
    CHECK(!sl_write_file_atomic("/nonexistent/dir/file", "x", 1, 0600, &err));
    CHECK(strstr(err.message, "/nonexistent/dir/file") != NULL);
}

TEST(errors_convention) {
    sl_error err;
    memset(&err, 0x55, sizeof err);
    CHECK(!sl_errorf(&err, SL_ERR_ARGUMENT, "bad %s %d", "thing", 3));
    CHECK_EQ(err.status, SL_ERR_ARGUMENT);
    CHECK_EQ(err.offset, -1);
    CHECK_EQ(err.trap, SL_TRAP_NONE);
    CHECK(!strcmp(err.message, "bad thing 3"));
    sl_error_prefix(&err, "stage %d", 2);
    CHECK(!strcmp(err.message, "stage 2: bad thing 3"));
    CHECK(!sl_errorf(NULL, SL_ERR_ARGUMENT, "ignored")); /* NULL is allowed */
    sl_error_prefix(NULL, "x");
    /* a long message is cut, never overflows */
    char longs[600];
    memset(longs, 'y', sizeof longs - 1);
    longs[sizeof longs - 1] = 0;
    sl_errorf(&err, SL_ERR_ARGUMENT, "%s", longs);
    CHECK_EQ(strlen(err.message), sizeof err.message - 1);
    sl_error_prefix(&err, "%s", longs);
    CHECK_EQ(strlen(err.message), sizeof err.message - 1);
}

TEST(names) {
    CHECK(sl_name_ok("a"));
    CHECK(sl_name_ok("hello-handler_2"));
    CHECK(!sl_name_ok(""));
    CHECK(!sl_name_ok(NULL));
    CHECK(!sl_name_ok("-a"));
    CHECK(!sl_name_ok("_a"));
    CHECK(!sl_name_ok("A"));
    CHECK(!sl_name_ok("a/b"));
    CHECK(!sl_name_ok("a.b"));
    CHECK(!sl_name_ok("a b"));
    char n[SL_NAME_MAX + 2];
    memset(n, 'a', SL_NAME_MAX);
    n[SL_NAME_MAX] = 0;
    CHECK(sl_name_ok(n));
    n[SL_NAME_MAX] = 'a', n[SL_NAME_MAX + 1] = 0;
    CHECK(!sl_name_ok(n));
}
