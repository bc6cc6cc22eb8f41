/*
 * exec_win.c - the exec service on Windows (exec.c is POSIX's): a child
 * process per connection through CreateProcess, with the connection on
 * its standard input and output.  A WinSock socket is not a handle a
 * console program reads as its stdin, so the child gets two anonymous
 * pipes, and two threads of the connection carry the bytes between them
 * and one end of a socket pair (the stdin thread of cli/plat_win.c, for
 * a child); the other end is joined to the client by the relay that
 * forward and exec's TLS path use (relay.h), so the loop, the buffers,
 * the half-closes and the byte counts are the same code.
 *
 * The output thread reads the child's stdout to its end, then waits for
 * the child to exit and keeps its exit code before it shuts the pair
 * down: the relay's end then closes the connection with that status
 * (`end=exit 3`, `exit=3`).  The input thread writes what the client
 * sent to the child's stdin and closes it at the client's end.  The
 * environment has the same variables as on Linux (execenv.h), the child
 * inherits exactly its two pipes and the server's stderr
 * (PROC_THREAD_ATTRIBUTE_HANDLE_LIST), and runs in a process group of its
 * own.  On a drain the group is sent Ctrl-Break; a connection the server
 * closes first (drain deadline, --idle-timeout) terminates the child.
 * --max-children bounds the children of an endpoint as on Linux.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/execenv.h"
#include "serve/relay.h"
#include "serve/services/execsetup.h"
#include "serve/services/services.h"
#include "sys/sys.h"
#include "sys/win/win.h"

/* What the two threads share with the connection; the last of the three
 * to let go frees it. */
struct bridge {
	LONG refs;
	int sock;     /* the threads' end of the pair (blocking) */
	HANDLE in_w;  /* the child's stdin */
	HANDLE out_r; /* the child's stdout */
	HANDLE proc;  /* the child */
	LONG exited;  /* 1 once CODE holds its exit code */
	DWORD code;
	LONG sock_users; /* the threads still using SOCK: the last closes it */
};

struct exec_conn {
	struct bridge *b; /* NULL: no child */
	DWORD pid;
	bool counted;
	bool relay_over;
	struct sipc__relay relay;
	char end[160];
};

static struct sipc_srv_endpoint *ep_of(struct sipc_conn *c)
{
	return sipc__conn_endpoint(c);
}

static void unref(struct bridge *b)
{
	if (InterlockedDecrement(&b->refs) > 0)
		return;
	if (b->in_w != NULL)
		CloseHandle(b->in_w);
	CloseHandle(b->out_r);
	CloseHandle(b->proc);
	free(b);
}

static void sock_done(struct bridge *b)
{
	if (InterlockedDecrement(&b->sock_users) == 0)
		closesocket(SIPC__SOCK(b->sock));
}

/* The child's stdout to the pair; at its end, the child's exit code, then
 * the pair shut down both ways (the input thread's receive ends too). */
static void *pump_out(void *arg)
{
	struct bridge *b = arg;
	char buf[16384];
	DWORD n;

	while (ReadFile(b->out_r, buf, sizeof(buf), &n, NULL) && n > 0) {
		const char *p = buf;
		while (n > 0) {
			int w = send(SIPC__SOCK(b->sock), p, (int)n, 0);
			if (w <= 0)
				goto out;
			p += w;
			n -= (DWORD)w;
		}
	}
out:
	if (WaitForSingleObject(b->proc, INFINITE) == WAIT_OBJECT_0 &&
	    GetExitCodeProcess(b->proc, &b->code))
		InterlockedExchange(&b->exited, 1);
	shutdown(SIPC__SOCK(b->sock), SD_BOTH);
	sock_done(b);
	unref(b);
	return NULL;
}

/* The pair to the child's stdin, closed at the client's end (or once the
 * child no longer reads). */
static void *pump_in(void *arg)
{
	struct bridge *b = arg;
	char buf[16384];
	int r;

	while ((r = recv(SIPC__SOCK(b->sock), buf, sizeof(buf), 0)) > 0) {
		const char *p = buf;
		DWORD left = (DWORD)r, w;
		while (left > 0) {
			if (!WriteFile(b->in_w, p, left, &w, NULL))
				goto out;
			p += w;
			left -= w;
		}
	}
out:
	CloseHandle(b->in_w);
	b->in_w = NULL;
	sock_done(b);
	unref(b);
	return NULL;
}

/* ---- the child's command line and environment ---- */

