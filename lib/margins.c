/* margins.c - population totals for weighting, and their binding to data.
 *
 * Margins come from the command line or a CSV file (long form: variable,
 * level, total; wide form: one column per crossed variable and a total).
 * Binding a margin to a design maps every sampled row to its cell and
 * checks the request against the data before any weight changes: a level
 * that is not in the data, a sampled level without a total, a total
 * without sampled rows, zero or negative totals, and missing values in a
 * weighting variable are all errors naming the variable and level.
 *
 * Rows with a zero weight are outside the sample: they need no level and
 * belong to no cell.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>

#include "weighting-private.h"

/* ------------------------------------------------------------------ */
/* Building margins                                                    */
/* ------------------------------------------------------------------ */

int wfs_margins_new(wfs_margins **out, wfs_error *err)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : wfs_nomem(err);
}

static void margin_free(wfs_margin *g)
{
    for (size_t k = 0; k < g->nvars; k++) free(g->vars[k]);
    free(g->vars);
    free(g->name);
    for (size_t c = 0; c < g->ncells * g->nvars; c++) free(g->labels[c]);
    free(g->labels);
    free(g->total);
    free(g->line);
}

void wfs_margins_free(wfs_margins *m)
{
    if (!m) return;
    for (size_t k = 0; k < m->n; k++) margin_free(&m->m[k]);
    free(m->m);
    for (size_t k = 0; k < m->nsources; k++) free(m->sources[k]);
    free(m->sources);
    free(m);
}

size_t wfs_margins_count(const wfs_margins *m)
{
    return m->n;
}
const char *wfs_margins_name(const wfs_margins *m, size_t k)
{
    return k < m->n ? m->m[k].name : NULL;
}

/* The margin over exactly these variables, or a new one. */
static int find_margin(wfs_margin **out, wfs_margins *m, const char *const *vars, size_t nvars,
                       int numeric, const char *source, wfs_error *err)
{
    *out = NULL;
    if (nvars == 0 || nvars > 8)
        return wfs_fail(err, WFS_EINVAL, "a margin crosses between 1 and 8 variables");
    for (size_t k = 0; k < nvars; k++) {
        if (!vars[k] || !*vars[k])
            return wfs_fail(err, WFS_EINVAL, "a margin needs a variable name");
        for (size_t j = 0; j < k; j++)
            if (strcmp(vars[j], vars[k]) == 0)
                return wfs_fail(err, WFS_EINVAL, "variable \"%s\" is crossed with itself", vars[k]);
    }
    for (size_t j = 0; j < m->n; j++) {
        wfs_margin *g = &m->m[j];
        int same = g->nvars == nvars;
        for (size_t k = 0; same && k < nvars; k++) same = strcmp(g->vars[k], vars[k]) == 0;
        if (same) {
            if (g->numeric != numeric)
                return wfs_fail(err, WFS_EINVAL,
                                "variable \"%s\" is given both a numeric total and totals by level",
                                vars[0]);
            if (numeric)
                return wfs_fail(err, WFS_EINVAL, "the total of \"%s\" is given twice", vars[0]);
            *out = g;
            return 0;
        }
        /* A variable may appear in one margin only. */
        for (size_t a = 0; a < g->nvars; a++)
            for (size_t k = 0; k < nvars; k++)
                if (strcmp(g->vars[a], vars[k]) == 0)
                    return wfs_fail(err, WFS_EINVAL,
                                    "variable \"%s\" appears in two margins (%s and another); "
                                    "give each variable one margin",
                                    vars[k], g->name);
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 4;
        wfs_margin *p = wfs_reallocarray(m->m, cap, sizeof *p);
        if (!p) return wfs_nomem(err);
        m->m = p;
        m->cap = cap;
    }
    wfs_margin *g = &m->m[m->n];
    memset(g, 0, sizeof *g);
    g->vars = calloc(nvars, sizeof *g->vars);
    wfs_buf name = WFS_BUF_INIT;
    if (!g->vars) return wfs_nomem(err);
    g->nvars = nvars;
    for (size_t k = 0; k < nvars; k++) {
        if (!(g->vars[k] = wfs_strdup(vars[k]))) {
            margin_free(g);
            return wfs_nomem(err);
        }
        if (k) wfs_buf_putc(&name, '*');
        wfs_buf_puts(&name, vars[k]);
    }
    g->name = wfs_buf_take(&name, NULL);
    if (!g->name) {
        margin_free(g);
        return wfs_nomem(err);
    }
    g->numeric = numeric;
    g->source = source;
    m->n++;
    *out = g;
    return 0;
}

