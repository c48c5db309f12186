/* result.c - the one output object of every analysis.
 *
 * A result holds labelled estimates at full precision, test statistics,
 * notes, top-level fields, record tables (for describe, list, weights) and
 * footer lines. Computation fills results; renderers turn them into bytes.
 * All strings are copied into a pool owned by the result.
 */
#include "config.h"

#include <stdio.h>

#include "wfs-private.h"

typedef struct records {
    const char *name;
    size_t ncols;
    const char *const *colnames;
    wfs_value *cells; /* nrows * ncols */
    size_t nrows, cap;
} records;

struct wfs_result {
    wfs_pool pool;
    const char *command, *dataset, *variance;
    wfs_layout layout;
    double ci_level;
    wfs_estimate *est;
    size_t nest, capest;
    wfs_test *tests;
    size_t ntests, captests;
    const char **notes;
    size_t nnotes, capnotes;
    const char **footers;
    size_t nfooters, capfooters;
    const char **fkeys;
    wfs_value *fvals;
    size_t nfields, capfields;
    records *recs;
    size_t nrecs, caprecs;
    int failed;
};

/* Grow a dynamic array of elements of size sz. */
static int grow(void **arr, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap * 2 : 8;
    while (c < need) c *= 2;
    void *p = wfs_reallocarray(*arr, c, sz);
    if (!p) return WFS_ENOMEM;
    *arr = p;
    *cap = c;
    return 0;
}

int wfs_result_new(wfs_result **out, const char *command, const char *dataset, wfs_error *err)
{
    *out = NULL;
    wfs_result *r = calloc(1, sizeof *r);
    if (!r) return wfs_nomem(err);
    r->ci_level = NAN;
    r->command = wfs_pool_strdup(&r->pool, command ? command : "");
    r->dataset = wfs_pool_strdup(&r->pool, dataset);
    if (r->pool.failed) {
        wfs_result_free(r);
        return wfs_nomem(err);
    }
    *out = r;
    return 0;
}

void wfs_result_free(wfs_result *r)
{
    if (!r) return;
    for (size_t k = 0; k < r->nrecs; k++) free(r->recs[k].cells);
    free(r->recs);
    free(r->est);
    free(r->tests);
    free(r->notes);
    free(r->footers);
    free(r->fkeys);
    free(r->fvals);
    wfs_pool_free(&r->pool);
    free(r);
}

const char *wfs_result_command(const wfs_result *r) { return r->command; }
const char *wfs_result_dataset(const wfs_result *r) { return r->dataset; }
const char *wfs_result_variance(const wfs_result *r) { return r->variance; }
wfs_layout wfs_result_layout(const wfs_result *r) { return r->layout; }
void wfs_result_set_layout(wfs_result *r, wfs_layout layout) { r->layout = layout; }
double wfs_result_ci_level(const wfs_result *r) { return r->ci_level; }
void wfs_result_set_ci_level(wfs_result *r, double level) { r->ci_level = level; }

int wfs_result_set_variance(wfs_result *r, const char *variance)
{
    r->variance = wfs_pool_strdup(&r->pool, variance);
    return variance && !r->variance ? WFS_ENOMEM : 0;
}

void wfs_estimate_init(wfs_estimate *e)
{
    memset(e, 0, sizeof *e);
    e->p = e->estimate = e->se = e->ci_lower = e->ci_upper = NAN;
    e->df = e->deff = e->n_eff = e->n = e->n_weighted = e->p_value = e->year = NAN;
    e->median = NAN;
}

static const char *const *copy_strs(wfs_pool *pool, const char *const *src, size_t n)
{
    if (!n) return NULL;
    const char **d = wfs_pool_alloc(pool, n * sizeof *d);
    if (!d) return NULL;
    for (size_t i = 0; i < n; i++) d[i] = wfs_pool_strdup(pool, src[i]);
    return d;
}

