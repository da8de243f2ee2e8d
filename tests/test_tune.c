/* Self-tuning: the chunk size, ring depth and burst chosen for each kind of run. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <string.h>
#include "cli.h"
#include "frame.h"
#include "sink.h"
#include "dgram.h"
#include "seal.h"
#include "tune.h"

#define PAGE 4096u

static struct tp_options defaults(void)
{
	struct tp_options o;

	memset(&o, 0, sizeof(o));
	o.buffer_size = TP_DEFAULT_BUFFER_SIZE;
	return o;
}

START_TEST(test_unpaced_big_chunks)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.chunk, 1u << 20);
	ck_assert_uint_eq(t.depth, 16);
	ck_assert_uint_eq(t.burst, 0);
	ck_assert_str_eq(t.chunk_why, "auto: unpaced pipe, big chunks for throughput (1M measured on the plateau)");
	ck_assert_ptr_nonnull(strstr(t.burst_why, "not paced"));
}
END_TEST

START_TEST(test_small_buffer_keeps_four_chunks)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	o.buffer_size = 1u << 20;
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.chunk, 256u << 10);
	ck_assert_uint_eq(t.depth, 4);
	ck_assert_ptr_nonnull(strstr(t.chunk_why, "quarter"));
}
END_TEST

START_TEST(test_paced_chunk_is_a_few_ms)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	o.rate_limit = 20000000; /* 4.8 ms = 96000 bytes, rounded down to pages */
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.chunk, 96000 / PAGE * PAGE);
	ck_assert_uint_eq(t.depth, (16u << 20) / t.chunk);
	ck_assert_uint_eq(t.burst, 24000); /* 1.2 ms at 20 MB/s */
	/* Four bursts: the chunk cuts into four pieces of 98 % of a burst. */
	ck_assert_uint_eq((t.chunk + t.burst - 1) / t.burst, 4);

	o.rate_limit = 1000; /* very slow: never below a page */
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.chunk, PAGE);
	ck_assert_uint_eq(t.burst, PAGE);

	o.rate_limit = 10000000000ull; /* fast: capped like the unpaced case */
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.chunk, 1u << 20);
	ck_assert_ptr_nonnull(strstr(t.chunk_why, "capped"));
	ck_assert_uint_eq(t.burst, 12000000); /* 1.2 ms at 10 GB/s */
	ck_assert_ptr_nonnull(strstr(t.burst_why, "1200 us"));
}
END_TEST

/* -l -L: the rate and burst are lines (at least one, rounded up), the chunk the unpaced
 * size (its lines, and so how long it lasts, are unknown); a serial line's own pace, with no
 * -L, stays in bytes. */
START_TEST(test_paced_in_lines)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	o.line_mode = true;
	o.rate_limit = 100;
	o.rate_set = true;
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert(t.rate_lines);
	ck_assert_uint_eq(t.rate, 100);
	ck_assert_uint_eq(t.burst, 1);
	ck_assert_uint_eq(t.chunk, 1u << 20);
	ck_assert_ptr_nonnull(strstr(t.chunk_why, "in lines"));
	ck_assert_ptr_nonnull(strstr(t.burst_why, "100 lines/s"));
	ck_assert_ptr_nonnull(strstr(t.rate_why, "in lines"));

	o.rate_limit = 1000000;
	tp_tune(&o, TP_SINK_DGRAM, PAGE, &t); /* no datagram rule: a burst of lines */
	ck_assert_uint_eq(t.burst, 1200);
	o.burst = 7;
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.burst, 7);
	ck_assert_ptr_nonnull(strstr(t.burst_why, "in lines"));

	o.burst = 0;
	tp_tune_serial(&o, TP_SINK_TTY, 115200, PAGE, &t); /* -L on a serial line: lines */
	ck_assert(t.rate_lines);
	ck_assert_uint_eq(t.burst, 1200);
	o.rate_set = false;
	o.rate_limit = 0;
	tp_tune_serial(&o, TP_SINK_TTY, 115200, PAGE, &t); /* the line's pace: bytes */
	ck_assert(!t.rate_lines);
	ck_assert_uint_eq(t.rate, 11520);
	ck_assert_uint_eq(t.burst, 115);

	o.line_mode = false; /* -L without -l: bytes, as ever */
	o.rate_limit = 100;
	o.rate_set = true;
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert(!t.rate_lines);
	ck_assert_uint_eq(t.burst, PAGE);
}
END_TEST

