/* parse.c - tokenizing and structuring commands; splitting scripts.
 *
 * A command is NAME followed by items in any order: positional tokens, a
 * `by V[,V]` list, an `if EXPR` clause (running to the next key=value option
 * or `by`), and key=value options whose values are comma-separated items of
 * the form `a` or `a:b` (names, numbers or quoted strings). Which bare words
 * are flags (`deff`, `replace`) is decided by the command's option table.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "wfs-private.h"

static int name_start(int c)
{
    return isalpha(c) || c == '_';
}

static int name_char(int c)
{
    return isalnum(c) || c == '_' || c == '.';
}

static int perr(char *msg, size_t msgsz, long *errpos, size_t pos, const char *fmt, ...)
    WFS_PRINTF(5, 6);

static int perr(char *msg, size_t msgsz, long *errpos, size_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wfs_vformat_message(msg, msgsz, fmt, ap);
    va_end(ap);
    *errpos = (long)pos;
    return -1;
}

static int add_token(cmdline *cl, size_t *cap, token tk)
{
    if (cl->ntoks == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        token *t = wfs_reallocarray(cl->toks, c, sizeof *t);
        if (!t) return -1;
        cl->toks = t;
        *cap = c;
    }
    cl->toks[cl->ntoks++] = tk;
    return 0;
}

static int tokenize(cmdline *cl, char *msg, size_t msgsz, long *errpos)
{
    const char *s = cl->text;
    size_t i = 0, cap = 0;
    int space = 1;
    while (s[i]) {
        unsigned char c = (unsigned char)s[i];
        if (isspace(c)) {
            i++;
            space = 1;
            continue;
        }
        if (c == '#') break;
        token tk = {0, NULL, i, 0, 0, space};
        space = 0;
        if (name_start(c)) {
            size_t j = i;
            while (name_char((unsigned char)s[j])) j++;
            /* NAME[...] is one name: a parameter of a role, as in
             * leaver_rate[Social worker]=0.2 (spaces allowed inside). */
            if (s[j] == '[') {
                const char *e = strchr(s + j, ']');
                if (!e) return perr(msg, msgsz, errpos, j, "a '[' is not closed with ']'");
                j = (size_t)(e - s) + 1;
            }
            tk.kind = TK_NAME;
            tk.text = wfs_strndup(s + i, j - i);
            tk.len = j - i;
            i = j;
        } else if (c == '`') {
            const char *e = strchr(s + i + 1, '`');
            if (!e) return perr(msg, msgsz, errpos, i, "a backtick name is not closed");
            if (e == s + i + 1) return perr(msg, msgsz, errpos, i, "an empty backtick name");
            tk.kind = TK_NAME;
            tk.quoted = 1;
            size_t j = (size_t)(e - s) + 1;
            /* `transition:Team manager`[Social worker]: a quoted parameter
             * of a role is one name too. */
            const char *rb = s[j] == '[' ? strchr(s + j, ']') : NULL;
            if (s[j] == '[' && !rb)
                return perr(msg, msgsz, errpos, j, "a '[' is not closed with ']'");
            wfs_buf nb = WFS_BUF_INIT;
            wfs_buf_add(&nb, s + i + 1, (size_t)(e - s - i - 1));
            if (rb) {
                wfs_buf_add(&nb, s + j, (size_t)(rb - s) + 1 - j);
                j = (size_t)(rb - s) + 1;
            }
            tk.text = wfs_buf_take(&nb, NULL);
            tk.len = j - i;
            i = j;
        } else if (c == '"') {
            wfs_buf b = WFS_BUF_INIT;
            size_t j = i + 1;
            while (s[j] && s[j] != '"') {
                if (s[j] == '\\' && (s[j + 1] == '"' || s[j + 1] == '\\')) j++;
                wfs_buf_putc(&b, s[j++]);
            }
            if (s[j] != '"') {
                wfs_buf_free(&b);
                return perr(msg, msgsz, errpos, i, "a quoted string is not closed");
            }
            tk.kind = TK_STRING;
            if (!b.data) wfs_buf_puts(&b, "");
            tk.text = wfs_buf_take(&b, NULL);
            tk.len = j + 1 - i;
            i = j + 1;
        } else if (isdigit(c) || (c == '.' && isdigit((unsigned char)s[i + 1])) ||
                   ((c == '-' || c == '+') &&
                    (isdigit((unsigned char)s[i + 1]) ||
                     (s[i + 1] == '.' && isdigit((unsigned char)s[i + 2]))))) {
            size_t j = i + 1;
            while (isalnum((unsigned char)s[j]) || s[j] == '.' ||
                   ((s[j] == '-' || s[j] == '+') && (s[j - 1] == 'e' || s[j - 1] == 'E')))
                j++;
            tk.kind = TK_NUMBER;
            tk.text = wfs_strndup(s + i, j - i);
            tk.len = j - i;
            char *end;
            strtod(tk.text ? tk.text : "", &end);
            if (tk.text && *end) {
                free(tk.text);
                return perr(msg, msgsz, errpos, i, "\"%.*s\" is not a number", (int)(j - i), s + i);
            }
            i = j;
        } else {
            static const char *two[] = {"==", "!=", "<=", ">=", "<>", "&&", "||"};
            size_t len = 1;
            for (size_t k = 0; k < sizeof two / sizeof *two; k++)
                if (s[i] == two[k][0] && s[i + 1] == two[k][1]) len = 2;
            if (len == 1 && !strchr("=,/*:()<>!&|+-", c)) {
                if (c < 0x20 || c >= 0x7f)
                    return perr(msg, msgsz, errpos, i, "unexpected byte 0x%02x", c);
                return perr(msg, msgsz, errpos, i, "unexpected character '%c'", c);
            }
            tk.kind = TK_PUNCT;
            tk.text = wfs_strndup(s + i, len);
            tk.len = len;
            i += len;
        }
        if (!tk.text || add_token(cl, &cap, tk)) {
            free(tk.text);
            return perr(msg, msgsz, errpos, tk.pos, "out of memory");
        }
    }
    return 0;
}

