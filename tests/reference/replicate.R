# replicate.R - reference values for replicate-weight designs from R's
# survey package (4.1-1): as.svrepdesign (JK1, JKn, BRR, Fay), svrepdesign
# with weights supplied in the data, and rake on a replicate design.
# Run from this directory:  Rscript replicate.R
# It writes data/brr.csv and data/repw.csv (fixed seed), the wfstat scripts
# (rep_*.wfs) and the values R computes (rep_*.expected). CI does not need
# R: the outputs are committed.
suppressMessages(library(survey))
options(warn = 1)
set.seed(20261124)

source("refcase.R")
tq <- function(df) qt(0.975, df)

# One estimate row. wfstat's intervals on a replicate design use t on the
# design's df (degf of the whole replicate design) in every domain.
put <- function(cs, est, se, df, n, nw, lo = est - tq(df) * se, hi = est + tq(df) * se) {
  chk(cs, "estimate", est); chk(cs, "se", se)
  chk(cs, "ci_lower", lo); chk(cs, "ci_upper", hi)
  chk(cs, "df", df); chk(cs, "n", n); chk(cs, "n_weighted", nw)
  cs$row <- cs$row + 1
}

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
sub <- function(des, keep) { keep[is.na(keep)] <- FALSE; des[keep, ] }
pw <- function(ds) weights(ds, "sampling")

ref_numeric <- function(cs, des, data, var, stat = "mean", by = NULL, cond = NULL) {
  for (dm in domains(data, by, cond)) {
    ds <- sub(des, dm & !is.na(data[[var]]))
    f <- as.formula(paste0("~", var))
    m <- if (stat == "mean") svymean(f, ds) else svytotal(f, ds)
    put(cs, coef(m)[[1]], SE(m)[[1]], degf(des), sum(pw(ds) != 0), sum(pw(ds)))
  }
}

ref_ratio <- function(cs, des, data, num, den, by = NULL, cond = NULL) {
  for (dm in domains(data, by, cond)) {
    ds <- sub(des, dm & !is.na(data[[num]]) & !is.na(data[[den]]))
    r <- svyratio(as.formula(paste0("~", num)), as.formula(paste0("~", den)), ds)
    put(cs, coef(r)[[1]], SE(r)[[1]], degf(des), sum(pw(ds) != 0), sum(pw(ds)))
  }
}

# Proportions of every level. method "logit": svyciprop(method = "logit")
# fails on a svyrep.design in survey 4.1-1 (svyglm.svyrep.design cannot
# summarise its fit), so the interval is computed as svyglm would: the
# replicate variance (svrVar) of the fitted logits, which for an
# intercept-only model are qlogis of the replicate proportions.
ref_prop <- function(cs, des, data, var, by = NULL, cond = NULL, method = "logit") {
  levs <- sort(unique(as.character(data[[var]][!is.na(data[[var]])])))
  df <- degf(des)
  for (dm in domains(data, by, cond)) {
    ds <- sub(des, dm & !is.na(data[[var]]))
    lv <- paste0("c(", paste0("\"", levs, "\"", collapse = ","), ")")
    m <- svymean(as.formula(sprintf("~factor(%s, levels = %s)", var, lv)), ds,
                 return.replicates = TRUE)
    for (j in seq_along(levs)) {
      p <- m$mean[[j]]; se <- sqrt(diag(as.matrix(attr(m$mean, "var"))))[[j]]
      if (p == 0 || p == 1) {
        # An exact interval on the unweighted base: not a replicate matter.
        chk(cs, "estimate", p); chk(cs, "se", se); cs$row <- cs$row + 1
        next
      }
      if (method == "logit") {
        v <- svrVar(qlogis(m$replicates[, j]), ds$scale, ds$rscales, mse = ds$mse,
                    coef = qlogis(p))
        ci <- plogis(qlogis(p) + c(-1, 1) * tq(df) * sqrt(v[1]))
      } else {
        ind <- as.formula(sprintf("~I(as.character(%s) == \"%s\")", var, levs[j]))
        ci <- attr(svyciprop(ind, ds, method = method, df = df), "ci")
      }
      put(cs, p, se, df, sum(pw(ds) != 0), sum(pw(ds)), ci[[1]], ci[[2]])
    }
  }
}

