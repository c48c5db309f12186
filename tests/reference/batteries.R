# batteries.R - reference values for likert, multi and decompose, worked
# out independently of wfstat's code path: top and bottom boxes as the
# means of 0/1 indicators (svymean on the rows that answered), tick-all
# differences by svycontrast, and the Kitagawa decomposition written out
# term by term as svycontrast expressions (delta method by R's deriv) on
# svyby totals with their full covariance. Run from this directory:
#   Rscript batteries.R
suppressMessages(library(survey))
options(warn = 1)

fmt <- function(v) {
  if (length(v) != 1 || is.na(v) || !is.finite(v)) return("NA")
  sprintf("%.17g", v)
}
case_new <- function(name) {
  e <- new.env(); e$name <- name; e$cmds <- character(); e$exp <- c("tol 1e-8"); e$k <- -1
  e
}
cmd <- function(cs, text) { cs$cmds <- c(cs$cmds, text); cs$k <- cs$k + 1; cs$row <- 0 }
chk <- function(cs, field, value, row = cs$row)
  cs$exp <- c(cs$exp, sprintf("%d %s %s %s", cs$k, row, field, fmt(value)))
case_write <- function(cs) {
  writeLines(cs$cmds, paste0(cs$name, ".wfs")); writeLines(cs$exp, paste0(cs$name, ".expected"))
}
tq <- function(df) qt(0.975, df)
xlogit <- function(p, se, df) {
  l <- log(p / (1 - p)); s <- se / (p * (1 - p))
  plogis(c(l - tq(df) * s, l + tq(df) * s))
}
put_prop <- function(cs, p, se, df) {
  chk(cs, "estimate", p); chk(cs, "se", se)
  # At 0 or 1 wfstat gives the exact interval, as prop does (DESIGN.md).
  if (p > 0 && p < 1) {
    ci <- xlogit(p, se, df); chk(cs, "ci_lower", ci[1]); chk(cs, "ci_upper", ci[2])
  }
  chk(cs, "df", df)
  cs$row <- cs$row + 1
}
put_diff <- function(cs, est, se, df) {
  chk(cs, "estimate", est); chk(cs, "se", se); chk(cs, "df", df)
  chk(cs, "ci_lower", est - tq(df) * se); chk(cs, "ci_upper", est + tq(df) * se)
  chk(cs, "p_value", 2 * pt(-abs(est / se), df))
  cs$row <- cs$row + 1
}

staff <- read.csv("../../datasets/personalisation-2009/staff.csv", na.strings = c("", "NA"))
d <- svydesign(id = ~council, strata = ~region, weights = ~weight, data = staff, nest = TRUE)

# ---- likert: top2 = share answering 4 or 5 among those who answered
cs <- case_new("bat_likert")
cmd(cs, 'load "../../datasets/personalisation-2009/staff.csv" as staff')
cmd(cs, "design weight=weight strata=region cluster=council")
items <- c("role_clear", "worried_deskilling")
cmd(cs, paste("likert", paste(items, collapse = " "), "top=2 bottom=1"))
for (v in items) {
  ds <- subset(d, !is.na(staff[[v]]))
  df <- degf(ds)
  boxes <- list(4:5, 1, 1, 2, 3, 4, 5)
  for (b in boxes) {
    m <- svymean(as.formula(sprintf("~I(%s %%in%% c(%s))", v, paste(b, collapse = ","))), ds)
    put_prop(cs, coef(m)[[2]], SE(m)[[2]], df)
  }
}
cmd(cs, "likert supports_personalisation by employer_type top=3 bottom=2")
for (lev in sort(unique(staff$employer_type))) {
  ds <- subset(d, !is.na(supports_personalisation) & employer_type == lev)
  df <- degf(ds)
  for (b in list(3:5, 1:2, 1, 2, 3, 4, 5)) {
    m <- svymean(as.formula(sprintf("~I(supports_personalisation %%in%% c(%s))",
                                    paste(b, collapse = ","))), ds)
    put_prop(cs, coef(m)[[2]], SE(m)[[2]], df)
  }
}
case_write(cs)

