/*
 * notify.h - the service manager's notification protocol (sd_notify(3)):
 * READY=1, STATUS=..., STOPPING=1 and WATCHDOG=1, each one datagram on
 * the unix socket named by $NOTIFY_SOCKET.  Process-wide: read once at
 * start, from the main thread.
 */
#ifndef SIPC_SERVE_NOTIFY_H
#define SIPC_SERVE_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reads and unsets NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID (an exec
 * child must not speak for serve).  0, also when they are not set; -1
 * with WHY when NOTIFY_SOCKET or WATCHDOG_USEC is malformed (no
 * notification is sent then).  Later calls do nothing. */
int sipc__notify_init(char *why, size_t whylen);
/* Whether there is a socket to notify. */
bool sipc__notify_enabled(void);
/* Sends TEXT ("READY=1", "STATUS=...") as one datagram; without a socket,
 * or when it cannot be sent now, nothing (the manager's own timeouts
 * tell a missing notification).  Any thread. */
void sipc__notify(const char *text);
/* How often WATCHDOG=1 is due: half of WATCHDOG_USEC, in ms; 0: never. */
int64_t sipc__notify_watchdog_ms(void);

#endif /* SIPC_SERVE_NOTIFY_H */
