#include "config.h"
#include "monitor.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "report.h"
#include "seal.h"
#include "signals.h"

static uint64_t elapsed_ns(const struct tp_monitor *m)
{
	return tp_clock_ns() - m->start_ns;
}

/* The amount is the stream's: with -F its payload, with -l its lines (and so the total). */
static void snapshot(struct tp_monitor *m, struct tp_snapshot *snap)
{
	const struct tp_counters *c = m->counters;

	*snap = (struct tp_snapshot){
		.bytes_out = tp_counter_get(m->opts->line_mode ? &c->lines_out
					    : m->opts->frame ? &c->stream_out : &c->bytes_out),
		.elapsed = (double)elapsed_ns(m) / 1e9,
		.ring_used = tp_handoff_used(m->handoff),
		.ring_depth = m->handoff->ring.depth,
		.hold = tp_handoff_hold(m->handoff),
		.total = m->total,
		.lines = m->opts->line_mode,
	};
}

/* A background job must neither draw over the shell's prompt nor be stopped for trying. */
static bool in_foreground(void)
{
	pid_t fg = tcgetpgrp(STDERR_FILENO);
	return fg < 0 || fg == getpgrp();
}

static unsigned term_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static unsigned term_height(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
		return ws.ws_row;
	return 24;
}

static void end_line_hook(void *arg)
{
	struct tp_monitor *m = arg;

	tp_monitor_end_line(m);
	tp_cursor_moved(&m->cursor, 1); /* -c: the message's line, below every tpipe's */
}

/* The line's style from the letters or format in force. */
static void set_style(struct tp_monitor *m)
{
	const struct tp_options *o = m->opts;
	struct tp_progress_style style = {
		.numeric = o->numeric, .display = m->display,
		.format = m->use_format ? &m->format : NULL,
		.units = { .lines = o->line_mode, .bits = o->bits, .si = o->si,
			   .numeric = o->numeric },
	};

	tp_progress_init(&m->progress, stderr, &style, m->name[0] ? m->name : NULL);
	m->progress.term = o->null_lines ? 0 : '\n';
}

void tp_monitor_init(struct tp_monitor *m, const struct tp_monitor_params *p)
{
	const struct tp_options *o = p->opts;

	*m = (struct tp_monitor){ .opts = o, .counters = p->counters, .handoff = p->handoff,
				  .total = p->total, .start_ns = tp_clock_ns(), .rx = p->rx,
				  .kernel_drops = p->kernel_drops,
				  .foreign_datagrams = p->foreign_datagrams, .udp_out = p->udp_out,
				  .sink_name = p->sink_name, .interval_ns = o->interval_ns,
				  .display = o->display, .tail = p->tail, .outputs = p->outputs,
				  .fec = p->fec, .sealer_cipher = p->sealer_cipher };
	snprintf(m->name, sizeof(m->name), "%s", o->name ? o->name : "");
	char why[160];
	if (o->format) {
		tp_format_parse(&m->format, o->format, why, sizeof(why)); /* checked by main.c */
		m->use_format = true;
	} else if ((o->display || o->line_mode) && !o->numeric) {
		/* -l with no letters: tpipe's own line has byte units, so pv's line of the same
		 * parts (amount, ring, time, rate, average; the bar and ETA with a size) in lines. */
		if (!o->display)
			m->display = TP_DISPLAY_BYTES | TP_DISPLAY_BUFFER | TP_DISPLAY_TIMER |
				     TP_DISPLAY_RATE | TP_DISPLAY_AVG |
				     (m->total ? TP_DISPLAY_BAR | TP_DISPLAY_ETA : 0);
		tp_format_from_letters(&m->format, m->display, o->last_written, o->name != NULL);
		m->use_format = m->from_letters = true;
	}
	m->last_written = o->last_written;
	m->on_tty = isatty(STDERR_FILENO);
	m->show = o->numeric || o->progress == TP_SHOW_ALWAYS ||
		  (o->progress == TP_SHOW_AUTO && m->on_tty);
	if (o->progress == TP_SHOW_NEVER && !o->numeric)
		m->show = false;
	set_style(m);
	if (m->show || o->stats != TP_STATS_NONE)
		m->next_tick_ns = m->start_ns + m->interval_ns;
	tp_report_set_hook(end_line_hook, m);
}

