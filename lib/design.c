/* design.c - survey designs: weights, strata, multistage clusters, fpc.
 *
 * Conventions follow R's svydesign(nest=TRUE): PSU ids are nested within
 * strata (the same id in two strata is two PSUs), later-stage ids within
 * their earlier-stage unit. An fpc > 1 is a population count, <= 1 a
 * sampling fraction; without weights, weights are implied by the fpc.
 *
 * Policy on bad input: missing values in any design variable, negative or
 * non-finite weights, an fpc that varies within a stratum or is smaller than
 * the sample, mixed counts and fractions, a design with a single PSU, and
 * singleton strata under lonely=fail are errors naming the variable and
 * the stratum. Zero weights are allowed: such rows are in the data but not
 * in the sample (they count for nothing, and not for the df).
 */
#include "config.h"

#include <stdio.h>

#include "survey-private.h"

const char *wfs_lonely_name(wfs_lonely l)
{
    switch (l) {
    case WFS_LONELY_FAIL: return "fail";
    case WFS_LONELY_ADJUST: return "adjust";
    case WFS_LONELY_AVERAGE: return "average";
    case WFS_LONELY_CERTAINTY: return "certainty";
    case WFS_LONELY_REMOVE: return "remove";
    }
    return "fail";
}

int wfs_lonely_parse(const char *name)
{
    for (int l = WFS_LONELY_FAIL; l <= WFS_LONELY_REMOVE; l++)
        if (name && strcmp(name, wfs_lonely_name((wfs_lonely)l)) == 0) return l;
    return -1;
}

/* ---- a (uint64, uint64) -> uint32 hash map for unit ids ---- */

typedef struct pairmap {
    uint64_t *a, *b;
    uint32_t *v;
    unsigned char *used;
    size_t cap, count;
} pairmap;

static uint64_t mix(uint64_t a, uint64_t b)
{
    uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull + (a << 6) + (a >> 2));
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
    return h;
}

static int pairmap_init(pairmap *m, size_t expect)
{
    size_t cap = 64;
    while (cap < expect * 2) cap *= 2;
    m->a = malloc(cap * sizeof *m->a);
    m->b = malloc(cap * sizeof *m->b);
    m->v = malloc(cap * sizeof *m->v);
    m->used = calloc(cap, 1);
    m->cap = cap;
    m->count = 0;
    return m->a && m->b && m->v && m->used ? 0 : -1;
}

static void pairmap_free(pairmap *m)
{
    free(m->a);
    free(m->b);
    free(m->v);
    free(m->used);
    memset(m, 0, sizeof *m);
}

/* Find (a,b); insert with value `next` if absent. Returns the value, or
 * UINT32_MAX on allocation failure. */
