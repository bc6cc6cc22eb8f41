/*
 * default_win.c - the loop's backends on Windows, for sipc__loop_choose:
 * poll (WSAPoll, backend_poll.c) alone, the default; Linux's epoll and
 * uring are named only to be refused as not supported on this system.
 * The Linux build has default_linux.c instead; this file is the Windows
 * build's only.
 */
#include "loop/loop_impl.h"

const struct sipc__loop_choice sipc__loop_choices[] = {
	{"poll", "wsapoll", &sipc__loop_backend_poll, NULL},
	/* Linux's: "--io epoll" says it is not supported here. */
	{"epoll", NULL, NULL, NULL},
	{"uring", "io_uring", NULL, NULL},
	{NULL, NULL, NULL, NULL},
};

const struct sipc__loop_backend *const sipc__loop_backend_default = &sipc__loop_backend_poll;
