/* complete.c - tab completion for the command language.
 *
 * cli_complete() is a pure function of the text typed so far, the cursor
 * and the session: it never touches the terminal, so the tests call it
 * directly and the shell (repl.c) only hands its candidates to readline.
 *
 * Everything it knows about commands comes from the command table: the
 * command names, each command's options (keys, flags, and the allowed
 * values of an option such as ci=), its completion kind (variables, files,
 * datasets, commands, settings), whether it takes free VAR= keys, and its
 * synopsis, which says which positional words it takes ("jk1|jkn|...",
 * `as NAME`, `from DATASET`), whether it has `by` and `if` clauses, and
 * which file extensions its quoted file name has ("file.csv"). A command
 * added to the table is completed without any change here.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"
#include "wfs-private.h"

/* ------------------------------------------------------------------ */
/* Candidates                                                          */
/* ------------------------------------------------------------------ */

typedef struct cand {
    char *insert; /* the text that replaces the word */
    char *match;  /* what the typed word must be a prefix of */
} cand;

typedef struct cands {
    cand *v;
    size_t n, cap;
    int failed;
} cands;

static void cands_add2(cands *c, const char *insert, size_t ilen, const char *match)
{
    if (c->failed) return;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        cand *v = wfs_reallocarray(c->v, cap, sizeof *v);
        if (!v) {
            c->failed = 1;
            return;
        }
        c->v = v;
        c->cap = cap;
    }
    cand *k = &c->v[c->n];
    k->insert = wfs_strndup(insert, ilen);
    k->match = wfs_strdup(match);
    if (!k->insert || !k->match) {
        free(k->insert);
        free(k->match);
        c->failed = 1;
        return;
    }
    c->n++;
}

/* A candidate inserted as it is matched. */
static void cands_add(cands *c, const char *text)
{
    cands_add2(c, text, strlen(text), text);
}

static void cands_free(cands *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].insert);
        free(c->v[i].match);
    }
    free(c->v);
    memset(c, 0, sizeof *c);
}

/* ------------------------------------------------------------------ */
/* A lenient tokenizer for incomplete commands                         */
/* ------------------------------------------------------------------ */

enum { CT_NAME, CT_STRING, CT_NUMBER, CT_PUNCT };

typedef struct ctok {
    int kind;
    size_t pos, len;
    int quoted; /* backtick name */
} ctok;

/* What is being completed. */
enum { W_NAME, W_STRING, W_BACKTICK, W_NONE };

typedef struct ctx {
    const session *s;
    const char *text;
    size_t cursor;
    ctok *t;
    size_t nt, capt;
    int word;      /* W_... */
    size_t wstart; /* where the word starts (after an opening quote) */
    char *prefix;  /* the word typed so far */
    const cli_command *cmd;
    /* The synopsis, split into positional words. */
    char **slots;
    size_t nslots;
    int has_by, has_if;
} ctx;

static int name_start(int c)
{
    return isalpha(c) || c == '_';
}

static int name_char(int c)
{
    return isalnum(c) || c == '_' || c == '.';
}

static int push_tok(ctx *c, int kind, size_t pos, size_t len, int quoted)
{
    if (c->nt == c->capt) {
        size_t cap = c->capt ? c->capt * 2 : 16;
        ctok *t = wfs_reallocarray(c->t, cap, sizeof *t);
        if (!t) return -1;
        c->t = t;
        c->capt = cap;
    }
    c->t[c->nt++] = (ctok){kind, pos, len, quoted};
    return 0;
}

/* The text of a name token (backticks removed), in a static-size buffer. */
static const char *tok_name(const ctx *c, const ctok *t, char *buf, size_t sz)
{
    size_t from = t->pos + (t->quoted ? 1 : 0);
    size_t n = t->len - (t->quoted ? 2 : 0);
    if (n >= sz) n = sz - 1;
    memcpy(buf, c->text + from, n);
    buf[n] = '\0';
    return buf;
}

static int tok_is(const ctx *c, size_t i, const char *s)
{
    if (i >= c->nt) return 0;
    const ctok *t = &c->t[i];
    size_t n = strlen(s);
    return t->kind != CT_STRING && !t->quoted && t->len == n &&
           strncmp(c->text + t->pos, s, n) == 0;
}

