/* check_weighting.c - unit tests of the weighting module: margins,
 * post-stratification, raking, calibration, trimming, nonresponse cells
 * and weight diagnostics.
 *
 * Numbers are checked against independent computations written out here
 * (closed forms of post-stratification and GREG, the svyrecvar residual
 * formula, Kish's formulas); R-derived values are in tests/reference.
 * Every error path is provoked and its message checked for the item it
 * must name.
 */
#include "config.h"

#include <check.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wfstat.h"

#define N_ROWS 12

static const char *A[N_ROWS] = {"A", "A", "A", "A", "B", "B", "B", "B", "C", "C", "C", "C"};
static const char *Bv[N_ROWS] = {"x", "y", "x", "y", "x", "y", "x", "y", "x", "y", "x", "x"};
static const double W[N_ROWS] = {1, 2, 3, 4, 2, 2, 3, 1, 5, 1, 2, 3};
static const double Y[N_ROWS] = {10, 12, 9, 15, 20, 22, 18, 25, 30, 28, 35, 31};
static const double X[N_ROWS] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
static const double R[N_ROWS] = {1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1};
static const double PSU[N_ROWS] = {1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6};
static const double NUM[N_ROWS] = {1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2};

static wfs_table *tab;
static wfs_design *des;

/* The test table; w0 replaces the weights when not NULL. */
static wfs_table *make_table(const double *w0)
{
    wfs_table *t;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_table_new(&t, N_ROWS, &err), 0);
    ck_assert_int_eq(wfs_table_add_strings(t, "a", A, &err), 0);
    ck_assert_int_eq(wfs_table_add_strings(t, "b", Bv, &err), 0);
    ck_assert_int_eq(wfs_table_add_numeric(t, "w", w0 ? w0 : W, NULL, &err), 0);
    ck_assert_int_eq(wfs_table_add_numeric(t, "y", Y, NULL, &err), 0);
    ck_assert_int_eq(wfs_table_add_numeric(t, "x", X, NULL, &err), 0);
    ck_assert_int_eq(wfs_table_add_numeric(t, "resp", R, NULL, &err), 0);
    ck_assert_int_eq(wfs_table_add_numeric(t, "psu", PSU, NULL, &err), 0);
    ck_assert_int_eq(wfs_table_add_numeric(t, "num", NUM, NULL, &err), 0);
    const char *text[N_ROWS] = {"t"};
    for (size_t i = 1; i < N_ROWS; i++) text[i] = "t";
    ck_assert_int_eq(wfs_table_add_text(t, "note", text, &err), 0);
    return t;
}

static wfs_design *make_design(const wfs_table *t)
{
    wfs_design *d;
    wfs_error err = WFS_ERROR_INIT;
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.weight = "w";
    spec.cluster[0] = "psu";
    spec.ncluster = 1;
    ck_assert_msg(wfs_design_new(&d, t, &spec, &err) == 0, "%s", err.message);
    return d;
}

static void setup(void)
{
    tab = make_table(NULL);
    des = make_design(tab);
}

static void teardown(void)
{
    wfs_design_free(des);
    wfs_table_free(tab);
    des = NULL;
    tab = NULL;
}

static wfs_margins *margins_a(double na, double nb, double nc)
{
    wfs_margins *m;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    ck_assert_int_eq(wfs_margins_add(m, "a", "A", na, &err), 0);
    ck_assert_int_eq(wfs_margins_add(m, "a", "B", nb, &err), 0);
    ck_assert_int_eq(wfs_margins_add(m, "a", "C", nc, &err), 0);
    return m;
}

static void add_b(wfs_margins *m, double nx, double ny)
{
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_margins_add(m, "b", "x", nx, &err), 0);
    ck_assert_int_eq(wfs_margins_add(m, "b", "y", ny, &err), 0);
}

static double field(const wfs_result *r, const char *key)
{
    for (size_t i = 0; i < wfs_result_nfields(r); i++)
        if (strcmp(wfs_result_field_key(r, i), key) == 0) {
            const wfs_value *v = wfs_result_field_value(r, i);
            if (v->type == WFS_V_NUM) return v->num;
            if (v->type == WFS_V_INT || v->type == WFS_V_BOOL) return (double)v->i;
            return NAN;
        }
    ck_abort_msg("no field %s", key);
    return NAN;
}

static int has_note(const wfs_result *r, const char *text)
{
    for (size_t i = 0; i < wfs_result_nnotes(r); i++)
        if (strstr(wfs_result_note(r, i), text)) return 1;
    return 0;
}

static double mean_se(const wfs_design *d, const char *var, double *est)
{
    wfs_result *r;
    wfs_error err = WFS_ERROR_INIT;
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    ck_assert_msg(wfs_mean(&r, d, &var, 1, &o, &err) == 0, "%s", err.message);
    const wfs_estimate *e = wfs_result_estimate(r, 0);
    double se = e->se;
    if (est) *est = e->estimate;
    wfs_result_free(r);
    return se;
}

static double sum_of(const double *w, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += w[i];
    return s;
}

/* Taylor variance of x (row influence values) for the one-stage cluster
 * design of the test table: n/(n-1) sum over PSUs (z_j - zbar)^2. */
static double cluster_var(const double *x)
{
    double z[7] = {0}, zbar = 0;
    for (size_t i = 0; i < N_ROWS; i++) z[(int)PSU[i]] += x[i];
    for (int j = 1; j <= 6; j++) zbar += z[j] / 6;
    double v = 0;
    for (int j = 1; j <= 6; j++) v += (z[j] - zbar) * (z[j] - zbar);
    return v * 6.0 / 5.0;
}

static int level_of(const char *s)
{
    return s[0] - 'A';
}

/* ------------------------------------------------------------------ */
/* Post-stratification                                                 */
/* ------------------------------------------------------------------ */

