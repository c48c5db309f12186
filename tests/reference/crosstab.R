# crosstab.R - reference values for wfstat's tab command from R's survey
# package (4.1-1). Run from this directory:  Rscript crosstab.R
# It writes the synthetic test data (data/xt_*.csv, from a fixed seed), the
# wfstat scripts (xt_*.wfs) and the values R computes (xt_*.expected): cell
# and margin counts as svytotal in each domain (svyby), percentages as
# svymean with svyciprop intervals in each domain, and every statistic of
# svychisq (F, Chisq, Wald, adjWald). CI does not need R: the outputs are
# committed.
suppressMessages(library(survey))
options(warn = 1)
invisible(Sys.setlocale("LC_COLLATE", "C"))
set.seed(20261207)

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
tol <- function(cs, t) cs$exp <- c(cs$exp, paste("tol", t))
chk <- function(cs, field, value, row = cs$row) {
  cs$exp <- c(cs$exp, sprintf("%d %s %s %s", cs$k, row, field, fmt(value)))
}
nextrow <- function(cs) cs$row <- cs$row + 1
case_write <- function(cs) {
  writeLines(cs$cmds, paste0(cs$name, ".wfs"))
  writeLines(cs$exp, paste0(cs$name, ".expected"))
}
tq <- function(df, level = 0.95) if (is.infinite(df)) qnorm(1 - (1 - level) / 2) else qt(1 - (1 - level) / 2, df)
# A domain of the design. A calibrated design keeps every row in a subset
# (with zero weight outside it), so an indicator over the domain's rows is
# widened to all rows by full().
sub <- function(des, keep) {
  keep[is.na(keep)] <- FALSE
  ds <- des[keep, ]
  ds$keep <- keep
  ds
}
full <- function(ds, ind) {
  if (length(ind) == nrow(ds)) return(ind)
  y <- rep(FALSE, nrow(ds)); y[ds$keep] <- ind
  y
}
nobs <- function(ds) sum(weights(ds) != 0)
levs <- function(x) {
  u <- unique(x[!is.na(x)])
  as.character(sort(u))
}

# One count: svytotal of the level indicator in its domain.
put_count <- function(cs, ds, ind, opt, dmn) {
  if (nrow(ds) == 0) {
    chk(cs, "estimate", 0); chk(cs, "se", 0); nextrow(cs)
    return(invisible())
  }
  y <- as.numeric(full(ds, ind))
  ds <- update(ds, .y = y)
  m <- svytotal(~.y, ds, deff = opt$deff)
  est <- coef(m)[[1]]; se <- SE(m)[[1]]
  df <- if (is.null(opt$df)) degf(ds) else opt$df
  chk(cs, "estimate", est); chk(cs, "se", se)
  chk(cs, "ci_lower", est - tq(df, opt$level) * se); chk(cs, "ci_upper", est + tq(df, opt$level) * se)
  chk(cs, "df", df)
  chk(cs, "n", sum(weights(ds) != 0 & y == 1)); chk(cs, "n_weighted", est)
  if (!isFALSE(opt$deff)) {
    p <- est / sum(weights(ds))
    chk(cs, "deff", if (p > 0 && p < 1) attr(m, "deff")[[1]] else NA)
  }
  nextrow(cs)
}

# One percentage: svymean of the indicator in its domain, svyciprop interval.
put_prop <- function(cs, ds, ind, opt) {
  if (nrow(ds) == 0 || sum(weights(ds)) == 0) {
    chk(cs, "estimate", NA); chk(cs, "se", NA); nextrow(cs)
    return(invisible())
  }
  y <- as.numeric(full(ds, ind))
  ds <- update(ds, .y = y)
  m <- if (isFALSE(opt$deff)) svymean(~.y, ds) else svymean(~.y, ds, deff = opt$deff)
  p <- coef(m)[[1]]; se <- SE(m)[[1]]
  df <- if (is.null(opt$df)) degf(ds) else opt$df
  chk(cs, "estimate", p); chk(cs, "se", se); chk(cs, "df", df)
  chk(cs, "n", nobs(ds)); chk(cs, "n_weighted", sum(weights(ds)))
  if (p > 0 && p < 1) {
    ci <- suppressWarnings(attr(svyciprop(~I(.y == 1), ds, method = opt$method, df = df,
                                          level = opt$level), "ci"))
    # The logit and likelihood intervals come from svyglm's IRLS, which
    # stops when the deviance settles to 1e-8; wfstat replays the
    # iterations, so they too are compared at 1e-9.
    chk(cs, "ci_lower", ci[[1]]); chk(cs, "ci_upper", ci[[2]])
    if (!isFALSE(opt$deff)) chk(cs, "deff", attr(m, "deff")[[1]])
  }
  nextrow(cs)
}

