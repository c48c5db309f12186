/* check_commands.c - the command table and the session around it.
 *
 * Every command in the table has its help, example and equivalents; its
 * example parses; its options are well formed; help and the man page are
 * generated from it. Also: the journal adds the values a command chose
 * itself (seeds), and a Ctrl-C (session->interrupt) stops the library's
 * work and the rest of a script.
 */
#include "config.h"

#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static int nonempty(const char *s)
{
    return s && *s;
}

START_TEST(every_command_has_help)
{
    for (size_t i = 0; i < cli_ncommands; i++) {
        const cli_command *c = &cli_commands[i];
        ck_assert_msg(nonempty(c->name), "command %zu has no name", i);
        for (const char *p = c->name; *p; p++)
            ck_assert_msg(islower((unsigned char)*p), "%s: command names are lower-case words",
                          c->name);
        for (size_t k = 0; k < i; k++)
            ck_assert_msg(strcmp(cli_commands[k].name, c->name) != 0, "%s is in the table twice",
                          c->name);
        ck_assert_ptr_nonnull(c->fn);
        ck_assert_msg(nonempty(c->topic), "%s has no topic", c->name);
        ck_assert_msg(nonempty(c->synopsis), "%s has no synopsis", c->name);
        size_t n = strlen(c->name);
        ck_assert_msg(strncmp(c->synopsis, c->name, n) == 0 &&
                          (c->synopsis[n] == ' ' || c->synopsis[n] == '\0'),
                      "the synopsis of %s does not start with its name", c->name);
        ck_assert_msg(nonempty(c->summary), "%s has no summary", c->name);
        ck_assert_msg(nonempty(c->help), "%s has no help", c->name);
        ck_assert_msg(nonempty(c->example), "%s has no example", c->name);
        ck_assert_msg(nonempty(c->r_equiv), "%s has no R equivalent", c->name);
        ck_assert_msg(nonempty(c->stata_equiv), "%s has no Stata equivalent", c->name);
        ck_assert_msg(c->complete >= COMPLETE_NONE && c->complete <= COMPLETE_SETTINGS,
                      "%s has an unknown completion kind", c->name);
    }
}
END_TEST

START_TEST(options_are_well_formed)
{
    for (size_t i = 0; i < cli_ncommands; i++) {
        const cli_command *c = &cli_commands[i];
        for (const cli_option *o = c->options; o && o->name; o++) {
            ck_assert_msg(nonempty(o->name), "%s: an option without a name", c->name);
            ck_assert_msg(o->kind >= OPT_FLAG && o->kind <= OPT_FLAG_OR_VALUE, "%s %s: bad kind",
                          c->name, o->name);
            ck_assert_msg(nonempty(o->help), "%s %s= has no help", c->name, o->name);
            for (const cli_option *q = c->options; q != o; q++)
                ck_assert_msg(strcmp(q->name, o->name) != 0, "%s: %s twice", c->name, o->name);
            if (o->values) {
                ck_assert_msg(*o->values && o->values[strlen(o->values) - 1] != '|' &&
                                  o->values[0] != '|' && !strstr(o->values, "||") &&
                                  !strchr(o->values, ' '),
                              "%s %s=: values \"%s\" are not a|b|c", c->name, o->name, o->values);
                ck_assert_msg(o->kind & OPT_VALUE, "%s %s: a flag with values", c->name, o->name);
            }
        }
    }
}
END_TEST

START_TEST(every_example_parses)
{
    for (size_t i = 0; i < cli_ncommands; i++) {
        const cli_command *c = &cli_commands[i];
        cmdline cl;
        char msg[1024];
        long pos;
        ck_assert_msg(cli_parse(&cl, c->example, msg, sizeof msg, &pos) == 0,
                      "the example of %s does not parse: %s", c->name, msg);
        ck_assert_ptr_nonnull(cl.name);
        ck_assert_msg(cli_find_command(cl.name->text) == c, "the example of %s runs %s", c->name,
                      cl.name->text);
        ck_assert_msg(cli_classify(&cl, c, msg, sizeof msg, &pos) == 0, "the example of %s: %s",
                      c->name, msg);
        cli_cmdline_free(&cl);
    }
}
END_TEST