static int tok_punct(const ctx *c, size_t i, const char *p)
{
    return i < c->nt && c->t[i].kind == CT_PUNCT && tok_is(c, i, p);
}

static int tok_atom(const ctx *c, size_t i)
{
    return i < c->nt && c->t[i].kind != CT_PUNCT;
}

/* Tokenize text[from..cursor). Returns -1 when the cursor is in a comment
 * or after a closed string or a number (nothing to complete there). */
static int lex(ctx *c, size_t from)
{
    const char *s = c->text;
    size_t i = from, end = c->cursor;
    c->word = W_NAME;
    c->wstart = end;
    while (i < end) {
        unsigned char ch = (unsigned char)s[i];
        if (isspace(ch)) {
            i++;
            continue;
        }
        if (ch == '#') return -1;
        if (name_start(ch)) {
            size_t j = i;
            while (j < end && name_char((unsigned char)s[j])) j++;
            if (j == end) { /* the word being typed */
                c->wstart = i;
                return 0;
            }
            if (push_tok(c, CT_NAME, i, j - i, 0)) return -1;
            i = j;
        } else if (ch == '`') {
            const char *e = memchr(s + i + 1, '`', end - i - 1);
            if (!e) {
                c->word = W_BACKTICK;
                c->wstart = i + 1;
                return 0;
            }
            if (push_tok(c, CT_NAME, i, (size_t)(e - s) + 1 - i, 1)) return -1;
            i = (size_t)(e - s) + 1;
        } else if (ch == '"') {
            size_t j = i + 1;
            while (j < end && s[j] != '"') {
                if (s[j] == '\\' && j + 1 < end) j++;
                j++;
            }
            if (j >= end) {
                c->word = W_STRING;
                c->wstart = i + 1;
                return 0;
            }
            if (j + 1 == end) return -1; /* right after a closed string */
            if (push_tok(c, CT_STRING, i, j + 1 - i, 0)) return -1;
            i = j + 1;
        } else if (isdigit(ch) || (ch == '.' && i + 1 < end && isdigit((unsigned char)s[i + 1]))) {
            size_t j = i + 1;
            while (j < end && (isalnum((unsigned char)s[j]) || s[j] == '.')) j++;
            if (j == end) return -1;
            if (push_tok(c, CT_NUMBER, i, j - i, 0)) return -1;
            i = j;
        } else {
            static const char *two[] = {"==", "!=", "<=", ">=", "<>", "&&", "||"};
            size_t len = 1;
            for (size_t k = 0; k < sizeof two / sizeof *two; k++)
                if (i + 1 < end && s[i] == two[k][0] && s[i + 1] == two[k][1]) len = 2;
            if (push_tok(c, CT_PUNCT, i, len, 0)) return -1;
            i += len;
        }
    }
    return 0;
}

/* Where the command holding the cursor starts: after the last ';' outside
 * quotes and backticks. */
static size_t command_start(const char *s, size_t end)
{
    size_t start = 0;
    int in_str = 0, in_bt = 0;
    for (size_t i = 0; i < end; i++) {
        char ch = s[i];
        if (in_str) {
            if (ch == '\\' && i + 1 < end)
                i++;
            else if (ch == '"')
                in_str = 0;
        } else if (in_bt) {
            if (ch == '`') in_bt = 0;
        } else if (ch == '"') {
            in_str = 1;
        } else if (ch == '`') {
            in_bt = 1;
        } else if (ch == '#') {
            /* A comment runs to the end of its line. */
            while (i < end && s[i] != '\n') i++;
        } else if (ch == ';') {
            start = i + 1;
        }
    }
    return start;
}

/* ------------------------------------------------------------------ */
/* What the command table says                                         */
/* ------------------------------------------------------------------ */

static const cli_option *find_opt(const cli_command *cmd, const char *name)
{
    for (const cli_option *o = cmd->options; o && o->name; o++)
        if (strcmp(o->name, name) == 0) return o;
    return NULL;
}

