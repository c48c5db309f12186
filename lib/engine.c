/* engine.c - the estimation engine: domains and one-pass accumulation of
 * basis totals per sampling unit.
 *
 * Every linear estimator is a smooth function of a few weighted totals (its
 * "basis": sum w(y - c) and sum w for a mean, sum w I(level k) for
 * proportions, sum w y and sum w x for a ratio). One pass over a domain's
 * rows accumulates the basis per sampling unit; estimators take the grand
 * totals for the estimate and linear combinations of the unit totals as
 * the influence totals handed to the variance engine. No per-row
 * allocation; O(rows + units) per domain.
 *
 * Domains keep the whole design: units without domain rows have zero
 * totals and strata without domain rows drop out, as R's subset of a
 * survey.design2. Missing values skip the row (na.rm = TRUE). Zero weights
 * are rows not in the sample: their PSU is present (R keeps such rows) but
 * they count neither for the df nor for the sample size.
 */
#include "config.h"

#include <stdio.h>

#include "survey-private.h"

/* The widest basis the one-step calibration path takes on the stack. */
#define WFS_MAX_CAL_B 64

/* ------------------------------------------------------------------ */
/* Domains                                                             */
/* ------------------------------------------------------------------ */


void wfs_domains_free(wfs_domains *D)
{
    free(D->group);
    free(D->start);
    free(D->rows);
    free(D->labels);
    wfs_pool_free(&D->pool);
    memset(D, 0, sizeof *D);
}

static int domains_build(wfs_domains *D, const wfs_design *d, const wfs_est_options *opt,
                         wfs_error *err);

/* A failed build leaves nothing allocated, so callers may simply return. */
int wfs_domains_build(wfs_domains *D, const wfs_design *d, const wfs_est_options *opt,
                      wfs_error *err)
{
    int rc = domains_build(D, d, opt, err);
    if (rc) wfs_domains_free(D);
    return rc;
}

