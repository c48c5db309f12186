/* workforce.c - datasets/council-workforce: a synthetic panel of the 150
 * councils' adult social work posts, 2005-2016, with the documented cases
 * written in exactly, a delayed-discharge indicator for 2014-15 and the
 * councils' interest in the social work practice pilots.
 *
 * Posts follow national year indices (qualified posts flat to 2010, then
 * cut; unqualified posts growing throughout: the role erosion the toolkit
 * is built to measure) with each council wandering around them.
 */
#include "gendata.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#define SEED_PANEL 20050930UL
#define SEED_OTHER 20150331UL

/* National indices, 2008 = 1. */
static const double qual_index[NYEAR] = {0.96, 0.98, 0.99, 1.00, 1.01, 1.00,
                                         0.96, 0.93, 0.91, 0.90, 0.90, 0.91};
static const double unq_index[NYEAR] = {0.88, 0.92, 0.96, 1.00, 1.04, 1.08,
                                        1.12, 1.16, 1.19, 1.22, 1.24, 1.26};
static const double vacancy_rate[NYEAR] = {0.100, 0.105, 0.110, 0.110, 0.100, 0.080,
                                           0.070, 0.070, 0.080, 0.090, 0.100, 0.110};
static const double turnover[NYEAR] = {0.12, 0.12, 0.13, 0.13, 0.12, 0.11,
                                       0.13, 0.13, 0.12, 0.13, 0.14, 0.14};
static const double region_vacancy[NREGION] = {0.6, 0.85, 0.8, 0.9, 0.95, 1.1, 1.6, 1.3, 1.0};

/* The published figures. */
#define WIRRAL_SW_CHANGE    (-260) /* -26.0 FTE, 2008 to 2009 */
#define WIRRAL_NONSW_CHANGE (290)  /* +29.0 FTE */
#define SWINDON_DTOC        6.9
#define ENGLAND_DTOC        3.7
#define SWP_INTEREST        17

void panel_build(panel *p, const frame *f)
{
    gsl_rng *r = rng_new(SEED_PANEL);
    size_t wirral = council_index("Wirral");
    for (size_t c = 0; c < NCOUNCIL; c++) {
        double q08 = 0.93 * (double)(f->staff[c][R_SW] + f->staff[c][R_SP] + f->staff[c][R_TM]);
        double u08 = 0.90 * (double)f->staff[c][R_CM];
        /* How hard this council cut after 2010, and its own drift. */
        double cut = rng_normal(r, 0.02);
        double dq[NYEAR], du[NYEAR], q[NYEAR], u[NYEAR];
        for (int y = 0; y < NYEAR; y++) {
            dq[y] = (y ? dq[y - 1] : 0) + rng_normal(r, 0.025);
            du[y] = (y ? du[y - 1] : 0) + rng_normal(r, 0.035);
        }
        /* The walks are centred on 2008, the year of the frame. */
        const int base = 2008 - YEAR0;
        for (int y = 0; y < NYEAR; y++) {
            double extra = y + YEAR0 > 2010 ? cut * (double)(y + YEAR0 - 2010) : 0;
            q[y] = q08 * qual_index[y] * exp(dq[y] - dq[base] + extra);
            u[y] = u08 * unq_index[y] * exp(du[y] - du[base] - 0.5 * extra);
        }
        for (int y = 0; y < NYEAR; y++) {
            p->qualified[c][y] = to_units(q[y], 1);
            p->unqualified[c][y] = to_units(u[y], 1);
        }
        if (c == wirral) {
            /* Wirral: 26 social work posts cut and 29 non-social-work posts
             * added in adult services between 2008 and 2009; later years
             * move with the council's own trend from the new level. */
            const int y8 = 2008 - YEAR0, y9 = 2009 - YEAR0;
            int64_t q9 = p->qualified[c][y8] + WIRRAL_SW_CHANGE;
            int64_t u9 = p->unqualified[c][y8] + WIRRAL_NONSW_CHANGE;
            for (int y = y9 + 1; y < NYEAR; y++) {
                p->qualified[c][y] = to_units(from_units(q9, 1) * q[y] / q[y9], 1);
                p->unqualified[c][y] = to_units(from_units(u9, 1) * u[y] / u[y9], 1);
            }
            p->qualified[c][y9] = q9;
            p->unqualified[c][y9] = u9;
        }
    }
    gsl_rng_free(r);
}

static const char *delivery_model(size_t c, int year)
{
    const char *name = councils[c].name;
    /* Swindon's adult social care went to the social enterprise SEQOL in
     * 2011 and came back in-house in 2016. */
    if (strcmp(name, "Swindon") == 0 && year >= 2011 && year <= 2015) return "Social enterprise";
    /* Care-trust arrangements (dates simplified, see the README). */
    if (strcmp(name, "Torbay") == 0 && year >= 2006) return "Trust";
    if (strcmp(name, "Northumberland") == 0) return "Trust";
    return "In-house";
}

static const char *planned_model(size_t c, int year)
{
    /* Birmingham's planned social enterprise for adult social work. */
    if (strcmp(councils[c].name, "Birmingham") == 0 && (year == 2013 || year == 2014))
        return "Social enterprise";
    return NULL;
}

