/* check_render.c - results and their renderers: text, CSV, Markdown, JSON.
 *
 * A result is built by hand with every kind of content (estimates with
 * domains, levels, quantile probabilities, references and years, unknown
 * values, flags; tests; fields of every value type; record tables;
 * notes and footers). JSON is parsed back with the test JSON reader
 * (tests/json.c) and CSV with the library's CSV reader, and every number
 * must read back to the same double.
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "wfstat.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static char *render(const wfs_result *r, wfs_format fmt, const wfs_render_options *opt)
{
    char *out = NULL;
    size_t len = 0;
    wfs_error err = WFS_ERROR_INIT;
    int rc = wfs_render(&out, &len, r, fmt, opt, &err);
    ck_assert_msg(rc == 0, "render failed: %s", err.message);
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_eq(strlen(out), len);
    return out;
}

static jval *parse_json_line(const char *out)
{
    /* Exactly one line, ending in a newline. */
    size_t len = strlen(out);
    ck_assert_uint_gt(len, 1);
    ck_assert_int_eq(out[len - 1], '\n');
    ck_assert_ptr_eq(strchr(out, '\n'), out + len - 1);
    const char *perr = NULL;
    jval *v = json_parse(out, &perr);
    ck_assert_msg(v != NULL, "invalid JSON (%s): %s", perr ? perr : "?", out);
    ck_assert_int_eq(v->type, J_OBJ);
    return v;
}

static const jval *get(const jval *obj, const char *key)
{
    const jval *v = json_get(obj, key);
    ck_assert_msg(v != NULL, "no member \"%s\"", key);
    return v;
}

/* A number member equal to x bit for bit, or null when x is not finite. */
static void assert_num(const jval *obj, const char *key, double x)
{
    const jval *v = get(obj, key);
    if (!isfinite(x)) {
        ck_assert_msg(v->type == J_NULL, "\"%s\" should be null", key);
        return;
    }
    ck_assert_msg(v->type == J_NUM, "\"%s\" should be a number", key);
    ck_assert_msg(memcmp(&v->num, &x, sizeof x) == 0 || (x == 0 && v->num == 0),
                  "\"%s\": read back %.17g, wrote %.17g", key, v->num, x);
}

static void assert_str(const jval *obj, const char *key, const char *s)
{
    const jval *v = get(obj, key);
    if (!s) {
        ck_assert_int_eq(v->type, J_NULL);
        return;
    }
    ck_assert_int_eq(v->type, J_STR);
    ck_assert_str_eq(v->str, s);
}

/* Lines of a text, for layout checks. */
static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static size_t display_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) w += ((unsigned char)s[i] & 0xc0) != 0x80;
    return w;
}

static void assert_no_trailing_blanks(const char *s)
{
    for (const char *p = s; *p; p++)
        if (*p == '\n' && p > s)
            ck_assert_msg(p[-1] != ' ' || (p > s + 1 && p[-2] == ' '),
                          "trailing blank before a newline in:\n%s", s);
}

/* Does the text contain line exactly? */
static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len == n && memcmp(p, line, n) == 0) return 1;
        p = nl ? nl + 1 : NULL;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* A result with everything in it                                      */
/* ------------------------------------------------------------------ */

static const char *const dkeys[] = {"role", "sector"};
static const char *const dvals1[] = {"Social worker", "Council"};
static const char *const dvals2[] = {"Team, \"lead\" | manager", NULL};
static const char *const rkeys[] = {"role"};
static const char *const rvals[] = {"Admin"};

static wfs_result *build_estimates(void)
{
    wfs_result *r = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_result_new(&r, "prop", "staff", &err), 0);
    ck_assert_int_eq(wfs_result_set_variance(r, "linearization"), 0);
    wfs_result_set_ci_level(r, 0.95);
    wfs_estimate e;
    wfs_estimate_init(&e);
    e.statistic = "prop";
    e.variable = "needs_met";
    e.level = "No";
    e.ndomain = 2;
    e.domain_keys = dkeys;
    e.domain_values = dvals1;
    e.estimate = 0.4612345;
    e.se = 0.0234;
    e.ci_lower = 0.41;
    e.ci_upper = 0.51;
    e.df = 197;
    e.deff = 1.234;
    e.n = 412;
    e.n_weighted = 4421.5;
    ck_assert_int_eq(wfs_result_add_estimate(r, &e), 0);
    /* Unknown interval, flags, a domain value that needs escaping. */
    e.domain_values = dvals2;
    e.estimate = 1.0 / 3;
    e.se = NAN;
    e.ci_lower = NAN;
    e.ci_upper = INFINITY;
    e.flags = WFS_FLAG_UNRELIABLE | WFS_FLAG_SMALL_DF;
    e.n = 12;
    ck_assert_int_eq(wfs_result_add_estimate(r, &e), 1);
    /* Suppressed. */
    e.level = "Yes";
    e.flags = WFS_FLAG_SUPPRESSED;
    e.n = 3;
    ck_assert_int_eq(wfs_result_add_estimate(r, &e), 2);
    wfs_test t = {"rao-scott-f", 5.19, 1.49, 20.9, NAN, 0.0217};
    ck_assert_int_eq(wfs_result_add_test(r, &t), 0);
    wfs_test t2 = {"rao-scott-chisq", 12.5, NAN, NAN, 2, 1e-5};
    ck_assert_int_eq(wfs_result_add_test(r, &t2), 0);
    ck_assert_int_eq(wfs_result_add_note(r, "lonely PSU policy: %s", "fail"), 0);
    ck_assert_int_eq(wfs_result_add_footer(r, "design: stratified (stype), 1 stage"), 0);
    return r;
}

