/*
 * ring.c - one direction of an shm:// connection: the single-producer,
 * single-consumer byte ring in a sealed memfd (the contract is ring.h).
 * This file owns the shared layout, its creation and sealing, the checks
 * made before anything read from the shared pages is used, the copies in
 * and out, and the arm/wake half of the sleep protocol; the doorbell that
 * actually wakes a sleeper belongs to the transport.
 *
 * Memory ordering.  The two processes share only lock-free C11 atomics
 * (an address-free lock-free atomic works across processes; anything
 * with a lock would not), so every shared field is an _Atomic integer and
 * the build fails where 32- and 64-bit atomics are not always lock-free.
 * Positions are published with release stores and read with acquire
 * loads: a consumer that sees a head also sees the bytes written before
 * it, and a producer that sees a tail knows the consumer has finished
 * copying the bytes below it.  The sleep protocol is Dekker's: the
 * sleeper stores its flag, then looks at the peer's position; the mover
 * stores its position, then looks at the flag.  Release/acquire cannot
 * keep a store and a later load in order, so a sequentially consistent
 * fence sits between the two on each side; C11 7.17.4 then promises that
 * at least one of the two looks sees the other side's store, so a wake-up
 * is never lost.
 */
#include "transport/shm/ring.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockipc.h"
#include "why.h"

/* A lock-free atomic is address-free (C11 7.17.5 note), so it works across
 * the two mappings; a lock-based one would take a lock in one process only. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics must be lock-free");
_Static_assert(sizeof(unsigned long long) == sizeof(uint64_t), "uint64_t is unsigned long long");

/* "SIPCRNG1" in memory order on a little-endian machine; both processes
 * run on the same machine, so its byte order is the same for both. */
#define RING_MAGIC   UINT64_C(0x31474e5243504953)
#define RING_VERSION 1u
#define CACHE_LINE   64

/*
 * The layout in the memfd.  Line 0 is written once by the creator and
 * read once by each side at map time; it is never read again, so a peer
 * that changes it later changes nothing.  Line 1 is written by the
 * producer (its head and its end) and read by the consumer; line 2 is
 * written by the consumer (its tail) and read by the producer.  Each
 * waiting flag is set by the side that sleeps and sits on the line its
 * peer already reads on every call (the reader's flag beside the tail the
 * producer reads, the writer's beside the head the consumer reads), so
 * the check after every write or read costs no extra cache line; it is
 * written only around a sleep.  The data area follows, at data_off.
 */
struct sipc__ring_shared {
	_Atomic uint64_t magic;
	_Atomic uint32_t version;
	_Atomic uint32_t reserved;
	_Atomic uint64_t size;     /* of the data area */
	_Atomic uint64_t data_off; /* from the start of the memfd */
	uint8_t pad0[CACHE_LINE - 32];

	_Atomic uint64_t head;           /* producer: bytes published */
	_Atomic uint32_t writer_waiting; /* producer: armed, wake me on room */
	_Atomic uint32_t closed;         /* producer: no more bytes */
	uint8_t pad1[CACHE_LINE - 16];

	_Atomic uint64_t tail;           /* consumer: bytes released */
	_Atomic uint32_t reader_waiting; /* consumer: armed, wake me on data */
	_Atomic uint32_t reserved2;
	uint8_t pad2[CACHE_LINE - 16];
};

#define RING_HDR sizeof(struct sipc__ring_shared)
_Static_assert(sizeof(struct sipc__ring_shared) == 3 * CACHE_LINE, "three cache lines");
_Static_assert(offsetof(struct sipc__ring_shared, head) == CACHE_LINE, "head on line 1");
_Static_assert(offsetof(struct sipc__ring_shared, tail) == 2 * CACHE_LINE, "tail on line 2");

static bool size_ok(uint64_t size)
{
	return size >= SIPC__RING_MIN && size <= SIPC__RING_MAX && (size & (size - 1)) == 0;
}

/*
 * The data pages are allocated as the producer first comes to them, not
 * at creation: a connection that moves a few messages costs the pages it
 * touches, not a zeroed 256 KiB per direction (that allocation and its
 * freeing at close were most of an shm:// connection's setup).  The
 * producer makes every page exist with MADV_POPULATE_WRITE before it
 * writes there (ensure), so a page that cannot be had is an error of that
 * write (-ENOMEM), never SIGBUS at a fault; the consumer reads only bytes
 * published after that, so it never faults on a hole of an honest
 * producer's ring either.  A kernel without MADV_POPULATE_WRITE (before
 * 5.14) gets the whole file allocated at creation, as before.
 */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static size_t page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (size_t)ps : 4096;
}

