/* memlimit.c - allocates argv[1] MiB; under --max-memory smaller than that, malloc must
 * fail cleanly (memory.grow returns -1) rather than trap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 32;
    char *p = malloc(mib << 20);
    if (!p) {
        puts("alloc failed");
        return 0;
    }
    memset(p, 1, mib << 20);
    /* use the memory, so the compiler cannot drop the allocation */
    printf("alloc %s\n", p[(mib << 20) - 1] == 1 ? "ok" : "corrupt");
    free(p);
    return 0;
}
