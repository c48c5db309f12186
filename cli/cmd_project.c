/* cmd_project.c - the project command: workforce projections from a model
 * file, with parameter overrides given directly or taken from the last
 * survey estimate. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "wfs-private.h"

const cli_option cli_project_options[] = {
    {"years", OPT_VALUE, NULL, "10", "years to project, 1 to 200"},
    {"sims", OPT_VALUE, NULL, "0",
     "draws of the parameters that have an se, 10 to 1000000 (0: none)"},
    {"seed", OPT_VALUE, NULL, "1", "seed of the simulations"},
    {"scenario", OPT_VALUE, NULL, "base", "apply the rows of this scenario of the model"},
    {"plot", OPT_FLAG_OR_VALUE, NULL, "all", "draw a fan chart of the headcount of a role"},
    {NULL, 0, NULL, NULL, NULL}};

/* A whole number option within [lo, hi]; *out keeps its default when the
 * option is absent. */
static int whole_option(session *s, const cmdline *cl, const char *key, unsigned long long lo,
                        unsigned long long hi, unsigned long long *out)
{
    const cmdopt *o = cli_opt(cl, key);
    if (!o) return 0;
    const char *v = cli_opt_text(cl, key);
    s->errpos = (long)o->key->pos;
    if (!v) return cli_error(s, "%s= takes one whole number", key);
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (*end || errno || v[0] == '-' || x < lo || x > hi)
        return cli_error(s, "%s=%s: give a whole number from %llu to %llu", key, v, lo, hi);
    s->errpos = -1;
    *out = x;
    return 0;
}

/* Split "leaver_rate[Social worker,55-64]" into the parameter, the role and
 * the band (NULL when empty). Quotes around either are dropped. Returns
 * nonzero with msg set when the key is malformed. */
static int split_key(char *key, char **param, char **role, char **band, char *msg, size_t msgsz)
{
    char *lb = strchr(key, '['), *rb = strrchr(key, ']');
    if (!lb || !rb || rb[1] != '\0' || rb < lb) {
        snprintf(msg, msgsz, "%s: write an override as PARAMETER[ROLE] or PARAMETER[ROLE,BAND]",
                 key);
        return -1;
    }
    *lb = '\0';
    *rb = '\0';
    *param = key;
    char *parts[2] = {lb + 1, NULL};
    int inq = 0;
    for (char *p = lb + 1; *p; p++) {
        if (*p == '"') inq = !inq;
        if (*p == ',' && !inq) {
            if (parts[1]) {
                snprintf(msg, msgsz, "%s[...]: give a role and at most one age band", key);
                return -1;
            }
            *p = '\0';
            parts[1] = p + 1;
        }
    }
    for (int k = 0; k < 2; k++) {
        char *p = parts[k];
        if (!p) continue;
        while (*p == ' ') p++;
        size_t n = strlen(p);
        while (n && p[n - 1] == ' ') p[--n] = '\0';
        if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
            p[n - 1] = '\0';
            p++;
        }
        parts[k] = *p ? p : NULL;
    }
    *role = parts[0];
    *band = parts[1];
    return 0;
}

/* Apply one PARAM[ROLE]=... override to the model. */
static int apply_override(session *s, wfs_model *m, const cmdopt *o)
{
    char msg[512];
    char *key = wfs_strdup(o->key->text);
    if (!key) return cli_error(s, "out of memory");
    char *param, *role, *band;
    s->errpos = (long)o->key->pos;
    if (split_key(key, &param, &role, &band, msg, sizeof msg)) {
        free(key);
        return cli_error(s, "%s", msg);
    }
    int rc = 0;
    wfs_error err = WFS_ERROR_INIT;
    const token *a = o->nitems == 1 ? o->items[0].a : NULL, *b = a ? o->items[0].b : NULL;
    if (a && a->kind == TK_NAME && !a->quoted && strcmp(a->text, "last") == 0) {
        if (wfs_model_set_from_result(m, param, role, band, s->last, b ? b->text : NULL, &err))
            rc = cli_lib_error(s, &err);
    } else if (a && a->kind == TK_NUMBER && (!b || b->kind == TK_NUMBER)) {
        double value = strtod(a->text, NULL), se = b ? strtod(b->text, NULL) : 0;
        if (wfs_model_set(m, param, role, band, value, se, &err)) rc = cli_lib_error(s, &err);
    } else {
        rc = cli_error(s,
                       "%s= takes VALUE, VALUE:SE or last (the last survey estimate), "
                       "e.g. %s=0.15:0.02",
                       o->key->text, o->key->text);
    }
    free(key);
    s->errpos = -1;
    return rc;
}

