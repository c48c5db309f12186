/* check_csvread.c - CSV import: types, levels, numbers and every bad input.
 *
 * Each malformed input is checked for the error code and for the exact
 * "file:line:column: " prefix of its message, counted by hand from the
 * input written out in the test. Numbers are checked bit for bit against
 * the C library's strtod, which is correctly rounded in glibc.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wfstat.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* Load len bytes as "t.csv" with options opt (NULL = defaults). */
static int load_mem(wfs_table **t, const char *data, size_t len, const wfs_csv_options *opt,
                    wfs_error *err)
{
    wfs_error_clear(err);
    return wfs_csv_read_buffer(t, "t.csv", data, len, opt, err);
}

static wfs_table *load_ok_opt(const char *text, const wfs_csv_options *opt)
{
    wfs_table *t = NULL;
    wfs_error err = WFS_ERROR_INIT;
    int rc = load_mem(&t, text, strlen(text), opt, &err);
    ck_assert_msg(rc == 0, "load failed (%d): %s", rc, err.message);
    ck_assert_ptr_nonnull(t);
    return t;
}

static wfs_table *load_ok(const char *text)
{
    return load_ok_opt(text, NULL);
}

static void assert_prefix(const char *msg, const char *prefix)
{
    ck_assert_msg(strncmp(msg, prefix, strlen(prefix)) == 0, "message \"%s\" should start \"%s\"",
                  msg, prefix);
}

/* The load must fail with code and a message starting with prefix, and
 * leave nothing behind. */
static void expect_fail_len(const char *data, size_t len, const wfs_csv_options *opt, int code,
                            const char *prefix)
{
    wfs_table *t = (wfs_table *)&t; /* must be reset to NULL */
    wfs_error err = WFS_ERROR_INIT;
    int rc = load_mem(&t, data, len, opt, &err);
    ck_assert_msg(rc == code, "expected code %d, got %d (%s)", code, rc, err.message);
    ck_assert_int_eq(err.code, code);
    ck_assert_ptr_null(t);
    assert_prefix(err.message, prefix);
    /* One sentence on one line: no newline, no trailing period. */
    ck_assert_ptr_null(strchr(err.message, '\n'));
    size_t n = strlen(err.message);
    ck_assert(n > 0 && err.message[n - 1] != '.');
}

static void expect_fail(const char *text, int code, const char *prefix)
{
    expect_fail_len(text, strlen(text), NULL, code, prefix);
}

static size_t col(const wfs_table *t, const char *name)
{
    long j = wfs_table_find(t, name);
    ck_assert_msg(j >= 0, "no column %s", name);
    return (size_t)j;
}

static void assert_levels(const wfs_table *t, size_t j, const char *const *want, size_t n)
{
    ck_assert_int_eq(wfs_table_type(t, j), WFS_CATEGORICAL);
    ck_assert_uint_eq(wfs_table_nlevels(t, j), n);
    for (size_t k = 0; k < n; k++) ck_assert_str_eq(wfs_table_level(t, j, k), want[k]);
}

/* The label of row i of a categorical column, or NULL when missing. */
static const char *label(const wfs_table *t, size_t j, size_t i)
{
    int32_t c = wfs_table_codes(t, j)[i];
    return c < 0 ? NULL : wfs_table_level(t, j, (size_t)c);
}

static char tmpdir[64];

