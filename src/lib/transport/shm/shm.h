/*
 * shm.h - the inside of an shm:// connection, shared by the files of
 * transport/shm/: shm.c (the table, attach), handshake.c (the exchange of
 * the rings over the rendezvous socket) and conn.c (the connection I/O on
 * the rings).
 *
 * The rendezvous unix stream socket stays ep->fd for the connection's
 * whole life: peer credentials, addresses, --allow-uid and every poll loop
 * work on it as on unix://.  After the handshake every byte on it is a
 * wake-up: one byte that the peer sends when it published bytes this side
 * armed for, or released room this side armed for.  Its end (EOF, HUP) is
 * the peer's end, clean or killed: the kernel closes a dead process's
 * socket, so a survivor never hangs on a ring nobody writes.
 */
#ifndef SIPC_SHM_H
#define SIPC_SHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"
#include "spin.h"
#include "transport/shm/ring.h"

/* The hello each side sends, with its TX ring's memfd (SCM_RIGHTS); then
 * each sends one byte, SIPC__SHM_ACK, once it has mapped the peer's ring,
 * and writes nothing into its own before the peer's byte came (ring.c maps
 * only a fresh ring). */
#define SIPC__SHM_ACK     'M'
#define SIPC__SHM_MAGIC   "SIPCSHM1"
#define SIPC__SHM_VERSION 1u
#define SIPC__SHM_HELLO   32 /* bytes on the wire */

/* The default spin budget (adaptive up to this, microseconds). */
#define SIPC__SHM_SPIN_DEFAULT 50

enum sipc__shm_hs {
	SIPC__SHM_HS_SEND, /* our hello (and ring) still to make or send */
	SIPC__SHM_HS_RECV, /* waiting for the peer's hello (where accepted sides start) */
	SIPC__SHM_HS_ACK,  /* the peer's ring mapped: our "mapped" byte to send (with our
			    * hello, on an accepted side) */
	SIPC__SHM_HS_WAIT, /* waiting for the peer's "mapped" byte */
	SIPC__SHM_HS_DONE, /* both rings mapped on both sides */
};

struct sipc__shm_conn {
	enum sipc__shm_hs hs;
	struct sipc__ring tx, rx;
	int tx_fd;                          /* our memfd until sent, else -1 */
	size_t ring_size;                   /* of our TX ring */
	uint8_t hello_out[SIPC__SHM_HELLO]; /* ours */
	size_t out_sent;                    /* of hello_out */
	uint8_t hello_in[SIPC__SHM_HELLO];  /* the peer's, as it comes */
	size_t in_have;                     /* of hello_in */
	int rx_fd;                          /* the peer's memfd until mapped */
	long spin_max;                      /* us; 0 never, -1 always */
	bool adaptive;                      /* spin_max not from the URL */
	struct sipc__spin spin;             /* wait()'s budget (spin.h) */
	bool blocking;  /* the caller waits in wait(), not in its own poll: wait() arms */
	bool polled;    /* the caller's loop spins (ready()) and asks want() before it sleeps */
	bool rx_armed;  /* we armed our reader flag (arm_rx) and took no wake-up since */
	size_t need;    /* room the last blocked send wanted */
	bool peer_end;  /* the socket said EOF or HUP */
	bool wr_closed; /* our shutdown_write */
	bool tx_closed; /* ...passed on to the ring */
	int fatal;      /* sticky: corrupt ring, bad hello */
	int rx_seals;   /* of the peer's memfd, for --trace */
	int send_err;   /* our hello could not go (EPIPE): said after the peer's */
};

static inline struct sipc__shm_conn *sipc__shm_of(const sipc_endpoint *ep)
{
	return ep->tp_state;
}

/* handshake.c: one step that does not block: 0 once done, -EAGAIN
 * (sipc__shm_hs_want says on what), or a code with a sentence in
 * ep->why. */
int sipc__shm_hs_step(sipc_endpoint *ep, struct sipc__shm_conn *c);
short sipc__shm_hs_want(const struct sipc__shm_conn *c);

/* shm.c: ring= and spin= of ep->sockopts into C, when the handshake
 * starts. */
void sipc__shm_options(const sipc_endpoint *ep, struct sipc__shm_conn *c);

/* shm.c: the largest ring this side maps for the peer: ring_max= of
 * ep->sockopts, or SIPC__RING_PEER_MAX_DEFAULT (our own ring= when that
 * is larger). */
size_t sipc__shm_ring_max(const sipc_endpoint *ep);

/* handshake.c: checks the peer's hello H (SIPC__SHM_HELLO bytes) and the
 * descriptor FD that came with it (-1: none) before anything is mapped:
 * magic and version, a ring size that is a power of two in range and at
 * most RING_MAX, FD a memfd sealed against shrinking and growing whose
 * size is that ring's.  0 with the ring size in *SIZE and the memfd's
 * seals in *SEALS, or SIPC_ESHM_HANDSHAKE with a sentence in WHY.  Maps
 * nothing, closes nothing (FD stays the caller's); no socket needed, so
 * tests/fuzz/fuzz_shm_hello.c calls it directly. */
int sipc__shm_hello_check(const uint8_t *h, int fd, size_t ring_max, size_t *size, int *seals,
			  char *why, size_t whylen);

/* conn.c: the connection I/O. */
extern const struct sipc__conn_ops sipc__conn_ops_shm;

#endif /* SIPC_SHM_H */
