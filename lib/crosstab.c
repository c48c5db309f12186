/* crosstab.c - cross-tabulations: weighted counts and percentages of every
 * cell and margin with Taylor standard errors, intervals and design
 * effects, the tests of independence of R's svychisq (Rao-Scott second-
 * and first-order, Wald and adjusted Wald), NCHS reliability flags and
 * small-cell suppression (publish.c).
 *
 * One pass per layer accumulates, per sampling unit, the weighted total of
 * every cell (the engine's categorical basis over the combined cell code)
 * and a second light pass counts respondents per cell. The covariance of
 * the cell totals within the layer (wfs_recvar on the unit totals) is the
 * only variance computed: every count, percentage, margin and test
 * statistic is a smooth function of the cell totals, so its variance is a
 * linear transform of that one matrix. This is exact for R's domain
 * estimates (svyby on a subset): units without rows of a domain have zero
 * influence, and strata without them add nothing, except under
 * lonely=average, whose scale factor counts the strata of each domain; that
 * policy recomputes the covariance per domain.
 *
 * Missing values: a row missing the row or the column variable is left out
 * of the table (as R's svychisq after na.omit, and svyby on the complete
 * cases); the count is noted. Zero weights: rows not in the sample; their
 * PSUs count for R's svychisq degrees of freedom (as R counts them) but not
 * for the design df of intervals, and they are not respondents.
 *
 * Replicate designs: the same pass gives, per replicate, the total of every
 * cell and of the layer (wfs_rep_totals: PSU totals combined with the
 * factors of a converted design, or blocks of replicate-weight columns
 * read in place). Counts, margins and the Wald tests are linear in the
 * cell totals, so their variances come from the svrVar covariance of the
 * replicate cell totals, as svytotal's; every percentage is recomputed per
 * replicate (svymean on a svyrep.design) and the Rao-Scott tests use the
 * svrVar covariance of the replicate cell proportions, as
 * svychisq.svyrep.design. Intervals and tests use the design's df
 * (degf) in every domain and layer.
 */
#include "config.h"

#include <gsl/gsl_cdf.h>
#include <stdio.h>

#include "crosstab-private.h"
#include "glmci-private.h"

#define MAX_LEVELS  500
#define MAX_CELLS   2500
#define MAX_TEST_DF 400 /* (r - 1)(c - 1) for the tests' matrices */

static const char *const pct_names[] = {"col", "row", "cell"};

const char *wfs_pct_name(wfs_pct p)
{
    return (unsigned)p < 3 ? pct_names[p] : "col";
}

int wfs_pct_parse(const char *name)
{
    if (!name) return -1;
    if (strcmp(name, "column") == 0) return WFS_PCT_COL;
    for (int k = 0; k < 3; k++)
        if (strcmp(name, pct_names[k]) == 0) return k;
    return -1;
}

/* ------------------------------------------------------------------ */
/* State                                                               */
/* ------------------------------------------------------------------ */

typedef struct tab {
    const wfs_design *d;
    const wfs_est_options *opt;
    const wfs_tab_options *topt;
    wfs_tab_shape sh;
    size_t R, C1, K; /* row levels, columns of the cell grid (>= 1), cells */
    const char *rowvar, *colvar;
    char **rlev, **clev; /* levels present in the table */
    size_t nl;           /* layer variables */
    const char *const *lvars;
    int32_t *codes; /* per row: r + R c, -1 when missing */
    wfs_domains D;
    wfs_accum A;
    wfs_result *res;
    int average; /* lonely=average: per-domain covariances */
    /* replicate designs: per replicate (R rows), the cell totals and the
     * layer total of the current layer (TR, R x (K + 1)), estimates (TH,
     * R x K) and a domain's totals (den, R) */
    int rep;
    double *TR, *TH, *den;
    size_t rep_dropped;
    /* ci=logit or likelihood: svyciprop's IRLS (glmci.c). Per domain kind
     * (DOM_LAYER, DOM_COL, DOM_ROW) and cell, the sums that start the fit
     * over the cell's rows, gathered for the current layer g_cur on first
     * need; fscale holds each domain's nrows / W (layer, columns, rows). */
    int glm, glm_ready;
    unsigned glm_exact; /* kinds whose starting deviances are exact */
    size_t g_cur;
    wfs_irls_acc *irls; /* 3 x K */
    double *fscale;     /* 1 + C1 + R */
    size_t *gcells;     /* K, glm_gather's scratch */
    double *gpart;      /* 3 x K x 5 partial sums */
    /* per layer */
    double *nobs, *nrows; /* respondents and rows per cell */
    uint8_t *ppres;       /* calibrated designs: unit x cell, a respondent present */
    uint8_t *zpres;       /* lonely=average: slot x cell, a zero-weight row present */
    uint32_t *zunit;      /* zero-weight rows of the layer: unit and cell */
    int32_t *zcell;
    size_t nz, capzr;
    int32_t *slot_of; /* unit -> slot, -1 */
    double *Vs;       /* (K + 1)^2 covariance of the cell totals and total */
    int lonely;       /* the layer's covariance used a lonely-PSU rule */
    double nu;        /* svychisq's PSUs minus strata of the layer */
    /* scratch */
    uint32_t *ulist;
    double *Zc, *Vd, *M, *W1;
    size_t *cells;
    unsigned *sflags; /* suppression flags of the layer's grid */
    uint32_t *stamp_psu, *stamp_str, stamp;
    wfs_estimate *E;
    /* labels */
    char **cell_labels; /* "r|c" */
    const char **keys;  /* [COL or ROW, layers...] */
    const char **vals;  /* scratch for domain values */
    /* notes */
    int any_lonely, any_edge, any_empty, any_unscaled, any_zero_level, any_singular;
    int any_no_test, any_nu;
    size_t nmiss;
} tab;

static size_t psu_of_unit(const wfs_design *d, size_t u)
{
    for (size_t s = d->acc_level; s > 1; s--) u = d->lev[s].parent[u];
    return u;
}

/* A respondent (nonzero weight) of cell k in slot s? Unit totals of
 * positive weights are positive exactly when one is present; calibrated
 * designs hold residuals there, so they keep a presence table. */
static int has_resp(const tab *t, size_t s, size_t k)
{
    if (t->ppres) return t->ppres[(size_t)t->A.units[s] * t->K + k];
    return t->A.S[s * (t->K + 1) + k] > 0;
}

/* Any row of cell k (zero weights too) in slot s? */
static int has_row(const tab *t, size_t s, size_t k)
{
    return has_resp(t, s, k) || (t->zpres && t->zpres[s * t->K + k]);
}

/* Cells of a domain: the whole layer, column c or row r. */
enum { DOM_LAYER, DOM_COL, DOM_ROW };

static size_t dom_cells(const tab *t, size_t *cells, int kind, size_t idx)
{
    size_t k = 0;
    if (kind == DOM_LAYER)
        for (size_t j = 0; j < t->K; j++) cells[k++] = j;
    else if (kind == DOM_COL)
        for (size_t r = 0; r < t->R; r++) cells[k++] = r + t->R * idx;
    else
        for (size_t c = 0; c < t->C1; c++) cells[k++] = idx + t->R * c;
    return k;
}

/* Design df of a domain: PSUs holding its respondents minus their strata
 * (R's degf of the subset). */
static double dom_df(tab *t, const size_t *cells, size_t kd)
{
    const wfs_design *d = t->d;
    size_t npsu = 0, nstr = 0;
    t->stamp++;
    for (size_t s = 0; s < t->A.m; s++) {
        int in = 0;
        for (size_t a = 0; a < kd && !in; a++) in = has_resp(t, s, cells[a]);
        if (!in) continue;
        size_t p = psu_of_unit(d, t->A.units[s]);
        if (t->stamp_psu[p] == t->stamp) continue;
        t->stamp_psu[p] = t->stamp;
        npsu++;
        size_t h = d->lev[1].parent[p];
        if (t->stamp_str[h] != t->stamp) {
            t->stamp_str[h] = t->stamp;
            nstr++;
        }
    }
    return (double)npsu - (double)nstr;
}

/* svychisq's nu: distinct PSUs minus distinct strata over every row of the
 * layer's table, zero weights included. */
static double layer_nu(tab *t)
{
    const wfs_design *d = t->d;
    size_t npsu = 0, nstr = 0;
    t->stamp++;
    for (size_t s = 0; s < t->A.m; s++) {
        size_t p = psu_of_unit(d, t->A.units[s]);
        if (t->stamp_psu[p] == t->stamp) continue;
        t->stamp_psu[p] = t->stamp;
        npsu++;
        size_t h = d->lev[1].parent[p];
        if (t->stamp_str[h] != t->stamp) {
            t->stamp_str[h] = t->stamp;
            nstr++;
        }
    }
    return (double)npsu - (double)nstr;
}

/* Covariance (kd x kd into out) of the totals of cells[0..kd) as
 * estimated on the domain those cells make up. */
static int cell_cov(tab *t, const size_t *cells, size_t kd, int whole_layer, double *out,
                    int *lonely, wfs_error *err)
{
    size_t B = t->K + 1;
    if (!t->average || whole_layer) {
        for (size_t a = 0; a < kd; a++)
            for (size_t b = 0; b < kd; b++) out[a * kd + b] = t->Vs[cells[a] * B + cells[b]];
        *lonely = t->lonely;
        return 0;
    }
    /* lonely=average scales by the strata of the domain itself: estimate on
     * the units holding its rows, as R's svyby on a subset. */
    size_t md = 0;
    for (size_t s = 0; s < t->A.m; s++) {
        int in = t->d->cal != NULL;
        for (size_t a = 0; a < kd && !in; a++) in = has_row(t, s, cells[a]);
        if (!in) continue;
        t->ulist[md] = t->A.units[s];
        for (size_t a = 0; a < kd; a++) t->Zc[md * kd + a] = t->A.S[s * B + cells[a]];
        md++;
    }
    return wfs_recvar(out, t->d, t->ulist, t->Zc, md, kd, lonely, err);
}

