/* check_variance.c - unit tests of the Taylor variance engine
 * (lib/variance.c, wfs_recvar) on hand-made unit totals.
 *
 * Each expected value is worked out in the comment above it from R's
 * svyrecvar formulas (R-CONVENTIONS.md): per stratum
 * f n/(n-1) sum (z - zbar)^2, a singleton handled by the lonely-PSU
 * policy, later stages times n/N of their parent when their fpcs are
 * given. All expected values are exact fractions, so the tolerance is
 * 1e-12 relative to values of order 1-100.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "survey-private.h"
#include "wfstat.h"

#define TOL 1e-12

static wfs_table *table_of(size_t n)
{
    wfs_table *t = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_table_new(&t, n, &err), 0);
    return t;
}

static void num(wfs_table *t, const char *name, const double *v)
{
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_msg(wfs_table_add_numeric(t, name, v, NULL, &err) == 0, "%s", err.message);
}

static void str(wfs_table *t, const char *name, const char *const *v)
{
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_msg(wfs_table_add_strings(t, name, v, &err) == 0, "%s", err.message);
}

static wfs_design *design(const wfs_table *t, const wfs_design_spec *spec)
{
    wfs_design *d = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_msg(wfs_design_new(&d, t, spec, &err) == 0, "%s", err.message);
    return d;
}

/* One-stage stratified data, rows are the PSUs: A = rows 0-2, B = rows
 * 3-4, C = row 5 (a singleton stratum). Unit totals Z below. */
static const char *const S6[] = {"A", "A", "A", "B", "B", "C"};
static const double Z6[] = {1, 2, 6, 4, 8, 5};
/*  A: zbar 3, SS 4 + 1 + 9 = 14, times 3/2 = 21.
 *  B: zbar 6, SS 4 + 4 = 8, times 2 = 16.
 *  C: 5 alone. */

static wfs_table *strat6(const double *fpc)
{
    wfs_table *t = table_of(6);
    str(t, "s", S6);
    if (fpc) num(t, "f", fpc);
    return t;
}

static wfs_design *strat6_design(const wfs_table *t, wfs_lonely l, int fpc)
{
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.strata = "s";
    spec.lonely = l;
    if (fpc) {
        spec.fpc[0] = "f";
        spec.nfpc = 1;
    }
    return design(t, &spec);
}

static double recvar1(const wfs_design *d, const uint32_t *units, const double *z, size_t m,
                      int *lonely_used, int expect_rc)
{
    double v = NAN;
    wfs_error err = WFS_ERROR_INIT;
    int rc = wfs_recvar(&v, d, units, z, m, 1, lonely_used, &err);
    ck_assert_msg(rc == expect_rc, "rc %d: %s", rc, err.message);
    return v;
}

