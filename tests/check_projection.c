/* check_projection.c - the projection module against closed forms.
 *
 * Every expected number here is computed independently of the code under
 * test: the one-band solution H(t) = J/l + (H0 - J/l)(1 - l)^t, the ageing
 * of a band (a tenth of a ten-year band moves up each year), the closed form
 * of a two-step transition chain, and Skills for Care's ratio method
 * (posts grow in proportion to the population aged 65 and over).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wfstat.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static wfs_model *model_text(const char *csv)
{
    wfs_model *m = NULL;
    wfs_error err = WFS_ERROR_INIT;
    int rc = wfs_model_read_buffer(&m, "test.csv", csv, strlen(csv), &err);
    ck_assert_msg(rc == 0, "model rejected: %s", err.message);
    return m;
}

static wfs_projection *run(const wfs_model *m, size_t years, size_t sims, unsigned long seed,
                           const char *scenario)
{
    wfs_projection_options o = WFS_PROJECTION_OPTIONS_INIT;
    o.years = years;
    o.sims = sims;
    o.seed = seed;
    o.scenario = scenario;
    wfs_projection *p = NULL;
    wfs_error err = WFS_ERROR_INIT;
    int rc = wfs_projection_run(&p, m, &o, &err);
    ck_assert_msg(rc == 0, "projection failed: %s", err.message);
    return p;
}

static double get(const wfs_projection *p, wfs_proj_stat stat, size_t role, size_t band,
                  size_t year)
{
    wfs_proj_value v;
    int rc = wfs_projection_get(&v, p, stat, role, band, year);
    ck_assert_msg(rc == 0, "no %s for role %zu band %zu year %zu", wfs_proj_stat_name(stat), role,
                  band, year);
    return v.value;
}

#define ck_close(x, want, tol)                                                                     \
    do {                                                                                           \
        double x_ = (x), w_ = (want);                                                              \
        ck_assert_msg(fabs(x_ - w_) <= (tol)*fmax(1, fabs(w_)), "%s = %.17g, expected %.17g", #x,  \
                      x_, w_);                                                                     \
    } while (0)

static const char one_band[] = "role,age_band,parameter,value,se\n"
                               "Social worker,,headcount,1000,\n"
                               "Social worker,,leaver_rate,0.15,\n"
                               "Social worker,,joiners,160,\n";

/* ------------------------------------------------------------------ */

START_TEST(one_band_closed_form)
{
    wfs_model *m = model_text(one_band);
    wfs_projection *p = run(m, 10, 0, 1, NULL);
    double H0 = 1000, l = 0.15, J = 160;
    for (size_t t = 0; t <= 10; t++) {
        double want = J / l + (H0 - J / l) * pow(1 - l, (double)t);
        ck_close(get(p, WFS_PROJ_HEADCOUNT, 0, WFS_PROJ_ALL, t), want, 1e-12);
        ck_close(get(p, WFS_PROJ_HEADCOUNT, WFS_PROJ_ALL, WFS_PROJ_ALL, t), want, 1e-12);
    }
    /* The figure: 1053.54 at year 10, to 1e-6. */
    ck_assert(fabs(get(p, WFS_PROJ_HEADCOUNT, 0, WFS_PROJ_ALL, 10) - 1053.5417063772852) < 1e-6);
    ck_assert(fabs(get(p, WFS_PROJ_HEADCOUNT, 0, WFS_PROJ_ALL, 10) - 1053.54) < 0.005);
    /* Flows of year 1 come from the base stock. */
    ck_close(get(p, WFS_PROJ_LEAVERS, 0, WFS_PROJ_ALL, 1), 150, 1e-12);
    ck_close(get(p, WFS_PROJ_JOINERS, 0, WFS_PROJ_ALL, 1), 160, 1e-12);
    ck_close(get(p, WFS_PROJ_REPLACEMENT, 0, WFS_PROJ_ALL, 1), 150, 1e-12);
    /* No flows in the base year, no demand without a demand row. */
    wfs_proj_value v;
    ck_assert_int_eq(wfs_projection_get(&v, p, WFS_PROJ_LEAVERS, 0, WFS_PROJ_ALL, 0),
                     WFS_ENOTFOUND);
    ck_assert_int_eq(wfs_projection_get(&v, p, WFS_PROJ_DEMAND, 0, WFS_PROJ_ALL, 3), WFS_ENOTFOUND);
    ck_assert(isnan(wfs_projection_year(p, 0)) == 0 && wfs_projection_year(p, 4) == 4);
    ck_assert(wfs_projection_identity_error(p) < 1e-14);
    ck_assert_int_eq(wfs_model_nbands(m), 1);
    ck_assert_str_eq(wfs_model_band(m, 0), "all");
    wfs_projection_free(p);
    wfs_model_free(m);
}
END_TEST

START_TEST(pure_ageing)
{
    wfs_model *m = model_text("role,age_band,parameter,value,se\n"
                              "SW,35-44,headcount,0,\n"
                              "SW,25-34,headcount,1000,\n"
                              "SW,45+,headcount,0,\n"
                              ",,leaver_rate,0,\n");
    ck_assert_int_eq(wfs_model_nbands(m), 3);
    ck_assert_str_eq(wfs_model_band(m, 0), "25-34");
    ck_assert_str_eq(wfs_model_band(m, 1), "35-44");
    wfs_projection *p = run(m, 2, 0, 1, NULL);
    /* A tenth of a ten-year band moves up each year. */
    ck_close(get(p, WFS_PROJ_HEADCOUNT, 0, 0, 1), 900, 1e-12);
    ck_close(get(p, WFS_PROJ_HEADCOUNT, 0, 1, 1), 100, 1e-12);
    ck_close(get(p, WFS_PROJ_HEADCOUNT, 0, 2, 1), 0, 1e-12);
    ck_close(get(p, WFS_PROJ_HEADCOUNT, 0, 0, 2), 810, 1e-12);
    ck_close(get(p, WFS_PROJ_HEADCOUNT, 0, 1, 2), 180, 1e-12);
    ck_close(get(p, WFS_PROJ_HEADCOUNT, 0, 2, 2), 10, 1e-12);
    ck_close(get(p, WFS_PROJ_HEADCOUNT, WFS_PROJ_ALL, 1, 2), 180, 1e-12);
    ck_close(get(p, WFS_PROJ_HEADCOUNT, 0, WFS_PROJ_ALL, 2), 1000, 1e-12);
    wfs_projection_free(p);
    wfs_model_free(m);
}
END_TEST