START_TEST(test_poststratify_weights_and_se)
{
    wfs_margins *m = margins_a(40, 30, 50);
    wfs_design *nd;
    wfs_result *rep;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_msg(wfs_poststratify_run(&nd, &rep, des, m, NULL, &err) == 0, "%s", err.message);
    double Nhat[3] = {0}, pop[3] = {40, 30, 50};
    for (size_t i = 0; i < N_ROWS; i++) Nhat[level_of(A[i])] += W[i];
    const double *w = wfs_design_weights(nd);
    for (size_t i = 0; i < N_ROWS; i++)
        ck_assert_double_eq_tol(w[i], W[i] * pop[level_of(A[i])] / Nhat[level_of(A[i])], 1e-12);
    ck_assert_double_eq_tol(wfs_design_sum_weights(nd), 120, 1e-10);
    ck_assert_double_eq_tol(field(rep, "sum_weights"), 120, 1e-10);
    ck_assert_int_eq((int)field(rep, "iterations"), 1);
    ck_assert(field(rep, "misfit") < 1e-14);
    /* The original design keeps its weights. */
    ck_assert_double_eq(wfs_design_weights(des)[0], W[0]);
    /* svyrecvar: x = w (y - ybar) / W, then x - psw * mean_g(x oldw / psw)
     * with the mean taken over old weights. */
    double Wt = 0, ybar = 0, x[N_ROWS], num[3] = {0}, den[3] = {0};
    for (size_t i = 0; i < N_ROWS; i++) {
        Wt += w[i];
        ybar += w[i] * Y[i];
    }
    ybar /= Wt;
    for (size_t i = 0; i < N_ROWS; i++) {
        x[i] = w[i] * (Y[i] - ybar) / Wt;
        num[level_of(A[i])] += x[i] * W[i] / w[i];
        den[level_of(A[i])] += W[i];
    }
    for (size_t i = 0; i < N_ROWS; i++) x[i] -= num[level_of(A[i])] / den[level_of(A[i])] * w[i];
    double est, se = mean_se(nd, "y", &est);
    ck_assert_double_eq_tol(est, ybar, 1e-12);
    ck_assert_double_eq_tol(se, sqrt(cluster_var(x)), 1e-12);
    ck_assert(strstr(wfs_design_describe(nd), "post-stratified on a"));
    wfs_result_free(rep);
    wfs_design_free(nd);
    wfs_margins_free(m);
}
END_TEST

START_TEST(test_poststratify_crossed)
{
    wfs_margins *m;
    wfs_error err = WFS_ERROR_INIT;
    const char *vars[2] = {"a", "b"};
    const char *cells[6][2] = {{"A", "x"}, {"A", "y"}, {"B", "x"}, {"B", "y"}, {"C", "x"}, {"C", "y"}};
    double tot[6] = {10, 12, 14, 16, 18, 20};
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    for (int c = 0; c < 6; c++)
        ck_assert_int_eq(wfs_margins_add_cell(m, vars, cells[c], 2, tot[c], &err), 0);
    ck_assert_str_eq(wfs_margins_name(m, 0), "a*b");
    wfs_design *nd;
    ck_assert_msg(wfs_poststratify_run(&nd, NULL, des, m, NULL, &err) == 0, "%s", err.message);
    const double *w = wfs_design_weights(nd);
    for (int c = 0; c < 6; c++) {
        double s = 0;
        for (size_t i = 0; i < N_ROWS; i++)
            if (!strcmp(A[i], cells[c][0]) && !strcmp(Bv[i], cells[c][1])) s += w[i];
        ck_assert_double_eq_tol(s, tot[c], 1e-10);
    }
    wfs_design_free(nd);
    wfs_margins_free(m);
}
END_TEST

START_TEST(test_calibrate_one_factor_is_poststratify)
{
    /* R-CONVENTIONS: calibrating on one factor equals post-stratifying. */
    wfs_margins *m = margins_a(40, 30, 50);
    wfs_design *ps, *cal;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_poststratify_run(&ps, NULL, des, m, NULL, &err), 0);
    ck_assert_msg(wfs_calibrate_run(&cal, NULL, des, m, NULL, &err) == 0, "%s", err.message);
    for (size_t i = 0; i < N_ROWS; i++)
        ck_assert_double_eq_tol(wfs_design_weights(ps)[i], wfs_design_weights(cal)[i], 1e-12);
    ck_assert_double_eq_tol(mean_se(ps, "y", NULL), mean_se(cal, "y", NULL), 1e-12);
    wfs_design_free(ps);
    wfs_design_free(cal);
    wfs_margins_free(m);
}
END_TEST

START_TEST(test_margin_errors)
{
    wfs_margins *m;
    wfs_design *nd = (wfs_design *)&nd;
    wfs_error err = WFS_ERROR_INIT;
    /* An unknown level: named, with a suggestion. */
    m = margins_a(40, 30, 50);
    ck_assert_int_eq(wfs_margins_add(m, "b", "x", 1, &err), 0);
    wfs_margins_free(m);
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    wfs_margins_add(m, "a", "A", 40, &err);
    wfs_margins_add(m, "a", "Bb", 30, &err);
    wfs_margins_add(m, "a", "C", 50, &err);
    ck_assert_int_eq(wfs_poststratify_run(&nd, NULL, des, m, NULL, &err), WFS_ENOTFOUND);
    ck_assert_ptr_null(nd);
    ck_assert_msg(strstr(err.message, "\"Bb\" is not a level of a") &&
                      strstr(err.message, "did you mean \"B\""),
                  "%s", err.message);
    wfs_margins_free(m);
    /* A sampled level without a total. */
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    wfs_margins_add(m, "a", "A", 40, &err);
    wfs_margins_add(m, "a", "B", 30, &err);
    ck_assert_int_eq(wfs_poststratify_run(&nd, NULL, des, m, NULL, &err), WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "a=\"C\"") && strstr(err.message, "no population total"),
                  "%s", err.message);
    wfs_margins_free(m);
    /* A zero total for a sampled level. */
    m = margins_a(40, 0, 50);
    ck_assert_int_eq(wfs_poststratify_run(&nd, NULL, des, m, NULL, &err), WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "\"B\" has a population total of 0"), "%s", err.message);
    wfs_margins_free(m);
    /* Negative and non-finite totals are refused when given. */
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    ck_assert_int_eq(wfs_margins_add(m, "a", "A", -4, &err), WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "negative population total"), "%s", err.message);
    ck_assert_int_eq(wfs_margins_add(m, "a", "A", NAN, &err), WFS_EINVAL);
    ck_assert_int_eq(wfs_margins_add(m, "a", "A", 4, &err), 0);
    ck_assert_int_eq(wfs_margins_add(m, "a", "A", 5, &err), WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "given twice"), "%s", err.message);
    ck_assert_int_eq(wfs_margins_add_numeric(m, "a", 5, &err), WFS_EINVAL);
    wfs_margins_free(m);
    /* An unknown variable and a text variable. */
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    wfs_margins_add(m, "role", "A", 4, &err);
    ck_assert_int_eq(wfs_poststratify_run(&nd, NULL, des, m, NULL, &err), WFS_ENOTFOUND);
    ck_assert_msg(strstr(err.message, "\"role\""), "%s", err.message);
    wfs_margins_free(m);
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    wfs_margins_add(m, "note", "t", 4, &err);
    ck_assert_int_eq(wfs_poststratify_run(&nd, NULL, des, m, NULL, &err), WFS_ETYPE);
    wfs_margins_free(m);
    /* A level whose population has no sample. */
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    const char *vars[2] = {"a", "b"};
    const char *cells[6][2] = {{"A", "x"}, {"A", "y"}, {"B", "x"}, {"B", "y"}, {"C", "x"}, {"C", "y"}};
    for (int c = 0; c < 6; c++) wfs_margins_add_cell(m, vars, cells[c], 2, 5, &err);
    wfs_design_free(des);
    /* Give C/y a zero weight so the cell has no sampled rows. */
    double w0[N_ROWS];
    memcpy(w0, W, sizeof w0);
    w0[9] = 0;
    wfs_table_free(tab);
    tab = make_table(w0);
    des = make_design(tab);
    ck_assert_int_eq(wfs_poststratify_run(&nd, NULL, des, m, NULL, &err), WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "a=C, b=y") && strstr(err.message, "no sampled rows"), "%s",
                  err.message);
    wfs_margins_free(m);
    /* Two margins for post-stratification. */
    m = margins_a(1, 2, 3);
    add_b(m, 3, 3);
    ck_assert_int_eq(wfs_poststratify_run(&nd, NULL, des, m, NULL, &err), WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "takes one margin"), "%s", err.message);
    wfs_margins_free(m);
}
END_TEST