int tp_monitor_apply(struct tp_monitor *m, const struct tp_monitor_change *c)
{
	struct tp_format f = m->format;
	char why[160];

	if (c->format && tp_format_parse(&f, c->format, why, sizeof(why)) != 0)
		return -EINVAL;
	if (c->display)
		m->display = c->display;
	if (c->display && (c->display & TP_DISPLAY_LAST))
		m->last_written = c->last_written;
	if (c->name)
		snprintf(m->name, sizeof(m->name), "%s", c->name);
	if (c->format) {
		m->use_format = true;
		m->from_letters = false;
	} else if (c->display || (c->name && m->from_letters)) {
		/* Letters, or a name for a line of letters: rebuilt as init builds it. With -n the
		 * letters only choose the fields (pv's -n -t -b), so no line of them is made. */
		m->use_format = m->from_letters = !m->opts->numeric;
		if (m->use_format)
			tp_format_from_letters(&f, m->display, m->last_written, m->name[0] != 0);
	}
	m->format = f;
	if (c->set_total)
		m->total = c->total;
	if (c->interval_ns) {
		m->interval_ns = c->interval_ns;
		if (m->next_tick_ns)
			m->next_tick_ns = tp_clock_ns() + m->interval_ns;
	}
	/* The drawing state (rates measured, a line on the screen) carries on. */
	struct tp_progress keep = m->progress;
	set_style(m);
	m->progress.drawn = keep.drawn;
	m->progress.last_bytes = keep.last_bytes;
	m->progress.last_elapsed = keep.last_elapsed;
	m->progress.last_rate = keep.last_rate;
	m->progress.shown_bytes = keep.shown_bytes;
	m->progress.ticks = keep.ticks;
	return 0;
}

void tp_monitor_offer_total(struct tp_monitor *m, uint64_t total)
{
	if (!m->total)
		m->total = total;
}

int tp_monitor_timeout(const struct tp_monitor *m, int want)
{
	if (!m->next_tick_ns)
		return want;
	uint64_t now = tp_clock_ns();
	uint64_t ms = now >= m->next_tick_ns ? 0 : (m->next_tick_ns - now + 999999) / 1000000;
	int until = ms > INT_MAX ? INT_MAX : (int)ms;
	return want < 0 || until < want ? until : want;
}

/* Whether the line may be drawn yet: -W waits for the first byte, --delay-start for time. */
static bool may_start(const struct tp_monitor *m, const struct tp_snapshot *snap)
{
	if (m->opts->wait_first && snap->bytes_out == 0)
		return false;
	return elapsed_ns(m) >= m->opts->delay_start_ns;
}

static void draw(struct tp_monitor *m, bool last)
{
	struct tp_snapshot snap;
	struct tp_progress *p = &m->progress;

	if (!m->show || (m->on_tty && !m->opts->numeric && !in_foreground()))
		return;
	snapshot(m, &snap);
	if (!p->drawn && !may_start(m, &snap))
		return;
	/* -c: a line of our own, reserved below the others on the first draw. */
	if (m->opts->cursor && !m->opts->numeric && m->on_tty && !m->cursor_tried) {
		m->cursor_tried = true;
		if (tp_cursor_join(&m->cursor, STDERR_FILENO) == 0) {
			fputs("\n", stderr);
			tp_signals_set_line_open(false);
		}
	}
	p->cursor_up = m->cursor.shared ? tp_cursor_up(&m->cursor) : 0;
	/* -c: a line scrolled off the top (-H, or the terminal's rows) is not drawn over
	 * whatever is there now. */
	if (p->cursor_up && p->cursor_up >= (m->opts->height ? m->opts->height : term_height()))
		return;
	p->last_len = m->tail ? tp_tail_read(m->tail, m->tail_copy) : 0;
	p->last = m->tail_copy;
	unsigned width = m->opts->width ? m->opts->width : term_width();
	if (last)
		tp_progress_finish(p, &snap, width);
	else
		tp_progress_draw(p, &snap, width);
	tp_signals_set_line_open(p->drawn && !m->opts->numeric && !p->cursor_up);
}

