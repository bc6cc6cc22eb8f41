/*
 * test_serve_models.c - the heavy tests of `sockipc serve` ($SOCKIPC) under
 * each concurrency model (event, thread, fork): 1,000 concurrent TCP
 * clients each doing 100 echo round trips with every byte checked, driven
 * by one loop (src/loop) of non-blocking sockets here; 256 MiB echoed through
 * one TCP and one unix connection and compared byte for byte, ended by a
 * half-close; and SIGTERM in the middle of a load of 200 clients: every
 * request sent before the signal gets its whole echo, every client a
 * clean end, and the server exits 0 within the drain timeout.  Under the
 * sanitizers (SIPC_TEST_SCALE > 1) the client count is divided by the
 * scale; the normal run keeps the full size.  Each load prints how long it
 * took, the quick numbers of the models.
 */
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop/loop.h"
#include "sockipc.h"

static const char *const models[] = {"event", "thread", "fork"};

/* Starts `sockipc serve -q --model MODEL ARGS...` and reads NLINES
 * `listening URL SERVICE` lines. */
static void server_start(struct sipc_test_server *s, const char *model, int nlines,
			 const char *const *args)
{
	const char *argv[32] = {"--model", model};
	int n = 2;

	for (int i = 0; args[i] != NULL && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	sipc_test_server_start(s, nlines, argv);
}

static int port_of(const char *url)
{
	const char *colon = strrchr(url, ':');
	assert_non_null(colon);
	return atoi(colon + 1);
}

/* ---- many clients on one loop ---- */

#define MAXMSG 200

struct client {
	sipc_loop_io io; /* arg: the load */
	int fd;
	int round;
	size_t len;  /* of this round's request */
	size_t sent; /* bytes of it sent */
	size_t got;  /* bytes of its echo received and checked */
	bool connected, shut, done, failed;
};

struct load {
	int port;
	int nclients;
	int rounds;
	struct client *c;
	uint64_t verified; /* echo bytes received and equal to what was sent */
	int completed;     /* round trips whose echo came back whole */
	int served;        /* clients with at least one round trip done */
	int done;          /* clients that saw the server's clean end */
	int finished;      /* clients done and closed */
	/* SIGTERM during load: when `completed` reaches sigterm_after, the
	 * server gets SIGTERM and no client starts a new round after it. */
	pid_t server;
	int sigterm_after;
	bool terminated;
	int inflight_at_term; /* requests sent, echo not yet whole */
};

static uint8_t byte_of(int client, int round, size_t k)
{
	return (uint8_t)(client * 31 + round * 17 + (int)k * 7 + (int)(k >> 3));
}

static size_t len_of(int client, int round)
{
	return 1 + (size_t)(client * 7 + round * 13) % MAXMSG;
}

static void on_client(sipc_loop *loop, sipc_loop_io *io, uint32_t revents);

static void client_connect(struct load *l, int i, sipc_loop *loop)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)l->port)};
	struct client *c = &l->c[i];

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(c->fd >= 0);
	int r = connect(c->fd, (struct sockaddr *)&sin, sizeof(sin));
	assert_true(r == 0 || errno == EINPROGRESS);
	c->round = 0;
	c->len = len_of(i, 0);
	sipc__io_init(&c->io, c->fd, on_client, l);
	assert_int_equal(sipc__io_start(loop, &c->io, SIPC_LOOP_IN | SIPC_LOOP_OUT), 0);
}

static void client_fail(struct client *c, const char *what, int i)
{
	if (!c->failed)
		print_error("client %d round %d: %s (%s)\n", i, c->round, what, strerror(errno));
	c->failed = true;
	c->done = true;
}

/* Moves client I on as far as its socket allows; returns the events it
 * now waits for (0 when finished). */
static uint32_t client_step(struct load *l, int i)
{
	struct client *c = &l->c[i];
	uint8_t buf[MAXMSG * 2];

	for (;;) {
		if (c->done)
			return 0;
		if (!c->shut && (c->round >= l->rounds || (l->terminated && c->sent == 0))) {
			/* No more rounds: half-close and wait for the clean end. */
			if (shutdown(c->fd, SHUT_WR) < 0) {
				client_fail(c, "shutdown", i);
				return 0;
			}
			c->shut = true;
		}
		if (!c->shut && c->sent < c->len) {
			for (size_t k = c->sent; k < c->len; k++)
				buf[k - c->sent] = byte_of(i, c->round, k);
			ssize_t n = send(c->fd, buf, c->len - c->sent, MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EINPROGRESS || errno == ENOTCONN))
				return SIPC_LOOP_OUT | SIPC_LOOP_IN;
			if (n < 0) {
				client_fail(c, "send", i);
				return 0;
			}
			c->sent += (size_t)n;
			continue;
		}
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EAGAIN)
			return SIPC_LOOP_IN;
		if (n < 0) {
			client_fail(c, "recv", i);
			return 0;
		}
		if (n == 0) {
			if (!c->shut || c->got != 0)
				client_fail(c, "early end", i);
			else
				l->done++;
			c->done = true;
			return 0;
		}
		for (ssize_t k = 0; k < n; k++) {
			if (c->got >= c->sent || buf[k] != byte_of(i, c->round, c->got)) {
				client_fail(c, "wrong echo byte", i);
				return 0;
			}
			c->got++;
		}
		l->verified += (uint64_t)n;
		if (c->got == c->len) {
			l->completed++;
			l->served += c->round == 0;
			c->round++;
			c->len = len_of(i, c->round);
			c->sent = c->got = 0;
		}
	}
}