START_TEST(help_comes_from_the_table)
{
    char *all = cli_help_text(NULL);
    ck_assert_ptr_nonnull(all);
    for (size_t i = 0; i < cli_ncommands; i++) {
        const cli_command *c = &cli_commands[i];
        char line[256];
        snprintf(line, sizeof line, "  %-12s %s\n", c->name, c->summary);
        ck_assert_msg(strstr(all, line) != NULL, "help does not list %s", c->name);
        char *one = cli_help_text(c->name);
        ck_assert_ptr_nonnull(one);
        ck_assert_msg(strncmp(one, c->synopsis, strlen(c->synopsis)) == 0, "help %s", c->name);
        ck_assert_ptr_nonnull(strstr(one, c->example));
        ck_assert_ptr_nonnull(strstr(one, c->r_equiv));
        ck_assert_ptr_nonnull(strstr(one, c->stata_equiv));
        for (const cli_option *o = c->options; o && o->name; o++) {
            char key[128];
            snprintf(key, sizeof key, "  %s", o->name);
            ck_assert_msg(strstr(one, key) != NULL, "help %s does not explain %s", c->name,
                          o->name);
        }
        free(one);
    }
    free(all);
    for (const char *const *t = cli_help_topics; *t; t++) {
        char *text = cli_help_text(*t);
        ck_assert_ptr_nonnull(text);
        ck_assert_ptr_null(cli_find_command(*t));
        free(text);
    }
    ck_assert_ptr_null(cli_help_text("nosuchcommand"));
    /* The man page's section: one entry per command. */
    char *man = cli_man_commands();
    size_t entries = 0;
    for (const char *p = man; (p = strstr(p, ".TP\n.B ")); p++) entries++;
    ck_assert_uint_eq(entries, cli_ncommands);
    free(man);
}
END_TEST

START_TEST(suggestions)
{
    ck_assert_str_eq(cli_suggest_command("mena"), "mean");
    ck_assert_str_eq(cli_suggest_command("hlep"), "help");
    ck_assert_str_eq(cli_suggest_command("desc"), "describe");
    ck_assert_ptr_null(cli_suggest_command("zzzzzzzz"));
}
END_TEST

/* ------------------------------------------------------------------ */

static session S;

static void quiet_session(void)
{
    session_init(&S);
    S.out = fopen("/dev/null", "w");
    ck_assert_ptr_nonnull(S.out);
}

static void end_session(void)
{
    fclose(S.out);
    S.out = stdout;
    session_free(&S);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* A command that chose a seed itself records it, unless it was given. */
START_TEST(journal_records_chosen_seeds)
{
    char dir[256], path[300], cmd[400];
    snprintf(dir, sizeof dir, "%s/journal.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/j.wfs", dir);
    quiet_session();
    snprintf(cmd, sizeof cmd, "log \"%s\"", path);
    ck_assert_int_eq(session_exec(&S, cmd), 0);
    cli_journal_begin(&S);
    cli_journal_option(&S, "seed", "20240611");
    cli_journal_end(&S, "replicate bootstrap reps=50", 0, 1);
    cli_journal_begin(&S);
    cli_journal_option(&S, "seed", "99");
    cli_journal_end(&S, "replicate bootstrap seed=7", 0, 1);
    cli_journal_begin(&S);
    cli_journal_option(&S, "seed", "5");
    cli_journal_end(&S, "replicate bootstrap", 1, 1);
    end_session();
    const char *j = slurp(path);
    ck_assert_ptr_nonnull(strstr(j, "\nreplicate bootstrap reps=50 seed=20240611\n"));
    ck_assert_ptr_nonnull(strstr(j, "\nreplicate bootstrap seed=7\n"));
    ck_assert_ptr_nonnull(strstr(j, "\n# failed: replicate bootstrap\n"));
    ck_assert_ptr_nonnull(strstr(j, "\n# log \""));
    unlink(path);
    rmdir(dir);
}
END_TEST

/* The handlers hand session->interrupt to the library, which stops; a
 * script stops after the command that saw it. */
START_TEST(interrupt_stops_the_library)
{
    quiet_session();
    ck_assert_int_eq(session_exec(&S, "load \"" TOP_SRCDIR "/tests/data/shell.csv\""), 0);
    ck_assert_int_eq(session_exec(&S, "design weight=pw strata=stype fpc=fpc"), 0);
    ck_assert_int_eq(session_exec(&S, "mean api00 by role"), 0);
    S.interrupt = 1;
    FILE *err = freopen("/dev/null", "w", stderr);
    ck_assert_ptr_nonnull(err);
    /* (The estimators poll every few million rows; loading polls at once.) */
    ck_assert_int_eq(session_exec(&S, "load \"" TOP_SRCDIR "/tests/data/shell.csv\" as again"), 1);
    ck_assert_ptr_null(cli_find_dataset(&S, "again"));
    /* A script stops after the command that saw the interrupt. */
    ck_assert_int_eq(session_run_text(&S, "describe id\ndescribe api00\n", "script"), 1);
    S.interrupt = 0;
    ck_assert_int_eq(session_exec(&S, "mean api00 by role"), 0);
    end_session();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("commands");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, every_command_has_help);
    tcase_add_test(tc, options_are_well_formed);
    tcase_add_test(tc, every_example_parses);
    tcase_add_test(tc, help_comes_from_the_table);
    tcase_add_test(tc, suggestions);
    suite_add_tcase(s, tc);
    tc = tcase_create("session");
    tcase_add_test(tc, journal_records_chosen_seeds);
    tcase_add_test(tc, interrupt_stops_the_library);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
