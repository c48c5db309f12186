/* weighting.c - post-stratification, raking, trimming, nonresponse
 * adjustment, weight diagnostics, and the calibration steps that give
 * weighted designs R's variances.
 *
 * A weighting command makes a new design; post-stratification, raking and
 * calibration append a step to its calibration list (R's postStrata). When
 * an estimator asks, the steps replace the row influence values x by their
 * residuals, in order, exactly as R's svyrecvar (survey 4.1-1) does:
 *
 *   post-stratification: x <- x - psw * m_g, m_g = sum_g(x oldw / psw) /
 *       sum_g(oldw), psw the weights after the step, oldw before it;
 *   raking (class "raking"): 10 sweeps of, for each margin m in order,
 *       x <- x - psw_m * ave_g(x / psw_m), psw_m the weights right after
 *       post-stratifying on margin m in the last cycle, ave the unweighted
 *       mean over the rows of level g;
 *   calibration (greg_calibration, stage 0): see calibrate.c.
 *
 * Raking works on the table of distinct margin cells: the weights of every
 * row in a cell change by the same factor, so a cycle costs O(cells), and
 * the 10 backfitting sweeps of the variance run on per-cell sums of x/oldw
 * (an update x <- x - oldw F_c a changes x/oldw by the same amount for
 * every row of cell c).
 *
 * Missing values and weights: rows with a zero weight are outside the
 * sample; they keep weight zero, need no level, and contribute no
 * residual (R's postStratify lets them contribute -m_g; its rake and
 * calibrate give NaN). Missing values of a weighting variable in sampled
 * rows are errors.
 */
#include "config.h"

#include <float.h>
#include <stdio.h>

#include "weighting-private.h"

/* ------------------------------------------------------------------ */
/* Shared arrays, weight vectors and steps                             */
/* ------------------------------------------------------------------ */

/* A reference count in front of the data; 16 bytes keep doubles aligned. */
typedef struct shared_head {
    _Atomic size_t refs;
    size_t pad;
} shared_head;

static void *shared_new(size_t n, size_t size)
{
    if (n > (SIZE_MAX - sizeof(shared_head)) / size) return NULL;
    shared_head *h = malloc(sizeof *h + (n ? n : 1) * size);
    if (!h) return NULL;
    h->refs = 1;
    return h + 1;
}

static void *shared_ref(void *p)
{
    if (p) ((shared_head *)p - 1)->refs++;
    return p;
}

static void shared_unref(void *p)
{
    if (!p) return;
    shared_head *h = (shared_head *)p - 1;
    if (--h->refs == 0) free(h);
}

int32_t *wfs_ishared_new(size_t n)
{
    return shared_new(n, sizeof(int32_t));
}
int32_t *wfs_ishared_ref(int32_t *p)
{
    return shared_ref(p);
}
void wfs_ishared_unref(int32_t *p)
{
    shared_unref(p);
}
double *wfs_dshared_new(size_t n)
{
    return shared_new(n, sizeof(double));
}
double *wfs_dshared_ref(double *p)
{
    return shared_ref(p);
}
void wfs_dshared_unref(double *p)
{
    shared_unref(p);
}

wvec *wfs_wvec_new(const double *w, size_t n)
{
    if (n > (SIZE_MAX - sizeof(wvec)) / sizeof(double)) return NULL;
    wvec *v = malloc(sizeof *v + n * sizeof(double));
    if (!v) return NULL;
    v->refs = 1;
    v->n = n;
    if (n) memcpy(v->w, w, n * sizeof(double));
    return v;
}

wvec *wfs_wvec_ref(wvec *v)
{
    if (v) v->refs++;
    return v;
}

void wfs_wvec_unref(wvec *v)
{
    if (v && --v->refs == 0) free(v);
}

cal_step *wfs_step_new(enum step_kind kind, size_t n, const double *oldw)
{
    cal_step *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->refs = 1;
    s->kind = kind;
    s->n = n;
    s->lower = -INFINITY;
    s->upper = INFINITY;
    s->scale = 1;
    if (!(s->oldw = wfs_wvec_new(oldw, n))) {
        free(s);
        return NULL;
    }
    return s;
}

void wfs_step_unref(cal_step *s)
{
    if (!s || --s->refs) return;
    wfs_wvec_unref(s->oldw);
    wfs_ishared_unref(s->cell);
    free(s->cellrows);
    free(s->cellw);
    free(s->factor);
    free(s->mcode);
    free(s->nlev);
    free(s->mfactor);
    wfs_cal_model_free(&s->model);
    free(s->G);
    free(s->D);
    free(s->eta);
    wfs_margins_free(s->margins);
    free(s->what);
    free(s);
}

/* ------------------------------------------------------------------ */
/* Residuals (the design's calibration hook)                           */
/* ------------------------------------------------------------------ */

/* Per-cell compensated sums of X[i,k] / den[i] (den NULL: by factor of
 * the cell) over the sampled rows. Rows whose values are all zero (outside
 * the domain) are skipped. */
static void cell_sums(double *S, const cal_step *s, const double *X, size_t B, const double *den,
                      double *comp)
{
    size_t n = s->n, C = s->ncells;
    memset(S, 0, C * B * sizeof *S);
    memset(comp, 0, C * B * sizeof *comp);
    for (size_t i = 0; i < n; i++) {
        int32_t c = s->cell[i];
        if (c < 0) continue;
        const double *x = X + i * B;
        int any = 0;
        for (size_t k = 0; k < B; k++) any |= x[k] != 0;
        if (!any) continue;
        double inv = 1 / (den ? den[i] : s->factor[c]);
        for (size_t k = 0; k < B; k++) wfs_nadd(&S[c * B + k], &comp[c * B + k], x[k] * inv);
    }
    for (size_t j = 0; j < C * B; j++) S[j] += comp[j];
}

/* svyrecvar, post-stratum branch: psmeans = rowsum(x oldw / psw, g) /
 * sum_g(oldw); x <- x - psmeans[g] psw, with psw = oldw * factor[g].
 * From the cell sums S (of x / factor) to psmeans m. */
static int poststrat_adjust(const void *step, double *S, size_t B, double *m, wfs_error *err)
{
    const cal_step *s = step;
    (void)err;
    for (size_t c = 0; c < s->ncells; c++)
        for (size_t k = 0; k < B; k++)
            m[c * B + k] = s->cellw[c] != 0 ? S[c * B + k] / s->cellw[c] : 0;
    return 0;
}

static void poststrat_apply(const cal_step *s, size_t i, const double *m, double *x, size_t B)
{
    int32_t c = s->cell[i];
    if (c < 0) return;
    double psw = s->oldw->w[i] * s->factor[c];
    for (size_t k = 0; k < B; k++) x[k] -= m[c * B + k] * psw;
}

static int poststrat_resid(const cal_step *s, double *X, size_t B, wfs_error *err)
{
    size_t n = s->n, C = s->ncells;
    double *m = wfs_mallocarray(C * B, sizeof *m), *comp = wfs_mallocarray(C * B, sizeof *comp);
    if (!m || !comp) {
        free(m);
        free(comp);
        return wfs_nomem(err);
    }
    cell_sums(comp, s, X, B, NULL, m); /* m is the compensation here */
    poststrat_adjust(s, comp, B, m, err);
    for (size_t i = 0; i < n; i++) poststrat_apply(s, i, m, X + i * B, B);
    free(m);
    free(comp);
    return 0;
}

/* svyrecvar, "raking" branch: 10 sweeps of x <- x - psw_m ave(x / psw_m,
 * margin m) over the margins, run on per-cell sums S_c of x / oldw (S is
 * changed). Dc: the cells' total adjustment, x <- x - oldw Dc. */
static int rake_adjust(const void *step, double *S, size_t B, double *Dc, wfs_error *err)
{
    const cal_step *s = step;
    size_t C = s->ncells, M = s->nmarg, maxlev = 0;
    for (size_t m = 0; m < M; m++)
        if (s->nlev[m] > maxlev) maxlev = s->nlev[m];
    wfs_ksum *A = wfs_callocarray(maxlev * B, sizeof *A);
    double *Nl = wfs_mallocarray(maxlev, sizeof *Nl);
    if (!A || !Nl) {
        free(A);
        free(Nl);
        return wfs_nomem(err);
    }
    memset(Dc, 0, C * B * sizeof *Dc);
    for (int sweep = 0; sweep < 10; sweep++) {
        for (size_t m = 0; m < M; m++) {
            size_t L = s->nlev[m];
            memset(A, 0, L * B * sizeof *A);
            memset(Nl, 0, L * sizeof *Nl);
            for (size_t c = 0; c < C; c++) {
                size_t g = (size_t)s->mcode[c * M + m];
                double F = s->mfactor[c * M + m];
                Nl[g] += (double)s->cellrows[c];
                for (size_t k = 0; k < B; k++) wfs_ksum_add(&A[g * B + k], S[c * B + k] / F);
            }
            for (size_t c = 0; c < C; c++) {
                size_t g = (size_t)s->mcode[c * M + m];
                double F = s->mfactor[c * M + m];
                for (size_t k = 0; k < B; k++) {
                    double a = F * (wfs_ksum_value(&A[g * B + k]) / Nl[g]);
                    S[c * B + k] -= (double)s->cellrows[c] * a;
                    Dc[c * B + k] += a;
                }
            }
        }
    }
    free(A);
    free(Nl);
    return 0;
}

