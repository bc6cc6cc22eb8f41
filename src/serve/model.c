/*
 * model.c - the list of concurrency models (model.h), looked up by name
 * (--model) or by bit (cfg->model) once at start.
 */
#include <stdio.h>
#include <string.h>

#include "serve/model.h"

/* Defined one in each model file; named nowhere but here. */
extern const struct sipc__model_ops sipc__model_event;
extern const struct sipc__model_ops sipc__model_thread;
extern const struct sipc__model_ops sipc__model_fork;

const struct sipc__model_ops *const sipc__models[] = {
	&sipc__model_event,
	&sipc__model_thread,
	&sipc__model_fork,
	NULL,
};

const struct sipc__model_ops *sipc__model_find(const char *name)
{
	for (size_t i = 0; name != NULL && sipc__models[i] != NULL; i++)
		if (strcmp(sipc__models[i]->name, name) == 0)
			return sipc__models[i];
	return NULL;
}

const struct sipc__model_ops *sipc__model_of(unsigned bit)
{
	for (size_t i = 0; sipc__models[i] != NULL; i++)
		if (sipc__models[i]->bit == bit)
			return sipc__models[i];
	return NULL;
}

const char *sipc__model_names(char *buf, size_t len)
{
	size_t n = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; sipc__models[i] != NULL; i++) {
		const char *sep = i == 0 ? "" : sipc__models[i + 1] == NULL ? " or " : ", ";
		int k = snprintf(buf + n, len - n, "%s%s", sep, sipc__models[i]->name);
		if (k < 0 || (size_t)k >= len - n) {
			buf[n] = '\0'; /* whole names only */
			break;
		}
		n += (size_t)k;
	}
	return buf;
}
