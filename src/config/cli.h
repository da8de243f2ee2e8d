/* The command line: the argp table and its parser, filling struct tp_options.
 * The options are read-only once parsing is done; every thread may read them. */
#ifndef TP_CLI_H
#define TP_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include "enums.h"
#include "modem_line.h"
#include "seal.h"

struct tp_options {
	char **inputs;              /* INPUT operands; {"-"} when none were given */
	int n_inputs;
	const char *outputs[TP_MAX_OUTPUTS]; /* -o, each; {"-"} (standard output) when none */
	unsigned n_outputs;
	bool append;                /* --append */
	uint64_t buffer_size;       /* -B: total ring memory */
	uint64_t chunk_size;        /* -C, rounded up to whole pages: 0 = auto */
	unsigned write_above;       /* --write-above: percent of the ring (mbuffer's -P); 0 */
	unsigned read_below;        /* --read-below: percent of the ring (mbuffer's -p); 100 */
	uint64_t size;              /* -s: expected total, 0 = unknown (unless size_set) */
	bool size_set;              /* -s was given (-S -s 0 stops at once) */
	bool stop_at_size;          /* -S */
	const char *name;           /* -N */
	enum tp_engine_kind engine; /* --engine */
	uint64_t rate_limit;        /* -L: bytes per second, 0 = unlimited */
	uint64_t burst;             /* --burst: 0 = chosen from the rate */
	enum tp_show progress;      /* -f / -q: progress line on stderr */
	bool numeric;               /* -n: pv's numeric lines instead */
	unsigned display;           /* pv's display letters (enum tp_display); 0: tpipe's line */
	unsigned last_written;      /* -A N: the last N bytes written are shown */
	const char *format;         /* --format, NULL: from the letters */
	bool bits;                  /* -8: amounts in bits */
	bool si;                    /* -k: powers of 1000, not 1024 */
	unsigned width, height;     /* -w, -H: 0 = the terminal's */
	bool cursor;                /* -c: keep a line of its own among several tpipes */
	bool wait_first;            /* -W: show nothing until the first byte */
	uint64_t delay_start_ns;    /* --delay-start: show nothing for this long */
	bool line_mode;             /* -l: count lines, not bytes (-s, -S, -L in lines) */
	bool null_lines;            /* -0: lines end in NUL (implies -l) */
	unsigned skip_errors;       /* -E: how many times given (2: one message per input) */
	const char *pidfile;        /* -P */
	int remote_pid;             /* -R: change that tpipe's settings; 0 = none */
	int query_pid;              /* -Q: show that tpipe's progress; 0 = none */
	struct tp_watch_arg {       /* -d PID[:FD]: fd -1 = all of its files */
		int pid;
		int fd;
	} watch[TP_MAX_WATCH];
	int n_watch;
	uint64_t interval_ns;       /* -i */
	bool interval_set;          /* -i was given (for -R) */
	enum tp_stats_format stats; /* --stats */
	bool explain;               /* --explain */
	bool frame;                 /* -F: encode the output as CRC-checked frames */
	bool deframe;               /* -D: the input is framed: verify, emit only verified data */
	uint64_t frame_size;        /* --frame-size: payload per frame / datagram; 0 = auto */
	unsigned repeat;            /* --repeat: extra copies of every frame */
	unsigned fec_k, fec_m;      /* --fec K+M: 0 = none (it implies -F) */
	unsigned fec_depth;         /* --fec-depth: groups interleaved; 0 = chosen (tune.c) */
	const char *key_file;       /* --key-file: seal every frame under the key in it */
	enum tp_cipher cipher;      /* --cipher: what the sender seals with */
	bool cipher_set;
	const char *peer;           /* --peer: a udp:// input takes this sender's datagrams only */
	enum tp_gap_policy on_gap;  /* --on-gap */
	uint64_t idle_timeout_ns;   /* --idle-timeout: 0 = none */
	uint64_t stall_timeout_ns;  /* --stall-timeout: 0 = none */
	bool idle_timeout_set;      /* --idle-timeout was given (0: no default quiet for -D) */
	uint64_t drain_timeout_ns;  /* --drain-timeout: after SIGINT/SIGTERM, how long what is
	                             * buffered may take to go out */
	uint64_t connect_timeout_ns; /* --connect-timeout: -o tcp:// retries a refused connect */
	bool rate_set;              /* -L was given (-L 0: unpaced even on a serial line) */
	unsigned baud;              /* --baud: 0 = keep the line's */
	int flow;                   /* --flow: enum tp_flow */
	bool flow_set;
	enum tp_modem_protocol protocol; /* --protocol: send or receive files with it */
	bool protocol_set;
};

/* The largest UDP payload (65535 - 8 - 20), and so the largest datagram tpipe sends. */
#define TP_UDP_MAX_PAYLOAD 65507u

#define TP_DEFAULT_BUFFER_SIZE (16u << 20)
#define TP_AUTO_CHUNK_SIZE (1u << 20)   /* the auto chunk size's upper bound */
#define TP_MAX_DEPTH (1u << 20)          /* most chunks in a ring */
#define TP_DEFAULT_INTERVAL_NS 1000000000ull
#define TP_DEFAULT_DRAIN_TIMEOUT_NS 5000000000ull
#define TP_DEFAULT_CONNECT_TIMEOUT_NS 10000000000ull

/* Parses argv into opts. Usage errors print one line and exit with status 2 (argp's way);
 * --help and --version print and exit 0. */
void tp_cli_parse(int argc, char **argv, struct tp_options *opts);

#endif
