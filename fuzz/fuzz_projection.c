/* fuzz_projection.c - libFuzzer target for projection model files
 * (lib/projection.c): read the input as a model and, when it is valid, run
 * a short projection with a few simulations. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "wfstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gsl_set_error_handler_off();
    wfs_model *m = NULL;
    wfs_error err;
    if (wfs_model_read_buffer(&m, "model.csv", (const char *)data, size, &err) == 0) {
        for (size_t sc = 0; sc <= wfs_model_nscenarios(m) && sc < 3; sc++) {
            wfs_projection_options opt = WFS_PROJECTION_OPTIONS_INIT;
            opt.years = 3;
            opt.sims = 3;
            opt.scenario = sc ? wfs_model_scenario(m, sc - 1) : NULL;
            wfs_projection *p = NULL;
            if (wfs_projection_run(&p, m, &opt, &err) == 0) wfs_projection_free(p);
        }
        wfs_model_free(m);
    }
    return 0;
}
