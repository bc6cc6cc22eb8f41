/*
 * spawn.c - the ceiling of an inetd's exec rate: starts PROGRAM N times
 * with posix_spawn(3), keeping P of them running at once (as an inetd
 * does with P clients connecting), reaps each with waitpid(2), and does
 * nothing else: its stdin and stdout are /dev/null.  An inetd does at
 * least this per connection (and accepts, and hands over a socket), so no
 * server pinned to the same CPUs starts PROGRAM faster than this loop.
 *
 *   spawn N P PROGRAM [ARGS...]    prints "PROGRAMS_PER_SECOND"
 *
 * Built by bench/run with cc; not part of the sockipc build.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	long n = argc > 3 ? strtol(argv[1], NULL, 10) : 0;
	long p = argc > 3 ? strtol(argv[2], NULL, 10) : 0;
	long started = 0, running = 0;

	if (n <= 0 || p <= 0) {
		fprintf(stderr, "usage: spawn N P PROGRAM [ARGS...]\n");
		return 2;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	double t0 = now_s();
	while (started < n || running > 0) {
		if (started < n && running < p) {
			pid_t pid;
			int e = posix_spawn(&pid, argv[3], &fa, NULL, argv + 3, environ);

			if (e != 0) {
				fprintf(stderr, "spawn %s: error %d\n", argv[3], e);
				return 1;
			}
			started++;
			running++;
			continue;
		}
		int st;

		if (waitpid(-1, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "spawn %s: a child did not exit 0\n", argv[3]);
			return 1;
		}
		running--;
	}
	printf("%.0f\n", (double)n / (now_s() - t0));
	return 0;
}
