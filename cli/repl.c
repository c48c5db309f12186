/* repl.c - the interactive shell on GNU readline.
 *
 * The prompt names the active dataset (wfstat[survey]> ). A line ending in
 * a backslash, or with a parenthesis still open, continues on a "...> "
 * line. Tab completes from the command table and the session (complete.c).
 * Ctrl-C cancels the line being typed or stops the command that is running
 * (the library polls session->interrupt), never the session. History is
 * kept in ~/.wfstat_history (or $WFSTAT_HISTORY) across sessions, but not
 * when WFSTAT_NO_HISTORY is set or standard input is not a terminal.
 *
 * Readline's callback interface is used so that a Ctrl-C while typing
 * returns to a fresh prompt at once: the blocking readline() would go on
 * reading the old line. The readline application name is "wfstat", so
 * ~/.inputrc can hold a `$if wfstat` section.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "cli.h"
#include "wfs-private.h"

#define HISTORY_MAX 5000

static session *g_session;
static volatile sig_atomic_t g_sigint, g_winch;

/* The line handed over by readline, and end of input. */
static char *g_line;
static int g_have_line, g_eof;

/* The logical command being typed over continuation lines. */
static wfs_buf g_entry;
static int g_continued;

/* Whether the last completion listed file names. */
static int g_files;

static void on_sigint(int sig)
{
    (void)sig;
    g_sigint = 1;
    if (g_session) g_session->interrupt = 1;
}

static void on_winch(int sig)
{
    (void)sig;
    g_winch = 1;
}

/* ------------------------------------------------------------------ */
/* History                                                             */
/* ------------------------------------------------------------------ */

static char *history_path(void)
{
    if (getenv("WFSTAT_NO_HISTORY")) return NULL;
    if (!isatty(STDIN_FILENO)) return NULL;
    const char *p = getenv("WFSTAT_HISTORY");
    if (p && *p) return wfs_strdup(p);
    const char *home = getenv("HOME");
    if (!home || !*home) return NULL;
    wfs_buf b = WFS_BUF_INIT;
    wfs_buf_printf(&b, "%s/.wfstat_history", home);
    return wfs_buf_take(&b, NULL);
}

/* Add an entry and append it to the file at once, so that a session that
 * ends badly still leaves its commands for the next one. */
static void remember(const char *hist, const char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == ' ' || line[n - 1] == '\t')) n--;
    if (strspn(line, " \t") >= n) return;
    char *entry = wfs_strndup(line, n);
    if (!entry) return;
    HIST_ENTRY *last = history_length ? history_get(history_base + history_length - 1) : NULL;
    int same = last && strcmp(last->line, entry) == 0;
    if (!same) add_history(entry);
    free(entry);
    if (same) return;
    if (!hist) return;
    struct stat st;
    if (stat(hist, &st) != 0)
        write_history(hist);
    else
        append_history(1, hist);
}

/* ------------------------------------------------------------------ */
/* Completion                                                          */
/* ------------------------------------------------------------------ */

/* The text before the line being edited: earlier continuation lines. */
static size_t context_text(wfs_buf *b)
{
    if (g_entry.len) {
        wfs_buf_add(b, g_entry.data, g_entry.len);
        wfs_buf_putc(b, ' ');
    }
    size_t before = b->len;
    wfs_buf_puts(b, rl_line_buffer ? rl_line_buffer : "");
    return before;
}

static char **attempt_completion(const char *text, int start, int end)
{
    (void)text;
    rl_attempted_completion_over = 1; /* never fall back to readline's file names */
    g_files = 0;
    wfs_buf b = WFS_BUF_INIT;
    size_t before = context_text(&b);
    if (b.failed || !b.data) {
        wfs_buf_free(&b);
        return NULL;
    }
    cli_completion c;
    int rc = cli_complete(&c, g_session, b.data, before + (size_t)end);
    wfs_buf_free(&b);
    if (rc || c.n == 0) {
        if (!rc) cli_completion_free(&c);
        return NULL;
    }
    /* Readline replaces line[start..end); our word starts at ws. They agree
     * with the word-break and quote characters set in repl_run, but adjust
     * the items if they ever differ. */
    long ws = (long)c.start - (long)before;
    if (ws < 0) ws = 0;
    char **m = calloc(c.n + 2, sizeof *m);
    if (!m) {
        cli_completion_free(&c);
        return NULL;
    }
    for (size_t i = 0; i < c.n; i++) {
        const char *it = c.items[i];
        wfs_buf x = WFS_BUF_INIT;
        if (ws > start)
            wfs_buf_add(&x, rl_line_buffer + start, (size_t)(ws - start));
        else if (ws < start && strncmp(it, rl_line_buffer + ws, (size_t)(start - ws)) == 0)
            it += start - ws;
        wfs_buf_puts(&x, it);
        m[i + 1] = wfs_buf_take(&x, NULL);
    }
    /* m[0]: what replaces the word - the one match, or the longest common
     * prefix of them all. */
    int ok = 1;
    for (size_t i = 1; i <= c.n; i++) ok &= m[i] != NULL;
    if (ok) {
        size_t lcp = strlen(m[1]);
        for (size_t i = 2; i <= c.n; i++) {
            size_t k = 0;
            while (k < lcp && m[i][k] == m[1][k]) k++;
            lcp = k;
        }
        m[0] = wfs_strndup(m[1], lcp);
        ok = m[0] != NULL;
    }
    size_t n = c.n;
    g_files = c.files;
    cli_completion_free(&c);
    if (!ok) {
        for (size_t i = 0; i <= n; i++) free(m[i]);
        free(m);
        return NULL;
    }
    /* An opening quote alone is no progress: leave the word as it is, so a
     * second Tab lists the levels or files instead of a third. */
    size_t typed = (size_t)(end - start);
    if (n > 1 && (m[0][0] == '"' || m[0][0] == '`') && strlen(m[0]) == typed + 1 &&
        strncmp(m[0] + 1, rl_line_buffer + start, typed) == 0) {
        m[0][0] = '\0';
        strncat(m[0], rl_line_buffer + start, typed);
    }
    if (n == 1) {
        free(m[1]);
        m[1] = NULL;
        rl_completion_suppress_append = !cli_completion_wants_space(m[0]);
    }
    return m;
}

