/* check_table.c - the columnar table: columns, missing values, levels,
 * group codes, and the errors of the table API. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wfs-private.h"

static wfs_table *new_table(size_t nrows)
{
    wfs_table *t = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_table_new(&t, nrows, &err), 0);
    ck_assert_ptr_nonnull(t);
    return t;
}

START_TEST(test_empty_table)
{
    wfs_table *t = new_table(3);
    ck_assert_uint_eq(wfs_table_nrows(t), 3);
    ck_assert_uint_eq(wfs_table_ncols(t), 0);
    ck_assert_int_eq(wfs_table_find(t, "x"), -1);
    ck_assert_ptr_null(wfs_table_source(t));
    wfs_table_free(t);
    wfs_table_free(NULL);
    /* A table with no rows takes columns of no rows. */
    t = new_table(0);
    ck_assert_int_eq(wfs_table_add_numeric(t, "x", NULL, NULL, NULL), 0);
    ck_assert_int_eq(wfs_table_add_strings(t, "s", NULL, NULL), 0);
    ck_assert_uint_eq(wfs_table_nlevels(t, 1), 0);
    ck_assert_uint_eq(wfs_table_nmissing(t, 0), 0);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_numeric_columns)
{
    wfs_table *t = new_table(5);
    const double x[] = {1.5, NAN, -2, 0, 1e300};
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_table_add_numeric(t, "x", x, NULL, &err), 0);
    ck_assert_uint_eq(wfs_table_ncols(t), 1);
    ck_assert_int_eq(wfs_table_find(t, "x"), 0);
    ck_assert_str_eq(wfs_table_name(t, 0), "x");
    ck_assert_int_eq(wfs_table_type(t, 0), WFS_NUMERIC);
    /* Values are copied: changing the input changes nothing. */
    const double *v = wfs_table_numeric(t, 0);
    ck_assert_ptr_ne(v, x);
    ck_assert_double_eq(v[0], 1.5);
    ck_assert(isnan(v[1]));
    ck_assert_double_eq(v[4], 1e300);
    /* NaN is missing even without a mask. */
    ck_assert_uint_eq(wfs_table_nmissing(t, 0), 1);
    const uint8_t *m = wfs_table_missing(t, 0);
    ck_assert_ptr_nonnull(m);
    ck_assert(!m[0] && m[1] && !m[2] && !m[3] && !m[4]);
    /* Not categorical, not text. */
    ck_assert_ptr_null(wfs_table_codes(t, 0));
    ck_assert_ptr_null(wfs_table_text(t, 0));
    ck_assert_uint_eq(wfs_table_nlevels(t, 0), 0);

    /* A mask marks values missing and makes them NaN. */
    const double y[] = {1, 2, 3, 4, 5};
    const uint8_t ym[] = {0, 1, 0, 0, 1};
    ck_assert_int_eq(wfs_table_add_numeric(t, "y", y, ym, &err), 0);
    v = wfs_table_numeric(t, 1);
    ck_assert_uint_eq(wfs_table_nmissing(t, 1), 2);
    ck_assert(isnan(v[1]) && isnan(v[4]));
    ck_assert_double_eq(v[2], 3);

    /* Nothing missing: no mask at all. */
    const uint8_t none[] = {0, 0, 0, 0, 0};
    ck_assert_int_eq(wfs_table_add_numeric(t, "z", y, none, &err), 0);
    ck_assert_ptr_null(wfs_table_missing(t, 2));
    ck_assert_uint_eq(wfs_table_nmissing(t, 2), 0);
    /* Column bytes: three doubles per row and two masks. */
    ck_assert_uint_eq(wfs_table_bytes(t), 3 * 5 * sizeof(double) + 2 * 5);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_set_numeric)
{
    wfs_table *t = new_table(3);
    const double x[] = {1, NAN, 3};
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_table_add_numeric(t, "x", x, NULL, &err), 0);
    const double y[] = {4, 5, 6};
    ck_assert_int_eq(wfs_table_set_numeric(t, 0, y, &err), 0);
    ck_assert_uint_eq(wfs_table_nmissing(t, 0), 0);
    ck_assert_ptr_null(wfs_table_missing(t, 0));
    ck_assert_double_eq(wfs_table_numeric(t, 0)[1], 5);
    const double z[] = {NAN, NAN, 1};
    ck_assert_int_eq(wfs_table_set_numeric(t, 0, z, &err), 0);
    ck_assert_uint_eq(wfs_table_nmissing(t, 0), 2);
    ck_assert(wfs_table_missing(t, 0)[0] && wfs_table_missing(t, 0)[1]);
    /* Only numeric columns, only existing ones. */
    const char *s[] = {"a", "b", "a"};
    ck_assert_int_eq(wfs_table_add_strings(t, "s", s, &err), 0);
    ck_assert_int_eq(wfs_table_set_numeric(t, 1, y, &err), WFS_ETYPE);
    ck_assert_int_eq(err.code, WFS_ETYPE);
    ck_assert_str_eq(err.message, "column 1 is not numeric");
    ck_assert_int_eq(wfs_table_set_numeric(t, 7, y, &err), WFS_ETYPE);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_categorical_sorted_and_recoded)
{
    wfs_table *t = new_table(6);
    /* Levels given out of order; codes refer to the given order. */
    const char *const levels[] = {"b", "a", "B", "10", "9"};
    const int32_t codes[] = {0, 1, 2, 3, 4, -1};
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_table_add_categorical(t, "f", codes, levels, 5, &err), 0);
    ck_assert_int_eq(wfs_table_type(t, 0), WFS_CATEGORICAL);
    /* Sorted as R in the C locale: "10" "9" "B" "a" "b". */
    static const char *const sorted[] = {"10", "9", "B", "a", "b"};
    ck_assert_uint_eq(wfs_table_nlevels(t, 0), 5);
    for (size_t k = 0; k < 5; k++) ck_assert_str_eq(wfs_table_level(t, 0, k), sorted[k]);
    ck_assert_ptr_null(wfs_table_level(t, 0, 5));
    /* Each row keeps its label. */
    const int32_t *c = wfs_table_codes(t, 0);
    for (size_t i = 0; i < 5; i++) ck_assert_str_eq(wfs_table_level(t, 0, (size_t)c[i]), levels[i]);
    ck_assert_int_eq(c[5], -1);
    ck_assert_uint_eq(wfs_table_nmissing(t, 0), 1);
    ck_assert(wfs_table_missing(t, 0)[5] && !wfs_table_missing(t, 0)[0]);
    ck_assert_ptr_null(wfs_table_numeric(t, 0));
    /* Lookup by label. */
    ck_assert_int_eq(wfs_table_level_code(t, 0, "B"), 2);
    ck_assert_int_eq(wfs_table_level_code(t, 0, "10"), 0);
    ck_assert_int_eq(wfs_table_level_code(t, 0, "b"), 4);
    ck_assert_int_eq(wfs_table_level_code(t, 0, "c"), -1);
    ck_assert_int_eq(wfs_table_level_code(t, 0, ""), -1);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_categorical_out_of_range_codes_missing)
{
    wfs_table *t = new_table(4);
    const char *const levels[] = {"x", "y"};
    const int32_t codes[] = {1, 2, -7, 0};
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_table_add_categorical(t, "f", codes, levels, 2, &err), 0);
    const int32_t *c = wfs_table_codes(t, 0);
    ck_assert_int_eq(c[0], 1);
    ck_assert_int_eq(c[1], -1);
    ck_assert_int_eq(c[2], -1);
    ck_assert_int_eq(c[3], 0);
    ck_assert_uint_eq(wfs_table_nmissing(t, 0), 2);
    wfs_table_free(t);
}
END_TEST

