/*
 * configfile.c - reads a configuration file of `sockipc serve` (-f FILE):
 * one-line service lines as before, and the blocks an xinetd user knows:
 *
 *     defaults                        service finger
 *     {                               {
 *         instances = 50                  listen = tcp://0.0.0.0:79
 *     }                                   run    = exec /usr/sbin/in.fingerd
 *                                         user   = nobody
 *                                     }
 *
 * A block's '{' may end its head line or stand on the next one; each
 * attribute is `key = value` or `key += value` (lists), one per line; the
 * value's words are split as a -e line is.  `listen`, `run` and `disable`
 * are read here, every other attribute by svcconf.c.  A service block
 * begins as a copy of the `defaults` block before it; the flags fill what
 * both leave unset (config.c).  Errors name FILE:LINE and the attribute.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/config.h"
#include "serve/svcconf.h"
#include "serve/tls.h"

/*
 * Reads one line of F into BUF (without its newline), at most
 * SIPC_SERVE_LINE_MAX bytes.  Returns 1 for a line, 0 at the end of the
 * file, -1 with WHY for a line too long, a NUL byte (which would cut the
 * line silently once it is a C string) or a read error.  It stops at the
 * first byte past the bound, so `-f /dev/zero` fails at once instead of
 * growing a buffer without limit as getline(3) would.
 */
static int read_line(FILE *f, char *buf, size_t *total, const char *origin, char *why,
		     size_t whylen)
{
	size_t len = 0;
	int ch;

	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (ch == '\0') {
			snprintf(why, whylen, "%s: NUL byte", origin);
			return -1;
		}
		if (len == SIPC_SERVE_LINE_MAX) {
			snprintf(why, whylen, "%s: line longer than %d bytes", origin,
				 SIPC_SERVE_LINE_MAX);
			return -1;
		}
		buf[len++] = (char)ch;
	}
	if (ferror(f)) {
		snprintf(why, whylen, "%s: %s", origin, strerror(errno));
		return -1;
	}
	*total += len + (ch == '\n');
	if (*total > SIPC_SERVE_FILE_MAX) {
		snprintf(why, whylen, "%s: the file is larger than %d bytes", origin,
			 SIPC_SERVE_FILE_MAX);
		return -1;
	}
	buf[len] = '\0';
	return ch == EOF && len == 0 ? 0 : 1;
}

/* The block being read. */
struct block {
	enum { NONE, HEAD, BODY } state;
	bool is_defaults;
	struct sipc_svc_conf *conf;
	char head[600]; /* "FILE:LINE" of the head */
	char **listen;  /* URLs */
	int nlisten;
	char **run; /* SERVICE [ARGS...] */
	int nrun;
	char run_at[600]; /* where `run` was written */
};

static void block_reset(struct block *b)
{
	sipc__serve_words_free(b->listen);
	sipc__serve_words_free(b->run);
	sipc__svc_conf_free(b->conf);
	memset(b, 0, sizeof(*b));
}

static bool name_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > 128)
		return false;
	for (; *s != '\0'; s++)
		if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static const char *skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

/* True when only blanks and a comment are left of P. */
static bool rest_empty(const char *p)
{
	p = skip_blank(p);
	return *p == '\0' || *p == '#';
}

static struct sipc_svc_conf *find_block(const struct sipc_serve_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nconfs; i++)
		if (cfg->confs[i]->name != NULL && strcmp(cfg->confs[i]->name, name) == 0)
			return cfg->confs[i];
	return NULL;
}

/* `service NAME [{]` or `defaults [{]`. */
static int block_head(struct sipc_serve_config *cfg, struct block *b, char **argv, int argc,
		      const char *origin, char *why, size_t whylen)
{
	bool is_defaults = strcmp(argv[0], "defaults") == 0;
	int want = is_defaults ? 1 : 2;
	const char *name = is_defaults ? NULL : argv[1];
	struct sipc_svc_conf *old;

	if (argc < want || argc > want + 1 || (argc == want + 1 && strcmp(argv[want], "{") != 0)) {
		snprintf(why, whylen, "%s: expected '%s' then '{'", origin,
			 is_defaults ? "defaults" : "service NAME");
		return -1;
	}
	if (!is_defaults && !name_ok(name)) {
		snprintf(why, whylen,
			 "%s: service name '%.60s': letters, digits, '-', '_' and '.' only (at "
			 "most 128)",
			 origin, name);
		return -1;
	}
	if (is_defaults && cfg->defaults != NULL) {
		snprintf(why, whylen, "%s: a second defaults block (the first is at %s)", origin,
			 cfg->defaults->origin);
		return -1;
	}
	if (!is_defaults && (old = find_block(cfg, name)) != NULL) {
		snprintf(why, whylen, "%s: service '%s' is already defined at %s", origin, name,
			 old->origin);
		return -1;
	}
	b->conf = sipc__svc_conf_new(name, origin);
	if (b->conf == NULL || (!is_defaults && cfg->defaults != NULL &&
				sipc__svc_conf_inherit(b->conf, cfg->defaults) < 0)) {
		snprintf(why, whylen, "%s: out of memory", origin);
		return -1;
	}
	b->is_defaults = is_defaults;
	snprintf(b->head, sizeof(b->head), "%s", origin);
	b->state = argc == want + 1 ? BODY : HEAD;
	return 0;
}