START_TEST(ageing_with_leavers_and_joiners)
{
    /* Leavers leave before ageing, joiners arrive after it, by the mix. */
    wfs_model *m = model_text("role,age_band,parameter,value,se\n"
                              "SW,20-24,headcount,500,\n"
                              "SW,25+,headcount,200,\n"
                              "SW,20-24,leaver_rate,0.1,\n"
                              "SW,25+,leaver_rate,0.05,\n"
                              "SW,,joiners,50,\n"
                              "SW,20-24,joiner_share,0.8,\n"
                              "SW,25+,joiner_share,0.2,\n");
    wfs_projection *p = run(m, 1, 0, 1, NULL);
    double young = 500 * 0.9, old = 200 * 0.95;
    ck_close(get(p, WFS_PROJ_HEADCOUNT, 0, 0, 1), young * 0.8 + 40, 1e-12);
    ck_close(get(p, WFS_PROJ_HEADCOUNT, 0, 1, 1), old + young * 0.2 + 10, 1e-12);
    ck_close(get(p, WFS_PROJ_LEAVERS, 0, 0, 1), 50, 1e-12);
    ck_close(get(p, WFS_PROJ_LEAVERS, 0, 1, 1), 10, 1e-12);
    ck_close(get(p, WFS_PROJ_JOINERS, 0, 1, 1), 10, 1e-12);
    wfs_projection_free(p);
    wfs_model_free(m);
}
END_TEST

START_TEST(transition_chain)
{
    /* A -> B at t1, B -> C at t2, nobody leaves: A(t) = A0 (1-t1)^t,
     * B(t) = B0 (1-t2)^t + t1 A0 ((1-t1)^t - (1-t2)^t) / (t2 - t1), and C
     * holds the rest. */
    wfs_model *m = model_text("role,age_band,parameter,value,se\n"
                              "A,,headcount,1000,\n"
                              "B,,headcount,200,\n"
                              "C,,headcount,50,\n"
                              ",,leaver_rate,0,\n"
                              "A,,transition:B,0.1,\n"
                              "B,,transition:C,0.05,\n");
    wfs_projection *p = run(m, 12, 0, 1, NULL);
    double A0 = 1000, B0 = 200, C0 = 50, t1 = 0.1, t2 = 0.05;
    for (size_t t = 0; t <= 12; t++) {
        double T = (double)t;
        double a = A0 * pow(1 - t1, T);
        double b = B0 * pow(1 - t2, T) + t1 * A0 * (pow(1 - t1, T) - pow(1 - t2, T)) / (t2 - t1);
        ck_close(get(p, WFS_PROJ_HEADCOUNT, 0, WFS_PROJ_ALL, t), a, 1e-12);
        ck_close(get(p, WFS_PROJ_HEADCOUNT, 1, WFS_PROJ_ALL, t), b, 1e-12);
        ck_close(get(p, WFS_PROJ_HEADCOUNT, 2, WFS_PROJ_ALL, t), A0 + B0 + C0 - a - b, 1e-12);
        ck_close(get(p, WFS_PROJ_HEADCOUNT, WFS_PROJ_ALL, WFS_PROJ_ALL, t), A0 + B0 + C0, 1e-12);
        if (t) {
            /* Replacement demand nets transitions: A loses, C gains. */
            double a_prev = A0 * pow(1 - t1, T - 1);
            ck_close(get(p, WFS_PROJ_REPLACEMENT, 0, WFS_PROJ_ALL, t), t1 * a_prev, 1e-12);
            ck_close(get(p, WFS_PROJ_REPLACEMENT, WFS_PROJ_ALL, WFS_PROJ_ALL, t), 0, 1e-12);
        }
    }
    ck_assert(wfs_projection_identity_error(p) < 1e-14);
    wfs_projection_free(p);
    wfs_model_free(m);
}
END_TEST

START_TEST(transition_with_leavers)
{
    /* B(t) = (1-l) B(t-1) + t A(t-1) with A losing t + la. */
    wfs_model *m = model_text("role,age_band,parameter,value,se\n"
                              "A,,headcount,800,\n"
                              "B,,headcount,0,\n"
                              "A,,leaver_rate,0.05,\n"
                              "B,,leaver_rate,0.25,\n"
                              "A,,transition:B,0.15,\n");
    wfs_projection *p = run(m, 8, 0, 1, NULL);
    double qa = 1 - 0.05 - 0.15, qb = 1 - 0.25, tr = 0.15, A0 = 800;
    for (size_t t = 0; t <= 8; t++) {
        double T = (double)t;
        ck_close(get(p, WFS_PROJ_HEADCOUNT, 0, WFS_PROJ_ALL, t), A0 * pow(qa, T), 1e-12);
        ck_close(get(p, WFS_PROJ_HEADCOUNT, 1, WFS_PROJ_ALL, t),
                 tr * A0 * (pow(qa, T) - pow(qb, T)) / (qa - qb), 1e-12);
    }
    wfs_projection_free(p);
    wfs_model_free(m);
}
END_TEST

START_TEST(skills_for_care_ratio)
{
    /* 1.84 million posts growing with the population aged 65+ by 29%
     * between 2022 and 2035 is about 540,000 more posts. */
    wfs_model *m = model_text("role,age_band,parameter,value,se\n"
                              "Adult social care,,headcount,1840000,\n"
                              "Adult social care,,leaver_rate,0,\n"
                              "Adult social care,,demand,1840000,\n"
                              ",,driver:2022,10.0,\n"
                              ",,driver:2035,12.9,\n");
    ck_assert(wfs_model_base_year(m) == 2022);
    wfs_projection *p = run(m, 13, 0, 1, NULL);
    ck_assert(wfs_projection_year(p, 13) == 2035);
    double d0 = get(p, WFS_PROJ_DEMAND, 0, WFS_PROJ_ALL, 0);
    double d13 = get(p, WFS_PROJ_DEMAND, WFS_PROJ_ALL, WFS_PROJ_ALL, 13);
    ck_close(d13 - d0, 1840000 * 0.29, 1e-9);
    ck_assert(fabs((d13 - d0) - 540000) / 540000 < 0.02);
    ck_close(get(p, WFS_PROJ_GAP, 0, WFS_PROJ_ALL, 13), 1840000 * 0.29, 1e-9);
    /* Linear between the years given. */
    ck_close(get(p, WFS_PROJ_DEMAND, 0, WFS_PROJ_ALL, 6), 1840000 * (1 + 0.29 * 6 / 13), 1e-12);
    /* Recruits needed: demand less the stock before joiners. */
    ck_close(get(p, WFS_PROJ_RECRUITS, 0, WFS_PROJ_ALL, 13), 1840000 * 0.29, 1e-9);
    wfs_projection_free(p);

    /* Beyond the series is an error. */
    wfs_projection_options o = WFS_PROJECTION_OPTIONS_INIT;
    o.years = 14;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_projection_run(&p, m, &o, &err), WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "2022 to 2035") && strstr(err.message, "2036"), "%s",
                  err.message);
    wfs_model_free(m);
}
END_TEST

