/*
 * proxy.c - the steps every proxy client goes through, whatever its
 * protocol (proxy.h): the bounded read of the request, the lookup off the
 * loop, the --to check of every address, the dial, the reply, the
 * pipelined bytes, the relay, and the one log line per request.  The
 * client connection is a raw one (service.h: on_io) from the start,
 * because the relay needs it so; until the relay starts, its bytes are
 * read and written here through the library endpoint, so a tls://
 * listener works the same as a tcp:// one.
 */
#include "serve/services/proxy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop/epspin.h"
#include "serve/tls.h"
#include "sys/net.h"
#include "sys/sys.h"

/* A failed request's reply is out: how long the client's last bytes are
 * read and dropped before the close, so they do not turn it into a
 * reset that destroys the reply (the core's linger, service.h). */
#define PX_LINGER_MS 2000
/* Reads of the request per wake-up. */
#define PX_READS 16

static const char *result_word(enum sipc__px_result r)
{
	switch (r) {
	case SIPC__PX_OK:
		return "ok";
	case SIPC__PX_FAILED:
		return "failed";
	case SIPC__PX_DENIED:
		return "denied";
	case SIPC__PX_NETUNREACH:
		return "network-unreachable";
	case SIPC__PX_HOSTUNREACH:
		return "host-unreachable";
	case SIPC__PX_REFUSED:
		return "refused";
	case SIPC__PX_TIMEOUT:
		return "timeout";
	case SIPC__PX_COMMAND:
		return "not-supported";
	case SIPC__PX_ADDRTYPE:
		return "address-type-not-supported";
	case SIPC__PX_AUTH:
		return "auth-failed";
	case SIPC__PX_BADREQ:
		return "bad-request";
	case SIPC__PX_SLOW:
		return "request-timeout";
	case SIPC__PX_BUSY:
		return "busy";
	}
	return "?";
}

static sipc_endpoint *cep(struct sipc__px_conn *pc)
{
	return sipc__conn_ep(pc->c);
}

static sipc_loop *loop_of(struct sipc__px_conn *pc)
{
	return sipc__conn_loop(pc->c);
}

/* --------------------------------------------------------- the log */

static void log_request(struct sipc__px_conn *pc)
{
	struct sipc_srv_endpoint *sep = pc->pe->sep;
	char peer[SIPC_URL_MAX];

	if (pc->logged)
		return;
	pc->logged = true;
	/* A unix peer's name is escaped by the formatter itself. */
	if (sipc_addr_format(sipc__conn_peer(pc->c), peer, sizeof(peer)) < 0)
		snprintf(peer, sizeof(peer), "?");
	sipc__svc_log(sep, 1, "%s %s peer=%s%s%s asked=%s dialed=%s result=%s%s%s",
		      pc->pe->proto->name, sipc__svc_ep_url(sep), peer, pc->user[0] ? " user=" : "",
		      pc->user, pc->asked[0] ? pc->asked : "-", pc->dialed[0] ? pc->dialed : "-",
		      result_word(pc->result), pc->detail[0] ? ": " : "", pc->detail);
}

/* The close line's reason: the result and its detail (escaped already). */
static const char *end_reason(struct sipc__px_conn *pc)
{
	snprintf(pc->end, sizeof(pc->end), "%s%s%s", result_word(pc->result),
		 pc->detail[0] ? ": " : "", pc->detail);
	return pc->end;
}

/* ----------------------------------------------- the protocol's side */

void sipc__px_take(struct sipc__px_conn *pc, size_t n)
{
	if (n > pc->in_len)
		n = pc->in_len;
	memmove(pc->in, pc->in + n, pc->in_len - n);
	pc->in_len -= n;
}

void sipc__px_send(struct sipc__px_conn *pc, const void *buf, size_t len)
{
	struct sipc__flow *f = &pc->out;

	if (sipc__flow_buffer(f) < 0)
		return;
	sipc__flow_compact(f);
	/* Replies are a few hundred bytes at most and the buffer holds
	 * several: what does not fit could only be a protocol's bug. */
	if (len > f->cap - f->tail)
		len = f->cap - f->tail;
	memcpy(f->buf + f->tail, buf, len);
	f->tail += len;
}

