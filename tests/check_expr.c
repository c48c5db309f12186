/* check_expr.c - filter expressions for `if`: comparisons, logic with
 * missing values, in(...), missing(V), parse errors and their positions,
 * and the nesting and size limits.
 *
 * Expected selections are written out by hand from the data below; R's
 * subset() would select the same rows (a comparison with NA is not
 * selected, and logic follows Kleene's three-valued rules as R's & and |).
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wfstat.h"

/*  row   age   role    comment  flag  grade  sch.wide  my var
 *   0    25    SW      a        0     1      1         1
 *   1    40    TM      NA       1     10     0         2
 *   2    NA    NA      b        NA    2      1         3
 *   3    60    SW      a        2     NA     0         4
 *   4    33    Admin   c        0     1      1         5      */
static wfs_table *fixture(void)
{
    wfs_table *t = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_table_new(&t, 5, &err), 0);
    const double age[] = {25, 40, NAN, 60, 33};
    ck_assert_int_eq(wfs_table_add_numeric(t, "age", age, NULL, &err), 0);
    const char *const role[] = {"SW", "TM", NULL, "SW", "Admin"};
    ck_assert_int_eq(wfs_table_add_strings(t, "role", role, &err), 0);
    const char *const comment[] = {"a", NULL, "b", "a", "c"};
    ck_assert_int_eq(wfs_table_add_text(t, "comment", comment, &err), 0);
    const double flag[] = {0, 1, NAN, 2, 0};
    ck_assert_int_eq(wfs_table_add_numeric(t, "flag", flag, NULL, &err), 0);
    const char *const grade[] = {"1", "10", "2", NULL, "1"};
    ck_assert_int_eq(wfs_table_add_strings(t, "grade", grade, &err), 0);
    const double wide[] = {1, 0, 1, 0, 1};
    ck_assert_int_eq(wfs_table_add_numeric(t, "sch.wide", wide, NULL, &err), 0);
    const double mv[] = {1, 2, 3, 4, 5};
    ck_assert_int_eq(wfs_table_add_numeric(t, "my var", mv, NULL, &err), 0);
    return t;
}

/* Evaluate text and return the selection as a string of 0 and 1. */
static const char *select_rows(const wfs_table *t, const char *text)
{
    static char out[64];
    wfs_expr *e = NULL;
    wfs_error err = WFS_ERROR_INIT;
    int rc = wfs_expr_parse(&e, text, t, &err);
    ck_assert_msg(rc == 0, "parse of \"%s\" failed: %s", text, err.message);
    size_t n = wfs_table_nrows(t);
    uint8_t mask[64];
    memset(mask, 7, sizeof mask);
    ck_assert_int_eq(wfs_expr_eval(mask, e, t, &err), 0);
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(mask[i] == 0 || mask[i] == 1, "mask is not 0/1");
        out[i] = mask[i] ? '1' : '0';
    }
    out[n] = '\0';
    ck_assert_int_eq(mask[n], 7); /* nothing written past the rows */
    wfs_expr_free(e);
    return out;
}

#define SEL(text, want) ck_assert_str_eq(select_rows(t, text), want)

/* Parsing must fail with WFS_EPARSE at byte offset pos (or -1), with a
 * message containing part. */
static void parse_fails(const wfs_table *t, const char *text, long pos, const char *part)
{
    wfs_expr *e = (wfs_expr *)&e;
    wfs_error err = WFS_ERROR_INIT;
    int rc = wfs_expr_parse(&e, text, t, &err);
    ck_assert_msg(rc == WFS_EPARSE, "\"%s\" should not parse (rc %d)", text, rc);
    ck_assert_ptr_null(e);
    ck_assert_int_eq(err.code, WFS_EPARSE);
    ck_assert_msg(err.position == pos, "\"%s\": position %ld, want %ld (%s)", text, err.position,
                  pos, err.message);
    ck_assert_msg(strstr(err.message, part) != NULL, "\"%s\": message \"%s\" lacks \"%s\"", text,
                  err.message, part);
    if (pos >= 0) {
        char where[64];
        snprintf(where, sizeof where, "in the if expression at column %ld: ", pos + 1);
        ck_assert_msg(strncmp(err.message, where, strlen(where)) == 0, "\"%s\": %s", text,
                      err.message);
    }
}

