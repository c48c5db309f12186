/* render_projection.c - projections for reading: year-by-role tables and a
 * terminal fan chart.
 *
 * Works from the rows of a projection result only (statistic, variable,
 * year, estimate, ci_lower/ci_upper), so a result read back or built by
 * another program renders the same way. Per-band rows are left to the CSV
 * and JSON output; text shows the role totals.
 */
#include "config.h"

#include <stdio.h>

#include "wfs-private.h"
#include "projection-private.h"

/* Role-level rows of a projection result indexed by statistic, variable and
 * year. */
typedef struct grid {
    const char **vars; /* roles in order of appearance, "all" last if present */
    size_t nvars;
    double year0;
    size_t nyears;
    const wfs_estimate **cell; /* [stat][var][year] */
    int simulated;
} grid;

static int stat_index(const char *s)
{
    for (int k = 0; k < WFS_PROJ_NSTATS; k++)
        if (s && strcmp(s, wfs_proj_stat_name((wfs_proj_stat)k)) == 0) return k;
    return -1;
}

static void grid_free(grid *g)
{
    free(g->vars);
    free(g->cell);
    memset(g, 0, sizeof *g);
}

static int grid_build(grid *g, const wfs_result *r)
{
    memset(g, 0, sizeof *g);
    size_t n = wfs_result_nestimates(r);
    double lo = INFINITY, hi = -INFINITY;
    g->vars = wfs_mallocarray(n ? n : 1, sizeof *g->vars);
    if (!g->vars) return WFS_ENOMEM;
    int has_all = 0;
    for (size_t i = 0; i < n; i++) {
        const wfs_estimate *e = wfs_result_estimate(r, i);
        if (e->ndomain || isnan(e->year) || stat_index(e->statistic) < 0 || !e->variable) continue;
        if (e->year < lo) lo = e->year;
        if (e->year > hi) hi = e->year;
        if (!isnan(e->ci_lower)) g->simulated = 1;
        if (strcmp(e->variable, "all") == 0) {
            has_all = 1;
            continue;
        }
        size_t k = 0;
        while (k < g->nvars && strcmp(g->vars[k], e->variable) != 0) k++;
        if (k == g->nvars) g->vars[g->nvars++] = e->variable;
    }
    if (has_all) g->vars[g->nvars++] = "all";
    if (!g->nvars || hi - lo > 100000) return 0;
    g->year0 = lo;
    g->nyears = (size_t)(hi - lo) + 1;
    g->cell = wfs_callocarray(WFS_PROJ_NSTATS * g->nvars * g->nyears, sizeof *g->cell);
    if (!g->cell) return WFS_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const wfs_estimate *e = wfs_result_estimate(r, i);
        int s = stat_index(e->statistic);
        if (e->ndomain || isnan(e->year) || s < 0 || !e->variable) continue;
        double yi = e->year - g->year0;
        if (yi != floor(yi)) continue;
        size_t v = 0;
        while (v < g->nvars && strcmp(g->vars[v], e->variable) != 0) v++;
        g->cell[((size_t)s * g->nvars + v) * g->nyears + (size_t)yi] = e;
    }
    return 0;
}

static const wfs_estimate *grid_get(const grid *g, int stat, size_t var, size_t year)
{
    return g->cell[((size_t)stat * g->nvars + var) * g->nyears + year];
}

static const wfs_value *field(const wfs_result *r, const char *key)
{
    for (size_t i = 0; i < wfs_result_nfields(r); i++)
        if (strcmp(wfs_result_field_key(r, i), key) == 0) return wfs_result_field_value(r, i);
    return NULL;
}

/* Decimals for a table whose largest value is x. */
static int decimals(double x)
{
    x = fabs(x);
    return x >= 100 ? 0 : x >= 10 ? 1 : 2;
}

static void fmt(char *buf, size_t n, double x, int d)
{
    if (isnan(x)) {
        snprintf(buf, n, "NA");
        return;
    }
    snprintf(buf, n, "%.*f", d, x);
    if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1))
        memmove(buf, buf + 1, strlen(buf));
}

#define W 80

