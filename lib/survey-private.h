/* survey-private.h - internals of designs and the variance engine.
 *
 * Shared by design.c, variance.c, estimate.c and the modules built on them
 * (crosstab, weighting, replicate, contrast). Never installed.
 *
 * Sampling units are numbered per level: level 0 holds the strata, level s
 * (1..nstages) the stage-s clusters, each unit knowing its parent one level
 * up. Variance is accumulated at level `acc_level`: stage 1 normally, the
 * last stage when later-stage fpcs make later stages contribute (R's
 * svyrecvar).
 */
#ifndef WFS_SURVEY_PRIVATE_H
#define WFS_SURVEY_PRIVATE_H

#include "wfs-private.h"

typedef struct wfs_level {
    size_t nunits;
    uint32_t *unit;    /* per row: the unit at this level; NULL = row i is unit i */
    uint32_t *parent;  /* per unit: its unit at the level above (level 0: stratum) */
    /* Per unit of the level above (its children at this level): */
    size_t *count;     /* number of children sampled (R's sampsize) */
    double *popsize;   /* population count N (INFINITY when no fpc) */
} wfs_level;

/* Calibration of a design's weights (post-stratification, raking,
 * calibration; weighting.c). The design owns it through these operations so
 * that lower modules need not know weighting.c. resid replaces the row
 * influence values X (n x B, row-major, zero outside the domain) by their
 * residuals against the calibration model, as R's svyrecvar does with
 * postStrata. */
typedef struct wfs_calib wfs_calib;

/* A calibration of one post-stratification or raking step, whose
 * residuals need no rows x B array: the per-cell compensated sums of
 * x_i / den_i over the rows in row order (rows whose values are all zero
 * skipped; den NULL: cellden of the row's cell) give, through adjust, the
 * cells' adjustment D (ncells x B; adjust may change S), and each row in a
 * cell c has the residual x_i - mul_i cellmul_c D_c (cellmul NULL: mul_i
 * alone). The same arithmetic as resid. */
typedef struct wfs_cal_cells {
    size_t ncells;
    const int32_t *cell; /* per row; -1: no cell and no residual */
    const double *den, *cellden;
    const double *mul, *cellmul;
    const void *step;
    int (*adjust)(const void *step, double *S, size_t B, double *D, wfs_error *err);
} wfs_cal_cells;

typedef struct wfs_calib_ops {
    int (*resid)(const wfs_calib *cal, const struct wfs_design *d, double *X, size_t B,
                 wfs_error *err);
    wfs_calib *(*copy)(const wfs_calib *cal);
    void (*free)(wfs_calib *cal);
    /* 1 and *out when the calibration is one step of cells (else 0) */
    int (*cells)(const wfs_calib *cal, const struct wfs_design *d, wfs_cal_cells *out);
} wfs_calib_ops;

/* Replicate weights of a design (replicate.c). Either factors per PSU
 * (F, npsu x R row-major: replicate weight = w_i F[psu(i)][r], designs
 * converted by wfs_replicate_design) or full replicate-weight columns
 * (col[r][i], borrowed from the table or owned in own: supplied weights,
 * and any design after weighting). */
typedef struct wfs_repw {
    wfs_rep_type type;
    size_t R;
    double scale, rho, df;
    double *rscales;      /* R */
    int mse;
    size_t npsu;
    double *F;            /* npsu x R, or NULL */
    const double **col;   /* R columns of n, or NULL */
    double *own;          /* owned column storage (R x n), or NULL */
} wfs_repw;

struct wfs_design {
    const wfs_table *t;
    size_t n;
    wfs_design_spec spec;
    char *names[2 + 2 * WFS_MAX_STAGES]; /* owned copies of the spec's names */
    double *w;            /* current weights */
    size_t nstrata;
    uint32_t *stratum;    /* per row; NULL when unstratified (all 0) */
    char **stratum_label; /* nstrata labels */
    size_t nstages;       /* cluster stages (1 when rows are the PSUs) */
    size_t acc_level;     /* level at which unit totals are accumulated */
    wfs_level lev[WFS_MAX_STAGES + 1]; /* lev[1..nstages]; lev[0] unused */
    int has_fpc;
    int weights_from_fpc;
    wfs_lonely lonely;
    double df;
    double sumw;
    char *describe;
    char *variance_name;
    int calibrated;       /* domains keep every stratum (R's calibrated designs) */
    wfs_calib *cal;       /* NULL unless weights were calibrated */
    const wfs_calib_ops *cal_ops;
    size_t nsingleton;    /* strata (any level) with one sampled unit */
    wfs_repw *rep;        /* replicate weights, or NULL (Taylor variance) */
};

/* Unit of a row at the accumulation level. */
static inline size_t wfs_unit_of(const wfs_design *d, size_t i)
{
    const wfs_level *L = &d->lev[d->acc_level];
    return L->unit ? L->unit[i] : i;
}

/* ---- variance engine (variance.c) ---- */

