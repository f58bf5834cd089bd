/* poll.c - poll_oneoff through poll(): stdin readiness, stdout writability, timeouts. */
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

int main(void) {
    /* stdout is writable at once; stdin may become readable later (a pipe) */
    struct pollfd p[2] = {{.fd = 0, .events = POLLIN}, {.fd = 1, .events = POLLOUT}};
    CHECK(poll(p, 2, 5000) >= 1);
    CHECK(p[1].revents & POLLOUT);
    struct pollfd in = {.fd = 0, .events = POLLIN};
    CHECK(poll(&in, 1, 5000) == 1 && (in.revents & POLLIN));
    char buf[64] = {0};
    ssize_t r = read(0, buf, sizeof buf - 1);
    printf("stdin: %s", r > 0 ? buf : "(nothing)\n");

    /* a pure timeout */
    struct timespec t, u;
    clock_gettime(CLOCK_MONOTONIC, &t);
    CHECK(poll(NULL, 0, 30) == 0);
    clock_gettime(CLOCK_MONOTONIC, &u);
    long long ms = (u.tv_sec - t.tv_sec) * 1000LL + (u.tv_nsec - t.tv_nsec) / 1000000;
    CHECK(ms >= 29 && ms < 5000);

    FINISH();
}
