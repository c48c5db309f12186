/* projection.c - datasets/projection: an illustrative stock-flow model of
 * adult social work staff in English councils by role and age band, in the
 * long form the `project` command reads (role,age_band,parameter,value,se,
 * scenario).
 *
 * The base year is 2016. Headcounts spread each role's total over the age
 * bands with a small random perturbation; rates, joiners, transitions and
 * demand are set by hand to plausible values. None of it is an official
 * figure.
 */
#include "gendata.h"

#include <math.h>
#include <stdlib.h>

#define SEED 20160930UL

static const double role_total[NROLE] = {9600, 2600, 5200, 1500, 500};
static const double age_mix[NROLE][NBAND] = {{0.03, 0.27, 0.25, 0.24, 0.18, 0.03},
                                             {0.01, 0.12, 0.28, 0.32, 0.23, 0.04},
                                             {0.06, 0.20, 0.22, 0.26, 0.22, 0.04},
                                             {0.005, 0.06, 0.26, 0.38, 0.265, 0.03},
                                             {0.004, 0.02, 0.20, 0.42, 0.326, 0.03}};
/* Leaver rates of social workers by band; other roles scale them. */
static const double leave_band[NBAND] = {0.16, 0.14, 0.10, 0.09, 0.14, 0.35};
static const double leave_role[NROLE] = {1.00, 0.95, 1.20, 0.90, 0.85};
static const double joiners[NROLE] = {1350, 120, 950, 90, 10};
static const double joiners_se[NROLE] = {110, 25, 90, 18, 4};
/* Joiner age mix, in hundredths so each role sums to exactly 1. */
static const int joiner_share[NROLE][NBAND] = {{12, 45, 23, 13, 6, 1},
                                               {2, 30, 38, 22, 7, 1},
                                               {15, 33, 22, 18, 11, 1},
                                               {1, 12, 40, 35, 11, 1},
                                               {1, 5, 30, 44, 19, 1}};
static const double demand[NROLE] = {10400, 2750, 5400, 1600, 520};
static const double demand_se[NROLE] = {300, 120, 250, 60, 25};
static const double growth[NROLE] = {0.015, 0.015, 0.020, 0.010, 0.005};

/* Transitions between roles: from, to, rate, se. */
static const struct {
    int from, to;
    double rate, se;
} transition[] = {{R_CM, R_SW, 0.030, 0.008},
                  {R_SW, R_SP, 0.030, 0.008},
                  {R_SP, R_TM, 0.040, 0.010},
                  {R_TM, R_SM, 0.030, 0.008}};

/* Population aged 65 and over in England, millions, an illustrative path
 * for the "ageing_population" driver scenario (about +22% in ten years). */
static const double over65[11] = {9.70,  9.91,  10.11, 10.31, 10.52, 10.74,
                                  10.96, 11.19, 11.42, 11.65, 11.88};

static void row(outfile *o, const char *role, const char *band, const char *param, double v,
                int dec, double se, int sedec, const char *scenario)
{
    if (role)
        out_text(o, role);
    else
        out_na(o);
    if (band)
        out_text(o, band);
    else
        out_na(o);
    out_text(o, param);
    out_fixed(o, v, dec);
    out_fixed(o, se, sedec);
    if (scenario)
        out_text(o, scenario);
    else
        out_na(o);
    out_endrow(o);
}

int gen_projection(const char *dir)
{
    gsl_rng *r = rng_new(SEED);
    outfile o;
    if (out_open(&o, dir, "projection", "model.csv")) return 1;
    out_header(&o, (const char *const[]){"role", "age_band", "parameter", "value", "se", "scenario",
                                         NULL});
    double rate[NROLE][NBAND], rate_se[NROLE][NBAND];
    for (int k = 0; k < NROLE; k++)
        for (int b = 0; b < NBAND; b++) {
            double h = role_total[k] * age_mix[k][b] * exp(rng_normal(r, 0.04));
            row(&o, role_name[k], band_name[b], "headcount", (double)lround(h), 0, 0, 0, NULL);
        }
    for (int k = 0; k < NROLE; k++)
        for (int b = 0; b < NBAND; b++) {
            rate[k][b] = from_units(
                to_units(leave_band[b] * leave_role[k] * exp(rng_normal(r, 0.05)), 3), 3);
            /* The SE of a survey share of about this size. */
            rate_se[k][b] = from_units(to_units(0.12 * rate[k][b] + 0.004, 3), 3);
            row(&o, role_name[k], band_name[b], "leaver_rate", rate[k][b], 3, rate_se[k][b], 3,
                NULL);
        }
    for (int k = 0; k < NROLE; k++)
        row(&o, role_name[k], NULL, "joiners", joiners[k], 0, joiners_se[k], 0, NULL);
    for (int k = 0; k < NROLE; k++)
        for (int b = 0; b < NBAND; b++)
            row(&o, role_name[k], band_name[b], "joiner_share", joiner_share[k][b] / 100.0, 2, 0, 0,
                NULL);
    for (size_t t = 0; t < sizeof transition / sizeof transition[0]; t++) {
        char param[64];
        snprintf(param, sizeof param, "transition:%s", role_name[transition[t].to]);
        row(&o, role_name[transition[t].from], NULL, param, transition[t].rate, 3, transition[t].se,
            3, NULL);
    }
    for (int k = 0; k < NROLE; k++)
        row(&o, role_name[k], NULL, "demand", demand[k], 0, demand_se[k], 0, NULL);
    for (int k = 0; k < NROLE; k++)
        row(&o, role_name[k], NULL, "demand_growth", growth[k], 3, 0.005, 3, NULL);
    row(&o, NULL, NULL, "base_year", 2016, 0, 0, 0, NULL);

    /* Scenarios override the rows above. */
    for (int k = 0; k < NROLE; k++)
        for (int b = 0; b < NBAND; b++)
            row(&o, role_name[k], band_name[b], "leaver_rate", 0.8 * rate[k][b], 3,
                0.8 * rate_se[k][b], 3, "improved_retention");
    /* From the first projected year a tenth of social workers' demand moves
     * to unqualified care managers. */
    {
        char param[64];
        snprintf(param, sizeof param, "demand_shift:%s", role_name[R_CM]);
        row(&o, role_name[R_SW], NULL, param, 0.10, 2, 0.03, 2, "outsourcing");
    }
    for (int k = 0; k < NROLE; k++)
        row(&o, role_name[k], NULL, "demand_growth", growth[k] + 0.015, 3, 0.008, 3, "high_demand");
    for (int y = 0; y < 11; y++) {
        char param[32];
        snprintf(param, sizeof param, "driver:%d", 2016 + y);
        row(&o, NULL, NULL, param, over65[y], 2, 0, 0, "ageing_population");
    }
    gsl_rng_free(r);
    int bad = out_close(&o) != 0;
    printf("projection: %d roles x %d age bands\n", NROLE, NBAND);
    return bad;
}
