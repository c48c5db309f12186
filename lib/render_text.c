/* render_text.c - results as aligned text tables or Markdown.
 *
 * Text tables are made for reading: labels left, numbers right, decimals
 * chosen from the standard error, percentages for proportions, the
 * unweighted base shown, flags as footnote markers, and long labels
 * abbreviated so the table fits the terminal width. The same layout is
 * written as a Markdown pipe table for briefings.
 */
#include "config.h"

#include <stdio.h>

#include "crosstab-private.h"
#include "wfs-private.h"
#include "projection-private.h"

/* ------------------------------------------------------------------ */
/* The table builder                                                   */
/* ------------------------------------------------------------------ */

struct wfs_tt {
    size_t ncols, nrows, cap;
    char **cells; /* row-major; row 0 is the header */
    unsigned char *rule_before;
    int *align;
    int failed;
};

wfs_tt *wfs_tt_new(size_t ncols)
{
    wfs_tt *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->ncols = ncols;
    t->align = calloc(ncols ? ncols : 1, sizeof *t->align);
    t->cap = 16;
    t->cells = wfs_callocarray(t->cap * ncols + 1, sizeof *t->cells);
    t->rule_before = calloc(t->cap, 1);
    if (!t->align || !t->cells || !t->rule_before) {
        wfs_tt_free(t);
        return NULL;
    }
    t->nrows = 1;
    return t;
}

void wfs_tt_free(wfs_tt *t)
{
    if (!t) return;
    if (t->cells)
        for (size_t i = 0; i < t->nrows * t->ncols; i++) free(t->cells[i]);
    free(t->cells);
    free(t->rule_before);
    free(t->align);
    free(t);
}

/* A copy of a cell for a one-line row: line breaks and other control
 * characters (a level read from a quoted multi-line CSV field) become
 * spaces, so that they cannot break the row in text or Markdown. */
static char *cell_copy(const char *s)
{
    char *d = wfs_strdup(s);
    for (char *p = d; p && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = ' ';
    return d;
}

void wfs_tt_header(wfs_tt *t, size_t col, const char *label, int align)
{
    free(t->cells[col]);
    t->cells[col] = cell_copy(label);
    t->align[col] = align;
}

void wfs_tt_rule(wfs_tt *t)
{
    if (t->nrows < t->cap) t->rule_before[t->nrows] = 1;
}

void wfs_tt_row(wfs_tt *t, const char *const *cells)
{
    if (t->failed) return;
    if (t->nrows == t->cap) {
        size_t cap = t->cap * 2;
        char **c = wfs_reallocarray(t->cells, cap * t->ncols + 1, sizeof *c);
        if (!c) {
            t->failed = 1;
            return;
        }
        t->cells = c;
        unsigned char *rb = realloc(t->rule_before, cap);
        if (!rb) {
            t->failed = 1;
            return;
        }
        memset(rb + t->cap, 0, cap - t->cap);
        t->rule_before = rb;
        t->cap = cap;
    }
    char *rule = NULL;
    (void)rule;
    for (size_t j = 0; j < t->ncols; j++)
        t->cells[t->nrows * t->ncols + j] = cells[j] ? cell_copy(cells[j]) : NULL;
    t->nrows++;
}

/* Append s cut to at most w display columns, with an ellipsis if cut. */
static void put_cut(wfs_buf *b, const char *s, size_t w)
{
    size_t sw = wfs_utf8_width(s);
    if (sw <= w) {
        wfs_buf_puts(b, s);
        return;
    }
    size_t used = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && used + 1 < w) {
        size_t len = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
        char tmp[5] = {0};
        size_t k = 0;
        for (; k < len && p[k]; k++) tmp[k] = (char)p[k];
        size_t cw = wfs_utf8_width(tmp);
        if (used + cw + 1 > w) break;
        wfs_buf_add(b, (const char *)p, k);
        used += cw;
        p += k;
    }
    wfs_buf_puts(b, "\xe2\x80\xa6"); /* horizontal ellipsis */
    used++;
    wfs_buf_repeat(b, ' ', w > used ? w - used : 0);
}

static void put_cell(wfs_buf *b, const char *s, size_t w, int align, int last)
{
    if (!s) s = "";
    size_t sw = wfs_utf8_width(s);
    if (sw > w) {
        put_cut(b, s, w);
        return;
    }
    if (align == WFS_TT_RIGHT) wfs_buf_repeat(b, ' ', w - sw);
    wfs_buf_puts(b, s);
    if (align != WFS_TT_RIGHT && !last) wfs_buf_repeat(b, ' ', w - sw);
}

static void md_cell(wfs_buf *b, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|') wfs_buf_putc(b, '\\');
        wfs_buf_putc(b, *s);
    }
}

