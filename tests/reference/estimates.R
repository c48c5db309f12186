# estimates.R - reference values for wfstat's estimators from R's survey
# package (4.1-1). Run from this directory:  Rscript estimates.R
# It writes the synthetic test data (data/*.csv, from a fixed seed), the
# wfstat scripts (NAME.wfs) and the values R computes (NAME.expected).
# CI does not need R: the outputs are committed.
suppressMessages(library(survey))
options(warn = 1)
set.seed(20261123)

fmt <- function(v) {
  if (is.character(v)) return(sprintf("\"%s\"", v))
  if (length(v) != 1 || is.na(v) || is.nan(v) || !is.finite(v)) return("NA")
  sprintf("%.17g", v)
}

# A reference case: the commands of a wfstat script and the checks on its
# JSON lines.
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

# Check one estimate row (estimate, se, interval, df, n, n_weighted, deff).
put <- function(cs, est, se, lo, hi, df, n, nw, deff = NULL) {
  chk(cs, "estimate", est); chk(cs, "se", se)
  chk(cs, "ci_lower", lo); chk(cs, "ci_upper", hi)
  chk(cs, "df", df); chk(cs, "n", n); chk(cs, "n_weighted", nw)
  if (!is.null(deff)) chk(cs, "deff", deff)
  nextrow(cs)
}

tq <- function(df, level = 0.95) if (is.infinite(df)) qnorm(1 - (1 - level) / 2) else qt(1 - (1 - level) / 2, df)

# The domains of a command: list of logical vectors over the rows, in
# wfstat's order (the first by variable varying fastest), non-empty only.
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

sub <- function(des, keep) {
  keep[is.na(keep)] <- FALSE
  des[keep, ]
}

# mean/total of a numeric variable.
ref_numeric <- function(cs, des, data, var, stat = "mean", by = NULL, cond = NULL,
                        deff = FALSE, df = NULL, level = 0.95) {
  for (dm in domains(data, by, cond)) {
    ds <- sub(des, dm & !is.na(data[[var]]))
    f <- as.formula(paste0("~", var))
    m <- if (stat == "mean") svymean(f, ds, deff = deff) else svytotal(f, ds, deff = deff)
    ddf <- if (is.null(df)) degf(ds) else df
    est <- coef(m)[[1]]; se <- SE(m)[[1]]
    put(cs, est, se, est - tq(ddf, level) * se, est + tq(ddf, level) * se, ddf,
        sum(weights(ds) != 0), sum(weights(ds)),
        if (isFALSE(deff)) NULL else deff(m)[[1]])
  }
}

# Proportions of every level with svyciprop intervals.
ref_prop <- function(cs, des, data, var, by = NULL, cond = NULL, method = "logit",
                     deff = FALSE, df = NULL, level = 0.95) {
  levs <- sort(unique(as.character(data[[var]][!is.na(data[[var]])])))
  # The logit and likelihood intervals come from an iteratively fitted
  # svyglm; wfstat reproduces its iterations, so the same tolerance holds.
  for (dm in domains(data, by, cond)) {
    ds <- sub(des, dm & !is.na(data[[var]]))
    ddf <- if (is.null(df)) degf(ds) else df
    m <- svymean(as.formula(paste0("~factor(", var, ")")), ds, deff = deff)
    for (j in seq_along(levs)) {
      ind <- as.formula(sprintf("~I(as.character(%s) == \"%s\")", var, levs[j]))
      p <- svyciprop(ind, ds, method = method, df = ddf, level = level)
      ci <- attr(p, "ci")
      put(cs, coef(m)[[j]], SE(m)[[j]], ci[[1]], ci[[2]], ddf,
          sum(weights(ds) != 0), sum(weights(ds)),
          if (isFALSE(deff)) NULL else diag(as.matrix(attr(m, "deff")))[[j]])
    }
  }
}