static uint32_t pairmap_intern(pairmap *m, uint64_t a, uint64_t b, uint32_t next, int *inserted)
{
    if ((m->count + 1) * 2 > m->cap) {
        pairmap n;
        if (pairmap_init(&n, m->cap)) {
            pairmap_free(&n);
            return UINT32_MAX;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->used[i]) continue;
            size_t j = (size_t)mix(m->a[i], m->b[i]) & (n.cap - 1);
            while (n.used[j]) j = (j + 1) & (n.cap - 1);
            n.used[j] = 1;
            n.a[j] = m->a[i];
            n.b[j] = m->b[i];
            n.v[j] = m->v[i];
        }
        n.count = m->count;
        pairmap_free(m);
        *m = n;
    }
    size_t j = (size_t)mix(a, b) & (m->cap - 1);
    while (m->used[j]) {
        if (m->a[j] == a && m->b[j] == b) {
            *inserted = 0;
            return m->v[j];
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->used[j] = 1;
    m->a[j] = a;
    m->b[j] = b;
    m->v[j] = next;
    m->count++;
    *inserted = 1;
    return next;
}

/* ---- helpers ---- */

static void level_free(wfs_level *L)
{
    free(L->unit);
    free(L->parent);
    free(L->count);
    free(L->popsize);
    memset(L, 0, sizeof *L);
}

void wfs_design_free(wfs_design *d)
{
    if (!d) return;
    for (size_t k = 0; k < sizeof d->names / sizeof *d->names; k++) free(d->names[k]);
    free(d->w);
    free(d->stratum);
    if (d->stratum_label)
        for (size_t h = 0; h < d->nstrata; h++) free(d->stratum_label[h]);
    free(d->stratum_label);
    for (size_t s = 1; s <= WFS_MAX_STAGES; s++) level_free(&d->lev[s]);
    free(d->describe);
    free(d->variance_name);
    if (d->cal && d->cal_ops) d->cal_ops->free(d->cal);
    wfs_repw_free(d->rep);
    free(d);
}

/* Replicate weights are built in replicate.c; the design owns them. */
void wfs_repw_free(wfs_repw *r)
{
    if (!r) return;
    free(r->rscales);
    free(r->F);
    free((void *)r->col);
    free(r->own);
    free(r);
}

wfs_repw *wfs_repw_copy(const wfs_repw *src, size_t n)
{
    wfs_repw *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    *r = *src;
    r->rscales = NULL;
    r->F = NULL;
    r->col = NULL;
    r->own = NULL;
    r->rscales = wfs_mallocarray(src->R, sizeof *r->rscales);
    if (!r->rscales) goto fail;
    memcpy(r->rscales, src->rscales, src->R * sizeof *r->rscales);
    if (src->F) {
        r->F = wfs_mallocarray(src->npsu * src->R, sizeof *r->F);
        if (!r->F) goto fail;
        memcpy(r->F, src->F, src->npsu * src->R * sizeof *r->F);
    }
    if (src->col) {
        r->col = wfs_mallocarray(src->R, sizeof *r->col);
        if (!r->col) goto fail;
        if (src->own) {
            r->own = wfs_mallocarray(src->R, n * sizeof *r->own);
            if (!r->own) goto fail;
            memcpy(r->own, src->own, src->R * n * sizeof *r->own);
            for (size_t k = 0; k < src->R; k++) r->col[k] = r->own + k * n;
        } else {
            memcpy((void *)r->col, src->col, src->R * sizeof *r->col);
        }
    }
    return r;
fail:
    wfs_repw_free(r);
    return NULL;
}

/* The 64-bit key of a design variable's value in row i; -1 for missing. */
static int value_key(const wfs_table *t, size_t col, size_t i, uint64_t *key)
{
    if (wfs_table_type(t, col) == WFS_NUMERIC) {
        double x = wfs_table_numeric(t, col)[i];
        if (isnan(x)) return -1;
        if (x == 0) x = 0;
        memcpy(key, &x, sizeof x);
        return 0;
    }
    if (wfs_table_type(t, col) == WFS_CATEGORICAL) {
        int32_t c = wfs_table_codes(t, col)[i];
        if (c < 0) return -1;
        *key = (uint64_t)c;
        return 0;
    }
    const char *s = wfs_table_text(t, col)[i];
    if (!s) return -1;
    *key = wfs_hash_bytes(s, strlen(s));
    return 0;
}

/* A readable label for a design variable's value in row i. */
static void value_label(char *buf, size_t sz, const wfs_table *t, size_t col, size_t i)
{
    switch (wfs_table_type(t, col)) {
    case WFS_NUMERIC: {
        char tmp[32];
        wfs_number_label(tmp, wfs_table_numeric(t, col)[i]);
        snprintf(buf, sz, "%s", tmp);
        break;
    }
    case WFS_CATEGORICAL: {
        int32_t c = wfs_table_codes(t, col)[i];
        snprintf(buf, sz, "%s", c < 0 ? "NA" : wfs_table_level(t, col, (size_t)c));
        break;
    }
    default: snprintf(buf, sz, "%s", wfs_table_text(t, col)[i] ? wfs_table_text(t, col)[i] : "NA");
    }
}

static long need_column(const wfs_table *t, const char *name, const char *role, wfs_error *err)
{
    long j = wfs_table_find(t, name);
    if (j < 0) {
        wfs_fail(err, WFS_ENOTFOUND, "%s variable \"%s\" is not in the data", role, name);
        return -1;
    }
    if (wfs_table_nmissing(t, (size_t)j)) {
        size_t i = 0;
        const uint8_t *m = wfs_table_missing(t, (size_t)j);
        while (i < wfs_table_nrows(t) && !m[i]) i++;
        wfs_fail(err, WFS_EDESIGN,
                 "%s variable \"%s\" has %zu missing value%s (first in row %zu); design "
                 "variables may not be missing",
                 role, name, wfs_table_nmissing(t, (size_t)j),
                 wfs_table_nmissing(t, (size_t)j) == 1 ? "" : "s", i + 1);
        return -1;
    }
    return j;
}

static long need_numeric(const wfs_table *t, const char *name, const char *role, wfs_error *err)
{
    long j = need_column(t, name, role, err);
    if (j >= 0 && wfs_table_type(t, (size_t)j) != WFS_NUMERIC) {
        wfs_fail(err, WFS_ETYPE, "%s variable \"%s\" must be numeric (it is categorical)", role,
                 name);
        return -1;
    }
    return j;
}

/* Number the stage-s units: nested within their parent at level s-1. */
static int build_level(wfs_design *d, size_t s, long col, const uint32_t *parent_of_row,
                       size_t nparents, wfs_error *err)
{
    const wfs_table *t = d->t;
    size_t n = d->n;
    wfs_level *L = &d->lev[s];
    L->unit = wfs_mallocarray(n, sizeof *L->unit);
    if (!L->unit) return wfs_nomem(err);
    pairmap m;
    if (pairmap_init(&m, 1024)) {
        pairmap_free(&m);
        return wfs_nomem(err);
    }
    uint32_t next = 0;
    /* Provisional ids in order of first appearance, with their parent. */
    uint32_t *par = NULL;
    size_t parcap = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t key = 0;
        value_key(t, (size_t)col, i, &key);
        uint64_t p = parent_of_row ? parent_of_row[i] : 0;
        int inserted;
        uint32_t id = pairmap_intern(&m, p, key, next, &inserted);
        if (id == UINT32_MAX || next == UINT32_MAX - 1) {
            pairmap_free(&m);
            free(par);
            return wfs_nomem(err);
        }
        if (inserted) {
            if (next == parcap) {
                parcap = parcap ? parcap * 2 : 1024;
                uint32_t *np = wfs_reallocarray(par, parcap, sizeof *np);
                if (!np) {
                    pairmap_free(&m);
                    free(par);
                    return wfs_nomem(err);
                }
                par = np;
            }
            par[next++] = (uint32_t)p;
        }
        L->unit[i] = id;
    }
    pairmap_free(&m);
    L->nunits = next;
    L->parent = par ? par : malloc(sizeof *L->parent);
    L->count = wfs_callocarray(nparents, sizeof *L->count);
    L->popsize = wfs_mallocarray(nparents, sizeof *L->popsize);
    if (!L->parent || !L->count || !L->popsize) return wfs_nomem(err);
    for (size_t u = 0; u < next; u++) L->count[L->parent[u]]++;
    for (size_t p = 0; p < nparents; p++) L->popsize[p] = INFINITY;
    return 0;
}

