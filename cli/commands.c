/* commands.c - the one command table: dispatch, help, completion, man page.
 *
 * Every command is one entry here. `help`, `help CMD`, tab completion and
 * the COMMANDS section of doc/wfstat.1 are all generated from these entries,
 * and a test checks that every command has its synopsis, help, example and
 * equivalents.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "wfs-private.h"

static const cli_option opt_load[] = {
    {"as", OPT_VALUE, NULL, "file name", "name of the dataset (also: load \"f.csv\" as NAME)"},
    {"delim", OPT_VALUE, NULL, "\",\"", "field delimiter: \",\", \";\", tab or \"|\""},
    {"na", OPT_VALUE, NULL, "\",NA\"", "comma-separated tokens that mean missing"},
    {NULL, 0, NULL, NULL, NULL}};

static const cli_option opt_list[] = {
    {"n", OPT_VALUE, NULL, "10", "number of rows to show (0 = all)"},
    {NULL, 0, NULL, NULL, NULL}};

static const cli_option opt_set[] = {
    {"format", OPT_VALUE, "text|csv|markdown|json", "text", "output format"},
    {"digits", OPT_VALUE, NULL, "1", "decimals for percentages in tables"},
    {"show", OPT_VALUE, "se|ci", "se", "what tables show beside a percentage"},
    {"level", OPT_VALUE, NULL, "0.95", "confidence level of intervals"},
    {"ci", OPT_VALUE, "logit|wald|xlogit|asin|beta|wilson|likelihood", "logit",
     "default interval method for proportions"},
    {"df", OPT_VALUE, NULL, "design", "degrees of freedom for intervals: design, inf or a number"},
    {"lonely", OPT_VALUE, "fail|adjust|average|certainty|remove", "fail",
     "lonely-PSU policy (also applied to the current design)"},
    {"suppress", OPT_VALUE, NULL, "off", "hide cells with an unweighted base below N"},
    {"explain", OPT_VALUE, "on|off", "off", "add plain-English readings under results"},
    {"width", OPT_VALUE, NULL, "terminal", "width of text tables"},
    {"progress", OPT_VALUE, "on|off", "on", "progress indication on long work"},
    {NULL, 0, NULL, NULL, NULL}};

const cli_command cli_commands[] = {
    {"load", "Data", cmd_load, "load \"file.csv\" [as NAME] [delim=,] [na=\"NA,.\"]",
     "read a CSV file into a dataset",
     "Reads a CSV file with a header row. Each column is numeric when every non-missing\n"
     "value is a number, otherwise categorical (levels sorted as R sorts factor levels).\n"
     "Empty fields and NA are missing unless na= lists other tokens. The dataset is named\n"
     "after the file unless `as NAME` is given, and becomes the active dataset. Problems\n"
     "are reported as file:line:column.",
     "load \"survey.csv\" as staff na=\"NA,-9\"", "read.csv(\"survey.csv\")",
     "import delimited survey.csv", opt_load, COMPLETE_FILES, 0},
    {"use", "Data", cmd_use, "use NAME", "switch to another loaded dataset",
     "Makes a loaded dataset the active one; its design comes with it.", "use wave2010",
     "(assign a different design object)", "frame change wave2010", NULL, COMPLETE_DATASETS, 0},
    {"describe", "Data", cmd_describe, "describe [VAR ...]",
     "variables, types, levels and missing values",
     "Lists each variable (or those named) with its type, the number of missing values,\n"
     "the levels of a categorical variable and the range and unweighted mean of a\n"
     "numeric one.",
     "describe role training_needs_met", "str(df); summary(df)", "describe; codebook", NULL,
     COMPLETE_VARS, 0},
    {"list", "Data", cmd_list, "list [VAR ...] [if EXPR] [n=10]", "show rows of the data",
     "Prints the first n rows (all rows with n=0) of the named variables, or of all\n"
     "variables, optionally only rows where the if expression is true.",
     "list role caseload if caseload > 40 n=5", "head(subset(df, caseload > 40), 5)",
     "list role caseload if caseload > 40 in 1/5", opt_list, COMPLETE_VARS, 0},
    {"project", "Projections", cmd_project,
     "project \"model.csv\" [years=10] [sims=N] [seed=N] [scenario=NAME] [plot[=ROLE]] "
     "[PARAM[ROLE]=VALUE[:SE]|last[:LEVEL]]",
     "project headcount by role and age band, with uncertainty bands",
     "Projects headcount by role and age band from a stock-flow model held in a CSV file\n"
     "(columns role, age_band, parameter, value, se and optionally scenario; see\n"
     "doc/projection.md). Each year leavers and transitions leave the stock, survivors age\n"
     "(1/width of a band moves up; the last band is open) and joiners arrive by the joiner\n"
     "age mix; demand grows at a rate or follows a driver series, and the gap, replacement\n"
     "demand and recruits needed follow. The stock identity is checked every year. With\n"
     "sims=N the parameters that have an se are drawn N times (rates on the logit scale,\n"
     "counts on the log scale) and the 10th, 50th and 90th percentiles are reported.\n"
     "PARAM[ROLE]=VALUE:SE or PARAM[ROLE,BAND]=VALUE:SE overrides a parameter;\n"
     "PARAM[ROLE]=last takes the last survey estimate and its SE (last:LEVEL picks one of\n"
     "several, last:\"LEVEL|DOMAIN\" one of a table). plot draws a fan chart in text output.",
     "project \"model.csv\" years=10 sims=1000 leaver_rate[Social worker]=0.15:0.02 plot",
     "(no survey function: a stock-flow model, e.g. a loop over years in base R)", "(none)",
     cli_project_options, COMPLETE_FILES, 1},
    {"set", "Session", cmd_set, "set [KEY=VALUE ...]", "change or show session settings",
     "Without arguments prints the settings. Keys: format, digits, show, level, ci, df,\n"
     "lonely, suppress, explain, width, progress.",
     "set format=markdown digits=0 suppress=10", "options(survey.lonely.psu=\"adjust\")",
     "set level 90", opt_set, COMPLETE_SETTINGS, 0},
    {"run", "Session", cmd_run, "run \"script.wfs\"", "run the commands in a script",
     "Runs a script as if its commands were typed. A relative path that does not exist\n"
     "from the current directory is looked up beside the script being run. Scripts may\n"
     "run other scripts up to 16 deep.",
     "run \"datasets/personalisation-2009/design.wfs\"", "source(\"script.R\")",
     "do script.do", NULL, COMPLETE_FILES, 0},
    {"help", "Session", cmd_help, "help [COMMAND]", "list commands or explain one",
     "Without arguments lists the commands by topic; with a command name gives its\n"
     "synopsis, options with defaults, an example and the R and Stata equivalents.",
     "help tab", "?svymean", "help svy", NULL, COMPLETE_COMMANDS, 0},
    {"quit", "Session", cmd_quit, "quit", "leave wfstat",
     "Ends the session (also: exit, or Ctrl-D at the prompt).", "quit", "q()", "exit", NULL,
     COMPLETE_NONE, 0},
};

const size_t cli_ncommands = sizeof cli_commands / sizeof *cli_commands;

const cli_command *cli_find_command(const char *name)
{
    for (size_t i = 0; i < cli_ncommands; i++)
        if (strcmp(cli_commands[i].name, name) == 0) return &cli_commands[i];
    if (strcmp(name, "exit") == 0) return cli_find_command("quit");
    return NULL;
}

const char *cli_suggest_command(const char *name)
{
    for (size_t cap = 1; cap <= 2; cap++)
        for (size_t i = 0; i < cli_ncommands; i++)
            if (wfs_edit_distance(name, cli_commands[i].name, cap) <= cap)
                return cli_commands[i].name;
    /* A prefix is a good guess too ("desc" for describe). */
    size_t n = strlen(name);
    for (size_t i = 0; i < cli_ncommands && n >= 3; i++)
        if (strncmp(cli_commands[i].name, name, n) == 0) return cli_commands[i].name;
    return NULL;
}

