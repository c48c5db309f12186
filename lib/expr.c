/* expr.c - filter expressions for `if` clauses.
 *
 * Grammar (lowest precedence first):
 *   expr    := and ( "or" and )*
 *   and     := unary ( "and" unary )*
 *   unary   := "not" unary | primary
 *   primary := "(" expr ")" | "missing" "(" NAME ")" | NAME "in" "(" value,... ")"
 *            | NAME op value | NAME
 *   op      := == != < <= > >=        value := NUMBER | -NUMBER | "string"
 * `&&`, `||` and `!` are accepted for and, or, not.
 *
 * Missing values: a comparison with a missing value is unknown, and logic is
 * three-valued (unknown and false is false, unknown or true is true). Only
 * rows where the whole expression is true are selected: R's subset()
 * treats NA the same way. Names and levels are resolved at parse time, so
 * a misspelt level is an error naming the nearest levels rather than an
 * empty selection. Nesting deeper than MAX_DEPTH or more than MAX_NODES
 * terms is an error, never a stack overflow.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "wfs-private.h"

#define MAX_DEPTH 200
#define MAX_NODES 2000 /* bounds the tree depth of long and/or chains too */
#define BLOCK 4096

enum { T_END, T_NAME, T_NUM, T_STR, T_OP, T_LP, T_RP, T_COMMA, T_BAD };
enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };
enum { N_AND, N_OR, N_NOT, N_CMPNUM, N_INNUM, N_INCAT, N_INTEXT, N_MISSING, N_TRUTHY };

typedef struct node {
    int kind, op;
    size_t col;
    double num;
    int32_t *codes; /* N_INCAT: selected codes */
    char **strs;    /* N_INTEXT: selected strings */
    double *nums;   /* N_INNUM: selected numbers */
    size_t nset;
    int negate;     /* N_INCAT/N_INTEXT for != */
    struct node *a, *b;
} node;

struct wfs_expr {
    node *root;
};

typedef struct lexer {
    const char *src, *p;
    int tok, op;
    const char *start;
    size_t len;
    double num;
    char *str; /* decoded string or name (malloc'd) */
    const wfs_table *t;
    wfs_error *err;
    int depth;
    size_t nodes;
} lexer;

static int lex_fail(lexer *lx, const char *at, const char *fmt, ...) WFS_PRINTF(3, 4);

static int lex_fail(lexer *lx, const char *at, const char *fmt, ...)
{
    /* Report the first problem: once the lexer has rejected a token (and
     * said why), the parser's complaints about that token add nothing. */
    if (lx->tok == T_BAD && lx->err && lx->err->code) return WFS_EPARSE;
    va_list ap;
    va_start(ap, fmt);
    char msg[800];
    wfs_vformat_message(msg, sizeof msg, fmt, ap);
    va_end(ap);
    long pos = (long)(at - lx->src);
    wfs_fail(lx->err, WFS_EPARSE, "in the if expression at column %ld: %s", pos + 1, msg);
    if (lx->err) lx->err->position = pos;
    return WFS_EPARSE;
}

