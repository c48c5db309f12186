/* cmd_data.c - data and session commands: load, use, describe, list, set, run. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "wfs-private.h"

/* A relative input path that does not exist from the current directory is
 * looked up beside the script being run. Returns a malloc'd path. */
char *cli_resolve_input(const session *s, const char *path)
{
    struct stat st;
    if (path[0] == '/' || stat(path, &st) == 0 || !s->src_name || s->interactive)
        return wfs_strdup(path);
    const char *slash = strrchr(s->src_name, '/');
    if (!slash) return wfs_strdup(path);
    wfs_buf b = WFS_BUF_INIT;
    wfs_buf_add(&b, s->src_name, (size_t)(slash - s->src_name) + 1);
    wfs_buf_puts(&b, path);
    char *p = wfs_buf_take(&b, NULL);
    if (p && stat(p, &st) == 0) return p;
    free(p);
    return wfs_strdup(path);
}

/* A dataset name from a file name: the base name without extension, made
 * into a valid name. */
static char *name_from_path(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    char *name = malloc(n + 2);
    if (!name) return NULL;
    size_t j = 0;
    if (n == 0 || !(isalpha((unsigned char)base[0]) || base[0] == '_')) name[j++] = '_';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)base[i];
        name[j++] = (char)(isalnum(c) || c == '_' || c == '.' ? c : '_');
    }
    name[j] = '\0';
    return name;
}

static int valid_name(const char *s)
{
    if (!(isalpha((unsigned char)*s) || *s == '_')) return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '.')) return 0;
    return 1;
}

void cli_show_progress(void *ud, double frac, const char *what)
{
    cli_progress *ps = ud;
    /* Only for work that takes a while, and only on a terminal. */
    if (!ps->s->set.progress || !isatty(2)) return;
    if (!ps->shown && time(NULL) - ps->start < 1) return;
    ps->shown = 1;
    fprintf(stderr, "\r%s %3.0f%%", what, frac * 100);
    fflush(stderr);
}

