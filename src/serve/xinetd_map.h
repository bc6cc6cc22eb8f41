/*
 * xinetd_map.h - what the two halves of the xinetd translation share:
 * xinetd_fold.c knows each xinetd.conf(5) attribute and folds the defaults
 * into a service's effective attributes, and says what is not carried
 * over; xinetd_map.c writes each service as a sockipc block.  Private to
 * those two files.
 */
#ifndef SIPC_SERVE_XINETD_MAP_H
#define SIPC_SERVE_XINETD_MAP_H

#include <stdbool.h>
#include <stdio.h>

#include "serve/xinetd.h"
#include "why.h"

enum {
	A_ID,
	A_TYPE,
	A_FLAGS,
	A_DISABLE,
	A_SOCKET_TYPE,
	A_PROTOCOL,
	A_WAIT,
	A_USER,
	A_GROUP,
	A_GROUPS,
	A_INSTANCES,
	A_NICE,
	A_SERVER,
	A_SERVER_ARGS,
	A_ONLY_FROM,
	A_NO_ACCESS,
	A_ACCESS_TIMES,
	A_LOG_TYPE,
	A_LOG_ON_SUCCESS,
	A_LOG_ON_FAILURE,
	A_ENV,
	A_PASSENV,
	A_PORT,
	A_REDIRECT,
	A_BIND,
	A_BANNER,
	A_BANNER_SUCCESS,
	A_BANNER_FAIL,
	A_PER_SOURCE,
	A_CPS,
	A_MAX_LOAD,
	A_UMASK,
	A_RLIMIT_AS,
	A_RLIMIT_CPU,
	A_RLIMIT_FILES,
	A_RLIMIT_DATA,
	A_RLIMIT_RSS,
	A_RLIMIT_STACK,
	A_DENY_TIME,
	A_LIBWRAP,
	A_MDNS,
	A_RPC_VERSION,
	A_RPC_NUMBER,
	A_V6ONLY,
	A_DISABLED,
	A_ENABLED,
	A_COUNT
};

#define F_LIST  1 /* a set: += and -= apply */
#define F_DEF   2 /* allowed in defaults */
#define F_CUMUL 4 /* in defaults, = adds to what is there */
#define F_SVC   8 /* allowed in a service */

struct sipc__xattr_info {
	const char *name;
	unsigned flags;
	const char *unsupported; /* why it is not carried over; NULL: it is */
};

/* Every attribute of xinetd.conf(5), indexed by A_*. */
extern const struct sipc__xattr_info sipc__xinetd_attrs[A_COUNT];

/* An attribute's effective value: words borrowed from the parsed file. */
struct sipc__xeff {
	const char **v;
	int n, cap;
	const struct sipc_xattr *at; /* the line that set it last */
	bool set;
};

struct sipc__xctx {
	const struct sipc_xinetd *x;
	struct sipc_xinetd_map *m;
	struct sipc__xeff def[A_COUNT];
	char **labels; /* block names written, each once */
	size_t nlabels;
	char **said; /* diagnostics about defaults lines, said once */
	size_t nsaid;
	/* Names resolved so far: the defaults' names recur in every service. */
	struct sipc__xresolved {
		char *name, *out, *why;
		int rc;
	} * cache;
	size_t ncache;
	bool oom;
};

/* One service being written. */
struct sipc__xsvc {
	struct sipc__xctx *c;
	const struct sipc_xblock *b;
	char label[132];
	struct sipc__xeff e[A_COUNT];
	FILE *body;  /* the block's lines */
	FILE *notes; /* its comments on what was not carried over, after them */
	char *nbuf;
	size_t nlen;
	int family;      /* flags: 4 (IPv4), 6 (IPv6), 0 (neither) */
	bool nameinargs; /* flags: NAMEINARGS */
	char *buf;
	size_t len;
	char **access[2]; /* the blocks of only_from, no_access written */
	const char *skip; /* why it is not converted; NULL: it is */
	char skipbuf[300];
	bool disabled;
};

void sipc__xinetd_eff_clear(struct sipc__xeff *e);
int sipc__xinetd_eff_copy(struct sipc__xeff *to, const struct sipc__xeff *from);
/* True when E holds W (case aside). */
bool sipc__xinetd_eff_has(const struct sipc__xeff *e, const char *w);

/* "FILE:LINE: WHO: TEXT" on the diagnostic stream. */
void sipc__xinetd_diag(struct sipc__xctx *c, const char *file, unsigned line, const char *who,
		       const char *fmt, ...) SIPC__PRINTF(5, 6);
/* "service NAME", or "defaults" for S NULL, in BUF. */
const char *sipc__xinetd_who(const struct sipc__xsvc *s, char *buf, size_t len);
/* One line about AT, counted as an error or a warning; a line of the
 * defaults is said once, about "defaults". */
void sipc__xinetd_report(struct sipc__xctx *c, struct sipc__xsvc *s, const struct sipc_xattr *at,
			 bool error, const char *fmt, ...) SIPC__PRINTF(5, 6);
/* WHAT of AT is not carried over, for REASON: a line, and a comment in
 * the block (in the heading for the defaults). */
void sipc__xinetd_unsupported(struct sipc__xctx *c, struct sipc__xsvc *s,
			      const struct sipc_xattr *at, const char *what, const char *reason);
/* An invalid value of AT: an error line naming the attribute. */
void sipc__xinetd_value_error(struct sipc__xctx *c, struct sipc__xsvc *s,
			      const struct sipc_xattr *at, const char *fmt, ...) SIPC__PRINTF(4, 5);
/* Walks BLOCK's attributes into E: the defaults' (S NULL), or a service's
 * (DEF: the defaults, where += and -= start). */
void sipc__xinetd_collect(struct sipc__xctx *c, struct sipc__xsvc *s, const struct sipc_xblock *b,
			  struct sipc__xeff *e, const struct sipc__xeff *def);

#endif /* SIPC_SERVE_XINETD_MAP_H */
