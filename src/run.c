/* One transfer: opens the output, sets up the ring, the engine and the writer thread, reads
 * the inputs (inputs.c), waits for the writer to drain, and turns how it ended into the exit
 * status. Every wait is one ppoll() that also lets signals in (reader.h), so SIGINT, SIGTERM
 * and SIGUSR1 act at once. */
#include "config.h"
#include "run.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>
#include <sodium.h>
#include "ctl_server.h"
#include "engine_choose.h"
#include "fdutil.h"
#include "format.h"
#include "inputs.h"
#include "keyfile.h"
#include "lines.h"
#include "outputs.h"
#include "pipes.h"
#include "pump.h"
#include "reader.h"
#include "report.h"
#include "seal.h"
#include "signals.h"
#include "tune.h"
#include "writer.h"

/* Waits for the writer to finish the buffered data; signals still act. After SIGINT or
 * SIGTERM, for --drain-timeout at most: then the writer gives up (a slow line at 50 baud would
 * take minutes), prodded until it has. */
static void drain(struct tp_reader *r, struct tp_outputs *outs)
{
	tp_handoff_close(&r->handoff);
	while (!tp_handoff_writer_done(&r->handoff)) {
		int ms = tp_reader_drain_ms(r);
		if (ms == 0) {
			for (unsigned i = 0; i < outs->n; i++)
				if (outs->o[i].started &&
				    !tp_handoff_output_done(&r->handoff, i))
					tp_writer_abandon(&outs->o[i].writer);
			ms = 20;
		}
		tp_reader_wait(r, -1, ms);
	}
}

/* After a stop whose drain ran out of time: how much of what was read (with -D: verified,
 * or zeros for a gap) never went out. */