static int domains_build(wfs_domains *D, const wfs_design *d, const wfs_est_options *opt,
                         wfs_error *err)
{
    const wfs_table *t = d->t;
    size_t n = d->n;
    int rc = 0;
    memset(D, 0, sizeof *D);
    D->nby = opt->nby;
    D->keys = opt->by;
    D->group = wfs_mallocarray(n, sizeof *D->group);
    if (!D->group) return wfs_nomem(err);
    if (opt->filter && *opt->filter) {
        wfs_expr *e = NULL;
        uint8_t *mask = malloc(n);
        if (!mask) return wfs_nomem(err);
        if ((rc = wfs_expr_parse(&e, opt->filter, t, err)) ||
            (rc = wfs_expr_eval(mask, e, t, err))) {
            wfs_expr_free(e);
            free(mask);
            return rc;
        }
        wfs_expr_free(e);
        for (size_t i = 0; i < n; i++) D->group[i] = mask[i] ? 0 : -1;
        free(mask);
    } else {
        memset(D->group, 0, n * sizeof *D->group);
    }
    for (size_t i = 0; i < n; i++) D->nfiltered += D->group[i] == 0;
    if (D->nfiltered == 0)
        return wfs_fail(err, WFS_EDOMAIN, "no rows satisfy the condition \"%s\"", opt->filter);

    if (opt->nby == 0) {
        D->ngroups = 1;
        D->labels = NULL;
        return 0;
    }
    /* Combined codes of the by variables, the first varying fastest. */
    if (opt->nby > 8) return wfs_fail(err, WFS_ELIMIT, "at most 8 by variables are supported");
    int32_t *codes[8] = {0};
    char **levels[8] = {0};
    size_t nlev[8] = {0};
    uint64_t stride[8], ncomb = 1;
    uint32_t *map = NULL;
    for (size_t k = 0; k < opt->nby && !rc; k++) {
        long col = wfs_table_find(t, opt->by[k]);
        if (col < 0) {
            rc = wfs_fail(err, WFS_ENOTFOUND, "by variable \"%s\" is not in the data", opt->by[k]);
            break;
        }
        for (size_t j = 0; j < k; j++)
            if (strcmp(opt->by[j], opt->by[k]) == 0)
                rc = wfs_fail(err, WFS_EINVAL, "by variable \"%s\" is given twice", opt->by[k]);
        if (rc) break;
        codes[k] = wfs_mallocarray(n, sizeof *codes[k]);
        if (!codes[k]) {
            rc = wfs_nomem(err);
            break;
        }
        rc = wfs_table_group_codes(codes[k], &levels[k], &nlev[k], t, (size_t)col, err);
        if (rc) break;
        stride[k] = ncomb;
        ncomb *= nlev[k] ? nlev[k] : 1;
        if (ncomb > (uint64_t)4 * n + 1024 || ncomb > ((uint64_t)1 << 31))
            rc = wfs_fail(err, WFS_ELIMIT,
                          "the by variables have too many combinations of levels (%llu); "
                          "use fewer or coarser variables",
                          (unsigned long long)ncomb);
    }
    if (!rc) {
        map = wfs_mallocarray((size_t)ncomb, sizeof *map);
        if (!map) rc = wfs_nomem(err);
    }
    if (!rc) {
        for (size_t c = 0; c < ncomb; c++) map[c] = UINT32_MAX;
        for (size_t i = 0; i < n; i++) {
            if (D->group[i] < 0) continue;
            uint64_t c = 0;
            for (size_t k = 0; k < opt->nby; k++) {
                if (codes[k][i] < 0) {
                    c = UINT64_MAX;
                    break;
                }
                c += (uint64_t)codes[k][i] * stride[k];
            }
            if (c == UINT64_MAX) {
                D->group[i] = -1;
                D->nmissing_by++;
                continue;
            }
            map[c] = 0;
            D->group[i] = (int32_t)c;
        }
        size_t ng = 0;
        for (size_t c = 0; c < ncomb; c++)
            if (map[c] == 0) map[c] = (uint32_t)ng++;
        D->ngroups = ng;
        if (ng == 0)
            rc = wfs_fail(err, WFS_EDOMAIN, "every row in the domain has a missing by value");
    }
    if (!rc) {
        D->labels = wfs_callocarray(D->ngroups * opt->nby, sizeof *D->labels);
        D->start = wfs_callocarray(D->ngroups + 1, sizeof *D->start);
        D->rows = wfs_mallocarray(n, sizeof *D->rows);
        if (!D->labels || !D->start || !D->rows) rc = wfs_nomem(err);
    }
    if (!rc) {
        for (size_t c = 0; c < ncomb && !rc; c++) {
            if (map[c] == UINT32_MAX) continue;
            size_t g = map[c];
            uint64_t rem = c;
            for (size_t k = opt->nby; k-- > 0;) {
                uint64_t code = rem / stride[k];
                rem -= code * stride[k];
                const char *s = wfs_pool_strdup(&D->pool, levels[k][code]);
                if (!s) rc = wfs_nomem(err);
                D->labels[g * opt->nby + k] = s;
            }
        }
        for (size_t i = 0; i < n; i++)
            if (D->group[i] >= 0) {
                D->group[i] = (int32_t)map[D->group[i]];
                D->start[D->group[i] + 1]++;
            }
        for (size_t g = 0; g < D->ngroups; g++) D->start[g + 1] += D->start[g];
        size_t *pos = wfs_mallocarray(D->ngroups, sizeof *pos);
        if (!pos) {
            rc = wfs_nomem(err);
        } else {
            memcpy(pos, D->start, D->ngroups * sizeof *pos);
            for (size_t i = 0; i < n; i++)
                if (D->group[i] >= 0) D->rows[pos[D->group[i]]++] = (uint32_t)i;
            free(pos);
        }
    }
    for (size_t k = 0; k < opt->nby; k++) {
        free(codes[k]);
        if (levels[k]) wfs_levels_free(levels[k], nlev[k]);
    }
    free(map);
    return rc;
}

