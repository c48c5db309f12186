/* check_crosstab.c - unit tests of cross-tabulations (crosstab.c) and of
 * publishable tables (publish.c): cell suppression, the NCHS reliability
 * standard, and tab on small tables whose answers are known by hand.
 *
 * Suppression is checked against an independent reference: Gaussian
 * elimination on the table's additivity constraints decides, for every
 * hidden entry, whether what is shown determines it (it does exactly when
 * removing its column from the constraint matrix of the unknowns lowers
 * the rank).
 */
#include <check.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wfstat.h"

#define HID (WFS_FLAG_SUPPRESSED | WFS_FLAG_SUPPRESSED_COMP)

/* ------------------------------------------------------------------ */
/* The reference: ranks of additivity constraints                      */
/* ------------------------------------------------------------------ */

static size_t rank_of(double *a, size_t rows, size_t cols)
{
    size_t rank = 0;
    for (size_t c = 0; c < cols && rank < rows; c++) {
        size_t piv = rank;
        for (size_t r = rank; r < rows; r++)
            if (fabs(a[r * cols + c]) > fabs(a[piv * cols + c])) piv = r;
        if (fabs(a[piv * cols + c]) < 1e-9) continue;
        for (size_t k = 0; k < cols; k++) {
            double t = a[rank * cols + k];
            a[rank * cols + k] = a[piv * cols + k];
            a[piv * cols + k] = t;
        }
        for (size_t r = 0; r < rows; r++) {
            if (r == rank) continue;
            double f = a[r * cols + c] / a[rank * cols + c];
            for (size_t k = 0; k < cols; k++) a[r * cols + k] -= f * a[rank * cols + k];
        }
        rank++;
    }
    return rank;
}

/* Constraint matrix of a table with margins over its entries: for a
 * two-way grid every row and every column adds to its total; a one-way
 * table (nc == 0) has the single line. */
static size_t constraints(double *A, size_t nr, size_t nc)
{
    if (nc == 0) {
        for (size_t i = 0; i < nr; i++) A[i] = 1;
        A[nr] = -1;
        return 1;
    }
    size_t NR = nr + 1, NC = nc + 1, ne = NR * NC, k = 0;
    memset(A, 0, (NR + NC) * ne * sizeof *A);
    for (size_t i = 0; i < NR; i++, k++) {
        for (size_t j = 0; j < nc; j++) A[k * ne + i * NC + j] = 1;
        A[k * ne + i * NC + nc] = -1;
    }
    for (size_t j = 0; j < NC; j++, k++) {
        for (size_t i = 0; i < nr; i++) A[k * ne + i * NC + j] = 1;
        A[k * ne + nr * NC + j] = -1;
    }
    return k;
}

/* Is any hidden entry (among those unknown in this model) determined by
 * the constraints? Returns the first such entry, or -1. */
static long recoverable(const unsigned *flags, const uint8_t *known, size_t nr, size_t nc)
{
    size_t NR = nr + 1, NC = nc ? nc + 1 : 1, ne = NR * NC;
    size_t L = nc ? NR + NC : 1;
    double *A = calloc(L * ne, sizeof *A), *S = calloc(L * ne, sizeof *S);
    size_t *unk = calloc(ne, sizeof *unk);
    constraints(A, nr, nc);
    size_t nu = 0;
    for (size_t e = 0; e < ne; e++)
        if ((flags[e] & HID) && !(known && known[e])) unk[nu++] = e;
    long bad = -1;
    /* rank of the unknowns' columns, with and without each one */
    for (size_t r = 0; r < L; r++)
        for (size_t u = 0; u < nu; u++) S[r * nu + u] = A[r * ne + unk[u]];
    double *W = calloc(L * (nu ? nu : 1), sizeof *W);
    memcpy(W, S, L * nu * sizeof *W);
    size_t full = rank_of(W, L, nu);
    for (size_t x = 0; x < nu && bad < 0; x++) {
        size_t m = 0;
        for (size_t r = 0; r < L; r++) {
            m = 0;
            for (size_t u = 0; u < nu; u++)
                if (u != x) W[r * (nu - 1) + m++] = S[r * nu + u];
        }
        if (rank_of(W, L, nu - 1) + 1 == full) bad = (long)unk[x];
    }
    free(A);
    free(S);
    free(W);
    free(unk);
    return bad;
}

/* Both models: known entries fixed, then every entry unknown. With known
 * entries some values are public whatever is hidden (the percentages of a
 * table with a single row are all 100%); those are not secrets to keep,
 * so the first model skips entries determined even when everything else is
 * hidden. */
