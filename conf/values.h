/*
 * values — private to conf: parsers for the kinds of value a key takes.
 * Each returns 0, or -1 with err saying what was expected (without the
 * file:line, which the caller adds).
 */
#ifndef CONSENT_CONF_VALUES_H
#define CONSENT_CONF_VALUES_H

#include "conf.h"

/* Formats an error into err, truncated to fit. */
void conf_errf(char err[CONF_ERR_MAX], const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int value_bool(const char *v, bool *out, char err[CONF_ERR_MAX]);
/* A size in bytes with an optional K, M or G suffix, within [min, max]. */
int value_size(const char *v, size_t min, size_t max, size_t *out, char err[CONF_ERR_MAX]);
/* A duration: "0"/"off" or a number with s, m(inutes), h, d, w or y. */
int value_duration(const char *v, int64_t *out, char err[CONF_ERR_MAX]);
/* One of names[] (NULL-terminated), case-insensitive; *out is its index. */
int value_choice(const char *v, const char *const *names, int *out, char err[CONF_ERR_MAX]);
/* inet:PORT@HOST, inet6:PORT@HOST, local:/path or unix:/path. */
int value_socket(const char *v, char err[CONF_ERR_MAX]);
/* "auth" and/or networks (a.b.c.d/n, x::y/n, a bare address), separated
 * by commas or blanks. */
int value_trusted(const char *v, bool *auth, conf_network **nets, size_t *n,
                  char err[CONF_ERR_MAX]);
/* Parses an address with an optional /prefix into a conf_network. */
int value_network(const char *v, conf_network *out, char err[CONF_ERR_MAX]);
/* An RFC 5322 header field name. */
int value_header_name(const char *v, char err[CONF_ERR_MAX]);
int value_facility(const char *v, int *out, char err[CONF_ERR_MAX]);
int value_umask(const char *v, unsigned *out, char err[CONF_ERR_MAX]);
/* An absolute path. */
int value_path(const char *v, char err[CONF_ERR_MAX]);
int value_int(const char *v, long min, long max, long *out, char err[CONF_ERR_MAX]);

#endif
