/*
 * limits.c - the per-service limits at run time (limits.h): the open
 * connection count of the service (one atomic), the open connections per
 * source (a small chained hash table under the service's mutex, an entry
 * freed when its count drops to zero, at most SIPC_LIMITS_SOURCES_MAX
 * entries), the new connections of the current second and the cps pause
 * (under the same mutex: one lock per accepted connection, none per byte),
 * and the access rules, which need no state.  The refusal-line limiter is
 * guard.c's drop-line limiter, one per service, under the mutex too.
 */
#include "serve/limits.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "serve/acl.h"
#include "sys/net.h"
#include "sys/sys.h"

#define BUCKETS 256

struct source {
	struct source *next;
	struct sipc__source key;
	long n;
};

struct sipc__limits {
	const struct sipc_svc_conf *conf;
	long instances; /* atomic */
	pthread_mutex_t lock;
	struct source *bucket[BUCKETS];
	size_t nsources;
	int64_t cps_window_ms; /* start of the current one-second window */
	long cps_count;        /* new connections in it */
	int64_t paused_until;  /* 0: not paused */
	bool pause_logged_end; /* the end of the last pause was told */
	struct sipc_droplog log;
};

struct sipc__limits *sipc__limits_new(const struct sipc_svc_conf *conf)
{
	struct sipc__limits *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->conf = conf;
	l->pause_logged_end = true;
	pthread_mutex_init(&l->lock, NULL);
	return l;
}

void sipc__limits_free(struct sipc__limits *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < BUCKETS; i++) {
		struct source *s = l->bucket[i], *next;
		for (; s != NULL; s = next) {
			next = s->next;
			free(s);
		}
	}
	pthread_mutex_destroy(&l->lock);
	free(l);
}

const struct sipc_svc_conf *sipc__limits_conf(const struct sipc__limits *l)
{
	return l->conf;
}

int sipc__limits_minute_now(void)
{
	time_t t = time(NULL);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return tm.tm_hour * 60 + tm.tm_min;
}

/* True when a unix peer with credentials CR is named by the uid:/gid:
 * entries of ACL. */
static bool cred_listed(const struct sipc_acl *acl, const sipc_cred *cr)
{
	/* (uid_t)-1 is nobody's uid: no one passes as "the server's own". */
	return sipc__acl_cred_allows(acl, false, (uid_t)-1, cr->uid, cr->gid);
}

const char *sipc__limits_access(const struct sipc_svc_conf *conf, const struct sipc__peer *peer,
				int minute)
{
	const sipc_addr *a = peer->addr;
	bool ip = a->ss.ss_family == AF_INET || a->ss.ss_family == AF_INET6;

	if (ip && !sipc__acl_allows(&conf->only_from, a))
		return "not in only_from";
	if (!ip && peer->cred != NULL && sipc__acl_has_creds(&conf->only_from) &&
	    !sipc__acl_cred_allows(&conf->only_from, false, sipc__sys_euid(), peer->cred->uid,
				   peer->cred->gid))
		return "uid/gid not in only_from";
	if (ip && conf->no_access.n > 0 && sipc__acl_allows(&conf->no_access, a))
		return "in no_access";
	if (!ip && peer->cred != NULL && sipc__acl_has_creds(&conf->no_access) &&
	    cred_listed(&conf->no_access, peer->cred))
		return "uid/gid in no_access";
	if (conf->ntimes > 0) {
		if (minute < 0)
			minute = sipc__limits_minute_now();
		if (!sipc__svc_conf_time_allows(conf, minute))
			return "outside access_times";
	}
	return NULL;
}

void sipc__limits_source_of(const struct sipc_svc_conf *conf, const struct sipc__peer *peer,
			    struct sipc__source *src)
{
	const sipc_addr *a = peer->addr;

	memset(src, 0, sizeof(*src));
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;
		src->family = AF_INET;
		memcpy(src->a, &in->sin_addr, 4);
	} else if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			/* A dual-stack listener's IPv4 peer is that IPv4 source. */
			src->family = AF_INET;
			memcpy(src->a, &in6->sin6_addr.s6_addr[12], 4);
			return;
		}
		int bits = conf->per_source_prefix6;
		src->family = AF_INET6;
		memcpy(src->a, &in6->sin6_addr, 16);
		for (int i = 0; i < 16; i++) {
			int keep = bits - i * 8;
			uint8_t mask = keep >= 8   ? 0xff
				       : keep <= 0 ? 0
						   : (uint8_t)(0xff << (8 - keep));
			src->a[i] &= mask;
		}
	} else if (peer->cred != NULL) {
		uint32_t uid = (uint32_t)peer->cred->uid;
		src->family = AF_UNIX;
		memcpy(src->a, &uid, sizeof(uid));
	}
	/* Otherwise AF_UNSPEC: every peer without an identity is one source. */
}

