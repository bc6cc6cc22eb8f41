/*
 * server.h - the inside of `sockipc serve`, whatever the model.
 *
 *   struct sipc__server        one per process: the bound endpoints, the
 *                             workers, the control loop in the main thread
 *                             (signalfd: SIGINT/SIGTERM drain, SIGUSR1
 *                             counters) and the global open-connection count
 *                             that --max-conns checks.
 *   struct sipc_srv_endpoint  one per service line: the listening or bound
 *                             datagram socket, its service and arguments.
 *   struct sipc_worker        one per worker thread: its own sipc_loop, a
 *                             scratch read buffer, its connections, a spare
 *                             descriptor for EMFILE, and its own counters
 *                             (one writer each: no lock, no atomic RMW).
 *
 * The concurrency model (--model) is reached through srv->ops alone
 * (model.h); nothing here names a particular model.
 *
 * Sharing listeners: every worker adds every listening descriptor to its
 * own loop with SIPC_LOOP_EXCLUSIVE, so a new connection wakes one worker,
 * not all.  One socket per endpoint works the same for tcp, unix and
 * unixpacket and keeps port 0 meaning one port; SO_REUSEPORT would need N
 * sockets bound to one port (nothing for unix paths) and drops the queued
 * connections of a socket that closes.
 * On io_uring, plain stream listeners are accepted by each worker's ring
 * instead (worker.c ring_path): a multishot accept with one worker, one
 * accept request per connection with several, so that they take turns.
 *
 * A datagram endpoint is read by one owner worker only (sep->owner,
 * spread over the workers endpoint by endpoint).  Two workers reading one
 * socket reorder a peer's datagrams and give `forward` two associations
 * for one client; SO_REUSEPORT per worker would keep a udp peer on one
 * socket but has no unixgram counterpart, and datagram services cost
 * little per packet.  One owner is correct for every kind and model.
 */
#ifndef SIPC_SERVE_SERVER_H
#define SIPC_SERVE_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop/loop.h"
#include "serve/config.h"
#include "serve/service.h"
#include "sockipc.h"

/* Output buffer bound of a stream connection (echo's throttle point). */
#define SIPC_SERVE_OUT_MAX ((size_t)256 * 1024)
/* Read size per recv on streams. */
#define SIPC_SERVE_READ_CHUNK ((size_t)64 * 1024)
/* How long an ended connection waits for the peer's end before closing. */
#define SIPC_SERVE_LINGER_MS 2000
/* How long a listener rests after EMFILE/ENFILE or another accept error. */
#define SIPC_SERVE_ACCEPT_BACKOFF_MS 100

/* Counters of one endpoint in one worker.  Written only by that worker
 * with relaxed atomic stores, read by the main thread (SIGUSR1). */
struct sipc_srv_stats {
	uint64_t open;    /* connections open now */
	uint64_t total;   /* connections accepted and served */
	uint64_t refused; /* closed at once: --allow, --max-conns, EMFILE */
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t dgrams_in;
	uint64_t dgrams_out;
	uint64_t dropped; /* datagrams: loop guard, --allow, too large, reply
			     not sent; seqpacket: messages too large */
};

#define SIPC__STAT_ADD(field, n)                                                                   \
	__atomic_store_n(&(field), __atomic_load_n(&(field), __ATOMIC_RELAXED) + (uint64_t)(n),    \
			 __ATOMIC_RELAXED)
#define SIPC__STAT_GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

struct sipc__server;
struct sipc__model_ops;
struct sipc__limits;
struct sipc__ticket;
struct sipc__dgram_batch;

struct sipc_srv_endpoint {
	size_t index;
	struct sipc__server *srv;
	const struct sipc_serve_line *line;
	const struct sipc_service *svc;
	sipc_endpoint *ep;
	int fd;
	sipc_scheme scheme;
	unsigned kind;          /* SIPC__SVC_STREAM, _SEQPACKET or _DGRAM */
	char url[SIPC_URL_MAX]; /* the real local address */
	int argc;               /* the service's arguments (after SERVICE) */
	char **argv;
	void *svc_state;
	bool set_up;                 /* setup succeeded: teardown is owed */
	bool own_only;               /* unix: admit only the server's own uid (acl.h) */
	int owner;                   /* datagram endpoints: the id of the one worker reading it */
	int adopted;                 /* the descriptor it was passed in as (inherit.h); -1: bound */
	struct sipc__limits *limits; /* the service's (limits.h), shared by its endpoints */
	char *banner;                /* stream: `banner = FILE`'s bytes, read at start (banner.c) */
	size_t banner_len;
};

