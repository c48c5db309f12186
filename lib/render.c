/* render.c - choose a renderer for a result. */
#include "config.h"

#include "wfs-private.h"

int wfs_format_parse(const char *name)
{
    if (!name) return -1;
    if (strcmp(name, "text") == 0) return WFS_FORMAT_TEXT;
    if (strcmp(name, "csv") == 0) return WFS_FORMAT_CSV;
    if (strcmp(name, "markdown") == 0 || strcmp(name, "md") == 0) return WFS_FORMAT_MARKDOWN;
    if (strcmp(name, "json") == 0) return WFS_FORMAT_JSON;
    return -1;
}

const char *wfs_format_name(wfs_format f)
{
    switch (f) {
    case WFS_FORMAT_TEXT: return "text";
    case WFS_FORMAT_CSV: return "csv";
    case WFS_FORMAT_MARKDOWN: return "markdown";
    case WFS_FORMAT_JSON: return "json";
    }
    return "text";
}

int wfs_render(char **out, size_t *len, const wfs_result *r, wfs_format fmt,
               const wfs_render_options *opt, wfs_error *err)
{
    *out = NULL;
    if (len) *len = 0;
    wfs_render_options defaults = WFS_RENDER_OPTIONS_INIT;
    if (!opt) opt = &defaults;
    wfs_buf b = WFS_BUF_INIT;
    int rc;
    switch (fmt) {
    case WFS_FORMAT_JSON: rc = wfs_render_json(&b, r); break;
    case WFS_FORMAT_CSV: rc = wfs_render_csv(&b, r); break;
    case WFS_FORMAT_MARKDOWN: rc = wfs_render_text(&b, r, opt, 1); break;
    case WFS_FORMAT_TEXT: rc = wfs_render_text(&b, r, opt, 0); break;
    default: rc = wfs_fail(err, WFS_EINVAL, "unknown output format %d", (int)fmt);
    }
    if (rc || b.failed) {
        wfs_buf_free(&b);
        return rc ? rc : wfs_nomem(err);
    }
    *out = wfs_buf_take(&b, len);
    return *out ? 0 : wfs_nomem(err);
}