/* The headcount of roles [v0, v1) by year. */
static void roles_chunk(wfs_buf *b, const grid *g, size_t v0, size_t v1, int d,
                        const wfs_render_options *opt, int markdown)
{
    size_t nc = v1 - v0 + 1;
    wfs_tt *t = wfs_tt_new(nc);
    char(*store)[W] = wfs_callocarray(nc, sizeof *store);
    const char **cells = wfs_callocarray(nc, sizeof *cells);
    if (!t || !store || !cells) {
        wfs_tt_free(t);
        free(store);
        free(cells);
        b->failed = 1;
        return;
    }
    wfs_tt_header(t, 0, "year", WFS_TT_RIGHT);
    for (size_t v = v0; v < v1; v++) wfs_tt_header(t, v - v0 + 1, g->vars[v], WFS_TT_RIGHT);
    for (size_t y = 0; y < g->nyears; y++) {
        snprintf(store[0], W, "%.0f", g->year0 + (double)y);
        cells[0] = store[0];
        for (size_t v = v0; v < v1; v++) {
            const wfs_estimate *e = grid_get(g, WFS_PROJ_HEADCOUNT, v, y);
            if (e)
                fmt(store[v - v0 + 1], W, e->estimate, d);
            else
                store[v - v0 + 1][0] = '\0';
            cells[v - v0 + 1] = store[v - v0 + 1];
        }
        wfs_tt_row(t, cells);
    }
    wfs_tt_render(t, b, opt->width, markdown);
    wfs_tt_free(t);
    free(store);
    free(cells);
}

/* The headcount of every role by year, in as many tables side by side as
 * the width needs (each repeats the year). */
static void roles_table(wfs_buf *b, const grid *g, const wfs_render_options *opt, int markdown)
{
    double big = 0;
    for (size_t v = 0; v < g->nvars; v++)
        for (size_t y = 0; y < g->nyears; y++) {
            const wfs_estimate *e = grid_get(g, WFS_PROJ_HEADCOUNT, v, y);
            if (e && fabs(e->estimate) > big) big = fabs(e->estimate);
        }
    int d = decimals(big);
    char tmp[W];
    fmt(tmp, sizeof tmp, -big, d);
    size_t numw = strlen(tmp), width = opt->width ? opt->width : 80;
    wfs_buf_puts(b, markdown ? "**headcount by role**\n\n" : "headcount by role\n");
    size_t v0 = 0;
    while (v0 < g->nvars) {
        size_t used = 4, v1 = v0;
        while (v1 < g->nvars) {
            size_t w = wfs_utf8_width(g->vars[v1]);
            w = (w > numw ? w : numw) + 2;
            if (v1 > v0 && !markdown && used + w > width) break;
            used += w;
            v1++;
        }
        if (v0) wfs_buf_putc(b, '\n');
        roles_chunk(b, g, v0, v1, d, opt, markdown);
        v0 = v1;
    }
}