/* Producer: the file's bytes 0..END exist (the pages in R's mapping are
 * populated), doubling what is ready each time so that a first lap costs
 * a few calls.  0 or -ENOMEM. */
static int ensure(struct sipc__ring *r, size_t end)
{
	size_t ps = page_size(), from, to;

	if (end <= r->ready)
		return 0;
	from = r->ready & ~(ps - 1);
	to = end > 2 * r->ready ? end : 2 * r->ready;
	to = (to + ps - 1) & ~(ps - 1);
	if (to > r->map_len)
		to = r->map_len;
	/* Bounded: a signal may interrupt the population a few times. */
	for (int i = 0;; i++) {
		if (madvise((uint8_t *)r->sh + from, to - from, MADV_POPULATE_WRITE) == 0)
			break;
		if (errno == EINVAL) {
			/* No MADV_POPULATE_WRITE: creation allocated it all. */
			r->ready = r->map_len;
			return 0;
		}
		if (errno != EINTR || i == 3)
			return -ENOMEM; /* ENOMEM, or EFAULT: a fault would SIGBUS */
	}
	r->ready = to;
	return 0;
}

/* The header fields of an empty ring. */
static void init_header(struct sipc__ring_shared *sh, size_t size)
{
	atomic_store_explicit(&sh->magic, RING_MAGIC, memory_order_relaxed);
	atomic_store_explicit(&sh->version, RING_VERSION, memory_order_relaxed);
	atomic_store_explicit(&sh->size, size, memory_order_relaxed);
	atomic_store_explicit(&sh->data_off, RING_HDR, memory_order_relaxed);
	atomic_store_explicit(&sh->head, 0, memory_order_relaxed);
	atomic_store_explicit(&sh->tail, 0, memory_order_relaxed);
	atomic_store_explicit(&sh->closed, 0, memory_order_relaxed);
	atomic_store_explicit(&sh->reader_waiting, 0, memory_order_relaxed);
	atomic_store_explicit(&sh->writer_waiting, 0, memory_order_relaxed);
}

int sipc__ring_create_map(struct sipc__ring *r, size_t size, const char *name)
{
	struct sipc__ring_shared *sh;
	size_t len, ps = page_size(), ready;
	int fd, err;

	if (!size_ok(size))
		return -EINVAL;
	len = RING_HDR + size;
	fd = memfd_create(name ? name : "sockipc-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)len) < 0)
		goto fail_errno;
	sh = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sh == MAP_FAILED)
		goto fail_errno;
	/* The header's page now, before it is written (ensure says why). */
	ready = ps < len ? ps : len;
	if (madvise(sh, ready, MADV_POPULATE_WRITE) < 0) {
		if (errno != EINVAL) {
			err = -ENOMEM;
			goto fail_unmap;
		}
		/* Allocate the pages now: a memfd that cannot get its memory
		 * fails here, with an error, instead of with SIGBUS at a later
		 * fault. */
		err = posix_fallocate(fd, 0, (off_t)len);
		if (err != 0 && err != EOPNOTSUPP && err != EINVAL) {
			err = -err;
			goto fail_unmap;
		}
		ready = len;
	}
	init_header(sh, size);
	/* Sealed against shrinking (a peer's truncation would turn our next
	 * access into SIGBUS), growing (the size is part of the contract) and
	 * further sealing (nobody can add F_SEAL_WRITE either). */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		err = -errno;
		goto fail_unmap;
	}
	/* Made and sealed here, and nobody else holds it yet: nothing to
	 * check, as sipc__ring_map would for a ring from elsewhere. */
	memset(r, 0, sizeof(*r));
	r->sh = sh;
	r->data = (uint8_t *)sh + RING_HDR;
	r->size = size;
	r->map_len = len;
	r->producer = true;
	r->ready = ready;
	return fd;

fail_unmap:
	munmap(sh, len);
	close(fd);
	return err;
fail_errno:
	err = -errno;
	close(fd);
	return err;
}

