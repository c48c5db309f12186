# weighting.R - reference values for wfstat's weighting commands from R's
# survey package (4.1-1): postStratify, rake, calibrate (linear, raking,
# logit, bounds), trimWeights, and the estimates and standard errors of
# the weighted designs, with domains. Run from this directory:
#   Rscript weighting.R
# It writes the synthetic data (data/wt*.csv and the margins files), the
# wfstat scripts (ws_*.wfs) and the values R computes (ws_*.expected).
# CI does not need R: the outputs are committed.
#
# Tolerances: closed forms (post-stratification, linear calibration,
# trimming an uncalibrated design) 1e-9 relative; iterative ones (raking,
# calibration with raking or logit distance or bounds) 1e-8, with R run to
# a tight epsilon (rake: 1e-13 of the total weight; calibrate: 1e-13) so
# that both converge to the same weights.
suppressMessages(library(survey))
options(warn = 1)
set.seed(20261124)

fmt <- function(v) {
  if (is.character(v)) return(sprintf("\"%s\"", v))
  if (length(v) != 1 || is.na(v) || is.nan(v) || !is.finite(v)) return("NA")
  sprintf("%.17g", v)
}

case_new <- function(name) {
  e <- new.env()
  e$name <- name; e$cmds <- character(); e$exp <- character(); e$k <- -1
  e
}
cmd <- function(cs, text) {
  cs$cmds <- c(cs$cmds, text); cs$k <- cs$k + 1; cs$row <- 0
  invisible(NULL)
}
note <- function(cs, text) cs$exp <- c(cs$exp, paste("#", text))
tol <- function(cs, t) cs$exp <- c(cs$exp, paste("tol", t))
chk <- function(cs, field, value, row = cs$row) {
  cs$exp <- c(cs$exp, sprintf("%d %s %s %s", cs$k, row, field, fmt(value)))
}
nextrow <- function(cs) cs$row <- cs$row + 1
case_write <- function(cs) {
  writeLines(cs$cmds, paste0(cs$name, ".wfs"))
  writeLines(cs$exp, paste0(cs$name, ".expected"))
}

put <- function(cs, est, se, lo, hi, df, n, nw) {
  chk(cs, "estimate", est); chk(cs, "se", se)
  chk(cs, "ci_lower", lo); chk(cs, "ci_upper", hi)
  chk(cs, "df", df); chk(cs, "n", n); chk(cs, "n_weighted", nw)
  nextrow(cs)
}

tq <- function(df, level = 0.95) if (is.infinite(df)) qnorm(1 - (1 - level) / 2) else qt(1 - (1 - level) / 2, df)

domains <- function(data, by = NULL, cond = NULL) {
  base <- if (is.null(cond)) rep(TRUE, nrow(data)) else cond
  if (is.null(by)) return(list(base))
  f <- interaction(data[by], drop = FALSE, lex.order = FALSE)
  out <- list()
  for (lev in levels(f)) {
    d <- base & !is.na(f) & f == lev
    if (any(d)) out[[length(out) + 1]] <- d
  }
  out
}

# Calibrated designs keep every row in a subset (weight zero outside), so
# the estimators need na.rm = TRUE to skip the missing values there.
sub <- function(des, keep) {
  keep[is.na(keep)] <- FALSE
  des[keep, ]
}

ref_numeric <- function(cs, des, data, var, stat = "mean", by = NULL, cond = NULL) {
  for (dm in domains(data, by, cond)) {
    ds <- sub(des, dm & !is.na(data[[var]]))
    f <- as.formula(paste0("~", var))
    m <- if (stat == "mean") svymean(f, ds, na.rm = TRUE) else svytotal(f, ds, na.rm = TRUE)
    ddf <- degf(ds)
    est <- coef(m)[[1]]; se <- SE(m)[[1]]
    put(cs, est, se, est - tq(ddf) * se, est + tq(ddf) * se, ddf,
        sum(weights(ds) != 0), sum(weights(ds)))
  }
}

