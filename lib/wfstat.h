/* wfstat.h - the public interface of libwfstat.
 *
 * libwfstat computes design-based estimates from weighted survey microdata:
 * columnar tables loaded from CSV, survey designs (strata, multistage
 * clusters, finite-population corrections, lonely-PSU policies), Taylor and
 * replicate variances, and the estimators of R's survey package. Every
 * analysis fills a wfs_result; renderers turn results into text, CSV,
 * Markdown or JSON. The library never prints, exits or aborts on bad input,
 * and checks the status of every GSL routine it calls. GSL's default error
 * handler aborts the process before a status can be returned, so a program
 * using libwfstat must call gsl_set_error_handler_off() once at start-up,
 * as wfstat does (otherwise, for example, collinear calibration variables
 * abort inside GSL instead of returning WFS_EINVAL).
 *
 * Conventions used by every function below:
 *  - A fallible function returns 0 or a negative WFS_E... code and fills the
 *    optional caller-owned wfs_error with one sentence naming the offending
 *    item (file:line:column, variable, level, stratum).
 *  - wfs_x_new(&out, ...) pairs with wfs_x_free(x); free accepts NULL and a
 *    failed constructor leaves *out NULL and nothing allocated.
 *  - Getters return borrowed pointers, valid until the owner is freed or
 *    modified.
 *  - Counts and indices are size_t; input pointers are const.
 *
 * This header is self-contained C11 and compiles alone with -pedantic.
 */
#ifndef WFSTAT_H
#define WFSTAT_H

#include <signal.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

enum {
    WFS_OK = 0,
    WFS_ENOMEM = -1,    /* out of memory, or a request above the memory limit */
    WFS_EIO = -2,       /* a file could not be read or written */
    WFS_EPARSE = -3,    /* malformed input: CSV, expression, model file */
    WFS_EINVAL = -4,    /* an invalid argument or option value */
    WFS_ENOTFOUND = -5, /* an unknown variable, level or dataset */
    WFS_ETYPE = -6,     /* a variable of the wrong type */
    WFS_EDESIGN = -7,   /* an invalid survey design */
    WFS_ECONVERGE = -8, /* an iterative method did not converge */
    WFS_EDOMAIN = -9,   /* an empty domain or too few observations */
    WFS_ELIMIT = -10,   /* an input beyond a documented limit */
    WFS_EINTR = -11,    /* interrupted by the caller */
    WFS_EEXIST = -12    /* the output file exists and replace was not given */
};

#define WFS_ERROR_MAX 1024

/* A caller-owned error report: the code, one plain sentence, and for errors
 * in a parsed text (an expression) the byte offset of the offending token,
 * or -1. */
typedef struct wfs_error {
    int code;
    long position;
    char message[WFS_ERROR_MAX];
} wfs_error;

#define WFS_ERROR_INIT {0, -1, {0}}

/* Clear an error report. */
void wfs_error_clear(wfs_error *err);

/* A short generic description of an error code ("out of memory", ...). */
const char *wfs_strerror(int code);

/* Caller control over long work: an interrupt flag polled regularly (set it
 * from a SIGINT handler; the work stops with WFS_EINTR) and an optional
 * progress callback called with the fraction done. Both may be NULL. */
typedef struct wfs_control {
    volatile sig_atomic_t *interrupt;
    void (*progress)(void *user, double fraction, const char *what);
    void *user;
} wfs_control;

/* The library version, e.g. "0.1.0". */
const char *wfs_version(void);

/* ------------------------------------------------------------------ */
/* Tables: columnar data                                               */
/* ------------------------------------------------------------------ */

/* A table of equal-length columns. Numeric columns hold doubles with a
 * missing mask (missing values also read as NaN); categorical columns hold
 * int32 codes (-1 for missing) into a list of level labels sorted as R sorts
 * a factor's levels in the C locale; text columns hold strings. */
typedef struct wfs_table wfs_table;

typedef enum wfs_coltype { WFS_NUMERIC = 0, WFS_CATEGORICAL = 1, WFS_TEXT = 2 } wfs_coltype;

/* Create an empty table of nrows rows (columns are added afterwards). */
int wfs_table_new(wfs_table **out, size_t nrows, wfs_error *err);
void wfs_table_free(wfs_table *t);

size_t wfs_table_nrows(const wfs_table *t);
size_t wfs_table_ncols(const wfs_table *t);
/* The index of the column called name, or -1. */
long wfs_table_find(const wfs_table *t, const char *name);
const char *wfs_table_name(const wfs_table *t, size_t col);
wfs_coltype wfs_table_type(const wfs_table *t, size_t col);
/* Number of missing values in a column. */
size_t wfs_table_nmissing(const wfs_table *t, size_t col);
/* Numeric values (NaN where missing), or NULL if the column is not numeric. */
const double *wfs_table_numeric(const wfs_table *t, size_t col);
/* One byte per row, nonzero where missing; NULL when nothing is missing. */
const uint8_t *wfs_table_missing(const wfs_table *t, size_t col);
/* Categorical codes (-1 missing), or NULL if the column is not categorical. */
const int32_t *wfs_table_codes(const wfs_table *t, size_t col);
size_t wfs_table_nlevels(const wfs_table *t, size_t col);
const char *wfs_table_level(const wfs_table *t, size_t col, size_t level);
/* The code of a level label, or -1. */
long wfs_table_level_code(const wfs_table *t, size_t col, const char *label);
/* Text values (NULL where missing), or NULL if the column is not text. */
const char *const *wfs_table_text(const wfs_table *t, size_t col);
/* A description of where the table came from (a path), or NULL. */
const char *wfs_table_source(const wfs_table *t);

/* Add columns. Values are copied. A missing mask may be NULL (nothing
 * missing); NaN values are always missing. Names must be unique and
 * non-empty. Categorical levels need not be sorted: the table sorts them and
 * recodes. */
int wfs_table_add_numeric(wfs_table *t, const char *name, const double *values,
                          const uint8_t *missing, wfs_error *err);
int wfs_table_add_categorical(wfs_table *t, const char *name, const int32_t *codes,
                              const char *const *levels, size_t nlevels, wfs_error *err);
/* A categorical column from strings (NULL = missing), levels inferred. */
int wfs_table_add_strings(wfs_table *t, const char *name, const char *const *values,
                          wfs_error *err);
int wfs_table_add_text(wfs_table *t, const char *name, const char *const *values,
                       wfs_error *err);
/* Replace the values of an existing numeric column (same length). */
int wfs_table_set_numeric(wfs_table *t, size_t col, const double *values, wfs_error *err);

/* Group codes for a column used as a classifying variable (by, tab): a
 * categorical column gives its codes and levels; a numeric column gives one
 * level per distinct value, in increasing order, labelled by the value's
 * shortest decimal form ("1", "2.5"). codes (caller-allocated, nrows) gets
 * -1 for missing. *levels is a malloc'd array of malloc'd labels that the
 * caller frees with wfs_levels_free. Text columns are an error. */
int wfs_table_group_codes(int32_t *codes, char ***levels, size_t *nlevels, const wfs_table *t,
                          size_t col, wfs_error *err);
void wfs_levels_free(char **levels, size_t nlevels);

/* ------------------------------------------------------------------ */
/* CSV import                                                          */
/* ------------------------------------------------------------------ */

typedef struct wfs_csv_options {
    char delim;                /* field delimiter, ',' by default */
    const char *na;            /* comma-separated missing tokens; NULL = ",NA" (empty and NA) */
    size_t max_memory;         /* refuse loads whose columns would exceed this many bytes; 0 = no limit */
    const wfs_control *control;
} wfs_csv_options;

#define WFS_CSV_OPTIONS_INIT {',', NULL, 0, NULL}

