/*
 * handover.c - the --handover message exchange (handover.h): the old
 * serve's side (listen at PATH, check who asks, send every listening
 * socket, wait for the new one's word) and the new one's (find a live
 * serve at PATH, receive and check every message, take sockets by URL,
 * say when it accepts, then listen at PATH itself).  Every message is one
 * seqpacket record, so a short or oversized one is seen whole and refused.
 */
#include "serve/handover.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "endpoint.h"
#include "fdpass.h"
#include "serve/server.h"
#include "sys/sys.h"
#include "url.h"

#define MAGIC       "SIPCHO1"
#define MAGIC_LEN   8 /* with its NUL */
#define HEAD_LEN    (MAGIC_LEN + 3)
#define URL_MAX     4096
#define SOCKETS_MAX 4096
#define KIND_END    0
#define KIND_READY  0xff
/* How long either side waits for the other's next message. */
#define WAIT_MS 10000

struct item {
	char *url;
	int kind;
	int fd; /* -1 once taken */
};

struct sipc__handover {
	char *path;
	sipc_endpoint *listener; /* at PATH: the old side's, or ours after */
	sipc_endpoint *peer;     /* the other serve, during the exchange */
	struct item *items;      /* new side: what was handed over */
	size_t nitems;
	bool given; /* old side: the new one accepts */
};

static int fail(char *why, size_t whylen, const char *fmt, const char *detail)
{
	snprintf(why, whylen, fmt, detail);
	return -1;
}

static char *path_url(const char *path)
{
	size_t n = strlen(path) + sizeof("unixpacket://");
	char *url = malloc(n);

	if (url != NULL)
		snprintf(url, n, "unixpacket://%s", path);
	return url;
}

/* The other serve must be this user's, or root's. */
static bool trusted(const sipc_endpoint *ep, sipc_cred *cred)
{
	return sipc_endpoint_peercred(ep, cred) == 0 && (cred->uid == getuid() || cred->uid == 0);
}

static int send_msg(int fd, int kind, const char *url, int passfd)
{
	uint8_t buf[HEAD_LEN + URL_MAX];
	size_t len = url != NULL ? strlen(url) : 0;

	if (len > URL_MAX)
		return -EMSGSIZE;
	memcpy(buf, MAGIC, MAGIC_LEN);
	buf[MAGIC_LEN] = (uint8_t)kind;
	buf[MAGIC_LEN + 1] = (uint8_t)(len >> 8);
	buf[MAGIC_LEN + 2] = (uint8_t)len;
	memcpy(buf + HEAD_LEN, url != NULL ? url : "", len);
	struct iovec iov = {buf, HEAD_LEN + len};
	int rc = sipc__sys_wait(fd, POLLOUT, sipc__deadline(WAIT_MS));
	if (rc < 0)
		return rc;
	ssize_t n = sipc__fdpass_send(fd, &iov, 1, &passfd, passfd >= 0 ? 1 : 0, NULL, 0);
	return n < 0 ? (int)n : 0;
}

/*
 * One message: its kind, the URL (NUL-terminated in URL) and the
 * descriptor that came with it (-1 if none).  Everything is checked
 * before anything is used: a message cut short or too long, a wrong
 * magic, a length that disagrees, a URL with a control byte, more than
 * one descriptor, or one where none belongs.  0, or -1 with WHY (every
 * descriptor received is closed).
 */
