/* fuzz_expr.c - libFuzzer target for `if` expressions (lib/expr.c): parse
 * the input against a small table and, when it parses, evaluate it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "fuzz_common.h"
#include "wfstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static wfs_table *table;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!table) {
        gsl_set_error_handler_off();
        wfs_error e;
        if (wfs_csv_read_buffer(&table, "data.csv", fuzz_dataset_csv, sizeof fuzz_dataset_csv - 1,
                                NULL, &e))
            abort();
    }
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    wfs_expr *e = NULL;
    wfs_error err;
    if (wfs_expr_parse(&e, text, table, &err) == 0) {
        uint8_t mask[64];
        wfs_expr_eval(mask, e, table, &err);
        wfs_expr_free(e);
    }
    free(text);
    return 0;
}
