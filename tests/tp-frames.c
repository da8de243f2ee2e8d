/* tp-frames: makes framed streams to order, for the tests of the receiver (-D): real frames
 * (correct CRC-32C), each field chosen, so that a test can send what a broken or hostile
 * sender would, frame by frame.
 *   tp-frames [-u HOST:PORT] ITEM...
 * writes the frames to standard output as a byte stream (each COBS-encoded between 0x00
 * delimiters, as tpipe -F writes a stream), or with -u sends each as one UDP datagram to
 * HOST:PORT (IPv4). SESSION is hex; everything else decimal. Payloads are the tp-gen pattern
 * (seed 0) at the frame's offset, so `tp-gen check` verifies what a receiver wrote.
 *   stream SESSION SIZE FRAME  a whole run as tpipe -F sends it: META (total SIZE, frame size
 *                              FRAME), DATA frames of FRAME bytes from offset 0, END
 *   meta SESSION TOTAL FRAME   one META (TOTAL - for unknown)
 *   data SESSION SEQ OFFSET LEN  one DATA frame: the pattern's bytes [OFFSET, OFFSET + LEN)
 *   fill SESSION SEQ OFFSET LEN BYTE  one DATA frame of LEN bytes all BYTE (other bytes)
 *   end SESSION TOTAL FRAMES [DIGEST]  one END; the digest defaults to the CRC-32C of the
 *                              pattern's first TOTAL bytes
 *   sleep MS                   pause (between datagrams) */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "cobs.h"
#include "crc.h"
#include "frame.h"
#include "tool.h"

const char *tool_name = "tp-frames";
const char *tool_usage = "tp-frames [-u HOST:PORT] ITEM... (items: stream, meta, data, fill, end, sleep)";

static int udp_fd = -1;
static unsigned char frame_buf[TP_FRAME_HDR_SIZE + TP_FRAME_MAX_PAYLOAD + TP_FRAME_CRC_SIZE];
static unsigned char wire[TP_FRAME_HDR_SIZE + TP_FRAME_MAX_PAYLOAD + TP_FRAME_CRC_SIZE +
			  TP_FRAME_MAX_PAYLOAD / 254 + 16];

static void put_all(const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(STDOUT_FILENO, p, n);
		if (w < 0)
			tool_die("standard output");
		p += w;
		n -= (size_t)w;
	}
}

/* Seals the frame whose payload (f->len bytes) is in place and sends it. */
static void emit(struct tp_frame *f)
{
	size_t n = tp_frame_seal(frame_buf, f);

	if (udp_fd >= 0) {
		if (send(udp_fd, frame_buf, n, 0) < 0 && errno != ECONNREFUSED)
			tool_die("send");
		return;
	}
	/* 0x00, the frame COBS-encoded, 0x00. */
	size_t enc = tp_cobs_encode(wire + 1, frame_buf, n);
	wire[0] = 0;
	wire[1 + enc] = 0;
	put_all(wire, enc + 2);
}

static uint32_t session_arg(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 16);

	if (!*s || *end || v > UINT32_MAX)
		tool_usage_error("SESSION is 1 to 8 hex digits");
	return (uint32_t)v;
}

static void meta(uint32_t session, uint64_t total, uint32_t frame_size, uint32_t seq)
{
	struct tp_frame_meta m = { .total = total, .frame_size = frame_size };
	struct tp_frame f = { .type = TP_FRAME_META, .session = session, .seq = seq };

	f.len = (uint32_t)tp_frame_meta_encode(frame_buf + TP_FRAME_HDR_SIZE, TP_FRAME_MAX_PAYLOAD, &m);
	emit(&f);
}

static void data(uint32_t session, uint32_t seq, uint64_t offset, uint32_t len, int fill)
{
	struct tp_frame f = { .type = TP_FRAME_DATA, .session = session, .seq = seq,
			      .offset = offset, .len = len };

	if (len > TP_FRAME_MAX_PAYLOAD)
		tool_usage_error("LEN is at most 1048576");
	if (fill >= 0)
		memset(frame_buf + TP_FRAME_HDR_SIZE, fill, len);
	else
		tool_pattern(frame_buf + TP_FRAME_HDR_SIZE, offset, len, 0);
	emit(&f);
}

