/* ci.c - confidence intervals: t quantiles and the proportion intervals of
 * R's svyciprop (survey 4.1-1).
 *
 * Every interval takes the estimate, its standard error, the degrees of
 * freedom and the level. Proportions of exactly 0 or 1 have no design-based
 * variance; for them every method returns the Clopper-Pearson interval on
 * the unweighted base (R returns NaN or a degenerate interval), and the
 * caller flags the estimate.
 */
#include "config.h"

#include <gsl/gsl_cdf.h>

#include "survey-private.h"

static const char *const ci_names[] = {"logit", "wald",   "xlogit",    "asin",
                                       "beta",  "wilson", "likelihood"};

const char *wfs_ci_name(wfs_ci_method m)
{
    return (unsigned)m < sizeof ci_names / sizeof *ci_names ? ci_names[m] : "logit";
}

int wfs_ci_parse(const char *name)
{
    if (!name) return -1;
    if (strcmp(name, "mean") == 0) return WFS_CI_WALD;
    for (size_t k = 0; k < sizeof ci_names / sizeof *ci_names; k++)
        if (strcmp(name, ci_names[k]) == 0) return (int)k;
    return -1;
}

/* The upper (1 + level)/2 quantile of t on df degrees of freedom (normal
 * when df is infinite); NaN when df <= 0. */
double wfs_tcrit(double level, double df)
{
    double a = (1 - level) / 2;
    if (!(df > 0)) return NAN;
    if (isinf(df)) return gsl_cdf_ugaussian_Qinv(a);
    return gsl_cdf_tdist_Qinv(a, df);
}

static double expit(double x)
{
    return 1 / (1 + exp(-x));
}

/* Clopper-Pearson for x = 0 or x = n successes out of n. */
static void exact_edge(double *lo, double *hi, double p, double n, double level)
{
    double a = (1 - level) / 2;
    if (!(n >= 1)) n = 1;
    if (p <= 0) {
        *lo = 0;
        *hi = 1 - pow(a, 1 / n);
    } else {
        *lo = pow(a, 1 / n);
        *hi = 1;
    }
}

void wfs_logit_ci(double *lo, double *hi, double p, double se_logit, double df, double level)
{
    double t = wfs_tcrit(level, df), l = log(p / (1 - p));
    *lo = expit(l - t * se_logit);
    *hi = expit(l + t * se_logit);
}

int wfs_prop_ci(double *lo, double *hi, wfs_ci_method m, double p, double se, double df,
                double level, double nrows, double nobs, double ddf_design)
{
    *lo = *hi = NAN;
    if (isnan(p)) return 0;
    if (p <= 0 || p >= 1) {
        exact_edge(lo, hi, p, nobs, level);
        return 1;
    }
    double t = wfs_tcrit(level, df);
    if (isnan(t) || isnan(se)) return 0;
    switch (m) {
    case WFS_CI_WALD:
        *lo = p - t * se;
        *hi = p + t * se;
        break;
    case WFS_CI_LOGIT:
    case WFS_CI_XLOGIT: {
        /* svycontrast of log(p/(1-p)): se / (p (1 - p)). */
        double l = log(p / (1 - p)), s = se / (p * (1 - p));
        *lo = expit(l - t * s);
        *hi = expit(l + t * s);
        break;
    }
    case WFS_CI_ASIN: {
        /* svycontrast of asin(sqrt(p)): se / (2 sqrt(p (1 - p))); R does
         * not clip the transformed interval. */
        double a = asin(sqrt(p)), s = se / (2 * sqrt(p * (1 - p)));
        *lo = pow(sin(a - t * s), 2);
        *hi = pow(sin(a + t * s), 2);
        break;
    }
    case WFS_CI_BETA: {
        /* Korn and Graubard (1998), as svyciprop(method = "beta"). */
        double alpha = 1 - level;
        if (!(nrows > 1) || !(ddf_design > 0) || !(se > 0)) return 0;
        double neff = p * (1 - p) / (se * se);
        double ratio = gsl_cdf_tdist_Pinv(alpha / 2, nrows - 1) /
                       (isinf(ddf_design) ? gsl_cdf_ugaussian_Pinv(alpha / 2)
                                          : gsl_cdf_tdist_Pinv(alpha / 2, ddf_design));
        neff *= ratio * ratio;
        *lo = gsl_cdf_beta_Pinv(alpha / 2, neff * p, neff * (1 - p) + 1);
        *hi = gsl_cdf_beta_Pinv(1 - alpha / 2, neff * p + 1, neff * (1 - p));
        break;
    }
    case WFS_CI_WILSON: {
        /* Wilson's score interval on the effective sample size
         * p (1 - p) / se^2, with the t quantile of the design df. */
        if (se == 0) {
            *lo = *hi = p;
            break;
        }
        double n = p * (1 - p) / (se * se), z2 = t * t;
        double c = (p + z2 / (2 * n)) / (1 + z2 / n);
        double h = t / (1 + z2 / n) * sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        *lo = c - h;
        *hi = c + h;
        break;
    }
    default: return 0;
    }
    return 0;
}

