/*
 * hist.h - the latency histogram of `sockipc bench`: HDR-style log-linear
 * buckets over unsigned 64-bit values (nanoseconds), so recording is O(1)
 * with no allocation, histograms of several workers merge by adding
 * counts, and every percentile read back is within a fixed relative error
 * of the true sample value.
 *
 * Values below 2^SIPC_HIST_BITS get a bucket each (exact).  Above that,
 * each power of two [2^k, 2^(k+1)) is cut into 2^(SIPC_HIST_BITS-1) equal
 * buckets, so a bucket is never wider than 1/2^(SIPC_HIST_BITS-1) of its
 * lower bound.  A percentile is reported as the bucket's midpoint (clamped
 * to the exact min and max seen), so its relative error is at most
 * SIPC_HIST_REL_ERROR = 1/2^SIPC_HIST_BITS (1/256, about 0.4%).
 *
 * Not thread-safe: one histogram per worker, merged after the workers end.
 */
#ifndef SIPC_BENCH_HIST_H
#define SIPC_BENCH_HIST_H

#include <stddef.h>
#include <stdint.h>

#define SIPC_HIST_BITS 8
#define SIPC_HIST_HALF ((size_t)1 << (SIPC_HIST_BITS - 1))
/* Buckets for the whole uint64 range: shifts 0 .. 64 - SIPC_HIST_BITS. */
#define SIPC_HIST_BUCKETS (SIPC_HIST_HALF * (66 - SIPC_HIST_BITS))
/* Bound on |reported - true| / true for any percentile. */
#define SIPC_HIST_REL_ERROR (1.0 / (double)(1u << SIPC_HIST_BITS))

struct sipc_hist {
	uint64_t count;
	uint64_t min;
	uint64_t max;
	long double sum; /* for the mean; long double keeps ns sums exact enough */
	uint64_t buckets[SIPC_HIST_BUCKETS];
};

/* Empties H (count 0). */
void sipc__hist_reset(struct sipc_hist *h);
/* Records one value. */
void sipc__hist_record(struct sipc_hist *h, uint64_t v);
/* Adds every count of FROM into INTO. */
void sipc__hist_merge(struct sipc_hist *into, const struct sipc_hist *from);
/* The value at percentile P (0..100): the smallest recorded value v such
 * that at least P% of the values are <= v, within SIPC_HIST_REL_ERROR.
 * 0 when H is empty. */
uint64_t sipc__hist_percentile(const struct sipc_hist *h, double p);
double sipc__hist_mean(const struct sipc_hist *h);

/* Bucket arithmetic, exposed for the unit test. */
size_t sipc__hist_index(uint64_t v);
/* The lowest value of bucket I and its width. */
void sipc__hist_bucket(size_t i, uint64_t *lowest, uint64_t *width);

#endif /* SIPC_BENCH_HIST_H */
