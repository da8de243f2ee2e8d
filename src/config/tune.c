#include "config.h"
#include "tune.h"

#include <stdio.h>
#include <string.h>
#include "dgram.h"
#include "frame.h"
#include "pace.h"
#include "seal.h"
#include "sink.h"
#include "stats.h"

static size_t round_down(uint64_t n, size_t page)
{
	uint64_t r = n / page * page;
	return (size_t)(r < page ? page : r);
}

static const char *output_kind(unsigned sink_flags)
{
	return sink_flags & TP_SINK_PIPE ? "pipe" : sink_flags & TP_SINK_TTY ? "terminal"
	       : sink_flags & TP_SINK_DGRAM ? "udp://" : sink_flags & TP_SINK_STREAM ? "tcp://"
	       : sink_flags & TP_SINK_SEEKABLE ? "file" : "output";
}

/* The frame (or raw datagram) size, first: the chunk and the burst depend on it. */
static void tune_frames(const struct tp_options *o, unsigned sink_flags, struct tp_tuning *t)
{
	bool dgram = sink_flags & TP_SINK_DGRAM;
	size_t sealed = o->key_file ? TP_SEAL_OVERHEAD : 0;

	t->frame_size = 0;
	t->meta_every = 0;
	t->meta_why[0] = 0;
	if (!o->frame && !dgram) {
		snprintf(t->frame_why, sizeof(t->frame_why), "none (output not framed)");
		return;
	}
	if (o->frame_size) {
		t->frame_size = (size_t)o->frame_size;
		snprintf(t->frame_why, sizeof(t->frame_why), "set by --frame-size");
	} else if (dgram && o->fec_k) {
		/* The parity frames are the longest datagrams: they must fit too. */
		/* Sealed, a parity frame is sealed and so are the DATA frames it covers. */
		t->frame_size = TP_TUNE_UDP_DATAGRAM - TP_FRAME_OVERHEAD - TP_FRAME_PARITY_EXTRA -
				2 * sealed;
		snprintf(t->frame_why, sizeof(t->frame_why), "a %u-byte parity datagram%s fits a "
			 "1500-byte MTU (data frames are %u bytes shorter)", TP_TUNE_UDP_DATAGRAM,
			 sealed ? ", sealed," : "", TP_FRAME_PARITY_EXTRA);
	} else if (dgram) {
		t->frame_size = TP_TUNE_UDP_DATAGRAM - (o->frame ? TP_FRAME_OVERHEAD + sealed : 0);
		snprintf(t->frame_why, sizeof(t->frame_why), !o->frame
			 ? "raw datagrams of %u bytes fit a 1500-byte MTU" : sealed
			 ? "a %u-byte datagram fits a 1500-byte MTU (with the 28-byte header and CRC "
			   "and the 40 bytes sealing adds)"
			 : "a %u-byte datagram fits a 1500-byte MTU (with the 28-byte header and CRC)",
			 TP_TUNE_UDP_DATAGRAM);
	} else {
		t->frame_size = TP_TUNE_STREAM_FRAME;
		snprintf(t->frame_why, sizeof(t->frame_why),
			 "stream default: header, CRC and stuffing cost under 0.5 %%");
	}
	if (o->frame) {
		size_t every = TP_TUNE_META_BYTES / t->frame_size;
		t->meta_every = every ? (uint32_t)every : 1;
		snprintf(t->meta_why, sizeof(t->meta_why), "about every MiB of data");
	}
}

/* --fec: the depth, once the frame size, the chunk and the rate are known; and a frame small
 * enough that a parity frame of a full group fits in a chunk (a stream frame is stuffed:
 * up to 1/254 more, and two delimiters). */
