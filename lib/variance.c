/* variance.c - Taylor-linearisation variance on unit totals (R's svyrecvar).
 *
 * Estimators hand over the totals of their influence values per sampling
 * unit at the design's accumulation level; this module rolls them up the
 * stages and applies R's formulas:
 *
 *   V = sum_h f_h n_h/(n_h - 1) sum_j (z_hj - zbar_h)(z_hj - zbar_h)'
 *       + sum over PSUs of (n_h/N_h) * [the same within the PSU] ...
 *
 * with f_h = (N_h - n_h)/N_h when an fpc is given (1 otherwise), later
 * stages only when their fpcs are given (survey 4.1-1 multistage/onestage/
 * onestrat), and the lonely-PSU policies of survey.lonely.psu. A parent
 * with all units taken (f < 1e-7) contributes nothing, as in onestrat().
 *
 * Domains: units outside the domain have zero totals; strata holding no
 * unit of the domain take no part, which matters only for lonely=average
 * (R drops those rows before onestage() counts the strata).
 *
 * The cost is O(units * K^2) with no per-row work.
 */
#include "config.h"

#include <stdio.h>

#include "survey-private.h"

/* Label of parent p at level s-1 for messages. */
static void parent_name(char *buf, size_t sz, const wfs_design *d, size_t s, size_t p)
{
    if (s == 1)
        snprintf(buf, sz, "stratum %s", d->stratum_label ? d->stratum_label[p] : "(all)");
    else
        snprintf(buf, sz, "stage-%zu unit %zu", s - 1, p + 1);
}

/* Every stage: unit totals U (dense, nunits at the accumulation level x
 * K) with presence flags (NULL = all present). */
