/* glmci-private.h - the logit and likelihood intervals of R's svyciprop,
 * by replaying the IRLS of svyglm(y ~ 1, family = quasibinomial) (glmci.c).
 * Shared by estimate.c (prop, mean of a categorical variable) and
 * crosstab.c (every percentage of a table). Never installed.
 *
 * R fits the intercept by glm.fit's IRLS from mustart = (wt y + 0.5) /
 * (wt + 1), where wt = w nrows / W are the weights rescaled to mean 1 over
 * the domain's nrows rows, and stops when the deviance changes by less than
 * 1e-8 relative. The fitted logit, and the working weights of the last
 * iteration (summary.glm's naive covariance), differ from the closed form
 * logit(p) in about the ninth digit; replaying the iterations gives R's
 * intervals to rounding.
 *
 * The first iteration depends on a row's weight only through wt: mustart
 * is (wt + 0.5)/(wt + 1) for a one and 0.5/(wt + 1) for a zero, so the
 * working weight wt mu (1 - mu), |eta| = log(2 wt + 1) and the row's
 * deviance are the same for both. Four sums over the rows of the domain,
 * two of them also over its ones, start the fit; every later iteration has
 * all fitted values equal and needs only p. Rows with a zero weight are
 * not in the glm's fit (glm.fit drops them) but count in nrows.
 */
#ifndef WFS_GLMCI_PRIVATE_H
#define WFS_GLMCI_PRIVATE_H

#include "survey-private.h"

/* What the rows of a domain, or the ones among them, add to the sums that
 * start the fit: a = sum wt v |eta|, c = sum wt 0.5 / (wt + 1), v = sum wt
 * mu (1 - mu) (the first working weights), and the deviance at mustart,
 * exactly (dev_lo = dev_hi) or between bounds. Compensated sums, so a
 * domain's terms can be gathered cell by cell and added. */
typedef struct wfs_irls_acc {
    wfs_ksum a, c, v, dev_lo, dev_hi;
} wfs_irls_acc;

/* One row's terms, for its rescaled weight wt > 0. */
typedef struct wfs_irls_row {
    double a, c, v, dev_lo, dev_hi;
} wfs_irls_row;

/* The terms with the row's deviance exact. */
wfs_irls_row wfs_irls_terms(double wt);

/* The terms with the row's deviance 2 wt log(1 + x), x = 1 / (2 wt + 1),
 * only bounded (by the alternating series of log(1 + x) to x^2 and x^3),
 * which saves a logarithm per row: the starting deviance only decides
 * whether the fit stops after its first iteration, and the bounds settle
 * that unless the first deviance falls within them
 * (wfs_glmfit.need_dev0). Inline: it runs once per row and domain. */
static inline wfs_irls_row wfs_irls_terms_bounded(double wt)
{
    /* As wfs_irls_terms; 2 wt x = 1 - x. */
    wfs_irls_row r;
    double u = 1 / (wt + 1), x = 1 / (2 * wt + 1);
    double v = (wt + 0.5) * 0.5 * u * u;
    r.a = wt * v * log(2 * wt + 1);
    r.c = wt * 0.5 * u;
    r.v = wt * v;
    r.dev_lo = (1 - x) * (1 - x / 2);
    r.dev_hi = r.dev_lo + (1 - x) * x * x / 3;
    return r;
}

static inline void wfs_irls_acc_add(wfs_irls_acc *acc, const wfs_irls_row *r)
{
    wfs_ksum_add(&acc->a, r->a);
    wfs_ksum_add(&acc->c, r->c);
    wfs_ksum_add(&acc->v, r->v);
    wfs_ksum_add(&acc->dev_lo, r->dev_lo);
    wfs_ksum_add(&acc->dev_hi, r->dev_hi);
}

/* The sums that start one fit: a1, c1 over the domain's ones; a, c, v and
 * the starting deviance (exact when dev0_lo == dev0_hi) over all its
 * rows. */
typedef struct wfs_irls_start {
    double a1, c1, a, c, v, dev0_lo, dev0_hi;
} wfs_irls_start;

/* The fitted intercept b, the fitted mean mu = expit(b), and the sum of the
 * last iteration's working weights (the inverse of summary.glm's naive
 * variance of b). need_dev0: the starting deviance was only bounded and
 * the bounds do not decide the first convergence test; gather it exactly
 * and fit again. */
typedef struct wfs_glmfit {
    double b, mu, naive_sum;
    int need_dev0;
} wfs_glmfit;

/* Replay the IRLS for a domain of nrows rows whose weighted share of ones
 * is p (0 < p < 1). */
wfs_glmfit wfs_irls_intercept(const wfs_irls_start *S, double p, double nrows);

/* The interval of svyciprop(method = "logit" or "likelihood") from the fit
 * f: vb is the design variance of the fitted logit (svy.varcoef: the
 * variance of the influence totals (y - mu) w / (W mu (1 - mu))), p the
 * proportion, nobs the domain's rows with a nonzero weight, nrows its rows
 * (the glm's), df the degrees of freedom of the interval. */
void wfs_glm_prop_ci(double *lo, double *hi, wfs_ci_method m, const wfs_glmfit *f, double vb,
                     double p, double nobs, double nrows, double df, double level);

#endif /* WFS_GLMCI_PRIVATE_H */