/* The rows-are-PSUs level (no cluster variable). */
static int build_identity_level(wfs_design *d, wfs_error *err)
{
    wfs_level *L = &d->lev[1];
    L->unit = NULL;
    L->nunits = d->n;
    L->parent = wfs_mallocarray(d->n, sizeof *L->parent);
    L->count = wfs_callocarray(d->nstrata, sizeof *L->count);
    L->popsize = wfs_mallocarray(d->nstrata, sizeof *L->popsize);
    if (!L->parent || !L->count || !L->popsize) return wfs_nomem(err);
    for (size_t i = 0; i < d->n; i++) {
        L->parent[i] = d->stratum ? d->stratum[i] : 0;
        L->count[L->parent[i]]++;
    }
    for (size_t h = 0; h < d->nstrata; h++) L->popsize[h] = INFINITY;
    return 0;
}

/* A label for unit u at level s (for messages): "stratum S" or "PSU P". */
static void parent_label(char *buf, size_t sz, const wfs_design *d, size_t s, size_t p)
{
    if (s == 1) {
        snprintf(buf, sz, "stratum %s", d->stratum_label ? d->stratum_label[p] : "(all)");
        return;
    }
    /* Find a row of unit p at level s-1 for its cluster value. */
    const wfs_level *L = &d->lev[s - 1];
    for (size_t i = 0; i < d->n; i++) {
        size_t u = L->unit ? L->unit[i] : i;
        if (u != p) continue;
        char v[200];
        long col = wfs_table_find(d->t, d->spec.cluster[s - 2]);
        if (col >= 0)
            value_label(v, sizeof v, d->t, (size_t)col, i);
        else
            snprintf(v, sizeof v, "row %zu", i + 1);
        snprintf(buf, sz, "%s %s", d->spec.cluster[s - 2], v);
        return;
    }
    snprintf(buf, sz, "unit %zu", p);
}

