/* fuzz_csv.c - libFuzzer target for the CSV importer (lib/csvread.c).
 *
 * The input is CSV text. The first byte picks the delimiter and the NA
 * list so that the fuzzer explores ';', tab and '|' files too; the rest is
 * the file. A table that loads is walked column by column, as describe
 * does, so the importer's output is checked for consistency as well.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "wfstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char delims[] = {',', ';', '\t', '|'};
    static const char *const nas[] = {NULL, "", "NA,.,-9", "x"};
    wfs_csv_options opt = WFS_CSV_OPTIONS_INIT;
    if (size > 0) {
        opt.delim = delims[data[0] & 3];
        opt.na = nas[(data[0] >> 2) & 3];
        data++;
        size--;
    }
    gsl_set_error_handler_off();
    wfs_table *t = NULL;
    wfs_error err;
    if (wfs_csv_read_buffer(&t, "fuzz.csv", (const char *)data, size, &opt, &err) == 0) {
        size_t nc = wfs_table_ncols(t), nr = wfs_table_nrows(t);
        for (size_t c = 0; c < nc; c++) {
            const char *name = wfs_table_name(t, c);
            if (!name || !*name) abort(); /* empty names must be refused */
            if (wfs_table_type(t, c) == WFS_CATEGORICAL) {
                size_t nl = wfs_table_nlevels(t, c);
                const int32_t *codes = wfs_table_codes(t, c);
                for (size_t i = 0; i < nr; i++)
                    if (codes[i] >= (int32_t)nl || codes[i] < -1) abort();
            }
        }
        wfs_table_free(t);
    }
    return 0;
}
