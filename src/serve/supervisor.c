/*
 * supervisor.c - the process `sockipc serve` runs as (supervisor.h).  It
 * is single-threaded, so fork() copies no lock held by another thread, and
 * it waits in one poll(2) on a signalfd, the pipe of each starting
 * generation and the --handover socket.  It holds one set of bound
 * sockets per configuration (a reload's next set shares the unchanged
 * ones), forks a generation per set, prints the `listening` lines once a
 * generation accepts, and retires the older generations then.  A
 * generation never outlives it (PR_SET_PDEATHSIG).  A generation is
 * given its set's sockets as the pool of sockets passed in (inherit.h),
 * named by each line's URL as written, and reports over a seqpacket
 * socket: "A" once it accepts, then its STATUS= lines (ready.c).
 */
#include "serve/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "serve/handover.h"
#include "serve/notify.h"
#include "serve/privdrop.h"
#include "serve/server.h"
#include "serve/service.h"

/* One configuration and its bound sockets: EPS[i] serves line i; FRESH[i]
 * when this set bound it (not kept from the set before). */
struct set {
	struct sipc_serve_config *cfg;
	sipc_endpoint **eps;
	bool *fresh;
};

struct gen {
	pid_t pid;
	int ready; /* read end of its pipe until it accepts or ends */
	bool accepting;
	bool ended;
	int status; /* exit status once ended */
};

