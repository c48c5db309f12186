/* error.c - error codes and the caller-owned error report.
 *
 * Every fallible function in libwfstat returns 0 or a negative WFS_E code
 * and writes one plain sentence into an optional wfs_error. Messages never
 * end with a period or a newline, so callers can prefix "file:line: error: ".
 */
#include "config.h"

#include <stdio.h>

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

int wfs_vfail(wfs_error *err, int code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        err->position = -1;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
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
