/*
 * test_shm_ring.c - the shared ring of shm:// (transport/shm/ring.c): both
 * ends mapped in this process (the same memfd twice, a producer view and a
 * consumer view), bytes across the wrap point and across 2^64, full and
 * empty, peek, the sizes and memfds it refuses, a peer that scribbles
 * impossible positions through a third raw mapping (SIPC_ESHM_CORRUPT, and
 * for good), random scribbles on the whole header while both sides keep
 * calling, the arm/wake protocol, and a threaded stress through a 4 KiB
 * ring that checks every byte (shm_ring_stress.c, also run under
 * ThreadSanitizer by test_shm_ring_tsan).
 */
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm_ring_stress.h"
#include "transport/shm/ring.h"

/* The shared layout as ring.c defines it (test_raw_layout checks these
 * offsets against what the ring really writes). */
#define HDR         192
#define OFF_MAGIC   0
#define OFF_VERSION 8
#define OFF_SIZE    16
#define OFF_DATA    24
#define OFF_HEAD    64
#define OFF_WWAIT   72
#define OFF_CLOSED  76
#define OFF_TAIL    128
#define OFF_RWAIT   136
#define MAGIC       UINT64_C(0x31474e5243504953)
#define SMALL       SIPC__RING_MIN

static uint64_t get64(const uint8_t *raw, size_t off)
{
	uint64_t v;

	memcpy(&v, raw + off, sizeof(v));
	return v;
}

static void put64(uint8_t *raw, size_t off, uint64_t v)
{
	memcpy(raw + off, &v, sizeof(v));
}

static uint32_t get32(const uint8_t *raw, size_t off)
{
	uint32_t v;

	memcpy(&v, raw + off, sizeof(v));
	return v;
}

static void put32(uint8_t *raw, size_t off, uint32_t v)
{
	memcpy(raw + off, &v, sizeof(v));
}

static uint8_t pat(uint64_t pos)
{
	return (uint8_t)((pos * UINT64_C(0x9E3779B97F4A7C15)) >> 56) ^ (uint8_t)pos;
}

/* A ring of SIZE with its producer and consumer views and a raw view (the
 * scribbling peer). */
struct pair {
	int fd;
	struct sipc__ring p, c;
	uint8_t *raw;
	size_t len;
};

static void pair_open(struct pair *x, size_t size)
{
	char why[200] = "";
	int rc;

	memset(x, 0, sizeof(*x));
	x->fd = sipc__ring_create(size, "test-ring");
	assert_true(x->fd >= 0);
	rc = sipc__ring_map(&x->p, x->fd, true, why, sizeof(why));
	if (rc < 0)
		fail_msg("map producer: %s: %s", sipc_strerror(rc), why);
	rc = sipc__ring_map(&x->c, x->fd, false, why, sizeof(why));
	if (rc < 0)
		fail_msg("map consumer: %s: %s", sipc_strerror(rc), why);
	x->len = HDR + size;
	x->raw = mmap(NULL, x->len, PROT_READ | PROT_WRITE, MAP_SHARED, x->fd, 0);
	assert_true(x->raw != MAP_FAILED);
}

static void pair_close(struct pair *x)
{
	sipc__ring_unmap(&x->p);
	sipc__ring_unmap(&x->c);
	munmap(x->raw, x->len);
	close(x->fd);
}

static ssize_t put(struct sipc__ring *r, const void *buf, size_t len)
{
	struct iovec iov = {(void *)buf, len};

	return sipc__ring_write(r, &iov, 1);
}

static ssize_t get(struct sipc__ring *r, void *buf, size_t len, bool peek)
{
	struct iovec iov = {buf, len};

	return sipc__ring_read(r, &iov, 1, peek);
}

static void test_create_sizes(void **state)
{
	static const size_t bad[] = {0,
				     1,
				     2048,
				     4095,
				     4097,
				     6000,
				     3 * 4096,
				     SIPC__RING_MAX + 1,
				     SIPC__RING_MAX * 2,
				     (size_t)-1};
	static const size_t good[] = {SIPC__RING_MIN, 8192, SIPC__RING_DEFAULT};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sipc__ring_create(bad[i], "bad"), -EINVAL);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int fd = sipc__ring_create(good[i], "good");
		struct stat st;
		int seals;

		assert_true(fd >= 0);
		assert_int_equal(fstat(fd, &st), 0);
		assert_int_equal((size_t)st.st_size, HDR + good[i]);
		seals = fcntl(fd, F_GET_SEALS);
		assert_int_equal(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
				 F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
		assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		/* The seals hold: the file cannot be truncated or grown. */
		assert_int_equal(ftruncate(fd, 100), -1);
		assert_int_equal(errno, EPERM);
		assert_int_equal(ftruncate(fd, st.st_size + 4096), -1);
		assert_int_equal(errno, EPERM);
		close(fd);
	}
}