START_TEST(demand_growth_and_shift)
{
    wfs_model *m = model_text("role,age_band,parameter,value,se,scenario\n"
                              "A,,headcount,100,,\n"
                              "B,,headcount,50,,\n"
                              ",,leaver_rate,0.1,,\n"
                              "A,,demand,110,,\n"
                              "B,,demand,60,,\n"
                              "A,,demand_growth,0.02,,\n"
                              "B,,demand_growth,-0.01,,\n"
                              ",,base_year,2025,,\n"
                              "A,,demand_shift:B,0.25,,outsourcing\n");
    wfs_projection *p = run(m, 5, 0, 1, NULL);
    for (size_t t = 0; t <= 5; t++) {
        ck_close(get(p, WFS_PROJ_DEMAND, 0, WFS_PROJ_ALL, t), 110 * pow(1.02, (double)t), 1e-12);
        ck_close(get(p, WFS_PROJ_DEMAND, 1, WFS_PROJ_ALL, t), 60 * pow(0.99, (double)t), 1e-12);
        ck_close(get(p, WFS_PROJ_GAP, 0, WFS_PROJ_ALL, t),
                 110 * pow(1.02, (double)t) - 100 * pow(0.9, (double)t), 1e-12);
    }
    ck_assert(wfs_projection_year(p, 5) == 2030);
    wfs_projection_free(p);
    p = run(m, 5, 0, 1, "outsourcing");
    ck_close(get(p, WFS_PROJ_DEMAND, 0, WFS_PROJ_ALL, 0), 110, 1e-12);
    ck_close(get(p, WFS_PROJ_DEMAND, 0, WFS_PROJ_ALL, 3), 110 * pow(1.02, 3) * 0.75, 1e-12);
    ck_close(get(p, WFS_PROJ_DEMAND, 1, WFS_PROJ_ALL, 3),
             60 * pow(0.99, 3) + 110 * pow(1.02, 3) * 0.25, 1e-12);
    wfs_projection_free(p);
    wfs_model_free(m);
}
END_TEST

START_TEST(own_driver_beats_common_growth)
{
    /* Every role grows by 1% a year except A, which follows its own
     * driver series (doubling over ten years, linear in between). */
    wfs_model *m = model_text("role,age_band,parameter,value,se\n"
                              "A,,headcount,100,\n"
                              "B,,headcount,50,\n"
                              ",,leaver_rate,0.1,\n"
                              "A,,demand,100,\n"
                              "B,,demand,50,\n"
                              ",,demand_growth,0.01,\n"
                              "A,,driver:2020,1,\n"
                              "A,,driver:2030,2,\n");
    wfs_projection *p = run(m, 10, 0, 1, NULL);
    ck_assert(wfs_projection_year(p, 0) == 2020);
    ck_close(get(p, WFS_PROJ_DEMAND, 0, WFS_PROJ_ALL, 4), 140, 1e-12);
    ck_close(get(p, WFS_PROJ_DEMAND, 1, WFS_PROJ_ALL, 4), 50 * pow(1.01, 4), 1e-12);
    wfs_projection_free(p);
    wfs_model_free(m);
}
END_TEST

START_TEST(scenario_demand_rule_replaces_base)
{
    /* The base model gives each role its own growth rate; the scenario's
     * driver series for every role replaces both (one demand rule per role),
     * and the other scenario's growth rate replaces A's driver. */
    wfs_model *m = model_text("role,age_band,parameter,value,se,scenario\n"
                              "A,,headcount,100,,\n"
                              "B,,headcount,50,,\n"
                              ",,leaver_rate,0.1,,\n"
                              "A,,demand,100,,\n"
                              "B,,demand,50,,\n"
                              "A,,demand_growth,0.02,,\n"
                              "B,,demand_growth,0.03,,\n"
                              ",,base_year,2020,,\n"
                              ",,driver:2020,4,,ageing\n"
                              ",,driver:2030,5,,ageing\n"
                              ",,demand_growth,-0.01,,shrinking\n");
    wfs_projection *p = run(m, 10, 0, 1, NULL);
    ck_close(get(p, WFS_PROJ_DEMAND, 1, WFS_PROJ_ALL, 10), 50 * pow(1.03, 10), 1e-12);
    wfs_projection_free(p);
    p = run(m, 10, 0, 1, "ageing");
    /* Linear between 4 (2020) and 5 (2030): 4.4 in 2024. */
    ck_close(get(p, WFS_PROJ_DEMAND, 0, WFS_PROJ_ALL, 4), 100 * 4.4 / 4, 1e-12);
    ck_close(get(p, WFS_PROJ_DEMAND, 1, WFS_PROJ_ALL, 10), 50 * 5.0 / 4, 1e-12);
    wfs_projection_free(p);
    p = run(m, 10, 0, 1, "shrinking");
    ck_close(get(p, WFS_PROJ_DEMAND, 0, WFS_PROJ_ALL, 10), 100 * pow(0.99, 10), 1e-12);
    ck_close(get(p, WFS_PROJ_DEMAND, 1, WFS_PROJ_ALL, 10), 50 * pow(0.99, 10), 1e-12);
    wfs_projection_free(p);
    wfs_model_free(m);
}
END_TEST

static char *path_of(const char *rel)
{
    size_t n = strlen(TOP_SRCDIR) + strlen(rel) + 2;
    char *s = malloc(n);
    ck_assert_ptr_nonnull(s);
    snprintf(s, n, "%s/%s", TOP_SRCDIR, rel);
    return s;
}

