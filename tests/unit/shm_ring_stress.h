/*
 * shm_ring_stress.h - a producer thread and a consumer pushing a counted
 * byte pattern through one ring, with the ring's arm/wake protocol and an
 * eventfd per direction as the doorbell.  Shared by test_shm_ring (plain
 * and ASan builds) and test_shm_ring_tsan (ThreadSanitizer), so it needs
 * nothing but ring.c and libc.
 */
#ifndef SIPC_TEST_SHM_RING_STRESS_H
#define SIPC_TEST_SHM_RING_STRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ring_stress {
	size_t ring_size;   /* data area of the ring */
	size_t chunk;       /* bytes per write (the consumer reads other sizes) */
	uint64_t total;     /* bytes to send */
	bool one_mapping;   /* both sides share one mapping (what TSan can follow)
			       instead of each mapping the memfd itself */
	bool fork_producer; /* the producer is a child process with its own
			      mapping (inherited), as shm:// peers are */
	int wait_ms;        /* longest a side may wait for one wake-up */
	int deadline_ms;    /* for the whole run */
	/* Results. */
	double seconds;
	uint64_t reader_sleeps, writer_sleeps;
	char why[256]; /* what went wrong, when ring_stress_run fails */
};

/* Runs S; 0 when every byte arrived in order, -1 with S->why otherwise. */
int ring_stress_run(struct ring_stress *s);

#endif