/* The placeholder after "key=" in the synopsis ("W" in weight=W), or "". */
static void synopsis_value(const cli_command *cmd, const char *key, char *buf, size_t sz)
{
    buf[0] = '\0';
    size_t n = strlen(key);
    for (const char *p = cmd->synopsis; p && (p = strstr(p, key)); p += n) {
        int word_start = p == cmd->synopsis || strchr(" [|", p[-1]);
        if (!word_start || p[n] != '=') continue;
        const char *v = p + n + 1;
        size_t k = 0;
        while (v[k] && !strchr(" []|,", v[k]) && k + 1 < sz) {
            buf[k] = v[k];
            k++;
        }
        buf[k] = '\0';
        return;
    }
}

/* A placeholder that stands for a variable: VAR, V, W, S, NUMVAR, C1, F2 ... */
static int var_placeholder(const char *p)
{
    size_t n = strlen(p);
    if (n == 0) return 0;
    if (strcmp(p, "V") == 0 || strcmp(p, "W") == 0 || strcmp(p, "S") == 0) return 1;
    if (n >= 3 && strcmp(p + n - 3, "VAR") == 0) return 1;
    if ((p[0] == 'C' || p[0] == 'F') && n > 1 && strspn(p + 1, "0123456789") == n - 1) return 1;
    return 0;
}

int cli_option_takes_vars(const cli_command *cmd, const cli_option *o)
{
    if (!(o->kind & OPT_VALUE) || o->values) return 0;
    if (o->help && strstr(o->help, "variable")) return 1;
    char ph[64];
    synopsis_value(cmd, o->name, ph, sizeof ph);
    return var_placeholder(ph);
}

/* Split the synopsis into its positional words: brackets dropped, and
 * options (key=...), flags, "...", and the by and if clauses left out. */
static int parse_synopsis(ctx *c)
{
    const char *p = c->cmd->synopsis ? c->cmd->synopsis : "";
    size_t cap = 0, word = 0;
    int skip_next = 0;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *q = p;
        int in_q = 0;
        while (*q && (in_q || *q != ' ')) {
            if (*q == '"') in_q = !in_q;
            q++;
        }
        /* Strip brackets around the word (but not inside quotes). */
        const char *a = p, *b = q;
        while (a < b && (*a == '[' || *a == ']')) a++;
        while (b > a && (b[-1] == '[' || b[-1] == ']')) b--;
        size_t len = (size_t)(b - a);
        p = q;
        if (word++ == 0) continue; /* the command name */
        if (skip_next) {
            skip_next = 0;
            continue;
        }
        if (len == 2 && strncmp(a, "by", 2) == 0) {
            c->has_by = 1;
            skip_next = 1;
            continue;
        }
        if (len == 2 && strncmp(a, "if", 2) == 0) {
            c->has_if = 1;
            skip_next = 1;
            continue;
        }
        if (len == 0 || (len == 3 && strncmp(a, "...", 3) == 0)) continue;
        if (*a != '"' && memchr(a, '=', len)) continue;
        char *w = wfs_strndup(a, len);
        if (!w) return -1;
        const cli_option *fo = find_opt(c->cmd, w);
        if (fo && fo->kind == OPT_FLAG) {
            free(w);
            continue;
        }
        if (c->nslots == cap) {
            size_t nc = cap ? cap * 2 : 8;
            char **v = wfs_reallocarray(c->slots, nc, sizeof *v);
            if (!v) {
                free(w);
                return -1;
            }
            c->slots = v;
            cap = nc;
        }
        c->slots[c->nslots++] = w;
    }
    return 0;
}

static int is_upper_word(const char *w)
{
    if (!isupper((unsigned char)*w)) return 0;
    for (; *w; w++)
        if (!(isupper((unsigned char)*w) || isdigit((unsigned char)*w) || *w == '_')) return 0;
    return 1;
}

static int is_alternatives(const char *w)
{
    if (!strchr(w, '|') || *w == '"') return 0;
    for (; *w; w++)
        if (!(islower((unsigned char)*w) || isdigit((unsigned char)*w) || *w == '|' || *w == '_'))
            return 0;
    return 1;
}