/* What one worker watches of one endpoint. */
struct sipc_worker_ep {
	struct sipc_worker *w;
	struct sipc_srv_endpoint *sep;
	sipc_loop_io io;
	sipc_loop_timer backoff; /* EMFILE: rest, then watch again */
	/* The loop accepts for it (worker.c: io_uring's multishot accept)
	 * rather than telling its readiness. */
	bool ring;
	int held_fd; /* ring: a connection taken as a cps pause began; -1 */
	bool ending; /* ring: sipc__io_accept_end asked, its end not yet told */
};

struct sipc_conn;
struct sipc__proxyin;

/*
 * Who a connection is with, as the service, the logs and the limits see
 * it: PEER and LOCAL, the connection's own addresses, or, after a PROXY
 * header from a trusted upstream (--accept-proxy, proxyin.c), the ones the
 * header names; then VIA is the upstream's address (via.len 0: none).
 * LOCAL with ss_family AF_UNSPEC: the connection's own, asked of it.
 */
struct sipc__conn_who {
	sipc_addr peer;
	sipc_addr local;
	sipc_addr via;
};

struct sipc_worker {
	struct sipc__server *srv;
	int id;
	sipc_loop *loop;
	pthread_t thread;
	bool started;
	uint8_t *scratch;
	size_t scratch_cap;
	struct sipc_srv_stats *stats; /* [srv->neps] */
	struct sipc_worker_ep *weps;  /* [srv->neps] */
	struct sipc_conn *conns;      /* open connections, doubly linked */
	size_t nconns;
	int spare_fd;      /* /dev/null, given up to accept-and-close on EMFILE */
	bool emfile_noted; /* logged once per burst */
	int drain_req;     /* atomic: 1 drain, 2 close everything now */
	bool draining;
	int retire_req; /* atomic: 1 stop accepting, let connections end */
	bool retiring;
	sipc_loop_timer drain_timer;
	int done;                     /* atomic: the thread has finished */
	uint64_t rng;                 /* xorshift state for services (chargen over UDP) */
	struct sipc_droplog *droplog; /* datagram drop lines; allocated at the first */
	/* --model thread / fork: this worker serves one connection in its own
	 * thread or child process, accepts nothing, and its loop ends when
	 * that connection has gone.  Its id is >= srv->nworkers (thread) or 0
	 * (fork child), so per-worker shards must not assume id < nworkers
	 * under --model thread. */
	bool solo;
	long handshakes;               /* TLS connections of this worker in their handshake */
	struct sipc__proxyin *proxyin; /* connections waiting for their PROXY header */
	size_t nproxyin;
	/* dgram.c: the receive batch and reply queue of the datagram
	 * endpoints this worker owns (sipc__dgram_prepare). */
	struct sipc__dgram_batch *dgbatch;
	/* worker.c: listeners whose ring accept is ending (drain, retire):
	 * the loop runs until what the ring took is handed over. */
	int nending;
};

struct sipc__server {
	const struct sipc_serve_config *cfg;
	struct sipc_srv_endpoint *eps;
	size_t neps;
	struct sipc_worker *workers;
	int nworkers;
	long open_conns; /* atomic: all workers, for --max-conns */
	sipc_loop *ctl;  /* main thread: signals, drain */
	sipc_loop_io sig_io;
	int sigfd;
	int signals_seen;
	int64_t start_ms;
	struct sipc_guard_self self;       /* own udp addresses: their datagrams are dropped */
	const struct sipc__model_ops *ops; /* --model (model.h), set once by sipc__server_new */
	void *model;                       /* the model's own state, NULL if none */
	long handshakes; /* atomic: --model thread, connection threads in their handshake */
	bool retiring;   /* a newer generation accepts (sipc__server_retire) */
	int retired;     /* atomic: workers that have stopped watching the listeners */
	struct {         /* ready.c: readiness, status, watchdog on the control loop */
		sipc_loop *loop;
		sipc_loop_timer tick;
		uint64_t last_open, last_total;
		uint64_t idle_dgrams; /* --inetd datagram: the count last seen */
		int64_t idle_since;
		bool stopping;
	} ready;
	struct sipc__limits **limits; /* one per service (distinct conf), owned */
	size_t nlimits;
};

