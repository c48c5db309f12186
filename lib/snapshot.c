/* snapshot.c - binary snapshots of a table (.wfb files).
 *
 * A snapshot holds the columns as they lie in memory, so loading one is
 * mapping the file: numeric and categorical columns are used in place
 * (a private, copy-on-write mapping), and only names, level labels, text
 * values and missing-value masks are copied.
 *
 * Layout (all integers little-endian, as written on this machine; a byte-
 * order mark refuses files from the other order):
 *
 *   header, 96 bytes: magic "WFSTATSN", u32 version, u32 byte-order mark,
 *     u64 rows, columns, metadata offset and length, file size, metadata
 *     checksum, 3 reserved, and the checksum of the 88 bytes before it
 *   metadata: per column u32 type, u32 flags (1: has a missing mask),
 *     u64 name length, levels, missing count, data offset, data length,
 *     data checksum, mask offset, mask checksum; the name; each level as
 *     u64 length and bytes
 *   data: each array at a 64-byte boundary: doubles (numeric), int32 codes
 *     (categorical), NUL-terminated strings (text), masks of one byte a row
 *
 * Everything is checked before use: the header and metadata checksums, the
 * file size (a truncated file is refused before any column is touched),
 * every offset and length, each array's checksum, that codes are within
 * their levels and that levels are in order. A snapshot must not be
 * changed while it is loaded (it is mapped, not copied).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wfs-private.h"

#define SNAP_MAGIC "WFSTATSN"
#define SNAP_VERSION 1u
#define SNAP_BOM 0x01020304u
#define HEAD_LEN 96
#define COL_LEN 72 /* fixed part of a column's metadata */
#define ALIGN 64

/* ------------------------------------------------------------------ */
/* Checksum: four lanes of xxHash64's round over 32-byte blocks         */
/* ------------------------------------------------------------------ */

#define P1 UINT64_C(11400714785074694791)
#define P2 UINT64_C(14029467366897019727)
#define P3 UINT64_C(1609587929392839161)
#define P4 UINT64_C(9650029242287828579)
#define P5 UINT64_C(2870177450012600261)

static uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t round64(uint64_t acc, uint64_t v)
{
    acc += v * P2;
    acc = rotl64(acc, 31);
    return acc * P1;
}

static uint64_t load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint64_t checksum(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t a = P1 + P2, b = P2, c = 0, d = (uint64_t)0 - P1;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a = round64(a, load64(p + i));
        b = round64(b, load64(p + i + 8));
        c = round64(c, load64(p + i + 16));
        d = round64(d, load64(p + i + 24));
    }
    uint64_t h = rotl64(a, 1) + rotl64(b, 7) + rotl64(c, 12) + rotl64(d, 18) + (uint64_t)n;
    for (; i + 8 <= n; i += 8) h = rotl64(h ^ round64(0, load64(p + i)), 27) * P1 + P4;
    for (; i < n; i++) h = rotl64(h ^ (p[i] * P5), 11) * P1;
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

typedef struct colout {
    const void *data;
    size_t len;
    char *own; /* text columns: the strings, built here */
    const uint8_t *miss;
    uint64_t off, sum, miss_off, miss_sum;
} colout;

static void put32(wfs_buf *b, uint32_t v) { wfs_buf_add(b, (const char *)&v, sizeof v); }
static void put64(wfs_buf *b, uint64_t v) { wfs_buf_add(b, (const char *)&v, sizeof v); }

static uint64_t align_up(uint64_t x) { return (x + ALIGN - 1) / ALIGN * ALIGN; }

static int text_blob(colout *co, const char *const *text, size_t n, wfs_error *err)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) len += (text[i] ? strlen(text[i]) : 0) + 1;
    co->own = malloc(len ? len : 1);
    if (!co->own) return wfs_nomem(err);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = text[i] ? strlen(text[i]) : 0;
        if (k) memcpy(co->own + at, text[i], k);
        co->own[at + k] = '\0';
        at += k + 1;
    }
    co->data = co->own;
    co->len = len;
    return 0;
}