/* The offsets this test scribbles at are the ones the ring uses. */
static void test_raw_layout(void **state)
{
	struct pair x;
	uint8_t buf[SMALL];

	(void)state;
	pair_open(&x, SMALL);
	assert_int_equal(get64(x.raw, OFF_MAGIC), MAGIC);
	assert_int_equal(get32(x.raw, OFF_VERSION), 1);
	assert_int_equal(get64(x.raw, OFF_SIZE), SMALL);
	assert_int_equal(get64(x.raw, OFF_DATA), HDR);
	memset(buf, 'a', sizeof(buf));
	assert_int_equal(put(&x.p, buf, 300), 300);
	assert_int_equal(get64(x.raw, OFF_HEAD), 300);
	assert_int_equal(x.raw[HDR + 299], 'a');
	assert_int_equal(get(&x.c, buf, 120, false), 120);
	assert_int_equal(get64(x.raw, OFF_TAIL), 120);
	assert_true(sipc__ring_arm_reader(&x.c) == false);
	assert_int_equal(get(&x.c, buf, 300, false), 180);
	assert_true(sipc__ring_arm_reader(&x.c));
	assert_int_equal(get32(x.raw, OFF_RWAIT), 1);
	assert_true(sipc__ring_wake_reader(&x.p));
	assert_int_equal(get32(x.raw, OFF_RWAIT), 0);
	put64(x.raw, OFF_HEAD, 300 + SMALL);                  /* the peer says: full */
	assert_true(sipc__ring_arm_writer(&x.p, 1) == false); /* head is ours, not the file's */
	put64(x.raw, OFF_HEAD, 300);
	assert_int_equal(put(&x.p, buf, SMALL), SMALL);
	assert_true(sipc__ring_arm_writer(&x.p, 1));
	assert_int_equal(get32(x.raw, OFF_WWAIT), 1);
	sipc__ring_close_write(&x.p);
	assert_int_equal(get32(x.raw, OFF_CLOSED), 1);
	pair_close(&x);
}

static void test_basic(void **state)
{
	struct pair x;
	char buf[64];
	struct iovec none = {buf, 0};

	(void)state;
	pair_open(&x, SMALL);
	assert_int_equal(sipc__ring_readable(&x.c), 0);
	assert_int_equal(sipc__ring_writable(&x.p), SMALL);
	assert_int_equal(get(&x.c, buf, sizeof(buf), false), 0);
	/* Zero-length writes and reads move nothing. */
	assert_int_equal(sipc__ring_write(&x.p, NULL, 0), 0);
	assert_int_equal(sipc__ring_write(&x.p, &none, 1), 0);
	assert_int_equal(get64(x.raw, OFF_HEAD), 0);
	assert_int_equal(put(&x.p, "hello", 5), 5);
	assert_int_equal(sipc__ring_read(&x.c, NULL, 0, false), 0);
	assert_int_equal(sipc__ring_read(&x.c, &none, 1, false), 0);
	assert_int_equal(sipc__ring_readable(&x.c), 5);
	assert_int_equal(sipc__ring_writable(&x.p), SMALL - 5);
	/* Peek copies without releasing. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(get(&x.c, buf, 3, true), 3);
	assert_memory_equal(buf, "hel", 3);
	assert_int_equal(sipc__ring_readable(&x.c), 5);
	assert_int_equal(get64(x.raw, OFF_TAIL), 0);
	assert_int_equal(get(&x.c, buf, sizeof(buf), true), 5);
	assert_int_equal(get(&x.c, buf, sizeof(buf), false), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(sipc__ring_readable(&x.c), 0);
	assert_int_equal(sipc__ring_writable(&x.p), SMALL);
	assert_int_equal(get(&x.c, buf, sizeof(buf), false), 0);
	/* Each call on its own side only. */
	assert_int_equal(put(&x.c, "x", 1), -EINVAL);
	assert_int_equal(get(&x.p, buf, 1, false), -EINVAL);
	assert_int_equal(sipc__ring_readable(&x.p), -EINVAL);
	assert_int_equal(sipc__ring_writable(&x.c), -EINVAL);
	assert_int_equal(sipc__ring_write(&x.p, &none, -1), -EINVAL);
	/* Unmapping twice, or a ring never mapped, does nothing. */
	sipc__ring_unmap(&x.c);
	sipc__ring_unmap(&x.c);
	assert_int_equal(get(&x.c, buf, 1, false), -EINVAL);
	pair_close(&x);
}

