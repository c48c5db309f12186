/* estimate.c - means, totals, proportions, ratios and quantiles over
 * domains, with Taylor-linearisation variances (R survey 4.1-1: svymean,
 * svytotal, svyratio, svyciprop, svyquantile, svyby).
 *
 * Every linear estimator is a smooth function of a few weighted totals (its
 * "basis": sum w(y - c) and sum w for a mean, sum w I(level k) for
 * proportions, sum w y and sum w x for a ratio). One pass over a domain's
 * rows accumulates the basis per sampling unit; the estimate comes from the
 * grand totals and the unit totals of the influence function are linear
 * combinations of the basis unit totals, handed to the variance engine
 * (variance.c). No per-row allocation; cost O(rows + units) per domain.
 *
 * Domains (`by`, `if`) keep the whole design: rows outside contribute
 * nothing and strata without domain rows drop out, exactly as R's subset
 * of a survey.design2. Missing values of an analysis variable remove the
 * row from that estimate only (R's na.rm = TRUE); the count is reported.
 * Zero weights are rows not in the sample: they count for the presence of
 * their PSU (as R keeps them) but not for the df or the sample size.
 */
#include "config.h"

#include <stdio.h>

#include "glmci-private.h"

/* ------------------------------------------------------------------ */
/* Shared result plumbing                                              */
/* ------------------------------------------------------------------ */

typedef struct est_ctx {
    const wfs_design *d;
    const wfs_est_options *opt;
    wfs_result *r;
    wfs_domains D;
    wfs_accum A;
    double *Z;          /* m x K influence totals */
    double *V;          /* K x K */
    size_t K;
    double *TR, *TH;    /* replicate designs: R x B replicate totals, R x K estimates */
    size_t rep_dropped; /* replicates dropped for an undefined estimate */
    int lonely, any_lonely, any_edge, any_empty, any_missing, any_zero_var;
    size_t nmiss_total;
} est_ctx;

/* Record why a domain has no estimate: every row missing the variable, or
 * every remaining row with a zero weight. */
static void mark_empty(est_ctx *c, size_t nrows, size_t nmiss)
{
    if (nrows == 0 && nmiss > 0)
        c->any_missing = 1;
    else
        c->any_empty = 1;
}

static double df_for(const est_ctx *c, double domain_df)
{
    /* Replicate designs: degf(design) of the whole design in every domain,
     * as R keeps it in subsets of a svyrep.design. */
    return c->opt->df > 0 ? c->opt->df : c->d->rep ? c->d->rep->df : domain_df;
}

static void set_domain(const est_ctx *c, wfs_estimate *e, size_t g)
{
    e->ndomain = c->D.nby;
    e->domain_keys = c->D.nby ? c->D.keys : NULL;
    e->domain_values = c->D.nby ? c->D.labels + g * c->D.nby : NULL;
}

static int ctx_begin(est_ctx *c, wfs_result **out, const char *command, const wfs_design *d,
                     const wfs_est_options *opt, wfs_error *err)
{
    memset(c, 0, sizeof *c);
    c->d = d;
    c->opt = opt;
    *out = NULL;
    if (!(opt->level > 0 && opt->level < 1))
        return wfs_fail(err, WFS_EINVAL, "level must be between 0 and 1 (got %g)", opt->level);
    if (opt->df < 0 || isnan(opt->df))
        return wfs_fail(err, WFS_EINVAL, "df must be positive or inf (got %g)", opt->df);
    int rc = wfs_rep_check_options(d, opt, err);
    if (rc) return rc;
    rc = wfs_result_new(&c->r, command, opt->dataset, err);
    if (rc) return rc;
    if ((rc = wfs_result_set_variance(c->r, d->variance_name))) return wfs_nomem(err);
    wfs_result_set_ci_level(c->r, opt->level);
    return wfs_domains_build(&c->D, d, opt, err);
}

static int ctx_buffers(est_ctx *c, size_t B, size_t K, wfs_error *err)
{
    size_t maxrows = 0;
    if (c->D.rows) {
        for (size_t g = 0; g < c->D.ngroups; g++) {
            size_t k = c->D.start[g + 1] - c->D.start[g];
            if (k > maxrows) maxrows = k;
        }
    } else {
        maxrows = c->D.nfiltered;
    }
    wfs_accum_free(&c->A);
    free(c->Z);
    free(c->V);
    free(c->TR);
    free(c->TH);
    c->Z = c->V = c->TR = c->TH = NULL;
    int rc = wfs_accum_init(&c->A, c->d, B, maxrows, err);
    if (rc) return rc;
    c->K = K;
    c->Z = wfs_mallocarray(c->A.cap * K, sizeof *c->Z);
    c->V = wfs_mallocarray(K * K, sizeof *c->V);
    if (!c->Z || !c->V) return wfs_nomem(err);
    if (c->d->rep) {
        c->TR = wfs_mallocarray(c->d->rep->R, B * sizeof *c->TR);
        c->TH = wfs_mallocarray(c->d->rep->R, K * sizeof *c->TH);
        if (!c->TR || !c->TH) return wfs_nomem(err);
    }
    return 0;
}

static void ctx_free(est_ctx *c)
{
    wfs_domains_free(&c->D);
    wfs_accum_free(&c->A);
    free(c->Z);
    free(c->V);
    free(c->TR);
    free(c->TH);
    wfs_result_free(c->r);
    c->r = NULL;
}

