/* The writer thread through the null engines (engine_null.h): every byte in order, chunks
 * given back in order, pacing never ahead of its schedule, --repeat's copies interleaved,
 * datagram sinks paced in whole datagrams, and the first error ends it. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine_null.h"
#include "handoff.h"
#include "unit.h"
#include "writer.h"

#define DEPTH 8u

static unsigned char pattern_byte(uint64_t off)
{
	return (unsigned char)((off * 2654435761u) >> 13);
}

/* Waits for a free chunk; NULL once the writer has ended (it takes no more). */
static struct tp_chunk *free_chunk(struct tp_handoff *h)
{
	struct tp_chunk *c;

	while (!(c = tp_handoff_get_free(h))) {
		if (tp_handoff_writer_done(h))
			return NULL;
		struct pollfd p = { .fd = h->wake_fd, .events = POLLIN };
		poll(&p, 1, 100);
		tp_handoff_clear_wake(h);
	}
	return c;
}

/* The reader's side, as reader.c does it: n chunks of len bytes each (the last `last` bytes
 * when not 0) from stream offset off, waiting for free ones on wake_fd; stops early when the
 * writer has ended. */
static uint64_t feed_more(struct tp_handoff *h, unsigned n, size_t len, size_t last,
			  uint64_t off)
{
	for (unsigned i = 0; i < n; i++) {
		struct tp_chunk *c = free_chunk(h);
		if (!c)
			goto out;
		c->len = i == n - 1 && last ? last : len;
		c->offset = off;
		for (size_t k = 0; k < c->len; k++)
			c->data[k] = pattern_byte(off + k);
		off += c->len;
		c->stream_end = off;
		tp_handoff_put(h, c);
	}
out:
	return off;
}

/* feed_more from 0, then the end of the input. */
static uint64_t feed(struct tp_handoff *h, unsigned n, size_t len, size_t last)
{
	uint64_t off = feed_more(h, n, len, last, 0);

	tp_handoff_close(h);
	return off;
}

struct rig {
	struct tp_handoff handoff;
	struct tp_sink sink;
	struct tp_counters counters;
	struct tp_engine engine;
	struct tp_writer writer;
	struct tp_null_state *state;
};

static void rig_up(struct rig *g, const struct tp_engine_ops *ops, size_t chunk, unsigned flags,
		   size_t dgram_size)
{
	memset(g, 0, sizeof(*g));
	g->sink = (struct tp_sink){ .name = "null", .fd = -1, .flags = flags };
	g->counters.write_ns_min = UINT64_MAX;
	ck_assert_int_eq(tp_handoff_init(&g->handoff, chunk, DEPTH, 0), 0);
	ck_assert_int_eq(tp_engine_init_ops(&g->engine, ops, &(struct tp_engine_params){
		.sink = &g->sink, .counters = &g->counters, .depth = DEPTH,
		.dgram_size = dgram_size }), 0);
	g->state = tp_engine_null_state(&g->engine);
}

static void rig_start(struct rig *g, uint64_t rate, uint64_t burst, unsigned repeat)
{
	ck_assert_int_eq(tp_writer_start(&g->writer, &(struct tp_writer_params){
		.handoff = &g->handoff, .engine = &g->engine, .counters = &g->counters,
		.rate = rate, .burst = burst, .repeat = repeat }), 0);
}

/* -l: the engine counts lines ending in `term`; with a rate, the pacer counts them too. */
static void rig_lines(struct rig *g, unsigned char term)
{
	g->engine.count_lines = true;
	g->engine.line_end = term;
}

static void rig_start_lines(struct rig *g, uint64_t rate, uint64_t burst, unsigned char term)
{
	rig_lines(g, term);
	ck_assert_int_eq(tp_writer_start(&g->writer, &(struct tp_writer_params){
		.handoff = &g->handoff, .engine = &g->engine, .counters = &g->counters,
		.rate = rate, .burst = burst, .pace_lines = true, .line_end = term }), 0);
}

