/* Fails the way a C program does: a non-zero exit code. */
int main(void) {
    return 3;
}