/* ------------------------------------------------------------------ */
/* Estimates                                                           */
/* ------------------------------------------------------------------ */

static double df_for(const tab *t, double domain_df)
{
    return t->opt->df > 0 ? t->opt->df : domain_df;
}

/* The df of the layer's estimates: PSUs minus strata, or a replicate
 * design's degf. */
static double layer_df(const tab *t)
{
    return t->rep ? t->d->rep->df : t->A.df;
}

/* Replicate designs: each replicate's total of a domain made of cells
 * dc[0..nd) (NULL: the whole layer) into t->den. */
static void rep_domain_totals(tab *t, const size_t *dc, size_t nd)
{
    size_t R = t->d->rep->R, B = t->K + 1;
    for (size_t r = 0; r < R; r++) {
        const double *T = t->TR + r * B;
        double x = 0;
        if (!dc)
            x = T[t->K];
        else
            for (size_t j = 0; j < nd; j++) x += T[dc[j]];
        t->den[r] = x;
    }
}

/* svrVar of the share of the cells tc[0..nt) in the domain whose replicate
 * totals are in t->den (full-sample value p): the proportion itself, or its
 * logit (svyciprop's logit on a svyrep.design). A replicate in which the
 * share is undefined is left out (svrVar's na.omit). */
static int rep_share_var(tab *t, const size_t *tc, size_t nt, double p, int logit, double *v,
                         wfs_error *err)
{
    size_t R = t->d->rep->R, B = t->K + 1, dropped = 0;
    for (size_t r = 0; r < R; r++) {
        const double *T = t->TR + r * B;
        double x = 0;
        for (size_t j = 0; j < nt; j++) x += T[tc[j]];
        double q = x / t->den[r];
        t->TH[r] = logit ? log(q / (1 - q)) : q;
    }
    double th0 = logit ? log(p / (1 - p)) : p;
    int rc = wfs_rep_var(v, t->d, t->TH, &th0, 1, &dropped, err);
    if (!logit) t->rep_dropped += dropped;
    return rc;
}

/* A replicate design's percentage p of replicate variance v, with
 * ci=logit: the interval on the replicate SE of the logit (replacing the
 * one prop_estimate put in e). */
static int rep_logit_interval(tab *t, wfs_estimate *e, const size_t *tc, size_t nt, double p,
                              double v, wfs_error *err)
{
    if (t->opt->ci != WFS_CI_LOGIT || !(p > 0 && p < 1) || !(v > 0)) return 0;
    double vl = NAN;
    int rc = rep_share_var(t, tc, nt, p, 1, &vl, err);
    if (rc) return rc;
    if (!(vl >= 0)) return 0;
    wfs_logit_ci(&e->ci_lower, &e->ci_upper, p, sqrt(vl), e->df, t->opt->level);
    return 0;
}

/* R's deff for a share p of a domain with nobs respondents and weighted
 * base W: design variance over SRS variance (estimate.c's rule). */
static double deff_of(tab *t, double V, double p, double nobs, double W, int count)
{
    if (t->opt->deff == WFS_DEFF_NONE || !(nobs > 1) || !(W > 0)) return NAN;
    double s2 = nobs / (nobs - 1) * p * (1 - p), scale = count ? W * W : 1, vsrs;
    if (t->opt->deff == WFS_DEFF_REPLACE) {
        vsrs = s2 * scale / nobs;
    } else {
        if (W < nobs) {
            t->any_unscaled = 1;
            return NAN;
        }
        vsrs = s2 * scale * (W - nobs) / (W * nobs);
    }
    return vsrs > 0 ? V / vsrs : NAN;
}

static void count_estimate(tab *t, wfs_estimate *e, double x, double v, double n, double df_d,
                           double share, double nobs_d, double W_d, int lonely)
{
    e->estimate = x;
    e->se = sqrt(v > 0 ? v : 0);
    e->df = df_for(t, df_d);
    double q = wfs_tcrit(t->opt->level, e->df);
    e->ci_lower = x - q * e->se;
    e->ci_upper = x + q * e->se;
    e->n = n;
    e->n_weighted = x;
    e->deff = deff_of(t, v, share, nobs_d, W_d, 1);
    if (!isnan(e->deff) && e->deff > 0) e->n_eff = nobs_d / e->deff;
    if (!(nobs_d > 0)) return; /* nobody sampled: an exact zero */
    if (lonely) e->flags |= WFS_FLAG_LONELY;
    if (e->se == 0) e->flags |= WFS_FLAG_ZERO_VAR;
    if (!(df_d >= 8)) e->flags |= WFS_FLAG_SMALL_DF;
}

static void prop_estimate(tab *t, wfs_estimate *e, double p, double v, double nobs_d,
                          double nrows_d, double df_d, double W_d, int lonely)
{
    e->n = nobs_d;
    e->n_weighted = W_d;
    e->df = df_for(t, df_d);
    if (!(W_d > 0) || !(nobs_d > 0)) {
        t->any_empty = 1;
        return;
    }
    e->estimate = p;
    e->se = sqrt(v > 0 ? v : 0);
    if (wfs_prop_ci(&e->ci_lower, &e->ci_upper, t->opt->ci, p, e->se, e->df, t->opt->level, nrows_d,
                    nobs_d, df_d))
        t->any_edge = 1;
    if (v > 0) e->n_eff = p * (1 - p) / v;
    e->deff = deff_of(t, v, p, nobs_d, W_d, 0);
    e->flags |= wfs_nchs_prop_flags(p, e->se, nobs_d, nrows_d, df_d);
    if (lonely) e->flags |= WFS_FLAG_LONELY;
    if (e->se == 0) e->flags |= WFS_FLAG_ZERO_VAR;
}

/* The weighted total, respondents and rows (R's nrow() of the subset, as
 * svyglm and the beta interval see it) of a domain made of cells[0..kd). */
static void dom_extent(const tab *t, int kind, const size_t *cells, size_t kd, double *W,
                       double *nobs, double *nrows)
{
    *W = *nobs = *nrows = 0;
    for (size_t a = 0; a < kd; a++) {
        *W += t->A.T[cells[a]];
        *nobs += t->nobs[cells[a]];
        *nrows += t->nrows[cells[a]];
    }
    if (kind == DOM_LAYER) {
        *W = t->A.T[t->K];
        *nrows = (double)t->A.nrows;
    } else if (t->d->cal) {
        *nrows = (double)t->d->n; /* R's nrow() of a calibrated subset */
    }
}

static inline void partial(double *p, const wfs_irls_row *x)
{
    p[0] += x->a;
    p[1] += x->c;
    p[2] += x->v;
    p[3] += x->dev_lo;
    p[4] += x->dev_hi;
}

static void fold(wfs_irls_acc *acc, const double *p)
{
    wfs_ksum_add(&acc->a, p[0]);
    wfs_ksum_add(&acc->c, p[1]);
    wfs_ksum_add(&acc->v, p[2]);
    wfs_ksum_add(&acc->dev_lo, p[3]);
    wfs_ksum_add(&acc->dev_hi, p[4]);
}

/* Gather in one pass over the layer's rows the sums that start svyciprop's
 * IRLS for every domain whose percentages the table shows: the layer
 * (percentages of cells with pct=cell, and of the margins), each column
 * (pct=col) and each row (pct=row). svyglm rescales the weights to mean 1
 * over the domain's rows, so a row enters each of its domains with weight
 * w nrows / W of that domain. The starting deviances are only bounded;
 * with exact_kind >= 0 the pass instead makes those of the domains of that
 * kind exact, for the rare fit whose bounds do not decide (glmci.c). */
static void glm_gather(tab *t, int exact_kind)
{
    const wfs_design *d = t->d;
    size_t K = t->K, R = t->R, C1 = t->C1;
    int bycol = t->sh.C && t->sh.pct == WFS_PCT_COL, byrow = t->sh.C && t->sh.pct == WFS_PCT_ROW;
    double *fl = t->fscale, *fc = fl + 1, *fr = fc + C1, W, nobs, nrows;
    size_t *gc = t->gcells;
    if (exact_kind < 0) {
        memset(t->irls, 0, 3 * K * sizeof *t->irls);
        dom_extent(t, DOM_LAYER, gc, dom_cells(t, gc, DOM_LAYER, 0), &W, &nobs, &nrows);
        fl[0] = W > 0 ? nrows / W : 0;
        for (size_t c = 0; bycol && c < C1; c++) {
            dom_extent(t, DOM_COL, gc, dom_cells(t, gc, DOM_COL, c), &W, &nobs, &nrows);
            fc[c] = W > 0 ? nrows / W : 0;
        }
        for (size_t r = 0; byrow && r < R; r++) {
            dom_extent(t, DOM_ROW, gc, dom_cells(t, gc, DOM_ROW, r), &W, &nobs, &nrows);
            fr[r] = W > 0 ? nrows / W : 0;
        }
    } else {
        wfs_irls_acc *acc = t->irls + (size_t)exact_kind * K;
        for (size_t k = 0; k < K; k++) acc[k].dev_lo = acc[k].dev_hi = (wfs_ksum){0, 0};
    }
    /* Plain partial sums per cell over blocks of rows, folded into the
     * compensated sums at the end of each block (pairwise accumulation at a
     * fraction of the cost). */
    double *pl = t->gpart, *pc = pl + 5 * K, *pr = pc + 5 * K;
    size_t np = (bycol || byrow ? 2 : 1) * 5 * K, inblock = 0;
    if (exact_kind < 0) memset(pl, 0, 15 * K * sizeof *pl);
    wfs_rowiter it;
    wfs_it_begin(&it, &t->D, t->g_cur, d->n);
    size_t i;
    for (;;) {
        i = wfs_it_next(&it);
        if (exact_kind < 0 && (i == SIZE_MAX || inblock == 1024)) {
            for (size_t k = 0; k < K; k++) {
                fold(&t->irls[k], pl + 5 * k);
                if (bycol) fold(&t->irls[K + k], pc + 5 * k);
                if (byrow) fold(&t->irls[2 * K + k], pr + 5 * k);
            }
            memset(pl, 0, np * sizeof *pl);
            if (byrow) memset(pr, 0, 5 * K * sizeof *pr);
            inblock = 0;
        }
        if (i == SIZE_MAX) break;
        int32_t k = t->codes[i];
        double w = d->w[i];
        if (k < 0 || w == 0) continue;
        if (exact_kind >= 0) {
            double f = exact_kind == DOM_LAYER ? fl[0]
                       : exact_kind == DOM_COL ? fc[(size_t)k / R]
                                               : fr[(size_t)k % R];
            wfs_irls_row x = wfs_irls_terms(w * f);
            wfs_irls_acc *a = t->irls + (size_t)exact_kind * K + k;
            wfs_ksum_add(&a->dev_lo, x.dev_lo);
            wfs_ksum_add(&a->dev_hi, x.dev_hi);
            continue;
        }
        inblock++;
        wfs_irls_row x = wfs_irls_terms_bounded(w * fl[0]);
        partial(pl + 5 * (size_t)k, &x);
        if (bycol) {
            x = wfs_irls_terms_bounded(w * fc[(size_t)k / R]);
            partial(pc + 5 * (size_t)k, &x);
        } else if (byrow) {
            x = wfs_irls_terms_bounded(w * fr[(size_t)k % R]);
            partial(pr + 5 * (size_t)k, &x);
        }
    }
}