struct sup {
	const struct sipc__supervisor_opts *o;
	pid_t self;
	int sigfd;
	struct set cur, next; /* next: a reload waiting for its generation */
	bool have_next;
	pid_t cur_pid, next_pid;
	struct gen *gens;
	size_t ngens, gcap;
	int stops;          /* SIGINT/SIGTERM seen */
	bool reload_wanted; /* a SIGHUP during a reload: another after it */
	struct sipc__handover *ho;
	struct sipc__inherit *act; /* socket activation's, until the first set took them */
	bool dropped;              /* privileges were dropped (privdrop.h) */
	int64_t watchdog_due;      /* CLOCK_MONOTONIC ms of the next WATCHDOG=1, 0: none */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_free(struct set *st, bool close_all)
{
	for (size_t i = 0; st->eps != NULL && i < st->cfg->nlines; i++)
		if (close_all || st->fresh[i])
			sipc_endpoint_close(st->eps[i]);
	free(st->eps);
	free(st->fresh);
	if (st->cfg != NULL)
		sipc__serve_config_free(st->cfg);
	free(st->cfg);
	memset(st, 0, sizeof(*st));
}

static void warn_unclaimed(void *arg, const char *what)
{
	(void)arg;
	sipc__serve_log(NULL, 0, "serve: %s: passed in, but no service line takes it: closed",
			what);
}

static struct gen *gen_of(struct sup *s, pid_t pid)
{
	for (size_t i = 0; i < s->ngens; i++)
		if (s->gens[i].pid == pid)
			return &s->gens[i];
	return NULL;
}

/* Line I's real local address (the real port where 0 was asked), or
 * its URL as written when the socket cannot say. */
static void real_url(const struct set *st, size_t i, char *url, size_t len)
{
	sipc_addr local;

	if (sipc_endpoint_local(st->eps[i], &local) < 0 || sipc_addr_format(&local, url, len) < 0)
		snprintf(url, len, "%s", st->cfg->lines[i].argv[0]);
}

/* The `listening URL SERVICE [ARGS]` line of line I of ST. */
static void print_listening(const struct set *st, size_t i)
{
	const struct sipc_serve_line *line = &st->cfg->lines[i];
	const struct sipc_service *svc = sipc__service_find(line->argv[1]);
	char url[SIPC_URL_MAX], shown[256];

	real_url(st, i, url, sizeof(url));
	printf("listening %s %s", url, svc != NULL ? svc->name : line->argv[1]);
	for (int k = 2; k < line->argc; k++)
		printf(" %s", sipc__svc_arg_shown(line->argv[k], shown, sizeof(shown)));
	printf("\n");
}

/*
 * Line I's socket passed in by socket activation, as its endpoint: 0;
 * -ENOENT when none was (the caller binds); or the exit status with WHY:
 * 2, a socket named for the line that cannot serve it; 1, one the library
 * refuses to wrap.  What was given is never bound.
 */
static int take_passed(struct sup *s, struct set *st, size_t i, char *why, size_t whylen)
{
	const struct sipc_serve_line *line = &st->cfg->lines[i];
	char detail[SIPC_WHY_MAX] = "";
	int fd, err;

	err = sipc__inherit_take(s->act, line, &fd, detail, sizeof(detail));
	if (err == -ENOENT)
		return err;
	if (err < 0) {
		snprintf(why, whylen, "%s", detail);
		return 2;
	}
	if (sipc__server_wrap_fd(st->cfg, line, fd, &st->eps[i], why, whylen) < 0) {
		close(fd);
		return 1;
	}
	if (st->cfg->verbosity >= 1) {
		const struct sipc_service *svc = sipc__service_find(line->argv[1]);
		char url[SIPC_URL_MAX];
		real_url(st, i, url, sizeof(url));
		sipc__serve_log(NULL, 0, "serve: %s %s: the socket passed in as descriptor %d", url,
				svc != NULL ? svc->name : line->argv[1], fd);
	}
	return 0;
}

/*
 * Fills ST's sockets for its configuration: the socket of an unchanged
 * endpoint of OLD (same URL as written, so the same kind; each old socket
 * serves one new line), else one passed in (socket activation), one
 * handed over (--handover), or a new bind.  0, or the exit status (1, or
 * 2 for a passed socket of the wrong kind) with WHY and nothing new left
 * open.
 */
static int set_bind(struct sup *s, struct set *st, const struct set *old, char *why, size_t whylen)
{
	size_t n = st->cfg->nlines, nold = old != NULL && old->cfg != NULL ? old->cfg->nlines : 0;
	bool *taken = calloc(nold + 1, sizeof(*taken));

	st->eps = calloc(n, sizeof(*st->eps));
	st->fresh = calloc(n, sizeof(*st->fresh));
	if (taken == NULL || st->eps == NULL || st->fresh == NULL) {
		snprintf(why, whylen, "out of memory");
		free(taken);
		free(st->eps);
		free(st->fresh);
		st->eps = NULL;
		st->fresh = NULL;
		return -1;
	}
	/* Same URL and service first, so that of two port-0 lines the echo
	 * keeps the echo's port; then same URL, another service. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			const struct sipc_serve_line *line = &st->cfg->lines[i];
			for (size_t j = 0; st->eps[i] == NULL && j < nold; j++) {
				const struct sipc_serve_line *was = &old->cfg->lines[j];
				if (taken[j] || strcmp(was->argv[0], line->argv[0]) != 0 ||
				    (pass == 0 && strcmp(was->argv[1], line->argv[1]) != 0))
					continue;
				taken[j] = true;
				st->eps[i] = old->eps[j];
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct sipc_serve_line *line = &st->cfg->lines[i];
		int rc = 0;
		if (st->eps[i] != NULL)
			continue;
		st->fresh[i] = true;
		rc = take_passed(s, st, i, why, whylen);
		if (rc == 0)
			continue;
		if (rc == -ENOENT && s->ho != NULL &&
		    sipc__handover_take(s->ho, line->argv[0], st->cfg, &st->eps[i]) == 0)
			continue;
		if (rc == -ENOENT &&
		    sipc__server_listen(st->cfg, line, &st->eps[i], why, whylen) < 0)
			rc = 1;
		if (rc > 0) {
			st->fresh[i] = false;
			st->eps[i] = NULL;
			/* Closed here: set_free must not close them again. */
			for (size_t k = 0; k < n; k++)
				if (st->fresh[k]) {
					sipc_endpoint_close(st->eps[k]);
					st->eps[k] = NULL;
				}
			memset(st->fresh, 0, n * sizeof(*st->fresh));
			free(taken);
			return rc;
		}
	}
	free(taken);
	return 0;
}

