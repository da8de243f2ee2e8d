#include "config.h"
#include "cli.h"

#include <argp.h>
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fec.h"
#include "frame.h"
#include "parse.h"
#include "seal.h"
#include "serial.h"

const char *argp_program_version = PACKAGE_STRING;

enum {
	OPT_APPEND = 0x100,
	OPT_ENGINE,
	OPT_BURST,
	OPT_STATS,
	OPT_EXPLAIN,
	OPT_FRAME_SIZE,
	OPT_REPEAT,
	OPT_FEC,
	OPT_FEC_DEPTH,
	OPT_ON_GAP,
	OPT_IDLE_TIMEOUT,
	OPT_STALL_TIMEOUT,
	OPT_BAUD,
	OPT_FLOW,
	OPT_DRAIN_TIMEOUT,
	OPT_FORMAT,
	OPT_DELAY_START,
	OPT_WRITE_ABOVE,
	OPT_READ_BELOW,
	OPT_CONNECT_TIMEOUT,
	OPT_KEY_FILE,
	OPT_PEER,
	OPT_CIPHER,
	OPT_PROTOCOL,
};

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Input and output:", 1 },
	{ "output", 'o', "DEST", 0, "write to DEST: - (standard output, the default), a file, udp://HOST:PORT, tcp://HOST:PORT (connects), or a serial line (a terminal device, or serial:PATH); up to 16 times: every output gets every byte, the slowest sets the pace", 1 },
	{ "connect-timeout", OPT_CONNECT_TIMEOUT, "SEC", 0, "how long -o tcp:// tries again (every 100 ms) while the connection is refused (default 10; 0: one try)", 1 },
	{ "append", OPT_APPEND, NULL, 0, "append to the output file instead of truncating it", 1 },
	{ "size", 's', "SIZE", 0, "expected total size (for percentages; default: sizes of input files; with -l, lines)", 1 },
	{ "stop-at-size", 'S', NULL, 0, "stop after --size bytes (with -l: just after the --size'th line)", 1 },

	{ NULL, 0, NULL, 0, "Buffering:", 2 },
	{ "buffer-size", 'B', "SIZE", 0, "total memory of the ring (default 16M)", 2 },
	{ "chunk-size", 'C', "SIZE|auto", 0, "size of each ring chunk (default auto: 1M unpaced, about 4 ms of output when paced; at most a quarter of the ring)", 2 },
	{ "write-above", OPT_WRITE_ABOVE, "PERCENT", 0, "start writing only once PERCENT of the ring is full, and again each time it ran empty before the input's end, for long runs (mbuffer's -P; default 0: at once); the progress line says 'filling' meanwhile", 2 },
	{ "read-below", OPT_READ_BELOW, "PERCENT", 0, "once the ring is full, read again only when it has drained below PERCENT (mbuffer's -p; default 100: as soon as a chunk is free); the progress line says 'draining' meanwhile", 2 },
	{ "engine", OPT_ENGINE, "auto|splice|uring|write", 0, "writer engine; auto splices through a ring of pipes when the output is a pipe (with several outputs: none udp:// or a terminal, each teeing the pipes) and the bytes need no touching, else uses io_uring and falls back to write() (default auto)", 2 },

	{ NULL, 0, NULL, 0, "Pacing:", 3 },
	{ "stall-timeout", OPT_STALL_TIMEOUT, "SEC", 0, "an output that takes nothing for SEC while data waits for it is named and dropped (status 1; the other outputs go on; default 0: never)", 1 },
	{ "idle-timeout", OPT_IDLE_TIMEOUT, "SEC", 0, "an input that may wait (udp://, tcp://, a pipe, a serial line) ends after SEC without data (with -D, udp:// and serial lines: 10 s by default once data has come; 0: never)", 1 },

	{ "drain-timeout", OPT_DRAIN_TIMEOUT, "SEC", 0, "after SIGINT or SIGTERM, write out what is buffered for at most SEC (default 5; 0: not at all), then say how much was not written", 1 },
	{ "baud", OPT_BAUD, "N", 0, "a serial line's rate (raw 8N1; any rate the device takes; default: keep its own)", 1 },
	{ "flow", OPT_FLOW, "none|rtscts|xonxoff", 0, "a serial line's flow control (default none)", 1 },
	{ "protocol", OPT_PROTOCOL, "xmodem|xmodem-1k|ymodem|ymodem-g", 0, "send the INPUT files over the serial line -o names, or receive from the serial line INPUT names into -o (a directory for YMODEM: block 0 names the files, which stay in it), with that file-transfer protocol, as U-Boot's loadx/loady and lrzsz speak it; with no serial line, over standard input and output (as sb and rb); --idle-timeout: how long to wait for the far end (default 60 s)", 1 },

	{ NULL, 0, NULL, 0, "Frames (CRC-checked, for links that lose or garble data):", 5 },
	{ "frame", 'F', NULL, 0, "encode the output as CRC-32C-checked frames", 5 },
	{ "deframe", 'D', NULL, 0, "the input is framed: verify every frame, drop duplicates, report loss, write only verified data", 5 },
	{ "frame-size", OPT_FRAME_SIZE, "SIZE", 0, "payload bytes per frame or datagram (default: 1444 framed / 1472 raw on udp://, 64 to 1K from the baud rate on a serial line, 64K on other streams)", 5 },
	{ "repeat", OPT_REPEAT, "N", 0, "send every frame N more times, interleaved (default 0, at most 15)", 5 },
	{ "fec", OPT_FEC, "K+M", 0, "erasure code (implies -F): after every K data frames, M parity frames, so that any K of the K+M rebuild them (K + M at most 256; -D needs no option)", 5 },
	{ "fec-depth", OPT_FEC_DEPTH, "D", 0, "--fec: interleave D groups, so a burst of loss takes at most a few frames of each (default: from the frame size and rate, at most 8)", 5 },
	{ "key-file", OPT_KEY_FILE, "FILE", 0, "seal every frame with authenticated encryption (XChaCha20-Poly1305, or see --cipher) under the 32-byte key in FILE (raw, or 64 hex digits; readable by you alone), at both ends: -D then takes only frames sealed under it (implies -F on the sender)", 5 },
	{ "cipher", OPT_CIPHER, "NAME", 0, "with --key-file, the sender's cipher: xchacha20-poly1305 (the default; any receiver opens it) or aes-256-gcm (a receiver needs AES-NI); a receiver opens both", 5 },
	{ "peer", OPT_PEER, "HOST[:PORT]", 0, "a udp:// input takes datagrams from that sender only (the kernel drops the rest)", 5 },
	{ "on-gap", OPT_ON_GAP, "stop|skip|zero", 0, "when data is missing for good: stop there (default), skip it, or write zeros in its place; exit status 3 in every case", 5 },

	{ "rate-limit", 'L', "RATE", 0, "pace the output to RATE, smoothly (with -l, lines per second; 0 = unlimited)", 3 },
	{ "burst", OPT_BURST, "SIZE", 0, "largest burst the pacer sends at once on schedule (default: about 1.2 ms of the rate, at least a page, or a line with -l; catching up, a send may fill the window); no 1 ms window gets more than 1.25 times the rate (1.5 while a debt over 5 ms is not shrinking)", 3 },

	{ NULL, 0, NULL, 0, "Progress and statistics (on standard error; the letters are pv's):", 4 },
	{ "progress", 'p', NULL, 0, "show a progress bar", 4 },
	{ "timer", 't', NULL, 0, "show the elapsed time", 4 },
	{ "eta", 'e', NULL, 0, "show the time left (ETA)", 4 },
	{ "fineta", 'I', NULL, 0, "show the local time the transfer will end (FIN)", 4 },
	{ "rate", 'r', NULL, 0, "show the current rate", 4 },
	{ "average-rate", 'a', NULL, 0, "show the average rate", 4 },
	{ "bytes", 'b', NULL, 0, "show the amount written", 4 },
	{ "buffer-percent", 'T', NULL, 0, "show how full the ring is", 4 },
	{ "last-written", 'A', "N", 0, "show the last N bytes written (1-256)", 4 },
	{ NULL, 0, NULL, OPTION_DOC, "None of these letters given: tpipe's own line (amount, time, rate, average, ring fill, and with a known size a bar, percentage and ETA).", 4 },
	{ "format", OPT_FORMAT, "FORMAT", 0, "the line as pv's --format: %p %t %e %I %r %a %b %T %nA %N %L %% and %{name} (see the man page)", 4 },
	{ "numeric", 'n', NULL, 0, "as pv: one integer percentage a line, after the seconds with -t; with -b (or no size known) the amount instead", 4 },
	{ "bits", '8', NULL, 0, "amounts and rates in bits", 4 },
	{ "si", 'k', NULL, 0, "units of 1000, not 1024", 4 },
	{ "force", 'f', NULL, 0, "show progress even when standard error is not a terminal", 4 },
	{ "quiet", 'q', NULL, 0, "no progress line", 4 },
	{ "cursor", 'c', NULL, 0, "each of several tpipes in a pipeline keeps a line of its own (cursor positioning)", 4 },
	{ "width", 'w', "N", 0, "assume the terminal is N columns wide", 4 },
	{ "height", 'H', "N", 0, "assume the terminal is N rows high", 4 },
	{ "wait", 'W', NULL, 0, "show nothing until the first byte is written", 4 },
	{ "delay-start", OPT_DELAY_START, "SEC", 0, "show nothing for the first SEC (pv's -D)", 4 },
	{ "interval", 'i', "SEC", 0, "progress and statistics interval (default 1)", 4 },
	{ "name", 'N', "NAME", 0, "prefix progress, status lines and messages with NAME", 4 },
	{ "line-mode", 'l', NULL, 0, "count lines (as wc -l), not bytes: progress, -s, -S, -L and --burst are in lines", 4 },
	{ "null", '0', NULL, 0, "lines end in NUL, not newline (implies -l)", 4 },
	{ "stats", OPT_STATS, "text|json", OPTION_ARG_OPTIONAL, "print final statistics (default text)", 4 },
	{ "explain", OPT_EXPLAIN, NULL, 0, "say which engine, chunk size, ring depth, rate, burst, frame size and META interval were chosen, and why", 4 },

	{ NULL, 0, NULL, 0, "Other processes:", 6 },
	{ "remote", 'R', "PID", 0, "change a running tpipe's -L (0: unlimited), -s, -N, -i, display letters or --format to the ones given here (your own tpipe, or any as root)", 6 },
	{ "query", 'Q', "PID", 0, "show a running tpipe's progress here, every -i, with the letters, --format or -n given here, until it ends", 6 },
	{ "watchfd", 'd', "PID[:FD]", 0, "show the progress of process PID through its open files (or its file FD), until it closes them; may be given several times", 6 },
	{ "pidfile", 'P', "FILE", 0, "write tpipe's process ID to FILE, removed at exit", 6 },

	{ "skip-errors", 'E', NULL, 0, "a read error in a file or block device skips past the bad part and writes zeros in its place; each skip said (-EE: an input's first, then a total)", 1 },

	{ NULL, 0, NULL, 0, "Informational:", -1 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "give this help list", -1 },
	{ 0 }
};

