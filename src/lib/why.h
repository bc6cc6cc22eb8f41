/*
 * why.h - the detail sentence that goes with an error code: a caller's WHY
 * buffer (URL parsing, the TLS setters) is filled the same way everywhere.
 */
#ifndef SIPC_WHY_H
#define SIPC_WHY_H

#include <stddef.h>
#include <stdio.h> /* mingw-w64's __MINGW_PRINTF_FORMAT */

/* printf-style checking of a format argument.  mingw-w64 builds with its
 * own C99 printf (__USE_MINGW_ANSI_STDIO), whose archetype is gnu_printf:
 * "printf" there means msvcrt's, which knows no %zu. */
#if defined(__MINGW_PRINTF_FORMAT)
#define SIPC__PRINTF(f, a) __attribute__((format(__MINGW_PRINTF_FORMAT, f, a)))
#elif defined(__GNUC__)
#define SIPC__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SIPC__PRINTF(f, a)
#endif

/* Formats into WHY (WHYLEN bytes, NUL included, cut to fit); does nothing
 * when WHY is NULL or WHYLEN 0. */
void sipc__why_set(char *why, size_t whylen, const char *fmt, ...) SIPC__PRINTF(3, 4);

#endif /* SIPC_WHY_H */
