/* personalisation.c - datasets/personalisation-2009: a synthetic survey of
 * council adult social care staff in February 2009, its population table and
 * the councils' transformation strategy status.
 *
 * Design: the 9 regions are strata; in each, councils are drawn with
 * probability proportional to their staff (systematic PPS, large councils
 * taken with certainty); in each drawn council a fixed number of staff of
 * each role is invited (managers are over-sampled). Response depends on role
 * and region (care managers and London staff answer least), which is the
 * deliberate nonresponse bias. Respondents' weights are the inverse
 * selection probabilities post-stratified to the role x region population
 * counts. The answers come from latent scores whose cut-points are set so
 * that the weighted shares equal the published figures.
 */
#include "gendata.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#define SEED 20090201UL

/* Published figures (weighted shares). */
#define TARGET_NOT_MET     0.46
#define TARGET_NO_GUIDANCE 0.56
/* Synthetic companions of the published figures. */
#define SHARE_FULLY_MET    0.15
#define SHARE_YES_GUIDANCE 0.31

enum { NSAMPLE_COUNCILS = 60 };

static const int invite[NROLE] = {4, 2, 3, 1, 1};
/* Response propensities (probabilities before region and council effects). */
static const double respond[NROLE] = {0.66, 0.72, 0.40, 0.82, 0.88};
static const double respond_region[NREGION] = {0.3, 0.1, 0.1, 0.0, 0.0, 0.0, -0.45, -0.1, 0.15};

/* Latent "training needs unmet" and "not enough guidance" scores. */
static const double train_role[NROLE] = {0.10, -0.15, 0.75, -0.45, -0.75};
static const double train_region[NREGION] = {-0.10, 0.05, 0.0,   0.10, 0.05,
                                             -0.05, 0.25, -0.10, -0.05};
static const double guide_role[NROLE] = {0.10, -0.05, 0.65, -0.40, -0.70};

enum { ST_IN_PLACE, ST_DEVELOPING, ST_EARLY, ST_NONE, NSTATUS };
static const char *const status_name[NSTATUS] = {"In place", "Developing", "Early stage", "None"};
/* A quarter in place (38 of 150) and a fifth at an early stage (30). */
static const int status_count[NSTATUS] = {38, 68, 30, 14};
static const double status_effect[NSTATUS] = {-0.30, 0.0, 0.20, 0.35};

static const double band_mix[NROLE][NBAND] = {{0.04, 0.30, 0.25, 0.23, 0.16, 0.02},
                                              {0.00, 0.18, 0.32, 0.30, 0.18, 0.02},
                                              {0.08, 0.25, 0.22, 0.25, 0.18, 0.02},
                                              {0.00, 0.08, 0.32, 0.38, 0.20, 0.02},
                                              {0.00, 0.03, 0.25, 0.45, 0.25, 0.02}};
static const double years_mean[NROLE] = {4.5, 8.0, 6.0, 7.5, 9.0};

static const char *const likert_name[] = {"role_clear", "skills_valued",
                                          "confident_self_assessment", "worried_deskilling",
                                          "supports_personalisation"};
enum { NLIKERT = 5 };
/* Each item: intercept, loading on the training score, loading on the
 * guidance score (higher = agree more). */
static const double likert_coef[NLIKERT][3] = {{0.2, -0.45, -0.45},
                                               {-0.1, -0.35, -0.10},
                                               {0.3, -0.60, -0.20},
                                               {0.4, 0.40, 0.15},
                                               {0.7, -0.15, -0.05}};

static const char *const want_name[] = {"want_self_assessment",     "want_support_planning",
                                        "want_resource_allocation", "want_direct_payments",
                                        "want_safeguarding",        "want_brokerage",
                                        "want_mental_capacity",     "want_outcome_reviews"};
enum { NWANT = 8 };
static const double want_base[NWANT] = {0.55, 0.50, 0.45, 0.35, 0.30, 0.25, 0.20, 0.28};

static double logistic(double x)
{
    return 1 / (1 + exp(-x));
}

static double logit(double p)
{
    return log(p / (1 - p));
}

typedef struct resp {
    size_t council;
    int role;
    double base_weight;
    double weight;
} resp;

