/* main.c - gendata: write wfstat's synthetic datasets.
 *
 *   gendata DIR     write every dataset under DIR (normally datasets/)
 *
 * The output depends only on the seeds written in the sources: running it
 * twice, or on another machine, gives the same bytes. Before it exits the
 * program checks the figures each dataset is calibrated to and prints them;
 * the exit status is 1 when any target is missed or a file cannot be
 * written.
 */
#include "gendata.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: gendata DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "gendata: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    static frame f;
    frame_build(&f);
    int bad = 0;
    bad |= gen_personalisation(dir, &f);
    bad |= gen_jobs_outlook(dir, &f);
    bad |= gen_council_workforce(dir, &f);
    bad |= gen_projection(dir);
    if (bad) fprintf(stderr, "gendata: some datasets missed their targets or were not written\n");
    return bad ? 1 : 0;
}