/* Appends the words of V to *LISTP. */
static int words_append(char ***listp, int *np, char *const *v, int n)
{
	char **l = realloc(*listp, (size_t)(*np + n + 1) * sizeof(*l));

	if (l == NULL)
		return -1;
	*listp = l;
	for (int i = 0; i < n; i++) {
		l[*np] = strdup(v[i]);
		if (l[*np] == NULL)
			return -1;
		l[++*np] = NULL;
	}
	return 0;
}

/* One `key = value` line of a block. */
static int block_attr(struct block *b, const char *text, const char *origin, char *why,
		      size_t whylen)
{
	const char *p = skip_blank(text), *k = p;
	char key[64], detail[300];
	bool append = false;
	char **argv = NULL;
	int argc = 0, rc = -1;

	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	if (p == k || (size_t)(p - k) >= sizeof(key)) {
		snprintf(why, whylen, "%s: expected 'attribute = value' or '}'", origin);
		return -1;
	}
	memcpy(key, k, (size_t)(p - k));
	key[p - k] = '\0';
	p = skip_blank(p);
	if (*p == '+' && p[1] == '=') {
		append = true;
		p += 2;
	} else if (*p == '-' && p[1] == '=') {
		snprintf(why, whylen, "%s: attribute '%s': -= is not supported; write the list out",
			 origin, key);
		return -1;
	} else if (*p == '=') {
		p++;
	} else {
		snprintf(why, whylen, "%s: attribute '%s': expected '=' or '+=' after it", origin,
			 key);
		return -1;
	}
	if (sipc__serve_split(p, &argv, &argc, detail, sizeof(detail)) < 0)
		goto bad;
	if (argc == 0) {
		snprintf(detail, sizeof(detail), "a value is missing");
		goto bad;
	}
	if (strcmp(key, "listen") == 0 || strcmp(key, "run") == 0 || strcmp(key, "disable") == 0) {
		if (b->is_defaults) {
			snprintf(detail, sizeof(detail),
				 "belongs in a service block, not defaults");
			goto bad;
		}
		if (key[0] == 'l') {
			if (!append) {
				sipc__serve_words_free(b->listen);
				b->listen = NULL;
				b->nlisten = 0;
			}
			if (words_append(&b->listen, &b->nlisten, argv, argc) < 0)
				goto nomem;
		} else if (key[0] == 'r') {
			if (append) {
				snprintf(detail, sizeof(detail), "+= applies to lists only; use =");
				goto bad;
			}
			sipc__serve_words_free(b->run);
			b->run = NULL;
			b->nrun = 0;
			if (words_append(&b->run, &b->nrun, argv, argc) < 0)
				goto nomem;
			snprintf(b->run_at, sizeof(b->run_at), "%s", origin);
		} else {
			bool v = false;
			if (argc != 1 ||
			    (strcmp(argv[0], "yes") != 0 && strcmp(argv[0], "no") != 0)) {
				snprintf(detail, sizeof(detail), "expected yes or no");
				goto bad;
			}
			v = strcmp(argv[0], "yes") == 0;
			b->conf->disabled = v;
		}
		rc = 0;
		goto out;
	}
	if (sipc__svc_conf_set(b->conf, key, argv, argc, append, detail, sizeof(detail)) == 0) {
		rc = 0;
		goto out;
	}
bad:
	snprintf(why, whylen, "%s: attribute '%s': %s", origin, key, detail);
	goto out;
nomem:
	snprintf(why, whylen, "%s: out of memory", origin);
out:
	sipc__serve_words_free(argv);
	return rc;
}

