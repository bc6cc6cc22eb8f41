/*
 * plat.h - what the server needs from the system beyond the library's sys
 * layer (sys/sys.h) and its control events (ctlsig.h): syslog, accept's
 * spare descriptor and the words for an exec child's end.  One file per
 * system: plat_posix.c, plat_win.c (no syslog: --log is refused there
 * before this is reached), so the server's files carry no #ifdef.
 */
#ifndef SIPC_SERVE_PLAT_H
#define SIPC_SERVE_PLAT_H

#include <stdbool.h>
#include <stddef.h>

/* Points the stdio stream stderr at syslog (LOG_DAEMON, ident "sockipc"),
 * each line one message: 0, or -1. */
int sipc__serve_syslog_open(void);
/* One log line at LEVEL (0 warning, 1 info, 2 debug) to syslog. */
void sipc__serve_syslog(int level, const char *line);
/* Whether descriptor FD is a socket (inetd passes the client as 2). */
bool sipc__serve_fd_is_socket(int fd);
/* A descriptor held open so that it can be closed to accept (and refuse)
 * one connection when the process is out of descriptors; -1 when none
 * could be opened.  Closed with close(2). */
int sipc__serve_spare_fd(void);
/* Opens the file at PATH to read (not inherited by children, never
 * blocking on a FIFO): a descriptor for read(2) and close(2), or -1 with
 * errno. */
int sipc__serve_open_file(const char *path);
/* The processors online (at least 1): the default number of workers. */
int sipc__serve_ncpus(void);
/* " exit=3" or " exit=sig9": how an exec child ended, from its wait
 * status, for the close line. */
void sipc__serve_exit_text(int status, char *buf, size_t len);

#endif /* SIPC_SERVE_PLAT_H */