/* Variance of the K influence totals in c->Z over the present units. */
static int ctx_variance(est_ctx *c, wfs_error *err)
{
    int rc = wfs_recvar(c->V, c->d, c->A.units, c->Z, c->A.m, c->K, &c->lonely, err);
    if (c->lonely) c->any_lonely = 1;
    return rc;
}

/* Replicate designs: the replicate totals of basis b in domain g (into
 * c->TR), before the estimator turns them into estimates in c->TH. */
static int ctx_rep_totals(est_ctx *c, const wfs_basis *b, size_t g, wfs_error *err)
{
    return wfs_rep_totals(c->TR, c->d, b, &c->D, g, &c->A, c->opt->control, err);
}

/* svrVar of the replicate estimates in c->TH (K each) into c->V. */
static int ctx_rep_variance(est_ctx *c, const double *theta0, size_t K, wfs_error *err)
{
    size_t dropped = 0;
    int rc = wfs_rep_var(c->V, c->d, c->TH, theta0, K, &dropped, err);
    c->rep_dropped += dropped;
    c->lonely = 0;
    return rc;
}

static int add_estimate(est_ctx *c, wfs_estimate *e, int lonely)
{
    if (lonely) e->flags |= WFS_FLAG_LONELY;
    if (e->se == 0) {
        e->flags |= WFS_FLAG_ZERO_VAR;
        c->any_zero_var = 1;
    }
    if (isfinite(e->df) && e->df < 8) e->flags |= WFS_FLAG_SMALL_DF;
    return wfs_result_add_estimate(c->r, e) < 0 ? WFS_ENOMEM : 0;
}

/* The values are finite, so a non-finite estimate or an infinite SE of a
 * domain with rows means a sum of weight times value overflowed: refuse it
 * rather than print NA. */
static int overflowed(const wfs_estimate *e, const char *var, wfs_error *err)
{
    if (isfinite(e->estimate) && !isinf(e->se)) return 0;
    return wfs_fail(err, WFS_ELIMIT,
                    "the weighted sums of %s (or of their squares, for the SE) are beyond what a "
                    "double holds (above 1e308): rescale the variables",
                    var);
}

/* Symmetric interval est +/- t se. */
static void wald_ci(wfs_estimate *e, double level)
{
    double t = wfs_tcrit(level, e->df);
    e->ci_lower = e->estimate - t * e->se;
    e->ci_upper = e->estimate + t * e->se;
}

static int ctx_finish(est_ctx *c, wfs_result **out, const char *what, wfs_error *err)
{
    const wfs_est_options *opt = c->opt;
    wfs_result *r = c->r;
    int rc = 0;
    if (c->D.nmissing_by)
        rc |= wfs_result_add_note(r, "%zu row%s with a missing by value excluded", c->D.nmissing_by,
                                  c->D.nmissing_by == 1 ? "" : "s");
    if (c->nmiss_total)
        rc |= wfs_result_add_note(r, "%zu row%s with missing values excluded (na.rm)",
                                  c->nmiss_total, c->nmiss_total == 1 ? "" : "s");
    if (c->any_missing)
        rc |= wfs_result_add_note(r, "a domain has no non-missing values of the variable: no "
                                     "estimate");
    if (c->any_empty)
        rc |= wfs_result_add_note(r, "a domain has no sampled rows (every weight zero): no "
                                     "estimate");
    if (c->any_edge)
        rc |= wfs_result_add_note(r, "proportions of 0 or 1 have no design-based variance; "
                                     "their intervals are exact (Clopper-Pearson) on the "
                                     "unweighted base");
    if (c->any_lonely)
        rc |= wfs_result_add_note(r, "a stratum with a single PSU contributed under lonely=%s",
                                  wfs_lonely_name(c->d->lonely));
    if (c->rep_dropped)
        rc |= wfs_result_add_note(r, "%zu replicate estimate%s undefined (no weight in the "
                                     "domain) and left out of the variance, as R's svrVar",
                                  c->rep_dropped, c->rep_dropped == 1 ? " was" : "s were");
    if (!c->d->rep)
        rc |= wfs_result_add_note(r, "lonely PSU policy: %s", wfs_lonely_name(c->d->lonely));
    if (!rc) rc = wfs_result_add_design_footers(r, c->d, err);
    if (!rc && what) {
        char line[200];
        char dfs[64];
        if (opt->df > 0 && isinf(opt->df))
            snprintf(dfs, sizeof dfs, "normal quantiles");
        else if (opt->df > 0)
            snprintf(dfs, sizeof dfs, "t on %g df", opt->df);
        else
            snprintf(dfs, sizeof dfs, "t on the design df");
        snprintf(line, sizeof line, "intervals: %g%% %s%s%s", opt->level * 100, dfs,
                 *what ? ", " : "", what);
        rc = wfs_result_add_footer(r, line);
    }
    if (rc) {
        ctx_free(c);
        return rc < 0 && err && err->code ? rc : wfs_nomem(err);
    }
    *out = r;
    c->r = NULL;
    ctx_free(c);
    return 0;
}

