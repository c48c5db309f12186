/* wfstat.h must compile alone, with -std=c11 -pedantic -Werror. */
#include "wfstat.h"

int main(void)
{
    wfs_error err = WFS_ERROR_INIT;
    wfs_csv_options csv = WFS_CSV_OPTIONS_INIT;
    wfs_design_spec spec = WFS_DESIGN_SPEC_INIT;
    wfs_render_options ro = WFS_RENDER_OPTIONS_INIT;
    (void)csv;
    (void)spec;
    (void)ro;
    return err.code;
}
