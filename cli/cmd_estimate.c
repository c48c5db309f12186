/* cmd_estimate.c - the design command and the estimators: mean, total,
 * prop, ratio, quantile.
 *
 * Handlers only translate the command line into library options; every
 * number comes from libwfstat.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "wfs-private.h"

/* A comma list option (cluster=a,b) into names; at most max. */
static int opt_names(session *s, const cmdline *cl, const char *key, const char **names,
                     size_t *n, size_t max)
{
    const cmdopt *o = cli_opt(cl, key);
    *n = 0;
    if (!o) return 0;
    if (o->nitems > max) {
        s->errpos = (long)o->key->pos;
        return cli_error(s, "%s= takes at most %zu variables", key, max);
    }
    for (size_t k = 0; k < o->nitems; k++) {
        if (o->items[k].b || o->items[k].a->kind != TK_NAME) {
            s->errpos = (long)o->items[k].a->pos;
            return cli_error(s, "%s= takes variable names separated by commas", key);
        }
        names[(*n)++] = o->items[k].a->text;
    }
    return 0;
}

static int design_summary(session *s, dataset *d)
{
    wfs_error err = WFS_ERROR_INIT;
    wfs_result *r;
    if (wfs_result_new(&r, "design", d->name, &err)) return cli_lib_error(s, &err);
    wfs_result_set_layout(r, WFS_LAYOUT_FIELDS);
    const wfs_design *g = d->design;
    wfs_value v;
    int rc = 0;
    v = wfs_value_int((long long)wfs_design_nrows(g));
    rc |= wfs_result_add_field(r, "n", &v);
    v = wfs_value_int((long long)wfs_design_nstrata(g));
    rc |= wfs_result_add_field(r, "n_strata", &v);
    v = wfs_value_int((long long)wfs_design_npsu(g));
    rc |= wfs_result_add_field(r, "n_psu", &v);
    v = wfs_value_num(wfs_design_df(g));
    rc |= wfs_result_add_field(r, "df", &v);
    v = wfs_value_num(wfs_design_sum_weights(g));
    rc |= wfs_result_add_field(r, "sum_weights", &v);
    v = wfs_value_str(wfs_lonely_name(wfs_design_lonely(g)));
    rc |= wfs_result_add_field(r, "lonely", &v);
    v = wfs_value_str(wfs_design_describe(g));
    rc |= wfs_result_add_field(r, "description", &v);
    v = wfs_value_str(wfs_design_variance_name(g));
    rc |= wfs_result_add_field(r, "variance", &v);
    if (wfs_design_nreplicates(g)) {
        v = wfs_value_str(wfs_rep_type_name(wfs_design_rep_type(g)));
        rc |= wfs_result_add_field(r, "replicate_type", &v);
        v = wfs_value_int((long long)wfs_design_nreplicates(g));
        rc |= wfs_result_add_field(r, "replicates", &v);
        v = wfs_value_num(wfs_design_rep_scale(g));
        rc |= wfs_result_add_field(r, "scale", &v);
        if (wfs_design_rep_type(g) == WFS_REP_FAY) {
            v = wfs_value_num(wfs_design_rep_rho(g));
            rc |= wfs_result_add_field(r, "rho", &v);
        }
        v = wfs_value_bool(wfs_design_rep_mse(g));
        rc |= wfs_result_add_field(r, "mse", &v);
    }
    if (rc) {
        wfs_result_free(r);
        return cli_error(s, "out of memory");
    }
    return cli_emit(s, r);
}

/* The variables named by repweights=: a prefix with a star (rep*), a
 * range of columns (rep1-rep80, in file order), or a comma list. The value
 * is read from the command text, as * and - are operators elsewhere. */
