/* Succeeds, and writes a marker line to stderr (for the function's log): "ok" on stdout. */
#include <stdio.h>
int main(void) {
    char buf[4096];
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
        total += n;
    fprintf(stderr, "noisy-stderr-marker: read %zu bytes\n", total);
    puts("ok");
    return 0;
}
