# contrasts.R - reference values for compare and change from R's survey
# package (4.1-1). Run from this directory:  Rscript contrasts.R
# It reads the data of estimates.R (data/*.csv), writes two panel waves
# (data/panel_a.csv, data/panel_b.csv, from a fixed seed), the wfstat
# scripts (cmp_*.wfs, chg_*.wfs) and the values R computes (*.expected).
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
  e$name <- name; e$cmds <- character(); e$exp <- c("tol 1e-8"); e$k <- -1
  e
}
# Every command prints one JSON line (load and design too).
cmd <- function(cs, text) {
  cs$cmds <- c(cs$cmds, text); cs$k <- cs$k + 1; cs$row <- 0
  invisible(NULL)
}
chk <- function(cs, field, value, row = cs$row)
  cs$exp <- c(cs$exp, sprintf("%d %s %s %s", cs$k, row, field, fmt(value)))
case_write <- function(cs) {
  writeLines(cs$cmds, paste0(cs$name, ".wfs"))
  writeLines(cs$exp, paste0(cs$name, ".expected"))
}
tq <- function(df, level = 0.95) if (is.infinite(df)) qnorm(1 - (1 - level) / 2) else qt(1 - (1 - level) / 2, df)

# One difference row: estimate, se, interval, df, p-value.
put <- function(cs, est, se, df, p) {
  chk(cs, "estimate", est); chk(cs, "se", se)
  chk(cs, "ci_lower", est - tq(df) * se); chk(cs, "ci_upper", est + tq(df) * se)
  chk(cs, "df", df); chk(cs, "p_value", p)
  cs$row <- cs$row + 1
}

# svyby(covmat = TRUE) does not take na.rm: the rows missing the variable
# are dropped with subset(), which keeps the design (they contribute zero
# influence, as wfstat's na.rm).
# Every pair a < b of the svyby domains, per column block (level): the
# contrast a - b by svycontrast on the svyby covariance, Holm within block.
ref_compare <- function(cs, by_est, nlev, df, adjust = "holm") {
  cf <- coef(by_est)
  G <- length(cf) / nlev
  for (k in seq_len(nlev)) {
    rows <- list(); p <- numeric()
    for (a in 1:(G - 1)) for (b in (a + 1):G) {
      w <- numeric(length(cf))
      # svyby orders its coefficients domain-fastest within each statistic.
      w[(k - 1) * G + a] <- 1; w[(k - 1) * G + b] <- -1
      ct <- svycontrast(by_est, w)
      est <- coef(ct)[[1]]; se <- SE(ct)[[1]]
      rows[[length(rows) + 1]] <- c(est, se)
      p <- c(p, 2 * pt(-abs(est / se), df))
    }
    if (adjust == "holm") p <- p.adjust(p, "holm")
    for (i in seq_along(rows)) put(cs, rows[[i]][1], rows[[i]][2], df, p[i])
  }
}

strat <- read.csv("data/strat.csv", na.strings = c("", "NA"))
clus1 <- read.csv("data/clus1.csv", na.strings = c("", "NA"))
clus2 <- read.csv("data/clus2.csv", na.strings = c("", "NA"))
sc <- read.csv("data/sc.csv", na.strings = c("", "NA"))
# Categorical variables as factors (levels sorted, as wfstat sorts them).
for (v in c("need")) {
  strat[[v]] <- factor(strat[[v]]); clus1[[v]] <- factor(clus1[[v]])
  clus2[[v]] <- factor(clus2[[v]]); sc[[v]] <- factor(sc[[v]])
}

# ---- compare on a stratified design with fpc, missing values, zero weights
cs <- case_new("cmp_strat")
d <- svydesign(id = ~1, strata = ~s, weights = ~w, fpc = ~f, data = strat)
cmd(cs, 'load "data/strat.csv"'); cmd(cs, "design weight=w strata=s fpc=f")
cmd(cs, "compare mean y by g")
ref_compare(cs, svyby(~y, ~g, subset(d, !is.na(y)), svymean, covmat = TRUE), 1, degf(d))
cmd(cs, "compare prop need by g")
ref_compare(cs, svyby(~need, ~g, subset(d, !is.na(need)), svymean, covmat = TRUE), 3, degf(d))
cmd(cs, "compare ratio y / x by g adjust=none")
ref_compare(cs, svyby(~y, ~g, subset(d, !is.na(y) & !is.na(x)), svyratio, denominator = ~x, covmat = TRUE), 1,
            degf(d), "none")
cmd(cs, "compare mean y by g2")
ref_compare(cs, svyby(~y, ~g2, subset(d, !is.na(y)), svymean, covmat = TRUE), 1, degf(d))
case_write(cs)

