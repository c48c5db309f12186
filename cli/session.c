/* session.c - datasets, settings, dispatch, error reporting and output.
 *
 * Errors go to stderr as "file:line: error: message" in scripts and
 * "error: message" (with a caret under the offending token) interactively;
 * stdout carries only results, so JSON mode stays machine-readable.
 */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "wfs-private.h"

#define MAX_RUN_DEPTH 16

void session_init(session *s)
{
    memset(s, 0, sizeof *s);
    s->cur = -1;
    s->out = stdout;
    s->set.format = WFS_FORMAT_TEXT;
    wfs_render_options ro = WFS_RENDER_OPTIONS_INIT;
    s->set.render = ro;
    s->set.level = 0.95;
    strcpy(s->set.ci, "logit");
    s->set.df = NAN;
    s->set.lonely = WFS_LONELY_FAIL;
    s->set.suppress = 0;
    s->set.progress = 1;
    s->errpos = -1;
}

static void dataset_clear(dataset *d)
{
    wfs_design_free(d->design);
    wfs_table_free(d->table);
    free(d->name);
    free(d->path);
    free(d->design_cmd);
    memset(d, 0, sizeof *d);
}

void session_free(session *s)
{
    for (size_t i = 0; i < s->nds; i++) dataset_clear(&s->ds[i]);
    free(s->ds);
    wfs_result_free(s->last);
    cli_journal_free(s);
    memset(s, 0, sizeof *s);
}

static void print_caret(session *s)
{
    if (!s->interactive || s->errpos < 0 || !s->cmdtext) return;
    size_t pos = (size_t)s->errpos;
    if (pos > strlen(s->cmdtext)) return;
    fprintf(stderr, "  %s\n  ", s->cmdtext);
    for (size_t i = 0; i < pos; i++) fputc(s->cmdtext[i] == '\t' ? '\t' : ' ', stderr);
    fputs("^\n", stderr);
}

static void report(session *s, const char *kind, const char *msg)
{
    if (s->src_name && !s->interactive)
        fprintf(stderr, "%s:%zu: %s: %s\n", s->src_name, s->src_line, kind, msg);
    else
        fprintf(stderr, "%s: %s\n", kind, msg);
    cli_journal_message(s, kind, msg);
}

int cli_error(session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wfs_vformat_message(s->errbuf, sizeof s->errbuf, fmt, ap);
    va_end(ap);
    report(s, "error", s->errbuf);
    print_caret(s);
    s->errpos = -1;
    return 1;
}

int cli_lib_error(session *s, const wfs_error *err)
{
    if (err->position >= 0) s->errpos = (long)s->cmd_offset + err->position;
    return cli_error(s, "%s", err->message[0] ? err->message : wfs_strerror(err->code));
}

void cli_warn(session *s, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    wfs_vformat_message(buf, sizeof buf, fmt, ap);
    va_end(ap);
    report(s, "warning", buf);
}