static void test_full(void **state)
{
	struct pair x;
	uint8_t *buf = malloc(SMALL + 10);
	size_t i;

	(void)state;
	assert_non_null(buf);
	pair_open(&x, SMALL);
	for (i = 0; i < SMALL + 10; i++)
		buf[i] = pat(i);
	assert_int_equal(put(&x.p, buf, 1000), 1000);
	/* Only the room there is. */
	assert_int_equal(put(&x.p, buf + 1000, SMALL + 10 - 1000), SMALL - 1000);
	assert_int_equal(sipc__ring_writable(&x.p), 0);
	assert_int_equal(put(&x.p, buf, 1), 0);
	assert_int_equal(sipc__ring_readable(&x.c), SMALL);
	memset(buf, 0, SMALL);
	assert_int_equal(get(&x.c, buf, 1, false), 1);
	assert_int_equal(buf[0], pat(0));
	assert_int_equal(sipc__ring_writable(&x.p), 1);
	assert_int_equal(put(&x.p, "abcdef", 6), 1);
	assert_int_equal(get(&x.c, buf, SMALL + 10, false), SMALL);
	for (i = 0; i < SMALL - 1; i++)
		assert_int_equal(buf[i], pat(i + 1));
	assert_int_equal(buf[SMALL - 1], 'a');
	assert_int_equal(sipc__ring_readable(&x.c), 0);
	pair_close(&x);
	free(buf);
}

/* Odd-sized pieces in and out, many laps: every piece boundary and the wrap
 * point fall everywhere. */
static void wrap_run(struct pair *x, uint64_t start, size_t laps)
{
	static const size_t wsz[] = {1, 1000, 2047, 0, 3, 4096, 17, 333};
	static const size_t rsz[] = {5, 0, 1234, 4095, 2, 777, 1};
	uint8_t out[8192], in[8192];
	uint64_t wpos = start, rpos = start, target = (uint64_t)laps * SMALL;
	size_t k = 0, i;

	while (wpos - start < target || rpos != wpos) {
		struct iovec wv[3], rv[3];
		size_t total = 0, j;
		ssize_t n;

		for (j = 0; j < 3 && wpos - start < target; j++) {
			wv[j].iov_base = out + total;
			wv[j].iov_len = wsz[(k + j) % 8];
			total += wv[j].iov_len;
		}
		for (i = 0; i < total; i++)
			out[i] = pat(wpos + i);
		n = sipc__ring_write(&x->p, wv, (int)j);
		assert_true(n >= 0 && (size_t)n <= total);
		wpos += (uint64_t)n;
		total = 0;
		for (j = 0; j < 3; j++) {
			rv[j].iov_base = in + total;
			rv[j].iov_len = rsz[(k + 2 * j) % 7];
			total += rv[j].iov_len;
		}
		n = sipc__ring_read(&x->c, rv, 3, false);
		assert_true(n >= 0 && (size_t)n <= total);
		for (i = 0; i < (size_t)n; i++)
			if (in[i] != pat(rpos + i))
				fail_msg("byte %llu: %u, expected %u",
					 (unsigned long long)(rpos + i - start), in[i],
					 pat(rpos + i));
		rpos += (uint64_t)n;
		assert_int_equal(sipc__ring_readable(&x->c), wpos - rpos);
		k++;
	}
	assert_true(rpos - start >= target);
}

static void test_wrap(void **state)
{
	struct pair x;

	(void)state;
	pair_open(&x, SMALL);
	wrap_run(&x, 0, 200);
	pair_close(&x);
}

/* Positions that pass 2^64 are still right: the checks are differences. */
static void test_wrap_64(void **state)
{
	uint64_t start = UINT64_MAX - 3 * SMALL - 5;
	char why[200] = "";
	struct pair x;
	uint8_t *raw;
	int fd, rc;

	(void)state;
	fd = sipc__ring_create(SMALL, "wrap64");
	assert_true(fd >= 0);
	raw = mmap(NULL, HDR + SMALL, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(raw != MAP_FAILED);
	put64(raw, OFF_HEAD, start);
	put64(raw, OFF_TAIL, start);
	memset(&x, 0, sizeof(x));
	x.fd = fd;
	x.raw = raw;
	x.len = HDR + SMALL;
	rc = sipc__ring_map(&x.p, fd, true, why, sizeof(why));
	assert_int_equal(rc, 0);
	rc = sipc__ring_map(&x.c, fd, false, why, sizeof(why));
	assert_int_equal(rc, 0);
	wrap_run(&x, start, 10);
	assert_true(get64(raw, OFF_HEAD) < start); /* it did pass 2^64 */
	pair_close(&x);
}

/* A memfd laid out by hand: SIZE in the header, FILE bytes long, SEALS. */
struct raw_spec {
	uint64_t magic;
	uint32_t version;
	uint64_t size, data_off, file, head, tail;
	int seals;
};

static int raw_ring(const struct raw_spec *s)
{
	int fd = memfd_create("raw", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	uint8_t *raw;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)s->file), 0);
	raw = mmap(NULL, HDR, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(raw != MAP_FAILED);
	put64(raw, OFF_MAGIC, s->magic);
	put32(raw, OFF_VERSION, s->version);
	put64(raw, OFF_SIZE, s->size);
	put64(raw, OFF_DATA, s->data_off);
	put64(raw, OFF_HEAD, s->head);
	put64(raw, OFF_TAIL, s->tail);
	munmap(raw, HDR);
	if (s->seals)
		assert_int_equal(fcntl(fd, F_ADD_SEALS, s->seals), 0);
	return fd;
}