int sipc__ring_create(size_t size, const char *name)
{
	struct sipc__ring r;
	int fd = sipc__ring_create_map(&r, size, name);

	if (fd >= 0)
		sipc__ring_unmap(&r);
	return fd;
}

static int fail(char *why, size_t whylen, int code, const char *fmt, ...) SIPC__PRINTF(4, 5);
static int fail(char *why, size_t whylen, int code, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Reads the header once and checks it against the memfd's own size. */
static int check_header(struct sipc__ring_shared *sh, uint64_t file_size, uint64_t *size, char *why,
			size_t whylen)
{
	uint64_t magic = atomic_load_explicit(&sh->magic, memory_order_relaxed);
	uint32_t version = atomic_load_explicit(&sh->version, memory_order_relaxed);
	uint64_t sz = atomic_load_explicit(&sh->size, memory_order_relaxed);
	uint64_t off = atomic_load_explicit(&sh->data_off, memory_order_relaxed);

	if (magic != RING_MAGIC)
		return fail(why, whylen, SIPC_ESHM_CORRUPT, "not a sockipc ring (bad magic)");
	if (version != RING_VERSION)
		return fail(why, whylen, SIPC_ESHM_CORRUPT, "ring version %u, expected %u",
			    (unsigned)version, RING_VERSION);
	if (!size_ok(sz))
		return fail(why, whylen, SIPC_ESHM_CORRUPT,
			    "ring data size %llu is not a power of two in %zu..%zu",
			    (unsigned long long)sz, SIPC__RING_MIN, SIPC__RING_MAX);
	if (off != RING_HDR)
		return fail(why, whylen, SIPC_ESHM_CORRUPT, "ring data offset %llu, expected %zu",
			    (unsigned long long)off, RING_HDR);
	if (off + sz != file_size)
		return fail(why, whylen, SIPC_ESHM_CORRUPT,
			    "ring header says %llu bytes, the memfd has %llu",
			    (unsigned long long)(off + sz), (unsigned long long)file_size);
	*size = sz;
	return 0;
}

int sipc__ring_map(struct sipc__ring *r, int fd, bool producer, char *why, size_t whylen)
{
	const int need = F_SEAL_SHRINK | F_SEAL_GROW;
	struct sipc__ring_shared *sh;
	struct sipc__ring m;
	struct stat st;
	uint64_t size = 0, head, tail;
	size_t len;
	int seals, rc;

	/* The seals first: once SHRINK and GROW are on they never come off,
	 * so the size read after them is the size for good. */
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0) {
		if (errno == EINVAL)
			return fail(why, whylen, SIPC_ESHM_CORRUPT,
				    "the ring is not a sealable memfd");
		rc = -errno;
		return fail(why, whylen, rc, "F_GET_SEALS: %s", strerror(-rc));
	}
	if ((seals & need) != need)
		return fail(why, whylen, SIPC_ESHM_CORRUPT,
			    "the ring's memfd is not sealed against shrinking and growing");
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		return fail(why, whylen, rc, "fstat: %s", strerror(-rc));
	}
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)(RING_HDR + SIPC__RING_MIN) ||
	    st.st_size > (off_t)(RING_HDR + SIPC__RING_MAX))
		return fail(why, whylen, SIPC_ESHM_CORRUPT, "the ring's memfd has %lld bytes",
			    (long long)st.st_size);
	len = (size_t)st.st_size;
	sh = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sh == MAP_FAILED) {
		rc = -errno;
		return fail(why, whylen, rc, "mmap: %s", strerror(-rc));
	}
	rc = check_header(sh, len, &size, why, whylen);
	if (rc < 0)
		goto fail_unmap;
	/* A fresh ring: nothing written yet, so both positions are equal,
	 * and they are where both sides start. */
	head = atomic_load_explicit(&sh->head, memory_order_acquire);
	tail = atomic_load_explicit(&sh->tail, memory_order_acquire);
	if (head != tail) {
		rc = fail(why, whylen, SIPC_ESHM_CORRUPT,
			  "the ring is not fresh: head %llu, tail %llu", (unsigned long long)head,
			  (unsigned long long)tail);
		goto fail_unmap;
	}
	memset(&m, 0, sizeof(m));
	m.sh = sh;
	m.data = (uint8_t *)sh + RING_HDR;
	m.size = (size_t)size;
	m.map_len = len;
	m.producer = producer;
	m.pos = head;
	m.peer = head;
	/* A producer that starts elsewhere than at 0 writes anywhere in its
	 * first lap: all of it now (ring_write populates a prefix). */
	if (producer && head != 0 && ensure(&m, len) < 0) {
		rc = fail(why, whylen, -ENOMEM, "no memory for the ring's %zu bytes", len);
		goto fail_unmap;
	}
	*r = m;
	return 0;