/* Covariance (K x K, row-major, into V) of K estimated totals from their
 * totals per sampling unit at the design's accumulation level, following
 * R's svyrecvar: with replacement within strata unless an fpc is given,
 * later stages added when their fpcs are given, the design's lonely-PSU
 * policy. units[0..m) lists the units holding rows of the estimation
 * domain (each once) and Z (m x K) their totals; units outside the list
 * have zero totals, and strata without listed units take no part, as when
 * R drops out-of-domain rows. units == NULL means Z is dense over every
 * unit (m = nunits) and all are present. *lonely_used is set when a
 * singleton stratum contributed through adjust or average. */
int wfs_recvar(double *V, const wfs_design *d, const uint32_t *units, const double *Z, size_t m,
               size_t K, int *lonely_used, wfs_error *err);

/* The q quantile of Beta(a, b) for shapes up to 1e12 and more, to 1e-9
 * relative or 1e-16 absolute against R (GSL's
 * gsl_cdf_beta_Pinv fails beyond about 1e5); NaN for invalid arguments. */
double wfs_qbeta(double q, double a, double b);
/* The upper (1 + level)/2 quantile of t on df degrees of freedom (normal
 * when infinite); NaN when df <= 0. */
double wfs_tcrit(double level, double df);

/* A proportion's interval by method m (ci.c). nrows: rows in the domain
 * (R's nrow(design) for beta); nobs: rows with nonzero weight (exact
 * intervals at 0 and 1); ddf_design: the domain's design df (beta).
 * Returns 1 when p is 0 or 1 and the exact interval was used. */
int wfs_prop_ci(double *lo, double *hi, wfs_ci_method m, double p, double se, double df,
                double level, double nrows, double nobs, double ddf_design);

/* svyciprop's logit interval from the standard error of the fitted logit
 * (on a replicate design, the replicate SE of the logit of p). */
void wfs_logit_ci(double *lo, double *hi, double p, double se_logit, double df, double level);

/* The profile-likelihood interval of svyciprop(method = "likelihood"): p
 * the proportion, b0 the fitted logit and se its design-based standard
 * error, lambda the design over the naive variance, nrows the domain's rows
 * (R's glm rows), phi summary.svyglm's dispersion. */
int wfs_prop_ci_likelihood(double *lo, double *hi, double p, double b0, double se, double lambda,
                           double nrows, double phi, double df, double level);

/* Degrees of freedom of a domain: distinct PSUs minus distinct strata among
 * the rows with in[i] (NULL = all) and a nonzero weight. */
double wfs_domain_df(const wfs_design *d, const uint8_t *in);


/* ---- the estimation engine (engine.c) ---- */

/* Domains of an analysis: the rows passing an `if` filter, split by the
 * combinations of the `by` variables' levels (the first varying fastest,
 * as R's svyby; empty combinations omitted). */
typedef struct wfs_domains {
    size_t ngroups, nby;
    int32_t *group;       /* per row: the group, -1 when outside */
    size_t *start;        /* ngroups + 1 offsets into rows */
    uint32_t *rows;       /* rows grouped by domain, in row order */
    const char **labels;  /* ngroups x nby level labels */
    const char *const *keys;
    size_t nfiltered;     /* rows passing the filter */
    size_t nmissing_by;   /* rows of the filter with a missing by value */
    wfs_pool pool;
} wfs_domains;
int wfs_domains_build(wfs_domains *D, const wfs_design *d, const wfs_est_options *opt,
                      wfs_error *err);
void wfs_domains_free(wfs_domains *D);

/* Iterate the rows of group g in row order. */
typedef struct wfs_rowiter {
    const wfs_domains *D;
    size_t g, pos, end;
} wfs_rowiter;
void wfs_it_begin(wfs_rowiter *it, const wfs_domains *D, size_t g, size_t n);
/* The next row, or SIZE_MAX at the end. */
size_t wfs_it_next(wfs_rowiter *it);

/* What is accumulated per row (the basis of a linear statistic). */
enum wfs_basis_kind { WFS_B_NUMERIC, WFS_B_CATEGORICAL, WFS_B_RATIO, WFS_B_INDICATOR };
typedef struct wfs_basis {
    enum wfs_basis_kind kind;
    const double *y, *x;   /* numeric / ratio numerator, ratio denominator */
    const int32_t *codes;  /* categorical codes (-1 missing) */
    size_t nlev;
    double c;              /* shift for numeric values */
    double q;              /* threshold for WFS_B_INDICATOR: I(y <= q) */
    size_t B;              /* totals per unit */
} wfs_basis;

/* Per-domain accumulation of basis totals by sampling unit; buffers are
 * reused across domains. After wfs_accum_run: units[0..m) the present units
 * with totals S (m x B), T the grand totals, nrows/nobs/nmiss the domain's
 * rows, rows with nonzero weight and rows skipped as missing, df the
 * domain's design df. */
