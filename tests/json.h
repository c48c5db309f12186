/* json.h - a small JSON reader for the test programs (not part of the library). */
#ifndef WFS_TEST_JSON_H
#define WFS_TEST_JSON_H

#include <stddef.h>

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jval {
    jtype type;
    double num;
    int b;
    char *str;
    struct jval **items; /* array elements or object values */
    char **keys;         /* object keys */
    size_t n;
} jval;

/* Parse one JSON value; returns NULL (and sets *err) on a syntax error.
 * Trailing characters other than whitespace are an error. */
jval *json_parse(const char *text, const char **err);
void json_free(jval *v);
/* Object member or NULL. */
const jval *json_get(const jval *obj, const char *key);

#endif