# Proportions with logit intervals. R's svyciprop fails on a calibrated
# design whose variable has missing values, so the interval is written in
# closed form: svyciprop's logit interval equals expit(logit(p) -/+ t SE /
# (p (1 - p))) up to svyglm's convergence (about 1e-9; wfstat replays
# svyglm's iterations, see estimates.R), hence 1e-8 for these rows.
ref_prop <- function(cs, des, data, var, by = NULL, cond = NULL) {
  tol(cs, "1e-8")
  on.exit(tol(cs, cs$tol))
  levs <- sort(unique(as.character(data[[var]][!is.na(data[[var]])])))
  for (dm in domains(data, by, cond)) {
    ds <- sub(des, dm & !is.na(data[[var]]))
    ddf <- degf(ds)
    m <- svymean(as.formula(paste0("~factor(", var, ")")), ds, na.rm = TRUE)
    for (j in seq_along(levs)) {
      p <- coef(m)[[j]]; se <- SE(m)[[j]]
      h <- tq(ddf) * se / (p * (1 - p))
      put(cs, p, se, plogis(qlogis(p) - h), plogis(qlogis(p) + h), ddf,
          sum(weights(ds) != 0), sum(weights(ds)))
    }
  }
}

ref_ratio <- function(cs, des, data, num, den, by = NULL) {
  for (dm in domains(data, by, NULL)) {
    ds <- sub(des, dm & !is.na(data[[num]]) & !is.na(data[[den]]))
    r <- svyratio(as.formula(paste0("~", num)), as.formula(paste0("~", den)), ds, na.rm = TRUE)
    ddf <- degf(ds)
    est <- coef(r)[[1]]; se <- SE(r)[[1]]
    put(cs, est, se, est - tq(ddf) * se, est + tq(ddf) * se, ddf,
        sum(weights(ds) != 0), sum(weights(ds)))
  }
}

ref_quantile <- function(cs, des, data, var, p, by = NULL) {
  for (dm in domains(data, by, NULL)) {
    ds <- sub(des, dm & !is.na(data[[var]]))
    q <- svyquantile(as.formula(paste0("~", var)), ds, quantiles = p, ci = TRUE,
                     na.rm = TRUE)[[1]]
    for (j in seq_along(p)) {
      chk(cs, "estimate", q[j, 1]); chk(cs, "ci_lower", q[j, 2]); chk(cs, "ci_upper", q[j, 3])
      chk(cs, "se", q[j, 4]); chk(cs, "df", degf(ds))
      nextrow(cs)
    }
  }
}

# The weight diagnostics of `weights` (Kish: CV with the population
# variance; g against the design's own weights).
ref_weights <- function(cs, des, base) {
  w <- weights(des); keep <- w != 0; w <- w[keep]; b <- base[keep]
  n <- length(w); m <- mean(w); cv <- sqrt(sum((w - m)^2) / n) / m
  cmd(cs, "weights")
  chk(cs, "n", n, "-"); chk(cs, "sum_weights", sum(w), "-"); chk(cs, "mean", m, "-")
  chk(cs, "min", min(w), "-"); chk(cs, "max", max(w), "-")
  chk(cs, "ratio", max(w) / min(w), "-"); chk(cs, "cv", cv, "-")
  chk(cs, "deff_kish", 1 + cv^2, "-"); chk(cs, "n_eff", sum(w)^2 / sum(w^2), "-")
  g <- w / b
  if (any(w != b)) { chk(cs, "g_min", min(g), "-"); chk(cs, "g_max", max(g), "-") }
}

# The standard battery of estimates after weighting.
battery <- function(cs, des, data) {
  cmd(cs, "design")
  chk(cs, "df", degf(des), "-"); chk(cs, "sum_weights", sum(weights(des)), "-")
  cmd(cs, "mean y"); ref_numeric(cs, des, data, "y")
  cmd(cs, "total y"); ref_numeric(cs, des, data, "y", "total")
  cmd(cs, "mean y by region"); ref_numeric(cs, des, data, "y", by = "region")
  cmd(cs, "total y by g,sector"); ref_numeric(cs, des, data, "y", "total", by = c("g", "sector"))
  cmd(cs, "mean y if g == \"A\""); ref_numeric(cs, des, data, "y", cond = data$g == "A")
  cmd(cs, "prop need"); ref_prop(cs, des, data, "need")
  cmd(cs, "prop need by role"); ref_prop(cs, des, data, "need", by = "role")
  cmd(cs, "ratio y / x"); ref_ratio(cs, des, data, "y", "x")
  cmd(cs, "ratio y / x by g"); ref_ratio(cs, des, data, "y", "x", by = "g")
  cmd(cs, "quantile y p=0.25,0.5"); ref_quantile(cs, des, data, "y", c(0.25, 0.5))
}

settol <- function(cs, t) { cs$tol <- t; tol(cs, t) }

