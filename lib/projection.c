/* projection.c - stock-flow workforce projections by role and age band.
 *
 * A model file (long CSV: role, age_band, parameter, value, se, and an
 * optional scenario column) is read through the table API, validated row by
 * row with messages naming the file, line, role, band and parameter, and
 * resolved for a scenario and the caller's overrides into dense parameter
 * arrays. The projection steps one year at a time: leavers and transitions
 * out of the stock at the start of the year, ageing of the survivors (1/width
 * of each closed band moves up; the last band is open), then joiners spread
 * over the bands by the joiner age mix. Demand grows at a rate or follows a
 * driver series. The equations are written out in doc/projection.md.
 *
 * Uncertainty: every parameter with an se is drawn once per simulation from
 * a normal distribution on the logit scale (rates), the log scale (counts and
 * factors) or its own scale (growth rates), with the scale's se from the
 * delta method, so the median draw is the point value. The percentiles are
 * R's type 7 quantiles of the simulated values.
 *
 * Policy on missing values: an empty se is 0 (a known parameter); an empty
 * value, role or band where one is required is an error. Nothing here
 * prints; warnings are returned with the projection.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "wfs-private.h"

#define MAX_YEARS       200
#define MAX_SIMS        1000000
#define MIN_SIMS        10
#define MAX_MODEL_BYTES (64u << 20)
#define MAX_SIM_BYTES   ((size_t)1 << 30)
#define SHARE_TOL       1e-6
#define IDENTITY_TOL    1e-9

/* ------------------------------------------------------------------ */
/* Parameters                                                          */
/* ------------------------------------------------------------------ */

enum kind {
    K_HEADCOUNT,
    K_LEAVER,
    K_JOINERS,
    K_SHARE,
    K_TRANSITION,
    K_DEMAND,
    K_GROWTH,
    K_DRIVER,
    K_SHIFT,
    K_BASE_YEAR,
    K_SCALE,
    NKINDS
};

/* How the se of a parameter is used in a simulation. */
enum draw_scale { S_LOGIT, S_LOG, S_NORMAL, S_NONE };
/* Whether a row names a role or band: must not, may, or must. */
enum need { NO, OPTIONAL, REQUIRED };

static const struct kinfo {
    const char *name; /* names ending in ':' take a suffix (a role, a year) */
    int role, band, scale;
} kinfo[NKINDS] = {
    {"headcount", REQUIRED, REQUIRED, S_LOG},
    {"leaver_rate", OPTIONAL, OPTIONAL, S_LOGIT},
    {"joiners", REQUIRED, NO, S_LOG},
    {"joiner_share", OPTIONAL, REQUIRED, S_NONE},
    {"transition:", REQUIRED, OPTIONAL, S_LOGIT},
    {"demand", REQUIRED, NO, S_LOG},
    {"demand_growth", OPTIONAL, NO, S_NORMAL},
    {"driver:", OPTIONAL, NO, S_NONE},
    {"demand_shift:", REQUIRED, NO, S_LOGIT},
    {"base_year", NO, NO, S_NONE},
    {"scale:", OPTIONAL, OPTIONAL, S_LOG},
};

static const char *const parameter_list =
    "headcount, leaver_rate, joiners, joiner_share, transition:ROLE, demand, demand_growth, "
    "driver:YEAR, demand_shift:ROLE, base_year, scale:PARAMETER";

/* One parameter row of the model, or an override. */
typedef struct prow {
    int kind;
    int scaled;       /* K_SCALE: the kind it multiplies */
    long role, band;  /* -1: every role, every band */
    long target;      /* transition, demand_shift, scale:transition:ROLE; -1 */
    long year;        /* driver:YEAR */
    double value, se; /* se 0 = known */
    int layer;        /* 0 base, 1 scenario, 2 override */
    long scenario;    /* scenario index, -1 for base rows and overrides */
    size_t line;      /* line in the model file; 0 for overrides */
    const char *text; /* overrides: how it was written, for messages */
} prow;

struct wfs_model {
    wfs_pool pool;
    const char *name;
    const char **roles;
    size_t nroles;
    const char **bands;
    long *band_lo, *band_hi; /* band_hi -1: open */
    size_t nbands;
    int has_bands;
    const char **scen;
    size_t nscen;
    prow *rows;
    size_t nrows, caprows;
    const char **notes; /* where overrides came from */
    size_t nnotes;
    int top_closed; /* the last band is written closed but treated as open */
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static int grow(void **arr, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap * 2 : 16;
    while (c < need) c *= 2;
    void *p = wfs_reallocarray(*arr, c, sz);
    if (!p) return WFS_ENOMEM;
    *arr = p;
    *cap = c;
    return 0;
}

static long find_name(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0) return (long)i;
    return -1;
}

/* " (did you mean X?)" for the nearest of names, or "". */
static void suggest(wfs_buf *b, const char *const *names, size_t n, const char *s)
{
    /* Short names are too easily one edit apart to guess far. */
    size_t len = strlen(s), far = len >= 10 ? 3 : len >= 6 ? 2 : 1;
    for (size_t i = 0; i < n && len >= 4; i++)
        if (strncmp(names[i], s, len) == 0) {
            wfs_buf_printf(b, " (did you mean %s?)", names[i]);
            return;
        }
    for (size_t cap = 1; cap <= far; cap++)
        for (size_t i = 0; i < n; i++)
            if (wfs_edit_distance(s, names[i], cap) <= cap) {
                wfs_buf_printf(b, " (did you mean %s?)", names[i]);
                return;
            }
}

static double logit(double p)
{
    return log(p / (1 - p));
}
static double expit(double x)
{
    return 1 / (1 + exp(-x));
}

/* "file:12" or "override leaver_rate[Social worker]". */
static void where(char *buf, size_t n, const wfs_model *m, const prow *p)
{
    if (p->layer == 2)
        snprintf(buf, n, "override %s", p->text ? p->text : "");
    else
        snprintf(buf, n, "%s:%zu", m->name, p->line);
}

static const char *kind_name(int kind)
{
    static const char *const plain[NKINDS] = {
        "headcount",     "leaver_rate", "joiners",      "joiner_share", "transition", "demand",
        "demand_growth", "driver",      "demand_shift", "base_year",    "scale"};
    return plain[kind];
}

/* The parameter as written: "transition:Team manager", "driver:2030". */
static void param_text(wfs_buf *b, const wfs_model *m, const prow *p)
{
    switch (p->kind) {
    case K_TRANSITION:
    case K_SHIFT:
        wfs_buf_printf(b, "%s:%s", kind_name(p->kind), m->roles[p->target]);
        break;
    case K_DRIVER:
        wfs_buf_printf(b, "driver:%ld", p->year);
        break;
    case K_SCALE:
        wfs_buf_printf(b, "scale:%s", kind_name(p->scaled));
        if (p->scaled == K_TRANSITION && p->target >= 0)
            wfs_buf_printf(b, ":%s", m->roles[p->target]);
        break;
    default:
        wfs_buf_puts(b, kind_name(p->kind));
    }
}

/* "leaver_rate of Social worker in band 65+" and the like. */
static void describe(wfs_buf *b, const wfs_model *m, const prow *p)
{
    param_text(b, m, p);
    if (kinfo[p->kind].role != NO)
        wfs_buf_printf(b, " of %s", p->role >= 0 ? m->roles[p->role] : "every role");
    if (p->band >= 0 && m->has_bands) wfs_buf_printf(b, " in band %s", m->bands[p->band]);
}

/* Fail with "where: description message". */
static int row_fail(wfs_error *err, int code, const wfs_model *m, const prow *p, const char *fmt,
                    ...) WFS_PRINTF(5, 6);