static long recoverable_any(const unsigned *flags, const uint8_t *known, size_t nr, size_t nc)
{
    size_t ne = (nr + 1) * (nc ? nc + 1 : 1);
    if (known) {
        unsigned *f = calloc(ne, sizeof *f), *all = calloc(ne, sizeof *all);
        memcpy(f, flags, ne * sizeof *f);
        for (size_t e = 0; e < ne; e++) all[e] = WFS_FLAG_SUPPRESSED;
        for (;;) {
            long pub = recoverable(all, known, nr, nc);
            if (pub < 0) break;
            all[pub] = 0; /* public: take it out of both */
            f[pub] = 0;
        }
        long b = recoverable(f, known, nr, nc);
        free(f);
        free(all);
        if (b >= 0) return b;
    }
    return recoverable(flags, NULL, nr, nc);
}

/* Fill a grid of unweighted counts with margins from an interior nr x nc. */
static void with_margins(double *g, const double *in, size_t nr, size_t nc)
{
    size_t NC = nc + 1;
    double tot = 0;
    for (size_t j = 0; j <= nc; j++) g[nr * NC + j] = 0;
    for (size_t i = 0; i < nr; i++) {
        double rs = 0;
        for (size_t j = 0; j < nc; j++) {
            g[i * NC + j] = in[i * nc + j];
            rs += in[i * nc + j];
            g[nr * NC + j] += in[i * nc + j];
        }
        g[i * NC + nc] = rs;
        tot += rs;
    }
    g[nr * NC + nc] = tot;
}

static size_t nhidden(const unsigned *f, size_t ne, unsigned which)
{
    size_t k = 0;
    for (size_t e = 0; e < ne; e++) k += (f[e] & which) != 0;
    return k;
}

/* ------------------------------------------------------------------ */
/* Suppression                                                         */
/* ------------------------------------------------------------------ */

START_TEST(test_suppress_rectangle)
{
    /* One small cell; the cheapest cycle through it is the rectangle with
     * its row and column neighbours of smallest counts (by hand: 3 + 40 +
     * 25 + 20 beats every other route). */
    const double in[9] = {20, 3, 30, 25, 40, 50, 60, 70, 80};
    double g[16];
    unsigned f[16] = {0};
    with_margins(g, in, 3, 3);
    ck_assert_int_eq(wfs_suppress_table(f, g, NULL, 3, 3, 10, NULL), 0);
    ck_assert_uint_eq(f[0 * 4 + 1], WFS_FLAG_SUPPRESSED);
    ck_assert_uint_eq(f[0 * 4 + 0], WFS_FLAG_SUPPRESSED_COMP);
    ck_assert_uint_eq(f[1 * 4 + 0], WFS_FLAG_SUPPRESSED_COMP);
    ck_assert_uint_eq(f[1 * 4 + 1], WFS_FLAG_SUPPRESSED_COMP);
    ck_assert_uint_eq(nhidden(f, 16, HID), 4);
    ck_assert_int_eq(recoverable_any(f, NULL, 3, 3), -1);
}
END_TEST

START_TEST(test_suppress_bridge)
{
    /* Two hidden rectangles joined by one more hidden cell: every row and
     * column has two or more hidden cells, yet the joining cell is
     * determined (its line sums separate the rectangles). Counting hidden
     * cells per line would miss it; the cycle rule must hide more. */
    const double in[16] = {2, 3, 40, 50, 4, 5, 6, 60, 70, 80, 7, 8, 90, 95, 2, 9};
    double g[25];
    unsigned f[25] = {0};
    with_margins(g, in, 4, 4);
    unsigned probe[25] = {0};
    for (size_t e = 0; e < 25; e++)
        if (g[e] < 10) probe[e] = WFS_FLAG_SUPPRESSED;
    ck_assert_int_eq(recoverable_any(probe, NULL, 4, 4), 1 * 5 + 2); /* the bridge */
    ck_assert_int_eq(wfs_suppress_table(f, g, NULL, 4, 4, 10, NULL), 0);
    ck_assert_uint_ge(nhidden(f, 25, WFS_FLAG_SUPPRESSED_COMP), 1);
    ck_assert_int_eq(recoverable_any(f, NULL, 4, 4), -1);
}
END_TEST

START_TEST(test_suppress_oneway)
{
    /* A one-way table: the smallest other cell goes with the small one. */
    const double n[5] = {40, 4, 25, 31, 100};
    unsigned f[5] = {0};
    ck_assert_int_eq(wfs_suppress_table(f, n, NULL, 4, 0, 10, NULL), 0);
    ck_assert_uint_eq(f[1], WFS_FLAG_SUPPRESSED);
    ck_assert_uint_eq(f[2], WFS_FLAG_SUPPRESSED_COMP);
    ck_assert_uint_eq(nhidden(f, 5, HID), 2);
    ck_assert_int_eq(recoverable_any(f, NULL, 4, 0), -1);
    /* Two small cells protect each other. */
    const double m[4] = {4, 6, 50, 60};
    unsigned h[4] = {0};
    ck_assert_int_eq(wfs_suppress_table(h, m, NULL, 3, 0, 10, NULL), 0);
    ck_assert_uint_eq(nhidden(h, 4, WFS_FLAG_SUPPRESSED_COMP), 0);
    ck_assert_uint_eq(nhidden(h, 4, HID), 2);
}
END_TEST

