/*
 * tls.h - the inside of the TLS transport (tls://, tls4://, tls6://),
 * shared by the files of this folder only: the configuration object and
 * the snapshot of it that handshakes use (config.c, pem.c, selfsigned.c),
 * the per-connection state (conn.c, bio.c), verification and pins
 * (verify.c), turning OpenSSL's failures into SIPC_ETLS_* codes with a
 * sentence (errors.c), and what a finished handshake tells (info.c).
 *
 * A config is what the setters build; a snapshot ("snap") is an SSL_CTX
 * together with the settings the callbacks read (pins, ALPN, verify mode),
 * made from the config on first use after a change and reference counted,
 * so a connection keeps the settings it started with while setters and
 * reload go on changing the config for the next ones.
 */
#ifndef SIPC_TLS_H
#define SIPC_TLS_H

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"
#include "sockipc.h"

#define SIPC__TLS_FP_LEN 32 /* SHA-256 */

/* What handshakes read: an SSL_CTX and the settings its callbacks need. */
struct sipc__tls_snap {
	atomic_int refs;
	SSL_CTX *ctx;
	sipc_tls_role role;
	sipc_tls_verify verify;
	bool has_cert;
	uint8_t (*pins)[SIPC__TLS_FP_LEN];
	size_t npins;
	unsigned char *alpn; /* wire format: length-prefixed names */
	size_t alpn_len;
	int min_version; /* TLS1_2_VERSION or TLS1_3_VERSION */
	char *server_name;
};

struct sipc_tls_config {
	pthread_mutex_t mu;
	atomic_int refs;
	sipc_tls_role role;
	/* What the setters were given, for reload. */
	char *cert_file, *key_file, *ca_path;
	sipc_tls_verify verify;
	char *server_name;
	unsigned char *alpn;
	size_t alpn_len;
	int min_version;
	uint8_t (*pins)[SIPC__TLS_FP_LEN];
	size_t npins;
	/* Loaded from those files (or made by _self_signed). */
	X509 *cert;
	STACK_OF(X509) * chain;
	EVP_PKEY *key;
	X509_STORE *store;                /* CA store; NULL: the system one */
	STACK_OF(X509_NAME) * client_cas; /* names a server asks for */
	/* Built from the above on first use after a change; NULL until then. */
	struct sipc__tls_snap *snap;
};

/* config.c: the current snapshot with a reference for the caller (NULL
 * and a sentence in WHY when it cannot be built); dropping one. */
struct sipc__tls_snap *sipc__tls_snap_get(sipc_tls_config *cfg, char *why, size_t whylen);
void sipc__tls_snap_put(struct sipc__tls_snap *snap);
sipc_tls_config *sipc__tls_config_ref(const sipc_tls_config *cfg);

/* pem.c: loading what the setters name.  Each returns 0 or
 * SIPC_ETLS_CONFIG with a sentence; outputs are set only on success. */
int sipc__tls_load_cert(const char *cert, const char *key, X509 **certp, STACK_OF(X509) * *chainp,
			EVP_PKEY **keyp, char *why, size_t whylen);
int sipc__tls_load_ca(const char *path, X509_STORE **storep, STACK_OF(X509_NAME) * *namesp,
		      char *why, size_t whylen);
X509_STORE *sipc__tls_default_store(void);

/* selfsigned.c */
int sipc__tls_make_self_signed(const char *name, X509 **certp, EVP_PKEY **keyp, char *why,
			       size_t whylen);

