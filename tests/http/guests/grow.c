/* Allocates (and touches) as many MiB as the request body says (default 32), one MiB at a
 * time, then answers "grew N MiB". Past the function's memory_mib, memory.grow fails, malloc
 * returns NULL and the guest aborts (a trap): the gateway answers 500. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
    char buf[32] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, stdin);
    buf[n] = 0;
    int want = atoi(buf);
    if (want <= 0 || want > 1024) want = 32;
    static char *blocks[1024]; /* kept and read back, so the compiler cannot drop them */
    unsigned sum = 0;
    for (int i = 0; i < want; i++) {
        blocks[i] = malloc(1 << 20);
        if (!blocks[i]) {
            fprintf(stderr, "grow: out of memory after %d MiB\n", i);
            abort();
        }
        memset(blocks[i], i + 1, 1 << 20);
    }
    for (int i = 0; i < want; i++)
        sum += (unsigned char)blocks[i][i * 4097 % (1 << 20)];
    printf("grew %d MiB (%u)\n", want, sum);
    return 0;
}
