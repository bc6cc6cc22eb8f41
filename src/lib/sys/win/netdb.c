/*
 * netdb.c - WinSock's start-up and errors, names and services.  The
 * error texts are glibc's words for the same conditions, so that a
 * message reads the same on both systems; msvcrt's strerror() knows none
 * of the network codes (ECONNREFUSED and the others above 100).
 */
#include "sys/win/win.h"

#include <stdio.h>
#include <string.h>

static INIT_ONCE started = INIT_ONCE_STATIC_INIT;
static int start_error;

static BOOL CALLBACK start_once(PINIT_ONCE once, PVOID arg, PVOID *ctx)
{
	WSADATA wd;
	int rc = WSAStartup(MAKEWORD(2, 2), &wd);

	(void)once;
	(void)arg;
	(void)ctx;
	start_error = rc == 0 ? 0 : -sipc__win_errno(rc);
	return TRUE;
}

int sipc__win_start(void)
{
	InitOnceExecuteOnce(&started, start_once, NULL, NULL);
	return start_error;
}

static const struct {
	int wsa, err;
} wsa_errno[] = {
	{WSAEINTR, EINTR},
	{WSAEBADF, EBADF},
	{WSAEACCES, EACCES},
	{WSAEFAULT, EFAULT},
	{WSAEINVAL, EINVAL},
	{WSAEMFILE, EMFILE},
	{WSAEWOULDBLOCK, EAGAIN},
	{WSAEINPROGRESS, EINPROGRESS},
	{WSAEALREADY, EALREADY},
	{WSAENOTSOCK, ENOTSOCK},
	{WSAEDESTADDRREQ, EDESTADDRREQ},
	{WSAEMSGSIZE, EMSGSIZE},
	{WSAEPROTOTYPE, EPROTOTYPE},
	{WSAENOPROTOOPT, ENOPROTOOPT},
	{WSAEPROTONOSUPPORT, EPROTONOSUPPORT},
	{WSAESOCKTNOSUPPORT, EPROTONOSUPPORT},
	{WSAEOPNOTSUPP, EOPNOTSUPP},
	{WSAEPFNOSUPPORT, EAFNOSUPPORT},
	{WSAEAFNOSUPPORT, EAFNOSUPPORT},
	{WSAEADDRINUSE, EADDRINUSE},
	{WSAEADDRNOTAVAIL, EADDRNOTAVAIL},
	{WSAENETDOWN, ENETDOWN},
	{WSAENETUNREACH, ENETUNREACH},
	{WSAENETRESET, ENETRESET},
	{WSAECONNABORTED, ECONNABORTED},
	{WSAECONNRESET, ECONNRESET},
	{WSAENOBUFS, ENOBUFS},
	{WSAEISCONN, EISCONN},
	{WSAENOTCONN, ENOTCONN},
	/* A send after shutdown(SD_SEND): POSIX says EPIPE. */
	{WSAESHUTDOWN, EPIPE},
	{WSAETIMEDOUT, ETIMEDOUT},
	{WSAECONNREFUSED, ECONNREFUSED},
	{WSAELOOP, ELOOP},
	{WSAENAMETOOLONG, ENAMETOOLONG},
	{WSAEHOSTDOWN, EHOSTUNREACH},
	{WSAEHOSTUNREACH, EHOSTUNREACH},
	{WSAENOTEMPTY, ENOTEMPTY},
	{WSA_NOT_ENOUGH_MEMORY, ENOMEM},
	{WSANOTINITIALISED, ENETDOWN},
	{ERROR_NOT_ENOUGH_MEMORY, ENOMEM},
	{ERROR_FILE_NOT_FOUND, ENOENT},
	{ERROR_PATH_NOT_FOUND, ENOENT},
	{ERROR_ACCESS_DENIED, EACCES},
	{ERROR_SHARING_VIOLATION, EBUSY},
	{ERROR_INVALID_HANDLE, EBADF},
	{ERROR_INVALID_PARAMETER, EINVAL},
	{ERROR_FILE_EXISTS, EEXIST},
	{ERROR_ALREADY_EXISTS, EEXIST},
	{ERROR_BROKEN_PIPE, EPIPE},
	{ERROR_NO_DATA, EPIPE},
};

int sipc__win_errno(int wsa)
{
	for (size_t i = 0; i < sizeof(wsa_errno) / sizeof(wsa_errno[0]); i++)
		if (wsa_errno[i].wsa == wsa)
			return wsa_errno[i].err;
	return EIO;
}