static int recvar_dense(double *V, const wfs_design *d, const double *U, size_t K,
                        const uint8_t *present, int *lonely_used, wfs_error *err)
{
    size_t L = d->acc_level;
    int rc = 0;
    if (lonely_used) *lonely_used = 0;
    memset(V, 0, K * K * sizeof *V);
    /* Totals and presence at every level up to the accumulation level. */
    const double *Z[WFS_MAX_STAGES + 1] = {0};
    double *Zown[WFS_MAX_STAGES + 1] = {0};
    const uint8_t *P[WFS_MAX_STAGES + 1] = {0};
    uint8_t *Pown[WFS_MAX_STAGES + 1] = {0};
    double *A = NULL, *Anext = NULL, *M = NULL, *V1 = NULL, *dev = NULL;
    uint8_t *pp = NULL;
    Z[L] = U;
    P[L] = present;
    for (size_t s = L; s > 1; s--) {
        const wfs_level *lv = &d->lev[s];
        size_t np = d->lev[s - 1].nunits;
        Zown[s - 1] = wfs_callocarray(np * K, sizeof(double));
        Pown[s - 1] = present ? calloc(np ? np : 1, 1) : NULL;
        if (!Zown[s - 1] || (present && !Pown[s - 1])) goto nomem;
        for (size_t u = 0; u < lv->nunits; u++) {
            size_t p = lv->parent[u];
            for (size_t k = 0; k < K; k++) Zown[s - 1][p * K + k] += Z[s][u * K + k];
            if (present && P[s][u]) Pown[s - 1][p] = 1;
        }
        Z[s - 1] = Zown[s - 1];
        P[s - 1] = Pown[s - 1];
    }
    V1 = wfs_callocarray(K * K, sizeof *V1);
    dev = wfs_mallocarray(K, sizeof *dev);
    if (!V1 || !dev) goto nomem;
    /* Ancestor factors: A[p] for parents at level s-1. */
    A = malloc(sizeof *A * (d->nstrata ? d->nstrata : 1));
    if (!A) goto nomem;
    for (size_t h = 0; h < d->nstrata; h++) A[h] = 1;
    for (size_t s = 1; s <= L; s++) {
        const wfs_level *lv = &d->lev[s];
        size_t nparents = s == 1 ? d->nstrata : d->lev[s - 1].nunits;
        double *Vs = s == 1 ? V1 : V;
        /* Means of the children's totals per parent (absent children are 0). */
        M = wfs_callocarray(nparents * K, sizeof *M);
        pp = calloc(nparents ? nparents : 1, 1);
        if (!M || !pp) goto nomem;
        for (size_t u = 0; u < lv->nunits; u++) {
            size_t p = lv->parent[u];
            for (size_t k = 0; k < K; k++) M[p * K + k] += Z[s][u * K + k];
            if (!present || P[s][u]) pp[p] = 1;
        }
        for (size_t p = 0; p < nparents; p++)
            for (size_t k = 0; k < K; k++) M[p * K + k] /= (double)lv->count[p];
        for (size_t u = 0; u < lv->nunits; u++) {
            size_t p = lv->parent[u];
            if (!pp[p]) continue;
            double N = lv->popsize[p], n = (double)lv->count[p];
            double f = isinf(N) ? 1 : (N - n) / N;
            if (f < 1e-7) continue;
            double scale;
            if (lv->count[p] > 1) {
                scale = f * n / (n - 1);
                for (size_t k = 0; k < K; k++) dev[k] = Z[s][u * K + k] - M[p * K + k];
            } else {
                char lab[128];
                switch (d->lonely) {
                case WFS_LONELY_ADJUST:
                    /* R's onestrat(): the singleton's total is not centred. */
                    scale = f;
                    for (size_t k = 0; k < K; k++) dev[k] = Z[s][u * K + k];
                    if (lonely_used) *lonely_used = 1;
                    break;
                case WFS_LONELY_AVERAGE:
                    if (s > 1) {
                        parent_name(lab, sizeof lab, d, s, p);
                        rc = wfs_fail(err, WFS_EDESIGN,
                                      "lonely=average cannot estimate a variance inside %s, which "
                                      "has a single sampled unit at stage %zu; use lonely=adjust "
                                      "or certainty",
                                      lab, s);
                        goto out;
                    }
                    continue;
                case WFS_LONELY_CERTAINTY:
                case WFS_LONELY_REMOVE: continue;
                default:
                    parent_name(lab, sizeof lab, d, s, p);
                    rc = wfs_fail(err, WFS_EDESIGN,
                                  "%s has only one sampled unit at stage %zu; choose a lonely-PSU "
                                  "policy (lonely=adjust, average, certainty or remove)",
                                  lab, s);
                    goto out;
                }
            }
            double a = scale * A[p];
            for (size_t i = 0; i < K; i++) {
                double di = a * dev[i];
                if (di == 0) continue;
                for (size_t j = 0; j < K; j++) Vs[i * K + j] += di * dev[j];
            }
        }
        if (s == 1 && d->lonely == WFS_LONELY_AVERAGE) {
            /* onestage(): sum over strata with a variance, times
             * (strata present) / (strata present with a variance). */
            size_t nstrat = 0, nok = 0;
            for (size_t h = 0; h < nparents; h++) {
                if (!pp[h]) continue;
                nstrat++;
                double N = lv->popsize[h], n = (double)lv->count[h];
                double f = isinf(N) ? 1 : (N - n) / N;
                nok += lv->count[h] > 1 || f < 1e-7;
            }
            if (nok == 0) {
                rc = wfs_fail(err, WFS_EDESIGN,
                              "lonely=average needs at least one stratum with two or more PSUs "
                              "in the domain");
                goto out;
            }
            if (nok < nstrat) {
                for (size_t k = 0; k < K * K; k++) V1[k] *= (double)nstrat / (double)nok;
                if (lonely_used) *lonely_used = 1;
            }
        }
        /* Ancestor factors for the next level: n/N of each parent. */
        if (s < L) {
            size_t nu = lv->nunits;
            Anext = wfs_mallocarray(nu, sizeof *Anext);
            if (!Anext) goto nomem;
            for (size_t u = 0; u < nu; u++) {
                size_t p = lv->parent[u];
                Anext[u] = A[p] * (double)lv->count[p] / lv->popsize[p];
            }
            free(A);
            A = Anext;
            Anext = NULL;
        }
        free(M);
        free(pp);
        M = NULL;
        pp = NULL;
    }
    for (size_t k = 0; k < K * K; k++) V[k] += V1[k];
    goto out;
nomem:
    rc = wfs_nomem(err);
out:
    for (size_t s = 0; s <= WFS_MAX_STAGES; s++) {
        free(Zown[s]);
        free(Pown[s]);
    }
    free(A);
    free(Anext);
    free(M);
    free(pp);
    free(V1);
    free(dev);
    return rc;
}

/* One stage, sparse: m present PSUs with totals Z (m x K). Absent PSUs of a
 * stratum have zero totals, which enter the stratum mean and the sum of
 * squares as (n_h - present_h) * mean mean'. */
