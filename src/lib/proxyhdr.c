/*
 * proxyhdr.c - the PROXY protocol header, versions 1 (a text line) and 2
 * (binary), parsed from bytes and formatted into bytes (proxyhdr.h).  The
 * parser is strict where the spec is (single spaces, CRLF, 107 bytes,
 * addresses as inet_pton reads them, the v2 signature, version and
 * lengths) because a header is believed only from a trusted upstream and
 * anything odd from one is a bug or an attack; every error quotes the
 * field with its peer bytes %XX-escaped, as serve's log lines need them.
 */
#include "proxyhdr.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sys/net.h"
#include "why.h"

static const uint8_t v2_sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
				   0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
static const char v1_magic[] = "PROXY ";

/* v2 fields (section 2.2 of the spec). */
#define V2_CMD_LOCAL 0x0
#define V2_CMD_PROXY 0x1
#define V2_AF_UNSPEC 0x0
#define V2_AF_INET   0x1
#define V2_AF_INET6  0x2
#define V2_AF_UNIX   0x3
#define V2_STREAM    0x1
#define V2_UNIX_PATH 108

/* Peer bytes P[0..N) for a message: printable ASCII as it is, anything
 * else %XX, cut (with "...") to fit OUT. */
static const char *quote(const void *p, size_t n, char *out, size_t cap)
{
	const unsigned char *s = p;
	size_t k = 0, i;

	for (i = 0; i < n && k + 4 < cap - 3; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '%')
			k += (size_t)snprintf(out + k, cap - k, "%%%02X", s[i]);
		else
			out[k++] = (char)s[i];
	}
	if (i < n)
		k += (size_t)snprintf(out + k, cap - k, "...");
	out[k] = '\0';
	return out;
}

static ssize_t bad(char *why, size_t whylen, const char *fmt, ...) SIPC__PRINTF(3, 4);

static ssize_t bad(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -EPROTO;
}

/* ---------------------------------------------------------------- v1 */

/* The next space-separated field of LINE[*pos..end): its start and
 * length; *pos moves past it and one space.  False when none is left. */
static bool field(const char *line, size_t end, size_t *pos, const char **f, size_t *n)
{
	size_t i = *pos;

	if (i >= end)
		return false;
	*f = line + i;
	while (i < end && line[i] != ' ')
		i++;
	*n = (size_t)(line + i - *f);
	*pos = i < end ? i + 1 : i;
	return true;
}