int cmd_load(session *s, const cmdline *cl)
{
    const char *path = NULL, *as = cli_opt_text(cl, "as");
    for (size_t i = 0; i < cl->npos; i++) {
        const token *t = cl->pos[i];
        if (t->kind == TK_STRING && !path) {
            path = t->text;
        } else if (t->kind == TK_NAME && !t->quoted && strcmp(t->text, "as") == 0 &&
                   i + 1 < cl->npos && cl->pos[i + 1]->kind == TK_NAME) {
            as = cl->pos[++i]->text;
        } else {
            s->errpos = (long)t->pos;
            return cli_error(s, "load takes a quoted file name: load \"file.csv\" [as NAME]");
        }
    }
    if (!path) return cli_error(s, "load needs a file name: load \"file.csv\"");
    if (as && !valid_name(as))
        return cli_error(s, "\"%s\" is not a valid dataset name (letters, digits, _ and .)", as);
    wfs_csv_options co = WFS_CSV_OPTIONS_INIT;
    const char *delim = cli_opt_text(cl, "delim");
    if (delim) {
        if (strcmp(delim, "tab") == 0 || strcmp(delim, "\\t") == 0 || strcmp(delim, "\t") == 0)
            co.delim = '\t';
        else if (strcmp(delim, "comma") == 0)
            co.delim = ',';
        else if (strcmp(delim, "semicolon") == 0)
            co.delim = ';';
        else if (strcmp(delim, "pipe") == 0)
            co.delim = '|';
        else if (strlen(delim) == 1 && delim[0] != '"' && delim[0] != '\n')
            co.delim = delim[0];
        else
            return cli_error(s, "delim= takes one character, e.g. delim=\";\" or delim=tab");
    }
    const cmdopt *na = cli_opt(cl, "na");
    char nabuf[512];
    if (na) {
        /* na="NA,." or na=NA,. (items joined by commas). */
        wfs_buf b = WFS_BUF_INIT;
        for (size_t k = 0; k < na->nitems; k++) {
            if (k) wfs_buf_putc(&b, ',');
            wfs_buf_puts(&b, na->items[k].a->text);
        }
        snprintf(nabuf, sizeof nabuf, "%s", b.data ? b.data : "");
        wfs_buf_free(&b);
        co.na = nabuf;
    }
    co.max_memory = cli_memory_limit();
    cli_progress ps = {s, time(NULL), 0};
    wfs_control ctl = {&s->interrupt, cli_show_progress, &ps};
    co.control = &ctl;
    char *full = cli_resolve_input(s, path);
    if (!full) return cli_error(s, "out of memory");
    wfs_table *t;
    wfs_error err = WFS_ERROR_INIT;
    int rc;
    if (cli_is_snapshot(path)) {
        if (delim || na) {
            free(full);
            return cli_error(s, "delim= and na= are for CSV files; %s is a snapshot", path);
        }
        rc = wfs_snapshot_read(&t, full, &err);
    } else {
        rc = wfs_csv_read(&t, full, &co, &err);
    }
    if (ps.shown) fputs("\r\033[K", stderr);
    if (rc) {
        free(full);
        return cli_lib_error(s, &err);
    }
    char *name = as ? wfs_strdup(as) : name_from_path(path);
    if (!name) {
        free(full);
        wfs_table_free(t);
        return cli_error(s, "out of memory");
    }
    dataset *d = cli_find_dataset(s, name);
    int replaced = d != NULL;
    if (d) {
        wfs_design_free(d->design);
        wfs_table_free(d->table);
        free(d->name);
        free(d->path);
        free(d->design_cmd);
        memset(d, 0, sizeof *d);
    } else {
        if (s->nds == s->capds) {
            size_t cap = s->capds ? s->capds * 2 : 4;
            dataset *nd = wfs_reallocarray(s->ds, cap, sizeof *nd);
            if (!nd) {
                free(full);
                free(name);
                wfs_table_free(t);
                return cli_error(s, "out of memory");
            }
            s->ds = nd;
            s->capds = cap;
        }
        d = &s->ds[s->nds++];
        memset(d, 0, sizeof *d);
    }
    d->name = name;
    d->path = full;
    d->table = t;
    s->cur = d - s->ds;
    cli_journal_file(s, d);

    size_t nnum = 0, ncat = 0;
    for (size_t j = 0; j < wfs_table_ncols(t); j++) {
        if (wfs_table_type(t, j) == WFS_NUMERIC) nnum++;
        else ncat++;
    }
    wfs_result *r;
    if (wfs_result_new(&r, "load", d->name, &err)) return cli_lib_error(s, &err);
    wfs_result_set_layout(r, WFS_LAYOUT_FIELDS);
    wfs_value v;
    v = wfs_value_str(path);
    wfs_result_add_field(r, "file", &v);
    v = wfs_value_int((long long)wfs_table_nrows(t));
    wfs_result_add_field(r, "rows", &v);
    v = wfs_value_int((long long)wfs_table_ncols(t));
    wfs_result_add_field(r, "columns", &v);
    v = wfs_value_int((long long)nnum);
    wfs_result_add_field(r, "numeric", &v);
    v = wfs_value_int((long long)ncat);
    wfs_result_add_field(r, "categorical", &v);
    if (replaced) wfs_result_add_note(r, "replaced the earlier dataset %s and its design", d->name);
    return cli_emit(s, r);
}

int cmd_use(session *s, const cmdline *cl)
{
    if (cl->npos != 1 || cl->pos[0]->kind != TK_NAME)
        return cli_error(s, "use needs the name of a loaded dataset: use NAME");
    dataset *d = cli_find_dataset(s, cl->pos[0]->text);
    if (!d) {
        s->errpos = (long)cl->pos[0]->pos;
        wfs_buf b = WFS_BUF_INIT;
        const char **names = malloc((s->nds ? s->nds : 1) * sizeof *names);
        for (size_t i = 0; names && i < s->nds; i++) names[i] = s->ds[i].name;
        if (names) wfs_buf_name_list(&b, names, s->nds, 10);
        free(names);
        int rc = cli_error(s, "no dataset called %s (loaded: %s)", cl->pos[0]->text,
                           s->nds && b.data ? b.data : "none");
        wfs_buf_free(&b);
        return rc;
    }
    s->cur = d - s->ds;
    return 0;
}

/* Column indices from positional names, or all columns. */
static int pick_vars(session *s, const dataset *d, const cmdline *cl, size_t **cols, size_t *n)
{
    size_t nc = wfs_table_ncols(d->table);
    size_t want = cl->npos ? cl->npos : nc;
    *cols = wfs_mallocarray(want, sizeof **cols);
    if (!*cols) return cli_error(s, "out of memory");
    *n = 0;
    if (!cl->npos) {
        for (size_t j = 0; j < nc; j++) (*cols)[(*n)++] = j;
        return 0;
    }
    for (size_t i = 0; i < cl->npos; i++) {
        if (cl->pos[i]->kind != TK_NAME) {
            s->errpos = (long)cl->pos[i]->pos;
            free(*cols);
            return cli_error(s, "expected a variable name");
        }
        long j = cli_need_var(s, d, cl->pos[i]);
        if (j < 0) {
            free(*cols);
            return 1;
        }
        (*cols)[(*n)++] = (size_t)j;
    }
    return 0;
}