/* Read a CSV file with a header row into a new table. Types are inferred per
 * column: numeric when every non-missing field is a number, otherwise
 * categorical. Every problem is reported as "file:line:column: message". */
int wfs_csv_read(wfs_table **out, const char *path, const wfs_csv_options *opt, wfs_error *err);

/* Binary snapshots (.wfb): the table's columns with a versioned,
 * checksummed header. Writing goes through a temporary file (WFS_EEXIST
 * when path exists and replace is 0). Reading maps the file: numeric and
 * categorical columns are used in place, so the file must not change while
 * the table lives. A damaged, truncated or foreign file, or one of another
 * format version, is refused with WFS_EPARSE before any value is used. */
int wfs_snapshot_write(const wfs_table *t, const char *path, int replace, wfs_error *err);
int wfs_snapshot_read(wfs_table **out, const char *path, wfs_error *err);

/* Read CSV text held in memory; name is used in messages. */
int wfs_csv_read_buffer(wfs_table **out, const char *name, const char *data, size_t len,
                        const wfs_csv_options *opt, wfs_error *err);

/* ------------------------------------------------------------------ */
/* Output files and CSV export                                         */
/* ------------------------------------------------------------------ */

/* An output file is written to a temporary name beside its target and
 * moved into place by wfs_outfile_commit, so a failure never leaves half a
 * file. An existing file is replaced only when replace is nonzero;
 * otherwise open and commit fail with WFS_EEXIST. Write errors are kept
 * and reported by commit (WFS_EIO). commit and discard free the handle;
 * discard removes the temporary file and leaves the target as it was. */
typedef struct wfs_outfile wfs_outfile;

int wfs_outfile_open(wfs_outfile **out, const char *path, int replace, wfs_error *err);
void wfs_outfile_write(wfs_outfile *f, const void *data, size_t len);
int wfs_outfile_commit(wfs_outfile *f, wfs_error *err);
void wfs_outfile_discard(wfs_outfile *f);

/* Write len bytes to path in one step, as above. */
int wfs_file_write(const char *path, const void *data, size_t len, int replace, wfs_error *err);

typedef struct wfs_csv_write_options {
    char delim;              /* field delimiter, ',' by default */
    int replace;             /* overwrite an existing file */
    const double *weights;   /* one per row: written as the column weight_name, or NULL */
    const char *weight_name; /* "final_weight" when NULL; an existing column of that
                                name gets the weights instead of its own values */
    const wfs_control *control;
} wfs_csv_write_options;

#define WFS_CSV_WRITE_OPTIONS_INIT {',', 0, NULL, NULL, NULL}

/* Write table t as CSV with a header row: numbers so they read back
 * exactly, missing values as empty fields, labels quoted only where they
 * must be. Errors: WFS_EEXIST, WFS_EIO, WFS_EINVAL, WFS_EINTR, WFS_ENOMEM. */
int wfs_csv_write(const char *path, const wfs_table *t, const wfs_csv_write_options *opt,
                  wfs_error *err);

/* ------------------------------------------------------------------ */
/* Filter expressions (if EXPR)                                        */
/* ------------------------------------------------------------------ */

/* A parsed filter: comparisons (== != < <= > >=) of a variable with a number
 * or a quoted level, `and`, `or`, `not`, parentheses, `VAR in ("a","b")`,
 * `missing(VAR)`, and a bare numeric variable (true when nonzero). A
 * comparison involving a missing value is false, as R's subset() treats NA. */
typedef struct wfs_expr wfs_expr;

/* Parse text against the variables of table t (names and levels are
 * resolved now, so errors name the offending token and column). */
int wfs_expr_parse(wfs_expr **out, const char *text, const wfs_table *t, wfs_error *err);
void wfs_expr_free(wfs_expr *e);
/* Evaluate for every row of t: mask[i] = 1 where the expression is true. */
int wfs_expr_eval(uint8_t *mask, const wfs_expr *e, const wfs_table *t, wfs_error *err);

/* ------------------------------------------------------------------ */
/* Survey designs                                                      */
/* ------------------------------------------------------------------ */

#define WFS_MAX_STAGES 4

typedef enum wfs_lonely {
    WFS_LONELY_FAIL = 0,
    WFS_LONELY_ADJUST,
    WFS_LONELY_AVERAGE,
    WFS_LONELY_CERTAINTY,
    WFS_LONELY_REMOVE
} wfs_lonely;

/* Name of a lonely-PSU policy ("fail", ...), and the reverse (-1 if unknown). */
const char *wfs_lonely_name(wfs_lonely l);
int wfs_lonely_parse(const char *name);

/* A design specification: variable names in a table. NULL means absent.
 * cluster[s] is the sampling unit of stage s+1; fpc[s] its finite population
 * correction (> 1 a population count, <= 1 a sampling fraction). With no
 * cluster each row is its own PSU; with no weight but an fpc, weights are
 * implied by the fpc as R does; with neither, every weight is 1. */
typedef struct wfs_design_spec {
    const char *weight;
    const char *strata;
    const char *cluster[WFS_MAX_STAGES];
    size_t ncluster;
    const char *fpc[WFS_MAX_STAGES];
    size_t nfpc;
    wfs_lonely lonely;
} wfs_design_spec;

#define WFS_DESIGN_SPEC_INIT {NULL, NULL, {NULL}, 0, {NULL}, 0, WFS_LONELY_FAIL}

typedef struct wfs_design wfs_design;

/* Build a design over table t, which must outlive the design. Validates:
 * missing or negative weights (zero is allowed and means "not in the
 * sample"), missing design variables, fpc varying within a stratum or below
 * the number of sampled units, mixed counts and fractions, a single PSU, and
 * singleton strata under lonely=fail (naming them and the other policies). */
int wfs_design_new(wfs_design **out, const wfs_table *t, const wfs_design_spec *spec,
                   wfs_error *err);
void wfs_design_free(wfs_design *d);
/* A deep copy, sharing the table. */
int wfs_design_copy(wfs_design **out, const wfs_design *d, wfs_error *err);

const wfs_table *wfs_design_table(const wfs_design *d);
size_t wfs_design_nrows(const wfs_design *d);
size_t wfs_design_nstrata(const wfs_design *d);
size_t wfs_design_npsu(const wfs_design *d);
size_t wfs_design_nstages(const wfs_design *d);
/* Degrees of freedom of the whole design: PSUs - strata over rows with a
 * nonzero weight (replicate designs: as set at creation). */
double wfs_design_df(const wfs_design *d);
double wfs_design_sum_weights(const wfs_design *d);
/* The current weights (one per row). */
const double *wfs_design_weights(const wfs_design *d);
wfs_lonely wfs_design_lonely(const wfs_design *d);
int wfs_design_set_lonely(wfs_design *d, wfs_lonely l, wfs_error *err);
/* True when the design has finite population corrections. */
int wfs_design_has_fpc(const wfs_design *d);
/* A one-line description, e.g. "stratified (stype), 1 stage, fpc". */
const char *wfs_design_describe(const wfs_design *d);
/* The spec the design was built from (names borrowed from the design). */
const wfs_design_spec *wfs_design_spec_of(const wfs_design *d);
/* "linearization" or "replicate (JK1)" etc. */
const char *wfs_design_variance_name(const wfs_design *d);

/* ---- Replicate-weight designs (replicate.c) ---- */

/* Replicate methods: jackknife deleting one PSU (JK1, unstratified), the
 * stratified jackknife (JKn), balanced repeated replication (BRR) and
 * Fay's variant, the with-replacement bootstrap of PSUs, and (supplied
 * weights only) successive-difference replication (SDR). */
typedef enum wfs_rep_type {
    WFS_REP_JK1 = 0,
    WFS_REP_JKN,
    WFS_REP_BRR,
    WFS_REP_FAY,
    WFS_REP_BOOTSTRAP,
    WFS_REP_SDR
} wfs_rep_type;

