# reptab.R - reference values for wfstat's tab command on replicate-weight
# designs, from R's survey package (4.1-1). Run from this directory after
# replicate.R (it reads the data files that script writes):
#   Rscript reptab.R > reptab.Rout
# It writes the wfstat scripts (rep_tab_*.wfs) and the values R computes
# (rep_tab_*.expected): cell and margin counts as svytotal in each domain
# of the svyrep.design, percentages as svymean in each domain with their
# intervals, and every statistic of svychisq.svyrep.design (F, Chisq, Wald,
# adjWald). CI does not need R: the outputs are committed.
suppressMessages(library(survey))
options(warn = 1)
invisible(Sys.setlocale("LC_COLLATE", "C"))

source("refcase.R")
nextrow <- function(cs) cs$row <- cs$row + 1
tq <- function(df, level = 0.95) qt(1 - (1 - level) / 2, df)
rd <- function(f) read.csv(f, na.strings = c("", "NA"))
pw <- function(ds) weights(ds, "sampling")
sub <- function(des, keep) { keep[is.na(keep)] <- FALSE; des[keep, ] }
levs <- function(x) as.character(sort(unique(x[!is.na(x)])))

# wfstat uses the design's df (degf of the whole replicate design) in every
# domain and layer, for intervals and for the tests' denominator df. R
# recomputes the rank of the replicate weights inside a subset (rows with a
# missing value, a layer) unless the design carries its degf, as
# svrepdesign(degf = ) sets it: the tests are run on the layer's complete
# cases with the design's degf set so.
with_df <- function(ds, des) { ds$degf <- degf(des); ds }

# One count: svytotal of the indicator in its domain.
put_count <- function(cs, des, ds, ind) {
  ds <- update(ds, .y = as.numeric(ind))
  m <- svytotal(~.y, ds)
  est <- coef(m)[[1]]; se <- SE(m)[[1]]; df <- degf(des)
  chk(cs, "estimate", est); chk(cs, "se", se)
  chk(cs, "ci_lower", est - tq(df) * se); chk(cs, "ci_upper", est + tq(df) * se)
  chk(cs, "df", df); chk(cs, "n", sum(pw(ds) != 0 & ind)); chk(cs, "n_weighted", est)
  nextrow(cs)
}

# One percentage: svymean of the indicator in its domain, recomputed per
# replicate. The logit interval: svyciprop(method = "logit") fails on a
# svyrep.design in survey 4.1-1 (svyglm.svyrep.design cannot summarise its
# fit), so it is computed as svyglm would: the replicate variance (svrVar)
# of the fitted logits, which for an intercept-only model are qlogis of the
# replicate proportions (as replicate.R). Other methods call svyciprop.
put_prop <- function(cs, des, ds, ind, method) {
  ds <- update(ds, .y = as.numeric(ind))
  m <- svymean(~.y, ds, return.replicates = TRUE)
  p <- coef(m)[[1]]; se <- SE(m)[[1]]; df <- degf(des)
  chk(cs, "estimate", p); chk(cs, "se", se); chk(cs, "df", df)
  chk(cs, "n", sum(pw(ds) != 0)); chk(cs, "n_weighted", sum(pw(ds)))
  if (p > 0 && p < 1) {
    if (method == "logit") {
      # A replicate whose share is 0 or 1 has no finite logit; it is left
      # out (as an undefined replicate estimate, svrVar's na.omit).
      reps <- qlogis(as.vector(m$replicates))
      reps[!is.finite(reps)] <- NA
      v <- svrVar(reps, ds$scale, ds$rscales, mse = ds$mse, coef = qlogis(p))
      ci <- plogis(qlogis(p) + c(-1, 1) * tq(df) * sqrt(v[1]))
    } else {
      ci <- attr(svyciprop(~I(.y == 1), ds, method = method, df = df), "ci")
    }
    chk(cs, "ci_lower", ci[[1]]); chk(cs, "ci_upper", ci[[2]])
  }
  nextrow(cs)
}

