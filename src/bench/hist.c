/*
 * hist.c - the log-linear latency histogram of hist.h.  The index of a
 * value is computed from its highest set bit with one shift and one add
 * (the scheme of HdrHistogram), so recording a latency costs a few
 * instructions and never allocates; percentiles walk the cumulative counts.
 */
#include "bench/hist.h"

#include <string.h>

void sipc__hist_reset(struct sipc_hist *h)
{
	memset(h, 0, sizeof *h);
	h->min = UINT64_MAX;
}

size_t sipc__hist_index(uint64_t v)
{
	unsigned msb, shift;

	if (v < ((uint64_t)1 << SIPC_HIST_BITS))
		return (size_t)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	shift = msb - (SIPC_HIST_BITS - 1);
	/* v >> shift lies in [HALF, 2 * HALF): the sub-bucket of its octave. */
	return (size_t)shift * SIPC_HIST_HALF + (size_t)(v >> shift);
}

void sipc__hist_bucket(size_t i, uint64_t *lowest, uint64_t *width)
{
	size_t shift;

	if (i < ((size_t)1 << SIPC_HIST_BITS)) {
		*lowest = i;
		*width = 1;
		return;
	}
	shift = i / SIPC_HIST_HALF - 1;
	*lowest = (uint64_t)(i - shift * SIPC_HIST_HALF) << shift;
	*width = (uint64_t)1 << shift;
}

void sipc__hist_record(struct sipc_hist *h, uint64_t v)
{
	h->buckets[sipc__hist_index(v)]++;
	h->count++;
	h->sum += (long double)v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void sipc__hist_merge(struct sipc_hist *into, const struct sipc_hist *from)
{
	if (from->count == 0)
		return;
	for (size_t i = 0; i < SIPC_HIST_BUCKETS; i++)
		into->buckets[i] += from->buckets[i];
	into->count += from->count;
	into->sum += from->sum;
	if (from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
}

uint64_t sipc__hist_percentile(const struct sipc_hist *h, double p)
{
	uint64_t rank, seen = 0, lowest, width, v;

	if (h->count == 0)
		return 0;
	if (p <= 0)
		return h->min;
	if (p >= 100)
		return h->max;
	/* The rank of the sample at P, counted from 1 (nearest-rank method). */
	rank = (uint64_t)((p / 100.0) * (double)h->count + 0.999999999);
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	for (size_t i = 0; i < SIPC_HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen < rank)
			continue;
		sipc__hist_bucket(i, &lowest, &width);
		v = lowest + (width - 1) / 2;
		if (v < h->min)
			v = h->min;
		if (v > h->max)
			v = h->max;
		return v;
	}
	return h->max;
}

double sipc__hist_mean(const struct sipc_hist *h)
{
	return h->count ? (double)(h->sum / (long double)h->count) : 0.0;
}
