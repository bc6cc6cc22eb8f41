/*
 * test_xinetd.c - `sockipc xinetd-import`'s parser and translation: each
 * xinetd.conf(5) attribute becomes the serve attribute it means (or a
 * line saying why not), defaults fold into services as xinetd applies
 * them, services sockipc cannot run are refused with a reason, invalid
 * values and broken syntax are errors naming FILE:LINE, and hostile input
 * (NUL bytes, control bytes, huge lines, unclosed blocks, include loops)
 * is a clear error.  Host names go through a stub resolver: no DNS.
 */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve/xinetd.h"

/* host.test resolves; every other name does not. */
static int stub_resolve(void *arg, const char *name, char *out, size_t outlen, char *why,
			size_t whylen)
{
	(void)arg;
	if (strcmp(name, "host.test") == 0) {
		snprintf(out, outlen, "192.0.2.7 2001:db8::7");
		return 0;
	}
	snprintf(why, whylen, "host name '%s' does not resolve", name);
	return -1;
}

struct result {
	int read_rc; /* sipc__xinetd_read_text */
	int map_rc;  /* sipc__xinetd_map, when read_rc is 0 */
	char why[1024];
	char *conf;
	char *diag;
	unsigned warnings, errors, services;
};

static void convert(const char *text, struct result *r)
{
	struct sipc_xinetd x;
	struct sipc_xinetd_map m = {0};
	size_t clen = 0, dlen = 0;

	memset(r, 0, sizeof(*r));
	sipc__xinetd_init(&x);
	r->read_rc =
		sipc__xinetd_read_text(&x, "t.conf", text, strlen(text), r->why, sizeof(r->why));
	m.conf = open_memstream(&r->conf, &clen);
	m.diag = open_memstream(&r->diag, &dlen);
	assert_non_null(m.conf);
	assert_non_null(m.diag);
	m.resolve = stub_resolve;
	if (r->read_rc == 0)
		r->map_rc = sipc__xinetd_map(&x, "t.conf", &m);
	fclose(m.conf);
	fclose(m.diag);
	r->warnings = m.warnings;
	r->errors = m.errors;
	r->services = m.services;
	sipc__xinetd_free(&x);
}

static void done(struct result *r)
{
	free(r->conf);
	free(r->diag);
}

/* Asserts that HAYSTACK holds NEEDLE, printing both when not. */
#define assert_has(haystack, needle)                                                               \
	do {                                                                                       \
		if (strstr((haystack), (needle)) == NULL)                                          \
			fail_msg("[%s] is not in:\n%s", (needle), (haystack));                     \
	} while (0)
#define assert_lacks(haystack, needle)                                                             \
	do {                                                                                       \
		if (strstr((haystack), (needle)) != NULL)                                          \
			fail_msg("[%s] should not be in:\n%s", (needle), (haystack));              \
	} while (0)

static void test_internal_services(void **state)
{
	struct result r;

	(void)state;
	convert("service echo\n{\n\tid = echo-stream\n\ttype = INTERNAL\n\tsocket_type = "
		"stream\n\tprotocol = tcp\n\tuser = root\n\twait = no\n\tdisable = no\n}\n"
		"service echo\n{\n\tid = echo-dgram\n\ttype = INTERNAL\n\tsocket_type = dgram\n"
		"\twait = yes\n\tdisable = yes\n}\n"
		"service daytime\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = yes\n}\n",
		&r);
	assert_int_equal(r.read_rc, 0);
	assert_int_equal(r.map_rc, 0);
	assert_int_equal(r.services, 3);
	assert_has(r.conf, "service echo-stream\n{\n\tlisten         = tcp://0.0.0.0:7\n"
			   "\trun            = echo\n\tuser           = root\n");
	assert_has(r.conf, "service echo-dgram\n{\n\tlisten         = udp://0.0.0.0:7\n"
			   "\trun            = echo\n\tdisable        = yes\n}");
	/* wait = yes on a stream: one client at a time. */
	assert_has(r.conf, "\trun            = daytime\n\t# wait = yes: one client at a time\n"
			   "\tinstances      = 1\n");
	/* xinetd's bind is every address; the heading says sockipc's is not. */
	assert_has(r.conf, "xinetd listens on every address");
	assert_has(r.conf, "sockipc's own default is\n# loopback");
	assert_string_equal(r.diag, "");
	done(&r);
}