/* Iterate the rows of group g: for (wfs_it_begin; wfs_it_next;) */

void wfs_it_begin(wfs_rowiter *it, const wfs_domains *D, size_t g, size_t n)
{
    it->D = D;
    it->g = g;
    it->pos = D->rows ? D->start[g] : 0;
    it->end = D->rows ? D->start[g + 1] : n;
}

/* The next row of the group, or SIZE_MAX. */
size_t wfs_it_next(wfs_rowiter *it)
{
    if (it->D->rows) return it->pos < it->end ? it->D->rows[it->pos++] : SIZE_MAX;
    while (it->pos < it->end) {
        size_t i = it->pos++;
        if (it->D->group[i] >= 0) return i;
    }
    return SIZE_MAX;
}

/* ------------------------------------------------------------------ */
/* Accumulating basis totals per sampling unit                         */
/* ------------------------------------------------------------------ */



/* Per-domain accumulation state; buffers reused across domains. */

/* A `by` accumulates every domain in one pass over the rows in row order:
 * the slot of a (domain, unit) pair is found by indexing a dense table
 * of domains x units (no hashing), and each slot's totals add the same
 * rows in the same order as a pass over the domain alone, so the results
 * are identical. The slots are then regrouped by domain, in the order in
 * which each domain's units first appeared. */
typedef struct wfs_accum_batch {
    const wfs_domains *D;
    wfs_basis b;
    size_t *start;      /* ngroups + 1 offsets into units, pos, S */
    uint32_t *units;
    uint8_t *pos;
    double *S;
    size_t *nrows, *nobs, *nmiss; /* per domain */
} wfs_accum_batch;

static void batch_free(wfs_accum_batch *bt)
{
    if (!bt) return;
    free(bt->start);
    free(bt->units);
    free(bt->pos);
    free(bt->S);
    free(bt->nrows);
    free(bt->nobs);
    free(bt->nmiss);
    free(bt);
}

static int same_basis(const wfs_basis *a, const wfs_basis *b)
{
    return a->kind == b->kind && a->y == b->y && a->x == b->x && a->codes == b->codes &&
           a->nlev == b->nlev && a->B == b->B && !memcmp(&a->c, &b->c, sizeof a->c) &&
           !memcmp(&a->q, &b->q, sizeof a->q);
}

void wfs_accum_free(wfs_accum *A)
{
    free(A->slot);
    free(A->units);
    free(A->S);
    free(A->pos);
    free(A->stamp_psu);
    free(A->stamp_str);
    free(A->T);
    free(A->X);
    batch_free(A->batch);
    memset(A, 0, sizeof *A);
}

int wfs_accum_init(wfs_accum *A, const wfs_design *d, size_t B, size_t maxrows, wfs_error *err)
{
    memset(A, 0, sizeof *A);
    A->d = d;
    A->B = B;
    size_t nu = d->lev[d->acc_level].nunits;
    A->cap = maxrows < nu && !d->cal ? maxrows : nu;
    if (A->cap == 0) A->cap = 1;
    A->slot = wfs_mallocarray(nu, sizeof *A->slot);
    A->units = wfs_mallocarray(A->cap, sizeof *A->units);
    A->S = wfs_mallocarray(A->cap * B, sizeof *A->S);
    A->pos = wfs_mallocarray(A->cap, 1);
    A->stamp_psu = wfs_callocarray(d->lev[1].nunits, sizeof *A->stamp_psu);
    A->stamp_str = wfs_callocarray(d->nstrata, sizeof *A->stamp_str);
    A->T = wfs_mallocarray(B, sizeof *A->T);
    if (!A->slot || !A->units || !A->S || !A->pos || !A->stamp_psu || !A->stamp_str || !A->T) {
        wfs_accum_free(A);
        return wfs_nomem(err);
    }
    for (size_t u = 0; u < nu; u++) A->slot[u] = -1;
    return 0;
}

static size_t psu_of_unit(const wfs_design *d, size_t u)
{
    for (size_t s = d->acc_level; s > 1; s--) u = d->lev[s].parent[u];
    return u;
}