# ---- compare on clustered designs: one stage with fpc, two stages with
# fpc (later-stage variance), strata with single PSUs under lonely=adjust
cs <- case_new("cmp_clus")
d1 <- svydesign(id = ~psu, weights = ~w, fpc = ~f, data = clus1)
cmd(cs, 'load "data/clus1.csv"'); cmd(cs, "design weight=w cluster=psu fpc=f")
cmd(cs, "compare mean y by g")
ref_compare(cs, svyby(~y, ~g, subset(d1, !is.na(y)), svymean, covmat = TRUE), 1, degf(d1))
cmd(cs, "compare prop need by g")
ref_compare(cs, svyby(~need, ~g, subset(d1, !is.na(need)), svymean, covmat = TRUE), 3, degf(d1))
d2 <- svydesign(id = ~psu + ssu, fpc = ~f1 + f2, data = clus2)
cmd(cs, 'load "data/clus2.csv"'); cmd(cs, "design cluster=psu,ssu fpc=f1,f2")
cmd(cs, "compare mean y by g")
ref_compare(cs, svyby(~y, ~g, subset(d2, !is.na(y)), svymean, covmat = TRUE), 1, degf(d2))
cmd(cs, "compare ratio y / x by need")
ref_compare(cs, svyby(~y, ~need, subset(d2, !is.na(need) & !is.na(y) & !is.na(x)), svyratio, denominator = ~x, covmat = TRUE), 1, degf(d2))
options(survey.lonely.psu = "adjust")
d3 <- svydesign(id = ~psu, strata = ~s, weights = ~w, data = sc, nest = TRUE)
cmd(cs, 'load "data/sc.csv"')
cmd(cs, "design weight=w strata=s cluster=psu lonely=adjust")
cmd(cs, "compare mean y by g")
ref_compare(cs, svyby(~y, ~g, subset(d3, !is.na(y)), svymean, covmat = TRUE), 1, degf(d3))
cmd(cs, "compare prop need by g")
ref_compare(cs, svyby(~need, ~g, subset(d3, !is.na(need)), svymean, covmat = TRUE), 3, degf(d3))
options(survey.lonely.psu = "fail")
case_write(cs)

# ---- change between independent waves: the variance is the sum
ref_change <- function(cs, ea, eb, df) {
  for (k in seq_along(coef(ea))) {
    est <- coef(eb)[[k]] - coef(ea)[[k]]
    se <- sqrt(SE(ea)[[k]]^2 + SE(eb)[[k]]^2)
    put(cs, est, se, df, 2 * pt(-abs(est / se), df))
  }
}
cs <- case_new("chg_indep")
da <- svydesign(id = ~1, strata = ~s, weights = ~w, fpc = ~f, data = strat)
db <- svydesign(id = ~psu, weights = ~w, fpc = ~f, data = clus1)
cmd(cs, 'load "data/strat.csv" as a'); cmd(cs, "design weight=w strata=s fpc=f")
cmd(cs, 'load "data/clus1.csv" as b'); cmd(cs, "design weight=w cluster=psu fpc=f")
df <- degf(da) + degf(db)
cmd(cs, "change mean y from a to b")
ref_change(cs, svymean(~y, da, na.rm = TRUE), svymean(~y, db, na.rm = TRUE), df)
cmd(cs, "change prop need from a to b")
ref_change(cs, svymean(~need, da, na.rm = TRUE), svymean(~need, db, na.rm = TRUE), df)
cmd(cs, "change ratio y / x from a to b")
ref_change(cs, svyratio(~y, ~x, da, na.rm = TRUE), svyratio(~y, ~x, db, na.rm = TRUE), df)
cmd(cs, "change mean y from a to b by g")
for (lev in sort(unique(strat$g))) {
  ref_change(cs, svymean(~y, subset(da, g == lev), na.rm = TRUE),
             svymean(~y, subset(db, g == lev), na.rm = TRUE), df)
}
case_write(cs)

# ---- change in a panel: the waves stacked and clustered by the id
n <- 60
ids <- sprintf("p%03d", 1:90)
pa <- data.frame(id = ids[1:n], w = round(runif(n, 5, 20), 2), y = round(rnorm(n, 50, 10), 1),
                 x = round(runif(n, 1, 3), 2),
                 need = sample(c("Fully met", "Partly met", "Not met"), n, TRUE))
pb <- data.frame(id = ids[31:90], w = round(runif(n, 5, 20), 2), y = NA, x = round(runif(n, 1, 3), 2),
                 need = NA)
# Those in both waves answer much as before (a positive covariance).
both <- match(pb$id, pa$id)
pb$y <- ifelse(is.na(both), round(rnorm(n, 53, 10), 1), round(pa$y[both] + rnorm(n, 3, 4), 1))
pb$need <- ifelse(is.na(both) | runif(n) < 0.3,
                  sample(c("Fully met", "Partly met", "Not met"), n, TRUE), pa$need[both])
write.csv(pa, "data/panel_a.csv", row.names = FALSE, na = "")
write.csv(pb, "data/panel_b.csv", row.names = FALSE, na = "")
st <- rbind(cbind(pa, wave = "a"), cbind(pb, wave = "b"))
st$need <- factor(st$need)
ds <- svydesign(id = ~id, weights = ~w, data = st)
cs <- case_new("chg_panel")
cmd(cs, 'load "data/panel_a.csv" as pa'); cmd(cs, "design weight=w")
cmd(cs, 'load "data/panel_b.csv" as pb'); cmd(cs, "design weight=w")
dfp <- degf(ds)
ref_panel <- function(cs, by_est, nlev) {
  G <- 2
  for (k in seq_len(nlev)) {
    w <- numeric(length(coef(by_est))); w[(k - 1) * G + 1] <- -1; w[(k - 1) * G + 2] <- 1
    ct <- svycontrast(by_est, w)
    est <- coef(ct)[[1]]; se <- SE(ct)[[1]]
    put(cs, est, se, dfp, 2 * pt(-abs(est / se), dfp))
  }
}
cmd(cs, "change mean y from pa to pb overlap=id")
ref_panel(cs, svyby(~y, ~wave, ds, svymean, covmat = TRUE), 1)
cmd(cs, "change prop need from pa to pb overlap=id")
ref_panel(cs, svyby(~need, ~wave, ds, svymean, covmat = TRUE), 3)
cmd(cs, "change ratio y / x from pa to pb overlap=id")
ref_panel(cs, svyby(~y, ~wave, ds, svyratio, denominator = ~x, covmat = TRUE), 1)
case_write(cs)