START_TEST(test_numeric_levels_match_by_value)
{
    wfs_margins *m;
    wfs_design *nd;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    ck_assert_int_eq(wfs_margins_add(m, "num", "1.0", 70, &err), 0);
    ck_assert_int_eq(wfs_margins_add(m, "num", "2", 50, &err), 0);
    ck_assert_msg(wfs_poststratify_run(&nd, NULL, des, m, NULL, &err) == 0, "%s", err.message);
    ck_assert_double_eq_tol(wfs_design_sum_weights(nd), 120, 1e-10);
    wfs_design_free(nd);
    wfs_margins_free(m);
}
END_TEST

START_TEST(test_missing_weighting_variable)
{
    wfs_table *t;
    wfs_error err = WFS_ERROR_INIT;
    const char *a2[N_ROWS];
    memcpy(a2, A, sizeof a2);
    a2[5] = NULL;
    ck_assert_int_eq(wfs_table_new(&t, N_ROWS, &err), 0);
    ck_assert_int_eq(wfs_table_add_strings(t, "a", a2, &err), 0);
    ck_assert_int_eq(wfs_table_add_numeric(t, "w", W, NULL, &err), 0);
    wfs_design *d, *nd;
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.weight = "w";
    ck_assert_int_eq(wfs_design_new(&d, t, &spec, &err), 0);
    wfs_margins *m = margins_a(1, 2, 3);
    ck_assert_int_eq(wfs_poststratify_run(&nd, NULL, d, m, NULL, &err), WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "\"a\" is missing in 1 sampled row (first row 6)"), "%s",
                  err.message);
    wfs_margins_free(m);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Raking                                                              */
/* ------------------------------------------------------------------ */

START_TEST(test_rake_converges_and_reports)
{
    wfs_margins *m = margins_a(40, 30, 50);
    add_b(m, 70, 50);
    wfs_error err = WFS_ERROR_INIT;
    wfs_rake *rk;
    ck_assert_msg(wfs_rake_init(&rk, des, m, NULL, &err) == 0, "%s", err.message);
    ck_assert(!wfs_rake_converged(rk));
    ck_assert_int_eq((int)wfs_rake_iterations(rk), 0);
    double prev = wfs_rake_misfit(rk);
    ck_assert(prev > 0.1);
    while (!wfs_rake_converged(rk)) {
        ck_assert_int_eq(wfs_rake_iterate(rk, &err), 0);
        ck_assert(wfs_rake_misfit(rk) <= prev);
        prev = wfs_rake_misfit(rk);
        ck_assert(wfs_rake_iterations(rk) < 200);
    }
    ck_assert(wfs_rake_misfit(rk) < 1e-10);
    wfs_design *nd;
    wfs_result *rep;
    ck_assert_int_eq(wfs_rake_finish(&nd, &rep, rk, &err), 0);
    ck_assert_int_eq((int)field(rep, "iterations"), (int)wfs_rake_iterations(rk));
    ck_assert(field(rep, "misfit") < 1e-10);
    ck_assert_int_eq((int)field(rep, "converged"), 1);
    double w[N_ROWS];
    memcpy(w, wfs_design_weights(nd), sizeof w);
    double ta[3] = {0}, tb[2] = {0};
    for (size_t i = 0; i < N_ROWS; i++) {
        ta[level_of(A[i])] += w[i];
        tb[Bv[i][0] == 'y'] += w[i];
    }
    ck_assert_double_eq_tol(ta[0], 40, 40e-10);
    ck_assert_double_eq_tol(ta[1], 30, 30e-10);
    ck_assert_double_eq_tol(ta[2], 50, 50e-10);
    ck_assert_double_eq_tol(tb[0], 70, 70e-10);
    ck_assert_double_eq_tol(tb[1], 50, 50e-10);
    /* The raked weights are w times a factor per cell of a x b. */
    ck_assert_double_eq_tol(w[0] / W[0], w[2] / W[2], 1e-12);
    ck_assert(mean_se(nd, "y", NULL) > 0);
    wfs_result_free(rep);
    wfs_design_free(nd);
    wfs_rake_free(rk);
    /* The one-call form gives the same weights. */
    ck_assert_int_eq(wfs_rake_run(&nd, NULL, des, m, NULL, &err), 0);
    for (size_t i = 0; i < N_ROWS; i++) ck_assert_double_eq_tol(wfs_design_weights(nd)[i], w[i], 1e-12);
    wfs_design_free(nd);
    wfs_margins_free(m);
}
END_TEST

START_TEST(test_rake_nonconvergence)
{
    wfs_margins *m = margins_a(40, 30, 50);
    add_b(m, 70, 50);
    wfs_error err = WFS_ERROR_INIT;
    wfs_weighting_options o = WFS_WEIGHTING_OPTIONS_INIT;
    o.maxit = 1;
    wfs_design *nd = (wfs_design *)&nd;
    ck_assert_int_eq(wfs_rake_run(&nd, NULL, des, m, &o, &err), WFS_ECONVERGE);
    ck_assert_ptr_null(nd);
    ck_assert_msg(strstr(err.message, "did not converge in 1 cycle") && strstr(err.message, "margin a"),
                  "%s", err.message);
    /* finish refuses a raking that has not converged. */
    wfs_rake *rk;
    ck_assert_int_eq(wfs_rake_init(&rk, des, m, NULL, &err), 0);
    ck_assert_int_eq(wfs_rake_finish(&nd, NULL, rk, &err), WFS_ECONVERGE);
    wfs_rake_free(rk);
    wfs_margins_free(m);
}
END_TEST

