# estimates2.R - more reference values for wfstat's estimators from R's
# survey package (4.1-1), for what estimates.R does not exercise: a
# two-stage stratified design with fpcs given as sampling fractions and
# weights given as well, a singleton at stage 2 under lonely=adjust and
# certainty (and a unit taken whole at stage 2), weights implied by
# fractions, a numeric by variable, a domain whose weights are all zero,
# and level = 0.9 with df = Inf for proportions.
# Run from this directory:  Rscript estimates2.R
# It writes the synthetic test data (data/*.csv, from a fixed seed), the
# wfstat scripts (NAME.wfs) and the values R computes (NAME.expected).
# CI does not need R: the outputs are committed.
suppressMessages(library(survey))
options(warn = 1)
set.seed(20261124)

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
chk <- function(cs, field, value, row = cs$row) {
  cs$exp <- c(cs$exp, sprintf("%d %s %s %s", cs$k, row, field, fmt(value)))
}
# A note of the current command's JSON line must contain text.
has_note <- function(cs, text) {
  cs$exp <- c(cs$exp, sprintf("%d notes contains \"%s\"", cs$k, text))
}
nextrow <- function(cs) cs$row <- cs$row + 1
case_write <- function(cs) {
  writeLines(cs$cmds, paste0(cs$name, ".wfs"))
  writeLines(cs$exp, paste0(cs$name, ".expected"))
}

put <- function(cs, est, se, lo, hi, df, n, nw, deff = NULL) {
  chk(cs, "estimate", est); chk(cs, "se", se)
  chk(cs, "ci_lower", lo); chk(cs, "ci_upper", hi)
  chk(cs, "df", df); chk(cs, "n", n); chk(cs, "n_weighted", nw)
  if (!is.null(deff)) chk(cs, "deff", deff)
  nextrow(cs)
}

tq <- function(df, level = 0.95) if (is.infinite(df)) qnorm(1 - (1 - level) / 2) else qt(1 - (1 - level) / 2, df)

# The domains of a command in wfstat's order (the first by variable
# varying fastest; a numeric by variable's levels in numeric order).
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

