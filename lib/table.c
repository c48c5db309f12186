/* table.c - columnar data: numeric, categorical and text columns.
 *
 * Numeric columns are contiguous doubles; a missing value is NaN and is also
 * marked in a byte mask (allocated only when something is missing).
 * Categorical columns are int32 codes with -1 for missing, into level labels
 * kept in strcmp order (R's factor order in the C locale), so every output
 * lists levels as R does. Text columns are NUL-terminated strings, NULL for
 * missing. Weights are not a concept here: the design module owns them.
 */
#include "config.h"

#include <stdio.h>
#include <sys/mman.h>

#include "wfs-private.h"

typedef struct column {
    char *name;
    wfs_coltype type;
    double *num;
    uint8_t *miss;
    int32_t *codes;
    char **levels;
    size_t nlevels;
    char **text;
    size_t nmissing;
    int mapped; /* num or codes lie in the table's mapping, not on the heap */
} column;

struct wfs_table {
    size_t nrows, ncols, cap;
    column *cols;
    char *source;
    wfs_strmap index; /* column name -> column, so finding a name costs O(1) */
    void *map;        /* a mapped snapshot holding column values, or NULL */
    size_t maplen;
};

int wfs_table_new(wfs_table **out, size_t nrows, wfs_error *err)
{
    *out = NULL;
    wfs_table *t = calloc(1, sizeof *t);
    if (!t) return wfs_nomem(err);
    t->nrows = nrows;
    *out = t;
    return 0;
}

static void column_free(column *c)
{
    free(c->name);
    if (!c->mapped) {
        free(c->num);
        free(c->codes);
    }
    free(c->miss);
    if (c->levels)
        for (size_t k = 0; k < c->nlevels; k++) free(c->levels[k]);
    free(c->levels);
    free(c->text);
}

void wfs_table_free(wfs_table *t)
{
    if (!t) return;
    for (size_t j = 0; j < t->ncols; j++) {
        column *c = &t->cols[j];
        if (c->type == WFS_TEXT && c->text)
            for (size_t i = 0; i < t->nrows; i++) free(c->text[i]);
        column_free(c);
    }
    free(t->cols);
    free(t->source);
    wfs_strmap_free(&t->index);
    if (t->map) munmap(t->map, t->maplen);
    free(t);
}

void wfs_table_hold_mapping(wfs_table *t, void *map, size_t len)
{
    t->map = map;
    t->maplen = len;
}

size_t wfs_table_nrows(const wfs_table *t) { return t->nrows; }
size_t wfs_table_ncols(const wfs_table *t) { return t->ncols; }
const char *wfs_table_source(const wfs_table *t) { return t->source; }

int wfs_table_set_source(wfs_table *t, const char *source)
{
    char *s = wfs_strdup(source);
    if (source && !s) return WFS_ENOMEM;
    free(t->source);
    t->source = s;
    return 0;
}

long wfs_table_find(const wfs_table *t, const char *name)
{
    size_t n = strlen(name);
    return wfs_strmap_get(&t->index, name, n, wfs_hash_bytes(name, n));
}

const char *wfs_table_name(const wfs_table *t, size_t col) { return t->cols[col].name; }
wfs_coltype wfs_table_type(const wfs_table *t, size_t col) { return t->cols[col].type; }
size_t wfs_table_nmissing(const wfs_table *t, size_t col) { return t->cols[col].nmissing; }

const double *wfs_table_numeric(const wfs_table *t, size_t col)
{
    return t->cols[col].type == WFS_NUMERIC ? t->cols[col].num : NULL;
}

const uint8_t *wfs_table_missing(const wfs_table *t, size_t col)
{
    return t->cols[col].miss;
}

const int32_t *wfs_table_codes(const wfs_table *t, size_t col)
{
    return t->cols[col].type == WFS_CATEGORICAL ? t->cols[col].codes : NULL;
}

size_t wfs_table_nlevels(const wfs_table *t, size_t col) { return t->cols[col].nlevels; }

const char *wfs_table_level(const wfs_table *t, size_t col, size_t level)
{
    const column *c = &t->cols[col];
    return level < c->nlevels ? c->levels[level] : NULL;
}

