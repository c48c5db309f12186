/* crosstab-private.h - where each estimate of a tab result sits, shared by
 * crosstab.c (which fills the result) and render_text.c (which draws it as
 * a two-way table). Never installed.
 *
 * Per layer, for R row levels and C column levels (C = 0: one-way):
 *   two-way: counts of the R x C cells (column by column), of the R row
 *   totals, the C column totals and the grand total; then the percentages
 *   of the cells (pct=row: row by row) and of the margins (row levels for
 *   pct=col and cell, then column levels for pct=row and cell);
 *   one-way: the R counts, the total, the R proportions.
 */
#ifndef WFS_CROSSTAB_PRIVATE_H
#define WFS_CROSSTAB_PRIVATE_H

#include "wfstat.h"

typedef struct wfs_tab_shape {
    size_t R, C; /* C == 0 for a one-way table */
    wfs_pct pct;
} wfs_tab_shape;

static inline int wfs_tab_row_margin_pct(const wfs_tab_shape *s)
{
    return s->C == 0 || s->pct != WFS_PCT_ROW;
}

static inline int wfs_tab_col_margin_pct(const wfs_tab_shape *s)
{
    return s->C != 0 && s->pct != WFS_PCT_COL;
}

static inline size_t wfs_tab_per_layer(const wfs_tab_shape *s)
{
    if (s->C == 0) return 2 * s->R + 1;
    return 2 * s->R * s->C + s->R + s->C + 1 + (wfs_tab_row_margin_pct(s) ? s->R : 0) +
           (wfs_tab_col_margin_pct(s) ? s->C : 0);
}

/* Counts: cell (r, c); row total (r, C); column total (R, c); grand total
 * (R, C). For one-way tables c is ignored. */
static inline size_t wfs_tab_count_at(const wfs_tab_shape *s, size_t r, size_t c)
{
    if (s->C == 0) return r;
    if (r < s->R && c < s->C) return c * s->R + r;
    if (c == s->C && r < s->R) return s->R * s->C + r;
    if (r == s->R && c < s->C) return s->R * s->C + s->R + c;
    return s->R * s->C + s->R + s->C;
}

/* Percentages, with the same cell and margin coordinates; SIZE_MAX when
 * the table has no such percentage. */
static inline size_t wfs_tab_prop_at(const wfs_tab_shape *s, size_t r, size_t c)
{
    if (s->C == 0) return r < s->R ? s->R + 1 + r : SIZE_MAX;
    size_t base = s->R * s->C + s->R + s->C + 1; /* after the counts */
    if (r < s->R && c < s->C) return base + (s->pct == WFS_PCT_ROW ? r * s->C + c : c * s->R + r);
    size_t m = base + s->R * s->C;
    if (c == s->C && r < s->R) return wfs_tab_row_margin_pct(s) ? m + r : SIZE_MAX;
    if (r == s->R && c < s->C)
        return wfs_tab_col_margin_pct(s) ? m + (wfs_tab_row_margin_pct(s) ? s->R : 0) + c
                                         : SIZE_MAX;
    return SIZE_MAX;
}

#endif /* WFS_CROSSTAB_PRIVATE_H */