/* Set popsize per parent from the fpc column of stage s. */
static int apply_fpc(wfs_design *d, size_t s, long col, int as_count, wfs_error *err)
{
    wfs_level *L = &d->lev[s];
    const wfs_level *P = s > 1 ? &d->lev[s - 1] : NULL;
    size_t nparents = s == 1 ? d->nstrata : P->nunits;
    const double *f = wfs_table_numeric(d->t, (size_t)col);
    double *seen = wfs_mallocarray(nparents, sizeof *seen);
    if (!seen) return wfs_nomem(err);
    for (size_t p = 0; p < nparents; p++) seen[p] = NAN;
    int rc = 0;
    for (size_t i = 0; i < d->n && !rc; i++) {
        size_t p = s == 1 ? (d->stratum ? d->stratum[i] : 0) : (P->unit ? P->unit[i] : i);
        double v = f[i];
        char lab[300];
        if (!(v > 0) || !isfinite(v)) {
            rc = wfs_fail(err, WFS_EDESIGN, "fpc \"%s\" must be positive (row %zu has %g)",
                          d->spec.fpc[s - 1], i + 1, v);
        } else if (isnan(seen[p])) {
            seen[p] = v;
        } else if (seen[p] != v) {
            parent_label(lab, sizeof lab, d, s, p);
            rc = wfs_fail(err, WFS_EDESIGN,
                          "fpc \"%s\" varies within %s (%g and %g); it must be constant there",
                          d->spec.fpc[s - 1], lab, seen[p], v);
        }
    }
    for (size_t p = 0; p < nparents && !rc; p++) {
        double N = as_count ? seen[p] : (double)L->count[p] / seen[p];
        /* Allow for rounding in fractions such as n / (n / f). */
        if (N < (double)L->count[p] * (1 - 1e-12)) {
            char lab[300];
            parent_label(lab, sizeof lab, d, s, p);
            rc = wfs_fail(err, WFS_EDESIGN,
                          "fpc \"%s\" implies more than 100%% sampling in %s: population %g, "
                          "sampled %zu units",
                          d->spec.fpc[s - 1], lab, N, L->count[p]);
        }
        L->popsize[p] = N < (double)L->count[p] ? (double)L->count[p] : N;
    }
    free(seen);
    return rc;
}

static int copy_spec(wfs_design *d, const wfs_design_spec *spec, wfs_error *err)
{
    d->spec = *spec;
    size_t k = 0;
#define COPY(field)                                                                                \
    do {                                                                                           \
        if (field) {                                                                               \
            d->names[k] = wfs_strdup(field);                                                       \
            if (!d->names[k]) return wfs_nomem(err);                                               \
            field = d->names[k++];                                                                 \
        }                                                                                          \
    } while (0)
    COPY(d->spec.weight);
    COPY(d->spec.strata);
    for (size_t s = 0; s < spec->ncluster; s++) COPY(d->spec.cluster[s]);
    for (size_t s = 0; s < spec->nfpc; s++) COPY(d->spec.fpc[s]);
#undef COPY
    return 0;
}