long wfs_table_level_code(const wfs_table *t, size_t col, const char *label)
{
    const column *c = &t->cols[col];
    /* Levels are sorted: binary search. */
    size_t lo = 0, hi = c->nlevels;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = wfs_level_cmp(c->levels[mid], label);
        if (r == 0) return (long)mid;
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

const char *const *wfs_table_text(const wfs_table *t, size_t col)
{
    return t->cols[col].type == WFS_TEXT ? (const char *const *)t->cols[col].text : NULL;
}

size_t wfs_table_bytes(const wfs_table *t)
{
    size_t b = 0;
    for (size_t j = 0; j < t->ncols; j++) {
        const column *c = &t->cols[j];
        if (c->num) b += t->nrows * sizeof(double);
        if (c->miss) b += t->nrows;
        if (c->codes) b += t->nrows * sizeof(int32_t);
        if (c->text) b += t->nrows * sizeof(char *);
    }
    return b;
}

/* Make the column that new_column reserved part of the table. On failure
 * the caller frees the column. */
static int commit_column(wfs_table *t, wfs_error *err)
{
    const char *name = t->cols[t->ncols].name;
    size_t n = strlen(name);
    if (t->ncols >= (size_t)INT32_MAX)
        return wfs_fail(err, WFS_ELIMIT, "a table holds at most %d columns", INT32_MAX);
    if (wfs_strmap_put(&t->index, name, n, wfs_hash_bytes(name, n), (int32_t)t->ncols))
        return wfs_nomem(err);
    t->ncols++;
    return 0;
}

/* Reserve a new column slot with a validated name. */
static column *new_column(wfs_table *t, const char *name, wfs_error *err)
{
    if (!name || !*name) {
        wfs_fail(err, WFS_EINVAL, "a column needs a non-empty name");
        return NULL;
    }
    if (wfs_table_find(t, name) >= 0) {
        wfs_fail(err, WFS_EINVAL, "a column named \"%s\" already exists", name);
        return NULL;
    }
    if (t->ncols == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        column *c = wfs_reallocarray(t->cols, cap, sizeof *c);
        if (!c) {
            wfs_nomem(err);
            return NULL;
        }
        t->cols = c;
        t->cap = cap;
    }
    column *c = &t->cols[t->ncols];
    memset(c, 0, sizeof *c);
    c->name = wfs_strdup(name);
    if (!c->name) {
        wfs_nomem(err);
        return NULL;
    }
    return c;
}

int wfs_table_attach(wfs_table *t, const char *name, wfs_coltype type, void *values, int mapped,
                     uint8_t *miss, size_t nmissing, char **levels, size_t nlevels,
                     wfs_error *err)
{
    column *c = new_column(t, name, err);
    int rc = c ? 0 : err ? err->code : WFS_EINVAL;
    if (c) {
        c->type = type;
        c->mapped = mapped;
        c->num = type == WFS_NUMERIC ? values : NULL;
        c->codes = type == WFS_CATEGORICAL ? values : NULL;
        c->text = type == WFS_TEXT ? values : NULL;
        c->miss = miss;
        c->nmissing = nmissing;
        c->levels = levels;
        c->nlevels = nlevels;
        if (!(rc = commit_column(t, err))) return 0;
    }
    /* Failed: free what was handed over. */
    if (type == WFS_TEXT && values)
        for (size_t i = 0; i < t->nrows; i++) free(((char **)values)[i]);
    if (c) {
        column_free(c); /* the arrays, levels and mask (not mapped values) */
    } else {
        if (levels) wfs_levels_free(levels, nlevels);
        free(miss);
        if (!mapped) free(values);
    }
    return rc;
}

int wfs_table_adopt_numeric(wfs_table *t, const char *name, double *values, uint8_t *miss,
                            wfs_error *err)
{
    column *c = new_column(t, name, err);
    if (!c) {
        free(values);
        free(miss);
        return err ? err->code : WFS_EINVAL;
    }
    c->type = WFS_NUMERIC;
    c->num = values;
    size_t nm = 0;
    for (size_t i = 0; i < t->nrows; i++) nm += isnan(values[i]) || (miss && miss[i]);
    if (nm && !miss) {
        miss = calloc(t->nrows ? t->nrows : 1, 1);
        if (!miss) {
            column_free(c);
            return wfs_nomem(err);
        }
    }
    if (nm) {
        for (size_t i = 0; i < t->nrows; i++) {
            if (isnan(values[i])) miss[i] = 1;
            if (miss[i]) values[i] = NAN;
        }
    } else {
        free(miss);
        miss = NULL;
    }
    c->miss = miss;
    c->nmissing = nm;
    int rc = commit_column(t, err);
    if (rc) column_free(c);
    return rc;
}

typedef struct level_sort {
    char *label;
    int32_t old;
} level_sort;

static int cmp_level_sort(const void *a, const void *b)
{
    return wfs_level_cmp(((const level_sort *)a)->label, ((const level_sort *)b)->label);
}

int wfs_table_adopt_categorical(wfs_table *t, const char *name, int32_t *codes, char **levels,
                                size_t nlevels, wfs_error *err)
{
    int rc = 0;
    level_sort *ls = NULL;
    int32_t *remap = NULL;
    column *c = new_column(t, name, err);
    if (!c) {
        rc = err ? err->code : WFS_EINVAL;
        goto fail;
    }
    if (nlevels > INT32_MAX) {
        rc = wfs_fail(err, WFS_ELIMIT, "column \"%s\" has too many levels", name);
        goto fail_col;
    }
    ls = wfs_mallocarray(nlevels, sizeof *ls);
    remap = wfs_mallocarray(nlevels, sizeof *remap);
    if (!ls || !remap) {
        rc = wfs_nomem(err);
        goto fail_col;
    }
    for (size_t k = 0; k < nlevels; k++) {
        ls[k].label = levels[k];
        ls[k].old = (int32_t)k;
    }
    qsort(ls, nlevels, sizeof *ls, cmp_level_sort);
    /* Check for duplicates before reordering levels, so that on failure
     * every label is still in levels exactly once and freed once. */
    for (size_t k = 1; k < nlevels; k++)
        if (wfs_level_cmp(ls[k - 1].label, ls[k].label) == 0) {
            rc = wfs_fail(err, WFS_EINVAL, "column \"%s\" lists level \"%s\" twice", name,
                          ls[k].label);
            goto fail_col;
        }
    for (size_t k = 0; k < nlevels; k++) {
        levels[k] = ls[k].label;
        remap[ls[k].old] = (int32_t)k;
    }
    size_t nm = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        int32_t v = codes[i];
        if (v < 0 || (size_t)v >= nlevels) {
            codes[i] = -1;
            nm++;
        } else {
            codes[i] = remap[v];
        }
    }
    free(ls);
    free(remap);
    c->type = WFS_CATEGORICAL;
    c->codes = codes;
    c->levels = levels;
    c->nlevels = nlevels;
    c->nmissing = nm;
    if (nm) {
        c->miss = malloc(t->nrows);
        if (!c->miss) {
            c->codes = NULL;
            c->levels = NULL;
            rc = wfs_nomem(err);
            goto fail_col;
        }
        for (size_t i = 0; i < t->nrows; i++) c->miss[i] = codes[i] < 0;
    }
    if ((rc = commit_column(t, err))) column_free(c);
    return rc;
fail_col:
    column_free(c);
fail:
    free(ls);
    free(remap);
    free(codes);
    if (levels)
        for (size_t k = 0; k < nlevels; k++) free(levels[k]);
    free(levels);
    return rc;
}

