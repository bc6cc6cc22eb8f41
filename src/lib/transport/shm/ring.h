/*
 * ring.h - one direction of an shm:// connection: a single-producer,
 * single-consumer byte ring in a sealed memfd that both processes map.
 *
 * The memfd holds a header (the two positions, the wait flags, the
 * producer's end) and the data area.  Positions are byte counts that
 * only grow (64-bit, never wrap in practice); the data offset is the
 * position modulo the power-of-two size.  Each side keeps its own
 * position privately and only publishes it: the producer owns HEAD, the
 * consumer owns TAIL.
 *
 * The peer may be hostile or buggy and can write anything into the
 * shared pages at any moment.  Nothing read from them is used before it
 * is checked against this side's own copy: a consumer accepts a head only
 * when tail <= head <= tail + size, a producer accepts a tail only when
 * it lies between the last tail it accepted and its own head.  Anything
 * else is SIPC_ESHM_CORRUPT, and the connection is over; no shared value
 * ever becomes an offset or a length unchecked.  The size and layout are
 * read once, at map time, and checked against the memfd's own size and
 * seals (F_SEAL_SHRINK | F_SEAL_GROW), so a peer cannot make the other
 * side fault by truncating the file.
 *
 * Wake-ups (ring.c leaves the signalling itself to the transport): a side
 * that is about to sleep arms (sets its waiting flag, then looks again,
 * with sequentially consistent ordering between the two); the other side,
 * after it moved its position, asks whether a sleeper must be woken (and
 * clears the flag, so one wake-up is sent per sleep).  Dekker's pattern:
 * either the sleeper's second look sees the change or the mover sees the
 * flag.
 */
#ifndef SIPC_SHM_RING_H
#define SIPC_SHM_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Data area sizes a ring may have: powers of two in this range. */
#define SIPC__RING_MIN ((size_t)4096)
#define SIPC__RING_MAX ((size_t)1 << 30)
/* The default when the URL names none (ring=). */
#define SIPC__RING_DEFAULT ((size_t)256 * 1024)
/* The largest ring a peer may hand us when the URL names no ring_max=
 * (and our own ring= is not larger): the peer picks its ring's size and
 * we map all of it for the connection's life, and read pages it makes us
 * touch (shmem pages fault in as real memory), so a listener bounds what
 * each client may make it map.  64 MiB is 256 times the default: past a
 * few MiB a bigger ring buys no throughput (it only has to hold what the
 * consumer falls behind by), and 1000 clients then cost a listener at
 * most 64 GiB of address space instead of 1 TiB. */
#define SIPC__RING_PEER_MAX_DEFAULT ((size_t)64 * 1024 * 1024)

struct sipc__ring_shared; /* the layout in the memfd: ring.c */

/* One side's private view of one ring; nothing in here is shared.  Zero
 * it before sipc__ring_map (a zeroed ring is "never mapped"). */
struct sipc__ring {
	struct sipc__ring_shared *sh; /* the mapping: header, then data */
	uint8_t *data;                /* sh's data area */
	size_t size;                  /* of the data area, as checked at map */
	size_t map_len;               /* of the whole mapping */
	bool producer;
	uint64_t pos;  /* own position: head (producer) or tail (consumer) */
	uint64_t peer; /* the peer's position as last accepted */
	bool corrupt;  /* the peer wrote an impossible position: for good */
	bool closed;   /* producer: close_write was called */
	size_t ready;  /* producer: bytes of the file known allocated */
};

/*
 * Makes a memfd (close-on-exec, named NAME for /proc/PID/fd) holding an
 * empty ring with SIZE data bytes, SIZE a power of two within
 * SIPC__RING_MIN..SIPC__RING_MAX, sealed against shrinking, growing and
 * further sealing.  Returns the descriptor or -errno (-EINVAL for a bad
 * SIZE).
 */
int sipc__ring_create(size_t size, const char *name);

/*
 * sipc__ring_create, and R mapped as its producer at once (what
 * sipc__ring_map would give, without its checks of a ring made here).
 * Only the header's page is allocated: ring_write allocates the rest as
 * it first gets there (ring.c).  Returns the descriptor or -errno; R is
 * untouched on failure.
 */
