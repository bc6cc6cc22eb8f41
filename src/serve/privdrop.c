/*
 * privdrop.c - the privilege drop of `sockipc serve` (privdrop.h): the
 * start-up checks (not root: no other user; root: an exec block says who
 * it runs as), the drop of the whole process once every endpoint is bound,
 * and the ids an exec child takes between fork and exec.  The order is
 * the one setgroups(2) and setuid(2) impose: the group list and the group
 * while still root, the user last, since after it nothing else may change.
 */
#include "serve/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "serve/server.h"

/* 32-bit ids on the architectures whose old calls take 16-bit ones. */
#if defined(SYS_setresuid32)
#define SYS_SETGROUPS SYS_setgroups32
#define SYS_SETRESGID SYS_setresgid32
#define SYS_SETRESUID SYS_setresuid32
#else
#define SYS_SETGROUPS SYS_setgroups
#define SYS_SETRESGID SYS_setresgid
#define SYS_SETRESUID SYS_setresuid
#endif

/* The most supplementary groups a user may have (NGROUPS_MAX is 65536). */
#define GROUPS_MAX 65536

int sipc__privdrop_ids(const struct sipc_svc_conf *conf, struct sipc__ids *ids, char *why,
		       size_t whylen)
{
	int n = conf->groups ? 64 : 1;
	gid_t *v = NULL;

	for (;;) {
		gid_t *nv = realloc(v, (size_t)n * sizeof(*v));
		if (nv == NULL)
			goto nomem;
		v = nv;
		if (!conf->groups) {
			v[0] = conf->gid;
			break;
		}
		int want = n;
		if (getgrouplist(conf->user, conf->gid, v, &want) >= 0) {
			n = want;
			break;
		}
		if (want <= n || want > GROUPS_MAX) {
			snprintf(why, whylen, "user %s: cannot list its groups", conf->user);
			free(v);
			return -1;
		}
		n = want;
	}
	ids->uid = conf->uid;
	ids->gid = conf->gid;
	ids->groups = v;
	ids->ngroups = (size_t)n;
	return 0;
nomem:
	free(v);
	snprintf(why, whylen, "out of memory");
	return -1;
}

void sipc__privdrop_ids_free(struct sipc__ids *ids)
{
	free(ids->groups);
	ids->groups = NULL;
	ids->ngroups = 0;
}

bool sipc__privdrop_child_needs(const struct sipc_svc_conf *conf)
{
	return conf->user != NULL && (geteuid() != conf->uid || getegid() != conf->gid);
}

int sipc__privdrop_child(const struct sipc__ids *ids, const char **step)
{
	/* Raw calls: glibc's wrappers would try to tell the parent's other
	 * threads (setxid), which a forked child does not have. */
	if (syscall(SYS_SETGROUPS, ids->ngroups, ids->groups) < 0) {
		*step = "setgroups";
		return -errno;
	}
	if (syscall(SYS_SETRESGID, ids->gid, ids->gid, ids->gid) < 0) {
		*step = "setgid";
		return -errno;
	}
	if (syscall(SYS_SETRESUID, ids->uid, ids->uid, ids->uid) < 0) {
		*step = "setuid";
		return -errno;
	}
	return 0;
}

static bool is_exec(const struct sipc_serve_line *line)
{
	return line->argc >= 2 && strcmp(line->argv[1], "exec") == 0;
}

/* Where CONF was given, for errors: the block, or the flags. */
static const char *where(const struct sipc_serve_line *line)
{
	return line->conf->name != NULL ? line->conf->origin : line->origin;
}

int sipc__privdrop_check(const struct sipc_serve_config *cfg, char *why, size_t whylen)
{
	uid_t euid = geteuid();
	gid_t egid = getegid();

	for (size_t i = 0; i < cfg->nlines; i++) {
		const struct sipc_serve_line *line = &cfg->lines[i];
		const struct sipc_svc_conf *c = line->conf;

		if (c == NULL)
			continue;
		if (euid != 0 && c->user != NULL && (c->uid != euid || c->gid != egid)) {
			snprintf(why, whylen,
				 "%s: user %s (uid=%lu gid=%lu): serve runs as uid=%lu gid=%lu, "
				 "not root, and cannot become another user or group; start it as "
				 "root, or leave `user` out",
				 where(line), c->user, (unsigned long)c->uid, (unsigned long)c->gid,
				 (unsigned long)euid, (unsigned long)egid);
			return -1;
		}
		if (euid == 0 && is_exec(line) && c->name != NULL && c->user == NULL) {
			snprintf(why, whylen,
				 "%s: service %s: exec as root needs 'user = root' to say so",
				 c->origin, c->name);
			return -1;
		}
	}
	return 0;
}

/* "uid=0(root) gid=0(root) groups=0(root),4(adm)" for the running process. */
static void describe_self(char *buf, size_t len)
{
	struct passwd *pw = getpwuid(geteuid());
	struct group *gr = getgrgid(getegid());
	gid_t g[64];
	int n = getgroups(64, g);
	size_t k;

	k = (size_t)snprintf(buf, len, "uid=%lu(%s) gid=%lu(%s) groups=", (unsigned long)geteuid(),
			     pw ? pw->pw_name : "?", (unsigned long)getegid(),
			     gr ? gr->gr_name : "?");
	for (int i = 0; i < n && k < len; i++) {
		gr = getgrgid(g[i]);
		k += (size_t)snprintf(buf + k, len - k, "%s%lu(%s)", i ? "," : "",
				      (unsigned long)g[i], gr ? gr->gr_name : "?");
	}
	if (n < 0 && k < len)
		snprintf(buf + k, len - k, "?");
}

