/*
 * banner.c - the `banner = FILE` of a stream service (svcconf.h): read
 * once at start, as root and before the privilege drop, so the file may be
 * readable by root alone and a missing or oversized one fails the start
 * rather than each connection; the workers then send it from memory
 * (conn.c) without touching the disk in their loops.  A change of the
 * file takes effect at the next start (or reload).  Under the supervisor
 * (supervisor.h) the supervisor reads them (sipc__banner_preload) and a
 * generation copies them: a reload after the drop reads them as the user
 * serve dropped to.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve/plat.h"
#include "serve/server.h"
#include "sys/sys.h"

/* PATH's bytes (at most SIPC_SERVE_BANNER_MAX) into *BUFP: 0, or -1 with WHY. */
static int load(const char *path, char **bufp, size_t *lenp, char *why, size_t whylen)
{
	char *buf = malloc(SIPC_SERVE_BANNER_MAX + 1);
	size_t len = 0;
	struct stat st;
	int fd;

	if (buf == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	fd = sipc__serve_open_file(path);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		goto fail;
	}
	/* One byte more than the bound tells a file that is too large. */
	while (len <= SIPC_SERVE_BANNER_MAX) {
		ssize_t n = read(fd, buf + len, SIPC_SERVE_BANNER_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, whylen, "%s", strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > SIPC_SERVE_BANNER_MAX) {
		snprintf(why, whylen, "larger than %zu KiB", SIPC_SERVE_BANNER_MAX / 1024);
		goto fail;
	}
	sipc__sys_close(fd);
	*bufp = buf;
	*lenp = len;
	return 0;
fail:
	if (fd >= 0)
		sipc__sys_close(fd);
	free(buf);
	return -1;
}

/* Where a line's banner was given, for errors. */
static const char *origin(const struct sipc_serve_line *line)
{
	return line->conf->name ? line->conf->origin : line->origin;
}

int sipc__banner_load_all(struct sipc__server *srv, char *why, size_t whylen)
{
	char detail[256];

	for (size_t i = 0; i < srv->neps; i++) {
		struct sipc_srv_endpoint *sep = &srv->eps[i];
		const char *path = sep->line->conf->banner;

		if (path == NULL || sep->kind != SIPC__SVC_STREAM)
			continue;
		if (srv->cfg->banners != NULL && srv->cfg->banners[i] != NULL) {
			size_t len = srv->cfg->banner_lens[i];
			sep->banner = malloc(len + 1);
			if (sep->banner == NULL) {
				snprintf(why, whylen, "out of memory");
				return -1;
			}
			memcpy(sep->banner, srv->cfg->banners[i], len);
			sep->banner_len = len;
			continue;
		}
		if (load(path, &sep->banner, &sep->banner_len, detail, sizeof(detail)) < 0) {
			snprintf(why, whylen, "%s: banner %s: %s", origin(sep->line), path, detail);
			return -1;
		}
	}
	return 0;
}

int sipc__banner_check(const struct sipc_serve_config *cfg, char *why, size_t whylen)
{
	char detail[256], *buf;
	size_t len;

	for (size_t i = 0; i < cfg->nlines; i++) {
		const char *path = cfg->lines[i].conf ? cfg->lines[i].conf->banner : NULL;

		if (path == NULL)
			continue;
		if (load(path, &buf, &len, detail, sizeof(detail)) < 0) {
			snprintf(why, whylen, "%s: banner %s: %s", origin(&cfg->lines[i]), path,
				 detail);
			return -1;
		}
		free(buf);
	}
	return 0;
}

int sipc__banner_preload(struct sipc_serve_config *cfg, char *why, size_t whylen)
{
	char detail[256];

	if (cfg->nlines == 0 || cfg->banners != NULL)
		return 0;
	cfg->banners = calloc(cfg->nlines, sizeof(*cfg->banners));
	cfg->banner_lens = calloc(cfg->nlines, sizeof(*cfg->banner_lens));
	if (cfg->banners == NULL || cfg->banner_lens == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < cfg->nlines; i++) {
		const char *path = cfg->lines[i].conf ? cfg->lines[i].conf->banner : NULL;

		if (path == NULL)
			continue;
		if (load(path, &cfg->banners[i], &cfg->banner_lens[i], detail, sizeof(detail)) <
		    0) {
			snprintf(why, whylen, "%s: banner %s: %s", origin(&cfg->lines[i]), path,
				 detail);
			return -1;
		}
	}
	return 0;
}
