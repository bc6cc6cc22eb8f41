/*
 * hex.c - the --hex dump: each direction's data as 16-byte lines of hex and
 * printable ASCII on stderr, in the layout of `hexdump -C`, with the
 * direction and the offset within that direction leading each line so a
 * session reads top to bottom; serve puts the connection it belongs to
 * before the direction, as it dumps many at once.
 */
#include <ctype.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/relay.h"

void sipc_hexdump(FILE *out, char dir, uint64_t offset, const void *p, size_t n)
{
	sipc_hexdump_from(out, NULL, dir, offset, p, n);
}

void sipc_hexdump_from(FILE *out, const char *who, char dir, uint64_t offset, const void *p,
		       size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i += 16) {
		char line[128];
		size_t k = 0, m = n - i < 16 ? n - i : 16;

		k += (size_t)snprintf(line + k, sizeof(line) - k, "%08llx ",
				      (unsigned long long)(offset + i));
		for (size_t j = 0; j < 16; j++) {
			if (j == 8)
				line[k++] = ' ';
			if (j < m)
				k += (size_t)snprintf(line + k, sizeof(line) - k, " %02x",
						      b[i + j]);
			else
				k += (size_t)snprintf(line + k, sizeof(line) - k, "   ");
		}
		k += (size_t)snprintf(line + k, sizeof(line) - k, "  |");
		for (size_t j = 0; j < m; j++)
			line[k++] = isprint(b[i + j]) ? (char)b[i + j] : '.';
		line[k++] = '|';
		line[k] = '\0';
		if (who != NULL)
			fprintf(out, "sockipc: hex: %s %c %s\n", who, dir, line);
		else
			fprintf(out, "sockipc: hex: %c %s\n", dir, line);
	}
}

void sipc_cli_serve_hex(const char *who, char dir, uint64_t offset, const void *p, size_t n)
{
	sipc_hexdump_from(stderr, who, dir, offset, p, n);
}