/* ECONNREFUSED: said at once, then at most once a second while it goes on, and once more at
 * the end (`last`) if there were more since. */
static void report_refused(struct tp_monitor *m, bool last)
{
	uint64_t refused = tp_counter_get(&m->counters->refused), now;
	char why[128];

	if (refused == m->refused_reported ||
	    ((now = tp_clock_ns()) < m->refused_report_ns + 1000000000ull && m->refused_report_ns))
		return;
	snprintf(why, sizeof(why), "nobody is listening, or unreachable (%llu time%s%s)",
		 (unsigned long long)refused, refused == 1 ? "" : "s",
		 last ? "" : " so far; still sending");
	tp_report(m->sink_name, why);
	m->refused_reported = refused;
	m->refused_report_ns = now;
}

void tp_monitor_poll(struct tp_monitor *m)
{
	if (tp_signals_take_status_request())
		tp_monitor_status(m);
	if (m->udp_out)
		report_refused(m, false);
	if (!m->next_tick_ns)
		return;
	uint64_t now = tp_clock_ns();
	if (now < m->next_tick_ns)
		return;
	uint64_t bytes = tp_counter_get(&m->counters->bytes_out);
	uint64_t span = now - (m->next_tick_ns - m->interval_ns);
	tp_rate_track_add(&m->rates, (double)(bytes - m->tick_bytes) * 1e9 / (double)span);
	m->tick_bytes = bytes;
	m->next_tick_ns += m->interval_ns;
	if (m->next_tick_ns <= now) /* we were held up: start the next interval from now */
		m->next_tick_ns = now + m->interval_ns;
	draw(m, false);
}

void tp_monitor_end_line(struct tp_monitor *m)
{
	if (m->progress.drawn && !m->opts->numeric && !m->progress.cursor_up) {
		fputc('\n', stderr);
		m->progress.drawn = false;
		tp_signals_set_line_open(false);
	}
}

void tp_monitor_status(struct tp_monitor *m)
{
	struct tp_snapshot snap;
	char line[256];

	snapshot(m, &snap);
	tp_format_status(line, sizeof(line), m->name[0] ? m->name : NULL, &snap);
	tp_monitor_end_line(m);
	fprintf(stderr, "tpipe: %s\n", line);
	tp_cursor_moved(&m->cursor, 1);
}

void tp_monitor_explain_engine(struct tp_monitor *m, const char *output, const char *engine,
			       const char *why)
{
	(void)m;
	if (output)
		fprintf(stderr, "tpipe: output %s: engine: %s (%s)\n", output, engine, why);
	else
		fprintf(stderr, "tpipe: engine: %s (%s)\n", engine, why);
}

