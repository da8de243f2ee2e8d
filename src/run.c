/* The reader: the main thread's loop. It fills chunks from the inputs in order and hands them
 * to the writer; every wait (for input, for a free chunk, for the writer to finish) is one
 * ppoll() that also lets signals in, so SIGINT, SIGTERM and SIGUSR1 act at once. */
#include "config.h"
#include "run.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "handoff.h"
#include "monitor.h"
#include "report.h"
#include "signals.h"
#include "sink.h"
#include "source.h"
#include "stats.h"
#include "tune.h"
#include "writer.h"


struct reader {
	const struct tp_options *opts;
	const struct tp_sink *sink;
	struct tp_handoff handoff;
	struct tp_counters counters;
	struct tp_monitor monitor;
	struct tp_chunk *chunk;   /* being filled, owned by the reader; NULL when none */
	uint64_t offset;          /* stream bytes read so far */
};

enum pump_end { PUMP_EOF = 0, PUMP_STOP = 1 };

/* Waits for the input (fd >= 0) or for the writer's wake-up, with signals let in, and no
 * longer than the next progress tick. timeout_ms 0 just looks, -1 waits as long as needed.
 * Returns true when the input is readable. */
static bool wait_for(struct reader *r, int fd, int timeout_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = r->handoff.wake_fd, .events = POLLIN },
		{ .fd = fd, .events = POLLIN },
	};
	int ms = tp_monitor_timeout(&r->monitor, timeout_ms);
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	int n = ppoll(pfd, fd >= 0 ? 2 : 1, ms < 0 ? NULL : &ts, tp_signals_wait_mask());
	if (n > 0 && pfd[0].revents)
		tp_handoff_clear_wake(&r->handoff);
	tp_monitor_poll(&r->monitor);
	return n > 0 && fd >= 0 && pfd[1].revents;
}

static bool must_stop(struct reader *r)
{
	return tp_signals_stop_requested() || tp_handoff_writer_done(&r->handoff) ||
	       (r->opts->stop_at_size && r->offset >= r->opts->size);
}

static void hand_over(struct reader *r)
{
	tp_handoff_put(&r->handoff, r->chunk);
	r->chunk = NULL;
}

/* Reads one input to its end into chunks. Returns PUMP_EOF, PUMP_STOP, or -errno. */
static int pump(struct reader *r, struct tp_source *src)
{
	for (;;) {
		if (must_stop(r))
			return PUMP_STOP;
		if (!r->chunk) {
			r->chunk = tp_handoff_get_free(&r->handoff);
			if (!r->chunk) {
				/* The ring is full: the output is the bottleneck. */
				uint64_t t0 = tp_clock_ns();
				wait_for(r, -1, -1);
				tp_counter_add(&r->counters.reader_wait_ns, tp_clock_ns() - t0);
				continue;
			}
			r->chunk->len = 0;
			r->chunk->offset = r->offset;
		}
		if (src->pollable) {
			/* Holding data: only look. Data that trickles in goes out at once and never
			 * waits for a chunk to fill. */
			if (!wait_for(r, src->fd, r->chunk->len ? 0 : -1)) {
				if (r->chunk->len)
					hand_over(r);
				continue;
			}
		} else {
			/* A file never makes us wait, so signals are let in here, between reads. */
			wait_for(r, -1, 0);
		}

		size_t room = r->chunk->cap - r->chunk->len;
		if (r->opts->stop_at_size && r->opts->size - r->offset < room)
			room = (size_t)(r->opts->size - r->offset);
		ssize_t n = tp_source_read(src, r->chunk->data + r->chunk->len, room);
		if (n <= 0)
			return (int)n;
		r->chunk->len += (size_t)n;
		r->offset += (uint64_t)n;
		if (r->chunk->len == r->chunk->cap)
			hand_over(r);
	}
}

/* Reading the file we write to would never end (`tpipe f >> f`); cat refuses it too. */
static bool is_output(const struct reader *r, const struct tp_source *src)
{
	struct stat st;

	return r->sink->ino && fstat(src->fd, &st) == 0 && S_ISREG(st.st_mode) &&
	       st.st_dev == r->sink->dev && st.st_ino == r->sink->ino;
}

/* Reads every input in order, like cat: a missing or unreadable one is reported and skipped. */
static int read_inputs(struct reader *r)
{
	int status = TP_EXIT_OK;

	for (int i = 0; i < r->opts->n_inputs; i++) {
		struct tp_source src;
		const char *why = NULL;
		int rc;
		do { /* opening a FIFO waits for its writer: signals must act meanwhile */
			tp_signals_let_in(true);
			rc = tp_source_open(&src, r->opts->inputs[i]);
			tp_signals_let_in(false);
			tp_monitor_poll(&r->monitor);
		} while (rc == -EINTR && !tp_signals_stop_requested());
		if (rc == -EINTR)
			rc = PUMP_STOP;
		if (rc == 0) {
			if (is_output(r, &src))
				why = "input file is output file";
			else
				rc = pump(r, &src);
			tp_source_close(&src);
		}
		if (rc < 0 || why) {
			if (why)
				tp_report(src.name, why);
			else
				tp_report_errno(src.name ? src.name : r->opts->inputs[i], rc);
			status = TP_EXIT_FAILURE;
		}
		if (rc == PUMP_STOP)
			break;
	}
	if (r->chunk && r->chunk->len)
		hand_over(r);
	return status;
}