static int repweight_names(session *s, const cmdline *cl, const wfs_table *t, const char ***names,
                           size_t *n)
{
    const cmdopt *o = cli_opt(cl, "repweights");
    *names = NULL;
    *n = 0;
    if (!o->nitems) return cli_error(s, "repweights= needs variables, e.g. repweights=repwt*");
    const char *txt = cl->text, *v = txt + o->items[0].a->pos;
    size_t len = 0;
    char spec[512];
    if (o->items[0].a->kind == TK_STRING) {
        snprintf(spec, sizeof spec, "%s", o->items[0].a->text);
    } else {
        while (v[len] && v[len] != ' ' && v[len] != '\t') len++;
        if (len >= sizeof spec) return cli_error(s, "repweights= is too long");
        memcpy(spec, v, len);
        spec[len] = '\0';
    }
    size_t nc = wfs_table_ncols(t);
    const char **out = malloc((nc ? nc : 1) * sizeof *out);
    if (!out) return cli_error(s, "out of memory");
    char *star = strchr(spec, '*'), *dash = strchr(spec, '-');
    if (star) {
        if (star[1] || strchr(spec, ',')) {
            free(out);
            return cli_error(s, "repweights=PREFIX* takes one prefix followed by *");
        }
        size_t pl = (size_t)(star - spec);
        for (size_t c = 0; c < nc; c++)
            if (strncmp(wfs_table_name(t, c), spec, pl) == 0) out[(*n)++] = wfs_table_name(t, c);
        if (!*n) {
            free(out);
            return cli_error(s, "repweights=%s matches no variable of %s", spec,
                             wfs_table_source(t) ? wfs_table_source(t) : "the dataset");
        }
    } else if (dash) {
        *dash = '\0';
        long a = wfs_table_find(t, spec), b = wfs_table_find(t, dash + 1);
        if (a < 0 || b < 0) {
            const char *bad = a < 0 ? spec : dash + 1;
            free(out);
            return cli_error(s, "repweights=: no variable \"%s\"", bad);
        }
        if (b < a) {
            free(out);
            return cli_error(s, "repweights=%s-%s: %s comes after %s in the dataset", spec,
                             dash + 1, spec, dash + 1);
        }
        for (long c = a; c <= b; c++) out[(*n)++] = wfs_table_name(t, (size_t)c);
    } else {
        for (size_t k = 0; k < o->nitems && *n < nc; k++) out[(*n)++] = o->items[k].a->text;
    }
    *names = out;
    return 0;
}

/* Numbers of rscales=: a comma list, or a numeric variable whose first R
 * values are taken. */
static int rscales_values(session *s, const cmdline *cl, const wfs_table *t, size_t R,
                          double **vals, size_t *n)
{
    const cmdopt *o = cli_opt(cl, "rscales");
    *vals = NULL;
    *n = 0;
    if (!o) return 0;
    if (!o->nitems) return cli_error(s, "rscales= needs numbers or a variable");
    double *v = malloc((o->nitems > R ? o->nitems : R) * sizeof *v);
    if (!v) return cli_error(s, "out of memory");
    if (o->nitems == 1 && o->items[0].a->kind == TK_NAME) {
        long c = wfs_table_find(t, o->items[0].a->text);
        if (c < 0 || wfs_table_type(t, (size_t)c) != WFS_NUMERIC) {
            free(v);
            return cli_error(s, "rscales=%s: not a numeric variable", o->items[0].a->text);
        }
        const double *x = wfs_table_numeric(t, (size_t)c);
        if (wfs_table_nrows(t) < R) {
            free(v);
            return cli_error(s, "rscales=%s: needs %zu values", o->items[0].a->text, R);
        }
        for (size_t k = 0; k < R; k++) {
            if (isnan(x[k])) {
                free(v);
                return cli_error(s, "rscales=%s: value %zu is missing", o->items[0].a->text,
                                 k + 1);
            }
            v[k] = x[k];
        }
        *n = R;
    } else {
        for (size_t k = 0; k < o->nitems; k++) {
            char *end;
            v[k] = strtod(o->items[k].a->text, &end);
            if (o->items[k].a->kind != TK_NUMBER || *end) {
                s->errpos = (long)o->items[k].a->pos;
                free(v);
                return cli_error(s, "rscales= takes numbers separated by commas, or a variable");
            }
        }
        *n = o->nitems;
    }
    *vals = v;
    return 0;
}

static int opt_number(session *s, const cmdline *cl, const char *key, double *out)
{
    const char *v = cli_opt_text(cl, key);
    if (!v) return 0;
    char *end;
    double x = strtod(v, &end);
    if (*end || !isfinite(x)) {
        s->errpos = (long)cli_opt(cl, key)->items[0].a->pos;
        return cli_error(s, "%s= takes a number", key);
    }
    *out = x;
    return 0;
}