int gen_council_workforce(const char *dir, const frame *f)
{
    static panel p;
    panel_build(&p, f);
    gsl_rng *r = rng_new(SEED_OTHER);
    int bad = 0;
    outfile o;

    if (out_open(&o, dir, "council-workforce", "posts.csv")) return 1;
    out_header(&o, (const char *const[]){"council", "region", "year", "qualified_sw_fte",
                                         "unqualified_fte", "vacancies", "starters", "leavers",
                                         "agency_fte", "delivery_model", "planned_model", NULL});
    for (size_t c = 0; c < NCOUNCIL; c++) {
        double vac_level = exp(rng_normal(r, 0.25));
        for (int y = 0; y < NYEAR; y++) {
            double q = from_units(p.qualified[c][y], 1), u = from_units(p.unqualified[c][y], 1);
            double vac = q * vacancy_rate[y] * region_vacancy[councils[c].region] * vac_level *
                         exp(rng_normal(r, 0.20));
            double agency = vac * 0.6 * exp(rng_normal(r, 0.30));
            double heads = (q + u) / 0.9;
            long leavers = lround(heads * turnover[y] * exp(rng_normal(r, 0.20)));
            double change = 0;
            if (y > 0)
                change = (q + u - from_units(p.qualified[c][y - 1], 1) -
                          from_units(p.unqualified[c][y - 1], 1)) /
                         0.9;
            long starters = lround((double)leavers + change + rng_normal(r, 0.05 * heads));
            if (starters < 0) starters = 0;
            out_text(&o, councils[c].name);
            out_text(&o, region_name[councils[c].region]);
            out_int(&o, YEAR0 + y);
            out_units(&o, p.qualified[c][y], 1);
            out_units(&o, p.unqualified[c][y], 1);
            out_fixed(&o, vac, 1);
            out_int(&o, starters);
            out_int(&o, leavers);
            out_fixed(&o, agency, 1);
            out_text(&o, delivery_model(c, YEAR0 + y));
            const char *pm = planned_model(c, YEAR0 + y);
            if (pm)
                out_text(&o, pm);
            else
                out_na(&o);
            out_endrow(&o);
        }
    }
    bad |= out_close(&o) != 0;

    /* indicators.csv: delayed transfers of care attributable to social care
     * per 100,000 adults, 2014-15. The councils that are too small to
     * report (City of London, Isles of Scilly) are missing. */
    if (out_open(&o, dir, "council-workforce", "indicators.csv")) return 1;
    out_header(&o, (const char *const[]){"area", "area_type", "region", "period",
                                         "delayed_discharges_sc", NULL});
    for (size_t c = 0; c < NCOUNCIL; c++) {
        double v = ENGLAND_DTOC * exp(rng_normal(r, 0.55) - 0.15);
        out_text(&o, councils[c].name);
        out_text(&o, "Council");
        out_text(&o, region_name[councils[c].region]);
        out_text(&o, "2014-15");
        if (councils[c].type == CT_OTHER)
            out_na(&o);
        else if (strcmp(councils[c].name, "Swindon") == 0)
            out_fixed(&o, SWINDON_DTOC, 1);
        else
            out_fixed(&o, v, 1);
        out_endrow(&o);
    }
    out_text(&o, "England");
    out_text(&o, "England");
    out_na(&o);
    out_text(&o, "2014-15");
    out_fixed(&o, ENGLAND_DTOC, 1);
    out_endrow(&o);
    bad |= out_close(&o) != 0;

    /* councils.csv: interest in the social work practice pilots. */
    int swp[NCOUNCIL] = {0};
    {
        size_t order[NCOUNCIL], n = 0;
        for (size_t c = 0; c < NCOUNCIL; c++)
            if (councils[c].type != CT_OTHER) order[n++] = c;
        gsl_ran_shuffle(r, order, n, sizeof order[0]);
        for (size_t j = 0; j < SWP_INTEREST; j++) swp[order[j]] = 1;
    }
    if (out_open(&o, dir, "council-workforce", "councils.csv")) return 1;
    out_header(&o,
               (const char *const[]){"council", "region", "council_type", "swp_interest", NULL});
    for (size_t c = 0; c < NCOUNCIL; c++) {
        out_text(&o, councils[c].name);
        out_text(&o, region_name[councils[c].region]);
        out_text(&o, council_type_name[councils[c].type]);
        out_text(&o, swp[c] ? "Yes" : "No");
        out_endrow(&o);
    }
    bad |= out_close(&o) != 0;

    size_t w = council_index("Wirral");
    const int y8 = 2008 - YEAR0, y9 = 2009 - YEAR0;
    printf("council-workforce: %d councils x %d years\n", NCOUNCIL, NYEAR);
    bad |= check("Wirral qualified_sw_fte 2009 - 2008",
                 from_units(p.qualified[w][y9] - p.qualified[w][y8], 1), -26, -26);
    bad |= check("Wirral unqualified_fte 2009 - 2008",
                 from_units(p.unqualified[w][y9] - p.unqualified[w][y8], 1), 29, 29);
    size_t nswp = 0;
    for (size_t c = 0; c < NCOUNCIL; c++) nswp += (size_t)swp[c];
    bad |= check("councils with swp_interest = Yes", (double)nswp, SWP_INTEREST, SWP_INTEREST);
    gsl_rng_free(r);
    return bad;
}
