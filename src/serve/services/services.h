/*
 * services.h - the services of src/serve/services, one file each, named
 * by the table in table.c; and the pure helpers behind chargen, daytime
 * and time, exposed for the unit tests.
 */
#ifndef SIPC_SERVE_SERVICES_H
#define SIPC_SERVE_SERVICES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "serve/service.h"

extern const struct sipc_service sipc__svc_echo;
extern const struct sipc_service sipc__svc_discard;
extern const struct sipc_service sipc__svc_chargen;
extern const struct sipc_service sipc__svc_daytime;
extern const struct sipc_service sipc__svc_time;
extern const struct sipc_service sipc__svc_exec;
extern const struct sipc_service sipc__svc_forward;
extern const struct sipc_service sipc__svc_broadcast;
extern const struct sipc_service sipc__svc_socks5;
extern const struct sipc_service sipc__svc_http_connect;

/* Options at the head of a service's arguments (svcopt.c):
 * `--name=VALUE` words up to the first other word or a lone "--". */
enum sipc_svc_opt_type {
	SIPC__SVC_OPT_INT,    /* long *, in [min, max] */
	SIPC__SVC_OPT_MS,     /* int *: decimal seconds stored as ms, [min, max] ms */
	SIPC__SVC_OPT_SIZE,   /* size_t *: bytes, K/M/G suffixes, [min, max] */
	SIPC__SVC_OPT_STRING, /* const char **: the value as written, not empty */
	SIPC__SVC_OPT_FLAG,   /* bool *: `--name` alone sets it */
	SIPC__SVC_OPT_LIST,   /* struct sipc_svc_list *: repeatable, each value as
				 written (not empty) appended, at most max */
};

/* The values of a repeatable option, in the order given; V is the
 * caller's array of the option's max entries. */
struct sipc_svc_list {
	const char **v;
	int n;
};

struct sipc_svc_opt {
	const char *name; /* NULL ends the table */
	enum sipc_svc_opt_type type;
	void *dest;
	long min, max;
};

/* Parses the leading options of ARGV[0..ARGC-1] for service SVC; *USED is
 * the number of words taken (options and a closing "--").  0, or -1 with
 * WHY ("exec: --max-children: 'x' is not a whole number in 1..100000"). */
int sipc__svc_opts_parse(const char *svc, int argc, char **argv, const struct sipc_svc_opt *opts,
			 int *used, char *why, size_t whylen);

/* RFC 864: 72 pattern characters then CR LF. */
#define SIPC_CHARGEN_WIDTH 72
#define SIPC_CHARGEN_LINE  74
/* The 95 printing characters of the ring. */
#define SIPC_CHARGEN_RING 95

/* The character at position K of RFC 864's ring: '!' (33) first, then
 * '"' ... '~' (126), then ' ' (32) last. */
char sipc__chargen_ring(unsigned k);
/* Writes LEN bytes of the chargen stream starting at byte OFFSET of the
 * stream (line 0 begins at offset 0). */
void sipc__chargen_fill(uint64_t offset, uint8_t *buf, size_t len);

/* RFC 867 in xinetd's format: "DD MON YYYY HH:MM:SS ZONE\r\n" in local
 * time (TZ).  Returns the length written (without NUL), 0 if LEN is too
 * small. */
size_t sipc__daytime_format(time_t t, char *buf, size_t len);

/* RFC 868: seconds since 1900-01-01 00:00 UTC, modulo 2^32. */
uint32_t sipc__time_since_1900(time_t t);

#endif /* SIPC_SERVE_SERVICES_H */
