/* jobs.c - datasets/jobs-outlook: two synthetic waves of a survey of
 * qualified adult social workers (social workers, senior practitioners,
 * team managers) in councils.
 *
 * Wave 2008 (October 2008): two stages, councils drawn by PPS within
 * regions, qualified staff invited at random within each council; younger
 * staff, London staff and front-line social workers answer least; the
 * weights are the inverse selection probabilities raked to the region and
 * role margins of margins2008.csv.
 *
 * Wave 2010 (October 2010): a stratified random sample from a register of
 * qualified staff, the regions as strata; weights are the stratum count
 * over the respondents in the stratum, so they correct nonresponse by
 * region only (the role and age bias of the answers stays, as it would).
 * The 2010 answers about what happened in the respondent's team follow the
 * change of qualified and unqualified posts in their council in the
 * council-workforce panel.
 */
#include "gendata.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#define SEED_2008 20081001UL
#define SEED_2010 20101001UL

/* Published figure: 58% expected fewer social workers in post by 2011. */
#define TARGET_EXPECT_FEWER 0.58

enum { NQROLE = 3 };
static const int qrole[NQROLE] = {R_SW, R_SP, R_TM};

static const char *const team_name[] = {
    "Older people", "Physical disability", "Learning disability", "Mental health",
    "Hospital",     "Intake and duty"};
enum { NTEAM = 6 };
static const double team_mix[NTEAM] = {0.30, 0.14, 0.14, 0.16, 0.12, 0.14};

static const double band_mix[NQROLE][NBAND] = {{0.04, 0.31, 0.25, 0.22, 0.16, 0.02},
                                               {0.00, 0.17, 0.33, 0.31, 0.17, 0.02},
                                               {0.00, 0.08, 0.32, 0.38, 0.20, 0.02}};
/* Response: by role, age band and region (logit scale). */
static const double resp_role[NQROLE] = {0.0, 0.25, 0.45};
static const double resp_band[NBAND] = {-0.5, -0.35, 0.0, 0.1, 0.3, 0.3};
static const double resp_region[NREGION] = {0.2, 0.05, 0.05, 0.0, 0.0, 0.0, -0.4, -0.1, 0.1};

static double logistic(double x)
{
    return 1 / (1 + exp(-x));
}

static double logit(double p)
{
    return log(p / (1 - p));
}

typedef struct person {
    size_t council;
    int role; /* 0..NQROLE-1 */
    int band;
    int female;
    int team;
    long years_qualified;
    double w0, w;
} person;

static void draw_person(gsl_rng *r, person *p)
{
    p->band = (int)rng_pick(r, band_mix[p->role], NBAND);
    p->female = rng_bernoulli(r, 0.79);
    p->team = (int)rng_pick(r, team_mix, NTEAM);
    /* Years since qualifying: at least the years an older band implies. */
    static const double floor_years[NBAND] = {0, 1, 4, 7, 9, 10};
    static const double role_years[NQROLE] = {3, 8, 11};
    double y = floor_years[p->band] * 0.6 + role_years[p->role] * 0.5 + gsl_ran_gamma(r, 1.5, 3.0);
    long yl = lround(floor(y));
    static const long max_years[NBAND] = {3, 12, 22, 32, 42, 50};
    p->years_qualified = yl > max_years[p->band] ? max_years[p->band] : yl;
}

/* A three-level answer from a latent score: the top share `top` of the
 * weight gets a[0], the bottom share `bottom` gets a[2], the rest a[1]. */
typedef struct cuts3 {
    double hi, lo;
} cuts3;

static cuts3 cuts_for(const double *z, const double *w, size_t n, double top, double bottom)
{
    double *neg = malloc(n * sizeof *neg);
    if (!neg) exit(1);
    for (size_t i = 0; i < n; i++) neg[i] = -z[i];
    cuts3 c = {upper_cut(z, w, n, top), -upper_cut(neg, w, n, bottom)};
    free(neg);
    return c;
}

static int level3(double z, cuts3 c)
{
    return z > c.hi ? 0 : z < c.lo ? 2 : 1;
}