size_t cli_terminal_width(FILE *f)
{
    struct winsize ws;
    if (f && isatty(fileno(f)) && ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    const char *cols = getenv("COLUMNS");
    if (cols && atoi(cols) >= 20) return (size_t)atoi(cols);
    return 0;
}

int cli_emit(session *s, wfs_result *r)
{
    if (s->quiet) {
        /* run ... quiet: the result is kept for say and save, not shown. */
        wfs_result_free(s->last);
        s->last = r;
        return 0;
    }
    char *text;
    size_t len;
    wfs_error err = WFS_ERROR_INIT;
    wfs_render_options ro = s->set.render;
    if ((s->set.format == WFS_FORMAT_TEXT || s->set.format == WFS_FORMAT_MARKDOWN) &&
        s->interactive && !ro.width)
        ro.width = cli_terminal_width(s->out);
    if (wfs_render(&text, &len, r, s->set.format, &ro, &err)) {
        wfs_result_free(r);
        return cli_lib_error(s, &err);
    }
    /* Tables are separated by a blank line in text and Markdown. */
    fwrite(text, 1, len, s->out);
    /* set explain=on: a plain-English reading under the table. */
    char *reading = NULL;
    if (s->set.render.explain &&
        (s->set.format == WFS_FORMAT_TEXT || s->set.format == WFS_FORMAT_MARKDOWN) &&
        (reading = cli_explain(r)) != NULL) {
        fprintf(s->out, "%s\n", reading);
    }
    if (s->set.format == WFS_FORMAT_TEXT || s->set.format == WFS_FORMAT_MARKDOWN ||
        s->set.format == WFS_FORMAT_CSV)
        fputc('\n', s->out);
    fflush(s->out);
    /* The record keeps the output as a script would print it: at the width
     * of set width= (or the default), not the terminal's. */
    int blank = s->set.format != WFS_FORMAT_JSON;
    if (ro.width != s->set.render.width) {
        char *plain;
        size_t plen;
        if (wfs_render(&plain, &plen, r, s->set.format, &s->set.render, &err) == 0) {
            cli_journal_output(s, plain, plen);
            free(plain);
        }
    } else {
        cli_journal_output(s, text, len);
    }
    if (reading) {
        cli_journal_output(s, reading, strlen(reading));
        cli_journal_output(s, "\n", 1);
        free(reading);
    }
    if (blank) cli_journal_output(s, "\n", 1);
    free(text);
    wfs_result_free(s->last);
    s->last = r;
    return 0;
}

int cli_emit_text(session *s, const char *command, const char *text)
{
    if (s->quiet) return 0;
    if (s->set.format != WFS_FORMAT_JSON) {
        /* A blank line after it, as after a table. */
        fputs(text, s->out);
        fputc('\n', s->out);
        fflush(s->out);
        cli_journal_output(s, text, strlen(text));
        cli_journal_output(s, "\n", 1);
        return 0;
    }
    wfs_result *r;
    wfs_error err = WFS_ERROR_INIT;
    if (wfs_result_new(&r, command, NULL, &err)) return cli_lib_error(s, &err);
    wfs_result_set_layout(r, WFS_LAYOUT_FIELDS);
    wfs_value v = wfs_value_str(text);
    wfs_result_add_field(r, "text", &v);
    return cli_emit(s, r);
}

dataset *cli_current(session *s)
{
    return s->cur >= 0 ? &s->ds[s->cur] : NULL;
}

int cli_is_snapshot(const char *path)
{
    size_t n = strlen(path);
    return n > 4 && strcasecmp(path + n - 4, ".wfb") == 0;
}

dataset *cli_need_dataset(session *s)
{
    dataset *d = cli_current(s);
    if (!d) cli_error(s, "no dataset is loaded: start with load \"file.csv\"");
    return d;
}

dataset *cli_need_design(session *s)
{
    dataset *d = cli_need_dataset(s);
    if (d && !d->design) {
        cli_error(s, "dataset %s has no survey design: declare one with design weight=W "
                     "[strata=S] [cluster=C] (see help design)",
                  d->name);
        return NULL;
    }
    return d;
}

dataset *cli_find_dataset(session *s, const char *name)
{
    for (size_t i = 0; i < s->nds; i++)
        if (strcmp(s->ds[i].name, name) == 0) return &s->ds[i];
    return NULL;
}

long cli_need_var(session *s, const dataset *d, const token *tok)
{
    long j = wfs_table_find(d->table, tok->text);
    if (j >= 0) return j;
    s->errpos = (long)tok->pos;
    const char *best[3];
    size_t nb = 0;
    for (size_t cap = 1; cap <= 3 && nb == 0; cap++)
        for (size_t k = 0; k < wfs_table_ncols(d->table) && nb < 3; k++)
            if (wfs_edit_distance(tok->text, wfs_table_name(d->table, k), cap) <= cap)
                best[nb++] = wfs_table_name(d->table, k);
    if (nb) {
        wfs_buf b = WFS_BUF_INIT;
        wfs_buf_name_list(&b, best, nb, 3);
        cli_error(s, "unknown variable \"%s\" in %s (did you mean %s?)", tok->text, d->name,
                  b.data ? b.data : "");
        wfs_buf_free(&b);
    } else {
        cli_error(s, "unknown variable \"%s\" in %s (describe lists the variables)", tok->text,
                  d->name);
    }
    return -1;
}

/* A name that is not a variable of d but is near one: report it with the
 * nearest names. */
static int misspelt(session *s, const dataset *d, const token *t)
{
    if (t->kind != TK_NAME || wfs_table_find(d->table, t->text) >= 0) return 0;
    for (size_t j = 0; j < wfs_table_ncols(d->table); j++)
        if (wfs_edit_distance(t->text, wfs_table_name(d->table, j), 2) <= 2)
            return cli_need_var(s, d, t) < 0;
    return 0;
}

/* Variable names the command table says a command takes - its by list,
 * and options that name variables - are checked against the active
 * dataset before the command runs, so that a misspelt one gets the nearest
 * names. Only names near a variable are reported here (a command may look
 * in another dataset; it reports other unknown names itself), and commands
 * that name other datasets (from DATASET) are left to check their own. */
static int check_names(session *s, const cli_command *cmd, const cmdline *cl)
{
    dataset *d = cli_current(s);
    if (!d || (cmd->synopsis && strstr(cmd->synopsis, "DATASET"))) return 0;
    for (size_t k = 0; k < cl->nby; k++)
        if (misspelt(s, d, cl->by[k])) return 1;
    for (size_t k = 0; k < cl->nopts; k++) {
        const cmdopt *op = &cl->opts[k];
        const cli_option *o = NULL;
        for (const cli_option *q = cmd->options; q && q->name; q++)
            if (strcmp(q->name, op->key->text) == 0) o = q;
        if (!o || !cli_option_takes_vars(cmd, o)) continue;
        /* repweights=PREFIX* and FIRST-LAST are patterns: design checks them. */
        if (!strcmp(o->name, "repweights")) continue;
        for (size_t i = 0; i < op->nitems; i++)
            if (!op->items[i].b && misspelt(s, d, op->items[i].a)) return 1;
    }
    return 0;
}

int session_exec(session *s, const char *text)
{
    cmdline cl;
    char msg[1024];
    long errpos;
    s->cmdtext = text;
    s->cmd_offset = 0;
    s->errpos = -1;
    cli_journal_begin(s);
    const cli_command *cmd = NULL;
    int rc = 0;
    if (cli_parse(&cl, text, msg, sizeof msg, &errpos)) {
        s->errpos = errpos;
        rc = cli_error(s, "%s", msg);
        goto done;
    }
    if (!cl.name) goto done;
    cmd = cli_find_command(cl.name->text);
    if (!cmd) {
        s->errpos = (long)cl.name->pos;
        const char *near = cli_suggest_command(cl.name->text);
        if (near)
            rc = cli_error(s, "unknown command \"%s\" (did you mean %s?)", cl.name->text, near);
        else
            rc = cli_error(s, "unknown command \"%s\" (help lists the commands)", cl.name->text);
        goto done;
    }
    if (cli_classify(&cl, cmd, msg, sizeof msg, &errpos)) {
        s->errpos = errpos;
        rc = cli_error(s, "%s", msg);
        goto done;
    }
    if (check_names(s, cmd, &cl)) {
        rc = 1;
        goto done;
    }
    if (cmd->fn == cmd_run) cli_journal_run(s, text);
    s->cmd_offset = cl.if_pos;
    /* s->interrupt is cleared by the shell before each line it reads, not
     * here: a Ctrl-C during a script must stop the rest of the script. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = cmd->fn(s, &cl) ? 1 : 0;
    if (s->set.timing) {
        /* Wall time of the command alone (parsing excluded), on stderr so
         * that results on stdout are unchanged. */
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
        fprintf(stderr, "time: %.4f s  %s\n", dt, text);
    }
done:
    cli_cmdline_free(&cl);
    /* Commands that write files or end the session are not run again when
     * the journal is replayed. */
    int replayed = !cmd || !(cmd->fn == cmd_log || cmd->fn == cmd_save || cmd->fn == cmd_export ||
                             cmd->fn == cmd_quit || cmd->fn == cmd_run);
    cli_journal_end(s, text, rc, replayed);
    if (rc) s->errors++;
    s->cmdtext = NULL;
    return rc;
}

