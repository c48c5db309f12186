# edges.R - numerical edge cases against R's survey package (4.1-1) or
# exact values. Run from this directory:  Rscript edges.R
# It writes data/edge_*.csv, edge_*.wfs and edge_*.expected (committed; CI
# does not need R). The helpers (case_new, cmd, chk, ref_numeric, ref_prop,
# ...) are the function definitions of estimates.R, evaluated without
# running that script.
suppressMessages(library(survey))
options(warn = 1)
for (e in parse("estimates.R")) {
  if (is.call(e) && identical(e[[1]], as.name("<-")) && is.call(e[[3]]) &&
      identical(e[[3]][[1]], as.name("function"))) eval(e)
}
set.seed(20261124)

# ---- all weights equal: stratified cluster sample, every weight 7.5.
n <- 60
eq <- data.frame(s = rep(c("a", "b", "c"), each = 20), psu = rep(1:4, 15), w = 7.5,
                 y = round(rnorm(n, 40, 8), 2),
                 need = sample(c("Met", "Not met"), n, TRUE, c(0.6, 0.4)))
write.csv(eq, "data/edge_equal.csv", row.names = FALSE)
cs <- case_new("edge_equal")
d <- svydesign(id = ~psu, strata = ~s, weights = ~w, nest = TRUE, data = eq)
cmd(cs, 'load "data/edge_equal.csv"'); cmd(cs, "design weight=w strata=s cluster=psu")
chk(cs, "df", degf(d), "-"); chk(cs, "sum_weights", 7.5 * n, "-")
cmd(cs, "mean y deff"); ref_numeric(cs, d, eq, "y", deff = TRUE)
cmd(cs, "total y"); ref_numeric(cs, d, eq, "y", "total")
for (m in c("logit", "beta", "asin")) {
  cmd(cs, sprintf("prop need ci=%s", m)); ref_prop(cs, d, eq, "need", method = m)
}
case_write(cs)

# ---- one PSU in every stratum, under each lonely-PSU policy R has.
one <- data.frame(s = rep(sprintf("h%d", 1:5), each = 4), psu = 1,
                  w = round(runif(20, 2, 6), 3), y = round(rnorm(20, 10, 3), 2))
write.csv(one, "data/edge_onepsu.csv", row.names = FALSE)
for (pol in c("adjust", "certainty", "remove")) {
  options(survey.lonely.psu = pol)
  cs <- case_new(paste0("edge_onepsu_", pol))
  d <- svydesign(id = ~psu, strata = ~s, weights = ~w, nest = TRUE, data = one)
  cmd(cs, 'load "data/edge_onepsu.csv"')
  cmd(cs, paste0("design weight=w strata=s cluster=psu lonely=", pol))
  # Every stratum has one PSU: no degrees of freedom are left.
  chk(cs, "df", degf(d), "-")
  cmd(cs, "mean y df=inf"); ref_numeric(cs, d, one, "y", df = Inf)
  cmd(cs, "total y df=inf"); ref_numeric(cs, d, one, "y", "total", df = Inf)
  case_write(cs)
}
options(survey.lonely.psu = "fail")

# ---- a domain with one row; weights from 1e-6 to 1e6; a constant variable
# (variance exactly zero).
m <- 40
wide <- data.frame(id = 1:m, s = rep(c("a", "b"), each = m / 2),
                   w = 10^seq(-6, 6, length.out = m),
                   y = round(rnorm(m, 5, 2), 3), k = 3,
                   bin = rbinom(m, 1, 0.4))
