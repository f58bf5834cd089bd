/* fib.c - naive doubly recursive Fibonacci: measures call/return overhead and integer ops.
 * Usage: fib [N]   (default 42) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t fib(uint32_t n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv) {
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 42;
    printf("fib(%u) = %u\n", n, fib(n));
    return 0;
}