int wfs_result_add_design_footers(wfs_result *r, const wfs_design *d, wfs_error *err)
{
    char line[1200];
    snprintf(line, sizeof line, "design: %s", d->describe);
    if (wfs_result_add_footer(r, line)) return wfs_nomem(err);
    snprintf(line, sizeof line, "variance: %s%s", d->variance_name,
             strcmp(d->variance_name, "linearization") == 0 ? " (Taylor series)" : "");
    if (wfs_result_add_footer(r, line)) return wfs_nomem(err);
    if (d->rep) {
        snprintf(line, sizeof line, "replicates: scale %.6g, df %g, centred on the %s",
                 d->rep->scale, d->rep->df,
                 d->rep->mse ? "full-sample estimate (mse)" : "mean of the replicates");
        if (wfs_result_add_footer(r, line)) return wfs_nomem(err);
        return 0;
    }
    snprintf(line, sizeof line, "lonely PSU policy: %s", wfs_lonely_name(d->lonely));
    if (wfs_result_add_footer(r, line)) return wfs_nomem(err);
    return 0;
}

long wfs_analysis_var(const wfs_design *d, const char *name, wfs_error *err)
{
    long col = wfs_table_find(d->t, name);
    if (col < 0) {
        wfs_fail_unknown_variable(err, d->t, name);
        return -1;
    }
    if (wfs_table_type(d->t, (size_t)col) == WFS_TEXT) {
        wfs_fail(err, WFS_ETYPE, "variable \"%s\" is text; it cannot be analysed", name);
        return -1;
    }
    if (wfs_table_nmissing(d->t, (size_t)col) == d->n) {
        wfs_fail(err, WFS_EDOMAIN, "variable \"%s\" has no non-missing values", name);
        return -1;
    }
    return col;
}

/* ------------------------------------------------------------------ */
/* Means and totals of numeric variables                               */
/* ------------------------------------------------------------------ */

static double first_value(const double *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isnan(y[i])) return y[i];
    return 0;
}

/* Design effect of a mean or total: R's svymean/svytotal deff. s2 is
 * svyvar's n/(n-1) sum w (y - ybar)^2 / sum w. */
static double deff_of(wfs_deff kind, double V, double s2, double nobs, double N, int total,
                      int *unscaled)
{
    double vsrs;
    double scale = total ? N * N : 1;
    if (kind == WFS_DEFF_REPLACE) {
        vsrs = s2 * scale / nobs;
    } else {
        if (N < nobs) {
            *unscaled = 1;
            return NAN;
        }
        vsrs = s2 * scale * (N - nobs) / (N * nobs);
    }
    return V / vsrs;
}

static int numeric_stat(est_ctx *c, const char *var, long col, int total, wfs_error *err)
{
    const wfs_design *d = c->d;
    const double *y = wfs_table_numeric(d->t, (size_t)col);
    wfs_basis b = {WFS_B_NUMERIC, y, NULL, NULL, 0, first_value(y, d->n), 0, 2};
    int rc, unscaled = 0;
    if ((rc = ctx_buffers(c, 2, 1, err))) return rc;
    for (size_t g = 0; g < c->D.ngroups; g++) {
        if ((rc = wfs_accum_run(&c->A, &b, &c->D, g, c->opt->control, err))) return rc;
        wfs_accum *A = &c->A;
        c->nmiss_total += A->nmiss;
        wfs_estimate e;
        wfs_estimate_init(&e);
        e.statistic = total ? "total" : "mean";
        e.variable = var;
        set_domain(c, &e, g);
        e.n = (double)A->nobs;
        e.n_weighted = A->T[1];
        e.df = df_for(c, A->df);
        if (A->nobs == 0 || A->T[1] == 0) {
            mark_empty(c, A->nrows, A->nmiss);
            if ((rc = add_estimate(c, &e, 0))) return wfs_nomem(err);
            continue;
        }
        double W = A->T[1], dm = A->T[0] / W; /* mean - c */
        for (size_t r = 0; r < A->m; r++) {
            const double *S = A->S + r * 2;
            /* svymean: sum over the unit of w (y - ybar) / W; svytotal: w y. */
            c->Z[r] = total ? S[0] + b.c * S[1] : (S[0] - dm * S[1]) / W;
        }
        e.estimate = total ? A->T[0] + b.c * W : b.c + dm;
        if (d->rep) {
            if ((rc = ctx_rep_totals(c, &b, g, err))) return rc;
            for (size_t r = 0; r < d->rep->R; r++) {
                const double *T = c->TR + r * 2;
                c->TH[r] = total ? T[0] + b.c * T[1] : b.c + T[0] / T[1];
            }
            if ((rc = ctx_rep_variance(c, &e.estimate, 1, err))) return rc;
        } else if ((rc = ctx_variance(c, err))) {
            return rc;
        }
        int lonely = c->lonely;
        e.se = sqrt(c->V[0]);
        if ((rc = overflowed(&e, var, err))) return rc;
        wald_ci(&e, c->opt->level);
        if (c->opt->deff != WFS_DEFF_NONE) {
            double nobs = (double)A->nobs;
            double s2 = nobs / (nobs - 1) * wfs_domain_ss(d, &c->D, g, y, NULL, b.c + dm, 0) / W;
            e.deff = deff_of(c->opt->deff, c->V[0], s2, nobs, W, total, &unscaled);
            e.n_eff = nobs / e.deff;
        }
        if ((rc = add_estimate(c, &e, lonely))) return wfs_nomem(err);
    }
    if (unscaled)
        wfs_result_add_note(c->r, "deff not available: the weights sum to less than the sample "
                                  "size (are they scaled as population counts?)");
    return 0;
}

