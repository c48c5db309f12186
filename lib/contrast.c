/* contrast.c - comparisons built on the variance engine: pairwise
 * differences between domains (compare), changes between survey waves
 * (change), Likert and tick-all batteries (likert, multi) and the
 * shift-share decomposition of a change in a share (decompose).
 *
 * Every quantity here is a smooth function of linear estimates whose
 * influence totals per sampling unit come from the estimation engine
 * (engine.c). The influence totals of all the estimates a command needs are
 * held side by side over every unit of the design, and their full
 * covariance comes from one call of the svyrecvar machinery (variance.c):
 * the covariance of two domain estimates is the cross-product of their
 * influence totals, never an assumption of independence. This is R's
 * svyby(..., covmat = TRUE) followed by svycontrast().
 *
 * Missing values: each estimate leaves out the rows missing its variable
 * (R's na.rm = TRUE), so a tick-all item's base is the rows that answered
 * it. Zero weights are rows not in the sample, as in estimate.c.
 */
#include "config.h"

#include <complex.h>
#include <gsl/gsl_cdf.h>
#include <stdio.h>

#include "survey-private.h"

/* ------------------------------------------------------------------ */
/* Linear estimates with dense influence totals                        */
/* ------------------------------------------------------------------ */

/* K estimates of one design with their influence totals over all nu units
 * at the design's accumulation level, column-major (column k at Z + k nu),
 * so that columns can be appended. */
typedef struct lin {
    const wfs_design *d;
    size_t nu, K, cap;
    double *Z;
    double *theta, *n, *nw, *den, *df; /* estimate, rows used, sum of weights, denominator, df */
} lin;

static void lin_init(lin *L, const wfs_design *d)
{
    memset(L, 0, sizeof *L);
    L->d = d;
    L->nu = d->lev[d->acc_level].nunits;
}

static void lin_free(lin *L)
{
    free(L->Z);
    free(L->theta);
    free(L->n);
    free(L->nw);
    free(L->den);
    free(L->df);
    memset(L, 0, sizeof *L);
}

/* Room for `add` more columns, zeroed. Returns the first new column. */
static long lin_grow(lin *L, size_t add, wfs_error *err)
{
    size_t need = L->K + add;
    if (need > L->cap) {
        size_t cap = L->cap ? L->cap : 8;
        while (cap < need) cap *= 2;
        double *Z = realloc(L->Z, cap * (L->nu ? L->nu : 1) * sizeof *Z);
        if (Z) L->Z = Z;
        double *a[5] = {L->theta, L->n, L->nw, L->den, L->df};
        for (int j = 0; j < 5; j++) {
            double *t = realloc(a[j], cap * sizeof *t);
            if (t) a[j] = t;
            else Z = NULL;
        }
        L->theta = a[0];
        L->n = a[1];
        L->nw = a[2];
        L->den = a[3];
        L->df = a[4];
        if (!Z) {
            wfs_nomem(err);
            return -1;
        }
        L->cap = cap;
    }
    long first = (long)L->K;
    memset(L->Z + L->K * L->nu, 0, add * L->nu * sizeof *L->Z);
    for (size_t k = L->K; k < need; k++) L->theta[k] = L->n[k] = L->nw[k] = L->den[k] = L->df[k] = NAN;
    L->K = need;
    return first;
}

/* The full K x K covariance of the estimates (R's svyrecvar on the
 * influence matrix of svyby(covmat = TRUE): every unit and stratum of the
 * design takes part). */
static int lin_cov(double *V, const lin *L, int *lonely, wfs_error *err)
{
    size_t nu = L->nu, K = L->K;
    double *R = wfs_mallocarray(nu * K != 0 ? nu * K : 1, sizeof *R);
    if (!R) return wfs_nomem(err);
    for (size_t u = 0; u < nu; u++)
        for (size_t k = 0; k < K; k++) R[u * K + k] = L->Z[k * nu + u];
    int rc = wfs_recvar(V, L->d, NULL, R, nu, K, lonely, err);
    free(R);
    return rc;
}

static int err_code(const wfs_error *err, int dflt)
{
    return err && err->code ? err->code : dflt;
}

static double first_value(const double *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isnan(y[i])) return y[i];
    return 0;
}

/* The levels of a proportion: a categorical variable's levels or a
 * numeric one's distinct values (wfs_table_group_codes). */
typedef struct levset {
    int32_t *codes;
    char **levels;
    size_t L;
} levset;

static void levset_free(levset *s)
{
    free(s->codes);
    if (s->levels) wfs_levels_free(s->levels, s->L);
    memset(s, 0, sizeof *s);
}

static int levset_make(levset *s, const wfs_design *d, long col, const char *var, wfs_error *err)
{
    memset(s, 0, sizeof *s);
    s->codes = wfs_mallocarray(d->n ? d->n : 1, sizeof *s->codes);
    if (!s->codes) return wfs_nomem(err);
    int rc = wfs_table_group_codes(s->codes, &s->levels, &s->L, d->t, (size_t)col, err);
    if (!rc && s->L == 0) rc = wfs_fail(err, WFS_EDOMAIN, "variable \"%s\" has no values", var);
    return rc;
}

/* Append the estimates of stat for every domain of D: G x nl columns,
 * domain-major. PROP uses the levels in *ls (which it fills when its codes
 * are NULL); MEAN of a categorical variable is PROP. nmiss accumulates the
 * rows left out as missing. */
