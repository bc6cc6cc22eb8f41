/*
 * winnet.h - WinSock seen through POSIX's names, for sys/net.h on Windows.
 *
 * The library above sys/ is written against the POSIX socket API.  WinSock
 * has most of it under the same names (socket, bind, getaddrinfo, struct
 * sockaddr_in6, IPPROTO_TCP...); this header supplies the rest: the types
 * and constants WinSock lacks or names otherwise, and struct msghdr, which
 * sys/win/io.c turns into WSASendTo/WSARecvFrom calls.  Options that
 * Windows does not have at all get SIPC__WIN_NO_OPTION, which sys/win's
 * setsockopt refuses with -ENOPROTOOPT, so "option mark=1 (setsockopt
 * SO_MARK): Protocol not available" says exactly what is missing.
 */
#ifndef SIPC_SYS_WIN_WINNET_H
#define SIPC_SYS_WIN_WINNET_H

#include <winsock2.h>
#include <ws2tcpip.h>
#include <afunix.h>
#include <iphlpapi.h>
#include <netioapi.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sockipc.h" /* struct iovec */

typedef ADDRESS_FAMILY sa_family_t;
typedef uint16_t in_port_t;
typedef uint32_t in_addr_t;

/* shutdown(2)'s directions. */
#define SHUT_RD   SD_RECEIVE
#define SHUT_WR   SD_SEND
#define SHUT_RDWR SD_BOTH

/*
 * Flags WinSock's send and recv do not take.  Every socket the library
 * makes is non-blocking already (FIONBIO), so MSG_DONTWAIT changes nothing
 * there; there is no SIGPIPE to suppress; MSG_TRUNC on input is Linux's
 * "return the datagram's real length", which WinSock cannot do (it
 * reports WSAEMSGSIZE with the buffer full, and sys/win sets MSG_TRUNC in
 * msg_flags then).  Each is a bit WinSock does not use, which sys/win
 * strips before the call.
 */
#define MSG_DONTWAIT 0x01000000
#define MSG_NOSIGNAL 0x02000000
#ifndef MSG_TRUNC
#define MSG_TRUNC 0x0100
#endif
#define SIPC__WIN_LOCAL_FLAGS (MSG_DONTWAIT | MSG_NOSIGNAL)

/* Unix datagram and seqpacket sockets do not exist on Windows. */
#ifndef SOCK_SEQPACKET
#define SOCK_SEQPACKET 5
#endif

/* Options Linux has and Windows does not. */
#define SIPC__WIN_NO_OPTION (-0x5EC)
#define SO_REUSEPORT        SIPC__WIN_NO_OPTION
#define SO_BINDTODEVICE     SIPC__WIN_NO_OPTION
#define SO_MARK             SIPC__WIN_NO_OPTION
#define SO_PASSCRED         SIPC__WIN_NO_OPTION
/* Asked of a socket by sipc_endpoint_from_fd; sys/win answers it from the
 * protocol info. */
#define SO_DOMAIN            (-0x5ED)
#define TCP_USER_TIMEOUT     SIPC__WIN_NO_OPTION
#define TCP_FASTOPEN_CONNECT SIPC__WIN_NO_OPTION
#ifndef TCP_KEEPIDLE
#define TCP_KEEPIDLE SIPC__WIN_NO_OPTION
#endif
#ifndef TCP_KEEPINTVL
#define TCP_KEEPINTVL SIPC__WIN_NO_OPTION
#endif
#ifndef TCP_KEEPCNT
#define TCP_KEEPCNT SIPC__WIN_NO_OPTION
#endif
#ifndef TCP_FASTOPEN
#define TCP_FASTOPEN SIPC__WIN_NO_OPTION
#endif

#ifndef IFNAMSIZ
#define IFNAMSIZ 16
#endif

/* getaddrinfo's codes that glibc has and WinSock does not (never
 * returned here; glibc's values, which no WSA code takes). */
#define EAI_ADDRFAMILY (-9)
#define EAI_SYSTEM     (-11)

/* Linux's multicast interface request; sys/win's setsockopt gives
 * Windows the interface index in the form IP_MULTICAST_IF takes there. */
struct ip_mreqn {
	struct in_addr imr_multiaddr;
	struct in_addr imr_address;
	int imr_ifindex;
};

/* Credentials as SCM_CREDENTIALS carries them: the type exists so that
 * the code around descriptor passing compiles; on Windows those calls
 * are SIPC_ENOTSUP and nothing ever fills one. */
/* Linux's "host is down", which WinSock reports as unreachable: a code
 * of its own that nothing on Windows returns, so that a switch may name
 * both. */
#ifndef EHOSTDOWN
#define EHOSTDOWN 0x5EE
#endif
/* POSIX's user and group ids, for the types that carry them (sipc_cred,
 * the server's access rules); nothing on Windows has one. */
typedef unsigned uid_t;
typedef unsigned gid_t;
struct ucred {
	int pid;
	unsigned uid;
	unsigned gid;
};
struct cmsghdr {
	size_t cmsg_len;
	int cmsg_level;
	int cmsg_type;
};
#define CMSG_ALIGN(n) (((n) + sizeof(size_t) - 1) & ~(sizeof(size_t) - 1))
#define CMSG_SPACE(n) (CMSG_ALIGN(sizeof(struct cmsghdr)) + CMSG_ALIGN(n))
#define CMSG_LEN(n)   (CMSG_ALIGN(sizeof(struct cmsghdr)) + (n))
/* wincrypt.h (through iphlpapi.h) has a constant of this name: POSIX's
 * macro instead. */
#undef CMSG_DATA
#define CMSG_DATA(c) ((unsigned char *)(c) + CMSG_ALIGN(sizeof(struct cmsghdr)))
#define CMSG_FIRSTHDR(m)                                                                           \
	((m)->msg_controllen >= sizeof(struct cmsghdr) ? (struct cmsghdr *)(m)->msg_control : NULL)

/* POSIX's scatter/gather message, which sys/win/io.c maps onto WSABUFs. */
struct msghdr {
	void *msg_name;
	socklen_t msg_namelen;
	struct iovec *msg_iov;
	size_t msg_iovlen;
	void *msg_control;
	size_t msg_controllen;
	int msg_flags;
};

struct mmsghdr {
	struct msghdr msg_hdr;
	unsigned int msg_len;
};

#endif /* SIPC_SYS_WIN_WINNET_H */