static int recv_msg(int fd, int *kind, char *url, int *passfd, char *why, size_t whylen)
{
	/* One byte more than the longest message: a longer one is seen. */
	uint8_t buf[HEAD_LEN + URL_MAX + 1];
	struct iovec iov = {buf, sizeof(buf)};
	int fds[4], rc;
	size_t nfds = 0;
	const char *bad = NULL;
	ssize_t n;
	size_t len = 0;

	*passfd = -1;
	rc = sipc__sys_wait(fd, POLLIN, sipc__deadline(WAIT_MS));
	if (rc < 0)
		return fail(why, whylen, "no message from the other serve: %s", sipc_strerror(rc));
	n = sipc__fdpass_recv(fd, &iov, 1, fds, 4, &nfds, NULL, NULL, 0);
	if (n == SIPC_EFDTRUNC)
		return fail(why, whylen, "%s",
			    "a message with more descriptors than the format allows");
	if (n < 0)
		return fail(why, whylen, "receive: %s", sipc_strerror((int)n));
	if (n == 0)
		bad = "the other serve closed the connection";
	else if ((size_t)n == sizeof(buf))
		bad = "a message longer than the format allows";
	else if ((size_t)n < HEAD_LEN || memcmp(buf, MAGIC, MAGIC_LEN) != 0)
		bad = "a message that is not a hand-over message";
	if (bad == NULL) {
		len = (size_t)buf[MAGIC_LEN + 1] << 8 | buf[MAGIC_LEN + 2];
		*kind = buf[MAGIC_LEN];
		if (len > URL_MAX || (size_t)n != HEAD_LEN + len)
			bad = "a message whose length disagrees with its header";
		else if (memchr(buf + HEAD_LEN, '\0', len) != NULL)
			bad = "a URL with a NUL byte";
		for (size_t i = 0; bad == NULL && i < len; i++)
			if (buf[HEAD_LEN + i] < 0x20 || buf[HEAD_LEN + i] == 0x7f)
				bad = "a URL with a control byte";
	}
	if (bad == NULL && *kind != SOCK_STREAM && *kind != SOCK_DGRAM && *kind != SOCK_SEQPACKET &&
	    *kind != KIND_END && *kind != KIND_READY)
		bad = "a message of an unknown kind";
	bool wants_fd = bad == NULL && *kind != KIND_END && *kind != KIND_READY;
	if (bad == NULL && nfds != (wants_fd ? 1u : 0u))
		bad = wants_fd ? "a socket message without exactly one descriptor"
			       : "a descriptor where none belongs";
	if (bad != NULL) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		return fail(why, whylen, "%s", bad);
	}
	memcpy(url, buf + HEAD_LEN, len);
	url[len] = '\0';
	*passfd = nfds == 1 ? fds[0] : -1;
	return 0;
}

/* The new side: every socket of the old serve until its end message. */
static int receive_all(struct sipc__handover *ho, char *why, size_t whylen)
{
	int fd = sipc_endpoint_fd(ho->peer);
	char url[URL_MAX + 1];

	for (;;) {
		int kind, passfd, type;
		if (recv_msg(fd, &kind, url, &passfd, why, whylen) < 0)
			return -1;
		if (kind == KIND_END)
			return 0;
		if (kind == KIND_READY || ho->nitems == SOCKETS_MAX) {
			close(passfd);
			return fail(why, whylen, "%s",
				    kind == KIND_READY ? "a message out of turn"
						       : "more sockets than the format allows");
		}
		/* The descriptor must be the kind it says it is. */
		if (sipc__sys_getsockopt_int(passfd, SOL_SOCKET, SO_TYPE, &type) < 0 ||
		    type != kind) {
			close(passfd);
			return fail(why, whylen, "the socket for %s is not of the kind announced",
				    url);
		}
		struct item *v = realloc(ho->items, (ho->nitems + 1) * sizeof(*v));
		char *copy = strdup(url);
		if (v == NULL || copy == NULL) {
			if (v != NULL)
				ho->items = v;
			free(copy);
			close(passfd);
			return fail(why, whylen, "%s", "out of memory");
		}
		ho->items = v;
		ho->items[ho->nitems++] = (struct item){copy, kind, passfd};
	}
}