static void rake_apply(const cal_step *s, size_t i, const double *Dc, double *x, size_t B)
{
    int32_t c = s->cell[i];
    if (c < 0) return;
    double ow = s->oldw->w[i];
    for (size_t k = 0; k < B; k++) x[k] -= ow * Dc[c * B + k];
}

static int rake_resid(const cal_step *s, double *X, size_t B, wfs_error *err)
{
    size_t n = s->n, C = s->ncells;
    double *ks = wfs_mallocarray(C * B, sizeof *ks);
    double *S = wfs_mallocarray(C * B, sizeof *S);
    double *Dc = wfs_mallocarray(C * B, sizeof *Dc);
    int rc = 0;
    if (!ks || !S || !Dc) {
        rc = wfs_nomem(err);
        goto out;
    }
    cell_sums(S, s, X, B, s->oldw->w, ks);
    if ((rc = rake_adjust(s, S, B, Dc, err))) goto out;
    for (size_t i = 0; i < n; i++) rake_apply(s, i, Dc, X + i * B, B);
out:
    free(ks);
    free(S);
    free(Dc);
    return rc;
}

static int calib_resid(const wfs_calib *cal, const wfs_design *d, double *X, size_t B,
                       wfs_error *err)
{
    int rc = 0;
    for (size_t k = 0; k < cal->nsteps && !rc; k++) {
        const cal_step *s = cal->steps[k];
        if (s->n != d->n) return wfs_fail(err, WFS_EINVAL, "the calibration does not fit the data");
        switch (s->kind) {
        case STEP_POSTSTRAT:
            rc = poststrat_resid(s, X, B, err);
            break;
        case STEP_RAKE:
            rc = rake_resid(s, X, B, err);
            break;
        case STEP_GREG:
            rc = wfs_greg_resid(s, X, B, err);
            break;
        }
    }
    return rc;
}

static wfs_calib *calib_copy(const wfs_calib *cal)
{
    wfs_calib *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    if (cal->nsteps) {
        c->steps = wfs_mallocarray(cal->nsteps, sizeof *c->steps);
        if (!c->steps) {
            free(c);
            return NULL;
        }
        for (size_t k = 0; k < cal->nsteps; k++) {
            c->steps[k] = cal->steps[k];
            c->steps[k]->refs++;
        }
    }
    c->nsteps = cal->nsteps;
    return c;
}

static void calib_free(wfs_calib *cal)
{
    if (!cal) return;
    for (size_t k = 0; k < cal->nsteps; k++) wfs_step_unref(cal->steps[k]);
    free(cal->steps);
    free(cal);
}

/* One post-stratification or raking step: the engine forms its residuals
 * from cell sums, without a rows x B array. */
static int calib_cells(const wfs_calib *cal, const wfs_design *d, wfs_cal_cells *out)
{
    if (cal->nsteps != 1) return 0;
    const cal_step *s = cal->steps[0];
    if (s->n != d->n || (s->kind != STEP_POSTSTRAT && s->kind != STEP_RAKE)) return 0;
    out->ncells = s->ncells;
    out->cell = s->cell;
    out->den = s->kind == STEP_RAKE ? s->oldw->w : NULL;
    out->cellden = s->factor;
    /* psw = oldw factor for a post-stratum (rake_apply, poststrat_apply) */
    out->mul = s->oldw->w;
    out->cellmul = s->kind == STEP_RAKE ? NULL : s->factor;
    out->step = s;
    out->adjust = s->kind == STEP_RAKE ? rake_adjust : poststrat_adjust;
    return 1;
}

static const wfs_calib_ops calib_ops = {calib_resid, calib_copy, calib_free, calib_cells};

/* The last calibration step of a design, or NULL. */
static const cal_step *last_step(const wfs_design *d)
{
    if (!d->cal || d->cal_ops != &calib_ops || d->cal->nsteps == 0) return NULL;
    return d->cal->steps[d->cal->nsteps - 1];
}

int wfs_weighted_copy(wfs_design **out, const wfs_design *d, wfs_error *err)
{
    *out = NULL;
    if (d->cal && d->cal_ops != &calib_ops)
        return wfs_fail(err, WFS_EINVAL, "this design's weights cannot be changed again");
    return wfs_design_copy(out, d, err);
}

int wfs_weighted_finish(wfs_design *nd, const wfs_design *d, cal_step *step, int replace,
                        const char *what, wfs_error *err)
{
    const double *w = nd->w;
    nd->sumw = wfs_sum(w, d->n);
    if (!(nd->sumw > 0) || isinf(nd->sumw)) {
        double sw = nd->sumw;
        wfs_design_free(nd);
        if (!isnan(sw) && !isinf(sw))
            return wfs_fail(err, WFS_EINVAL,
                            "the new weights sum to %g; weights must sum to a positive total", sw);
        return wfs_fail(err, WFS_EINVAL,
                        "the new weights do not sum to a finite number: are the population "
                        "totals too large (their sum must stay below 1e308)?");
    }
    /* The df counts PSUs with sampled rows: recount only when the rows
     * with zero weight changed (nonresponse). */
    size_t i = 0;
    while (i < d->n && (w[i] == 0) == (d->w[i] == 0)) i++;
    if (i < d->n) nd->df = wfs_domain_df(nd, NULL);
    if (step) {
        wfs_calib *cal = nd->cal;
        if (!cal) {
            if (!(cal = calloc(1, sizeof *cal))) goto nomem;
            nd->cal = cal;
            nd->cal_ops = &calib_ops;
        }
        if (replace && cal->nsteps) {
            wfs_step_unref(cal->steps[cal->nsteps - 1]);
            cal->steps[cal->nsteps - 1] = step;
        } else {
            cal_step **p = wfs_reallocarray(cal->steps, cal->nsteps + 1, sizeof *p);
            if (!p) goto nomem;
            cal->steps = p;
            cal->steps[cal->nsteps++] = step;
        }
        step->refs++;
        nd->calibrated = 1;
    }
    if (what) {
        wfs_buf b = WFS_BUF_INIT;
        wfs_buf_printf(&b, "%s; %s", nd->describe, what);
        char *str = wfs_buf_take(&b, NULL);
        if (!str) goto nomem;
        free(nd->describe);
        nd->describe = str;
    }
    return 0;
nomem:
    wfs_design_free(nd);
    return wfs_nomem(err);
}

int wfs_weighted_design(wfs_design **out, const wfs_design *d, const double *w, cal_step *step,
                        int replace, const char *what, wfs_error *err)
{
    wfs_design *nd;
    int rc = wfs_weighted_copy(&nd, d, err);
    if (rc) return rc;
    memcpy(nd->w, w, d->n * sizeof *w);
    if ((rc = wfs_weighted_finish(nd, d, step, replace, what, err))) return rc;
    *out = nd;
    return 0;
}

/* The design's own weight of row i; col the weight variable or NULL. */
static double base_weight(const wfs_design *d, const double *col, size_t i)
{
    if (col) return col[i];
    if (!d->weights_from_fpc) return 1;
    /* As wfs_design_new: the product over stages of N / n. */
    double v = 1;
    for (size_t s = 1; s <= d->nstages; s++) {
        size_t p = s == 1 ? (d->stratum ? d->stratum[i] : 0)
                          : (d->lev[s - 1].unit ? d->lev[s - 1].unit[i] : i);
        v *= d->lev[s].popsize[p] / (double)d->lev[s].count[p];
    }
    return v;
}

static const double *base_column(const wfs_design *d)
{
    long col = d->spec.weight ? wfs_table_find(d->t, d->spec.weight) : -1;
    return col >= 0 ? wfs_table_numeric(d->t, (size_t)col) : NULL;
}

void wfs_design_base_weights(double *w, const wfs_design *d)
{
    const double *col = base_column(d);
    for (size_t i = 0; i < d->n; i++) w[i] = base_weight(d, col, i);
}

/* ------------------------------------------------------------------ */
/* Diagnostics and reports                                             */
/* ------------------------------------------------------------------ */

typedef struct wdiag {
    size_t n, nzero, nneg;
    double sum, mean, min, max, ratio, cv, deff, neff;
    int has_g;
    double gmin, gmax;
} wdiag;