fail_unmap:
	munmap(sh, len);
	return rc;
}

size_t sipc__ring_file_len(size_t size)
{
	return RING_HDR + size;
}

void sipc__ring_unmap(struct sipc__ring *r)
{
	if (!r->sh)
		return;
	munmap(r->sh, r->map_len);
	memset(r, 0, sizeof(*r));
}

/* Producer: the tail in shared memory, accepted only between the last
 * tail accepted and our own head (64-bit differences, so a position that
 * wraps around 2^64 stays right).  Sets the sticky corrupt mark. */
static bool load_tail(struct sipc__ring *r)
{
	uint64_t t = atomic_load_explicit(&r->sh->tail, memory_order_acquire);

	if (t - r->peer > r->pos - r->peer) {
		r->corrupt = true;
		return false;
	}
	r->peer = t;
	return true;
}

/* Consumer: the head in shared memory, accepted only within tail..tail+size. */
static bool load_head(struct sipc__ring *r)
{
	uint64_t h = atomic_load_explicit(&r->sh->head, memory_order_acquire);

	if (h - r->pos > r->size) {
		r->corrupt = true;
		return false;
	}
	r->peer = h;
	return true;
}

static int check_side(const struct sipc__ring *r, bool producer)
{
	if (!r->sh || r->producer != producer)
		return -EINVAL;
	if (r->corrupt)
		return SIPC_ESHM_CORRUPT;
	return 0;
}

ssize_t sipc__ring_write(struct sipc__ring *r, const struct iovec *iov, int iovcnt)
{
	size_t room, done = 0, mask = r->size - 1;
	int i, rc;

	rc = check_side(r, true);
	if (rc < 0)
		return rc;
	if (iovcnt < 0 || (iovcnt > 0 && !iov))
		return -EINVAL;
	if (r->closed)
		return -EPIPE;
	if (!load_tail(r))
		return SIPC_ESHM_CORRUPT;
	room = r->size - (size_t)(r->pos - r->peer);
	/* First lap (from 0: ring_map populated any other start): the pages
	 * up to what this call writes must exist first. */
	if (r->ready < r->map_len) {
		size_t want = 0;

		for (i = 0; i < iovcnt && want < room; i++)
			want += iov[i].iov_len < room - want ? iov[i].iov_len : room - want;
		want = r->pos + want < r->size ? (size_t)r->pos + want : r->size;
		if ((rc = ensure(r, RING_HDR + want)) < 0)
			return rc;
	}
	for (i = 0; i < iovcnt && done < room; i++) {
		const uint8_t *src = iov[i].iov_base;
		size_t n = iov[i].iov_len, off, first;

		if (n > room - done)
			n = room - done;
		if (n == 0)
			continue;
		off = (size_t)(r->pos + done) & mask;
		first = r->size - off < n ? r->size - off : n;
		memcpy(r->data + off, src, first);
		if (first < n)
			memcpy(r->data, src + first, n - first);
		done += n;
	}
	if (done > 0) {
		r->pos += done;
		atomic_store_explicit(&r->sh->head, r->pos, memory_order_release);
	}
	return (ssize_t)done;
}

ssize_t sipc__ring_read(struct sipc__ring *r, const struct iovec *iov, int iovcnt, bool peek)
{
	size_t avail, done = 0, mask = r->size - 1;
	int i, rc;

	rc = check_side(r, false);
	if (rc < 0)
		return rc;
	if (iovcnt < 0 || (iovcnt > 0 && !iov))
		return -EINVAL;
	if (!load_head(r))
		return SIPC_ESHM_CORRUPT;
	avail = (size_t)(r->peer - r->pos);
	for (i = 0; i < iovcnt && done < avail; i++) {
		uint8_t *dst = iov[i].iov_base;
		size_t n = iov[i].iov_len, off, first;

		if (n > avail - done)
			n = avail - done;
		if (n == 0)
			continue;
		off = (size_t)(r->pos + done) & mask;
		first = r->size - off < n ? r->size - off : n;
		memcpy(dst, r->data + off, first);
		if (first < n)
			memcpy(dst + first, r->data, n - first);
		done += n;
	}
	if (done > 0 && !peek) {
		r->pos += done;
		atomic_store_explicit(&r->sh->tail, r->pos, memory_order_release);
	}
	return (ssize_t)done;
}