void wfs_tt_render(wfs_tt *t, wfs_buf *b, size_t width, int markdown)
{
    if (t->failed) {
        b->failed = 1;
        return;
    }
    size_t nc = t->ncols;
    if (markdown) {
        for (size_t i = 0; i < t->nrows; i++) {
            wfs_buf_putc(b, '|');
            for (size_t j = 0; j < nc; j++) {
                wfs_buf_putc(b, ' ');
                md_cell(b, t->cells[i * nc + j]);
                wfs_buf_puts(b, " |");
            }
            wfs_buf_putc(b, '\n');
            if (i == 0) {
                wfs_buf_putc(b, '|');
                for (size_t j = 0; j < nc; j++)
                    wfs_buf_puts(b, t->align[j] == WFS_TT_RIGHT ? "---:|" : "---|");
                wfs_buf_putc(b, '\n');
            }
        }
        return;
    }
    size_t *w = calloc(nc ? nc : 1, sizeof *w);
    if (!w) {
        b->failed = 1;
        return;
    }
    for (size_t i = 0; i < t->nrows; i++)
        for (size_t j = 0; j < nc; j++) {
            const char *s = t->cells[i * nc + j];
            size_t sw = s ? wfs_utf8_width(s) : 0;
            if (sw > w[j]) w[j] = sw;
        }
    /* Shrink the widest label columns until the table fits. */
    if (!width) width = 80;
    for (;;) {
        size_t total = nc ? 2 * (nc - 1) : 0;
        for (size_t j = 0; j < nc; j++) total += w[j];
        if (total <= width) break;
        size_t widest = nc;
        for (size_t j = 0; j < nc; j++)
            if (t->align[j] != WFS_TT_RIGHT && w[j] > 8 && (widest == nc || w[j] > w[widest]))
                widest = j;
        if (widest == nc) break;
        size_t over = total - width;
        w[widest] = w[widest] - over >= 8 && w[widest] > over ? w[widest] - over : 8;
    }
    for (size_t i = 0; i < t->nrows; i++) {
        if (i == 1 || t->rule_before[i]) {
            for (size_t j = 0; j < nc; j++) {
                if (j) wfs_buf_puts(b, "  ");
                for (size_t k = 0; k < w[j]; k++) wfs_buf_puts(b, "\xe2\x94\x80");
            }
            wfs_buf_putc(b, '\n');
        }
        for (size_t j = 0; j < nc; j++) {
            if (j) wfs_buf_puts(b, "  ");
            put_cell(b, t->cells[i * nc + j], w[j], t->align[j], j + 1 == nc);
        }
        /* No trailing blanks. */
        while (b->len && b->data[b->len - 1] == ' ') b->data[--b->len] = '\0';
        wfs_buf_putc(b, '\n');
    }
    free(w);
}

/* ------------------------------------------------------------------ */
/* Numbers for reading                                                 */
/* ------------------------------------------------------------------ */

int wfs_decimals_for(double x, double se)
{
    int d;
    if (isfinite(se) && se > 0)
        d = 2 - (int)floor(log10(se));
    else if (isfinite(x) && x != 0)
        d = 3 - (int)floor(log10(fabs(x)));
    else
        d = 0;
    return d < 0 ? 0 : d > 8 ? 8 : d;
}

/* "-0.0" -> "0.0": a value that rounds to zero has no sign. */
static void drop_minus_zero(char *buf)
{
    if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1))
        memmove(buf, buf + 1, strlen(buf));
}

void wfs_fmt_est(char *buf, size_t sz, double x, double se)
{
    if (isnan(x)) {
        snprintf(buf, sz, "NA");
        return;
    }
    int d = wfs_decimals_for(x, se);
    snprintf(buf, sz, "%.*f", d, x);
    drop_minus_zero(buf);
}

/* ------------------------------------------------------------------ */
/* Estimates                                                           */
/* ------------------------------------------------------------------ */

static int is_share(const wfs_estimate *e)
{
    return (e->statistic && strcmp(e->statistic, "prop") == 0) || (e->flags & WFS_FLAG_SHARE);
}

typedef struct marker {
    unsigned flags;
    const char *mark;
    const char *text;
} marker;

static const marker markers[] = {
    {WFS_FLAG_SUPPRESSED, "[x]", "[x] suppressed: unweighted base below the disclosure rule"},
    {WFS_FLAG_SUPPRESSED_COMP, "[c]",
     "[c] suppressed so that a hidden cell cannot be recovered from the totals"},
    {WFS_FLAG_UNRELIABLE | WFS_FLAG_SMALL_N | WFS_FLAG_WIDE_CI, "*",
     "* does not meet the NCHS standard for reliable estimates: interpret with caution"},
    {WFS_FLAG_SMALL_DF, "+", "+ fewer than 8 degrees of freedom"},
    {WFS_FLAG_LONELY, "~", "~ a lonely-PSU adjustment was applied"},
    {WFS_FLAG_ZERO_VAR, "0", "0 the estimated variance is zero"},
};

#define STORE 160

