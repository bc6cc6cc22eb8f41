/*
 * proxyacl.c - the destination rules and the user list of the proxy
 * services (proxyacl.h).  A destination block is parsed and matched by
 * acl.c, the same code that matches --allow, so "10.0.0.0/8" means the
 * same to both and an IPv4-mapped address cannot slip past an IPv4
 * block; this file adds the ports.  Passwords are compared in constant
 * time: a proxy answers quickly and often, and a compare that stops at
 * the first wrong byte tells a patient client how many it got right.
 */
#include "serve/services/proxyacl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/net.h"
#include "url.h"

/* ------------------------------------------------------------ --to */

/* "80,443,8000-8999" into R's port ranges: 0, or -1 with WHY. */
static int parse_ports(struct sipc__px_rule *r, const char *text, const char *whole, char *why,
		       size_t whylen)
{
	const char *p = text;

	while (*p != '\0') {
		char *end;
		long lo, hi;

		if (r->nports == SIPC__PX_PORT_RANGES) {
			snprintf(why, whylen, "'%s': more than %d port ranges", whole,
				 SIPC__PX_PORT_RANGES);
			return -1;
		}
		errno = 0;
		lo = strtol(p, &end, 10);
		hi = lo;
		if (end != p && *end == '-') {
			const char *q = end + 1;
			hi = strtol(q, &end, 10);
			if (end == q)
				hi = -1;
		}
		if (end == p || errno != 0 || lo < 1 || hi > 65535 || lo > hi ||
		    (*end != ',' && *end != '\0') || (*end == ',' && end[1] == '\0')) {
			snprintf(why, whylen,
				 "'%s': ports must be N or N-M in 1..65535, joined by ','", whole);
			return -1;
		}
		r->lo[r->nports] = (uint16_t)lo;
		r->hi[r->nports] = (uint16_t)hi;
		r->nports++;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

int sipc__px_rules_add(struct sipc__px_rules *rs, const char *text, char *why, size_t whylen)
{
	struct sipc__px_rule r;
	char block[128], detail[200];
	const char *ports = NULL;
	size_t blen;

	memset(&r, 0, sizeof(r));
	if (text[0] == '[') {
		/* "[v6]:ports", "[v6/len]:ports" or "[v6]/len:ports". */
		const char *close = strchr(text, ']');
		const char *after;
		if (close == NULL) {
			snprintf(why, whylen, "'%s': no ']' after the IPv6 block", text);
			return -1;
		}
		blen = (size_t)(close - text - 1);
		if (blen >= sizeof(block))
			blen = sizeof(block) - 1;
		memcpy(block, text + 1, blen);
		block[blen] = '\0';
		after = close + 1;
		if (*after == '/') {
			const char *colon = strchr(after, ':');
			size_t plen = colon ? (size_t)(colon - after) : strlen(after);
			if (blen + plen >= sizeof(block))
				plen = 0;
			memcpy(block + blen, after, plen);
			block[blen + plen] = '\0';
			after += plen;
		}
		if (*after == ':')
			ports = after + 1;
		else if (*after != '\0') {
			snprintf(why, whylen, "'%s': expected ':PORTS' after ']'", text);
			return -1;
		}
	} else {
		const char *colon = strchr(text, ':');
		/* Two colons or more: an IPv6 block, which takes ports only
		 * in brackets. */
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL;
		blen = colon ? (size_t)(colon - text) : strlen(text);
		if (blen >= sizeof(block))
			blen = sizeof(block) - 1;
		memcpy(block, text, blen);
		block[blen] = '\0';
		if (colon != NULL)
			ports = colon + 1;
	}
	if (ports != NULL && *ports == '\0') {
		snprintf(why, whylen, "'%s': empty port list after ':'", text);
		return -1;
	}
	if (strcmp(block, "any") == 0)
		r.any = true;
	else if (sipc__acl_add(&r.net, block, detail, sizeof(detail)) < 0) {
		snprintf(why, whylen,
			 "%s (expected CIDR[:PORTS], [IPv6-CIDR]:PORTS or any[:PORTS])", detail);
		return -1;
	}
	if (ports != NULL && parse_ports(&r, ports, text, why, whylen) < 0) {
		sipc__acl_free(&r.net);
		return -1;
	}
	struct sipc__px_rule *v = realloc(rs->v, (rs->n + 1) * sizeof(*v));
	if (v == NULL) {
		sipc__acl_free(&r.net);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	rs->v = v;
	rs->v[rs->n++] = r;
	if (r.any)
		rs->any = true;
	return 0;
}

int sipc__px_rules_default(struct sipc__px_rules *r, char *why, size_t whylen)
{
	if (sipc__px_rules_add(r, "127.0.0.0/8", why, whylen) < 0)
		return -1;
	return sipc__px_rules_add(r, "::1", why, whylen);
}

static int port_of(const sipc_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return -1;
}

bool sipc__px_rules_allow(const struct sipc__px_rules *rs, const sipc_addr *a)
{
	int port = port_of(a);

	if (port <= 0)
		return false;
	for (size_t i = 0; i < rs->n; i++) {
		const struct sipc__px_rule *r = &rs->v[i];
		bool port_ok = r->nports == 0;

		for (int k = 0; k < r->nports && !port_ok; k++)
			port_ok = port >= r->lo[k] && port <= r->hi[k];
		if (!port_ok)
			continue;
		/* acl.c allows everything to an empty list: a rule always
		 * holds its one block, unless it is "any". */
		if (r->any || sipc__acl_allows(&r->net, a))
			return true;
	}
	return false;
}

void sipc__px_rules_describe(const struct sipc__px_rules *rs, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < rs->n && used + 1 < len; i++) {
		const struct sipc__px_rule *r = &rs->v[i];
		char block[80] = "any address";
		int k;

		if (!r->any)
			sipc__acl_describe(&r->net, block, sizeof(block));
		k = snprintf(buf + used, len - used, "%s%s %s", i ? ", " : "", block,
			     r->nports ? "port" : "any port");
		if (k < 0 || (size_t)k >= len - used)
			return;
		used += (size_t)k;
		for (int p = 0; p < r->nports; p++) {
			k = r->lo[p] == r->hi[p] ? snprintf(buf + used, len - used, "%s%u",
							    p ? "," : " ", r->lo[p])
						 : snprintf(buf + used, len - used, "%s%u-%u",
							    p ? "," : " ", r->lo[p], r->hi[p]);
			if (k < 0 || (size_t)k >= len - used)
				return;
			used += (size_t)k;
		}
	}
}

void sipc__px_rules_free(struct sipc__px_rules *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		sipc__acl_free(&rs->v[i].net);
	free(rs->v);
	rs->v = NULL;
	rs->n = 0;
	rs->any = false;
}

/* ----------------------------------------------------------- users */

int sipc__px_users_add(struct sipc__px_users *u, const char *text, char *why, size_t whylen)
{
	const char *colon = strchr(text, ':');
	struct sipc__px_user one;
	size_t nlen, plen;

	if (colon == NULL || colon == text) {
		snprintf(why, whylen, "expected NAME:PASSWORD");
		return -1;
	}
	nlen = (size_t)(colon - text);
	plen = strlen(colon + 1);
	if (plen == 0) {
		snprintf(why, whylen, "empty password (expected NAME:PASSWORD)");
		return -1;
	}
	if (nlen > SIPC__PX_CRED_MAX || plen > SIPC__PX_CRED_MAX) {
		snprintf(why, whylen, "a name or password longer than %d bytes (RFC 1929)",
			 SIPC__PX_CRED_MAX);
		return -1;
	}
	for (const char *p = text; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(why, whylen, "a control character in NAME:PASSWORD");
			return -1;
		}
	}
	for (size_t i = 0; i < u->n; i++) {
		if (u->v[i].nlen == nlen && memcmp(u->v[i].name, text, nlen) == 0) {
			snprintf(why, whylen, "user '%.*s' given twice",
				 (int)(nlen > 40 ? 40 : nlen), text);
			return -1;
		}
	}
	memset(&one, 0, sizeof(one));
	memcpy(one.name, text, nlen);
	memcpy(one.pass, colon + 1, plen);
	one.nlen = nlen;
	one.plen = plen;
	struct sipc__px_user *v = realloc(u->v, (u->n + 1) * sizeof(*v));
	if (v == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	u->v = v;
	u->v[u->n++] = one;
	memset(&one, 0, sizeof(one));
	return 0;
}

int sipc__px_users_load(struct sipc__px_users *u, const char *path, char *why, size_t whylen)
{
	char line[2 * SIPC__PX_CRED_MAX + 8], detail[160];
	FILE *f = fopen(path, "re");
	int lineno = 0, rc = 0;

	if (f == NULL) {
		snprintf(why, whylen, "--users=%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strlen(line);

		lineno++;
		if (n > 0 && line[n - 1] != '\n' && !feof(f)) {
			snprintf(why, whylen, "--users=%s: line %d: longer than %zu bytes", path,
				 lineno, sizeof(line) - 2);
			rc = -1;
			break;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (sipc__px_users_add(u, line, detail, sizeof(detail)) < 0) {
			snprintf(why, whylen, "--users=%s: line %d: %s", path, lineno, detail);
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		snprintf(why, whylen, "--users=%s: %s", path, strerror(errno));
		rc = -1;
	}
	memset(line, 0, sizeof(line));
	fclose(f);
	if (rc == 0 && u->n == 0) {
		snprintf(why, whylen, "--users=%s: no NAME:PASSWORD line", path);
		rc = -1;
	}
	return rc;
}

/* 0 when A and B, both SIPC__PX_CRED_MAX bytes zeroed past their
 * lengths ALEN and BLEN, are equal: every byte is looked at whatever
 * they hold, so the time says nothing of where they differ. */
static unsigned ct_diff(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	unsigned d = (unsigned)(alen ^ blen);

	for (size_t i = 0; i < SIPC__PX_CRED_MAX; i++)
		d |= (unsigned)(a[i] ^ b[i]);
	return d;
}

bool sipc__px_users_check(const struct sipc__px_users *u, const uint8_t *name, size_t nlen,
			  const uint8_t *pass, size_t plen)
{
	uint8_t n[SIPC__PX_CRED_MAX] = {0}, p[SIPC__PX_CRED_MAX] = {0};
	unsigned found = 0;

	if (nlen > SIPC__PX_CRED_MAX || plen > SIPC__PX_CRED_MAX)
		return false;
	memcpy(n, name, nlen);
	memcpy(p, pass, plen);
	/* Every user is compared, so the time does not say which one (or
	 * whether any) has the name either. */
	for (size_t i = 0; i < u->n; i++) {
		unsigned d = ct_diff(u->v[i].name, u->v[i].nlen, n, nlen) |
			     ct_diff(u->v[i].pass, u->v[i].plen, p, plen);
		found |= (unsigned)(d == 0);
	}
	memset(p, 0, sizeof(p));
	return found != 0;
}

void sipc__px_users_free(struct sipc__px_users *u)
{
	if (u->v != NULL)
		memset(u->v, 0, u->n * sizeof(*u->v));
	free(u->v);
	u->v = NULL;
	u->n = 0;
}

/* ---------------------------------------------------------- base64 */

static int b64_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

int sipc__px_base64_decode(const char *text, size_t len, uint8_t *out, size_t cap)
{
	size_t o = 0;

	if (len == 0 || len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			unsigned char ch = (unsigned char)text[i + k];
			/* Padding only in the last group's last two places. */
			if (ch == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad > 0)
				return -1;
			v[k] = b64_value(ch);
			if (v[k] < 0)
				return -1;
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
			     (uint32_t)v[3];
		if (o + 3 - (size_t)pad > cap)
			return -1;
		out[o++] = (uint8_t)(w >> 16);
		if (pad < 2)
			out[o++] = (uint8_t)(w >> 8);
		if (pad < 1)
			out[o++] = (uint8_t)w;
	}
	return (int)o;
}

/* ---------------------------------------------------------- escape */

void sipc__px_escape(const void *bytes, size_t n, char *out, size_t cap)
{
	/* Each byte takes at most three characters: cut the input so the
	 * whole escaped text fits. */
	if (cap == 0)
		return;
	if (n > (cap - 1) / 3)
		n = (cap - 1) / 3;
	if (sipc__unix_name_escape(out, cap, bytes, n, false) < 0)
		out[0] = '\0';
}
