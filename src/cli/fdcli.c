/*
 * fdcli.c - descriptors passed on unix URLs from the command line (see
 * fdcli.h): send's --fd FILE and listen's --recv-fd[=DIR], the library's
 * sipc_send_fds and sipc_recv_fds shown live.  Everything a descriptor
 * from a peer reads is the peer's to choose (a pipe it never writes, a
 * directory, /dev/zero): a wait on one still ends with a stop signal or
 * the idle timeout, and one that cannot be read is reported and closed.
 */
#include "cli/fdcli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/relay.h"
#include "sys/sys.h"

int sipc_cli_fd_opt(void *dest, const char *value, char *why, size_t whylen)
{
	struct sipc_cli_fds *f = dest;

	if (f->n == SIPC_FDS_MAX) {
		snprintf(why, whylen, "more than %d descriptors in one message", SIPC_FDS_MAX);
		return -1;
	}
	if (value[0] == '\0') {
		snprintf(why, whylen, "empty: give a file name, or - for stdin");
		return -1;
	}
	f->names[f->n] = value;
	f->fds[f->n] = -1;
	f->n++;
	return 0;
}

int sipc_cli_fd_check(const char *cmd, const char *option, sipc_scheme sc)
{
	if (sc == SIPC_UNIX || sc == SIPC_UNIXGRAM || sc == SIPC_UNIXPACKET)
		return 0;
	sipc_cli_error("%s: %s: only unix, unixgram and unixpacket URLs pass descriptors, not "
		       "%s://",
		       cmd, option, sipc_scheme_name(sc));
	return SIPC_EXIT_USAGE;
}

int sipc_cli_fds_open(const char *cmd, struct sipc_cli_fds *f)
{
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->names[i], "-") == 0) {
			f->fds[i] = 0;
			continue;
		}
		f->fds[i] = open(f->names[i], O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (f->fds[i] < 0) {
			int e = errno;

			sipc_cli_error("%s: --fd %s: %s", cmd, f->names[i], strerror(e));
			sipc_cli_fds_close(f);
			return SIPC_EXIT_FAIL;
		}
	}
	return 0;
}

void sipc_cli_fds_close(struct sipc_cli_fds *f)
{
	for (size_t i = 0; i < f->n; i++) {
		if (f->fds[i] > 0)
			close(f->fds[i]);
		f->fds[i] = -1;
	}
}

/* ------------------------------------------------------------ receiving */

/* Largest message taken with the descriptors (they are the payload). */
#define MSG_CAP 65536

/* Waits until FD is ready for POLLIN (1), a stop signal came (0) or
 * DEADLINE passed (SIPC_ETIMEDOUT). */
static int wait_in(int fd, int stop_fd, int64_t deadline)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
				      {.fd = stop_fd, .events = POLLIN}};
		int left = sipc__deadline_left(deadline);
		int r = poll(p, stop_fd >= 0 ? 2 : 1, left);

		if (r < 0 && errno != EINTR)
			return -errno;
		if (r < 0)
			continue;
		if (stop_fd >= 0 && p[1].revents != 0)
			return 0;
		if (p[0].revents != 0)
			return 1;
		if (r == 0 && left == 0)
			return SIPC_ETIMEDOUT;
	}
}

/* What FD is, for the report: "regular file, 1234 bytes", "pipe"... */
static const char *describe(int fd, char *buf, size_t len)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(buf, len, "unknown: %s", strerror(errno));
	} else if (S_ISREG(st.st_mode)) {
		snprintf(buf, len, "regular file, %lld bytes", (long long)st.st_size);
	} else {
		const char *t = S_ISFIFO(st.st_mode)   ? "pipe"
				: S_ISSOCK(st.st_mode) ? "socket"
				: S_ISDIR(st.st_mode)  ? "directory"
				: S_ISCHR(st.st_mode)  ? "character device"
				: S_ISBLK(st.st_mode)  ? "block device"
						       : "other";
		snprintf(buf, len, "%s", t);
	}
	return buf;
}