START_TEST(test_suppress_known_totals)
{
    /* Column percentages: the column totals are 100% whatever is hidden,
     * so a small column cannot hide behind its own total. */
    const double in[6] = {30, 4, 30, 40, 5, 50}; /* 2 x 3, column 1 small */
    double g[12];
    unsigned f[12] = {0};
    uint8_t known[12] = {0};
    with_margins(g, in, 2, 3);
    for (size_t j = 0; j < 4; j++) known[2 * 4 + j] = 1;
    ck_assert_int_eq(wfs_suppress_table(f, g, known, 2, 3, 10, NULL), 0);
    ck_assert_int_eq(recoverable_any(f, known, 2, 3), -1);
    /* The column total (9 respondents) is itself hidden, and protected. */
    ck_assert_uint_eq(f[2 * 4 + 1] & HID, WFS_FLAG_SUPPRESSED);
    ck_assert_uint_ge(nhidden(f, 12, WFS_FLAG_SUPPRESSED_COMP), 2);
}
END_TEST

START_TEST(test_suppress_off_and_errors)
{
    double g[9] = {1, 2, 3, 4, 5, 9, 5, 7, 12};
    unsigned f[9] = {0};
    ck_assert_int_eq(wfs_suppress_table(f, g, NULL, 2, 2, 0, NULL), 0);
    ck_assert_uint_eq(nhidden(f, 9, HID), 0);
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_suppress_table(f, g, NULL, 0, 2, 10, &err), WFS_EINVAL);
    ck_assert_int_eq(wfs_suppress_table(f, g, NULL, 2, 2, -1, &err), WFS_EINVAL);
    ck_assert_int_eq(wfs_suppress_table(f, g, NULL, 2, 2, NAN, &err), WFS_EINVAL);
    /* Every entry small: all hidden, nothing recoverable. */
    ck_assert_int_eq(wfs_suppress_table(f, g, NULL, 2, 2, 100, NULL), 0);
    ck_assert_uint_eq(nhidden(f, 9, WFS_FLAG_SUPPRESSED), 9);
}
END_TEST

/* Random tables of every shape from 1 x 1 to 6 x 6, with and without
 * known totals: no hidden entry may ever be recoverable. */
START_TEST(test_suppress_random)
{
    unsigned seed = 12345;
    size_t tables = 0, with_comp = 0;
    for (int rep = 0; rep < 60; rep++)
        for (size_t nr = 1; nr <= 6; nr++)
            for (size_t nc = 0; nc <= 6; nc++) {
                size_t NR = nr + 1, NC = nc ? nc + 1 : 1, ne = NR * NC;
                double in[36], g[49];
                unsigned f[49] = {0};
                uint8_t known[49] = {0};
                for (size_t k = 0; k < nr * (nc ? nc : 1); k++) {
                    seed = seed * 1103515245u + 12345u;
                    unsigned v = (seed >> 16) % 100;
                    in[k] = v < 25 ? v % 10 : v; /* a quarter of small cells */
                }
                if (nc) {
                    with_margins(g, in, nr, nc);
                } else {
                    double t = 0;
                    for (size_t i = 0; i < nr; i++) t += g[i] = in[i];
                    g[nr] = t;
                }
                int mode = rep % 4; /* none, col, row, cell totals known */
                for (size_t i = 0; i < NR; i++)
                    for (size_t j = 0; j < NC; j++) {
                        size_t e = i * NC + j;
                        if (!nc)
                            known[e] = mode && i == nr;
                        else if (mode == 1)
                            known[e] = i == nr;
                        else if (mode == 2)
                            known[e] = j == nc;
                        else if (mode == 3)
                            known[e] = i == nr && j == nc;
                    }
                ck_assert_int_eq(wfs_suppress_table(f, g, mode ? known : NULL, nr, nc, 10, NULL),
                                 0);
                long bad = recoverable_any(f, mode ? known : NULL, nr, nc);
                ck_assert_msg(bad < 0, "%zu x %zu table (mode %d): entry %ld recoverable", nr, nc,
                              mode, bad);
                for (size_t e = 0; e < ne; e++)
                    if (g[e] < 10) ck_assert(f[e] & WFS_FLAG_SUPPRESSED);
                tables++;
                with_comp += nhidden(f, ne, WFS_FLAG_SUPPRESSED_COMP) > 0;
            }
    ck_assert_uint_gt(with_comp, tables / 4);
}
END_TEST

