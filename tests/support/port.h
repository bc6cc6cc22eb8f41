/*
 * port.h - what the test helpers need that POSIX and Windows spell
 * differently, so that support.c and the portable tests carry no #ifdef.
 */
#ifndef SIPC_TEST_PORT_H
#define SIPC_TEST_PORT_H

#include <stdbool.h>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#endif

#include "sockipc.h"

/* The directory scratch directories go in: $TMPDIR or /tmp; on Windows
 * %TEMP% (under Wine a Windows path, not the Unix TMPDIR). */
const char *sipc_test_tmpbase(void);
/* mkdtemp(3): TMPL ends in XXXXXX, replaced by the directory made (mode
 * 0700 on POSIX); TMPL, or NULL on failure. */
char *sipc_test_mkdtemp(char *tmpl);
/* Whether this system has SCHEME at all (Windows: no unixgram, no
 * unixpacket, no shm, no TLS): a test of a scheme it lacks expects the
 * library's SIPC_ENOTSUP instead. */
bool sipc_test_have_scheme(sipc_scheme scheme);

#endif