static void tune_fec(const struct tp_options *o, struct tp_tuning *t)
{
	t->fec_depth = 0;
	t->fec_why[0] = 0;
	if (!o->fec_k || !t->frame_size)
		return;
	size_t room = t->chunk - t->chunk / 254 - 8 - TP_FRAME_OVERHEAD - TP_FRAME_PARITY_EXTRA -
		      (o->key_file ? 2 * TP_SEAL_OVERHEAD : 0);
	if (t->frame_size > room) {
		t->frame_size = room;
		snprintf(t->frame_why, sizeof(t->frame_why),
			 "a parity frame of a full group fits in a chunk");
	}
	if (o->fec_depth) {
		t->fec_depth = o->fec_depth;
		snprintf(t->fec_why, sizeof(t->fec_why), "set by --fec-depth");
		return;
	}
	uint64_t block = (uint64_t)o->fec_k * t->frame_size;
	uint64_t per_s = t->rate && !t->rate_lines
		? t->rate * o->fec_k / (o->fec_k + o->fec_m) * TP_TUNE_FEC_BLOCK_NS / 1000000000ull : 0;
	unsigned d = TP_TUNE_FEC_DEPTH;
	while (d > 1 && d * block > TP_TUNE_FEC_BLOCK_BYTES)
		d--;
	bool by_rate = false;
	while (d > 1 && per_s && d * block > per_s) {
		d--;
		by_rate = true;
	}
	t->fec_depth = d;
	if (by_rate)
		snprintf(t->fec_why, sizeof(t->fec_why), "a block of %u groups lasts at most %llu ms "
			 "at the pace", d, (unsigned long long)(TP_TUNE_FEC_BLOCK_NS / 1000000));
	else if (d < TP_TUNE_FEC_DEPTH)
		snprintf(t->fec_why, sizeof(t->fec_why), "a block of %u groups holds at most %u MiB",
			 d, TP_TUNE_FEC_BLOCK_BYTES >> 20);
	else
		snprintf(t->fec_why, sizeof(t->fec_why), "default: a burst of up to %u x M frames "
			 "costs each group at most M", d);
}

/* --buffer-size in chunks, at least two. */
static void set_depth(const struct tp_options *o, struct tp_tuning *t)
{
	char size[32], buf[32];
	uint64_t depth = o->buffer_size / t->chunk;

	t->depth = depth < 2 ? 2 : (unsigned)depth; /* cli.c keeps it under TP_MAX_DEPTH */
	tp_format_bytes(size, sizeof(size), (double)o->buffer_size);
	tp_format_bytes(buf, sizeof(buf), (double)t->chunk);
	snprintf(t->depth_why, sizeof(t->depth_why), depth < 2
		 ? "at least two chunks, whatever --buffer-size says"
		 : "--buffer-size %s / chunk %s", size, buf);
}

/* The pacer's burst for rate_limit (0: unpaced): --burst, or about TP_PACE_BURST_NS of the
 * rate, at least a page or one datagram. */
static void tune_burst(const struct tp_options *o, unsigned sink_flags, size_t page,
		       uint64_t rate_limit, struct tp_tuning *t)
{
	char rate[32];

	if (t->rate_lines)
		snprintf(rate, sizeof(rate), "%llu lines/s", (unsigned long long)rate_limit);
	else
		strcat(tp_format_decimal(rate, sizeof(rate) - 2, (double)rate_limit), "/s");
	if (!rate_limit) {
		t->burst = 0;
		snprintf(t->burst_why, sizeof(t->burst_why), "none: not paced");
	} else if (o->burst) {
		t->burst = o->burst;
		snprintf(t->burst_why, sizeof(t->burst_why), "%s",
			 t->rate_lines ? "set by --burst, in lines" : "set by --burst");
	} else if (t->rate_lines) {
		t->burst = tp_pace_line_burst(rate_limit);
		snprintf(t->burst_why, sizeof(t->burst_why),
			 "about %u us at %s, rounded up to a line", TP_PACE_BURST_NS / 1000, rate);
	} else if (sink_flags & TP_SINK_DGRAM) {
		/* Never less than one whole datagram; never more than one send carries, so that
		 * a burst leaves at one moment (two sends of one burst, 100 us apart, would let
		 * the next burst share a 1 ms window with the second). */
		size_t dgram = t->frame_size +
			       (o->frame ? TP_FRAME_OVERHEAD + (o->key_file ? TP_SEAL_OVERHEAD : 0) : 0);
		size_t one_send = TP_DGRAM_SEND_MAX / dgram * dgram;
		t->burst = tp_pace_default_burst(rate_limit, dgram);
		if (one_send && t->burst > one_send) {
			t->burst = one_send;
			snprintf(t->burst_why, sizeof(t->burst_why),
				 "%zu datagrams, the most one send carries (about %u us would be more)",
				 one_send / dgram, TP_PACE_BURST_NS / 1000);
		} else {
			snprintf(t->burst_why, sizeof(t->burst_why), "about %u us at %s, at least a datagram",
				 TP_PACE_BURST_NS / 1000, rate);
		}
	} else {
		t->burst = tp_pace_default_burst(rate_limit, page);
		snprintf(t->burst_why, sizeof(t->burst_why), "about %u us at %s, at least a page",
			 TP_PACE_BURST_NS / 1000, rate);
	}
}

