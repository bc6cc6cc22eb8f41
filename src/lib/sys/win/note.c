/*
 * note.c - sys.h's note on Windows, which has no eventfd: a socket pair
 * (pair.c), one byte sent per post and every byte received to clear.  A
 * full pair only means that wake-ups are pending already.
 */
#include "sys/win/win.h"

#include <stdint.h>

int sipc__sys_note_open(struct sipc__sys_note *n)
{
	int sv[2];
	int err = sipc__sys_socketpair(sv);

	if (err < 0) {
		n->rd = n->wr = -1;
		return err;
	}
	n->rd = sv[0];
	n->wr = sv[1];
	return 0;
}

void sipc__sys_note_post(const struct sipc__sys_note *n)
{
	char one = 1;

	send(SIPC__SOCK(n->wr), &one, 1, 0);
}

void sipc__sys_note_clear(const struct sipc__sys_note *n)
{
	char buf[256];

	/* Bounded: posts made while this reads are left for the next wake. */
	for (int i = 0; i < 64; i++)
		if (recv(SIPC__SOCK(n->rd), buf, sizeof(buf), 0) < (int)sizeof(buf))
			return;
}

void sipc__sys_note_close(struct sipc__sys_note *n)
{
	if (n->rd >= 0)
		closesocket(SIPC__SOCK(n->rd));
	if (n->wr >= 0)
		closesocket(SIPC__SOCK(n->wr));
	n->rd = n->wr = -1;
}
