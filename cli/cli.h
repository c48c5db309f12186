/* cli.h - the wfstat program: command language, session, command table.
 *
 * The program is a thin client of libwfstat. A command line is tokenized and
 * split into positional arguments, a `by` list, an `if` expression and
 * key=value options (parse.c); the one command table (commands.c) maps the
 * command name to its handler, help and completion; handlers call the
 * library and hand the result to the session (session.c), which renders it
 * in the current output format.
 */
#ifndef WFSTAT_CLI_H
#define WFSTAT_CLI_H

#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "wfstat.h"

/* ------------------------------------------------------------------ */
/* Tokens and parsed commands (parse.c)                                */
/* ------------------------------------------------------------------ */

enum { TK_END, TK_NAME, TK_STRING, TK_NUMBER, TK_PUNCT };

typedef struct token {
    int kind;
    char *text;   /* decoded: name, string contents, number text, punctuation */
    size_t pos;   /* byte offset in the command text */
    size_t len;   /* bytes in the command text */
    int quoted;   /* a backtick name */
    int space_before;
} token;

/* One element of an option value: `a` or `a:b` (margins, level:count). */
typedef struct valitem {
    const token *a, *b; /* b NULL when there is no colon */
} valitem;

typedef struct cmdopt {
    const token *key;
    valitem *items;
    size_t nitems;
} cmdopt;

typedef struct cmdline {
    char *text;            /* the command text (owned) */
    token *toks;
    size_t ntoks;
    const token *name;     /* the command word */
    const token **pos;     /* positional tokens in order */
    size_t npos;
    const token **by;      /* by variables */
    size_t nby;
    const token *by_kw;    /* the `by` keyword, for messages */
    char *if_text;         /* the if expression text, or NULL */
    size_t if_pos;         /* offset of the expression in text */
    cmdopt *opts;
    size_t nopts;
    const char **flags;    /* bare words that the command declares as flags */
    size_t nflags;
} cmdline;

struct cli_command;

/* Tokenize and structure a command. On error returns -1 with msg set and
 * *errpos the byte offset of the offending token. */
int cli_parse(cmdline *cl, const char *text, char *msg, size_t msgsz, long *errpos);
void cli_cmdline_free(cmdline *cl);
/* Second stage, once the command is known: bare words declared as flags by
 * the command become flags; unknown option keys are errors (unless the
 * command takes free keys). */
int cli_classify(cmdline *cl, const struct cli_command *cmd, char *msg, size_t msgsz, long *errpos);

/* Option lookups. */
const cmdopt *cli_opt(const cmdline *cl, const char *key);
int cli_flag(const cmdline *cl, const char *name);
/* Option as a single word/string/number text, or NULL. */
const char *cli_opt_text(const cmdline *cl, const char *key);

/* Split a script into commands: handles # comments, ; separators outside
 * quotes, and trailing-backslash continuation. Calls fn for each command
 * with the line it started on. fn returns nonzero to stop. */
typedef int (*cli_line_fn)(void *ud, const char *cmd, size_t line);
/* Incremental splitter state for line-at-a-time input. */
typedef struct cli_splitter {
    char *buf;
    size_t len, cap;
    size_t start_line;
    int pending; /* a continuation is open */
    int in_string;
} cli_splitter;
/* Feed one physical line (without the newline). Returns what fn returned,
 * or 0. */
int cli_split_line(cli_splitter *sp, const char *line, size_t lineno, cli_line_fn fn, void *ud);
/* Flush at end of input. */
int cli_split_finish(cli_splitter *sp, cli_line_fn fn, void *ud);
void cli_splitter_free(cli_splitter *sp);
/* True when the text so far needs more lines (continuation or open quote). */
int cli_split_pending(const cli_splitter *sp);

/* ------------------------------------------------------------------ */
/* Session (session.c)                                                 */
/* ------------------------------------------------------------------ */

typedef struct dataset {
    char *name;
    char *path;
    char sha256[65];
    wfs_table *table;
    wfs_design *design;
    char *design_cmd; /* the design command text, for the journal */
} dataset;

typedef struct settings {
    wfs_format format;
    wfs_render_options render;
    double level;
    char ci[16];        /* default proportion interval method */
    double df;          /* NaN = design df; INFINITY = normal quantiles */
    wfs_lonely lonely;  /* policy for new designs */
    double suppress;    /* hide cells with unweighted base below this (0 = off) */
    int progress;       /* show progress on long work */
    int timing;         /* print each command's elapsed wall time to stderr */
} settings;

