/*
 * forkexec.c - an exec child with the attributes posix_spawn(3) has no
 * field for (forkexec.h).  The server is threaded, so between fork and
 * execve the child may make only async-signal-safe calls: the program's
 * path, its argv and envp and the user's group list are all ready before
 * the fork; the child only issues system calls.  fork rather than
 * clone(CLONE_VM|CLONE_VFORK): a child sharing the parent's memory would
 * run instrumented code on a stack of our own under ASan and share the
 * C library's thread list, and the copy of page tables costs little next
 * to the execve.  As posix_spawn does, the parent waits until the program
 * runs: a close-on-exec pipe carries the failing step and errno back, or
 * closes at the execve; the child's process group exists before the
 * caller can signal it.
 */
#include "serve/services/forkexec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/sys.h"

/* What failed in the child, sent up the pipe.  STEP points at a string
 * literal, at the same address in the parent (fork copies the image). */
struct failure {
	int err;
	const char *step;
};

/* PROGRAM's path as execvp finds it: as written when it holds a '/', else
 * the first executable regular file in PATH.  0, or -ENOENT / -EACCES. */
static int find_program(const char *prog, char *path, size_t len)
{
	const char *dirs = getenv("PATH");
	int err = -ENOENT;

	if (strchr(prog, '/') != NULL) {
		if (strlen(prog) >= len)
			return -ENAMETOOLONG;
		strcpy(path, prog);
		return 0;
	}
	if (dirs == NULL)
		dirs = "/bin:/usr/bin";
	while (*dirs != '\0') {
		size_t n = strcspn(dirs, ":");
		struct stat st;
		int k = snprintf(path, len, "%.*s%s%s", (int)n, dirs, n > 0 ? "/" : "", prog);
		dirs += n + (dirs[n] == ':');
		if (k < 0 || (size_t)k >= len || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (access(path, X_OK) == 0)
			return 0;
		err = -EACCES;
	}
	return err;
}

static int limit(int resource, long long v)
{
	struct rlimit rl;

	rl.rlim_cur = rl.rlim_max = v == SIPC_SVC_UNLIMITED ? RLIM_INFINITY : (rlim_t)v;
	return setrlimit(resource, &rl);
}

/*
 * glibc's sigaction refuses the two real-time signals its threads use
 * (32 and 33), so a disposition of theirs that the server inherited
 * ignored (the suite once saw signal 32 ignored in a child under load)
 * would survive the exec: the kernel keeps SIG_IGN across execve.  The
 * system call itself takes them.  The layout below is the kernel's
 * generic one (x86-64, arm64, riscv...).
 */
static void reset_reserved_signals(void)
{
#if defined(SYS_rt_sigaction) && !defined(__mips__) && !defined(__alpha__) && !defined(__sparc__)
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		uint64_t mask;
	} k = {SIG_DFL, 0, NULL, 0};

	for (int sig = 32; sig <= 33; sig++)
		(void)syscall(SYS_rt_sigaction, sig, &k, NULL, sizeof(k.mask));
#endif
}

/* The child: system calls only, then the program or _exit. */
static void child(const struct sipc__forkexec *fx, const char *path, int report)
{
	struct failure f = {0, NULL};
	struct sigaction dfl;
	sigset_t none;
	int in = fx->in_fd, out = fx->out_fd;

	if (!fx->same_pgrp && setpgid(0, 0) < 0) {
		f.step = "setpgid";
		goto fail;
	}
	/* A descriptor already at 0 or 1 would lose its copy to the first
	 * dup2, or keep its close-on-exec flag: move it up first. */
	if (in <= STDOUT_FILENO && (in = fcntl(in, F_DUPFD_CLOEXEC, 3)) < 0) {
		f.step = "dup2";
		goto fail;
	}
	if (out <= STDOUT_FILENO && (out = fcntl(out, F_DUPFD_CLOEXEC, 3)) < 0) {
		f.step = "dup2";
		goto fail;
	}
	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0) {
		f.step = "dup2";
		goto fail;
	}
#if defined(SYS_close_range)
	/* Every descriptor is close-on-exec already; this makes sure, as
	 * closefrom does on the posix_spawn path.  REPORT must stay. */
	if (report > STDERR_FILENO + 1)
		(void)syscall(SYS_close_range, STDERR_FILENO + 1, report - 1, 0);
	(void)syscall(SYS_close_range, report + 1, ~0U, 0);
#endif
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &dfl, NULL); /* SIGKILL, SIGSTOP: EINVAL */
	reset_reserved_signals();
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	/* Nice and limits while still root: raising either needs it. */
	if (fx->nice != SIPC_SVC_NICE_UNSET && setpriority(PRIO_PROCESS, 0, fx->nice) < 0) {
		f.step = "setpriority";
		goto fail;
	}
	if (fx->rlimit_as != SIPC_SVC_UNSET && limit(RLIMIT_AS, fx->rlimit_as) < 0) {
		f.step = "setrlimit RLIMIT_AS";
		goto fail;
	}
	if (fx->rlimit_cpu != SIPC_SVC_UNSET && limit(RLIMIT_CPU, fx->rlimit_cpu) < 0) {
		f.step = "setrlimit RLIMIT_CPU";
		goto fail;
	}
	if (fx->rlimit_files != SIPC_SVC_UNSET && limit(RLIMIT_NOFILE, fx->rlimit_files) < 0) {
		f.step = "setrlimit RLIMIT_NOFILE";
		goto fail;
	}
	if (fx->umask != SIPC_SVC_UNSET)
		umask((mode_t)fx->umask);
	if (fx->ids != NULL && sipc__privdrop_child(fx->ids, &f.step) < 0)
		goto fail;
	execve(path, fx->argv, fx->envp);
	f.step = "execve";
fail:
	f.err = errno;
	/* A short write leaves the parent reading end of file: it then
	 * takes the child for started and reaps an exit 127. */
	(void)!write(report, &f, sizeof(f));
	_exit(127);
}

int sipc__forkexec(const struct sipc__forkexec *fx, const char **step)
{
	char path[PATH_MAX];
	struct failure f;
	sigset_t all, old;
	int p[2], err;
	ssize_t n;
	pid_t pid;

	*step = NULL;
	err = find_program(fx->argv[0], path, sizeof(path));
	if (err < 0)
		return err;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* The child's end must not sit on 0 or 1, which the dup2s take. */
	if (p[1] <= STDERR_FILENO) {
		int up = fcntl(p[1], F_DUPFD_CLOEXEC, 3);
		if (up < 0) {
			err = -errno;
			goto out;
		}
		sipc__sys_close(p[1]);
		p[1] = up;
	}
	/* No handler may run in the child before it resets them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		child(fx, path, p[1]);
	err = pid < 0 ? -errno : 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err < 0)
		goto out;
	sipc__sys_close(p[1]);
	p[1] = -1;
	do
		n = read(p[0], &f, sizeof(f));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(f)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		*step = f.step;
		err = f.err > 0 ? -f.err : -EIO;
	} else {
		err = pid;
	}
out:
	sipc__sys_close(p[0]);
	if (p[1] >= 0)
		sipc__sys_close(p[1]);
	return err;
}