typedef struct run_ctx {
    session *s;
    int failed;
} run_ctx;

static int run_one(void *ud, const char *cmd, size_t line)
{
    run_ctx *rc = ud;
    session *s = rc->s;
    s->src_line = line;
    if (session_exec(s, cmd)) {
        rc->failed = 1;
        if (s->bail) return 1;
    }
    if (s->interrupt) {
        rc->failed = 1;
        s->src_line = line;
        cli_error(s, "interrupted: the rest of %s is not run",
                  s->src_name ? s->src_name : "the script");
        return 1;
    }
    return s->quit ? 1 : 0;
}

int session_run_stream(session *s, FILE *f, const char *name)
{
    const char *old_name = s->src_name;
    size_t old_line = s->src_line;
    s->src_name = name;
    cli_splitter sp;
    memset(&sp, 0, sizeof sp);
    run_ctx rc = {s, 0};
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    int stop = 0;
    while (!stop && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (memchr(line, '\0', (size_t)n)) {
            s->src_line = lineno;
            cli_error(s, "NUL byte in the script (is this a binary file?)");
            rc.failed = 1;
            break;
        }
        stop = cli_split_line(&sp, line, lineno, run_one, &rc);
    }
    if (!stop) cli_split_finish(&sp, run_one, &rc);
    free(line);
    cli_splitter_free(&sp);
    s->src_name = old_name;
    s->src_line = old_line;
    return rc.failed;
}

int session_run_text(session *s, const char *text, const char *name)
{
    FILE *f = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
    if (!f) return cli_error(s, "out of memory");
    int rc = session_run_stream(s, f, name);
    fclose(f);
    return rc;
}

int session_run_file(session *s, const char *path)
{
    if (s->run_depth >= MAX_RUN_DEPTH)
        return cli_error(s, "run: scripts are nested more than %d deep (does a script run itself?)",
                         MAX_RUN_DEPTH);
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return cli_error(s, "cannot run %s: not a regular file", path);
    FILE *f = fopen(path, "r");
    if (!f) return cli_error(s, "cannot run %s: %s", path, strerror(errno));
    s->run_depth++;
    int old_interactive = s->interactive;
    s->interactive = 0;
    int rc = session_run_stream(s, f, path);
    s->interactive = old_interactive;
    s->run_depth--;
    fclose(f);
    return rc;
}

size_t cli_memory_limit(void)
{
    size_t avail = 0;
    FILE *f = fopen("/proc/meminfo", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f)) {
            unsigned long long kb;
            if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
                avail = (size_t)(kb * 1024ull);
                break;
            }
        }
        fclose(f);
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        size_t lim = (size_t)rl.rlim_cur;
        if (!avail || lim < avail) avail = lim;
    }
    /* Leave room for the parser, the design and the results. */
    return avail / 10 * 7;
}
