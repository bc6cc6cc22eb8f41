/*
 * tlsopt.h - the TLS options of the command line (--cert, --key, --ca,
 * --insecure, --pin, --sni, --alpn, --tls-min, --client-cert-required),
 * shared by connect, listen, send, bench and serve: one set of values,
 * table entries each subcommand puts in its own option table, and the one
 * function that turns them into a sipc_tls_config.
 */
#ifndef SIPC_CLI_TLSOPT_H
#define SIPC_CLI_TLSOPT_H

#include <stdbool.h>

#include "opt.h"
#include "sockipc.h"

struct sipc_cli_tls {
	const char *cert;          /* --cert FILE: PEM certificate (chain) */
	const char *key;           /* --key FILE: PEM key (default: in --cert) */
	const char *ca;            /* --ca FILE|DIR: whom to trust */
	const char *pin;           /* --pin SHA256: accept exactly this peer */
	const char *sni;           /* --sni NAME: server name sent and checked */
	const char *alpn;          /* --alpn LIST: "h2,http/1.1" */
	const char *tls_min;       /* --tls-min 1.2|1.3 */
	bool insecure;             /* --insecure: verify nothing (loudly) */
	bool client_cert_required; /* --client-cert-required: mutual TLS */
};
extern struct sipc_cli_tls sipc_cli_tls;

/* The entries of the options above, for a subcommand's table: put
 * SIPC_CLI_TLS_OPTS (the side that dials: adds --sni) or
 * SIPC_CLI_TLS_SERVER_OPTS (the side that listens: adds
 * --client-cert-required) before its {NULL} end. */
/* clang-format off */
#define SIPC_CLI_TLS_OPT(name, type, field, arg, help) \
	{name, 0, type, &sipc_cli_tls.field, 0, 0, arg, "tls: " help}
#define SIPC_CLI_TLS_COMMON_OPTS \
	SIPC_CLI_TLS_OPT("cert", SIPC__OPT_STRING, cert, "FILE", \
		"this side's certificate (PEM); listen without one makes a self-signed one"), \
	SIPC_CLI_TLS_OPT("key", SIPC__OPT_STRING, key, "FILE", \
		"the private key of --cert (PEM; default: in the --cert file)"), \
	SIPC_CLI_TLS_OPT("ca", SIPC__OPT_STRING, ca, "FILE|DIR", \
		"trust these CAs (default: the system store; on a listener: the CA of client " \
		"certificates)"), \
	SIPC_CLI_TLS_OPT("insecure", SIPC__OPT_FLAG, insecure, NULL, \
		"do not verify the peer (anyone in the middle can read and change everything)"), \
	SIPC_CLI_TLS_OPT("pin", SIPC__OPT_STRING, pin, "SHA256", \
		"accept exactly the peer certificate with this SHA-256 fingerprint"), \
	SIPC_CLI_TLS_OPT("alpn", SIPC__OPT_STRING, alpn, "LIST", \
		"ALPN protocols, comma-separated, in order of preference"), \
	SIPC_CLI_TLS_OPT("tls-min", SIPC__OPT_STRING, tls_min, "1.2|1.3", \
		"lowest protocol version (default 1.2)")
#define SIPC_CLI_TLS_OPTS \
	SIPC_CLI_TLS_COMMON_OPTS, \
	SIPC_CLI_TLS_OPT("sni", SIPC__OPT_STRING, sni, "NAME", \
		"server name to send and check instead of the URL host")
#define SIPC_CLI_TLS_SERVER_OPTS \
	SIPC_CLI_TLS_COMMON_OPTS, \
	SIPC_CLI_TLS_OPT("client-cert-required", SIPC__OPT_FLAG, client_cert_required, NULL, \
		"clients must present a certificate signed by --ca")
/* clang-format on */

/* Whether any TLS option was given (a non-TLS URL with one is a usage
 * error: say so rather than ignore it). */
bool sipc_cli_tls_given(void);

/*
 * Builds the config of ROLE from the options.  A server without --cert
 * gets a self-signed certificate for NAME when SELF_SIGNED is true (it
 * prints nothing: the caller says the fingerprint), else it is an error.
 * On failure prints "sockipc: CMD: --OPTION VALUE: WHY" and returns
 * SIPC_EXIT_USAGE for options that contradict each other and
 * SIPC_EXIT_FAIL for files that cannot be used; on success *CFGP owns the
 * new config.
 */
int sipc_cli_tls_config(const char *cmd, sipc_tls_role role, const char *name, bool self_signed,
			sipc_tls_config **cfgp);

#endif /* SIPC_CLI_TLSOPT_H */
