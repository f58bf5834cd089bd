/* Traps after writing a little output and a log line. */
#include <stdio.h>
int main(void) {
    fputs("partial", stdout);
    fflush(stdout);
    fputs("about to trap\n", stderr);
    __builtin_trap();
}