/* ------------------------------------------------------------------ */

START_TEST(test_numeric_comparisons)
{
    wfs_table *t = fixture();
    SEL("age > 30", "01011");
    SEL("age >= 40", "01010");
    SEL("age < 40", "10001");
    SEL("age <= 33", "10001");
    SEL("age == 60", "00010");
    /* A comparison with a missing value is not true, whichever way. */
    SEL("age != 60", "11001");
    SEL("age <> 60", "11001");
    SEL("age > -1", "11011");
    SEL("age > -1e3", "11011");
    SEL("age < .5e2", "11001");
    SEL("age == 33.0", "00001");
    /* A quoted number compares as a number. */
    SEL("age == \"60\"", "00010");
    SEL("  age>30  ", "01011");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_level_comparisons)
{
    wfs_table *t = fixture();
    SEL("role == \"SW\"", "10010");
    SEL("role != \"SW\"", "01001");
    SEL("role == \"Admin\"", "00001");
    /* A number matches a level spelt as that number. */
    SEL("grade == 10", "01000");
    SEL("grade == \"1\"", "10001");
    SEL("grade != 1", "01100");
    /* Text columns compare as strings; missing text is unknown. */
    SEL("comment == \"a\"", "10010");
    SEL("comment != \"a\"", "00101");
    SEL("comment == \"zzz\"", "00000");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_in_lists)
{
    wfs_table *t = fixture();
    SEL("role in (\"SW\", \"Admin\")", "10011");
    SEL("role in (\"TM\")", "01000");
    SEL("age in (25, 60, 99)", "10010");
    SEL("age in (\"25\")", "10000");
    SEL("grade in (1, 2)", "10101");
    SEL("comment in (\"a\", \"c\")", "10011");
    SEL("not role in (\"SW\")", "01001");
    /* A long list grows its storage. */
    SEL("age in (1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,"
        "31,32,33)",
        "10001");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_logic)
{
    wfs_table *t = fixture();
    SEL("age > 30 and role == \"SW\"", "00010");
    SEL("age > 30 or role == \"SW\"", "11011");
    SEL("not age > 30", "10000");
    SEL("not not age > 30", "01011");
    SEL("not (age > 30 or role == \"SW\")", "00000");
    /* and binds tighter than or. */
    SEL("role == \"Admin\" or role == \"SW\" and age > 50", "00011");
    SEL("(role == \"Admin\" or role == \"SW\") and age > 50", "00010");
    /* C spellings. */
    SEL("age > 30 && !(role == \"SW\")", "01001");
    SEL("age < 30 || role == \"TM\"", "11000");
    SEL("age < 30 & flag == 0 | age > 59", "10010");
    wfs_table_free(t);
}
END_TEST

/* Kleene's logic, as R: unknown and false is false, unknown or true is
 * true, not unknown is unknown; only true selects a row. Row 2 has a
 * missing age and the comment "b". */
START_TEST(test_three_valued_logic)
{
    wfs_table *t = fixture();
    /* unknown and true = unknown: not selected. */
    SEL("age > 30 and comment == \"b\"", "00000");
    /* unknown or true = true. */
    SEL("age > 30 or comment == \"b\"", "01111");
    /* unknown and false = false, so its negation is true. */
    SEL("not (age > 30 and comment == \"a\")", "10101");
    /* unknown or false = unknown, and so is its negation. */
    SEL("not (age > 30 or comment == \"a\")", "00000");
    /* A condition or its negation is not always true when values are
     * missing. */
    SEL("age > 100 or not age > 100", "11011");
    SEL("age > 30 or missing(age)", "01111");
    SEL("age > 30 and missing(age)", "00000");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_missing_and_bare_variables)
{
    wfs_table *t = fixture();
    SEL("missing(age)", "00100");
    SEL("missing(role)", "00100");
    SEL("missing(comment)", "01000");
    SEL("missing(grade)", "00010");
    SEL("missing(sch.wide)", "00000");
    SEL("not missing(age)", "11011");
    SEL("missing ( age )", "00100");
    /* A bare numeric variable is true when nonzero, unknown when missing. */
    SEL("flag", "01010");
    SEL("not flag", "10001");
    SEL("sch.wide", "10101");
    SEL("sch.wide == 0", "01010");
    SEL("`my var` >= 4", "00011");
    SEL("`age` > 50", "00010");
    wfs_table_free(t);
}
END_TEST

