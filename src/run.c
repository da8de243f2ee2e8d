/* The reader: the main thread's loop. It fills chunks from the inputs in order and hands them
 * to the writer; every wait (for input, for a free chunk, for the writer to finish) is one
 * ppoll() that also lets signals in, so SIGINT, SIGTERM and SIGUSR1 act at once. */
#include "config.h"
#include "run.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "handoff.h"
#include "report.h"
#include "signals.h"
#include "sink.h"
#include "source.h"
#include "stats.h"
#include "writer.h"


struct reader {
	const struct tp_options *opts;
	const struct tp_sink *sink;
	struct tp_handoff handoff;
	struct tp_counters counters;
	struct tp_chunk *chunk;   /* being filled, owned by the reader; NULL when none */
	uint64_t offset;          /* stream bytes read so far */
	uint64_t total;           /* expected size, 0 if unknown */
	struct timespec start;
};

enum pump_end { PUMP_EOF = 0, PUMP_STOP = 1 };

static double seconds_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void print_status(struct reader *r)
{
	struct tp_snapshot snap = {
		.bytes_in = tp_counter_get(&r->counters.bytes_in),
		.bytes_out = tp_counter_get(&r->counters.bytes_out),
		.write_calls = tp_counter_get(&r->counters.write_calls),
		.elapsed = seconds_since(&r->start),
		.ring_used = tp_handoff_used(&r->handoff),
		.ring_depth = r->handoff.ring.depth,
		.total = r->total,
	};
	char line[256];

	tp_format_status(line, sizeof(line), r->opts->name, &snap);
	fprintf(stderr, "tpipe: %s\n", line);
}

/* Waits for the input (fd >= 0) or for the writer's wake-up, with signals let in.
 * timeout_ms 0 just looks. Returns true when the input is readable. */
static bool wait_for(struct reader *r, int fd, int timeout_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = r->handoff.wake_fd, .events = POLLIN },
		{ .fd = fd, .events = POLLIN },
	};
	struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000 };

	int n = ppoll(pfd, fd >= 0 ? 2 : 1, timeout_ms < 0 ? NULL : &ts, tp_signals_wait_mask());
	if (n > 0 && pfd[0].revents)
		tp_handoff_clear_wake(&r->handoff);
	if (tp_signals_take_status_request())
		print_status(r);
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
				wait_for(r, -1, -1); /* the ring is full: the output is the bottleneck */
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
		tp_counter_add(&r->counters.bytes_in, (uint64_t)n);
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
		int rc = tp_source_open(&src, r->opts->inputs[i]);
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

static size_t choose_chunk(const struct tp_options *o)
{
	if (o->chunk_size)
		return (size_t)o->chunk_size;
	/* Big chunks for throughput, but at least four in the ring so both sides can work. */
	uint64_t c = o->buffer_size / 4;
	return c > TP_AUTO_CHUNK_SIZE ? TP_AUTO_CHUNK_SIZE : (size_t)(c ? c : 1);
}

static unsigned choose_depth(const struct tp_options *o, size_t chunk)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t rounded = (chunk + page - 1) / page * page;
	uint64_t depth = o->buffer_size / rounded;

	return depth < 2 ? 2 : (unsigned)depth; /* cli.c keeps it under TP_MAX_DEPTH */
}

/* Waits for the writer to finish the buffered data; signals still act. */
static void drain(struct reader *r)
{
	tp_handoff_close(&r->handoff);
	while (!tp_handoff_writer_done(&r->handoff))
		wait_for(r, -1, -1);
}

void tp_run(const struct tp_options *opts, struct tp_result *result)
{
	struct tp_sink sink;
	struct reader r = { .opts = opts, .sink = &sink };
	struct tp_engine engine;
	struct tp_writer writer;
	int err;

	result->status = TP_EXIT_FAILURE;
	clock_gettime(CLOCK_MONOTONIC, &r.start);
	tp_report_set_name(opts->name);
	r.total = expected_total(opts);

	err = tp_signals_init();
	if (err) {
		tp_report_errno("signals", err);
		return;
	}
	err = tp_sink_open(&sink, opts->output, opts->append);
	if (err) {
		tp_report_errno(sink.name ? sink.name : opts->output, err);
		return;
	}
	size_t chunk = choose_chunk(opts);
	unsigned depth = choose_depth(opts, chunk);
	err = tp_handoff_init(&r.handoff, chunk, depth, 0);
	if (err) {
		tp_report_errno("buffer", err);
		goto close_sink;
	}
	err = tp_engine_init(&engine, opts->engine, &sink, &r.counters, depth);
	if (err == -ENOTSUP && opts->engine == TP_ENGINE_URING) {
		tp_report("io_uring", "not built in (configured --without-liburing)");
		goto free_ring;
	} else if (err) {
		tp_report_errno(opts->engine == TP_ENGINE_URING ? "io_uring" : "engine", err);
		goto free_ring;
	}
	err = tp_writer_start(&writer, &r.handoff, &engine);
	if (err) {
		tp_report_errno("writer thread", err);
		goto exit_engine;
	}

	int in_status = read_inputs(&r);
	drain(&r);
	err = tp_writer_join(&writer);

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
	tp_engine_exit(&engine);
free_ring:
	tp_handoff_destroy(&r.handoff);
close_sink:
	tp_sink_close(&sink);
}
