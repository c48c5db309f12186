/* check_complete.c - tab completion of the shell, without a terminal.
 *
 * cli_complete() is a pure function of (text, cursor, session); these
 * tests load tests/data/shell.csv into a session and check the candidates
 * offered at each kind of position. A '|' in a test line marks the cursor
 * (at the end when absent).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static session S;
static char tmpdir[256];
static char olddir[4096];

static void load_into(session *s, const char *cmd)
{
    ck_assert_msg(session_exec(s, cmd) == 0, "%s failed", cmd);
}

static void setup(void)
{
    session_init(&S);
    S.out = fopen("/dev/null", "w");
    ck_assert_ptr_nonnull(S.out);
    load_into(&S, "load \"" TOP_SRCDIR "/tests/data/shell.csv\"");
}

static void teardown(void)
{
    fclose(S.out);
    S.out = stdout;
    session_free(&S);
}

/* Complete line (cursor at '|' or the end). */
static cli_completion comp(const session *s, const char *line)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", line);
    char *bar = strchr(buf, '|');
    /* A '|' inside the if-expression operators would be ambiguous; the
     * tests use it only as the cursor. */
    size_t cursor = strlen(buf);
    if (bar) {
        cursor = (size_t)(bar - buf);
        memmove(bar, bar + 1, strlen(bar));
    }
    cli_completion c;
    ck_assert_int_eq(cli_complete(&c, s, buf, cursor), 0);
    return c;
}

static int has(const cli_completion *c, const char *item)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->items[i], item) == 0) return 1;
    return 0;
}

static char *joined(const cli_completion *c)
{
    static char buf[4096];
    buf[0] = '\0';
    for (size_t i = 0; i < c->n; i++) {
        if (i) strncat(buf, " ", sizeof buf - strlen(buf) - 1);
        strncat(buf, c->items[i], sizeof buf - strlen(buf) - 1);
    }
    return buf;
}

/* The candidates, space-separated, must be exactly `want`. */
#define EXPECT(line, want)                                                                         \
    do {                                                                                           \
        cli_completion c_ = comp(&S, line);                                                        \
        ck_assert_str_eq(joined(&c_), want);                                                       \
        cli_completion_free(&c_);                                                                  \
    } while (0)

#define EXPECT_HAS(line, item)                                                                     \
    do {                                                                                           \
        cli_completion c_ = comp(&S, line);                                                        \
        ck_assert_msg(has(&c_, item), "%s: \"%s\" not among: %s", line, item, joined(&c_));        \
        cli_completion_free(&c_);                                                                  \
    } while (0)

#define EXPECT_NOT(line, item)                                                                     \
    do {                                                                                           \
        cli_completion c_ = comp(&S, line);                                                        \
        ck_assert_msg(!has(&c_, item), "%s: \"%s\" should not be among: %s", line, item,           \
                      joined(&c_));                                                                \
        cli_completion_free(&c_);                                                                  \
    } while (0)

START_TEST(command_names)
{
    cli_completion c = comp(&S, "he");
    ck_assert_uint_eq(c.start, 0);
    ck_assert_str_eq(joined(&c), "help");
    cli_completion_free(&c);
    EXPECT("ti", "title");
    EXPECT("qu", "quantile quit");
    c = comp(&S, "");
    ck_assert_uint_eq(c.n, cli_ncommands);
    cli_completion_free(&c);
    /* After a ';' a new command starts. */
    EXPECT("describe; he", "help");
    EXPECT("  de", "decompose describe design");
}
END_TEST

START_TEST(variables_after_command)
{
    cli_completion c = comp(&S, "mean api");
    ck_assert_uint_eq(c.start, 5);
    ck_assert_str_eq(joined(&c), "api.stu api00 api99");
    cli_completion_free(&c);
    EXPECT("mean api00 api9", "api99");
    EXPECT("describe ro", "role");
    EXPECT("ratio api00 / api9", "api99");
    /* Unknown case falls back to case-insensitive matching. */
    EXPECT("mean API0", "api00");
    /* The cursor in the middle of a line. */
    EXPECT("mean api0| by stype", "api00");
}
END_TEST

START_TEST(variables_after_by)
{
    EXPECT("mean api00 by st", "stype");
    EXPECT("mean api00 by stype,r", "role");
    EXPECT("prop training by stype*ro", "role");
    /* After a complete by list: clauses and options, not variables. */
    EXPECT_HAS("mean api00 by stype ", "if");
    EXPECT_HAS("mean api00 by stype ", "deff");
    EXPECT_HAS("mean api00 by stype ", "ci=");
    EXPECT_NOT("mean api00 by stype ", "by");
    EXPECT_NOT("mean api00 by stype ", "role");
}
END_TEST