# svyquantile on a replicate design: Woodruff intervals with the replicate
# variance of the CDF at the estimate, t on the design's df. survey 4.1-1
# drops interval.type on the way to woodruffCI for replicate designs (it
# always uses "mean"); wfstat honours it, so other types call woodruffCI
# with the method, as svyquantile.survey.design does.
ref_quantile <- function(cs, des, data, var, p, by = NULL, type = "mean") {
  for (dm in domains(data, by, NULL)) {
    ds <- sub(des, dm & !is.na(data[[var]]))
    q <- svyquantile(as.formula(paste0("~", var)), ds, quantiles = p, ci = TRUE,
                     df = degf(des))[[1]]
    if (type != "mean") {
      x <- data[[var]][dm & !is.na(data[[var]])]
      for (j in seq_along(p)) {
        ci <- survey:::woodruffCI(x, q[j, 1], p[j], ds, survey:::qrule_math, 0.05, degf(des),
                                  method = type)
        q[j, 2:3] <- ci; q[j, 4] <- diff(ci) / (2 * qt(0.975, degf(des)))
      }
    }
    for (j in seq_along(p)) {
      chk(cs, "estimate", q[j, 1]); chk(cs, "ci_lower", q[j, 2]); chk(cs, "ci_upper", q[j, 3])
      chk(cs, "se", q[j, 4]); chk(cs, "p", p[j]); chk(cs, "df", degf(des))
      cs$row <- cs$row + 1
    }
  }
}

design_chk <- function(cs, des) {
  chk(cs, "replicates", ncol(weights(des, "analysis")), "-")
  chk(cs, "scale", des$scale, "-")
  chk(cs, "df", degf(des), "-")
}

# A battery of estimates on a replicate design over one dataset.
battery <- function(cs, des, data) {
  cmd(cs, "mean y"); ref_numeric(cs, des, data, "y")
  cmd(cs, "total y by g"); ref_numeric(cs, des, data, "y", "total", by = "g")
  cmd(cs, "mean y if g == \"A\""); ref_numeric(cs, des, data, "y", cond = data$g == "A")
  cmd(cs, "ratio y / x by g"); ref_ratio(cs, des, data, "y", "x", by = "g")
  cmd(cs, "prop need by g"); ref_prop(cs, des, data, "need", by = "g")
  cmd(cs, "prop need ci=xlogit"); ref_prop(cs, des, data, "need", method = "xlogit")
  cmd(cs, "quantile y p=0.25,0.5,0.9"); ref_quantile(cs, des, data, "y", c(0.25, 0.5, 0.9))
  cmd(cs, "quantile y p=0.5 by g ci=xlogit")
  ref_quantile(cs, des, data, "y", 0.5, by = "g", type = "xlogit")
  cmd(cs, "total need"); {
    m <- svytotal(~factor(need), sub(des, !is.na(data$need)))
    for (j in seq_along(coef(m))) {
      chk(cs, "estimate", coef(m)[[j]]); chk(cs, "se", SE(m)[[j]]); cs$row <- cs$row + 1
    }
  }
}

# wfstat reads empty fields as missing.
rd <- function(f) read.csv(f, na.strings = c("", "NA"))
strat <- rd("data/strat.csv")
clus1 <- rd("data/clus1.csv")
sc <- rd("data/sc.csv")

# brr: 6 strata of exactly two PSUs, listed out of order, 3-6 rows per PSU.
labs <- c("s3", "s1", "s10", "s2", "s5", "s4")
rows <- list()
for (h in labs) for (j in 1:2) {
  m <- sample(3:6, 1)
  rows[[length(rows) + 1]] <- data.frame(s = h, psu = j,
    w = round(runif(m, 5, 15), 2), y = round(rnorm(m, 40 + 3 * j + nchar(h), 6), 2),
    x = round(runif(m, 1, 3), 3),
    need = sample(c("Fully met", "Partly met", "Not met"), m, TRUE),
    g = sample(c("A", "B"), m, TRUE))
}
brr <- do.call(rbind, rows)
brr$y[c(4, 17)] <- NA
write.csv(brr, "data/brr.csv", row.names = FALSE, na = "")

# JK1 with a first-stage fpc (one-stage cluster sample).
cs <- case_new("rep_jk1")
d <- as.svrepdesign(svydesign(id = ~psu, weights = ~w, fpc = ~f, data = clus1), type = "JK1")
cmd(cs, 'load "data/clus1.csv"'); cmd(cs, "design weight=w cluster=psu fpc=f")
cmd(cs, "replicate jk1"); design_chk(cs, d)
battery(cs, d, clus1)
case_write(cs)