/* The starting sums of the share of cells tc[0..nt) in a domain of kind
 * `kind` made of the cells dc[0..nd) (NULL: every cell of the layer). */
static wfs_irls_start glm_start(const tab *t, int kind, const size_t *tc, size_t nt,
                                const size_t *dc, size_t nd)
{
    const wfs_irls_acc *acc = t->irls + (size_t)kind * t->K;
    wfs_irls_start st = {0, 0, 0, 0, 0, 0, 0};
    for (size_t j = 0; j < nt; j++) {
        st.a1 += wfs_ksum_value(&acc[tc[j]].a);
        st.c1 += wfs_ksum_value(&acc[tc[j]].c);
    }
    size_t n = dc ? nd : t->K;
    for (size_t j = 0; j < n; j++) {
        const wfs_irls_acc *x = &acc[dc ? dc[j] : j];
        st.a += wfs_ksum_value(&x->a);
        st.c += wfs_ksum_value(&x->c);
        st.v += wfs_ksum_value(&x->v);
        st.dev0_lo += wfs_ksum_value(&x->dev_lo);
        st.dev0_hi += wfs_ksum_value(&x->dev_hi);
    }
    return st;
}

/* svyciprop's logit or likelihood interval for the share of the cells
 * tc[0..nt) in a domain of kind `kind` made of the cells dc[0..nd) (NULL:
 * every cell of the layer), replacing the closed form that prop_estimate
 * put in e. Vtt, VtW and VWW are the covariances of the target's and the
 * domain's totals; nrows the domain's rows. svy.varcoef: the fitted logit
 * has influence (z_t - mu z_W) / (W mu (1 - mu)). */
static void glm_interval(tab *t, wfs_estimate *e, int kind, const size_t *tc, size_t nt,
                         const size_t *dc, size_t nd, double Vtt, double VtW, double VWW,
                         double nrows)
{
    double p = e->estimate, W = e->n_weighted;
    if (!t->glm || !(p > 0 && p < 1) || !(e->se > 0)) return;
    if (!t->glm_ready) {
        glm_gather(t, -1);
        t->glm_ready = 1;
        t->glm_exact = 0;
    }
    wfs_irls_start st = glm_start(t, kind, tc, nt, dc, nd);
    wfs_glmfit f = wfs_irls_intercept(&st, p, nrows);
    if (f.need_dev0) {
        if (!(t->glm_exact & (1u << kind))) {
            glm_gather(t, kind);
            t->glm_exact |= 1u << kind;
        }
        st = glm_start(t, kind, tc, nt, dc, nd);
        f = wfs_irls_intercept(&st, p, nrows);
    }
    double q = f.mu * (1 - f.mu), Wq = W * q;
    double vb = (Vtt - 2 * f.mu * VtW + f.mu * f.mu * VWW) / (Wq * Wq);
    if (!(vb > 0)) return;
    wfs_glm_prop_ci(&e->ci_lower, &e->ci_upper, t->opt->ci, &f, vb, p, e->n, nrows, e->df,
                    t->opt->level);
}

/* Counts and shares of the cells of one domain (a column, a row or the
 * whole layer): cnt_pos/prop_pos give each cell's place in E (SIZE_MAX to
 * skip). */
static int domain_cells(tab *t, int kind, size_t idx, const size_t *cnt_pos, const size_t *prop_pos,
                        wfs_error *err)
{
    size_t kd = dom_cells(t, t->cells, kind, idx);
    const size_t *cells = t->cells;
    int lonely = 0, rc;
    if ((rc = cell_cov(t, cells, kd, kind == DOM_LAYER, t->Vd, &lonely, err))) return rc;
    if (lonely) t->any_lonely = 1;
    double W, nobs, nrows;
    dom_extent(t, kind, cells, kd, &W, &nobs, &nrows);
    double df = t->rep || kind == DOM_LAYER ? layer_df(t) : dom_df(t, cells, kd);
    const double *V = t->Vd;
    if (t->rep) rep_domain_totals(t, kind == DOM_LAYER ? NULL : cells, kd);
    double tot = 0;
    for (size_t a = 0; a < kd; a++) {
        double rs = 0;
        for (size_t b = 0; b < kd; b++) rs += V[a * kd + b];
        t->W1[a] = rs;
        tot += rs;
    }
    for (size_t a = 0; a < kd; a++) {
        double x = t->A.T[cells[a]], p = W > 0 ? x / W : NAN;
        if (cnt_pos[a] != SIZE_MAX)
            count_estimate(t, &t->E[cnt_pos[a]], x, V[a * kd + a], t->nobs[cells[a]], df, p, nobs,
                           W, lonely);
        if (prop_pos[a] != SIZE_MAX) {
            /* p = N_a / W: influence (z_a - p z_W) / W (svymean in the domain). */
            double v = (V[a * kd + a] - 2 * p * t->W1[a] + p * p * tot) / (W * W);
            if (t->rep && W > 0 && nobs > 0 && (rc = rep_share_var(t, &cells[a], 1, p, 0, &v, err)))
                return rc;
            prop_estimate(t, &t->E[prop_pos[a]], p, v, nobs, nrows, df, W, lonely);
            if (t->rep) {
                if (W > 0 && nobs > 0 &&
                    (rc = rep_logit_interval(t, &t->E[prop_pos[a]], &cells[a], 1, p, v, err)))
                    return rc;
                continue;
            }
            glm_interval(t, &t->E[prop_pos[a]], kind, &cells[a], 1, cells, kd, V[a * kd + a],
                         t->W1[a], tot, nrows);
        }
    }
    return 0;
}

/* The margins: row totals, column totals, the total, and the shares of
 * the row and column levels in the layer (svytotal / svymean of each
 * variable on the layer's table rows). Margin a is the set of cells of row
 * level a (a < R) or of column level a - R; its covariances with the other
 * margins and with the total are sums of blocks of Vs. */
static int in_margin(const tab *t, size_t a, size_t k)
{
    return a < t->R ? k % t->R == a : k / t->R == a - t->R;
}

static int margins(tab *t, wfs_error *err)
{
    size_t R = t->R, K = t->K, B = K + 1;
    const double *Vs = t->Vs;
    const wfs_tab_shape *sh = &t->sh;
    size_t nq = R + sh->C;
    double *Vq = t->Vd, *g = t->W1, *Pa = t->Zc; /* nq x nq; nq; K */
    double VN = 0;
    for (size_t a = 0; a < nq; a++) {
        for (size_t k2 = 0; k2 < K; k2++) Pa[k2] = 0;
        for (size_t k1 = 0; k1 < K; k1++)
            if (in_margin(t, a, k1))
                for (size_t k2 = 0; k2 < K; k2++) Pa[k2] += Vs[k1 * B + k2];
        double ga = 0;
        for (size_t k2 = 0; k2 < K; k2++) ga += Pa[k2];
        g[a] = ga; /* Cov(margin a, N) */
        if (a < R) VN += ga;
        for (size_t b = 0; b < nq; b++) {
            double v = 0;
            for (size_t k2 = 0; k2 < K; k2++)
                if (in_margin(t, b, k2)) v += Pa[k2];
            Vq[a * nq + b] = v;
        }
    }
    double N = t->A.T[K], nobs = 0;
    for (size_t k = 0; k < K; k++) nobs += t->nobs[k];
    double df = layer_df(t), nrows = (double)t->A.nrows;
    int rc;
    if (t->rep) rep_domain_totals(t, NULL, 0);
    for (size_t a = 0; a < nq; a++) {
        double x = 0, n = 0;
        for (size_t k = 0; k < K; k++)
            if (in_margin(t, a, k)) {
                x += t->A.T[k];
                n += t->nobs[k];
            }
        size_t r = a < R ? a : R, c = a < R ? sh->C : a - R;
        double p = N > 0 ? x / N : NAN;
        count_estimate(t, &t->E[wfs_tab_count_at(sh, r, c)], x, Vq[a * nq + a], n, df, p, nobs, N,
                       t->lonely);
        size_t pp = wfs_tab_prop_at(sh, r, c);
        if (pp != SIZE_MAX) {
            double v = (Vq[a * nq + a] - 2 * p * g[a] + p * p * VN) / (N * N);
            size_t nt = 0;
            for (size_t k = 0; k < K; k++)
                if (in_margin(t, a, k)) t->cells[nt++] = k;
            int some = N > 0 && nobs > 0;
            if (t->rep && some && (rc = rep_share_var(t, t->cells, nt, p, 0, &v, err))) return rc;
            prop_estimate(t, &t->E[pp], p, v, nobs, nrows, df, N, t->lonely);
            if (t->rep) {
                if (some && (rc = rep_logit_interval(t, &t->E[pp], t->cells, nt, p, v, err)))
                    return rc;
                continue;
            }
            glm_interval(t, &t->E[pp], DOM_LAYER, t->cells, nt, NULL, 0, Vq[a * nq + a], g[a], VN,
                         nrows);
        }
    }
    wfs_estimate *e = &t->E[wfs_tab_count_at(sh, R, sh->C)];
    count_estimate(t, e, N, VN, nobs, df, 1, nobs, N, t->lonely);
    e->deff = e->n_eff = NAN; /* the total of a constant has no SRS variance */
    return 0;
}