int sipc__ring_create_map(struct sipc__ring *r, size_t size, const char *name);

/*
 * Maps the ring in FD (made by sipc__ring_create here or in the peer) as
 * its PRODUCER or its consumer.  Checks, before trusting anything: the
 * seals, the file's size against the header's, the magic and version,
 * the size a power of two in range, and a fresh ring (head == tail; both
 * ends start there, so both map it before the first byte is written).
 * 0, or a negative code (SIPC_ESHM_CORRUPT, -errno) with a sentence in
 * WHY; R is untouched on failure.  FD stays open (the caller may close it
 * once mapped).
 */
int sipc__ring_map(struct sipc__ring *r, int fd, bool producer, char *why, size_t whylen);

/* The bytes of the memfd that holds a ring of SIZE data bytes (header
 * included): what a peer's memfd must measure before it is mapped. */
size_t sipc__ring_file_len(size_t size);

/* Unmaps R (a ring never mapped, or already unmapped, is left alone). */
void sipc__ring_unmap(struct sipc__ring *r);

/*
 * Producer: copies up to the room there is of the bytes in IOV/IOVCNT
 * into the ring and publishes them.  Returns the bytes copied (0 when the
 * ring is full) or SIPC_ESHM_CORRUPT; -EPIPE after close_write, -EINVAL
 * on the consumer's side, -ENOMEM when the pages of its first lap cannot
 * be allocated (nothing written).  Once a ring has reported SIPC_ESHM_CORRUPT,
 * every later call on it does (reads and writes, readable, writable).
 */
ssize_t sipc__ring_write(struct sipc__ring *r, const struct iovec *iov, int iovcnt);

/*
 * Consumer: copies up to what there is into IOV/IOVCNT and releases that
 * room to the producer.  Returns the bytes copied (0 when the ring is
 * empty) or SIPC_ESHM_CORRUPT.  PEEK copies without releasing.
 */
ssize_t sipc__ring_read(struct sipc__ring *r, const struct iovec *iov, int iovcnt, bool peek);

/* Consumer: bytes ready to read; producer: room to write.  Negative
 * (SIPC_ESHM_CORRUPT) when the peer's position is impossible. */
ssize_t sipc__ring_readable(struct sipc__ring *r);
ssize_t sipc__ring_writable(struct sipc__ring *r);

/*
 * Arming before a sleep.  Consumer: true when the ring is still empty and
 * not closed after its waiting flag was set (sleep; the producer will wake
 * it), false when bytes or the end came (read them).  Producer: the same for room: true
 * when fewer than NEED bytes are free (NEED is capped at the size).
 */
bool sipc__ring_arm_reader(struct sipc__ring *r);
bool sipc__ring_arm_writer(struct sipc__ring *r, size_t need);

/* After the producer published or closed (wake_reader) or the consumer
 * released room (wake_writer): whether the other side had armed and must
 * be woken now; clears its flag.  Arm and wake each put a sequentially
 * consistent fence between their store and their look (ring.c says why);
 * a wake-up may still come when there is nothing new (the sleeper took its
 * flag back): the woken side looks again and may arm again. */
bool sipc__ring_wake_reader(struct sipc__ring *r);
/* The consumer: whether its waiting flag is still set (the producer has
 * not taken it to send a wake-up since the consumer armed). */
bool sipc__ring_reader_armed(const struct sipc__ring *r);
bool sipc__ring_wake_writer(struct sipc__ring *r);

/* Producer: no more bytes will come (shutdown_write, close); visible to
 * the consumer after every byte published before it.  Call wake_reader
 * after it, as after a write. */
void sipc__ring_close_write(struct sipc__ring *r);
/* Consumer: the producer has ended its bytes.  Once the ring is also
 * empty, that is the end of the stream: ask this first, then read, and
 * only a read that finds the ring empty after a true answer is the end
 * (the other order can miss bytes published just before the close). */
bool sipc__ring_write_closed(const struct sipc__ring *r);

#endif /* SIPC_SHM_RING_H */