ssize_t sipc__ring_readable(struct sipc__ring *r)
{
	int rc = check_side(r, false);

	if (rc < 0)
		return rc;
	if (!load_head(r))
		return SIPC_ESHM_CORRUPT;
	return (ssize_t)(r->peer - r->pos);
}

ssize_t sipc__ring_writable(struct sipc__ring *r)
{
	int rc = check_side(r, true);

	if (rc < 0)
		return rc;
	if (!load_tail(r))
		return SIPC_ESHM_CORRUPT;
	return (ssize_t)(r->size - (size_t)(r->pos - r->peer));
}

/*
 * The sleeper's half of Dekker: flag, fence, look.  When the look finds
 * what the sleeper waits for (or finds the ring corrupt, which the next
 * call reports) it takes its flag back and says "do not sleep"; a wake-up
 * the peer may have sent meanwhile is then only a spurious one.
 */
bool sipc__ring_arm_reader(struct sipc__ring *r)
{
	if (check_side(r, false) < 0)
		return false;
	atomic_store_explicit(&r->sh->reader_waiting, 1, memory_order_seq_cst);
	atomic_thread_fence(memory_order_seq_cst);
	/* The end is news too: close_write is followed by wake_reader, so
	 * the second look must cover it, or a close that lands between the
	 * caller's write_closed and this arm would never wake us. */
	if (load_head(r) && r->peer == r->pos &&
	    atomic_load_explicit(&r->sh->closed, memory_order_acquire) == 0)
		return true;
	atomic_store_explicit(&r->sh->reader_waiting, 0, memory_order_relaxed);
	return false;
}

bool sipc__ring_arm_writer(struct sipc__ring *r, size_t need)
{
	if (check_side(r, true) < 0)
		return false;
	if (need == 0)
		need = 1;
	if (need > r->size)
		need = r->size;
	atomic_store_explicit(&r->sh->writer_waiting, 1, memory_order_seq_cst);
	atomic_thread_fence(memory_order_seq_cst);
	if (load_tail(r) && r->size - (size_t)(r->pos - r->peer) < need)
		return true;
	atomic_store_explicit(&r->sh->writer_waiting, 0, memory_order_relaxed);
	return false;
}

/*
 * The mover's half: its position is already stored (release, in write or
 * read); fence, then look at the flag.  The flag is read before it is
 * exchanged so that the common case, nobody asleep, writes nothing to the
 * peer's cache line.  Any non-zero value counts as set: a peer scribbling
 * on its flag only earns itself spurious or missing wake-ups.
 */
static bool wake(_Atomic uint32_t *flag)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(flag, memory_order_relaxed) == 0)
		return false;
	return atomic_exchange_explicit(flag, 0, memory_order_seq_cst) != 0;
}

bool sipc__ring_wake_reader(struct sipc__ring *r)
{
	if (!r->sh || !r->producer)
		return false;
	return wake(&r->sh->reader_waiting);
}

bool sipc__ring_reader_armed(const struct sipc__ring *r)
{
	if (!r->sh || r->producer)
		return false;
	return atomic_load_explicit(&r->sh->reader_waiting, memory_order_relaxed) != 0;
}

bool sipc__ring_wake_writer(struct sipc__ring *r)
{
	if (!r->sh || r->producer)
		return false;
	return wake(&r->sh->writer_waiting);
}

void sipc__ring_close_write(struct sipc__ring *r)
{
	if (!r->sh || !r->producer)
		return;
	r->closed = true;
	/* Release: whoever sees closed also sees every head stored before. */
	atomic_store_explicit(&r->sh->closed, 1, memory_order_release);
}

bool sipc__ring_write_closed(const struct sipc__ring *r)
{
	if (!r->sh || r->producer)
		return false;
	return atomic_load_explicit(&r->sh->closed, memory_order_acquire) != 0;
}