ref_ratio <- function(cs, des, data, num, den, by = NULL, cond = NULL, deff = FALSE) {
  for (dm in domains(data, by, cond)) {
    ds <- sub(des, dm & !is.na(data[[num]]) & !is.na(data[[den]]))
    r <- svyratio(as.formula(paste0("~", num)), as.formula(paste0("~", den)), ds, deff = deff)
    ddf <- degf(ds)
    est <- coef(r)[[1]]; se <- SE(r)[[1]]
    put(cs, est, se, est - tq(ddf) * se, est + tq(ddf) * se, ddf,
        sum(weights(ds) != 0), sum(weights(ds)),
        if (isFALSE(deff)) NULL else attr(r, "deff")[[1]])
  }
}

ref_quantile <- function(cs, des, data, var, p, qrule = "math", type = "mean", by = NULL) {
  for (dm in domains(data, by, NULL)) {
    ds <- sub(des, dm & !is.na(data[[var]]))
    q <- svyquantile(as.formula(paste0("~", var)), ds, quantiles = p, qrule = qrule,
                     interval.type = type, ci = TRUE)[[1]]
    for (j in seq_along(p)) {
      chk(cs, "estimate", q[j, 1]); chk(cs, "ci_lower", q[j, 2]); chk(cs, "ci_upper", q[j, 3])
      chk(cs, "se", q[j, 4]); chk(cs, "p", p[j]); chk(cs, "df", degf(ds))
      nextrow(cs)
    }
  }
}

# ---------------------------------------------------------------- data

# strat: stratified, no clusters, fpc as population counts; missing
# values, zero weights.
H <- 5; nh <- c(3, 5, 8, 12, 20); Nh <- nh * c(10, 4, 20, 5, 30)
s <- rep(sprintf("s%d", 1:H), nh)
strat <- data.frame(
  s = s, f = rep(Nh, nh),
  w = round(rep(Nh / nh, nh) * runif(sum(nh), 0.8, 1.2), 3),
  y = round(rnorm(sum(nh), 50 + 5 * as.integer(factor(s)), 10), 2),
  x = round(runif(sum(nh), 1, 5), 2),
  need = sample(c("Fully met", "Partly met", "Not met"), sum(nh), TRUE, c(0.3, 0.3, 0.4)),
  bin = rbinom(sum(nh), 1, 0.35),
  g = sample(c("A", "B", "C"), sum(nh), TRUE),
  g2 = sample(c(1, 2), sum(nh), TRUE))
strat$y[c(4, 17, 30)] <- NA
strat$need[c(9, 40)] <- NA
strat$w[c(12, 33)] <- 0
write.csv(strat, "data/strat.csv", row.names = FALSE, na = "")

# clus1: one-stage cluster sample of 15 PSUs from 60, fpc given; group A
# lives only in some PSUs.
np <- 15; sizes <- sample(2:8, np, TRUE)
psu <- rep(1:np, sizes)
clus1 <- data.frame(psu = psu, f = 60,
  w = round(60 / 15 * runif(length(psu), 0.9, 1.1), 4),
  y = round(rgamma(length(psu), 4, 0.1) + psu, 2),
  x = round(runif(length(psu), 10, 20), 1),
  need = sample(c("Fully met", "Partly met", "Not met"), length(psu), TRUE),
  g = ifelse(psu <= 4, "A", sample(c("B", "C"), length(psu), TRUE)))
write.csv(clus1, "data/clus1.csv", row.names = FALSE, na = "")

# clus2: two-stage, 10 PSUs of 40, 2-4 SSUs per PSU from 5-12, fpc at both
# stages, no weights (implied by the fpc). PSU 10 takes all its SSUs.
rows <- list()
for (i in 1:10) {
  N2 <- sample(5:12, 1); n2 <- if (i == 10) N2 else sample(2:4, 1)
  for (j in 1:n2) {
    m <- sample(1:4, 1)
    rows[[length(rows) + 1]] <- data.frame(psu = i, ssu = j, f1 = 40, f2 = N2,
      y = round(rnorm(m, 30 + i, 6), 2), x = round(runif(m, 1, 3), 2),
      need = sample(c("Fully met", "Partly met", "Not met"), m, TRUE),
      g = sample(c("A", "B"), m, TRUE, c(0.3, 0.7)))
  }
}
clus2 <- do.call(rbind, rows)
write.csv(clus2, "data/clus2.csv", row.names = FALSE, na = "")