START_TEST(options_and_values)
{
    EXPECT("mean api00 ci=", "asin beta likelihood logit mean wald wilson xlogit");
    EXPECT("mean api00 ci=x", "xlogit");
    EXPECT("mean api00 de", "deff deff=");
    EXPECT("mean api00 deff=", "no replace");
    EXPECT("mean api00 le", "level=");
    EXPECT("quantile api00 qrule=", "hf7 math school");
    /* Options already given are not offered again. */
    EXPECT_NOT("mean api00 level=0.9 ", "level=");
    EXPECT_HAS("mean api00 level=0.9 ", "df=");
    /* A number or a value with no list: nothing to offer. */
    EXPECT("mean api00 level=", "");
    EXPECT("mean api00 level=0.9", "");
}
END_TEST

START_TEST(design_options_take_variables)
{
    EXPECT("design ", "cluster= df= equal fpc= lonely= mse repweights= rho= rscales= scale= srs "
                      "strata= type= weight=");
    EXPECT("design repweights=p", "pw");
    EXPECT("design type=j", "jk1 jkn");
    EXPECT("replicate ", "bootstrap brr fay jk1 jkn");
    EXPECT("replicate jk1 ", "mse reps= rho= seed=");
    EXPECT("design weight=p", "pw");
    EXPECT("design weight=pw strata=st", "stype");
    EXPECT("design cluster=id,", "api.stu api00 api99 caseload fpc id pw role stype training");
    EXPECT("design fpc=f", "fpc");
    EXPECT("design lonely=a", "adjust average");
}
END_TEST

START_TEST(levels_in_if)
{
    cli_completion c = comp(&S, "mean api00 if role == ");
    ck_assert_str_eq(joined(&c), "\"Occupational therapist\" \"Social worker\" \"Support worker\" "
                                 "\"Team manager\"");
    cli_completion_free(&c);
    c = comp(&S, "mean api00 if role == \"Te");
    ck_assert_uint_eq(c.start, strlen("mean api00 if role == \""));
    ck_assert_str_eq(joined(&c), "Team manager\"");
    cli_completion_free(&c);
    EXPECT("mean api00 if role != So", "\"Social worker\"");
    EXPECT("mean api00 if stype == \"", "E\" H\" M\"");
    EXPECT("mean api00 if role in (\"Social worker\", \"T", "Team manager\"");
    EXPECT("mean api00 if training in (", "\"Fully met\" \"Not met\" \"Partly met\"");
    /* A numeric variable has no levels to offer. */
    EXPECT("mean api00 if api99 == ", "");
}
END_TEST

START_TEST(if_expressions)
{
    EXPECT("mean api00 if ap", "api.stu api00 api99");
    EXPECT("mean api00 if api00 > 600 and ro", "role");
    EXPECT("mean api00 if not ty", "");
    EXPECT("mean api00 if missing(ca", "caseload");
    EXPECT("mean api00 if api00 > 600 a", "and");
    EXPECT_HAS("mean api00 if api00 > 600 ", "or");
    EXPECT_HAS("mean api00 if api00 > 600 ", "by");
    EXPECT_HAS("mean api00 if api00 > 600 ", "ci=");
    EXPECT_HAS("mean api00 if role ", "in");
    EXPECT_HAS("mean api00 if (", "not");
    /* The expression ends at an option. */
    EXPECT("mean api00 if api00 > 600 ci=l", "likelihood logit");
    EXPECT("mean api00 if api00 > 600 by st", "stype");
}
END_TEST

START_TEST(nothing_to_complete)
{
    EXPECT("mean api00 # ap", "");
    EXPECT("mean api00 level=0.9", "");
    EXPECT("load \"x.csv\"", "");
    EXPECT("frobnicate ", "");
    EXPECT("quit ", "");
    EXPECT("load \"x.csv\" as ", "");
    /* Without a dataset there are no variables. */
    session s;
    session_init(&s);
    cli_completion c = comp(&s, "mean a");
    ck_assert_uint_eq(c.n, 0);
    cli_completion_free(&c);
    c = comp(&s, "use ");
    ck_assert_uint_eq(c.n, 0);
    cli_completion_free(&c);
    session_free(&s);
}
END_TEST

