/* util.c - buffers, string pools, string maps, sums and text helpers.
 *
 * Low-level support for every other module. Allocation failures are sticky
 * (a buffer or pool remembers that it failed) so callers can check once at
 * the end instead of after every append.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "wfs-private.h"

/* ---- allocation ---- */

void *wfs_mallocarray(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) return NULL;
    return malloc(n && size ? n * size : 1);
}

void *wfs_callocarray(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *wfs_reallocarray(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) return NULL;
    return realloc(p, n && size ? n * size : 1);
}

char *wfs_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *wfs_strdup(const char *s)
{
    return s ? wfs_strndup(s, strlen(s)) : NULL;
}

/* ---- buffers ---- */

static int buf_reserve(wfs_buf *b, size_t extra)
{
    if (b->failed) return -1;
    if (b->len + extra + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2) {
            b->failed = 1;
            return -1;
        }
        cap *= 2;
    }
    char *d = realloc(b->data, cap);
    if (!d) {
        b->failed = 1;
        return -1;
    }
    b->data = d;
    b->cap = cap;
    return 0;
}

void wfs_buf_add(wfs_buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n)) return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void wfs_buf_puts(wfs_buf *b, const char *s)
{
    wfs_buf_add(b, s, strlen(s));
}

void wfs_buf_putc(wfs_buf *b, char c)
{
    wfs_buf_add(b, &c, 1);
}

void wfs_buf_repeat(wfs_buf *b, char c, size_t n)
{
    if (buf_reserve(b, n)) return;
    memset(b->data + b->len, c, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void wfs_buf_printf(wfs_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        wfs_buf_add(b, small, (size_t)n);
        return;
    }
    if (buf_reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void wfs_buf_json_string(wfs_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    wfs_buf_putc(b, '"');
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) continue;
        wfs_buf_add(b, run, (size_t)(s - run));
        run = s + 1;
        switch (c) {
        case '"': wfs_buf_puts(b, "\\\""); break;
        case '\\': wfs_buf_puts(b, "\\\\"); break;
        case '\n': wfs_buf_puts(b, "\\n"); break;
        case '\r': wfs_buf_puts(b, "\\r"); break;
        case '\t': wfs_buf_puts(b, "\\t"); break;
        default: {
            char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
            wfs_buf_puts(b, u);
        }
        }
    }
    wfs_buf_add(b, run, (size_t)(s - run));
    wfs_buf_putc(b, '"');
}

void wfs_format_double(char *buf, double x, int json)
{
    if (isnan(x)) {
        strcpy(buf, json ? "null" : "NA");
        return;
    }
    if (isinf(x)) {
        strcpy(buf, json ? "null" : (x > 0 ? "Inf" : "-Inf"));
        return;
    }
    if (x == 0) { /* also turns -0 into 0 */
        strcpy(buf, "0");
        return;
    }
    /* The shortest of %.15g, %.16g, %.17g that reads back exactly. */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, x);
        if (prec == 17 || strtod(buf, NULL) == x) break;
    }
}

void wfs_buf_double(wfs_buf *b, double x, int json)
{
    char tmp[32];
    wfs_format_double(tmp, x, json);
    wfs_buf_puts(b, tmp);
}