static bool v1_port(const char *f, size_t n, uint16_t *port)
{
	unsigned long v = 0;

	/* Decimal, no sign, no leading zero (the spec's "0..65535"). */
	if (n == 0 || n > 5 || (n > 1 && f[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (f[i] < '0' || f[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(f[i] - '0');
	}
	if (v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

static bool v1_addr(const char *f, size_t n, int family, sipc_addr *a)
{
	char text[INET6_ADDRSTRLEN + 1];

	memset(a, 0, sizeof(*a));
	a->scheme = SIPC_TCP;
	if (n == 0 || n >= sizeof(text))
		return false;
	memcpy(text, f, n);
	text[n] = '\0';
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
		sin->sin_family = AF_INET;
		a->len = sizeof(*sin);
		return inet_pton(AF_INET, text, &sin->sin_addr) == 1;
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;
	sin6->sin6_family = AF_INET6;
	a->len = sizeof(*sin6);
	return inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1;
}

static void set_port(sipc_addr *a, uint16_t port)
{
	if (a->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
}

/* The line LINE[0..end) without its CRLF, "PROXY " already checked. */
static ssize_t v1_line(const char *line, size_t end, struct sipc__proxyhdr *h, char *why,
		       size_t whylen)
{
	static const char *const names[] = {"source address", "destination address", "source port",
					    "destination port"};
	size_t pos = sizeof(v1_magic) - 1, n, nf = 0;
	const char *f, *fs[4];
	size_t ns[4];
	char q[160], proto[8];
	struct sipc__proxyhdr r = {.version = 1};
	int family;
	uint16_t sport, dport;

	if (!field(line, end, &pos, &f, &n) || n == 0)
		return bad(why, whylen, "v1: no protocol after 'PROXY '");
	if (n == 7 && memcmp(f, "UNKNOWN", 7) == 0) {
		/* The spec: the receiver ignores the rest of the line. */
		r.local = true;
		*h = r;
		return 0;
	}
	if (n == 4 && memcmp(f, "TCP4", 4) == 0)
		family = AF_INET;
	else if (n == 4 && memcmp(f, "TCP6", 4) == 0)
		family = AF_INET6;
	else
		return bad(why, whylen, "v1: protocol '%s' is not TCP4, TCP6 or UNKNOWN",
			   quote(f, n, q, sizeof(q)));
	memcpy(proto, f, 4);
	proto[4] = '\0';
	while (nf < 4 && field(line, end, &pos, &fs[nf], &ns[nf])) {
		if (ns[nf] == 0)
			return bad(why, whylen, "v1: an empty field (two spaces) after '%s'",
				   proto);
		nf++;
	}
	if (nf < 4)
		return bad(why, whylen, "v1: '%s' has %zu fields, not 4 (%s, %s, %s, %s)", proto,
			   nf, names[0], names[1], names[2], names[3]);
	if (pos < end || line[end - 1] == ' ')
		return bad(why, whylen, "v1: more than 4 fields after '%s': '%s'", proto,
			   quote(line + pos, end - pos, q, sizeof(q)));
	for (int i = 0; i < 2; i++) {
		if (!v1_addr(fs[i], ns[i], family, i == 0 ? &r.src : &r.dst))
			return bad(why, whylen, "v1: '%s' %s '%s' is not %s", proto, names[i],
				   quote(fs[i], ns[i], q, sizeof(q)),
				   family == AF_INET ? "IPv4" : "IPv6");
	}
	if (!v1_port(fs[2], ns[2], &sport))
		return bad(why, whylen, "v1: source port '%s' is not a number in 0..65535",
			   quote(fs[2], ns[2], q, sizeof(q)));
	if (!v1_port(fs[3], ns[3], &dport))
		return bad(why, whylen, "v1: destination port '%s' is not a number in 0..65535",
			   quote(fs[3], ns[3], q, sizeof(q)));
	set_port(&r.src, sport);
	set_port(&r.dst, dport);
	*h = r;
	return 0;
}

static ssize_t v1_parse(const uint8_t *b, size_t len, struct sipc__proxyhdr *h, char *why,
			size_t whylen)
{
	size_t m = len < sizeof(v1_magic) - 1 ? len : sizeof(v1_magic) - 1;
	size_t lim = len < SIPC__PROXYHDR_V1_MAX ? len : SIPC__PROXYHDR_V1_MAX;
	char q[160];

	if (memcmp(b, v1_magic, m) != 0)
		return bad(why, whylen, "v1: the line does not begin with 'PROXY ': '%s'",
			   quote(b, m, q, sizeof(q)));
	for (size_t i = 0; i < lim; i++) {
		/* A header is printable ASCII: a NUL, a control byte or a byte
		 * above 0x7e is a bad line, not something to read on past. */
		if (b[i] == '\r') {
			if (i + 2 > SIPC__PROXYHDR_V1_MAX)
				return bad(why, whylen, "v1: line longer than %d bytes",
					   SIPC__PROXYHDR_V1_MAX);
			if (i + 1 >= len)
				return 0;
			if (b[i + 1] != '\n')
				return bad(why, whylen, "v1: CR not followed by LF at byte %zu",
					   i + 1);
			if (i < sizeof(v1_magic) - 1)
				return bad(why, whylen, "v1: the line ends before 'PROXY '");
			if (v1_line((const char *)b, i, h, why, whylen) < 0)
				return -EPROTO;
			return (ssize_t)(i + 2);
		}
		if (b[i] == '\n')
			return bad(why, whylen, "v1: LF without CR at byte %zu", i);
		if (b[i] < 0x20 || b[i] > 0x7e)
			return bad(why, whylen, "v1: byte 0x%02X at %zu in the line", b[i], i);
	}
	if (len >= SIPC__PROXYHDR_V1_MAX)
		return bad(why, whylen, "v1: line longer than %d bytes", SIPC__PROXYHDR_V1_MAX);
	return 0;
}

/* ---------------------------------------------------------------- v2 */

static void v2_unix(const uint8_t *p, sipc_addr *a)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&a->ss;
	size_t off = offsetof(struct sockaddr_un, sun_path), n;

	memset(a, 0, sizeof(*a));
	a->scheme = SIPC_UNIX;
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, p, V2_UNIX_PATH);
	if (p[0] != '\0') {
		n = strnlen((const char *)p, V2_UNIX_PATH);
	} else {
		/* An abstract name has no terminator: the sender pads with
		 * zeros, so it ends at its last non-zero byte. */
		n = V2_UNIX_PATH;
		while (n > 1 && p[n - 1] == '\0')
			n--;
	}
	a->len = (socklen_t)(off + n);
}

static ssize_t v2_parse(const uint8_t *b, size_t len, struct sipc__proxyhdr *h, char *why,
			size_t whylen)
{
	size_t m = len < sizeof(v2_sig) ? len : sizeof(v2_sig), need, alen = 0, total, at;
	struct sipc__proxyhdr r = {.version = 2};
	unsigned ver, cmd, fam, proto;
	char q[64];

	if (memcmp(b, v2_sig, m) != 0)
		return bad(why, whylen, "v2: bad signature '%s'", quote(b, m, q, sizeof(q)));
	if (len < SIPC__PROXYHDR_V2_FIXED) {
		/* Judge the version and length bytes as soon as they come. */
		if (len > 12 && (b[12] >> 4) != 2)
			return bad(why, whylen, "v2: version %u, not 2", b[12] >> 4);
		return 0;
	}
	ver = b[12] >> 4;
	cmd = b[12] & 0xF;
	fam = b[13] >> 4;
	proto = b[13] & 0xF;
	need = ((size_t)b[14] << 8) | b[15];
	if (ver != 2)
		return bad(why, whylen, "v2: version %u, not 2", ver);
	if (cmd != V2_CMD_LOCAL && cmd != V2_CMD_PROXY)
		return bad(why, whylen, "v2: command 0x%X is neither LOCAL (0) nor PROXY (1)", cmd);
	if (need > SIPC__PROXYHDR_V2_LEN_MAX)
		return bad(why, whylen,
			   "v2: length %zu beyond the limit of %d (%d of addresses + %d of TLVs)",
			   need, SIPC__PROXYHDR_V2_LEN_MAX, SIPC__PROXYHDR_V2_ADDR_MAX,
			   SIPC__PROXYHDR_TLV_MAX);
	if (fam > V2_AF_UNIX)
		return bad(why, whylen, "v2: address family 0x%X unknown", fam);
	if (proto > 2)
		return bad(why, whylen, "v2: transport 0x%X unknown", proto);
	if (cmd == V2_CMD_PROXY && fam != V2_AF_UNSPEC) {
		alen = fam == V2_AF_INET ? 12 : fam == V2_AF_INET6 ? 36 : 2 * V2_UNIX_PATH;
		if (proto != V2_STREAM)
			return bad(why, whylen, "v2: transport %s on a stream connection",
				   proto == 0 ? "UNSPEC" : "DGRAM");
		if (need < alen)
			return bad(why, whylen,
				   "v2: length %zu too short for the %s addresses (%zu bytes)",
				   need,
				   fam == V2_AF_INET    ? "IPv4"
				   : fam == V2_AF_INET6 ? "IPv6"
							: "unix",
				   alen);
	}
	total = SIPC__PROXYHDR_V2_FIXED + need;
	if (len < total)
		return 0;
	/* TLVs (type, 16-bit length, value) fill the rest exactly; their
	 * meaning is not needed, their framing is checked.  LOCAL and
	 * AF_UNSPEC: the spec says to skip the block unread. */
	for (at = SIPC__PROXYHDR_V2_FIXED + alen; alen > 0 && at < total;) {
		size_t tl;
		if (total - at < 3)
			return bad(why, whylen, "v2: %zu stray byte(s) after the last TLV",
				   total - at);
		tl = ((size_t)b[at + 1] << 8) | b[at + 2];
		if (tl > total - at - 3)
			return bad(why, whylen,
				   "v2: TLV 0x%02X of %zu bytes runs past the header's end", b[at],
				   tl);
		at += 3 + tl;
	}
	const uint8_t *p = b + SIPC__PROXYHDR_V2_FIXED;
	if (cmd == V2_CMD_LOCAL || fam == V2_AF_UNSPEC) {
		r.local = true;
	} else if (fam == V2_AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&r.src.ss;
		struct sockaddr_in *d = (struct sockaddr_in *)&r.dst.ss;
		s->sin_family = d->sin_family = AF_INET;
		memcpy(&s->sin_addr, p, 4);
		memcpy(&d->sin_addr, p + 4, 4);
		memcpy(&s->sin_port, p + 8, 2);
		memcpy(&d->sin_port, p + 10, 2);
		r.src.len = r.dst.len = sizeof(*s);
		r.src.scheme = r.dst.scheme = SIPC_TCP;
	} else if (fam == V2_AF_INET6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&r.src.ss;
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&r.dst.ss;
		s->sin6_family = d->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, p, 16);
		memcpy(&d->sin6_addr, p + 16, 16);
		memcpy(&s->sin6_port, p + 32, 2);
		memcpy(&d->sin6_port, p + 34, 2);
		r.src.len = r.dst.len = sizeof(*s);
		r.src.scheme = r.dst.scheme = SIPC_TCP;
	} else {
		v2_unix(p, &r.src);
		v2_unix(p + V2_UNIX_PATH, &r.dst);
	}
	*h = r;
	return (ssize_t)total;
}

ssize_t sipc__proxyhdr_parse(const void *buf, size_t len, struct sipc__proxyhdr *h, char *why,
			     size_t whylen)
{
	const uint8_t *b = buf;
	struct sipc__proxyhdr r;
	ssize_t n;

	if (len == 0)
		return 0;
	if (b[0] == v2_sig[0])
		return v2_parse(b, len, h, why, whylen);
	if (b[0] != 'P')
		return bad(why, whylen,
			   "no PROXY header: the first byte is 0x%02X, not 'P' (v1) or 0x0D (v2)",
			   b[0]);
	n = v1_parse(b, len, &r, why, whylen);
	if (n > 0)
		*h = r;
	return n;
}

bool sipc__proxyhdr_looks(const void *buf, size_t len)
{
	if (len < 5)
		return false;
	return memcmp(buf, v1_magic, 5) == 0 || memcmp(buf, v2_sig, 5) == 0;
}

/* ------------------------------------------------------------ format */

/* A's IPv4 address if it is IPv4 or IPv4-mapped IPv6. */
static bool as_v4(const sipc_addr *a, struct in_addr *in, uint16_t *port)
{
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)&a->ss;
		*in = s->sin_addr;
		*port = s->sin_port;
		return true;
	}
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		memcpy(in, &s6->sin6_addr.s6_addr[12], 4);
		*port = s6->sin6_port;
		return true;
	}
	return false;
}

static void as_v6(const sipc_addr *a, struct in6_addr *in6, uint16_t *port)
{
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
		*in6 = s6->sin6_addr;
		*port = s6->sin6_port;
		return;
	}
	const struct sockaddr_in *s = (const struct sockaddr_in *)&a->ss;
	memset(in6, 0, sizeof(*in6));
	in6->s6_addr[10] = in6->s6_addr[11] = 0xff;
	memcpy(&in6->s6_addr[12], &s->sin_addr, 4);
	*port = s->sin_port;
}

