/* gendata.c - synthetic survey data for the benchmarks.
 *
 * Usage: gendata ROWS [SEED [MARGINS]] > data.csv
 *
 * Writes a CSV with a header and the columns
 *   stratum  20 strata, "s01".."s20"
 *   psu      2000 PSUs numbered 1..2000 (100 per stratum, ids unique) of
 *            unequal sizes (expected sizes lognormal, sd 0.5 on the log scale)
 *   weight   the stratum's base weight times a lognormal factor (> 0)
 *   y        a numeric with stratum and PSU effects
 *   f5       a factor of 5 levels "A".."E" (unequal shares)
 *   f4       a factor of 4 levels "w".."z" whose shares depend on f5
 *   id       the row number
 * With MARGINS, population margins for f5 and f4 (population 150 x ROWS,
 * shares that differ from the sample's) are written to that file as lines
 * "VARIABLE LEVEL COUNT", for raking.
 * Each row falls in a PSU chosen at random, so rows are not
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
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: gendata ROWS [SEED [MARGINS]] > data.csv\n");
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
    if (argc >= 3) seed = strtoul(argv[2], NULL, 10);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) return 1;
    gsl_rng_set(r, seed);

    /* Stratum base weights and means; a random effect per PSU. */
    double basew[NSTRATA], mu[NSTRATA], effect[NPSU];
    for (int h = 0; h < NSTRATA; h++) {
        basew[h] = 20 + 10 * h + gsl_rng_uniform(r) * 30;
        mu[h] = 40 + h + gsl_ran_gaussian(r, 3);
    }
    double size[NPSU];
    for (int p = 0; p < NPSU; p++) {
        effect[p] = gsl_ran_gaussian(r, 4);
        size[p] = exp(gsl_ran_gaussian(r, 0.5));
    }
    gsl_ran_discrete_t *dp = gsl_ran_discrete_preproc(NPSU, size);
    /* f4 given f5: the shares tilt towards later levels as f5 goes on. */
    static const double p4[5][4] = {{0.4, 0.3, 0.2, 0.1},
                                    {0.3, 0.3, 0.25, 0.15},
                                    {0.25, 0.25, 0.25, 0.25},
                                    {0.15, 0.25, 0.3, 0.3},
                                    {0.1, 0.2, 0.3, 0.4}};
    gsl_ran_discrete_t *d4[5];
    for (int k = 0; k < 5; k++) d4[k] = gsl_ran_discrete_preproc(4, p4[k]);
    static const double p5[] = {0.35, 0.25, 0.2, 0.12, 0.08};
    static const char *const l5[] = {"A", "B", "C", "D", "E"};
    static const char *const l4[] = {"w", "x", "y", "z"};
    gsl_ran_discrete_t *d5 = gsl_ran_discrete_preproc(5, p5);
    if (!d5 || !dp || !d4[0] || !d4[1] || !d4[2] || !d4[3] || !d4[4]) return 1;
    if (argc == 4) {
        /* Population margins: 150 per sample row, shares off the sample's. */
        static const double m5[] = {0.3, 0.25, 0.2, 0.15, 0.1};
        static const double m4[] = {0.3, 0.3, 0.2, 0.2};
        FILE *m = fopen(argv[3], "w");
        if (!m) {
            perror(argv[3]);
            return 1;
        }
        double N = 150.0 * (double)rows;
        for (int k = 0; k < 5; k++) fprintf(m, "f5 %s %.0f\n", l5[k], m5[k] * N);
        for (int k = 0; k < 4; k++) fprintf(m, "f4 %s %.0f\n", l4[k], m4[k] * N);
        if (fclose(m)) {
            perror(argv[3]);
            return 1;
        }
    }

    static char buf[1 << 20];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    printf("stratum,psu,weight,y,f5,f4,id\n");
    for (unsigned long long i = 0; i < rows; i++) {
        int p = (int)gsl_ran_discrete(r, dp);
        int h = p / (NPSU / NSTRATA);
        double w = basew[h] * exp(gsl_ran_gaussian(r, 0.3));
        size_t k5 = gsl_ran_discrete(r, d5);
        double y = mu[h] + effect[p] + 2.0 * (double)k5 + gsl_ran_gaussian(r, 10);
        int k4 = (int)gsl_ran_discrete(r, d4[k5]);
        printf("s%02d,%d,%.4f,%.3f,%s,%s,%llu\n", h + 1, p + 1, w, y, l5[k5], l4[k4], i + 1);
    }
    gsl_ran_discrete_free(d5);
    gsl_ran_discrete_free(dp);
    for (int k = 0; k < 5; k++) gsl_ran_discrete_free(d4[k]);
    gsl_rng_free(r);
    if (fflush(stdout) || ferror(stdout)) {
        perror("gendata");
        return 1;
    }
    return 0;
}