/* Headcount with its range, demand, gap and flows of one variable. */
static void flows_table(wfs_buf *b, const grid *g, size_t v, const wfs_render_options *opt,
                        int markdown)
{
    static const int stats[] = {WFS_PROJ_HEADCOUNT, WFS_PROJ_DEMAND,  WFS_PROJ_GAP,
                                WFS_PROJ_LEAVERS,   WFS_PROJ_JOINERS, WFS_PROJ_RECRUITS};
    const size_t ns = sizeof stats / sizeof *stats;
    int present[sizeof stats / sizeof *stats] = {0};
    double big = 0;
    for (size_t k = 0; k < ns; k++)
        for (size_t y = 0; y < g->nyears; y++) {
            const wfs_estimate *e = grid_get(g, stats[k], v, y);
            if (!e) continue;
            present[k] = 1;
            if (fabs(e->estimate) > big) big = fabs(e->estimate);
        }
    int d = decimals(big);
    size_t nc = 1 + (size_t)g->simulated * 2;
    for (size_t k = 0; k < ns; k++) nc += (size_t)present[k];
    wfs_tt *t = wfs_tt_new(nc);
    char(*store)[W] = wfs_callocarray(nc, sizeof *store);
    const char **cells = wfs_callocarray(nc, sizeof *cells);
    if (!t || !store || !cells) {
        wfs_tt_free(t);
        free(store);
        free(cells);
        b->failed = 1;
        return;
    }
    size_t c = 0;
    wfs_tt_header(t, c++, "year", WFS_TT_RIGHT);
    for (size_t k = 0; k < ns; k++) {
        if (!present[k]) continue;
        wfs_tt_header(t, c++, wfs_proj_stat_name((wfs_proj_stat)stats[k]), WFS_TT_RIGHT);
        if (g->simulated && (stats[k] == WFS_PROJ_HEADCOUNT || stats[k] == WFS_PROJ_GAP))
            wfs_tt_header(t, c++,
                          "10th\xe2\x80\x93"
                          "90th",
                          WFS_TT_RIGHT);
    }
    /* Without a gap the second range column is not needed. */
    if (c < nc) nc = c;
    for (size_t y = 0; y < g->nyears; y++) {
        memset(cells, 0, nc * sizeof *cells);
        c = 0;
        snprintf(store[c], W, "%.0f", g->year0 + (double)y);
        cells[c] = store[c];
        c++;
        for (size_t k = 0; k < ns; k++) {
            if (!present[k]) continue;
            const wfs_estimate *e = grid_get(g, stats[k], v, y);
            if (e)
                fmt(store[c], W, e->estimate, d);
            else
                store[c][0] = '\0';
            cells[c] = store[c];
            c++;
            if (g->simulated && (stats[k] == WFS_PROJ_HEADCOUNT || stats[k] == WFS_PROJ_GAP)) {
                store[c][0] = '\0';
                /* A range of no width (a year with nothing uncertain) is left
                 * blank; CSV and JSON keep the numbers. */
                if (e && !isnan(e->ci_lower) && e->ci_lower != e->ci_upper) {
                    char lo[32], hi[32];
                    fmt(lo, sizeof lo, e->ci_lower, d);
                    fmt(hi, sizeof hi, e->ci_upper, d);
                    snprintf(store[c], W, "%s\xe2\x80\x93%s", lo, hi);
                }
                cells[c] = store[c];
                c++;
            }
        }
        wfs_tt_row(t, cells);
    }
    if (strcmp(g->vars[v], "all") == 0)
        wfs_buf_puts(b, markdown ? "**all roles**\n\n" : "all roles\n");
    else
        wfs_buf_printf(b, markdown ? "**%s**\n\n" : "%s\n", g->vars[v]);
    wfs_tt_render(t, b, opt->width, markdown);
    wfs_tt_free(t);
    free(store);
    free(cells);
}

int wfs_render_projection(wfs_buf *b, const wfs_result *r, const wfs_render_options *opt,
                          int markdown)
{
    const wfs_value *model = field(r, "model"), *scen = field(r, "scenario");
    const wfs_value *sims = field(r, "sims"), *seed = field(r, "seed"), *plot = field(r, "plot");
    grid g;
    if (grid_build(&g, r)) {
        grid_free(&g);
        return WFS_ENOMEM;
    }
    wfs_buf_printf(b, "projection of %s", model && model->s ? model->s : "a model");
    if (scen && scen->s) wfs_buf_printf(b, ", scenario %s", scen->s);
    if (g.nyears)
        wfs_buf_printf(b, ", %.0f\xe2\x80\x93%.0f", g.year0, g.year0 + (double)g.nyears - 1);
    if (sims && sims->i > 0)
        wfs_buf_printf(b, ", %lld simulations (seed %lld)", sims->i, seed ? seed->i : 0LL);
    wfs_buf_puts(b, markdown ? "\n\n" : "\n\n");
    if (g.nvars) {
        /* One role and "all" say the same: show the table once. */
        int single = g.nvars <= 2 && strcmp(g.vars[g.nvars - 1], "all") == 0;
        if (!single) {
            roles_table(b, &g, opt, markdown);
            wfs_buf_putc(b, '\n');
        }
        flows_table(b, &g, g.nvars - 1, opt, markdown);
    }
    if (plot && plot->type == WFS_V_STR && plot->s) {
        char *chart;
        size_t len;
        size_t width = opt->width ? opt->width : 80;
        if (wfs_projection_fanchart(&chart, &len, r, plot->s, width, 0, NULL) == 0) {
            wfs_buf_puts(b, markdown ? "\n```text\n" : "\n");
            wfs_buf_add(b, chart, len);
            if (markdown) wfs_buf_puts(b, "```\n");
            free(chart);
        }
    }
    if (wfs_result_nfooters(r) || wfs_result_nnotes(r)) wfs_buf_putc(b, '\n');
    for (size_t i = 0; i < wfs_result_nfooters(r); i++) {
        wfs_buf_puts(b, wfs_result_footer(r, i));
        wfs_buf_puts(b, markdown ? "  \n" : "\n");
    }
    for (size_t i = 0; i < wfs_result_nnotes(r); i++) {
        wfs_buf_printf(b, "note: %s", wfs_result_note(r, i));
        wfs_buf_puts(b, markdown ? "  \n" : "\n");
    }
    grid_free(&g);
    return b->failed ? WFS_ENOMEM : 0;
}