static int check_lonely(wfs_design *d, wfs_error *err)
{
    /* Singleton strata (and, with later-stage fpcs, PSUs with a single
     * sampled unit below them) cannot give a variance under lonely=fail. */
    d->nsingleton = 0;
    wfs_buf names = WFS_BUF_INIT;
    size_t shown = 0, first_stage = 0;
    for (size_t s = 1; s <= d->acc_level; s++) {
        const wfs_level *L = &d->lev[s];
        size_t nparents = s == 1 ? d->nstrata : d->lev[s - 1].nunits;
        for (size_t p = 0; p < nparents; p++) {
            double f = isinf(L->popsize[p]) ? 1 : (L->popsize[p] - (double)L->count[p]) / L->popsize[p];
            if (L->count[p] != 1 || f < 1e-7) continue;
            d->nsingleton++;
            if (!first_stage) first_stage = s;
            if (shown < 5) {
                char lab[300];
                parent_label(lab, sizeof lab, d, s, p);
                if (shown) wfs_buf_puts(&names, ", ");
                wfs_buf_puts(&names, lab);
                shown++;
            }
        }
    }
    int rc = 0;
    if (d->nsingleton && d->lonely == WFS_LONELY_FAIL) {
        if (d->nsingleton > shown) wfs_buf_printf(&names, " and %zu more", d->nsingleton - shown);
        rc = wfs_fail(err, WFS_EDESIGN,
                      "%s only one %s (%s%s); with lonely=fail no variance can be estimated. "
                      "Choose a policy: lonely=adjust (centre on the grand mean), average, "
                      "certainty or remove",
                      d->nsingleton == 1 ? "a stratum has" : "some strata have",
                      first_stage == 1 ? "PSU" : "sampled unit at a later stage",
                      names.data ? names.data : "",
                      first_stage > 1 ? ", with an fpc for that stage" : "");
    }
    wfs_buf_free(&names);
    return rc;
}

static int describe(wfs_design *d)
{
    wfs_buf b = WFS_BUF_INIT;
    if (d->spec.strata)
        wfs_buf_printf(&b, "stratified by %s (%zu strata)", d->spec.strata, d->nstrata);
    else
        wfs_buf_puts(&b, "unstratified");
    if (d->spec.ncluster) {
        wfs_buf_puts(&b, ", clustered by ");
        for (size_t s = 0; s < d->spec.ncluster; s++)
            wfs_buf_printf(&b, "%s%s", s ? " then " : "", d->spec.cluster[s]);
        wfs_buf_printf(&b, " (%zu PSUs)", d->lev[1].nunits);
    } else {
        wfs_buf_puts(&b, ", one unit per row");
    }
    if (d->has_fpc) {
        wfs_buf_puts(&b, ", fpc ");
        for (size_t s = 0; s < d->spec.nfpc; s++)
            wfs_buf_printf(&b, "%s%s", s ? "+" : "", d->spec.fpc[s]);
    }
    if (d->spec.weight)
        wfs_buf_printf(&b, ", weights %s", d->spec.weight);
    else if (d->weights_from_fpc)
        wfs_buf_puts(&b, ", weights implied by the fpc");
    else
        wfs_buf_puts(&b, ", equal weights");
    free(d->describe);
    d->describe = wfs_buf_take(&b, NULL);
    return d->describe ? 0 : WFS_ENOMEM;
}

double wfs_domain_df(const wfs_design *d, const uint8_t *in)
{
    const wfs_level *L = &d->lev[1];
    uint64_t *seenu = calloc((L->nunits + 63) / 64 + 1, sizeof *seenu);
    uint64_t *seenh = calloc((d->nstrata + 63) / 64 + 1, sizeof *seenh);
    if (!seenu || !seenh) {
        free(seenu);
        free(seenh);
        return NAN;
    }
    size_t nu = 0, nh = 0;
    for (size_t i = 0; i < d->n; i++) {
        if ((in && !in[i]) || d->w[i] == 0) continue;
        size_t u = L->unit ? L->unit[i] : i;
        size_t h = d->stratum ? d->stratum[i] : 0;
        if (!(seenu[u / 64] >> (u % 64) & 1)) {
            seenu[u / 64] |= (uint64_t)1 << (u % 64);
            nu++;
        }
        if (!(seenh[h / 64] >> (h % 64) & 1)) {
            seenh[h / 64] |= (uint64_t)1 << (h % 64);
            nh++;
        }
    }
    free(seenu);
    free(seenh);
    return (double)nu - (double)nh;
}