/* design weight=W repweights=... type=...: replicate weights supplied with
 * the data (R's svrepdesign). */
static int design_replicate(session *s, dataset *d, const cmdline *cl)
{
    const cmdopt *ro = cli_opt(cl, "repweights");
    size_t rstart = ro->nitems ? ro->items[0].a->pos : 0, rend = rstart;
    while (cl->text[rend] && cl->text[rend] != ' ' && cl->text[rend] != '\t') rend++;
    for (size_t k = 0; k < cl->npos; k++)
        if (cl->pos[k]->pos < rstart || cl->pos[k]->pos >= rend) {
            s->errpos = (long)cl->pos[k]->pos;
            return cli_error(s, "design takes key=value options");
        }
    static const char *const taylor_only[] = {"strata", "cluster", "fpc", "lonely"};
    for (size_t k = 0; k < sizeof taylor_only / sizeof *taylor_only; k++)
        if (cli_opt(cl, taylor_only[k]))
            return cli_error(s, "%s= does not go with repweights=: replicate weights carry the "
                                "design",
                             taylor_only[k]);
    wfs_repweights_spec spec = WFS_REPWEIGHTS_SPEC_INIT;
    const char *one[1];
    size_t n1;
    if (opt_names(s, cl, "weight", one, &n1, 1)) return 1;
    spec.weight = n1 ? one[0] : NULL;
    const char *type = cli_opt_text(cl, "type");
    if (!type)
        return cli_error(s, "repweights= needs type=jk1|jkn|brr|fay|bootstrap|sdr");
    int ty = wfs_rep_type_parse(type);
    if (ty < 0) {
        s->errpos = (long)cli_opt(cl, "type")->items[0].a->pos;
        return cli_error(s, "type=%s: expected jk1, jkn, brr, fay, bootstrap or sdr", type);
    }
    spec.type = (wfs_rep_type)ty;
    if (opt_number(s, cl, "scale", &spec.scale)) return 1;
    if (opt_number(s, cl, "rho", &spec.rho)) return 1;
    if (opt_number(s, cl, "df", &spec.df)) return 1;
    spec.mse = cli_flag(cl, "mse");
    if (!spec.weight) cli_warn(s, "no weight= given: the full-sample weights are taken as 1");
    const char **names = NULL;
    size_t nn = 0;
    double *rs = NULL;
    size_t nrs = 0;
    if (repweight_names(s, cl, d->table, &names, &nn)) return 1;
    if (rscales_values(s, cl, d->table, nn, &rs, &nrs)) {
        free(names);
        return 1;
    }
    spec.columns = names;
    spec.ncolumns = nn;
    spec.rscales = rs;
    spec.nrscales = nrs;
    wfs_error err = WFS_ERROR_INIT;
    wfs_design *g;
    int rc = wfs_design_new_replicate(&g, d->table, &spec, &err);
    free(names);
    free(rs);
    if (rc) return cli_lib_error(s, &err);
    wfs_design_free(d->design);
    d->design = g;
    free(d->design_cmd);
    d->design_cmd = wfs_strdup(s->cmdtext);
    return design_summary(s, d);
}