static unsigned hash(const struct sipc__source *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	h = (h ^ s->family) * 16777619u;
	for (size_t i = 0; i < sizeof(s->a); i++)
		h = (h ^ s->a[i]) * 16777619u;
	return h % BUCKETS;
}

static bool same(const struct sipc__source *x, const struct sipc__source *y)
{
	return x->family == y->family && memcmp(x->a, y->a, sizeof(x->a)) == 0;
}

/* With the lock held: the entry of SRC, or NULL; *LINK is where it hangs. */
static struct source *find(struct sipc__limits *l, const struct sipc__source *src,
			   struct source ***link)
{
	struct source **p = &l->bucket[hash(src)];

	for (; *p != NULL; p = &(*p)->next)
		if (same(&(*p)->key, src))
			break;
	*link = p;
	return *p;
}

static void fmt_pause(char *why, size_t len, const struct sipc_svc_conf *conf)
{
	snprintf(why, len, "more than %ld new connections in one second (cps %ld %d.%03d)",
		 conf->cps, conf->cps, conf->cps_pause_ms / 1000, conf->cps_pause_ms % 1000);
}

/* With the lock held: counts a new connection in the current second. */
static int cps_take(struct sipc__limits *l, int64_t now_ms, char *why, size_t len)
{
	const struct sipc_svc_conf *conf = l->conf;

	if (conf->cps == SIPC_SVC_UNLIMITED)
		return SIPC_LIMITS_ADMITTED;
	if (l->paused_until != 0 && now_ms < l->paused_until) {
		/* Accepted before the other workers saw the pause. */
		snprintf(why, len, "accepting paused by cps for %lld ms more",
			 (long long)(l->paused_until - now_ms));
		return SIPC_LIMITS_REFUSED;
	}
	if (now_ms - l->cps_window_ms >= 1000 || l->cps_window_ms == 0) {
		l->cps_window_ms = now_ms != 0 ? now_ms : 1;
		l->cps_count = 0;
	}
	if (++l->cps_count <= conf->cps)
		return SIPC_LIMITS_ADMITTED;
	l->paused_until = now_ms + conf->cps_pause_ms;
	if (l->paused_until == 0)
		l->paused_until = 1;
	l->pause_logged_end = false;
	l->cps_count = 0;
	l->cps_window_ms = 0;
	fmt_pause(why, len, conf);
	return SIPC_LIMITS_PAUSED;
}

/* With the lock held: one more connection from SRC. */
static int source_take(struct sipc__limits *l, const struct sipc__source *src, char *why,
		       size_t len)
{
	struct source **link, *s = find(l, src, &link);

	if (s != NULL && s->n >= l->conf->per_source) {
		snprintf(why, len, "%ld connections from this source (per_source %ld)", s->n,
			 l->conf->per_source);
		return SIPC_LIMITS_REFUSED;
	}
	if (s == NULL) {
		if (l->nsources >= SIPC_LIMITS_SOURCES_MAX || (s = calloc(1, sizeof(*s))) == NULL) {
			snprintf(why, len,
				 "%zu sources already connected: the per_source table is full",
				 l->nsources);
			return SIPC_LIMITS_REFUSED;
		}
		s->key = *src;
		*link = s;
		l->nsources++;
	}
	s->n++;
	return SIPC_LIMITS_ADMITTED;
}

/* With the lock held: one connection from SRC fewer. */
static void source_give(struct sipc__limits *l, const struct sipc__source *src)
{
	struct source **link, *s = find(l, src, &link);

	if (s == NULL)
		return;
	if (--s->n <= 0) {
		*link = s->next;
		free(s);
		l->nsources--;
	}
}

