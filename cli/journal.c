/* journal.c - the session record and the log command.
 *
 * Every command of a session is recorded from the start, with what it
 * printed, in a temporary file. `log "session.wfs"` writes that record to
 * the journal file and keeps appending to it, so a journal begun in the
 * middle of a session still holds the commands that loaded the data.
 *
 * A journal is a script: `wfstat session.wfs` replays it. Its lines are
 *
 *   COMMAND                  a command that succeeded (with seed=N added
 *                            when the command drew a seed itself)
 *   #> OUTPUT                what the command printed, in the session's
 *                            format; replaying prints exactly these lines
 *   # failed: COMMAND        a command that failed, followed by
 *   # error: MESSAGE         its message
 *   # COMMAND                log, save, export, run and quit, which are
 *                            not run again (run's commands are recorded)
 *   # sha256 HEX  PATH       the checksum of each file loaded
 *
 * Text tables are recorded at the width a script would print them (set
 * width=, or 80 columns), not the width of the terminal, so that the replay
 * reproduces them byte for byte. The record stops keeping output once it
 * holds 64 MB; commands are still recorded.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "wfs-private.h"

#define RECORD_OUTPUT_MAX (64u << 20)
#define MAX_DEPTH         32

struct journal {
    FILE *record; /* the whole session; NULL when none could be made */
    int started, unavailable;
    size_t bytes;
    int output_dropped;
    wfs_buf out[MAX_DEPTH]; /* what each running command printed */
    int header_done[MAX_DEPTH];
    wfs_buf extra[MAX_DEPTH];
    size_t depth;
};

static struct journal *journal_of(session *s)
{
    if (!s->jn) s->jn = calloc(1, sizeof *s->jn);
    return s->jn;
}

void cli_journal_free(session *s)
{
    struct journal *j = s->jn;
    if (s->journal) fclose(s->journal);
    s->journal = NULL;
    free(s->journal_path);
    s->journal_path = NULL;
    if (!j) return;
    if (j->record) fclose(j->record);
    for (size_t i = 0; i < MAX_DEPTH; i++) {
        wfs_buf_free(&j->out[i]);
        wfs_buf_free(&j->extra[i]);
    }
    free(j);
    s->jn = NULL;
}

/* Write to the record and to the journal being kept. */
static void put(session *s, const char *data, size_t n)
{
    struct journal *j = s->jn;
    if (j && j->record) {
        if (fwrite(data, 1, n, j->record) != n) {
            fclose(j->record);
            j->record = NULL;
            j->unavailable = 1;
        }
        j->bytes += n;
    }
    if (s->journal) {
        fwrite(data, 1, n, s->journal);
        fflush(s->journal);
    }
}

static void puts_both(session *s, const char *text)
{
    put(s, text, strlen(text));
}

/* Settings that differ from a new session's, as a set command. */
static void settings_line(const session *s, wfs_buf *b)
{
    session fresh;
    session_init(&fresh);
    const settings *a = &s->set, *d = &fresh.set;
    wfs_buf w = WFS_BUF_INIT;
    if (a->format != d->format) wfs_buf_printf(&w, " format=%s", wfs_format_name(a->format));
    if (a->render.digits != d->render.digits) wfs_buf_printf(&w, " digits=%d", a->render.digits);
    if (a->render.show != d->render.show)
        wfs_buf_printf(&w, " show=%s", a->render.show == WFS_SHOW_CI ? "ci" : "se");
    if (a->level != d->level) {
        wfs_buf_puts(&w, " level=");
        wfs_buf_double(&w, a->level, 0);
    }
    if (strcmp(a->ci, d->ci) != 0) wfs_buf_printf(&w, " ci=%s", a->ci);
    if (!(isnan(a->df) && isnan(d->df))) {
        wfs_buf_puts(&w, " df=");
        if (isinf(a->df))
            wfs_buf_puts(&w, "inf");
        else
            wfs_buf_double(&w, a->df, 0);
    }
    if (a->lonely != d->lonely) wfs_buf_printf(&w, " lonely=%s", wfs_lonely_name(a->lonely));
    if (a->suppress != d->suppress) {
        wfs_buf_puts(&w, " suppress=");
        wfs_buf_double(&w, a->suppress, 0);
    }
    if (a->render.explain != d->render.explain)
        wfs_buf_printf(&w, " explain=%s", a->render.explain ? "on" : "off");
    if (a->render.width) wfs_buf_printf(&w, " width=%zu", a->render.width);
    if (a->progress != d->progress) wfs_buf_printf(&w, " progress=%s", a->progress ? "on" : "off");
    if (w.len) wfs_buf_printf(b, "set%s\n", w.data);
    wfs_buf_free(&w);
    session_free(&fresh);
}