/* Does the command take variables as positional words? */
static int takes_positional_vars(const ctx *c)
{
    for (size_t i = 0; i < c->nslots; i++) {
        const char *w = c->slots[i];
        if (is_upper_word(w) && strcmp(w, "NAME") != 0 && strcmp(w, "DATASET") != 0 &&
            strcmp(w, "COMMAND") != 0 && strcmp(w, "N") != 0)
            return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Candidate sources                                                   */
/* ------------------------------------------------------------------ */

static const wfs_table *active_table(const session *s)
{
    return s && s->cur >= 0 && (size_t)s->cur < s->nds ? s->ds[s->cur].table : NULL;
}

static int plain_name(const char *s)
{
    if (!name_start((unsigned char)*s)) return 0;
    for (; *s; s++)
        if (!name_char((unsigned char)*s)) return 0;
    return 1;
}

/* Variables of the active dataset; suffix ("=" for margin keys) appended. */
static void add_vars(ctx *c, cands *out, const char *suffix)
{
    const wfs_table *t = active_table(c->s);
    if (!t) return;
    for (size_t j = 0; j < wfs_table_ncols(t); j++) {
        const char *name = wfs_table_name(t, j);
        wfs_buf b = WFS_BUF_INIT;
        if (c->word == W_BACKTICK) {
            wfs_buf_puts(&b, name);
            wfs_buf_putc(&b, '`');
        } else if (plain_name(name)) {
            wfs_buf_puts(&b, name);
        } else {
            wfs_buf_printf(&b, "`%s`", name);
        }
        if (c->word != W_BACKTICK) wfs_buf_puts(&b, suffix);
        if (b.failed) {
            out->failed = 1;
        } else {
            size_t n = b.len;
            cands_add2(out, b.data, n, name);
        }
        wfs_buf_free(&b);
    }
}

/* Quoted levels of a categorical variable. */
static void add_levels(ctx *c, cands *out, const char *var)
{
    const wfs_table *t = active_table(c->s);
    if (!t) return;
    long j = wfs_table_find(t, var);
    if (j < 0 || wfs_table_type(t, (size_t)j) != WFS_CATEGORICAL) return;
    for (size_t k = 0; k < wfs_table_nlevels(t, (size_t)j); k++) {
        const char *lv = wfs_table_level(t, (size_t)j, k);
        wfs_buf b = WFS_BUF_INIT;
        if (c->word != W_STRING) wfs_buf_putc(&b, '"');
        for (const char *p = lv; *p; p++) {
            if (*p == '"' || *p == '\\') wfs_buf_putc(&b, '\\');
            wfs_buf_putc(&b, *p);
        }
        wfs_buf_putc(&b, '"');
        if (b.failed)
            out->failed = 1;
        else
            cands_add2(out, b.data, b.len, lv);
        wfs_buf_free(&b);
    }
}

static void add_commands(cands *out)
{
    for (size_t i = 0; i < cli_ncommands; i++) cands_add(out, cli_commands[i].name);
}

static void add_datasets(ctx *c, cands *out)
{
    if (!c->s) return;
    for (size_t i = 0; i < c->s->nds; i++) cands_add(out, c->s->ds[i].name);
}

static void add_alternatives(cands *out, const char *alts)
{
    const char *p = alts;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        char *w = wfs_strndup(p, n);
        if (w && n)
            cands_add(out, w);
        else if (!w)
            out->failed = 1;
        free(w);
        if (!bar) break;
        p = bar + 1;
    }
}

/* Option keys not given yet: "key=" for valued options, "key" for flags. */
static void add_options(ctx *c, cands *out, size_t upto)
{
    char buf[128];
    for (const cli_option *o = c->cmd->options; o && o->name; o++) {
        int given = 0;
        for (size_t i = 1; i < upto; i++)
            if (c->t[i].kind == CT_NAME &&
                strcmp(tok_name(c, &c->t[i], buf, sizeof buf), o->name) == 0)
                given = 1;
        if (given) continue;
        if (o->kind & OPT_FLAG) cands_add(out, o->name);
        if (o->kind & OPT_VALUE) {
            snprintf(buf, sizeof buf, "%s=", o->name);
            cands_add(out, buf);
        }
    }
}

/* Extensions named in the synopsis's quoted file ("out.csv|.md|.json"). */
static size_t synopsis_extensions(const ctx *c, char ext[][16], size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nslots; i++) {
        const char *w = c->slots[i];
        if (*w != '"') continue;
        const char *p = w + 1;
        while (*p && *p != '"' && n < max) {
            size_t len = strcspn(p, "|\"");
            const char *dot = NULL;
            for (const char *q = p; q < p + len; q++)
                if (*q == '.') dot = q;
            if (dot && (size_t)(p + len - dot) < 16) {
                memcpy(ext[n], dot, (size_t)(p + len - dot));
                ext[n][p + len - dot] = '\0';
                n++;
            }
            p += len;
            if (*p == '|') p++;
        }
        break;
    }
    return n;
}

