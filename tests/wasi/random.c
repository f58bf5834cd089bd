/* random.c - random_get fills buffers (large and small) with unpredictable bytes. */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

int main(void) {
    static unsigned char a[4096], b[4096];
    CHECK(getentropy(a, 256) == 0);
    CHECK(getentropy(b, 256) == 0);
    CHECK(memcmp(a, b, 256) != 0);
    arc4random_buf(a, sizeof a);
    int zeros = 0;
    for (size_t i = 0; i < sizeof a; i++)
        zeros += a[i] == 0;
    CHECK(zeros < 100); /* ~16 expected */
    unsigned r1 = arc4random(), r2 = arc4random(), r3 = arc4random();
    CHECK(!(r1 == r2 && r2 == r3));
    FINISH();
}