static int row_fail(wfs_error *err, int code, const wfs_model *m, const prow *p, const char *fmt,
                    ...)
{
    char loc[512];
    where(loc, sizeof loc, m, p);
    wfs_buf b = WFS_BUF_INIT;
    describe(&b, m, p);
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    wfs_vformat_message(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int rc = wfs_fail(err, code, "%s: %s %s", loc, b.data ? b.data : "", msg);
    wfs_buf_free(&b);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Age bands                                                           */
/* ------------------------------------------------------------------ */

/* Parse "25-34" (lo 25, hi 34) or "65+" (hi -1). */
static int parse_band(const char *s, long *lo, long *hi)
{
    char *end;
    errno = 0;
    long a = strtol(s, &end, 10);
    if (end == s || errno || a < 0 || !(*s >= '0' && *s <= '9')) return -1;
    while (*end == ' ') end++;
    if (*end == '+') {
        end++;
        while (*end == ' ') end++;
        if (*end) return -1;
        *lo = a;
        *hi = -1;
        return 0;
    }
    if (*end != '-') return -1;
    const char *q = end + 1;
    while (*q == ' ') q++;
    if (!(*q >= '0' && *q <= '9')) return -1;
    long b = strtol(q, &end, 10);
    while (*end == ' ') end++;
    if (*end || errno || b < a) return -1;
    *lo = a;
    *hi = b;
    return 0;
}

/* Order the bands youngest first and check they are contiguous. */
static int order_bands(wfs_model *m, wfs_error *err)
{
    size_t n = m->nbands;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && m->band_lo[j] < m->band_lo[j - 1]; j--) {
            long t = m->band_lo[j];
            m->band_lo[j] = m->band_lo[j - 1];
            m->band_lo[j - 1] = t;
            t = m->band_hi[j];
            m->band_hi[j] = m->band_hi[j - 1];
            m->band_hi[j - 1] = t;
            const char *s = m->bands[j];
            m->bands[j] = m->bands[j - 1];
            m->bands[j - 1] = s;
        }
    for (size_t i = 0; i + 1 < n; i++) {
        if (m->band_hi[i] < 0)
            return wfs_fail(err, WFS_EPARSE,
                            "%s: age band %s is open but band %s follows it; only the oldest band "
                            "may be open (written like 65+)",
                            m->name, m->bands[i], m->bands[i + 1]);
        if (m->band_lo[i + 1] <= m->band_hi[i])
            return wfs_fail(err, WFS_EPARSE, "%s: age bands %s and %s overlap", m->name,
                            m->bands[i], m->bands[i + 1]);
        if (m->band_lo[i + 1] != m->band_hi[i] + 1)
            return wfs_fail(err, WFS_EPARSE,
                            "%s: age bands %s and %s leave a gap (ages %ld to %ld): ageing "
                            "moves people into the next band, so bands must follow on",
                            m->name, m->bands[i], m->bands[i + 1], m->band_hi[i] + 1,
                            m->band_lo[i + 1] - 1);
    }
    m->top_closed = n > 1 && m->band_hi[n - 1] >= 0;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Reading the model file                                              */
/* ------------------------------------------------------------------ */

typedef struct reader {
    const wfs_table *t;
    long c_role, c_band, c_param, c_value, c_se, c_scen;
    const size_t *lines; /* line of each data row, or NULL (row + 2) */
} reader;

static size_t row_line(const reader *rd, size_t i)
{
    return rd->lines ? rd->lines[i] : i + 2;
}

/* A cell as trimmed text in the pool, or NULL when missing or empty. */
static const char *cell_text(wfs_model *m, const reader *rd, long col, size_t i)
{
    if (col < 0) return NULL;
    const wfs_table *t = rd->t;
    const char *s = NULL;
    char buf[40];
    switch (wfs_table_type(t, (size_t)col)) {
    case WFS_NUMERIC: {
        double x = wfs_table_numeric(t, (size_t)col)[i];
        if (isnan(x)) return NULL;
        wfs_number_label(buf, x);
        s = buf;
        break;
    }
    case WFS_CATEGORICAL: {
        int32_t c = wfs_table_codes(t, (size_t)col)[i];
        if (c < 0) return NULL;
        s = wfs_table_level(t, (size_t)col, (size_t)c);
        break;
    }
    case WFS_TEXT:
        s = wfs_table_text(t, (size_t)col)[i];
        break;
    }
    if (!s) return NULL;
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    if (!n) return NULL;
    return wfs_pool_strndup(&m->pool, s, n);
}

/* A numeric cell: 1 and *x, 0 when missing, -1 when not a number. */
static int cell_number(const reader *rd, long col, size_t i, double *x)
{
    *x = NAN;
    if (col < 0) return 0;
    const wfs_table *t = rd->t;
    if (wfs_table_type(t, (size_t)col) == WFS_NUMERIC) {
        *x = wfs_table_numeric(t, (size_t)col)[i];
        return isnan(*x) ? 0 : 1;
    }
    const char *s = NULL;
    if (wfs_table_type(t, (size_t)col) == WFS_CATEGORICAL) {
        int32_t c = wfs_table_codes(t, (size_t)col)[i];
        if (c >= 0) s = wfs_table_level(t, (size_t)col, (size_t)c);
    } else {
        s = wfs_table_text(t, (size_t)col)[i];
    }
    if (!s) return 0;
    while (*s == ' ') s++;
    if (!*s) return 0;
    char *end;
    *x = strtod(s, &end);
    while (*end == ' ') end++;
    return *end ? -1 : 1;
}

static int add_row(wfs_model *m, const prow *p)
{
    if (grow((void **)&m->rows, &m->caprows, m->nrows + 1, sizeof *m->rows)) return WFS_ENOMEM;
    m->rows[m->nrows++] = *p;
    return 0;
}

static int add_name(wfs_model *m, const char ***arr, size_t *n, const char *s)
{
    size_t cap = *n; /* arrays grow one at a time: models name few roles */
    const char **a = wfs_reallocarray((void *)*arr, cap + 1, sizeof *a);
    if (!a) return WFS_ENOMEM;
    *arr = a;
    a[(*n)++] = s;
    (void)m;
    return 0;
}

/* Parse "transition:Team manager" etc. into p (kind, target, year, scaled).
 * Returns 0, or fails naming the location. */
static int parse_parameter(wfs_model *m, prow *p, const char *param, const char *loc,
                           wfs_error *err)
{
    for (int k = 0; k < NKINDS; k++) {
        const char *name = kinfo[k].name;
        size_t n = strlen(name);
        if (name[n - 1] != ':') {
            if (strcmp(param, name) == 0) {
                p->kind = k;
                return 0;
            }
            continue;
        }
        if (strncmp(param, name, n) != 0) continue;
        const char *arg = param + n;
        while (*arg == ' ') arg++;
        p->kind = k;
        if (!*arg)
            return wfs_fail(err, WFS_EPARSE, "%s: %s needs %s after the colon, as in %s%s", loc,
                            param,
                            k == K_DRIVER  ? "a year"
                            : k == K_SCALE ? "a parameter"
                                           : "a role",
                            name,
                            k == K_DRIVER  ? "2030"
                            : k == K_SCALE ? "leaver_rate"
                                           : "Social worker");
        if (k == K_TRANSITION || k == K_SHIFT) {
            p->target = find_name(m->roles, m->nroles, arg);
            if (p->target < 0) {
                wfs_buf b = WFS_BUF_INIT;
                suggest(&b, m->roles, m->nroles, arg);
                wfs_buf_puts(&b, "; roles are those with a headcount: ");
                wfs_buf_name_list(&b, m->roles, m->nroles, 8);
                int rc = wfs_fail(err, WFS_ENOTFOUND, "%s: %s names an unknown role \"%s\"%s", loc,
                                  param, arg, b.data ? b.data : "");
                wfs_buf_free(&b);
                return rc;
            }
        } else if (k == K_DRIVER) {
            char *end;
            errno = 0;
            long y = strtol(arg, &end, 10);
            if (*end || errno || y < 1 || y > 9999)
                return wfs_fail(err, WFS_EPARSE,
                                "%s: %s: a driver is written driver:YEAR "
                                "with a calendar year, as in driver:2030",
                                loc, param);
            p->year = y;
        } else if (k == K_SCALE) {
            static const int scalable[] = {K_HEADCOUNT, K_LEAVER, K_JOINERS, K_TRANSITION,
                                           K_DEMAND};
            int found = 0;
            for (size_t q = 0; q < sizeof scalable / sizeof *scalable && !found; q++) {
                const char *sn = kind_name(scalable[q]);
                size_t sl = strlen(sn);
                if (strncmp(arg, sn, sl) != 0) continue;
                if (arg[sl] == '\0') {
                    p->scaled = scalable[q];
                    found = 1;
                } else if (scalable[q] == K_TRANSITION && arg[sl] == ':') {
                    p->scaled = K_TRANSITION;
                    p->target = find_name(m->roles, m->nroles, arg + sl + 1);
                    if (p->target < 0)
                        return wfs_fail(err, WFS_ENOTFOUND, "%s: %s names an unknown role \"%s\"",
                                        loc, param, arg + sl + 1);
                    found = 1;
                }
            }
            if (!found)
                return wfs_fail(err, WFS_EPARSE,
                                "%s: %s: scale: multiplies headcount, leaver_rate, joiners, "
                                "transition, transition:ROLE or demand",
                                loc, param);
        }
        return 0;
    }
    wfs_buf b = WFS_BUF_INIT;
    static const char *const names[] = {
        "headcount", "leaver_rate", "joiners", "joiner_share",  "demand", "demand_growth",
        "base_year", "transition:", "driver:", "demand_shift:", "scale:"};
    suggest(&b, names, sizeof names / sizeof *names, param);
    int rc = wfs_fail(err, WFS_EPARSE, "%s: unknown parameter \"%s\"%s; parameters are %s", loc,
                      param, b.data ? b.data : "", parameter_list);
    wfs_buf_free(&b);
    return rc;
}

/* Resolve the role and band of a row and check its value and se. role and
 * band are the texts (NULL when empty). */
static int check_row(wfs_model *m, prow *p, const char *role, const char *band, wfs_error *err)
{
    char loc[512];
    where(loc, sizeof loc, m, p);
    const struct kinfo *ki = &kinfo[p->kind];
    wfs_buf b = WFS_BUF_INIT;
    int rc = 0;
    p->role = p->band = -1;
    if (role) {
        if (ki->role == NO) {
            wfs_buf_free(&b);
            param_text(&b, m, p);
            rc = wfs_fail(err, WFS_EPARSE, "%s: %s applies to the whole model; leave role empty",
                          loc, b.data);
            goto done;
        }
        p->role = find_name(m->roles, m->nroles, role);
        if (p->role < 0) {
            param_text(&b, m, p);
            wfs_buf_printf(&b, " names an unknown role \"%s\"", role);
            suggest(&b, m->roles, m->nroles, role);
            wfs_buf_puts(&b, "; roles are those with a headcount: ");
            wfs_buf_name_list(&b, m->roles, m->nroles, 8);
            rc = wfs_fail(err, WFS_ENOTFOUND, "%s: %s", loc, b.data);
            goto done;
        }
    } else if (ki->role == REQUIRED) {
        param_text(&b, m, p);
        rc = wfs_fail(err, WFS_EPARSE, "%s: %s needs a role", loc, b.data);
        goto done;
    }
    int banded = p->kind == K_SCALE ? (p->scaled == K_HEADCOUNT || p->scaled == K_LEAVER ||
                                       p->scaled == K_TRANSITION)
                                    : ki->band != NO;
    if (band) {
        if (!banded) {
            describe(&b, m, p);
            rc = wfs_fail(err, WFS_EPARSE, "%s: %s is not given by age band; leave age_band empty",
                          loc, b.data);
            goto done;
        }
        if (!m->has_bands) {
            describe(&b, m, p);
            rc = wfs_fail(err, WFS_ENOTFOUND,
                          "%s: %s names age band %s, but no headcount row names an age band", loc,
                          b.data, band);
            goto done;
        }
        p->band = find_name(m->bands, m->nbands, band);
        if (p->band < 0) {
            describe(&b, m, p);
            wfs_buf_printf(&b, " names an unknown age band \"%s\"", band);
            suggest(&b, m->bands, m->nbands, band);
            wfs_buf_puts(&b, "; bands are those with a headcount: ");
            wfs_buf_name_list(&b, m->bands, m->nbands, 12);
            rc = wfs_fail(err, WFS_ENOTFOUND, "%s: %s", loc, b.data);
            goto done;
        }
    } else if (ki->band == REQUIRED && p->kind != K_SCALE) {
        if (m->has_bands) {
            describe(&b, m, p);
            wfs_buf_puts(&b, " needs an age band (bands: ");
            wfs_buf_name_list(&b, m->bands, m->nbands, 12);
            wfs_buf_putc(&b, ')');
            rc = wfs_fail(err, WFS_EPARSE, "%s: %s", loc, b.data);
            goto done;
        }
        p->band = 0; /* the one band of a model without bands */
    }
    if ((p->kind == K_TRANSITION || p->kind == K_SHIFT) && p->target == p->role) {
        describe(&b, m, p);
        rc = wfs_fail(err, WFS_EPARSE, "%s: %s moves a role to itself", loc, b.data);
        goto done;
    }
    /* The value. */
    double v = p->value, se = p->se;
    const char *why = NULL;
    if (!isfinite(v))
        why = "is not a finite number";
    else
        switch (p->kind) {
        case K_HEADCOUNT:
        case K_JOINERS:
        case K_DEMAND:
            if (v < 0) why = "is negative; counts must be 0 or more";
            break;
        case K_LEAVER:
        case K_TRANSITION:
        case K_SHIFT:
        case K_SHARE:
            if (v < 0 || v > 1)
                why = "is outside [0, 1]; rates and shares are fractions (write 12% as 0.12)";
            break;
        case K_GROWTH:
            if (v <= -1) why = "is -1 or less; a growth rate is a fraction per year (2% is 0.02)";
            break;
        case K_DRIVER:
            if (v <= 0) why = "must be positive: demand moves in proportion to the driver";
            break;
        case K_BASE_YEAR:
            if (v != floor(v) || v < 1 || v > 9999) why = "must be a calendar year such as 2024";
            break;
        case K_SCALE:
            if (v < 0) why = "is negative; a scale factor must be 0 or more";
            break;
        }
    if (why) {
        char num[32];
        wfs_format_double(num, v, 0);
        rc = row_fail(err, WFS_EPARSE, m, p, "= %s %s", num, why);
        goto done;
    }
    if (isnan(se)) se = p->se = 0;
    if (!isfinite(se) || se < 0) {
        rc = row_fail(err, WFS_EPARSE, m, p, "has a negative or infinite se");
        goto done;
    }
    if (se > 0) {
        char num[32];
        wfs_format_double(num, v, 0);
        switch (kinfo[p->kind].scale) {
        case S_NONE:
            rc = row_fail(err, WFS_EPARSE, m, p, "takes no se (%s); leave se empty",
                          p->kind == K_SHARE    ? "shares must sum to 1 in every draw"
                          : p->kind == K_DRIVER ? "the driver series is taken as given"
                                                : "it is not uncertain");
            goto done;
        case S_LOGIT:
            if (v <= 0 || v >= 1) {
                rc = row_fail(err, WFS_EPARSE, m, p,
                              "= %s has an se, so it must lie strictly between 0 and 1 (rates "
                              "are drawn on the logit scale)",
                              num);
                goto done;
            }
            break;
        case S_LOG:
            if (v <= 0) {
                rc = row_fail(err, WFS_EPARSE, m, p,
                              "= %s has an se, so it must be positive (counts are drawn on the "
                              "log scale)",
                              num);
                goto done;
            }
            break;
        default:
            break;
        }
    }
done:
    wfs_buf_free(&b);
    return rc;
}

/* Key order for finding duplicates. */
static int row_key_cmp(const prow *a, const prow *b)
{
#define CMP(f)                                                                                     \
    if (a->f != b->f) return a->f < b->f ? -1 : 1
    CMP(layer);
    CMP(scenario);
    CMP(kind);
    CMP(scaled);
    CMP(role);
    CMP(band);
    CMP(target);
    CMP(year);
#undef CMP
    return 0;
}

/* Rows by key, then by position in the file (the rows are one array, so
 * their addresses keep the file's order). */
static int cmp_row_ptr(const void *a, const void *b)
{
    const prow *x = *(const prow *const *)a, *y = *(const prow *const *)b;
    int c = row_key_cmp(x, y);
    if (c) return c;
    return x < y ? -1 : x > y;
}

static int check_duplicates(const wfs_model *m, wfs_error *err)
{
    size_t n = m->nrows;
    if (n < 2) return 0;
    const prow **sorted = wfs_mallocarray(n, sizeof *sorted);
    if (!sorted) return wfs_nomem(err);
    for (size_t i = 0; i < n; i++) sorted[i] = &m->rows[i];
    qsort(sorted, n, sizeof *sorted, cmp_row_ptr);
    int rc = 0;
    for (size_t i = 1; i < n && !rc; i++) {
        const prow *x = sorted[i - 1], *y = sorted[i];
        if (row_key_cmp(x, y) == 0)
            rc = row_fail(err, WFS_EPARSE, m, y, "is given twice (also on line %zu)%s%s", x->line,
                          y->scenario >= 0 ? " in scenario " : "",
                          y->scenario >= 0 ? m->scen[y->scenario] : "");
    }
    free(sorted);
    return rc;
}

static int resolve_check(const wfs_model *m, long scenario, wfs_error *err);

/* Line numbers of the records of CSV text, as libcsv splits them: blank
 * lines are skipped and quoted fields may span lines. lines[k] is the line
 * of data row k (the header is record 0). */
static size_t *record_lines(const char *data, size_t len, size_t nrows)
{
    size_t *lines = wfs_callocarray(nrows + 1, sizeof *lines);
    if (!lines) return NULL;
    size_t line = 1, rec = 0, start = 1;
    int inq = 0, nonblank = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? data[i] : '\n';
        int nl = !inq && (c == '\n' || (c == '\r' && (i + 1 >= len || data[i + 1] != '\n')));
        if (c == '"') inq = !inq;
        if (nl) {
            if (nonblank) {
                if (rec >= 1 && rec - 1 < nrows) lines[rec - 1] = start;
                rec++;
            }
            nonblank = 0;
            line++;
            start = line;
            continue;
        }
        if (c == '\n' || (c == '\r' && (i + 1 >= len || data[i + 1] != '\n'))) line++;
        if (!nonblank && c != ' ' && c != '\t' && c != '\r') {
            nonblank = 1;
            start = line;
        }
    }
    return lines;
}

static int model_from_table(wfs_model **out, const wfs_table *t, const char *name,
                            const size_t *lines, wfs_error *err)
{
    *out = NULL;
    wfs_model *m = calloc(1, sizeof *m);
    if (!m) return wfs_nomem(err);
    int rc = 0;
    m->name = wfs_pool_strdup(&m->pool, name ? name : "model");
    reader rd;
    memset(&rd, 0, sizeof rd);
    rd.t = t;
    rd.lines = lines;
    rd.c_role = rd.c_band = rd.c_param = rd.c_value = rd.c_se = rd.c_scen = -1;
    for (size_t j = 0; j < wfs_table_ncols(t); j++) {
        const char *cn = wfs_table_name(t, j);
        if (strcmp(cn, "role") == 0)
            rd.c_role = (long)j;
        else if (strcmp(cn, "age_band") == 0)
            rd.c_band = (long)j;
        else if (strcmp(cn, "parameter") == 0)
            rd.c_param = (long)j;
        else if (strcmp(cn, "value") == 0)
            rd.c_value = (long)j;
        else if (strcmp(cn, "se") == 0)
            rd.c_se = (long)j;
        else if (strcmp(cn, "scenario") == 0)
            rd.c_scen = (long)j;
        else if (strcmp(cn, "source") == 0 || strcmp(cn, "note") == 0)
            continue;
        else {
            rc = wfs_fail(err, WFS_EPARSE,
                          "%s:1: unknown column \"%s\"; a model has the columns role, age_band, "
                          "parameter, value, se and optionally scenario, source and note",
                          m->name, cn);
            goto fail;
        }
    }
    if (rd.c_role < 0 || rd.c_param < 0 || rd.c_value < 0) {
        rc = wfs_fail(err, WFS_EPARSE,
                      "%s:1: a model needs the columns role, parameter and value "
                      "(and age_band, se, scenario as needed); this file lacks %s",
                      m->name,
                      rd.c_role < 0    ? "role"
                      : rd.c_param < 0 ? "parameter"
                                       : "value");
        goto fail;
    }
    size_t n = wfs_table_nrows(t);
    if (n == 0) {
        rc = wfs_fail(err, WFS_EPARSE, "%s: the model has no rows", m->name);
        goto fail;
    }
    /* Pass 1: scenarios, and roles and bands from the base headcount rows. */
    for (size_t i = 0; i < n; i++) {
        const char *param = cell_text(m, &rd, rd.c_param, i);
        const char *scen = cell_text(m, &rd, rd.c_scen, i);
        if (m->pool.failed) goto nomem;
        if (scen && find_name(m->scen, m->nscen, scen) < 0 &&
            add_name(m, &m->scen, &m->nscen, scen))
            goto nomem;
        if (!param || strcmp(param, "headcount") != 0 || scen) continue;
        const char *role = cell_text(m, &rd, rd.c_role, i);
        const char *band = cell_text(m, &rd, rd.c_band, i);
        if (!role) {
            rc = wfs_fail(err, WFS_EPARSE, "%s:%zu: headcount needs a role", m->name,
                          row_line(&rd, i));
            goto fail;
        }
        if (find_name(m->roles, m->nroles, role) < 0 && add_name(m, &m->roles, &m->nroles, role))
            goto nomem;
        if (band && find_name(m->bands, m->nbands, band) < 0) {
            long lo, hi;
            if (parse_band(band, &lo, &hi)) {
                rc = wfs_fail(err, WFS_EPARSE,
                              "%s:%zu: age band \"%s\" of %s is not written like 25-34 or 65+",
                              m->name, row_line(&rd, i), band, role);
                goto fail;
            }
            if (add_name(m, &m->bands, &m->nbands, band)) goto nomem;
            long *l = wfs_reallocarray(m->band_lo, m->nbands, sizeof *l);
            if (!l) goto nomem;
            m->band_lo = l;
            long *h = wfs_reallocarray(m->band_hi, m->nbands, sizeof *h);
            if (!h) goto nomem;
            m->band_hi = h;
            m->band_lo[m->nbands - 1] = lo;
            m->band_hi[m->nbands - 1] = hi;
        }
    }
    if (!m->nroles) {
        rc = wfs_fail(err, WFS_EPARSE,
                      "%s: the model has no headcount rows; roles and age bands are those "
                      "with a base headcount",
                      m->name);
        goto fail;
    }
    if (m->nbands) {
        m->has_bands = 1;
        if ((rc = order_bands(m, err))) goto fail;
    } else {
        /* One open band holding everyone. */
        if (add_name(m, &m->bands, &m->nbands, "all")) goto nomem;
        m->band_lo = calloc(1, sizeof *m->band_lo);
        m->band_hi = malloc(sizeof *m->band_hi);
        if (!m->band_lo || !m->band_hi) goto nomem;
        m->band_hi[0] = -1;
    }
    /* Pass 2: every row. */
    for (size_t i = 0; i < n; i++) {
        prow p;
        memset(&p, 0, sizeof p);
        p.target = p.role = p.band = -1;
        p.year = 0;
        p.scaled = -1;
        p.line = row_line(&rd, i);
        const char *param = cell_text(m, &rd, rd.c_param, i);
        const char *role = cell_text(m, &rd, rd.c_role, i);
        const char *band = cell_text(m, &rd, rd.c_band, i);
        const char *scen = cell_text(m, &rd, rd.c_scen, i);
        if (m->pool.failed) goto nomem;
        char loc[512];
        snprintf(loc, sizeof loc, "%s:%zu", m->name, p.line);
        if (!param) {
            rc = wfs_fail(err, WFS_EPARSE, "%s: the parameter is empty%s%s", loc,
                          role ? " for role " : "", role ? role : "");
            goto fail;
        }
        if ((rc = parse_parameter(m, &p, param, loc, err))) goto fail;
        p.scenario = scen ? find_name(m->scen, m->nscen, scen) : -1;
        p.layer = scen ? 1 : 0;
        int got = cell_number(&rd, rd.c_value, i, &p.value);
        if (got <= 0) {
            rc = wfs_fail(err, WFS_EPARSE, "%s: %s%s%s %s", loc, param, role ? " of " : "",
                          role ? role : "",
                          got < 0 ? "has a value that is not a number" : "has no value");
            goto fail;
        }
        if (cell_number(&rd, rd.c_se, i, &p.se) < 0) {
            rc = wfs_fail(err, WFS_EPARSE, "%s: %s%s%s has an se that is not a number", loc, param,
                          role ? " of " : "", role ? role : "");
            goto fail;
        }
        if ((rc = check_row(m, &p, role, band, err))) goto fail;
        if (add_row(m, &p)) goto nomem;
    }
    if ((rc = check_duplicates(m, err))) goto fail;
    /* The base model and every scenario must be complete and consistent. */
    if ((rc = resolve_check(m, -1, err))) goto fail;
    for (size_t s = 0; s < m->nscen; s++)
        if ((rc = resolve_check(m, (long)s, err))) goto fail;
    *out = m;
    return 0;
nomem:
    rc = wfs_nomem(err);
fail:
    wfs_model_free(m);
    return rc;
}

int wfs_model_from_table(wfs_model **out, const wfs_table *t, const char *name, wfs_error *err)
{
    return model_from_table(out, t, name, NULL, err);
}

int wfs_model_read_buffer(wfs_model **out, const char *name, const char *data, size_t len,
                          wfs_error *err)
{
    *out = NULL;
    wfs_table *t;
    wfs_csv_options co = WFS_CSV_OPTIONS_INIT;
    int rc = wfs_csv_read_buffer(&t, name, data, len, &co, err);
    if (rc) return rc;
    size_t *lines = record_lines(data, len, wfs_table_nrows(t));
    if (!lines) {
        wfs_table_free(t);
        return wfs_nomem(err);
    }
    rc = model_from_table(out, t, name, lines, err);
    free(lines);
    wfs_table_free(t);
    return rc;
}

int wfs_model_read(wfs_model **out, const char *path, wfs_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return wfs_fail(err, WFS_EIO, "cannot read model %s: %s", path, strerror(errno));
    wfs_buf b = WFS_BUF_INIT;
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        wfs_buf_add(&b, chunk, got);
        if (b.len > MAX_MODEL_BYTES) {
            fclose(f);
            wfs_buf_free(&b);
            return wfs_fail(err, WFS_ELIMIT, "model %s is larger than %u MB: is it a model file?",
                            path, MAX_MODEL_BYTES >> 20);
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        wfs_buf_free(&b);
        return wfs_fail(err, WFS_EIO, "cannot read model %s: %s", path, strerror(errno));
    }
    if (b.failed) {
        wfs_buf_free(&b);
        return wfs_nomem(err);
    }
    int rc = wfs_model_read_buffer(out, path, b.data ? b.data : "", b.len, err);
    wfs_buf_free(&b);
    return rc;
}

void wfs_model_free(wfs_model *m)
{
    if (!m) return;
    free(m->roles);
    free(m->bands);
    free(m->band_lo);
    free(m->band_hi);
    free(m->scen);
    free(m->rows);
    free(m->notes);
    wfs_pool_free(&m->pool);
    free(m);
}

size_t wfs_model_nroles(const wfs_model *m)
{
    return m->nroles;
}
const char *wfs_model_role(const wfs_model *m, size_t i)
{
    return i < m->nroles ? m->roles[i] : NULL;
}
size_t wfs_model_nbands(const wfs_model *m)
{
    return m->nbands;
}
const char *wfs_model_band(const wfs_model *m, size_t i)
{
    return i < m->nbands ? m->bands[i] : NULL;
}
size_t wfs_model_nscenarios(const wfs_model *m)
{
    return m->nscen;
}
const char *wfs_model_scenario(const wfs_model *m, size_t i)
{
    return i < m->nscen ? m->scen[i] : NULL;
}

/* The base year of a scenario's effective rows (declared below). */
static double base_year_of(const wfs_model *m, long scenario);

double wfs_model_base_year(const wfs_model *m)
{
    return base_year_of(m, -1);
}

/* ------------------------------------------------------------------ */
/* Overrides                                                           */
/* ------------------------------------------------------------------ */

int wfs_model_set(wfs_model *m, const char *parameter, const char *role, const char *band,
                  double value, double se, wfs_error *err)
{
    if (!parameter || !*parameter)
        return wfs_fail(err, WFS_EINVAL, "an override needs a parameter");
    wfs_buf txt = WFS_BUF_INIT;
    wfs_buf_puts(&txt, parameter);
    if (role || band) {
        wfs_buf_printf(&txt, "[%s", role ? role : "");
        if (band) wfs_buf_printf(&txt, ",%s", band);
        wfs_buf_putc(&txt, ']');
    }
    const char *text = wfs_pool_strdup(&m->pool, txt.data);
    wfs_buf_free(&txt);
    if (!text) return wfs_nomem(err);
    prow p;
    memset(&p, 0, sizeof p);
    p.target = p.role = p.band = -1;
    p.scaled = -1;
    p.layer = 2;
    p.scenario = -1;
    p.text = text;
    p.value = value;
    p.se = se;
    char loc[600];
    snprintf(loc, sizeof loc, "override %s", text);
    int rc = parse_parameter(m, &p, parameter, loc, err);
    if (rc) return rc;
    if (p.kind == K_BASE_YEAR || p.kind == K_DRIVER)
        return wfs_fail(err, WFS_EINVAL, "%s: %s cannot be overridden; edit the model file", loc,
                        parameter);
    if ((rc = check_row(m, &p, role && *role ? role : NULL, band && *band ? band : NULL, err)))
        return rc;
    /* A later override of the same parameter replaces the earlier one. */
    for (size_t i = 0; i < m->nrows; i++)
        if (m->rows[i].layer == 2 && row_key_cmp(&m->rows[i], &p) == 0) {
            prow old = m->rows[i];
            m->rows[i] = p;
            rc = resolve_check(m, -1, err);
            if (rc) m->rows[i] = old;
            return rc;
        }
    if (add_row(m, &p)) return wfs_nomem(err);
    rc = resolve_check(m, -1, err);
    if (rc) m->nrows--;
    return rc;
}

/* Does estimate e match every "|"-separated label of sel? */
static int estimate_matches(const wfs_estimate *e, const char *sel)
{
    while (sel) {
        const char *bar = strchr(sel, '|');
        size_t n = bar ? (size_t)(bar - sel) : strlen(sel);
        int hit = e->level && strlen(e->level) == n && strncmp(e->level, sel, n) == 0;
        for (size_t k = 0; k < e->ndomain && !hit; k++)
            hit = e->domain_values[k] && strlen(e->domain_values[k]) == n &&
                  strncmp(e->domain_values[k], sel, n) == 0;
        if (!hit) return 0;
        sel = bar ? bar + 1 : NULL;
    }
    return 1;
}

/* "prop intend_leave = Yes (role = Social worker)". */
static void estimate_label(wfs_buf *b, const wfs_estimate *e)
{
    wfs_buf_printf(b, "%s %s", e->statistic ? e->statistic : "estimate",
                   e->variable ? e->variable : "");
    if (e->level) wfs_buf_printf(b, " = %s", e->level);
    for (size_t k = 0; k < e->ndomain; k++)
        wfs_buf_printf(b, "%s%s = %s%s", k ? ", " : " (", e->domain_keys[k],
                       e->domain_values[k] ? e->domain_values[k] : "NA",
                       k + 1 == e->ndomain ? ")" : "");
}

int wfs_model_set_from_result(wfs_model *m, const char *parameter, const char *role,
                              const char *band, const wfs_result *r, const char *select,
                              wfs_error *err)
{
    const char *name = parameter;
    /* The override as written, for messages: leaver_rate[Social worker]. */
    char what[512];
    if (role || band)
        snprintf(what, sizeof what, "%s[%s%s%s]", parameter, role ? role : "", band ? "," : "",
                 band ? band : "");
    else
        snprintf(what, sizeof what, "%s", parameter);
    parameter = what;
    if (!r || wfs_result_nestimates(r) == 0)
        return wfs_fail(err, WFS_EINVAL,
                        "%s=last needs a survey estimate first (for example prop intend_leave "
                        "if role == \"Social worker\"); the last result has no estimates",
                        what);
    if (strcmp(wfs_result_command(r), "project") == 0)
        return wfs_fail(err, WFS_EINVAL,
                        "%s=last: the last result is a projection, not a survey estimate", what);
    size_t n = wfs_result_nestimates(r), pick = n, hits = 0;
    for (size_t i = 0; i < n; i++)
        if (!select || estimate_matches(wfs_result_estimate(r, i), select)) {
            if (!hits) pick = i;
            hits++;
        }
    if (hits != 1) {
        wfs_buf b = WFS_BUF_INIT;
        for (size_t i = 0; i < n && i < 6; i++) {
            if (i) wfs_buf_puts(&b, "; ");
            estimate_label(&b, wfs_result_estimate(r, i));
        }
        if (n > 6) wfs_buf_printf(&b, "; and %zu more", n - 6);
        int rc;
        if (!select)
            rc = wfs_fail(err, WFS_EINVAL,
                          "%s=last: the last result (%s) has %zu estimates; pick one with "
                          "=last:LEVEL or =last:\"LEVEL|DOMAIN\" from: %s",
                          parameter, wfs_result_command(r), n, b.data ? b.data : "");
        else
            rc = wfs_fail(err, WFS_EINVAL, "%s=last:%s %s; the estimates are: %s", parameter,
                          select, hits ? "matches more than one estimate" : "matches no estimate",
                          b.data ? b.data : "");
        wfs_buf_free(&b);
        return rc;
    }
    const wfs_estimate *e = wfs_result_estimate(r, pick);
    wfs_buf lab = WFS_BUF_INIT;
    estimate_label(&lab, e);
    int rc = 0;
    if (e->flags & (WFS_FLAG_SUPPRESSED | WFS_FLAG_SUPPRESSED_COMP))
        rc = wfs_fail(err, WFS_EINVAL, "%s=last: the estimate %s is suppressed", parameter,
                      lab.data);
    else if (!isfinite(e->estimate))
        rc = wfs_fail(err, WFS_EINVAL, "%s=last: the estimate %s is not available", parameter,
                      lab.data);
    else if (!(e->se >= 0) || !isfinite(e->se))
        rc = wfs_fail(err, WFS_EINVAL,
                      "%s=last: the estimate %s has no standard error; give the value "
                      "as VALUE:SE instead",
                      parameter, lab.data);
    if (!rc) rc = wfs_model_set(m, name, role, band, e->estimate, e->se, err);
    if (!rc) {
        char v[32], se[32];
        snprintf(v, sizeof v, "%.4g", e->estimate);
        snprintf(se, sizeof se, "%.2g", e->se);
        wfs_buf note = WFS_BUF_INIT;
        wfs_buf_printf(&note, "%s = %s (se %s) from the survey estimate %s", what, v, se, lab.data);
        if (wfs_result_dataset(r) && *wfs_result_dataset(r))
            wfs_buf_printf(&note, " in %s", wfs_result_dataset(r));
        const char *s = note.data ? wfs_pool_strdup(&m->pool, note.data) : NULL;
        wfs_buf_free(&note);
        const char **a = s ? wfs_reallocarray((void *)m->notes, m->nnotes + 1, sizeof *a) : NULL;
        if (!a) {
            rc = wfs_nomem(err);
        } else {
            m->notes = a;
            m->notes[m->nnotes++] = s;
        }
    }
    wfs_buf_free(&lab);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Resolving a scenario: effective rows and dense parameters           */
/* ------------------------------------------------------------------ */

/* Does row x (a scenario row or override) replace row y? Same parameter,
 * and x's role and band cover y's. */
static int covers(const prow *x, const prow *y)
{
    return x->kind == y->kind && x->scaled == y->scaled && x->target == y->target &&
           x->year == y->year && (x->role < 0 || x->role == y->role) &&
           (x->band < 0 || x->band == y->band);
}

static int demand_rule(const prow *p)
{
    return p->kind == K_GROWTH || p->kind == K_DRIVER;
}

/* Does row x of a later layer replace row y? When it covers it, and also
 * when both say how demand moves: a scenario's growth rate or driver series
 * replaces the earlier rule, of either kind, for every role it names. */
static int replaces(const prow *x, const prow *y)
{
    return covers(x, y) ||
           (demand_rule(x) && demand_rule(y) && (x->role < 0 || x->role == y->role));
}

typedef struct resolved {
    const prow **rows; /* effective rows, least specific first */
    size_t n;
    double *share;    /* R x A joiner age mix */
    const prow **drv; /* driver rows that apply to each role, by year: R x ndrv */
    size_t *ndrv;     /* per role */
    size_t drv_stride;
    /* Per role: 1 when demand follows the driver series (the role's own
     * series, or the series for every role unless the role has its own
     * demand_growth); 2 when the role's demand is given both ways at the
     * same level, which is an error for a role with demand. */
    unsigned char *drv_mode;
    double base_year; /* NaN when none */
} resolved;

static void resolved_free(resolved *rs)
{
    free(rs->rows);
    free(rs->share);
    free(rs->drv);
    free(rs->ndrv);
    free(rs->drv_mode);
    memset(rs, 0, sizeof *rs);
}

/* Dense parameters for one draw. */
typedef struct params {
    size_t R, A;
    double *H0, *L, *T, *J, *D0, *G, *S; /* R*A, R*A, R*R*A, R, R, R, R*R */
    double *buf;
} params;

static int params_init(params *pp, size_t R, size_t A)
{
    memset(pp, 0, sizeof *pp);
    pp->R = R;
    pp->A = A;
    size_t n = 2 * R * A + R * R * A + 3 * R + R * R;
    pp->buf = wfs_mallocarray(n, sizeof *pp->buf);
    if (!pp->buf) return WFS_ENOMEM;
    pp->H0 = pp->buf;
    pp->L = pp->H0 + R * A;
    pp->T = pp->L + R * A;
    pp->J = pp->T + R * R * A;
    pp->D0 = pp->J + R;
    pp->G = pp->D0 + R;
    pp->S = pp->G + R;
    return 0;
}

static void params_free(params *pp)
{
    free(pp->buf);
}

static int cmp_driver_year(const void *a, const void *b)
{
    const prow *x = *(const prow *const *)a, *y = *(const prow *const *)b;
    return (x->year > y->year) - (x->year < y->year);
}

/* Build the effective rows of a scenario (-1 = base) with the overrides. */
static int resolve(resolved *rs, const wfs_model *m, long scenario, wfs_error *err)
{
    memset(rs, 0, sizeof *rs);
    size_t R = m->nroles, A = m->nbands;
    const prow **eff = wfs_mallocarray(m->nrows ? m->nrows : 1, sizeof *eff);
    rs->share = wfs_callocarray(R * A, sizeof *rs->share);
    rs->ndrv = wfs_callocarray(R, sizeof *rs->ndrv);
    if (!eff || !rs->share || !rs->ndrv) {
        free(eff);
        resolved_free(rs);
        return wfs_nomem(err);
    }
    size_t n = 0;
    for (int layer = 0; layer <= 2; layer++)
        for (size_t i = 0; i < m->nrows; i++) {
            const prow *x = &m->rows[i];
            if (x->layer != layer || (layer == 1 && x->scenario != scenario)) continue;
            /* Scale factors multiply in; they never replace one another. */
            if (x->kind == K_SCALE) {
                eff[n++] = x;
                continue;
            }
            size_t keep = 0;
            for (size_t k = 0; k < n; k++)
                if (eff[k]->layer == layer || !replaces(x, eff[k])) eff[keep++] = eff[k];
            n = keep;
            eff[n++] = x;
        }
    /* Least specific first, so the most specific row is written last. */
    rs->rows = wfs_mallocarray(n ? n : 1, sizeof *rs->rows);
    if (!rs->rows) {
        free(eff);
        resolved_free(rs);
        return wfs_nomem(err);
    }
    for (int spec = 0; spec < 4; spec++)
        for (size_t k = 0; k < n; k++)
            if ((eff[k]->role >= 0) * 2 + (eff[k]->band >= 0) == spec) rs->rows[rs->n++] = eff[k];
    free(eff);
    /* Joiner age mix: a role's own shares if it has any, else the shares
     * given for every role. */
    rs->base_year = NAN;
    double first_driver = NAN;
    for (size_t r = 0; r < R; r++) {
        int own = 0, any = 0;
        for (size_t k = 0; k < rs->n; k++)
            own |= rs->rows[k]->kind == K_SHARE && rs->rows[k]->role == (long)r;
        for (size_t k = 0; k < rs->n; k++) {
            const prow *p = rs->rows[k];
            if (p->kind == K_SHARE && p->role == (own ? (long)r : -1)) {
                rs->share[r * A + (size_t)p->band] = p->value;
                any = 1;
            }
        }
        /* With one band every joiner joins it. */
        if (!any && A == 1) rs->share[r] = 1;
    }
    for (size_t k = 0; k < rs->n; k++) {
        const prow *p = rs->rows[k];
        if (p->kind == K_BASE_YEAR) rs->base_year = p->value;
        if (p->kind == K_DRIVER && !(first_driver <= (double)p->year))
            first_driver = (double)p->year;
    }
    if (isnan(rs->base_year)) rs->base_year = first_driver;
    /* Driver series: a role's own series if it has one, else the series
     * given for every role. */
    size_t ndrv = 0;
    for (size_t k = 0; k < rs->n; k++) ndrv += rs->rows[k]->kind == K_DRIVER;
    rs->drv_stride = ndrv ? ndrv : 1;
    rs->drv = wfs_mallocarray(R * rs->drv_stride, sizeof *rs->drv);
    rs->drv_mode = calloc(R ? R : 1, 1);
    if (!rs->drv || !rs->drv_mode) {
        resolved_free(rs);
        return wfs_nomem(err);
    }
    for (size_t r = 0; r < R; r++) {
        int own = 0, own_growth = 0, any = 0, any_growth = 0;
        for (size_t k = 0; k < rs->n; k++) {
            const prow *p = rs->rows[k];
            own |= p->kind == K_DRIVER && p->role == (long)r;
            any |= p->kind == K_DRIVER && p->role < 0;
            own_growth |= p->kind == K_GROWTH && p->role == (long)r;
            any_growth |= p->kind == K_GROWTH && p->role < 0;
        }
        if ((own && own_growth) || (!own && !own_growth && any && any_growth))
            rs->drv_mode[r] = 2;
        else if (own || (any && !own_growth))
            rs->drv_mode[r] = 1;
        const prow **d = rs->drv + r * rs->drv_stride;
        for (size_t k = 0; k < rs->n; k++)
            if (rs->rows[k]->kind == K_DRIVER && rs->rows[k]->role == (own ? (long)r : -1))
                d[rs->ndrv[r]++] = rs->rows[k];
        qsort(d, rs->ndrv[r], sizeof *d, cmp_driver_year);
    }
    return 0;
}

/* Fill dense parameters from the effective rows with values v (one per
 * effective row). */
static void fill(params *pp, const resolved *rs, const double *v)
{
    size_t R = pp->R, A = pp->A;
    for (size_t i = 0; i < R * A; i++) pp->H0[i] = pp->L[i] = NAN;
    memset(pp->T, 0, R * R * A * sizeof *pp->T);
    memset(pp->S, 0, R * R * sizeof *pp->S);
    for (size_t r = 0; r < R; r++) {
        pp->J[r] = 0;
        pp->D0[r] = NAN;
        pp->G[r] = 0;
    }
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < rs->n; k++) {
            const prow *p = rs->rows[k];
            if ((p->kind == K_SCALE) != pass) continue;
            size_t r0 = p->role >= 0 ? (size_t)p->role : 0, r1 = p->role >= 0 ? r0 + 1 : R;
            size_t a0 = p->band >= 0 ? (size_t)p->band : 0, a1 = p->band >= 0 ? a0 + 1 : A;
            double x = v[k];
            for (size_t r = r0; r < r1; r++) {
                switch (p->kind) {
                case K_HEADCOUNT:
                    for (size_t a = a0; a < a1; a++) pp->H0[r * A + a] = x;
                    break;
                case K_LEAVER:
                    for (size_t a = a0; a < a1; a++) pp->L[r * A + a] = x;
                    break;
                case K_TRANSITION:
                    for (size_t a = a0; a < a1; a++) pp->T[(r * R + (size_t)p->target) * A + a] = x;
                    break;
                case K_JOINERS:
                    pp->J[r] = x;
                    break;
                case K_DEMAND:
                    pp->D0[r] = x;
                    break;
                case K_GROWTH: pp->G[r] = x; break;
                case K_SHIFT:
                    pp->S[r * R + (size_t)p->target] = x;
                    break;
                case K_SCALE:
                    switch (p->scaled) {
                    case K_HEADCOUNT:
                        for (size_t a = a0; a < a1; a++) pp->H0[r * A + a] *= x;
                        break;
                    case K_LEAVER:
                        for (size_t a = a0; a < a1; a++) pp->L[r * A + a] *= x;
                        break;
                    case K_TRANSITION:
                        for (size_t s = 0; s < R; s++)
                            if (p->target < 0 || (size_t)p->target == s)
                                for (size_t a = a0; a < a1; a++) pp->T[(r * R + s) * A + a] *= x;
                        break;
                    case K_JOINERS:
                        pp->J[r] *= x;
                        break;
                    case K_DEMAND:
                        pp->D0[r] *= x;
                        break;
                    }
                    break;
                default:
                    break;
                }
            }
        }
}

/* The lines of the effective rows of kind for role r and band a, for
 * messages: "lines 4, 9". */
static void lines_of(wfs_buf *b, const wfs_model *m, const resolved *rs, int kind, size_t r, long a)
{
    for (size_t k = 0; k < rs->n; k++) {
        const prow *p = rs->rows[k];
        if (p->kind != kind && !(p->kind == K_SCALE && p->scaled == kind)) continue;
        if (p->role >= 0 && (size_t)p->role != r) continue;
        if (a >= 0 && p->band >= 0 && p->band != a) continue;
        char loc[512];
        if (p->layer == 2)
            snprintf(loc, sizeof loc, "override %s", p->text);
        else
            snprintf(loc, sizeof loc, "line %zu", p->line);
        wfs_buf_printf(b, "%s%s", b->len ? ", " : "", loc);
    }
}

/* Check a resolved model with its point values: every role and band has a
 * headcount and a leaver rate, outflows do not exceed the stock, joiner
 * shares sum to 1, demand rows are coherent. */
static int check_params(const wfs_model *m, const resolved *rs, const params *pp, long scenario,
                        wfs_error *err)
{
    size_t R = pp->R, A = pp->A;
    char in[300] = "";
    if (scenario >= 0) snprintf(in, sizeof in, " in scenario %s", m->scen[scenario]);
    wfs_buf b = WFS_BUF_INIT;
    int rc = 0;
    for (size_t r = 0; r < R && !rc; r++)
        for (size_t a = 0; a < A && !rc; a++) {
            char bandtxt[300] = "";
            if (m->has_bands) snprintf(bandtxt, sizeof bandtxt, " in band %s", m->bands[a]);
            if (isnan(pp->H0[r * A + a])) {
                rc = wfs_fail(err, WFS_EINVAL,
                              "%s: %s has no headcount%s%s; every role needs a headcount row for "
                              "every age band (0 if nobody)",
                              m->name, m->roles[r], bandtxt, in);
                break;
            }
            if (isnan(pp->L[r * A + a])) {
                rc = wfs_fail(err, WFS_EINVAL,
                              "%s: %s has no leaver_rate%s%s; give one for the role (age_band "
                              "empty), for each band, or for every role (role empty)",
                              m->name, m->roles[r], bandtxt, in);
                break;
            }
            double out = pp->L[r * A + a];
            for (size_t s = 0; s < R; s++) out += pp->T[(r * R + s) * A + a];
            if (!(out <= 1 + 1e-12)) {
                wfs_buf_free(&b);
                lines_of(&b, m, rs, K_LEAVER, r, (long)a);
                lines_of(&b, m, rs, K_TRANSITION, r, (long)a);
                char num[32];
                snprintf(num, sizeof num, "%.6g", out);
                rc = wfs_fail(err, WFS_EINVAL,
                              "%s: the leaver_rate and transitions out of %s%s%s add up to %s, "
                              "more than everyone (%s)",
                              m->name, m->roles[r], bandtxt, in, num, b.data ? b.data : "");
            }
        }
    for (size_t r = 0; r < R && !rc; r++) {
        int any = 0;
        double sum = 0;
        for (size_t a = 0; a < A; a++) sum += rs->share[r * A + a];
        for (size_t k = 0; k < rs->n; k++)
            any |= rs->rows[k]->kind == K_SHARE &&
                   (rs->rows[k]->role < 0 || (size_t)rs->rows[k]->role == r);
        if (!any && A == 1) continue;
        if (!any && pp->J[r] > 0) {
            rc = wfs_fail(err, WFS_EINVAL,
                          "%s: %s has joiners but no joiner_share by age band%s; give the age mix "
                          "of joiners for the role or for every role (role empty)",
                          m->name, m->roles[r], in);
            break;
        }
        if (any && fabs(sum - 1) > SHARE_TOL) {
            wfs_buf_free(&b);
            lines_of(&b, m, rs, K_SHARE, r, -1);
            char num[32];
            snprintf(num, sizeof num, "%.6g", sum);
            rc = wfs_fail(err, WFS_EINVAL, "%s: the joiner_share of %s sums to %s, not 1%s (%s)",
                          m->name, m->roles[r], num, in, b.data ? b.data : "");
        }
    }
    for (size_t r = 0; r < R && !rc; r++) {
        double shifted = 0;
        for (size_t s = 0; s < R; s++) {
            double x = pp->S[r * R + s];
            if (x <= 0) continue;
            shifted += x;
            if (isnan(pp->D0[r]) || isnan(pp->D0[s])) {
                rc = wfs_fail(err, WFS_EINVAL,
                              "%s: demand_shift:%s of %s%s moves demand between roles, but %s has "
                              "no demand row",
                              m->name, m->roles[s], m->roles[r], in,
                              isnan(pp->D0[r]) ? m->roles[r] : m->roles[s]);
                break;
            }
        }
        if (!rc && shifted > 1 + 1e-12)
            rc = wfs_fail(err, WFS_EINVAL,
                          "%s: the demand_shift rows of %s%s move more than all of its demand",
                          m->name, m->roles[r], in);
        if (rc) break;
        int own_growth = 0;
        for (size_t k = 0; k < rs->n; k++)
            own_growth |= rs->rows[k]->kind == K_GROWTH && rs->rows[k]->role == (long)r;
        if (own_growth && isnan(pp->D0[r])) {
            rc = wfs_fail(err, WFS_EINVAL,
                          "%s: demand_growth of %s%s has no effect: %s has no demand row", m->name,
                          m->roles[r], in, m->roles[r]);
            break;
        }
        if (!isnan(pp->D0[r]) && rs->drv_mode[r] == 2) {
            rc = wfs_fail(err, WFS_EINVAL,
                          "%s: the demand of %s%s has both a demand_growth and a driver series; "
                          "it follows one or the other",
                          m->name, m->roles[r], in);
            break;
        }
    }
    wfs_buf_free(&b);
    return rc;
}

static int resolve_check(const wfs_model *m, long scenario, wfs_error *err)
{
    resolved rs;
    int rc = resolve(&rs, m, scenario, err);
    if (rc) return rc;
    params pp;
    if (params_init(&pp, m->nroles, m->nbands)) {
        resolved_free(&rs);
        return wfs_nomem(err);
    }
    double *v = wfs_mallocarray(rs.n ? rs.n : 1, sizeof *v);
    if (!v) {
        rc = wfs_nomem(err);
    } else {
        for (size_t k = 0; k < rs.n; k++) v[k] = rs.rows[k]->value;
        fill(&pp, &rs, v);
        rc = check_params(m, &rs, &pp, scenario, err);
    }
    free(v);
    params_free(&pp);
    resolved_free(&rs);
    return rc;
}

static double base_year_of(const wfs_model *m, long scenario)
{
    resolved rs;
    if (resolve(&rs, m, scenario, NULL)) return NAN;
    double y = rs.base_year;
    resolved_free(&rs);
    return y;
}

/* ------------------------------------------------------------------ */
/* The projection                                                      */
/* ------------------------------------------------------------------ */

typedef struct cellid {
    int stat;
    long role, band; /* -1: every role / the role's total */
    size_t year;
} cellid;

struct wfs_projection {
    wfs_pool pool;
    size_t R, A, Y, sims;
    const char **roles, **bands;
    int has_bands;
    double base_year;
    const char *scenario;
    unsigned long seed;
    size_t nuncertain;
    cellid *cells;
    size_t ncells;
    long *index; /* (Y+1) x stats x (R+1) x (A+1) -> cell, or -1 */
    double *value, *sd, *p10, *p50, *p90;
    const char **warn;
    size_t nwarn, capwarn;
    double idmax;
};

/* The state of one run over every year. */
typedef struct state {
    size_t R, A, Y;
    double *H, *Lv, *Jn;       /* (Y+1) x R x A */
    double *Tin, *Tout, *D;    /* (Y+1) x R */
    double *Ht, *Lt, *Jt, *Dt; /* totals: (Y+1) x (R+1), the last column all roles */
    double *Rp, *Rc;           /* replacement, recruits: (Y+1) x (R+1) */
    double *post, *shifted;    /* workspace: R x A, R */
    double *u;                 /* A: the fraction of a band that ages out each year */
    const double *share;       /* R x A */
    const double *drvfac;      /* (Y+1) x R driver factors, NaN where none */
    double idmax;              /* largest relative stock-identity discrepancy */
    double *buf;
} state;

static int state_init(state *st, size_t R, size_t A, size_t Y)
{
    memset(st, 0, sizeof *st);
    st->R = R;
    st->A = A;
    st->Y = Y;
    size_t T = Y + 1, R1 = R + 1;
    size_t n = 3 * T * R * A + 3 * T * R + 6 * T * R1 + R * A + R + A;
    st->buf = wfs_callocarray(n, sizeof *st->buf);
    if (!st->buf) return WFS_ENOMEM;
    double *p = st->buf;
    st->H = p, p += T * R * A;
    st->Lv = p, p += T * R * A;
    st->Jn = p, p += T * R * A;
    st->Tin = p, p += T * R;
    st->Tout = p, p += T * R;
    st->D = p, p += T * R;
    st->Ht = p, p += T * R1;
    st->Lt = p, p += T * R1;
    st->Jt = p, p += T * R1;
    st->Dt = p, p += T * R1;
    st->Rp = p, p += T * R1;
    st->Rc = p, p += T * R1;
    st->post = p, p += R * A;
    st->shifted = p, p += R;
    st->u = p;
    return 0;
}

/* One projection with parameters pp (doc/projection.md, "The model"). */
static void project(state *st, const params *pp)
{
    size_t R = st->R, A = st->A, Y = st->Y, R1 = R + 1;
    for (size_t i = 0; i < R * A; i++) st->H[i] = pp->H0[i];
    for (size_t t = 1; t <= Y; t++) {
        const double *H = st->H + (t - 1) * R * A;
        double *Hn = st->H + t * R * A, *Lv = st->Lv + t * R * A, *Jn = st->Jn + t * R * A;
        double *Tin = st->Tin + t * R, *Tout = st->Tout + t * R;
        memset(st->post, 0, R * A * sizeof *st->post);
        for (size_t r = 0; r < R; r++) Tin[r] = Tout[r] = 0;
        /* Leavers and transitions out of the stock at the start of the year;
         * movers keep their age band. */
        for (size_t r = 0; r < R; r++)
            for (size_t a = 0; a < A; a++) {
                double h = H[r * A + a], rate = pp->L[r * A + a];
                Lv[r * A + a] = h * rate;
                for (size_t s = 0; s < R; s++) {
                    double tr = pp->T[(r * R + s) * A + a];
                    if (tr == 0) continue;
                    double mv = h * tr;
                    st->post[s * A + a] += mv;
                    Tout[r] += mv;
                    Tin[s] += mv;
                    rate += tr;
                }
                /* Rates that add up to exactly 1 must leave nobody, not
                 * a rounding error below zero. */
                double stay = 1 - rate;
                st->post[r * A + a] += h * (stay > 0 ? stay : 0);
            }
        /* Survivors age: 1/width of each closed band moves up; then joiners
         * arrive with the joiner age mix. */
        for (size_t r = 0; r < R; r++) {
            double carry = 0;
            for (size_t a = 0; a < A; a++) {
                double p = st->post[r * A + a], up = p * st->u[a];
                double j = pp->J[r] * st->share[r * A + a];
                Jn[r * A + a] = j;
                Hn[r * A + a] = p - up + carry + j;
                carry = up;
            }
        }
    }
    /* Totals by role and for all roles, and the stock identity:
     * H(t) = H(t-1) + joiners - leavers - transitions out + transitions in. */
    for (size_t t = 0; t <= Y; t++) {
        double *Ht = st->Ht + t * R1, *Lt = st->Lt + t * R1, *Jt = st->Jt + t * R1;
        double *Rp = st->Rp + t * R1;
        wfs_ksum hs = {0, 0}, ls = {0, 0}, js = {0, 0}, rps = {0, 0};
        for (size_t r = 0; r < R; r++) {
            wfs_ksum h = {0, 0}, l = {0, 0}, j = {0, 0};
            for (size_t a = 0; a < A; a++) {
                wfs_ksum_add(&h, st->H[(t * R + r) * A + a]);
                wfs_ksum_add(&l, st->Lv[(t * R + r) * A + a]);
                wfs_ksum_add(&j, st->Jn[(t * R + r) * A + a]);
            }
            Ht[r] = wfs_ksum_value(&h);
            Lt[r] = wfs_ksum_value(&l);
            Jt[r] = wfs_ksum_value(&j);
            Rp[r] = Lt[r] + st->Tout[t * R + r] - st->Tin[t * R + r];
            wfs_ksum_add(&hs, Ht[r]);
            wfs_ksum_add(&ls, Lt[r]);
            wfs_ksum_add(&js, Jt[r]);
            wfs_ksum_add(&rps, Rp[r]);
            if (t > 0) {
                double prev = st->Ht[(t - 1) * R1 + r];
                double rhs = prev + Jt[r] - Rp[r];
                double d = fabs(Ht[r] - rhs) / fmax(1, fmax(fabs(Ht[r]), fabs(prev)));
                if (!(d <= st->idmax)) st->idmax = isnan(d) ? INFINITY : d;
            }
        }
        Ht[R] = wfs_ksum_value(&hs);
        Lt[R] = wfs_ksum_value(&ls);
        Jt[R] = wfs_ksum_value(&js);
        Rp[R] = wfs_ksum_value(&rps);
    }
    /* Demand: grows at its rate or follows the driver; from year 1 on,
     * demand_shift moves shares of demand between roles. */
    for (size_t t = 0; t <= Y; t++) {
        double *D = st->D + t * R;
        for (size_t r = 0; r < R; r++) {
            double f = st->drvfac[t * R + r];
            if (isnan(f)) f = pow(1 + pp->G[r], (double)t);
            D[r] = pp->D0[r] * f;
        }
        if (t > 0) {
            for (size_t r = 0; r < R; r++) st->shifted[r] = D[r];
            for (size_t r = 0; r < R; r++)
                for (size_t s = 0; s < R; s++) {
                    double x = pp->S[r * R + s];
                    if (x == 0) continue;
                    st->shifted[r] -= x * D[r];
                    st->shifted[s] += x * D[r];
                }
            for (size_t r = 0; r < R; r++) D[r] = st->shifted[r];
        }
        double *Dt = st->Dt + t * R1, *Rc = st->Rc + t * R1, *Ht = st->Ht + t * R1;
        double *Jt = st->Jt + t * R1;
        wfs_ksum ds = {0, 0}, rs = {0, 0};
        for (size_t r = 0; r < R; r++) {
            Dt[r] = D[r];
            /* Recruits needed: the joiners that would bring headcount up to
             * demand, 0 when it is already met. */
            double need = D[r] - (Ht[r] - Jt[r]);
            Rc[r] = need > 0 ? need : 0;
            wfs_ksum_add(&ds, D[r]);
            wfs_ksum_add(&rs, Rc[r]);
        }
        Dt[R] = wfs_ksum_value(&ds);
        Rc[R] = wfs_ksum_value(&rs);
    }
}

static int is_flow(int stat)
{
    return stat == WFS_PROJ_LEAVERS || stat == WFS_PROJ_JOINERS || stat == WFS_PROJ_REPLACEMENT ||
           stat == WFS_PROJ_RECRUITS;
}

static int needs_demand(int stat)
{
    return stat == WFS_PROJ_DEMAND || stat == WFS_PROJ_GAP || stat == WFS_PROJ_RECRUITS;
}

static int by_band(int stat)
{
    return stat == WFS_PROJ_HEADCOUNT || stat == WFS_PROJ_LEAVERS || stat == WFS_PROJ_JOINERS;
}

static double cell_value(const state *st, const cellid *c)
{
    size_t R = st->R, A = st->A, R1 = R + 1, t = c->year;
    size_t ri = c->role < 0 ? R : (size_t)c->role;
    if (c->band >= 0) {
        const double *src = c->stat == WFS_PROJ_HEADCOUNT ? st->H
                            : c->stat == WFS_PROJ_LEAVERS ? st->Lv
                                                          : st->Jn;
        size_t a = (size_t)c->band;
        if (c->role >= 0) return src[(t * R + ri) * A + a];
        wfs_ksum k = {0, 0};
        for (size_t r = 0; r < R; r++) wfs_ksum_add(&k, src[(t * R + r) * A + a]);
        return wfs_ksum_value(&k);
    }
    switch (c->stat) {
    case WFS_PROJ_HEADCOUNT:
        return st->Ht[t * R1 + ri];
    case WFS_PROJ_DEMAND:
        return st->Dt[t * R1 + ri];
    case WFS_PROJ_GAP:
        return st->Dt[t * R1 + ri] - st->Ht[t * R1 + ri];
    case WFS_PROJ_LEAVERS:
        return st->Lt[t * R1 + ri];
    case WFS_PROJ_JOINERS:
        return st->Jt[t * R1 + ri];
    case WFS_PROJ_REPLACEMENT:
        return st->Rp[t * R1 + ri];
    case WFS_PROJ_RECRUITS:
        return st->Rc[t * R1 + ri];
    }
    return NAN;
}

const char *wfs_proj_stat_name(wfs_proj_stat stat)
{
    static const char *const names[WFS_PROJ_NSTATS] = {
        "headcount", "demand", "gap", "leavers", "joiners", "replacement", "recruits"};
    return (unsigned)stat < WFS_PROJ_NSTATS ? names[stat] : "unknown";
}

static int warn(wfs_projection *p, const char *fmt, ...) WFS_PRINTF(2, 3);

static int warn(wfs_projection *p, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    const char *s = wfs_pool_strdup(&p->pool, buf);
    if (!s || grow((void **)&p->warn, &p->capwarn, p->nwarn + 1, sizeof *p->warn))
        return WFS_ENOMEM;
    p->warn[p->nwarn++] = s;
    return 0;
}

/* Driver factors driver(base + t) / driver(base) for every role with a
 * series, linear between the years given; NaN for roles without one. */
static int driver_factors(double *f, const wfs_model *m, const resolved *rs, const params *pp,
                          size_t Y, wfs_error *err)
{
    size_t R = m->nroles;
    for (size_t i = 0; i < (Y + 1) * R; i++) f[i] = NAN;
    for (size_t r = 0; r < R; r++) {
        size_t n = rs->ndrv[r];
        if (!n || rs->drv_mode[r] != 1 || isnan(pp->D0[r])) continue;
        const prow *const *d = rs->drv + r * rs->drv_stride;
        double first = (double)d[0]->year, last = (double)d[n - 1]->year;
        double y0 = rs->base_year, y1 = rs->base_year + (double)Y;
        if (y0 < first || y1 > last)
            return wfs_fail(err, WFS_EINVAL,
                            "%s: the driver series of %s covers %.0f to %.0f, but the projection "
                            "needs %.0f to %.0f (years=%zu)",
                            m->name, m->roles[r], first, last, y0, y1, Y);
        double base = NAN;
        for (size_t t = 0; t <= Y; t++) {
            double y = y0 + (double)t, v = NAN;
            for (size_t k = 0; k < n; k++) {
                if ((double)d[k]->year == y) {
                    v = d[k]->value;
                    break;
                }
                if (k + 1 < n && (double)d[k]->year < y && (double)d[k + 1]->year > y) {
                    double w = (y - (double)d[k]->year) / (double)(d[k + 1]->year - d[k]->year);
                    v = d[k]->value + w * (d[k + 1]->value - d[k]->value);
                    break;
                }
            }
            if (t == 0) base = v;
            f[t * R + r] = v / base;
        }
    }
    return 0;
}

/* Draw the uncertain parameters: rates on the logit scale, counts and
 * factors on the log scale, growth rates on their own scale, each normal
 * with the delta-method se of the scale (Casella and Berger, 5.5.4), so the
 * median draw is the point value. */
static void draw(double *v, const resolved *rs, gsl_rng *rng)
{
    for (size_t k = 0; k < rs->n; k++) {
        const prow *p = rs->rows[k];
        double x = p->value;
        if (p->se > 0) {
            double z = gsl_ran_gaussian(rng, 1.0);
            switch (kinfo[p->kind].scale) {
            case S_LOGIT:
                x = expit(logit(x) + z * p->se / (x * (1 - x)));
                break;
            case S_LOG:
                x = x * exp(z * p->se / x);
                break;
            case S_NORMAL:
                x = fmax(x + z * p->se, -1 + 1e-9);
                break;
            default:
                break;
            }
        }
        v[k] = x;
    }
}

/* Scale down outflow rates and demand shifts that a draw pushed above 1.
 * Returns the number of role and band cells capped. */
static size_t cap_draw(params *pp)
{
    size_t R = pp->R, A = pp->A, capped = 0;
    for (size_t r = 0; r < R; r++) {
        for (size_t a = 0; a < A; a++) {
            double out = pp->L[r * A + a];
            for (size_t s = 0; s < R; s++) out += pp->T[(r * R + s) * A + a];
            if (out <= 1) continue;
            capped++;
            pp->L[r * A + a] /= out;
            for (size_t s = 0; s < R; s++) pp->T[(r * R + s) * A + a] /= out;
        }
        double sh = 0;
        for (size_t s = 0; s < R; s++) sh += pp->S[r * R + s];
        if (sh > 1) {
            capped++;
            for (size_t s = 0; s < R; s++) pp->S[r * R + s] /= sh;
        }
    }
    return capped;
}

/* The k-th smallest of x[0..n) (0-based), partially reordering x
 * (Hoare's selection, median-of-three pivot). */
static double select_kth(double *x, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        double a = x[lo], b = x[mid], c = x[hi];
        double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        size_t i = lo, j = hi;
        for (;;) {
            while (x[i] < pivot) i++;
            while (x[j] > pivot) j--;
            if (i >= j) break;
            double t = x[i];
            x[i] = x[j];
            x[j] = t;
            i++;
            j--;
        }
        /* x[lo..j] <= pivot <= x[j+1..hi] */
        if (k <= j)
            hi = j;
        else
            lo = j + 1;
    }
    return x[k];
}