/* ------------------------------------------------------------------ */
/* Tests of independence (R's svychisq)                                */
/* ------------------------------------------------------------------ */

/* In-place Cholesky of the q x q symmetric matrix a (lower triangle);
 * returns 0, or 1 when it is not numerically positive definite (R's solve
 * would find it singular). */
static int cholesky(double *a, size_t q)
{
    double maxd = 0;
    for (size_t i = 0; i < q; i++)
        if (fabs(a[i * q + i]) > maxd) maxd = fabs(a[i * q + i]);
    if (!(maxd > 0)) return 1;
    for (size_t j = 0; j < q; j++) {
        double s = a[j * q + j];
        for (size_t k = 0; k < j; k++) s -= a[j * q + k] * a[j * q + k];
        if (!(s > maxd * 1e-12)) return 1;
        double l = sqrt(s);
        a[j * q + j] = l;
        for (size_t i = j + 1; i < q; i++) {
            double v = a[i * q + j];
            for (size_t k = 0; k < j; k++) v -= a[i * q + k] * a[j * q + k];
            a[i * q + j] = v / l;
        }
    }
    return 0;
}

/* Solve L L' x = b in place. */
static void chol_solve(const double *l, size_t q, double *b)
{
    for (size_t i = 0; i < q; i++) {
        double v = b[i];
        for (size_t k = 0; k < i; k++) v -= l[i * q + k] * b[k];
        b[i] = v / l[i * q + i];
    }
    for (size_t i = q; i-- > 0;) {
        double v = b[i];
        for (size_t k = i + 1; k < q; k++) v -= l[k * q + i] * b[k];
        b[i] = v / l[i * q + i];
    }
}

static void null_test(wfs_test *tt, const char *name)
{
    tt->name = name;
    tt->statistic = tt->p_value = NAN;
    tt->ndf = tt->ddf = tt->df = NAN;
}

