/* gendata.c - synthetic survey data for the benchmarks.
 *
 * Usage: gendata ROWS [SEED] > data.csv
 *
 * Writes a CSV with a header and the columns
 *   stratum  20 strata, "s01".."s20"
 *   psu      2000 PSUs numbered 1..2000 (100 per stratum, ids unique)
 *   weight   the stratum's base weight times a lognormal factor (> 0)
 *   y        a numeric with stratum and PSU effects
 *   f5       a factor of 5 levels "A".."E" (unequal shares)
 *   f4       a factor of 4 levels "w".."z"
 *   id       the row number
 * Each row falls in a PSU chosen uniformly at random, so rows are not
 * sorted by PSU (the loader and the design must not rely on order). The
 * same ROWS and SEED give the same file on every machine (GSL's mt19937).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#define NSTRATA 20
#define NPSU 2000

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: gendata ROWS [SEED] > data.csv\n");
        return 2;
    }
    char *end;
    errno = 0;
    unsigned long long rows = strtoull(argv[1], &end, 10);
    if (errno || *end || rows == 0) {
        fprintf(stderr, "gendata: ROWS must be a positive whole number\n");
        return 2;
    }
    unsigned long seed = 20261123;
    if (argc == 3) seed = strtoul(argv[2], NULL, 10);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) return 1;
    gsl_rng_set(r, seed);

    /* Stratum base weights and means; a random effect per PSU. */
    double basew[NSTRATA], mu[NSTRATA], effect[NPSU];
    for (int h = 0; h < NSTRATA; h++) {
        basew[h] = 20 + 10 * h + gsl_rng_uniform(r) * 30;
        mu[h] = 40 + h + gsl_ran_gaussian(r, 3);
    }
    for (int p = 0; p < NPSU; p++) effect[p] = gsl_ran_gaussian(r, 4);
    static const double p5[] = {0.35, 0.25, 0.2, 0.12, 0.08};
    static const char *const l5[] = {"A", "B", "C", "D", "E"};
    static const char *const l4[] = {"w", "x", "y", "z"};
    gsl_ran_discrete_t *d5 = gsl_ran_discrete_preproc(5, p5);
    if (!d5) return 1;

    static char buf[1 << 20];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    printf("stratum,psu,weight,y,f5,f4,id\n");
    for (unsigned long long i = 0; i < rows; i++) {
        int p = (int)gsl_rng_uniform_int(r, NPSU);
        int h = p / (NPSU / NSTRATA);
        double w = basew[h] * exp(gsl_ran_gaussian(r, 0.3));
        size_t k5 = gsl_ran_discrete(r, d5);
        double y = mu[h] + effect[p] + 2.0 * (double)k5 + gsl_ran_gaussian(r, 10);
        int k4 = (int)gsl_rng_uniform_int(r, 4);
        printf("s%02d,%d,%.4f,%.3f,%s,%s,%llu\n", h + 1, p + 1, w, y, l5[k5], l4[k4], i + 1);
    }
    gsl_ran_discrete_free(d5);
    gsl_rng_free(r);
    if (fflush(stdout) || ferror(stdout)) {
        perror("gendata");
        return 1;
    }
    return 0;
}