/* ------------------------------------------------------------------ */
/* NCHS standard for proportions                                       */
/* ------------------------------------------------------------------ */

/* Korn-Graubard width computed here from its definition (svyciprop
 * "beta"), independently of the library. */
static double kg_width(double p, double se, double nrows, double df)
{
    double neff = p * (1 - p) / (se * se);
    double r = gsl_cdf_tdist_Pinv(0.025, nrows - 1) / gsl_cdf_tdist_Pinv(0.025, df);
    neff *= r * r;
    return gsl_cdf_beta_Pinv(0.975, neff * p + 1, neff * (1 - p)) -
           gsl_cdf_beta_Pinv(0.025, neff * p, neff * (1 - p) + 1);
}

START_TEST(test_nchs)
{
    const unsigned U = WFS_FLAG_UNRELIABLE;
    /* Effective n = 0.25 / 0.0001 = 2500, width about 0.04: reliable. */
    ck_assert_uint_eq(wfs_nchs_prop_flags(0.5, 0.01, 5000, 5000, 100), 0);
    /* Effective n = 0.25 / 0.01 = 25 < 30. */
    ck_assert_uint_eq(wfs_nchs_prop_flags(0.5, 0.1, 400, 400, 100), U | WFS_FLAG_SMALL_N);
    /* Effective n above the sample size is capped at it: 29 respondents. */
    ck_assert_uint_eq(wfs_nchs_prop_flags(0.5, 0.01, 29, 29, 100) & WFS_FLAG_SMALL_N,
                      WFS_FLAG_SMALL_N);
    /* Width at least 0.30 (n_eff = 0.25 / 0.0081 = 30.9). */
    ck_assert_double_ge(kg_width(0.5, 0.09, 400, 100), 0.30);
    ck_assert_uint_eq(wfs_nchs_prop_flags(0.5, 0.09, 400, 400, 100), U | WFS_FLAG_WIDE_CI);
    /* Between 0.05 and 0.30 wide and more than 130% of p. */
    double w = kg_width(0.05, 0.02, 1000, 100);
    ck_assert(w > 0.05 && w < 0.30 && w / 0.05 > 1.30);
    ck_assert_uint_eq(wfs_nchs_prop_flags(0.05, 0.02, 1000, 1000, 100), U | WFS_FLAG_WIDE_CI);
    /* The same width relative to a large p is fine. */
    w = kg_width(0.4, 0.03, 1000, 100);
    ck_assert(w > 0.05 && w < 0.30 && w / 0.4 < 1.30);
    ck_assert_uint_eq(wfs_nchs_prop_flags(0.4, 0.03, 1000, 1000, 100), 0);
    /* Fewer than 8 degrees of freedom: flagged for review only. */
    ck_assert_uint_eq(wfs_nchs_prop_flags(0.5, 0.01, 5000, 5000, 7) & ~(unsigned)WFS_FLAG_WIDE_CI &
                          ~U,
                      WFS_FLAG_SMALL_DF);
    /* 0% or 100%: judged on the sample size. */
    ck_assert_uint_eq(wfs_nchs_prop_flags(0, 0, 50, 50, 20), 0);
    ck_assert_uint_eq(wfs_nchs_prop_flags(1, 0, 20, 20, 20), U | WFS_FLAG_SMALL_N);
    ck_assert_uint_eq(wfs_nchs_prop_flags(NAN, NAN, 20, 20, 20), 0);
}
END_TEST

/* GSL's beta quantile returns NaN for a tiny shape and never returns for
 * some shapes in the millions: the standard must still decide, at once. */
START_TEST(test_nchs_extreme_effective_sizes)
{
    /* Effective n in the millions (a = b = 1.4e6): reliable. */
    ck_assert_uint_eq(wfs_nchs_prop_flags(0.5, 0.0003, 5e6, 5e6, 1980), 0);
    /* Where GSL gives NaN (n_eff about 1e5). */
    ck_assert_uint_eq(wfs_nchs_prop_flags(0.124, 0.001, 3e5, 3e5, 1980), 0);
    /* A tiny event count: the lower bound is 0, the interval is judged. */
    double p = 1e-5, se = sqrt(p * (1 - p) / 40);
    ck_assert_uint_eq(wfs_nchs_prop_flags(p, se, 1000, 1000, 100),
                      WFS_FLAG_UNRELIABLE | WFS_FLAG_WIDE_CI);
}
END_TEST

/* ------------------------------------------------------------------ */
/* tab on tables known by hand                                         */
/* ------------------------------------------------------------------ */

/* A sample with unit weights whose table of a (rows) by b (columns) is
 * counts[r][c]; a layer variable L alternating 0/1 down the rows and a
 * numeric x = row index. */
