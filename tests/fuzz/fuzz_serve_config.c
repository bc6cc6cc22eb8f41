/*
 * fuzz_serve_config.c - libFuzzer target: the service lines of `sockipc
 * serve` from arbitrary text, as -e lines (one per input line) and as an
 * -f file, through the shell-like splitter, then the start-up check of
 * every line (URL, service, argument count, kind, model).  Errors are
 * fine; a crash, a leak or an error without a reason is not.  The first
 * input byte picks -e or -f and the model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "serve/config.h"
#include "serve/server.h"
#include "serve/service.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void as_lines(struct sipc_serve_config *cfg, const char *text, size_t size)
{
	char why[SIPC_WHY_MAX];
	char *copy = malloc(size + 1), *line, *save = NULL;

	if (copy == NULL)
		return;
	memcpy(copy, text, size);
	copy[size] = '\0';
	for (line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		why[0] = '\0';
		if (sipc__serve_config_add_text(cfg, "-e 'fuzz'", line, why, sizeof(why)) < 0 &&
		    why[0] == '\0') {
			fprintf(stderr, "a refused -e line without a reason: [%s]\n", line);
			abort();
		}
	}
	free(copy);
}

static void as_file(struct sipc_serve_config *cfg, const char *text, size_t size)
{
	char why[SIPC_WHY_MAX] = "", path[64];
	int fd = memfd_create("sipc-fuzz", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	if (size > 0 && write(fd, text, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (sipc__serve_config_add_file(cfg, path, why, sizeof(why)) < 0 && why[0] == '\0') {
		fprintf(stderr, "a refused -f file without a reason\n");
		abort();
	}
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned models[] = {SIPC__MODEL_EVENT, SIPC__MODEL_THREAD, SIPC__MODEL_FORK};
	struct sipc_serve_config cfg;
	char why[SIPC_WHY_MAX] = "";

	if (size < 1 || size > 16384)
		return -1;
	sipc__serve_config_init(&cfg);
	cfg.model = models[(data[0] >> 1) % 3];
	if (data[0] & 1)
		as_file(&cfg, (const char *)data + 1, size - 1);
	else
		as_lines(&cfg, (const char *)data + 1, size - 1);
	/* finish refuses what only the whole configuration shows ('group'
	 * without 'user', --accept-proxy on a kind without it): with a
	 * reason, always. */
	if (sipc__serve_config_finish(&cfg, why, sizeof(why)) < 0) {
		if (why[0] == '\0') {
			fprintf(stderr, "finish refused without a reason\n");
			abort();
		}
		sipc__serve_config_free(&cfg);
		return 0;
	}
	if (sipc__server_check(&cfg, why, sizeof(why)) < 0 && why[0] == '\0') {
		fprintf(stderr, "a refused configuration without a reason\n");
		abort();
	}
	/* --check's printing of whatever was read, blocks included. */
	FILE *null = fopen("/dev/null", "w");
	if (null != NULL) {
		sipc__serve_config_print(&cfg, null);
		fclose(null);
	}
	sipc__serve_config_free(&cfg);
	return 0;
}
