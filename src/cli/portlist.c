/*
 * portlist.c - parses the port list of a scan URL ("20-25,80,ssh") into
 * the ascending set of ports it names.  A bitmap of all 65536 ports makes
 * duplicates and overlapping ranges merge by themselves and bounds the
 * result however long the text is, so "1-65535,1-65535" is 65535 ports,
 * not 131070 probes.  Each error names the item that is wrong, because a
 * user who typed twenty items needs to know which one to fix.
 */
#include "cli/portlist.h"

#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest item quoted back in a message. */
#define ITEM_QUOTE_MAX 40

/* ITEM (N bytes) for a message: cut, and '?' for what is not printable. */
static void quote_item(char out[ITEM_QUOTE_MAX + 4], const char *s, size_t n)
{
	size_t i, m = n > ITEM_QUOTE_MAX ? ITEM_QUOTE_MAX : n;

	for (i = 0; i < m; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (m < n)
		memcpy(out + i, "...", 4);
	else
		out[i] = '\0';
}

/* Parses the decimal port in S[0..N).  Returns the port, -1 when S is not
 * a number, -2 when it is one out of 0..65535. */
static long parse_number(const char *s, size_t n)
{
	long v = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		/* Saturate, so a 30-digit port is out of range, never wrapped. */
		if (v <= 65535)
			v = v * 10 + (s[i] - '0');
	}
	return v > 65535 ? -2 : v;
}

/* Looks NAME (N bytes) up for PROTO; the port or -1. */
static long parse_service(const char *s, size_t n, const char *proto)
{
	char name[64], buf[1024];
	struct servent se, *res = NULL;

	if (n == 0 || n >= sizeof(name))
		return -1;
	memcpy(name, s, n);
	name[n] = '\0';
	if (getservbyname_r(name, proto, &se, buf, sizeof(buf), &res) != 0 || res == NULL)
		return -1;
	return ntohs((uint16_t)res->s_port);
}

/* Sets the ports of the item S[0..N) in MAP.  0, or -1 with WHY. */
static int parse_item(const char *s, size_t n, const char *proto, uint8_t *map, char *why,
		      size_t whylen)
{
	char q[ITEM_QUOTE_MAX + 4];
	const char *dash = memchr(s, '-', n);
	long lo, hi;

	quote_item(q, s, n);
	if (n == 0) {
		snprintf(why, whylen, "empty item (two commas, or a comma at an end)");
		return -1;
	}
	lo = parse_number(s, n);
	if (lo == -1)
		lo = parse_service(s, n, proto);
	if (lo >= 0) {
		map[lo / 8] |= (uint8_t)(1u << (lo % 8));
		return 0;
	}
	if (lo == -2) {
		snprintf(why, whylen, "port '%s' is out of range 0-65535", q);
		return -1;
	}
	if (dash == NULL) {
		snprintf(why, whylen, "'%s' is not a port number or a %s service name", q, proto);
		return -1;
	}
	if (dash == s) {
		snprintf(why, whylen, "range '%s' without a start", q);
		return -1;
	}
	if (dash == s + n - 1) {
		snprintf(why, whylen, "range '%s' without an end", q);
		return -1;
	}
	lo = parse_number(s, (size_t)(dash - s));
	hi = parse_number(dash + 1, n - (size_t)(dash - s) - 1);
	if (lo == -1 || hi == -1) {
		snprintf(why, whylen,
			 "'%s' is neither a %s service name nor a range of two port numbers", q,
			 proto);
		return -1;
	}
	if (lo == -2 || hi == -2) {
		snprintf(why, whylen, "range '%s' goes beyond 0-65535", q);
		return -1;
	}
	if (lo > hi) {
		/* nmap's answer too: a backwards range is more likely a typo
		 * than a wish to scan downwards, so it is not turned round. */
		snprintf(why, whylen, "range '%s' is backwards (did you mean %ld-%ld?)", q, hi, lo);
		return -1;
	}
	for (long p = lo; p <= hi; p++)
		map[p / 8] |= (uint8_t)(1u << (p % 8));
	return 0;
}

/* Writes "bad port list 'TEXT': " and WHAT into WHY, TEXT quoted. */
static void say(const char *text, const char *what, char *why, size_t whylen)
{
	char q[ITEM_QUOTE_MAX + 4];

	quote_item(q, text, strlen(text));
	snprintf(why, whylen, "bad port list '%s': %s", q, what);
}

int sipc_cli_portlist_parse(const char *text, const char *proto, struct sipc_cli_portlist *pl,
			    char *why, size_t whylen)
{
	char what[SIPC_CLI_PORTLIST_WHY];

	uint8_t *map = calloc(SIPC_CLI_PORTS_MAX / 8, 1);
	uint16_t *ports;
	const char *s = text;
	size_t n = 0;

	if (map == NULL) {
		say(text, "out of memory", why, whylen);
		return -1;
	}
	for (;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);

		if (parse_item(s, len, proto, map, what, sizeof(what)) < 0) {
			say(text, what, why, whylen);
			free(map);
			return -1;
		}
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	for (size_t p = 0; p < SIPC_CLI_PORTS_MAX; p++)
		n += (map[p / 8] >> (p % 8)) & 1u;
	ports = malloc(n * sizeof(*ports));
	if (ports == NULL) {
		free(map);
		say(text, "out of memory", why, whylen);
		return -1;
	}
	n = 0;
	for (size_t p = 0; p < SIPC_CLI_PORTS_MAX; p++)
		if ((map[p / 8] >> (p % 8)) & 1u)
			ports[n++] = (uint16_t)p;
	free(map);
	pl->ports = ports;
	pl->n = n;
	return 0;
}

void sipc_cli_portlist_free(struct sipc_cli_portlist *pl)
{
	if (pl == NULL)
		return;
	free(pl->ports);
	pl->ports = NULL;
	pl->n = 0;
}

const char *sipc_cli_port_service(int port, const char *proto, char *buf, size_t len)
{
	char tmp[1024];
	struct servent se, *res = NULL;

	buf[0] = '\0';
	if (getservbyport_r(htons((uint16_t)port), proto, &se, tmp, sizeof(tmp), &res) == 0 &&
	    res != NULL)
		snprintf(buf, len, "%s", res->s_name);
	return buf;
}