START_TEST(test_rake_errors)
{
    wfs_error err = WFS_ERROR_INIT;
    wfs_design *nd;
    /* Margins of different populations never converge: refused. */
    wfs_margins *m = margins_a(40, 30, 50);
    add_b(m, 70, 60);
    ck_assert_int_eq(wfs_rake_run(&nd, NULL, des, m, NULL, &err), WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "margins disagree") && strstr(err.message, "130"), "%s",
                  err.message);
    wfs_margins_free(m);
    /* A numeric total. */
    m = margins_a(40, 30, 50);
    ck_assert_int_eq(wfs_margins_add_numeric(m, "x", 100, &err), 0);
    ck_assert_int_eq(wfs_rake_run(&nd, NULL, des, m, NULL, &err), WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "use calibrate"), "%s", err.message);
    wfs_margins_free(m);
    /* A variable in two margins. */
    m = margins_a(40, 30, 50);
    const char *vars[2] = {"b", "a"}, *levs[2] = {"x", "A"};
    ck_assert_int_eq(wfs_margins_add_cell(m, vars, levs, 2, 1, &err), WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "appears in two margins"), "%s", err.message);
    wfs_margins_free(m);
    /* No margins. */
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    ck_assert_int_eq(wfs_rake_run(&nd, NULL, des, m, NULL, &err), WFS_EINVAL);
    wfs_margins_free(m);
    /* A bad epsilon. */
    m = margins_a(40, 30, 50);
    wfs_weighting_options o = WFS_WEIGHTING_OPTIONS_INIT;
    o.epsilon = -1;
    ck_assert_int_eq(wfs_rake_run(&nd, NULL, des, m, &o, &err), WFS_EINVAL);
    wfs_margins_free(m);
}
END_TEST

START_TEST(test_rake_interrupt)
{
    wfs_margins *m = margins_a(40, 30, 50);
    add_b(m, 70, 50);
    volatile sig_atomic_t stop = 1;
    wfs_control ctl = {&stop, NULL, NULL};
    wfs_weighting_options o = WFS_WEIGHTING_OPTIONS_INIT;
    o.control = &ctl;
    wfs_error err = WFS_ERROR_INIT;
    wfs_design *nd;
    ck_assert_int_eq(wfs_rake_run(&nd, NULL, des, m, &o, &err), WFS_EINTR);
    wfs_margins_free(m);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Calibration                                                         */
/* ------------------------------------------------------------------ */

START_TEST(test_calibrate_greg_closed_form)
{
    /* Intercept and x: g = 1 + (1, x) T^-1 (t - t^), T = sum w (1,x)(1,x)'. */
    wfs_margins *m;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    ck_assert_int_eq(wfs_margins_add_numeric(m, "x", 900, &err), 0);
    wfs_weighting_options o = WFS_WEIGHTING_OPTIONS_INIT;
    o.population = 120;
    double s0 = 0, s1 = 0, s2 = 0;
    for (size_t i = 0; i < N_ROWS; i++) {
        s0 += W[i];
        s1 += W[i] * X[i];
        s2 += W[i] * X[i] * X[i];
    }
    double r0 = 120 - s0, r1 = 900 - s1, det = s0 * s2 - s1 * s1;
    double l0 = (s2 * r0 - s1 * r1) / det, l1 = (s0 * r1 - s1 * r0) / det;
    wfs_calibration *c;
    ck_assert_msg(wfs_calibrate_init(&c, des, m, &o, &err) == 0, "%s", err.message);
    ck_assert_int_eq(wfs_calibrate_iterate(c, &err), 0);
    ck_assert(wfs_calibrate_converged(c));
    ck_assert_int_eq((int)wfs_calibrate_iterations(c), 1);
    wfs_design *nd;
    wfs_result *rep;
    ck_assert_int_eq(wfs_calibrate_finish(&nd, &rep, c, &err), 0);
    for (size_t i = 0; i < N_ROWS; i++)
        ck_assert_double_eq_tol(wfs_design_weights(nd)[i], W[i] * (1 + l0 + l1 * X[i]), 1e-12);
    ck_assert(field(rep, "misfit") < 1e-12);
    /* A calibration variable's total has no variance. */
    const char *v = "x";
    wfs_result *r;
    wfs_est_options eo = WFS_EST_OPTIONS_INIT;
    ck_assert_int_eq(wfs_total(&r, nd, &v, 1, &eo, &err), 0);
    ck_assert_double_eq_tol(wfs_result_estimate(r, 0)->estimate, 900, 1e-9);
    ck_assert(wfs_result_estimate(r, 0)->se < 1e-9);
    wfs_result_free(r);
    wfs_result_free(rep);
    wfs_design_free(nd);
    wfs_calibrate_free(c);
    wfs_margins_free(m);
}
END_TEST

/* Totals near the sample's (sum w = 29, sum w x = 194) so that tight
 * bounds can be met; R's calibrate meets these with g at both bounds. */
static void check_bounded(wfs_calfun f, double L, double U)
{
    wfs_margins *m = margins_a(10, 9, 11);
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_margins_add_numeric(m, "x", 210, &err), 0);
    wfs_weighting_options o = WFS_WEIGHTING_OPTIONS_INIT;
    o.calfun = f;
    o.bounds = WFS_BOUND_LOWER | WFS_BOUND_UPPER;
    o.lower = L;
    o.upper = U;
    o.maxit = 200;
    wfs_design *nd;
    wfs_result *rep;
    ck_assert_msg(wfs_calibrate_run(&nd, &rep, des, m, &o, &err) == 0, "%s: %s",
                  wfs_calfun_name(f), err.message);
    const double *w = wfs_design_weights(nd);
    double tx = 0, ta[3] = {0};
    for (size_t i = 0; i < N_ROWS; i++) {
        double g = w[i] / W[i];
        ck_assert_msg(g >= L - 1e-12 && g <= U + 1e-12, "%s: g = %g", wfs_calfun_name(f), g);
        tx += w[i] * X[i];
        ta[level_of(A[i])] += w[i];
    }
    ck_assert_double_eq_tol(tx, 210, 210e-10);
    ck_assert_double_eq_tol(ta[0], 10, 10e-10);
    ck_assert_double_eq_tol(ta[2], 11, 11e-10);
    ck_assert(field(rep, "misfit") < 1e-10);
    wfs_result_free(rep);
    wfs_design_free(nd);
    wfs_margins_free(m);
}

START_TEST(test_calibrate_bounds)
{
    check_bounded(WFS_CALFUN_LINEAR, 0.5, 1.45);
    check_bounded(WFS_CALFUN_RAKING, 0.5, 1.45);
    check_bounded(WFS_CALFUN_LOGIT, 0.5, 1.45);
}
END_TEST