static int weight_diag(wdiag *s, const wfs_design *d, wfs_error *err)
{
    memset(s, 0, sizeof *s);
    const double *w = d->w;
    wfs_ksum sum = {0, 0}, ss = {0, 0};
    s->min = INFINITY;
    s->max = -INFINITY;
    for (size_t i = 0; i < d->n; i++) {
        if (w[i] == 0) {
            s->nzero++;
            continue;
        }
        s->n++;
        s->nneg += w[i] < 0;
        wfs_ksum_add(&sum, w[i]);
        if (w[i] < s->min) s->min = w[i];
        if (w[i] > s->max) s->max = w[i];
    }
    s->sum = wfs_ksum_value(&sum);
    if (s->n == 0) return wfs_fail(err, WFS_EDOMAIN, "every weight is zero");
    s->mean = s->sum / (double)s->n;
    /* The second pass: squared deviations, and g against the design's
     * own weights. */
    const double *col = base_column(d);
    s->gmin = INFINITY;
    s->gmax = -INFINITY;
    for (size_t i = 0; i < d->n; i++) {
        double b = base_weight(d, col, i);
        if (w[i] != b) s->has_g = 1;
        if (w[i] == 0) continue;
        wfs_ksum_add(&ss, (w[i] - s->mean) * (w[i] - s->mean));
        if (b == 0) continue;
        double g = w[i] / b;
        if (g < s->gmin) s->gmin = g;
        if (g > s->gmax) s->gmax = g;
    }
    /* Kish (1965): deff_w = 1 + CV^2 with the population variance, so that
     * n_eff = n / deff_w = (sum w)^2 / sum w^2. */
    s->cv = sqrt(wfs_ksum_value(&ss) / (double)s->n) / s->mean;
    s->deff = 1 + s->cv * s->cv;
    s->neff = (double)s->n / s->deff;
    s->ratio = s->min > 0 ? s->max / s->min : NAN;
    return 0;
}
static int add_num(wfs_result *r, const char *key, double x)
{
    wfs_value v = wfs_value_num(x);
    return wfs_result_add_field(r, key, &v);
}

static int add_int(wfs_result *r, const char *key, long long x)
{
    wfs_value v = wfs_value_int(x);
    return wfs_result_add_field(r, key, &v);
}

static int add_diag_fields(wfs_result *r, const wdiag *s, int full)
{
    int rc = 0;
    rc |= add_int(r, "n", (long long)s->n);
    if (full && s->nzero) rc |= add_int(r, "n_zero", (long long)s->nzero);
    rc |= add_num(r, "sum_weights", s->sum);
    if (full) rc |= add_num(r, "mean", s->mean);
    rc |= add_num(r, "min", s->min);
    rc |= add_num(r, "max", s->max);
    rc |= add_num(r, "ratio", s->ratio);
    rc |= add_num(r, "cv", s->cv);
    rc |= add_num(r, "deff_kish", s->deff);
    rc |= add_num(r, "n_eff", s->neff);
    if (s->has_g) {
        rc |= add_num(r, "g_min", s->gmin);
        rc |= add_num(r, "g_max", s->gmax);
    }
    if (s->neff < (double)s->n / 2)
        rc |= wfs_result_add_note(r,
                                  "warning: the effective sample size (%.1f) is below half the "
                                  "sample (%zu): the weighting costs more than half the precision",
                                  s->neff, s->n);
    if (s->nneg)
        rc |= wfs_result_add_note(r,
                                  "warning: %zu weight%s negative (linear calibration); bound them "
                                  "with bounds=LO,HI or use method=raking",
                                  s->nneg, s->nneg == 1 ? " is" : "s are");
    return rc;
}

int wfs_wreport_begin(wreport *rep, const char *command, const wfs_weighting_options *opt,
                      const char *method, wfs_error *err)
{
    rep->margins = -1;
    int rc = wfs_result_new(&rep->r, command, opt ? opt->dataset : NULL, err);
    if (rc) return rc;
    wfs_result_set_layout(rep->r, WFS_LAYOUT_FIELDS);
    wfs_value v = wfs_value_str(method);
    if (wfs_result_add_field(rep->r, "method", &v)) return wfs_nomem(err);
    return 0;
}

int wfs_wreport_margin(wreport *rep, const char *var, const char *level, double pop, double before,
                       double after)
{
    static const char *cols[] = {"variable", "level", "population", "before", "after"};
    if (rep->margins < 0) {
        rep->margins = wfs_result_add_records(rep->r, "margins", 5, cols);
        if (rep->margins < 0) return WFS_ENOMEM;
    }
    wfs_value cells[5] = {wfs_value_str(var), level ? wfs_value_str(level) : wfs_value_null(),
                          wfs_value_num(pop), wfs_value_num(before), wfs_value_num(after)};
    return wfs_result_add_record(rep->r, (size_t)rep->margins, cells);
}

int wfs_wreport_finish(wfs_result **out, wreport *rep, long iterations, double misfit,
                       int converged, const wfs_design *nd, wfs_error *err)
{
    int rc = 0;
    wdiag s;
    if (iterations >= 0) rc |= add_int(rep->r, "iterations", iterations);
    if (!isnan(misfit)) rc |= add_num(rep->r, "misfit", misfit);
    if (iterations >= 0) {
        wfs_value v = wfs_value_bool(converged);
        rc |= wfs_result_add_field(rep->r, "converged", &v);
    }
    if (rc) return wfs_nomem(err);
    if ((rc = weight_diag(&s, nd, err))) return rc;
    if (add_diag_fields(rep->r, &s, 0) || wfs_result_add_design_footers(rep->r, nd, err))
        return wfs_nomem(err);
    if (out) {
        *out = rep->r;
        rep->r = NULL;
    }
    return 0;
}

void wfs_wreport_free(wreport *rep)
{
    wfs_result_free(rep->r);
    rep->r = NULL;
}

int wfs_weights_report(wfs_result **out, const wfs_design *d, const wfs_weighting_options *opt,
                       wfs_error *err)
{
    *out = NULL;
    wdiag s;
    int rc = weight_diag(&s, d, err);
    if (rc) return rc;
    wfs_result *r;
    if ((rc = wfs_result_new(&r, "weights", opt ? opt->dataset : NULL, err))) return rc;
    wfs_result_set_layout(r, WFS_LAYOUT_FIELDS);
    if (add_diag_fields(r, &s, 1) || wfs_result_add_design_footers(r, d, err)) {
        wfs_result_free(r);
        return wfs_nomem(err);
    }
    *out = r;
    return 0;
}

/* Largest relative misfit of a bound margin under weights w; *worst gets
 * the cell. */
static double bound_misfit(const wbound *b, const double *tot, size_t *worst)
{
    double mf = 0;
    for (size_t c = 0; c < b->ncells; c++) {
        if (b->target[c] == 0) continue;
        double e = fabs(tot[c] - b->target[c]) / b->target[c];
        if (e > mf || isnan(e)) {
            mf = e;
            if (worst) *worst = c;
        }
    }
    return mf;
}

/* Margin rows of a report: population, and the totals before and after
 * per cell. */
static int report_levels(wreport *rep, const wbound *b, const double *t0, const double *t1,
                         wfs_error *err)
{
    int rc = 0;
    for (size_t c = 0; c < b->ncells && !rc; c++) {
        wfs_buf lab = WFS_BUF_INIT;
        const wfs_margin *g = b->mg;
        for (size_t k = 0; k < g->nvars; k++) {
            if (k) wfs_buf_putc(&lab, '*');
            wfs_buf_puts(&lab, g->labels[c * g->nvars + k]);
        }
        if (lab.failed ||
            wfs_wreport_margin(rep, g->name, lab.data ? lab.data : "", b->target[c], t0[c], t1[c]))
            rc = wfs_nomem(err);
        wfs_buf_free(&lab);
    }
    return rc;
}

static size_t default_maxit(const wfs_weighting_options *opt, size_t def)
{
    return opt && opt->maxit ? opt->maxit : def;
}

static double default_eps(const wfs_weighting_options *opt)
{
    return opt && opt->epsilon > 0 ? opt->epsilon : WFS_DEFAULT_EPSILON;
}

