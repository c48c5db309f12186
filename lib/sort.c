/* sort.c - a stable radix sort of (value, weight) pairs by value.
 *
 * Quantiles need the domain's values in order with their weights, ties
 * kept in row order (R's order() is stable). A least-significant-digit
 * radix sort on the bits of the doubles, mapped so that unsigned order is
 * numeric order, is stable and linear: six passes of 11 bits, with the
 * passes where every value shares the digit skipped. -0 sorts as +0, so
 * the order is exactly that of a stable comparison sort on the values.
 */
#include "config.h"

#include <string.h>

#include "wfs-private.h"

#define DIGIT_BITS 11
#define NDIGITS 6 /* ceil(64 / 11) */
#define NBUCKETS (1u << DIGIT_BITS)

static uint64_t key_of(double x)
{
    uint64_t k;
    if (x == 0) x = 0; /* -0 and +0 are one value */
    memcpy(&k, &x, sizeof k);
    return (k & ((uint64_t)1 << 63)) ? ~k : k | ((uint64_t)1 << 63);
}

static double value_of(uint64_t k)
{
    k = (k & ((uint64_t)1 << 63)) ? k & ~((uint64_t)1 << 63) : ~k;
    double x;
    memcpy(&x, &k, sizeof x);
    return x;
}

static void insertion_sort(wfs_xw *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        wfs_xw v = a[i];
        size_t j = i;
        while (j > 0 && a[j - 1].k > v.k) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

void wfs_sort_xw(wfs_xw *a, wfs_xw *tmp, size_t n)
{
    for (size_t i = 0; i < n; i++) a[i].k = key_of(a[i].x);
    if (n < 64) {
        insertion_sort(a, n);
    } else {
        _Static_assert(NDIGITS * DIGIT_BITS >= 64, "digits cover the key");
        uint32_t(*count)[NBUCKETS] = calloc(NDIGITS, sizeof *count);
        if (!count) {
            /* No memory for the counts: still sort, more slowly. */
            insertion_sort(a, n);
        } else {
            for (size_t i = 0; i < n; i++) {
                uint64_t k = a[i].k;
                for (int d = 0; d < NDIGITS; d++)
                    count[d][(k >> (d * DIGIT_BITS)) & (NBUCKETS - 1)]++;
            }
            wfs_xw *src = a, *dst = tmp;
            for (int d = 0; d < NDIGITS; d++) {
                uint32_t *c = count[d];
                uint64_t first = (src[0].k >> (d * DIGIT_BITS)) & (NBUCKETS - 1);
                if (c[first] == n) continue; /* every key has this digit */
                size_t sum = 0;
                for (size_t b = 0; b < NBUCKETS; b++) {
                    size_t t = c[b];
                    c[b] = (uint32_t)sum;
                    sum += t;
                }
                for (size_t i = 0; i < n; i++) {
                    wfs_xw v = src[i];
                    dst[c[(v.k >> (d * DIGIT_BITS)) & (NBUCKETS - 1)]++] = v;
                }
                wfs_xw *t = src;
                src = dst;
                dst = t;
            }
            if (src != a) memcpy(a, src, n * sizeof *a);
            free(count);
        }
    }
    for (size_t i = 0; i < n; i++) a[i].x = value_of(a[i].k);
}