START_TEST(test_explicit_settings_win)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	o.chunk_size = 5000; /* rounded up to pages */
	o.rate_limit = 1000000;
	o.burst = 12345;
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.chunk, 2 * PAGE);
	ck_assert_uint_eq(t.burst, 12345);
	ck_assert_str_eq(t.chunk_why, "set by --chunk-size");
	ck_assert_str_eq(t.burst_why, "set by --burst");
}
END_TEST

START_TEST(test_tiny_buffer_two_chunks)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	o.buffer_size = PAGE;
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.chunk, PAGE);
	ck_assert_uint_eq(t.depth, 2);
	ck_assert_str_eq(t.chunk_why, "auto: one page, the smallest chunk");
	ck_assert_ptr_nonnull(strstr(t.depth_why, "at least two"));
}
END_TEST

START_TEST(test_paced_depth_stays_bounded)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	o.buffer_size = 5ull << 30; /* 5 GiB at 1 MB/s: 4 KiB chunks would be 1.3 million */
	o.rate_limit = 1000000;
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_le(t.depth, TP_MAX_DEPTH);
	ck_assert_uint_eq(t.chunk % PAGE, 0);
}
END_TEST

/* ---- frames (-F) and datagrams ------------------------------------------------------- */

START_TEST(test_frames_none)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.frame_size, 0);
	ck_assert_uint_eq(t.meta_every, 0);
	ck_assert_str_eq(t.frame_why, "none (output not framed)");

	o.frame_size = 5000; /* without -F on a byte stream it means nothing (cli.c refuses it) */
	tp_tune(&o, TP_SINK_SEEKABLE, PAGE, &t);
	ck_assert_uint_eq(t.frame_size, 0);
	ck_assert_uint_eq(t.meta_every, 0);
}
END_TEST

START_TEST(test_frames_stream_default)
{
	struct tp_options o = defaults();
	struct tp_tuning t;
	static const unsigned sinks[] = { TP_SINK_PIPE, TP_SINK_TTY, TP_SINK_SEEKABLE, 0 };

	o.frame = true;
	for (size_t i = 0; i < sizeof(sinks) / sizeof(sinks[0]); i++) {
		tp_tune(&o, sinks[i], PAGE, &t);
		ck_assert_uint_eq(t.frame_size, 64u << 10);
		ck_assert_uint_eq(t.frame_size, TP_TUNE_STREAM_FRAME);
		ck_assert_uint_eq(t.meta_every, 16); /* a META about every MiB */
		ck_assert_ptr_nonnull(strstr(t.frame_why, "stream default"));
	}
}
END_TEST

START_TEST(test_frames_datagram_default)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	/* -F to udp://: header and CRC inside the 1472 bytes a 1500-byte MTU carries */
	o.frame = true;
	tp_tune(&o, TP_SINK_DGRAM, PAGE, &t);
	ck_assert_uint_eq(t.frame_size, 1444);
	ck_assert_uint_eq(t.frame_size + TP_FRAME_OVERHEAD, TP_TUNE_UDP_DATAGRAM);
	ck_assert_uint_eq(t.meta_every, (1u << 20) / 1444);
	ck_assert_ptr_nonnull(strstr(t.frame_why, "1472-byte datagram"));
	ck_assert_ptr_nonnull(strstr(t.frame_why, "28-byte header"));

	/* raw datagrams: the whole 1472, no METAs */
	o.frame = false;
	tp_tune(&o, TP_SINK_DGRAM, PAGE, &t);
	ck_assert_uint_eq(t.frame_size, 1472);
	ck_assert_uint_eq(t.meta_every, 0);
	ck_assert_str_eq(t.frame_why, "raw datagrams of 1472 bytes fit a 1500-byte MTU");
}
END_TEST

/* --key-file: 40 bytes more a frame; with --fec, a parity frame covers sealed DATA frames and
 * is sealed itself, and must still fit the 1472 bytes. */
START_TEST(test_frames_sealed_datagram)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	o.frame = true;
	o.key_file = "k";
	tp_tune(&o, TP_SINK_DGRAM, PAGE, &t);
	ck_assert_uint_eq(t.frame_size + TP_FRAME_OVERHEAD + TP_SEAL_OVERHEAD, TP_TUNE_UDP_DATAGRAM);
	o.fec_k = 32;
	o.fec_m = 8;
	tp_tune(&o, TP_SINK_DGRAM, PAGE, &t);
	ck_assert_uint_eq(t.frame_size, 1324);
	/* the parity frame: header, parity header, a sealed DATA frame's symbol, its own seal */
	ck_assert_uint_eq(TP_FRAME_OVERHEAD + TP_FRAME_PARITY_EXTRA + t.frame_size +
			  2 * TP_SEAL_OVERHEAD, TP_TUNE_UDP_DATAGRAM);
}
END_TEST

