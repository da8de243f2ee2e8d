/* The reader: the main thread's loop. It fills chunks from the inputs in order and hands them
 * to the writer; every wait (for input, for a free chunk, for the writer to finish) is one
 * ppoll() that also lets signals in, so SIGINT, SIGTERM and SIGUSR1 act at once. */
#include "config.h"
#include "run.h"
#include "engine_choose.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/random.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "fdutil.h"
#include "handoff.h"
#include "reader.h"
#include "monitor.h"
#include "netaddr.h"
#include "pipes.h"
#include "report.h"
#include "signals.h"
#include "sink.h"
#include "source.h"
#include "stats.h"
#include "tune.h"
#include "writer.h"


bool tp_reader_wait(struct tp_reader *r, int fd, int timeout_ms)
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

int tp_reader_drain_ms(struct tp_reader *r)
{
	if (!tp_signals_stop_requested())
		return -1;
	if (!r->drain_deadline)
		r->drain_deadline = tp_clock_ns() + r->opts->drain_timeout_ns;
	return tp_reader_ms_until(r->drain_deadline);
}

bool tp_reader_must_stop(struct tp_reader *r)
{
	return tp_signals_stop_requested() || tp_handoff_writer_done(&r->handoff) ||
	       (r->opts->stop_at_size && r->offset >= r->opts->size);
}

bool tp_reader_get_chunk(struct tp_reader *r)
{
	while (!r->chunk) {
		if (tp_signals_stop_requested() || tp_handoff_writer_done(&r->handoff))
			return false;
		r->chunk = tp_handoff_get_free(&r->handoff);
		if (r->chunk) {
			r->chunk->len = 0;
			r->chunk->offset = r->out_offset;
			break;
		}
		/* The ring is full: the output is the bottleneck. */
		uint64_t t0 = tp_clock_ns();
		tp_reader_wait(r, -1, -1);
		tp_counter_add(&r->counters.reader_wait_ns, tp_clock_ns() - t0);
	}
	return true;
}

void tp_reader_hand_over(struct tp_reader *r)
{
	r->out_offset += r->chunk->len;
	r->chunk->stream_end = r->offset;
	tp_handoff_put(&r->handoff, r->chunk);
	r->chunk = NULL;
}

ssize_t tp_reader_read(struct tp_reader *r, struct tp_source *src, unsigned char *buf, size_t len)
{
	if (!src->datagram)
		return tp_source_read(src, buf, len);
	if (!r->stage_len) {
		/* A datagram read must have room for the largest, or its tail would be lost. */
		if (len >= TP_DATAGRAM_ROOM)
			return tp_source_read(src, buf, len);
		ssize_t n = tp_source_read(src, r->stage, TP_DATAGRAM_ROOM);
		if (n <= 0)
			return n;
		r->stage_len = (size_t)n;
		r->stage_off = 0;
	}
	return (ssize_t)tp_reader_take_staged(r, buf, len);
}

size_t tp_reader_take_staged(struct tp_reader *r, unsigned char *buf, size_t len)
{
	size_t n = tp_reader_staged(r) < len ? tp_reader_staged(r) : len;

	memcpy(buf, r->stage + r->stage_off, n);
	tp_reader_unstage(r, n);
	return n;
}

/* Where the next bytes go in the chunk, and how many; 0 when it is full. */
static size_t fill_room(struct tp_reader *r, unsigned char **at)
{
	if (r->framer)
		return tp_framer_room(r->framer, r->chunk, at);
	*at = r->chunk->data + r->chunk->len;
	return r->chunk->cap - r->chunk->len;
}

static void fill_add(struct tp_reader *r, size_t n)
{
	if (r->framer)
		tp_framer_add(r->framer, r->chunk, n);
	else
		r->chunk->len += n;
	r->offset += n;
}

/* The chunk holds data to send; the framer's open frame is sealed first. */
static bool fill_pending(struct tp_reader *r)
{
	return r->chunk && (r->framer ? tp_framer_pending(r->framer, r->chunk) : r->chunk->len > 0);
}

static void fill_flush(struct tp_reader *r)
{
	if (r->framer)
		tp_framer_flush(r->framer, r->chunk);
	tp_reader_hand_over(r);
}