/* The expected total: --size, or the sum of the inputs' sizes when all are regular files. */
static uint64_t expected_total(const struct tp_options *o)
{
	uint64_t sum = 0;

	if (o->size)
		return o->size;
	for (int i = 0; i < o->n_inputs; i++) {
		struct stat st;
		const char *in = o->inputs[i];
		int fd = in[0] == '-' && in[1] == 0 ? STDIN_FILENO : -1;
		if ((fd >= 0 ? fstat(fd, &st) : stat(in, &st)) < 0 || !S_ISREG(st.st_mode))
			return 0;
		sum += (uint64_t)st.st_size;
	}
	return sum;
}

/* Waits for the writer to finish the buffered data; signals still act. */
static void drain(struct reader *r)
{
	tp_handoff_close(&r->handoff);
	while (!tp_handoff_writer_done(&r->handoff))
		wait_for(r, -1, -1);
}

/* Why the engine in use was chosen, for --explain. */
static void engine_reason(const struct tp_options *o, const struct tp_engine *eng, char *buf,
			  size_t len)
{
	if (o->engine != TP_ENGINE_AUTO)
		snprintf(buf, len, "set by --engine");
	else if (eng->fallback_err)
		snprintf(buf, len, "io_uring unavailable: %s", strerror(-eng->fallback_err));
	else
		snprintf(buf, len, "default; write() would be used if io_uring were refused");
}

void tp_run(const struct tp_options *opts, struct tp_result *result)
{
	struct tp_sink sink;
	struct reader r = { .opts = opts, .sink = &sink };
	struct tp_tuning tuning;
	struct tp_engine engine;
	struct tp_writer writer = { .rate = opts->rate_limit };
	char why[128];
	int err;

	result->status = TP_EXIT_FAILURE;
	r.counters.write_ns_min = UINT64_MAX;
	tp_report_set_name(opts->name);

	err = tp_signals_init();
	if (err) {
		tp_report_errno("signals", err);
		return;
	}
	do { /* opening a FIFO waits for its reader: signals must act meanwhile */
		tp_signals_let_in(true);
		err = tp_sink_open(&sink, opts->output, opts->append);
		tp_signals_let_in(false);
	} while (err == -EINTR && !tp_signals_stop_requested());
	if (err == -EINTR) {
		result->status = 128 + tp_signals_stop_requested();
		return;
	} else if (err) {
		tp_report_errno(sink.name ? sink.name : opts->output, err);
		return;
	}
	tp_tune(opts, sink.flags, (size_t)sysconf(_SC_PAGESIZE), &tuning);
	writer.burst = tuning.burst;
	err = tp_handoff_init(&r.handoff, tuning.chunk, tuning.depth, 0);
	if (err) {
		tp_report_errno("buffer", err);
		goto close_sink;
	}
	err = tp_engine_init(&engine, opts->engine, &sink, &r.counters, tuning.depth);
	if (err == -ENOTSUP && opts->engine == TP_ENGINE_URING) {
		tp_report("io_uring", "not built in (configured --without-liburing)");
		goto free_ring;
	} else if (err) {
		tp_report_errno(opts->engine == TP_ENGINE_URING ? "io_uring" : "engine", err);
		goto free_ring;
	}
	tp_monitor_init(&r.monitor, opts, &r.counters, &r.handoff, expected_total(opts));
	if (opts->explain) {
		engine_reason(opts, &engine, why, sizeof(why));
		tp_monitor_explain(&r.monitor, &tuning, engine.ops->name, why);
	}
	err = tp_writer_start(&writer, &r.handoff, &engine, &r.counters);
	if (err) {
		tp_report_errno("writer thread", err);
		goto exit_engine;
	}

	int in_status = read_inputs(&r);
	drain(&r);
	err = tp_writer_join(&writer);
	tp_monitor_finish(&r.monitor, &tuning, engine.ops->name);

	if (err == -EPIPE) {
		result->status = TP_EXIT_SIGPIPE; /* silent, as cat is under SIGPIPE */
	} else if (err) {
		tp_report_errno(sink.name, err);
	} else if ((err = tp_sink_finish(&sink, tp_counter_get(&r.counters.bytes_out)))) {
		tp_report_errno(sink.name, err);
	} else {
		result->status = in_status;
	}
	if (tp_signals_stop_requested())
		result->status = 128 + tp_signals_stop_requested();
exit_engine:
	tp_monitor_destroy(&r.monitor);
	tp_engine_exit(&engine);
free_ring:
	tp_handoff_destroy(&r.handoff);
close_sink:
	/* Some file systems report a failed write-back only here (NFS, quotas). */
	err = tp_sink_close(&sink);
	if (err && result->status == TP_EXIT_OK) {
		tp_report_errno(sink.name, err);
		result->status = TP_EXIT_FAILURE;
	}
}
