/* One transfer: opens the output, sets up the ring, the engine and the writer thread, reads
 * the inputs (inputs.c), waits for the writer to drain, and turns how it ended into the exit
 * status. Every wait is one ppoll() that also lets signals in (reader.h), so SIGINT, SIGTERM
 * and SIGUSR1 act at once. */
#include "config.h"
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include "ctl_server.h"
#include "engine_choose.h"
#include "fdutil.h"
#include "format.h"
#include "inputs.h"
#include "lines.h"
#include "pipes.h"
#include "pump.h"
#include "reader.h"
#include "report.h"
#include "signals.h"
#include "tune.h"
#include "writer.h"

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
static void say_unwritten(const struct tp_options *o, const struct tp_reader *r,
			  const struct tp_sink *sink)
{
	const struct tp_counters *c = &r->counters;
	uint64_t in = r->offset + tp_reader_staged(r);
	uint64_t out = tp_counter_get(o->frame ? &c->stream_out : &c->bytes_out);
	/* Bytes a serial line discarded from its queue were counted as written; with -F they
	 * are frames, not input bytes, and said as such. */
	uint64_t lost = (in > out ? in - out : 0) + (o->frame ? 0 : sink->unsent);
	char why[256], frames[80] = "";

	if (o->frame && sink->unsent)
		snprintf(frames, sizeof(frames), " (and %llu bytes of frames dropped from the line's "
			 "queue)", (unsigned long long)sink->unsent);
	snprintf(why, sizeof(why), "%llu bytes were not written%s: the output took longer than "
		 "--drain-timeout (%.3g s) to take what was buffered", (unsigned long long)lost,
		 frames, (double)o->drain_timeout_ns / 1e9);
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
	uint64_t total = tp_inputs_total(o->inputs, o->n_inputs, o->size);

	if (!name && strcmp(o->inputs[0], "-") != 0 && strncmp(o->inputs[0], "udp://", 6) != 0 &&
	    strncmp(o->inputs[0], "tcp://", 6) != 0) {
		const char *slash = strrchr(o->inputs[0], '/');
		name = slash ? slash + 1 : o->inputs[0];
	}
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name ? name : "");
	m->total = total ? total : TP_FRAME_TOTAL_UNKNOWN;
	m->frame_size = (uint32_t)t->frame_size;
	m->repeat = (uint16_t)o->repeat;
}

/* A progress line that shows the data (%A, %L) needs it in memory: no splice then. */
static bool wants_tail(const struct tp_options *o)
{
	struct tp_format f;
	char why[160];

	if (o->format && tp_format_parse(&f, o->format, why, sizeof(why)) == 0)
		return f.last_len || f.uses_line;
	return (o->display & TP_DISPLAY_LAST) != 0;
}