START_TEST(test_calibrate_impossible_bounds)
{
    wfs_margins *m = margins_a(40, 30, 50);
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_margins_add_numeric(m, "x", 900, &err), 0);
    wfs_weighting_options o = WFS_WEIGHTING_OPTIONS_INIT;
    o.calfun = WFS_CALFUN_LOGIT;
    o.bounds = WFS_BOUND_LOWER | WFS_BOUND_UPPER;
    o.lower = 0.95;
    o.upper = 1.05;
    wfs_design *nd = (wfs_design *)&nd;
    ck_assert_int_eq(wfs_calibrate_run(&nd, NULL, des, m, &o, &err), WFS_ECONVERGE);
    ck_assert_ptr_null(nd);
    ck_assert_msg(strstr(err.message, "did not converge") && strstr(err.message, "bounds"), "%s",
                  err.message);
    wfs_margins_free(m);
}
END_TEST

START_TEST(test_calibrate_errors)
{
    wfs_margins *m = margins_a(40, 30, 50);
    wfs_error err = WFS_ERROR_INIT;
    wfs_design *nd;
    wfs_weighting_options o = WFS_WEIGHTING_OPTIONS_INIT;
    /* Logit needs finite bounds; bounds must straddle 1. */
    o.calfun = WFS_CALFUN_LOGIT;
    ck_assert_int_eq(wfs_calibrate_run(&nd, NULL, des, m, &o, &err), WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "logit needs finite bounds"), "%s", err.message);
    o.calfun = WFS_CALFUN_RAKING;
    o.bounds = WFS_BOUND_LOWER | WFS_BOUND_UPPER;
    o.lower = 1.2;
    o.upper = 3;
    ck_assert_int_eq(wfs_calibrate_run(&nd, NULL, des, m, &o, &err), WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "LO < 1 < HI"), "%s", err.message);
    /* A population size that disagrees with the margins. */
    o = (wfs_weighting_options)WFS_WEIGHTING_OPTIONS_INIT;
    o.population = 100;
    ck_assert_int_eq(wfs_calibrate_run(&nd, NULL, des, m, &o, &err), WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "population=100 disagrees"), "%s", err.message);
    wfs_margins_free(m);
    /* A numeric total for a categorical variable. */
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    ck_assert_int_eq(wfs_margins_add_numeric(m, "b", 10, &err), 0);
    ck_assert_int_eq(wfs_calibrate_run(&nd, NULL, des, m, NULL, &err), WFS_ETYPE);
    wfs_margins_free(m);
    /* Collinear calibration variables: x and 2x. */
    wfs_table *t = make_table(NULL);
    double x2[N_ROWS];
    for (size_t i = 0; i < N_ROWS; i++) x2[i] = 2 * X[i];
    ck_assert_int_eq(wfs_table_add_numeric(t, "x2", x2, NULL, &err), 0);
    wfs_design *d = make_design(t);
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    ck_assert_int_eq(wfs_margins_add_numeric(m, "x", 900, &err), 0);
    ck_assert_int_eq(wfs_margins_add_numeric(m, "x2", 1800, &err), 0);
    ck_assert_int_eq(wfs_calibrate_run(&nd, NULL, d, m, NULL, &err), WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "collinear"), "%s", err.message);
    wfs_margins_free(m);
    wfs_design_free(d);
    wfs_table_free(t);
    /* Nothing to calibrate to. */
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    ck_assert_int_eq(wfs_calibrate_run(&nd, NULL, des, m, NULL, &err), WFS_EINVAL);
    wfs_margins_free(m);
    ck_assert_int_eq(wfs_calfun_parse("raking"), WFS_CALFUN_RAKING);
    ck_assert_int_eq(wfs_calfun_parse("probit"), -1);
}
END_TEST

START_TEST(test_linear_negative_weights_noted)
{
    /* A total far from the sample's makes GREG weights negative: allowed
     * (as R), with a warning in the report; raking then refuses them. */
    wfs_margins *m;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    ck_assert_int_eq(wfs_margins_add_numeric(m, "x", 1500, &err), 0);
    wfs_weighting_options o = WFS_WEIGHTING_OPTIONS_INIT;
    o.population = 120;
    wfs_design *nd, *nd2;
    wfs_result *rep;
    ck_assert_int_eq(wfs_calibrate_run(&nd, &rep, des, m, &o, &err), 0);
    ck_assert(has_note(rep, "negative"));
    wfs_margins *m2 = margins_a(40, 30, 50);
    ck_assert_int_eq(wfs_rake_run(&nd2, NULL, nd, m2, NULL, &err), WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "positive weights"), "%s", err.message);
    wfs_margins_free(m2);
    wfs_result_free(rep);
    wfs_design_free(nd);
    wfs_margins_free(m);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Trimming                                                            */
/* ------------------------------------------------------------------ */

START_TEST(test_trim_uncalibrated)
{
    wfs_weighting_options o = WFS_WEIGHTING_OPTIONS_INIT;
    o.bounds = WFS_BOUND_UPPER;
    o.upper = 3.5;
    wfs_design *nd;
    wfs_result *rep;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_msg(wfs_trim_run(&nd, &rep, des, &o, &err) == 0, "%s", err.message);
    const double *w = wfs_design_weights(nd);
    ck_assert_double_eq_tol(sum_of(w, N_ROWS), sum_of(W, N_ROWS), 1e-12);
    /* R's trimWeights(strict = TRUE) in the limit: min(w + C, U). */
    double C = NAN;
    for (size_t i = 0; i < N_ROWS; i++) {
        ck_assert(w[i] <= 3.5 + 1e-12);
        if (w[i] < 3.5) {
            if (isnan(C)) C = w[i] - W[i];
            ck_assert_double_eq_tol(w[i] - W[i], C, 1e-12);
        } else {
            ck_assert(W[i] + C >= 3.5 - 1e-12);
        }
    }
    ck_assert_int_eq((int)field(rep, "trimmed"), 2);
    wfs_result_free(rep);
    wfs_design_free(nd);
    /* Both bounds. */
    o.bounds = WFS_BOUND_LOWER | WFS_BOUND_UPPER;
    o.lower = 1.5;
    ck_assert_int_eq(wfs_trim_run(&nd, NULL, des, &o, &err), 0);
    w = wfs_design_weights(nd);
    for (size_t i = 0; i < N_ROWS; i++) ck_assert(w[i] >= 1.5 - 1e-12 && w[i] <= 3.5 + 1e-12);
    ck_assert_double_eq_tol(sum_of(w, N_ROWS), sum_of(W, N_ROWS), 1e-12);
    wfs_design_free(nd);
}
END_TEST

START_TEST(test_trim_errors)
{
    wfs_weighting_options o = WFS_WEIGHTING_OPTIONS_INIT;
    wfs_design *nd;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_trim_run(&nd, NULL, des, &o, &err), WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "lower= or upper="), "%s", err.message);
    /* The mean weight is 2.4: an upper bound of 2 cannot hold the sum. */
    o.bounds = WFS_BOUND_UPPER;
    o.upper = 2;
    ck_assert_int_eq(wfs_trim_run(&nd, NULL, des, &o, &err), WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "cannot be trimmed to"), "%s", err.message);
    o.bounds = WFS_BOUND_LOWER | WFS_BOUND_UPPER;
    o.lower = 3;
    o.upper = 2.5;
    ck_assert_int_eq(wfs_trim_run(&nd, NULL, des, &o, &err), WFS_EINVAL);
    o.lower = -1;
    o.upper = 5;
    ck_assert_int_eq(wfs_trim_run(&nd, NULL, des, &o, &err), WFS_EINVAL);
}
END_TEST

