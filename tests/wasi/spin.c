/* spin.c - never finishes; `sluice run --timeout` must stop it. */
int main(void) {
    volatile unsigned long n = 0;
    for (;;)
        n = n + 1;
}
