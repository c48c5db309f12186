/* check_replicate.c - unit tests of replicate-weight designs
 * (lib/replicate.c, lib/hadamard.c).
 *
 * The R reference cases (tests/reference/rep_*) check every estimator
 * against R's survey package. The checks here are identities and
 * statistical properties that hold independently of R:
 *  - every Hadamard matrix is one (rows orthogonal in the +/-1 form);
 *  - for a total, JK1 with the first-stage fpc and JKn with stratum fpcs
 *    give exactly the Taylor (svyrecvar) variance, and BRR and Fay with
 *    two PSUs per stratum exactly the with-replacement Taylor variance,
 *    so the SEs agree to rounding (1e-10 relative);
 *  - the bootstrap SE is a random estimate of the Taylor SE: with 2000
 *    replicates and equal PSU counts per stratum its expectation is the
 *    Taylor variance and its relative standard deviation about
 *    sqrt(2/1999) = 3.2% on the variance, 1.6% on the SE; the tolerance
 *    of 7% on the SE is over four standard deviations. The same seed
 *    reproduces the same replicates.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "survey-private.h"
#include "wfstat.h"

/* A stratified cluster sample: H strata of P PSUs of M rows, PSU ids
 * repeating across strata, y with a PSU effect, deterministic. */
static wfs_table *cluster_data(size_t H, size_t P, size_t M, int with_fpc)
{
    size_t n = H * P * M;
    double *s = malloc(n * sizeof *s), *psu = malloc(n * sizeof *psu), *w = malloc(n * sizeof *w);
    double *y = malloc(n * sizeof *y), *f = malloc(n * sizeof *f);
    ck_assert(s && psu && w && y && f);
    unsigned long x = 12345;
    for (size_t i = 0; i < n; i++) {
        size_t h = i / (P * M), p = (i / M) % P;
        x = x * 6364136223846793005UL + 1442695040888963407UL;
        double u = (double)(x >> 11) / 9007199254740992.0;
        s[i] = (double)h;
        psu[i] = (double)p;
        w[i] = 10 + 5 * u + (double)h;
        y[i] = 20 + 3.0 * (double)((p * 7 + h * 3) % 5) + 10 * u;
        f[i] = (double)(P * (3 + h % 4));
    }
    wfs_table *t = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_table_new(&t, n, &err), 0);
    ck_assert_int_eq(wfs_table_add_numeric(t, "s", s, NULL, &err), 0);
    ck_assert_int_eq(wfs_table_add_numeric(t, "psu", psu, NULL, &err), 0);
    ck_assert_int_eq(wfs_table_add_numeric(t, "w", w, NULL, &err), 0);
    ck_assert_int_eq(wfs_table_add_numeric(t, "y", y, NULL, &err), 0);
    if (with_fpc) ck_assert_int_eq(wfs_table_add_numeric(t, "f", f, NULL, &err), 0);
    free(s);
    free(psu);
    free(w);
    free(y);
    free(f);
    return t;
}

static wfs_design *make_design(const wfs_table *t, int strata, int fpc)
{
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.weight = "w";
    spec.strata = strata ? "s" : NULL;
    spec.cluster[0] = "psu";
    spec.ncluster = 1;
    if (fpc) {
        spec.fpc[0] = "f";
        spec.nfpc = 1;
    }
    wfs_design *d = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_msg(wfs_design_new(&d, t, &spec, &err) == 0, "%s", err.message);
    return d;
}

static wfs_design *replicate(const wfs_design *d, wfs_rep_type type, double rho, size_t reps,
                             unsigned long seed)
{
    wfs_replicate_options o = WFS_REPLICATE_OPTIONS_INIT;
    o.type = type;
    o.rho = rho;
    o.reps = reps;
    o.seed = seed;
    wfs_design *r = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_msg(wfs_replicate_design(&r, d, &o, &err) == 0, "%s", err.message);
    return r;
}

/* SE of the total (total = 1) or mean of y. */
static double se_of(const wfs_design *d, int total)
{
    const char *vars[] = {"y"};
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    wfs_result *r = NULL;
    wfs_error err = WFS_ERROR_INIT;
    int rc = total ? wfs_total(&r, d, vars, 1, &o, &err) : wfs_mean(&r, d, vars, 1, &o, &err);
    ck_assert_msg(rc == 0, "%s", err.message);
    double se = wfs_result_estimate(r, 0)->se;
    wfs_result_free(r);
    return se;
}