/* Text of `len` bytes whose lines (ending in term) are 1 to 97 bytes long, terminator and
 * all; with `open_end` the last line has no terminator. */
static unsigned char *line_text(size_t len, unsigned char term, bool open_end, uint64_t *lines)
{
	unsigned char *b = malloc(len);
	size_t line = 0, want = 1;

	*lines = 0;
	for (size_t i = 0; i < len; i++) {
		if (++line == want) {
			b[i] = term;
			++*lines;
			line = 0;
			want = want % 97 + 1 + (want * 31) % 13;
			if (want > 97)
				want = 1;
		} else {
			b[i] = (unsigned char)('a' + i % 26);
		}
	}
	if (open_end && b[len - 1] == term) {
		b[len - 1] = 'z';
		--*lines;
	}
	return b;
}

/* The reader's side for given bytes: chunks of chunk_len (the last shorter), then the end. */
static void feed_bytes(struct tp_handoff *h, const unsigned char *data, size_t len,
		       size_t chunk_len)
{
	for (size_t off = 0; off < len;) {
		struct tp_chunk *c = free_chunk(h);
		if (!c)
			goto out;
		c->len = len - off < chunk_len ? len - off : chunk_len;
		c->offset = off;
		memcpy(c->data, data + off, c->len);
		off += c->len;
		c->stream_end = off;
		tp_handoff_put(h, c);
	}
out:
	tp_handoff_close(h);
}

static uint64_t count_in(const unsigned char *b, size_t len, unsigned char term)
{
	uint64_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += b[i] == term;
	return n;
}

static void rig_down(struct rig *g)
{
	tp_engine_exit(&g->engine);
	tp_handoff_destroy(&g->handoff);
}

/* The bytes kept are the pattern from 0 to total, and the writes' offsets follow on. */
static void check_stream(const struct rig *g, uint64_t total)
{
	const struct tp_null_state *s = g->state;
	uint64_t off = 0;

	ck_assert_uint_eq(s->len, total);
	for (size_t k = 0; k < s->len; k++)
		if (s->bytes[k] != pattern_byte(k))
			ck_abort_msg("byte %zu is wrong", k);
	for (size_t i = 0; i < s->n_writes; i++) {
		ck_assert_uint_eq(s->writes[i].offset, off);
		off += s->writes[i].len;
	}
	ck_assert_uint_eq(tp_counter_get(&g->counters.bytes_out), total);
	ck_assert_uint_eq(tp_counter_get(&g->counters.stream_out), total);
}

static const struct tp_engine_ops *const null_engines[] = {
	&tp_engine_null_ops, &tp_engine_null_async_ops,
};

/* Unpaced: every byte once, in order, a chunk per write, the ring's chunks in turn
 * (several in flight with the async engine). */
START_TEST(test_unpaced_in_order)
{
	struct rig g;

	rig_up(&g, null_engines[_i], 65536, TP_SINK_PIPE, 0);
	rig_start(&g, 0, 0, 0);
	uint64_t total = feed(&g.handoff, 50, 65536, 1234);
	ck_assert_int_eq(tp_writer_join(&g.writer), 0);
	check_stream(&g, total);
	ck_assert_uint_eq(g.state->n_writes, 50);
	for (size_t i = 0; i < g.state->n_writes; i++)
		ck_assert_uint_eq(g.state->writes[i].index, i % DEPTH);
	rig_down(&g);
}
END_TEST

/* Paced: pieces of at most one burst, and none leaves before its time: the bytes before a
 * piece, less one burst, at the rate (a lower bound, which a busy machine cannot break). */