START_TEST(test_frame_size_wins)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	o.frame_size = 8000;
	o.frame = true;
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.frame_size, 8000);
	ck_assert_uint_eq(t.meta_every, (1u << 20) / 8000);
	ck_assert_str_eq(t.frame_why, "set by --frame-size");
	tp_tune(&o, TP_SINK_DGRAM, PAGE, &t);
	ck_assert_uint_eq(t.frame_size, 8000);
	ck_assert_uint_eq(t.meta_every, 131);
	ck_assert_str_eq(t.frame_why, "set by --frame-size");
	o.frame = false; /* raw datagrams of the size given */
	tp_tune(&o, TP_SINK_DGRAM, PAGE, &t);
	ck_assert_uint_eq(t.frame_size, 8000);
	ck_assert_uint_eq(t.meta_every, 0);
	ck_assert_str_eq(t.frame_why, "set by --frame-size");

	/* META every DATA frame once a frame is a MiB or more; never 0 */
	o.frame = true;
	o.frame_size = TP_FRAME_MAX_PAYLOAD;
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.frame_size, TP_FRAME_MAX_PAYLOAD);
	ck_assert_uint_eq(t.meta_every, 1);
	o.frame_size = TP_FRAME_MAX_PAYLOAD - 1;
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.meta_every, 1);
	o.frame_size = 1;
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.meta_every, 1u << 20);
	o.frame_size = (1u << 19) + 1;
	tp_tune(&o, TP_SINK_DGRAM, PAGE, &t);
	ck_assert_uint_eq(t.meta_every, 1);
}
END_TEST

START_TEST(test_datagram_burst)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	/* unpaced: no burst, datagrams or not */
	o.frame = true;
	tp_tune(&o, TP_SINK_DGRAM, PAGE, &t);
	ck_assert_uint_eq(t.burst, 0);

	/* slow: one whole datagram, not a page */
	o.rate_limit = 1000;
	tp_tune(&o, TP_SINK_DGRAM, PAGE, &t);
	ck_assert_uint_eq(t.burst, 1472);
	ck_assert_ptr_nonnull(strstr(t.burst_why, "at least a datagram"));
	o.frame = false;
	tp_tune(&o, TP_SINK_DGRAM, PAGE, &t);
	ck_assert_uint_eq(t.burst, 1472);

	/* bigger datagrams: still one whole, header and CRC included when framed */
	o.frame_size = 9000;
	tp_tune(&o, TP_SINK_DGRAM, PAGE, &t);
	ck_assert_uint_eq(t.burst, 9000);
	o.frame = true;
	tp_tune(&o, TP_SINK_DGRAM, PAGE, &t);
	ck_assert_uint_eq(t.burst, 9000 + TP_FRAME_OVERHEAD);
	o.frame_size = TP_UDP_MAX_PAYLOAD - TP_FRAME_OVERHEAD;
	o.rate_limit = 20000000; /* 24000 bytes in 1.2 ms: less than this datagram */
	tp_tune(&o, TP_SINK_DGRAM, PAGE, &t);
	ck_assert_uint_eq(t.burst, TP_UDP_MAX_PAYLOAD);

	/* fast: about 1.2 ms, more than a datagram */
	o.frame_size = 0;
	tp_tune(&o, TP_SINK_DGRAM, PAGE, &t);
	ck_assert_uint_eq(t.burst, 24000);

	/* faster: never more than one send carries, whole datagrams (41 of 1472 bytes) */
	o.rate_limit = 100000000;
	tp_tune(&o, TP_SINK_DGRAM, PAGE, &t);
	ck_assert_uint_eq(t.burst, TP_DGRAM_SEND_MAX / TP_TUNE_UDP_DATAGRAM * TP_TUNE_UDP_DATAGRAM);
	ck_assert_ptr_nonnull(strstr(t.burst_why, "the most one send carries"));
	o.rate_limit = 20000000;

	/* --burst wins, even below a datagram (the user asked) */
	o.burst = 100;
	tp_tune(&o, TP_SINK_DGRAM, PAGE, &t);
	ck_assert_uint_eq(t.burst, 100);
	ck_assert_str_eq(t.burst_why, "set by --burst");

	/* the same slow rate on a byte stream: a page */
	o.burst = 0;
	o.rate_limit = 1000;
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.burst, PAGE);
}
END_TEST