/* In the new generation: never returns. */
static void generation(struct sup *s, struct set *st, int ready)
{
	struct sipc__serve_gen g = {ready, s->self};
	struct sipc__server *srv = NULL;
	struct sipc__inherit *pool = NULL;
	size_t n = st->cfg->nlines;
	char why[1024];
	int rc;

	/* SIGKILL when the supervisor dies; it may have died already. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != s->self ||
	    sipc__inherit_new(&pool) < 0)
		_exit(1);
	/* Nothing of the supervisor stays open here but this set's sockets:
	 * a removed listener kept open by a generation would queue
	 * connections nobody accepts instead of refusing them. */
	close(s->sigfd);
	for (size_t i = 0; i < s->ngens; i++)
		if (s->gens[i].ready >= 0)
			close(s->gens[i].ready);
	sipc__handover_close_fds(s->ho);
	const struct set *sets[2] = {&s->cur, &s->next};
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0;
		     sets[k] != st && sets[k]->cfg != NULL && i < sets[k]->cfg->nlines; i++) {
			int fd = sipc_endpoint_fd(sets[k]->eps[i]);
			bool mine = false;
			for (size_t m = 0; m < n && !mine; m++)
				mine = sipc_endpoint_fd(st->eps[m]) == fd;
			if (!mine)
				close(fd);
		}
	}
	/* The server adopts them as it adopts sockets passed in, one way for
	 * both; each line's is named by its URL as written, in line order. */
	for (size_t i = 0; i < n; i++)
		if (sipc__inherit_add(pool, sipc_endpoint_fd(st->eps[i]),
				      st->cfg->lines[i].argv[0]) < 0)
			_exit(1);
	st->cfg->inherit = pool;
	st->cfg->gen = &g;
	rc = sipc__server_new(st->cfg, &srv, why, sizeof(why));
	if (rc != 0)
		sipc__serve_log(NULL, 0, "serve: %s", why);
	else
		rc = sipc__server_run(srv);
	sipc__server_free(srv);
	sipc__inherit_free(pool);
	exit(rc);
}

/* Forks the generation of ST: its pid, or -1 after logging why. */
static pid_t spawn(struct sup *s, struct set *st)
{
	int p[2];
	pid_t pid;

	if (s->ngens == s->gcap) {
		size_t cap = s->gcap ? s->gcap * 2 : 4;
		struct gen *v = realloc(s->gens, cap * sizeof(*v));
		if (v == NULL) {
			sipc__serve_log(NULL, 0, "serve: out of memory");
			return -1;
		}
		s->gens = v;
		s->gcap = cap;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) < 0) {
		sipc__serve_log(NULL, 0, "serve: socketpair: %s", strerror(errno));
		return -1;
	}
	/* What stdio holds would be written twice, by both processes. */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		sipc__serve_log(NULL, 0, "serve: fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		generation(s, st, p[1]);
	}
	close(p[1]);
	s->gens[s->ngens++] = (struct gen){pid, p[0], false, false, 0};
	return pid;
}

/* An order to a generation (config.h: SIPC__SERVE_ORDER_SIG). */
static void order(pid_t pid, int sig)
{
	union sigval v = {.sival_int = sig};

	if (sig == SIGKILL)
		kill(pid, sig);
	else
		sigqueue(pid, SIPC__SERVE_ORDER_SIG, v);
}

static void forward(struct sup *s, int sig)
{
	for (size_t i = 0; i < s->ngens; i++)
		if (!s->gens[i].ended)
			order(s->gens[i].pid, sig);
}

static size_t count_fresh(const struct set *st, bool want_fresh)
{
	size_t n = 0;

	for (size_t i = 0; i < st->cfg->nlines; i++)
		n += st->fresh[i] == want_fresh;
	return n;
}