void tp_monitor_explain(struct tp_monitor *m, const struct tp_tuning *t)
{
	char chunk[32];

	tp_format_bytes(chunk, sizeof(chunk), (double)t->chunk);
	if (m->outputs && m->outputs->n > 1)
		fprintf(stderr, "tpipe: outputs: %u, each written by a thread of its own; a chunk is "
			"refilled once every output has written it, so the slowest sets the pace\n",
			m->outputs->n);
	fprintf(stderr, "tpipe: chunk size: %s (%s)\n", chunk, t->chunk_why);
	fprintf(stderr, "tpipe: ring depth: %u chunks (%s)\n", t->depth, t->depth_why);
	const char *unit = t->rate_lines ? "lines" : "bytes";
	if (t->rate)
		fprintf(stderr, "tpipe: rate: %llu %s/s (%s)\n", (unsigned long long)t->rate, unit,
			t->rate_why);
	else
		fprintf(stderr, "tpipe: rate: %s\n", t->rate_why);
	if (t->burst)
		fprintf(stderr, "tpipe: burst: %llu %s (%s)\n", (unsigned long long)t->burst, unit,
			t->burst_why);
	else
		fprintf(stderr, "tpipe: burst: %s\n", t->burst_why);
	if (t->frame_size)
		fprintf(stderr, "tpipe: frame size: %zu bytes (%s)\n", t->frame_size, t->frame_why);
	else
		fprintf(stderr, "tpipe: frame size: %s\n", t->frame_why);
	if (t->meta_every)
		fprintf(stderr, "tpipe: meta: three at the start, then one every %u DATA frames (%s)\n",
			t->meta_every, t->meta_why);
	if (t->fec_depth) {
		unsigned k = m->opts->fec_k, n = k + m->opts->fec_m, d = t->fec_depth;
		fprintf(stderr, "tpipe: fec: %u+%u, depth %u (%s): any %u of a group's %u frames "
			"rebuild it; groups interleaved %u deep, so a burst of up to %u frames costs each "
			"at most %u; +%.1f %% bandwidth\n", k, n - k, d, t->fec_why, k, n, d,
			d * (n - k), n - k, 100.0 * tp_fec_cost(k, n - k, t->frame_size));
	}
	if (m->opts->key_file && m->opts->deframe)
		fprintf(stderr, "tpipe: sealing: only frames sealed under --key-file are taken "
			"(AES-256-GCM%s, or XChaCha20-Poly1305), and none of a run that began before "
			"the current one\n", tp_seal_cipher_available(TP_CIPHER_AES256GCM) ? ""
			: ": not on this CPU, which lacks AES-NI");
	else if (m->opts->key_file)
		fprintf(stderr, "tpipe: sealing: every frame with %s under --key-file (%s; nonces "
			"from this run's start time and random bytes, counted per frame); +%u bytes a "
			"frame\n", tp_seal_cipher_name(m->sealer_cipher),
			m->opts->cipher_set ? "--cipher" : "the default", TP_SEAL_OVERHEAD);
	if (m->opts->peer)
		fprintf(stderr, "tpipe: peer: datagrams from %s only\n", m->opts->peer);
	/* The levels' settings are fixed before the writer starts: no lock needed for them. */
	char levels[256];
	if (tp_fill_explain(&m->handoff->fill, levels, sizeof(levels)) > 0)
		fprintf(stderr, "tpipe: fill levels: %s\n", levels);
}

/* Several outputs: each one's line of the statistics, and why it was dropped. */
static unsigned summary_outputs(const struct tp_monitor *m, struct tp_summary_output *so,
				char (*why)[96])
{
	const struct tp_outputs *outs = m->outputs;

	if (!outs || outs->n < 2)
		return 0;
	for (unsigned i = 0; i < outs->n; i++) {
		const struct tp_output *o = &outs->o[i];
		const struct tp_counters *c = o->counters;
		why[i][0] = 0;
		if (o->stalled)
			snprintf(why[i], sizeof(why[i]), "took nothing for %.3g s (--stall-timeout)",
				 (double)o->stall_ns / 1e9);
		else if (o->failed && !o->opened)
			snprintf(why[i], sizeof(why[i]), "could not be opened");
		else if (o->failed || (o->error && o->error != -ECANCELED))
			snprintf(why[i], sizeof(why[i]), "%s", strerror(o->error ? -o->error : EIO));
		so[i] = (struct tp_summary_output){
			.name = o->sink.name ? o->sink.name : o->dest,
			.engine = o->has_engine ? o->engine.ops->name : NULL,
			.bytes = o->opened ? tp_counter_get(&c->bytes_out) : 0,
			.write_calls = o->opened ? tp_counter_get(&c->write_calls) : 0,
			.writer_wait = o->opened ? (double)tp_counter_get(&c->writer_wait_ns) / 1e9 : 0,
			.dropped = why[i][0] ? why[i] : NULL,
		};
	}
	return outs->n;
}