static wfs_table *make_table(const int *counts, size_t R, size_t C, size_t *nrows)
{
    static const char *rl[] = {"r1", "r2", "r3", "r4", "r5", "r6"};
    static const char *cl[] = {"c1", "c2", "c3", "c4", "c5", "c6"};
    size_t n = 0;
    for (size_t k = 0; k < R * C; k++) n += (size_t)counts[k];
    const char **a = calloc(n, sizeof *a), **b = calloc(n, sizeof *b), **t = calloc(n, sizeof *t);
    double *w = calloc(n, sizeof *w), *x = calloc(n, sizeof *x);
    size_t i = 0;
    for (size_t r = 0; r < R; r++)
        for (size_t c = 0; c < C; c++)
            for (int k = 0; k < counts[r * C + c]; k++, i++) {
                a[i] = rl[r];
                b[i] = cl[c];
                w[i] = 1;
                x[i] = (double)i;
                t[i] = "note";
            }
    wfs_table *tb = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_table_new(&tb, n, &err), 0);
    ck_assert_int_eq(wfs_table_add_strings(tb, "a", a, &err), 0);
    ck_assert_int_eq(wfs_table_add_strings(tb, "b", b, &err), 0);
    ck_assert_int_eq(wfs_table_add_numeric(tb, "w", w, NULL, &err), 0);
    ck_assert_int_eq(wfs_table_add_numeric(tb, "x", x, NULL, &err), 0);
    ck_assert_int_eq(wfs_table_add_text(tb, "t", t, &err), 0);
    free(a);
    free(b);
    free(t);
    free(w);
    free(x);
    *nrows = n;
    return tb;
}

static wfs_design *make_design(const wfs_table *tb)
{
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.weight = "w";
    wfs_design *d = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_design_new(&d, tb, &spec, &err), 0);
    return d;
}

static const wfs_estimate *find(const wfs_result *r, const char *stat, const char *var,
                                const char *level, const char *dkey, const char *dval)
{
    for (size_t i = 0; i < wfs_result_nestimates(r); i++) {
        const wfs_estimate *e = wfs_result_estimate(r, i);
        if (strcmp(e->statistic, stat) || strcmp(e->variable, var)) continue;
        if ((level == NULL) != (e->level == NULL)) continue;
        if (level && strcmp(level, e->level)) continue;
        if (dkey == NULL ? e->ndomain != 0
                         : e->ndomain != 1 || strcmp(e->domain_keys[0], dkey) ||
                               strcmp(e->domain_values[0], dval))
            continue;
        return e;
    }
    return NULL;
}