# ---------------------------------------------------------------- data

# wt: a stratified cluster sample of staff: 4 strata, 18 PSUs, 5-9 staff
# per PSU, unequal weights; role, region and sector (coded 1/2) to weight
# on, caseload x (numeric), outcome y and training need (with missing
# values), a response flag, and a domain variable g.
npsu <- c(4, 5, 3, 6)
rows <- list()
for (h in seq_along(npsu)) for (j in seq_len(npsu[h])) {
  m <- sample(5:9, 1)
  rows[[length(rows) + 1]] <- data.frame(
    h = sprintf("h%d", h), psu = j, fpc = npsu[h] * 3,
    w = round(runif(m, 10, 40) * c(1, 1.5, 0.8, 1.2)[h], 3),
    role = sample(c("Manager", "Social worker", "Support"), m, TRUE, c(0.2, 0.5, 0.3)),
    region = sample(c("North", "South", "East"), m, TRUE),
    sector = sample(1:2, m, TRUE),
    x = round(runif(m, 5, 40), 1),
    y = round(rnorm(m, 30 + 3 * h, 8), 2),
    need = sample(c("Fully met", "Partly met", "Not met"), m, TRUE),
    resp = rbinom(m, 1, 0.8),
    g = sample(c("A", "B"), m, TRUE))
}
wt <- do.call(rbind, rows)
wt$y <- wt$y + 0.3 * wt$x
wt$y[c(5, 40)] <- NA
wt$need[7] <- NA
# Every PSU keeps a respondent, and every role x region cell a row.
stopifnot(all(tapply(wt$resp, paste(wt$h, wt$psu), max) == 1))
stopifnot(all(table(wt$role, wt$region) > 0))
write.csv(wt, "data/wt.csv", row.names = FALSE, na = "")

# wt0: the same data with three rows of weight zero added inside existing
# PSUs (rows outside the sample take no part in weighting).
extra <- wt[c(3, 30, 60), ]
extra$w <- 0
wt0 <- rbind(wt, extra)
write.csv(wt0, "data/wt0.csv", row.names = FALSE, na = "")

N <- 3000
pop_role <- data.frame(role = c("Manager", "Social worker", "Support"), Freq = c(600, 1500, 900))
pop_region <- data.frame(region = c("East", "North", "South"), Freq = c(800, 1000, 1200))
pop_sector <- data.frame(sector = c(1, 2), Freq = c(1700, 1300))
X <- 66000

# Margins files: long form for rake and calibrate; wide form for the
# crossed post-strata role x region.
long <- rbind(
  data.frame(variable = "role", level = pop_role$role, total = pop_role$Freq),
  data.frame(variable = "region", level = pop_region$region, total = pop_region$Freq),
  data.frame(variable = "sector", level = as.character(pop_sector$sector), total = pop_sector$Freq),
  data.frame(variable = "x", level = "", total = X))
write.csv(long, "data/margins.csv", row.names = FALSE, quote = FALSE)
cells <- expand.grid(role = pop_role$role, region = pop_region$region, stringsAsFactors = FALSE)
cells$total <- round(outer(pop_role$Freq, pop_region$Freq)[cbind(
  match(cells$role, pop_role$role), match(cells$region, pop_region$region))] / N *
  runif(nrow(cells), 0.9, 1.1))
write.csv(cells, "data/cells.csv", row.names = FALSE, quote = FALSE)

inline_role <- "role=Manager:600,\"Social worker\":1500,Support:900"
inline_region <- "region=East:800,North:1000,South:1200"
inline_sector <- "sector=1:1700,2:1300"

base <- svydesign(id = ~psu, strata = ~h, weights = ~w, nest = TRUE, data = wt)
tight <- list(maxit = 1000, epsilon = 1e-13)
design_cmd <- "design weight=w strata=h cluster=psu"

# ---------------------------------------------------------------- cases

# Post-stratification on one variable, inline.
cs <- case_new("ws_post"); settol(cs, "1e-9")
d <- postStratify(base, ~role, pop_role)
cmd(cs, 'load "data/wt.csv"'); cmd(cs, design_cmd)
cmd(cs, paste("poststratify", inline_role))
chk(cs, "sum_weights", sum(weights(d)), "-")
battery(cs, d, wt)
ref_weights(cs, d, wt$w)
case_write(cs)