static void start_record(session *s)
{
    struct journal *j = journal_of(s);
    if (!j || j->started) return;
    j->started = 1;
    j->record = tmpfile();
    if (!j->record) {
        j->unavailable = 1;
        return;
    }
    /* A session started with --format=json and the like. */
    wfs_buf b = WFS_BUF_INIT;
    settings_line(s, &b);
    if (b.len) put(s, b.data, b.len);
    wfs_buf_free(&b);
}

void cli_journal_begin(session *s)
{
    struct journal *j = journal_of(s);
    if (!j) return;
    start_record(s);
    j->depth++;
    if (j->depth < MAX_DEPTH) {
        j->out[j->depth].len = 0;
        if (j->out[j->depth].data) j->out[j->depth].data[0] = '\0';
        j->extra[j->depth].len = 0;
        if (j->extra[j->depth].data) j->extra[j->depth].data[0] = '\0';
        j->header_done[j->depth] = 0;
    }
}

static wfs_buf *current_out(session *s)
{
    struct journal *j = s->jn;
    return j && j->depth > 0 && j->depth < MAX_DEPTH ? &j->out[j->depth] : NULL;
}

/* Lines of text, each with a prefix, into the running command's record. */
static void add_lines(session *s, const char *prefix, const char *text, size_t len, int output)
{
    struct journal *j = s->jn;
    if (!j) return;
    if (output && j->bytes > RECORD_OUTPUT_MAX) {
        if (!j->output_dropped) {
            j->output_dropped = 1;
            wfs_buf *o = current_out(s);
            const char *msg = "# (output no longer kept: the session's record is over 64 MB)\n";
            if (o)
                wfs_buf_puts(o, msg);
            else
                puts_both(s, msg);
        }
        return;
    }
    wfs_buf tmp = WFS_BUF_INIT;
    wfs_buf *o = current_out(s);
    wfs_buf *b = o ? o : &tmp;
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - text - i) : len - i;
        wfs_buf_puts(b, prefix);
        if (n) wfs_buf_putc(b, ' ');
        wfs_buf_add(b, text + i, n);
        wfs_buf_putc(b, '\n');
        i += n + (nl != NULL);
    }
    if (!o && tmp.len) put(s, tmp.data, tmp.len);
    wfs_buf_free(&tmp);
}

void cli_journal_output(session *s, const char *text, size_t len)
{
    add_lines(s, "#>", text, len, 1);
}

void cli_journal_message(session *s, const char *kind, const char *msg)
{
    wfs_buf b = WFS_BUF_INIT;
    wfs_buf_printf(&b, "%s: %s", kind, msg);
    add_lines(s, "#", b.data ? b.data : "", b.len, 0);
    wfs_buf_free(&b);
}

void cli_journal_option(session *s, const char *key, const char *value)
{
    struct journal *j = journal_of(s);
    if (!j || !j->depth || j->depth >= MAX_DEPTH) return;
    wfs_buf_printf(&j->extra[j->depth], " %s=%s", key, value);
}

void cli_journal_run(session *s, const char *text)
{
    struct journal *j = s->jn;
    if (!j || !j->depth || j->depth >= MAX_DEPTH) return;
    wfs_buf b = WFS_BUF_INIT;
    wfs_buf_printf(&b, "# %s\n", text);
    put(s, b.data, b.len);
    wfs_buf_free(&b);
    j->header_done[j->depth] = 1;
}

/* Does text already give key= (so a seed drawn is not added twice)?
 * kv is " key=value". */
static int gives_key(const char *text, const char *kv)
{
    const char *key = kv + 1;
    const char *eq = strchr(key, '=');
    if (!eq) return 0;
    size_t n = (size_t)(eq - key) + 1; /* "key=" */
    for (const char *p = text; *p; p++)
        if ((p == text || p[-1] == ' ') && strncmp(p, key, n) == 0) return 1;
    return 0;
}

