/* repl.c - the interactive shell on GNU readline.
 *
 * The prompt names the active dataset (wfstat[survey]> ); a trailing
 * backslash or an open quote continues on a "...> " line; Ctrl-C cancels
 * the line being typed or stops a long computation, never the session;
 * history is kept in ~/.wfstat_history unless WFSTAT_NO_HISTORY is set.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "cli.h"
#include "wfs-private.h"

static session *g_session;
static volatile sig_atomic_t g_sigint;

static void on_sigint(int sig)
{
    (void)sig;
    g_sigint = 1;
    if (g_session) g_session->interrupt = 1;
}

static char *history_path(void)
{
    if (getenv("WFSTAT_NO_HISTORY")) return NULL;
    const char *home = getenv("HOME");
    if (!home || !*home) return NULL;
    size_t n = strlen(home) + 32;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/.wfstat_history", home);
    return p;
}

typedef struct repl_ctx {
    session *s;
} repl_ctx;

static int exec_one(void *ud, const char *cmd, size_t line)
{
    repl_ctx *rc = ud;
    rc->s->src_line = line;
    session_exec(rc->s, cmd);
    return rc->s->quit;
}

int repl_run(session *s)
{
    g_session = s;
    rl_readline_name = "wfstat";
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    rl_catch_signals = 0;

    char *hist = history_path();
    if (hist) read_history(hist);
    printf("wfstat %s - type help for commands, quit to leave\n", wfs_version());
    cli_splitter sp;
    memset(&sp, 0, sizeof sp);
    repl_ctx ctx = {s};
    size_t lineno = 0;
    wfs_buf entry = WFS_BUF_INIT;
    while (!s->quit) {
        char prompt[128];
        const dataset *d = cli_current(s);
        if (cli_split_pending(&sp))
            snprintf(prompt, sizeof prompt, "...> ");
        else if (d)
            snprintf(prompt, sizeof prompt, "wfstat[%.64s]> ", d->name);
        else
            snprintf(prompt, sizeof prompt, "wfstat> ");
        g_sigint = 0;
        char *line = readline(prompt);
        if (!line) {
            putchar('\n');
            break;
        }
        if (g_sigint) { /* Ctrl-C while typing: drop the entry */
            free(line);
            cli_splitter_free(&sp);
            memset(&sp, 0, sizeof sp);
            wfs_buf_free(&entry);
            continue;
        }
        lineno++;
        if (entry.len) wfs_buf_putc(&entry, '\n');
        wfs_buf_puts(&entry, line);
        s->interactive = 1;
        s->src_name = NULL;
        cli_split_line(&sp, line, lineno, exec_one, &ctx);
        if (!cli_split_pending(&sp)) {
            if (entry.data && strspn(entry.data, " \t") < entry.len) add_history(entry.data);
            wfs_buf_free(&entry);
        }
        free(line);
        if (s->interrupt) {
            fputs("interrupted\n", stderr);
            s->interrupt = 0;
        }
    }
    cli_splitter_free(&sp);
    wfs_buf_free(&entry);
    if (hist) {
        stifle_history(5000);
        write_history(hist);
        free(hist);
    }
    g_session = NULL;
    return 0;
}