static int lin_stat(lin *L, const wfs_domains *D, wfs_stat stat, const char *var, const char *den,
                    levset *ls, size_t *nl, size_t *nmiss, const wfs_control *ctl, wfs_error *err)
{
    const wfs_design *d = L->d;
    long cy = wfs_analysis_var(d, var, err), cx = -1;
    if (cy < 0) return err_code(err, WFS_ENOTFOUND);
    int categorical = wfs_table_type(d->t, (size_t)cy) == WFS_CATEGORICAL;
    if (stat == WFS_STAT_MEAN && categorical) stat = WFS_STAT_PROP;
    if (stat == WFS_STAT_RATIO || stat == WFS_STAT_TOTAL) {
        if (stat == WFS_STAT_RATIO && (cx = wfs_analysis_var(d, den, err)) < 0)
            return err_code(err, WFS_ENOTFOUND);
        const char *bad = categorical ? var
                          : cx >= 0 && wfs_table_type(d->t, (size_t)cx) != WFS_NUMERIC ? den
                                                                                       : NULL;
        if (bad)
            return wfs_fail(err, WFS_ETYPE, "%s needs numeric variables; \"%s\" is categorical",
                            stat == WFS_STAT_RATIO ? "a ratio" : "a total", bad);
    }
    wfs_basis b;
    memset(&b, 0, sizeof b);
    size_t nlev = 1;
    if (stat == WFS_STAT_PROP) {
        if (!ls->codes) {
            int rc = levset_make(ls, d, cy, var, err);
            if (rc) return rc;
        }
        nlev = ls->L;
        b.kind = WFS_B_CATEGORICAL;
        b.codes = ls->codes;
        b.nlev = nlev;
        b.B = nlev + 1;
    } else if (stat == WFS_STAT_RATIO) {
        b.kind = WFS_B_RATIO;
        b.y = wfs_table_numeric(d->t, (size_t)cy);
        b.x = wfs_table_numeric(d->t, (size_t)cx);
        b.B = 3;
    } else {
        b.kind = WFS_B_NUMERIC;
        b.y = wfs_table_numeric(d->t, (size_t)cy);
        b.c = stat == WFS_STAT_TOTAL ? 0 : first_value(b.y, d->n);
        b.B = 2;
    }
    *nl = nlev;
    wfs_accum A;
    size_t maxrows = D->nfiltered;
    int rc = wfs_accum_init(&A, d, b.B, maxrows, err);
    if (rc) return rc;
    long c0 = lin_grow(L, D->ngroups * nlev, err);
    if (c0 < 0) {
        wfs_accum_free(&A);
        return WFS_ENOMEM;
    }
    size_t nu = L->nu, B = b.B;
    for (size_t g = 0; g < D->ngroups && !rc; g++) {
        if ((rc = wfs_accum_run(&A, &b, D, g, ctl, err))) break;
        *nmiss += A.nmiss;
        size_t col = (size_t)c0 + g * nlev;
        double W = stat == WFS_STAT_RATIO ? A.T[2] : A.T[B - 1];
        for (size_t k = 0; k < nlev; k++) {
            L->n[col + k] = (double)A.nobs;
            L->nw[col + k] = W;
            L->df[col + k] = A.df;
        }
        if (A.nobs == 0 || W == 0) continue;
        if (stat == WFS_STAT_PROP) {
            /* svymean of the level indicators: w (I_k - p_k) / W. */
            for (size_t k = 0; k < nlev; k++) {
                double p = A.T[k] / W, *z = L->Z + (col + k) * nu;
                L->theta[col + k] = p;
                for (size_t r = 0; r < A.m; r++)
                    z[A.units[r]] = (A.S[r * B + k] - p * A.S[r * B + nlev]) / W;
            }
        } else if (stat == WFS_STAT_RATIO) {
            /* svyratio: w (y - R x) / X. */
            double X = A.T[1];
            if (X == 0) continue;
            double R = A.T[0] / X, *z = L->Z + col * nu;
            L->theta[col] = R;
            L->den[col] = X;
            for (size_t r = 0; r < A.m; r++) z[A.units[r]] = (A.S[r * 3] - R * A.S[r * 3 + 1]) / X;
        } else if (stat == WFS_STAT_TOTAL) {
            double *z = L->Z + col * nu;
            L->theta[col] = A.T[0];
            for (size_t r = 0; r < A.m; r++) z[A.units[r]] = A.S[r * 2];
        } else {
            /* svymean: w (y - ybar) / W. */
            double dm = A.T[0] / W, *z = L->Z + col * nu;
            L->theta[col] = b.c + dm;
            L->den[col] = W;
            for (size_t r = 0; r < A.m; r++) z[A.units[r]] = (A.S[r * 2] - dm * A.S[r * 2 + 1]) / W;
        }
    }
    wfs_accum_free(&A);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Shared result helpers                                               */
/* ------------------------------------------------------------------ */

/* Two-sided p-value of t = est / se on df (normal when infinite). */
static double p_two_sided(double est, double se, double df)
{
    if (!(se > 0) || isnan(est)) return NAN;
    double t = fabs(est / se);
    if (isinf(df)) return 2 * gsl_cdf_ugaussian_Q(t);
    if (!(df > 0)) return NAN;
    return 2 * gsl_cdf_tdist_Q(t, df);
}

static void fill_wald(wfs_estimate *e, double level)
{
    double t = wfs_tcrit(level, e->df);
    e->ci_lower = e->estimate - t * e->se;
    e->ci_upper = e->estimate + t * e->se;
    e->p_value = p_two_sided(e->estimate, e->se, e->df);
    if (isfinite(e->df) && e->df < 8) e->flags |= WFS_FLAG_SMALL_DF;
    if (e->se == 0) e->flags |= WFS_FLAG_ZERO_VAR;
}

/* Holm's step-down adjustment of the m p-values p[idx[0..m)] in place
 * (R's p.adjust(method = "holm")); NaN p-values are left out. */
static int holm(double *p, size_t m, wfs_error *err)
{
    size_t *ord = wfs_mallocarray(m ? m : 1, sizeof *ord), k = 0;
    if (!ord) return wfs_nomem(err);
    for (size_t i = 0; i < m; i++)
        if (!isnan(p[i])) ord[k++] = i;
    /* Insertion sort by p: the families are small (pairs of domains). */
    for (size_t i = 1; i < k; i++) {
        size_t v = ord[i], j = i;
        while (j > 0 && p[ord[j - 1]] > p[v]) {
            ord[j] = ord[j - 1];
            j--;
        }
        ord[j] = v;
    }
    double run = 0;
    for (size_t i = 0; i < k; i++) {
        double a = (double)(k - i) * p[ord[i]];
        if (a > 1) a = 1;
        if (a > run) run = a;
        p[ord[i]] = run;
    }
    free(ord);
    return 0;
}

static int finish_result(wfs_result *r, const wfs_design *d, const wfs_est_options *opt,
                         const char *what, wfs_error *err)
{
    if (wfs_result_add_design_footers(r, d, err)) return err_code(err, WFS_ENOMEM);
    char line[300], dfs[64];
    if (opt->df > 0 && isinf(opt->df)) snprintf(dfs, sizeof dfs, "normal quantiles");
    else if (opt->df > 0) snprintf(dfs, sizeof dfs, "t on %g df", opt->df);
    else snprintf(dfs, sizeof dfs, "t on the design df");
    snprintf(line, sizeof line, "intervals: %g%% %s%s%s", opt->level * 100, dfs, *what ? ", " : "",
             what);
    if (wfs_result_add_footer(r, line)) return wfs_nomem(err);
    return 0;
}

static int check_options(const wfs_est_options *opt, wfs_error *err)
{
    if (!(opt->level > 0 && opt->level < 1))
        return wfs_fail(err, WFS_EINVAL, "level must be between 0 and 1 (got %g)", opt->level);
    if (opt->df < 0 || isnan(opt->df))
        return wfs_fail(err, WFS_EINVAL, "df must be positive or inf (got %g)", opt->df);
    return 0;
}

/* The df of the rows of the filter (R's degf of the subset the domains
 * come from), or the df asked for. */
static double filter_df(const wfs_design *d, const wfs_domains *D, const wfs_est_options *opt)
{
    if (opt->df > 0) return opt->df;
    uint8_t *in = malloc(d->n ? d->n : 1);
    if (!in) return NAN;
    for (size_t i = 0; i < d->n; i++) in[i] = D->group[i] >= 0;
    double df = wfs_domain_df(d, in);
    free(in);
    return df;
}

const char *wfs_stat_name(wfs_stat s)
{
    switch (s) {
    case WFS_STAT_PROP: return "prop";
    case WFS_STAT_RATIO: return "ratio";
    case WFS_STAT_TOTAL: return "total";
    default: return "mean";
    }
}

int wfs_stat_parse(const char *name)
{
    if (!name) return -1;
    if (!strcmp(name, "mean")) return WFS_STAT_MEAN;
    if (!strcmp(name, "prop")) return WFS_STAT_PROP;
    if (!strcmp(name, "ratio")) return WFS_STAT_RATIO;
    return -1;
}

/* ------------------------------------------------------------------ */
/* compare: pairwise differences between domains                       */
/* ------------------------------------------------------------------ */

#define MAX_COMPARE_DOMAINS 100

int wfs_compare(wfs_result **out, const wfs_design *d, wfs_stat stat, const char *const *vars,
                size_t nvars, const wfs_est_options *opt, wfs_adjust adjust, wfs_error *err)
{
    *out = NULL;
    int rc = check_options(opt, err);
    if (rc) return rc;
    if (nvars == 0) return wfs_fail(err, WFS_EINVAL, "name at least one variable");
    if (stat == WFS_STAT_RATIO && nvars != 2)
        return wfs_fail(err, WFS_EINVAL, "compare ratio takes NUMERATOR / DENOMINATOR");
    if (opt->nby == 0)
        return wfs_fail(err, WFS_EINVAL, "compare needs the domains to compare: by VARIABLE");
    wfs_domains D;
    if ((rc = wfs_domains_build(&D, d, opt, err))) return rc;
    if (D.ngroups < 2) {
        rc = wfs_fail(err, WFS_EDOMAIN,
                      "by %s has a single level (%s) in the data analysed: there is nothing to "
                      "compare",
                      opt->by[0], D.labels[0]);
        wfs_domains_free(&D);
        return rc;
    }
    if (D.ngroups > MAX_COMPARE_DOMAINS) {
        rc = wfs_fail(err, WFS_ELIMIT,
                      "compare takes at most %d domains (got %zu, which would be %zu pairs); "
                      "use a coarser by variable or an if condition",
                      MAX_COMPARE_DOMAINS, D.ngroups, D.ngroups * (D.ngroups - 1) / 2);
        wfs_domains_free(&D);
        return rc;
    }
    wfs_result *r = NULL;
    if ((rc = wfs_result_new(&r, "compare", opt->dataset, err)) ||
        wfs_result_set_variance(r, d->variance_name)) {
        wfs_domains_free(&D);
        return rc ? rc : wfs_nomem(err);
    }
    wfs_result_set_ci_level(r, opt->level);
    double df = filter_df(d, &D, opt);
    size_t G = D.ngroups, nmiss = 0, nempty = 0, nfam = 0, npairs = 0;
    int any_lonely = 0, any_prop = 0;
    char name[512];
    size_t nv = stat == WFS_STAT_RATIO ? 1 : nvars;
    for (size_t v = 0; v < nv && !rc; v++) {
        lin L;
        levset ls = {NULL, NULL, 0};
        size_t nl = 1;
        double *V = NULL, *pv = NULL;
        lin_init(&L, d);
        rc = lin_stat(&L, &D, stat, vars[v], stat == WFS_STAT_RATIO ? vars[1] : NULL, &ls, &nl,
                      &nmiss, opt->control, err);
        if (!rc && !(V = wfs_mallocarray(L.K * L.K, sizeof *V))) rc = wfs_nomem(err);
        int lonely = 0;
        if (!rc) rc = lin_cov(V, &L, &lonely, err);
        any_lonely |= lonely;
        if (stat == WFS_STAT_RATIO) snprintf(name, sizeof name, "%s/%s", vars[0], vars[1]);
        else snprintf(name, sizeof name, "%s", vars[v]);
        int isprop = ls.codes != NULL;
        any_prop |= isprop;
        for (size_t k = 0; k < nl && !rc; k++) {
            size_t fam0 = wfs_result_nestimates(r);
            for (size_t a = 0; a < G && !rc; a++)
                for (size_t b = a + 1; b < G && !rc; b++) {
                    size_t ia = a * nl + k, ib = b * nl + k;
                    wfs_estimate e;
                    wfs_estimate_init(&e);
                    e.statistic = "difference";
                    e.variable = name;
                    e.level = isprop ? ls.levels[k] : NULL;
                    if (isprop) e.flags |= WFS_FLAG_SHARE;
                    e.ndomain = e.nreference = D.nby;
                    e.domain_keys = e.reference_keys = D.keys;
                    e.domain_values = D.labels + a * D.nby;
                    e.reference_values = D.labels + b * D.nby;
                    e.n = L.n[ia] + L.n[ib];
                    e.n_weighted = L.nw[ia] + L.nw[ib];
                    e.df = df;
                    if (isnan(L.theta[ia]) || isnan(L.theta[ib])) {
                        nempty++;
                    } else {
                        e.estimate = L.theta[ia] - L.theta[ib];
                        double var = V[ia * L.K + ia] + V[ib * L.K + ib] - 2 * V[ia * L.K + ib];
                        e.se = sqrt(var > 0 ? var : 0);
                        fill_wald(&e, opt->level);
                        if (lonely) e.flags |= WFS_FLAG_LONELY;
                    }
                    if (wfs_result_add_estimate(r, &e) < 0) rc = wfs_nomem(err);
                    npairs++;
                }
            size_t m = wfs_result_nestimates(r) - fam0;
            if (!rc && adjust == WFS_ADJUST_HOLM && m > 1) {
                if (!(pv = realloc(pv, m * sizeof *pv))) {
                    rc = wfs_nomem(err);
                    break;
                }
                for (size_t i = 0; i < m; i++) pv[i] = wfs_result_estimate(r, fam0 + i)->p_value;
                if ((rc = holm(pv, m, err))) break;
                for (size_t i = 0; i < m; i++)
                    wfs_result_estimate_mut(r, fam0 + i)->p_value = pv[i];
            }
            nfam++;
        }
        free(pv);
        free(V);
        levset_free(&ls);
        lin_free(&L);
    }
    if (!rc) {
        int n = 0;
        n |= wfs_result_add_note(r, "each row is a domain minus its reference (estimate = domain "
                                    "- reference); standard errors from the full covariance of "
                                    "the domain estimates (R: svyby(covmat = TRUE), "
                                    "svycontrast)");
        if (adjust == WFS_ADJUST_HOLM)
            n |= wfs_result_add_note(r, "p-values Holm-adjusted within each variable%s (%zu "
                                        "comparison%s each); intervals are not adjusted",
                                     any_prop ? " and level" : "", G * (G - 1) / 2,
                                     G == 2 ? "" : "s");
        else
            n |= wfs_result_add_note(r, "p-values not adjusted for multiple comparisons");
        if (nmiss)
            n |= wfs_result_add_note(r, "%zu row%s with missing values excluded (na.rm)", nmiss,
                                     nmiss == 1 ? "" : "s");
        if (D.nmissing_by)
            n |= wfs_result_add_note(r, "%zu row%s with a missing by value excluded",
                                     D.nmissing_by, D.nmissing_by == 1 ? "" : "s");
        if (nempty)
            n |= wfs_result_add_note(r, "a domain has no estimate (no rows with the variable): "
                                        "its differences are not available");
        if (any_lonely)
            n |= wfs_result_add_note(r, "a stratum with a single PSU contributed under lonely=%s",
                                     wfs_lonely_name(d->lonely));
        if (n) rc = wfs_nomem(err);
    }
    (void)npairs;
    (void)nfam;
    if (!rc) rc = finish_result(r, d, opt, "", err);
    wfs_domains_free(&D);
    if (rc) {
        wfs_result_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* ------------------------------------------------------------------ */
/* change: between two survey waves                                    */
/* ------------------------------------------------------------------ */

/* The group of B's domain gb in A (same labels), or -1. */
static long match_domain(const wfs_domains *DA, const wfs_domains *DB, size_t gb)
{
    for (size_t ga = 0; ga < DA->ngroups; ga++) {
        size_t k = 0;
        while (k < DA->nby &&
               strcmp(DA->labels[ga * DA->nby + k], DB->labels[gb * DB->nby + k]) == 0)
            k++;
        if (k == DA->nby) return (long)ga;
    }
    return -1;
}

static long find_label(char *const *levels, size_t L, const char *s)
{
    for (size_t k = 0; k < L; k++)
        if (strcmp(levels[k], s) == 0) return (long)k;
    return -1;
}

/* Row influence of estimate column col (domain g, level k) of a wave, as
 * svyby computes it on the stacked data: zero outside the domain and for
 * rows missing the variable. */
static double row_influence(const lin *L, const wfs_domains *D, wfs_stat stat, const double *y,
                            const double *x, const levset *ls, size_t g, size_t k, size_t col,
                            size_t i)
{
    const wfs_design *d = L->d;
    if (D->group[i] != (int32_t)g || isnan(L->theta[col])) return 0;
    double w = d->w[i];
    if (ls->codes) {
        if (ls->codes[i] < 0) return 0;
        return w * (((size_t)ls->codes[i] == k ? 1.0 : 0.0) - L->theta[col]) / L->nw[col];
    }
    if (stat == WFS_STAT_RATIO) {
        if (isnan(y[i]) || isnan(x[i])) return 0;
        return w * (y[i] - L->theta[col] * x[i]) / L->den[col];
    }
    if (isnan(y[i])) return 0;
    return w * (y[i] - L->theta[col]) / L->den[col];
}

/* Put "NAME: " in front of the message of the error in err. */
static int prefix_error(wfs_error *err, const char *name)
{
    if (!err) return WFS_EINVAL;
    char msg[sizeof err->message];
    snprintf(msg, sizeof msg, "%s", err->message);
    int code = err->code ? err->code : WFS_EINVAL;
    return wfs_fail(err, code, "%s: %s", name, msg);
}

typedef struct idkey {
    const char *label;
    size_t wave, code;
} idkey;

static int cmp_idkey(const void *a, const void *b)
{
    return strcmp(((const idkey *)a)->label, ((const idkey *)b)->label);
}

/* Panel ids of both waves numbered together: idx[w][i] the id of row i
 * of wave w; *nid the number of distinct ids over both waves. */
static int panel_ids(size_t *idx[2], size_t *nid, const wfs_design *dw[2], const char *id,
                     const char *names[2], wfs_error *err)
{
    int32_t *codes[2] = {NULL, NULL};
    char **levels[2] = {NULL, NULL};
    size_t nlev[2] = {0, 0};
    idkey *keys = NULL;
    size_t *map[2] = {NULL, NULL};
    int rc = 0;
    for (int w = 0; w < 2 && !rc; w++) {
        long col = wfs_table_find(dw[w]->t, id);
        if (col < 0) {
            rc = wfs_fail(err, WFS_ENOTFOUND, "overlap=%s: %s has no variable \"%s\"", id,
                          names[w], id);
            break;
        }
        if (wfs_table_nmissing(dw[w]->t, (size_t)col)) {
            rc = wfs_fail(err, WFS_EINVAL,
                          "overlap=%s: %s has rows with a missing id; every row needs one", id,
                          names[w]);
            break;
        }
        codes[w] = wfs_mallocarray(dw[w]->n ? dw[w]->n : 1, sizeof *codes[w]);
        idx[w] = wfs_mallocarray(dw[w]->n ? dw[w]->n : 1, sizeof *idx[w]);
        if (!codes[w] || !idx[w]) rc = wfs_nomem(err);
        if (!rc) rc = wfs_table_group_codes(codes[w], &levels[w], &nlev[w], dw[w]->t, (size_t)col, err);
    }
    if (!rc) {
        keys = wfs_mallocarray(nlev[0] + nlev[1] + 1, sizeof *keys);
        map[0] = wfs_mallocarray(nlev[0] + 1, sizeof *map[0]);
        map[1] = wfs_mallocarray(nlev[1] + 1, sizeof *map[1]);
        if (!keys || !map[0] || !map[1]) rc = wfs_nomem(err);
    }
    if (!rc) {
        size_t nk = 0;
        for (int w = 0; w < 2; w++)
            for (size_t k = 0; k < nlev[w]; k++) keys[nk++] = (idkey){levels[w][k], (size_t)w, k};
        qsort(keys, nk, sizeof *keys, cmp_idkey);
        size_t n = 0;
        for (size_t k = 0; k < nk; k++) {
            if (k == 0 || strcmp(keys[k].label, keys[k - 1].label) != 0) n++;
            map[keys[k].wave][keys[k].code] = n - 1;
        }
        *nid = n;
        for (int w = 0; w < 2; w++)
            for (size_t i = 0; i < dw[w]->n; i++) idx[w][i] = map[w][codes[w][i]];
    }
    for (int w = 0; w < 2; w++) {
        free(codes[w]);
        free(map[w]);
        if (levels[w]) wfs_levels_free(levels[w], nlev[w]);
    }
    free(keys);
    return rc;
}

int wfs_change(wfs_result **out, const wfs_design *da, const wfs_design *db, const char *name_a,
               const char *name_b, wfs_stat stat, const char *const *vars, size_t nvars,
               const char *overlap, const wfs_est_options *opt, wfs_error *err)
{
    *out = NULL;
    int rc = check_options(opt, err);
    if (rc) return rc;
    if (nvars == 0) return wfs_fail(err, WFS_EINVAL, "name at least one variable");
    if (stat == WFS_STAT_RATIO && nvars != 2)
        return wfs_fail(err, WFS_EINVAL, "change ratio takes NUMERATOR / DENOMINATOR");
    if (da == db || strcmp(name_a, name_b) == 0)
        return wfs_fail(err, WFS_EINVAL, "change needs two different datasets (got %s twice)",
                        name_a);
    if (overlap && (da->cal || db->cal))
        return wfs_fail(err, WFS_EDESIGN,
                        "overlap= works from the design weights of each wave; %s has calibrated "
                        "weights, whose variance overlap= cannot carry",
                        da->cal ? name_a : name_b);
    const wfs_design *dw[2] = {da, db};
    const char *names[2] = {name_a, name_b};
    /* The variables must mean the same in both waves. */
    for (size_t v = 0; v < nvars; v++) {
        long ca = wfs_analysis_var(da, vars[v], err);
        if (ca < 0) return prefix_error(err, name_a);
        long cb = wfs_analysis_var(db, vars[v], err);
        if (cb < 0) return prefix_error(err, name_b);
        wfs_coltype ta = wfs_table_type(da->t, (size_t)ca), tb = wfs_table_type(db->t, (size_t)cb);
        if (ta != tb)
            return wfs_fail(err, WFS_ETYPE,
                            "variable \"%s\" is %s in %s but %s in %s; a change needs the same "
                            "type in both waves",
                            vars[v], ta == WFS_NUMERIC ? "numeric" : "categorical", name_a,
                            tb == WFS_NUMERIC ? "numeric" : "categorical", name_b);
    }
    wfs_domains D[2];
    memset(D, 0, sizeof D);
    lin L[2];
    lin_init(&L[0], da);
    lin_init(&L[1], db);
    levset ls[2] = {{NULL, NULL, 0}, {NULL, NULL, 0}};
    double *V[2] = {NULL, NULL};
    size_t *ids[2] = {NULL, NULL}, nid = 0, nmiss = 0;
    double *idsum = NULL;
    wfs_result *r = NULL;
    int lonely[2] = {0, 0}, unmatched = 0, new_level = 0, no_values = 0;
    for (int w = 0; w < 2 && !rc; w++) {
        wfs_est_options o = *opt;
        if ((rc = wfs_domains_build(&D[w], dw[w], &o, err))) rc = prefix_error(err, names[w]);
    }
    if (!rc && overlap) rc = panel_ids(ids, &nid, dw, overlap, names, err);
    if (!rc && overlap && nid < 2)
        rc = wfs_fail(err, WFS_EDOMAIN, "overlap=%s: the waves hold fewer than two ids", overlap);
    if (!rc && overlap && !(idsum = wfs_mallocarray(nid, sizeof *idsum))) rc = wfs_nomem(err);
    if (!rc && (rc = wfs_result_new(&r, "change", name_b, err))) r = NULL;
    if (!rc) {
        wfs_result_set_ci_level(r, opt->level);
        if (wfs_result_set_variance(r, da->variance_name)) rc = wfs_nomem(err);
    }
    double df = opt->df > 0 ? opt->df
                : overlap ? (double)nid - 1
                          : (rc ? NAN : filter_df(da, &D[0], opt) + filter_df(db, &D[1], opt));
    size_t nv = stat == WFS_STAT_RATIO ? 1 : nvars;
    char name[512];
    for (size_t v = 0; v < nv && !rc; v++) {
        size_t nl[2] = {1, 1};
        for (int w = 0; w < 2 && !rc; w++) {
            lin_free(&L[w]);
            lin_init(&L[w], dw[w]);
            levset_free(&ls[w]);
            rc = lin_stat(&L[w], &D[w], stat, vars[v], stat == WFS_STAT_RATIO ? vars[1] : NULL,
                          &ls[w], &nl[w], &nmiss, opt->control, err);
            if (rc) break;
            free(V[w]);
            if (!(V[w] = wfs_mallocarray(L[w].K * L[w].K, sizeof *V[w]))) rc = wfs_nomem(err);
            else if (!overlap) rc = lin_cov(V[w], &L[w], &lonely[w], err);
        }
        if (rc) break;
        if (stat == WFS_STAT_RATIO) snprintf(name, sizeof name, "%s/%s", vars[0], vars[1]);
        else snprintf(name, sizeof name, "%s", vars[v]);
        /* The levels: A's, then those only B has. */
        size_t nlev = nl[0];
        if (ls[1].codes)
            for (size_t k = 0; k < ls[1].L; k++)
                nlev += find_label(ls[0].levels, ls[0].L, ls[1].levels[k]) < 0;
        for (size_t gb = 0; gb < D[1].ngroups && !rc; gb++) {
            long ga = match_domain(&D[0], &D[1], gb);
            if (ga < 0) {
                unmatched = 1;
                continue;
            }
            for (size_t j = 0; j < nlev && !rc; j++) {
                /* Column of level j in each wave, -1 when the wave lacks it. */
                long ka, kb;
                const char *lab = NULL;
                if (!ls[0].codes) {
                    ka = kb = 0;
                } else if (j < ls[0].L) {
                    lab = ls[0].levels[j];
                    ka = (long)j;
                    kb = find_label(ls[1].levels, ls[1].L, lab);
                } else {
                    size_t extra = j - ls[0].L, k = 0;
                    for (;; k++)
                        if (find_label(ls[0].levels, ls[0].L, ls[1].levels[k]) < 0 && extra-- == 0)
                            break;
                    ka = -1;
                    kb = (long)k;
                    lab = ls[1].levels[k];
                }
                if (ka < 0 || kb < 0) new_level = 1;
                long ca = ka < 0 ? -1 : (long)((size_t)ga * nl[0] + (size_t)ka);
                long cb = kb < 0 ? -1 : (long)(gb * nl[1] + (size_t)kb);
                /* A level the wave lacks has proportion 0 there. */
                double ta = ca >= 0 ? L[0].theta[ca]
                            : isnan(L[0].theta[(size_t)ga * nl[0]]) ? NAN : 0;
                double tb = cb >= 0 ? L[1].theta[cb] : isnan(L[1].theta[gb * nl[1]]) ? NAN : 0;
                wfs_estimate e;
                wfs_estimate_init(&e);
                e.statistic = "change";
                e.variable = name;
                e.level = lab;
                if (lab) e.flags |= WFS_FLAG_SHARE;
                e.ndomain = D[1].nby;
                e.domain_keys = D[1].nby ? D[1].keys : NULL;
                e.domain_values = D[1].nby ? D[1].labels + gb * D[1].nby : NULL;
                e.n = (ca < 0 ? L[0].n[(size_t)ga * nl[0]] : L[0].n[ca]) +
                      (cb < 0 ? L[1].n[gb * nl[1]] : L[1].n[cb]);
                e.n_weighted = NAN;
                e.df = df;
                if (!isnan(ta) && !isnan(tb)) {
                    e.estimate = tb - ta;
                    double var = 0;
                    if (!overlap) {
                        if (ca >= 0) var += V[0][ca * L[0].K + ca];
                        if (cb >= 0) var += V[1][cb * L[1].K + cb];
                    } else {
                        /* Stacked waves clustered by the panel id (R: rbind the
                         * waves, svydesign(id = ~ID), svyby(covmat = TRUE),
                         * svycontrast): with-replacement variance of the per-id
                         * totals of B's influence minus A's. */
                        const double *y[2], *x[2];
                        for (int w = 0; w < 2; w++) {
                            long cy = wfs_table_find(dw[w]->t, vars[v]);
                            y[w] = wfs_table_type(dw[w]->t, (size_t)cy) == WFS_NUMERIC
                                       ? wfs_table_numeric(dw[w]->t, (size_t)cy)
                                       : NULL;
                            x[w] = stat == WFS_STAT_RATIO
                                       ? wfs_table_numeric(dw[w]->t,
                                                           (size_t)wfs_table_find(dw[w]->t, vars[1]))
                                       : NULL;
                        }
                        memset(idsum, 0, nid * sizeof *idsum);
                        for (int w = 0; w < 2; w++) {
                            long c = w == 0 ? ca : cb;
                            long k = w == 0 ? ka : kb;
                            size_t g = w == 0 ? (size_t)ga : gb;
                            if (c < 0) continue;
                            double sign = w == 0 ? -1 : 1;
                            for (size_t i = 0; i < dw[w]->n; i++)
                                idsum[ids[w][i]] += sign * row_influence(&L[w], &D[w], stat, y[w], x[w], &ls[w], g, (size_t)k, (size_t)c, i);
                        }
                        wfs_ksum m = {0, 0}, ss = {0, 0};
                        for (size_t u = 0; u < nid; u++) wfs_ksum_add(&m, idsum[u]);
                        double mean = wfs_ksum_value(&m) / (double)nid;
                        for (size_t u = 0; u < nid; u++)
                            wfs_ksum_add(&ss, (idsum[u] - mean) * (idsum[u] - mean));
                        var = (double)nid / ((double)nid - 1) * wfs_ksum_value(&ss);
                    }
                    e.se = sqrt(var);
                    fill_wald(&e, opt->level);
                    if (lonely[0] || lonely[1]) e.flags |= WFS_FLAG_LONELY;
                }
                if (isnan(ta) || isnan(tb)) no_values = 1;
                if (wfs_result_add_estimate(r, &e) < 0) rc = wfs_nomem(err);
            }
        }
    }
    if (!rc) {
        int n = 0;
        n |= wfs_result_add_note(r, "change from %s to %s (estimate = %s - %s)", name_a, name_b,
                                 name_b, name_a);
        if (overlap)
            n |= wfs_result_add_note(r, "overlap=%s: the waves are stacked and clustered by %s, so "
                                        "respondents in both waves contribute their covariance; "
                                        "each wave's strata and clusters are not used (%zu ids, "
                                        "df %zu)",
                                     overlap, overlap, nid, nid - 1);
        else
            n |= wfs_result_add_note(r, "independent samples: the variance of the change is the "
                                        "sum of the two waves' variances; df is the sum of their "
                                        "design df");
        if (nmiss)
            n |= wfs_result_add_note(r, "%zu row%s with missing values excluded (na.rm)", nmiss,
                                     nmiss == 1 ? "" : "s");
        if (unmatched)
            n |= wfs_result_add_note(r, "a domain of %s is not in %s: no change for it", name_b,
                                     name_a);
        if (new_level)
            n |= wfs_result_add_note(r, "a level found in only one wave has proportion 0 in the "
                                        "other");
        if (no_values)
            n |= wfs_result_add_note(r, "a domain has no non-missing values in one of the waves: "
                                        "no estimate (NA)");
        if (n) rc = wfs_nomem(err);
    }
    if (!rc) rc = finish_result(r, db, opt, "", err);
    for (int w = 0; w < 2; w++) {
        wfs_domains_free(&D[w]);
        lin_free(&L[w]);
        levset_free(&ls[w]);
        free(V[w]);
        free(ids[w]);
    }
    free(idsum);
    if (rc) {
        wfs_result_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* ------------------------------------------------------------------ */
/* likert and multi: batteries of items                                */
/* ------------------------------------------------------------------ */

/* A proportion row's interval: the closed forms of svyciprop (the logit
 * interval as xlogit, which it equals to rounding; likelihood falls back
 * to it). */
static void prop_interval(wfs_estimate *e, const wfs_est_options *opt, double ddf)
{
    wfs_ci_method m = opt->ci == WFS_CI_LIKELIHOOD || opt->ci == WFS_CI_LOGIT ? WFS_CI_XLOGIT
                                                                              : opt->ci;
    wfs_prop_ci(&e->ci_lower, &e->ci_upper, m, e->estimate, e->se, e->df, opt->level, e->n, e->n,
                ddf);
    if (isfinite(e->df) && e->df < 8) e->flags |= WFS_FLAG_SMALL_DF;
    if (e->se == 0) e->flags |= WFS_FLAG_ZERO_VAR;
}

static void set_dom(wfs_estimate *e, const wfs_domains *D, size_t g)
{
    e->ndomain = D->nby;
    e->domain_keys = D->nby ? D->keys : NULL;
    e->domain_values = D->nby ? D->labels + g * D->nby : NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The answer scale of a battery: a categorical item's own levels, or for
 * numeric items every value any item of the battery takes (so that an
 * unused answer still has its place). */
#define MAX_SCALE 20
static int likert_scale(levset *ls, const wfs_design *d, const char *const *vars, size_t nvars,
                        size_t v, double *scale, size_t *nscale, wfs_error *err)
{
    long col = wfs_analysis_var(d, vars[v], err);
    if (col < 0) return err_code(err, WFS_ENOTFOUND);
    if (wfs_table_type(d->t, (size_t)col) == WFS_CATEGORICAL) return levset_make(ls, d, col, vars[v], err);
    if (*nscale == 0) {
        for (size_t j = 0; j < nvars; j++) {
            long c = wfs_analysis_var(d, vars[j], err);
            if (c < 0) return err_code(err, WFS_ENOTFOUND);
            if (wfs_table_type(d->t, (size_t)c) != WFS_NUMERIC) continue;
            const double *y = wfs_table_numeric(d->t, (size_t)c);
            for (size_t i = 0; i < d->n; i++) {
                if (isnan(y[i])) continue;
                size_t k = 0;
                while (k < *nscale && scale[k] != y[i]) k++;
                if (k < *nscale) continue;
                if (*nscale == MAX_SCALE)
                    return wfs_fail(err, WFS_EINVAL,
                                    "\"%s\" takes more than %d different values: likert needs "
                                    "items answered on a scale (e.g. 1-5)",
                                    vars[j], MAX_SCALE);
                scale[(*nscale)++] = y[i];
            }
        }
        qsort(scale, *nscale, sizeof *scale, cmp_double);
    }
    memset(ls, 0, sizeof *ls);
    ls->L = *nscale;
    ls->codes = wfs_mallocarray(d->n ? d->n : 1, sizeof *ls->codes);
    ls->levels = wfs_callocarray(*nscale, sizeof *ls->levels);
    if (!ls->codes || !ls->levels) return wfs_nomem(err);
    for (size_t k = 0; k < *nscale; k++) {
        char buf[64];
        wfs_format_double(buf, scale[k], 0);
        if (!(ls->levels[k] = wfs_strdup(buf))) return wfs_nomem(err);
    }
    const double *y = wfs_table_numeric(d->t, (size_t)col);
    for (size_t i = 0; i < d->n; i++) {
        ls->codes[i] = -1;
        if (isnan(y[i])) continue;
        for (size_t k = 0; k < *nscale; k++)
            if (scale[k] == y[i]) ls->codes[i] = (int32_t)k;
    }
    return 0;
}

int wfs_likert(wfs_result **out, const wfs_design *d, const char *const *vars, size_t nvars,
               size_t top, size_t bottom, const wfs_est_options *opt, wfs_error *err)
{
    *out = NULL;
    int rc = check_options(opt, err);
    if (rc) return rc;
    if (nvars == 0) return wfs_fail(err, WFS_EINVAL, "name at least one item");
    if (top == 0 && bottom == 0) return wfs_fail(err, WFS_EINVAL, "top= and bottom= cannot both be 0");
    wfs_domains D;
    if ((rc = wfs_domains_build(&D, d, opt, err))) return rc;
    wfs_result *r = NULL;
    if ((rc = wfs_result_new(&r, "likert", opt->dataset, err)) ||
        wfs_result_set_variance(r, d->variance_name)) {
        wfs_domains_free(&D);
        return rc ? rc : wfs_nomem(err);
    }
    wfs_result_set_ci_level(r, opt->level);
    /* One scale for the battery: all numeric items, or categorical items
     * with the same levels. */
    for (size_t v = 0; v < nvars && !rc; v++) {
        long c0 = wfs_analysis_var(d, vars[0], err), cv = wfs_analysis_var(d, vars[v], err);
        if (c0 < 0 || cv < 0) {
            rc = err_code(err, WFS_ENOTFOUND);
            break;
        }
        wfs_coltype t0 = wfs_table_type(d->t, (size_t)c0), tv = wfs_table_type(d->t, (size_t)cv);
        int same = t0 == tv;
        if (same && tv == WFS_CATEGORICAL) {
            size_t n0 = wfs_table_nlevels(d->t, (size_t)c0);
            same = n0 == wfs_table_nlevels(d->t, (size_t)cv);
            for (size_t k = 0; same && k < n0; k++)
                same = strcmp(wfs_table_level(d->t, (size_t)c0, k),
                              wfs_table_level(d->t, (size_t)cv, k)) == 0;
        }
        if (!same)
            rc = wfs_fail(err, WFS_ETYPE,
                          "likert items share one answer scale; \"%s\" and \"%s\" do not (%s)",
                          vars[0], vars[v],
                          t0 != tv ? "one is numeric, the other categorical" : "different levels");
    }
    if (rc) {
        wfs_domains_free(&D);
        wfs_result_free(r);
        return rc;
    }
    double scale[MAX_SCALE];
    size_t nscale = 0, nmiss = 0;
    int any_lonely = 0;
    char topname[32], botname[32];
    snprintf(topname, sizeof topname, "top%zu", top);
    snprintf(botname, sizeof botname, "bottom%zu", bottom);
    for (size_t v = 0; v < nvars && !rc; v++) {
        levset ls = {NULL, NULL, 0};
        lin L;
        lin_init(&L, d);
        double *V = NULL;
        size_t nl = 0;
        int lonely = 0;
        rc = likert_scale(&ls, d, vars, nvars, v, scale, &nscale, err);
        if (!rc && top + bottom > ls.L)
            rc = wfs_fail(err, WFS_EINVAL,
                          "\"%s\" has %zu answer levels: top=%zu and bottom=%zu would overlap",
                          vars[v], ls.L, top, bottom);
        if (!rc) rc = lin_stat(&L, &D, WFS_STAT_PROP, vars[v], NULL, &ls, &nl, &nmiss, opt->control, err);
        if (!rc && !(V = wfs_mallocarray(L.K * L.K, sizeof *V))) rc = wfs_nomem(err);
        if (!rc) rc = lin_cov(V, &L, &lonely, err);
        any_lonely |= lonely;
        for (size_t g = 0; g < D.ngroups && !rc; g++) {
            size_t c0 = g * nl;
            /* top-box, bottom-box, then every answer. */
            for (size_t row = 0; row < nl + 2 && !rc; row++) {
                size_t lo = 0, hi = 0;
                const char *lab;
                if (row == 0) {
                    if (!top) continue;
                    lo = nl - top, hi = nl, lab = topname;
                } else if (row == 1) {
                    if (!bottom) continue;
                    lo = 0, hi = bottom, lab = botname;
                } else {
                    lo = row - 2, hi = row - 1, lab = ls.levels[row - 2];
                }
                wfs_estimate e;
                wfs_estimate_init(&e);
                e.statistic = "prop";
                e.variable = vars[v];
                e.level = lab;
                set_dom(&e, &D, g);
                e.n = L.n[c0];
                e.n_weighted = L.nw[c0];
                e.df = opt->df > 0 ? opt->df : L.df[c0];
                if (!isnan(L.theta[c0])) {
                    /* A sum of level proportions; its variance c' V c. */
                    double est = 0, var = 0;
                    for (size_t a = lo; a < hi; a++) {
                        est += L.theta[c0 + a];
                        for (size_t b = lo; b < hi; b++) var += V[(c0 + a) * L.K + c0 + b];
                    }
                    e.estimate = est;
                    e.se = sqrt(var > 0 ? var : 0);
                    prop_interval(&e, opt, L.df[c0]);
                    if (lonely) e.flags |= WFS_FLAG_LONELY;
                }
                if (wfs_result_add_estimate(r, &e) < 0) rc = wfs_nomem(err);
            }
        }
        free(V);
        lin_free(&L);
        levset_free(&ls);
    }
    if (!rc) {
        int n = 0;
        n |= wfs_result_add_note(r, "%s: the share answering one of the %zu highest levels; %s: "
                                    "one of the %zu lowest",
                                 topname, top, botname, bottom);
        if (nmiss)
            n |= wfs_result_add_note(r, "%zu answer%s missing excluded: each item's base is those "
                                        "who answered it",
                                     nmiss, nmiss == 1 ? "" : "s");
        if (any_lonely)
            n |= wfs_result_add_note(r, "a stratum with a single PSU contributed under lonely=%s",
                                     wfs_lonely_name(d->lonely));
        if (n) rc = wfs_nomem(err);
    }
    char what[80];
    snprintf(what, sizeof what, "%s for proportions",
             opt->ci == WFS_CI_LOGIT || opt->ci == WFS_CI_LIKELIHOOD ? "logit" : wfs_ci_name(opt->ci));
    if (!rc) rc = finish_result(r, d, opt, what, err);
    wfs_domains_free(&D);
    if (rc) {
        wfs_result_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

typedef struct ranked {
    double p;
    size_t v;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->p != y->p) return x->p > y->p ? -1 : 1;
    return x->v < y->v ? -1 : x->v > y->v;
}

int wfs_multi(wfs_result **out, const wfs_design *d, const char *const *vars, size_t nvars,
              const wfs_est_options *opt, wfs_error *err)
{
    *out = NULL;
    int rc = check_options(opt, err);
    if (rc) return rc;
    if (nvars == 0) return wfs_fail(err, WFS_EINVAL, "name at least one item");
    for (size_t v = 0; v < nvars; v++) {
        long col = wfs_analysis_var(d, vars[v], err);
        if (col < 0) return err_code(err, WFS_ENOTFOUND);
        if (wfs_table_type(d->t, (size_t)col) != WFS_NUMERIC)
            return wfs_fail(err, WFS_ETYPE,
                            "multi needs 0/1 items (1 = ticked); \"%s\" is categorical", vars[v]);
    }
    wfs_domains D;
    if ((rc = wfs_domains_build(&D, d, opt, err))) return rc;
    /* Only the rows analysed (in a domain, in the sample) must be 0/1. */
    for (size_t v = 0; v < nvars; v++) {
        const double *y = wfs_table_numeric(d->t, (size_t)wfs_table_find(d->t, vars[v]));
        for (size_t i = 0; i < d->n; i++)
            if (D.group[i] >= 0 && d->w[i] != 0 && !isnan(y[i]) && y[i] != 0 && y[i] != 1) {
                wfs_domains_free(&D);
                return wfs_fail(err, WFS_EINVAL,
                                "multi needs 0/1 items (1 = ticked); \"%s\" has the value %g "
                                "(row %zu)",
                                vars[v], y[i], i + 1);
            }
    }
    wfs_result *r = NULL;
    if ((rc = wfs_result_new(&r, "multi", opt->dataset, err)) ||
        wfs_result_set_variance(r, d->variance_name)) {
        wfs_domains_free(&D);
        return rc ? rc : wfs_nomem(err);
    }
    wfs_result_set_ci_level(r, opt->level);
    lin L;
    lin_init(&L, d);
    size_t nmiss = 0, G = D.ngroups, nsig = 0;
    double *V = NULL;
    ranked *rk = wfs_mallocarray(nvars, sizeof *rk);
    int lonely = 0;
    if (!rk) rc = wfs_nomem(err);
    /* Columns item-major: item v, domain g at v G + g. */
    for (size_t v = 0; v < nvars && !rc; v++) {
        size_t nl;
        levset ls = {NULL, NULL, 0};
        rc = lin_stat(&L, &D, WFS_STAT_MEAN, vars[v], NULL, &ls, &nl, &nmiss, opt->control, err);
    }
    if (!rc && !(V = wfs_mallocarray(L.K * L.K, sizeof *V))) rc = wfs_nomem(err);
    if (!rc) rc = lin_cov(V, &L, &lonely, err);
    const char *item_key[1] = {"item"};
    for (size_t g = 0; g < G && !rc; g++) {
        size_t nr = 0;
        for (size_t v = 0; v < nvars; v++)
            if (!isnan(L.theta[v * G + g])) rk[nr++] = (ranked){L.theta[v * G + g], v};
        qsort(rk, nr, sizeof *rk, cmp_ranked);
        for (size_t j = 0; j < nr && !rc; j++) {
            size_t c = rk[j].v * G + g;
            wfs_estimate e;
            wfs_estimate_init(&e);
            e.statistic = "prop";
            e.variable = vars[rk[j].v];
            set_dom(&e, &D, g);
            e.n = L.n[c];
            e.n_weighted = L.nw[c];
            e.df = opt->df > 0 ? opt->df : L.df[c];
            e.estimate = L.theta[c];
            e.se = sqrt(V[c * L.K + c]);
            prop_interval(&e, opt, L.df[c]);
            if (lonely) e.flags |= WFS_FLAG_LONELY;
            if (wfs_result_add_estimate(r, &e) < 0) rc = wfs_nomem(err);
        }
        /* Each item against the next in the ranking: the covariance of two
         * items comes from the same respondents. */
        for (size_t j = 0; j + 1 < nr && !rc; j++) {
            size_t a = rk[j].v * G + g, b = rk[j + 1].v * G + g;
            wfs_estimate e;
            wfs_estimate_init(&e);
            e.statistic = "difference";
            e.variable = vars[rk[j].v];
            e.flags |= WFS_FLAG_SHARE;
            set_dom(&e, &D, g);
            e.nreference = 1;
            e.reference_keys = item_key;
            e.reference_values = &vars[rk[j + 1].v];
            e.n = L.n[a] > L.n[b] ? L.n[a] : L.n[b];
            e.df = opt->df > 0 ? opt->df : filter_df(d, &D, opt);
            e.estimate = L.theta[a] - L.theta[b];
            double var = V[a * L.K + a] + V[b * L.K + b] - 2 * V[a * L.K + b];
            e.se = sqrt(var > 0 ? var : 0);
            fill_wald(&e, opt->level);
            if (e.p_value < 1 - opt->level) nsig++;
            if (wfs_result_add_estimate(r, &e) < 0) rc = wfs_nomem(err);
        }
    }
    if (!rc) {
        int n = 0;
        n |= wfs_result_add_note(r, "items ranked by the share ticking them; each base is those "
                                    "who answered the item (non-missing)");
        n |= wfs_result_add_note(r, "difference rows: each item minus the next in the ranking "
                                    "(same respondents, full covariance); %zu of them significant "
                                    "at the %g level (p < %g), not adjusted for multiple "
                                    "comparisons",
                                 nsig, 1 - opt->level, 1 - opt->level);
        if (nmiss)
            n |= wfs_result_add_note(r, "%zu missing answer%s excluded", nmiss, nmiss == 1 ? "" : "s");
        if (lonely)
            n |= wfs_result_add_note(r, "a stratum with a single PSU contributed under lonely=%s",
                                     wfs_lonely_name(d->lonely));
        if (n) rc = wfs_nomem(err);
    }
    char what[80];
    snprintf(what, sizeof what, "%s for proportions",
             opt->ci == WFS_CI_LOGIT || opt->ci == WFS_CI_LIKELIHOOD ? "logit" : wfs_ci_name(opt->ci));
    if (!rc) rc = finish_result(r, d, opt, what, err);
    free(rk);
    free(V);
    lin_free(&L);
    wfs_domains_free(&D);
    if (rc) {
        wfs_result_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* ------------------------------------------------------------------ */
/* decompose: shift-share decomposition of a change in a share         */
/* ------------------------------------------------------------------ */

/* The outputs of the decomposition as functions of the totals P: for
 * period t (0 = from, 1 = to) and group g, N = P[(t G + g) 2], D = P[... + 1]
 * (numerator and denominator totals). Kitagawa (1955): with c_tg = D_tg /
 * D_t the composition and r_tg = N_tg / D_tg the rate,
 *   S_1 - S_0 = sum_g cbar_g (r_1g - r_0g) + sum_g rbar_g (c_1g - c_0g),
 * bars the averages of the two periods: the within-group (rate) and the
 * between-group (composition) parts, which add up to the change exactly.
 * The substitution ratio is (O_1 - O_0) / (N_0 - N_1), O = D - N: posts
 * outside the numerator added per numerator post removed.
 * Evaluated in complex arithmetic so that the gradient comes from the
 * complex step (Squire and Trapp 1998): f'(x) = Im f(x + ih) / h, exact to
 * rounding for these rational functions. */
enum { DC_SHARE0, DC_SHARE1, DC_CHANGE, DC_BETWEEN, DC_WITHIN, DC_SUBST, DC_N };

static void dc_eval(double complex *f, const double complex *P, size_t G)
{
    double complex N[2] = {0, 0}, Dn[2] = {0, 0};
    for (int t = 0; t < 2; t++)
        for (size_t g = 0; g < G; g++) {
            N[t] += P[(t * G + g) * 2];
            Dn[t] += P[(t * G + g) * 2 + 1];
        }
    double complex within = 0, between = 0;
    for (size_t g = 0; g < G; g++) {
        double complex c0 = P[g * 2 + 1] / Dn[0], c1 = P[(G + g) * 2 + 1] / Dn[1];
        double complex r0 = P[g * 2] / P[g * 2 + 1], r1 = P[(G + g) * 2] / P[(G + g) * 2 + 1];
        within += (c0 + c1) / 2 * (r1 - r0);
        between += (r0 + r1) / 2 * (c1 - c0);
    }
    f[DC_SHARE0] = N[0] / Dn[0];
    f[DC_SHARE1] = N[1] / Dn[1];
    f[DC_CHANGE] = f[DC_SHARE1] - f[DC_SHARE0];
    f[DC_BETWEEN] = between;
    f[DC_WITHIN] = within;
    f[DC_SUBST] = ((Dn[1] - N[1]) - (Dn[0] - N[0])) / (N[0] - N[1]);
}

/* Totals of num and of the sum of den[] per group of D, as lin columns
 * (group-major: g (1 + nden) + j) and then combined into P. */
static int dc_totals(lin *L, const wfs_domains *D, const char *num, const char *const *den,
                     size_t nden, const wfs_control *ctl, wfs_error *err)
{
    levset ls = {NULL, NULL, 0};
    size_t nl, nmiss = 0;
    int rc = lin_stat(L, D, WFS_STAT_TOTAL, num, NULL, &ls, &nl, &nmiss, ctl, err);
    for (size_t j = 0; j < nden && !rc; j++)
        rc = lin_stat(L, D, WFS_STAT_TOTAL, den[j], NULL, &ls, &nl, &nmiss, ctl, err);
    return rc;
}

/* The filter of the rows used: the user's, and every variable present. */
static char *dc_filter(const char *user, const char *num, const char *const *den, size_t nden,
                       const char *extra)
{
    wfs_buf b = WFS_BUF_INIT;
    wfs_buf_printf(&b, "not missing(`%s`)", num);
    for (size_t j = 0; j < nden; j++) wfs_buf_printf(&b, " and not missing(`%s`)", den[j]);
    if (user && *user) wfs_buf_printf(&b, " and (%s)", user);
    if (extra) wfs_buf_printf(&b, " and (%s)", extra);
    return wfs_buf_take(&b, NULL);
}

int wfs_decompose(wfs_result **out, const wfs_decompose_spec *sp, const wfs_est_options *opt,
                  wfs_error *err)
{
    *out = NULL;
    int rc = check_options(opt, err);
    if (rc) return rc;
    if (!sp->num || sp->nden == 0 || !sp->group)
        return wfs_fail(err, WFS_EINVAL, "decompose needs NUM / DEN by GROUP");
    if (opt->nby)
        return wfs_fail(err, WFS_EINVAL, "decompose takes its groups from by GROUP alone");
    const wfs_design *dw[2] = {sp->from, sp->over ? sp->from : sp->to};
    if (!dw[0] || !dw[1]) return wfs_fail(err, WFS_EINVAL, "decompose needs two periods");
    int one = sp->over != NULL;
    /* Numeric variables only: totals. */
    for (int w = 0; w < 2 - one; w++) {
        const char *vars[WFS_DECOMPOSE_MAX_DEN + 1];
        vars[0] = sp->num;
        for (size_t j = 0; j < sp->nden; j++) vars[j + 1] = sp->den[j];
        for (size_t j = 0; j <= sp->nden; j++) {
            long c = wfs_analysis_var(dw[w], vars[j], err);
            if (c < 0) return one ? err_code(err, WFS_ENOTFOUND) : prefix_error(err, sp->name[w]);
            if (wfs_table_type(dw[w]->t, (size_t)c) != WFS_NUMERIC)
                return wfs_fail(err, WFS_ETYPE, "decompose needs numeric totals; \"%s\" is %s",
                                vars[j], "categorical");
        }
    }
    const char *by1[1] = {sp->group}, *by2[2] = {sp->group, sp->over};
    wfs_domains D[2];
    memset(D, 0, sizeof D);
    lin L[2];
    lin_init(&L[0], dw[0]);
    lin_init(&L[1], dw[1]);
    double *V[2] = {NULL, NULL}, *P = NULL, *VP = NULL, *grad = NULL;
    char *filt[2] = {NULL, NULL}, *period = NULL;
    const char **glab = NULL;
    size_t G = 0;
    long *col[2] = {NULL, NULL}; /* per period and group: the lin column of num */
    wfs_result *r = NULL;
    size_t B = 1 + sp->nden;
    int lonely = 0;
    double df = opt->df;
    if (one) {
        long oc = wfs_table_find(dw[0]->t, sp->over);
        if (oc < 0) {
            rc = wfs_fail_unknown_variable(err, dw[0]->t, sp->over);
            goto out;
        }
        int cat = wfs_table_type(dw[0]->t, (size_t)oc) != WFS_NUMERIC;
        for (int t = 0; t < 2 && !cat; t++) {
            char *end;
            strtod(sp->name[t], &end);
            if (end == sp->name[t] || *end) {
                rc = wfs_fail(err, WFS_EINVAL,
                              "over=%s is numeric: from and to take two of its values (got %s)",
                              sp->over, sp->name[t]);
                goto out;
            }
        }
        wfs_buf b = WFS_BUF_INIT;
        wfs_buf_printf(&b, cat ? "`%s` == \"%s\" or `%s` == \"%s\"" : "`%s` == %s or `%s` == %s",
                       sp->over, sp->name[0], sp->over, sp->name[1]);
        period = wfs_buf_take(&b, NULL);
    }
    for (int w = 0; w < 2 - one && !rc; w++) {
        wfs_est_options o = *opt;
        if (!(filt[w] = dc_filter(opt->filter, sp->num, sp->den, sp->nden, period))) {
            rc = wfs_nomem(err);
            break;
        }
        o.filter = filt[w];
        o.by = one ? by2 : by1;
        o.nby = one ? 2 : 1;
        if ((rc = wfs_domains_build(&D[w], dw[w], &o, err))) {
            if (one && rc == WFS_EDOMAIN)
                rc = wfs_fail(err, WFS_EDOMAIN, "no rows have %s %s or %s with every variable "
                              "present", sp->over, sp->name[0], sp->name[1]);
            else if (!one) rc = prefix_error(err, sp->name[w]);
            break;
        }
        if ((rc = dc_totals(&L[w], &D[w], sp->num, sp->den, sp->nden, opt->control, err))) break;
        if (!(V[w] = wfs_mallocarray(L[w].K * L[w].K, sizeof *V[w]))) rc = wfs_nomem(err);
        else {
            int lw = 0;
            rc = lin_cov(V[w], &L[w], &lw, err);
            lonely |= lw;
        }
        if (!rc && !(opt->df > 0)) {
            double dfw = filter_df(dw[w], &D[w], opt);
            df = w == 0 ? dfw : df + dfw;
        }
    }
    if (rc) goto out;
    /* The groups: every group label seen in either period. */
    {
        size_t maxg = D[0].ngroups + (one ? 0 : D[1].ngroups);
        glab = wfs_callocarray(maxg + 1, sizeof *glab);
        col[0] = wfs_mallocarray(maxg + 1, sizeof *col[0]);
        col[1] = wfs_mallocarray(maxg + 1, sizeof *col[1]);
        if (!glab || !col[0] || !col[1]) {
            rc = wfs_nomem(err);
            goto out;
        }
        for (int w = 0; w < 2 - one; w++) {
            const wfs_domains *Dw = &D[w];
            for (size_t g = 0; g < Dw->ngroups; g++) {
                const char *gl = Dw->labels[g * Dw->nby];
                int t = one ? strcmp(Dw->labels[g * Dw->nby + 1], sp->name[0]) == 0 ? 0 : 1 : w;
                size_t k = 0;
                while (k < G && strcmp(glab[k], gl) != 0) k++;
                if (k == G) {
                    glab[G] = gl;
                    col[0][G] = col[1][G] = -1;
                    G++;
                }
                col[t][k] = (long)g;
            }
        }
    }
    /* Column of variable j (0 = num, 1.. = den) for group g in period t:
     * lin_stat appends each variable's domains in turn. */
#define COLJ(t, g, j) ((size_t)(j) * D[one ? 0 : (t)].ngroups + (size_t)col[t][g])
    for (size_t g = 0; g < G; g++)
        for (int t = 0; t < 2; t++) {
            const lin *Lt = &L[one ? 0 : t];
            double dsum = 0;
            if (col[t][g] >= 0)
                for (size_t j = 1; j < B; j++) dsum += Lt->theta[COLJ(t, g, j)];
            if (col[t][g] < 0 || !(dsum != 0)) {
                rc = wfs_fail(err, WFS_EDOMAIN,
                              "group %s=%s has no %s in %s: the decomposition needs every group "
                              "in both periods",
                              sp->group, glab[g], sp->nden == 1 ? sp->den[0] : "denominator",
                              sp->name[t]);
                goto out;
            }
        }
    /* P and its covariance: C' V C per period (independent periods add
     * nothing across; one design gives the cross-period covariance). */
    size_t np = 4 * G;
    P = wfs_callocarray(np, sizeof *P);
    VP = wfs_callocarray(np * np, sizeof *VP);
    grad = wfs_callocarray(DC_N * np, sizeof *grad);
    if (!P || !VP || !grad) {
        rc = wfs_nomem(err);
        goto out;
    }
    for (size_t i = 0; i < np; i++) {
        size_t ti = i / (2 * G), gi = i / 2 % G, ji = i % 2;
        const lin *Li = &L[one ? 0 : ti];
        if (ji == 0) P[i] = Li->theta[COLJ(ti, gi, 0)];
        else
            for (size_t j = 1; j < B; j++) P[i] += Li->theta[COLJ(ti, gi, j)];
        for (size_t k = 0; k < np; k++) {
            size_t tk = k / (2 * G), gk = k / 2 % G, jk = k % 2;
            if (!one && tk != ti) continue;
            const double *Vw = V[one ? 0 : ti];
            size_t K = Li->K;
            double s = 0;
            for (size_t a = ji ? 1 : 0; a < (ji ? B : 1); a++)
                for (size_t bb = jk ? 1 : 0; bb < (jk ? B : 1); bb++)
                    s += Vw[COLJ(ti, gi, a) * K + COLJ(tk, gk, bb)];
            VP[i * np + k] = s;
        }
    }
    {
        double complex *Pc = wfs_mallocarray(np, sizeof *Pc), f[DC_N];
        if (!Pc) {
            rc = wfs_nomem(err);
            goto out;
        }
        for (size_t i = 0; i < np; i++) Pc[i] = P[i];
        for (size_t i = 0; i < np; i++) {
            double h = 1e-20 * (fabs(P[i]) > 1 ? fabs(P[i]) : 1);
            Pc[i] = P[i] + h * I;
            dc_eval(f, Pc, G);
            for (int o = 0; o < DC_N; o++) grad[o * np + i] = cimag(f[o]) / h;
            Pc[i] = P[i];
        }
        dc_eval(f, Pc, G);
        free(Pc);
        char name[512];
        if (sp->nden == 1) snprintf(name, sizeof name, "%s/%s", sp->num, sp->den[0]);
        else {
            wfs_buf b = WFS_BUF_INIT;
            wfs_buf_printf(&b, "%s/(", sp->num);
            for (size_t j = 0; j < sp->nden; j++) wfs_buf_printf(&b, "%s%s", j ? "+" : "", sp->den[j]);
            wfs_buf_puts(&b, ")");
            char *s = wfs_buf_take(&b, NULL);
            snprintf(name, sizeof name, "%s", s ? s : "share");
            free(s);
        }
        if ((rc = wfs_result_new(&r, "decompose", opt->dataset, err))) goto out;
        wfs_result_set_ci_level(r, opt->level);
        if (wfs_result_set_variance(r, dw[0]->variance_name)) {
            rc = wfs_nomem(err);
            goto out;
        }
        static const char *stats[DC_N] = {"share", "share", "change", "between", "within",
                                          "substitution"};
        const char *pkey[1] = {one ? sp->over : "dataset"};
        int subst_ok = 1;
        for (int o = 0; o < DC_N && !rc; o++) {
            wfs_estimate e;
            wfs_estimate_init(&e);
            e.statistic = stats[o];
            e.variable = name;
            if (strcmp(stats[o], "substitution") != 0) e.flags |= WFS_FLAG_SHARE;
            if (o <= DC_SHARE1) {
                e.ndomain = 1;
                e.domain_keys = pkey;
                e.domain_values = (const char *const *)&sp->name[o];
            }
            e.df = df;
            e.estimate = creal(f[o]);
            double var = 0;
            for (size_t i = 0; i < np; i++)
                for (size_t k = 0; k < np; k++)
                    var += grad[o * np + i] * VP[i * np + k] * grad[o * np + k];
            e.se = sqrt(var > 0 ? var : 0);
            if (o == DC_SUBST) {
                /* Only meaningful when the numerator fell. */
                double n0 = 0, n1 = 0;
                for (size_t g = 0; g < G; g++) {
                    n0 += P[g * 2];
                    n1 += P[(G + g) * 2];
                }
                if (!(n1 < n0) || !isfinite(e.estimate)) subst_ok = 0;
                if (!subst_ok) continue;
            }
            fill_wald(&e, opt->level);
            if (o == DC_SHARE0 || o == DC_SHARE1) e.p_value = NAN;
            if (lonely) e.flags |= WFS_FLAG_LONELY;
            if (wfs_result_add_estimate(r, &e) < 0) rc = wfs_nomem(err);
        }
        if (!rc) {
            int n = 0;
            n |= wfs_result_add_note(r, "Kitagawa decomposition over %zu groups of %s: change = "
                                        "between (composition: groups' shares of the "
                                        "denominator, at the average rate) + within (rates, at "
                                        "the average composition); standard errors by the "
                                        "delta method",
                                     G, sp->group);
            n |= wfs_result_add_note(r, "%s", one ? "both periods from one design: their "
                                                    "covariance is included"
                                                  : "independent samples: the periods' variances "
                                                    "add");
            if (subst_ok)
                n |= wfs_result_add_note(r, "substitution: growth in the denominator's other "
                                            "posts per %s post removed",
                                         sp->num);
            else
                n |= wfs_result_add_note(r, "no substitution ratio: %s did not fall", sp->num);
            if (n) rc = wfs_nomem(err);
        }
    }
    if (!rc) rc = finish_result(r, dw[1], opt, "", err);
#undef COLJ
out:
    for (int w = 0; w < 2; w++) {
        wfs_domains_free(&D[w]);
        lin_free(&L[w]);
        free(V[w]);
        free(filt[w]);
        free(col[w]);
    }
    free(period);
    free(glab);
    free(P);
    free(VP);
    free(grad);
    if (rc) {
        wfs_result_free(r);
        return rc;
    }
    *out = r;
    return 0;
}
