/* render_csv.c - results as CSV at full precision.
 *
 * Estimates become one row each with every field of the JSON contract
 * (domains as "key=value;key=value"); tests and record tables follow as
 * separate blocks, each with its own header line, separated by a blank
 * line. Fields are quoted when needed (RFC 4180).
 */
#include "config.h"

#include "wfs-private.h"

static void field(wfs_buf *b, const char *s)
{
    if (!s) return;
    if (!strpbrk(s, ",\"\r\n")) {
        wfs_buf_puts(b, s);
        return;
    }
    wfs_buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"') wfs_buf_putc(b, '"');
        wfs_buf_putc(b, *s);
    }
    wfs_buf_putc(b, '"');
}

static void number(wfs_buf *b, double x)
{
    if (!isnan(x)) wfs_buf_double(b, x, 0);
}

static void pairs(wfs_buf *b, size_t n, const char *const *k, const char *const *v)
{
    wfs_buf tmp = WFS_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (i) wfs_buf_putc(&tmp, ';');
        wfs_buf_printf(&tmp, "%s=%s", k[i], v[i] ? v[i] : "NA");
    }
    field(b, tmp.data ? tmp.data : "");
    wfs_buf_free(&tmp);
}

static void value(wfs_buf *b, const wfs_value *v)
{
    char tmp[32];
    switch (v->type) {
    case WFS_V_NULL: break;
    case WFS_V_NUM: number(b, v->num); break;
    case WFS_V_INT: wfs_buf_printf(b, "%lld", v->i); break;
    case WFS_V_BOOL: wfs_buf_puts(b, v->i ? "true" : "false"); break;
    case WFS_V_STR: field(b, v->s); break;
    case WFS_V_STRLIST: {
        wfs_buf l = WFS_BUF_INIT;
        for (size_t i = 0; i < v->nlist; i++) {
            if (i) wfs_buf_putc(&l, ';');
            wfs_buf_puts(&l, v->list[i] ? v->list[i] : "NA");
        }
        field(b, l.data ? l.data : "");
        wfs_buf_free(&l);
        break;
    }
    }
    (void)tmp;
}

int wfs_render_csv(wfs_buf *b, const wfs_result *r)
{
    int blocks = 0;
    if (wfs_result_nfields(r)) {
        wfs_buf_puts(b, "key,value\n");
        for (size_t i = 0; i < wfs_result_nfields(r); i++) {
            field(b, wfs_result_field_key(r, i));
            wfs_buf_putc(b, ',');
            value(b, wfs_result_field_value(r, i));
            wfs_buf_putc(b, '\n');
        }
        blocks++;
    }
    if (wfs_result_nestimates(r)) {
        if (blocks++) wfs_buf_putc(b, '\n');
        int has_ref = 0, has_year = 0, has_pv = 0, has_median = 0;
        for (size_t i = 0; i < wfs_result_nestimates(r); i++) {
            const wfs_estimate *e = wfs_result_estimate(r, i);
            has_ref |= e->nreference > 0;
            has_year |= !isnan(e->year);
            has_pv |= !isnan(e->p_value);
            has_median |= !isnan(e->median);
        }
        wfs_buf_puts(b, "statistic,variable,level,p,domain,");
        if (has_ref) wfs_buf_puts(b, "reference,");
        if (has_year) wfs_buf_puts(b, "year,");
        wfs_buf_puts(b, "estimate,se,ci_lower,ci_upper,");
        if (has_median) wfs_buf_puts(b, "median,");
        wfs_buf_puts(b, "df,deff,n,n_weighted,");
        if (has_pv) wfs_buf_puts(b, "p_value,");
        wfs_buf_puts(b, "flags\n");
        for (size_t i = 0; i < wfs_result_nestimates(r); i++) {
            const wfs_estimate *e = wfs_result_estimate(r, i);
            field(b, e->statistic);
            wfs_buf_putc(b, ',');
            field(b, e->variable);
            wfs_buf_putc(b, ',');
            field(b, e->level);
            wfs_buf_putc(b, ',');
            number(b, e->p);
            wfs_buf_putc(b, ',');
            pairs(b, e->ndomain, e->domain_keys, e->domain_values);
            wfs_buf_putc(b, ',');
            if (has_ref) {
                pairs(b, e->nreference, e->reference_keys, e->reference_values);
                wfs_buf_putc(b, ',');
            }
            if (has_year) {
                number(b, e->year);
                wfs_buf_putc(b, ',');
            }
            const double xs[] = {e->estimate, e->se,   e->ci_lower, e->ci_upper,  e->median,
                                 e->df,       e->deff, e->n,        e->n_weighted};
            for (size_t k = 0; k < sizeof xs / sizeof *xs; k++) {
                if (k == 4 && !has_median) continue; /* the median column is optional */
                number(b, xs[k]);
                wfs_buf_putc(b, ',');
            }
            if (has_pv) {
                number(b, e->p_value);
                wfs_buf_putc(b, ',');
            }
            int any = 0;
            for (unsigned bit = 1; bit <= WFS_FLAG_ZERO_VAR; bit <<= 1)
                if (e->flags & bit) {
                    if (any) wfs_buf_putc(b, ';');
                    wfs_buf_puts(b, wfs_flag_name(bit));
                    any = 1;
                }
            wfs_buf_putc(b, '\n');
        }
    }
    if (wfs_result_ntests(r)) {
        if (blocks++) wfs_buf_putc(b, '\n');
        wfs_buf_puts(b, "test,statistic,ndf,ddf,df,p_value\n");
        for (size_t i = 0; i < wfs_result_ntests(r); i++) {
            const wfs_test *t = wfs_result_test(r, i);
            field(b, t->name);
            const double xs[] = {t->statistic, t->ndf, t->ddf, t->df, t->p_value};
            for (size_t k = 0; k < 5; k++) {
                wfs_buf_putc(b, ',');
                number(b, xs[k]);
            }
            wfs_buf_putc(b, '\n');
        }
    }
    for (size_t t = 0; t < wfs_result_nrecords_tables(r); t++) {
        if (blocks++) wfs_buf_putc(b, '\n');
        size_t nc = wfs_result_records_ncols(r, t);
        for (size_t c = 0; c < nc; c++) {
            if (c) wfs_buf_putc(b, ',');
            field(b, wfs_result_records_colname(r, t, c));
        }
        wfs_buf_putc(b, '\n');
        for (size_t row = 0; row < wfs_result_records_nrows(r, t); row++) {
            for (size_t c = 0; c < nc; c++) {
                if (c) wfs_buf_putc(b, ',');
                value(b, wfs_result_records_cell(r, t, row, c));
            }
            wfs_buf_putc(b, '\n');
        }
    }
    return b->failed ? WFS_ENOMEM : 0;
}
