/* json.c - a small recursive-descent JSON reader for the test programs. */
#include "json.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const char *p; const char *err; int depth; } P;

static jval *value(P *p);

static void ws(P *p)
{
    while (*p->p == ' ' || *p->p == '\t' || *p->p == '\n' || *p->p == '\r') p->p++;
}

static jval *mk(jtype t)
{
    jval *v = calloc(1, sizeof *v);
    if (v) v->type = t;
    return v;
}

static char *string(P *p)
{
    if (*p->p != '"') { p->err = "expected a string"; return NULL; }
    p->p++;
    size_t cap = 32, n = 0;
    char *s = malloc(cap);
    while (s && *p->p != '"') {
        unsigned c = (unsigned char)*p->p;
        if (!c || c < 0x20) { p->err = "bad character in string"; free(s); return NULL; }
        if (c == '\\') {
            p->p++;
            switch (*p->p) {
            case '"': c = '"'; break;
            case '\\': c = '\\'; break;
            case '/': c = '/'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u': {
                unsigned cp = 0;
                for (int k = 1; k <= 4; k++) {
                    char h = p->p[k];
                    if (!isxdigit((unsigned char)h)) { p->err = "bad \\u escape"; free(s); return NULL; }
                    cp = cp * 16 + (unsigned)(isdigit((unsigned char)h) ? h - '0' : (tolower(h) - 'a' + 10));
                }
                p->p += 4;
                c = cp < 0x80 ? cp : '?';
                break;
            }
            default: p->err = "bad escape"; free(s); return NULL;
            }
        }
        if (n + 2 > cap) { cap *= 2; char *t = realloc(s, cap); if (!t) { free(s); return NULL; } s = t; }
        s[n++] = (char)c;
        p->p++;
    }
    if (!s) return NULL;
    p->p++;
    s[n] = 0;
    return s;
}

static int push(jval *v, jval *item, char *key)
{
    jval **it = realloc(v->items, (v->n + 1) * sizeof *it);
    if (!it) return -1;
    v->items = it;
    if (v->type == J_OBJ) {
        char **k = realloc(v->keys, (v->n + 1) * sizeof *k);
        if (!k) return -1;
        v->keys = k;
        v->keys[v->n] = key;
    }
    v->items[v->n++] = item;
    return 0;
}

static jval *value(P *p)
{
    ws(p);
    if (++p->depth > 200) { p->err = "too deep"; return NULL; }
    jval *v = NULL;
    char c = *p->p;
    if (c == '{' || c == '[') {
        v = mk(c == '{' ? J_OBJ : J_ARR);
        p->p++;
        ws(p);
        char close = c == '{' ? '}' : ']';
        if (*p->p == close) { p->p++; p->depth--; return v; }
        for (;;) {
            char *key = NULL;
            if (v->type == J_OBJ) {
                ws(p);
                key = string(p);
                if (!key) { json_free(v); return NULL; }
                ws(p);
                if (*p->p != ':') { p->err = "expected :"; free(key); json_free(v); return NULL; }
                p->p++;
            }
            jval *item = value(p);
            if (!item || push(v, item, key)) { free(key); json_free(item); json_free(v); return NULL; }
            ws(p);
            if (*p->p == ',') { p->p++; continue; }
            if (*p->p == close) { p->p++; break; }
            p->err = "expected , or a closing bracket";
            json_free(v);
            return NULL;
        }
    } else if (c == '"') {
        v = mk(J_STR);
        if (v && !(v->str = string(p))) { free(v); return NULL; }
    } else if (strncmp(p->p, "null", 4) == 0) {
        v = mk(J_NULL); p->p += 4;
    } else if (strncmp(p->p, "true", 4) == 0) {
        v = mk(J_BOOL); v->b = 1; p->p += 4;
    } else if (strncmp(p->p, "false", 5) == 0) {
        v = mk(J_BOOL); p->p += 5;
    } else if (c == '-' || isdigit((unsigned char)c)) {
        /* RFC 8259 number syntax. */
        const char *s = p->p;
        if (*s == '-') s++;
        if (*s == '0') s++;
        else if (isdigit((unsigned char)*s)) while (isdigit((unsigned char)*s)) s++;
        else { p->err = "bad number"; return NULL; }
        if (*s == '.') { s++; if (!isdigit((unsigned char)*s)) { p->err = "bad number"; return NULL; } while (isdigit((unsigned char)*s)) s++; }
        if (*s == 'e' || *s == 'E') { s++; if (*s == '+' || *s == '-') s++; if (!isdigit((unsigned char)*s)) { p->err = "bad number"; return NULL; } while (isdigit((unsigned char)*s)) s++; }
        v = mk(J_NUM);
        v->num = strtod(p->p, NULL);
        p->p = s;
    } else {
        p->err = "unexpected character";
        return NULL;
    }
    p->depth--;
    return v;
}

jval *json_parse(const char *text, const char **err)
{
    P p = {text, NULL, 0};
    jval *v = value(&p);
    if (v) {
        ws(&p);
        if (*p.p) { p.err = "trailing characters"; json_free(v); v = NULL; }
    }
    if (!v && err) *err = p.err ? p.err : "out of memory";
    return v;
}

void json_free(jval *v)
{
    if (!v) return;
    for (size_t i = 0; i < v->n; i++) {
        json_free(v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    free(v);
}

const jval *json_get(const jval *obj, const char *key)
{
    if (!obj || obj->type != J_OBJ) return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0) return obj->items[i];
    return NULL;
}