int wfs_design_new(wfs_design **out, const wfs_table *t, const wfs_design_spec *spec,
                   wfs_error *err)
{
    *out = NULL;
    int rc;
    if (spec->ncluster > WFS_MAX_STAGES || spec->nfpc > WFS_MAX_STAGES)
        return wfs_fail(err, WFS_EINVAL, "at most %d sampling stages are supported", WFS_MAX_STAGES);
    if (spec->nfpc && spec->nfpc != (spec->ncluster ? spec->ncluster : 1))
        return wfs_fail(err, WFS_EDESIGN,
                        "give one fpc per sampling stage: cluster has %zu stage%s but fpc has %zu "
                        "(for a first-stage fpc alone, declare only the first-stage cluster)",
                        spec->ncluster ? spec->ncluster : 1, spec->ncluster > 1 ? "s" : "",
                        spec->nfpc);
    if ((unsigned)spec->lonely > WFS_LONELY_REMOVE)
        return wfs_fail(err, WFS_EINVAL, "unknown lonely-PSU policy");
    size_t n = wfs_table_nrows(t);
    if (n == 0) return wfs_fail(err, WFS_EDESIGN, "the data have no rows");
    if (n >= UINT32_MAX) return wfs_fail(err, WFS_ELIMIT, "designs are limited to 4 billion rows");
    wfs_design *d = calloc(1, sizeof *d);
    if (!d) return wfs_nomem(err);
    d->t = t;
    d->n = n;
    d->lonely = spec->lonely;
    if ((rc = copy_spec(d, spec, err))) goto fail;

    /* Columns. */
    long wcol = -1, scol = -1, ccol[WFS_MAX_STAGES], fcol[WFS_MAX_STAGES];
    if (spec->weight && (wcol = need_numeric(t, spec->weight, "weight", err)) < 0) goto fail_err;
    if (spec->strata && (scol = need_column(t, spec->strata, "strata", err)) < 0) goto fail_err;
    for (size_t s = 0; s < spec->ncluster; s++)
        if ((ccol[s] = need_column(t, spec->cluster[s], "cluster", err)) < 0) goto fail_err;
    for (size_t s = 0; s < spec->nfpc; s++)
        if ((fcol[s] = need_numeric(t, spec->fpc[s], "fpc", err)) < 0) goto fail_err;

    /* Strata. */
    if (scol >= 0) {
        int32_t *codes = wfs_mallocarray(n, sizeof *codes);
        char **levels;
        size_t nl;
        if (!codes) goto nomem;
        if ((rc = wfs_table_group_codes(codes, &levels, &nl, t, (size_t)scol, err))) {
            free(codes);
            goto fail;
        }
        /* Keep only levels that occur, in order. */
        int32_t *remap = wfs_mallocarray(nl, sizeof *remap);
        d->stratum = wfs_mallocarray(n, sizeof *d->stratum);
        if (!remap || !d->stratum) {
            free(remap);
            free(codes);
            wfs_levels_free(levels, nl);
            goto nomem;
        }
        for (size_t k = 0; k < nl; k++) remap[k] = -1;
        for (size_t i = 0; i < n; i++) remap[codes[i]] = 0;
        size_t used = 0;
        for (size_t k = 0; k < nl; k++)
            if (remap[k] == 0) {
                remap[k] = (int32_t)used;
                levels[used++] = levels[k];
            } else {
                free(levels[k]);
            }
        for (size_t i = 0; i < n; i++) d->stratum[i] = (uint32_t)remap[codes[i]];
        free(remap);
        free(codes);
        d->stratum_label = levels;
        d->nstrata = used;
    } else {
        d->nstrata = 1;
    }

    /* Stages. */
    d->nstages = spec->ncluster ? spec->ncluster : 1;
    if (spec->ncluster == 0) {
        if ((rc = build_identity_level(d, err))) goto fail;
    } else {
        for (size_t s = 1; s <= spec->ncluster; s++) {
            const uint32_t *parent = s == 1 ? d->stratum : d->lev[s - 1].unit;
            size_t nparents = s == 1 ? d->nstrata : d->lev[s - 1].nunits;
            if ((rc = build_level(d, s, ccol[s - 1], parent, nparents, err))) goto fail;
        }
    }
    if (d->lev[1].nunits == 1)
        {
            rc = wfs_fail(err, WFS_EDESIGN,
                          "the design has only one primary sampling unit, so no variance can be "
                          "estimated");
            goto fail;
        }

    /* fpc: all counts (> 1 somewhere) or all fractions, never mixed. */
    if (spec->nfpc) {
        int any_big = 0, any_small = 0;
        size_t big_s = 0, big_i = 0, small_s = 0, small_i = 0;
        for (size_t s = 0; s < spec->nfpc; s++) {
            const double *f = wfs_table_numeric(t, (size_t)fcol[s]);
            for (size_t i = 0; i < n; i++) {
                /* A zero or negative fpc is neither kind; say so before
                 * it can be taken for a fraction in a mixture. */
                if (!(f[i] > 0) || !isfinite(f[i])) {
                    rc = wfs_fail(err, WFS_EDESIGN, "fpc \"%s\" must be positive (row %zu has %g)",
                                  spec->fpc[s], i + 1, f[i]);
                    goto fail;
                }
                if (f[i] > 1 && !any_big) {
                    any_big = 1;
                    big_s = s;
                    big_i = i;
                }
                if (f[i] < 1 && !any_small) {
                    any_small = 1;
                    small_s = s;
                    small_i = i;
                }
            }
        }
        if (any_big && any_small) {
            const double *fb = wfs_table_numeric(t, (size_t)fcol[big_s]);
            const double *fs = wfs_table_numeric(t, (size_t)fcol[small_s]);
            rc = wfs_fail(err, WFS_EDESIGN,
                          "fpc mixes population counts (> 1: \"%s\" is %g in row %zu) and sampling "
                          "fractions (< 1: \"%s\" is %g in row %zu); use one kind for every stage",
                          spec->fpc[big_s], fb[big_i], big_i + 1, spec->fpc[small_s],
                          fs[small_i], small_i + 1);
            goto fail;
        }
        for (size_t s = 1; s <= spec->nfpc; s++)
            if ((rc = apply_fpc(d, s, fcol[s - 1], any_big, err))) goto fail;
        d->has_fpc = 1;
    }
    d->acc_level = d->has_fpc && d->nstages > 1 ? d->nstages : 1;

    /* Weights. */
    d->w = wfs_mallocarray(n, sizeof *d->w);
    if (!d->w) goto nomem;
    if (wcol >= 0) {
        const double *w = wfs_table_numeric(t, (size_t)wcol);
        for (size_t i = 0; i < n; i++) {
            if (!(w[i] >= 0) || !isfinite(w[i])) {
                rc = wfs_fail(err, WFS_EDESIGN,
                              "weight \"%s\" must be zero or positive and finite (row %zu has %g)",
                              spec->weight, i + 1, w[i]);
                goto fail;
            }
            d->w[i] = w[i];
        }
    } else if (d->has_fpc) {
        /* R: weights = product over stages of N/n. */
        for (size_t i = 0; i < n; i++) {
            double w = 1;
            for (size_t s = 1; s <= d->nstages; s++) {
                size_t p = s == 1 ? (d->stratum ? d->stratum[i] : 0)
                                  : (d->lev[s - 1].unit ? d->lev[s - 1].unit[i] : i);
                w *= d->lev[s].popsize[p] / (double)d->lev[s].count[p];
            }
            d->w[i] = w;
        }
        d->weights_from_fpc = 1;
    } else {
        for (size_t i = 0; i < n; i++) d->w[i] = 1;
    }
    d->sumw = wfs_sum(d->w, n);
    if (!(d->sumw > 0)) {
        rc = wfs_fail(err, WFS_EDESIGN, "every weight is zero");
        goto fail;
    }
    if ((rc = check_lonely(d, err))) goto fail;
    d->df = wfs_domain_df(d, NULL);
    if ((rc = describe(d))) goto nomem;
    d->variance_name = wfs_strdup("linearization");
    if (!d->variance_name) goto nomem;
    *out = d;
    return 0;
nomem:
    rc = wfs_nomem(err);
    goto fail;
fail_err:
    rc = err ? err->code : WFS_EDESIGN;
fail:
    wfs_design_free(d);
    return rc;
}

