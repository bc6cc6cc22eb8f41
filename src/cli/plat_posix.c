/*
 * plat_posix.c - plat.h on POSIX: stdin is descriptor 0, signals are
 * caught into pipes a poll loop watches, and every option works.
 */
#include "cli/plat.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

void sipc_cli_plat_init(void)
{
}

bool sipc_cli_plat_absent_opt(const char *cmd, const char *name)
{
	(void)cmd;
	(void)name;
	return false;
}

void sipc_cli_plat_opt_words(const char *cmd, const char *name, const char **arg, const char **help)
{
	(void)cmd;
	(void)name;
	(void)arg;
	(void)help;
}

int sipc_cli_stdin_fd(void)
{
	return 0;
}

struct sipc_cli_fdkind sipc_cli_fdkind(int fd)
{
	struct sipc_cli_fdkind k = {0};
	struct stat st;
	int fl;

	k.tty = isatty(fd) == 1;
	if (fstat(fd, &st) < 0)
		return k;
	k.ok = true;
	k.sock = S_ISSOCK(st.st_mode);
	k.fifo = S_ISFIFO(st.st_mode);
	k.reg = S_ISREG(st.st_mode);
	/* /dev/null (char 1:3) takes splice without copying a byte. */
	k.devnull = S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3;
	fl = fcntl(fd, F_GETFL);
	k.nonblock = fl >= 0 && (fl & O_NONBLOCK);
	k.append = fl >= 0 && (fl & O_APPEND);
	return k;
}

void sipc_cli_no_sigpipe(void)
{
	signal(SIGPIPE, SIG_IGN);
}

/*
 * SIGINT and SIGTERM: the handler only notes the signal and wakes every
 * wait of listen through a pipe (the library's own waits retry EINTR, so
 * they are not used while a signal could end us).  listen then closes its
 * endpoints - the library unlinks a socket file only while it is still the
 * one bound - and raises the signal again, so its parent sees how it
 * ended.  SA_RESETHAND makes a second signal end it at once, should it be
 * stuck where no wait looks (a blocking stdout nobody reads).  A signal
 * ignored at start stays ignored (a background job of a shell ignores
 * SIGINT, so that ^C in the terminal leaves it be).
 */
static volatile sig_atomic_t stop_signo;
static int stop_pipe[2] = {-1, -1};

static void on_stop(int signo)
{
	int saved = errno;
	char b = 0;

	stop_signo = signo;
	if (write(stop_pipe[1], &b, 1) < 0) {
		/* Full: a byte is already there to wake the waits. */
	}
	errno = saved;
}

int sipc_cli_stop_catch(void)
{
	static const int sigs[] = {SIGINT, SIGTERM};
	struct sigaction sa = {.sa_handler = on_stop, .sa_flags = SA_RESETHAND}, old;

	if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
	return stop_pipe[0];
}

bool sipc_cli_stopped(void)
{
	return stop_signo != 0;
}

void sipc_cli_stop_end(void)
{
	if (stop_signo != 0)
		raise(stop_signo); /* SA_RESETHAND: the default action, now */
}

static int urgent_pipe[2] = {-1, -1};

static void on_quit(int signo)
{
	int saved = errno;
	char b = (char)signo;

	if (write(urgent_pipe[1], &b, 1) < 0) {
		/* Full: enough requests wait already. */
	}
	errno = saved;
}

int sipc_cli_urgent_catch_quit(void)
{
	struct sigaction sa = {.sa_handler = on_quit, .sa_flags = SA_RESTART};

	if (urgent_pipe[0] < 0 && pipe2(urgent_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGQUIT, &sa, NULL) < 0)
		return -errno;
	return urgent_pipe[0];
}

void sipc_cli_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}