static void terminate_now(struct load *l)
{
	l->terminated = true;
	for (int i = 0; i < l->nclients; i++)
		if (!l->c[i].done && l->c[i].sent > 0)
			l->inflight_at_term++;
	assert_int_equal(kill(l->server, SIGTERM), 0);
}

static void on_client(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct load *l = io->arg;
	struct client *c = (struct client *)io; /* io is its first member */
	int i = (int)(c - l->c);

	(void)revents;
	if (c->done)
		return;
	uint32_t want = client_step(l, i);
	if (c->done) {
		sipc__io_stop(loop, io);
		close(c->fd);
		l->finished++;
		return;
	}
	assert_int_equal(sipc__io_start(loop, io, want), 0);
}

/* Runs the load to its end; returns the milliseconds it took. */
static int64_t load_run(struct load *l)
{
	sipc_loop *loop;
	int64_t start = sipc_test_now_ms(), deadline = start + sipc_test_ms(120000);

	assert_int_equal(sipc__loop_new(&loop, NULL, NULL), 0);
	l->c = calloc((size_t)l->nclients, sizeof(*l->c));
	assert_non_null(l->c);
	for (int i = 0; i < l->nclients; i++)
		client_connect(l, i, loop);
	while (l->finished < l->nclients && sipc_test_now_ms() < deadline) {
		assert_int_equal(sipc__loop_run_once(loop, 1000), 0);
		/* Once every client has been accepted and served: a connection
		 * still in the listener's queue when the drain begins is never
		 * accepted (it is reset when the server exits). */
		if (l->server > 0 && !l->terminated && l->completed >= l->sigterm_after &&
		    l->served == l->nclients)
			terminate_now(l);
	}
	int64_t ms = sipc_test_now_ms() - start;
	int failed = 0;
	for (int i = 0; i < l->nclients; i++) {
		if (!l->c[i].done)
			close(l->c[i].fd);
		failed += l->c[i].failed || !l->c[i].done;
	}
	sipc__loop_free(loop);
	free(l->c);
	l->c = NULL;
	assert_int_equal(failed, 0);
	assert_int_equal(l->done, l->nclients);
	return ms;
}

/* The client needs a descriptor per connection (and the thread model's
 * server three); raise the soft limit as far as the hard one allows. */
static bool enough_descriptors(int need)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)need) {
		print_error("SKIP: RLIMIT_NOFILE hard limit %llu < %d: cannot open that many "
			    "connections\n",
			    (unsigned long long)rl.rlim_cur, need);
		return false;
	}
	return true;
}

static int nclients_full(int full)
{
	int scale = sipc_test_scale();
	return scale > 1 ? full / scale : full;
}

static void thousand_clients(const char *model)
{
	struct sipc_test_server s;
	struct load l = {0};
	const char *args[] = {"-e", "tcp://127.0.0.1:0 echo", NULL};

	l.nclients = nclients_full(1000);
	l.rounds = 100;
	if (!enough_descriptors(3 * l.nclients + 200))
		skip();
	server_start(&s, model, 1, args);
	l.port = port_of(s.urls[0]);
	int64_t ms = load_run(&l);
	assert_int_equal(l.completed, l.nclients * l.rounds);
	print_message("model %s: %d clients x %d echo round trips (1-%d bytes) in %lld ms, "
		      "%.0f round trips/s, %llu bytes verified\n",
		      model, l.nclients, l.rounds, MAXMSG, (long long)ms,
		      ms > 0 ? (double)l.completed * 1000.0 / (double)ms : 0.0,
		      (unsigned long long)l.verified);
	sipc_test_server_stop(&s);
}

static void test_load_event(void **state)
{
	(void)state;
	thousand_clients("event");
}

static void test_load_thread(void **state)
{
	(void)state;
	thousand_clients("thread");
}

static void test_load_fork(void **state)
{
	(void)state;
	thousand_clients("fork");
}

/* ---- SIGTERM during load ---- */

