/*
 * scanprobe.c - the probing half of `sockipc scan`: one probe per port,
 * each made with the library's dial (sipc_dial and sipc_options, so the
 * URL's ?options, --trace and later a proxy apply to every probe as they
 * do to connect), run by a fixed pool of threads that take the next port
 * from a shared counter.  A thread holds at most one socket, so the pool's
 * size is the bound on probes in flight (--concurrency) and on descriptors.
 * Results go back to the caller in port order, each as soon as it and all
 * before it are known, so a long scan prints as it goes.
 */
#include "cli/scan.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/proxyopt.h"

/* A probe needs little stack: the dial's address array is the most. */
#define PROBE_STACK (1024 * 1024)
/* Largest UDP reply looked at; a larger one (SIPC_ETRUNC) is a reply too. */
#define UDP_REPLY_MAX 512

struct pool {
	struct sipc_scan_probe *p;
	size_t n;
	const struct sipc_scan_cfg *cfg;
	atomic_size_t next;
	pthread_mutex_t lock;
	pthread_cond_t done; /* a probe's state was set */
};

const char *sipc_scan_state_name(enum sipc_scan_state s)
{
	switch (s) {
	case SIPC_SCAN_OPEN:
		return "open";
	case SIPC_SCAN_CLOSED:
		return "closed";
	case SIPC_SCAN_FILTERED:
		return "filtered";
	case SIPC_SCAN_OPEN_FILTERED:
		return "open|filtered";
	case SIPC_SCAN_ERROR:
		return "error";
	case SIPC_SCAN_PENDING:
		break;
	}
	return "pending";
}

/* What a failed connect, send or receive says about the port.  An ICMP
 * "port unreachable" is ECONNREFUSED on a connected UDP socket, as a RST
 * is on TCP; the other unreachables, an administrative prohibition
 * (EACCES, EPERM from a local firewall) and silence mean something on the
 * way did not let the probe through: nmap's "filtered". */
static enum sipc_scan_state state_of(int code)
{
	switch (code) {
	case -ECONNREFUSED:
		return SIPC_SCAN_CLOSED;
	case SIPC_ETIMEDOUT:
	case -ETIMEDOUT:
	case -EHOSTUNREACH:
	case -ENETUNREACH:
	case -EHOSTDOWN:
	case -ENONET:
	case -EACCES:
	case -EPERM:
	/* Through a SOCKS4 or HTTP proxy, whose replies do not say why it
	 * could not connect (SOCKS5's do, as the codes above). */
	case SIPC_EPROXY:
		return SIPC_SCAN_FILTERED;
	default:
		return SIPC_SCAN_ERROR;
	}
}

/*
 * The options of every probe's dial.  Each thread has its own copy: the
 * WHY buffer of sipc_options is not shared between threads.  With --proxy
 * every probe goes through the proxy.
 */
static void probe_options(sipc_options *o)
{
	memset(o, 0, sizeof(*o));
	sipc_cli_lib_options(o);
	o->proxy = sipc_cli_proxy;
}

/* UDP: sends an empty datagram on the connected socket and waits for
 * anything back, RETRIES more times when nothing comes. */
static enum sipc_scan_state probe_udp(sipc_endpoint *ep, const struct sipc_scan_cfg *cfg,
				      struct sipc_scan_probe *p)
{
	char buf[UDP_REPLY_MAX];

	for (int i = 0; i <= cfg->retries; i++) {
		ssize_t rc;

		p->tries++;
		rc = sipc_send(ep, "", 0, cfg->timeout_ms);
		if (rc < 0 && rc != SIPC_ETIMEDOUT) {
			p->code = (int)rc;
			return state_of((int)rc);
		}
		rc = sipc_recv(ep, buf, sizeof(buf), cfg->timeout_ms);
		if (rc >= 0 || rc == SIPC_ETRUNC || rc == SIPC_EMSGSIZE) {
			p->code = 0;
			return SIPC_SCAN_OPEN;
		}
		p->code = (int)rc;
		if (rc != SIPC_ETIMEDOUT)
			return state_of((int)rc);
	}
	return SIPC_SCAN_OPEN_FILTERED;
}

static enum sipc_scan_state probe_one(struct sipc_scan_probe *p, const struct sipc_scan_cfg *cfg)
{
	const struct sipc_scan_target *t = p->t;
	size_t len = strlen(t->probe_scheme) + strlen(t->host) + strlen(t->query) + 16;
	char *url = malloc(len);
	sipc_endpoint *ep = NULL;
	enum sipc_scan_state st;
	sipc_options o;
	int rc;

	if (url == NULL) {
		p->code = -ENOMEM;
		return SIPC_SCAN_ERROR;
	}
	snprintf(url, len, "%s://%s:%u%s", t->probe_scheme, t->host, (unsigned)p->port, t->query);
	probe_options(&o);
	rc = sipc_dial(url, &o, cfg->timeout_ms, &ep);
	free(url);
	if (rc < 0) {
		p->code = rc;
		return state_of(rc);
	}
	if (t->udp) {
		st = probe_udp(ep, cfg, p);
	} else {
		p->code = 0;
		st = SIPC_SCAN_OPEN;
	}
	sipc_endpoint_close(ep);
	return st;
}

static void *worker(void *arg)
{
	struct pool *pool = arg;

	for (;;) {
		size_t i = atomic_fetch_add(&pool->next, 1);
		enum sipc_scan_state st;

		if (i >= pool->n)
			break;
		st = probe_one(&pool->p[i], pool->cfg);
		pthread_mutex_lock(&pool->lock);
		pool->p[i].state = st;
		pthread_cond_broadcast(&pool->done);
		pthread_mutex_unlock(&pool->lock);
	}
	return NULL;
}

int sipc_scan_run(struct sipc_scan_probe *p, size_t n, const struct sipc_scan_cfg *cfg,
		  sipc_scan_report_fn *report, void *arg)
{
	size_t nthreads = (size_t)cfg->concurrency < n ? (size_t)cfg->concurrency : n;
	struct pool pool = {.p = p, .n = n, .cfg = cfg};
	pthread_t *threads;
	pthread_attr_t attr;
	size_t started = 0;
	int rc = 0;

	if (n == 0)
		return 0;
	threads = calloc(nthreads, sizeof(*threads));
	if (threads == NULL)
		return -ENOMEM;
	atomic_init(&pool.next, 0);
	pthread_mutex_init(&pool.lock, NULL);
	pthread_cond_init(&pool.done, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, PROBE_STACK);
	/* Fewer threads than asked (a thread limit) only makes the scan
	 * slower; none at all is a failure. */
	for (size_t i = 0; i < nthreads; i++) {
		rc = pthread_create(&threads[started], &attr, worker, &pool);
		if (rc != 0)
			break;
		started++;
	}
	pthread_attr_destroy(&attr);
	if (started == 0) {
		rc = -rc;
		goto out;
	}
	rc = 0;
	for (size_t i = 0; i < n; i++) {
		pthread_mutex_lock(&pool.lock);
		while (p[i].state == SIPC_SCAN_PENDING)
			pthread_cond_wait(&pool.done, &pool.lock);
		pthread_mutex_unlock(&pool.lock);
		report(&p[i], arg);
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
out:
	pthread_cond_destroy(&pool.done);
	pthread_mutex_destroy(&pool.lock);
	free(threads);
	return rc;
}
