/* common.c - random numbers, CSV output and weighting helpers of the
 * dataset generator. */
#include "gendata.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gsl/gsl_randist.h>

/* -------------------------------------------------------------- random */

gsl_rng *rng_new(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) {
        fprintf(stderr, "gendata: out of memory\n");
        exit(1);
    }
    gsl_rng_set(r, seed);
    return r;
}

double rng_normal(gsl_rng *r, double sd)
{
    return gsl_ran_gaussian_ziggurat(r, sd);
}

double rng_uniform(gsl_rng *r)
{
    return gsl_rng_uniform(r);
}

int rng_bernoulli(gsl_rng *r, double p)
{
    return gsl_rng_uniform(r) < p;
}

size_t rng_pick(gsl_rng *r, const double *p, size_t n)
{
    double u = gsl_rng_uniform(r), acc = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        acc += p[i];
        if (u < acc) return i;
    }
    return n - 1;
}

/* -------------------------------------------------------------- output */

static char *join(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 3;
    char *s = malloc(n);
    if (!s) {
        fprintf(stderr, "gendata: out of memory\n");
        exit(1);
    }
    snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

int out_open(outfile *o, const char *dir, const char *sub, const char *name)
{
    char *d = join(dir, "/", sub);
    if (mkdir(d, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "gendata: cannot create %s: %s\n", d, strerror(errno));
        free(d);
        return -1;
    }
    o->path = join(d, "/", name);
    free(d);
    o->tmp = join(o->path, ".tmp", "");
    o->fp = fopen(o->tmp, "wb");
    o->first = 1;
    if (!o->fp) {
        fprintf(stderr, "gendata: cannot write %s: %s\n", o->tmp, strerror(errno));
        free(o->path);
        free(o->tmp);
        return -1;
    }
    return 0;
}

int out_close(outfile *o)
{
    int bad = ferror(o->fp);
    if (fclose(o->fp) != 0) bad = 1;
    if (!bad && rename(o->tmp, o->path) != 0) bad = 1;
    if (bad) {
        fprintf(stderr, "gendata: cannot write %s: %s\n", o->path, strerror(errno));
        remove(o->tmp);
    }
    free(o->path);
    free(o->tmp);
    return bad ? -1 : 0;
}

static void sep(outfile *o)
{
    if (!o->first) fputc(',', o->fp);
    o->first = 0;
}

void out_text(outfile *o, const char *s)
{
    sep(o);
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, o->fp);
        return;
    }
    fputc('"', o->fp);
    for (; *s; s++) {
        if (*s == '"') fputc('"', o->fp);
        fputc(*s, o->fp);
    }
    fputc('"', o->fp);
}

void out_int(outfile *o, long v)
{
    sep(o);
    fprintf(o->fp, "%ld", v);
}

int64_t to_units(double v, int dec)
{
    double scale = 1;
    for (int i = 0; i < dec; i++) scale *= 10;
    return (int64_t)llround(v * scale);
}

double from_units(int64_t u, int dec)
{
    double scale = 1;
    for (int i = 0; i < dec; i++) scale *= 10;
    return (double)u / scale;
}

void out_units(outfile *o, int64_t u, int dec)
{
    sep(o);
    int64_t scale = 1;
    for (int i = 0; i < dec; i++) scale *= 10;
    if (u < 0) {
        fputc('-', o->fp);
        u = -u;
    }
    fprintf(o->fp, "%lld", (long long)(u / scale));
    if (dec > 0) fprintf(o->fp, ".%0*lld", dec, (long long)(u % scale));
}

void out_fixed(outfile *o, double v, int dec)
{
    out_units(o, to_units(v, dec), dec);
}

void out_na(outfile *o)
{
    sep(o);
}

void out_endrow(outfile *o)
{
    fputc('\n', o->fp);
    o->first = 1;
}

void out_header(outfile *o, const char *const *names)
{
    for (; *names; names++) out_text(o, *names);
    out_endrow(o);
}

/* -------------------------------------------------------------- weights */

double wshare(const double *w, const int *flag, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        den += w[i];
        if (flag[i]) num += w[i];
    }
    return num / den;
}

double ushare(const int *flag, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += flag[i] != 0;
    return (double)k / (double)n;
}

static const double *sort_key;
static int by_key_desc(const void *a, const void *b)
{
    double x = sort_key[*(const size_t *)a], y = sort_key[*(const size_t *)b];
    if (x > y) return -1;
    if (x < y) return 1;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    return i < j ? -1 : i > j;
}

double upper_cut(const double *z, const double *w, size_t n, double p)
{
    size_t *ord = malloc(n * sizeof *ord);
    if (!ord) exit(1);
    for (size_t i = 0; i < n; i++) ord[i] = i;
    sort_key = z;
    qsort(ord, n, sizeof *ord, by_key_desc);
    double total = 0;
    for (size_t i = 0; i < n; i++) total += w[i];
    /* Take rows from the top while that brings the share closer to p. */
    double acc = 0;
    size_t k = 0;
    while (k < n && fabs((acc + w[ord[k]]) / total - p) < fabs(acc / total - p)) {
        acc += w[ord[k]];
        k++;
    }
    double cut;
    if (k == 0)
        cut = z[ord[0]] + 1;
    else if (k == n)
        cut = z[ord[n - 1]] - 1;
    else
        cut = 0.5 * (z[ord[k - 1]] + z[ord[k]]);
    free(ord);
    return cut;
}

