# refcase.R - helpers shared by the reference scripts: a case is a wfstat
# script (NAME.wfs) and the checks on its JSON lines (NAME.expected), in
# the format tests/refcheck.c reads.
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
chk <- function(cs, field, value, row = cs$row) {
  cs$exp <- c(cs$exp, sprintf("%d %s %s %s", cs$k, row, field, fmt(value)))
}
case_write <- function(cs) {
  writeLines(cs$cmds, paste0(cs$name, ".wfs"))
  writeLines(cs$exp, paste0(cs$name, ".expected"))
}
