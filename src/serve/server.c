/*
 * server.c - the server as a whole: it checks every service line before
 * binding anything, binds the endpoints, starts the workers, prints the
 * `listening URL SERVICE` lines, and runs the control loop of the main
 * thread, which alone receives SIGINT, SIGTERM and SIGUSR1 (through a
 * signalfd, so no work happens in a signal handler): the first SIGINT or
 * SIGTERM drains, a second one closes everything at once, SIGUSR1 prints
 * the counters.  The concurrency model is reached only through its table
 * (model.h, srv->ops): it runs the server (fork: a single-threaded parent
 * of its own; event and thread: sipc__server_run_workers here), serves
 * each accepted connection, and adds what it holds outside the workers
 * (thread: the connection threads) to the drain, the end and the counters.
 */
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve/inetd.h"
#include "serve/ctlsig.h"
#include "serve/inherit.h"
#include "serve/limits.h"
#include "serve/model.h"
#include "serve/plat.h"
#include "serve/server.h"
#include "serve/tls.h"
#include "endpoint.h"
#include "url.h"

static unsigned kind_of(sipc_scheme s)
{
	switch (sipc_scheme_socktype(s)) {
	case SOCK_STREAM:
		return SIPC__SVC_STREAM;
	case SOCK_SEQPACKET:
		return SIPC__SVC_SEQPACKET;
	default:
		return SIPC__SVC_DGRAM;
	}
}

static int check_line(const struct sipc__model_ops *model, const struct sipc_serve_line *line,
		      char *why, size_t whylen)
{
	sipc_url *url;
	const struct sipc_service *svc;
	char detail[SIPC_WHY_MAX];
	char known[256] = "";
	int nargs = line->argc - 2;
	int err;

	if (line->argc < 2) {
		snprintf(why, whylen, "%s: expected URL SERVICE [ARGS...]", line->origin);
		return -1;
	}
	err = sipc_url_parse(line->argv[0], &url, detail, sizeof(detail));
	if (err < 0) {
		snprintf(why, whylen, "%s: %s: %s", line->origin, line->argv[0], detail);
		return -1;
	}
	sipc_scheme scheme = sipc_url_scheme(url);
	sipc_url_free(url);
	svc = sipc__service_find(line->argv[1]);
	if (svc == NULL) {
		for (size_t i = 0; sipc__services[i] != NULL; i++) {
			if (i > 0)
				strncat(known, ", ", sizeof(known) - strlen(known) - 1);
			strncat(known, sipc__services[i]->name, sizeof(known) - strlen(known) - 1);
		}
		snprintf(why, whylen, "%s: unknown service '%s' (known: %s)", line->origin,
			 line->argv[1], known);
		return -1;
	}
	if (svc->absent != NULL) {
		snprintf(why, whylen, "%s: service %s: not supported on this system (%s)",
			 line->origin, svc->name, svc->absent);
		return -1;
	}
	if (nargs < svc->min_args || (svc->max_args >= 0 && nargs > svc->max_args)) {
		snprintf(why, whylen, "%s: wrong number of arguments for %s (usage: %s)%s",
			 line->origin, svc->name, svc->usage,
			 sipc__serve_line_looks_double(line)
				 ? "; this looks like two service lines: give each with -e "
				   "'URL SERVICE [ARGS...]'"
				 : "");
		return -1;
	}
	if (!(svc->kinds & kind_of(scheme))) {
		snprintf(why, whylen, "%s: service %s does not work on %s:// endpoints",
			 line->origin, svc->name, sipc_scheme_name(scheme));
		return -1;
	}
	if (!(svc->models & model->bit)) {
		snprintf(why, whylen, "%s: service %s does not work under --model %s", line->origin,
			 svc->name, model->name);
		return -1;
	}
	return 0;
}

int sipc__server_check(const struct sipc_serve_config *cfg, char *why, size_t whylen)
{
	const struct sipc__model_ops *model = sipc__model_of(cfg->model);
	char names[64];

	if (model == NULL) {
		snprintf(why, whylen, "--model: not %s", sipc__model_names(names, sizeof(names)));
		return -1;
	}
	if (!cfg->finished) {
		/* Every line must point at its service's attributes. */
		snprintf(why, whylen, "internal: sipc__serve_config_finish was not called");
		return -1;
	}
	if (cfg->nlines == 0) {
		snprintf(why, whylen, "no service lines");
		return -1;
	}
	if (model->check != NULL && model->check(cfg, why, whylen) < 0)
		return -1;
	for (size_t i = 0; i < cfg->nlines; i++)
		if (check_line(model, &cfg->lines[i], why, whylen) < 0)
			return -1;
	return 0;
}