/* Quantiles, differences against a reference domain, projections. */
static wfs_result *build_mixed(void)
{
    wfs_result *r = NULL;
    ck_assert_int_eq(wfs_result_new(&r, "compare", "wave2", NULL), 0);
    wfs_estimate e;
    wfs_estimate_init(&e);
    e.statistic = "quantile";
    e.variable = "caseload";
    e.p = 0.25;
    e.estimate = 17;
    e.se = 1.5;
    e.n = 100;
    ck_assert_int_ge(wfs_result_add_estimate(r, &e), 0);
    wfs_estimate_init(&e);
    e.statistic = "difference";
    e.variable = "caseload";
    e.ndomain = 1;
    e.domain_keys = rkeys;
    e.domain_values = dvals1;
    e.nreference = 1;
    e.reference_keys = rkeys;
    e.reference_values = rvals;
    e.estimate = -2.25;
    e.se = 0.75;
    e.p_value = 0.0031;
    e.year = 2031;
    e.n_eff = 88.5;
    e.n = 90;
    ck_assert_int_ge(wfs_result_add_estimate(r, &e), 0);
    return r;
}

static const char *const list3[] = {"a", "b,c", "d"};

static wfs_result *build_records(void)
{
    wfs_result *r = NULL;
    ck_assert_int_eq(wfs_result_new(&r, "describe", "staff", NULL), 0);
    wfs_result_set_layout(r, WFS_LAYOUT_RECORDS);
    wfs_value v = wfs_value_int(1234567890123LL);
    ck_assert_int_eq(wfs_result_add_field(r, "rows", &v), 0);
    v = wfs_value_num(0.1);
    ck_assert_int_eq(wfs_result_add_field(r, "share", &v), 0);
    v = wfs_value_str("tab\there \"quoted\" back\\slash\nnewline \x01 \x7f caf\xc3\xa9");
    ck_assert_int_eq(wfs_result_add_field(r, "label", &v), 0);
    v = wfs_value_bool(1);
    ck_assert_int_eq(wfs_result_add_field(r, "ok", &v), 0);
    v = wfs_value_null();
    ck_assert_int_eq(wfs_result_add_field(r, "nothing", &v), 0);
    v = wfs_value_strlist(list3, 3);
    ck_assert_int_eq(wfs_result_add_field(r, "levels", &v), 0);
    v = wfs_value_num(NAN);
    ck_assert_int_eq(wfs_result_add_field(r, "unknown", &v), 0);
    static const char *const cols[] = {"name", "type", "levels", "mean"};
    long rt = wfs_result_add_records(r, "variables", 4, cols);
    ck_assert_int_eq(rt, 0);
    wfs_value c[4];
    c[0] = wfs_value_str("role");
    c[1] = wfs_value_str("categorical");
    c[2] = wfs_value_strlist(list3, 3);
    c[3] = wfs_value_null();
    ck_assert_int_eq(wfs_result_add_record(r, 0, c), 0);
    c[0] = wfs_value_str("age");
    c[1] = wfs_value_str("numeric");
    c[2] = wfs_value_null();
    c[3] = wfs_value_num(41.25);
    ck_assert_int_eq(wfs_result_add_record(r, 0, c), 0);
    return r;
}

/* ------------------------------------------------------------------ */
/* Numbers                                                             */
/* ------------------------------------------------------------------ */

