/* sieve.c - sieve of Eratosthenes over a byte array, repeated: memory stores, tight loops.
 * Usage: sieve [LIMIT] [REPEAT]   (defaults 20000000 6) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    uint32_t limit = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 20000000;
    uint32_t repeat = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 6;
    if (limit < 2) limit = 2;
    uint8_t *composite = malloc(limit + 1);
    if (!composite) return 1;
    uint32_t count = 0;
    uint64_t sum = 0, weighted = 0;
    for (uint32_t r = 0; r < repeat; r++) {
        memset(composite, 0, limit + 1);
        for (uint32_t i = 2; (uint64_t)i * i <= limit; i++) {
            if (composite[i]) continue;
            for (uint32_t j = i * i; j <= limit; j += i)
                composite[j] = 1;
        }
        count = 0;
        sum = 0;
        weighted = 0;
        for (uint32_t i = 2; i <= limit; i++) {
            if (!composite[i]) {
                count++;
                sum += i;
                weighted = weighted * 31 + i;
            }
        }
    }
    printf("primes<=%u: count=%u sum=%llu hash=%016llx\n", limit, count, (unsigned long long)sum,
           (unsigned long long)weighted);
    free(composite);
    return 0;
}
