/* cmd_weight.c - the weighting commands: poststratify, rake, calibrate,
 * trim, nonresponse, weights.
 *
 * Handlers turn the command line into margins and options for libwfstat.
 * A weighting command that succeeds replaces the active dataset's design
 * with the weighted one and prints the library's report; one that fails
 * leaves the previous weights in force.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_weight.h"
#include "wfs-private.h"

/* Option keys of the weighting commands; any other key is a margin. A
 * backtick-quoted key is always a variable. */
static int is_option_key(const cmdopt *o, const char *const *keys)
{
    if (o->key->quoted) return 0;
    for (; *keys; keys++)
        if (strcmp(o->key->text, *keys) == 0) return 1;
    return 0;
}

static int parse_number(const token *t, double *x)
{
    if (t->kind != TK_NUMBER) return -1;
    char *end;
    *x = strtod(t->text, &end);
    return *end ? -1 : 0;
}

/* Positional arguments: variable names (crossed with '*') and `using
 * "file"`. Fills vars (at most 8) and *file. */
static int positional(session *s, const cmdline *cl, const char **vars, size_t *nvars,
                      const char **file, int allow_cross)
{
    *nvars = 0;
    *file = NULL;
    for (size_t i = 0; i < cl->npos; i++) {
        const token *t = cl->pos[i];
        if (t->kind == TK_NAME && !t->quoted && strcmp(t->text, "using") == 0) {
            if (i + 1 >= cl->npos || cl->pos[i + 1]->kind != TK_STRING) {
                s->errpos = (long)t->pos;
                return cli_error(s, "using needs a quoted file name: using \"margins.csv\"");
            }
            if (*file) {
                s->errpos = (long)t->pos;
                return cli_error(s, "using is given twice");
            }
            *file = cl->pos[++i]->text;
            continue;
        }
        if (t->kind == TK_PUNCT && strcmp(t->text, "*") == 0 && allow_cross && *nvars) continue;
        if (t->kind != TK_NAME) {
            s->errpos = (long)t->pos;
            return cli_error(s, "expected a variable name or using \"file.csv\"");
        }
        if (*nvars == 8) {
            s->errpos = (long)t->pos;
            return cli_error(s, "at most 8 variables");
        }
        vars[(*nvars)++] = t->text;
    }
    return 0;
}

/* Margins from VAR=LEVEL:N,... options (and NUM=TOTAL when numeric is
 * allowed) and from a file. */