static int copy_level(wfs_level *dst, const wfs_level *src, size_t nrows, size_t nparents)
{
    memset(dst, 0, sizeof *dst);
    dst->nunits = src->nunits;
    if (src->unit) {
        dst->unit = wfs_mallocarray(nrows, sizeof *dst->unit);
        if (!dst->unit) return -1;
        memcpy(dst->unit, src->unit, nrows * sizeof *dst->unit);
    }
    dst->parent = wfs_mallocarray(src->nunits, sizeof *dst->parent);
    dst->count = wfs_mallocarray(nparents, sizeof *dst->count);
    dst->popsize = wfs_mallocarray(nparents, sizeof *dst->popsize);
    if (!dst->parent || !dst->count || !dst->popsize) return -1;
    memcpy(dst->parent, src->parent, src->nunits * sizeof *dst->parent);
    memcpy(dst->count, src->count, nparents * sizeof *dst->count);
    memcpy(dst->popsize, src->popsize, nparents * sizeof *dst->popsize);
    return 0;
}

int wfs_design_copy(wfs_design **out, const wfs_design *src, wfs_error *err)
{
    *out = NULL;
    wfs_design *d = calloc(1, sizeof *d);
    if (!d) return wfs_nomem(err);
    *d = *src;
    memset(d->names, 0, sizeof d->names);
    d->w = NULL;
    d->stratum = NULL;
    d->stratum_label = NULL;
    memset(d->lev, 0, sizeof d->lev);
    d->describe = d->variance_name = NULL;
    d->cal = NULL;
    d->rep = NULL;
    if (src->cal && !(d->cal = src->cal_ops->copy(src->cal))) goto nomem;
    if (src->rep && !(d->rep = wfs_repw_copy(src->rep, src->n))) goto nomem;
    if (copy_spec(d, &src->spec, err)) goto nomem;
    d->w = wfs_mallocarray(d->n, sizeof *d->w);
    if (!d->w) goto nomem;
    memcpy(d->w, src->w, d->n * sizeof *d->w);
    if (src->stratum) {
        d->stratum = wfs_mallocarray(d->n, sizeof *d->stratum);
        if (!d->stratum) goto nomem;
        memcpy(d->stratum, src->stratum, d->n * sizeof *d->stratum);
    }
    if (src->stratum_label) {
        d->stratum_label = wfs_callocarray(d->nstrata, sizeof *d->stratum_label);
        if (!d->stratum_label) goto nomem;
        for (size_t h = 0; h < d->nstrata; h++)
            if (!(d->stratum_label[h] = wfs_strdup(src->stratum_label[h]))) goto nomem;
    }
    for (size_t s = 1; s <= d->nstages; s++) {
        size_t nparents = s == 1 ? d->nstrata : src->lev[s - 1].nunits;
        if (copy_level(&d->lev[s], &src->lev[s], d->n, nparents)) goto nomem;
    }
    d->describe = wfs_strdup(src->describe);
    d->variance_name = wfs_strdup(src->variance_name);
    if (!d->describe || !d->variance_name) goto nomem;
    *out = d;
    return 0;
nomem:
    wfs_design_free(d);
    return wfs_nomem(err);
}