/* "JK1", "JKn", "BRR", "Fay", "bootstrap", "SDR"; the reverse accepts
 * them in any case (and "successive-difference"); -1 if unknown. */
const char *wfs_rep_type_name(wfs_rep_type t);
int wfs_rep_type_parse(const char *name);

/* Options of wfs_replicate_design. rho: Fay's coefficient (0 < rho < 1;
 * used by WFS_REP_FAY only); reps: bootstrap replicates (0 = 50, as R);
 * seed: of the GSL mt19937 generator drawing bootstrap samples; mse:
 * centre the variance on the full-sample estimate instead of the mean of
 * the replicates (R's mse = TRUE). */
typedef struct wfs_replicate_options {
    wfs_rep_type type;
    double rho;
    size_t reps;
    unsigned long seed;
    int mse;
} wfs_replicate_options;

#define WFS_REPLICATE_OPTIONS_INIT {WFS_REP_JK1, 0.3, 0, 1, 0}

/* Convert a Taylor design to a replicate design, as R's
 * as.svrepdesign(design, type): JK1 (unstratified designs; scale (n-1)/n
 * times the first-stage fpc factor), JKn (stratified; rscales
 * (n_h-1)/n_h times the stratum's fpc factor; replicates of fully
 * sampled strata dropped), BRR and Fay (exactly two PSUs in every
 * stratum; half-samples from R's hadamard(); fpc dropped), bootstrap (R's
 * bootweights: PSUs resampled with replacement within strata, or from the
 * fpc-sized pool without replacement; scale nbar/((nbar-1)(R-1)), nbar
 * the harmonic mean of PSUs per stratum). Replicate weights are stored as
 * factors per PSU. The df is the rank of the replicate weights minus one.
 * Errors: WFS_EDESIGN (a calibrated design, JK1 on a stratified design,
 * JKn/BRR/Fay without strata, BRR/Fay with a stratum not of two PSUs,
 * more than 127 strata for BRR, a singleton stratum under lonely=fail),
 * WFS_EINVAL (bad rho or reps), WFS_ENOMEM. */
int wfs_replicate_design(wfs_design **out, const wfs_design *d, const wfs_replicate_options *opt,
                         wfs_error *err);

/* Replicate weights supplied with the data (R's svrepdesign with
 * combined.weights = TRUE): weight the full-sample weight variable (NULL:
 * every weight 1), columns the numeric replicate-weight variables, type
 * the method. scale: NaN for the default of the type (BRR 1/R, Fay
 * 1/(R(1-rho)^2), JK1 (R-1)/R, bootstrap 1/(R-1), SDR 4/R); rscales: NULL
 * (all 1) or nrscales (1 or R) values, required for JKn; rho: Fay's
 * coefficient (required for Fay); df: 0 for the rank of the replicate
 * weights minus one. Errors name the variable: unknown (WFS_ENOTFOUND),
 * not numeric (WFS_ETYPE), missing or negative values (WFS_EDESIGN),
 * bad options (WFS_EINVAL). */
typedef struct wfs_repweights_spec {
    const char *weight;
    const char *const *columns;
    size_t ncolumns;
    wfs_rep_type type;
    double scale;
    const double *rscales;
    size_t nrscales;
    double rho;
    double df;
    int mse;
} wfs_repweights_spec;

#define WFS_REPWEIGHTS_SPEC_INIT {NULL, NULL, 0, WFS_REP_JK1, NAN, NULL, 0, 0, 0, 0}

int wfs_design_new_replicate(wfs_design **out, const wfs_table *t, const wfs_repweights_spec *spec,
                             wfs_error *err);

/* Replicate designs: the number of replicates (0 for a Taylor design), the
 * method, scale, rscale of replicate r, Fay's rho, whether mse is set, and
 * the weights of replicate r (copied into w, one per row). */
size_t wfs_design_nreplicates(const wfs_design *d);
wfs_rep_type wfs_design_rep_type(const wfs_design *d);
double wfs_design_rep_scale(const wfs_design *d);
double wfs_design_rep_rscale(const wfs_design *d, size_t r);
double wfs_design_rep_rho(const wfs_design *d);
int wfs_design_rep_mse(const wfs_design *d);
int wfs_design_rep_weights(double *w, const wfs_design *d, size_t r, wfs_error *err);

/* ------------------------------------------------------------------ */
/* Results                                                             */
/* ------------------------------------------------------------------ */

/* Reliability and disclosure flags of an estimate (see doc/). */
enum {
    WFS_FLAG_SUPPRESSED = 1u << 0,      /* hidden: unweighted base below the rule */
    WFS_FLAG_SUPPRESSED_COMP = 1u << 1, /* hidden so a suppressed cell cannot be recovered */
    WFS_FLAG_UNRELIABLE = 1u << 2,      /* fails the NCHS presentation standard */
    WFS_FLAG_SMALL_DF = 1u << 3,        /* fewer than 8 degrees of freedom */
    WFS_FLAG_LONELY = 1u << 4,          /* a lonely-PSU adjustment was applied */
    WFS_FLAG_SMALL_N = 1u << 5,         /* effective sample size below 30 */
    WFS_FLAG_WIDE_CI = 1u << 6,         /* interval too wide for the standard */
    WFS_FLAG_ZERO_VAR = 1u << 7,        /* the estimated variance is zero */
    /* Not a reliability flag (never reported): the estimate is a share, or
     * a difference or change of shares, which text shows in percent or
     * percentage points. */
    WFS_FLAG_SHARE = 1u << 16
};

/* The name of a single flag bit ("suppressed", ...). */
const char *wfs_flag_name(unsigned flag);

/* One labelled estimate. NaN means unknown (JSON null). Strings are owned
 * by the result. */
typedef struct wfs_estimate {
    const char *statistic; /* mean total prop ratio quantile count difference change ... */
    const char *variable;
    const char *level;     /* NULL when not applicable */
    double p;              /* quantile probability, NaN otherwise */
    size_t ndomain;
    const char *const *domain_keys;
    const char *const *domain_values;
    size_t nreference;     /* for differences: the reference domain */
    const char *const *reference_keys;
    const char *const *reference_values;
    double estimate, se, ci_lower, ci_upper, df, deff, n_eff;
    double n;              /* unweighted base (rows used) */
    double n_weighted;     /* sum of weights in the base */
    double p_value;        /* tests of a difference; NaN otherwise */
    double year;           /* projections; NaN otherwise */
    unsigned flags;
    double median;         /* simulated projections: the 50th percentile; NaN otherwise */
} wfs_estimate;

/* A test statistic; NaN fields are not reported. */
typedef struct wfs_test {
    const char *name;      /* rao-scott-f, rao-scott-chisq, wald, adjusted-wald, ... */
    double statistic, ndf, ddf, df, p_value;
} wfs_test;

/* A cell of a generic record table (describe, list, weights). */
typedef enum wfs_vtype { WFS_V_NULL = 0, WFS_V_NUM, WFS_V_INT, WFS_V_STR, WFS_V_BOOL, WFS_V_STRLIST } wfs_vtype;

typedef struct wfs_value {
    wfs_vtype type;
    double num;            /* WFS_V_NUM */
    long long i;           /* WFS_V_INT, WFS_V_BOOL */
    const char *s;         /* WFS_V_STR */
    const char *const *list; /* WFS_V_STRLIST */
    size_t nlist;
} wfs_value;

typedef struct wfs_result wfs_result;

/* Layout hints for text renderers. */
typedef enum wfs_layout {
    WFS_LAYOUT_ESTIMATES = 0, /* one line per estimate */
    WFS_LAYOUT_CROSSTAB,      /* a two-way table of counts and percentages */
    WFS_LAYOUT_RECORDS,       /* the record tables only */
    WFS_LAYOUT_FIELDS,        /* key: value lines */
    WFS_LAYOUT_PROJECTION     /* year-by-role tables of a projection (and its fan chart) */
} wfs_layout;