START_TEST(datasets_settings_help)
{
    load_into(&S, "load \"" TOP_SRCDIR "/tests/data/shell.csv\" as other");
    EXPECT("use ", "other shell");
    EXPECT("use s", "shell");
    EXPECT("use shell ", "");
    EXPECT_HAS("set ", "format=");
    EXPECT_HAS("set ", "lonely=");
    EXPECT("set format=", "csv json markdown text");
    EXPECT("set format=json dig", "digits=");
    EXPECT_HAS("help ", "mean");
    EXPECT_HAS("help ", "shell");
    EXPECT("help sy", "syntax");
    EXPECT("help mean ", "");
}
END_TEST

static void make_tree(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/complete.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    ck_assert_ptr_nonnull(getcwd(olddir, sizeof olddir));
    ck_assert_int_eq(chdir(tmpdir), 0);
    FILE *f;
    f = fopen("a.csv", "w");
    fputs("x,pay band\n1,2\n", f);
    fclose(f);
    f = fopen("b.txt", "w");
    fclose(f);
    f = fopen(".hidden.csv", "w");
    fclose(f);
    ck_assert_int_eq(mkdir("sub", 0700), 0);
    f = fopen("sub/in sub.csv", "w");
    fclose(f);
}

static void remove_tree(void)
{
    unlink("a.csv");
    unlink("b.txt");
    unlink(".hidden.csv");
    unlink("sub/in sub.csv");
    rmdir("sub");
    ck_assert_int_eq(chdir(olddir), 0);
    rmdir(tmpdir);
}

START_TEST(file_names)
{
    make_tree();
    cli_completion c = comp(&S, "load \"");
    ck_assert_str_eq(joined(&c), "a.csv\" sub/");
    ck_assert_int_eq(c.files, 1);
    ck_assert_uint_eq(c.start, 6);
    cli_completion_free(&c);
    /* No file with the synopsis's extension: every file is offered. */
    EXPECT("load \"b", "b.txt\"");
    EXPECT("run \"", "a.csv\" b.txt\" sub/");
    EXPECT("load \"sub/", "sub/in sub.csv\"");
    EXPECT("load \".", ".hidden.csv\"");
    /* Outside quotes the quote is supplied. */
    EXPECT_HAS("load ", "\"a.csv\"");
    EXPECT_HAS("load ", "\"sub/");
    EXPECT_HAS("load ", "delim=");
    EXPECT("load a", "\"a.csv\" as=");
    EXPECT("load \"a.csv\"; load \"s", "sub/");
    /* Names that need backticks. */
    load_into(&S, "load \"a.csv\"");
    EXPECT("describe pa", "`pay band`");
    EXPECT("describe `pa", "pay band`");
    EXPECT("describe `", "pay band` x`");
    remove_tree();
}
END_TEST

START_TEST(spacing)
{
    ck_assert_int_eq(cli_completion_wants_space("ci="), 0);
    ck_assert_int_eq(cli_completion_wants_space("sub/"), 0);
    ck_assert_int_eq(cli_completion_wants_space("missing("), 0);
    ck_assert_int_eq(cli_completion_wants_space("api00"), 1);
    ck_assert_int_eq(cli_completion_wants_space("\"Team manager\""), 1);
}
END_TEST

/* Every command of the table completes its option keys after its example,
 * so a command added to the table is completed with no other change. */
START_TEST(every_command_completes_its_options)
{
    for (size_t i = 0; i < cli_ncommands; i++) {
        const cli_command *cmd = &cli_commands[i];
        char line[1024];
        snprintf(line, sizeof line, "%s ", cmd->example);
        cli_completion c = comp(&S, line);
        for (const cli_option *o = cmd->options; o && o->name; o++) {
            char key[128];
            snprintf(key, sizeof key, "%s%s", o->name, o->kind == OPT_FLAG ? "" : "=");
            char word[130];
            snprintf(word, sizeof word, " %s", o->name);
            if (strstr(line, word)) continue; /* given in the example */
            ck_assert_msg(has(&c, key), "%s: %s not offered (got %s)", line, key, joined(&c));
        }
        cli_completion_free(&c);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("complete");
    TCase *tc = tcase_create("complete");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, command_names);
    tcase_add_test(tc, variables_after_command);
    tcase_add_test(tc, variables_after_by);
    tcase_add_test(tc, options_and_values);
    tcase_add_test(tc, design_options_take_variables);
    tcase_add_test(tc, levels_in_if);
    tcase_add_test(tc, if_expressions);
    tcase_add_test(tc, nothing_to_complete);
    tcase_add_test(tc, datasets_settings_help);
    tcase_add_test(tc, file_names);
    tcase_add_test(tc, spacing);
    tcase_add_test(tc, every_command_completes_its_options);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
