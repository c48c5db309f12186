/* fuzz_common.h - the small dataset every command-level fuzz target runs
 * against, written once per process to a private temporary file. */
#ifndef WFSTAT_FUZZ_COMMON_H
#define WFSTAT_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 24 rows: two strata, six PSUs, a weight, a numeric with a missing value,
 * a 0/1 item, a factor with a missing cell and a Likert item. */
static const char fuzz_dataset_csv[] =
    "id,stratum,psu,w,pay,met,role,region,likert,age\n"
    "1,A,1,10,100,1,SW,N,Agree,25\n2,A,1,10,120,0,SW,S,Disagree,31\n"
    "3,A,2,12,90,1,TM,N,Agree,45\n4,A,2,12,,0,TM,S,Neutral,52\n"
    "5,A,3,8,130,1,SW,N,Strongly agree,38\n6,A,3,8,110,0,OT,S,Agree,29\n"
    "7,A,1,10,105,1,SW,N,Disagree,61\n8,A,2,12,95,1,TM,,Agree,33\n"
    "9,B,1,20,80,0,OT,N,Neutral,41\n10,B,1,20,85,1,SW,S,Agree,27\n"
    "11,B,2,15,140,1,TM,N,Agree,36\n12,B,2,15,150,0,TM,S,Disagree,58\n"
    "13,B,3,18,70,0,OT,N,Neutral,44\n14,B,3,18,75,1,SW,S,Agree,23\n"
    "15,B,1,20,88,1,SW,N,Strongly agree,49\n16,B,2,15,99,0,OT,S,Agree,30\n"
    "17,A,1,10,101,1,SW,N,Agree,26\n18,A,3,8,111,0,OT,S,Neutral,39\n"
    "19,B,3,18,77,1,TM,N,Agree,47\n20,B,1,20,83,0,SW,S,Disagree,35\n"
    "21,A,2,12,97,1,SW,N,Agree,28\n22,B,2,15,145,1,TM,S,Agree,54\n"
    "23,A,3,8,125,0,OT,N,Disagree,42\n24,B,3,18,72,1,SW,S,Neutral,37\n";

/* Write text to a private temporary file once; returns its path. */
static inline const char *fuzz_temp_file(char *path, size_t n, const char *text, size_t len)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, n, "%s/wfstat-fuzz-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) abort();
    if (len && write(fd, text, len) != (ssize_t)len) abort();
    close(fd);
    return path;
}

/* Replace the contents of an existing temporary file. */
static inline void fuzz_rewrite(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (len && fwrite(data, 1, len, f) != len) abort();
    fclose(f);
}

#ifdef WFSTAT_CLI_H
/* A session printing to /dev/null with the dataset at path loaded twice, as
 * e (a second wave for change) and d (current), each with a stratified
 * cluster design. */
static inline void fuzz_session(session *s, const char *path)
{
    static FILE *devnull;
    if (!devnull && !(devnull = fopen("/dev/null", "w"))) abort();
    session_init(s);
    s->out = devnull;
    s->set.progress = 0;
    char setup[1024];
    snprintf(setup, sizeof setup,
             "load \"%s\" as e; design weight=w strata=stratum cluster=psu; "
             "load \"%s\" as d; design weight=w strata=stratum cluster=psu",
             path, path);
    if (session_run_text(s, setup, "setup")) abort();
}
#endif

#endif
