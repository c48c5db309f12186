/* commands.c - the one command table: dispatch, help, completion, man page.
 *
 * Every command is one entry here. `help`, `help CMD`, tab completion and
 * the COMMANDS section of doc/wfstat.1 are all generated from these entries,
 * and a test checks that every command has its synopsis, help, example and
 * equivalents.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_weight.h"
#include "wfs-private.h"

static const cli_option opt_load[] = {
    {"as", OPT_VALUE, NULL, "file name", "name of the dataset (also: load \"f.csv\" as NAME)"},
    {"delim", OPT_VALUE, NULL, "\",\"", "field delimiter: \",\", \";\", tab or \"|\""},
    {"na", OPT_VALUE, NULL, "\",NA\"", "comma-separated tokens that mean missing"},
    {NULL, 0, NULL, NULL, NULL}};

static const cli_option opt_list[] = {
    {"n", OPT_VALUE, NULL, "10", "number of rows to show (0 = all)"},
    {NULL, 0, NULL, NULL, NULL}};

static const cli_option opt_set[] = {
    {"format", OPT_VALUE, "text|csv|markdown|json", "text", "output format"},
    {"digits", OPT_VALUE, NULL, "1", "decimals for percentages in tables"},
    {"show", OPT_VALUE, "se|ci", "se", "what tables show beside a percentage"},
    {"level", OPT_VALUE, NULL, "0.95", "confidence level of intervals"},
    {"ci", OPT_VALUE, "logit|wald|xlogit|asin|beta|wilson|likelihood", "logit",
     "default interval method for proportions"},
    {"df", OPT_VALUE, NULL, "design", "degrees of freedom for intervals: design, inf or a number"},
    {"lonely", OPT_VALUE, "fail|adjust|average|certainty|remove", "fail",
     "lonely-PSU policy (also applied to the current design)"},
    {"suppress", OPT_VALUE, NULL, "off", "hide cells with an unweighted base below N"},
    {"explain", OPT_VALUE, "on|off", "off", "add plain-English readings under results"},
    {"width", OPT_VALUE, NULL, "terminal", "width of text tables"},
    {"progress", OPT_VALUE, "on|off", "on", "progress indication on long work"},
    {"timing", OPT_VALUE, "on|off", "off", "print each command's elapsed wall time to stderr"},
    {NULL, 0, NULL, NULL, NULL}};


static const cli_option opt_design[] = {
    {"srs", OPT_FLAG, NULL, NULL, "a simple random sample: every row its own PSU, weight 1"},
    {"equal", OPT_FLAG, NULL, NULL,
     "every row weight 1 on purpose (a census, or an equal-probability sample): no warning"},
    {"weight", OPT_VALUE, NULL, "1 (or implied by fpc)", "sampling weight variable"},
    {"strata", OPT_VALUE, NULL, "none", "stratum variable"},
    {"cluster", OPT_VALUE, NULL, "rows", "cluster variable of each stage, e.g. cluster=council,team"},
    {"fpc", OPT_VALUE, NULL, "none",
     "finite population correction per stage: a population count (> 1) or a fraction (<= 1)"},
    {"lonely", OPT_VALUE, "fail|adjust|average|certainty|remove", "fail (set lonely=)",
     "what to do with a stratum holding a single PSU"},
    {"repweights", OPT_VALUE, NULL, "none",
     "replicate-weight variables: PREFIX*, FIRST-LAST or a comma list"},
    {"type", OPT_VALUE, "jk1|jkn|brr|fay|bootstrap|sdr", NULL,
     "method of the replicate weights (with repweights=)"},
    {"scale", OPT_VALUE, NULL, "by type", "overall variance multiplier of the replicates"},
    {"rscales", OPT_VALUE, NULL, "1", "per-replicate multipliers: numbers or a variable (jkn)"},
    {"rho", OPT_VALUE, NULL, NULL, "Fay's coefficient (type=fay)"},
    {"df", OPT_VALUE, NULL, "rank - 1", "degrees of freedom of a replicate design"},
    {"mse", OPT_FLAG, NULL, NULL, "centre replicates on the full-sample estimate"},
    {NULL, 0, NULL, NULL, NULL}};

static const cli_option opt_replicate[] = {
    {"rho", OPT_VALUE, NULL, "0.3", "Fay's coefficient: replicate weights 2-rho and rho"},
    {"reps", OPT_VALUE, NULL, "50", "number of bootstrap replicates"},
    {"seed", OPT_VALUE, NULL, "1", "seed of the bootstrap's random numbers (GSL mt19937)"},
    {"mse", OPT_FLAG, NULL, NULL, "centre replicates on the full-sample estimate"},
    {NULL, 0, NULL, NULL, NULL}};

#define EST_COMMON                                                                                 \
    {"level", OPT_VALUE, NULL, "0.95 (set level=)", "confidence level"},                          \
        {"df", OPT_VALUE, NULL, "design", "degrees of freedom of intervals: design, inf or N"},   \
        {"deff", OPT_FLAG_OR_VALUE, "replace|no", "off",                                          \
         "design effect (deff: SRS without replacement; deff=replace: with replacement)"}

static const cli_option opt_mean[] = {
    EST_COMMON,
    {"ci", OPT_VALUE, "logit|wald|mean|xlogit|asin|beta|wilson|likelihood", "logit (set ci=)",
     "interval method for proportions (categorical variables)"},
    {NULL, 0, NULL, NULL, NULL}};

static const cli_option opt_total[] = {EST_COMMON, {NULL, 0, NULL, NULL, NULL}};

static const cli_option opt_quantile[] = {
    {"p", OPT_VALUE, NULL, "0.25,0.5,0.75", "probabilities"},
    {"qrule", OPT_VALUE, "math|school|hf7", "math", "quantile rule (R's svyquantile qrule)"},
    {"ci", OPT_VALUE, "mean|wald|xlogit|asin|beta", "mean", "Woodruff interval method"},
    {"level", OPT_VALUE, NULL, "0.95 (set level=)", "confidence level"},
    {"df", OPT_VALUE, NULL, "design", "degrees of freedom of intervals: design, inf or N"},
    {NULL, 0, NULL, NULL, NULL}};

static const cli_option opt_save[] = {
    {"replace", OPT_FLAG, NULL, NULL, "overwrite an existing file"},
    {"format", OPT_VALUE, "text|csv|markdown|json", "from the file name", "format of the file"},
    {NULL, 0, NULL, NULL, NULL}};

static const cli_option opt_export[] = {
    {"replace", OPT_FLAG, NULL, NULL, "overwrite an existing file"},
    {"weight", OPT_VALUE, NULL, "final_weight",
     "name of the column that receives the current weights"},
    {"delim", OPT_VALUE, NULL, "\",\"", "field delimiter: \",\", \";\", tab or \"|\""},
    {NULL, 0, NULL, NULL, NULL}};

static const cli_option opt_run[] = {
    {"quiet", OPT_FLAG, NULL, NULL, "run without printing results (errors and warnings still show)"},
    {NULL, 0, NULL, NULL, NULL}};

static const cli_option opt_title[] = {
    {"level", OPT_VALUE, "1|2|3", "2", "heading level: 1 for a title, 2 for a section"},
    {NULL, 0, NULL, NULL, NULL}};

static const cli_option opt_log[] = {
    {"replace", OPT_FLAG, NULL, NULL, "overwrite an existing file"},
    {NULL, 0, NULL, NULL, NULL}};

static const cli_option opt_rake[] = {
    {"maxit", OPT_VALUE, NULL, "1000", "most cycles over the margins"},
    {"epsilon", OPT_VALUE, NULL, "1e-10", "largest relative misfit allowed on any margin total"},
    {NULL, 0, NULL, NULL, NULL}};

static const cli_option opt_calibrate[] = {
    {"method", OPT_VALUE, "linear|raking|logit", "linear", "distance function (R's calfun)"},
    {"bounds", OPT_VALUE, NULL, "none", "LO,HI: bounds on g = new weight / old weight"},
    {"population", OPT_VALUE, NULL, "none",
     "population size (the intercept; categorical margins imply it)"},
    {"maxit", OPT_VALUE, NULL, "50", "most Newton iterations"},
    {"epsilon", OPT_VALUE, NULL, "1e-10", "largest relative misfit allowed on any total"},
    {NULL, 0, NULL, NULL, NULL}};

static const cli_option opt_trim[] = {
    {"lower", OPT_VALUE, NULL, "none", "smallest weight allowed"},
    {"upper", OPT_VALUE, NULL, "none", "largest weight allowed"},
    {"maxit", OPT_VALUE, NULL, "1000", "most rounds of trimming and re-weighting (calibrated designs)"},
    {"epsilon", OPT_VALUE, NULL, "1e-10",
     "largest relative excursion beyond the bounds after re-weighting"},
    {NULL, 0, NULL, NULL, NULL}};

static const cli_option opt_nonresponse[] = {
    {"respond", OPT_VALUE, NULL, NULL, "0/1 variable, 1 for respondents"},
    {"cells", OPT_VALUE, NULL, NULL, "variables whose crossed levels form the adjustment cells"},
    {NULL, 0, NULL, NULL, NULL}};

static const cli_option opt_compare[] = {
    {"adjust", OPT_VALUE, "holm|none", "holm", "multiple-comparison adjustment of the p-values"},
    {"level", OPT_VALUE, NULL, "0.95 (set level=)", "confidence level"},
    {"df", OPT_VALUE, NULL, "design", "degrees of freedom of intervals and tests: design, inf or N"},
    {NULL, 0, NULL, NULL, NULL}};

static const cli_option opt_change[] = {
    {"overlap", OPT_VALUE, NULL, "none (independent samples)",
     "respondent id variable present in both waves (panels): their covariance is used"},
    {"level", OPT_VALUE, NULL, "0.95 (set level=)", "confidence level"},
    {"df", OPT_VALUE, NULL, "sum of the waves' df", "degrees of freedom: design, inf or N"},
    {NULL, 0, NULL, NULL, NULL}};

static const cli_option opt_likert[] = {
    {"top", OPT_VALUE, NULL, "2", "number of highest answer levels in the top box"},
    {"bottom", OPT_VALUE, NULL, "2", "number of lowest answer levels in the bottom box"},
    {"ci", OPT_VALUE, "logit|wald|xlogit|asin|beta|wilson", "logit (set ci=)",
     "interval method for the shares"},
    {"level", OPT_VALUE, NULL, "0.95 (set level=)", "confidence level"},
    {"df", OPT_VALUE, NULL, "design", "degrees of freedom of intervals: design, inf or N"},
    {NULL, 0, NULL, NULL, NULL}};

static const cli_option opt_multi[] = {
    {"ci", OPT_VALUE, "logit|wald|xlogit|asin|beta|wilson", "logit (set ci=)",
     "interval method for the shares"},
    {"level", OPT_VALUE, NULL, "0.95 (set level=)", "confidence level; also the test level"},
    {"df", OPT_VALUE, NULL, "design", "degrees of freedom of intervals: design, inf or N"},
    {NULL, 0, NULL, NULL, NULL}};

static const cli_option opt_decompose[] = {
    {"over", OPT_VALUE, NULL, "none (A and B are datasets)",
     "variable holding the periods in the active dataset (A and B are its values)"},
    {"level", OPT_VALUE, NULL, "0.95 (set level=)", "confidence level"},
    {"df", OPT_VALUE, NULL, "design", "degrees of freedom: design, inf or N"},
    {NULL, 0, NULL, NULL, NULL}};

const cli_command cli_commands[] = {
    {"load", "Data", cmd_load, "load \"file.csv|file.wfb\" [as NAME] [delim=,] [na=\"NA,.\"]",
     "read a CSV file (or a .wfb snapshot) into a dataset",
     "Reads a CSV file with a header row. Each column is numeric when every non-missing\n"
     "value is a number, otherwise categorical (levels sorted as R sorts factor levels).\n"
     "Empty fields and NA are missing unless na= lists other tokens. The dataset is named\n"
     "after the file unless `as NAME` is given, and becomes the active dataset. Problems\n"
     "are reported as file:line:column. A name ending in .wfb is a snapshot written by\n"
     "save: it is mapped rather than parsed, so 5 million rows load in a few hundredths\n"
     "of a second; a damaged, truncated or out-of-date snapshot is refused.",
     "load \"survey.csv\" as staff na=\"NA,-9\"", "read.csv(\"survey.csv\")",
     "import delimited survey.csv", opt_load, COMPLETE_FILES, 0},
    {"use", "Data", cmd_use, "use NAME", "switch to another loaded dataset",
     "Makes a loaded dataset the active one; its design comes with it.", "use wave2010",
     "(assign a different design object)", "frame change wave2010", NULL, COMPLETE_DATASETS, 0},
    {"describe", "Data", cmd_describe, "describe [VAR ...]",
     "variables, types, levels and missing values",
     "Lists each variable (or those named) with its type, the number of missing values,\n"
     "the levels of a categorical variable and the range and unweighted mean of a\n"
     "numeric one.",
     "describe role training_needs_met", "str(df); summary(df)", "describe; codebook", NULL,
     COMPLETE_VARS, 0},
    {"list", "Data", cmd_list, "list [VAR ...] [if EXPR] [n=10]", "show rows of the data",
     "Prints the first n rows (all rows with n=0) of the named variables, or of all\n"
     "variables, optionally only rows where the if expression is true.",
     "list role caseload if caseload > 40 n=5", "head(subset(df, caseload > 40), 5)",
     "list role caseload if caseload > 40 in 1/5", opt_list, COMPLETE_VARS, 0},
    {"design", "Survey design", cmd_design,
     "design [weight=W] [strata=S] [cluster=C1[,C2]] [fpc=F1[,F2]] [lonely=POLICY] [srs] [equal] "
     "[repweights=VARS type=TYPE [scale=] [rscales=] [rho=] [df=] [mse]]",
     "declare the survey design, or show it",
     "Declares how the active dataset was sampled. PSUs are nested within strata and\n"
     "later-stage units within their PSU. An fpc above 1 is a population count, at most 1\n"
     "a sampling fraction; without weight= the weights are implied by the fpc. Zero\n"
     "weights mark rows not in the sample. A stratum with a single PSU is an error under\n"
     "lonely=fail (the default); adjust, average, certainty and remove follow R's\n"
     "survey.lonely.psu. `design srs` declares a simple random sample with equal weights;\n"
     "`equal` gives equal weights to a clustered or stratified design (a census of councils\n"
     "over years: design cluster=council equal) without the warning that weight= is missing.\n"
     "With repweights= the data carry replicate weights instead (R's svrepdesign with\n"
     "combined weights): type= names the method; scale= and rscales= default as in R\n"
     "(jkn needs rscales=, fay needs rho=). Without arguments prints the design: rows,\n"
     "strata, PSUs, degrees of freedom, sum of weights and lonely-PSU policy, and for a\n"
     "replicate design its method, number of replicates and scale.",
     "design weight=weight strata=region cluster=council lonely=adjust",
     "svydesign(id=~council, strata=~region, weights=~weight, nest=TRUE)",
     "svyset council [pw=weight], strata(region)", opt_design, COMPLETE_VARS, 0},
    {"replicate", "Survey design", cmd_replicate,
     "replicate jk1|jkn|brr|fay|bootstrap [rho=0.3] [reps=N] [seed=N] [mse]",
     "replace the design's variance by replicate weights",
     "Creates replicate weights from the current design, as R's as.svrepdesign: jk1\n"
     "(unstratified; one replicate per PSU), jkn (one per PSU, stratum by stratum), brr\n"
     "and fay (exactly two PSUs per stratum; half-samples from R's Hadamard matrices) and\n"
     "bootstrap (PSUs resampled within strata; reps= replicates drawn from seed=). Every\n"
     "later estimate is recomputed with each replicate's weights and its variance is\n"
     "scale * sum rscale (estimate_r - centre)^2, centred on the mean of the replicates\n"
     "or, with mse, on the full-sample estimate. Weighting commands then adjust every\n"
     "replicate. Degrees of freedom: the rank of the replicate weights minus one.",
     "replicate jkn", "as.svrepdesign(design, type=\"JKn\")",
     "svy jackknife: mean caseload", opt_replicate, COMPLETE_NONE, 0},
    {"mean", "Estimates", cmd_mean,
     "mean VAR ... [by V[,V]] [if EXPR] [deff|deff=replace] [level=] [df=] [ci=]",
     "weighted means with standard errors and intervals",
     "Design-based means (a categorical variable gives the proportion of each level, as\n"
     "prop). Standard errors by Taylor linearisation; intervals use t quantiles on the\n"
     "design degrees of freedom of each domain unless df= says otherwise. by gives one\n"
     "estimate per combination of levels; if restricts the domain. Domains keep the\n"
     "whole design; rows missing the variable are left out and counted in the notes.",
     "mean caseload by role deff", "svyby(~caseload, ~role, design, svymean, deff=TRUE)",
     "svy: mean caseload, over(role)", opt_mean, COMPLETE_VARS, 0},
    {"total", "Estimates", cmd_total, "total VAR ... [by V[,V]] [if EXPR] [deff] [level=] [df=]",
     "weighted totals (weighted counts of each level for categorical variables)",
     "Design-based totals with standard errors and intervals, as mean.",
     "total qualified_sw_fte by delivery_model", "svytotal(~fte, design)",
     "svy: total fte", opt_total, COMPLETE_VARS, 0},
    {"prop", "Estimates", cmd_prop, "prop VAR [by V[,V]] [if EXPR] [ci=METHOD] [deff] [level=]",
     "proportions of every level with intervals",
     "The weighted proportion of each level of a categorical variable (or each distinct\n"
     "value of a numeric one). Intervals: logit (default), wald, xlogit, asin, beta\n"
     "(Korn-Graubard), wilson (effective n), as R's svyciprop. Proportions of 0 or 1\n"
     "get an exact interval on the unweighted base.",
     "prop training_needs_met by role ci=beta",
     "svyciprop(~I(training_needs_met==\"Not met\"), design, method=\"logit\")",
     "svy: proportion training_needs_met", opt_mean, COMPLETE_VARS, 0},
    {"ratio", "Estimates", cmd_ratio, "ratio NUM / DEN [by V[,V]] [if EXPR] [deff] [level=]",
     "ratio of two weighted totals",
     "Estimates sum(w NUM) / sum(w DEN) with its linearised standard error, as R's\n"
     "svyratio. Rows missing either variable are left out.",
     "ratio agency_fte / qualified_sw_fte by delivery_model",
     "svyratio(~agency_fte, ~qualified_sw_fte, design)", "svy: ratio agency_fte/qualified_sw_fte",
     opt_total, COMPLETE_VARS, 0},
    {"quantile", "Estimates", cmd_quantile,
     "quantile VAR ... [p=0.25,0.5,0.75] [qrule=math|school|hf7] [ci=mean|xlogit|asin|beta]",
     "weighted quantiles with Woodruff intervals",
     "Quantiles of the weighted distribution (R 4.x svyquantile rules) with Woodruff\n"
     "intervals from the estimated CDF; the standard error is derived from the interval\n"
     "width. When p times the total weight falls below the first weight the smallest\n"
     "value is returned (R returns the second).",
     "quantile caseload p=0.5,0.9 by role",
     "svyquantile(~caseload, design, c(0.5,0.9), ci=TRUE)", "(epctile caseload, p(50 90) svy)",
     opt_quantile, COMPLETE_VARS, 0},
    {"compare", "Comparisons", cmd_compare,
     "compare mean|prop|ratio VAR ... by V [if EXPR] [adjust=holm|none] [level=] [df=]",
     "every pairwise difference between domains, with tests",
     "For each pair of domains of V (each level combination of the by variables) the\n"
     "difference domain minus reference of a mean, of every level's proportion, or of a\n"
     "ratio (ratio NUM / DEN), with its standard error from the full covariance of the\n"
     "domain estimates (never by adding variances of correlated domains), a t interval\n"
     "and a two-sided t test on the design degrees of freedom. p-values are\n"
     "Holm-adjusted within each variable and level (adjust=none leaves them raw).\n"
     "At most 100 domains.",
     "compare prop training_needs_met by role",
     "svycontrast(svyby(~y, ~role, d, svymean, covmat=TRUE), list(a_b=c(1,-1,0)))",
     "svy: mean y, over(role); pwcompare role, mcompare(bonferroni)", opt_compare,
     COMPLETE_VARS, 0},
    {"change", "Comparisons", cmd_change,
     "change mean|prop|ratio VAR ... from DATASET to DATASET [by V] [if EXPR] [overlap=ID]",
     "change between two survey waves",
     "The change of a mean, proportions or a ratio from one loaded dataset to another\n"
     "(estimate = to - from), each with its own design. The waves are independent\n"
     "samples: the variance of the change is the sum of their variances and the df the\n"
     "sum of their df. overlap=ID names a respondent id found in both waves (a panel):\n"
     "the waves are stacked and clustered by the id, so people answering twice carry\n"
     "their covariance, as R's svyby(covmat=TRUE) on the stacked data. A variable must\n"
     "have the same type in both waves; with by, domains are matched by their labels.",
     "change prop unqualified_care_management from wave2008 to wave2010",
     "svycontrast of svymean in each wave: (m2 - m1), SE sqrt(SE1^2 + SE2^2)",
     "(append the waves; svy: mean y, over(wave); lincom)", opt_change, COMPLETE_VARS, 0},
    {"likert", "Comparisons", cmd_likert,
     "likert VAR ... [by V] [if EXPR] [top=2] [bottom=2] [ci=] [level=] [df=]",
     "Likert battery: top-box and bottom-box shares and the full distribution",
     "One table for a battery of items answered on the same scale: for each item the\n"
     "share answering one of the top N levels (top2), one of the bottom N (bottom2) and\n"
     "each level, with standard errors and intervals (logit by default). Numeric items\n"
     "share one scale, every value any item of the battery takes; each item's base is\n"
     "those who answered it.",
     "likert role_clear skills_valued worried_deskilling by role top=2",
     "svymean(~I(role_clear >= 4), subset(d, !is.na(role_clear)))",
     "svy: proportion role_clear", opt_likert, COMPLETE_VARS, 0},
    {"multi", "Comparisons", cmd_multi, "multi VAR ... [by V] [if EXPR] [ci=] [level=] [df=]",
     "tick-all items ranked by the share ticking them",
     "For tick-all questions held as 0/1 items (1 = ticked): each item's weighted share\n"
     "among those who answered it (non-missing), ranked from the most ticked, with\n"
     "standard errors and intervals; then each item minus the next in the ranking with a\n"
     "t test from the items' covariance, so a significant gap between neighbours is\n"
     "marked by its p-value.",
     "multi want_self_assessment want_support_planning want_direct_payments by role",
     "svymean(~want_a + want_b, d, na.rm=TRUE); svycontrast(m, c(1, -1))",
     "svy: mean want_*; lincom want_a - want_b", opt_multi, COMPLETE_VARS, 0},
    {"decompose", "Comparisons", cmd_decompose,
     "decompose NUM / DEN[+DEN] by GROUP from A to B [over=VAR] [if EXPR] [level=] [df=]",
     "shift-share decomposition of the change in a share",
     "Splits the change in the share NUM / DEN (DEN may be a sum, e.g. qualified +\n"
     "unqualified posts) between two periods into a between-group part (the groups'\n"
     "shares of DEN changed: composition) and a within-group part (the share changed\n"
     "inside groups: rates), after Kitagawa, with delta-method standard errors. Also\n"
     "the substitution ratio: other DEN posts added per NUM post removed (when NUM\n"
     "fell). A and B are datasets (independent samples), or with over=VAR values of VAR\n"
     "in the active dataset (one design, so the periods' covariance is used).",
     "decompose qualified_sw_fte / qualified_sw_fte + unqualified_fte by region from 2008 to 2016 over=year",
     "(by hand: svyby totals with covmat=TRUE, then svycontrast of the Kitagawa terms)",
     "(nlcom on svy: total over(group))", opt_decompose, COMPLETE_VARS, 0},
    {"title", "Reporting", cmd_title, "title \"TITLE\" [level=2]",
     "a title or section heading in a report",
     "Prints a heading between results: underlined in text (= for level 1, - below),\n"
     "# / ## / ### in Markdown, a record with text and level in JSON. The last result\n"
     "stays the last, for say and save.",
     "title \"1. Training needs and guidance\"", "cat(\"## Training needs\\n\")",
     "display as result \"Training needs\"", opt_title, COMPLETE_NONE, 0},
    {"say", "Reporting", cmd_say, "say \"SENTENCE with {LEVEL} or {LEVEL@DOMAIN}\"",
     "a plain-English reading of the last result",
     "Prints the sentence, replacing each {KEY} by the last result's estimate for the\n"
     "level (or variable) KEY with its interval, e.g. {Not met} becomes\n"
     "\"46% (95% CI 39-53%)\". {KEY@VALUE} picks the row whose domain is VALUE.\n"
     "After project, {headcount@2026} is the projected headcount of all roles in\n"
     "2026 with its 10th-90th percentile range, {gap[Social worker]@2026} one role's.",
     "say \"{Not met} of staff said their training needs had not been met.\"",
     "sprintf(\"%.0f%%\", 100 * coef(p))", "display %4.0f 100*r(mean)", NULL, COMPLETE_NONE, 0},
    {"tab", "Estimates", cmd_tab,
     "tab ROW [by COL[,LAYER...]] [if EXPR] [pct=col|row|cell] [test=f|chisq|wald|adjwald|all|none] "
     "[ci=] [deff] [level=] [df=]",
     "weighted tables with percentages, intervals and tests of independence",
     "A one-way table of ROW, or ROW by COL (one table per level of any LAYER\n"
     "variables): every cell's weighted count with its standard error, the percentage (of\n"
     "the column by default; pct=row or pct=cell) with standard error and interval (logit\n"
     "unless ci= says otherwise), design effects with deff, the unweighted counts, and the\n"
     "margins. Rows missing either variable are left out. The tests of independence are\n"
     "those of R's svychisq: the Rao-Scott F (test=f, the default), the first-order\n"
     "corrected chi-square (chisq: Pearson's X2 with the corrected p), Wald and adjusted\n"
     "Wald. Percentages failing the NCHS presentation standard (effective n below 30, too\n"
     "wide a Korn-Graubard interval) are marked *, those on fewer than 8 degrees of freedom\n"
     "+. With set suppress=N, cells and totals of fewer than N respondents are hidden [x],\n"
     "and further cells [c] so that no hidden value can be worked out from the totals.\n"
     "On a replicate design every count and percentage is recomputed with each\n"
     "replicate's weights and the tests use the replicate covariance of the cells\n"
     "(svychisq on a svyrep.design, with the design's df); deff and ci=likelihood are\n"
     "not available there.",
     "tab training_met by role pct=row test=all",
     "svyby(~training_met, ~role, d, svymean); svychisq(~training_met + role, d)",
     "svy: tabulate training_met role, column se ci", cli_tab_options, COMPLETE_VARS, 0},
    {"poststratify", "Weighting", cmd_poststratify,
     "poststratify VAR=LEVEL:N,... | poststratify VAR[*VAR] using \"margins.csv\"",
     "post-stratify the weights to population counts",
     "Scales the weights in each post-stratum so they sum to its population count, as R's\n"
     "postStratify. Several variables are crossed with * and their cells read from a CSV\n"
     "file with one column per variable and a total column (or the long form\n"
     "variable,level,total for one variable). Every sampled level needs a positive total\n"
     "and every total a sampled row. Standard errors afterwards use residuals within the\n"
     "post-strata, as R. Rows with a zero weight take no part.",
     "poststratify role=\"Social worker\":5400,\"Team manager\":900,Other:2100",
     "postStratify(design, ~role, data.frame(role=..., Freq=...))",
     "svyset ..., poststrata(role) postweight(N)", NULL, COMPLETE_VARS, 1},
    {"rake", "Weighting", cmd_rake,
     "rake VAR=LEVEL:N,... VAR=LEVEL:N,... [using \"margins.csv\"] [maxit=] [epsilon=]",
     "rake the weights to several margins (iterative proportional fitting)",
     "Post-stratifies on each margin in turn until every margin total is within epsilon\n"
     "(relative, 1e-10 by default) of its target, working on the table of margin cells.\n"
     "Reports the cycles and the final misfit; fails naming the margin when it does not\n"
     "converge, when the margins' totals disagree, or when a level does not match the\n"
     "data. Margins may come from a CSV file with columns variable,level,total (naming\n"
     "variables before using takes only theirs). Standard errors as R's rake.",
     "rake role=Manager:900,Worker:5400,Other:2100 region=North:3600,South:4800",
     "rake(design, list(~role, ~region), list(pop.role, pop.region), control=list(epsilon=1e-10))",
     "ipfraking (user-written)", opt_rake, COMPLETE_VARS, 1},
    {"calibrate", "Weighting", cmd_calibrate,
     "calibrate VAR=LEVEL:N,... NUMVAR=TOTAL ... [method=linear|raking|logit] [bounds=LO,HI]",
     "calibrate the weights to margins and totals (GREG, generalised raking)",
     "Finds weights w g closest to the current weights whose totals match the margins\n"
     "(categorical variables, with the intercept) and numeric totals, as R's calibrate:\n"
     "linear (GREG; weights may turn negative without bounds), raking or logit distance,\n"
     "with bounds on g. Newton iterations stop when every total is within epsilon\n"
     "(relative); a request that cannot be met fails naming the total. Standard errors\n"
     "use residuals against the calibration variables, as R.",
     "calibrate role=Manager:900,Worker:5400,Other:2100 caseload=162000 method=raking bounds=0.5,3",
     "calibrate(design, ~role+caseload, c(8400, 5400, 2100, 162000), calfun=\"raking\", "
     "bounds=c(0.5,3))",
     "svycal rake i.role caseload, totals(...)", opt_calibrate, COMPLETE_VARS, 1},
    {"trim", "Weighting", cmd_trim, "trim [lower=L] [upper=U] [maxit=] [epsilon=]",
     "trim extreme weights",
     "Sets weights beyond the bounds to the bound and shares the amount trimmed equally\n"
     "among the other weights, keeping their sum (R's trimWeights, strict). When the design\n"
     "was post-stratified, raked or calibrated, that last step is re-run after trimming,\n"
     "alternating until the margins hold and the weights are within the bounds.",
     "trim upper=40", "trimWeights(design, upper=40, strict=TRUE)",
     "(trimming: user-written ipfraking trimhiabs())", opt_trim, COMPLETE_NONE, 0},
    {"nonresponse", "Weighting", cmd_nonresponse, "nonresponse respond=VAR cells=VAR[,VAR]",
     "adjust weights for nonresponse within cells",
     "Within each cell (the crossed levels of the cell variables) scales the respondents'\n"
     "weights so they carry the cell's whole weight, and gives nonrespondents weight zero.\n"
     "respond= is a 0/1 variable. A cell with no respondents is an error naming it: merge\n"
     "cells. The adjusted weights act as design weights for variances.",
     "nonresponse respond=responded cells=region,employer_type",
     "update(design, w = w * ave(w, cell) / ave(w * r, cell) * r)",
     "(weighting-class adjustment by hand)", opt_nonresponse, COMPLETE_VARS, 0},
    {"weights", "Weighting", cmd_weights, "weights", "weight diagnostics",
     "Prints the sampled rows' weights: sum, mean, min, max, ratio max/min, CV,\n"
     "Kish's design effect due to weighting 1 + CV^2 (population variance), the effective\n"
     "sample size, and the range of g = weight / design weight when the weights were\n"
     "changed. Warns when the effective sample size falls below half the sample.",
     "weights", "summary(weights(design)); 1 + cv(weights(design))^2",
     "summarize [pw] (svyset)", NULL, COMPLETE_NONE, 0},
    {"project", "Projections", cmd_project,
     "project \"model.csv\" [years=10] [sims=N] [seed=N] [scenario=NAME] [plot[=ROLE]] "
     "[PARAM[ROLE]=VALUE[:SE]|last[:LEVEL]]",
     "project headcount by role and age band, with uncertainty bands",
     "Projects headcount by role and age band from a stock-flow model held in a CSV file\n"
     "(columns role, age_band, parameter, value, se and optionally scenario; see\n"
     "doc/projection.md). Each year leavers and transitions leave the stock, survivors age\n"
     "(1/width of a band moves up; the last band is open) and joiners arrive by the joiner\n"
     "age mix; demand grows at a rate or follows a driver series, and the gap, replacement\n"
     "demand and recruits needed follow. The stock identity is checked every year. With\n"
     "sims=N the parameters that have an se are drawn N times (rates on the logit scale,\n"
     "counts on the log scale) and the 10th, 50th and 90th percentiles are reported.\n"
     "PARAM[ROLE]=VALUE:SE or PARAM[ROLE,BAND]=VALUE:SE overrides a parameter;\n"
     "PARAM[ROLE]=last takes the last survey estimate and its SE (last:LEVEL picks one of\n"
     "several, last:\"LEVEL|DOMAIN\" one of a table). plot draws a fan chart in text output.",
     "project \"model.csv\" years=10 sims=1000 leaver_rate[Social worker]=0.15:0.02 plot",
     "(no survey function: a stock-flow model, e.g. a loop over years in base R)", "(none)",
     cli_project_options, COMPLETE_FILES, 1},
    {"set", "Session", cmd_set, "set [KEY=VALUE ...]", "change or show session settings",
     "Without arguments prints the settings. Keys: format, digits, show, level, ci, df,\n"
     "lonely, suppress, explain, width, progress, timing. With timing=on every command\n"
     "is followed by a line on stderr with its elapsed wall time, e.g.\n"
     "\"time: 0.0123 s  mean y\" (stdout is unchanged, so JSON output stays clean).",
     "set format=markdown digits=0 suppress=10", "options(survey.lonely.psu=\"adjust\")",
     "set level 90", opt_set, COMPLETE_SETTINGS, 0},
    {"run", "Session", cmd_run, "run \"script.wfs\" [quiet]", "run the commands in a script",
     "Runs a script as if its commands were typed. A relative path that does not exist\n"
     "from the current directory is looked up beside the script being run. Scripts may\n"
     "run other scripts up to 16 deep. With quiet the script's results are not printed\n"
     "(errors and warnings are), as for a script that only loads data and declares a\n"
     "design; the last result is still there for say and save.",
     "run \"datasets/personalisation-2009/design.wfs\" quiet", "source(\"script.R\")",
     "quietly do script.do", opt_run, COMPLETE_FILES, 0},
    {"save", "Session", cmd_save, "save \"out.csv|.md|.json|.txt|.wfb\" [replace] [format=FORMAT]",
     "write the last result, or a snapshot of the data, to a file",
     "Writes the result of the last command that printed one (an estimate, a table, a\n"
     "listing) to a file in the format its name ends in: .csv, .md, .json (one JSON object,\n"
     "as --format=json prints it) or .txt; format= overrides the name. Tables are written\n"
     "at the width of set width= (80 columns unless set), not the terminal's. A name\n"
     "ending in .wfb saves a binary snapshot of the active dataset instead (every column,\n"
     "versioned and checksummed) that load reads back at once. The file is\n"
     "written under a temporary name and renamed into place, and an existing file is only\n"
     "overwritten with replace.",
     "save \"training-by-role.md\" replace", "write.csv(as.data.frame(est), \"out.csv\")",
     "esttab using out.csv, replace", opt_save, COMPLETE_FILES, 0},
    {"export", "Session", cmd_export, "export \"data.csv\" [replace] [weight=NAME] [delim=,]",
     "write the active dataset to CSV with its current weights",
     "Writes every row and variable of the active dataset as CSV with a header row, numbers\n"
     "so that they read back exactly and missing values as empty fields. With a design, its\n"
     "current weights (after any weighting) are written too, as the column final_weight or\n"
     "the name weight= gives; a column of that name gets the weights in place of its values.\n"
     "The file is written under a temporary name and renamed into place, and an existing\n"
     "file is only overwritten with replace.",
     "export \"weighted.csv\" weight=w_final",
     "write.csv(cbind(df, w_final = weights(design)), \"weighted.csv\")",
     "export delimited using weighted.csv, replace", opt_export, COMPLETE_FILES, 0},
    {"log", "Session", cmd_log, "log [\"session.wfs\" [replace] | off]",
     "keep a journal of the session that replays to the same results",
     "Writes the session so far to a journal - every command, what it printed as #> lines,\n"
     "the SHA-256 of each file loaded, the wfstat version - and adds every later command\n"
     "until log off or the end of the session. The journal is a script: wfstat session.wfs\n"
     "runs it again and prints exactly its #> lines. Commands that failed, and log, save,\n"
     "export, run and quit themselves, are kept as comments; the commands a script ran are\n"
     "recorded one by one. Without arguments shows the journal being kept.",
     "log \"2024-training-needs.wfs\"", "sink(\"session.log\", split = TRUE)",
     "log using session.smcl", opt_log, COMPLETE_FILES, 0},
    {"help", "Session", cmd_help, "help [COMMAND]", "list commands or explain one",
     "Without arguments lists the commands by topic; with a command name gives its\n"
     "synopsis, options with defaults, an example and the R and Stata equivalents.",
     "help tab", "?svymean", "help svy", NULL, COMPLETE_COMMANDS, 0},
    {"quit", "Session", cmd_quit, "quit", "leave wfstat",
     "Ends the session (also: exit, or Ctrl-D at the prompt).", "quit", "q()", "exit", NULL,
     COMPLETE_NONE, 0},
};

const size_t cli_ncommands = sizeof cli_commands / sizeof *cli_commands;

const cli_command *cli_find_command(const char *name)
{
    for (size_t i = 0; i < cli_ncommands; i++)
        if (strcmp(cli_commands[i].name, name) == 0) return &cli_commands[i];
    if (strcmp(name, "exit") == 0) return cli_find_command("quit");
    return NULL;
}

const char *cli_suggest_command(const char *name)
{
    for (size_t cap = 1; cap <= 2; cap++)
        for (size_t i = 0; i < cli_ncommands; i++)
            if (wfs_edit_distance(name, cli_commands[i].name, cap) <= cap)
                return cli_commands[i].name;
    /* A prefix is a good guess too ("desc" for describe). */
    size_t n = strlen(name);
    for (size_t i = 0; i < cli_ncommands && n >= 3; i++)
        if (strncmp(cli_commands[i].name, name, n) == 0) return cli_commands[i].name;
    return NULL;
}