static void help_one(wfs_buf *b, const cli_command *c)
{
    wfs_buf_printf(b, "%s\n\n  %s\n\n", c->synopsis, c->summary);
    /* Indent the long help. */
    const char *p = c->help;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        wfs_buf_puts(b, "  ");
        wfs_buf_add(b, p, n);
        wfs_buf_putc(b, '\n');
        p += n + (nl != NULL);
    }
    if (c->options && c->options[0].name) {
        wfs_buf_puts(b, "\nOptions:\n");
        for (const cli_option *o = c->options; o->name; o++) {
            char head[96];
            if (o->kind == OPT_FLAG)
                snprintf(head, sizeof head, "%s", o->name);
            else if (o->values)
                snprintf(head, sizeof head, "%s=%s", o->name, o->values);
            else
                snprintf(head, sizeof head, "%s=...", o->name);
            wfs_buf_printf(b, "  %-28s %s", head, o->help);
            if (o->def) wfs_buf_printf(b, " (default %s)", o->def);
            wfs_buf_putc(b, '\n');
        }
    }
    wfs_buf_printf(b, "\nExample:\n  %s\n", c->example);
    wfs_buf_printf(b, "\nIn R:     %s\nIn Stata: %s\n", c->r_equiv, c->stata_equiv);
}

