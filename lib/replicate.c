/* replicate.c - replicate-weight designs and their variance (R survey
 * 4.1-1: as.svrepdesign, jk1weights, jknweights, brrweights, bootweights,
 * svrepdesign, svrVar, and the svyrep.design methods of the estimators
 * and of postStratify/rake/calibrate/trimWeights).
 *
 * A replicate design keeps its full-sample weights in the design and R
 * sets of replicate weights beside them: factors per PSU for designs
 * converted here (replicate weight = weight x factor of the row's PSU), or
 * full replicate-weight columns for weights supplied with the data and for
 * any design after weighting. Estimates are recomputed from replicate
 * totals: for factors per PSU, from the unit totals the estimation engine
 * accumulates anyway (cost O(PSUs x R) per domain); for columns, in one
 * pass over a domain's rows per block of replicates, reading the columns
 * in place. No per-row allocation.
 *
 * Missing values: replicate weights may not be missing or negative (R's
 * svrepdesign refuses missing ones). Rows missing an analysis variable are
 * dropped from that estimate in every replicate, as R's na.rm = TRUE
 * subsets the design. Domains are subsets of every replicate.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_rng.h>

#include "survey-private.h"

/* Replicates accumulated together in one pass over a domain's rows. */
#define REP_BLOCK 16

static const char *const type_names[] = {"JK1", "JKn", "BRR", "Fay", "bootstrap", "SDR"};

const char *wfs_rep_type_name(wfs_rep_type t)
{
    return (unsigned)t <= WFS_REP_SDR ? type_names[t] : "?";
}

int wfs_rep_type_parse(const char *name)
{
    if (!name) return -1;
    for (int t = 0; t <= WFS_REP_SDR; t++) {
        const char *a = type_names[t], *b = name;
        while (*a && *b && tolower((unsigned char)*a) == tolower((unsigned char)*b)) a++, b++;
        if (!*a && !*b) return t;
    }
    if (!strcmp(name, "successive-difference")) return WFS_REP_SDR;
    return -1;
}

size_t wfs_design_nreplicates(const wfs_design *d)
{
    return d->rep ? d->rep->R : 0;
}
wfs_rep_type wfs_design_rep_type(const wfs_design *d)
{
    return d->rep ? d->rep->type : WFS_REP_JK1;
}
double wfs_design_rep_scale(const wfs_design *d)
{
    return d->rep ? d->rep->scale : NAN;
}
double wfs_design_rep_rho(const wfs_design *d)
{
    return d->rep ? d->rep->rho : NAN;
}
int wfs_design_rep_mse(const wfs_design *d)
{
    return d->rep ? d->rep->mse : 0;
}

double wfs_design_rep_rscale(const wfs_design *d, size_t r)
{
    return d->rep && r < d->rep->R ? d->rep->rscales[r] : NAN;
}

static size_t psu_of_row(const wfs_design *d, size_t i)
{
    return d->lev[1].unit ? d->lev[1].unit[i] : i;
}

