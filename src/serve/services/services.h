/*
 * services.h - the services of src/serve/services, one file each, named
 * by the table in table.c; and the pure helpers behind chargen, daytime
 * and time, exposed for the unit tests.
 */
#ifndef SIPC_SERVE_SERVICES_H
#define SIPC_SERVE_SERVICES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "serve/service.h"

extern const struct sipc_service sipc__svc_echo;
extern const struct sipc_service sipc__svc_discard;
extern const struct sipc_service sipc__svc_chargen;
extern const struct sipc_service sipc__svc_daytime;
extern const struct sipc_service sipc__svc_time;

/* RFC 864: 72 pattern characters then CR LF. */
#define SIPC_CHARGEN_WIDTH 72
#define SIPC_CHARGEN_LINE  74
/* The 95 printing characters of the ring. */
#define SIPC_CHARGEN_RING 95

/* The character at position K of RFC 864's ring: '!' (33) first, then
 * '"' ... '~' (126), then ' ' (32) last. */
char sipc__chargen_ring(unsigned k);
/* Writes LEN bytes of the chargen stream starting at byte OFFSET of the
 * stream (line 0 begins at offset 0). */
void sipc__chargen_fill(uint64_t offset, uint8_t *buf, size_t len);

/* RFC 867 in xinetd's format: "DD MON YYYY HH:MM:SS ZONE\r\n" in local
 * time (TZ).  Returns the length written (without NUL), 0 if LEN is too
 * small. */
size_t sipc__daytime_format(time_t t, char *buf, size_t len);

/* RFC 868: seconds since 1900-01-01 00:00 UTC, modulo 2^32. */
uint32_t sipc__time_since_1900(time_t t);

#endif /* SIPC_SERVE_SERVICES_H */
