/* args.c - the guest sees exactly the arguments it was given (argv[0] aside). */
#include <stdio.h>

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=[%s]\n", i, argv[i]);
    return 0;
}