/* --repeat holds each chunk until its copies are out: the chunk shrinks so the ring keeps
 * repeat + 2 chunks. */
START_TEST(test_repeat_caps_chunk)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	o.frame = true;
	o.repeat = 3;
	o.buffer_size = 4u << 20; /* a quarter (1 MiB) would leave 4 chunks: 4M / 5, in pages */
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.chunk, (4u << 20) / 5 / PAGE * PAGE);
	ck_assert_uint_eq(t.depth, 5);

	o.buffer_size = TP_DEFAULT_BUFFER_SIZE; /* 16 MiB / 5 is more than the 1 MiB cap anyway */
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.chunk, 1u << 20);
	ck_assert_uint_eq(t.depth, 16);

	o.repeat = 15;
	tp_tune(&o, TP_SINK_DGRAM, PAGE, &t);
	ck_assert_uint_eq(t.chunk, (16u << 20) / 17 / PAGE * PAGE);
	ck_assert_uint_ge(t.depth, 17);

	o.rate_limit = 10000000000ull; /* paced fast: capped the same way */
	tp_tune(&o, TP_SINK_DGRAM, PAGE, &t);
	ck_assert_uint_le(t.chunk, (16u << 20) / 17);
	ck_assert_uint_ge(t.depth, 17);
}
END_TEST

/* The ring always has room for the held copies and two more chunks, whatever the buffer:
 * with fewer, the writer waits for a chunk the reader can never fill, and the run hangs. */
START_TEST(test_repeat_depth_always_enough)
{
	static const uint64_t buffers[] = { 8u << 10, 32u << 10, 64u << 10, 68u << 10,
					    128u << 10, 1u << 20, 16u << 20, 1u << 30 };
	struct tp_options o = defaults();
	struct tp_tuning t;

	o.frame = true;
	for (unsigned repeat = 1; repeat <= TP_MAX_REPEAT; repeat++)
		for (size_t b = 0; b < sizeof(buffers) / sizeof(buffers[0]); b++)
			for (int paced = 0; paced < 2; paced++) {
				o.repeat = repeat;
				o.buffer_size = buffers[b];
				o.rate_limit = paced ? 1000000 : 0;
				tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
				ck_assert_msg(t.depth >= repeat + 2,
					      "--repeat %u, --buffer-size %llu%s: %u chunks of %zu",
					      repeat, (unsigned long long)buffers[b],
					      paced ? ", paced" : "", t.depth, t.chunk);
				ck_assert_uint_eq(t.chunk % PAGE, 0);
			}
}
END_TEST

/* The same with --chunk-size given: the ring must still hold repeat + 2 chunks. */
START_TEST(test_repeat_depth_explicit_chunk)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	o.frame = true;
	o.repeat = 3;
	o.buffer_size = 1u << 20;
	o.chunk_size = 512u << 10; /* two chunks: cli.c allows it */
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.chunk, 512u << 10);
	ck_assert_msg(t.depth >= o.repeat + 2, "--repeat 3, 1M buffer of 512K chunks: %u chunks",
		      t.depth);
}
END_TEST

/* The splice path: an automatic chunk fits half the largest pipe, the ring keeps -B. */
START_TEST(test_splice_halves_the_auto_chunk)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	tp_tune_splice(&o, 1u << 20, PAGE, &t);
	ck_assert_uint_eq(t.chunk, 512u << 10);
	ck_assert_uint_eq(t.depth, 32);
	ck_assert_str_eq(t.chunk_why, "auto: half of pipe-max-size, as each chunk waits in a pipe twice its size");
	ck_assert_ptr_nonnull(strstr(t.depth_why, "/ chunk 512 KiB"));

	/* A larger pipe-max-size: the 1 MiB chunk fits already. */
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	tp_tune_splice(&o, 4u << 20, PAGE, &t);
	ck_assert_uint_eq(t.chunk, 1u << 20);
	ck_assert_uint_eq(t.depth, 16);
}
END_TEST