static int add_cell(wfs_margins *m, const char *const *vars, const char *const *levels,
                    size_t nvars, double total, int numeric, const char *source, size_t line,
                    wfs_error *err)
{
    char where[600] = "";
    if (source && line) snprintf(where, sizeof where, "%s:%zu: ", source, line);
    if (!isfinite(total))
        return wfs_fail(err, WFS_EINVAL, "%sthe total for %s is not a finite number", where,
                        vars[0]);
    if (!numeric && total < 0)
        return wfs_fail(err, WFS_EINVAL,
                        "%snegative population total %g for level \"%s\" of %s; totals must be "
                        "positive",
                        where, total, levels[0], vars[0]);
    wfs_margin *g;
    int rc = find_margin(&g, m, vars, nvars, numeric, source, err);
    if (rc) return rc;
    if (!numeric) {
        for (size_t k = 0; k < nvars; k++)
            if (!levels[k])
                return wfs_fail(err, WFS_EINVAL, "%sa level of %s is missing", where, vars[k]);
        for (size_t c = 0; c < g->ncells; c++) {
            int same = 1;
            for (size_t k = 0; same && k < nvars; k++)
                same = strcmp(g->labels[c * nvars + k], levels[k]) == 0;
            if (same) {
                if (nvars == 1)
                    return wfs_fail(err, WFS_EINVAL, "%slevel \"%s\" of %s is given twice", where,
                                    levels[0], vars[0]);
                return wfs_fail(err, WFS_EINVAL, "%sa cell of %s is given twice", where, g->name);
            }
        }
    }
    if (g->ncells == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 8;
        char **l = wfs_reallocarray(g->labels, cap * nvars, sizeof *l);
        if (l) g->labels = l;
        double *t = wfs_reallocarray(g->total, cap, sizeof *t);
        if (t) g->total = t;
        size_t *ln = wfs_reallocarray(g->line, cap, sizeof *ln);
        if (ln) g->line = ln;
        if (!l || !t || !ln) return wfs_nomem(err);
        g->cap = cap;
    }
    size_t c = g->ncells;
    for (size_t k = 0; k < nvars; k++) {
        g->labels[c * nvars + k] = wfs_strdup(numeric ? "" : levels[k]);
        if (!g->labels[c * nvars + k]) {
            for (size_t j = 0; j < k; j++) free(g->labels[c * nvars + j]);
            return wfs_nomem(err);
        }
    }
    g->total[c] = total;
    g->line[c] = line;
    g->ncells++;
    return 0;
}

int wfs_margins_add_cell(wfs_margins *m, const char *const *vars, const char *const *levels,
                         size_t nvars, double total, wfs_error *err)
{
    return add_cell(m, vars, levels, nvars, total, 0, NULL, 0, err);
}

int wfs_margins_add(wfs_margins *m, const char *var, const char *level, double total,
                    wfs_error *err)
{
    return add_cell(m, &var, &level, 1, total, 0, NULL, 0, err);
}

int wfs_margins_add_numeric(wfs_margins *m, const char *var, double total, wfs_error *err)
{
    const char *none = NULL;
    return add_cell(m, &var, &none, 1, total, 1, NULL, 0, err);
}