static wchar_t *widen(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
	wchar_t *w = n > 0 ? malloc((size_t)n * sizeof(wchar_t)) : NULL;

	if (w != NULL && MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n) <= 0) {
		free(w);
		w = NULL;
	}
	return w;
}

/* Appends ARG quoted as the C runtime's argument parser reads it back
 * (backslashes are literal except before a quote). */
static size_t quote(char *out, const char *arg)
{
	size_t n = 0;

	if (*arg != '\0' && strpbrk(arg, " \t\n\v\"") == NULL) {
		size_t len = strlen(arg);
		if (out != NULL)
			memcpy(out, arg, len);
		return len;
	}
#define PUT(ch)                                                                                    \
	do {                                                                                       \
		if (out != NULL)                                                                   \
			out[n] = (ch);                                                             \
		n++;                                                                               \
	} while (0)
	PUT('"');
	for (const char *p = arg;; p++) {
		size_t slashes = 0;
		while (*p == '\\') {
			p++;
			slashes++;
		}
		if (*p == '\0') {
			for (size_t k = 0; k < slashes * 2; k++)
				PUT('\\');
			break;
		}
		if (*p == '"') {
			for (size_t k = 0; k < slashes * 2 + 1; k++)
				PUT('\\');
		} else {
			for (size_t k = 0; k < slashes; k++)
				PUT('\\');
		}
		PUT(*p);
	}
	PUT('"');
#undef PUT
	return n;
}

static wchar_t *command_line(char **argv)
{
	size_t len = 1;
	char *line, *p;
	wchar_t *w;

	for (char **a = argv; *a != NULL; a++)
		len += quote(NULL, *a) + 1;
	if ((line = malloc(len)) == NULL)
		return NULL;
	p = line;
	for (char **a = argv; *a != NULL; a++) {
		if (a != argv)
			*p++ = ' ';
		p += quote(p, *a);
	}
	*p = '\0';
	w = widen(line);
	free(line);
	return w;
}

/* ENVP as CreateProcess's block of UTF-16 NAME=VALUE strings. */
static wchar_t *env_block(char **envp)
{
	size_t len = 1, at = 0;
	wchar_t *block;

	for (char **e = envp; *e != NULL; e++)
		len += (size_t)MultiByteToWideChar(CP_UTF8, 0, *e, -1, NULL, 0);
	if ((block = malloc(len * sizeof(wchar_t))) == NULL)
		return NULL;
	for (char **e = envp; *e != NULL; e++) {
		int n = MultiByteToWideChar(CP_UTF8, 0, *e, -1, block + at, (int)(len - at));
		if (n > 0)
			at += (size_t)n;
	}
	block[at] = L'\0';
	return block;
}

/* CreateProcess's error as errno words. */
static int spawn_errno(DWORD err)
{
	switch (err) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
		return ENOENT;
	case ERROR_ACCESS_DENIED:
		return EACCES;
	case ERROR_BAD_EXE_FORMAT:
		return ENOEXEC;
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY:
		return ENOMEM;
	default:
		return EIO;
	}
}

/* The child on the pipes of B, in a process group of its own, inheriting
 * the pipes' ends and stderr alone.  Its pid, or a negative errno. */