int cmd_replicate(session *s, const cmdline *cl)
{
    dataset *d = cli_need_dataset(s);
    if (!d) return 1;
    if (!d->design)
        return cli_error(s, "declare the design first (design weight=... strata=... "
                            "cluster=...), then create its replicate weights");
    if (cl->npos != 1 || cl->pos[0]->kind != TK_NAME)
        return cli_error(s, "replicate takes one method: jk1, jkn, brr, fay or bootstrap");
    wfs_replicate_options o = WFS_REPLICATE_OPTIONS_INIT;
    int ty = wfs_rep_type_parse(cl->pos[0]->text);
    if (ty < 0 || ty == WFS_REP_SDR) {
        s->errpos = (long)cl->pos[0]->pos;
        return cli_error(s, "replicate %s: expected jk1, jkn, brr, fay or bootstrap",
                         cl->pos[0]->text);
    }
    o.type = (wfs_rep_type)ty;
    if (opt_number(s, cl, "rho", &o.rho)) return 1;
    if (cli_opt(cl, "rho") && o.type != WFS_REP_FAY)
        return cli_error(s, "rho= is Fay's coefficient: use it with replicate fay");
    double x = 0;
    if (opt_number(s, cl, "reps", &x)) return 1;
    if (cli_opt(cl, "reps")) {
        if (o.type != WFS_REP_BOOTSTRAP)
            return cli_error(s, "reps= sets the number of bootstrap replicates; jackknife and "
                                "BRR replicates are fixed by the design");
        if (!(x >= 2 && x <= 100000 && x == floor(x)))
            return cli_error(s, "reps= takes a whole number from 2 to 100000");
        o.reps = (size_t)x;
    }
    if (opt_number(s, cl, "seed", &x)) return 1;
    if (cli_opt(cl, "seed")) {
        if (!(x >= 0 && x == floor(x) && x < 4294967296.0))
            return cli_error(s, "seed= takes a whole number from 0 to 4294967295");
        o.seed = (unsigned long)x;
    }
    o.mse = cli_flag(cl, "mse");
    wfs_error err = WFS_ERROR_INIT;
    wfs_design *g;
    if (wfs_replicate_design(&g, d->design, &o, &err)) return cli_lib_error(s, &err);
    if (o.type == WFS_REP_BRR || o.type == WFS_REP_FAY) {
        if (wfs_design_has_fpc(d->design))
            cli_warn(s, "the finite population correction is dropped for BRR and Fay (as R)");
    }
    wfs_design_free(d->design);
    d->design = g;
    return design_summary(s, d);
}

int cmd_design(session *s, const cmdline *cl)
{
    dataset *d = cli_need_dataset(s);
    if (!d) return 1;
    int srs = cli_flag(cl, "srs");
    if (cli_opt(cl, "repweights")) return design_replicate(s, d, cl);
    if (cl->npos) {
        s->errpos = (long)cl->pos[0]->pos;
        return cli_error(s, "design takes key=value options, e.g. design weight=w strata=region "
                            "cluster=council");
    }
    static const char *const rep_only[] = {"type", "scale", "rscales", "rho", "mse"};
    for (size_t k = 0; k < sizeof rep_only / sizeof *rep_only; k++)
        if (cli_opt(cl, rep_only[k]) || cli_flag(cl, rep_only[k]))
            return cli_error(s, "%s= belongs to replicate weights: give repweights= too, or "
                                "create replicates with the replicate command",
                             rep_only[k]);
    if (cli_opt(cl, "df"))
        return cli_error(s, "df= belongs to replicate weights (repweights=); a Taylor design's df "
                            "is PSUs minus strata");
    if (!cl->nopts && !srs && !cli_flag(cl, "equal")) {
        if (!d->design)
            return cli_error(s, "dataset %s has no design yet; declare one, e.g. design weight=w "
                                "strata=region cluster=council",
                             d->name);
        return design_summary(s, d);
    }
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    const char *one[1];
    size_t n1;
    if (opt_names(s, cl, "weight", one, &n1, 1)) return 1;
    spec.weight = n1 ? one[0] : NULL;
    if (opt_names(s, cl, "strata", one, &n1, 1)) return 1;
    spec.strata = n1 ? one[0] : NULL;
    if (opt_names(s, cl, "cluster", spec.cluster, &spec.ncluster, WFS_MAX_STAGES)) return 1;
    if (opt_names(s, cl, "fpc", spec.fpc, &spec.nfpc, WFS_MAX_STAGES)) return 1;
    spec.lonely = s->set.lonely;
    const char *lonely = cli_opt_text(cl, "lonely");
    if (lonely) spec.lonely = (wfs_lonely)wfs_lonely_parse(lonely);
    if (srs && (spec.weight || spec.strata || spec.ncluster || spec.nfpc)) {
        s->errpos = (long)cl->opts[0].key->pos;
        return cli_error(s, "design srs takes no weight, strata, cluster or fpc");
    }
    int equal = cli_flag(cl, "equal");
    if (equal && (srs || spec.weight || spec.nfpc)) {
        s->errpos = (long)cl->name->pos;
        return cli_error(s, "design equal gives every row weight 1; it takes no weight, fpc or srs");
    }
    if (!srs && !equal && !spec.weight && !spec.nfpc)
        cli_warn(s, "no weight= or fpc= given: every row gets weight 1 (say design srs for a "
                    "simple random sample)");
    wfs_error err = WFS_ERROR_INIT;
    wfs_design *g;
    if (wfs_design_new(&g, d->table, &spec, &err)) return cli_lib_error(s, &err);
    wfs_design_free(d->design);
    d->design = g;
    free(d->design_cmd);
    d->design_cmd = wfs_strdup(s->cmdtext);
    return design_summary(s, d);
}

