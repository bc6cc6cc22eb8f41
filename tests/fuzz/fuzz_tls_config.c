/*
 * fuzz_tls_config.c - libFuzzer target: arbitrary text through the TLS
 * setters that parse (a pin, an ALPN list, a minimum version, a server
 * name).  Each returns 0, -EINVAL or SIPC_ETLS_CONFIG; a refusal comes
 * with a sentence of printable ASCII only (it quotes the text back); a pin
 * that is accepted is 32 bytes of hex the config can use.
 *
 * Input: byte 0 picks the setter, the rest is the text (NUL-terminated
 * here; an embedded NUL just ends it).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void printable(const char *why)
{
	for (const char *p = why; *p; p++)
		if (*p < 0x20 || *p > 0x7e) {
			fprintf(stderr, "control byte in the sentence: %s\n", why);
			abort();
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sipc_tls_config *cfg = NULL;
	char *text, why[SIPC_WHY_MAX] = "";
	int rc;

	if (size == 0)
		return 0;
	text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (sipc_tls_config_new(data[0] & 1 ? SIPC_TLS_SERVER : SIPC_TLS_CLIENT, &cfg) != 0)
		abort();
	switch ((data[0] >> 1) % 4) {
	case 0:
		rc = sipc_tls_config_pin(cfg, text, why, sizeof(why));
		break;
	case 1:
		rc = sipc_tls_config_alpn(cfg, text, why, sizeof(why));
		break;
	case 2:
		rc = sipc_tls_config_min_version(cfg, text, why, sizeof(why));
		break;
	default:
		rc = sipc_tls_config_server_name(cfg, text);
		break;
	}
	if (rc != 0 && rc != -EINVAL && rc != SIPC_ETLS_CONFIG) {
		fprintf(stderr, "unexpected %d (%s)\n", rc, sipc_strerror(rc));
		abort();
	}
	printable(why);
	sipc_tls_config_free(cfg);
	free(text);
	return 0;
}
