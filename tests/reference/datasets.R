# datasets.R - the figures the shipped datasets are calibrated to, as R's
# survey package computes them from the shipped CSV files.
#
#   Rscript tests/reference/datasets.R > tests/reference/datasets.Rout
#
# Each design is declared as the dataset's design script declares it
# (datasets/*/design*.wfs). Every target of the datasets is checked and
# printed as "ok" or "FAIL"; the exit status is 1 when any target fails.
suppressMessages(library(survey))

args <- commandArgs(FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
top <- normalizePath(file.path(dirname(script), "..", ".."))
rd <- function(...) {
    read.csv(file.path(top, "datasets", ...), stringsAsFactors = TRUE,
             na.strings = c("", "NA"), check.names = FALSE)
}

failures <- 0
check <- function(what, value, lo, hi) {
    ok <- !is.na(value) && value >= lo - 1e-12 && value <= hi + 1e-12
    if (!ok) failures <<- failures + 1
    cat(sprintf("  %-62s %9.4f  in [%g, %g]  %s\n", what, value, lo, hi,
                if (ok) "ok" else "FAIL"))
}
heading <- function(s) cat("\n==", s, "==\n")

# Weighted share of each level (estimate, SE, 95% logit interval on the
# design df as svyciprop gives it) beside the unweighted share and base.
shares <- function(design, var) {
    x <- design$variables[[var]]
    f <- as.formula(paste0("~", var))
    est <- svymean(f, design, na.rm = TRUE)
    n <- sum(!is.na(x))
    cat(sprintf("  %-28s %8s %8s %17s %10s %5s\n", var, "weighted", "SE",
                "95% CI (logit, t)", "unweighted", "n"))
    for (lev in levels(x)) {
        nm <- paste0(var, lev)
        ci <- svyciprop(as.formula(sprintf("~I(%s == \"%s\")", var, lev)),
                        design, method = "logit", na.rm = TRUE)
        cat(sprintf("  %-28s %8.4f %8.4f   %6.4f - %6.4f %10.4f %5d\n", lev,
                    coef(est)[[nm]], SE(est)[[nm]], attr(ci, "ci")[[1]],
                    attr(ci, "ci")[[2]], mean(x == lev, na.rm = TRUE),
                    sum(x == lev, na.rm = TRUE)))
    }
    cat(sprintf("  %-28s %8s %8s %17s %10s %5d\n", "(base)", "", "", "", "", n))
    invisible(est)
}
wshare <- function(design, var, lev) {
    coef(svymean(as.formula(paste0("~", var)), design, na.rm = TRUE))[[paste0(var, lev)]]
}
ushare <- function(data, var, lev) mean(data[[var]] == lev, na.rm = TRUE)
summarise <- function(design) {
    cat(sprintf("  n = %d, strata = %d, PSUs = %d, df = %d, sum of weights = %.4f\n",
                nrow(design), length(unique(design$strata[, 1])),
                length(unique(paste(design$strata[, 1], design$cluster[, 1]))),
                degf(design), sum(weights(design))))
}

cat(R.version.string, "\nsurvey", as.character(packageVersion("survey")), "\n")
cat("lonely PSU policy:", getOption("survey.lonely.psu", "fail"), "(no stratum has a single PSU)\n")

# ------------------------------------------------------------------
heading("personalisation-2009/staff.csv")
staff <- rd("personalisation-2009", "staff.csv")
pers <- svydesign(id = ~council, strata = ~region, weights = ~weight, data = staff)
summarise(pers)
shares(pers, "training_needs_met")
shares(pers, "enough_guidance")
w <- wshare(pers, "training_needs_met", "Not met")
u <- ushare(staff, "training_needs_met", "Not met")
check("training_needs_met = Not met, weighted (published 46%)", w, 0.43, 0.49)
check("training_needs_met = Not met, |weighted - unweighted|", abs(w - u), 0.02, 1)
w <- wshare(pers, "enough_guidance", "No")
u <- ushare(staff, "enough_guidance", "No")
check("enough_guidance = No, weighted (published 56%)", w, 0.53, 0.59)
check("enough_guidance = No, |weighted - unweighted|", abs(w - u), 0.02, 1)

cat("\n  Not met by role (weighted, SE; unweighted n):\n")
by_role <- svyby(~I(training_needs_met == "Not met"), ~role, pers, svymean)
for (i in seq_len(nrow(by_role)))
    cat(sprintf("  %-28s %8.4f %8.4f %5d\n", by_role$role[i], by_role[i, 3],
                by_role[i, 5], sum(staff$role == by_role$role[i])))
base <- svydesign(id = ~council, strata = ~region, weights = ~design_weight, data = staff)
cat(sprintf("\n  Not met with the design weights before post-stratification: %.4f\n",
            wshare(base, "training_needs_met", "Not met")))

# The weights reproduce the role x region population and the margins.
pop <- rd("personalisation-2009", "population.csv")
tot <- aggregate(weight ~ role + region, data = staff, FUN = sum)
m <- merge(pop, tot, all.x = TRUE)
check("max |sum of weights - population.csv total| over role x region",
      max(abs(m$weight - m$total)), 0, 1e-6)
marg <- rd("personalisation-2009", "margins.csv")
mt <- c(tapply(staff$weight, staff$role, sum), tapply(staff$weight, staff$region, sum))
check("max |sum of weights - margins.csv total|",
      max(abs(mt[as.character(marg$level)] - marg$total)), 0, 1e-6)

heading("personalisation-2009/councils.csv")
pc <- rd("personalisation-2009", "councils.csv")
print(table(pc$strategy_status))
check("councils", nrow(pc), 150, 150)
check("strategy_status = In place, share of councils (a quarter)",
      mean(pc$strategy_status == "In place"), 0.23, 0.27)
check("strategy_status = Early stage, share of councils (a fifth)",
      mean(pc$strategy_status == "Early stage"), 0.18, 0.22)
check("councils in the staff survey = PSUs of staff.csv",
      sum(pc$in_staff_survey == "Yes"), length(unique(staff$council)),
      length(unique(staff$council)))

# ------------------------------------------------------------------
heading("jobs-outlook/wave2008.csv")
w08 <- rd("jobs-outlook", "wave2008.csv")
d08 <- svydesign(id = ~council, strata = ~region, weights = ~weight, data = w08)
summarise(d08)
shares(d08, "expect_fewer_sw_2011")
shares(d08, "expect_more_unqualified_2011")
shares(d08, "unqualified_care_management")
shares(d08, "intend_to_leave_12m")
check("expect_fewer_sw_2011 = Yes, weighted (published 58%)",
      wshare(d08, "expect_fewer_sw_2011", "Yes"), 0.55, 0.61)
m08 <- rd("jobs-outlook", "margins2008.csv")
mt <- c(tapply(w08$weight, w08$region, sum), tapply(w08$weight, w08$role, sum))
check("max |sum of weights - margins2008.csv total| / total",
      max(abs(mt[as.character(m08$level)] - m08$total) / m08$total), 0, 1e-6)

heading("jobs-outlook/wave2010.csv")
w10 <- rd("jobs-outlook", "wave2010.csv")
d10 <- svydesign(id = ~1, strata = ~region, weights = ~weight, fpc = ~stratum_size, data = w10)
summarise(d10)
shares(d10, "team_sw_change")
shares(d10, "team_unqualified_change")
shares(d10, "replaced_by_unqualified")
shares(d10, "unqualified_care_management")
shares(d10, "intend_to_leave_12m")
# Change between the independent waves: the difference of the shares with
# the variances added.
e08 <- svymean(~I(unqualified_care_management == "Yes"), d08)
e10 <- svymean(~I(unqualified_care_management == "Yes"), d10)
cat(sprintf("\n  unqualified_care_management = Yes, 2010 - 2008: %.4f (SE %.4f)\n",
            coef(e10)[[2]] - coef(e08)[[2]], sqrt(SE(e10)[[2]]^2 + SE(e08)[[2]]^2)))
cat(sprintf("  expected (2008: expect_fewer_sw_2011 = Yes) %.4f, experienced (2010: team_sw_change = Fewer) %.4f\n",
            wshare(d08, "expect_fewer_sw_2011", "Yes"), wshare(d10, "team_sw_change", "Fewer")))
check("sum of weights = stratum_size in every region",
      max(abs(tapply(w10$weight, w10$region, sum) - tapply(w10$stratum_size, w10$region, max))),
      0, 1e-6)

# ------------------------------------------------------------------
heading("council-workforce")
posts <- rd("council-workforce", "posts.csv")
check("posts.csv rows (150 councils x 12 years)", nrow(posts), 1800, 1800)
check("posts.csv councils", length(unique(posts$council)), 150, 150)
wirral <- posts[posts$council == "Wirral" & posts$year %in% 2008:2009,
                c("council", "year", "qualified_sw_fte", "unqualified_fte")]
print(wirral, row.names = FALSE)
check("Wirral qualified_sw_fte, 2009 - 2008", diff(wirral$qualified_sw_fte), -26, -26)
check("Wirral unqualified_fte, 2009 - 2008", diff(wirral$unqualified_fte), 29, 29)
sw <- posts[posts$council == "Swindon", c("year", "delivery_model")]
cat("  Swindon delivery_model:", paste(sw$year, sw$delivery_model, sep = " ", collapse = ", "), "\n")
check("Swindon years as Social enterprise (2011-2015)",
      sum(sw$delivery_model == "Social enterprise" & sw$year %in% 2011:2015), 5, 5)
check("Swindon In-house in 2016",
      sum(sw$delivery_model == "In-house" & sw$year == 2016), 1, 1)
bm <- posts[posts$council == "Birmingham" & !is.na(posts$planned_model), c("year", "planned_model")]
cat("  Birmingham planned_model:", paste(bm$year, bm$planned_model, collapse = ", "), "\n")
check("Birmingham planned social enterprise years (2013, 2014)",
      sum(bm$planned_model == "Social enterprise" & bm$year %in% 2013:2014), 2, 2)
nat <- aggregate(cbind(qualified_sw_fte, unqualified_fte) ~ year, data = posts, FUN = sum)
cat("  England totals by year (FTE):\n")
print(nat, row.names = FALSE)

ind <- rd("council-workforce", "indicators.csv")
v <- function(a) ind$delayed_discharges_sc[ind$area == a & ind$period == "2014-15"]
check("delayed_discharges_sc, Swindon 2014-15 (published 6.9)", v("Swindon"), 6.9, 6.9)
check("delayed_discharges_sc, England 2014-15 (published 3.7)", v("England"), 3.7, 3.7)
cat(sprintf("  councils: median %.1f, missing %d\n",
            median(ind$delayed_discharges_sc[ind$area_type == "Council"], na.rm = TRUE),
            sum(is.na(ind$delayed_discharges_sc))))
cc <- rd("council-workforce", "councils.csv")
print(table(cc$swp_interest))
check("councils with swp_interest = Yes (published 17 of 150)", sum(cc$swp_interest == "Yes"), 17, 17)
check("council-workforce councils", nrow(cc), 150, 150)

# ------------------------------------------------------------------
heading("projection/model.csv")
mod <- rd("projection", "model.csv")
base <- mod[is.na(mod$scenario), ]
print(table(as.character(base$parameter)))
hc <- base[base$parameter == "headcount", ]
print(tapply(hc$value, hc$role, sum))
js <- base[base$parameter == "joiner_share", ]
check("max |sum of joiner_share - 1| over roles", max(abs(tapply(js$value, js$role, sum) - 1)), 0, 1e-12)
lr <- mod[mod$parameter == "leaver_rate", ]
check("leaver rates within [0, 1]", all(lr$value >= 0 & lr$value <= 1), 1, 1)
check("role x age band cells with a headcount", nrow(hc), 30, 30)
print(table(as.character(mod$scenario)))

cat("\n")
if (failures > 0) {
    cat(failures, "target(s) FAILED\n")
    quit(status = 1)
}
cat("all targets met\n")
