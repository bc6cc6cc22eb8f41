/*
 * test_inherit.c - the pool of sockets serve is given (serve/inherit.h),
 * with real sockets: LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES read from fds 3
 * and 4 as systemd passes them (names, close-on-exec, the variables
 * unset), a LISTEN_PID of another process ignored, hostile counts and
 * names refused; matching a service line by name before address, by
 * address and socket kind (tcp and udp on one port, unix paths, abstract
 * names, a socket that is not listening), and a named socket of the wrong
 * kind refused with a sentence naming both.
 */
#include "support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "serve/inherit.h"

static int ip_socket(int type, unsigned port, bool listening)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, type, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	if (listening)
		assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static unsigned port_of(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

/* A unix stream listener at NAME ("@x" abstract); its address length. */
static int unix_listener(const char *name)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t n = strlen(name);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memcpy(sun.sun_path, name, n);
	if (name[0] == '@')
		sun.sun_path[0] = '\0';
	assert_int_equal(
		bind(fd, (struct sockaddr *)&sun,
		     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (name[0] != '@'))),
		0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static struct sipc_serve_line line_of(char **argv)
{
	struct sipc_serve_line l = {.origin = "-e 'test'", .argv = argv};

	while (argv[l.argc] != NULL)
		l.argc++;
	return l;
}

/* Puts FD at TARGET (3, 4...), as an activator would. */
static void place(int fd, int target)
{
	if (fd == target)
		return;
	assert_int_equal(dup2(fd, target), target);
	close(fd);
}

static int same_socket(int a, int b)
{
	struct sockaddr_storage x, y;
	socklen_t lx = sizeof(x), ly = sizeof(y);

	if (getsockname(a, (struct sockaddr *)&x, &lx) < 0 ||
	    getsockname(b, (struct sockaddr *)&y, &ly) < 0)
		return 0;
	return lx == ly && memcmp(&x, &y, lx) == 0;
}

static void set_env(const char *fds, const char *names)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", fds, 1);
	if (names != NULL)
		setenv("LISTEN_FDNAMES", names, 1);
	else
		unsetenv("LISTEN_FDNAMES");
}