static void test_exec_and_process_attributes(void **state)
{
	struct result r;

	(void)state;
	convert("service finger\n{\n socket_type = stream\n wait = no\n user = nobody\n"
		" group = nogroup\n groups = yes\n server = /usr/sbin/in.fingerd\n"
		" server_args = -w -l #x\n nice = -5\n umask = 027\n env = LANG=C TZ=UTC\n"
		" env += A=1\n passenv = PATH HOME\n rlimit_as = 64M\n rlimit_cpu = UNLIMITED\n"
		" rlimit_files = 128\n instances = 20\n per_source = 4\n cps = 25 30\n"
		" access_times = 2:00-9:00 22:00-02:00\n banner_success = /etc/welcome\n"
		" port = 7979\n bind = 127.0.0.1\n}\n",
		&r);
	assert_int_equal(r.map_rc, 0);
	assert_has(r.conf, "\tlisten         = tcp://127.0.0.1:7979\n");
	assert_has(r.conf, "\trun            = exec /usr/sbin/in.fingerd -w -l '#x'\n");
	assert_has(r.conf, "\tuser           = nobody\n\tgroup          = nogroup\n"
			   "\tgroups         = yes\n");
	assert_has(r.conf,
		   "\tinstances      = 20\n\tper_source     = 4\n\tcps            = 25 30\n");
	assert_has(r.conf, "\taccess_times   = 2:00-9:00 22:00-02:00\n");
	assert_has(r.conf, "\tnice           = -5\n\tumask          = 027\n");
	assert_has(r.conf, "\tenv            = LANG=C TZ=UTC A=1\n\tpassenv        = PATH HOME\n");
	/* banner_success is what sockipc's banner is: sent once admitted. */
	assert_has(r.conf, "\tbanner         = /etc/welcome\n");
	assert_has(
		r.conf,
		"\trlimit_as      = 64M\n\trlimit_cpu     = UNLIMITED\n\trlimit_files   = 128\n");
	assert_has(r.conf, "\tdisable        = no\n}");
	assert_string_equal(r.diag, "");
	done(&r);

	/* An id with no value is no id (found by fuzz_xinetd: it was read
	 * as one). */
	convert("defaults\n{\n disabled = x\n}\nservice x\n{\n id =\n type = UNLISTED\n"
		" socket_type = stream\n port = 5\n server = /bin/x\n}\n",
		&r);
	assert_int_equal(r.map_rc, 0);
	assert_has(r.conf, "service x\n");
	assert_has(r.conf, "disable        = yes\n");
	done(&r);

	convert("service x\n{\n type = UNLISTED\n socket_type = stream\n port = 5\n"
		" server = /bin/x\n}\n",
		&r);
	assert_int_equal(r.map_rc, 0);
	assert_has(r.diag, "t.conf:1: service x: no user: xinetd refuses a server without one");
	done(&r);
}

static void test_defaults_fold_as_xinetd(void **state)
{
	struct result r;

	(void)state;
	convert("defaults\n{\n only_from = 10.0.0.0\n only_from = 10.1.0.0\n"
		" log_on_success = PID HOST\n log_on_failure = HOST\n instances = 50\n"
		" disabled = b\n}\n"
		"service a\n{\n type = UNLISTED\n socket_type = stream\n port = 1\n"
		" server = /bin/a\n only_from += 10.2.0.0\n log_on_success -= PID\n"
		" log_on_success += EXIT\n}\n"
		"service b\n{\n type = UNLISTED\n socket_type = stream\n port = 2\n"
		" server = /bin/b\n only_from = 10.3.3.3\n instances = 5\n}\n",
		&r);
	assert_int_equal(r.map_rc, 0);
	/* += starts from the defaults (cumulative there); = replaces them. */
	assert_has(r.conf, "only_from      = 10.0.0.0/8 10.1.0.0/16 10.2.0.0/16\n");
	assert_has(r.conf, "log_on_success = HOST EXIT\n");
	assert_has(r.conf, "only_from      = 10.3.3.3\n");
	assert_has(r.conf, "instances      = 50\n");
	assert_has(r.conf, "instances      = 5\n");
	/* defaults' disabled = ID. */
	assert_has(r.conf, "run            = exec /bin/b\n");
	assert_has(r.conf, "log_on_failure = HOST\n\tdisable        = yes\n}");
	done(&r);

	convert("defaults\n{\n enabled = a\n}\nservice a\n{\n type = INTERNAL UNLISTED\n"
		" socket_type = stream\n port = 7\n}\nservice echo\n{\n type = INTERNAL\n"
		" socket_type = stream\n}\n",
		&r);
	assert_int_equal(r.map_rc, 0);
	assert_int_equal(r.services, 1); /* 'a' is not an internal service */
	assert_has(r.conf,
		   "service echo\n{\n\tlisten         = tcp://0.0.0.0:7\n\trun            = "
		   "echo\n\tdisable        = yes\n}");
	done(&r);
}