static void say_unwritten(const struct tp_options *o, const struct tp_reader *r,
			  const struct tp_sink *sink, const struct tp_counters *c)
{
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
	if (o->fec_k) {
		m->fec_k = (uint16_t)o->fec_k;
		m->fec_m = (uint16_t)o->fec_m;
		m->fec_depth = (uint16_t)t->fec_depth;
	}
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

/* Opens an output; a FIFO waits for its reader, so signals act meanwhile. 0 or -errno
 * (-EINTR: a signal came first, the status is its). Not said: see say_open_error. */
static int open_sink(const struct tp_options *opts, const char *dest, struct tp_sink *sink,
		     struct tp_result *result)
{
	int err;

	do {
		tp_signals_let_in(true);
		err = tp_sink_open(sink, dest, &(struct tp_sink_params){
			.append = opts->append, .baud = opts->baud, .flow = opts->flow,
			.inputs = opts->inputs, .n_inputs = opts->n_inputs,
			.connect_timeout_ns = opts->connect_timeout_ns });
		tp_signals_let_in(false);
	} while (err == -EINTR && !tp_signals_stop_requested());
	if (err == -EINTR)
		result->status = 128 + tp_signals_stop_requested();
	return err;
}

/* Says why an output could not be opened; `more`: what happens next (several outputs). */
static void say_open_error(const struct tp_sink *sink, const char *dest, int err, const char *more)
{
	char why[256];
	const char *name = sink->name ? sink->name : dest;

	snprintf(why, sizeof(why), "%s%s", sink->why ? sink->why : strerror(-err), more);
	tp_report(name, why);
}

/* What became of one output, said when it failed (a stall was said when it happened, a
 * closed pipe is silent when it is the only output): 0 when it wrote everything, else -1, or
 * -EPIPE when its reader went away. */
static int output_end(const struct tp_options *opts, struct tp_reader *r, struct tp_output *o,
		      unsigned n_outputs)
{
	struct tp_sink *sink = &o->sink;
	char why[192];
	int err = o->error;

	if (o->failed || o->stalled || o->said)
		return -1; /* could not be opened, stalled, or failed while others went on: said */
	if (err == -EPIPE && (sink->flags & TP_SINK_STREAM)) {
		/* A network receiver that went away is a failed transfer, not a closed pipe. */
		tp_report(sink->name, "Broken pipe: the receiver closed the connection");
		return -1;
	}
	if (err == -EPIPE && n_outputs == 1)
		return -EPIPE; /* silent, as cat is under SIGPIPE */
	if (err == -ECANCELED || sink->unsent) {
		say_unwritten(opts, r, sink, o->counters); /* the status is the signal's */
		return -1;
	}
	if (err) {
		tp_report_errno(sink->name, err);
		return -1;
	}
	if (o->finish_err && sink->why) {
		unsigned long long n = tp_counter_get(&o->counters->refused) + 1; /* and the last */
		snprintf(why, sizeof(why), "%s (%llu refusal%s in all)", sink->why, n, n == 1 ? "" : "s");
		tp_report(sink->name, why);
		return -1;
	}
	if (o->finish_err) {
		tp_report_errno(sink->name, o->finish_err);
		return -1;
	}
	return 0;
}

/* How the transfer ended, from each output's end and the inputs' status. */
static int exit_status(const struct tp_options *opts, struct tp_reader *r, struct tp_outputs *outs,
		       int in_status)
{
	int status = in_status ? TP_EXIT_FAILURE : TP_EXIT_OK;

	for (unsigned i = 0; i < outs->n; i++) {
		int end = output_end(opts, r, &outs->o[i], outs->n);
		if (end == -EPIPE)
			status = TP_EXIT_SIGPIPE;
		else if (end)
			status = TP_EXIT_FAILURE;
	}
	if (status == TP_EXIT_OK && r->rx_incomplete)
		status = TP_EXIT_UNVERIFIED;
	if (tp_signals_stop_requested())
		status = 128 + tp_signals_stop_requested();
	return status;
}

/* The output the ring and frames are tuned for: a udp:// one (datagram sizes), else the
 * slowest serial line (its pace), else the first. */
static struct tp_output *lead_output(struct tp_outputs *outs)
{
	struct tp_output *lead = NULL;

	for (unsigned i = 0; i < outs->n; i++) {
		struct tp_output *o = &outs->o[i];
		if (!o->opened)
			continue;
		if (!lead || (o->sink.flags & TP_SINK_DGRAM && !(lead->sink.flags & TP_SINK_DGRAM)))
			lead = o;
		else if (!(lead->sink.flags & TP_SINK_DGRAM) && o->sink.flags & TP_SINK_SERIAL &&
			 (!(lead->sink.flags & TP_SINK_SERIAL) || o->sink.baud < lead->sink.baud))
			lead = o;
	}
	return lead;
}

/* With --stall-timeout, a write call carries at most this much to a pipe, socket or terminal:
 * an output that takes less in the timeout looks stalled. */
#define TP_STALL_WRITE_MAX (64u << 10)

static unsigned all_flags(const struct tp_outputs *outs)
{
	unsigned flags = 0;

	for (unsigned i = 0; i < outs->n; i++)
		flags |= outs->o[i].opened ? outs->o[i].sink.flags : 0;
	return flags;
}

/* Opens every output; with several, one that cannot be opened is said and dropped, and the
 * others go on. The number opened (0: the status is set). */
static unsigned open_outputs(const struct tp_options *opts, struct tp_outputs *outs,
			     struct tp_result *result)
{
	unsigned opened = 0;

	for (unsigned i = 0; i < outs->n; i++) {
		struct tp_output *o = &outs->o[i];
		o->dest = opts->outputs[i];
		o->counters = outs->n > 1 ? &o->own : NULL;
		int err = open_sink(opts, o->dest, &o->sink, result);
		if (err == -EINTR)
			return 0; /* a signal: its status */
		o->opened = err == 0;
		o->failed = err != 0;
		o->error = err;
		opened += o->opened;
	}
	/* Said once all were tried, so that "the others go on" is only said when some do. */
	for (unsigned i = 0; i < outs->n; i++)
		if (outs->o[i].failed)
			say_open_error(&outs->o[i].sink, outs->o[i].dest, outs->o[i].error,
				       opened ? ": dropped, the other outputs go on" : "");
	if (opened < outs->n)
		result->status = TP_EXIT_FAILURE;
	return opened;
}

/* Sets up each opened output's engine; one that cannot have one is said and dropped when
 * there are others. 0 or -1 (said; with --engine=uring unbuilt, or a single output). */
static void exit_all_engines(struct tp_outputs *outs)
{
	for (unsigned i = 0; i < outs->n; i++)
		if (outs->o[i].has_engine)
			tp_engine_exit(&outs->o[i].engine);
	for (unsigned i = 0; i < outs->n; i++)
		outs->o[i].has_engine = false;
}

/* Several outputs on the splice path: each tee engine wants a pipe as large as a chunk's (the
 * per-user pipe pages may run out). -EAGAIN (nothing set up, nothing said) when one is
 * refused: then the ring is set up in memory instead. */
static int set_up_engines(const struct tp_options *opts, struct tp_outputs *outs,
			  struct tp_engine_choice *choice, const char *no_splice, int splice_err,
			  const struct tp_tuning *tuning, struct tp_counters *counters,
			  size_t pipe_size)
{
	unsigned char line_end = tp_lines_terminator(opts->null_lines);

	for (unsigned i = 0; i < outs->n; i++) {
		struct tp_output *o = &outs->o[i];
		if (!o->opened)
			continue;
		if (!o->counters)
			o->counters = counters;
		o->own.write_ns_min = UINT64_MAX;
		choice->sink_flags = o->sink.flags;
		int err = tp_engine_init(&o->engine, &(struct tp_engine_params){
			.kind = tp_engine_kind_for(choice, no_splice, splice_err), .sink = &o->sink,
			.counters = o->counters, .depth = tuning->depth,
			.dgram_size = tuning->frame_size, .dgram_framed = opts->frame,
			.count_lines = opts->line_mode, .line_end = line_end,
			.shared_pipes = outs->n > 1,
			/* --stall-timeout: a slow reader of a pipe, socket or terminal must be seen
			 * taking bytes within a blocked chunk's write (a file's never blocks). */
			.max_write = opts->stall_timeout_ns && !(o->sink.flags & TP_SINK_SEEKABLE)
				     ? TP_STALL_WRITE_MAX : 0, .pipe_size = pipe_size });
		if (err && pipe_size && outs->n > 1 && opts->engine != TP_ENGINE_SPLICE) {
			exit_all_engines(outs);
			return -EAGAIN;
		}
		if (err == -ENOTSUP && opts->engine == TP_ENGINE_URING) {
			tp_report("io_uring", "not built in (configured --without-liburing)");
			return -1;
		} else if (err) {
			tp_report_errno(opts->engine == TP_ENGINE_URING ? "io_uring" : o->sink.name, err);
			if (outs->n == 1)
				return -1;
			o->failed = true;
			continue;
		}
		o->has_engine = true;
	}
	return 0;
}

/* --key-file: the key into a sealer (locked memory), the copy read wiped; it seals with
 * --cipher, stamped with the clock now (seal.h: the run's epoch). A receiver's opens either
 * cipher. No core dump from here on: the run keys live in OpenSSL's contexts, which
 * MADV_DONTDUMP cannot reach (aead.h). (PR_SET_DUMPABLE would do more, as in ssh-agent, but
 * it would also hand /proc/PID to root, and `tpipe -R PID` could no longer find its own
 * user's tpipe.) 0; -EINVAL for a key file that is no good or a cipher this CPU lacks
 * (said), or -errno. */
static int load_key(const struct tp_options *opts, struct tp_sealer **sealer)
{
	const char *path = opts->key_file;
	enum tp_cipher cipher = opts->deframe ? TP_CIPHER_XCHACHA20 : opts->cipher;
	unsigned char key[TP_SEAL_KEY_SIZE];
	struct timespec now;
	char why[192];
	struct rlimit no_core;
	int err = tp_seal_library_init();

	if (err) {
		tp_report("--key-file", "libsodium could not start");
		return err;
	}
	if (getrlimit(RLIMIT_CORE, &no_core) == 0) {
		no_core.rlim_cur = 0;
		(void)setrlimit(RLIMIT_CORE, &no_core);   /* lowering a soft limit cannot fail */
	}
	if (tp_key_load(path, key, why, sizeof(why)) != 0) {
		tp_report(path, why);
		err = -EINVAL;
	} else if (clock_gettime(CLOCK_REALTIME, &now),
		   (err = tp_sealer_new(sealer, key, cipher, (uint64_t)now.tv_sec * 1000000000u +
					(uint64_t)now.tv_nsec)) == -ENOTSUP) {
		tp_report("--cipher", "aes-256-gcm needs a CPU with AES-NI, which this one lacks: "
			  "use xchacha20-poly1305");
		err = -EINVAL;
	} else if (err) {
		tp_report_errno("--key-file", err);
	}
	sodium_memzero(key, sizeof(key));
	return err;
}

void tp_run(const struct tp_options *opts, struct tp_result *result)
{
	static struct tp_output out_store[TP_MAX_OUTPUTS];
	struct tp_outputs outs = { .o = out_store, .n = opts->n_outputs,
				   .stall_timeout_ns = opts->stall_timeout_ns };
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
	struct tp_framer framer;
	struct tp_fec_tx fec_tx = { 0 };
	struct tp_sealer *sealer = NULL;
	char why[192];
	int err;

	memset(out_store, 0, sizeof(out_store));
	result->status = TP_EXIT_FAILURE;
	r.counters.write_ns_min = UINT64_MAX;
	r.outputs = &outs;
	unsigned char line_end = tp_lines_terminator(opts->null_lines);
	tp_report_set_name(opts->name);

	err = tp_signals_init();
	if (err) {
		tp_report_errno("signals", err);
		return;
	}
	/* The key first: a bad one is the command line's fault, said before anything opens. */
	if (opts->key_file && (err = load_key(opts, &sealer)) != 0) {
		result->status = err == -EINVAL ? TP_EXIT_USAGE : TP_EXIT_FAILURE;
		goto close_sinks;
	}
	if (open_outputs(opts, &outs, result) == 0)
		goto close_sinks;
	struct tp_sink *lead = &lead_output(&outs)->sink;
	if (lead->flags & TP_SINK_SERIAL)
		tp_tune_serial(opts, lead->flags, lead->baud, (size_t)sysconf(_SC_PAGESIZE), &tuning);
	else
		tp_tune(opts, lead->flags, (size_t)sysconf(_SC_PAGESIZE), &tuning);
	if (opts->frame) {
		struct tp_frame_meta meta;
		meta_for(opts, &tuning, &meta);
		tp_framer_init(&framer, !(lead->flags & TP_SINK_DGRAM), tuning.frame_size,
			       new_session(), tuning.meta_every, &meta);
		r.framer = &framer;
		tp_framer_set_sealer(&framer, sealer);
		if (opts->fec_k) {
			/* The code protects frames as sent: sealed ones are longer. */
			err = tp_fec_tx_init(&fec_tx, opts->fec_k, opts->fec_m, tuning.fec_depth,
					     tuning.frame_size + (sealer ? TP_SEAL_OVERHEAD : 0));
			if (err) {
				tp_report_errno("--fec", err);
				goto close_sinks;
			}
			tp_framer_set_fec(&framer, &fec_tx);
		}
	}
	r.stage = malloc(TP_DATAGRAM_ROOM);
	if (!r.stage || (opts->deframe && (err = tp_rx_init(&r, &(struct tp_rx_params){
			.on_gap = opts->on_gap, .quiet_default = !opts->idle_timeout_set,
			.sealer = sealer })) < 0)) {
		tp_report_errno("buffer", r.stage ? err : -ENOMEM);
		goto close_sinks;
	}
	/* Line mode counts lines in the bytes as they are written (and cuts at the N-th with
	 * -S, paces by them with -L), so the bytes must pass through memory: the splice path
	 * moves them from pipe to pipe without tpipe ever seeing them. */
	struct tp_engine_choice choice = {
		.asked = opts->engine, .bytes_touched = opts->frame || opts->deframe ||
						     wants_tail(opts),
		.lines_counted = opts->line_mode, .several_outputs = outs.n > 1,
		.all_sink_flags = all_flags(&outs),
		.datagram_input = udp_input(opts), .sink_flags = lead->flags,
	};
	const char *no_splice = tp_engine_splice_refusal(&choice);
	int splice_err = 0;
	struct tp_tuning memory_tuning = tuning;
	err = set_up_ring(opts, &no_splice, &r.handoff, &tuning, &splice_err);
	if (err) {
		tp_report_errno("buffer", err);
		goto close_sinks;
	}
	tp_handoff_set_fill(&r.handoff, opts->write_above, opts->read_below);
	if (opts->engine == TP_ENGINE_SPLICE && (no_splice || splice_err)) {
		if (no_splice)
			tp_report("--engine=splice", no_splice);
		else
			tp_report_errno("--engine=splice: pipes", splice_err);
		goto free_ring;
	}
	err = tp_handoff_set_outputs(&r.handoff, outs.n);
	assert(err == 0); /* cli.c allows at most TP_MAX_OUTPUTS */
	/* The first chunk's pipe is the largest: tp_pipes_attach gives later ones less only when
	 * the pipe pages run short. */
	bool pipes = r.handoff.ring.chunks[0].pipe_rd >= 0;
	err = set_up_engines(opts, &outs, &choice, no_splice, splice_err, &tuning, &r.counters,
			     pipes ? tp_pipes_size(&r.handoff.ring.chunks[0]) : 0);
	if (err == -EAGAIN) {
		/* An output's own pipe was refused: the ring in memory instead, as tuned for it. */
		tp_handoff_destroy(&r.handoff);
		tuning = memory_tuning;
		no_splice = "several outputs: a pipe for each was refused (the per-user pipe pages)";
		err = set_up_ring(opts, &no_splice, &r.handoff, &tuning, &splice_err);
		if (err) {
			tp_report_errno("buffer", err);
			goto close_sinks;
		}
		tp_handoff_set_fill(&r.handoff, opts->write_above, opts->read_below);
		tp_handoff_set_outputs(&r.handoff, outs.n);
		err = set_up_engines(opts, &outs, &choice, no_splice, splice_err, &tuning,
				     &r.counters, 0);
	}
	if (err)
		goto exit_engines;
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
		.foreign_datagrams = &r.foreign_datagrams,
		.udp_out = lead->flags & TP_SINK_DGRAM, .sink_name = lead->name, .tail = tail,
		.outputs = &outs, .fec = opts->fec_k ? &fec_tx : NULL,
		.sealer_cipher = sealer ? tp_sealer_cipher(sealer) : TP_CIPHER_XCHACHA20 });
	if (opts->explain) {
		for (unsigned i = 0; i < outs.n; i++) {
			struct tp_output *o = &outs.o[i];
			if (!o->has_engine)
				continue;
			choice.sink_flags = o->sink.flags;
			tp_engine_explain(&choice, &o->engine, tuning.depth, no_splice, splice_err, why,
					  sizeof(why));
			tp_monitor_explain_engine(&r.monitor, outs.n > 1 ? o->sink.name : NULL,
						  o->engine.ops->name, why);
		}
		tp_monitor_explain(&r.monitor, &tuning);
	}
	/* Every output gets a writer; one that has none (it failed to open, or to get an
	 * engine) is dropped from the ring before the first chunk, so none waits for it. */
	for (unsigned i = 0; i < outs.n; i++) {
		struct tp_output *o = &outs.o[i];
		if (o->has_engine) {
			err = tp_writer_start(&o->writer, &(struct tp_writer_params){
				.handoff = &r.handoff, .out = i, .engine = &o->engine,
				.counters = o->counters, .rate = tuning.rate, .burst = tuning.burst,
				.repeat = opts->repeat, .tail = i == 0 ? tail : NULL,
				.line_end = line_end, .pace_lines = tuning.rate_lines });
			if (err) {
				tp_report_errno("writer thread", err);
				o->failed = true;
			}
			o->started = err == 0;
		}
		if (!o->started)
			tp_handoff_writer_exit(&r.handoff, i, true);
	}

	/* -R and -Q from other tpipes, answered in the reader's waits until the drain is over. */
	struct tp_ctl_server ctl;
	tp_ctl_server_open(&ctl, &(struct tp_ctl_target){
		.opts = opts, .monitor = &r.monitor, .outputs = &outs, .tuning = &tuning,
		.sink_flags = lead->flags, .page = (size_t)sysconf(_SC_PAGESIZE) });
	r.ctl = &ctl;

	int in_status = tp_inputs_read(&r, &(struct tp_inputs){
		.names = opts->inputs, .n = opts->n_inputs,
		.source = { .baud = opts->baud, .flow = opts->flow, .peer = opts->peer },
		.skip_errors = opts->skip_errors,
		.deframe = opts->deframe, .explain = opts->explain, .outputs = &outs });
	drain(&r, &outs);
	r.ctl = NULL;
	tp_ctl_server_close(&ctl);
	/* Before the last progress line and the statistics: a serial line drains, a udp://
	 * destination may turn out to have refused the end. */
	bool refused_at_end = false;
	for (unsigned i = 0; i < outs.n; i++) {
		struct tp_output *o = &outs.o[i];
		if (!o->started)
			continue;
		o->error = tp_writer_join(&o->writer);
		o->started = false;
		if (o->stalled || (o->error && o->error != -ECANCELED))
			continue;
		o->finish_err = tp_sink_finish(&o->sink, r.drain_deadline, opts->drain_timeout_ns);
		refused_at_end |= o->finish_err == -ECONNREFUSED && &o->sink == lead;
	}
	if (outs.n > 1)
		tp_outputs_fold(&outs, &r.counters);
	tp_monitor_finish(&r.monitor, &tuning, refused_at_end);
	result->status = exit_status(opts, &r, &outs, in_status);
	tp_monitor_destroy(&r.monitor);
exit_engines:
	exit_all_engines(&outs);
free_ring:
	tp_handoff_destroy(&r.handoff);
close_sinks:
	if (opts->deframe)
		tp_rx_destroy(&r);
	tp_fec_tx_destroy(&fec_tx);
	tp_sealer_free(sealer);
	free(r.stage);
	/* Some file systems report a failed write-back only here (NFS, quotas). */
	for (unsigned i = 0; i < outs.n; i++) {
		if (!outs.o[i].opened)
			continue;
		err = tp_sink_close(&outs.o[i].sink);
		if (err && result->status == TP_EXIT_OK) {
			tp_report_errno(outs.o[i].sink.name, err);
			result->status = TP_EXIT_FAILURE;
		}
	}
}