/* Accumulate one domain. Returns 0 or WFS_EINTR. */
int wfs_fail_unknown_variable(wfs_error *err, const wfs_table *t, const char *name)
{
    const char *best = NULL;
    size_t bd = 3;
    for (size_t j = 0; j < wfs_table_ncols(t); j++) {
        size_t e = wfs_edit_distance(name, wfs_table_name(t, j), 2);
        if (e < bd) {
            bd = e;
            best = wfs_table_name(t, j);
        }
    }
    if (best)
        return wfs_fail(err, WFS_ENOTFOUND,
                        "variable \"%s\" is not in the data (did you mean \"%s\"?)", name, best);
    return wfs_fail(err, WFS_ENOTFOUND, "variable \"%s\" is not in the data", name);
}

/* The basis values of row i into v (or its level into *lev for a
 * categorical basis); 0 when the row is missing. Inlined into the hot
 * loops: a call costs a quarter of them. */
static inline int basis_hot(double v[3], size_t *lev, const wfs_basis *b, const double *w,
                            size_t i)
{
    switch (b->kind) {
    case WFS_B_NUMERIC:
        if (isnan(b->y[i])) return 0;
        v[0] = w[i] * (b->y[i] - b->c);
        v[1] = w[i];
        return 1;
    case WFS_B_INDICATOR:
        if (isnan(b->y[i])) return 0;
        v[0] = b->y[i] <= b->q ? w[i] : 0;
        v[1] = w[i];
        return 1;
    case WFS_B_RATIO:
        if (isnan(b->y[i]) || isnan(b->x[i])) return 0;
        v[0] = w[i] * b->y[i];
        v[1] = w[i] * b->x[i];
        v[2] = w[i];
        return 1;
    case WFS_B_CATEGORICAL:
        if (b->codes[i] < 0) return 0;
        *lev = (size_t)b->codes[i];
        return 1;
    }
    return 0;
}

/* Add row values (from basis_hot) to the unit totals S. */
static inline void basis_add(double *S, const double v[3], size_t lev, const wfs_basis *b,
                             double wi, size_t B)
{
    if (b->kind == WFS_B_CATEGORICAL) {
        S[lev] += wi;
        S[B - 1] += wi;
    } else {
        for (size_t k = 0; k < B; k++) S[k] += v[k];
    }
}

/* Row value of the basis for row i into v (B values); 0 when missing. */
static int basis_row(double *v, const wfs_basis *b, const double *w, size_t i)
{
    double t[3];
    size_t lev = 0;
    if (!basis_hot(t, &lev, b, w, i)) return 0;
    if (b->kind == WFS_B_CATEGORICAL) {
        memset(v, 0, b->B * sizeof *v);
        v[lev] = w[i];
        v[b->B - 1] = w[i];
    } else {
        memcpy(v, t, b->B * sizeof *v);
    }
    return 1;
}

/* Count PSU p (and its stratum) once per domain: the df of a domain is
 * its PSUs with nonzero-weight rows minus their strata. */
static void count_psu(wfs_accum *A, size_t p, size_t *npsu, size_t *nstr)
{
    if (A->stamp_psu[p] == A->stamp) return;
    A->stamp_psu[p] = A->stamp;
    (*npsu)++;
    size_t h = A->d->lev[1].parent[p];
    if (A->stamp_str[h] != A->stamp) {
        A->stamp_str[h] = A->stamp;
        (*nstr)++;
    }
}

/* Calibrated designs keep every unit, with zero totals to start. */
static void every_unit(wfs_accum *A)
{
    const wfs_design *d = A->d;
    size_t nu = d->lev[d->acc_level].nunits;
    A->m = nu;
    memset(A->S, 0, nu * A->B * sizeof *A->S);
    for (size_t u = 0; u < nu; u++) {
        A->units[u] = (uint32_t)u;
        A->pos[u] = 1;
    }
}