static int create(struct sipc_conn *c, char **argv, struct bridge *b, HANDLE in_r, HANDLE out_w)
{
	struct sipc__execenv e = {0};
	HANDLE err = NULL, self = GetCurrentProcess(), list[3];
	STARTUPINFOEXW si = {0};
	PROCESS_INFORMATION pi;
	SIZE_T attr_len = 0;
	wchar_t *cmd = command_line(argv), *env = NULL;
	char **envp;
	DWORD n = 0;
	int rc = -ENOMEM;

	sipc__execenv_fill(&e, sipc__conn_peer(c), sipc__conn_local(c), sipc__svc_ep_url(ep_of(c)),
			   sipc__conn_fd(c));
	envp = sipc__execenv_make(&e, sipc__svc_ep_conf(ep_of(c)));
	if (envp != NULL)
		env = env_block(envp);
	free(envp);
	if (cmd == NULL || env == NULL)
		goto out;
	list[n++] = in_r;
	list[n++] = out_w;
	/* The server's stderr is the child's (the log), as on Linux. */
	if (DuplicateHandle(self, GetStdHandle(STD_ERROR_HANDLE), self, &err, 0, TRUE,
			    DUPLICATE_SAME_ACCESS))
		list[n++] = err;
	InitializeProcThreadAttributeList(NULL, 1, 0, &attr_len);
	si.lpAttributeList = malloc(attr_len);
	if (si.lpAttributeList == NULL ||
	    !InitializeProcThreadAttributeList(si.lpAttributeList, 1, 0, &attr_len)) {
		free(si.lpAttributeList);
		si.lpAttributeList = NULL;
		goto out;
	}
	UpdateProcThreadAttribute(si.lpAttributeList, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, list,
				  n * sizeof(HANDLE), NULL, NULL);
	si.StartupInfo.cb = sizeof(si);
	si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
	si.StartupInfo.hStdInput = in_r;
	si.StartupInfo.hStdOutput = out_w;
	si.StartupInfo.hStdError = err != NULL ? err : out_w;
	if (!CreateProcessW(NULL, cmd, NULL, NULL, TRUE,
			    CREATE_UNICODE_ENVIRONMENT | EXTENDED_STARTUPINFO_PRESENT |
				    CREATE_NEW_PROCESS_GROUP,
			    env, NULL, &si.StartupInfo, &pi)) {
		rc = -spawn_errno(GetLastError());
		goto out;
	}
	CloseHandle(pi.hThread);
	b->proc = pi.hProcess;
	rc = (int)pi.dwProcessId;
out:
	if (si.lpAttributeList != NULL) {
		DeleteProcThreadAttributeList(si.lpAttributeList);
		free(si.lpAttributeList);
	}
	if (err != NULL)
		CloseHandle(err);
	free(cmd);
	free(env);
	return rc;
}

/* A pipe whose END (0 read, 1 write) the child inherits. */
static bool pipe_for_child(HANDLE p[2], int end)
{
	SECURITY_ATTRIBUTES sa = {sizeof(sa), NULL, FALSE};

	if (!CreatePipe(&p[0], &p[1], &sa, 0))
		return false;
	SetHandleInformation(p[end], HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
	return true;
}

/* Starts the child and its threads; *PAIR is the loop's end of the pair.
 * The child's pid, or a negative errno. */
static int start_child(struct sipc_conn *c, struct exec_conn *st, char **argv, int *pair)
{
	HANDLE in[2] = {NULL, NULL}, out[2] = {NULL, NULL};
	struct bridge *b = calloc(1, sizeof(*b));
	pthread_t t;
	int sv[2] = {-1, -1}, pid = -ENOMEM, err;

	if (b == NULL)
		return -ENOMEM;
	if ((err = sipc__sys_socketpair(sv)) < 0 ||
	    (err = sipc__sys_set_nonblock(sv[1], false)) < 0) {
		pid = err;
		goto fail;
	}
	if (!pipe_for_child(in, 0) || !pipe_for_child(out, 1)) {
		pid = -EMFILE;
		goto fail;
	}
	pid = create(c, argv, b, in[0], out[1]);
	/* The child has its ends now (or failed): ours go. */
	CloseHandle(in[0]);
	CloseHandle(out[1]);
	in[0] = out[1] = NULL;
	if (pid < 0)
		goto fail;
	b->sock = sv[1];
	b->in_w = in[1];
	b->out_r = out[0];
	b->refs = 3;
	b->sock_users = 2;
	if (pthread_create(&t, NULL, pump_out, b) != 0) {
		TerminateProcess(b->proc, 1);
		b->refs = 1;
		b->sock_users = 1;
		sock_done(b);
		unref(b);
		sipc__sys_close(sv[0]);
		return -EAGAIN;
	}
	pthread_detach(t);
	if (pthread_create(&t, NULL, pump_in, b) != 0) {
		/* Nobody writes the child's stdin: it sees its end at once. */
		CloseHandle(b->in_w);
		b->in_w = NULL;
		InterlockedDecrement(&b->refs);
		sock_done(b);
	} else {
		pthread_detach(t);
	}
	st->b = b;
	*pair = sv[0];
	return pid;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] != NULL)
			CloseHandle(in[i]);
		if (out[i] != NULL)
			CloseHandle(out[i]);
		if (sv[i] >= 0)
			sipc__sys_close(sv[i]);
	}
	free(b);
	return pid;
}

/* ---- the connection ---- */

static void release(struct sipc_conn *c, struct exec_conn *st)
{
	struct sipc__exec_ep *ee = sipc__svc_ep_state(ep_of(c));

	if (st->counted) {
		sipc__exec_release(ee);
		st->counted = false;
	}
}