static const char *type_name(wfs_coltype t)
{
    return t == WFS_NUMERIC ? "numeric" : t == WFS_CATEGORICAL ? "categorical" : "text";
}

int cmd_describe(session *s, const cmdline *cl)
{
    dataset *d = cli_need_dataset(s);
    if (!d) return 1;
    size_t *cols, ncols;
    if (pick_vars(s, d, cl, &cols, &ncols)) return 1;
    wfs_error err = WFS_ERROR_INIT;
    wfs_result *r;
    if (wfs_result_new(&r, "describe", d->name, &err)) {
        free(cols);
        return cli_lib_error(s, &err);
    }
    wfs_result_set_layout(r, WFS_LAYOUT_RECORDS);
    const wfs_table *t = d->table;
    size_t nrows = wfs_table_nrows(t);
    wfs_value v = wfs_value_int((long long)nrows);
    wfs_result_add_field(r, "rows", &v);
    v = wfs_value_int((long long)wfs_table_ncols(t));
    wfs_result_add_field(r, "columns", &v);
    static const char *const names[] = {"name", "type", "n", "missing", "levels", "n_levels",
                                        "min",  "max",  "mean"};
    long rt = wfs_result_add_records(r, "variables", 9, names);
    if (rt < 0) {
        free(cols);
        wfs_result_free(r);
        return cli_error(s, "out of memory");
    }
    for (size_t k = 0; k < ncols; k++) {
        size_t j = cols[k];
        wfs_coltype type = wfs_table_type(t, j);
        size_t nmiss = wfs_table_nmissing(t, j);
        wfs_value cells[9];
        cells[0] = wfs_value_str(wfs_table_name(t, j));
        cells[1] = wfs_value_str(type_name(type));
        cells[2] = wfs_value_int((long long)(nrows - nmiss));
        cells[3] = wfs_value_int((long long)nmiss);
        const char **levels = NULL;
        if (type == WFS_CATEGORICAL) {
            size_t nl = wfs_table_nlevels(t, j);
            levels = malloc((nl ? nl : 1) * sizeof *levels);
            if (!levels) {
                free(cols);
                wfs_result_free(r);
                return cli_error(s, "out of memory");
            }
            for (size_t q = 0; q < nl; q++) levels[q] = wfs_table_level(t, j, q);
            cells[4] = wfs_value_strlist(levels, nl);
            cells[5] = wfs_value_int((long long)nl);
            cells[6] = cells[7] = cells[8] = wfs_value_null();
        } else if (type == WFS_NUMERIC) {
            const double *x = wfs_table_numeric(t, j);
            double lo = INFINITY, hi = -INFINITY;
            wfs_ksum sum = {0, 0};
            for (size_t i = 0; i < nrows; i++) {
                if (isnan(x[i])) continue;
                if (x[i] < lo) lo = x[i];
                if (x[i] > hi) hi = x[i];
                wfs_ksum_add(&sum, x[i]);
            }
            size_t nobs = nrows - nmiss;
            cells[4] = cells[5] = wfs_value_null();
            cells[6] = nobs ? wfs_value_num(lo) : wfs_value_null();
            cells[7] = nobs ? wfs_value_num(hi) : wfs_value_null();
            cells[8] = nobs ? wfs_value_num(wfs_ksum_value(&sum) / (double)nobs) : wfs_value_null();
        } else {
            cells[4] = cells[5] = cells[6] = cells[7] = cells[8] = wfs_value_null();
        }
        int rc = wfs_result_add_record(r, (size_t)rt, cells);
        free(levels);
        if (rc) {
            free(cols);
            wfs_result_free(r);
            return cli_error(s, "out of memory");
        }
    }
    free(cols);
    return cli_emit(s, r);
}

