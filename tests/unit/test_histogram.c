/*
 * test_histogram.c - the latency histogram of src/bench: bucket arithmetic
 * round-trips, and percentiles of known distributions (uniform, constant,
 * exponential-like, a wide log-uniform spread, merged halves) come back
 * within the stated relative error of the exact order statistic.
 */
#include "support.h"

#include <math.h>
#include <stdlib.h>

#include "bench/hist.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The exact nearest-rank percentile of sorted V. */
static uint64_t exact(const uint64_t *v, size_t n, double p)
{
	size_t rank = (size_t)ceil(p / 100.0 * (double)n);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

static void check_all(const struct sipc_hist *h, uint64_t *v, size_t n)
{
	static const double ps[] = {1, 10, 25, 50, 75, 90, 99, 99.9, 99.99};

	qsort(v, n, sizeof *v, cmp_u64);
	assert_int_equal(h->count, n);
	assert_int_equal(h->min, v[0]);
	assert_int_equal(h->max, v[n - 1]);
	assert_int_equal(sipc__hist_percentile(h, 100), v[n - 1]);
	assert_int_equal(sipc__hist_percentile(h, 0), v[0]);
	for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
		double want = (double)exact(v, n, ps[i]);
		double got = (double)sipc__hist_percentile(h, ps[i]);

		if (fabs(got - want) > want * SIPC_HIST_REL_ERROR + 0.5)
			fail_msg("p%g: got %.0f want %.0f (error %.5f > %.5f)", ps[i], got, want,
				 fabs(got - want) / want, SIPC_HIST_REL_ERROR);
	}
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_buckets(void **state)
{
	uint64_t lo, width, v;

	(void)state;
	/* Every bucket's lowest value maps back to it, and the value just
	 * below maps to the bucket before. */
	for (size_t i = 1; i < SIPC_HIST_BUCKETS; i++) {
		sipc__hist_bucket(i, &lo, &width);
		assert_int_equal(sipc__hist_index(lo), i);
		assert_int_equal(sipc__hist_index(lo - 1), i - 1);
		assert_int_equal(sipc__hist_index(lo + width - 1), i);
		/* No bucket is wider than REL_ERROR * 2 of its lowest value. */
		assert_true((double)width <= (double)lo * 2 * SIPC_HIST_REL_ERROR || width == 1);
	}
	assert_true(sipc__hist_index(UINT64_MAX) < SIPC_HIST_BUCKETS);
	for (int i = 0; i < 100000; i++) {
		v = rnd() >> (rnd() % 64);
		size_t idx = sipc__hist_index(v);
		sipc__hist_bucket(idx, &lo, &width);
		assert_true(v >= lo && v - lo < width);
	}
}

static void test_uniform(void **state)
{
	static struct sipc_hist h;
	size_t n = 200000;
	uint64_t *v = malloc(n * sizeof *v);

	(void)state;
	sipc__hist_reset(&h);
	for (size_t i = 0; i < n; i++) {
		v[i] = 1000 + rnd() % 1000000; /* 1 us .. 1 ms in ns */
		sipc__hist_record(&h, v[i]);
	}
	check_all(&h, v, n);
	/* Uniform over [1000, 1001000): the median is near 501000. */
	assert_true(llabs((long long)sipc__hist_percentile(&h, 50) - 501000) < 501000 / 50);
	free(v);
}

static void test_constant_and_small(void **state)
{
	static struct sipc_hist h;
	uint64_t v[300];

	(void)state;
	sipc__hist_reset(&h);
	assert_int_equal(sipc__hist_percentile(&h, 50), 0);
	for (size_t i = 0; i < 300; i++) {
		v[i] = 123456789;
		sipc__hist_record(&h, v[i]);
	}
	/* Clamping to the exact min and max gives a constant back exactly. */
	assert_int_equal(sipc__hist_percentile(&h, 50), 123456789);
	assert_int_equal(sipc__hist_percentile(&h, 99.9), 123456789);
	sipc__hist_reset(&h);
	for (size_t i = 0; i < 300; i++) {
		v[i] = i % 200; /* below 2^BITS: exact buckets */
		sipc__hist_record(&h, v[i]);
	}
	check_all(&h, v, 300);
	/* 0..99 twice, then 100..199: the 150th of 300 is 74. */
	assert_int_equal(sipc__hist_percentile(&h, 50), 74);
}

static void test_exponential_and_wide(void **state)
{
	static struct sipc_hist h;
	size_t n = 100000;
	uint64_t *v = malloc(n * sizeof *v);

	(void)state;
	sipc__hist_reset(&h);
	for (size_t i = 0; i < n; i++) {
		double u = ((double)(rnd() >> 11) + 0.5) / 9007199254740992.0;
		v[i] = (uint64_t)(-log(u) * 20000.0) + 5000; /* tail like a latency */
		sipc__hist_record(&h, v[i]);
	}
	check_all(&h, v, n);
	sipc__hist_reset(&h);
	for (size_t i = 0; i < n; i++) {
		v[i] = (rnd() % 1000000 + 1) << (rnd() % 40); /* 1 ns .. hours */
		sipc__hist_record(&h, v[i]);
	}
	check_all(&h, v, n);
	free(v);
}

static void test_merge(void **state)
{
	static struct sipc_hist a, b;
	size_t n = 50000;
	uint64_t *v = malloc(2 * n * sizeof *v);

	(void)state;
	sipc__hist_reset(&a);
	sipc__hist_reset(&b);
	for (size_t i = 0; i < 2 * n; i++) {
		v[i] = i < n ? 10000 + rnd() % 5000 : 50000 + rnd() % 100000;
		sipc__hist_record(i < n ? &a : &b, v[i]);
	}
	sipc__hist_merge(&a, &b);
	check_all(&a, v, 2 * n);
	/* The mean of the merged values is the mean of both halves. */
	double sum = 0;
	for (size_t i = 0; i < 2 * n; i++)
		sum += (double)v[i];
	assert_true(fabs(sipc__hist_mean(&a) - sum / (double)(2 * n)) < 1.0);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_constant_and_small),
		cmocka_unit_test(test_exponential_and_wide),
		cmocka_unit_test(test_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
