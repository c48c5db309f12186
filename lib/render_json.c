/* render_json.c - results as JSON Lines.
 *
 * One object on one line per result, following the output contract in
 * doc/output.md: numbers in the fewest digits that read back exactly (at
 * most 17 significant), NaN and infinities as null, strings escaped.
 */
#include "config.h"

#include "wfs-private.h"

static void key(wfs_buf *b, const char *k, int *first)
{
    if (!*first) wfs_buf_putc(b, ',');
    *first = 0;
    wfs_buf_json_string(b, k);
    wfs_buf_putc(b, ':');
}

static void str_or_null(wfs_buf *b, const char *s)
{
    if (s)
        wfs_buf_json_string(b, s);
    else
        wfs_buf_puts(b, "null");
}

static void value(wfs_buf *b, const wfs_value *v)
{
    switch (v->type) {
    case WFS_V_NULL: wfs_buf_puts(b, "null"); break;
    case WFS_V_NUM: wfs_buf_double(b, v->num, 1); break;
    case WFS_V_INT: wfs_buf_printf(b, "%lld", v->i); break;
    case WFS_V_BOOL: wfs_buf_puts(b, v->i ? "true" : "false"); break;
    case WFS_V_STR: str_or_null(b, v->s); break;
    case WFS_V_STRLIST:
        wfs_buf_putc(b, '[');
        for (size_t i = 0; i < v->nlist; i++) {
            if (i) wfs_buf_putc(b, ',');
            str_or_null(b, v->list[i]);
        }
        wfs_buf_putc(b, ']');
        break;
    }
}

static void pairs(wfs_buf *b, size_t n, const char *const *keys, const char *const *vals)
{
    wfs_buf_putc(b, '{');
    for (size_t i = 0; i < n; i++) {
        if (i) wfs_buf_putc(b, ',');
        wfs_buf_json_string(b, keys[i]);
        wfs_buf_putc(b, ':');
        str_or_null(b, vals[i]);
    }
    wfs_buf_putc(b, '}');
}

static void num(wfs_buf *b, const char *k, double x, int *first)
{
    key(b, k, first);
    wfs_buf_double(b, x, 1);
}

static void estimate(wfs_buf *b, const wfs_estimate *e)
{
    int first = 1;
    wfs_buf_putc(b, '{');
    key(b, "statistic", &first);
    str_or_null(b, e->statistic);
    key(b, "variable", &first);
    str_or_null(b, e->variable);
    key(b, "level", &first);
    str_or_null(b, e->level);
    num(b, "p", e->p, &first);
    key(b, "domain", &first);
    pairs(b, e->ndomain, e->domain_keys, e->domain_values);
    if (e->nreference) {
        key(b, "reference", &first);
        pairs(b, e->nreference, e->reference_keys, e->reference_values);
    }
    if (!isnan(e->year)) num(b, "year", e->year, &first);
    num(b, "estimate", e->estimate, &first);
    num(b, "se", e->se, &first);
    num(b, "ci_lower", e->ci_lower, &first);
    num(b, "ci_upper", e->ci_upper, &first);
    if (!isnan(e->median)) num(b, "median", e->median, &first);
    num(b, "df", e->df, &first);
    num(b, "deff", e->deff, &first);
    num(b, "n", e->n, &first);
    num(b, "n_weighted", e->n_weighted, &first);
    if (!isnan(e->n_eff)) num(b, "n_eff", e->n_eff, &first);
    if (!isnan(e->p_value)) num(b, "p_value", e->p_value, &first);
    key(b, "flags", &first);
    wfs_buf_putc(b, '[');
    int any = 0;
    for (unsigned bit = 1; bit && bit <= WFS_FLAG_ZERO_VAR; bit <<= 1) {
        if (!(e->flags & bit)) continue;
        if (any) wfs_buf_putc(b, ',');
        any = 1;
        wfs_buf_json_string(b, wfs_flag_name(bit));
    }
    wfs_buf_puts(b, "]}");
}

static void test(wfs_buf *b, const wfs_test *t)
{
    int first = 1;
    wfs_buf_putc(b, '{');
    key(b, "name", &first);
    str_or_null(b, t->name);
    num(b, "statistic", t->statistic, &first);
    if (!isnan(t->ndf)) num(b, "ndf", t->ndf, &first);
    if (!isnan(t->ddf)) num(b, "ddf", t->ddf, &first);
    if (!isnan(t->df)) num(b, "df", t->df, &first);
    num(b, "p_value", t->p_value, &first);
    wfs_buf_putc(b, '}');
}

int wfs_render_json(wfs_buf *b, const wfs_result *r)
{
    int first = 1;
    wfs_layout layout = wfs_result_layout(r);
    wfs_buf_putc(b, '{');
    key(b, "command", &first);
    str_or_null(b, wfs_result_command(r));
    key(b, "dataset", &first);
    str_or_null(b, wfs_result_dataset(r));
    if (wfs_result_variance(r)) {
        key(b, "variance", &first);
        str_or_null(b, wfs_result_variance(r));
    }
    for (size_t i = 0; i < wfs_result_nfields(r); i++) {
        key(b, wfs_result_field_key(r, i), &first);
        value(b, wfs_result_field_value(r, i));
    }
    if (layout == WFS_LAYOUT_ESTIMATES || layout == WFS_LAYOUT_CROSSTAB ||
        wfs_result_nestimates(r)) {
        if (!isnan(wfs_result_ci_level(r))) num(b, "level", wfs_result_ci_level(r), &first);
        key(b, "estimates", &first);
        wfs_buf_putc(b, '[');
        for (size_t i = 0; i < wfs_result_nestimates(r); i++) {
            if (i) wfs_buf_putc(b, ',');
            estimate(b, wfs_result_estimate(r, i));
        }
        wfs_buf_putc(b, ']');
        key(b, "tests", &first);
        wfs_buf_putc(b, '[');
        for (size_t i = 0; i < wfs_result_ntests(r); i++) {
            if (i) wfs_buf_putc(b, ',');
            test(b, wfs_result_test(r, i));
        }
        wfs_buf_putc(b, ']');
    }
    for (size_t t = 0; t < wfs_result_nrecords_tables(r); t++) {
        key(b, wfs_result_records_name(r, t), &first);
        wfs_buf_putc(b, '[');
        size_t nc = wfs_result_records_ncols(r, t);
        for (size_t row = 0; row < wfs_result_records_nrows(r, t); row++) {
            if (row) wfs_buf_putc(b, ',');
            wfs_buf_putc(b, '{');
            for (size_t c = 0; c < nc; c++) {
                if (c) wfs_buf_putc(b, ',');
                wfs_buf_json_string(b, wfs_result_records_colname(r, t, c));
                wfs_buf_putc(b, ':');
                value(b, wfs_result_records_cell(r, t, row, c));
            }
            wfs_buf_putc(b, '}');
        }
        wfs_buf_putc(b, ']');
    }
    key(b, "notes", &first);
    wfs_buf_putc(b, '[');
    for (size_t i = 0; i < wfs_result_nnotes(r); i++) {
        if (i) wfs_buf_putc(b, ',');
        wfs_buf_json_string(b, wfs_result_note(r, i));
    }
    wfs_buf_puts(b, "]}\n");
    return b->failed ? WFS_ENOMEM : 0;
}
