/*
 * service.h - how a service of `sockipc serve` plugs into the server.
 *
 * A service is a `struct sipc_service` (below) named in the table of
 * services/table.c.  The server core owns sockets, buffers, limits, logs
 * and counters; a service only says what to do with bytes.  Every callback
 * runs in the thread of the worker loop that owns the connection (event
 * model: one loop per worker thread, see server.h), so a service needs no
 * lock for per-connection state.
 *
 * 1. Start-up (main thread, before any worker runs).  For each service line
 *    `URL SERVICE [ARGS...]` the core checks the URL, that SERVICE exists,
 *    that ARGS count lies in [min_args, max_args], that the endpoint's kind
 *    (SIPC__SVC_STREAM: tcp*, tls*, unix; SIPC__SVC_SEQPACKET: unixpacket;
 *    SIPC__SVC_DGRAM: udp*, unixgram) is in `kinds`, and that the model is in
 *    `models`; any failure is a usage error naming the line (exit 2).  Then
 *    it binds the endpoint and calls `setup(ep, argc, argv, why, len)` with
 *    ARGS only.  setup may parse them and keep per-endpoint state with
 *    sipc__svc_ep_set_state(); `teardown(ep)` frees it at exit, after every
 *    worker has stopped.  Shared per-endpoint state that several workers
 *    touch (broadcast) must lock it itself, or be sharded per worker:
 *    sipc__svc_ep_nworkers() and sipc__conn_worker_id() help with the latter.
 *
 * 2. Connections (stream and seqpacket endpoints).  After accept, allow-list
 *    and --max-conns checks, the core allocates a `struct sipc_conn` with
 *    `conn_size` zeroed bytes of service state (sipc__conn_state()), logs
 *    the open, and calls on_open(c).  A tls:// connection first goes
 *    through its handshake in the core (bounded by --handshake-timeout and
 *    --max-handshakes, the client certificate checked against
 *    --allow-cert; see serve/tls.h): on_open comes only once it is done,
 *    and the service sees decrypted bytes.  Its descriptor carries TLS
 *    records (an shm:// one the ring set-up and wake-ups: the bytes are in
 *    the shared rings), so a raw service (on_io) must not read or write,
 *    splice, peek or hand over the descriptor where
 *    sipc_scheme_is_raw(scheme) is false: relay.h moves bytes through the
 *    endpoint's operations.  Then, level-triggered:
 *      - Reading: the core reads into the worker's scratch buffer at most
 *        rx_budget(c) bytes (NULL: as much as it has) and calls
 *        on_data(c, buf, n).  A budget of 0 stops reading from that peer
 *        until the budget grows again (checked after every write progress).
 *        This is backpressure: echo's budget is its output room, so a
 *        client that sends but never reads is throttled, not buffered.
 *        On seqpacket, one call is one whole message, read only when the
 *        budget is at least the endpoint's --max-msg; an oversized message
 *        is dropped and counted.  A zero-length seqpacket read is taken as
 *        the end of the peer's data (the kernel shows both the same way).
 *      - End of the peer's data (it shut down its write side or closed):
 *        on_eof(c); NULL means sipc__conn_end(c) (finish output, close).
 *      - Writing: sipc__conn_write(c, buf, len) sends what the kernel takes
 *        at once and queues the rest in the connection's bounded output
 *        buffer (256 KiB for streams; at least two messages of --max-msg
 *        for seqpacket).  It returns the bytes accepted, possibly fewer
 *        than LEN on a stream (never part of a message on seqpacket: all
 *        or 0).  sipc__conn_out_room(c) tells in advance what fits.
 *        A service that produces data on its own (chargen) calls
 *        sipc__conn_want_writable(c, true) and gets on_writable(c) each
 *        time the output buffer has emptied.
 *      - sipc__conn_end(c): graceful end: flush the output, shut down our
 *        write side, then close when the peer's data ends (anything it
 *        still sends is read and dropped) or after a 2 s linger, so our
 *        last bytes are not destroyed by a reset.  sipc__conn_close(c, why)
 *        ends at once.  on_close(c) runs last, always (also for
 *        connections closed by the core: idle timeout, drain deadline,
 *        peer reset); it must free what the service allocated.
 *    Closing inside a callback is deferred to the callback's return, so a
 *    service may go on using c until then.  Closing ANOTHER connection
 *    (broadcast dropping a slow reader) frees it at once unless it is in
 *    its own callback; iterate lists so that this is safe.
 *    Bytes, durations, idle timeouts (--idle-timeout, reset by any I/O),
 *    drain on SIGTERM and the open/close log lines are the core's; when the
 *    drain begins, on_drain(c) (optional) lets a service ask whatever works
 *    for the connection outside the loop (exec's child) to finish.
 *
 * 3. Datagram endpoints (udp*, unixgram).  Each datagram that passes the
 *    loop guard (guard.h: a source that is one of the server's own udp
 *    endpoints, port 0, in --guard-ports unless `guard_any_port`, or a
 *    broadcast, multicast or unspecified source: dropped, counted and
 *    logged) and the allow-list is handed whole to on_datagram(d, buf, n);
 *    n may be 0.  sipc__dgram_reply(d, buf, len) sends one datagram back
 *    to the sender (never blocks: when the socket buffer is full the reply
 *    is dropped and counted, as UDP would; the replies to one batch of
 *    datagrams go together, with sendmmsg).  sipc__dgram_from(d) is the
 *    sender's address.  One worker alone reads each datagram endpoint
 *    (server.h), so a sender's datagrams arrive in order, in one loop.
 *
 * 4. What phase 2 services need, and where it goes:
 *    - forward (a second socket): in on_open, dial the backend non-blocking
 *      (sipc_dial(url, opts, 0, ...) or a raw non-blocking connect) and
 *      watch it with your own sipc_loop_io on sipc__conn_loop(c), kept in
 *      the conn state; stop it in on_close.  For relaying with splice(),
 *      set `on_io`: the core then never reads or writes that connection
 *      itself; it calls on_io(c, revents) for the client descriptor
 *      (sipc__conn_fd(c)), and the service changes what it waits for with
 *      sipc__conn_set_events(c, SIPC_LOOP_IN|SIPC_LOOP_OUT...) and reports moved
 *      bytes with sipc__conn_count(c, in, out) for the logs.  Half-close:
 *      shutdown(fd, SHUT_WR) directly, then sipc__conn_close() when both
 *      directions are done.  On datagram endpoints, keep a per-worker map
 *      from sender address to a connected backend socket, each with its
 *      own io and an idle timer (sipc_loop_timer) to reap it.
 *    - exec (a child process): in on_open, fork/exec with the descriptor
 *      dup2'ed onto 0 and 1 (clear O_NONBLOCK on the child's copy: it
 *      shares the file description, so dup it first or accept the shared
 *      flag), then sipc__conn_close(c, "handed to child") — the log line
 *      still gets written; reaping needs SIGCHLD added to the control
 *      loop's signalfd (server.c) and a cap counter per endpoint.
 *    - broadcast (shared per-endpoint state): per-endpoint list of clients
 *      (sharded per worker, or one list with a mutex and a per-worker
 *      wake-up to hand lines across loops via sipc__loop_wake); each
 *      client's queue is its output buffer: when sipc__conn_write accepts
 *      less than a whole line, the reader is stuck: close it with a log.
 *
 * What a service may include: this header, services.h, and the toolkits
 * built on it (relay.h: the byte mover; tls.h: a tls:// backend's
 * client side; guard.h: the datagram loop guard).  Never server.h: the
 * workers, the server and their counters are reached through the
 * functions below (sipc__svc_log, sipc__svc_ep_count...), so the core can
 * change its shape without touching a service.
 *
 * 5. Other models.  Nothing here assumes one loop serves many connections:
 *    a `struct sipc_worker` (server.h) is just a loop plus scratch buffer
 *    and counters.  `--model thread` can run one worker per connection
 *    thread (its loop holds the one connection and ends with it), and
 *    `--model fork` the same in a child process after fork(); the same
 *    non-blocking callbacks then run unchanged, no blocking variants are
 *    needed.  Only state shared across connections (broadcast) cannot
 *    cross processes: broadcast leaves SIPC__MODEL_FORK out of `models`,
 *    and the start-up check refuses that line (exit 2).
 */