START_TEST(scenarios_from_file)
{
    char *path = path_of("tests/data/projection/two-roles.csv");
    wfs_model *m = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_msg(wfs_model_read(&m, path, &err) == 0, "%s", err.message);
    free(path);
    ck_assert_int_eq(wfs_model_nroles(m), 2);
    ck_assert_int_eq(wfs_model_nscenarios(m), 2);
    ck_assert_str_eq(wfs_model_scenario(m, 0), "improved retention");
    wfs_projection *base = run(m, 3, 0, 1, NULL);
    wfs_projection *ret = run(m, 3, 0, 1, "improved retention");
    /* Year-1 leavers come from the same base stock: exactly 0.8 times. */
    ck_close(get(ret, WFS_PROJ_LEAVERS, WFS_PROJ_ALL, WFS_PROJ_ALL, 1),
             0.8 * get(base, WFS_PROJ_LEAVERS, WFS_PROJ_ALL, WFS_PROJ_ALL, 1), 1e-12);
    /* Leavers of the base year stock by hand: social workers 600 and 500
     * at 0.14, 100 at 0.35; team managers 40 and 120 at 0.10, 20 at 0.35. */
    ck_close(get(base, WFS_PROJ_LEAVERS, WFS_PROJ_ALL, WFS_PROJ_ALL, 1),
             1100 * 0.14 + 100 * 0.35 + 160 * 0.10 + 20 * 0.35, 1e-12);
    ck_assert(get(ret, WFS_PROJ_HEADCOUNT, WFS_PROJ_ALL, WFS_PROJ_ALL, 3) >
              get(base, WFS_PROJ_HEADCOUNT, WFS_PROJ_ALL, WFS_PROJ_ALL, 3));
    wfs_projection_free(base);
    wfs_projection_free(ret);
    wfs_projection_options o = WFS_PROJECTION_OPTIONS_INIT;
    o.scenario = "better retention";
    wfs_projection *p;
    ck_assert_int_eq(wfs_projection_run(&p, m, &o, &err), WFS_ENOTFOUND);
    ck_assert_msg(strstr(err.message, "improved retention"), "%s", err.message);
    wfs_model_free(m);
}
END_TEST

START_TEST(simulation_reproducible)
{
    char *path = path_of("tests/data/projection/two-roles.csv");
    wfs_model *m = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_msg(wfs_model_read(&m, path, &err) == 0, "%s", err.message);
    free(path);
    wfs_projection *a = run(m, 10, 500, 42, NULL), *b = run(m, 10, 500, 42, NULL);
    wfs_projection *c = run(m, 10, 500, 43, NULL);
    ck_assert_int_eq(wfs_projection_sims(a), 500);
    int differs = 0;
    for (size_t t = 0; t <= 10; t++)
        for (int s = 0; s < 7; s++)
            for (size_t r = 0; r <= 2; r++) {
                size_t role = r == 2 ? WFS_PROJ_ALL : r;
                wfs_proj_value x, y, z;
                if (wfs_projection_get(&x, a, (wfs_proj_stat)s, role, WFS_PROJ_ALL, t)) continue;
                ck_assert_int_eq(wfs_projection_get(&y, b, (wfs_proj_stat)s, role, WFS_PROJ_ALL, t),
                                 0);
                ck_assert_int_eq(wfs_projection_get(&z, c, (wfs_proj_stat)s, role, WFS_PROJ_ALL, t),
                                 0);
                ck_assert(memcmp(&x, &y, sizeof x) == 0);
                differs |= x.p10 != z.p10 || x.p90 != z.p90;
                ck_assert(x.p10 <= x.p50 && x.p50 <= x.p90);
                ck_assert(x.sd >= 0);
            }
    ck_assert(differs);
    /* The band widens over time, and the base year is certain. */
    wfs_proj_value v0, v10;
    wfs_projection_get(&v0, a, WFS_PROJ_HEADCOUNT, WFS_PROJ_ALL, WFS_PROJ_ALL, 0);
    wfs_projection_get(&v10, a, WFS_PROJ_HEADCOUNT, WFS_PROJ_ALL, WFS_PROJ_ALL, 10);
    ck_assert(v0.p10 == 1380 && v0.p90 == 1380);
    ck_assert(v10.p90 - v10.p10 > 100);
    ck_assert(v10.p10 < v10.value && v10.value < v10.p90);
    ck_assert(wfs_projection_identity_error(a) < 1e-12);
    wfs_projection_free(a);
    wfs_projection_free(b);
    wfs_projection_free(c);
    wfs_model_free(m);
}
END_TEST

START_TEST(simulation_draws)
{
    /* A rate drawn on the logit scale has its point value as median; a
     * count drawn on the log scale too. With one band and no joiners the
     * year-1 headcount is H0 (1 - l), so its percentiles are those of l. */
    wfs_model *m = model_text("role,age_band,parameter,value,se\n"
                              "SW,,headcount,1000,\n"
                              "SW,,leaver_rate,0.2,0.02\n");
    wfs_projection *p = run(m, 1, 20000, 5, NULL);
    wfs_proj_value v;
    ck_assert_int_eq(wfs_projection_get(&v, p, WFS_PROJ_HEADCOUNT, 0, WFS_PROJ_ALL, 1), 0);
    ck_assert_msg(fabs(v.p50 - 800) < 1.0, "median %g", v.p50);
    /* sd of l is about 0.02, so of headcount about 20. */
    ck_assert_msg(fabs(v.sd - 20) < 1.0, "sd %g", v.sd);
    /* 10th/90th percentiles: logit(0.2) -/+ 1.2816 x 0.02/(0.2 x 0.8). */
    double s = 0.02 / 0.16, z = 1.2815515655446004;
    double l_hi = 1 / (1 + exp(-(log(0.25) + z * s))), l_lo = 1 / (1 + exp(-(log(0.25) - z * s)));
    ck_assert_msg(fabs(v.p10 - 1000 * (1 - l_hi)) < 1.0, "p10 %g want %g", v.p10,
                  1000 * (1 - l_hi));
    ck_assert_msg(fabs(v.p90 - 1000 * (1 - l_lo)) < 1.0, "p90 %g want %g", v.p90,
                  1000 * (1 - l_lo));
    wfs_projection_free(p);
    wfs_model_free(m);
}
END_TEST