int sipc__px_fail(struct sipc__px_conn *pc, enum sipc__px_result r, const char *fmt, ...)
{
	va_list ap;

	pc->result = r;
	va_start(ap, fmt);
	vsnprintf(pc->detail, sizeof(pc->detail), fmt, ap);
	va_end(ap);
	return SIPC__PX_FAIL;
}

void sipc__px_dest_name(struct sipc__px_conn *pc, const char *name, size_t n, int port)
{
	char esc[SIPC__PX_ASKED_MAX - 16];
	uint8_t bytes[16];

	pc->port = port;
	pc->name[0] = '\0';
	if (n <= SIPC__PX_NAME_MAX && memchr(name, '\0', n) == NULL) {
		memcpy(pc->name, name, n);
		pc->name[n] = '\0';
		if (inet_pton(AF_INET, pc->name, bytes) == 1) {
			sipc__px_dest_addr(pc, AF_INET, bytes, port);
			return;
		}
		if (inet_pton(AF_INET6, pc->name, bytes) == 1) {
			sipc__px_dest_addr(pc, AF_INET6, bytes, port);
			return;
		}
		if (!sipc__px_name_ok(name, n))
			pc->name[0] = '\0';
	}
	sipc__px_escape(name, n, esc, sizeof(esc));
	snprintf(pc->asked, sizeof(pc->asked), "%s:%d", esc, port);
	pc->have_addr = false;
}

void sipc__px_dest_addr(struct sipc__px_conn *pc, int family, const uint8_t *bytes, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, bytes, 4);
		in->sin_port = htons((uint16_t)port);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, bytes, 16);
		in6->sin6_port = htons((uint16_t)port);
		len = sizeof(*in6);
	}
	pc->port = port;
	pc->have_addr =
		sipc_addr_from_sockaddr(&pc->addr, SIPC_TCP, (struct sockaddr *)&ss, len) == 0;
	/* "tcp://[::1]:80" without its scheme: the address as asked. */
	char url[SIPC_URL_MAX];
	if (sipc_addr_format(&pc->addr, url, sizeof(url)) < 0)
		snprintf(url, sizeof(url), "tcp://?");
	snprintf(pc->asked, sizeof(pc->asked), "%s", url + strlen("tcp://"));
}

bool sipc__px_needs_auth(const struct sipc__px_conn *pc)
{
	return pc->pe->users.n > 0;
}

bool sipc__px_auth(struct sipc__px_conn *pc, const uint8_t *name, size_t nlen, const uint8_t *pass,
		   size_t plen)
{
	sipc__px_escape(name, nlen, pc->user, sizeof(pc->user));
	if (pc->user[0] == '\0')
		snprintf(pc->user, sizeof(pc->user), "%%00"); /* empty: still said */
	pc->authed = sipc__px_users_check(&pc->pe->users, name, nlen, pass, plen);
	return pc->authed;
}

/* ------------------------------------------------- client-side I/O */

/* Sends what waits for the client: 0, or a negative code. */
static int flush_out(struct sipc__px_conn *pc)
{
	int err;

	while (sipc__flow_pending(&pc->out) > 0) {
		ssize_t n = sipc__flow_drain(&pc->out);
		if (n == -EAGAIN || n == SIPC_ETIMEDOUT)
			break;
		if (n < 0)
			return (int)n;
		sipc__conn_count(pc->c, 0, (uint64_t)n);
	}
	err = sipc__serve_ep_push(cep(pc));
	return err == SIPC_ETIMEDOUT ? 0 : err;
}

static bool out_waits(struct sipc__px_conn *pc)
{
	return sipc__flow_pending(&pc->out) > 0 || sipc__serve_ep_holds(cep(pc));
}

/* What the client's descriptor waits for in this phase.  While the
 * request is looked up and dialed, nothing is read from the client (its
 * next bytes are the destination's), but a reset is seen: one shot, so
 * that it is reported once. */
static void set_events(struct sipc__px_conn *pc)
{
	uint32_t ev = 0;

	if (pc->phase == SIPC__PX_READ || pc->phase == SIPC__PX_LINGER)
		ev = sipc__loop_events(sipc_endpoint_want(cep(pc), POLLIN));
	else
		ev = SIPC_LOOP_ONESHOT;
	if (out_waits(pc))
		ev |= sipc__loop_events(sipc_endpoint_want(cep(pc), POLLOUT)) | SIPC_LOOP_OUT;
	if (sipc__conn_set_events(pc->c, ev) < 0)
		sipc__conn_close(pc->c, "cannot watch the client");
}