int cmd_project(session *s, const cmdline *cl)
{
    const char *path = NULL;
    for (size_t i = 0; i < cl->npos; i++) {
        const token *t = cl->pos[i];
        if (t->kind == TK_STRING && !path) {
            path = t->text;
        } else {
            s->errpos = (long)t->pos;
            return cli_error(s, "project takes one quoted model file: project \"model.csv\" "
                                "years=10 (see help project)");
        }
    }
    if (!path) return cli_error(s, "project needs a model file: project \"model.csv\" years=10");
    /* Keys that are neither options nor PARAM[ROLE] overrides. */
    for (size_t k = 0; k < cl->nopts; k++) {
        const char *key = cl->opts[k].key->text;
        if (strchr(key, '[')) continue;
        int known = 0;
        for (const cli_option *o = cli_project_options; o->name; o++)
            known |= !strcmp(o->name, key);
        if (known) continue;
        s->errpos = (long)cl->opts[k].key->pos;
        for (const cli_option *o = cli_project_options; o->name; o++)
            if (wfs_edit_distance(key, o->name, 2) <= 2)
                return cli_error(s, "project has no option %s= (did you mean %s=?)", key, o->name);
        return cli_error(s,
                         "project has no option %s=; overrides are written PARAMETER[ROLE]=..."
                         " (see help project)",
                         key);
    }
    wfs_projection_options po = WFS_PROJECTION_OPTIONS_INIT;
    unsigned long long years = po.years, sims = 0, seed = po.seed;
    if (whole_option(s, cl, "years", 1, 200, &years) ||
        whole_option(s, cl, "sims", 0, 1000000, &sims) ||
        whole_option(s, cl, "seed", 0, 4294967295ull, &seed))
        return 1;
    if (sims && sims < 10) return cli_error(s, "sims=%llu: use at least 10 simulations", sims);
    po.years = (size_t)years;
    po.sims = (size_t)sims;
    po.seed = (unsigned long)seed;
    po.scenario = cli_opt_text(cl, "scenario");
    if (cli_opt(cl, "scenario") && !po.scenario)
        return cli_error(s, "scenario= takes one scenario name");
    const char *plot = cli_flag(cl, "plot") ? "all" : cli_opt_text(cl, "plot");
    if (cli_opt(cl, "plot") && !plot) return cli_error(s, "plot= takes one role, or all");

    char *full = cli_resolve_input(s, path);
    if (!full) return cli_error(s, "out of memory");
    wfs_error err = WFS_ERROR_INIT;
    wfs_model *m;
    int rc = wfs_model_read(&m, full, &err);
    free(full);
    if (rc) return cli_lib_error(s, &err);
    for (size_t k = 0; k < cl->nopts; k++)
        if (strchr(cl->opts[k].key->text, '[') && apply_override(s, m, &cl->opts[k])) {
            wfs_model_free(m);
            return 1;
        }
    if (plot && strcmp(plot, "all") != 0) {
        size_t r = 0;
        while (r < wfs_model_nroles(m) && strcmp(wfs_model_role(m, r), plot) != 0) r++;
        if (r == wfs_model_nroles(m)) {
            wfs_buf b = WFS_BUF_INIT;
            const char *names[64];
            size_t n = wfs_model_nroles(m) < 64 ? wfs_model_nroles(m) : 64;
            for (size_t i = 0; i < n; i++) names[i] = wfs_model_role(m, i);
            wfs_buf_name_list(&b, names, n, 10);
            rc = cli_error(s, "plot=%s: the model has no role %s (roles: %s, or all)", plot, plot,
                           b.data ? b.data : "");
            wfs_buf_free(&b);
            wfs_model_free(m);
            return rc;
        }
    }
    cli_progress ps = {s, time(NULL), 0};
    wfs_control ctl = {&s->interrupt, cli_show_progress, &ps};
    po.control = &ctl;
    wfs_projection *p;
    rc = wfs_projection_run(&p, m, &po, &err);
    if (ps.shown) fputs("\r\033[K", stderr);
    wfs_model_free(m);
    if (rc) return cli_lib_error(s, &err);
    wfs_result *r;
    rc = wfs_projection_result(&r, p, path, plot, &err);
    wfs_projection_free(p);
    if (rc) return cli_lib_error(s, &err);
    return cli_emit(s, r);
}
