/*
 * why.h - the detail sentence that goes with an error code: a caller's WHY
 * buffer (URL parsing, the TLS setters) is filled the same way everywhere.
 */
#ifndef SIPC_WHY_H
#define SIPC_WHY_H

#include <stddef.h>

/* Formats into WHY (WHYLEN bytes, NUL included, cut to fit); does nothing
 * when WHY is NULL or WHYLEN 0. */
void sipc__why_set(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* SIPC_WHY_H */
