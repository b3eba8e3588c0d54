/*
 * prom.h - for the web tests: a plain HTTP/1.1 client on loopback, and a
 * strict parser of the Prometheus text exposition format (0.0.4), so
 * that /metrics is checked as a scraper would read it, and stricter.
 */
#ifndef PF_TESTS_PROM_H
#define PF_TESTS_PROM_H

#include <stddef.h>

/*
 * Send raw (len bytes) to 127.0.0.1:port and read until the server
 * closes or timeout_ms pass. Returns the status code (0: no status line
 * came back); *body (may be NULL) gets what came after the headers, or
 * everything when there was no status line.
 */
int tu_http_raw(int port, const char *raw, size_t len, char **body,
                int timeout_ms);
/* the same; *head (may be NULL) gets the status line and headers */
int tu_http_full(int port, const char *raw, size_t len, char **head,
                 char **body, int timeout_ms);
/* GET path with Connection: close */
int tu_http_get(int port, const char *path, char **body);

struct prom_sample {
    char *name;
    char *labels; /* as written between the braces, "" when none */
    double v;
};

struct prom {
    struct prom_sample *s;
    size_t n;
};

/*
 * Parse text; NULL when it is valid, else a message naming the line and
 * the problem (static storage). Checks: line syntax, names, label
 * escapes, HELP/TYPE once and before their samples, families not
 * interleaved, no duplicate series, counters not negative, histograms
 * with cumulative buckets, +Inf among them and equal to _count.
 */
const char *prom_parse(const char *text, struct prom *p);
/* the value of name{labels} ("" for none), or NAN */
double prom_get(const struct prom *p, const char *name, const char *labels);
void prom_free(struct prom *p);

#endif