typedef struct wfs_accum {
    const wfs_design *d;
    size_t B, cap, m;
    int32_t *slot;         /* per unit at the accumulation level: index or -1 */
    uint32_t *units;       /* present units */
    double *S;             /* m x B unit totals */
    uint8_t *pos;          /* per present unit: holds a nonzero-weight row */
    uint32_t *stamp_psu, *stamp_str;
    uint32_t stamp;
    /* results for the current domain */
    double *T;             /* B grand totals */
    size_t nrows, nobs, nmiss;
    double df;
    struct wfs_accum_batch *batch; /* every domain of a `by` from one pass */
    double *X;                     /* calibrated designs: rows x B values */
} wfs_accum;
int wfs_accum_init(wfs_accum *A, const wfs_design *d, size_t B, size_t maxrows, wfs_error *err);
/* A by accumulates every domain in one pass when domains x units is at most
 * max(rows, cells) (default 4M); 0: domains always go one at a time (tests). */
void wfs_by_batch_limit(size_t cells);
void wfs_accum_free(wfs_accum *A);
int wfs_accum_run(wfs_accum *A, const wfs_basis *b, const wfs_domains *D, size_t g,
                  const wfs_control *ctl, wfs_error *err);
/* Report an unknown variable, suggesting the closest name in t; returns
 * WFS_ENOTFOUND. */
int wfs_fail_unknown_variable(wfs_error *err, const wfs_table *t, const char *name);
/* The column of a variable an estimator can use: present, not text and not
 * all missing; else -1 with the error filled. */
long wfs_analysis_var(const wfs_design *d, const char *name, wfs_error *err);

/* sum w (y - a - bx x)^2 over the domain's rows with y (and x) present. */
double wfs_domain_ss(const wfs_design *d, const wfs_domains *D, size_t g, const double *y,
                     const double *x, double a, double bx);

/* ---- replicate weights (replicate.c, hadamard.c) ---- */

/* The Hadamard matrix R's survey::hadamard(nstrata) returns: *order rows
 * of *order/4 hex digits (see hadamard.c). -1 beyond 127 strata. */
int wfs_hadamard(const char *const **rows, size_t *order, size_t nstrata);
/* Entry (i, j) of such a matrix: 0 or 1. */
static inline int wfs_hadamard_at(const char *const *rows, size_t i, size_t j)
{
    char c = rows[i][j / 4];
    int v = c <= '9' ? c - '0' : c - 'a' + 10;
    return (v >> (3 - j % 4)) & 1;
}

void wfs_repw_free(wfs_repw *r);

/* The options no estimator offers on a replicate design (deff,
 * ci=likelihood): 0, or an error saying so. */
int wfs_rep_check_options(const wfs_design *d, const wfs_est_options *opt, wfs_error *err);
wfs_repw *wfs_repw_copy(const wfs_repw *r, size_t n);

/* Replicate totals of basis b over domain g of a replicate design: TR
 * (R x b->B, row-major). A is the accumulator just run on the same basis
 * and domain (its unit totals serve designs with factors per PSU). */
int wfs_rep_totals(double *TR, const wfs_design *d, const wfs_basis *b, const wfs_domains *D,
                   size_t g, const wfs_accum *A, const wfs_control *ctl, wfs_error *err);

/* R's svrVar: V (K x K) = scale sum_r rscale_r (theta_r - c)(theta_r - c)'
 * with c the mean of the replicates with rscale > 0, or theta0 with mse.
 * thetas is R x K. Replicates with a NaN estimate are dropped (counted in
 * *ndropped when not NULL); if every one is, V is NaN. */
int wfs_rep_var(double *V, const wfs_design *d, const double *thetas, const double *theta0,
                size_t K, size_t *ndropped, wfs_error *err);

/* Weighting of a replicate design: apply fn (a weighting of a Taylor
 * design, with its context) to the full-sample weights and to every
 * replicate's weights, so the replicate variance carries the weighting
 * through (R's postStratify/rake/calibrate/trimWeights on a svyrep.design).
 * *out gets the full-sample result with the new replicate columns. */
typedef int (*wfs_reweight_fn)(wfs_design **out, const wfs_design *d, void *ctx,
                               wfs_error *err);
int wfs_rep_reweight(wfs_design **out, const wfs_design *d, wfs_reweight_fn fn, void *ctx,
                     const wfs_control *ctl, wfs_error *err);

/* The weighting steps of weighting.c/calibrate.c on a replicate design:
 * each public *_run function hands itself over to wfs_rep_weighting when
 * the design has replicate weights; the step is then run on the
 * full-sample weights (filling report) and on each replicate's. */
enum { WFS_RW_POST, WFS_RW_RAKE, WFS_RW_CAL, WFS_RW_TRIM, WFS_RW_NONRESP };
typedef struct wfs_rw_args {
    int kind;
    const wfs_margins *m;
    const wfs_weighting_options *opt;
    const char *respond;
    const char *const *cells;
    size_t ncells;
} wfs_rw_args;
int wfs_rep_weighting(wfs_design **out, wfs_result **report, const wfs_design *d,
                      const wfs_rw_args *a, wfs_error *err);

#endif /* WFS_SURVEY_PRIVATE_H */
