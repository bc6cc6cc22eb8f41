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

#endif /* SIPC_URGENT_H */
