/*
 * port.c - port.h on POSIX and on Windows: the only file of the test
 * helpers that says which system it is on.
 */
#include "port.h"

#include <stdio.h>
#include <stdlib.h>

#ifdef _WIN32
#include <direct.h>
#include <io.h>
#include <string.h>

const char *sipc_test_tmpbase(void)
{
	const char *base = getenv("TEMP");

	return base && *base ? base : ".";
}

char *sipc_test_mkdtemp(char *tmpl)
{
	size_t len = strlen(tmpl);

	/* _mktemp_s takes the name only: try a bounded number of them. */
	for (int i = 0; i < 100; i++) {
		memcpy(tmpl + len - 6, "XXXXXX", 6);
		if (_mktemp_s(tmpl, len + 1) != 0)
			return NULL;
		if (_mkdir(tmpl) == 0)
			return tmpl;
	}
	return NULL;
}

bool sipc_test_have_scheme(sipc_scheme scheme)
{
	/* unix:// streams are AF_UNIX of Windows 10 1803 (Wine 8 has none:
	 * the test skips on -EAFNOSUPPORT); the rest is SIPC_ENOTSUP. */
	return scheme != SIPC_UNIXGRAM && scheme != SIPC_UNIXPACKET &&
	       !sipc_scheme_is_tls(scheme) && scheme != SIPC_SHM;
}
#else
const char *sipc_test_tmpbase(void)
{
	const char *base = getenv("TMPDIR");

	return base && *base ? base : "/tmp";
}

char *sipc_test_mkdtemp(char *tmpl)
{
	return mkdtemp(tmpl);
}

bool sipc_test_have_scheme(sipc_scheme scheme)
{
	(void)scheme;
	return true;
}
#endif