/* '}': the block's lines join the configuration. */
static int block_end(struct sipc_serve_config *cfg, struct block *b, const char *origin, char *why,
		     size_t whylen)
{
	struct sipc_svc_conf *conf = b->conf;
	const char *name = conf->name;

	if (b->is_defaults) {
		if (sipc__serve_config_own(cfg, conf) < 0)
			goto nomem;
		cfg->defaults = conf;
		b->conf = NULL;
		block_reset(b);
		return 0;
	}
	if (!conf->disabled && b->nlisten == 0) {
		snprintf(why, whylen, "%s: service '%s' has no 'listen = URL' (block ends at %s)",
			 b->head, name, origin);
		return -1;
	}
	if (sipc__serve_config_own(cfg, conf) < 0)
		goto nomem;
	b->conf = NULL;
	for (int i = 0; !conf->disabled && i < b->nlisten; i++) {
		/* URL, then `run`'s words, or the service the block is named. */
		int argc = 1 + (b->nrun > 0 ? b->nrun : 1);
		char **argv = calloc((size_t)argc + 1, sizeof(*argv));
		if (argv == NULL)
			goto nomem;
		argv[0] = b->listen[i];
		for (int k = 1; k < argc; k++)
			argv[k] = b->nrun > 0 ? b->run[k - 1] : conf->name;
		int rc = sipc__serve_config_add_words(cfg, b->nrun > 0 ? b->run_at : b->head, argv,
						      argc, why, whylen);
		free(argv);
		if (rc < 0)
			return -1;
		cfg->lines[cfg->nlines - 1].conf = conf;
	}
	block_reset(b);
	return 0;
nomem:
	snprintf(why, whylen, "%s: out of memory", origin);
	return -1;
}

/* One line of the file, in or out of a block. */
static int file_line(struct sipc_serve_config *cfg, struct block *b, const char *text,
		     const char *origin, char *why, size_t whylen)
{
	const char *p = skip_blank(text);
	char **argv;
	int argc, rc;
	char detail[128];

	if (b->state == BODY) {
		if (*p == '}') {
			if (!rest_empty(p + 1)) {
				snprintf(why, whylen, "%s: nothing may follow '}' on its line",
					 origin);
				return -1;
			}
			return block_end(cfg, b, origin, why, whylen);
		}
		if (rest_empty(p))
			return 0;
		return block_attr(b, p, origin, why, whylen);
	}
	if (b->state == HEAD) {
		if (rest_empty(p))
			return 0;
		if (*p != '{' || !rest_empty(p + 1)) {
			snprintf(why, whylen, "%s: expected '{' to open the block of %s", origin,
				 b->head);
			return -1;
		}
		b->state = BODY;
		return 0;
	}
	if (sipc__serve_split(text, &argv, &argc, detail, sizeof(detail)) < 0) {
		snprintf(why, whylen, "%s: %s", origin, detail);
		return -1;
	}
	if (argc > 0 && (strcmp(argv[0], "service") == 0 || strcmp(argv[0], "defaults") == 0))
		rc = block_head(cfg, b, argv, argc, origin, why, whylen);
	else if (argc > 0 && strcmp(argv[0], "}") == 0) {
		snprintf(why, whylen, "%s: '}' without a block", origin);
		rc = -1;
	} else
		rc = argc == 0 ? 0
			       : sipc__serve_config_add_words(cfg, origin, argv, argc, why, whylen);
	sipc__serve_words_free(argv);
	return rc;
}

int sipc__serve_config_add_file(struct sipc_serve_config *cfg, const char *path, char *why,
				size_t whylen)
{
	FILE *f;
	char *buf;
	size_t total = 0;
	unsigned lineno = 0;
	int rc = 0;
	char origin[512];
	struct block b = {0};

	buf = malloc(SIPC_SERVE_LINE_MAX + 1);
	if (buf == NULL) {
		snprintf(why, whylen, "%s: out of memory", path);
		return -1;
	}
	f = fopen(path, "re");
	if (f == NULL) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		free(buf);
		return -1;
	}
	while (rc == 0) {
		lineno++;
		snprintf(origin, sizeof(origin), "%s:%u", path, lineno);
		rc = read_line(f, buf, &total, origin, why, whylen);
		if (rc <= 0)
			break;
		if (lineno > SIPC_SERVE_FILE_LINES_MAX) {
			snprintf(why, whylen, "%s: more than %d lines", origin,
				 SIPC_SERVE_FILE_LINES_MAX);
			rc = -1;
			break;
		}
		rc = file_line(cfg, &b, buf, origin, why, whylen);
	}
	if (rc == 0 && b.state != NONE) {
		snprintf(why, whylen,
			 "%s: the block is not closed with '}' before the end of the file", b.head);
		rc = -1;
	}
	block_reset(&b);
	free(buf);
	fclose(f);
	if (rc < 0) {
		/* The message quotes the file's words: no control byte of them
		 * reaches a terminal or a log raw. */
		char *raw = strdup(why);
		if (raw != NULL) {
			sipc__serve_tls_escape(raw, why, whylen);
			free(raw);
		}
	}
	return rc < 0 ? -1 : 0;
}
