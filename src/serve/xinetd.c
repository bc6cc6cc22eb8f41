/*
 * xinetd.c - reads xinetd.conf(5) syntax into blocks of attribute lines,
 * as written: `defaults { }`, `service NAME { }`, `attr = | += | -= values`,
 * whole-line '#' comments, `include FILE` and `includedir DIR` (between
 * blocks only, as xinetd requires).  Values are split at blanks only:
 * xinetd knows no quotes, and a '#' after a value is a value.  Every
 * quantity is bounded and an include loop is named, so a hostile or
 * broken file is one clear error.
 */
#include "serve/xinetd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "why.h"

void sipc__xinetd_init(struct sipc_xinetd *x)
{
	memset(x, 0, sizeof(*x));
}

static void free_values(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

void sipc__xinetd_free(struct sipc_xinetd *x)
{
	for (size_t i = 0; i < x->nblocks; i++) {
		struct sipc_xblock *b = &x->blocks[i];

		for (size_t j = 0; j < b->nattrs; j++) {
			free(b->attrs[j].name);
			free_values(b->attrs[j].values);
		}
		free(b->attrs);
		free(b->name);
	}
	free(x->blocks);
	for (size_t i = 0; i < x->nfiles; i++)
		free(x->files[i]);
	free(x->files);
	memset(x, 0, sizeof(*x));
}

static int fail(char *why, size_t whylen, int rc, const char *fmt, ...) SIPC__PRINTF(4, 5);

static int fail(char *why, size_t whylen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return rc;
}

/* Keeps a copy of NAME for the origins of what it holds. */
static const char *keep_file(struct sipc_xinetd *x, const char *name)
{
	if (x->nfiles == x->filescap) {
		size_t cap = x->filescap ? x->filescap * 2 : 8;
		char **v = realloc(x->files, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		x->files = v;
		x->filescap = cap;
	}
	x->files[x->nfiles] = strdup(name);
	return x->files[x->nfiles] ? x->files[x->nfiles++] : NULL;
}

/* The parser's position: a file, a line, and the block open in it. */
struct cursor {
	struct sipc_xinetd *x;
	const char *file;
	unsigned line;
	enum { TOP, WANT_OPEN, IN_BLOCK } state;
	size_t block_ix; /* the open block (an index survives realloc) */
	char *why;
	size_t whylen;
};

/* Splits LINE (a C string, modified) at blanks into at most MAX words. */
static int split(char *line, char **words, int max)
{
	int n = 0;
	char *p = line;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (*p == '\0')
			break;
		if (n == max)
			return -1;
		words[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
	return n;
}

static int open_block(struct cursor *c, const char *name)
{
	struct sipc_xinetd *x = c->x;
	struct sipc_xblock *b;

	if (x->nblocks == SIPC_XINETD_BLOCKS_MAX)
		return fail(c->why, c->whylen, SIPC_XINETD_ESYNTAX, "%s:%u: more than %d blocks",
			    c->file, c->line, SIPC_XINETD_BLOCKS_MAX);
	if (x->nblocks == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 16;
		struct sipc_xblock *v = realloc(x->blocks, cap * sizeof(*v));

		if (v == NULL)
			goto nomem;
		x->blocks = v;
		x->cap = cap;
	}
	b = &x->blocks[x->nblocks];
	memset(b, 0, sizeof(*b));
	b->file = c->file;
	b->line = c->line;
	if (name != NULL && (b->name = strdup(name)) == NULL)
		goto nomem;
	c->block_ix = x->nblocks++;
	return 0;
nomem:
	return fail(c->why, c->whylen, SIPC_XINETD_EREAD, "%s:%u: out of memory", c->file, c->line);
}

/* NAME OP VALUE...: the op may touch the name or the first value. */
static int add_attr(struct cursor *c, char *text)
{
	struct sipc_xblock *b = &c->x->blocks[c->block_ix];
	struct sipc_xattr a = {0};
	char *p = text, *name, *end, **words = NULL;
	int n = -1;

	while (*p == ' ' || *p == '\t')
		p++;
	name = p;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	       *p == '_')
		p++;
	if (p == name)
		return fail(c->why, c->whylen, SIPC_XINETD_ESYNTAX,
			    "%s:%u: expected 'attribute = value' or '}', got '%.40s'", c->file,
			    c->line, name);
	a.name = strndup(name, (size_t)(p - name));
	end = p;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '=') {
		a.op = '=';
		p++;
	} else if ((*p == '+' || *p == '-') && p[1] == '=') {
		a.op = *p;
		p += 2;
	} else {
		free(a.name);
		return fail(
			c->why, c->whylen, SIPC_XINETD_ESYNTAX,
			"%s:%u: expected '=', '+=' or '-=' after '%.*s' (a block ends with '}')",
			c->file, c->line, (int)(end - name) > 40 ? 40 : (int)(end - name), name);
	}
	/* A word takes two bytes at least (itself and a blank). */
	words = malloc((strlen(p) / 2 + 1) * sizeof(*words));
	if (words != NULL)
		n = split(p, words, (int)(strlen(p) / 2 + 1));
	if (n > SIPC_XINETD_VALUES_MAX) {
		free(words);
		free(a.name);
		return fail(c->why, c->whylen, SIPC_XINETD_ESYNTAX,
			    "%s:%u: more than %d values on one line", c->file, c->line,
			    SIPC_XINETD_VALUES_MAX);
	}
	if (a.name == NULL || n < 0 || (a.values = calloc((size_t)n + 1, sizeof(char *))) == NULL)
		goto nomem;
	for (a.nvalues = 0; a.nvalues < n; a.nvalues++)
		if ((a.values[a.nvalues] = strdup(words[a.nvalues])) == NULL)
			goto nomem;
	free(words);
	words = NULL;
	if (b->nattrs == SIPC_XINETD_ATTRS_MAX) {
		free(a.name);
		free_values(a.values);
		return fail(c->why, c->whylen, SIPC_XINETD_ESYNTAX,
			    "%s:%u: more than %d attributes in one block", c->file, c->line,
			    SIPC_XINETD_ATTRS_MAX);
	}
	if (b->nattrs == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct sipc_xattr *v = realloc(b->attrs, cap * sizeof(*v));

		if (v == NULL)
			goto nomem;
		b->attrs = v;
		b->cap = cap;
	}
	a.file = c->file;
	a.line = c->line;
	b->attrs[b->nattrs++] = a;
	return 0;
nomem:
	free(words);
	free(a.name);
	free_values(a.values);
	return fail(c->why, c->whylen, SIPC_XINETD_EREAD, "%s:%u: out of memory", c->file, c->line);
}

static int read_include(struct cursor *c, const char *path, bool dir)
{
	struct stat st;
	int rc;
	char inner[512];

	if (c->x->no_include)
		return fail(c->why, c->whylen, SIPC_XINETD_ESYNTAX, "%s:%u: includes are off",
			    c->file, c->line);
	if (stat(path, &st) < 0)
		return fail(c->why, c->whylen, SIPC_XINETD_EREAD, "%s:%u: %s %s: %s", c->file,
			    c->line, dir ? "includedir" : "include", path, strerror(errno));
	if (dir != S_ISDIR(st.st_mode))
		return fail(c->why, c->whylen, SIPC_XINETD_EREAD, "%s:%u: %s %s: %s", c->file,
			    c->line, dir ? "includedir" : "include", path,
			    dir ? "not a directory" : "a directory (includedir reads one)");
	rc = sipc__xinetd_read_path(c->x, path, inner, sizeof(inner));
	if (rc < 0)
		snprintf(c->why, c->whylen, "%s:%u: %s", c->file, c->line, inner);
	return rc;
}

/* One line of the file, without its newline. */
static int parse_line(struct cursor *c, char *line)
{
	char *copy, *w[4];
	int n, rc = 0;

	for (const unsigned char *p = (const unsigned char *)line; *p != '\0'; p++)
		if ((*p < 0x20 && *p != '\t' && *p != '\r') || *p == 0x7f)
			return fail(c->why, c->whylen, SIPC_XINETD_ESYNTAX,
				    "%s:%u: control character 0x%02x", c->file, c->line, *p);
	copy = strdup(line);
	if (copy == NULL)
		return fail(c->why, c->whylen, SIPC_XINETD_EREAD, "%s:%u: out of memory", c->file,
			    c->line);
	n = split(copy, w, 4);
	if (n == 0 || w[0][0] == '#')
		goto out;
	if (c->state == IN_BLOCK) {
		if (n == 1 && strcmp(w[0], "}") == 0)
			c->state = TOP;
		else if (n >= 1 && strchr(w[0], '=') == NULL &&
			 (strcmp(w[0], "service") == 0 || strcmp(w[0], "defaults") == 0 ||
			  strcmp(w[0], "include") == 0 || strcmp(w[0], "includedir") == 0) &&
			 (n == 1 || strchr("=+-", w[1][0]) == NULL))
			rc = fail(
				c->why, c->whylen, SIPC_XINETD_ESYNTAX,
				"%s:%u: '%s' inside the block opened at line %u (a '}' is missing)",
				c->file, c->line, w[0], c->x->blocks[c->block_ix].line);
		else
			rc = add_attr(c, line);
		goto out;
	}
	if (c->state == WANT_OPEN) {
		if (n == 1 && strcmp(w[0], "{") == 0)
			c->state = IN_BLOCK;
		else
			rc = fail(c->why, c->whylen, SIPC_XINETD_ESYNTAX,
				  "%s:%u: expected '{' to open the block of line %u", c->file,
				  c->line, c->x->blocks[c->block_ix].line);
		goto out;
	}
	if (strcmp(w[0], "service") == 0 && (n == 2 || (n == 3 && strcmp(w[2], "{") == 0))) {
		rc = open_block(c, w[1]);
		c->state = n == 3 ? IN_BLOCK : WANT_OPEN;
	} else if (strcmp(w[0], "defaults") == 0 &&
		   (n == 1 || (n == 2 && strcmp(w[1], "{") == 0))) {
		rc = open_block(c, NULL);
		c->state = n == 2 ? IN_BLOCK : WANT_OPEN;
	} else if ((strcmp(w[0], "include") == 0 || strcmp(w[0], "includedir") == 0) && n == 2) {
		rc = read_include(c, w[1], w[0][7] == 'd');
	} else if (strcmp(w[0], "service") == 0 || strcmp(w[0], "include") == 0 ||
		   strcmp(w[0], "includedir") == 0) {
		rc = fail(c->why, c->whylen, SIPC_XINETD_ESYNTAX, "%s:%u: '%s' takes one %s",
			  c->file, c->line, w[0], w[0][0] == 's' ? "name" : "path");
	} else {
		rc = fail(c->why, c->whylen, SIPC_XINETD_ESYNTAX,
			  "%s:%u: expected 'service NAME', 'defaults', 'include FILE' or "
			  "'includedir DIR', got '%.40s'",
			  c->file, c->line, w[0]);
	}
out:
	free(copy);
	return rc;
}

int sipc__xinetd_read_text(struct sipc_xinetd *x, const char *origin, const char *text, size_t len,
			   char *why, size_t whylen)
{
	struct cursor c = {x, NULL, 0, TOP, 0, why, whylen};
	size_t pos = 0;
	char *line;
	int rc = 0;

	c.file = keep_file(x, origin);
	line = malloc(SIPC_XINETD_LINE_MAX + 1);
	if (c.file == NULL || line == NULL) {
		free(line);
		return fail(why, whylen, SIPC_XINETD_EREAD, "%s: out of memory", origin);
	}
	while (pos < len && rc == 0) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = (nl ? (size_t)(nl - text) : len) - pos;

		c.line++;
		if (memchr(text + pos, '\0', n) != NULL)
			rc = fail(why, whylen, SIPC_XINETD_ESYNTAX, "%s:%u: NUL byte", c.file,
				  c.line);
		else if (n > SIPC_XINETD_LINE_MAX)
			rc = fail(why, whylen, SIPC_XINETD_ESYNTAX,
				  "%s:%u: line longer than %d bytes", c.file, c.line,
				  SIPC_XINETD_LINE_MAX);
		else {
			memcpy(line, text + pos, n);
			line[n] = '\0';
			rc = parse_line(&c, line);
		}
		pos += n + 1;
	}
	free(line);
	if (rc == 0 && c.state != TOP)
		rc = fail(why, whylen, SIPC_XINETD_ESYNTAX,
			  "%s:%u: the block opened at line %u is not closed at the end of the file",
			  c.file, c.line, x->blocks[c.block_ix].line);
	return rc;
}

