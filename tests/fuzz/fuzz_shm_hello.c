/*
 * fuzz_shm_hello.c - libFuzzer target: the shm:// handshake's hello, as a
 * hostile peer sends it (src/lib/transport/shm/handshake.c).
 *
 * The input: a control byte, a 32-bit size for the descriptor, the 32
 * bytes of the hello, then the bytes written at the start of the
 * descriptor (the ring's header, as the peer would write it).  The
 * control byte says whether a descriptor comes at all; whether it is a
 * memfd or a pipe; which seals it gets (SHRINK, GROW); whether its size is
 * the one the hello names or the input's (sparse: ftruncate is cheap even
 * at 2 GiB); this side's ring_max (4K, 64K, 64M, 1G); and the path:
 *
 *   direct  sipc__shm_hello_check, then, when it accepts, sipc__ring_map
 *           as take_hello does.  Aborts unless: a refusal is
 *           SIPC_ESHM_HANDSHAKE with a printable sentence; an accepted
 *           ring is a power of two within ring_max in a sealed memfd of
 *           its size; a ring that maps has the size the hello named (so
 *           nothing over the cap is ever mapped); the descriptor is still
 *           open (the check closes nothing).
 *   socket  the hello and descriptor over a socketpair to an endpoint
 *           wrapped with sipc_endpoint_from_fd (shm://?ring=4K&ring_max=..),
 *           stepped with sipc_handshake: it must end in an error with a
 *           sentence or wait for the "mapped" byte, never crash; the
 *           descriptor it received is closed with the endpoint (the
 *           process's descriptor count is back where it was).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdpass.h"
#include "sockipc.h"
#include "transport/shm/ring.h"
#include "transport/shm/shm.h"

#ifndef F_ADD_SEALS
#define F_ADD_SEALS   1033
#define F_GET_SEALS   1034
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW   0x0004
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
	C_FD = 1,          /* a descriptor comes with the hello */
	C_PIPE = 2,        /* ...a pipe, not a memfd */
	C_SHRINK = 4,      /* sealed against shrinking */
	C_GROW = 8,        /* sealed against growing */
	C_OWN_SIZE = 16,   /* the memfd's size is the input's, not the hello's */
	C_MAX_SHIFT = 5,   /* two bits: ring_max */
	C_SOCKET = 128,    /* through a socket and a real endpoint */
	HEAD = 1 + 4 + 32, /* control, size, hello */
};

static const size_t ring_maxes[4] = {4096, 65536, 64u << 20, 1u << 30};

/* SIPC_FUZZ_VERBOSE=1: each input's outcome on stderr (to check seeds). */
static void say(const char *fmt, const char *s)
{
	static int verbose = -1;

	if (verbose < 0)
		verbose = getenv("SIPC_FUZZ_VERBOSE") != NULL;
	if (verbose)
		fprintf(stderr, fmt, s);
}