static void test_addresses(void **state)
{
	struct result r;

	(void)state;
	convert("service echo\n{\n type = INTERNAL\n socket_type = stream\n"
		" only_from = 127.0.0.1 10.0.0.0 192.168.{1,2} 172.16.0.0/12 ::1 fe80::/10\n"
		" only_from += host.test 1.2.3.{4,5}\n no_access = 0\n}\n",
		&r);
	assert_int_equal(r.map_rc, 0);
	assert_has(r.conf, "only_from      = 127.0.0.1 10.0.0.0/8 192.168.1.0/24 192.168.2.0/24 "
			   "172.16.0.0/12 ::1 fe80::/10 192.0.2.7 2001:db8::7 1.2.3.4 1.2.3.5\n");
	assert_has(r.conf, "# only_from: 'host.test' resolved when imported");
	assert_has(r.conf, "no_access      = 0.0.0.0/0 ::/0\n");
	done(&r);

	/* A name that does not resolve: dropped from only_from (narrower);
	 * from no_access it would admit more, so the service is disabled. */
	convert("service echo\n{\n type = INTERNAL\n socket_type = stream\n"
		" only_from = 127.0.0.1 .example.com\n no_access = nosuch.test\n}\n",
		&r);
	assert_int_equal(r.map_rc, 0);
	assert_has(r.diag, "t.conf:5: service echo: attribute 'only_from' value '.example.com' "
			   "not supported: '.example.com' matched the client's reverse DNS name");
	assert_has(r.diag, "t.conf:6: service echo: attribute 'no_access' value 'nosuch.test' "
			   "not supported: host name 'nosuch.test' does not resolve");
	assert_has(r.conf, "only_from      = 127.0.0.1\n");
	assert_lacks(r.conf, "no_access      =");
	assert_has(r.conf, "disable        = yes\n");
	done(&r);

	/* only_from with no value: nobody. */
	convert("service echo\n{\n type = INTERNAL\n socket_type = stream\n only_from =\n}\n", &r);
	assert_has(r.conf, "nobody may connect");
	assert_has(r.conf, "disable        = yes\n");
	done(&r);

	/* xinetd let the more specific entry decide; sockipc refuses what
	 * no_access matches: an only_from block inside a no_access block
	 * changes meaning, and says so. */
	convert("service echo\n{\n type = INTERNAL\n socket_type = stream\n"
		" only_from = 10.1.2.3 127.0.0.1\n no_access = 10.0.0.0 192.168.0.0/16\n}\n",
		&r);
	assert_int_equal(r.map_rc, 0);
	assert_has(r.diag, "t.conf:6: service echo: the precedence of only_from '10.1.2.3' over "
			   "no_access '10.0.0.0/8' not supported");
	assert_lacks(r.diag, "127.0.0.1' over");
	assert_lacks(r.diag, "192.168");
	done(&r);

	convert("service echo\n{\n type = INTERNAL\n socket_type = stream\n only_from = "
		"300.1.1.1\n}\n",
		&r);
	assert_int_equal(r.map_rc, -1);
	assert_has(r.diag, "t.conf:5: service echo: attribute 'only_from': '300.1.1.1' is not an "
			   "address");
	done(&r);
}