/* ------------------------------------------------------------------ */
/* Proportions (and totals) of every level                             */
/* ------------------------------------------------------------------ */

/* The sums that start svyciprop's IRLS (glmci.c) for every level of a
 * categorical variable in one pass over domain g: per level (its ones) and
 * over all the domain's rows. nrows: rows of the domain (the glm's rows,
 * weights rescaled to mean 1 over them). */
static void irls_prepare(wfs_irls_acc *acc, const wfs_design *d, const wfs_domains *D, size_t g,
                        const int32_t *codes, size_t L, double W, double nrows)
{
    memset(acc, 0, (L + 1) * sizeof *acc);
    wfs_rowiter it;
    wfs_it_begin(&it, D, g, d->n);
    size_t i;
    while ((i = wfs_it_next(&it)) != SIZE_MAX) {
        if (codes[i] < 0 || d->w[i] == 0) continue;
        wfs_irls_row r = wfs_irls_terms(d->w[i] * nrows / W);
        wfs_irls_acc_add(&acc[codes[i]], &r);
        wfs_irls_acc_add(&acc[L], &r);
    }
}

/* Replicate variance of the level proportions (or totals) of a domain
 * into c->V; with logit set, instead the replicate variance of each
 * level's logit into c->TH[0..L) (c->V is kept). */
static int rep_levels(est_ctx *c, const wfs_basis *b, size_t g, size_t L, int total, double W,
                      int logit, wfs_error *err)
{
    const wfs_design *d = c->d;
    size_t R = d->rep->R;
    int rc = ctx_rep_totals(c, b, g, err);
    if (rc) return rc;
    double *th0 = wfs_mallocarray(L, sizeof *th0), *Vk = NULL;
    if (!th0) return wfs_nomem(err);
    for (size_t k = 0; k < L; k++) {
        double p = c->A.T[k] / W;
        th0[k] = total ? c->A.T[k] : logit ? log(p / (1 - p)) : p;
    }
    for (size_t r = 0; r < R; r++) {
        const double *T = c->TR + r * (L + 1);
        for (size_t k = 0; k < L; k++) {
            double p = T[k] / T[L];
            c->TH[r * L + k] = total ? T[k] : logit ? log(p / (1 - p)) : p;
        }
    }
    if (!logit) {
        rc = ctx_rep_variance(c, th0, L, err);
    } else {
        /* One level at a time: a replicate undefined for one level (p 0 or
         * 1) is dropped for that level only, as R fits each level alone. */
        double *one = wfs_mallocarray(R, sizeof *one), v = 0;
        Vk = wfs_mallocarray(L, sizeof *Vk);
        if (!one || !Vk) {
            free(one);
            free(Vk);
            free(th0);
            return wfs_nomem(err);
        }
        for (size_t k = 0; k < L && !rc; k++) {
            for (size_t r = 0; r < R; r++) one[r] = c->TH[r * L + k];
            rc = wfs_rep_var(&v, d, one, th0 + k, 1, NULL, err);
            Vk[k] = v;
        }
        if (!rc) memcpy(c->TH, Vk, L * sizeof *Vk);
        free(one);
        free(Vk);
    }
    free(th0);
    return rc;
}

#define MAX_LEVELS 500

