/*
 * config.c - turns what the user wrote into service lines: shell-like
 * splitting of one line into words, -e LINE, -f FILE (with '#' comments and
 * errors that name FILE:LINE), the positional arguments and the built-in
 * default run.  Only words are checked here; whether a URL parses and a
 * service exists is checked by the server before anything is bound.
 */
#include "serve/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/service.h"
#include "serve/tls.h"

void sipc__serve_config_init(struct sipc_serve_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->model = SIPC__MODEL_EVENT;
	cfg->drain_ms = SIPC_SERVE_DRAIN_MS_DEFAULT;
	cfg->max_msg = SIPC_SERVE_MAX_MSG_DEFAULT;
	cfg->verbosity = 1;
	cfg->handshake_ms = SIPC_SERVE_HANDSHAKE_MS_DEFAULT;
	cfg->max_handshakes = SIPC_SERVE_MAX_HANDSHAKES_DEFAULT;
	sipc__guard_default(&cfg->guard);
	cfg->base = sipc__svc_conf_new(NULL, "flags");
	if (cfg->base != NULL && sipc__serve_config_own(cfg, cfg->base) < 0) {
		sipc__svc_conf_free(cfg->base);
		cfg->base = NULL;
	}
}

int sipc__serve_config_own(struct sipc_serve_config *cfg, struct sipc_svc_conf *conf)
{
	struct sipc_svc_conf **v = realloc(cfg->confs, (cfg->nconfs + 1) * sizeof(*v));

	if (v == NULL)
		return -1;
	cfg->confs = v;
	cfg->confs[cfg->nconfs++] = conf;
	return 0;
}

void sipc__serve_words_free(char **argv)
{
	if (argv == NULL)
		return;
	for (char **p = argv; *p != NULL; p++)
		free(*p);
	free(argv);
}

void sipc__serve_config_free(struct sipc_serve_config *cfg)
{
	for (size_t i = 0; cfg->banners != NULL && i < cfg->nlines; i++)
		free(cfg->banners[i]);
	free(cfg->banners);
	free(cfg->banner_lens);
	cfg->banners = NULL;
	cfg->banner_lens = NULL;
	for (size_t i = 0; i < cfg->nlines; i++) {
		free(cfg->lines[i].origin);
		sipc__serve_words_free(cfg->lines[i].argv);
	}
	free(cfg->lines);
	for (size_t i = 0; i < cfg->nconfs; i++)
		sipc__svc_conf_free(cfg->confs[i]);
	free(cfg->confs);
	cfg->confs = NULL;
	cfg->nconfs = 0;
	cfg->base = cfg->defaults = NULL;
	sipc__acl_free(&cfg->acl);
	sipc__serve_tls_free(cfg);
	cfg->lines = NULL;
	cfg->nlines = cfg->cap = 0;
}

/* A growing word and a growing list of words. */
struct words {
	char **v;
	int n;
	int cap;
	char *cur;
	size_t len;
	size_t curcap;
	bool in_word;
};

static int word_putc(struct words *w, char ch)
{
	if (w->len + 1 >= w->curcap) {
		size_t cap = w->curcap ? w->curcap * 2 : 32;
		char *p = realloc(w->cur, cap);
		if (p == NULL)
			return -1;
		w->cur = p;
		w->curcap = cap;
	}
	w->cur[w->len++] = ch;
	w->in_word = true;
	return 0;
}

static int word_end(struct words *w)
{
	char *s;

	if (!w->in_word)
		return 0;
	if (w->n + 2 > w->cap) {
		int cap = w->cap ? w->cap * 2 : 8;
		char **v = realloc(w->v, (size_t)cap * sizeof(*v));
		if (v == NULL)
			return -1;
		w->v = v;
		w->cap = cap;
	}
	s = malloc(w->len + 1);
	if (s == NULL)
		return -1;
	memcpy(s, w->cur ? w->cur : "", w->len);
	s[w->len] = '\0';
	w->v[w->n++] = s;
	w->v[w->n] = NULL;
	w->len = 0;
	w->in_word = false;
	return 0;
}

