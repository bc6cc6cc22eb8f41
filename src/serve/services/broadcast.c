/*
 * broadcast.c - `broadcast [--queue=SIZE]` on stream endpoints, ncat's
 * --broker: every complete line a client sends (up to 64 KiB; a longer one
 * goes out in 64 KiB pieces) is written to every OTHER client of the
 * endpoint.  A line is one reference-counted message shared by all its
 * receivers.  The clients of an endpoint are spread over the worker loops:
 * each loop has a shard (its clients, a note that wakes its loop, an
 * inbox); a line goes straight to the clients of the sender's loop, and
 * into the inbox of every other shard under the endpoint's mutex (one lock
 * per line, not per byte or per receiver), whose note wakes that loop to
 * deliver it.  A
 * receiver's outgoing queue is the connection's output buffer plus a list
 * of messages bounded by --queue (default 1 MiB): a client that does not
 * read is disconnected with a log line when the bound would be passed, so
 * it never slows the others nor grows memory.  An inbox, drained by its
 * loop every turn, is bounded too (16 MiB): beyond it lines are dropped for
 * that shard, with a log line.  At a client's end of data, a last line
 * without its newline is still delivered, then the connection ends (that
 * client receives no more lines).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve/services/services.h"
#include "sys/sys.h"

#define BC_LINE_MAX      ((size_t)64 * 1024)
#define BC_QUEUE_DEFAULT ((size_t)1024 * 1024)
#define BC_INBOX_MAX     ((size_t)16 * 1024 * 1024)

struct bc_msg {
	long refs; /* atomic */
	uint64_t from;
	size_t len;
	uint8_t data[];
};

/* A message waiting in a client's queue (from OFF on) or in an inbox. */
struct bc_item {
	struct bc_item *next;
	struct bc_msg *m;
	size_t off;
};

struct bc_shard;

struct bc_ep {
	struct sipc_srv_endpoint *sep;
	size_t queue_max;
	pthread_mutex_t lock; /* shards and their inboxes */
	struct bc_shard *shards;
	uint64_t next_id; /* atomic */
};

struct bc_client;

struct bc_shard {
	struct bc_shard *next;
	struct bc_ep *be;
	sipc_loop *loop;
	struct sipc__sys_note note; /* wakes the loop for the inbox */
	sipc_loop_io io;
	struct bc_client *clients; /* this loop's only */
	size_t nclients;
	bool delivering; /* a delivery walks the clients: free later */
	/* Under be->lock. */
	struct bc_item *in_head, *in_tail;
	size_t in_bytes;
	bool drop_noted;
};

struct bc_client {
	struct bc_client *prev, *next;
	struct sipc_conn *c;
	struct bc_shard *sh;
	uint64_t id;
	uint8_t *line; /* the line being read, BC_LINE_MAX bytes once needed */
	size_t len;
	struct bc_item *q_head, *q_tail;
	size_t q_bytes;
};

static const char *const too_slow = "not reading: outgoing queue over --queue";