/* List candidates without their quotes; file names without their
 * directory, as a shell lists them. */
static void display_matches(char **matches, int n, int max)
{
    char **shown = calloc((size_t)n + 2, sizeof *shown);
    if (!shown) return;
    int width = 0;
    for (int i = 0; i <= n; i++) {
        const char *m = matches[i] ? matches[i] : "";
        if (*m == '"' || *m == '`') m++;
        size_t len = strlen(m);
        int dir = g_files && len && m[len - 1] == '/';
        if (dir) len--;
        const char *base = m;
        for (size_t k = 0; g_files && k < len; k++)
            if (m[k] == '/') base = m + k + 1;
        len -= (size_t)(base - m);
        if (!dir && len && (base[len - 1] == '"' || base[len - 1] == '`')) len--;
        wfs_buf x = WFS_BUF_INIT;
        wfs_buf_add(&x, base, len);
        if (dir) wfs_buf_putc(&x, '/');
        shown[i] = wfs_buf_take(&x, NULL);
        if (!shown[i]) shown[i] = wfs_strdup("");
        if (i > 0 && shown[i] && (int)wfs_utf8_width(shown[i]) > width)
            width = (int)wfs_utf8_width(shown[i]);
    }
    rl_display_match_list(shown, n, width ? width : max);
    for (int i = 0; i <= n; i++) free(shown[i]);
    free(shown);
    rl_forced_update_display();
}

/* ------------------------------------------------------------------ */
/* Lines and continuation                                              */
/* ------------------------------------------------------------------ */

/* Parentheses opened and not closed in text, outside quotes and after
 * which no comment starts; *cut is where a comment begins (or the end). */