static int is_punct(const token *t, const char *p)
{
    return t && t->kind == TK_PUNCT && strcmp(t->text, p) == 0;
}

static int is_word(const token *t, const char *w)
{
    return t && t->kind == TK_NAME && !t->quoted && strcmp(t->text, w) == 0;
}

/* The words of the filter-expression language (lib/expr.c). */
static int is_expr_keyword(const token *t)
{
    return is_word(t, "and") || is_word(t, "or") || is_word(t, "not") || is_word(t, "in");
}

/* Can an expression end with this token (a value, a variable or ")")? */
static int ends_operand(const token *t)
{
    if (t->kind == TK_NUMBER || t->kind == TK_STRING) return 1;
    if (t->kind == TK_NAME) return !is_expr_keyword(t);
    return t->kind == TK_PUNCT && strcmp(t->text, ")") == 0;
}

static int is_atom(const token *t)
{
    return t && (t->kind == TK_NAME || t->kind == TK_STRING || t->kind == TK_NUMBER);
}

/* An option starts at NAME followed by a single '='. */
static int starts_option(const cmdline *cl, size_t i)
{
    return i + 1 < cl->ntoks && cl->toks[i].kind == TK_NAME && is_punct(&cl->toks[i + 1], "=");
}

#define PUSH(arr, n, cap, val)                                                                     \
    do {                                                                                           \
        if ((n) == (cap)) {                                                                        \
            size_t c_ = (cap) ? (cap) * 2 : 8;                                                     \
            void *p_ = wfs_reallocarray((void *)(arr), c_, sizeof *(arr));                         \
            if (!p_) return perr(msg, msgsz, errpos, 0, "out of memory");                          \
            (arr) = p_;                                                                            \
            (cap) = c_;                                                                            \
        }                                                                                          \
        (arr)[(n)++] = (val);                                                                      \
    } while (0)