void tp_monitor_finish(struct tp_monitor *m, const struct tp_tuning *t, bool refused_at_end)
{
	struct tp_counters *c = m->counters;
	struct tp_summary_output outputs[TP_MAX_OUTPUTS];
	char dropped[TP_MAX_OUTPUTS][96];
	const char *engine = m->outputs && m->outputs->n == 1 && m->outputs->o[0].has_engine
			     ? m->outputs->o[0].engine.ops->name : NULL;
	uint64_t calls = tp_counter_get(&c->write_calls);

	draw(m, true);
	tp_monitor_end_line(m);
	if (m->udp_out && !refused_at_end) {
		m->refused_report_ns = 0; /* the last word, whenever the one before was */
		report_refused(m, true);
	}
	if (m->opts->stats == TP_STATS_NONE)
		return;
	struct tp_summary s = {
		.name = m->name[0] ? m->name : NULL,
		.engine = engine,
		.bytes = tp_counter_get(&c->bytes_out),
		.line_mode = m->opts->line_mode,
		.null_lines = m->opts->null_lines,
		.lines = tp_counter_get(&c->lines_out),
		.seconds = (double)elapsed_ns(m) / 1e9,
		.rate_limit = t->rate,
		.rate_lines = t->rate_lines,
		.reader_wait = (double)tp_counter_get(&c->reader_wait_ns) / 1e9,
		.writer_wait = (double)tp_counter_get(&c->writer_wait_ns) / 1e9,
		.pace_wait = (double)tp_counter_get(&c->pace_wait_ns) / 1e9,
		.write_calls = calls,
		.write_min = calls ? (double)tp_counter_get(&c->write_ns_min) / 1e9 : 0,
		.write_avg = calls ? (double)tp_counter_get(&c->write_ns_sum) / 1e9 / (double)calls : 0,
		.write_max = (double)tp_counter_get(&c->write_ns_max) / 1e9,
		.ring_high_water = m->handoff->high_water,
		.ring_depth = t->depth,
		.chunk_size = t->chunk,
		.udp_out = m->udp_out,
		.datagrams = tp_counter_get(&c->datagrams),
		.send_retries = tp_counter_get(&c->send_retries),
		.refused = tp_counter_get(&c->refused),
		.repeat = m->opts->repeat,
		.copies = tp_counter_get(&c->copies),
		.fec_k = m->fec ? m->fec->k : 0,
		.fec_m = m->fec ? m->fec->m : 0,
		.fec_depth = m->fec ? m->fec->depth : 0,
		.parity_frames = m->fec ? m->fec->parity_frames : 0,
		.frame_size = t->frame_size,
		.udp_in = m->kernel_drops != NULL,
		.kernel_drops = m->kernel_drops ? *m->kernel_drops : 0,
		.foreign_datagrams = m->foreign_datagrams ? *m->foreign_datagrams : 0,
		.rx = m->rx,
		.outputs = outputs,
		.n_outputs = summary_outputs(m, outputs, dropped),
	};
	tp_summary_set_rates(&s, &m->rates);
	/* -c: the statistics are lines below every tpipe's, counted so that the others' lines
	 * stay where they are (printed into memory first; without memory, straight out). */
	char *text = NULL;
	size_t len = 0;
	FILE *out = m->cursor.shared ? open_memstream(&text, &len) : NULL;
	if (m->opts->stats == TP_STATS_JSON)
		tp_summary_print_json(out ? out : stderr, &s);
	else
		tp_summary_print_text(out ? out : stderr, &s);
	if (out && fclose(out) == 0) {
		unsigned lines = 0;
		for (size_t i = 0; i < len; i++)
			lines += text[i] == '\n';
		fwrite(text, 1, len, stderr);
		tp_cursor_moved(&m->cursor, lines);
	}
	free(text);
}

void tp_monitor_destroy(struct tp_monitor *m)
{
	tp_cursor_leave(&m->cursor);
	tp_report_set_hook(NULL, NULL);
	tp_rate_track_free(&m->rates);
}