void wfs_buf_free(wfs_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

char *wfs_buf_take(wfs_buf *b, size_t *len)
{
    if (b->failed) {
        wfs_buf_free(b);
        return NULL;
    }
    /* An empty buffer still hands out an empty string, not raw memory. */
    if (!b->data) {
        if (buf_reserve(b, 0)) return NULL;
        b->data[0] = '\0';
    }
    char *d = b->data;
    if (len) *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

/* ---- string pool ---- */

struct wfs_pool_block {
    wfs_pool_block *next;
    size_t used, cap;
    char *data; /* max_align_t-aligned storage follows the header */
};

void *wfs_pool_alloc(wfs_pool *p, size_t n)
{
    const size_t align = sizeof(max_align_t);
    n = (n + align - 1) / align * align;
    wfs_pool_block *b = p->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 16384 ? n : 16384;
        size_t hdr = (sizeof *b + align - 1) / align * align;
        b = malloc(hdr + cap);
        if (!b) {
            p->failed = 1;
            return NULL;
        }
        b->data = (char *)b + hdr;
        b->used = 0;
        b->cap = cap;
        b->next = p->head;
        p->head = b;
    }
    void *r = b->data + b->used;
    b->used += n;
    return r;
}

char *wfs_pool_strndup(wfs_pool *p, const char *s, size_t n)
{
    char *d = wfs_pool_alloc(p, n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *wfs_pool_strdup(wfs_pool *p, const char *s)
{
    return s ? wfs_pool_strndup(p, s, strlen(s)) : NULL;
}

void wfs_pool_free(wfs_pool *p)
{
    wfs_pool_block *b = p->head;
    while (b) {
        wfs_pool_block *n = b->next;
        free(b);
        b = n;
    }
    p->head = NULL;
    p->failed = 0;
}

/* ---- string map ---- */

/* FNV-1a with a final avalanche; 0 is reserved for empty slots. */
uint64_t wfs_hash_bytes(const void *s, size_t n)
{
    const unsigned char *p = s;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h ? h : 1;
}

int32_t wfs_strmap_get(const wfs_strmap *m, const char *key, size_t n, uint64_t h)
{
    if (!m->cap) return -1;
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        if (m->hashes[i] == 0) return -1;
        if (m->hashes[i] == h && m->lens[i] == n && memcmp(m->keys[i], key, n) == 0)
            return m->values[i];
    }
}

static int strmap_grow(wfs_strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    uint64_t *hs = calloc(cap, sizeof *hs);
    const char **ks = wfs_mallocarray(cap, sizeof *ks);
    size_t *ls = wfs_mallocarray(cap, sizeof *ls);
    int32_t *vs = wfs_mallocarray(cap, sizeof *vs);
    if (!hs || !ks || !ls || !vs) {
        free(hs);
        free(ks);
        free(ls);
        free(vs);
        return WFS_ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->hashes[i]) continue;
        size_t j = (size_t)m->hashes[i] & (cap - 1);
        while (hs[j]) j = (j + 1) & (cap - 1);
        hs[j] = m->hashes[i];
        ks[j] = m->keys[i];
        ls[j] = m->lens[i];
        vs[j] = m->values[i];
    }
    free(m->hashes);
    free(m->keys);
    free(m->lens);
    free(m->values);
    m->hashes = hs;
    m->keys = ks;
    m->lens = ls;
    m->values = vs;
    m->cap = cap;
    return 0;
}

int wfs_strmap_put(wfs_strmap *m, const char *key, size_t n, uint64_t h, int32_t value)
{
    if ((m->count + 1) * 4 > m->cap * 3 && strmap_grow(m)) return WFS_ENOMEM;
    size_t mask = m->cap - 1;
    size_t i = (size_t)h & mask;
    while (m->hashes[i]) {
        if (m->hashes[i] == h && m->lens[i] == n && memcmp(m->keys[i], key, n) == 0) {
            m->values[i] = value;
            return 0;
        }
        i = (i + 1) & mask;
    }
    m->hashes[i] = h;
    m->keys[i] = key;
    m->lens[i] = n;
    m->values[i] = value;
    m->count++;
    return 0;
}

void wfs_strmap_free(wfs_strmap *m)
{
    free(m->hashes);
    free(m->keys);
    free(m->lens);
    free(m->values);
    memset(m, 0, sizeof *m);
}

/* ---- sums ---- */

double wfs_sum(const double *x, size_t n)
{
    wfs_ksum k = {0, 0};
    for (size_t i = 0; i < n; i++) wfs_ksum_add(&k, x[i]);
    return wfs_ksum_value(&k);
}

/* ---- text ---- */

size_t wfs_utf8_valid_prefix(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        /* Fast path: eight ASCII bytes at a time. */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= n) break;
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (i + len > n) return i;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return i;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        /* Overlong forms, surrogates and values above U+10FFFF. */
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return i;
        i += len;
    }
    return n;
}

size_t wfs_utf8_width(const char *s)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p;
        size_t len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
        uint32_t cp = c;
        if (len > 1) {
            cp = c & (0x3f >> (len - 1));
            for (size_t k = 1; k < len && p[k]; k++) cp = (cp << 6) | (p[k] & 0x3f);
        }
        /* East Asian wide ranges count as two columns. */
        int wide = (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
                   (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
                   (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
                   (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) ||
                   (cp >= 0x20000 && cp <= 0x3fffd);
        w += wide ? 2 : 1;
        for (size_t k = 0; k < len && *p; k++) p++;
    }
    return w;
}

size_t wfs_edit_distance(const char *a, const char *b, size_t cap)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return cap + 1;
    if ((la > lb ? la - lb : lb - la) > cap) return cap + 1;
    size_t prev[65], cur[65];
    for (size_t j = 0; j <= lb; j++) prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        size_t rowmin = cur[0];
        for (size_t j = 1; j <= lb; j++) {
            int ca = a[i - 1], cb = b[j - 1];
            if (ca >= 'A' && ca <= 'Z') ca += 32;
            if (cb >= 'A' && cb <= 'Z') cb += 32;
            size_t sub = prev[j - 1] + (ca != cb);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            size_t m = sub < del ? sub : del;
            cur[j] = m < ins ? m : ins;
            if (cur[j] < rowmin) rowmin = cur[j];
        }
        if (rowmin > cap) return cap + 1;
        memcpy(prev, cur, (lb + 1) * sizeof *prev);
    }
    return prev[lb] > cap ? cap + 1 : prev[lb];
}

int wfs_level_cmp(const char *a, const char *b)
{
    return strcmp(a, b);
}

int wfs_cmp_strp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void wfs_buf_name_list(wfs_buf *b, const char *const *names, size_t n, size_t max_shown)
{
    size_t shown = n < max_shown ? n : max_shown;
    for (size_t i = 0; i < shown; i++) {
        if (i) wfs_buf_puts(b, i + 1 == n ? " and " : ", ");
        wfs_buf_puts(b, names[i]);
    }
    if (n > shown) wfs_buf_printf(b, " and %zu more", n - shown);
}