static int level_stat(est_ctx *c, const char *var, long col, int total, wfs_error *err)
{
    const wfs_design *d = c->d;
    int32_t *codes = wfs_mallocarray(d->n, sizeof *codes);
    char **levels = NULL;
    size_t L = 0;
    wfs_irls_acc *irls = NULL;
    int rc, unscaled = 0;
    if (!codes) return wfs_nomem(err);
    if ((rc = wfs_table_group_codes(codes, &levels, &L, d->t, (size_t)col, err))) goto out;
    if (L == 0) {
        rc = wfs_fail(err, WFS_EDOMAIN, "variable \"%s\" has no non-missing values", var);
        goto out;
    }
    /* The estimates take L + 1 sums per unit and an L x L covariance
     * (time m L^2): an identifier with 20,000 distinct values needed 7 GB
     * and minutes for a table nobody can read. 500 is tab's limit a side. */
    if (L > MAX_LEVELS) {
        rc = wfs_fail(err, WFS_ELIMIT,
                      "\"%s\" has %zu different values; proportions and counts by level take at "
                      "most %d (is it an identifier? recode it into groups)",
                      var, L, MAX_LEVELS);
        goto out;
    }
    wfs_basis b = {WFS_B_CATEGORICAL, NULL, NULL, codes, L, 0, 0, L + 1};
    irls = wfs_callocarray(L + 1, sizeof *irls);
    if (!irls) {
        rc = wfs_nomem(err);
        goto out;
    }
    if ((rc = ctx_buffers(c, L + 1, L, err))) goto out;
    for (size_t g = 0; g < c->D.ngroups; g++) {
        if ((rc = wfs_accum_run(&c->A, &b, &c->D, g, c->opt->control, err))) {
            goto out;
        }
        wfs_accum *A = &c->A;
        int irls_ready = 0;
        c->nmiss_total += A->nmiss;
        double W = A->T[L];
        int empty = A->nobs == 0 || W == 0;
        if (!empty) {
            for (size_t r = 0; r < A->m; r++) {
                const double *S = A->S + r * (L + 1);
                for (size_t k = 0; k < L; k++)
                    c->Z[r * L + k] = total ? S[k] : (S[k] - A->T[k] / W * S[L]) / W;
            }
            if (d->rep) {
                if ((rc = rep_levels(c, &b, g, L, total, W, 0, err))) goto out;
            } else if ((rc = ctx_variance(c, err))) {
                goto out;
            }
        } else {
            mark_empty(c, A->nrows, A->nmiss);
            c->lonely = 0;
        }
        for (size_t k = 0; k < L; k++) {
            wfs_estimate e;
            wfs_estimate_init(&e);
            e.statistic = total ? "total" : "prop";
            e.variable = var;
            e.level = levels[k];
            set_domain(c, &e, g);
            e.n = (double)A->nobs;
            e.n_weighted = W;
            e.df = df_for(c, A->df);
            if (!empty) {
                double p = A->T[k] / W, v = c->V[k * L + k];
                e.estimate = total ? A->T[k] : p;
                e.se = sqrt(v);
                if (total) {
                    wald_ci(&e, c->opt->level);
                } else {
                    int edge = wfs_prop_ci(&e.ci_lower, &e.ci_upper, c->opt->ci, p, e.se, e.df,
                                           c->opt->level, (double)A->nrows, (double)A->nobs,
                                           A->df);
                    if (edge) c->any_edge = 1;
                    if (d->rep && c->opt->ci == WFS_CI_LOGIT && !edge && v > 0) {
                        /* svyciprop on a svyrep.design: the replicate
                         * variance of the fitted logit. */
                        if (!irls_ready) {
                            if ((rc = rep_levels(c, &b, g, L, 0, W, 1, err))) goto out;
                            irls_ready = 1;
                        }
                        wfs_logit_ci(&e.ci_lower, &e.ci_upper, p, sqrt(c->TH[k]), e.df,
                                     c->opt->level);
                    } else if ((c->opt->ci == WFS_CI_LIKELIHOOD || c->opt->ci == WFS_CI_LOGIT) &&
                               !edge && v > 0) {
                        double nr = (double)A->nrows, nobs = (double)A->nobs;
                        if (!irls_ready) {
                            irls_prepare(irls, d, &c->D, g, codes, L, W, nr);
                            irls_ready = 1;
                        }
                        wfs_irls_start st = {
                            wfs_ksum_value(&irls[k].a), wfs_ksum_value(&irls[k].c),
                            wfs_ksum_value(&irls[L].a), wfs_ksum_value(&irls[L].c),
                            wfs_ksum_value(&irls[L].v), wfs_ksum_value(&irls[L].dev_lo),
                            wfs_ksum_value(&irls[L].dev_hi)};
                        wfs_glmfit f = wfs_irls_intercept(&st, p, nr);
                        /* svy.varcoef: the design variance of the fitted logit. */
                        double q = f.mu * (1 - f.mu), vb = NAN;
                        double *z = wfs_mallocarray(A->m ? A->m : 1, sizeof *z);
                        if (!z) {
                            rc = wfs_nomem(err);
                            goto out;
                        }
                        for (size_t r = 0; r < A->m; r++)
                            z[r] = (A->S[r * (L + 1) + k] - f.mu * A->S[r * (L + 1) + L]) / (W * q);
                        rc = wfs_recvar(&vb, d, A->units, z, A->m, 1, NULL, err);
                        free(z);
                        if (rc) goto out;
                        wfs_glm_prop_ci(&e.ci_lower, &e.ci_upper, c->opt->ci, &f, vb, p, nobs, nr,
                                        e.df, c->opt->level);
                    }
                    if (v > 0) e.n_eff = p * (1 - p) / v;
                }
                if (c->opt->deff != WFS_DEFF_NONE) {
                    double nobs = (double)A->nobs;
                    double s2 = nobs / (nobs - 1) * p * (1 - p);
                    e.deff = deff_of(c->opt->deff, v, s2, nobs, W, total, &unscaled);
                    if (total) e.n_eff = nobs / e.deff;
                }
            }
            if ((rc = add_estimate(c, &e, c->lonely))) {
                rc = wfs_nomem(err);
                goto out;
            }
        }
    }
    if (unscaled)
        wfs_result_add_note(c->r, "deff not available: the weights sum to less than the sample "
                                  "size (are they scaled as population counts?)");
out:
    free(irls);
    free(codes);
    if (levels) wfs_levels_free(levels, L);
    return rc;
}

static int mean_or_total(wfs_result **out, const wfs_design *d, const char *const *vars,
                         size_t nvars, const wfs_est_options *opt, int total, wfs_error *err)
{
    est_ctx c;
    int rc = ctx_begin(&c, out, total ? "total" : "mean", d, opt, err);
    if (!rc && nvars == 0) rc = wfs_fail(err, WFS_EINVAL, "name at least one variable");
    for (size_t v = 0; v < nvars && !rc; v++) {
        long col = wfs_analysis_var(d, vars[v], err);
        if (col < 0) {
            rc = err ? err->code : WFS_ENOTFOUND;
            break;
        }
        if (wfs_table_type(d->t, (size_t)col) == WFS_CATEGORICAL)
            rc = level_stat(&c, vars[v], col, total, err);
        else
            rc = numeric_stat(&c, vars[v], col, total, err);
    }
    if (rc) {
        ctx_free(&c);
        return rc;
    }
    char what[80];
    snprintf(what, sizeof what, "%s for proportions", wfs_ci_name(opt->ci));
    return ctx_finish(&c, out, total ? "" : what, err);
}