static int tests(tab *t, const char *where, wfs_error *err)
{
    unsigned want = t->topt->tests;
    wfs_test tf, tc, tw, ta;
    null_test(&tf, "rao-scott-f");
    null_test(&tc, "rao-scott-chisq");
    null_test(&tw, "wald");
    null_test(&ta, "adjusted-wald");
    size_t R = t->R, C = t->C1, B = t->K + 1;
    /* Levels with a positive weighted total in this layer. */
    size_t rr[MAX_LEVELS], cc[MAX_LEVELS], nr = 0, nc = 0;
    double *rowt = t->W1, *colt = t->W1 + R;
    for (size_t r = 0; r < R; r++) rowt[r] = 0;
    for (size_t c = 0; c < C; c++) colt[c] = 0;
    for (size_t k = 0; k < t->K; k++) {
        rowt[k % R] += t->A.T[k];
        colt[k / R] += t->A.T[k];
    }
    for (size_t r = 0; r < R; r++)
        if (rowt[r] > 0)
            rr[nr++] = r;
        else
            t->any_zero_level = 1;
    for (size_t c = 0; c < C; c++)
        if (colt[c] > 0)
            cc[nc++] = c;
        else
            t->any_zero_level = 1;
    size_t q = nr > 1 && nc > 1 ? (nr - 1) * (nc - 1) : 0, k2 = nr * nc;
    size_t qfull = (R - 1) * (C - 1);
    double N = t->A.T[t->K], n = (double)t->A.nrows, nu = t->nu;
    int rc = 0;
    if (q == 0 && !(N > 0)) {
        t->any_no_test = 1;
        rc = wfs_result_add_note(t->res,
                                 "no test of independence%s: no respondents have both "
                                 "%s and %s",
                                 where, t->rowvar, t->colvar);
        goto emit;
    }
    if (q == 0) {
        t->any_no_test = 1;
        rc = wfs_result_add_note(t->res,
                                 "no test of independence%s: %s needs at least two "
                                 "levels with data on each side",
                                 where, nr < 2 ? t->rowvar : t->colvar);
        goto emit;
    }
    if (qfull > MAX_TEST_DF) {
        t->any_no_test = 1;
        rc = wfs_result_add_note(t->res,
                                 "no test of independence%s: the table has %zu degrees "
                                 "of freedom (at most %d)",
                                 where, qfull, MAX_TEST_DF);
        goto emit;
    }
    if (!(nu > 0)) {
        t->any_nu = 1;
        goto emit;
    }
    /* Cell proportions p (row level fastest, as R's interaction()) and
     * their covariance (svymean of the cell indicators). */
    double *p = t->M;          /* k2 */
    double *Vp = t->M + k2;    /* k2 x k2 */
    double *Cm = Vp + k2 * k2; /* k2 x q */
    double *Am = Cm + k2 * q;  /* q x q */
    double *Bm = Am + q * q;   /* q x q */
    double *tmp = Bm + q * q;  /* k2 x q */
    size_t *ck = t->cells;
    for (size_t j = 0; j < nc; j++)
        for (size_t i = 0; i < nr; i++) {
            ck[j * nr + i] = rr[i] + R * cc[j];
            p[j * nr + i] = t->A.T[rr[i] + R * cc[j]] / N;
        }
    /* Cov(N_a, N) and Var(N) from the cell-total covariance. */
    double VN = 0;
    double *gN = t->Zc; /* k2 */
    for (size_t a = 0; a < k2; a++) {
        double s = 0;
        for (size_t b = 0; b < k2; b++) s += t->Vs[ck[a] * B + ck[b]];
        gN[a] = s;
        VN += s;
    }
    if (t->rep) {
        /* svychisq.svyrep.design: the svrVar covariance of the replicate
         * cell proportions (svymean of the cell indicators). */
        size_t nrep = t->d->rep->R, dropped = 0;
        for (size_t r = 0; r < nrep; r++) {
            const double *T = t->TR + r * B;
            for (size_t a = 0; a < k2; a++) t->TH[r * k2 + a] = T[ck[a]] / T[t->K];
        }
        if ((rc = wfs_rep_var(Vp, t->d, t->TH, p, k2, &dropped, err))) return rc;
        t->rep_dropped += dropped;
    } else {
        for (size_t a = 0; a < k2; a++)
            for (size_t b = 0; b < k2; b++)
                Vp[a * k2 + b] =
                    (t->Vs[ck[a] * B + ck[b]] - p[a] * gN[b] - p[b] * gN[a] + p[a] * p[b] * VN) /
                    (N * N);
    }
    /* Pearson's X2 on the table scaled to the n rows (svytable Ntotal = n). */
    double X2 = 0;
    double *pr = gN + k2, *pc = pr + nr;
    for (size_t i = 0; i < nr; i++) pr[i] = rowt[rr[i]] / N;
    for (size_t j = 0; j < nc; j++) pc[j] = colt[cc[j]] / N;
    for (size_t j = 0; j < nc; j++)
        for (size_t i = 0; i < nr; i++) {
            double e = pr[i] * pc[j], dlt = p[j * nr + i] - e;
            X2 += dlt * dlt / e;
        }
    X2 *= n;
    if (want & (WFS_TEST_F | WFS_TEST_CHISQ)) {
        /* C: the interaction columns of ~factor(rows)*factor(cols) on the
         * grid, projected off the main effects (qr.resid): for the column
         * of cell (a, b), I(i=a, j=b) - I(i=a)/nc - I(j=b)/nr + 1/(nr nc). */
        size_t col = 0;
        for (size_t b = 1; b < nc; b++)
            for (size_t a = 1; a < nr; a++, col++)
                for (size_t j = 0; j < nc; j++)
                    for (size_t i = 0; i < nr; i++)
                        Cm[(j * nr + i) * q + col] = (i == a && j == b) - (i == a) / (double)nc -
                                                     (j == b) / (double)nr +
                                                     1.0 / (double)(nr * nc);
        /* A = C' D^-1 C / n and B = C' D^-1 V D^-1 C, D = diag(p) (zero
         * cells: 0 in D^-1). */
        for (size_t a = 0; a < k2; a++) {
            double da = p[a] > 0 ? 1 / p[a] : 0;
            for (size_t x = 0; x < q; x++) tmp[a * q + x] = da * Cm[a * q + x];
        }
        for (size_t x = 0; x < q; x++)
            for (size_t y = 0; y < q; y++) {
                double s = 0;
                for (size_t a = 0; a < k2; a++) s += Cm[a * q + x] * tmp[a * q + y];
                Am[x * q + y] = s / n;
            }
        /* B = tmp' V tmp. */
        double *vt = t->Zc + k2 + nr + nc; /* k2 x q */
        for (size_t a = 0; a < k2; a++)
            for (size_t y = 0; y < q; y++) {
                double s = 0;
                for (size_t b = 0; b < k2; b++) s += Vp[a * k2 + b] * tmp[b * q + y];
                vt[a * q + y] = s;
            }
        for (size_t x = 0; x < q; x++)
            for (size_t y = 0; y < q; y++) {
                double s = 0;
                for (size_t a = 0; a < k2; a++) s += tmp[a * q + x] * vt[a * q + y];
                Bm[x * q + y] = s;
            }
        if (cholesky(Am, q)) {
            t->any_singular = 1;
        } else {
            /* Delta = A^-1 B, column by column. */
            double *col_b = vt; /* reuse */
            double *Dl = tmp;   /* q x q */
            for (size_t y = 0; y < q; y++) {
                for (size_t x = 0; x < q; x++) col_b[x] = Bm[x * q + y];
                chol_solve(Am, q, col_b);
                for (size_t x = 0; x < q; x++) Dl[x * q + y] = col_b[x];
            }
            double tr = 0, tr2 = 0;
            for (size_t x = 0; x < q; x++) {
                tr += Dl[x * q + x];
                for (size_t y = 0; y < q; y++) tr2 += Dl[x * q + y] * Dl[y * q + x];
            }
            if (tr > 0 && tr2 > 0) {
                double d0 = tr * tr / tr2;
                tf.statistic = X2 / tr;
                tf.ndf = d0;
                tf.ddf = d0 * nu;
                tf.p_value = gsl_cdf_fdist_Q(tf.statistic, d0, d0 * nu);
                tc.statistic = X2;
                tc.df = (double)q;
                tc.p_value = gsl_cdf_chisq_Q(X2 / (tr / (double)q), (double)q);
            } else {
                t->any_singular = 1;
            }
        }
    }
    if (want & (WFS_TEST_WALD | WFS_TEST_ADJWALD)) {
        /* Y_ab = N_ab - N_a. N_.b / N for a, b past the first level, and its
         * covariance by the delta method from the cell totals'. */
        double *Y = t->Zc, *J = t->M; /* q, q x k2 */
        double *Vy = J + q * k2, *JV = Vy + q * q;
        size_t x = 0;
        for (size_t b = 1; b < nc; b++)
            for (size_t a = 1; a < nr; a++, x++) {
                double Na = rowt[rr[a]], Nb = colt[cc[b]];
                Y[x] = t->A.T[rr[a] + R * cc[b]] - Na * Nb / N;
                for (size_t j = 0; j < nc; j++)
                    for (size_t i = 0; i < nr; i++)
                        J[x * k2 + j * nr + i] = (i == a && j == b) - (i == a) * Nb / N -
                                                 (j == b) * Na / N + Na * Nb / (N * N);
            }
        for (x = 0; x < q; x++)
            for (size_t b = 0; b < k2; b++) {
                double s = 0;
                for (size_t a = 0; a < k2; a++) s += J[x * k2 + a] * t->Vs[ck[a] * B + ck[b]];
                JV[x * k2 + b] = s;
            }
        for (x = 0; x < q; x++)
            for (size_t y = 0; y < q; y++) {
                double s = 0;
                for (size_t b = 0; b < k2; b++) s += JV[x * k2 + b] * J[y * k2 + b];
                Vy[x * q + y] = s;
            }
        if (cholesky(Vy, q)) {
            t->any_singular = 1;
        } else {
            double *sol = JV; /* q */
            memcpy(sol, Y, q * sizeof *sol);
            chol_solve(Vy, q, sol);
            double W = 0;
            for (x = 0; x < q; x++) W += Y[x] * sol[x];
            double dq = (double)q;
            tw.statistic = W / dq;
            tw.ndf = dq;
            tw.ddf = nu;
            tw.p_value = gsl_cdf_fdist_Q(tw.statistic, dq, nu);
            if (nu - dq + 1 > 0) {
                ta.statistic = W * (nu - dq + 1) / (dq * nu);
                ta.ndf = dq;
                ta.ddf = nu - dq + 1;
                ta.p_value = gsl_cdf_fdist_Q(ta.statistic, dq, ta.ddf);
            } else {
                t->any_nu = 1;
            }
        }
    }
emit:
    if (rc) return wfs_nomem(err);
    const wfs_test *all[4] = {&tf, &tc, &tw, &ta};
    for (int k = 0; k < 4; k++)
        if ((want >> k) & 1)
            if (wfs_result_add_test(t->res, all[k])) return wfs_nomem(err);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Suppression of a layer                                              */
/* ------------------------------------------------------------------ */

/* A hidden cell carries no number at all, only its flag: not even the df
 * of its domain, which counts the PSUs holding its respondents. */
static void hide(wfs_estimate *e, unsigned flag)
{
    e->estimate = e->se = e->ci_lower = e->ci_upper = NAN;
    e->deff = e->n_eff = e->n = e->n_weighted = e->df = NAN;
    e->flags = flag;
}

static int suppress_layer(tab *t, wfs_error *err)
{
    const wfs_tab_shape *sh = &t->sh;
    size_t NR = t->R + 1, NC = sh->C ? sh->C + 1 : 1, ne = NR * NC;
    double *n = t->Zc;
    unsigned *fl = t->sflags;
    uint8_t *known = (uint8_t *)(void *)(t->Zc + ne);
    for (size_t i = 0; i < NR; i++)
        for (size_t j = 0; j < NC; j++) {
            size_t e = i * NC + j;
            size_t c = sh->C ? (j == sh->C ? sh->C : j) : 0;
            n[e] = t->E[wfs_tab_count_at(sh, i, c)].n;
            fl[e] = 0;
            /* Percentages that are 100% whatever is hidden. */
            int is_total = i == t->R && (!sh->C || j == sh->C);
            known[e] = is_total || (sh->C && sh->pct == WFS_PCT_COL && i == t->R) ||
                       (sh->C && sh->pct == WFS_PCT_ROW && j == sh->C);
        }
    int rc = wfs_suppress_table(fl, n, known, t->R, sh->C, t->topt->suppress, err);
    if (rc) return rc;
    for (size_t i = 0; i < NR; i++)
        for (size_t j = 0; j < NC; j++) {
            unsigned f = fl[i * NC + j];
            if (!f) continue;
            f = f & WFS_FLAG_SUPPRESSED ? WFS_FLAG_SUPPRESSED : WFS_FLAG_SUPPRESSED_COMP;
            size_t c = sh->C ? j : 0;
            hide(&t->E[wfs_tab_count_at(sh, i, c)], f);
            size_t pp = wfs_tab_prop_at(sh, i, c);
            if (pp != SIZE_MAX) hide(&t->E[pp], f);
        }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Labels                                                              */
/* ------------------------------------------------------------------ */

/* Fill the descriptive fields of every estimate of layer g. */
static void describe(tab *t, size_t g, const char **vals_buf)
{
    const wfs_tab_shape *sh = &t->sh;
    size_t nl = t->nl, per = wfs_tab_per_layer(sh);
    const char *const *lv = nl ? t->D.labels + g * nl : NULL;
    /* Domain value arrays: [x, layers...] stored per estimate in vals_buf
     * (per x (nl + 1)). */
    for (size_t k = 0; k < per; k++) wfs_estimate_init(&t->E[k]);
    for (size_t k = 0; k < per; k++) {
        const char **v = vals_buf + k * (nl + 1);
        for (size_t j = 0; j < nl; j++) v[j + 1] = lv[j];
    }
    /* keys: keys[0] = COL, keys[1] = ROW, keys[2..] layers */
    const char **kcol = t->keys, **krow = t->keys + (nl + 1), **klay = t->keys + 2 * (nl + 1) + 1;
#define SETDOM(E_, k_, key0_, val0_)                                                               \
    do {                                                                                           \
        const char **v_ = vals_buf + (k_) * (nl + 1);                                              \
        if (key0_) {                                                                               \
            v_[0] = (val0_);                                                                       \
            (E_)->ndomain = nl + 1;                                                                \
            (E_)->domain_keys = (key0_);                                                           \
            (E_)->domain_values = v_;                                                              \
        } else {                                                                                   \
            (E_)->ndomain = nl;                                                                    \
            (E_)->domain_keys = nl ? klay : NULL;                                                  \
            (E_)->domain_values = nl ? v_ + 1 : NULL;                                              \
        }                                                                                          \
    } while (0)
    size_t Cn = sh->C;
    for (size_t r = 0; r <= t->R; r++)
        for (size_t c = 0; c <= (Cn ? Cn : 0); c++) {
            if (!Cn && c > 0) break;
            size_t k = wfs_tab_count_at(sh, r, c);
            wfs_estimate *e = &t->E[k];
            e->statistic = "count";
            if (r < t->R && (!Cn || c < Cn)) {
                e->variable = t->rowvar;
                if (Cn && sh->pct == WFS_PCT_CELL) {
                    e->level = t->cell_labels[r + t->R * c];
                    SETDOM(e, k, (const char **)NULL, NULL);
                } else if (Cn) {
                    e->level = t->rlev[r];
                    SETDOM(e, k, kcol, t->clev[c]);
                } else {
                    e->level = t->rlev[r];
                    SETDOM(e, k, (const char **)NULL, NULL);
                }
            } else if (r < t->R) {
                e->variable = t->rowvar;
                e->level = t->rlev[r];
                SETDOM(e, k, (const char **)NULL, NULL);
            } else if (Cn && c < Cn) {
                e->variable = t->colvar;
                e->level = t->clev[c];
                SETDOM(e, k, (const char **)NULL, NULL);
            } else {
                e->variable = t->rowvar;
                e->level = NULL;
                SETDOM(e, k, (const char **)NULL, NULL);
            }
            size_t pp = wfs_tab_prop_at(sh, r, c);
            if (pp == SIZE_MAX) continue;
            wfs_estimate *f = &t->E[pp];
            f->statistic = "prop";
            if (r < t->R && Cn && c < Cn) {
                if (sh->pct == WFS_PCT_COL) {
                    f->variable = t->rowvar;
                    f->level = t->rlev[r];
                    SETDOM(f, pp, kcol, t->clev[c]);
                } else if (sh->pct == WFS_PCT_ROW) {
                    f->variable = t->colvar;
                    f->level = t->clev[c];
                    SETDOM(f, pp, krow, t->rlev[r]);
                } else {
                    f->variable = t->rowvar;
                    f->level = t->cell_labels[r + t->R * c];
                    SETDOM(f, pp, (const char **)NULL, NULL);
                }
            } else if (r < t->R) {
                f->variable = t->rowvar;
                f->level = t->rlev[r];
                SETDOM(f, pp, (const char **)NULL, NULL);
            } else {
                f->variable = t->colvar;
                f->level = t->clev[c];
                SETDOM(f, pp, (const char **)NULL, NULL);
            }
        }
#undef SETDOM
}

/* ------------------------------------------------------------------ */
/* One layer                                                           */
/* ------------------------------------------------------------------ */

static int layer(tab *t, size_t g, const char **vals_buf, wfs_error *err)
{
    const wfs_design *d = t->d;
    size_t K = t->K, B = K + 1;
    wfs_basis basis = {WFS_B_CATEGORICAL, NULL, NULL, t->codes, K, 0, 0, B};
    int rc = wfs_accum_run(&t->A, &basis, &t->D, g, t->opt->control, err);
    if (rc) return rc;
    wfs_accum *A = &t->A;
    t->nmiss += A->nmiss;
    t->g_cur = g;
    t->glm_ready = 0;
    /* Respondents and rows per cell; zero-weight rows for lonely=average. */
    memset(t->nobs, 0, K * sizeof *t->nobs);
    memset(t->nrows, 0, K * sizeof *t->nrows);
    if (t->ppres) memset(t->ppres, 0, d->lev[d->acc_level].nunits * K);
    t->nz = 0;
    wfs_rowiter it;
    wfs_it_begin(&it, &t->D, g, d->n);
    size_t i;
    while ((i = wfs_it_next(&it)) != SIZE_MAX) {
        int32_t k = t->codes[i];
        if (k < 0) continue;
        t->nrows[k] += 1;
        if (d->w[i] != 0) {
            t->nobs[k] += 1;
            if (t->ppres) t->ppres[wfs_unit_of(d, i) * K + (size_t)k] = 1;
        } else if (t->average) {
            if (t->nz == t->capzr) {
                size_t cap = t->capzr ? 2 * t->capzr : 256;
                uint32_t *u = wfs_reallocarray(t->zunit, cap, sizeof *u);
                if (u) t->zunit = u;
                int32_t *c = wfs_reallocarray(t->zcell, cap, sizeof *c);
                if (c) t->zcell = c;
                if (!u || !c) return wfs_nomem(err);
                t->capzr = cap;
            }
            t->zunit[t->nz] = (uint32_t)wfs_unit_of(d, i);
            t->zcell[t->nz++] = k;
        }
    }
    t->zpres = NULL;
    if (t->nz) {
        uint8_t *zp = calloc(A->m * K + 1, 1);
        if (!zp) return wfs_nomem(err);
        for (size_t s = 0; s < A->m; s++) t->slot_of[A->units[s]] = (int32_t)s;
        for (size_t z = 0; z < t->nz; z++) {
            int32_t s = t->slot_of[t->zunit[z]];
            if (s >= 0) zp[(size_t)s * K + (size_t)t->zcell[z]] = 1;
        }
        for (size_t s = 0; s < A->m; s++) t->slot_of[A->units[s]] = -1;
        t->zpres = zp;
    }
    /* The one covariance: cell totals and the total, on the layer. */
    t->lonely = 0;
    if (t->rep) {
        /* svytotal on a svyrep.design: replicate totals, then svrVar. */
        if ((rc = wfs_rep_totals(t->TR, d, &basis, &t->D, g, A, t->opt->control, err))) goto out;
        if ((rc = wfs_rep_var(t->Vs, d, t->TR, A->T, B, NULL, err))) goto out;
        t->nu = d->rep->df; /* svychisq's degf(design) */
    } else {
        if ((rc = wfs_recvar(t->Vs, d, A->units, A->S, A->m, B, &t->lonely, err))) goto out;
        if (t->lonely) t->any_lonely = 1;
        t->nu = layer_nu(t);
    }
    describe(t, g, vals_buf);
    const wfs_tab_shape *sh = &t->sh;
    size_t *cpos = wfs_mallocarray(2 * (t->R > t->C1 ? t->R : t->C1), sizeof *cpos);
    if (!cpos) {
        rc = wfs_nomem(err);
        goto out;
    }
    size_t *ppos = cpos + (t->R > t->C1 ? t->R : t->C1);
    if (!sh->C) {
        for (size_t r = 0; r < t->R; r++) {
            cpos[r] = wfs_tab_count_at(sh, r, 0);
            ppos[r] = wfs_tab_prop_at(sh, r, 0);
        }
        rc = domain_cells(t, DOM_LAYER, 0, cpos, ppos, err);
    } else if (sh->pct == WFS_PCT_CELL) {
        /* Cells of the whole layer, a column at a time (their domain is
         * the layer: the block's covariance comes from Vs). */
        size_t *cp = wfs_mallocarray(2 * K, sizeof *cp);
        if (!cp) {
            rc = wfs_nomem(err);
        } else {
            for (size_t k = 0; k < K; k++) {
                cp[k] = wfs_tab_count_at(sh, k % t->R, k / t->R);
                cp[K + k] = wfs_tab_prop_at(sh, k % t->R, k / t->R);
            }
            rc = domain_cells(t, DOM_LAYER, 0, cp, cp + K, err);
            free(cp);
        }
    } else {
        /* Counts in each column's domain (svyby(~ROW, ~COL, svytotal)), and
         * column percentages with them. */
        for (size_t c = 0; c < sh->C && !rc; c++) {
            for (size_t r = 0; r < t->R; r++) {
                cpos[r] = wfs_tab_count_at(sh, r, c);
                ppos[r] = sh->pct == WFS_PCT_COL ? wfs_tab_prop_at(sh, r, c) : SIZE_MAX;
            }
            rc = domain_cells(t, DOM_COL, c, cpos, ppos, err);
        }
        if (sh->pct == WFS_PCT_ROW)
            for (size_t r = 0; r < t->R && !rc; r++) {
                for (size_t c = 0; c < sh->C; c++) {
                    cpos[c] = SIZE_MAX;
                    ppos[c] = wfs_tab_prop_at(sh, r, c);
                }
                rc = domain_cells(t, DOM_ROW, r, cpos, ppos, err);
            }
    }
    free(cpos);
    if (rc) goto out;
    if (sh->C) {
        if ((rc = margins(t, err))) goto out;
    } else {
        wfs_estimate *e = &t->E[wfs_tab_count_at(sh, t->R, 0)];
        double nobs = 0;
        for (size_t k = 0; k < K; k++) nobs += t->nobs[k];
        double VN = 0;
        for (size_t a = 0; a < K; a++)
            for (size_t b = 0; b < K; b++) VN += t->Vs[a * B + b];
        count_estimate(t, e, A->T[K], VN, nobs, layer_df(t), 1, nobs, A->T[K], t->lonely);
        e->deff = e->n_eff = NAN;
    }
    if (t->topt->suppress > 0 && (rc = suppress_layer(t, err))) goto out;
    size_t per = wfs_tab_per_layer(sh);
    for (size_t k = 0; k < per; k++)
        if (wfs_result_add_estimate(t->res, &t->E[k]) < 0) {
            rc = wfs_nomem(err);
            goto out;
        }
    if (sh->C && t->topt->tests) {
        char where[512] = "";
        if (t->nl) {
            wfs_buf b = WFS_BUF_INIT;
            for (size_t j = 0; j < t->nl; j++)
                wfs_buf_printf(&b, "%s%s = %s", j ? ", " : " where ", t->lvars[j],
                               t->D.labels[g * t->nl + j]);
            snprintf(where, sizeof where, "%s", b.data ? b.data : "");
            wfs_buf_free(&b);
        }
        rc = tests(t, where, err);
    }
out:
    free(t->zpres);
    t->zpres = NULL;
    return rc;
}

/* ------------------------------------------------------------------ */
/* Entry point                                                         */
/* ------------------------------------------------------------------ */

static long find_var(const wfs_design *d, const char *name, wfs_error *err)
{
    long col = wfs_table_find(d->t, name);
    if (col >= 0) {
        if (wfs_table_type(d->t, (size_t)col) == WFS_TEXT) {
            wfs_fail(err, WFS_ETYPE, "variable \"%s\" is text; it cannot be tabulated", name);
            return -1;
        }
        return col;
    }
    wfs_fail_unknown_variable(err, d->t, name);
    return -1;
}

static void tab_free(tab *t)
{
    wfs_levels_free(t->rlev, t->R);
    wfs_levels_free(t->clev, t->clev ? t->C1 : 0);
    if (t->cell_labels) wfs_levels_free(t->cell_labels, t->K);
    free(t->codes);
    wfs_domains_free(&t->D);
    wfs_accum_free(&t->A);
    wfs_result_free(t->res);
    free(t->nobs);
    free(t->nrows);
    free(t->ppres);
    free(t->zpres);
    free(t->zunit);
    free(t->zcell);
    free(t->slot_of);
    free(t->Vs);
    free(t->ulist);
    free(t->Zc);
    free(t->Vd);
    free(t->M);
    free(t->W1);
    free(t->cells);
    free(t->sflags);
    free(t->stamp_psu);
    free(t->stamp_str);
    free(t->E);
    free(t->keys);
    free(t->vals);
    free(t->irls);
    free(t->fscale);
    free(t->gcells);
    free(t->gpart);
    free(t->TR);
    free(t->TH);
    free(t->den);
}

/* Keep the levels marked used, in order, freeing the others. */
static void compact_levels(char **levels, size_t *nlev, const uint8_t *used)
{
    size_t k = 0;
    for (size_t j = 0; j < *nlev; j++) {
        if (used[j])
            levels[k++] = levels[j];
        else
            free(levels[j]);
    }
    *nlev = k;
}

int wfs_tab(wfs_result **out, const wfs_design *d, const char *row, const wfs_est_options *opt,
            const wfs_tab_options *topt, wfs_error *err)
{
    tab t;
    memset(&t, 0, sizeof t);
    *out = NULL;
    wfs_tab_options tdef = WFS_TAB_OPTIONS_INIT;
    if (!topt) topt = &tdef;
    t.d = d;
    t.opt = opt;
    t.topt = topt;
    t.rowvar = row;
    t.rep = d->rep != NULL;
    t.average = !t.rep && d->lonely == WFS_LONELY_AVERAGE;
    int rc = 0;
    if (!(opt->level > 0 && opt->level < 1))
        return wfs_fail(err, WFS_EINVAL, "level must be between 0 and 1 (got %g)", opt->level);
    if (opt->df < 0 || isnan(opt->df))
        return wfs_fail(err, WFS_EINVAL, "df must be positive or inf (got %g)", opt->df);
    if ((unsigned)topt->pct > WFS_PCT_CELL) return wfs_fail(err, WFS_EINVAL, "unknown pct= value");
    if ((rc = wfs_rep_check_options(d, opt, err))) return rc;
    if (isnan(topt->suppress) || topt->suppress < 0)
        return wfs_fail(err, WFS_EINVAL, "suppress must be off or a count of 0 or more");
    if (!row || !*row) return wfs_fail(err, WFS_EINVAL, "name the row variable of the table");
    t.colvar = opt->nby ? opt->by[0] : NULL;
    t.nl = opt->nby ? opt->nby - 1 : 0;
    t.lvars = opt->nby > 1 ? opt->by + 1 : NULL;
    for (size_t j = 0; j < opt->nby; j++)
        if (strcmp(opt->by[j], row) == 0)
            return wfs_fail(err, WFS_EINVAL,
                            "\"%s\" is both the row variable and a by variable of the table", row);
    if (t.colvar)
        for (size_t j = 0; j < t.nl; j++)
            if (strcmp(t.lvars[j], t.colvar) == 0)
                return wfs_fail(err, WFS_EINVAL,
                                "\"%s\" is both the column variable and a layer of the table",
                                t.colvar);
    long rcol = find_var(d, row, err), ccol = -1;
    if (rcol < 0) return err ? err->code : WFS_ENOTFOUND;
    if (t.colvar && (ccol = find_var(d, t.colvar, err)) < 0) return err ? err->code : WFS_ENOTFOUND;

    size_t n = d->n;
    int32_t *ccodes = NULL;
    size_t R = 0, C = 0;
    t.codes = wfs_mallocarray(n ? n : 1, sizeof *t.codes);
    if (!t.codes) return wfs_nomem(err);
    if ((rc = wfs_table_group_codes(t.codes, &t.rlev, &R, d->t, (size_t)rcol, err))) goto fail;
    t.R = R;
    if (t.colvar) {
        ccodes = wfs_mallocarray(n ? n : 1, sizeof *ccodes);
        if (!ccodes) {
            rc = wfs_nomem(err);
            goto fail;
        }
        if ((rc = wfs_table_group_codes(ccodes, &t.clev, &C, d->t, (size_t)ccol, err))) goto fail;
        t.C1 = C;
    }
    /* Domains: the filter and the layers. */
    wfs_est_options lopt = *opt;
    lopt.by = t.lvars;
    lopt.nby = t.nl;
    if ((rc = wfs_domains_build(&t.D, d, &lopt, err))) goto fail;
    {
        /* Levels used by rows of the table. */
        uint8_t *ru = calloc(R ? R : 1, 1), *cu = calloc(C ? C : 1, 1);
        size_t used_rows = 0;
        if (!ru || !cu) {
            free(ru);
            free(cu);
            rc = wfs_nomem(err);
            goto fail;
        }
        for (size_t i = 0; i < n; i++) {
            if (t.D.group[i] < 0 || t.codes[i] < 0 || (ccodes && ccodes[i] < 0)) continue;
            ru[t.codes[i]] = 1;
            if (ccodes) cu[ccodes[i]] = 1;
            used_rows++;
        }
        if (!used_rows) {
            free(ru);
            free(cu);
            if (t.colvar)
                rc = wfs_fail(err, WFS_EDOMAIN,
                              "no row of the domain has both \"%s\" and \"%s\": the table is empty",
                              row, t.colvar);
            else
                rc =
                    wfs_fail(err, WFS_EDOMAIN,
                             "no row of the domain has a value of \"%s\": the table is empty", row);
            goto fail;
        }
        /* Recode to the used levels. */
        int32_t *rmap = wfs_mallocarray(R, sizeof *rmap),
                *cmap = wfs_mallocarray(C ? C : 1, sizeof *cmap);
        if (!rmap || !cmap) {
            free(ru);
            free(cu);
            free(rmap);
            free(cmap);
            rc = wfs_nomem(err);
            goto fail;
        }
        size_t nr = 0, nc = 0;
        for (size_t j = 0; j < R; j++) rmap[j] = ru[j] ? (int32_t)nr++ : -1;
        for (size_t j = 0; j < C; j++) cmap[j] = cu[j] ? (int32_t)nc++ : -1;
        compact_levels(t.rlev, &R, ru);
        if (ccodes) compact_levels(t.clev, &C, cu);
        free(ru);
        free(cu);
        t.R = R;
        t.C1 = t.colvar ? C : 1;
        if (R > MAX_LEVELS || (t.colvar && C > MAX_LEVELS) || R * t.C1 > MAX_CELLS) {
            free(rmap);
            free(cmap);
            rc = wfs_fail(err, WFS_ELIMIT,
                          "the table would have %zu x %zu cells; tab supports at most %d levels "
                          "a side and %d cells (recode the variables into fewer groups)",
                          R, t.C1, MAX_LEVELS, MAX_CELLS);
            goto fail;
        }
        for (size_t i = 0; i < n; i++) {
            int32_t r0 = t.codes[i], c0 = ccodes ? ccodes[i] : 0;
            if (r0 < 0 || c0 < 0 || rmap[r0] < 0 || (ccodes && cmap[c0] < 0)) {
                t.codes[i] = -1;
                continue;
            }
            t.codes[i] = rmap[r0] + (int32_t)R * (ccodes ? cmap[c0] : 0);
        }
        free(rmap);
        free(cmap);
        free(ccodes);
        ccodes = NULL;
    }
    t.K = t.R * t.C1;
    t.sh.R = t.R;
    t.sh.C = t.colvar ? t.C1 : 0;
    t.sh.pct = topt->pct;

    /* Buffers. */
    {
        size_t maxrows = 0;
        if (t.D.rows) {
            for (size_t g = 0; g < t.D.ngroups; g++) {
                size_t k = t.D.start[g + 1] - t.D.start[g];
                if (k > maxrows) maxrows = k;
            }
        } else {
            maxrows = t.D.nfiltered;
        }
        size_t K = t.K, B = K + 1, nu = d->lev[d->acc_level].nunits;
        if ((rc = wfs_accum_init(&t.A, d, B, maxrows, err))) goto fail;
        size_t side = t.R > t.C1 ? t.R : t.C1;
        size_t q = (t.R - 1) * (t.C1 - 1) <= MAX_TEST_DF ? (t.R - 1) * (t.C1 - 1) : 0;
        size_t k2 = q ? K : 0;
        /* Test scratch: p, Vp, C, A, B, tmp in M; Wald uses J, Vy, JV. */
        size_t msize = k2 + k2 * k2 + 2 * k2 * q + 2 * q * q;
        size_t mw = q * k2 + q * q + q * k2;
        if (mw > msize) msize = mw;
        size_t zsz = t.average ? t.A.cap * side : 0;
        size_t ztest = q ? 2 * k2 + 2 * side + k2 * q : 0;
        if (ztest > zsz) zsz = ztest;
        size_t nsupp = (t.R + 1) * (t.C1 + 1);
        if (nsupp * 2 > zsz) zsz = nsupp * 2;
        size_t ul = t.average ? t.A.cap : 1;
        if (K > zsz) zsz = K; /* margins' scratch row */
        t.nobs = wfs_callocarray(K, sizeof *t.nobs);
        t.nrows = wfs_callocarray(K, sizeof *t.nrows);
        t.Vs = wfs_mallocarray(B * B, sizeof *t.Vs);
        t.ulist = wfs_mallocarray(ul, sizeof *t.ulist);
        t.Zc = wfs_mallocarray(zsz ? zsz : 1, sizeof *t.Zc);
        size_t vd = 4 * side * side;
        if ((topt->pct == WFS_PCT_CELL || !t.colvar) && K * K > vd) vd = K * K;
        t.Vd = wfs_mallocarray(vd, sizeof *t.Vd);
        t.M = wfs_mallocarray(msize ? msize : 1, sizeof *t.M);
        t.W1 = wfs_mallocarray(K + 2 * side + 2, sizeof *t.W1);
        t.cells = wfs_mallocarray(K, sizeof *t.cells);
        t.sflags = wfs_mallocarray(nsupp, sizeof *t.sflags);
        t.stamp_psu = wfs_callocarray(d->lev[1].nunits, sizeof *t.stamp_psu);
        t.stamp_str = wfs_callocarray(d->nstrata ? d->nstrata : 1, sizeof *t.stamp_str);
        t.slot_of = wfs_mallocarray(nu ? nu : 1, sizeof *t.slot_of);
        if (d->cal) t.ppres = calloc(nu * K + 1, 1);
        size_t per = wfs_tab_per_layer(&t.sh);
        t.E = wfs_mallocarray(per, sizeof *t.E);
        t.keys = wfs_callocarray(3 * (t.nl + 1) + 1, sizeof *t.keys);
        t.vals = wfs_callocarray(per * (t.nl + 1), sizeof *t.vals);
        t.cell_labels = wfs_callocarray(K, sizeof *t.cell_labels);
        t.glm = !t.rep && (opt->ci == WFS_CI_LOGIT || opt->ci == WFS_CI_LIKELIHOOD);
        if (t.rep) {
            size_t nrep = d->rep->R;
            t.TR = wfs_mallocarray(nrep, B * sizeof *t.TR);
            t.TH = wfs_mallocarray(nrep, (k2 > 1 ? k2 : 1) * sizeof *t.TH);
            t.den = wfs_mallocarray(nrep, sizeof *t.den);
            if (!t.TR || !t.TH || !t.den) {
                rc = wfs_nomem(err);
                goto fail;
            }
        }
        if (t.glm) {
            t.irls = wfs_mallocarray(3 * K, sizeof *t.irls);
            t.fscale = wfs_mallocarray(1 + t.C1 + t.R, sizeof *t.fscale);
            t.gcells = wfs_mallocarray(K, sizeof *t.gcells);
            t.gpart = wfs_mallocarray(15 * K, sizeof *t.gpart);
            if (!t.irls || !t.fscale || !t.gcells || !t.gpart) {
                rc = wfs_nomem(err);
                goto fail;
            }
        }
        if (!t.nobs || !t.nrows || !t.Vs || !t.ulist || !t.Zc || !t.Vd || !t.M || !t.W1 ||
            !t.cells || !t.sflags || !t.stamp_psu || !t.stamp_str || !t.slot_of ||
            (d->cal && !t.ppres) || !t.E || !t.keys || !t.vals || !t.cell_labels) {
            rc = wfs_nomem(err);
            goto fail;
        }
        for (size_t u = 0; u < nu; u++) t.slot_of[u] = -1;
        for (size_t k = 0; k < K; k++) {
            wfs_buf b = WFS_BUF_INIT;
            wfs_buf_printf(&b, "%s|%s", t.rlev[k % t.R], t.colvar ? t.clev[k / t.R] : "");
            t.cell_labels[k] = wfs_buf_take(&b, NULL);
            if (!t.cell_labels[k]) {
                rc = wfs_nomem(err);
                goto fail;
            }
        }
        /* keys: [COL, layers] [ROW, layers] [layers] */
        t.keys[0] = t.colvar;
        t.keys[t.nl + 1] = row;
        for (size_t j = 0; j < t.nl; j++) {
            t.keys[1 + j] = t.lvars[j];
            t.keys[t.nl + 2 + j] = t.lvars[j];
            t.keys[2 * (t.nl + 1) + 1 + j] = t.lvars[j];
        }
    }
    if ((rc = wfs_result_new(&t.res, "tab", opt->dataset, err))) goto fail;
    if (wfs_result_set_variance(t.res, d->variance_name)) {
        rc = wfs_nomem(err);
        goto fail;
    }
    wfs_result_set_ci_level(t.res, opt->level);
    wfs_result_set_layout(t.res, WFS_LAYOUT_CROSSTAB);
    {
        int frc = 0;
        wfs_value v = wfs_value_str(row);
        frc |= wfs_result_add_field(t.res, "row", &v);
        if (t.colvar) {
            v = wfs_value_str(t.colvar);
            frc |= wfs_result_add_field(t.res, "column", &v);
            v = wfs_value_str(wfs_pct_name(topt->pct));
            frc |= wfs_result_add_field(t.res, "pct", &v);
        }
        v = wfs_value_strlist((const char *const *)t.rlev, t.R);
        frc |= wfs_result_add_field(t.res, "rows", &v);
        if (t.colvar) {
            v = wfs_value_strlist((const char *const *)t.clev, t.C1);
            frc |= wfs_result_add_field(t.res, "columns", &v);
        }
        if (t.nl) {
            v = wfs_value_strlist(t.lvars, t.nl);
            frc |= wfs_result_add_field(t.res, "layer_variables", &v);
            const char **ll = wfs_callocarray(t.D.ngroups, sizeof *ll);
            wfs_pool pool = WFS_POOL_INIT;
            if (!ll) frc = 1;
            for (size_t g = 0; ll && g < t.D.ngroups; g++) {
                wfs_buf b = WFS_BUF_INIT;
                for (size_t j = 0; j < t.nl; j++)
                    wfs_buf_printf(&b, "%s%s", j ? ", " : "", t.D.labels[g * t.nl + j]);
                ll[g] = wfs_pool_strdup(&pool, b.data ? b.data : "");
                wfs_buf_free(&b);
            }
            if (ll && !pool.failed) {
                v = wfs_value_strlist(ll, t.D.ngroups);
                frc |= wfs_result_add_field(t.res, "layers", &v);
            } else {
                frc = 1;
            }
            free(ll);
            wfs_pool_free(&pool);
        }
        if (frc) {
            rc = wfs_nomem(err);
            goto fail;
        }
    }
    for (size_t g = 0; g < t.D.ngroups && !rc; g++) rc = layer(&t, g, t.vals, err);
    if (rc) goto fail;

    /* Notes, then the footer. */
    {
        wfs_result *r = t.res;
        int nrc = 0;
        if (t.D.nmissing_by)
            nrc |= wfs_result_add_note(r, "%zu row%s with a missing layer value excluded",
                                       t.D.nmissing_by, t.D.nmissing_by == 1 ? "" : "s");
        if (t.nmiss)
            nrc |= wfs_result_add_note(r, "%zu row%s with a missing value of %s%s%s excluded",
                                       t.nmiss, t.nmiss == 1 ? "" : "s", row,
                                       t.colvar ? " or " : "", t.colvar ? t.colvar : "");
        if (t.any_empty)
            nrc |= wfs_result_add_note(r, "a row or column has no sampled rows in a layer: its "
                                          "percentages are not defined and are left empty");
        if (t.any_edge)
            nrc |= wfs_result_add_note(r, "percentages of 0 or 100 have no design-based "
                                          "variance; their intervals are exact "
                                          "(Clopper-Pearson) on the unweighted base");
        if (t.any_zero_level)
            nrc |= wfs_result_add_note(r, "levels with no weighted total in a layer are left "
                                          "out of its tests");
        if (t.any_singular)
            nrc |= wfs_result_add_note(r, "a test is not defined: its covariance matrix is "
                                          "singular (too few PSUs for the table, or zero cells "
                                          "that leave part of the table without data)");
        if (t.any_nu)
            nrc |= wfs_result_add_note(r, "a test is not defined: too few PSUs for its "
                                          "denominator degrees of freedom");
        if (t.any_unscaled)
            nrc |= wfs_result_add_note(r, "deff not available: the weights sum to less than the "
                                          "sample size (are they scaled as population counts?)");
        if (t.any_lonely)
            nrc |= wfs_result_add_note(r,
                                       "a stratum with a single PSU contributed under "
                                       "lonely=%s",
                                       wfs_lonely_name(d->lonely));
        if (t.rep_dropped)
            nrc |= wfs_result_add_note(r,
                                       "%zu replicate estimate%s undefined (no weight in the "
                                       "domain) and left out of the variance, as R's svrVar",
                                       t.rep_dropped, t.rep_dropped == 1 ? " was" : "s were");
        if (!t.rep)
            nrc |= wfs_result_add_note(r, "lonely PSU policy: %s", wfs_lonely_name(d->lonely));
        if (nrc) {
            rc = wfs_nomem(err);
            goto fail;
        }
        if ((rc = wfs_result_add_design_footers(r, d, err))) goto fail;
        char line[300], dfs[64];
        if (opt->df > 0 && isinf(opt->df))
            snprintf(dfs, sizeof dfs, "normal quantiles");
        else if (opt->df > 0)
            snprintf(dfs, sizeof dfs, "t on %g df", opt->df);
        else
            snprintf(dfs, sizeof dfs, "t on the design df");
        snprintf(line, sizeof line, "intervals: %g%% %s, %s for percentages", opt->level * 100, dfs,
                 wfs_ci_name(opt->ci));
        nrc |= wfs_result_add_footer(r, line);
        if (topt->suppress > 0)
            snprintf(line, sizeof line,
                     "suppression: cells and totals of fewer than %g respondents hidden [x], "
                     "with complementary suppression [c]",
                     topt->suppress);
        else
            snprintf(line, sizeof line, "suppression: off");
        nrc |= wfs_result_add_footer(r, line);
        nrc |= wfs_result_add_footer(r, "reliability: NCHS presentation standard for proportions "
                                        "(effective n >= 30, Korn-Graubard CI width, df >= 8)");
        if (nrc) {
            rc = wfs_nomem(err);
            goto fail;
        }
    }
    *out = t.res;
    t.res = NULL;
    tab_free(&t);
    return 0;
fail:
    free(ccodes);
    tab_free(&t);
    return rc ? rc : WFS_ENOMEM;
}
