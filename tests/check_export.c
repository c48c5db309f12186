/* check_export.c - output files (temporary name, then rename; no overwrite
 * without replace) and CSV export that reads back to the same table. */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "wfstat.h"

static char dir[256];

static void setup(void)
{
    snprintf(dir, sizeof dir, "%s/export.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    rmdir(dir);
}

/* Files in the directory (temporary files must not be left behind). */
static int nfiles(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

START_TEST(file_write_refuses_to_overwrite)
{
    char p[512];
    snprintf(p, sizeof p, "%s/out.txt", dir);
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_file_write(p, "one\n", 4, 0, &err), 0);
    ck_assert_str_eq(slurp(p), "one\n");
    ck_assert_int_eq(wfs_file_write(p, "two\n", 4, 0, &err), WFS_EEXIST);
    ck_assert_ptr_nonnull(strstr(err.message, "add replace"));
    ck_assert_str_eq(slurp(p), "one\n");
    ck_assert_int_eq(wfs_file_write(p, "two\n", 4, 1, &err), 0);
    ck_assert_str_eq(slurp(p), "two\n");
    ck_assert_int_eq(nfiles(), 1);
}
END_TEST

START_TEST(file_write_errors)
{
    char p[512];
    wfs_error err = WFS_ERROR_INIT;
    snprintf(p, sizeof p, "%s/no/such/dir/out.txt", dir);
    ck_assert_int_eq(wfs_file_write(p, "x", 1, 0, &err), WFS_EIO);
    ck_assert_ptr_nonnull(strstr(err.message, "cannot write"));
    ck_assert_int_eq(wfs_file_write(dir, "x", 1, 1, &err), WFS_EINVAL);
    ck_assert_int_eq(wfs_file_write("", "x", 1, 1, &err), WFS_EINVAL);
    ck_assert_int_eq(nfiles(), 0);
}
END_TEST

/* A file that appears between open and commit is not overwritten. */
START_TEST(outfile_commit_does_not_clobber)
{
    char p[512];
    snprintf(p, sizeof p, "%s/race.txt", dir);
    wfs_error err = WFS_ERROR_INIT;
    wfs_outfile *f;
    ck_assert_int_eq(wfs_outfile_open(&f, p, 0, &err), 0);
    wfs_outfile_write(f, "mine\n", 5);
    FILE *g = fopen(p, "w");
    fputs("theirs\n", g);
    fclose(g);
    ck_assert_int_eq(wfs_outfile_commit(f, &err), WFS_EEXIST);
    ck_assert_str_eq(slurp(p), "theirs\n");
    ck_assert_int_eq(nfiles(), 1);
    /* Discard leaves nothing behind. */
    snprintf(p, sizeof p, "%s/gone.txt", dir);
    ck_assert_int_eq(wfs_outfile_open(&f, p, 0, &err), 0);
    wfs_outfile_write(f, "x", 1);
    wfs_outfile_discard(f);
    ck_assert_int_eq(nfiles(), 1);
}
END_TEST

static wfs_table *sample(void)
{
    wfs_error err = WFS_ERROR_INIT;
    wfs_table *t;
    ck_assert_int_eq(wfs_table_new(&t, 4, &err), 0);
    double x[] = {0.1, 1e-300, NAN, -2.5};
    ck_assert_int_eq(wfs_table_add_numeric(t, "x", x, NULL, &err), 0);
    const char *lab[] = {"plain", "with, comma", NULL, "say \"hi\""};
    ck_assert_int_eq(wfs_table_add_strings(t, "label", lab, &err), 0);
    const char *sp[] = {" padded", "line\nbreak", "NA", "ok"};
    ck_assert_int_eq(wfs_table_add_strings(t, "odd name", sp, &err), 0);
    return t;
}

START_TEST(csv_reads_back)
{
    char p[512];
    snprintf(p, sizeof p, "%s/data.csv", dir);
    wfs_table *t = sample();
    wfs_error err = WFS_ERROR_INIT;
    ck_assert_int_eq(wfs_csv_write(p, t, NULL, &err), 0);
    ck_assert_str_eq(slurp(p), "x,label,odd name\n"
                               "0.1,plain,\" padded\"\n"
                               "1e-300,\"with, comma\",\"line\nbreak\"\n"
                               ",,\"NA\"\n"
                               "-2.5,\"say \"\"hi\"\"\",ok\n");
    wfs_table *u;
    ck_assert_int_eq(wfs_csv_read(&u, p, NULL, &err), 0);
    ck_assert_uint_eq(wfs_table_nrows(u), 4);
    const double *x = wfs_table_numeric(u, 0);
    ck_assert(x[0] == 0.1 && x[1] == 1e-300 && isnan(x[2]) && x[3] == -2.5);
    ck_assert_str_eq(wfs_table_level(u, 1, (size_t)wfs_table_codes(u, 1)[1]), "with, comma");
    ck_assert_int_eq(wfs_table_codes(u, 1)[2], -1);
    ck_assert_str_eq(wfs_table_level(u, 1, (size_t)wfs_table_codes(u, 1)[3]), "say \"hi\"");
    ck_assert_str_eq(wfs_table_level(u, 2, (size_t)wfs_table_codes(u, 2)[0]), " padded");
    ck_assert_str_eq(wfs_table_level(u, 2, (size_t)wfs_table_codes(u, 2)[1]), "line\nbreak");
    wfs_table_free(u);
    /* Not again without replace. */
    ck_assert_int_eq(wfs_csv_write(p, t, NULL, &err), WFS_EEXIST);
    wfs_table_free(t);
}
END_TEST

START_TEST(csv_weights)
{
    char p[512];
    snprintf(p, sizeof p, "%s/w.csv", dir);
    wfs_table *t = sample();
    wfs_error err = WFS_ERROR_INIT;
    double w[] = {1.5, 2, 3, 0};
    wfs_csv_write_options o = WFS_CSV_WRITE_OPTIONS_INIT;
    o.weights = w;
    o.delim = ';';
    ck_assert_int_eq(wfs_csv_write(p, t, &o, &err), 0);
    ck_assert_str_eq(slurp(p), "x;label;odd name;final_weight\n"
                               "0.1;plain;\" padded\";1.5\n"
                               "1e-300;with, comma;\"line\nbreak\";2\n"
                               ";;\"NA\";3\n"
                               "-2.5;\"say \"\"hi\"\"\";ok;0\n");
    /* An existing column of that name receives the weights. */
    o.weight_name = "x";
    o.replace = 1;
    o.delim = ',';
    ck_assert_int_eq(wfs_csv_write(p, t, &o, &err), 0);
    ck_assert_str_eq(slurp(p), "x,label,odd name\n"
                               "1.5,plain,\" padded\"\n"
                               "2,\"with, comma\",\"line\nbreak\"\n"
                               "3,,\"NA\"\n"
                               "0,\"say \"\"hi\"\"\",ok\n");
    o.delim = '"';
    ck_assert_int_eq(wfs_csv_write(p, t, &o, &err), WFS_EINVAL);
    wfs_table_free(t);
}
END_TEST

START_TEST(csv_interrupted)
{
    char p[512];
    snprintf(p, sizeof p, "%s/big.csv", dir);
    wfs_error err = WFS_ERROR_INIT;
    size_t n = 200000;
    double *x = calloc(n, sizeof *x);
    wfs_table *t;
    ck_assert_int_eq(wfs_table_new(&t, n, &err), 0);
    ck_assert_int_eq(wfs_table_add_numeric(t, "x", x, NULL, &err), 0);
    free(x);
    volatile sig_atomic_t stop = 1;
    wfs_control ctl = {&stop, NULL, NULL};
    wfs_csv_write_options o = WFS_CSV_WRITE_OPTIONS_INIT;
    o.control = &ctl;
    ck_assert_int_eq(wfs_csv_write(p, t, &o, &err), WFS_EINTR);
    ck_assert_int_eq(nfiles(), 0);
    wfs_table_free(t);
}
END_TEST

/* ---- binary snapshots ---- */

static wfs_table *snapshot_table(void)
{
    wfs_table *t;
    wfs_error err = WFS_ERROR_INIT;
    static const double y[5] = {1.5, NAN, -0.0, 1e300, 42};
    static const int32_t codes[5] = {1, 0, -1, 1, 0};
    static const char *const levels[2] = {"a", "b"};
    static const char *const text[5] = {"x", NULL, "", "long text, with comma", "z"};
    ck_assert_int_eq(wfs_table_new(&t, 5, &err), 0);
    ck_assert_int_eq(wfs_table_add_numeric(t, "y", y, NULL, &err), 0);
    ck_assert_int_eq(wfs_table_add_categorical(t, "f", codes, levels, 2, &err), 0);
    ck_assert_int_eq(wfs_table_add_text(t, "note", text, &err), 0);
    return t;
}

START_TEST(snapshot_round_trip)
{
    char p[512];
    snprintf(p, sizeof p, "%s/t.wfb", dir);
    wfs_error err = WFS_ERROR_INIT;
    wfs_table *t = snapshot_table(), *u;
    ck_assert_int_eq(wfs_snapshot_write(t, p, 0, &err), 0);
    ck_assert_int_eq(wfs_snapshot_write(t, p, 0, &err), WFS_EEXIST);
    ck_assert_int_eq(wfs_snapshot_write(t, p, 1, &err), 0);
    ck_assert_int_eq(nfiles(), 1);
    ck_assert_int_eq(wfs_snapshot_read(&u, p, &err), 0);
    ck_assert_uint_eq(wfs_table_nrows(u), 5);
    ck_assert_uint_eq(wfs_table_ncols(u), 3);
    for (size_t j = 0; j < 3; j++) {
        ck_assert_str_eq(wfs_table_name(u, j), wfs_table_name(t, j));
        ck_assert_int_eq(wfs_table_type(u, j), wfs_table_type(t, j));
        ck_assert_uint_eq(wfs_table_nmissing(u, j), wfs_table_nmissing(t, j));
    }
    const double *a = wfs_table_numeric(t, 0), *b = wfs_table_numeric(u, 0);
    ck_assert_int_eq(memcmp(a, b, 5 * sizeof *a), 0);
    ck_assert_int_eq(memcmp(wfs_table_missing(t, 0), wfs_table_missing(u, 0), 5), 0);
    ck_assert_int_eq(memcmp(wfs_table_codes(t, 1), wfs_table_codes(u, 1), 5 * sizeof(int32_t)), 0);
    ck_assert_uint_eq(wfs_table_nlevels(u, 1), 2);
    ck_assert_str_eq(wfs_table_level(u, 1, 1), "b");
    const char *const *tt = wfs_table_text(t, 2), *const *tu = wfs_table_text(u, 2);
    for (size_t i = 0; i < 5; i++) {
        if (!tt[i]) ck_assert_ptr_null(tu[i]);
        else ck_assert_str_eq(tu[i], tt[i]);
    }
    /* A mapped column can be replaced in place (copy on write). */
    static const double z[5] = {1, 2, 3, 4, NAN};
    ck_assert_int_eq(wfs_table_set_numeric(u, 0, z, &err), 0);
    ck_assert(wfs_table_numeric(u, 0)[3] == 4);
    wfs_table_free(u);
    /* The file is unchanged. */
    ck_assert_int_eq(wfs_snapshot_read(&u, p, &err), 0);
    ck_assert(wfs_table_numeric(u, 0)[3] == 1e300);
    wfs_table_free(u);
    /* No rows, no columns. */
    wfs_table *e;
    ck_assert_int_eq(wfs_table_new(&e, 0, &err), 0);
    ck_assert_int_eq(wfs_snapshot_write(e, p, 1, &err), 0);
    ck_assert_int_eq(wfs_snapshot_read(&u, p, &err), 0);
    ck_assert_uint_eq(wfs_table_ncols(u), 0);
    wfs_table_free(u);
    wfs_table_free(e);
    wfs_table_free(t);
}
END_TEST

static size_t file_bytes(const char *p, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(p, "rb");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void put_bytes(const char *p, const unsigned char *buf, size_t n)
{
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
    fclose(f);
}

/* Reading q must fail with a message holding want. */
static void refused(const char *q, const char *want)
{
    wfs_error err = WFS_ERROR_INIT;
    wfs_table *u = (wfs_table *)&err;
    ck_assert_int_ne(wfs_snapshot_read(&u, q, &err), 0);
    ck_assert_ptr_null(u);
    ck_assert_msg(strstr(err.message, want), "message \"%s\" lacks \"%s\"", err.message, want);
}

START_TEST(snapshot_refuses_damage)
{
    char p[512], q[512];
    snprintf(p, sizeof p, "%s/t.wfb", dir);
    snprintf(q, sizeof q, "%s/bad.wfb", dir);
    wfs_error err = WFS_ERROR_INIT;
    wfs_table *t = snapshot_table();
    ck_assert_int_eq(wfs_snapshot_write(t, p, 0, &err), 0);
    wfs_table_free(t);
    static unsigned char buf[1 << 16], bad[(1 << 16) + 1];
    size_t n = file_bytes(p, buf, sizeof buf);
    ck_assert_uint_gt(n, 96);
    uint64_t mlen;
    memcpy(&mlen, buf + 40, 8);
    size_t data = (size_t)((96 + mlen + 63) / 64 * 64); /* the first column's values */
    struct {
        size_t at; /* byte to change, or SIZE_MAX */
        size_t len;
        const char *want;
    } cases[] = {
        {SIZE_MAX, n - 1, "truncated"},
        {SIZE_MAX, 50, "header is cut short"},
        {SIZE_MAX, 7, "not a wfstat snapshot"},
        {SIZE_MAX, 0, "not a wfstat snapshot"},
        {0, n, "not a wfstat snapshot"},
        {8, n, "format version"},
        {20, n, "header is damaged"},
        {100, n, "column list is damaged"},
        {data + 3, n, "column \"y\" is damaged"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        memcpy(bad, buf, n);
        if (cases[k].at != SIZE_MAX) bad[cases[k].at] ^= 0x5a;
        put_bytes(q, bad, cases[k].len);
        refused(q, cases[k].want);
    }
    /* A longer file than the header says, and no file at all. */
    memcpy(bad, buf, n);
    bad[n] = 0;
    put_bytes(q, bad, n + 1);
    refused(q, "longer than");
    unlink(q);
    refused(q, "cannot open");
    refused(dir, "not a regular file");
    refused("/dev/null", "not a regular file");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("export");
    TCase *tc = tcase_create("export");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, file_write_refuses_to_overwrite);
    tcase_add_test(tc, file_write_errors);
    tcase_add_test(tc, outfile_commit_does_not_clobber);
    tcase_add_test(tc, csv_reads_back);
    tcase_add_test(tc, csv_weights);
    tcase_add_test(tc, csv_interrupted);
    tcase_add_test(tc, snapshot_round_trip);
    tcase_add_test(tc, snapshot_refuses_damage);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