START_TEST(test_lonely_policies)
{
    wfs_table *t = strat6(NULL);
    struct {
        wfs_lonely l;
        double v;
        int used;
    } cases[] = {
        /* adjust: C's total is not centred, f z^2 = 25: 21 + 16 + 25. */
        {WFS_LONELY_ADJUST, 62, 1},
        /* average: (21 + 16) times 3 strata / 2 with a variance. */
        {WFS_LONELY_AVERAGE, 55.5, 1},
        /* certainty and remove: C contributes nothing. */
        {WFS_LONELY_CERTAINTY, 37, 0},
        {WFS_LONELY_REMOVE, 37, 0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        wfs_design *d = strat6_design(t, cases[k].l, 0);
        int used = -1;
        double v = recvar1(d, NULL, Z6, 6, &used, 0);
        ck_assert_double_eq_tol(v, cases[k].v, TOL * cases[k].v);
        ck_assert_int_eq(used, cases[k].used);
        wfs_design_free(d);
    }
    wfs_table_free(t);
}
END_TEST

START_TEST(test_lonely_fail_names_stratum)
{
    /* The design refuses lonely=fail up front; the engine refuses it too
     * when handed such a design, naming the stratum and the policies. */
    wfs_table *t = strat6(NULL);
    wfs_design *d = strat6_design(t, WFS_LONELY_ADJUST, 0);
    d->lonely = WFS_LONELY_FAIL;
    double v;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_recvar(&v, d, NULL, Z6, 6, 1, NULL, &err), WFS_EDESIGN);
    ck_assert_ptr_nonnull(strstr(err.message, "stratum C has only one PSU"));
    ck_assert_ptr_nonnull(strstr(err.message, "lonely=adjust, average, certainty or remove"));
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_average_needs_a_variance)
{
    /* Only stratum C in the domain: nothing to average over. */
    wfs_table *t = strat6(NULL);
    wfs_design *d = strat6_design(t, WFS_LONELY_AVERAGE, 0);
    uint32_t units[] = {5};
    double z[] = {5}, v;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_recvar(&v, d, units, z, 1, 1, NULL, &err), WFS_EDESIGN);
    ck_assert_ptr_nonnull(strstr(err.message, "at least one stratum with two or more PSUs"));
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_fpc_and_certainty_units)
{
    /* fpc A = 6, B = 4 (f = 1/2 each), C = 1: C is taken with certainty
     * (f = 0) and contributes nothing under any policy, even fail; for
     * average it counts as a stratum with a variance, so nothing is
     * rescaled. V = 21/2 + 16/2 = 18.5. Fractions 0.5, 0.5, 1 are the same
     * design. */
    const double counts[] = {6, 6, 6, 4, 4, 1}, fracs[] = {0.5, 0.5, 0.5, 0.5, 0.5, 1};
    const double *fp[] = {counts, fracs};
    for (size_t k = 0; k < 2; k++) {
        wfs_table *t = strat6(fp[k]);
        for (int l = WFS_LONELY_FAIL; l <= WFS_LONELY_REMOVE; l++) {
            wfs_design *d = strat6_design(t, (wfs_lonely)l, 1);
            int used = -1;
            double v = recvar1(d, NULL, Z6, 6, &used, 0);
            ck_assert_double_eq_tol(v, 18.5, TOL * 18.5);
            ck_assert_int_eq(used, 0);
            wfs_design_free(d);
        }
        wfs_table_free(t);
    }
}
END_TEST

START_TEST(test_absent_units)
{
    /* A domain holding units 0 and 2 of A and unit 3 of B: the absent
     * units have zero totals; C has no domain units and takes no part.
     *   A: 1, 0, 6: zbar 7/3, SS 16/9 + 49/9 + 121/9 = 62/3, times 3/2 = 31.
     *   B: 4, 0: zbar 2, SS 8, times 2 = 16.
     * 47 under every policy (no singleton in the domain). */
    wfs_table *t = strat6(NULL);
    uint32_t units[] = {2, 0, 3};
    double z[] = {6, 1, 4};
    for (int l = WFS_LONELY_ADJUST; l <= WFS_LONELY_REMOVE; l++) {
        wfs_design *d = strat6_design(t, (wfs_lonely)l, 0);
        ck_assert_double_eq_tol(recvar1(d, units, z, 3, NULL, 0), 47, TOL * 47);
        wfs_design_free(d);
    }
    /* A domain in B and C only: B 4, 8 gives 16; C alone:
     *   adjust 16 + 25; average 16 x 2 strata / 1; certainty, remove 16. */
    uint32_t u2[] = {3, 4, 5};
    double z2[] = {4, 8, 5};
    double expect[] = {0, 41, 32, 16, 16};
    for (int l = WFS_LONELY_ADJUST; l <= WFS_LONELY_REMOVE; l++) {
        wfs_design *d = strat6_design(t, (wfs_lonely)l, 0);
        ck_assert_double_eq_tol(recvar1(d, u2, z2, 3, NULL, 0), expect[l], TOL * expect[l]);
        wfs_design_free(d);
    }
    wfs_table_free(t);
    /* With the fpcs of the previous test: 31/2 + 16/2. */
    const double counts[] = {6, 6, 6, 4, 4, 1};
    t = strat6(counts);
    wfs_design *d = strat6_design(t, WFS_LONELY_FAIL, 1);
    ck_assert_double_eq_tol(recvar1(d, units, z, 3, NULL, 0), 23.5, TOL * 23.5);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_covariance)
{
    /* Two columns: Z6 and (1, 0, 2, 3, 3, 0).
     *   A: deviations (-2, -1, 3) and (0, -1, 1): cross 4, SS2 2; times 3/2.
     *   B: deviations (-2, 2) and (0, 0): nothing beyond V11.
     * certainty: [[37, 6], [6, 3]]; adjust adds C's raw [[25, 0], [0, 0]]. */
    wfs_table *t = strat6(NULL);
    double z[12];
    const double z2[] = {1, 0, 2, 3, 3, 0};
    for (size_t i = 0; i < 6; i++) {
        z[2 * i] = Z6[i];
        z[2 * i + 1] = z2[i];
    }
    wfs_lonely pol[] = {WFS_LONELY_CERTAINTY, WFS_LONELY_ADJUST};
    double v11[] = {37, 62};
    for (size_t k = 0; k < 2; k++) {
        wfs_design *d = strat6_design(t, pol[k], 0);
        double V[4];
        wfs_error err = WFS_ERROR_INIT;
        ck_assert_int_eq(wfs_recvar(V, d, NULL, z, 6, 2, NULL, &err), 0);
        ck_assert_double_eq_tol(V[0], v11[k], TOL * 100);
        ck_assert_double_eq_tol(V[1], 6, TOL * 100);
        ck_assert_double_eq_tol(V[2], 6, TOL * 100);
        ck_assert_double_eq_tol(V[3], 3, TOL * 100);
        wfs_design_free(d);
    }
    wfs_table_free(t);
}
END_TEST