static int has_extension(const char *name, char ext[][16], size_t next)
{
    size_t n = strlen(name);
    for (size_t k = 0; k < next; k++) {
        size_t e = strlen(ext[k]);
        if (n > e && strcasecmp(name + n - e, ext[k]) == 0) return 1;
    }
    return 0;
}

/* File names: directories end in '/', files are closed with a quote. The
 * extensions of the synopsis are preferred when any file has one. */
static void add_files(ctx *c, cands *out)
{
    const char *typed = c->prefix;
    const char *slash = strrchr(typed, '/');
    size_t dirlen = slash ? (size_t)(slash - typed) + 1 : 0;
    char *dir = dirlen ? wfs_strndup(typed, dirlen) : wfs_strdup(".");
    if (!dir) {
        out->failed = 1;
        return;
    }
    const char *base = typed + dirlen;
    DIR *d = opendir(dir);
    if (!d) {
        free(dir);
        return;
    }
    char ext[8][16];
    size_t next = synopsis_extensions(c, ext, 8);
    const char *open = c->word == W_STRING ? "" : "\"";
    cands dirs = {0}, preferred = {0}, others = {0};
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
        if (name[0] == '.' && base[0] != '.') continue;
        if (strncmp(name, base, strlen(base)) != 0) continue;
        wfs_buf path = WFS_BUF_INIT;
        wfs_buf_add(&path, typed, dirlen);
        wfs_buf_puts(&path, name);
        struct stat st;
        int isdir = path.data && stat(path.data, &st) == 0 && S_ISDIR(st.st_mode);
        wfs_buf ins = WFS_BUF_INIT;
        wfs_buf_puts(&ins, open);
        wfs_buf_puts(&ins, path.data ? path.data : "");
        wfs_buf_puts(&ins, isdir ? "/" : "\"");
        if (ins.failed || path.failed)
            out->failed = 1;
        else if (isdir)
            cands_add2(&dirs, ins.data, ins.len, path.data);
        else if (!next || has_extension(name, ext, next))
            cands_add2(&preferred, ins.data, ins.len, path.data);
        else
            cands_add2(&others, ins.data, ins.len, path.data);
        wfs_buf_free(&path);
        wfs_buf_free(&ins);
    }
    closedir(d);
    free(dir);
    cands *files = preferred.n ? &preferred : &others;
    for (size_t i = 0; i < dirs.n; i++)
        cands_add2(out, dirs.v[i].insert, strlen(dirs.v[i].insert), dirs.v[i].match);
    for (size_t i = 0; i < files->n; i++)
        cands_add2(out, files->v[i].insert, strlen(files->v[i].insert), files->v[i].match);
    if (dirs.failed || preferred.failed || others.failed) out->failed = 1;
    cands_free(&dirs);
    cands_free(&preferred);
    cands_free(&others);
}

/* ------------------------------------------------------------------ */
/* Contexts                                                            */
/* ------------------------------------------------------------------ */

static int starts_option(const ctx *c, size_t i)
{
    return i + 1 < c->nt && c->t[i].kind == CT_NAME && tok_punct(c, i + 1, "=");
}

/* If the cursor is in the value of an option (key=..., key=a,b,...),
 * the index of the key token; else -1. *after_colon is set when the value
 * is the count of a LEVEL:N item. */
