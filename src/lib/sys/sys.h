/*
 * sys.h - the one place raw system calls live.
 *
 * Everything above this layer gets descriptors that are born close-on-exec
 * and non-blocking, sends that never raise SIGPIPE, calls that retry EINTR,
 * and waits bounded by a CLOCK_MONOTONIC deadline.  Errors come back as
 * -errno captured right after the failing call.  Linux-only calls (accept4,
 * splice, SO_PEERCRED) stay here so a port adds files, not #ifdefs: the
 * POSIX implementation is sys/posix/, the WinSock one sys/win/ (which maps
 * WSAGetLastError() onto the same errno names, and a SOCKET onto the int
 * descriptor: Windows keeps socket handles within 32 bits, so the
 * truncation loses nothing and -1 stays INVALID_SOCKET).
 */
#ifndef SIPC_SYS_H
#define SIPC_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockipc.h"
#include "sys/net.h"

/* ---- deadline.c and clock.c: deadlines in milliseconds on a monotonic
 * clock (CLOCK_MONOTONIC; GetTickCount64 on Windows) ---- */

/* A deadline that never comes (timeout -1). */
#define SIPC__NEVER INT64_MAX

int64_t sipc__now_ms(void);
/* Absolute deadline for a timeout: -1 (or any negative) gives SIPC__NEVER,
 * 0 gives now (poll once, do not block). */
int64_t sipc__deadline(int timeout_ms);
/* Milliseconds left before DEADLINE as a poll() timeout: -1 for
 * SIPC__NEVER, 0 once it has passed. */
int sipc__deadline_left(int64_t deadline);

/* ---- io.c: one attempt each, EINTR retried, -EAGAIN passed up ---- */

/* Waits until FD is ready for EVENTS (POLLIN/POLLOUT) or DEADLINE passes.
 * Returns the revents (> 0), SIPC_ETIMEDOUT, or -errno.  EINTR recomputes
 * what is left of the deadline. */
int sipc__sys_wait(int fd, short events, int64_t deadline);

/* send/sendmsg always add MSG_NOSIGNAL. */
ssize_t sipc__sys_send(int fd, const void *buf, size_t len, int flags);
ssize_t sipc__sys_recv(int fd, void *buf, size_t len, int flags);
ssize_t sipc__sys_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t sipc__sys_recvmsg(int fd, struct msghdr *msg, int flags);
/* sendmmsg/recvmmsg (Linux): the number of messages moved (each one's
 * msg_len set), or -errno when the first could not move.  sendmmsg adds
 * MSG_NOSIGNAL. */
int sipc__sys_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int flags);
int sipc__sys_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int flags);
/* Plain read/write, for pipes, files and terminals. */
ssize_t sipc__sys_read(int fd, void *buf, size_t len);
ssize_t sipc__sys_write(int fd, const void *buf, size_t len);

/* sockatmark(3): 1 when the next byte to read is the one after TCP's
 * urgent mark, 0 when not, or -errno. */
int sipc__sys_atmark(int fd);

/* ---- sock.c: socket lifecycle ---- */

/* socket() with SOCK_CLOEXEC | SOCK_NONBLOCK. */
int sipc__sys_socket(int family, int type);
/* accept4() with SOCK_CLOEXEC | SOCK_NONBLOCK; EINTR and ECONNABORTED
 * retried; -EAGAIN when nothing is pending. */
int sipc__sys_accept(int fd, struct sockaddr *sa, socklen_t *len);
/* Non-blocking connect that waits until DEADLINE and reads SO_ERROR. */
int sipc__sys_connect(int fd, const struct sockaddr *sa, socklen_t len, int64_t deadline);
/* connect() that does not wait: 0 when connected at once, -EINPROGRESS
 * while it goes on (then wait for POLLOUT and read sipc__sys_so_error),
 * or -errno (-EAGAIN: a unix listener's backlog is full, on Linux). */
int sipc__sys_connect_start(int fd, const struct sockaddr *sa, socklen_t len);
/* The pending error of FD (SO_ERROR, a finished non-blocking connect's
 * result): 0, or -errno (WinSock's code mapped as everywhere else). */