# The whole of a tab command: every layer's estimates in wfstat's order, and
# its tests.
ref_tab <- function(cs, des, data, row, col = NULL, layers = NULL, cond = NULL, pct = "col",
                    tests = "F", method = "logit", deff = FALSE, level = 0.95, df = NULL) {
  opt <- list(method = method, deff = deff, level = level, df = df)
  base <- !is.na(data[[row]])
  if (!is.null(col)) base <- base & !is.na(data[[col]])
  for (l in layers) base <- base & !is.na(data[[l]])
  if (!is.null(cond)) base <- base & !is.na(cond) & cond
  rl <- levs(data[[row]][base])
  cl <- if (is.null(col)) NULL else levs(data[[col]][base])
  rv <- as.character(data[[row]]); cv <- if (is.null(col)) NULL else as.character(data[[col]])
  # Layers: combinations of the layer variables, the first varying fastest.
  lmasks <- list(rep(TRUE, nrow(data)))
  if (!is.null(layers)) {
    f <- interaction(data[layers], drop = FALSE, lex.order = FALSE)
    lmasks <- list()
    for (lev in levels(f)) {
      m <- !is.na(f) & f == lev
      if (any(base & m)) lmasks[[length(lmasks) + 1]] <- m
    }
  }
  ti <- 0
  for (lm in lmasks) {
    inl <- base & lm
    dl <- sub(des, inl)
    lr <- rv[inl]; lc <- if (is.null(col)) NULL else cv[inl]
    if (is.null(col)) {
      for (r in rl) put_count(cs, dl, lr == r, opt)
      put_count(cs, dl, rep(TRUE, sum(inl)), opt)
      for (r in rl) put_prop(cs, dl, lr == r, opt)
      next
    }
    if (pct == "cell") {
      for (c in cl) for (r in rl) put_count(cs, dl, lr == r & lc == c, opt)
    } else {
      for (c in cl) {
        dc <- sub(des, inl & cv == c)
        for (r in rl) put_count(cs, dc, rv[inl & cv == c] == r, opt)
      }
    }
    for (r in rl) put_count(cs, dl, lr == r, opt)
    for (c in cl) put_count(cs, dl, lc == c, opt)
    put_count(cs, dl, rep(TRUE, sum(inl)), opt)
    if (pct == "col") {
      for (c in cl) {
        dc <- sub(des, inl & cv == c)
        for (r in rl) put_prop(cs, dc, rv[inl & cv == c] == r, opt)
      }
      for (r in rl) put_prop(cs, dl, lr == r, opt)
    } else if (pct == "row") {
      for (r in rl) {
        dr <- sub(des, inl & rv == r)
        for (c in cl) put_prop(cs, dr, cv[inl & rv == r] == c, opt)
      }
      for (c in cl) put_prop(cs, dl, lc == c, opt)
    } else {
      for (c in cl) for (r in rl) put_prop(cs, dl, lr == r & lc == c, opt)
      for (r in rl) put_prop(cs, dl, lr == r, opt)
      for (c in cl) put_prop(cs, dl, lc == c, opt)
    }
    f2 <- as.formula(paste0("~", row, "+", col))
    for (st in tests) {
      tr <- svychisq(f2, dl, statistic = st)
      k <- sprintf("test:%d", ti)
      chk(cs, "statistic", tr$statistic[[1]], k)
      if (st == "Chisq") {
        chk(cs, "df", tr$parameter[[1]], k)
      } else {
        chk(cs, "ndf", tr$parameter[[1]], k); chk(cs, "ddf", tr$parameter[[2]], k)
      }
      chk(cs, "p_value", tr$p.value[[1]], k)
      ti <- ti + 1
    }
  }
}

# ---------------------------------------------------------------- data

