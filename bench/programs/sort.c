/* sort.c - sorts generated 32-bit integers with a hand-written quicksort (median of three,
 * insertion sort for short runs) and a top-down mergesort, then checks both agree:
 * data-dependent branches, indirect memory access, recursion.
 * Usage: sort [COUNT] [ROUNDS]   (defaults 1000000 4) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void insertion_sort(int32_t *a, long n) {
    for (long i = 1; i < n; i++) {
        int32_t v = a[i];
        long j = i - 1;
        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static void swap(int32_t *a, int32_t *b) {
    int32_t t = *a;
    *a = *b;
    *b = t;
}

static void quicksort(int32_t *a, long n) {
    while (n > 16) {
        long mid = n / 2;
        if (a[mid] < a[0]) swap(&a[mid], &a[0]);
        if (a[n - 1] < a[0]) swap(&a[n - 1], &a[0]);
        if (a[n - 1] < a[mid]) swap(&a[n - 1], &a[mid]);
        int32_t pivot = a[mid];
        long i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i >= j) break;
            swap(&a[i], &a[j]);
            i++;
            j--;
        }
        /* Recurse on the smaller part, loop on the larger (bounded stack depth). */
        long left = j + 1;
        if (left < n - left) {
            quicksort(a, left);
            a += left;
            n -= left;
        } else {
            quicksort(a + left, n - left);
            n = left;
        }
    }
    insertion_sort(a, n);
}

static void merge_sort_rec(int32_t *a, int32_t *tmp, long n) {
    if (n <= 24) {
        insertion_sort(a, n);
        return;
    }
    long h = n / 2;
    merge_sort_rec(a, tmp, h);
    merge_sort_rec(a + h, tmp, n - h);
    if (a[h - 1] <= a[h]) return;
    memcpy(tmp, a, (size_t)h * sizeof *a);
    long i = 0, j = h, k = 0;
    while (i < h && j < n)
        a[k++] = tmp[i] <= a[j] ? tmp[i++] : a[j++];
    while (i < h)
        a[k++] = tmp[i++];
}

int main(int argc, char **argv) {
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    int rounds = argc > 2 ? atoi(argv[2]) : 4;
    if (n < 1) n = 1;
    int32_t *src = malloc((size_t)n * sizeof *src), *q = malloc((size_t)n * sizeof *q);
    int32_t *m = malloc((size_t)n * sizeof *m), *tmp = malloc((size_t)n * sizeof *tmp);
    if (!src || !q || !m || !tmp) return 1;
    uint64_t x = 88172645463325252ull, check = 0;
    for (int r = 0; r < rounds; r++) {
        /* Each round uses a different distribution: random, few distinct values, nearly
         * sorted, and descending runs. */
        for (long i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            switch (r % 4) {
            case 0: src[i] = (int32_t)(uint32_t)x; break;
            case 1: src[i] = (int32_t)(x % 100); break;
            case 2: src[i] = (int32_t)(i * 3 + (long)(x % 7)); break;
            default: src[i] = (int32_t)((n - i) % 1000) * 1000 + (int32_t)(x % 1000); break;
            }
        }
        memcpy(q, src, (size_t)n * sizeof *q);
        memcpy(m, src, (size_t)n * sizeof *m);
        quicksort(q, n);
        merge_sort_rec(m, tmp, n);
        for (long i = 0; i < n; i++) {
            if (q[i] != m[i] || (i && q[i - 1] > q[i])) {
                printf("sort: MISMATCH in round %d at %ld\n", r, i);
                return 1;
            }
            check = check * 1000003u + (uint32_t)q[i];
        }
        check ^= (uint64_t)(uint32_t)q[n / 2] << 32;
    }
    printf("sort n=%ld rounds=%d: min=%d max=%d check=%016llx\n", n, rounds, q[0], q[n - 1],
           (unsigned long long)check);
    free(src);
    free(q);
    free(m);
    free(tmp);
    return 0;
}