static bool udp_input(const struct tp_options *o)
{
	for (int i = 0; i < o->n_inputs; i++)
		if (strncmp(o->inputs[i], "udp://", 6) == 0)
			return true;
	return false;
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

/* Opens the output; a FIFO waits for its reader, so signals act meanwhile. 0 or -errno,
 * said (-EINTR: a signal came first, the status is its). */
static int open_sink(const struct tp_options *opts, struct tp_sink *sink, struct tp_result *result)
{
	int err;

	do {
		tp_signals_let_in(true);
		err = tp_sink_open(sink, opts->output, &(struct tp_sink_params){
			.append = opts->append, .baud = opts->baud, .flow = opts->flow,
			.inputs = opts->inputs, .n_inputs = opts->n_inputs,
			.connect_timeout_ns = opts->connect_timeout_ns });
		tp_signals_let_in(false);
	} while (err == -EINTR && !tp_signals_stop_requested());
	if (err == -EINTR)
		result->status = 128 + tp_signals_stop_requested();
	else if (err && sink->why)
		tp_report(sink->name ? sink->name : opts->output, sink->why);
	else if (err)
		tp_report_errno(sink->name ? sink->name : opts->output, err);
	return err;
}

/* How the transfer ended, from the writer's error (err), the sink's finish, and the inputs'
 * status. */
static int exit_status(const struct tp_options *opts, struct tp_reader *r, struct tp_sink *sink,
		       int err, int finish_err, int in_status)
{
	char why[192];
	int status = TP_EXIT_FAILURE;

	if (err == -EPIPE && (sink->flags & TP_SINK_STREAM)) {
		/* A network receiver that went away is a failed transfer, not a closed pipe. */
		tp_report(sink->name, "Broken pipe: the receiver closed the connection");
	} else if (err == -EPIPE) {
		status = TP_EXIT_SIGPIPE; /* silent, as cat is under SIGPIPE */
	} else if (err == -ECANCELED || sink->unsent) {
		say_unwritten(opts, r, sink); /* the status is the signal's */
	} else if (err) {
		tp_report_errno(sink->name, err);
	} else if (finish_err && sink->why) {
		unsigned long long n = tp_counter_get(&r->counters.refused) + 1; /* and the last */
		snprintf(why, sizeof(why), "%s (%llu refusal%s in all)", sink->why, n, n == 1 ? "" : "s");
		tp_report(sink->name, why);
	} else if (finish_err) {
		tp_report_errno(sink->name, finish_err);
	} else {
		status = in_status ? TP_EXIT_FAILURE : TP_EXIT_OK;
	}
	if (status == TP_EXIT_OK && r->rx_incomplete)
		status = TP_EXIT_UNVERIFIED;
	if (tp_signals_stop_requested())
		status = 128 + tp_signals_stop_requested();
	return status;
}

void tp_run(const struct tp_options *opts, struct tp_result *result)
{
	struct tp_sink sink;
	struct tp_reader r = { .p = {
		/* -S: bytes, or with -l lines (0 lines: 0 bytes, as line_limit 0 is none). */
		.limit = opts->stop_at_size && (!opts->line_mode || !opts->size) ? opts->size
			 : UINT64_MAX,
		.line_limit = opts->stop_at_size && opts->line_mode ? opts->size : 0,
		.line_end = tp_lines_terminator(opts->null_lines),
		.idle_timeout_ns = opts->idle_timeout_ns,
		.drain_timeout_ns = opts->drain_timeout_ns,
	} };
	struct tp_tuning tuning;
	struct tp_engine engine;
	struct tp_writer writer;
	struct tp_framer framer;
	char why[192];
	int err;

	result->status = TP_EXIT_FAILURE;
	r.counters.write_ns_min = UINT64_MAX;
	unsigned char line_end = tp_lines_terminator(opts->null_lines);
	tp_report_set_name(opts->name);

	err = tp_signals_init();
	if (err) {
		tp_report_errno("signals", err);
		return;
	}
	if (open_sink(opts, &sink, result))
		return;
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
	if (!r.stage || (opts->deframe && (err = tp_rx_init(&r, &(struct tp_rx_params){
			.on_gap = opts->on_gap, .quiet_default = !opts->idle_timeout_set })) < 0)) {
		tp_report_errno("buffer", r.stage ? err : -ENOMEM);
		goto close_sink;
	}
	/* Line mode counts lines in the bytes as they are written (and cuts at the N-th with
	 * -S, paces by them with -L), so the bytes must pass through memory: the splice path
	 * moves them from pipe to pipe without tpipe ever seeing them. */
	struct tp_engine_choice choice = {
		.asked = opts->engine, .bytes_touched = opts->frame || opts->deframe ||
						     wants_tail(opts),
		.lines_counted = opts->line_mode,
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
		.dgram_size = tuning.frame_size, .dgram_framed = opts->frame,
		.count_lines = opts->line_mode, .line_end = line_end });
	if (err == -ENOTSUP && opts->engine == TP_ENGINE_URING) {
		tp_report("io_uring", "not built in (configured --without-liburing)");
		goto free_ring;
	} else if (err) {
		tp_report_errno(opts->engine == TP_ENGINE_URING ? "io_uring" : "engine", err);
		goto free_ring;
	}
	/* The last bytes written, for %A and %L asked for at the start (a -R that asks for them
	 * later shows them empty): kept only then, the copy is not free on small chunks. */
	static struct tp_tail tail_store;
	struct tp_tail *tail = wants_tail(opts) && r.handoff.ring.chunks[0].pipe_rd < 0
			       ? &tail_store : NULL;
	/* Progress counts the stream (-F: the payload sent, not its frames), so its total is
	 * the input's; with -D, --size or META's total (rx.c), not the framed input's size;
	 * with -l, lines: --size alone (the files' sizes are bytes). */
	tp_monitor_init(&r.monitor, &(struct tp_monitor_params){
		.opts = opts, .counters = &r.counters, .handoff = &r.handoff,
		.total = !opts->deframe && !opts->line_mode
			 ? tp_inputs_total(opts->inputs, opts->n_inputs, opts->size)
			 : opts->size_set ? opts->size : 0,
		.rx = opts->deframe ? &r.rx : NULL,
		.kernel_drops = choice.datagram_input ? &r.kernel_drops : NULL,
		.udp_out = sink.flags & TP_SINK_DGRAM, .sink_name = sink.name, .tail = tail });
	if (opts->explain) {
		tp_engine_explain(&choice, &engine, tuning.depth, no_splice, splice_err, why, sizeof(why));
		tp_monitor_explain(&r.monitor, &tuning, engine.ops->name, why);
	}
	err = tp_writer_start(&writer, &(struct tp_writer_params){
		.handoff = &r.handoff, .engine = &engine, .counters = &r.counters,
		.rate = tuning.rate, .burst = tuning.burst, .repeat = opts->repeat,
		.tail = tail, .line_end = line_end, .pace_lines = tuning.rate_lines });
	if (err) {
		tp_report_errno("writer thread", err);
		goto exit_engine;
	}

	/* -R and -Q from other tpipes, answered in the reader's waits until the drain is over. */
	struct tp_ctl_server ctl;
	tp_ctl_server_open(&ctl, &(struct tp_ctl_target){
		.opts = opts, .monitor = &r.monitor, .writer = &writer, .tuning = &tuning,
		.sink_flags = sink.flags, .page = (size_t)sysconf(_SC_PAGESIZE) });
	r.ctl = &ctl;

	int in_status = tp_inputs_read(&r, &(struct tp_inputs){
		.names = opts->inputs, .n = opts->n_inputs,
		.source = { .baud = opts->baud, .flow = opts->flow },
		.skip_errors = opts->skip_errors,
		.deframe = opts->deframe, .explain = opts->explain, .sink = &sink });
	drain(&r, &writer);
	r.ctl = NULL;
	tp_ctl_server_close(&ctl);
	err = tp_writer_join(&writer);
	/* Before the last progress line and the statistics: a serial line drains, a udp://
	 * destination may turn out to have refused the end. */
	int finish_err = err && err != -ECANCELED ? 0 :
			 tp_sink_finish(&sink, r.drain_deadline, opts->drain_timeout_ns);
	tp_monitor_finish(&r.monitor, &tuning, engine.ops->name, finish_err == -ECONNREFUSED);
	result->status = exit_status(opts, &r, &sink, err, finish_err, in_status);
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