/* ---- profile-likelihood interval (svyciprop(method = "likelihood")) ---- */

/* R's cubic spline coefficients by the method of Forsythe, Malcolm and
 * Moler (stats/src/splines.c, fmm_spline). */
static void fmm_spline(size_t n, const double *x, const double *y, double *b, double *c, double *d)
{
    if (n < 2) return;
    if (n < 3) {
        double t = (y[1] - y[0]);
        b[0] = t / (x[1] - x[0]);
        b[1] = b[0];
        c[0] = c[1] = d[0] = d[1] = 0.0;
        return;
    }
    size_t nm1 = n - 1, i;
    d[0] = x[1] - x[0];
    c[1] = (y[1] - y[0]) / d[0];
    for (i = 1; i < nm1; i++) {
        d[i] = x[i + 1] - x[i];
        b[i] = 2.0 * (d[i - 1] + d[i]);
        c[i + 1] = (y[i + 1] - y[i]) / d[i];
        c[i] = c[i + 1] - c[i];
    }
    b[0] = -d[0];
    b[nm1] = -d[n - 2];
    c[0] = c[nm1] = 0.0;
    if (n > 3) {
        c[0] = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0]);
        c[nm1] = c[n - 2] / (x[nm1] - x[n - 3]) - c[n - 3] / (x[n - 2] - x[n - 4]);
        c[0] = c[0] * d[0] * d[0] / (x[3] - x[0]);
        c[nm1] = -c[nm1] * d[n - 2] * d[n - 2] / (x[nm1] - x[n - 4]);
    }
    for (i = 1; i <= nm1; i++) {
        double t = d[i - 1] / b[i - 1];
        b[i] = b[i] - t * d[i - 1];
        c[i] = c[i] - t * c[i - 1];
    }
    c[nm1] = c[nm1] / b[nm1];
    for (i = n - 1; i-- > 0;) c[i] = (c[i] - d[i] * c[i + 1]) / b[i];
    b[nm1] = (y[n - 1] - y[n - 2]) / d[n - 2] + d[n - 2] * (c[n - 2] + 2.0 * c[nm1]);
    for (i = 0; i < nm1; i++) {
        b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2.0 * c[i]);
        d[i] = (c[i + 1] - c[i]) / d[i];
        c[i] = 3.0 * c[i];
    }
    c[nm1] = 3.0 * c[nm1];
    d[nm1] = d[n - 2];
}

/* R's spline_eval at u. */
static double spline_at(size_t n, const double *x, const double *y, const double *b,
                        const double *c, const double *d, double u)
{
    size_t i = 0, j = n;
    if (u < x[0] || (n > 1 && x[1] < u)) {
        do {
            size_t k = (i + j) / 2;
            if (u < x[k]) j = k;
            else i = k;
        } while (j > i + 1);
    }
    double dx = u - x[i];
    return y[i] + dx * (b[i] + dx * (c[i] + dx * d[i]));
}

/* Linear interpolation of xs as a function of ys (ys increasing) at v, NaN
 * outside the range (R's approx with rule = 1). */
