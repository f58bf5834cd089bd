/* check.h - tiny assertion helpers shared by the WASI guest tests. A test prints its
 * deterministic findings on stdout, failures on stderr, and exits 1 if any check failed. */
#ifndef WASI_TEST_CHECK_H
#define WASI_TEST_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s (errno %d: %s)\n", __FILE__, __LINE__, #cond, \
                    errno, strerror(errno));                                                       \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* `call` must fail (return < 0) with errno `err`. */
#define CHECK_FAILS(call, err)                                                                     \
    do {                                                                                           \
        errno = 0;                                                                                 \
        long r_ = (long)(call);                                                                    \
        if (r_ >= 0 || errno != (err)) {                                                           \
            fprintf(stderr, "%s:%d: expected %s to fail with %s, got %ld (errno %d: %s)\n",        \
                    __FILE__, __LINE__, #call, #err, r_, errno, strerror(errno));                  \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

#define FINISH()                                                                                   \
    do {                                                                                           \
        puts(failures ? "FAIL" : "ok");                                                            \
        return failures ? 1 : 0;                                                                   \
    } while (0)

#endif
