/*
 * support.c - the shared test helpers of support.h that build on Linux and
 * on Windows (cmake/windows.cmake): deadlines, scratch directories, clocks
 * and addresses.  The child processes are proc.c's (POSIX only); what the
 * two systems spell differently is port.c's.
 */
#include "support.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "port.h"

int sipc_test_scale(void)
{
	const char *s = getenv("SIPC_TEST_SCALE");
	int v = s ? atoi(s) : 1;
	return v < 1 ? 1 : v;
}

int sipc_test_ms(int ms)
{
	return ms * sipc_test_scale();
}

char *sipc_test_tmpdir(void)
{
	char tmpl[512];

	snprintf(tmpl, sizeof(tmpl), "%s/sipc-test-XXXXXX", sipc_test_tmpbase());
	if (sipc_test_mkdtemp(tmpl) == NULL)
		return NULL;
	return strdup(tmpl);
}

void sipc_test_rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[1024];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

const char *sipc_test_path(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

int64_t sipc_test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *sipc_test_dir;

int sipc_test_dir_setup(void **state)
{
	(void)state;
	sipc_test_dir = sipc_test_tmpdir();
	return sipc_test_dir ? 0 : -1;
}

int sipc_test_dir_teardown(void **state)
{
	(void)state;
	sipc_test_rmtree(sipc_test_dir);
	free(sipc_test_dir);
	sipc_test_dir = NULL;
	return 0;
}

const char *sipc_test_local_url(const sipc_endpoint *ep, char *buf, size_t len)
{
	sipc_addr a;

	assert_int_equal(sipc_endpoint_local(ep, &a), 0);
	assert_true(sipc_addr_format(&a, buf, len) > 0);
	return buf;
}

const char *sipc_test_peer_url(const sipc_endpoint *ep, char *buf, size_t len)
{
	sipc_addr a;

	assert_int_equal(sipc_endpoint_peer(ep, &a), 0);
	assert_true(sipc_addr_format(&a, buf, len) > 0);
	return buf;
}

int sipc_test_local_port(const sipc_endpoint *ep)
{
	sipc_addr a;

	assert_int_equal(sipc_endpoint_local(ep, &a), 0);
	if (a.ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&a.ss)->sin_port);
	assert_int_equal(a.ss.ss_family, AF_INET6);
	return ntohs(((struct sockaddr_in6 *)&a.ss)->sin6_port);
}