static long open_parens(const char *text, size_t *cut)
{
    long depth = 0;
    int in_str = 0, in_bt = 0;
    size_t i = 0;
    for (; text[i]; i++) {
        char c = text[i];
        if (in_str) {
            if (c == '\\' && text[i + 1])
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (in_bt) {
            if (c == '`') in_bt = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '`') {
            in_bt = 1;
        } else if (c == '#') {
            break;
        } else if (c == '(') {
            depth++;
        } else if (c == ')' && depth > 0) {
            depth--;
        }
    }
    *cut = i;
    return depth;
}

static void on_line(char *line)
{
    if (!line) g_eof = 1;
    g_line = line;
    g_have_line = 1;
    /* Run the command with readline's handler removed; it is installed
     * again, with the new prompt, for the next line. */
    rl_callback_handler_remove();
}

static int exec_one(void *ud, const char *cmd, size_t line)
{
    session *s = ud;
    s->src_line = line;
    session_exec(s, cmd);
    return s->quit;
}

/* Take one physical line. Returns once the entry is complete or continues. */
static void take_line(session *s, const char *hist, const char *line, size_t lineno)
{
    /* Join continuation lines into one logical command: a trailing
     * backslash is removed; a comment ends the physical line. */
    size_t cut;
    wfs_buf all = WFS_BUF_INIT;
    if (g_entry.len) {
        wfs_buf_add(&all, g_entry.data, g_entry.len);
        wfs_buf_putc(&all, ' ');
    }
    size_t off = all.len;
    wfs_buf_puts(&all, line);
    long depth = open_parens(all.data ? all.data : "", &cut);
    size_t end = cut;
    while (end > off && (all.data[end - 1] == ' ' || all.data[end - 1] == '\t')) end--;
    int backslash = 0;
    if (end > off && all.data[end - 1] == '\\') {
        /* An odd number of backslashes: the last one continues the line. */
        size_t k = end;
        while (k > off && all.data[k - 1] == '\\') k--;
        backslash = (end - k) % 2 == 1;
    }
    if (backslash || depth > 0) {
        wfs_buf_free(&g_entry);
        wfs_buf_add(&g_entry, all.data, backslash ? end - 1 : cut);
        while (g_entry.len && g_entry.data[g_entry.len - 1] == ' ')
            g_entry.data[--g_entry.len] = '\0';
        g_continued = 1;
        wfs_buf_free(&all);
        return;
    }
    const char *text = all.data ? all.data : "";
    remember(hist, g_continued ? text : line);
    wfs_buf_free(&g_entry);
    g_continued = 0;
    s->interactive = 1;
    s->src_name = NULL;
    s->interrupt = 0;
    g_sigint = 0;
    cli_splitter sp;
    memset(&sp, 0, sizeof sp);
    if (cli_split_line(&sp, text, lineno, exec_one, s) == 0) cli_split_finish(&sp, exec_one, s);
    cli_splitter_free(&sp);
    wfs_buf_free(&all);
}

static void make_prompt(session *s, char *buf, size_t sz)
{
    const dataset *d = cli_current(s);
    if (g_continued)
        snprintf(buf, sz, "...> ");
    else if (d)
        snprintf(buf, sz, "wfstat[%.64s]> ", d->name);
    else
        snprintf(buf, sz, "wfstat> ");
}

/* Ctrl-C while typing: drop the line (and any continuation) and start a
 * fresh prompt. */
static void cancel_line(void)
{
    rl_callback_sigcleanup();
    rl_free_line_state();
    rl_point = rl_end;
    rl_redisplay();
    fputs("^C\n", rl_outstream ? rl_outstream : stdout);
    rl_replace_line("", 0);
    rl_callback_handler_remove();
    wfs_buf_free(&g_entry);
    g_continued = 0;
}

int repl_run(session *s)
{
    g_session = s;
    rl_readline_name = "wfstat";
    rl_catch_signals = 0;
    rl_attempted_completion_function = attempt_completion;
    rl_completion_display_matches_hook = display_matches;
    /* A word is a name ([A-Za-z0-9_.]) or the inside of a quoted string or
     * backtick name, as complete.c sees it. */
    rl_basic_word_break_characters = " \t\n\"'`=,;()<>!|&:*/+-#\\[]{}~^%$@?";
    rl_completer_word_break_characters = rl_basic_word_break_characters;
    rl_completer_quote_characters = "\"`";
    rl_completion_suppress_quote = 1;
    rl_completion_append_character = ' ';

    struct sigaction sa, old_int, old_winch;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    /* Restart interrupted reads and writes; select() still returns EINTR. */
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, &old_int);
    sa.sa_handler = on_winch;
    sigaction(SIGWINCH, &sa, &old_winch);

    char *hist = history_path();
    using_history();
    if (hist) {
        read_history(hist);
        stifle_history(HISTORY_MAX);
    }
    if (s->set.format != WFS_FORMAT_JSON)
        printf("wfstat %s - type help for commands, help shell for the keys, quit to leave\n",
               wfs_version());
    fflush(stdout);

    size_t lineno = 0;
    int installed = 0;
    while (!s->quit) {
        if (!installed) {
            char prompt[128];
            make_prompt(s, prompt, sizeof prompt);
            g_sigint = 0;
            s->interrupt = 0;
            rl_callback_handler_install(prompt, on_line);
            installed = 1;
        }
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(STDIN_FILENO, &fds);
        int r = select(STDIN_FILENO + 1, &fds, NULL, NULL, NULL);
        if (r < 0) {
            if (errno != EINTR) break;
            if (g_winch) {
                g_winch = 0;
                rl_resize_terminal();
            }
            if (g_sigint) {
                cancel_line();
                installed = 0;
            }
            continue;
        }
        rl_callback_read_char();
        if (!g_have_line) continue;
        g_have_line = 0;
        installed = 0;
        if (g_eof) {
            putchar('\n');
            free(g_line);
            break;
        }
        /* A paste (readline's bracketed paste) can hold several lines. */
        for (char *p = g_line;;) {
            char *nl = strchr(p, '\n');
            if (nl) *nl = '\0';
            lineno++;
            take_line(s, hist, p, lineno);
            if (!nl || s->quit) break;
            p = nl + 1;
        }
        free(g_line);
        g_line = NULL;
        if (s->interrupt) {
            /* The command saw the interrupt (and said so) or had finished. */
            s->interrupt = 0;
        }
    }
    if (installed) rl_callback_handler_remove();
    wfs_buf_free(&g_entry);
    if (hist) {
        history_truncate_file(hist, HISTORY_MAX);
        free(hist);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGWINCH, &old_winch, NULL);
    g_session = NULL;
    return 0;
}
