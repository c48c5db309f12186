/* refcheck - compare wfstat JSON Lines output with values printed by R.
 *
 * Usage: refcheck EXPECTED ACTUAL
 *
 * EXPECTED holds one check per line:
 *     CMD ROW FIELD VALUE
 * CMD is the 0-based index of the JSON line in ACTUAL; ROW is an index into
 * its "estimates" array, "test:K" for its "tests" array, or "-" for a
 * top-level member; FIELD is a member name; VALUE is a number, NA (expect
 * null) or a "quoted string" (compared exactly). Lines "tol X" and "abs X"
 * set the relative and absolute tolerances for the lines that follow
 * (defaults 1e-9 and 1e-12): a number passes when
 * |actual - expected| <= max(abs, tol * max(|actual|, |expected|)).
 * "CMD notes contains \"TEXT\"" checks that a note of line CMD holds TEXT.
 * '#' starts a comment. Every failing check is printed; the exit status is
 * 0 only when all pass and at least one check was made.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static char *slurp_line(FILE *f)
{
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    int c;
    while (s && (c = fgetc(f)) != EOF && c != '\n') {
        if (n + 2 > cap) {
            cap *= 2;
            char *t = realloc(s, cap);
            if (!t) { free(s); return NULL; }
            s = t;
        }
        s[n++] = (char)c;
    }
    if (!s || (n == 0 && c == EOF)) { free(s); return NULL; }
    s[n] = 0;
    return s;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: refcheck EXPECTED ACTUAL\n");
        return 2;
    }
    FILE *fa = fopen(argv[2], "r");
    if (!fa) { perror(argv[2]); return 2; }
    jval *lines[4096];
    size_t nl = 0;
    char *s;
    while ((s = slurp_line(fa)) && nl < 4096) {
        if (!*s) { free(s); continue; }
        const char *err;
        lines[nl] = json_parse(s, &err);
        if (!lines[nl]) {
            fprintf(stderr, "%s: line %zu is not valid JSON (%s)\n", argv[2], nl + 1, err);
            return 1;
        }
        nl++;
        free(s);
    }
    fclose(fa);
    FILE *fe = fopen(argv[1], "r");
    if (!fe) { perror(argv[1]); return 2; }
    double tol = 1e-9, abstol = 1e-12;
    int failures = 0, checks = 0;
    size_t lineno = 0;
    while ((s = slurp_line(fe))) {
        lineno++;
        char *hash = strchr(s, '#');
        if (hash && !strchr(s, '"')) *hash = 0;
        char cmd[64], row[64], field[128], val[1024];
        double x;
        if (sscanf(s, " tol %lf", &x) == 1) { tol = x; free(s); continue; }
        if (sscanf(s, " abs %lf", &x) == 1) { abstol = x; free(s); continue; }
        int got = sscanf(s, " %63s %63s %127s %1023[^\n]", cmd, row, field, val);
        if (got <= 0) { free(s); continue; }
        if (got != 4) {
            fprintf(stderr, "%s:%zu: malformed check\n", argv[1], lineno);
            return 2;
        }
        size_t ci = (size_t)strtoul(cmd, NULL, 10);
        if (ci >= nl) {
            printf("FAIL %s:%zu: output has %zu JSON lines, no line %zu\n", argv[1], lineno, nl, ci);
            failures++;
            free(s);
            continue;
        }
        const jval *obj = lines[ci];
        if (strcmp(row, "notes") == 0 && strcmp(field, "contains") == 0) {
            /* CMD notes contains "TEXT": some note of the line holds TEXT. */
            const jval *a = json_get(obj, "notes");
            size_t vl = strlen(val);
            while (vl && (val[vl - 1] == ' ' || val[vl - 1] == '\r')) val[--vl] = 0;
            if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
                val[vl - 1] = 0;
                memmove(val, val + 1, vl - 1);
            }
            int found = 0;
            for (size_t k = 0; a && a->type == J_ARR && k < a->n; k++)
                if (a->items[k]->type == J_STR && strstr(a->items[k]->str, val)) found = 1;
            checks++;
            if (!found) {
                printf("FAIL %s:%zu: no note of line %s contains \"%s\"\n", argv[1], lineno, cmd,
                       val);
                failures++;
            }
            free(s);
            continue;
        }
        if (strcmp(row, "-") != 0) {
            const char *arr = "estimates";
            const char *idx = row;
            if (strncmp(row, "test:", 5) == 0) { arr = "tests"; idx = row + 5; }
            const jval *a = json_get(obj, arr);
            size_t ri = (size_t)strtoul(idx, NULL, 10);
            if (!a || a->type != J_ARR || ri >= a->n) {
                printf("FAIL %s:%zu: no %s[%zu] in output line %zu\n", argv[1], lineno, arr, ri, ci);
                failures++;
                free(s);
                continue;
            }
            obj = a->items[ri];
        }
        const jval *v = json_get(obj, field);
        checks++;
        /* Trim trailing blanks from the value. */
        size_t vl = strlen(val);
        while (vl && (val[vl - 1] == ' ' || val[vl - 1] == '\r')) val[--vl] = 0;
        if (val[0] == '"') {
            char *end = strrchr(val + 1, '"');
            if (end) *end = 0;
            if (!v || v->type != J_STR || strcmp(v->str, val + 1) != 0) {
                printf("FAIL %s:%zu: %s[%s].%s is %s, expected \"%s\"\n", argv[1], lineno, cmd, row,
                       field, v && v->type == J_STR ? v->str : "(not a string)", val + 1);
                failures++;
            }
        } else if (strcmp(val, "NA") == 0) {
            if (!v || v->type != J_NULL) {
                printf("FAIL %s:%zu: %s[%s].%s should be null\n", argv[1], lineno, cmd, row, field);
                failures++;
            }
        } else {
            double e = strtod(val, NULL);
            if (!v || v->type != J_NUM) {
                printf("FAIL %s:%zu: %s[%s].%s is not a number (expected %.17g)\n", argv[1], lineno,
                       cmd, row, field, e);
                failures++;
            } else {
                double a = v->num, d = fabs(a - e);
                double lim = fmax(abstol, tol * fmax(fabs(a), fabs(e)));
                if (!(d <= lim)) {
                    printf("FAIL %s:%zu: %s[%s].%s = %.17g, expected %.17g (rel diff %.3g)\n",
                           argv[1], lineno, cmd, row, field, a, e, d / fmax(fabs(e), 1e-300));
                    failures++;
                }
            }
        }
        free(s);
    }
    fclose(fe);
    for (size_t i = 0; i < nl; i++) json_free(lines[i]);
    if (!checks) {
        printf("FAIL %s: no checks\n", argv[1]);
        return 1;
    }
    printf("%s: %d checks, %d failed\n", argv[1], checks, failures);
    return failures ? 1 : 0;
}