/* Calibrated designs of one post-stratification or raking step: the same
 * residuals without a rows x B array. A pass over the domain's rows gives
 * the totals and the cell sums; a pass over every row recomputes the
 * domain's values, applies the cells' adjustment and sums by unit, in row
 * order as the general path does, so the results are identical. */
static int accum_run_cells(wfs_accum *A, const wfs_basis *b, const wfs_domains *D, size_t g,
                           const wfs_cal_cells *cc, const wfs_control *ctl, wfs_error *err)
{
    const wfs_design *d = A->d;
    size_t B = A->B, n = d->n, C = cc->ncells;
    wfs_ksum *ks = calloc(B, sizeof *ks);
    /* Neumaier sums per cell, as the calibration's own cell sums */
    wfs_ksum *cs = wfs_callocarray(C * B, sizeof *cs);
    double *S = wfs_mallocarray(C * B, sizeof *S), *Dc = wfs_mallocarray(C * B, sizeof *Dc);
    int rc = 0;
    if (!ks || !cs || !S || !Dc) {
        rc = wfs_nomem(err);
        goto out;
    }
    A->nrows = A->nobs = A->nmiss = 0;
    size_t npsu = 0, nstr = 0, i;
    A->stamp++;
    wfs_rowiter it;
    wfs_it_begin(&it, D, g, n);
    while ((i = wfs_it_next(&it)) != SIZE_MAX) {
        double v[WFS_MAX_CAL_B];
        if (!basis_row(v, b, d->w, i)) {
            A->nmiss++;
            continue;
        }
        for (size_t k = 0; k < B; k++) wfs_ksum_add(&ks[k], v[k]);
        int32_t c = cc->cell[i];
        int any = 0;
        for (size_t k = 0; k < B; k++) any |= v[k] != 0;
        if (c >= 0 && any) {
            double inv = 1 / (cc->den ? cc->den[i] : cc->cellden[c]);
            for (size_t k = 0; k < B; k++) wfs_ksum_add(&cs[c * B + k], v[k] * inv);
        }
        A->nobs += d->w[i] != 0;
        if (d->w[i] == 0) continue;
        count_psu(A, d->lev[1].unit ? d->lev[1].unit[i] : i, &npsu, &nstr);
    }
    A->nrows = n; /* R's nrow() of a calibrated subset: every row */
    if (wfs_interrupted(ctl)) {
        rc = wfs_fail(err, WFS_EINTR, "interrupted");
        goto out;
    }
    for (size_t j = 0; j < C * B; j++) S[j] = wfs_ksum_value(&cs[j]);
    for (size_t k = 0; k < B; k++) A->T[k] = wfs_ksum_value(&ks[k]);
    if ((rc = cc->adjust(cc->step, S, B, Dc, err))) goto out;
    every_unit(A);
    for (i = 0; i < n; i++) {
        double x[WFS_MAX_CAL_B];
        if (D->group[i] != (int32_t)g || !basis_row(x, b, d->w, i)) memset(x, 0, B * sizeof *x);
        int32_t c = cc->cell[i];
        if (c >= 0) {
            /* x - psw D: psw = mul (raking) or mul cellmul (post-strata) */
            double psw = cc->cellmul ? cc->mul[i] * cc->cellmul[c] : cc->mul[i];
            const double *Dr = Dc + (size_t)c * B;
            for (size_t k = 0; k < B; k++) x[k] -= Dr[k] * psw;
        }
        double *Su = A->S + wfs_unit_of(d, i) * B;
        for (size_t k = 0; k < B; k++) Su[k] += x[k];
    }
    A->df = (double)npsu - (double)nstr;
out:
    free(ks);
    free(cs);
    free(S);
    free(Dc);
    return rc;
}

/* Calibrated designs: R keeps every row of a calibrated design in a domain
 * (weights zero outside) and residualises the row influence values against
 * the calibration model before summing them by unit, so every unit is
 * present. The basis is linear in the rows, so residualising the basis
 * columns and combining afterwards gives R's influence residuals. */