START_TEST(test_paced_never_early)
{
	const uint64_t rate = 4000000, burst = 16384;
	struct rig g;

	rig_up(&g, null_engines[_i], 65536, TP_SINK_PIPE, 0);
	uint64_t t0 = tp_clock_ns();
	rig_start(&g, rate, burst, 0);
	uint64_t total = feed(&g.handoff, 6, 65536, 10000);
	ck_assert_int_eq(tp_writer_join(&g.writer), 0);
	check_stream(&g, total);
	uint64_t before = 0;
	for (size_t i = 0; i < g.state->n_writes; i++) {
		const struct tp_null_write *w = &g.state->writes[i];
		ck_assert_uint_le(w->len, burst);
		if (before > burst)
			ck_assert_uint_ge(w->ns - t0, (before - burst) * 1000000000u / rate);
		before += w->len;
	}
	ck_assert_uint_gt(tp_counter_get(&g.counters.pace_wait_ns), 0);
	rig_down(&g);
}
END_TEST

/* Paced, the time the writer waits for input is forgiven: after the input was idle for
 * 300 ms, the writer goes on at the rate, not at the catch-up rate to make up for the idle
 * time (which would put 1.25x the rate's bytes into the first 80 ms). An upper bound on
 * bytes by time: a slow machine only makes it looser. */
START_TEST(test_paced_idle_forgiven)
{
	const uint64_t rate = 4000000, burst = 16384;
	struct rig g;

	rig_up(&g, null_engines[_i], 65536, TP_SINK_PIPE, 0);
	rig_start(&g, rate, burst, 0);
	uint64_t off = feed_more(&g.handoff, 3, 65536, 0, 0);
	struct timespec idle = { 0, 300000000 };
	nanosleep(&idle, NULL);
	uint64_t total = feed_more(&g.handoff, 8, 65536, 0, off);
	tp_handoff_close(&g.handoff);
	ck_assert_int_eq(tp_writer_join(&g.writer), 0);
	check_stream(&g, total);
	size_t before = 0; /* the first write after the pause */
	while (g.state->writes[before].offset < off)
		before++;
	uint64_t t_resume = g.state->writes[before].ns, in_window = 0;
	for (size_t i = before; i < g.state->n_writes; i++)
		if (g.state->writes[i].ns < t_resume + 80000000)
			in_window += g.state->writes[i].len;
	ck_assert_uint_le(in_window, rate * 80 / 1000 + 2 * burst);
	rig_down(&g);
}
END_TEST

/* --repeat 2: copy k of a chunk goes out after k newer chunks, never back to back, and the
 * copies are written after what came before them (the output offset runs on). */
START_TEST(test_repeat_interleaved)
{
	static const unsigned want[] = { 0, 1, 0, 2, 0, 1, 3, 1, 2, 2, 3, 3 };
	struct rig g;

	rig_up(&g, null_engines[_i], 4096, TP_SINK_PIPE, 0);
	rig_start(&g, 0, 0, 2);
	feed(&g.handoff, 4, 4096, 0);
	ck_assert_int_eq(tp_writer_join(&g.writer), 0);
	ck_assert_uint_eq(g.state->n_writes, sizeof(want) / sizeof(want[0]));
	uint64_t off = 0;
	for (size_t i = 0; i < g.state->n_writes; i++) {
		const struct tp_null_write *w = &g.state->writes[i];
		ck_assert_uint_eq(w->index, want[i]);
		ck_assert_uint_eq(w->offset, off);
		/* The copy's bytes are its chunk's: chunk k holds stream bytes k * 4096 on. */
		for (size_t k = 0; k < w->len; k++)
			ck_assert_uint_eq(g.state->bytes[off + k], pattern_byte(want[i] * 4096u + k));
		off += w->len;
	}
	ck_assert_uint_eq(tp_counter_get(&g.counters.copies), 8);
	ck_assert_uint_eq(tp_counter_get(&g.counters.stream_out), 4 * 4096);
	rig_down(&g);
}
END_TEST

/* A paced datagram sink: each piece is whole datagrams (at least one), at most a burst's
 * worth or, catching up (a slow machine, a sanitizer build), the window's cap, and only a
 * chunk's last piece may end in a short datagram. */