static const char doc[] =
	"tpipe -- move a stream from INPUTs (default: standard input) to an output through a "
	"ring of buffers, written out by a separate thread with io_uring."
	"\v"
	"SIZE is a number with an optional suffix: K M G T (powers of 1024) or kB MB GB TB "
	"(powers of 1000). RATE is a SIZE per second, or kbit Mbit Gbit (bits per second, "
	"powers of 1000), optionally followed by /s. SEC is seconds, or a number with ms, s or m.\n\n"
	"Several INPUTs are read in order, like cat; - is standard input.\n\n"
	"Progress is shown when standard error is a terminal (and tpipe is in the foreground).\n\n"
	"Signals: SIGUSR1 prints a status line on standard error. SIGINT or SIGTERM stop reading, "
	"write out what is buffered (for --drain-timeout at most) and exit (130 or 143); a second "
	"one exits at once.\n\n"
	"A serial line (a terminal device's path, or serial:PATH) is used raw, 8N1, exclusively, "
	"and paced to its baud rate unless -L says otherwise; its settings are restored at the "
	"end.\n\n"
	"An INPUT or output udp://HOST:PORT sends or receives datagrams (IPv6 in brackets); an "
	"input udp://:PORT listens on every local address.\n\n"
	"An INPUT tcp://[ADDR]:PORT listens there (tcp://:PORT on every address, IPv6 and IPv4), "
	"takes one connection and reads it to its end; -o tcp://HOST:PORT connects there. "
	"A peer that resets or goes away is an error (status 1).\n\n"
	"With several -o, an output that fails (cannot be opened, a full disk, a closed pipe, a "
	"stall under --stall-timeout) is named and dropped, and the others go on to the end.\n\n"
	"Exit status: 0 done, 1 an I/O or runtime error (a read error skipped by -E too; an output "
	"dropped among several), 2 a usage error, 3 the receiver (-D) lost "
	"or could not verify data, 130/143 interrupted, "
	"141 the reader of the (single) output, a pipe, went away; a tcp:// receiver that went away is 1.";