/* Checks every line (URL, service, arguments, kind, model): 0, or -1 with
 * WHY naming the line (a usage error, exit 2).  Binds nothing. */
int sipc__server_check(const struct sipc_serve_config *cfg, char *why, size_t whylen);
/* Binds LINE's URL for CFG (its --unix-mode, --trace, TLS config, the
 * service's max_msg): 0, or a negative code with WHY "listen URL: reason". */
int sipc__server_listen(const struct sipc_serve_config *cfg, const struct sipc_serve_line *line,
			sipc_endpoint **epp, char *why, size_t whylen);
/* The socket FD passed in for LINE, as its endpoint with the options
 * sipc__server_listen would give it: 0, or a negative code with WHY (FD
 * is left open then). */
int sipc__server_wrap_fd(const struct sipc_serve_config *cfg, const struct sipc_serve_line *line,
			 int fd, sipc_endpoint **epp, char *why, size_t whylen);
/* Checks, binds every endpoint and prepares the workers.  Returns 0, or
 * the exit status (2 usage, 1 runtime) with WHY set. */
int sipc__server_new(const struct sipc_serve_config *cfg, struct sipc__server **srvp, char *why,
		     size_t whylen);
/* Prints the `listening URL SERVICE` lines, runs until SIGINT/SIGTERM and
 * the drain end (through the model's run).  Returns the exit status. */
int sipc__server_run(struct sipc__server *srv);
/* The common run of the models whose workers are threads (event, thread):
 * the control loop of the main thread, the workers, the drain. */
int sipc__server_run_workers(struct sipc__server *srv);
void sipc__server_free(struct sipc__server *srv);
/* The SIGUSR1 report on stderr. */
void sipc__server_print_stats(struct sipc__server *srv);
/* The `listening URL SERVICE` lines on stdout, flushed. */
void sipc__server_print_listening(const struct sipc__server *srv);
/* Under a supervisor, every worker watches the endpoints: the message
 * that says this generation accepts (ready.c sends it in place of the
 * listening lines and READY=1). */
void sipc__server_ready(const struct sipc__server *srv);
/* SIGHUP from the supervisor: a newer generation accepts on the same
 * sockets; this one stops accepting and lets every open connection end,
 * with no deadline (a later SIGTERM still drains with one). */
void sipc__server_retire(struct sipc__server *srv);
/* Called by each worker once it stopped watching the endpoints on a
 * retire: the last one closes this process's copies of the listeners, so
 * a listener the supervisor closes (a removed service) refuses at once. */
void sipc__server_worker_retired(struct sipc__server *srv);
/* ready.c: every endpoint is bound and LOOP, the control loop, runs: the
 * `listening` lines, READY=1, and the periodic STATUS=, WATCHDOG=1 and
 * --inetd datagram idle end on LOOP. */
void sipc__server_started(struct sipc__server *srv, sipc_loop *loop);
/* The drain begins: STOPPING=1 (once). */
void sipc__server_stopping(struct sipc__server *srv);
/* Before LOOP goes: stops the periodic timer. */
void sipc__server_stopped(struct sipc__server *srv);
/* Adds the counters of S to TO (S read with relaxed atomic loads). */
void sipc__srv_stats_sum(struct sipc_srv_stats *to, const struct sipc_srv_stats *s);

/* worker.c */
int sipc__worker_init(struct sipc_worker *w, struct sipc__server *srv, int id);
void sipc__worker_fini(struct sipc_worker *w);
int sipc__worker_start(struct sipc_worker *w);
/* Watches every endpoint of the server in W's loop (no thread started). */
int sipc__worker_listen(struct sipc_worker *w);
/* From any thread: 1 drain, 2 close every connection now. */
void sipc__worker_request_drain(struct sipc_worker *w, int level);
/* From any thread: stop accepting, keep serving (sipc__server_retire). */
void sipc__worker_request_retire(struct sipc_worker *w);
/* Called by conn.c when a connection of W has gone. */
void sipc__worker_conn_gone(struct sipc_worker *w);
/* The admission of a connection's peer (--allow, the credentials, the TLS
 * handshake bound, the service's limits, --max-conns), then the model
 * serves it: called at accept, or once a PROXY header named the real peer
 * (proxyin.c).  It owns CONN from here on, served or closed. */
