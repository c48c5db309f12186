/* councils.c - the 150 councils, the regions and the synthetic staff frame.
 *
 * The councils are the 150 English councils with adult social services
 * responsibilities in 2008 (before Bedfordshire and Cheshire were split and
 * five counties became unitary in April 2009). Their names and regions are
 * real; everything attached to them by this generator is synthetic. The
 * `size` column is a rounded resident population in thousands used only to
 * give big councils more staff than small ones.
 */
#include "gendata.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const region_name[NREGION] = {
    "North East",    "North West",    "Yorkshire and the Humber",
    "East Midlands", "West Midlands", "East of England",
    "London",        "South East",    "South West"};

enum { NE, NW, YH, EM, WM, EE, LO, SE, SW };

const char *const council_type_name[NCT] = {
    "Shire county", "Unitary authority", "Metropolitan district", "London borough", "Sui generis"};

const char *const role_name[NROLE] = {"Social worker", "Senior practitioner",
                                      "Care manager (unqualified)", "Team manager",
                                      "Service manager"};

const char *const band_name[NBAND] = {"18-24", "25-34", "35-44", "45-54", "55-64", "65+"};

const council councils[NCOUNCIL] = {
    /* North East (12) */
    {"Durham", NE, CT_COUNTY, 505},
    {"Northumberland", NE, CT_COUNTY, 311},
    {"Darlington", NE, CT_UNITARY, 100},
    {"Hartlepool", NE, CT_UNITARY, 91},
    {"Middlesbrough", NE, CT_UNITARY, 139},
    {"Redcar and Cleveland", NE, CT_UNITARY, 139},
    {"Stockton-on-Tees", NE, CT_UNITARY, 191},
    {"Gateshead", NE, CT_MET, 191},
    {"Newcastle upon Tyne", NE, CT_MET, 274},
    {"North Tyneside", NE, CT_MET, 196},
    {"South Tyneside", NE, CT_MET, 152},
    {"Sunderland", NE, CT_MET, 281},
    /* North West (22) */
    {"Cheshire", NW, CT_COUNTY, 686},
    {"Cumbria", NW, CT_COUNTY, 496},
    {"Lancashire", NW, CT_COUNTY, 1167},
    {"Blackburn with Darwen", NW, CT_UNITARY, 140},
    {"Blackpool", NW, CT_UNITARY, 141},
    {"Halton", NW, CT_UNITARY, 119},
    {"Warrington", NW, CT_UNITARY, 196},
    {"Bolton", NW, CT_MET, 263},
    {"Bury", NW, CT_MET, 182},
    {"Manchester", NW, CT_MET, 464},
    {"Oldham", NW, CT_MET, 219},
    {"Rochdale", NW, CT_MET, 205},
    {"Salford", NW, CT_MET, 221},
    {"Stockport", NW, CT_MET, 281},
    {"Tameside", NW, CT_MET, 214},
    {"Trafford", NW, CT_MET, 212},
    {"Wigan", NW, CT_MET, 306},
    {"Knowsley", NW, CT_MET, 150},
    {"Liverpool", NW, CT_MET, 435},
    {"Sefton", NW, CT_MET, 275},
    {"St Helens", NW, CT_MET, 177},
    {"Wirral", NW, CT_MET, 309},
    /* Yorkshire and the Humber (15) */
    {"North Yorkshire", YH, CT_COUNTY, 595},
    {"East Riding of Yorkshire", YH, CT_UNITARY, 335},
    {"Kingston upon Hull", YH, CT_UNITARY, 260},
    {"North East Lincolnshire", YH, CT_UNITARY, 158},
    {"North Lincolnshire", YH, CT_UNITARY, 160},
    {"York", YH, CT_UNITARY, 195},
    {"Barnsley", YH, CT_MET, 226},
    {"Doncaster", YH, CT_MET, 291},
    {"Rotherham", YH, CT_MET, 253},
    {"Sheffield", YH, CT_MET, 534},
    {"Bradford", YH, CT_MET, 502},
    {"Calderdale", YH, CT_MET, 201},
    {"Kirklees", YH, CT_MET, 403},
    {"Leeds", YH, CT_MET, 770},
    {"Wakefield", YH, CT_MET, 321},
    /* East Midlands (9) */
    {"Derbyshire", EM, CT_COUNTY, 760},
    {"Leicestershire", EM, CT_COUNTY, 640},
    {"Lincolnshire", EM, CT_COUNTY, 698},
    {"Northamptonshire", EM, CT_COUNTY, 683},
    {"Nottinghamshire", EM, CT_COUNTY, 776},
    {"Derby", EM, CT_UNITARY, 239},
    {"Leicester", EM, CT_UNITARY, 295},
    {"Nottingham", EM, CT_UNITARY, 292},
    {"Rutland", EM, CT_UNITARY, 38},
    /* West Midlands (14) */
    {"Shropshire", WM, CT_COUNTY, 292},
    {"Staffordshire", WM, CT_COUNTY, 831},
    {"Warwickshire", WM, CT_COUNTY, 536},
    {"Worcestershire", WM, CT_COUNTY, 557},
    {"Herefordshire", WM, CT_UNITARY, 179},
    {"Stoke-on-Trent", WM, CT_UNITARY, 240},
    {"Telford and Wrekin", WM, CT_UNITARY, 163},
    {"Birmingham", WM, CT_MET, 1017},
    {"Coventry", WM, CT_MET, 309},
    {"Dudley", WM, CT_MET, 306},
    {"Sandwell", WM, CT_MET, 290},
    {"Solihull", WM, CT_MET, 204},
    {"Walsall", WM, CT_MET, 254},
    {"Wolverhampton", WM, CT_MET, 238},
    /* East of England (10) */
    {"Bedfordshire", EE, CT_COUNTY, 410},
    {"Cambridgeshire", EE, CT_COUNTY, 600},
    {"Essex", EE, CT_COUNTY, 1400},
    {"Hertfordshire", EE, CT_COUNTY, 1080},
    {"Norfolk", EE, CT_COUNTY, 850},
    {"Suffolk", EE, CT_COUNTY, 710},
    {"Luton", EE, CT_UNITARY, 191},
    {"Peterborough", EE, CT_UNITARY, 170},
    {"Southend-on-Sea", EE, CT_UNITARY, 164},
    {"Thurrock", EE, CT_UNITARY, 155},
    /* London (33) */
    {"City of London", LO, CT_OTHER, 8},
    {"Barking and Dagenham", LO, CT_LONDON, 170},
    {"Barnet", LO, CT_LONDON, 330},
    {"Bexley", LO, CT_LONDON, 223},
    {"Brent", LO, CT_LONDON, 270},
    {"Bromley", LO, CT_LONDON, 305},
    {"Camden", LO, CT_LONDON, 230},
    {"Croydon", LO, CT_LONDON, 340},
    {"Ealing", LO, CT_LONDON, 310},
    {"Enfield", LO, CT_LONDON, 290},
    {"Greenwich", LO, CT_LONDON, 225},
    {"Hackney", LO, CT_LONDON, 210},
    {"Hammersmith and Fulham", LO, CT_LONDON, 172},
    {"Haringey", LO, CT_LONDON, 225},
    {"Harrow", LO, CT_LONDON, 215},
    {"Havering", LO, CT_LONDON, 230},
    {"Hillingdon", LO, CT_LONDON, 260},
    {"Hounslow", LO, CT_LONDON, 225},
    {"Islington", LO, CT_LONDON, 190},
    {"Kensington and Chelsea", LO, CT_LONDON, 170},
    {"Kingston upon Thames", LO, CT_LONDON, 160},
    {"Lambeth", LO, CT_LONDON, 275},
    {"Lewisham", LO, CT_LONDON, 265},
    {"Merton", LO, CT_LONDON, 205},
    {"Newham", LO, CT_LONDON, 250},
    {"Redbridge", LO, CT_LONDON, 260},
    {"Richmond upon Thames", LO, CT_LONDON, 185},
    {"Southwark", LO, CT_LONDON, 280},
    {"Sutton", LO, CT_LONDON, 190},
    {"Tower Hamlets", LO, CT_LONDON, 220},
    {"Waltham Forest", LO, CT_LONDON, 225},
    {"Wandsworth", LO, CT_LONDON, 285},
    {"Westminster", LO, CT_LONDON, 235},
    /* South East (19) */
    {"Buckinghamshire", SE, CT_COUNTY, 495},
    {"East Sussex", SE, CT_COUNTY, 510},
    {"Hampshire", SE, CT_COUNTY, 1290},
    {"Kent", SE, CT_COUNTY, 1400},
    {"Oxfordshire", SE, CT_COUNTY, 640},
    {"Surrey", SE, CT_COUNTY, 1100},
    {"West Sussex", SE, CT_COUNTY, 790},
    {"Bracknell Forest", SE, CT_UNITARY, 115},
    {"Brighton and Hove", SE, CT_UNITARY, 255},
    {"Isle of Wight", SE, CT_UNITARY, 140},
    {"Medway", SE, CT_UNITARY, 255},
    {"Milton Keynes", SE, CT_UNITARY, 235},
    {"Portsmouth", SE, CT_UNITARY, 200},
    {"Reading", SE, CT_UNITARY, 150},
    {"Slough", SE, CT_UNITARY, 120},
    {"Southampton", SE, CT_UNITARY, 235},
    {"West Berkshire", SE, CT_UNITARY, 150},
    {"Windsor and Maidenhead", SE, CT_UNITARY, 145},
    {"Wokingham", SE, CT_UNITARY, 160},
    /* South West (16) */
    {"Cornwall", SW, CT_COUNTY, 530},
    {"Devon", SW, CT_COUNTY, 750},
    {"Dorset", SW, CT_COUNTY, 400},
    {"Gloucestershire", SW, CT_COUNTY, 590},
    {"Somerset", SW, CT_COUNTY, 525},
    {"Wiltshire", SW, CT_COUNTY, 455},
    {"Bath and North East Somerset", SW, CT_UNITARY, 178},
    {"Bournemouth", SW, CT_UNITARY, 165},
    {"Bristol", SW, CT_UNITARY, 420},
    {"North Somerset", SW, CT_UNITARY, 210},
    {"Plymouth", SW, CT_UNITARY, 255},
    {"Poole", SW, CT_UNITARY, 140},
    {"South Gloucestershire", SW, CT_UNITARY, 260},
    {"Swindon", SW, CT_UNITARY, 195},
    {"Torbay", SW, CT_UNITARY, 135},
    {"Isles of Scilly", SW, CT_OTHER, 2},
};

