/*
 * progpool.c - the connections of listen --keep-open -e, each served by its
 * own program (ncat -k -e, with -m its bound).  A slot is a thread that
 * runs program.c's relay for one connection and waits for its program;
 * the main thread accepts only while a slot is free, so with every slot
 * busy further clients wait in the listener's backlog and are served in
 * turn (ncat accepts them and closes them at once; a queue loses nobody
 * and costs the kernel's backlog only).  Threads rather than a process
 * per connection: the connection's endpoint (a TLS session) stays in one
 * process that closes it once, and the stop pipe of listen reaches every
 * relay as it is (the byte in it is never read, so all of them see it).
 * A slot that ends writes a byte to a wake pipe, so the main thread
 * joins it and accepts again.
 */
#include "cli/progpool.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/program.h"
#include "sys/sys.h"

struct sipc_progslot {
	struct sipc_progpool *pool;
	pthread_t th;
	sipc_endpoint *conn;
	bool busy;  /* the main thread's view: a thread was started */
	bool ended; /* atomic: the thread has finished with CONN */
};

static void *serve_one(void *arg)
{
	struct sipc_progslot *s = arg;
	struct sipc_progpool *p = s->pool;
	char b = 0;
	int rc;

	rc = sipc_program_run(p->argv, &p->cfg, s->conn, p->stop_fd, false, NULL);
	if (rc != 0)
		sipc_cli_notice("listen: %s: exit status %d", p->argv[0], rc);
	sipc_endpoint_close(s->conn);
	s->conn = NULL;
	__atomic_store_n(&s->ended, true, __ATOMIC_RELEASE);
	if (write(p->wake[1], &b, 1) < 0) {
		/* Full: the main thread is woken already. */
	}
	return NULL;
}

int sipc_progpool_init(struct sipc_progpool *p, long max, char **argv,
		       const struct sipc_relay_cfg *cfg, int stop_fd)
{
	p->max = max;
	p->argv = argv;
	p->cfg = *cfg;
	p->stop_fd = stop_fd;
	p->slots = calloc((size_t)max, sizeof(*p->slots));
	if (p->slots == NULL)
		return -ENOMEM;
	if (pipe2(p->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		int err = -errno;
		free(p->slots);
		p->slots = NULL;
		return err;
	}
	for (long i = 0; i < max; i++)
		p->slots[i].pool = p;
	return 0;
}

/* Joins the slots whose thread has ended; returns a free slot or NULL. */
static struct sipc_progslot *collect(struct sipc_progpool *p)
{
	struct sipc_progslot *free_slot = NULL;
	char buf[64];

	while (read(p->wake[0], buf, sizeof(buf)) > 0)
		;
	for (long i = 0; i < p->max; i++) {
		struct sipc_progslot *s = &p->slots[i];

		if (s->busy && __atomic_load_n(&s->ended, __ATOMIC_ACQUIRE)) {
			pthread_join(s->th, NULL);
			s->busy = false;
		}
		if (!s->busy && free_slot == NULL)
			free_slot = s;
	}
	return free_slot;
}

int sipc_progpool_wait(struct sipc_progpool *p)
{
	for (;;) {
		struct pollfd pfd[2] = {{.fd = p->wake[0], .events = POLLIN},
					{.fd = p->stop_fd, .events = POLLIN}};

		if (collect(p) != NULL)
			return 0;
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			return 1; /* cannot wait: end as on a stop */
		if (pfd[1].revents != 0)
			return 1;
	}
}

int sipc_progpool_start(struct sipc_progpool *p, sipc_endpoint *conn)
{
	struct sipc_progslot *s = collect(p);
	int err;

	if (s == NULL)
		return -EBUSY;
	s->conn = conn;
	s->ended = false;
	err = pthread_create(&s->th, NULL, serve_one, s);
	if (err != 0) {
		s->conn = NULL;
		return -err;
	}
	s->busy = true;
	return 0;
}

void sipc_progpool_finish(struct sipc_progpool *p)
{
	if (p->slots == NULL)
		return;
	for (long i = 0; i < p->max; i++)
		if (p->slots[i].busy)
			pthread_join(p->slots[i].th, NULL);
	free(p->slots);
	p->slots = NULL;
	sipc__sys_close(p->wake[0]);
	sipc__sys_close(p->wake[1]);
}