long wfs_result_add_estimate(wfs_result *r, const wfs_estimate *e)
{
    if (grow((void **)&r->est, &r->capest, r->nest + 1, sizeof *r->est)) return WFS_ENOMEM;
    wfs_estimate *d = &r->est[r->nest];
    *d = *e;
    d->statistic = wfs_pool_strdup(&r->pool, e->statistic);
    d->variable = wfs_pool_strdup(&r->pool, e->variable);
    d->level = wfs_pool_strdup(&r->pool, e->level);
    d->domain_keys = copy_strs(&r->pool, e->domain_keys, e->ndomain);
    d->domain_values = copy_strs(&r->pool, e->domain_values, e->ndomain);
    d->reference_keys = copy_strs(&r->pool, e->reference_keys, e->nreference);
    d->reference_values = copy_strs(&r->pool, e->reference_values, e->nreference);
    if (r->pool.failed) return WFS_ENOMEM;
    return (long)r->nest++;
}

size_t wfs_result_nestimates(const wfs_result *r) { return r->nest; }
const wfs_estimate *wfs_result_estimate(const wfs_result *r, size_t i) { return &r->est[i]; }
wfs_estimate *wfs_result_estimate_mut(wfs_result *r, size_t i) { return &r->est[i]; }

int wfs_result_add_test(wfs_result *r, const wfs_test *t)
{
    if (grow((void **)&r->tests, &r->captests, r->ntests + 1, sizeof *r->tests)) return WFS_ENOMEM;
    wfs_test *d = &r->tests[r->ntests];
    *d = *t;
    d->name = wfs_pool_strdup(&r->pool, t->name);
    if (r->pool.failed) return WFS_ENOMEM;
    r->ntests++;
    return 0;
}

size_t wfs_result_ntests(const wfs_result *r) { return r->ntests; }
const wfs_test *wfs_result_test(const wfs_result *r, size_t i) { return &r->tests[i]; }

static int add_line(wfs_result *r, const char ***arr, size_t *n, size_t *cap, const char *s)
{
    if (grow((void **)arr, cap, *n + 1, sizeof **arr)) return WFS_ENOMEM;
    const char *d = wfs_pool_strdup(&r->pool, s);
    if (!d) return WFS_ENOMEM;
    (*arr)[(*n)++] = d;
    return 0;
}

int wfs_result_add_note(wfs_result *r, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* The same note twice says nothing new. */
    for (size_t i = 0; i < r->nnotes; i++)
        if (strcmp(r->notes[i], buf) == 0) return 0;
    return add_line(r, &r->notes, &r->nnotes, &r->capnotes, buf);
}

size_t wfs_result_nnotes(const wfs_result *r) { return r->nnotes; }
const char *wfs_result_note(const wfs_result *r, size_t i) { return r->notes[i]; }

int wfs_result_add_footer(wfs_result *r, const char *line)
{
    return add_line(r, &r->footers, &r->nfooters, &r->capfooters, line);
}

size_t wfs_result_nfooters(const wfs_result *r) { return r->nfooters; }
const char *wfs_result_footer(const wfs_result *r, size_t i) { return r->footers[i]; }

static wfs_value copy_value(wfs_pool *pool, const wfs_value *v)
{
    wfs_value d = *v;
    if (v->type == WFS_V_STR) d.s = wfs_pool_strdup(pool, v->s);
    if (v->type == WFS_V_STRLIST) d.list = copy_strs(pool, v->list, v->nlist);
    return d;
}

int wfs_result_add_field(wfs_result *r, const char *key, const wfs_value *v)
{
    if (grow((void **)&r->fkeys, &r->capfields, r->nfields + 1, sizeof *r->fkeys)) return WFS_ENOMEM;
    size_t cap = r->capfields;
    wfs_value *nv = wfs_reallocarray(r->fvals, cap, sizeof *nv);
    if (!nv) return WFS_ENOMEM;
    r->fvals = nv;
    r->fkeys[r->nfields] = wfs_pool_strdup(&r->pool, key);
    r->fvals[r->nfields] = copy_value(&r->pool, v);
    if (r->pool.failed) return WFS_ENOMEM;
    r->nfields++;
    return 0;
}

