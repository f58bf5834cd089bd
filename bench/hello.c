/* hello.c - the smallest WASI program: startup + one write. */
#include <stdio.h>

int main(void) {
    puts("hello, world");
    return 0;
}
