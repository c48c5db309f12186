/* calibrate.c - calibration to margins and totals (R's calibrate) and the
 * residuals of calibrated designs.
 *
 * The model: categorical margins enter with treatment contrasts and imply
 * the intercept (the first margin keeps a column for every level, which
 * spans the intercept and R's contrasts alike), numeric totals enter as
 * their variable, and population= adds the intercept when there is no
 * categorical margin. The weights are w g with g = 1 + F(x' eta) for the
 * distance's inverse derivative F (R's calfun Fm1: linear, raking, logit,
 * clamped to bounds on g), and eta solves sum w g x = t by Newton's method
 * with the Jacobian sum w F'(x' eta) x x' solved through a GSL SVD (a
 * pseudo-inverse, as R's grake uses MASS::ginv), halving steps that give
 * non-finite weights. Linear calibration without bounds converges in one
 * step to R's regcalibrate (GREG). As grake does, when every population
 * total exceeds 20 times its estimate (R's parametrisation: intercept,
 * contrasts, numeric columns) the weights are first scaled by the mean
 * ratio, and bounds then apply to the scaled weights.
 *
 * Variance (R's svyrecvar for greg_calibration at stage 0, every calfun):
 * x <- qr.resid(qr(X sqrt(w0)), x / (g sqrt(w0))) g sqrt(w0), w0 the
 * weights before calibration; that is x - w0 g (X beta) with beta the
 * least-squares coefficients of x / (w0 g) on X weighted by w0. The
 * projection uses the Cholesky factor of the equilibrated X' W0 X and is
 * applied twice (the second pass removes rounding).
 *
 * Rows with a zero weight are outside the sample: they have no model row,
 * keep weight zero and no residual. Missing values of a calibration
 * variable in sampled rows are errors.
 */
#include "config.h"

#include <float.h>
#include <stdio.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#include "weighting-private.h"

/* ------------------------------------------------------------------ */
/* Distance functions (R survey: cal.linear, cal.raking, cal.logit)    */
/* ------------------------------------------------------------------ */

const char *wfs_calfun_name(wfs_calfun f)
{
    return f == WFS_CALFUN_RAKING ? "raking" : f == WFS_CALFUN_LOGIT ? "logit" : "linear";
}

int wfs_calfun_parse(const char *name)
{
    if (!name) return -1;
    if (!strcmp(name, "linear")) return WFS_CALFUN_LINEAR;
    if (!strcmp(name, "raking")) return WFS_CALFUN_RAKING;
    if (!strcmp(name, "logit")) return WFS_CALFUN_LOGIT;
    return -1;
}

/* Fm1(u) = g - 1 and its derivative. */
static double cal_F(wfs_calfun f, double u, double L, double U)
{
    switch (f) {
    case WFS_CALFUN_LINEAR:
        return fmin(fmax(u + 1, L), U) - 1;
    case WFS_CALFUN_RAKING:
        return fmin(fmax(exp(u), L), U) - 1;
    case WFS_CALFUN_LOGIT: {
        /* (L(U-1) + U(1-L) e^{Au}) / (U-1 + (1-L) e^{Au}) - 1, evaluated
         * without overflow. */
        double A = (U - L) / ((U - 1) * (1 - L)), au = A * u;
        if (au > 0) {
            double e = exp(-au);
            return (L * (U - 1) * e + U * (1 - L)) / ((U - 1) * e + (1 - L)) - 1;
        }
        double e = exp(au);
        return (L * (U - 1) + U * (1 - L) * e) / (U - 1 + (1 - L) * e) - 1;
    }
    }
    return NAN;
}

static double cal_dF(wfs_calfun f, double u, double L, double U)
{
    switch (f) {
    case WFS_CALFUN_LINEAR:
        return u < U - 1 && u > L - 1 ? 1 : 0;
    case WFS_CALFUN_RAKING: {
        double e = exp(u);
        return e > L && e < U ? e : 0;
    }
    case WFS_CALFUN_LOGIT: {
        double A = (U - L) / ((U - 1) * (1 - L)), au = A * u, k = A * (U - 1) * (1 - L) * (U - L);
        if (au > 0) {
            double e = exp(-au), den = (U - 1) * e + (1 - L);
            return k * e / (den * den);
        }
        double e = exp(au), den = U - 1 + (1 - L) * e;
        return k * e / (den * den);
    }
    }
    return NAN;
}

/* ------------------------------------------------------------------ */
/* The model                                                           */
/* ------------------------------------------------------------------ */

void wfs_cal_model_free(cal_model *M)
{
    for (size_t f = 0; f < M->nfac && M->fcol; f++) wfs_ishared_unref(M->fcol[f]);
    free(M->fcol);
    for (size_t k = 0; k < M->nnum && M->num; k++) wfs_dshared_unref(M->num[k]);
    free(M->num);
    free(M->numcol);
    memset(M, 0, sizeof *M);
}

/* x_i' v for a model row. */
static double row_dot(const cal_model *M, size_t i, const double *v)
{
    double s = 0;
    for (size_t f = 0; f < M->nfac; f++) {
        int32_t c = M->fcol[f][i];
        if (c >= 0) s += v[c];
    }
    for (size_t k = 0; k < M->nnum; k++) s += M->num[k][i] * v[M->numcol[k]];
    return s;
}