# sc: strata and clusters, no fpc, PSU ids repeating across strata, two
# strata with a single PSU (for the lonely-PSU policies); group A is absent
# from stratum t6 and from some PSUs.
npsu <- c(1, 2, 3, 4, 3, 1)
rows <- list()
for (h in seq_along(npsu)) for (j in seq_len(npsu[h])) {
  m <- sample(3:6, 1)
  rows[[length(rows) + 1]] <- data.frame(s = sprintf("t%d", h), psu = j,
    w = round(runif(m, 5, 15), 2), y = round(rnorm(m, 20 + 2 * h + j, 4), 2),
    x = round(runif(m, 1, 2), 3),
    need = sample(c("Fully met", "Partly met", "Not met"), m, TRUE),
    g = if (h == 6 || (h == 4 && j == 2)) "B" else sample(c("A", "B"), m, TRUE))
}
sc <- do.call(rbind, rows)
write.csv(sc, "data/sc.csv", row.names = FALSE, na = "")

# ---------------------------------------------------------------- cases

# Stratified with fpc.
cs <- case_new("strat")
d <- svydesign(id = ~1, strata = ~s, weights = ~w, fpc = ~f, data = strat)
cmd(cs, 'load "data/strat.csv"'); cmd(cs, "design weight=w strata=s fpc=f")
chk(cs, "n", nrow(strat), "-"); chk(cs, "n_strata", H, "-"); chk(cs, "n_psu", nrow(strat), "-")
chk(cs, "df", degf(d), "-"); chk(cs, "sum_weights", sum(weights(d)), "-")
cmd(cs, "mean y deff"); ref_numeric(cs, d, strat, "y", deff = TRUE)
cmd(cs, "mean y deff=replace"); ref_numeric(cs, d, strat, "y", deff = "replace")
cmd(cs, "mean y by g"); ref_numeric(cs, d, strat, "y", by = "g")
cmd(cs, "mean y by g,g2 deff"); ref_numeric(cs, d, strat, "y", by = c("g", "g2"), deff = TRUE)
cmd(cs, "mean y if x > 2.5 df=inf")
ref_numeric(cs, d, strat, "y", cond = strat$x > 2.5, df = Inf)
cmd(cs, "mean y level=0.9"); ref_numeric(cs, d, strat, "y", level = 0.9)
cmd(cs, "total y deff"); ref_numeric(cs, d, strat, "y", "total", deff = TRUE)
cmd(cs, "total y by g deff=replace"); ref_numeric(cs, d, strat, "y", "total", by = "g", deff = "replace")
cmd(cs, "ratio y / x deff"); ref_ratio(cs, d, strat, "y", "x", deff = TRUE)
cmd(cs, "ratio y / x by g"); ref_ratio(cs, d, strat, "y", "x", by = "g")
for (m in c("logit", "mean", "xlogit", "asin", "beta")) {
  cmd(cs, sprintf("prop need ci=%s deff", m)); ref_prop(cs, d, strat, "need", method = m, deff = TRUE)
}
cmd(cs, "prop need by g ci=beta"); ref_prop(cs, d, strat, "need", by = "g", method = "beta")
cmd(cs, "prop need ci=likelihood"); ref_prop(cs, d, strat, "need", method = "likelihood")
cmd(cs, "prop need by g ci=likelihood level=0.9")
ref_prop(cs, d, strat, "need", by = "g", method = "likelihood", level = 0.9)
cmd(cs, "prop bin deff=replace"); ref_prop(cs, d, strat, "bin", deff = "replace")
cmd(cs, "mean need"); ref_prop(cs, d, strat, "need")
cmd(cs, "prop need level=0.9 if g != \"C\"")
ref_prop(cs, d, strat, "need", cond = strat$g != "C", level = 0.9)
for (qr in c("math", "school", "hf7")) for (ty in c("mean", "xlogit", "asin", "beta")) {
  cmd(cs, sprintf("quantile y p=0.1,0.25,0.5,0.9 qrule=%s ci=%s", qr, ty))
  ref_quantile(cs, d, strat, "y", c(0.1, 0.25, 0.5, 0.9), qr, ty)
}
cmd(cs, "quantile y p=0.5 by g"); ref_quantile(cs, d, strat, "y", 0.5, by = "g")
case_write(cs)

