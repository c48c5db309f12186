# survey.R - the benchmark steps in R's survey package, for bench/driver.sh.
#
# Rscript bench/survey.R DATA.csv MARGINS.txt
#
# Times (elapsed seconds, one run each): reading the CSV (data.table::fread
# when installed, otherwise read.csv), svydesign, svymean(~y), svyby(~y,
# ~f5, svymean), the 5 x 4 table with svychisq's Rao-Scott F, rake on the
# f5 and f4 margins, and svymean(~y) on the raked design. Prints
#   reader NAME
#   time STEP SECONDS             (one line a step)
#   mean ESTIMATE SE              (%.17g, before raking)
#   raked ESTIMATE SE             (%.17g, after raking)
suppressMessages(library(survey))
a <- commandArgs(TRUE)
t <- function(expr) {
  f <- substitute(expr); e <- parent.frame()
  system.time(eval(f, e))[["elapsed"]]
}
cls <- c(stratum = "character", psu = "integer", weight = "numeric", y = "numeric",
         f5 = "character", f4 = "character", id = "integer")
if (requireNamespace("data.table", quietly = TRUE)) {
  reader <- "data.table::fread"
  tr <- t(df <- as.data.frame(data.table::fread(a[1], colClasses = cls, showProgress = FALSE)))
} else {
  reader <- "read.csv"
  tr <- t(df <- read.csv(a[1], colClasses = cls))
}
cat("reader", reader, "\n")
m <- read.table(a[2], col.names = c("var", "level", "Freq"), colClasses = c("character", "character", "numeric"))
p5 <- data.frame(f5 = m$level[m$var == "f5"], Freq = m$Freq[m$var == "f5"])
p4 <- data.frame(f4 = m$level[m$var == "f4"], Freq = m$Freq[m$var == "f4"])
steps <- list()
steps$read <- tr
steps$design <- t(d <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight, data = df))
steps$mean <- t(mn <- svymean(~y, d))
steps$by <- t(b <- svyby(~y, ~f5, d, svymean))
steps$tab <- t({ tb <- svymean(~interaction(f5, f4), d); ch <- svychisq(~f5 + f4, d) })
steps$rake <- t(r <- rake(d, list(~f5, ~f4), list(p5, p4), control = list(epsilon = 1e-10, maxit = 100)))
steps$mean_raked <- t(mr <- svymean(~y, r))
for (s in names(steps)) cat(sprintf("time %s %.4f\n", s, steps[[s]]))
cat(sprintf("mean %.17g %.17g\n", coef(mn), SE(mn)))
cat(sprintf("raked %.17g %.17g\n", coef(mr), SE(mr)))
