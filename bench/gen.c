/* gen.c - a seeded synthetic survey file for the benchmarks.
 *
 * Usage: gen [-n ROWS] [-s SEED] [-o FILE]
 *
 * Writes a CSV with a header and ROWS rows (default 1000000) of a stratified
 * two-stage design: 20 strata, 2000 primary sampling units numbered 1..2000
 * and nested in the strata (PSUs 1-100 in stratum 1, 101-200 in stratum 2,
 * ...), rows spread over the PSUs at random. The columns are
 *
 *   stratum  1..20
 *   psu      1..2000
 *   weight   a positive design weight: a stratum base weight times a
 *            lognormal adjustment (sd 0.3 on the log scale)
 *   y        numeric: stratum and PSU effects, a shift by f5 and noise
 *   f5       a factor with 5 levels (a..e, unequal shares)
 *   f4       a factor with 4 levels (w..z)
 *   id       the row number, 1..ROWS
 *
 * The same seed gives the same bytes on every machine (GSL's MT19937 and
 * fixed decimal formatting), so timings are comparable across runs. With
 * the default seed, 1e6 rows are about 34 MB.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#define NSTRATA      20
#define NPSU         2000
#define DEFAULT_ROWS 1000000ul
#define DEFAULT_SEED 20240611ul

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: gen [-n ROWS] [-s SEED] [-o FILE]\n"
            "Write a synthetic stratified, clustered survey file as CSV (default: %lu rows,\n"
            "seed %lu, to standard output).\n",
            DEFAULT_ROWS, DEFAULT_SEED);
}

static int parse_count(const char *s, unsigned long *out)
{
    char *end;
    errno = 0;
    /* Accept 1e6 as well as 1000000. */
    double d = strtod(s, &end);
    if (errno || *end || !(d >= 0) || d > 1e12 || d != (double)(unsigned long)d) return -1;
    *out = (unsigned long)d;
    return 0;
}

int main(int argc, char **argv)
{
    unsigned long rows = DEFAULT_ROWS, seed = DEFAULT_SEED;
    const char *path = NULL;
    int c;
    while ((c = getopt(argc, argv, "n:s:o:h")) != -1) {
        switch (c) {
        case 'n':
            if (parse_count(optarg, &rows)) {
                fprintf(stderr, "gen: -n takes a number of rows, not \"%s\"\n", optarg);
                return 2;
            }
            break;
        case 's':
            if (parse_count(optarg, &seed)) {
                fprintf(stderr, "gen: -s takes a non-negative whole number, not \"%s\"\n", optarg);
                return 2;
            }
            break;
        case 'o':
            path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    FILE *out = stdout;
    if (path && !(out = fopen(path, "w"))) {
        fprintf(stderr, "gen: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    static char obuf[1 << 16];
    setvbuf(out, obuf, _IOFBF, sizeof obuf);

    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) {
        fprintf(stderr, "gen: out of memory\n");
        return 1;
    }
    gsl_rng_set(rng, seed);

    /* Fixed design parameters, drawn first so they do not depend on ROWS. */
    double base_weight[NSTRATA], stratum_effect[NSTRATA], psu_effect[NPSU];
    for (int h = 0; h < NSTRATA; h++) {
        base_weight[h] = 20.0 + 10.0 * h;
        stratum_effect[h] = gsl_ran_gaussian(rng, 8.0);
    }
    for (int p = 0; p < NPSU; p++) psu_effect[p] = gsl_ran_gaussian(rng, 3.0);
    /* Unequal level shares so the factors are not trivially balanced. */
    static const double f5_share[5] = {0.35, 0.25, 0.2, 0.12, 0.08};
    static const double f4_share[4] = {0.4, 0.3, 0.2, 0.1};
    gsl_ran_discrete_t *d5 = gsl_ran_discrete_preproc(5, f5_share);
    gsl_ran_discrete_t *d4 = gsl_ran_discrete_preproc(4, f4_share);
    if (!d5 || !d4) {
        fprintf(stderr, "gen: out of memory\n");
        return 1;
    }

    fputs("stratum,psu,weight,y,f5,f4,id\n", out);
    for (unsigned long i = 1; i <= rows; i++) {
        int psu = (int)gsl_rng_uniform_int(rng, NPSU);
        int h = psu / (NPSU / NSTRATA);
        double w = base_weight[h] * exp(gsl_ran_gaussian(rng, 0.3));
        int l5 = (int)gsl_ran_discrete(rng, d5);
        int l4 = (int)gsl_ran_discrete(rng, d4);
        double y =
            50.0 + stratum_effect[h] + psu_effect[psu] + 2.5 * l5 + gsl_ran_gaussian(rng, 10.0);
        fprintf(out, "%d,%d,%.4f,%.4f,%c,%c,%lu\n", h + 1, psu + 1, w, y, 'a' + l5, 'w' + l4, i);
    }
    gsl_ran_discrete_free(d5);
    gsl_ran_discrete_free(d4);
    gsl_rng_free(rng);
    if (fflush(out) != 0 || ferror(out) || (out != stdout && fclose(out) != 0)) {
        fprintf(stderr, "gen: write error: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
