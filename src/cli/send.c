/*
 * send.c - `sockipc send URL [MESSAGE...]`: sends each MESSAGE (stdin as one
 * message when there is none) as one message - a frame on streams, a
 * datagram on datagram URLs - and writes the reply to each: byte for byte
 * when the message came from stdin (a pipeline of binary data), one reply
 * per line when the messages were arguments (text a person typed).  On
 * datagram URLs a request with no reply is sent again with exponential
 * backoff (sipc_request, the pattern of seed 000); on streams the request
 * is sent once and --timeout bounds it.  No reply in the end is exit
 * status 1.  tls:// is a stream like tcp, its handshake within --timeout.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/fdcli.h"
#include "cli/opt.h"
#include "cli/proxyopt.h"
#include "cli/relay.h"
#include "cli/tlscli.h"
#include "cli/tlsopt.h"
#include "cli/urgentcli.h"
#include "sys/sys.h"

/* Largest datagram reply taken (a larger one is an error, never cut). */
#define DGRAM_REPLY_MAX (256 * 1024)
/* Bytes of a frame header: the 4-byte big-endian length of DESIGN.md. */
#define FRAME_HDR 4

static int timeout_ms = 1000;
static long retries = -1; /* -1: not given; DEFAULT_RETRIES on datagrams */
static bool no_reply;
static bool raw, lines;

#define DEFAULT_RETRIES 3
/* --urgent BYTE: -1 (not given), or the byte sent as urgent data. */
static int urgent = -1;
/* --fd FILE...: descriptors passed with the message (unix URLs). */
static struct sipc_cli_fds fdopt;

static const struct sipc_opt opts_table[] = {
	{"timeout", 't', SIPC__OPT_MS, &timeout_ms, 1, 3600000, "MS",
	 "give up after MS ms (default 1000): streams, each request; datagrams, the first try"},
	{"retries", 'r', SIPC__OPT_INT, &retries, 0, 16, "N",
	 "datagram URLs only: send again up to N times when no reply comes (default 3)"},
	{"no-reply", 'n', SIPC__OPT_FLAG, &no_reply, 0, 0, NULL, "only send; wait for no reply"},
	{"raw", 0, SIPC__OPT_FLAG, &raw, 0, 0, NULL,
	 "each reply byte for byte (the default for stdin)"},
	{"lines", 0, SIPC__OPT_FLAG, &lines, 0, 0, NULL,
	 "each reply on its own line (the default for MESSAGE arguments)"},
	{"urgent", 0, SIPC__OPT_FUNC, &urgent, 0, 0, "BYTE",
	 "tcp: send BYTE as urgent (out-of-band) data instead of a message", sipc_cli_urgent_opt},
	{"fd", 0, SIPC__OPT_FUNC, &fdopt, 0, 0, "FILE",
	 "unix URLs: pass FILE, opened read-only (- for stdin), with the message; "
	 "repeatable; waits for no reply",
	 sipc_cli_fd_opt},
	SIPC_CLI_TLS_OPTS,
	SIPC_CLI_PROXY_OPT,
	{NULL},
};

static const struct sipc_opt_spec spec = {
	"send",
	"[OPTIONS] URL [MESSAGE...]",
	"Sends each MESSAGE (stdin as one message when none is given) as one\n"
	"message: a length-prefixed frame on streams, a datagram on datagram URLs.\n"
	"Waits for one reply per message and writes it to stdout.  A message read\n"
	"from stdin gets its reply byte for byte, as it came (--raw); MESSAGE\n"
	"arguments get one reply per line, a newline added unless the reply ends\n"
	"with one (--lines).  Streams send once: connecting, sending and the reply\n"
	"take at most --timeout for each message.  Datagram URLs send again with\n"
	"backoff, each wait twice the one before (--timeout, --retries).  No reply:\n"
	"exit status 1.  --hex dumps each message (>) and reply (<) on stderr.\n"
	"--fd FILE hands FILE's open descriptor to the peer with the message (unix\n"
	"URLs; listen --recv-fd takes it): one MESSAGE at most, empty when none is\n"
	"given (stdin is not read), and no reply is awaited.",
	opts_table,
	1,
	-1,
};

/* Reads all of stdin, up to MAX bytes.  Returns the length or a code. */
static ssize_t slurp_stdin(size_t max, char **out)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);

	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *bigger;

			if (cap > max) {
				free(buf);
				return SIPC_EMSGSIZE;
			}
			bigger = realloc(buf, cap * 2);
			if (bigger == NULL) {
				free(buf);
				return -ENOMEM;
			}
			buf = bigger;
			cap *= 2;
		}
		n = sipc__sys_read(0, buf + len, cap - len);
		if (n == -EAGAIN) {
			(void)sipc__sys_wait(0, POLLIN, SIPC__NEVER);
			continue;
		}
		if (n < 0) {
			free(buf);
			return n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		free(buf);
		return SIPC_EMSGSIZE;
	}
	*out = buf;
	return (ssize_t)len;
}