void tp_tune(const struct tp_options *o, unsigned sink_flags, size_t page, struct tp_tuning *t)
{
	char rate[32];
	uint64_t quarter = o->buffer_size / 4;
	uint64_t cap = quarter < TP_AUTO_CHUNK_SIZE ? quarter : TP_AUTO_CHUNK_SIZE;
	/* Never more than TP_MAX_DEPTH chunks, however small the paced chunk would be. */
	uint64_t least = (o->buffer_size + TP_MAX_DEPTH - 1) / TP_MAX_DEPTH;

	tune_frames(o, sink_flags, t);
	t->rate = o->rate_limit;
	t->rate_lines = o->line_mode && o->rate_limit;
	snprintf(t->rate_why, sizeof(t->rate_why), t->rate_lines ? "set by -L, in lines (-l)"
		 : o->rate_limit ? "set by -L" : "none: unpaced");
	/* --repeat holds a chunk until its last copy is out: the ring needs room for those and
	 * two more, or the reader would wait for ever. */
	if (o->repeat && cap > o->buffer_size / (o->repeat + 2))
		cap = o->buffer_size / (o->repeat + 2);
	if (t->rate_lines)
		snprintf(rate, sizeof(rate), "%llu lines/s", (unsigned long long)o->rate_limit);
	else
		strcat(tp_format_decimal(rate, sizeof(rate) - 2, (double)o->rate_limit), "/s");
	if (o->chunk_size) {
		t->chunk = (o->chunk_size + page - 1) / page * page;
		snprintf(t->chunk_why, sizeof(t->chunk_why), "set by --chunk-size");
	} else if (cap < page) {
		t->chunk = page;
		snprintf(t->chunk_why, sizeof(t->chunk_why), "auto: one page, the smallest chunk");
	} else if (o->rate_limit && !t->rate_lines) {
		/* In double: rate x 4 ms overflows 64 bits past 4.6 TB/s. */
		double want_d = (double)o->rate_limit * TP_TUNE_PACED_CHUNK_NS / 1e9;
		uint64_t want = want_d < (double)cap ? (uint64_t)want_d : cap;
		t->chunk = round_down(want < cap ? want : cap, page);
		if (t->chunk < least)
			t->chunk = (size_t)((least + page - 1) / page * page);
		if (want < cap)
			snprintf(t->chunk_why, sizeof(t->chunk_why), "auto: about %.1f ms of output at %s",
				 (double)TP_TUNE_PACED_CHUNK_NS / 1e6, rate);
		else
			snprintf(t->chunk_why, sizeof(t->chunk_why),
				 "auto: paced at %s, capped at the unpaced size", rate);
	} else {
		t->chunk = round_down(cap, page);
		if (t->rate_lines) /* how long a chunk lasts depends on its lines: unknown */
			snprintf(t->chunk_why, sizeof(t->chunk_why), "auto: paced in lines, so "
				 "sized as unpaced (the pacer cuts the pieces at lines)");
		else
			snprintf(t->chunk_why, sizeof(t->chunk_why), cap < TP_AUTO_CHUNK_SIZE
				 ? "auto: a quarter of --buffer-size, so the ring has four chunks"
				 : "auto: unpaced %s, big chunks for throughput (1M measured on "
				 "the plateau)", output_kind(sink_flags));
	}

	set_depth(o, t);
	if (o->repeat && t->depth < o->repeat + 2) {
		/* The writer holds `repeat` chunks for their copies; the reader needs two more. */
		t->depth = o->repeat + 2;
		snprintf(t->depth_why, sizeof(t->depth_why),
			 "--repeat %u holds %u chunks, and two more are needed (over --buffer-size)",
			 o->repeat, o->repeat);
	}

	tune_burst(o, sink_flags, page, o->rate_limit, t);
	tune_fec(o, t);
}

