/* gendata.h - shared pieces of the synthetic dataset generator.
 *
 * The generator writes every data file under datasets/ from fixed seeds.
 * Its output must be byte for byte the same on every platform, so numbers
 * are never printed with %g or %e: every value is rounded to an integer
 * number of units (tenths, ten-thousandths, ...) and printed from that
 * integer, and the program never calls setlocale (the C locale is in force).
 */
#ifndef GENDATA_H
#define GENDATA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>

/* ------------------------------------------------------------ regions */

enum { NREGION = 9 };
extern const char *const region_name[NREGION];

/* ----------------------------------------------------------- councils */

enum council_type { CT_COUNTY, CT_UNITARY, CT_MET, CT_LONDON, CT_OTHER, NCT };
extern const char *const council_type_name[NCT];

/* The 150 English councils with adult social services responsibilities
 * before the 2009 local government changes. `size` is a rough resident
 * population in thousands, used only to scale the synthetic staffing. */
typedef struct council {
    const char *name;
    int region;
    int type;
    double size;
} council;

enum { NCOUNCIL = 150 };
extern const council councils[NCOUNCIL];

/* Index of a council by name; aborts when the name is not in the table
 * (a programming error in the generator). */
size_t council_index(const char *name);

/* ------------------------------------------------------- staff frame */

/* The roles of council adult social care staff in the personalisation
 * survey; the first three are the qualified social work roles. */
enum { R_SW, R_SP, R_CM, R_TM, R_SM, NROLE };
extern const char *const role_name[NROLE];

/* Synthetic headcount of each role in each council in autumn 2008: the
 * sampling frame of the staff surveys and the base of the workforce panel. */
typedef struct frame {
    long staff[NCOUNCIL][NROLE];
    long total[NCOUNCIL];
} frame;

void frame_build(frame *f);

/* ------------------------------------------------------------ age bands */

enum { NBAND = 6 };
extern const char *const band_name[NBAND];

/* ------------------------------------------------------------- random */

/* A new Mersenne Twister (gsl_rng_mt19937) seeded with `seed`. */
gsl_rng *rng_new(unsigned long seed);
double rng_normal(gsl_rng *r, double sd);
double rng_uniform(gsl_rng *r);
int rng_bernoulli(gsl_rng *r, double p);
/* Index drawn from the discrete distribution p[0..n-1] (sums to 1). */
size_t rng_pick(gsl_rng *r, const double *p, size_t n);

/* -------------------------------------------------------------- output */

/* A CSV file being written: rows go to a temporary file that is renamed
 * over the final name when the file is closed, so a failed run never
 * leaves a half-written dataset behind. */
typedef struct outfile {
    FILE *fp;
    char *path;
    char *tmp;
    int first; /* no field yet on this row */
} outfile;

int out_open(outfile *o, const char *dir, const char *sub, const char *name);
int out_close(outfile *o);
/* Fields: text (quoted when it holds a comma or quote), an integer, a
 * fixed-point number with `dec` decimals, or a missing value (empty). */
void out_text(outfile *o, const char *s);
void out_int(outfile *o, long v);
void out_fixed(outfile *o, double v, int dec);
void out_units(outfile *o, int64_t units, int dec);
void out_na(outfile *o);
void out_endrow(outfile *o);
/* A header row from a NULL-terminated list of names. */
void out_header(outfile *o, const char *const *names);

/* Round v to an integer number of 10^-dec units, half away from zero. */
int64_t to_units(double v, int dec);
double from_units(int64_t u, int dec);

/* ------------------------------------------------------------- sampling */

/* Split `total` units over strata in proportion to size[], at least `min`
 * each, by largest remainder. */
void allocate(size_t *m, const double *size, size_t nstrata, size_t total, size_t min);
/* Draw m councils of `region` with probability proportional to size[c]
 * (systematic PPS in random order, certainty units when pi >= 1); sets
 * sampled[c] and pi[c] for the region's councils. */
void pps_region(gsl_rng *r, int region, size_t m, const double *size, int *sampled, double *pi);

/* -------------------------------------------------------------- weights */

/* Weighted share of rows with flag[i] != 0; weights summed in row order. */
double wshare(const double *w, const int *flag, size_t n);
double ushare(const int *flag, size_t n);

/* Cut-point on the latent scores `z` such that the weighted share of rows
 * with z > cut is as close as possible to `p`. */
double upper_cut(const double *z, const double *w, size_t n, double p);

/* Round weights to `dec` decimals so that the rounded weights of the rows
 * in each cell (cell[i] in 0..ncell-1) add up exactly to the rounded cell
 * totals; the rounding error of a cell goes to its largest weight. */
void round_weights(double *w, const size_t *cell, size_t n, const double *total, size_t ncell,
                   int dec);

/* Rake weights to margins: margin k has levels 0..nlev[k]-1, row i is in
 * level lev[k][i], with totals tot[k][...]. Converges to relative 1e-13. */
void rake(double *w, size_t n, size_t nmargin, const size_t *const *lev, const size_t *nlev,
          const double *const *tot);

/* ------------------------------------------------------------ datasets */

/* A target the generator checks before it reports success. */
int check(const char *what, double got, double lo, double hi);

int gen_personalisation(const char *dir, const frame *f);
int gen_jobs_outlook(const char *dir, const frame *f);
int gen_council_workforce(const char *dir, const frame *f);
int gen_projection(const char *dir);

/* The workforce panel is shared: the 2010 jobs-outlook wave uses each
 * council's change in qualified posts between 2008 and 2010. */
enum { YEAR0 = 2005, NYEAR = 12 };
typedef struct panel {
    int64_t qualified[NCOUNCIL][NYEAR];   /* FTE in tenths */
    int64_t unqualified[NCOUNCIL][NYEAR]; /* FTE in tenths */
} panel;
void panel_build(panel *p, const frame *f);

#endif
