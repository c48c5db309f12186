/* glmci.c - the logit and likelihood intervals of R's svyciprop (survey
 * 4.1-1) by replaying svyglm's IRLS for an intercept-only quasibinomial
 * model; see glmci-private.h for the method.
 *
 * Callers gather the starting sums over a domain's rows with positive
 * weights (zero weights are not in R's fit) and supply the design variance
 * of the fitted logit; this module never sees the rows or the design.
 */
#include "config.h"

#include "glmci-private.h"

wfs_irls_row wfs_irls_terms(double wt)
{
    /* mustart mu = (wt + 0.5)/(wt + 1) for a one (0.5/(wt + 1) for a zero):
     * mu (1 - mu) = (wt + 0.5) 0.5 / (wt + 1)^2, |eta| = log(2 wt + 1), and
     * binomial()$dev.resids = -2 wt log((wt + 0.5)/(wt + 1)). */
    wfs_irls_row r;
    double v = (wt + 0.5) * 0.5 / ((wt + 1) * (wt + 1));
    r.a = wt * v * log(2 * wt + 1);
    r.c = wt * 0.5 / (wt + 1);
    r.v = wt * v;
    r.dev_lo = r.dev_hi = -2 * wt * log((wt + 0.5) / (wt + 1));
    return r;
}

wfs_glmfit wfs_irls_intercept(const wfs_irls_start *S, double p, double nrows)
{
    /* glm.fit: the first iteration is the weighted least-squares fit of the
     * working response eta + (y - mu)/(mu (1 - mu)) on the working weights;
     * with both of them as above it is (sum over ones of (a + c) - sum over
     * zeros of (a + c)) / v. Later iterations have one fitted value for
     * every row, so the update is b + (p - mu)/(mu (1 - mu)) and the
     * deviance -2 nrows (p log mu + (1 - p) log(1 - mu)). glm.control():
     * epsilon 1e-8, maxit 25. */
    wfs_glmfit f = {NAN, NAN, NAN, 0};
    double devold = S->dev0_lo, naive = S->v;
    double b = (2 * S->a1 - S->a + 2 * S->c1 - S->c) / naive;
    for (int iter = 1; iter <= 25; iter++) {
        double mu = 1 / (1 + exp(-b));
        double dev = -2 * nrows * (p * log(mu) + (1 - p) * log(1 - mu));
        f.b = b;
        f.mu = mu;
        f.naive_sum = naive;
        if (iter == 1 && S->dev0_lo != S->dev0_hi) {
            /* The test stops here for some starting deviance in the bounds
             * (with a margin for their rounding): only the exact one
             * tells. */
            double tol = 2e-8 * (fabs(dev) + 0.1) + 1e-12 * S->dev0_hi;
            if (dev > S->dev0_lo - tol && dev < S->dev0_hi + tol) {
                f.need_dev0 = 1;
                return f;
            }
        } else if (fabs(dev - devold) / (fabs(dev) + 0.1) < 1e-8) {
            break;
        }
        devold = dev;
        naive = nrows * mu * (1 - mu);
        b = b + (p - mu) / (mu * (1 - mu));
    }
    return f;
}

void wfs_glm_prop_ci(double *lo, double *hi, wfs_ci_method m, const wfs_glmfit *f, double vb,
                     double p, double nobs, double nrows, double df, double level)
{
    double seb = sqrt(vb);
    if (m == WFS_CI_LIKELIHOOD) {
        /* residuals.svyglm's Pearson residuals (y - mu) / sqrt(mu (1 - mu))
         * have weighted variance p (1 - p) / (mu (1 - mu)); svyvar's
         * n / (n - 1) gives summary.svyglm's dispersion. */
        double q = f->mu * (1 - f->mu);
        double phi = nobs / (nobs - 1) * p * (1 - p) / q;
        wfs_prop_ci_likelihood(lo, hi, p, f->b, seb, vb * f->naive_sum, nrows, phi, df, level);
        return;
    }
    /* confint.svyglm(method = "Wald", ddf = df), back through expit. */
    double t = wfs_tcrit(level, df);
    *lo = 1 / (1 + exp(-(f->b - t * seb)));
    *hi = 1 / (1 + exp(-(f->b + t * seb)));
}