static int try_map(int fd, bool producer, char *why, size_t len)
{
	struct sipc__ring r;
	int rc;

	memset(&r, 0, sizeof(r));
	why[0] = '\0';
	rc = sipc__ring_map(&r, fd, producer, why, len);
	if (rc == 0) {
		assert_non_null(r.sh);
		sipc__ring_unmap(&r);
	} else {
		/* Untouched on failure. */
		assert_null(r.sh);
		assert_true(why[0] != '\0');
	}
	return rc;
}

static void test_map_rejects(void **state)
{
	const int sealed = F_SEAL_SHRINK | F_SEAL_GROW;
	const struct raw_spec good = {MAGIC, 1, SMALL, HDR, HDR + SMALL, 7, 7, sealed};
	struct {
		const char *what, *why;
		struct raw_spec s;
	} cases[] = {
		{"unsealed", "sealed", good},
		{"only shrink sealed", "sealed", good},
		{"only grow sealed", "sealed", good},
		{"file larger than the header says", "memfd has", good},
		{"file smaller than the header says", "memfd has", good},
		{"bad magic", "magic", good},
		{"version 2", "version", good},
		{"version 0", "version", good},
		{"size not a power of two", "power of two", good},
		{"size too small", "bytes", good},
		{"size 0", "bytes", good},
		{"size too big", "power of two", good},
		{"data offset 0", "offset", good},
		{"data offset 4096", "offset", good},
		{"not fresh", "fresh", good},
		{"tail ahead", "fresh", good},
	};
	size_t i, n = sizeof(cases) / sizeof(cases[0]);
	char why[200];
	int fd, p[2];

	(void)state;
	cases[0].s.seals = 0;
	cases[1].s.seals = F_SEAL_SHRINK;
	cases[2].s.seals = F_SEAL_GROW;
	cases[3].s.file = HDR + 2 * SMALL;
	cases[4].s.file = HDR + SMALL - 1;
	cases[5].s.magic = MAGIC ^ 1;
	cases[6].s.version = 2;
	cases[7].s.version = 0;
	cases[8].s.size = SMALL + 64;
	cases[8].s.file = HDR + SMALL + 64;
	cases[9].s.size = SMALL / 2;
	cases[9].s.file = HDR + SMALL / 2;
	cases[10].s.size = 0;
	cases[10].s.file = HDR;
	cases[11].s.size = (uint64_t)SIPC__RING_MAX * 2;
	cases[12].s.data_off = 0;
	cases[13].s.data_off = 4096;
	cases[13].s.file = 4096 + SMALL;
	cases[14].s.head = 8;
	cases[15].s.tail = 8;
	/* The helper itself makes rings that map: both sides. */
	fd = raw_ring(&good);
	assert_int_equal(try_map(fd, true, why, sizeof(why)), 0);
	assert_int_equal(try_map(fd, false, why, sizeof(why)), 0);
	close(fd);
	for (i = 0; i < n; i++) {
		int rc;

		fd = raw_ring(&cases[i].s);
		rc = try_map(fd, i % 2 == 0, why, sizeof(why));
		if (rc != SIPC_ESHM_CORRUPT || !strstr(why, cases[i].why))
			fail_msg("%s: %s (%s), expected SIPC_ESHM_CORRUPT and \"%s\"",
				 cases[i].what, sipc_strerror(rc), why, cases[i].why);
		close(fd);
	}
	/* Not a memfd at all. */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(try_map(p[0], false, why, sizeof(why)), SIPC_ESHM_CORRUPT);
	close(p[0]);
	close(p[1]);
	/* A closed descriptor: the system's error. */
	assert_int_equal(try_map(p[0], false, why, sizeof(why)), -EBADF);
}

/* Every call on a corrupt ring reports it, whatever the peer writes next. */
static void assert_corrupt_for_good(struct pair *x, bool producer, size_t restore_off,
				    uint64_t restore)
{
	char buf[16] = "0123456789abcdef";
	int round;

	for (round = 0; round < 2; round++) {
		if (producer) {
			assert_int_equal(put(&x->p, buf, 1), SIPC_ESHM_CORRUPT);
			assert_int_equal(sipc__ring_writable(&x->p), SIPC_ESHM_CORRUPT);
			assert_true(sipc__ring_arm_writer(&x->p, 1) == false);
		} else {
			assert_int_equal(get(&x->c, buf, sizeof(buf), false), SIPC_ESHM_CORRUPT);
			assert_int_equal(get(&x->c, buf, sizeof(buf), true), SIPC_ESHM_CORRUPT);
			assert_int_equal(sipc__ring_readable(&x->c), SIPC_ESHM_CORRUPT);
			assert_true(sipc__ring_arm_reader(&x->c) == false);
		}
		/* The peer puts a possible value back: still over. */
		put64(x->raw, restore_off, restore);
	}
}

