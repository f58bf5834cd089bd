/* Not the integration JSON it should be. */
#include <stdio.h>
int main(void) {
    fputs("this is not json", stdout);
    return 0;
}
