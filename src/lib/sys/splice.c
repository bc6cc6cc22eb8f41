/*
 * splice.c - zero-copy relay between two descriptors where the kernel has
 * splice(2) (Linux; one side must be a pipe).  The feature test sits here,
 * at the top, and picks one of two whole sets of definitions, so a port to
 * a system without splice changes nothing inside a function: callers ask
 * sipc__sys_have_splice() and fall back to read/write.
 */
#include "sys/sys.h"

#include <errno.h>

#if defined(__linux__)
#define HAVE_SPLICE 1
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#else
#define HAVE_SPLICE 0
#endif

#if HAVE_SPLICE

bool sipc__sys_have_splice(void)
{
	return true;
}

ssize_t sipc__sys_splice(int fd_in, int fd_out, size_t len)
{
	ssize_t r;

	/* SPLICE_F_NONBLOCK makes the pipe side non-blocking too; the
	 * sockets already are.  -EAGAIN goes up to the caller's poll. */
	do
		r = splice(fd_in, NULL, fd_out, NULL, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

int sipc__sys_splice_pipe(int p[2], size_t size, size_t fallback, size_t *cap)
{
	int sz;

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	/* The kernel may refuse a size (above pipe-max-size for an
	 * unprivileged user, or past pipe-user-pages-soft): a smaller pipe
	 * only means more rounds. */
	if (size > 0 && fcntl(p[1], F_SETPIPE_SZ, (int)size) < 0)
		(void)fcntl(p[1], F_SETPIPE_SZ, (int)fallback);
	sz = fcntl(p[1], F_GETPIPE_SZ);
	*cap = sz > 0 ? (size_t)sz : 65536;
	return 0;
}

int sipc__sys_pipe_grow(int fd, size_t size, size_t *cap)
{
	int sz;

	if (fcntl(fd, F_SETPIPE_SZ, (int)size) < 0)
		return -errno;
	sz = fcntl(fd, F_GETPIPE_SZ);
	if (sz > 0)
		*cap = (size_t)sz;
	return 0;
}

size_t sipc__sys_pipe_soft_bytes(void)
{
	FILE *f = fopen("/proc/sys/fs/pipe-user-pages-soft", "re");
	unsigned long pages = 0;
	long page = sysconf(_SC_PAGESIZE);

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu", &pages) != 1)
		pages = 0;
	fclose(f);
	return page > 0 ? pages * (size_t)page : 0;
}

#else /* !HAVE_SPLICE */

bool sipc__sys_have_splice(void)
{
	return false;
}

ssize_t sipc__sys_splice(int fd_in, int fd_out, size_t len)
{
	(void)fd_in;
	(void)fd_out;
	(void)len;
	return -ENOSYS;
}

int sipc__sys_splice_pipe(int p[2], size_t size, size_t fallback, size_t *cap)
{
	(void)p;
	(void)size;
	(void)fallback;
	(void)cap;
	return -ENOSYS;
}

int sipc__sys_pipe_grow(int fd, size_t size, size_t *cap)
{
	(void)fd;
	(void)size;
	(void)cap;
	return -ENOSYS;
}

size_t sipc__sys_pipe_soft_bytes(void)
{
	return 0;
}

#endif /* HAVE_SPLICE */
