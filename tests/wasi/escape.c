/* escape.c - every attempt to reach outside the preopened /sandbox must fail. run.sh lays
 * out the host side: ../secret.txt next to the sandbox, and inside it symlinks that point
 * out (relative, absolute, chained, via directories) plus a symlink loop. The last
 * argument is the host path of the secret, for absolute attempts. Sluice only: other
 * runtimes differ in which errno they report. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

#include "check.h"

#define RIGHTS_ALL ((__wasi_rights_t)0x1fffffff)
#define RIGHTS_READ                                                                                \
    (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_FD_FILESTAT_GET)

static __wasi_fd_t sandbox = (__wasi_fd_t)-1;

/* Raw path_open on the preopen, bypassing wasi-libc's own path handling. */
static int raw_open(const char *path, __wasi_lookupflags_t lookup, __wasi_oflags_t oflags) {
    __wasi_fd_t fd;
    __wasi_errno_t e =
        __wasi_path_open(sandbox, lookup, path, oflags, RIGHTS_READ, RIGHTS_ALL, 0, &fd);
    if (e == 0) {
        char buf[64] = {0};
        size_t n = 0;
        __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
        if (__wasi_fd_read(fd, &iov, 1, &n) != 0) n = 0;
        fprintf(stderr, "  opened '%s' and read: %s\n", path, buf);
        (void)__wasi_fd_close(fd);
    }
    return e;
}

/* Must fail, with ENOTCAPABLE (escaping), ELOOP or ENOENT depending on the case. */
static void must_fail(const char *path, int expect) {
    int e = raw_open(path, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0);
    if (e == 0 || (expect && e != expect)) {
        fprintf(stderr, "escape check: path_open('%s') gave %d, want %d\n", path, e, expect);
        failures++;
    }
}

static void must_not_exist_outside(const char *path) {
    struct stat st;
    CHECK(stat(path, &st) < 0);
}