void sipc__worker_admit(struct sipc_worker_ep *we, sipc_endpoint *conn,
			const struct sipc__conn_who *who);
/* Closes CONN at once, counted, with the `refused` line naming PEER and
 * WHY (WHY must hold no raw peer bytes). */
void sipc__worker_refuse(struct sipc_worker_ep *we, sipc_endpoint *conn, const sipc_addr *peer,
			 const char *why);
/* A random number in [0, n) for services; per worker, not for secrets. */
uint32_t sipc__worker_random(struct sipc_worker *w, uint32_t n);

/* conn.c: serves an accepted connection (it owns EP from here on, the
 * slot already counted in srv->open_conns, and what T holds of the
 * service's limits, released when the connection ends; T may be NULL),
 * with the addresses of WHO (copied). */
void sipc__conn_new(struct sipc_worker *w, struct sipc_srv_endpoint *sep, sipc_endpoint *ep,
		    const struct sipc__conn_who *who, struct sipc__ticket *t);
/* The drain has begun: tells every connection's service (on_drain). */
void sipc__conn_drain_all(struct sipc_worker *w);
/* Closes every connection of W now (drain deadline, forced stop). */
void sipc__conn_close_all(struct sipc_worker *w, const char *why);
/* proxyin.c: --accept-proxy.  True when PEER of SEP is a trusted
 * upstream whose connections start with a PROXY header. */
bool sipc__proxyin_trusted(const struct sipc_srv_endpoint *sep, const sipc_addr *peer);
/* Reads CONN's PROXY header in WE's worker loop (bounded by
 * --handshake-timeout and SIPC__PROXYHDR_MAX bytes), then hands the
 * connection to sipc__worker_admit with the addresses it names; a bad,
 * truncated or missing header closes it with one `refused` line. */
void sipc__proxyin_start(struct sipc_worker_ep *we, sipc_endpoint *conn, const sipc_addr *via);
/* Closes every connection of W still waiting for its header. */
void sipc__proxyin_close_all(struct sipc_worker *w, const char *why);
/* In a forked connection process: closes its copies of the descriptors
 * of W's waiting connections (W is the parent's worker), nothing else. */
void sipc__proxyin_forget(struct sipc_worker *w);
/* dgram.c: the io callback of a datagram endpoint in a worker. */
void sipc__dgram_on_io(sipc_loop *loop, sipc_loop_io *io, uint32_t revents);
/* Sizes W's receive batch for SEP (its --max-msg) before W watches it:
 * 0 or -ENOMEM.  Freed by sipc__dgram_batch_free (NULL: nothing). */
int sipc__dgram_prepare(struct sipc_worker *w, const struct sipc_srv_endpoint *sep);
void sipc__dgram_batch_free(struct sipc__dgram_batch *b);

/* banner.c: reads the `banner` file of every stream endpoint that has one
 * (at most SIPC_SERVE_BANNER_MAX bytes).  0, or -1 with WHY. */
#define SIPC_SERVE_BANNER_MAX ((size_t)64 * 1024)
int sipc__banner_load_all(struct sipc__server *srv, char *why, size_t whylen);
/* The same reading for `serve --check`, keeping nothing. */
int sipc__banner_check(const struct sipc_serve_config *cfg, char *why, size_t whylen);
/* The same reading into CFG (cfg->banners), for the supervisor to read
 * before it drops its privileges; sipc__banner_load_all then copies from
 * memory.  0, or -1 with WHY. */
int sipc__banner_preload(struct sipc_serve_config *cfg, char *why, size_t whylen);

/* log.c */
/* Level 0: always (errors); 1: default (open/close); 2: -v. */
void sipc__serve_log(const struct sipc__server *srv, int level, const char *fmt, ...)
	SIPC__PRINTF(3, 4);
/* --log: where every log line goes, process-wide (the default: stderr). */
enum { SIPC_SERVE_LOG_STDERR = 0, SIPC_SERVE_LOG_SYSLOG = 1 };
/* Sends the log lines, and what is written to the stdio stream stderr,
 * to WHERE from now on (syslog: descriptor 2 is never written again).
 * 0, or -1 when the stream cannot be made. */
int sipc__serve_log_to(int where);
int sipc__serve_log_sink(void);
/* Whether FD is a socket (inetd's connection on descriptor 2). */
bool sipc__serve_fd_is_socket(int fd);

#endif /* SIPC_SERVE_SERVER_H */