/* A serial line's burst for rate_limit, unless --burst was given or it is unpaced. */
static void serial_burst(const struct tp_options *o, uint64_t rate_limit, struct tp_tuning *t)
{
	if (rate_limit && !o->burst && !t->rate_lines) {
		/* A page would be a third of a second at 115200 baud: bursts of 10 ms of line time
		 * keep a pseudo-terminal or a deep USB buffer close to the wire, at 100 wake-ups a
		 * second. */
		uint64_t burst = rate_limit * TP_TUNE_SERIAL_BURST_NS / 1000000000ull;
		t->burst = burst < 16 ? 16 : burst;
		snprintf(t->burst_why, sizeof(t->burst_why), "about %llu ms of the line, at least 16 bytes",
			 (unsigned long long)(TP_TUNE_SERIAL_BURST_NS / 1000000));
	}
}

void tp_tune_serial(const struct tp_options *o, unsigned sink_flags, unsigned baud, size_t page,
		    struct tp_tuning *t)
{
	struct tp_options line = *o;
	uint64_t byte_rate = baud / 10;
	char rate[32];

	if (!byte_rate) { /* a rate the device will not tell: nothing to go by */
		tp_tune(o, sink_flags, page, t);
		return;
	}
	if (!o->rate_set) {
		line.rate_limit = byte_rate;
		line.line_mode = false; /* the line's own pace is in bytes, -l or not */
	}
	tp_tune(&line, sink_flags, page, t);
	tp_format_decimal(rate, sizeof(rate), (double)line.rate_limit);
	if (!o->rate_set)
		snprintf(t->rate_why, sizeof(t->rate_why), "the line: %u baud, 8N1 = %s/s", baud, rate);
	serial_burst(o, line.rate_limit, t);
	if (o->frame && !o->frame_size) {
		/* The power of two that lasts at least 40 ms on the line, from 64 bytes to 1 KiB:
		 * at 115200 baud 512 bytes, 94 % of the line for data, and a bit error costs one
		 * 47 ms frame. Never more than 1 KiB (97 %): a bit error rate hits frames by their
		 * length in bits, whatever the baud rate (at 1e-5, 8 % of 1 KiB frames, 28 % of
		 * 4 KiB ones). */
		uint64_t want = byte_rate * TP_TUNE_SERIAL_FRAME_NS / 1000000000ull;
		size_t frame = 64;
		while (frame < TP_TUNE_SERIAL_FRAME_MAX && frame < want)
			frame *= 2;
		t->frame_size = frame;
		snprintf(t->frame_why, sizeof(t->frame_why),
			 "at least %llu ms on the line at %u baud (64 bytes to 1 KiB)",
			 (unsigned long long)(TP_TUNE_SERIAL_FRAME_NS / 1000000), baud);
	}
	if (o->frame && t->frame_size) {
		uint64_t every = byte_rate * (TP_TUNE_SERIAL_META_NS / 1000000000ull) / t->frame_size;
		t->meta_every = every ? (uint32_t)every : 1;
		snprintf(t->meta_why, sizeof(t->meta_why), "about every %llu s of line time",
			 (unsigned long long)(TP_TUNE_SERIAL_META_NS / 1000000000ull));
	}
	tune_fec(o, t); /* again: the frame size and the rate are the line's */
}

void tp_tune_splice(const struct tp_options *o, size_t pipe_max, size_t page, struct tp_tuning *t)
{
	size_t half = pipe_max / 2 / page * page;

	if (o->chunk_size || t->chunk <= half || half < page || o->buffer_size / half > TP_MAX_DEPTH)
		return;
	t->chunk = half;
	snprintf(t->chunk_why, sizeof(t->chunk_why),
		 "auto: half of pipe-max-size, as each chunk waits in a pipe twice its size");
	set_depth(o, t);
}

void tp_tune_rate(const struct tp_options *o, unsigned sink_flags, size_t page, uint64_t rate,
		  struct tp_tuning *t)
{
	t->rate = rate;
	/* -R's -L is a -L: in lines with -l (a serial line's own baud rate, with no -L at the
	 * start, was in bytes; the writer switches units with the rate). */
	t->rate_lines = o->line_mode && rate;
	snprintf(t->rate_why, sizeof(t->rate_why), !rate ? "none: unpaced (--remote)"
		 : t->rate_lines ? "set by --remote, in lines (-l)" : "set by --remote");
	tune_burst(o, sink_flags, page, rate, t);
	if (sink_flags & TP_SINK_SERIAL)
		serial_burst(o, rate, t);
}
