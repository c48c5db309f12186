/* fuzz_margins.c - libFuzzer target for margin files (lib/margins.c): the
 * input is a margins CSV, read on its own and then used to post-stratify,
 * rake and calibrate a small dataset. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dpath[256], mpath[256];
    if (!dpath[0]) {
        gsl_set_error_handler_off();
        fuzz_temp_file(dpath, sizeof dpath, fuzz_dataset_csv, sizeof fuzz_dataset_csv - 1);
        fuzz_temp_file(mpath, sizeof mpath, "", 0);
    }
    fuzz_rewrite(mpath, data, size);

    wfs_margins *m;
    wfs_error err;
    if (wfs_margins_new(&m, &err)) abort();
    wfs_margins_read_csv(m, mpath, NULL, 0, &err);
    wfs_margins_free(m);

    session s;
    fuzz_session(&s, dpath);
    char script[2048];
    snprintf(script, sizeof script,
             "poststratify role using \"%s\"\n"
             "poststratify role*region using \"%s\"\n"
             "rake role region using \"%s\" maxit=20\n"
             "calibrate role age using \"%s\" maxit=10\n"
             "calibrate role region using \"%s\" method=logit bounds=0.5,3 maxit=10\n"
             "mean pay\n",
             mpath, mpath, mpath, mpath, mpath);
    session_run_text(&s, script, "fuzz");
    session_free(&s);
    return 0;
}