/* What one run of send needs besides the options. */
struct sender {
	const char *url; /* as the user wrote it, for messages */
	sipc_endpoint *ep;
	bool dgram;              /* datagram URL: sipc_request with retries */
	bool as_lines;           /* a newline after each reply that has none */
	int64_t first_deadline;  /* streams: the dial's, for the first message */
	void *dbuf;              /* datagram replies, DGRAM_REPLY_MAX bytes */
	uint64_t sent, received; /* --hex offsets of each direction */
	/* The first bytes of a stream reply, peeked before it is taken, so a
	 * reply that is no frame can be shown for what it is. */
	unsigned char hdr[FRAME_HDR];
	size_t hdr_len;
};

static void write_reply(struct sender *s, const void *p, size_t n)
{
	if (sipc_cli_globals.hex && n > 0)
		sipc_hexdump(stderr, '<', s->received, p, n);
	s->received += n;
	fwrite(p, 1, n, stdout);
	if (s->as_lines && (n == 0 || ((const char *)p)[n - 1] != '\n'))
		fputc('\n', stdout);
	fflush(stdout);
}

/*
 * Keeps the first bytes of the coming stream reply in S->hdr without
 * taking them: when they turn out to be no frame (a daytime line, an HTTP
 * banner), the error can show them.  One peek once something is readable;
 * a header still on its way is simply not shown.
 */
static void peek_header(struct sender *s, int64_t deadline)
{
	int fd = sipc_endpoint_fd(s->ep);
	ssize_t n;

	s->hdr_len = 0;
	/* A TLS socket holds records, an shm:// socket wake-ups: their
	 * first bytes are no reply. */
	if (!sipc_scheme_is_raw(sipc_endpoint_scheme(s->ep)))
		return;
	if (sipc__sys_wait(fd, POLLIN, deadline) <= 0)
		return;
	n = sipc__sys_recv(fd, s->hdr, sizeof(s->hdr), MSG_PEEK);
	if (n > 0)
		s->hdr_len = (size_t)n;
}

/* Sends one message; the first carries the --fd descriptors. */
static ssize_t send_msg(sipc_endpoint *ep, const void *msg, size_t len, int ms)
{
	static bool fds_sent;

	if (fdopt.n == 0 || fds_sent)
		return sipc_send(ep, msg, len, ms);
	fds_sent = true;
	return sipc_send_fds(ep, msg, len, fdopt.fds, fdopt.n, ms);
}

/* One stream request: frame out, frame back, both before one deadline. */
static int stream_one(struct sender *s, const void *msg, size_t len)
{
	/* The first request's time began with the connect. */
	int64_t deadline = s->first_deadline ? s->first_deadline : sipc__deadline(timeout_ms);
	void *reply = NULL;
	ssize_t n;

	s->first_deadline = 0;
	n = send_msg(s->ep, msg, len, sipc__deadline_left(deadline));
	if (n < 0 || no_reply)
		return n < 0 ? (int)n : 0;
	peek_header(s, deadline);
	n = sipc_recv_alloc(s->ep, &reply, sipc__deadline_left(deadline));
	if (n < 0)
		return (int)n;
	write_reply(s, reply, (size_t)n);
	free(reply);
	return 0;
}

/* One request and its reply.  Returns 0 or a negative code. */
static int one(struct sender *s, const void *msg, size_t len)
{
	ssize_t n;

	if (sipc_cli_globals.hex && len > 0)
		sipc_hexdump(stderr, '>', s->sent, msg, len);
	s->sent += len;
	if (!s->dgram)
		return stream_one(s, msg, len);
	if (no_reply) {
		n = send_msg(s->ep, msg, len, timeout_ms);
		return n < 0 ? (int)n : 0;
	}
	n = sipc_request(s->ep, msg, len, s->dbuf, DGRAM_REPLY_MAX, timeout_ms, (int)retries);
	if (n < 0)
		return (int)n;
	write_reply(s, s->dbuf, (size_t)n);
	return 0;
}

/*
 * A stream reply whose length is over the maximum is, far more often than
 * a real giant message, a peer that does not frame at all: its first bytes
 * (a daytime line, a banner) read as a length.  Say so, and show them.
 */
