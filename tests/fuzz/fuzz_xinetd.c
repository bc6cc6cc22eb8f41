/*
 * fuzz_xinetd.c - libFuzzer target: `sockipc xinetd-import` on arbitrary
 * bytes, through the xinetd.conf parser and the translation, with include
 * directives off (they would read the fuzzer's choice of files) and a
 * resolver that knows one name (no DNS).  Errors are fine; a crash, a
 * leak, an error without a reason, a failure counted as success, or an
 * output that `sockipc serve -f` cannot read back (but for users and
 * groups this machine lacks) is not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "serve/config.h"
#include "serve/xinetd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int resolve(void *arg, const char *name, char *out, size_t outlen, char *why, size_t whylen)
{
	(void)arg;
	if (strcmp(name, "host.test") == 0) {
		snprintf(out, outlen, "192.0.2.7 2001:db8::7");
		return 0;
	}
	snprintf(why, whylen, "host name '%.60s' does not resolve", name);
	return -1;
}

/* The output read back by serve's own configuration reader. */
static void read_back(const char *conf, size_t len)
{
	struct sipc_serve_config cfg;
	char why[SIPC_WHY_MAX] = "", path[64];
	int fd = memfd_create("sipc-fuzz-xinetd", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	if (len > 0 && write(fd, conf, len) != (ssize_t)len)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	sipc__serve_config_init(&cfg);
	if (sipc__serve_config_add_file(&cfg, path, why, sizeof(why)) < 0 &&
	    strstr(why, "no user '") == NULL && strstr(why, "no group '") == NULL) {
		fprintf(stderr, "the output does not read back: %s\n%.*s\n", why, (int)len, conf);
		abort();
	}
	sipc__serve_config_free(&cfg);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sipc_xinetd x;
	struct sipc_xinetd_map m = {0};
	char why[1024] = "", *conf = NULL, *diag = NULL;
	size_t clen = 0, dlen = 0;
	int rc;

	if (size > 65536)
		return -1;
	sipc__xinetd_init(&x);
	x.no_include = true;
	rc = sipc__xinetd_read_text(&x, "fuzz.conf", (const char *)data, size, why, sizeof(why));
	if (rc < 0 && why[0] == '\0') {
		fprintf(stderr, "a refused file without a reason\n");
		abort();
	}
	if (rc == 0) {
		m.conf = open_memstream(&conf, &clen);
		m.diag = open_memstream(&diag, &dlen);
		if (m.conf == NULL || m.diag == NULL)
			abort();
		m.diag_prefix = "sockipc: ";
		m.resolve = resolve;
		rc = sipc__xinetd_map(&x, "fuzz.conf", &m);
		fclose(m.conf);
		fclose(m.diag);
		if ((rc == 0) != (m.errors == 0) || (m.errors + m.warnings > 0 && dlen == 0)) {
			fprintf(stderr, "rc %d with %u errors, %u warnings, %zu bytes said\n", rc,
				m.errors, m.warnings, dlen);
			abort();
		}
		if (rc == 0)
			read_back(conf, clen);
		free(conf);
		free(diag);
	}
	sipc__xinetd_free(&x);
	return 0;
}