void cli_journal_end(session *s, const char *text, int rc, int replayed)
{
    struct journal *j = s->jn;
    if (!j || !j->depth) return;
    size_t d = j->depth;
    wfs_buf b = WFS_BUF_INIT;
    if (d < MAX_DEPTH && !j->header_done[d]) {
        if (!replayed)
            wfs_buf_printf(&b, "# %s\n", text);
        else if (rc)
            wfs_buf_printf(&b, "# failed: %s\n", text);
        else {
            wfs_buf_puts(&b, text);
            const wfs_buf *x = &j->extra[d];
            size_t i = 0;
            while (x->data && i < x->len) {
                size_t n = strcspn(x->data + i + 1, " ") + 1;
                char *kv = wfs_strndup(x->data + i, n);
                if (kv && !gives_key(text, kv)) wfs_buf_puts(&b, kv);
                free(kv);
                i += n;
            }
            wfs_buf_putc(&b, '\n');
        }
    }
    if (d < MAX_DEPTH && j->out[d].len) {
        /* A command that is not run again must not leave output that the
         * replay would be expected to print. */
        const char *p = j->out[d].data, *e = p + j->out[d].len;
        while (p < e) {
            const char *nl = memchr(p, '\n', (size_t)(e - p));
            size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(e - p);
            if (replayed || !(n >= 2 && p[0] == '#' && p[1] == '>')) wfs_buf_add(&b, p, n);
            p += n;
        }
    }
    if (b.len) put(s, b.data, b.len);
    wfs_buf_free(&b);
    j->depth--;
}

/* ------------------------------------------------------------------ */
/* Checksums of loaded files                                           */
/* ------------------------------------------------------------------ */

static void sha_line(wfs_buf *b, const char *path, dataset *d)
{
    char hex[65];
    if (cli_sha256_file(path, hex) == 0) {
        wfs_buf_printf(b, "# sha256 %s  %s\n", hex, path);
        if (d) memcpy(d->sha256, hex, sizeof hex);
    } else {
        wfs_buf_printf(b, "# sha256 unavailable: cannot read %s\n", path);
    }
}

void cli_journal_file(session *s, dataset *d)
{
    struct journal *j = journal_of(s);
    if (!j) return;
    char full[PATH_MAX];
    const char *path = realpath(d->path, full) ? full : d->path;
    wfs_buf b = WFS_BUF_INIT;
    if (s->journal) {
        /* A journal is being kept: the checksum now. */
        sha_line(&b, path, d);
    } else {
        /* Only if a journal is asked for later: note the file and its
         * size and time, so the checksum can be taken then if the file
         * has not changed. Loading a large file stays fast. */
        struct stat st;
        if (stat(path, &st) == 0)
            wfs_buf_printf(&b, "#\x01sha256 %lld %lld %ld %s\n", (long long)st.st_size,
                           (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec, path);
    }
    wfs_buf *o = current_out(s);
    if (o && b.data)
        wfs_buf_add(o, b.data, b.len);
    else if (b.data)
        put(s, b.data, b.len);
    wfs_buf_free(&b);
}

/* A marker line of the record as it goes into the journal. */
static void resolve_marker(session *s, const char *line, wfs_buf *out)
{
    long long size, sec;
    long nsec;
    int used = 0;
    if (sscanf(line, "#\x01sha256 %lld %lld %ld %n", &size, &sec, &nsec, &used) != 3 || !used)
        return;
    char *path = wfs_strdup(line + used);
    if (!path) return;
    size_t n = strlen(path);
    while (n && path[n - 1] == '\n') path[--n] = '\0';
    struct stat st;
    if (stat(path, &st) == 0 && st.st_size == size && st.st_mtim.tv_sec == sec &&
        st.st_mtim.tv_nsec == nsec) {
        dataset *d = NULL;
        for (size_t i = 0; i < s->nds; i++) {
            char full[PATH_MAX];
            if (realpath(s->ds[i].path, full) && strcmp(full, path) == 0) d = &s->ds[i];
        }
        sha_line(out, path, d);
    } else {
        wfs_buf_printf(out, "# sha256 unavailable: %s has changed since it was loaded\n", path);
    }
    free(path);
}

/* ------------------------------------------------------------------ */
/* The log command                                                     */
/* ------------------------------------------------------------------ */

static int log_status(session *s)
{
    struct journal *j = journal_of(s);
    wfs_result *r;
    wfs_error err = WFS_ERROR_INIT;
    if (wfs_result_new(&r, "log", NULL, &err)) return cli_lib_error(s, &err);
    wfs_result_set_layout(r, WFS_LAYOUT_FIELDS);
    wfs_value v = s->journal ? wfs_value_str(s->journal_path) : wfs_value_str("off");
    wfs_result_add_field(r, "journal", &v);
    v = wfs_value_str(j && j->unavailable ? "unavailable" : "on");
    wfs_result_add_field(r, "record", &v);
    /* Not the last result: save still saves the result before. */
    wfs_result *last = s->last;
    s->last = NULL;
    int rc = cli_emit(s, r);
    wfs_result_free(s->last);
    s->last = last;
    return rc;
}

static void close_journal(session *s)
{
    if (!s->journal) return;
    time_t now = time(NULL);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&now));
    fprintf(s->journal, "# journal closed %s\n", when);
    fclose(s->journal);
    s->journal = NULL;
    free(s->journal_path);
    s->journal_path = NULL;
}