START_TEST(overrides)
{
    wfs_model *m = model_text(one_band);
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_model_set(m, "leaver_rate", "Social worker", NULL, 0.2, 0.02, &err), 0);
    wfs_projection *p = run(m, 10, 0, 1, NULL);
    double want = 160 / 0.2 + (1000 - 160 / 0.2) * pow(0.8, 10);
    ck_close(get(p, WFS_PROJ_HEADCOUNT, 0, WFS_PROJ_ALL, 10), want, 1e-12);
    wfs_projection_free(p);
    /* A second override of the same parameter replaces the first. */
    ck_assert_int_eq(wfs_model_set(m, "leaver_rate", "Social worker", NULL, 0.15, 0, &err), 0);
    p = run(m, 10, 0, 1, NULL);
    ck_close(get(p, WFS_PROJ_HEADCOUNT, 0, WFS_PROJ_ALL, 10), 1053.5417063772852, 1e-12);
    wfs_projection_free(p);
    /* Bad overrides are rejected and change nothing. */
    ck_assert_int_eq(wfs_model_set(m, "leaver_rate", "Social worker", NULL, 1.5, 0, &err),
                     WFS_EPARSE);
    ck_assert_msg(strstr(err.message, "override leaver_rate[Social worker]"), "%s", err.message);
    ck_assert_int_eq(wfs_model_set(m, "leaver_rate", "Social workers", NULL, 0.1, 0, &err),
                     WFS_ENOTFOUND);
    ck_assert_msg(strstr(err.message, "did you mean Social worker"), "%s", err.message);
    ck_assert_int_eq(wfs_model_set(m, "leaver_rat", "Social worker", NULL, 0.1, 0, &err),
                     WFS_EPARSE);
    ck_assert_int_eq(wfs_model_set(m, "leaver_rate", "Social worker", "25-34", 0.1, 0, &err),
                     WFS_ENOTFOUND);
    ck_assert_int_eq(wfs_model_set(m, "joiners", "Social worker", NULL, 0, 5, &err), WFS_EPARSE);
    p = run(m, 10, 0, 1, NULL);
    ck_close(get(p, WFS_PROJ_HEADCOUNT, 0, WFS_PROJ_ALL, 10), 1053.5417063772852, 1e-12);
    wfs_projection_free(p);
    wfs_model_free(m);
}
END_TEST

static wfs_result *survey_result(const char *command)
{
    wfs_result *r;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_result_new(&r, command, "staff", &err), 0);
    static const char *const keys[] = {"role"};
    static const char *const sw[] = {"Social worker"}, *const tm[] = {"Team manager"};
    const char *const *doms[] = {sw, sw, tm, tm};
    const char *levels[] = {"No", "Yes", "No", "Yes"};
    const double est[] = {0.85, 0.15, 0.9, 0.1};
    for (size_t i = 0; i < 4; i++) {
        wfs_estimate e;
        wfs_estimate_init(&e);
        e.statistic = "prop";
        e.variable = "intend_leave";
        e.level = levels[i];
        e.ndomain = 1;
        e.domain_keys = keys;
        e.domain_values = doms[i];
        e.estimate = est[i];
        e.se = 0.02;
        ck_assert(wfs_result_add_estimate(r, &e) >= 0);
    }
    return r;
}

START_TEST(override_from_last_estimate)
{
    wfs_model *m = model_text(one_band);
    wfs_error err = WFS_ERROR_INIT;
    wfs_result *r = survey_result("prop");
    /* Several estimates: the caller must pick one. */
    ck_assert_int_eq(
        wfs_model_set_from_result(m, "leaver_rate", "Social worker", NULL, r, NULL, &err),
        WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "=last:LEVEL") && strstr(err.message, "4 estimates"), "%s",
                  err.message);
    ck_assert_int_eq(
        wfs_model_set_from_result(m, "leaver_rate", "Social worker", NULL, r, "Yes", &err),
        WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "more than one"), "%s", err.message);
    ck_assert_int_eq(wfs_model_set_from_result(m, "leaver_rate", "Social worker", NULL, r,
                                               "Maybe|Social worker", &err),
                     WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "matches no estimate"), "%s", err.message);
    ck_assert_int_eq(wfs_model_set_from_result(m, "leaver_rate", "Social worker", NULL, r,
                                               "Yes|Social worker", &err),
                     0);
    wfs_projection *p = run(m, 10, 0, 1, NULL);
    ck_close(get(p, WFS_PROJ_HEADCOUNT, 0, WFS_PROJ_ALL, 10), 1053.5417063772852, 1e-12);
    int noted = 0;
    for (size_t i = 0; i < wfs_projection_nwarnings(p); i++)
        noted |= strstr(wfs_projection_warning(p, i), "from the survey estimate prop "
                                                      "intend_leave = Yes (role = Social "
                                                      "worker) in staff") != NULL;
    ck_assert(noted);
    wfs_projection_free(p);
    /* The se came along: the simulation is no longer degenerate. */
    p = run(m, 5, 100, 1, NULL);
    wfs_proj_value v;
    wfs_projection_get(&v, p, WFS_PROJ_HEADCOUNT, 0, WFS_PROJ_ALL, 5);
    ck_assert(v.p90 > v.p10);
    wfs_projection_free(p);
    wfs_result_free(r);

    /* A single estimate needs no selection: the first and only one. */
    ck_assert_int_eq(wfs_result_new(&r, "mean", "staff", &err), 0);
    wfs_estimate e;
    wfs_estimate_init(&e);
    e.statistic = "mean";
    e.variable = "left_within_year";
    e.estimate = 0.2;
    e.se = 0.03;
    wfs_result_add_estimate(r, &e);
    ck_assert_int_eq(
        wfs_model_set_from_result(m, "leaver_rate", "Social worker", NULL, r, NULL, &err), 0);
    p = run(m, 10, 0, 1, NULL);
    ck_close(get(p, WFS_PROJ_HEADCOUNT, 0, WFS_PROJ_ALL, 10), 800 + (1000 - 800) * pow(0.8, 10),
             1e-12);
    wfs_projection_free(p);
    /* A rate with no SE, a mean that is not a rate. */
    {
        wfs_result_estimate_mut(r, 0)->se = NAN;
        ck_assert_int_eq(
            wfs_model_set_from_result(m, "leaver_rate", "Social worker", NULL, r, NULL, &err),
            WFS_EINVAL);
        ck_assert_msg(strstr(err.message, "no standard error"), "%s", err.message);
        wfs_result_estimate_mut(r, 0)->se = 2;
        wfs_result_estimate_mut(r, 0)->estimate = 41.5;
        ck_assert_int_eq(
            wfs_model_set_from_result(m, "leaver_rate", "Social worker", NULL, r, NULL, &err),
            WFS_EPARSE);
        ck_assert_msg(strstr(err.message, "outside [0, 1]"), "%s", err.message);
    }
    wfs_result_free(r);
    /* A projection or an empty result is not a survey estimate. */
    ck_assert_int_eq(wfs_result_new(&r, "project", "m.csv", &err), 0);
    wfs_estimate_init(&e);
    e.statistic = "headcount";
    e.variable = "all";
    e.estimate = 0.5;
    e.se = 0.1;
    wfs_result_add_estimate(r, &e);
    ck_assert_int_eq(
        wfs_model_set_from_result(m, "leaver_rate", "Social worker", NULL, r, NULL, &err),
        WFS_EINVAL);
    ck_assert_msg(strstr(err.message, "projection"), "%s", err.message);
    wfs_result_free(r);
    ck_assert_int_eq(wfs_result_new(&r, "load", "staff", &err), 0);
    ck_assert_int_eq(
        wfs_model_set_from_result(m, "leaver_rate", "Social worker", NULL, r, NULL, &err),
        WFS_EINVAL);
    ck_assert_int_eq(
        wfs_model_set_from_result(m, "leaver_rate", "Social worker", NULL, NULL, NULL, &err),
        WFS_EINVAL);
    wfs_result_free(r);
    wfs_model_free(m);
}
END_TEST