static void fail_value(struct argp_state *state, const char *opt, const char *arg, int err,
		       const char *what)
{
	argp_failure(state, 2, 0, "%s: '%s' %s", opt, arg,
		     err == -ERANGE ? "is too large" : what);
}

static uint64_t size_arg(struct argp_state *state, const char *opt, const char *arg)
{
	uint64_t v = 0;
	int err = tp_parse_size(arg, &v);

	if (err)
		fail_value(state, opt, arg, err, "is not a size (e.g. 4096, 64K, 16M, 1G, 500kB)");
	return v;
}

static uint64_t rate_arg(struct argp_state *state, const char *arg)
{
	uint64_t v = 0;
	int err = tp_parse_rate(arg, &v);

	if (err)
		fail_value(state, "--rate-limit", arg, err, "is not a rate (e.g. 500K, 20MB/s, 100Mbit)");
	return v;
}

static uint64_t page_size(void)
{
	long page = sysconf(_SC_PAGESIZE);

	return page > 0 ? (uint64_t)page : 4096;
}

/* Set by --on-gap, which only means something with -D. */
static bool on_gap_set;

/* A tcp:// endpoint that does not parse is a usage error too. */
static bool tcp_endpoint(struct argp_state *state, const char *text, bool input)
{
	char host[256];
	unsigned port;
	int rc = tp_parse_tcp_endpoint(text, host, sizeof(host), &port);

	if (rc < 0)
		argp_failure(state, 2, 0, "%s: not tcp://%s:PORT (PORT 0-65535; an IPv6 address in brackets)",
			     text, input ? "[ADDR]" : "HOST");
	else if (rc > 0 && !input && (!host[0] || port == 0))
		argp_failure(state, 2, 0, "%s: an output needs a host and a port other than 0", text);
	return rc > 0;
}

