/*
 * xinetd.h - `sockipc xinetd-import`: reading xinetd.conf(5) files (the
 * parser, xinetd.c) and writing the equivalent `sockipc serve -f`
 * configuration in block syntax (the translation: xinetd_fold.c folds the
 * attributes, xinetd_map.c writes the blocks, xinetd_addr.c converts the
 * address forms of only_from and no_access).
 *
 * The parser keeps what it read as written: blocks (`defaults`, `service
 * NAME`) of attribute lines (`attr = v...`, `+=`, `-=`), each with the file
 * and line it came from, following `include FILE` and `includedir DIR` as
 * xinetd does.  Everything is bounded (line length, file size, number of
 * files, blocks and attributes, include depth), so hostile input is a
 * clear error, never unbounded memory.  The translation folds the defaults
 * into each service the way xinetd applies them and says, one line each,
 * what it cannot carry over.
 */
#ifndef SIPC_SERVE_XINETD_H
#define SIPC_SERVE_XINETD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Bounds of what the parser takes (xinetd has none; real files are a few
 * kilobytes). */
#define SIPC_XINETD_LINE_MAX   16384
#define SIPC_XINETD_FILE_MAX   (4 * 1024 * 1024)
#define SIPC_XINETD_TOTAL_MAX  (4 * 1024 * 1024)
#define SIPC_XINETD_FILES_MAX  4096
#define SIPC_XINETD_DEPTH_MAX  16
#define SIPC_XINETD_BLOCKS_MAX 10000
#define SIPC_XINETD_ATTRS_MAX  1000
/* Values of one attribute line, and of one attribute once the defaults
 * and the += lines are applied. */
#define SIPC_XINETD_VALUES_MAX 512
/* The configuration written: the defaults repeat in every service, so it
 * can outgrow the input. */
#define SIPC_XINETD_OUT_MAX (64 * 1024 * 1024)

/* Results: 0, or one of these (the exit statuses of xinetd-import). */
enum {
	SIPC_XINETD_EREAD = -1,   /* a file or directory could not be read */
	SIPC_XINETD_ESYNTAX = -2, /* not xinetd.conf syntax, or a bound passed */
};

/* One attribute line: NAME OP VALUE... */
struct sipc_xattr {
	char *name;
	char op;       /* '=', '+' (+=) or '-' (-=) */
	char **values; /* NULL-terminated; owned */
	int nvalues;
	const char *file; /* owned by the sipc_xinetd */
	unsigned line;
};

/* One block: `defaults` (name NULL) or `service NAME`. */
struct sipc_xblock {
	char *name;
	const char *file;
	unsigned line;
	struct sipc_xattr *attrs;
	size_t nattrs, cap;
};

struct sipc_xinetd {
	struct sipc_xblock *blocks; /* in the order read */
	size_t nblocks, cap;
	char **files; /* the names of the files read, for origins */
	size_t nfiles, filescap;
	size_t total;    /* bytes read so far, against SIPC_XINETD_TOTAL_MAX */
	bool no_include; /* include / includedir are errors (the fuzz target) */
	int depth;       /* include nesting */
	/* The files being read, outermost first: an include of one of them
	 * is a loop. */
	unsigned long long open_ids[SIPC_XINETD_DEPTH_MAX + 1][2];
};

void sipc__xinetd_init(struct sipc_xinetd *x);
void sipc__xinetd_free(struct sipc_xinetd *x);

/*
 * Reads PATH: a file in xinetd.conf syntax, or a directory read the way
 * `includedir` reads one (its files in C-locale order, skipping names with
 * a '.' or ending in '~').  0, or SIPC_XINETD_EREAD / SIPC_XINETD_ESYNTAX
 * with WHY ("FILE:LINE: what is wrong").
 */
int sipc__xinetd_read_path(struct sipc_xinetd *x, const char *path, char *why, size_t whylen);
/* Parses TEXT (LEN bytes, NUL bytes are an error) as the file ORIGIN.
 * `include` and `includedir` in it read the files they name. */
int sipc__xinetd_read_text(struct sipc_xinetd *x, const char *origin, const char *text, size_t len,
			   char *why, size_t whylen);

/*
 * Turns a host or network NAME of only_from / no_access into addresses:
 * writes "A B ..." (CIDR blocks or addresses, blank-separated) to OUT and
 * returns 0, or returns -1 with WHY.  The default (NULL) asks
 * getnetbyname(3), then getaddrinfo(3).
 */
typedef int sipc_xinetd_resolve_fn(void *arg, const char *name, char *out, size_t outlen, char *why,
				   size_t whylen);

/* The default resolver: getnetbyname(3), then getaddrinfo(3). */
int sipc__xinetd_resolve(void *arg, const char *name, char *out, size_t outlen, char *why,
			 size_t whylen);

/* Results of sipc__xinetd_addr. */
enum {
	SIPC_XADDR_LITERAL = 0,  /* an address form, converted */
	SIPC_XADDR_RESOLVED = 1, /* a name, resolved now (xinetd resolved it per client) */
	SIPC_XADDR_REFUSED = -1, /* a form with no sockipc equivalent (WHY) */
	SIPC_XADDR_INVALID = -2, /* not an address xinetd takes either (WHY) */
};

/*
 * Converts one word W of only_from / no_access into the blank-separated
 * blocks of sockipc's only_from (OUT): 10.1.0.0 -> 10.1.0.0/16,
 * 10.1.{2,3} -> 10.1.2.0/24 10.1.3.0/24, 0 -> 0.0.0.0/0 ::/0, a name ->
 * its addresses through RESOLVE (NULL: sipc__xinetd_resolve).
 */
int sipc__xinetd_addr(const char *w, sipc_xinetd_resolve_fn *resolve, void *arg, char *out,
		      size_t outlen, char *why, size_t whylen);

struct sipc_xinetd_map {
	FILE *conf;              /* the sockipc configuration */
	FILE *diag;              /* "FILE:LINE: service X: ..." lines, warnings and errors */
	const char *diag_prefix; /* before each diag line ("sockipc: "), or NULL */
	sipc_xinetd_resolve_fn *resolve;
	void *resolve_arg;
	unsigned warnings; /* out: attributes or services not carried over */
	unsigned errors;   /* out: invalid values */
	unsigned services; /* out: service blocks written */
};

/*
 * Writes X's services as sockipc configuration to M->conf, and one line
 * per thing not carried over (or carried over only in part) to M->diag.
 * A value xinetd itself would refuse (a port that is not a number) is an
 * error, counted in M->errors; SOURCES names what was read, for the
 * heading.  Returns 0, or -1 when M->errors is not 0.
 */
int sipc__xinetd_map(const struct sipc_xinetd *x, const char *sources, struct sipc_xinetd_map *m);

#endif /* SIPC_SERVE_XINETD_H */
