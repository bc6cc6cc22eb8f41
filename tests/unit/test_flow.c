/*
 * test_flow.c - a relay direction's pipe that grows (sipc__flow_pipe_grows):
 * a direction that fills its pipe gets the larger one and every byte
 * comes out in order; one that never fills keeps the kernel's default;
 * and the growth of all flows of the process stops at its share of
 * pipe-user-pages-soft, which a freed flow gives back.
 */
#include "support.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flow.h"
#include "sys/sys.h"

#define BIG   ((size_t)1024 * 1024)
#define BURST ((size_t)100 * 1024) /* more than a 64 KiB pipe, less than a socket buffer */

/* A flow from one unix stream pair to another: bytes written to IN[0]
 * come out of OUT[1]; its pipe may grow to BIG. */
struct pair {
	int in[2], out[2];
	struct sipc__flow f;
};

static void pair_open(struct pair *p)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p->in), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p->out), 0);
	sipc__flow_init(&p->f, p->in[1], p->out[0],
			SIPC__FLOW_PIPE | SIPC__FLOW_IN_SOCK | SIPC__FLOW_OUT_SOCK, 0, 4096);
	assert_true(p->f.use_pipe);
	sipc__flow_pipe_grows(&p->f, BIG);
}

static void pair_close(struct pair *p)
{
	sipc__flow_free(&p->f);
	close(p->in[0]);
	close(p->in[1]);
	close(p->out[0]);
	close(p->out[1]);
}

/* Writes N bytes of a pattern starting at SEED into P's input. */
static void feed(struct pair *p, size_t n, unsigned seed)
{
	unsigned char *b = malloc(n);

	assert_non_null(b);
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(seed + i * 7);
	assert_int_equal(write(p->in[0], b, n), (ssize_t)n);
	free(b);
}

/* Fills P's flow until its input has nothing more now. */
static void fill_all(struct pair *p)
{
	ssize_t n;

	while ((n = sipc__flow_fill(&p->f)) > 0)
		;
	assert_int_equal(n, -EAGAIN);
}

static size_t default_pipe(void)
{
	int p[2];
	size_t cap = 0;

	assert_int_equal(sipc__sys_splice_pipe(p, 0, 0, &cap), 0);
	close(p[0]);
	close(p[1]);
	return cap;
}

static void grows_once_full(void **state)
{
	struct pair p;
	unsigned char *got = malloc(BURST);
	size_t have = 0;

	(void)state;
	if (!sipc__sys_have_splice())
		skip();
	assert_non_null(got);
	pair_open(&p);
	assert_true(p.f.pipe_cap < BIG);
	feed(&p, BURST, 3);
	fill_all(&p);
	assert_int_equal(p.f.pipe_cap, BIG);
	assert_int_equal(p.f.grown, BIG - default_pipe());
	/* All of the burst fits the grown pipe at once. */
	assert_int_equal(p.f.pending, BURST);
	while (sipc__flow_pending(&p.f) > 0)
		assert_true(sipc__flow_drain(&p.f) > 0);
	while (have < BURST) {
		ssize_t n = read(p.out[1], got + have, BURST - have);
		assert_true(n > 0);
		have += (size_t)n;
	}
	for (size_t i = 0; i < BURST; i++)
		assert_int_equal(got[i], (unsigned char)(3 + i * 7));
	pair_close(&p);
	free(got);
}

static void small_keeps_default(void **state)
{
	struct pair p;
	char buf[64];

	(void)state;
	if (!sipc__sys_have_splice())
		skip();
	pair_open(&p);
	for (int round = 0; round < 4; round++) {
		feed(&p, 1000, (unsigned)round);
		fill_all(&p);
		while (sipc__flow_pending(&p.f) > 0)
			assert_true(sipc__flow_drain(&p.f) > 0);
		for (size_t left = 1000; left > 0;) {
			ssize_t n = read(p.out[1], buf, left < sizeof(buf) ? left : sizeof(buf));
			assert_true(n > 0);
			left -= (size_t)n;
		}
	}
	assert_int_equal(p.f.pipe_cap, default_pipe());
	assert_int_equal(p.f.grown, 0);
	pair_close(&p);
}

/* The share flow.c allows: a quarter of pipe-user-pages-soft, in bytes. */
static size_t budget(void)
{
	size_t soft = sipc__sys_pipe_soft_bytes();

	return soft > 0 ? soft / 4 : (size_t)16 << 20;
}

static void growth_stops_at_budget(void **state)
{
	size_t step = BIG - default_pipe(), fit = budget() / step, n = fit + 2, grown = 0;
	struct pair *ps;

	(void)state;
	if (!sipc__sys_have_splice())
		skip();
	if (n > 200)
		skip(); /* a soft limit raised far: too many descriptors here */
	ps = calloc(n, sizeof(*ps));
	assert_non_null(ps);
	for (size_t i = 0; i < n; i++) {
		pair_open(&ps[i]);
		feed(&ps[i], BURST, (unsigned)i);
		fill_all(&ps[i]);
		grown += ps[i].f.pipe_cap == BIG;
		if (i >= fit)
			assert_int_equal(ps[i].f.grown, 0);
	}
	assert_int_equal(grown, fit);
	/* A freed flow gives its share back: the next one grows. */
	pair_close(&ps[0]);
	pair_open(&ps[0]);
	feed(&ps[0], BURST, 0);
	fill_all(&ps[0]);
	assert_int_equal(ps[0].f.pipe_cap, BIG);
	for (size_t i = 0; i < n; i++)
		pair_close(&ps[i]);
	free(ps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grows_once_full),
		cmocka_unit_test(small_keeps_default),
		cmocka_unit_test(growth_stops_at_budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