/* ------------------------------------------------------- the ending */

static void stop_work(struct sipc__px_conn *pc)
{
	sipc_loop *loop = loop_of(pc);

	sipc__timer_stop(loop, &pc->timer);
	sipc__io_stop(loop, &pc->lookup_io);
	sipc__px_lookup_drop(pc->lookup);
	pc->lookup = NULL;
	sipc__dialer_stop(&pc->dialer);
	sipc__io_stop(loop, &pc->bio);
	if (pc->bfd >= 0)
		sipc__sys_close(pc->bfd);
	pc->bfd = -1;
}

static void linger_step(struct sipc__px_conn *pc);

/* The request failed (pc->result): log it, queue the protocol's reply
 * (some failures have none), and end after the linger.  Even without a
 * reply the linger is needed: a close with the client's next bytes
 * unread is a reset, not the end of the stream it should see.  The
 * connection may be gone on return. */
static void end_request(struct sipc__px_conn *pc)
{
	stop_work(pc);
	log_request(pc);
	pc->phase = SIPC__PX_LINGER;
	pc->pe->proto->reply(pc, pc->result);
	sipc__timer_start(loop_of(pc), &pc->timer, PX_LINGER_MS);
	linger_step(pc);
}

/* Flush the reply, shut our side, read and drop until the client's end
 * (or the linger timer). */
static void linger_step(struct sipc__px_conn *pc)
{
	uint8_t sink[4096];

	if (flush_out(pc) < 0) {
		sipc__conn_close(pc->c, end_reason(pc));
		return;
	}
	if (out_waits(pc)) {
		set_events(pc);
		return;
	}
	if (!pc->wr_shut) {
		/* Our last byte is out: the client reads the end after it. */
		(void)sipc_shutdown_write(cep(pc));
		pc->wr_shut = true;
		if (out_waits(pc)) {
			set_events(pc);
			return;
		}
	}
	for (int i = 0; i < PX_READS; i++) {
		ssize_t n = sipc_read(cep(pc), sink, sizeof(sink), 0);
		if (n == SIPC_ETIMEDOUT || n == -EAGAIN)
			break;
		if (n <= 0) {
			sipc__conn_close(pc->c, end_reason(pc));
			return;
		}
		sipc__conn_count(pc->c, (uint64_t)n, 0);
	}
	set_events(pc);
}

static void relay_end(struct sipc__relay *r, const char *why)
{
	sipc__conn_close(r->c, why);
}

/* ------------------------------------------ reply, pipelined, relay */

static void start_relay(struct sipc__px_conn *pc)
{
	int bfd = pc->bfd;

	sipc__timer_stop(loop_of(pc), &pc->timer);
	sipc__io_stop(loop_of(pc), &pc->bio);
	free(pc->in);
	pc->in = NULL;
	sipc__flow_free(&pc->out);
	pc->bfd = -1;
	pc->phase = SIPC__PX_RELAY;
	/* Last: the relay may end at once and the connection with it. */
	sipc__relay_start(&pc->relay, bfd, NULL);
}

/* The reply goes to the client and what it sent after its request to
 * the destination, both before the relay starts, so that the bytes reach
 * each side in the order they were sent. */
static void prelude_step(struct sipc__px_conn *pc)
{
	int err = flush_out(pc);

	if (err < 0) {
		snprintf(pc->detail, sizeof(pc->detail), "client: %s", sipc_strerror(err));
		sipc__conn_close(pc->c, pc->detail);
		return;
	}
	while (pc->in_len > 0) {
		ssize_t n = sipc__sys_send(pc->bfd, pc->in, pc->in_len, MSG_DONTWAIT);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			snprintf(pc->detail, sizeof(pc->detail), "%s: %s", pc->other,
				 sipc_strerror((int)n));
			sipc__conn_close(pc->c, pc->detail);
			return;
		}
		sipc__px_take(pc, (size_t)n);
	}
	if (pc->in_len > 0 && sipc__io_start(loop_of(pc), &pc->bio, SIPC_LOOP_OUT) < 0) {
		sipc__conn_close(pc->c, "cannot watch the destination");
		return;
	}
	if (pc->in_len > 0 || out_waits(pc)) {
		set_events(pc);
		return;
	}
	start_relay(pc);
}

