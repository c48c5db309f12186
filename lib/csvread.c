/* csvread.c - CSV import through libcsv (the only file that includes csv.h).
 *
 * A header row names the columns. Each column is numeric when every
 * non-missing field parses as a decimal number, otherwise categorical.
 * Missing tokens: the empty field and "NA" unless the caller lists others.
 *
 * Policy on bad input: the first problem stops the load and is reported as
 * "file:line:column: message", where column is the 1-based field number
 * (for malformed quotes, the 1-based character on the line; for problems with a
 * whole row or file, 1).
 * Malformed quotes, ragged rows, invalid UTF-8, NUL bytes, empty files,
 * empty or duplicate column names, numbers out of range, files that change
 * while being read and loads above the memory limit are all errors. Nothing
 * here can crash on hostile input: the file is read with read(2) (not
 * mapped, so a truncated file cannot raise SIGBUS) and every allocation is
 * checked.
 *
 * Speed: the hot path per field is one number parse (a correctly rounded
 * fast path for ordinary decimals) or one hash lookup. Line numbers are not
 * tracked while parsing; when an error needs one, the file is scanned again
 * up to the offending record.
 */
#include "config.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wfs-private.h"

#define CHUNK (1u << 20)
#define FIELD_GROW_MIN (64u << 10)
/* The longest field accepted: far above any real value, and low enough that
 * a file with a quote left open, or no line endings at all, fails early with
 * a clear message instead of holding gigabytes in one field. */
#define MAX_FIELD ((size_t)256 << 20)
/* The most columns a file may have, and the memory each is counted as
 * taking before any row (its name, state, first rows and table column). */
#define MAX_COLS ((size_t)1000000)
#define COL_BYTES ((size_t)512)
#define MAX_NA 16

enum { KIND_NUMERIC, KIND_CATEG };

typedef struct colstate {
    int kind;
    double *num;
    uint8_t *miss;
    int32_t *codes;
    wfs_strmap map;
    char **levels;
    size_t nlevels, levcap;
    size_t flip_row;  /* rows before this need a second pass (numeric -> categorical) */
    int flipped;
    struct short_level *cache; /* recent short labels and their codes (see short_key) */
} colstate;

typedef struct loader {
    const char *name;
    wfs_error *err;
    int failed;
    /* header */
    int in_header;
    char **names;
    size_t ncols, namecap;
    /* data */
    colstate *cols;
    size_t row, cap, field;
    size_t records; /* records seen, header included */
    const char *na[MAX_NA];
    size_t nalen[MAX_NA];
    size_t nna;
    size_t max_memory;
    size_t text_bytes; /* level labels and their index, counted against max_memory */
    size_t bytes_total;
    /* second pass */
    int pass2;
    /* loading in two parts: the parse of the first part stopped inside a
     * record, so the split point was not a record boundary */
    int bad_split;
} loader;

/* ------------------------------------------------------------------ */
/* Numbers                                                             */
/* ------------------------------------------------------------------ */

static const double pow10tab[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                    1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Parse a decimal number: [+-]digits[.digits][(e|E)[+-]digits], surrounding
 * spaces allowed. Returns 1 and *out on success, 0 if the text is not a
 * number, -1 if it is a number too large for a double. Hexadecimal, inf,
 * nan and thousands separators are not numbers. */
static int parse_number(const char *s, size_t n, double *out)
{
    while (n && s[n - 1] == ' ') n--;
    while (n && *s == ' ') s++, n--;
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    uint64_t m = 0;
    int sig = 0, truncated = 0, any = 0;
    long exp10 = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        any = 1;
        int d = s[i] - '0';
        if (m == 0 && d == 0) continue;
        if (sig < 19) {
            m = m * 10 + (uint64_t)d;
            sig++;
        } else {
            exp10++;
            truncated |= d != 0;
        }
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            any = 1;
            int d = s[i] - '0';
            if (m == 0 && d == 0) {
                exp10--;
                continue;
            }
            if (sig < 19) {
                m = m * 10 + (uint64_t)d;
                sig++;
                exp10--;
            } else {
                truncated |= d != 0;
            }
        }
    }
    if (!any) return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < n && (s[i] == '-' || s[i] == '+')) eneg = s[i++] == '-';
        if (i >= n || s[i] < '0' || s[i] > '9') return 0;
        long e = 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            if (e < 100000) e = e * 10 + (s[i] - '0');
        exp10 += eneg ? -e : e;
    }
    if (i != n) return 0;
    if (m == 0) {
        *out = 0.0; /* also maps -0 to 0 */
        return 1;
    }
    if (!truncated && m <= (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
        /* Clinger's fast path: both operands exact, one rounding. */
        double v = (double)m;
        v = exp10 < 0 ? v / pow10tab[-exp10] : v * pow10tab[exp10];
        *out = neg ? -v : v;
        return 1;
    }
    char small[128], *buf = small;
    if (n >= sizeof small && !(buf = malloc(n + 1))) return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    double v = strtod(buf, NULL);
    int range = errno == ERANGE && isinf(v);
    if (buf != small) free(buf);
    if (range) return -1;
    *out = v == 0 ? 0.0 : v;
    return 1;
}

/* ------------------------------------------------------------------ */
/* Locating lines after an error                                       */
/* ------------------------------------------------------------------ */

typedef struct locator {
    size_t rec, field, line;
    size_t target_rec, target_field;
    size_t found;
    int pending_cr, done;
} locator;

static void count_lines(locator *lc, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r') {
            lc->line++;
            lc->pending_cr = 1;
        } else {
            if (s[i] == '\n' && !lc->pending_cr) lc->line++;
            lc->pending_cr = 0;
        }
    }
}