static void test_env_names(void **state)
{
	struct sipc__inherit *pool = NULL;
	char why[256] = "";
	int tcp = ip_socket(SOCK_STREAM, 0, true), udp = ip_socket(SOCK_DGRAM, 0, false), fd;
	unsigned tport = port_of(tcp);
	char *a[] = {"tcp://127.0.0.1:5", "echo", NULL};
	char *b[] = {"udp://127.0.0.1:6", "echo", NULL};
	struct sipc_serve_line la = line_of(a), lb = line_of(b);

	(void)state;
	place(tcp, 3);
	place(udp, 4);
	set_env("2", "tcp://127.0.0.1:5:echo");
	/* A colon in a URL is a separator to LISTEN_FDNAMES: that name is
	 * three names, and three names for two descriptors are refused. */
	assert_int_equal(sipc__inherit_from_env(&pool, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "LISTEN_FDNAMES"));
	assert_null(pool);
	assert_null(getenv("LISTEN_PID"));

	tcp = ip_socket(SOCK_STREAM, 0, true);
	udp = ip_socket(SOCK_DGRAM, 0, false);
	tport = port_of(tcp);
	place(tcp, 3);
	place(udp, 4);
	set_env("2", "web:echo");
	a[1] = "web";
	assert_int_equal(sipc__inherit_from_env(&pool, why, sizeof(why)), 0);
	assert_non_null(pool);
	assert_int_equal(sipc__inherit_count(pool), 2);
	assert_null(getenv("LISTEN_PID"));
	assert_null(getenv("LISTEN_FDS"));
	assert_null(getenv("LISTEN_FDNAMES"));
	assert_true(fcntl(3, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(4, F_GETFD) & FD_CLOEXEC);
	/* By name ("web", the service word), though its port is not 5. */
	assert_int_equal(sipc__inherit_take(pool, &la, &fd, why, sizeof(why)), 0);
	assert_int_equal(fd, 3);
	assert_int_equal(port_of(fd), tport);
	/* "echo" names the udp socket, which fits a udp line. */
	assert_int_equal(sipc__inherit_take(pool, &lb, &fd, why, sizeof(why)), 0);
	assert_int_equal(fd, 4);
	assert_int_equal(sipc__inherit_count(pool), 0);
	assert_int_equal(sipc__inherit_take(pool, &lb, &fd, why, sizeof(why)), -ENOENT);
	close(3);
	close(4);
	sipc__inherit_free(pool);
}

static void test_env_other_pid(void **state)
{
	struct sipc__inherit *pool = (void *)&pool;
	char why[256] = "", pid[32];
	int tcp = ip_socket(SOCK_STREAM, 0, true);

	(void)state;
	place(tcp, 3);
	assert_int_equal(fcntl(3, F_SETFD, 0), 0);
	snprintf(pid, sizeof(pid), "%ld", (long)getppid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "1", 1);
	setenv("LISTEN_FDNAMES", "x", 1);
	assert_int_equal(sipc__inherit_from_env(&pool, why, sizeof(why)), 0);
	assert_null(pool);
	/* Not ours: untouched, and the variables gone all the same. */
	assert_int_equal(fcntl(3, F_GETFD), 0);
	assert_null(getenv("LISTEN_FDS"));
	/* No variables at all: no pool. */
	assert_int_equal(sipc__inherit_from_env(&pool, why, sizeof(why)), 0);
	assert_null(pool);
	close(3);
}

static void test_env_hostile(void **state)
{
	static const struct {
		const char *fds, *names, *want;
	} cases[] = {
		{"abc", NULL, "LISTEN_FDS"},
		{"-1", NULL, "LISTEN_FDS"},
		{"99999999999999999999", NULL, "LISTEN_FDS"},
		{"2", NULL, "not open"},
		{"1", "a\nb", "control character"},
		{"1", "a\033[2Jb", "control character"},
		{"1", "", "empty"},
		{"1", "a:b", "more names"},
		{"2", "a", "name(s) for"},
		{"1",
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		 "longer than 255"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sipc__inherit *pool = NULL;
		char why[256] = "";

		place(ip_socket(SOCK_STREAM, 0, true), 3);
		close(4);
		/* Descriptor 4 is open but where it must not be. */
		if (strcmp(cases[i].want, "not open") != 0)
			place(ip_socket(SOCK_DGRAM, 0, false), 4);
		set_env(cases[i].fds, cases[i].names);
		assert_int_equal(sipc__inherit_from_env(&pool, why, sizeof(why)), -1);
		assert_null(pool);
		if (strstr(why, cases[i].want) == NULL)
			fail_msg("case %zu: '%s' does not say '%s'", i, why, cases[i].want);
		/* The sentence never carries the hostile bytes. */
		assert_null(strchr(why, '\n'));
		assert_null(strchr(why, '\033'));
		assert_null(getenv("LISTEN_PID"));
		close(3);
		close(4);
	}
	/* The longest name allowed is fine. */
	{
		struct sipc__inherit *pool = NULL;
		char why[256] = "", name[SIPC_INHERIT_NAME_MAX + 1];

		memset(name, 'n', SIPC_INHERIT_NAME_MAX);
		name[SIPC_INHERIT_NAME_MAX] = '\0';
		place(ip_socket(SOCK_STREAM, 0, true), 3);
		set_env("1", name);
		assert_int_equal(sipc__inherit_from_env(&pool, why, sizeof(why)), 0);
		assert_int_equal(sipc__inherit_count(pool), 1);
		sipc__inherit_free(pool);
		assert_int_equal(fcntl(3, F_GETFD), -1); /* the pool closed it */
	}
}

static void test_address(void **state)
{
	struct sipc__inherit *pool;
	char why[256] = "", url[128], path[108], unixurl[160];
	char *dir = sipc_test_tmpdir();
	int tcp = ip_socket(SOCK_STREAM, 0, true), fd;
	unsigned port = port_of(tcp);
	int udp = ip_socket(SOCK_DGRAM, port, false);
	int idle = ip_socket(SOCK_STREAM, 0, false); /* bound, not listening */
	unsigned iport = port_of(idle);
	int ux, abs;

	(void)state;
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	ux = unix_listener(path);
	abs = unix_listener("@sipc-test-inherit");
	assert_int_equal(sipc__inherit_new(&pool), 0);
	assert_int_equal(sipc__inherit_add(pool, dup(tcp), NULL), 0);
	assert_int_equal(sipc__inherit_add(pool, dup(udp), NULL), 0);
	assert_int_equal(sipc__inherit_add(pool, dup(idle), NULL), 0);
	assert_int_equal(sipc__inherit_add(pool, dup(ux), "some-other-name"), 0);
	assert_int_equal(sipc__inherit_add(pool, dup(abs), NULL), 0);

	/* udp and tcp on one port: each line gets its own kind. */
	snprintf(url, sizeof(url), "udp://127.0.0.1:%u", port);
	char *u[] = {url, "echo", NULL};
	struct sipc_serve_line lu = line_of(u);
	assert_int_equal(sipc__inherit_take(pool, &lu, &fd, why, sizeof(why)), 0);
	assert_true(same_socket(fd, udp));
	close(fd);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", port);
	assert_int_equal(sipc__inherit_take(pool, &lu, &fd, why, sizeof(why)), 0);
	assert_true(same_socket(fd, tcp));
	close(fd);
	/* A stream socket that does not listen serves no stream line. */
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", iport);
	assert_int_equal(sipc__inherit_take(pool, &lu, &fd, why, sizeof(why)), -ENOENT);
	/* Taken once, gone from the pool. */
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", port);
	assert_int_equal(sipc__inherit_take(pool, &lu, &fd, why, sizeof(why)), -ENOENT);
	/* A unix path and an abstract name, by address (the path's socket
	 * has a name that names no line). */
	snprintf(unixurl, sizeof(unixurl), "unix://%s", path);
	u[0] = unixurl;
	assert_int_equal(sipc__inherit_take(pool, &lu, &fd, why, sizeof(why)), 0);
	assert_true(same_socket(fd, ux));
	close(fd);
	u[0] = "unix://@sipc-test-inherit";
	assert_int_equal(sipc__inherit_take(pool, &lu, &fd, why, sizeof(why)), 0);
	assert_true(same_socket(fd, abs));
	close(fd);
	u[0] = "unix://@sipc-test-inherit-not";
	assert_int_equal(sipc__inherit_take(pool, &lu, &fd, why, sizeof(why)), -ENOENT);
	assert_int_equal(sipc__inherit_count(pool), 1); /* the idle one */
	sipc__inherit_free(pool);
	close(tcp);
	close(udp);
	close(idle);
	close(ux);
	close(abs);
	sipc_test_rmtree(dir);
	free(dir);
}

struct warned {
	int n;
	char last[512];
};

static void warn(void *arg, const char *what)
{
	struct warned *w = arg;

	w->n++;
	snprintf(w->last, sizeof(w->last), "%s", what);
}

static void test_wrong_type(void **state)
{
	struct sipc__inherit *pool;
	struct warned w = {0};
	char why[512] = "";
	int udp = ip_socket(SOCK_DGRAM, 0, false), fd;
	int tcp = ip_socket(SOCK_STREAM, 0, true);
	char *a[] = {"tcp://127.0.0.1:1", "echo", NULL};
	struct sipc_serve_line la = line_of(a);

	(void)state;
	assert_int_equal(sipc__inherit_new(&pool), 0);
	assert_int_equal(sipc__inherit_add(pool, udp, "echo"), 0);
	/* "echo" may name a udp line too: not this line's socket. */
	assert_int_equal(sipc__inherit_take(pool, &la, &fd, why, sizeof(why)), -ENOENT);
	/* No line took it, and its name names one: wrong kind. */
	assert_int_equal(sipc__inherit_check_rest(pool, &la, 1, why, sizeof(why)), -1);
	/* Both named: the socket (name, kind) and the line. */
	assert_non_null(strstr(why, "'echo'"));
	assert_non_null(strstr(why, "datagram"));
	assert_non_null(strstr(why, "-e 'test'"));
	assert_non_null(strstr(why, "stream listener"));
	/* The wrong one stays in the pool: it is named for the line, and a
	 * line it fits (udp) could still take it. */
	assert_int_equal(sipc__inherit_count(pool), 1);
	/* A listener named with a unixgram line's URL is that line's, and
	 * of the wrong family: an error at once. */
	assert_int_equal(sipc__inherit_add(pool, tcp, "unixgram://@x"), 0);
	char *b[] = {"unixgram://@x", "dg", NULL};
	struct sipc_serve_line lb = line_of(b);
	assert_int_equal(sipc__inherit_take(pool, &lb, &fd, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "IPv4 stream listener tcp://127.0.0.1:"));
	/* What no line took: one warning each, then closed. */
	sipc__inherit_close_rest(pool, warn, &w);
	assert_int_equal(w.n, 2);
	assert_non_null(strstr(w.last, "'unixgram://@x'"));
	assert_non_null(strstr(w.last, "listener"));
	assert_int_equal(sipc__inherit_count(pool), 0);
	assert_int_equal(fcntl(tcp, F_GETFD), -1);
	sipc__inherit_free(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_names),   cmocka_unit_test(test_env_other_pid),
		cmocka_unit_test(test_env_hostile), cmocka_unit_test(test_address),
		cmocka_unit_test(test_wrong_type),
	};
	/* Descriptors 3 and 4 are the activator's: nothing of the test's
	 * own may sit there (cmocka opens none, but be sure). */
	for (int fd = 3; fd <= 4; fd++)
		if (fcntl(fd, F_GETFD) >= 0 && fcntl(fd, F_DUPFD_CLOEXEC, 64) >= 0)
			close(fd);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