int cmd_log(session *s, const cmdline *cl)
{
    if (cl->npos == 0) return log_status(s);
    const token *t = cl->pos[0];
    if (cl->npos > 1) {
        s->errpos = (long)cl->pos[1]->pos;
        return cli_error(s, "log takes one file name: log \"session.wfs\" [replace], or log off");
    }
    if (t->kind == TK_NAME && !t->quoted && strcmp(t->text, "off") == 0) {
        if (!s->journal) return cli_error(s, "no journal is being kept");
        fputs("# log off\n", s->journal);
        close_journal(s);
        return 0;
    }
    if (t->kind != TK_STRING) {
        s->errpos = (long)t->pos;
        return cli_error(s, "log takes a quoted file name: log \"session.wfs\" [replace]");
    }
    struct journal *j = journal_of(s);
    if (!j) return cli_error(s, "out of memory");
    start_record(s);
    if (!j->record)
        return cli_error(s, "cannot keep a journal: no temporary file for the session's record "
                            "(is TMPDIR writable?)");
    const char *path = t->text;
    if (s->journal_path && strcmp(s->journal_path, path) == 0)
        return cli_error(s, "the journal is already being written to %s", path);
    wfs_outfile *f;
    wfs_error err = WFS_ERROR_INIT;
    if (wfs_outfile_open(&f, path, cli_flag(cl, "replace"), &err)) return cli_lib_error(s, &err);
    /* The header, then the session so far. */
    time_t now = time(NULL);
    char when[64], cwd[PATH_MAX];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&now));
    /* Relative file names in the commands are relative to this directory. */
    const char *dir = getcwd(cwd, sizeof cwd) ? cwd : ".";
    wfs_buf b = WFS_BUF_INIT;
    wfs_buf_printf(&b,
                   "# wfstat %s session journal, started %s\n"
                   "# Replay it with: cd %s && wfstat %s%s%s\n"
                   "# Lines starting #> are the output the replay prints again.\n",
                   wfs_version(), when, dir, path[0] == '/' ? "" : dir, path[0] == '/' ? "" : "/",
                   path);
    wfs_outfile_write(f, b.data, b.len);
    wfs_buf_free(&b);
    fflush(j->record);
    rewind(j->record);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, j->record)) > 0) {
        if (n > 2 && line[0] == '#' && line[1] == '\x01') {
            wfs_buf m = WFS_BUF_INIT;
            resolve_marker(s, line, &m);
            if (m.len) wfs_outfile_write(f, m.data, m.len);
            wfs_buf_free(&m);
        } else {
            wfs_outfile_write(f, line, (size_t)n);
        }
    }
    free(line);
    fseek(j->record, 0, SEEK_END);
    if (wfs_outfile_commit(f, &err)) return cli_lib_error(s, &err);
    FILE *jf = fopen(path, "a");
    if (!jf) return cli_error(s, "cannot append to the journal %s: %s", path, strerror(errno));
    close_journal(s);
    s->journal = jf;
    s->journal_path = wfs_strdup(path);
    if (s->interactive)
        fprintf(stderr, "journal: %s (the session so far, then every command)\n", path);
    return 0;
}