# Post-stratification on crossed cells from a wide CSV file.
cs <- case_new("ws_cross"); settol(cs, "1e-9")
pc <- cells; names(pc)[3] <- "Freq"
d <- postStratify(base, ~role + region, pc)
cmd(cs, 'load "data/wt.csv"'); cmd(cs, design_cmd)
cmd(cs, 'poststratify role*region using "data/cells.csv"')
battery(cs, d, wt)
case_write(cs)

# Raking on three margins (one of them a numeric code), inline.
cs <- case_new("ws_rake"); settol(cs, "1e-8")
d <- rake(base, list(~role, ~region, ~sector), list(pop_role, pop_region, pop_sector),
          control = tight)
cmd(cs, 'load "data/wt.csv"'); cmd(cs, design_cmd)
cmd(cs, paste("rake", inline_role, inline_region, inline_sector))
chk(cs, "sum_weights", sum(weights(d)), "-")
battery(cs, d, wt)
ref_weights(cs, d, wt$w)
case_write(cs)

# Raking from the long margins file, two margins.
cs <- case_new("ws_rake_file"); settol(cs, "1e-8")
d <- rake(base, list(~region, ~role), list(pop_region, pop_role), control = tight)
cmd(cs, 'load "data/wt.csv"'); cmd(cs, design_cmd)
cmd(cs, 'rake region role using "data/margins.csv"')
cmd(cs, "mean y by g"); ref_numeric(cs, d, wt, "y", by = "g")
cmd(cs, "total y"); ref_numeric(cs, d, wt, "y", "total")
case_write(cs)

# Linear calibration (GREG) on two factors and a numeric total.
totals <- function(des) c(N, 1500, 900, 1000, 1200, X)  # (Intercept), role, region, x
cs <- case_new("ws_cal_linear"); settol(cs, "1e-9")
d <- calibrate(base, ~role + region + x, c(N, 1500, 900, 1000, 1200, X))
cmd(cs, 'load "data/wt.csv"'); cmd(cs, design_cmd)
cmd(cs, paste("calibrate", inline_role, inline_region, "x=66000"))
battery(cs, d, wt)
ref_weights(cs, d, wt$w)
case_write(cs)

# Linear calibration on numeric totals only: with population= (intercept)
# and without (R's ~x - 1).
cs <- case_new("ws_cal_numeric"); settol(cs, "1e-9")
d <- calibrate(base, ~x, c(N, X))
cmd(cs, 'load "data/wt.csv"'); cmd(cs, design_cmd)
cmd(cs, "calibrate x=66000 population=3000")
cmd(cs, "mean y"); ref_numeric(cs, d, wt, "y")
cmd(cs, "total y by region"); ref_numeric(cs, d, wt, "y", "total", by = "region")
d <- calibrate(base, ~x - 1, c(x = X))
cmd(cs, design_cmd)
cmd(cs, "calibrate x=66000")
cmd(cs, "mean y"); ref_numeric(cs, d, wt, "y")
cmd(cs, "total y by region"); ref_numeric(cs, d, wt, "y", "total", by = "region")
case_write(cs)

# Calibration with the raking distance (generalised raking), from the file.
cs <- case_new("ws_cal_raking"); settol(cs, "1e-8")
d <- calibrate(base, ~role + region + x, c(N, 1500, 900, 1000, 1200, X), calfun = "raking",
               epsilon = 1e-13, maxit = 200)
cmd(cs, 'load "data/wt.csv"'); cmd(cs, design_cmd)
cmd(cs, 'calibrate role region x using "data/margins.csv" method=raking')
battery(cs, d, wt)
ref_weights(cs, d, wt$w)
case_write(cs)

# Bounded calibration: logit, linear with bounds, raking with bounds.
g_lin <- weights(calibrate(base, ~role + region + x, c(N, 1500, 900, 1000, 1200, X))) / wt$w
bl <- round(1 - 0.8 * (1 - min(g_lin)), 2); bu <- round(1 + 0.8 * (max(g_lin) - 1), 2)
for (cf in c("logit", "linear", "raking")) {
  cs <- case_new(paste0("ws_cal_", cf, "_bounds")); settol(cs, "1e-8")
  d <- calibrate(base, ~role + region + x, c(N, 1500, 900, 1000, 1200, X), calfun = cf,
                 bounds = c(bl, bu), epsilon = 1e-13, maxit = 500)
  g <- weights(d) / wt$w
  note(cs, sprintf("bounds %g,%g; g in [%.6f, %.6f]", bl, bu, min(g), max(g)))
  cmd(cs, 'load "data/wt.csv"'); cmd(cs, design_cmd)
  cmd(cs, sprintf("calibrate %s %s x=66000 method=%s bounds=%g,%g maxit=500", inline_role,
                  inline_region, cf, bl, bu))
  battery(cs, d, wt)
  ref_weights(cs, d, wt$w)
  case_write(cs)
}