# xt_srs: one stage, no strata or clusters; 3 x 4 with a zero cell; a
# layer in which one column level is absent; missing values.
n <- 360
a <- sample(c("Low", "Mid", "High"), n, TRUE, c(0.3, 0.45, 0.25))
b <- sample(c("w1", "w2", "w3", "w4"), n, TRUE)
b[a == "High" & b == "w4"] <- "w3"   # a zero cell
L <- sample(c("x", "y"), n, TRUE)
b[L == "y" & b == "w2"] <- "w1"      # w2 absent from layer y
xt_srs <- data.frame(id = seq_len(n),
  w = round(runif(n, 0.5, 4) * ifelse(a == "Low", 1.5, 1), 3),
  a = a, b = b, L = L, x = round(runif(n, 0, 10), 1))
xt_srs$a[c(5, 77)] <- NA
xt_srs$b[c(12, 200, 201)] <- NA
xt_srs$L[c(50)] <- NA
write.csv(xt_srs, "data/xt_srs.csv", row.names = FALSE, na = "")

# xt_strat: stratified with fpc (population counts); zero weights; a 5 x 4
# table whose column variable is numeric (levels 1..4).
H <- 6; nh <- c(20, 35, 40, 25, 50, 30); Nh <- nh * c(8, 12, 5, 20, 10, 6)
s <- rep(sprintf("h%d", 1:H), nh)
m <- sum(nh)
q5 <- sample(c("Strongly agree", "Agree", "Neither", "Disagree", "Strongly disagree"), m, TRUE,
             c(0.15, 0.35, 0.2, 0.2, 0.1))
xt_strat <- data.frame(s = s, f = rep(Nh, nh),
  w = round(rep(Nh / nh, nh) * runif(m, 0.7, 1.3), 2),
  q5 = q5, band = sample(1:4, m, TRUE, c(0.4, 0.3, 0.2, 0.1)),
  role = sample(c("Manager", "Practitioner"), m, TRUE))
xt_strat$w[c(3, 99, 150)] <- 0
xt_strat$q5[c(8, 60)] <- NA
write.csv(xt_strat, "data/xt_strat.csv", row.names = FALSE, na = "")

# xt_sc: strata and clusters, no fpc, PSU ids repeating across strata; two
# strata with a single PSU (for the lonely-PSU policies); zero weights.
npsu <- c(4, 3, 1, 5, 4, 1, 3)
rows <- list()
for (h in seq_along(npsu)) for (j in seq_len(npsu[h])) {
  k <- sample(4:9, 1)
  lean <- runif(1)
  rows[[length(rows) + 1]] <- data.frame(s = sprintf("t%d", h), psu = j,
    w = round(runif(k, 5, 25), 2),
    met = sample(c("Met", "Partly", "Not met"), k, TRUE, c(lean, 0.5, 1 - lean) + 0.1),
    team = sample(c("Adults", "Children", "Mental health"), k, TRUE))
}
xt_sc <- do.call(rbind, rows)
# Zero weights: a whole PSU (it counts for svychisq's df, not for degf), and
# every Mental health row of t7 (the stratum belongs to that column's domain
# through them alone, which matters for lonely=average).
xt_sc$w[xt_sc$s == "t4" & xt_sc$psu == 5] <- 0
xt_sc$w[xt_sc$s == "t7" & xt_sc$team == "Mental health"] <- 0
write.csv(xt_sc, "data/xt_sc.csv", row.names = FALSE, na = "")

# xt_ms: two stages with fpc at both, weights implied by the fpc.
rows <- list()
for (i in 1:12) {
  N2 <- sample(6:14, 1); n2 <- sample(2:4, 1)
  for (j in 1:n2) {
    k <- sample(1:5, 1)
    rows[[length(rows) + 1]] <- data.frame(psu = i, ssu = j, f1 = 50, f2 = N2,
      met = sample(c("Met", "Not met"), k, TRUE, c(0.4 + i / 40, 0.6 - i / 40)),
      team = sample(c("Adults", "Children", "Mental health"), k, TRUE))
  }
}
xt_ms <- do.call(rbind, rows)
write.csv(xt_ms, "data/xt_ms.csv", row.names = FALSE, na = "")

all4 <- c("F", "Chisq", "Wald", "adjWald")

# ---------------------------------------------------------------- cases

