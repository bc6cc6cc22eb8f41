/*
 * config.h - what `sockipc serve` was asked to do: the service lines
 * (`URL SERVICE [ARGS...]` from the arguments, -e LINE or -f FILE, or the
 * built-in default) and the limits that apply to all of them.  Filled at
 * start-up by src/cli/serve.c, read-only once the server runs.
 */
#ifndef SIPC_SERVE_CONFIG_H
#define SIPC_SERVE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "serve/acl.h"
#include "serve/guard.h"
#include "serve/svcconf.h"
#include "sockipc.h"

/* One service line, split into words: argv[0] URL, argv[1] SERVICE, then
 * the service's arguments.  ORIGIN names where it came from for errors:
 * "FILE:LINE", "-e 'TEXT'", "arguments" or "default".  A block of a file
 * with several `listen` URLs gives one line per URL, sharing its conf. */
struct sipc_serve_line {
	char *origin;
	char **argv; /* NULL-terminated; owned */
	int argc;
	/* The service's attributes (svcconf.h), complete once
	 * sipc__serve_config_finish has run; owned by the config. */
	struct sipc_svc_conf *conf;
};

/* Defaults of the options. */
#define SIPC_SERVE_MAX_MSG_DEFAULT ((size_t)65536)
/* Datagrams per recvmmsg of a datagram endpoint (--max-batch). */
#define SIPC_SERVE_MAX_BATCH_DEFAULT 32
#define SIPC_SERVE_DRAIN_MS_DEFAULT  5000

/* --hex: shown each connection's bytes as read ('<') and written ('>'),
 * and each datagram served and its replies; WHO names the service and the
 * peer (and the connection, so two from one peer can be told apart);
 * OFFSET counts that direction's bytes before P.  Called from any worker
 * thread or forked child. */
typedef void sipc__serve_hex_fn(const char *who, char dir, uint64_t offset, const void *p,
				size_t n);

/* Bounds of a -f FILE: a line (without its newline), the lines and the
 * bytes of the whole file.  A service line is a URL, a service and a few
 * arguments; a file beyond these is a mistake (`-f /dev/zero`), not a
 * configuration, and must fail at once rather than fill the memory. */
#define SIPC_SERVE_LINE_MAX       4096
#define SIPC_SERVE_FILE_LINES_MAX 100000
#define SIPC_SERVE_FILE_MAX       (4 * 1024 * 1024)

/*
 * Under the supervisor (supervisor.h) the server runs as a generation, a
 * process forked to serve on sockets the supervisor bound: it binds
 * nothing, reports that it accepts instead of printing the listening
 * lines (the supervisor prints them, once), and takes its orders (SIGHUP
 * retire, SIGTERM drain, SIGUSR1 counters) from the supervisor alone.
 * This is the one place a generation differs from a server of its own.
 */
/* The real-time signal a supervisor's orders come by (sigqueue, the order
 * in sival_int): queued one by one, never merged. */
#define SIPC__SERVE_ORDER_SIG (SIGRTMIN + 1)

struct sipc__serve_gen {
	int ready_fd;     /* one byte written here once the workers run */
	pid_t supervisor; /* the one sender whose signals count */
};

struct sipc_serve_config {
	struct sipc_serve_line *lines;
	size_t nlines;
	size_t cap;
	unsigned model;     /* SIPC__MODEL_* (service.h) */
	int workers;        /* 0: the number of online CPUs */
	long max_conns;     /* 0: no limit */
	int idle_ms;        /* 0: no idle timeout */
	int drain_ms;       /* SIGTERM: how long open connections may finish */
	unsigned unix_mode; /* 0: leave the umask's mode */
	size_t max_msg;     /* largest datagram / seqpacket message / line */
	unsigned max_batch; /* datagrams per receive call, replies per send
			       call (--max-batch); 1: one by one, no UDP
			       GSO or GRO; 0: SIPC_SERVE_MAX_BATCH_DEFAULT */
	struct sipc_acl acl;
	struct sipc_guard guard;
	int verbosity;        /* 0 -q, 1 default, 2 -v */
	sipc_trace_fn *trace; /* --trace: given to every endpoint; NULL: off */
	void *trace_arg;
	sipc__serve_hex_fn *hex; /* --hex; NULL: off */
	/* tls:// endpoints (serve/tls.h). */
	sipc_tls_config *tls;      /* the server's side: certificate, key, client CA; owned */
	bool tls_mutual;           /* --client-ca: every client shows a certificate */
	const char *tls_client_ca; /* its file, for the start-up lines */
	char **allow_certs;        /* --allow-cert: "SHA256:HEX" (upper case) or a subject */
	size_t nallow_certs;
	int handshake_ms;                  /* --handshake-timeout */
	long max_handshakes;               /* --max-handshakes: per worker */
	const struct sipc__serve_gen *gen; /* NULL: not under a supervisor */
	/* Per-service attributes (svcconf.h).  BASE holds the global flags'
	 * values (the caller sets its fields before finishing); DEFAULTS is
	 * a file's `defaults` block, NULL if none; plain lines use DEFAULTS or
	 * else BASE.  CONFS owns them all, BASE first. */
	struct sipc_svc_conf *base;
	struct sipc_svc_conf *defaults;
	struct sipc_svc_conf **confs;
	size_t nconfs;
	bool finished;
	/* Sockets passed in (inherit.h: LISTEN_FDS, a hand-over, a reload),
	 * taken before anything is bound; NULL: none.  Not owned. */
	struct sipc__inherit *inherit;
	/* --inetd: the one endpoint is descriptor 0, given by inetd (inetd.h);
	 * no `listening` line (descriptor 1 is the client's). */
	bool inetd;
	/* Each line's banner file's bytes, read by the supervisor before
	 * the privilege drop (banner.c); NULL: read at sipc__server_new. */
	char **banners;
	size_t *banner_lens;
};