static void estimates_table(wfs_buf *b, const wfs_result *r, const wfs_render_options *opt,
                            int markdown)
{
    size_t n = wfs_result_nestimates(r);
    /* Which columns are needed. */
    const char *dkeys[16];
    size_t nd = 0;
    int any_level = 0, any_p = 0, any_deff = 0, any_pv = 0, any_ref = 0, any_year = 0;
    int multi_stat = 0;
    const wfs_estimate *e0 = wfs_result_estimate(r, 0);
    for (size_t i = 0; i < n; i++) {
        const wfs_estimate *e = wfs_result_estimate(r, i);
        for (size_t k = 0; k < e->ndomain; k++) {
            size_t q = 0;
            while (q < nd && strcmp(dkeys[q], e->domain_keys[k]) != 0) q++;
            if (q == nd && nd < 16) dkeys[nd++] = e->domain_keys[k];
        }
        any_level |= e->level != NULL;
        any_p |= !isnan(e->p);
        any_deff |= !isnan(e->deff);
        any_pv |= !isnan(e->p_value);
        any_ref |= e->nreference > 0;
        any_year |= !isnan(e->year);
        if (e->statistic && e0->statistic && strcmp(e->statistic, e0->statistic) != 0)
            multi_stat = 1;
    }
    double level = wfs_result_ci_level(r);
    int show_ci = !isnan(level);
    size_t ncols = nd + 1 + (size_t)multi_stat + (size_t)any_level + (size_t)any_p +
                   (size_t)any_ref + (size_t)any_year + 2 + (size_t)show_ci + (size_t)any_deff +
                   (size_t)any_pv + 1;
    wfs_tt *t = wfs_tt_new(ncols);
    if (!t) {
        b->failed = 1;
        return;
    }
    size_t c = 0;
    for (size_t k = 0; k < nd; k++) wfs_tt_header(t, c++, dkeys[k], WFS_TT_LEFT);
    if (any_year) wfs_tt_header(t, c++, "year", WFS_TT_RIGHT);
    if (multi_stat) wfs_tt_header(t, c++, "statistic", WFS_TT_LEFT);
    wfs_tt_header(t, c++, "variable", WFS_TT_LEFT);
    if (any_level) wfs_tt_header(t, c++, "level", WFS_TT_LEFT);
    if (any_ref) wfs_tt_header(t, c++, "vs", WFS_TT_LEFT);
    if (any_p) wfs_tt_header(t, c++, "p", WFS_TT_RIGHT);
    int share_diff = is_share(e0) && strcmp(e0->statistic, "prop") != 0;
    const char *esthead = multi_stat            ? "estimate"
                          : share_diff ? (strcmp(e0->statistic, "difference") == 0 ? "points"
                                          : strcmp(e0->statistic, "change") == 0   ? "change (points)"
                                                                                   : "%")
                          : is_share(e0) ? "%"
                                         : e0->statistic;
    wfs_tt_header(t, c++, esthead ? esthead : "estimate", WFS_TT_RIGHT);
    wfs_tt_header(t, c++, "SE", WFS_TT_RIGHT);
    char cihead[32];
    if (show_ci) {
        snprintf(cihead, sizeof cihead, "%g%% CI", level * 100);
        wfs_tt_header(t, c++, cihead, WFS_TT_RIGHT);
    }
    if (any_deff) wfs_tt_header(t, c++, "deff", WFS_TT_RIGHT);
    if (any_pv) wfs_tt_header(t, c++, "p-value", WFS_TT_RIGHT);
    wfs_tt_header(t, c++, "n", WFS_TT_RIGHT);

    unsigned used = 0;
    const char **cells = calloc(ncols, sizeof *cells);
    char (*store)[STORE] = calloc(ncols, sizeof *store);
    if (!cells || !store) {
        free(cells);
        free(store);
        wfs_tt_free(t);
        b->failed = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const wfs_estimate *e = wfs_result_estimate(r, i);
        memset(cells, 0, ncols * sizeof *cells);
        c = 0;
        for (size_t k = 0; k < nd; k++, c++)
            for (size_t q = 0; q < e->ndomain; q++)
                if (strcmp(e->domain_keys[q], dkeys[k]) == 0) cells[c] = e->domain_values[q];
        if (any_year) {
            snprintf(store[c], STORE, "%.0f", e->year);
            cells[c] = isnan(e->year) ? "" : store[c];
            c++;
        }
        if (multi_stat) cells[c++] = e->statistic;
        cells[c++] = e->variable;
        if (any_level) cells[c++] = e->level;
        if (any_ref) {
            wfs_buf rb = WFS_BUF_INIT;
            for (size_t q = 0; q < e->nreference; q++) {
                if (q) wfs_buf_puts(&rb, ", ");
                wfs_buf_puts(&rb, e->reference_values[q] ? e->reference_values[q] : "NA");
            }
            snprintf(store[c], STORE, "%s", rb.data ? rb.data : "");
            wfs_buf_free(&rb);
            cells[c] = store[c];
            c++;
        }
        if (any_p) {
            snprintf(store[c], STORE, "%g", e->p);
            cells[c] = isnan(e->p) ? "" : store[c];
            c++;
        }
        double scale = is_share(e) ? 100 : 1;
        int suppressed = (e->flags & (WFS_FLAG_SUPPRESSED | WFS_FLAG_SUPPRESSED_COMP)) != 0;
        const char *mark = "";
        for (size_t m = 2; m < sizeof markers / sizeof *markers; m++)
            if (e->flags & markers[m].flags) {
                mark = markers[m].mark;
                used |= markers[m].flags;
                break;
            }
        if (suppressed) {
            const marker *mk = (e->flags & WFS_FLAG_SUPPRESSED) ? &markers[0] : &markers[1];
            used |= mk->flags;
            cells[c++] = mk->mark;
            cells[c++] = "";
            if (show_ci) cells[c++] = "";
        } else {
            char num[64];
            if (is_share(e)) {
                snprintf(num, sizeof num, "%.*f", opt->digits, e->estimate * scale);
                drop_minus_zero(num);
                snprintf(store[c], STORE, "%s%s", isnan(e->estimate) ? "NA" : num, mark);
                cells[c] = store[c];
                c++;
                snprintf(store[c], STORE, "%.*f", opt->digits, e->se * scale);
                cells[c] = isnan(e->se) ? "NA" : store[c];
                c++;
                if (show_ci) {
                    snprintf(store[c], STORE, "%.*f, %.*f", opt->digits, e->ci_lower * scale,
                             opt->digits, e->ci_upper * scale);
                    cells[c] = isnan(e->ci_lower) ? "NA" : store[c];
                    c++;
                }
            } else {
                wfs_fmt_est(num, sizeof num, e->estimate, e->se);
                snprintf(store[c], STORE, "%s%s", num, mark);
                cells[c] = store[c];
                c++;
                wfs_fmt_est(store[c], STORE, e->se, e->se);
                cells[c] = store[c];
                c++;
                if (show_ci) {
                    char lo[64], hi[64];
                    wfs_fmt_est(lo, sizeof lo, e->ci_lower, e->se);
                    wfs_fmt_est(hi, sizeof hi, e->ci_upper, e->se);
                    snprintf(store[c], STORE, "%s, %s", lo, hi);
                    cells[c] = isnan(e->ci_lower) ? "NA" : store[c];
                    c++;
                }
            }
        }
        if (any_deff) {
            snprintf(store[c], STORE, "%.2f", e->deff);
            cells[c] = isnan(e->deff) || suppressed ? "" : store[c];
            c++;
        }
        if (any_pv) {
            if (isnan(e->p_value))
                store[c][0] = '\0';
            else if (e->p_value < 0.001)
                snprintf(store[c], STORE, "<0.001");
            else
                snprintf(store[c], STORE, "%.3f", e->p_value);
            cells[c] = store[c];
            c++;
        }
        snprintf(store[c], STORE, "%.0f", e->n);
        cells[c] = isnan(e->n) ? "" : store[c];
        c++;
        wfs_tt_row(t, cells);
    }
    free(cells);
    free(store);
    wfs_tt_render(t, b, opt->width, markdown);
    wfs_tt_free(t);
    if (used) {
        if (markdown) wfs_buf_putc(b, '\n');
        for (size_t m = 0; m < sizeof markers / sizeof *markers; m++)
            if (used & markers[m].flags) {
                wfs_buf_puts(b, markers[m].text);
                wfs_buf_puts(b, markdown ? "  \n" : "\n");
            }
    }
}