static void msg_unref(struct bc_msg *m)
{
	if (__atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(m);
}

static void items_free(struct bc_item *it)
{
	while (it != NULL) {
		struct bc_item *next = it->next;
		msg_unref(it->m);
		free(it);
		it = next;
	}
}

static void shard_free(struct bc_shard *sh, bool loop_alive)
{
	struct bc_ep *be = sh->be;
	struct bc_shard **pp;
	struct bc_item *inbox;

	pthread_mutex_lock(&be->lock);
	for (pp = &be->shards; *pp != NULL && *pp != sh; pp = &(*pp)->next)
		;
	if (*pp == sh)
		*pp = sh->next;
	inbox = sh->in_head;
	pthread_mutex_unlock(&be->lock);
	items_free(inbox);
	if (loop_alive)
		sipc__io_stop(sh->loop, &sh->io);
	sipc__sys_note_close(&sh->note);
	free(sh);
}

/* Writes what the queue of CL holds while the connection takes it. */
static void q_push(struct bc_client *cl)
{
	while (cl->q_head != NULL) {
		struct bc_item *it = cl->q_head;
		size_t want = it->m->len - it->off;
		size_t n = sipc__conn_write(cl->c, it->m->data + it->off, want);

		if (n < want) {
			it->off += n;
			cl->q_bytes -= n;
			return;
		}
		cl->q_bytes -= want;
		cl->q_head = it->next;
		if (cl->q_head == NULL)
			cl->q_tail = NULL;
		msg_unref(it->m);
		free(it);
	}
	sipc__conn_want_writable(cl->c, false);
}

/* Gives M to CL.  May close CL's connection (and free CL): the caller
 * must not touch CL afterwards. */
static void deliver(struct bc_client *cl, struct bc_msg *m)
{
	struct bc_item *it;
	size_t n = 0;

	if (cl->q_head == NULL) {
		/* Nothing queued: straight to the connection.  All taken may
		 * also mean the connection has just closed (and CL is gone). */
		n = sipc__conn_write(cl->c, m->data, m->len);
		if (n == m->len)
			return;
	}
	if (cl->q_bytes + (m->len - n) > cl->sh->be->queue_max) {
		char peer[SIPC_URL_MAX];
		struct sipc_srv_endpoint *sep = cl->sh->be->sep;
		if (sipc_addr_format(sipc__conn_peer(cl->c), peer, sizeof(peer)) < 0)
			snprintf(peer, sizeof(peer), "?");
		sipc__svc_log(sep, 1,
			      "broadcast %s: dropping peer=%s: it does not read "
			      "(%zu bytes queued, --queue=%zu)",
			      sipc__svc_ep_url(sep), peer,
			      cl->q_bytes + sipc__conn_out_pending(cl->c), cl->sh->be->queue_max);
		sipc__conn_close(cl->c, too_slow);
		return;
	}
	it = malloc(sizeof(*it));
	if (it == NULL) {
		sipc__conn_close(cl->c, "out of memory");
		return;
	}
	__atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
	it->m = m;
	it->off = n;
	it->next = NULL;
	if (cl->q_tail != NULL)
		cl->q_tail->next = it;
	else
		cl->q_head = it;
	cl->q_tail = it;
	cl->q_bytes += m->len - n;
	sipc__conn_want_writable(cl->c, true);
}

/* Gives M to every client of SH but its sender. */
static void deliver_all(struct bc_shard *sh, struct bc_msg *m)
{
	struct bc_client *cl = sh->clients, *next;

	for (; cl != NULL; cl = next) {
		next = cl->next; /* deliver may free cl */
		if (cl->id != m->from)
			deliver(cl, m);
	}
}

static void on_inbox(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct bc_shard *sh = io->arg;
	struct bc_item *it, *next;

	(void)loop;
	(void)revents;
	sipc__sys_note_clear(&sh->note);
	pthread_mutex_lock(&sh->be->lock);
	it = sh->in_head;
	sh->in_head = sh->in_tail = NULL;
	sh->in_bytes = 0;
	sh->drop_noted = false;
	pthread_mutex_unlock(&sh->be->lock);
	sh->delivering = true;
	for (; it != NULL; it = next) {
		next = it->next;
		deliver_all(sh, it->m);
		msg_unref(it->m);
		free(it);
	}
	sh->delivering = false;
	if (sh->nclients == 0)
		shard_free(sh, true);
}

/* Sends one line from CL to every other client of the endpoint. */
static void post(struct bc_client *cl, const uint8_t *buf, size_t len)
{
	struct bc_ep *be = cl->sh->be;
	struct bc_msg *m = malloc(sizeof(*m) + len);

	if (m == NULL)
		return;
	m->refs = 1; /* ours, until the end of this function */
	m->from = cl->id;
	m->len = len;
	memcpy(m->data, buf, len);
	pthread_mutex_lock(&be->lock);
	for (struct bc_shard *sh = be->shards; sh != NULL; sh = sh->next) {
		struct bc_item *it;
		if (sh == cl->sh)
			continue;
		if (sh->in_bytes + len > BC_INBOX_MAX || (it = malloc(sizeof(*it))) == NULL) {
			if (!sh->drop_noted)
				sipc__svc_log(be->sep, 1,
					      "broadcast %s: a worker is behind by %zu bytes: "
					      "dropping lines for its clients",
					      sipc__svc_ep_url(be->sep), sh->in_bytes);
			sh->drop_noted = true;
			continue;
		}
		__atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
		it->m = m;
		it->off = 0;
		it->next = NULL;
		if (sh->in_tail != NULL) {
			sh->in_tail->next = it;
		} else {
			sh->in_head = it;
			/* The first item wakes the loop; later ones ride along. */
			sipc__sys_note_post(&sh->note);
		}
		sh->in_tail = it;
		sh->in_bytes += len;
	}
	pthread_mutex_unlock(&be->lock);
	cl->sh->delivering = true;
	deliver_all(cl->sh, m);
	cl->sh->delivering = false;
	msg_unref(m);
}

static void bc_data(struct sipc_conn *c, const uint8_t *buf, size_t len)
{
	struct bc_client *cl = sipc__conn_state(c);

	while (len > 0) {
		const uint8_t *nl = memchr(buf, '\n', len);
		size_t take = nl ? (size_t)(nl - buf) + 1 : len;

		if (cl->len == 0 && nl != NULL && take <= BC_LINE_MAX) {
			/* A whole line in the buffer: no copy into ours. */
			post(cl, buf, take);
		} else {
			size_t room = BC_LINE_MAX - cl->len;
			if (cl->line == NULL) {
				cl->line = malloc(BC_LINE_MAX);
				if (cl->line == NULL) {
					sipc__conn_close(c, "out of memory");
					return;
				}
			}
			if (take > room)
				take = room;
			memcpy(cl->line + cl->len, buf, take);
			cl->len += take;
			if (cl->len == BC_LINE_MAX || cl->line[cl->len - 1] == '\n') {
				post(cl, cl->line, cl->len);
				cl->len = 0;
			}
		}
		buf += take;
		len -= take;
	}
	/* A buffer only while a partial line waits. */
	if (cl->len == 0 && cl->line != NULL) {
		free(cl->line);
		cl->line = NULL;
	}
}

static void bc_eof(struct sipc_conn *c)
{
	struct bc_client *cl = sipc__conn_state(c);

	if (cl->len > 0) {
		post(cl, cl->line, cl->len);
		cl->len = 0;
	}
	sipc__conn_end(c);
}

static void bc_writable(struct sipc_conn *c)
{
	q_push(sipc__conn_state(c));
}

static void bc_open(struct sipc_conn *c)
{
	struct bc_client *cl = sipc__conn_state(c);
	struct bc_ep *be = sipc__svc_ep_state(sipc__conn_endpoint(c));
	sipc_loop *loop = sipc__conn_loop(c);
	struct bc_shard *sh;

	cl->c = c;
	cl->id = __atomic_add_fetch(&be->next_id, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&be->lock);
	for (sh = be->shards; sh != NULL; sh = sh->next)
		if (sh->loop == loop)
			break;
	if (sh == NULL && (sh = calloc(1, sizeof(*sh))) != NULL) {
		sh->be = be;
		sh->loop = loop;
		bool noted = sipc__sys_note_open(&sh->note) == 0;
		sipc__io_init(&sh->io, sh->note.rd, on_inbox, sh);
		if (!noted || sipc__io_start(loop, &sh->io, SIPC_LOOP_IN) < 0) {
			sipc__sys_note_close(&sh->note);
			free(sh);
			sh = NULL;
		} else {
			sh->next = be->shards;
			be->shards = sh;
		}
	}
	pthread_mutex_unlock(&be->lock);
	if (sh == NULL) {
		sipc__conn_close(c, "out of resources (a wake-up note)");
		return;
	}
	cl->sh = sh;
	cl->next = sh->clients;
	if (sh->clients != NULL)
		sh->clients->prev = cl;
	sh->clients = cl;
	sh->nclients++;
}

static void bc_close(struct sipc_conn *c)
{
	struct bc_client *cl = sipc__conn_state(c);
	struct bc_shard *sh = cl->sh;

	items_free(cl->q_head);
	cl->q_head = cl->q_tail = NULL;
	free(cl->line);
	cl->line = NULL;
	if (sh == NULL)
		return;
	if (cl->prev != NULL)
		cl->prev->next = cl->next;
	else
		sh->clients = cl->next;
	if (cl->next != NULL)
		cl->next->prev = cl->prev;
	sh->nclients--;
	if (sh->nclients == 0 && !sh->delivering)
		shard_free(sh, true);
}

static int bc_setup(struct sipc_srv_endpoint *sep, int argc, char **argv, char *why, size_t whylen)
{
	size_t queue_max = BC_QUEUE_DEFAULT;
	const struct sipc_svc_opt opts[] = {
		{"queue", SIPC__SVC_OPT_SIZE, &queue_max, 1024, 1024L * 1024 * 1024},
		{NULL, 0, NULL, 0, 0},
	};
	struct bc_ep *be;
	int used;

	if (sipc__svc_opts_parse("broadcast", argc, argv, opts, &used, why, whylen) < 0)
		return -1;
	if (used != argc) {
		snprintf(why, whylen, "broadcast: unexpected argument '%s' (usage: %s)", argv[used],
			 sipc__svc_broadcast.usage);
		return -1;
	}
	be = calloc(1, sizeof(*be));
	if (be == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	be->sep = sep;
	be->queue_max = queue_max;
	pthread_mutex_init(&be->lock, NULL);
	sipc__svc_ep_set_state(sep, be);
	return 0;
}

static void bc_teardown(struct sipc_srv_endpoint *sep)
{
	struct bc_ep *be = sipc__svc_ep_state(sep);

	if (be == NULL)
		return;
	/* Every connection has closed, so every shard has gone; whatever is
	 * left belongs to loops that no longer exist. */
	while (be->shards != NULL)
		shard_free(be->shards, false);
	pthread_mutex_destroy(&be->lock);
	free(be);
	sipc__svc_ep_set_state(sep, NULL);
}

const struct sipc_service sipc__svc_broadcast = {
	.name = "broadcast",
	.usage = "broadcast [--queue=SIZE]",
	.min_args = 0,
	.max_args = 1,
	.kinds = SIPC__SVC_STREAM,
	.models = SIPC__MODEL_EVENT | SIPC__MODEL_THREAD,
	.setup = bc_setup,
	.teardown = bc_teardown,
	.conn_size = sizeof(struct bc_client),
	.on_open = bc_open,
	.on_data = bc_data,
	.on_eof = bc_eof,
	.on_writable = bc_writable,
	.on_close = bc_close,
};