int cmd_list(session *s, const cmdline *cl)
{
    dataset *d = cli_need_dataset(s);
    if (!d) return 1;
    const char *ntext = cli_opt_text(cl, "n");
    long limit = 10;
    if (ntext) {
        char *end;
        limit = strtol(ntext, &end, 10);
        if (*end || limit < 0) return cli_error(s, "n= takes a whole number of rows (0 = all)");
    }
    size_t *cols, ncols;
    if (pick_vars(s, d, cl, &cols, &ncols)) return 1;
    const wfs_table *t = d->table;
    size_t nrows = wfs_table_nrows(t);
    uint8_t *mask = NULL;
    wfs_error err = WFS_ERROR_INIT;
    if (cl->if_text) {
        wfs_expr *e;
        if (wfs_expr_parse(&e, cl->if_text, t, &err)) {
            free(cols);
            return cli_lib_error(s, &err);
        }
        mask = malloc(nrows ? nrows : 1);
        int rc = mask ? wfs_expr_eval(mask, e, t, &err) : wfs_nomem(&err);
        wfs_expr_free(e);
        if (rc) {
            free(cols);
            free(mask);
            return cli_lib_error(s, &err);
        }
    }
    wfs_result *r;
    if (wfs_result_new(&r, "list", d->name, &err)) {
        free(cols);
        free(mask);
        return cli_lib_error(s, &err);
    }
    wfs_result_set_layout(r, WFS_LAYOUT_RECORDS);
    const char **names = malloc((ncols + 1) * sizeof *names);
    wfs_value *cells = malloc((ncols + 1) * sizeof *cells);
    if (!names || !cells) {
        free(names);
        free(cells);
        free(cols);
        free(mask);
        wfs_result_free(r);
        return cli_error(s, "out of memory");
    }
    names[0] = "row";
    for (size_t k = 0; k < ncols; k++) names[k + 1] = wfs_table_name(t, cols[k]);
    long rt = wfs_result_add_records(r, "rows", ncols + 1, names);
    size_t shown = 0, matched = 0;
    for (size_t i = 0; rt >= 0 && i < nrows; i++) {
        if (mask && !mask[i]) continue;
        matched++;
        if (limit && shown >= (size_t)limit) continue;
        cells[0] = wfs_value_int((long long)i + 1);
        for (size_t k = 0; k < ncols; k++) {
            size_t j = cols[k];
            switch (wfs_table_type(t, j)) {
            case WFS_NUMERIC: {
                double x = wfs_table_numeric(t, j)[i];
                cells[k + 1] = isnan(x) ? wfs_value_null() : wfs_value_num(x);
                break;
            }
            case WFS_CATEGORICAL: {
                int32_t c = wfs_table_codes(t, j)[i];
                cells[k + 1] = c < 0 ? wfs_value_null() : wfs_value_str(wfs_table_level(t, j, (size_t)c));
                break;
            }
            default: cells[k + 1] = wfs_value_str(wfs_table_text(t, j)[i]);
            }
        }
        wfs_result_add_record(r, (size_t)rt, cells);
        shown++;
    }
    if (matched > shown)
        wfs_result_add_note(r, "showing %zu of %zu rows; n=0 lists them all", shown, matched);
    free(names);
    free(cells);
    free(cols);
    free(mask);
    return cli_emit(s, r);
}

static int parse_onoff(const char *v, int *out)
{
    if (strcmp(v, "on") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "true") == 0) *out = 1;
    else if (strcmp(v, "off") == 0 || strcmp(v, "no") == 0 || strcmp(v, "false") == 0) *out = 0;
    else return -1;
    return 0;
}

static int show_settings(session *s)
{
    wfs_result *r;
    wfs_error err = WFS_ERROR_INIT;
    if (wfs_result_new(&r, "set", NULL, &err)) return cli_lib_error(s, &err);
    wfs_result_set_layout(r, WFS_LAYOUT_FIELDS);
    const settings *st = &s->set;
    wfs_value v;
    v = wfs_value_str(wfs_format_name(st->format));
    wfs_result_add_field(r, "format", &v);
    v = wfs_value_int(st->render.digits);
    wfs_result_add_field(r, "digits", &v);
    v = wfs_value_str(st->render.show == WFS_SHOW_CI ? "ci" : "se");
    wfs_result_add_field(r, "show", &v);
    v = wfs_value_num(st->level);
    wfs_result_add_field(r, "level", &v);
    v = wfs_value_str(st->ci);
    wfs_result_add_field(r, "ci", &v);
    if (isnan(st->df)) v = wfs_value_str("design");
    else if (isinf(st->df)) v = wfs_value_str("inf");
    else v = wfs_value_num(st->df);
    wfs_result_add_field(r, "df", &v);
    v = wfs_value_str(wfs_lonely_name(st->lonely));
    wfs_result_add_field(r, "lonely", &v);
    v = st->suppress > 0 ? wfs_value_num(st->suppress) : wfs_value_str("off");
    wfs_result_add_field(r, "suppress", &v);
    v = wfs_value_str(st->render.explain ? "on" : "off");
    wfs_result_add_field(r, "explain", &v);
    v = st->render.width ? wfs_value_int((long long)st->render.width) : wfs_value_str("terminal");
    wfs_result_add_field(r, "width", &v);
    v = wfs_value_str(st->progress ? "on" : "off");
    wfs_result_add_field(r, "progress", &v);
    v = wfs_value_str(st->timing ? "on" : "off");
    wfs_result_add_field(r, "timing", &v);
    return cli_emit(s, r);
}