/* ---- two stages ---- */

/* One stratum, 3 PSUs sampled of N1; PSU 1: SSUs a, b of 4; PSU 2: c, d,
 * e of 6; PSU 3: f alone of N2_3. Units at stage 2 in row order. */
static const double P6[] = {1, 1, 2, 2, 2, 3}, Q6[] = {1, 2, 1, 2, 3, 1};
static const double ZSSU[] = {1, 3, 2, 2, 5, 7};

static wfs_table *twostage(double N1, double N2_3)
{
    double f1[6], f2[] = {4, 4, 6, 6, 6, N2_3};
    for (size_t i = 0; i < 6; i++) f1[i] = N1;
    wfs_table *t = table_of(6);
    num(t, "p", P6);
    num(t, "q", Q6);
    num(t, "f1", f1);
    num(t, "f2", f2);
    return t;
}

static wfs_design *twostage_design(const wfs_table *t, wfs_lonely l)
{
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.cluster[0] = "p";
    spec.cluster[1] = "q";
    spec.ncluster = 2;
    spec.fpc[0] = "f1";
    spec.fpc[1] = "f2";
    spec.nfpc = 2;
    spec.lonely = l;
    return design(t, &spec);
}

START_TEST(test_two_stage)
{
    /* N1 = 6, PSU 3 taken whole (N2 = 1).
     *   Stage 1: PSU totals 4, 9, 7, zbar 20/3, SS 114/9; f = 1/2,
     *            times 1/2 * 3/2: 9.5.
     *   Stage 2, each times n1/N1 = 1/2:
     *     PSU 1: 1, 3 of 4: SS 2, times 1/2 * 2 = 2;
     *     PSU 2: 2, 2, 5 of 6: SS 6, times 1/2 * 3/2 = 4.5;
     *     PSU 3: f = 0, nothing.  (2 + 4.5) / 2 = 3.25.
     * V = 12.75, both from dense totals and from a listed, shuffled set. */
    wfs_table *t = twostage(6, 1);
    wfs_design *d = twostage_design(t, WFS_LONELY_FAIL);
    ck_assert_uint_eq(d->acc_level, 2);
    ck_assert_double_eq_tol(recvar1(d, NULL, ZSSU, 6, NULL, 0), 12.75, TOL * 12.75);
    uint32_t units[] = {5, 0, 4, 1, 3, 2};
    double z[6];
    for (size_t r = 0; r < 6; r++) z[r] = ZSSU[units[r]];
    ck_assert_double_eq_tol(recvar1(d, units, z, 6, NULL, 0), 12.75, TOL * 12.75);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_two_stage_certainty_psus)
{
    /* All 3 PSUs taken (N1 = 3): stage 1 contributes nothing and stage 2
     * counts in full (n1/N1 = 1): 2 + 4.5 = 6.5. */
    wfs_table *t = twostage(3, 1);
    wfs_design *d = twostage_design(t, WFS_LONELY_FAIL);
    ck_assert_double_eq_tol(recvar1(d, NULL, ZSSU, 6, NULL, 0), 6.5, TOL * 6.5);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_two_stage_lonely)
{
    /* PSU 3 holds 1 of 3 units (f = 2/3): a singleton at stage 2.
     *   adjust: + 1/2 * 2/3 * 7^2 = 49/3 on top of 12.75;
     *   certainty, remove: 12.75;
     *   average: R gives NaN (no stratum with a variance inside PSU 3);
     *   wfstat refuses with a message. */
    wfs_table *t = twostage(6, 3);
    wfs_design *d = twostage_design(t, WFS_LONELY_ADJUST);
    int used = 0;
    double v = recvar1(d, NULL, ZSSU, 6, &used, 0);
    ck_assert_double_eq_tol(v, 12.75 + 49. / 3, TOL * 30);
    ck_assert_int_eq(used, 1);
    wfs_design_free(d);
    for (int l = WFS_LONELY_CERTAINTY; l <= WFS_LONELY_REMOVE; l++) {
        d = twostage_design(t, (wfs_lonely)l);
        ck_assert_double_eq_tol(recvar1(d, NULL, ZSSU, 6, NULL, 0), 12.75, TOL * 12.75);
        wfs_design_free(d);
    }
    d = twostage_design(t, WFS_LONELY_AVERAGE);
    double vv;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_recvar(&vv, d, NULL, ZSSU, 6, 1, NULL, &err), WFS_EDESIGN);
    ck_assert_ptr_nonnull(strstr(err.message, "lonely=average"));
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_two_stage_absent_units)
{
    /* A domain holding a (1), c (2) and d (2); PSU 3 has no domain rows.
     *   Stage 1: PSU totals 1, 4, 0 (the stratum keeps its 3 PSUs):
     *            zbar 5/3, SS 78/9, times 3/4: 6.5.
     *   Stage 2 (PSU 3 takes no part), times 1/2:
     *     PSU 1: 1, 0: SS 1/2, times 1;  PSU 2: 2, 2, 0: SS 8/3, times 3/4.
     *     (1/2 + 2) / 2 = 1.25.
     * V = 7.75. */
    wfs_table *t = twostage(6, 1);
    wfs_design *d = twostage_design(t, WFS_LONELY_FAIL);
    uint32_t units[] = {0, 2, 3};
    double z[] = {1, 2, 2};
    ck_assert_double_eq_tol(recvar1(d, units, z, 3, NULL, 0), 7.75, TOL * 7.75);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_without_later_fpc)
{
    /* Clusters at two stages without fpc: only stage 1 counts (ultimate
     * clusters), with replacement: PSU totals 4, 9, 7, SS 114/9, times
     * 3/2 = 19. */
    wfs_table *t = twostage(6, 1);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.cluster[0] = "p";
    spec.cluster[1] = "q";
    spec.ncluster = 2;
    wfs_design *d = design(t, &spec);
    ck_assert_uint_eq(d->acc_level, 1);
    double zpsu[] = {4, 9, 7};
    ck_assert_double_eq_tol(recvar1(d, NULL, zpsu, 3, NULL, 0), 19, TOL * 19);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_tcrit)
{
    /* qt(0.975, 4) and qnorm(0.975) in R; NaN for df <= 0. */
    ck_assert_double_eq_tol(wfs_tcrit(0.95, 4), 2.7764451051977934, 1e-12);
    ck_assert_double_eq_tol(wfs_tcrit(0.95, INFINITY), 1.9599639845400536, 1e-12);
    ck_assert_double_eq_tol(wfs_tcrit(0.90, 9), 1.8331129326562365, 1e-12);
    ck_assert(isnan(wfs_tcrit(0.95, 0)));
}
END_TEST