static void value_text(wfs_buf *b, const wfs_value *v)
{
    switch (v->type) {
    case WFS_V_NULL: break;
    case WFS_V_NUM: {
        char tmp[64];
        double x = v->num;
        if (isnan(x))
            snprintf(tmp, sizeof tmp, "NA");
        else if (x == floor(x) && fabs(x) < 1e15)
            snprintf(tmp, sizeof tmp, "%.0f", x);
        else
            snprintf(tmp, sizeof tmp, "%.6g", x);
        wfs_buf_puts(b, tmp);
        break;
    }
    case WFS_V_INT: wfs_buf_printf(b, "%lld", v->i); break;
    case WFS_V_BOOL: wfs_buf_puts(b, v->i ? "yes" : "no"); break;
    case WFS_V_STR: wfs_buf_puts(b, v->s ? v->s : "NA"); break;
    case WFS_V_STRLIST:
        for (size_t i = 0; i < v->nlist; i++) {
            if (i) wfs_buf_puts(b, ", ");
            if (b->len > 0 && i >= 12) {
                wfs_buf_printf(b, "... (%zu in all)", v->nlist);
                break;
            }
            wfs_buf_puts(b, v->list[i] ? v->list[i] : "NA");
        }
        break;
    }
}

static void records_tables(wfs_buf *b, const wfs_result *r, const wfs_render_options *opt,
                           int markdown)
{
    for (size_t t = 0; t < wfs_result_nrecords_tables(r); t++) {
        size_t nc = wfs_result_records_ncols(r, t), nr = wfs_result_records_nrows(r, t);
        wfs_tt *tt = wfs_tt_new(nc);
        if (!tt) {
            b->failed = 1;
            return;
        }
        /* Numbers right, text left, judged by the first non-null cell. */
        for (size_t c = 0; c < nc; c++) {
            int align = WFS_TT_LEFT;
            for (size_t row = 0; row < nr; row++) {
                const wfs_value *v = wfs_result_records_cell(r, t, row, c);
                if (v->type == WFS_V_NULL) continue;
                align = v->type == WFS_V_NUM || v->type == WFS_V_INT ? WFS_TT_RIGHT : WFS_TT_LEFT;
                break;
            }
            wfs_tt_header(tt, c, wfs_result_records_colname(r, t, c), align);
        }
        char **cells = calloc(nc ? nc : 1, sizeof *cells);
        if (!cells) {
            wfs_tt_free(tt);
            b->failed = 1;
            return;
        }
        for (size_t row = 0; row < nr; row++) {
            for (size_t c = 0; c < nc; c++) {
                wfs_buf vb = WFS_BUF_INIT;
                value_text(&vb, wfs_result_records_cell(r, t, row, c));
                cells[c] = wfs_buf_take(&vb, NULL);
            }
            wfs_tt_row(tt, (const char *const *)cells);
            for (size_t c = 0; c < nc; c++) free(cells[c]);
        }
        free(cells);
        if (t) wfs_buf_putc(b, '\n');
        wfs_tt_render(tt, b, opt->width, markdown);
        wfs_tt_free(tt);
    }
}