static uint32_t pattern_digest(uint64_t total)
{
	static unsigned char buf[1 << 16];
	uint32_t crc = 0;

	for (uint64_t off = 0; off < total;) {
		size_t n = total - off < sizeof(buf) ? (size_t)(total - off) : sizeof(buf);
		tool_pattern(buf, off, n, 0);
		crc = tp_crc32c(crc, buf, n);
		off += n;
	}
	return crc;
}

static void end(uint32_t session, uint64_t total, uint32_t frames, uint32_t digest)
{
	struct tp_frame_end e = { .total = total, .digest = digest, .frames = frames };
	struct tp_frame f = { .type = TP_FRAME_END, .session = session, .offset = total, .seq = frames };

	f.len = (uint32_t)tp_frame_end_encode(frame_buf + TP_FRAME_HDR_SIZE, TP_FRAME_MAX_PAYLOAD, &e);
	emit(&f);
}

static void udp_open(char *spec)
{
	char *colon = strrchr(spec, ':');
	struct sockaddr_in sa = { .sin_family = AF_INET };

	if (!colon)
		tool_usage_error("-u HOST:PORT");
	*colon = 0;
	sa.sin_port = htons((uint16_t)tool_number(colon + 1, 1, 65535));
	if (inet_pton(AF_INET, spec, &sa.sin_addr) != 1)
		tool_usage_error("-u takes an IPv4 address");
	udp_fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (udp_fd < 0 || connect(udp_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		tool_die("udp socket");
}

/* The number of arguments item `name` takes, or -1 for an unknown item. */
static int arity(const char *name)
{
	static const struct { const char *name; int n; } items[] = {
		{ "stream", 3 }, { "meta", 3 }, { "data", 4 }, { "fill", 5 }, { "end", 3 },
		{ "sleep", 1 },
	};
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
		if (strcmp(items[i].name, name) == 0)
			return items[i].n;
	return -1;
}

int main(int argc, char **argv)
{
	int i = 1;
	const unsigned long long u32 = UINT32_MAX, u64 = UINT64_MAX;

	if (i + 1 < argc && strcmp(argv[i], "-u") == 0) {
		udp_open(argv[i + 1]);
		i += 2;
	}
	if (i >= argc)
		tool_usage_error("no items");
	while (i < argc) {
		const char *item = argv[i];
		int n = arity(item);
		if (n < 0)
			tool_usage_error("unknown item");
		if (i + n >= argc)
			tool_usage_error("too few arguments");
		char **a = argv + i + 1;
		if (strcmp(item, "stream") == 0) {
			uint32_t s = session_arg(a[0]);
			uint64_t size = tool_number(a[1], 0, u64);
			uint32_t fs = (uint32_t)tool_number(a[2], 1, TP_FRAME_MAX_PAYLOAD);
			uint32_t seq = 0;
			meta(s, size, fs, 0);
			for (uint64_t off = 0; off < size; off += fs, seq++)
				data(s, seq, off, size - off < fs ? (uint32_t)(size - off) : fs, -1);
			end(s, size, seq, pattern_digest(size));
		} else if (strcmp(item, "meta") == 0) {
			uint64_t total = strcmp(a[1], "-") == 0 ? TP_FRAME_TOTAL_UNKNOWN : tool_number(a[1], 0, u64);
			meta(session_arg(a[0]), total, (uint32_t)tool_number(a[2], 0, u32), 0);
		} else if (strcmp(item, "data") == 0 || strcmp(item, "fill") == 0) {
			data(session_arg(a[0]), (uint32_t)tool_number(a[1], 0, u32), tool_number(a[2], 0, u64),
			     (uint32_t)tool_number(a[3], 0, TP_FRAME_MAX_PAYLOAD),
			     n == 5 ? (int)tool_number(a[4], 0, 255) : -1);
		} else if (strcmp(item, "end") == 0) {
			uint64_t total = tool_number(a[1], 0, u64);
			uint32_t digest;
			if (i + 4 < argc && argv[i + 4][0] >= '0' && argv[i + 4][0] <= '9') {
				digest = (uint32_t)tool_number(argv[i + 4], 0, u32);
				i++;
			} else {
				digest = pattern_digest(total);
			}
			end(session_arg(a[0]), total, (uint32_t)tool_number(a[2], 0, u32), digest);
		} else {
			struct timespec ts = { 0, 0 };
			unsigned long long ms = tool_number(a[0], 0, 600000);
			ts.tv_sec = (time_t)(ms / 1000);
			ts.tv_nsec = (long)(ms % 1000) * 1000000;
			nanosleep(&ts, NULL);
		}
		i += n + 1;
	}
	return 0;
}