ref_prop <- function(cs, des, data, var, by = NULL, cond = NULL, method = "logit",
                     deff = FALSE, df = NULL, level = 0.95) {
  levs <- sort(unique(as.character(data[[var]][!is.na(data[[var]])])))
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

# ts: two stages in two strata. Stage 1 takes 4 of 16 and 3 of 12 PSUs
# (fraction 0.25); stage 2 takes 2-3 of 4, 5, 8 or 10 units, except PSU 2
# of h1, which takes 1 of 5 (a singleton at stage 2) and PSU 3 of h2,
# which takes its only unit (fraction 1: not lonely). Every fraction is a
# terminating decimal, so the CSV holds exactly R's values. Weights are
# given (the inverse fractions, perturbed), and the fpcs are fractions. A
# numeric band (1, 2, 2.5, 10) sorts numerically, not as text.
nps <- c(4, 3); Nps <- c(16, 12)
rows <- list()
for (h in 1:2) for (i in seq_len(nps[h])) {
  if (h == 1 && i == 2) {
    N2 <- 5; n2 <- 1
  } else if (h == 2 && i == 3) {
    N2 <- 1; n2 <- 1
  } else {
    N2 <- sample(c(4, 5, 8, 10), 1); n2 <- sample(2:3, 1)
  }
  for (j in seq_len(n2)) {
    m <- sample(1:3, 1)
    rows[[length(rows) + 1]] <- data.frame(h = sprintf("h%d", h), psu = i, ssu = j,
      f1 = nps[h] / Nps[h], f2 = n2 / N2,
      w = round(Nps[h] / nps[h] * N2 / n2 * runif(m, 0.9, 1.1), 3),
      y = round(rnorm(m, 40 + 3 * h + i, 8), 2),
      x = round(runif(m, 1, 4), 2),
      need = sample(c("Met", "Not met", "Partly met"), m, TRUE, c(0.4, 0.4, 0.2)),
      band = sample(c(1, 2, 2.5, 10), m, TRUE))
  }
}
ts <- do.call(rbind, rows)
write.csv(ts, "data/ts.csv", row.names = FALSE, na = "")

# zw: stratified, rows are PSUs; group Z holds only zero weights (rows in
# the data, not in the sample).
zw <- data.frame(s = rep(c("a", "b", "c"), each = 6),
  w = round(runif(18, 2, 6), 2), y = round(rnorm(18, 10, 3), 2),
  need = sample(c("Met", "Not met"), 18, TRUE),
  g = sample(c("P", "Q"), 18, TRUE))
zw$g[c(2, 9, 15)] <- "Z"
zw$w[zw$g == "Z"] <- 0
write.csv(zw, "data/zw.csv", row.names = FALSE, na = "")

# ---------------------------------------------------------------- cases

# Two stages, fractions, weights given, a singleton at stage 2.
for (pol in c("adjust", "certainty")) {
  options(survey.lonely.psu = pol)
  cs <- case_new(paste0("ts_", pol))
  d <- svydesign(id = ~psu + ssu, strata = ~h, weights = ~w, fpc = ~f1 + f2, nest = TRUE,
                 data = ts)
  cmd(cs, 'load "data/ts.csv"')
  cmd(cs, paste0("design weight=w strata=h cluster=psu,ssu fpc=f1,f2 lonely=", pol))
  chk(cs, "n_psu", sum(nps), "-"); chk(cs, "df", degf(d), "-")
  chk(cs, "sum_weights", sum(weights(d)), "-")
  cmd(cs, "mean y deff"); ref_numeric(cs, d, ts, "y", deff = TRUE)
  cmd(cs, "total y deff=replace"); ref_numeric(cs, d, ts, "y", "total", deff = "replace")
  cmd(cs, "mean y by band"); ref_numeric(cs, d, ts, "y", by = "band")
  cmd(cs, "total y by band,h"); ref_numeric(cs, d, ts, "y", "total", by = c("band", "h"))
  cmd(cs, "ratio y / x by band"); ref_ratio(cs, d, ts, "y", "x", by = "band")
  cmd(cs, "prop need by band ci=xlogit"); ref_prop(cs, d, ts, "need", by = "band", method = "xlogit")
  for (m in c("logit", "mean", "asin", "beta", "likelihood")) {
    cmd(cs, sprintf("prop need ci=%s level=0.9 df=inf", m))
    ref_prop(cs, d, ts, "need", method = m, df = Inf, level = 0.9)
  }
  cmd(cs, "mean y level=0.9 df=inf"); ref_numeric(cs, d, ts, "y", df = Inf, level = 0.9)
  cmd(cs, "quantile y p=0.25,0.5 by band"); ref_quantile(cs, d, ts, "y", c(0.25, 0.5), by = "band")
  case_write(cs)
}
options(survey.lonely.psu = "fail")

# The same design with weights implied by the fractions.
cs <- case_new("ts_implied")
options(survey.lonely.psu = "adjust")
d <- svydesign(id = ~psu + ssu, strata = ~h, fpc = ~f1 + f2, nest = TRUE, data = ts)
cmd(cs, 'load "data/ts.csv"'); cmd(cs, "design strata=h cluster=psu,ssu fpc=f1,f2 lonely=adjust")
chk(cs, "sum_weights", sum(weights(d)), "-"); chk(cs, "df", degf(d), "-")
cmd(cs, "mean y deff"); ref_numeric(cs, d, ts, "y", deff = TRUE)
cmd(cs, "total y by band"); ref_numeric(cs, d, ts, "y", "total", by = "band")
cmd(cs, "prop need ci=wald"); ref_prop(cs, d, ts, "need", method = "mean")
case_write(cs)
options(survey.lonely.psu = "fail")

# A domain of zero weights: R gives NaN, wfstat a null estimate and a note.
cs <- case_new("zw")
d <- svydesign(id = ~1, strata = ~s, weights = ~w, data = zw)
cmd(cs, 'load "data/zw.csv"'); cmd(cs, "design weight=w strata=s")
chk(cs, "df", degf(d), "-"); chk(cs, "n", nrow(zw), "-")
cmd(cs, "mean y by g"); ref_numeric(cs, d, zw, "y", by = "g")
note(cs, "the zero-weight domain Z: R's estimate is NaN")
has_note(cs, "every weight zero")
cmd(cs, "mean y if g == \"Z\""); ref_numeric(cs, d, zw, "y", cond = zw$g == "Z")
has_note(cs, "every weight zero")
cmd(cs, "mean y if g != \"Z\" deff"); ref_numeric(cs, d, zw, "y", cond = zw$g != "Z", deff = TRUE)
cmd(cs, "ratio y / w by g"); ref_ratio(cs, d, zw, "y", "w", by = "g")
cmd(cs, "prop need by s ci=beta level=0.9 df=inf")
ref_prop(cs, d, zw, "need", by = "s", method = "beta", df = Inf, level = 0.9)
case_write(cs)