#ifndef SIPC_SERVE_SERVICE_H
#define SIPC_SERVE_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/types.h>

#include "loop/loop.h"
#include "sockipc.h"
#include "why.h"

/* Endpoint kinds a service can run on (struct sipc_service.kinds). */
enum {
	SIPC__SVC_STREAM = 1,    /* tcp, tcp4, tcp6, tls, tls4, tls6, unix */
	SIPC__SVC_SEQPACKET = 2, /* unixpacket */
	SIPC__SVC_DGRAM = 4,     /* udp, udp4, udp6, unixgram */
};

/* Concurrency models (struct sipc_service.models, --model). */
enum {
	SIPC__MODEL_EVENT = 1,
	SIPC__MODEL_THREAD = 2,
	SIPC__MODEL_FORK = 4,
};

struct sipc_conn;
struct sipc_dgram;
struct sipc_srv_endpoint;
struct sipc_serve_config;
struct sipc_svc_conf;

struct sipc_service {
	const char *name;  /* as written in a service line */
	const char *usage; /* "forward URL": for error messages */
	int min_args;
	int max_args;    /* -1: no limit */
	unsigned kinds;  /* SIPC__SVC_* it runs on */
	unsigned models; /* SIPC__MODEL_* it runs under */
	/* Set where this build cannot run the service: why, for the error
	 * that refuses every line naming it (services/exec_win.c). */
	const char *absent;

