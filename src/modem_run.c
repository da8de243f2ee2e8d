/* --protocol (modem_run.h): finds the line and which end we are, opens the files, runs the
 * protocol (src/modem/), and says how it went. */
#include "config.h"
#include "modem_run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "modem_fdline.h"
#include "modem_recv.h"
#include "modem_send.h"
#include "progress.h"
#include "report.h"
#include "run.h"
#include "serial.h"
#include "signals.h"

static const char *const protocol_names[] = { "xmodem", "xmodem-1k", "ymodem", "ymodem-g" };

/* The sender's files: the INPUT operands in turn. */
struct files_out {
	char *const *paths;
	int n, next;
	int fd;
	const char *path;      /* the file being sent */
	const char *failed;    /* the file that could not be read, for the message */
};

static int next_file(void *ctx, struct tp_modem_file *f)
{
	struct files_out *fo = ctx;
	struct stat st;

	if (fo->fd >= 0)
		close(fo->fd);
	fo->fd = -1;
	if (fo->next == fo->n)
		return 0;
	fo->path = fo->paths[fo->next++];
	if (strcmp(fo->path, "-") == 0) {
		fo->fd = dup(STDIN_FILENO);
		memset(f, 0, sizeof(*f));
		snprintf(f->name, sizeof(f->name), "stdin");
		return fo->fd < 0 ? -errno : 1;
	}
	fo->failed = fo->path;   /* until it is open */
	fo->fd = open(fo->path, O_RDONLY | O_CLOEXEC);
	if (fo->fd < 0 || fstat(fo->fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	fo->failed = NULL;
	char *copy = strdup(fo->path);
	if (!copy)
		return -ENOMEM;
	snprintf(f->name, sizeof(f->name), "%s", basename(copy));
	free(copy);
	f->size = (uint64_t)st.st_size;
	f->size_known = true;
	f->mtime = st.st_mtime;
	f->mode = st.st_mode;
	return 1;
}

static ssize_t read_file(void *ctx, void *buf, size_t n)
{
	struct files_out *fo = ctx;
	ssize_t r;

	do
		r = read(fo->fd, buf, n);
	while (r < 0 && errno == EINTR && !tp_signals_stop_requested());
	if (r < 0)
		fo->failed = fo->path;
	return r < 0 ? -errno : r;
}

static const struct tp_modem_source files_source = { next_file, read_file };

/* The receiver's files: under DIR (YMODEM), or the one -o FILE (XMODEM). Each is written
 * to a hidden temporary beside it and renamed into place once whole, so a failed transfer
 * leaves nothing; an output that is no regular file (/dev/null, a FIFO) is written to
 * directly. */
struct files_in {
	int dirfd;
	const char *dir;
	const char *file;      /* XMODEM: the name in dir, or NULL to write to fd as it is */
	int fd;
	bool direct;           /* fd is the output itself */
	char name[256];        /* the file being received */
	char temp[300];
	int64_t mtime;
	unsigned mode;
	const char *failed;    /* what failed, for the message: the name */
	uint64_t announced;    /* the sizes block 0 gave so far: the progress line's total */
	mode_t umask;          /* applied to the modes block 0 gives */
};

static int begin_file(void *ctx, const struct tp_modem_file *f)
{
	struct files_in *fi = ctx;

	snprintf(fi->name, sizeof(fi->name), "%s", f ? f->name : fi->file);
	fi->mtime = f ? f->mtime : -1;
	if (f && f->size_known)
		fi->announced += f->size;
	fi->mode = f && f->mode ? f->mode : 0;
	if (fi->direct)
		return 0;
	for (int tries = 0; tries < 100; tries++) {
		/* Not the name itself: a 255-byte name leaves no room for more. */
		snprintf(fi->temp, sizeof(fi->temp), ".tpipe-%08x.part", (unsigned)random());
		fi->fd = openat(fi->dirfd, fi->temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				O_CLOEXEC, 0666);
		if (fi->fd >= 0 || errno != EEXIST)
			break;
	}
	if (fi->fd < 0) {
		fi->failed = fi->name;
		return -errno;
	}
	return 0;
}

static int write_file(void *ctx, const void *buf, size_t n)
{
	struct files_in *fi = ctx;
	const char *p = buf;

	while (n) {
		ssize_t w = write(fi->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			fi->failed = fi->name;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int end_file(void *ctx, bool ok)
{
	struct files_in *fi = ctx;
	int err = 0;

	if (fi->direct)
		return 0;
	if (ok && fi->mode)
		(void)fchmod(fi->fd, fi->mode & 0777u & ~fi->umask);
	if (ok && fi->mtime > 0) {
		struct timespec t[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_sec = fi->mtime } };
		(void)futimens(fi->fd, t);
	}
	if (close(fi->fd) < 0 && ok)
		err = -errno;
	fi->fd = -1;
	/* A name from the far side replaces nothing (as rb without -y); -o FILE is the user's. */
	if (ok && !err && renameat2(fi->dirfd, fi->temp, fi->dirfd, fi->name,
				    fi->file ? 0 : RENAME_NOREPLACE) < 0)
		err = -errno;
	if (!ok || err)
		(void)unlinkat(fi->dirfd, fi->temp, 0);
	if (err)
		fi->failed = fi->name;
	return err;
}

static const struct tp_modem_sink files_sink = { begin_file, write_file, end_file };

/* Where the receiver writes: YMODEM into a directory (default "."); XMODEM into a file,
 * beside it in its directory, or straight into what is not a regular file. 0, or 1 (said). */
static int open_output(const struct tp_options *opts, struct files_in *fi)
{
	const char *out = opts->n_outputs ? opts->outputs[0] : "-";
	struct stat st;

	*fi = (struct files_in){ .dirfd = -1, .fd = -1, .umask = umask(022) };
	umask(fi->umask);
	if (opts->protocol >= TP_MODEM_YMODEM) {
		fi->dir = strcmp(out, "-") == 0 ? "." : out;
		fi->dirfd = open(fi->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fi->dirfd < 0 || faccessat(fi->dirfd, ".", W_OK | X_OK, 0) < 0) {
			tp_report(fi->dir, errno == ENOTDIR ? "YMODEM receives into a directory "
				  "(block 0 names the files): give -o DIR" : strerror(errno));
			return 1;
		}
		return 0;
	}
	if (strcmp(out, "-") == 0) {
		tp_report("--protocol", "XMODEM receives one file: give -o FILE");
		return 1;
	}
	if (stat(out, &st) == 0 && !S_ISREG(st.st_mode)) {
		fi->direct = true;
		fi->file = out;
		fi->fd = open(out, O_WRONLY | O_CLOEXEC | (opts->append ? O_APPEND : 0));
		if (fi->fd < 0) {
			tp_report_errno(out, errno);
			return 1;
		}
		return 0;
	}
	static char dir[4096], file[256];
	char *a = strdup(out), *b = strdup(out);
	if (a && b) {
		snprintf(dir, sizeof(dir), "%s", dirname(a));
		snprintf(file, sizeof(file), "%s", basename(b));
	}
	free(a);
	free(b);
	fi->dir = dir;
	fi->file = file;
	fi->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fi->dirfd < 0 || faccessat(fi->dirfd, ".", W_OK | X_OK, 0) < 0) {
		tp_report_errno(dir, errno);
		return 1;
	}
	return 0;
}

/* The line: a serial line among the operands, or standard input and output. */
struct line_at {
	struct tp_serial serial;
	bool is_serial;
	const char *name;      /* for messages */
	bool sending;
	int in, out;
};

static bool has_stdin(const struct tp_options *opts)
{
	for (int i = 0; i < opts->n_inputs; i++)
		if (strcmp(opts->inputs[i], "-") == 0)
			return true;
	return false;
}

static bool names_files(const struct tp_options *opts)
{
	for (int i = 0; i < opts->n_inputs; i++)
		if (strcmp(opts->inputs[i], "-") != 0)
			return true;
	return false;
}

/* Every file to send can be read, before the receiver is kept waiting for one that
 * cannot: 0, or 1 (said). */
static int check_inputs(const struct tp_options *opts)
{
	struct stat st;

	for (int i = 0; i < opts->n_inputs; i++) {
		const char *path = opts->inputs[i];
		if (strcmp(path, "-") == 0)
			continue;
		if (access(path, R_OK) != 0 || stat(path, &st) != 0) {
			tp_report_errno(path, errno);
			return 1;
		}
		if (!S_ISREG(st.st_mode)) {
			tp_report(path, "not a regular file: XMODEM and YMODEM send files");
			return 1;
		}
	}
	return 0;
}

/* What the sender's files add up to (the ones stat can size), for the progress line. */
static uint64_t files_size(const struct tp_options *opts)
{
	uint64_t total = 0;
	struct stat st;

	for (int i = 0; i < opts->n_inputs; i++)
		if (stat(opts->inputs[i], &st) == 0 && S_ISREG(st.st_mode))
			total += (uint64_t)st.st_size;
	return total;
}

/* 0, or an exit status (said). */
static int open_line(const struct tp_options *opts, struct line_at *l)
{
	const char *out = opts->n_outputs ? opts->outputs[0] : "-";
	const char *path = tp_serial_path(out);

	l->sending = path != NULL;
	if (!path && opts->n_inputs == 1)
		path = tp_serial_path(opts->inputs[0]);
	if (!path) {   /* as sb and rb: the line is standard input and output */
		l->sending = names_files(opts);
		if (l->sending && strcmp(out, "-") != 0) {
			tp_report(out, "not a serial line: a sender's -o is the line (none: standard "
				  "input and output)");
			return TP_EXIT_USAGE;
		}
		l->name = "standard input and output";
		l->in = STDIN_FILENO;
		l->out = STDOUT_FILENO;
		return 0;
	}
	int err = tp_serial_open(&l->serial, path, O_RDWR, opts->baud, (enum tp_flow)opts->flow);
	if (err) {
		tp_report(path, l->serial.why ? l->serial.why
			  : err == -ENOTTY ? "not a terminal device: no serial line" : strerror(-err));
		return err == -EINVAL ? TP_EXIT_USAGE : TP_EXIT_FAILURE;
	}
	l->is_serial = true;
	l->name = path;
	l->in = l->out = l->serial.fd;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The progress line: the protocol's bytes against the files' sizes (the sender's, -s, or
 * what block 0 announced so far), drawn between the line's waits (modem_fdline.h). */
struct show {
	struct tp_progress p;
	const struct tp_modem_stats *st;
	const uint64_t *total;
	uint64_t start_ns;
	unsigned width;
};

static void show_snapshot(const struct show *s, struct tp_snapshot *snap)
{
	*snap = (struct tp_snapshot){ .bytes_out = s->st->bytes, .no_ring = true,
				      .elapsed = (double)(now_ns() - s->start_ns) / 1e9,
				      .total = *s->total };
}

static void show_tick(void *arg)
{
	struct show *s = arg;
	struct tp_snapshot snap;

	show_snapshot(s, &snap);
	tp_progress_draw(&s->p, &snap, s->width);
}

static void show_init(struct show *s, const struct tp_options *opts, struct tp_modem_fdline *fl,
		      const struct tp_modem_stats *st, const uint64_t *total)
{
	struct winsize ws;
	bool on = opts->progress == TP_SHOW_ALWAYS ||
		  (opts->progress == TP_SHOW_AUTO && isatty(STDERR_FILENO));

	*s = (struct show){ .st = st, .total = total, .start_ns = now_ns(), .width = 80 };
	if (!on)
		return;
	if (opts->width)
		s->width = opts->width;
	else if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		s->width = ws.ws_col;
	tp_progress_init(&s->p, stderr, &(struct tp_progress_style){ .numeric = opts->numeric },
			 opts->name);
	fl->tick = show_tick;
	fl->tick_arg = s;
	fl->tick_ns = opts->interval_ns;
	fl->next_tick_ns = s->start_ns + opts->interval_ns;
}

static void show_end(struct show *s, const struct tp_modem_fdline *fl)
{
	struct tp_snapshot snap;

	if (!fl->tick)
		return;
	show_snapshot(s, &snap);
	tp_progress_finish(&s->p, &snap, s->width);
}

/* The summary and --stats: what moved, how fast, what went wrong on the way. */
static void summary(const struct tp_options *opts, const struct line_at *l,
		    const struct tp_modem_stats *st, const struct tp_modem_fdline *fl,
		    double secs, int err)
{
	unsigned baud = l->is_serial ? l->serial.baud : 0;
	double rate = secs > 0 ? (double)st->bytes / secs : 0;
	char line[96] = "";

	if (baud)
		snprintf(line, sizeof(line), ", %.0f %% of the line's %u baud", 100.0 * rate * 10 / baud, baud);
	if (opts->stats == TP_STATS_JSON) {
		fprintf(stderr, "{\"protocol\":\"%s\",\"role\":\"%s\",\"ok\":%s,\"files\":%u,"
			"\"bytes\":%" PRIu64 ",\"seconds\":%.3f,\"goodput\":%.0f,\"baud\":%u,"
			"\"blocks\":%" PRIu64 ",\"small_blocks\":%" PRIu64 ",\"crc\":%s,\"retries\":%" PRIu64
			",\"naks\":%" PRIu64 ",\"timeouts\":%" PRIu64 ",\"duplicates\":%" PRIu64
			",\"bad_blocks\":%" PRIu64 ",\"line_sent\":%zu,\"line_received\":%zu}\n",
			protocol_names[opts->protocol], l->sending ? "sender" : "receiver",
			err ? "false" : "true", st->files, st->bytes, secs, rate, baud, st->blocks,
			st->small_blocks, st->crc == 0 ? "false" : "true", st->retries, st->naks,
			st->timeouts, st->duplicates, st->bad_blocks, fl->sent, fl->received);
		return;
	}
	/* A failure is its one line; the figures then only with --stats. */
	if ((opts->progress == TP_SHOW_NEVER || err) && opts->stats != TP_STATS_TEXT)
		return;
	fprintf(stderr, "tpipe: %s: %s %u file%s, %" PRIu64 " bytes in %.1f s (%.0f B/s%s)\n",
		protocol_names[opts->protocol], l->sending ? "sent" : "received", st->files,
		st->files == 1 ? "" : "s", st->bytes, secs, rate, line);
	if (opts->stats == TP_STATS_TEXT)
		fprintf(stderr, "tpipe: %s: %" PRIu64 " blocks (%" PRIu64 " of 128 bytes), %s; %" PRIu64
			" retries, %" PRIu64 " NAKs, %" PRIu64 " timeouts, %" PRIu64
			" duplicates, %" PRIu64 " damaged blocks\n",
			protocol_names[opts->protocol], st->blocks, st->small_blocks,
			st->crc == 0 ? "8-bit sums" : "CRC-16", st->retries, st->naks, st->timeouts,
			st->duplicates, st->bad_blocks);
}

int tp_modem_run(const struct tp_options *opts)
{
	struct tp_modem_timing t = { .start_ms = 60000, .block_ms = 10000, .char_ms = 1000,
				     .nudge_ms = 3000, .tries = 10 };
	struct tp_modem_stats st = { 0 };
	struct tp_modem_fdline fl;
	struct tp_modem_line line;
	struct line_at l = { 0 };
	struct files_out fo = { .paths = opts->inputs, .n = opts->n_inputs, .fd = -1 };
	struct files_in fi = { .dirfd = -1, .fd = -1 };
	const char *why = NULL;
	int status, err;

	/* --idle-timeout: how long the far end may take to begin, and be silent later. */
	if (opts->idle_timeout_set && opts->idle_timeout_ns) {
		uint64_t ms = opts->idle_timeout_ns / 1000000u;
		t.start_ms = t.quiet_ms = ms > UINT_MAX ? UINT_MAX : (unsigned)ms;
		if (t.block_ms > t.quiet_ms)
			t.block_ms = t.quiet_ms;
		/* A short wait still asks a few times: a sender that opens its line late
		 * flushes what came before (tp_serial_open), our first request with it. */
		if (t.nudge_ms > t.start_ms / 4)
			t.nudge_ms = t.start_ms / 4 > 100 ? t.start_ms / 4 : 100;
	}
	if ((err = tp_signals_init()) != 0) {
		tp_report_errno("signals", err);
		return TP_EXIT_FAILURE;
	}
	if ((status = open_line(opts, &l)) != 0)
		return status;
	/* Two 1 KiB blocks' time at the line's rate (10 bits a byte), at least 100 ms. */
	unsigned baud = l.is_serial && l.serial.baud ? l.serial.baud : 0;
	t.purge_ms = baud ? 2u * 1029u * 10u * 1000u / baud : 0;
	if (t.purge_ms < 100)
		t.purge_ms = 100;
	if (l.sending && opts->protocol >= TP_MODEM_YMODEM && has_stdin(opts)) {
		tp_report("--protocol", "YMODEM sends named files, with their sizes: standard "
			  "input has neither (send it with xmodem)");
		status = TP_EXIT_USAGE;
		goto out;
	}
	if (l.sending && check_inputs(opts) != 0) {
		status = TP_EXIT_FAILURE;
		goto out;
	}
	if (!l.sending && open_output(opts, &fi) != 0) {
		status = TP_EXIT_FAILURE;
		goto out;
	}
	uint64_t total = opts->size_set ? opts->size : 0;
	struct show show;
	tp_modem_fdline_init(&fl, l.in, l.out, &line);
	if (l.sending && !opts->size_set)
		total = files_size(opts);
	show_init(&show, opts, &fl, &st, l.sending || opts->size_set ? &total : &fi.announced);
	uint64_t start = now_ns();
	err = l.sending ? tp_modem_send(opts->protocol, &t, &line, &files_source, &fo, &st, &why)
			: tp_modem_recv(opts->protocol, &t, &line, &files_sink, &fi,
					opts->size_set ? opts->size : 0, &st, &why);
	if (l.is_serial)   /* the last ACK or block out before the line is let go */
		(void)tp_serial_drain(&l.serial, 0, 2000000000u, &(size_t){ 0 });
	double secs = (double)(now_ns() - (fl.first_ns ? fl.first_ns : start)) / 1e9;
	show_end(&show, &fl);
	if (err == -EINTR) {
		status = 128 + tp_signals_stop_requested();
	} else if (err) {
		const char *what = fi.failed ? fi.failed : fo.failed ? fo.failed : l.name;
		tp_report(what, why ? why : err == -EPIPE ? "the line hung up"
			  : err == -EEXIST && fi.failed ? "a file of that name is there already: "
			  "not replaced" : strerror(-err));
		status = TP_EXIT_FAILURE;
	} else {
		status = TP_EXIT_OK;
	}
	summary(opts, &l, &st, &fl, secs, err);
out:
	if (fo.fd >= 0)
		close(fo.fd);
	if (fi.dirfd >= 0)
		close(fi.dirfd);
	if (fi.direct && fi.fd >= 0)
		close(fi.fd);
	if (l.is_serial)
		(void)tp_serial_close(&l.serial);
	return status;
}