/* R's type 7 quantile (Hyndman and Fan 1996, definition 7). */
static double quantile7(double *x, size_t n, double prob)
{
    double h = (double)(n - 1) * prob;
    size_t k = (size_t)floor(h);
    double lo = select_kth(x, n, k);
    if ((double)k == h || k + 1 >= n) return lo;
    double hi = x[k + 1];
    for (size_t i = k + 2; i < n; i++)
        if (x[i] < hi) hi = x[i];
    return lo + (h - (double)k) * (hi - lo);
}

static size_t cell_slot(const wfs_projection *p, int stat, size_t ri, size_t ai, size_t t)
{
    return ((t * WFS_PROJ_NSTATS + (size_t)stat) * (p->R + 1) + ri) * (p->A + 1) + ai;
}

/* The cells of the output, in the order of the result rows. */
static int make_cells(wfs_projection *p, const params *pp)
{
    size_t R = p->R, A = p->A, Y = p->Y;
    int all_demand = 1;
    for (size_t r = 0; r < R; r++) all_demand &= !isnan(pp->D0[r]);
    size_t slots = (Y + 1) * WFS_PROJ_NSTATS * (R + 1) * (A + 1);
    p->index = wfs_mallocarray(slots, sizeof *p->index);
    p->cells = wfs_mallocarray(slots, sizeof *p->cells);
    if (!p->index || !p->cells) return WFS_ENOMEM;
    for (size_t i = 0; i < slots; i++) p->index[i] = -1;
    for (size_t t = 0; t <= Y; t++)
        for (int stat = 0; stat < WFS_PROJ_NSTATS; stat++) {
            if (t == 0 && is_flow(stat)) continue;
            for (size_t ri = 0; ri <= R; ri++) {
                if (needs_demand(stat) && (ri < R ? isnan(pp->D0[ri]) : !all_demand)) continue;
                long role = ri < R ? (long)ri : -1;
                /* The total of the role, then its bands. */
                size_t nb = p->has_bands && by_band(stat) ? A : 0;
                for (size_t k = 0; k <= nb; k++) {
                    size_t ai = k == 0 ? A : k - 1;
                    cellid c = {stat, role, ai < A ? (long)ai : -1, t};
                    p->index[cell_slot(p, stat, ri, ai, t)] = (long)p->ncells;
                    p->cells[p->ncells++] = c;
                }
            }
        }
    return 0;
}