size_t council_index(const char *name)
{
    for (size_t c = 0; c < NCOUNCIL; c++)
        if (strcmp(councils[c].name, name) == 0) return c;
    fprintf(stderr, "gendata: no council named %s\n", name);
    abort();
}

/* Staff per thousand residents and the national role mix, roughly the
 * shape of council adult social care teams in 2008 (synthetic). */
static const double per_thousand = 0.55;
static const double role_mix[NROLE] = {0.40, 0.11, 0.31, 0.12, 0.06};
/* Every council has at least a social worker and a team manager. */
static const long role_min[NROLE] = {1, 0, 0, 1, 0};

void frame_build(frame *f)
{
    gsl_rng *r = rng_new(150);
    memset(f, 0, sizeof *f);
    for (size_t c = 0; c < NCOUNCIL; c++) {
        /* Councils differ in how well staffed they are and in their mix:
         * London relies less on unqualified care managers. */
        double level = councils[c].size * per_thousand * exp(rng_normal(r, 0.15));
        for (int k = 0; k < NROLE; k++) {
            double mix = role_mix[k] * exp(rng_normal(r, 0.12));
            if (councils[c].region == LO && k == R_CM) mix *= 0.75;
            if (councils[c].region == LO && k == R_SW) mix *= 1.15;
            long v = lround(level * mix);
            if (v < role_min[k]) v = role_min[k];
            f->staff[c][k] = v;
            f->total[c] += v;
        }
    }
    gsl_rng_free(r);
}
