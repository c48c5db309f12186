/* check_estimate.c - unit tests of the estimators (lib/estimate.c,
 * lib/engine.c, lib/ci.c) on tiny data sets with answers worked out by
 * hand.
 *
 * The comments derive every expected value from the textbook formulas
 * (and R-CONVENTIONS.md); t quantiles and beta quantiles are constants
 * printed by R (qt, qbeta) and say so. Tolerances: 1e-12 relative for
 * closed forms, 1e-9 where a value is R's printed constant, 1e-6 where R
 * itself differs from the closed form (svyciprop's glm-fitted logit).
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "wfstat.h"
#include "wfs-private.h"

#define NA NAN

/* R: qt(0.975, df) and qt(0.95, df). */
#define T975_1 12.706204736174707
#define T975_2 4.3026527297494619
#define T975_3 3.1824463052837078
#define T975_4 2.7764451051977934
#define T975_9 2.2621571627982049
#define Z975 1.9599639845400536
#define T95_4 2.1318467863266490

#define REL(a, b, tol) ck_assert_double_eq_tol((a), (b), (tol) * fabs((double)(b)) + 1e-300)
#define HAS(msg, s) ck_assert_msg(strstr((msg), (s)) != NULL, "\"%s\" not in: %s", (s), (msg))

/* ---- building small tables and designs ---- */

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

static wfs_design *design(const wfs_table *t, const char *w, const char *strata, const char *fpc)
{
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.weight = w;
    spec.strata = strata;
    if (fpc) {
        spec.fpc[0] = fpc;
        spec.nfpc = 1;
    }
    wfs_design *d = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_msg(wfs_design_new(&d, t, &spec, &err) == 0, "%s", err.message);
    return d;
}

typedef enum { MEAN, TOTAL, PROP, QUANTILE } est_kind;

static wfs_result *run(est_kind k, const wfs_design *d, const char *var,
                       const wfs_est_options *o)
{
    wfs_result *r = NULL;
    wfs_error err = WFS_ERROR_INIT;
    const char *vars[] = {var};
    int rc;
    switch (k) {
    case MEAN: rc = wfs_mean(&r, d, vars, 1, o, &err); break;
    case TOTAL: rc = wfs_total(&r, d, vars, 1, o, &err); break;
    case PROP: rc = wfs_prop(&r, d, var, o, &err); break;
    default: rc = wfs_quantile(&r, d, vars, 1, o, &err); break;
    }
    ck_assert_msg(rc == 0, "estimator failed: %s", err.message);
    ck_assert_ptr_nonnull(r);
    return r;
}

/* The error an estimator gives (its result must stay NULL). */
static const char *fails(est_kind k, const wfs_design *d, const char *var,
                         const wfs_est_options *o, int code)
{
    static wfs_error err;
    wfs_error_clear(&err);
    wfs_result *r = (wfs_result *)1;
    const char *vars[] = {var};
    int rc;
    switch (k) {
    case MEAN: rc = wfs_mean(&r, d, vars, 1, o, &err); break;
    case TOTAL: rc = wfs_total(&r, d, vars, 1, o, &err); break;
    case PROP: rc = wfs_prop(&r, d, var, o, &err); break;
    default: rc = wfs_quantile(&r, d, vars, 1, o, &err); break;
    }
    ck_assert_msg(rc == code, "expected %d, got %d (%s)", code, rc, err.message);
    ck_assert_int_eq(err.code, code);
    ck_assert_ptr_null(r);
    return err.message;
}

static const wfs_estimate *est(const wfs_result *r, size_t i)
{
    ck_assert_uint_gt(wfs_result_nestimates(r), i);
    return wfs_result_estimate(r, i);
}

static int has_note(const wfs_result *r, const char *s)
{
    for (size_t i = 0; i < wfs_result_nnotes(r); i++)
        if (strstr(wfs_result_note(r, i), s)) return 1;
    return 0;
}

/* Check estimate, se, a symmetric t interval and the df. */
static void check_wald(const wfs_estimate *e, double estimate, double se, double t, double df)
{
    REL(e->estimate, estimate, 1e-12);
    REL(e->se, se, 1e-12);
    REL(e->ci_lower, estimate - t * se, 1e-12);
    REL(e->ci_upper, estimate + t * se, 1e-12);
    if (isinf(df))
        ck_assert(isinf(e->df));
    else
        ck_assert_double_eq_tol(e->df, df, 1e-15);
}

/* ---- SRS of 5 with weight 3 (N = 15) ---- */

static const double Y5[] = {2, 4, 6, 8, 10};
static const double W5[] = {3, 3, 3, 3, 3};
static const double N5[] = {15, 15, 15, 15, 15};
static const double F5[] = {1. / 3, 1. / 3, 1. / 3, 1. / 3, 1. / 3};

static wfs_table *srs5(void)
{
    wfs_table *t = table_of(5);
    num(t, "y", Y5);
    num(t, "w", W5);
    num(t, "N", N5);
    num(t, "f", F5);
    return t;
}

START_TEST(test_srs_mean_total)
{
    /* ybar = 6, s^2 = 40/4 = 10. With replacement: V(mean) = s^2/n = 2,
     * V(total) = N^2 s^2/n = 225 * 2 = 450; df = 4. */
    wfs_table *t = srs5();
    wfs_design *d = design(t, "w", NULL, NULL);
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    wfs_result *r = run(MEAN, d, "y", &o);
    ck_assert_str_eq(wfs_result_command(r), "mean");
    ck_assert_uint_eq(wfs_result_nestimates(r), 1);
    const wfs_estimate *e = est(r, 0);
    ck_assert_str_eq(e->statistic, "mean");
    ck_assert_str_eq(e->variable, "y");
    ck_assert_ptr_null(e->level);
    ck_assert_uint_eq(e->ndomain, 0);
    check_wald(e, 6, sqrt(2), T975_4, 4);
    ck_assert_double_eq(e->n, 5);
    ck_assert_double_eq_tol(e->n_weighted, 15, 1e-12);
    ck_assert(e->flags & WFS_FLAG_SMALL_DF);
    ck_assert(has_note(r, "lonely PSU policy: fail"));
    wfs_result_free(r);
    r = run(TOTAL, d, "y", &o);
    check_wald(est(r, 0), 90, sqrt(450), T975_4, 4);
    ck_assert_str_eq(est(r, 0)->statistic, "total");
    wfs_result_free(r);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_srs_fpc)
{
    /* With N = 15 the variances shrink by 1 - n/N = 2/3: 4/3 and 300.
     * The same from the fraction 1/3, and from weights implied by the
     * fpc (N/n = 3). */
    wfs_table *t = srs5();
    wfs_design *ds[] = {design(t, "w", NULL, "N"), design(t, "w", NULL, "f"),
                        design(t, NULL, NULL, "N"), design(t, NULL, NULL, "f")};
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    for (size_t k = 0; k < 4; k++) {
        wfs_result *r = run(MEAN, ds[k], "y", &o);
        check_wald(est(r, 0), 6, sqrt(4. / 3), T975_4, 4);
        wfs_result_free(r);
        r = run(TOTAL, ds[k], "y", &o);
        check_wald(est(r, 0), 90, sqrt(300), T975_4, 4);
        wfs_result_free(r);
        wfs_design_free(ds[k]);
    }
    wfs_table_free(t);
}
END_TEST