/* The reload's generation accepts: it becomes the current one. */
static void commit(struct sup *s)
{
	char added[512] = "", removed[512] = "";
	size_t nremoved = 0;

	for (size_t i = 0; i < s->next.cfg->nlines; i++) {
		if (!s->next.fresh[i])
			continue;
		print_listening(&s->next, i);
		snprintf(added + strlen(added), sizeof(added) - strlen(added), "%s%s %s",
			 added[0] ? ", " : "", s->next.cfg->lines[i].argv[0],
			 s->next.cfg->lines[i].argv[1]);
	}
	fflush(stdout);
	/* The old sockets no new line kept are closed; the kept ones moved. */
	for (size_t j = 0; j < s->cur.cfg->nlines; j++) {
		bool kept = false;
		for (size_t i = 0; i < s->next.cfg->nlines && !kept; i++)
			kept = s->next.eps[i] == s->cur.eps[j];
		if (kept)
			continue;
		nremoved++;
		snprintf(removed + strlen(removed), sizeof(removed) - strlen(removed), "%s%s %s",
			 removed[0] ? ", " : "", s->cur.cfg->lines[j].argv[0],
			 s->cur.cfg->lines[j].argv[1]);
		sipc_endpoint_close(s->cur.eps[j]);
	}
	for (size_t i = 0; i < s->ngens; i++) {
		struct gen *g = &s->gens[i];
		if (g->pid == s->next_pid || g->ended)
			continue;
		order(g->pid, SIGHUP);
		/* Its STATUS= is no longer wanted, and a retired generation
		 * may run on for long: its socket leaves the poll set. */
		if (g->ready >= 0 && g->accepting) {
			close(g->ready);
			g->ready = -1;
		}
	}
	sipc__serve_log(NULL, 0,
			"reload: %zu service line(s) now; kept %zu endpoint(s); added %s; removed "
			"%s",
			s->next.cfg->nlines, count_fresh(&s->next, false),
			added[0] ? added : "none", nremoved > 0 ? removed : "none");
	memset(s->cur.fresh, 0, s->cur.cfg->nlines * sizeof(*s->cur.fresh));
	set_free(&s->cur, false);
	s->cur = s->next;
	s->cur_pid = s->next_pid;
	memset(&s->next, 0, sizeof(s->next));
	s->have_next = false;
	sipc__notify("READY=1");
}

/* The manager heard RELOADING=1: READY=1 tells it the reload is over,
 * whichever configuration runs now (sd_notify(3)). */
static void rollback(struct sup *s, const char *why)
{
	sipc__serve_log(NULL, 0, "reload: %s: kept the running configuration", why);
	set_free(&s->next, false);
	s->have_next = false;
	sipc__notify("READY=1");
}

static void notify_reloading(void)
{
	char text[64];
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(text, sizeof(text), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL +
			 (unsigned long long)ts.tv_nsec / 1000);
	sipc__notify(text);
}

/* What a reload could not do after the privilege drop, said plainly. */
static void after_drop(const struct sup *s, char *why, size_t whylen)
{
	size_t len = strlen(why);

	if (s->dropped && len < whylen)
		snprintf(why + len, whylen - len,
			 " (serve runs as uid %ld since it dropped its privileges: a privileged "
			 "port or a file only root may read needs a restart)",
			 (long)geteuid());
}

static void reload(struct sup *s)
{
	struct sipc_serve_config *cfg;
	char why[1024] = "";

	if (s->stops > 0 || sipc__handover_given(s->ho))
		return;
	if (s->have_next) {
		s->reload_wanted = true;
		return;
	}
	notify_reloading();
	cfg = malloc(sizeof(*cfg));
	if (cfg == NULL) {
		sipc__serve_log(NULL, 0, "reload: out of memory: kept the running configuration");
		sipc__notify("READY=1");
		return;
	}
	if (s->o->load(cfg, s->o->load_arg, why, sizeof(why)) != 0) {
		free(cfg);
		sipc__serve_log(NULL, 0, "reload: %s: kept the running configuration",
				why[0] ? why : "the configuration has errors");
		sipc__notify("READY=1");
		return;
	}
	s->next.cfg = cfg;
	s->have_next = true;
	if (sipc__server_check(cfg, why, sizeof(why)) < 0 ||
	    sipc__privdrop_check(cfg, why, sizeof(why)) < 0) {
		rollback(s, why);
		return;
	}
	if (set_bind(s, &s->next, &s->cur, why, sizeof(why)) != 0 ||
	    sipc__banner_preload(cfg, why, sizeof(why)) < 0) {
		after_drop(s, why, sizeof(why));
		rollback(s, why);
		return;
	}
	s->next_pid = spawn(s, &s->next);
	if (s->next_pid < 0)
		rollback(s, "the new generation did not start");
}