int wfs_table_adopt_text(wfs_table *t, const char *name, char **values, wfs_error *err)
{
    column *c = new_column(t, name, err);
    if (!c) {
        for (size_t i = 0; i < t->nrows; i++) free(values[i]);
        free(values);
        return err ? err->code : WFS_EINVAL;
    }
    c->type = WFS_TEXT;
    c->text = values;
    for (size_t i = 0; i < t->nrows; i++) c->nmissing += values[i] == NULL;
    if (c->nmissing) {
        c->miss = malloc(t->nrows);
        if (!c->miss) {
            c->text = NULL;
            column_free(c);
            for (size_t i = 0; i < t->nrows; i++) free(values[i]);
            free(values);
            return wfs_nomem(err);
        }
        for (size_t i = 0; i < t->nrows; i++) c->miss[i] = values[i] == NULL;
    }
    int rc = commit_column(t, err);
    if (rc) {
        for (size_t i = 0; i < t->nrows; i++) free(values[i]);
        column_free(c);
    }
    return rc;
}

int wfs_table_add_numeric(wfs_table *t, const char *name, const double *values,
                          const uint8_t *missing, wfs_error *err)
{
    double *v = wfs_mallocarray(t->nrows, sizeof *v);
    uint8_t *m = missing ? malloc(t->nrows ? t->nrows : 1) : NULL;
    if (!v || (missing && !m)) {
        free(v);
        free(m);
        return wfs_nomem(err);
    }
    if (t->nrows) memcpy(v, values, t->nrows * sizeof *v);
    if (m && t->nrows) memcpy(m, missing, t->nrows);
    return wfs_table_adopt_numeric(t, name, v, m, err);
}

