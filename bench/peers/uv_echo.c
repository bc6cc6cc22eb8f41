/*
 * uv_echo.c - the libuv echo server bench/run compares `sockipc serve` echo
 * with: the canonical libuv pattern (uv_read_start with an allocator that
 * hands out a buffer, uv_write of what was read, the buffer freed in the
 * write callback), as libuv's own echo-server test and most libuv servers
 * do it.  One thread, one uv_loop.
 *
 *   uv_echo tcp HOST PORT | unix PATH | udp HOST PORT
 *
 * Prints "listening PORT-OR-PATH" on stdout when ready.  Built by bench/run
 * with cc against Debian's libuv1-dev; not part of the sockipc build.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

static uv_loop_t *loop;
static int is_unix;

struct wreq {
	uv_write_t req;
	uv_buf_t buf;
};

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	(void)h;
	buf->base = malloc(hint);
	buf->len = hint;
}

static void on_close(uv_handle_t *h)
{
	free(h);
}

static void on_written(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	(void)status;
	free(w->buf.base);
	free(w);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	if (n > 0) {
		struct wreq *w = malloc(sizeof *w);
		w->buf = uv_buf_init(buf->base, (unsigned)n);
		uv_write(&w->req, s, &w->buf, 1, on_written);
		return;
	}
	free(buf->base);
	if (n < 0)
		uv_close((uv_handle_t *)s, on_close);
}

static void on_conn(uv_stream_t *server, int status)
{
	uv_stream_t *c;
	if (status < 0)
		return;
	if (is_unix) {
		c = malloc(sizeof(uv_pipe_t));
		uv_pipe_init(loop, (uv_pipe_t *)c, 0);
	} else {
		c = malloc(sizeof(uv_tcp_t));
		uv_tcp_init(loop, (uv_tcp_t *)c);
		uv_tcp_nodelay((uv_tcp_t *)c, 1);
	}
	if (uv_accept(server, c) == 0)
		uv_read_start(c, on_alloc, on_read);
	else
		uv_close((uv_handle_t *)c, on_close);
}

static void on_udp_sent(uv_udp_send_t *req, int status)
{
	(void)status;
	free(req->data);
	free(req);
}

static void on_udp(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
		   unsigned flags)
{
	(void)flags;
	if (n <= 0 || from == NULL) {
		free(buf->base);
		return;
	}
	uv_udp_send_t *req = malloc(sizeof *req);
	uv_buf_t b = uv_buf_init(buf->base, (unsigned)n);
	req->data = buf->base;
	uv_udp_send(req, h, &b, 1, from, on_udp_sent);
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: uv_echo tcp HOST PORT | unix PATH | udp HOST PORT\n");
		return 2;
	}
	loop = uv_default_loop();
	if (strcmp(argv[1], "unix") == 0) {
		static uv_pipe_t srv;
		is_unix = 1;
		unlink(argv[2]);
		uv_pipe_init(loop, &srv, 0);
		if ((rc = uv_pipe_bind(&srv, argv[2])) ||
		    (rc = uv_listen((uv_stream_t *)&srv, 4096, on_conn))) {
			fprintf(stderr, "uv_echo: %s\n", uv_strerror(rc));
			return 1;
		}
		printf("listening %s\n", argv[2]);
	} else {
		struct sockaddr_in sa;
		struct sockaddr_storage got;
		int len = sizeof got;
		uv_ip4_addr(argv[2], atoi(argv[3]), &sa);
		if (strcmp(argv[1], "udp") == 0) {
			static uv_udp_t srv;
			uv_udp_init(loop, &srv);
			if ((rc = uv_udp_bind(&srv, (const struct sockaddr *)&sa, 0)) ||
			    (rc = uv_udp_recv_start(&srv, on_alloc, on_udp))) {
				fprintf(stderr, "uv_echo: %s\n", uv_strerror(rc));
				return 1;
			}
			uv_udp_getsockname(&srv, (struct sockaddr *)&got, &len);
		} else {
			static uv_tcp_t srv;
			uv_tcp_init(loop, &srv);
			if ((rc = uv_tcp_bind(&srv, (const struct sockaddr *)&sa, 0)) ||
			    (rc = uv_listen((uv_stream_t *)&srv, 4096, on_conn))) {
				fprintf(stderr, "uv_echo: %s\n", uv_strerror(rc));
				return 1;
			}
			uv_tcp_getsockname(&srv, (struct sockaddr *)&got, &len);
		}
		printf("listening %d\n", ntohs(((struct sockaddr_in *)&got)->sin_port));
	}
	fflush(stdout);
	return uv_run(loop, UV_RUN_DEFAULT);
}