START_TEST(result_rows)
{
    char *path = path_of("tests/data/projection/two-roles.csv");
    wfs_model *m = NULL;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_msg(wfs_model_read(&m, path, &err) == 0, "%s", err.message);
    free(path);
    wfs_projection *p = run(m, 2, 50, 3, NULL);
    wfs_result *r;
    ck_assert_int_eq(wfs_projection_result(&r, p, "two-roles.csv", "all", &err), 0);
    ck_assert_str_eq(wfs_result_command(r), "project");
    ck_assert(wfs_result_ci_level(r) == 0.8);
    ck_assert_int_eq(wfs_result_layout(r), WFS_LAYOUT_PROJECTION);
    size_t n = wfs_result_nestimates(r), banded = 0, found = 0;
    /* Year 0: headcount 3 x (1 + 3 bands), demand 3, gap 3 = 18; years 1
     * and 2 add leavers and joiners by band (24), replacement and recruits
     * by role (6): 48 each. */
    ck_assert_int_eq(n, 18 + 2 * 48);
    for (size_t i = 0; i < n; i++) {
        const wfs_estimate *e = wfs_result_estimate(r, i);
        ck_assert(e->year >= 2024 && e->year <= 2026);
        ck_assert(e->ci_lower <= e->median && e->median <= e->ci_upper);
        if (e->ndomain) {
            banded++;
            ck_assert_str_eq(e->domain_keys[0], "age_band");
        }
        if (strcmp(e->statistic, "headcount") == 0 && strcmp(e->variable, "Social worker") == 0 &&
            e->ndomain && strcmp(e->domain_values[0], "60+") == 0 && e->year == 2024) {
            found = 1;
            ck_close(e->estimate, 100, 0);
        }
    }
    ck_assert(found);
    ck_assert_int_eq(banded, 9 + 2 * 27);
    char *text;
    size_t len;
    ck_assert_int_eq(wfs_render(&text, &len, r, WFS_FORMAT_TEXT, NULL, &err), 0);
    ck_assert_msg(strstr(text, "headcount by role") && strstr(text, "headcount, all roles") &&
                      strstr(text, "\xe2\x97\x8f projection"),
                  "%s", text);
    free(text);
    ck_assert_int_eq(wfs_render(&text, &len, r, WFS_FORMAT_JSON, NULL, &err), 0);
    ck_assert(strstr(text, "\"median\":") && strstr(text, "\"year\":2026"));
    free(text);
    char *chart;
    ck_assert_int_eq(wfs_projection_fanchart(&chart, &len, r, "Team manager", 60, 8, &err), 0);
    ck_assert(strstr(chart, "headcount of Team manager") && strstr(chart, "2026"));
    free(chart);
    ck_assert_int_eq(wfs_projection_fanchart(&chart, &len, r, "Nurse", 60, 8, &err), WFS_ENOTFOUND);
    ck_assert_msg(strstr(err.message, "Social worker"), "%s", err.message);
    wfs_result_free(r);
    wfs_projection_free(p);
    wfs_model_free(m);
}
END_TEST

START_TEST(warnings)
{
    wfs_model *m = model_text("role,age_band,parameter,value,se\n"
                              "SW,25-34,headcount,10,\n"
                              "SW,35-44,headcount,10,\n"
                              "SW,25-34,leaver_rate,0.7,\n"
                              "SW,35-44,leaver_rate,0.1,\n");
    wfs_projection *p = run(m, 10, 0, 1, NULL);
    int rate = 0, empties = 0, open = 0;
    for (size_t i = 0; i < wfs_projection_nwarnings(p); i++) {
        const char *w = wfs_projection_warning(p, i);
        rate |= strstr(w, "leaver_rate of SW in band 25-34 is 0.7") != NULL;
        empties |= strstr(w, "band 25-34 of SW empties") != NULL;
        open |= strstr(w, "35-44 is treated as open") != NULL;
    }
    ck_assert(rate && empties && open);
    wfs_projection_free(p);
    wfs_model_free(m);
}
END_TEST

START_TEST(limits_and_interrupt)
{
    wfs_model *m = model_text(one_band);
    wfs_projection_options o = WFS_PROJECTION_OPTIONS_INIT;
    wfs_projection *p;
    wfs_error err = WFS_ERROR_INIT;
    o.years = 0;
    ck_assert_int_eq(wfs_projection_run(&p, m, &o, &err), WFS_ELIMIT);
    o.years = 201;
    ck_assert_int_eq(wfs_projection_run(&p, m, &o, &err), WFS_ELIMIT);
    o.years = 10;
    o.sims = 5;
    ck_assert_int_eq(wfs_projection_run(&p, m, &o, &err), WFS_ELIMIT);
    volatile sig_atomic_t stop = 1;
    wfs_control ctl = {&stop, NULL, NULL};
    o.sims = 100;
    o.control = &ctl;
    ck_assert_int_eq(wfs_projection_run(&p, m, &o, &err), WFS_EINTR);
    ck_assert_ptr_null(p);
    wfs_model_free(m);
}
END_TEST