int sipc__sys_so_error(int fd);
/* close(); never retried on EINTR (Linux has released the descriptor). */
int sipc__sys_close(int fd);
int sipc__sys_set_nonblock(int fd, bool on);
int sipc__sys_set_cloexec(int fd);
int sipc__sys_setsockopt_int(int fd, int level, int name, int value);
int sipc__sys_getsockopt_int(int fd, int level, int name, int *value);
/* setsockopt/getsockopt of any value (a struct linger, an interface
 * name, a group_req): 0 or -errno; LEN is in/out for the get. */
int sipc__sys_setsockopt(int fd, int level, int name, const void *value, socklen_t len);
int sipc__sys_getsockopt(int fd, int level, int name, void *value, socklen_t *len);
/* The peer's pid, uid and gid on a connected unix socket (SO_PEERCRED);
 * SIPC_ENOTSUP where the system has no such thing. */
int sipc__sys_peercred(int fd, sipc_cred *out);
/* bind, listen, shutdown, getsockname, getpeername: 0 or -errno. */
int sipc__sys_bind(int fd, const struct sockaddr *sa, socklen_t len);
int sipc__sys_listen(int fd, int backlog);
int sipc__sys_shutdown(int fd, int how);
int sipc__sys_getsockname(int fd, struct sockaddr *sa, socklen_t *len);
int sipc__sys_getpeername(int fd, struct sockaddr *sa, socklen_t *len);

/* ---- netdb.c: names, services and error texts ---- */

/* The system's text for errno value ERR (> 0): static, unlocalised,
 * thread-safe; NULL for a value it has no text for. */
const char *sipc__sys_errtext(int err);
/* The errno name of ERR ("ECONNREFUSED"), as strace prints it; NULL for a
 * value it has no name for. */
const char *sipc__sys_errname(int err);

/* getaddrinfo(3) as the system has it (WinSock needs its start-up first,
 * which this makes); its EAI_ code as it is, errno set for EAI_SYSTEM. */
int sipc__sys_getaddrinfo(const char *host, const char *service, const struct addrinfo *hints,
			  struct addrinfo **res);
/* The port (host order) of service NAME for PROTO ("tcp", "udp") in the
 * services database, or -1 when it has none; thread-safe. */
int sipc__sys_service_port(const char *name, const char *proto);

/* ---- file.c: the socket files of unix:// names ---- */

/* Which file a path names, to tell later whether it is still that one. */
struct sipc__file_id {
	uint64_t dev, ino;
};
/* Whether PATH (not followed if a symbolic link) is a socket file: 0 with
 * its identity in *ID (may be NULL), -ENOTSOCK when something else is
 * there, or -errno (-ENOENT). */
int sipc__sys_sockfile(const char *path, struct sipc__file_id *id);
/* unlink(2): 0 or -errno. */
int sipc__sys_unlink(const char *path);
/* chmod(2) of a socket file to MODE: 0 or -errno; SIPC_ENOTSUP where
 * socket files have no such permission bits. */
int sipc__sys_chmod(const char *path, unsigned mode);

/* ---- tcpinfo.c ---- */

/* The bytes a TCP socket received and sent (sent: acknowledged plus still
 * queued), without the FINs; 0 or -errno (not TCP, or a kernel before 4.2:
 * -ENOPROTOOPT). */
int sipc__sys_tcp_bytes(int fd, uint64_t *in, uint64_t *out);

/* ---- pair.c: what a poll(2) loop needs (src/loop/backend_poll.c) ---- */

/* poll(2) over N descriptors (WSAPoll on Windows, which refuses POLLPRI:
 * it is taken out of the events there).  The number ready, 0 on timeout,
 * or -errno; EINTR is passed up as -EINTR (the caller's turn ends), not
 * retried. */
int sipc__sys_poll(struct pollfd *fds, size_t n, int timeout_ms);
/* A connected SOCK_STREAM pair, both ends close-on-exec and non-blocking:
 * socketpair(AF_UNIX) on POSIX; on Windows a loopback TCP connection whose
 * accepted end is checked to be the connecting socket's peer (no other
 * local process can slip in).  0 or -errno. */
int sipc__sys_socketpair(int sv[2]);

/* ---- splice.c: zero-copy relay where the kernel has it ---- */

