/*
 * proxyname.c - host names of proxy requests resolved on threads of their
 * own, each reporting through a note (sys.h; proxyname.h says why).
 */
#include "serve/services/proxyname.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/sys.h"

struct sipc__px_lookup {
	int refs; /* the thread's and the caller's */
	int done;
	struct sipc__sys_note note; /* posted when done */
	int port;
	int n; /* addresses found, or a negative code */
	char name[SIPC__PX_NAME_MAX + 1];
	sipc_addr addrs[SIPC__DIAL_MAX_ADDRS];
};

/* Lookups under way in the process (threads still running). */
static int running;

static void unref(struct sipc__px_lookup *l)
{
	if (__atomic_sub_fetch(&l->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	sipc__sys_note_close(&l->note);
	free(l);
}

bool sipc__px_name_ok(const char *name, size_t n)
{
	if (n == 0 || n > SIPC__PX_NAME_MAX || name[0] == '-' || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_'))
			return false;
	}
	return true;
}

static void *run(void *arg)
{
	struct sipc__px_lookup *l = arg;
	char text[SIPC__PX_NAME_MAX + 32], why[SIPC_WHY_MAX];
	sipc_url *url;
	int n;

	/* The name holds only what sipc__px_name_ok lets through, so the
	 * URL reads back as that name and that port. */
	snprintf(text, sizeof(text), "tcp://%s:%d", l->name, l->port);
	n = sipc_url_parse(text, &url, why, sizeof(why));
	if (n == 0) {
		n = sipc_url_resolve(url, false, l->addrs, SIPC__DIAL_MAX_ADDRS);
		sipc_url_free(url);
	} else {
		n = SIPC_ERESOLVE_NOHOST;
	}
	l->n = n;
	__atomic_store_n(&l->done, 1, __ATOMIC_RELEASE);
	sipc__sys_note_post(&l->note);
	__atomic_sub_fetch(&running, 1, __ATOMIC_RELAXED);
	unref(l);
	return NULL;
}

int sipc__px_lookup_start(const char *name, int port, struct sipc__px_lookup **lp)
{
	struct sipc__px_lookup *l;
	pthread_attr_t attr;
	pthread_t tid;
	size_t n = strlen(name);
	int err;

	if (!sipc__px_name_ok(name, n))
		return -EINVAL;
	if (__atomic_add_fetch(&running, 1, __ATOMIC_RELAXED) > SIPC__PX_LOOKUPS_MAX) {
		__atomic_sub_fetch(&running, 1, __ATOMIC_RELAXED);
		return -EAGAIN;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		__atomic_sub_fetch(&running, 1, __ATOMIC_RELAXED);
		return -ENOMEM;
	}
	err = sipc__sys_note_open(&l->note);
	if (err < 0) {
		free(l);
		__atomic_sub_fetch(&running, 1, __ATOMIC_RELAXED);
		return err;
	}
	memcpy(l->name, name, n + 1);
	l->port = port;
	l->refs = 2;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&tid, &attr, run, l);
	pthread_attr_destroy(&attr);
	if (err != 0) {
		sipc__sys_note_close(&l->note);
		free(l);
		__atomic_sub_fetch(&running, 1, __ATOMIC_RELAXED);
		return -err;
	}
	*lp = l;
	return 0;
}

int sipc__px_lookup_fd(const struct sipc__px_lookup *l)
{
	return l->note.rd;
}

int sipc__px_lookup_result(const struct sipc__px_lookup *l, sipc_addr *out, int max)
{
	int n;

	if (!__atomic_load_n(&l->done, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	n = l->n;
	if (n > max)
		n = max;
	for (int i = 0; i < n; i++)
		out[i] = l->addrs[i];
	return n;
}

void sipc__px_lookup_drop(struct sipc__px_lookup *l)
{
	if (l != NULL)
		unref(l);
}