START_TEST(test_tab_by_hand)
{
    /* Unit weights, each row its own PSU: counts are cell frequencies and
     * percentages the column shares. */
    const int counts[6] = {10, 30, 20, 40, 50, 10}; /* 2 x 3 */
    size_t n;
    wfs_table *tb = make_table(counts, 2, 3, &n);
    wfs_design *d = make_design(tb);
    const char *by[] = {"b"};
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    o.by = by;
    o.nby = 1;
    wfs_tab_options t = WFS_TAB_OPTIONS_INIT;
    t.tests = WFS_TEST_ALL;
    wfs_result *r = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_tab(&r, d, "a", &o, &t, &err), 0);
    ck_assert_str_eq(wfs_result_command(r), "tab");
    ck_assert_int_eq(wfs_result_layout(r), WFS_LAYOUT_CROSSTAB);
    /* 6 cells, 2 + 3 + 1 margins, 6 percentages, 2 row shares. */
    ck_assert_uint_eq(wfs_result_nestimates(r), 6 + 6 + 6 + 2);
    const wfs_estimate *e = find(r, "count", "a", "r2", "b", "c2");
    ck_assert_ptr_nonnull(e);
    ck_assert_double_eq_tol(e->estimate, 50, 1e-12);
    ck_assert_double_eq(e->n, 50);
    e = find(r, "prop", "a", "r1", "b", "c2");
    ck_assert_ptr_nonnull(e);
    double p = 30.0 / 80.0;
    ck_assert_double_eq_tol(e->estimate, p, 1e-14);
    /* Taylor SE of a domain share with every row a PSU: n/(n-1) times the
     * domain's sum of squared influences, n = 160 PSUs in the stratum. */
    ck_assert_double_eq_tol(e->se, sqrt(p * (1 - p) / 80.0 * 160.0 / 159.0), 1e-13);
    ck_assert_double_eq(e->n, 80);
    ck_assert_double_eq(e->df, 79);
    e = find(r, "count", "b", "c3", NULL, NULL);
    ck_assert_double_eq_tol(e->estimate, 30, 1e-12);
    e = find(r, "count", "a", NULL, NULL, NULL);
    ck_assert_double_eq_tol(e->estimate, 160, 1e-12);
    e = find(r, "prop", "a", "r2", NULL, NULL);
    ck_assert_double_eq_tol(e->estimate, 100.0 / 160.0, 1e-14);
    /* Pearson's X2 by hand: sum (O - E)^2 / E on the 2 x 3 table. */
    double X2 = 0, rs[2] = {60, 100}, cs[3] = {50, 80, 30};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) {
            double E = rs[i] * cs[j] / 160.0, O = counts[i * 3 + j];
            X2 += (O - E) * (O - E) / E;
        }
    ck_assert_uint_eq(wfs_result_ntests(r), 4);
    const wfs_test *chi = wfs_result_test(r, 1);
    ck_assert_str_eq(chi->name, "rao-scott-chisq");
    ck_assert_double_eq_tol(chi->statistic, X2, 1e-10);
    ck_assert_double_eq(chi->df, 2);
    ck_assert_str_eq(wfs_result_test(r, 0)->name, "rao-scott-f");
    ck_assert_str_eq(wfs_result_test(r, 2)->name, "wald");
    ck_assert_str_eq(wfs_result_test(r, 3)->name, "adjusted-wald");
    ck_assert(wfs_result_test(r, 0)->p_value > 0 && wfs_result_test(r, 0)->p_value < 1);
    wfs_result_free(r);

    /* Row percentages: variable b within domain a. */
    t.pct = WFS_PCT_ROW;
    ck_assert_int_eq(wfs_tab(&r, d, "a", &o, &t, &err), 0);
    e = find(r, "prop", "b", "c1", "a", "r2");
    ck_assert_ptr_nonnull(e);
    ck_assert_double_eq_tol(e->estimate, 0.4, 1e-14);
    wfs_result_free(r);

    /* Cell percentages: levels "r|c" over the whole table. */
    t.pct = WFS_PCT_CELL;
    ck_assert_int_eq(wfs_tab(&r, d, "a", &o, &t, &err), 0);
    e = find(r, "prop", "a", "r2|c3", NULL, NULL);
    ck_assert_ptr_nonnull(e);
    ck_assert_double_eq_tol(e->estimate, 10.0 / 160.0, 1e-14);
    wfs_result_free(r);
    wfs_design_free(d);
    wfs_table_free(tb);
}
END_TEST

/* Suppressed estimates in rendered output: records (JSON objects starting
 * with `sep`, or CSV lines) that hold a suppression flag. */
static size_t count_suppressed(const char *s, const char *sep)
{
    size_t n = 0;
    for (const char *p = strstr(s, sep); p; p = strstr(p + 1, sep)) {
        const char *end = strstr(p + 1, sep);
        const char *f = strstr(p, "suppressed");
        if (f && (!end || f < end)) n++;
    }
    return n;
}

/* JSON estimates flagged suppressed with a digit anywhere from their
 * "estimate" member to their "flags" (each such member must be null). */
static size_t suppressed_with_numbers_json(const char *json)
{
    size_t bad = 0;
    for (const char *p = strstr(json, "{\"statistic\""); p; p = strstr(p + 1, "{\"statistic\"")) {
        const char *a = strstr(p, "\"estimate\":"), *b = a ? strstr(a, "\"flags\":[") : NULL;
        if (!b) continue;
        const char *close = strchr(b, ']');
        const char *f = strstr(b, "suppressed");
        if (!f || f > close) continue;
        for (const char *q = a; q < b; q++)
            if (*q >= '0' && *q <= '9') {
                bad++;
                break;
            }
    }
    return bad;
}

/* CSV lines flagged suppressed with a value in any of the numeric columns
 * (estimate, se, ci_lower, ci_upper, df, deff, n, n_weighted: the sixth
 * to the thirteenth fields; labels here hold no commas). */
static size_t suppressed_with_numbers_csv(const char *csv)
{
    size_t bad = 0;
    const char *line = csv;
    while (line && *line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *f = strstr(line, "suppressed");
        if (f && f < line + len) {
            size_t field = 0;
            for (const char *q = line; q < line + len; q++) {
                if (*q == ',') {
                    field++;
                    continue;
                }
                if (field >= 5 && field <= 12) {
                    bad++;
                    break;
                }
            }
        }
        line = end ? end + 1 : NULL;
    }
    return bad;
}