#define REL(a, b) (fabs((a) - (b)) / fabs(b))

START_TEST(test_hadamard)
{
    for (size_t n = 1; n <= 127; n++) {
        const char *const *H;
        size_t k;
        ck_assert_int_eq(wfs_hadamard(&H, &k, n), 0);
        ck_assert_msg(k > n && k % 4 == 0, "order %zu for %zu strata", k, n);
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < i; j++) {
                long dot = 0;
                for (size_t c = 0; c < k; c++)
                    dot += (2 * wfs_hadamard_at(H, i, c) - 1) * (2 * wfs_hadamard_at(H, j, c) - 1);
                ck_assert_msg(dot == 0, "order %zu: rows %zu and %zu not orthogonal", k, i, j);
            }
    }
    const char *const *H;
    size_t k;
    ck_assert_int_eq(wfs_hadamard(&H, &k, 128), -1);
}
END_TEST

START_TEST(test_jk1_total_is_taylor)
{
    wfs_table *t = cluster_data(1, 9, 4, 1);
    wfs_design *d = make_design(t, 0, 1), *r = replicate(d, WFS_REP_JK1, 0, 0, 1);
    ck_assert_uint_eq(wfs_design_nreplicates(r), 9);
    ck_assert_double_eq(wfs_design_df(r), 8);
    double a = se_of(d, 1), b = se_of(r, 1);
    ck_assert_msg(REL(b, a) < 1e-10, "JK1 %.17g Taylor %.17g", b, a);
    wfs_design_free(r);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_jkn_total_is_taylor)
{
    wfs_table *t = cluster_data(6, 3, 5, 1);
    wfs_design *d = make_design(t, 1, 1), *r = replicate(d, WFS_REP_JKN, 0, 0, 1);
    ck_assert_uint_eq(wfs_design_nreplicates(r), 18);
    /* Rank: 18 replicates less one per stratum beyond the first. */
    ck_assert_double_eq(wfs_design_df(r), 18 - 6);
    double a = se_of(d, 1), b = se_of(r, 1);
    ck_assert_msg(REL(b, a) < 1e-10, "JKn %.17g Taylor %.17g", b, a);
    wfs_design_free(r);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

/* tab's counts and Wald test are linear in the cell totals, whose JKn
 * variance (with the fpc) is the Taylor variance: a JKn table gives the
 * Taylor table's count SEs and Wald statistic, on the same df. */
START_TEST(test_jkn_tab_counts_are_taylor)
{
    wfs_table *t = cluster_data(6, 3, 5, 1);
    wfs_design *d = make_design(t, 1, 1), *r = replicate(d, WFS_REP_JKN, 0, 0, 1);
    const char *by[] = {"s"};
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    o.by = by;
    o.nby = 1;
    wfs_tab_options to = WFS_TAB_OPTIONS_INIT;
    to.tests = WFS_TEST_WALD;
    wfs_result *a = NULL, *b = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_msg(wfs_tab(&a, d, "psu", &o, &to, &err) == 0, "%s", err.message);
    ck_assert_msg(wfs_tab(&b, r, "psu", &o, &to, &err) == 0, "%s", err.message);
    size_t n = wfs_result_nestimates(a), counts = 0;
    ck_assert_uint_eq(n, wfs_result_nestimates(b));
    for (size_t i = 0; i < n; i++) {
        const wfs_estimate *x = wfs_result_estimate(a, i), *y = wfs_result_estimate(b, i);
        ck_assert_double_eq_tol(y->estimate, x->estimate, 1e-9 * fabs(x->estimate) + 1e-12);
        if (strcmp(x->statistic, "count") != 0 || !(x->se > 0)) continue;
        ck_assert_msg(REL(y->se, x->se) < 1e-10, "count %zu: JKn %.17g Taylor %.17g", i, y->se,
                      x->se);
        ck_assert_double_eq(y->df, wfs_design_df(r)); /* the design df in every domain */
        counts++;
    }
    ck_assert_uint_gt(counts, 18);
    const wfs_test *ta = wfs_result_test(a, 0), *tb = wfs_result_test(b, 0);
    ck_assert(isfinite(ta->statistic));
    ck_assert_msg(REL(tb->statistic, ta->statistic) < 1e-9, "Wald JKn %.17g Taylor %.17g",
                  tb->statistic, ta->statistic);
    ck_assert_double_eq(tb->ddf, ta->ddf);
    wfs_result_free(a);
    wfs_result_free(b);
    wfs_design_free(r);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_brr_fay_total_is_taylor)
{
    wfs_table *t = cluster_data(11, 2, 3, 0);
    wfs_design *d = make_design(t, 1, 0);
    wfs_design *b = replicate(d, WFS_REP_BRR, 0, 0, 1), *f = replicate(d, WFS_REP_FAY, 0.4, 0, 1);
    ck_assert_uint_eq(wfs_design_nreplicates(b), 12);
    double a = se_of(d, 1);
    ck_assert_msg(REL(se_of(b, 1), a) < 1e-10, "BRR %.17g Taylor %.17g", se_of(b, 1), a);
    ck_assert_msg(REL(se_of(f, 1), a) < 1e-10, "Fay %.17g Taylor %.17g", se_of(f, 1), a);
    ck_assert_double_eq_tol(wfs_design_rep_scale(f), 1 / (12 * 0.6 * 0.6), 1e-15);
    wfs_design_free(b);
    wfs_design_free(f);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_bootstrap_estimates_taylor)
{
    wfs_table *t = cluster_data(30, 8, 25, 0);
    wfs_design *d = make_design(t, 1, 0);
    wfs_design *b = replicate(d, WFS_REP_BOOTSTRAP, 0, 2000, 42);
    wfs_design *b2 = replicate(d, WFS_REP_BOOTSTRAP, 0, 2000, 42);
    wfs_design *b3 = replicate(d, WFS_REP_BOOTSTRAP, 0, 2000, 43);
    ck_assert_uint_eq(wfs_design_nreplicates(b), 2000);
    /* bootweights' scale with 8 PSUs in every stratum. */
    ck_assert_double_eq_tol(wfs_design_rep_scale(b), 8.0 / (7.0 * 1999.0), 1e-15);
    for (int total = 0; total <= 1; total++) {
        double a = se_of(d, total), s = se_of(b, total);
        ck_assert_msg(REL(s, a) < 0.07, "bootstrap %g Taylor %g (%s)", s, a,
                      total ? "total" : "mean");
        ck_assert_msg(se_of(b2, total) == s, "the same seed gives the same replicates");
        ck_assert_msg(se_of(b3, total) != s, "another seed gives other replicates");
    }
    /* df: the rank of the replicate weights minus one. Every replicate
     * draws 8 PSUs per stratum, so the 30 strata's sums of PSU rows are
     * the same vector: 240 PSU rows of rank 240 - 29 = 211. */
    ck_assert_double_eq(wfs_design_df(b), 210);
    wfs_design_free(b);
    wfs_design_free(b2);
    wfs_design_free(b3);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_errors)
{
    wfs_table *t = cluster_data(3, 3, 2, 0);
    wfs_design *d = make_design(t, 1, 0), *u = make_design(t, 0, 0), *r = NULL;
    wfs_replicate_options o = WFS_REPLICATE_OPTIONS_INIT;
    wfs_error err = WFS_ERROR_INIT;
    o.type = WFS_REP_BRR;
    ck_assert_int_eq(wfs_replicate_design(&r, d, &o, &err), WFS_EDESIGN);
    ck_assert_ptr_null(r);
    ck_assert_ptr_nonnull(strstr(err.message, "has 3"));
    o.type = WFS_REP_JK1;
    ck_assert_int_eq(wfs_replicate_design(&r, d, &o, &err), WFS_EDESIGN);
    o.type = WFS_REP_JKN;
    ck_assert_int_eq(wfs_replicate_design(&r, u, &o, &err), WFS_EDESIGN);
    o.type = WFS_REP_FAY;
    o.rho = 1;
    ck_assert_int_eq(wfs_replicate_design(&r, d, &o, &err), WFS_EINVAL);
    o.type = WFS_REP_SDR;
    ck_assert_int_eq(wfs_replicate_design(&r, d, &o, &err), WFS_EINVAL);
    /* A replicate design cannot be converted again, and Taylor-only
     * analyses refuse it. */
    r = replicate(d, WFS_REP_JKN, 0, 0, 1);
    wfs_design *r2 = NULL;
    o.type = WFS_REP_JKN;
    ck_assert_int_eq(wfs_replicate_design(&r2, r, &o, &err), WFS_EDESIGN);
    wfs_result *res = NULL;
    wfs_est_options eo = WFS_EST_OPTIONS_INIT;
    wfs_tab_options to = WFS_TAB_OPTIONS_INIT;
    eo.deff = WFS_DEFF_YES;
    ck_assert_int_eq(wfs_tab(&res, r, "psu", &eo, &to, &err), WFS_EINVAL);
    ck_assert_ptr_null(res);
    ck_assert_ptr_nonnull(strstr(err.message, "design effects"));
    eo.deff = WFS_DEFF_NONE;
    eo.ci = WFS_CI_LIKELIHOOD;
    ck_assert_int_eq(wfs_tab(&res, r, "psu", &eo, &to, &err), WFS_EINVAL);
    ck_assert_ptr_null(res);
    /* Supplied weights: a missing column, too few columns, JKn without
     * rscales. */
    const char *cols[] = {"w", "nosuch"};
    wfs_repweights_spec spec = WFS_REPWEIGHTS_SPEC_INIT;
    spec.weight = "w";
    spec.columns = cols;
    spec.ncolumns = 2;
    ck_assert_int_eq(wfs_design_new_replicate(&r2, t, &spec, &err), WFS_ENOTFOUND);
    spec.ncolumns = 1;
    ck_assert_int_eq(wfs_design_new_replicate(&r2, t, &spec, &err), WFS_EINVAL);
    const char *cols2[] = {"w", "y"};
    spec.columns = cols2;
    spec.ncolumns = 2;
    spec.type = WFS_REP_JKN;
    ck_assert_int_eq(wfs_design_new_replicate(&r2, t, &spec, &err), WFS_EINVAL);
    spec.type = WFS_REP_JK1;
    ck_assert_int_eq(wfs_design_new_replicate(&r2, t, &spec, &err), 0);
    ck_assert_uint_eq(wfs_design_nreplicates(r2), 2);
    ck_assert_double_eq(wfs_design_rep_scale(r2), 0.5);
    wfs_design_free(r2);
    wfs_design_free(r);
    wfs_design_free(d);
    wfs_design_free(u);
    wfs_table_free(t);
}
END_TEST

/* trim on a replicate design: every replicate is trimmed to the bound and
 * keeps its sum of weights (R's trimWeights rule, strict, per replicate);
 * nonresponse keeps every replicate's weighted total in each cell. */
START_TEST(test_trim_and_nonresponse_every_replicate)
{
    wfs_table *t = cluster_data(4, 3, 6, 0);
    size_t n = wfs_table_nrows(t);
    double *resp = malloc(n * sizeof *resp), *w = malloc(n * sizeof *w);
    double *w2 = malloc(n * sizeof *w2);
    ck_assert(resp && w && w2);
    for (size_t i = 0; i < n; i++) resp[i] = i % 3 != 0;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_table_add_numeric(t, "resp", resp, NULL, &err), 0);
    wfs_design *d = make_design(t, 1, 0), *r = replicate(d, WFS_REP_JKN, 0, 0, 1), *tr = NULL;
    wfs_weighting_options o = WFS_WEIGHTING_OPTIONS_INIT;
    o.bounds = WFS_BOUND_UPPER;
    o.upper = 16;
    ck_assert_msg(wfs_trim_run(&tr, NULL, r, &o, &err) == 0, "%s", err.message);
    ck_assert_uint_eq(wfs_design_nreplicates(tr), wfs_design_nreplicates(r));
    for (size_t k = 0; k < wfs_design_nreplicates(r); k++) {
        ck_assert_int_eq(wfs_design_rep_weights(w, r, k, &err), 0);
        ck_assert_int_eq(wfs_design_rep_weights(w2, tr, k, &err), 0);
        double s1 = 0, s2 = 0, mx = 0;
        for (size_t i = 0; i < n; i++) {
            s1 += w[i];
            s2 += w2[i];
            if (w2[i] > mx) mx = w2[i];
            if (w[i] == 0) ck_assert(w2[i] == 0);
        }
        ck_assert_msg(mx <= 16 * (1 + 1e-12), "replicate %zu: largest weight %g", k, mx);
        ck_assert_msg(fabs(s2 - s1) <= 1e-9 * s1, "replicate %zu: sum %g, was %g", k, s2, s1);
    }
    /* The full-sample weights are trimmed as a Taylor design's. */
    wfs_design *td = NULL;
    ck_assert_int_eq(wfs_trim_run(&td, NULL, d, &o, &err), 0);
    for (size_t i = 0; i < n; i++)
        ck_assert_double_eq_tol(wfs_design_weights(tr)[i], wfs_design_weights(td)[i], 1e-12);
    wfs_design *nr = NULL;
    const char *cells[] = {"s"};
    ck_assert_msg(wfs_nonresponse_run(&nr, NULL, r, "resp", cells, 1, &o, &err) == 0, "%s",
                  err.message);
    for (size_t k = 0; k < wfs_design_nreplicates(r); k++) {
        ck_assert_int_eq(wfs_design_rep_weights(w, r, k, &err), 0);
        ck_assert_int_eq(wfs_design_rep_weights(w2, nr, k, &err), 0);
        double c1[4] = {0}, c2[4] = {0};
        for (size_t i = 0; i < n; i++) {
            size_t h = i / 18;
            c1[h] += w[i];
            c2[h] += w2[i];
            if (!resp[i]) ck_assert(w2[i] == 0);
        }
        for (size_t h = 0; h < 4; h++)
            ck_assert_msg(fabs(c2[h] - c1[h]) <= 1e-9 * c1[h], "replicate %zu stratum %zu", k, h);
    }
    free(resp);
    free(w);
    free(w2);
    wfs_design_free(nr);
    wfs_design_free(td);
    wfs_design_free(tr);
    wfs_design_free(r);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

/* The df of supplied weights: ten random columns have full rank, found
 * from the first rows (the pass stops early); adding their first two
 * columns' sum as an eleventh keeps the rank at 10, which needs the whole
 * pass (no subset of rows can prove a deficiency). */
START_TEST(test_supplied_rank)
{
    size_t n = 5000, R = 10;
    wfs_table *t = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_table_new(&t, n, &err), 0);
    double *v = malloc(n * sizeof *v);
    ck_assert(v);
    char name[16];
    const char *cols[10];
    static char names[10][16];
    unsigned long x = 99;
    for (size_t r = 0; r < R; r++) {
        for (size_t i = 0; i < n; i++) {
            x = x * 6364136223846793005UL + 1442695040888963407UL;
            v[i] = 1 + (double)(x >> 40) / 16777216.0;
        }
        snprintf(name, sizeof name, "r%zu", r);
        ck_assert_int_eq(wfs_table_add_numeric(t, name, v, NULL, &err), 0);
        snprintf(names[r], sizeof names[r], "%s", name);
        cols[r] = names[r];
    }
    const double *a = wfs_table_numeric(t, 0), *b = wfs_table_numeric(t, 1);
    for (size_t i = 0; i < n; i++) v[i] = a[i] + b[i];
    ck_assert_int_eq(wfs_table_add_numeric(t, "dep", v, NULL, &err), 0);
    wfs_repweights_spec spec = WFS_REPWEIGHTS_SPEC_INIT;
    spec.columns = cols;
    spec.ncolumns = R;
    spec.type = WFS_REP_BOOTSTRAP;
    wfs_design *d = NULL;
    ck_assert_msg(wfs_design_new_replicate(&d, t, &spec, &err) == 0, "%s", err.message);
    ck_assert_double_eq(wfs_design_df(d), 9);
    wfs_design_free(d);
    const char *cols2[11];
    for (size_t r = 0; r < R; r++) cols2[r] = cols[r];
    cols2[R] = "dep";
    spec.columns = cols2;
    spec.ncolumns = R + 1;
    ck_assert_msg(wfs_design_new_replicate(&d, t, &spec, &err) == 0, "%s", err.message);
    ck_assert_double_eq(wfs_design_df(d), 9);
    wfs_design_free(d);
    free(v);
    wfs_table_free(t);
}
END_TEST

static Suite *replicate_suite(void)
{
    Suite *s = suite_create("replicate");
    TCase *tc = tcase_create("identities");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_hadamard);
    tcase_add_test(tc, test_jk1_total_is_taylor);
    tcase_add_test(tc, test_jkn_total_is_taylor);
    tcase_add_test(tc, test_jkn_tab_counts_are_taylor);
    tcase_add_test(tc, test_brr_fay_total_is_taylor);
    tcase_add_test(tc, test_bootstrap_estimates_taylor);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_trim_and_nonresponse_every_replicate);
    tcase_add_test(tc, test_supplied_rank);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(replicate_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