START_TEST(test_trim_calibrated_keeps_margins)
{
    wfs_margins *m = margins_a(40, 30, 50);
    add_b(m, 70, 50);
    wfs_error err = WFS_ERROR_INIT;
    wfs_design *rk, *nd;
    ck_assert_int_eq(wfs_rake_run(&rk, NULL, des, m, NULL, &err), 0);
    double wmax = 0;
    for (size_t i = 0; i < N_ROWS; i++) wmax = fmax(wmax, wfs_design_weights(rk)[i]);
    wfs_weighting_options o = WFS_WEIGHTING_OPTIONS_INIT;
    o.bounds = WFS_BOUND_UPPER;
    o.upper = 0.8 * wmax;
    wfs_result *rep;
    ck_assert_msg(wfs_trim_run(&nd, &rep, rk, &o, &err) == 0, "%s", err.message);
    const double *w = wfs_design_weights(nd);
    double ta[3] = {0}, tb[2] = {0};
    for (size_t i = 0; i < N_ROWS; i++) {
        ck_assert(w[i] <= o.upper * (1 + 1e-10));
        ta[level_of(A[i])] += w[i];
        tb[Bv[i][0] == 'y'] += w[i];
    }
    ck_assert_double_eq_tol(ta[1], 30, 30e-10);
    ck_assert_double_eq_tol(tb[0], 70, 70e-10);
    ck_assert(field(rep, "iterations") >= 1);
    ck_assert_int_eq((int)field(rep, "converged"), 1);
    ck_assert(strstr(wfs_design_describe(nd), "trimmed to"));
    ck_assert(mean_se(nd, "y", NULL) > 0);
    wfs_result_free(rep);
    wfs_design_free(nd);
    /* Bounds that the margins cannot meet. */
    o.upper = 0.3 * wmax;
    o.maxit = 20;
    int rc = wfs_trim_run(&nd, NULL, rk, &o, &err);
    ck_assert_msg(rc == WFS_ECONVERGE || rc == WFS_EINVAL, "%d %s", rc, err.message);
    wfs_design_free(rk);
    wfs_margins_free(m);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Nonresponse, diagnostics, chains                                    */
/* ------------------------------------------------------------------ */

START_TEST(test_nonresponse)
{
    const char *cells[1] = {"a"};
    wfs_design *nd;
    wfs_result *rep;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_msg(wfs_nonresponse_run(&nd, &rep, des, "resp", cells, 1, NULL, &err) == 0, "%s",
                  err.message);
    const double *w = wfs_design_weights(nd);
    double all[3] = {0}, rs[3] = {0}, after[3] = {0};
    for (size_t i = 0; i < N_ROWS; i++) {
        all[level_of(A[i])] += W[i];
        if (R[i] == 1) rs[level_of(A[i])] += W[i];
        after[level_of(A[i])] += w[i];
    }
    for (size_t i = 0; i < N_ROWS; i++)
        ck_assert_double_eq_tol(w[i], R[i] == 1 ? W[i] * all[level_of(A[i])] / rs[level_of(A[i])] : 0,
                                1e-12);
    for (int g = 0; g < 3; g++) ck_assert_double_eq_tol(after[g], all[g], 1e-12);
    ck_assert_int_eq((int)field(rep, "nonrespondents"), 3);
    ck_assert_int_eq((int)field(rep, "n"), 9);
    ck_assert_double_eq(wfs_design_df(nd), 5);
    wfs_result_free(rep);
    wfs_design_free(nd);
}
END_TEST

START_TEST(test_nonresponse_errors)
{
    wfs_error err = WFS_ERROR_INIT;
    wfs_design *nd;
    const char *cells[2] = {"a", "b"};
    /* Cell C/y has one row, a respondent; A/x has rows 1 (resp) and 3
     * (not): make a table where one cell has no respondents. */
    wfs_table *t;
    double r2[N_ROWS];
    memcpy(r2, R, sizeof r2);
    r2[1] = 0;
    r2[3] = 0; /* A/y: rows 2 and 4, both nonrespondents */
    ck_assert_int_eq(wfs_table_new(&t, N_ROWS, &err), 0);
    ck_assert_int_eq(wfs_table_add_strings(t, "a", A, &err), 0);
    ck_assert_int_eq(wfs_table_add_strings(t, "b", Bv, &err), 0);
    ck_assert_int_eq(wfs_table_add_numeric(t, "w", W, NULL, &err), 0);
    ck_assert_int_eq(wfs_table_add_numeric(t, "resp", r2, NULL, &err), 0);
    double bad[N_ROWS];
    memcpy(bad, R, sizeof bad);
    bad[4] = 2;
    ck_assert_int_eq(wfs_table_add_numeric(t, "resp2", bad, NULL, &err), 0);
    wfs_design *d;
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.weight = "w";
    ck_assert_int_eq(wfs_design_new(&d, t, &spec, &err), 0);
    ck_assert_int_eq(wfs_nonresponse_run(&nd, NULL, d, "resp", cells, 2, NULL, &err), WFS_EDOMAIN);
    ck_assert_msg(strstr(err.message, "a=A, b=y") && strstr(err.message, "no respondents"), "%s",
                  err.message);
    ck_assert_int_eq(wfs_nonresponse_run(&nd, NULL, d, "resp2", cells, 1, NULL, &err), WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "0 or 1 (row 5 has 2)"), "%s", err.message);
    ck_assert_int_eq(wfs_nonresponse_run(&nd, NULL, d, "nope", cells, 1, NULL, &err), WFS_ENOTFOUND);
    ck_assert_int_eq(wfs_nonresponse_run(&nd, NULL, d, "a", cells, 1, NULL, &err), WFS_ETYPE);
    const char *c2[1] = {"zz"};
    ck_assert_int_eq(wfs_nonresponse_run(&nd, NULL, d, "resp", c2, 1, NULL, &err), WFS_ENOTFOUND);
    ck_assert_int_eq(wfs_nonresponse_run(&nd, NULL, d, "resp", cells, 0, NULL, &err), WFS_EINVAL);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_weights_report)
{
    wfs_result *r;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_weights_report(&r, des, NULL, &err), 0);
    double s = sum_of(W, N_ROWS), s2 = 0, mn = s / N_ROWS, v = 0;
    for (size_t i = 0; i < N_ROWS; i++) {
        s2 += W[i] * W[i];
        v += (W[i] - mn) * (W[i] - mn);
    }
    double cv = sqrt(v / N_ROWS) / mn;
    ck_assert_double_eq_tol(field(r, "sum_weights"), s, 1e-12);
    ck_assert_double_eq_tol(field(r, "mean"), mn, 1e-12);
    ck_assert_double_eq(field(r, "min"), 1);
    ck_assert_double_eq(field(r, "max"), 5);
    ck_assert_double_eq_tol(field(r, "ratio"), 5, 1e-12);
    ck_assert_double_eq_tol(field(r, "cv"), cv, 1e-12);
    ck_assert_double_eq_tol(field(r, "deff_kish"), 1 + cv * cv, 1e-12);
    ck_assert_double_eq_tol(field(r, "n_eff"), s * s / s2, 1e-12);
    ck_assert(!has_note(r, "effective sample size"));
    wfs_result_free(r);
    /* Very unequal weights: effective n below half the sample. */
    double w2[N_ROWS] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 60};
    wfs_table *t = make_table(w2);
    wfs_design *d = make_design(t);
    ck_assert_int_eq(wfs_weights_report(&r, d, NULL, &err), 0);
    ck_assert(has_note(r, "below half the sample"));
    wfs_result_free(r);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_chain_nonresponse_rake_trim)
{
    wfs_error err = WFS_ERROR_INIT;
    const char *cells[1] = {"b"};
    wfs_design *d1, *d2, *d3;
    wfs_result *r;
    ck_assert_int_eq(wfs_nonresponse_run(&d1, NULL, des, "resp", cells, 1, NULL, &err), 0);
    wfs_margins *m = margins_a(40, 30, 50);
    add_b(m, 70, 50);
    ck_assert_msg(wfs_rake_run(&d2, NULL, d1, m, NULL, &err) == 0, "%s", err.message);
    double wmax = 0;
    for (size_t i = 0; i < N_ROWS; i++) wmax = fmax(wmax, wfs_design_weights(d2)[i]);
    wfs_weighting_options o = WFS_WEIGHTING_OPTIONS_INIT;
    o.bounds = WFS_BOUND_UPPER;
    o.upper = 0.9 * wmax;
    ck_assert_msg(wfs_trim_run(&d3, NULL, d2, &o, &err) == 0, "%s", err.message);
    ck_assert_int_eq(wfs_weights_report(&r, d3, NULL, &err), 0);
    ck_assert_double_eq_tol(field(r, "sum_weights"), 120, 1e-8);
    ck_assert(field(r, "max") <= o.upper * (1 + 1e-10));
    ck_assert(!isnan(field(r, "g_min")));
    const char *desc = wfs_design_describe(d3);
    ck_assert_msg(strstr(desc, "nonresponse") && strstr(desc, "raked on a, b") &&
                      strstr(desc, "trimmed"),
                  "%s", desc);
    /* Nonrespondents keep weight zero through every step. */
    for (size_t i = 0; i < N_ROWS; i++)
        if (R[i] == 0) ck_assert_double_eq(wfs_design_weights(d3)[i], 0);
    /* A copy outlives its original (the calibration is shared). */
    wfs_design *cp;
    ck_assert_int_eq(wfs_design_copy(&cp, d3, &err), 0);
    double se = mean_se(d3, "y", NULL);
    wfs_design_free(d3);
    ck_assert_double_eq_tol(mean_se(cp, "y", NULL), se, 1e-15);
    wfs_design_free(cp);
    wfs_result_free(r);
    wfs_design_free(d2);
    wfs_design_free(d1);
    wfs_margins_free(m);
}
END_TEST