static void describe(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
}

static int exit_status(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static void reap(struct sup *s)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct gen *g = gen_of(s, pid);
		char how[128];
		if (g == NULL)
			continue;
		g->ended = true;
		g->status = status;
		describe(status, how, sizeof(how));
		if (s->have_next && pid == s->next_pid) {
			rollback(s, "the new configuration's process ended before it accepted");
		} else if (pid == s->cur_pid && s->stops == 0 && !sipc__handover_given(s->ho)) {
			/* The serving process is gone: nothing serves the
			 * endpoints any more, so the supervisor ends too.  One
			 * that never accepted said why itself. */
			if (g->accepting)
				sipc__serve_log(NULL, 0,
						"serve: the serving process ended (%s); stopping",
						how);
			s->stops = 1;
			sipc__notify("STOPPING=1");
			forward(s, SIGTERM);
		} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			sipc__serve_log(NULL, 0, "serve: serving process %ld: %s", (long)pid, how);
		}
	}
	/* Only the current generation's status is wanted once it ended. */
	for (size_t i = 0; i < s->ngens;) {
		if (s->gens[i].ended && s->gens[i].ready < 0 && s->gens[i].pid != s->cur_pid)
			s->gens[i] = s->gens[--s->ngens];
		else
			i++;
	}
}

/* A message of a generation: "A" once it accepts, then STATUS= lines
 * passed on while it is the current one; or the end of its socket. */
static void on_ready(struct sup *s, struct gen *g)
{
	char b[256];
	ssize_t n = recv(g->ready, b, sizeof(b) - 1, MSG_DONTWAIT);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(g->ready);
		g->ready = -1;
		return; /* ended (before it accepted: reap() says so) */
	}
	b[n] = '\0';
	if (g->accepting) {
		if (g->pid == s->cur_pid && !s->have_next && s->stops == 0 &&
		    strncmp(b, "STATUS=", 7) == 0 && strlen(b) == (size_t)n)
			sipc__notify(b);
		return;
	}
	if (n != 1 || b[0] != 'A')
		return;
	g->accepting = true;
	if (g->pid == s->cur_pid) {
		for (size_t i = 0; i < s->cur.cfg->nlines; i++)
			print_listening(&s->cur, i);
		fflush(stdout);
		sipc__notify("READY=1");
		/* Fed from READY=1 on, as the manager counts. */
		if (sipc__notify_watchdog_ms() > 0)
			s->watchdog_due = now_ms();
		sipc__handover_accepting(s->ho);
	} else if (s->have_next && g->pid == s->next_pid) {
		commit(s);
		if (s->reload_wanted) {
			s->reload_wanted = false;
			reload(s);
		}
	}
}

static void on_signal(struct sup *s)
{
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int sig = (int)si.ssi_signo;
		switch (sig) {
		case SIGCHLD:
			reap(s);
			break;
		case SIGHUP:
			reload(s);
			break;
		case SIGUSR1:
			forward(s, sig);
			break;
		default:
			if (s->stops++ == 0)
				sipc__notify("STOPPING=1");
			forward(s, sig);
			break;
		}
	}
}

static bool all_ended(const struct sup *s)
{
	for (size_t i = 0; i < s->ngens; i++)
		if (!s->gens[i].ended)
			return false;
	return true;
}