static void test_scribble_head(void **state)
{
	struct {
		const char *what;
		int64_t delta; /* from the consumer's tail */
		bool huge;
	} cases[] = {
		{"tail - 1", -1, false},
		{"tail + size + 1", SMALL + 1, false},
		{"tail + 2 * size", 2 * SMALL, false},
		{"tail - size", -(int64_t)SMALL, false},
		{"huge", 0, true},
	};
	size_t i;
	char buf[SMALL];

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pair x;
		uint64_t tail, head;

		pair_open(&x, SMALL);
		assert_int_equal(put(&x.p, "0123456789", 10), 10);
		assert_int_equal(get(&x.c, buf, 4, false), 4);
		tail = 4;
		head = cases[i].huge ? UINT64_MAX / 2 + 12345 : tail + (uint64_t)cases[i].delta;
		put64(x.raw, OFF_HEAD, head);
		if (get(&x.c, buf, sizeof(buf), false) != SIPC_ESHM_CORRUPT)
			fail_msg("head %s was accepted", cases[i].what);
		assert_corrupt_for_good(&x, false, OFF_HEAD, 10);
		/* The producer's side does not care what the file says its head is. */
		assert_int_equal(put(&x.p, "ab", 2), 2);
		pair_close(&x);
	}
	/* The edges that are possible: empty and exactly full. */
	{
		struct pair x;

		pair_open(&x, SMALL);
		put64(x.raw, OFF_HEAD, SMALL);
		assert_int_equal(sipc__ring_readable(&x.c), SMALL);
		assert_int_equal(get(&x.c, buf, sizeof(buf), false), SMALL);
		assert_int_equal(sipc__ring_readable(&x.c), 0);
		pair_close(&x);
	}
}

static void test_scribble_tail(void **state)
{
	char buf[100];
	struct pair x;

	(void)state;
	memset(buf, 'x', sizeof(buf));
	/* Beyond our head. */
	pair_open(&x, SMALL);
	assert_int_equal(put(&x.p, buf, 100), 100);
	put64(x.raw, OFF_TAIL, 101);
	assert_int_equal(put(&x.p, buf, 1), SIPC_ESHM_CORRUPT);
	assert_corrupt_for_good(&x, true, OFF_TAIL, 100);
	pair_close(&x);
	/* Backwards, below the tail already accepted. */
	pair_open(&x, SMALL);
	assert_int_equal(put(&x.p, buf, 100), 100);
	assert_int_equal(get(&x.c, buf, 50, false), 50);
	assert_int_equal(sipc__ring_writable(&x.p), SMALL - 50);
	put64(x.raw, OFF_TAIL, 49);
	assert_int_equal(sipc__ring_writable(&x.p), SIPC_ESHM_CORRUPT);
	assert_corrupt_for_good(&x, true, OFF_TAIL, 50);
	pair_close(&x);
	/* Huge, and far backwards (negative as a difference). */
	pair_open(&x, SMALL);
	assert_int_equal(put(&x.p, buf, 100), 100);
	put64(x.raw, OFF_TAIL, UINT64_MAX);
	assert_int_equal(put(&x.p, buf, 1), SIPC_ESHM_CORRUPT);
	pair_close(&x);
	/* Every possible tail is fine: our head, and anything between. */
	pair_open(&x, SMALL);
	assert_int_equal(put(&x.p, buf, 100), 100);
	put64(x.raw, OFF_TAIL, 30);
	assert_int_equal(sipc__ring_writable(&x.p), SMALL - 70);
	put64(x.raw, OFF_TAIL, 100);
	assert_int_equal(sipc__ring_writable(&x.p), SMALL);
	pair_close(&x);
}

/* Random scribbles on the whole header (and sometimes a near miss on a
 * position) between calls of both sides; every answer must be a count in
 * range or SIPC_ESHM_CORRUPT, and corrupt stays corrupt.  Under ASan an
 * access outside the mapping would end the test. */
