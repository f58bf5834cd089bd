/* nbody.c - gravitational N-body simulation (symplectic Euler) over generated bodies: f64
 * arithmetic, sqrt and division in a tight loop over small arrays.
 * Usage: nbody [STEPS] [BODIES]   (defaults 2500000 8) */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct body {
    double x, y, z, vx, vy, vz, mass;
} body;

static uint32_t rng_state = 2463534242u;
/* xorshift32 mapped to [0, 1). */
static double uniform(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return (rng_state >> 8) * (1.0 / 16777216.0);
}

static double energy(const body *b, int n) {
    double e = 0;
    for (int i = 0; i < n; i++) {
        e += 0.5 * b[i].mass * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
        for (int j = i + 1; j < n; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
            e -= b[i].mass * b[j].mass / sqrt(dx * dx + dy * dy + dz * dz + 0.01);
        }
    }
    return e;
}

static void advance(body *b, int n, double dt) {
    for (int i = 0; i < n; i++) {
        for (int j = i + 1; j < n; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
            double d2 = dx * dx + dy * dy + dz * dz + 0.01; /* softened */
            double mag = dt / (d2 * sqrt(d2));
            double mi = b[i].mass * mag, mj = b[j].mass * mag;
            b[i].vx -= dx * mj;
            b[i].vy -= dy * mj;
            b[i].vz -= dz * mj;
            b[j].vx += dx * mi;
            b[j].vy += dy * mi;
            b[j].vz += dz * mi;
        }
    }
    for (int i = 0; i < n; i++) {
        b[i].x += dt * b[i].vx;
        b[i].y += dt * b[i].vy;
        b[i].z += dt * b[i].vz;
    }
}

int main(int argc, char **argv) {
    long steps = argc > 1 ? strtol(argv[1], NULL, 10) : 2500000;
    int n = argc > 2 ? atoi(argv[2]) : 8;
    if (n < 2) n = 2;
    body *b = calloc((size_t)n, sizeof *b);
    if (!b) return 1;
    /* A heavy central body and lighter ones on roughly circular orbits. */
    b[0].mass = 40.0;
    for (int i = 1; i < n; i++) {
        double r = 2.0 + 8.0 * uniform();
        double s = uniform() * 2 - 1, t = uniform() * 2 - 1;
        double len = sqrt(s * s + t * t) + 1e-9;
        b[i].x = r * s / len;
        b[i].y = r * t / len;
        b[i].z = 0.2 * (uniform() - 0.5);
        double v = sqrt(b[0].mass / r);
        b[i].vx = -v * t / len;
        b[i].vy = v * s / len;
        b[i].vz = 0.05 * (uniform() - 0.5);
        b[i].mass = 0.01 + 0.5 * uniform();
    }
    /* Zero the total momentum so the system stays put. */
    double px = 0, py = 0, pz = 0, m = 0;
    for (int i = 0; i < n; i++) {
        px += b[i].vx * b[i].mass;
        py += b[i].vy * b[i].mass;
        pz += b[i].vz * b[i].mass;
        m += b[i].mass;
    }
    for (int i = 0; i < n; i++) {
        b[i].vx -= px / m;
        b[i].vy -= py / m;
        b[i].vz -= pz / m;
    }
    printf("nbody n=%d steps=%ld\n", n, steps);
    printf("energy before: %.9f\n", energy(b, n));
    for (long s = 0; s < steps; s++)
        advance(b, n, 0.001);
    printf("energy after:  %.9f\n", energy(b, n));
    printf("body1 at (%.6f, %.6f, %.6f)\n", b[1].x, b[1].y, b[1].z);
    free(b);
    return 0;
}
