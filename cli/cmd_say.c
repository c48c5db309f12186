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

/* Print a sentence or heading (text, or the record r) without making it
 * the last result: say and save still see the estimates before it. */
static int emit_aside(session *s, const char *command, const char *text, wfs_result *r)
{
    wfs_result *keep = s->last;
    s->last = NULL;
    int rc = r ? cli_emit(s, r) : cli_emit_text(s, command, text);
    wfs_result_free(s->last);
    s->last = keep;
    return rc;
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
    int rc = emit_aside(s, "say", b.data, NULL);
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
        return emit_aside(s, "title", NULL, r);
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
    int rc = emit_aside(s, "title", b.data, NULL);
    wfs_buf_free(&b);
    return rc;
}

/* ------------------------------------------------------------------ */
/* set explain=on: one plain-English reading under a result            */
/* ------------------------------------------------------------------ */

/* Whether the rows of r are proportions (read in percentage points). */
static int reads_as_share(const wfs_result *r, const wfs_estimate *e)
{
    const char *c = wfs_result_command(r);
    return e->level != NULL || strcmp(e->statistic, "prop") == 0 || strcmp(c, "multi") == 0 ||
           strcmp(c, "likert") == 0 || strcmp(c, "decompose") == 0;
}

/* An amount: points for shares ("12 points"), else as say formats it. */
static void amount(wfs_buf *b, double x, double se, int share)
{
    char s[64];
    if (share) {
        wfs_buf_printf(b, "%.0f point%s", fabs(100 * x), fabs(100 * x) >= 0.5 && fabs(100 * x) < 1.5 ? "" : "s");
        return;
    }
    wfs_fmt_est(s, sizeof s, fabs(x), se);
    wfs_buf_puts(b, s);
}

/* The interval of a size read without its sign: a fall of 8 (CI -9 to
 * -7) reads "8 (CI 7 to 9)". */
static void interval(wfs_buf *b, const wfs_estimate *e, double level, int share)
{
    if (isnan(e->ci_lower) || isnan(e->ci_upper)) return;
    double k = share ? 100 : 1, l = e->ci_lower, h = e->ci_upper;
    if (e->estimate < 0) {
        l = -e->ci_upper;
        h = -e->ci_lower;
    }
    char lo[64], hi[64];
    if (share) {
        snprintf(lo, sizeof lo, "%.0f", k * l);
        snprintf(hi, sizeof hi, "%.0f", k * h);
    } else {
        wfs_fmt_est(lo, sizeof lo, l, e->se);
        wfs_fmt_est(hi, sizeof hi, h, e->se);
    }
    wfs_buf_printf(b, " (%g%% CI %s to %s)", 100 * (isnan(level) ? 0.95 : level), lo, hi);
}

static void pvalue(wfs_buf *b, double p, int holm)
{
    if (isnan(p)) return;
    if (p < 0.001) wfs_buf_puts(b, "; p < 0.001");
    else wfs_buf_printf(b, "; p = %.3f", p);
    if (holm) wfs_buf_puts(b, ", Holm-adjusted");
}

static void caution(wfs_buf *b, const wfs_estimate *e)
{
    if (e->flags & (WFS_FLAG_UNRELIABLE | WFS_FLAG_SMALL_N | WFS_FLAG_WIDE_CI))
        wfs_buf_puts(b, " The estimate is unreliable: treat it with caution.");
    else if (e->flags & WFS_FLAG_SMALL_DF)
        wfs_buf_puts(b, " It rests on fewer than 8 degrees of freedom: treat it with caution.");
}

static const char *dom(const wfs_estimate *e, int ref)
{
    size_t n = ref ? e->nreference : e->ndomain;
    const char *const *v = ref ? e->reference_values : e->domain_values;
    return n ? v[n - 1] : "all";
}

/* The row to read: the most significant difference or change (smallest p,
 * then largest size), else the first row with an estimate. */
static const wfs_estimate *pick(const wfs_result *r, const char *stat)
{
    const wfs_estimate *best = NULL;
    for (size_t i = 0; i < wfs_result_nestimates(r); i++) {
        const wfs_estimate *e = wfs_result_estimate(r, i);
        if (isnan(e->estimate) || (stat && strcmp(e->statistic, stat) != 0)) continue;
        if (!best) best = e;
        else if (!isnan(e->p_value) &&
                 (e->p_value < best->p_value ||
                  (e->p_value == best->p_value && fabs(e->estimate) > fabs(best->estimate))))
            best = e;
    }
    return best;
}