static void test_scribble_fuzz(void **state)
{
	unsigned seed = 12345;
	uint8_t buf[3 * SMALL];
	struct pair x;
	int i, rings = 1, corrupt_p = 0, corrupt_c = 0;

	(void)state;
	pair_open(&x, SMALL);
	for (i = 0; i < 200000; i++) {
		unsigned r = (unsigned)rand_r(&seed);
		size_t n = (size_t)rand_r(&seed) % sizeof(buf);
		struct iovec iov[2] = {{buf, n / 3}, {buf + n / 3, n - n / 3}};
		ssize_t got;

		switch (r % 8) {
		case 0: /* a random byte anywhere in the header */
			x.raw[(size_t)rand_r(&seed) % HDR] = (uint8_t)rand_r(&seed);
			break;
		case 1: /* a near miss on a position */
			put64(x.raw, r & 8 ? OFF_HEAD : OFF_TAIL,
			      get64(x.raw, r & 16 ? OFF_HEAD : OFF_TAIL) +
				      (uint64_t)((int)(r >> 8) % (3 * (int)SMALL)) - SMALL);
			break;
		case 2: /* random flags and a random closed */
			put32(x.raw,
			      (r & 8)    ? OFF_RWAIT
			      : (r & 16) ? OFF_WWAIT
					 : OFF_CLOSED,
			      (uint32_t)rand_r(&seed));
			break;
		default:
			break;
		}
		got = sipc__ring_write(&x.p, iov, 2);
		assert_true(got == SIPC_ESHM_CORRUPT || (got >= 0 && (size_t)got <= n));
		corrupt_p |= got == SIPC_ESHM_CORRUPT;
		if (corrupt_p)
			assert_int_equal(got, SIPC_ESHM_CORRUPT);
		got = sipc__ring_read(&x.c, iov, 2, r & 32);
		assert_true(got == SIPC_ESHM_CORRUPT || (got >= 0 && (size_t)got <= n));
		corrupt_c |= got == SIPC_ESHM_CORRUPT;
		if (corrupt_c)
			assert_int_equal(got, SIPC_ESHM_CORRUPT);
		got = sipc__ring_readable(&x.c);
		assert_true(got == SIPC_ESHM_CORRUPT || (got >= 0 && (size_t)got <= SMALL));
		got = sipc__ring_writable(&x.p);
		assert_true(got == SIPC_ESHM_CORRUPT || (got >= 0 && (size_t)got <= SMALL));
		(void)sipc__ring_arm_reader(&x.c);
		(void)sipc__ring_arm_writer(&x.p, n);
		(void)sipc__ring_wake_reader(&x.p);
		(void)sipc__ring_wake_writer(&x.c);
		(void)sipc__ring_write_closed(&x.c);
		if (corrupt_p && corrupt_c) {
			pair_close(&x);
			pair_open(&x, SMALL);
			corrupt_p = corrupt_c = 0;
			rings++;
		}
	}
	pair_close(&x);
	/* The scribbles did hit: many rings were given up as corrupt. */
	assert_true(rings > 100);
}

/* A scribbler thread changes positions, flags and data at full speed while
 * this thread keeps writing and reading: a value checked and then read
 * again would show here.  (Not in the ThreadSanitizer run: these races are
 * the point.) */
struct scribbler {
	uint8_t *raw;
	atomic_bool stop;
};

static void *scribble(void *arg)
{
	struct scribbler *s = arg;
	unsigned seed = 777;

	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		unsigned r = (unsigned)rand_r(&seed);
		_Atomic uint64_t *pos =
			(_Atomic uint64_t *)(void *)(s->raw + (r & 1 ? OFF_HEAD : OFF_TAIL));

		atomic_store_explicit(pos, (uint64_t)rand_r(&seed) % (4 * SMALL),
				      memory_order_relaxed);
		s->raw[HDR + (size_t)rand_r(&seed) % SMALL] = (uint8_t)r;
	}
	return NULL;
}

static void test_scribble_threaded(void **state)
{
	struct scribbler s;
	uint8_t buf[2 * SMALL];
	pthread_t t;
	struct pair x;
	int i;

	(void)state;
	memset(buf, 0, sizeof(buf));
	pair_open(&x, SMALL);
	for (i = 0; i < 20; i++) {
		int64_t end = sipc_test_now_ms() + sipc_test_ms(20000);
		bool caught = false;
		long k;

		s.raw = x.raw;
		atomic_init(&s.stop, false);
		assert_int_equal(pthread_create(&t, NULL, scribble, &s), 0);
		/* Until both sides have seen an impossible position, which
		 * takes the scribbler a few of its writes once it runs. */
		for (k = 0; k < 100000000 && !caught; k++) {
			size_t n = (size_t)(k * 977) % sizeof(buf);
			ssize_t w = put(&x.p, buf, n), r = get(&x.c, buf, n, k & 1);

			assert_true(w == SIPC_ESHM_CORRUPT || (w >= 0 && (size_t)w <= n));
			assert_true(r == SIPC_ESHM_CORRUPT || (r >= 0 && (size_t)r <= n));
			caught = w < 0 && r < 0;
			if (k % 1024 == 0 && sipc_test_now_ms() > end)
				break;
		}
		atomic_store(&s.stop, true);
		pthread_join(t, NULL);
		if (!caught)
			fail_msg("round %d: %ld calls, no corrupt position seen on both sides", i,
				 k);
		pair_close(&x);
		pair_open(&x, SMALL);
	}
	pair_close(&x);
}