/* Help topics that are not commands. */
const char *const cli_help_topics[] = {"syntax", "shell", NULL};

static const char help_syntax[] =
    "The command language\n"
    "\n"
    "  One command per line; ';' separates commands, '#' starts a comment and a\n"
    "  trailing '\\' continues a command on the next line. A command is its name,\n"
    "  then positional words, then by and if clauses, then key=value options; bare\n"
    "  words such as deff are flags:\n"
    "\n"
    "    mean caseload by role,region if grade >= 3 and team != \"Duty\" deff level=0.9\n"
    "\n"
    "  Names are letters, digits, '_' and '.' (api.stu); other names go in\n"
    "  backticks (`pay band`). Strings are in double quotes. An if expression\n"
    "  takes == != < <= > >=, and, or, not, parentheses, VAR in (\"a\",\"b\") and\n"
    "  missing(VAR); a comparison with a missing value is false. by takes one or\n"
    "  more variables separated by commas. Option values are lists separated by\n"
    "  commas (p=0.1,0.5,0.9); margins are LEVEL:COUNT pairs (role=\"Team manager\":120).\n";

static const char help_shell[] =
    "The interactive shell\n"
    "\n"
    "  Tab          complete command names, variables of the active dataset (after\n"
    "               the command, after by, inside if), levels of a variable after\n"
    "               VAR == or inside VAR in (, option keys and their values (ci=),\n"
    "               file names inside quotes, dataset names after use\n"
    "  Tab Tab      list the candidates\n"
    "  Up, Down     earlier commands, also from earlier sessions (~/.wfstat_history)\n"
    "  Ctrl-R       search the history\n"
    "  Ctrl-C       cancel the line being typed, or stop the command that is running\n"
    "  Ctrl-D       leave (on an empty line), as quit does\n"
    "\n"
    "  The prompt names the active dataset: wfstat[survey]>. A line ending in '\\'\n"
    "  or with a parenthesis still open continues on a ...> line. Errors print one\n"
    "  line, with a caret under the offending word, and the session goes on. Tables\n"
    "  fit the width of the terminal (set width=N fixes it). log \"session.wfs\"\n"
    "  keeps a journal that replays to the same results; save writes the last\n"
    "  result to a file. Line editing follows readline: ~/.inputrc sections\n"
    "  headed $if wfstat apply to wfstat only. WFSTAT_HISTORY names another history\n"
    "  file; WFSTAT_NO_HISTORY=1 keeps no history.\n";