/* ------------------------------------------------------------------ */
/* Fan chart                                                           */
/* ------------------------------------------------------------------ */

#define SHADE "\xe2\x96\x91" /* light shade: the 10th-90th percentile band */
#define DOT   "\xe2\x97\x8f" /* black circle: the deterministic projection */
#define CROSS "\xc3\x97"     /* multiplication sign: demand */

int wfs_projection_fanchart(char **out, size_t *len, const wfs_result *r, const char *variable,
                            size_t width, size_t height, wfs_error *err)
{
    *out = NULL;
    if (len) *len = 0;
    if (!variable) variable = "all";
    if (!width) width = 72;
    if (!height) height = 14;
    if (height < 5) height = 5;
    grid g;
    if (grid_build(&g, r)) {
        grid_free(&g);
        return wfs_nomem(err);
    }
    size_t v = 0;
    while (v < g.nvars && strcmp(g.vars[v], variable) != 0) v++;
    if (v == g.nvars || !g.nyears) {
        wfs_buf names = WFS_BUF_INIT;
        wfs_buf_name_list(&names, g.vars, g.nvars, 10);
        int rc =
            wfs_fail(err, WFS_ENOTFOUND, "no projected headcount of \"%s\" to plot (variables: %s)",
                     variable, names.data ? names.data : "none");
        wfs_buf_free(&names);
        grid_free(&g);
        return rc;
    }
    size_t n = g.nyears;
    double ymin = INFINITY, ymax = -INFINITY;
    int any_demand = 0, any_band = 0;
    for (size_t y = 0; y < n; y++) {
        const wfs_estimate *h = grid_get(&g, WFS_PROJ_HEADCOUNT, v, y);
        const wfs_estimate *d = grid_get(&g, WFS_PROJ_DEMAND, v, y);
        const double xs[] = {h ? h->estimate : NAN, h ? h->ci_lower : NAN, h ? h->ci_upper : NAN,
                             d ? d->estimate : NAN};
        for (size_t k = 0; k < 4; k++)
            if (isfinite(xs[k])) {
                ymin = fmin(ymin, xs[k]);
                ymax = fmax(ymax, xs[k]);
            }
        any_demand |= d != NULL;
        any_band |= h && !isnan(h->ci_lower);
    }
    if (!(ymin <= ymax)) {
        grid_free(&g);
        return wfs_fail(err, WFS_ENOTFOUND, "no projected headcount of \"%s\" to plot", variable);
    }
    double span = ymax - ymin;
    if (span <= 0) span = fabs(ymax) > 0 ? fabs(ymax) * 0.1 : 1;
    ymin -= 0.05 * span;
    ymax += 0.05 * span;
    double step = (ymax - ymin) / (double)height;
    int dec = step >= 1 ? 0 : (int)fmin(3, -floor(log10(step)));
    char labels[3][48];
    size_t lrow[3] = {0, height / 2, height - 1}, lw = 0;
    for (size_t k = 0; k < 3; k++) {
        snprintf(labels[k], sizeof labels[k], "%.*f", dec, ymax - ((double)lrow[k] + 0.5) * step);
        lw = strlen(labels[k]) > lw ? strlen(labels[k]) : lw;
    }
    size_t avail = width > lw + 2 ? width - lw - 2 : n;
    size_t cw = avail / n;
    if (cw < 1) cw = 1;
    if (cw > 6) cw = 6;
    size_t inner = cw > 1 ? cw - 1 : 1, mid = inner / 2;

    wfs_buf b = WFS_BUF_INIT;
    if (strcmp(variable, "all") == 0)
        wfs_buf_puts(&b, "headcount, all roles\n");
    else
        wfs_buf_printf(&b, "headcount of %s\n", variable);
    for (size_t row = 0; row < height; row++) {
        double top = ymax - (double)row * step, bot = top - step;
        const char *lab = NULL;
        for (size_t k = 0; k < 3; k++)
            if (lrow[k] == row) lab = labels[k];
        size_t pad = lw - (lab ? strlen(lab) : 0);
        wfs_buf_repeat(&b, ' ', pad);
        if (lab) wfs_buf_puts(&b, lab);
        wfs_buf_puts(&b, lab ? " \xe2\x94\xa4" : " \xe2\x94\x82");
        for (size_t y = 0; y < n; y++) {
            const wfs_estimate *h = grid_get(&g, WFS_PROJ_HEADCOUNT, v, y);
            const wfs_estimate *d = grid_get(&g, WFS_PROJ_DEMAND, v, y);
            int last_row = row + 1 == height;
            /* A value belongs to the row whose interval [bot, top) holds it
             * (the bottom row also takes its lower edge). */
            int c_in = h && h->estimate < top && (h->estimate >= bot || last_row);
            int d_in = d && d->estimate < top && (d->estimate >= bot || last_row);
            int band = h && h->ci_upper > h->ci_lower && h->ci_lower < top && h->ci_upper >= bot;
            for (size_t k = 0; k < inner; k++) {
                if (k == mid && c_in)
                    wfs_buf_puts(&b, DOT);
                else if (k == mid && d_in)
                    wfs_buf_puts(&b, CROSS);
                else if (band)
                    wfs_buf_puts(&b, SHADE);
                else
                    wfs_buf_putc(&b, ' ');
            }
            if (cw > 1) wfs_buf_putc(&b, ' ');
        }
        while (b.len && b.data[b.len - 1] == ' ') b.data[--b.len] = '\0';
        wfs_buf_putc(&b, '\n');
    }
    wfs_buf_repeat(&b, ' ', lw + 1);
    wfs_buf_puts(&b, "\xe2\x94\x94");
    for (size_t k = 0; k < n * cw; k++) wfs_buf_puts(&b, "\xe2\x94\x80");
    wfs_buf_putc(&b, '\n');
    /* Year labels centred under their columns: the first and the last,
     * then every other one that fits with a space on either side. */
    size_t linew = lw + 2 + n * cw + 16;
    char *yl = malloc(linew + 1);
    if (!yl) {
        wfs_buf_free(&b);
        grid_free(&g);
        return wfs_nomem(err);
    }
    memset(yl, ' ', linew);
    yl[linew] = '\0';
    for (size_t pass = 0; pass < 2; pass++)
        for (size_t y = 0; y < n; y++) {
            int ends = y == 0 || y + 1 == n;
            if ((pass == 0) != ends) continue;
            char lab[32];
            snprintf(lab, sizeof lab, "%.0f", g.year0 + (double)y);
            size_t l = strlen(lab), centre = lw + 2 + y * cw + mid;
            size_t start = centre >= l / 2 ? centre - l / 2 : 0;
            if (start + l + 1 > linew) continue;
            int free_ = 1;
            for (size_t k = start ? start - 1 : 0; k <= start + l && free_; k++)
                free_ = yl[k] == ' ';
            if (free_) memcpy(yl + start, lab, l);
        }
    size_t yn = linew;
    while (yn && yl[yn - 1] == ' ') yn--;
    wfs_buf_add(&b, yl, yn);
    free(yl);
    wfs_buf_putc(&b, '\n');
    wfs_buf_puts(&b, DOT " projection");
    if (any_band)
        wfs_buf_puts(&b, "   " SHADE " 10th\xe2\x80\x93"
                         "90th percentile");
    if (any_demand) wfs_buf_puts(&b, "   " CROSS " demand");
    wfs_buf_putc(&b, '\n');
    grid_free(&g);
    if (b.failed) {
        wfs_buf_free(&b);
        return wfs_nomem(err);
    }
    *out = wfs_buf_take(&b, len);
    return *out ? 0 : wfs_nomem(err);
}