static void words_drop(struct words *w)
{
	for (int i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	free(w->cur);
}

int sipc__serve_split(const char *text, char ***argvp, int *argcp, char *why, size_t whylen)
{
	struct words w = {0};
	const char *p = text;
	const char *problem = NULL;

	while (*p != '\0' && problem == NULL) {
		char ch = *p++;
		int rc = 0;

		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			rc = word_end(&w);
		} else if (ch == '#' && !w.in_word) {
			break;
		} else if (ch == '\\') {
			if (*p == '\0')
				problem = "a backslash ends the line";
			else
				rc = word_putc(&w, *p++);
		} else if (ch == '\'') {
			w.in_word = true;
			while (*p != '\0' && *p != '\'' && rc == 0)
				rc = word_putc(&w, *p++);
			if (*p == '\0')
				problem = "a single quote is not closed";
			else
				p++;
		} else if (ch == '"') {
			w.in_word = true;
			while (*p != '\0' && *p != '"' && rc == 0) {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				rc = word_putc(&w, *p++);
			}
			if (*p == '\0')
				problem = "a double quote is not closed";
			else
				p++;
		} else {
			rc = word_putc(&w, ch);
		}
		if (rc < 0)
			problem = "out of memory";
	}
	if (problem == NULL && word_end(&w) < 0)
		problem = "out of memory";
	if (problem == NULL && w.v == NULL) {
		w.v = calloc(1, sizeof(*w.v));
		if (w.v == NULL)
			problem = "out of memory";
	}
	if (problem != NULL) {
		snprintf(why, whylen, "%s", problem);
		words_drop(&w);
		return -1;
	}
	free(w.cur);
	*argvp = w.v;
	*argcp = w.n;
	return 0;
}

int sipc__serve_config_add_words(struct sipc_serve_config *cfg, const char *origin,
				 char *const *argv, int argc, char *why, size_t whylen)
{
	struct sipc_serve_line line = {0};

	if (cfg->nlines == cfg->cap) {
		size_t cap = cfg->cap ? cfg->cap * 2 : 8;
		struct sipc_serve_line *v = realloc(cfg->lines, cap * sizeof(*v));
		if (v == NULL)
			goto nomem;
		cfg->lines = v;
		cfg->cap = cap;
	}
	line.origin = strdup(origin);
	line.argv = calloc((size_t)argc + 1, sizeof(char *));
	if (line.origin == NULL || line.argv == NULL)
		goto free_line;
	for (int i = 0; i < argc; i++) {
		line.argv[i] = strdup(argv[i]);
		if (line.argv[i] == NULL)
			goto free_line;
	}
	line.argc = argc;
	cfg->lines[cfg->nlines++] = line;
	return 0;

free_line:
	free(line.origin);
	sipc__serve_words_free(line.argv);
nomem:
	snprintf(why, whylen, "%s: out of memory", origin);
	return -1;
}

int sipc__serve_config_add_text(struct sipc_serve_config *cfg, const char *origin, const char *text,
				char *why, size_t whylen)
{
	char **argv;
	int argc, rc;
	char detail[128];

	if (sipc__serve_split(text, &argv, &argc, detail, sizeof(detail)) < 0) {
		snprintf(why, whylen, "%s: %s", origin, detail);
		return -1;
	}
	rc = argc == 0 ? 0 : sipc__serve_config_add_words(cfg, origin, argv, argc, why, whylen);
	sipc__serve_words_free(argv);
	return rc;
}

bool sipc__serve_line_looks_double(const struct sipc_serve_line *line)
{
	for (int i = 2; i + 1 < line->argc; i++) {
		sipc_url *url;
		char detail[SIPC_WHY_MAX];

		if (strstr(line->argv[i], "://") == NULL ||
		    sipc__service_find(line->argv[i + 1]) == NULL)
			continue;
		if (sipc_url_parse(line->argv[i], &url, detail, sizeof(detail)) == 0) {
			sipc_url_free(url);
			return true;
		}
	}
	return false;
}