/* A duplicate level used to be detected while the level array was being
 * rewritten in sorted order, so the clean-up freed one label twice and
 * leaked another (AddressSanitizer reports it). */
START_TEST(test_categorical_duplicate_level_freed_once)
{
    wfs_table *t = new_table(3);
    const char *const levels[] = {"b", "a", "a"};
    const int32_t codes[] = {0, 1, 2};
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_table_add_categorical(t, "f", codes, levels, 3, &err), WFS_EINVAL);
    ck_assert_int_eq(err.code, WFS_EINVAL);
    ck_assert_str_eq(err.message, "column \"f\" lists level \"a\" twice");
    ck_assert_uint_eq(wfs_table_ncols(t), 0);
    ck_assert_int_eq(wfs_table_find(t, "f"), -1);
    /* The name is free for a correct column afterwards. */
    const char *const ok[] = {"b", "a"};
    const int32_t okc[] = {0, 1, 1};
    ck_assert_int_eq(wfs_table_add_categorical(t, "f", okc, ok, 2, &err), 0);
    ck_assert_uint_eq(wfs_table_ncols(t), 1);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_strings)
{
    wfs_table *t = new_table(7);
    const char *const s[] = {"Team manager",  NULL,   "Admin", "Social worker", "Admin",
                             "\xc3\x89quipe", "admin"};
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_table_add_strings(t, "role", s, &err), 0);
    static const char *const want[] = {"Admin", "Social worker", "Team manager", "admin",
                                       "\xc3\x89quipe"};
    ck_assert_uint_eq(wfs_table_nlevels(t, 0), 5);
    for (size_t k = 0; k < 5; k++) ck_assert_str_eq(wfs_table_level(t, 0, k), want[k]);
    const int32_t *c = wfs_table_codes(t, 0);
    ck_assert_int_eq(c[0], 2);
    ck_assert_int_eq(c[1], -1);
    ck_assert_int_eq(c[2], 0);
    ck_assert_int_eq(c[4], 0);
    ck_assert_int_eq(c[6], 3);
    ck_assert_uint_eq(wfs_table_nmissing(t, 0), 1);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_text_columns)
{
    wfs_table *t = new_table(3);
    char buf[3][16] = {"free", "", "text"};
    const char *const s[] = {buf[0], NULL, buf[2]};
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_table_add_text(t, "comment", s, &err), 0);
    strcpy(buf[0], "changed");
    ck_assert_int_eq(wfs_table_type(t, 0), WFS_TEXT);
    const char *const *v = wfs_table_text(t, 0);
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(v[0], "free");
    ck_assert_ptr_null(v[1]);
    ck_assert_str_eq(v[2], "text");
    ck_assert_uint_eq(wfs_table_nmissing(t, 0), 1);
    ck_assert(wfs_table_missing(t, 0)[1]);
    ck_assert_ptr_null(wfs_table_numeric(t, 0));
    ck_assert_ptr_null(wfs_table_codes(t, 0));
    /* Text cannot classify rows. */
    int32_t codes[3];
    char **levels = (char **)&levels;
    size_t nl = 99;
    ck_assert_int_eq(wfs_table_group_codes(codes, &levels, &nl, t, 0, &err), WFS_ETYPE);
    ck_assert_str_eq(err.message, "variable \"comment\" is free text and cannot classify rows");
    ck_assert_ptr_null(levels);
    ck_assert_uint_eq(nl, 0);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_column_names)
{
    wfs_table *t = new_table(2);
    const double x[] = {1, 2};
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_table_add_numeric(t, "x", x, NULL, &err), 0);
    /* Duplicate names are refused, for every kind of column. */
    ck_assert_int_eq(wfs_table_add_numeric(t, "x", x, NULL, &err), WFS_EINVAL);
    ck_assert_str_eq(err.message, "a column named \"x\" already exists");
    const char *const s[] = {"a", "b"};
    ck_assert_int_eq(wfs_table_add_strings(t, "x", s, &err), WFS_EINVAL);
    ck_assert_int_eq(wfs_table_add_text(t, "x", s, &err), WFS_EINVAL);
    const int32_t c[] = {0, 0};
    ck_assert_int_eq(wfs_table_add_categorical(t, "x", c, s, 2, &err), WFS_EINVAL);
    /* Empty and NULL names too. */
    ck_assert_int_eq(wfs_table_add_numeric(t, "", x, NULL, &err), WFS_EINVAL);
    ck_assert_str_eq(err.message, "a column needs a non-empty name");
    ck_assert_int_eq(wfs_table_add_numeric(t, NULL, x, NULL, &err), WFS_EINVAL);
    ck_assert_uint_eq(wfs_table_ncols(t), 1);
    /* Names are case-sensitive, and a failed add leaves no trace. */
    ck_assert_int_eq(wfs_table_add_numeric(t, "X", x, NULL, NULL), 0);
    ck_assert_int_eq(wfs_table_find(t, "X"), 1);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_many_columns)
{
    /* More columns than the first allocation holds. */
    wfs_table *t = new_table(1);
    for (int j = 0; j < 100; j++) {
        char name[16];
        double v = j;
        snprintf(name, sizeof name, "v%d", j);
        ck_assert_int_eq(wfs_table_add_numeric(t, name, &v, NULL, NULL), 0);
    }
    ck_assert_uint_eq(wfs_table_ncols(t), 100);
    ck_assert_int_eq(wfs_table_find(t, "v77"), 77);
    ck_assert_double_eq(wfs_table_numeric(t, 77)[0], 77);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_group_codes_categorical)
{
    wfs_table *t = new_table(4);
    const char *const s[] = {"b", NULL, "a", "b"};
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_table_add_strings(t, "g", s, &err), 0);
    int32_t codes[4];
    char **levels;
    size_t nl;
    ck_assert_int_eq(wfs_table_group_codes(codes, &levels, &nl, t, 0, &err), 0);
    ck_assert_uint_eq(nl, 2);
    ck_assert_str_eq(levels[0], "a");
    ck_assert_str_eq(levels[1], "b");
    ck_assert_int_eq(codes[0], 1);
    ck_assert_int_eq(codes[1], -1);
    ck_assert_int_eq(codes[2], 0);
    /* The levels are the caller's copies. */
    ck_assert_ptr_ne(levels[0], wfs_table_level(t, 0, 0));
    wfs_levels_free(levels, nl);
    wfs_levels_free(NULL, 0);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_group_codes_numeric)
{
    wfs_table *t = new_table(9);
    const double x[] = {2.5, 1, NAN, 10, -0.0, 0, 1, 0.1, -3};
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_table_add_numeric(t, "x", x, NULL, &err), 0);
    int32_t codes[9];
    char **levels;
    size_t nl;
    ck_assert_int_eq(wfs_table_group_codes(codes, &levels, &nl, t, 0, &err), 0);
    /* Distinct values in increasing order, -0 and 0 one level, labelled
     * by their shortest decimal form. */
    static const char *const want[] = {"-3", "0", "0.1", "1", "2.5", "10"};
    ck_assert_uint_eq(nl, 6);
    for (size_t k = 0; k < nl; k++) ck_assert_str_eq(levels[k], want[k]);
    static const int32_t wc[] = {4, 3, -1, 5, 1, 1, 3, 2, 0};
    for (size_t i = 0; i < 9; i++) ck_assert_int_eq(codes[i], wc[i]);
    wfs_levels_free(levels, nl);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_group_codes_numeric_many)
{
    /* Enough distinct values to grow the hash several times; every row's
     * code must name its own value and the levels must increase. */
    size_t n = 20000;
    double *x = malloc(n * sizeof *x);
    int32_t *codes = malloc(n * sizeof *codes);
    ck_assert(x && codes);
    uint64_t s = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        x[i] = (double)(s % 5000) / 8 - 300; /* repeats, exact in binary */
    }
    wfs_table *t = new_table(n);
    ck_assert_int_eq(wfs_table_add_numeric(t, "x", x, NULL, NULL), 0);
    char **levels;
    size_t nl;
    ck_assert_int_eq(wfs_table_group_codes(codes, &levels, &nl, t, 0, NULL), 0);
    ck_assert_uint_le(nl, 5000);
    for (size_t k = 1; k < nl; k++)
        ck_assert(strtod(levels[k - 1], NULL) < strtod(levels[k], NULL));
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_ge(codes[i], 0);
        ck_assert_double_eq(strtod(levels[codes[i]], NULL), x[i]);
    }
    wfs_levels_free(levels, nl);
    wfs_table_free(t);
    free(x);
    free(codes);
}
END_TEST