static bool is_ip(const sipc_addr *a)
{
	return a != NULL && (a->ss.ss_family == AF_INET || a->ss.ss_family == AF_INET6);
}

static bool is_unix(const sipc_addr *a)
{
	return a != NULL && a->ss.ss_family == AF_UNIX;
}

static ssize_t put(void *buf, size_t cap, const void *p, size_t n)
{
	if (n > cap)
		return SIPC_EBUFSIZE;
	memcpy(buf, p, n);
	return (ssize_t)n;
}

static ssize_t format_v1(const sipc_addr *src, const sipc_addr *dst, void *buf, size_t cap)
{
	char line[SIPC__PROXYHDR_V1_MAX + 1], s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	struct in_addr s4, d4;
	struct in6_addr s6, d6;
	uint16_t sp, dp;
	int n;

	if (!is_ip(src) || !is_ip(dst))
		return put(buf, cap, "PROXY UNKNOWN\r\n", 15);
	if (as_v4(src, &s4, &sp) && as_v4(dst, &d4, &dp)) {
		inet_ntop(AF_INET, &s4, s, sizeof(s));
		inet_ntop(AF_INET, &d4, d, sizeof(d));
		n = snprintf(line, sizeof(line), "PROXY TCP4 %s %s %u %u\r\n", s, d, ntohs(sp),
			     ntohs(dp));
	} else {
		as_v6(src, &s6, &sp);
		as_v6(dst, &d6, &dp);
		inet_ntop(AF_INET6, &s6, s, sizeof(s));
		inet_ntop(AF_INET6, &d6, d, sizeof(d));
		n = snprintf(line, sizeof(line), "PROXY TCP6 %s %s %u %u\r\n", s, d, ntohs(sp),
			     ntohs(dp));
	}
	return put(buf, cap, line, (size_t)n);
}