START_TEST(test_dgram_pieces_whole)
{
	const size_t dgram = 1000, chunk = 10500;
	struct rig g;

	rig_up(&g, null_engines[_i], 16384, TP_SINK_DGRAM, dgram);
	rig_start(&g, 5000000, 2500, 0);
	uint64_t total = feed(&g.handoff, 5, chunk, 0);
	ck_assert_int_eq(tp_writer_join(&g.writer), 0);
	check_stream(&g, total);
	for (size_t i = 0; i < g.state->n_writes; i++) {
		const struct tp_null_write *w = &g.state->writes[i];
		bool chunk_end = (w->offset + w->len) % chunk == 0;
		ck_assert_uint_le(w->len, 6250); /* 1.25 x 1 ms at 5 MB/s, less than a chunk */
		ck_assert(w->len % dgram == 0 || chunk_end);
		ck_assert(w->len >= dgram || chunk_end);
	}
	rig_down(&g);
}
END_TEST

/* The engine's first error ends the writer with it; the reader sees the end (writer_done)
 * and nothing after the failed write was written. */
START_TEST(test_error_ends_writer)
{
	struct rig g;

	rig_up(&g, null_engines[_i], 4096, TP_SINK_PIPE, 0);
	g.state->fail_at = 3 * 4096;
	g.state->fail_err = -ENOSPC;
	rig_start(&g, 0, 0, 0);
	feed(&g.handoff, 20, 4096, 0);
	ck_assert_int_eq(tp_writer_join(&g.writer), -ENOSPC);
	ck_assert(tp_handoff_writer_done(&g.handoff));
	ck_assert_uint_eq(g.state->len, 3 * 4096);
	ck_assert_uint_eq(tp_counter_get(&g.counters.stream_out), 3 * 4096);
	rig_down(&g);
}
END_TEST

/* An error while chunks are held for their copies (--repeat) ends the writer with it too,
 * holding them: nothing is given back out of the ring's order (handoff.c asserts it). */
START_TEST(test_repeat_error_ends_writer)
{
	struct rig g;

	rig_up(&g, null_engines[_i], 4096, TP_SINK_PIPE, 0);
	g.state->fail_at = 3 * 4096; /* the fourth write, C's first: A and B are held */
	g.state->fail_err = -ENOSPC;
	rig_start(&g, 0, 0, 2);
	feed(&g.handoff, 6, 4096, 0);
	ck_assert_int_eq(tp_writer_join(&g.writer), -ENOSPC);
	ck_assert_uint_eq(g.state->len, 3 * 4096);
	rig_down(&g);
}
END_TEST