/* Every invalid model is rejected with a message naming what is wrong. */
static const struct bad {
    const char *csv;
    int code;
    const char *message;
} bad_models[] = {
#define H   "role,age_band,parameter,value,se\n"
#define TWO H "SW,25-34,headcount,100,\nSW,35+,headcount,50,\n"
    {"role,band,parameter,value\nSW,,headcount,1\n", WFS_EPARSE,
     "test.csv:1: unknown column \"band\""},
    {"role,parameter,se\nSW,headcount,1\n", WFS_EPARSE, "lacks value"},
    {H, WFS_EPARSE, "no data rows"},
    {H "SW,,leaver_rate,0.1,\n", WFS_EPARSE, "no headcount rows"},
    {TWO "SW,,leaver_rate,1.2,\n", WFS_EPARSE,
     "test.csv:4: leaver_rate of SW = 1.2 is outside [0, 1]"},
    {TWO "SW,,leaver_rate,-0.1,\n", WFS_EPARSE, "outside [0, 1]"},
    {TWO "SW,,leaver,0.2,\n", WFS_EPARSE,
     "test.csv:4: unknown parameter \"leaver\" (did you mean leaver_rate?)"},
    {TWO "SX,,leaver_rate,0.2,\n", WFS_ENOTFOUND,
     "test.csv:4: leaver_rate names an unknown role \"SX\" (did you mean SW?)"},
    {TWO "SW,36+,leaver_rate,0.2,\n", WFS_ENOTFOUND,
     "test.csv:4: leaver_rate of SW names an unknown age band \"36+\" (did you mean 35+?)"},
    {TWO "SW,25-34,leaver_rate,0.2,\n", WFS_EINVAL, "SW has no leaver_rate in band 35+"},
    {H "SW,25-34,headcount,100,\nTM,35+,headcount,5,\n,,leaver_rate,0.1,\n", WFS_EINVAL,
     "SW has no headcount in band 35+"},
    {TWO "SW,,leaver_rate,0.2,\nSW,,joiners,10,\n", WFS_EINVAL,
     "SW has joiners but no joiner_share"},
    {TWO
     "SW,,leaver_rate,0.2,\nSW,,joiners,10,\n,25-34,joiner_share,0.5,\n,35+,joiner_share,0.4,\n",
     WFS_EINVAL, "the joiner_share of SW sums to 0.9, not 1 (line 6, line 7)"},
    {TWO "SW,,leaver_rate,0.2,\n,,joiner_share,0.5,\n", WFS_EPARSE,
     "test.csv:5: joiner_share of every role needs an age band"},
    {TWO "SW,,leaver_rate,0.2,\nSW,25-34,joiner_share,1,0.1\n", WFS_EPARSE,
     "test.csv:5: joiner_share of SW in band 25-34 takes no se"},
    {H "SW,,headcount,100,\nSW,,leaver_rate,0.2,\nTM,,headcount,1,\nTM,,leaver_rate,0.1,\n"
       "SW,,transition:TM,0.9,\n",
     WFS_EINVAL, "the leaver_rate and transitions out of SW add up to 1.1, more than everyone"},
    {H "SW,,headcount,100,\nSW,,leaver_rate,0.2,\nSW,,transition:SW,0.1,\n", WFS_EPARSE,
     "moves a role to itself"},
    {H "SW,,headcount,100,\nSW,,leaver_rate,0.2,\nSW,,transition:TM,0.1,\n", WFS_ENOTFOUND,
     "test.csv:4: transition:TM names an unknown role \"TM\""},
    {H "SW,,headcount,100,\nSW,,leaver_rate,0.2,\nSW,,transition:,0.1,\n", WFS_EPARSE,
     "test.csv:4: transition: needs a role after the colon, as in transition:Social worker"},
    {H "SW,25 to 34,headcount,100,\n", WFS_EPARSE,
     "age band \"25 to 34\" of SW is not written like"},
    {H "SW,25-34,headcount,100,\nSW,40+,headcount,1,\n", WFS_EPARSE,
     "age bands 25-34 and 40+ leave a gap (ages 35 to 39)"},
    {H "SW,25-34,headcount,100,\nSW,30+,headcount,1,\n", WFS_EPARSE,
     "age bands 25-34 and 30+ overlap"},
    {H "SW,25+,headcount,100,\nSW,35-44,headcount,1,\n", WFS_EPARSE,
     "age band 25+ is open but band 35-44 follows it"},
    {H "SW,,headcount,100,\nSW,,leaver_rate,0.1,\n\nSW,,leaver_rate,0.2,\n", WFS_EPARSE,
     "test.csv:5: leaver_rate of SW is given twice (also on line 3)"},
    {H "SW,,headcount,100,\nSW,,leaver_rate,0,0.01\n", WFS_EPARSE,
     "has an se, so it must lie strictly between 0 and 1"},
    {H "SW,,headcount,0,5\nSW,,leaver_rate,0.1,\n", WFS_EPARSE,
     "headcount of SW = 0 has an se, so it must be positive"},
    {H "SW,,headcount,100,-1\nSW,,leaver_rate,0.1,\n", WFS_EPARSE, "negative or infinite se"},
    {H "SW,,headcount,-100,\nSW,,leaver_rate,0.1,\n", WFS_EPARSE, "is negative"},
    {H "SW,,headcount,abc,\n", WFS_EPARSE,
     "test.csv:2: headcount of SW has a value that is not a number"},
    {H "SW,,headcount,,\n", WFS_EPARSE, "test.csv:2: headcount of SW has no value"},
    {H "SW,,headcount,1,x\n", WFS_EPARSE, "has an se that is not a number"},
    {H ",,headcount,100,\n", WFS_EPARSE, "test.csv:2: headcount needs a role"},
    {H "SW,,headcount,100,\nSW,,leaver_rate,0.1,\n,,joiners,5,\n", WFS_EPARSE,
     "test.csv:4: joiners needs a role"},
    {TWO "SW,,leaver_rate,0.1,\nSW,25-34,joiners,5,\n", WFS_EPARSE,
     "test.csv:5: joiners of SW is not given by age band"},
    {H "SW,,headcount,100,\nSW,,leaver_rate,0.1,\nSW,25-34,leaver_rate,0.1,\n", WFS_ENOTFOUND,
     "names age band 25-34, but no headcount row names an age band"},
    {H "SW,,headcount,100,\nSW,,leaver_rate,0.1,\nSW,,base_year,2024,\n", WFS_EPARSE,
     "base_year applies to the whole model; leave role empty"},
    {H "SW,,headcount,100,\nSW,,leaver_rate,0.1,\n,,base_year,2024.5,\n", WFS_EPARSE,
     "must be a calendar year"},
    {H "SW,,headcount,100,\nSW,,leaver_rate,0.1,\n,,driver:20x0,1,\n", WFS_EPARSE,
     "a driver is written driver:YEAR"},
    {H "SW,,headcount,100,\nSW,,leaver_rate,0.1,\n,,driver:2030,0,\n", WFS_EPARSE,
     "driver:2030 of every role = 0 must be positive"},
    {H "SW,,headcount,100,\nSW,,leaver_rate,0.1,\n,,driver:2030,5,1\n", WFS_EPARSE,
     "takes no se (the driver series is taken as given)"},
    {H "SW,,headcount,100,\nSW,,leaver_rate,0.1,\nSW,,demand,100,\nSW,,demand_growth,0.01,\n"
       "SW,,driver:2024,1,\nSW,,driver:2034,2,\n",
     WFS_EINVAL, "the demand of SW has both a demand_growth and a driver series"},
    {H "SW,,headcount,100,\nSW,,leaver_rate,0.1,\nSW,,demand,100,\n,,demand_growth,0.01,\n"
       ",,driver:2024,1,\n,,driver:2034,2,\n",
     WFS_EINVAL, "the demand of SW has both a demand_growth and a driver series"},
    {H "SW,,headcount,100,\nSW,,leaver_rate,0.1,\nSW,,demand_growth,0.01,\n", WFS_EINVAL,
     "demand_growth of SW has no effect: SW has no demand row"},
    {H "SW,,headcount,100,\nSW,,leaver_rate,0.1,\nSW,,demand_growth,-1,\n", WFS_EPARSE,
     "is -1 or less"},
    {H "SW,,headcount,100,\nTM,,headcount,5,\n,,leaver_rate,0.1,\nSW,,demand,100,\n"
       "SW,,demand_shift:TM,0.1,\n",
     WFS_EINVAL, "demand_shift:TM of SW moves demand between roles, but TM has no demand row"},
    {H "SW,,headcount,100,\nSW,,leaver_rate,0.1,\nSW,,scale:joiner_share,2,\n", WFS_EPARSE,
     "scale: multiplies headcount, leaver_rate"},
    {H "SW,,headcount,100,\nSW,,leaver_rate,0.4,\nSW,,scale:leaver_rate,3,\n", WFS_EINVAL,
     "add up to 1.2, more than everyone"},
    {H "SW,,headcount,100,\nSW,,leaver_rate,0.1,\n,,scale:leaver_rate,-1,\n", WFS_EPARSE,
     "a scale factor must be 0 or more"},
    {"role,age_band,parameter,value,se,scenario\nSW,,headcount,100,,\nSW,,leaver_rate,0.1,,\n"
     "SW,,leaver_rate,1.1,,bad\n",
     WFS_EPARSE, "test.csv:4: leaver_rate of SW = 1.1"},
    {"role,age_band,parameter,value,se,scenario\nSW,,headcount,100,,\nSW,,leaver_rate,0.6,,\n"
     "SW,,transition:TM,0.5,,x\nTM,,headcount,1,,\nTM,,leaver_rate,0,,\n",
     WFS_EINVAL,
     "transitions out of SW in scenario x add up to 1.1, more than everyone (line 3, "
     "line 4)"},
    /* Line numbers count blank lines and quoted fields that span lines. */
    {"role,age_band,parameter,value,se,note\n\nSW,,headcount,100,,\"a note\nover two lines\"\n\n"
     "SW,,leaver_rate,2,,\n",
     WFS_EPARSE, "test.csv:6: leaver_rate of SW = 2"},
    {"role,age_band,parameter,value\r\nSW,,headcount,100\r\nSW,,leaver_rate,7\r\n", WFS_EPARSE,
     "test.csv:3: leaver_rate of SW = 7"},
    {"role,age_band,parameter,value\nSW,,headcount,\"1\n", WFS_EPARSE, "test.csv:"},
#undef TWO
#undef H
};