START_TEST(test_group_codes_all_missing)
{
    wfs_table *t = new_table(2);
    const double x[] = {NAN, NAN};
    ck_assert_int_eq(wfs_table_add_numeric(t, "x", x, NULL, NULL), 0);
    int32_t codes[2];
    char **levels;
    size_t nl = 9;
    ck_assert_int_eq(wfs_table_group_codes(codes, &levels, &nl, t, 0, NULL), 0);
    ck_assert_uint_eq(nl, 0);
    ck_assert_int_eq(codes[0], -1);
    ck_assert_int_eq(codes[1], -1);
    wfs_levels_free(levels, nl);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_errors_and_version)
{
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(err.code, 0);
    ck_assert_int_eq(err.position, -1);
    err.code = WFS_EIO;
    err.position = 4;
    strcpy(err.message, "x");
    wfs_error_clear(&err);
    ck_assert_int_eq(err.code, 0);
    ck_assert_int_eq(err.position, -1);
    ck_assert_str_eq(err.message, "");
    wfs_error_clear(NULL);
    /* Every code has its own description. */
    const int codes[] = {WFS_OK,        WFS_ENOMEM, WFS_EIO,     WFS_EPARSE,    WFS_EINVAL,
                         WFS_ENOTFOUND, WFS_ETYPE,  WFS_EDESIGN, WFS_ECONVERGE, WFS_EDOMAIN,
                         WFS_ELIMIT,    WFS_EINTR,  WFS_EEXIST};
    size_t n = sizeof codes / sizeof *codes;
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_ne(wfs_strerror(codes[i]), "unknown error");
        for (size_t k = 0; k < i; k++)
            ck_assert_str_ne(wfs_strerror(codes[i]), wfs_strerror(codes[k]));
    }
    ck_assert_str_eq(wfs_strerror(-99), "unknown error");
    ck_assert_str_eq(wfs_version(), PACKAGE_VERSION);
}
END_TEST

static Suite *table_suite(void)
{
    Suite *s = suite_create("table");
    TCase *tc = tcase_create("columns");
    tcase_add_test(tc, test_empty_table);
    tcase_add_test(tc, test_numeric_columns);
    tcase_add_test(tc, test_set_numeric);
    tcase_add_test(tc, test_categorical_sorted_and_recoded);
    tcase_add_test(tc, test_categorical_out_of_range_codes_missing);
    tcase_add_test(tc, test_categorical_duplicate_level_freed_once);
    tcase_add_test(tc, test_strings);
    tcase_add_test(tc, test_text_columns);
    tcase_add_test(tc, test_column_names);
    tcase_add_test(tc, test_many_columns);
    suite_add_tcase(s, tc);
    tc = tcase_create("groups");
    tcase_add_test(tc, test_group_codes_categorical);
    tcase_add_test(tc, test_group_codes_numeric);
    tcase_add_test(tc, test_group_codes_numeric_many);
    tcase_add_test(tc, test_group_codes_all_missing);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_test(tc, test_errors_and_version);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(table_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