START_TEST(test_format_double)
{
    char buf[32];
    struct {
        double x;
        const char *text, *json;
    } cases[] = {
        {0, "0", "0"},
        {-0.0, "0", "0"},
        {1, "1", "1"},
        {-2.5, "-2.5", "-2.5"},
        {0.1, "0.1", "0.1"},
        {1.0 / 3, "0.3333333333333333", "0.3333333333333333"},
        {2.0 / 3, "0.6666666666666666", "0.6666666666666666"},
        {1.1 * 1.1, "1.2100000000000002", "1.2100000000000002"},
        {0.1 + 0.2, "0.30000000000000004", "0.30000000000000004"},
        {123456789, "123456789", "123456789"},
        {1e21, "1e+21", "1e+21"},
        {1e-7, "1e-07", "1e-07"},
        {1234.5678, "1234.5678", "1234.5678"},
        {DBL_MAX, "1.7976931348623157e+308", "1.7976931348623157e+308"},
        {DBL_MIN, "2.2250738585072014e-308", "2.2250738585072014e-308"},
        {NAN, "NA", "null"},
        {INFINITY, "Inf", "null"},
        {-INFINITY, "-Inf", "null"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        wfs_format_double(buf, cases[i].x, 0);
        ck_assert_str_eq(buf, cases[i].text);
        wfs_format_double(buf, cases[i].x, 1);
        ck_assert_str_eq(buf, cases[i].json);
    }
}
END_TEST

/* Count significant digits of a decimal number's mantissa. */
static int sig_digits(const char *s)
{
    int n = 0, started = 0;
    for (; *s && *s != 'e' && *s != 'E'; s++) {
        if (*s < '0' || *s > '9') continue;
        if (*s != '0') started = 1;
        if (started) n++;
    }
    return n;
}

START_TEST(test_format_double_roundtrip)
{
    /* Random bit patterns: every finite double reads back exactly, in at
     * most 17 significant digits, and in at most 15 when 15 suffice. */
    uint64_t s = 0x853c49e6748fea9bull;
    char buf[32], b15[32];
    for (int i = 0; i < 200000; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t bits = s ^ (s >> 29);
        double x;
        memcpy(&x, &bits, sizeof x);
        if (!isfinite(x)) continue;
        if (i % 2) x = (double)(bits % 1000000) / 1000; /* everyday values */
        wfs_format_double(buf, x, 1);
        double back = strtod(buf, NULL);
        ck_assert_msg(back == x, "%s reads back as %.17g, not %.17g", buf, back, x);
        ck_assert_int_le(sig_digits(buf), 17);
        snprintf(b15, sizeof b15, "%.15g", x);
        if (strtod(b15, NULL) == x && x != 0) ck_assert_int_le(sig_digits(buf), 15);
    }
}
END_TEST

START_TEST(test_format_names)
{
    ck_assert_int_eq(wfs_format_parse("text"), WFS_FORMAT_TEXT);
    ck_assert_int_eq(wfs_format_parse("csv"), WFS_FORMAT_CSV);
    ck_assert_int_eq(wfs_format_parse("markdown"), WFS_FORMAT_MARKDOWN);
    ck_assert_int_eq(wfs_format_parse("md"), WFS_FORMAT_MARKDOWN);
    ck_assert_int_eq(wfs_format_parse("json"), WFS_FORMAT_JSON);
    ck_assert_int_eq(wfs_format_parse("JSON"), -1);
    ck_assert_int_eq(wfs_format_parse("html"), -1);
    ck_assert_int_eq(wfs_format_parse(NULL), -1);
    for (int f = WFS_FORMAT_TEXT; f <= WFS_FORMAT_JSON; f++)
        ck_assert_int_eq(wfs_format_parse(wfs_format_name((wfs_format)f)), f);
    /* An unknown format is an error, and nothing is handed back. */
    wfs_result *r = build_estimates();
    char *out = (char *)&out;
    size_t len = 7;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_render(&out, &len, r, (wfs_format)42, NULL, &err), WFS_EINVAL);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(err.message, "unknown output format 42");
    wfs_result_free(r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The result object                                                   */
/* ------------------------------------------------------------------ */

START_TEST(test_result_object)
{
    wfs_result *r = NULL;
    ck_assert_int_eq(wfs_result_new(&r, "mean", NULL, NULL), 0);
    ck_assert_str_eq(wfs_result_command(r), "mean");
    ck_assert_ptr_null(wfs_result_dataset(r));
    ck_assert_ptr_null(wfs_result_variance(r));
    ck_assert(isnan(wfs_result_ci_level(r)));
    ck_assert_int_eq(wfs_result_layout(r), WFS_LAYOUT_ESTIMATES);
    /* Strings are copied. */
    char var[16] = "api00", key[8] = "stype", val[8] = "E";
    const char *keys[] = {key}, *vals[] = {val};
    wfs_estimate e;
    wfs_estimate_init(&e);
    ck_assert(isnan(e.estimate) && isnan(e.se) && isnan(e.p) && isnan(e.year));
    ck_assert_ptr_null(e.level);
    e.statistic = "mean";
    e.variable = var;
    e.ndomain = 1;
    e.domain_keys = keys;
    e.domain_values = vals;
    e.estimate = 674.4;
    ck_assert_int_eq(wfs_result_add_estimate(r, &e), 0);
    strcpy(var, "XXXXX");
    strcpy(key, "XXXXX");
    strcpy(val, "X");
    const wfs_estimate *g = wfs_result_estimate(r, 0);
    ck_assert_str_eq(g->variable, "api00");
    ck_assert_str_eq(g->domain_keys[0], "stype");
    ck_assert_str_eq(g->domain_values[0], "E");
    ck_assert_double_eq(g->estimate, 674.4);
    wfs_result_estimate_mut(r, 0)->flags |= WFS_FLAG_ZERO_VAR;
    ck_assert_uint_eq(wfs_result_estimate(r, 0)->flags, WFS_FLAG_ZERO_VAR);
    /* The same note twice is kept once. */
    ck_assert_int_eq(wfs_result_add_note(r, "n=%d", 3), 0);
    ck_assert_int_eq(wfs_result_add_note(r, "n=%d", 3), 0);
    ck_assert_int_eq(wfs_result_add_note(r, "n=%d", 4), 0);
    ck_assert_uint_eq(wfs_result_nnotes(r), 2);
    ck_assert_str_eq(wfs_result_note(r, 1), "n=4");
    /* Many rows, tests, fields and footers grow their arrays. */
    for (int i = 0; i < 1000; i++) {
        ck_assert_int_eq(wfs_result_add_estimate(r, &e), i + 1);
        wfs_test t = {"wald", i, NAN, NAN, 1, 0.5};
        ck_assert_int_eq(wfs_result_add_test(r, &t), 0);
        wfs_value v = wfs_value_int(i);
        ck_assert_int_eq(wfs_result_add_field(r, "k", &v), 0);
        ck_assert_int_eq(wfs_result_add_footer(r, "f"), 0);
    }
    ck_assert_uint_eq(wfs_result_nestimates(r), 1001);
    ck_assert_uint_eq(wfs_result_ntests(r), 1000);
    ck_assert_double_eq(wfs_result_test(r, 999)->statistic, 999);
    ck_assert_int_eq(wfs_result_field_value(r, 999)->i, 999);
    ck_assert_uint_eq(wfs_result_nfooters(r), 1000);
    wfs_result_free(r);
    wfs_result_free(NULL);
}
END_TEST

START_TEST(test_flag_names)
{
    static const char *const names[] = {
        "suppressed",          "suppressed-complementary", "unreliable", "small-df",
        "lonely-psu-adjusted", "small-effective-n",        "wide-ci",    "zero-variance"};
    for (unsigned k = 0; k < 8; k++) ck_assert_str_eq(wfs_flag_name(1u << k), names[k]);
    ck_assert_str_eq(wfs_flag_name(1u << 8), "unknown");
    ck_assert_str_eq(wfs_flag_name(3), "unknown");
}
END_TEST

START_TEST(test_value_helpers)
{
    wfs_value v = wfs_value_str(NULL);
    ck_assert_int_eq(v.type, WFS_V_NULL);
    v = wfs_value_bool(7);
    ck_assert_int_eq(v.type, WFS_V_BOOL);
    ck_assert_int_eq(v.i, 1);
    v = wfs_value_strlist(list3, 3);
    ck_assert_int_eq(v.type, WFS_V_STRLIST);
    ck_assert_uint_eq(v.nlist, 3);
    v = wfs_value_num(2.5);
    ck_assert_int_eq(v.type, WFS_V_NUM);
    ck_assert_double_eq(v.num, 2.5);
}
END_TEST

/* ------------------------------------------------------------------ */
/* JSON                                                                */
/* ------------------------------------------------------------------ */

START_TEST(test_json_estimates)
{
    wfs_result *r = build_estimates();
    char *out = render(r, WFS_FORMAT_JSON, NULL);
    jval *v = parse_json_line(out);
    assert_str(v, "command", "prop");
    assert_str(v, "dataset", "staff");
    assert_str(v, "variance", "linearization");
    assert_num(v, "level", 0.95);
    /* The contract's member order. */
    ck_assert_str_eq(v->keys[0], "command");
    ck_assert_str_eq(v->keys[1], "dataset");
    const jval *est = get(v, "estimates");
    ck_assert_int_eq(est->type, J_ARR);
    ck_assert_uint_eq(est->n, wfs_result_nestimates(r));
    for (size_t i = 0; i < est->n; i++) {
        const wfs_estimate *e = wfs_result_estimate(r, i);
        const jval *o = est->items[i];
        static const char *const order[] = {
            "statistic", "variable", "level", "p",    "domain", "estimate",   "se",
            "ci_lower",  "ci_upper", "df",    "deff", "n",      "n_weighted", "flags"};
        ck_assert_uint_eq(o->n, 14);
        for (size_t k = 0; k < 14; k++) ck_assert_str_eq(o->keys[k], order[k]);
        assert_str(o, "statistic", e->statistic);
        assert_str(o, "variable", e->variable);
        assert_str(o, "level", e->level);
        assert_num(o, "p", e->p);
        assert_num(o, "estimate", e->estimate);
        assert_num(o, "se", e->se);
        assert_num(o, "ci_lower", e->ci_lower);
        assert_num(o, "ci_upper", e->ci_upper);
        assert_num(o, "df", e->df);
        assert_num(o, "deff", e->deff);
        assert_num(o, "n", e->n);
        assert_num(o, "n_weighted", e->n_weighted);
        const jval *d = get(o, "domain");
        ck_assert_int_eq(d->type, J_OBJ);
        ck_assert_uint_eq(d->n, 2);
        assert_str(d, "role", e->domain_values[0]);
        assert_str(d, "sector", e->domain_values[1]);
    }
    /* Unknown and infinite numbers are null; strings are escaped. */
    ck_assert_int_eq(get(est->items[1], "se")->type, J_NULL);
    ck_assert_int_eq(get(est->items[1], "ci_upper")->type, J_NULL);
    ck_assert_int_eq(get(get(est->items[1], "domain"), "sector")->type, J_NULL);
    ck_assert_ptr_nonnull(strstr(out, "\"Team, \\\"lead\\\" | manager\""));
    /* Flags by name, in bit order. */
    const jval *f0 = get(est->items[0], "flags"), *f1 = get(est->items[1], "flags");
    ck_assert_uint_eq(f0->n, 0);
    ck_assert_uint_eq(f1->n, 2);
    ck_assert_str_eq(f1->items[0]->str, "unreliable");
    ck_assert_str_eq(f1->items[1]->str, "small-df");
    ck_assert_str_eq(get(est->items[2], "flags")->items[0]->str, "suppressed");
    /* Tests: the fields that are not NaN. */
    const jval *tests = get(v, "tests");
    ck_assert_uint_eq(tests->n, 2);
    assert_str(tests->items[0], "name", "rao-scott-f");
    assert_num(tests->items[0], "statistic", 5.19);
    assert_num(tests->items[0], "ndf", 1.49);
    assert_num(tests->items[0], "ddf", 20.9);
    ck_assert_ptr_null(json_get(tests->items[0], "df"));
    assert_num(tests->items[0], "p_value", 0.0217);
    ck_assert_ptr_null(json_get(tests->items[1], "ndf"));
    ck_assert_ptr_null(json_get(tests->items[1], "ddf"));
    assert_num(tests->items[1], "df", 2);
    assert_num(tests->items[1], "p_value", 1e-5);
    /* Notes; footers are for text only. */
    const jval *notes = get(v, "notes");
    ck_assert_uint_eq(notes->n, 1);
    ck_assert_str_eq(notes->items[0]->str, "lonely PSU policy: fail");
    ck_assert_ptr_null(strstr(out, "design: stratified"));
    json_free(v);
    free(out);
    wfs_result_free(r);
}
END_TEST

START_TEST(test_json_optional_members)
{
    wfs_result *r = build_mixed();
    char *out = render(r, WFS_FORMAT_JSON, NULL);
    jval *v = parse_json_line(out);
    /* No variance and no confidence level: the members are left out. */
    ck_assert_ptr_null(json_get(v, "variance"));
    ck_assert_ptr_null(json_get(v, "level"));
    assert_str(v, "dataset", "wave2");
    const jval *est = get(v, "estimates");
    const jval *q = est->items[0], *d = est->items[1];
    assert_num(q, "p", 0.25);
    assert_str(q, "level", NULL);
    ck_assert_uint_eq(get(q, "domain")->n, 0);
    ck_assert_ptr_null(json_get(q, "reference"));
    ck_assert_ptr_null(json_get(q, "year"));
    ck_assert_ptr_null(json_get(q, "p_value"));
    ck_assert_ptr_null(json_get(q, "n_eff"));
    assert_str(get(d, "reference"), "role", "Admin");
    assert_num(d, "year", 2031);
    assert_num(d, "p_value", 0.0031);
    assert_num(d, "n_eff", 88.5);
    assert_num(d, "estimate", -2.25);
    ck_assert_uint_eq(get(v, "tests")->n, 0);
    json_free(v);
    free(out);
    wfs_result_free(r);
}
END_TEST

START_TEST(test_json_fields_and_records)
{
    wfs_result *r = build_records();
    char *out = render(r, WFS_FORMAT_JSON, NULL);
    jval *v = parse_json_line(out);
    const jval *rows = get(v, "rows");
    ck_assert_int_eq(rows->type, J_NUM);
    ck_assert_double_eq(rows->num, 1234567890123.0);
    assert_num(v, "share", 0.1);
    assert_str(v, "label", "tab\there \"quoted\" back\\slash\nnewline \x01 \x7f caf\xc3\xa9");
    ck_assert_int_eq(get(v, "ok")->type, J_BOOL);
    ck_assert_int_eq(get(v, "ok")->b, 1);
    ck_assert_int_eq(get(v, "nothing")->type, J_NULL);
    ck_assert_int_eq(get(v, "unknown")->type, J_NULL);
    const jval *lv = get(v, "levels");
    ck_assert_int_eq(lv->type, J_ARR);
    ck_assert_uint_eq(lv->n, 3);
    ck_assert_str_eq(lv->items[1]->str, "b,c");
    /* A record layout without estimates has no estimates member. */
    ck_assert_ptr_null(json_get(v, "estimates"));
    const jval *vars = get(v, "variables");
    ck_assert_uint_eq(vars->n, 2);
    assert_str(vars->items[0], "name", "role");
    ck_assert_uint_eq(get(vars->items[0], "levels")->n, 3);
    ck_assert_int_eq(get(vars->items[0], "mean")->type, J_NULL);
    ck_assert_int_eq(get(vars->items[1], "levels")->type, J_NULL);
    assert_num(vars->items[1], "mean", 41.25);
    ck_assert_uint_eq(get(v, "notes")->n, 0);
    /* Control characters are escaped, never written raw. */
    for (const char *p = out; *p != '\n'; p++) ck_assert((unsigned char)*p >= 0x20 && *p != 0x7f);
    json_free(v);
    free(out);
    wfs_result_free(r);
}
END_TEST

START_TEST(test_json_numbers_roundtrip)
{
    /* 2000 estimates of random finite doubles: every one reads back as the
     * same double, in at most 17 significant digits. */
    wfs_result *r = NULL;
    ck_assert_int_eq(wfs_result_new(&r, "mean", "x", NULL), 0);
    uint64_t s = 42;
    double want[2000];
    for (size_t i = 0; i < 2000; i++) {
        double x;
        do {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            uint64_t bits = s ^ (s >> 31);
            memcpy(&x, &bits, sizeof x);
        } while (!isfinite(x));
        want[i] = x;
        wfs_estimate e;
        wfs_estimate_init(&e);
        e.statistic = "mean";
        e.variable = "y";
        e.estimate = x;
        e.se = fabs(x) / 3;
        ck_assert_int_ge(wfs_result_add_estimate(r, &e), 0);
    }
    /* Infinities, like NaN, have no JSON number: null. */
    wfs_estimate e;
    wfs_estimate_init(&e);
    e.estimate = INFINITY;
    e.se = -INFINITY;
    ck_assert_int_ge(wfs_result_add_estimate(r, &e), 0);
    char *out = render(r, WFS_FORMAT_JSON, NULL);
    jval *v = parse_json_line(out);
    const jval *est = get(v, "estimates");
    ck_assert_uint_eq(est->n, 2001);
    ck_assert_int_eq(get(est->items[2000], "estimate")->type, J_NULL);
    ck_assert_int_eq(get(est->items[2000], "se")->type, J_NULL);
    ck_assert_int_eq(get(est->items[2000], "statistic")->type, J_NULL);
    for (size_t i = 0; i < 2000; i++) {
        assert_num(est->items[i], "estimate", want[i]);
        assert_num(est->items[i], "se", fabs(want[i]) / 3);
    }
    /* Every number token in the output has at most 17 significant digits. */
    int in_str = 0;
    for (const char *p = out; *p; p++) {
        if (in_str) {
            if (*p == '\\')
                p++;
            else if (*p == '"')
                in_str = 0;
            continue;
        }
        if (*p == '"') {
            in_str = 1;
            continue;
        }
        if (*p == '-' || (*p >= '0' && *p <= '9')) {
            char tok[64];
            size_t n = strspn(p, "-+.eE0123456789");
            ck_assert_uint_lt(n, sizeof tok);
            memcpy(tok, p, n);
            tok[n] = '\0';
            ck_assert_msg(sig_digits(tok) <= 17, "%s has more than 17 digits", tok);
            p += n - 1;
        }
    }
    json_free(v);
    free(out);
    wfs_result_free(r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* CSV                                                                 */
/* ------------------------------------------------------------------ */

/* The block of a CSV rendering that starts with header line head. */
static char *csv_block(const char *out, const char *head)
{
    const char *p = strstr(out, head);
    ck_assert_msg(p != NULL, "no block \"%s\" in:\n%s", head, out);
    ck_assert(p == out || p[-1] == '\n');
    const char *end = strstr(p, "\n\n");
    size_t n = end ? (size_t)(end - p) + 1 : strlen(p);
    char *b = malloc(n + 1);
    ck_assert_ptr_nonnull(b);
    memcpy(b, p, n);
    b[n] = '\0';
    return b;
}

START_TEST(test_csv_estimates)
{
    wfs_result *r = build_estimates();
    char *out = render(r, WFS_FORMAT_CSV, NULL);
    const char *head = "statistic,variable,level,p,domain,estimate,se,ci_lower,ci_upper,df,deff,n,"
                       "n_weighted,flags\n";
    ck_assert_msg(strncmp(out, head, strlen(head)) == 0, "%s", out);
    /* Fields with commas or quotes are quoted (RFC 4180); unknown numbers
     * are empty; flags are joined with ';'. */
    ck_assert(has_line(out, "prop,needs_met,No,,role=Social worker;sector=Council,0.4612345,0.0234,"
                            "0.41,0.51,197,1.234,412,4421.5,"));
    ck_assert(has_line(out, "prop,needs_met,No,,\"role=Team, \"\"lead\"\" | manager;sector=NA\","
                            "0.3333333333333333,,,Inf,197,1.234,12,4421.5,unreliable;small-df"));
    /* Read back with a CSV reader: the numbers are exact. */
    char *block = csv_block(out, "statistic,");
    wfs_table *t = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_msg(wfs_csv_read_buffer(&t, "out.csv", block, strlen(block), NULL, &err) == 0, "%s",
                  err.message);
    ck_assert_uint_eq(wfs_table_nrows(t), 3);
    const double *est = wfs_table_numeric(t, (size_t)wfs_table_find(t, "estimate"));
    ck_assert_ptr_nonnull(est);
    ck_assert(est[0] == 0.4612345 && est[1] == 1.0 / 3);
    const double *se = wfs_table_numeric(t, (size_t)wfs_table_find(t, "se"));
    ck_assert(isnan(se[1]));
    wfs_table_free(t);
    free(block);
    /* Tests follow after a blank line, then nothing else. */
    block = csv_block(out, "test,statistic,ndf,ddf,df,p_value\n");
    ck_assert_str_eq(block, "test,statistic,ndf,ddf,df,p_value\n"
                            "rao-scott-f,5.19,1.49,20.9,,0.0217\n"
                            "rao-scott-chisq,12.5,,,2,1e-05\n");
    free(block);
    ck_assert_ptr_null(strstr(out, "lonely"));
    free(out);
    wfs_result_free(r);

    /* Optional columns appear when any estimate uses them. */
    r = build_mixed();
    out = render(r, WFS_FORMAT_CSV, NULL);
    ck_assert(has_line(out, "statistic,variable,level,p,domain,reference,year,estimate,se,ci_lower,"
                            "ci_upper,df,deff,n,n_weighted,p_value,flags"));
    ck_assert(has_line(out, "quantile,caseload,,0.25,,,,17,1.5,,,,,100,,,"));
    ck_assert(has_line(out, "difference,caseload,,,role=Social worker,role=Admin,2031,-2.25,0.75,"
                            ",,,,90,,0.0031,"));
    free(out);
    wfs_result_free(r);
}
END_TEST

START_TEST(test_csv_fields_and_records)
{
    wfs_result *r = build_records();
    char *out = render(r, WFS_FORMAT_CSV, NULL);
    ck_assert_str_eq(
        out, "key,value\n"
             "rows,1234567890123\n"
             "share,0.1\n"
             "label,\"tab\there \"\"quoted\"\" back\\slash\nnewline \x01 \x7f caf\xc3\xa9\"\n"
             "ok,true\n"
             "nothing,\n"
             "levels,\"a;b,c;d\"\n"
             "unknown,\n"
             "\n"
             "name,type,levels,mean\n"
             "role,categorical,\"a;b,c;d\",\n"
             "age,numeric,,41.25\n");
    free(out);
    wfs_result_free(r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Text and Markdown                                                   */
/* ------------------------------------------------------------------ */

START_TEST(test_text_estimates)
{
    wfs_result *r = build_estimates();
    wfs_render_options o = WFS_RENDER_OPTIONS_INIT;
    o.width = 100;
    char *out = render(r, WFS_FORMAT_TEXT, &o);
    assert_no_trailing_blanks(out);
    /* Proportions as percentages with one decimal, the interval, deff and
     * the unweighted base; unknown values as NA; a suppressed cell hidden
     * behind its marker; markers explained under the table. */
    ck_assert_str_eq(
        out, "role                    sector   variable   level      %   SE      95% CI  "
             "deff    n\n"
             "──────────────────────  ───────  ─────────  ─────  ─────  ───  ──────────  "
             "────  ───\n"
             "Social worker           Council  needs_met  No      46.1  2.3  41.0, 51.0  "
             "1.23  412\n"
             "Team, \"lead\" | manager           needs_met  No     33.3*   NA          NA  "
             "1.23   12\n"
             "Team, \"lead\" | manager           needs_met  Yes      [x]                    "
             "       3\n"
             "[x] suppressed: unweighted base below the disclosure rule\n"
             "* does not meet the NCHS standard for reliable estimates: interpret with "
             "caution\n"
             "rao-scott-f: F = 5.190 on 1.49 and 20.9 df, p = 0.0217\n"
             "rao-scott-chisq: X2 = 12.50 on 2 df, p < 0.0001\n"
             "design: stratified (stype), 1 stage\n"
             "note: lonely PSU policy: fail\n");
    free(out);
    /* digits= sets the decimals of percentages. */
    o.digits = 0;
    out = render(r, WFS_FORMAT_TEXT, &o);
    ck_assert_ptr_nonnull(strstr(out, " 46  "));
    ck_assert_ptr_nonnull(strstr(out, "  41, 51  "));
    ck_assert_ptr_null(strstr(out, "46.1"));
    free(out);
    /* At the default width of 80 the longest label is cut to fit. */
    out = render(r, WFS_FORMAT_TEXT, NULL);
    ck_assert(has_line(out,
                       "Team, \"lead\" | ma\xe2\x80\xa6           needs_met  Yes      [x]       "
                       "                    3"));
    free(out);
    wfs_result_free(r);
}
END_TEST

START_TEST(test_text_decimals_from_se)
{
    wfs_result *r = NULL;
    ck_assert_int_eq(wfs_result_new(&r, "mean", "api", NULL), 0);
    wfs_result_set_ci_level(r, 0.9);
    wfs_estimate e;
    wfs_estimate_init(&e);
    e.statistic = "mean";
    e.variable = "api00";
    e.estimate = 674.4321;
    e.se = 12.61;
    e.ci_lower = 649.61;
    e.ci_upper = 699.25;
    e.n = 200;
    ck_assert_int_ge(wfs_result_add_estimate(r, &e), 0);
    e.variable = "tiny";
    e.estimate = -0.0000123;
    e.se = 0.00000456;
    e.ci_lower = e.ci_upper = NAN;
    ck_assert_int_ge(wfs_result_add_estimate(r, &e), 0);
    char *out = render(r, WFS_FORMAT_TEXT, NULL);
    /* Two significant digits of the SE set the decimals of the row. */
    ck_assert_str_eq(out, "variable         mean          SE        90% CI    n\n"
                          "────────  ───────────  ──────────  ────────────  ───\n"
                          "api00           674.4        12.6  649.6, 699.2  200\n"
                          "tiny      -0.00001230  0.00000456            NA  200\n");
    free(out);
    wfs_result_free(r);
}
END_TEST

/* An empty buffer used to be handed back from wfs_buf_take without a
 * terminating NUL, so a null cell printed whatever the allocation held. */
START_TEST(test_text_null_cell_is_blank)
{
    wfs_result *r = build_records();
    char *out = render(r, WFS_FORMAT_TEXT, NULL);
    ck_assert_str_eq(out,
                     "rows:    1234567890123\n"
                     "share:   0.1\n"
                     "label:   tab\there \"quoted\" back\\slash\nnewline \x01 \x7f caf\xc3\xa9\n"
                     "ok:      yes\n"
                     "nothing: \n"
                     "levels:  a, b,c, d\n"
                     "unknown: NA\n"
                     "\n"
                     "name  type         levels      mean\n"
                     "────  ───────────  ─────────  ─────\n"
                     "role  categorical  a, b,c, d\n"
                     "age   numeric                 41.25\n");
    free(out);
    wfs_result_free(r);
}
END_TEST

START_TEST(test_text_fits_width)
{
    wfs_result *r = NULL;
    ck_assert_int_eq(wfs_result_new(&r, "mean", NULL, NULL), 0);
    static const char *const k[] = {"council"};
    static const char *const v[] = {"The Royal Borough of Kensington and Chelsea, Adult Social "
                                    "Care \xc3\xa9quipe"};
    wfs_estimate e;
    wfs_estimate_init(&e);
    e.statistic = "mean";
    e.variable = "caseload_per_worker_full_time_equivalent";
    e.ndomain = 1;
    e.domain_keys = k;
    e.domain_values = v;
    e.estimate = 21.5;
    e.se = 0.5;
    e.n = 40;
    ck_assert_int_ge(wfs_result_add_estimate(r, &e), 0);
    wfs_render_options o = WFS_RENDER_OPTIONS_INIT;
    o.width = 60;
    char *out = render(r, WFS_FORMAT_TEXT, &o);
    assert_no_trailing_blanks(out);
    /* Long labels are cut with an ellipsis so every line fits. */
    for (const char *p = out; *p;) {
        const char *nl = strchr(p, '\n');
        ck_assert_ptr_nonnull(nl);
        ck_assert_msg(display_width(p, (size_t)(nl - p)) <= 60, "line too wide:\n%s", out);
        p = nl + 1;
    }
    ck_assert_ptr_nonnull(strstr(out, "\xe2\x80\xa6"));
    ck_assert_ptr_nonnull(strstr(out, "21.5"));
    free(out);
    wfs_result_free(r);
}
END_TEST

START_TEST(test_markdown_estimates)
{
    wfs_result *r = build_estimates();
    char *out = render(r, WFS_FORMAT_MARKDOWN, NULL);
    /* A pipe table: numbers right-aligned, '|' in a cell escaped; every
     * line after the table ends in a hard line break. */
    ck_assert_str_eq(
        out, "| role | sector | variable | level | % | SE | 95% CI | deff | n |\n"
             "|---|---|---|---|---:|---:|---:|---:|---:|\n"
             "| Social worker | Council | needs_met | No | 46.1 | 2.3 | 41.0, 51.0 | 1.23 | "
             "412 |\n"
             "| Team, \"lead\" \\| manager |  | needs_met | No | 33.3* | NA | NA | 1.23 | 12 "
             "|\n"
             "| Team, \"lead\" \\| manager |  | needs_met | Yes | [x] |  |  |  | 3 |\n"
             "\n"
             "[x] suppressed: unweighted base below the disclosure rule  \n"
             "* does not meet the NCHS standard for reliable estimates: interpret with "
             "caution  \n"
             "rao-scott-f: F = 5.190 on 1.49 and 20.9 df, p = 0.0217  \n"
             "rao-scott-chisq: X2 = 12.50 on 2 df, p < 0.0001  \n"
             "design: stratified (stype), 1 stage  \n"
             "note: lonely PSU policy: fail  \n");
    free(out);
    wfs_result_free(r);
}
END_TEST

/* A note right under a Markdown table used to be read as one more row of
 * the table. */
START_TEST(test_markdown_note_not_a_table_row)
{
    wfs_result *r = build_records();
    ck_assert_int_eq(wfs_result_add_note(r, "showing %d of %d rows", 2, 10), 0);
    char *out = render(r, WFS_FORMAT_MARKDOWN, NULL);
    ck_assert_ptr_nonnull(
        strstr(out, "| age | numeric |  | 41.25 |\n\nnote: showing 2 of 10 rows  \n"));
    ck_assert(has_line(out, "- **rows**: 1234567890123"));
    ck_assert(has_line(out, "|---|---|---|---:|"));
    free(out);
    wfs_result_free(r);
}
END_TEST

/* A line break inside a cell used to break the table row. */
START_TEST(test_cell_line_break_shown_as_space)
{
    wfs_result *r = NULL;
    ck_assert_int_eq(wfs_result_new(&r, "list", "x", NULL), 0);
    static const char *const cols[] = {"row", "b\nc"};
    ck_assert_int_eq(wfs_result_add_records(r, "rows", 2, cols), 0);
    wfs_value c[2] = {wfs_value_int(1), wfs_value_str("x\r\ny\tz")};
    ck_assert_int_eq(wfs_result_add_record(r, 0, c), 0);
    char *out = render(r, WFS_FORMAT_TEXT, NULL);
    ck_assert_str_eq(out, "row  b c\n───  ──────\n  1  x  y z\n");
    free(out);
    out = render(r, WFS_FORMAT_MARKDOWN, NULL);
    ck_assert_str_eq(out, "| row | b c |\n|---:|---|\n| 1 | x  y z |\n");
    ck_assert_uint_eq(count_lines(out), 3);
    free(out);
    /* JSON keeps the text as it is, escaped. */
    out = render(r, WFS_FORMAT_JSON, NULL);
    ck_assert_ptr_nonnull(strstr(out, "\"b\\nc\":\"x\\r\\ny\\tz\""));
    free(out);
    wfs_result_free(r);
}
END_TEST

static Suite *render_suite(void)
{
    Suite *s = suite_create("render");
    TCase *tc = tcase_create("numbers");
    tcase_add_test(tc, test_format_double);
    tcase_add_test(tc, test_format_double_roundtrip);
    tcase_add_test(tc, test_format_names);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    tc = tcase_create("result");
    tcase_add_test(tc, test_result_object);
    tcase_add_test(tc, test_flag_names);
    tcase_add_test(tc, test_value_helpers);
    suite_add_tcase(s, tc);
    tc = tcase_create("json");
    tcase_add_test(tc, test_json_estimates);
    tcase_add_test(tc, test_json_optional_members);
    tcase_add_test(tc, test_json_fields_and_records);
    tcase_add_test(tc, test_json_numbers_roundtrip);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    tc = tcase_create("csv");
    tcase_add_test(tc, test_csv_estimates);
    tcase_add_test(tc, test_csv_fields_and_records);
    suite_add_tcase(s, tc);
    tc = tcase_create("text");
    tcase_add_test(tc, test_text_estimates);
    tcase_add_test(tc, test_text_decimals_from_se);
    tcase_add_test(tc, test_text_null_cell_is_blank);
    tcase_add_test(tc, test_text_fits_width);
    tcase_add_test(tc, test_markdown_estimates);
    tcase_add_test(tc, test_markdown_note_not_a_table_row);
    tcase_add_test(tc, test_cell_line_break_shown_as_space);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(render_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