/*
 * The socket files were made by root: they become the user's, so the
 * server can still remove them at exit (in a sticky directory such as
 * /tmp only the owner may) and --unix-mode's owner bits mean the user the
 * service runs as.  A failure is logged, not fatal: the socket works.
 */
static void chown_sockets(const struct sipc_serve_config *cfg, uid_t uid, gid_t gid)
{
	for (size_t i = 0; i < cfg->nlines; i++) {
		char detail[SIPC_WHY_MAX];
		sipc_url *url;

		if (cfg->lines[i].argc < 1 ||
		    sipc_url_parse(cfg->lines[i].argv[0], &url, detail, sizeof(detail)) < 0)
			continue;
		if (sipc_scheme_is_unix(sipc_url_scheme(url)) && !sipc_url_is_abstract(url) &&
		    lchown(sipc_url_path(url), uid, gid) < 0)
			sipc__serve_log(NULL, 0,
					"serve: chown %s: %s; it may be left behind at exit",
					cfg->lines[i].argv[0], strerror(errno));
		sipc_url_free(url);
	}
}

/* Every line names the same user, group and group list: that conf. */
static const struct sipc_svc_conf *common_user(const struct sipc_serve_config *cfg)
{
	const struct sipc_svc_conf *first = cfg->nlines > 0 ? cfg->lines[0].conf : NULL;

	if (first == NULL || first->user == NULL)
		return NULL;
	for (size_t i = 1; i < cfg->nlines; i++) {
		const struct sipc_svc_conf *c = cfg->lines[i].conf;
		if (c == NULL || c->user == NULL || c->uid != first->uid || c->gid != first->gid ||
		    c->groups != first->groups)
			return NULL;
	}
	return first;
}

static void warn_root_exec(const struct sipc_serve_config *cfg)
{
	for (size_t i = 0; i < cfg->nlines; i++) {
		const struct sipc_serve_line *line = &cfg->lines[i];
		if (is_exec(line) && line->conf->user == NULL) {
			sipc__serve_log(NULL, 0,
					"serve: WARNING: %s: exec runs its programs as root; give "
					"--user USER (or `user` in a configuration block)",
					line->origin);
			return;
		}
	}
}

static int drop(const struct sipc_serve_config *cfg, const struct sipc_svc_conf *c, char *why,
		size_t whylen)
{
	struct sipc__ids ids;
	uid_t r, e, s;
	gid_t rg, eg, sg;
	const char *step = NULL;

	if (sipc__privdrop_ids(c, &ids, why, whylen) < 0)
		return 1;
	chown_sockets(cfg, ids.uid, ids.gid);
	/* glibc's wrappers: every thread of the process changes. */
	if (setgroups(ids.ngroups, ids.groups) < 0)
		step = "setgroups";
	else if (setresgid(ids.gid, ids.gid, ids.gid) < 0)
		step = "setgid";
	else if (setresuid(ids.uid, ids.uid, ids.uid) < 0)
		step = "setuid";
	sipc__privdrop_ids_free(&ids);
	if (step != NULL) {
		snprintf(why, whylen, "privilege drop to %s: %s: %s", c->user, step,
			 strerror(errno));
		return 1;
	}
	if (getresuid(&r, &e, &s) < 0 || getresgid(&rg, &eg, &sg) < 0 || r != c->uid ||
	    e != c->uid || s != c->uid || rg != c->gid || eg != c->gid || sg != c->gid) {
		snprintf(why, whylen, "privilege drop to %s: the ids did not all change", c->user);
		return 1;
	}
	if (c->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(why, whylen, "privilege drop to %s: root could be regained", c->user);
		return 1;
	}
	return 0;
}

int sipc__privdrop_apply(const struct sipc_serve_config *cfg, char *why, size_t whylen)
{
	const struct sipc_svc_conf *c;
	char self[1024];
	int rc;

	if (sipc__privdrop_check(cfg, why, whylen) < 0)
		return 2;
	if (geteuid() != 0)
		return 0; /* every user named is this one: nothing to change */
	warn_root_exec(cfg);
	c = common_user(cfg);
	if (c == NULL) {
		for (size_t i = 0; i < cfg->nlines; i++)
			if (cfg->lines[i].conf != NULL && cfg->lines[i].conf->user != NULL) {
				sipc__serve_log(
					NULL, 0,
					"serve: the services do not all name the same user: "
					"serve stays root, each exec child runs as its "
					"service's user");
				break;
			}
		return 0;
	}
	rc = drop(cfg, c, why, whylen);
	if (rc != 0)
		return rc;
	if (cfg->verbosity >= 1) {
		describe_self(self, sizeof(self));
		sipc__serve_log(NULL, 0, "serve: running as %s", self);
	}
	return 0;
}
