/* export.c - writing output files: results, journals and data as CSV.
 *
 * Every file is written to a temporary name in the same directory and
 * then moved into place, so a reader never sees half a file and a failed
 * write leaves an earlier file as it was. An existing file is replaced only
 * when the caller asks (replace); otherwise the move is made with link(),
 * which fails atomically if the name exists. A character device or a named
 * pipe (/dev/stdout, a FIFO) cannot be replaced by a rename and is written in
 * place; nothing is overwritten there, so replace is not needed.
 *
 * CSV export writes numbers so that they read back exactly (up to 17
 * significant digits), missing values as empty fields, and quotes a field
 * only when it must (delimiter, quote, line break, surrounding blanks, an
 * empty string or NA, which would read back as missing).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wfs-private.h"

struct wfs_outfile {
    char *path;
    char *tmp;
    int fd;
    int replace;
    int direct; /* a device or pipe, written in place */
    int failed;
    int saved_errno;
    char buf[1 << 16];
    size_t len;
};

void wfs_outfile_discard(wfs_outfile *f)
{
    if (!f) return;
    if (f->fd >= 0) close(f->fd);
    if (f->tmp) unlink(f->tmp);
    free(f->path);
    free(f->tmp);
    free(f);
}

int wfs_outfile_open(wfs_outfile **out, const char *path, int replace, wfs_error *err)
{
    *out = NULL;
    if (!path || !*path) return wfs_fail(err, WFS_EINVAL, "an output file needs a name");
    struct stat st;
    int direct = 0;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return wfs_fail(err, WFS_EINVAL, "%s is a directory, not a file", path);
        direct = S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode);
        if (!S_ISREG(st.st_mode) && !direct)
            return wfs_fail(err, WFS_EINVAL, "%s is not a regular file, a device or a pipe", path);
        if (!replace && !direct)
            return wfs_fail(err, WFS_EEXIST, "%s exists: add replace to overwrite it", path);
    }
    wfs_outfile *f = calloc(1, sizeof *f);
    if (!f) return wfs_nomem(err);
    f->fd = -1;
    f->replace = replace;
    f->direct = direct;
    f->path = wfs_strdup(path);
    if (!f->path) {
        wfs_outfile_discard(f);
        return wfs_nomem(err);
    }
    if (direct) {
        /* Renaming over a device would replace the device node itself. A
         * pipe with no reader fails at once (ENXIO) rather than blocking. */
        f->fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (f->fd < 0) {
            int e = errno;
            wfs_outfile_discard(f);
            return wfs_fail(err, WFS_EIO, "cannot write %s: %s", path,
                            e == ENXIO ? "no process is reading the pipe" : strerror(e));
        }
        int fl = fcntl(f->fd, F_GETFL);
        if (fl >= 0) fcntl(f->fd, F_SETFL, fl & ~O_NONBLOCK);
        *out = f;
        return 0;
    }
    /* The temporary file sits beside the target so the rename stays on one
     * file system; it is created 0666 less the umask, as the file will be. */
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    static unsigned long counter;
    for (int attempt = 0; attempt < 100 && f->fd < 0; attempt++) {
        wfs_buf b = WFS_BUF_INIT;
        wfs_buf_add(&b, path, dirlen);
        wfs_buf_printf(&b, ".%s.%ld-%lu-%ld.tmp", path + dirlen, (long)getpid(), ++counter,
                       (long)(time(NULL) % 100000));
        free(f->tmp);
        f->tmp = wfs_buf_take(&b, NULL);
        if (!f->tmp) {
            wfs_outfile_discard(f);
            return wfs_nomem(err);
        }
        f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (f->fd < 0 && errno != EEXIST) break;
    }
    if (f->fd < 0) {
        int e = errno;
        free(f->tmp);
        f->tmp = NULL;
        wfs_outfile_discard(f);
        return wfs_fail(err, WFS_EIO, "cannot write %s: %s", path, strerror(e));
    }
    *out = f;
    return 0;
}

static void flush_buf(wfs_outfile *f)
{
    size_t done = 0;
    while (!f->failed && done < f->len) {
        ssize_t n = write(f->fd, f->buf + done, f->len - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            f->failed = 1;
            f->saved_errno = errno;
            break;
        }
        done += (size_t)n;
    }
    f->len = 0;
}

void wfs_outfile_write(wfs_outfile *f, const void *data, size_t len)
{
    const char *p = data;
    while (len && !f->failed) {
        size_t room = sizeof f->buf - f->len;
        size_t n = len < room ? len : room;
        memcpy(f->buf + f->len, p, n);
        f->len += n;
        p += n;
        len -= n;
        if (f->len == sizeof f->buf) flush_buf(f);
    }
}