int wfs_design_rep_weights(double *w, const wfs_design *d, size_t r, wfs_error *err)
{
    const wfs_repw *rp = d->rep;
    if (!rp) return wfs_fail(err, WFS_EINVAL, "the design has no replicate weights");
    if (r >= rp->R)
        return wfs_fail(err, WFS_EINVAL, "replicate %zu does not exist (the design has %zu)", r + 1,
                        rp->R);
    if (rp->col) {
        memcpy(w, rp->col[r], d->n * sizeof *w);
    } else {
        for (size_t i = 0; i < d->n; i++) w[i] = d->w[i] * rp->F[psu_of_row(d, i) * rp->R + r];
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Degrees of freedom: rank of the replicate weights minus one          */
/* ------------------------------------------------------------------ */

/* Rank of an n x R matrix A from its Gram matrix G = A'A (R x R,
 * row-major, overwritten). R's degf.svyrep.design takes qr(A, tol =
 * 1e-5)$rank, where a column is dependent when its residual falls below
 * 1e-5 of its norm. Here the Gram matrix is scaled to unit diagonal and
 * its eigenvalues (squared singular values of A with columns of unit
 * norm) are counted above (1e-5)^2: the same rank wherever the matrix is
 * not within a whisker of the threshold, and stable where a Cholesky of
 * the Gram matrix is not (it squares the condition number). Returns
 * (size_t)-1 on failure. */
static size_t gram_rank(double *G, size_t R)
{
    size_t m = 0;
    size_t *keep = wfs_mallocarray(R ? R : 1, sizeof *keep);
    if (!keep) return (size_t)-1;
    for (size_t j = 0; j < R; j++)
        if (G[j * R + j] > 0) keep[m++] = j;
    if (m == 0) {
        free(keep);
        return 0;
    }
    gsl_matrix *S = gsl_matrix_alloc(m, m);
    gsl_vector *ev = gsl_vector_alloc(m);
    gsl_eigen_symm_workspace *ws = gsl_eigen_symm_alloc(m);
    size_t rank = (size_t)-1;
    if (S && ev && ws) {
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b < m; b++) {
                size_t j = keep[a], k = keep[b];
                gsl_matrix_set(S, a, b, G[j * R + k] / sqrt(G[j * R + j] * G[k * R + k]));
            }
        if (gsl_eigen_symm(S, ev, ws) == 0) {
            rank = 0;
            for (size_t a = 0; a < m; a++)
                if (gsl_vector_get(ev, a) > 1e-10) rank++;
        }
    }
    gsl_eigen_symm_free(ws);
    gsl_vector_free(ev);
    gsl_matrix_free(S);
    free(keep);
    return rank;
}

/* rank - 1 from a Gram matrix whose lower triangle is filled; frees G. */
static int df_from_lower_gram(double *df, double *G, size_t R, wfs_error *err)
{
    for (size_t j = 0; j < R; j++)
        for (size_t k = 0; k < j; k++) G[k * R + j] = G[j * R + k];
    size_t rank = gram_rank(G, R);
    free(G);
    if (rank == (size_t)-1) return wfs_nomem(err);
    *df = (double)rank - 1;
    return 0;
}

/* df of a design with factors per PSU: the n x R replicate weights have
 * rows w_i F[psu(i)], so their Gram matrix is sum over PSUs of
 * (sum of w_i^2 in the PSU) F_p F_p'. With fewer PSUs than replicates
 * (a bootstrap) the rank is taken from the PSU-side Gram matrix
 * (F_p . F_q scaled by the PSUs' weights), which has the same rank and is
 * smaller. */
static int rep_df_factors(double *df, const wfs_design *d, const wfs_repw *rp, wfs_error *err)
{
    size_t R = rp->R, P = rp->npsu;
    double *w2 = wfs_callocarray(P ? P : 1, sizeof *w2);
    if (!w2) return wfs_nomem(err);
    for (size_t i = 0; i < d->n; i++) w2[psu_of_row(d, i)] += d->w[i] * d->w[i];
    if (P < R) {
        size_t m = 0;
        size_t *use = wfs_mallocarray(P ? P : 1, sizeof *use);
        double *G = use ? wfs_callocarray(P ? P * P : 1, sizeof *G) : NULL;
        if (!G) {
            free(use);
            free(w2);
            return wfs_nomem(err);
        }
        for (size_t p = 0; p < P; p++)
            if (w2[p] > 0) use[m++] = p;
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b <= a; b++) {
                const double *fa = rp->F + use[a] * R, *fb = rp->F + use[b] * R;
                double s = 0;
                for (size_t r = 0; r < R; r++) s += fa[r] * fb[r];
                G[a * m + b] = s * sqrt(w2[use[a]] * w2[use[b]]);
            }
        free(use);
        free(w2);
        return df_from_lower_gram(df, G, m, err);
    }
    double *G = wfs_callocarray(R ? R * R : 1, sizeof *G);
    if (!G) {
        free(w2);
        return wfs_nomem(err);
    }
    for (size_t p = 0; p < P; p++) {
        if (w2[p] == 0) continue;
        const double *f = rp->F + p * R;
        for (size_t j = 0; j < R; j++) {
            double a = w2[p] * f[j];
            if (a == 0) continue;
            for (size_t k = 0; k <= j; k++) G[j * R + k] += a * f[k];
        }
    }
    free(w2);
    return df_from_lower_gram(df, G, R, err);
}

/* df of full replicate-weight columns. The Gram matrix is accumulated
 * over blocks of rows copied out of the columns (sequential reads). A
 * subset of rows has at most the rank of all of them, so once the rows
 * read give full rank R the answer is known: the rank is checked after
 * 4R rows and then each time the rows read double, and the pass stops at
 * full rank (the common case of published weights). Rank-deficient
 * weights (JKn, calibrated replicates) take the whole pass. */