static int run(struct sup *s)
{
	for (;;) {
		/* Generations by index: a reload in on_ready may move the array. */
		struct pollfd pfd[66];
		pid_t who[66];
		nfds_t n = 0;

		reap(s);
		if (all_ended(s) && (s->stops > 0 || sipc__handover_given(s->ho)))
			break;
		pfd[n++] = (struct pollfd){s->sigfd, POLLIN, 0};
		who[0] = 0;
		for (size_t i = 0; i < s->ngens && n < 64; i++) {
			if (s->gens[i].ready < 0)
				continue;
			who[n] = s->gens[i].pid;
			pfd[n++] = (struct pollfd){s->gens[i].ready, POLLIN, 0};
		}
		int hfd = sipc__handover_fd(s->ho);
		if (hfd >= 0) {
			who[n] = 0;
			pfd[n++] = (struct pollfd){hfd, POLLIN, 0};
		}
		int timeout = -1;
		if (s->watchdog_due > 0) {
			int64_t now = now_ms();
			if (now >= s->watchdog_due) {
				sipc__notify("WATCHDOG=1");
				s->watchdog_due = now + sipc__notify_watchdog_ms();
			}
			timeout = (int)(s->watchdog_due - now);
		}
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			sipc__serve_log(NULL, 0, "serve: poll: %s", strerror(errno));
			s->stops = 2;
			forward(s, SIGKILL);
			continue;
		}
		for (nfds_t i = 1; i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (who[i] != 0)
				on_ready(s, gen_of(s, who[i]));
			else if (sipc__handover_serve(s->ho, s->cur.cfg, s->cur.eps,
						      s->cur.cfg->nlines))
				forward(s, SIGHUP); /* retire: the new serve accepts */
		}
		if (pfd[0].revents != 0)
			on_signal(s);
	}
	struct gen *g = gen_of(s, s->cur_pid);
	return g != NULL ? exit_status(g->status) : 1;
}

int sipc__supervise(struct sipc_serve_config *cfg, const struct sipc__supervisor_opts *o)
{
	struct sup s = {0};
	char why[1024];
	sigset_t set;
	int rc = 1;

	s.o = o;
	s.self = getpid();
	s.sigfd = -1;
	s.cur.cfg = cfg;
	s.act = o->inherit;
	if (sipc__server_check(cfg, why, sizeof(why)) < 0 ||
	    sipc__privdrop_check(cfg, why, sizeof(why)) < 0) {
		sipc__serve_log(NULL, 0, "serve: %s", why);
		sipc__inherit_free(s.act);
		set_free(&s.cur, false);
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	/* The orders are blocked here too, so that one sent to a generation
	 * before it opens its signalfd waits there instead of killing it. */
	sigaddset(&set, SIPC__SERVE_ORDER_SIG);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigdelset(&set, SIPC__SERVE_ORDER_SIG);
	signal(SIGPIPE, SIG_IGN);
	s.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s.sigfd < 0) {
		sipc__serve_log(NULL, 0, "serve: signalfd: %s", strerror(errno));
		sipc__inherit_free(s.act);
		set_free(&s.cur, false);
		return 1;
	}
	if (o->handover != NULL && sipc__handover_open(&s.ho, o->handover, why, sizeof(why)) < 0) {
		sipc__serve_log(NULL, 0, "serve: --handover %s: %s", o->handover, why);
		goto out;
	}
	rc = set_bind(&s, &s.cur, NULL, why, sizeof(why));
	if (rc == 0 &&
	    sipc__inherit_check_rest(s.act, cfg->lines, cfg->nlines, why, sizeof(why)) < 0)
		rc = 2;
	if (rc != 0) {
		sipc__serve_log(NULL, 0, "serve: %s", why);
		goto out;
	}
	/* What was passed in or handed over and not taken is not ours to
	 * keep open; a reload binds anew. */
	sipc__inherit_close_rest(s.act, warn_unclaimed, NULL);
	sipc__inherit_free(s.act);
	s.act = NULL;
	sipc__handover_drop_rest(s.ho);
	/* Banner files are read now, before the drop (a file root alone may
	 * read); then nothing here or in a generation is root any more. */
	bool root = geteuid() == 0;
	rc = sipc__banner_preload(cfg, why, sizeof(why)) < 0 ? 2 : 0;
	if (rc == 0)
		rc = sipc__privdrop_apply(cfg, why, sizeof(why));
	if (rc != 0) {
		sipc__serve_log(NULL, 0, "serve: %s", why);
		goto out;
	}
	s.dropped = root && geteuid() != 0;
	rc = 1;
	s.cur_pid = spawn(&s, &s.cur);
	if (s.cur_pid < 0)
		goto out;
	rc = run(&s);
out:
	/* The next set shares the sockets it kept with the current one. */
	set_free(&s.next, false);
	set_free(&s.cur, true);
	sipc__inherit_free(s.act);
	sipc__handover_free(s.ho);
	free(s.gens);
	close(s.sigfd);
	return rc;
}