/* A udp:// endpoint that does not parse is a usage error, not a file name. */
static bool udp_endpoint(struct argp_state *state, const char *text, bool input)
{
	char host[256];
	unsigned port;
	int rc = tp_parse_udp_endpoint(text, host, sizeof(host), &port);

	if (rc < 0)
		argp_failure(state, 2, 0, "%s: not udp://%s:PORT (PORT 0-65535; an IPv6 address in brackets)",
			     text, input ? "[ADDR]" : "HOST");
	else if (rc > 0 && !input && (!host[0] || port == 0))
		argp_failure(state, 2, 0, "%s: an output needs a host and a port other than 0", text);
	return rc > 0;
}

static void check_frame_options(struct argp_state *state, const struct tp_options *o)
{
	unsigned n_udp_out = 0, n_tcp_out = 0;
	bool udp_in = false;

	for (unsigned i = 0; i < o->n_outputs; i++) {
		n_udp_out += udp_endpoint(state, o->outputs[i], false);
		n_tcp_out += tcp_endpoint(state, o->outputs[i], false);
	}
	bool udp_out = n_udp_out > 0, tcp_out = n_tcp_out > 0;

	for (int i = 0; i < o->n_inputs; i++) {
		udp_in |= udp_endpoint(state, o->inputs[i], true);
		tcp_endpoint(state, o->inputs[i], true);
	}

	/* A frame is a datagram on udp:// and COBS-stuffed in a byte stream: one ring of frames
	 * cannot be both. */
	if (o->frame && n_udp_out && n_udp_out < o->n_outputs)
		argp_failure(state, 2, 0, "-F: the outputs must be all udp:// or none (a frame is one "
			     "datagram on udp://, stuffed into the byte stream elsewhere)");
	if (o->fec_k && o->deframe)
		argp_failure(state, 2, 0, "--fec: for the sender; -D learns the code from the frames");
	if (o->fec_depth && !o->fec_k)
		argp_failure(state, 2, 0, "--fec-depth: needs --fec");
	if (o->peer && !udp_in)
		argp_failure(state, 2, 0, "--peer: needs a udp:// input");
	if (o->peer && o->n_inputs > 1)
		argp_failure(state, 2, 0, "--peer: one udp:// input at a time");
	/* Sealing adds its bytes to every frame; a parity frame covers sealed DATA frames and
	 * is sealed itself. */
	size_t sealed = o->key_file ? (o->fec_k ? 2 : 1) * TP_SEAL_OVERHEAD : 0;
	if (sealed && o->frame_size + sealed + (o->fec_k ? TP_FRAME_PARITY_EXTRA : 0) >
	    TP_FRAME_MAX_PAYLOAD)
		argp_failure(state, 2, 0, "--frame-size: with --key-file%s, at most %zu (sealing adds "
			     "%u bytes to a frame)", o->fec_k ? " and --fec" : "",
			     TP_FRAME_MAX_PAYLOAD - sealed - (o->fec_k ? TP_FRAME_PARITY_EXTRA : 0),
			     TP_SEAL_OVERHEAD);
	if (sealed && udp_out && o->frame_size + TP_FRAME_OVERHEAD + sealed +
	    (o->fec_k ? TP_FRAME_PARITY_EXTRA : 0) > TP_UDP_MAX_PAYLOAD)
		argp_failure(state, 2, 0, "--frame-size: with --key-file, a datagram holds at most %zu "
			     "bytes of payload", TP_UDP_MAX_PAYLOAD - TP_FRAME_OVERHEAD - sealed -
			     (o->fec_k ? TP_FRAME_PARITY_EXTRA : 0));
	if (o->fec_k && o->frame_size + TP_FRAME_PARITY_EXTRA > TP_FRAME_MAX_PAYLOAD)
		argp_failure(state, 2, 0, "--frame-size: with --fec, at most %u (a parity frame carries "
			     "%u bytes more)", TP_FRAME_MAX_PAYLOAD - TP_FRAME_PARITY_EXTRA,
			     TP_FRAME_PARITY_EXTRA);
	if (o->fec_k && udp_out && o->frame_size + TP_FRAME_OVERHEAD + TP_FRAME_PARITY_EXTRA >
	    TP_UDP_MAX_PAYLOAD)
		argp_failure(state, 2, 0, "--frame-size: with --fec, a datagram holds at most %u bytes "
			     "of payload (a parity frame carries %u more)",
			     TP_UDP_MAX_PAYLOAD - TP_FRAME_OVERHEAD - TP_FRAME_PARITY_EXTRA,
			     TP_FRAME_PARITY_EXTRA);
	if (o->deframe && o->frame)
		argp_failure(state, 2, 0, "-D with -F: re-framing a received stream takes two tpipes (tpipe -D | tpipe -F)");
	if (o->deframe && o->n_inputs > 1)
		argp_failure(state, 2, 0, "-D: one framed input at a time");
	if (o->repeat && !o->frame)
		argp_failure(state, 2, 0, "--repeat: needs -F (only frames can be told apart)");
	if (on_gap_set && !o->deframe)
		argp_failure(state, 2, 0, "--on-gap: needs -D");
	if (o->frame_size && !o->frame && !udp_out)
		argp_failure(state, 2, 0, "--frame-size: needs -F or a udp:// output");
	if (udp_out && o->frame_size + (o->frame ? TP_FRAME_OVERHEAD : 0) > TP_UDP_MAX_PAYLOAD)
		argp_failure(state, 2, 0, "--frame-size: a datagram holds at most %u bytes%s",
			     o->frame ? TP_UDP_MAX_PAYLOAD - TP_FRAME_OVERHEAD : TP_UDP_MAX_PAYLOAD,
			     o->frame ? " of payload" : "");
	if (udp_out && n_udp_out == o->n_outputs && o->engine != TP_ENGINE_AUTO)
		argp_failure(state, 2, 0, "--engine: a udp:// output has its own (sendmsg)");
	if (o->engine == TP_ENGINE_SPLICE && (o->frame || o->deframe || udp_in))
		argp_failure(state, 2, 0, "--engine=splice: %s", udp_in ? "a udp:// input comes in datagrams, not through splice" :
			     "-F and -D work on the bytes in memory");
	if (o->baud || o->flow_set) {
		bool serial = false;
		for (unsigned i = 0; i < o->n_outputs && !serial; i++)
			serial = tp_serial_path(o->outputs[i]) != NULL;
		for (int i = 0; i < o->n_inputs && !serial; i++)
			serial = tp_serial_path(o->inputs[i]) != NULL;
		if (!serial)
			argp_failure(state, 2, 0, "%s: no serial line among the input and output "
				     "(a terminal device, or serial:PATH)", o->baud ? "--baud" : "--flow");
	}
	if ((udp_out || tcp_out) && o->append && n_udp_out + n_tcp_out == o->n_outputs)
		argp_failure(state, 2, 0, "--append: not for a %s:// output", udp_out ? "udp" : "tcp");
}