START_TEST(test_tab_suppression_end_to_end)
{
    /* 3 x 3 with small cells: what tab shows never lets a hidden count be
     * worked out, and hidden estimates carry no numbers. */
    const int counts[9] = {25, 4, 30, 6, 40, 50, 60, 70, 2};
    size_t n;
    wfs_table *tb = make_table(counts, 3, 3, &n);
    wfs_design *d = make_design(tb);
    const char *by[] = {"b"};
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    o.by = by;
    o.nby = 1;
    for (int pct = 0; pct < 3; pct++) {
        wfs_tab_options t = WFS_TAB_OPTIONS_INIT;
        t.pct = (wfs_pct)pct;
        t.suppress = 10;
        wfs_result *r = NULL;
        wfs_error err = WFS_ERROR_INIT;
        ck_assert_int_eq(wfs_tab(&r, d, "a", &o, &t, &err), 0);
        /* The grid of flags, read back from the count estimates. */
        static const char *rl[] = {"r1", "r2", "r3"}, *cl[] = {"c1", "c2", "c3"};
        unsigned f[16] = {0};
        uint8_t known[16] = {0};
        for (size_t i = 0; i <= 3; i++)
            for (size_t j = 0; j <= 3; j++) {
                const wfs_estimate *e;
                if (i < 3 && j < 3)
                    e = pct == 2 ? NULL : find(r, "count", "a", rl[i], "b", cl[j]);
                else if (i < 3)
                    e = find(r, "count", "a", rl[i], NULL, NULL);
                else if (j < 3)
                    e = find(r, "count", "b", cl[j], NULL, NULL);
                else
                    e = find(r, "count", "a", NULL, NULL, NULL);
                if (pct == 2 && i < 3 && j < 3) {
                    char lev[8];
                    snprintf(lev, sizeof lev, "%s|%s", rl[i], cl[j]);
                    e = find(r, "count", "a", lev, NULL, NULL);
                }
                ck_assert_ptr_nonnull(e);
                f[i * 4 + j] = e->flags & HID;
                if (f[i * 4 + j]) {
                    ck_assert(isnan(e->estimate) && isnan(e->se) && isnan(e->n));
                    ck_assert(isnan(e->ci_lower) && isnan(e->n_weighted));
                }
                known[i * 4 + j] =
                    (i == 3 && j == 3) || (pct == 0 && i == 3) || (pct == 1 && j == 3);
            }
        ck_assert_uint_eq(f[0 * 4 + 1], WFS_FLAG_SUPPRESSED); /* 4 respondents */
        ck_assert_uint_eq(f[1 * 4 + 0], WFS_FLAG_SUPPRESSED); /* 6 */
        ck_assert_uint_eq(f[2 * 4 + 2], WFS_FLAG_SUPPRESSED); /* 2 */
        ck_assert_int_eq(recoverable_any(f, known, 3, 3), -1);
        /* The percentages of hidden cells are hidden too, and no hidden
         * estimate keeps any number (the df of its domain included). */
        size_t hidden_props = 0, hidden = 0;
        for (size_t i = 0; i < wfs_result_nestimates(r); i++) {
            const wfs_estimate *e = wfs_result_estimate(r, i);
            if (!(e->flags & HID)) continue;
            hidden++;
            if (strcmp(e->statistic, "prop") == 0) hidden_props++;
            ck_assert(isnan(e->estimate) && isnan(e->se) && isnan(e->ci_lower) &&
                      isnan(e->ci_upper));
            ck_assert(isnan(e->df) && isnan(e->deff) && isnan(e->n) && isnan(e->n_weighted) &&
                      isnan(e->n_eff));
        }
        ck_assert_uint_ge(hidden_props, 3);
        /* JSON and CSV carry no value for them: only nulls (empty fields)
         * from the estimate to the flags. */
        char *json = NULL;
        ck_assert_int_eq(wfs_render(&json, NULL, r, WFS_FORMAT_JSON, NULL, &err), 0);
        ck_assert_ptr_nonnull(strstr(json, "\"suppressed\""));
        ck_assert_ptr_nonnull(strstr(json, "\"suppressed-complementary\""));
        ck_assert_uint_eq(suppressed_with_numbers_json(json), 0);
        ck_assert_uint_eq(count_suppressed(json, "{\"statistic\""), hidden);
        free(json);
        char *csv = NULL;
        ck_assert_int_eq(wfs_render(&csv, NULL, r, WFS_FORMAT_CSV, NULL, &err), 0);
        ck_assert_uint_eq(suppressed_with_numbers_csv(csv), 0);
        ck_assert_uint_eq(count_suppressed(csv, "\n"), hidden);
        free(csv);
        char *text = NULL;
        ck_assert_int_eq(wfs_render(&text, NULL, r, WFS_FORMAT_TEXT, NULL, &err), 0);
        ck_assert_ptr_nonnull(strstr(text, "[x]"));
        ck_assert_ptr_nonnull(strstr(text, "suppression: cells and totals of fewer than 10"));
        free(text);
        wfs_result_free(r);
    }
    wfs_design_free(d);
    wfs_table_free(tb);
}
END_TEST

