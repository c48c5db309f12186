/* cmd_say.c - plain-English readings of the last result.
 *
 * say "46% said ..." prints a sentence, replacing {KEY} by the estimate of
 * the last result whose level (or variable) is KEY, formatted with its
 * interval: {Not met} -> "46% (95% CI 39-53%)". {KEY@VALUE} picks the row
 * whose domain has VALUE as well. Proportions print as percentages, other
 * statistics with decimals chosen from their standard error. After project,
 * {headcount@2026} is the projected headcount of all roles in 2026 with its
 * simulated range, and {gap[Social worker]@2026} one role's.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "wfs-private.h"

/* A projection's row: {STAT@YEAR} for all roles, {STAT[ROLE]@YEAR} for one
 * role; the rows of single age bands are not picked. */
static const wfs_estimate *find_projection_row(const wfs_result *r, const char *key,
                                               const char *year)
{
    char stat[512];
    const char *role = "all";
    snprintf(stat, sizeof stat, "%s", key);
    char *br = strchr(stat, '[');
    size_t len = strlen(stat);
    if (br && len > 0 && stat[len - 1] == ']') {
        stat[len - 1] = 0;
        *br = 0;
        role = br + 1;
    }
    char *end = NULL;
    double y = year ? strtod(year, &end) : NAN;
    if (!year || end == year || *end) return NULL;
    for (size_t i = 0; i < wfs_result_nestimates(r); i++) {
        const wfs_estimate *e = wfs_result_estimate(r, i);
        if (e->ndomain == 0 && e->year == y && strcmp(e->statistic, stat) == 0 && e->variable &&
            strcmp(e->variable, role) == 0)
            return e;
    }
    return NULL;
}

static const wfs_estimate *find_row(const wfs_result *r, const char *key, const char *dom)
{
    if (wfs_result_layout(r) == WFS_LAYOUT_PROJECTION) return find_projection_row(r, key, dom);
    for (size_t i = 0; i < wfs_result_nestimates(r); i++) {
        const wfs_estimate *e = wfs_result_estimate(r, i);
        const char *name = e->level ? e->level : e->variable;
        if (!name || strcmp(name, key) != 0) continue;
        if (!dom) return e;
        for (size_t k = 0; k < e->ndomain; k++)
            if (strcmp(e->domain_values[k], dom) == 0) return e;
    }
    return NULL;
}

/* A whole number with commas between thousands: 25315 -> "25,315". */
static void grouped(char *out, size_t sz, double x)
{
    char digits[64];
    int n = snprintf(digits, sizeof digits, "%.0f", fabs(x));
    if (n < 0 || (size_t)n >= sizeof digits || !isfinite(x)) {
        snprintf(out, sz, "%g", x);
        return;
    }
    size_t o = 0;
    if (x <= -0.5 && o + 1 < sz) out[o++] = '-';
    for (int i = 0; i < n && o + 1 < sz; i++) {
        if (i > 0 && (n - i) % 3 == 0 && o + 1 < sz) out[o++] = ',';
        if (o + 1 < sz) out[o++] = digits[i];
    }
    out[o] = 0;
}

static void format_row(wfs_buf *b, const wfs_estimate *e, double level)
{
    if (!isnan(e->year)) {
        /* Projected counts: whole numbers with thousands separated, and the
         * simulated range. */
        char est[64], lo[64], hi[64];
        grouped(est, sizeof est, e->estimate);
        wfs_buf_puts(b, est);
        if (!isnan(e->ci_lower) && !isnan(e->ci_upper)) {
            grouped(lo, sizeof lo, e->ci_lower);
            grouped(hi, sizeof hi, e->ci_upper);
            wfs_buf_printf(b, " (10th\xe2\x80\x93" "90th percentile %s\xe2\x80\x93%s)", lo, hi);
        }
        return;
    }
    int pct = strcmp(e->statistic, "prop") == 0;
    double lv = isnan(level) ? 0.95 : level;
    if (pct) {
        wfs_buf_printf(b, "%.0f%%", 100 * e->estimate);
        if (!isnan(e->ci_lower) && !isnan(e->ci_upper))
            wfs_buf_printf(b, " (%g%% CI %.0f\xe2\x80\x93%.0f%%)", 100 * lv, 100 * e->ci_lower,
                           100 * e->ci_upper);
        return;
    }
    char est[64], lo[64], hi[64];
    wfs_fmt_est(est, sizeof est, e->estimate, e->se);
    wfs_buf_puts(b, est);
    if (!isnan(e->ci_lower) && !isnan(e->ci_upper)) {
        wfs_fmt_est(lo, sizeof lo, e->ci_lower, e->se);
        wfs_fmt_est(hi, sizeof hi, e->ci_upper, e->se);
        wfs_buf_printf(b, " (%g%% CI %s\xe2\x80\x93%s)", 100 * lv, lo, hi);
    }
}