int wfs_snapshot_write(const wfs_table *t, const char *path, int replace, wfs_error *err)
{
    size_t n = wfs_table_nrows(t), nc = wfs_table_ncols(t);
    colout *co = wfs_callocarray(nc ? nc : 1, sizeof *co);
    wfs_buf meta = WFS_BUF_INIT;
    int rc = 0;
    if (!co) return wfs_nomem(err);
    for (size_t j = 0; j < nc && !rc; j++) {
        switch (wfs_table_type(t, j)) {
        case WFS_NUMERIC:
            co[j].data = wfs_table_numeric(t, j);
            co[j].len = n * sizeof(double);
            break;
        case WFS_CATEGORICAL:
            co[j].data = wfs_table_codes(t, j);
            co[j].len = n * sizeof(int32_t);
            break;
        case WFS_TEXT:
            rc = text_blob(&co[j], wfs_table_text(t, j), n, err);
            break;
        }
        co[j].miss = wfs_table_missing(t, j);
    }
    /* Offsets: metadata first, then each array aligned. */
    size_t metalen = 0;
    for (size_t j = 0; j < nc; j++) {
        metalen += COL_LEN + strlen(wfs_table_name(t, j));
        for (size_t k = 0; k < wfs_table_nlevels(t, j); k++)
            metalen += 8 + strlen(wfs_table_level(t, j, k));
    }
    uint64_t at = align_up(HEAD_LEN + metalen);
    for (size_t j = 0; j < nc && !rc; j++) {
        co[j].off = at;
        co[j].sum = checksum(co[j].data, co[j].len);
        at = align_up(at + co[j].len);
        if (co[j].miss) {
            co[j].miss_off = at;
            co[j].miss_sum = checksum(co[j].miss, n);
            at = align_up(at + n);
        }
    }
    uint64_t file_size = at;
    for (size_t j = 0; j < nc && !rc; j++) {
        const char *name = wfs_table_name(t, j);
        size_t nl = wfs_table_nlevels(t, j);
        put32(&meta, (uint32_t)wfs_table_type(t, j));
        put32(&meta, co[j].miss ? 1u : 0u);
        put64(&meta, strlen(name));
        put64(&meta, nl);
        put64(&meta, wfs_table_nmissing(t, j));
        put64(&meta, co[j].off);
        put64(&meta, co[j].len);
        put64(&meta, co[j].sum);
        put64(&meta, co[j].miss_off);
        put64(&meta, co[j].miss_sum);
        wfs_buf_puts(&meta, name);
        for (size_t k = 0; k < nl; k++) {
            const char *l = wfs_table_level(t, j, k);
            put64(&meta, strlen(l));
            wfs_buf_puts(&meta, l);
        }
    }
    if (!rc && meta.failed) rc = wfs_nomem(err);
    if (!rc && meta.len != metalen) rc = wfs_fail(err, WFS_EINVAL, "snapshot metadata mismatch");
    if (!rc) {
        unsigned char head[HEAD_LEN];
        uint32_t v32;
        uint64_t v64;
        memset(head, 0, sizeof head);
        memcpy(head, SNAP_MAGIC, 8);
        v32 = SNAP_VERSION;
        memcpy(head + 8, &v32, 4);
        v32 = SNAP_BOM;
        memcpy(head + 12, &v32, 4);
        uint64_t f[6] = {n, nc, HEAD_LEN, metalen, file_size, checksum(meta.data, meta.len)};
        memcpy(head + 16, f, sizeof f);
        v64 = checksum(head, 88);
        memcpy(head + 88, &v64, 8);
        wfs_outfile *o;
        if (!(rc = wfs_outfile_open(&o, path, replace, err))) {
            static const char zeros[ALIGN];
            uint64_t pos = HEAD_LEN + metalen;
            wfs_outfile_write(o, head, HEAD_LEN);
            wfs_outfile_write(o, meta.data, meta.len);
            for (size_t j = 0; j < nc; j++) {
                wfs_outfile_write(o, zeros, co[j].off - pos);
                wfs_outfile_write(o, co[j].data, co[j].len);
                pos = co[j].off + co[j].len;
                if (co[j].miss) {
                    wfs_outfile_write(o, zeros, co[j].miss_off - pos);
                    wfs_outfile_write(o, co[j].miss, n);
                    pos = co[j].miss_off + n;
                }
            }
            wfs_outfile_write(o, zeros, file_size - pos);
            rc = wfs_outfile_commit(o, err);
        }
    }
    for (size_t j = 0; j < nc; j++) free(co[j].own);
    free(co);
    wfs_buf_free(&meta);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

typedef struct cursor {
    const unsigned char *p;
    size_t left;
} cursor;

static int take(cursor *c, void *out, size_t n)
{
    if (c->left < n) return -1;
    memcpy(out, c->p, n);
    c->p += n;
    c->left -= n;
    return 0;
}

static int take_string(cursor *c, uint64_t len, char **out)
{
    if (c->left < len) return -1;
    if (memchr(c->p, '\0', (size_t)len)) return -1;
    *out = wfs_strndup((const char *)c->p, (size_t)len);
    if (!*out) return -2;
    c->p += len;
    c->left -= len;
    return 0;
}

typedef struct colin {
    uint32_t type, flags;
    uint64_t namelen, nlevels, nmissing, off, len, sum, miss_off, miss_sum;
} colin;

static int corrupt(wfs_error *err, const char *path, const char *what)
{
    return wfs_fail(err, WFS_EPARSE, "%s: not a valid snapshot: %s (save it again from the data)",
                    path, what);
}

/* Bounds of an array inside the file. */
static int in_file(uint64_t off, uint64_t len, uint64_t size)
{
    return off >= HEAD_LEN && off <= size && len <= size - off;
}

static int read_column(wfs_table *t, unsigned char *base, uint64_t size, uint64_t n, cursor *cur,
                       const char *path, wfs_error *err)
{
    colin ci;
    char *name = NULL, **levels = NULL;
    uint8_t *miss = NULL;
    char **text = NULL;
    int rc = 0;
    if (take(cur, &ci.type, 4) || take(cur, &ci.flags, 4) || take(cur, &ci.namelen, 8) ||
        take(cur, &ci.nlevels, 8) || take(cur, &ci.nmissing, 8) || take(cur, &ci.off, 8) ||
        take(cur, &ci.len, 8) || take(cur, &ci.sum, 8) || take(cur, &ci.miss_off, 8) ||
        take(cur, &ci.miss_sum, 8))
        return corrupt(err, path, "the column list is cut short");
    int tr = take_string(cur, ci.namelen, &name);
    if (tr) return tr == -2 ? wfs_nomem(err) : corrupt(err, path, "a column name is damaged");
    if (ci.type > WFS_TEXT || ci.flags > 1 || (ci.type != WFS_CATEGORICAL && ci.nlevels) ||
        ci.nlevels > (uint64_t)INT32_MAX || ci.nlevels > cur->left / 8 || ci.nmissing > n) {
        rc = corrupt(err, path, "a column description is damaged");
        goto out;
    }
    if (ci.nlevels) {
        levels = wfs_callocarray((size_t)ci.nlevels, sizeof *levels);
        if (!levels) {
            rc = wfs_nomem(err);
            goto out;
        }
        for (uint64_t k = 0; k < ci.nlevels; k++) {
            uint64_t len;
            if (take(cur, &len, 8) || (tr = take_string(cur, len, &levels[k]))) {
                rc = tr == -2 ? wfs_nomem(err) : corrupt(err, path, "a level label is damaged");
                goto out;
            }
            if (k && wfs_level_cmp(levels[k - 1], levels[k]) >= 0) {
                rc = corrupt(err, path, "the levels of a column are out of order");
                goto out;
            }
        }
    }
    uint64_t elem = ci.type == WFS_NUMERIC ? 8 : ci.type == WFS_CATEGORICAL ? 4 : 0;
    if (!in_file(ci.off, ci.len, size) || (elem && ci.len != n * elem) || ci.off % ALIGN ||
        (ci.flags && (!in_file(ci.miss_off, n, size) || ci.miss_off % ALIGN))) {
        rc = corrupt(err, path, "a column lies outside the file");
        goto out;
    }
    unsigned char *data = base + ci.off;
    if (checksum(data, (size_t)ci.len) != ci.sum ||
        (ci.flags && checksum(base + ci.miss_off, (size_t)n) != ci.miss_sum)) {
        rc = wfs_fail(err, WFS_EPARSE,
                      "%s: column \"%s\" is damaged (its checksum does not match); save the "
                      "snapshot again from the data",
                      path, name);
        goto out;
    }
    if (ci.flags) {
        miss = malloc(n ? (size_t)n : 1);
        if (!miss) {
            rc = wfs_nomem(err);
            goto out;
        }
        memcpy(miss, base + ci.miss_off, (size_t)n);
    }
    if (ci.type == WFS_CATEGORICAL) {
        const int32_t *codes = (const int32_t *)(const void *)data;
        int32_t nl = (int32_t)ci.nlevels;
        int bad = 0;
        for (uint64_t i = 0; i < n; i++) bad |= codes[i] < -1 || codes[i] >= nl;
        if (bad) {
            rc = corrupt(err, path, "a category code is out of range");
            goto out;
        }
    } else if (ci.type == WFS_TEXT) {
        text = wfs_callocarray(n ? (size_t)n : 1, sizeof *text);
        if (!text) {
            rc = wfs_nomem(err);
            goto out;
        }
        const char *p = (const char *)data, *end = p + ci.len;
        for (uint64_t i = 0; i < n; i++) {
            const char *z = memchr(p, '\0', (size_t)(end - p));
            if (!z) {
                rc = corrupt(err, path, "a text column is cut short");
                goto out;
            }
            if (!(miss && miss[i]) && !(text[i] = wfs_strdup(p))) {
                rc = wfs_nomem(err);
                goto out;
            }
            p = z + 1;
        }
    }
    rc = wfs_table_attach(t, name, (wfs_coltype)ci.type, ci.type == WFS_TEXT ? (void *)text : data,
                          ci.type != WFS_TEXT, miss, (size_t)ci.nmissing, levels,
                          (size_t)ci.nlevels, err);
    /* The table owns (or has freed) everything now. */
    text = NULL;
    miss = NULL;
    levels = NULL;
out:
    free(name);
    if (levels) wfs_levels_free(levels, (size_t)ci.nlevels);
    if (text)
        for (uint64_t i = 0; i < n; i++) free(text[i]);
    free(text);
    free(miss);
    return rc;
}

int wfs_snapshot_read(wfs_table **out, const char *path, wfs_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return wfs_fail(err, WFS_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return wfs_fail(err, WFS_EIO, "%s: cannot read: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return wfs_fail(err, WFS_EIO, "%s: not a regular file (%s)", path,
                        S_ISDIR(st.st_mode)    ? "a directory"
                        : S_ISFIFO(st.st_mode) ? "a pipe"
                                               : "a device or socket");
    }
    uint64_t size = (uint64_t)st.st_size;
    unsigned char head[HEAD_LEN];
    ssize_t got = pread(fd, head, HEAD_LEN, 0);
    if (got < 8 || memcmp(head, SNAP_MAGIC, 8) != 0) {
        close(fd);
        return wfs_fail(err, WFS_EPARSE, "%s: not a wfstat snapshot (.wfb file)", path);
    }
    if (got != HEAD_LEN) {
        close(fd);
        return wfs_fail(err, WFS_EPARSE, "%s: truncated: the header is cut short (save it again)",
                        path);
    }
    uint32_t version, bom;
    uint64_t f[6], hsum;
    memcpy(&version, head + 8, 4);
    memcpy(&bom, head + 12, 4);
    memcpy(f, head + 16, sizeof f);
    memcpy(&hsum, head + 88, 8);
    if (bom == 0x04030201u) {
        close(fd);
        return wfs_fail(err, WFS_EPARSE,
                        "%s: written on a machine of the other byte order; export it as CSV "
                        "there instead",
                        path);
    }
    if (version != SNAP_VERSION) {
        close(fd);
        return wfs_fail(err, WFS_EPARSE,
                        "%s: snapshot format version %u; this wfstat reads version %u "
                        "(save it again, or load the original CSV)",
                        path, version, SNAP_VERSION);
    }
    if (checksum(head, 88) != hsum) {
        close(fd);
        return corrupt(err, path, "the header is damaged (its checksum does not match)");
    }
    uint64_t nrows = f[0], ncols = f[1], moff = f[2], mlen = f[3], fsize = f[4], msum = f[5];
    if (size != fsize) {
        close(fd);
        if (size < fsize)
            return wfs_fail(err, WFS_EPARSE,
                            "%s: truncated: %llu of its %llu bytes are there (save it again)",
                            path, (unsigned long long)size, (unsigned long long)fsize);
        return corrupt(err, path, "the file is longer than its header says");
    }
    if (moff != HEAD_LEN || !in_file(moff, mlen, size) || nrows > UINT32_MAX ||
        ncols > (uint64_t)INT32_MAX || ncols > mlen / COL_LEN) {
        close(fd);
        return corrupt(err, path, "the header's sizes do not fit the file");
    }
    void *map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (map == MAP_FAILED) return wfs_fail(err, WFS_EIO, "%s: cannot map: %s", path, strerror(e));
    unsigned char *base = map;
    if (checksum(base + moff, (size_t)mlen) != msum) {
        munmap(map, (size_t)size);
        return corrupt(err, path, "the column list is damaged (its checksum does not match)");
    }
    wfs_table *t;
    int rc = wfs_table_new(&t, (size_t)nrows, err);
    if (rc) {
        munmap(map, (size_t)size);
        return rc;
    }
    wfs_table_hold_mapping(t, map, (size_t)size);
    cursor cur = {base + moff, (size_t)mlen};
    for (uint64_t j = 0; j < ncols && !rc; j++)
        rc = read_column(t, base, size, nrows, &cur, path, err);
    if (!rc && cur.left) rc = corrupt(err, path, "the column list has bytes left over");
    if (!rc) rc = wfs_table_set_source(t, path) ? wfs_nomem(err) : 0;
    if (rc) {
        wfs_table_free(t);
        return rc;
    }
    *out = t;
    return 0;
}