# ---- multi: ranked shares and each item minus the next
cs <- case_new("bat_multi")
cmd(cs, 'load "../../datasets/personalisation-2009/staff.csv" as staff')
cmd(cs, "design weight=weight strata=region cluster=council")
items <- c("want_safeguarding", "want_brokerage", "want_direct_payments", "want_outcome_reviews")
cmd(cs, paste("multi", paste(items, collapse = " ")))
m <- svymean(as.formula(paste("~", paste(items, collapse = "+"))), d)
o <- order(-coef(m))
df <- degf(d)
for (j in o) put_prop(cs, coef(m)[[j]], SE(m)[[j]], df)
for (k in seq_len(length(o) - 1)) {
  w <- numeric(length(items)); w[o[k]] <- 1; w[o[k + 1]] <- -1
  ct <- svycontrast(m, w)
  put_diff(cs, coef(ct)[[1]], SE(ct)[[1]], df)
}
case_write(cs)

# ---- decompose: qualified share of posts by region, 2008 to 2016, one
# design (councils as clusters, so each council's two years covary)
posts <- read.csv("../../datasets/council-workforce/posts.csv", na.strings = c("", "NA"))
posts <- subset(posts, year %in% c(2008, 2016))
posts$den <- posts$qualified_sw_fte + posts$unqualified_fte
dp <- svydesign(id = ~council, weights = ~one, data = transform(posts, one = 1))
tot <- svyby(~qualified_sw_fte + den, ~region + year, dp, svytotal, covmat = TRUE)
regs <- sort(unique(posts$region))
G <- length(regs)
# Coefficient names as svyby gives them.
nm <- function(v, r, y) sprintf("`%s.%s:%s`", r, y, v)
N <- function(r, y) nm("qualified_sw_fte", r, y)
D <- function(r, y) nm("den", r, y)
sumof <- function(f, y) paste(sapply(regs, f, y = y), collapse = " + ")
S0 <- sprintf("(%s)/(%s)", sumof(N, 2008), sumof(D, 2008))
S1 <- sprintf("(%s)/(%s)", sumof(N, 2016), sumof(D, 2016))
D0 <- sprintf("(%s)", sumof(D, 2008)); D1 <- sprintf("(%s)", sumof(D, 2016))
within <- paste(sapply(regs, function(r)
  sprintf("((%s/%s + %s/%s)/2 * (%s/%s - %s/%s))", D(r, 2008), D0, D(r, 2016), D1,
          N(r, 2016), D(r, 2016), N(r, 2008), D(r, 2008))), collapse = " + ")
between <- paste(sapply(regs, function(r)
  sprintf("((%s/%s + %s/%s)/2 * (%s/%s - %s/%s))", N(r, 2008), D(r, 2008), N(r, 2016), D(r, 2016),
          D(r, 2016), D1, D(r, 2008), D0)), collapse = " + ")
subst <- sprintf("((%s - (%s)) - (%s - (%s))) / ((%s) - (%s))", D1, sumof(N, 2016), D0,
                 sumof(N, 2008), sumof(N, 2008), sumof(N, 2016))
exprs <- lapply(c(S0, S1, paste(S1, "-", S0), between, within, subst), function(s) parse(text = s)[[1]])
names(exprs) <- c("s0", "s1", "change", "between", "within", "subst")
ct <- svycontrast(tot, exprs)
# wfstat's df: PSUs minus strata among the rows of the two years.
df <- degf(dp)
cs <- case_new("bat_decompose")
cmd(cs, 'load "../../datasets/council-workforce/posts.csv" as posts')
cmd(cs, "design cluster=council")
cmd(cs, "decompose qualified_sw_fte / qualified_sw_fte + unqualified_fte by region from 2008 to 2016 over=year")
for (k in 1:6) {
  est <- coef(ct)[[k]]; se <- SE(ct)[[k]]
  chk(cs, "estimate", est); chk(cs, "se", se); chk(cs, "df", df)
  chk(cs, "ci_lower", est - tq(df) * se); chk(cs, "ci_upper", est + tq(df) * se)
  cs$row <- cs$row + 1
}
# The identity: change = between + within.
stopifnot(abs(coef(ct)[[3]] - coef(ct)[[4]] - coef(ct)[[5]]) < 1e-12)
case_write(cs)