static long likert(double x)
{
    return x < -1.3 ? 1 : x < -0.4 ? 2 : x < 0.3 ? 3 : x < 1.3 ? 4 : 5;
}

/* ------------------------------------------------------------ wave 2008 */

static int wave2008(const char *dir, const frame *f)
{
    gsl_rng *r = rng_new(SEED_2008);
    int bad = 0;
    /* Population: qualified staff by council, region and role. */
    double qstaff[NCOUNCIL], region_pop[NREGION] = {0}, role_pop[NQROLE] = {0};
    for (size_t c = 0; c < NCOUNCIL; c++) {
        qstaff[c] = 0;
        for (int k = 0; k < NQROLE; k++) {
            qstaff[c] += (double)f->staff[c][qrole[k]];
            role_pop[k] += (double)f->staff[c][qrole[k]];
        }
        region_pop[councils[c].region] += qstaff[c];
    }
    size_t m[NREGION];
    allocate(m, region_pop, NREGION, 74, 3);
    double pi[NCOUNCIL] = {0};
    int sampled[NCOUNCIL] = {0};
    for (int h = 0; h < NREGION; h++) pps_region(r, h, m[h], qstaff, sampled, pi);

    person *P = malloc(NCOUNCIL * 16 * sizeof *P);
    if (!P) exit(1);
    size_t n = 0;
    for (size_t c = 0; c < NCOUNCIL; c++) {
        if (!sampled[c]) continue;
        long inv = 15, avail = lround(qstaff[c]);
        if (inv > avail) inv = avail;
        double engage = rng_normal(r, 0.3);
        for (long j = 0; j < inv; j++) {
            person p = {0};
            p.council = c;
            double rp[NQROLE];
            for (int k = 0; k < NQROLE; k++) rp[k] = (double)f->staff[c][qrole[k]] / qstaff[c];
            p.role = (int)rng_pick(r, rp, NQROLE);
            draw_person(r, &p);
            double pr = logistic(logit(0.55) + resp_role[p.role] + resp_band[p.band] +
                                 resp_region[councils[c].region] + engage);
            if (!rng_bernoulli(r, pr)) continue;
            p.w0 = 1 / pi[c] * qstaff[c] / (double)inv;
            P[n++] = p;
        }
    }

    /* Rake to the region and role margins, then round to 4 decimals. */
    double *w = malloc(n * sizeof *w);
    size_t *lr = malloc(n * sizeof *lr), *lk = malloc(n * sizeof *lk);
    if (!w || !lr || !lk) exit(1);
    for (size_t i = 0; i < n; i++) {
        w[i] = P[i].w0;
        lr[i] = (size_t)councils[P[i].council].region;
        lk[i] = (size_t)P[i].role;
    }
    {
        const size_t *lev[2] = {lr, lk};
        const size_t nlev[2] = {NREGION, NQROLE};
        const double *tot[2] = {region_pop, role_pop};
        rake(w, n, 2, lev, nlev, tot);
    }
    /* Rounding keeps the region totals exact; the role totals hold to the
     * rounding of a few weights. */
    round_weights(w, lr, n, region_pop, NREGION, 4);
    for (size_t i = 0; i < n; i++) P[i].w = w[i];

    /* Latent scores. */
    double cu[NCOUNCIL], cq[NCOUNCIL];
    for (size_t c = 0; c < NCOUNCIL; c++) {
        cu[c] = rng_normal(r, 0.35);
        /* Councils with more unqualified care managers already use them for
         * assessments and care management. */
        cq[c] = 4.0 * ((double)f->staff[c][R_CM] / (double)f->total[c] - 0.31) + rng_normal(r, 0.4);
    }
    double *E = malloc(n * sizeof *E), *U = malloc(n * sizeof *U), *Q = malloc(n * sizeof *Q),
           *Lv = malloc(n * sizeof *Lv);
    if (!E || !U || !Q || !Lv) exit(1);
    static const double e_role[NQROLE] = {0.0, 0.1, 0.35};
    static const double e_band[NBAND] = {-0.3, -0.15, 0.0, 0.1, 0.2, 0.2};
    /* Staff in London and the South East, who answer least, expect cuts
     * most: the unweighted share understates the weighted one. */
    static const double e_region[NREGION] = {-0.2, 0.0, 0.0, -0.05, 0.0, 0.05, 0.45, 0.2, -0.1};
    static const double l_band[NBAND] = {0.3, 0.35, 0.0, -0.1, 0.9, 1.8};
    for (size_t i = 0; i < n; i++) {
        size_t c = P[i].council;
        E[i] = e_role[P[i].role] + e_band[P[i].band] + e_region[councils[c].region] + cu[c] +
               0.3 * cq[c] + rng_normal(r, 1);
        U[i] = 0.6 * E[i] + 0.3 * cq[c] + rng_normal(r, 0.9);
        Q[i] = cq[c] + 0.2 * P[i].role + rng_normal(r, 0.8);
        Lv[i] = l_band[P[i].band] + 0.25 * E[i] + rng_normal(r, 1);
    }
    cuts3 ce = cuts_for(E, w, n, TARGET_EXPECT_FEWER, 0.29);
    cuts3 cm = cuts_for(U, w, n, 0.52, 0.32);
    cuts3 cq3 = cuts_for(Q, w, n, 0.44, 0.48);
    double cl = upper_cut(Lv, w, n, 0.14);

    outfile o;
    if (out_open(&o, dir, "jobs-outlook", "wave2008.csv")) return 1;
    out_header(&o, (const char *const[]){"id", "region", "council", "role", "sex", "age_band",
                                         "years_qualified", "team_type", "caseload",
                                         "expect_fewer_sw_2011", "expect_more_unqualified_2011",
                                         "unqualified_care_management", "intend_to_leave_12m",
                                         "morale", "design_weight", "weight", NULL});
    static const char *const yes_dk_no[3] = {"Yes", "Don't know", "No"};
    int *yes = malloc(n * sizeof *yes);
    if (!yes) exit(1);
    for (size_t i = 0; i < n; i++) {
        const person *p = &P[i];
        out_int(&o, (long)i + 1);
        out_text(&o, region_name[councils[p->council].region]);
        out_text(&o, councils[p->council].name);
        out_text(&o, role_name[qrole[p->role]]);
        out_text(&o, p->female ? "Female" : "Male");
        out_text(&o, band_name[p->band]);
        out_int(&o, p->years_qualified);
        out_text(&o, team_name[p->team]);
        if (p->role == 2 || rng_bernoulli(r, 0.04))
            out_na(&o);
        else
            out_int(&o, lround(fmax(4, (p->role ? 24 : 30) + rng_normal(r, 8) + 2 * Q[i])));
        int e = level3(E[i], ce);
        yes[i] = e == 0;
        out_text(&o, yes_dk_no[e]);
        out_text(&o, yes_dk_no[level3(U[i], cm)]);
        out_text(&o, yes_dk_no[level3(Q[i], cq3)]);
        out_text(&o, Lv[i] > cl ? "Yes" : "No");
        if (rng_bernoulli(r, 0.02))
            out_na(&o);
        else
            out_int(&o, likert(0.2 - 0.5 * E[i] - 0.3 * Lv[i] + rng_normal(r, 0.9)));
        out_fixed(&o, p->w0, 4);
        out_fixed(&o, p->w, 4);
        out_endrow(&o);
    }
    bad |= out_close(&o) != 0;

    if (out_open(&o, dir, "jobs-outlook", "margins2008.csv")) return 1;
    out_header(&o, (const char *const[]){"variable", "level", "total", NULL});
    for (int h = 0; h < NREGION; h++) {
        out_text(&o, "region");
        out_text(&o, region_name[h]);
        out_int(&o, lround(region_pop[h]));
        out_endrow(&o);
    }
    for (int k = 0; k < NQROLE; k++) {
        out_text(&o, "role");
        out_text(&o, role_name[qrole[k]]);
        out_int(&o, lround(role_pop[k]));
        out_endrow(&o);
    }
    bad |= out_close(&o) != 0;

    size_t ns = 0;
    for (size_t c = 0; c < NCOUNCIL; c++) ns += (size_t)sampled[c];
    printf("jobs-outlook wave 2008: %zu respondents in %zu councils\n", n, ns);
    bad |= check("respondents", (double)n, 560, 640);
    bad |= check("expect_fewer_sw_2011 = Yes, weighted", wshare(w, yes, n), 0.55, 0.61);
    printf("  %-58s %9.4f\n", "expect_fewer_sw_2011 = Yes, unweighted", ushare(yes, n));
    free(yes);
    free(E);
    free(U);
    free(Q);
    free(Lv);
    free(w);
    free(lr);
    free(lk);
    free(P);
    gsl_rng_free(r);
    return bad;
}