void round_weights(double *w, const size_t *cell, size_t n, const double *total, size_t ncell,
                   int dec)
{
    int64_t *sum = calloc(ncell, sizeof *sum);
    size_t *big = malloc(ncell * sizeof *big);
    if (!sum || !big) exit(1);
    for (size_t h = 0; h < ncell; h++) big[h] = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t h = cell[i];
        sum[h] += to_units(w[i], dec);
        if (big[h] == (size_t)-1 || w[i] > w[big[h]]) big[h] = i;
    }
    for (size_t i = 0; i < n; i++) w[i] = from_units(to_units(w[i], dec), dec);
    for (size_t h = 0; h < ncell; h++) {
        if (big[h] == (size_t)-1) continue;
        int64_t diff = to_units(total[h], dec) - sum[h];
        w[big[h]] = from_units(to_units(w[big[h]], dec) + diff, dec);
    }
    free(sum);
    free(big);
}

void rake(double *w, size_t n, size_t nmargin, const size_t *const *lev, const size_t *nlev,
          const double *const *tot)
{
    size_t maxlev = 0;
    for (size_t k = 0; k < nmargin; k++)
        if (nlev[k] > maxlev) maxlev = nlev[k];
    double *s = malloc(maxlev * sizeof *s);
    if (!s) exit(1);
    for (int it = 0; it < 1000; it++) {
        double worst = 0;
        for (size_t k = 0; k < nmargin; k++) {
            for (size_t l = 0; l < nlev[k]; l++) s[l] = 0;
            for (size_t i = 0; i < n; i++) s[lev[k][i]] += w[i];
            for (size_t l = 0; l < nlev[k]; l++) {
                double d = fabs(s[l] - tot[k][l]) / tot[k][l];
                if (d > worst) worst = d;
            }
            for (size_t i = 0; i < n; i++) w[i] *= tot[k][lev[k][i]] / s[lev[k][i]];
        }
        if (worst < 1e-13) break;
    }
    free(s);
}

int check(const char *what, double got, double lo, double hi)
{
    int ok = got >= lo && got <= hi;
    printf("  %-58s %9.4f  [%g, %g]  %s\n", what, got, lo, hi, ok ? "ok" : "MISSED");
    return ok ? 0 : 1;
}

/* ------------------------------------------------------------- sampling */

void allocate(size_t *m, const double *size, size_t nstrata, size_t total, size_t min)
{
    double all = 0;
    for (size_t h = 0; h < nstrata; h++) all += size[h];
    size_t used = 0;
    double *quota = malloc(nstrata * sizeof *quota);
    if (!quota) exit(1);
    for (size_t h = 0; h < nstrata; h++) {
        quota[h] = (double)total * size[h] / all;
        m[h] = (size_t)quota[h];
        if (m[h] < min) m[h] = min;
        used += m[h];
    }
    /* Largest remainder; ties go to the first stratum. */
    while (used < total) {
        size_t best = 0;
        double bestrem = -1e300;
        for (size_t h = 0; h < nstrata; h++) {
            double rem = quota[h] - (double)m[h];
            if (rem > bestrem) {
                bestrem = rem;
                best = h;
            }
        }
        m[best]++;
        used++;
    }
    free(quota);
}

/* Inclusion probabilities proportional to size, with certainty units
 * (pi >= 1) taken out and the rest recomputed until none exceeds 1. */
static void pps_probs(double *pi, const double *size, size_t n, size_t m)
{
    int *cert = calloc(n, sizeof *cert);
    if (!cert) exit(1);
    for (;;) {
        double rest = 0;
        size_t ncert = 0;
        for (size_t i = 0; i < n; i++) {
            if (cert[i])
                ncert++;
            else
                rest += size[i];
        }
        int changed = 0;
        for (size_t i = 0; i < n; i++) {
            if (cert[i]) {
                pi[i] = 1;
                continue;
            }
            pi[i] = (double)(m - ncert) * size[i] / rest;
            if (pi[i] >= 1) {
                cert[i] = 1;
                changed = 1;
            }
        }
        if (!changed) break;
    }
    free(cert);
}

void pps_region(gsl_rng *r, int region, size_t m, const double *size, int *sampled, double *pi)
{
    size_t idx[NCOUNCIL], n = 0;
    double sz[NCOUNCIL], p[NCOUNCIL];
    for (size_t c = 0; c < NCOUNCIL; c++)
        if (councils[c].region == region) idx[n++] = c;
    gsl_ran_shuffle(r, idx, n, sizeof idx[0]);
    for (size_t i = 0; i < n; i++) sz[i] = size[idx[i]];
    pps_probs(p, sz, n, m);
    /* Systematic selection in random order: a unit is drawn when one of the
     * points u, u+1, u+2, ... falls in its stretch of the cumulated pi. */
    double u = rng_uniform(r), acc = 0;
    for (size_t i = 0; i < n; i++) {
        double before = acc;
        acc += p[i];
        pi[idx[i]] = p[i];
        sampled[idx[i]] = floor(acc - u) > floor(before - u) || p[i] >= 1;
    }
}