static void test_families_and_redirect(void **state)
{
	struct result r;

	(void)state;
	convert("service a\n{\n type = UNLISTED\n socket_type = stream\n port = 8080\n"
		" redirect = 10.0.0.5 80\n flags = IPv6\n}\n"
		"service b\n{\n type = UNLISTED\n socket_type = stream\n port = 8081\n"
		" redirect = fd00::5 8081\n interface = ::1\n server = /bin/x\n}\n"
		"service c\n{\n type = UNLISTED\n socket_type = dgram\n port = 9\n"
		" redirect = 10.0.0.5 80\n}\n"
		"service d\n{\n type = UNLISTED INTERNAL\n socket_type = dgram\n port = 7\n"
		" flags = IPv4\n}\n"
		"service echo\n{\n type = INTERNAL\n socket_type = stream\n v6only = yes\n}\n",
		&r);
	assert_int_equal(r.map_rc, 0);
	assert_has(r.conf, "\tlisten         = tcp://[::]:8080\n\trun            = forward "
			   "tcp://10.0.0.5:80\n");
	assert_has(r.conf, "\tlisten         = tcp://[::1]:8081\n\trun            = forward "
			   "tcp://[fd00::5]:8081\n");
	assert_has(r.diag, "service b: attribute 'server' not supported: redirect takes priority");
	assert_has(r.diag,
		   "t.conf:18: service c: not converted: redirect forwards tcp connections");
	assert_has(r.conf, "# t.conf:18: xinetd service c not converted:");
	assert_has(r.diag, "service d: not converted: xinetd's internal service 'd'");
	assert_has(r.conf, "\tlisten         = tcp6://[::]:7\n");
	done(&r);
}

static void test_refused_services(void **state)
{
	struct result r;

	(void)state;
	convert("service r\n{\n socket_type = raw\n port = 1\n server = /x\n}\n"
		"service s\n{\n socket_type = seqpacket\n port = 1\n server = /x\n}\n"
		"service w\n{\n type = UNLISTED\n socket_type = stream\n wait = yes\n port = 515\n"
		" server = /usr/sbin/lpd\n}\n"
		"service tftp\n{\n socket_type = dgram\n wait = yes\n server = "
		"/usr/sbin/in.tftpd\n}\n"
		"service rstatd\n{\n type = RPC\n socket_type = dgram\n rpc_version = 2-4\n"
		" server = /x\n}\n"
		"service m\n{\n type = TCPMUX\n socket_type = stream\n server = /x\n}\n"
		"service n\n{\n type = UNLISTED\n socket_type = stream\n port = 3\n}\n"
		"service p\n{\n socket_type = stream\n protocol = udp\n port = 3\n server = /x\n}\n"
		"service q\n{\n type = UNLISTED\n socket_type = stream\n server = /x\n}\n"
		"service nosuchname\n{\n socket_type = stream\n server = /x\n}\n",
		&r);
	assert_int_equal(r.map_rc, 0);
	assert_int_equal(r.services, 0);
	assert_has(r.diag, "t.conf:1: service r: not converted: socket_type 'raw'");
	assert_has(r.diag, "t.conf:7: service s: not converted: socket_type 'seqpacket' over IP");
	assert_has(r.diag, "service w: not converted: wait = yes: the server accepts connections "
			   "itself");
	assert_has(r.diag,
		   "service tftp: not converted: a datagram server reads its socket itself");
	assert_has(r.diag, "service rstatd: attribute 'rpc_version' not supported");
	assert_has(r.diag, "service rstatd: not converted: RPC services");
	assert_has(r.diag, "service m: not converted: TCPMUX services");
	assert_has(r.diag, "service n: not converted: nothing to run");
	assert_has(r.diag, "service p: not converted: protocol 'udp' with socket_type stream");
	assert_has(r.diag, "service q: not converted: an UNLISTED service needs a port");
	assert_has(r.diag, "service nosuchname: not converted: no port, and 'nosuchname' is not in "
			   "the services database");
	done(&r);
}