/* The nonzero entries of row i: columns and values; returns the count. */
static size_t row_entries(const cal_model *M, size_t i, size_t *col, double *val)
{
    size_t q = 0;
    for (size_t f = 0; f < M->nfac; f++) {
        int32_t c = M->fcol[f][i];
        if (c >= 0) {
            col[q] = (size_t)c;
            val[q++] = 1;
        }
    }
    for (size_t k = 0; k < M->nnum; k++) {
        col[q] = M->numcol[k];
        val[q++] = M->num[k][i];
    }
    return q;
}

/* Equilibrated Cholesky factor of G = sum w x x' over sampled rows: D =
 * diag(G)^-1/2, D G D = L L'. Fails for collinear columns. */
static int gram_factor(double **Gout, double **Dout, const cal_model *M, const double *w,
                       wfs_error *err)
{
    size_t p = M->p, nz = M->nfac + M->nnum;
    double *G = wfs_callocarray(p * p, sizeof *G), *D = wfs_mallocarray(p, sizeof *D);
    size_t *col = wfs_mallocarray(nz ? nz : 1, sizeof *col);
    double *val = wfs_mallocarray(nz ? nz : 1, sizeof *val);
    int rc = 0;
    if (!G || !D || !col || !val) {
        rc = wfs_nomem(err);
        goto out;
    }
    for (size_t i = 0; i < M->n; i++) {
        if (w[i] == 0) continue;
        size_t q = row_entries(M, i, col, val);
        for (size_t a = 0; a < q; a++)
            for (size_t b = 0; b < q; b++) G[col[a] * p + col[b]] += w[i] * val[a] * val[b];
    }
    for (size_t j = 0; j < p; j++) {
        if (!(G[j * p + j] > 0)) {
            rc = wfs_fail(err, WFS_EINVAL,
                          "a calibration variable is zero in every sampled row, so its total "
                          "cannot be matched");
            goto out;
        }
        D[j] = 1 / sqrt(G[j * p + j]);
    }
    for (size_t a = 0; a < p; a++)
        for (size_t b = 0; b < p; b++) G[a * p + b] *= D[a] * D[b];
    gsl_matrix_view Gv = gsl_matrix_view_array(G, p, p);
    double rcond = 0;
    gsl_vector *work = gsl_vector_alloc(3 * p);
    if (!work) {
        rc = wfs_nomem(err);
        goto out;
    }
    int st = gsl_linalg_cholesky_decomp1(&Gv.matrix);
    if (st == GSL_SUCCESS) st = gsl_linalg_cholesky_rcond(&Gv.matrix, &rcond, work);
    gsl_vector_free(work);
    if (st != GSL_SUCCESS || !(rcond > 1e-13)) {
        rc = wfs_fail(err, WFS_EINVAL,
                      "the calibration variables are collinear in the sample (for example a "
                      "numeric variable that is constant within the levels of a margin); drop "
                      "one of them");
        goto out;
    }
out:
    free(col);
    free(val);
    if (rc) {
        free(G);
        free(D);
        return rc;
    }
    *Gout = G;
    *Dout = D;
    return 0;
}

/* Solve G beta = rhs (p x B, row-major) in place with the factor. */
static void gram_solve(double *rhs, size_t B, const double *L, const double *D, size_t p)
{
    gsl_matrix_const_view Lv = gsl_matrix_const_view_array(L, p, p);
    for (size_t k = 0; k < B; k++) {
        gsl_vector_view x = gsl_vector_view_array_with_stride(rhs + k, B, p);
        for (size_t j = 0; j < p; j++)
            gsl_vector_set(&x.vector, j, gsl_vector_get(&x.vector, j) * D[j]);
        gsl_linalg_cholesky_svx(&Lv.matrix, &x.vector);
        for (size_t j = 0; j < p; j++)
            gsl_vector_set(&x.vector, j, gsl_vector_get(&x.vector, j) * D[j]);
    }
}

double wfs_greg_g(const cal_step *s, size_t i)
{
    double u = row_dot(&s->model, i, s->eta);
    return s->scale * (1 + cal_F(s->calfun, u, s->lower, s->upper));
}