static int accum_run_calibrated(wfs_accum *A, const wfs_basis *b, const wfs_domains *D, size_t g,
                                const wfs_control *ctl, wfs_error *err)
{
    const wfs_design *d = A->d;
    size_t B = A->B, n = d->n;
    wfs_cal_cells cc;
    if (B <= WFS_MAX_CAL_B && d->cal_ops->cells && d->cal_ops->cells(d->cal, d, &cc))
        return accum_run_cells(A, b, D, g, &cc, ctl, err);
    /* The rows x B values: allocated at the first domain and reused by
     * the others (fresh pages for every domain of a `by` cost more than
     * the work on them). */
    if (!A->X && !(A->X = wfs_mallocarray(n ? n * B : 1, sizeof *A->X))) return wfs_nomem(err);
    double *X = A->X;
    memset(X, 0, n * B * sizeof *X);
    wfs_ksum *ks = calloc(B, sizeof *ks);
    int rc = 0;
    if (!ks) {
        rc = wfs_nomem(err);
        goto out;
    }
    A->nrows = A->nobs = A->nmiss = 0;
    size_t npsu = 0, nstr = 0, i;
    A->stamp++;
    wfs_rowiter it;
    wfs_it_begin(&it, D, g, n);
    while ((i = wfs_it_next(&it)) != SIZE_MAX) {
        double *v = X + i * B;
        if (!basis_row(v, b, d->w, i)) {
            memset(v, 0, B * sizeof *v);
            A->nmiss++;
            continue;
        }
        for (size_t k = 0; k < B; k++) wfs_ksum_add(&ks[k], v[k]);
        A->nobs += d->w[i] != 0;
        if (d->w[i] == 0) continue;
        count_psu(A, d->lev[1].unit ? d->lev[1].unit[i] : i, &npsu, &nstr);
    }
    A->nrows = n; /* R's nrow() of a calibrated subset: every row */
    if (wfs_interrupted(ctl)) {
        rc = wfs_fail(err, WFS_EINTR, "interrupted");
        goto out;
    }
    for (size_t k = 0; k < B; k++) A->T[k] = wfs_ksum_value(&ks[k]);
    if ((rc = d->cal_ops->resid(d->cal, d, X, B, err))) goto out;
    every_unit(A);
    for (i = 0; i < n; i++) {
        double *S = A->S + wfs_unit_of(d, i) * B;
        for (size_t k = 0; k < B; k++) S[k] += X[i * B + k];
    }
    A->df = (double)npsu - (double)nstr;
out:
    free(ks);
    return rc;
}

static int accum_finish(wfs_accum *A, wfs_error *err);

/* The dense table of domains x units may hold max(rows, this) entries;
 * 0: never build it (tests). */
static size_t batch_cells_min = (size_t)1 << 22;

void wfs_by_batch_limit(size_t cells) { batch_cells_min = cells; }

/* Build A->batch for basis b over every domain of D. Returns 0, 1 when
 * the table of domains x units would be too large (the caller then goes
 * domain by domain), or an error. */
