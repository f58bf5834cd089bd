/* Prints GREETING, or "none" when the function was not granted it. */
#include <stdio.h>
#include <stdlib.h>
int main(void) {
    const char *g = getenv("GREETING");
    fputs(g ? g : "none", stdout);
    return 0;
}
