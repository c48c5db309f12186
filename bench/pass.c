/* pass.c - the plain-pass baseline of the benchmarks: one pass over n rows
 * of a weight, a numeric and a PSU code in memory, summing w y and w per
 * PSU (the work of a mean's totals, nothing else).
 *
 * Usage: pass ROWS [RUNS]    prints "best MEDIAN" seconds of RUNS passes
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NPSU 2000

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: pass ROWS [RUNS]\n");
        return 2;
    }
    size_t n = strtoull(argv[1], NULL, 10);
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    if (n == 0 || runs < 1 || runs > 100) return 2;
    double *w = malloc(n * sizeof *w), *y = malloc(n * sizeof *y), t[100];
    int32_t *psu = malloc(n * sizeof *psu);
    static double S[NPSU][2];
    if (!w || !y || !psu) return 1;
    uint64_t s = 88172645463325252u;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        w[i] = 50 + (double)(s % 1000) / 10;
        y[i] = (double)(s >> 20 & 0xffff) / 1000;
        psu[i] = (int32_t)((s >> 40) % NPSU);
    }
    double check = 0;
    for (int r = 0; r < runs; r++) {
        memset(S, 0, sizeof S);
        double t0 = now();
        for (size_t i = 0; i < n; i++) {
            S[psu[i]][0] += w[i] * y[i];
            S[psu[i]][1] += w[i];
        }
        t[r] = now() - t0;
        for (int p = 0; p < NPSU; p++) check += S[p][0] / (S[p][1] + 1);
    }
    qsort(t, (size_t)runs, sizeof *t, cmp);
    printf("%.4f %.4f\n", t[0], t[runs / 2]);
    fprintf(stderr, "(checksum %g)\n", check);
    free(w);
    free(y);
    free(psu);
    return 0;
}