/* ------------------------------------------------------------ wave 2010 */

static int wave2010(const char *dir, const frame *f)
{
    gsl_rng *r = rng_new(SEED_2010);
    int bad = 0;
    static panel pn;
    panel_build(&pn, f);
    const int y8 = 2008 - YEAR0, y10 = 2010 - YEAR0;

    /* The 2010 register: the 2008 qualified staff moved with the council's
     * qualified posts; the change of posts drives the answers. */
    double reg[NCOUNCIL][NQROLE], regc[NCOUNCIL], N[NREGION] = {0};
    double qchange[NCOUNCIL], uchange[NCOUNCIL];
    for (size_t c = 0; c < NCOUNCIL; c++) {
        qchange[c] = (double)pn.qualified[c][y10] / (double)pn.qualified[c][y8] - 1;
        uchange[c] = (double)pn.unqualified[c][y10] / (double)pn.unqualified[c][y8] - 1;
        regc[c] = 0;
        for (int k = 0; k < NQROLE; k++) {
            reg[c][k] = (double)lround((double)f->staff[c][qrole[k]] * (1 + qchange[c]));
            regc[c] += reg[c][k];
        }
        N[councils[c].region] += regc[c];
    }
    size_t inv[NREGION];
    allocate(inv, N, NREGION, 750, 20);

    person *P = malloc(800 * sizeof *P);
    size_t *stratum = malloc(800 * sizeof *stratum);
    if (!P || !stratum) exit(1);
    size_t n = 0, resp[NREGION] = {0};
    for (int h = 0; h < NREGION; h++) {
        /* Each invited person: a council in proportion to its register, then
         * a role in proportion to the council's roles. */
        double cp[NCOUNCIL];
        for (size_t c = 0; c < NCOUNCIL; c++) cp[c] = councils[c].region == h ? regc[c] / N[h] : 0;
        for (size_t j = 0; j < inv[h]; j++) {
            person p = {0};
            p.council = rng_pick(r, cp, NCOUNCIL);
            double rp[NQROLE];
            for (int k = 0; k < NQROLE; k++) rp[k] = reg[p.council][k] / regc[p.council];
            p.role = (int)rng_pick(r, rp, NQROLE);
            draw_person(r, &p);
            double pr =
                logistic(logit(0.50) + resp_role[p.role] + resp_band[p.band] + resp_region[h]);
            if (!rng_bernoulli(r, pr)) continue;
            stratum[n] = (size_t)h;
            P[n++] = p;
            resp[h]++;
        }
    }
    double *w = malloc(n * sizeof *w);
    if (!w) exit(1);
    for (size_t i = 0; i < n; i++) w[i] = N[stratum[i]] / (double)resp[stratum[i]];
    round_weights(w, stratum, n, N, NREGION, 4);

    double cu[NCOUNCIL], cq[NCOUNCIL];
    for (size_t c = 0; c < NCOUNCIL; c++) {
        cu[c] = rng_normal(r, 0.25);
        cq[c] = 4.0 * ((double)f->staff[c][R_CM] / (double)f->total[c] - 0.31) + rng_normal(r, 0.4);
    }
    double *S = malloc(n * sizeof *S), *U = malloc(n * sizeof *U), *Rp = malloc(n * sizeof *Rp),
           *Q = malloc(n * sizeof *Q), *Lv = malloc(n * sizeof *Lv);
    if (!S || !U || !Rp || !Q || !Lv) exit(1);
    static const double l_band[NBAND] = {0.3, 0.35, 0.0, -0.1, 0.9, 1.8};
    for (size_t i = 0; i < n; i++) {
        size_t c = P[i].council;
        /* Fewer social workers where the council cut qualified posts. */
        S[i] = -12.0 * qchange[c] + cu[c] + rng_normal(r, 0.8);
        U[i] = 8.0 * uchange[c] + 0.5 * cq[c] + rng_normal(r, 0.8);
        Rp[i] = 0.5 * S[i] + 0.4 * U[i] + rng_normal(r, 0.8);
        Q[i] = cq[c] + 0.3 * U[i] + 0.2 * P[i].role + rng_normal(r, 0.8);
        Lv[i] = l_band[P[i].band] + 0.3 * S[i] + rng_normal(r, 1);
    }
    cuts3 cs = cuts_for(S, w, n, 0.45, 0.14);
    cuts3 cu3 = cuts_for(U, w, n, 0.48, 0.12);
    cuts3 cr = cuts_for(Rp, w, n, 0.38, 0.50);
    cuts3 cq3 = cuts_for(Q, w, n, 0.57, 0.36);
    double cl = upper_cut(Lv, w, n, 0.19);

    outfile o;
    if (out_open(&o, dir, "jobs-outlook", "wave2010.csv")) return 1;
    out_header(&o, (const char *const[]){
                       "id", "region", "council", "role", "sex", "age_band", "years_qualified",
                       "team_type", "caseload", "team_sw_change", "team_unqualified_change",
                       "replaced_by_unqualified", "unqualified_care_management",
                       "intend_to_leave_12m", "morale", "stratum_size", "weight", NULL});
    static const char *const fewer_same_more[3] = {"Fewer", "Same", "More"};
    static const char *const more_same_fewer[3] = {"More", "Same", "Fewer"};
    static const char *const yes_dk_no[3] = {"Yes", "Don't know", "No"};
    int *fewer = malloc(n * sizeof *fewer);
    if (!fewer) exit(1);
    /* Rows in region order, then council order, as a register extract. */
    size_t id = 0;
    for (int h = 0; h < NREGION; h++)
        for (size_t c = 0; c < NCOUNCIL; c++)
            for (size_t i = 0; i < n; i++) {
                const person *p = &P[i];
                if (stratum[i] != (size_t)h || p->council != c) continue;
                out_int(&o, (long)++id);
                out_text(&o, region_name[h]);
                out_text(&o, councils[c].name);
                out_text(&o, role_name[qrole[p->role]]);
                out_text(&o, p->female ? "Female" : "Male");
                out_text(&o, band_name[p->band]);
                out_int(&o, p->years_qualified);
                out_text(&o, team_name[p->team]);
                if (p->role == 2 || rng_bernoulli(r, 0.04))
                    out_na(&o);
                else
                    out_int(&o, lround(fmax(4, (p->role ? 26 : 33) + rng_normal(r, 8) + 2 * S[i])));
                int s = level3(S[i], cs);
                fewer[i] = s == 0;
                out_text(&o, fewer_same_more[s]);
                out_text(&o, more_same_fewer[level3(U[i], cu3)]);
                out_text(&o, yes_dk_no[level3(Rp[i], cr)]);
                out_text(&o, yes_dk_no[level3(Q[i], cq3)]);
                out_text(&o, Lv[i] > cl ? "Yes" : "No");
                if (rng_bernoulli(r, 0.02))
                    out_na(&o);
                else
                    out_int(&o, likert(-0.1 - 0.4 * S[i] - 0.3 * Lv[i] + rng_normal(r, 0.9)));
                out_int(&o, lround(N[h]));
                out_fixed(&o, w[i], 4);
                out_endrow(&o);
            }
    bad |= out_close(&o) != 0;

    printf("jobs-outlook wave 2010: %zu respondents\n", n);
    bad |= check("respondents", (double)n, 330, 390);
    printf("  %-58s %9.4f\n", "team_sw_change = Fewer, weighted", wshare(w, fewer, n));
    free(fewer);
    free(S);
    free(U);
    free(Rp);
    free(Q);
    free(Lv);
    free(w);
    free(P);
    free(stratum);
    gsl_rng_free(r);
    return bad;
}

int gen_jobs_outlook(const char *dir, const frame *f)
{
    int bad = wave2008(dir, f);
    bad |= wave2010(dir, f);
    return bad;
}
