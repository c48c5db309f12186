/* check_design.c - unit tests of survey designs (lib/design.c).
 *
 * Every bad input the design validates is provoked on purpose and its
 * message checked for the item it must name; the summary numbers (df,
 * strata, PSUs, sum of weights, implied weights, population sizes) are
 * compared with values worked out by hand in the comments. Tolerances are
 * stated where a number is not an exact small integer.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "survey-private.h"
#include "wfstat.h"

#define NA NAN

/* ---- building small tables ---- */

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

/* A design that must be rejected with code; returns the message (static). */
static const char *reject(const wfs_table *t, const wfs_design_spec *spec, int code)
{
    static wfs_error err;
    wfs_design *d = (wfs_design *)1;
    wfs_error_clear(&err);
    int rc = wfs_design_new(&d, t, spec, &err);
    ck_assert_msg(rc == code, "expected code %d, got %d (%s)", code, rc, err.message);
    ck_assert_int_eq(err.code, code);
    ck_assert_ptr_null(d);
    ck_assert_msg(err.message[0] != 0, "no message");
    return err.message;
}

static wfs_design *accept(const wfs_table *t, const wfs_design_spec *spec)
{
    wfs_design *d = NULL;
    wfs_error err = WFS_ERROR_INIT;
    int rc = wfs_design_new(&d, t, spec, &err);
    ck_assert_msg(rc == 0, "design rejected: %s", err.message);
    ck_assert_ptr_nonnull(d);
    return d;
}

#define HAS(msg, s) ck_assert_msg(strstr((msg), (s)) != NULL, "\"%s\" not in: %s", (s), (msg))

/* The stratified clustered table used by several tests: strata A, B, C;
 * PSU ids 1 and 2 in every stratum (so they repeat across strata); C's
 * PSU 2 has a zero weight on both rows. */
static const char *const S9[] = {"A", "A", "A", "B", "B", "B", "C", "C", "C"};
static const double PSU9[] = {1, 1, 2, 1, 2, 2, 1, 2, 2};
static const double W9[] = {1, 2, 3, 4, 5, 6, 7, 0, 0};

static wfs_table *table9(void)
{
    wfs_table *t = table_of(9);
    str(t, "s", S9);
    num(t, "psu", PSU9);
    num(t, "w", W9);
    return t;
}

/* ---- weights ---- */