/* Zeroes CFG and sets every default (no lines yet).  Out of memory leaves
 * cfg->base NULL, which sipc__serve_config_finish reports. */
void sipc__serve_config_init(struct sipc_serve_config *cfg);
/* Adds CONF to the ones CFG owns and frees.  0, or -1 (out of memory). */
int sipc__serve_config_own(struct sipc_serve_config *cfg, struct sipc_svc_conf *conf);
/* After every flag, line and file was read: fills each service's conf
 * from the `defaults` block and the flags (cfg->idle_ms and cfg->max_msg
 * too), and points the plain lines at theirs.  0, or -1 with WHY. */
int sipc__serve_config_finish(struct sipc_serve_config *cfg, char *why, size_t whylen);
/* `serve --check`: the effective configuration, one block per service
 * (defaults filled in), in the syntax a file is read in. */
void sipc__serve_config_print(const struct sipc_serve_config *cfg, FILE *f);
void sipc__serve_config_free(struct sipc_serve_config *cfg);

/*
 * Splits TEXT into words the way a shell would, without expansions:
 * blanks separate words; 'single quotes' keep everything literally;
 * "double quotes" keep blanks and take \" \\ as escapes; a backslash
 * outside quotes escapes the next character; '#' at the start of a word
 * begins a comment to the end.  On success *argvp (NULL-terminated, free
 * with sipc__serve_words_free) and *argcp are set; on failure (unclosed
 * quote, trailing backslash) -1 returns with WHY set.
 */
int sipc__serve_split(const char *text, char ***argvp, int *argcp, char *why, size_t whylen);
void sipc__serve_words_free(char **argv);

/* Adds a line of words (copied).  0, or -1 with WHY (out of memory). */
int sipc__serve_config_add_words(struct sipc_serve_config *cfg, const char *origin,
				 char *const *argv, int argc, char *why, size_t whylen);
/* Splits TEXT and adds it; a blank or comment-only line adds nothing.
 * Errors name ORIGIN: "-e 'tcp://x': unclosed quote". */
int sipc__serve_config_add_text(struct sipc_serve_config *cfg, const char *origin, const char *text,
				char *why, size_t whylen);
/* Reads PATH: service lines, one per line, and blocks (`defaults { }`,
 * `service NAME { key = value ... }`, see svcconf.h); errors say
 * "PATH:LINE: ..." (and name the attribute);
 * a line longer than SIPC_SERVE_LINE_MAX, a NUL byte, a file beyond
 * SIPC_SERVE_FILE_LINES_MAX lines or SIPC_SERVE_FILE_MAX bytes. */
int sipc__serve_config_add_file(struct sipc_serve_config *cfg, const char *path, char *why,
				size_t whylen);
/* True when LINE's arguments hold what looks like a second line: a URL
 * with a scheme followed by a service name (`URL echo URL echo` typed as
 * positional arguments), so a usage error can suggest -e. */
bool sipc__serve_line_looks_double(const struct sipc_serve_line *line);
/* The default run of DESIGN.md: echo, discard, daytime, chargen and time on
 * TCP and UDP at 127.0.0.1:7007/7009/7013/7019/7037, echo on
 * unix://@sockipc/echo. */
int sipc__serve_config_add_defaults(struct sipc_serve_config *cfg, char *why, size_t whylen);

#endif /* SIPC_SERVE_CONFIG_H */