static void report_not_a_frame(const struct sender *s)
{
	char shown[4 * FRAME_HDR + 1] = "", len[32] = "";
	size_t k = 0;

	for (size_t i = 0; i < s->hdr_len; i++)
		k += (size_t)snprintf(shown + k, sizeof(shown) - k,
				      isprint(s->hdr[i]) && s->hdr[i] != '"' && s->hdr[i] != '\\'
					      ? "%c"
					      : "\\x%02x",
				      s->hdr[i]);
	if (s->hdr_len == FRAME_HDR)
		snprintf(len, sizeof(len), "0x%02x%02x%02x%02x", s->hdr[0], s->hdr[1], s->hdr[2],
			 s->hdr[3]);
	sipc_cli_error("send %s: reply is not a sockipc frame (\"%s\" read as length %s, over "
		       "the maximum of %zu bytes); is the peer speaking framed messages? use "
		       "connect for plain bytes",
		       s->url, shown, len[0] ? len : "?", sipc_endpoint_max_msg(s->ep));
}

/* Prints the error of RC for S; returns the exit status. */
static int report(const struct sender *s, int rc)
{
	if (rc == 0)
		return SIPC_EXIT_OK;
	if (rc == SIPC_ETIMEDOUT && s->dgram)
		sipc_cli_error("send %s: no reply after %ld tries (%s)", s->url, retries + 1,
			       sipc_strerror(rc));
	else if (rc == SIPC_ETIMEDOUT)
		sipc_cli_error("send %s: no reply within %d ms (%s)", s->url, timeout_ms,
			       sipc_strerror(rc));
	else if (rc == SIPC_EMSGSIZE && !s->dgram)
		report_not_a_frame(s);
	else if (rc == SIPC_ECLOSED || rc == SIPC_EPARTIAL || rc == SIPC_ETLS_TRUNCATED)
		sipc_cli_error("send %s: no reply: %s", s->url, sipc_strerror(rc));
	else
		sipc_cli_ep_error("send", s->url, NULL, s->ep, rc);
	return SIPC_EXIT_FAIL;
}

/* Checks the option combination for the URL's kind; SIPC_EXIT_USAGE after
 * saying why, or 0. */
static int check_opts(bool dgram)
{
	if (raw && lines) {
		sipc_cli_error("send: --raw and --lines: choose one");
		return SIPC_EXIT_USAGE;
	}
	if (no_reply && (raw || lines)) {
		sipc_cli_error("send: %s: no reply is written with --no-reply",
			       raw ? "--raw" : "--lines");
		return SIPC_EXIT_USAGE;
	}
	if (retries >= 0 && !dgram) {
		sipc_cli_error("send: --retries: only for datagram URLs (udp, unixgram, "
			       "unixpacket); a stream is sent once");
		return SIPC_EXIT_USAGE;
	}
	if (retries < 0)
		retries = DEFAULT_RETRIES;
	if (urgent >= 0 && (no_reply || raw || lines)) {
		sipc_cli_error("send: --urgent: sends one byte and takes no reply: not with %s",
			       no_reply ? "--no-reply"
			       : raw    ? "--raw"
					: "--lines");
		return SIPC_EXIT_USAGE;
	}
	return 0;
}

/* --fd: unix URLs only, no reply; then the files are opened (before the
 * dial, so a missing one fails first).  0, or the exit status. */
static int fd_opts(sipc_scheme sc)
{
	int rc = sipc_cli_fd_check("send", "--fd", sc);

	if (rc != 0)
		return rc;
	if (urgent >= 0 || raw || lines || retries >= 0) {
		sipc_cli_error("send: --fd: sends the descriptors and waits for no reply: not with "
			       "%s",
			       urgent >= 0 ? "--urgent"
			       : raw       ? "--raw"
			       : lines     ? "--lines"
					   : "--retries");
		return SIPC_EXIT_USAGE;
	}
	no_reply = true;
	return sipc_cli_fds_open("send", &fdopt);
}

/*
 * --urgent: one urgent byte and nothing else; then our end, and what the
 * peer sends until its own end (within --timeout) goes to stdout as it
 * comes.  Waiting for that end matters: closing with its bytes unread
 * would send a reset, and a reset can reach the peer before it has taken
 * the urgent byte, which is then lost.
 */
