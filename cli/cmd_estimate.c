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
    if (rc) {
        wfs_result_free(r);
        return cli_error(s, "out of memory");
    }
    return cli_emit(s, r);
}

int cmd_design(session *s, const cmdline *cl)
{
    dataset *d = cli_need_dataset(s);
    if (!d) return 1;
    if (cl->npos) {
        s->errpos = (long)cl->pos[0]->pos;
        return cli_error(s, "design takes key=value options, e.g. design weight=w strata=region "
                            "cluster=council");
    }
    int srs = cli_flag(cl, "srs");
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