int sipc__serve_config_add_defaults(struct sipc_serve_config *cfg, char *why, size_t whylen)
{
	static const struct {
		int port;
		const char *service;
	} builtins[] = {
		{7007, "echo"},    {7009, "discard"}, {7013, "daytime"},
		{7019, "chargen"}, {7037, "time"},
	};
	static const char *const schemes[] = {"tcp", "udp"};
	char url[64];

	for (size_t s = 0; s < 2; s++) {
		for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
			snprintf(url, sizeof(url), "%s://127.0.0.1:%d", schemes[s],
				 builtins[i].port);
			char *argv[] = {url, (char *)builtins[i].service};
			if (sipc__serve_config_add_words(cfg, "default", argv, 2, why, whylen) < 0)
				return -1;
		}
	}
	char *unix_argv[] = {"unix://@sockipc/echo", "echo"};
	return sipc__serve_config_add_words(cfg, "default", unix_argv, 2, why, whylen);
}

/*
 * accept_proxy (--accept-proxy) names IP upstreams whose TCP connections
 * begin with a PROXY header; a datagram or unix endpoint has no such
 * header to read (haproxy sends none there), and under --inetd the
 * connection arrives accepted, with nothing of ours to read it in.
 */
static int accept_proxy_check(const struct sipc_serve_config *cfg,
			      const struct sipc_serve_line *line, char *why, size_t whylen)
{
	char detail[SIPC_WHY_MAX];
	sipc_url *u;
	sipc_scheme sc;

	if (line->conf->accept_proxy.n == 0 || line->argc < 1)
		return 0;
	if (cfg->inetd) {
		snprintf(why, whylen,
			 "--accept-proxy: not under --inetd (inetd accepts the "
			 "connection; nothing reads its header)");
		return -1;
	}
	if (sipc_url_parse(line->argv[0], &u, detail, sizeof(detail)) < 0)
		return 0; /* the line's check says what is wrong with it */
	sc = sipc_url_scheme(u);
	sipc_url_free(u);
	if (sipc_scheme_socktype(sc) == SOCK_STREAM && !sipc_scheme_is_unix(sc))
		return 0;
	snprintf(why, whylen,
		 "%s: accept_proxy (--accept-proxy): %s is not a tcp:// or tls:// endpoint; a "
		 "PROXY header heads a TCP connection (give it in the blocks of those only)",
		 line->origin, line->argv[0]);
	return -1;
}

int sipc__serve_config_finish(struct sipc_serve_config *cfg, char *why, size_t whylen)
{
	struct sipc_svc_conf *plain;

	if (cfg->finished)
		return 0;
	if (cfg->base == NULL)
		goto nomem;
	/* The flags that became per-service values keep meaning what they
	 * meant: the default of every service. */
	if (cfg->base->idle_ms < 0)
		cfg->base->idle_ms = cfg->idle_ms;
	if (cfg->base->max_msg == 0)
		cfg->base->max_msg = cfg->max_msg;
	sipc__svc_conf_complete(cfg->base);
	for (size_t i = 0; i < cfg->nconfs; i++) {
		if (cfg->confs[i] == cfg->base)
			continue;
		if (sipc__svc_conf_inherit(cfg->confs[i], cfg->base) < 0)
			goto nomem;
		sipc__svc_conf_complete(cfg->confs[i]);
	}
	for (size_t i = 0; i < cfg->nconfs; i++) {
		const struct sipc_svc_conf *c = cfg->confs[i];
		/* A group alone would change nothing: the ids change only
		 * when there is a user to change to. */
		if (c->group != NULL && c->user == NULL && c == cfg->base) {
			snprintf(why, whylen, "--group %s needs --user", c->group);
			return -1;
		}
		if (c->group != NULL && c->user == NULL) {
			snprintf(why, whylen, "%s: %s%s%s'group = %s' needs a 'user'", c->origin,
				 c->name ? "service " : "", c->name ? c->name : "",
				 c->name ? ": " : "", c->group);
			return -1;
		}
	}
	plain = cfg->defaults != NULL ? cfg->defaults : cfg->base;
	for (size_t i = 0; i < cfg->nlines; i++)
		if (cfg->lines[i].conf == NULL)
			cfg->lines[i].conf = plain;
	for (size_t i = 0; i < cfg->nlines; i++)
		if (accept_proxy_check(cfg, &cfg->lines[i], why, whylen) < 0)
			return -1;
	/* The largest message of any service sizes the workers' buffers. */
	for (size_t i = 0; i < cfg->nconfs; i++)
		if (cfg->confs[i]->max_msg > cfg->max_msg)
			cfg->max_msg = cfg->confs[i]->max_msg;
	cfg->finished = true;
	return 0;
nomem:
	snprintf(why, whylen, "out of memory");
	return -1;
}