static void loc_field(void *data, size_t len, void *ud)
{
    locator *lc = ud;
    if (lc->done) return;
    if (lc->rec == lc->target_rec && lc->field == lc->target_field) {
        lc->found = lc->line;
        lc->done = 1;
        return;
    }
    lc->pending_cr = 0;
    count_lines(lc, data, len);
    lc->pending_cr = 0;
    lc->field++;
}

static void loc_record(int c, void *ud)
{
    locator *lc = ud;
    if (lc->done) return;
    if (lc->field == 0) { /* a bare line ending */
        if (c == '\n' && lc->pending_cr) {
            lc->pending_cr = 0;
            return;
        }
        if (c == '\n' || c == '\r') lc->line++;
        lc->pending_cr = c == '\r';
        return;
    }
    if (lc->rec == lc->target_rec && lc->target_field >= lc->field) {
        lc->found = lc->line;
        lc->done = 1;
        return;
    }
    lc->rec++;
    lc->field = 0;
    if (c == '\n' || c == '\r') lc->line++;
    lc->pending_cr = c == '\r';
}

/* ------------------------------------------------------------------ */
/* Input sources: a file read in chunks, or a memory buffer            */
/* ------------------------------------------------------------------ */

typedef struct source {
    const char *path; /* NULL for memory */
    int fd;
    const char *mem;
    size_t memlen, pos;
    char *buf;
    struct stat st0;
    size_t start, limit; /* a part of a file: bytes [start, limit); limit 0 = to the end */
} source;