int cmd_set(session *s, const cmdline *cl)
{
    if (cl->npos) {
        s->errpos = (long)cl->pos[0]->pos;
        return cli_error(s, "set takes KEY=VALUE pairs, e.g. set format=json");
    }
    if (!cl->nopts) return show_settings(s);
    /* Validate everything first so a bad value changes nothing. */
    settings ns = s->set;
    int lonely_changed = 0;
    for (size_t k = 0; k < cl->nopts; k++) {
        const cmdopt *o = &cl->opts[k];
        const char *key = o->key->text;
        if (o->nitems != 1 || o->items[0].b) {
            s->errpos = (long)o->key->pos;
            return cli_error(s, "%s= takes a single value", key);
        }
        const char *v = o->items[0].a->text;
        char *end;
        s->errpos = (long)o->items[0].a->pos;
        if (strcmp(key, "format") == 0) {
            ns.format = (wfs_format)wfs_format_parse(v);
        } else if (strcmp(key, "digits") == 0) {
            long d = strtol(v, &end, 10);
            if (*end || d < 0 || d > 8) return cli_error(s, "digits= takes a whole number from 0 to 8");
            ns.render.digits = (int)d;
        } else if (strcmp(key, "show") == 0) {
            ns.render.show = strcmp(v, "ci") == 0 ? WFS_SHOW_CI : WFS_SHOW_SE;
        } else if (strcmp(key, "level") == 0) {
            double l = strtod(v, &end);
            if (*end || !(l > 0 && l < 1))
                return cli_error(s, "level= takes a confidence level between 0 and 1, e.g. 0.95");
            ns.level = l;
        } else if (strcmp(key, "ci") == 0) {
            snprintf(ns.ci, sizeof ns.ci, "%s", v);
        } else if (strcmp(key, "df") == 0) {
            if (strcmp(v, "design") == 0) ns.df = NAN;
            else if (strcmp(v, "inf") == 0 || strcmp(v, "Inf") == 0) ns.df = INFINITY;
            else {
                double df = strtod(v, &end);
                if (*end || !(df > 0))
                    return cli_error(s, "df= takes design, inf or a positive number");
                ns.df = df;
            }
        } else if (strcmp(key, "lonely") == 0) {
            ns.lonely = (wfs_lonely)wfs_lonely_parse(v);
            lonely_changed = 1;
        } else if (strcmp(key, "suppress") == 0) {
            if (strcmp(v, "off") == 0) ns.suppress = 0;
            else {
                double n = strtod(v, &end);
                if (*end || !(n >= 0)) return cli_error(s, "suppress= takes off or a count, e.g. 10");
                ns.suppress = n;
            }
        } else if (strcmp(key, "explain") == 0) {
            parse_onoff(v, &ns.render.explain);
        } else if (strcmp(key, "progress") == 0) {
            parse_onoff(v, &ns.progress);
        } else if (strcmp(key, "timing") == 0) {
            parse_onoff(v, &ns.timing);
        } else if (strcmp(key, "width") == 0) {
            /* terminal: the shell's width (80 columns in scripts). */
            long w = strcmp(v, "terminal") == 0 ? 0 : strtol(v, &end, 10);
            if (w != 0 && (*end || w < 20 || w > 10000))
                return cli_error(s, "width= takes terminal or a number of columns from 20 to 10000");
            ns.render.width = (size_t)w;
        }
    }
    s->errpos = -1;
    if (lonely_changed) {
        dataset *d = cli_current(s);
        if (d && d->design) {
            wfs_error err = WFS_ERROR_INIT;
            if (wfs_design_set_lonely(d->design, ns.lonely, &err)) return cli_lib_error(s, &err);
        }
    }
    s->set = ns;
    return 0;
}

int cmd_run(session *s, const cmdline *cl)
{
    if (cl->npos != 1 || cl->pos[0]->kind != TK_STRING)
        return cli_error(s, "run takes a quoted script name: run \"script.wfs\"");
    char *path = cli_resolve_input(s, cl->pos[0]->text);
    if (!path) return cli_error(s, "out of memory");
    int quiet = cli_flag(cl, "quiet");
    s->quiet += quiet;
    int rc = session_run_file(s, path);
    s->quiet -= quiet;
    free(path);
    return rc;
}