int gen_personalisation(const char *dir, const frame *f)
{
    gsl_rng *r = rng_new(SEED);
    int bad = 0;

    /* Population: staff by role and region. */
    double pop[NROLE][NREGION] = {{0}};
    double region_staff[NREGION] = {0};
    for (size_t c = 0; c < NCOUNCIL; c++)
        for (int k = 0; k < NROLE; k++) {
            pop[k][councils[c].region] += (double)f->staff[c][k];
            region_staff[councils[c].region] += (double)f->staff[c][k];
        }

    /* Councils' strategy status: exact counts, assigned at random. */
    int status[NCOUNCIL];
    {
        size_t order[NCOUNCIL];
        for (size_t c = 0; c < NCOUNCIL; c++) order[c] = c;
        gsl_ran_shuffle(r, order, NCOUNCIL, sizeof order[0]);
        size_t j = 0;
        for (int s = 0; s < NSTATUS; s++)
            for (int k = 0; k < status_count[s]; k++) status[order[j++]] = s;
    }

    /* Stage 1: councils per region proportional to staff (at least 3),
     * drawn by systematic PPS within each region. */
    size_t m[NREGION];
    allocate(m, region_staff, NREGION, NSAMPLE_COUNCILS, 3);
    double pi[NCOUNCIL] = {0}, size[NCOUNCIL];
    int sampled[NCOUNCIL] = {0};
    for (size_t c = 0; c < NCOUNCIL; c++) size[c] = (double)f->total[c];
    for (int h = 0; h < NREGION; h++) pps_region(r, h, m[h], size, sampled, pi);

    /* Stage 2: invitations and response. */
    resp *R = malloc(NCOUNCIL * 12 * sizeof *R);
    if (!R) exit(1);
    size_t n = 0;
    for (size_t c = 0; c < NCOUNCIL; c++) {
        if (!sampled[c]) continue;
        double engage = rng_normal(r, 0.30);
        for (int k = 0; k < NROLE; k++) {
            long kk = invite[k] < f->staff[c][k] ? invite[k] : f->staff[c][k];
            for (long j = 0; j < kk; j++) {
                double p =
                    logistic(logit(respond[k]) + respond_region[councils[c].region] + engage);
                if (!rng_bernoulli(r, p)) continue;
                R[n].council = c;
                R[n].role = k;
                R[n].base_weight = 1 / pi[c] * (double)f->staff[c][k] / (double)kk;
                n++;
            }
        }
    }

    /* Post-stratification to the role x region counts. */
    size_t *cell = malloc(n * sizeof *cell);
    double *w = malloc(n * sizeof *w);
    if (!cell || !w) exit(1);
    double cellsum[NROLE * NREGION] = {0}, celltot[NROLE * NREGION];
    size_t celln[NROLE * NREGION] = {0};
    for (size_t i = 0; i < n; i++) {
        cell[i] = (size_t)R[i].role * NREGION + (size_t)councils[R[i].council].region;
        cellsum[cell[i]] += R[i].base_weight;
        celln[cell[i]]++;
    }
    for (int k = 0; k < NROLE; k++)
        for (int h = 0; h < NREGION; h++) {
            size_t j = (size_t)k * NREGION + (size_t)h;
            celltot[j] = pop[k][h];
            if (celln[j] < 2) {
                fprintf(stderr, "gendata: personalisation: %zu respondents in cell %s x %s\n",
                        celln[j], role_name[k], region_name[h]);
                bad = 1;
            }
        }
    for (size_t i = 0; i < n; i++) w[i] = R[i].base_weight * celltot[cell[i]] / cellsum[cell[i]];
    round_weights(w, cell, n, celltot, NROLE * NREGION, 4);
    for (size_t i = 0; i < n; i++) R[i].weight = w[i];

    /* Latent scores: role, region and strategy effects, a council effect
     * (the source of the cluster design effect) and individual noise. */
    double ctrain[NCOUNCIL], cguide[NCOUNCIL];
    for (size_t c = 0; c < NCOUNCIL; c++) {
        ctrain[c] = rng_normal(r, 0.30);
        cguide[c] = rng_normal(r, 0.25);
    }
    double *L = malloc(n * sizeof *L), *G = malloc(n * sizeof *G), *negL = malloc(n * sizeof *negL),
           *negG = malloc(n * sizeof *negG);
    if (!L || !G || !negL || !negG) exit(1);
    for (size_t i = 0; i < n; i++) {
        size_t c = R[i].council;
        L[i] = train_role[R[i].role] + train_region[councils[c].region] + status_effect[status[c]] +
               ctrain[c] + rng_normal(r, 1.0);
        G[i] = guide_role[R[i].role] + 0.35 * L[i] + 0.5 * status_effect[status[c]] + cguide[c] +
               rng_normal(r, 1.0);
        negL[i] = -L[i];
        negG[i] = -G[i];
    }
    double cut_not_met = upper_cut(L, w, n, TARGET_NOT_MET);
    double cut_fully = -upper_cut(negL, w, n, SHARE_FULLY_MET);
    double cut_no = upper_cut(G, w, n, TARGET_NO_GUIDANCE);
    double cut_yes = -upper_cut(negG, w, n, SHARE_YES_GUIDANCE);

    /* Write staff.csv. */
    outfile o;
    if (out_open(&o, dir, "personalisation-2009", "staff.csv")) return 1;
    {
        const char *head[64];
        size_t h = 0;
        const char *fixed[] = {"id",
                               "region",
                               "council",
                               "employer_type",
                               "role",
                               "qualified",
                               "sex",
                               "age_band",
                               "years_in_post",
                               "caseload",
                               "training_needs_met",
                               "enough_guidance"};
        for (size_t j = 0; j < sizeof fixed / sizeof fixed[0]; j++) head[h++] = fixed[j];
        for (int j = 0; j < NLIKERT; j++) head[h++] = likert_name[j];
        for (int j = 0; j < NWANT; j++) head[h++] = want_name[j];
        head[h++] = "design_weight";
        head[h++] = "weight";
        head[h] = NULL;
        out_header(&o, head);
    }
    int *notmet = malloc(n * sizeof *notmet), *noguide = malloc(n * sizeof *noguide);
    if (!notmet || !noguide) exit(1);
    /* Rows in region, council, role order (the order of the table above). */
    size_t id = 0;
    for (int h = 0; h < NREGION; h++)
        for (size_t c = 0; c < NCOUNCIL; c++) {
            if (councils[c].region != h) continue;
            for (size_t i = 0; i < n; i++) {
                if (R[i].council != c) continue;
                int k = R[i].role;
                out_int(&o, (long)++id);
                out_text(&o, region_name[h]);
                out_text(&o, councils[c].name);
                out_text(&o, council_type_name[councils[c].type]);
                out_text(&o, role_name[k]);
                int qual = k == R_CM ? 0 : k == R_SM ? rng_bernoulli(r, 0.85) : 1;
                out_text(&o, qual ? "Yes" : "No");
                out_text(&o, rng_bernoulli(r, 0.78) ? "Female" : "Male");
                out_text(&o, band_name[rng_pick(r, band_mix[k], NBAND)]);
                long years = lround(floor(gsl_ran_gamma(r, 1.6, years_mean[k] / 1.6)));
                if (years > 35) years = 35;
                out_int(&o, years);
                if (k == R_TM || k == R_SM || rng_bernoulli(r, 0.03)) {
                    out_na(&o);
                } else {
                    static const double mean[NROLE] = {31, 26, 38, 0, 0};
                    long cl = lround(mean[k] + rng_normal(r, 8.0) + 3 * L[i]);
                    out_int(&o, cl < 3 ? 3 : cl);
                }
                const char *tn = L[i] > cut_not_met ? "Not met"
                                 : L[i] < cut_fully ? "Fully met"
                                                    : "Partly met";
                const char *eg = G[i] > cut_no ? "No" : G[i] < cut_yes ? "Yes" : "Don't know";
                notmet[i] = L[i] > cut_not_met;
                noguide[i] = G[i] > cut_no;
                out_text(&o, tn);
                out_text(&o, eg);
                for (int j = 0; j < NLIKERT; j++) {
                    double x = likert_coef[j][0] + likert_coef[j][1] * L[i] +
                               likert_coef[j][2] * G[i] + rng_normal(r, 0.9);
                    /* Fixed cut-points on the latent scale; 2% do not answer. */
                    if (rng_bernoulli(r, 0.02)) {
                        out_na(&o);
                        continue;
                    }
                    long v = x < -1.3 ? 1 : x < -0.4 ? 2 : x < 0.3 ? 3 : x < 1.3 ? 4 : 5;
                    out_int(&o, v);
                }
                for (int j = 0; j < NWANT; j++) {
                    double p = logistic(logit(want_base[j]) + 0.45 * L[i] -
                                        (k == R_SM || k == R_TM ? 0.3 : 0));
                    out_int(&o, rng_bernoulli(r, p));
                }
                out_fixed(&o, R[i].base_weight, 4);
                out_fixed(&o, R[i].weight, 4);
                out_endrow(&o);
            }
        }
    bad |= out_close(&o) != 0;

    /* population.csv: role x region; margins.csv: the same in long form. */
    if (out_open(&o, dir, "personalisation-2009", "population.csv")) return 1;
    out_header(&o, (const char *const[]){"role", "region", "total", NULL});
    for (int k = 0; k < NROLE; k++)
        for (int h = 0; h < NREGION; h++) {
            out_text(&o, role_name[k]);
            out_text(&o, region_name[h]);
            out_int(&o, lround(pop[k][h]));
            out_endrow(&o);
        }
    bad |= out_close(&o) != 0;
    if (out_open(&o, dir, "personalisation-2009", "margins.csv")) return 1;
    out_header(&o, (const char *const[]){"variable", "level", "total", NULL});
    for (int k = 0; k < NROLE; k++) {
        double t = 0;
        for (int h = 0; h < NREGION; h++) t += pop[k][h];
        out_text(&o, "role");
        out_text(&o, role_name[k]);
        out_int(&o, lround(t));
        out_endrow(&o);
    }
    for (int h = 0; h < NREGION; h++) {
        out_text(&o, "region");
        out_text(&o, region_name[h]);
        out_int(&o, lround(region_staff[h]));
        out_endrow(&o);
    }
    bad |= out_close(&o) != 0;

    /* councils.csv */
    if (out_open(&o, dir, "personalisation-2009", "councils.csv")) return 1;
    out_header(&o, (const char *const[]){"council", "region", "council_type", "strategy_status",
                                         "in_staff_survey", NULL});
    for (size_t c = 0; c < NCOUNCIL; c++) {
        out_text(&o, councils[c].name);
        out_text(&o, region_name[councils[c].region]);
        out_text(&o, council_type_name[councils[c].type]);
        out_text(&o, status_name[status[c]]);
        out_text(&o, sampled[c] ? "Yes" : "No");
        out_endrow(&o);
    }
    bad |= out_close(&o) != 0;

    /* Targets. */
    size_t nsampled = 0;
    for (size_t c = 0; c < NCOUNCIL; c++) nsampled += (size_t)sampled[c];
    printf("personalisation-2009: %zu respondents in %zu councils\n", n, nsampled);
    double wn = wshare(w, notmet, n), un = ushare(notmet, n);
    double wg = wshare(w, noguide, n), ug = ushare(noguide, n);
    bad |= check("respondents", (double)n, 380, 460);
    bad |= check("training_needs_met = Not met, weighted", wn, 0.43, 0.49);
    bad |= check("training_needs_met = Not met, |weighted - unweighted|", fabs(wn - un), 0.02, 1);
    bad |= check("enough_guidance = No, weighted", wg, 0.53, 0.59);
    bad |= check("enough_guidance = No, |weighted - unweighted|", fabs(wg - ug), 0.02, 1);
    int inplace[NCOUNCIL], early[NCOUNCIL];
    for (size_t c = 0; c < NCOUNCIL; c++) {
        inplace[c] = status[c] == ST_IN_PLACE;
        early[c] = status[c] == ST_EARLY;
    }
    bad |= check("strategy_status = In place (councils)", ushare(inplace, NCOUNCIL), 0.23, 0.27);
    bad |= check("strategy_status = Early stage (councils)", ushare(early, NCOUNCIL), 0.18, 0.22);

    free(notmet);
    free(noguide);
    free(L);
    free(G);
    free(negL);
    free(negG);
    free(cell);
    free(w);
    free(R);
    gsl_rng_free(r);
    return bad;
}