int sipc__handover_open(struct sipc__handover **hop, const char *path, char *why, size_t whylen)
{
	struct sipc__handover *ho = calloc(1, sizeof(*ho));
	sipc_options o = {0};
	char detail[SIPC_WHY_MAX] = "";
	sipc_cred cred;
	char *url = path_url(path);
	int err;

	if (ho == NULL || url == NULL || (ho->path = strdup(path)) == NULL) {
		free(url);
		sipc__handover_free(ho);
		return fail(why, whylen, "%s", "out of memory");
	}
	o.why = detail;
	o.whylen = sizeof(detail);
	err = sipc_dial(url, &o, WAIT_MS, &ho->peer);
	if (err == -ECONNREFUSED || err == -ENOENT) {
		/* Nobody there (or a file left by a dead serve): fresh. */
		o.unix_mode = 0600;
		err = sipc_listen(url, &o, &ho->listener);
		free(url);
		if (err < 0) {
			snprintf(why, whylen, "listen: %s%s%s", sipc_strerror(err),
				 detail[0] ? ": " : "", detail);
			sipc__handover_free(ho);
			return -1;
		}
		*hop = ho;
		return 0;
	}
	free(url);
	if (err < 0) {
		snprintf(why, whylen, "connect: %s%s%s", sipc_strerror(err), detail[0] ? ": " : "",
			 detail);
	} else if (!trusted(ho->peer, &cred)) {
		snprintf(why, whylen, "the serve listening there runs as uid %ld, not this user",
			 (long)cred.uid);
		err = -1;
	} else {
		err = receive_all(ho, why, whylen);
	}
	if (err < 0) {
		sipc__handover_free(ho);
		return -1;
	}
	sipc__serve_log(NULL, 1, "handover: %zu socket(s) received from the serve at %s",
			ho->nitems, path);
	*hop = ho;
	return 0;
}

int sipc__handover_take(struct sipc__handover *ho, const char *url,
			const struct sipc_serve_config *cfg, sipc_endpoint **epp)
{
	for (size_t i = 0; ho != NULL && i < ho->nitems; i++) {
		struct item *it = &ho->items[i];
		sipc_options o = {0};
		sipc_url *u;
		if (it->fd < 0 || strcmp(it->url, url) != 0)
			continue;
		if (sipc_url_parse(url, &u, NULL, 0) < 0)
			return -ENOENT;
		o.max_msg = cfg->max_msg;
		o.trace = cfg->trace;
		o.trace_arg = cfg->trace_arg;
		o.tls = cfg->tls;
		int err = sipc_endpoint_from_fd(it->fd, sipc_url_scheme(u), &o, epp);
		/* shm://: its connections' ring= and spin= come from here. */
		if (err == 0 && sipc_url_scheme(u) == SIPC_SHM)
			sipc__ep_set_sockopts(*epp, &u->opts);
		sipc_url_free(u);
		if (err < 0)
			return -ENOENT; /* another kind for this URL: bind anew */
		it->fd = -1;
		/* Its socket file is ours to remove at the end now. */
		(void)sipc__ep_claim_path(*epp);
		return 0;
	}
	return -ENOENT;
}

void sipc__handover_drop_rest(struct sipc__handover *ho)
{
	for (size_t i = 0; ho != NULL && i < ho->nitems; i++) {
		if (ho->items[i].fd >= 0)
			close(ho->items[i].fd);
		ho->items[i].fd = -1;
	}
}

void sipc__handover_accepting(struct sipc__handover *ho)
{
	sipc_options o = {0};
	char detail[SIPC_WHY_MAX] = "";
	char *url;
	int err;

	if (ho == NULL || ho->peer == NULL)
		return;
	err = send_msg(sipc_endpoint_fd(ho->peer), KIND_READY, NULL, -1);
	if (err < 0)
		sipc__serve_log(NULL, 0, "handover: telling the old serve: %s", sipc_strerror(err));
	sipc_endpoint_close(ho->peer);
	ho->peer = NULL;
	/* The old serve's socket at PATH is still live: replace it. */
	url = path_url(ho->path);
	if (url == NULL)
		return;
	(void)unlink(ho->path);
	o.unix_mode = 0600;
	o.why = detail;
	o.whylen = sizeof(detail);
	err = sipc_listen(url, &o, &ho->listener);
	free(url);
	if (err < 0)
		sipc__serve_log(NULL, 0, "handover: listen %s: %s%s%s", ho->path,
				sipc_strerror(err), detail[0] ? ": " : "", detail);
}