static int batch_build(wfs_accum *A, const wfs_basis *b, const wfs_domains *D,
                       const wfs_control *ctl, wfs_error *err)
{
    const wfs_design *d = A->d;
    const double *w = d->w;
    size_t G = D->ngroups, nu = d->lev[d->acc_level].nunits, B = A->B, n = d->n;
    size_t limit = n > batch_cells_min ? n : batch_cells_min;
    if (batch_cells_min == 0 || nu == 0 || G > limit / nu) return 1;
    batch_free(A->batch);
    A->batch = NULL;
    size_t nin = D->start[G]; /* rows in some domain */
    size_t cap = nin < G * nu ? nin : G * nu;
    if (cap == 0) cap = 1;
    int rc = 0;
    wfs_accum_batch *bt = calloc(1, sizeof *bt);
    int32_t *slot = wfs_mallocarray(G * nu, sizeof *slot);
    uint32_t *sgroup = wfs_mallocarray(cap, sizeof *sgroup);
    uint32_t *sunit = wfs_mallocarray(cap, sizeof *sunit);
    uint8_t *spos = calloc(cap, 1);
    double *S = wfs_mallocarray(cap * B, sizeof *S);
    if (bt) {
        bt->start = wfs_callocarray(G + 1, sizeof *bt->start);
        bt->nrows = wfs_callocarray(G, sizeof *bt->nrows);
        bt->nobs = wfs_callocarray(G, sizeof *bt->nobs);
        bt->nmiss = wfs_callocarray(G, sizeof *bt->nmiss);
        bt->units = wfs_mallocarray(cap, sizeof *bt->units);
        bt->pos = calloc(cap, 1);
        bt->S = wfs_mallocarray(cap * B, sizeof *bt->S);
    }
    if (!bt || !slot || !sgroup || !sunit || !spos || !S || !bt->start || !bt->nrows ||
        !bt->nobs || !bt->nmiss || !bt->units || !bt->pos || !bt->S) {
        rc = wfs_nomem(err);
        goto out;
    }
    for (size_t k = 0; k < G * nu; k++) slot[k] = -1;
    size_t M = 0, tick = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t g = D->group[i];
        if (g < 0) continue;
        if (WFS_UNLIKELY(++tick >= (1u << 22))) {
            tick = 0;
            if (wfs_interrupted(ctl)) {
                rc = wfs_fail(err, WFS_EINTR, "interrupted");
                goto out;
            }
        }
        double v[3];
        size_t lev = 0;
        if (!basis_hot(v, &lev, b, w, i)) {
            bt->nmiss[g]++;
            continue;
        }
        bt->nrows[g]++;
        if (w[i] != 0) bt->nobs[g]++;
        size_t u = wfs_unit_of(d, i), key = (size_t)g * nu + u;
        int32_t s = slot[key];
        if (s < 0) {
            s = (int32_t)M++;
            slot[key] = s;
            sgroup[s] = (uint32_t)g;
            sunit[s] = (uint32_t)u;
            memset(S + (size_t)s * B, 0, B * sizeof *S);
        }
        if (w[i] != 0) spos[s] = 1;
        basis_add(S + (size_t)s * B, v, lev, b, w[i], B);
    }
    /* Regroup the slots by domain, each in its order of creation. */
    for (size_t s = 0; s < M; s++) bt->start[sgroup[s] + 1]++;
    for (size_t g = 0; g < G; g++) bt->start[g + 1] += bt->start[g];
    size_t *fill = wfs_mallocarray(G ? G : 1, sizeof *fill);
    if (!fill) {
        rc = wfs_nomem(err);
        goto out;
    }
    memcpy(fill, bt->start, G * sizeof *fill);
    for (size_t s = 0; s < M; s++) {
        size_t r = fill[sgroup[s]]++;
        bt->units[r] = sunit[s];
        bt->pos[r] = spos[s];
        memcpy(bt->S + r * B, S + s * B, B * sizeof *S);
    }
    free(fill);
    bt->D = D;
    bt->b = *b;
    A->batch = bt;
    bt = NULL;
out:
    batch_free(bt);
    free(slot);
    free(sgroup);
    free(sunit);
    free(spos);
    free(S);
    return rc;
}

/* Domain g from the batch, as wfs_accum_run would compute it. */
static int batch_serve(wfs_accum *A, size_t g, wfs_error *err)
{
    const wfs_accum_batch *bt = A->batch;
    size_t r0 = bt->start[g], m = bt->start[g + 1] - r0, B = A->B;
    A->m = m;
    memcpy(A->units, bt->units + r0, m * sizeof *A->units);
    memcpy(A->pos, bt->pos + r0, m);
    memcpy(A->S, bt->S + r0 * B, m * B * sizeof *A->S);
    A->nrows = bt->nrows[g];
    A->nobs = bt->nobs[g];
    A->nmiss = bt->nmiss[g];
    return accum_finish(A, err);
}