static long option_key(const ctx *c, int *after_colon)
{
    *after_colon = 0;
    if (c->nt < 2) return -1;
    long j = (long)c->nt - 1;
    if (tok_punct(c, (size_t)j, ":")) {
        *after_colon = 1;
        j--;
        if (j < 0 || !tok_atom(c, (size_t)j)) return -1;
        j--;
        if (j < 0) return -1;
        if (!tok_punct(c, (size_t)j, "=") && !tok_punct(c, (size_t)j, ",")) return -1;
    }
    for (;;) {
        if (tok_punct(c, (size_t)j, "=")) {
            return j >= 2 && c->t[j - 1].kind == CT_NAME ? j - 1 : -1;
        }
        if (!tok_punct(c, (size_t)j, ",")) return -1;
        /* item before the comma: atom [':' atom] */
        j--;
        if (j < 0 || !tok_atom(c, (size_t)j)) return -1;
        j--;
        if (j >= 0 && tok_punct(c, (size_t)j, ":")) {
            j--;
            if (j < 0 || !tok_atom(c, (size_t)j)) return -1;
            j--;
        }
        if (j < 0) return -1;
    }
}

static int is_comparison(const ctx *c, size_t i)
{
    static const char *ops[] = {"==", "!=", "<>", "<", "<=", ">", ">="};
    for (size_t k = 0; k < sizeof ops / sizeof *ops; k++)
        if (tok_punct(c, i, ops[k])) return 1;
    return 0;
}

/* In an if expression that starts at token `from` (the one after `if`). */
static void complete_if(ctx *c, cands *out, size_t from)
{
    char buf[256];
    size_t last = c->nt - 1; /* the token before the word; may be `if` itself */
    /* VAR == "..." and VAR in ("...", "..." */
    if (last >= from && is_comparison(c, last)) {
        if (last >= 1 && c->t[last - 1].kind == CT_NAME)
            add_levels(c, out, tok_name(c, &c->t[last - 1], buf, sizeof buf));
        return;
    }
    if (last >= from) {
        long j = (long)last;
        while (j >= (long)from && (tok_punct(c, (size_t)j, ",") || c->t[j].kind == CT_STRING)) j--;
        if (j >= (long)from + 2 && tok_punct(c, (size_t)j, "(") && tok_is(c, (size_t)j - 1, "in") &&
            c->t[j - 2].kind == CT_NAME) {
            add_levels(c, out, tok_name(c, &c->t[j - 2], buf, sizeof buf));
            return;
        }
    }
    if (c->word != W_NAME) {
        if (c->word == W_BACKTICK) add_vars(c, out, "");
        return;
    }
    int operand = last < from || tok_is(c, last, "and") || tok_is(c, last, "or") ||
                  tok_is(c, last, "not") || tok_punct(c, last, "(") || tok_punct(c, last, "!") ||
                  tok_punct(c, last, "&&") || tok_punct(c, last, "||");
    if (operand) {
        int in_missing = tok_punct(c, last, "(") && last >= 1 && tok_is(c, last - 1, "missing");
        add_vars(c, out, "");
        if (!in_missing) {
            cands_add(out, "not");
            cands_add(out, "missing(");
        }
        return;
    }
    cands_add(out, "and");
    cands_add(out, "or");
    if (c->t[last].kind == CT_NAME && !c->t[last].quoted) {
        const wfs_table *t = active_table(c->s);
        if (t && wfs_table_find(t, tok_name(c, &c->t[last], buf, sizeof buf)) >= 0)
            cands_add(out, "in");
    }
    /* The expression ends where by or an option begins. */
    if (c->has_by) cands_add(out, "by");
    add_options(c, out, c->nt);
}