START_TEST(test_splice_keeps_small_and_explicit_chunks)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	o.rate_limit = 20000000; /* paced: about 4.8 ms, far below half a pipe */
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	size_t paced = t.chunk;
	tp_tune_splice(&o, 1u << 20, PAGE, &t);
	ck_assert_uint_eq(t.chunk, paced);

	o = defaults();
	o.chunk_size = 4u << 20; /* --chunk-size wins; the pipes may then be refused */
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	tp_tune_splice(&o, 1u << 20, PAGE, &t);
	ck_assert_uint_eq(t.chunk, 4u << 20);

	o = defaults();
	o.buffer_size = 64u << 10; /* a tiny ring: still at least two chunks */
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	tp_tune_splice(&o, 8192, PAGE, &t);
	ck_assert_uint_eq(t.chunk, PAGE);
	ck_assert_uint_eq(t.depth, 16);
}
END_TEST

/* -R -L: the burst is derived for the new rate as at the start; the chunk and depth stay. */
START_TEST(test_rate_changed_later)
{
	struct tp_options o = defaults();
	struct tp_tuning t, at_start;

	tp_tune(&o, TP_SINK_PIPE, PAGE, &t); /* unpaced */
	at_start = t;
	tp_tune_rate(&o, TP_SINK_PIPE, PAGE, 20000000, &t);
	ck_assert_uint_eq(t.rate, 20000000);
	ck_assert_uint_eq(t.burst, tp_pace_default_burst(20000000, PAGE));
	ck_assert_uint_eq(t.chunk, at_start.chunk);
	ck_assert_uint_eq(t.depth, at_start.depth);
	ck_assert_str_eq(t.rate_why, "set by --remote");
	tp_tune_rate(&o, TP_SINK_PIPE, PAGE, 1000, &t);
	ck_assert_uint_eq(t.burst, PAGE); /* at least a page */
	tp_tune_rate(&o, TP_SINK_PIPE, PAGE, 0, &t);
	ck_assert_uint_eq(t.rate, 0);
	ck_assert_uint_eq(t.burst, 0);

	/* A datagram output: whole datagrams, at most one send; --burst stays as given. */
	o.outputs[0] = "udp://127.0.0.1:9";
	o.n_outputs = 1;
	tp_tune(&o, TP_SINK_DGRAM, PAGE, &t);
	tp_tune_rate(&o, TP_SINK_DGRAM, PAGE, 1000, &t);
	ck_assert_uint_eq(t.burst, TP_TUNE_UDP_DATAGRAM);
	o.burst = 5000;
	tp_tune_rate(&o, TP_SINK_DGRAM, PAGE, 1000000, &t);
	ck_assert_uint_eq(t.burst, 5000);

	/* A serial line: 10 ms of the new rate. */
	o = defaults();
	tp_tune_serial(&o, TP_SINK_SERIAL | TP_SINK_TTY, 115200, PAGE, &t);
	tp_tune_rate(&o, TP_SINK_SERIAL | TP_SINK_TTY, PAGE, 1000, &t);
	ck_assert_uint_eq(t.burst, 16);
	tp_tune_rate(&o, TP_SINK_SERIAL | TP_SINK_TTY, PAGE, 100000, &t);
	ck_assert_uint_eq(t.burst, 1000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tune");
	TCase *tc = tcase_create("choices");
	tcase_add_test(tc, test_unpaced_big_chunks);
	tcase_add_test(tc, test_rate_changed_later);
	tcase_add_test(tc, test_small_buffer_keeps_four_chunks);
	tcase_add_test(tc, test_paced_chunk_is_a_few_ms);
	tcase_add_test(tc, test_paced_in_lines);
	tcase_add_test(tc, test_explicit_settings_win);
	tcase_add_test(tc, test_tiny_buffer_two_chunks);
	tcase_add_test(tc, test_paced_depth_stays_bounded);
	tcase_add_test(tc, test_frames_none);
	tcase_add_test(tc, test_frames_stream_default);
	tcase_add_test(tc, test_frames_datagram_default);
	tcase_add_test(tc, test_frames_sealed_datagram);
	tcase_add_test(tc, test_frame_size_wins);
	tcase_add_test(tc, test_datagram_burst);
	tcase_add_test(tc, test_repeat_caps_chunk);
	tcase_add_test(tc, test_repeat_depth_always_enough);
	tcase_add_test(tc, test_repeat_depth_explicit_chunk);
	tcase_add_test(tc, test_splice_halves_the_auto_chunk);
	tcase_add_test(tc, test_splice_keeps_small_and_explicit_chunks);
	suite_add_tcase(s, tc);

	return tp_unit_run(s);
}