size_t wfs_result_nfields(const wfs_result *r) { return r->nfields; }
const char *wfs_result_field_key(const wfs_result *r, size_t i) { return r->fkeys[i]; }
const wfs_value *wfs_result_field_value(const wfs_result *r, size_t i) { return &r->fvals[i]; }

long wfs_result_add_records(wfs_result *r, const char *name, size_t ncols,
                            const char *const *colnames)
{
    if (grow((void **)&r->recs, &r->caprecs, r->nrecs + 1, sizeof *r->recs)) return WFS_ENOMEM;
    records *rc = &r->recs[r->nrecs];
    memset(rc, 0, sizeof *rc);
    rc->name = wfs_pool_strdup(&r->pool, name);
    rc->ncols = ncols;
    rc->colnames = copy_strs(&r->pool, colnames, ncols);
    if (r->pool.failed) return WFS_ENOMEM;
    return (long)r->nrecs++;
}

int wfs_result_add_record(wfs_result *r, size_t table, const wfs_value *cells)
{
    records *rc = &r->recs[table];
    if (grow((void **)&rc->cells, &rc->cap, (rc->nrows + 1) * rc->ncols, sizeof *rc->cells))
        return WFS_ENOMEM;
    for (size_t j = 0; j < rc->ncols; j++)
        rc->cells[rc->nrows * rc->ncols + j] = copy_value(&r->pool, &cells[j]);
    if (r->pool.failed) return WFS_ENOMEM;
    rc->nrows++;
    return 0;
}

size_t wfs_result_nrecords_tables(const wfs_result *r) { return r->nrecs; }
const char *wfs_result_records_name(const wfs_result *r, size_t t) { return r->recs[t].name; }
size_t wfs_result_records_ncols(const wfs_result *r, size_t t) { return r->recs[t].ncols; }
size_t wfs_result_records_nrows(const wfs_result *r, size_t t) { return r->recs[t].nrows; }

const char *wfs_result_records_colname(const wfs_result *r, size_t t, size_t col)
{
    return r->recs[t].colnames[col];
}

const wfs_value *wfs_result_records_cell(const wfs_result *r, size_t t, size_t row, size_t col)
{
    return &r->recs[t].cells[row * r->recs[t].ncols + col];
}

wfs_value wfs_value_num(double x)
{
    wfs_value v = {WFS_V_NUM, x, 0, NULL, NULL, 0};
    return v;
}

wfs_value wfs_value_int(long long i)
{
    wfs_value v = {WFS_V_INT, 0, i, NULL, NULL, 0};
    return v;
}

wfs_value wfs_value_str(const char *s)
{
    wfs_value v = {s ? WFS_V_STR : WFS_V_NULL, 0, 0, s, NULL, 0};
    return v;
}

wfs_value wfs_value_bool(int b)
{
    wfs_value v = {WFS_V_BOOL, 0, b != 0, NULL, NULL, 0};
    return v;
}

wfs_value wfs_value_null(void)
{
    wfs_value v = {WFS_V_NULL, 0, 0, NULL, NULL, 0};
    return v;
}

wfs_value wfs_value_strlist(const char *const *list, size_t n)
{
    wfs_value v = {WFS_V_STRLIST, 0, 0, NULL, list, n};
    return v;
}

const char *wfs_flag_name(unsigned flag)
{
    switch (flag) {
    case WFS_FLAG_SUPPRESSED: return "suppressed";
    case WFS_FLAG_SUPPRESSED_COMP: return "suppressed-complementary";
    case WFS_FLAG_UNRELIABLE: return "unreliable";
    case WFS_FLAG_SMALL_DF: return "small-df";
    case WFS_FLAG_LONELY: return "lonely-psu-adjusted";
    case WFS_FLAG_SMALL_N: return "small-effective-n";
    case WFS_FLAG_WIDE_CI: return "wide-ci";
    case WFS_FLAG_ZERO_VAR: return "zero-variance";
    default: return "unknown";
    }
}