int wfs_mean(wfs_result **out, const wfs_design *d, const char *const *vars, size_t nvars,
             const wfs_est_options *opt, wfs_error *err)
{
    return mean_or_total(out, d, vars, nvars, opt, 0, err);
}

int wfs_total(wfs_result **out, const wfs_design *d, const char *const *vars, size_t nvars,
              const wfs_est_options *opt, wfs_error *err)
{
    return mean_or_total(out, d, vars, nvars, opt, 1, err);
}

int wfs_prop(wfs_result **out, const wfs_design *d, const char *var, const wfs_est_options *opt,
             wfs_error *err)
{
    est_ctx c;
    int rc = ctx_begin(&c, out, "prop", d, opt, err);
    if (!rc) {
        long col = wfs_analysis_var(d, var, err);
        rc = col < 0 ? (err ? err->code : WFS_ENOTFOUND) : level_stat(&c, var, col, 0, err);
    }
    if (rc) {
        ctx_free(&c);
        return rc;
    }
    char what[80];
    snprintf(what, sizeof what, "%s for proportions", wfs_ci_name(opt->ci));
    return ctx_finish(&c, out, what, err);
}

/* ------------------------------------------------------------------ */
/* Ratios                                                              */
/* ------------------------------------------------------------------ */

int wfs_ratio(wfs_result **out, const wfs_design *d, const char *num, const char *den,
              const wfs_est_options *opt, wfs_error *err)
{
    est_ctx c;
    int rc = ctx_begin(&c, out, "ratio", d, opt, err);
    long cy = -1, cx = -1;
    if (!rc && ((cy = wfs_analysis_var(d, num, err)) < 0 || (cx = wfs_analysis_var(d, den, err)) < 0))
        rc = err ? err->code : WFS_ENOTFOUND;
    if (!rc) {
        const char *bad = wfs_table_type(d->t, (size_t)cy) != WFS_NUMERIC ? num
                          : wfs_table_type(d->t, (size_t)cx) != WFS_NUMERIC ? den
                                                                            : NULL;
        if (bad)
            rc = wfs_fail(err, WFS_ETYPE, "ratio needs numeric variables; \"%s\" is categorical",
                          bad);
    }
    if (!rc) rc = ctx_buffers(&c, 3, 1, err);
    if (rc) {
        ctx_free(&c);
        return rc;
    }
    const double *y = wfs_table_numeric(d->t, (size_t)cy), *x = wfs_table_numeric(d->t, (size_t)cx);
    wfs_basis b = {WFS_B_RATIO, y, x, NULL, 0, 0, 0, 3};
    char name[512];
    snprintf(name, sizeof name, "%s/%s", num, den);
    int unscaled = 0, zero_den = 0;
    for (size_t g = 0; g < c.D.ngroups && !rc; g++) {
        if ((rc = wfs_accum_run(&c.A, &b, &c.D, g, opt->control, err))) {
            break;
        }
        wfs_accum *A = &c.A;
        c.nmiss_total += A->nmiss;
        wfs_estimate e;
        wfs_estimate_init(&e);
        e.statistic = "ratio";
        e.variable = name;
        set_domain(&c, &e, g);
        e.n = (double)A->nobs;
        e.n_weighted = A->T[2];
        e.df = df_for(&c, A->df);
        double X = A->T[1];
        if (A->nobs == 0 || A->T[2] == 0 || X == 0) {
            if (X == 0 && A->nobs) zero_den = 1;
            else mark_empty(&c, A->nrows, A->nmiss);
            rc = add_estimate(&c, &e, 0);
            continue;
        }
        double R = A->T[0] / X;
        /* svyratio: influence (y - R x) / X per row, times the weight. */
        for (size_t r = 0; r < A->m; r++) c.Z[r] = (A->S[r * 3] - R * A->S[r * 3 + 1]) / X;
        e.estimate = R;
        if (d->rep) {
            /* svyratio.svyrep.design: the ratio of replicate totals. */
            if ((rc = ctx_rep_totals(&c, &b, g, err))) break;
            for (size_t r = 0; r < d->rep->R; r++) c.TH[r] = c.TR[r * 3] / c.TR[r * 3 + 1];
            if ((rc = ctx_rep_variance(&c, &e.estimate, 1, err))) break;
        } else if ((rc = ctx_variance(&c, err))) {
            break;
        }
        e.se = sqrt(c.V[0]);
        if ((rc = overflowed(&e, name, err))) break;
        wald_ci(&e, opt->level);
        if (opt->deff != WFS_DEFF_NONE) {
            /* deff(svytotal(r, design)) with r = (y - R x) / X. */
            double nobs = (double)A->nobs, W = A->T[2];
            double s2 = nobs / (nobs - 1) * wfs_domain_ss(d, &c.D, g, y, x, 0, R) / (X * X) / W;
            e.deff = deff_of(opt->deff, c.V[0], s2, nobs, W, 1, &unscaled);
            e.n_eff = nobs / e.deff;
        }
        rc = add_estimate(&c, &e, c.lonely);
    }
    if (!rc && zero_den)
        rc = wfs_result_add_note(c.r, "the denominator \"%s\" totals zero in a domain: no ratio",
                                 den) ? wfs_nomem(err) : 0;
    if (!rc && unscaled)
        wfs_result_add_note(c.r, "deff not available: the weights sum to less than the sample "
                                 "size (are they scaled as population counts?)");
    if (rc) {
        ctx_free(&c);
        return rc;
    }
    return ctx_finish(&c, out, "", err);
}

