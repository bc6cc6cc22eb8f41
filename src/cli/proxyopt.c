/*
 * proxyopt.c - --proxy URL on the command line (proxyopt.h).  Why no
 * --proxy-auth (ncat has one): the user and password go in the proxy URL
 * (socks5://USER:PASS@HOST), %XX-escaped where they hold ':' or '@', as
 * curl takes them; a second option would say the same thing another way,
 * and either one shows the password to ps.  Errors never show it: the
 * label is the URL the library rebuilt without the password.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/proxyopt.h"
#include "proxy/proxy.h"

const char *sipc_cli_proxy;

int sipc_cli_proxy_setup(const char *cmd, const sipc_url *url, sipc_options *opts)
{
	struct sipc__proxy_url px;
	char why[SIPC_WHY_MAX] = "";
	sipc_scheme sc = sipc_url_scheme(url);

	if (sipc_cli_proxy == NULL)
		return 0;
	if (sipc__proxy_url_parse(sipc_cli_proxy, &px, why, sizeof(why)) < 0) {
		sipc_cli_error("%s: --proxy: %s", cmd, why);
		return SIPC_EXIT_USAGE;
	}
	if (sipc_scheme_socktype(sc) != SOCK_STREAM || sipc_scheme_is_unix(sc)) {
		sipc_cli_error("%s: --proxy: a proxy carries TCP streams (tcp://, tls://), not "
			       "%s:// URLs",
			       cmd, sipc_scheme_name(sc));
		return SIPC_EXIT_USAGE;
	}
	opts->proxy = sipc_cli_proxy;
	return 0;
}

const char *sipc_cli_proxy_label(const char *text, char *buf, size_t len)
{
	struct sipc__proxy_url px;

	if (sipc_cli_proxy == NULL || sipc__proxy_url_parse(sipc_cli_proxy, &px, NULL, 0) < 0)
		return text;
	snprintf(buf, len, "%s: via %s", text, px.shown);
	return buf;
}
