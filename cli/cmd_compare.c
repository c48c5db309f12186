/* cmd_compare.c - comparisons: compare (pairwise domain differences),
 * change (between survey waves), likert and multi (batteries of items) and
 * decompose (shift-share decomposition of a change in a share).
 *
 * Handlers translate the command line into library calls; every number
 * comes from libwfstat (contrast.c).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "wfs-private.h"

static int finish(session *s, int rc, wfs_result *r, const wfs_error *err)
{
    if (rc) return cli_lib_error(s, err);
    s->cmd_offset = 0;
    return cli_emit(s, r);
}

/* The statistic word that starts compare and change. */
static int stat_word(session *s, const cmdline *cl, const char *cmd, wfs_stat *st)
{
    int k = cl->npos ? wfs_stat_parse(cl->pos[0]->text) : -1;
    if (k < 0 || cl->pos[0]->kind != TK_NAME) {
        if (cl->npos) s->errpos = (long)cl->pos[0]->pos;
        return cli_error(s, "%s starts with mean, prop or ratio, e.g. %s prop training_needs_met%s",
                         cmd, cmd, strcmp(cmd, "compare") == 0 ? " by role" : " from A to B");
    }
    *st = (wfs_stat)k;
    return 0;
}

/* Variables from positional i0 up to `end`: names, or NUM / DEN for a
 * ratio. */
static int stat_vars(session *s, const cmdline *cl, wfs_stat st, size_t i0, size_t end,
                     const char **vars, size_t *nv, const char *cmd)
{
    *nv = 0;
    if (st == WFS_STAT_RATIO) {
        if (end - i0 != 3 || cl->pos[i0]->kind != TK_NAME || cl->pos[i0 + 1]->kind != TK_PUNCT ||
            strcmp(cl->pos[i0 + 1]->text, "/") != 0 || cl->pos[i0 + 2]->kind != TK_NAME) {
            if (end > i0) s->errpos = (long)cl->pos[i0]->pos;
            return cli_error(s, "%s ratio takes NUMERATOR / DENOMINATOR", cmd);
        }
        vars[0] = cl->pos[i0]->text;
        vars[1] = cl->pos[i0 + 2]->text;
        *nv = 2;
        return 0;
    }
    if (end == i0) return cli_error(s, "%s %s needs a variable", cmd, wfs_stat_name(st));
    for (size_t k = i0; k < end; k++) {
        if (cl->pos[k]->kind != TK_NAME) {
            s->errpos = (long)cl->pos[k]->pos;
            return cli_error(s, "expected a variable name");
        }
        vars[(*nv)++] = cl->pos[k]->text;
    }
    return 0;
}

int cmd_compare(session *s, const cmdline *cl)
{
    dataset *d = cli_need_design(s);
    if (!d) return 1;
    wfs_stat st;
    if (stat_word(s, cl, "compare", &st)) return 1;
    const char *by[8];
    wfs_est_options o;
    if (cli_est_options(s, cl, d, &o, by, 8, 0)) return 1;
    if (!cl->nby)
        return cli_error(s, "compare needs the domains to compare, e.g. compare prop "
                            "training_needs_met by role");
    const char **vars = malloc((cl->npos + 1) * sizeof *vars);
    size_t nv;
    if (!vars) return cli_error(s, "out of memory");
    if (stat_vars(s, cl, st, 1, cl->npos, vars, &nv, "compare")) {
        free(vars);
        return 1;
    }
    wfs_adjust adj = WFS_ADJUST_HOLM;
    const char *a = cli_opt_text(cl, "adjust");
    if (a && strcmp(a, "none") == 0) adj = WFS_ADJUST_NONE;
    wfs_error err = WFS_ERROR_INIT;
    wfs_result *r = NULL;
    o.control = &(wfs_control){&s->interrupt, NULL, NULL};
    int rc = wfs_compare(&r, d->design, st, vars, nv, &o, adj, &err);
    free(vars);
    return finish(s, rc, r, &err);
}

/* `from A to B`: the positions of the two keywords among the positional
 * arguments, or an error. */
static int from_to(session *s, const cmdline *cl, const char *cmd, size_t *pf)
{
    if (cl->npos >= 4) {
        size_t k = cl->npos - 4;
        if (cl->pos[k]->kind == TK_NAME && strcmp(cl->pos[k]->text, "from") == 0 &&
            cl->pos[k + 2]->kind == TK_NAME && strcmp(cl->pos[k + 2]->text, "to") == 0) {
            *pf = k;
            return 0;
        }
    }
    return cli_error(s, "%s needs from A to B at the end of its arguments, e.g. %s", cmd,
                     strcmp(cmd, "change") == 0
                         ? "change prop unqualified_care_management from wave2008 to wave2010"
                         : "decompose qualified_sw_fte / qualified_sw_fte + unqualified_fte by "
                           "region from 2008 to 2016 over=year");
}

/* A loaded dataset with a design, named by token t. */
static dataset *wave(session *s, const token *t)
{
    dataset *d = cli_find_dataset(s, t->text);
    s->errpos = (long)t->pos;
    if (!d) {
        cli_error(s, "no dataset named %s is loaded (load it, or check the name with use)",
                  t->text);
        return NULL;
    }
    if (!d->design) {
        cli_error(s, "dataset %s has no design; declare one first (use %s, then design weight=...)",
                  t->text, t->text);
        return NULL;
    }
    s->errpos = -1;
    return d;
}