/* ------------------------------------------------------------------ */
/* Quantiles (R 4.x svyquantile with Woodruff intervals)               */
/* ------------------------------------------------------------------ */

const char *wfs_qrule_name(wfs_qrule q)
{
    return q == WFS_QRULE_SCHOOL ? "school" : q == WFS_QRULE_HF7 ? "hf7" : "math";
}

int wfs_qrule_parse(const char *name)
{
    if (!name) return -1;
    if (!strcmp(name, "math")) return WFS_QRULE_MATH;
    if (!strcmp(name, "school")) return WFS_QRULE_SCHOOL;
    if (!strcmp(name, "hf7")) return WFS_QRULE_HF7;
    return -1;
}

/* The sorted values of a domain with positive weights, their cumulative
 * weights (R's cumsum: long double accumulation rounded per element) and
 * the total (R's sum over the rows in their original order). */
typedef struct qdata {
    wfs_xw *v, *tmp;
    double *cum;
    size_t n;
    double S;
} qdata;

/* R's qs()/qrule_math/qrule_school/qrule_hf7 at probability p, except
 * that p W below the first weight gives the smallest value (R gives the
 * second). */
static double qrule_at(const qdata *q, wfs_qrule rule, double p)
{
    size_t n = q->n;
    if (rule == WFS_QRULE_HF7) {
        /* pk = c(0, cumw[-n]) / cumw[n-1]; approx(pk, x, p, rule = 2). */
        if (n < 2) return q->v[0].x;
        double den = q->cum[n - 2];
        if (p <= 0) return q->v[0].x;
        size_t i = 0, j = n - 1;
        double pj = q->cum[n - 2] / den;
        if (p > pj) return q->v[n - 1].x;
#define PK(k) ((k) == 0 ? 0.0 : q->cum[(k) - 1] / den)
        while (i < j - 1) {
            size_t ij = (i + j) / 2;
            if (p < PK(ij)) j = ij;
            else i = ij;
        }
        double xi = PK(i), xj = PK(j);
#undef PK
        if (p == xj) return q->v[j].x;
        if (p == xi) return q->v[i].x;
        return q->v[i].x + (q->v[j].x - q->v[i].x) * ((p - xi) / (xj - xi));
    }
    double target = p * q->S;
    /* last(cumw <= p * sum(w)) by bisection on the nondecreasing cum. */
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (q->cum[mid] <= target) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0) return q->v[0].x;
    size_t pos = lo - 1, next = pos + 1 < n ? pos + 1 : pos;
    double wlow = p - q->cum[pos] / q->S;
    if (wlow == 0) return rule == WFS_QRULE_SCHOOL ? (q->v[pos].x + q->v[next].x) / 2 : q->v[pos].x;
    return q->v[next].x;
}

/* Woodruff interval on the CDF value pm with standard error se (R's
 * woodruffCI); NaN bounds where R gives NaN. */
static void woodruff_p(double *lo, double *hi, wfs_ci_method m, double pm, double se, double df,
                       double level, double nrows, double ddf)
{
    double t = wfs_tcrit(level, df);
    switch (m) {
    case WFS_CI_XLOGIT:
    case WFS_CI_LOGIT: {
        double l = log(pm / (1 - pm)), s = se / (pm * (1 - pm));
        *lo = 1 / (1 + exp(-(l - t * s)));
        *hi = 1 / (1 + exp(-(l + t * s)));
        break;
    }
    case WFS_CI_ASIN: {
        double a = asin(sqrt(pm)), s = se / (2 * sqrt(pm * (1 - pm)));
        *lo = pow(sin(a - t * s), 2);
        *hi = pow(sin(a + t * s), 2);
        break;
    }
    case WFS_CI_BETA:
        if (pm > 0 && pm < 1 && se > 0) {
            wfs_prop_ci(lo, hi, WFS_CI_BETA, pm, se, df, level, nrows, nrows, ddf);
        } else {
            *lo = *hi = NAN;
        }
        break;
    default:
        *lo = pm - t * se;
        *hi = pm + t * se;
    }
}