/* The footers, then the notes that do not repeat a footer (JSON carries
 * the policy in force as a note too). */
static void footers_and_notes(wfs_buf *b, const wfs_result *r, int markdown)
{
    size_t nf = wfs_result_nfooters(r);
    for (size_t i = 0; i < nf; i++) {
        wfs_buf_puts(b, wfs_result_footer(r, i));
        wfs_buf_puts(b, markdown ? "  \n" : "\n");
    }
    for (size_t i = 0; i < wfs_result_nnotes(r); i++) {
        const char *note = wfs_result_note(r, i);
        size_t k = 0;
        while (k < nf && strcmp(wfs_result_footer(r, k), note) != 0) k++;
        if (k < nf) continue;
        wfs_buf_printf(b, "note: %s", note);
        wfs_buf_puts(b, markdown ? "  \n" : "\n");
    }
}

/* True when the last line written is a row of a Markdown table. */
static int ends_with_table_row(const wfs_buf *b)
{
    if (b->len < 2 || b->data[b->len - 1] != '\n') return 0;
    size_t i = b->len - 1;
    while (i > 0 && b->data[i - 1] != '\n') i--;
    return b->data[i] == '|';
}

/* ------------------------------------------------------------------ */
/* Cross-tabulations (tab): publication tables                         */
/* ------------------------------------------------------------------ */

static const wfs_value *field_of(const wfs_result *r, const char *key)
{
    for (size_t i = 0; i < wfs_result_nfields(r); i++)
        if (strcmp(wfs_result_field_key(r, i), key) == 0) return wfs_result_field_value(r, i);
    return NULL;
}

static const char *field_str(const wfs_result *r, const char *key)
{
    const wfs_value *v = field_of(r, key);
    return v && v->type == WFS_V_STR ? v->s : NULL;
}

static const wfs_value *field_list(const wfs_result *r, const char *key)
{
    const wfs_value *v = field_of(r, key);
    return v && v->type == WFS_V_STRLIST ? v : NULL;
}

/* The marker of an estimate's flags (suppression first), noting it used.
 * A zero variance goes without saying for a count of 0 or a percentage of
 * 0 or 100. */
static const char *flag_mark(const wfs_estimate *e, int pct, unsigned *used)
{
    unsigned f = e->flags;
    if (e->estimate == 0 || (pct && e->estimate == 1)) f &= ~(unsigned)WFS_FLAG_ZERO_VAR;
    if (e->flags & WFS_FLAG_SUPPRESSED) {
        *used |= WFS_FLAG_SUPPRESSED;
        return markers[0].mark;
    }
    if (e->flags & WFS_FLAG_SUPPRESSED_COMP) {
        *used |= WFS_FLAG_SUPPRESSED_COMP;
        return markers[1].mark;
    }
    for (size_t m = 2; m < sizeof markers / sizeof *markers; m++)
        if (f & markers[m].flags) {
            *used |= markers[m].flags & f;
            return markers[m].mark;
        }
    return "";
}

static int hidden_est(const wfs_estimate *e)
{
    return (e->flags & (WFS_FLAG_SUPPRESSED | WFS_FLAG_SUPPRESSED_COMP)) != 0;
}

/* A percentage with its marker, and the bracketed SE or interval under it. */
static void pct_cells(char *top, char *under, size_t sz, const wfs_estimate *e,
                      const wfs_render_options *opt, unsigned *used)
{
    const char *mark = flag_mark(e, 1, used);
    under[0] = '\0';
    if (hidden_est(e)) {
        snprintf(top, sz, "%s", mark);
        return;
    }
    if (isnan(e->estimate)) {
        snprintf(top, sz, "-");
        return;
    }
    snprintf(top, sz, "%.*f%s", opt->digits, e->estimate * 100, mark);
    if (opt->show == WFS_SHOW_CI) {
        if (!isnan(e->ci_lower) && !isnan(e->ci_upper))
            snprintf(under, sz, "[%.*f, %.*f]", opt->digits, e->ci_lower * 100, opt->digits,
                     e->ci_upper * 100);
    } else if (!isnan(e->se)) {
        snprintf(under, sz, "(%.*f)", opt->digits, e->se * 100);
    }
}

static void count_cell(char *buf, size_t sz, const wfs_estimate *e, int decimals, unsigned *used)
{
    const char *mark = flag_mark(e, 0, used);
    if (hidden_est(e))
        snprintf(buf, sz, "%s", mark);
    else if (isnan(e->estimate))
        snprintf(buf, sz, "-");
    else
        snprintf(buf, sz, "%.*f%s", decimals, e->estimate, mark);
}