/* A variable may be called "missing": missing(...) is the function,
 * anything else compares the variable. */
START_TEST(test_variable_called_missing)
{
    wfs_table *t = NULL;
    ck_assert_int_eq(wfs_table_new(&t, 3, NULL), 0);
    const double m[] = {1, 2, NAN};
    ck_assert_int_eq(wfs_table_add_numeric(t, "missing", m, NULL, NULL), 0);
    SEL("missing > 1", "010");
    SEL("missing", "110");
    SEL("missing(missing)", "001");
    SEL("missing in (1)", "100");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_escaped_quotes_in_levels)
{
    wfs_table *t = NULL;
    ck_assert_int_eq(wfs_table_new(&t, 3, NULL), 0);
    const char *const v[] = {"say \"hi\"", "back\\slash", "plain"};
    ck_assert_int_eq(wfs_table_add_strings(t, "v", v, NULL), 0);
    SEL("v == \"say \\\"hi\\\"\"", "100");
    SEL("v == \"back\\\\slash\"", "010");
    wfs_table_free(t);
}
END_TEST

START_TEST(test_many_rows)
{
    /* More rows than one evaluation block (4096), and a block boundary in
     * the middle of a pattern. */
    size_t n = 10007;
    double *x = malloc(n * sizeof *x);
    const char **s = malloc(n * sizeof *s);
    uint8_t *mask = malloc(n);
    ck_assert(x && s && mask);
    static const char *const lv[] = {"a", "b", "c"};
    for (size_t i = 0; i < n; i++) {
        x[i] = i % 11 == 0 ? NAN : (double)(i % 7);
        s[i] = i % 13 == 0 ? NULL : lv[i % 3];
    }
    wfs_table *t = NULL;
    ck_assert_int_eq(wfs_table_new(&t, n, NULL), 0);
    ck_assert_int_eq(wfs_table_add_numeric(t, "x", x, NULL, NULL), 0);
    ck_assert_int_eq(wfs_table_add_strings(t, "s", s, NULL), 0);
    wfs_expr *e;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(
        wfs_expr_parse(&e, "(x >= 3 and s != \"b\") or not (x < 5 or missing(s))", t, &err), 0);
    ck_assert_int_eq(wfs_expr_eval(mask, e, t, &err), 0);
    for (size_t i = 0; i < n; i++) {
        /* Kleene logic by hand: 0 false, 1 true, 2 unknown. */
        int xm = i % 11 == 0, sm = i % 13 == 0;
        int a = xm ? 2 : x[i] >= 3;
        int b = sm ? 2 : s[i][0] != 'b';
        int ab = (a == 0 || b == 0) ? 0 : (a == 1 && b == 1) ? 1 : 2;
        int c = xm ? 2 : x[i] < 5;
        int d = sm; /* missing(s) is never unknown */
        int cd = (c == 1 || d == 1) ? 1 : (c == 0 && d == 0) ? 0 : 2;
        int ncd = cd == 2 ? 2 : !cd;
        int r = (ab == 1 || ncd == 1) ? 1 : 0;
        ck_assert_msg(mask[i] == r, "row %zu: got %d, want %d", i, mask[i], r);
    }
    wfs_expr_free(e);
    wfs_expr_free(NULL);
    wfs_table_free(t);
    free(x);
    free(s);
    free(mask);
}
END_TEST