static void test_arm_wake(void **state)
{
	char buf[SMALL];
	struct pair x;

	(void)state;
	memset(buf, 'w', sizeof(buf));
	pair_open(&x, SMALL);
	/* Nobody armed: nobody to wake. */
	assert_int_equal(put(&x.p, "a", 1), 1);
	assert_false(sipc__ring_wake_reader(&x.p));
	assert_false(sipc__ring_arm_reader(&x.c));  /* bytes are there */
	assert_false(sipc__ring_wake_reader(&x.p)); /* and the flag was taken back */
	assert_int_equal(get(&x.c, buf, 1, false), 1);
	/* Empty: sleep; one wake-up per sleep. */
	assert_true(sipc__ring_arm_reader(&x.c));
	assert_int_equal(put(&x.p, "b", 1), 1);
	assert_true(sipc__ring_wake_reader(&x.p));
	assert_false(sipc__ring_wake_reader(&x.p));
	assert_int_equal(put(&x.p, "c", 1), 1);
	assert_false(sipc__ring_wake_reader(&x.p));
	/* Wrong side: never. */
	assert_false(sipc__ring_arm_reader(&x.p));
	assert_false(sipc__ring_arm_writer(&x.c, 1));
	assert_false(sipc__ring_wake_reader(&x.c));
	assert_false(sipc__ring_wake_writer(&x.p));
	assert_int_equal(get(&x.c, buf, 2, false), 2);

	/* The writer: room for NEED bytes or a sleep. */
	assert_false(sipc__ring_arm_writer(&x.p, SMALL));
	assert_false(sipc__ring_wake_writer(&x.c));
	assert_int_equal(put(&x.p, buf, SMALL), SMALL);
	assert_true(sipc__ring_arm_writer(&x.p, 1));
	assert_int_equal(get(&x.c, buf, 10, false), 10);
	assert_true(sipc__ring_wake_writer(&x.c));
	assert_false(sipc__ring_wake_writer(&x.c));
	assert_false(sipc__ring_arm_writer(&x.p, 10));
	assert_false(sipc__ring_wake_writer(&x.c));
	assert_true(sipc__ring_arm_writer(&x.p, 11));
	assert_false(sipc__ring_arm_writer(&x.p, 0)); /* 0 means 1, and 10 are free */
	assert_false(sipc__ring_wake_writer(&x.c));   /* that took the flag back */
	assert_int_equal(sipc__ring_writable(&x.p), 10);
	assert_true(sipc__ring_arm_writer(&x.p, 11));
	assert_int_equal(get(&x.c, buf, SMALL, false), SMALL - 10);
	assert_true(sipc__ring_wake_writer(&x.c));
	/* NEED beyond the size means "all of it". */
	assert_false(sipc__ring_arm_writer(&x.p, 10 * SMALL));
	pair_close(&x);
}

static void test_close_write(void **state)
{
	char buf[16];
	struct pair x;

	(void)state;
	pair_open(&x, SMALL);
	assert_false(sipc__ring_write_closed(&x.c));
	assert_int_equal(put(&x.p, "xyz", 3), 3);
	assert_true(sipc__ring_arm_reader(&x.c) == false);
	assert_int_equal(get(&x.c, buf, 3, false), 3);
	assert_true(sipc__ring_arm_reader(&x.c));
	assert_int_equal(put(&x.p, "end", 3), 3);
	sipc__ring_close_write(&x.p);
	assert_true(sipc__ring_wake_reader(&x.p));
	assert_int_equal(put(&x.p, "more", 4), -EPIPE);
	assert_true(sipc__ring_write_closed(&x.c));
	assert_false(sipc__ring_write_closed(&x.p)); /* a consumer's question */
	/* The bytes before the end still come, then the end. */
	assert_int_equal(get(&x.c, buf, sizeof(buf), false), 3);
	assert_memory_equal(buf, "end", 3);
	assert_int_equal(get(&x.c, buf, sizeof(buf), false), 0);
	/* An empty ring that is closed is no reason to sleep. */
	assert_false(sipc__ring_arm_reader(&x.c));
	pair_close(&x);
}