static void listen_options(const struct sipc_serve_config *cfg, const struct sipc_serve_line *line,
			   sipc_options *o, char *why, size_t whylen)
{
	memset(o, 0, sizeof(*o));
	o->max_msg = line->conf != NULL ? line->conf->max_msg : cfg->max_msg;
	o->unix_mode = cfg->unix_mode;
	o->trace = cfg->trace;
	o->trace_arg = cfg->trace_arg;
	o->tls = cfg->tls;
	o->why = why;
	o->whylen = whylen;
	why[0] = '\0';
}

int sipc__server_listen(const struct sipc_serve_config *cfg, const struct sipc_serve_line *line,
			sipc_endpoint **epp, char *why, size_t whylen)
{
	char detail[SIPC_WHY_MAX];
	sipc_options o;
	int err;

	listen_options(cfg, line, &o, detail, sizeof(detail));
	err = sipc_listen(line->argv[0], &o, epp);
	if (err < 0)
		snprintf(why, whylen, "listen %s: %s%s%s", line->argv[0], sipc_strerror(err),
			 detail[0] ? ": " : "", detail);
	return err;
}

int sipc__server_wrap_fd(const struct sipc_serve_config *cfg, const struct sipc_serve_line *line,
			 int fd, sipc_endpoint **epp, char *why, size_t whylen)
{
	char detail[SIPC_WHY_MAX];
	sipc_options o;
	sipc_url *url;
	int err;

	listen_options(cfg, line, &o, detail, sizeof(detail));
	err = sipc_url_parse(line->argv[0], &url, NULL, 0);
	if (err == 0) {
		err = sipc_endpoint_from_fd(fd, sipc_url_scheme(url), &o, epp);
		/* shm://: its connections' ring= and spin= come from here. */
		if (err == 0 && sipc_url_scheme(url) == SIPC_SHM)
			sipc__ep_set_sockopts(*epp, &url->opts);
		sipc_url_free(url);
	}
	if (err < 0)
		snprintf(why, whylen, "%s: the socket passed in as descriptor %d: %s%s%s",
			 line->origin, fd, sipc_strerror(err), detail[0] ? ": " : "", detail);
	return err;
}

/*
 * The socket passed in for SEP's line (inherit.h: socket activation, or
 * under a supervisor every socket), made its endpoint: 0; -1 when none
 * was passed for it (the caller binds); or the exit status with WHY: a
 * socket named for the line that cannot serve it (2), or one the library
 * refuses to wrap (1).  What was given is never bound.
 */
static int adopt(struct sipc__server *srv, struct sipc_srv_endpoint *sep, char *why, size_t whylen)
{
	const struct sipc_serve_line *line = sep->line;
	char detail[SIPC_WHY_MAX] = "";
	int fd, err;

	err = sipc__inherit_take(srv->cfg->inherit, line, &fd, detail, sizeof(detail));
	if (err == -ENOENT)
		return -1;
	if (err < 0) {
		snprintf(why, whylen, "%s", detail);
		return 2;
	}
	if (sipc__server_wrap_fd(srv->cfg, line, fd, &sep->ep, why, whylen) < 0) {
		close(fd);
		return 1;
	}
	sep->adopted = fd;
	return 0;
}

static void warn_unclaimed(void *arg, const char *what)
{
	sipc__serve_log(arg, 0, "serve: %s: passed in, but no service line takes it: closed", what);
}

