/*
 * bio.c - the BIO between OpenSSL and the socket.  Reads are recv(2) on the
 * non-blocking descriptor (EAGAIN becomes OpenSSL's "retry") into a buffer
 * of our own that serves OpenSSL's small reads (a record header, then its
 * body) from one system call; a whole record left there is invisible to
 * poll, so conn.c's pending and wait look here too (sipc__tls_in_record).
 * The first bytes a peer sends are kept, so that a handshake that fails on
 * a peer that does not speak TLS can say what it sent instead.  Writes never make
 * OpenSSL retry: what the socket does not take is kept in the connection's
 * out buffer and sent by sipc__tls_out_flush before anything else.
 * OpenSSL's own rule for a blocked SSL_write (call again with the same
 * bytes, and the record that was already encrypted goes out) could not be
 * kept by callers that give up on a timeout and send something else; here
 * a record once made is simply ours to deliver.  The buffer stays small
 * because conn.c makes OpenSSL write only when it is empty (sendmsg) or for
 * the few bytes of handshake and alert messages.  While sendmsg corks the
 * connection, records go to the buffer whole and leave together: one
 * send(2) of many records costs the kernel much less than one a record.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sys/sys.h"
#include "transport/tls/tls.h"

/* OpenSSL asks for a record's 5-byte header and then for its body: two
 * system calls a record.  One recv(2) into a buffer of our own serves both,
 * and in bulk many records more (a record is at most 16 KiB + 256), which
 * conn.c's recv reads on without another system call.  The buffer starts
 * at IN_MIN and doubles, up to IN_MAX, each time a recv fills it: a bulk
 * stream gets 256 KiB reads (20% less receiver CPU than 64 KiB in
 * bench/run's tls bulk pair), while the thousands of connections a server
 * holds for small messages keep one record's worth each. */
#define IN_MIN ((size_t)32 * 1024)
#define IN_MAX ((size_t)256 * 1024)

/* Beyond this the peer is not reading while it makes us write (key
 * updates, say): the connection fails rather than grow without end. */
#define OUT_MAX ((size_t)4 * 1024 * 1024)

static int out_keep(struct sipc__tls_conn *c, const uint8_t *data, size_t n)
{
	size_t need = c->out_len + n;

	if (n == 0)
		return 0;
	if (c->out_off > 0 && c->out_len > 0)
		memmove(c->out, c->out + c->out_off, c->out_len);
	c->out_off = 0;
	if (need > OUT_MAX)
		return -ENOBUFS;
	if (need > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 16384 + 512;
		uint8_t *p;

		while (cap < need)
			cap *= 2;
		p = realloc(c->out, cap);
		if (p == NULL)
			return -ENOMEM;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, data, n);
	c->out_len = need;
	return 0;
}

int sipc__tls_out_flush(struct sipc__tls_conn *c)
{
	while (c->out_len > 0) {
		ssize_t n = sipc__sys_send(c->fd, c->out + c->out_off, c->out_len, MSG_DONTWAIT);

		if (n < 0) {
			if (n != -EAGAIN)
				c->io_err = (int)n;
			return (int)n;
		}
		c->out_off += (size_t)n;
		c->out_len -= (size_t)n;
	}
	c->out_off = 0;
	return 0;
}

static int bio_write(BIO *b, const char *data, size_t n, size_t *written)
{
	struct sipc__tls_conn *c = BIO_get_data(b);
	ssize_t sent = 0;
	int rc;

	BIO_clear_retry_flags(b);
	if (c->out_len == 0 && !c->cork) {
		sent = sipc__sys_send(c->fd, data, n, MSG_DONTWAIT);
		if (sent < 0 && sent != -EAGAIN) {
			c->io_err = (int)sent;
			return 0;
		}
		if (sent < 0)
			sent = 0;
	}
	rc = out_keep(c, (const uint8_t *)data + sent, n - (size_t)sent);
	if (rc < 0) {
		c->io_err = rc;
		return 0;
	}
	*written = n;
	return 1;
}