static int source_open(source *src, wfs_error *err, const char *name)
{
    src->pos = 0;
    if (!src->path) return 0;
    src->fd = open(src->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (src->fd < 0)
        return wfs_fail(err, WFS_EIO, "%s: cannot open: %s", name, strerror(errno));
    if (fstat(src->fd, &src->st0) != 0) {
        int e = errno;
        close(src->fd);
        src->fd = -1;
        return wfs_fail(err, WFS_EIO, "%s: cannot read: %s", name, strerror(e));
    }
    if (!S_ISREG(src->st0.st_mode)) {
        close(src->fd);
        src->fd = -1;
        return wfs_fail(err, WFS_EIO, "%s: not a regular file (%s)", name,
                        S_ISDIR(src->st0.st_mode)    ? "a directory"
                        : S_ISFIFO(src->st0.st_mode) ? "a pipe"
                                                     : "a device or socket");
    }
    /* Regular files never block; clear O_NONBLOCK for clean reads. */
    int fl = fcntl(src->fd, F_GETFL);
    if (fl >= 0) fcntl(src->fd, F_SETFL, fl & ~O_NONBLOCK);
    if (src->start && lseek(src->fd, (off_t)src->start, SEEK_SET) < 0) {
        int e = errno;
        close(src->fd);
        src->fd = -1;
        return wfs_fail(err, WFS_EIO, "%s: cannot read: %s", name, strerror(e));
    }
    if (!src->buf && !(src->buf = malloc(CHUNK))) {
        close(src->fd);
        src->fd = -1;
        return wfs_nomem(err);
    }
    return 0;
}

/* A second reader of the same input, for finding an error's line. */
static int source_reopen(source *s2, const source *src, wfs_error *err, const char *name)
{
    *s2 = *src;
    s2->buf = NULL;
    s2->fd = -1;
    return source_open(s2, err, name);
}

/* Next chunk: returns its length (0 at end) or -1 on error. */
static long source_next(source *src, const char **chunk, wfs_error *err, const char *name)
{
    if (!src->path) {
        size_t n = src->memlen - src->pos;
        if (n > CHUNK) n = CHUNK;
        *chunk = src->mem + src->pos;
        src->pos += n;
        return (long)n;
    }
    size_t got = 0, want = CHUNK;
    if (src->limit && src->limit - src->start - src->pos < want)
        want = src->limit - src->start - src->pos;
    while (got < want) {
        ssize_t r = read(src->fd, src->buf + got, want - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            wfs_fail(err, WFS_EIO, "%s: read error: %s", name, strerror(errno));
            return -1;
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    src->pos += got;
    *chunk = src->buf;
    return (long)got;
}

/* After a full read: did the file change underneath us? */
static int source_check_unchanged(source *src, wfs_error *err, const char *name)
{
    if (!src->path) return 0;
    struct stat st;
    if (fstat(src->fd, &st) != 0 || st.st_size != src->st0.st_size ||
        st.st_mtim.tv_sec != src->st0.st_mtim.tv_sec ||
        st.st_mtim.tv_nsec != src->st0.st_mtim.tv_nsec ||
        (off_t)(src->start + src->pos) != (src->limit ? (off_t)src->limit : st.st_size))
        return wfs_fail(err, WFS_EIO, "%s: the file changed while it was being read; load it again",
                        name);
    return 0;
}

static void source_close(source *src)
{
    if (src->path && src->fd >= 0) close(src->fd);
    src->fd = -1;
}

/* ------------------------------------------------------------------ */
/* Parser setup shared by all passes                                   */
/* ------------------------------------------------------------------ */

/* Spaces and tabs around unquoted fields are trimmed. That is libcsv's
 * default, which it tests inline; a space function would be called for
 * every byte of the file. The delimiter is checked first, so a tab
 * delimiter is never taken for a space. */
static int parser_init(struct csv_parser *p, char delim, unsigned char extra_opts)
{
    if (csv_init(p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL | extra_opts) != 0) return -1;
    csv_set_delim(p, (unsigned char)delim);
    return 0;
}

/* libcsv grows its field buffer by blk_size bytes at a time; with the
 * default of 128 bytes a long quoted field (an unbalanced quote early in a
 * large file makes the rest of the file one field) costs time quadratic in
 * its length. Growing by at least the current size, set before each chunk,
 * keeps it linear: within a chunk the field grows by at most CHUNK bytes. */
static void parser_set_growth(struct csv_parser *p)
{
    csv_set_blk_size(p, p->entry_size > FIELD_GROW_MIN ? p->entry_size : FIELD_GROW_MIN);
}

/* Find the physical line on which field `field` of record `rec` (0 = the
 * header) starts, by scanning the input again. */
static size_t locate_line(source *src, char delim, size_t rec, size_t field, const char *name)
{
    struct csv_parser p;
    locator lc = {0, 0, 1, rec, field, 0, 0, 0};
    if (parser_init(&p, delim, CSV_REPALL_NL)) return 0;
    source s2;
    wfs_error dummy;
    if (source_reopen(&s2, src, &dummy, name) == 0) {
        const char *chunk;
        long n;
        int first = 1;
        while (!lc.done && (n = source_next(&s2, &chunk, &dummy, name)) > 0) {
            size_t off = 0;
            if (first && n >= 3 && memcmp(chunk, "\xef\xbb\xbf", 3) == 0) off = 3;
            first = 0;
            parser_set_growth(&p);
            if (csv_parse(&p, chunk + off, (size_t)n - off, loc_field, loc_record, &lc) !=
                (size_t)n - off)
                break;
        }
        if (!lc.done) csv_fini(&p, loc_field, loc_record, &lc);
        source_close(&s2);
    }
    free(s2.buf);
    csv_free(&p);
    return lc.done ? lc.found : lc.line;
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

typedef struct pending_error {
    int code;
    size_t rec, field; /* where it happened */
    int at_record;     /* locate the record's first line rather than the field's */
    char msg[700];
} pending_error;

typedef struct ctx {
    loader *L;
    pending_error pe;
    void (*header_read)(struct ctx *C); /* called once the header is read */
    void *part;                         /* the second part of a two-part load */
} ctx;

static void fail_at(ctx *C, int code, size_t field, int at_record, const char *fmt, ...)
    WFS_PRINTF(5, 6);

static void fail_at(ctx *C, int code, size_t field, int at_record, const char *fmt, ...)
{
    if (C->L->failed) return;
    C->L->failed = 1;
    C->pe.code = code;
    C->pe.rec = C->L->records;
    C->pe.field = field;
    C->pe.at_record = at_record;
    va_list ap;
    va_start(ap, fmt);
    wfs_vformat_message(C->pe.msg, sizeof C->pe.msg, fmt, ap);
    va_end(ap);
}

static int is_na(const loader *L, const char *s, size_t n)
{
    for (size_t k = 0; k < L->nna; k++)
        if (L->nalen[k] == n && memcmp(L->na[k], s, n) == 0) return 1;
    return 0;
}

/* Show a field value safely in a message: printable ASCII, truncated. */
static void show_value(char *out, size_t outsz, const char *s, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < n && j + 5 < outsz; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= 40) {
            memcpy(out + j, "...", 3);
            j += 3;
            break;
        }
        if (c >= 0x20 && c < 0x7f)
            out[j++] = (char)c;
        else
            j += (size_t)snprintf(out + j, outsz - j, "\\x%02x", c);
    }
    out[j] = '\0';
}

static int check_text(ctx *C, const char *s, size_t n, size_t field, const char *what)
{
    const void *nul = memchr(s, 0, n);
    if (nul) {
        fail_at(C, WFS_EPARSE, field, 0, "NUL byte in %s (is this a binary file?)", what);
        return -1;
    }
    size_t ok = wfs_utf8_valid_prefix((const unsigned char *)s, n);
    if (ok != n) {
        fail_at(C, WFS_EPARSE, field, 0,
                "invalid UTF-8 in %s (byte 0x%02x at position %zu; is this a binary file or "
                "another encoding? save it as UTF-8)",
                what, (unsigned char)s[ok], ok + 1);
        return -1;
    }
    return 0;
}

static int grow_rows(ctx *C)
{
    loader *L = C->L;
    size_t ncap = L->cap < 1024 ? 1024 : L->cap + L->cap / 2;
    if (L->max_memory && ncap * L->ncols * sizeof(double) > L->max_memory) {
        if (L->row * L->ncols * sizeof(double) >= L->max_memory) {
            fail_at(C, WFS_ENOMEM, 0, 1,
                    "loading stopped: the columns would need more than the %zu MB of memory "
                    "available",
                    L->max_memory >> 20);
            return -1;
        }
        ncap = L->max_memory / (L->ncols * sizeof(double));
        if (ncap <= L->cap) ncap = L->cap + 1;
    }
    for (size_t j = 0; j < L->ncols; j++) {
        colstate *c = &L->cols[j];
        if (c->num) {
            double *p = wfs_reallocarray(c->num, ncap, sizeof *p);
            if (!p) goto nomem;
            c->num = p;
        }
        if (c->miss) {
            uint8_t *p = realloc(c->miss, ncap);
            if (!p) goto nomem;
            memset(p + L->cap, 0, ncap - L->cap);
            c->miss = p;
        }
        if (c->codes) {
            int32_t *p = wfs_reallocarray(c->codes, ncap, sizeof *p);
            if (!p) goto nomem;
            c->codes = p;
        }
    }
    L->cap = ncap;
    return 0;
nomem:
    fail_at(C, WFS_ENOMEM, 0, 1, "out of memory after %zu rows", L->row);
    return -1;
}

static int add_level(ctx *C, colstate *c, const char *s, size_t n, uint64_t h, size_t field,
                     int32_t *code)
{
    if (check_text(C, s, n, field, "a value")) return -1;
    if (c->nlevels == c->levcap) {
        size_t cap = c->levcap ? c->levcap * 2 : 16;
        char **l = wfs_reallocarray(c->levels, cap, sizeof *l);
        if (!l) goto nomem;
        c->levels = l;
        c->levcap = cap;
    }
    if (c->nlevels >= (size_t)INT32_MAX) {
        fail_at(C, WFS_ELIMIT, field, 0, "too many distinct values in column \"%s\"",
                C->L->names[field]);
        return -1;
    }
    /* Labels count against the memory limit with the columns: a file of
     * distinct long values must stop with a message, not meet the OOM
     * killer. A label costs its bytes, a pointer and a map entry. */
    loader *L = C->L;
    L->text_bytes += n + 1 + 4 * sizeof(void *);
    if (L->max_memory && L->text_bytes + L->row * L->ncols * sizeof(double) > L->max_memory) {
        fail_at(C, WFS_ENOMEM, 0, 1,
                "loading stopped: the columns would need more than the %zu MB of memory "
                "available",
                L->max_memory >> 20);
        return -1;
    }
    char *lab = wfs_strndup(s, n);
    if (!lab) goto nomem;
    c->levels[c->nlevels] = lab;
    *code = (int32_t)c->nlevels++;
    if (wfs_strmap_put(&c->map, lab, n, h, *code)) goto nomem;
    return 0;
nomem:
    fail_at(C, WFS_ENOMEM, 0, 1, "loading stopped: out of memory (the values need more memory "
                                 "than is available)");
    return -1;
}

/* Labels of up to 7 bytes (most factor levels) are looked up first in a
 * small direct-mapped cache keyed by their bytes and length packed in one
 * word: no hashing of the string, no comparison of bytes. The cache only
 * repeats what the level table says, and levels never change once added. */
#define SHORT_SLOTS 256
struct short_level {
    uint64_t key; /* 0: empty (a real key has its length in the low byte) */
    int32_t code;
};

static uint64_t short_key(const char *s, size_t n)
{
    uint64_t k = n; /* the length in the low byte, then the bytes */
    for (size_t i = 0; i < n; i++) k |= (uint64_t)(unsigned char)s[i] << (8 * (i + 1));
    return k;
}

static void store_categorical(ctx *C, colstate *c, const char *s, size_t n, size_t row,
                              size_t field)
{
    if (is_na(C->L, s, n)) {
        c->codes[row] = -1;
        return;
    }
    struct short_level *slot = NULL;
    uint64_t key = 0;
    if (n >= 1 && n <= 7) {
        if (!c->cache) c->cache = calloc(SHORT_SLOTS, sizeof *c->cache);
        if (c->cache) {
            key = short_key(s, n);
            slot = &c->cache[(key * UINT64_C(0x9E3779B97F4A7C15)) >> 56];
            if (slot->key == key) {
                c->codes[row] = slot->code;
                return;
            }
        }
    }
    uint64_t h = wfs_hash_bytes(s, n);
    int32_t code = wfs_strmap_get(&c->map, s, n, h);
    if (code < 0 && add_level(C, c, s, n, h, field, &code)) return;
    c->codes[row] = code;
    if (slot) {
        slot->key = key;
        slot->code = code;
    }
}

/* Turn a numeric column into a categorical one at the current row. */
static int flip_column(ctx *C, colstate *c, size_t field)
{
    loader *L = C->L;
    c->codes = wfs_mallocarray(L->cap, sizeof *c->codes);
    if (!c->codes) {
        fail_at(C, WFS_ENOMEM, field, 0, "out of memory");
        return -1;
    }
    free(c->num);
    free(c->miss);
    c->num = NULL;
    c->miss = NULL;
    c->kind = KIND_CATEG;
    c->flipped = 1;
    c->flip_row = L->row;
    return 0;
}

static void header_field(ctx *C, const char *s, size_t n)
{
    loader *L = C->L;
    size_t field = L->field++;
    if (check_text(C, s, n, field, "a column name")) return;
    if (n == 0) {
        fail_at(C, WFS_EPARSE, field, 0, "column %zu has an empty name", field + 1);
        return;
    }
    /* Each column costs about COL_BYTES before any row is read: a header
     * of tens of millions of fields (a file that is not CSV, or the wrong
     * delimiter) must stop here, not exhaust memory. */
    if (L->ncols >= MAX_COLS ||
        (L->max_memory && (L->ncols + 1) * COL_BYTES > L->max_memory)) {
        fail_at(C, WFS_ELIMIT, field, 0,
                "more than %zu columns%s (is this a CSV file, with the right delimiter?)",
                L->ncols, L->ncols >= MAX_COLS ? "" : " for the memory available");
        return;
    }
    if (L->ncols == L->namecap) {
        size_t cap = L->namecap ? L->namecap * 2 : 16;
        char **nn = wfs_reallocarray(L->names, cap, sizeof *nn);
        if (!nn) {
            fail_at(C, WFS_ENOMEM, field, 0, "out of memory");
            return;
        }
        L->names = nn;
        L->namecap = cap;
    }
    if (!(L->names[L->ncols] = wfs_strndup(s, n))) {
        fail_at(C, WFS_ENOMEM, field, 0, "out of memory");
        return;
    }
    L->ncols++;
}

static void data_field(void *data, size_t n, void *ud)
{
    ctx *C = ud;
    loader *L = C->L;
    if (L->failed) return;
    const char *s = data ? data : "";
    if (L->in_header) {
        header_field(C, s, n);
        return;
    }
    size_t field = L->field++;
    if (field >= L->ncols) {
        fail_at(C, WFS_EPARSE, field, 0, "row has more than the %zu fields of the header",
                L->ncols);
        return;
    }
    if (L->row >= L->cap && field == 0 && grow_rows(C)) return;
    colstate *c = &L->cols[field];
    size_t row = L->row;
    if (c->kind == KIND_NUMERIC) {
        double v;
        if (is_na(L, s, n)) {
            c->num[row] = NAN;
            if (!c->miss && !(c->miss = calloc(L->cap, 1))) {
                fail_at(C, WFS_ENOMEM, field, 0, "out of memory");
                return;
            }
            c->miss[row] = 1;
            return;
        }
        int r = parse_number(s, n, &v);
        if (r > 0) {
            c->num[row] = v;
            return;
        }
        if (r < 0) {
            char shown[200];
            show_value(shown, sizeof shown, s, n);
            fail_at(C, WFS_EPARSE, field, 0,
                    "the number \"%s\" in column \"%s\" is too large to represent", shown,
                    L->names[field]);
            return;
        }
        if (flip_column(C, c, field)) return;
    }
    store_categorical(C, c, s, n, row, field);
}

static void header_done(ctx *C)
{
    loader *L = C->L;
    /* Duplicate names (empty ones were refused as they came), found with a
     * hash so that a very wide header costs linear time. */
    if (L->ncols > (size_t)INT32_MAX) {
        fail_at(C, WFS_ELIMIT, 0, 1, "the header has more than %d columns", INT32_MAX);
        return;
    }
    wfs_strmap seen = WFS_STRMAP_INIT;
    for (size_t j = 0; j < L->ncols; j++) {
        size_t n = strlen(L->names[j]);
        uint64_t h = wfs_hash_bytes(L->names[j], n);
        int32_t k = wfs_strmap_get(&seen, L->names[j], n, h);
        if (k >= 0) {
            fail_at(C, WFS_EPARSE, j, 0, "duplicate column name \"%s\" (also column %zu)",
                    L->names[j], (size_t)k + 1);
            wfs_strmap_free(&seen);
            return;
        }
        if (wfs_strmap_put(&seen, L->names[j], n, h, (int32_t)j)) {
            fail_at(C, WFS_ENOMEM, 0, 1, "out of memory");
            wfs_strmap_free(&seen);
            return;
        }
    }
    wfs_strmap_free(&seen);
    L->cols = wfs_callocarray(L->ncols, sizeof *L->cols);
    if (!L->cols) {
        fail_at(C, WFS_ENOMEM, 0, 1, "out of memory");
        return;
    }
    /* First guess at the row count: about one row per 8 bytes a field. */
    size_t guess = L->bytes_total / (L->ncols * 4 + 4) + 16;
    if (guess > 1u << 26) guess = 1u << 26;
    if (L->max_memory && guess * L->ncols * sizeof(double) > L->max_memory)
        guess = L->max_memory / (L->ncols * sizeof(double)) + 1;
    for (size_t j = 0; j < L->ncols; j++) L->cols[j].kind = KIND_NUMERIC;
    L->cap = 0;
    size_t want = guess;
    /* grow_rows grows by half from cap; set cap so that it lands on want. */
    for (size_t j = 0; j < L->ncols; j++) {
        L->cols[j].num = wfs_mallocarray(want, sizeof(double));
        if (!L->cols[j].num) {
            fail_at(C, WFS_ENOMEM, 0, 1,
                    "out of memory: %zu columns of about %zu rows need more memory than is "
                    "available",
                    L->ncols, want);
            return;
        }
    }
    L->cap = want;
    L->in_header = 0;
}

static void record_end(int c, void *ud)
{
    ctx *C = ud;
    loader *L = C->L;
    if (L->failed) return;
    if (L->field == 0) return; /* a bare line ending */
    if (L->in_header) {
        header_done(C);
        if (!L->failed && C->header_read) C->header_read(C);
    } else if (L->field < L->ncols) {
        /* Point at the first missing field, on the line where the row ends. */
        fail_at(C, WFS_EPARSE, L->field, 0, "row has %zu field%s but the header has %zu",
                L->field, L->field == 1 ? "" : "s", L->ncols);
        return;
    } else {
        L->row++;
    }
    L->records++;
    L->field = 0;
    (void)c;
}

/* Second pass: fill the earlier rows of columns that became categorical. */
static void pass2_field(void *data, size_t n, void *ud)
{
    ctx *C = ud;
    loader *L = C->L;
    if (L->failed) return;
    size_t field = L->field++;
    if (L->in_header) return;
    colstate *c = &L->cols[field];
    if (!c->flipped || L->row >= c->flip_row) return;
    store_categorical(C, c, data ? data : "", n, L->row, field);
}

static void pass2_record(int c, void *ud)
{
    ctx *C = ud;
    loader *L = C->L;
    if (L->field == 0) return;
    if (L->in_header)
        L->in_header = 0;
    else
        L->row++;
    L->records++;
    L->field = 0;
    (void)c;
}

static int parse_na(loader *L, const char *na, char *store, size_t storesz, wfs_error *err)
{
    if (!na) na = ",NA";
    if (strlen(na) >= storesz) return wfs_fail(err, WFS_EINVAL, "the list of missing tokens is too long");
    strcpy(store, na);
    L->nna = 0;
    char *p = store;
    for (;;) {
        char *comma = strchr(p, ',');
        if (L->nna == MAX_NA)
            return wfs_fail(err, WFS_EINVAL, "at most %d missing-value tokens may be given", MAX_NA);
        L->na[L->nna] = p;
        L->nalen[L->nna] = comma ? (size_t)(comma - p) : strlen(p);
        L->nna++;
        if (!comma) break;
        *comma = '\0';
        p = comma + 1;
    }
    return 0;
}

static void loader_free(loader *L)
{
    for (size_t j = 0; j < L->ncols; j++) free(L->names ? L->names[j] : NULL);
    free(L->names);
    if (L->cols) {
        for (size_t j = 0; j < L->ncols; j++) {
            colstate *c = &L->cols[j];
            free(c->num);
            free(c->miss);
            free(c->codes);
            free(c->cache);
            wfs_strmap_free(&c->map);
            for (size_t k = 0; k < c->nlevels; k++) free(c->levels[k]);
            free(c->levels);
        }
        free(L->cols);
    }
}

/* The physical line and character column of byte `target` of the input
 * (counted from the start, byte-order mark included), by reading it again. */
static void offset_position(const source *src, size_t bom, size_t target, const char *name,
                            size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    source s2;
    wfs_error dummy;
    if (source_reopen(&s2, src, &dummy, name) == 0) {
        const char *ch;
        long m;
        size_t seen = 0;
        int pcr = 0;
        while (seen < target && (m = source_next(&s2, &ch, &dummy, name)) > 0) {
            for (long i = 0; i < m && seen < target; i++, seen++) {
                if (seen < bom) continue; /* a byte-order mark takes no column */
                if (ch[i] == '\r' || (ch[i] == '\n' && !pcr)) {
                    ++*line;
                    *col = 1;
                } else if (ch[i] != '\n' && ((unsigned char)ch[i] & 0xc0) != 0x80) {
                    ++*col; /* characters, not UTF-8 continuation bytes */
                }
                pcr = ch[i] == '\r';
            }
        }
        source_close(&s2);
    }
    free(s2.buf);
}

/* Run one pass of libcsv over the source. */
static int run_pass(ctx *C, source *src, char delim, void (*cb1)(void *, size_t, void *),
                    void (*cb2)(int, void *), const wfs_control *ctl, wfs_error *err)
{
    loader *L = C->L;
    struct csv_parser p;
    if (parser_init(&p, delim, 0)) return wfs_nomem(err);
    int rc = source_open(src, err, L->name);
    if (rc) {
        csv_free(&p);
        return rc;
    }
    const char *chunk;
    long n;
    size_t offset = 0, bom = 0;
    int first = 1;
    double total = src->path ? (double)src->st0.st_size : (double)src->memlen;
    while ((n = source_next(src, &chunk, err, L->name)) > 0) {
        size_t skip = 0;
        if (first && !src->start && n >= 3 && memcmp(chunk, "\xef\xbb\xbf", 3) == 0) skip = bom = 3;
        first = 0;
        size_t want = (size_t)n - skip;
        /* A NUL byte is refused where it is met, before libcsv gathers the
         * rest of its field: a sparse or binary file must not be read (and
         * held) to its end first. */
        const char *nul = memchr(chunk + skip, 0, want);
        size_t upto = nul ? (size_t)(nul - (chunk + skip)) : want;
        parser_set_growth(&p);
        size_t done = csv_parse(&p, chunk + skip, upto, cb1, cb2, C);
        if (L->failed) break;
        if (done != upto) {
            /* A quoting error: report the character's line and column. */
            size_t line, col;
            offset_position(src, bom, offset + skip + done, L->name, &line, &col);
            rc = wfs_fail(err, WFS_EPARSE,
                          "%s:%zu:%zu: malformed quotes: a quote inside an unquoted field, or "
                          "text after a closing quote (quote the whole field and double any "
                          "quotes inside it)",
                          L->name, line, col);
            L->failed = 2;
            break;
        }
        if (nul || p.entry_pos > MAX_FIELD) {
            size_t line, col;
            offset_position(src, bom, offset + skip + upto - (nul ? 0 : p.entry_pos), L->name,
                            &line, &col);
            if (nul)
                rc = wfs_fail(err, WFS_EPARSE, "%s:%zu:%zu: NUL byte in %s (is this a binary file?)",
                              L->name, line, L->field + 1, L->in_header ? "a column name" : "a value");
            else
                rc = wfs_fail(err, WFS_ELIMIT,
                              "%s:%zu:%zu: a field longer than %zu MB starts here (a quote left "
                              "open, or not a CSV file?)",
                              L->name, line, L->field + 1, MAX_FIELD >> 20);
            L->failed = 2;
            break;
        }
        offset += (size_t)n;
        if (wfs_interrupted(ctl)) {
            rc = wfs_fail(err, WFS_EINTR, "%s: loading interrupted", L->name);
            L->failed = 2;
            break;
        }
        if (ctl && ctl->progress && total > 0)
            ctl->progress(ctl->user, (double)offset / total, "reading");
    }
    if (n < 0) {
        rc = err ? err->code : WFS_EIO;
        L->failed = 2;
    }
    if (!L->failed && src->limit && p.pstate != 0) {
        /* A part that ends inside a record (0 is libcsv's "no row begun"):
         * the split was not at a record boundary. */
        L->bad_split = 1;
        L->failed = 2;
    }
    if (!L->failed) {
        if (csv_fini(&p, cb1, cb2, C) != 0) {
            size_t line = locate_line(src, delim, L->records, L->field, L->name);
            rc = wfs_fail(err, WFS_EPARSE,
                          "%s:%zu:%zu: a quoted field starts here and is never closed", L->name,
                          line, L->field + 1);
            L->failed = 2;
        }
    }
    if (!L->failed && source_check_unchanged(src, err, L->name)) {
        rc = err->code;
        L->failed = 2;
    }
    source_close(src);
    csv_free(&p);
    if (L->failed == 1) {
        size_t line = locate_line(src, delim, C->pe.rec, C->pe.at_record ? 0 : C->pe.field,
                                  L->name);
        if (C->pe.at_record)
            rc = wfs_fail(err, C->pe.code, "%s:%zu:1: %s", L->name, line, C->pe.msg);
        else
            rc = wfs_fail(err, C->pe.code, "%s:%zu:%zu: %s", L->name, line, C->pe.field + 1,
                          C->pe.msg);
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* Loading a large file in two parts, one per thread                   */
/* ------------------------------------------------------------------ */

/* Files from this size are parsed in two parts at once: the first (with
 * the header) in the calling thread, the second from the first line end
 * after the middle in another thread with a parser of its own. The first
 * part is parsed exactly as alone, and libcsv's state at its end tells
 * whether the split fell between records (not inside a quoted field).
 * The second part's levels are merged into the first's in their order of
 * appearance and its codes remapped, so the table is the one a single pass
 * builds. Anything unusual - a split inside a record, any problem in the
 * second part, a column numeric in one part and not the other, a memory
 * limit - and the file is loaded again in one pass, which also gives the
 * exact error message. */
static size_t split_threshold = 16u << 20;

void wfs_csv_split_threshold(size_t bytes) { split_threshold = bytes; }

typedef struct part {
    loader L;
    ctx C;
    source src;
    wfs_error err;
    const wfs_control *ctl;
    char delim;
    int rc, started;
    pthread_t thread;
} part;

static void *part_main(void *arg)
{
    part *P = arg;
    P->rc = run_pass(&P->C, &P->src, P->delim, data_field, record_end, P->ctl, &P->err);
    return NULL;
}

/* The first part's header is read: set up the second part's columns like
 * header_done and start its thread. */
static void start_part(ctx *C)
{
    part *P = C->part;
    loader *A = C->L, *L = &P->L;
    L->ncols = A->ncols;
    L->cols = wfs_callocarray(L->ncols, sizeof *L->cols);
    size_t bytes = P->src.limit - P->src.start;
    size_t want = bytes / (L->ncols * 4 + 4) + 16;
    if (want > 1u << 26) want = 1u << 26;
    int ok = L->cols != NULL;
    for (size_t j = 0; j < L->ncols && ok; j++) {
        L->cols[j].kind = KIND_NUMERIC;
        ok = (L->cols[j].num = wfs_mallocarray(want, sizeof(double))) != NULL;
    }
    if (!ok) return; /* the second part is not started: the load goes again in one pass */
    L->cap = want;
    /* The names are shared (read only) for messages; the first part owns them. */
    L->names = A->names;
    P->started = pthread_create(&P->thread, NULL, part_main, P) == 0;
}

/* Merge the second part's rows into the first part's columns. Returns 0,
 * 1 when the parts cannot be merged (load in one pass), or -1 when out of
 * memory. */
static int merge_parts(ctx *C, loader *B)
{
    loader *A = C->L;
    size_t na = A->row, nb = B->row, n = na + nb;
    for (size_t j = 0; j < A->ncols; j++) {
        colstate *a = &A->cols[j], *b = &B->cols[j];
        /* Categorical in the second part only from its first row on. */
        if (a->kind != b->kind || (b->kind == KIND_CATEG && b->flip_row > 0)) return 1;
    }
    if (A->max_memory && n * A->ncols * sizeof(double) > A->max_memory) return 1;
    for (size_t j = 0; j < A->ncols; j++) {
        colstate *a = &A->cols[j], *b = &B->cols[j];
        if (a->kind == KIND_NUMERIC) {
            double *num = wfs_reallocarray(a->num, n ? n : 1, sizeof *num);
            if (!num) return -1;
            a->num = num;
            memcpy(num + na, b->num, nb * sizeof *num);
            if (a->miss || b->miss) {
                uint8_t *m = realloc(a->miss, n ? n : 1);
                if (!m) return -1;
                if (!a->miss) memset(m, 0, na);
                a->miss = m;
                if (b->miss) memcpy(m + na, b->miss, nb);
                else memset(m + na, 0, nb);
            }
        } else {
            int32_t *codes = wfs_reallocarray(a->codes, n ? n : 1, sizeof *codes);
            int32_t *remap = wfs_mallocarray(b->nlevels ? b->nlevels : 1, sizeof *remap);
            if (!codes || !remap) {
                if (codes) a->codes = codes;
                free(remap);
                return -1;
            }
            a->codes = codes;
            for (size_t k = 0; k < b->nlevels; k++) {
                const char *l = b->levels[k];
                size_t len = strlen(l);
                uint64_t h = wfs_hash_bytes(l, len);
                int32_t code = wfs_strmap_get(&a->map, l, len, h);
                if (code < 0 && add_level(C, a, l, len, h, j, &code)) {
                    free(remap);
                    return -1;
                }
                remap[k] = code;
            }
            for (size_t i = 0; i < nb; i++)
                codes[na + i] = b->codes[i] < 0 ? -1 : remap[b->codes[i]];
            free(remap);
        }
    }
    A->row = n;
    A->cap = n;
    A->records += B->records;
    return 0;
}

/* Try the two-part load. Returns 1 when the file is to be loaded in one
 * pass instead (nothing is kept), otherwise the result of the load. */
static int load_two_parts(loader *L, ctx *C, source *src, char delim, const wfs_control *ctl,
                          wfs_error *err)
{
    size_t size = L->bytes_total;
    if (size < split_threshold || size < 2 || split_threshold == SIZE_MAX) return 1;
    if (split_threshold && sysconf(_SC_NPROCESSORS_ONLN) < 2) return 1; /* tests force it */
    /* The first line end after the middle. */
    int fd = open(src->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return 1;
    char win[1 << 16];
    ssize_t got = pread(fd, win, sizeof win, (off_t)(size / 2));
    close(fd);
    const char *nl = got > 0 ? memchr(win, '\n', (size_t)got) : NULL;
    if (!nl) return 1;
    size_t split = size / 2 + (size_t)(nl - win) + 1;
    if (split >= size) return 1;
    part *P = calloc(1, sizeof *P);
    if (!P) return 1;
    P->L.name = L->name;
    P->L.err = &P->err;
    P->L.max_memory = L->max_memory;
    P->L.nna = L->nna;
    memcpy(P->L.na, L->na, sizeof L->na);
    memcpy(P->L.nalen, L->nalen, sizeof L->nalen);
    P->C.L = &P->L;
    P->src.path = src->path;
    P->src.fd = -1;
    P->src.start = split;
    P->src.limit = size;
    P->ctl = ctl;
    P->delim = delim;
    P->err = (wfs_error)WFS_ERROR_INIT;
    src->limit = split;
    L->bytes_total = split; /* the first part's row guess */
    C->header_read = start_part;
    C->part = P;
    int rc = run_pass(C, src, delim, data_field, record_end, ctl, err);
    C->header_read = NULL;
    C->part = NULL;
    if (P->started) pthread_join(P->thread, NULL);
    int again = 0;
    if (rc == 0 && !L->failed && !L->in_header) {
        /* The first part parsed cleanly; take the second when it did too. */
        if (!P->started || P->rc || P->L.failed) again = 1;
        else if ((rc = merge_parts(C, &P->L)) != 0) {
            again = rc > 0;
            rc = again ? 0 : wfs_nomem(err);
        }
    } else if (L->bad_split || (rc == 0 && L->in_header)) {
        again = 1;
    }
    /* The first part's error (not the split's) stands: it is the first in the file. */
    P->L.names = NULL; /* shared with the first part */
    loader_free(&P->L);
    free(P->src.buf);
    free(P);
    src->limit = 0;
    if (again) return 1;
    return rc ? rc : 0;
}

static int load_attempt(wfs_table **out, source *src, const char *name,
                        const wfs_csv_options *opt, wfs_error *err, int two_parts);

static int load(wfs_table **out, source *src, const char *name, const wfs_csv_options *opt,
                wfs_error *err)
{
    if (src->path) {
        int rc = load_attempt(out, src, name, opt, err, 1);
        if (rc != 1) return rc;
        const char *path = src->path;
        memset(src, 0, sizeof *src);
        src->path = path;
    }
    return load_attempt(out, src, name, opt, err, 0);
}

/* Returns 1 (only with two_parts) when the file is to be loaded in one pass. */
static int load_attempt(wfs_table **out, source *src, const char *name,
                        const wfs_csv_options *opt, wfs_error *err, int two_parts)
{
    *out = NULL;
    wfs_csv_options defaults = WFS_CSV_OPTIONS_INIT;
    if (!opt) opt = &defaults;
    char delim = opt->delim ? opt->delim : ',';
    if (delim == '"' || delim == '\n' || delim == '\r')
        return wfs_fail(err, WFS_EINVAL, "the delimiter cannot be a quote or a line ending");
    loader L;
    memset(&L, 0, sizeof L);
    L.name = name;
    L.err = err;
    L.in_header = 1;
    L.max_memory = opt->max_memory;
    char nastore[512];
    int rc = parse_na(&L, opt->na, nastore, sizeof nastore, err);
    if (rc) return rc;
    ctx C;
    memset(&C, 0, sizeof C);
    C.L = &L;
    src->fd = -1;
    if (src->path) {
        struct stat st;
        if (stat(src->path, &st) != 0) {
            rc = wfs_fail(err, WFS_EIO, "%s: cannot open: %s", name, strerror(errno));
            goto done;
        }
        L.bytes_total = (size_t)st.st_size;
    } else {
        L.bytes_total = src->memlen;
    }
    if (two_parts) {
        rc = load_two_parts(&L, &C, src, delim, opt->control, err);
        if (rc == 1) goto done;
    } else {
        rc = run_pass(&C, src, delim, data_field, record_end, opt->control, err);
    }
    if (rc) goto done;
    if (L.in_header) {
        rc = wfs_fail(err, WFS_EPARSE,
                      "%s:1:1: the file is empty (a header row naming the columns is needed)",
                      name);
        goto done;
    }
    if (L.row == 0) {
        /* Record 1 does not exist, so this finds the line after the header. */
        size_t line = locate_line(src, delim, 1, 0, name);
        rc = wfs_fail(err, WFS_EPARSE, "%s:%zu:1: the file has a header row but no data rows",
                      name, line);
        goto done;
    }
    /* Second pass for columns that turned categorical part-way. */
    int any_flip = 0;
    for (size_t j = 0; j < L.ncols; j++) any_flip |= L.cols[j].flipped && L.cols[j].flip_row > 0;
    if (any_flip) {
        L.row = 0;
        L.records = 0;
        L.field = 0;
        L.in_header = 1;
        rc = run_pass(&C, src, delim, pass2_field, pass2_record, opt->control, err);
        if (rc) goto done;
    }
    /* Hand the columns to a table. */
    wfs_table *t;
    if ((rc = wfs_table_new(&t, L.row, err))) goto done;
    if ((rc = wfs_table_set_source(t, name))) {
        wfs_table_free(t);
        rc = wfs_nomem(err);
        goto done;
    }
    for (size_t j = 0; j < L.ncols; j++) {
        colstate *c = &L.cols[j];
        if (c->kind == KIND_NUMERIC) {
            double *num = wfs_reallocarray(c->num, L.row, sizeof *num);
            if (num) c->num = num;
            uint8_t *miss = c->miss ? realloc(c->miss, L.row) : NULL;
            if (miss) c->miss = miss;
            rc = wfs_table_adopt_numeric(t, L.names[j], c->num, c->miss, err);
            c->num = NULL;
            c->miss = NULL;
        } else {
            int32_t *codes = wfs_reallocarray(c->codes, L.row, sizeof *codes);
            if (codes) c->codes = codes;
            wfs_strmap_free(&c->map);
            rc = wfs_table_adopt_categorical(t, L.names[j], c->codes, c->levels, c->nlevels, err);
            c->codes = NULL;
            c->levels = NULL;
            c->nlevels = 0;
        }
        if (rc) {
            wfs_table_free(t);
            goto done;
        }
    }
    *out = t;
done:
    loader_free(&L);
    free(src->buf);
    src->buf = NULL;
    return rc;
}

int wfs_csv_read(wfs_table **out, const char *path, const wfs_csv_options *opt, wfs_error *err)
{
    source src;
    memset(&src, 0, sizeof src);
    src.path = path;
    return load(out, &src, path, opt, err);
}

int wfs_csv_read_buffer(wfs_table **out, const char *name, const char *data, size_t len,
                        const wfs_csv_options *opt, wfs_error *err)
{
    source src;
    memset(&src, 0, sizeof src);
    src.mem = data;
    src.memlen = len;
    return load(out, &src, name ? name : "<buffer>", opt, err);
}