int main(int argc, char **argv) {
    for (__wasi_fd_t fd = 3; fd < 16; fd++) {
        __wasi_prestat_t ps;
        if (__wasi_fd_prestat_get(fd, &ps) == 0) {
            sandbox = fd;
            break;
        }
    }
    CHECK(sandbox != (__wasi_fd_t)-1);
    const char *secret_host = argc > 1 ? argv[1] : "/etc/passwd";

    /* the legitimate paths work */
    CHECK(raw_open("sub/inner.txt", 0, 0) == 0);
    CHECK(raw_open("sub/../sub/./inner.txt", 0, 0) == 0);
    CHECK(raw_open("ok_link", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0) == 0);
    CHECK(raw_open(".", 0, 0) == 0);
    CHECK(raw_open("sub/..", 0, 0) == 0);

    /* .. above the root */
    must_fail("..", __WASI_ERRNO_NOTCAPABLE);
    must_fail("../secret.txt", __WASI_ERRNO_NOTCAPABLE);
    must_fail("sub/../../secret.txt", __WASI_ERRNO_NOTCAPABLE);
    must_fail("sub/../sub/../../secret.txt", __WASI_ERRNO_NOTCAPABLE);
    must_fail("./../secret.txt", __WASI_ERRNO_NOTCAPABLE);
    must_fail("sub//..//..//secret.txt", __WASI_ERRNO_NOTCAPABLE);
    /* absolute paths */
    must_fail("/etc/passwd", __WASI_ERRNO_NOTCAPABLE);
    must_fail(secret_host, __WASI_ERRNO_NOTCAPABLE);
    must_fail("/", __WASI_ERRNO_NOTCAPABLE);
    /* symlinks out: relative, absolute, to /, from a subdirectory, chained, via a dir */
    must_fail("link_out", __WASI_ERRNO_NOTCAPABLE);
    must_fail("link_abs", __WASI_ERRNO_NOTCAPABLE);
    must_fail("link_root/etc/passwd", __WASI_ERRNO_NOTCAPABLE);
    must_fail("sub/link_up", __WASI_ERRNO_NOTCAPABLE);
    must_fail("chain1", __WASI_ERRNO_NOTCAPABLE);
    must_fail("dirlink_out/secret.txt", __WASI_ERRNO_NOTCAPABLE);
    must_fail("sub/dirlink_up/secret.txt", __WASI_ERRNO_NOTCAPABLE);
    must_fail("loop1", __WASI_ERRNO_LOOP);
    /* without following, the final symlink itself is refused by O_NOFOLLOW */
    CHECK(raw_open("link_out", 0, 0) == __WASI_ERRNO_LOOP);
    /* but an intermediate symlink is always followed, and still checked */
    CHECK(raw_open("dirlink_out/secret.txt", 0, 0) == __WASI_ERRNO_NOTCAPABLE);
    /* creating through an escaping path */
    CHECK(raw_open("dirlink_out/created.txt", 0, __WASI_OFLAGS_CREAT) != 0);
    CHECK(raw_open("../created.txt", 0, __WASI_OFLAGS_CREAT) != 0);
    CHECK(raw_open("dangling_out", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, __WASI_OFLAGS_CREAT) != 0);

    /* the same through wasi-libc */
    CHECK_FAILS(open("/sandbox/../secret.txt", O_RDONLY), ENOTCAPABLE);
    CHECK_FAILS(open("/sandbox/link_out", O_RDONLY), ENOTCAPABLE);
    CHECK_FAILS(open("/sandbox/chain1", O_RDONLY), ENOTCAPABLE);
    CHECK(open("/etc/passwd", O_RDONLY) < 0);
    CHECK(open(secret_host, O_RDONLY) < 0);
    struct stat st;
    CHECK_FAILS(stat("/sandbox/../secret.txt", &st), ENOTCAPABLE);
    CHECK_FAILS(stat("/sandbox/link_out", &st), ENOTCAPABLE);
    CHECK(lstat("/sandbox/link_out", &st) == 0 && S_ISLNK(st.st_mode)); /* the link itself */
    CHECK_FAILS(stat("/sandbox/dirlink_out/secret.txt", &st), ENOTCAPABLE);
    CHECK_FAILS(mkdir("/sandbox/../evil_dir", 0755), ENOTCAPABLE);
    CHECK_FAILS(mkdir("/sandbox/dirlink_out/evil_dir", 0755), ENOTCAPABLE);
    CHECK_FAILS(rename("/sandbox/sub/inner.txt", "/sandbox/../stolen.txt"), ENOTCAPABLE);
    CHECK_FAILS(rename("/sandbox/../secret.txt", "/sandbox/stolen.txt"), ENOTCAPABLE);
    CHECK_FAILS(link("/sandbox/../secret.txt", "/sandbox/hard.txt"), ENOTCAPABLE);
    CHECK_FAILS(unlink("/sandbox/../secret.txt"), ENOTCAPABLE);
    CHECK_FAILS(unlink("/sandbox/dirlink_out/secret.txt"), ENOTCAPABLE);
    CHECK_FAILS(rmdir("/sandbox/.."), ENOTCAPABLE);
    CHECK_FAILS(symlink(secret_host, "/sandbox/new_abs_link"), ENOTCAPABLE);
    CHECK_FAILS(symlink("x", "/sandbox/../new_link"), ENOTCAPABLE);
    CHECK(symlink("../secret.txt", "/sandbox/made_out") == 0);     /* creating is harmless... */
    CHECK_FAILS(open("/sandbox/made_out", O_RDONLY), ENOTCAPABLE); /* ...following is not */
    CHECK(unlink("/sandbox/made_out") == 0);
    char buf[256];
    CHECK(readlink("/sandbox/link_out", buf, sizeof buf) > 0); /* reading a target is fine */
    CHECK_FAILS(readlink("/sandbox/../link", buf, sizeof buf), ENOTCAPABLE);
    /* the working directory cannot leave either */
    CHECK(chdir("/sandbox/sub") == 0);
    CHECK_FAILS(open("../../secret.txt", O_RDONLY), ENOTCAPABLE);
    CHECK(chdir("/sandbox") == 0);

    must_not_exist_outside("/sandbox/../created.txt");
    must_not_exist_outside("/sandbox/hard.txt");
    must_not_exist_outside("/sandbox/stolen.txt");
    FINISH();
}
