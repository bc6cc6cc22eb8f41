/*
 * privdrop.h - who `sockipc serve` and its exec children run as (the
 * `user`, `group` and `groups` attributes of svcconf.h).  serve binds as
 * root; then, when every service names the same user, the whole process
 * becomes that user (sipc__privdrop_apply, called once where binding
 * ends); otherwise the server stays as it is and each exec child takes
 * its own service's ids between fork and exec (sipc__privdrop_child).
 */
#ifndef SIPC_SERVE_PRIVDROP_H
#define SIPC_SERVE_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "serve/config.h"
#include "serve/svcconf.h"

/* The ids a process takes, resolved before any fork: the group list needs
 * the group database, which a forked child of a threaded server must not
 * read. */
struct sipc__ids {
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* the supplementary groups: the user's (groups = yes) or GID alone */
	size_t ngroups;
};

/* The ids of CONF (conf->user set).  0, or -1 with WHY; free with
 * sipc__privdrop_ids_free. */
int sipc__privdrop_ids(const struct sipc_svc_conf *conf, struct sipc__ids *ids, char *why,
		       size_t whylen);
void sipc__privdrop_ids_free(struct sipc__ids *ids);

/* Whether a child of the service of CONF must change its ids: the service
 * names a user and the server does not already run as it (and its group). */
bool sipc__privdrop_child_needs(const struct sipc_svc_conf *conf);

/*
 * Between fork and exec: setgroups, setgid, setuid (real, effective and
 * saved), in that order, through the raw system calls (async-signal-safe,
 * and they change this process only).  0, or a negative errno with *STEP
 * naming the call that failed.
 */
int sipc__privdrop_child(const struct sipc__ids *ids, const char **step);

/*
 * What must hold before anything is bound (and for `serve --check`):
 * not root, every user named must be the one serve runs as (exit 2
 * rather than half a drop); as root, an exec service of a configuration
 * block must name its user (`user = root` to say so), as xinetd requires.
 * 0, or -1 with WHY.
 */
int sipc__privdrop_check(const struct sipc_serve_config *cfg, char *why, size_t whylen);

/*
 * After every endpoint is bound and before anything is served: when serve
 * runs as root and every service names the same user (group, groups),
 * chowns the unix socket files to it, drops the whole process to it
 * (setgroups, setgid, setuid), checks that root cannot come back, and logs
 * `serve: running as uid=N(name) gid=N(name) groups=...`.  Otherwise it
 * changes nothing (exec children take their own ids) and says so; exec
 * lines given without a user warn once.  Returns 0, or the exit status (2
 * usage, 1 the drop failed: the process must not serve) with WHY.
 */
int sipc__privdrop_apply(const struct sipc_serve_config *cfg, char *why, size_t whylen);

#endif /* SIPC_SERVE_PRIVDROP_H */
