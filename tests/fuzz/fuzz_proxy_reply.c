/*
 * fuzz_proxy_reply.c - libFuzzer target: replies to the proxy handshakes
 * of src/lib/proxy.  The first byte picks the protocol (socks5, socks5h,
 * socks4, socks4a, http) and whether credentials are offered; the rest is
 * what the proxy sends, then the end of its stream.  The state machine
 * must end (done or an error, never a wait once the stream has ended),
 * and two properties must hold, or the target aborts: on success, what is
 * left in the socket is exactly the tail of the input (not one byte of
 * the destination's was taken), and every sentence is printable ASCII
 * (the proxy's bytes are escaped before they reach a message).
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/proxy.h"
#include "sockipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const proxies[] = {
	"socks5://127.0.0.1",       "socks5h://127.0.0.1",  "socks4://127.0.0.1",
	"socks4a://127.0.0.1",      "http://127.0.0.1",     "socks5://u:p@127.0.0.1",
	"socks4a://user@127.0.0.1", "http://u:p@127.0.0.1",
};

static void check_text(const char *what, const char *s)
{
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < 0x20 || *p > 0x7e) {
			fprintf(stderr, "%s holds byte 0x%02x: [%s]\n", what, (unsigned char)*p, s);
			abort();
		}
	}
}

static void on_trace(void *arg, const char *line)
{
	(void)arg;
	check_text("trace line", line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sipc__proxy_url px;
	struct sipc__proxy_dest dest;
	struct sipc__proxy_hs *hs;
	char why[SIPC_WHY_MAX] = "";
	uint8_t left[8192];
	size_t nleft = 0;
	ssize_t n;
	int sv[2], rc = SIPC__PROXY_WANT_READ;

	if (size < 1 || size > 4096)
		return 0;
	if (sipc__proxy_url_parse(proxies[data[0] % 8], &px, NULL, 0) < 0)
		abort();
	memset(&dest, 0, sizeof(dest));
	if ((data[0] >> 3) & 1) {
		snprintf(dest.name, sizeof(dest.name), "example.org");
	} else {
		dest.addr.ss.ss_family = AF_INET;
		dest.addr.len = sizeof(struct sockaddr_in);
	}
	dest.port = 443;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
		return 0;
	if (size > 1 && write(sv[1], data + 1, size - 1) != (ssize_t)(size - 1))
		abort();
	shutdown(sv[1], SHUT_WR);
	hs = malloc(sizeof(*hs));
	if (hs == NULL)
		abort();
	sipc__proxy_start(hs, &px, &dest, on_trace, NULL);
	for (int i = 0; i < 64; i++) {
		rc = sipc__proxy_step(hs, sv[0], why, sizeof(why));
		if (rc != SIPC__PROXY_WANT_WRITE)
			break;
	}
	if (rc == SIPC__PROXY_WANT_READ || rc == SIPC__PROXY_WANT_WRITE) {
		fprintf(stderr, "the handshake waits (%d) after the proxy's end of stream\n", rc);
		abort();
	}
	check_text("why", why);
	while (nleft < sizeof(left) &&
	       (n = recv(sv[0], left + nleft, sizeof(left) - nleft, MSG_DONTWAIT)) > 0)
		nleft += (size_t)n;
	if (rc == SIPC__PROXY_DONE &&
	    (nleft > size - 1 || memcmp(left, data + size - nleft, nleft) != 0)) {
		fprintf(stderr, "the handshake took bytes after the reply\n");
		abort();
	}
	free(hs);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
