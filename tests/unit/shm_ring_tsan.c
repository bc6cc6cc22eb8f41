/*
 * shm_ring_tsan.c - test_shm_ring_tsan: the threaded ring stress
 * (shm_ring_stress.c) built with ring.c under ThreadSanitizer, which
 * reports any access of the two sides to the same bytes that the ring's
 * atomics do not order.  Both sides share one mapping, since TSan follows
 * memory by address.  Exit 0 when every byte came in order and TSan
 * (halt_on_error, set by CTest) found nothing.
 */
#include <stdio.h>
#include <stdlib.h>

#include "shm_ring_stress.h"

int main(void)
{
	static const size_t chunks[] = {4096, 64, 1000, 1};
	const char *env = getenv("SIPC_TEST_SCALE");
	int scale = env && atoi(env) > 1 ? atoi(env) : 1;
	size_t i;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		struct ring_stress s = {0};

		s.ring_size = 4096;
		s.chunk = chunks[i];
		/* Smaller writes are slower under TSan: keep each run short. */
		s.total = chunks[i] >= 1000 ? (uint64_t)64 << 20
			  : chunks[i] > 1   ? (uint64_t)16 << 20
					    : (uint64_t)1 << 20;
		s.one_mapping = true;
		/* TSan slows everything about tenfold; a lost wake-up is still
		 * a wait that never ends. */
		s.wait_ms = 60000 * scale;
		s.deadline_ms = 240000 * scale;
		if (ring_stress_run(&s) != 0) {
			fprintf(stderr, "test_shm_ring_tsan: %zu-byte writes: %s\n", s.chunk,
				s.why);
			return 1;
		}
		printf("%llu bytes in %zu-byte writes: %.3f s, %llu reader and %llu writer "
		       "sleeps\n",
		       (unsigned long long)s.total, s.chunk, s.seconds,
		       (unsigned long long)s.reader_sleeps, (unsigned long long)s.writer_sleeps);
	}
	return 0;
}