int wfs_quantile(wfs_result **out, const wfs_design *d, const char *const *vars, size_t nvars,
                 const wfs_est_options *opt, wfs_error *err)
{
    static const double default_p[] = {0.25, 0.5, 0.75};
    const double *ps = opt->p ? opt->p : default_p;
    size_t np = opt->p ? opt->np : 3;
    wfs_ci_method m = opt->ci_set ? opt->ci : WFS_CI_WALD;
    est_ctx c;
    int rc = ctx_begin(&c, out, "quantile", d, opt, err);
    if (!rc && nvars == 0) rc = wfs_fail(err, WFS_EINVAL, "name at least one variable");
    if (!rc && (m == WFS_CI_WILSON || m == WFS_CI_LIKELIHOOD))
        rc = wfs_fail(err, WFS_EINVAL,
                      "quantile intervals are mean, xlogit, asin or beta (got %s)", wfs_ci_name(m));
    for (size_t k = 0; k < np && !rc; k++)
        if (!(ps[k] >= 0 && ps[k] <= 1))
            rc = wfs_fail(err, WFS_EINVAL, "quantile probabilities must be in [0, 1] (got %g)",
                          ps[k]);
    if (!rc) rc = ctx_buffers(&c, 2, 1, err);
    qdata q = {NULL, NULL, NULL, 0, 0};
    if (!rc) {
        size_t cap = c.A.cap > c.D.nfiltered ? c.A.cap : c.D.nfiltered;
        q.v = wfs_mallocarray(cap ? cap : 1, sizeof *q.v);
        q.tmp = wfs_mallocarray(cap ? cap : 1, sizeof *q.tmp);
        q.cum = wfs_mallocarray(cap ? cap : 1, sizeof *q.cum);
        if (!q.v || !q.tmp || !q.cum) rc = wfs_nomem(err);
    }
    int bound_outside = 0;
    for (size_t v = 0; v < nvars && !rc; v++) {
        long col = wfs_analysis_var(d, vars[v], err);
        if (col < 0) {
            rc = err ? err->code : WFS_ENOTFOUND;
            break;
        }
        if (wfs_table_type(d->t, (size_t)col) != WFS_NUMERIC) {
            rc = wfs_fail(err, WFS_ETYPE, "quantile needs a numeric variable; \"%s\" is categorical",
                          vars[v]);
            break;
        }
        const double *y = wfs_table_numeric(d->t, (size_t)col);
        for (size_t g = 0; g < c.D.ngroups && !rc; g++) {
            /* Sorted positive-weight values of the domain. */
            wfs_rowiter it;
            wfs_it_begin(&it, &c.D, g, d->n);
            size_t i, n = 0, nvalid = 0, nmiss = 0;
            long double S = 0;
            while ((i = wfs_it_next(&it)) != SIZE_MAX) {
                if (isnan(y[i])) {
                    nmiss++;
                    continue;
                }
                nvalid++;
                if (d->w[i] == 0) continue;
                q.v[n].x = y[i];
                q.v[n].w = d->w[i];
                S += d->w[i];
                n++;
            }
            q.n = n;
            q.S = (double)S;
            c.nmiss_total += nmiss;
            /* Rows come in increasing order: the stable sort keeps ties
             * in row order, as R's order(). */
            wfs_sort_xw(q.v, q.tmp, n);
            long double cum = 0;
            for (size_t k = 0; k < n; k++) {
                cum += q.v[k].w;
                q.cum[k] = (double)cum;
            }
            for (size_t k = 0; k < np && !rc; k++) {
                wfs_estimate e;
                wfs_estimate_init(&e);
                e.statistic = "quantile";
                e.variable = vars[v];
                e.p = ps[k];
                set_domain(&c, &e, g);
                e.n = (double)n;
                e.n_weighted = q.S;
                if (n == 0) {
                    mark_empty(&c, nvalid, nmiss);
                    rc = add_estimate(&c, &e, 0);
                    continue;
                }
                double qhat = qrule_at(&q, opt->qrule, ps[k]);
                /* The CDF at the estimate: svymean(x <= qhat). */
                wfs_basis b = {WFS_B_INDICATOR, y, NULL, NULL, 0, 0, qhat, 2};
                if ((rc = wfs_accum_run(&c.A, &b, &c.D, g, opt->control, err))) {
                    break;
                }
                double W = c.A.T[1], pm = c.A.T[0] / W;
                for (size_t r = 0; r < c.A.m; r++)
                    c.Z[r] = (c.A.S[r * 2] - pm * c.A.S[r * 2 + 1]) / W;
                if (d->rep) {
                    /* svyquantile.svyrep.design's woodruffCI: the replicate
                     * variance of the CDF at the estimate. */
                    if ((rc = ctx_rep_totals(&c, &b, g, err))) break;
                    for (size_t r = 0; r < d->rep->R; r++)
                        c.TH[r] = c.TR[r * 2] / c.TR[r * 2 + 1];
                    if ((rc = ctx_rep_variance(&c, &pm, 1, err))) break;
                } else if ((rc = ctx_variance(&c, err))) {
                    break;
                }
                e.df = df_for(&c, c.A.df);
                e.estimate = qhat;
                double lo, hi;
                woodruff_p(&lo, &hi, m, pm, sqrt(c.V[0]), e.df, opt->level, (double)c.A.nrows,
                           d->rep ? e.df : c.A.df);
                e.ci_lower = isnan(lo) || lo < 0 ? NAN : qrule_at(&q, opt->qrule, lo);
                e.ci_upper = isnan(hi) || hi > 1 ? NAN : qrule_at(&q, opt->qrule, hi);
                if (isnan(e.ci_lower) || isnan(e.ci_upper)) bound_outside = 1;
                e.se = (e.ci_upper - e.ci_lower) / (2 * wfs_tcrit(opt->level, e.df));
                rc = add_estimate(&c, &e, c.lonely);
            }
        }
    }
    free(q.v);
    free(q.tmp);
    free(q.cum);
    if (!rc && bound_outside &&
        wfs_result_add_note(c.r, "an interval bound fell outside the data's CDF (at 0 or 1) and "
                                 "is not reported"))
        rc = wfs_nomem(err);
    if (rc) {
        ctx_free(&c);
        return rc;
    }
    char what[80];
    snprintf(what, sizeof what, "Woodruff (%s) for quantiles, qrule %s",
             m == WFS_CI_WALD ? "mean" : wfs_ci_name(m), wfs_qrule_name(opt->qrule));
    return ctx_finish(&c, out, what, err);
}