cs <- case_new("xt_srs")
d <- svydesign(id = ~1, weights = ~w, data = xt_srs)
cmd(cs, 'load "data/xt_srs.csv"'); cmd(cs, "design weight=w")
cmd(cs, "tab a by b test=all deff"); ref_tab(cs, d, xt_srs, "a", "b", tests = all4, deff = TRUE)
cmd(cs, "tab a by b pct=row test=all"); ref_tab(cs, d, xt_srs, "a", "b", pct = "row", tests = all4)
cmd(cs, "tab a by b pct=cell ci=beta deff=replace")
ref_tab(cs, d, xt_srs, "a", "b", pct = "cell", method = "beta", deff = "replace")
cmd(cs, "tab a by b,L test=all"); ref_tab(cs, d, xt_srs, "a", "b", layers = "L", tests = all4)
cmd(cs, "tab b by a,L pct=row ci=wald test=chisq")
ref_tab(cs, d, xt_srs, "b", "a", layers = "L", pct = "row", method = "mean", tests = "Chisq")
cmd(cs, "tab a deff"); ref_tab(cs, d, xt_srs, "a", deff = TRUE)
cmd(cs, "tab a by b if x > 3 level=0.9 ci=xlogit test=wald")
ref_tab(cs, d, xt_srs, "a", "b", cond = xt_srs$x > 3, level = 0.9, method = "xlogit", tests = "Wald")
cmd(cs, "tab a by b df=inf ci=asin test=adjwald")
ref_tab(cs, d, xt_srs, "a", "b", df = Inf, method = "asin", tests = "adjWald")
case_write(cs)

cs <- case_new("xt_strat")
d <- svydesign(id = ~1, strata = ~s, weights = ~w, fpc = ~f, data = xt_strat)
cmd(cs, 'load "data/xt_strat.csv"'); cmd(cs, "design weight=w strata=s fpc=f")
cmd(cs, "tab q5 by band test=all deff"); ref_tab(cs, d, xt_strat, "q5", "band", tests = all4, deff = TRUE)
cmd(cs, "tab q5 by band pct=row ci=beta"); ref_tab(cs, d, xt_strat, "q5", "band", pct = "row", method = "beta")
cmd(cs, "tab q5 by band pct=cell test=all"); ref_tab(cs, d, xt_strat, "q5", "band", pct = "cell", tests = all4)
cmd(cs, "tab q5 by band,role test=all deff")
ref_tab(cs, d, xt_strat, "q5", "band", layers = "role", tests = all4, deff = TRUE)
cmd(cs, "tab band by role test=all"); ref_tab(cs, d, xt_strat, "band", "role", tests = all4)
case_write(cs)

for (pol in c("adjust", "average", "certainty", "remove")) {
  options(survey.lonely.psu = pol)
  cs <- case_new(paste0("xt_sc_", pol))
  d <- svydesign(id = ~psu, strata = ~s, weights = ~w, nest = TRUE, data = xt_sc)
  cmd(cs, 'load "data/xt_sc.csv"'); cmd(cs, paste0("design weight=w strata=s cluster=psu lonely=", pol))
  cmd(cs, "tab met by team test=all deff"); ref_tab(cs, d, xt_sc, "met", "team", tests = all4, deff = TRUE)
  cmd(cs, "tab met by team pct=row ci=beta"); ref_tab(cs, d, xt_sc, "met", "team", pct = "row", method = "beta")
  cmd(cs, "tab met by team pct=cell test=all"); ref_tab(cs, d, xt_sc, "met", "team", pct = "cell", tests = all4)
  cmd(cs, "tab team deff"); ref_tab(cs, d, xt_sc, "team", deff = TRUE)
  case_write(cs)
}
options(survey.lonely.psu = "fail")

cs <- case_new("xt_ms")
d <- svydesign(id = ~psu + ssu, fpc = ~f1 + f2, data = xt_ms)
cmd(cs, 'load "data/xt_ms.csv"'); cmd(cs, "design cluster=psu,ssu fpc=f1,f2")
cmd(cs, "tab met by team test=all deff"); ref_tab(cs, d, xt_ms, "met", "team", tests = all4, deff = TRUE)
cmd(cs, "tab team by met pct=row test=all"); ref_tab(cs, d, xt_ms, "team", "met", pct = "row", tests = all4)
cmd(cs, "tab met by team pct=cell ci=beta"); ref_tab(cs, d, xt_ms, "met", "team", pct = "cell", method = "beta")
case_write(cs)