int wfs_outfile_commit(wfs_outfile *f, wfs_error *err)
{
    flush_buf(f);
    if (!f->failed && !f->direct && fsync(f->fd) != 0 && errno != EINVAL) {
        f->failed = 1;
        f->saved_errno = errno;
    }
    if (close(f->fd) != 0 && !f->failed) {
        f->failed = 1;
        f->saved_errno = errno;
    }
    f->fd = -1;
    int rc = 0;
    if (f->failed) {
        rc = wfs_fail(err, WFS_EIO, "cannot write %s: %s", f->path, strerror(f->saved_errno));
    } else if (f->direct) {
        /* written in place: nothing to move */
    } else if (f->replace) {
        if (rename(f->tmp, f->path) != 0)
            rc = wfs_fail(err, WFS_EIO, "cannot write %s: %s", f->path, strerror(errno));
    } else if (link(f->tmp, f->path) != 0) {
        int e = errno;
        if (e == EEXIST) {
            rc = wfs_fail(err, WFS_EEXIST, "%s exists: add replace to overwrite it", f->path);
        } else if (e == EPERM || e == ENOTSUP || e == EOPNOTSUPP || e == EMLINK) {
            /* A file system without hard links: check, then rename. */
            struct stat st;
            if (stat(f->path, &st) == 0)
                rc = wfs_fail(err, WFS_EEXIST, "%s exists: add replace to overwrite it", f->path);
            else if (rename(f->tmp, f->path) != 0)
                rc = wfs_fail(err, WFS_EIO, "cannot write %s: %s", f->path, strerror(errno));
        } else {
            rc = wfs_fail(err, WFS_EIO, "cannot write %s: %s", f->path, strerror(e));
        }
    }
    wfs_outfile_discard(f); /* removes the temporary name (the file stays linked) */
    return rc;
}

int wfs_file_write(const char *path, const void *data, size_t len, int replace, wfs_error *err)
{
    wfs_outfile *f;
    int rc = wfs_outfile_open(&f, path, replace, err);
    if (rc) return rc;
    wfs_outfile_write(f, data, len);
    return wfs_outfile_commit(f, err);
}

/* ------------------------------------------------------------------ */
/* CSV                                                                 */
/* ------------------------------------------------------------------ */

static void put_field(wfs_outfile *f, const char *s, char delim)
{
    size_t n = strlen(s);
    int quote = n == 0 || strcmp(s, "NA") == 0 || s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' ||
                s[n - 1] == '\t';
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == delim || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        wfs_outfile_write(f, s, n);
        return;
    }
    wfs_outfile_write(f, "\"", 1);
    const char *p = s;
    for (const char *q; (q = strchr(p, '"')); p = q + 1) {
        wfs_outfile_write(f, p, (size_t)(q - p) + 1);
        wfs_outfile_write(f, "\"", 1);
    }
    wfs_outfile_write(f, p, strlen(p));
    wfs_outfile_write(f, "\"", 1);
}

static void put_number(wfs_outfile *f, double x)
{
    if (isnan(x)) return; /* missing: an empty field */
    char tmp[32];
    wfs_format_double(tmp, x, 0);
    wfs_outfile_write(f, tmp, strlen(tmp));
}

int wfs_csv_write(const char *path, const wfs_table *t, const wfs_csv_write_options *opt,
                  wfs_error *err)
{
    wfs_csv_write_options defaults = WFS_CSV_WRITE_OPTIONS_INIT;
    if (!opt) opt = &defaults;
    char delim = opt->delim ? opt->delim : ',';
    if (delim == '"' || delim == '\n' || delim == '\r')
        return wfs_fail(err, WFS_EINVAL, "'%c' cannot separate CSV fields", delim);
    size_t nc = wfs_table_ncols(t), nr = wfs_table_nrows(t);
    const char *wname = opt->weight_name && *opt->weight_name ? opt->weight_name : "final_weight";
    long wcol = opt->weights ? wfs_table_find(t, wname) : -1;
    int wextra = opt->weights && wcol < 0;
    wfs_outfile *f;
    int rc = wfs_outfile_open(&f, path, opt->replace, err);
    if (rc) return rc;
    for (size_t j = 0; j < nc; j++) {
        if (j) wfs_outfile_write(f, &delim, 1);
        put_field(f, wfs_table_name(t, j), delim);
    }
    if (wextra) {
        if (nc) wfs_outfile_write(f, &delim, 1);
        put_field(f, wname, delim);
    }
    wfs_outfile_write(f, "\n", 1);
    for (size_t i = 0; i < nr; i++) {
        if ((i & 0xffff) == 0 && i && wfs_interrupted(opt->control)) {
            wfs_outfile_discard(f);
            return wfs_fail(err, WFS_EINTR, "writing %s interrupted; the file was not written",
                            path);
        }
        for (size_t j = 0; j < nc; j++) {
            if (j) wfs_outfile_write(f, &delim, 1);
            if ((long)j == wcol) {
                put_number(f, opt->weights[i]);
                continue;
            }
            switch (wfs_table_type(t, j)) {
            case WFS_NUMERIC:
                put_number(f, wfs_table_numeric(t, j)[i]);
                break;
            case WFS_CATEGORICAL: {
                int32_t c = wfs_table_codes(t, j)[i];
                if (c >= 0) put_field(f, wfs_table_level(t, j, (size_t)c), delim);
                break;
            }
            default: {
                const char *s = wfs_table_text(t, j)[i];
                if (s) put_field(f, s, delim);
            }
            }
        }
        if (wextra) {
            if (nc) wfs_outfile_write(f, &delim, 1);
            put_number(f, opt->weights[i]);
        }
        wfs_outfile_write(f, "\n", 1);
        if (opt->control && opt->control->progress && (i & 0xfffff) == 0 && i)
            opt->control->progress(opt->control->user, (double)i / (double)nr, "writing");
    }
    return wfs_outfile_commit(f, err);
}
