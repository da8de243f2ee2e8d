/* The ring of pipes (the splice path): each chunk's pipe is big enough, never blocks the
 * reader, and moves bytes in and out in order; a refusal leaves no pipe behind; bytes the
 * reader holds at the end still reach the chunks. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "cli.h"
#include "engine.h"
#include "pipes.h"
#include "reader.h"
#include "ring.h"

#define CHUNK (64u << 10)

static void fill_pattern(unsigned char *buf, size_t len, size_t from)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)((from + i) * 131u >> 3);
}

START_TEST(test_attach_gives_big_nonblocking_pipes)
{
	struct tp_ring ring;

	ck_assert_int_eq(tp_ring_init(&ring, CHUNK, 4, 0), 0);
	for (unsigned i = 0; i < ring.depth; i++)
		ck_assert_int_eq(ring.chunks[i].pipe_rd, -1);
	ck_assert_int_eq(tp_pipes_attach(&ring, CHUNK), 0);
	for (unsigned i = 0; i < ring.depth; i++) {
		struct tp_chunk *c = &ring.chunks[i];
		ck_assert_int_ge(c->pipe_rd, 0);
		ck_assert_int_ge(fcntl(c->pipe_rd, F_GETPIPE_SZ), (int)(CHUNK * TP_SPLICE_PIPE_FACTOR));
		ck_assert(fcntl(c->pipe_wr, F_GETFL) & O_NONBLOCK);
		ck_assert(!(fcntl(c->pipe_rd, F_GETFL) & O_NONBLOCK));
		ck_assert(fcntl(c->pipe_rd, F_GETFD) & FD_CLOEXEC);
	}
	tp_ring_destroy(&ring);
}
END_TEST

/* A chunk as large as pipe-max-size: twice that needs privilege (CAP_SYS_RESOURCE); without
 * it the pipe is the chunk's size. */
START_TEST(test_chunk_of_pipe_max_size)
{
	struct tp_ring ring;
	long max = 1L << 20;
	FILE *f = fopen("/proc/sys/fs/pipe-max-size", "re");

	if (f) {
		ck_assert_int_eq(fscanf(f, "%ld", &max), 1);
		fclose(f);
	}
	ck_assert_int_eq(tp_ring_init(&ring, (size_t)max, 2, 0), 0);
	ck_assert_int_eq(tp_pipes_attach(&ring, (size_t)max), 0);
	ck_assert_int_ge(fcntl(ring.chunks[0].pipe_rd, F_GETPIPE_SZ), max);
	tp_ring_destroy(&ring);
}
END_TEST

/* Bytes go in by splice and by write, come out by splice, in order. */
START_TEST(test_in_and_out_in_order)
{
	struct tp_ring ring;
	int src[2], dst[2];
	unsigned char *want = malloc(CHUNK), *got = malloc(CHUNK);

	ck_assert_int_eq(tp_ring_init(&ring, CHUNK, 2, 0), 0);
	ck_assert_int_eq(tp_pipes_attach(&ring, CHUNK), 0);
	ck_assert_int_eq(pipe(src), 0);
	ck_assert_int_eq(pipe(dst), 0);
	fcntl(dst[0], F_SETPIPE_SZ, CHUNK);
	fill_pattern(want, CHUNK, 0);
	struct tp_chunk *c = &ring.chunks[0];

	/* 40000 bytes spliced from a pipe, then the rest written. */
	ck_assert_int_eq(write(src[1], want, 40000), 40000);
	ck_assert_uint_eq(tp_pipes_waiting(src[0]), 40000);
	ck_assert_int_eq(tp_pipes_splice_in(src[0], c, CHUNK), 40000);
	ck_assert_uint_eq(tp_pipes_waiting(src[0]), 0);
	ck_assert_int_eq(tp_pipes_splice_in(src[0], c, CHUNK), -EAGAIN); /* nothing there */
	ck_assert_int_eq(tp_pipes_put(c, want + 40000, CHUNK - 40000), CHUNK - 40000);

	size_t out = 0;
	while (out < CHUNK) {
		ssize_t n = tp_pipes_splice_out(c, dst[1], CHUNK - out);
		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(read(dst[0], got + out, (size_t)n), n);
		out += (size_t)n;
	}
	ck_assert_mem_eq(got, want, CHUNK);
	ck_assert_uint_eq(tp_pipes_waiting(c->pipe_rd), 0);

	/* The input's end. */
	close(src[1]);
	ck_assert_int_eq(tp_pipes_splice_in(src[0], c, CHUNK), 0);
	close(src[0]);
	close(dst[0]);
	close(dst[1]);
	free(want);
	free(got);
	tp_ring_destroy(&ring);
}
END_TEST

