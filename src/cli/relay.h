/*
 * relay.h - the loop that moves data between stdin/stdout and one
 * connected endpoint, in both directions at once, for connect and listen.
 */
#ifndef SIPC_CLI_RELAY_H
#define SIPC_CLI_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sockipc.h"

/* Bytes buffered per direction when bytes are copied through memory. */
#define SIPC_RELAY_BUF (256 * 1024)
/* The size asked of a splice pipe (1 MiB is Linux's default
 * pipe-max-size); SIPC_RELAY_BUF when the kernel refuses it.  A tcp
 * socket's pipe is smaller (relay.c says why). */
#define SIPC_RELAY_PIPE     (1024 * 1024)
#define SIPC_RELAY_PIPE_TCP (64 * 1024)

enum sipc_relay_mode {
	SIPC_RELAY_BYTES,  /* a stream: bytes both ways, as netcat */
	SIPC_RELAY_DGRAM,  /* a datagram endpoint: each line of stdin (each
			      read of up to CHUNK bytes with --chunk) is one
			      datagram; each datagram received goes to stdout
			      as it is */
	SIPC_RELAY_FRAMED, /* messages: each line of stdin, without its
			      newline, is one message (a frame on streams, a
			      datagram otherwise); each message received is
			      printed followed by a newline */
};

struct sipc_relay_cfg {
	const char *cmd; /* "connect" or "listen", for messages */
	const char *url; /* as the user wrote it, for messages */
	enum sipc_relay_mode mode;
	bool crlf;       /* send "\r\n" for each "\n" read from stdin */
	size_t chunk;    /* SIPC_RELAY_DGRAM: 0 = one datagram per line */
	int idle_ms;     /* end after this long without traffic; -1 never */
	int linger_ms;   /* connectionless endpoints, once stdin has ended:
			    end after this long without a datagram; -1 never */
	bool send_stdin; /* false: stdin is not read (an unnamed unixgram
			    peer cannot be answered, --recv-only) */
	bool no_recv;    /* --send-only: the socket is never read; the relay
			    ends once the end of stdin is passed on */
	/* connect --urgent-on-quit: NULL, or what to send as urgent data
	 * when a descriptor becomes readable. */
	const struct sipc_relay_urgent *urgent;
};

/* Each byte that can be read from FD (a signal's self-pipe) sends BYTE as
 * urgent data on a tcp endpoint. */
struct sipc_relay_urgent {
	int fd;
	uint8_t byte;
};

/* What outlives one peer (listen --keep-open relays several in turn). */
struct sipc_relay_io {
	int in_fd, out_fd;
	int stop_fd;   /* readable: end now (listen's SIGINT/SIGTERM signalfd);
			  -1 none */
	bool stopped;  /* the relay ended because stop_fd became readable */
	bool in_eof;   /* stdin has ended: later peers get end of stream at once */
	bool out_gone; /* stdout's reader went away: stop, quietly, status 0 */
	bool program;  /* in_fd and out_fd are a program's stdout and stdin
			  pipes (connect -e): the socket's end of stream
			  closes out_fd, so the program reads end of file,
			  and a program that stops reading ends only the
			  socket -> program direction */
};

/*
 * On tcp endpoints urgent data is taken out of band as it comes (POLLPRI,
 * and before any read at the mark, where a read would lose it) and each
 * byte reported on stderr by sipc_cli_urgent_report; the normal bytes keep
 * their order around the mark.
 *
 * Relays between IO and EP until both directions have ended (end of stdin
 * passed on as a shutdown of EP's write side; end of stream from EP), the
 * idle or linger time runs out, or stdout goes away.  Returns
 * SIPC_EXIT_OK, or SIPC_EXIT_FAIL after printing
 * "sockipc: CMD URL: reason" (reset, refused, ...).  Does not close EP.
 * Sets io->out_gone when stdout was closed (a quiet end with status 0),
 * io->stopped when io->stop_fd became readable (status 0, data in flight
 * dropped: the caller is about to exit on a signal).
 */
int sipc_relay_run(const struct sipc_relay_cfg *cfg, sipc_endpoint *ep, struct sipc_relay_io *io);

/*
 * --hex: writes N bytes at P as hex and ASCII lines on OUT:
 * "sockipc: hex: > 00000000  68 69 0a ...  |hi.|", DIR ('>' sent,
 * '<' received) and OFFSET (bytes of that direction before P) leading.
 */
void sipc_hexdump(FILE *out, char dir, uint64_t offset, const void *p, size_t n);
/* The same with WHO (serve: "echo conn=3 peer=URL") before DIR; NULL: none. */
void sipc_hexdump_from(FILE *out, const char *who, char dir, uint64_t offset, const void *p,
		       size_t n);

#endif /* SIPC_CLI_RELAY_H */