int wfs_table_add_categorical(wfs_table *t, const char *name, const int32_t *codes,
                              const char *const *levels, size_t nlevels, wfs_error *err)
{
    int32_t *c = wfs_mallocarray(t->nrows, sizeof *c);
    char **l = wfs_callocarray(nlevels, sizeof *l);
    if (!c || !l) {
        free(c);
        free(l);
        return wfs_nomem(err);
    }
    if (t->nrows) memcpy(c, codes, t->nrows * sizeof *c);
    for (size_t k = 0; k < nlevels; k++) {
        l[k] = wfs_strdup(levels[k]);
        if (!l[k]) {
            for (size_t q = 0; q < k; q++) free(l[q]);
            free(l);
            free(c);
            return wfs_nomem(err);
        }
    }
    return wfs_table_adopt_categorical(t, name, c, l, nlevels, err);
}

int wfs_table_add_strings(wfs_table *t, const char *name, const char *const *values,
                          wfs_error *err)
{
    wfs_strmap map = WFS_STRMAP_INIT;
    int32_t *codes = wfs_mallocarray(t->nrows, sizeof *codes);
    char **levels = NULL;
    size_t nlevels = 0, cap = 0;
    if (!codes) return wfs_nomem(err);
    for (size_t i = 0; i < t->nrows; i++) {
        if (!values[i]) {
            codes[i] = -1;
            continue;
        }
        size_t n = strlen(values[i]);
        uint64_t h = wfs_hash_bytes(values[i], n);
        int32_t code = wfs_strmap_get(&map, values[i], n, h);
        if (code < 0) {
            if (nlevels == cap) {
                cap = cap ? cap * 2 : 16;
                char **nl = wfs_reallocarray(levels, cap, sizeof *nl);
                if (!nl) goto nomem;
                levels = nl;
            }
            levels[nlevels] = wfs_strdup(values[i]);
            if (!levels[nlevels]) goto nomem;
            code = (int32_t)nlevels++;
            if (wfs_strmap_put(&map, levels[code], n, h, code)) goto nomem;
        }
        codes[i] = code;
    }
    wfs_strmap_free(&map);
    return wfs_table_adopt_categorical(t, name, codes, levels, nlevels, err);
nomem:
    wfs_strmap_free(&map);
    for (size_t k = 0; k < nlevels; k++) free(levels[k]);
    free(levels);
    free(codes);
    return wfs_nomem(err);
}

int wfs_table_add_text(wfs_table *t, const char *name, const char *const *values,
                       wfs_error *err)
{
    char **v = wfs_callocarray(t->nrows, sizeof *v);
    if (!v) return wfs_nomem(err);
    for (size_t i = 0; i < t->nrows; i++) {
        if (values[i] && !(v[i] = wfs_strdup(values[i]))) {
            for (size_t q = 0; q < i; q++) free(v[q]);
            free(v);
            return wfs_nomem(err);
        }
    }
    return wfs_table_adopt_text(t, name, v, err);
}

int wfs_table_set_numeric(wfs_table *t, size_t col, const double *values, wfs_error *err)
{
    if (col >= t->ncols || t->cols[col].type != WFS_NUMERIC)
        return wfs_fail(err, WFS_ETYPE, "column %zu is not numeric", col);
    column *c = &t->cols[col];
    size_t nm = 0;
    for (size_t i = 0; i < t->nrows; i++) nm += isnan(values[i]);
    uint8_t *m = NULL;
    if (nm && !(m = malloc(t->nrows))) return wfs_nomem(err);
    memcpy(c->num, values, t->nrows * sizeof *values);
    for (size_t i = 0; m && i < t->nrows; i++) m[i] = isnan(values[i]);
    free(c->miss);
    c->miss = m;
    c->nmissing = nm;
    return 0;
}

void wfs_number_label(char *buf, double x)
{
    wfs_format_double(buf, x, 0);
}