int cli_est_options(session *s, const cmdline *cl, const dataset *d, wfs_est_options *o,
                    const char **by, size_t maxby, int quantile)
{
    *o = (wfs_est_options)WFS_EST_OPTIONS_INIT;
    o->dataset = d->name;
    o->level = s->set.level;
    o->df = isnan(s->set.df) ? 0 : s->set.df;
    int ci = wfs_ci_parse(s->set.ci);
    o->ci = ci < 0 ? WFS_CI_LOGIT : (wfs_ci_method)ci;
    o->control = NULL;
    const char *v;
    char *end;
    if ((v = cli_opt_text(cl, "level"))) {
        double l = strtod(v, &end);
        if (*end || !(l > 0 && l < 1)) {
            s->errpos = (long)cli_opt(cl, "level")->items[0].a->pos;
            return cli_error(s, "level= takes a confidence level between 0 and 1, e.g. 0.9");
        }
        o->level = l;
    }
    if ((v = cli_opt_text(cl, "df"))) {
        if (strcmp(v, "design") == 0) o->df = 0;
        else if (strcmp(v, "inf") == 0 || strcmp(v, "Inf") == 0) o->df = INFINITY;
        else {
            double df = strtod(v, &end);
            if (*end || !(df > 0)) {
                s->errpos = (long)cli_opt(cl, "df")->items[0].a->pos;
                return cli_error(s, "df= takes design, inf or a positive number");
            }
            o->df = df;
        }
    }
    if ((v = cli_opt_text(cl, "ci"))) {
        o->ci = (wfs_ci_method)wfs_ci_parse(v);
        o->ci_set = 1;
    } else if (quantile) {
        o->ci = WFS_CI_WALD;
    }
    const cmdopt *deff = cli_opt(cl, "deff");
    if (deff || cli_flag(cl, "deff")) {
        o->deff = WFS_DEFF_YES;
        if (deff && deff->nitems) {
            const char *dv = deff->items[0].a->text;
            if (strcmp(dv, "replace") == 0) o->deff = WFS_DEFF_REPLACE;
            else if (strcmp(dv, "no") == 0 || strcmp(dv, "off") == 0) o->deff = WFS_DEFF_NONE;
        }
    }
    if (cl->nby > maxby) {
        s->errpos = (long)cl->by[maxby]->pos;
        return cli_error(s, "at most %zu by variables", maxby);
    }
    for (size_t k = 0; k < cl->nby; k++) by[k] = cl->by[k]->text;
    o->by = by;
    o->nby = cl->nby;
    o->filter = cl->if_text;
    s->cmd_offset = cl->if_pos;
    return 0;
}

/* Positional variable names of an estimator. */
static int est_vars(session *s, const cmdline *cl, const char ***vars, size_t *n, const char *cmd)
{
    if (!cl->npos) return cli_error(s, "%s needs a variable, e.g. %s caseload", cmd, cmd);
    *vars = malloc(cl->npos * sizeof **vars);
    if (!*vars) return cli_error(s, "out of memory");
    for (size_t k = 0; k < cl->npos; k++) {
        if (cl->pos[k]->kind != TK_NAME) {
            free(*vars);
            s->errpos = (long)cl->pos[k]->pos;
            return cli_error(s, "expected a variable name");
        }
        (*vars)[k] = cl->pos[k]->text;
    }
    *n = cl->npos;
    return 0;
}

static int finish(session *s, int rc, wfs_result *r, const wfs_error *err)
{
    if (rc) return cli_lib_error(s, err);
    s->cmd_offset = 0;
    return cli_emit(s, r);
}