char *cli_help_text(const char *topic)
{
    wfs_buf b = WFS_BUF_INIT;
    if (topic && *topic) {
        const cli_command *c = cli_find_command(topic);
        if (!c) return NULL;
        help_one(&b, c);
        return wfs_buf_take(&b, NULL);
    }
    wfs_buf_printf(&b, "wfstat %s: design-based statistics for workforce surveys.\n\n",
                   wfs_version());
    /* Topics in order of first appearance in the table. */
    const char *topics[32];
    size_t nt = 0;
    for (size_t i = 0; i < cli_ncommands; i++) {
        size_t k = 0;
        while (k < nt && strcmp(topics[k], cli_commands[i].topic) != 0) k++;
        if (k == nt && nt < 32) topics[nt++] = cli_commands[i].topic;
    }
    for (size_t k = 0; k < nt; k++) {
        wfs_buf_printf(&b, "%s:\n", topics[k]);
        for (size_t i = 0; i < cli_ncommands; i++)
            if (strcmp(cli_commands[i].topic, topics[k]) == 0)
                wfs_buf_printf(&b, "  %-12s %s\n", cli_commands[i].name, cli_commands[i].summary);
        wfs_buf_putc(&b, '\n');
    }
    wfs_buf_puts(&b, "Type help COMMAND for its options and an example. Commands are separated by\n"
                     "newlines or ';', # starts a comment, and a trailing \\ continues a line.\n");
    return wfs_buf_take(&b, NULL);
}

/* Escape text for roff: backslashes and leading dots. */
static void roff(wfs_buf *b, const char *s)
{
    if (*s == '.' || *s == '\'') wfs_buf_puts(b, "\\&");
    for (; *s; s++) {
        if (*s == '\\')
            wfs_buf_puts(b, "\\e");
        else if (*s == '-')
            wfs_buf_puts(b, "\\-");
        else if (*s == '\n') {
            wfs_buf_putc(b, '\n');
            if (s[1] == '.' || s[1] == '\'') wfs_buf_puts(b, "\\&");
        } else
            wfs_buf_putc(b, *s);
    }
}

char *cli_man_commands(void)
{
    wfs_buf b = WFS_BUF_INIT;
    for (size_t i = 0; i < cli_ncommands; i++) {
        const cli_command *c = &cli_commands[i];
        wfs_buf_puts(&b, ".TP\n.B ");
        roff(&b, c->synopsis);
        wfs_buf_putc(&b, '\n');
        roff(&b, c->help);
        wfs_buf_putc(&b, '\n');
        for (const cli_option *o = c->options; o && o->name; o++) {
            wfs_buf_puts(&b, ".br\n\\fI");
            roff(&b, o->name);
            wfs_buf_puts(&b, "\\fP: ");
            roff(&b, o->help);
            if (o->def) {
                wfs_buf_puts(&b, " (default ");
                roff(&b, o->def);
                wfs_buf_putc(&b, ')');
            }
            wfs_buf_putc(&b, '\n');
        }
        wfs_buf_puts(&b, ".br\nExample: \\fB");
        roff(&b, c->example);
        wfs_buf_puts(&b, "\\fP\n");
    }
    return wfs_buf_take(&b, NULL);
}

int cmd_help(session *s, const cmdline *cl)
{
    const char *topic = cl->npos ? cl->pos[0]->text : NULL;
    char *text = cli_help_text(topic);
    if (!text) {
        const char *near = cli_suggest_command(topic);
        s->errpos = (long)cl->pos[0]->pos;
        if (near) return cli_error(s, "no command \"%s\" (did you mean %s?)", topic, near);
        return cli_error(s, "no command \"%s\" (help lists the commands)", topic);
    }
    int rc = cli_emit_text(s, "help", text);
    free(text);
    return rc;
}

int cmd_quit(session *s, const cmdline *cl)
{
    (void)cl;
    s->quit = 1;
    return 0;
}
