/* Busy-waits for as many milliseconds as the request body says (default 800), by the
 * monotonic clock, then answers "slept N ms": a slow function for the concurrency limit and
 * for graceful shutdown with a request in flight. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
int main(void) {
    char buf[32] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, stdin);
    buf[n] = 0;
    int ms = atoi(buf);
    if (ms <= 0) ms = 800;
    long long end = now_ms() + ms;
    volatile unsigned spins = 0;
    while (now_ms() < end)
        spins++;
    printf("slept %d ms\n", ms);
    return 0;
}