const wfs_table *wfs_design_table(const wfs_design *d) { return d->t; }
size_t wfs_design_nrows(const wfs_design *d) { return d->n; }
size_t wfs_design_nstrata(const wfs_design *d) { return d->nstrata; }
size_t wfs_design_npsu(const wfs_design *d) { return d->lev[1].nunits; }
size_t wfs_design_nstages(const wfs_design *d) { return d->nstages; }
double wfs_design_df(const wfs_design *d) { return d->df; }
double wfs_design_sum_weights(const wfs_design *d) { return d->sumw; }
const double *wfs_design_weights(const wfs_design *d) { return d->w; }
wfs_lonely wfs_design_lonely(const wfs_design *d) { return d->lonely; }
int wfs_design_has_fpc(const wfs_design *d) { return d->has_fpc; }
const char *wfs_design_describe(const wfs_design *d) { return d->describe; }
const wfs_design_spec *wfs_design_spec_of(const wfs_design *d) { return &d->spec; }
const char *wfs_design_variance_name(const wfs_design *d) { return d->variance_name; }

int wfs_design_set_lonely(wfs_design *d, wfs_lonely l, wfs_error *err)
{
    if ((unsigned)l > WFS_LONELY_REMOVE) return wfs_fail(err, WFS_EINVAL, "unknown lonely-PSU policy");
    wfs_lonely old = d->lonely;
    d->lonely = l;
    int rc = check_lonely(d, err);
    if (rc) d->lonely = old;
    return rc;
}