/* A whole number from min to max, digits only as sizes are; anything else is a usage error
 * saying `what`. */
static unsigned uint_arg(struct argp_state *state, const char *opt, const char *arg,
			 unsigned min, unsigned max, const char *what)
{
	uint64_t n = 0;

	if (tp_parse_uint(arg, max, &n) != 0 || n < min)
		argp_failure(state, 2, 0, "%s: '%s' is not %s", opt, arg, what);
	return (unsigned)n;
}

/* A percentage 0..100, as a whole number with an optional '%'. */
static unsigned percent_arg(struct argp_state *state, const char *opt, const char *arg)
{
	char digits[8];
	size_t n = strlen(arg);

	if (n > 1 && arg[n - 1] == '%' && n < sizeof(digits)) {
		memcpy(digits, arg, n - 1);
		digits[n - 1] = '\0';
		uint64_t v = 0;
		if (tp_parse_uint(digits, 100, &v) == 0)
			return (unsigned)v;
	}
	return uint_arg(state, opt, arg, 0, 100, "a percentage (0-100)");
}

/* An empty name is no file: said as a usage error, before anything is opened. */
static void name_arg(struct argp_state *state, const char *what, const char *arg)
{
	if (!*arg)
		argp_failure(state, 2, 0, "%s: '' is not a file name", what);
}

static unsigned display_bit(int key)
{
	switch (key) {
	case 'p': return TP_DISPLAY_BAR;
	case 't': return TP_DISPLAY_TIMER;
	case 'e': return TP_DISPLAY_ETA;
	case 'I': return TP_DISPLAY_FINETA;
	case 'r': return TP_DISPLAY_RATE;
	case 'a': return TP_DISPLAY_AVG;
	case 'b': return TP_DISPLAY_BYTES;
	default: assert(key == 'T'); return TP_DISPLAY_BUFFER;
	}
}

/* -d PID[:FD]. */
static void watch_arg(struct argp_state *state, struct tp_options *o, const char *arg)
{
	char pid[24];
	const char *colon = strchr(arg, ':');
	size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
	uint64_t v = 0, fd = 0;

	if (o->n_watch == TP_MAX_WATCH)
		argp_failure(state, 2, 0, "--watchfd: at most %u at once", TP_MAX_WATCH);
	if (n == 0 || n >= sizeof(pid) || (memcpy(pid, arg, n), pid[n] = 0,
	    tp_parse_uint(pid, INT_MAX, &v) != 0) || v == 0 ||
	    (colon && tp_parse_uint(colon + 1, INT_MAX, &fd) != 0))
		argp_failure(state, 2, 0, "--watchfd: '%s' is not PID or PID:FD", arg);
	o->watch[o->n_watch].pid = (int)v;
	o->watch[o->n_watch].fd = colon ? (int)fd : -1;
	o->n_watch++;
}