static int send_urgent(struct sender *s)
{
	int64_t deadline = s->first_deadline;
	char buf[4096];
	ssize_t n;
	int rc;

	rc = sipc_urgent_send(s->ep, (uint8_t)urgent, sipc__deadline_left(deadline));
	if (rc == 0)
		rc = sipc_shutdown_write(s->ep);
	if (rc < 0) {
		sipc_cli_ep_error("send", s->url, "urgent", s->ep, rc);
		return SIPC_EXIT_FAIL;
	}
	/* Bounded by the deadline: each read takes bytes, ends, or waits for
	 * what is left of it. */
	while ((n = sipc_read(s->ep, buf, sizeof(buf), sipc__deadline_left(deadline))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	fflush(stdout);
	return SIPC_EXIT_OK;
}

/* Sends stdin as one message, or each argument. */
static int send_all(struct sender *s, int nargs, char **argv)
{
	char *input = NULL;
	ssize_t n;
	int rc = 0;

	if (nargs > 1) {
		for (int i = 2; i <= nargs && rc == 0; i++)
			rc = one(s, argv[i], strlen(argv[i]));
		return report(s, rc);
	}
	if (fdopt.n > 0) /* the descriptors are the payload: stdin stays */
		return report(s, one(s, "", 0));
	n = slurp_stdin(sipc_endpoint_max_msg(s->ep), &input);
	if (n < 0) {
		sipc_cli_error("send %s: stdin: %s", s->url, sipc_strerror((int)n));
		return SIPC_EXIT_FAIL;
	}
	rc = one(s, input, (size_t)n);
	free(input);
	return report(s, rc);
}

int sipc_cmd_send(int argc, char **argv)
{
	sipc_options opts = {0};
	sipc_tls_config *tls = NULL;
	char why[SIPC_WHY_MAX] = "", label[2 * SIPC_URL_MAX + 16];
	struct sender s = {0};
	sipc_url *url = NULL;
	int nargs, rc, dial_ms;

	rc = sipc_opt_parse(&spec, argc, argv, &nargs);
	if (rc != SIPC__OPT_OK)
		return rc == SIPC__OPT_HELP ? SIPC_EXIT_OK : SIPC_EXIT_USAGE;
	s.url = argv[1];
	if ((rc = sipc_cli_parse_url("send", s.url, &url)) != 0)
		return rc;
	s.dgram = sipc_scheme_is_datagram(sipc_url_scheme(url));
	if (fdopt.n > 0 && (rc = fd_opts(sipc_url_scheme(url))) != 0)
		goto out;
	if ((rc = check_opts(s.dgram)) != 0)
		goto out;
	if (urgent >= 0 &&
	    (rc = sipc_cli_urgent_check("send", "--urgent", sipc_url_scheme(url))) != 0)
		goto out;
	if (fdopt.n > 0 && nargs > 2) {
		sipc_cli_error("send: --fd: the descriptors go with one message: give at most one "
			       "MESSAGE");
		rc = SIPC_EXIT_USAGE;
		goto out;
	}
	if (urgent >= 0 && nargs > 1) {
		sipc_cli_error("send: --urgent: sends one byte and no MESSAGE");
		rc = SIPC_EXIT_USAGE;
		goto out;
	}
	s.as_lines = lines || (!raw && nargs > 1);
	if ((rc = sipc_cli_tls_setup("send", url, SIPC_TLS_CLIENT, &opts, &tls)) != 0 ||
	    (rc = sipc_cli_proxy_setup("send", url, &opts)) != 0)
		goto out;
	sipc_cli_lib_options(&opts);
	opts.why = why;
	opts.whylen = sizeof(why);
	/* A datagram "connect" only names the peer; a stream's is the first
	 * step of the request --timeout bounds. */
	dial_ms = s.dgram ? timeout_ms * (int)(retries + 1) : timeout_ms;
	s.first_deadline = s.dgram ? 0 : sipc__deadline(timeout_ms);
	rc = sipc_dial_url(url, &opts, dial_ms, &s.ep);
	if (rc < 0) {
		rc = sipc_cli_open_error("send", sipc_cli_proxy_label(s.url, label, sizeof(label)),
					 sipc_url_scheme(url), rc, why);
		goto out;
	}
	sipc_cli_notice_association("send", s.ep);
	sipc_cli_tls_notice("send", s.ep);
	if (s.dgram && !no_reply && (s.dbuf = malloc(DGRAM_REPLY_MAX)) == NULL) {
		sipc_cli_error("send %s: %s", s.url, sipc_strerror(-ENOMEM));
		rc = SIPC_EXIT_FAIL;
		goto out;
	}
	rc = urgent >= 0 ? send_urgent(&s) : send_all(&s, nargs, argv);
out:
	sipc_cli_fds_close(&fdopt);
	free(s.dbuf);
	sipc_endpoint_close(s.ep);
	sipc_tls_config_free(tls);
	sipc_url_free(url);
	return rc;
}
