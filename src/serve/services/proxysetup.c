/*
 * proxysetup.c - a proxy endpoint's start (proxy.h): the options both
 * proxy services take (--to, --user, --users, --timeout), and the line
 * that says at start-up who may use the proxy and where it lets them go,
 * loudly when that is anyone or anywhere (exec says the same of whom it
 * runs a program for).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/config.h"
#include "serve/services/proxy.h"
#include "serve/services/services.h"
#include "sys/net.h"

#define PX_TIMEOUT_MS_DEFAULT 10000
/* Most --to and --user options on one line. */
#define PX_LIST_MAX 64

/* Whether the endpoint's own address is loopback (or a unix socket):
 * only this host reaches it. */
static bool ep_is_local(struct sipc_srv_endpoint *sep)
{
	struct sipc__px_rules lo = {0};
	char why[128];
	sipc_addr local;
	bool is;

	if (sipc__svc_ep_local(sep, &local) < 0)
		return false;
	if (local.ss.ss_family == AF_UNIX)
		return true;
	if (sipc__px_rules_default(&lo, why, sizeof(why)) < 0)
		return false;
	is = sipc__px_rules_allow(&lo, &local);
	sipc__px_rules_free(&lo);
	return is;
}

/* The start-up line: who may use the proxy, and where it lets them go. */
static void say_who(struct sipc__px_ep *pe)
{
	struct sipc_srv_endpoint *sep = pe->sep;
	const struct sipc_acl *acl = &sipc__svc_ep_config(sep)->acl;
	const char *name = pe->proto->name;
	char where[1024], allow[512], who[600], auth[64];
	bool local = ep_is_local(sep);

	sipc__px_rules_describe(&pe->rules, where, sizeof(where));
	if (acl->n > 0) {
		sipc__acl_describe(acl, allow, sizeof(allow));
		snprintf(who, sizeof(who), "clients in --allow %s", allow);
	} else if (local) {
		snprintf(who, sizeof(who), "local clients");
	} else {
		snprintf(who, sizeof(who), "ANY client that can reach it");
	}
	if (pe->users.n > 0)
		snprintf(auth, sizeof(auth), "with a password (%zu user%s)", pe->users.n,
			 pe->users.n == 1 ? "" : "s");
	else
		snprintf(auth, sizeof(auth), "without a password");
	if (pe->rules.any)
		sipc__svc_log(sep, 0,
			      "WARNING: %s on %s forwards to ANY destination (--to=any): an open "
			      "relay for %s %s; to: %s",
			      name, sipc__svc_ep_url(sep), who, auth, where);
	else if (!local && acl->n == 0 && pe->users.n == 0)
		sipc__svc_log(sep, 0,
			      "WARNING: %s on %s admits ANY client that can reach it, without a "
			      "password: restrict it with --allow or --users, or bind 127.0.0.1; "
			      "they may reach %s",
			      name, sipc__svc_ep_url(sep), where);
	else
		sipc__svc_log(sep, 1, "%s on %s: %s, %s, may reach %s", name, sipc__svc_ep_url(sep),
			      who, auth, where);
}

int sipc__px_setup(struct sipc_srv_endpoint *sep, const struct sipc__px_proto *proto, int argc,
		   char **argv, char *why, size_t whylen)
{
	const char *to_v[PX_LIST_MAX], *user_v[PX_LIST_MAX];
	struct sipc_svc_list to = {to_v, 0}, users = {user_v, 0};
	const char *users_file = NULL;
	int timeout_ms = PX_TIMEOUT_MS_DEFAULT, used;
	const struct sipc_svc_opt opts[] = {
		{"to", SIPC__SVC_OPT_LIST, &to, 0, PX_LIST_MAX},
		{"user", SIPC__SVC_OPT_LIST, &users, 0, PX_LIST_MAX},
		{"users", SIPC__SVC_OPT_STRING, &users_file, 0, 0},
		{"timeout", SIPC__SVC_OPT_MS, &timeout_ms, 1, 3600000},
		{NULL, 0, NULL, 0, 0},
	};
	char detail[256];
	struct sipc__px_ep *pe;

	if (sipc__svc_opts_parse(proto->name, argc, argv, opts, &used, why, whylen) < 0)
		return -1;
	if (used != argc) {
		snprintf(why, whylen, "%s: unexpected argument '%.40s' (only --options)",
			 proto->name, argv[used]);
		return -1;
	}
	pe = calloc(1, sizeof(*pe));
	if (pe == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	pe->sep = sep;
	pe->proto = proto;
	pe->timeout_ms = timeout_ms;
	if (to.n == 0 && sipc__px_rules_default(&pe->rules, detail, sizeof(detail)) < 0) {
		snprintf(why, whylen, "%s: %s", proto->name, detail);
		goto fail;
	}
	for (int i = 0; i < to.n; i++) {
		if (sipc__px_rules_add(&pe->rules, to.v[i], detail, sizeof(detail)) < 0) {
			snprintf(why, whylen, "%s: --to: %s", proto->name, detail);
			goto fail;
		}
	}
	for (int i = 0; i < users.n; i++) {
		/* The password is never quoted back. */
		if (sipc__px_users_add(&pe->users, users.v[i], detail, sizeof(detail)) < 0) {
			snprintf(why, whylen, "%s: --user (the %d%s): %s", proto->name, i + 1,
				 i == 0   ? "st"
				 : i == 1 ? "nd"
				 : i == 2 ? "rd"
					  : "th",
				 detail);
			goto fail;
		}
	}
	if (users_file != NULL &&
	    sipc__px_users_load(&pe->users, users_file, detail, sizeof(detail)) < 0) {
		snprintf(why, whylen, "%s: %s", proto->name, detail);
		goto fail;
	}
	sipc__svc_ep_set_state(sep, pe);
	say_who(pe);
	return 0;
fail:
	sipc__px_rules_free(&pe->rules);
	sipc__px_users_free(&pe->users);
	free(pe);
	return -1;
}

void sipc__px_teardown(struct sipc_srv_endpoint *sep)
{
	struct sipc__px_ep *pe = sipc__svc_ep_state(sep);

	if (pe == NULL)
		return;
	sipc__px_rules_free(&pe->rules);
	sipc__px_users_free(&pe->users);
	free(pe);
	sipc__svc_ep_set_state(sep, NULL);
}
