/* nofs.c - with nothing granted, the guest has no files, no environment, no preopens and
 * an empty stdin. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <wasi/api.h>

#include "check.h"

extern char **environ;

int main(void) {
    __wasi_prestat_t ps;
    CHECK(__wasi_fd_prestat_get(3, &ps) == __WASI_ERRNO_BADF);
    CHECK(environ[0] == NULL);
    CHECK(open("/etc/passwd", O_RDONLY) < 0);
    CHECK(open("x", O_RDONLY | O_CREAT, 0644) < 0);
    char c;
    CHECK(read(0, &c, 1) == 0);
    FINISH();
}
