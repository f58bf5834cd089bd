/* efault.c - WASI calls given pointers outside linear memory (or lengths running past its
 * end) must return EFAULT, never crash the host or write anywhere. Sluice only. */
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <wasi/api.h>

#include "check.h"

#define IMPORT(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(name)))
IMPORT("fd_write") int32_t raw_fd_write(int32_t, int32_t, int32_t, int32_t);
IMPORT("fd_read") int32_t raw_fd_read(int32_t, int32_t, int32_t, int32_t);
IMPORT("args_get") int32_t raw_args_get(int32_t, int32_t);
IMPORT("args_sizes_get") int32_t raw_args_sizes_get(int32_t, int32_t);
IMPORT("clock_time_get") int32_t raw_clock_time_get(int32_t, int64_t, int32_t);
IMPORT("random_get") int32_t raw_random_get(int32_t, int32_t);
IMPORT("fd_fdstat_get") int32_t raw_fd_fdstat_get(int32_t, int32_t);
IMPORT("fd_prestat_dir_name") int32_t raw_fd_prestat_dir_name(int32_t, int32_t, int32_t);
typedef int32_t i32;
typedef int64_t i64;
IMPORT("path_open") i32 raw_path_open(i32, i32, i32, i32, i32, i64, i64, i32, i32);
IMPORT("path_filestat_get") i32 raw_path_filestat_get(i32, i32, i32, i32, i32);
IMPORT("poll_oneoff") int32_t raw_poll_oneoff(int32_t, int32_t, int32_t, int32_t);
IMPORT("proc_raise") int32_t raw_proc_raise(int32_t);
IMPORT("fd_readdir") int32_t raw_fd_readdir(int32_t, int32_t, int32_t, int64_t, int32_t);

#define EFAULT_ __WASI_ERRNO_FAULT