static void on_backend(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	(void)loop;
	(void)revents;
	prelude_step(io->arg);
}

/* Our address on the connection to the destination, and its address. */
static void note_ends(struct sipc__px_conn *pc)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&pc->bound, 0, sizeof(pc->bound));
	if (sipc__sys_getsockname(pc->bfd, (struct sockaddr *)&ss, &len) == 0)
		(void)sipc_addr_from_sockaddr(&pc->bound, SIPC_TCP, (struct sockaddr *)&ss, len);
	len = sizeof(ss);
	if (sipc__sys_getpeername(pc->bfd, (struct sockaddr *)&ss, &len) == 0) {
		sipc_addr peer;
		if (sipc_addr_from_sockaddr(&peer, SIPC_TCP, (struct sockaddr *)&ss, len) == 0)
			(void)sipc_addr_format(&peer, pc->dialed, sizeof(pc->dialed));
	}
}

static enum sipc__px_result dial_result(int err)
{
	switch (err) {
	case -ECONNREFUSED:
		return SIPC__PX_REFUSED;
	case SIPC_ETIMEDOUT:
	case -ETIMEDOUT:
		return SIPC__PX_TIMEOUT;
	case -ENETUNREACH:
	case -ENETDOWN:
		return SIPC__PX_NETUNREACH;
	case -EHOSTUNREACH:
	case -EHOSTDOWN:
		return SIPC__PX_HOSTUNREACH;
	default:
		return SIPC__PX_FAILED;
	}
}

static void dial_done(struct sipc__dialer *d, int err, int bfd, sipc_endpoint *bep, const char *why)
{
	struct sipc__px_conn *pc = d->arg;

	(void)bep; /* a tcp target: always a descriptor */
	(void)why;
	if (err < 0) {
		pc->result = dial_result(err);
		snprintf(pc->detail, sizeof(pc->detail), "%s",
			 err == SIPC_ETIMEDOUT ? "no answer within --timeout" : sipc_strerror(err));
		end_request(pc);
		return;
	}
	pc->bfd = bfd;
	note_ends(pc);
	snprintf(pc->other, sizeof(pc->other), "destination %s", pc->asked);
	pc->result = SIPC__PX_OK;
	pc->detail[0] = '\0';
	log_request(pc);
	pc->phase = SIPC__PX_PRELUDE;
	pc->pe->proto->reply(pc, SIPC__PX_OK);
	sipc__io_init(&pc->bio, pc->bfd, on_backend, pc);
	/* The client and the destination must take these bytes in time. */
	sipc__timer_start(loop_of(pc), &pc->timer, pc->pe->timeout_ms);
	prelude_step(pc);
}

/* Dials the allowed addresses of pc->target, in order. */
static void dial(struct sipc__px_conn *pc)
{
	char first[SIPC_URL_MAX];

	if (sipc_addr_format(&pc->target.addrs[0], first, sizeof(first)) < 0)
		snprintf(first, sizeof(first), "?");
	if (pc->target.naddrs > 1)
		snprintf(pc->dialed, sizeof(pc->dialed), "%s(+%d)", first, pc->target.naddrs - 1);
	else
		snprintf(pc->dialed, sizeof(pc->dialed), "%s", first);
	sipc__timer_stop(loop_of(pc), &pc->timer);
	pc->phase = SIPC__PX_DIAL;
	pc->target.scheme = SIPC_TCP;
	pc->target.timeout_ms = pc->pe->timeout_ms;
	pc->target.tls = NULL;
	pc->target.max_msg = 0;
	set_events(pc);
	sipc__dialer_start(&pc->dialer, loop_of(pc), &pc->target, dial_done, pc);
}

/* Keeps the addresses --to allows (DNS rebinding: a name may resolve to
 * anything); dials them, or refuses when none is left. */
static void check_and_dial(struct sipc__px_conn *pc, const sipc_addr *addrs, int n)
{
	int k = 0;

	for (int i = 0; i < n && k < SIPC__DIAL_MAX_ADDRS; i++)
		if (sipc__px_rules_allow(&pc->pe->rules, &addrs[i]))
			pc->target.addrs[k++] = addrs[i];
	if (k == 0) {
		char a[SIPC_URL_MAX];
		if (sipc_addr_format(&addrs[0], a, sizeof(a)) < 0)
			snprintf(a, sizeof(a), "?");
		sipc__px_fail(pc, SIPC__PX_DENIED, "%s%s%s is not in --to",
			      pc->have_addr ? "" : "resolves to ", a,
			      n > 1 ? " (and the rest)" : "");
		end_request(pc);
		return;
	}
	pc->target.naddrs = k;
	dial(pc);
}