int cmd_change(session *s, const cmdline *cl)
{
    wfs_stat st;
    size_t pf;
    if (stat_word(s, cl, "change", &st)) return 1;
    if (from_to(s, cl, "change", &pf)) return 1;
    dataset *a = wave(s, cl->pos[pf + 1]);
    if (!a) return 1;
    dataset *b = wave(s, cl->pos[pf + 3]);
    if (!b) return 1;
    const char *by[8];
    wfs_est_options o;
    if (cli_est_options(s, cl, b, &o, by, 8, 0)) return 1;
    const char **vars = malloc((cl->npos + 1) * sizeof *vars);
    size_t nv;
    if (!vars) return cli_error(s, "out of memory");
    if (stat_vars(s, cl, st, 1, pf, vars, &nv, "change")) {
        free(vars);
        return 1;
    }
    const char *overlap = cli_opt_text(cl, "overlap");
    wfs_error err = WFS_ERROR_INIT;
    wfs_result *r = NULL;
    o.control = &(wfs_control){&s->interrupt, NULL, NULL};
    int rc = wfs_change(&r, a->design, b->design, a->name, b->name, st, vars, nv, overlap, &o,
                        &err);
    free(vars);
    return finish(s, rc, r, &err);
}

/* top=N / bottom=N. */
static int count_opt(session *s, const cmdline *cl, const char *key, size_t *out)
{
    const char *v = cli_opt_text(cl, key);
    if (!v) return 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < 0 || n > 20) {
        s->errpos = (long)cli_opt(cl, key)->items[0].a->pos;
        return cli_error(s, "%s= takes a number of answer levels from 0 to 20", key);
    }
    *out = (size_t)n;
    return 0;
}

static int battery(session *s, const cmdline *cl, int likert)
{
    dataset *d = cli_need_design(s);
    if (!d) return 1;
    const char *by[8];
    wfs_est_options o;
    if (cli_est_options(s, cl, d, &o, by, 8, 0)) return 1;
    size_t top = 2, bottom = 2;
    if (likert && (count_opt(s, cl, "top", &top) || count_opt(s, cl, "bottom", &bottom))) return 1;
    if (!cl->npos)
        return cli_error(s, "%s needs its items, e.g. %s", likert ? "likert" : "multi",
                         likert ? "likert role_clear skills_valued top=2"
                                : "multi want_self_assessment want_support_planning");
    const char **vars = malloc(cl->npos * sizeof *vars);
    if (!vars) return cli_error(s, "out of memory");
    for (size_t k = 0; k < cl->npos; k++) {
        if (cl->pos[k]->kind != TK_NAME) {
            free(vars);
            s->errpos = (long)cl->pos[k]->pos;
            return cli_error(s, "expected a variable name");
        }
        vars[k] = cl->pos[k]->text;
    }
    wfs_error err = WFS_ERROR_INIT;
    wfs_result *r = NULL;
    o.control = &(wfs_control){&s->interrupt, NULL, NULL};
    int rc = likert ? wfs_likert(&r, d->design, vars, cl->npos, top, bottom, &o, &err)
                    : wfs_multi(&r, d->design, vars, cl->npos, &o, &err);
    free(vars);
    return finish(s, rc, r, &err);
}

int cmd_likert(session *s, const cmdline *cl) { return battery(s, cl, 1); }
int cmd_multi(session *s, const cmdline *cl) { return battery(s, cl, 0); }

int cmd_decompose(session *s, const cmdline *cl)
{
    size_t pf;
    if (from_to(s, cl, "decompose", &pf)) return 1;
    const char *over = cli_opt_text(cl, "over");
    wfs_decompose_spec sp;
    memset(&sp, 0, sizeof sp);
    dataset *a, *b = NULL;
    if (over) {
        if (!(a = cli_need_design(s))) return 1;
        sp.from = a->design;
    } else {
        if (!(a = wave(s, cl->pos[pf + 1])) || !(b = wave(s, cl->pos[pf + 3]))) return 1;
        sp.from = a->design;
        sp.to = b->design;
    }
    sp.over = over;
    sp.name[0] = cl->pos[pf + 1]->text;
    sp.name[1] = cl->pos[pf + 3]->text;
    /* NUM / DEN [+ DEN ...] */
    const char *den[WFS_DECOMPOSE_MAX_DEN];
    size_t nden = 0;
    int ok = pf >= 3 && cl->pos[0]->kind == TK_NAME && cl->pos[1]->kind == TK_PUNCT &&
             strcmp(cl->pos[1]->text, "/") == 0;
    for (size_t k = 2; ok && k < pf; k += 2) {
        if (cl->pos[k]->kind != TK_NAME || nden == WFS_DECOMPOSE_MAX_DEN) ok = 0;
        else den[nden++] = cl->pos[k]->text;
        if (k + 1 < pf && (cl->pos[k + 1]->kind != TK_PUNCT || strcmp(cl->pos[k + 1]->text, "+")))
            ok = 0;
    }
    if (!ok || nden == 0) {
        if (cl->npos) s->errpos = (long)cl->pos[0]->pos;
        return cli_error(s, "decompose takes NUM / DEN (DEN may be a sum: A + B), e.g. decompose "
                            "qualified_sw_fte / qualified_sw_fte + unqualified_fte by region "
                            "from 2008 to 2016 over=year");
    }
    if (cl->nby != 1) {
        if (cl->nby) s->errpos = (long)cl->by[1]->pos;
        return cli_error(s, "decompose needs one grouping variable: by GROUP");
    }
    sp.num = cl->pos[0]->text;
    sp.den = den;
    sp.nden = nden;
    sp.group = cl->by[0]->text;
    const char *by[8];
    wfs_est_options o;
    if (cli_est_options(s, cl, b ? b : a, &o, by, 8, 0)) return 1;
    o.by = NULL;
    o.nby = 0;
    wfs_error err = WFS_ERROR_INIT;
    wfs_result *r = NULL;
    o.control = &(wfs_control){&s->interrupt, NULL, NULL};
    int rc = wfs_decompose(&r, &sp, &o, &err);
    return finish(s, rc, r, &err);
}