int cmd_say(session *s, const cmdline *cl)
{
    if (cl->npos != 1 || cl->pos[0]->kind != TK_STRING)
        return cli_error(s, "say takes one quoted sentence, e.g. say \"{Not met} said their "
                            "needs were not met\"");
    const char *t = cl->pos[0]->text;
    wfs_buf b = WFS_BUF_INIT;
    while (*t) {
        if (*t != '{') {
            wfs_buf_putc(&b, *t++);
            continue;
        }
        const char *end = strchr(t, '}');
        if (!end) {
            wfs_buf_free(&b);
            return cli_error(s, "say: a { has no closing }");
        }
        char key[512];
        snprintf(key, sizeof key, "%.*s", (int)(end - t - 1), t + 1);
        char *at = strchr(key, '@');
        if (at) *at++ = 0;
        const wfs_estimate *e = s->last ? find_row(s->last, key, at) : NULL;
        if (!e) {
            wfs_buf_free(&b);
            return cli_error(s, "say: the last result has no row for {%s%s%s}", key,
                             at ? "@" : "", at ? at : "");
        }
        format_row(&b, e, wfs_result_ci_level(s->last));
        t = end + 1;
    }
    wfs_buf_putc(&b, '\n');
    if (b.failed) {
        wfs_buf_free(&b);
        return cli_error(s, "out of memory");
    }
    /* The sentence is not a result: the last result stays for the next say. */
    wfs_result *keep = s->last;
    s->last = NULL;
    int rc = cli_emit_text(s, "say", b.data);
    wfs_result_free(s->last);
    s->last = keep;
    wfs_buf_free(&b);
    return rc;
}

/* title "TEXT" [level=N]: a title or section heading for a report. Text
 * underlines it (= for a title, - below), Markdown writes #, ## or ###,
 * and JSON a record with the text and the level. */
int cmd_title(session *s, const cmdline *cl)
{
    if (cl->npos != 1 || cl->pos[0]->kind != TK_STRING)
        return cli_error(s, "title takes one quoted title, e.g. title \"Training needs\"");
    const char *text = cl->pos[0]->text;
    long level = 2;
    const char *lv = cli_opt_text(cl, "level");
    if (lv) {
        char *end;
        level = strtol(lv, &end, 10);
        if (end == lv || *end || level < 1 || level > 3)
            return cli_error(s, "title: level must be 1, 2 or 3, not \"%s\"", lv);
    }
    if (!*text || strchr(text, '\n'))
        return cli_error(s, "title: the title must be one non-empty line");
    if (s->set.format == WFS_FORMAT_JSON) {
        if (s->quiet) return 0;
        wfs_result *r;
        wfs_error err = WFS_ERROR_INIT;
        if (wfs_result_new(&r, "title", NULL, &err)) return cli_lib_error(s, &err);
        wfs_result_set_layout(r, WFS_LAYOUT_FIELDS);
        wfs_value v = wfs_value_str(text);
        int rc = wfs_result_add_field(r, "text", &v);
        wfs_value l = wfs_value_int(level);
        rc |= wfs_result_add_field(r, "level", &l);
        if (rc) {
            wfs_result_free(r);
            return cli_error(s, "out of memory");
        }
        /* A heading is not a result: the last result stays for say and save. */
        wfs_result *keep = s->last;
        s->last = NULL;
        rc = cli_emit(s, r);
        wfs_result_free(s->last);
        s->last = keep;
        return rc;
    }
    wfs_buf b = WFS_BUF_INIT;
    if (s->set.format == WFS_FORMAT_MARKDOWN) {
        wfs_buf_printf(&b, "%.*s %s\n", (int)level, "###", text);
    } else {
        /* Underlined to the title's width in characters (UTF-8 aware). */
        size_t chars = 0;
        for (const unsigned char *p = (const unsigned char *)text; *p; p++)
            chars += (*p & 0xC0) != 0x80;
        wfs_buf_printf(&b, "%s\n", text);
        for (size_t i = 0; i < chars; i++) wfs_buf_putc(&b, level == 1 ? '=' : '-');
        wfs_buf_putc(&b, '\n');
    }
    if (b.failed) {
        wfs_buf_free(&b);
        return cli_error(s, "out of memory");
    }
    wfs_result *keep = s->last;
    s->last = NULL;
    int rc = cli_emit_text(s, "title", b.data);
    wfs_result_free(s->last);
    s->last = keep;
    wfs_buf_free(&b);
    return rc;
}