START_TEST(test_weight_missing)
{
    /* NaN is missing in a numeric column. */
    double w[] = {1, 2, NA, 4, NA};
    wfs_table *t = table_of(5);
    num(t, "w", w);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.weight = "w";
    const char *m = reject(t, &spec, WFS_EDESIGN);
    HAS(m, "weight variable \"w\"");
    HAS(m, "2 missing values");
    HAS(m, "first in row 3");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_weight_negative)
{
    double w[] = {1, -2.5, 3};
    wfs_table *t = table_of(3);
    num(t, "w", w);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.weight = "w";
    const char *m = reject(t, &spec, WFS_EDESIGN);
    HAS(m, "\"w\"");
    HAS(m, "row 2");
    HAS(m, "-2.5");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_weight_infinite)
{
    double w[] = {1, 2, INFINITY};
    wfs_table *t = table_of(3);
    num(t, "w", w);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.weight = "w";
    const char *m = reject(t, &spec, WFS_EDESIGN);
    HAS(m, "finite");
    HAS(m, "row 3");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_weight_categorical)
{
    const char *w[] = {"1", "x", "2"};
    wfs_table *t = table_of(3);
    str(t, "w", w);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.weight = "w";
    const char *m = reject(t, &spec, WFS_ETYPE);
    HAS(m, "weight variable \"w\" must be numeric");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_weights_all_zero)
{
    double w[] = {0, 0, 0};
    wfs_table *t = table_of(3);
    num(t, "w", w);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.weight = "w";
    HAS(reject(t, &spec, WFS_EDESIGN), "every weight is zero");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_zero_weights_allowed)
{
    /* Rows with weight 0 are in the data, not in the sample: they do not
     * count for the df. Strata A (PSUs 1, 2), B (1, 2), C (1; PSU 2 has
     * only zero weights): df = 5 PSUs - 3 strata = 2 (R's degf), while
     * the design still has 6 PSUs. Sum of weights 1+..+7 = 28. */
    wfs_table *t = table9();
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.weight = "w";
    spec.strata = "s";
    spec.cluster[0] = "psu";
    spec.ncluster = 1;
    wfs_design *d = accept(t, &spec);
    ck_assert_uint_eq(wfs_design_nrows(d), 9);
    ck_assert_uint_eq(wfs_design_nstrata(d), 3);
    ck_assert_uint_eq(wfs_design_npsu(d), 6);
    ck_assert_double_eq_tol(wfs_design_df(d), 2, 1e-15);
    ck_assert_double_eq_tol(wfs_design_sum_weights(d), 28, 1e-12);
    ck_assert_int_eq(wfs_design_lonely(d), WFS_LONELY_FAIL);
    ck_assert_int_eq(wfs_design_has_fpc(d), 0);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

/* ---- design variables ---- */

START_TEST(test_unknown_variables)
{
    double w[] = {1, 2, 3};
    wfs_table *t = table_of(3);
    num(t, "w", w);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.weight = "wt";
    HAS(reject(t, &spec, WFS_ENOTFOUND), "weight variable \"wt\" is not in the data");
    spec.weight = "w";
    spec.strata = "region";
    HAS(reject(t, &spec, WFS_ENOTFOUND), "strata variable \"region\" is not in the data");
    spec.strata = NULL;
    spec.cluster[0] = "council";
    spec.ncluster = 1;
    HAS(reject(t, &spec, WFS_ENOTFOUND), "cluster variable \"council\" is not in the data");
    spec.ncluster = 0;
    spec.fpc[0] = "N";
    spec.nfpc = 1;
    HAS(reject(t, &spec, WFS_ENOTFOUND), "fpc variable \"N\" is not in the data");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_missing_design_variables)
{
    const char *s[] = {"A", NULL, "B", "B"};
    double c[] = {1, 2, NA, 4}, w[] = {1, 1, 1, 1}, f[] = {10, 10, NA, 10};
    wfs_table *t = table_of(4);
    str(t, "s", s);
    num(t, "c", c);
    num(t, "w", w);
    num(t, "f", f);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.weight = "w";
    spec.strata = "s";
    const char *m = reject(t, &spec, WFS_EDESIGN);
    /* One missing value is singular (it used to read "1 missing values"). */
    HAS(m, "strata variable \"s\" has 1 missing value (first");
    HAS(m, "row 2");
    spec.strata = NULL;
    spec.cluster[0] = "c";
    spec.ncluster = 1;
    m = reject(t, &spec, WFS_EDESIGN);
    HAS(m, "cluster variable \"c\"");
    HAS(m, "row 3");
    spec.ncluster = 0;
    spec.fpc[0] = "f";
    spec.nfpc = 1;
    m = reject(t, &spec, WFS_EDESIGN);
    HAS(m, "fpc variable \"f\"");
    HAS(m, "row 3");
    wfs_table_free(t);
}
END_TEST

/* ---- fpc ---- */

START_TEST(test_fpc_varies_within_stratum)
{
    const char *s[] = {"A", "A", "B", "B"};
    double f[] = {10, 10, 20, 21};
    wfs_table *t = table_of(4);
    str(t, "s", s);
    num(t, "f", f);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.strata = "s";
    spec.fpc[0] = "f";
    spec.nfpc = 1;
    const char *m = reject(t, &spec, WFS_EDESIGN);
    HAS(m, "fpc \"f\" varies within stratum B");
    HAS(m, "20 and 21");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_fpc_below_sample)
{
    /* Stratum B samples 3 rows from a population said to be 2. */
    const char *s[] = {"A", "A", "B", "B", "B"};
    double f[] = {10, 10, 2, 2, 2};
    wfs_table *t = table_of(5);
    str(t, "s", s);
    num(t, "f", f);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.strata = "s";
    spec.fpc[0] = "f";
    spec.nfpc = 1;
    const char *m = reject(t, &spec, WFS_EDESIGN);
    HAS(m, "more than 100% sampling in stratum B");
    HAS(m, "population 2");
    HAS(m, "sampled 3 units");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_fpc_fraction_above_one_is_count)
{
    /* A fraction of 0.5 in one stratum and a count of 10 in the other is
     * a mixture. */
    const char *s[] = {"A", "A", "B", "B"};
    double f[] = {0.5, 0.5, 10, 10};
    wfs_table *t = table_of(4);
    str(t, "s", s);
    num(t, "f", f);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.strata = "s";
    spec.fpc[0] = "f";
    spec.nfpc = 1;
    /* The message names the variable, value and row of each kind (it
     * used to name neither). */
    const char *m = reject(t, &spec, WFS_EDESIGN);
    HAS(m, "mixes population counts (> 1: \"f\" is 10 in row 3)");
    HAS(m, "sampling fractions (< 1: \"f\" is 0.5 in row 1)");
    wfs_table_free(t);
}
END_TEST

/* A zero fpc among population counts used to be reported as a mixture
 * of counts and fractions instead of naming the bad row. */
START_TEST(test_fpc_zero_not_mistaken_for_fraction)
{
    double f[] = {10, 0, 10};
    wfs_table *t = table_of(3);
    num(t, "f", f);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.fpc[0] = "f";
    spec.nfpc = 1;
    const char *m = reject(t, &spec, WFS_EDESIGN);
    HAS(m, "fpc \"f\" must be positive");
    HAS(m, "row 2 has 0");
    double g[] = {0.5, 0.5, -1};
    wfs_table_free(t);
    t = table_of(3);
    num(t, "f", g);
    HAS(reject(t, &spec, WFS_EDESIGN), "row 3 has -1");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_fpc_wrong_number_of_stages)
{
    double p[] = {1, 1, 2, 2}, q[] = {1, 2, 1, 2}, f[] = {10, 10, 10, 10};
    wfs_table *t = table_of(4);
    num(t, "p", p);
    num(t, "q", q);
    num(t, "f", f);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.cluster[0] = "p";
    spec.cluster[1] = "q";
    spec.ncluster = 2;
    spec.fpc[0] = "f";
    spec.nfpc = 1;
    const char *m = reject(t, &spec, WFS_EDESIGN);
    HAS(m, "one fpc per sampling stage");
    HAS(m, "cluster has 2 stages but fpc has 1");
    /* Two fpcs for a design whose rows are the PSUs. */
    spec.ncluster = 0;
    spec.fpc[1] = "f";
    spec.nfpc = 2;
    HAS(reject(t, &spec, WFS_EDESIGN), "cluster has 1 stage but fpc has 2");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_fpc_counts_and_fractions)
{
    /* Stratum A: 2 of 8 (count 8 or fraction 0.25); B: 3 of 12 (0.25).
     * Both spellings give the same population sizes. Without weights,
     * the weights are N_h / n_h = 4 in both strata; sum 20 = 8 + 12. */
    const char *s[] = {"A", "A", "B", "B", "B"};
    double cnt[] = {8, 8, 12, 12, 12}, frac[] = {0.25, 0.25, 0.25, 0.25, 0.25};
    wfs_table *t = table_of(5);
    str(t, "s", s);
    num(t, "N", cnt);
    num(t, "f", frac);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.strata = "s";
    spec.fpc[0] = "N";
    spec.nfpc = 1;
    for (int k = 0; k < 2; k++) {
        wfs_design *d = accept(t, &spec);
        ck_assert_int_eq(wfs_design_has_fpc(d), 1);
        ck_assert_double_eq_tol(d->lev[1].popsize[0], 8, 1e-12);
        ck_assert_double_eq_tol(d->lev[1].popsize[1], 12, 1e-12);
        ck_assert_uint_eq(d->lev[1].count[0], 2);
        ck_assert_uint_eq(d->lev[1].count[1], 3);
        const double *w = wfs_design_weights(d);
        for (size_t i = 0; i < 5; i++) ck_assert_double_eq_tol(w[i], 4, 1e-12);
        ck_assert_double_eq_tol(wfs_design_sum_weights(d), 20, 1e-12);
        ck_assert_ptr_nonnull(strstr(wfs_design_describe(d), "weights implied by the fpc"));
        wfs_design_free(d);
        spec.fpc[0] = "f";
    }
    wfs_table_free(t);
}
END_TEST

START_TEST(test_fpc_fraction_one_is_census)
{
    /* A fraction of exactly 1 is a census of the stratum, not a count of
     * 1: stratum A (1 PSU, f = 1) is a certainty stratum, so lonely=fail
     * accepts it. */
    const char *s[] = {"A", "B", "B"};
    double f[] = {1, 0.5, 0.5};
    wfs_table *t = table_of(3);
    str(t, "s", s);
    num(t, "f", f);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.strata = "s";
    spec.fpc[0] = "f";
    spec.nfpc = 1;
    wfs_design *d = accept(t, &spec);
    ck_assert_double_eq_tol(d->lev[1].popsize[0], 1, 1e-12);
    ck_assert_double_eq_tol(d->lev[1].popsize[1], 4, 1e-12);
    /* Implied weights: 1/1 and 4/2. */
    ck_assert_double_eq_tol(wfs_design_weights(d)[0], 1, 1e-12);
    ck_assert_double_eq_tol(wfs_design_weights(d)[2], 2, 1e-12);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_weights_implied_two_stage)
{
    /* Two stages, fpc1 = 10 PSUs, fpc2 = units per PSU. PSU 1: 2 of 4
     * units, PSU 2: 3 of 6, PSU 3: 1 of 1. Weights: 10/3 * N2/n2, i.e.
     * 20/3 in PSUs 1 and 2 and 10/3 in PSU 3; sum 5 * 20/3 + 10/3 = 110/3. */
    double p[] = {1, 1, 2, 2, 2, 3}, q[] = {1, 2, 1, 2, 3, 1};
    double f1[] = {10, 10, 10, 10, 10, 10}, f2[] = {4, 4, 6, 6, 6, 1};
    wfs_table *t = table_of(6);
    num(t, "p", p);
    num(t, "q", q);
    num(t, "f1", f1);
    num(t, "f2", f2);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.cluster[0] = "p";
    spec.cluster[1] = "q";
    spec.ncluster = 2;
    spec.fpc[0] = "f1";
    spec.fpc[1] = "f2";
    spec.nfpc = 2;
    wfs_design *d = accept(t, &spec);
    const double *w = wfs_design_weights(d);
    double expect[] = {20. / 3, 20. / 3, 20. / 3, 20. / 3, 20. / 3, 10. / 3};
    for (size_t i = 0; i < 6; i++) ck_assert_double_eq_tol(w[i], expect[i], 1e-12);
    ck_assert_double_eq_tol(wfs_design_sum_weights(d), 110. / 3, 1e-12);
    ck_assert_uint_eq(wfs_design_nstages(d), 2);
    ck_assert_uint_eq(wfs_design_npsu(d), 3);
    /* Later-stage fpcs: the variance is accumulated at stage 2. */
    ck_assert_uint_eq(d->acc_level, 2);
    ck_assert_double_eq_tol(wfs_design_df(d), 2, 1e-15);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_weights_given_with_fpc)
{
    /* Given weights win over the fpc's implied ones. */
    const char *s[] = {"A", "A", "B", "B"};
    double f[] = {10, 10, 20, 20}, w[] = {1, 2, 3, 4};
    wfs_table *t = table_of(4);
    str(t, "s", s);
    num(t, "f", f);
    num(t, "w", w);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.weight = "w";
    spec.strata = "s";
    spec.fpc[0] = "f";
    spec.nfpc = 1;
    wfs_design *d = accept(t, &spec);
    ck_assert_double_eq_tol(wfs_design_sum_weights(d), 10, 1e-12);
    ck_assert_double_eq_tol(wfs_design_weights(d)[3], 4, 1e-15);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

/* ---- PSUs and strata ---- */

START_TEST(test_single_psu)
{
    double c[] = {7, 7, 7}, w[] = {1, 1, 1};
    wfs_table *t = table_of(3);
    num(t, "c", c);
    num(t, "w", w);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.weight = "w";
    spec.cluster[0] = "c";
    spec.ncluster = 1;
    HAS(reject(t, &spec, WFS_EDESIGN), "only one primary sampling unit");
    wfs_table_free(t);
    /* One row is also a single PSU. */
    t = table_of(1);
    num(t, "w", w);
    spec.ncluster = 0;
    HAS(reject(t, &spec, WFS_EDESIGN), "only one primary sampling unit");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_no_rows)
{
    wfs_table *t = table_of(0);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    HAS(reject(t, &spec, WFS_EDESIGN), "no rows");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_singleton_strata_fail)
{
    /* Strata B and D hold one PSU each. */
    const char *s[] = {"A", "A", "B", "C", "C", "D"};
    double c[] = {1, 2, 1, 1, 2, 5};
    wfs_table *t = table_of(6);
    str(t, "s", s);
    num(t, "c", c);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.strata = "s";
    spec.cluster[0] = "c";
    spec.ncluster = 1;
    const char *m = reject(t, &spec, WFS_EDESIGN);
    /* The verb agrees with "some strata" (it used to read "has"). */
    HAS(m, "some strata have only one PSU");
    HAS(m, "stratum B, stratum D");
    HAS(m, "lonely=fail");
    HAS(m, "lonely=adjust");
    HAS(m, "average");
    HAS(m, "certainty");
    HAS(m, "remove");
    /* Every other policy accepts the design; degf is the same under each:
     * 6 PSUs - 4 strata. */
    for (int l = WFS_LONELY_ADJUST; l <= WFS_LONELY_REMOVE; l++) {
        spec.lonely = (wfs_lonely)l;
        wfs_design *d = accept(t, &spec);
        ck_assert_int_eq(wfs_design_lonely(d), l);
        ck_assert_double_eq_tol(wfs_design_df(d), 2, 1e-15);
        ck_assert_uint_eq(d->nsingleton, 2);
        wfs_design_free(d);
    }
    /* Switching an accepted design back to fail is refused and leaves the
     * policy as it was. */
    spec.lonely = WFS_LONELY_CERTAINTY;
    wfs_design *d = accept(t, &spec);
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_design_set_lonely(d, WFS_LONELY_FAIL, &err), WFS_EDESIGN);
    HAS(err.message, "stratum B, stratum D");
    ck_assert_int_eq(wfs_design_lonely(d), WFS_LONELY_CERTAINTY);
    ck_assert_int_eq(wfs_design_set_lonely(d, WFS_LONELY_ADJUST, &err), 0);
    ck_assert_int_eq(wfs_design_lonely(d), WFS_LONELY_ADJUST);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_singleton_stratum_one)
{
    const char *s[] = {"A", "A", "B"};
    wfs_table *t = table_of(3);
    str(t, "s", s);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.strata = "s";
    const char *m = reject(t, &spec, WFS_EDESIGN);
    HAS(m, "a stratum has only one PSU (stratum B)");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_singleton_later_stage)
{
    /* With a stage-2 fpc, PSU 2 holding a single sampled unit (of 3) has
     * no stage-2 variance: lonely=fail names it. */
    double p[] = {1, 1, 2}, q[] = {1, 2, 1}, f1[] = {10, 10, 10}, f2[] = {4, 4, 3};
    wfs_table *t = table_of(3);
    num(t, "p", p);
    num(t, "q", q);
    num(t, "f1", f1);
    num(t, "f2", f2);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.cluster[0] = "p";
    spec.cluster[1] = "q";
    spec.ncluster = 2;
    spec.fpc[0] = "f1";
    spec.fpc[1] = "f2";
    spec.nfpc = 2;
    const char *m = reject(t, &spec, WFS_EDESIGN);
    HAS(m, "sampled unit at a later stage");
    HAS(m, "p 2");
    /* A unit taken with certainty (f2 = 1 of 1) is not lonely. */
    double f2c[] = {4, 4, 1};
    wfs_table_free(t);
    t = table_of(3);
    num(t, "p", p);
    num(t, "q", q);
    num(t, "f1", f1);
    num(t, "f2", f2c);
    wfs_design_free(accept(t, &spec));
    wfs_table_free(t);
}
END_TEST

START_TEST(test_psu_ids_nested_in_strata)
{
    /* PSU ids 1 and 2 appear in every stratum: 6 PSUs, not 2. Without
     * the zero weights: df = 6 - 3 = 3. */
    wfs_table *t = table_of(9);
    double w[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    str(t, "s", S9);
    num(t, "psu", PSU9);
    num(t, "w", w);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.weight = "w";
    spec.strata = "s";
    spec.cluster[0] = "psu";
    spec.ncluster = 1;
    wfs_design *d = accept(t, &spec);
    ck_assert_uint_eq(wfs_design_npsu(d), 6);
    ck_assert_uint_eq(wfs_design_nstrata(d), 3);
    ck_assert_double_eq_tol(wfs_design_df(d), 3, 1e-15);
    ck_assert_double_eq_tol(wfs_design_sum_weights(d), 45, 1e-12);
    /* Rows 0 and 3 have the same id in different strata. */
    ck_assert_uint_ne(d->lev[1].unit[0], d->lev[1].unit[3]);
    ck_assert_uint_eq(d->lev[1].unit[0], d->lev[1].unit[1]);
    /* Unclustered, every row is a PSU: 9 - 3. */
    spec.ncluster = 0;
    wfs_design *e = accept(t, &spec);
    ck_assert_uint_eq(wfs_design_npsu(e), 9);
    ck_assert_double_eq_tol(wfs_design_df(e), 6, 1e-15);
    wfs_design_free(e);
    /* A copy is independent of the original. */
    wfs_design *c = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_design_copy(&c, d, &err), 0);
    wfs_design_free(d);
    ck_assert_uint_eq(wfs_design_npsu(c), 6);
    ck_assert_double_eq_tol(wfs_design_sum_weights(c), 45, 1e-12);
    ck_assert_str_eq(wfs_design_spec_of(c)->strata, "s");
    wfs_design_free(c);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_unweighted_unstratified)
{
    /* Neither weights nor fpc: weight 1 each, one stratum, rows are PSUs,
     * df = n - 1. */
    double y[] = {3, 1, 4, 1, 5};
    wfs_table *t = table_of(5);
    num(t, "y", y);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    wfs_design *d = accept(t, &spec);
    ck_assert_uint_eq(wfs_design_nstrata(d), 1);
    ck_assert_uint_eq(wfs_design_npsu(d), 5);
    ck_assert_double_eq_tol(wfs_design_df(d), 4, 1e-15);
    ck_assert_double_eq_tol(wfs_design_sum_weights(d), 5, 1e-15);
    ck_assert_str_eq(wfs_design_variance_name(d), "linearization");
    ck_assert_ptr_nonnull(strstr(wfs_design_describe(d), "equal weights"));
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_lonely_names)
{
    const char *names[] = {"fail", "adjust", "average", "certainty", "remove"};
    for (int l = 0; l < 5; l++) {
        ck_assert_str_eq(wfs_lonely_name((wfs_lonely)l), names[l]);
        ck_assert_int_eq(wfs_lonely_parse(names[l]), l);
    }
    ck_assert_int_eq(wfs_lonely_parse("scale"), -1);
    ck_assert_int_eq(wfs_lonely_parse(NULL), -1);
    wfs_table *t = table_of(2);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.lonely = (wfs_lonely)9;
    HAS(reject(t, &spec, WFS_EINVAL), "unknown lonely-PSU policy");
    wfs_table_free(t);
}
END_TEST

static Suite *design_suite(void)
{
    Suite *s = suite_create("design");
    TCase *tc = tcase_create("validation");
    tcase_add_test(tc, test_weight_missing);
    tcase_add_test(tc, test_weight_negative);
    tcase_add_test(tc, test_weight_infinite);
    tcase_add_test(tc, test_weight_categorical);
    tcase_add_test(tc, test_weights_all_zero);
    tcase_add_test(tc, test_unknown_variables);
    tcase_add_test(tc, test_missing_design_variables);
    tcase_add_test(tc, test_fpc_varies_within_stratum);
    tcase_add_test(tc, test_fpc_below_sample);
    tcase_add_test(tc, test_fpc_fraction_above_one_is_count);
    tcase_add_test(tc, test_fpc_zero_not_mistaken_for_fraction);
    tcase_add_test(tc, test_fpc_wrong_number_of_stages);
    tcase_add_test(tc, test_single_psu);
    tcase_add_test(tc, test_no_rows);
    tcase_add_test(tc, test_singleton_strata_fail);
    tcase_add_test(tc, test_singleton_stratum_one);
    tcase_add_test(tc, test_singleton_later_stage);
    tcase_add_test(tc, test_lonely_names);
    suite_add_tcase(s, tc);
    tc = tcase_create("summary");
    tcase_add_test(tc, test_zero_weights_allowed);
    tcase_add_test(tc, test_fpc_counts_and_fractions);
    tcase_add_test(tc, test_fpc_fraction_one_is_census);
    tcase_add_test(tc, test_weights_implied_two_stage);
    tcase_add_test(tc, test_weights_given_with_fpc);
    tcase_add_test(tc, test_psu_ids_nested_in_strata);
    tcase_add_test(tc, test_unweighted_unstratified);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(design_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