static int bind_endpoint(struct sipc__server *srv, size_t i, char *why, size_t whylen)
{
	const struct sipc_serve_config *cfg = srv->cfg;
	struct sipc_srv_endpoint *sep = &srv->eps[i];
	const struct sipc_serve_line *line = &cfg->lines[i];
	char detail[SIPC_WHY_MAX] = "";
	sipc_addr local;
	int err;

	sep->index = i;
	sep->srv = srv;
	sep->adopted = -1;
	sep->line = line;
	sep->svc = sipc__service_find(line->argv[1]);
	sep->argc = line->argc - 2;
	sep->argv = line->argv + 2;
	err = adopt(srv, sep, why, whylen);
	if (err > 0)
		return err;
	if (err < 0 && sipc__server_listen(cfg, line, &sep->ep, why, whylen) < 0)
		return 1;
	sep->fd = sipc_endpoint_fd(sep->ep);
	sep->scheme = sipc_endpoint_scheme(sep->ep);
	sep->kind = kind_of(sep->scheme);
	err = sipc_endpoint_local(sep->ep, &local);
	if (err < 0 || sipc_addr_format(&local, sep->url, sizeof(sep->url)) < 0)
		snprintf(sep->url, sizeof(sep->url), "%s", line->argv[0]);
	/* The loop guard drops what comes from the server's own udp ports. */
	if (err == 0 && sep->kind == SIPC__SVC_DGRAM &&
	    sipc__guard_self_add(&srv->self, &local) < 0) {
		snprintf(why, whylen, "out of memory");
		return 1;
	}
	if (sep->svc->setup != NULL) {
		detail[0] = '\0';
		if (sep->svc->setup(sep, sep->argc, sep->argv, detail, sizeof(detail)) < 0) {
			snprintf(why, whylen, "%s: %s", line->origin, detail);
			sipc_endpoint_close(sep->ep);
			sep->ep = NULL;
			return 2;
		}
		sep->set_up = true;
	}
	return 0;
}

/* One runtime limits object per service (each distinct conf with
 * endpoints), shared by its endpoints: the conf is read-only config. */
static int make_limits(struct sipc__server *srv)
{
	srv->limits = calloc(srv->neps ? srv->neps : 1, sizeof(*srv->limits));
	if (srv->limits == NULL)
		return -1;
	for (size_t i = 0; i < srv->neps; i++) {
		struct sipc_srv_endpoint *sep = &srv->eps[i];
		for (size_t k = 0; k < srv->nlimits && sep->limits == NULL; k++)
			if (sipc__limits_conf(srv->limits[k]) == sep->line->conf)
				sep->limits = srv->limits[k];
		if (sep->limits != NULL)
			continue;
		sep->limits = sipc__limits_new(sep->line->conf);
		if (sep->limits == NULL)
			return -1;
		srv->limits[srv->nlimits++] = sep->limits;
	}
	return 0;
}

int sipc__server_new(const struct sipc_serve_config *cfg, struct sipc__server **srvp, char *why,
		     size_t whylen)
{
	struct sipc__server *srv;
	int rc;

	if (sipc__server_check(cfg, why, whylen) < 0)
		return 2;
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		goto nomem;
	srv->cfg = cfg;
	srv->ops = sipc__model_of(cfg->model);
	srv->sigfd = -1;
	srv->eps = calloc(cfg->nlines, sizeof(*srv->eps));
	if (srv->eps == NULL)
		goto nomem;
	for (size_t i = 0; i < cfg->nlines; i++) {
		rc = bind_endpoint(srv, i, why, whylen);
		srv->neps = i + (rc == 0 ? 1 : 0);
		if (rc != 0) {
			sipc__server_free(srv);
			return rc;
		}
	}
	if (sipc__inherit_check_rest(cfg->inherit, cfg->lines, cfg->nlines, why, whylen) < 0) {
		sipc__server_free(srv);
		return 2;
	}
	/* A generation adopts every socket the supervisor bound: saying so on
	 * each start would say nothing. */
	for (size_t i = 0; i < srv->neps && !cfg->inetd && cfg->gen == NULL; i++)
		if (srv->eps[i].adopted >= 0)
			sipc__serve_log(
				srv, 1, "serve: %s %s: the socket passed in as descriptor %d",
				srv->eps[i].url, srv->eps[i].svc->name, srv->eps[i].adopted);
	sipc__inherit_close_rest(cfg->inherit, warn_unclaimed, srv);
	if (make_limits(srv) < 0)
		goto nomem;
	if (sipc__banner_load_all(srv, why, whylen) < 0) {
		sipc__server_free(srv);
		return 2;
	}
	rc = sipc__guard_self_locals(&srv->self);
	if (rc < 0)
		sipc__serve_log(srv, 0,
				"serve: getifaddrs: %s; a wildcard-bound udp endpoint knows only "
				"loopback as its own address",
				sipc_strerror(rc));
	srv->nworkers = cfg->workers;
	/* Under the thread and fork models the workers only accept and serve
	 * datagrams: one is enough unless asked for more (thread only). */
	if (srv->nworkers <= 0)
		srv->nworkers = srv->ops->default_workers;
	if (srv->nworkers <= 0)
		srv->nworkers = sipc__serve_ncpus();
	/* One owner per datagram endpoint (see server.h), round robin. */
	for (size_t i = 0, k = 0; i < srv->neps; i++)
		if (srv->eps[i].kind == SIPC__SVC_DGRAM)
			srv->eps[i].owner = (int)(k++ % (size_t)srv->nworkers);
	srv->workers = calloc((size_t)srv->nworkers, sizeof(*srv->workers));
	if (srv->workers == NULL)
		goto nomem;
	for (int i = 0; i < srv->nworkers; i++) {
		int err = sipc__worker_init(&srv->workers[i], srv, i);
		if (err < 0) {
			snprintf(why, whylen, "worker %d: %s", i, sipc_strerror(err));
			sipc__server_free(srv);
			return 1;
		}
	}
	rc = srv->ops->init != NULL ? srv->ops->init(srv) : 0;
	if (rc < 0)
		goto nomem;
	*srvp = srv;
	return 0;
nomem:
	snprintf(why, whylen, "out of memory");
	sipc__server_free(srv);
	return 1;
}

