/* files.c - regular files in the preopened /sandbox: create, write, read, seek/tell,
 * pread/pwrite, append, truncate, stat, times, O_EXCL, and error cases. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

int main(void) {
    const char *path = "/sandbox/files_test.txt";
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, "hello, world\n", 13) == 13);
    CHECK(lseek(fd, 0, SEEK_CUR) == 13);
    CHECK(lseek(fd, 7, SEEK_SET) == 7);
    char buf[64] = {0};
    CHECK(read(fd, buf, 5) == 5 && !memcmp(buf, "world", 5));
    CHECK(lseek(fd, -6, SEEK_END) == 7);
    CHECK(lseek(fd, -100, SEEK_SET) < 0 && errno == EINVAL);

    /* pread/pwrite leave the position alone */
    off_t before = lseek(fd, 0, SEEK_CUR);
    CHECK(pwrite(fd, "HELLO", 5, 0) == 5);
    memset(buf, 0, sizeof buf);
    CHECK(pread(fd, buf, 13, 0) == 13 && !memcmp(buf, "HELLO, world\n", 13));
    CHECK(lseek(fd, 0, SEEK_CUR) == before);

    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 13 && S_ISREG(st.st_mode));
    CHECK(ftruncate(fd, 5) == 0);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 5);
    CHECK(ftruncate(fd, 100) == 0);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 100);
    CHECK(fsync(fd) == 0);
    CHECK(fdatasync(fd) == 0);
    CHECK(posix_fallocate(fd, 0, 200) == 0);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 200);
    CHECK(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) == 0);
    CHECK(close(fd) == 0);
    CHECK(close(fd) < 0 && errno == EBADF);

    /* append mode */
    fd = open(path, O_WRONLY | O_TRUNC);
    CHECK(fd >= 0 && write(fd, "one\n", 4) == 4);
    close(fd);
    fd = open(path, O_WRONLY | O_APPEND);
    CHECK(fd >= 0 && lseek(fd, 0, SEEK_SET) == 0 && write(fd, "two\n", 4) == 4);
    CHECK(fcntl(fd, F_GETFL) & O_APPEND);
    close(fd);

    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    char line[32];
    while (f && fgets(line, sizeof line, f))
        printf("line: %s", line);
    if (f) fclose(f);

    /* a read-only descriptor cannot write, a write-only one cannot read */
    fd = open(path, O_RDONLY);
    CHECK(fd >= 0 && write(fd, "x", 1) < 0);
    close(fd);
    fd = open(path, O_WRONLY);
    CHECK(fd >= 0 && read(fd, buf, 1) < 0);
    close(fd);

    /* errors */
    CHECK_FAILS(open(path, O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
    CHECK_FAILS(open("/sandbox/does/not/exist", O_RDONLY), ENOENT);
    CHECK_FAILS(open("/sandbox/files_test.txt/x", O_RDONLY), ENOTDIR);
    CHECK_FAILS(open("/sandbox/files_test.txt/", O_RDONLY), ENOTDIR);
    CHECK_FAILS(open("/sandbox", O_WRONLY), EISDIR);

    /* times */
    struct timespec ts[2] = {{1000000000, 0}, {1234567890, 500}};
    CHECK(utimensat(AT_FDCWD, path, ts, 0) == 0);
    CHECK(stat(path, &st) == 0 && st.st_mtim.tv_sec == 1234567890 &&
          st.st_atim.tv_sec == 1000000000);
    fd = open(path, O_RDONLY);
    struct timespec ts2[2] = {{1500000000, 0}, {1500000001, 0}};
    CHECK(futimens(fd, ts2) == 0);
    CHECK(fstat(fd, &st) == 0 && st.st_atim.tv_sec == 1500000000 &&
          st.st_mtim.tv_sec == 1500000001);
    close(fd);

    /* a big write and read back */
    char *big = malloc(1 << 20), *back = malloc(1 << 20);
    for (int i = 0; i < 1 << 20; i++)
        big[i] = (char)(i * 7);
    fd = open("/sandbox/big.bin", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(write(fd, big, 1 << 20) == 1 << 20);
    CHECK(pread(fd, back, 1 << 20, 0) == 1 << 20 && !memcmp(big, back, 1 << 20));
    close(fd);
    CHECK(unlink("/sandbox/big.bin") == 0);
    free(big);
    free(back);

    CHECK(unlink(path) == 0);
    CHECK_FAILS(unlink(path), ENOENT);
    FINISH();
}