static void relay_end(struct sipc__relay *r, const char *why)
{
	struct sipc_conn *c = r->c;
	struct exec_conn *st = sipc__conn_state(c);
	struct bridge *b = st->b;

	st->relay_over = true;
	(void)sipc__conn_set_events(c, SIPC_LOOP_ONESHOT);
	/* The output thread keeps the exit code before it shuts the pair. */
	if (b != NULL && InterlockedCompareExchange(&b->exited, 1, 1) == 1) {
		snprintf(st->end, sizeof(st->end), "exit %lu", (unsigned long)b->code);
		sipc__conn_child_status(c, (int)b->code);
	} else {
		snprintf(st->end, sizeof(st->end), "child %lu: %s", (unsigned long)st->pid,
			 why != NULL ? why : "its output ended");
	}
	sipc__conn_close(c, st->end);
}

static void exec_open(struct sipc_conn *c)
{
	struct exec_conn *st = sipc__conn_state(c);
	struct sipc__exec_ep *ee = sipc__svc_ep_state(ep_of(c));
	int pid, pair;

	(void)sipc__conn_set_events(c, SIPC_LOOP_ONESHOT);
	if (!sipc__exec_admit(c, ee))
		return;
	st->counted = true;
	pid = start_child(c, st, ee->argv, &pair);
	if (pid < 0) {
		/* The program is the configuration's, not a peer's: as written. */
		snprintf(st->end, sizeof(st->end), "exec %s: %s", ee->argv[0], strerror(-pid));
		sipc__svc_log(ep_of(c), 0, "%s", st->end);
		release(c, st);
		sipc__conn_close(c, st->end);
		return;
	}
	st->pid = (DWORD)pid;
	sipc__conn_child(c, pid);
	sipc__svc_log(ep_of(c), 2, "exec %s: child %d", ee->argv[0], pid);
	sipc__relay_init(&st->relay, c, "child", relay_end);
	sipc__relay_start(&st->relay, pair, NULL);
}

static void exec_io(struct sipc_conn *c, uint32_t revents)
{
	struct exec_conn *st = sipc__conn_state(c);

	if (st->b != NULL && !st->relay_over)
		sipc__relay_client_io(&st->relay, revents);
}

/* A drain: the child's process group gets Ctrl-Break (a console program's
 * SIGTERM); it has until the drain timeout, when exec_close ends it. */
static void exec_drain(struct sipc_conn *c)
{
	struct exec_conn *st = sipc__conn_state(c);

	if (st->b == NULL || InterlockedCompareExchange(&st->b->exited, 1, 1) == 1)
		return;
	sipc__svc_log(ep_of(c), 2, "exec child %lu: Ctrl-Break to its process group",
		      (unsigned long)st->pid);
	GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, st->pid);
}

static void exec_close(struct sipc_conn *c)
{
	struct exec_conn *st = sipc__conn_state(c);
	struct bridge *b = st->b;

	if (b != NULL) {
		if (WaitForSingleObject(b->proc, 0) != WAIT_OBJECT_0) {
			/* The server ends the connection first: the child goes
			 * with it. */
			TerminateProcess(b->proc, 1);
			sipc__svc_log(ep_of(c), 1, "exec child %lu: terminated",
				      (unsigned long)st->pid);
		}
		sipc__relay_free(&st->relay);
		unref(b);
		st->b = NULL;
	}
	release(c, st);
}

static int exec_setup(struct sipc_srv_endpoint *sep, int argc, char **argv, char *why,
		      size_t whylen)
{
	struct sipc__exec_ep *ee = calloc(1, sizeof(*ee));

	if (ee == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (sipc__exec_setup(sep, argc, argv, ee, why, whylen) < 0) {
		free(ee);
		return -1;
	}
	sipc__svc_ep_set_state(sep, ee);
	return 0;
}

static void exec_teardown(struct sipc_srv_endpoint *sep)
{
	free(sipc__svc_ep_state(sep));
	sipc__svc_ep_set_state(sep, NULL);
}

const struct sipc_service sipc__svc_exec = {
	.name = "exec",
	.usage = "exec [--max-children=N] PROGRAM [ARGS...]",
	.min_args = 1,
	.max_args = -1,
	.kinds = SIPC__SVC_STREAM,
	.models = SIPC__MODEL_EVENT | SIPC__MODEL_THREAD,
	.setup = exec_setup,
	.teardown = exec_teardown,
	.conn_size = sizeof(struct exec_conn),
	.on_open = exec_open,
	.on_io = exec_io,
	.on_close = exec_close,
	.on_drain = exec_drain,
};
