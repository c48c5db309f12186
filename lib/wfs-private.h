/* wfs-private.h - helpers shared by the modules of libwfstat; never installed.
 *
 * Growable byte buffers, a string pool, an open-addressing string map,
 * compensated (Neumaier) summation, and error reporting. Nothing here
 * prints.
 */
#ifndef WFS_PRIVATE_H
#define WFS_PRIVATE_H

#include "wfstat.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define WFS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define WFS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define WFS_PRINTF(a, b)
#define WFS_UNLIKELY(x) (x)
#endif

/* Fill err (if non-NULL) with code and a formatted message; returns code so
 * callers can write `return wfs_fail(err, WFS_EINVAL, "...")`. */
int wfs_fail(wfs_error *err, int code, const char *fmt, ...) WFS_PRINTF(3, 4);
int wfs_vfail(wfs_error *err, int code, const char *fmt, va_list ap);
/* vsnprintf for messages: when the text would not fit in outsz bytes, every
 * word longer than 200 bytes in it (a 100 KB name, a huge value) is cut to
 * its first 160 bytes and "...(N bytes)", so the end of the sentence shows. */
void wfs_vformat_message(char *out, size_t outsz, const char *fmt, va_list ap);
/* Report out-of-memory. */
int wfs_nomem(wfs_error *err);

/* Overflow-checked array allocation: NULL on overflow or exhaustion. */
void *wfs_mallocarray(size_t n, size_t size);
void *wfs_callocarray(size_t n, size_t size);
void *wfs_reallocarray(void *p, size_t n, size_t size);
char *wfs_strdup(const char *s);
char *wfs_strndup(const char *s, size_t n);

/* True when the caller asked to stop. */
static inline int wfs_interrupted(const wfs_control *c)
{
    return c && c->interrupt && *c->interrupt;
}

/* ---- growable buffer ---- */
typedef struct wfs_buf {
    char *data;
    size_t len, cap;
    int failed; /* an allocation failed: contents are incomplete */
} wfs_buf;

#define WFS_BUF_INIT {NULL, 0, 0, 0}
void wfs_buf_add(wfs_buf *b, const char *s, size_t n);
void wfs_buf_puts(wfs_buf *b, const char *s);
void wfs_buf_putc(wfs_buf *b, char c);
void wfs_buf_printf(wfs_buf *b, const char *fmt, ...) WFS_PRINTF(2, 3);
void wfs_buf_repeat(wfs_buf *b, char c, size_t n);
/* Append s as a JSON string literal (with quotes). */
void wfs_buf_json_string(wfs_buf *b, const char *s);
/* Append a number that reads back exactly; NaN as null (json) or NA. */
void wfs_buf_double(wfs_buf *b, double x, int json);
void wfs_buf_free(wfs_buf *b);
/* Hand the NUL-terminated contents to the caller (buffer becomes empty). */
char *wfs_buf_take(wfs_buf *b, size_t *len);

/* ---- string pool: many small strings freed together ---- */
typedef struct wfs_pool_block wfs_pool_block;
typedef struct wfs_pool {
    wfs_pool_block *head;
    int failed;
} wfs_pool;

#define WFS_POOL_INIT {NULL, 0}
/* Copy n bytes plus a terminating NUL into the pool; NULL on failure. */
char *wfs_pool_strndup(wfs_pool *p, const char *s, size_t n);
char *wfs_pool_strdup(wfs_pool *p, const char *s);
void *wfs_pool_alloc(wfs_pool *p, size_t n);
void wfs_pool_free(wfs_pool *p);

/* ---- string -> index map (open addressing, keys not owned) ---- */
typedef struct wfs_strmap {
    uint64_t *hashes;   /* 0 = empty slot */
    const char **keys;  /* borrowed */
    size_t *lens;
    int32_t *values;
    size_t cap, count;
} wfs_strmap;

#define WFS_STRMAP_INIT {NULL, NULL, NULL, NULL, 0, 0}
uint64_t wfs_hash_bytes(const void *s, size_t n);
/* Look up key; returns the value or -1. */
int32_t wfs_strmap_get(const wfs_strmap *m, const char *key, size_t n, uint64_t h);
/* Insert key (the pointer must stay valid); returns 0 or WFS_ENOMEM. */
int wfs_strmap_put(wfs_strmap *m, const char *key, size_t n, uint64_t h, int32_t value);
void wfs_strmap_free(wfs_strmap *m);

/* ---- compensated summation (Neumaier 1974) ---- */
typedef struct wfs_ksum {
    double s, c;
} wfs_ksum;

static inline void wfs_ksum_add(wfs_ksum *k, double x)
{
    double t = k->s + x;
    if (fabs(k->s) >= fabs(x))
        k->c += (k->s - t) + x;
    else
        k->c += (x - t) + k->s;
    k->s = t;
}