void sipc__server_free(struct sipc__server *srv)
{
	if (srv == NULL)
		return;
	if (srv->ops->fini != NULL)
		srv->ops->fini(srv);
	for (int i = 0; srv->workers != NULL && i < srv->nworkers; i++)
		sipc__worker_fini(&srv->workers[i]);
	free(srv->workers);
	for (size_t i = 0; i < srv->neps; i++) {
		struct sipc_srv_endpoint *sep = &srv->eps[i];
		if (sep->set_up && sep->svc->teardown != NULL)
			sep->svc->teardown(sep);
		sipc_endpoint_close(sep->ep);
		free(sep->banner);
	}
	free(srv->eps);
	for (size_t i = 0; i < srv->nlimits; i++)
		sipc__limits_free(srv->limits[i]);
	free(srv->limits);
	sipc__guard_self_free(&srv->self);
	sipc__server_signal_close(srv);
	sipc__loop_free(srv->ctl);
	free(srv);
}

void sipc__srv_stats_sum(struct sipc_srv_stats *to, const struct sipc_srv_stats *s)
{
	to->open += SIPC__STAT_GET(s->open);
	to->total += SIPC__STAT_GET(s->total);
	to->refused += SIPC__STAT_GET(s->refused);
	to->bytes_in += SIPC__STAT_GET(s->bytes_in);
	to->bytes_out += SIPC__STAT_GET(s->bytes_out);
	to->dgrams_in += SIPC__STAT_GET(s->dgrams_in);
	to->dgrams_out += SIPC__STAT_GET(s->dgrams_out);
	to->dropped += SIPC__STAT_GET(s->dropped);
}

static void print_one(const char *what, const struct sipc_srv_stats *s)
{
	sipc__serve_log(NULL, 0,
			"stats: %s open=%llu total=%llu refused=%llu in=%llu out=%llu "
			"dgrams_in=%llu dgrams_out=%llu dropped=%llu",
			what, (unsigned long long)s->open, (unsigned long long)s->total,
			(unsigned long long)s->refused, (unsigned long long)s->bytes_in,
			(unsigned long long)s->bytes_out, (unsigned long long)s->dgrams_in,
			(unsigned long long)s->dgrams_out, (unsigned long long)s->dropped);
}

void sipc__server_print_stats(struct sipc__server *srv)
{
	struct sipc_srv_stats all = {0};
	char what[SIPC_URL_MAX + 64];

	/* Which backend the loops run on (--io, and its fallback). */
	sipc__serve_log(NULL, 0, "stats: io %s", sipc__loop_chosen());
	for (size_t i = 0; i < srv->neps; i++) {
		struct sipc_srv_stats one = {0};
		for (int k = 0; k < srv->nworkers; k++)
			sipc__srv_stats_sum(&one, &srv->workers[k].stats[i]);
		if (srv->ops->stats != NULL)
			srv->ops->stats(srv, i, &one);
		sipc__srv_stats_sum(&all, &one);
		snprintf(what, sizeof(what), "%s %s", srv->eps[i].svc->name, srv->eps[i].url);
		print_one(what, &one);
	}
	print_one("all", &all);
}

static void drain_all(struct sipc__server *srv, int level)
{
	for (int i = 0; i < srv->nworkers; i++)
		if (srv->workers[i].started)
			sipc__worker_request_drain(&srv->workers[i], level);
	if (srv->ops->drain != NULL)
		srv->ops->drain(srv, level);
}