/* Keeps the first bytes the peer sent, for the sentence about a peer that
 * does not speak TLS. */
static void keep_first(struct sipc__tls_conn *c, const uint8_t *data, size_t n)
{
	size_t k = sizeof(c->first) - c->first_len;

	if (k > n)
		k = n;
	memcpy(c->first + c->first_len, data, k);
	c->first_len += k;
}

bool sipc__tls_in_record(const struct sipc__tls_conn *c)
{
	const uint8_t *h = c->in + c->in_off;

	/* RFC 8446 5.1: type, version (2 bytes), length (2 bytes). */
	return c->in_len >= 5 && c->in_len >= 5 + ((size_t)h[3] << 8 | h[4]);
}

static int bio_read(BIO *b, char *buf, size_t n, size_t *got)
{
	struct sipc__tls_conn *c = BIO_get_data(b);
	ssize_t r;

	BIO_clear_retry_flags(b);
	if (c->in_len == 0) {
		if (c->in == NULL && (c->in = malloc(IN_MIN)) == NULL) {
			c->io_err = -ENOMEM;
			return 0;
		}
		if (c->in_cap == 0)
			c->in_cap = IN_MIN;
		r = sipc__sys_recv(c->fd, c->in, c->in_cap, MSG_DONTWAIT);
		if (r == -EAGAIN) {
			BIO_set_retry_read(b);
			return 0;
		}
		if (r < 0) {
			c->io_err = (int)r;
			return 0;
		}
		if (r == 0) {
			/* End of stream: BIO_CTRL_EOF says so, which is how
			 * OpenSSL tells a TCP end without close_notify (a
			 * truncation). */
			c->eof = true;
			return 0;
		}
		keep_first(c, c->in, (size_t)r);
		c->in_off = 0;
		c->in_len = (size_t)r;
		if ((size_t)r == c->in_cap && c->in_cap < IN_MAX) {
			/* Full: more was waiting.  Grow for the next recv (the
			 * bytes now in it are still to be read, so keep them). */
			uint8_t *p = realloc(c->in, c->in_cap * 2);

			if (p != NULL) {
				c->in = p;
				c->in_cap *= 2;
			}
		}
	}
	if (n > c->in_len)
		n = c->in_len;
	memcpy(buf, c->in + c->in_off, n);
	c->in_off += n;
	c->in_len -= n;
	*got = n;
	return 1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct sipc__tls_conn *c = BIO_get_data(b);

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		/* OpenSSL flushes after each flight; what the socket did
		 * not take waits in out, sent by conn.c. */
		return 1;
	case BIO_CTRL_EOF:
		return c->eof && c->in_len == 0;
	case BIO_CTRL_PENDING:
		return (long)c->in_len;
	case BIO_CTRL_WPENDING:
		return (long)c->out_len;
	case BIO_C_GET_FD:
		if (ptr != NULL)
			*(int *)ptr = c->fd;
		return c->fd;
	default:
		return 0;
	}
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO_METHOD *method;
static pthread_once_t method_once = PTHREAD_ONCE_INIT;

/* One method table for the process, made once and never changed (as
 * OpenSSL's own BIO_s_socket is a static table). */
static void method_init(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sockipc");

	if (m == NULL)
		return;
	BIO_meth_set_write_ex(m, bio_write);
	BIO_meth_set_read_ex(m, bio_read);
	BIO_meth_set_ctrl(m, bio_ctrl);
	BIO_meth_set_create(m, bio_create);
	method = m;
}

BIO *sipc__tls_bio_new(struct sipc__tls_conn *c)
{
	BIO *b;

	pthread_once(&method_once, method_init);
	if (method == NULL)
		return NULL;
	b = BIO_new(method);
	if (b != NULL)
		BIO_set_data(b, c);
	return b;
}