int wfs_accum_run(wfs_accum *A, const wfs_basis *b, const wfs_domains *D, size_t g,
                  const wfs_control *ctl, wfs_error *err)
{
    /* Poll at every domain as well as every 4M rows: a `by` with many
     * small domains never reaches the row count. */
    if (wfs_interrupted(ctl)) return wfs_fail(err, WFS_EINTR, "interrupted");
    if (A->d->cal) return accum_run_calibrated(A, b, D, g, ctl, err);
    if (D->rows && D->ngroups > 1 && b->kind != WFS_B_INDICATOR) {
        /* A `by`: every domain from one pass, built at the first. */
        if (g == 0 && !(A->batch && A->batch->D == D && same_basis(&A->batch->b, b))) {
            int rc = batch_build(A, b, D, ctl, err);
            if (rc < 0) return rc;
        }
        if (A->batch && A->batch->D == D && same_basis(&A->batch->b, b))
            return batch_serve(A, g, err);
    }
    const wfs_design *d = A->d;
    const double *w = d->w;
    size_t B = A->B;
    wfs_rowiter it;
    A->m = 0;
    A->nrows = A->nobs = A->nmiss = 0;
    wfs_it_begin(&it, D, g, d->n);
    size_t i, tick = 0;
    while ((i = wfs_it_next(&it)) != SIZE_MAX) {
        if (WFS_UNLIKELY(++tick >= (1u << 22))) {
            tick = 0;
            if (wfs_interrupted(ctl)) return wfs_fail(err, WFS_EINTR, "interrupted");
        }
        double v[3];
        size_t lev = 0;
        if (!basis_hot(v, &lev, b, w, i)) goto missing;
        A->nrows++;
        if (w[i] != 0) A->nobs++;
        size_t u = wfs_unit_of(d, i);
        int32_t s = A->slot[u];
        double *S;
        if (s < 0) {
            s = (int32_t)A->m++;
            A->slot[u] = s;
            A->units[s] = (uint32_t)u;
            A->pos[s] = 0;
            S = A->S + (size_t)s * B;
            memset(S, 0, B * sizeof *S);
        } else {
            S = A->S + (size_t)s * B;
        }
        if (w[i] != 0) A->pos[s] = 1;
        basis_add(S, v, lev, b, w[i], B);
        continue;
    missing:
        A->nmiss++;
    }
    return accum_finish(A, err);
}

/* Totals, reset the slots, and the df: PSUs holding nonzero-weight
 * domain rows minus their strata (R's degf of the subset). */
static int accum_finish(wfs_accum *A, wfs_error *err)
{
    const wfs_design *d = A->d;
    size_t B = A->B;
    wfs_ksum *ks = calloc(B, sizeof *ks);
    if (!ks) return wfs_nomem(err);
    size_t npsu = 0, nstr = 0;
    A->stamp++;
    for (size_t r = 0; r < A->m; r++) {
        for (size_t k = 0; k < B; k++) wfs_ksum_add(&ks[k], A->S[r * B + k]);
        A->slot[A->units[r]] = -1;
        if (!A->pos[r]) continue;
        count_psu(A, psu_of_unit(d, A->units[r]), &npsu, &nstr);
    }
    for (size_t k = 0; k < B; k++) A->T[k] = wfs_ksum_value(&ks[k]);
    free(ks);
    A->df = (double)npsu - (double)nstr;
    return 0;
}

/* Second pass for the design effect: sum w (y - a - b x)^2 over the
 * domain's rows with both values present (x may be NULL). */
double wfs_domain_ss(const wfs_design *d, const wfs_domains *D, size_t g, const double *y,
                        const double *x, double a, double bx)
{
    wfs_rowiter it;
    wfs_ksum k = {0, 0};
    wfs_it_begin(&it, D, g, d->n);
    size_t i;
    while ((i = wfs_it_next(&it)) != SIZE_MAX) {
        if (isnan(y[i]) || (x && isnan(x[i]))) continue;
        double r = y[i] - a - (x ? bx * x[i] : 0);
        wfs_ksum_add(&k, d->w[i] * r * r);
    }
    return wfs_ksum_value(&k);
}