static void base_cell(char *buf, size_t sz, const wfs_estimate *e, unsigned *used)
{
    if (hidden_est(e))
        snprintf(buf, sz, "%s", flag_mark(e, 0, used));
    else if (isnan(e->n))
        snprintf(buf, sz, "-");
    else
        snprintf(buf, sz, "%.0f", e->n);
}

static void test_line(wfs_buf *b, const wfs_test *t, int markdown)
{
    char stat[64], p[32];
    if (isnan(t->statistic)) {
        wfs_buf_printf(b, "%s: not defined (see the notes)%s", t->name, markdown ? "  \n" : "\n");
        return;
    }
    wfs_fmt_est(stat, sizeof stat, t->statistic, NAN);
    if (isnan(t->p_value))
        snprintf(p, sizeof p, "NA");
    else if (t->p_value < 0.0001)
        snprintf(p, sizeof p, "< 0.0001");
    else
        snprintf(p, sizeof p, "= %.4f", t->p_value);
    if (!isnan(t->ndf))
        wfs_buf_printf(b, "%s: F = %s on %.3g and %.4g df, p %s", t->name, stat, t->ndf, t->ddf, p);
    else
        wfs_buf_printf(b, "%s: X2 = %s on %.4g df, p %s", t->name, stat, t->df, p);
    wfs_buf_puts(b, markdown ? "  \n" : "\n");
}

#define XT 96

/* Draw one layer: the percentage table with the bases, then the weighted
 * counts. E points at the layer's first estimate. */
