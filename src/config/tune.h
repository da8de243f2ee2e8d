/* Self-tuning: the chunk size, ring depth and pacer burst chosen from the options and the
 * output, each with the reason in a few words (printed by --explain). Pure. */
#ifndef TP_TUNE_H
#define TP_TUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cli.h"
#include "pace.h"

/* A paced chunk holds about this long at the rate, so the ring keeps its depth and the
 * progress line stays fresh: four default bursts (4.8 ms), so that the chunk cuts into
 * whole bursts and no piece is short enough to share a window with the next. */
#define TP_TUNE_PACED_CHUNK_NS (4ull * TP_PACE_BURST_NS)

struct tp_tuning {
	size_t chunk;          /* bytes, a multiple of the page size */
	unsigned depth;        /* chunks in the ring */
	uint64_t burst;        /* pacer burst in bytes (lines when rate_lines); 0 when unpaced */
	char chunk_why[96];
	char depth_why[96];
	char burst_why[96];
	uint64_t rate;         /* the pace in bytes/s (-L, or a serial line's); 0: unpaced */
	bool rate_lines;       /* -l with -L: rate and burst are in lines, not bytes */
	char rate_why[96];
	size_t frame_size;     /* -F: payload per frame; udp:// raw: bytes per datagram; else 0 */
	uint32_t meta_every;   /* -F: DATA frames between two METAs */
	char meta_why[64];
	char frame_why[96];
	unsigned fec_depth;    /* --fec: groups interleaved; 0 without --fec */
	char fec_why[96];
};

/* --fec-depth's default: 8 groups, fewer when a block of them (K x depth frames) would hold
 * more than TP_TUNE_FEC_BLOCK_BYTES, or last longer than TP_TUNE_FEC_BLOCK_NS at the pace:
 * the receiver holds a block to repair it, so that bounds its memory and the delay. */
#define TP_TUNE_FEC_DEPTH 8u
#define TP_TUNE_FEC_BLOCK_BYTES (4u << 20)
#define TP_TUNE_FEC_BLOCK_NS 1000000000ull

/* Default payloads: a framed datagram fits a 1500-byte MTU (1472 bytes of UDP payload);
 * a stream frame is big enough that header, CRC and stuffing cost under 0.5 %. */
#define TP_TUNE_UDP_DATAGRAM 1472u
#define TP_TUNE_STREAM_FRAME (64u << 10)
/* A META goes out again after about this much payload. */
#define TP_TUNE_META_BYTES (1u << 20)

/* sink_flags: enum tp_sink_flags of the output, which the reasons name. */
void tp_tune(const struct tp_options *o, unsigned sink_flags, size_t page, struct tp_tuning *t);

/* tp_tune for a serial output of `baud` (8N1: 10 bits a byte): paced to the line unless -L
 * was given, so that a USB adapter's deep buffer or a pseudo-terminal behaves like the wire
 * and progress and ETA tell the truth; frames short enough that noise costs little; META
 * every few seconds of line time. Call instead of tp_tune. */
void tp_tune_serial(const struct tp_options *o, unsigned sink_flags, unsigned baud, size_t page,
		    struct tp_tuning *t);

/* tp_tune for the splice path (pipes.h), whose chunk waits in a pipe twice its size: an
 * automatic chunk shrinks to half of pipe_max (/proc/sys/fs/pipe-max-size) so that its pipe
 * may be had without privilege, and the ring deepens to keep --buffer-size. Call after
 * tp_tune. */
void tp_tune_splice(const struct tp_options *o, size_t pipe_max, size_t page, struct tp_tuning *t);

/* -R -L: the rate changed on a running transfer (0: unpaced), with the burst derived for it as
 * tp_tune or tp_tune_serial would have (--burst, if given, stays). Everything else stays as it
 * was chosen at the start: the chunk size and the ring's depth (the ring is allocated), the
 * frame size. A tpipe started unpaced keeps its large chunks: the pacer cuts them into bursts,
 * and progress counts whole chunks. Call on the tuning tp_tune made. */
void tp_tune_rate(const struct tp_options *o, unsigned sink_flags, size_t page, uint64_t rate,
		  struct tp_tuning *t);

#define TP_TUNE_SERIAL_FRAME_NS 40000000ull   /* a frame lasts about 40 ms on the line */
#define TP_TUNE_SERIAL_FRAME_MAX 1024u        /* but carries at most 1 KiB */
#define TP_TUNE_SERIAL_META_NS 5000000000ull  /* a META every 5 s of line time */
#define TP_TUNE_SERIAL_BURST_NS 10000000ull   /* paced bursts of 10 ms of line time */

#endif