/* Writes all of P/N to OUT: 0 or -errno. */
static int write_all(int out, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = sipc__sys_write(out, p, n);

		if (w == -EAGAIN) {
			(void)sipc__sys_wait(out, POLLOUT, SIPC__NEVER);
			continue;
		}
		if (w < 0)
			return (int)w;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Copies what FD reads to OUT until its end; *COPIED counts the bytes.
 * 0, 1 when a stop signal came, SIPC_ETIMEDOUT when IDLE_MS passed
 * without a byte, or -errno (*FROM_OUT says whether OUT failed).
 */
static int copy_fd(int fd, int out, int stop_fd, int idle_ms, unsigned long long *copied,
		   bool *from_out)
{
	char buf[65536];

	*from_out = false;
	for (;;) {
		ssize_t n;
		/* The descriptor blocks or not as its sender left it (the
		 * mode is the open file's, shared: not ours to change), so
		 * wait first: a read after POLLIN does not block (a regular
		 * file is always ready). */
		int rc = wait_in(fd, stop_fd, sipc__deadline(idle_ms));

		if (rc == 0)
			return 1;
		if (rc < 0)
			return rc;
		n = sipc__sys_read(fd, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n == -EAGAIN)
			continue; /* another reader took it */
		if (n < 0)
			return (int)n;
		rc = write_all(out, buf, (size_t)n);
		if (rc < 0) {
			*from_out = true;
			return rc;
		}
		*copied += (unsigned long long)n;
	}
}

/* A new file in DIR for the SEQth descriptor; its descriptor or -errno. */
static int new_file(const char *dir, unsigned long seq, char *path, size_t len)
{
	for (int i = 0; i < 100; i++) {
		int fd;

		if (i == 0)
			snprintf(path, len, "%s/fd-%ld-%lu", dir, (long)getpid(), seq);
		else
			snprintf(path, len, "%s/fd-%ld-%lu.%d", dir, (long)getpid(), seq, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

/* Writes or saves one received descriptor; 1 when a stop signal came or
 * stdout is gone, else 0. */
static int take_one(const char *url, int fd, const char *dir, int stop_fd, int idle_ms,
		    unsigned long seq)
{
	char path[4096];
	struct stat st;
	unsigned long long copied = 0;
	bool from_out = false;
	int out = 1, rc;

	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		sipc_cli_error("listen %s: fd: a directory: nothing to read, closed", url);
		return 0;
	}
	if (dir != NULL) {
		out = new_file(dir, seq, path, sizeof(path));
		if (out < 0) {
			sipc_cli_error("listen %s: fd: save in %s: %s", url, dir, strerror(-out));
			return 0;
		}
	}
	rc = copy_fd(fd, out, stop_fd, idle_ms, &copied, &from_out);
	if (dir != NULL) {
		close(out);
		/* The path on stdout once the file is whole: a script reads
		 * it and opens the file. */
		if (rc == 0 || rc == SIPC_ETIMEDOUT || rc == 1) {
			printf("%s\n", path);
			fflush(stdout);
		}
	}
	if (rc == SIPC_ETIMEDOUT)
		sipc_cli_error("listen %s: fd: no byte for %d ms: %llu bytes taken, closed", url,
			       idle_ms, copied);
	else if (rc < 0 && from_out)
		return 1; /* stdout is gone: nothing more to write to */
	else if (rc < 0)
		sipc_cli_error("listen %s: fd: read: %s (%llu bytes taken)", url, strerror(-rc),
			       copied);
	else if (!sipc_cli_globals.quiet && dir != NULL)
		fprintf(stderr, "sockipc: listen: fd: saved %s (%llu bytes)\n", path, copied);
	return rc == 1;
}

/* The report of one message: "received 2 descriptors (pipe; regular file,
 * 12 bytes)", and its bytes when there are some. */
static void report(const int *fds, size_t nfds, size_t len)
{
	char line[1024], d[128];
	size_t k;

	if (sipc_cli_globals.quiet)
		return;
	k = (size_t)snprintf(line, sizeof(line), "received %zu descriptor%s (", nfds,
			     nfds == 1 ? "" : "s");
	for (size_t i = 0; i < nfds && k < sizeof(line); i++)
		k += (size_t)snprintf(line + k, sizeof(line) - k, "%s%s", i ? "; " : "",
				      describe(fds[i], d, sizeof(d)));
	if (k < sizeof(line))
		snprintf(line + k, sizeof(line) - k, ")");
	if (len > 0)
		fprintf(stderr, "sockipc: listen: fd: %s with a message of %zu bytes\n", line, len);
	else
		fprintf(stderr, "sockipc: listen: fd: %s\n", line);
}

int sipc_cli_recv_fds(const char *url, sipc_endpoint *ep, const char *dir, int stop_fd, int idle_ms)
{
	static char msg[MSG_CAP];
	static unsigned long seq;
	bool stream = sipc_scheme_is_stream(sipc_endpoint_scheme(ep));
	int fds[SIPC_FDS_MAX];
	uint64_t offset = 0;

	if (dir != NULL && dir[0] == '\0')
		dir = NULL;
	for (;;) {
		size_t nfds = 0;
		ssize_t n;
		int rc, stop = 0;

		rc = wait_in(sipc_endpoint_fd(ep), stop_fd, sipc__deadline(idle_ms));
		if (rc == 0)
			return SIPC_EXIT_OK;
		if (rc == SIPC_ETIMEDOUT) {
			sipc_cli_notice("listen: no message for %d ms: the peer ends", idle_ms);
			return SIPC_EXIT_OK;
		}
		if (rc < 0) {
			sipc_cli_error("listen %s: %s", url, sipc_strerror(rc));
			return SIPC_EXIT_FAIL;
		}
		/* Never blocks: a frame still on its way waits in the
		 * endpoint, with what came of it. */
		n = sipc_recv_fds(ep, msg, sizeof(msg), fds, SIPC_FDS_MAX, &nfds, 0);
		if (n == SIPC_ETIMEDOUT || n == -EAGAIN)
			continue;
		if (n == SIPC_ECLOSED)
			return SIPC_EXIT_OK;
		if (n == SIPC_ENOFDS || n == SIPC_ETRUNC ||
		    ((n == SIPC_EFDTRUNC || n == SIPC_EMSGSIZE) && !stream)) {
			/* That message only: it was taken, the next one
			 * reads as usual. */
			sipc_cli_error("listen %s: fd: message dropped: %s", url,
				       sipc_strerror((int)n));
			continue;
		}
		if (n == SIPC_EBUFSIZE) {
			sipc_cli_error("listen %s: fd: a message over %d bytes: the peer ends", url,
				       MSG_CAP);
			return SIPC_EXIT_FAIL;
		}
		if (n < 0) {
			sipc_cli_error("listen %s: fd: %s%s", url, sipc_strerror((int)n),
				       stream ? ": the peer ends" : "");
			return SIPC_EXIT_FAIL;
		}
		report(fds, nfds, (size_t)n);
		if (sipc_cli_globals.hex && n > 0)
			sipc_hexdump(stderr, '<', offset, msg, (size_t)n);
		offset += (uint64_t)n;
		for (size_t i = 0; i < nfds; i++) {
			if (stop == 0)
				stop = take_one(url, fds[i], dir, stop_fd, idle_ms, ++seq);
			close(fds[i]);
		}
		if (stop)
			return SIPC_EXIT_OK;
	}
}