# JK1 without fpc, centred on the full-sample estimate (mse).
cs <- case_new("rep_jk1_mse")
d <- as.svrepdesign(svydesign(id = ~psu, weights = ~w, data = clus1), type = "JK1", mse = TRUE)
cmd(cs, 'load "data/clus1.csv"'); cmd(cs, "design weight=w cluster=psu")
cmd(cs, "replicate jk1 mse"); design_chk(cs, d)
battery(cs, d, clus1)
case_write(cs)

# JKn: stratified, fpc as population counts, missing values, zero weights.
cs <- case_new("rep_jkn")
d <- as.svrepdesign(svydesign(id = ~1, strata = ~s, weights = ~w, fpc = ~f, data = strat),
                    type = "JKn")
cmd(cs, 'load "data/strat.csv"'); cmd(cs, "design weight=w strata=s fpc=f")
cmd(cs, "replicate jkn"); design_chk(cs, d)
battery(cs, d, strat)
case_write(cs)

# JKn on strata and clusters with singleton strata (lonely = adjust and
# average, as jknweights handles them).
for (pol in c("adjust", "average")) {
  options(survey.lonely.psu = pol)
  cs <- case_new(paste0("rep_jkn_", pol))
  d <- as.svrepdesign(svydesign(id = ~psu, strata = ~s, weights = ~w, nest = TRUE, data = sc),
                      type = "JKn")
  cmd(cs, 'load "data/sc.csv"'); cmd(cs, sprintf("design weight=w strata=s cluster=psu lonely=%s", pol))
  cmd(cs, "replicate jkn"); design_chk(cs, d)
  cmd(cs, "mean y"); ref_numeric(cs, d, sc, "y")
  cmd(cs, "total y by g"); ref_numeric(cs, d, sc, "y", "total", by = "g")
  cmd(cs, "ratio y / x"); ref_ratio(cs, d, sc, "y", "x")
  case_write(cs)
}
options(survey.lonely.psu = "fail")

# BRR and Fay: two PSUs per stratum; means and ratios depend on R's
# Hadamard matrix and its assignment of half-samples.
for (ty in c("BRR", "Fay")) {
  cs <- case_new(paste0("rep_", tolower(ty)))
  d <- as.svrepdesign(svydesign(id = ~psu, strata = ~s, weights = ~w, nest = TRUE, data = brr),
                      type = ty, fay.rho = if (ty == "Fay") 0.3 else 0)
  cmd(cs, 'load "data/brr.csv"'); cmd(cs, "design weight=w strata=s cluster=psu")
  cmd(cs, if (ty == "Fay") "replicate fay rho=0.3" else "replicate brr"); design_chk(cs, d)
  battery(cs, d, brr)
  case_write(cs)
}

# Replicate weights supplied with the data: R's JKn and Fay replicate
# weights of the brr design written out as columns, read back by
# svrepdesign and by wfstat.
jkn <- as.svrepdesign(svydesign(id = ~psu, strata = ~s, weights = ~w, nest = TRUE, data = brr),
                      type = "JKn")
rw <- weights(jkn, "analysis")
fay <- as.svrepdesign(svydesign(id = ~psu, strata = ~s, weights = ~w, nest = TRUE, data = brr),
                      type = "Fay", fay.rho = 0.5)
fw <- weights(fay, "analysis")
boot <- weights(as.svrepdesign(svydesign(id = ~psu, strata = ~s, weights = ~w, nest = TRUE,
                                         data = brr), type = "bootstrap", replicates = 30),
                "analysis")
repw <- brr[c("w", "y", "x", "need", "g")]
for (k in seq_len(ncol(rw))) repw[[sprintf("jk%d", k)]] <- rw[, k]
for (k in seq_len(ncol(fw))) repw[[sprintf("fay%d", k)]] <- fw[, k]
for (k in seq_len(ncol(boot))) repw[[sprintf("bs%d", k)]] <- boot[, k]
repw$rsc <- NA
repw$rsc[seq_along(jkn$rscales)] <- jkn$rscales
write.csv(repw, "data/repw.csv", row.names = FALSE, na = "")
repw <- rd("data/repw.csv")