static int build_margins(session *s, const cmdline *cl, const char *const *keys, int numeric,
                         const char *const *vars, size_t nvars, const char *file, int allow_empty,
                         wfs_margins **out)
{
    wfs_error err = WFS_ERROR_INIT;
    wfs_margins *m;
    *out = NULL;
    if (wfs_margins_new(&m, &err)) return cli_lib_error(s, &err);
    for (size_t k = 0; k < cl->nopts; k++) {
        const cmdopt *o = &cl->opts[k];
        if (is_option_key(o, keys)) continue;
        const char *var = o->key->text;
        if (o->nitems == 1 && !o->items[0].b) {
            double x;
            if (!numeric || parse_number(o->items[0].a, &x)) {
                s->errpos = (long)o->items[0].a->pos;
                wfs_margins_free(m);
                if (!numeric && o->items[0].a->kind == TK_NUMBER)
                    return cli_error(s,
                                     "%s=%s is a numeric total, but %s takes totals by level "
                                     "(%s=LEVEL:TOTAL,...); calibrate takes numeric totals",
                                     var, o->items[0].a->text, cl->name->text, var);
                if (numeric)
                    return cli_error(s,
                                     "%s= takes LEVEL:TOTAL pairs or, for a numeric variable, one "
                                     "total, e.g. %s=1200000",
                                     var, var);
                return cli_error(s,
                                 "%s= takes LEVEL:TOTAL pairs, e.g. %s=Manager:1200,\"Social "
                                 "worker\":3400",
                                 var, var);
            }
            if (wfs_margins_add_numeric(m, var, x, &err)) {
                wfs_margins_free(m);
                s->errpos = (long)o->key->pos;
                return cli_lib_error(s, &err);
            }
            continue;
        }
        for (size_t j = 0; j < o->nitems; j++) {
            const valitem *it = &o->items[j];
            double x;
            if (!it->b || parse_number(it->b, &x)) {
                s->errpos = (long)(it->b ? it->b->pos : it->a->pos);
                wfs_margins_free(m);
                return cli_error(s,
                                 "%s= takes LEVEL:TOTAL pairs separated by commas, e.g. "
                                 "%s=Manager:1200,\"Social worker\":3400",
                                 var, var);
            }
            if (wfs_margins_add(m, var, it->a->text, x, &err)) {
                wfs_margins_free(m);
                s->errpos = (long)it->a->pos;
                return cli_lib_error(s, &err);
            }
        }
    }
    if (file) {
        char *path = cli_resolve_input(s, file);
        if (!path) {
            wfs_margins_free(m);
            return cli_error(s, "out of memory");
        }
        int rc = wfs_margins_read_csv(m, path, vars, nvars, &err);
        free(path);
        if (rc) {
            wfs_margins_free(m);
            return cli_lib_error(s, &err);
        }
    } else if (nvars) {
        wfs_margins_free(m);
        s->errpos = (long)cl->pos[0]->pos;
        return cli_error(s, "variables without margins: give VAR=LEVEL:TOTAL,... or using "
                            "\"margins.csv\"");
    }
    if (wfs_margins_count(m) == 0 && !allow_empty) {
        wfs_margins_free(m);
        return cli_error(s, "%s needs margins: VAR=LEVEL:TOTAL,... or using \"margins.csv\"",
                         cl->name->text);
    }
    *out = m;
    return 0;
}

static int no_domain(session *s, const cmdline *cl)
{
    if (cl->nby || cl->if_text) {
        if (cl->by_kw) s->errpos = (long)cl->by_kw->pos;
        return cli_error(s, "%s applies to the whole dataset; it takes no by or if",
                         cl->name->text);
    }
    return 0;
}

static int common_options(session *s, const cmdline *cl, const dataset *d, wfs_weighting_options *o)
{
    *o = (wfs_weighting_options)WFS_WEIGHTING_OPTIONS_INIT;
    o->dataset = d->name;
    const cmdopt *op;
    double x;
    if ((op = cli_opt(cl, "maxit"))) {
        if (op->nitems != 1 || op->items[0].b || parse_number(op->items[0].a, &x) || !(x >= 1) ||
            x != floor(x) || x > 1e9) {
            s->errpos = (long)op->key->pos;
            return cli_error(s, "maxit= takes a positive whole number");
        }
        o->maxit = (size_t)x;
    }
    if ((op = cli_opt(cl, "epsilon"))) {
        if (op->nitems != 1 || op->items[0].b || parse_number(op->items[0].a, &x) ||
            !(x > 0 && x < 1)) {
            s->errpos = (long)op->key->pos;
            return cli_error(s, "epsilon= takes a relative tolerance between 0 and 1, e.g. 1e-8");
        }
        o->epsilon = x;
    }
    return 0;
}

/* Install the new design and print the report. */
static int install(session *s, dataset *d, wfs_design *nd, wfs_result *r)
{
    wfs_design_free(d->design);
    d->design = nd;
    if (!r) return 0;
    return cli_emit(s, r);
}

static const char *const keys_poststratify[] = {NULL};
static const char *const keys_rake[] = {"maxit", "epsilon", NULL};
static const char *const keys_calibrate[] = {"method", "bounds",  "population",
                                             "maxit",  "epsilon", NULL};

typedef int (*margins_run)(wfs_design **, wfs_result **, const wfs_design *, const wfs_margins *,
                           const wfs_weighting_options *, wfs_error *);

/* poststratify and rake: margins from the command line or a file, one
 * library call, the new design installed. cross: VAR*VAR allowed. */