static void crosstab_layer(wfs_buf *b, const wfs_result *r, const wfs_estimate *E,
                           const wfs_tab_shape *sh, const wfs_value *rows, const wfs_value *cols,
                           const char *rowvar, const char *colvar, const wfs_render_options *opt,
                           int markdown, unsigned *used)
{
    size_t R = sh->R, C = sh->C, ncols = (C ? C : 0) + 2 + (C && sh->pct == WFS_PCT_ROW);
    char(*top)[XT] = calloc(ncols, sizeof *top);
    char(*under)[XT] = calloc(ncols, sizeof *under);
    const char **cells = calloc(ncols, sizeof *cells), **cells2 = calloc(ncols, sizeof *cells2);
    wfs_tt *t = wfs_tt_new(ncols);
    if (!top || !under || !cells || !cells2 || !t) {
        b->failed = 1;
        goto out;
    }
    /* Title. */
    const char *what = !C ? "percentages"
                       : sh->pct == WFS_PCT_COL ? "column percentages"
                       : sh->pct == WFS_PCT_ROW ? "row percentages"
                                                : "percentages of the whole table";
    char lvl[64];
    snprintf(lvl, sizeof lvl, "%g%% confidence intervals", wfs_result_ci_level(r) * 100);
    if (C)
        wfs_buf_printf(b, "%s by %s: %s (%s in brackets)", rowvar, colvar, what,
                       opt->show == WFS_SHOW_CI ? lvl : "standard errors");
    else
        wfs_buf_printf(b, "%s: %s (%s in brackets)", rowvar, what,
                       opt->show == WFS_SHOW_CI ? lvl : "standard errors");
    wfs_buf_puts(b, markdown ? "\n\n" : "\n");
    size_t c0 = 0;
    wfs_tt_header(t, c0++, rowvar, WFS_TT_LEFT);
    for (size_t c = 0; c < C; c++) wfs_tt_header(t, c0++, cols->list[c], WFS_TT_RIGHT);
    wfs_tt_header(t, c0++, C ? "Total" : "%", WFS_TT_RIGHT);
    if (C && sh->pct == WFS_PCT_ROW) wfs_tt_header(t, c0++, "Base", WFS_TT_RIGHT);
    int any_under;
    for (size_t i = 0; i <= R; i++) {
        if (i == R) wfs_tt_rule(t);
        memset(cells, 0, ncols * sizeof *cells);
        memset(cells2, 0, ncols * sizeof *cells2);
        any_under = 0;
        size_t k = 0;
        cells[k++] = i < R ? rows->list[i] : "Total";
        for (size_t c = 0; c <= C; c++, k++) {
            size_t cc = C ? c : 0;
            if (!C && c > 0) break;
            size_t pp = wfs_tab_prop_at(sh, i, C ? cc : 0);
            if (!C && i == R) pp = SIZE_MAX;
            if (pp == SIZE_MAX) {
                /* A total of 100% by construction, unless nobody is in it. */
                const wfs_estimate *ce = &E[wfs_tab_count_at(sh, i, cc)];
                if (!hidden_est(ce) && !(ce->n > 0))
                    snprintf(top[k], XT, "-");
                else
                    snprintf(top[k], XT, "%.*f", opt->digits, 100.0);
                cells[k] = top[k];
                continue;
            }
            pct_cells(top[k], under[k], XT, &E[pp], opt, used);
            cells[k] = top[k];
            cells2[k] = under[k];
            any_under |= under[k][0] != 0;
        }
        if (C && sh->pct == WFS_PCT_ROW) {
            base_cell(top[k], XT, &E[wfs_tab_count_at(sh, i, C)], used);
            cells[k] = top[k];
        }
        wfs_tt_row(t, cells);
        if (any_under) {
            cells2[0] = "";
            wfs_tt_row(t, cells2);
        }
    }
    if (!C || sh->pct != WFS_PCT_ROW) {
        memset(cells, 0, ncols * sizeof *cells);
        cells[0] = "Unweighted base";
        size_t k = 1;
        for (size_t c = 0; c < C; c++, k++) {
            base_cell(top[k], XT, &E[wfs_tab_count_at(sh, R, c)], used);
            cells[k] = top[k];
        }
        base_cell(top[k], XT, &E[wfs_tab_count_at(sh, R, C)], used);
        cells[k] = top[k];
        wfs_tt_row(t, cells);
    }
    wfs_tt_render(t, b, opt->width, markdown);
    wfs_tt_free(t);
    t = NULL;

    /* Weighted counts. */
    const wfs_estimate *tot = &E[wfs_tab_count_at(sh, R, C)];
    double N = tot->estimate;
    if (isnan(N)) N = 0;
    int dec = wfs_decimals_for(N, NAN);
    if (dec > 2) dec = 2;
    wfs_buf_puts(b, "\n");
    if (C)
        wfs_buf_printf(b, "%s by %s: weighted counts", rowvar, colvar);
    else
        wfs_buf_printf(b, "%s: weighted counts", rowvar);
    wfs_buf_puts(b, markdown ? "\n\n" : "\n");
    size_t nc2 = (C ? C : 0) + 2;
    t = wfs_tt_new(nc2);
    if (!t) {
        b->failed = 1;
        goto out;
    }
    c0 = 0;
    wfs_tt_header(t, c0++, rowvar, WFS_TT_LEFT);
    for (size_t c = 0; c < C; c++) wfs_tt_header(t, c0++, cols->list[c], WFS_TT_RIGHT);
    wfs_tt_header(t, c0++, C ? "Total" : "count", WFS_TT_RIGHT);
    for (size_t i = 0; i <= R; i++) {
        if (i == R) wfs_tt_rule(t);
        memset(cells, 0, ncols * sizeof *cells);
        size_t k = 0;
        cells[k++] = i < R ? rows->list[i] : "Total";
        for (size_t c = 0; c <= C; c++, k++) {
            count_cell(top[k], XT, &E[wfs_tab_count_at(sh, i, c)], dec, used);
            cells[k] = top[k];
            if (!C) break;
        }
        wfs_tt_row(t, cells);
    }
    wfs_tt_render(t, b, opt->width, markdown);
    wfs_tt_free(t);
    t = NULL;

    /* Design effects of the percentages, when asked for (deff). */
    int any_deff = 0;
    for (size_t i = 0; i <= R; i++)
        for (size_t c = 0; c <= C; c++) {
            size_t pp = wfs_tab_prop_at(sh, i, c);
            if (pp != SIZE_MAX && !isnan(E[pp].deff)) any_deff = 1;
            if (!C) break;
        }
    if (!any_deff) goto out;
    wfs_buf_puts(b, "\n");
    if (C)
        wfs_buf_printf(b, "%s by %s: design effects of the percentages", rowvar, colvar);
    else
        wfs_buf_printf(b, "%s: design effects of the percentages", rowvar);
    wfs_buf_puts(b, markdown ? "\n\n" : "\n");
    t = wfs_tt_new(nc2);
    if (!t) {
        b->failed = 1;
        goto out;
    }
    c0 = 0;
    wfs_tt_header(t, c0++, rowvar, WFS_TT_LEFT);
    for (size_t c = 0; c < C; c++) wfs_tt_header(t, c0++, cols->list[c], WFS_TT_RIGHT);
    wfs_tt_header(t, c0++, C ? "Total" : "deff", WFS_TT_RIGHT);
    for (size_t i = 0; i <= R; i++) {
        int any = 0;
        memset(cells, 0, ncols * sizeof *cells);
        size_t k = 0;
        cells[k++] = i < R ? rows->list[i] : "Total";
        for (size_t c = 0; c <= C; c++, k++) {
            size_t pp = wfs_tab_prop_at(sh, i, c);
            if (!C && i == R) pp = SIZE_MAX;
            top[k][0] = '\0';
            if (pp != SIZE_MAX && !hidden_est(&E[pp]) && !isnan(E[pp].deff)) {
                snprintf(top[k], XT, "%.2f", E[pp].deff);
                any = 1;
            }
            cells[k] = top[k];
            if (!C) break;
        }
        if (i == R && !any) break;
        if (i == R) wfs_tt_rule(t);
        wfs_tt_row(t, cells);
    }
    wfs_tt_render(t, b, opt->width, markdown);
out:
    wfs_tt_free(t);
    free(top);
    free(under);
    free(cells);
    free(cells2);
}

/* Returns 1 when the result was drawn as a crosstab, 0 when its shape is
 * not one (the caller falls back to the list of estimates). */
