/* weighting-private.h - internals shared by the weighting modules
 * (margins.c, weighting.c, calibrate.c); never installed.
 *
 * A weighted design carries a wfs_calib: the list of its calibration steps
 * in the order they were applied (R's design$postStrata). A step is
 * immutable once made and shared between designs by reference count, so
 * copying a design copies a list of pointers. Each step keeps the weights
 * it started from (the "old weights" R's svyrecvar uses) and what it needs
 * to rebuild its new weights and to residualise influence values:
 * post-stratification a factor per cell, raking the per-margin factors of
 * its last cycle on the table of margin cells, calibration its model and
 * Lagrange multipliers.
 */
#ifndef WFS_WEIGHTING_PRIVATE_H
#define WFS_WEIGHTING_PRIVATE_H

#include "survey-private.h"

/* ---- margins (margins.c) ---- */

typedef struct wfs_margin {
    size_t nvars;
    char **vars; /* nvars names */
    char *name;  /* "role" or "role*region" */
    int numeric; /* a numeric calibration total: one cell, no labels */
    size_t ncells, cap;
    char **labels;      /* ncells x nvars */
    double *total;      /* ncells */
    size_t *line;       /* per cell: line in the source file, 0 when given inline */
    const char *source; /* the file, or NULL (borrowed from wfs_margins) */
} wfs_margin;

struct wfs_margins {
    size_t n, cap;
    wfs_margin *m;
    char **sources; /* files read (owned) */
    size_t nsources;
};

int wfs_margins_copy(wfs_margins **out, const wfs_margins *src, wfs_error *err);

/* A categorical margin bound to a design: the data's rows mapped to the
 * margin's cells. Rows with a zero weight get -1. */
typedef struct wbound {
    const wfs_margin *mg;
    size_t ncells;
    int32_t *cell;  /* per row (a shared array) */
    double *target; /* per cell */
    size_t *nrows;  /* sampled rows per cell */
    size_t ref;     /* the reference cell (first in the data's level order) */
} wbound;

/* Bind margin mg to design d with current weights w. Checks every level
 * against the data, totals, missing values, and cells without sample. */
int wfs_wbound_init(wbound *b, const wfs_design *d, const wfs_margin *mg, const double *w,
                    wfs_error *err);
void wfs_wbound_free(wbound *b);
/* A label for cell c ("Manager" or "Manager, North"). */
void wfs_wbound_label(wfs_buf *out, const wbound *b, size_t c);

/* ---- shared arrays ----
 * Row arrays that designs and steps share read-only: allocated with a
 * reference count in front, passed around as plain pointers. */

int32_t *wfs_ishared_new(size_t n);
int32_t *wfs_ishared_ref(int32_t *p);
void wfs_ishared_unref(int32_t *p);
double *wfs_dshared_new(size_t n);
double *wfs_dshared_ref(double *p);
void wfs_dshared_unref(double *p);

/* ---- shared weight vectors ---- */

typedef struct wvec {
    _Atomic size_t refs; /* shared between designs, possibly across threads */
    size_t n;
    double w[];
} wvec;

wvec *wfs_wvec_new(const double *w, size_t n);
wvec *wfs_wvec_ref(wvec *v);
void wfs_wvec_unref(wvec *v);

/* ---- calibration steps ---- */

enum step_kind { STEP_POSTSTRAT = 1, STEP_RAKE, STEP_GREG };

/* The calibration model of a GREG step (calibrate.c). Column j of the
 * model matrix for row i: factor f contributes a 1 in column fcol[f][i]
 * (-1: none, the reference level), numeric k the value num[k][i] in
 * column numcol[k]. */
typedef struct cal_model {
    size_t n, p;
    size_t nfac, nnum;
    int32_t **fcol;
    double **num;
    size_t *numcol;
} cal_model;

void wfs_cal_model_free(cal_model *M);