	/* Per endpoint; all optional. */
	int (*setup)(struct sipc_srv_endpoint *ep, int argc, char **argv, char *why, size_t whylen);
	void (*teardown)(struct sipc_srv_endpoint *ep);

	/* Per connection (stream, seqpacket); all optional. */
	size_t conn_size;
	void (*on_open)(struct sipc_conn *c);
	size_t (*rx_budget)(struct sipc_conn *c);
	void (*on_data)(struct sipc_conn *c, const uint8_t *buf, size_t len);
	void (*on_eof)(struct sipc_conn *c);
	void (*on_writable)(struct sipc_conn *c);
	void (*on_close)(struct sipc_conn *c);
	/* Raw mode: when set, the core does no I/O on the connection. */
	void (*on_io)(struct sipc_conn *c, uint32_t revents);
	/* SIGINT/SIGTERM: the drain has begun; the connection has until the
	 * drain timeout to end (exec asks its child to stop). */
	void (*on_drain)(struct sipc_conn *c);
	/* Urgent (out-of-band) data on tcp connections, optional: each
	 * urgent byte the client sends, at its place in the stream (after
	 * on_data of every byte sent before it, before any sent after).  Only
	 * a service that sets it has the core ask for SIPC_LOOP_PRI, so no other
	 * connection wakes on a pending urgent byte; without it the byte is
	 * never read.  Under backpressure (rx_budget 0) it waits with the
	 * data.  Never on tls (the byte would pass beside the records: it is
	 * left unread and dropped), unix or seqpacket. */
	void (*on_urgent)(struct sipc_conn *c, uint8_t byte);

	/* Per datagram (udp, unixgram). */
	void (*on_datagram)(struct sipc_dgram *d, const uint8_t *buf, size_t len);
	/* The --guard-ports set does not apply: a relay, whose clients send
	 * from any port (DNS, NTP 123 -> 123), not a reflector. */
	bool guard_any_port;
};

/* ---- the table (services/table.c) ---- */

/* The service called NAME, or NULL. */
const struct sipc_service *sipc__service_find(const char *name);
/* ARG as the `listening` line shows it (stdout, logs): the word itself,
 * except a password: --user=NAME:PASS (the proxy services) shows as
 * --user=NAME:***.  Returns ARG or BUF. */
const char *sipc__svc_arg_shown(const char *arg, char *buf, size_t len);
/* The services in table order, NULL-terminated (for --help). */
extern const struct sipc_service *const sipc__services[];

/* ---- per endpoint ---- */

void sipc__svc_ep_set_state(struct sipc_srv_endpoint *ep, void *state);
void *sipc__svc_ep_state(const struct sipc_srv_endpoint *ep);
/* The endpoint's real URL ("tcp://127.0.0.1:7007"). */
const char *sipc__svc_ep_url(const struct sipc_srv_endpoint *ep);
sipc_scheme sipc__svc_ep_scheme(const struct sipc_srv_endpoint *ep);
size_t sipc__svc_ep_max_msg(const struct sipc_srv_endpoint *ep);
int sipc__svc_ep_nworkers(const struct sipc_srv_endpoint *ep);
/* The configuration read at start (read-only), and the endpoint's
 * service's attributes (svcconf.h: user, limits, environment...). */
const struct sipc_serve_config *sipc__svc_ep_config(const struct sipc_srv_endpoint *ep);
const struct sipc_svc_conf *sipc__svc_ep_conf(const struct sipc_srv_endpoint *ep);
/* The endpoint's bound address: 0, or a negative code. */
int sipc__svc_ep_local(const struct sipc_srv_endpoint *ep, sipc_addr *local);
/* A unix endpoint that admits only the server's own uid unless
 * --allow-uid/--allow-gid say otherwise (acl.h; exec on a socket others
 * may reach): the core checks it at accept.  From setup only. */