#define GRAM_BLOCK 64
static int rep_df_columns(double *df, const wfs_design *d, const wfs_repw *rp,
                          const wfs_control *ctl, wfs_error *err)
{
    size_t R = rp->R, n = d->n;
    double *G = wfs_callocarray(R ? R * R : 1, sizeof *G);
    double *blk = wfs_mallocarray(GRAM_BLOCK, (R ? R : 1) * sizeof *blk);
    double *Gc = wfs_mallocarray(R ? R * R : 1, sizeof *Gc);
    int rc = 0;
    if (!G || !blk || !Gc) {
        rc = wfs_nomem(err);
        goto out;
    }
    size_t next_check = 4 * R;
    for (size_t i0 = 0; i0 < n; i0 += GRAM_BLOCK) {
        size_t nb = n - i0 < GRAM_BLOCK ? n - i0 : GRAM_BLOCK;
        if (WFS_UNLIKELY((i0 & 0xfffff) == 0) && wfs_interrupted(ctl)) {
            rc = wfs_fail(err, WFS_EINTR, "interrupted");
            goto out;
        }
        for (size_t j = 0; j < R; j++)
            for (size_t q = 0; q < nb; q++) blk[q * R + j] = rp->col[j][i0 + q];
        for (size_t q = 0; q < nb; q++) {
            const double *row = blk + q * R;
            for (size_t j = 0; j < R; j++) {
                double a = row[j];
                if (a == 0) continue;
                double *g = G + j * R;
                for (size_t k = 0; k <= j; k++) g[k] += a * row[k];
            }
        }
        size_t done = i0 + nb;
        if (done >= next_check && done < n) {
            next_check *= 2;
            memcpy(Gc, G, R * R * sizeof *Gc);
            double part = 0;
            if ((rc = df_from_lower_gram(&part, Gc, R, err))) {
                Gc = NULL;
                goto out;
            }
            Gc = wfs_mallocarray(R ? R * R : 1, sizeof *Gc);
            if (!Gc) {
                rc = wfs_nomem(err);
                goto out;
            }
            if (part == (double)R - 1) {
                *df = part;
                goto out;
            }
        }
    }
    rc = df_from_lower_gram(df, G, R, err);
    G = NULL;
out:
    free(G);
    free(Gc);
    free(blk);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Converting a Taylor design (as.svrepdesign)                          */
/* ------------------------------------------------------------------ */

typedef struct psu_info {
    size_t npsu, nstrata;
    size_t *first;  /* per PSU: its first row (R's order of unique(psu)) */
    size_t *order;  /* PSUs by first appearance */
    size_t *sorder; /* strata by first appearance */
    size_t *start;  /* nstrata + 1: offsets of each stratum's PSUs in byst */
    size_t *byst;   /* PSUs grouped by stratum, by first appearance within */
} psu_info;

static void psu_info_free(psu_info *P)
{
    free(P->first);
    free(P->order);
    free(P->sorder);
    free(P->start);
    free(P->byst);
}

static int cmp_first_ctx_sz(const size_t *first, size_t a, size_t b)
{
    return first[a] < first[b] ? -1 : first[a] > first[b];
}

static const size_t *sort_first; /* qsort has no context argument */
static int cmp_by_first(const void *a, const void *b)
{
    return cmp_first_ctx_sz(sort_first, *(const size_t *)a, *(const size_t *)b);
}

static int psu_info_build(psu_info *P, const wfs_design *d)
{
    memset(P, 0, sizeof *P);
    size_t np = d->lev[1].nunits, H = d->nstrata;
    P->npsu = np;
    P->nstrata = H;
    P->first = wfs_mallocarray(np, sizeof *P->first);
    P->order = wfs_mallocarray(np, sizeof *P->order);
    P->sorder = wfs_mallocarray(H, sizeof *P->sorder);
    P->start = wfs_callocarray(H + 1, sizeof *P->start);
    P->byst = wfs_mallocarray(np, sizeof *P->byst);
    size_t *sfirst = wfs_mallocarray(H, sizeof *sfirst);
    if (!P->first || !P->order || !P->sorder || !P->start || !P->byst || !sfirst) {
        free(sfirst);
        return WFS_ENOMEM;
    }
    for (size_t p = 0; p < np; p++) P->first[p] = SIZE_MAX;
    for (size_t i = d->n; i-- > 0;) P->first[psu_of_row(d, i)] = i;
    for (size_t h = 0; h < H; h++) sfirst[h] = SIZE_MAX;
    for (size_t p = 0; p < np; p++) {
        P->order[p] = p;
        size_t h = d->lev[1].parent[p];
        if (P->first[p] < sfirst[h]) sfirst[h] = P->first[p];
        P->start[h + 1]++;
    }
    sort_first = P->first;
    qsort(P->order, np, sizeof *P->order, cmp_by_first);
    for (size_t h = 0; h < H; h++) {
        P->sorder[h] = h;
        P->start[h + 1] += P->start[h];
    }
    sort_first = sfirst;
    qsort(P->sorder, H, sizeof *P->sorder, cmp_by_first);
    size_t *fill = wfs_mallocarray(H ? H : 1, sizeof *fill);
    if (!fill) {
        free(sfirst);
        return WFS_ENOMEM;
    }
    memcpy(fill, P->start, H * sizeof *fill);
    for (size_t k = 0; k < np; k++) {
        size_t p = P->order[k];
        P->byst[fill[d->lev[1].parent[p]]++] = p;
    }
    free(fill);
    free(sfirst);
    return 0;
}

/* The factor matrix and rscales being built, growing by replicate. */
typedef struct fbuild {
    size_t npsu, R, cap;
    double *F; /* column-major while building: R columns of npsu */
    double *rscales;
} fbuild;

static double *fb_add(fbuild *b, double fill, double rscale)
{
    if (b->R == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        double *F = wfs_reallocarray(b->F, cap, b->npsu * sizeof *F);
        if (!F) return NULL;
        b->F = F;
        double *rs = wfs_reallocarray(b->rscales, cap, sizeof *rs);
        if (!rs) return NULL;
        b->rscales = rs;
        b->cap = cap;
    }
    double *col = b->F + b->R * b->npsu;
    for (size_t p = 0; p < b->npsu; p++) col[p] = fill;
    b->rscales[b->R++] = rscale;
    return col;
}

/* Stratum fpc factor (N_h - n_h) / N_h, 1 without an fpc. */
static double fpc_factor(const wfs_design *d, size_t h)
{
    double N = d->lev[1].popsize[h], n = (double)d->lev[1].count[h];
    return isinf(N) ? 1 : (N - n) / N;
}

static int build_jk1(fbuild *b, double *scale, const wfs_design *d, const psu_info *P,
                     wfs_error *err)
{
    if (d->spec.strata)
        return wfs_fail(err, WFS_EDESIGN,
                        "JK1 needs an unstratified design (as R's as.svrepdesign); use jkn for "
                        "a stratified design");
    size_t n = P->npsu;
    double f = fpc_factor(d, 0);
    if (f == 0)
        return wfs_fail(err, WFS_EDESIGN,
                        "every PSU of the population was sampled: the design "
                        "has no sampling variance to replicate");
    /* jk1weights: replicate r drops PSU r (unique(psu) order), the others
     * times n/(n-1); scale fpc (n-1)/n. */
    for (size_t r = 0; r < n; r++) {
        double *col = fb_add(b, (double)n / (double)(n - 1), 1);
        if (!col) return wfs_nomem(err);
        col[P->order[r]] = 0;
    }
    *scale = f * (double)(n - 1) / (double)n;
    return 0;
}

static int build_jkn(fbuild *b, double *scale, const wfs_design *d, const psu_info *P,
                     wfs_error *err)
{
    if (!d->spec.strata)
        return wfs_fail(err, WFS_EDESIGN,
                        "JKn, BRR and Fay need a stratified design; use jk1 or bootstrap");
    size_t H = P->nstrata;
    for (size_t k = 0; k < H; k++) {
        size_t h = P->sorder[k], nh = P->start[h + 1] - P->start[h];
        const size_t *ps = P->byst + P->start[h];
        double f = fpc_factor(d, h);
        if (nh == 1 && f != 0) {
            /* jknweights' lonely-PSU handling. */
            if (d->lonely == WFS_LONELY_FAIL)
                return wfs_fail(err, WFS_EDESIGN,
                                "stratum %s has only one PSU; choose lonely=adjust, average, "
                                "certainty or remove",
                                d->stratum_label ? d->stratum_label[h] : "1");
            if (d->lonely != WFS_LONELY_ADJUST) continue;
            double *col = fb_add(b, (double)H / (double)(H - 1), (double)(H - 1) / (double)H);
            if (!col) return wfs_nomem(err);
            col[ps[0]] = 0;
            continue;
        }
        /* survey.drop.replicates: a fully sampled stratum has none. */
        if (f == 0) continue;
        for (size_t j = 0; j < nh; j++) {
            double *col = fb_add(b, 1, f * (double)(nh - 1) / (double)nh);
            if (!col) return wfs_nomem(err);
            for (size_t l = 0; l < nh; l++) col[ps[l]] = (double)nh / (double)(nh - 1);
            col[ps[j]] = 0;
        }
    }
    if (b->R == 0)
        return wfs_fail(err, WFS_EDESIGN,
                        "every stratum was sampled exhaustively: the design "
                        "has no sampling variance to replicate");
    *scale = 1;
    if (b->R < P->npsu && d->lonely == WFS_LONELY_AVERAGE) *scale = (double)P->npsu / (double)b->R;
    return 0;
}

static const wfs_design *sort_design;
static int cmp_stratum_label(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    const char *lx = sort_design->stratum_label ? sort_design->stratum_label[x] : "";
    const char *ly = sort_design->stratum_label ? sort_design->stratum_label[y] : "";
    return wfs_level_cmp(lx, ly);
}

static int build_brr(fbuild *b, double *scale, const wfs_design *d, const psu_info *P, double rho,
                     wfs_error *err)
{
    if (!d->spec.strata)
        return wfs_fail(err, WFS_EDESIGN,
                        "JKn, BRR and Fay need a stratified design; use jk1 or bootstrap");
    size_t H = P->nstrata;
    for (size_t h = 0; h < H; h++) {
        size_t nh = P->start[h + 1] - P->start[h];
        if (nh != 2)
            return wfs_fail(err, WFS_EDESIGN,
                            "BRR and Fay need exactly two PSUs in every stratum; stratum %s has "
                            "%zu (use jkn or bootstrap)",
                            d->stratum_label ? d->stratum_label[h] : "1", nh);
    }
    const char *const *Hm;
    size_t order;
    if (wfs_hadamard(&Hm, &order, H))
        return wfs_fail(err, WFS_ELIMIT,
                        "BRR is available for up to 127 strata (the design has %zu); use jkn", H);
    /* brrweights: strata in sorted order (R sorts the labels), the first
     * PSU of a stratum (by first appearance) in the half-sample when entry
     * (1 + stratum, replicate) of the Hadamard matrix is 1. */
    size_t *sorted = wfs_mallocarray(H, sizeof *sorted);
    if (!sorted) return wfs_nomem(err);
    for (size_t h = 0; h < H; h++) sorted[h] = h;
    sort_design = d;
    qsort(sorted, H, sizeof *sorted, cmp_stratum_label);
    for (size_t r = 0; r < order; r++) {
        double *col = fb_add(b, 0, 1);
        if (!col) {
            free(sorted);
            return wfs_nomem(err);
        }
        for (size_t k = 0; k < H; k++) {
            size_t h = sorted[k];
            const size_t *ps = P->byst + P->start[h];
            int hv = wfs_hadamard_at(Hm, 1 + k, r);
            col[ps[0]] = hv ? 2 - rho : rho;
            col[ps[1]] = hv ? rho : 2 - rho;
        }
    }
    free(sorted);
    *scale = 1 / ((double)order * (1 - rho) * (1 - rho));
    return 0;
}

static int build_boot(fbuild *b, double *scale, const wfs_design *d, const psu_info *P, size_t reps,
                      unsigned long seed, wfs_error *err)
{
    size_t H = P->nstrata;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) return wfs_nomem(err);
    gsl_rng_set(rng, seed);
    size_t maxh = 0;
    double inv = 0;
    for (size_t h = 0; h < H; h++) {
        size_t nh = P->start[h + 1] - P->start[h];
        if (nh > maxh) maxh = nh;
        inv += 1 / (double)nh;
    }
    size_t *pick = wfs_mallocarray(maxh ? maxh : 1, sizeof *pick);
    if (!pick) {
        gsl_rng_free(rng);
        return wfs_nomem(err);
    }
    int rc = 0;
    for (size_t r = 0; r < reps && !rc; r++) {
        double *col = fb_add(b, 0, 1);
        if (!col) {
            rc = wfs_nomem(err);
            break;
        }
        for (size_t k = 0; k < H; k++) {
            size_t h = P->sorder[k], nh = P->start[h + 1] - P->start[h];
            const size_t *ps = P->byst + P->start[h];
            double N = d->lev[1].popsize[h];
            if (isinf(N)) {
                /* bootstratum without popsize: n_h draws with replacement. */
                for (size_t j = 0; j < nh; j++) col[ps[gsl_rng_uniform_int(rng, nh)]] += 1;
            } else {
                /* n_h draws without replacement from the PSUs repeated to
                 * the population size (Floyd's algorithm on 0..N-1). */
                unsigned long M = (unsigned long)floor(N);
                size_t got = 0;
                for (unsigned long t = M - nh; t < M; t++) {
                    unsigned long v = gsl_rng_uniform_int(rng, t + 1);
                    for (size_t q = 0; q < got; q++)
                        if (pick[q] == v) {
                            v = t;
                            break;
                        }
                    pick[got++] = v;
                }
                for (size_t q = 0; q < got; q++) col[ps[pick[q] % nh]] += 1;
            }
        }
    }
    free(pick);
    gsl_rng_free(rng);
    if (rc) return rc;
    /* bootweights: psu.per.strata = 1/mean(1/n_h). */
    double nbar = (double)H / inv;
    if (!(nbar > 1))
        return wfs_fail(err, WFS_EDESIGN, "the bootstrap needs strata with two or more PSUs");
    *scale = nbar / ((nbar - 1) * (double)(reps - 1));
    return 0;
}