cs <- case_new("rep_supplied")
cmd(cs, 'load "data/repw.csv"')
d <- svrepdesign(data = repw, weights = ~w, repweights = "jk[0-9]+", type = "JKn",
                 rscales = jkn$rscales, combined.weights = TRUE)
cmd(cs, "design weight=w repweights=jk* type=jkn rscales=rsc"); design_chk(cs, d)
battery(cs, d, repw)
d <- svrepdesign(data = repw, weights = ~w, repweights = "fay[0-9]+", type = "Fay", rho = 0.5,
                 combined.weights = TRUE)
cmd(cs, sprintf("design weight=w repweights=fay1-fay%d type=fay rho=0.5", ncol(fw))); design_chk(cs, d)
battery(cs, d, repw)
d <- svrepdesign(data = repw, weights = ~w, repweights = "bs[0-9]+", type = "bootstrap",
                 combined.weights = TRUE, mse = TRUE)
cmd(cs, "design weight=w repweights=bs* type=bootstrap mse"); design_chk(cs, d)
battery(cs, d, repw)
case_write(cs)

# Raking a replicate design: every replicate is raked (R's rake on a
# svyrep.design), converged tightly on both sides.
cs <- case_new("rep_rake")
d <- as.svrepdesign(svydesign(id = ~1, strata = ~s, weights = ~w, fpc = ~f, data = strat),
                    type = "JKn")
pop.g <- data.frame(g = c("A", "B", "C"), Freq = c(300, 250, 310))
pop.g2 <- data.frame(g2 = c(1, 2), Freq = c(480, 380))
stopifnot(!anyNA(strat$g), !anyNA(strat$g2))
rk <- rake(d, list(~g, ~g2), list(pop.g, pop.g2), control = list(maxit = 500, epsilon = 1e-13))
cmd(cs, 'load "data/strat.csv"'); cmd(cs, "design weight=w strata=s fpc=f")
cmd(cs, "replicate jkn")
cmd(cs, "rake g=A:300,B:250,C:310 g2=1:480,2:380")
cmd(cs, "design"); chk(cs, "sum_weights", sum(weights(rk, "sampling")), "-")
chk(cs, "df", degf(rk), "-")
cmd(cs, "mean y"); ref_numeric(cs, rk, strat, "y")
cmd(cs, "total y by g"); ref_numeric(cs, rk, strat, "y", "total", by = "g")
cmd(cs, "ratio y / x"); ref_ratio(cs, rk, strat, "y", "x")
cmd(cs, "prop need by g2"); ref_prop(cs, rk, strat, "need", by = "g2")
case_write(cs)

# Post-stratification and linear calibration of a JK1 design with fpc:
# every replicate is adjusted (R's postStratify and calibrate on a
# svyrep.design).
cs <- case_new("rep_calibrate")
d <- as.svrepdesign(svydesign(id = ~psu, weights = ~w, fpc = ~f, data = clus1), type = "JK1")
ps <- postStratify(d, ~g, data.frame(g = c("A", "B", "C"), Freq = c(70, 90, 80)))
cmd(cs, 'load "data/clus1.csv"'); cmd(cs, "design weight=w cluster=psu fpc=f")
cmd(cs, "replicate jk1")
cmd(cs, "poststratify g=A:70,B:90,C:80")
cmd(cs, "design"); chk(cs, "sum_weights", sum(weights(ps, "sampling")), "-"); chk(cs, "df", degf(ps), "-")
cmd(cs, "mean y"); ref_numeric(cs, ps, clus1, "y")
cmd(cs, "ratio y / x by g"); ref_ratio(cs, ps, clus1, "y", "x", by = "g")
cmd(cs, "prop need ci=xlogit"); ref_prop(cs, ps, clus1, "need", method = "xlogit")
cl <- calibrate(d, ~g + x, c(240, 90, 80, 3600))
cmd(cs, "design weight=w cluster=psu fpc=f"); cmd(cs, "replicate jk1")
cmd(cs, "calibrate g=A:70,B:90,C:80 x=3600")
cmd(cs, "design"); chk(cs, "sum_weights", sum(weights(cl, "sampling")), "-"); chk(cs, "df", degf(cl), "-")
cmd(cs, "mean y"); ref_numeric(cs, cl, clus1, "y")
cmd(cs, "total y by g"); ref_numeric(cs, cl, clus1, "y", "total", by = "g")
case_write(cs)