/* includedir's rule (xinetd's): a name with a '.' or ending in '~' is a
 * backup or a package manager's leftover, not a service. */
static bool skipped_name(const char *name)
{
	size_t n = strlen(name);

	return strchr(name, '.') != NULL || (n > 0 && name[n - 1] == '~');
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_dir(struct sipc_xinetd *x, const char *path, char *why, size_t whylen)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char **names = NULL, full[4096];
	size_t n = 0, cap = 0;
	int rc = 0;

	if (d == NULL)
		return fail(why, whylen, SIPC_XINETD_EREAD, "%s: %s", path, strerror(errno));
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (skipped_name(e->d_name))
			continue;
		if (n == SIPC_XINETD_FILES_MAX) {
			rc = fail(why, whylen, SIPC_XINETD_ESYNTAX, "%s: more than %d files", path,
				  SIPC_XINETD_FILES_MAX);
			break;
		}
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? cap * 2 : 32) * sizeof(*v));

			if (v == NULL) {
				rc = fail(why, whylen, SIPC_XINETD_EREAD, "%s: out of memory",
					  path);
				break;
			}
			names = v;
		}
		if ((names[n] = strdup(e->d_name)) == NULL)
			rc = fail(why, whylen, SIPC_XINETD_EREAD, "%s: out of memory", path);
		else
			n++;
	}
	closedir(d);
	if (names != NULL)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (rc == 0 &&
		    snprintf(full, sizeof(full), "%s/%s", path, names[i]) < (int)sizeof(full) &&
		    stat(full, &st) == 0 && S_ISREG(st.st_mode))
			rc = sipc__xinetd_read_path(x, full, why, whylen);
		free(names[i]);
	}
	free(names);
	return rc;
}