static int check_opt(const wfs_weighting_options *opt, wfs_error *err)
{
    if (opt && (opt->epsilon < 0 || !isfinite(opt->epsilon)))
        return wfs_fail(err, WFS_EINVAL, "epsilon must be a small positive number (got %g)",
                        opt->epsilon);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Post-stratification                                                 */
/* ------------------------------------------------------------------ */

/* R's postStratify: w <- w N_g / N^_g on one (possibly crossed) margin. */
static int poststrat_core(cal_step **out, double *neww, const wfs_design *d, const double *w,
                          const wfs_margins *m, const wfs_weighting_options *opt, wbound *b,
                          wfs_error *err)
{
    *out = NULL;
    if (m->n != 1)
        return wfs_fail(err, WFS_EINVAL,
                        "post-stratification takes one margin (%zu given); cross the variables "
                        "(role*region) or use rake for several margins",
                        m->n);
    int rc = wfs_wbound_init(b, d, &m->m[0], w, err);
    if (rc) return rc;
    size_t n = d->n, C = b->ncells;
    double *tot = wfs_mallocarray(C, sizeof *tot);
    cal_step *s = wfs_step_new(STEP_POSTSTRAT, n, w);
    if (!tot || !s) {
        free(tot);
        wfs_step_unref(s);
        return wfs_nomem(err);
    }
    wfs_cell_totals(tot, b, w, n);
    s->ncells = C;
    s->factor = wfs_mallocarray(C, sizeof *s->factor);
    s->cellrows = wfs_mallocarray(C, sizeof *s->cellrows);
    s->cellw = wfs_mallocarray(C, sizeof *s->cellw);
    if (!s->factor || !s->cellrows || !s->cellw) rc = wfs_nomem(err);
    for (size_t c = 0; c < C && !rc; c++) {
        s->cellrows[c] = b->nrows[c];
        s->cellw[c] = tot[c];
        s->factor[c] = 1;
        if (!b->nrows[c]) continue;
        if (!(tot[c] > 0)) {
            wfs_buf lab = WFS_BUF_INIT;
            wfs_wbound_label(&lab, b, c);
            rc = wfs_fail(err, WFS_EINVAL,
                          "the weights of \"%s\" in margin %s sum to %g; post-stratification "
                          "needs a positive sum in every cell",
                          lab.data ? lab.data : "", b->mg->name, tot[c]);
            wfs_buf_free(&lab);
            break;
        }
        s->factor[c] = b->target[c] / tot[c];
    }
    free(tot);
    if (rc) {
        wfs_step_unref(s);
        return rc;
    }
    for (size_t i = 0; i < n; i++) neww[i] = b->cell[i] >= 0 ? w[i] * s->factor[b->cell[i]] : w[i];
    s->cell = wfs_ishared_ref(b->cell);
    if (wfs_margins_copy(&s->margins, m, err)) {
        wfs_step_unref(s);
        return err ? err->code : WFS_ENOMEM;
    }
    if (opt) s->opt = *opt;
    s->opt.dataset = NULL;
    s->opt.control = NULL;
    wfs_buf what = WFS_BUF_INIT;
    wfs_buf_printf(&what, "post-stratified on %s", m->m[0].name);
    if (!(s->what = wfs_buf_take(&what, NULL))) {
        wfs_step_unref(s);
        return wfs_nomem(err);
    }
    *out = s;
    return 0;
}

int wfs_poststratify_run(wfs_design **out, wfs_result **report, const wfs_design *d,
                         const wfs_margins *m, const wfs_weighting_options *opt, wfs_error *err)
{
    if (d->rep) {
        wfs_rw_args a = {WFS_RW_POST, m, opt, NULL, NULL, 0};
        return wfs_rep_weighting(out, report, d, &a, err);
    }
    *out = NULL;
    if (report) *report = NULL;
    int rc = check_opt(opt, err);
    if (rc) return rc;
    wbound b;
    cal_step *s = NULL;
    wfs_design *nd = NULL;
    wreport rep = {NULL, -1};
    double *t1 = NULL;
    memset(&b, 0, sizeof b);
    if ((rc = wfs_weighted_copy(&nd, d, err))) return rc;
    if ((rc = poststrat_core(&s, nd->w, d, d->w, m, opt, &b, err))) goto out;
    rc = wfs_weighted_finish(nd, d, s, 0, s->what, err);
    if (rc) {
        nd = NULL;
        goto out;
    }
    if (report) {
        /* Totals before (the step's cell sums) and after, per cell. */
        if (!(t1 = wfs_mallocarray(b.ncells, sizeof *t1))) {
            rc = wfs_nomem(err);
            goto out;
        }
        for (size_t c = 0; c < b.ncells; c++) t1[c] = s->cellw[c] * s->factor[c];
        double mf = bound_misfit(&b, t1, NULL);
        if ((rc = wfs_wreport_begin(&rep, "poststratify", opt, "post-stratification", err)) ||
            (rc = report_levels(&rep, &b, s->cellw, t1, err)) ||
            (rc = wfs_wreport_finish(report, &rep, 1, mf, 1, nd, err)))
            goto out;
    }
    *out = nd;
    nd = NULL;
out:
    free(t1);
    wfs_wbound_free(&b);
    wfs_step_unref(s);
    wfs_design_free(nd);
    wfs_wreport_free(&rep);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Raking                                                              */
/* ------------------------------------------------------------------ */

struct wfs_rake {
    const wfs_design *d;
    wfs_weighting_options opt;
    wfs_margins *margins;
    const double *w0; /* the weights raking starts from (borrowed) */
    size_t M;
    wbound *b; /* M bound margins */
    size_t ncells;
    int32_t *cell; /* per row */
    size_t *cellrows;
    double *T;       /* cell totals of w0 */
    double *f;       /* current cell factors */
    int32_t *mcode;  /* ncells x M */
    double *mfactor; /* ncells x M */
    size_t maxlev;
    wfs_ksum *S; /* scratch, maxlev */
    size_t iter, maxit;
    double eps, misfit;
    size_t worst_m, worst_g;
    int converged;
};

void wfs_rake_free(wfs_rake *rk)
{
    if (!rk) return;
    for (size_t m = 0; m < rk->M && rk->b; m++) wfs_wbound_free(&rk->b[m]);
    free(rk->b);
    wfs_margins_free(rk->margins);
    wfs_ishared_unref(rk->cell);
    free(rk->cellrows);
    free(rk->T);
    free(rk->f);
    free(rk->mcode);
    free(rk->mfactor);
    free(rk->S);
    free(rk);
}

/* Totals of margin m over the cells with factors f into tot (levels). */
static void rake_margin_totals(double *tot, wfs_rake *rk, size_t m)
{
    size_t L = rk->b[m].ncells, M = rk->M;
    memset(rk->S, 0, L * sizeof *rk->S);
    for (size_t c = 0; c < rk->ncells; c++)
        wfs_ksum_add(&rk->S[rk->mcode[c * M + m]], rk->T[c] * rk->f[c]);
    for (size_t g = 0; g < L; g++) tot[g] = wfs_ksum_value(&rk->S[g]);
}

static void rake_update_misfit(wfs_rake *rk, double *tot)
{
    rk->misfit = 0;
    for (size_t m = 0; m < rk->M; m++) {
        rake_margin_totals(tot, rk, m);
        size_t g = 0;
        double e = bound_misfit(&rk->b[m], tot, &g);
        if (e > rk->misfit || isnan(e)) {
            rk->misfit = e;
            rk->worst_m = m;
            rk->worst_g = g;
        }
    }
}

static int rake_init_w(wfs_rake **out, const wfs_design *d, const double *w, const wfs_margins *m,
                       const wfs_weighting_options *opt, wfs_error *err)
{
    *out = NULL;
    int rc = check_opt(opt, err);
    if (rc) return rc;
    if (m->n == 0) return wfs_fail(err, WFS_EINVAL, "rake needs at least one margin");
    for (size_t k = 0; k < m->n; k++)
        if (m->m[k].numeric)
            return wfs_fail(err, WFS_EINVAL,
                            "\"%s\" has a numeric total; rake takes totals by level (use "
                            "calibrate for numeric totals)",
                            m->m[k].name);
    wfs_rake *rk = calloc(1, sizeof *rk);
    if (!rk) return wfs_nomem(err);
    rk->d = d;
    if (opt) rk->opt = *opt;
    rk->w0 = w;
    rk->maxit = default_maxit(opt, 1000);
    rk->eps = default_eps(opt);
    rk->M = m->n;
    size_t n = d->n, M = m->n;
    if ((rc = wfs_margins_copy(&rk->margins, m, err))) goto fail;
    if (!(rk->b = wfs_callocarray(M, sizeof *rk->b))) goto nomem;
    for (size_t k = 0; k < M; k++) {
        if ((rc = wfs_wbound_init(&rk->b[k], d, &rk->margins->m[k], w, err))) goto fail;
        if (rk->b[k].ncells > rk->maxlev) rk->maxlev = rk->b[k].ncells;
    }
    /* The margins must describe the same population. */
    double tot0 = 0;
    for (size_t k = 0; k < M; k++) {
        double t = 0;
        for (size_t c = 0; c < rk->b[k].ncells; c++) t += rk->b[k].target[c];
        if (k == 0) {
            tot0 = t;
        } else if (fabs(t - tot0) > 1e-9 * fmax(fabs(t), fabs(tot0))) {
            rc = wfs_fail(err, WFS_EINVAL,
                          "the margins disagree: %s totals %.15g but %s totals %.15g; raking needs "
                          "margins of the same population",
                          rk->margins->m[0].name, tot0, rk->margins->m[k].name, t);
            goto fail;
        }
    }
    /* Cells: the distinct combinations of the margins' levels, numbered in
     * order of first appearance; a direct table when the combinations are
     * few, otherwise a hash of the level codes (kept in mcode). */
    if (M > 64) {
        rc = wfs_fail(err, WFS_ELIMIT, "rake takes at most 64 margins");
        goto fail;
    }
    uint64_t range = 1;
    int direct = 1;
    for (size_t k = 0; k < M && direct; k++) {
        uint64_t L = rk->b[k].ncells ? rk->b[k].ncells : 1;
        if (range > ((uint64_t)1 << 22) / L)
            direct = 0;
        else
            range *= L;
    }
    rk->cell = wfs_ishared_new(n);
    size_t cap = 64, C = 0, klen = M * sizeof(int32_t);
    rk->mcode = wfs_mallocarray(cap * M, sizeof *rk->mcode);
    if (!rk->cell || !rk->mcode) goto nomem;
    int32_t *map = NULL;
    wfs_strmap smap = WFS_STRMAP_INIT;
    if (direct) {
        map = wfs_mallocarray((size_t)range, sizeof *map);
        if (!map) goto nomem;
        for (uint64_t r = 0; r < range; r++) map[r] = -1;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        rk->cell[i] = -1;
        if (w[i] == 0) continue;
        if (w[i] < 0) {
            rc = wfs_fail(err, WFS_EINVAL,
                          "raking needs positive weights, but row %zu has weight %g (from a "
                          "linear calibration?)",
                          i + 1, w[i]);
            break;
        }
        int32_t codes[64];
        for (size_t k = 0; k < M; k++) codes[k] = rk->b[k].cell[i];
        int32_t c;
        uint64_t key = 0, h = 0;
        if (direct) {
            uint64_t stride = 1;
            for (size_t k = 0; k < M; k++) {
                key += (uint64_t)codes[k] * stride;
                stride *= rk->b[k].ncells ? rk->b[k].ncells : 1;
            }
            c = map[key];
        } else {
            h = wfs_hash_bytes(codes, klen);
            c = wfs_strmap_get(&smap, (const char *)codes, klen, h);
        }
        if (c < 0) {
            if (C == cap) {
                size_t ncap = cap * 2;
                int32_t *p = wfs_reallocarray(rk->mcode, ncap * M, sizeof *p);
                if (!p) {
                    rc = wfs_nomem(err);
                    break;
                }
                rk->mcode = p;
                cap = ncap;
                if (!direct) {
                    /* The map's keys point into mcode: rebuild it. */
                    wfs_strmap_free(&smap);
                    for (size_t j = 0; j < C && !rc; j++) {
                        const char *kj = (const char *)(rk->mcode + j * M);
                        if (wfs_strmap_put(&smap, kj, klen, wfs_hash_bytes(kj, klen), (int32_t)j))
                            rc = wfs_nomem(err);
                    }
                    if (rc) break;
                }
            }
            if (C >= (size_t)INT32_MAX) {
                rc = wfs_fail(err, WFS_ELIMIT, "the margins have too many combinations");
                break;
            }
            c = (int32_t)C;
            memcpy(rk->mcode + C * M, codes, klen);
            if (direct) {
                map[key] = c;
            } else if (wfs_strmap_put(&smap, (const char *)(rk->mcode + C * M), klen, h, c)) {
                rc = wfs_nomem(err);
                break;
            }
            C++;
        }
        rk->cell[i] = c;
    }
    free(map);
    wfs_strmap_free(&smap);
    if (rc) goto fail;
    /* The margins' row cells are no longer needed. */
    for (size_t k = 0; k < M; k++) {
        wfs_ishared_unref(rk->b[k].cell);
        rk->b[k].cell = NULL;
    }
    rk->ncells = C;
    rk->cellrows = wfs_callocarray(C ? C : 1, sizeof *rk->cellrows);
    rk->T = wfs_mallocarray(C ? C : 1, sizeof *rk->T);
    rk->f = wfs_mallocarray(C ? C : 1, sizeof *rk->f);
    rk->mfactor = wfs_mallocarray((C ? C : 1) * M, sizeof *rk->mfactor);
    rk->S = wfs_callocarray(rk->maxlev ? rk->maxlev : 1, sizeof *rk->S);
    wfs_ksum *kt = wfs_callocarray(C ? C : 1, sizeof *kt);
    if (!rk->cellrows || !rk->T || !rk->f || !rk->mfactor || !rk->S || !kt) {
        free(kt);
        goto nomem;
    }
    for (size_t i = 0; i < n; i++) {
        int32_t c = rk->cell[i];
        if (c < 0) continue;
        rk->cellrows[c]++;
        wfs_ksum_add(&kt[c], w[i]);
    }
    for (size_t c = 0; c < C; c++) {
        rk->T[c] = wfs_ksum_value(&kt[c]);
        rk->f[c] = 1;
        for (size_t k = 0; k < M; k++) rk->mfactor[c * M + k] = 1;
    }
    free(kt);
    double *tot = wfs_mallocarray(rk->maxlev ? rk->maxlev : 1, sizeof *tot);
    if (!tot) goto nomem;
    rake_update_misfit(rk, tot);
    free(tot);
    *out = rk;
    return 0;
nomem:
    rc = wfs_nomem(err);
fail:
    wfs_rake_free(rk);
    return rc;
}

int wfs_rake_init(wfs_rake **out, const wfs_design *d, const wfs_margins *m,
                  const wfs_weighting_options *opt, wfs_error *err)
{
    if (d->rep)
        return wfs_fail(err, WFS_EINVAL, "a replicate design is raked with wfs_rake_run, which "
                                         "rakes every replicate");
    return rake_init_w(out, d, d->w, m, opt, err);
}

/* One cycle of R's rake: post-stratify on each margin in turn. */
int wfs_rake_iterate(wfs_rake *rk, wfs_error *err)
{
    size_t M = rk->M;
    double *tot = wfs_mallocarray(rk->maxlev ? rk->maxlev : 1, sizeof *tot);
    if (!tot) return wfs_nomem(err);
    for (size_t m = 0; m < M; m++) {
        const wbound *b = &rk->b[m];
        rake_margin_totals(tot, rk, m);
        for (size_t g = 0; g < b->ncells; g++)
            if (b->nrows[g]) tot[g] = b->target[g] / tot[g];
        for (size_t c = 0; c < rk->ncells; c++) {
            rk->f[c] *= tot[rk->mcode[c * M + m]];
            rk->mfactor[c * M + m] = rk->f[c];
        }
    }
    rake_update_misfit(rk, tot);
    free(tot);
    rk->iter++;
    rk->converged = rk->misfit < rk->eps;
    if (isnan(rk->misfit))
        return wfs_fail(err, WFS_ECONVERGE, "raking failed: a margin total became undefined");
    return 0;
}

int wfs_rake_converged(const wfs_rake *rk)
{
    return rk->converged;
}
size_t wfs_rake_iterations(const wfs_rake *rk)
{
    return rk->iter;
}
double wfs_rake_misfit(const wfs_rake *rk)
{
    return rk->misfit;
}

static int rake_nonconverged(const wfs_rake *rk, wfs_error *err)
{
    const wbound *b = &rk->b[rk->worst_m];
    wfs_buf lab = WFS_BUF_INIT;
    wfs_wbound_label(&lab, b, rk->worst_g);
    int rc = wfs_fail(err, WFS_ECONVERGE,
                      "raking did not converge in %zu cycle%s: margin %s is still off by a "
                      "relative %.3g at \"%s\" (epsilon %g). Check that the margins are "
                      "consistent and that the sample has rows in every combination they need, "
                      "or raise maxit=",
                      rk->iter, rk->iter == 1 ? "" : "s", b->mg->name, rk->misfit,
                      lab.data ? lab.data : "", rk->eps);
    wfs_buf_free(&lab);
    return rc;
}

/* The raked weights and the step. */
static int rake_make_step(cal_step **out, double *neww, const wfs_rake *rk, wfs_error *err)
{
    *out = NULL;
    const wfs_design *d = rk->d;
    size_t n = d->n, C = rk->ncells, M = rk->M;
    for (size_t i = 0; i < n; i++)
        neww[i] = rk->cell[i] >= 0 ? rk->w0[i] * rk->f[rk->cell[i]] : rk->w0[i];
    cal_step *s = wfs_step_new(STEP_RAKE, n, rk->w0);
    if (!s) return wfs_nomem(err);
    s->ncells = C;
    s->nmarg = M;
    s->cell = wfs_ishared_ref(rk->cell);
    s->cellrows = wfs_mallocarray(C ? C : 1, sizeof *s->cellrows);
    s->mcode = wfs_mallocarray((C ? C : 1) * M, sizeof *s->mcode);
    s->mfactor = wfs_mallocarray((C ? C : 1) * M, sizeof *s->mfactor);
    s->nlev = wfs_mallocarray(M, sizeof *s->nlev);
    wfs_buf what = WFS_BUF_INIT;
    wfs_buf_puts(&what, "raked on ");
    for (size_t m = 0; m < M; m++)
        wfs_buf_printf(&what, "%s%s", m ? ", " : "", rk->margins->m[m].name);
    s->what = wfs_buf_take(&what, NULL);
    if (!s->cell || !s->cellrows || !s->mcode || !s->mfactor || !s->nlev || !s->what ||
        wfs_margins_copy(&s->margins, rk->margins, err)) {
        wfs_step_unref(s);
        return wfs_nomem(err);
    }
    memcpy(s->cellrows, rk->cellrows, C * sizeof *s->cellrows);
    memcpy(s->mcode, rk->mcode, C * M * sizeof *s->mcode);
    memcpy(s->mfactor, rk->mfactor, C * M * sizeof *s->mfactor);
    for (size_t m = 0; m < M; m++) s->nlev[m] = rk->b[m].ncells;
    s->opt = rk->opt;
    s->opt.dataset = NULL;
    s->opt.control = NULL;
    *out = s;
    return 0;
}

int wfs_rake_finish(wfs_design **out, wfs_result **report, const wfs_rake *rk, wfs_error *err)
{
    *out = NULL;
    if (report) *report = NULL;
    if (!rk->converged) return rake_nonconverged(rk, err);
    const wfs_design *d = rk->d;
    cal_step *s = NULL;
    wfs_design *nd = NULL;
    wreport rep = {NULL, -1};
    /* The raked weights go straight into the new design. */
    int rc = wfs_weighted_copy(&nd, d, err);
    if (rc) return rc;
    if ((rc = rake_make_step(&s, nd->w, rk, err))) {
        wfs_design_free(nd);
        return rc;
    }
    if ((rc = wfs_weighted_finish(nd, d, s, 0, s->what, err))) {
        wfs_step_unref(s);
        return rc;
    }
    if (report) {
        rc = wfs_wreport_begin(&rep, "rake", &rk->opt, "raking", err);
        double *t0 = wfs_mallocarray(rk->maxlev ? rk->maxlev : 1, sizeof *t0);
        double *t1 = wfs_mallocarray(rk->maxlev ? rk->maxlev : 1, sizeof *t1);
        if (!rc && (!t0 || !t1)) rc = wfs_nomem(err);
        for (size_t m = 0; m < rk->M && !rc; m++) {
            /* The margin's totals from the cells, before and after. */
            size_t L = rk->b[m].ncells;
            memset(t0, 0, L * sizeof *t0);
            memset(t1, 0, L * sizeof *t1);
            for (size_t c = 0; c < rk->ncells; c++) {
                size_t g = (size_t)rk->mcode[c * rk->M + m];
                t0[g] += rk->T[c];
                t1[g] += rk->T[c] * rk->f[c];
            }
            rc = report_levels(&rep, &rk->b[m], t0, t1, err);
        }
        free(t0);
        free(t1);
        if (!rc) rc = wfs_wreport_finish(report, &rep, (long)rk->iter, rk->misfit, 1, nd, err);
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

static int rake_loop(wfs_rake *rk, wfs_error *err)
{
    const wfs_control *ctl = rk->opt.control;
    int rc = 0;
    /* At least one cycle, as R. */
    do {
        if (wfs_interrupted(ctl)) return wfs_fail(err, WFS_EINTR, "interrupted");
        if ((rc = wfs_rake_iterate(rk, err))) return rc;
        if (ctl && ctl->progress && (rk->iter & 63) == 0)
            ctl->progress(ctl->user, (double)rk->iter / (double)rk->maxit, "raking");
    } while (!rk->converged && rk->iter < rk->maxit);
    return rk->converged ? 0 : rake_nonconverged(rk, err);
}

int wfs_rake_run(wfs_design **out, wfs_result **report, const wfs_design *d, const wfs_margins *m,
                 const wfs_weighting_options *opt, wfs_error *err)
{
    if (d->rep) {
        wfs_rw_args a = {WFS_RW_RAKE, m, opt, NULL, NULL, 0};
        return wfs_rep_weighting(out, report, d, &a, err);
    }
    *out = NULL;
    if (report) *report = NULL;
    wfs_rake *rk;
    int rc = wfs_rake_init(&rk, d, m, opt, err);
    if (rc) return rc;
    if (!(rc = rake_loop(rk, err))) rc = wfs_rake_finish(out, report, rk, err);
    wfs_rake_free(rk);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Redoing a step (trimming a calibrated design)                       */
/* ------------------------------------------------------------------ */

int wfs_step_redo(cal_step **out, double *neww, const wfs_design *d, const cal_step *s,
                  const double *w, size_t *iterations, double *misfit, wfs_error *err)
{
    *out = NULL;
    int rc = 0;
    switch (s->kind) {
    case STEP_POSTSTRAT: {
        wbound b;
        memset(&b, 0, sizeof b);
        rc = poststrat_core(out, neww, d, w, s->margins, &s->opt, &b, err);
        if (!rc) {
            double *t1 = wfs_mallocarray(b.ncells, sizeof *t1);
            if (!t1) {
                rc = wfs_nomem(err);
            } else {
                wfs_cell_totals(t1, &b, neww, d->n);
                *misfit = bound_misfit(&b, t1, NULL);
            }
            free(t1);
        }
        wfs_wbound_free(&b);
        *iterations = 1;
        break;
    }
    case STEP_RAKE: {
        wfs_rake *rk;
        if ((rc = rake_init_w(&rk, d, w, s->margins, &s->opt, err))) return rc;
        if (!(rc = rake_loop(rk, err))) rc = rake_make_step(out, neww, rk, err);
        *iterations = rk->iter;
        *misfit = rk->misfit;
        wfs_rake_free(rk);
        break;
    }
    case STEP_GREG:
        rc = wfs_calibrate_redo(out, neww, d, s, w, iterations, misfit, err);
        break;
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* Trimming                                                            */
/* ------------------------------------------------------------------ */

/* The limit of R's trimWeights(strict = TRUE) over the sampled rows:
 * w' = clamp(w + C, lo, hi) with C chosen so the sum is kept (every
 * untrimmed weight takes the same share of the amount trimmed). When one
 * bound binds this is exactly R's limit; when both bind R's repeated
 * passes depend on their order and wfstat uses this closed form. Returns
 * the number of weights at a bound. */
static size_t trim_weights(double *w, size_t n, double lo, double hi)
{
    wfs_ksum ks = {0, 0};
    double wmin = INFINITY, wmax = -INFINITY;
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        if (w[i] == 0) continue;
        wfs_ksum_add(&ks, w[i]);
        if (w[i] < wmin) wmin = w[i];
        if (w[i] > wmax) wmax = w[i];
        if (w[i] < lo || w[i] > hi) any = 1;
    }
    if (!any) return 0;
    double S = wfs_ksum_value(&ks);
    /* f(C) = sum clamp(w + C) is nondecreasing: bisect on C, then solve
     * exactly on the linear piece where the set of clamped weights is
     * that of the bracket. */
    double a = (isfinite(lo) ? lo : wmin) - wmax, b = (isfinite(hi) ? hi : wmax) - wmin;
    if (a > 0) a = 0;
    if (b < 0) b = 0;
    double C = 0;
    for (int it = 0; it < 200; it++) {
        double mid = a + (b - a) / 2;
        wfs_ksum f = {0, 0};
        for (size_t i = 0; i < n; i++)
            if (w[i] != 0) wfs_ksum_add(&f, fmin(fmax(w[i] + mid, lo), hi));
        double fm = wfs_ksum_value(&f);
        if (fm < S)
            a = mid;
        else
            b = mid;
        if (!(b - a > 1e-15 * fmax(fabs(a), fabs(b)) + 1e-300)) break;
    }
    C = a + (b - a) / 2;
    /* Exact solve on the piece: clamped sets at C. */
    wfs_ksum fixed = {0, 0}, freew = {0, 0};
    size_t nfree = 0;
    for (size_t i = 0; i < n; i++) {
        if (w[i] == 0) continue;
        double v = w[i] + C;
        if (v <= lo)
            wfs_ksum_add(&fixed, lo);
        else if (v >= hi)
            wfs_ksum_add(&fixed, hi);
        else {
            nfree++;
            wfs_ksum_add(&freew, w[i]);
        }
    }
    if (nfree) C = (S - wfs_ksum_value(&fixed) - wfs_ksum_value(&freew)) / (double)nfree;
    size_t nat = 0;
    for (size_t i = 0; i < n; i++) {
        if (w[i] == 0) continue;
        double v = w[i] + C;
        if (v <= lo) {
            w[i] = lo;
            nat++;
        } else if (v >= hi) {
            w[i] = hi;
            nat++;
        } else {
            w[i] = v;
        }
    }
    return nat;
}

/* Largest relative excursion of the sampled weights beyond the bounds. */
static double bound_excess(const double *w, size_t n, double lo, double hi)
{
    double e = 0;
    for (size_t i = 0; i < n; i++) {
        if (w[i] == 0) continue;
        if (w[i] > hi) e = fmax(e, (w[i] - hi) / hi);
        if (w[i] < lo) e = fmax(e, (lo - w[i]) / fmax(lo, DBL_MIN));
    }
    return e;
}

int wfs_trim_run(wfs_design **out, wfs_result **report, const wfs_design *d,
                 const wfs_weighting_options *opt, wfs_error *err)
{
    if (d->rep) {
        wfs_rw_args a = {WFS_RW_TRIM, NULL, opt, NULL, NULL, 0};
        return wfs_rep_weighting(out, report, d, &a, err);
    }
    *out = NULL;
    if (report) *report = NULL;
    int rc = check_opt(opt, err);
    if (rc) return rc;
    int bounds = opt ? opt->bounds : 0;
    double lo = bounds & WFS_BOUND_LOWER ? opt->lower : -INFINITY;
    double hi = bounds & WFS_BOUND_UPPER ? opt->upper : INFINITY;
    if (!(bounds & (WFS_BOUND_LOWER | WFS_BOUND_UPPER)))
        return wfs_fail(err, WFS_EINVAL, "trim needs lower= or upper= (or both)");
    if (((bounds & WFS_BOUND_LOWER) && !(lo >= 0 && isfinite(lo))) ||
        ((bounds & WFS_BOUND_UPPER) && !(hi > 0)))
        return wfs_fail(err, WFS_EINVAL,
                        "trim bounds must be a lower bound of at least 0 and a positive upper "
                        "bound");
    if (!(lo < hi))
        return wfs_fail(err, WFS_EINVAL, "trim needs lower < upper (got %g and %g)", lo, hi);
    char range[80];
    if (!(bounds & WFS_BOUND_LOWER))
        snprintf(range, sizeof range, "at most %g", hi);
    else if (!(bounds & WFS_BOUND_UPPER))
        snprintf(range, sizeof range, "at least %g", lo);
    else
        snprintf(range, sizeof range, "[%g, %g]", lo, hi);
    size_t n = d->n, ns = 0;
    for (size_t i = 0; i < n; i++) ns += d->w[i] != 0;
    double S = d->sumw;
    if (S > (double)ns * hi * (1 + 1e-12) || S < (double)ns * lo * (1 - 1e-12))
        return wfs_fail(err, WFS_EINVAL,
                        "the weights cannot be trimmed to %s: the %zu sampled weights sum to "
                        "%.10g, so their mean %.6g lies outside the bounds",
                        range, ns, S, S / (double)ns);
    double *w = wfs_mallocarray(n ? n : 1, sizeof *w), *wt = wfs_mallocarray(n ? n : 1, sizeof *wt);
    if (!w || !wt) {
        free(w);
        free(wt);
        return wfs_nomem(err);
    }
    memcpy(w, d->w, n * sizeof *w);
    const cal_step *last = last_step(d);
    cal_step *s = NULL;
    wfs_design *nd = NULL;
    wreport rep = {NULL, -1};
    size_t rounds = 0, trimmed = 0, iters = 0, maxit = default_maxit(opt, 1000);
    double eps = default_eps(opt), misfit = NAN, excess = 0, stall = INFINITY;
    int converged = 1;
    char what[200];
    if (!last) {
        trimmed = trim_weights(w, n, lo, hi);
        rounds = 1;
        snprintf(what, sizeof what, "trimmed to %s", range);
    } else {
        /* Alternate trimming and re-weighting until both hold. */
        converged = 0;
        for (rounds = 1; rounds <= maxit; rounds++) {
            if (wfs_interrupted(opt ? opt->control : NULL)) {
                rc = wfs_fail(err, WFS_EINTR, "interrupted");
                break;
            }
            memcpy(wt, w, n * sizeof *w);
            size_t nat = trim_weights(wt, n, lo, hi);
            if (rounds == 1) trimmed = nat;
            wfs_step_unref(s);
            s = NULL;
            if ((rc = wfs_step_redo(&s, w, d, last, wt, &iters, &misfit, err))) break;
            excess = bound_excess(w, n, lo, hi);
            if (excess <= eps) {
                converged = 1;
                break;
            }
            /* When the margins cannot be met within the bounds the excess
             * settles at a positive value: stop once it stalls. */
            if (rounds % 50 == 0) {
                if (excess > 0.99 * stall) break;
                stall = excess;
            }
        }
        if (!rc && !converged)
            rc = wfs_fail(err, WFS_ECONVERGE,
                          "trimming to %s and re-weighting (%s) did not converge in %zu "
                          "rounds: a weight is still %.3g%% beyond the bounds. The bounds are "
                          "probably too tight for the margins; widen them%s",
                          range, last->what, rounds > maxit ? maxit : rounds, 100 * excess,
                          rounds > maxit ? " or raise maxit=" : "");
        if (rounds > maxit) rounds = maxit;
        snprintf(what, sizeof what, "trimmed to %s (%zu round%s of trimming and %s)", range, rounds,
                 rounds == 1 ? "" : "s",
                 last->kind == STEP_RAKE   ? "raking"
                 : last->kind == STEP_GREG ? "calibration"
                                           : "post-stratification");
    }
    if (!rc) rc = wfs_weighted_design(&nd, d, w, s, 1, what, err);
    if (!rc && report) {
        rc = wfs_wreport_begin(&rep, "trim", opt, "trimming", err);
        if (!rc) {
            wfs_result *r = rep.r;
            int bad = 0;
            if (bounds & WFS_BOUND_LOWER) bad |= add_num(r, "lower", lo);
            if (bounds & WFS_BOUND_UPPER) bad |= add_num(r, "upper", hi);
            bad |= add_int(r, "trimmed", (long long)trimmed);
            if (last) {
                wfs_value v = wfs_value_str(last->what);
                bad |= wfs_result_add_field(r, "reweighting", &v);
                bad |= add_num(r, "bound_excess", excess);
            }
            if (bad) rc = wfs_nomem(err);
        }
        if (!rc)
            rc = wfs_wreport_finish(report, &rep, last ? (long)rounds : -1, last ? misfit : NAN,
                                    converged, nd, err);
    }
    if (!rc) {
        *out = nd;
        nd = NULL;
    }
    wfs_step_unref(s);
    wfs_design_free(nd);
    wfs_wreport_free(&rep);
    free(w);
    free(wt);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Nonresponse adjustment                                              */
/* ------------------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int wfs_nonresponse_run(wfs_design **out, wfs_result **report, const wfs_design *d,
                        const char *respond, const char *const *cells, size_t ncells,
                        const wfs_weighting_options *opt, wfs_error *err)
{
    if (d->rep) {
        wfs_rw_args a = {WFS_RW_NONRESP, NULL, opt, respond, cells, ncells};
        return wfs_rep_weighting(out, report, d, &a, err);
    }
    *out = NULL;
    if (report) *report = NULL;
    const wfs_table *t = d->t;
    size_t n = d->n;
    if (!respond) return wfs_fail(err, WFS_EINVAL, "nonresponse needs respond=VAR");
    if (ncells == 0 || ncells > 8)
        return wfs_fail(err, WFS_EINVAL, "nonresponse needs between 1 and 8 cell variables");
    long rcol = wfs_table_find(t, respond);
    if (rcol < 0)
        return wfs_fail(err, WFS_ENOTFOUND, "response variable \"%s\" is not in the data", respond);
    if (wfs_table_type(t, (size_t)rcol) != WFS_NUMERIC)
        return wfs_fail(err, WFS_ETYPE,
                        "response variable \"%s\" must be numeric 0/1 (1 = responded)", respond);
    const double *resp = wfs_table_numeric(t, (size_t)rcol);
    for (size_t i = 0; i < n; i++) {
        if (d->w[i] == 0) continue;
        if (isnan(resp[i]))
            return wfs_fail(err, WFS_EINVAL,
                            "response variable \"%s\" is missing in row %zu; it must be 0 or 1 "
                            "in every sampled row",
                            respond, i + 1);
        if (resp[i] != 0 && resp[i] != 1)
            return wfs_fail(err, WFS_EINVAL,
                            "response variable \"%s\" must be 0 or 1 (row %zu has %g)", respond,
                            i + 1, resp[i]);
    }
    /* The cells as a crossed margin with placeholder totals: reuse the
     * level handling of margins for the codes. */
    int32_t *codes[8] = {0};
    char **levels[8] = {0};
    size_t nlev[8] = {0};
    uint64_t stride[8], range = 1;
    int32_t *map = NULL, *cell = NULL;
    uint64_t *ckey = NULL;
    wfs_ksum *Wall = NULL, *Wresp = NULL;
    size_t *nall = NULL, *nresp = NULL, C = 0, cap = 0;
    double *w = NULL;
    wfs_design *nd = NULL;
    wreport rep = {NULL, -1};
    int rc = 0;
    for (size_t k = 0; k < ncells && !rc; k++) {
        long col = wfs_table_find(t, cells[k]);
        if (col < 0) {
            rc = wfs_fail(err, WFS_ENOTFOUND, "cell variable \"%s\" is not in the data", cells[k]);
            break;
        }
        for (size_t j = 0; j < k; j++)
            if (strcmp(cells[j], cells[k]) == 0)
                rc = wfs_fail(err, WFS_EINVAL, "cell variable \"%s\" is given twice", cells[k]);
        if (rc) break;
        if (!(codes[k] = wfs_mallocarray(n ? n : 1, sizeof *codes[k]))) {
            rc = wfs_nomem(err);
            break;
        }
        if ((rc = wfs_table_group_codes(codes[k], &levels[k], &nlev[k], t, (size_t)col, err)))
            break;
        stride[k] = range;
        range *= nlev[k] ? nlev[k] : 1;
        if (range > ((uint64_t)1 << 24))
            rc = wfs_fail(err, WFS_ELIMIT, "the cells cross too many levels; use fewer variables");
    }
    if (!rc) {
        map = wfs_mallocarray((size_t)range, sizeof *map);
        cell = wfs_mallocarray(n ? n : 1, sizeof *cell);
        w = wfs_mallocarray(n ? n : 1, sizeof *w);
        if (!map || !cell || !w)
            rc = wfs_nomem(err);
        else
            for (uint64_t r = 0; r < range; r++) map[r] = -1;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        cell[i] = -1;
        if (d->w[i] == 0) continue;
        uint64_t key = 0;
        for (size_t k = 0; k < ncells && !rc; k++) {
            if (codes[k][i] < 0)
                rc = wfs_fail(err, WFS_EINVAL,
                              "cell variable \"%s\" is missing in row %zu; every sampled row "
                              "needs a cell",
                              cells[k], i + 1);
            else
                key += (uint64_t)codes[k][i] * stride[k];
        }
        if (rc) break;
        if (map[key] < 0) {
            if (C == cap) {
                size_t nc = cap ? cap * 2 : 16;
                uint64_t *a = wfs_reallocarray(ckey, nc, sizeof *a);
                if (!a) {
                    rc = wfs_nomem(err);
                    break;
                }
                ckey = a;
                cap = nc;
            }
            ckey[C] = key;
            map[key] = (int32_t)C++;
        }
        cell[i] = map[key];
    }
    if (!rc && C > 1) {
        /* Number the cells in the levels' order (the first variable
         * varying fastest), not in order of appearance. */
        uint64_t *sorted = wfs_mallocarray(C, sizeof *sorted);
        int32_t *rank = wfs_mallocarray(C, sizeof *rank);
        if (!sorted || !rank) {
            rc = wfs_nomem(err);
        } else {
            memcpy(sorted, ckey, C * sizeof *sorted);
            qsort(sorted, C, sizeof *sorted, cmp_u64);
            for (size_t c = 0; c < C; c++) map[sorted[c]] = (int32_t)c;
            for (size_t c = 0; c < C; c++) rank[c] = map[ckey[c]];
            for (size_t i = 0; i < n; i++)
                if (cell[i] >= 0) cell[i] = rank[cell[i]];
            memcpy(ckey, sorted, C * sizeof *ckey);
        }
        free(sorted);
        free(rank);
    }
    if (!rc) {
        Wall = wfs_callocarray(C ? C : 1, sizeof *Wall);
        Wresp = wfs_callocarray(C ? C : 1, sizeof *Wresp);
        nall = wfs_callocarray(C ? C : 1, sizeof *nall);
        nresp = wfs_callocarray(C ? C : 1, sizeof *nresp);
        if (!Wall || !Wresp || !nall || !nresp) rc = wfs_nomem(err);
    }
    if (!rc) {
        for (size_t i = 0; i < n; i++) {
            int32_t c = cell[i];
            if (c < 0) continue;
            wfs_ksum_add(&Wall[c], d->w[i]);
            nall[c]++;
            if (resp[i] == 1) {
                wfs_ksum_add(&Wresp[c], d->w[i]);
                nresp[c]++;
            }
        }
        size_t bad = 0, first = 0;
        for (size_t c = 0; c < C; c++)
            if (!nresp[c] || !(wfs_ksum_value(&Wresp[c]) > 0)) {
                if (!bad) first = c;
                bad++;
            }
        if (bad) {
            wfs_buf lab = WFS_BUF_INIT;
            for (size_t k = 0; k < ncells; k++) {
                uint64_t code = (ckey[first] / stride[k]) % (nlev[k] ? nlev[k] : 1);
                wfs_buf_printf(&lab, "%s%s=%s", k ? ", " : "", cells[k], levels[k][code]);
            }
            rc = wfs_fail(err, WFS_EDOMAIN,
                          "nonresponse cell %s has %zu sampled row%s but no respondents%s; merge "
                          "it with a neighbouring cell",
                          lab.data ? lab.data : "", nall[first], nall[first] == 1 ? "" : "s",
                          bad > 1 ? " (and other cells too)" : "");
            wfs_buf_free(&lab);
        }
    }
    size_t nnon = 0;
    if (!rc) {
        for (size_t i = 0; i < n; i++) {
            int32_t c = cell[i];
            if (c < 0) {
                w[i] = d->w[i];
            } else if (resp[i] == 1) {
                w[i] = d->w[i] * (wfs_ksum_value(&Wall[c]) / wfs_ksum_value(&Wresp[c]));
            } else {
                w[i] = 0;
                nnon++;
            }
        }
        wfs_buf what = WFS_BUF_INIT;
        wfs_buf_puts(&what, "adjusted for nonresponse within ");
        for (size_t k = 0; k < ncells; k++) wfs_buf_printf(&what, "%s%s", k ? "*" : "", cells[k]);
        char *ws = wfs_buf_take(&what, NULL);
        rc = ws ? wfs_weighted_design(&nd, d, w, NULL, 0, ws, err) : wfs_nomem(err);
        free(ws);
    }
    if (!rc && report) {
        rc =
            wfs_wreport_begin(&rep, "nonresponse", opt, "nonresponse adjustment within cells", err);
        static const char *cols[] = {"cell", "sampled", "respondents", "weight", "factor"};
        long tab = rc ? -1 : wfs_result_add_records(rep.r, "cells", 5, cols);
        if (!rc && tab < 0) rc = wfs_nomem(err);
        for (size_t c = 0; c < C && !rc; c++) {
            wfs_buf lab = WFS_BUF_INIT;
            for (size_t k = 0; k < ncells; k++) {
                uint64_t code = (ckey[c] / stride[k]) % (nlev[k] ? nlev[k] : 1);
                wfs_buf_printf(&lab, "%s%s", k ? "*" : "", levels[k][code]);
            }
            double Wa = wfs_ksum_value(&Wall[c]), Wr = wfs_ksum_value(&Wresp[c]);
            wfs_value v[5] = {wfs_value_str(lab.data ? lab.data : ""),
                              wfs_value_int((long long)nall[c]), wfs_value_int((long long)nresp[c]),
                              wfs_value_num(Wa), wfs_value_num(Wa / Wr)};
            if (lab.failed || wfs_result_add_record(rep.r, (size_t)tab, v)) rc = wfs_nomem(err);
            wfs_buf_free(&lab);
        }
        if (!rc) {
            int bad = add_int(rep.r, "n_cells", (long long)C);
            bad |= add_int(rep.r, "nonrespondents", (long long)nnon);
            if (last_step(d))
                bad |=
                    wfs_result_add_note(rep.r, "the design was already calibrated; this adjustment "
                                               "moves its margins. Adjust for nonresponse before "
                                               "post-stratifying, raking or calibrating");
            if (bad) rc = wfs_nomem(err);
        }
        if (!rc) rc = wfs_wreport_finish(report, &rep, -1, NAN, 1, nd, err);
    }
    if (!rc) {
        *out = nd;
        nd = NULL;
    }
    for (size_t k = 0; k < ncells; k++) {
        free(codes[k]);
        if (levels[k]) wfs_levels_free(levels[k], nlev[k]);
    }
    free(map);
    free(cell);
    free(ckey);
    free(Wall);
    free(Wresp);
    free(nall);
    free(nresp);
    free(w);
    wfs_design_free(nd);
    wfs_wreport_free(&rep);
    return rc;
}
