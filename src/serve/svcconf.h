/*
 * svcconf.h - what one service of `sockipc serve` was configured with: the
 * limits, access rules, process attributes and log fields that xinetd
 * sets per service.  A block of a configuration file (`service NAME {
 * ... }`, see svcconf.c) fills one; the `defaults { ... }` block and the
 * global flags fill the one that plain service lines (-e, the arguments,
 * one-line file lines) share.  Every service line points at its conf
 * (config.h: line->conf) with each default already filled in, so the core
 * and the services read a field and never look further.
 */
#ifndef SIPC_SERVE_SVCCONF_H
#define SIPC_SERVE_SVCCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sys/types.h>

#include "serve/acl.h"

/* Fields of log_on_success / log_on_failure (xinetd's names). */
enum {
	SIPC_LOGF_PID = 1,      /* the pid serving the connection (exec: the child) */
	SIPC_LOGF_HOST = 2,     /* the peer's address */
	SIPC_LOGF_EXIT = 4,     /* exec: the child's exit status */
	SIPC_LOGF_DURATION = 8, /* how long the connection lasted */
	SIPC_LOGF_TRAFFIC = 16, /* bytes in and out */
	SIPC_LOGF_ATTEMPT = 32, /* failure: a refused attempt is logged at all */
};

/* A daily window of access_times, in minutes since local midnight; TO <
 * FROM wraps past midnight (22:00-02:00). */
struct sipc_time_range {
	int from;
	int to;
};

/* "Not set" for the numeric fields below, before defaults are filled. */
#define SIPC_SVC_UNSET (-2L)
/* "No limit" (UNLIMITED). */
#define SIPC_SVC_UNLIMITED (-1L)

/* Defaults that no flag sets. */
#define SIPC_SVC_PREFIX6_DEFAULT   64
#define SIPC_SVC_CPS_PAUSE_DEFAULT 10000 /* ms, as xinetd's cps = N 10 */

struct sipc_svc_conf {
	char *name;   /* the block's NAME; NULL for plain lines */
	char *origin; /* "FILE:LINE" of the block's head, or "flags" */
	bool disabled;

	/* Who may connect and how often (enforced at accept, limits.c). */
	long instances;                /* open connections of the service; UNLIMITED */
	long per_source;               /* open connections from one source; UNLIMITED */
	int per_source_prefix6;        /* IPv6 sources grouped by this prefix length */
	long cps;                      /* new connections per second; UNLIMITED */
	int cps_pause_ms;              /* then no accepting for this long */
	struct sipc_acl only_from;     /* empty: who the global --allow admits */
	struct sipc_acl no_access;     /* refused even when only_from admits */
	struct sipc_acl accept_proxy;  /* upstreams whose PROXY header is read (IP
					  CIDR only; empty: nobody's, the default) */
	struct sipc_time_range *times; /* access_times; none: always */
	size_t ntimes;

	/* The processes that serve it (exec children; the whole server when
	 * every service names the same user). */
	char *user;  /* NULL: not set */
	char *group; /* NULL: the user's primary group */
	bool groups; /* the user's supplementary groups too */
	uid_t uid;   /* resolved at load: valid when user != NULL */
	gid_t gid;   /* resolved: valid when user or group != NULL */
	int nice;    /* SIPC_SVC_NICE_UNSET: leave it */
	long umask;  /* SIPC_SVC_UNSET: leave it; else 0..0777 */
	char **env;  /* NAME=VALUE, NULL-terminated or NULL */
	size_t nenv;
	char **passenv; /* NAME, NULL-terminated or NULL */
	size_t npassenv;
	char *banner; /* a file sent to a stream client before the service */
	/* SIPC_SVC_UNSET: inherit; SIPC_SVC_UNLIMITED: RLIM_INFINITY. */
	long long rlimit_as;
	long long rlimit_cpu;
	long long rlimit_files;

	/* Logging: SIPC_LOGF_* bits. */
	unsigned log_on_success;
	unsigned log_on_failure;

	/* Per-service values of global flags. */
	int idle_ms;    /* 0: no idle timeout */
	size_t max_msg; /* largest datagram / seqpacket message / line */
};

#define SIPC_SVC_NICE_UNSET 100

/* Default log fields: what the close and refused lines printed before
 * the fields could be chosen. */
#define SIPC_LOGF_SUCCESS_DEFAULT (SIPC_LOGF_HOST | SIPC_LOGF_DURATION | SIPC_LOGF_TRAFFIC)
#define SIPC_LOGF_FAILURE_DEFAULT (SIPC_LOGF_HOST | SIPC_LOGF_ATTEMPT)

/* A conf with nothing set (every field "unset"), or NULL (out of memory). */
struct sipc_svc_conf *sipc__svc_conf_new(const char *name, const char *origin);
void sipc__svc_conf_free(struct sipc_svc_conf *sc);
/* Fills every field CONF left unset from DEF, copying lists (a block
 * begins as a copy of `defaults`; the flags fill what is left).  0, or -1
 * (out of memory). */
int sipc__svc_conf_inherit(struct sipc_svc_conf *conf, const struct sipc_svc_conf *def);
/* Sets what is still unset to the built-in defaults. */
void sipc__svc_conf_complete(struct sipc_svc_conf *conf);

/*
 * Sets attribute KEY of CONF from the words of its value (split like a -e
 * line); APPEND for `+=` (lists only).  ARGV/ARGC: the value's words.
 * Returns 0, or -1 with WHY saying what is wrong ("'abc' is not a whole
 * number"); the caller prefixes FILE:LINE and the attribute.  `listen`,
 * `run` and `disable` are the caller's (svcconf.c's block parser).
 */
int sipc__svc_conf_set(struct sipc_svc_conf *conf, const char *key, char *const *argv, int argc,
		       bool append, char *why, size_t whylen);

/* True when CONF admits a connection now (access_times) given the local
 * time MINUTE (minutes since midnight). */
bool sipc__svc_conf_time_allows(const struct sipc_svc_conf *conf, int minute);

/* Writes the block of CONF's attributes (one `    key = value` line each,
 * defaults included) to F, for `serve --check`. */
void sipc__svc_conf_print(const struct sipc_svc_conf *conf, FILE *f);
/* " WORD" as a configuration line reads it back (quoted when needed). */
void sipc__svc_conf_print_word(FILE *f, const char *w);

#endif /* SIPC_SERVE_SVCCONF_H */
