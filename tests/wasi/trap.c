/* trap.c - an integer division by zero traps; the CLI reports it and exits with 128. */
#include <stdio.h>

int main(int argc, char **argv) {
    (void)argv;
    volatile int zero = argc - 1;
    printf("before the trap\n");
    fflush(stdout);
    return 10 / zero;
}