int wfs_result_new(wfs_result **out, const char *command, const char *dataset, wfs_error *err);
void wfs_result_free(wfs_result *r);

const char *wfs_result_command(const wfs_result *r);
const char *wfs_result_dataset(const wfs_result *r);
/* Variance method ("linearization", "replicate (JK1)"), or NULL. */
const char *wfs_result_variance(const wfs_result *r);
int wfs_result_set_variance(wfs_result *r, const char *variance);
/* Confidence level of the intervals in the result (0.95), NaN if none. */
double wfs_result_ci_level(const wfs_result *r);
void wfs_result_set_ci_level(wfs_result *r, double level);
wfs_layout wfs_result_layout(const wfs_result *r);
void wfs_result_set_layout(wfs_result *r, wfs_layout layout);

/* Estimates. wfs_result_add_estimate copies the strings of e and returns the
 * index of the new row, or a negative error code. */
long wfs_result_add_estimate(wfs_result *r, const wfs_estimate *e);
size_t wfs_result_nestimates(const wfs_result *r);
const wfs_estimate *wfs_result_estimate(const wfs_result *r, size_t i);
/* Mutable access for post-processing (suppression, flags). */
wfs_estimate *wfs_result_estimate_mut(wfs_result *r, size_t i);
/* An estimate with every number unknown and no strings. */
void wfs_estimate_init(wfs_estimate *e);

int wfs_result_add_test(wfs_result *r, const wfs_test *t);
size_t wfs_result_ntests(const wfs_result *r);
const wfs_test *wfs_result_test(const wfs_result *r, size_t i);