static void make_tmpdir(void)
{
    strcpy(tmpdir, "/tmp/wfs-csvread.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Write a file in the temporary directory; returns its path (static). */
static const char *write_file(const char *name, const char *data, size_t len)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

/* A small deterministic generator (xorshift64*), so failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static unsigned rnd_below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

/* ------------------------------------------------------------------ */
/* Well-formed input                                                   */
/* ------------------------------------------------------------------ */

START_TEST(test_basic_types)
{
    wfs_table *t = load_ok("id,role,score\n1,Social worker,3.5\n2,Team manager,NA\n"
                           "3,Social worker,\n4,Admin,2.25\n");
    ck_assert_uint_eq(wfs_table_nrows(t), 4);
    ck_assert_uint_eq(wfs_table_ncols(t), 3);
    ck_assert_str_eq(wfs_table_name(t, 0), "id");
    ck_assert_str_eq(wfs_table_source(t), "t.csv");
    ck_assert_int_eq(wfs_table_type(t, 0), WFS_NUMERIC);
    ck_assert_int_eq(wfs_table_type(t, 1), WFS_CATEGORICAL);
    ck_assert_int_eq(wfs_table_type(t, 2), WFS_NUMERIC);
    const double *id = wfs_table_numeric(t, 0);
    for (size_t i = 0; i < 4; i++) ck_assert_double_eq(id[i], (double)(i + 1));
    ck_assert_ptr_null(wfs_table_missing(t, 0));
    ck_assert_uint_eq(wfs_table_nmissing(t, 0), 0);
    const double *score = wfs_table_numeric(t, 2);
    const uint8_t *miss = wfs_table_missing(t, 2);
    ck_assert_ptr_nonnull(miss);
    ck_assert_uint_eq(wfs_table_nmissing(t, 2), 2);
    ck_assert_double_eq(score[0], 3.5);
    ck_assert(isnan(score[1]) && miss[1]);
    ck_assert(isnan(score[2]) && miss[2]);
    ck_assert(!miss[0] && !miss[3]);
    ck_assert_double_eq(score[3], 2.25);
    static const char *const roles[] = {"Admin", "Social worker", "Team manager"};
    assert_levels(t, 1, roles, 3);
    ck_assert_str_eq(label(t, 1, 0), "Social worker");
    ck_assert_str_eq(label(t, 1, 1), "Team manager");
    ck_assert_str_eq(label(t, 1, 3), "Admin");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_file_and_buffer_agree)
{
    make_tmpdir();
    const char *text = "a,b\n1,x\n2,y\n3,x\n";
    const char *path = write_file("same.csv", text, strlen(text));
    wfs_table *t1, *t2 = load_ok(text);
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_csv_read(&t1, path, NULL, &err), 0);
    ck_assert_str_eq(wfs_table_source(t1), path);
    ck_assert_uint_eq(wfs_table_nrows(t1), wfs_table_nrows(t2));
    ck_assert_mem_eq(wfs_table_numeric(t1, 0), wfs_table_numeric(t2, 0), 3 * sizeof(double));
    ck_assert_mem_eq(wfs_table_codes(t1, 1), wfs_table_codes(t2, 1), 3 * sizeof(int32_t));
    wfs_table_free(t1);
    wfs_table_free(t2);
    remove_tmpdir();
}
END_TEST

START_TEST(test_bom_stripped)
{
    wfs_table *t = load_ok("\xef\xbb\xbf"
                           "a,b\n1,x\n");
    ck_assert_str_eq(wfs_table_name(t, 0), "a");
    ck_assert_int_ge(wfs_table_find(t, "a"), 0);
    wfs_table_free(t);
    /* A BOM anywhere but the start is data. */
    t = load_ok("a,b\n1,\xef\xbb\xbfx\n");
    ck_assert_str_eq(wfs_table_level(t, 1, 0), "\xef\xbb\xbfx");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_crlf)
{
    wfs_table *t = load_ok("a,b\r\n1,x\r\n2,y\r\n");
    ck_assert_uint_eq(wfs_table_nrows(t), 2);
    static const char *const lv[] = {"x", "y"};
    assert_levels(t, 1, lv, 2);
    ck_assert_str_eq(wfs_table_name(t, 1), "b");
    wfs_table_free(t);
    /* Old Mac line endings and a mixture. */
    t = load_ok("a,b\r1,x\r2,y\n3,z\r\n");
    ck_assert_uint_eq(wfs_table_nrows(t), 3);
    ck_assert_double_eq(wfs_table_numeric(t, 0)[2], 3);
    wfs_table_free(t);
    /* No line ending after the last row. */
    t = load_ok("a,b\r\n1,x\r\n2,y");
    ck_assert_uint_eq(wfs_table_nrows(t), 2);
    ck_assert_str_eq(label(t, 1, 1), "y");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_blank_lines_skipped)
{
    wfs_table *t = load_ok("\n\na,b\n\n1,x\n\r\n\n2,y\n\n\n");
    ck_assert_uint_eq(wfs_table_nrows(t), 2);
    ck_assert_str_eq(wfs_table_name(t, 0), "a");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_semicolon_and_tab)
{
    wfs_csv_options o = WFS_CSV_OPTIONS_INIT;
    o.delim = ';';
    /* A decimal comma is not a number: the column is categorical. */
    wfs_table *t = load_ok_opt("a;b;c\n1;x,y;1,5\n2;z;2\n", &o);
    ck_assert_uint_eq(wfs_table_ncols(t), 3);
    ck_assert_int_eq(wfs_table_type(t, 0), WFS_NUMERIC);
    static const char *const lb[] = {"x,y", "z"};
    assert_levels(t, 1, lb, 2);
    static const char *const lc[] = {"1,5", "2"};
    assert_levels(t, 2, lc, 2);
    wfs_table_free(t);

    o.delim = '\t';
    /* With tab as the delimiter, spaces inside and around fields are kept
     * inside and trimmed around; commas are ordinary characters. */
    t = load_ok_opt("a\tb c\td\n 1 \t x y \ta,b\n2\tz\t\n", &o);
    ck_assert_uint_eq(wfs_table_ncols(t), 3);
    ck_assert_str_eq(wfs_table_name(t, 1), "b c");
    ck_assert_double_eq(wfs_table_numeric(t, 0)[0], 1);
    ck_assert_str_eq(label(t, 1, 0), "x y");
    ck_assert_str_eq(label(t, 2, 0), "a,b");
    ck_assert_ptr_null(label(t, 2, 1));
    wfs_table_free(t);

    o.delim = '|';
    t = load_ok_opt("a|b\n1|2\n", &o);
    ck_assert_uint_eq(wfs_table_ncols(t), 2);
    wfs_table_free(t);

    /* A quote or a line ending cannot be the delimiter. */
    o.delim = '"';
    expect_fail_len("a\n1\n", 4, &o, WFS_EINVAL, "the delimiter cannot be");
    o.delim = '\n';
    expect_fail_len("a\n1\n", 4, &o, WFS_EINVAL, "the delimiter cannot be");
}
END_TEST

START_TEST(test_quoted_fields)
{
    wfs_table *t = load_ok("\"a,b\",\"c\"\"d\",e\n"
                           "\"1\",\"he said \"\"hi\"\"\",\"two\nlines\"\n"
                           "2,\"x\",\"  padded \"\n"
                           "\"\",\"\",\"\"\n");
    ck_assert_str_eq(wfs_table_name(t, 0), "a,b");
    ck_assert_str_eq(wfs_table_name(t, 1), "c\"d");
    ck_assert_uint_eq(wfs_table_nrows(t), 3);
    /* A quoted number is a number; a quoted empty field is missing. */
    ck_assert_int_eq(wfs_table_type(t, 0), WFS_NUMERIC);
    ck_assert_double_eq(wfs_table_numeric(t, 0)[0], 1);
    ck_assert(isnan(wfs_table_numeric(t, 0)[2]));
    ck_assert_str_eq(label(t, 1, 0), "he said \"hi\"");
    ck_assert_ptr_null(label(t, 1, 2));
    ck_assert_str_eq(label(t, 2, 0), "two\nlines");
    /* Spaces inside quotes are data; outside quotes they are trimmed. */
    ck_assert_str_eq(label(t, 2, 1), "  padded ");
    wfs_table_free(t);
    t = load_ok("a,b\n  1 ,  x y  \n");
    ck_assert_double_eq(wfs_table_numeric(t, 0)[0], 1);
    ck_assert_str_eq(label(t, 1, 0), "x y");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_na_tokens)
{
    /* Default: empty and NA; "na", "N/A" and "." are data. */
    wfs_table *t = load_ok("a,b\n1,NA\n,na\nNA,.\n4,N/A\n");
    ck_assert_uint_eq(wfs_table_nmissing(t, 0), 2);
    ck_assert_int_eq(wfs_table_type(t, 1), WFS_CATEGORICAL);
    static const char *const lb[] = {".", "N/A", "na"};
    assert_levels(t, 1, lb, 3);
    ck_assert_uint_eq(wfs_table_nmissing(t, 1), 1);
    ck_assert_ptr_null(label(t, 1, 0));
    ck_assert_ptr_nonnull(wfs_table_missing(t, 1));
    ck_assert(wfs_table_missing(t, 1)[0]);
    wfs_table_free(t);

    /* Custom tokens replace the defaults. */
    wfs_csv_options o = WFS_CSV_OPTIONS_INIT;
    o.na = ",-9,.";
    t = load_ok_opt("a,b\n1,x\n-9,.\n,NA\n-9.0,y\n", &o);
    ck_assert_int_eq(wfs_table_type(t, 0), WFS_NUMERIC);
    ck_assert_uint_eq(wfs_table_nmissing(t, 0), 2);
    ck_assert(isnan(wfs_table_numeric(t, 0)[1]));
    ck_assert(isnan(wfs_table_numeric(t, 0)[2]));
    /* Tokens match the text exactly: -9.0 is a number. */
    ck_assert_double_eq(wfs_table_numeric(t, 0)[3], -9);
    /* NA is no longer missing. */
    static const char *const lb2[] = {"NA", "x", "y"};
    assert_levels(t, 1, lb2, 3);
    ck_assert_uint_eq(wfs_table_nmissing(t, 1), 1);
    wfs_table_free(t);

    /* A single token; quoted NA is missing too (the token is the text). */
    o.na = "missing";
    t = load_ok_opt("a,b\n1,missing\n2,\"missing\"\n3,z\n", &o);
    ck_assert_uint_eq(wfs_table_nmissing(t, 1), 2);
    wfs_table_free(t);

    /* Too many tokens, and a list too long to hold. */
    o.na = "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q";
    expect_fail_len("a\n1\n", 4, &o, WFS_EINVAL, "at most 16 missing-value tokens");
    char longna[600];
    memset(longna, 'x', sizeof longna - 1);
    longna[sizeof longna - 1] = '\0';
    o.na = longna;
    expect_fail_len("a\n1\n", 4, &o, WFS_EINVAL, "the list of missing tokens is too long");
}
END_TEST

START_TEST(test_inference)
{
    wfs_table *t = load_ok("n,late,first,allna,spaced,exp,notnum\n"
                           "1,1,x,NA,  12  ,1e3,0x10\n"
                           "2,NA,1,,3,-2.5E-2,inf\n"
                           "-0,1.0,2,NA,4,+7,1 000\n"
                           "3,oops,3,,5,.5,nan\n");
    /* Every field a number (or missing): numeric, -0 read as 0. */
    size_t n = col(t, "n");
    ck_assert_int_eq(wfs_table_type(t, n), WFS_NUMERIC);
    ck_assert_double_eq(wfs_table_numeric(t, n)[2], 0);
    ck_assert(!signbit(wfs_table_numeric(t, n)[2]));
    /* A non-number in the last row turns the column categorical, and the
     * earlier numbers keep their spelling as levels. */
    size_t late = col(t, "late");
    static const char *const ll[] = {"1", "1.0", "oops"};
    assert_levels(t, late, ll, 3);
    ck_assert_str_eq(label(t, late, 0), "1");
    ck_assert_ptr_null(label(t, late, 1));
    ck_assert_str_eq(label(t, late, 2), "1.0");
    ck_assert_str_eq(label(t, late, 3), "oops");
    ck_assert_uint_eq(wfs_table_nmissing(t, late), 1);
    /* A non-number in the first row. */
    size_t first = col(t, "first");
    static const char *const lf[] = {"1", "2", "3", "x"};
    assert_levels(t, first, lf, 4);
    ck_assert_str_eq(label(t, first, 0), "x");
    ck_assert_str_eq(label(t, first, 3), "3");
    /* All missing: numeric, every value missing. */
    size_t allna = col(t, "allna");
    ck_assert_int_eq(wfs_table_type(t, allna), WFS_NUMERIC);
    ck_assert_uint_eq(wfs_table_nmissing(t, allna), 4);
    /* Spaces around a number are trimmed; exponents and signs accepted. */
    ck_assert_double_eq(wfs_table_numeric(t, col(t, "spaced"))[0], 12);
    const double *e = wfs_table_numeric(t, col(t, "exp"));
    ck_assert_ptr_nonnull(e);
    ck_assert_double_eq(e[0], 1000);
    ck_assert_double_eq(e[1], -0.025);
    ck_assert_double_eq(e[2], 7);
    ck_assert_double_eq(e[3], 0.5);
    /* Hexadecimal, inf, nan and digit groups are not numbers. */
    size_t nn = col(t, "notnum");
    static const char *const ln[] = {"0x10", "1 000", "inf", "nan"};
    assert_levels(t, nn, ln, 4);
    wfs_table_free(t);
}
END_TEST

/* A column that turns categorical after many rows (and after the column
 * arrays have grown) gets every earlier row in the second pass. */
START_TEST(test_inference_late_flip)
{
    size_t rows = 100000;
    char *buf = malloc(rows * 16 + 64);
    ck_assert_ptr_nonnull(buf);
    size_t len = (size_t)sprintf(buf, "k,v\n");
    for (size_t i = 0; i < rows; i++) {
        if (i == rows - 1)
            len += (size_t)sprintf(buf + len, "%zu,x\n", i);
        else if (i % 1000 == 7)
            len += (size_t)sprintf(buf + len, "%zu,NA\n", i);
        else
            len += (size_t)sprintf(buf + len, "%zu,%zu\n", i, i % 13);
    }
    wfs_table *t = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(load_mem(&t, buf, len, NULL, &err), 0);
    free(buf);
    ck_assert_uint_eq(wfs_table_nrows(t), rows);
    ck_assert_int_eq(wfs_table_type(t, 0), WFS_NUMERIC);
    ck_assert_int_eq(wfs_table_type(t, 1), WFS_CATEGORICAL);
    /* Levels 0..12 sorted as strings, then x. */
    static const char *const lv[] = {"0", "1", "10", "11", "12", "2", "3",
                                     "4", "5", "6",  "7",  "8",  "9", "x"};
    assert_levels(t, 1, lv, 14);
    ck_assert_uint_eq(wfs_table_nmissing(t, 1), 100);
    for (size_t i = 0; i < rows; i++) {
        const char *l = label(t, 1, i);
        char want[16];
        if (i == rows - 1) {
            ck_assert_str_eq(l, "x");
        } else if (i % 1000 == 7) {
            ck_assert_ptr_null(l);
        } else {
            snprintf(want, sizeof want, "%zu", i % 13);
            ck_assert_str_eq(l, want);
        }
        ck_assert_double_eq(wfs_table_numeric(t, 0)[i], (double)i);
    }
    wfs_table_free(t);
}
END_TEST

START_TEST(test_levels_sorted_as_r)
{
    /* R sorts factor levels in the C locale by bytes: digits, upper case,
     * lower case, then non-ASCII; "10" before "9". */
    wfs_table *t = load_ok("v\nb\na\nB\n10\n9\n\xc3\xa9\nZ\n_x\na b\nb\na\n");
    static const char *const lv[] = {"10", "9", "B", "Z", "_x", "a", "a b", "b", "\xc3\xa9"};
    assert_levels(t, 0, lv, 9);
    /* Codes follow the sorted levels. */
    ck_assert_int_eq(wfs_table_codes(t, 0)[0], 7);
    ck_assert_int_eq(wfs_table_codes(t, 0)[1], 5);
    ck_assert_int_eq(wfs_table_level_code(t, 0, "Z"), 3);
    ck_assert_int_eq(wfs_table_level_code(t, 0, "z"), -1);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_valid_utf8_accepted)
{
    /* Two-, three- and four-byte characters, in names and values. */
    wfs_table *t = load_ok("r\xc3\xb4le,\xe2\x82\xac\n\xf0\x9d\x84\x9e,1\nna\xc3\xafve,2\n");
    ck_assert_str_eq(wfs_table_name(t, 0), "r\xc3\xb4le");
    ck_assert_str_eq(wfs_table_name(t, 1), "\xe2\x82\xac");
    ck_assert_str_eq(label(t, 0, 0), "\xf0\x9d\x84\x9e");
    wfs_table_free(t);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Numbers: exact against strtod                                        */
/* ------------------------------------------------------------------ */

static void check_numbers(const char *const *texts, size_t n)
{
    size_t cap = 16, len = 0;
    for (size_t i = 0; i < n; i++) cap += strlen(texts[i]) + 1;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    len = (size_t)sprintf(buf, "x\n");
    for (size_t i = 0; i < n; i++) len += (size_t)sprintf(buf + len, "%s\n", texts[i]);
    wfs_table *t = NULL;
    wfs_error err = WFS_ERROR_INIT;
    int rc = load_mem(&t, buf, len, NULL, &err);
    free(buf);
    ck_assert_msg(rc == 0, "%s", err.message);
    ck_assert_int_eq(wfs_table_type(t, 0), WFS_NUMERIC);
    const double *x = wfs_table_numeric(t, 0);
    for (size_t i = 0; i < n; i++) {
        double want = strtod(texts[i], NULL);
        if (want == 0) {
            /* Zero (and underflow to zero) is read as +0. */
            ck_assert_msg(x[i] == 0 && !signbit(x[i]), "\"%s\" read as %a, want +0", texts[i],
                          x[i]);
        } else {
            ck_assert_msg(memcmp(&x[i], &want, sizeof want) == 0,
                          "\"%s\" read as %a (%.17g), strtod gives %a (%.17g)", texts[i], x[i],
                          x[i], want, want);
        }
    }
    wfs_table_free(t);
}

START_TEST(test_numbers_hard_cases)
{
    static const char *const hard[] = {
        "0.1",
        "0.2",
        "0.3",
        "1e23",
        "8.589973e9",
        "9007199254740992",
        "9007199254740993",
        "9007199254740994",
        "9007199254740995",
        "18014398509481985",
        "1.00000000000000011102230246251565404236316680908203125",
        "1.00000000000000011102230246251565404236316680908203124",
        "1.00000000000000011102230246251565404236316680908203126",
        "2.2250738585072011e-308",
        "2.2250738585072012e-308",
        "2.2250738585072014e-308",
        "4.9406564584124654e-324",
        "2.4703282292062327e-324",
        "2.4703282292062328e-324",
        "1e-320",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "179769313486231570814527423731704356798070567525844996598917476"
        "803157260780028538760589558632766878171540458953514382464234321"
        "326889464182768467546703537516986049910576551282076245490090389"
        "328944075868508455133942304583236903222948165808559332123348274"
        "797826204144723168738177180919299881250404026184124858368",
        "123456789012345678901234567890",
        "0.000000000000000000000000000000000001",
        "3.141592653589793238462643383279502884197169399375105820974944",
        "7.038531e-26",
        "1e22",
        "1e-22",
        "4503599627370496.5",
        "4503599627370497.5",
        "1e-400",
        "-1e-400",
        "0e999999",
        "00000000000000000000000001.5",
        "1.5000000000000000000000000000000000",
        "12345678901234567890",
        "1234567890123456789",
        "-9223372036854775808",
        "18446744073709551616",
        "0.0000001",
        "100000000000000000000000",
        "5e-324",
        ".5",
        "5.",
        "+.5e+1",
        "-0.0"};
    check_numbers(hard, sizeof hard / sizeof *hard);
}
END_TEST

/* A random decimal: sign, 0-25 integer digits, an optional fraction of
 * 0-25 digits, an optional exponent; at least one digit; finite. */
static void random_decimal(char *s)
{
    for (;;) {
        char *p = s;
        unsigned r = rnd_below(10);
        if (r == 0) *p++ = '-';
        if (r == 1) *p++ = '+';
        unsigned ni = rnd_below(4) == 0 ? rnd_below(26) : rnd_below(8);
        unsigned nf = rnd_below(3) == 0 ? 0 : rnd_below(4) == 0 ? rnd_below(26) : rnd_below(8);
        int any = 0;
        for (unsigned k = 0; k < ni; k++) {
            *p++ = (char)('0' + rnd_below(10));
            any = 1;
        }
        if (nf || rnd_below(10) == 0) {
            *p++ = '.';
            for (unsigned k = 0; k < nf; k++) {
                *p++ = (char)('0' + rnd_below(10));
                any = 1;
            }
        }
        if (!any) continue;
        if (rnd_below(3) == 0) {
            *p++ = rnd_below(2) ? 'e' : 'E';
            unsigned s2 = rnd_below(3);
            if (s2 == 0) *p++ = '-';
            if (s2 == 1) *p++ = '+';
            p += sprintf(p, "%u", rnd_below(3) == 0 ? rnd_below(340) : rnd_below(30));
        }
        *p = '\0';
        if (isfinite(strtod(s, NULL))) return;
    }
}

START_TEST(test_numbers_random_decimals)
{
    enum { N = 50000 };
    char(*texts)[96] = malloc(N * sizeof *texts);
    const char **ptrs = malloc(N * sizeof *ptrs);
    ck_assert_ptr_nonnull(texts);
    ck_assert_ptr_nonnull(ptrs);
    rng_state = 0x2545f4914f6cdd1dull;
    for (size_t i = 0; i < N; i++) {
        if (i % 4 == 3) {
            /* The shortest and 17-digit forms of random finite doubles. */
            double d;
            do {
                uint64_t bits = rnd();
                memcpy(&d, &bits, sizeof d);
            } while (!isfinite(d));
            snprintf(texts[i], sizeof texts[i], i % 8 == 3 ? "%.17g" : "%.15g", d);
        } else {
            random_decimal(texts[i]);
        }
        ptrs[i] = texts[i];
    }
    check_numbers(ptrs, N);
    free(texts);
    free(ptrs);
}
END_TEST

START_TEST(test_number_too_large)
{
    expect_fail("a,b\n1,2\n3,1e400\n", WFS_EPARSE,
                "t.csv:3:2: the number \"1e400\" in column \"b\" is too large to represent");
    expect_fail("a,b\n1,2\n3,-1.8e308\n", WFS_EPARSE, "t.csv:3:2: the number \"-1.8e308\"");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Malformed input: code and file:line:column                          */
/* ------------------------------------------------------------------ */

START_TEST(test_unbalanced_quote)
{
    expect_fail("a,b\n1,\"x\n2,y\n", WFS_EPARSE,
                "t.csv:2:2: a quoted field starts here and is never closed");
    /* In the header, and after a multi-line field. */
    expect_fail("a,\"b\n1,2\n", WFS_EPARSE, "t.csv:1:2: a quoted field starts here");
    expect_fail("a,b\n\"1\n2\",x\n3,\"y\n", WFS_EPARSE, "t.csv:4:2: a quoted field starts here");
    expect_fail("a,b\r\n1,2\r\n3,\"y\r\n", WFS_EPARSE, "t.csv:3:2: a quoted field starts here");
}
END_TEST

START_TEST(test_stray_quotes)
{
    /* A quote inside an unquoted field: the column is the quote's. */
    expect_fail("a,b\n1,x\"y\n", WFS_EPARSE, "t.csv:2:4: malformed quotes");
    /* Text after a closing quote. */
    expect_fail("a,b\n1,\"x\"y\n", WFS_EPARSE, "t.csv:2:6: malformed quotes");
    expect_fail("a\"b,c\n1,2\n", WFS_EPARSE, "t.csv:1:2: malformed quotes");
    expect_fail("a,b\r\n1,2\r\n3,4\"\r\n", WFS_EPARSE, "t.csv:3:4: malformed quotes");
}
END_TEST

/* The column of a quoting error counts characters: a byte-order mark and
 * the continuation bytes of UTF-8 characters take no column. */
START_TEST(test_quote_error_column_counts_characters)
{
    expect_fail("\xef\xbb\xbf"
                "a\"b,c\n1,2\n",
                WFS_EPARSE, "t.csv:1:2: malformed quotes");
    expect_fail("a,b\n\xc3\xa9\xe2\x82\xac,x\"y\n", WFS_EPARSE, "t.csv:2:5: malformed quotes");
}
END_TEST

START_TEST(test_ragged_rows)
{
    expect_fail("a,b\n1,2\n3\n", WFS_EPARSE, "t.csv:3:2: row has 1 field but the header has 2");
    expect_fail("a,b,c\n1,2,3\n4,5\n", WFS_EPARSE,
                "t.csv:3:3: row has 2 fields but the header has 3");
    expect_fail("a,b\n1,2\n3,4,5\n", WFS_EPARSE,
                "t.csv:3:3: row has more than the 2 fields of the header");
    /* A trailing delimiter is one more (empty) field. */
    expect_fail("a,b\n1,2,\n", WFS_EPARSE, "t.csv:2:3: row has more than the 2 fields");
    /* Lines are physical lines: quoted line breaks and blank lines count. */
    expect_fail("a,b\n1,2\n\n3,\"multi\nline\"\n4,5,6\n", WFS_EPARSE,
                "t.csv:6:3: row has more than the 2 fields");
    /* A short row that ends on a later line than it starts. */
    expect_fail("a,b,c\n1,2,3\n\"x\ny\",5\n", WFS_EPARSE,
                "t.csv:4:3: row has 2 fields but the header has 3");
    /* CRLF and CR line endings count once each. */
    expect_fail("a,b\r\n1,2\r\n\r\n3\r\n", WFS_EPARSE, "t.csv:4:2: row has 1 field");
    expect_fail("a,b\r1,2\r3\r", WFS_EPARSE, "t.csv:3:2: row has 1 field");
    /* No final line ending. */
    expect_fail("a,b\n1,2\n3", WFS_EPARSE, "t.csv:3:2: row has 1 field");
}
END_TEST

START_TEST(test_invalid_utf8)
{
    expect_fail("a,b\n1,\xff\n", WFS_EPARSE,
                "t.csv:2:2: invalid UTF-8 in a value (byte 0xff at position 1");
    expect_fail("a,b\xfe\n1,2\n", WFS_EPARSE,
                "t.csv:1:2: invalid UTF-8 in a column name (byte 0xfe at position 2");
    /* Latin-1 text: a lone é. */
    expect_fail("a,b\n1,caf\xe9\n", WFS_EPARSE, "t.csv:2:2: invalid UTF-8 in a value (byte 0xe9");
    /* An overlong encoding of '/'. */
    expect_fail("a\n\xc0\xaf\n", WFS_EPARSE, "t.csv:2:1: invalid UTF-8 in a value (byte 0xc0");
    /* A three-byte overlong form, a surrogate, a code point above U+10FFFF. */
    expect_fail("a\nx\xe0\x80\xaf\n", WFS_EPARSE,
                "t.csv:2:1: invalid UTF-8 in a value (byte 0xe0 at position 2");
    expect_fail("a\n\xed\xa0\x80\n", WFS_EPARSE, "t.csv:2:1: invalid UTF-8 in a value (byte 0xed");
    expect_fail("a\n\xf4\x90\x80\x80\n", WFS_EPARSE,
                "t.csv:2:1: invalid UTF-8 in a value (byte 0xf4");
    /* A sequence cut short by the end of the field. */
    expect_fail("a,b\n1,\xe2\x82\n", WFS_EPARSE, "t.csv:2:2: invalid UTF-8 in a value (byte 0xe2");
    /* A lone continuation byte, after a multi-line field. */
    expect_fail("a,b\n\"x\ny\",1\n2,\x80\n", WFS_EPARSE, "t.csv:4:2: invalid UTF-8 in a value");
}
END_TEST

START_TEST(test_nul_bytes)
{
    static const char v[] = "a,b\n1,x\0y\n";
    expect_fail_len(v, sizeof v - 1, NULL, WFS_EPARSE,
                    "t.csv:2:2: NUL byte in a value (is this a binary file?)");
    static const char h[] = "a\0,b\n1,2\n";
    expect_fail_len(h, sizeof h - 1, NULL, WFS_EPARSE, "t.csv:1:1: NUL byte in a column name");
    /* A NUL in a column that looked numeric. */
    static const char n[] = "a,b\n1,2\n3,4\0\n";
    expect_fail_len(n, sizeof n - 1, NULL, WFS_EPARSE, "t.csv:3:2: NUL byte in a value");
}
END_TEST

START_TEST(test_empty_file)
{
    expect_fail("", WFS_EPARSE, "t.csv:1:1: the file is empty");
    expect_fail("\xef\xbb\xbf", WFS_EPARSE, "t.csv:1:1: the file is empty");
    expect_fail("\n\n\r\n", WFS_EPARSE, "t.csv:1:1: the file is empty");
}
END_TEST

START_TEST(test_header_only)
{
    expect_fail("a,b\n", WFS_EPARSE, "t.csv:2:1: the file has a header row but no data rows");
    expect_fail("a,b\r\n", WFS_EPARSE, "t.csv:2:1: the file has a header row but no data rows");
    expect_fail("a,b", WFS_EPARSE, "t.csv:1:1: the file has a header row but no data rows");
    expect_fail("a,b\n\n\n", WFS_EPARSE, "t.csv:4:1: the file has a header row but no data rows");
}
END_TEST

START_TEST(test_empty_column_name)
{
    expect_fail("a,,c\n1,2,3\n", WFS_EPARSE, "t.csv:1:2: column 2 has an empty name");
    expect_fail("\"\",b\n1,2\n", WFS_EPARSE, "t.csv:1:1: column 1 has an empty name");
    expect_fail("a,b,\n1,2,3\n", WFS_EPARSE, "t.csv:1:3: column 3 has an empty name");
    /* Spaces alone are trimmed to nothing. */
    expect_fail("a,   ,c\n1,2,3\n", WFS_EPARSE, "t.csv:1:2: column 2 has an empty name");
    /* After blank lines, the header's line is counted. */
    expect_fail("\n\na,\n1,2\n", WFS_EPARSE, "t.csv:3:2: column 2 has an empty name");
}
END_TEST

START_TEST(test_duplicate_column_name)
{
    expect_fail("a,b,a\n1,2,3\n", WFS_EPARSE,
                "t.csv:1:3: duplicate column name \"a\" (also column 1)");
    expect_fail("x,y,z,y\n1,2,3,4\n", WFS_EPARSE,
                "t.csv:1:4: duplicate column name \"y\" (also column 2)");
    /* Quoting does not make a name different; case does. */
    expect_fail("a,\"a\"\n1,2\n", WFS_EPARSE, "t.csv:1:2: duplicate column name \"a\"");
    wfs_table *t = load_ok("a,A\n1,2\n");
    ck_assert_uint_eq(wfs_table_ncols(t), 2);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_memory_limit)
{
    /* 1000 rows of two numeric columns need 16000 bytes; allow 4096. The
     * columns hold 4096 / 16 = 256 rows plus one, so the load stops when
     * row 258 (line 259) is reached. */
    char buf[16000];
    size_t len = (size_t)sprintf(buf, "a,b\n");
    for (int i = 0; i < 1000; i++) len += (size_t)sprintf(buf + len, "%d,%d\n", i, i);
    wfs_csv_options o = WFS_CSV_OPTIONS_INIT;
    o.max_memory = 4096;
    expect_fail_len(buf, len, &o, WFS_ENOMEM,
                    "t.csv:259:1: loading stopped: the columns would need more than");
    /* The same file loads with room to spare. */
    o.max_memory = 1 << 20;
    wfs_table *t = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(load_mem(&t, buf, len, &o, &err), 0);
    ck_assert_uint_eq(wfs_table_nrows(t), 1000);
    wfs_table_free(t);
}
END_TEST

/* A file that grows while it is read: the progress callback, called after
 * each 1 MB chunk, appends to it. The load must fail, not return a table
 * of part of the old and part of the new contents. */
static void append_once(void *user, double fraction, const char *what)
{
    const char *path = user;
    static int done;
    (void)fraction;
    (void)what;
    if (done++) return;
    FILE *f = fopen(path, "a");
    ck_assert_ptr_nonnull(f);
    fputs("1,2\n", f);
    fclose(f);
}

START_TEST(test_file_changed_while_read)
{
    make_tmpdir();
    char path[128];
    snprintf(path, sizeof path, "%s/growing.csv", tmpdir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("a,b\n", f);
    for (int i = 0; i < 400000; i++) fprintf(f, "%d,%d\n", i, i % 7);
    fclose(f);
    wfs_control ctl = {NULL, append_once, path};
    wfs_csv_options o = WFS_CSV_OPTIONS_INIT;
    o.control = &ctl;
    wfs_table *t = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_csv_read(&t, path, &o, &err), WFS_EIO);
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(err.message, "the file changed while it was being read"), "%s",
                  err.message);
    /* Unchanged, it loads (with the appended row). */
    ck_assert_int_eq(wfs_csv_read(&t, path, NULL, &err), 0);
    ck_assert_uint_eq(wfs_table_nrows(t), 400001);
    wfs_table_free(t);
    remove_tmpdir();
}
END_TEST

/* A NUL byte is refused where it is met: a sparse file of 64 MB of NUL
 * bytes after the header fails at once, naming line 2. */
START_TEST(test_nul_bytes_refused_early)
{
    make_tmpdir();
    char path[128];
    snprintf(path, sizeof path, "%s/sparse.csv", tmpdir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("a,b\n1,", f);
    fclose(f);
    ck_assert_int_eq(truncate(path, 64 << 20), 0);
    wfs_table *t = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_csv_read(&t, path, NULL, &err), WFS_EPARSE);
    ck_assert_msg(strstr(err.message, "sparse.csv:2:2: NUL byte in a value"), "%s", err.message);
    remove_tmpdir();
}
END_TEST

/* Distinct labels count against the limit too: 2000 rows of one numeric
 * column (16 KB) and a 200-byte distinct label each (over 400 KB) fail
 * under a 256 KB limit, and load under 4 MB. */
START_TEST(test_memory_limit_counts_labels)
{
    size_t cap = 2000 * 220 + 16, len = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    len += (size_t)sprintf(buf, "a,b\n");
    for (int i = 0; i < 2000; i++)
        len += (size_t)sprintf(buf + len, "%d,x%0199d\n", i, i);
    wfs_csv_options o = WFS_CSV_OPTIONS_INIT;
    o.max_memory = 256 << 10;
    wfs_table *t = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(load_mem(&t, buf, len, &o, &err), WFS_ENOMEM);
    ck_assert_msg(strstr(err.message, "loading stopped: the columns would need more than"), "%s",
                  err.message);
    o.max_memory = 4 << 20;
    ck_assert_int_eq(load_mem(&t, buf, len, &o, &err), 0);
    ck_assert_uint_eq(wfs_table_nlevels(t, 1), 2000);
    wfs_table_free(t);
    /* Columns count before any row: 100 of them at 512 bytes each do not
     * fit in 10 KB, and the header says so at column 21. */
    len = 0;
    for (int j = 0; j < 100; j++) len += (size_t)sprintf(buf + len, "%sc%d", j ? "," : "", j);
    len += (size_t)sprintf(buf + len, "\n");
    o.max_memory = 10 << 10;
    ck_assert_int_eq(load_mem(&t, buf, len, &o, &err), WFS_ELIMIT);
    ck_assert_msg(strstr(err.message, "t.csv:1:21: more than 20 columns for the memory available"),
                  "%s", err.message);
    free(buf);
}
END_TEST

START_TEST(test_unreadable_paths)
{
    make_tmpdir();
    wfs_table *t = (wfs_table *)&t;
    wfs_error err = WFS_ERROR_INIT;
    char path[300];

    snprintf(path, sizeof path, "%s/missing.csv", tmpdir);
    ck_assert_int_eq(wfs_csv_read(&t, path, NULL, &err), WFS_EIO);
    ck_assert_ptr_null(t);
    ck_assert_int_eq(err.code, WFS_EIO);
    char want[400];
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    ck_assert_str_eq(err.message, want);

    /* A path through a regular file. */
    const char *f = write_file("plain.csv", "a\n1\n", 4);
    snprintf(path, sizeof path, "%s/x.csv", f);
    ck_assert_int_eq(wfs_csv_read(&t, path, NULL, &err), WFS_EIO);
    snprintf(want, sizeof want, "%s: cannot open: Not a directory", path);
    ck_assert_str_eq(err.message, want);

    /* Permission denied (root reads everything, so only as another user). */
    if (geteuid() != 0) {
        f = write_file("secret.csv", "a\n1\n", 4);
        ck_assert_int_eq(chmod(f, 0), 0);
        ck_assert_int_eq(wfs_csv_read(&t, f, NULL, &err), WFS_EIO);
        snprintf(want, sizeof want, "%s: cannot open: Permission denied", f);
        ck_assert_str_eq(err.message, want);
    }

    /* A directory, a pipe (which must not block) and a device. */
    ck_assert_int_eq(wfs_csv_read(&t, tmpdir, NULL, &err), WFS_EIO);
    snprintf(want, sizeof want, "%s: not a regular file (a directory)", tmpdir);
    ck_assert_str_eq(err.message, want);
    snprintf(path, sizeof path, "%s/fifo", tmpdir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    ck_assert_int_eq(wfs_csv_read(&t, path, NULL, &err), WFS_EIO);
    snprintf(want, sizeof want, "%s: not a regular file (a pipe)", path);
    ck_assert_str_eq(err.message, want);
    ck_assert_int_eq(wfs_csv_read(&t, "/dev/null", NULL, &err), WFS_EIO);
    ck_assert_str_eq(err.message, "/dev/null: not a regular file (a device or socket)");
    ck_assert_ptr_null(t);
    remove_tmpdir();
}
END_TEST

START_TEST(test_binary_files)
{
    /* The start of a PNG image: invalid UTF-8 in the first column name. */
    static const char png[] = "\x89PNG\r\n\x1a\n";
    expect_fail_len(png, sizeof png - 1, NULL, WFS_EPARSE,
                    "t.csv:1:1: invalid UTF-8 in a column name (byte 0x89 at position 1; is this a "
                    "binary file");
    /* The start of a gzip file: a NUL byte comes first. */
    static const char gz[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xed\x5a";
    expect_fail_len(gz, sizeof gz - 1, NULL, WFS_EPARSE, "t.csv:1:1: NUL byte in a column name");
    /* The start of an ELF executable: a NUL byte in the header. */
    static const char elf[] = "\x7f"
                              "ELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00";
    expect_fail_len(elf, sizeof elf - 1, NULL, WFS_EPARSE, "t.csv:1:1: NUL byte in a column name");
    /* Random bytes, from a file: a parse error with a line and column. */
    make_tmpdir();
    rng_state = 12345;
    for (int round = 0; round < 20; round++) {
        char data[4096];
        for (size_t i = 0; i < sizeof data; i++) data[i] = (char)(rnd() >> 56);
        const char *path = write_file("random.bin", data, sizeof data);
        wfs_table *t = (wfs_table *)&t;
        wfs_error err = WFS_ERROR_INIT;
        ck_assert_int_eq(wfs_csv_read(&t, path, NULL, &err), WFS_EPARSE);
        ck_assert_ptr_null(t);
        size_t plen = strlen(path), line = 0, column = 0;
        ck_assert(strncmp(err.message, path, plen) == 0);
        ck_assert_msg(sscanf(err.message + plen, ":%zu:%zu: ", &line, &column) == 2,
                      "no line and column in \"%s\"", err.message);
        ck_assert(line >= 1 && column >= 1);
    }
    remove_tmpdir();
}
END_TEST

/* Files larger than the 1 MiB read chunk. */
#define CHUNK_BYTES (1u << 20)

typedef struct bigfile {
    char *data;
    size_t len, cap;
    size_t line; /* lines written so far */
} bigfile;

static void big_add(bigfile *b, const char *s)
{
    size_t n = strlen(s);
    ck_assert(b->len + n <= b->cap);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    for (size_t i = 0; i < n; i++) b->line += s[i] == '\n';
}

/* Rows "N,x\r\n" until close to `end`, then one row padded so that it
 * ends exactly at byte `end` (exclusive). */
static void big_rows_until(bigfile *b, size_t end)
{
    char row[64];
    while (b->len + 40 < end) {
        snprintf(row, sizeof row, "%zu,x\r\n", b->line);
        big_add(b, row);
    }
    size_t digits = end - b->len - 4;
    ck_assert(digits >= 1 && digits < sizeof row - 5);
    memset(row, '0', digits);
    row[digits - 1] = '7';
    strcpy(row + digits, ",x\r\n");
    big_add(b, row);
    ck_assert_uint_eq(b->len, end);
}

/* Load b from memory and from a file; both must fail with prefix after
 * the file name. */
static void big_expect(const bigfile *b, int code, const char *where)
{
    char want[512];
    snprintf(want, sizeof want, "t.csv:%s", where);
    expect_fail_len(b->data, b->len, NULL, code, want);
    const char *path = write_file("big.csv", b->data, b->len);
    wfs_table *t = (wfs_table *)&t;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_csv_read(&t, path, NULL, &err), code);
    ck_assert_ptr_null(t);
    snprintf(want, sizeof want, "%s:%s", path, where);
    assert_prefix(err.message, want);
}

START_TEST(test_crlf_split_across_chunks)
{
    make_tmpdir();
    bigfile b = {malloc(3u << 20), 0, 3u << 20, 0};
    ck_assert_ptr_nonnull(b.data);
    big_add(&b, "k,v\r\n");
    /* The CR of a row is the last byte of the first chunk, its LF the first
     * byte of the second: one line ending, not two. */
    big_rows_until(&b, CHUNK_BYTES + 1);
    ck_assert_int_eq(b.data[CHUNK_BYTES - 1], '\r');
    ck_assert_int_eq(b.data[CHUNK_BYTES], '\n');
    big_add(&b, "1,x\r\n2,x\r\n");
    char where[64];
    /* A short row two lines later. */
    big_add(&b, "3\r\n");
    snprintf(where, sizeof where, "%zu:2: row has 1 field", b.line);
    big_expect(&b, WFS_EPARSE, where);
    /* The rows before it load. */
    b.len -= 3;
    b.line--;
    wfs_table *t = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(load_mem(&t, b.data, b.len, NULL, &err), 0);
    ck_assert_uint_eq(wfs_table_nrows(t), b.line - 1);
    wfs_table_free(t);
    /* A stray quote after the boundary: line and character column. */
    big_add(&b, "4,ab\"c\r\n");
    snprintf(where, sizeof where, "%zu:5: malformed quotes", b.line);
    big_expect(&b, WFS_EPARSE, where);
    free(b.data);
    remove_tmpdir();
}
END_TEST

START_TEST(test_quoted_field_across_chunks)
{
    make_tmpdir();
    bigfile b = {malloc(3u << 20), 0, 3u << 20, 0};
    ck_assert_ptr_nonnull(b.data);
    big_add(&b, "k,v\r\n");
    big_rows_until(&b, CHUNK_BYTES - 10);
    /* A quoted value with a line break, straddling the boundary. */
    big_add(&b, "5,\"first line\r\nsecond line\"\r\n");
    ck_assert(b.len > CHUNK_BYTES);
    big_rows_until(&b, CHUNK_BYTES + 5000);
    char where[64];
    big_add(&b, "6,\xc3\r\n");
    snprintf(where, sizeof where, "%zu:2: invalid UTF-8 in a value", b.line);
    big_expect(&b, WFS_EPARSE, where);
    /* Without the bad row, the value is read whole. */
    b.len -= 5;
    b.line--;
    wfs_table *t = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(load_mem(&t, b.data, b.len, NULL, &err), 0);
    ck_assert_int_ge(wfs_table_level_code(t, 1, "first line\r\nsecond line"), 0);
    wfs_table_free(t);
    /* A quote left open across the boundary. */
    b.len = 0;
    b.line = 0;
    big_add(&b, "k,v\n1,x\n2,\"open\n");
    big_rows_until(&b, 2 * CHUNK_BYTES + 100);
    big_expect(&b, WFS_EPARSE, "3:2: a quoted field starts here and is never closed");
    free(b.data);
    remove_tmpdir();
}
END_TEST

/* An unbalanced quote early in a large file makes the rest of the file
 * one field. libcsv grew that field 128 bytes at a time, quadratic in its
 * length (minutes for a few MB where realloc copies, as under
 * AddressSanitizer); the test case's timeout catches a return of that. */
START_TEST(test_long_quoted_field_linear_time)
{
    size_t len = 16u << 20;
    char *buf = malloc(len);
    ck_assert_ptr_nonnull(buf);
    memcpy(buf, "a,b\n1,\"", 7);
    for (size_t i = 7; i < len; i++) buf[i] = i % 16 == 15 ? '\n' : 'x';
    expect_fail_len(buf, len, NULL, WFS_EPARSE,
                    "t.csv:2:2: a quoted field starts here and is never closed");
    /* Closed at the very end, it is one 16 MB level. */
    buf[len - 1] = '"';
    wfs_table *t = NULL;
    wfs_error err = WFS_ERROR_INIT;
    int rc = load_mem(&t, buf, len, NULL, &err);
    ck_assert_msg(rc == 0, "%s", err.message);
    ck_assert_uint_eq(strlen(wfs_table_level(t, 1, 0)), len - 8);
    wfs_table_free(t);
    free(buf);
}
END_TEST

/* Duplicate column names used to be found by comparing every pair, and
 * adding each column to the table compared its name with every earlier
 * one: minutes for a header of a few hundred thousand columns. */
START_TEST(test_wide_header_linear_time)
{
    size_t n = 300000;
    char *buf = malloc(n * 24 + 64);
    ck_assert_ptr_nonnull(buf);
    size_t len = 0;
    for (size_t j = 0; j < n; j++) len += (size_t)sprintf(buf + len, "column_%zu,", j);
    size_t header = len;
    len += (size_t)sprintf(buf + len, "column_7\n");
    expect_fail_len(buf, len, NULL, WFS_EPARSE,
                    "t.csv:1:300001: duplicate column name \"column_7\" (also column 8)");
    len = header + (size_t)sprintf(buf + header, "last\n");
    for (size_t j = 0; j < n; j++) len += (size_t)sprintf(buf + len, "%zu,", j);
    len += (size_t)sprintf(buf + len, "x\n");
    wfs_table *t = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(load_mem(&t, buf, len, NULL, &err), 0);
    ck_assert_uint_eq(wfs_table_ncols(t), n + 1);
    ck_assert_int_eq(wfs_table_find(t, "column_299999"), 299999);
    ck_assert_double_eq(wfs_table_numeric(t, 299999)[0], 299999);
    wfs_table_free(t);
    free(buf);
}
END_TEST

typedef struct progress_log {
    size_t calls;
    double last;
    int decreasing;
} progress_log;

static void on_progress(void *user, double fraction, const char *what)
{
    progress_log *pl = user;
    if (pl->calls && fraction < pl->last) pl->decreasing = 1;
    pl->calls++;
    pl->last = fraction;
    ck_assert_ptr_nonnull(what);
}

START_TEST(test_interrupt_and_progress)
{
    static volatile sig_atomic_t stop = 1;
    wfs_control ctl = {&stop, NULL, NULL};
    wfs_csv_options o = WFS_CSV_OPTIONS_INIT;
    o.control = &ctl;
    expect_fail_len("a\n1\n", 4, &o, WFS_EINTR, "t.csv: loading interrupted");
    /* Progress is reported per chunk and ends at 1. */
    stop = 0;
    progress_log pl = {0, 0, 0};
    ctl.progress = on_progress;
    ctl.user = &pl;
    size_t len = 3u << 20;
    char *buf = malloc(len);
    ck_assert_ptr_nonnull(buf);
    memcpy(buf, "a\n", 2);
    for (size_t i = 2; i < len; i += 2) memcpy(buf + i, "1\n", 2);
    wfs_table *t = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(load_mem(&t, buf, len, &o, &err), 0);
    ck_assert_uint_eq(wfs_table_nrows(t), len / 2 - 1);
    ck_assert_uint_ge(pl.calls, 3);
    ck_assert(!pl.decreasing);
    ck_assert_double_eq_tol(pl.last, 1.0, 1e-12);
    wfs_table_free(t);
    free(buf);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Loading in two parts                                                */
/* ------------------------------------------------------------------ */

void wfs_csv_split_threshold(size_t bytes); /* private: force or forbid the split */

/* Load text from a file in one pass and in two parts: the same table, or
 * the same error. Returns the one-pass result's row count (0 on error). */
static size_t same_in_two_parts(const char *text)
{
    char path[] = "/tmp/wfs-split-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    size_t len = strlen(text);
    ck_assert_int_eq((int)write(fd, text, len), (int)len);
    close(fd);
    wfs_table *t[2] = {NULL, NULL};
    wfs_error err[2] = {WFS_ERROR_INIT, WFS_ERROR_INIT};
    int rc[2];
    for (int k = 0; k < 2; k++) {
        wfs_csv_split_threshold(k ? 0 : SIZE_MAX);
        rc[k] = wfs_csv_read(&t[k], path, NULL, &err[k]);
    }
    wfs_csv_split_threshold((size_t)16 << 20);
    unlink(path);
    ck_assert_int_eq(rc[0], rc[1]);
    if (rc[0]) {
        ck_assert_str_eq(err[1].message, err[0].message);
        return 0;
    }
    size_t n = wfs_table_nrows(t[0]), nc = wfs_table_ncols(t[0]);
    ck_assert_uint_eq(wfs_table_nrows(t[1]), n);
    ck_assert_uint_eq(wfs_table_ncols(t[1]), nc);
    for (size_t j = 0; j < nc; j++) {
        ck_assert_str_eq(wfs_table_name(t[1], j), wfs_table_name(t[0], j));
        ck_assert_int_eq(wfs_table_type(t[1], j), wfs_table_type(t[0], j));
        ck_assert_uint_eq(wfs_table_nmissing(t[1], j), wfs_table_nmissing(t[0], j));
        if (wfs_table_type(t[0], j) == WFS_NUMERIC) {
            const double *a = wfs_table_numeric(t[0], j), *b = wfs_table_numeric(t[1], j);
            ck_assert_int_eq(memcmp(a, b, n * sizeof *a), 0);
            const uint8_t *ma = wfs_table_missing(t[0], j), *mb = wfs_table_missing(t[1], j);
            ck_assert_int_eq(ma == NULL, mb == NULL);
            if (ma) ck_assert_int_eq(memcmp(ma, mb, n), 0);
        } else {
            size_t nl = wfs_table_nlevels(t[0], j);
            ck_assert_uint_eq(wfs_table_nlevels(t[1], j), nl);
            for (size_t k = 0; k < nl; k++)
                ck_assert_str_eq(wfs_table_level(t[1], j, k), wfs_table_level(t[0], j, k));
            const int32_t *a = wfs_table_codes(t[0], j), *b = wfs_table_codes(t[1], j);
            ck_assert_int_eq(memcmp(a, b, n * sizeof *a), 0);
        }
    }
    wfs_table_free(t[0]);
    wfs_table_free(t[1]);
    return n;
}

/* text made of head, then `rows` copies of first, then of second. */
static char *halves(const char *head, const char *first, const char *second, size_t rows)
{
    size_t cap = strlen(head) + rows * (strlen(first) + strlen(second)) + 1;
    char *s = malloc(cap), *p = s;
    ck_assert_ptr_nonnull(s);
    p += sprintf(p, "%s", head);
    for (size_t i = 0; i < rows; i++) p += sprintf(p, "%s", first);
    for (size_t i = 0; i < rows; i++) p += sprintf(p, "%s", second);
    return s;
}

START_TEST(test_two_parts_same_table)
{
    static const struct {
        const char *head, *first, *second;
    } cases[] = {
        /* levels in another order, and new ones, in the second half */
        {"a,f,g\n", "1,x,p\n2,y,p\n", "3,z,q\n4,x,r\n"},
        /* missing values only in one half or the other */
        {"a,b\n", "1,NA\n2,\n", "3,4\n5,6\n"},
        {"a,b\n", "1,2\n", ",7\nNA,8\n"},
        /* text from the first row in both halves; text only later in the first */
        {"a,t\n", "1,x y\n", "2,z\n"},
        {"t,u\n", "1,2\n", "a,b\n"},
        {"t,u\n", "a,1\n", "2,2\n"},
        /* quoted fields with line ends and delimiters inside, around the middle */
        {"a,q\n", "1,\"two\nlines, and \"\"quotes\"\"\"\n", "2,\"x\ny\"\n"},
        /* CRLF, blank lines, a byte-order mark */
        {"\xef\xbb\xbf" "a,b\r\n", "1,x\r\n\r\n", "2,y\r\n"},
        /* errors in the second half: a short row, a bad quote, a huge number */
        {"a,b\n", "1,2\n", "3\n"},
        {"a,b\n", "1,2\n", "3,x\"y\n"},
        {"a,b\n", "1,2\n", "3,1e999\n"},
        /* and in the first */
        {"a,b\n", "1,2,3\n", "4,5\n"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        for (size_t rows = 1; rows <= 600; rows = rows * 5 + 1) {
            char *text = halves(cases[c].head, cases[c].first, cases[c].second, rows);
            same_in_two_parts(text);
            free(text);
        }
    }
    /* One quoted field over the middle of the file: the split falls
     * inside it, and the load goes again in one pass. */
    char *big = malloc(20000);
    ck_assert_ptr_nonnull(big);
    char *p = big + sprintf(big, "a,b\n1,\"");
    for (int i = 0; i < 1000; i++) p += sprintf(p, "line %d\n", i);
    sprintf(p, "\"\n2,x\n");
    ck_assert_uint_eq(same_in_two_parts(big), 2);
    free(big);
}
END_TEST

/* Short labels go through a small cache in front of the level table:
 * thousands of distinct labels of 1 to 8 bytes, in an order that makes
 * them evict each other, must each read back as themselves. */
START_TEST(test_many_short_levels)
{
    size_t rows = 20000, cap = rows * 12 + 16;
    char *text = malloc(cap), *p = text;
    char (*want)[12] = malloc(rows * sizeof *want);
    ck_assert(text && want);
    p += sprintf(p, "f\n");
    uint32_t s = 12345;
    for (size_t i = 0; i < rows; i++) {
        s = s * 1103515245u + 12345u;
        unsigned v = (s >> 8) % 3000, len = 1 + v % 8;
        for (unsigned k = 0; k < len; k++) want[i][k] = (char)('a' + (v >> (k % 4)) % 26);
        want[i][0] = (char)('A' + v % 26); /* not a number */
        want[i][len] = '\0';
        p += sprintf(p, "%s\n", want[i]);
    }
    wfs_table *t = load_ok(text);
    ck_assert_uint_eq(wfs_table_nrows(t), rows);
    const int32_t *codes = wfs_table_codes(t, 0);
    for (size_t i = 0; i < rows; i++)
        ck_assert_str_eq(wfs_table_level(t, 0, (size_t)codes[i]), want[i]);
    wfs_table_free(t);
    free(text);
    free(want);
}
END_TEST

static Suite *csvread_suite(void)
{
    Suite *s = suite_create("csvread");
    TCase *tc = tcase_create("wellformed");
    tcase_add_test(tc, test_basic_types);
    tcase_add_test(tc, test_file_and_buffer_agree);
    tcase_add_test(tc, test_bom_stripped);
    tcase_add_test(tc, test_crlf);
    tcase_add_test(tc, test_blank_lines_skipped);
    tcase_add_test(tc, test_semicolon_and_tab);
    tcase_add_test(tc, test_quoted_fields);
    tcase_add_test(tc, test_na_tokens);
    tcase_add_test(tc, test_inference);
    tcase_add_test(tc, test_inference_late_flip);
    tcase_add_test(tc, test_levels_sorted_as_r);
    tcase_add_test(tc, test_many_short_levels);
    tcase_add_test(tc, test_valid_utf8_accepted);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("numbers");
    tcase_add_test(tc, test_numbers_hard_cases);
    tcase_add_test(tc, test_numbers_random_decimals);
    tcase_add_test(tc, test_number_too_large);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("malformed");
    tcase_add_test(tc, test_unbalanced_quote);
    tcase_add_test(tc, test_stray_quotes);
    tcase_add_test(tc, test_quote_error_column_counts_characters);
    tcase_add_test(tc, test_ragged_rows);
    tcase_add_test(tc, test_invalid_utf8);
    tcase_add_test(tc, test_nul_bytes);
    tcase_add_test(tc, test_empty_file);
    tcase_add_test(tc, test_header_only);
    tcase_add_test(tc, test_empty_column_name);
    tcase_add_test(tc, test_duplicate_column_name);
    tcase_add_test(tc, test_memory_limit);
    tcase_add_test(tc, test_memory_limit_counts_labels);
    tcase_add_test(tc, test_unreadable_paths);
    tcase_add_test(tc, test_file_changed_while_read);
    tcase_add_test(tc, test_nul_bytes_refused_early);
    tcase_add_test(tc, test_binary_files);
    tcase_add_test(tc, test_crlf_split_across_chunks);
    tcase_add_test(tc, test_quoted_field_across_chunks);
    tcase_add_test(tc, test_long_quoted_field_linear_time);
    tcase_add_test(tc, test_wide_header_linear_time);
    tcase_add_test(tc, test_interrupt_and_progress);
    tcase_add_test(tc, test_two_parts_same_table);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(csvread_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