/* Reads the whole of FD (a regular file or not) within the bounds. */
static int read_file(struct sipc_xinetd *x, int fd, const char *path, char *why, size_t whylen)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	int rc;

	if (buf == NULL)
		return fail(why, whylen, SIPC_XINETD_EREAD, "%s: out of memory", path);
	for (;;) {
		ssize_t r;

		if (len == cap) {
			char *p = cap >= SIPC_XINETD_FILE_MAX ? NULL : realloc(buf, cap * 2);

			if (p == NULL) {
				free(buf);
				return fail(why, whylen, SIPC_XINETD_ESYNTAX,
					    "%s: larger than %d bytes", path, SIPC_XINETD_FILE_MAX);
			}
			buf = p;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return fail(why, whylen, SIPC_XINETD_EREAD, "%s: %s", path,
				    strerror(errno));
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (x->total + len > SIPC_XINETD_TOTAL_MAX) {
			free(buf);
			return fail(why, whylen, SIPC_XINETD_ESYNTAX,
				    "%s: the files read hold more than %d bytes", path,
				    SIPC_XINETD_TOTAL_MAX);
		}
	}
	x->total += len;
	rc = sipc__xinetd_read_text(x, path, buf, len, why, whylen);
	free(buf);
	return rc;
}

int sipc__xinetd_read_path(struct sipc_xinetd *x, const char *path, char *why, size_t whylen)
{
	struct stat st;
	int fd, rc;

	if (x->depth >= SIPC_XINETD_DEPTH_MAX)
		return fail(why, whylen, SIPC_XINETD_ESYNTAX, "%s: includes nested deeper than %d",
			    path, SIPC_XINETD_DEPTH_MAX);
	if (x->nfiles >= SIPC_XINETD_FILES_MAX)
		return fail(why, whylen, SIPC_XINETD_ESYNTAX, "%s: more than %d files read", path,
			    SIPC_XINETD_FILES_MAX);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return fail(why, whylen, SIPC_XINETD_EREAD, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = fail(why, whylen, SIPC_XINETD_EREAD, "%s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	for (int i = 0; i < x->depth; i++)
		if (x->open_ids[i][0] == (unsigned long long)st.st_dev &&
		    x->open_ids[i][1] == (unsigned long long)st.st_ino) {
			close(fd);
			return fail(why, whylen, SIPC_XINETD_ESYNTAX,
				    "%s: included again while it is being read (an include loop)",
				    path);
		}
	x->open_ids[x->depth][0] = (unsigned long long)st.st_dev;
	x->open_ids[x->depth][1] = (unsigned long long)st.st_ino;
	x->depth++;
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		rc = read_dir(x, path, why, whylen);
	} else {
		/* O_NONBLOCK only so that opening a FIFO cannot hang. */
		fcntl(fd, F_SETFL, 0);
		rc = read_file(x, fd, path, why, whylen);
		close(fd);
	}
	x->depth--;
	return rc;
}