typedef struct session {
    dataset *ds;
    size_t nds, capds;
    long cur;            /* index of the active dataset, -1 none */
    settings set;
    wfs_result *last;    /* the last result, for save */
    FILE *out;
    /* where commands come from, for error messages */
    const char *src_name;
    size_t src_line;
    int interactive;
    int bail;
    int errors;          /* commands that failed */
    int quit;            /* quit requested */
    int run_depth;
    int quiet;           /* > 0 inside run ... quiet: results are kept, not printed */
    FILE *journal;       /* the journal being kept (log), or NULL */
    char *journal_path;
    struct journal *jn;  /* the session's record (journal.c) */
    volatile sig_atomic_t interrupt;
    char errbuf[WFS_ERROR_MAX + 256];
    long errpos;         /* caret position in the current command, -1 none */
    const char *cmdtext; /* the command being run */
    size_t cmd_offset;   /* offset added to error positions (if-expressions) */
} session;

void session_init(session *s);
void session_free(session *s);
/* Run one command text. Returns 0 on success, 1 on a reported error. */
int session_exec(session *s, const char *text);
/* Run a script file (the run command and command-line scripts). */
int session_run_file(session *s, const char *path);
/* Run commands held in a string (-e); name may be NULL. */
int session_run_text(session *s, const char *text, const char *name);
/* Run commands from a stream (a pipe). */
int session_run_stream(session *s, FILE *f, const char *name);
/* Report an error for the current command. Returns 1. */
int cli_error(session *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Report a library error (uses err->position for carets). */
int cli_lib_error(session *s, const wfs_error *err);
/* A warning line on stderr (never stdout). */
void cli_warn(session *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Render and print a result; the session keeps it as the last result. */
int cli_emit(session *s, wfs_result *r);
/* Columns of the terminal f writes to (or $COLUMNS); 0 if unknown. */
size_t cli_terminal_width(FILE *f);
/* Print plain text output (help); in JSON mode wrapped in a result. */
int cli_emit_text(session *s, const char *command, const char *text);
dataset *cli_current(session *s);
/* The active dataset, or an error naming what to do. */
dataset *cli_need_dataset(session *s);
/* Whether a file name is a binary snapshot (ends in .wfb). */
int cli_is_snapshot(const char *path);
dataset *cli_need_design(session *s);
dataset *cli_find_dataset(session *s, const char *name);
/* Resolve a variable name in the active dataset or report it. */
long cli_need_var(session *s, const dataset *d, const token *tok);

/* ------------------------------------------------------------------ */
/* The session record and journal (journal.c)                          */
/* ------------------------------------------------------------------ */

/* session_exec brackets each command with begin and end; end writes the
 * command (or "# failed: ..." or, when it is not replayed, "# ...") and
 * what it printed. */
void cli_journal_begin(session *s);
void cli_journal_end(session *s, const char *text, int rc, int replayed);
/* run: its line goes in before the commands of the script. */
void cli_journal_run(session *s, const char *text);
/* Output of the running command (recorded as #> lines), and messages. */
void cli_journal_output(session *s, const char *text, size_t len);
void cli_journal_message(session *s, const char *kind, const char *msg);
/* A file that was loaded: its SHA-256 goes into the journal. */
void cli_journal_file(session *s, dataset *d);
/* A command that chose a value itself - a random seed - adds key=value to
 * its recorded line so that the journal replays to the same results:
 * cli_journal_option(s, "seed", "12345"). Nothing is added when the
 * command line already gives the key. */
void cli_journal_option(session *s, const char *key, const char *value);
void cli_journal_free(session *s);

/* ------------------------------------------------------------------ */
/* The command table (commands.c)                                      */
/* ------------------------------------------------------------------ */

enum { OPT_FLAG = 1, OPT_VALUE = 2, OPT_FLAG_OR_VALUE = 3 };

/* What the positional arguments of a command complete to. */
enum { COMPLETE_NONE, COMPLETE_VARS, COMPLETE_FILES, COMPLETE_DATASETS, COMPLETE_COMMANDS,
       COMPLETE_SETTINGS };

typedef struct cli_option {
    const char *name;
    int kind;
    const char *values;  /* "logit|wald|..." for completion and checks, or NULL */
    const char *def;     /* default, for help */
    const char *help;
} cli_option;

typedef struct cli_command {
    const char *name;
    const char *topic;
    int (*fn)(session *s, const cmdline *cl);
    const char *synopsis;
    const char *summary;
    const char *help;
    const char *example;
    const char *r_equiv;
    const char *stata_equiv;
    const cli_option *options;
    int complete;
    int free_keys;       /* accepts VAR=... keys (margins) */
} cli_command;

extern const cli_command cli_commands[];
extern const size_t cli_ncommands;
const cli_command *cli_find_command(const char *name);
/* The nearest command name to a misspelt one, or NULL. */
const char *cli_suggest_command(const char *name);
/* Help text for `help` and `help CMD`. */
char *cli_help_text(const char *topic);
/* The man page's command section, generated from the table. */
char *cli_man_commands(void);

/* Handlers. */
int cmd_load(session *s, const cmdline *cl);
/* A relative input path (data, script, margins, model) that does not exist
 * from the current directory is looked up beside the script being run.
 * Returns a malloc'd path, NULL when out of memory. */
char *cli_resolve_input(const session *s, const char *path);
/* Progress of long work on stderr, for a wfs_control: shown on a terminal
 * after a second, when set progress=on; clear the line when ps.shown. */
typedef struct cli_progress {
    session *s;
    time_t start;
    int shown;
} cli_progress;
void cli_show_progress(void *ud, double frac, const char *what);
int cmd_replicate(session *s, const cmdline *cl);
int cmd_use(session *s, const cmdline *cl);
int cmd_describe(session *s, const cmdline *cl);
int cmd_list(session *s, const cmdline *cl);
int cmd_set(session *s, const cmdline *cl);
int cmd_run(session *s, const cmdline *cl);
int cmd_help(session *s, const cmdline *cl);
int cmd_quit(session *s, const cmdline *cl);
int cmd_log(session *s, const cmdline *cl);
int cmd_save(session *s, const cmdline *cl);
int cmd_export(session *s, const cmdline *cl);
int cmd_design(session *s, const cmdline *cl);
int cmd_mean(session *s, const cmdline *cl);
int cmd_total(session *s, const cmdline *cl);
int cmd_prop(session *s, const cmdline *cl);
int cmd_ratio(session *s, const cmdline *cl);
int cmd_quantile(session *s, const cmdline *cl);
int cmd_say(session *s, const cmdline *cl);
/* set explain=on: one plain-English sentence reading a result (its most
 * significant difference or change, a decomposition's split, or its first
 * estimate), worded by significance and reliability flags; malloc'd, or
 * NULL when there is nothing to read. */
char *cli_explain(const wfs_result *r);
int cmd_compare(session *s, const cmdline *cl);
int cmd_change(session *s, const cmdline *cl);
int cmd_likert(session *s, const cmdline *cl);
int cmd_multi(session *s, const cmdline *cl);
int cmd_decompose(session *s, const cmdline *cl);
int cmd_title(session *s, const cmdline *cl);
/* The session's level, df and ci settings and a command's level=, df=, ci=,
 * deff, by (at most maxby, into by[]) and if into estimator options; reports
 * a bad value and returns 1. quantile: ci defaults to wald. */
int cli_est_options(session *s, const cmdline *cl, const dataset *d, wfs_est_options *o,
                    const char **by, size_t maxby, int quantile);

/* Does an option name variables (weight=W, cluster=C1,C2)? True when it
 * has no list of values and its help says "variable" or its synopsis
 * placeholder is a variable (VAR, V, W, S, C1, F1, ...). */
int cli_option_takes_vars(const cli_command *cmd, const cli_option *o);
/* Help topics that are not commands (help syntax, help shell). */
extern const char *const cli_help_topics[];

/* ------------------------------------------------------------------ */
/* Tab completion (complete.c)                                         */
/* ------------------------------------------------------------------ */

/* The candidates for the word before the cursor. Each item replaces
 * text[start..cursor) and carries its own punctuation: "ci=" for a valued
 * option, a closing quote for a level or a file, '/' for a directory. */
typedef struct cli_completion {
    size_t start;
    char **items; /* sorted, unique; NULL-terminated */
    size_t n;
    int files;    /* the items are file names (list them without directories) */
} cli_completion;

/* Complete the command text (which may hold earlier commands separated by
 * ';' and earlier continuation lines) at byte offset cursor, for the
 * session's datasets. A pure function: it reads the session and the
 * directory being completed, nothing else. Returns 0 or WFS_ENOMEM. */
int cli_complete(cli_completion *out, const session *s, const char *text, size_t cursor);
void cli_completion_free(cli_completion *c);
/* Whether a completed item is followed by a space (not after "key=", a
 * directory or "missing("). */
int cli_completion_wants_space(const char *item);
int cmd_tab(session *s, const cmdline *cl);
extern const cli_option cli_tab_options[];
int cmd_project(session *s, const cmdline *cl);
extern const cli_option cli_project_options[];

/* ------------------------------------------------------------------ */
/* REPL (repl.c)                                                       */
/* ------------------------------------------------------------------ */

int repl_run(session *s);

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* Bytes of memory a load may use (from MemAvailable), 0 if unknown. */
size_t cli_memory_limit(void);
/* SHA-256 of a file as hex; returns 0 on success. */
int cli_sha256_file(const char *path, char out[65]);

#endif /* WFSTAT_CLI_H */