/* A full chunk pipe says so (EAGAIN) instead of blocking the reader. */
START_TEST(test_full_pipe_never_blocks)
{
	struct tp_ring ring;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char one = 1, *buf = calloc(1, 4 * CHUNK);

	ck_assert_int_eq(tp_ring_init(&ring, page, 2, 0), 0);
	ck_assert_int_eq(tp_pipes_attach(&ring, page), 0);
	struct tp_chunk *c = &ring.chunks[0];
	size_t in = 0;
	ssize_t n;
	while ((n = tp_pipes_put(c, buf, 4 * CHUNK)) > 0)
		in += (size_t)n;
	ck_assert_int_eq(n, -EAGAIN);
	ck_assert_uint_ge(in, page * TP_SPLICE_PIPE_FACTOR);
	ck_assert_int_eq(tp_pipes_put(c, &one, 1), -EAGAIN);
	free(buf);
	tp_ring_destroy(&ring);
}
END_TEST

/* A file is spliced straight from the page cache. */
START_TEST(test_splice_from_a_file)
{
	struct tp_ring ring;
	char path[] = "/tmp/tpipe-test-pipes.XXXXXX";
	int fd = mkstemp(path);
	unsigned char want[10000], got[10000];

	ck_assert_int_ge(fd, 0);
	unlink(path);
	fill_pattern(want, sizeof(want), 7);
	ck_assert_int_eq(write(fd, want, sizeof(want)), (ssize_t)sizeof(want));
	lseek(fd, 0, SEEK_SET);
	ck_assert_int_eq(tp_ring_init(&ring, CHUNK, 2, 0), 0);
	ck_assert_int_eq(tp_pipes_attach(&ring, CHUNK), 0);
	ck_assert_int_eq(tp_pipes_splice_in(fd, &ring.chunks[1], CHUNK), (ssize_t)sizeof(want));
	ck_assert_int_eq(tp_pipes_splice_in(fd, &ring.chunks[1], CHUNK), 0);
	ck_assert_int_eq(read(ring.chunks[1].pipe_rd, got, sizeof(got)), (ssize_t)sizeof(got));
	ck_assert_mem_eq(got, want, sizeof(want));
	close(fd);
	tp_ring_destroy(&ring);
}
END_TEST

/* Too few descriptors: -EMFILE, and no chunk keeps a pipe. */
START_TEST(test_refused_leaves_nothing)
{
	struct tp_ring ring;
	struct rlimit rl = { 16, 16 };

	ck_assert_int_eq(tp_ring_init(&ring, CHUNK, 64, 0), 0);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0); /* this forked test only */
	ck_assert_int_eq(tp_pipes_attach(&ring, CHUNK), -EMFILE);
	for (unsigned i = 0; i < ring.depth; i++) {
		ck_assert_int_eq(ring.chunks[i].pipe_rd, -1);
		ck_assert_int_eq(ring.chunks[i].pipe_wr, -1);
	}
	int fd[2];
	ck_assert_int_eq(pipe(fd), 0); /* the descriptors were given back */
	tp_ring_destroy(&ring);
}
END_TEST

/* Bytes read but not yet in a chunk (the reader's stage) reach chunks at the end, a stop
 * request or not, and --size still holds. */
static void flush_case(uint64_t size, size_t want)
{
	struct tp_reader r;
	unsigned char *src = malloc(10000), got[10000];
	size_t out = 0;

	memset(&r, 0, sizeof(r));
	r.p.limit = size ? size : UINT64_MAX; /* -S */
	ck_assert_int_eq(tp_handoff_init(&r.handoff, 4096, 4, 0), 0);
	ck_assert_int_eq(tp_pipes_attach(&r.handoff.ring, 4096), 0);
	r.stage = malloc(TP_DATAGRAM_ROOM);
	fill_pattern(src, 10000, 3);
	memcpy(r.stage, src, 10000);
	r.stage_len = 10000;
	tp_reader_flush_stage(&r);
	ck_assert_uint_eq(r.stage_len, 0);
	ck_assert_uint_eq(r.offset, want);
	if (r.chunk && r.chunk->len)
		tp_reader_hand_over(&r);
	tp_handoff_close(&r.handoff);
	struct tp_chunk *c;
	while (tp_handoff_take(&r.handoff, 0, false, &c) == 0) {
		ck_assert_uint_le(out + c->len, sizeof(got));
		ck_assert_int_eq(read(c->pipe_rd, got + out, c->len), (ssize_t)c->len);
		ck_assert_uint_eq(tp_pipes_waiting(c->pipe_rd), 0);
		out += c->len;
		tp_handoff_release(&r.handoff, 0, c);
	}
	ck_assert_uint_eq(out, want);
	ck_assert_mem_eq(got, src, want);
	free(r.stage);
	free(src);
	tp_handoff_destroy(&r.handoff);
}


/* Several outputs: the tee engine gives each sink the chunk's bytes and leaves them in the
 * chunk's pipe for the others; pieces (paced) go on in order; a sink that splice cannot
 * write to gets them by read and write; tp_pipes_discard empties the chunk's pipe. */