static inline double wfs_ksum_value(const wfs_ksum *k)
{
    return k->s + k->c;
}

/* Compensated sum of an array. */
double wfs_sum(const double *x, size_t n);

/* ---- text helpers ---- */
/* Length of the valid UTF-8 prefix of s[0..n); n when all valid. */
size_t wfs_utf8_valid_prefix(const unsigned char *s, size_t n);
/* Display width of a UTF-8 string in columns (code points, wide CJK as 2). */
size_t wfs_utf8_width(const char *s);
/* Levenshtein distance, capped at cap+1 (for "did you mean"). */
size_t wfs_edit_distance(const char *a, const char *b, size_t cap);
/* Compare two strings as R sorts factor levels in the C locale (bytes). */
int wfs_level_cmp(const char *a, const char *b);
/* qsort comparator over char* array. */
int wfs_cmp_strp(const void *a, const void *b);

/* A value and its weight; k is scratch for wfs_sort_xw. */
typedef struct wfs_xw {
    union {
        double x;
        uint64_t k;
    };
    double w;
} wfs_xw;
/* Sort a[0..n) by x ascending, ties in their given order (no NaN; -0 comes
 * back as +0). tmp holds n elements of scratch. Linear in n. */
void wfs_sort_xw(wfs_xw *a, wfs_xw *tmp, size_t n);
/* A list of names for messages: "a, b, c and 3 more". */
void wfs_buf_name_list(wfs_buf *b, const char *const *names, size_t n, size_t max_shown);

#endif /* WFS_PRIVATE_H */

/* ---- table internals used by loaders ---- */
/* Add columns taking ownership of malloc'd arrays (freed on failure too).
 * values: NaN where missing; miss may be NULL. levels: malloc'd array of
 * malloc'd strings; they are sorted here and the codes remapped in place. */
int wfs_table_adopt_numeric(wfs_table *t, const char *name, double *values, uint8_t *miss,
                            wfs_error *err);
int wfs_table_adopt_categorical(wfs_table *t, const char *name, int32_t *codes, char **levels,
                                size_t nlevels, wfs_error *err);
int wfs_table_adopt_text(wfs_table *t, const char *name, char **values, wfs_error *err);
int wfs_table_set_source(wfs_table *t, const char *source);
/* Files of at least this many bytes are loaded in two threads (for tests;
 * SIZE_MAX: never). */
void wfs_csv_split_threshold(size_t bytes);
/* Add a column whose values (numeric, codes, or text strings) are handed
 * over as they are: no checks, levels already in order. mapped: values
 * lie in the table's mapping and are not freed. On failure everything
 * handed over is freed. */
int wfs_table_attach(wfs_table *t, const char *name, wfs_coltype type, void *values, int mapped,
                     uint8_t *miss, size_t nmissing, char **levels, size_t nlevels,
                     wfs_error *err);
/* The table unmaps [map, map + len) when freed. */
void wfs_table_hold_mapping(wfs_table *t, void *map, size_t len);
/* Bytes held by the column arrays (for memory reports). */
size_t wfs_table_bytes(const wfs_table *t);
/* Shortest decimal label of a double ("1", "2.5"). */
void wfs_number_label(char *buf, double x);

/* ---- aligned text tables (render_text.c) ---- */
typedef struct wfs_tt wfs_tt;
enum { WFS_TT_LEFT = 0, WFS_TT_RIGHT = 1 };
wfs_tt *wfs_tt_new(size_t ncols);
void wfs_tt_free(wfs_tt *t);
/* Set a header cell (row 0) and the column's alignment. */
void wfs_tt_header(wfs_tt *t, size_t col, const char *label, int align);
/* Append a row; cells are copied; NULL cells print empty. */
void wfs_tt_row(wfs_tt *t, const char *const *cells);
/* Append a horizontal rule before the next row. */
void wfs_tt_rule(wfs_tt *t);
/* Render as aligned text fitting width (abbreviating left-aligned labels),
 * or as a Markdown pipe table. */
void wfs_tt_render(wfs_tt *t, wfs_buf *b, size_t width, int markdown);
/* Format an estimate for text: decimals chosen from the SE. */
void wfs_fmt_est(char *buf, size_t sz, double x, double se);
/* Decimals to show for a value with this standard error. */
int wfs_decimals_for(double x, double se);

/* Renderers (render_*.c). */
int wfs_render_json(wfs_buf *b, const wfs_result *r);
int wfs_render_csv(wfs_buf *b, const wfs_result *r);
int wfs_render_text(wfs_buf *b, const wfs_result *r, const wfs_render_options *opt, int markdown);