int cli_parse(cmdline *cl, const char *text, char *msg, size_t msgsz, long *errpos)
{
    memset(cl, 0, sizeof *cl);
    *errpos = -1;
    msg[0] = '\0';
    cl->text = wfs_strdup(text);
    if (!cl->text) return perr(msg, msgsz, errpos, 0, "out of memory");
    if (tokenize(cl, msg, msgsz, errpos)) return -1;
    if (cl->ntoks == 0) return 0;
    if (cl->toks[0].kind != TK_NAME)
        return perr(msg, msgsz, errpos, cl->toks[0].pos, "a command starts with a command name");
    cl->name = &cl->toks[0];
    size_t cappos = 0, capby = 0, capopt = 0;
    size_t i = 1;
    while (i < cl->ntoks) {
        const token *t = &cl->toks[i];
        if (is_word(t, "by") && !starts_option(cl, i)) {
            if (cl->by_kw)
                return perr(msg, msgsz, errpos, t->pos, "by is given twice; list the variables "
                                                        "once, separated by commas");
            cl->by_kw = t;
            i++;
            for (;;) {
                if (i >= cl->ntoks || cl->toks[i].kind != TK_NAME || starts_option(cl, i))
                    return perr(msg, msgsz, errpos, i < cl->ntoks ? cl->toks[i].pos : strlen(text),
                                "by needs a variable name");
                PUSH(cl->by, cl->nby, capby, &cl->toks[i]);
                i++;
                if (i < cl->ntoks && (is_punct(&cl->toks[i], ",") || is_punct(&cl->toks[i], "*")))
                    i++;
                else
                    break;
            }
            continue;
        }
        if (is_word(t, "if") && !starts_option(cl, i)) {
            if (cl->if_text)
                return perr(msg, msgsz, errpos, t->pos,
                            "if is given twice; join the conditions with and");
            size_t j = i + 1, depth = 0;
            while (j < cl->ntoks) {
                const token *u = &cl->toks[j];
                if (is_punct(u, "(")) depth++;
                if (is_punct(u, ")") && depth) depth--;
                if (depth == 0 && (starts_option(cl, j) || is_word(u, "by"))) break;
                /* Only and, or and in can follow a complete operand: another
                 * bare word ends the expression (a flag such as deff). */
                if (depth == 0 && j > i + 1 && u->kind == TK_NAME && !u->quoted &&
                    !is_expr_keyword(u) && ends_operand(&cl->toks[j - 1]))
                    break;
                j++;
            }
            if (j == i + 1)
                return perr(msg, msgsz, errpos, t->pos, "if needs a condition, e.g. if age >= 50");
            size_t from = cl->toks[i + 1].pos;
            size_t to = cl->toks[j - 1].pos + cl->toks[j - 1].len;
            cl->if_text = wfs_strndup(text + from, to - from);
            cl->if_pos = from;
            if (!cl->if_text) return perr(msg, msgsz, errpos, 0, "out of memory");
            i = j;
            continue;
        }
        if (starts_option(cl, i)) {
            cmdopt o = {t, NULL, 0};
            size_t capitems = 0;
            i += 2;
            for (;;) {
                if (i >= cl->ntoks || !is_atom(&cl->toks[i])) {
                    free(o.items);
                    return perr(msg, msgsz, errpos,
                                i < cl->ntoks ? cl->toks[i].pos : strlen(text),
                                "%s= needs a value", t->text);
                }
                valitem it = {&cl->toks[i], NULL};
                i++;
                if (i + 1 < cl->ntoks + 1 && i < cl->ntoks && is_punct(&cl->toks[i], ":")) {
                    if (i + 1 >= cl->ntoks || !is_atom(&cl->toks[i + 1])) {
                        free(o.items);
                        return perr(msg, msgsz, errpos, cl->toks[i].pos,
                                    "a value is missing after ':' in %s=", t->text);
                    }
                    it.b = &cl->toks[i + 1];
                    i += 2;
                }
                if (o.nitems == capitems) {
                    size_t c = capitems ? capitems * 2 : 4;
                    valitem *p = wfs_reallocarray(o.items, c, sizeof *p);
                    if (!p) {
                        free(o.items);
                        return perr(msg, msgsz, errpos, 0, "out of memory");
                    }
                    o.items = p;
                    capitems = c;
                }
                o.items[o.nitems++] = it;
                if (i < cl->ntoks && is_punct(&cl->toks[i], ",") && i + 1 < cl->ntoks &&
                    !starts_option(cl, i + 1))
                    i++;
                else
                    break;
            }
            for (size_t k = 0; k < cl->nopts; k++)
                if (strcmp(cl->opts[k].key->text, t->text) == 0) {
                    free(o.items);
                    return perr(msg, msgsz, errpos, t->pos, "%s= is given twice", t->text);
                }
            if (cl->nopts == capopt) {
                size_t c = capopt ? capopt * 2 : 8;
                cmdopt *p = wfs_reallocarray(cl->opts, c, sizeof *p);
                if (!p) {
                    free(o.items);
                    return perr(msg, msgsz, errpos, 0, "out of memory");
                }
                cl->opts = p;
                capopt = c;
            }
            cl->opts[cl->nopts++] = o;
            continue;
        }
        if (is_punct(t, "="))
            return perr(msg, msgsz, errpos, t->pos, "'=' needs an option name before it");
        PUSH(cl->pos, cl->npos, cappos, t);
        i++;
    }
    return 0;
}