START_TEST(test_empty_table)
{
    wfs_table *t = NULL;
    ck_assert_int_eq(wfs_table_new(&t, 0, NULL), 0);
    ck_assert_int_eq(wfs_table_add_numeric(t, "x", NULL, NULL, NULL), 0);
    wfs_expr *e;
    ck_assert_int_eq(wfs_expr_parse(&e, "x > 1", t, NULL), 0);
    uint8_t mask[1] = {9};
    ck_assert_int_eq(wfs_expr_eval(mask, e, t, NULL), 0);
    ck_assert_int_eq(mask[0], 9);
    wfs_expr_free(e);
    wfs_table_free(t);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Parse errors                                                        */
/* ------------------------------------------------------------------ */

START_TEST(test_parse_errors)
{
    wfs_table *t = fixture();
    parse_fails(t, "", -1, "the if clause is empty");
    parse_fails(t, "   ", -1, "the if clause is empty");
    parse_fails(t, "age >", 5, "expected a number or a quoted level");
    parse_fails(t, "agee > 3", 0, "unknown variable \"agee\" (did you mean age?)");
    parse_fails(t, "xyzzy > 3", 0, "unknown variable \"xyzzy\"");
    parse_fails(t, "age > 3 and rol == \"SW\"", 12,
                "unknown variable \"rol\" (did you mean role?)");
    parse_fails(t, "role == \"sw\"", 8, "\"sw\" is not a level of role (did you mean SW?)");
    parse_fails(t, "role == \"Manager\"", 8,
                "\"Manager\" is not a level of role (its levels are Admin, SW and TM)");
    parse_fails(t, "role in (\"SW\", \"XX\")", 15, "\"XX\" is not a level of role");
    parse_fails(t, "grade == 3", 9, "\"3\" is not a level of grade");
    parse_fails(t, "role > \"SW\"", 5, "role is categorical: only == and != (or in) apply to it");
    parse_fails(t, "comment >= \"a\"", 8, "comment is text: only == and != (or in) apply to it");
    parse_fails(t, "role", 0,
                "role is categorical: compare it with a level, e.g. role == \"Admin\"");
    parse_fails(t, "age > 3 role == \"SW\"", 8,
                "unexpected \"role\" (join conditions with and/or)");
    parse_fails(t, "age > 3)", 7, "unexpected \")\"");
    parse_fails(t, "(age > 3", 8, "expected )");
    parse_fails(t, "((age > 3) or (age < 2)", 23, "expected )");
    parse_fails(t, "age in (1, 2", 12, "expected , or ) in the list after in");
    parse_fails(t, "age in 1", 7, "expected ( after in");
    parse_fails(t, "age in ()", 8, "expected a number or a quoted level");
    parse_fails(t, "role == SW", 8,
                "expected a number or a quoted level, found the name \"SW\" (put levels in "
                "double quotes)");
    parse_fails(t, "age == \"abc\"", 7, "age is numeric: compare it with a number, not \"abc\"");
    parse_fails(t, "age in (1, \"x\")", 11, "age is numeric: compare it with numbers, not \"x\"");
    parse_fails(t, "age > 1x", 6, "\"1x\" is not a number");
    parse_fails(t, "age > 1e999", 6, "the number is too large");
    parse_fails(t, "role == \"SW", 8, "a quoted string is not closed");
    parse_fails(t, "`age > 3", 0, "a backtick name is not closed");
    parse_fails(t, "age > 3 @ 4", 8, "unexpected character '@'");
    parse_fails(t, "age > 3 and \x01", 12, "unexpected character '?'");
    parse_fails(t, "missing(nosuch)", 8, "unknown variable \"nosuch\"");
    parse_fails(t, "missing(age", 11, "expected ) after the variable in missing(");
    parse_fails(t, "missing()", 8, "missing( needs a variable name");
    parse_fails(t, "3 > age", 0, "a comparison starts with a variable name, e.g. age >= 50");
    parse_fails(t, "\"SW\" == role", 0, "a comparison starts with a variable name");
    parse_fails(t, "not", 3, "the expression ends too early");
    parse_fails(t, "age > 3 and", 11, "the expression ends too early");
    parse_fails(t, "age > 3 or (", 12, "the expression ends too early");
    parse_fails(t, "== 3", 0, "expected a variable name");
    wfs_table_free(t);
}
END_TEST

/* A token the lexer rejected used to have its explanation replaced by the
 * parser's generic complaint about the same token ("unexpected \"=\""). */
START_TEST(test_first_error_reported)
{
    wfs_table *t = fixture();
    parse_fails(t, "age = 3", 4, "use == to compare (a single = sets an option)");
    parse_fails(t, "(age > 3 @", 9, "unexpected character '@'");
    parse_fails(t, "age in (1 @)", 10, "unexpected character '@'");
    parse_fails(t, "age in @", 7, "unexpected character '@'");
    parse_fails(t, "missing(@)", 8, "unexpected character '@'");
    parse_fails(t, "age > 3 and role == \"SW", 20, "a quoted string is not closed");
    wfs_table_free(t);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Limits                                                              */
/* ------------------------------------------------------------------ */

static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
    size_t len = strlen(head) + strlen(unit) * n + strlen(tail) + 1;
    char *s = malloc(len);
    ck_assert_ptr_nonnull(s);
    strcpy(s, head);
    for (size_t i = 0; i < n; i++) strcat(s, unit);
    strcat(s, tail);
    return s;
}

START_TEST(test_depth_limit)
{
    wfs_table *t = fixture();
    /* 200 levels of parentheses parse; 201 are refused at the 201st. */
    char *open = repeat("", "(", 200, "age > 30");
    char *ok = repeat(open, ")", 200, "");
    SEL(ok, "01011");
    free(ok);
    free(open);
    open = repeat("", "(", 201, "age > 30");
    char *deep = repeat(open, ")", 201, "");
    parse_fails(t, deep, 200, "the expression is nested more than 200 levels deep");
    free(deep);
    free(open);
    /* The same for not. */
    char *nots = repeat("", "not ", 200, "age > 30");
    SEL(nots, "01011"); /* an even number of nots */
    free(nots);
    nots = repeat("", "not ", 201, "age > 30");
    parse_fails(t, nots, 800, "nested more than 200 levels deep");
    free(nots);
    /* Far deeper than the limit: an error, never a stack overflow. */
    open = repeat("", "(", 100000, "");
    parse_fails(t, open, 200, "nested more than 200 levels deep");
    free(open);
    nots = repeat("", "!", 100000, "flag");
    parse_fails(t, nots, 200, "nested more than 200 levels deep");
    free(nots);
    wfs_table_free(t);
}
END_TEST

START_TEST(test_node_limit)
{
    wfs_table *t = fixture();
    /* 1000 comparisons joined by 999 ors are 1999 terms: allowed, and
     * evaluated through a chain 1000 deep. */
    char *chain = repeat("age == 1", " or age == 1", 998, " or age == 60");
    SEL(chain, "00010");
    free(chain);
    chain = repeat("age == 1", " and age == 1", 999, "");
    SEL(chain, "00000");
    free(chain);
    /* One more comparison and one more or: 2001 terms. */
    chain = repeat("age == 1", " or age == 1", 1000, "");
    wfs_expr *e = (wfs_expr *)&e;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_expr_parse(&e, chain, t, &err), WFS_EPARSE);
    ck_assert_ptr_null(e);
    ck_assert_ptr_nonnull(strstr(err.message, "the expression has more than 2000 terms"));
    ck_assert_int_ge(err.position, 0);
    free(chain);
    /* A long in-list is one term. */
    chain = repeat("age in (0", ",1", 5000, ",60)");
    SEL(chain, "00010");
    free(chain);
    wfs_table_free(t);
}
END_TEST

static Suite *expr_suite(void)
{
    Suite *s = suite_create("expr");
    TCase *tc = tcase_create("evaluate");
    tcase_add_test(tc, test_numeric_comparisons);
    tcase_add_test(tc, test_level_comparisons);
    tcase_add_test(tc, test_in_lists);
    tcase_add_test(tc, test_logic);
    tcase_add_test(tc, test_three_valued_logic);
    tcase_add_test(tc, test_missing_and_bare_variables);
    tcase_add_test(tc, test_variable_called_missing);
    tcase_add_test(tc, test_escaped_quotes_in_levels);
    tcase_add_test(tc, test_many_rows);
    tcase_add_test(tc, test_empty_table);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_test(tc, test_parse_errors);
    tcase_add_test(tc, test_first_error_reported);
    suite_add_tcase(s, tc);
    tc = tcase_create("limits");
    tcase_add_test(tc, test_depth_limit);
    tcase_add_test(tc, test_node_limit);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(expr_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