static void on_lookup(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct sipc__px_conn *pc = io->arg;
	sipc_addr addrs[SIPC__DIAL_MAX_ADDRS];
	int n;

	(void)revents;
	n = sipc__px_lookup_result(pc->lookup, addrs, SIPC__DIAL_MAX_ADDRS);
	if (n == -EAGAIN)
		return;
	sipc__io_stop(loop, &pc->lookup_io);
	sipc__px_lookup_drop(pc->lookup);
	pc->lookup = NULL;
	if (n < 0) {
		sipc__px_fail(pc,
			      n == SIPC_ERESOLVE_NOHOST || n == SIPC_ERESOLVE_FAMILY ||
					      n == SIPC_ERESOLVE_AGAIN
				      ? SIPC__PX_HOSTUNREACH
				      : SIPC__PX_FAILED,
			      "%s", sipc_strerror(n));
		end_request(pc);
		return;
	}
	check_and_dial(pc, addrs, n);
}

/* The request names its destination: check it, look it up, dial it. */
static void go(struct sipc__px_conn *pc)
{
	int err;

	if (pc->have_addr) {
		check_and_dial(pc, &pc->addr, 1);
		return;
	}
	if (pc->name[0] == '\0') {
		sipc__px_fail(pc, SIPC__PX_HOSTUNREACH, "not a host name");
		end_request(pc);
		return;
	}
	err = sipc__px_lookup_start(pc->name, pc->port, &pc->lookup);
	if (err < 0) {
		sipc__px_fail(pc, err == -EAGAIN ? SIPC__PX_BUSY : SIPC__PX_FAILED, "lookup: %s",
			      err == -EAGAIN ? "too many under way" : sipc_strerror(err));
		end_request(pc);
		return;
	}
	pc->phase = SIPC__PX_LOOKUP;
	sipc__io_init(&pc->lookup_io, sipc__px_lookup_fd(pc->lookup), on_lookup, pc);
	if (sipc__io_start(loop_of(pc), &pc->lookup_io, SIPC_LOOP_IN) < 0) {
		sipc__px_fail(pc, SIPC__PX_FAILED, "cannot watch the lookup");
		end_request(pc);
		return;
	}
	sipc__timer_start(loop_of(pc), &pc->timer, pc->pe->timeout_ms);
	set_events(pc);
}

/* ------------------------------------------------------ the request */

/* Hands what has been read to the protocol; EOF: the client has ended. */
static void parse(struct sipc__px_conn *pc, bool eof)
{
	const struct sipc__px_proto *proto = pc->pe->proto;
	int rc = proto->parse(pc);

	if (rc == SIPC__PX_MORE && eof && !pc->got_any) {
		/* A port check, or a client that changed its mind: no request,
		 * nothing to log beyond the core's open and close lines. */
		sipc__conn_close(pc->c, "closed without a request");
		return;
	}
	if (rc == SIPC__PX_MORE && eof) {
		sipc__px_fail(pc, SIPC__PX_BADREQ,
			      "the client ended its side within its request (%zu bytes unread)",
			      pc->in_len);
		rc = SIPC__PX_FAIL;
	} else if (rc == SIPC__PX_MORE && pc->in_len == proto->in_max) {
		sipc__px_fail(pc, SIPC__PX_BADREQ, "request longer than %zu bytes", proto->in_max);
		rc = SIPC__PX_FAIL;
	}
	if (rc == SIPC__PX_FAIL) {
		end_request(pc);
		return;
	}
	if (flush_out(pc) < 0) {
		sipc__conn_close(pc->c, "client: gone during its request");
		return;
	}
	if (rc == SIPC__PX_GO)
		go(pc);
	else
		set_events(pc);
}

