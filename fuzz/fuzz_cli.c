/* fuzz_cli.c - libFuzzer target for the command language: the script
 * splitter, the tokeniser and parser (cli/parse.c) and the dispatch of every
 * command in the input against a small loaded dataset with a design.
 *
 * Commands that write or read files named in the input (save, export, log,
 * load, run, project) are left out: they would let the fuzzer write to the
 * disk or block on a device. Their parsing is still covered by
 * the tokeniser, which sees the whole input before anything is refused.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const denied[] = {"save", "export", "log", "load", "run", "project", "quit"};

/* Refuse inputs that name a denied command anywhere as a word. */
static int refused(const char *text)
{
    for (size_t k = 0; k < sizeof denied / sizeof *denied; k++) {
        size_t n = strlen(denied[k]);
        for (const char *p = text; (p = strstr(p, denied[k])) != NULL; p += n) {
            int before = p == text || !(p[-1] == '_' || p[-1] == '.' ||
                                        (p[-1] >= 'a' && p[-1] <= 'z') ||
                                        (p[-1] >= 'A' && p[-1] <= 'Z') ||
                                        (p[-1] >= '0' && p[-1] <= '9'));
            char c = p[n];
            int after = !(c == '_' || c == '.' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9'));
            if (before && after) return 1;
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[256];
    if (!path[0]) {
        gsl_set_error_handler_off();
        fuzz_temp_file(path, sizeof path, fuzz_dataset_csv, sizeof fuzz_dataset_csv - 1);
    }
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    /* The parser alone sees every input. */
    cmdline cl;
    char msg[512];
    long pos;
    cli_parse(&cl, text, msg, sizeof msg, &pos);
    cli_cmdline_free(&cl); /* the caller frees, on success or not */
    if (size > 4096 || memchr(data, 0, size) || refused(text)) {
        free(text);
        return 0;
    }
    session s;
    fuzz_session(&s, path);
    session_run_text(&s, text, "fuzz");
    session_free(&s);
    free(text);
    return 0;
}
