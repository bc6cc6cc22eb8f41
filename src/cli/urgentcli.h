/*
 * urgentcli.h - urgent (out-of-band) data on the command line: the BYTE of
 * `send --urgent` and `connect --urgent-on-quit`, the line that reports a
 * received urgent byte, and the signal that asks connect's relay to send
 * one.  The socket calls themselves are the library's (sipc_urgent_*).
 */
#ifndef SIPC_CLI_URGENT_H
#define SIPC_CLI_URGENT_H

#include <stdint.h>

#include "cli/opt.h"
#include "sockipc.h"

/*
 * The SIPC__OPT_FUNC parser of a BYTE option; DEST is an int, -1 until
 * given, then 0-255.  BYTE is one character as it is (`A`, `5`, `!`), 0xNN
 * in hex (`0x41`, `0x0`), or a decimal number of two or more digits
 * (`65`, `07`, `255`): a single digit is the character, so `5` is 0x35.
 */
int sipc_cli_urgent_opt(void *dest, const char *value, char *why, size_t whylen);

/* 0 when URL scheme SC carries urgent data (tcp, tcp4, tcp6); otherwise
 * says why not for OPTION of CMD and returns SIPC_EXIT_USAGE. */
int sipc_cli_urgent_check(const char *cmd, const char *option, sipc_scheme sc);

/* "sockipc: urgent: 0x41 'A'" (a byte that is not printable ASCII only in
 * hex) on stderr: never stdout, which carries the stream. */
void sipc_cli_urgent_report(uint8_t byte);

/* Catching SIGQUIT for connect --urgent-on-quit: sipc_cli_urgent_catch_quit
 * of plat.h. */

#endif /* SIPC_CLI_URGENT_H */
