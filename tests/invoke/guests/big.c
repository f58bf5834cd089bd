/* Writes 2 MiB. */
#include <stdio.h>
#include <string.h>
int main(void) {
    static char block[65536];
    memset(block, 'x', sizeof block);
    for (int i = 0; i < 32; i++)
        fwrite(block, 1, sizeof block, stdout);
    return 0;
}
