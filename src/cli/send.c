/*
 * send.c - `sockipc send URL [MESSAGE...]`: sends each MESSAGE (stdin as one
 * message when there is none) as one message - a frame on streams, a
 * datagram on datagram URLs - and prints the reply to each on its own
 * line.  On datagram URLs a request with no reply is sent again with
 * exponential backoff (sipc_request, the pattern of seed 000); no reply in
 * the end is exit status 1.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "sys/sys.h"

/* Largest datagram reply taken (a larger one is an error, never cut). */
#define DGRAM_REPLY_MAX (256 * 1024)

static int timeout_ms = 1000;
static long retries = 3;
static bool no_reply;

static const struct sipc_opt opts_table[] = {
	{"timeout", 't', SIPC__OPT_MS, &timeout_ms, 1, 3600000, "MS",
	 "wait MS milliseconds for a reply (default 1000), doubled at each retry"},
	{"retries", 'r', SIPC__OPT_INT, &retries, 0, 16, "N",
	 "datagram URLs: send again up to N times when no reply comes (default 3)"},
	{"no-reply", 'n', SIPC__OPT_FLAG, &no_reply, 0, 0, NULL, "only send; wait for no reply"},
	{NULL},
};

static const struct sipc_opt_spec spec = {
	"send",
	"[OPTIONS] URL [MESSAGE...]",
	"Sends each MESSAGE (stdin as one message when none is given) as one\n"
	"message: a length-prefixed frame on streams, a datagram on datagram URLs.\n"
	"Waits for one reply per message and prints it on its own line (a newline\n"
	"is added unless the reply ends with one).  No reply: exit status 1.",
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

static void print_reply(const void *p, size_t n)
{
	fwrite(p, 1, n, stdout);
	if (n == 0 || ((const char *)p)[n - 1] != '\n')
		fputc('\n', stdout);
	fflush(stdout);
}

/* One request and its reply.  Returns 0 or a negative code. */
static int one(sipc_endpoint *ep, bool dgram, const void *msg, size_t len, void *dbuf)
{
	/* The whole wait of the datagram retries (t + 2t + 4t ...), so a
	 * stream, sent once, waits as long in all. */
	int64_t total = (int64_t)timeout_ms * ((1LL << (retries + 1)) - 1);
	int wait = total > 3600000 * 24 ? 3600000 * 24 : (int)total;
	ssize_t n;

	if (no_reply) {
		n = sipc_send(ep, msg, len, wait);
		return n < 0 ? (int)n : 0;
	}
	if (dgram) {
		n = sipc_request(ep, msg, len, dbuf, DGRAM_REPLY_MAX, timeout_ms, (int)retries);
		if (n < 0)
			return (int)n;
		print_reply(dbuf, (size_t)n);
		return 0;
	}
	void *reply = NULL;

	n = sipc_send(ep, msg, len, wait);
	if (n < 0)
		return (int)n;
	n = sipc_recv_alloc(ep, &reply, wait);
	if (n < 0)
		return (int)n;
	print_reply(reply, (size_t)n);
	free(reply);
	return 0;
}

int sipc_cmd_send(int argc, char **argv)
{
	sipc_options opts = {0};
	sipc_endpoint *ep = NULL;
	sipc_url *url = NULL;
	char *input = NULL, *urltext;
	void *dbuf = NULL;
	int nargs, rc;
	bool dgram;

	rc = sipc_opt_parse(&spec, argc, argv, &nargs);
	if (rc != SIPC__OPT_OK)
		return rc == SIPC__OPT_HELP ? SIPC_EXIT_OK : SIPC_EXIT_USAGE;
	urltext = argv[1];
	if ((rc = sipc_cli_parse_url("send", urltext, &url)) != 0)
		return rc;
	dgram = sipc_scheme_is_datagram(sipc_url_scheme(url));
	sipc_cli_lib_options(&opts);
	rc = sipc_dial_url(url, &opts, timeout_ms * (int)(retries + 1), &ep);
	if (rc < 0) {
		sipc_cli_error("send %s: %s", urltext, sipc_strerror(rc));
		rc = SIPC_EXIT_FAIL;
		goto out;
	}
	if (dgram && !no_reply && (dbuf = malloc(DGRAM_REPLY_MAX)) == NULL) {
		sipc_cli_error("send %s: %s", urltext, sipc_strerror(-ENOMEM));
		rc = SIPC_EXIT_FAIL;
		goto out;
	}
	if (nargs == 1) {
		ssize_t n = slurp_stdin(sipc_endpoint_max_msg(ep), &input);

		if (n < 0) {
			sipc_cli_error("send %s: stdin: %s", urltext, sipc_strerror((int)n));
			rc = SIPC_EXIT_FAIL;
			goto out;
		}
		rc = one(ep, dgram, input, (size_t)n, dbuf);
	} else {
		for (int i = 2; i <= nargs && rc == 0; i++)
			rc = one(ep, dgram, argv[i], strlen(argv[i]), dbuf);
	}
	if (rc == SIPC_ETIMEDOUT) {
		if (dgram)
			sipc_cli_error("send %s: no reply after %ld tries (%s)", urltext,
				       retries + 1, sipc_strerror(rc));
		else
			sipc_cli_error("send %s: no reply (%s)", urltext, sipc_strerror(rc));
		rc = SIPC_EXIT_FAIL;
	} else if (rc == SIPC_ECLOSED || rc == SIPC_EPARTIAL) {
		sipc_cli_error("send %s: no reply: %s", urltext, sipc_strerror(rc));
		rc = SIPC_EXIT_FAIL;
	} else if (rc < 0) {
		sipc_cli_error("send %s: %s", urltext, sipc_strerror(rc));
		rc = SIPC_EXIT_FAIL;
	}
out:
	free(dbuf);
	free(input);
	sipc_endpoint_close(ep);
	sipc_url_free(url);
	return rc;
}