static int recvar_stage1(double *V, const wfs_design *d, const uint32_t *units, const double *Z,
                         size_t m, size_t K, int *lonely_used, wfs_error *err)
{
    const wfs_level *lv = &d->lev[1];
    size_t H = d->nstrata;
    double *sum = wfs_callocarray(H * K, sizeof *sum);
    size_t *npres = wfs_callocarray(H, sizeof *npres);
    double *dev = wfs_mallocarray(K, sizeof *dev);
    int rc = 0;
    if (!sum || !npres || !dev) {
        rc = wfs_nomem(err);
        goto out;
    }
    for (size_t r = 0; r < m; r++) {
        size_t u = units ? units[r] : r, h = lv->parent[u];
        for (size_t k = 0; k < K; k++) sum[h * K + k] += Z[r * K + k];
        npres[h]++;
    }
    for (size_t r = 0; r < m; r++) {
        size_t u = units ? units[r] : r, h = lv->parent[u];
        double N = lv->popsize[h], n = (double)lv->count[h];
        double f = isinf(N) ? 1 : (N - n) / N, scale;
        if (f < 1e-7) continue;
        if (lv->count[h] > 1) {
            scale = f * n / (n - 1);
            for (size_t k = 0; k < K; k++) dev[k] = Z[r * K + k] - sum[h * K + k] / n;
        } else if (d->lonely == WFS_LONELY_ADJUST) {
            /* onestrat(): a lonely PSU's total is not centred. */
            scale = f;
            for (size_t k = 0; k < K; k++) dev[k] = Z[r * K + k];
            if (lonely_used) *lonely_used = 1;
        } else if (d->lonely == WFS_LONELY_FAIL) {
            char lab[128];
            parent_name(lab, sizeof lab, d, 1, h);
            rc = wfs_fail(err, WFS_EDESIGN,
                          "%s has only one PSU; choose a lonely-PSU policy (lonely=adjust, "
                          "average, certainty or remove)",
                          lab);
            goto out;
        } else {
            continue;
        }
        for (size_t i = 0; i < K; i++) {
            double di = scale * dev[i];
            if (di == 0) continue;
            for (size_t j = 0; j < K; j++) V[i * K + j] += di * dev[j];
        }
    }
    size_t nstrat = 0, nok = 0;
    for (size_t h = 0; h < H; h++) {
        if (!npres[h]) continue;
        double N = lv->popsize[h], n = (double)lv->count[h];
        double f = isinf(N) ? 1 : (N - n) / N;
        nstrat++;
        nok += lv->count[h] > 1 || f < 1e-7;
        if (lv->count[h] < 2 || f < 1e-7 || npres[h] == lv->count[h]) continue;
        double scale = f * n / (n - 1) * (n - (double)npres[h]);
        for (size_t k = 0; k < K; k++) dev[k] = sum[h * K + k] / n;
        for (size_t i = 0; i < K; i++)
            for (size_t j = 0; j < K; j++) V[i * K + j] += scale * dev[i] * dev[j];
    }
    if (d->lonely == WFS_LONELY_AVERAGE && nok < nstrat) {
        /* onestage(): the strata with a variance stand in for the others. */
        if (nok == 0) {
            rc = wfs_fail(err, WFS_EDESIGN,
                          "lonely=average needs at least one stratum with two or more PSUs "
                          "in the domain");
            goto out;
        }
        for (size_t k = 0; k < K * K; k++) V[k] *= (double)nstrat / (double)nok;
        if (lonely_used) *lonely_used = 1;
    }
out:
    free(sum);
    free(npres);
    free(dev);
    return rc;
}

int wfs_recvar(double *V, const wfs_design *d, const uint32_t *units, const double *Z, size_t m,
               size_t K, int *lonely_used, wfs_error *err)
{
    if (lonely_used) *lonely_used = 0;
    memset(V, 0, K * K * sizeof *V);
    if (d->rep)
        return wfs_fail(err, WFS_EINVAL,
                        "this analysis is not available on a replicate design (it needs "
                        "Taylor linearisation)");
    if (d->acc_level == 1) return recvar_stage1(V, d, units, Z, m, K, lonely_used, err);
    if (!units) return recvar_dense(V, d, Z, K, NULL, lonely_used, err);
    size_t nu = d->lev[d->acc_level].nunits;
    double *U = wfs_callocarray(nu * K, sizeof *U);
    uint8_t *present = calloc(nu ? nu : 1, 1);
    int rc;
    if (!U || !present) {
        rc = wfs_nomem(err);
    } else {
        for (size_t r = 0; r < m; r++) {
            memcpy(U + (size_t)units[r] * K, Z + r * K, K * sizeof *U);
            present[units[r]] = 1;
        }
        rc = recvar_dense(V, d, U, K, present, lonely_used, err);
    }
    free(U);
    free(present);
    return rc;
}
