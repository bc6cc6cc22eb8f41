/*
 * net.h - the system's socket headers, included in one place: the
 * library's files include this instead of <sys/socket.h>, <netinet/in.h>,
 * <netdb.h> and the rest, so that the one difference between POSIX and
 * WinSock in what is declared (and what has to be supplied: struct
 * msghdr, SHUT_WR, sa_family_t on Windows) is this file's single switch.
 * What each system *does* differently lives in sys/posix/ and sys/win/.
 */
#ifndef SIPC_SYS_NET_H
#define SIPC_SYS_NET_H

#ifdef _WIN32
#include "sys/win/winnet.h"
#else
#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#ifndef SIPC_SYS_NET_NO_TCP_H
#include <netinet/tcp.h>
#endif
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#endif

#endif /* SIPC_SYS_NET_H */
