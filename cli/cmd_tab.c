/* cmd_tab.c - the tab command: one-way and two-way weighted tables with
 * percentages, tests of independence and publication safeguards.
 *
 * The handler only translates the command line and the session settings
 * (level, ci, df, suppress) into library options; every number comes from
 * wfs_tab.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int bad_opt(session *s, const cmdline *cl, const char *key, const char *msg)
{
    const cmdopt *o = cli_opt(cl, key);
    if (o) s->errpos = (long)(o->nitems ? o->items[0].a->pos : o->key->pos);
    return cli_error(s, "%s", msg);
}

static int tests_of(const char *v, unsigned *out)
{
    if (strcmp(v, "f") == 0 || strcmp(v, "F") == 0)
        *out = WFS_TEST_F;
    else if (strcmp(v, "chisq") == 0)
        *out = WFS_TEST_CHISQ;
    else if (strcmp(v, "wald") == 0)
        *out = WFS_TEST_WALD;
    else if (strcmp(v, "adjwald") == 0)
        *out = WFS_TEST_ADJWALD;
    else if (strcmp(v, "all") == 0)
        *out = WFS_TEST_ALL;
    else if (strcmp(v, "none") == 0)
        *out = 0;
    else
        return -1;
    return 0;
}

int cmd_tab(session *s, const cmdline *cl)
{
    dataset *d = cli_need_design(s);
    if (!d) return 1;
    if (cl->npos != 1 || cl->pos[0]->kind != TK_NAME) {
        if (cl->npos > 1) s->errpos = (long)cl->pos[1]->pos;
        return cli_error(s, "tab takes one row variable, then by and a column variable, e.g. "
                            "tab training_met by role");
    }
    if (cl->nby > 9) {
        s->errpos = (long)cl->by[9]->pos;
        return cli_error(s, "tab takes a column variable and at most 8 layer variables");
    }
    wfs_est_options o;
    wfs_tab_options t = WFS_TAB_OPTIONS_INIT;
    const char *by[9];
    if (cli_est_options(s, cl, d, &o, by, 9, 0)) return 1;
    t.suppress = s->set.suppress;
    const char *v;
    if ((v = cli_opt_text(cl, "pct"))) t.pct = (wfs_pct)wfs_pct_parse(v);
    if ((v = cli_opt_text(cl, "test")) && tests_of(v, &t.tests))
        return bad_opt(s, cl, "test", "test= takes f, chisq, wald, adjwald, all or none");
    if (cl->nby == 0 && cli_opt(cl, "test") && t.tests)
        return bad_opt(s, cl, "test", "a test of independence needs two variables: tab ROW by COL");
    if (cl->nby == 0 && cli_opt(cl, "pct"))
        return bad_opt(s, cl, "pct", "pct= applies to two-way tables: tab ROW by COL pct=row");
    o.control = &(wfs_control){&s->interrupt, NULL, NULL};
    wfs_error err = WFS_ERROR_INIT;
    wfs_result *r = NULL;
    if (wfs_tab(&r, d->design, cl->pos[0]->text, &o, &t, &err)) return cli_lib_error(s, &err);
    s->cmd_offset = 0;
    return cli_emit(s, r);
}

const cli_option cli_tab_options[] = {
    {"pct", OPT_VALUE, "col|row|cell|column", "col",
     "percentages within columns, within rows, or of the whole table"},
    {"test", OPT_VALUE, "f|chisq|wald|adjwald|all|none", "f",
     "tests of independence: Rao-Scott F, Rao-Scott chi-square, Wald, adjusted Wald"},
    {"ci", OPT_VALUE, "logit|wald|mean|xlogit|asin|beta|wilson|likelihood", "logit (set ci=)",
     "interval method for percentages"},
    {"level", OPT_VALUE, NULL, "0.95 (set level=)", "confidence level"},
    {"df", OPT_VALUE, NULL, "design", "degrees of freedom of intervals: design, inf or N"},
    {"deff", OPT_FLAG_OR_VALUE, "replace|no", "off",
     "design effects (deff: SRS without replacement; deff=replace: with replacement)"},
    {NULL, 0, NULL, NULL, NULL}};