START_TEST(test_zero_weight_rows_take_no_part)
{
    /* A zero-weight row inside a PSU changes nothing (R with the row
     * removed). */
    wfs_error err = WFS_ERROR_INIT;
    double w0[N_ROWS];
    memcpy(w0, W, sizeof w0);
    w0[2] = 0; /* PSU 2 keeps row 4 */
    wfs_table *t0 = make_table(w0);
    wfs_design *d0 = make_design(t0);
    /* The same design with row 3's weight moved nowhere: compare SEs of
     * the rows that remain by building the table without row 3. */
    wfs_table *t1;
    const char *a1[N_ROWS - 1], *b1[N_ROWS - 1];
    double w1[N_ROWS - 1], y1[N_ROWS - 1], x1[N_ROWS - 1], p1[N_ROWS - 1];
    for (size_t i = 0, j = 0; i < N_ROWS; i++) {
        if (i == 2) continue;
        a1[j] = A[i];
        b1[j] = Bv[i];
        w1[j] = W[i];
        y1[j] = Y[i];
        x1[j] = X[i];
        p1[j++] = PSU[i];
    }
    ck_assert_int_eq(wfs_table_new(&t1, N_ROWS - 1, &err), 0);
    wfs_table_add_strings(t1, "a", a1, &err);
    wfs_table_add_strings(t1, "b", b1, &err);
    wfs_table_add_numeric(t1, "w", w1, NULL, &err);
    wfs_table_add_numeric(t1, "y", y1, NULL, &err);
    wfs_table_add_numeric(t1, "x", x1, NULL, &err);
    wfs_table_add_numeric(t1, "psu", p1, NULL, &err);
    wfs_design *d1 = make_design(t1);
    wfs_margins *m = margins_a(40, 30, 50);
    add_b(m, 70, 50);
    wfs_margins *ma = margins_a(40, 30, 50);
    wfs_design *n0, *n1;
    /* Post-stratification. */
    ck_assert_int_eq(wfs_poststratify_run(&n0, NULL, d0, ma, NULL, &err), 0);
    ck_assert_int_eq(wfs_poststratify_run(&n1, NULL, d1, ma, NULL, &err), 0);
    ck_assert_double_eq(wfs_design_weights(n0)[2], 0);
    ck_assert_double_eq_tol(mean_se(n0, "y", NULL), mean_se(n1, "y", NULL), 1e-13);
    wfs_design_free(n0);
    wfs_design_free(n1);
    /* Raking. */
    ck_assert_int_eq(wfs_rake_run(&n0, NULL, d0, m, NULL, &err), 0);
    ck_assert_int_eq(wfs_rake_run(&n1, NULL, d1, m, NULL, &err), 0);
    ck_assert_double_eq(wfs_design_weights(n0)[2], 0);
    ck_assert_double_eq_tol(mean_se(n0, "y", NULL), mean_se(n1, "y", NULL), 1e-12);
    wfs_design_free(n0);
    wfs_design_free(n1);
    /* Calibration. */
    ck_assert_int_eq(wfs_margins_add_numeric(m, "x", 900, &err), 0);
    ck_assert_int_eq(wfs_calibrate_run(&n0, NULL, d0, m, NULL, &err), 0);
    ck_assert_int_eq(wfs_calibrate_run(&n1, NULL, d1, m, NULL, &err), 0);
    ck_assert_double_eq(wfs_design_weights(n0)[2], 0);
    ck_assert_double_eq_tol(mean_se(n0, "y", NULL), mean_se(n1, "y", NULL), 1e-12);
    wfs_design_free(n0);
    wfs_design_free(n1);
    wfs_margins_free(m);
    wfs_margins_free(ma);
    wfs_design_free(d0);
    wfs_design_free(d1);
    wfs_table_free(t0);
    wfs_table_free(t1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Margins files                                                       */
/* ------------------------------------------------------------------ */

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/wfs_margins_XXXXXX");
    int fd = mkstemp(path);
    ck_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

START_TEST(test_margins_csv)
{
    wfs_error err = WFS_ERROR_INIT;
    wfs_margins *m;
    char *p = write_tmp("variable,level,total\na,A,40\na,B,30\na,C,50\nb,x,70\nb,y,50\nx,,900\n");
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    ck_assert_msg(wfs_margins_read_csv(m, p, NULL, 0, &err) == 0, "%s", err.message);
    ck_assert_int_eq((int)wfs_margins_count(m), 3);
    ck_assert_str_eq(wfs_margins_name(m, 2), "x");
    wfs_design *nd;
    ck_assert_msg(wfs_calibrate_run(&nd, NULL, des, m, NULL, &err) == 0, "%s", err.message);
    wfs_design_free(nd);
    wfs_margins_free(m);
    /* Only the variables asked for, in their order. */
    const char *vars[2] = {"b", "a"};
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    ck_assert_int_eq(wfs_margins_read_csv(m, p, vars, 2, &err), 0);
    ck_assert_int_eq((int)wfs_margins_count(m), 2);
    ck_assert_str_eq(wfs_margins_name(m, 0), "b");
    wfs_margins_free(m);
    const char *none[1] = {"region"};
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    ck_assert_int_eq(wfs_margins_read_csv(m, p, none, 1, &err), WFS_ENOTFOUND);
    ck_assert_msg(strstr(err.message, "no totals for variable \"region\""), "%s", err.message);
    wfs_margins_free(m);
    unlink(p);
    free(p);
    /* Wide form: crossed cells. */
    p = write_tmp("a,b,total\nA,x,10\nA,y,12\nB,x,14\nB,y,16\nC,x,18\nC,y,20\n");
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    ck_assert_int_eq(wfs_margins_read_csv(m, p, NULL, 0, &err), 0);
    ck_assert_str_eq(wfs_margins_name(m, 0), "a*b");
    ck_assert_int_eq(wfs_poststratify_run(&nd, NULL, des, m, NULL, &err), 0);
    ck_assert_double_eq_tol(wfs_design_sum_weights(nd), 90, 1e-10);
    wfs_design_free(nd);
    wfs_margins_free(m);
    unlink(p);
    free(p);
    /* Errors name the file and line. */
    p = write_tmp("variable,level,total\na,A,40\na,B,\n");
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    ck_assert_int_eq(wfs_margins_read_csv(m, p, NULL, 0, &err), WFS_EPARSE);
    ck_assert_msg(strstr(err.message, ":3: the total is missing"), "%s", err.message);
    wfs_margins_free(m);
    unlink(p);
    free(p);
    p = write_tmp("variable,level,count\na,A,40\n");
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    ck_assert_int_eq(wfs_margins_read_csv(m, p, NULL, 0, &err), WFS_EPARSE);
    ck_assert_msg(strstr(err.message, "column \"total\""), "%s", err.message);
    wfs_margins_free(m);
    unlink(p);
    free(p);
    /* A total column that is not numeric is named in the message (the
     * message was formatted from the freed table: fuzz/regressions/margins). */
    p = write_tmp("variable,level,Total\na,A,40\na,B,4p\n");
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    ck_assert_int_eq(wfs_margins_read_csv(m, p, NULL, 0, &err), WFS_EPARSE);
    ck_assert_msg(strstr(err.message, ": column \"Total\" must hold numbers"), "%s", err.message);
    wfs_margins_free(m);
    unlink(p);
    free(p);
    p = write_tmp("variable,level,total\na,A,40\na,Q,30\na,C,50\n");
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    ck_assert_int_eq(wfs_margins_read_csv(m, p, NULL, 0, &err), 0);
    ck_assert_int_eq(wfs_poststratify_run(&nd, NULL, des, m, NULL, &err), WFS_ENOTFOUND);
    ck_assert_msg(strstr(err.message, ":3: \"Q\" is not a level of a"), "%s", err.message);
    wfs_margins_free(m);
    unlink(p);
    free(p);
    ck_assert_int_eq(wfs_margins_new(&m, &err), 0);
    ck_assert_int_eq(wfs_margins_read_csv(m, "/nonexistent/m.csv", NULL, 0, &err), WFS_EIO);
    wfs_margins_free(m);
}
END_TEST

static Suite *weighting_suite(void)
{
    Suite *s = suite_create("weighting");
    TCase *tc = tcase_create("poststratify");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_poststratify_weights_and_se);
    tcase_add_test(tc, test_poststratify_crossed);
    tcase_add_test(tc, test_calibrate_one_factor_is_poststratify);
    tcase_add_test(tc, test_margin_errors);
    tcase_add_test(tc, test_numeric_levels_match_by_value);
    tcase_add_test(tc, test_missing_weighting_variable);
    suite_add_tcase(s, tc);
    tc = tcase_create("rake");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_rake_converges_and_reports);
    tcase_add_test(tc, test_rake_nonconvergence);
    tcase_add_test(tc, test_rake_errors);
    tcase_add_test(tc, test_rake_interrupt);
    suite_add_tcase(s, tc);
    tc = tcase_create("calibrate");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_calibrate_greg_closed_form);
    tcase_add_test(tc, test_calibrate_bounds);
    tcase_add_test(tc, test_calibrate_impossible_bounds);
    tcase_add_test(tc, test_calibrate_errors);
    tcase_add_test(tc, test_linear_negative_weights_noted);
    suite_add_tcase(s, tc);
    tc = tcase_create("trim");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_trim_uncalibrated);
    tcase_add_test(tc, test_trim_errors);
    tcase_add_test(tc, test_trim_calibrated_keeps_margins);
    suite_add_tcase(s, tc);
    tc = tcase_create("other");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_nonresponse);
    tcase_add_test(tc, test_nonresponse_errors);
    tcase_add_test(tc, test_weights_report);
    tcase_add_test(tc, test_chain_nonresponse_rake_trim);
    tcase_add_test(tc, test_zero_weight_rows_take_no_part);
    tcase_add_test(tc, test_margins_csv);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* As the program does: the library checks every GSL status. */
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(weighting_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