/* Beta quantiles against R's qbeta (R 4.2.2), from shapes below 1 to 1e12:
 * the Korn-Graubard interval needs them for effective sample sizes in the
 * billions, where gsl_cdf_beta_Pinv returned NaN or never returned. 1e-9
 * relative, or 1e-16 absolute (quantiles near 1e-11, a tiny shape against
 * a huge one, agree to about 5 digits). */
START_TEST(test_qbeta_against_r)
{
    static const double cases[][4] = {
        {0.025000000000000001, 0.5, 20, 2.4860208631304357e-05},
        {0.97499999999999998, 0.5, 20, 0.11940702395503566},
        {0.025000000000000001, 3.7000000000000002, 20, 0.043170904377312719},
        {0.97499999999999998, 3.7000000000000002, 20, 0.32336453538887389},
        {0.025000000000000001, 1000, 20, 0.971034976646305},
        {0.97499999999999998, 1000, 20, 0.98797106599206963},
        {0.025000000000000001, 10000000, 20, 0.99999703292186337},
        {0.97499999999999998, 10000000, 20, 0.99999877834994821},
        {0.025000000000000001, 1000000000000, 20, 0.99999999997032918},
        {0.97499999999999998, 1000000000000, 20, 0.99999999998778344},
        {0.025000000000000001, 0.5, 1000000, 4.9103468122572572e-10},
        {0.97499999999999998, 0.5, 1000000, 2.5119405667151732e-06},
        {0.025000000000000001, 3.7000000000000002, 1000000, 9.4087075158282818e-07},
        {0.97499999999999998, 3.7000000000000002, 1000000, 8.3129314860518449e-06},
        {0.025000000000000001, 1000, 1000000, 0.00093806405381939367},
        {0.97499999999999998, 1000, 1000000, 0.0010618264412813421},
        {0.025000000000000001, 10000000, 1000000, 0.90892095208751},
        {0.97499999999999998, 10000000, 1000000, 0.90926072519553047},
        {0.025000000000000001, 1000000000000, 1000000, 0.99999899804009196},
        {0.97499999999999998, 1000000000000, 1000000, 0.99999900196001368},
        {0.025000000000000001, 0.5, 100000000000, 4.9103455858885436e-15},
        {0.97499999999999998, 0.5, 100000000000, 2.5119430936321737e-11},
        {0.025000000000000001, 3.7000000000000002, 100000000000, 9.4087246436037162e-12},
        {0.97499999999999998, 3.7000000000000002, 100000000000, 8.3129772606925162e-11},
        {0.025000000000000001, 1000, 100000000000, 9.3897300930917333e-09},
        {0.97499999999999998, 1000, 100000000000, 1.0629211402665899e-08},
        {0.025000000000000001, 10000000, 100000000000, 9.9928040261665403e-05},
        {0.97499999999999998, 10000000, 100000000000, 0.00010005198067551132},
        {0.025000000000000001, 1000000000000, 100000000000, 0.90909037186168062},
        {0.97499999999999998, 1000000000000, 100000000000, 0.90909144631872851},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        double q = cases[k][0], a = cases[k][1], b = cases[k][2], r = cases[k][3];
        double x = wfs_qbeta(q, a, b);
        double tol = fmax(1e-9 * r, 1e-16);
        ck_assert_msg(fabs(x - r) <= tol, "qbeta(%g, %g, %g) = %.17g, R %.17g", q, a, b, x, r);
    }
    ck_assert(isnan(wfs_qbeta(0.5, 0, 1)));
    ck_assert(isnan(wfs_qbeta(1.5, 1, 1)));
    ck_assert_double_eq(wfs_qbeta(0, 2, 3), 0);
    ck_assert_double_eq(wfs_qbeta(1, 2, 3), 1);
}
END_TEST

static Suite *variance_suite(void)
{
    Suite *s = suite_create("variance");
    TCase *tc = tcase_create("one stage");
    tcase_add_test(tc, test_lonely_policies);
    tcase_add_test(tc, test_lonely_fail_names_stratum);
    tcase_add_test(tc, test_average_needs_a_variance);
    tcase_add_test(tc, test_fpc_and_certainty_units);
    tcase_add_test(tc, test_absent_units);
    tcase_add_test(tc, test_covariance);
    tcase_add_test(tc, test_tcrit);
    tcase_add_test(tc, test_qbeta_against_r);
    suite_add_tcase(s, tc);
    tc = tcase_create("two stages");
    tcase_add_test(tc, test_two_stage);
    tcase_add_test(tc, test_two_stage_certainty_psus);
    tcase_add_test(tc, test_two_stage_lonely);
    tcase_add_test(tc, test_two_stage_absent_units);
    tcase_add_test(tc, test_without_later_fpc);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(variance_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
