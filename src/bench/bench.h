/*
 * bench.h - the load generator behind `sockipc bench`: what to run
 * (struct sipc_bench_config, filled by src/cli/bench.c), what came out
 * (struct sipc_bench_result), and the two calls between them.
 *
 * sipc__bench_run starts CONFIG->threads workers, each a thread with its
 * own sipc_loop (src/loop) and its share of the connections; every socket
 * is non-blocking and driven by the loop, and nothing is allocated per
 * message: payloads are slices of one pattern buffer, send times live in a
 * per-connection ring of DEPTH slots, latencies go to a per-worker
 * histogram (hist.h) merged at the end.
 *
 * Every echoed byte is compared with what was sent.  A message whose echo
 * differs is "mismatched"; a datagram with no echo within the timeout is
 * "lost"; a reset, an early end of stream or a stall longer than the
 * timeout is an "error" and the in-flight messages of that connection are
 * "unanswered".  None of them is ever dropped from the report.
 */
#ifndef SIPC_BENCH_H
#define SIPC_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/hist.h"
#include "sockipc.h"

struct sipc_bench_config {
	const char *url_text;
	const sipc_url *url;
	long conns;               /* connections (or concurrent connect slots) */
	long depth;               /* messages in flight per connection */
	size_t size;              /* payload bytes per message */
	int duration_ms;          /* run this long (when count == 0) */
	long count;               /* exactly this many messages in all (0: duration) */
	long threads;             /* worker threads */
	bool new_conn;            /* one connection per request */
	double rate;              /* open loop: requests per second in all (0: closed) */
	bool framed;              /* streams: 4-byte length prefix per message */
	int timeout_ms;           /* datagram reply timeout; stream stall timeout */
	int progress_ms;          /* progress line period on stderr (0: none) */
	const sipc_options *opts; /* for sipc_dial (trace) */
	bool blocking;            /* one connection through the blocking calls */
	bool one_way;             /* blocking, send only, to a discard service */
	long max_batch;           /* datagrams per sendmmsg/recvmmsg (1: one
				     sendmsg and one recv each); 0: the default */
};

/* --max-batch: datagrams per system call, when the depth allows. */
#define SIPC__BENCH_MAX_BATCH_DEFAULT 64

/* Room for why a run could not start: "connect URL: reason: " and the
 * library's sentence (a TLS one names two fingerprints). */
#define SIPC__BENCH_WHY (SIPC_WHY_MAX + 192)

struct sipc_bench_result {
	uint64_t sent;       /* messages (or requests) sent */
	uint64_t echoed;     /* echoes that came back whole and equal */
	uint64_t mismatched; /* echoes that came back different */
	uint64_t lost;       /* datagrams with no echo within the timeout */
	uint64_t late;       /* datagram echoes after their timeout, or unknown */
	uint64_t unanswered; /* stream messages in flight when their
				connection failed or stalled */
	uint64_t errors;     /* resets, early ends, stalls, refused sends */
	uint64_t connects;   /* connections opened during the measurement */
	uint64_t connect_errors;
	uint64_t bytes;        /* payload bytes echoed (one way) */
	double elapsed_s;      /* from the start to the last completion */
	char first_error[512]; /* text of the first error seen, "" if none (a TLS
				  one carries its sentence) */
	struct sipc_hist hist; /* latency of echoed messages, nanoseconds */
};

/*
 * Runs the load of CFG.  Returns 0 when the run happened (its result, good
 * or bad, is in *RES) or a negative code when it could not start (the
 * first connection failed, a thread could not be made); WHY then says
 * what failed.  RES is large (the histogram): allocate it, do not put it
 * on a small stack.
 */
int sipc__bench_run(const struct sipc_bench_config *cfg, struct sipc_bench_result *res, char *why,
		    size_t whylen);

/*
 * --blocking and --one-way (blocking.c): one connection driven by the
 * library's blocking calls, which wait through the transport (shm://
 * spins there); same result and return as sipc__bench_run.
 */
int sipc__bench_run_blocking(const struct sipc_bench_config *cfg, struct sipc_bench_result *res,
			     char *why, size_t whylen);

/* True when RES shows no mismatch, loss, unanswered message or error. */
bool sipc__bench_clean(const struct sipc_bench_result *res);

/* Writes the report: text for people, or one JSON object. */
void sipc__bench_report(FILE *out, const struct sipc_bench_config *cfg,
			const struct sipc_bench_result *res, bool json);

#endif /* SIPC_BENCH_H */
