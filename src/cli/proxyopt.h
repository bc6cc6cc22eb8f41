/*
 * proxyopt.h - --proxy URL, shared by connect, send and bench (and scan):
 * the one value, the table entry each subcommand puts in its own option
 * table, the check that turns it into sipc_options.proxy, and the label
 * that names the proxy in an error ("tcp://d:80: via socks5://p:1080").
 */
#ifndef SIPC_CLI_PROXYOPT_H
#define SIPC_CLI_PROXYOPT_H

#include <stddef.h>

#include "opt.h"
#include "sockipc.h"

extern const char *sipc_cli_proxy; /* --proxy URL, or NULL */

/* clang-format off */
#define SIPC_CLI_PROXY_OPT \
	{"proxy", 0, SIPC__OPT_STRING, &sipc_cli_proxy, 0, 0, "URL", \
	 "reach URL through a proxy: socks5://, socks5h://, socks4://, socks4a:// or " \
	 "http:// [USER:PASS@]HOST[:PORT]"}
/* clang-format on */

/* With --proxy: checks it and that URL can go through it (tcp*, tls*),
 * and sets opts->proxy.  Returns 0, or SIPC_EXIT_USAGE after saying what
 * is wrong. */
int sipc_cli_proxy_setup(const char *cmd, const sipc_url *url, sipc_options *opts);

/* TEXT as errors name it: "TEXT: via PROXY" (the proxy without its
 * password) with --proxy, else TEXT itself. */
const char *sipc_cli_proxy_label(const char *text, char *buf, size_t len);

#endif /* SIPC_CLI_PROXYOPT_H */