static double approx_at(size_t n, const double *ys, const double *xs, double v)
{
    if (!(v >= ys[0] && v <= ys[n - 1])) return NAN;
    size_t i = 0, j = n - 1;
    while (i < j - 1) {
        size_t ij = (i + j) / 2;
        if (v < ys[ij]) j = ij;
        else i = ij;
    }
    if (v == ys[j]) return xs[j];
    if (v == ys[i]) return xs[i];
    return xs[i] + (xs[j] - xs[i]) * ((v - ys[i]) / (ys[j] - ys[i]));
}

/* Binomial deviance of the intercept-only model at logit b, with rescaled
 * weights summing to nrows and a weighted share p of ones. */
static double deviance_at(double b, double p, double nrows)
{
    double mu = 1 / (1 + exp(-b));
    return -2 * nrows * (p * log(mu) + (1 - p) * log(1 - mu));
}

int wfs_prop_ci_likelihood(double *lo, double *hi, double p, double b0, double se, double lambda,
                           double nrows, double phi, double df, double level)
{
    /* svyciprop: svyglm(y ~ 1, family = quasibinomial) on weights rescaled
     * to mean 1 over the domain's rows; confint.svyglm(method =
     * "likelihood"); MASSprofile_glm; confint_profile. */
    *lo = *hi = NAN;
    if (!(p > 0 && p < 1) || !(se > 0) || !(lambda > 0) || !(nrows > 1) || !(phi > 0) ||
        !(df > 0))
        return 0;
    double tq = isinf(df) ? gsl_cdf_ugaussian_Pinv((1 - level) / 2)
                          : gsl_cdf_tdist_Pinv((1 - level) / 2, df);
    double cut = tq * sqrt(lambda);    /* qnorm(2 alpha), negative */
    double alpha = gsl_cdf_ugaussian_P(cut) / 2;
    double zmax = sqrt(gsl_cdf_fdist_Qinv(alpha, 1, nrows - 1));
    double del = zmax / 5;
    double d0 = deviance_at(b0, p, nrows);
    /* The profile: z at b0 and up to 9 steps each way. */
    double bz[19][2];
    size_t m = 0;
    bz[m][0] = b0;
    bz[m][1] = 0;
    m++;
    for (int sgn = -1; sgn <= 1; sgn += 2) {
        double z = 0;
        for (int step = 1; step < 10 && fabs(z) < zmax; step++) {
            double bi = b0 + sgn * step * del * se;
            double zz = (deviance_at(bi, p, nrows) - d0) / phi;
            if (zz < 0) zz = 0;
            z = sgn * sqrt(zz);
            bz[m][0] = bi;
            bz[m][1] = z;
            m++;
        }
    }
    /* Sort by b (z is increasing in b). */
    for (size_t i = 1; i < m; i++)
        for (size_t j = i; j > 0 && bz[j][0] < bz[j - 1][0]; j--) {
            double t0 = bz[j][0], t1 = bz[j][1];
            bz[j][0] = bz[j - 1][0];
            bz[j][1] = bz[j - 1][1];
            bz[j - 1][0] = t0;
            bz[j - 1][1] = t1;
        }
    double x[19], y[19], b[19], c[19], d[19];
    for (size_t i = 0; i < m; i++) {
        x[i] = bz[i][0];
        y[i] = bz[i][1];
    }
    fmm_spline(m, x, y, b, c, d);
    /* spline(): 3m points from min to max, then approx(y, x, cutoff). */
    size_t ns = 3 * m;
    double sx[57], sy[57];
    double by = (x[m - 1] - x[0]) / (double)(ns - 1);
    for (size_t i = 0; i < ns; i++) {
        sx[i] = i + 1 == ns ? x[m - 1] : x[0] + (double)i * by;
        sy[i] = spline_at(m, x, y, b, c, d, sx[i]);
    }
    for (size_t i = 1; i < ns; i++) /* approx sorts by its x (the spline's z) */
        for (size_t j = i; j > 0 && sy[j] < sy[j - 1]; j--) {
            double t = sy[j];
            sy[j] = sy[j - 1];
            sy[j - 1] = t;
            t = sx[j];
            sx[j] = sx[j - 1];
            sx[j - 1] = t;
        }
    double l = approx_at(ns, sy, sx, cut), h = approx_at(ns, sy, sx, -cut);
    *lo = 1 / (1 + exp(-l));
    *hi = 1 / (1 + exp(-h));
    return 0;
}