int wfs_margins_copy(wfs_margins **out, const wfs_margins *src, wfs_error *err)
{
    wfs_margins *m;
    int rc = wfs_margins_new(&m, err);
    if (rc) return rc;
    for (size_t j = 0; j < src->n && !rc; j++) {
        const wfs_margin *g = &src->m[j];
        for (size_t c = 0; c < g->ncells && !rc; c++)
            rc = add_cell(m, (const char *const *)g->vars,
                          (const char *const *)g->labels + c * g->nvars, g->nvars, g->total[c],
                          g->numeric, NULL, 0, err);
    }
    if (rc) {
        wfs_margins_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Margins from CSV                                                    */
/* ------------------------------------------------------------------ */

static long find_ci(const wfs_table *t, const char *name)
{
    for (size_t j = 0; j < wfs_table_ncols(t); j++) {
        const char *a = wfs_table_name(t, j), *b = name;
        while (*a && *b && tolower((unsigned char)*a) == tolower((unsigned char)*b)) a++, b++;
        if (!*a && !*b) return (long)j;
    }
    return -1;
}

/* The text of a cell of column col, row i ("" when missing: *missing set). */
static const char *cell_text(char *buf, const wfs_table *t, size_t col, size_t i, int *missing)
{
    *missing = 0;
    switch (wfs_table_type(t, col)) {
    case WFS_NUMERIC: {
        double x = wfs_table_numeric(t, col)[i];
        if (isnan(x)) {
            *missing = 1;
            return "";
        }
        wfs_number_label(buf, x);
        return buf;
    }
    case WFS_CATEGORICAL: {
        int32_t c = wfs_table_codes(t, col)[i];
        if (c < 0) {
            *missing = 1;
            return "";
        }
        return wfs_table_level(t, col, (size_t)c);
    }
    default: {
        const char *s = wfs_table_text(t, col)[i];
        if (!s) *missing = 1;
        return s ? s : "";
    }
    }
}

int wfs_margins_read_csv(wfs_margins *m, const char *path, const char *const *vars, size_t nvars,
                         wfs_error *err)
{
    wfs_table *t;
    wfs_csv_options co = WFS_CSV_OPTIONS_INIT;
    int rc = wfs_csv_read(&t, path, &co, err);
    if (rc) return rc;
    char **srcs = wfs_reallocarray(m->sources, m->nsources + 1, sizeof *srcs);
    if (!srcs) {
        wfs_table_free(t);
        return wfs_nomem(err);
    }
    m->sources = srcs;
    if (!(m->sources[m->nsources] = wfs_strdup(path))) {
        wfs_table_free(t);
        return wfs_nomem(err);
    }
    const char *src = m->sources[m->nsources++];
    size_t n = wfs_table_nrows(t);
    long cv = find_ci(t, "variable"), cl = find_ci(t, "level"), ct = find_ci(t, "total");
    if (ct < 0) ct = find_ci(t, "Freq");
    if (ct < 0) {
        wfs_table_free(t);
        return wfs_fail(err, WFS_EPARSE,
                        "%s: margins need a column \"total\" (with \"variable\" and \"level\", or "
                        "one column per variable)",
                        path);
    }
    if (wfs_table_type(t, (size_t)ct) != WFS_NUMERIC) {
        /* The message names the column, so the table is freed after it. */
        wfs_fail(err, WFS_EPARSE, "%s: column \"%s\" must hold numbers", path,
                 wfs_table_name(t, (size_t)ct));
        wfs_table_free(t);
        return WFS_EPARSE;
    }
    const double *tot = wfs_table_numeric(t, (size_t)ct);
    char b1[40], b2[40];
    int miss;
    if (cv >= 0 && cl >= 0) {
        /* Long form. Numeric totals have an empty level. */
        size_t passes = nvars ? nvars : 1;
        for (size_t pass = 0; pass < passes && !rc; pass++) {
            size_t found = 0;
            for (size_t i = 0; i < n && !rc; i++) {
                int mv, ml;
                const char *var = cell_text(b1, t, (size_t)cv, i, &mv);
                const char *lev = cell_text(b2, t, (size_t)cl, i, &ml);
                if (mv) {
                    rc = wfs_fail(err, WFS_EPARSE, "%s:%zu: the variable is missing", path, i + 2);
                    break;
                }
                if (nvars && strcmp(var, vars[pass]) != 0) continue;
                found++;
                if (isnan(tot[i])) {
                    rc = wfs_fail(err, WFS_EPARSE, "%s:%zu: the total is missing", path, i + 2);
                    break;
                }
                rc = add_cell(m, &var, &lev, 1, tot[i], ml, src, i + 2, err);
            }
            if (!rc && nvars && !found)
                rc = wfs_fail(err, WFS_ENOTFOUND, "%s has no totals for variable \"%s\"", path,
                              vars[pass]);
        }
        if (!rc && n == 0) rc = wfs_fail(err, WFS_EPARSE, "%s holds no totals", path);
        wfs_table_free(t);
        return rc;
    }
    /* Wide form: one crossed margin. */
    size_t ncol = wfs_table_ncols(t), k = 0;
    long cols[8];
    const char *names[8];
    if (nvars) {
        if (nvars > 8) rc = wfs_fail(err, WFS_ELIMIT, "a margin crosses at most 8 variables");
        for (size_t j = 0; j < nvars && !rc; j++) {
            cols[j] = wfs_table_find(t, vars[j]);
            if (cols[j] < 0)
                rc = wfs_fail(err, WFS_ENOTFOUND,
                              "%s has no column \"%s\" (columns variable,level,total or one "
                              "column per variable and total)",
                              path, vars[j]);
            names[j] = vars[j];
        }
        k = nvars;
    } else {
        for (size_t j = 0; j < ncol && !rc; j++) {
            if ((long)j == ct) continue;
            if (k == 8) {
                rc = wfs_fail(err, WFS_ELIMIT, "%s: a margin crosses at most 8 variables", path);
                break;
            }
            cols[k] = (long)j;
            names[k++] = wfs_table_name(t, j);
        }
        if (!rc && k == 0) rc = wfs_fail(err, WFS_EPARSE, "%s has no variable columns", path);
    }
    for (size_t i = 0; i < n && !rc; i++) {
        char bufs[8][40];
        const char *levs[8];
        for (size_t j = 0; j < k && !rc; j++) {
            levs[j] = cell_text(bufs[j], t, (size_t)cols[j], i, &miss);
            if (miss)
                rc = wfs_fail(err, WFS_EPARSE, "%s:%zu: the level of %s is missing", path, i + 2,
                              names[j]);
        }
        if (!rc && isnan(tot[i]))
            rc = wfs_fail(err, WFS_EPARSE, "%s:%zu: the total is missing", path, i + 2);
        if (!rc) rc = add_cell(m, names, levs, k, tot[i], 0, src, i + 2, err);
    }
    if (!rc && n == 0) rc = wfs_fail(err, WFS_EPARSE, "%s holds no totals", path);
    wfs_table_free(t);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Binding a margin to the data                                        */
/* ------------------------------------------------------------------ */

void wfs_wbound_free(wbound *b)
{
    wfs_ishared_unref(b->cell);
    free(b->target);
    free(b->nrows);
    memset(b, 0, sizeof *b);
}

void wfs_wbound_label(wfs_buf *out, const wbound *b, size_t c)
{
    const wfs_margin *g = b->mg;
    for (size_t k = 0; k < g->nvars; k++) {
        if (k) wfs_buf_puts(out, ", ");
        if (g->nvars > 1) wfs_buf_printf(out, "%s=", g->vars[k]);
        wfs_buf_puts(out, g->labels[c * g->nvars + k]);
    }
}

/* "file:line: " for a cell read from a file. */
static void where(char *buf, size_t sz, const wfs_margin *g, size_t c)
{
    if (g->source && g->line[c])
        snprintf(buf, sz, "%s:%zu: ", g->source, g->line[c]);
    else
        buf[0] = '\0';
}

/* The code of label in the variable's levels, matching numbers by value
 * for numeric variables; -1 if absent. */
static long level_code(char **levels, size_t nlev, const char *label, int numeric)
{
    for (size_t k = 0; k < nlev; k++)
        if (strcmp(levels[k], label) == 0) return (long)k;
    if (numeric) {
        char *end;
        double x = strtod(label, &end);
        if (end != label && !*end && isfinite(x)) {
            char buf[40];
            wfs_number_label(buf, x == 0 ? 0 : x);
            for (size_t k = 0; k < nlev; k++)
                if (strcmp(levels[k], buf) == 0) return (long)k;
        }
    }
    return -1;
}

int wfs_wbound_init(wbound *b, const wfs_design *d, const wfs_margin *g, const double *w,
                    wfs_error *err)
{
    memset(b, 0, sizeof *b);
    b->mg = g;
    const wfs_table *t = d->t;
    size_t n = d->n, nv = g->nvars;
    const int32_t *codes[8] = {0};
    int32_t *own[8] = {0};
    char **levels[8] = {0};
    size_t nlev[8] = {0};
    uint64_t stride[8], range = 1;
    int32_t *map = NULL;
    uint64_t *ckey = NULL;
    int rc = 0;
    char loc[600];
    if (g->numeric)
        return wfs_fail(err, WFS_EINVAL, "\"%s\" has a numeric total; only calibrate uses those",
                        g->name);
    if (g->ncells == 0) return wfs_fail(err, WFS_EINVAL, "margin %s has no totals", g->name);
    for (size_t k = 0; k < nv && !rc; k++) {
        long col = wfs_table_find(t, g->vars[k]);
        if (col < 0) {
            rc = wfs_fail(err, WFS_ENOTFOUND, "weighting variable \"%s\" is not in the data",
                          g->vars[k]);
            break;
        }
        if (wfs_table_type(t, (size_t)col) == WFS_CATEGORICAL) {
            /* The table's own codes; only the labels are copied. */
            codes[k] = wfs_table_codes(t, (size_t)col);
            nlev[k] = wfs_table_nlevels(t, (size_t)col);
            if (!(levels[k] = wfs_callocarray(nlev[k] ? nlev[k] : 1, sizeof *levels[k]))) {
                rc = wfs_nomem(err);
                break;
            }
            for (size_t j = 0; j < nlev[k] && !rc; j++)
                if (!(levels[k][j] = wfs_strdup(wfs_table_level(t, (size_t)col, j))))
                    rc = wfs_nomem(err);
            if (rc) break;
        } else {
            if (!(own[k] = wfs_mallocarray(n ? n : 1, sizeof *own[k]))) {
                rc = wfs_nomem(err);
                break;
            }
            codes[k] = own[k];
            if ((rc = wfs_table_group_codes(own[k], &levels[k], &nlev[k], t, (size_t)col, err)))
                break;
        }
        stride[k] = range;
        range *= nlev[k] ? nlev[k] : 1;
        if (range > ((uint64_t)1 << 24))
            rc = wfs_fail(err, WFS_ELIMIT,
                          "margin %s crosses too many levels; post-stratify on fewer variables",
                          g->name);
    }
    if (!rc) {
        map = wfs_mallocarray((size_t)range, sizeof *map);
        b->cell = wfs_ishared_new(n);
        b->target = wfs_mallocarray(g->ncells, sizeof *b->target);
        b->nrows = wfs_callocarray(g->ncells, sizeof *b->nrows);
        ckey = wfs_mallocarray(g->ncells, sizeof *ckey);
        if (!map || !b->cell || !b->target || !b->nrows || !ckey) rc = wfs_nomem(err);
    }
    if (!rc) {
        for (uint64_t r = 0; r < range; r++) map[r] = -1;
        b->ncells = g->ncells;
        for (size_t c = 0; c < g->ncells && !rc; c++) {
            uint64_t key = 0;
            for (size_t k = 0; k < nv && !rc; k++) {
                const char *lab = g->labels[c * nv + k];
                long col = wfs_table_find(t, g->vars[k]);
                long code = level_code(levels[k], nlev[k], lab,
                                       wfs_table_type(t, (size_t)col) == WFS_NUMERIC);
                if (code < 0) {
                    where(loc, sizeof loc, g, c);
                    wfs_buf list = WFS_BUF_INIT;
                    const char *near = NULL;
                    size_t best = 3;
                    for (size_t j = 0; j < nlev[k]; j++) {
                        size_t e = wfs_edit_distance(lab, levels[k][j], 2);
                        if (e < best) {
                            best = e;
                            near = levels[k][j];
                        }
                    }
                    wfs_buf_name_list(&list, (const char *const *)levels[k], nlev[k], 8);
                    if (near)
                        rc = wfs_fail(err, WFS_ENOTFOUND,
                                      "%s\"%s\" is not a level of %s (did you mean \"%s\"?); its "
                                      "levels are %s",
                                      loc, lab, g->vars[k], near, list.data ? list.data : "none");
                    else
                        rc = wfs_fail(err, WFS_ENOTFOUND,
                                      "%s\"%s\" is not a level of %s; its levels are %s", loc, lab,
                                      g->vars[k], list.data ? list.data : "none");
                    wfs_buf_free(&list);
                    break;
                }
                key += (uint64_t)code * stride[k];
            }
            if (rc) break;
            if (map[key] >= 0) {
                where(loc, sizeof loc, g, c);
                rc = wfs_fail(err, WFS_EINVAL, "%smargin %s gives the same level twice (\"%s\")",
                              loc, g->name, g->labels[c * nv]);
                break;
            }
            map[key] = (int32_t)c;
            ckey[c] = key;
            b->target[c] = g->total[c];
        }
    }
    /* Rows: every sampled row needs a level and a total. */
    size_t nmiss = 0, firstmiss = 0, missvar = 0, nunmatched = 0, firstun = 0;
    uint64_t unkey = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        b->cell[i] = -1;
        if (w[i] == 0) continue;
        uint64_t key = 0;
        int missing = 0;
        for (size_t k = 0; k < nv; k++) {
            if (codes[k][i] < 0) {
                if (!nmiss) {
                    firstmiss = i;
                    missvar = k;
                }
                missing = 1;
                break;
            }
            key += (uint64_t)codes[k][i] * stride[k];
        }
        if (missing) {
            nmiss++;
            continue;
        }
        int32_t c = map[key];
        if (c < 0) {
            if (!nunmatched) {
                firstun = i;
                unkey = key;
            }
            if (key == unkey) nunmatched++;
            continue;
        }
        b->cell[i] = c;
        b->nrows[c]++;
    }
    if (!rc && nmiss)
        rc = wfs_fail(err, WFS_EINVAL,
                      "weighting variable \"%s\" is missing in %zu sampled row%s (first row %zu); "
                      "give those rows a level or a zero weight",
                      g->vars[missvar], nmiss, nmiss == 1 ? "" : "s", firstmiss + 1);
    if (!rc && nunmatched) {
        wfs_buf lab = WFS_BUF_INIT;
        for (size_t k = 0; k < nv; k++) {
            if (k) wfs_buf_puts(&lab, ", ");
            wfs_buf_printf(&lab, "%s=\"%s\"", g->vars[k], levels[k][codes[k][firstun]]);
        }
        rc = wfs_fail(err, WFS_EINVAL,
                      "the data have %s (%zu sampled row%s, first row %zu) but margin %s gives it "
                      "no population total",
                      lab.data ? lab.data : "", nunmatched, nunmatched == 1 ? "" : "s", firstun + 1,
                      g->name);
        wfs_buf_free(&lab);
    }
    for (size_t c = 0; c < b->ncells && !rc; c++) {
        if (b->nrows[c] && b->target[c] > 0) continue;
        if (!b->nrows[c] && b->target[c] == 0) continue; /* an empty cell of an empty stratum */
        wfs_buf lab = WFS_BUF_INIT;
        wfs_wbound_label(&lab, b, c);
        where(loc, sizeof loc, g, c);
        if (b->nrows[c])
            rc = wfs_fail(err, WFS_EINVAL,
                          "%smargin %s: \"%s\" has a population total of 0 but %zu sampled "
                          "row%s; population totals must be positive",
                          loc, g->name, lab.data ? lab.data : "", b->nrows[c],
                          b->nrows[c] == 1 ? "" : "s");
        else
            rc = wfs_fail(err, WFS_EINVAL,
                          "%smargin %s: \"%s\" has a population total of %g but no sampled rows; "
                          "combine it with a neighbouring level",
                          loc, g->name, lab.data ? lab.data : "", b->target[c]);
        wfs_buf_free(&lab);
    }
    /* The reference level: the first sampled one in the data's order (R's
     * treatment contrasts). */
    uint64_t best = UINT64_MAX;
    for (size_t c = 0; c < b->ncells && !rc; c++)
        if (b->nrows[c] && ckey[c] < best) {
            best = ckey[c];
            b->ref = c;
        }
    for (size_t k = 0; k < nv; k++) {
        free(own[k]);
        if (levels[k]) wfs_levels_free(levels[k], nlev[k]);
    }
    free(map);
    free(ckey);
    if (rc) wfs_wbound_free(b);
    return rc;
}

void wfs_cell_totals(double *tot, const wbound *b, const double *w, size_t n)
{
    wfs_ksum *k = wfs_callocarray(b->ncells, sizeof *k);
    if (!k) {
        /* Plain sums when there is no memory for compensation. */
        memset(tot, 0, b->ncells * sizeof *tot);
        for (size_t i = 0; i < n; i++)
            if (b->cell[i] >= 0) tot[b->cell[i]] += w[i];
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (b->cell[i] >= 0) wfs_ksum_add(&k[b->cell[i]], w[i]);
    for (size_t c = 0; c < b->ncells; c++) tot[c] = wfs_ksum_value(&k[c]);
    free(k);
}
