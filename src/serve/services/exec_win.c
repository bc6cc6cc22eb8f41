/*
 * exec_win.c - the exec service in the Windows build: refused, by name,
 * when the configuration is checked.  Serving a connection with a program
 * there needs CreateProcess with the socket bridged to the child's
 * standard handles by pipes and threads (a WinSock socket is not a handle
 * a console program can read as its stdin); that is not built.
 */
#include "serve/services/services.h"

const struct sipc_service sipc__svc_exec = {
	.name = "exec",
	.usage = "exec [--max-children=N] PROGRAM [ARGS...]",
	.min_args = 1,
	.max_args = -1,
	.kinds = SIPC__SVC_STREAM | SIPC__SVC_SEQPACKET,
	.models = SIPC__MODEL_EVENT | SIPC__MODEL_THREAD,
	.absent = "the Windows build has no fork and no bridge to a program's console yet",
};