static int crosstab_text(wfs_buf *b, const wfs_result *r, const wfs_render_options *opt,
                         int markdown)
{
    const char *rowvar = field_str(r, "row"), *colvar = field_str(r, "column");
    const wfs_value *rows = field_list(r, "rows"), *cols = field_list(r, "columns");
    const wfs_value *layers = field_list(r, "layers"), *lvars = field_list(r, "layer_variables");
    if (!rowvar || !rows || !rows->nlist || (colvar && (!cols || !cols->nlist))) return 0;
    wfs_tab_shape sh = {rows->nlist, colvar ? cols->nlist : 0, WFS_PCT_COL};
    const char *pct = field_str(r, "pct");
    if (pct && wfs_pct_parse(pct) >= 0) sh.pct = (wfs_pct)wfs_pct_parse(pct);
    size_t per = wfs_tab_per_layer(&sh), nl = layers ? layers->nlist : 1;
    if (!nl || wfs_result_nestimates(r) != per * nl) return 0;
    size_t nt = wfs_result_ntests(r), tpl = nt % nl == 0 ? nt / nl : 0;
    unsigned used = 0;
    for (size_t l = 0; l < nl; l++) {
        if (l) wfs_buf_putc(b, '\n');
        if (layers) {
            wfs_buf_puts(b, markdown ? "**" : "");
            for (size_t j = 0; lvars && j < lvars->nlist; j++)
                wfs_buf_printf(b, "%s%s", j ? ", " : "", lvars->list[j]);
            wfs_buf_printf(b, " = %s", layers->list[l]);
            wfs_buf_puts(b, markdown ? "**\n\n" : "\n");
        }
        crosstab_layer(b, r, wfs_result_estimate(r, l * per), &sh, rows, cols, rowvar, colvar, opt,
                       markdown, &used);
        if (tpl) {
            wfs_buf_putc(b, '\n');
            for (size_t k = 0; k < tpl; k++)
                test_line(b, wfs_result_test(r, l * tpl + k), markdown);
        }
    }
    if (used) {
        wfs_buf_putc(b, '\n');
        for (size_t m = 0; m < sizeof markers / sizeof *markers; m++)
            if (used & markers[m].flags) {
                wfs_buf_puts(b, markers[m].text);
                wfs_buf_puts(b, markdown ? "  \n" : "\n");
            }
    }
    if (!tpl)
        for (size_t k = 0; k < nt; k++) test_line(b, wfs_result_test(r, k), markdown);
    wfs_buf_putc(b, '\n');
    footers_and_notes(b, r, markdown);
    return 1;
}

int wfs_render_text(wfs_buf *b, const wfs_result *r, const wfs_render_options *opt, int markdown)
{
    if (wfs_result_layout(r) == WFS_LAYOUT_CROSSTAB && crosstab_text(b, r, opt, markdown))
        return b->failed ? WFS_ENOMEM : 0;
    if (wfs_result_layout(r) == WFS_LAYOUT_PROJECTION)
        return wfs_render_projection(b, r, opt, markdown);
    size_t nf = wfs_result_nfields(r);
    if (nf) {
        size_t kw = 0;
        for (size_t i = 0; i < nf; i++) {
            size_t w = wfs_utf8_width(wfs_result_field_key(r, i));
            if (w > kw) kw = w;
        }
        for (size_t i = 0; i < nf; i++) {
            const char *k = wfs_result_field_key(r, i);
            if (markdown) {
                wfs_buf_printf(b, "- **%s**: ", k);
            } else {
                wfs_buf_puts(b, k);
                wfs_buf_putc(b, ':');
                wfs_buf_repeat(b, ' ', kw - wfs_utf8_width(k) + 1);
            }
            value_text(b, wfs_result_field_value(r, i));
            wfs_buf_putc(b, '\n');
        }
    }
    if (wfs_result_nestimates(r)) {
        if (nf) wfs_buf_putc(b, '\n');
        estimates_table(b, r, opt, markdown);
    }
    if (wfs_result_nrecords_tables(r)) {
        if (nf || wfs_result_nestimates(r)) wfs_buf_putc(b, '\n');
        records_tables(b, r, opt, markdown);
    }
    /* In Markdown a line right under a table would be read as one more row
     * of it: leave a blank line. */
    if (markdown && wfs_result_ntests(r) + wfs_result_nfooters(r) + wfs_result_nnotes(r) &&
        ends_with_table_row(b))
        wfs_buf_putc(b, '\n');
    for (size_t i = 0; i < wfs_result_ntests(r); i++) {
        const wfs_test *t = wfs_result_test(r, i);
        char stat[64], p[32];
        wfs_fmt_est(stat, sizeof stat, t->statistic, NAN);
        if (isnan(t->p_value))
            snprintf(p, sizeof p, "NA");
        else if (t->p_value < 0.0001)
            snprintf(p, sizeof p, "< 0.0001");
        else
            snprintf(p, sizeof p, "= %.4f", t->p_value);
        if (!isnan(t->ndf))
            wfs_buf_printf(b, "%s: F = %s on %.3g and %.4g df, p %s", t->name, stat, t->ndf,
                           t->ddf, p);
        else
            wfs_buf_printf(b, "%s: X2 = %s on %.4g df, p %s", t->name, stat, t->df, p);
        wfs_buf_puts(b, markdown ? "  \n" : "\n");
    }
    footers_and_notes(b, r, markdown);
    return b->failed ? WFS_ENOMEM : 0;
}
