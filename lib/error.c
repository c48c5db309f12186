/* error.c - error codes and the caller-owned error report.
 *
 * Every fallible function in libwfstat returns 0 or a negative WFS_E code
 * and writes one plain sentence into an optional wfs_error. Messages never
 * end with a period or a newline, so callers can prefix "file:line: error: ".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "wfs-private.h"

void wfs_error_clear(wfs_error *err)
{
    if (err) {
        err->code = 0;
        err->position = -1;
        err->message[0] = '\0';
    }
}

const char *wfs_strerror(int code)
{
    switch (code) {
    case WFS_OK: return "no error";
    case WFS_ENOMEM: return "out of memory";
    case WFS_EIO: return "input/output error";
    case WFS_EPARSE: return "malformed input";
    case WFS_EINVAL: return "invalid argument";
    case WFS_ENOTFOUND: return "not found";
    case WFS_ETYPE: return "wrong type";
    case WFS_EDESIGN: return "invalid survey design";
    case WFS_ECONVERGE: return "did not converge";
    case WFS_EDOMAIN: return "empty domain or too few observations";
    case WFS_ELIMIT: return "input beyond a limit";
    case WFS_EINTR: return "interrupted";
    case WFS_EEXIST: return "file exists";
    default: return "unknown error";
    }
}

#define LONG_WORD 200
#define LONG_WORD_KEEP 160

void wfs_vformat_message(char *out, size_t outsz, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(out, outsz, fmt, ap);
    char *full = n >= 0 && (size_t)n >= outsz ? malloc((size_t)n + 1) : NULL;
    if (full) vsnprintf(full, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    if (!full) return; /* it fitted, or it stays truncated */
    size_t j = 0;
    for (size_t i = 0; full[i] && j + 1 < outsz;) {
        size_t w = 0;
        while (full[i + w] && full[i + w] != ' ' && full[i + w] != '"') w++;
        if (w > LONG_WORD) {
            size_t keep = LONG_WORD_KEEP;
            while (keep > 0 && ((unsigned char)full[i + keep] & 0xc0) == 0x80) keep--;
            char tail[48];
            int t = snprintf(tail, sizeof tail, "...(%zu bytes)", w);
            for (size_t k = 0; k < keep && j + 1 < outsz; k++) out[j++] = full[i + k];
            for (int k = 0; k < t && j + 1 < outsz; k++) out[j++] = tail[k];
            i += w;
        } else if (w == 0) {
            out[j++] = full[i++];
        } else {
            for (size_t k = 0; k < w && j + 1 < outsz; k++) out[j++] = full[i + k];
            i += w;
        }
    }
    out[j] = '\0';
    free(full);
}

int wfs_vfail(wfs_error *err, int code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        err->position = -1;
        wfs_vformat_message(err->message, sizeof err->message, fmt, ap);
    }
    return code;
}

int wfs_fail(wfs_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wfs_vfail(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int wfs_nomem(wfs_error *err)
{
    return wfs_fail(err, WFS_ENOMEM, "out of memory");
}

const char *wfs_version(void)
{
    return PACKAGE_VERSION;
}