static void on_signal(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct sipc__server *srv = io->arg;
	struct sipc__ctl_sig sig;

	(void)loop;
	(void)revents;
	while (sipc__server_signal_next(srv, &sig) == 1) {
		if (sig.what == SIPC__CTL_STATS) {
			sipc__server_print_stats(srv);
			continue;
		}
		if (sig.what == SIPC__CTL_RETIRE) {
			sipc__server_retire(srv);
			continue;
		}
		if (sig.what != SIPC__CTL_STOP)
			continue;
		srv->signals_seen++;
		sipc__server_stopping(srv);
		if (srv->signals_seen == 1) {
			long open = __atomic_load_n(&srv->open_conns, __ATOMIC_RELAXED);
			sipc__serve_log(srv, 1,
					"%s: no longer accepting; %ld connection(s) have %d.%03d s "
					"to finish",
					sig.name, open, srv->cfg->drain_ms / 1000,
					srv->cfg->drain_ms % 1000);
			drain_all(srv, 1);
		} else {
			sipc__serve_log(srv, 1, "%s again: closing every connection now", sig.name);
			drain_all(srv, 2);
		}
	}
}

static void on_ctl_wake(sipc_loop *loop, void *arg)
{
	struct sipc__server *srv = arg;

	for (int i = 0; i < srv->nworkers; i++)
		if (srv->workers[i].started &&
		    !__atomic_load_n(&srv->workers[i].done, __ATOMIC_ACQUIRE))
			return;
	if (srv->ops->idle != NULL && !srv->ops->idle(srv))
		return;
	sipc__loop_stop(loop);
}

void sipc__server_print_listening(const struct sipc__server *srv)
{
	for (size_t i = 0; i < srv->neps; i++) {
		const struct sipc_srv_endpoint *sep = &srv->eps[i];
		char shown[256];

		printf("listening %s %s", sep->url, sep->svc->name);
		for (int k = 0; k < sep->argc; k++)
			printf(" %s", sipc__svc_arg_shown(sep->argv[k], shown, sizeof(shown)));
		printf("\n");
	}
	fflush(stdout);
}

void sipc__server_ready(const struct sipc__server *srv)
{
	/* The supervisor waits for this message (or the end of the socket). */
	ssize_t n = write(srv->cfg->gen->ready_fd, "A", 1);
	(void)n;
}

void sipc__server_retire(struct sipc__server *srv)
{
	if (srv->retiring || srv->signals_seen > 0)
		return;
	srv->retiring = true;
	for (int i = 0; i < srv->nworkers; i++)
		sipc__worker_request_retire(&srv->workers[i]);
}

void sipc__server_worker_retired(struct sipc__server *srv)
{
	if (__atomic_add_fetch(&srv->retired, 1, __ATOMIC_ACQ_REL) != srv->nworkers)
		return;
	/* No worker watches a listener any more: closing ours cannot leave a
	 * descriptor in an epoll set.  Datagram sockets stay: connections
	 * still reply through them (forward). */
	for (size_t i = 0; i < srv->neps; i++) {
		struct sipc_srv_endpoint *sep = &srv->eps[i];
		if (sep->kind == SIPC__SVC_DGRAM)
			continue;
		sipc_endpoint_close(sep->ep);
		sep->ep = NULL;
		sep->fd = -1;
	}
	sipc__serve_log(srv, 1,
			"reload: the new configuration accepts; this process has stopped accepting "
			"and lets its %ld connection(s) end",
			__atomic_load_n(&srv->open_conns, __ATOMIC_RELAXED));
}

int sipc__server_run(struct sipc__server *srv)
{
	/* --inetd on a connection: one solo worker serves it (inetd.c); on a
	 * datagram socket the model runs as for any datagram endpoint. */
	if (srv->cfg->inetd && srv->neps == 1 && srv->eps[0].kind != SIPC__SVC_DGRAM)
		return sipc__inetd_serve(srv);
	return srv->ops->run(srv);
}

