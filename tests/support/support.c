/*
 * support.c - the shared test helpers of support.h.
 */
#include "support.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
	const char *base = getenv("TMPDIR");
	char tmpl[512];

	snprintf(tmpl, sizeof(tmpl), "%s/sipc-test-XXXXXX", base && *base ? base : "/tmp");
	if (mkdtemp(tmpl) == NULL)
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

int sipc_test_wait_child(pid_t pid, int ms)
{
	struct timespec nap = {0, 5 * 1000 * 1000};
	int status;

	for (int waited = 0; waited <= ms; waited += 5) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		nanosleep(&nap, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}