int wfs_greg_resid(const cal_step *s, double *X, size_t B, wfs_error *err)
{
    const cal_model *M = &s->model;
    size_t p = M->p, n = s->n, nz = M->nfac + M->nnum;
    const double *ow = s->oldw->w;
    double *comp = wfs_mallocarray(p * B, sizeof *comp);
    double *beta = wfs_mallocarray(p * B, sizeof *beta);
    double *g = wfs_mallocarray(n ? n : 1, sizeof *g);
    size_t *col = wfs_mallocarray(nz ? nz : 1, sizeof *col);
    double *val = wfs_mallocarray(nz ? nz : 1, sizeof *val);
    int rc = 0;
    if (!comp || !beta || !g || !col || !val) {
        rc = wfs_nomem(err);
        goto out;
    }
    for (size_t i = 0; i < n; i++) g[i] = ow[i] != 0 ? wfs_greg_g(s, i) : 0;
    for (int pass = 0; pass < 2; pass++) {
        memset(beta, 0, p * B * sizeof *beta);
        memset(comp, 0, p * B * sizeof *comp);
        for (size_t i = 0; i < n; i++) {
            if (ow[i] == 0 || g[i] == 0) continue;
            const double *x = X + i * B;
            int any = 0;
            for (size_t k = 0; k < B; k++) any |= x[k] != 0;
            if (!any) continue;
            size_t q = row_entries(M, i, col, val);
            double inv = 1 / g[i];
            for (size_t k = 0; k < B; k++) {
                double z = x[k] * inv;
                for (size_t a = 0; a < q; a++)
                    wfs_nadd(&beta[col[a] * B + k], &comp[col[a] * B + k], val[a] * z);
            }
        }
        for (size_t j = 0; j < p * B; j++) beta[j] += comp[j];
        gram_solve(beta, B, s->G, s->D, p);
        for (size_t i = 0; i < n; i++) {
            if (ow[i] == 0 || g[i] == 0) continue;
            size_t q = row_entries(M, i, col, val);
            double psw = ow[i] * g[i];
            for (size_t k = 0; k < B; k++) {
                double fit = 0;
                for (size_t a = 0; a < q; a++) fit += val[a] * beta[col[a] * B + k];
                X[i * B + k] -= psw * fit;
            }
        }
    }
out:
    free(comp);
    free(beta);
    free(g);
    free(col);
    free(val);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Calibration                                                         */
/* ------------------------------------------------------------------ */

struct wfs_calibration {
    const wfs_design *d;
    wfs_weighting_options opt;
    wfs_margins *margins;
    const double *w0; /* the weights calibration starts from (borrowed) */
    double *ww;       /* w0, scaled as R's grake may */
    size_t nb;
    wbound *b;         /* categorical margins */
    size_t *bmargin;   /* the margin of each bound */
    size_t *nummargin; /* the margin of each numeric column */
    cal_model M;
    double *target; /* p column targets */
    double *tscale; /* p misfit scales */
    double *eta, *deta, *J, *r;
    double lower, upper, scale;
    wfs_calfun calfun;
    int linear_closed; /* linear, no bounds: R's regcalibrate */
    size_t iter, maxit;
    double eps, misfit;
    size_t worst; /* the column of the largest misfit */
    int converged;
};

void wfs_calibrate_free(wfs_calibration *c)
{
    if (!c) return;
    for (size_t k = 0; k < c->nb && c->b; k++) wfs_wbound_free(&c->b[k]);
    free(c->b);
    free(c->bmargin);
    free(c->nummargin);
    wfs_margins_free(c->margins);
    free(c->ww);
    wfs_cal_model_free(&c->M);
    free(c->target);
    free(c->tscale);
    free(c->eta);
    free(c->deta);
    free(c->J);
    free(c->r);
    free(c);
}

/* Misfit of the current eta; fills r = t - sum ww g x. *bad is 1 when
 * some g is not finite, -1 when memory ran out. */
static void cal_misfit(wfs_calibration *c, int *bad)
{
    const cal_model *M = &c->M;
    size_t p = M->p, col[80];
    double val[80];
    wfs_ksum *acc = calloc(p, sizeof *acc);
    *bad = 0;
    if (!acc) {
        *bad = -1;
        return;
    }
    for (size_t i = 0; i < M->n; i++) {
        if (c->ww[i] == 0) continue;
        double u = row_dot(M, i, c->eta);
        double g = 1 + cal_F(c->calfun, u, c->lower, c->upper);
        if (!isfinite(g)) {
            *bad = 1;
            break;
        }
        size_t q = row_entries(M, i, col, val);
        for (size_t a = 0; a < q; a++) wfs_ksum_add(&acc[col[a]], c->ww[i] * g * val[a]);
    }
    c->misfit = 0;
    for (size_t j = 0; j < p; j++) {
        c->r[j] = c->target[j] - wfs_ksum_value(&acc[j]);
        double e = fabs(c->r[j]) / c->tscale[j];
        if (e > c->misfit || isnan(e)) {
            c->misfit = e;
            c->worst = j;
        }
    }
    free(acc);
}

static int calibrate_init_w(wfs_calibration **out, const wfs_design *d, const double *w,
                            const wfs_margins *m, const wfs_weighting_options *opt, wfs_error *err)
{
    *out = NULL;
    wfs_weighting_options o = WFS_WEIGHTING_OPTIONS_INIT;
    if (opt) o = *opt;
    if (o.epsilon < 0 || !isfinite(o.epsilon))
        return wfs_fail(err, WFS_EINVAL, "epsilon must be a small positive number (got %g)",
                        o.epsilon);
    if ((unsigned)o.calfun > WFS_CALFUN_LOGIT)
        return wfs_fail(err, WFS_EINVAL, "unknown calibration method");
    double L = o.bounds & WFS_BOUND_LOWER ? o.lower : -INFINITY;
    double U = o.bounds & WFS_BOUND_UPPER ? o.upper : INFINITY;
    if (isnan(L) || isnan(U) || !(L < 1 && U > 1))
        return wfs_fail(err, WFS_EINVAL,
                        "bounds=%g,%g: calibration bounds limit g = new weight / old weight and "
                        "need LO < 1 < HI",
                        L, U);
    if (o.calfun == WFS_CALFUN_LOGIT && !(isfinite(L) && isfinite(U)))
        return wfs_fail(err, WFS_EINVAL, "method=logit needs finite bounds=LO,HI with LO < 1 < HI");
    if (o.population < 0 || !isfinite(o.population))
        return wfs_fail(err, WFS_EINVAL, "population= must be a positive number");
    if (m->n == 0 && !(o.population > 0))
        return wfs_fail(err, WFS_EINVAL, "calibrate needs margins or totals");
    size_t n = d->n;
    int rc = 0;
    wfs_calibration *c = calloc(1, sizeof *c);
    if (!c) return wfs_nomem(err);
    c->d = d;
    c->opt = o;
    c->w0 = w;
    c->lower = L;
    c->upper = U;
    c->calfun = o.calfun;
    c->scale = 1;
    c->linear_closed = o.calfun == WFS_CALFUN_LINEAR && !isfinite(L) && !isfinite(U);
    c->maxit = o.maxit ? o.maxit : 50;
    c->eps = o.epsilon > 0 ? o.epsilon : WFS_DEFAULT_EPSILON;
    if ((rc = wfs_margins_copy(&c->margins, m, err))) goto fail;
    m = c->margins;
    size_t nmarg = m->n, ncat = 0, nnum = 0;
    for (size_t k = 0; k < nmarg; k++) {
        if (m->m[k].numeric)
            nnum++;
        else
            ncat++;
    }
    int intercept = ncat == 0 && o.population > 0;
    c->b = wfs_callocarray(ncat ? ncat : 1, sizeof *c->b);
    c->bmargin = wfs_mallocarray(ncat ? ncat : 1, sizeof *c->bmargin);
    c->nummargin = wfs_mallocarray(nnum ? nnum : 1, sizeof *c->nummargin);
    cal_model *M = &c->M;
    M->n = n;
    M->nfac = ncat + (size_t)intercept;
    M->fcol = wfs_callocarray(M->nfac ? M->nfac : 1, sizeof *M->fcol);
    M->num = wfs_callocarray(nnum ? nnum : 1, sizeof *M->num);
    M->numcol = wfs_mallocarray(nnum ? nnum : 1, sizeof *M->numcol);
    if (!c->b || !c->bmargin || !c->nummargin || !M->fcol || !M->num || !M->numcol) goto nomem;
    if (M->nfac + nnum > 80) {
        rc = wfs_fail(err, WFS_ELIMIT, "calibrate takes at most 80 margins and totals");
        goto fail;
    }
    /* Bind the categorical margins; count the columns. */
    size_t p = 0;
    for (size_t k = 0; k < nmarg; k++) {
        if (m->m[k].numeric) continue;
        wbound *b = &c->b[c->nb];
        if ((rc = wfs_wbound_init(b, d, &m->m[k], w, err))) goto fail;
        c->bmargin[c->nb++] = k;
        for (size_t g = 0; g < b->ncells; g++)
            if (b->nrows[g] && (c->nb == 1 || g != b->ref)) p++;
    }
    /* Every categorical margin totals the population. */
    double N = 0;
    for (size_t k = 0; k < c->nb; k++) {
        double t = 0;
        for (size_t g = 0; g < c->b[k].ncells; g++) t += c->b[k].target[g];
        if (k == 0) {
            N = t;
        } else if (fabs(t - N) > 1e-9 * fmax(fabs(t), fabs(N))) {
            rc = wfs_fail(err, WFS_EINVAL,
                          "the margins disagree: %s totals %.15g but %s totals %.15g; calibration "
                          "needs margins of the same population",
                          c->b[0].mg->name, N, c->b[k].mg->name, t);
            goto fail;
        }
    }
    if (c->nb && o.population > 0 && fabs(o.population - N) > 1e-9 * fmax(o.population, N)) {
        rc = wfs_fail(err, WFS_EINVAL,
                      "population=%.15g disagrees with margin %s, which totals %.15g", o.population,
                      c->b[0].mg->name, N);
        goto fail;
    }
    if (intercept) {
        p++;
        N = o.population;
    }
    size_t pcat = p;
    p += nnum;
    M->p = p;
    c->target = wfs_mallocarray(p, sizeof *c->target);
    c->tscale = wfs_mallocarray(p, sizeof *c->tscale);
    c->eta = wfs_callocarray(p, sizeof *c->eta);
    c->deta = wfs_mallocarray(p, sizeof *c->deta);
    c->J = wfs_mallocarray(p * p, sizeof *c->J);
    c->r = wfs_mallocarray(p, sizeof *c->r);
    c->ww = wfs_mallocarray(n ? n : 1, sizeof *c->ww);
    if (!c->target || !c->tscale || !c->eta || !c->deta || !c->J || !c->r || !c->ww) goto nomem;
    memcpy(c->ww, w, n * sizeof *w);
    /* Factor columns: the first margin keeps every sampled level (it spans
     * the intercept), later margins drop their reference level. */
    size_t j = 0;
    for (size_t k = 0; k < c->nb; k++) {
        wbound *b = &c->b[k];
        int32_t *colof = wfs_mallocarray(b->ncells, sizeof *colof);
        if (!colof || !(M->fcol[k] = wfs_ishared_new(n))) {
            free(colof);
            goto nomem;
        }
        for (size_t g = 0; g < b->ncells; g++) {
            colof[g] = -1;
            if (b->nrows[g] && (k == 0 || g != b->ref)) {
                colof[g] = (int32_t)j;
                c->target[j++] = b->target[g];
            }
        }
        for (size_t i = 0; i < n; i++) M->fcol[k][i] = b->cell[i] >= 0 ? colof[b->cell[i]] : -1;
        free(colof);
    }
    if (intercept) {
        if (!(M->fcol[c->nb] = wfs_ishared_new(n))) goto nomem;
        for (size_t i = 0; i < n; i++) M->fcol[c->nb][i] = w[i] != 0 ? (int32_t)j : -1;
        c->target[j++] = o.population;
    }
    /* Numeric columns. */
    size_t q = 0;
    for (size_t k = 0; k < nmarg; k++) {
        if (!m->m[k].numeric) continue;
        const char *var = m->m[k].vars[0];
        long col = wfs_table_find(d->t, var);
        if (col < 0) {
            rc =
                wfs_fail(err, WFS_ENOTFOUND, "calibration variable \"%s\" is not in the data", var);
            goto fail;
        }
        if (wfs_table_type(d->t, (size_t)col) != WFS_NUMERIC) {
            rc = wfs_fail(err, WFS_ETYPE,
                          "\"%s\" is categorical; give its totals by level (%s=LEVEL:N,...)", var,
                          var);
            goto fail;
        }
        const double *x = wfs_table_numeric(d->t, (size_t)col);
        if (!(M->num[q] = wfs_dshared_new(n))) goto nomem;
        M->nnum = q + 1;
        for (size_t i = 0; i < n; i++) {
            if (w[i] != 0 && isnan(x[i])) {
                rc = wfs_fail(err, WFS_EINVAL,
                              "calibration variable \"%s\" is missing in row %zu; give those rows "
                              "a value or a zero weight",
                              var, i + 1);
                goto fail;
            }
            M->num[q][i] = w[i] != 0 ? x[i] : 0;
        }
        M->numcol[q] = pcat + q;
        c->nummargin[q] = k;
        c->target[pcat + q] = m->m[k].total[0];
        q++;
    }
    M->nnum = nnum;
    /* Misfit scales: the target, or (for a zero target) a small fraction
     * of the sample's absolute total. */
    for (size_t jj = 0; jj < p; jj++) c->tscale[jj] = fabs(c->target[jj]);
    {
        wfs_ksum *abs_tot = wfs_callocarray(p, sizeof *abs_tot);
        size_t cols[80];
        double vals[80];
        if (!abs_tot) goto nomem;
        for (size_t i = 0; i < n; i++) {
            if (w[i] == 0) continue;
            size_t qq = row_entries(M, i, cols, vals);
            for (size_t a = 0; a < qq; a++) wfs_ksum_add(&abs_tot[cols[a]], fabs(w[i] * vals[a]));
        }
        for (size_t jj = 0; jj < p; jj++)
            c->tscale[jj] = fmax(c->tscale[jj], 1e-4 * wfs_ksum_value(&abs_tot[jj]));
        free(abs_tot);
        for (size_t jj = 0; jj < p; jj++)
            if (!(c->tscale[jj] > 0)) c->tscale[jj] = 1;
    }
    /* R's grake: if every population total exceeds 20 times its sample
     * estimate, scale the weights by the mean ratio first (R's columns:
     * intercept, treatment contrasts, numeric variables). */
    if (!c->linear_closed) {
        double smin = INFINITY, ssum = 0;
        size_t ns = 0;
        wfs_ksum tw = {0, 0};
        for (size_t i = 0; i < n; i++) wfs_ksum_add(&tw, w[i]);
        if (c->nb || intercept) {
            double s = N / wfs_ksum_value(&tw);
            smin = fmin(smin, s);
            ssum += s;
            ns++;
        }
        for (size_t k = 0; k < c->nb; k++) {
            wbound *b = &c->b[k];
            double *tot = wfs_mallocarray(b->ncells, sizeof *tot);
            if (!tot) goto nomem;
            wfs_cell_totals(tot, b, w, n);
            for (size_t g = 0; g < b->ncells; g++) {
                if (!b->nrows[g] || g == b->ref) continue;
                double s = b->target[g] / tot[g];
                smin = fmin(smin, s);
                ssum += s;
                ns++;
            }
            free(tot);
        }
        for (size_t k = 0; k < nnum; k++) {
            wfs_ksum t = {0, 0};
            for (size_t i = 0; i < n; i++) wfs_ksum_add(&t, w[i] * M->num[k][i]);
            double s = c->target[M->numcol[k]] / wfs_ksum_value(&t);
            smin = fmin(smin, s);
            ssum += s;
            ns++;
        }
        if (ns && smin > 20) {
            c->scale = ssum / (double)ns;
            for (size_t i = 0; i < n; i++) c->ww[i] *= c->scale;
        }
    }
    /* Collinear columns cannot be calibrated (R's regcalibrate fails too). */
    {
        double *G = NULL, *D = NULL;
        if ((rc = gram_factor(&G, &D, M, w, err))) goto fail;
        free(G);
        free(D);
    }
    int bad;
    cal_misfit(c, &bad);
    if (bad < 0) goto nomem;
    *out = c;
    return 0;
nomem:
    rc = wfs_nomem(err);
fail:
    wfs_calibrate_free(c);
    return rc;
}

int wfs_calibrate_init(wfs_calibration **out, const wfs_design *d, const wfs_margins *m,
                       const wfs_weighting_options *opt, wfs_error *err)
{
    if (d->rep)
        return wfs_fail(err, WFS_EINVAL, "a replicate design is calibrated with "
                                         "wfs_calibrate_run, which calibrates every replicate");
    return calibrate_init_w(out, d, d->w, m, opt, err);
}

/* The pseudo-inverse solve of J x = r (R's ginv, tolerance 256 eps of the
 * largest singular value) on the equilibrated Jacobian. */
static int pinv_solve(double *x, const double *J, const double *r, size_t p, wfs_error *err)
{
    gsl_matrix *A = gsl_matrix_alloc(p, p), *V = gsl_matrix_alloc(p, p);
    gsl_vector *S = gsl_vector_alloc(p), *work = gsl_vector_alloc(p);
    double *D = wfs_mallocarray(p, sizeof *D), *tmp = wfs_mallocarray(p, sizeof *tmp);
    int rc = 0;
    if (!A || !V || !S || !work || !D || !tmp) {
        rc = wfs_nomem(err);
        goto out;
    }
    for (size_t a = 0; a < p; a++) D[a] = J[a * p + a] > 0 ? 1 / sqrt(J[a * p + a]) : 1;
    for (size_t a = 0; a < p; a++)
        for (size_t b = 0; b < p; b++) gsl_matrix_set(A, a, b, J[a * p + b] * D[a] * D[b]);
    if (gsl_linalg_SV_decomp(A, V, S, work) != GSL_SUCCESS) {
        rc = wfs_fail(err, WFS_ECONVERGE,
                      "calibration failed: the Jacobian could not be decomposed");
        goto out;
    }
    /* x = D V S^+ U' D r */
    double smax = gsl_vector_get(S, 0), tol = 256 * DBL_EPSILON * smax;
    for (size_t k = 0; k < p; k++) {
        double sk = gsl_vector_get(S, k), s = 0;
        if (!(sk > tol)) {
            tmp[k] = 0;
            continue;
        }
        for (size_t a = 0; a < p; a++) s += gsl_matrix_get(A, a, k) * D[a] * r[a];
        tmp[k] = s / sk;
    }
    for (size_t a = 0; a < p; a++) {
        double s = 0;
        for (size_t k = 0; k < p; k++) s += gsl_matrix_get(V, a, k) * tmp[k];
        x[a] = D[a] * s;
    }
out:
    gsl_matrix_free(A);
    gsl_matrix_free(V);
    gsl_vector_free(S);
    gsl_vector_free(work);
    free(D);
    free(tmp);
    return rc;
}

int wfs_calibrate_iterate(wfs_calibration *c, wfs_error *err)
{
    const cal_model *M = &c->M;
    size_t p = M->p, cols[80];
    double vals[80];
    /* Jacobian sum ww F'(u) x x' at the current eta (R's Tmat). */
    memset(c->J, 0, p * p * sizeof *c->J);
    for (size_t i = 0; i < M->n; i++) {
        if (c->ww[i] == 0) continue;
        double dF = cal_dF(c->calfun, row_dot(M, i, c->eta), c->lower, c->upper);
        if (dF == 0) continue;
        size_t q = row_entries(M, i, cols, vals);
        double f = c->ww[i] * dF;
        for (size_t a = 0; a < q; a++)
            for (size_t b = 0; b < q; b++) c->J[cols[a] * p + cols[b]] += f * vals[a] * vals[b];
    }
    int rc = pinv_solve(c->deta, c->J, c->r, p, err);
    if (rc) return rc;
    for (size_t j = 0; j < p; j++) c->eta[j] += c->deta[j];
    int bad;
    cal_misfit(c, &bad);
    /* Halve steps that give non-finite weights (R's grake). */
    for (int h = 0; bad > 0 && h < 60; h++) {
        for (size_t j = 0; j < p; j++) {
            c->deta[j] /= 2;
            c->eta[j] -= c->deta[j];
        }
        cal_misfit(c, &bad);
    }
    if (bad < 0) return wfs_nomem(err);
    c->iter++;
    if (bad)
        return wfs_fail(err, WFS_ECONVERGE,
                        "calibration failed: the weights overflow even after step halving");
    c->converged = c->misfit < c->eps;
    return 0;
}

int wfs_calibrate_converged(const wfs_calibration *c)
{
    return c->converged;
}
size_t wfs_calibrate_iterations(const wfs_calibration *c)
{
    return c->iter;
}
double wfs_calibrate_misfit(const wfs_calibration *c)
{
    return c->misfit;
}

/* A readable name for column j: "role = Manager" or "income". */
static void column_name(wfs_buf *b, const wfs_calibration *c, size_t j)
{
    const cal_model *M = &c->M;
    for (size_t k = 0; k < M->nnum; k++)
        if (M->numcol[k] == j) {
            wfs_buf_printf(b, "the total of %s", c->margins->m[c->nummargin[k]].name);
            return;
        }
    size_t col = 0;
    for (size_t k = 0; k < c->nb; k++) {
        const wbound *bd = &c->b[k];
        for (size_t g = 0; g < bd->ncells; g++) {
            if (!bd->nrows[g] || (k > 0 && g == bd->ref)) continue;
            if (col++ == j) {
                wfs_buf_printf(b, "%s = ", bd->mg->name);
                wfs_wbound_label(b, bd, g);
                return;
            }
        }
    }
    wfs_buf_puts(b, "the population size");
}

static int calibrate_nonconverged(const wfs_calibration *c, wfs_error *err)
{
    wfs_buf lab = WFS_BUF_INIT;
    column_name(&lab, c, c->worst);
    int bounded = isfinite(c->lower) || isfinite(c->upper);
    int rc = wfs_fail(err, WFS_ECONVERGE,
                      "calibration (%s) did not converge in %zu iteration%s: %s is still off by a "
                      "relative %.3g (epsilon %g)%s",
                      wfs_calfun_name(c->calfun), c->iter, c->iter == 1 ? "" : "s",
                      lab.data ? lab.data : "", c->misfit, c->eps,
                      bounded ? "; the bounds may be too tight for these totals: widen bounds= or "
                                "raise maxit="
                              : "; raise maxit= or check the totals");
    wfs_buf_free(&lab);
    return rc;
}

static int calibrate_make_step(cal_step **out, double *neww, const wfs_calibration *c,
                               wfs_error *err)
{
    *out = NULL;
    const wfs_design *d = c->d;
    size_t n = d->n;
    cal_step *s = wfs_step_new(STEP_GREG, n, c->w0);
    if (!s) return wfs_nomem(err);
    s->calfun = c->calfun;
    s->lower = c->lower;
    s->upper = c->upper;
    s->scale = c->scale;
    s->opt = c->opt;
    s->opt.dataset = NULL;
    s->opt.control = NULL;
    cal_model *M = &s->model;
    const cal_model *src = &c->M;
    M->n = src->n;
    M->p = src->p;
    M->fcol = wfs_callocarray(src->nfac ? src->nfac : 1, sizeof *M->fcol);
    M->num = wfs_callocarray(src->nnum ? src->nnum : 1, sizeof *M->num);
    M->numcol = wfs_mallocarray(src->nnum ? src->nnum : 1, sizeof *M->numcol);
    s->eta = wfs_mallocarray(src->p, sizeof *s->eta);
    if (!M->fcol || !M->num || !M->numcol || !s->eta) goto nomem;
    /* The model's row arrays are shared with the step. */
    for (size_t f = 0; f < src->nfac; f++) M->fcol[f] = wfs_ishared_ref(src->fcol[f]);
    M->nfac = src->nfac;
    for (size_t k = 0; k < src->nnum; k++) {
        M->num[k] = wfs_dshared_ref(src->num[k]);
        M->numcol[k] = src->numcol[k];
    }
    M->nnum = src->nnum;
    memcpy(s->eta, c->eta, src->p * sizeof *s->eta);
    /* The projection for the variance: X' W0 X with the old weights. */
    if (gram_factor(&s->G, &s->D, M, c->w0, err)) {
        wfs_step_unref(s);
        return err ? err->code : WFS_EINVAL;
    }
    if (wfs_margins_copy(&s->margins, c->margins, err)) {
        wfs_step_unref(s);
        return err ? err->code : WFS_ENOMEM;
    }
    wfs_buf what = WFS_BUF_INIT;
    wfs_buf_printf(&what, "calibrated (%s", wfs_calfun_name(c->calfun));
    if (isfinite(c->lower) || isfinite(c->upper))
        wfs_buf_printf(&what, ", bounds %g,%g", c->lower, c->upper);
    wfs_buf_puts(&what, ") on ");
    size_t nm = c->margins->n;
    for (size_t k = 0; k < nm; k++)
        wfs_buf_printf(&what, "%s%s", k ? ", " : "", c->margins->m[k].name);
    if (c->opt.population > 0) wfs_buf_printf(&what, "%spopulation", nm ? ", " : "");
    if (!(s->what = wfs_buf_take(&what, NULL))) goto nomem;
    for (size_t i = 0; i < n; i++) neww[i] = c->w0[i] != 0 ? c->w0[i] * wfs_greg_g(s, i) : c->w0[i];
    *out = s;
    return 0;
nomem:
    wfs_step_unref(s);
    return wfs_nomem(err);
}

int wfs_calibrate_finish(wfs_design **out, wfs_result **report, const wfs_calibration *c,
                         wfs_error *err)
{
    *out = NULL;
    if (report) *report = NULL;
    if (!c->converged) return calibrate_nonconverged(c, err);
    const wfs_design *d = c->d;
    size_t n = d->n;
    cal_step *s = NULL;
    wfs_design *nd = NULL;
    wreport rep = {NULL, -1};
    /* The calibrated weights go straight into the new design. */
    int rc = wfs_weighted_copy(&nd, d, err);
    if (rc) return rc;
    if ((rc = calibrate_make_step(&s, nd->w, c, err))) {
        wfs_design_free(nd);
        return rc;
    }
    if ((rc = wfs_weighted_finish(nd, d, s, 0, s->what, err))) {
        wfs_step_unref(s);
        return rc;
    }
    const double *w = nd->w;
    double misfit = 0;
    if (!rc && report) {
        char method[96];
        snprintf(method, sizeof method, "calibration (%s)", wfs_calfun_name(c->calfun));
        rc = wfs_wreport_begin(&rep, "calibrate", &c->opt, method, err);
        /* Every target as the user gave it, with its misfit. */
        double *t0 = NULL, *t1 = NULL;
        for (size_t k = 0; k < c->margins->n && !rc; k++) {
            const wfs_margin *g = &c->margins->m[k];
            if (g->numeric) {
                long col = wfs_table_find(d->t, g->vars[0]);
                const double *x = wfs_table_numeric(d->t, (size_t)col);
                wfs_ksum a = {0, 0}, b = {0, 0};
                for (size_t i = 0; i < n; i++) {
                    if (w[i] == 0 && c->w0[i] == 0) continue;
                    wfs_ksum_add(&a, c->w0[i] * x[i]);
                    wfs_ksum_add(&b, w[i] * x[i]);
                }
                double after = wfs_ksum_value(&b);
                misfit = fmax(misfit, fabs(after - g->total[0]) / fmax(fabs(g->total[0]), DBL_MIN));
                if (wfs_wreport_margin(&rep, g->name, NULL, g->total[0], wfs_ksum_value(&a), after))
                    rc = wfs_nomem(err);
                continue;
            }
            const wbound *bd = NULL;
            for (size_t j = 0; j < c->nb; j++)
                if (c->bmargin[j] == k) bd = &c->b[j];
            free(t0);
            free(t1);
            t0 = wfs_mallocarray(bd->ncells, sizeof *t0);
            t1 = wfs_mallocarray(bd->ncells, sizeof *t1);
            if (!t0 || !t1) {
                rc = wfs_nomem(err);
                break;
            }
            wfs_cell_totals(t0, bd, c->w0, n);
            wfs_cell_totals(t1, bd, w, n);
            for (size_t gg = 0; gg < bd->ncells && !rc; gg++) {
                if (bd->target[gg] > 0)
                    misfit = fmax(misfit, fabs(t1[gg] - bd->target[gg]) / bd->target[gg]);
                wfs_buf lab = WFS_BUF_INIT;
                for (size_t v = 0; v < g->nvars; v++) {
                    if (v) wfs_buf_putc(&lab, '*');
                    wfs_buf_puts(&lab, g->labels[gg * g->nvars + v]);
                }
                if (lab.failed || wfs_wreport_margin(&rep, g->name, lab.data ? lab.data : "",
                                                     bd->target[gg], t0[gg], t1[gg]))
                    rc = wfs_nomem(err);
                wfs_buf_free(&lab);
            }
        }
        free(t0);
        free(t1);
        if (!rc && c->opt.population > 0) {
            wfs_ksum a = {0, 0};
            for (size_t i = 0; i < n; i++) wfs_ksum_add(&a, w[i]);
            if (wfs_wreport_margin(&rep, "population", NULL, c->opt.population, d->sumw,
                                   wfs_ksum_value(&a)))
                rc = wfs_nomem(err);
        }
        if (!rc) {
            int bad = 0;
            if (isfinite(c->lower) || isfinite(c->upper)) {
                wfs_value v = wfs_value_num(c->lower);
                bad |= wfs_result_add_field(rep.r, "bound_lower", &v);
                v = wfs_value_num(c->upper);
                bad |= wfs_result_add_field(rep.r, "bound_upper", &v);
            }
            if (c->scale != 1) {
                wfs_value v = wfs_value_num(c->scale);
                bad |= wfs_result_add_field(rep.r, "rescaled", &v);
                bad |= wfs_result_add_note(rep.r,
                                           "every population total exceeds 20 times its "
                                           "estimate, so the weights were first scaled by %.6g "
                                           "(as R's grake) and the bounds apply to the scaled "
                                           "weights",
                                           c->scale);
            }
            if (bad) rc = wfs_nomem(err);
        }
        if (!rc) rc = wfs_wreport_finish(report, &rep, (long)c->iter, misfit, 1, nd, err);
    }
    if (!rc) {
        *out = nd;
        nd = NULL;
    }
    wfs_step_unref(s);
    wfs_design_free(nd);
    wfs_wreport_free(&rep);
    return rc;
}

static int calibrate_loop(wfs_calibration *c, wfs_error *err)
{
    const wfs_control *ctl = c->opt.control;
    int rc = 0;
    /* At least one Newton step, as R. */
    do {
        if (wfs_interrupted(ctl)) return wfs_fail(err, WFS_EINTR, "interrupted");
        if ((rc = wfs_calibrate_iterate(c, err))) return rc;
    } while (!c->converged && c->iter < c->maxit);
    return c->converged ? 0 : calibrate_nonconverged(c, err);
}

int wfs_calibrate_run(wfs_design **out, wfs_result **report, const wfs_design *d,
                      const wfs_margins *m, const wfs_weighting_options *opt, wfs_error *err)
{
    if (d->rep) {
        wfs_rw_args a = {WFS_RW_CAL, m, opt, NULL, NULL, 0};
        return wfs_rep_weighting(out, report, d, &a, err);
    }
    *out = NULL;
    if (report) *report = NULL;
    wfs_calibration *c;
    int rc = wfs_calibrate_init(&c, d, m, opt, err);
    if (rc) return rc;
    if (!(rc = calibrate_loop(c, err))) rc = wfs_calibrate_finish(out, report, c, err);
    wfs_calibrate_free(c);
    return rc;
}

int wfs_calibrate_redo(cal_step **out, double *neww, const wfs_design *d, const cal_step *s,
                       const double *w, size_t *iterations, double *misfit, wfs_error *err)
{
    *out = NULL;
    wfs_calibration *c;
    int rc = calibrate_init_w(&c, d, w, s->margins, &s->opt, err);
    if (rc) return rc;
    if (!(rc = calibrate_loop(c, err))) rc = calibrate_make_step(out, neww, c, err);
    *iterations = c->iter;
    *misfit = c->misfit;
    wfs_calibrate_free(c);
    return rc;
}