static void read_request(struct sipc__px_conn *pc)
{
	size_t max = pc->pe->proto->in_max;
	bool eof = false;

	for (int i = 0; i < PX_READS && pc->in_len < max; i++) {
		ssize_t n = sipc_read(cep(pc), pc->in + pc->in_len, max - pc->in_len, 0);
		if (n == SIPC_ETIMEDOUT || n == -EAGAIN)
			break;
		if (n == 0) {
			eof = true;
			break;
		}
		if (n < 0) {
			sipc__px_fail(pc, SIPC__PX_BADREQ, "client: %s", sipc_strerror((int)n));
			stop_work(pc);
			log_request(pc);
			sipc__conn_close(pc->c, end_reason(pc));
			return;
		}
		sipc__conn_count(pc->c, (uint64_t)n, 0);
		pc->in_len += (size_t)n;
		pc->got_any = true;
	}
	parse(pc, eof);
}

static void on_timer(sipc_loop *loop, sipc_loop_timer *t)
{
	struct sipc__px_conn *pc = t->arg;
	int ms = pc->pe->timeout_ms;

	(void)loop;
	switch (pc->phase) {
	case SIPC__PX_READ:
		sipc__px_fail(pc, SIPC__PX_SLOW, "no whole request within --timeout %d.%03d s",
			      ms / 1000, ms % 1000);
		end_request(pc);
		break;
	case SIPC__PX_LOOKUP:
		sipc__px_fail(pc, SIPC__PX_TIMEOUT,
			      "%s: no answer from the resolver within %d.%03d s", pc->name,
			      ms / 1000, ms % 1000);
		end_request(pc);
		break;
	case SIPC__PX_PRELUDE:
		snprintf(pc->detail, sizeof(pc->detail),
			 "the reply or the pipelined bytes not taken within %d.%03d s", ms / 1000,
			 ms % 1000);
		sipc__conn_close(pc->c, pc->detail);
		break;
	default:
		sipc__conn_close(pc->c, end_reason(pc));
		break;
	}
}

/* ------------------------------------------------------ the service */

void sipc__px_open(struct sipc_conn *c)
{
	struct sipc__px_conn *pc = sipc__conn_state(c);
	sipc_endpoint *ep = sipc__conn_ep(c);

	pc->c = c;
	pc->pe = sipc__svc_ep_state(sipc__conn_endpoint(c));
	pc->bfd = -1;
	pc->phase = SIPC__PX_READ;
	sipc__timer_init(&pc->timer, on_timer, pc);
	sipc__io_init(&pc->lookup_io, -1, on_lookup, pc);
	sipc__io_init(&pc->bio, -1, on_backend, pc);
	sipc__flow_init(&pc->out, -1, sipc__conn_fd(c), SIPC__FLOW_OUT_SOCK, 0, SIPC__PX_OUT_MAX);
	sipc__flow_endpoints(&pc->out, NULL, ep);
	sipc__relay_init(&pc->relay, c, pc->other, relay_end);
	pc->in = malloc(pc->pe->proto->in_max);
	if (pc->in == NULL) {
		sipc__conn_close(c, "out of memory");
		return;
	}
	sipc__timer_start(loop_of(pc), &pc->timer, pc->pe->timeout_ms);
	set_events(pc);
}

void sipc__px_io(struct sipc_conn *c, uint32_t revents)
{
	struct sipc__px_conn *pc = sipc__conn_state(c);

	switch (pc->phase) {
	case SIPC__PX_RELAY:
		sipc__relay_client_io(&pc->relay, revents);
		return;
	case SIPC__PX_READ:
		read_request(pc);
		return;
	case SIPC__PX_LINGER:
		linger_step(pc);
		return;
	default:
		break;
	}
	if (revents & (SIPC_LOOP_ERR | SIPC_LOOP_HUP)) {
		sipc__px_fail(pc, SIPC__PX_FAILED, "the client went away");
		stop_work(pc);
		log_request(pc);
		sipc__conn_close(c, end_reason(pc));
		return;
	}
	if (pc->phase == SIPC__PX_PRELUDE) {
		prelude_step(pc);
		return;
	}
	if (flush_out(pc) < 0) {
		sipc__conn_close(c, "client: gone during its request");
		return;
	}
	set_events(pc);
}

void sipc__px_close(struct sipc_conn *c)
{
	struct sipc__px_conn *pc = sipc__conn_state(c);

	if (pc->pe == NULL)
		return;
	stop_work(pc);
	sipc__relay_free(&pc->relay);
	sipc__flow_free(&pc->out);
	free(pc->in);
	pc->in = NULL;
}