/* The state of one connection (or, with ssl NULL, of a listener). */
struct sipc__tls_conn {
	sipc_tls_config *cfg;        /* listener: for each accepted one */
	struct sipc__tls_snap *snap; /* connection: what it started with */
	SSL *ssl;
	int fd;
	bool done;         /* handshake finished */
	bool shut_pending; /* close_notify queued: SHUT_WR once out drains */
	bool shut_done;
	int fatal; /* after a fatal failure, every call returns it */
	short want_hs, want_rd, want_wr;
	/* Bytes OpenSSL wrote that the socket did not take yet: OpenSSL never
	 * sees a blocked write, so no SSL_write has to be repeated. */
	uint8_t *out;
	size_t out_off, out_len, out_cap;
	/* Set while conn.c's sendmsg runs SSL_write: the records it makes
	 * gather in out and leave in one send(2) at its end. */
	bool cork;
	/* A read on through records (conn.c's read_more) met the end or a
	 * failure after returning bytes: the next read reports it at once,
	 * which poll cannot see, so pending says so until then. */
	bool rd_held;
	int io_err; /* -errno of the socket's last failed call, 0 */
	bool eof;   /* the socket's read side has ended */
	/* Bytes read from the socket that OpenSSL has not asked for yet. */
	uint8_t *in;
	size_t in_cap; /* bytes allocated at in: grows while recvs fill it */
	size_t in_off, in_len;
	/* The first bytes the peer sent, to tell a peer that is not TLS. */
	uint8_t first[16];
	size_t first_len;
	/* Client: the name checked (and sent as SNI when not an address). */
	char host[256];
	bool host_ip;
	/* Verification as it happened (verify.c). */
	int vcode;      /* SIPC_ETLS_* found by the verify callback, or 0 */
	char vwhy[400]; /* its sentence */
	bool pinned;    /* the peer's certificate matched a pin */
	bool verified;  /* the chain (and name) verified */
};

/* bio.c: a BIO on the socket that never makes OpenSSL retry a write:
 * what the socket does not take waits in c->out. */
BIO *sipc__tls_bio_new(struct sipc__tls_conn *c);
/* Sends what waits in c->out without blocking: 0 when all went, -EAGAIN,
 * or -errno. */
int sipc__tls_out_flush(struct sipc__tls_conn *c);
/* Whether c->in holds a whole record, which a read can take without the
 * socket becoming readable (it starts where OpenSSL stopped: at a record
 * boundary, since OpenSSL only stops reading between records). */
bool sipc__tls_in_record(const struct sipc__tls_conn *c);

/* verify.c */
int sipc__tls_verify_cb(X509_STORE_CTX *x, void *arg);
int sipc__tls_parse_pin(const char *text, uint8_t fp[SIPC__TLS_FP_LEN]);

/* errors.c: the code and sentence for a failed SSL call that returned
 * RET (SSL_get_error's view), written to ep->why; "" detail for
 * OpenSSL's reason when nothing more is known.  HANDSHAKE: it happened
 * before the handshake was done. */
int sipc__tls_error(sipc_endpoint *ep, struct sipc__tls_conn *c, int ret, bool handshake);
/* OpenSSL's reason for the last error on this thread's queue, "" if none. */
const char *sipc__tls_reason(char *buf, size_t len);

/* info.c */
/* "SHA256:AB:CD:..." of CERT into BUF (>= SIPC_TLS_FINGERPRINT_MAX). */
void sipc__tls_fp_text(const uint8_t fp[SIPC__TLS_FP_LEN], char *buf, size_t len);
int sipc__tls_cert_fp(X509 *cert, uint8_t fp[SIPC__TLS_FP_LEN]);
/* NAME as RFC 2253 text, peer-chosen bytes %XX-escaped. */
void sipc__tls_name_text(const X509_NAME *name, char *buf, size_t len);
/* CERT's subjectAltNames, "DNS:a,IP:1.2.3.4", escaped. */
void sipc__tls_san_text(X509 *cert, char *buf, size_t len);
/* An ASN1_TIME as "2026-12-31 23:59:59 UTC". */
void sipc__tls_time_text(const ASN1_TIME *t, char *buf, size_t len);
/* Escapes N bytes of S into OUT (CAP bytes, NUL included): bytes outside
 * printable ASCII, '%' and '"' become %XX.  Returns how many of the N
 * bytes fitted. */
size_t sipc__tls_escape(char *out, size_t cap, const void *s, size_t n);
/* S escaped for quoting in a sentence, cut with "..." to fit CAP; BUF. */
const char *sipc__tls_quote(char *buf, size_t cap, const char *s);
/* The trace line of a finished handshake. */
void sipc__tls_trace_done(sipc_endpoint *ep, struct sipc__tls_conn *c);

/* conn.c */
extern const struct sipc__conn_ops sipc__conn_ops_tls;

#endif /* SIPC_TLS_H */