static int mean_total(session *s, const cmdline *cl, int total)
{
    dataset *d = cli_need_design(s);
    if (!d) return 1;
    const char **vars, *by[8];
    size_t nv;
    wfs_est_options o;
    if (cli_est_options(s, cl, d, &o, by, 8, 0)) return 1;
    if (est_vars(s, cl, &vars, &nv, total ? "total" : "mean")) return 1;
    wfs_error err = WFS_ERROR_INIT;
    wfs_result *r = NULL;
    o.control = &(wfs_control){&s->interrupt, NULL, NULL};
    int rc = total ? wfs_total(&r, d->design, vars, nv, &o, &err)
                   : wfs_mean(&r, d->design, vars, nv, &o, &err);
    free(vars);
    return finish(s, rc, r, &err);
}

int cmd_mean(session *s, const cmdline *cl) { return mean_total(s, cl, 0); }
int cmd_total(session *s, const cmdline *cl) { return mean_total(s, cl, 1); }

int cmd_prop(session *s, const cmdline *cl)
{
    dataset *d = cli_need_design(s);
    if (!d) return 1;
    const char *by[8];
    wfs_est_options o;
    if (cli_est_options(s, cl, d, &o, by, 8, 0)) return 1;
    if (cl->npos != 1 || cl->pos[0]->kind != TK_NAME) {
        if (cl->npos > 1) s->errpos = (long)cl->pos[1]->pos;
        return cli_error(s, "prop takes one variable, e.g. prop training_needs_met by role");
    }
    wfs_error err = WFS_ERROR_INIT;
    wfs_result *r = NULL;
    o.control = &(wfs_control){&s->interrupt, NULL, NULL};
    int rc = wfs_prop(&r, d->design, cl->pos[0]->text, &o, &err);
    return finish(s, rc, r, &err);
}

int cmd_ratio(session *s, const cmdline *cl)
{
    dataset *d = cli_need_design(s);
    if (!d) return 1;
    const char *by[8];
    wfs_est_options o;
    if (cli_est_options(s, cl, d, &o, by, 8, 0)) return 1;
    if (cl->npos != 3 || cl->pos[0]->kind != TK_NAME || cl->pos[1]->kind != TK_PUNCT ||
        strcmp(cl->pos[1]->text, "/") != 0 || cl->pos[2]->kind != TK_NAME) {
        if (cl->npos) s->errpos = (long)cl->pos[0]->pos;
        return cli_error(s, "ratio takes NUMERATOR / DENOMINATOR, e.g. ratio agency_fte / "
                            "qualified_sw_fte");
    }
    wfs_error err = WFS_ERROR_INIT;
    wfs_result *r = NULL;
    o.control = &(wfs_control){&s->interrupt, NULL, NULL};
    int rc = wfs_ratio(&r, d->design, cl->pos[0]->text, cl->pos[2]->text, &o, &err);
    return finish(s, rc, r, &err);
}

int cmd_quantile(session *s, const cmdline *cl)
{
    dataset *d = cli_need_design(s);
    if (!d) return 1;
    const char **vars, *by[8];
    size_t nv;
    wfs_est_options o;
    if (cli_est_options(s, cl, d, &o, by, 8, 1)) return 1;
    double ps[64];
    const cmdopt *po = cli_opt(cl, "p");
    if (po) {
        if (po->nitems > 64) return cli_error(s, "p= takes at most 64 probabilities");
        for (size_t k = 0; k < po->nitems; k++) {
            char *end;
            const token *t = po->items[k].a;
            ps[k] = strtod(t->text, &end);
            if (t->kind != TK_NUMBER || *end || po->items[k].b || !(ps[k] >= 0 && ps[k] <= 1)) {
                s->errpos = (long)t->pos;
                return cli_error(s, "p= takes probabilities between 0 and 1, e.g. p=0.1,0.5,0.9");
            }
        }
        o.p = ps;
        o.np = po->nitems;
    }
    const char *q = cli_opt_text(cl, "qrule");
    if (q) o.qrule = (wfs_qrule)wfs_qrule_parse(q);
    if (est_vars(s, cl, &vars, &nv, "quantile")) return 1;
    wfs_error err = WFS_ERROR_INIT;
    wfs_result *r = NULL;
    o.control = &(wfs_control){&s->interrupt, NULL, NULL};
    int rc = wfs_quantile(&r, d->design, vars, nv, &o, &err);
    free(vars);
    return finish(s, rc, r, &err);
}