static int margins_command(session *s, const cmdline *cl, int cross, const char *const *keys,
                           margins_run run)
{
    dataset *d = cli_need_design(s);
    if (!d || no_domain(s, cl)) return 1;
    const char *vars[8], *file;
    size_t nv;
    if (positional(s, cl, vars, &nv, &file, cross)) return 1;
    wfs_weighting_options o;
    if (common_options(s, cl, d, &o)) return 1;
    wfs_margins *m;
    if (build_margins(s, cl, keys, 0, vars, nv, file, 0, &m)) return 1;
    wfs_error err = WFS_ERROR_INIT;
    wfs_design *nd;
    wfs_result *r;
    o.control = &(wfs_control){&s->interrupt, NULL, NULL};
    int rc = run(&nd, &r, d->design, m, &o, &err);
    wfs_margins_free(m);
    if (rc) return cli_lib_error(s, &err);
    return install(s, d, nd, r);
}

int cmd_poststratify(session *s, const cmdline *cl)
{
    return margins_command(s, cl, 1, keys_poststratify, wfs_poststratify_run);
}

int cmd_rake(session *s, const cmdline *cl)
{
    return margins_command(s, cl, 0, keys_rake, wfs_rake_run);
}

int cmd_calibrate(session *s, const cmdline *cl)
{
    dataset *d = cli_need_design(s);
    if (!d || no_domain(s, cl)) return 1;
    const char *vars[8], *file;
    size_t nv;
    if (positional(s, cl, vars, &nv, &file, 0)) return 1;
    wfs_weighting_options o;
    if (common_options(s, cl, d, &o)) return 1;
    const char *method = cli_opt_text(cl, "method");
    if (method) o.calfun = (wfs_calfun)wfs_calfun_parse(method);
    const cmdopt *b = cli_opt(cl, "bounds");
    if (b) {
        double lh[2];
        int ok = b->nitems == 2;
        for (size_t k = 0; ok && k < 2; k++) {
            const token *t = b->items[k].a;
            if (b->items[k].b)
                ok = 0;
            else if (t->kind == TK_NAME && (!strcmp(t->text, "inf") || !strcmp(t->text, "Inf")))
                lh[k] = INFINITY;
            else
                ok = parse_number(t, &lh[k]) == 0;
        }
        if (!ok) {
            s->errpos = (long)b->key->pos;
            return cli_error(s, "bounds= takes LO,HI, bounds on g = new weight / old weight, e.g. "
                                "bounds=0.5,3");
        }
        if (isinf(lh[0])) {
            s->errpos = (long)b->key->pos;
            return cli_error(s, "bounds= takes LO,HI with a finite LO, e.g. bounds=0.5,3 or "
                                "bounds=0,inf");
        }
        o.bounds = WFS_BOUND_LOWER | (isfinite(lh[1]) ? WFS_BOUND_UPPER : 0);
        o.lower = lh[0];
        o.upper = lh[1];
    }
    const cmdopt *pop = cli_opt(cl, "population");
    if (pop) {
        double x;
        if (pop->nitems != 1 || pop->items[0].b || parse_number(pop->items[0].a, &x) || !(x > 0)) {
            s->errpos = (long)pop->key->pos;
            return cli_error(s, "population= takes the population size, a positive number");
        }
        o.population = x;
    }
    wfs_margins *m;
    /* population= alone is a valid request (a ratio adjustment). */
    if (build_margins(s, cl, keys_calibrate, 1, vars, nv, file, o.population > 0, &m)) return 1;
    wfs_error err = WFS_ERROR_INIT;
    wfs_design *nd;
    wfs_result *r;
    o.control = &(wfs_control){&s->interrupt, NULL, NULL};
    int rc = wfs_calibrate_run(&nd, &r, d->design, m, &o, &err);
    wfs_margins_free(m);
    if (rc) return cli_lib_error(s, &err);
    return install(s, d, nd, r);
}

