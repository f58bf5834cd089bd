/* env.c - the environment is exactly the --env list: nothing inherited from the host. */
#include <stdlib.h>
#include <string.h>

#include "check.h"

extern char **environ;

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void) {
    size_t n = 0;
    while (environ[n])
        n++;
    char **sorted = malloc((n + 1) * sizeof *sorted);
    memcpy(sorted, environ, (n + 1) * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp);
    printf("count=%zu\n", n);
    for (size_t i = 0; i < n; i++)
        printf("[%s]\n", sorted[i]);
    const char *b = getenv("B");
    CHECK(b && !strcmp(b, "hello=world"));
    CHECK(getenv("PATH") == NULL);
    CHECK(getenv("HOME") == NULL);
    free(sorted);
    FINISH();
}
