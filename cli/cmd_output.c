/* cmd_output.c - writing files: save (the last result) and export (the data
 * with its current weights).
 *
 * Both write through the library's output files: a temporary name, then a
 * rename, and never over an existing file unless `replace` is given.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "wfs-private.h"

/* The format a file name asks for by its extension, or -1. */
static int format_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    if (!dot) return -1;
    if (strcasecmp(dot, ".csv") == 0) return WFS_FORMAT_CSV;
    if (strcasecmp(dot, ".md") == 0 || strcasecmp(dot, ".markdown") == 0)
        return WFS_FORMAT_MARKDOWN;
    if (strcasecmp(dot, ".json") == 0 || strcasecmp(dot, ".jsonl") == 0) return WFS_FORMAT_JSON;
    if (strcasecmp(dot, ".txt") == 0) return WFS_FORMAT_TEXT;
    return -1;
}

/* The one quoted file name of save and export. */
static const char *file_arg(session *s, const cmdline *cl, const char *example)
{
    if (cl->npos != 1 || cl->pos[0]->kind != TK_STRING) {
        if (cl->npos) {
            size_t bad = cl->npos > 1 && cl->pos[0]->kind == TK_STRING ? 1 : 0;
            s->errpos = (long)cl->pos[bad]->pos;
        }
        cli_error(s, "%s takes one quoted file name, e.g. %s", cl->name->text, example);
        return NULL;
    }
    if (!cl->pos[0]->text[0]) {
        s->errpos = (long)cl->pos[0]->pos;
        cli_error(s, "the file name is empty");
        return NULL;
    }
    return cl->pos[0]->text;
}

int cmd_save(session *s, const cmdline *cl)
{
    const char *path = file_arg(s, cl, "save \"table.csv\"");
    if (!path) return 1;
    if (cli_is_snapshot(path)) {
        /* A snapshot of the active dataset, not a result. */
        dataset *d = cli_need_dataset(s);
        if (!d) return 1;
        if (cli_opt(cl, "format"))
            return cli_error(s, "format= is for results; a .wfb file is a snapshot of the data");
        wfs_error err = WFS_ERROR_INIT;
        if (wfs_snapshot_write(d->table, path, cli_flag(cl, "replace"), &err))
            return cli_lib_error(s, &err);
        if (s->interactive)
            fprintf(stderr, "saved a snapshot of %s (%zu rows) to %s\n", d->name,
                    wfs_table_nrows(d->table), path);
        return 0;
    }
    if (!s->last)
        return cli_error(s, "there is no result to save yet: save writes the result of the last "
                            "estimate, table or listing");
    const char *fname = cli_opt_text(cl, "format");
    int fmt = fname ? wfs_format_parse(fname) : format_of(path);
    if (fmt < 0)
        return cli_error(s,
                         "cannot tell the format from the name %s: end it in .csv, .md, .json "
                         "or .txt, or add format=csv|markdown|json|text",
                         path);
    char *text;
    size_t len;
    wfs_error err = WFS_ERROR_INIT;
    /* A file gets the width a script would print at, not the terminal's. */
    if (wfs_render(&text, &len, s->last, (wfs_format)fmt, &s->set.render, &err))
        return cli_lib_error(s, &err);
    int rc = wfs_file_write(path, text, len, cli_flag(cl, "replace"), &err);
    free(text);
    if (rc) return cli_lib_error(s, &err);
    if (s->interactive)
        fprintf(stderr, "saved the %s result to %s (%s)\n", wfs_result_command(s->last), path,
                wfs_format_name((wfs_format)fmt));
    return 0;
}

int cmd_export(session *s, const cmdline *cl)
{
    const char *path = file_arg(s, cl, "export \"data.csv\"");
    if (!path) return 1;
    dataset *d = cli_need_dataset(s);
    if (!d) return 1;
    wfs_csv_write_options o = WFS_CSV_WRITE_OPTIONS_INIT;
    o.replace = cli_flag(cl, "replace");
    const char *delim = cli_opt_text(cl, "delim");
    if (delim) {
        if (strcmp(delim, "tab") == 0 || strcmp(delim, "\\t") == 0)
            o.delim = '\t';
        else if (strlen(delim) == 1)
            o.delim = delim[0];
        else
            return cli_error(s, "delim= takes one character, e.g. delim=\";\" or delim=tab");
    }
    if (d->design) {
        o.weights = wfs_design_weights(d->design);
        o.weight_name = cli_opt_text(cl, "weight");
    } else if (cli_opt(cl, "weight")) {
        return cli_error(s,
                         "dataset %s has no design, so no weights to write; declare one with "
                         "design weight=W",
                         d->name);
    }
    wfs_control ctl = {&s->interrupt, NULL, NULL};
    o.control = &ctl;
    wfs_error err = WFS_ERROR_INIT;
    if (wfs_csv_write(path, d->table, &o, &err)) return cli_lib_error(s, &err);
    if (s->interactive)
        fprintf(stderr, "exported %s (%zu rows%s) to %s\n", d->name, wfs_table_nrows(d->table),
                d->design ? ", with the current weights" : "", path);
    return 0;
}
