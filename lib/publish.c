/* publish.c - what makes a table publishable: small-cell suppression with
 * complementary suppression, and the NCHS reliability standard for
 * proportions.
 *
 * Suppression works on counts of respondents, never on weighted values:
 * an entry is hidden when its unweighted count is below the rule, and
 * further entries are hidden until no hidden entry can be derived exactly
 * from what is shown. A missing (NaN) count is treated as below the rule.
 * Nothing here depends on weights or on the design.
 *
 * Why a cycle protects: put the margins of an r x c table in an extra row
 * and column with their sign flipped; then every line of the (r+1) x (c+1)
 * grid sums to zero. Hidden entries are unknowns, and the values consistent
 * with what is shown differ by the vectors supported on the hidden entries
 * whose lines all sum to zero. In the bipartite graph with the grid's rows
 * and columns as nodes and hidden entries as edges, those vectors are the
 * alternating sums around cycles. So a hidden entry is determined exactly
 * if and only if its edge lies on no cycle, that is, it is a bridge
 * (Cox 1980, "Suppression methodology and statistical disclosure control",
 * JASA 75, 377-385, for the two-way case).
 */
#include "config.h"

#include <gsl/gsl_cdf.h>

#include "survey-private.h"

#define HIDDEN (WFS_FLAG_SUPPRESSED | WFS_FLAG_SUPPRESSED_COMP)

typedef struct grid {
    unsigned *flags;
    const double *n;
    const uint8_t *known;
    size_t nr, nc, NR, NC; /* interior and full dimensions */
    double total;          /* cost that puts margins after any interior path */
} grid;

/* May entry e carry an unknown in this model? In the first model the known
 * entries are constants; in the second every entry can be unknown. */
static int usable(const grid *g, size_t e, int all)
{
    return all || !g->known || !g->known[e];
}

static int hidden(const grid *g, size_t e)
{
    return (g->flags[e] & HIDDEN) != 0;
}

static double cost(const grid *g, size_t e)
{
    double c = isnan(g->n[e]) ? 0 : g->n[e];
    size_t i = e / g->NC, j = e % g->NC;
    int margin = g->nc ? (i == g->nr || j == g->nc) : (e == g->nr);
    /* One more than the count so that shorter paths win among empty
     * cells; margins only when no interior path exists. */
    return c + 1 + (margin ? g->total : 0);
}

/* Are row node a and column node b connected through hidden usable entries
 * other than skip? Nodes 0..NR-1 are rows, NR..NR+NC-1 columns. */
static int connected(const grid *g, size_t a, size_t b, size_t skip, int all, uint8_t *seen,
                     size_t *queue)
{
    size_t V = g->NR + g->NC, head = 0, tail = 0;
    memset(seen, 0, V);
    seen[a] = 1;
    queue[tail++] = a;
    while (head < tail) {
        size_t u = queue[head++];
        if (u == g->NR + b) return 1;
        int is_row = u < g->NR;
        size_t cnt = is_row ? g->NC : g->NR;
        for (size_t k = 0; k < cnt; k++) {
            size_t e = is_row ? u * g->NC + k : k * g->NC + (u - g->NR);
            size_t v = is_row ? g->NR + k : k;
            if (e == skip || seen[v] || !hidden(g, e) || !usable(g, e, all)) continue;
            seen[v] = 1;
            queue[tail++] = v;
        }
    }
    return 0;
}

/* Hide the cheapest set of shown entries that, with the hidden ones, links
 * column node b back to row node a without entry skip (Dijkstra over the
 * complete bipartite graph: hidden entries cost nothing). Returns 1 when
 * something was hidden, 0 when no such path exists. */
static int close_cycle(grid *g, size_t a, size_t b, size_t skip, int all, double *dist,
                       size_t *prev, uint8_t *done)
{
    size_t V = g->NR + g->NC;
    for (size_t v = 0; v < V; v++) {
        dist[v] = INFINITY;
        prev[v] = SIZE_MAX;
        done[v] = 0;
    }
    size_t src = g->NR + b;
    dist[src] = 0;
    for (;;) {
        size_t u = SIZE_MAX;
        for (size_t v = 0; v < V; v++)
            if (!done[v] && isfinite(dist[v]) && (u == SIZE_MAX || dist[v] < dist[u])) u = v;
        if (u == SIZE_MAX || u == a) break;
        done[u] = 1;
        int is_row = u < g->NR;
        size_t cnt = is_row ? g->NC : g->NR;
        for (size_t k = 0; k < cnt; k++) {
            size_t e = is_row ? u * g->NC + k : k * g->NC + (u - g->NR);
            size_t v = is_row ? g->NR + k : k;
            if (e == skip || done[v] || !usable(g, e, all)) continue;
            double w = hidden(g, e) ? 0 : cost(g, e);
            if (dist[u] + w < dist[v]) {
                dist[v] = dist[u] + w;
                prev[v] = e;
            }
        }
    }
    if (!isfinite(dist[a])) return 0;
    int added = 0;
    for (size_t v = a; v != src;) {
        size_t e = prev[v];
        if (!hidden(g, e)) {
            g->flags[e] |= WFS_FLAG_SUPPRESSED_COMP;
            added = 1;
        }
        size_t i = e / g->NC, j = e % g->NC;
        v = v < g->NR ? g->NR + j : i;
    }
    return added;
}

/* One-way: a single line. A hidden unknown is determined exactly when it
 * is the only unknown of the line. */
