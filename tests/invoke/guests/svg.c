/* An SVG document, for content-type sniffing. */
#include <stdio.h>
int main(void) {
    fputs("  <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"></svg>\n", stdout);
    return 0;
}
