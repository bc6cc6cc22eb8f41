/*
 * support.h - helpers shared by the cmocka tests: deadlines that stretch
 * under the sanitizers, scratch directories, and child processes with a
 * bounded wait.
 */
#ifndef SIPC_TEST_SUPPORT_H
#define SIPC_TEST_SUPPORT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/types.h>

#include <cmocka.h>

#include "sockipc.h"

/* SIPC_TEST_SCALE from the environment (4 under the sanitizers), at least 1. */
int sipc_test_scale(void);
/* MS stretched by the scale: use it for every timeout a test waits on. */
int sipc_test_ms(int ms);

/* A new private directory under $TMPDIR (or /tmp); free() the result after
 * sipc_test_rmtree. */
char *sipc_test_tmpdir(void);
/* Removes DIR and what is in it (one level deep is all tests create). */
void sipc_test_rmtree(const char *dir);
/* DIR "/" NAME into BUF. */
const char *sipc_test_path(char *buf, size_t len, const char *dir, const char *name);

/* Waits for PID for at most MS (scaled by the caller); kills it (and the
 * group it leads) with SIGKILL when the time is up.  Returns its wait
 * status, or -1 on timeout. */
int sipc_test_wait_child(pid_t pid, int ms);

/* CLOCK_MONOTONIC in milliseconds, for measuring how long a call took. */
int64_t sipc_test_now_ms(void);

/* A fixture pair for cmocka groups: sipc_test_dir is a fresh scratch
 * directory during the group, removed after it. */
extern char *sipc_test_dir;
int sipc_test_dir_setup(void **state);
int sipc_test_dir_teardown(void **state);

/* The endpoint's local or peer address as URL text in BUF (asserts). */
const char *sipc_test_local_url(const sipc_endpoint *ep, char *buf, size_t len);
const char *sipc_test_peer_url(const sipc_endpoint *ep, char *buf, size_t len);
/* The endpoint's local IP port (asserts it is an IP endpoint). */
int sipc_test_local_port(const sipc_endpoint *ep);

/* A `sockipc serve` ($SOCKIPC) started by a test, with the real URLs of
 * its `listening URL SERVICE` lines. */
#define SIPC_TEST_MAXURLS 8
struct sipc_test_server {
	pid_t pid;
	int nurls;
	char urls[SIPC_TEST_MAXURLS][SIPC_URL_MAX];
};

/* Starts `sockipc serve -q ARGS...` (ARGS NULL-terminated) and waits,
 * bounded, for NLINES `listening` lines.  The server runs in a process
 * group of its own and dies with the test program; one not yet reaped when
 * the program exits (a failed assertion skipped its stop) is stopped with
 * its group then. */
void sipc_test_server_start(struct sipc_test_server *s, int nlines, const char *const *args);
/* Waits at most MS for the server to end; asserts a drained exit 0. */
void sipc_test_server_wait(struct sipc_test_server *s, int ms);
/* SIGTERM, then sipc_test_server_wait. */
void sipc_test_server_stop(struct sipc_test_server *s);

#endif