static int protect_line(grid *g, int all)
{
    size_t ne = g->NR, count = 0;
    for (size_t e = 0; e < ne; e++) count += hidden(g, e) && usable(g, e, all);
    if (count != 1) return 0;
    size_t best = SIZE_MAX;
    for (size_t e = 0; e < ne; e++) {
        if (hidden(g, e) || !usable(g, e, all)) continue;
        if (best == SIZE_MAX || cost(g, e) < cost(g, best)) best = e;
    }
    if (best == SIZE_MAX) return 0;
    g->flags[best] |= WFS_FLAG_SUPPRESSED_COMP;
    return 1;
}

int wfs_suppress_table(unsigned *flags, const double *n, const uint8_t *known, size_t nr, size_t nc,
                       double threshold, wfs_error *err)
{
    if (nr == 0) return wfs_fail(err, WFS_EINVAL, "a table to suppress needs at least one row");
    if (isnan(threshold) || threshold < 0)
        return wfs_fail(err, WFS_EINVAL, "the suppression rule must be a count of 0 or more");
    grid g = {flags, n, known, nr, nc, nr + 1, nc ? nc + 1 : 1, 0};
    size_t ne = g.NR * g.NC;
    if (nc && (g.NR > 100000 || g.NC > 100000 || ne / g.NR != g.NC))
        return wfs_fail(err, WFS_ELIMIT, "the table is too large to suppress");
    size_t any = 0;
    for (size_t e = 0; e < ne; e++) {
        if (threshold > 0 && !(n[e] >= threshold)) flags[e] |= WFS_FLAG_SUPPRESSED;
        any += hidden(&g, e);
        if (isfinite(n[e]) && n[e] > g.total) g.total = n[e];
    }
    g.total = g.total * 2 + 2;
    if (!any) return 0;
    if (nc == 0) {
        /* Fixed known entries first, then every entry unknown; repeat since
         * the second may hide what the first then must cover. */
        for (int changed = 1; changed;) changed = protect_line(&g, 0) | protect_line(&g, 1);
        return 0;
    }
    size_t V = g.NR + g.NC;
    uint8_t *seen = malloc(V);
    size_t *queue = wfs_mallocarray(V, sizeof *queue);
    size_t *prev = wfs_mallocarray(V, sizeof *prev);
    double *dist = wfs_mallocarray(V, sizeof *dist);
    if (!seen || !queue || !prev || !dist) {
        free(seen);
        free(queue);
        free(prev);
        free(dist);
        return wfs_nomem(err);
    }
    for (int changed = 1; changed;) {
        changed = 0;
        for (int all = 0; all <= 1; all++)
            for (size_t e = 0; e < ne; e++) {
                if (!hidden(&g, e) || !usable(&g, e, all)) continue;
                size_t i = e / g.NC, j = e % g.NC;
                if (connected(&g, i, j, e, all, seen, queue)) continue;
                /* A bridge: its value follows from the lines. */
                if (close_cycle(&g, i, j, e, all, dist, prev, seen)) changed = 1;
            }
    }
    free(seen);
    free(queue);
    free(prev);
    free(dist);
    return 0;
}

/* Width of the 95% Korn-Graubard interval (svyciprop(method = "beta")),
 * or NaN when it cannot be computed. GSL's beta quantile returns NaN when
 * a shape parameter is tiny and does not return at all for some shapes in
 * the millions, so it is asked only where it works: a lower bound is 0
 * when the event count n_eff p is below 1e-3 (the 2.5% point of such a
 * beta is below 1e-300), and above an adjusted effective size of 1e4 the
 * interval is narrower than 0.05 (the beta's SD is at most 0.5 / 100, and
 * the interval spans about four of them), which is all the standard needs
 * to know. */
static double kg_width(double p, double se, double nrows, double df)
{
    if (!(nrows > 1) || !(df > 0)) return NAN;
    double neff = p * (1 - p) / (se * se);
    double ratio = gsl_cdf_tdist_Pinv(0.025, nrows - 1) /
                   (isinf(df) ? gsl_cdf_ugaussian_Pinv(0.025) : gsl_cdf_tdist_Pinv(0.025, df));
    neff *= ratio * ratio;
    if (!(neff < 1e4)) return isnan(neff) ? NAN : 0.05;
    double a = neff * p, b = neff * (1 - p);
    double lo = a < 1e-3 ? 0 : wfs_qbeta(0.025, a, b + 1);
    double hi = b < 1e-3 ? 1 : wfs_qbeta(0.975, a + 1, b);
    return hi - lo;
}

/* NCHS Data Presentation Standards for Proportions (Parker et al. 2017):
 * the Korn-Graubard interval of svyciprop(method = "beta") at 95%, the
 * effective sample size capped at the sample size, and the decision tree
 * of the standard's Figure 1. */
unsigned wfs_nchs_prop_flags(double p, double se, double n, double nrows, double df)
{
    unsigned f = 0;
    if (isnan(p)) return 0;
    if (!(df >= 8)) f |= WFS_FLAG_SMALL_DF;
    double neff, width;
    if (p <= 0 || p >= 1 || !(se > 0)) {
        /* No events (or all, or no variance): the standard uses the
         * sample size and no interval width. */
        neff = n;
        width = 0;
    } else {
        neff = p * (1 - p) / (se * se);
        if (neff > n) neff = n;
        width = kg_width(p, se, nrows, df);
    }
    if (!(neff >= 30)) {
        f |= WFS_FLAG_SMALL_N | WFS_FLAG_UNRELIABLE;
    } else if (isnan(width)) {
        /* No interval (no design df): the standard cannot be met. */
        f |= WFS_FLAG_WIDE_CI | WFS_FLAG_UNRELIABLE;
    } else if (width <= 0.05) {
        /* reliable whatever the relative width */
    } else if (width >= 0.30 || width / p > 1.30) {
        f |= WFS_FLAG_WIDE_CI | WFS_FLAG_UNRELIABLE;
    }
    return f;
}
