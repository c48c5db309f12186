/* main.c - the wfstat program: options, mode selection, exit status.
 *
 *   wfstat                       REPL when stdin is a terminal
 *   wfstat script.wfs [...]      run scripts, then exit
 *   wfstat -e 'load "x.csv"; design weight=w; mean y'
 *   cat script.wfs | wfstat      commands from a pipe
 *
 * Exit status: 0 when every command succeeded, 1 when any failed, 2 for
 * usage errors.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: wfstat [OPTION]... [SCRIPT]...\n"
            "Design-based statistics for workforce surveys: weighted estimates with\n"
            "standard errors, cross-tabulations, weighting and projections.\n"
            "\n"
            "With no SCRIPT and a terminal on stdin, starts the interactive shell;\n"
            "otherwise runs the scripts (or commands read from stdin) and exits.\n"
            "\n"
            "  -e, --execute=COMMANDS  run COMMANDS (separated by ';') before any script\n"
            "  -f, --format=FORMAT     output format: text, csv, markdown or json\n"
            "      --bail              stop at the first command that fails\n"
            "  -i, --interactive       start the shell even when stdin is not a terminal\n"
            "  -b, --batch             never start the shell\n"
            "  -h, --help              show this help and exit\n"
            "  -V, --version           show the version and exit\n"
            "\n"
            "Exit status: 0 if every command succeeded, 1 if any failed, 2 for usage errors.\n"
            "Inside wfstat, `help` lists the commands. Report bugs to %s.\n",
            PACKAGE_BUGREPORT);
}

int main(int argc, char **argv)
{
    /* The library checks every GSL status; GSL must never abort. */
    gsl_set_error_handler_off();
    session s;
    session_init(&s);
    enum { OPT_BAIL = 256, OPT_MAN };
    static const struct option longopts[] = {
        {"execute", required_argument, NULL, 'e'},
        {"format", required_argument, NULL, 'f'},
        {"bail", no_argument, NULL, OPT_BAIL},
        {"interactive", no_argument, NULL, 'i'},
        {"batch", no_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"man-commands", no_argument, NULL, OPT_MAN},
        {NULL, 0, NULL, 0}};
    char **exec = NULL;
    size_t nexec = 0;
    int force_interactive = 0, force_batch = 0, c, status = 0;
    exec = calloc((size_t)argc + 1, sizeof *exec);
    if (!exec) return 2;
    while ((c = getopt_long(argc, argv, "e:f:ibhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'e': exec[nexec++] = optarg; break;
        case 'f': {
            int f = wfs_format_parse(optarg);
            if (f < 0) {
                fprintf(stderr, "wfstat: unknown format \"%s\" (text, csv, markdown or json)\n",
                        optarg);
                free(exec);
                return 2;
            }
            s.set.format = (wfs_format)f;
            break;
        }
        case OPT_BAIL: s.bail = 1; break;
        case 'i': force_interactive = 1; break;
        case 'b': force_batch = 1; break;
        case 'h':
            usage(stdout);
            free(exec);
            return 0;
        case 'V':
            printf("wfstat %s\n", wfs_version());
            free(exec);
            return 0;
        case OPT_MAN: {
            char *m = cli_man_commands();
            if (m) fputs(m, stdout);
            free(m);
            free(exec);
            return m ? 0 : 1;
        }
        default:
            fprintf(stderr, "Try 'wfstat --help' for more information.\n");
            free(exec);
            return 2;
        }
    }
    /* Scripts must exist before anything runs: a typo is a usage error. */
    for (int i = optind; i < argc; i++) {
        if (access(argv[i], R_OK) != 0) {
            fprintf(stderr, "wfstat: cannot read script %s: %s\n", argv[i], strerror(errno));
            free(exec);
            return 2;
        }
    }
    s.interactive = 0;
    int failed = 0;
    for (size_t i = 0; i < nexec && !s.quit && !(failed && s.bail); i++)
        failed |= session_run_text(&s, exec[i], NULL) != 0;
    for (int i = optind; i < argc && !s.quit && !(failed && s.bail); i++)
        failed |= session_run_file(&s, argv[i]) != 0;
    if (!s.quit && !(failed && s.bail) && !force_batch) {
        int tty = isatty(STDIN_FILENO);
        if (force_interactive || (tty && !nexec && optind == argc)) {
            s.interactive = 1;
            repl_run(&s);
        } else if (!nexec && optind == argc) {
            failed |= session_run_stream(&s, stdin, "<stdin>") != 0;
        }
    } else if (force_batch && !nexec && optind == argc) {
        failed |= session_run_stream(&s, stdin, "<stdin>") != 0;
    }
    status = failed || s.errors ? 1 : 0;
    free(exec);
    session_free(&s);
    return status;
}