# xt_cal: stratified and clustered, no zero weights, post-stratified on
# grade; a 3 x 3 table with a zero cell. (Drawn after the data above, so
# those files do not change.)
rows <- list()
for (h in 1:4) for (j in 1:5) {
  k <- sample(5:10, 1)
  rows[[length(rows) + 1]] <- data.frame(s = sprintf("c%d", h), psu = j,
    w = round(runif(k, 5, 30), 2),
    grade = sample(c("Junior", "Senior"), k, TRUE, c(0.6, 0.4)),
    met = sample(c("Met", "Partly", "Not met"), k, TRUE, c(0.3, 0.3, 0.4)),
    team = sample(c("Adults", "Children", "Mental health"), k, TRUE))
}
xt_cal <- do.call(rbind, rows)
xt_cal$team[xt_cal$met == "Partly" & xt_cal$team == "Children"] <- "Adults"  # a zero cell
write.csv(xt_cal, "data/xt_cal.csv", row.names = FALSE, na = "")

# Interval methods that replay svyglm: logit (the default) on the column,
# row and cell percentages and the margins of a post-stratified design (its
# subsets keep every row, with weight zero outside), and the profile
# likelihood on the other designs.
cs <- case_new("xt_cal")
d0 <- svydesign(id = ~psu, strata = ~s, weights = ~w, nest = TRUE, data = xt_cal)
d <- postStratify(d0, ~grade, data.frame(grade = c("Junior", "Senior"), Freq = c(2500, 1500)))
cmd(cs, 'load "data/xt_cal.csv"'); cmd(cs, "design weight=w strata=s cluster=psu")
cmd(cs, "poststratify grade=Junior:2500,Senior:1500")
cmd(cs, "tab met by team test=all"); ref_tab(cs, d, xt_cal, "met", "team", tests = all4)
cmd(cs, "tab met by team pct=row"); ref_tab(cs, d, xt_cal, "met", "team", pct = "row")
cmd(cs, "tab met by team pct=cell"); ref_tab(cs, d, xt_cal, "met", "team", pct = "cell")
cmd(cs, "tab team by grade if met != \"Met\""); ref_tab(cs, d, xt_cal, "team", "grade", cond = xt_cal$met != "Met")
cmd(cs, "tab met ci=likelihood"); ref_tab(cs, d, xt_cal, "met", method = "likelihood")
case_write(cs)

cs <- case_new("xt_lik")
d <- svydesign(id = ~1, weights = ~w, data = xt_srs)
cmd(cs, 'load "data/xt_srs.csv"'); cmd(cs, "design weight=w")
cmd(cs, "tab a by b ci=likelihood test=none")
ref_tab(cs, d, xt_srs, "a", "b", method = "likelihood", tests = character())
cmd(cs, "tab a by b pct=row ci=likelihood level=0.9 test=none")
ref_tab(cs, d, xt_srs, "a", "b", pct = "row", method = "likelihood", level = 0.9, tests = character())
d <- svydesign(id = ~1, strata = ~s, weights = ~w, fpc = ~f, data = xt_strat)
cmd(cs, 'load "data/xt_strat.csv"'); cmd(cs, "design weight=w strata=s fpc=f")
cmd(cs, "tab q5 by band pct=cell ci=likelihood test=none")
ref_tab(cs, d, xt_strat, "q5", "band", pct = "cell", method = "likelihood", tests = character())
options(survey.lonely.psu = "adjust")
d <- svydesign(id = ~psu, strata = ~s, weights = ~w, nest = TRUE, data = xt_sc)
cmd(cs, 'load "data/xt_sc.csv"'); cmd(cs, "design weight=w strata=s cluster=psu lonely=adjust")
cmd(cs, "tab met by team ci=likelihood test=none")
ref_tab(cs, d, xt_sc, "met", "team", method = "likelihood", tests = character())
options(survey.lonely.psu = "fail")
case_write(cs)

# xt_dev: equal weights and one "yes" in thirteen rows per column, where the
# first IRLS deviance falls within wfstat's bounds on the starting deviance
# and the exact one is gathered.
xt_dev <- data.frame(w = 1, a = rep(c("yes", rep("no", 12)), 2), b = rep(c("u", "v"), each = 13))
write.csv(xt_dev, "data/xt_dev.csv", row.names = FALSE, na = "")
cs <- case_new("xt_dev")
d <- svydesign(id = ~1, weights = ~w, data = xt_dev)
cmd(cs, 'load "data/xt_dev.csv"'); cmd(cs, "design weight=w")
cmd(cs, "tab a by b test=none"); ref_tab(cs, d, xt_dev, "a", "b", tests = character())
cmd(cs, "tab a by b ci=likelihood test=none")
ref_tab(cs, d, xt_dev, "a", "b", method = "likelihood", tests = character())
case_write(cs)