static void complete_command(ctx *c, cands *out)
{
    char buf[256];
    const cli_command *cmd = c->cmd;
    int after_colon;
    long key = option_key(c, &after_colon);
    if (key >= 0) {
        const char *k = tok_name(c, &c->t[key], buf, sizeof buf);
        const cli_option *o = find_opt(cmd, k);
        if (o) {
            if (after_colon || c->word == W_STRING) return;
            if (o->values)
                add_alternatives(out, o->values);
            else if (cli_option_takes_vars(cmd, o))
                add_vars(c, out, "");
            return;
        }
        /* A margin VAR=LEVEL:N,... of a command with free keys. */
        if (cmd->free_keys && !after_colon) add_levels(c, out, k);
        return;
    }
    /* Walk the clauses: positional words, by lists, if expressions, options. */
    enum { POS, BY_NEED, BY_HAVE, IF } state = POS;
    size_t if_from = 0, npos = 0, depth = 0;
    int by_given = 0, if_given = 0, seen_clause = 0;
    long prev_pos = -1; /* the last positional token */
    for (size_t i = 1; i < c->nt; i++) {
        if (state == IF) {
            if (tok_punct(c, i, "("))
                depth++;
            else if (tok_punct(c, i, ")") && depth)
                depth--;
            if (depth || !(starts_option(c, i) || tok_is(c, i, "by"))) continue;
            state = POS;
        }
        if (starts_option(c, i)) {
            if (find_opt(cmd, tok_name(c, &c->t[i], buf, sizeof buf))) seen_clause = 1;
            i += 2;
            while (i < c->nt && tok_atom(c, i)) {
                if (tok_punct(c, i + 1, ":") && tok_atom(c, i + 2)) i += 2;
                if (tok_punct(c, i + 1, ",") && !starts_option(c, i + 2) && i + 2 < c->nt)
                    i += 2;
                else
                    break;
            }
            state = POS;
            continue;
        }
        if (tok_is(c, i, "by") && c->has_by) {
            state = BY_NEED;
            by_given = seen_clause = 1;
            continue;
        }
        if (tok_is(c, i, "if") && c->has_if) {
            state = IF;
            if_given = seen_clause = 1;
            if_from = i + 1;
            depth = 0;
            continue;
        }
        if (state == BY_NEED) {
            state = c->t[i].kind == CT_NAME ? BY_HAVE : POS;
            continue;
        }
        if (state == BY_HAVE) {
            if (tok_punct(c, i, ",") || tok_punct(c, i, "*")) {
                state = BY_NEED;
                continue;
            }
            state = POS;
        }
        const cli_option *o =
            c->t[i].kind == CT_NAME ? find_opt(cmd, tok_name(c, &c->t[i], buf, sizeof buf)) : NULL;
        if (o && (o->kind & OPT_FLAG)) {
            seen_clause = 1;
            continue;
        }
        if (c->t[i].kind != CT_PUNCT) npos++;
        prev_pos = (long)i;
    }
    if (state == BY_NEED) {
        if (c->word != W_STRING) add_vars(c, out, "");
        return;
    }
    if (state == IF) {
        complete_if(c, out, if_from);
        return;
    }
    if (c->word == W_BACKTICK) {
        add_vars(c, out, cmd->free_keys ? "=" : "");
        return;
    }
    /* A word that follows a keyword of the synopsis: `as NAME`,
     * `from DATASET`, `NUM / DEN`. */
    if (prev_pos >= 0 && prev_pos == (long)c->nt - 1) {
        const ctok *pt = &c->t[prev_pos];
        char kw[64];
        size_t n = pt->len < sizeof kw - 1 ? pt->len : sizeof kw - 1;
        memcpy(kw, c->text + pt->pos, n);
        kw[n] = '\0';
        for (size_t k = 0; k + 1 < c->nslots; k++) {
            if (strcmp(c->slots[k], kw) != 0 || is_upper_word(kw)) continue;
            const char *next = c->slots[k + 1];
            if (c->word == W_STRING) return;
            /* `from A to B` names datasets (survey waves) whatever the
             * placeholder. */
            if (strcmp(next, "DATASET") == 0 || strcmp(kw, "from") == 0 || strcmp(kw, "to") == 0)
                add_datasets(c, out);
            else if (is_upper_word(next) && strcmp(next, "NAME") != 0 && strcmp(next, "N") != 0)
                add_vars(c, out, "");
            return;
        }
    }
    /* The first positional word may be one of a fixed set (replicate jk1|...). */
    if (npos == 0 && c->nslots && is_alternatives(c->slots[0])) {
        if (c->word == W_NAME) add_alternatives(out, c->slots[0]);
        return;
    }
    switch (cmd->complete) {
    case COMPLETE_FILES:
        if (c->word == W_STRING || npos == 0) {
            add_files(c, out);
            if (c->word == W_STRING) return;
        }
        break;
    case COMPLETE_DATASETS:
        if (npos == 0 && c->word == W_NAME) add_datasets(c, out);
        return;
    case COMPLETE_COMMANDS:
        if (npos == 0 && c->word == W_NAME) {
            add_commands(out);
            for (const char *const *t = cli_help_topics; *t; t++) cands_add(out, *t);
        }
        return;
    case COMPLETE_VARS:
        /* Positional words come before the clauses. */
        if (c->word == W_NAME && !seen_clause && (takes_positional_vars(c) || cmd->free_keys))
            add_vars(c, out, cmd->free_keys ? "=" : "");
        break;
    default:
        break;
    }
    if (c->word != W_NAME) return;
    if (c->has_by && !by_given) cands_add(out, "by");
    if (c->has_if && !if_given) cands_add(out, "if");
    add_options(c, out, c->nt);
}