wide$w[c(7, 30)] <- c(1e-6, 1e6)
write.csv(wide, "data/edge_weights.csv", row.names = FALSE)
cs <- case_new("edge_weights")
d <- svydesign(id = ~1, strata = ~s, weights = ~w, data = wide)
cmd(cs, 'load "data/edge_weights.csv"'); cmd(cs, "design weight=w strata=s")
chk(cs, "sum_weights", sum(wide$w), "-")
cmd(cs, "mean y deff"); ref_numeric(cs, d, wide, "y", deff = TRUE)
cmd(cs, "total y"); ref_numeric(cs, d, wide, "y", "total")
cmd(cs, "ratio y / w"); ref_ratio(cs, d, wide, "y", "w")
cmd(cs, "prop bin ci=beta"); ref_prop(cs, d, wide, "bin", method = "beta")
cmd(cs, "prop bin ci=logit if w > 1"); ref_prop(cs, d, wide, "bin", cond = wide$w > 1)
# one row in the domain: R's estimate, SE and df of the one-row subset
cmd(cs, "mean y if id == 7"); ref_numeric(cs, d, wide, "y", cond = wide$id == 7)
cmd(cs, "total y if id == 30"); ref_numeric(cs, d, wide, "y", "total", cond = wide$id == 30)
# variance exactly zero
cmd(cs, "mean k"); ref_numeric(cs, d, wide, "k")
case_write(cs)

# ---- values around 1e12 with a tiny spread, unequal weights. R's svymean
# on y itself loses digits; the reference is svymean on d = y - 1e12 (exact
# in double: d is a multiple of 2^-13, the spacing of doubles near 1e12),
# whose SE is the SE of y and whose mean is the mean of y less
# 1e12. The SE must keep 10 significant digits.
big <- data.frame(s = rep(c("a", "b", "c"), each = 30), w = round(runif(90, 1, 50), 3),
                  d = round(rnorm(90, 0, 0.01) * 2^13) / 2^13)
big$y <- 1e12 + big$d
write.csv(data.frame(s = big$s, w = big$w, y = sprintf("%.13f", big$y)),
          "data/edge_big.csv", row.names = FALSE, quote = FALSE)
stopifnot(all(big$y - 1e12 == big$d))
cs <- case_new("edge_big")
d <- svydesign(id = ~1, strata = ~s, weights = ~w, data = big)
m1 <- svymean(~d, d)
cmd(cs, 'load "data/edge_big.csv"'); cmd(cs, "design weight=w strata=s")
cmd(cs, "mean y")
tol(cs, 1e-15); chk(cs, "estimate", 1e12 + coef(m1)[[1]])
tol(cs, 1e-10); chk(cs, "se", SE(m1)[[1]])
t1 <- svytotal(~d, d)
cmd(cs, "total y")
tol(cs, 1e-15); chk(cs, "estimate", 1e12 * sum(big$w) + coef(t1)[[1]])
# the SE of the total is the SE of the total of d plus 1e12 times that of
# the total weight
tw <- svytotal(~one, update(d, one = 1))
vt <- vcov(svytotal(~d + one, update(d, one = 1)))
tol(cs, 1e-10); chk(cs, "se", sqrt(vt[1, 1] + 2e12 * vt[1, 2] + 1e24 * vt[2, 2]))
case_write(cs)

# ---- Korn-Graubard intervals with an effective sample size in the
# billions: strata that nearly determine the answer. gsl_cdf_beta_Pinv
# returned NaN or did not return for such shapes.
# Every row of stratum a says no and every row of b yes; only the weights
# (1 +- 1e-4) vary, so the variance is tiny but not zero.
hb <- data.frame(s = rep(c("a", "b"), each = 50),
                 w = round(1 + runif(100, -1e-4, 1e-4), 8), yes = rep(c(0, 1), each = 50))
write.csv(hb, "data/edge_kg.csv", row.names = FALSE)
cs <- case_new("edge_kg")
d <- svydesign(id = ~1, strata = ~s, weights = ~w, data = hb)
cmd(cs, 'load "data/edge_kg.csv"'); cmd(cs, "design weight=w strata=s")
cmd(cs, "prop yes ci=beta"); ref_prop(cs, d, hb, "yes", method = "beta")
cmd(cs, "prop yes ci=beta level=0.99"); ref_prop(cs, d, hb, "yes", method = "beta", level = 0.99)
case_write(cs)