int cmd_trim(session *s, const cmdline *cl)
{
    dataset *d = cli_need_design(s);
    if (!d || no_domain(s, cl)) return 1;
    if (cl->npos) {
        s->errpos = (long)cl->pos[0]->pos;
        return cli_error(s, "trim takes lower= and upper=, e.g. trim upper=25");
    }
    wfs_weighting_options o;
    if (common_options(s, cl, d, &o)) return 1;
    static const char *const names[2] = {"lower", "upper"};
    for (int k = 0; k < 2; k++) {
        const cmdopt *op = cli_opt(cl, names[k]);
        if (!op) continue;
        double x;
        if (op->nitems != 1 || op->items[0].b || parse_number(op->items[0].a, &x)) {
            s->errpos = (long)op->key->pos;
            return cli_error(s, "%s= takes a weight, e.g. trim lower=1 upper=25", names[k]);
        }
        if (k == 0) {
            o.lower = x;
            o.bounds |= WFS_BOUND_LOWER;
        } else {
            o.upper = x;
            o.bounds |= WFS_BOUND_UPPER;
        }
    }
    if (!o.bounds) return cli_error(s, "trim needs lower= or upper=, e.g. trim upper=25");
    wfs_error err = WFS_ERROR_INIT;
    wfs_design *nd;
    wfs_result *r;
    o.control = &(wfs_control){&s->interrupt, NULL, NULL};
    if (wfs_trim_run(&nd, &r, d->design, &o, &err)) return cli_lib_error(s, &err);
    return install(s, d, nd, r);
}

int cmd_nonresponse(session *s, const cmdline *cl)
{
    dataset *d = cli_need_design(s);
    if (!d || no_domain(s, cl)) return 1;
    if (cl->npos) {
        s->errpos = (long)cl->pos[0]->pos;
        return cli_error(s, "nonresponse takes respond=VAR cells=VAR[,VAR]");
    }
    const cmdopt *ro = cli_opt(cl, "respond"), *co = cli_opt(cl, "cells");
    if (!ro || !co) return cli_error(s, "nonresponse needs respond=VAR and cells=VAR[,VAR]");
    if (ro->nitems != 1 || ro->items[0].b || ro->items[0].a->kind != TK_NAME) {
        s->errpos = (long)ro->key->pos;
        return cli_error(s, "respond= takes one 0/1 variable (1 = responded)");
    }
    const char *cells[8];
    if (co->nitems > 8) {
        s->errpos = (long)co->key->pos;
        return cli_error(s, "cells= takes at most 8 variables");
    }
    for (size_t k = 0; k < co->nitems; k++) {
        if (co->items[k].b || co->items[k].a->kind != TK_NAME) {
            s->errpos = (long)co->items[k].a->pos;
            return cli_error(s, "cells= takes variable names separated by commas");
        }
        cells[k] = co->items[k].a->text;
    }
    wfs_weighting_options o = WFS_WEIGHTING_OPTIONS_INIT;
    o.dataset = d->name;
    wfs_error err = WFS_ERROR_INIT;
    wfs_design *nd;
    wfs_result *r;
    if (wfs_nonresponse_run(&nd, &r, d->design, ro->items[0].a->text, cells, co->nitems, &o, &err))
        return cli_lib_error(s, &err);
    return install(s, d, nd, r);
}

int cmd_weights(session *s, const cmdline *cl)
{
    dataset *d = cli_need_design(s);
    if (!d || no_domain(s, cl)) return 1;
    if (cl->npos) {
        s->errpos = (long)cl->pos[0]->pos;
        return cli_error(s, "weights takes no arguments");
    }
    wfs_weighting_options o = WFS_WEIGHTING_OPTIONS_INIT;
    o.dataset = d->name;
    wfs_error err = WFS_ERROR_INIT;
    wfs_result *r;
    if (wfs_weights_report(&r, d->design, &o, &err)) return cli_lib_error(s, &err);
    return cli_emit(s, r);
}