static int is_name_start(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_name_char(int c)
{
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '.';
}

static int next(lexer *lx)
{
    free(lx->str);
    lx->str = NULL;
    while (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\n' || *lx->p == '\r') lx->p++;
    lx->start = lx->p;
    const char *p = lx->p;
    if (!*p) return lx->tok = T_END;
    if (is_name_start((unsigned char)*p)) {
        while (is_name_char((unsigned char)*p)) p++;
        lx->len = (size_t)(p - lx->start);
        lx->str = wfs_strndup(lx->start, lx->len);
        lx->p = p;
        if (!lx->str) return lx->tok = T_BAD;
        return lx->tok = T_NAME;
    }
    if (*p == '`') {
        const char *e = strchr(p + 1, '`');
        if (!e) {
            lex_fail(lx, p, "a backtick name is not closed");
            return lx->tok = T_BAD;
        }
        lx->str = wfs_strndup(p + 1, (size_t)(e - p - 1));
        lx->p = e + 1;
        lx->len = (size_t)(lx->p - lx->start);
        if (!lx->str) return lx->tok = T_BAD;
        return lx->tok = T_NAME;
    }
    if (*p == '"') {
        wfs_buf b = WFS_BUF_INIT;
        p++;
        while (*p && *p != '"') {
            if (*p == '\\' && p[1]) p++;
            wfs_buf_putc(&b, *p++);
        }
        if (*p != '"') {
            wfs_buf_free(&b);
            lex_fail(lx, lx->start, "a quoted string is not closed");
            return lx->tok = T_BAD;
        }
        lx->p = p + 1;
        lx->len = (size_t)(lx->p - lx->start);
        lx->str = wfs_buf_take(&b, NULL);
        if (!lx->str) return lx->tok = T_BAD;
        return lx->tok = T_STR;
    }
    const char *d = *p == '-' || *p == '+' ? p + 1 : p;
    if ((*d >= '0' && *d <= '9') || (*d == '.' && d[1] >= '0' && d[1] <= '9')) {
        char *end;
        errno = 0;
        lx->num = strtod(p, &end);
        if (is_name_start((unsigned char)*end)) {
            lex_fail(lx, p, "\"%.*s\" is not a number", (int)(end - p + 1), p);
            return lx->tok = T_BAD;
        }
        lx->p = end;
        lx->len = (size_t)(end - p);
        if (errno == ERANGE && isinf(lx->num)) {
            lex_fail(lx, p, "the number is too large");
            return lx->tok = T_BAD;
        }
        return lx->tok = T_NUM;
    }
    lx->p = p + 1;
    lx->len = 1;
    switch (*p) {
    case '(': return lx->tok = T_LP;
    case ')': return lx->tok = T_RP;
    case ',': return lx->tok = T_COMMA;
    case '=':
        if (p[1] == '=') {
            lx->p++;
            lx->op = OP_EQ;
            return lx->tok = T_OP;
        }
        lex_fail(lx, p, "use == to compare (a single = sets an option)");
        return lx->tok = T_BAD;
    case '!':
        if (p[1] == '=') {
            lx->p++;
            lx->op = OP_NE;
            return lx->tok = T_OP;
        }
        lx->str = wfs_strdup("not");
        return lx->tok = lx->str ? T_NAME : T_BAD;
    case '<':
        if (p[1] == '=') lx->p++;
        if (p[1] == '>') { /* <> as != */
            lx->p++;
            lx->op = OP_NE;
            return lx->tok = T_OP;
        }
        lx->op = p[1] == '=' ? OP_LE : OP_LT;
        return lx->tok = T_OP;
    case '>':
        if (p[1] == '=') lx->p++;
        lx->op = p[1] == '=' ? OP_GE : OP_GT;
        return lx->tok = T_OP;
    case '&':
        if (p[1] == '&') lx->p++;
        lx->str = wfs_strdup("and");
        return lx->tok = lx->str ? T_NAME : T_BAD;
    case '|':
        if (p[1] == '|') lx->p++;
        lx->str = wfs_strdup("or");
        return lx->tok = lx->str ? T_NAME : T_BAD;
    default:
        lex_fail(lx, p, "unexpected character '%c'", *p >= 0x20 && *p < 0x7f ? *p : '?');
        return lx->tok = T_BAD;
    }
}

static int is_kw(const lexer *lx, const char *kw)
{
    return lx->tok == T_NAME && lx->str && strcmp(lx->str, kw) == 0;
}

static void node_free(node *n)
{
    if (!n) return;
    node_free(n->a);
    node_free(n->b);
    free(n->codes);
    free(n->nums);
    if (n->strs)
        for (size_t i = 0; i < n->nset; i++) free(n->strs[i]);
    free(n->strs);
    free(n);
}

static node *new_node(lexer *lx, int kind)
{
    if (++lx->nodes > MAX_NODES) {
        lex_fail(lx, lx->start, "the expression has more than %d terms", MAX_NODES);
        return NULL;
    }
    node *n = calloc(1, sizeof *n);
    if (!n) wfs_nomem(lx->err);
    if (n) n->kind = kind;
    return n;
}

/* A message naming the variables nearest to an unknown name. */
static int unknown_var(lexer *lx, const char *at, const char *name)
{
    const char *best[3];
    size_t nb = 0;
    for (size_t cap = 1; cap <= 3 && nb == 0; cap++)
        for (size_t j = 0; j < wfs_table_ncols(lx->t) && nb < 3; j++)
            if (wfs_edit_distance(name, wfs_table_name(lx->t, j), cap) <= cap)
                best[nb++] = wfs_table_name(lx->t, j);
    if (!nb) return lex_fail(lx, at, "unknown variable \"%s\"", name);
    wfs_buf b = WFS_BUF_INIT;
    wfs_buf_name_list(&b, best, nb, 3);
    int rc = lex_fail(lx, at, "unknown variable \"%s\" (did you mean %s?)", name,
                      b.data ? b.data : "");
    wfs_buf_free(&b);
    return rc;
}

static int unknown_level(lexer *lx, const char *at, size_t col, const char *label)
{
    size_t nl = wfs_table_nlevels(lx->t, col);
    const char *best[3];
    size_t nb = 0;
    for (size_t cap = 1; cap <= 4 && nb == 0; cap++)
        for (size_t k = 0; k < nl && nb < 3; k++)
            if (wfs_edit_distance(label, wfs_table_level(lx->t, col, k), cap) <= cap)
                best[nb++] = wfs_table_level(lx->t, col, k);
    wfs_buf b = WFS_BUF_INIT;
    if (nb) {
        wfs_buf_puts(&b, "did you mean ");
        wfs_buf_name_list(&b, best, nb, 3);
        wfs_buf_putc(&b, '?');
    } else {
        const char **all = malloc((nl ? nl : 1) * sizeof *all);
        if (all) {
            for (size_t k = 0; k < nl; k++) all[k] = wfs_table_level(lx->t, col, k);
            wfs_buf_puts(&b, "its levels are ");
            wfs_buf_name_list(&b, all, nl, 8);
            free(all);
        }
    }
    int rc = lex_fail(lx, at, "\"%s\" is not a level of %s (%s)", label,
                      wfs_table_name(lx->t, col), b.data ? b.data : "");
    wfs_buf_free(&b);
    return rc;
}

/* Resolve a literal against a categorical column: a string is a level
 * label; a number matches a level spelt as that number. */
static int cat_code(lexer *lx, size_t col, int tok, const char *str, double num, const char *at,
                    int32_t *code)
{
    char lab[32];
    const char *label = str;
    if (tok == T_NUM) {
        wfs_number_label(lab, num);
        label = lab;
    }
    long c = wfs_table_level_code(lx->t, col, label);
    if (c < 0) return unknown_level(lx, at, col, label);
    *code = (int32_t)c;
    return 0;
}

/* Parse one literal value (number, negative number or string). */
static int literal(lexer *lx, int *tok, double *num, char **str, const char **at)
{
    *at = lx->start;
    if (lx->tok == T_BAD) return WFS_EPARSE;
    if (lx->tok == T_OP || lx->tok == T_END || lx->tok == T_RP || lx->tok == T_COMMA ||
        lx->tok == T_LP)
        return lex_fail(lx, lx->start, "expected a number or a quoted level");
    if (lx->tok == T_NAME)
        return lex_fail(lx, lx->start,
                        "expected a number or a quoted level, found the name \"%s\" (put "
                        "levels in double quotes)",
                        lx->str);
    *tok = lx->tok;
    *num = lx->num;
    *str = lx->tok == T_STR ? lx->str : NULL;
    lx->str = NULL;
    return 0;
}

static node *parse_or(lexer *lx);

static node *comparison(lexer *lx, const char *name, const char *name_at)
{
    long col = wfs_table_find(lx->t, name);
    if (col < 0) {
        unknown_var(lx, name_at, name);
        return NULL;
    }
    wfs_coltype type = wfs_table_type(lx->t, (size_t)col);
    node *n = NULL;
    if (is_kw(lx, "in")) {
        if (next(lx) != T_LP) {
            lex_fail(lx, lx->start, "expected ( after in");
            return NULL;
        }
        n = new_node(lx, type == WFS_TEXT      ? N_INTEXT
                         : type == WFS_NUMERIC ? N_INNUM
                                               : N_INCAT);
        if (!n) return NULL;
        n->col = (size_t)col;
        size_t cap = 0;
        do {
            next(lx);
            int tok;
            double num;
            char *str = NULL;
            const char *at;
            if (literal(lx, &tok, &num, &str, &at)) goto fail;
            if (n->nset == cap) {
                cap = cap ? cap * 2 : 8;
                int32_t *nc = wfs_reallocarray(n->codes, cap, sizeof *nc);
                if (nc) n->codes = nc;
                char **ns = wfs_reallocarray(n->strs, cap, sizeof *ns);
                if (ns) n->strs = ns;
                double *nn = wfs_reallocarray(n->nums, cap, sizeof *nn);
                if (nn) n->nums = nn;
                if (!nc || !ns || !nn) {
                    free(str);
                    wfs_nomem(lx->err);
                    goto fail;
                }
            }
            n->strs[n->nset] = NULL;
            if (type == WFS_CATEGORICAL) {
                int rc = cat_code(lx, (size_t)col, tok, str, num, at, &n->codes[n->nset]);
                free(str);
                if (rc) goto fail;
            } else if (type == WFS_TEXT) {
                if (!str) {
                    char lab[32];
                    wfs_number_label(lab, num);
                    str = wfs_strdup(lab);
                    if (!str) {
                        wfs_nomem(lx->err);
                        goto fail;
                    }
                }
                n->strs[n->nset] = str;
            } else {
                if (tok == T_STR) {
                    char *end;
                    num = strtod(str, &end);
                    if (!*str || *end) {
                        lex_fail(lx, at, "%s is numeric: compare it with numbers, not \"%s\"", name,
                                 str);
                        free(str);
                        goto fail;
                    }
                }
                free(str);
                n->nums[n->nset] = num;
            }
            n->nset++;
            next(lx);
        } while (lx->tok == T_COMMA);
        if (lx->tok != T_RP) {
            lex_fail(lx, lx->start, "expected , or ) in the list after in");
            goto fail;
        }
        next(lx);
        return n;
    }
    if (lx->tok != T_OP) {
        /* A bare variable: true when numeric and nonzero. */
        if (type != WFS_NUMERIC) {
            lex_fail(lx, name_at,
                     "%s is categorical: compare it with a level, e.g. %s == \"%s\"", name, name,
                     wfs_table_nlevels(lx->t, (size_t)col) ? wfs_table_level(lx->t, (size_t)col, 0)
                                                          : "level");
            return NULL;
        }
        n = new_node(lx, N_TRUTHY);
        if (n) n->col = (size_t)col;
        return n;
    }
    int op = lx->op;
    const char *op_at = lx->start;
    next(lx);
    int tok;
    double num;
    char *str = NULL;
    const char *at;
    if (literal(lx, &tok, &num, &str, &at)) return NULL;
    next(lx);
    if (type == WFS_NUMERIC) {
        if (tok == T_STR) {
            char *end;
            num = strtod(str, &end);
            if (!*str || *end) {
                lex_fail(lx, at, "%s is numeric: compare it with a number, not \"%s\"", name, str);
                free(str);
                return NULL;
            }
        }
        free(str);
        n = new_node(lx, N_CMPNUM);
        if (!n) return NULL;
        n->col = (size_t)col;
        n->op = op;
        n->num = num;
        return n;
    }
    if (op != OP_EQ && op != OP_NE) {
        free(str);
        lex_fail(lx, op_at, "%s is %s: only == and != (or in) apply to it", name,
                 type == WFS_TEXT ? "text" : "categorical");
        return NULL;
    }
    n = new_node(lx, type == WFS_TEXT ? N_INTEXT : N_INCAT);
    if (!n) {
        free(str);
        return NULL;
    }
    n->col = (size_t)col;
    n->negate = op == OP_NE;
    n->nset = 1;
    n->codes = malloc(sizeof *n->codes);
    n->strs = calloc(1, sizeof *n->strs);
    if (!n->codes || !n->strs) {
        free(str);
        node_free(n);
        wfs_nomem(lx->err);
        return NULL;
    }
    if (type == WFS_CATEGORICAL) {
        int rc = cat_code(lx, (size_t)col, tok, str, num, at, &n->codes[0]);
        free(str);
        if (rc) {
            node_free(n);
            return NULL;
        }
    } else {
        if (!str) {
            char lab[32];
            wfs_number_label(lab, num);
            str = wfs_strdup(lab);
        }
        n->strs[0] = str;
    }
    return n;
fail:
    node_free(n);
    return NULL;
}

static node *primary(lexer *lx)
{
    if (lx->tok == T_BAD) return NULL;
    if (lx->tok == T_LP) {
        if (++lx->depth > MAX_DEPTH) {
            lex_fail(lx, lx->start, "the expression is nested more than %d levels deep", MAX_DEPTH);
            return NULL;
        }
        next(lx);
        node *n = parse_or(lx);
        if (!n) return NULL;
        if (lx->tok != T_RP) {
            lex_fail(lx, lx->start, "expected )");
            node_free(n);
            return NULL;
        }
        lx->depth--;
        next(lx);
        return n;
    }
    if (lx->tok != T_NAME) {
        if (lx->tok == T_END)
            lex_fail(lx, lx->start, "the expression ends too early");
        else if (lx->tok == T_NUM || lx->tok == T_STR)
            lex_fail(lx, lx->start, "a comparison starts with a variable name, e.g. age >= 50");
        else
            lex_fail(lx, lx->start, "expected a variable name");
        return NULL;
    }
    if (is_kw(lx, "missing")) {
        const char *at = lx->start;
        if (next(lx) == T_LP) {
            if (next(lx) != T_NAME) {
                lex_fail(lx, lx->start, "missing( needs a variable name");
                return NULL;
            }
            long col = wfs_table_find(lx->t, lx->str);
            if (col < 0) {
                unknown_var(lx, lx->start, lx->str);
                return NULL;
            }
            if (next(lx) != T_RP) {
                lex_fail(lx, lx->start, "expected ) after the variable in missing(");
                return NULL;
            }
            next(lx);
            node *n = new_node(lx, N_MISSING);
            if (n) n->col = (size_t)col;
            return n;
        }
        /* A variable that happens to be called "missing". */
        return comparison(lx, "missing", at);
    }
    char *name = lx->str;
    lx->str = NULL;
    const char *at = lx->start;
    next(lx);
    node *n = comparison(lx, name, at);
    free(name);
    return n;
}

static node *unary(lexer *lx)
{
    if (is_kw(lx, "not")) {
        if (++lx->depth > MAX_DEPTH) {
            lex_fail(lx, lx->start, "the expression is nested more than %d levels deep", MAX_DEPTH);
            return NULL;
        }
        next(lx);
        node *a = unary(lx);
        lx->depth--;
        if (!a) return NULL;
        node *n = new_node(lx, N_NOT);
        if (!n) {
            node_free(a);
            return NULL;
        }
        n->a = a;
        return n;
    }
    return primary(lx);
}

static node *binary(lexer *lx, int kind, const char *kw, node *(*sub)(lexer *))
{
    node *left = sub(lx);
    while (left && is_kw(lx, kw)) {
        next(lx);
        node *right = sub(lx);
        if (!right) {
            node_free(left);
            return NULL;
        }
        node *n = new_node(lx, kind);
        if (!n) {
            node_free(left);
            node_free(right);
            return NULL;
        }
        n->a = left;
        n->b = right;
        left = n;
    }
    return left;
}

static node *parse_and(lexer *lx)
{
    return binary(lx, N_AND, "and", unary);
}

static node *parse_or(lexer *lx)
{
    return binary(lx, N_OR, "or", parse_and);
}

int wfs_expr_parse(wfs_expr **out, const char *text, const wfs_table *t, wfs_error *err)
{
    *out = NULL;
    lexer lx;
    memset(&lx, 0, sizeof lx);
    lx.src = lx.p = text;
    lx.t = t;
    lx.err = err;
    wfs_error_clear(err);
    next(&lx);
    if (lx.tok == T_END) {
        free(lx.str);
        return wfs_fail(err, WFS_EPARSE, "the if clause is empty");
    }
    node *root = parse_or(&lx);
    if (root && lx.tok != T_END) {
        lex_fail(&lx, lx.start, "unexpected \"%.*s\" (join conditions with and/or)",
                 (int)(lx.len > 40 ? 40 : lx.len), lx.start);
        node_free(root);
        root = NULL;
    }
    free(lx.str);
    if (!root) return err && err->code ? err->code : WFS_EPARSE;
    wfs_expr *e = malloc(sizeof *e);
    if (!e) {
        node_free(root);
        return wfs_nomem(err);
    }
    e->root = root;
    *out = e;
    return 0;
}

void wfs_expr_free(wfs_expr *e)
{
    if (!e) return;
    node_free(e->root);
    free(e);
}

/* Three-valued results: 0 false, 1 true, 2 unknown. */
static void eval(const node *n, const wfs_table *t, size_t i0, size_t m, uint8_t *out,
                 uint8_t *scratch, size_t depth)
{
    uint8_t *tmp = scratch + depth * BLOCK;
    switch (n->kind) {
    case N_AND:
        eval(n->a, t, i0, m, out, scratch, depth + 1);
        eval(n->b, t, i0, m, tmp, scratch, depth + 1);
        for (size_t i = 0; i < m; i++)
            out[i] = (out[i] == 0 || tmp[i] == 0) ? 0 : (out[i] == 1 && tmp[i] == 1) ? 1 : 2;
        break;
    case N_OR:
        eval(n->a, t, i0, m, out, scratch, depth + 1);
        eval(n->b, t, i0, m, tmp, scratch, depth + 1);
        for (size_t i = 0; i < m; i++)
            out[i] = (out[i] == 1 || tmp[i] == 1) ? 1 : (out[i] == 0 && tmp[i] == 0) ? 0 : 2;
        break;
    case N_NOT:
        eval(n->a, t, i0, m, out, scratch, depth + 1);
        for (size_t i = 0; i < m; i++) out[i] = out[i] == 2 ? 2 : !out[i];
        break;
    case N_MISSING: {
        const uint8_t *miss = wfs_table_missing(t, n->col);
        for (size_t i = 0; i < m; i++) out[i] = miss ? miss[i0 + i] != 0 : 0;
        break;
    }
    case N_TRUTHY: {
        const double *x = wfs_table_numeric(t, n->col) + i0;
        for (size_t i = 0; i < m; i++) out[i] = isnan(x[i]) ? 2 : x[i] != 0;
        break;
    }
    case N_CMPNUM: {
        const double *x = wfs_table_numeric(t, n->col) + i0;
        double v = n->num;
        for (size_t i = 0; i < m; i++) {
            double xi = x[i];
            int r;
            switch (n->op) {
            case OP_EQ: r = xi == v; break;
            case OP_NE: r = xi != v; break;
            case OP_LT: r = xi < v; break;
            case OP_LE: r = xi <= v; break;
            case OP_GT: r = xi > v; break;
            default: r = xi >= v; break;
            }
            out[i] = isnan(xi) ? 2 : (uint8_t)r;
        }
        break;
    }
    case N_INNUM: {
        const double *x = wfs_table_numeric(t, n->col) + i0;
        for (size_t i = 0; i < m; i++) {
            int hit = 0;
            for (size_t k = 0; k < n->nset && !hit; k++) hit = x[i] == n->nums[k];
            out[i] = isnan(x[i]) ? 2 : (uint8_t)hit;
        }
        break;
    }
    case N_INCAT: {
        const int32_t *c = wfs_table_codes(t, n->col) + i0;
        for (size_t i = 0; i < m; i++) {
            if (c[i] < 0) {
                out[i] = 2;
                continue;
            }
            int hit = 0;
            for (size_t k = 0; k < n->nset; k++) hit |= c[i] == n->codes[k];
            out[i] = (uint8_t)(hit != n->negate);
        }
        break;
    }
    case N_INTEXT: {
        const char *const *s = wfs_table_text(t, n->col) + i0;
        for (size_t i = 0; i < m; i++) {
            if (!s[i]) {
                out[i] = 2;
                continue;
            }
            int hit = 0;
            for (size_t k = 0; k < n->nset && !hit; k++) hit = strcmp(s[i], n->strs[k]) == 0;
            out[i] = (uint8_t)(hit != n->negate);
        }
        break;
    }
    }
}

static size_t node_depth(const node *n)
{
    if (!n) return 0;
    size_t a = node_depth(n->a), b = node_depth(n->b);
    return 1 + (a > b ? a : b);
}

int wfs_expr_eval(uint8_t *mask, const wfs_expr *e, const wfs_table *t, wfs_error *err)
{
    size_t depth = node_depth(e->root);
    uint8_t *scratch = wfs_mallocarray(depth + 1, BLOCK);
    if (!scratch) return wfs_nomem(err);
    size_t n = wfs_table_nrows(t);
    for (size_t i0 = 0; i0 < n; i0 += BLOCK) {
        size_t m = n - i0 < BLOCK ? n - i0 : BLOCK;
        eval(e->root, t, i0, m, mask + i0, scratch, 1);
        for (size_t i = 0; i < m; i++) mask[i0 + i] = mask[i0 + i] == 1;
    }
    free(scratch);
    return 0;
}