/* -R, -Q and -d act on another process: no transfer of their own. */
static void check_modes(struct argp_state *state, const struct tp_options *o)
{
	const char *mode = o->remote_pid ? "--remote" : o->query_pid ? "--query" :
			   o->n_watch ? "--watchfd" : NULL;

	if (!mode) {
		if (o->line_mode && (o->frame || o->deframe))
			argp_failure(state, 2, 0, "--line-mode: counts the lines of a plain stream, "
				     "not with -F or -D");
		if (o->line_mode && o->engine == TP_ENGINE_SPLICE)
			argp_failure(state, 2, 0, "--engine=splice: -l counts the lines in the "
				     "bytes, which splice never brings into memory");
		return;
	}
	if (!!o->remote_pid + !!o->query_pid + !!o->n_watch > 1)
		argp_failure(state, 2, 0, "--remote, --query and --watchfd: one at a time");
	if (o->n_inputs)
		argp_failure(state, 2, 0, "%s: takes no INPUT (it watches another process)", mode);
	if (o->n_outputs || o->frame || o->deframe)
		argp_failure(state, 2, 0, "%s: no -o, -F or -D (it moves no data)", mode);
	if (o->remote_pid && !o->rate_set && !o->size_set && !o->name && !o->interval_set &&
	    !o->display && !o->format)
		argp_failure(state, 2, 0, "--remote: nothing to change (give -L, -s, -N, -i or display "
			     "letters)");
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct tp_options *o = state->input;

	switch (key) {
	case 'o':
		name_arg(state, "--output", arg);
		if (o->n_outputs == TP_MAX_OUTPUTS)
			argp_failure(state, 2, 0, "--output: at most %u outputs", TP_MAX_OUTPUTS);
		o->outputs[o->n_outputs++] = arg;
		break;
	case OPT_APPEND:
		o->append = true;
		break;
	case 's':
		o->size = size_arg(state, "--size", arg);
		o->size_set = true;
		break;
	case 'S':
		o->stop_at_size = true;
		break;
	case 'B':
		o->buffer_size = size_arg(state, "--buffer-size", arg);
		if (o->buffer_size == 0)
			argp_failure(state, 2, 0, "--buffer-size: must be more than 0");
		break;
	case 'C':
		o->chunk_size = strcmp(arg, "auto") == 0 ? 0 : size_arg(state, "--chunk-size", arg);
		if (o->chunk_size == 0 && strcmp(arg, "auto") != 0)
			argp_failure(state, 2, 0, "--chunk-size: must be more than 0 (or auto)");
		break;
	case OPT_ENGINE:
		if (strcmp(arg, "auto") == 0)
			o->engine = TP_ENGINE_AUTO;
		else if (strcmp(arg, "uring") == 0 || strcmp(arg, "io_uring") == 0)
			o->engine = TP_ENGINE_URING;
		else if (strcmp(arg, "write") == 0)
			o->engine = TP_ENGINE_WRITE;
		else if (strcmp(arg, "splice") == 0)
			o->engine = TP_ENGINE_SPLICE;
		else
			argp_failure(state, 2, 0, "--engine: '%s' is not one of auto, splice, uring, write", arg);
		break;
	case 'N':
		o->name = arg;
		break;
	case 'L':
		o->rate_limit = rate_arg(state, arg);
		o->rate_set = true;
		break;
	case OPT_BAUD:
		o->baud = uint_arg(state, "--baud", arg, 1, 100000000,
				   "a rate in bits per second (e.g. 115200)");
		break;
	case OPT_FLOW:
		if (strcmp(arg, "none") == 0)
			o->flow = TP_FLOW_NONE;
		else if (strcmp(arg, "rtscts") == 0)
			o->flow = TP_FLOW_RTSCTS;
		else if (strcmp(arg, "xonxoff") == 0)
			o->flow = TP_FLOW_XONXOFF;
		else
			argp_failure(state, 2, 0, "--flow: '%s' is not one of none, rtscts, xonxoff", arg);
		o->flow_set = true;
		break;
	case OPT_BURST:
		o->burst = size_arg(state, "--burst", arg);
		if (o->burst == 0)
			argp_failure(state, 2, 0, "--burst: must be more than 0");
		break;
	case 'p': case 't': case 'e': case 'I': case 'r': case 'a': case 'b': case 'T':
		o->display |= display_bit(key);
		break;
	case 'A':
		_Static_assert(TP_MAX_LAST_WRITTEN == 256, "the message below names the limit");
		o->last_written = uint_arg(state, "--last-written", arg, 1, TP_MAX_LAST_WRITTEN,
					   "a number of bytes from 1 to 256");
		o->display |= TP_DISPLAY_LAST;
		break;
	case OPT_FORMAT:
		o->format = arg; /* checked by main.c: the ui layer parses it */
		break;
	case '8':
		o->bits = true;
		break;
	case 'k':
		o->si = true;
		break;
	case 'f':
		o->progress = TP_SHOW_ALWAYS;
		break;
	case 'q':
		o->progress = TP_SHOW_NEVER;
		break;
	case 'n':
		o->numeric = true;
		break;
	case 'c':
		o->cursor = true;
		break;
	case 'w':
		o->width = uint_arg(state, "--width", arg, 1, 10000, "a number of columns (1-10000)");
		break;
	case 'H':
		o->height = uint_arg(state, "--height", arg, 1, 10000, "a number of rows (1-10000)");
		break;
	case 'W':
		o->wait_first = true;
		break;
	case OPT_DELAY_START: {
		int err = tp_parse_duration(arg, &o->delay_start_ns);
		if (err)
			fail_value(state, "--delay-start", arg, err, "is not a duration (e.g. 2, 500ms)");
		break;
	}
	case 'l':
		o->line_mode = true;
		break;
	case '0':
		o->null_lines = o->line_mode = true;
		break;
	case 'E':
		o->skip_errors++;
		break;
	case 'P':
		name_arg(state, "--pidfile", arg);
		o->pidfile = arg;
		break;
	case 'R':
		o->remote_pid = (int)uint_arg(state, "--remote", arg, 1, INT_MAX, "a process ID");
		break;
	case 'Q':
		o->query_pid = (int)uint_arg(state, "--query", arg, 1, INT_MAX, "a process ID");
		break;
	case 'd':
		watch_arg(state, o, arg);
		break;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		break;
	case 'i': {
		int err = tp_parse_duration(arg, &o->interval_ns);
		if (err)
			fail_value(state, "--interval", arg, err, "is not a duration (e.g. 1, 0.5, 250ms)");
		if (o->interval_ns < 10000000 || o->interval_ns > 86400000000000ull)
			argp_failure(state, 2, 0, "--interval: from 10ms to a day (1440m)");
		o->interval_set = true;
		break;
	}
	case OPT_STATS:
		if (!arg || strcmp(arg, "text") == 0)
			o->stats = TP_STATS_TEXT;
		else if (strcmp(arg, "json") == 0)
			o->stats = TP_STATS_JSON;
		else
			argp_failure(state, 2, 0, "--stats: '%s' is not one of text, json", arg);
		break;
	case OPT_EXPLAIN:
		o->explain = true;
		break;
	case 'F':
		o->frame = true;
		break;
	case 'D':
		o->deframe = true;
		break;
	case OPT_FRAME_SIZE:
		o->frame_size = size_arg(state, "--frame-size", arg);
		if (o->frame_size == 0 || o->frame_size > TP_FRAME_MAX_PAYLOAD)
			argp_failure(state, 2, 0, "--frame-size: from 1 to %u", TP_FRAME_MAX_PAYLOAD);
		break;
	case OPT_REPEAT:
		_Static_assert(TP_MAX_REPEAT == 15, "the message below names the limit");
		o->repeat = uint_arg(state, "--repeat", arg, 0, TP_MAX_REPEAT,
				     "a number from 0 to 15");
		break;
	case OPT_FEC:
		switch (tp_parse_fec(arg, TP_FEC_MAX_SYMBOLS, &o->fec_k, &o->fec_m)) {
		case 0:
			o->frame = true;
			break;
		case -ERANGE:
			argp_failure(state, 2, 0, "--fec: '%s': K and M must be at least 1, and K + M at "
				     "most %u", arg, TP_FEC_MAX_SYMBOLS);
			break;
		default:
			argp_failure(state, 2, 0, "--fec: '%s' is not K+M (data and parity frames a "
				     "group, as in 32+8)", arg);
		}
		break;
	case OPT_KEY_FILE:
		if (!*arg)
			argp_failure(state, 2, 0, "--key-file: needs a file name");
		o->key_file = arg;
		break;
	case OPT_PROTOCOL:
		if (strcmp(arg, "xmodem") == 0)
			o->protocol = TP_MODEM_XMODEM;
		else if (strcmp(arg, "xmodem-1k") == 0)
			o->protocol = TP_MODEM_XMODEM_1K;
		else if (strcmp(arg, "ymodem") == 0)
			o->protocol = TP_MODEM_YMODEM;
		else if (strcmp(arg, "ymodem-g") == 0)
			o->protocol = TP_MODEM_YMODEM_G;
		else
			argp_failure(state, 2, 0, "--protocol: '%s' is not one of xmodem, xmodem-1k, "
				     "ymodem, ymodem-g", arg);
		o->protocol_set = true;
		break;
	case OPT_CIPHER:
		if (strcmp(arg, "aes-256-gcm") == 0)
			o->cipher = TP_CIPHER_AES256GCM;
		else if (strcmp(arg, "xchacha20-poly1305") == 0)
			o->cipher = TP_CIPHER_XCHACHA20;
		else
			argp_failure(state, 2, 0, "--cipher: '%s' is not one of xchacha20-poly1305, "
				     "aes-256-gcm", arg);
		o->cipher_set = true;
		break;
	case OPT_PEER:
		if (!*arg)
			argp_failure(state, 2, 0, "--peer: needs HOST[:PORT]");
		o->peer = arg;
		break;
	case OPT_FEC_DEPTH:
		_Static_assert(TP_FEC_MAX_DEPTH == 64, "the message below names the limit");
		o->fec_depth = uint_arg(state, "--fec-depth", arg, 1, TP_FEC_MAX_DEPTH,
					"a number from 1 to 64");
		break;
	case OPT_WRITE_ABOVE:
		o->write_above = percent_arg(state, "--write-above", arg);
		break;
	case OPT_READ_BELOW:
		o->read_below = percent_arg(state, "--read-below", arg);
		break;
	case OPT_ON_GAP:
		if (strcmp(arg, "stop") == 0)
			o->on_gap = TP_GAP_STOP;
		else if (strcmp(arg, "skip") == 0)
			o->on_gap = TP_GAP_SKIP;
		else if (strcmp(arg, "zero") == 0)
			o->on_gap = TP_GAP_ZERO;
		else
			argp_failure(state, 2, 0, "--on-gap: '%s' is not one of stop, skip, zero", arg);
		on_gap_set = true;
		break;
	case OPT_STALL_TIMEOUT: {
		int err = tp_parse_duration(arg, &o->stall_timeout_ns);
		if (err)
			fail_value(state, "--stall-timeout", arg, err, "is not a duration (e.g. 5, 500ms)");
		break;
	}
	case OPT_IDLE_TIMEOUT: {
		int err = tp_parse_duration(arg, &o->idle_timeout_ns);
		if (err)
			fail_value(state, "--idle-timeout", arg, err, "is not a duration (e.g. 5, 500ms)");
		o->idle_timeout_set = true; /* 0: wait for ever, even with -D */
		break;
	}
	case OPT_CONNECT_TIMEOUT: {
		int err = tp_parse_duration(arg, &o->connect_timeout_ns);
		if (err)
			fail_value(state, "--connect-timeout", arg, err, "is not a duration (e.g. 10, 500ms, 0)");
		break;
	}
	case OPT_DRAIN_TIMEOUT: {
		int err = tp_parse_duration(arg, &o->drain_timeout_ns);
		if (err)
			fail_value(state, "--drain-timeout", arg, err, "is not a duration (e.g. 5, 500ms, 0)");
		break;
	}
	case ARGP_KEY_ARGS:
		o->inputs = state->argv + state->next;
		o->n_inputs = state->argc - state->next;
		for (int i = 0; i < o->n_inputs; i++)
			name_arg(state, "INPUT", o->inputs[i]);
		break;
	case ARGP_KEY_END:
		/* A key seals frames: on the sending side that means framing them. */
		if (o->key_file && !o->deframe)
			o->frame = true;
		if (o->cipher_set && !o->key_file)
			argp_failure(state, 2, 0, "--cipher: needs --key-file");
		if (o->cipher_set && o->deframe)
			argp_failure(state, 2, 0, "--cipher: the sender's choice; -D opens either cipher");
		if (o->protocol_set) {
			if (o->frame || o->deframe || o->fec_k || o->repeat)
				argp_failure(state, 2, 0, "--protocol: not with -F, -D, --key-file, --fec or "
					     "--repeat (the protocol has blocks and checks of its own)");
			if (o->n_outputs > 1)
				argp_failure(state, 2, 0, "--protocol: one -o only");
			if (o->append)
				argp_failure(state, 2, 0, "--protocol: not with --append (a file is "
					     "received whole, or not at all)");
			if (o->flow_set && o->flow == TP_FLOW_XONXOFF)
				argp_failure(state, 2, 0, "--protocol: not with --flow=xonxoff (XON and XOFF "
					     "bytes occur in the data)");
		}
		check_modes(state, o);
		check_frame_options(state, o);
		if (o->stop_at_size && !o->size_set)
			argp_failure(state, 2, 0, "--stop-at-size: needs --size");
		if (o->chunk_size > (1ull << 30))
			argp_failure(state, 2, 0, "--chunk-size: at most 1G");
		/* Chunks are whole pages: the checks below see the size the ring will have. */
		o->chunk_size = (o->chunk_size + page_size() - 1) / page_size() * page_size();
		if (o->chunk_size && o->chunk_size > o->buffer_size / 2)
			argp_failure(state, 2, 0,
				     "--chunk-size: must be at most half of --buffer-size (the ring needs two chunks)");
		if (o->buffer_size / (o->chunk_size ? o->chunk_size : TP_AUTO_CHUNK_SIZE) > TP_MAX_DEPTH)
			argp_failure(state, 2, 0,
				     "--buffer-size: more than %u chunks; use a larger --chunk-size", TP_MAX_DEPTH);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = { options, parse_opt, "[INPUT...]", doc, NULL, NULL, NULL };

void tp_cli_parse(int argc, char **argv, struct tp_options *opts)
{
	static char *stdin_only[] = { "-", NULL };

	memset(opts, 0, sizeof(*opts));
	opts->buffer_size = TP_DEFAULT_BUFFER_SIZE;
	opts->read_below = 100;
	opts->engine = TP_ENGINE_AUTO;
	opts->interval_ns = TP_DEFAULT_INTERVAL_NS;
	opts->drain_timeout_ns = TP_DEFAULT_DRAIN_TIMEOUT_NS;
	opts->connect_timeout_ns = TP_DEFAULT_CONNECT_TIMEOUT_NS;
	argp_err_exit_status = 2;
	/* getopt names the program by argv[0] ("./tpipe"); every message says "tpipe:". */
	static char program[] = PACKAGE;
	argv[0] = program;
	argp_parse(&argp, argc, argv, 0, NULL, opts);
	if (opts->n_inputs == 0) {
		opts->inputs = stdin_only;
		opts->n_inputs = 1;
	}
	if (opts->n_outputs == 0)
		opts->outputs[opts->n_outputs++] = "-";
}