int tp_reader_ms_until(uint64_t deadline_ns)
{
	uint64_t now = tp_clock_ns();

	if (deadline_ns == UINT64_MAX)
		return -1;
	if (now >= deadline_ns)
		return 0;
	uint64_t ms = (deadline_ns - now + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

void tp_reader_say_idle(const struct tp_source *src, uint64_t idle_ns, bool quiet)
{
	char why[128];

	snprintf(why, sizeof(why), "no data for %.3g s: taken as its end%s", (double)idle_ns / 1e9,
		 quiet ? " (the default wait for a framed input with no end of its own; "
			 "--idle-timeout sets it)" : " (--idle-timeout)");
	tp_report(src->name, why);
}

/* ms until --idle-timeout runs out since the last data (-1: no timeout). */
static int idle_wait_ms(const struct tp_reader *r, uint64_t last_ns)
{
	uint64_t idle = r->opts->idle_timeout_ns;

	return tp_reader_ms_until(idle ? last_ns + idle : UINT64_MAX);
}

/* Reads one input to its end into chunks. Returns TP_PUMP_EOF, TP_PUMP_STOP, or -errno. */
static int pump(struct tp_reader *r, struct tp_source *src)
{
	uint64_t last_ns = tp_clock_ns();
	unsigned again = 0;

	for (;;) {
		if (tp_reader_must_stop(r) || !tp_reader_get_chunk(r))
			return TP_PUMP_STOP;
		if (again) {
			again--; /* the last datagram may not have been the last one there */
		} else if (src->pollable && !r->stage_len) {
			/* Holding data: only look. Data that trickles in goes out at once and never
			 * waits for a chunk to fill, unless the writer is busy with older chunks:
			 * then the chunk fills on until it wakes us (tp_handoff_writer_has_work). */
			bool holding = fill_pending(r) && !tp_handoff_writer_has_work(&r->handoff);
			if (!tp_reader_wait(r, src->fd, holding ? 0 : idle_wait_ms(r, last_ns))) {
				if (holding)
					fill_flush(r);
				else if (r->opts->idle_timeout_ns && idle_wait_ms(r, last_ns) == 0) {
					/* --idle-timeout: as good as the end */
					tp_reader_say_idle(src, r->opts->idle_timeout_ns, false);
					return TP_PUMP_EOF;
				}
				continue;
			}
		} else {
			/* A file never makes us wait, so signals are let in here, between reads. */
			tp_reader_wait(r, -1, 0);
		}

		ssize_t n;
		if (r->framer && src->ops->readv && !r->opts->stop_at_size) {
			/* -F: one readv() fills as many frames as the chunk holds. */
			struct iovec iov[TP_READ_FRAMES];
			int cnt = tp_framer_iov(r->framer, r->chunk, iov, TP_READ_FRAMES);
			if (cnt == 0) {
				tp_reader_hand_over(r);
				continue;
			}
			n = src->ops->readv(src, iov, cnt);
		} else {
			unsigned char *at;
			size_t room = fill_room(r, &at);
			if (room == 0) {
				tp_reader_hand_over(r);
				continue;
			}
			if (r->opts->stop_at_size && r->opts->size - r->offset < room)
				room = (size_t)(r->opts->size - r->offset);
			if (r->chunk->pipe_wr >= 0)
				n = tp_reader_splice(r, src, room);
			else
				n = tp_reader_read(r, src, at, room);
		}
		if (n == -ENOSPC && r->chunk->pipe_wr >= 0) { /* the chunk's pipe has no slot left */
			tp_reader_hand_over(r);
			continue;
		}
		if (n == -EAGAIN) {
			again = 0;
			continue;
		}
		if (src->datagram && n > 0 && !again)
			again = TP_READ_AGAIN;
		if (n <= 0)
			return (int)n;
		last_ns = tp_clock_ns();
		fill_add(r, (size_t)n);
		if (!r->framer && r->chunk->len == r->chunk->cap)
			tp_reader_hand_over(r);
	}
}

/* -F: after the last input, the open frame and three END frames. */
static void end_frames(struct tp_reader *r)
{
	for (int i = 0; i < TP_FRAMER_END_FRAMES;) {
		if (!tp_reader_get_chunk(r))
			return; /* told to stop: the receiver will say the stream ended early */
		if (tp_framer_end(r->framer, r->chunk) == 0)
			i++;
		else
			tp_reader_hand_over(r);
	}
}

/* Why reading src would never end, or NULL: it is the file we write to (`tpipe f >> f`;
 * cat refuses it too), or the udp:// address our datagrams go to. */
static const char *input_is_output(const struct tp_reader *r, const struct tp_source *src)
{
	struct stat st;

	if (r->sink->ino && fstat(src->fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_dev == r->sink->dev && st.st_ino == r->sink->ino)
		return "input file is output file";
	if (src->addr_len && r->sink->addr_len &&
	    tp_netaddr_loops((const struct sockaddr *)&src->addr, (const struct sockaddr *)&r->sink->addr))
		return "input is the output: every datagram would come back in, for ever";
	return NULL;
}

/* Reads every input in order, like cat: a missing or unreadable one is reported and skipped. */
static int read_inputs(struct tp_reader *r)
{
	int status = TP_EXIT_OK;

	for (int i = 0; i < r->opts->n_inputs; i++) {
		struct tp_source src;
		const char *why = NULL;
		int rc;
		do { /* opening a FIFO waits for its writer: signals must act meanwhile */
			tp_signals_let_in(true);
			rc = tp_source_open(&src, r->opts->inputs[i], r->opts->baud, r->opts->flow);
			tp_signals_let_in(false);
			tp_monitor_poll(&r->monitor);
		} while (rc == -EINTR && !tp_signals_stop_requested());
		if (rc == -EINTR)
			rc = TP_PUMP_STOP;
		if (rc == 0 && r->opts->explain && src.local[0])
			fprintf(stderr, "tpipe: input: listening on %s\n", src.local);
		if (rc == 0) {
			why = input_is_output(r, &src);
			if (!why)
				rc = r->opts->deframe ? tp_rx_pump(r, &src) : pump(r, &src);
			r->kernel_drops += src.kernel_drops;
			tp_source_close(&src);
		}
		if (rc < 0 || why) {
			if (why || src.why)
				tp_report(src.name ? src.name : r->opts->inputs[i], why ? why : src.why);
			else
				tp_report_errno(src.name ? src.name : r->opts->inputs[i], rc);
			status = TP_EXIT_FAILURE;
		}
		if (rc == TP_PUMP_STOP)
			break;
	}
	if (r->opts->deframe) {
		if (tp_rx_finish(r) < 0)
			status = TP_EXIT_FAILURE;
	} else if (!r->framer) {
		tp_reader_flush_stage(r);
	} else {
		if (fill_pending(r))
			tp_framer_flush(r->framer, r->chunk);
		end_frames(r);
	}
	if (r->chunk && r->chunk->len)
		tp_reader_hand_over(r);
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

/* Waits for the writer to finish the buffered data; signals still act. After SIGINT or
 * SIGTERM, for --drain-timeout at most: then the writer gives up (a slow line at 50 baud would
 * take minutes), prodded until it has. */
static void drain(struct tp_reader *r, struct tp_writer *w)
{
	tp_handoff_close(&r->handoff);
	while (!tp_handoff_writer_done(&r->handoff)) {
		int ms = tp_reader_drain_ms(r);
		if (ms == 0) {
			tp_writer_abandon(w);
			ms = 20;
		}
		tp_reader_wait(r, -1, ms);
	}
}

/* After a stop whose drain ran out of time: how much of what was read (with -D: verified,
 * or zeros for a gap) never went out. */
static void say_unwritten(const struct tp_reader *r, const struct tp_sink *sink)
{
	const struct tp_counters *c = &r->counters;
	uint64_t in = r->offset + tp_reader_staged(r);
	uint64_t out = tp_counter_get(r->opts->frame ? &c->stream_out : &c->bytes_out);
	/* Bytes a serial line discarded from its queue were counted as written; with -F they
	 * are frames, not input bytes, and said as such. */
	uint64_t lost = (in > out ? in - out : 0) + (r->opts->frame ? 0 : sink->unsent);
	char why[256], frames[80] = "";

	if (r->opts->frame && sink->unsent)
		snprintf(frames, sizeof(frames), " (and %llu bytes of frames dropped from the line's "
			 "queue)", (unsigned long long)sink->unsent);
	snprintf(why, sizeof(why), "%llu bytes were not written%s: the output took longer than "
		 "--drain-timeout (%.3g s) to take what was buffered", (unsigned long long)lost,
		 frames, (double)r->opts->drain_timeout_ns / 1e9);
	tp_report(sink->name, why);
}

/* A random session id: a receiver sees a restarted sender by its new id. */
static uint32_t new_session(void)
{
	uint32_t id = 0;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint32_t)tp_clock_ns() ^ (uint32_t)getpid() << 16;
	return id;
}

/* What META announces: the name (-N, or the first input file's), the total if known. */
static void meta_for(const struct tp_options *o, const struct tp_tuning *t,
		     struct tp_frame_meta *m)
{
	const char *name = o->name;
	uint64_t total = expected_total(o);

	if (!name && strcmp(o->inputs[0], "-") != 0 && strncmp(o->inputs[0], "udp://", 6) != 0) {
		const char *slash = strrchr(o->inputs[0], '/');
		name = slash ? slash + 1 : o->inputs[0];
	}
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name ? name : "");
	m->total = total ? total : TP_FRAME_TOTAL_UNKNOWN;
	m->frame_size = (uint32_t)t->frame_size;
	m->repeat = (uint16_t)o->repeat;
}

/* The ring: a ring of pipes (tuned for it) when the splice path may be taken and the kernel
 * grants the pipes, which sets *splice_err when it does not; otherwise chunks in memory, as
 * tuned for them. A ring too deep for pipes sets *no_splice. 0 or -errno. */
static int set_up_ring(const struct tp_options *o, const char **no_splice, struct tp_handoff *h,
		       struct tp_tuning *t, int *splice_err)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	struct tp_tuning st = *t;

	if (!*no_splice) {
		tp_tune_splice(o, (size_t)tp_fd_pipe_max_size(), page, &st);
		if (st.depth > TP_SPLICE_MAX_PIPES)
			*no_splice = "over " TP_STR(TP_SPLICE_MAX_PIPES) " chunks; a pipe for each is "
				     "too many";
	}
	if (!*no_splice) {
		int err = tp_handoff_init(h, st.chunk, st.depth, 0);
		if (err)
			return err;
		*splice_err = tp_pipes_attach(&h->ring, st.chunk);
		if (!*splice_err) {
			*t = st;
			return 0;
		}
		tp_handoff_destroy(h);
	}
	return tp_handoff_init(h, t->chunk, t->depth, 0);
}

static bool udp_input(const struct tp_options *o)
{
	for (int i = 0; i < o->n_inputs; i++)
		if (strncmp(o->inputs[i], "udp://", 6) == 0)
			return true;
	return false;
}

void tp_run(const struct tp_options *opts, struct tp_result *result)
{
	struct tp_sink sink;
	struct tp_reader r = { .opts = opts, .sink = &sink };
	struct tp_tuning tuning;
	struct tp_engine engine;
	struct tp_writer writer;
	struct tp_framer framer;
	char why[192];
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
		err = tp_sink_open(&sink, opts->output, &(struct tp_sink_params){
			.append = opts->append, .baud = opts->baud, .flow = opts->flow,
			.inputs = opts->inputs, .n_inputs = opts->n_inputs });
		tp_signals_let_in(false);
	} while (err == -EINTR && !tp_signals_stop_requested());
	if (err == -EINTR) {
		result->status = 128 + tp_signals_stop_requested();
		return;
	} else if (err) {
		if (sink.why)
			tp_report(sink.name ? sink.name : opts->output, sink.why);
		else
			tp_report_errno(sink.name ? sink.name : opts->output, err);
		return;
	}
	if (sink.flags & TP_SINK_SERIAL)
		tp_tune_serial(opts, sink.flags, sink.baud, (size_t)sysconf(_SC_PAGESIZE), &tuning);
	else
		tp_tune(opts, sink.flags, (size_t)sysconf(_SC_PAGESIZE), &tuning);
	if (opts->frame) {
		struct tp_frame_meta meta;
		meta_for(opts, &tuning, &meta);
		tp_framer_init(&framer, !(sink.flags & TP_SINK_DGRAM), tuning.frame_size,
			       new_session(), tuning.meta_every, &meta);
		r.framer = &framer;
	}
	r.stage = malloc(TP_DATAGRAM_ROOM);
	if (!r.stage || (opts->deframe && (err = tp_rx_init(&r)) < 0)) {
		tp_report_errno("buffer", r.stage ? err : -ENOMEM);
		goto close_sink;
	}
	struct tp_engine_choice choice = {
		.asked = opts->engine, .bytes_touched = opts->frame || opts->deframe,
		.datagram_input = udp_input(opts), .sink_flags = sink.flags,
	};
	const char *no_splice = tp_engine_splice_refusal(&choice);
	int splice_err = 0;
	err = set_up_ring(opts, &no_splice, &r.handoff, &tuning, &splice_err);
	if (err) {
		tp_report_errno("buffer", err);
		goto close_sink;
	}
	if (opts->engine == TP_ENGINE_SPLICE && (no_splice || splice_err)) {
		if (no_splice)
			tp_report("--engine=splice", no_splice);
		else
			tp_report_errno("--engine=splice: pipes", splice_err);
		goto free_ring;
	}
	err = tp_engine_init(&engine, &(struct tp_engine_params){
		.kind = tp_engine_kind_for(&choice, no_splice, splice_err), .sink = &sink,
		.counters = &r.counters, .depth = tuning.depth,
		.dgram_size = tuning.frame_size, .dgram_framed = opts->frame });
	if (err == -ENOTSUP && opts->engine == TP_ENGINE_URING) {
		tp_report("io_uring", "not built in (configured --without-liburing)");
		goto free_ring;
	} else if (err) {
		tp_report_errno(opts->engine == TP_ENGINE_URING ? "io_uring" : "engine", err);
		goto free_ring;
	}
	/* Progress counts the stream (-F: the payload sent, not its frames), so its total is
	 * the input's; with -D, --size or META's total (rx.c), not the framed input's size. */
	tp_monitor_init(&r.monitor, opts, &r.counters, &r.handoff,
			!opts->deframe ? expected_total(opts) : opts->size_set ? opts->size : 0);
	r.monitor.rx = opts->deframe ? &r.rx : NULL;
	r.monitor.udp_out = sink.flags & TP_SINK_DGRAM;
	r.monitor.sink_name = sink.name;
	if (choice.datagram_input)
		r.monitor.kernel_drops = &r.kernel_drops;
	if (opts->explain) {
		tp_engine_explain(&choice, &engine, tuning.depth, no_splice, splice_err, why, sizeof(why));
		tp_monitor_explain(&r.monitor, &tuning, engine.ops->name, why);
	}
	err = tp_writer_start(&writer, &(struct tp_writer_params){
		.handoff = &r.handoff, .engine = &engine, .counters = &r.counters,
		.rate = tuning.rate, .burst = tuning.burst, .repeat = opts->repeat });
	if (err) {
		tp_report_errno("writer thread", err);
		goto exit_engine;
	}

	int in_status = read_inputs(&r);
	drain(&r, &writer);
	err = tp_writer_join(&writer);
	/* Before the last progress line and the statistics: a serial line drains, a udp://
	 * destination may turn out to have refused the end. */
	int finish_err = err && err != -ECANCELED ? 0 :
			 tp_sink_finish(&sink, r.drain_deadline, opts->drain_timeout_ns);
	r.monitor.refused_at_end = finish_err == -ECONNREFUSED;
	tp_monitor_finish(&r.monitor, &tuning, engine.ops->name);

	if (err == -EPIPE) {
		result->status = TP_EXIT_SIGPIPE; /* silent, as cat is under SIGPIPE */
	} else if (err == -ECANCELED || sink.unsent) {
		say_unwritten(&r, &sink); /* the status is the signal's */
	} else if (err) {
		tp_report_errno(sink.name, err);
	} else if (finish_err && sink.why) {
		unsigned long long n = tp_counter_get(&r.counters.refused) + 1; /* and the last */
		snprintf(why, sizeof(why), "%s (%llu refusal%s in all)", sink.why, n, n == 1 ? "" : "s");
		tp_report(sink.name, why);
	} else if (finish_err) {
		tp_report_errno(sink.name, finish_err);
	} else {
		result->status = in_status;
	}
	if (result->status == TP_EXIT_OK && r.rx_incomplete)
		result->status = TP_EXIT_UNVERIFIED;
	if (tp_signals_stop_requested())
		result->status = 128 + tp_signals_stop_requested();
exit_engine:
	tp_monitor_destroy(&r.monitor);
	tp_engine_exit(&engine);
free_ring:
	tp_handoff_destroy(&r.handoff);
close_sink:
	if (opts->deframe)
		tp_rx_destroy(&r);
	free(r.stage);
	/* Some file systems report a failed write-back only here (NFS, quotas). */
	err = tp_sink_close(&sink);
	if (err && result->status == TP_EXIT_OK) {
		tp_report_errno(sink.name, err);
		result->status = TP_EXIT_FAILURE;
	}
}