/* Append text wrapped to width columns, continuation lines indented. */
static void wrap(wfs_buf *b, const char *text, size_t col, size_t indent, size_t width)
{
    const char *p = text;
    while (*p) {
        while (*p == ' ') p++;
        size_t n = strcspn(p, " ");
        if (col > indent && col + 1 + n > width) {
            wfs_buf_putc(b, '\n');
            wfs_buf_repeat(b, ' ', indent);
            col = indent;
        } else if (col > indent) {
            wfs_buf_putc(b, ' ');
            col++;
        }
        wfs_buf_add(b, p, n);
        col += n;
        p += n;
    }
}

static void help_one(wfs_buf *b, const cli_command *c)
{
    wfs_buf_printf(b, "%s\n\n  %s\n\n", c->synopsis, c->summary);
    /* Indent the long help. */
    const char *p = c->help;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        wfs_buf_puts(b, "  ");
        wfs_buf_add(b, p, n);
        wfs_buf_putc(b, '\n');
        p += n + (nl != NULL);
    }
    if (c->options && c->options[0].name) {
        wfs_buf_puts(b, "\nOptions:\n");
        enum { HEAD = 22, WIDTH = 79 };
        for (const cli_option *o = c->options; o->name; o++) {
            wfs_buf head = WFS_BUF_INIT;
            if (o->kind == OPT_FLAG)
                wfs_buf_printf(&head, "%s", o->name);
            else if (o->kind == OPT_FLAG_OR_VALUE && o->values)
                wfs_buf_printf(&head, "%s, %s=%s", o->name, o->name, o->values);
            else if (o->values)
                wfs_buf_printf(&head, "%s=%s", o->name, o->values);
            else
                wfs_buf_printf(&head, "%s=...", o->name);
            wfs_buf_printf(b, "  %s", head.data ? head.data : "");
            size_t col = 2 + head.len;
            wfs_buf_free(&head);
            if (col + 2 > HEAD) {
                wfs_buf_putc(b, '\n');
                col = 0;
            }
            wfs_buf_repeat(b, ' ', HEAD - col);
            wfs_buf text = WFS_BUF_INIT;
            wfs_buf_puts(&text, o->help);
            if (o->def) wfs_buf_printf(&text, " (default: %s)", o->def);
            wrap(b, text.data ? text.data : "", HEAD, HEAD, WIDTH);
            wfs_buf_free(&text);
            wfs_buf_putc(b, '\n');
        }
    }
    wfs_buf_printf(b, "\nExample:\n  %s\n", c->example);
    wfs_buf_printf(b, "\nIn R:     %s\nIn Stata: %s\n", c->r_equiv, c->stata_equiv);
}