START_TEST(invalid_models)
{
    const struct bad *b = &bad_models[_i];
    wfs_model *m = (wfs_model *)1;
    wfs_error err = WFS_ERROR_INIT;
    int rc = wfs_model_read_buffer(&m, "test.csv", b->csv, strlen(b->csv), &err);
    ck_assert_msg(rc == b->code, "case %d: code %d (%s), expected %d", _i, rc, err.message,
                  b->code);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(err.message, b->message) != NULL, "case %d: \"%s\" lacks \"%s\"", _i,
                  err.message, b->message);
}
END_TEST

START_TEST(missing_file)
{
    wfs_model *m;
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_model_read(&m, "/nonexistent/model.csv", &err), WFS_EIO);
    ck_assert_msg(strstr(err.message, "cannot read model /nonexistent/model.csv"), "%s",
                  err.message);
    wfs_model_free(NULL);
    wfs_projection_free(NULL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("projection");
    TCase *tc = tcase_create("closed forms");
    tcase_add_test(tc, one_band_closed_form);
    tcase_add_test(tc, pure_ageing);
    tcase_add_test(tc, ageing_with_leavers_and_joiners);
    tcase_add_test(tc, transition_chain);
    tcase_add_test(tc, transition_with_leavers);
    tcase_add_test(tc, skills_for_care_ratio);
    tcase_add_test(tc, demand_growth_and_shift);
    tcase_add_test(tc, own_driver_beats_common_growth);
    tcase_add_test(tc, scenario_demand_rule_replaces_base);
    suite_add_tcase(s, tc);
    tc = tcase_create("models");
    tcase_add_test(tc, scenarios_from_file);
    tcase_add_test(tc, overrides);
    tcase_add_test(tc, override_from_last_estimate);
    tcase_add_test(tc, warnings);
    tcase_add_test(tc, limits_and_interrupt);
    tcase_add_test(tc, missing_file);
    tcase_add_loop_test(tc, invalid_models, 0, (int)(sizeof bad_models / sizeof *bad_models));
    suite_add_tcase(s, tc);
    tc = tcase_create("simulation");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, simulation_reproducible);
    tcase_add_test(tc, simulation_draws);
    tcase_add_test(tc, result_rows);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