/* A plain line's block name: its service, made unique with the line's
 * number when another line or block already has that name. */
static void plain_name(const struct sipc_serve_config *cfg, size_t k, char *buf, size_t len)
{
	/* A line the check would refuse (no SERVICE) still prints. */
	const char *svc = cfg->lines[k].argc >= 2 ? cfg->lines[k].argv[1] : "line";
	bool dup = cfg->lines[k].argc < 2;

	for (size_t j = 0; j < cfg->nlines && !dup; j++)
		dup = j != k && cfg->lines[j].argc >= 2 &&
		      strcmp(cfg->lines[j].argv[1], svc) == 0 && cfg->lines[j].conf->name == NULL;
	for (size_t j = 0; j < cfg->nconfs && !dup; j++)
		dup = cfg->confs[j]->name != NULL && strcmp(cfg->confs[j]->name, svc) == 0;
	if (dup)
		snprintf(buf, len, "%s-%zu", svc, k + 1);
	else
		snprintf(buf, len, "%s", svc);
}

static void print_block(const struct sipc_serve_config *cfg, const struct sipc_svc_conf *c,
			const char *name, size_t first, bool all_of_conf, FILE *f)
{
	const struct sipc_serve_line *l = &cfg->lines[first];

	fprintf(f, "\n# %s\nservice %s\n{\n    %-18s =", l->origin, name, "listen");
	for (size_t j = first; j < cfg->nlines; j++) {
		if (cfg->lines[j].conf != c)
			continue;
		sipc__svc_conf_print_word(f, cfg->lines[j].argv[0]);
		if (!all_of_conf)
			break;
	}
	fprintf(f, "\n    %-18s =", "run");
	for (int a = 1; a < l->argc; a++)
		sipc__svc_conf_print_word(f, l->argv[a]);
	fprintf(f, "\n");
	sipc__svc_conf_print(c, f);
	fprintf(f, "}\n");
}

void sipc__serve_config_print(const struct sipc_serve_config *cfg, FILE *f)
{
	char name[256];

	fprintf(f, "# the effective configuration: every default filled in\n");
	for (size_t i = 0; i < cfg->nconfs; i++) {
		const struct sipc_svc_conf *c = cfg->confs[i];

		if (c->name == NULL) {
			for (size_t k = 0; k < cfg->nlines; k++) {
				if (cfg->lines[k].conf != c)
					continue;
				plain_name(cfg, k, name, sizeof(name));
				print_block(cfg, c, name, k, false, f);
			}
			continue;
		}
		if (c->disabled) {
			fprintf(f, "\n# %s\nservice %s\n{\n    %-18s = yes\n}\n", c->origin,
				c->name, "disable");
			continue;
		}
		for (size_t k = 0; k < cfg->nlines; k++) {
			if (cfg->lines[k].conf == c) {
				print_block(cfg, c, c->name, k, true, f);
				break;
			}
		}
	}
}