/* Waits (bounded) until the writer has sent `bytes` of the stream. */
static void wait_sent(struct rig *g, uint64_t bytes)
{
	for (int i = 0; i < 5000 && tp_counter_get(&g->counters.stream_out) < bytes; i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	ck_assert_uint_ge(tp_counter_get(&g->counters.stream_out), bytes);
}

/* -R -L on a running writer: started unpaced, a rate makes it pace (pieces of the burst, none
 * early against the time of the change), and 0 makes it unpaced again (whole chunks). */
START_TEST(test_rate_set_while_running)
{
	const uint64_t rate = 4000000, burst = 16384;
	struct rig g;

	rig_up(&g, null_engines[_i], 65536, TP_SINK_PIPE, 0);
	rig_start(&g, 0, 0, 0);
	uint64_t off = feed_more(&g.handoff, 3, 65536, 0, 0);
	wait_sent(&g, off);
	size_t unpaced = g.state->n_writes;
	ck_assert_uint_eq(unpaced, 3);
	uint64_t t0 = tp_clock_ns();
	tp_writer_set_rate(&g.writer, rate, burst, false);
	uint64_t paced_from = off;
	off = feed_more(&g.handoff, 4, 65536, 0, off);
	wait_sent(&g, off);
	size_t paced = g.state->n_writes;
	tp_writer_set_rate(&g.writer, 0, 0, false);
	uint64_t total = feed_more(&g.handoff, 3, 65536, 0, off);
	tp_handoff_close(&g.handoff);
	ck_assert_int_eq(tp_writer_join(&g.writer), 0);
	check_stream(&g, total);
	uint64_t before = 0;
	for (size_t i = unpaced; i < paced; i++) {
		const struct tp_null_write *w = &g.state->writes[i];
		ck_assert_uint_le(w->len, burst);
		if (before > burst)
			ck_assert_uint_ge(w->ns - t0, (before - burst) * 1000000000u / rate);
		before += w->len;
	}
	ck_assert_uint_eq(before, off - paced_from);
	/* Unpaced again: whole chunks, at most one more piece-sized write of the chunk that was
	 * being sent when the change came. */
	ck_assert_uint_eq(g.state->writes[g.state->n_writes - 1].len, 65536);
	ck_assert_uint_eq(g.state->writes[g.state->n_writes - 2].len, 65536);
	rig_down(&g);
}
END_TEST

/* -l, unpaced: every engine counts the lines the sink took (newline, or NUL for -0), and a
 * last line without its terminator is not one. */
START_TEST(test_lines_counted)
{
	static const unsigned char terms[] = { '\n', '\0' };
	for (unsigned t = 0; t < 2; t++) {
		struct rig g;
		uint64_t lines;
		unsigned char *text = line_text(100000, terms[t], true, &lines);

		rig_up(&g, null_engines[_i], 8192, TP_SINK_PIPE, 0);
		rig_lines(&g, terms[t]);
		rig_start(&g, 0, 0, 0);
		feed_bytes(&g.handoff, text, 100000, 8192);
		ck_assert_int_eq(tp_writer_join(&g.writer), 0);
		ck_assert_uint_eq(g.state->len, 100000);
		ck_assert_mem_eq(g.state->bytes, text, 100000);
		ck_assert_uint_eq(tp_counter_get(&g.counters.lines_out), lines);
		ck_assert_uint_eq(lines, count_in(text, 99999, terms[t]));
		rig_down(&g);
		free(text);
	}
}
END_TEST

/* -l -L: each piece ends just after a line's terminator (or at its chunk's end, where a line
 * runs on into the next chunk), carries at most a burst of lines, and leaves no sooner than
 * the lines before it, less one burst, are due. Every byte goes, and every line is counted. */
START_TEST(test_paced_lines)
{
	const uint64_t rate = 2000, burst = 3;
	const size_t len = 12000, chunk = 4096;
	struct rig g;
	uint64_t lines;
	unsigned char *text = line_text(len, '\n', false, &lines);

	rig_up(&g, null_engines[_i], chunk, TP_SINK_PIPE, 0);
	uint64_t t0 = tp_clock_ns();
	rig_start_lines(&g, rate, burst, '\n');
	feed_bytes(&g.handoff, text, len, chunk);
	ck_assert_int_eq(tp_writer_join(&g.writer), 0);
	ck_assert_uint_eq(g.state->len, len);
	ck_assert_mem_eq(g.state->bytes, text, len);
	ck_assert_uint_eq(tp_counter_get(&g.counters.lines_out), lines);
	uint64_t before = 0; /* lines sent before this write */
	for (size_t i = 0; i < g.state->n_writes; i++) {
		const struct tp_null_write *w = &g.state->writes[i];
		size_t end = w->offset + w->len;
		uint64_t in = count_in(text + w->offset, w->len, '\n');
		ck_assert_msg(text[end - 1] == '\n' || end % chunk == 0 || end == len,
			      "write %zu ends inside a line", i);
		ck_assert_uint_le(in, burst);
		if (before > burst)
			ck_assert_uint_ge(w->ns - t0, (before - burst) * 1000000000u / rate);
		before += in;
	}
	ck_assert_uint_gt(tp_counter_get(&g.counters.pace_wait_ns), 0);
	rig_down(&g);
	free(text);
}
END_TEST

/* -l on a line paced in bytes (a serial line's baud, no -L), then -R -L in lines: from the
 * change on, every write ends at a line's end and carries at most a burst of lines. */
START_TEST(test_rate_set_in_lines)
{
	const uint64_t burst = 3;
	const size_t len = 12000, chunk = 4096;
	struct rig g;
	uint64_t lines;
	unsigned char *text = line_text(len, '\n', false, &lines);

	rig_up(&g, null_engines[_i], chunk, TP_SINK_PIPE, 0);
	rig_lines(&g, '\n');
	ck_assert_int_eq(tp_writer_start(&g.writer, &(struct tp_writer_params){
		.handoff = &g.handoff, .engine = &g.engine, .counters = &g.counters,
		.rate = 100000000, .burst = chunk, .line_end = '\n' }), 0);
	/* Slow enough that catching up never has room for more than a burst (at 100000 lines/s
	 * a writer 1 ms late under ASan may send the window's 125 lines at once, by design). */
	tp_writer_set_rate(&g.writer, 2000, burst, true);
	feed_bytes(&g.handoff, text, len, chunk);
	ck_assert_int_eq(tp_writer_join(&g.writer), 0);
	ck_assert_uint_eq(g.state->len, len);
	ck_assert_mem_eq(g.state->bytes, text, len);
	ck_assert_uint_eq(tp_counter_get(&g.counters.lines_out), lines);
	/* The change is taken at the first send: every write is lines. */
	for (size_t i = 0; i < g.state->n_writes; i++) {
		const struct tp_null_write *w = &g.state->writes[i];
		size_t end = w->offset + w->len;
		ck_assert_msg(text[end - 1] == '\n' || end % chunk == 0 || end == len,
			      "write %zu ends inside a line", i);
		ck_assert_uint_le(count_in(text + w->offset, w->len, '\n'), burst);
	}
	rig_down(&g);
	free(text);
}
END_TEST

/* -l -L: a line longer than several chunks still goes out, chunk by chunk, charged nothing
 * until its terminator; the lines after it are paced as before. */
START_TEST(test_paced_long_line)
{
	const size_t chunk = 4096, len = 3 * chunk + 100;
	struct rig g;
	unsigned char *text = malloc(len);

	memset(text, 'x', len);
	text[3 * chunk + 10] = '\n'; /* the long line ends in the fourth chunk */
	for (size_t i = 3 * chunk + 20; i < len; i += 10)
		text[i] = '\n';
	rig_up(&g, null_engines[_i], chunk, TP_SINK_PIPE, 0);
	rig_start_lines(&g, 1000, 1, '\n');
	feed_bytes(&g.handoff, text, len, chunk);
	ck_assert_int_eq(tp_writer_join(&g.writer), 0);
	ck_assert_uint_eq(g.state->len, len);
	ck_assert_mem_eq(g.state->bytes, text, len);
	ck_assert_uint_eq(tp_counter_get(&g.counters.lines_out), count_in(text, len, '\n'));
	for (size_t i = 0; i < 3; i++) /* the first three chunks whole: no line ends there */
		ck_assert_uint_eq(g.state->writes[i].len, chunk);
	ck_assert_uint_eq(g.state->writes[3].len, 11); /* then one line a write */
	rig_down(&g);
	free(text);
}
END_TEST

int main(void)
{
	/* Each runs once per null engine (null_engines[_i]). */
	const TTest *const tests[] = {
		test_unpaced_in_order, test_paced_never_early, test_repeat_interleaved,
		test_dgram_pieces_whole, test_error_ends_writer, test_repeat_error_ends_writer,
		test_paced_idle_forgiven, test_rate_set_while_running, test_lines_counted,
		test_paced_lines, test_paced_long_line, test_rate_set_in_lines,
	};
	Suite *s = suite_create("writer");
	TCase *tc = tcase_create("null engines");

	tcase_set_timeout(tc, 30);
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		tcase_add_loop_test(tc, tests[i], 0, 2);
	suite_add_tcase(s, tc);
	return tp_unit_run(s);
}
