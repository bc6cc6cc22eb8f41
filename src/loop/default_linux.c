/*
 * default_linux.c - the loop's backends on Linux, for sipc__loop_choose:
 * epoll (the default), io_uring where the kernel allows it, and poll(2)
 * (the Windows build's backend, kept running and tested here).  The
 * Windows build has default_win.c instead (and none of the Linux
 * backends: backend_epoll.c, backend_uring.c, wakefd.c).
 */
#include "loop/loop_impl.h"

const struct sipc__loop_choice sipc__loop_choices[] = {
	{"epoll", NULL, &sipc__loop_backend_epoll, NULL},
	{"uring", "io_uring", &sipc__loop_backend_uring, sipc__loop_uring_probe},
	{"poll", NULL, &sipc__loop_backend_poll, NULL},
	{NULL, NULL, NULL, NULL},
};

const struct sipc__loop_backend *const sipc__loop_backend_default = &sipc__loop_backend_epoll;
