/*
 * tls.h - what `sockipc serve` adds around the library's TLS: the
 * certificate check of --allow-cert after a handshake, the words that
 * describe a TLS connection in the open and close lines and a failed
 * handshake in its one line, the identity an exec child gets in its
 * environment, and the SIGHUP reload of the certificate and keys.
 */
#ifndef SIPC_SERVE_TLS_H
#define SIPC_SERVE_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "sockipc.h"

struct sipc__server;
struct sipc_serve_config;

/* The default of --handshake-timeout and --max-handshakes. */
#define SIPC_SERVE_HANDSHAKE_MS_DEFAULT   5000
#define SIPC_SERVE_MAX_HANDSHAKES_DEFAULT 256

/* Adds one --allow-cert value: a SHA-256 fingerprint (64 hex digits,
 * colons and a "SHA256:" prefix allowed) or an exact subject
 * ("CN=alice,O=Example", RFC 2253 as sipc_tls_info gives it).  0, or -1
 * with WHY. */
int sipc__serve_tls_allow_add(struct sipc_serve_config *cfg, const char *text, char *why,
			      size_t whylen);

/* Frees what the TLS fields of CFG hold. */
void sipc__serve_tls_free(struct sipc_serve_config *cfg);

/* The sentence of a failed handshake of EP (code RC) for its one log
 * line, "tls handshake: ...", every byte outside printable ASCII escaped
 * (%XX): the library's detail may quote what the peer sent. */
void sipc__serve_tls_failure(const sipc_endpoint *ep, int rc, char *buf, size_t len);

/* After the handshake of EP: true when --allow-cert (if given) admits the
 * client's verified certificate; otherwise BUF says whom and why. */
bool sipc__serve_tls_admit(const struct sipc__server *srv, const sipc_endpoint *ep, char *buf,
			   size_t len);

/* " tls=TLSv1.3 cipher=... cert=SUBJECT" for the open and close lines of
 * EP (malloc'd; NULL when EP is not TLS or out of memory). */
char *sipc__serve_tls_note(const sipc_endpoint *ep);

/* The verified client identity of EP for an exec child's environment,
 * beside the UCSPI variables, under the names of mod_ssl and stunnel:
 * SSL_PROTOCOL, SSL_CIPHER, and with a client certificate
 * SSL_CLIENT_S_DN, SSL_CLIENT_I_DN, SSL_CLIENT_FINGERPRINT (SHA256:...),
 * SSL_CLIENT_VERIFY; every value escaped (sipc_tls_info).  SET is called
 * once per variable. */
void sipc__serve_tls_identity(const sipc_endpoint *ep,
			      void (*set)(void *arg, const char *name, const char *value),
			      void *arg);

/* forward's options for a tls:// backend (service line options). */
struct sipc__serve_tls_client {
	const char *ca, *pin, *sni, *cert, *key, *alpn, *tls_min;
	bool insecure;
};
/* Whether any of them was given. */
bool sipc__serve_tls_client_given(const struct sipc__serve_tls_client *o);
/* The client config that checks a backend at HOST as O says: the system
 * CAs or --ca, the certificate for HOST (or --sni), --pin in place of
 * both, nothing with --insecure.  0, or -1 with WHY naming the option. */
int sipc__serve_tls_client_new(const struct sipc__serve_tls_client *o, const char *host,
			       sipc_tls_config **cfgp, char *why, size_t whylen);

/* SRC into BUF (cut to LEN) with every byte outside printable ASCII as
 * %XX, for a log line. */
void sipc__serve_tls_escape(const char *src, char *buf, size_t len);

/* Whether EP's transport holds output it has accepted but the socket has
 * not taken yet (TLS records): the connection must wait for POLLOUT until
 * it has gone, even with nothing of its own to send. */
bool sipc__serve_ep_holds(const sipc_endpoint *ep);
/* Tries once, without waiting, to send what EP's transport holds: 0 when
 * nothing is left, SIPC_ETIMEDOUT when some is, or a code. */
int sipc__serve_ep_push(sipc_endpoint *ep);

#endif /* SIPC_SERVE_TLS_H */
