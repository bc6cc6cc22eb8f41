/*
 * blocking.c - `sockipc bench --blocking` and `--one-way`: one connection
 * driven by the library's blocking calls (sipc_write_all, sipc_read_exact,
 * sipc_read) instead of the event loop of worker.c.  A blocking call waits
 * through the transport's own wait (transport.h): that is where shm://
 * spins (spin=), which an epoll loop never reaches, so this is how a
 * program that blocks in the library sees each transport.
 *
 * --blocking: a closed loop at depth 1, every echo compared with what was
 * sent, each round trip timed into the histogram.
 *
 * --one-way: S-byte messages sent back to back for the duration (or
 * --count), then our write side is shut and the run ends when the peer
 * closes: a discard service that reads every byte and closes at the end of
 * the stream.  The elapsed time runs to the peer's close, so the bytes
 * counted were all read by the consumer, not merely queued.  Nothing comes
 * back to compare: any byte the peer sends is an error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench.h"

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void note(struct sipc_bench_result *res, const char *what, ssize_t code,
		 const sipc_endpoint *ep)
{
	const char *why = ep != NULL ? sipc_endpoint_why(ep) : NULL;

	res->errors++;
	if (res->first_error[0] == '\0')
		snprintf(res->first_error, sizeof res->first_error, "%s: %s%s%s", what,
			 sipc_strerror((int)code), why ? ": " : "", why ? why : "");
}

/* True while the run should go on after N messages. */
static bool more(const struct sipc_bench_config *cfg, uint64_t n, int64_t t_end)
{
	if (cfg->count > 0)
		return n < (uint64_t)cfg->count;
	/* The clock is read every 16 messages: at 64 B that is a few
	 * microseconds late at most, and costs nothing per message. */
	return (n & 15) != 0 || now_ns() < t_end;
}

static void ping_pong(const struct sipc_bench_config *cfg, sipc_endpoint *ep, bool stream,
		      const uint8_t *pattern, uint8_t *buf, struct sipc_bench_result *res)
{
	int64_t t0 = now_ns(), t_end = t0 + (int64_t)cfg->duration_ms * 1000000, last = t0;
	int tmo = cfg->timeout_ms;

	for (uint64_t n = 0; more(cfg, n, t_end); n++) {
		/* Each message a different slice of the pattern: an echo of
		 * an older message is caught. */
		const uint8_t *out = pattern + (n % 251);
		int64_t t = now_ns();
		ssize_t r = sipc_write_all(ep, out, cfg->size, tmo);

		if (r < 0) {
			note(res, "send", r, ep);
			break;
		}
		res->sent++;
		r = stream ? sipc_read_exact(ep, buf, cfg->size, tmo)
			   : sipc_read(ep, buf, cfg->size + 1, tmo);
		if (r < 0) {
			res->unanswered++;
			note(res, "receive", r, ep);
			break;
		}
		last = now_ns();
		if ((size_t)r != cfg->size || memcmp(buf, out, cfg->size) != 0) {
			res->mismatched++;
			continue;
		}
		res->echoed++;
		res->bytes += cfg->size;
		sipc__hist_record(&res->hist, (uint64_t)(last - t));
	}
	res->elapsed_s = (double)(last - t0) / 1e9;
}

static void one_way(const struct sipc_bench_config *cfg, sipc_endpoint *ep, const uint8_t *pattern,
		    uint8_t *buf, struct sipc_bench_result *res)
{
	int64_t t0 = now_ns(), t_end = t0 + (int64_t)cfg->duration_ms * 1000000;
	int tmo = cfg->timeout_ms;
	uint64_t n = 0;
	ssize_t r;

	for (; more(cfg, n, t_end); n++) {
		r = sipc_write_all(ep, pattern + (n % 251), cfg->size, tmo);
		if (r < 0) {
			note(res, "send", r, ep);
			res->elapsed_s = (double)(now_ns() - t0) / 1e9;
			return;
		}
	}
	res->sent = n;
	r = sipc_shutdown_write(ep);
	if (r < 0) {
		note(res, "shutdown", r, ep);
		return;
	}
	/* The consumer closes once it has read the last byte. */
	r = sipc_read(ep, buf, cfg->size + 1, tmo);
	res->elapsed_s = (double)(now_ns() - t0) / 1e9;
	if (r == 0 || r == SIPC_ECLOSED) {
		res->echoed = n;
		res->bytes = n * cfg->size;
	} else if (r > 0) {
		res->unanswered = n;
		note(res, "one-way: the peer sent bytes (not a discard service?)", -EPROTO, NULL);
	} else {
		res->unanswered = n;
		note(res, "waiting for the consumer's end", r, ep);
	}
}

int sipc__bench_run_blocking(const struct sipc_bench_config *cfg, struct sipc_bench_result *res,
			     char *why, size_t whylen)
{
	sipc_scheme scheme = sipc_url_scheme(cfg->url);
	sipc_endpoint *ep = NULL;
	uint8_t *pattern, *buf;
	uint32_t x = 2463534242u;
	int rc;

	memset(res, 0, sizeof *res);
	sipc__hist_reset(&res->hist);
	pattern = malloc(cfg->size + 256);
	buf = malloc(cfg->size + 1);
	if (pattern == NULL || buf == NULL) {
		free(pattern);
		free(buf);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->size + 256; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		pattern[i] = (uint8_t)(x >> 11);
	}
	rc = sipc_dial_url(cfg->url, cfg->opts, cfg->timeout_ms, &ep);
	if (rc < 0) {
		snprintf(why, whylen, "connect %s: %s", cfg->url_text, sipc_strerror(rc));
		goto out;
	}
	res->connects = 1;
	if (cfg->one_way)
		one_way(cfg, ep, pattern, buf, res);
	else
		ping_pong(cfg, ep, sipc_scheme_is_stream(scheme), pattern, buf, res);
	sipc_endpoint_close(ep);
	rc = 0;
out:
	free(pattern);
	free(buf);
	return rc;
}
