/* stdio.c - reading all of stdin, writing stdout and stderr. Prints stdin upper-cased. */
#include <ctype.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

int main(void) {
    static char buf[1 << 20];
    size_t n = 0;
    ssize_t r;
    while ((r = read(0, buf + n, sizeof buf - n)) > 0)
        n += (size_t)r;
    CHECK(r == 0);
    printf("read %zu bytes\n", n);
    for (size_t i = 0; i < n; i++)
        putchar(toupper((unsigned char)buf[i]));
    fprintf(stderr, "this goes to stderr\n");
    fflush(stdout); /* so the unbuffered write below lands after it */
    CHECK(write(1, "raw write\n", 10) == 10);
    FINISH();
}
