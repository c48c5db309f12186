/* wfstat.h - the public interface of libwfstat.
 *
 * libwfstat computes design-based estimates from weighted survey microdata:
 * columnar tables loaded from CSV, survey designs (strata, multistage
 * clusters, finite-population corrections, lonely-PSU policies), Taylor and
 * replicate variances, and the estimators of R's survey package. Every
 * analysis fills a wfs_result; renderers turn results into text, CSV,
 * Markdown or JSON. The library never prints, exits or aborts on bad input.
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

/* Read CSV text held in memory; name is used in messages. */
int wfs_csv_read_buffer(wfs_table **out, const char *name, const char *data, size_t len,
                        const wfs_csv_options *opt, wfs_error *err);

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
    WFS_FLAG_ZERO_VAR = 1u << 7         /* the estimated variance is zero */
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