# R's grake rescaling: equal weights and totals far above the sample, so
# the weights are first scaled by the mean ratio and the bounds apply to
# the scaled weights.
cs <- case_new("ws_cal_rescaled"); settol(cs, "1e-8")
b1 <- svydesign(id = ~psu, strata = ~h, nest = TRUE, data = wt)
d <- calibrate(b1, ~role + region, c(N, 1500, 900, 1000, 1200) * 10, calfun = "logit",
               bounds = c(0.6, 1.7), epsilon = 1e-13, maxit = 500)
cmd(cs, 'load "data/wt.csv"'); cmd(cs, "design strata=h cluster=psu")
cmd(cs, "calibrate role=Manager:6000,\"Social worker\":15000,Support:9000 region=East:8000,North:10000,South:12000 method=logit bounds=0.6,1.7")
chk(cs, "sum_weights", sum(weights(d)), "-")
cmd(cs, "mean y"); ref_numeric(cs, d, wt, "y")
cmd(cs, "mean y by region"); ref_numeric(cs, d, wt, "y", by = "region")
cmd(cs, "total y"); ref_numeric(cs, d, wt, "y", "total")
ref_weights(cs, d, rep(1, nrow(wt)))
case_write(cs)

# Steps in sequence: post-stratify, then rake, then calibrate (R keeps the
# list of postStrata; so does wfstat).
cs <- case_new("ws_chain"); settol(cs, "1e-8")
d1 <- postStratify(base, ~sector, pop_sector)
d2 <- rake(d1, list(~role, ~region), list(pop_role, pop_region), control = tight)
d3 <- calibrate(d2, ~role + x, c(N, 1500, 900, X))
cmd(cs, 'load "data/wt.csv"'); cmd(cs, design_cmd)
cmd(cs, paste("poststratify", inline_sector))
cmd(cs, "mean y"); ref_numeric(cs, d1, wt, "y")
cmd(cs, paste("rake", inline_role, inline_region))
cmd(cs, "mean y by g"); ref_numeric(cs, d2, wt, "y", by = "g")
cmd(cs, paste("calibrate", inline_role, "x=66000"))
battery(cs, d3, wt)
ref_weights(cs, d3, wt$w)
case_write(cs)

# Nonresponse within region cells, then post-stratification and raking.
# Nonrespondents keep their rows with weight zero, so R's design is built
# from the respondents (every PSU keeps one).
cs <- case_new("ws_nonresponse"); settol(cs, "1e-8")
adj <- with(wt, ave(w, region, FUN = sum) / ave(w * resp, region, FUN = sum))
wr <- wt; wr$w2 <- wr$w * adj * wr$resp
wr <- wr[wr$resp == 1, ]
b2 <- svydesign(id = ~psu, strata = ~h, weights = ~w2, nest = TRUE, data = wr)
cmd(cs, 'load "data/wt.csv"'); cmd(cs, design_cmd)
cmd(cs, "nonresponse respond=resp cells=region")
chk(cs, "sum_weights", sum(weights(b2)), "-"); chk(cs, "n", nrow(wr), "-")
cmd(cs, "mean y"); ref_numeric(cs, b2, wr, "y")
cmd(cs, "total y by role"); ref_numeric(cs, b2, wr, "y", "total", by = "role")
d <- rake(postStratify(b2, ~sector, pop_sector), list(~role, ~region),
          list(pop_role, pop_region), control = tight)
cmd(cs, paste("poststratify", inline_sector))
cmd(cs, paste("rake", inline_role, inline_region))
battery(cs, d, wr)
ref_weights(cs, d, wr$w)
case_write(cs)