static int set_rep_name(wfs_design *d, wfs_error *err)
{
    char buf[128];
    snprintf(buf, sizeof buf, "replicate (%s, %zu replicates%s)", wfs_rep_type_name(d->rep->type),
             d->rep->R, d->rep->mse ? ", mse" : "");
    char *s = wfs_strdup(buf);
    if (!s) return wfs_nomem(err);
    free(d->variance_name);
    d->variance_name = s;
    return 0;
}

int wfs_replicate_design(wfs_design **out, const wfs_design *d, const wfs_replicate_options *opt,
                         wfs_error *err)
{
    *out = NULL;
    if (d->rep) return wfs_fail(err, WFS_EDESIGN, "the design already has replicate weights");
    if (d->cal)
        return wfs_fail(err, WFS_EDESIGN,
                        "the design's weights were adjusted (post-stratified, raked or "
                        "calibrated): create the replicate weights first, then weight the "
                        "replicate design so every replicate is adjusted");
    if ((unsigned)opt->type > WFS_REP_BOOTSTRAP)
        return wfs_fail(err, WFS_EINVAL,
                        "replicate weights can be created by jk1, jkn, brr, fay or bootstrap");
    if (opt->type == WFS_REP_FAY && !(opt->rho > 0 && opt->rho < 1))
        return wfs_fail(err, WFS_EINVAL, "Fay's rho must be between 0 and 1 (got %g)", opt->rho);
    size_t reps = opt->reps ? opt->reps : 50;
    if (opt->type == WFS_REP_BOOTSTRAP && (reps < 2 || reps > 100000))
        return wfs_fail(err, WFS_EINVAL, "reps must be between 2 and 100000 (got %zu)", reps);
    psu_info P;
    fbuild b = {d->lev[1].nunits, 0, 0, NULL, NULL};
    double scale = 1, rho = opt->type == WFS_REP_FAY ? opt->rho : 0;
    wfs_design *nd = NULL;
    wfs_repw *rp = NULL;
    int rc = psu_info_build(&P, d) ? wfs_nomem(err) : 0;
    if (!rc) {
        switch (opt->type) {
        case WFS_REP_JK1:
            rc = build_jk1(&b, &scale, d, &P, err);
            break;
        case WFS_REP_JKN:
            rc = build_jkn(&b, &scale, d, &P, err);
            break;
        case WFS_REP_BRR:
        case WFS_REP_FAY:
            rc = build_brr(&b, &scale, d, &P, rho, err);
            break;
        default:
            rc = build_boot(&b, &scale, d, &P, reps, opt->seed, err);
            break;
        }
    }
    if (!rc) rc = wfs_design_copy(&nd, d, err);
    if (!rc && !(rp = calloc(1, sizeof *rp))) rc = wfs_nomem(err);
    if (!rc) {
        rp->type = opt->type;
        rp->R = b.R;
        rp->scale = scale;
        rp->rho = rho;
        rp->mse = opt->mse;
        rp->npsu = b.npsu;
        rp->rscales = b.rscales;
        b.rscales = NULL;
        /* Store row-major (PSU x replicate) so a PSU's factors are adjacent. */
        rp->F = wfs_mallocarray(b.npsu * b.R, sizeof *rp->F);
        if (!rp->F) rc = wfs_nomem(err);
        for (size_t r = 0; !rc && r < b.R; r++)
            for (size_t p = 0; p < b.npsu; p++) rp->F[p * b.R + r] = b.F[r * b.npsu + p];
    }
    if (!rc) rc = rep_df_factors(&rp->df, d, rp, err);
    if (!rc) {
        nd->rep = rp;
        rp = NULL;
        /* Replicate totals come from PSU totals: accumulate at stage 1. */
        nd->acc_level = 1;
        nd->df = nd->rep->df;
        rc = set_rep_name(nd, err);
    }
    psu_info_free(&P);
    free(b.F);
    free(b.rscales);
    wfs_repw_free(rp);
    if (rc) {
        wfs_design_free(nd);
        return rc;
    }
    *out = nd;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Supplied replicate weights (svrepdesign)                             */
/* ------------------------------------------------------------------ */

int wfs_design_new_replicate(wfs_design **out, const wfs_table *t, const wfs_repweights_spec *spec,
                             wfs_error *err)
{
    *out = NULL;
    size_t R = spec->ncolumns, n = wfs_table_nrows(t);
    if ((unsigned)spec->type > WFS_REP_SDR)
        return wfs_fail(err, WFS_EINVAL, "unknown replicate type");
    if (R < 2) return wfs_fail(err, WFS_EINVAL, "give at least two replicate-weight variables");
    if (spec->type == WFS_REP_FAY && !(spec->rho > 0 && spec->rho < 1))
        return wfs_fail(err, WFS_EINVAL, "type=fay needs rho= between 0 and 1");
    if (spec->type == WFS_REP_JKN && !spec->rscales)
        return wfs_fail(err, WFS_EINVAL,
                        "type=jkn needs rscales= (the (n_h-1)/n_h of each replicate's stratum)");
    if (spec->rscales && spec->nrscales != 1 && spec->nrscales != R)
        return wfs_fail(err, WFS_EINVAL,
                        "rscales has %zu values; give 1 or %zu (one per replicate)", spec->nrscales,
                        R);
    if (!isnan(spec->scale) && !(spec->scale > 0 && isfinite(spec->scale)))
        return wfs_fail(err, WFS_EINVAL, "scale must be a positive number (got %g)", spec->scale);
    if (!isnan(spec->scale) &&
        (spec->type == WFS_REP_BRR || spec->type == WFS_REP_FAY || spec->type == WFS_REP_SDR))
        return wfs_fail(err, WFS_EINVAL,
                        "scale= does not apply to type=%s: its scale is fixed by "
                        "the number of replicates",
                        spec->type == WFS_REP_SDR   ? "sdr"
                        : spec->type == WFS_REP_BRR ? "brr"
                                                    : "fay");
    if (spec->df < 0 || isnan(spec->df))
        return wfs_fail(err, WFS_EINVAL, "df must be positive (got %g)", spec->df);
    for (size_t r = 0; r < R; r++) {
        const char *name = spec->columns[r];
        long col = wfs_table_find(t, name);
        if (col < 0) return wfs_fail_unknown_variable(err, t, name);
        if (wfs_table_type(t, (size_t)col) != WFS_NUMERIC)
            return wfs_fail(err, WFS_ETYPE, "replicate weight \"%s\" is not numeric", name);
        if (wfs_table_nmissing(t, (size_t)col))
            return wfs_fail(err, WFS_EDESIGN,
                            "replicate weight \"%s\" has %zu missing value%s; replicate weights "
                            "may not be missing",
                            name, wfs_table_nmissing(t, (size_t)col),
                            wfs_table_nmissing(t, (size_t)col) == 1 ? "" : "s");
        const double *v = wfs_table_numeric(t, (size_t)col);
        for (size_t i = 0; i < n; i++)
            if (v[i] < 0 || !isfinite(v[i]))
                return wfs_fail(err, WFS_EDESIGN,
                                "replicate weight \"%s\" is %g in row %zu; replicate weights must "
                                "be finite and not negative",
                                name, v[i], i + 1);
        for (size_t q = 0; q < r; q++)
            if (!strcmp(spec->columns[q], name))
                return wfs_fail(err, WFS_EINVAL, "replicate weight \"%s\" is listed twice", name);
    }
    wfs_design_spec ds = WFS_DESIGN_SPEC_INIT;
    ds.weight = spec->weight;
    wfs_design *d = NULL;
    int rc = wfs_design_new(&d, t, &ds, err);
    if (rc) return rc;
    wfs_repw *rp = calloc(1, sizeof *rp);
    if (!rp) goto nomem;
    d->rep = rp;
    rp->type = spec->type;
    rp->R = R;
    rp->rho = spec->type == WFS_REP_FAY ? spec->rho : 0;
    rp->mse = spec->mse;
    rp->rscales = wfs_mallocarray(R, sizeof *rp->rscales);
    rp->col = wfs_mallocarray(R, sizeof *rp->col);
    if (!rp->rscales || !rp->col) goto nomem;
    for (size_t r = 0; r < R; r++) {
        rp->col[r] = wfs_table_numeric(t, (size_t)wfs_table_find(t, spec->columns[r]));
        rp->rscales[r] = spec->rscales ? spec->rscales[spec->nrscales == 1 ? 0 : r] : 1;
        if (!(rp->rscales[r] >= 0 && isfinite(rp->rscales[r]))) {
            rc = wfs_fail(err, WFS_EINVAL, "rscales must be finite and not negative");
            goto fail;
        }
    }
    /* svrepdesign's scale for each type (combined weights). */
    double Rd = (double)R;
    switch (spec->type) {
    case WFS_REP_BRR:
        rp->scale = 1 / Rd;
        break;
    case WFS_REP_FAY:
        rp->scale = 1 / (Rd * (1 - rp->rho) * (1 - rp->rho));
        break;
    case WFS_REP_SDR:
        rp->scale = 4 / Rd;
        break;
    case WFS_REP_JK1:
        rp->scale = isnan(spec->scale) ? (Rd - 1) / Rd : spec->scale;
        break;
    case WFS_REP_BOOTSTRAP:
        rp->scale = isnan(spec->scale) ? 1 / (Rd - 1) : spec->scale;
        break;
    default:
        rp->scale = isnan(spec->scale) ? 1 : spec->scale;
        break;
    }
    if (spec->type == WFS_REP_SDR)
        for (size_t r = 0; r < R; r++) rp->rscales[r] = 1;
    if (spec->df > 0)
        rp->df = spec->df;
    else if ((rc = rep_df_columns(&rp->df, d, rp, NULL, err)))
        goto fail;
    d->df = rp->df;
    if ((rc = set_rep_name(d, err))) goto fail;
    {
        char buf[600];
        snprintf(buf, sizeof buf, "%zu replicate weights (%s%s%s), weights %s", R, spec->columns[0],
                 R > 2 ? " ... " : ", ", spec->columns[R - 1], spec->weight ? spec->weight : "1");
        char *desc = wfs_strdup(buf);
        if (!desc) goto nomem;
        free(d->describe);
        d->describe = desc;
    }
    *out = d;
    return 0;
nomem:
    rc = wfs_nomem(err);
fail:
    wfs_design_free(d);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Replicate totals and svrVar                                          */
/* ------------------------------------------------------------------ */

/* The unweighted basis values of row i (basis_row of engine.c without the
 * weight); 0 when the row is missing. For categorical bases only the level
 * is returned, in *lev. */
static inline int row_values(double *u, size_t *lev, const wfs_basis *b, size_t i)
{
    switch (b->kind) {
    case WFS_B_NUMERIC:
        if (isnan(b->y[i])) return 0;
        u[0] = b->y[i] - b->c;
        u[1] = 1;
        return 1;
    case WFS_B_INDICATOR:
        if (isnan(b->y[i])) return 0;
        u[0] = b->y[i] <= b->q;
        u[1] = 1;
        return 1;
    case WFS_B_RATIO:
        if (isnan(b->y[i]) || isnan(b->x[i])) return 0;
        u[0] = b->y[i];
        u[1] = b->x[i];
        u[2] = 1;
        return 1;
    case WFS_B_CATEGORICAL:
        if (b->codes[i] < 0) return 0;
        *lev = (size_t)b->codes[i];
        return 1;
    }
    return 0;
}

int wfs_rep_check_options(const wfs_design *d, const wfs_est_options *opt, wfs_error *err)
{
    if (!d->rep) return 0;
    if (opt->deff != WFS_DEFF_NONE)
        return wfs_fail(err, WFS_EINVAL, "design effects are not available on a replicate design");
    if (opt->ci == WFS_CI_LIKELIHOOD)
        return wfs_fail(err, WFS_EINVAL,
                        "ci=likelihood is not available on a replicate design; use logit, "
                        "xlogit, wald, asin, beta or wilson");
    return 0;
}

int wfs_rep_totals(double *TR, const wfs_design *d, const wfs_basis *b, const wfs_domains *D,
                   size_t g, const wfs_accum *A, const wfs_control *ctl, wfs_error *err)
{
    const wfs_repw *rp = d->rep;
    size_t R = rp->R, B = b->B;
    memset(TR, 0, R * B * sizeof *TR);
    if (rp->F) {
        /* Replicate total = sum over PSUs of factor x PSU total. */
        for (size_t j = 0; j < A->m; j++) {
            const double *S = A->S + j * B, *f = rp->F + (size_t)A->units[j] * R;
            for (size_t r = 0; r < R; r++) {
                double a = f[r];
                if (a == 0) continue;
                double *T = TR + r * B;
                for (size_t k = 0; k < B; k++) T[k] += a * S[k];
            }
        }
        return 0;
    }
    /* Columns: one pass over the domain's rows per block of replicates. */
    for (size_t r0 = 0; r0 < R; r0 += REP_BLOCK) {
        size_t r1 = r0 + REP_BLOCK < R ? r0 + REP_BLOCK : R;
        if (wfs_interrupted(ctl)) return wfs_fail(err, WFS_EINTR, "interrupted");
        const double *const *col = rp->col;
        wfs_rowiter it;
        wfs_it_begin(&it, D, g, d->n);
        size_t i;
        double u[3];
        size_t lev = 0;
        while ((i = wfs_it_next(&it)) != SIZE_MAX) {
            if (!row_values(u, &lev, b, i)) continue;
            if (b->kind == WFS_B_CATEGORICAL) {
                for (size_t r = r0; r < r1; r++) {
                    double wr = col[r][i];
                    TR[r * B + lev] += wr;
                    TR[r * B + B - 1] += wr;
                }
            } else if (B == 2) {
                for (size_t r = r0; r < r1; r++) {
                    double wr = col[r][i];
                    TR[r * 2] += wr * u[0];
                    TR[r * 2 + 1] += wr;
                }
            } else {
                for (size_t r = r0; r < r1; r++) {
                    double wr = col[r][i];
                    for (size_t k = 0; k < B; k++) TR[r * B + k] += wr * u[k];
                }
            }
        }
    }
    return 0;
}

int wfs_rep_var(double *V, const wfs_design *d, const double *thetas, const double *theta0,
                size_t K, size_t *ndropped, wfs_error *err)
{
    const wfs_repw *rp = d->rep;
    size_t R = rp->R, used = 0, dropped = 0;
    double *c = wfs_callocarray(K ? K : 1, sizeof *c);
    if (!c) return wfs_nomem(err);
    memset(V, 0, K * K * sizeof *V);
    /* svrVar: na.omit drops replicates with an NA estimate. */
    for (size_t r = 0; r < R; r++) {
        const double *t = thetas + r * K;
        int bad = 0;
        for (size_t k = 0; k < K; k++) bad |= !isfinite(t[k]);
        if (bad) {
            dropped++;
            continue;
        }
        if (!(rp->rscales[r] > 0)) continue;
        for (size_t k = 0; k < K; k++) c[k] += t[k];
        used++;
    }
    if (ndropped) *ndropped = dropped;
    if (dropped == R) {
        for (size_t k = 0; k < K * K; k++) V[k] = NAN;
        free(c);
        return 0;
    }
    if (rp->mse) {
        memcpy(c, theta0, K * sizeof *c);
    } else {
        for (size_t k = 0; k < K; k++) c[k] = used ? c[k] / (double)used : NAN;
    }
    for (size_t r = 0; r < R; r++) {
        const double *t = thetas + r * K;
        int bad = 0;
        for (size_t k = 0; k < K; k++) bad |= !isfinite(t[k]);
        if (bad || rp->rscales[r] == 0) continue;
        double s = rp->rscales[r];
        for (size_t j = 0; j < K; j++) {
            double dj = (t[j] - c[j]) * s;
            for (size_t k = 0; k <= j; k++) V[j * K + k] += dj * (t[k] - c[k]);
        }
    }
    for (size_t j = 0; j < K; j++)
        for (size_t k = 0; k <= j; k++) {
            V[j * K + k] *= rp->scale;
            V[k * K + j] = V[j * K + k];
        }
    free(c);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Weighting a replicate design                                        */
/* ------------------------------------------------------------------ */

int wfs_rep_reweight(wfs_design **out, const wfs_design *d, wfs_reweight_fn fn, void *ctx,
                     const wfs_control *ctl, wfs_error *err)
{
    *out = NULL;
    const wfs_repw *rp = d->rep;
    size_t R = rp->R, n = d->n;
    wfs_design *base = NULL, *nd = NULL, *nr = NULL;
    wfs_repw *np = NULL;
    int rc = wfs_design_copy(&base, d, err);
    if (rc) return rc;
    wfs_repw_free(base->rep);
    base->rep = NULL;
    if ((rc = fn(&nd, base, ctx, err))) goto out;
    np = calloc(1, sizeof *np);
    if (!np) goto nomem;
    *np = *rp;
    np->F = NULL;
    np->npsu = 0;
    np->rscales = wfs_mallocarray(R, sizeof *np->rscales);
    np->col = wfs_mallocarray(R, sizeof *np->col);
    np->own = wfs_mallocarray(R, n * sizeof *np->own);
    if (!np->rscales || !np->col || !np->own) goto nomem;
    memcpy(np->rscales, rp->rscales, R * sizeof *np->rscales);
    for (size_t r = 0; r < R; r++) {
        if (wfs_interrupted(ctl)) {
            rc = wfs_fail(err, WFS_EINTR, "interrupted");
            goto out;
        }
        if ((rc = wfs_design_rep_weights(base->w, d, r, err))) goto out;
        base->sumw = wfs_sum(base->w, n);
        wfs_error e2 = WFS_ERROR_INIT;
        if ((rc = fn(&nr, base, ctx, &e2))) {
            rc = wfs_fail(err, rc, "replicate %zu: %s", r + 1, e2.message);
            goto out;
        }
        memcpy(np->own + r * n, nr->w, n * sizeof *np->own);
        np->col[r] = np->own + r * n;
        wfs_design_free(nr);
        nr = NULL;
    }
    /* Replicate variance carries the weighting: no calibration residuals. */
    if (nd->cal && nd->cal_ops) nd->cal_ops->free(nd->cal);
    nd->cal = NULL;
    nd->calibrated = 0;
    nd->rep = np;
    np = NULL;
    nd->acc_level = d->acc_level;
    /* R recomputes degf after weighting: calibration to shared totals can
     * lower the rank of the replicate weights. */
    if ((rc = rep_df_columns(&nd->rep->df, nd, nd->rep, ctl, err))) goto out;
    nd->df = nd->rep->df;
    if ((rc = set_rep_name(nd, err))) goto out;
    *out = nd;
    nd = NULL;
    goto out;
nomem:
    rc = wfs_nomem(err);
out:
    wfs_repw_free(np);
    wfs_design_free(nr);
    wfs_design_free(nd);
    wfs_design_free(base);
    return rc;
}

typedef struct rw_ctx {
    const wfs_rw_args *a;
    wfs_result **report; /* for the first (full-sample) run only */
} rw_ctx;

static int rw_step(wfs_design **out, const wfs_design *d, void *ctx, wfs_error *err)
{
    rw_ctx *c = ctx;
    const wfs_rw_args *a = c->a;
    wfs_result **rep = c->report;
    c->report = NULL;
    switch (a->kind) {
    case WFS_RW_POST:
        return wfs_poststratify_run(out, rep, d, a->m, a->opt, err);
    case WFS_RW_RAKE:
        return wfs_rake_run(out, rep, d, a->m, a->opt, err);
    case WFS_RW_CAL:
        return wfs_calibrate_run(out, rep, d, a->m, a->opt, err);
    case WFS_RW_TRIM:
        return wfs_trim_run(out, rep, d, a->opt, err);
    default:
        return wfs_nonresponse_run(out, rep, d, a->respond, a->cells, a->ncells, a->opt, err);
    }
}

int wfs_rep_weighting(wfs_design **out, wfs_result **report, const wfs_design *d,
                      const wfs_rw_args *a, wfs_error *err)
{
    rw_ctx c = {a, report};
    int rc = wfs_rep_reweight(out, d, rw_step, &c, a->opt ? a->opt->control : NULL, err);
    if (rc && report && *report) {
        wfs_result_free(*report);
        *report = NULL;
    }
    if (!rc && report && *report)
        rc = wfs_result_add_note(*report,
                                 "every one of the %zu replicates was weighted the "
                                 "same way",
                                 d->rep->R)
                 ? wfs_nomem(err)
                 : 0;
    return rc;
}