void cli_cmdline_free(cmdline *cl)
{
    for (size_t i = 0; i < cl->ntoks; i++) free(cl->toks[i].text);
    free(cl->toks);
    free(cl->pos);
    free(cl->by);
    free(cl->if_text);
    for (size_t k = 0; k < cl->nopts; k++) free(cl->opts[k].items);
    free(cl->opts);
    free(cl->flags);
    free(cl->text);
    memset(cl, 0, sizeof *cl);
}

static const cli_option *find_option(const cli_command *cmd, const char *name)
{
    for (const cli_option *o = cmd->options; o && o->name; o++)
        if (strcmp(o->name, name) == 0) return o;
    return NULL;
}

static const char *nearest_option(const cli_command *cmd, const char *name)
{
    for (size_t cap = 1; cap <= 2; cap++)
        for (const cli_option *o = cmd->options; o && o->name; o++)
            if (wfs_edit_distance(name, o->name, cap) <= cap) return o->name;
    return NULL;
}

/* Is word one of the values "a|b|c"? */
static int in_values(const char *values, const char *word)
{
    size_t n = strlen(word);
    const char *p = values;
    while (p && *p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, word, n) == 0) return 1;
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

/* The value of "a|b|c" nearest to a misspelt word, if any is close. */
static int nearest_value(const char *values, const char *word, char *out, size_t sz)
{
    for (size_t cap = 1; cap <= 2; cap++) {
        const char *p = values;
        while (p && *p) {
            const char *bar = strchr(p, '|');
            size_t len = bar ? (size_t)(bar - p) : strlen(p);
            if (len < sz) {
                memcpy(out, p, len);
                out[len] = '\0';
                if (wfs_edit_distance(word, out, cap) <= cap) return 1;
            }
            p = bar ? bar + 1 : NULL;
        }
    }
    return 0;
}

int cli_classify(cmdline *cl, const cli_command *cmd, char *msg, size_t msgsz, long *errpos)
{
    /* Bare words that are declared flags. */
    size_t keep = 0, capflags = 0;
    for (size_t i = 0; i < cl->npos; i++) {
        const token *t = cl->pos[i];
        const cli_option *o = t->kind == TK_NAME && !t->quoted ? find_option(cmd, t->text) : NULL;
        if (o && (o->kind & OPT_FLAG)) {
            PUSH(cl->flags, cl->nflags, capflags, t->text);
            continue;
        }
        if (cl->if_text && t->pos > cl->if_pos)
            return perr(msg, msgsz, errpos, t->pos,
                        "unexpected \"%s\" after the if expression (join conditions with and/or; "
                        "options follow as key=value or flags)",
                        t->text);
        cl->pos[keep++] = t;
    }
    cl->npos = keep;
    for (size_t k = 0; k < cl->nopts; k++) {
        const cmdopt *op = &cl->opts[k];
        const cli_option *o = find_option(cmd, op->key->text);
        if (!o) {
            if (cmd->free_keys) continue;
            const char *near = nearest_option(cmd, op->key->text);
            if (near)
                return perr(msg, msgsz, errpos, op->key->pos,
                            "%s has no option %s= (did you mean %s=?)", cmd->name, op->key->text,
                            near);
            return perr(msg, msgsz, errpos, op->key->pos, "%s has no option %s= (see help %s)",
                        cmd->name, op->key->text, cmd->name);
        }
        if (!(o->kind & OPT_VALUE))
            return perr(msg, msgsz, errpos, op->key->pos, "%s is a flag: write %s, not %s=...",
                        o->name, o->name, o->name);
        if (o->values) {
            if (op->nitems != 1 || op->items[0].b)
                return perr(msg, msgsz, errpos, op->key->pos, "%s= takes one of %s", o->name,
                            o->values);
            const char *v = op->items[0].a->text;
            if (!in_values(o->values, v)) {
                char near[64];
                if (nearest_value(o->values, v, near, sizeof near))
                    return perr(msg, msgsz, errpos, op->items[0].a->pos,
                                "%s=%s is not allowed (did you mean %s=%s?): %s= takes one of %s",
                                o->name, v, o->name, near, o->name, o->values);
                return perr(msg, msgsz, errpos, op->items[0].a->pos,
                            "%s=%s is not allowed: %s= takes one of %s", o->name, v, o->name,
                            o->values);
            }
        }
    }
    return 0;
}