void sipc__svc_ep_set_own_only(struct sipc_srv_endpoint *ep, bool own_only);
/* The endpoint's own socket (forward replies to its udp clients from it). */
int sipc__svc_ep_fd(const struct sipc_srv_endpoint *ep);
/* A log line about EP at LEVEL (0 always, 1 default, 2 -v), through the
 * server's log. */
void sipc__svc_log(const struct sipc_srv_endpoint *ep, int level, const char *fmt, ...)
	SIPC__PRINTF(3, 4);
/* Counts N into EP's counters of worker WORKER, when LOOP is that
 * worker's loop (counters have one writer each); otherwise nowhere. */
enum sipc__svc_counter { SIPC__COUNT_DROPPED, SIPC__COUNT_DGRAMS_OUT, SIPC__COUNT_BYTES_OUT };
void sipc__svc_ep_count(struct sipc_srv_endpoint *ep, int worker, sipc_loop *loop,
			enum sipc__svc_counter what, uint64_t n);

/* ---- per connection ---- */

void *sipc__conn_state(struct sipc_conn *c);
struct sipc_srv_endpoint *sipc__conn_endpoint(struct sipc_conn *c);
sipc_loop *sipc__conn_loop(struct sipc_conn *c);
int sipc__conn_worker_id(const struct sipc_conn *c);
int sipc__conn_fd(const struct sipc_conn *c);
/* The client's library endpoint (seqpacket records through sipc_recv). */
sipc_endpoint *sipc__conn_ep(struct sipc_conn *c);
bool sipc__conn_is_seqpacket(const struct sipc_conn *c);
const sipc_addr *sipc__conn_peer(const struct sipc_conn *c);
const sipc_addr *sipc__conn_local(const struct sipc_conn *c);

size_t sipc__conn_write(struct sipc_conn *c, const void *buf, size_t len);
/* Sends BYTE as urgent data once every byte written before it has gone
 * out, so the client's mark falls there.  One urgent byte waits at most:
 * a second written before the first went out turns the first into a
 * normal byte, as TCP itself does.  0; SIPC_EKIND on anything but a tcp
 * connection; -ENOBUFS when the output buffer is full. */
int sipc__conn_write_urgent(struct sipc_conn *c, uint8_t byte);
size_t sipc__conn_out_room(const struct sipc_conn *c);
size_t sipc__conn_out_pending(const struct sipc_conn *c);
void sipc__conn_want_writable(struct sipc_conn *c, bool on);
void sipc__conn_end(struct sipc_conn *c);
void sipc__conn_close(struct sipc_conn *c, const char *why);

/* Raw mode (on_io) only. */
int sipc__conn_set_events(struct sipc_conn *c, uint32_t events);
void sipc__conn_count(struct sipc_conn *c, uint64_t in, uint64_t out);
/* The bytes that flowed are not known (a child moved them on a unix
 * socket): the close line leaves in= and out= out rather than print 0. */
void sipc__conn_bytes_unknown(struct sipc_conn *c);
/* A child process serves the connection (exec): its pid, and once reaped
 * its wait(2) status, for the close line's pid= and exit= fields. */
void sipc__conn_child(struct sipc_conn *c, pid_t pid);
void sipc__conn_child_status(struct sipc_conn *c, int status);

/* ---- per datagram ---- */

const sipc_addr *sipc__dgram_from(const struct sipc_dgram *d);
struct sipc_srv_endpoint *sipc__dgram_endpoint(struct sipc_dgram *d);
int sipc__dgram_worker_id(const struct sipc_dgram *d);
/* A random number in [0, n) from the worker's generator (not for secrets). */
uint32_t sipc__dgram_random(struct sipc_dgram *d, uint32_t n);
/* The loop of the worker handling the datagram (forward's associations). */
sipc_loop *sipc__dgram_loop(const struct sipc_dgram *d);
/* Sends one datagram to the sender, with the other replies to the same
 * batch of received datagrams (one sendmmsg, dgram.c), in order and before
 * the next batch is read; BUF need not outlive the call.  0, or a negative
 * code (counted as a dropped reply) when the sender has no address; a
 * reply that cannot go when the batch is sent (a full socket buffer...)
 * is counted and logged as a dropped reply then. */
int sipc__dgram_reply(struct sipc_dgram *d, const void *buf, size_t len);
/* Counts the datagram as dropped and logs WHY, at most once per sender
 * per interval (guard.h), at the default verbosity. */
void sipc__dgram_drop(struct sipc_dgram *d, const char *why);

#endif /* SIPC_SERVE_SERVICE_H */
