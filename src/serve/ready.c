/*
 * ready.c - what the control loop tells the world about the server, and
 * when: the `listening URL SERVICE` lines and the service manager's
 * READY=1 once every endpoint is bound and accepted on, STATUS= with the
 * connection counters when they change, WATCHDOG=1 at half the manager's
 * watchdog interval, STOPPING=1 when the drain begins (notify.h), and the
 * end of an --inetd datagram server once no datagram came for the idle
 * timeout (inetd's `wait = yes`: it starts the server again on the next
 * one).  One periodic timer on the control loop of whichever model runs
 * (event and thread: the main thread's loop; fork: the parent's worker
 * loop) does the periodic part, so a hung control loop stops the
 * watchdog, which is what the watchdog is for.
 *
 * Under a supervisor (config.h: a generation) the supervisor is the
 * process the manager knows (its main pid): it prints the listening lines
 * and sends READY=1, RELOADING=1, STOPPING=1 and WATCHDOG=1 itself.  A
 * generation tells it that it accepts and sends its STATUS= text to it,
 * over the same socket, for the supervisor to pass on while the
 * generation is the current one.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "serve/ctlsig.h"
#include "serve/model.h"
#include "serve/notify.h"
#include "serve/server.h"

/* The longest gap between two looks at the counters. */
#define TICK_MS 1000
/* --inetd on a datagram socket without --idle-timeout: how long serve
 * waits for another datagram before it exits. */
#define INETD_DGRAM_IDLE_MS 10000

static void totals(struct sipc__server *srv, struct sipc_srv_stats *all)
{
	for (size_t i = 0; i < srv->neps; i++) {
		for (int k = 0; k < srv->nworkers; k++)
			sipc__srv_stats_sum(all, &srv->workers[k].stats[i]);
		if (srv->ops->stats != NULL)
			srv->ops->stats(srv, i, all);
	}
}

static void status(struct sipc__server *srv, const struct sipc_srv_stats *all, bool force)
{
	char text[160];

	if (!force && all->open == srv->ready.last_open && all->total == srv->ready.last_total)
		return;
	srv->ready.last_open = all->open;
	srv->ready.last_total = all->total;
	snprintf(text, sizeof(text), "STATUS=%llu connection(s) open, %llu served, %llu refused",
		 (unsigned long long)all->open, (unsigned long long)all->total,
		 (unsigned long long)all->refused);
	if (srv->cfg->gen != NULL) {
		/* One message each (a seqpacket socket); a full buffer loses
		 * one STATUS, which the next change replaces. */
		ssize_t n = send(srv->cfg->gen->ready_fd, text, strlen(text),
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		(void)n;
		return;
	}
	sipc__notify(text);
}

static bool inetd_dgram(const struct sipc__server *srv)
{
	return srv->cfg->inetd && srv->neps == 1 && srv->eps[0].kind == SIPC__SVC_DGRAM;
}

static int64_t idle_ms(const struct sipc__server *srv)
{
	return srv->cfg->idle_ms > 0 ? srv->cfg->idle_ms : INETD_DGRAM_IDLE_MS;
}

static void on_tick(sipc_loop *loop, sipc_loop_timer *t)
{
	struct sipc__server *srv = t->arg;
	struct sipc_srv_stats all = {0};
	int64_t now = sipc__loop_now(loop);
	int64_t wd = srv->cfg->gen != NULL ? 0 : sipc__notify_watchdog_ms();
	int64_t next = TICK_MS;

	totals(srv, &all);
	if (wd > 0) {
		sipc__notify("WATCHDOG=1");
		next = wd < next ? wd : next;
	}
	if (sipc__notify_enabled())
		status(srv, &all, false);
	if (inetd_dgram(srv) && !srv->ready.stopping) {
		if (all.dgrams_in != srv->ready.idle_dgrams) {
			srv->ready.idle_dgrams = all.dgrams_in;
			srv->ready.idle_since = now;
		} else if (now - srv->ready.idle_since >= idle_ms(srv)) {
			sipc__serve_log(srv, 2, "inetd: no datagram for %lld ms: exiting",
					(long long)(now - srv->ready.idle_since));
			/* The same path as a SIGTERM: the model drains and ends. */
			sipc__server_signal_stop_self();
		}
		int64_t left = srv->ready.idle_since + idle_ms(srv) - now;
		if (left > 0 && left < next)
			next = left;
	}
	sipc__timer_start(loop, t, next);
}

void sipc__server_started(struct sipc__server *srv, sipc_loop *loop)
{
	struct sipc_srv_stats all = {0};

	bool gen = srv->cfg->gen != NULL;

	/* Under --inetd descriptor 1 is the client's. */
	if (gen)
		sipc__server_ready(srv);
	else if (!srv->cfg->inetd)
		sipc__server_print_listening(srv);
	/* --trace says which backend the loops run on (--io). */
	if (srv->cfg->trace != NULL) {
		char line[64];

		snprintf(line, sizeof(line), "serve: io %s", sipc__loop_backend_name(loop));
		srv->cfg->trace(srv->cfg->trace_arg, line);
	}
	srv->ready.loop = loop;
	srv->ready.idle_since = sipc__loop_now(loop);
	sipc__timer_init(&srv->ready.tick, on_tick, srv);
	if (sipc__notify_enabled()) {
		totals(srv, &all);
		if (!gen)
			sipc__notify("READY=1");
		status(srv, &all, true);
	}
	if ((!gen && sipc__notify_watchdog_ms() > 0) || sipc__notify_enabled() || inetd_dgram(srv))
		on_tick(loop, &srv->ready.tick);
}

void sipc__server_stopping(struct sipc__server *srv)
{
	if (srv->ready.stopping)
		return;
	srv->ready.stopping = true;
	if (srv->cfg->gen == NULL)
		sipc__notify("STOPPING=1");
}

void sipc__server_stopped(struct sipc__server *srv)
{
	if (srv->ready.loop != NULL)
		sipc__timer_stop(srv->ready.loop, &srv->ready.tick);
	srv->ready.loop = NULL;
}