void wfs_projection_free(wfs_projection *p)
{
    if (!p) return;
    free(p->roles);
    free(p->bands);
    free(p->cells);
    free(p->index);
    free(p->value);
    free(p->sd);
    free(p->p10);
    free(p->p50);
    free(p->p90);
    free(p->warn);
    wfs_pool_free(&p->pool);
    free(p);
}

/* Warnings about the deterministic projection: implausible rates and bands
 * that empty. */
static int plausibility(wfs_projection *p, const params *pp, const state *st)
{
    size_t R = p->R, A = p->A;
    int rc = 0;
    for (size_t r = 0; r < R && !rc; r++) {
        /* Retirement makes high leaver rates plausible in the oldest band. */
        size_t below_top = A > 1 ? A - 1 : 1;
        for (size_t a = 0; a < below_top; a++) {
            double l = pp->L[r * A + a];
            if (l > 0.5) {
                rc = warn(p, "the leaver_rate of %s%s%s is %.3g: more than half leave every year",
                          p->roles[r], p->has_bands ? " in band " : "",
                          p->has_bands ? p->bands[a] : "", l);
                break;
            }
        }
        for (size_t s = 0; s < R && !rc; s++)
            for (size_t a = 0; a < A; a++) {
                double tr = pp->T[(r * R + s) * A + a];
                if (tr > 0.5) {
                    rc = warn(p,
                              "the transition rate from %s to %s is %.3g a year: more than half "
                              "move every year",
                              p->roles[r], p->roles[s], tr);
                    break;
                }
            }
        if (!rc && !isnan(pp->D0[r]) && isnan(st->drvfac[r]) && fabs(pp->G[r]) > 0.15)
            rc = warn(p,
                      "the demand_growth of %s is %.3g a year (%.0f%%): is it a fraction per "
                      "year?",
                      p->roles[r], pp->G[r], pp->G[r] * 100);
    }
    for (size_t r = 0; r < R && !rc; r++)
        for (size_t a = 0; a < A && !rc; a++) {
            if (!(st->H[r * A + a] >= 0.5)) continue;
            for (size_t t = 1; t <= p->Y; t++)
                if (st->H[(t * R + r) * A + a] < 0.5) {
                    if (p->has_bands)
                        rc = warn(p, "band %s of %s empties (fewer than 0.5 people) by %.0f",
                                  p->bands[a], p->roles[r], wfs_projection_year(p, t));
                    else
                        rc = warn(p, "%s empties (fewer than 0.5 people) by %.0f", p->roles[r],
                                  wfs_projection_year(p, t));
                    break;
                }
        }
    return rc;
}