# Trimming: an uncalibrated design (R's trimWeights, strict), then a
# raked one (trimming and raking alternate until both hold).
cs <- case_new("ws_trim"); settol(cs, "1e-9")
U <- round(quantile(wt$w, 0.9), 1)
d <- trimWeights(base, upper = U, strict = TRUE)
cmd(cs, 'load "data/wt.csv"'); cmd(cs, design_cmd)
cmd(cs, sprintf("trim upper=%g", U))
chk(cs, "sum_weights", sum(weights(d)), "-"); chk(cs, "max", max(weights(d)), "-")
cmd(cs, "mean y"); ref_numeric(cs, d, wt, "y")
cmd(cs, "total y by region"); ref_numeric(cs, d, wt, "y", "total", by = "region")
settol(cs, "1e-8")
rk <- rake(base, list(~role, ~region), list(pop_role, pop_region), control = tight)
U2 <- round(quantile(weights(rk), 0.9), 1)
w <- weights(rk); rounds <- 0
repeat {
  rounds <- rounds + 1
  wtr <- weights(trimWeights(svydesign(id = ~psu, strata = ~h, weights = w, nest = TRUE,
                                       data = wt), upper = U2, strict = TRUE))
  d <- rake(svydesign(id = ~psu, strata = ~h, weights = wtr, nest = TRUE, data = wt),
            list(~role, ~region), list(pop_role, pop_region), control = tight)
  w <- weights(d)
  if (max((w - U2) / U2) <= 1e-10 || rounds > 1000) break
}
note(cs, sprintf("trim upper=%g after raking: %d rounds", U2, rounds))
cmd(cs, design_cmd)
cmd(cs, paste("rake", inline_role, inline_region))
cmd(cs, sprintf("trim upper=%g", U2))
chk(cs, "sum_weights", sum(weights(d)), "-")
cmd(cs, "mean y"); ref_numeric(cs, d, wt, "y")
cmd(cs, "mean y by region"); ref_numeric(cs, d, wt, "y", by = "region")
cmd(cs, "prop need"); ref_prop(cs, d, wt, "need")
ref_weights(cs, d, wt$w)
case_write(cs)

# Finite population corrections: a calibrated design keeps them.
cs <- case_new("ws_fpc"); settol(cs, "1e-9")
bf <- svydesign(id = ~psu, strata = ~h, weights = ~w, fpc = ~fpc, nest = TRUE, data = wt)
d <- postStratify(bf, ~role, pop_role)
cmd(cs, 'load "data/wt.csv"'); cmd(cs, "design weight=w strata=h cluster=psu fpc=fpc")
cmd(cs, paste("poststratify", inline_role))
cmd(cs, "mean y"); ref_numeric(cs, d, wt, "y")
cmd(cs, "total y by region"); ref_numeric(cs, d, wt, "y", "total", by = "region")
settol(cs, "1e-8")
d <- calibrate(bf, ~role + region + x, c(N, 1500, 900, 1000, 1200, X), calfun = "raking",
               epsilon = 1e-13, maxit = 200)
cmd(cs, "design weight=w strata=h cluster=psu fpc=fpc")
cmd(cs, paste("calibrate", inline_role, inline_region, "x=66000 method=raking"))
cmd(cs, "mean y"); ref_numeric(cs, d, wt, "y")
cmd(cs, "prop need by region"); ref_prop(cs, d, wt, "need", by = "region")
case_write(cs)

# Rows with weight zero: wfstat on wt0 equals R on wt (the rows removed).
cs <- case_new("ws_zero"); settol(cs, "1e-9")
cmd(cs, 'load "data/wt0.csv"'); cmd(cs, design_cmd)
d <- postStratify(base, ~role, pop_role)
cmd(cs, paste("poststratify", inline_role))
cmd(cs, "mean y"); ref_numeric(cs, d, wt, "y")
cmd(cs, "total y by region"); ref_numeric(cs, d, wt, "y", "total", by = "region")
settol(cs, "1e-8")
d <- rake(base, list(~role, ~region), list(pop_role, pop_region), control = tight)
cmd(cs, design_cmd)
cmd(cs, paste("rake", inline_role, inline_region))
cmd(cs, "mean y"); ref_numeric(cs, d, wt, "y")
cmd(cs, "total y by region"); ref_numeric(cs, d, wt, "y", "total", by = "region")
settol(cs, "1e-9")
d <- calibrate(base, ~role + region + x, c(N, 1500, 900, 1000, 1200, X))
cmd(cs, design_cmd)
cmd(cs, paste("calibrate", inline_role, inline_region, "x=66000"))
cmd(cs, "mean y"); ref_numeric(cs, d, wt, "y")
cmd(cs, "total y by region"); ref_numeric(cs, d, wt, "y", "total", by = "region")
case_write(cs)
