/*
 * win.h - what the files of sys/win share: WinSock's start-up, made once
 * before the first call that needs it, and its error codes turned into
 * the errno names the rest of the library speaks.
 */
#ifndef SIPC_SYS_WIN_WIN_H
#define SIPC_SYS_WIN_WIN_H

#include "sys/sys.h"

/* WSAStartup(2.2), once per process (never undone: the library has no
 * last call to undo it in, and Windows ends it with the process).
 * 0 or -errno. */
int sipc__win_start(void);

/* WSAGetLastError() as a positive errno value (EIO for a code without a
 * POSIX name). */
int sipc__win_errno(int wsa);
/* -sipc__win_errno(WSAGetLastError()), with WSAEWOULDBLOCK as -EAGAIN. */
int sipc__win_error(void);

/* The library's int descriptor as WinSock's SOCKET, and back.  Windows
 * keeps kernel handles, sockets included, within 32 bits, so that a
 * 64-bit process can hand them to a 32-bit one: the narrowing loses
 * nothing, and sign extension keeps INVALID_SOCKET as -1. */
#define SIPC__SOCK(fd) ((SOCKET)(intptr_t)(fd))
#define SIPC__FD(s)    ((int)(intptr_t)(s))

#endif /* SIPC_SYS_WIN_WIN_H */