static void read_all(int fd, unsigned char *buf, size_t len)
{
	for (size_t got = 0; got < len;) {
		ssize_t n = read(fd, buf + got, len - got);
		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
}

START_TEST(test_tee_engine_leaves_the_bytes)
{
	static unsigned char in[CHUNK], out[CHUNK];
	struct tp_ring ring;
	struct tp_counters counters = { .write_ns_min = UINT64_MAX };
	struct tp_engine eng[2];
	struct tp_sink sink[2];
	int p[2][2];

	fill_pattern(in, CHUNK, 7);
	ck_assert_int_eq(tp_ring_init(&ring, CHUNK, 2, 0), 0);
	ck_assert_int_eq(tp_pipes_attach(&ring, CHUNK), 0);
	struct tp_chunk *c = &ring.chunks[0];
	for (size_t off = 0; off < CHUNK;)
		off += (size_t)tp_pipes_put(c, in + off, CHUNK - off);
	c->len = CHUNK;
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(pipe(p[i]), 0);
		ck_assert_int_ge(fcntl(p[i][1], F_SETPIPE_SZ, (int)(2 * CHUNK)), (int)(2 * CHUNK));
		sink[i] = (struct tp_sink){ .fd = p[i][1], .flags = TP_SINK_PIPE, .name = "pipe" };
		ck_assert_int_eq(tp_engine_init(&eng[i], &(struct tp_engine_params){
			.kind = TP_ENGINE_SPLICE, .sink = &sink[i], .counters = &counters,
			.depth = 2, .shared_pipes = true, .pipe_size = tp_pipes_size(c) }), 0);
		ck_assert_str_eq(eng[i].ops->name, "tee");
	}
	/* The first output takes the chunk whole, the second in three pieces. */
	ck_assert_int_eq(tp_engine_submit(&eng[0], c), TP_ENGINE_DONE);
	ck_assert_uint_eq(tp_pipes_waiting(c->pipe_rd), CHUNK); /* still there */
	size_t cut[] = { 0, 1000, 40000, CHUNK };
	for (int k = 0; k < 3; k++) {
		struct tp_chunk piece = { .data = c->data + cut[k], .len = cut[k + 1] - cut[k],
					  .cap = cut[k + 1] - cut[k], .pipe_rd = c->pipe_rd,
					  .pipe_wr = c->pipe_wr, .piece_off = cut[k] };
		ck_assert_int_eq(tp_engine_submit(&eng[1], &piece), TP_ENGINE_DONE);
	}
	for (int i = 0; i < 2; i++) {
		memset(out, 0, sizeof(out));
		read_all(p[i][0], out, CHUNK);
		ck_assert_uint_eq(tp_pipes_waiting(p[i][0]), 0);
		ck_assert(memcmp(out, in, CHUNK) == 0);
	}
	ck_assert_uint_eq(counters.bytes_out, 2 * CHUNK);
	ck_assert_int_eq(tp_pipes_discard(c), 0);
	ck_assert_uint_eq(tp_pipes_waiting(c->pipe_rd), 0);
	for (int i = 0; i < 2; i++) {
		tp_engine_exit(&eng[i]);
		close(p[i][0]);
		close(p[i][1]);
	}

	/* /dev/full takes no splice: written instead, it says it is full. */
	for (size_t off = 0; off < CHUNK;)
		off += (size_t)tp_pipes_put(c, in + off, CHUNK - off);
	int full = open("/dev/full", O_WRONLY);
	ck_assert_int_ge(full, 0);
	sink[0] = (struct tp_sink){ .fd = full, .name = "/dev/full" };
	ck_assert_int_eq(tp_engine_init(&eng[0], &(struct tp_engine_params){
		.kind = TP_ENGINE_SPLICE, .sink = &sink[0], .counters = &counters, .depth = 2,
		.shared_pipes = true, .pipe_size = tp_pipes_size(c) }), 0);
	ck_assert_int_eq(tp_engine_submit(&eng[0], c), -ENOSPC);
	tp_engine_exit(&eng[0]);
	close(full);
	tp_ring_destroy(&ring);
}
END_TEST

START_TEST(test_stage_flushed_at_the_end)
{
	flush_case(0, 10000);
	flush_case(5000, 5000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pipes");
	TCase *tc = tcase_create("ring of pipes");
	tcase_add_test(tc, test_attach_gives_big_nonblocking_pipes);
	tcase_add_test(tc, test_chunk_of_pipe_max_size);
	tcase_add_test(tc, test_in_and_out_in_order);
	tcase_add_test(tc, test_full_pipe_never_blocks);
	tcase_add_test(tc, test_splice_from_a_file);
	tcase_add_test(tc, test_stage_flushed_at_the_end);
	tcase_add_test(tc, test_refused_leaves_nothing);
	tcase_add_test(tc, test_tee_engine_leaves_the_bytes);
	suite_add_tcase(s, tc);

	return tp_unit_run(s);
}