/* Notes: one line each ("lonely PSU policy: fail"). */
int wfs_result_add_note(wfs_result *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
size_t wfs_result_nnotes(const wfs_result *r);
const char *wfs_result_note(const wfs_result *r, size_t i);

/* Top-level fields, in order: key: value. */
int wfs_result_add_field(wfs_result *r, const char *key, const wfs_value *v);
size_t wfs_result_nfields(const wfs_result *r);
const char *wfs_result_field_key(const wfs_result *r, size_t i);
const wfs_value *wfs_result_field_value(const wfs_result *r, size_t i);

/* Record tables: named arrays of records with fixed columns (describe's
 * "variables", list's "rows"). Returns the record table's index. */
long wfs_result_add_records(wfs_result *r, const char *name, size_t ncols,
                            const char *const *colnames);
int wfs_result_add_record(wfs_result *r, size_t table, const wfs_value *cells);
size_t wfs_result_nrecords_tables(const wfs_result *r);
const char *wfs_result_records_name(const wfs_result *r, size_t table);
size_t wfs_result_records_ncols(const wfs_result *r, size_t table);
const char *wfs_result_records_colname(const wfs_result *r, size_t table, size_t col);
size_t wfs_result_records_nrows(const wfs_result *r, size_t table);
const wfs_value *wfs_result_records_cell(const wfs_result *r, size_t table, size_t row,
                                         size_t col);

/* Footer lines printed under text tables (design, variance, policies). */
int wfs_result_add_footer(wfs_result *r, const char *line);
size_t wfs_result_nfooters(const wfs_result *r);
const char *wfs_result_footer(const wfs_result *r, size_t i);

/* Value helpers. */
wfs_value wfs_value_num(double x);
wfs_value wfs_value_int(long long i);
wfs_value wfs_value_str(const char *s);
wfs_value wfs_value_bool(int b);
wfs_value wfs_value_null(void);
wfs_value wfs_value_strlist(const char *const *list, size_t n);

/* ------------------------------------------------------------------ */
/* Estimation                                                          */
/* ------------------------------------------------------------------ */

/* Interval methods. For proportions (R's svyciprop): logit (the default),
 * wald (R's "mean"), xlogit, asin, beta (Korn-Graubard), wilson (with the
 * effective sample size) and likelihood (profile likelihood of the
 * quasi-binomial model). For quantiles the Woodruff interval on the CDF
 * uses wald (R's "mean", the default), xlogit, asin or beta. */
typedef enum wfs_ci_method {
    WFS_CI_LOGIT = 0,
    WFS_CI_WALD,
    WFS_CI_XLOGIT,
    WFS_CI_ASIN,
    WFS_CI_BETA,
    WFS_CI_WILSON,
    WFS_CI_LIKELIHOOD
} wfs_ci_method;

/* Name of an interval method ("logit", ...), and the reverse: "mean" is
 * accepted for wald; -1 if unknown. */
const char *wfs_ci_name(wfs_ci_method m);
int wfs_ci_parse(const char *name);

/* Design effects: none, R's deff=TRUE (SRS without replacement, N = sum of
 * weights) or deff="replace" (SRS with replacement). */
typedef enum wfs_deff { WFS_DEFF_NONE = 0, WFS_DEFF_YES, WFS_DEFF_REPLACE } wfs_deff;

/* Quantile rules of R's svyquantile (qrule = "math", "school", "hf7"). */
typedef enum wfs_qrule { WFS_QRULE_MATH = 0, WFS_QRULE_SCHOOL, WFS_QRULE_HF7 } wfs_qrule;
const char *wfs_qrule_name(wfs_qrule q);
int wfs_qrule_parse(const char *name);

/* Options shared by the estimators. by: classifying variables (one
 * estimate per combination of their levels, the first varying fastest, as
 * R's svyby); filter: an `if` expression restricting the domain (the full
 * design is kept for the variance); level: confidence level; df: degrees of
 * freedom of the intervals, 0 for the design df of each domain (PSUs
 * holding domain members minus strata), INFINITY for normal quantiles.
 * p/np: quantile probabilities (NULL = 0.25, 0.5, 0.75). */
typedef struct wfs_est_options {
    const char *const *by;
    size_t nby;
    const char *filter;
    double level;
    double df;
    wfs_ci_method ci;
    int ci_set;       /* nonzero when ci was chosen (quantiles default to wald) */
    wfs_deff deff;
    const double *p;
    size_t np;
    wfs_qrule qrule;
    const char *dataset; /* name reported in the result, may be NULL */
    const wfs_control *control;
} wfs_est_options;

#define WFS_EST_OPTIONS_INIT                                                                       \
    {NULL, 0, NULL, 0.95, 0, WFS_CI_LOGIT, 0, WFS_DEFF_NONE, NULL, 0, WFS_QRULE_MATH, NULL, NULL}

/* The estimators. Each creates a result (command "mean", "total", "prop",
 * "ratio", "quantile") with one estimate per variable (per level for
 * categorical variables) and domain. Missing values of an analysis
 * variable exclude the row from that estimate only (R's na.rm = TRUE); the
 * count excluded is reported in a note. Errors: WFS_ENOTFOUND (unknown
 * variable), WFS_ETYPE (wrong type), WFS_EDOMAIN (an empty domain or
 * filter), WFS_EDESIGN (a lonely PSU the policy cannot handle),
 * WFS_EPARSE (a bad filter), WFS_ENOMEM, WFS_EINTR. */
int wfs_mean(wfs_result **out, const wfs_design *d, const char *const *vars, size_t nvars,
             const wfs_est_options *opt, wfs_error *err);
int wfs_total(wfs_result **out, const wfs_design *d, const char *const *vars, size_t nvars,
              const wfs_est_options *opt, wfs_error *err);
/* Proportion of every level of a categorical variable, or of each distinct
 * value of a numeric one. */
int wfs_prop(wfs_result **out, const wfs_design *d, const char *var, const wfs_est_options *opt,
             wfs_error *err);
/* Ratio of totals sum(w num) / sum(w den). */
int wfs_ratio(wfs_result **out, const wfs_design *d, const char *num, const char *den,
              const wfs_est_options *opt, wfs_error *err);
int wfs_quantile(wfs_result **out, const wfs_design *d, const char *const *vars, size_t nvars,
                 const wfs_est_options *opt, wfs_error *err);

/* Footer lines describing a design's variance method and policies, added
 * to a result (design, variance method, lonely-PSU policy). */
int wfs_result_add_design_footers(wfs_result *r, const wfs_design *d, wfs_error *err);

/* ---- Comparisons: domains, waves, batteries, decomposition (contrast.c) ---- */

/* The statistic compared: MEAN of a numeric variable (of a categorical
 * one: its level proportions), PROP of every level, RATIO of two totals;
 * TOTAL is used by the decomposition. */
typedef enum wfs_stat { WFS_STAT_MEAN = 0, WFS_STAT_PROP, WFS_STAT_RATIO, WFS_STAT_TOTAL } wfs_stat;
const char *wfs_stat_name(wfs_stat s);
/* "mean", "prop" or "ratio"; -1 otherwise. */
int wfs_stat_parse(const char *name);

typedef enum wfs_adjust { WFS_ADJUST_HOLM = 0, WFS_ADJUST_NONE } wfs_adjust;

/* Every pairwise difference between the domains of opt->by (domain minus
 * reference, in domain order), for each variable (and level for
 * proportions): result "compare", rows statistic "difference" with
 * domain and reference. The SE comes from the full covariance of the
 * domain estimates (R: svyby(covmat = TRUE) + svycontrast); the interval
 * and the two-sided t test use the df of the rows analysed (or opt->df);
 * p-values are Holm-adjusted within each variable and level unless
 * adjust is WFS_ADJUST_NONE. RATIO takes vars = {num, den}. Errors:
 * WFS_EINVAL (no by), WFS_EDOMAIN (a by with a single level), WFS_ELIMIT
 * (more than 100 domains), and those of the estimators. */
int wfs_compare(wfs_result **out, const wfs_design *d, wfs_stat stat, const char *const *vars,
                size_t nvars, const wfs_est_options *opt, wfs_adjust adjust, wfs_error *err);

/* The change from wave a to wave b (estimate = b - a), per domain of
 * opt->by matched by label: result "change", rows statistic "change".
 * Independent samples: the variance is the sum of the waves' variances,
 * df the sum of their df. overlap names a respondent id present in both
 * waves (panels): the waves are stacked and clustered by the id, so the
 * covariance of matched respondents enters (R: rbind, svydesign(id =
 * ~ID), svyby(covmat = TRUE), svycontrast); df is the number of ids - 1.
 * Errors: WFS_ETYPE (a variable numeric in one wave and categorical in
 * the other), WFS_EDESIGN (overlap on calibrated weights), and those of
 * the estimators, prefixed by the dataset name. */
int wfs_change(wfs_result **out, const wfs_design *a, const wfs_design *b, const char *name_a,
               const char *name_b, wfs_stat stat, const char *const *vars, size_t nvars,
               const char *overlap, const wfs_est_options *opt, wfs_error *err);

/* A Likert battery: for each item (and domain of opt->by) the share in
 * the top `top` answer levels (level "topN"), in the bottom `bottom`
 * levels ("bottomN") and in each level, with SEs from the covariance of
 * the level shares. Numeric items share one scale: every value any item
 * takes (at most 20). Result "likert", statistic "prop". */
int wfs_likert(wfs_result **out, const wfs_design *d, const char *const *vars, size_t nvars,
               size_t top, size_t bottom, const wfs_est_options *opt, wfs_error *err);

/* Tick-all items (0/1 numeric): each item's weighted share among those who
 * answered it, ranked from the most ticked, then each item minus the next
 * in the ranking with its t test (statistic "difference", reference
 * {item: next}). Result "multi". WFS_EINVAL for a value other than 0/1. */
int wfs_multi(wfs_result **out, const wfs_design *d, const char *const *vars, size_t nvars,
              const wfs_est_options *opt, wfs_error *err);

#define WFS_DECOMPOSE_MAX_DEN 8
/* The shift-share decomposition of the change in the share num / sum(den)
 * between two periods over the groups of `group`: either two datasets
 * (from, to; independent samples) or one design (from) whose variable
 * `over` holds the periods, name[0] and name[1] its values. */
typedef struct wfs_decompose_spec {
    const char *num;
    const char *const *den;
    size_t nden;
    const char *group;
    const wfs_design *from, *to;
    const char *over;
    const char *name[2];
} wfs_decompose_spec;
/* Result "decompose": rows share (each period), change, between
 * (composition), within (rates) and substitution (growth of the other
 * denominator posts per numerator post removed, only when the numerator
 * fell), with delta-method SEs. WFS_EDOMAIN when a group lacks a period. */
int wfs_decompose(wfs_result **out, const wfs_decompose_spec *spec, const wfs_est_options *opt,
                  wfs_error *err);

/* ---- Cross-tabulations and publishable tables (crosstab.c, publish.c) ---- */

/* What the percentages of a two-way table are: the proportion of each row
 * level within each column (col, the default), of each column level within
 * each row (row), or of each cell in the whole table (cell). */
typedef enum wfs_pct { WFS_PCT_COL = 0, WFS_PCT_ROW, WFS_PCT_CELL } wfs_pct;

/* The tests of independence of R's svychisq, as bits. */
enum {
    WFS_TEST_F = 1u << 0,       /* Rao-Scott second order, "rao-scott-f" */
    WFS_TEST_CHISQ = 1u << 1,   /* Rao-Scott first order, "rao-scott-chisq" */
    WFS_TEST_WALD = 1u << 2,    /* Wald F, "wald" */
    WFS_TEST_ADJWALD = 1u << 3, /* adjusted Wald F, "adjusted-wald" */
    WFS_TEST_ALL = 0xfu
};

/* Options of wfs_tab beyond the estimators' (wfs_est_options). tests: a
 * set of WFS_TEST_ bits (0 for none; ignored for one-way tables).
 * suppress: hide every cell and margin whose unweighted count is below
 * this (0 = off), with complementary suppression; see wfs_suppress_table. */
typedef struct wfs_tab_options {
    wfs_pct pct;
    unsigned tests;
    double suppress;
} wfs_tab_options;

#define WFS_TAB_OPTIONS_INIT {WFS_PCT_COL, WFS_TEST_F, 0}

/* A weighted table of row against opt->by[0] (one-way when opt->nby is 0),
 * one table per combination of the levels of opt->by[1..] (the layers),
 * restricted to opt->filter. Rows missing either variable are left out of
 * the table (and counted in a note); the domains keep the full design.
 *
 * The result (command "tab", layout WFS_LAYOUT_CROSSTAB) holds for every
 * layer, in this order:
 *   - weighted counts ("count") of every cell, column by column: variable
 *     ROW, level r, domain {COL: c} (pct=cell: level "r|c", domain {});
 *   - the margins: counts of every row level (variable ROW, domain {}),
 *     every column level (variable COL, domain {}) and the total (variable
 *     ROW, level NULL);
 *   - the percentages ("prop") of every cell: pct=col as the counts; pct=row
 *     row by row with variable COL, level c, domain {ROW: r}; pct=cell as
 *     the counts;
 *   - the percentages of the margins: of the row levels (pct=col, cell) and
 *     of the column levels (pct=row, cell), with domain {}.
 * A layered table adds the layer variables to every domain. A one-way table
 * has the counts of every level, the total, then the proportions. Counts
 * carry the unweighted count of their cell in n; proportions the unweighted
 * base of their domain. Estimates follow R: counts as svyby(svytotal),
 * percentages as svyby(svymean) / svyciprop in each domain, tests as
 * svychisq on each layer. Fields "row", "column", "pct", "rows" and
 * "columns" (the levels in order) and, with layers, "layer_variables" and
 * "layers" describe the table; every layer has the requested tests in the
 * order F, Chisq, Wald, adjusted Wald (null, with a note, where a test is
 * not defined). Proportions carry the NCHS reliability flags
 * (wfs_nchs_prop_flags); suppressed entries have every number but df
 * hidden. Errors as the estimators, plus WFS_ELIMIT for too many levels. */
int wfs_tab(wfs_result **out, const wfs_design *d, const char *row, const wfs_est_options *opt,
            const wfs_tab_options *topt, wfs_error *err);

/* Name of a percentage base ("col", "row", "cell") and the reverse (-1 if
 * unknown; "column" is accepted). */
const char *wfs_pct_name(wfs_pct p);
int wfs_pct_parse(const char *name);

/* Cell suppression of a table with margins, so that no hidden entry can be
 * derived exactly from the shown ones through the table's additivity.
 *
 * A two-way table (nc >= 1) is an (nr + 1) x (nc + 1) row-major grid: the
 * interior nr x nc cells, column nc holding the row totals, row nr the
 * column totals and [nr][nc] the grand total. nc == 0 means a one-way
 * table: nr cells then the total (nr + 1 entries). n holds the unweighted
 * count of every entry; known (may be NULL) marks entries whose value is
 * public whatever is hidden (the 100% totals of a percentage table).
 * Entries with n < threshold get WFS_FLAG_SUPPRESSED in flags (which the
 * caller zeroes or presets: preset suppression bits are kept); then the
 * cheapest further entries (smallest n, interior before margins) get
 * WFS_FLAG_SUPPRESSED_COMP until every hidden entry that is not known lies
 * on a cycle of hidden entries (two-way) or shares its line with another
 * hidden entry (one-way), first with the known entries fixed and then
 * with every entry. Errors: WFS_EINVAL, WFS_ENOMEM. */
int wfs_suppress_table(unsigned *flags, const double *n, const uint8_t *known, size_t nr,
                       size_t nc, double threshold, wfs_error *err);

/* Reliability flags of a proportion under the NCHS Data Presentation
 * Standards for Proportions (Parker et al. 2017, Vital Health Stat 2(175)):
 * WFS_FLAG_SMALL_N when the effective sample size p(1-p)/se^2 (at most n;
 * n itself at p = 0 or 1) is below 30; WFS_FLAG_WIDE_CI when the 95%
 * Korn-Graubard interval is at least 0.30 wide, or wider than 0.05 and
 * more than 130% of p; WFS_FLAG_UNRELIABLE with either; WFS_FLAG_SMALL_DF
 * when df < 8. n: the unweighted base (rows with nonzero weight); nrows:
 * the rows of the domain (R's nrow, for the interval); df: the domain's
 * design degrees of freedom. */
unsigned wfs_nchs_prop_flags(double p, double se, double n, double nrows, double df);

/* ------------------------------------------------------------------ */
/* Weighting: post-stratification, raking, calibration, trimming       */
/* ------------------------------------------------------------------ */

/* Every weighting function leaves its input design untouched and, on
 * success, creates a new design over the same table with the new weights
 * (free it with wfs_design_free). Post-stratification, raking and
 * calibration attach their calibration model to the new design so that
 * variances are those of R's survey package: the influence values are
 * replaced by residuals against the calibration variables (svyrecvar), and
 * domains keep the whole design. Steps compose: each later step keeps the
 * earlier ones, as R keeps its list of postStrata.
 *
 * Rows with a zero weight are outside the sample: they take no part in
 * weighting, keep their zero weight and contribute nothing to variances
 * (R lets such rows contribute to a post-stratified variance and gives NaN
 * after rake or calibrate; wfstat matches R with those rows removed).
 *
 * Errors: WFS_ENOTFOUND (an unknown variable, or a margin level that is not
 * in the data), WFS_EINVAL (bad totals or options, a data level without a
 * total, a margin level without sampled rows, margins that disagree),
 * WFS_ETYPE, WFS_ECONVERGE (raking or calibration that does not converge,
 * bounds that cannot be met), WFS_EDOMAIN (a nonresponse cell without
 * respondents), WFS_ENOMEM, WFS_EINTR. Each message names the variable,
 * level or cell. */

/* Population totals to weight to: categorical margins (one variable, or
 * several crossed, with a total per level or cell) and numeric totals
 * (calibration only). */
typedef struct wfs_margins wfs_margins;

int wfs_margins_new(wfs_margins **out, wfs_error *err);
void wfs_margins_free(wfs_margins *m);
/* The population total of one level of the categorical margin var. Level
 * labels are matched to the data's level labels; for a numeric variable
 * (whose levels are its distinct values) also by numeric value. Totals must
 * be finite and not negative (zero totals are refused when the margin is
 * used). Giving the same level twice is an error. */
int wfs_margins_add(wfs_margins *m, const char *var, const char *level, double total,
                    wfs_error *err);
/* One cell of a margin crossing nvars variables (post-stratification on
 * role x region): levels[k] is the level of vars[k]. */
int wfs_margins_add_cell(wfs_margins *m, const char *const *vars, const char *const *levels,
                         size_t nvars, double total, wfs_error *err);
/* The population total of a numeric variable (calibration). */
int wfs_margins_add_numeric(wfs_margins *m, const char *var, double total, wfs_error *err);
/* Read margins from a CSV file. Either long form, with columns variable,
 * level and total (an empty level makes a numeric total), or wide form
 * for one crossed margin: one column per variable and a column total (or
 * R's Freq). When nvars > 0 only the margins on those variables (for wide
 * form: exactly those columns) are taken, in the order given, and a
 * variable without margins in the file is an error. Problems are reported
 * as file:line. */
int wfs_margins_read_csv(wfs_margins *m, const char *path, const char *const *vars, size_t nvars,
                         wfs_error *err);
/* Number of margins; the name of margin k ("role" or "role*region"). */
size_t wfs_margins_count(const wfs_margins *m);
const char *wfs_margins_name(const wfs_margins *m, size_t k);

/* Calibration distance functions of R's calibrate(calfun=). */
typedef enum wfs_calfun { WFS_CALFUN_LINEAR = 0, WFS_CALFUN_RAKING, WFS_CALFUN_LOGIT } wfs_calfun;
const char *wfs_calfun_name(wfs_calfun f);
/* "linear", "raking", "logit"; -1 if unknown. */
int wfs_calfun_parse(const char *name);

/* Options of the weighting functions.
 *  maxit:   iterations allowed; 0 = the default (rake 1000 cycles,
 *           calibrate 50 Newton steps as R, trim 1000 rounds).
 *  epsilon: convergence tolerance, relative to each target; 0 = 1e-10.
 *           Raking stops when every margin total is within epsilon of its
 *           target; calibration when every calibration total is; trimming
 *           a calibrated design when every weight is within epsilon of the
 *           bounds (relative) after re-calibration.
 *  calfun:  calibrate's distance function (R's calfun=).
 *  bounds, lower, upper: which bounds are in force (WFS_BOUND_LOWER,
 *           WFS_BOUND_UPPER or both); calibrate bounds g = new weight /
 *           old weight (R's bounds=), trim bounds the weights.
 *  population: calibrate: the population size, an intercept total
 *           (0 = none; categorical margins imply it).
 *  dataset: name reported in the results (may be NULL). */
enum { WFS_BOUND_LOWER = 1, WFS_BOUND_UPPER = 2 };

typedef struct wfs_weighting_options {
    size_t maxit;
    double epsilon;
    wfs_calfun calfun;
    int bounds;
    double lower, upper;
    double population;
    const char *dataset;
    const wfs_control *control;
} wfs_weighting_options;

#define WFS_WEIGHTING_OPTIONS_INIT {0, 0, WFS_CALFUN_LINEAR, 0, 0, 0, 0, NULL, NULL}

/* Each function below that takes `report` fills it (when non-NULL) with a
 * result: fields for the method, iterations, misfit (the largest
 * |achieved - target| / target over the targets), convergence and the
 * weight diagnostics of wfs_weights_report, and a record table "margins"
 * (variable, level, population, before, after) for the targets. */

/* Post-stratify on one margin (one variable or a cross): w <- w N_g / N^_g
 * (R's postStratify). Every sampled cell needs a positive total and every
 * total a sampled row. */
int wfs_poststratify_run(wfs_design **out, wfs_result **report, const wfs_design *d,
                         const wfs_margins *m, const wfs_weighting_options *opt, wfs_error *err);

/* Raking (iterative proportional fitting) over the margins, in order, on
 * the table of distinct margin cells (R's rake, converged tightly). The
 * margins' totals must agree. Stepwise use: init, then iterate until
 * converged (or the caller gives up), then finish, which fails with
 * WFS_ECONVERGE unless converged. */
typedef struct wfs_rake wfs_rake;
int wfs_rake_init(wfs_rake **out, const wfs_design *d, const wfs_margins *m,
                  const wfs_weighting_options *opt, wfs_error *err);
/* One cycle over every margin; updates iterations and misfit. */
int wfs_rake_iterate(wfs_rake *rk, wfs_error *err);
int wfs_rake_converged(const wfs_rake *rk);
size_t wfs_rake_iterations(const wfs_rake *rk);
double wfs_rake_misfit(const wfs_rake *rk);
int wfs_rake_finish(wfs_design **out, wfs_result **report, const wfs_rake *rk, wfs_error *err);
void wfs_rake_free(wfs_rake *rk);
/* init, iterate until converged or maxit cycles, finish. */
int wfs_rake_run(wfs_design **out, wfs_result **report, const wfs_design *d, const wfs_margins *m,
                 const wfs_weighting_options *opt, wfs_error *err);

/* Calibration (R's calibrate): categorical margins (treatment contrasts;
 * they imply the intercept) and numeric totals; linear (GREG), raking or
 * logit distance, optionally bounded. Newton iterations on the Lagrange
 * multipliers with the Jacobian solved through GSL (a pseudo-inverse, as
 * R's ginv). As R's grake, when every population total exceeds 20 times its
 * estimate the weights are first scaled by the mean ratio, and bounds apply
 * to the scaled weights. Stepwise use as raking. */
typedef struct wfs_calibration wfs_calibration;
int wfs_calibrate_init(wfs_calibration **out, const wfs_design *d, const wfs_margins *m,
                       const wfs_weighting_options *opt, wfs_error *err);
/* One Newton step. */
int wfs_calibrate_iterate(wfs_calibration *c, wfs_error *err);
int wfs_calibrate_converged(const wfs_calibration *c);
size_t wfs_calibrate_iterations(const wfs_calibration *c);
double wfs_calibrate_misfit(const wfs_calibration *c);
int wfs_calibrate_finish(wfs_design **out, wfs_result **report, const wfs_calibration *c,
                         wfs_error *err);
void wfs_calibrate_free(wfs_calibration *c);
int wfs_calibrate_run(wfs_design **out, wfs_result **report, const wfs_design *d,
                      const wfs_margins *m, const wfs_weighting_options *opt, wfs_error *err);

/* Trim the weights to [lower, upper] (opt->bounds says which are given;
 * at least one must be). As R's
 * trimWeights(strict = TRUE): weights outside are set to the bound and the
 * amount trimmed is shared equally among the others, repeatedly, so the
 * sum of the weights is kept. When the design is calibrated its last
 * weighting step (post-stratification, raking or calibration) is re-run
 * after trimming, and trimming and re-weighting alternate until the
 * margins hold and every weight is within the bounds. */
int wfs_trim_run(wfs_design **out, wfs_result **report, const wfs_design *d,
                 const wfs_weighting_options *opt, wfs_error *err);

/* Nonresponse adjustment within cells: respond is a numeric 0/1 variable
 * (1 = responded); cells the classifying variables. In each cell the
 * respondents' weights are multiplied by (sum of weights) / (sum of
 * respondents' weights) and nonrespondents get weight zero, so the cell's
 * weighted total is kept. A cell with sampled rows but no respondents is
 * an error naming it. The adjusted weights act as design weights for the
 * variance. */
int wfs_nonresponse_run(wfs_design **out, wfs_result **report, const wfs_design *d,
                        const char *respond, const char *const *cells, size_t ncells,
                        const wfs_weighting_options *opt, wfs_error *err);

/* Weight diagnostics (command "weights") over the rows with a nonzero
 * weight: n, sum, mean, min, max, ratio max/min, CV (population standard
 * deviation / mean), Kish's design effect due to weighting 1 + CV^2, the
 * effective sample size n / (1 + CV^2) = (sum w)^2 / sum w^2, and when the
 * weights differ from the design's own weights the range of g = weight /
 * design weight. A note warns when the effective sample size is below half
 * the sample. */
int wfs_weights_report(wfs_result **out, const wfs_design *d, const wfs_weighting_options *opt,
                       wfs_error *err);

/* ------------------------------------------------------------------ */
/* Rendering                                                           */
/* ------------------------------------------------------------------ */

typedef enum wfs_format {
    WFS_FORMAT_TEXT = 0,
    WFS_FORMAT_CSV,
    WFS_FORMAT_MARKDOWN,
    WFS_FORMAT_JSON
} wfs_format;

/* Parse "text", "csv", "markdown" (or "md"), "json"; -1 if unknown. */
int wfs_format_parse(const char *name);
const char *wfs_format_name(wfs_format f);

typedef enum wfs_show { WFS_SHOW_SE = 0, WFS_SHOW_CI = 1 } wfs_show;

typedef struct wfs_render_options {
    int digits;       /* decimals for percentages in text tables (default 1) */
    wfs_show show;    /* what goes in brackets under a percentage */
    size_t width;     /* terminal width for text (0 = 80) */
    int explain;      /* add plain-English readings where available */
} wfs_render_options;

#define WFS_RENDER_OPTIONS_INIT {1, WFS_SHOW_SE, 0, 0}

/* Render a result as bytes. *out is malloc'd and NUL-terminated; the caller
 * frees it. JSON is exactly one line ending in a newline. */
int wfs_render(char **out, size_t *len, const wfs_result *r, wfs_format fmt,
               const wfs_render_options *opt, wfs_error *err);

/* Format a double so it reads back exactly, in the fewest digits (up to 17
 * significant). buf needs 32 bytes. NaN gives "null" when json is set,
 * otherwise "NA". */
void wfs_format_double(char *buf, double x, int json);

/* ------------------------------------------------------------------ */
/* Workforce projections (projection.c, render_projection.c)           */
/* ------------------------------------------------------------------ */

/* A stock-flow workforce model: headcount by role and age band; each year
 * leavers (headcount x leaver rate), transitions between roles, ageing of
 * survivors (1/width of a band moves up; the last band is open) and joiners
 * spread over the bands by a joiner age mix; demand per role growing at a
 * rate or following a driver series. doc/projection.md gives the equations.
 *
 * The model file is a CSV in long form with the columns
 *     role,age_band,parameter,value,se[,scenario]
 * (optional columns source and note are ignored) and the parameters
 *     headcount          role, band       base headcount (every role and band)
 *     leaver_rate        role?, band?     annual rate in [0,1] (every role and band)
 *     joiners            role             joiners per year
 *     joiner_share       role?, band      age mix of joiners, summing to 1 per role
 *     transition:ROLE    role, band?      annual rate of moving to ROLE
 *     demand             role             posts needed in the base year
 *     demand_growth      role?            annual growth rate of demand
 *     driver:YEAR        role?            a driver series: demand follows it
 *     demand_shift:ROLE  role             share of demand moved to ROLE
 *     base_year                           the calendar year of year 0
 *     scale:PARAM        role?, band?     multiply a parameter (scenarios)
 * An empty role or band means every role or band; the most specific row
 * wins. Rows with a scenario name replace the base rows they cover when
 * that scenario is chosen. An se (empty = 0) makes a parameter uncertain:
 * rates are drawn on the logit scale, counts and factors on the log scale,
 * growth rates on their own scale. Age bands are written "25-34" or "65+". */
typedef struct wfs_model wfs_model;

/* Read and validate a model file. Every problem is reported as
 * "file:line: message" naming the role, band and parameter. Errors:
 * WFS_EIO, WFS_EPARSE (malformed CSV, unknown column or parameter, a value
 * out of range), WFS_ENOTFOUND (an unknown role or band), WFS_ENOMEM. */
int wfs_model_read(wfs_model **out, const char *path, wfs_error *err);
/* The same from CSV text in memory; name is used in messages. */
int wfs_model_read_buffer(wfs_model **out, const char *name, const char *data, size_t len,
                          wfs_error *err);
/* The same from a table already loaded (name for messages; the table is
 * not kept). */
int wfs_model_from_table(wfs_model **out, const wfs_table *t, const char *name, wfs_error *err);
void wfs_model_free(wfs_model *m);

/* Roles in the order of their first headcount row; age bands from youngest
 * to oldest (one band "all" when the model names no bands); scenarios in
 * file order. */
size_t wfs_model_nroles(const wfs_model *m);
const char *wfs_model_role(const wfs_model *m, size_t i);
size_t wfs_model_nbands(const wfs_model *m);
const char *wfs_model_band(const wfs_model *m, size_t i);
size_t wfs_model_nscenarios(const wfs_model *m);
const char *wfs_model_scenario(const wfs_model *m, size_t i);
/* The calendar year of year 0 (base_year, else the first driver year), or
 * NaN when the model names none. */
double wfs_model_base_year(const wfs_model *m);

/* Override a parameter, as `project ... leaver_rate[Social worker]=0.2:0.03`
 * does: parameter as in the model file, role and band NULL for all. The
 * override replaces every row of that parameter it covers, in the base and
 * in any scenario. se may be 0 or NaN (no uncertainty). Validated like a
 * model row. */
int wfs_model_set(wfs_model *m, const char *parameter, const char *role, const char *band,
                  double value, double se, wfs_error *err);
/* Override a parameter with a survey estimate and its design-based SE, as
 * `leaver_rate[Social worker]=last` does with the session's last result.
 * select picks the estimate when r holds several: "|"-separated labels that
 * must each equal the estimate's level or one of its domain values ("Yes",
 * "Yes|Social worker"). NULL selects the only estimate. Errors name what
 * to select from (WFS_EINVAL), or that r is not a survey estimate. The
 * model remembers where the value came from for the projection's notes. */
int wfs_model_set_from_result(wfs_model *m, const char *parameter, const char *role,
                              const char *band, const wfs_result *r, const char *select,
                              wfs_error *err);

typedef struct wfs_projection_options {
    size_t years;          /* years to project, 1 to 200 */
    size_t sims;           /* Monte Carlo draws of the uncertain parameters; 0 = none */
    unsigned long seed;    /* seed of the GSL mt19937 generator */
    const char *scenario;  /* NULL = the base model */
    const wfs_control *control;
} wfs_projection_options;

#define WFS_PROJECTION_OPTIONS_INIT {10, 0, 1, NULL, NULL}

typedef struct wfs_projection wfs_projection;

/* Project the model. Checks the stock identity (headcount(t+1) =
 * headcount(t) + joiners - leavers + transitions in - transitions out) for
 * every role and year and fails with WFS_EINVAL if it does not hold. Errors
 * also: a scenario not in the model (WFS_ENOTFOUND), an incomplete or
 * inconsistent model (WFS_EINVAL, naming the role, band and rows), years or
 * sims beyond the limits (WFS_ELIMIT), WFS_EINTR, WFS_ENOMEM. */
int wfs_projection_run(wfs_projection **out, const wfs_model *m,
                       const wfs_projection_options *opt, wfs_error *err);
void wfs_projection_free(wfs_projection *p);

typedef enum wfs_proj_stat {
    WFS_PROJ_HEADCOUNT = 0, /* at the end of the year */
    WFS_PROJ_DEMAND,        /* posts needed */
    WFS_PROJ_GAP,           /* demand - headcount */
    WFS_PROJ_LEAVERS,       /* during the year */
    WFS_PROJ_JOINERS,       /* during the year */
    WFS_PROJ_REPLACEMENT,   /* leavers + transitions out - transitions in */
    WFS_PROJ_RECRUITS       /* joiners needed for headcount to meet demand (>= 0) */
} wfs_proj_stat;

#define WFS_PROJ_NSTATS 7
/* The name used in results ("headcount", ...). */
const char *wfs_proj_stat_name(wfs_proj_stat stat);

/* Index meaning "every role" or "every band" in wfs_projection_get. */
#define WFS_PROJ_ALL ((size_t)-1)

typedef struct wfs_proj_value {
    double value;           /* the deterministic projection */
    double sd, p10, p50, p90; /* over the simulations; NaN without them */
} wfs_proj_value;

/* One projected quantity: role and band are indices or WFS_PROJ_ALL, year
 * 0..years. Returns WFS_ENOTFOUND where it is not defined: flows in year 0,
 * demand, gap, replacement and recruits by band, and demand of a role (or
 * of all roles) without demand. */
int wfs_projection_get(wfs_proj_value *out, const wfs_projection *p, wfs_proj_stat stat,
                       size_t role, size_t band, size_t year);
size_t wfs_projection_years(const wfs_projection *p);
size_t wfs_projection_sims(const wfs_projection *p);
/* The calendar year of year index t, or t when the model names no year. */
double wfs_projection_year(const wfs_projection *p, size_t t);
/* Warnings: bands that empty, implausible rates, draws that were capped. */
size_t wfs_projection_nwarnings(const wfs_projection *p);
const char *wfs_projection_warning(const wfs_projection *p, size_t i);
/* The largest relative discrepancy of the stock identity over every role,
 * year and draw (of the order of 1e-16). */
double wfs_projection_identity_error(const wfs_projection *p);

/* The projection as a result: rows with statistic headcount, demand, gap,
 * leavers, joiners, replacement or recruits; variable the role or "all";
 * year; domain {"age_band": band} for per-band rows; estimate the
 * deterministic value and, when simulated, se the standard deviation,
 * ci_lower/ci_upper the 10th/90th percentiles (ci level 0.8) and median
 * the 50th. name labels the model (its file name). plot, if not NULL,
 * asks text renderers for a fan chart of that role's headcount ("all"). */
int wfs_projection_result(wfs_result **out, const wfs_projection *p, const char *name,
                          const char *plot, wfs_error *err);

/* A terminal fan chart of a projection result: the headcount of variable
 * (a role or "all") by year, the deterministic projection as a line, the
 * 10th-90th percentile band shaded, and demand marked. width and height are
 * in character cells (0 = 72 x 14). *out is malloc'd UTF-8 text. Errors:
 * WFS_ENOTFOUND when the result has no headcount rows for variable. */
int wfs_projection_fanchart(char **out, size_t *len, const wfs_result *r, const char *variable,
                            size_t width, size_t height, wfs_error *err);

#ifdef __cplusplus
}
#endif

#endif /* WFSTAT_H */