int main(void) {
    int32_t top = (int32_t)(__builtin_wasm_memory_size(0) * 65536); /* first byte past memory */
    static uint32_t iov[2];
    static char text[] = "hi\n";
    static uint32_t out;
    int32_t ok = (int32_t)(uintptr_t)&out;

    /* iovec array outside memory, iovec buffer outside memory, buffer running off the end */
    CHECK(raw_fd_write(1, top, 1, ok) == EFAULT_);
    CHECK(raw_fd_write(1, -8, 1, ok) == EFAULT_);
    iov[0] = (uint32_t)top - 2, iov[1] = 3;
    CHECK(raw_fd_write(1, (int32_t)(uintptr_t)iov, 1, ok) == EFAULT_);
    iov[0] = 0xfffffff0u, iov[1] = 0x20;
    CHECK(raw_fd_write(1, (int32_t)(uintptr_t)iov, 1, ok) == EFAULT_);
    /* the result pointer is bad: nothing is written at all */
    iov[0] = (uint32_t)(uintptr_t)text, iov[1] = 3;
    CHECK(raw_fd_write(1, (int32_t)(uintptr_t)iov, 1, top - 3) == EFAULT_);
    CHECK(raw_fd_read(0, (int32_t)(uintptr_t)iov, 1, -1) == EFAULT_);

    CHECK(raw_args_sizes_get(top, ok) == EFAULT_);
    CHECK(raw_args_get(ok, top - 2) == EFAULT_); /* argv[0] does not fit */
    CHECK(raw_clock_time_get(0, 0, top - 7) == EFAULT_);
    CHECK(raw_clock_time_get(0, 0, -1) == EFAULT_);
    CHECK(raw_random_get(top - 10, 11) == EFAULT_);
    CHECK(raw_random_get(-1, 2) == EFAULT_);
    CHECK(raw_random_get(top, 0) == 0); /* an empty range at the very end is in bounds */
    CHECK(raw_fd_fdstat_get(1, top - 23) == EFAULT_);
    CHECK(raw_fd_prestat_dir_name(3, top - 1, 100) == EFAULT_);
    CHECK(raw_path_open(3, 0, top - 2, 10, 0, 0, 0, 0, ok) == EFAULT_);
    CHECK(raw_path_open(3, 0, (int32_t)(uintptr_t) "x", 1, 1, -1, -1, 0, top) == EFAULT_);
    CHECK(raw_path_filestat_get(3, 0, (int32_t)(uintptr_t) ".", 1, top - 63) == EFAULT_);
    CHECK(raw_poll_oneoff(top - 47, ok, 1, ok) == EFAULT_);
    CHECK(raw_poll_oneoff(ok, ok, 0x10000000, ok) == EFAULT_);
    CHECK(raw_fd_readdir(3, top - 10, 100, 0, ok) == EFAULT_);

    /* bad descriptors and values */
    CHECK(raw_fd_write(99, (int32_t)(uintptr_t)iov, 1, ok) == __WASI_ERRNO_BADF);
    CHECK(raw_fd_write(-1, (int32_t)(uintptr_t)iov, 1, ok) == __WASI_ERRNO_BADF);
    CHECK(raw_clock_time_get(99, 0, ok) == __WASI_ERRNO_INVAL);
    __wasi_fd_t fd;
    CHECK(__wasi_path_open(3, 0, "", 0, 0, 0, 0, &fd) == __WASI_ERRNO_NOENT);
    /* stdin cannot be written, stdout cannot be read */
    CHECK(raw_fd_write(0, (int32_t)(uintptr_t)iov, 1, ok) == __WASI_ERRNO_NOTCAPABLE);
    CHECK(raw_fd_read(1, (int32_t)(uintptr_t)iov, 1, ok) == __WASI_ERRNO_NOTCAPABLE);
    /* A directory opens with read rights, with O_DIRECTORY or without, but never for writing:
     * that is EISDIR, as the host's open(2) says (it used to be opened read-only instead,
     * O_DIRECTORY hiding the write rights asked for). O_DIRECTORY on a file is ENOTDIR. */
    const __wasi_rights_t rw = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE;
    CHECK(__wasi_path_open(3, 0, ".", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READ, 0, 0, &fd) ==
              0 &&
          __wasi_fd_close(fd) == 0);
    CHECK(__wasi_path_open(3, 0, ".", __WASI_OFLAGS_DIRECTORY, rw, 0, 0, &fd) ==
          __WASI_ERRNO_ISDIR);
    CHECK(__wasi_path_open(3, 0, "sub", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_WRITE, 0, 0,
                           &fd) == __WASI_ERRNO_ISDIR);
    CHECK(__wasi_path_open(3, 0, "sub/", 0, rw, 0, 0, &fd) == __WASI_ERRNO_ISDIR);
    CHECK(__wasi_path_open(3, 0, ".", 0, rw, 0, 0, &fd) == __WASI_ERRNO_ISDIR);
    CHECK(__wasi_path_open(3, 0, "sub/inner.txt", __WASI_OFLAGS_DIRECTORY, rw, 0, 0, &fd) ==
          __WASI_ERRNO_NOTDIR);
    CHECK(__wasi_path_open(3, 0, "sub/inner.txt", 0, rw, 0, 0, &fd) == 0 &&
          __wasi_fd_close(fd) == 0);

    /* No network: stdio, a preopen and files are no sockets (ENOTSOCK, as shutdown(2) and
     * recv(2) say), a closed descriptor is EBADF. No signals either. */
    CHECK(__wasi_sock_shutdown(1, __WASI_SDFLAGS_RD) == __WASI_ERRNO_NOTSOCK);
    CHECK(__wasi_sock_shutdown(3, __WASI_SDFLAGS_WR) == __WASI_ERRNO_NOTSOCK);
    CHECK(__wasi_sock_shutdown(99, __WASI_SDFLAGS_WR) == __WASI_ERRNO_BADF);
    __wasi_fd_t conn;
    CHECK(__wasi_sock_accept(3, 0, &conn) == __WASI_ERRNO_NOTSOCK);
    CHECK(__wasi_sock_accept(99, 0, &conn) == __WASI_ERRNO_BADF);
    char byte;
    __wasi_iovec_t riov = {.buf = (uint8_t *)&byte, .buf_len = 1};
    __wasi_ciovec_t siov = {.buf = (const uint8_t *)text, .buf_len = 1};
    __wasi_size_t moved;
    __wasi_roflags_t roflags;
    CHECK(__wasi_sock_recv(0, &riov, 1, 0, &moved, &roflags) == __WASI_ERRNO_NOTSOCK);
    CHECK(__wasi_sock_send(1, &siov, 1, 0, &moved) == __WASI_ERRNO_NOTSOCK);
    CHECK(raw_proc_raise(15) == __WASI_ERRNO_NOSYS);
    CHECK(__wasi_sched_yield() == 0);
    struct pollfd bad = {.fd = 42, .events = POLLIN};
    CHECK(poll(&bad, 1, 0) == 1 && (bad.revents & POLLNVAL));
    FINISH();
}
