# gen_bigmod.awk - emits a C program with N distinct, non-trivial functions, all reachable
# through a function table, so its wasm build is a large module for the compile benchmark.
# Usage: awk -v N=3000 -f bench/gen_bigmod.awk > big.c
BEGIN {
    srand(7);
    print "#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>";
    print "typedef uint32_t (*fn_t)(uint32_t, uint32_t);";
    print "static uint32_t data[256];";
    for (i = 0; i < N; i++) {
        c1 = int(rand() * 4294967295); c2 = int(rand() * 65535) * 2 + 1; c3 = 1 + int(rand() * 30);
        c4 = int(rand() * 1000); c5 = int(rand() * 255);
        printf "static uint32_t f%d(uint32_t a, uint32_t b) {\n", i;
        printf "    uint32_t s = a ^ %uu; uint64_t w = (uint64_t)b * %uu;\n", c1, c2;
        printf "    for (uint32_t i = 0; i < (b & 15u) + %d; i++) {\n", c3 % 5;
        printf "        switch ((s + i) %% 5u) {\n";
        printf "        case 0: s = s * %uu + i; break;\n", c2;
        printf "        case 1: s ^= s >> %d; data[(s + %d) & 255] += s; break;\n", c3, c5;
        printf "        case 2: w = w * 6364136223846793005ull + s; s += (uint32_t)(w >> %d); break;\n", c3 + 16;
        printf "        case 3: { double d = (double)(s & 0xffffu) * %d.25 + %d.0; if (d > %d.5) s += (uint32_t)(d / 3.0); break; }\n", c4, c5, c4 * 100;
        printf "        default: s = (s << %d) | (s >> %d); s -= data[(i * %d) & 255];\n", c3, 32 - c3, c5 + 1;
        printf "        }\n    }\n";
        printf "    if (s %% %du == 0) return (uint32_t)w ^ data[%d];\n", c4 + 2, c5;
        printf "    return s + (uint32_t)(w >> 32);\n}\n";
    }
    printf "static const fn_t table[%d] = {", N;
    for (i = 0; i < N; i++) printf "%sf%d", (i ? ", " : ""), i;
    print "};";
    print "int main(int argc, char **argv) {";
    print "    uint32_t s = (uint32_t)argc, n = argc > 1 ? (uint32_t)atoi(argv[1]) : 1000;";
    printf "    for (uint32_t i = 0; i < n; i++) s = table[(s + i) %% %du](s, i);\n", N;
    print "    printf(\"bigmod: %u\\n\", s);\n    return 0;\n}";
}