static void stress(size_t chunk, uint64_t total, bool one_mapping, bool fork_producer)
{
	struct ring_stress s;

	memset(&s, 0, sizeof(s));
	s.ring_size = SMALL;
	s.chunk = chunk;
	s.total = total;
	s.one_mapping = one_mapping;
	s.fork_producer = fork_producer;
	s.wait_ms = sipc_test_ms(20000);
	s.deadline_ms = sipc_test_ms(120000);
	if (ring_stress_run(&s) != 0)
		fail_msg("stress %zu-byte writes: %s", chunk, s.why);
	print_message("stress: %llu bytes in %zu-byte writes through a %zu-byte ring%s: "
		      "%.3f s, %.1f MB/s, %llu reader and %llu writer sleeps\n",
		      (unsigned long long)total, chunk, s.ring_size,
		      one_mapping     ? " (one mapping)"
		      : fork_producer ? " (from a child process)"
				      : "",
		      s.seconds, (double)total / s.seconds / 1e6,
		      (unsigned long long)s.reader_sleeps, (unsigned long long)s.writer_sleeps);
}

static void test_stress_4k(void **state)
{
	(void)state;
	stress(4096, (uint64_t)64 << 20, false, false);
}

static void test_stress_64(void **state)
{
	(void)state;
	stress(64, (uint64_t)64 << 20, false, false);
}

static void test_stress_odd_one_mapping(void **state)
{
	(void)state;
	stress(1000, (uint64_t)16 << 20, true, false);
}

/* The real shape of shm://: the producer is another process. */
static void test_stress_process(void **state)
{
	(void)state;
	stress(1500, (uint64_t)32 << 20, false, true);
}

/* Whether tmpfs may back a memfd with huge pages (then a page is 2 MiB). */
static bool shmem_huge(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/shmem_enabled", "r");

	if (f) {
		if (!fgets(buf, sizeof buf, f))
			buf[0] = '\0';
		fclose(f);
	}
	return strstr(buf, "[never]") == NULL && strstr(buf, "[deny]") == NULL && buf[0];
}

/* A new ring holds only its header's page; the producer allocates the
 * others before it writes there, so a page it cannot have is -ENOMEM with
 * nothing written (here: a page taken out of its mapping), never a fault. */
static void test_lazy_pages(void **state)
{
	const size_t size = 16 * 4096, ps = (size_t)sysconf(_SC_PAGESIZE);
	static uint8_t buf[16 * 4096], out[16 * 4096];
	struct sipc__ring p, c;
	char why[200] = "";
	struct stat st;
	uint8_t *hole;
	int fd;

	(void)state;
	fd = sipc__ring_create_map(&p, size, "lazy");
	assert_true(fd >= 0);
	assert_int_equal(sipc__ring_map(&c, fd, false, why, sizeof why), 0);
	assert_int_equal(fstat(fd, &st), 0);
	if (!shmem_huge())
		assert_true((size_t)st.st_blocks * 512 <= ps); /* the header's page */
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = pat(i);
	/* The mapping's third page gone: a write that reaches it fails
	 * whole, and the ring is as it was. */
	assert_true(ps == 4096);
	hole = (uint8_t *)p.sh + 2 * ps;
	assert_int_equal(munmap(hole, ps), 0);
	assert_int_equal(put(&p, buf, 1000), 1000);
	assert_int_equal(put(&p, buf + 1000, 9000), -ENOMEM);
	assert_int_equal(sipc__ring_readable(&c), 1000);
	assert_true(mmap(hole, ps, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
			 (off_t)(2 * ps)) == hole);
	assert_int_equal(put(&p, buf + 1000, 9000), 9000);
	assert_true(fstat(fd, &st) == 0 && (size_t)st.st_blocks * 512 >= HDR + 10000);
	/* The rest of the first lap and the next, byte for byte. */
	assert_int_equal(put(&p, buf + 10000, size - 10000), (ssize_t)(size - 10000));
	assert_int_equal(get(&c, out, size, false), (ssize_t)size);
	assert_memory_equal(out, buf, size);
	assert_int_equal(put(&p, buf, size), (ssize_t)size);
	assert_int_equal(get(&c, out, size, false), (ssize_t)size);
	assert_memory_equal(out, buf, size);
	assert_true(fstat(fd, &st) == 0 && (size_t)st.st_blocks * 512 >= HDR + size);
	sipc__ring_unmap(&p);
	sipc__ring_unmap(&c);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_sizes),
		cmocka_unit_test(test_raw_layout),
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_wrap_64),
		cmocka_unit_test(test_lazy_pages),
		cmocka_unit_test(test_map_rejects),
		cmocka_unit_test(test_scribble_head),
		cmocka_unit_test(test_scribble_tail),
		cmocka_unit_test(test_scribble_fuzz),
		cmocka_unit_test(test_scribble_threaded),
		cmocka_unit_test(test_arm_wake),
		cmocka_unit_test(test_close_write),
		cmocka_unit_test(test_stress_4k),
		cmocka_unit_test(test_stress_64),
		cmocka_unit_test(test_stress_odd_one_mapping),
		cmocka_unit_test(test_stress_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
