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