static ssize_t format_v2(const sipc_addr *src, const sipc_addr *dst, void *buf, size_t cap)
{
	uint8_t h[SIPC__PROXYHDR_V2_FIXED + SIPC__PROXYHDR_V2_ADDR_MAX] = {0};
	uint8_t *p = h + SIPC__PROXYHDR_V2_FIXED;
	size_t alen = 0;
	struct in_addr s4, d4;
	struct in6_addr s6, d6;
	uint16_t sp, dp;

	memcpy(h, v2_sig, sizeof(v2_sig));
	h[12] = 0x20 | V2_CMD_PROXY;
	if (is_ip(src) && is_ip(dst)) {
		if (as_v4(src, &s4, &sp) && as_v4(dst, &d4, &dp)) {
			h[13] = V2_AF_INET << 4 | V2_STREAM;
			memcpy(p, &s4, 4);
			memcpy(p + 4, &d4, 4);
			memcpy(p + 8, &sp, 2);
			memcpy(p + 10, &dp, 2);
			alen = 12;
		} else {
			as_v6(src, &s6, &sp);
			as_v6(dst, &d6, &dp);
			h[13] = V2_AF_INET6 << 4 | V2_STREAM;
			memcpy(p, &s6, 16);
			memcpy(p + 16, &d6, 16);
			memcpy(p + 32, &sp, 2);
			memcpy(p + 34, &dp, 2);
			alen = 36;
		}
	} else if (is_unix(src) && is_unix(dst)) {
		size_t off = offsetof(struct sockaddr_un, sun_path);
		const sipc_addr *a[2] = {src, dst};
		h[13] = V2_AF_UNIX << 4 | V2_STREAM;
		for (int i = 0; i < 2; i++) {
			size_t n = (size_t)a[i]->len > off ? (size_t)a[i]->len - off : 0;
			if (n > V2_UNIX_PATH)
				n = V2_UNIX_PATH;
			memcpy(p + i * V2_UNIX_PATH,
			       ((const struct sockaddr_un *)&a[i]->ss)->sun_path, n);
		}
		alen = 2 * V2_UNIX_PATH;
	} else {
		h[13] = V2_AF_UNSPEC << 4; /* the spec's "unknown" */
	}
	h[14] = (uint8_t)(alen >> 8);
	h[15] = (uint8_t)(alen & 0xFF);
	return put(buf, cap, h, SIPC__PROXYHDR_V2_FIXED + alen);
}

ssize_t sipc__proxyhdr_format(int version, const sipc_addr *src, const sipc_addr *dst, void *buf,
			      size_t cap)
{
	if (version == 1)
		return format_v1(src, dst, buf, cap);
	if (version == 2)
		return format_v2(src, dst, buf, cap);
	return SIPC_EKIND;
}