static void test_not_supported_lines(void **state)
{
	struct result r;

	(void)state;
	convert("defaults\n{\n max_load = 2.5\n log_type = SYSLOG daemon info\n"
		" banner = /etc/issue.net\n banner_fail = /etc/no\n log_on_failure = HOST USERID\n"
		" server = /x\n}\n"
		"service echo\n{\n type = INTERNAL UNLISTED\n id = echo\n socket_type = stream\n"
		" port = 7\n rlimit_data = 1M\n rlimit_rss = 1M\n rlimit_stack = 1M\n"
		" deny_time = 5\n libwrap = x\n mdns = yes\n flags = NODELAY KEEPALIVE SENSOR"
		" INTERCEPT NORETRY IDONLY LABELED NOLIBWRAP REUSE\n log_on_success = USERID PID\n"
		" log_type = FILE /var/log/x\n banner_success = /etc/ok\n whatever = 1\n"
		" disabled = x\n}\n"
		"service echo\n{\n type = INTERNAL\n socket_type = dgram\n}\n",
		&r);
	assert_int_equal(r.map_rc, 0);
	assert_has(r.diag, "t.conf:3: defaults: attribute 'max_load' not supported: sockipc does "
			   "not stop accepting at a load average");
	assert_has(r.diag, "t.conf:4: defaults: attribute 'log_type' not supported: serve logs to "
			   "stderr, or to syslog with 'sockipc serve --log syslog'");
	assert_has(r.diag, "t.conf:6: defaults: attribute 'banner_fail' not supported: sockipc "
			   "sends nothing to a refused client");
	assert_has(r.diag, "t.conf:7: defaults: attribute 'log_on_failure' value 'USERID' not "
			   "supported: sockipc makes no RFC 1413 ident lookups");
	assert_has(r.diag, "t.conf:8: defaults: attribute 'server' ignored");
	/* Said once, although two services inherit it. */
	const char *first = strstr(r.diag, "attribute 'banner' carried over in part");
	assert_non_null(first);
	assert_null(strstr(first + 1, "attribute 'banner' carried over in part"));
	for (const char *a = "rlimit_data\0rlimit_rss\0rlimit_stack\0deny_time\0libwrap\0mdns\0";
	     *a != '\0'; a += strlen(a) + 1) {
		char want[96];
		snprintf(want, sizeof(want), "service echo: attribute '%s' not supported", a);
		assert_has(r.diag, want);
	}
	for (const char *f = "KEEPALIVE\0SENSOR\0INTERCEPT\0NORETRY\0IDONLY\0LABELED\0"; *f != '\0';
	     f += strlen(f) + 1) {
		char want[96];
		snprintf(want, sizeof(want), "service echo: flag '%s' not supported", f);
		assert_has(r.diag, want);
	}
	assert_lacks(r.diag, "NOLIBWRAP");
	assert_lacks(r.diag, "'REUSE'");
	assert_lacks(r.diag, "'NODELAY'");
	assert_has(r.diag, "service echo: attribute 'log_on_success' value 'USERID' not supported");
	assert_has(r.diag,
		   "service echo: attribute 'log_type' not supported: serve writes no log file");
	assert_has(r.diag,
		   "service echo: attribute 'banner_success' not supported: sockipc has one "
		   "banner per service");
	assert_has(r.diag, "service echo: attribute 'whatever' not supported: xinetd.conf(5) has "
			   "no such attribute");
	assert_has(r.diag,
		   "service echo: attribute 'disabled' ignored: xinetd takes it in defaults");
	/* Each also as a comment in the block, and the rest carried over. */
	assert_has(r.conf, "\n# not carried over: attribute 'max_load' (t.conf:3)");
	assert_has(r.conf, "\t# not carried over: flag 'SENSOR' (t.conf:22)");
	assert_has(r.conf, "\tlog_on_success = PID\n\tlog_on_failure = HOST\n");
	/* Both echo services are echo: the second gets another name. */
	assert_has(r.conf, "service echo\n");
	assert_has(r.conf, "service echo-2\n");
	assert_has(r.diag, "service echo-2: id 'echo' written as 'echo-2' (an earlier service has "
			   "that name)");
	done(&r);
}