/* Whether sipc__sys_splice can work at all on this build. */
bool sipc__sys_have_splice(void);
/* splice(2) with SPLICE_F_MOVE | SPLICE_F_NONBLOCK; -ENOSYS where absent. */
ssize_t sipc__sys_splice(int fd_in, int fd_out, size_t len);
/* A pipe to splice through (pipe2, close-on-exec, non-blocking) of SIZE
 * bytes if the kernel allows, else of FALLBACK, else its default; its
 * capacity in *CAP.  0 or -errno; -ENOSYS where splice is absent. */
int sipc__sys_splice_pipe(int p[2], size_t size, size_t fallback, size_t *cap);
/* Resizes the pipe of FD to SIZE bytes (data in it stays); its capacity
 * in *CAP.  0 or -errno (-EPERM: past pipe-max-size or the user's
 * pipe-user-pages-soft, for an unprivileged user). */
int sipc__sys_pipe_grow(int fd, size_t size, size_t *cap);
/* The bytes of pipe buffers an unprivileged user may have before new
 * pipes are cut to two pages (fs.pipe-user-pages-soft); 0 if unknown or
 * unlimited. */
size_t sipc__sys_pipe_soft_bytes(void);

/* ---- note.c: one thread tells a loop's thread that something waits ---- */

/* A descriptor a loop watches for SIPC_LOOP_IN that any thread (or a
 * signal or console handler) makes readable: an eventfd on Linux, a
 * socket pair on Windows.  Many posts before a clear become one wake-up. */
struct sipc__sys_note {
	int rd; /* watched; read by sipc__sys_note_clear */
	int wr; /* written by sipc__sys_note_post (rd itself on Linux) */
};
/* 0, or -errno with both ends -1. */
int sipc__sys_note_open(struct sipc__sys_note *n);
/* Thread-safe and async-signal-safe. */
void sipc__sys_note_post(const struct sipc__sys_note *n);
/* Consumes every post so far. */
void sipc__sys_note_clear(const struct sipc__sys_note *n);
/* Closes both ends (either may be -1); the note is then closed. */
void sipc__sys_note_close(struct sipc__sys_note *n);

/* ---- ifaddr.c: this host's addresses ---- */

/* One address of one interface (getifaddrs on POSIX, GetAdaptersAddresses
 * on Windows): AF_INET or AF_INET6, the address in network order (4 or
 * 16 bytes of ADDR) and the length of its network's prefix. */
struct sipc__if_addr {
	int family;
	uint8_t addr[16];
	int prefix;
};
/* Every IPv4 and IPv6 address of the host's interfaces, in a malloc'ed
 * array the caller frees: 0 with *V and *N (*V may be NULL when N is 0),
 * or -errno. */
int sipc__sys_if_addrs(struct sipc__if_addr **v, size_t *n);

/* ---- user.c: users and groups by name ---- */

/* The user NAME names (a name, or a number that is a user's id): its
 * name (copied into OUT, OUTLEN bytes), uid and primary gid.  0; -ENOENT
 * when there is none; SIPC_ENOTSUP where the system has no such users
 * (Windows). */
int sipc__sys_user(const char *name, char *out, size_t outlen, unsigned *uid, unsigned *gid);
/* The same for a group: its name and gid. */
int sipc__sys_group(const char *name, char *out, size_t outlen, unsigned *gid);
/* The effective uid of this process (0 on Windows, which has none). */
unsigned sipc__sys_euid(void);

/* ---- udpoff.c: UDP segmentation offload (Linux's GSO and GRO) ---- */

/* Whether udp socket FD may send with UDP_SEGMENT (the kernel knows it). */
bool sipc__sys_udp_gso_ok(int fd);
/* Fills H's control area (msg_control, msg_controllen: room for
 * CMSG_SPACE(sizeof(uint16_t)) bytes) with a UDP_SEGMENT of SEG bytes
 * (where there is none, a control area sipc__sys_sendmsg refuses). */
void sipc__sys_udp_gso_cmsg(struct msghdr *h, uint16_t seg);
/* Turns UDP_GRO on for FD: whether the kernel took it (a udp socket on
 * Linux 5.0 or later; nothing changed otherwise). */
bool sipc__sys_udp_gro_enable(int fd);
/* The segment size of a coalesced receive (its UDP_GRO control message),
 * or 0 when H carries none, one too short to hold it, or one that is not
 * positive (one datagram). */
int sipc__sys_udp_gro_size(const struct msghdr *h);

#endif /* SIPC_SYS_H */
