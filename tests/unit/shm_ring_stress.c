/*
 * shm_ring_stress.c - the threaded stress of the ring (shm_ring_stress.h):
 * a producer thread writes a counted byte pattern in chunks split over two
 * iovecs; the consumer reads it back in ever-changing sizes (peeking now
 * and then) and checks every byte.  Both sides sleep only through the
 * ring's arm/wake protocol with an eventfd per direction, and a wait that
 * sees no wake-up for wait_ms is a lost wake-up: the run fails instead of
 * hanging.
 */
#include "shm_ring_stress.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "transport/shm/ring.h"

struct ctx {
	struct ring_stress *s;
	struct sipc__ring prod, cons;
	int data_bell, room_bell; /* eventfds: data for the reader, room for the writer */
	atomic_bool stop;
	int64_t deadline_ns;
	char pwhy[200];
	uint64_t psleeps;
};

/* Byte POS of the stream: no short period, so a byte read from the wrong
 * place in the ring (one lap off, a wrap copied wrong) does not match. */
static uint8_t pattern(uint64_t pos)
{
	return (uint8_t)((pos * UINT64_C(0x9E3779B97F4A7C15)) >> 56) ^ (uint8_t)pos;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void say(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

static void bell_ring(int fd)
{
	uint64_t one = 1;

	/* An eventfd counter cannot overflow here (one add per sleep). */
	while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

/* Waits for the bell at most MS; true when it rang (and clears it). */
static bool bell_wait(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int64_t end = now_ns() + (int64_t)ms * 1000000;
	uint64_t v;
	int rc;

	for (;;) {
		int64_t left = (end - now_ns()) / 1000000;

		rc = poll(&p, 1, left > 0 ? (int)left : 0);
		if (rc > 0)
			break;
		if (rc == 0 || errno != EINTR)
			return false;
	}
	while (read(fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
	return true;
}

static void *producer(void *arg)
{
	struct ctx *c = arg;
	struct ring_stress *s = c->s;
	uint8_t *buf = malloc(s->chunk);
	uint64_t sent = 0;

	if (!buf) {
		say(c->pwhy, sizeof(c->pwhy), "producer: out of memory");
		goto out;
	}
	while (sent < s->total && !atomic_load(&c->stop)) {
		size_t n = s->total - sent < s->chunk ? (size_t)(s->total - sent) : s->chunk;
		size_t off = 0, i;

		for (i = 0; i < n; i++)
			buf[i] = pattern(sent + i);
		while (off < n) {
			size_t left = n - off, a = left / 3;
			struct iovec iov[2] = {{buf + off, a}, {buf + off + a, left - a}};
			ssize_t w = sipc__ring_write(&c->prod, iov, 2);

			if (atomic_load(&c->stop))
				goto out;
			if (w < 0) {
				say(c->pwhy, sizeof(c->pwhy), "producer: write: %zd at %llu", w,
				    (unsigned long long)(sent + off));
				goto out;
			}
			if (w == 0) {
				if (now_ns() > c->deadline_ns) {
					say(c->pwhy, sizeof(c->pwhy), "producer: deadline at %llu",
					    (unsigned long long)(sent + off));
					goto out;
				}
				if (sipc__ring_arm_writer(&c->prod, left)) {
					c->psleeps++;
					if (!bell_wait(c->room_bell, s->wait_ms)) {
						say(c->pwhy, sizeof(c->pwhy),
						    "producer: no wake-up for room in %d ms at "
						    "%llu",
						    s->wait_ms, (unsigned long long)(sent + off));
						goto out;
					}
				}
				continue;
			}
			off += (size_t)w;
			if (sipc__ring_wake_reader(&c->prod))
				bell_ring(c->data_bell);
		}
		sent += n;
	}
out:
	free(buf);
	/* Either way the consumer must look again: the end, or a failure
	 * (which it sees as stop, or as an end too early when the producer
	 * is another process). */
	if (sent != s->total)
		atomic_store(&c->stop, true);
	sipc__ring_close_write(&c->prod);
	sipc__ring_wake_reader(&c->prod);
	bell_ring(c->data_bell);
	return NULL;
}

/* The consumer, on the calling thread; 0 when all of it came in order. */
static int consume(struct ctx *c)
{
	static const size_t sizes[] = {1, 4096, 7, 333, 65536, 64, 4097, 2, 1500, 100000};
	struct ring_stress *s = c->s;
	size_t cap = 100000;
	uint8_t *buf = malloc(cap);
	uint64_t got = 0, k = 0;
	int rc = -1;

	if (!buf) {
		say(s->why, sizeof(s->why), "consumer: out of memory");
		return -1;
	}
	for (;;) {
		bool closed = sipc__ring_write_closed(&c->cons);
		size_t want = sizes[k % (sizeof(sizes) / sizeof(sizes[0]))], half = want / 2;
		struct iovec iov[2] = {{buf, half}, {buf + half, want - half}};
		bool peek = k % 16 == 5;
		ssize_t r, i;

		k++;
		if (atomic_load(&c->stop)) {
			say(s->why, sizeof(s->why), "consumer: the producer stopped at %llu",
			    (unsigned long long)got);
			goto out;
		}
		r = sipc__ring_read(&c->cons, iov, 2, peek);
		if (r < 0) {
			say(s->why, sizeof(s->why), "consumer: read: %zd at %llu", r,
			    (unsigned long long)got);
			goto out;
		}
		if (r == 0) {
			if (closed)
				break;
			if (now_ns() > c->deadline_ns) {
				say(s->why, sizeof(s->why), "consumer: deadline at %llu",
				    (unsigned long long)got);
				goto out;
			}
			if (sipc__ring_arm_reader(&c->cons)) {
				s->reader_sleeps++;
				if (!bell_wait(c->data_bell, s->wait_ms)) {
					say(s->why, sizeof(s->why),
					    "consumer: no wake-up for data in %d ms at %llu",
					    s->wait_ms, (unsigned long long)got);
					goto out;
				}
			}
			continue;
		}
		for (i = 0; i < r; i++) {
			if (buf[i] != pattern(got + (uint64_t)i)) {
				say(s->why, sizeof(s->why),
				    "consumer: byte %llu is %u, expected %u",
				    (unsigned long long)(got + (uint64_t)i), buf[i],
				    pattern(got + (uint64_t)i));
				goto out;
			}
		}
		if (peek)
			continue; /* the same bytes again, now for real */
		got += (uint64_t)r;
		if (got > s->total) {
			say(s->why, sizeof(s->why), "consumer: %llu bytes, more than were sent",
			    (unsigned long long)got);
			goto out;
		}
		if (sipc__ring_wake_writer(&c->cons))
			bell_ring(c->room_bell);
	}
	if (got != s->total) {
		say(s->why, sizeof(s->why), "consumer: the end after %llu of %llu bytes",
		    (unsigned long long)got, (unsigned long long)s->total);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		atomic_store(&c->stop, true);
		bell_ring(c->room_bell);
	}
	free(buf);
	return rc;
}

int ring_stress_run(struct ring_stress *s)
{
	struct ctx c;
	pthread_t t;
	pid_t pid = -1;
	int64_t start;
	int fd, rc = -1;

	memset(&c, 0, sizeof(c));
	c.s = s;
	c.data_bell = c.room_bell = -1;
	s->why[0] = '\0';
	s->reader_sleeps = s->writer_sleeps = 0;
	fd = sipc__ring_create(s->ring_size, "ring-stress");
	if (fd < 0) {
		say(s->why, sizeof(s->why), "create: %d", fd);
		return -1;
	}
	if (sipc__ring_map(&c.prod, fd, true, s->why, sizeof(s->why)) < 0)
		goto out_fd;
	if (s->one_mapping && !s->fork_producer) {
		/* What map would give the consumer, on the same addresses:
		 * ThreadSanitizer follows memory by address, so only then does
		 * it see the two sides' accesses as the same bytes. */
		c.cons = c.prod;
		c.cons.producer = false;
	} else if (sipc__ring_map(&c.cons, fd, false, s->why, sizeof(s->why)) < 0) {
		goto out_prod;
	}
	c.data_bell = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c.room_bell = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c.data_bell < 0 || c.room_bell < 0) {
		say(s->why, sizeof(s->why), "eventfd: %s", strerror(errno));
		goto out_bells;
	}
	start = now_ns();
	c.deadline_ns = start + (int64_t)s->deadline_ms * 1000000;
	if (s->fork_producer) {
		pid = fork();
		if (pid == 0) {
			producer(&c);
			if (c.pwhy[0])
				fprintf(stderr, "%s\n", c.pwhy);
			_exit(c.pwhy[0] ? 1 : 0);
		}
		if (pid < 0) {
			say(s->why, sizeof(s->why), "fork: %s", strerror(errno));
			goto out_bells;
		}
	} else if (pthread_create(&t, NULL, producer, &c) != 0) {
		say(s->why, sizeof(s->why), "pthread_create failed");
		goto out_bells;
	}
	rc = consume(&c);
	if (pid > 0) {
		int st = 0;

		/* A producer that waits for room that will not come. */
		if (rc < 0)
			kill(pid, SIGKILL);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		if (rc == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
			say(c.pwhy, sizeof(c.pwhy), "the producer process ended with status %#x",
			    (unsigned)st);
	} else {
		pthread_join(t, NULL);
	}
	s->seconds = (double)(now_ns() - start) / 1e9;
	s->writer_sleeps = c.psleeps;
	if (c.pwhy[0]) {
		if (rc == 0 || !s->why[0] || strstr(s->why, "producer stopped"))
			snprintf(s->why, sizeof(s->why), "%s", c.pwhy);
		rc = -1;
	}
out_bells:
	if (c.data_bell >= 0)
		close(c.data_bell);
	if (c.room_bell >= 0)
		close(c.room_bell);
	if (!s->one_mapping || s->fork_producer)
		sipc__ring_unmap(&c.cons);
out_prod:
	sipc__ring_unmap(&c.prod);
out_fd:
	close(fd);
	return rc;
}