const cmdopt *cli_opt(const cmdline *cl, const char *key)
{
    for (size_t k = 0; k < cl->nopts; k++)
        if (strcmp(cl->opts[k].key->text, key) == 0) return &cl->opts[k];
    return NULL;
}

int cli_flag(const cmdline *cl, const char *name)
{
    for (size_t k = 0; k < cl->nflags; k++)
        if (strcmp(cl->flags[k], name) == 0) return 1;
    return 0;
}

const char *cli_opt_text(const cmdline *cl, const char *key)
{
    const cmdopt *o = cli_opt(cl, key);
    if (!o || o->nitems != 1 || o->items[0].b) return NULL;
    return o->items[0].a->text;
}

/* ------------------------------------------------------------------ */
/* Script splitting                                                    */
/* ------------------------------------------------------------------ */

static int sp_add(cli_splitter *sp, const char *s, size_t n)
{
    if (sp->len + n + 1 > sp->cap) {
        size_t cap = sp->cap ? sp->cap : 256;
        while (cap < sp->len + n + 1) cap *= 2;
        char *b = realloc(sp->buf, cap);
        if (!b) return -1;
        sp->buf = b;
        sp->cap = cap;
    }
    memcpy(sp->buf + sp->len, s, n);
    sp->len += n;
    sp->buf[sp->len] = '\0';
    return 0;
}

static int sp_emit(cli_splitter *sp, cli_line_fn fn, void *ud)
{
    int rc = 0;
    if (sp->len) {
        size_t a = 0;
        while (a < sp->len && isspace((unsigned char)sp->buf[a])) a++;
        if (a < sp->len) rc = fn(ud, sp->buf + a, sp->start_line);
    }
    sp->len = 0;
    if (sp->buf) sp->buf[0] = '\0';
    return rc;
}

int cli_split_line(cli_splitter *sp, const char *line, size_t lineno, cli_line_fn fn, void *ud)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\r' || line[n - 1] == '\n')) n--;
    if (!sp->pending || sp->len == 0) sp->start_line = lineno;
    sp->pending = 0;
    int in_str = 0, in_bt = 0;
    size_t seg = 0, end = n;
    for (size_t i = 0; i < n; i++) {
        char c = line[i];
        if (in_str) {
            if (c == '\\' && i + 1 < n) {
                i++;
                continue;
            }
            if (c == '"') in_str = 0;
            continue;
        }
        if (in_bt) {
            if (c == '`') in_bt = 0;
            continue;
        }
        if (c == '"') in_str = 1;
        else if (c == '`') in_bt = 1;
        else if (c == '#') {
            end = i;
            break;
        } else if (c == ';') {
            if (sp_add(sp, line + seg, i - seg)) return -1;
            int rc = sp_emit(sp, fn, ud);
            if (rc) return rc;
            sp->start_line = lineno;
            seg = i + 1;
        }
    }
    /* Trailing backslash (outside strings) continues the command. */
    size_t e = end;
    while (e > seg && (line[e - 1] == ' ' || line[e - 1] == '\t')) e--;
    if (!in_str && !in_bt && e > seg && line[e - 1] == '\\') {
        if (sp_add(sp, line + seg, e - 1 - seg) || sp_add(sp, " ", 1)) return -1;
        sp->pending = 1;
        return 0;
    }
    if (sp_add(sp, line + seg, end - seg)) return -1;
    return sp_emit(sp, fn, ud);
}

int cli_split_finish(cli_splitter *sp, cli_line_fn fn, void *ud)
{
    sp->pending = 0;
    return sp_emit(sp, fn, ud);
}

int cli_split_pending(const cli_splitter *sp)
{
    return sp->pending;
}

void cli_splitter_free(cli_splitter *sp)
{
    free(sp->buf);
    memset(sp, 0, sizeof *sp);
}
