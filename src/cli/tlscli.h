/*
 * tlscli.h - what connect, listen, send and bench do around TLS besides
 * parsing its options (tlsopt.h): the check that TLS options come with a
 * tls:// URL, the config and its --insecure warning, the error lines that
 * carry the library's sentence (both host names, the expiry date, both
 * fingerprints), and the -v line of a finished handshake.
 */
#ifndef SIPC_CLI_TLSCLI_H
#define SIPC_CLI_TLSCLI_H

#include <stdbool.h>
#include <stddef.h>

#include "sockipc.h"

/*
 * The TLS part of getting ready to dial (ROLE SIPC_TLS_CLIENT) or listen
 * (SIPC_TLS_SERVER; without --cert a self-signed certificate for the URL
 * host, "localhost" for a wildcard) on URL for subcommand CMD.  A TLS
 * option with a URL of another scheme is a usage error that names the
 * option.  For a tls URL builds the config, prints the --insecure warning
 * (always, even with -q: nothing about the peer is checked) and sets
 * OPTS->tls.  Returns 0 with *CFGP the new config (NULL for other
 * schemes; the caller frees it), or an exit status after printing why.
 */
int sipc_cli_tls_setup(const char *cmd, const sipc_url *url, sipc_tls_role role, sipc_options *opts,
		       sipc_tls_config **cfgp);

/*
 * "sockipc: CMD URL: <sipc_strerror(RC)>[: WHY][hint]" for a dial or
 * listen that failed; WHY is the sentence of sipc_options.why ("" or NULL:
 * none).  Returns the exit status: SIPC_EXIT_USAGE for a URL error
 * found at open, SIPC_EXIT_FAIL otherwise.
 */
int sipc_cli_open_error(const char *cmd, const char *url, sipc_scheme scheme, int rc,
			const char *why);

/* The same for a later call on EP that failed with RC, with EP's sentence
 * (sipc_endpoint_why) when it has one.  WHAT, when not NULL, goes after
 * the URL ("PEER: handshake"). */
void sipc_cli_ep_error(const char *cmd, const char *url, const char *what, const sipc_endpoint *ep,
		       int rc);

/* -v on a TLS endpoint whose handshake is done: "CMD: TLSv1.3
 * TLS_AES_256_GCM_SHA384 peer CN=x SHA256:AB:... verified[ alpn P]".
 * Nothing for other schemes. */
void sipc_cli_tls_notice(const char *cmd, const sipc_endpoint *ep);

#endif /* SIPC_CLI_TLSCLI_H */