void wfs_levels_free(char **levels, size_t nlevels)
{
    if (!levels) return;
    for (size_t k = 0; k < nlevels; k++) free(levels[k]);
    free(levels);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Distinct values of a numeric column, found with a hash on the bit
 * pattern so the cost is linear in the rows. */
int wfs_table_group_codes(int32_t *codes, char ***levels, size_t *nlevels, const wfs_table *t,
                          size_t col, wfs_error *err)
{
    *levels = NULL;
    *nlevels = 0;
    const column *c = &t->cols[col];
    size_t n = t->nrows;
    if (c->type == WFS_TEXT)
        return wfs_fail(err, WFS_ETYPE, "variable \"%s\" is free text and cannot classify rows",
                        c->name);
    if (c->type == WFS_CATEGORICAL) {
        char **l = wfs_callocarray(c->nlevels, sizeof *l);
        if (!l) return wfs_nomem(err);
        for (size_t k = 0; k < c->nlevels; k++)
            if (!(l[k] = wfs_strdup(c->levels[k]))) {
                wfs_levels_free(l, k);
                return wfs_nomem(err);
            }
        if (n) memcpy(codes, c->codes, n * sizeof *codes);
        *levels = l;
        *nlevels = c->nlevels;
        return 0;
    }
    /* Numeric: open-addressing set of distinct values. */
    size_t cap = 64, count = 0;
    uint64_t *keys = NULL;
    int32_t *vals = NULL;
    double *distinct = NULL;
    int rc = 0;
    keys = calloc(cap, sizeof *keys);
    vals = malloc(cap * sizeof *vals);
    if (!keys || !vals) goto nomem;
    for (size_t i = 0; i < n; i++) {
        double x = c->num[i];
        if (isnan(x)) {
            codes[i] = -1;
            continue;
        }
        if (x == 0) x = 0; /* -0 and 0 are one level */
        uint64_t bits;
        memcpy(&bits, &x, sizeof bits);
        uint64_t key = bits + 1; /* 0 marks an empty slot; no double has all bits set + 1 == 0 here */
        uint64_t h = key * 0x9e3779b97f4a7c15ull;
        size_t slot = (size_t)(h >> 7) & (cap - 1);
        while (keys[slot] && keys[slot] != key) slot = (slot + 1) & (cap - 1);
        if (!keys[slot]) {
            if (count >= (size_t)INT32_MAX) {
                rc = wfs_fail(err, WFS_ELIMIT, "variable \"%s\" has too many distinct values",
                              c->name);
                goto out;
            }
            keys[slot] = key;
            vals[slot] = (int32_t)count++;
            if (count * 4 > cap * 3) {
                /* Grow and rehash. */
                size_t ncap = cap * 2;
                uint64_t *nk = calloc(ncap, sizeof *nk);
                int32_t *nv = malloc(ncap * sizeof *nv);
                if (!nk || !nv) {
                    free(nk);
                    free(nv);
                    goto nomem;
                }
                for (size_t s = 0; s < cap; s++) {
                    if (!keys[s]) continue;
                    uint64_t hh = keys[s] * 0x9e3779b97f4a7c15ull;
                    size_t q = (size_t)(hh >> 7) & (ncap - 1);
                    while (nk[q]) q = (q + 1) & (ncap - 1);
                    nk[q] = keys[s];
                    nv[q] = vals[s];
                }
                free(keys);
                free(vals);
                keys = nk;
                vals = nv;
                cap = ncap;
                slot = (size_t)(h >> 7) & (cap - 1);
                while (keys[slot] != key) slot = (slot + 1) & (cap - 1);
            }
        }
        codes[i] = vals[slot];
    }
    /* Sort distinct values and build the provisional -> sorted remap. */
    distinct = wfs_mallocarray(count, sizeof *distinct);
    int32_t *remap = wfs_mallocarray(count, sizeof *remap);
    char **l = wfs_callocarray(count, sizeof *l);
    if (!distinct || !remap || !l) {
        free(remap);
        free(l);
        goto nomem;
    }
    for (size_t s = 0; s < cap; s++) {
        if (!keys[s]) continue;
        uint64_t bits = keys[s] - 1;
        memcpy(&distinct[vals[s]], &bits, sizeof bits);
    }
    /* Sort values together with their provisional codes. */
    double *sorted = wfs_mallocarray(count, sizeof *sorted);
    if (!sorted) {
        free(remap);
        free(l);
        goto nomem;
    }
    memcpy(sorted, distinct, count * sizeof *sorted);
    qsort(sorted, count, sizeof *sorted, cmp_double);
    for (size_t s = 0; s < cap; s++) {
        if (!keys[s]) continue;
        double v = distinct[vals[s]];
        size_t lo = 0, hi = count;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (sorted[mid] < v)
                lo = mid + 1;
            else
                hi = mid;
        }
        remap[vals[s]] = (int32_t)lo;
    }
    for (size_t k = 0; k < count; k++) {
        char lab[32];
        wfs_number_label(lab, sorted[k]);
        if (!(l[k] = wfs_strdup(lab))) {
            wfs_levels_free(l, k);
            free(remap);
            free(sorted);
            goto nomem;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (codes[i] >= 0) codes[i] = remap[codes[i]];
    free(remap);
    free(sorted);
    *levels = l;
    *nlevels = count;
    goto out;
nomem:
    rc = wfs_nomem(err);
out:
    free(keys);
    free(vals);
    free(distinct);
    return rc;
}