static void check_text(const char *what, const char *s)
{
	if (s[0] == '\0') {
		fprintf(stderr, "%s is empty\n", what);
		abort();
	}
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < 0x20 || *p > 0x7e) {
			fprintf(stderr, "%s holds byte 0x%02x: [%s]\n", what, (unsigned char)*p, s);
			abort();
		}
	}
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		abort();
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The descriptor of the input: a memfd (sealed as told, of the hello's
 * size or the input's, its first bytes BODY) or a pipe; -1 if none can be
 * made (not the code's fault: skipped). */
static int make_fd(uint8_t ctl, uint32_t own, uint64_t hello_size, const uint8_t *body, size_t n)
{
	off_t len;
	int fd, seals = 0;

	if (ctl & C_PIPE) {
		int p[2];

		if (pipe2(p, O_CLOEXEC) < 0)
			return -1;
		close(p[1]);
		return p[0];
	}
	fd = memfd_create("fuzz-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	/* Up to 2 GiB: past the largest ring (1 GiB) and any cap. */
	if (ctl & C_OWN_SIZE || hello_size > ((uint64_t)1 << 31))
		len = (off_t)(own & 0x7fffffffu);
	else
		len = (off_t)sipc__ring_file_len((size_t)hello_size);
	if (ftruncate(fd, len) < 0 || (n > 0 && pwrite(fd, body, n, 0) < 0)) {
		close(fd);
		return -1;
	}
	if (ctl & C_SHRINK)
		seals |= F_SEAL_SHRINK;
	if (ctl & C_GROW)
		seals |= F_SEAL_GROW;
	if (seals && fcntl(fd, F_ADD_SEALS, seals) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void direct(const uint8_t *hello, int fd, size_t ring_max)
{
	char why[SIPC_WHY_MAX] = "", rwhy[SIPC_WHY_MAX] = "";
	size_t got = 0;
	int seals = 0, rc;
	struct sipc__ring r;
	struct stat st;

	rc = sipc__shm_hello_check(hello, fd, ring_max, &got, &seals, why, sizeof(why));
	if (fd >= 0 && fcntl(fd, F_GETFD) < 0) {
		fprintf(stderr, "the check closed the peer's descriptor\n");
		abort();
	}
	if (rc < 0) {
		if (rc != SIPC_ESHM_HANDSHAKE) {
			fprintf(stderr, "a refusal with code %d\n", rc);
			abort();
		}
		check_text("the refusal", why);
		say("refused: %s\n", why);
		return;
	}
	if (rc != 0 || got > ring_max || got < SIPC__RING_MIN || (got & (got - 1)) != 0 ||
	    got != get64(hello + 16) || fstat(fd, &st) < 0 ||
	    (uint64_t)st.st_size != sipc__ring_file_len(got) ||
	    (seals & (F_SEAL_SHRINK | F_SEAL_GROW)) != (F_SEAL_SHRINK | F_SEAL_GROW)) {
		fprintf(stderr, "accepted a ring of %zu (cap %zu, hello %llu)\n", got, ring_max,
			(unsigned long long)get64(hello + 16));
		abort();
	}
	memset(&r, 0, sizeof(r));
	rc = sipc__ring_map(&r, fd, false, rwhy, sizeof(rwhy));
	if (rc < 0) {
		check_text("the ring's refusal", rwhy);
		say("ring refused: %s\n", rwhy);
		return;
	}
	if (r.size != got) {
		fprintf(stderr, "mapped a ring of %zu, the hello said %zu\n", r.size, got);
		abort();
	}
	sipc__ring_unmap(&r);
	say("mapped%s\n", "");
}

static void through_socket(const uint8_t *hello, int fd, size_t ring_max, size_t split)
{
	char url[96];
	sipc_options o = {0};
	sipc_endpoint *ep;
	sipc_url *u;
	struct iovec iov;
	int sv[2], rc = SIPC_ETIMEDOUT, before = count_fds();

	snprintf(url, sizeof(url), "shm://@fuzz?ring=4K&ring_max=%zu", ring_max);
	if (sipc_url_parse(url, &u, NULL, 0) < 0)
		abort();
	o.url = u;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		sipc_url_free(u);
		return;
	}
	if (sipc_endpoint_from_fd(sv[0], SIPC_SHM, &o, &ep) < 0)
		abort();
	sipc_url_free(u);
	/* The hello in two writes: the descriptor with the first. */
	iov.iov_base = (void *)hello;
	iov.iov_len = split;
	if (sipc__fdpass_send(sv[1], &iov, 1, &fd, fd >= 0 ? 1 : 0, NULL, 0) != (ssize_t)split)
		abort();
	if (split < SIPC__SHM_HELLO && write(sv[1], hello + split, SIPC__SHM_HELLO - split) !=
					       (ssize_t)(SIPC__SHM_HELLO - split))
		abort();
	/* Bounded: send, receive, ack, then the wait for the peer's byte. */
	for (int i = 0; i < 8 && rc == SIPC_ETIMEDOUT; i++)
		rc = sipc_handshake(ep, 0);
	if (rc == 0) {
		fprintf(stderr, "the handshake ended without the peer's last byte\n");
		abort();
	}
	if (rc != SIPC_ETIMEDOUT)
		check_text("the handshake's sentence", sipc_endpoint_why(ep));
	say("socket: %s\n",
	    rc == SIPC_ETIMEDOUT ? "waits for the peer's byte" : sipc_endpoint_why(ep));
	sipc_endpoint_close(ep);
	close(sv[1]);
	/* FD is still open here, as it was before: the endpoint kept
	 * nothing of its own, nor the copy it received. */
	if (count_fds() != before) {
		fprintf(stderr, "descriptors: %d before, %d after\n", before, count_fds());
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ctl, hello[SIPC__SHM_HELLO];
	uint32_t own;
	size_t ring_max;
	int fd = -1;

	if (size < HEAD || size > HEAD + 4096)
		return 0;
	ctl = data[0];
	own = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
	      (uint32_t)data[4] << 24;
	memcpy(hello, data + 5, sizeof(hello));
	ring_max = ring_maxes[(ctl >> C_MAX_SHIFT) & 3];
	if (ctl & C_FD) {
		fd = make_fd(ctl, own, get64(hello + 16), data + HEAD, size - HEAD);
		if (fd < 0)
			return 0;
	}
	if (ctl & C_SOCKET)
		through_socket(hello, fd, ring_max, 1 + own % SIPC__SHM_HELLO);
	else
		direct(hello, fd, ring_max);
	if (fd >= 0)
		close(fd);
	return 0;
}