int sipc__win_error(void)
{
	return -sipc__win_errno(WSAGetLastError());
}

/* glibc's names and words, for the codes the library can return. */
static const struct {
	int err;
	const char *name, *text;
} errs[] = {
	{EPERM, "EPERM", "Operation not permitted"},
	{ENOENT, "ENOENT", "No such file or directory"},
	{EINTR, "EINTR", "Interrupted system call"},
	{EIO, "EIO", "Input/output error"},
	{EBADF, "EBADF", "Bad file descriptor"},
	{EAGAIN, "EAGAIN", "Resource temporarily unavailable"},
	{ENOMEM, "ENOMEM", "Cannot allocate memory"},
	{EACCES, "EACCES", "Permission denied"},
	{EFAULT, "EFAULT", "Bad address"},
	{EBUSY, "EBUSY", "Device or resource busy"},
	{EEXIST, "EEXIST", "File exists"},
	{EINVAL, "EINVAL", "Invalid argument"},
	{ENFILE, "ENFILE", "Too many open files in system"},
	{EMFILE, "EMFILE", "Too many open files"},
	{ENOSPC, "ENOSPC", "No space left on device"},
	{EPIPE, "EPIPE", "Broken pipe"},
	{ERANGE, "ERANGE", "Numerical result out of range"},
	{ENAMETOOLONG, "ENAMETOOLONG", "File name too long"},
	{ENOSYS, "ENOSYS", "Function not implemented"},
	{ENOTEMPTY, "ENOTEMPTY", "Directory not empty"},
	{EADDRINUSE, "EADDRINUSE", "Address already in use"},
	{EADDRNOTAVAIL, "EADDRNOTAVAIL", "Cannot assign requested address"},
	{EAFNOSUPPORT, "EAFNOSUPPORT", "Address family not supported by protocol"},
	{EALREADY, "EALREADY", "Operation already in progress"},
	{ECANCELED, "ECANCELED", "Operation canceled"},
	{ECONNABORTED, "ECONNABORTED", "Software caused connection abort"},
	{ECONNREFUSED, "ECONNREFUSED", "Connection refused"},
	{ECONNRESET, "ECONNRESET", "Connection reset by peer"},
	{EDESTADDRREQ, "EDESTADDRREQ", "Destination address required"},
	{EHOSTUNREACH, "EHOSTUNREACH", "No route to host"},
	{EINPROGRESS, "EINPROGRESS", "Operation now in progress"},
	{EISCONN, "EISCONN", "Transport endpoint is already connected"},
	{ELOOP, "ELOOP", "Too many levels of symbolic links"},
	{EMSGSIZE, "EMSGSIZE", "Message too long"},
	{ENETDOWN, "ENETDOWN", "Network is down"},
	{ENETRESET, "ENETRESET", "Network dropped connection on reset"},
	{ENETUNREACH, "ENETUNREACH", "Network is unreachable"},
	{ENOBUFS, "ENOBUFS", "No buffer space available"},
	{ENOPROTOOPT, "ENOPROTOOPT", "Protocol not available"},
	{ENOTCONN, "ENOTCONN", "Transport endpoint is not connected"},
	{ENOTSOCK, "ENOTSOCK", "Socket operation on non-socket"},
	{EOPNOTSUPP, "EOPNOTSUPP", "Operation not supported"},
	{EPROTONOSUPPORT, "EPROTONOSUPPORT", "Protocol not supported"},
	{EPROTOTYPE, "EPROTOTYPE", "Protocol wrong type for socket"},
	{ETIMEDOUT, "ETIMEDOUT", "Connection timed out"},
};

const char *sipc__sys_errtext(int err)
{
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (errs[i].err == err)
			return errs[i].text;
	return NULL;
}

const char *sipc__sys_errname(int err)
{
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (errs[i].err == err)
			return errs[i].name;
	return NULL;
}

int sipc__sys_getaddrinfo(const char *host, const char *service, const struct addrinfo *hints,
			  struct addrinfo **res)
{
	int rc = sipc__win_start();

	if (rc < 0)
		return EAI_FAIL;
	return getaddrinfo(host, service, hints, res);
}

int sipc__sys_service_port(const char *name, const char *proto)
{
	struct servent *se;

	/* WinSock's getservbyname() keeps its result per thread. */
	if (sipc__win_start() < 0)
		return -1;
	se = getservbyname(name, proto);
	return se == NULL ? -1 : ntohs((uint16_t)se->s_port);
}