# A whole tab command: every layer's estimates in wfstat's order, and its
# tests (svychisq on the layer's complete cases).
ref_tab <- function(cs, des, data, row, col = NULL, layers = NULL, cond = NULL, pct = "col",
                    tests = "F", method = "logit") {
  base <- !is.na(data[[row]])
  if (!is.null(col)) base <- base & !is.na(data[[col]])
  for (l in layers) base <- base & !is.na(data[[l]])
  if (!is.null(cond)) base <- base & !is.na(cond) & cond
  rl <- levs(data[[row]][base])
  cl <- if (is.null(col)) NULL else levs(data[[col]][base])
  rv <- as.character(data[[row]]); cv <- if (is.null(col)) NULL else as.character(data[[col]])
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
      for (r in rl) put_count(cs, des, dl, lr == r)
      put_count(cs, des, dl, rep(TRUE, sum(inl)))
      for (r in rl) put_prop(cs, des, dl, lr == r, method)
      next
    }
    if (pct == "cell") {
      for (c in cl) for (r in rl) put_count(cs, des, dl, lr == r & lc == c)
    } else {
      for (c in cl) for (r in rl)
        put_count(cs, des, sub(des, inl & cv == c), rv[inl & cv == c] == r)
    }
    for (r in rl) put_count(cs, des, dl, lr == r)
    for (c in cl) put_count(cs, des, dl, lc == c)
    put_count(cs, des, dl, rep(TRUE, sum(inl)))
    if (pct == "col") {
      for (c in cl) for (r in rl)
        put_prop(cs, des, sub(des, inl & cv == c), rv[inl & cv == c] == r, method)
      for (r in rl) put_prop(cs, des, dl, lr == r, method)
    } else if (pct == "row") {
      for (r in rl) for (c in cl)
        put_prop(cs, des, sub(des, inl & rv == r), cv[inl & rv == r] == c, method)
      for (c in cl) put_prop(cs, des, dl, lc == c, method)
    } else {
      for (c in cl) for (r in rl) put_prop(cs, des, dl, lr == r & lc == c, method)
      for (r in rl) put_prop(cs, des, dl, lr == r, method)
      for (c in cl) put_prop(cs, des, dl, lc == c, method)
    }
    dl <- with_df(dl, des)
    f2 <- as.formula(paste0("~", row, "+", col))
    for (st in tests) {
      tr <- svychisq(f2, dl, statistic = st)
      k <- sprintf("test:%d", ti)
      chk(cs, "name", c(F = "rao-scott-f", Chisq = "rao-scott-chisq", Wald = "wald",
                        adjWald = "adjusted-wald")[[st]], k)
      chk(cs, "statistic", tr$statistic[[1]], k)
      if (st == "Chisq") {
        chk(cs, "df", tr$parameter[[1]], k)
      } else {
        chk(cs, "ndf", tr$parameter[[1]], k); chk(cs, "ddf", tr$parameter[[2]], k)
      }
      chk(cs, "p_value", tr$p.value[[1]], k)
      cat(sprintf("%-14s %-30s %-8s %.10g on %.6g, %.6g df, p = %.10g\n", cs$name,
                  paste(row, "by", col), st, tr$statistic[[1]], tr$parameter[[1]],
                  if (length(tr$parameter) > 1) tr$parameter[[2]] else NA, tr$p.value[[1]]))
      ti <- ti + 1
    }
  }
}

all4 <- c("F", "Chisq", "Wald", "adjWald")
clus1 <- rd("data/clus1.csv")
strat <- rd("data/strat.csv")
brr <- rd("data/brr.csv")
repw <- rd("data/repw.csv")

# JK1 with a first-stage fpc; and without, centred on the full sample.
cs <- case_new("rep_tab_jk1")
d <- as.svrepdesign(svydesign(id = ~psu, weights = ~w, fpc = ~f, data = clus1), type = "JK1")
cmd(cs, 'load "data/clus1.csv"'); cmd(cs, "design weight=w cluster=psu fpc=f")
cmd(cs, "replicate jk1")
cmd(cs, "tab need by g test=all"); ref_tab(cs, d, clus1, "need", "g", tests = all4)
cmd(cs, "tab need by g pct=row ci=xlogit test=all")
ref_tab(cs, d, clus1, "need", "g", pct = "row", method = "xlogit", tests = all4)
cmd(cs, "tab need by g pct=cell test=none")
ref_tab(cs, d, clus1, "need", "g", pct = "cell", tests = character())
cmd(cs, "tab need"); ref_tab(cs, d, clus1, "need")
d <- as.svrepdesign(svydesign(id = ~psu, weights = ~w, data = clus1), type = "JK1", mse = TRUE)
cmd(cs, "design weight=w cluster=psu"); cmd(cs, "replicate jk1 mse")
cmd(cs, "tab need by g test=all"); ref_tab(cs, d, clus1, "need", "g", tests = all4)
case_write(cs)