char *cli_help_text(const char *topic)
{
    wfs_buf b = WFS_BUF_INIT;
    if (topic && *topic) {
        if (strcmp(topic, "syntax") == 0) return wfs_strdup(help_syntax);
        if (strcmp(topic, "shell") == 0) return wfs_strdup(help_shell);
        const cli_command *c = cli_find_command(topic);
        if (!c) return NULL;
        help_one(&b, c);
        return wfs_buf_take(&b, NULL);
    }
    wfs_buf_printf(&b, "wfstat %s: design-based statistics for workforce surveys.\n\n",
                   wfs_version());
    /* Topics in order of first appearance in the table. */
    const char *topics[32];
    size_t nt = 0;
    for (size_t i = 0; i < cli_ncommands; i++) {
        size_t k = 0;
        while (k < nt && strcmp(topics[k], cli_commands[i].topic) != 0) k++;
        if (k == nt && nt < 32) topics[nt++] = cli_commands[i].topic;
    }
    for (size_t k = 0; k < nt; k++) {
        wfs_buf_printf(&b, "%s:\n", topics[k]);
        for (size_t i = 0; i < cli_ncommands; i++)
            if (strcmp(cli_commands[i].topic, topics[k]) == 0)
                wfs_buf_printf(&b, "  %-12s %s\n", cli_commands[i].name, cli_commands[i].summary);
        wfs_buf_putc(&b, '\n');
    }
    wfs_buf_puts(&b,
                 "Type help COMMAND for its options, an example and the R and Stata equivalents;\n"
                 "help syntax for the command language; help shell for completion, history\n"
                 "and the keys of the shell.\n");
    return wfs_buf_take(&b, NULL);
}