static void test_sigterm_during_load(void **state)
{
	(void)state;
	for (size_t m = 0; m < sizeof(models) / sizeof(models[0]); m++) {
		struct sipc_test_server s;
		struct load l = {0};
		const char *args[] = {"--drain-timeout", "10", "-e", "tcp://127.0.0.1:0 echo",
				      NULL};

		l.nclients = 200;
		l.rounds = 1000000; /* until the signal */
		if (!enough_descriptors(3 * l.nclients + 200))
			skip();
		server_start(&s, models[m], 1, args);
		l.port = port_of(s.urls[0]);
		l.server = s.pid;
		l.sigterm_after = l.nclients * 10;
		int64_t t0 = sipc_test_now_ms();
		load_run(&l);
		/* Every client finished its request in flight, got its echo
		 * whole and then a clean end: nothing sent before the signal
		 * was lost. */
		assert_true(l.terminated);
		assert_true(l.completed >= l.sigterm_after);
		sipc_test_server_wait(&s, sipc_test_ms(12000));
		print_message("model %s: SIGTERM after %d round trips, %d in flight then, all "
			      "completed; %d in total; load and drain took %lld ms\n",
			      models[m], l.sigterm_after, l.inflight_at_term, l.completed,
			      (long long)(sipc_test_now_ms() - t0));
	}
}

/* ---- 256 MiB through one connection ---- */

#define BIG   ((size_t)256 * 1024 * 1024)
#define CHUNK ((size_t)256 * 1024)
/* The stream is a window sliding over a random block of a prime length,
 * so no two chunks are alike and the expected bytes cost a memcpy. */
#define PRIME ((size_t)1048573)

static uint8_t *block; /* 2 * PRIME bytes: block[k] == block[k + PRIME] */

static const uint8_t *expected(size_t off)
{
	return block + off % PRIME;
}

struct writer {
	sipc_endpoint *ep;
	ssize_t rc;
};

static void *write_big(void *arg)
{
	struct writer *w = arg;

	w->rc = 0;
	for (size_t off = 0; off < BIG && w->rc >= 0; off += CHUNK) {
		ssize_t n = sipc_write_all(w->ep, expected(off), CHUNK, sipc_test_ms(30000));
		if (n != (ssize_t)CHUNK)
			w->rc = n < 0 ? n : -1;
	}
	/* Half-close: the echo of everything must still come back. */
	if (w->rc >= 0)
		w->rc = sipc_shutdown_write(w->ep);
	return NULL;
}

static int64_t big_echo(const char *url)
{
	struct writer w;
	pthread_t th;
	uint8_t *got = malloc(CHUNK);
	size_t off = 0;
	uint64_t sum_got = 0, sum_want = 0;
	int mismatches = 0;
	int64_t start = sipc_test_now_ms();

	assert_non_null(got);
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(5000), &w.ep), 0);
	assert_int_equal(pthread_create(&th, NULL, write_big, &w), 0);
	for (;;) {
		ssize_t n = sipc_read(w.ep, got, CHUNK, sipc_test_ms(30000));
		assert_true(n >= 0);
		if (n == 0)
			break;
		assert_true(off + (size_t)n <= BIG);
		/* A chunk never crosses the end of the doubled block. */
		if (memcmp(got, expected(off), (size_t)n) != 0)
			mismatches++;
		for (ssize_t k = 0; k < n; k += 4096) {
			sum_got = sum_got * 31 + got[k];
			sum_want = sum_want * 31 + expected(off)[k];
		}
		off += (size_t)n;
	}
	pthread_join(th, NULL);
	assert_int_equal(w.rc, 0);
	assert_int_equal(off, BIG);
	assert_int_equal(mismatches, 0);
	assert_true(sum_got == sum_want);
	sipc_endpoint_close(w.ep);
	free(got);
	return sipc_test_now_ms() - start;
}

static void test_big_echo(void **state)
{
	char *dir = sipc_test_tmpdir();
	char unix_arg[512];

	(void)state;
	block = malloc(2 * PRIME);
	assert_non_null(block);
	srand(5);
	for (size_t k = 0; k < PRIME; k++)
		block[k] = block[k + PRIME] = (uint8_t)(rand() >> 7);
	snprintf(unix_arg, sizeof(unix_arg), "unix://%s/big.sock echo", dir);
	for (size_t m = 0; m < sizeof(models) / sizeof(models[0]); m++) {
		struct sipc_test_server s;
		const char *args[] = {"-e", "tcp://127.0.0.1:0 echo", "-e", unix_arg, NULL};
		server_start(&s, models[m], 2, args);
		int64_t tcp = big_echo(s.urls[0]);
		int64_t ux = big_echo(s.urls[1]);
		print_message("model %s: 256 MiB echoed over tcp in %lld ms, over unix in %lld "
			      "ms\n",
			      models[m], (long long)tcp, (long long)ux);
		sipc_test_server_stop(&s);
	}
	free(block);
	block = NULL;
	sipc_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_event), cmocka_unit_test(test_load_thread),
		cmocka_unit_test(test_load_fork),  cmocka_unit_test(test_sigterm_during_load),
		cmocka_unit_test(test_big_echo),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
