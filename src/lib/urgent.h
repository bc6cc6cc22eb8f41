/*
 * urgent.h - what the program shares with the library's urgent-data calls
 * (urgent.c): the one way an urgent byte is written as text, for the
 * --trace lines and for the `urgent: 0x41 'A'` line of connect and listen.
 */
#ifndef SIPC_URGENT_H
#define SIPC_URGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockipc.h"

/* Holds any text of sipc__urgent_text, with its NUL. */
#define SIPC__URGENT_TEXT_MAX 16

/* "0x41 'A'" for a printable ASCII byte (0x20-0x7e), "0x07" for any other:
 * a byte a peer chose never reaches a terminal or a log as it is. */
const char *sipc__urgent_text(uint8_t byte, char *buf, size_t len);

/* Whether SCHEME carries urgent data: tcp, tcp4, tcp6. */
bool sipc__urgent_scheme(sipc_scheme scheme);

/* What a reader that takes a tcp stream's urgent bytes itself does before
 * its next recv of descriptor FD (sipc__urgent_next). */
enum sipc__urgent_next {
	SIPC__URGENT_READ, /* read: it cannot start at an untaken urgent byte */
	SIPC__URGENT_TAKE, /* the urgent byte waits at the mark: take it
			      (sipc_urgent_recv), then read */
	SIPC__URGENT_WAIT, /* nothing to read, or the mark came without its
			      byte: wait for POLLIN or POLLPRI */
};

/*
 * A recv that starts at the mark moves past an urgent byte not taken yet,
 * and Linux drops the byte.  SIOCATMARK and then the read leave a window:
 * with every byte before the mark read, the urgent segment can land
 * between the two, right where the read starts.  So this peeks first: a
 * byte queued before the SIOCATMARK cannot turn out to be the urgent one
 * after it (the kernel handles a segment's urgent pointer before it queues
 * the data), so once the peek found a byte and the mark is not here, the
 * read starts before any mark, and stops there.  Two untraced calls (three
 * at the mark).  A splice never moves past the mark and needs none of it.
 */
enum sipc__urgent_next sipc__urgent_next(int fd);

#endif /* SIPC_URGENT_H */