/* ------------------------------------------------------------------ */
/* The entry point                                                     */
/* ------------------------------------------------------------------ */

static int cand_cmp(const void *a, const void *b)
{
    return strcmp(((const cand *)a)->insert, ((const cand *)b)->insert);
}

static int keep(const cand *k, const char *prefix, size_t n, int nocase)
{
    return nocase ? strncasecmp(k->match, prefix, n) == 0 : strncmp(k->match, prefix, n) == 0;
}

int cli_complete(cli_completion *out, const session *s, const char *text, size_t cursor)
{
    memset(out, 0, sizeof *out);
    size_t len = strlen(text);
    if (cursor > len) cursor = len;
    out->start = cursor;
    ctx c;
    memset(&c, 0, sizeof c);
    c.s = s;
    c.text = text;
    c.cursor = cursor;
    cands cs = {0};
    int rc = 0;
    size_t from = command_start(text, cursor);
    if (lex(&c, from) != 0) goto done;
    out->start = c.wstart;
    c.prefix = wfs_strndup(text + c.wstart, cursor - c.wstart);
    if (!c.prefix) {
        rc = WFS_ENOMEM;
        goto done;
    }
    if (c.nt == 0) {
        if (c.word == W_NAME) add_commands(&cs);
        goto filter;
    }
    if (c.t[0].kind != CT_NAME) goto done;
    {
        char buf[128];
        c.cmd = cli_find_command(tok_name(&c, &c.t[0], buf, sizeof buf));
    }
    if (!c.cmd) goto done;
    if (parse_synopsis(&c)) {
        rc = WFS_ENOMEM;
        goto done;
    }
    complete_command(&c, &cs);
filter:
    if (cs.failed) {
        rc = WFS_ENOMEM;
        goto done;
    }
    {
        size_t n = strlen(c.prefix);
        size_t nkeep = 0;
        for (size_t i = 0; i < cs.n; i++) nkeep += keep(&cs.v[i], c.prefix, n, 0);
        int nocase = nkeep == 0;
        if (cs.n) qsort(cs.v, cs.n, sizeof *cs.v, cand_cmp);
        out->items = wfs_callocarray(cs.n + 1, sizeof *out->items);
        if (!out->items) {
            rc = WFS_ENOMEM;
            goto done;
        }
        for (size_t i = 0; i < cs.n; i++) {
            if (!keep(&cs.v[i], c.prefix, n, nocase)) continue;
            if (out->n && strcmp(out->items[out->n - 1], cs.v[i].insert) == 0) continue;
            out->items[out->n++] = cs.v[i].insert;
            cs.v[i].insert = NULL;
        }
        out->files = c.cmd && c.cmd->complete == COMPLETE_FILES && out->n &&
                     (out->items[0][0] == '"' || c.word == W_STRING);
    }
done:
    cands_free(&cs);
    for (size_t i = 0; i < c.nslots; i++) free(c.slots[i]);
    free(c.slots);
    free(c.t);
    free(c.prefix);
    if (rc) cli_completion_free(out);
    return rc;
}

void cli_completion_free(cli_completion *c)
{
    for (size_t i = 0; i < c->n; i++) free(c->items[i]);
    free(c->items);
    memset(c, 0, sizeof *c);
}

int cli_completion_wants_space(const char *item)
{
    size_t n = strlen(item);
    return n && !strchr("=/(", item[n - 1]);
}