START_TEST(test_level_and_df_options)
{
    /* level = 0.9 takes qt(0.95, 4); df = inf the normal quantile; a
     * given df replaces the design's. */
    wfs_table *t = srs5();
    wfs_design *d = design(t, "w", NULL, NULL);
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    o.level = 0.9;
    wfs_result *r = run(MEAN, d, "y", &o);
    check_wald(est(r, 0), 6, sqrt(2), T95_4, 4);
    ck_assert_double_eq(wfs_result_ci_level(r), 0.9);
    wfs_result_free(r);
    o.level = 0.95;
    o.df = INFINITY;
    r = run(MEAN, d, "y", &o);
    check_wald(est(r, 0), 6, sqrt(2), Z975, INFINITY);
    wfs_result_free(r);
    o.df = 9;
    r = run(MEAN, d, "y", &o);
    check_wald(est(r, 0), 6, sqrt(2), T975_9, 9);
    wfs_result_free(r);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_deff_srs)
{
    /* s2 = n/(n-1) sum w (y - ybar)^2 / sum w = 5/4 * 120/15 = 10.
     * deff=TRUE: Vsrs = s2 (1 - n/N)/n = 4/3 (N = sum of weights 15), so
     * deff = 2 / (4/3) = 1.5; deff=replace: Vsrs = s2/n = 2, deff = 1.
     * Totals: the same ratios. n_eff = n / deff. */
    wfs_table *t = srs5();
    wfs_design *d = design(t, "w", NULL, NULL);
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    o.deff = WFS_DEFF_YES;
    for (est_kind k = MEAN; k <= TOTAL; k++) {
        wfs_result *r = run(k, d, "y", &o);
        REL(est(r, 0)->deff, 1.5, 1e-12);
        REL(est(r, 0)->n_eff, 5 / 1.5, 1e-12);
        wfs_result_free(r);
    }
    o.deff = WFS_DEFF_REPLACE;
    for (est_kind k = MEAN; k <= TOTAL; k++) {
        wfs_result *r = run(k, d, "y", &o);
        REL(est(r, 0)->deff, 1, 1e-12);
        wfs_result_free(r);
    }
    /* Without deff nothing is reported. */
    o.deff = WFS_DEFF_NONE;
    wfs_result *r = run(MEAN, d, "y", &o);
    ck_assert(isnan(est(r, 0)->deff));
    wfs_result_free(r);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

/* ---- stratified ---- */

/* A: y 1, 3 with weight 2; B: y 4, 6, 8 with weight 4. */
static wfs_table *strat5(void)
{
    static const char *const s[] = {"A", "A", "B", "B", "B"};
    static const double y[] = {1, 3, 4, 6, 8}, w[] = {2, 2, 4, 4, 4};
    wfs_table *t = table_of(5);
    str(t, "s", s);
    num(t, "y", y);
    num(t, "w", w);
    return t;
}

START_TEST(test_stratified_mean)
{
    /* N_A = 4, N_B = 12, N = 16. ybar = (4 * 2 + 12 * 6) / 16 = 5.
     * V = sum (N_h/N)^2 s_h^2 / n_h = (1/16)(2/2) + (9/16)(4/3) = 0.8125;
     * df = 5 rows - 2 strata = 3. Total: 80, V = sum N_h^2 s_h^2/n_h =
     * 16 + 144 * 4/3 = 208. */
    wfs_table *t = strat5();
    wfs_design *d = design(t, "w", "s", NULL);
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    wfs_result *r = run(MEAN, d, "y", &o);
    check_wald(est(r, 0), 5, sqrt(0.8125), T975_3, 3);
    wfs_result_free(r);
    r = run(TOTAL, d, "y", &o);
    check_wald(est(r, 0), 80, sqrt(208), T975_3, 3);
    wfs_result_free(r);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_deff_stratified)
{
    /* sum w (y - 5)^2 = 2*16 + 2*4 + 4*1 + 4*1 + 4*9 = 84, so
     * s2 = 5/4 * 84/16 = 6.5625. deff=TRUE: Vsrs = s2 (1 - 5/16)/5 =
     * 231/256, deff = (13/16)/(231/256) = 208/231; deff=replace:
     * Vsrs = s2/5 = 21/16, deff = 13/21. The total (V = 208, Vsrs scaled
     * by N^2 = 256) has the same design effects. */
    wfs_table *t = strat5();
    wfs_design *d = design(t, "w", "s", NULL);
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    for (est_kind k = MEAN; k <= TOTAL; k++) {
        o.deff = WFS_DEFF_YES;
        wfs_result *r = run(k, d, "y", &o);
        REL(est(r, 0)->deff, 208. / 231, 1e-12);
        REL(est(r, 0)->n_eff, 5 / (208. / 231), 1e-12);
        wfs_result_free(r);
        o.deff = WFS_DEFF_REPLACE;
        r = run(k, d, "y", &o);
        REL(est(r, 0)->deff, 13. / 21, 1e-12);
        wfs_result_free(r);
    }
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

/* ---- ratio ---- */

START_TEST(test_ratio)
{
    /* y 1..4 over x 2, 2, 4, 4, equal weights: R = 10/12 = 5/6. Residuals
     * y - R x: -2/3, 1/3, -1/3, 2/3 (sum 0, squares 10/9); influence
     * e / X with X = 12: V = n/(n-1) sum (e/X)^2 = 4/3 * 10/9 / 144 =
     * 5/486; df 3. */
    static const double y[] = {1, 2, 3, 4}, x[] = {2, 2, 4, 4};
    wfs_table *t = table_of(4);
    num(t, "y", y);
    num(t, "x", x);
    wfs_design *d = design(t, NULL, NULL, NULL);
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    wfs_result *r = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_ratio(&r, d, "y", "x", &o, &err), 0);
    const wfs_estimate *e = est(r, 0);
    ck_assert_str_eq(e->statistic, "ratio");
    ck_assert_str_eq(e->variable, "y/x");
    check_wald(e, 5. / 6, sqrt(5. / 486), T975_3, 3);
    ck_assert_double_eq_tol(e->n_weighted, 4, 1e-15);
    wfs_result_free(r);
    /* deff=replace: the deff of the total of r = e / X (svyratio):
     * s2 = n/(n-1) sum (e/X)^2 / n = 4/3 * 10/9/144 / 4, Vsrs = s2 N^2/n
     * = 5/486, so deff = 1. */
    o.deff = WFS_DEFF_REPLACE;
    ck_assert_int_eq(wfs_ratio(&r, d, "y", "x", &o, &err), 0);
    REL(est(r, 0)->deff, 1, 1e-12);
    wfs_result_free(r);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_ratio_zero_denominator)
{
    /* In domain b the denominator totals zero: no ratio, and a note. */
    static const double y[] = {1, 2, 3, 4}, x[] = {2, 0, 4, 0};
    static const char *const g[] = {"a", "b", "a", "b"};
    wfs_table *t = table_of(4);
    num(t, "y", y);
    num(t, "x", x);
    str(t, "g", g);
    wfs_design *d = design(t, NULL, NULL, NULL);
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    const char *by[] = {"g"};
    o.by = by;
    o.nby = 1;
    wfs_result *r = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_ratio(&r, d, "y", "x", &o, &err), 0);
    REL(est(r, 0)->estimate, 4. / 6, 1e-12);
    ck_assert(isnan(est(r, 1)->estimate));
    ck_assert(isnan(est(r, 1)->se));
    ck_assert(has_note(r, "denominator \"x\" totals zero"));
    wfs_result_free(r);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

/* ---- proportions ---- */

/* 10 rows, equal weights: 3 "yes", 7 "no"; g splits them into a (rows
 * 0-5: 3 yes, 3 no) and b (rows 6-9: all no). */
static wfs_table *yesno(void)
{
    static const char *const need[] = {"yes", "no", "yes", "no", "yes", "no",
                                       "no",  "no", "no",  "no"};
    static const char *const g[] = {"a", "a", "a", "a", "a", "a", "b", "b", "b", "b"};
    static const double bin[] = {1, 0, 1, 0, 1, 0, 0, 0, 0, 0};
    wfs_table *t = table_of(10);
    str(t, "need", need);
    str(t, "g", g);
    num(t, "bin", bin);
    return t;
}

static double expit(double x) { return 1 / (1 + exp(-x)); }

START_TEST(test_prop_every_interval)
{
    /* p = 0.3; V = p(1-p)/(n-1) = 0.21/9 (the with-replacement variance
     * of a mean of 0/1 values); df 9, t = qt(0.975, 9). Levels sort as
     * "no", "yes": row 1 is "yes". */
    wfs_table *t = yesno();
    wfs_design *d = design(t, NULL, NULL, NULL);
    const double p = 0.3, se = sqrt(0.21 / 9), tq = T975_9;
    typedef struct {
        wfs_ci_method m;
        double lo, hi, tol;
    } ci_case;
    ci_case cases[9];
    size_t nc = 0;
    /* wald (R "mean"): p -/+ t se. */
    cases[nc++] = (ci_case){WFS_CI_WALD, p - tq * se, p + tq * se, 1e-12};
    /* xlogit: expit(logit p -/+ t se / (p (1 - p))). */
    double l = log(p / (1 - p)), s = se / (p * (1 - p));
    cases[nc++] = (ci_case){WFS_CI_XLOGIT, expit(l - tq * s), expit(l + tq * s), 1e-12};
    /* logit: the same interval from svyglm's iterative fit, which R
     * prints as 0.076366228986600782, 0.68958489203316065. */
    cases[nc++] = (ci_case){WFS_CI_LOGIT, 0.076366228986600782, 0.68958489203316065, 1e-9};
    /* asin: sin^2(asin sqrt p -/+ t se / (2 sqrt(p (1 - p)))). */
    double a = asin(sqrt(p)), sa = se / (2 * sqrt(p * (1 - p)));
    cases[nc++] = (ci_case){WFS_CI_ASIN, pow(sin(a - tq * sa), 2), pow(sin(a + tq * sa), 2),
                                     1e-12};
    /* beta (Korn-Graubard): n_eff = p(1-p)/se^2 = 9, times
     * (qt(.025, n-1)/qt(.025, df))^2 = 1; R: qbeta(.025, 2.7, 7.3),
     * qbeta(.975, 3.7, 6.3). */
    cases[nc++] = (ci_case){WFS_CI_BETA, 0.05903411196479353, 0.67201920609472832, 1e-9};
    /* wilson on n = p(1-p)/se^2 = 9 with z = t:
     * centre (p + z^2/2n)/(1 + z^2/n), half-width
     * z/(1 + z^2/n) sqrt(p(1-p)/n + z^2/4n^2). */
    double n = 9, z2 = tq * tq;
    double c = (p + z2 / (2 * n)) / (1 + z2 / n);
    double h = tq / (1 + z2 / n) * sqrt(p * (1 - p) / n + z2 / (4 * n * n));
    cases[nc++] = (ci_case){WFS_CI_WILSON, c - h, c + h, 1e-12};
    /* likelihood: R's svyciprop(method = "likelihood") on these data. */
    cases[nc++] = (ci_case){WFS_CI_LIKELIHOOD, 0.051491148495140991, 0.68762413399386202,
                                     1e-8};
    for (size_t k = 0; k < nc; k++) {
        wfs_est_options o = WFS_EST_OPTIONS_INIT;
        o.ci = cases[k].m;
        o.ci_set = 1;
        wfs_result *r = run(PROP, d, "need", &o);
        ck_assert_uint_eq(wfs_result_nestimates(r), 2);
        const wfs_estimate *e = est(r, 1);
        ck_assert_str_eq(e->statistic, "prop");
        ck_assert_str_eq(e->level, "yes");
        REL(e->estimate, p, 1e-12);
        REL(e->se, se, 1e-12);
        ck_assert_double_eq(e->df, 9);
        REL(e->n_eff, 9, 1e-12);
        ck_assert_msg(fabs(e->ci_lower - cases[k].lo) <= cases[k].tol * fabs(cases[k].lo),
                      "%s lower %.17g, expected %.17g", wfs_ci_name(cases[k].m), e->ci_lower,
                      cases[k].lo);
        ck_assert_msg(fabs(e->ci_upper - cases[k].hi) <= cases[k].tol * fabs(cases[k].hi),
                      "%s upper %.17g, expected %.17g", wfs_ci_name(cases[k].m), e->ci_upper,
                      cases[k].hi);
        ck_assert_str_eq(est(r, 0)->level, "no");
        REL(est(r, 0)->estimate, 0.7, 1e-12);
        wfs_result_free(r);
    }
    /* The logit interval is the xlogit one up to R's glm convergence. */
    ck_assert_double_eq_tol(cases[2].lo, cases[1].lo, 1e-6);
    ck_assert_double_eq_tol(cases[2].hi, cases[1].hi, 1e-6);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_prop_edges_exact)
{
    /* In domain b every row is "no": p(yes) = 0 and p(no) = 1 have no
     * design variance; the interval is Clopper-Pearson on the 4 rows:
     * [0, 1 - 0.025^(1/4)] and [0.025^(1/4), 1]. */
    wfs_table *t = yesno();
    wfs_design *d = design(t, NULL, NULL, NULL);
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    const char *by[] = {"g"};
    o.by = by;
    o.nby = 1;
    wfs_result *r = run(PROP, d, "need", &o);
    ck_assert_uint_eq(wfs_result_nestimates(r), 4);
    const wfs_estimate *no = est(r, 2), *yes = est(r, 3);
    ck_assert_str_eq(no->domain_values[0], "b");
    ck_assert_str_eq(yes->level, "yes");
    ck_assert_double_eq(yes->estimate, 0);
    ck_assert_double_eq(yes->se, 0);
    ck_assert_double_eq(yes->ci_lower, 0);
    REL(yes->ci_upper, 1 - pow(0.025, 0.25), 1e-12);
    REL(no->ci_lower, pow(0.025, 0.25), 1e-12);
    ck_assert_double_eq(no->ci_upper, 1);
    ck_assert(yes->flags & WFS_FLAG_ZERO_VAR);
    ck_assert(has_note(r, "exact (Clopper-Pearson)"));
    /* Every interval method gives the same exact interval at 0 and 1, and
     * every interval of the run lies within [0, 1] (wald aside, which is
     * p -+ t se as R's "mean" and may leave it for p strictly inside). */
    for (int m = WFS_CI_LOGIT; m <= WFS_CI_LIKELIHOOD; m++) {
        wfs_est_options om = o;
        om.ci = (wfs_ci_method)m;
        om.ci_set = 1;
        wfs_result *rm = run(PROP, d, "need", &om);
        const wfs_estimate *y0 = est(rm, 3), *n1 = est(rm, 2);
        ck_assert_double_eq(y0->ci_lower, 0);
        REL(y0->ci_upper, 1 - pow(0.025, 0.25), 1e-12);
        REL(n1->ci_lower, pow(0.025, 0.25), 1e-12);
        ck_assert_double_eq(n1->ci_upper, 1);
        for (size_t k = 0; k < wfs_result_nestimates(rm) && m != WFS_CI_WALD; k++) {
            ck_assert_msg(est(rm, k)->ci_lower >= 0 && est(rm, k)->ci_upper <= 1,
                          "%s: [%g, %g]", wfs_ci_name((wfs_ci_method)m), est(rm, k)->ci_lower,
                          est(rm, k)->ci_upper);
        }
        wfs_result_free(rm);
    }
    /* Domain a: 3 of 6, and the domain df counts a's PSUs only: 6 - 1. */
    ck_assert_double_eq_tol(est(r, 1)->estimate, 0.5, 1e-15);
    ck_assert_double_eq(est(r, 1)->df, 5);
    wfs_result_free(r);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

/* A by variable that does not exist: every command that groups rows fails
 * with nothing left allocated (likert leaked its half-built domains, found
 * by fuzzing: fuzz/regressions/cli/likert-unknown-by-leak.wfs; valgrind
 * and LeakSanitizer check the rest). */
START_TEST(test_unknown_by_leaves_nothing)
{
    wfs_table *t = yesno();
    wfs_design *d = design(t, NULL, NULL, NULL);
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    const char *by[] = {"nosuch"};
    o.by = by;
    o.nby = 1;
    const char *bin[] = {"bin"};
    wfs_result *r = (wfs_result *)&o;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_ne(wfs_likert(&r, d, bin, 1, 1, 0, &o, &err), 0);
    ck_assert_ptr_null(r);
    ck_assert_int_ne(wfs_multi(&r, d, bin, 1, &o, &err), 0);
    ck_assert_ptr_null(r);
    ck_assert_int_ne(wfs_mean(&r, d, bin, 1, &o, &err), 0);
    ck_assert_ptr_null(r);
    o.nby = 0;
    o.filter = "bin > 5";
    ck_assert_int_ne(wfs_likert(&r, d, bin, 1, 1, 0, &o, &err), 0);
    ck_assert_msg(strstr(err.message, "no rows satisfy"), "%s", err.message);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_prop_numeric_and_mean_of_categorical)
{
    /* prop of a 0/1 numeric gives levels "0" and "1"; mean of a
     * categorical gives the proportions, as prop. */
    wfs_table *t = yesno();
    wfs_design *d = design(t, NULL, NULL, NULL);
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    wfs_result *r = run(PROP, d, "bin", &o);
    ck_assert_uint_eq(wfs_result_nestimates(r), 2);
    ck_assert_str_eq(est(r, 0)->level, "0");
    ck_assert_str_eq(est(r, 1)->level, "1");
    REL(est(r, 1)->estimate, 0.3, 1e-12);
    REL(est(r, 1)->se, sqrt(0.21 / 9), 1e-12);
    wfs_result_free(r);
    r = run(MEAN, d, "need", &o);
    ck_assert_str_eq(est(r, 1)->statistic, "prop");
    ck_assert_str_eq(est(r, 1)->level, "yes");
    REL(est(r, 1)->estimate, 0.3, 1e-12);
    wfs_result_free(r);
    /* total of a categorical: weighted counts, SE of the total of the
     * indicator: N^2 p(1-p)/(n-1) = 100 * 0.21/9. */
    r = run(TOTAL, d, "need", &o);
    ck_assert_str_eq(est(r, 1)->statistic, "total");
    REL(est(r, 1)->estimate, 3, 1e-12);
    REL(est(r, 1)->se, sqrt(100 * 0.21 / 9), 1e-12);
    wfs_result_free(r);
    /* deff of a proportion: s2 = n/(n-1) p(1-p) = 7/30, Vsrs (replace) =
     * s2/n, V = 0.21/9 = 7/300: deff 1. */
    o.deff = WFS_DEFF_REPLACE;
    r = run(PROP, d, "need", &o);
    REL(est(r, 1)->deff, 1, 1e-12);
    wfs_result_free(r);
    /* deff=TRUE with N = sum of weights = n: the SRS variance without
     * replacement is 0, so the design effect is infinite. */
    o.deff = WFS_DEFF_YES;
    r = run(PROP, d, "need", &o);
    ck_assert(isinf(est(r, 1)->deff));
    wfs_result_free(r);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

/* ---- the radix sort behind quantiles ---- */

typedef struct ref_xw {
    double x, w;
    size_t i;
} ref_xw;

static int cmp_ref_xw(const void *a, const void *b)
{
    const ref_xw *p = a, *q = b;
    if (p->x < q->x) return -1;
    if (p->x > q->x) return 1;
    return p->i < q->i ? -1 : p->i > q->i;
}

/* The radix sort orders as a stable comparison sort: ties (and -0 with
 * +0) stay in their given order, negatives before positives, extremes. */
START_TEST(test_sort_xw_matches_stable_sort)
{
    static const size_t sizes[] = {0, 1, 2, 7, 63, 64, 65, 1000, 20000};
    static const double special[] = {-0.0, 0.0, -1e308, 1e308, 5e-324, -5e-324, 1, -1, 2.5};
    uint64_t state = 88172645463325252u;
    for (size_t t = 0; t < sizeof sizes / sizeof *sizes; t++) {
        size_t n = sizes[t];
        wfs_xw *a = malloc((n ? n : 1) * sizeof *a), *tmp = malloc((n ? n : 1) * sizeof *tmp);
        ref_xw *r = malloc((n ? n : 1) * sizeof *r);
        ck_assert(a && tmp && r);
        for (size_t i = 0; i < n; i++) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            double x;
            if (state % 5 == 0) x = special[(state >> 8) % 9];
            else if (state % 5 == 1) x = (double)((int)((state >> 8) % 21) - 10); /* ties */
            else x = ((double)(state >> 11) / 9007199254740992.0 - 0.5) * 1e6;
            a[i].x = r[i].x = x;
            a[i].w = r[i].w = (double)i; /* the weight tells the original position */
            r[i].i = i;
        }
        wfs_sort_xw(a, tmp, n);
        qsort(r, n, sizeof *r, cmp_ref_xw);
        for (size_t i = 0; i < n; i++) {
            ck_assert_msg(a[i].w == r[i].w, "n=%zu: position %zu holds row %g, expected %g", n, i,
                          a[i].w, r[i].w);
            ck_assert(a[i].x == r[i].x);
        }
        free(a);
        free(tmp);
        free(r);
    }
}
END_TEST

/* ---- quantiles ---- */

/* y 10, 20, 30, 40 with weights 1, 2, 3, 4: cumulative 1, 3, 6, 10. */
static wfs_table *quant4(void)
{
    static const double y[] = {30, 10, 40, 20}, w[] = {3, 1, 4, 2};
    wfs_table *t = table_of(4);
    num(t, "y", y);
    num(t, "w", w);
    return t;
}

START_TEST(test_quantile_rules)
{
    /* math: the smallest x with cumulative weight > pW, or x(pos) when
     * C_pos = pW exactly; school: the average of x(pos), x(pos+1) there;
     * hf7: linear in p_k = C_(k-1)/C_(n-1) = 0, 1/6, 1/2, 1.
     *   p     math  school  hf7
     *   0.25  20    20      20 + 10 (0.25 - 1/6) 3 = 22.5
     *   0.3   20    25      24   (C_2 = 3 = pW)
     *   0.5   30    30      30
     *   0.6   30    35      32   (C_3 = 6 = pW)
     *   0.9   40    40      38
     *   1     40    40      40
     *   0.05  10    10      13   (pW = 0.5 below the first weight: R's
     *                             math and school give 20, wfstat the
     *                             smallest value, as documented)
     *   0     10    10      10 */
    static const double ps[] = {0.25, 0.3, 0.5, 0.6, 0.9, 1, 0.05, 0};
    static const double want[3][8] = {{20, 20, 30, 30, 40, 40, 10, 10},
                                      {20, 25, 30, 35, 40, 40, 10, 10},
                                      {22.5, 24, 30, 32, 38, 40, 13, 10}};
    wfs_table *t = quant4();
    wfs_design *d = design(t, "w", NULL, NULL);
    for (int q = WFS_QRULE_MATH; q <= WFS_QRULE_HF7; q++) {
        wfs_est_options o = WFS_EST_OPTIONS_INIT;
        o.p = ps;
        o.np = 8;
        o.qrule = (wfs_qrule)q;
        wfs_result *r = run(QUANTILE, d, "y", &o);
        ck_assert_uint_eq(wfs_result_nestimates(r), 8);
        for (size_t k = 0; k < 8; k++) {
            const wfs_estimate *e = est(r, k);
            ck_assert_str_eq(e->statistic, "quantile");
            ck_assert_double_eq(e->p, ps[k]);
            ck_assert_msg(fabs(e->estimate - want[q][k]) <= 1e-12 * want[q][k],
                          "%s p=%g: %.17g, expected %g", wfs_qrule_name((wfs_qrule)q), ps[k],
                          e->estimate, want[q][k]);
            ck_assert_double_eq_tol(e->n_weighted, 10, 1e-12);
        }
        wfs_result_free(r);
    }
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_quantile_woodruff)
{
    /* y = 1..10, equal weights, median: pW = 5 = C_5, so math gives 5.
     * F(5) = 0.5 with SE sqrt(0.25/9) = 1/6 (a proportion's SE); df 9.
     * [pL, pU] = 0.5 -/+ t/6 = [0.1230, 0.8770]: math at pL gives x(2) = 2
     * and at pU x(9) = 9; se = (9 - 2) / (2 t). R prints se
     * 1.5471957729367616. */
    double y[10], w[10];
    for (size_t i = 0; i < 10; i++) {
        y[i] = (double)(10 - i);
        w[i] = 1;
    }
    wfs_table *t = table_of(10);
    num(t, "y", y);
    num(t, "w", w);
    wfs_design *d = design(t, "w", NULL, NULL);
    static const double half[] = {0.5};
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    o.p = half;
    o.np = 1;
    wfs_result *r = run(QUANTILE, d, "y", &o);
    const wfs_estimate *e = est(r, 0);
    ck_assert_double_eq(e->estimate, 5);
    ck_assert_double_eq(e->ci_lower, 2);
    ck_assert_double_eq(e->ci_upper, 9);
    REL(e->se, 7 / (2 * T975_9), 1e-12);
    REL(e->se, 1.5471957729367616, 1e-9);
    ck_assert_double_eq(e->df, 9);
    wfs_result_free(r);
    /* Interval methods for quantiles exclude wilson and likelihood. */
    o.ci = WFS_CI_WILSON;
    o.ci_set = 1;
    HAS(fails(QUANTILE, d, "y", &o, WFS_EINVAL), "mean, xlogit, asin or beta");
    o.ci = WFS_CI_WALD;
    static const double bad[] = {0.5, 1.5};
    o.p = bad;
    o.np = 2;
    HAS(fails(QUANTILE, d, "y", &o, WFS_EINVAL), "[0, 1] (got 1.5)");
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

/* ---- domains ---- */

START_TEST(test_by_numeric_levels)
{
    /* g2 = 1, 1, 2.5, 10, 10 over y = 2, 4, 6, 8, 10 (weight 3): levels
     * "1", "2.5", "10" in numeric order; means 3, 6, 9. Domain "1" on the
     * full SRS design: influence 3 (y - 3)/6 = -1/2, 1/2 and 0 elsewhere,
     * V = 5/4 * 1/2 = 5/8; domain df = 2 PSUs - 1 stratum = 1. */
    static const double g2[] = {1, 1, 2.5, 10, 10};
    wfs_table *t = srs5();
    num(t, "g2", g2);
    wfs_design *d = design(t, "w", NULL, NULL);
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    const char *by[] = {"g2"};
    o.by = by;
    o.nby = 1;
    wfs_result *r = run(MEAN, d, "y", &o);
    ck_assert_uint_eq(wfs_result_nestimates(r), 3);
    const char *labels[] = {"1", "2.5", "10"};
    double means[] = {3, 6, 9};
    for (size_t k = 0; k < 3; k++) {
        const wfs_estimate *e = est(r, k);
        ck_assert_uint_eq(e->ndomain, 1);
        ck_assert_str_eq(e->domain_keys[0], "g2");
        ck_assert_str_eq(e->domain_values[0], labels[k]);
        REL(e->estimate, means[k], 1e-12);
    }
    check_wald(est(r, 0), 3, sqrt(5. / 8), T975_1, 1);
    /* Domain "2.5" holds one row: its df is 0 and it has no interval. */
    ck_assert_double_eq(est(r, 1)->df, 0);
    wfs_result_free(r);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

/* A by gives the same numbers whether its domains are accumulated in one
 * pass (the dense domains x units table) or one at a time. */
void wfs_by_batch_limit(size_t cells);

START_TEST(test_by_one_pass_matches_domain_by_domain)
{
    enum { N = 400 };
    static double y[N], x[N], w[N], psu[N];
    static const char *g[N], *h[N], *f[N];
    static const char *const glev[] = {"a", "b", "c", "d", "e", "f", "g"};
    static const char *const hlev[] = {"s1", "s2", "s3"};
    static const char *const flev[] = {"p", "q", "r"};
    uint64_t s = 42;
    for (size_t i = 0; i < N; i++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        y[i] = (double)(s >> 40) / 1e5;
        x[i] = 1 + (double)(s >> 50) / 100;
        w[i] = 1 + (double)((s >> 20) % 50);
        psu[i] = (double)((s >> 30) % 40) + 1;
        g[i] = glev[(s >> 33) % 7];
        h[i] = hlev[(size_t)psu[i] % 3];
        f[i] = flev[(s >> 36) % 3];
        if (i % 37 == 5) y[i] = NAN;
    }
    wfs_table *t = table_of(N);
    num(t, "y", y);
    num(t, "x", x);
    num(t, "w", w);
    num(t, "psu", psu);
    str(t, "g", g);
    str(t, "h", h);
    str(t, "f", f);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.weight = "w";
    spec.strata = "h";
    spec.cluster[0] = "psu";
    spec.ncluster = 1;
    wfs_design *d = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_msg(wfs_design_new(&d, t, &spec, &err) == 0, "%s", err.message);
    const char *by[] = {"g"};
    const char *vars[] = {"y"};
    for (int k = 0; k < 4; k++) {
        wfs_result *r[2];
        for (int pass = 0; pass < 2; pass++) {
            wfs_by_batch_limit(pass ? 0 : (size_t)1 << 22);
            wfs_est_options o = WFS_EST_OPTIONS_INIT;
            o.by = by;
            o.nby = 1;
            if (k == 3) o.filter = "x > 1.5";
            int rc = k == 0 ? wfs_mean(&r[pass], d, vars, 1, &o, &err)
                   : k == 1 ? wfs_prop(&r[pass], d, "f", &o, &err)
                   : k == 2 ? wfs_ratio(&r[pass], d, "y", "x", &o, &err)
                            : wfs_total(&r[pass], d, vars, 1, &o, &err);
            ck_assert_msg(rc == 0, "%s", err.message);
        }
        wfs_by_batch_limit((size_t)1 << 22);
        size_t ne = wfs_result_nestimates(r[0]);
        ck_assert_uint_gt(ne, 6);
        ck_assert_uint_eq(wfs_result_nestimates(r[1]), ne);
        for (size_t e = 0; e < ne; e++) {
            const wfs_estimate *a = est(r[0], e), *b = est(r[1], e);
            ck_assert(memcmp(&a->estimate, &b->estimate, sizeof a->estimate) == 0);
            ck_assert(memcmp(&a->se, &b->se, sizeof a->se) == 0);
            ck_assert(a->df == b->df && a->n == b->n);
        }
        wfs_result_free(r[0]);
        wfs_result_free(r[1]);
    }
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_by_two_variables_order)
{
    /* a = x y x y x, b = p q q q p: combinations (x,p) rows 0, 4; (y,p)
     * none (omitted); (x,q) row 2; (y,q) rows 1, 3. The first variable
     * varies fastest: (x,p), (x,q), (y,q). y = 1, 2, 4, 8, 16: means
     * 8.5, 4, 5. */
    static const char *const a[] = {"x", "y", "x", "y", "x"};
    static const char *const b[] = {"p", "q", "q", "q", "p"};
    static const double y[] = {1, 2, 4, 8, 16};
    wfs_table *t = table_of(5);
    str(t, "a", a);
    str(t, "b", b);
    num(t, "y", y);
    wfs_design *d = design(t, NULL, NULL, NULL);
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    const char *by[] = {"a", "b"};
    o.by = by;
    o.nby = 2;
    wfs_result *r = run(MEAN, d, "y", &o);
    ck_assert_uint_eq(wfs_result_nestimates(r), 3);
    const char *want[3][2] = {{"x", "p"}, {"x", "q"}, {"y", "q"}};
    double means[] = {8.5, 4, 5};
    for (size_t k = 0; k < 3; k++) {
        const wfs_estimate *e = est(r, k);
        ck_assert_uint_eq(e->ndomain, 2);
        ck_assert_str_eq(e->domain_keys[0], "a");
        ck_assert_str_eq(e->domain_keys[1], "b");
        ck_assert_str_eq(e->domain_values[0], want[k][0]);
        ck_assert_str_eq(e->domain_values[1], want[k][1]);
        REL(e->estimate, means[k], 1e-12);
    }
    wfs_result_free(r);
    /* The same variable twice is refused. */
    const char *twice[] = {"a", "a"};
    o.by = twice;
    HAS(fails(MEAN, d, "y", &o, WFS_EINVAL), "given twice");
    const char *unknown[] = {"zz"};
    o.by = unknown;
    o.nby = 1;
    HAS(fails(MEAN, d, "y", &o, WFS_ENOTFOUND), "by variable \"zz\"");
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_filter_domain)
{
    /* if y > 4 on the SRS: rows 6, 8, 10, mean 8; influence 3 (y - 8)/9 =
     * -2/3, 0, 2/3 and 0 on the two rows outside; V = 5/4 * 8/9 = 10/9;
     * df 3 - 1 = 2. */
    wfs_table *t = srs5();
    wfs_design *d = design(t, "w", NULL, NULL);
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    o.filter = "y > 4";
    wfs_result *r = run(MEAN, d, "y", &o);
    check_wald(est(r, 0), 8, sqrt(10. / 9), T975_2, 2);
    ck_assert_double_eq(est(r, 0)->n, 3);
    wfs_result_free(r);
    /* No row passes: an error naming the condition. */
    o.filter = "y > 100";
    HAS(fails(MEAN, d, "y", &o, WFS_EDOMAIN), "no rows satisfy the condition \"y > 100\"");
    /* A malformed condition: a parse error with the offending position. */
    o.filter = "y > > 3";
    wfs_error err = WFS_ERROR_INIT;
    wfs_result *rr = NULL;
    const char *vars[] = {"y"};
    ck_assert_int_eq(wfs_mean(&rr, d, vars, 1, &o, &err), WFS_EPARSE);
    ck_assert_int_eq(err.position, 4);
    ck_assert_ptr_null(rr);
    o.filter = "y > 1 and q > 3";
    ck_assert_int_eq(wfs_mean(&rr, d, vars, 1, &o, &err), WFS_EPARSE);
    HAS(err.message, "\"q\"");
    ck_assert_int_eq(err.position, 10);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_empty_domains)
{
    /* Domain z has only zero weights: it is in the data, not the sample;
     * its estimate is unknown and a note says why. Domain b of a by
     * variable that is missing everywhere: an error. */
    static const double y[] = {1, 2, 3, 4, 5}, w[] = {1, 1, 1, 0, 0};
    static const char *const g[] = {"a", "a", "a", "z", "z"};
    static const char *const none[] = {NULL, NULL, NULL, NULL, NULL};
    wfs_table *t = table_of(5);
    num(t, "y", y);
    num(t, "w", w);
    str(t, "g", g);
    str(t, "h", none);
    wfs_design *d = design(t, "w", NULL, NULL);
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    const char *by[] = {"g"};
    o.by = by;
    o.nby = 1;
    for (est_kind k = MEAN; k <= QUANTILE; k++) {
        wfs_result *r = run(k, d, "y", &o);
        const wfs_estimate *e = est(r, wfs_result_nestimates(r) - 1);
        ck_assert_str_eq(e->domain_values[0], "z");
        ck_assert(isnan(e->estimate));
        ck_assert(isnan(e->se));
        ck_assert_double_eq(e->n, 0);
        ck_assert(has_note(r, "every weight zero"));
        REL(est(r, 0)->estimate, k == TOTAL ? 6 : k == MEAN ? 2 : k == PROP ? 1. / 3 : 1, 1e-12);
        wfs_result_free(r);
    }
    const char *byh[] = {"h"};
    o.by = byh;
    HAS(fails(MEAN, d, "y", &o, WFS_EDOMAIN), "missing by value");
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_missing_values_excluded)
{
    /* y = 2, NA, 6, NA, 10 (weight 3): mean 6 over 3 rows, the design
     * keeps all 5 PSUs (R's na.rm subset): influence 3 (y - 6)/9 = -4/3,
     * 0, 4/3 and 0 on the missing rows; V = 5/4 * 32/9 = 40/9; df 2. */
    static const double y[] = {2, NA, 6, NA, 10};
    static const char *const c[] = {"u", NULL, "v", "u", "u"};
    wfs_table *t = table_of(5);
    num(t, "y", y);
    num(t, "w", W5);
    str(t, "c", c);
    wfs_design *d = design(t, "w", NULL, NULL);
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    wfs_result *r = run(MEAN, d, "y", &o);
    check_wald(est(r, 0), 6, sqrt(40. / 9), T975_2, 2);
    ck_assert_double_eq(est(r, 0)->n, 3);
    ck_assert_double_eq_tol(est(r, 0)->n_weighted, 9, 1e-12);
    ck_assert(has_note(r, "2 rows with missing values excluded"));
    wfs_result_free(r);
    /* A categorical with one missing value: p(u) = 3/4, counted once. */
    r = run(PROP, d, "c", &o);
    REL(est(r, 0)->estimate, 0.75, 1e-12);
    ck_assert(has_note(r, "1 row with missing values excluded"));
    wfs_result_free(r);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_estimator_errors)
{
    static const char *const txt[] = {"a", "b", "c", "d", "e"};
    static const char *const cat[] = {"u", "v", "u", "v", "u"};
    wfs_table *t = srs5();
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_table_add_text(t, "comment", txt, &err), 0);
    str(t, "role", cat);
    wfs_design *d = design(t, "w", NULL, NULL);
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    HAS(fails(MEAN, d, "yy", &o, WFS_ENOTFOUND), "variable \"yy\" is not in the data (did you mean \"y\"?)");
    HAS(fails(MEAN, d, "qqqqq", &o, WFS_ENOTFOUND), "variable \"qqqqq\" is not in the data");
    HAS(fails(MEAN, d, "comment", &o, WFS_ETYPE), "\"comment\" is text");
    HAS(fails(QUANTILE, d, "role", &o, WFS_ETYPE), "quantile needs a numeric variable");
    wfs_result *r = NULL;
    ck_assert_int_eq(wfs_ratio(&r, d, "y", "role", &o, &err), WFS_ETYPE);
    HAS(err.message, "\"role\" is categorical");
    ck_assert_int_eq(wfs_ratio(&r, d, "y", "x", &o, &err), WFS_ENOTFOUND);
    ck_assert_int_eq(wfs_mean(&r, d, NULL, 0, &o, &err), WFS_EINVAL);
    HAS(err.message, "at least one variable");
    o.level = 1.5;
    HAS(fails(MEAN, d, "y", &o, WFS_EINVAL), "level must be between 0 and 1 (got 1.5)");
    o.level = 0.95;
    o.df = -1;
    HAS(fails(MEAN, d, "y", &o, WFS_EINVAL), "df must be positive or inf");
    ck_assert_ptr_null(r);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_lonely_flag_and_note)
{
    /* Stratum B holds one PSU; under adjust its row's influence is not
     * centred. A: y 1, 3; B: y 5; weights 1: ybar = 3, influence
     * (y - 3)/3: -2/3, 0 in A (SS 2/9, times 2 = 4/9) and 2/3 alone in B
     * (f z^2 = 4/9): V = 8/9. */
    static const char *const s[] = {"A", "A", "B"};
    static const double y[] = {1, 3, 5};
    wfs_table *t = table_of(3);
    str(t, "s", s);
    num(t, "y", y);
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    spec.strata = "s";
    spec.lonely = WFS_LONELY_ADJUST;
    wfs_design *d = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_design_new(&d, t, &spec, &err), 0);
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    wfs_result *r = run(MEAN, d, "y", &o);
    REL(est(r, 0)->se, sqrt(8. / 9), 1e-12);
    ck_assert(est(r, 0)->flags & WFS_FLAG_LONELY);
    ck_assert(has_note(r, "contributed under lonely=adjust"));
    ck_assert(has_note(r, "lonely PSU policy: adjust"));
    wfs_result_free(r);
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

/* The interrupt flag was polled only every 4M rows of one domain, so a
 * by with many small domains (or any small data) could not be stopped. */
START_TEST(test_interrupt_many_small_domains)
{
    wfs_table *t = srs5();
    static const char *const g[] = {"a", "b", "c", "d", "e"};
    str(t, "g", g);
    wfs_design *d = design(t, "w", NULL, NULL);
    volatile sig_atomic_t stop = 1;
    wfs_control ctl = {&stop, NULL, NULL};
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    o.control = &ctl;
    const char *by[] = {"g"};
    o.by = by;
    o.nby = 1;
    for (est_kind k = MEAN; k <= QUANTILE; k++) fails(k, d, "y", &o, WFS_EINTR);
    wfs_result *r = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_ratio(&r, d, "y", "w", &o, &err), WFS_EINTR);
    ck_assert_ptr_null(r);
    /* Without by too; and with the flag clear the work completes. */
    o.nby = 0;
    fails(MEAN, d, "y", &o, WFS_EINTR);
    stop = 0;
    wfs_result_free(run(MEAN, d, "y", &o));
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

/* A variable missing everywhere gave an all-NA result that exited
 * successfully, with a note blaming zero weights; a domain whose rows all
 * miss the variable carried the same wrong note. */
START_TEST(test_all_missing_variable)
{
    static const double none[] = {NA, NA, NA, NA, NA};
    static const double some[] = {2, NA, 6, NA, 10};
    static const char *const g[] = {"a", "b", "a", "b", "a"};
    static const char *const cnone[] = {NULL, NULL, NULL, NULL, NULL};
    wfs_table *t = srs5();
    num(t, "none", none);
    num(t, "some", some);
    str(t, "g", g);
    str(t, "cnone", cnone);
    wfs_design *d = design(t, "w", NULL, NULL);
    wfs_est_options o = WFS_EST_OPTIONS_INIT;
    for (est_kind k = MEAN; k <= QUANTILE; k++)
        HAS(fails(k, d, "none", &o, WFS_EDOMAIN), "variable \"none\" has no non-missing values");
    HAS(fails(PROP, d, "cnone", &o, WFS_EDOMAIN), "\"cnone\" has no non-missing values");
    wfs_result *r = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_ratio(&r, d, "y", "none", &o, &err), WFS_EDOMAIN);
    ck_assert_ptr_null(r);
    /* by g: domain b holds only missing values of "some". */
    const char *by[] = {"g"};
    o.by = by;
    o.nby = 1;
    for (est_kind k = MEAN; k <= QUANTILE; k++) {
        r = run(k, d, "some", &o);
        const wfs_estimate *e = est(r, wfs_result_nestimates(r) - 1);
        ck_assert_str_eq(e->domain_values[0], "b");
        ck_assert(isnan(e->estimate));
        ck_assert(has_note(r, "no non-missing values"));
        ck_assert(!has_note(r, "every weight zero"));
        ck_assert(has_note(r, "2 rows with missing values excluded"));
        /* Domain a: 2, 6, 10. */
        REL(est(r, 0)->estimate, k == MEAN ? 6 : k == TOTAL ? 54 : k == PROP ? 1. / 3 : 2, 1e-12);
        wfs_result_free(r);
    }
    wfs_design_free(d);
    wfs_table_free(t);
}
END_TEST

static Suite *estimate_suite(void)
{
    Suite *s = suite_create("estimate");
    TCase *tc = tcase_create("linear");
    tcase_add_test(tc, test_srs_mean_total);
    tcase_add_test(tc, test_srs_fpc);
    tcase_add_test(tc, test_level_and_df_options);
    tcase_add_test(tc, test_deff_srs);
    tcase_add_test(tc, test_stratified_mean);
    tcase_add_test(tc, test_deff_stratified);
    tcase_add_test(tc, test_ratio);
    tcase_add_test(tc, test_ratio_zero_denominator);
    tcase_add_test(tc, test_lonely_flag_and_note);
    suite_add_tcase(s, tc);
    tc = tcase_create("proportions");
    tcase_add_test(tc, test_prop_every_interval);
    tcase_add_test(tc, test_prop_edges_exact);
    tcase_add_test(tc, test_unknown_by_leaves_nothing);
    tcase_add_test(tc, test_prop_numeric_and_mean_of_categorical);
    suite_add_tcase(s, tc);
    tc = tcase_create("quantiles");
    tcase_add_test(tc, test_quantile_rules);
    tcase_add_test(tc, test_sort_xw_matches_stable_sort);
    tcase_add_test(tc, test_quantile_woodruff);
    suite_add_tcase(s, tc);
    tc = tcase_create("domains");
    tcase_add_test(tc, test_by_numeric_levels);
    tcase_add_test(tc, test_by_two_variables_order);
    tcase_add_test(tc, test_by_one_pass_matches_domain_by_domain);
    tcase_add_test(tc, test_filter_domain);
    tcase_add_test(tc, test_empty_domains);
    tcase_add_test(tc, test_missing_values_excluded);
    tcase_add_test(tc, test_estimator_errors);
    tcase_add_test(tc, test_interrupt_many_small_domains);
    tcase_add_test(tc, test_all_missing_variable);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(estimate_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
