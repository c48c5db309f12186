/* jsonl_check - check that standard input is wfstat's JSON Lines.
 *
 * Usage: jsonl_check [--describe] < OUTPUT
 *
 * Every line must be one JSON object with a string "command" and an
 * array "notes" (the output contract). With --describe, every describe
 * object must also carry the dataset, the row and column counts, and a
 * "variables" array whose records give the name, a type (numeric,
 * categorical or text), the counts n and missing (adding up to the rows),
 * and the levels: a list of n_levels strings for a categorical variable,
 * null otherwise. Prints each problem with its line number; exits 0 only
 * when there was at least one line and no problem.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static int problems;

static void problem(size_t line, const char *what)
{
    fprintf(stderr, "line %zu: %s\n", line, what);
    problems++;
}

static int is_count(const jval *v)
{
    return v && v->type == J_NUM && v->num >= 0 && v->num == floor(v->num);
}

static void check_describe(size_t line, const jval *o)
{
    const jval *ds = json_get(o, "dataset"), *rows = json_get(o, "rows");
    const jval *cols = json_get(o, "columns"), *vars = json_get(o, "variables");
    if (!ds || ds->type != J_STR) problem(line, "describe: no dataset name");
    if (!is_count(rows)) problem(line, "describe: no row count");
    if (!is_count(cols)) problem(line, "describe: no column count");
    if (!vars || vars->type != J_ARR) {
        problem(line, "describe: no variables array");
        return;
    }
    if (vars->n == 0) problem(line, "describe: no variables");
    for (size_t i = 0; i < vars->n; i++) {
        const jval *v = vars->items[i];
        const jval *name = json_get(v, "name"), *type = json_get(v, "type");
        const jval *n = json_get(v, "n"), *miss = json_get(v, "missing");
        const jval *levels = json_get(v, "levels"), *nl = json_get(v, "n_levels");
        if (v->type != J_OBJ || !name || name->type != J_STR || !*name->str) {
            problem(line, "describe: a variable without a name");
            continue;
        }
        if (!type || type->type != J_STR ||
            (strcmp(type->str, "numeric") && strcmp(type->str, "categorical") &&
             strcmp(type->str, "text"))) {
            problem(line, "describe: a variable without a known type");
            continue;
        }
        if (!is_count(n) || !is_count(miss)) {
            problem(line, "describe: a variable without counts n and missing");
            continue;
        }
        if (is_count(rows) && n->num + miss->num != rows->num)
            problem(line, "describe: n + missing is not the number of rows");
        if (!levels) {
            problem(line, "describe: a variable without levels (null or a list)");
        } else if (strcmp(type->str, "categorical") == 0) {
            if (levels->type != J_ARR || !is_count(nl) || levels->n != (size_t)nl->num)
                problem(line, "describe: a categorical variable without its n_levels levels");
            else
                for (size_t k = 0; k < levels->n; k++)
                    if (levels->items[k]->type != J_STR)
                        problem(line, "describe: a level is not a string");
        } else if (levels->type != J_NULL) {
            problem(line, "describe: levels of a variable that is not categorical");
        }
    }
}

int main(int argc, char **argv)
{
    int describe = argc > 1 && strcmp(argv[1], "--describe") == 0;
    size_t cap = 1 << 16, len = 0, line = 0;
    char *buf = malloc(cap);
    int c;
    if (!buf) return 2;
    for (;;) {
        c = getchar();
        if (c != EOF && c != '\n') {
            if (len + 1 >= cap) {
                char *nb = realloc(buf, cap *= 2);
                if (!nb) return 2;
                buf = nb;
            }
            buf[len++] = (char)c;
            continue;
        }
        if (c == EOF && len == 0) break;
        buf[len] = '\0';
        line++;
        if (c == EOF) problem(line, "the last line does not end in a newline");
        const char *err = NULL;
        jval *v = json_parse(buf, &err);
        if (!v) {
            char msg[128];
            snprintf(msg, sizeof msg, "not JSON: %s", err ? err : "?");
            problem(line, msg);
        } else if (v->type != J_OBJ) {
            problem(line, "not a JSON object");
        } else {
            const jval *cmd = json_get(v, "command"), *notes = json_get(v, "notes");
            if (!cmd || cmd->type != J_STR) problem(line, "no command");
            if (!notes || notes->type != J_ARR) problem(line, "no notes array");
            if (describe && cmd && cmd->type == J_STR && strcmp(cmd->str, "describe") == 0)
                check_describe(line, v);
        }
        json_free(v);
        len = 0;
        if (c == EOF) break;
    }
    free(buf);
    if (!line) problem(0, "no output");
    return problems ? 1 : 0;
}