static void test_value_errors(void **state)
{
	static const struct {
		const char *attr;
		const char *want;
	} cases[] = {
		{"port = 70000", "attribute 'port': '70000' is not a port number (1-65535)"},
		{"instances = lots", "attribute 'instances': 'lots' is not a whole number"},
		{"nice = 50", "attribute 'nice': '50' is not a whole number in -20..19"},
		{"umask = 999", "attribute 'umask': '999' is not an octal mode"},
		{"cps = 0", "attribute 'cps': '0' is not a whole number"},
		{"access_times = 25:00-26:00",
		 "attribute 'access_times': '25:00-26:00' is not a range"},
		{"env = NOEQUALS", "attribute 'env': 'NOEQUALS' is not NAME=VALUE"},
		{"env -= A=1", "attribute 'env': xinetd takes no '-=' for env"},
		{"nice += 1", "attribute 'nice': takes '=' only"},
		{"wait = maybe", "attribute 'wait': 'maybe' is not yes or no"},
		{"socket_type = stream stream", "attribute 'socket_type': takes one value, not 2"},
		{"flags = FAST", "attribute 'flags': unknown flag 'FAST'"},
		{"log_on_success = HOSTS", "attribute 'log_on_success': 'HOSTS' is not a field"},
		{"rlimit_files = x", "attribute 'rlimit_files': 'x' is not a whole number"},
		{"bind = a/b", "attribute 'bind': 'a/b' is not an address or a host name"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct result r;
		char text[512];

		snprintf(text, sizeof(text),
			 "service echo\n{\n type = INTERNAL\n socket_type = stream\n %s\n}\n",
			 cases[i].attr);
		convert(text, &r);
		assert_int_equal(r.read_rc, 0);
		if (r.map_rc != -1 || r.errors == 0)
			fail_msg("%s: not an error:\n%s", cases[i].attr, r.diag);
		assert_has(r.diag, "t.conf:5: service echo: ");
		assert_has(r.diag, cases[i].want);
		done(&r);
	}
}

static void test_syntax_errors(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{"service echo\n{\n type = INTERNAL\n",
		 "t.conf:3: the block opened at line 1 is not "
		 "closed at the end of the file"},
		{"type = INTERNAL\n", "t.conf:1: expected 'service NAME', 'defaults'"},
		{"service echo\n type = INTERNAL\n",
		 "t.conf:2: expected '{' to open the block of line 1"},
		{"service echo\n{\n type INTERNAL\n}\n",
		 "t.conf:3: expected '=', '+=' or '-=' after "
		 "'type'"},
		{"service echo\n{\n type = x\nservice b\n{\n}\n", "t.conf:4: 'service' inside the "
								  "block opened at line 1"},
		{"}\n", "t.conf:1: expected 'service NAME'"},
		{"service a b\n{\n}\n", "t.conf:1: 'service' takes one name"},
		{"service echo\n{\n user = ro\x01ot\n}\n", "t.conf:3: control character 0x01"},
		{"service echo\n{\n = x\n}\n", "t.conf:3: expected 'attribute = value' or '}'"},
		{"include\n", "t.conf:1: 'include' takes one path"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct result r;

		convert(cases[i].text, &r);
		if (r.read_rc != SIPC_XINETD_ESYNTAX)
			fail_msg("case %zu: %d, not a syntax error: %s", i, r.read_rc, r.why);
		assert_has(r.why, cases[i].want);
		done(&r);
	}
}

static void test_hostile_bytes(void **state)
{
	struct sipc_xinetd x;
	char why[512];
	size_t big = SIPC_XINETD_LINE_MAX + 10;
	char *text = malloc(big + 1);

	(void)state;
	sipc__xinetd_init(&x);
	assert_int_equal(
		sipc__xinetd_read_text(&x, "n.conf", "service a\n{\0}\n", 14, why, sizeof(why)),
		SIPC_XINETD_ESYNTAX);
	assert_string_equal(why, "n.conf:2: NUL byte");
	sipc__xinetd_free(&x);

	assert_non_null(text);
	memset(text, 'a', big);
	text[big] = '\0';
	sipc__xinetd_init(&x);
	assert_int_equal(sipc__xinetd_read_text(&x, "l.conf", text, big, why, sizeof(why)),
			 SIPC_XINETD_ESYNTAX);
	assert_has(why, "l.conf:1: line longer than");
	sipc__xinetd_free(&x);
	free(text);

	/* More values than one attribute may hold: bounded, named. */
	text = malloc(4096);
	assert_non_null(text);
	strcpy(text, "service echo\n{\n only_from =");
	for (int i = 0; i <= SIPC_XINETD_VALUES_MAX; i++)
		strcat(text, " 1");
	strcat(text, "\n}\n");
	sipc__xinetd_init(&x);
	assert_int_equal(sipc__xinetd_read_text(&x, "v.conf", text, strlen(text), why, sizeof(why)),
			 SIPC_XINETD_ESYNTAX);
	assert_string_equal(why, "v.conf:3: more than 512 values on one line");
	sipc__xinetd_free(&x);
	free(text);

	/* Windows line ends and a '}' with blanks after it, as Debian's
	 * files have, are fine. */
	const char *crlf =
		"service echo\r\n{\r\n type = INTERNAL\r\n socket_type = dgram\r\n}   \r\n";
	sipc__xinetd_init(&x);
	assert_int_equal(sipc__xinetd_read_text(&x, "c.conf", crlf, strlen(crlf), why, sizeof(why)),
			 0);
	assert_int_equal(x.nblocks, 1);
	assert_string_equal(x.blocks[0].attrs[1].values[0], "dgram");
	sipc__xinetd_free(&x);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_includes(void **state)
{
	char *dir = sipc_test_tmpdir(), a[512], b[512], d[512], p[600], text[1200], why[1024];
	struct sipc_xinetd x;

	(void)state;
	sipc_test_path(a, sizeof(a), dir, "a");
	sipc_test_path(b, sizeof(b), dir, "b");
	sipc_test_path(d, sizeof(d), dir, "d");
	/* includedir reads d/echo and d/time in that order; d/x.rpmsave and
	 * d/echo~ are left alone, as xinetd leaves them. */
	assert_int_equal(mkdir(d, 0700), 0);
	snprintf(p, sizeof(p), "%s/time", d);
	write_file(p, "service time\n{\n type = INTERNAL\n socket_type = stream\n}\n");
	snprintf(p, sizeof(p), "%s/echo", d);
	write_file(p, "service echo\n{\n type = INTERNAL\n socket_type = stream\n}\n");
	snprintf(p, sizeof(p), "%s/x.rpmsave", d);
	write_file(p, "garbage\n");
	snprintf(p, sizeof(p), "%s/echo~", d);
	write_file(p, "garbage\n");
	snprintf(text, sizeof(text), "defaults\n{\n}\nincludedir %s\n", d);
	write_file(a, text);
	sipc__xinetd_init(&x);
	assert_int_equal(sipc__xinetd_read_path(&x, a, why, sizeof(why)), 0);
	assert_int_equal(x.nblocks, 3);
	assert_string_equal(x.blocks[1].name, "echo");
	assert_string_equal(x.blocks[2].name, "time");
	sipc__xinetd_free(&x);

	/* a includes b includes a: a loop, named. */
	snprintf(text, sizeof(text), "include %s\n", b);
	write_file(a, text);
	snprintf(text, sizeof(text), "\ninclude %s\n", a);
	write_file(b, text);
	sipc__xinetd_init(&x);
	assert_int_equal(sipc__xinetd_read_path(&x, a, why, sizeof(why)), SIPC_XINETD_ESYNTAX);
	assert_has(why, "included again while it is being read (an include loop)");
	assert_has(why, "b:2: ");
	sipc__xinetd_free(&x);

	/* A missing include is unreadable (exit 1), not a syntax error. */
	snprintf(text, sizeof(text), "include %s/nonexistent\n", dir);
	write_file(a, text);
	sipc__xinetd_init(&x);
	assert_int_equal(sipc__xinetd_read_path(&x, a, why, sizeof(why)), SIPC_XINETD_EREAD);
	assert_has(why, "a:1: include ");
	assert_has(why, "No such file or directory");
	sipc__xinetd_free(&x);

	/* A directory given itself reads as includedir. */
	sipc__xinetd_init(&x);
	assert_int_equal(sipc__xinetd_read_path(&x, d, why, sizeof(why)), 0);
	assert_int_equal(x.nblocks, 2);
	sipc__xinetd_free(&x);

	sipc_test_rmtree(d);
	sipc_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_internal_services),
		cmocka_unit_test(test_exec_and_process_attributes),
		cmocka_unit_test(test_defaults_fold_as_xinetd),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_families_and_redirect),
		cmocka_unit_test(test_refused_services),
		cmocka_unit_test(test_not_supported_lines),
		cmocka_unit_test(test_value_errors),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_includes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