int sipc__limits_admit(struct sipc__limits *l, const struct sipc__peer *peer, int64_t now_ms,
		       int minute, struct sipc__ticket *t, char *why, size_t whylen)
{
	const struct sipc_svc_conf *conf = l->conf;
	const char *deny = sipc__limits_access(conf, peer, minute);
	struct sipc__ticket tk = {0};
	int rc = SIPC_LIMITS_ADMITTED;

	memset(t, 0, sizeof(*t));
	if (deny != NULL) {
		snprintf(why, whylen, "%s", deny);
		return SIPC_LIMITS_REFUSED;
	}
	if (conf->cps != SIPC_SVC_UNLIMITED) {
		pthread_mutex_lock(&l->lock);
		rc = cps_take(l, now_ms, why, whylen);
		pthread_mutex_unlock(&l->lock);
		if (rc != SIPC_LIMITS_ADMITTED)
			return rc;
	}
	long n = __atomic_add_fetch(&l->instances, 1, __ATOMIC_RELAXED);
	if (conf->instances != SIPC_SVC_UNLIMITED && n > conf->instances) {
		__atomic_sub_fetch(&l->instances, 1, __ATOMIC_RELAXED);
		snprintf(why, whylen, "%ld connections open (instances %ld)", n - 1,
			 conf->instances);
		return SIPC_LIMITS_REFUSED;
	}
	tk.l = l;
	if (conf->per_source != SIPC_SVC_UNLIMITED) {
		sipc__limits_source_of(conf, peer, &tk.src);
		pthread_mutex_lock(&l->lock);
		rc = source_take(l, &tk.src, why, whylen);
		pthread_mutex_unlock(&l->lock);
		if (rc != SIPC_LIMITS_ADMITTED) {
			__atomic_sub_fetch(&l->instances, 1, __ATOMIC_RELAXED);
			return rc;
		}
		tk.per_source = true;
	}
	*t = tk;
	return SIPC_LIMITS_ADMITTED;
}

void sipc__limits_release(struct sipc__ticket *t)
{
	struct sipc__limits *l = t->l;

	if (l == NULL)
		return;
	if (t->per_source) {
		pthread_mutex_lock(&l->lock);
		source_give(l, &t->src);
		pthread_mutex_unlock(&l->lock);
	}
	__atomic_sub_fetch(&l->instances, 1, __ATOMIC_RELAXED);
	memset(t, 0, sizeof(*t));
}

int64_t sipc__limits_paused(struct sipc__limits *l, int64_t now_ms)
{
	int64_t left = 0;

	if (l->conf->cps == SIPC_SVC_UNLIMITED)
		return 0;
	pthread_mutex_lock(&l->lock);
	if (l->paused_until != 0 && now_ms < l->paused_until)
		left = l->paused_until - now_ms;
	pthread_mutex_unlock(&l->lock);
	return left;
}

bool sipc__limits_pause_over(struct sipc__limits *l, int64_t now_ms)
{
	bool over = false;

	if (l->conf->cps == SIPC_SVC_UNLIMITED)
		return false;
	pthread_mutex_lock(&l->lock);
	if (!l->pause_logged_end && now_ms >= l->paused_until) {
		l->pause_logged_end = true;
		l->paused_until = 0;
		over = true;
	}
	pthread_mutex_unlock(&l->lock);
	return over;
}

long sipc__limits_instances(struct sipc__limits *l)
{
	return __atomic_load_n(&l->instances, __ATOMIC_RELAXED);
}

long sipc__limits_source_count(struct sipc__limits *l, const struct sipc__source *src)
{
	struct source **link, *s;
	long n;

	pthread_mutex_lock(&l->lock);
	s = find(l, src, &link);
	n = s != NULL ? s->n : 0;
	pthread_mutex_unlock(&l->lock);
	return n;
}

bool sipc__limits_log_take(struct sipc__limits *l, const sipc_addr *from, int64_t now_ms,
			   uint64_t *more)
{
	sipc_addr host = *from;
	uint64_t suppressed = 0, others = 0;
	bool take;

	/* A host, not a connection: every connection has a port of its own. */
	if (host.ss.ss_family == AF_INET)
		((struct sockaddr_in *)&host.ss)->sin_port = 0;
	else if (host.ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&host.ss)->sin6_port = 0;
	pthread_mutex_lock(&l->lock);
	take = sipc__droplog_take(&l->log, &host, now_ms, &suppressed, &others);
	pthread_mutex_unlock(&l->lock);
	*more = suppressed + others;
	return take;
}