# One-stage cluster sample with fpc.
cs <- case_new("clus1")
d <- svydesign(id = ~psu, weights = ~w, fpc = ~f, data = clus1)
cmd(cs, 'load "data/clus1.csv"'); cmd(cs, "design weight=w cluster=psu fpc=f")
chk(cs, "n_psu", np, "-"); chk(cs, "df", degf(d), "-")
cmd(cs, "mean y deff"); ref_numeric(cs, d, clus1, "y", deff = TRUE)
cmd(cs, "mean y by g deff"); ref_numeric(cs, d, clus1, "y", by = "g", deff = TRUE)
cmd(cs, "total y by g"); ref_numeric(cs, d, clus1, "y", "total", by = "g")
cmd(cs, "ratio y / x by g deff"); ref_ratio(cs, d, clus1, "y", "x", by = "g", deff = TRUE)
cmd(cs, "prop need by g"); ref_prop(cs, d, clus1, "need", by = "g")
cmd(cs, "prop need by g ci=likelihood"); ref_prop(cs, d, clus1, "need", by = "g", method = "likelihood")
cmd(cs, "prop need ci=asin if g == \"A\""); ref_prop(cs, d, clus1, "need", cond = clus1$g == "A", method = "asin")
cmd(cs, "quantile y p=0.5,0.75 by g"); ref_quantile(cs, d, clus1, "y", c(0.5, 0.75), by = "g")
case_write(cs)

# Two-stage with fpc at both stages, weights implied.
cs <- case_new("clus2")
d <- svydesign(id = ~psu + ssu, fpc = ~f1 + f2, data = clus2)
cmd(cs, 'load "data/clus2.csv"'); cmd(cs, "design cluster=psu,ssu fpc=f1,f2")
chk(cs, "n_psu", 10, "-"); chk(cs, "df", degf(d), "-"); chk(cs, "sum_weights", sum(weights(d)), "-")
cmd(cs, "mean y deff"); ref_numeric(cs, d, clus2, "y", deff = TRUE)
cmd(cs, "total y deff=replace"); ref_numeric(cs, d, clus2, "y", "total", deff = "replace")
cmd(cs, "mean y by g"); ref_numeric(cs, d, clus2, "y", by = "g")
cmd(cs, "ratio y / x"); ref_ratio(cs, d, clus2, "y", "x")
cmd(cs, "prop need ci=xlogit by g"); ref_prop(cs, d, clus2, "need", by = "g", method = "xlogit")
cmd(cs, "quantile y p=0.5 qrule=hf7"); ref_quantile(cs, d, clus2, "y", 0.5, "hf7")
case_write(cs)

# Strata and clusters without fpc, under every lonely-PSU policy.
for (pol in c("adjust", "average", "certainty", "remove")) {
  options(survey.lonely.psu = pol)
  cs <- case_new(paste0("sc_", pol))
  d <- svydesign(id = ~psu, strata = ~s, weights = ~w, nest = TRUE, data = sc)
  cmd(cs, 'load "data/sc.csv"'); cmd(cs, paste0("design weight=w strata=s cluster=psu lonely=", pol))
  chk(cs, "n_psu", sum(npsu), "-"); chk(cs, "df", degf(d), "-")
  cmd(cs, "mean y deff"); ref_numeric(cs, d, sc, "y", deff = TRUE)
  cmd(cs, "mean y by g"); ref_numeric(cs, d, sc, "y", by = "g")
  cmd(cs, "total y if g == \"A\""); ref_numeric(cs, d, sc, "y", "total", cond = sc$g == "A")
  cmd(cs, "ratio y / x by g"); ref_ratio(cs, d, sc, "y", "x", by = "g")
  cmd(cs, "prop need by g ci=wald"); ref_prop(cs, d, sc, "need", by = "g", method = "mean")
  cmd(cs, "prop need ci=likelihood"); ref_prop(cs, d, sc, "need", method = "likelihood")
  cmd(cs, "quantile y p=0.5 ci=xlogit by g"); ref_quantile(cs, d, sc, "y", 0.5, type = "xlogit", by = "g")
  case_write(cs)
}