/* Escape text for roff: backslashes and leading dots. */
static void roff(wfs_buf *b, const char *s)
{
    if (*s == '.' || *s == '\'') wfs_buf_puts(b, "\\&");
    for (; *s; s++) {
        if (*s == '\\')
            wfs_buf_puts(b, "\\e");
        else if (*s == '-')
            wfs_buf_puts(b, "\\-");
        else if (*s == '\n') {
            wfs_buf_putc(b, '\n');
            if (s[1] == '.' || s[1] == '\'') wfs_buf_puts(b, "\\&");
        } else
            wfs_buf_putc(b, *s);
    }
}

char *cli_man_commands(void)
{
    wfs_buf b = WFS_BUF_INIT;
    for (size_t i = 0; i < cli_ncommands; i++) {
        const cli_command *c = &cli_commands[i];
        wfs_buf_puts(&b, ".TP\n.B ");
        roff(&b, c->synopsis);
        wfs_buf_putc(&b, '\n');
        roff(&b, c->help);
        wfs_buf_putc(&b, '\n');
        for (const cli_option *o = c->options; o && o->name; o++) {
            wfs_buf_puts(&b, ".br\n\\fI");
            roff(&b, o->name);
            wfs_buf_puts(&b, "\\fP: ");
            roff(&b, o->help);
            if (o->def) {
                wfs_buf_puts(&b, " (default ");
                roff(&b, o->def);
                wfs_buf_putc(&b, ')');
            }
            wfs_buf_putc(&b, '\n');
        }
        wfs_buf_puts(&b, ".br\nExample: \\fB");
        roff(&b, c->example);
        wfs_buf_puts(&b, "\\fP\n");
    }
    return wfs_buf_take(&b, NULL);
}

int cmd_help(session *s, const cmdline *cl)
{
    const char *topic = cl->npos ? cl->pos[0]->text : NULL;
    char *text = cli_help_text(topic);
    if (!text) {
        const char *near = cli_suggest_command(topic);
        s->errpos = (long)cl->pos[0]->pos;
        if (near) return cli_error(s, "no command \"%s\" (did you mean %s?)", topic, near);
        return cli_error(s, "no command \"%s\" (help lists the commands)", topic);
    }
    int rc = cli_emit_text(s, "help", text);
    free(text);
    return rc;
}

int cmd_quit(session *s, const cmdline *cl)
{
    (void)cl;
    s->quit = 1;
    return 0;
}