START_TEST(test_tab_edges)
{
    /* A single column level: no test, a clear note, no numbers pretending
     * to be a test. */
    const int counts[2] = {12, 30};
    size_t n;
    wfs_table *tb = make_table(counts, 2, 1, &n);
    wfs_design *d = make_design(tb);
    const char *by[] = {"b"};
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    o.by = by;
    o.nby = 1;
    wfs_tab_options t = WFS_TAB_OPTIONS_INIT;
    t.tests = WFS_TEST_F | WFS_TEST_WALD;
    wfs_result *r = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_tab(&r, d, "a", &o, &t, &err), 0);
    ck_assert_uint_eq(wfs_result_ntests(r), 2);
    ck_assert(isnan(wfs_result_test(r, 0)->statistic));
    ck_assert(isnan(wfs_result_test(r, 1)->p_value));
    int noted = 0;
    for (size_t i = 0; i < wfs_result_nnotes(r); i++)
        noted |= strstr(wfs_result_note(r, i), "no test of independence") != NULL;
    ck_assert(noted);
    wfs_result_free(r);

    /* One-way table: counts, total, proportions; no tests. */
    o.nby = 0;
    ck_assert_int_eq(wfs_tab(&r, d, "a", &o, &t, &err), 0);
    ck_assert_uint_eq(wfs_result_nestimates(r), 2 + 1 + 2);
    ck_assert_uint_eq(wfs_result_ntests(r), 0);
    ck_assert_double_eq_tol(wfs_result_estimate(r, 3)->estimate, 12.0 / 42.0, 1e-14);
    wfs_result_free(r);

    /* Errors, each with a message. */
    o.nby = 1;
    ck_assert_int_eq(wfs_tab(&r, d, "nope", &o, &t, &err), WFS_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "nope"));
    ck_assert_ptr_null(r);
    by[0] = "a";
    ck_assert_int_eq(wfs_tab(&r, d, "a", &o, &t, &err), WFS_EINVAL);
    by[0] = "b";
    ck_assert_int_eq(wfs_tab(&r, d, "t", &o, &t, &err), WFS_ETYPE);
    o.filter = "x > 1000";
    ck_assert_int_eq(wfs_tab(&r, d, "a", &o, &t, &err), WFS_EDOMAIN);
    o.filter = NULL;
    /* A numeric row variable: a level per distinct value. */
    ck_assert_int_eq(wfs_tab(&r, d, "x", &o, &t, &err), 0);
    wfs_result_free(r);
    o.level = 1.5;
    ck_assert_int_eq(wfs_tab(&r, d, "a", &o, &t, &err), WFS_EINVAL);
    wfs_design_free(d);
    wfs_table_free(tb);
}
END_TEST

START_TEST(test_tab_too_many_levels)
{
    /* 600 distinct numeric values as rows: beyond the supported size. */
    size_t n = 600;
    double *x = malloc(n * sizeof *x), *w = malloc(n * sizeof *w);
    for (size_t i = 0; i < n; i++) {
        x[i] = (double)i;
        w[i] = 1;
    }
    wfs_table *tb = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_table_new(&tb, n, &err), 0);
    ck_assert_int_eq(wfs_table_add_numeric(tb, "x", x, NULL, &err), 0);
    ck_assert_int_eq(wfs_table_add_numeric(tb, "w", w, NULL, &err), 0);
    wfs_design *d = make_design(tb);
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    wfs_result *r = NULL;
    ck_assert_int_eq(wfs_tab(&r, d, "x", &o, NULL, &err), WFS_ELIMIT);
    ck_assert_ptr_nonnull(strstr(err.message, "at most"));
    wfs_design_free(d);
    wfs_table_free(tb);
    free(x);
    free(w);
}
END_TEST

static Suite *crosstab_suite(void)
{
    Suite *s = suite_create("crosstab");
    TCase *tc = tcase_create("suppression");
    tcase_add_test(tc, test_suppress_rectangle);
    tcase_add_test(tc, test_suppress_bridge);
    tcase_add_test(tc, test_suppress_oneway);
    tcase_add_test(tc, test_suppress_known_totals);
    tcase_add_test(tc, test_suppress_off_and_errors);
    tcase_add_test(tc, test_suppress_random);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    tc = tcase_create("reliability");
    tcase_add_test(tc, test_nchs);
    tcase_add_test(tc, test_nchs_extreme_effective_sizes);
    suite_add_tcase(s, tc);
    tc = tcase_create("tab");
    tcase_add_test(tc, test_tab_by_hand);
    tcase_add_test(tc, test_tab_suppression_end_to_end);
    tcase_add_test(tc, test_tab_edges);
    tcase_add_test(tc, test_tab_too_many_levels);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(crosstab_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