int sipc__handover_fd(const struct sipc__handover *ho)
{
	if (ho == NULL || ho->given)
		return -1;
	if (ho->peer != NULL)
		return sipc_endpoint_fd(ho->peer);
	return ho->listener != NULL ? sipc_endpoint_fd(ho->listener) : -1;
}

/* Sends the sockets to the new serve that just connected. */
static void give(struct sipc__handover *ho, const struct sipc_serve_config *cfg,
		 sipc_endpoint *const *eps, size_t n)
{
	int fd = sipc_endpoint_fd(ho->peer), err = 0;

	for (size_t i = 0; i < n && err == 0; i++) {
		int sfd = sipc_endpoint_fd(eps[i]), type;
		if (sipc__sys_getsockopt_int(sfd, SOL_SOCKET, SO_TYPE, &type) < 0)
			continue;
		err = send_msg(fd, type, cfg->lines[i].argv[0], sfd);
	}
	if (err == 0)
		err = send_msg(fd, KIND_END, NULL, -1);
	if (err < 0) {
		sipc__serve_log(NULL, 0, "handover: sending the sockets: %s", sipc_strerror(err));
		sipc_endpoint_close(ho->peer);
		ho->peer = NULL;
		return;
	}
	sipc__serve_log(NULL, 1, "handover: %zu socket(s) sent; waiting for the new serve", n);
}

bool sipc__handover_serve(struct sipc__handover *ho, const struct sipc_serve_config *cfg,
			  sipc_endpoint *const *eps, size_t n)
{
	char why[256], url[URL_MAX + 1];
	sipc_cred cred;
	int kind = -1, passfd;

	if (ho->peer == NULL) {
		if (sipc_accept(ho->listener, 0, &ho->peer) < 0)
			return false;
		if (!trusted(ho->peer, &cred)) {
			sipc__serve_log(NULL, 0,
					"handover: refused pid %ld uid %ld: not this server's user "
					"or root",
					(long)cred.pid, (long)cred.uid);
			sipc_endpoint_close(ho->peer);
			ho->peer = NULL;
			return false;
		}
		give(ho, cfg, eps, n);
		return false;
	}
	int rc = recv_msg(sipc_endpoint_fd(ho->peer), &kind, url, &passfd, why, sizeof(why));
	if (rc < 0 || kind != KIND_READY) {
		if (passfd >= 0)
			close(passfd);
		sipc__serve_log(NULL, 0,
				"handover: the new serve did not take over (%s); serving on",
				rc < 0 ? why : "a message out of turn");
		sipc_endpoint_close(ho->peer);
		ho->peer = NULL;
		return false;
	}
	sipc_endpoint_close(ho->peer);
	ho->peer = NULL;
	ho->given = true;
	/* PATH and every socket file are the new serve's now. */
	sipc__ep_release_path(ho->listener);
	for (size_t i = 0; i < n; i++)
		sipc__ep_release_path(eps[i]);
	sipc__serve_log(NULL, 0,
			"handover: the new serve accepts; no longer accepting, open connections "
			"may end");
	return true;
}

bool sipc__handover_given(const struct sipc__handover *ho)
{
	return ho != NULL && ho->given;
}

void sipc__handover_close_fds(struct sipc__handover *ho)
{
	if (ho == NULL)
		return;
	if (ho->listener != NULL)
		close(sipc_endpoint_fd(ho->listener));
	if (ho->peer != NULL)
		close(sipc_endpoint_fd(ho->peer));
	for (size_t i = 0; i < ho->nitems; i++)
		if (ho->items[i].fd >= 0)
			close(ho->items[i].fd);
}

void sipc__handover_free(struct sipc__handover *ho)
{
	if (ho == NULL)
		return;
	sipc_endpoint_close(ho->peer);
	sipc_endpoint_close(ho->listener);
	sipc__handover_drop_rest(ho);
	for (size_t i = 0; i < ho->nitems; i++)
		free(ho->items[i].url);
	free(ho->items);
	free(ho->path);
	free(ho);
}