int sipc__server_run_workers(struct sipc__server *srv)
{
	int err, rc = 0;

	/* Signals are blocked in every thread (workers inherit the mask) and
	 * read from the signalfd by the control loop alone. */
	if (sipc__server_signalfd(srv, false) < 0)
		return 1;
	err = sipc__loop_new(&srv->ctl, on_ctl_wake, srv);
	if (err < 0) {
		sipc__serve_log(srv, 0, "serve: event loop: %s", sipc_strerror(err));
		return 1;
	}
	sipc__io_init(&srv->sig_io, srv->sigfd, on_signal, srv);
	err = sipc__io_start(srv->ctl, &srv->sig_io, SIPC_LOOP_IN);
	if (err < 0) {
		sipc__serve_log(srv, 0, "serve: event loop: %s", sipc_strerror(err));
		return 1;
	}
	srv->start_ms = sipc__loop_clock_ms();
	for (int i = 0; i < srv->nworkers; i++) {
		err = sipc__worker_start(&srv->workers[i]);
		if (err < 0) {
			sipc__serve_log(srv, 0, "serve: worker %d: %s", i, sipc_strerror(err));
			rc = 1;
			drain_all(srv, 2);
			break;
		}
	}
	if (rc == 0)
		sipc__server_started(srv, srv->ctl);
	/* The control loop ends when every started worker has finished. */
	on_ctl_wake(srv->ctl, srv);
	err = sipc__loop_run(srv->ctl);
	if (err < 0 && rc == 0) {
		sipc__serve_log(srv, 0, "serve: event loop: %s", sipc_strerror(err));
		drain_all(srv, 2);
		rc = 1;
	}
	for (int i = 0; i < srv->nworkers; i++)
		if (srv->workers[i].started)
			pthread_join(srv->workers[i].thread, NULL);
	sipc__server_stopped(srv);
	sipc__io_stop(srv->ctl, &srv->sig_io);
	/* The signals stay blocked: unblocking now would deliver one that came
	 * during the drain and kill the process instead of exiting 0. */
	return rc;
}

/* ---- per-endpoint accessors of service.h ---- */

void sipc__svc_ep_set_state(struct sipc_srv_endpoint *ep, void *state)
{
	ep->svc_state = state;
}

void *sipc__svc_ep_state(const struct sipc_srv_endpoint *ep)
{
	return ep->svc_state;
}

const char *sipc__svc_ep_url(const struct sipc_srv_endpoint *ep)
{
	return ep->url;
}

sipc_scheme sipc__svc_ep_scheme(const struct sipc_srv_endpoint *ep)
{
	return ep->scheme;
}

size_t sipc__svc_ep_max_msg(const struct sipc_srv_endpoint *ep)
{
	return ep->line->conf->max_msg;
}

int sipc__svc_ep_nworkers(const struct sipc_srv_endpoint *ep)
{
	return ep->srv->nworkers;
}

const struct sipc_serve_config *sipc__svc_ep_config(const struct sipc_srv_endpoint *ep)
{
	return ep->srv->cfg;
}

const struct sipc_svc_conf *sipc__svc_ep_conf(const struct sipc_srv_endpoint *ep)
{
	return ep->line->conf;
}

int sipc__svc_ep_local(const struct sipc_srv_endpoint *ep, sipc_addr *local)
{
	return sipc_endpoint_local(ep->ep, local);
}

void sipc__svc_ep_set_own_only(struct sipc_srv_endpoint *ep, bool own_only)
{
	ep->own_only = own_only;
}

int sipc__svc_ep_fd(const struct sipc_srv_endpoint *ep)
{
	return ep->fd;
}

void sipc__svc_log(const struct sipc_srv_endpoint *ep, int level, const char *fmt, ...)
{
	char line[900];
	va_list ap;

	if (level > 0 && ep->srv->cfg->verbosity < level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sipc__serve_log(ep->srv, level, "%s", line);
}

void sipc__svc_ep_count(struct sipc_srv_endpoint *ep, int worker, sipc_loop *loop,
			enum sipc__svc_counter what, uint64_t n)
{
	struct sipc__server *srv = ep->srv;
	struct sipc_srv_stats *st;

	/* Counters have one writer each: the worker that owns them, and only
	 * from its own loop (a service's timer in another loop counts nowhere). */
	if (worker < 0 || worker >= srv->nworkers || srv->workers[worker].loop != loop)
		return;
	st = &srv->workers[worker].stats[ep->index];
	switch (what) {
	case SIPC__COUNT_DROPPED:
		SIPC__STAT_ADD(st->dropped, n);
		break;
	case SIPC__COUNT_DGRAMS_OUT:
		SIPC__STAT_ADD(st->dgrams_out, n);
		break;
	case SIPC__COUNT_BYTES_OUT:
		SIPC__STAT_ADD(st->bytes_out, n);
		break;
	}
}
