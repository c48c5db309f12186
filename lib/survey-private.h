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
    size_t nsingleton;    /* strata (any level) with one sampled unit */
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

/* The upper (1 + level)/2 quantile of t on df degrees of freedom (normal
 * when infinite); NaN when df <= 0. */
double wfs_tcrit(double level, double df);

/* A proportion's interval by method m (ci.c). nrows: rows in the domain
 * (R's nrow(design) for beta); nobs: rows with nonzero weight (exact
 * intervals at 0 and 1); ddf_design: the domain's design df (beta).
 * Returns 1 when p is 0 or 1 and the exact interval was used. */
int wfs_prop_ci(double *lo, double *hi, wfs_ci_method m, double p, double se, double df,
                double level, double nrows, double nobs, double ddf_design);

/* Degrees of freedom of a domain: distinct PSUs minus distinct strata among
 * the rows with in[i] (NULL = all) and a nonzero weight. */
double wfs_domain_df(const wfs_design *d, const uint8_t *in);

#endif /* WFS_SURVEY_PRIVATE_H */
