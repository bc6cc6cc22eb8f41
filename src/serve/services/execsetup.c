/*
 * execsetup.c - the exec endpoint's arguments and start-up line
 * (execsetup.h).
 */
#include "serve/services/execsetup.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "serve/acl.h"
#include "serve/config.h"
#include "serve/services/services.h"
#include "sys/net.h"
#include "sys/sys.h"

/* Whether A is a loopback address (or a unix socket, local by nature). */
static bool is_local(const sipc_addr *a)
{
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;
		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
	}
	return true;
}

/*
 * Whether a unix endpoint is open to other users by nature: an abstract
 * name has no file and so no permissions at all, and a socket file whose
 * mode lets others write (--unix-mode, or the umask's default) lets any
 * local user connect.  Such an exec endpoint admits only the server's own
 * uid unless --allow-uid/--allow-gid widen it (worker.c checks).
 */
static bool unix_open_to_others(const sipc_addr *local, char *what, size_t len)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)&local->ss;
	struct stat st;

	if ((size_t)local->len <= offsetof(struct sockaddr_un, sun_path) ||
	    un->sun_path[0] == '\0') {
		snprintf(what, len, "an abstract name has no permissions");
		return true;
	}
	if (stat(un->sun_path, &st) < 0) {
		snprintf(what, len, "its mode is unknown: %s", strerror(errno));
		return true;
	}
	if (st.st_mode & S_IWOTH) {
		snprintf(what, len, "its mode %04o lets any user connect",
			 (unsigned)(st.st_mode & 07777));
		return true;
	}
	snprintf(what, len, "its mode %04o", (unsigned)(st.st_mode & 07777));
	return false;
}

/* The start-up line of an exec endpoint: who may run PROG through it. */
static void say_who(struct sipc_srv_endpoint *sep, const sipc_addr *local, const char *prog)
{
	const struct sipc_serve_config *cfg = sipc__svc_ep_config(sep);
	const struct sipc_acl *acl = &cfg->acl;
	char what[64], set[512];

	if (local->ss.ss_family == AF_UNIX) {
		bool own_only = unix_open_to_others(local, what, sizeof(what));
		sipc__svc_ep_set_own_only(sep, own_only);
		if (sipc__acl_has_creds(acl) || own_only) {
			sipc__acl_cred_describe(acl, sipc__sys_euid(), set, sizeof(set));
			sipc__svc_log(sep, 1, "exec on %s runs '%s' for %s only (%s%s)",
				      sipc__svc_ep_url(sep), prog, set, what,
				      sipc__acl_has_creds(acl)
					      ? "; --allow-uid/--allow-gid"
					      : "; widen with --allow-uid/--allow-gid");
		} else {
			sipc__svc_log(sep, 1,
				      "exec on %s runs '%s' for the users the socket file lets "
				      "connect (%s)",
				      sipc__svc_ep_url(sep), prog, what);
		}
		return;
	}
	sipc__acl_describe(acl, set, sizeof(set));
	if (sipc_scheme_is_tls(sipc__svc_ep_scheme(sep)) && cfg->tls_mutual) {
		/* Certificates say who: the address no longer has to. */
		sipc__svc_log(sep, 1,
			      "exec on %s runs '%s' only for TLS clients with a certificate "
			      "signed by --client-ca %s%s%s%s",
			      sipc__svc_ep_url(sep), prog, cfg->tls_client_ca,
			      cfg->nallow_certs > 0 ? " and listed in --allow-cert" : "",
			      acl->n > 0 ? ", from --allow " : "", acl->n > 0 ? set : "");
		return;
	}
	if (acl->n > 0 && sipc__acl_is_local(acl))
		sipc__svc_log(sep, 1,
			      "exec on %s runs '%s' for peers in --allow %s (loopback and this "
			      "host's own networks)",
			      sipc__svc_ep_url(sep), prog, set);
	else if (acl->n > 0 && !is_local(local))
		sipc__svc_log(
			sep, 0,
			"WARNING: exec on %s runs '%s' for any peer in --allow %s: this reaches "
			"beyond loopback and this host's own networks",
			sipc__svc_ep_url(sep), prog, set);
	else if (acl->n > 0)
		sipc__svc_log(sep, 1, "exec on %s runs '%s' for local peers in --allow %s",
			      sipc__svc_ep_url(sep), prog, set);
	else if (!is_local(local))
		sipc__svc_log(sep, 0,
			      "WARNING: exec on %s runs '%s' for ANY peer that can reach it: "
			      "this endpoint is bound beyond loopback; restrict it with "
			      "--allow%s or bind 127.0.0.1 / a unix socket",
			      sipc__svc_ep_url(sep), prog,
			      sipc_scheme_is_tls(sipc__svc_ep_scheme(sep)) ? ", --client-ca" : "");
	else
		sipc__svc_log(sep, 1, "exec on %s runs '%s' for any local user (loopback)",
			      sipc__svc_ep_url(sep), prog);
}

int sipc__exec_setup(struct sipc_srv_endpoint *sep, int argc, char **argv, struct sipc__exec_ep *ee,
		     char *why, size_t whylen)
{
	const struct sipc_svc_opt opts[] = {
		{"max-children", SIPC__SVC_OPT_INT, &ee->max_children, 1, 100000},
		{NULL, 0, NULL, 0, 0},
	};
	sipc_addr local;
	int used;

	ee->max_children = SIPC__EXEC_MAX_CHILDREN_DEFAULT;
	if (sipc__svc_opts_parse("exec", argc, argv, opts, &used, why, whylen) < 0)
		return -1;
	if (used >= argc) {
		snprintf(why, whylen, "exec: no PROGRAM (usage: %s)", sipc__svc_exec.usage);
		return -1;
	}
	ee->argv = argv + used; /* the line's words are NULL-terminated */
	if (sipc__svc_ep_local(sep, &local) == 0)
		say_who(sep, &local, ee->argv[0]);
	return 0;
}

bool sipc__exec_admit(struct sipc_conn *c, struct sipc__exec_ep *ee)
{
	struct sipc_srv_endpoint *sep = sipc__conn_endpoint(c);
	char peer[SIPC_URL_MAX];
	unsigned long n;

	if (__atomic_add_fetch(&ee->running, 1, __ATOMIC_RELAXED) <= ee->max_children)
		return true;
	n = __atomic_add_fetch(&ee->refused, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&ee->running, 1, __ATOMIC_RELAXED);
	if (sipc_addr_format(sipc__conn_peer(c), peer, sizeof(peer)) < 0)
		snprintf(peer, sizeof(peer), "?");
	sipc__svc_log(sep, 1,
		      "refused exec local=%s peer=%s: %ld children running "
		      "(--max-children=%ld); %lu refused so far",
		      sipc__svc_ep_url(sep), peer, ee->max_children, ee->max_children, n);
	sipc__conn_close(c, "refused: --max-children reached");
	return false;
}

void sipc__exec_release(struct sipc__exec_ep *ee)
{
	__atomic_sub_fetch(&ee->running, 1, __ATOMIC_RELAXED);
}