# JKn: stratified with fpc, missing values of the row variable, a layer.
cs <- case_new("rep_tab_jkn")
d <- as.svrepdesign(svydesign(id = ~1, strata = ~s, weights = ~w, fpc = ~f, data = strat),
                    type = "JKn")
cmd(cs, 'load "data/strat.csv"'); cmd(cs, "design weight=w strata=s fpc=f")
cmd(cs, "replicate jkn")
cmd(cs, "tab need by g test=all"); ref_tab(cs, d, strat, "need", "g", tests = all4)
cmd(cs, "tab g by need pct=row ci=wald test=all")
ref_tab(cs, d, strat, "g", "need", pct = "row", method = "mean", tests = all4)
cmd(cs, "tab need by g,g2 test=all"); ref_tab(cs, d, strat, "need", "g", layers = "g2", tests = all4)
case_write(cs)

# BRR and Fay on two PSUs per stratum.
for (ty in c("BRR", "Fay")) {
  cs <- case_new(paste0("rep_tab_", tolower(ty)))
  d <- as.svrepdesign(svydesign(id = ~psu, strata = ~s, weights = ~w, nest = TRUE, data = brr),
                      type = ty, fay.rho = if (ty == "Fay") 0.3 else 0)
  cmd(cs, 'load "data/brr.csv"'); cmd(cs, "design weight=w strata=s cluster=psu")
  cmd(cs, if (ty == "Fay") "replicate fay rho=0.3" else "replicate brr")
  cmd(cs, "tab need by g test=all"); ref_tab(cs, d, brr, "need", "g", tests = all4)
  cmd(cs, "tab g by need pct=cell ci=asin test=all")
  ref_tab(cs, d, brr, "g", "need", pct = "cell", method = "asin", tests = all4)
  case_write(cs)
}

# Replicate weights supplied with the data (written by replicate.R): JKn
# with rscales, Fay, and bootstrap centred on the full sample.
jkn <- as.svrepdesign(svydesign(id = ~psu, strata = ~s, weights = ~w, nest = TRUE, data = brr),
                      type = "JKn")
nfay <- sum(grepl("^fay[0-9]+$", names(repw)))
cs <- case_new("rep_tab_supplied")
cmd(cs, 'load "data/repw.csv"')
d <- svrepdesign(data = repw, weights = ~w, repweights = "jk[0-9]+", type = "JKn",
                 rscales = jkn$rscales, combined.weights = TRUE)
cmd(cs, "design weight=w repweights=jk* type=jkn rscales=rsc")
cmd(cs, "tab need by g test=all"); ref_tab(cs, d, repw, "need", "g", tests = all4)
cmd(cs, "tab need by g pct=row test=all"); ref_tab(cs, d, repw, "need", "g", pct = "row", tests = all4)
d <- svrepdesign(data = repw, weights = ~w, repweights = "fay[0-9]+", type = "Fay", rho = 0.5,
                 combined.weights = TRUE)
cmd(cs, sprintf("design weight=w repweights=fay1-fay%d type=fay rho=0.5", nfay))
cmd(cs, "tab need by g test=all"); ref_tab(cs, d, repw, "need", "g", tests = all4)
d <- svrepdesign(data = repw, weights = ~w, repweights = "bs[0-9]+", type = "bootstrap",
                 combined.weights = TRUE, mse = TRUE)
cmd(cs, "design weight=w repweights=bs* type=bootstrap mse")
cmd(cs, "tab need by g test=all"); ref_tab(cs, d, repw, "need", "g", tests = all4)
cmd(cs, "tab g by need pct=cell test=all"); ref_tab(cs, d, repw, "g", "need", pct = "cell", tests = all4)
case_write(cs)