typedef struct cal_step {
    _Atomic size_t refs;
    enum step_kind kind;
    size_t n;
    wvec *oldw; /* weights before the step */
    /* post-stratification and raking: cells */
    size_t ncells;
    int32_t *cell;    /* per row, -1 outside the sample (shared) */
    size_t *cellrows; /* sampled rows per cell */
    double *factor;   /* post-stratification: new/old weight per cell */
    double *cellw;    /* post-stratification: sum of the old weights per cell */
    /* raking: margins over the cells */
    size_t nmarg;
    int32_t *mcode;  /* ncells x nmarg: the cell's level in each margin */
    size_t *nlev;    /* nmarg */
    double *mfactor; /* ncells x nmarg: cumulative factor after margin m in the last cycle */
    /* GREG */
    cal_model model;
    double *G;   /* p x p Cholesky factor of D sum oldw m m' D */
    double *D;   /* p column scales */
    double *eta; /* p multipliers */
    wfs_calfun calfun;
    double lower, upper; /* bounds on g (infinite when absent) */
    double scale;        /* R's grake rescaling (1 when none) */
    /* how to redo the step (trimming a calibrated design) */
    wfs_margins *margins;
    wfs_weighting_options opt;
    char *what; /* "post-stratified on role" */
} cal_step;

cal_step *wfs_step_new(enum step_kind kind, size_t n, const double *oldw);
void wfs_step_unref(cal_step *s);
/* g of row i for a GREG step: new weight / old weight. */
double wfs_greg_g(const cal_step *s, size_t i);
/* Residualise X (n x B) against a GREG step (calibrate.c). */
int wfs_greg_resid(const cal_step *s, double *X, size_t B, wfs_error *err);

struct wfs_calib {
    size_t nsteps;
    cal_step **steps;
};

/* A copy of d with weights w (n values) and, when step is not NULL, the
 * step appended to its calibration (replacing the last step when replace
 * is set). Updates the sum of weights, the df and the description (with
 * `what`). Takes a reference to step. */
int wfs_weighted_design(wfs_design **out, const wfs_design *d, const double *w, cal_step *step,
                        int replace, const char *what, wfs_error *err);
/* The same in two steps, so that the new weights can be written straight
 * into (*out)->w: wfs_weighted_copy makes the copy; wfs_weighted_finish
 * completes it (and frees it on failure). */
int wfs_weighted_copy(wfs_design **out, const wfs_design *d, wfs_error *err);
int wfs_weighted_finish(wfs_design *nd, const wfs_design *d, cal_step *step, int replace,
                        const char *what, wfs_error *err);

/* The design's own weights, before any weighting (from the weight variable
 * or the fpc), into w (n values). */
void wfs_design_base_weights(double *w, const wfs_design *d);

/* ---- reports (weighting.c) ---- */

typedef struct wreport {
    wfs_result *r;
    long margins; /* record table index, -1 until made */
} wreport;

int wfs_wreport_begin(wreport *rep, const char *command, const wfs_weighting_options *opt,
                      const char *method, wfs_error *err);
/* A margin row: variable, level (NULL for numeric totals), population,
 * before and after. */
int wfs_wreport_margin(wreport *rep, const char *var, const char *level, double pop, double before,
                       double after);
/* Iterations, misfit and convergence, then the weight diagnostics of the
 * new design. Hands the result to *out (when out is not NULL). */
int wfs_wreport_finish(wfs_result **out, wreport *rep, long iterations, double misfit,
                       int converged, const wfs_design *nd, wfs_error *err);
void wfs_wreport_free(wreport *rep);

/* Rows of the bound margin's cells: totals of w per cell into tot. */
void wfs_cell_totals(double *tot, const wbound *b, const double *w, size_t n);

/* Redo a calibration step on weights w (trimming): fills neww and a new
 * step; *misfit the misfit reached. */
int wfs_step_redo(cal_step **out, double *neww, const wfs_design *d, const cal_step *s,
                  const double *w, size_t *iterations, double *misfit, wfs_error *err);
int wfs_calibrate_redo(cal_step **out, double *neww, const wfs_design *d, const cal_step *s,
                       const double *w, size_t *iterations, double *misfit, wfs_error *err);

#define WFS_DEFAULT_EPSILON 1e-10

/* Neumaier's compensated addition into (*sum, *comp), written so that
 * compilers can select instead of branch: the residual passes are the hot
 * loops of estimates on calibrated designs. The sum is *sum + *comp. */
static inline void wfs_nadd(double *sum, double *comp, double x)
{
    double s = *sum, t = s + x;
    *comp += fabs(s) >= fabs(x) ? (s - t) + x : (x - t) + s;
    *sum = t;
}

#endif /* WFS_WEIGHTING_PRIVATE_H */