int wfs_projection_run(wfs_projection **out, const wfs_model *m, const wfs_projection_options *opt,
                       wfs_error *err)
{
    *out = NULL;
    wfs_projection_options defaults = WFS_PROJECTION_OPTIONS_INIT;
    if (!opt) opt = &defaults;
    if (opt->years < 1 || opt->years > MAX_YEARS)
        return wfs_fail(err, WFS_ELIMIT, "years=%zu: a projection runs 1 to %d years", opt->years,
                        MAX_YEARS);
    if (opt->sims && (opt->sims < MIN_SIMS || opt->sims > MAX_SIMS))
        return wfs_fail(err, WFS_ELIMIT, "sims=%zu: simulations run %d to %d draws (0 for none)",
                        opt->sims, MIN_SIMS, MAX_SIMS);
    long scen = -1;
    if (opt->scenario && strcmp(opt->scenario, "base") != 0) {
        scen = find_name(m->scen, m->nscen, opt->scenario);
        if (scen < 0) {
            wfs_buf b = WFS_BUF_INIT;
            suggest(&b, m->scen, m->nscen, opt->scenario);
            if (m->nscen) {
                wfs_buf_puts(&b, "; scenarios: ");
                wfs_buf_name_list(&b, m->scen, m->nscen, 10);
            } else {
                wfs_buf_puts(&b, "; it has no scenario column");
            }
            int rc = wfs_fail(err, WFS_ENOTFOUND, "%s has no scenario \"%s\"%s", m->name,
                              opt->scenario, b.data ? b.data : "");
            wfs_buf_free(&b);
            return rc;
        }
    }
    size_t R = m->nroles, A = m->nbands, Y = opt->years;
    wfs_projection *p = calloc(1, sizeof *p);
    if (!p) return wfs_nomem(err);
    resolved rs;
    params pp;
    state st;
    double *v = NULL, *drvfac = NULL, *sim = NULL;
    gsl_rng *rng = NULL;
    int rc = resolve(&rs, m, scen, err);
    if (rc) {
        free(p);
        return rc;
    }
    if (params_init(&pp, R, A)) {
        resolved_free(&rs);
        free(p);
        return wfs_nomem(err);
    }
    if (state_init(&st, R, A, Y)) {
        params_free(&pp);
        resolved_free(&rs);
        free(p);
        return wfs_nomem(err);
    }
    p->R = R;
    p->A = A;
    p->Y = Y;
    p->has_bands = m->has_bands;
    p->base_year = rs.base_year;
    p->seed = opt->seed;
    p->scenario = scen >= 0 ? wfs_pool_strdup(&p->pool, m->scen[scen]) : NULL;
    p->roles = wfs_mallocarray(R, sizeof *p->roles);
    p->bands = wfs_mallocarray(A, sizeof *p->bands);
    v = wfs_mallocarray(rs.n ? rs.n : 1, sizeof *v);
    drvfac = wfs_mallocarray((Y + 1) * R, sizeof *drvfac);
    if (!p->roles || !p->bands || !v || !drvfac) goto nomem;
    for (size_t r = 0; r < R; r++) p->roles[r] = wfs_pool_strdup(&p->pool, m->roles[r]);
    for (size_t a = 0; a < A; a++) p->bands[a] = wfs_pool_strdup(&p->pool, m->bands[a]);
    if (p->pool.failed) goto nomem;
    for (size_t a = 0; a < A; a++)
        st.u[a] =
            a + 1 < A && m->band_hi[a] >= 0 ? 1.0 / (double)(m->band_hi[a] - m->band_lo[a] + 1) : 0;
    st.share = rs.share;

    /* The deterministic projection. */
    for (size_t k = 0; k < rs.n; k++) {
        v[k] = rs.rows[k]->value;
        p->nuncertain += rs.rows[k]->se > 0;
    }
    fill(&pp, &rs, v);
    if ((rc = check_params(m, &rs, &pp, scen, err))) goto fail;
    if ((rc = driver_factors(drvfac, m, &rs, &pp, Y, err))) goto fail;
    st.drvfac = drvfac;
    project(&st, &pp);
    if (!(st.idmax <= IDENTITY_TOL)) {
        rc = wfs_fail(err, WFS_EINVAL,
                      "%s: the stock identity fails (relative discrepancy %.3g): the parameters "
                      "are not finite or too large to project",
                      m->name, st.idmax);
        goto fail;
    }
    p->idmax = st.idmax;
    if (make_cells(p, &pp)) goto nomem;
    p->value = wfs_mallocarray(p->ncells, sizeof *p->value);
    if (!p->value) goto nomem;
    for (size_t c = 0; c < p->ncells; c++) p->value[c] = cell_value(&st, &p->cells[c]);
    for (size_t i = 0; i < m->nnotes; i++)
        if (warn(p, "%s", m->notes[i])) goto nomem;
    if (m->top_closed && warn(p, "the oldest age band %s is treated as open: nobody ages out of it",
                              m->bands[A - 1]))
        goto nomem;
    if (plausibility(p, &pp, &st)) goto nomem;

    /* Monte Carlo over the parameters with an se. */
    if (opt->sims) {
        size_t S = opt->sims;
        if (p->ncells > MAX_SIM_BYTES / sizeof(double) / S) {
            rc = wfs_fail(err, WFS_ELIMIT,
                          "sims=%zu over %zu years needs more than %zu MB for the percentiles; "
                          "use fewer simulations or years",
                          S, Y, MAX_SIM_BYTES >> 20);
            goto fail;
        }
        p->sims = S;
        sim = wfs_mallocarray(p->ncells * S, sizeof *sim);
        p->sd = wfs_mallocarray(p->ncells, sizeof *p->sd);
        p->p10 = wfs_mallocarray(p->ncells, sizeof *p->p10);
        p->p50 = wfs_mallocarray(p->ncells, sizeof *p->p50);
        p->p90 = wfs_mallocarray(p->ncells, sizeof *p->p90);
        rng = gsl_rng_alloc(gsl_rng_mt19937);
        if (!sim || !p->sd || !p->p10 || !p->p50 || !p->p90 || !rng) goto nomem;
        gsl_rng_set(rng, opt->seed);
        size_t capped = 0;
        const wfs_control *ctl = opt->control;
        for (size_t s = 0; s < S; s++) {
            if (wfs_interrupted(ctl)) {
                rc = wfs_fail(err, WFS_EINTR, "interrupted after %zu of %zu simulations", s, S);
                goto fail;
            }
            if (ctl && ctl->progress && s % 64 == 0)
                ctl->progress(ctl->user, (double)s / (double)S, "simulating");
            draw(v, &rs, rng);
            fill(&pp, &rs, v);
            capped += cap_draw(&pp) > 0;
            project(&st, &pp);
            for (size_t c = 0; c < p->ncells; c++) sim[c * S + s] = cell_value(&st, &p->cells[c]);
        }
        if (ctl && ctl->progress) ctl->progress(ctl->user, 1.0, "simulating");
        if (!(st.idmax <= IDENTITY_TOL)) {
            rc = wfs_fail(err, WFS_EINVAL,
                          "%s: the stock identity fails in a simulation (relative discrepancy "
                          "%.3g)",
                          m->name, st.idmax);
            goto fail;
        }
        p->idmax = st.idmax;
        for (size_t c = 0; c < p->ncells; c++) {
            double *x = sim + c * S;
            wfs_ksum k = {0, 0};
            for (size_t s = 0; s < S; s++) wfs_ksum_add(&k, x[s]);
            double mean = wfs_ksum_value(&k) / (double)S;
            wfs_ksum q = {0, 0};
            for (size_t s = 0; s < S; s++) wfs_ksum_add(&q, (x[s] - mean) * (x[s] - mean));
            p->sd[c] = sqrt(wfs_ksum_value(&q) / (double)(S - 1));
            p->p10[c] = quantile7(x, S, 0.1);
            p->p50[c] = quantile7(x, S, 0.5);
            p->p90[c] = quantile7(x, S, 0.9);
        }
        if (!p->nuncertain &&
            warn(p, "no parameter has an se: every simulation is the deterministic projection"))
            goto nomem;
        if (capped &&
            warn(p,
                 "in %zu of %zu simulations drawn rates out of a role and band (or its demand "
                 "shifts) added up to more than 1 and were scaled down to 1",
                 capped, S))
            goto nomem;
    }
    free(sim);
    gsl_rng_free(rng);
    free(v);
    free(drvfac);
    free(st.buf);
    params_free(&pp);
    resolved_free(&rs);
    *out = p;
    return 0;
nomem:
    rc = wfs_nomem(err);
fail:
    free(sim);
    if (rng) gsl_rng_free(rng);
    free(v);
    free(drvfac);
    free(st.buf);
    params_free(&pp);
    resolved_free(&rs);
    wfs_projection_free(p);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Access                                                              */
/* ------------------------------------------------------------------ */

int wfs_projection_get(wfs_proj_value *out, const wfs_projection *p, wfs_proj_stat stat,
                       size_t role, size_t band, size_t year)
{
    out->value = out->sd = out->p10 = out->p50 = out->p90 = NAN;
    if ((unsigned)stat >= WFS_PROJ_NSTATS || year > p->Y) return WFS_ENOTFOUND;
    size_t ri = role == WFS_PROJ_ALL ? p->R : role;
    size_t ai = band == WFS_PROJ_ALL || !p->has_bands ? p->A : band;
    if (ri > p->R || ai > p->A) return WFS_ENOTFOUND;
    long c = p->index[cell_slot(p, (int)stat, ri, ai, year)];
    if (c < 0) return WFS_ENOTFOUND;
    out->value = p->value[c];
    if (p->sims) {
        out->sd = p->sd[c];
        out->p10 = p->p10[c];
        out->p50 = p->p50[c];
        out->p90 = p->p90[c];
    }
    return 0;
}

size_t wfs_projection_years(const wfs_projection *p)
{
    return p->Y;
}
size_t wfs_projection_sims(const wfs_projection *p)
{
    return p->sims;
}
size_t wfs_projection_nwarnings(const wfs_projection *p)
{
    return p->nwarn;
}
const char *wfs_projection_warning(const wfs_projection *p, size_t i)
{
    return i < p->nwarn ? p->warn[i] : NULL;
}
double wfs_projection_identity_error(const wfs_projection *p)
{
    return p->idmax;
}

double wfs_projection_year(const wfs_projection *p, size_t t)
{
    return isnan(p->base_year) ? (double)t : p->base_year + (double)t;
}

int wfs_projection_result(wfs_result **out, const wfs_projection *p, const char *name,
                          const char *plot, wfs_error *err)
{
    *out = NULL;
    wfs_result *r;
    int rc = wfs_result_new(&r, "project", name, err);
    if (rc) return rc;
    wfs_result_set_layout(r, WFS_LAYOUT_PROJECTION);
    wfs_value v;
    int bad = 0;
    v = wfs_value_str(name);
    bad |= wfs_result_add_field(r, "model", &v);
    v = wfs_value_str(p->scenario ? p->scenario : "base");
    bad |= wfs_result_add_field(r, "scenario", &v);
    v = wfs_value_int((long long)p->Y);
    bad |= wfs_result_add_field(r, "years", &v);
    if (!isnan(p->base_year)) {
        v = wfs_value_int((long long)p->base_year);
        bad |= wfs_result_add_field(r, "base_year", &v);
    }
    v = wfs_value_int((long long)p->sims);
    bad |= wfs_result_add_field(r, "sims", &v);
    if (p->sims) {
        v = wfs_value_int((long long)p->seed);
        bad |= wfs_result_add_field(r, "seed", &v);
        v = wfs_value_int((long long)p->nuncertain);
        bad |= wfs_result_add_field(r, "uncertain_parameters", &v);
    }
    v = wfs_value_strlist(p->roles, p->R);
    bad |= wfs_result_add_field(r, "roles", &v);
    if (p->has_bands) {
        v = wfs_value_strlist(p->bands, p->A);
        bad |= wfs_result_add_field(r, "age_bands", &v);
    }
    if (plot) {
        v = wfs_value_str(plot);
        bad |= wfs_result_add_field(r, "plot", &v);
    }
    if (p->sims) {
        bad |= wfs_result_set_variance(r, "monte-carlo");
        wfs_result_set_ci_level(r, 0.8);
    }
    static const char *const band_key[] = {"age_band"};
    for (size_t c = 0; c < p->ncells && !bad; c++) {
        const cellid *ci = &p->cells[c];
        wfs_estimate e;
        wfs_estimate_init(&e);
        e.statistic = wfs_proj_stat_name((wfs_proj_stat)ci->stat);
        e.variable = ci->role >= 0 ? p->roles[ci->role] : "all";
        const char *bv[1];
        if (ci->band >= 0) {
            bv[0] = p->bands[ci->band];
            e.ndomain = 1;
            e.domain_keys = band_key;
            e.domain_values = bv;
        }
        e.year = wfs_projection_year(p, ci->year);
        e.estimate = p->value[c];
        if (p->sims) {
            e.se = p->sd[c];
            e.ci_lower = p->p10[c];
            e.ci_upper = p->p90[c];
            e.median = p->p50[c];
        }
        if (wfs_result_add_estimate(r, &e) < 0) bad = 1;
    }
    char line[256];
    bad |= wfs_result_add_footer(r, "stock identity checked for every role and year");
    if (p->sims) {
        snprintf(line, sizeof line,
                 "ranges: 10th to 90th percentile of %zu simulations (seed %lu) of the %zu "
                 "parameters with an se",
                 p->sims, p->seed, p->nuncertain);
        bad |= wfs_result_add_footer(r, line);
    }
    for (size_t i = 0; i < p->nwarn; i++) bad |= wfs_result_add_note(r, "%s", p->warn[i]);
    if (bad) {
        wfs_result_free(r);
        return wfs_nomem(err);
    }
    *out = r;
    return 0;
}