char *cli_explain(const wfs_result *r)
{
    const char *c = wfs_result_command(r);
    double level = wfs_result_ci_level(r), alpha = 1 - (isnan(level) ? 0.95 : level);
    wfs_buf b = WFS_BUF_INIT;
    const wfs_estimate *e = NULL;
    int holm = 0;
    for (size_t i = 0; i < wfs_result_nnotes(r); i++)
        if (strstr(wfs_result_note(r, i), "Holm-adjusted")) holm = 1;
    if (strcmp(c, "compare") == 0 || (strcmp(c, "multi") == 0 && pick(r, "difference"))) {
        int multi = strcmp(c, "multi") == 0;
        if (!(e = pick(r, "difference"))) return NULL;
        int share = reads_as_share(r, e), sig = e->p_value < alpha;
        const char *a = multi ? e->variable : dom(e, 0), *bb = dom(e, 1);
        const char *what = e->level ? e->level : e->variable;
        if (sig) {
            wfs_buf_printf(&b, "%s %s ", a, multi ? "was ticked by" : "was");
            amount(&b, e->estimate, e->se, share);
            interval(&b, e, level, share);
            if (multi)
                wfs_buf_printf(&b, " %s than %s", e->estimate > 0 ? "more often" : "less often", bb);
            else if (share)
                wfs_buf_printf(&b, " %s likely than %s to answer %s", e->estimate > 0 ? "more" : "less",
                               bb, what);
            else
                wfs_buf_printf(&b, " %s than %s on %s", e->estimate > 0 ? "higher" : "lower", bb,
                               what);
        } else {
            wfs_buf_printf(&b, "No difference stands out: the largest, between %s and %s%s%s, is ",
                           a, bb, multi ? "" : " on ", multi ? "" : what);
            amount(&b, e->estimate, e->se, share);
            interval(&b, e, level, share);
        }
        pvalue(&b, e->p_value, holm);
        wfs_buf_puts(&b, ".");
    } else if (strcmp(c, "change") == 0) {
        if (!(e = pick(r, "change"))) return NULL;
        int share = reads_as_share(r, e), sig = e->p_value < alpha;
        if (e->level)
            wfs_buf_printf(&b, "The share answering %s to %s ", e->level, e->variable);
        else
            wfs_buf_printf(&b, "%s ", e->variable);
        wfs_buf_printf(&b, "%s by ", e->estimate > 0 ? "rose" : e->estimate < 0 ? "fell" : "changed");
        amount(&b, e->estimate, e->se, share);
        interval(&b, e, level, share);
        if (e->ndomain) wfs_buf_printf(&b, " among %s", dom(e, 0));
        wfs_buf_puts(&b, sig ? " between the waves" : " between the waves, within sampling error");
        pvalue(&b, e->p_value, 0);
        wfs_buf_puts(&b, ".");
    } else if (strcmp(c, "decompose") == 0) {
        const wfs_estimate *ch = pick(r, "change"), *bt = pick(r, "between"), *wi = pick(r, "within");
        if (!ch || !bt || !wi) return NULL;
        e = ch;
        wfs_buf_printf(&b, "The share %s by ", ch->estimate < 0 ? "fell" : "rose");
        amount(&b, ch->estimate, ch->se, 1);
        interval(&b, ch, level, 1);
        wfs_buf_puts(&b, "; ");
        amount(&b, wi->estimate, wi->se, 1);
        wfs_buf_puts(&b, " of it came from changes within groups and ");
        amount(&b, bt->estimate, bt->se, 1);
        wfs_buf_printf(&b, " from the groups' changing sizes%s.",
                       bt->p_value < alpha ? "" : " (not significant)");
    } else {
        /* Other results: the first estimate, as say formats it. */
        for (size_t i = 0; i < wfs_result_nestimates(r) && !b.len; i++) {
            e = wfs_result_estimate(r, i);
            if (isnan(e->estimate) || !e->statistic || !isnan(e->year)) continue;
            const char *what = e->level ? e->level : e->variable;
            if (strcmp(c, "likert") == 0 || strcmp(c, "multi") == 0 || strcmp(e->statistic, "prop") == 0) {
                format_row(&b, e, level);
                wfs_buf_printf(&b, " %s %s%s%s.", strcmp(c, "multi") == 0 ? "ticked" : "answered",
                               what, e->level && e->variable ? " to " : "",
                               e->level && e->variable ? e->variable : "");
            } else {
                wfs_buf_printf(&b, "The %s of %s is ", e->statistic, e->variable ? e->variable : "");
                format_row(&b, e, level);
                wfs_buf_puts(&b, ".");
            }
            if (e->ndomain) {
                /* Name the domain the row belongs to. */
                b.len--;
                wfs_buf_printf(&b, " (%s).", dom(e, 0));
            }
            caution(&b, e);
            e = NULL;
        }
        if (!b.len) return NULL;
        return wfs_buf_take(&b, NULL);
    }
    caution(&b, e);
    return wfs_buf_take(&b, NULL);
}
