/* The writer engines against real descriptors: a pipe whose reader is slow (short writes),
 * the same pipe non-blocking (EAGAIN), a file at offsets, and the errors they must return. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "engine.h"
#include "ring.h"

#define CHUNK (256u << 10)
#define DEPTH 6u

static const enum tp_engine_kind kinds[] = {
	TP_ENGINE_WRITE,
#ifdef HAVE_LIBURING
	TP_ENGINE_URING,
#endif
};
#define N_KINDS (int)(sizeof(kinds) / sizeof(kinds[0]))

static unsigned char pattern_byte(uint64_t off)
{
	return (unsigned char)(off * 2654435761u >> 13);
}

static void fill(struct tp_chunk *c, uint64_t offset, size_t len)
{
	c->offset = offset;
	c->len = len;
	for (size_t i = 0; i < len; i++)
		c->data[i] = pattern_byte(offset + i);
}

/* tp_engine_init with the parameters the tests vary. */
static int init_engine(struct tp_engine *eng, enum tp_engine_kind kind, struct tp_sink *sink,
		       struct tp_counters *counters, unsigned depth)
{
	return tp_engine_init(eng, &(struct tp_engine_params){
		.kind = kind, .sink = sink, .counters = counters, .depth = depth });
}

/* Pushes `total` bytes through the engine in ring order, as the writer thread does, and checks
 * that chunks come back in the order they went in. Returns 0 or the engine's -errno. */
static int drive(struct tp_engine *eng, struct tp_ring *ring, uint64_t total)
{
	uint64_t off = 0;
	int err = 0;

	while (off < total || eng->inflight) {
		struct tp_chunk *c;
		if (off < total && eng->inflight < eng->max_inflight && (c = tp_ring_peek_free(ring))) {
			size_t len = total - off < c->cap ? (size_t)(total - off) : c->cap;
			fill(c, off, len);
			off += len;
			tp_ring_put(ring, c);
			ck_assert_ptr_eq(tp_ring_take(ring, 0), c);
			int rc = tp_engine_submit(eng, c);
			if (rc < 0)
				return rc;
			if (rc == TP_ENGINE_DONE)
				ck_assert_int_eq(tp_ring_release(ring, 0, c), 0);
			continue;
		}
		int rc = tp_engine_reap(eng, &c);
		if (rc < 0)
			return rc;
		ck_assert_int_eq(rc, 1);
		/* tp_ring_release refuses a chunk that is not the oldest taken one. */
		ck_assert_int_eq(tp_ring_release(ring, 0, c), 0);
	}
	return err;
}

struct slow_reader {
	int fd;
	uint64_t got;
	uint64_t bad;   /* offset + 1 of the first wrong byte, 0 if none */
};

static void *read_slowly(void *arg)
{
	struct slow_reader *r = arg;
	unsigned char buf[3000]; /* odd-sized reads, with naps, so the pipe stays full */
	struct timespec nap = { 0, 200000 };
	ssize_t n;
	unsigned reads = 0;

	while ((n = read(r->fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (!r->bad && buf[i] != pattern_byte(r->got + (uint64_t)i))
				r->bad = r->got + (uint64_t)i + 1;
		r->got += (uint64_t)n;
		if (++reads % 64 == 0)
			nanosleep(&nap, NULL);
	}
	return NULL;
}

static void pipe_case(int kind_index, bool nonblocking)
{
	struct tp_ring ring;
	struct tp_sink sink = { .name = "pipe", .flags = TP_SINK_PIPE };
	struct tp_counters counters = { 0 };
	struct tp_engine eng;
	struct slow_reader reader = { 0 };
	pthread_t t;
	int fds[2];
	const uint64_t total = 5 * (uint64_t)CHUNK + 12345;

	ck_assert_int_eq(pipe(fds), 0);
	fcntl(fds[1], F_SETPIPE_SZ, 65536); /* small, so every chunk is written short */
	if (nonblocking)
		ck_assert_int_eq(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
	sink.fd = fds[1];
	reader.fd = fds[0];
	ck_assert_int_eq(tp_ring_init(&ring, CHUNK, DEPTH, 0), 0);
	ck_assert_int_eq(init_engine(&eng, kinds[kind_index], &sink, &counters, DEPTH), 0);
	ck_assert_uint_eq(eng.max_inflight, 1); /* a stream: one write in flight */
	ck_assert_int_eq(pthread_create(&t, NULL, read_slowly, &reader), 0);

	ck_assert_int_eq(drive(&eng, &ring, total), 0);
	close(fds[1]);
	pthread_join(t, NULL);
	close(fds[0]);
	ck_assert_uint_eq(reader.got, total);
	ck_assert_uint_eq(reader.bad, 0);
	ck_assert_uint_eq(counters.bytes_out, total);
	if (kinds[kind_index] == TP_ENGINE_WRITE && !nonblocking)
		ck_assert_uint_eq(counters.write_calls, 6); /* a blocking write() takes it all */
	else /* a 256 KiB chunk cannot go in one piece into a 64 KiB pipe: short writes resumed */
		ck_assert_uint_gt(counters.write_calls, 6);
	tp_engine_exit(&eng);
	tp_ring_destroy(&ring);
}

START_TEST(test_pipe_slow_reader)
{
	pipe_case(_i, false);
}
END_TEST

START_TEST(test_pipe_nonblocking_eagain)
{
	pipe_case(_i, true);
}
END_TEST

/* -o FILE: ours alone, written at offsets from 0 (io_uring: several in flight). */
START_TEST(test_file_offsets)
{
	struct tp_ring ring;
	struct tp_sink sink = { .name = "file", .flags = TP_SINK_SEEKABLE };
	struct tp_counters counters = { 0 };
	struct tp_engine eng;
	char path[] = "/tmp/tp-engine-XXXXXX";
	const uint64_t total = 7 * (uint64_t)CHUNK + 999;

	sink.fd = mkstemp(path);
	ck_assert_int_ge(sink.fd, 0);
	unlink(path);
	ck_assert_int_eq(tp_ring_init(&ring, CHUNK, DEPTH, 0), 0);
	ck_assert_int_eq(init_engine(&eng, kinds[_i], &sink, &counters, DEPTH), 0);
	if (kinds[_i] == TP_ENGINE_URING)
		ck_assert_uint_gt(eng.max_inflight, 1); /* a file takes several at offsets */
	ck_assert_int_eq(drive(&eng, &ring, total), 0);

	struct stat st;
	ck_assert_int_eq(fstat(sink.fd, &st), 0);
	ck_assert_int_eq(st.st_size, (off_t)total);
	unsigned char *buf = malloc(total);
	ck_assert_int_eq(pread(sink.fd, buf, total, 0), (ssize_t)total);
	for (uint64_t i = 0; i < total; i++)
		if (buf[i] != pattern_byte(i))
			ck_abort_msg("wrong byte at %llu", (unsigned long long)i);
	free(buf);
	tp_engine_exit(&eng);
	tp_ring_destroy(&ring);
	close(sink.fd);
}
END_TEST

/* An inherited descriptor on a regular file (`tpipe > f 2>&1`): written by write() whatever
 * engine was asked for (io_uring would move the shared position without its lock), at that
 * position, so what others wrote before and after stays, in order, and the position ends
 * just past our bytes without anyone setting it. */
START_TEST(test_file_shared_position)
{
	struct tp_ring ring;
	struct tp_sink sink = { .name = "file", .flags = TP_SINK_SHARED };
	struct tp_counters counters = { 0 };
	struct tp_engine eng;
	char path[] = "/tmp/tp-engine-XXXXXX";
	const uint64_t total = 5 * (uint64_t)CHUNK + 77;

	sink.fd = mkstemp(path);
	ck_assert_int_ge(sink.fd, 0);
	unlink(path);
	ck_assert_int_eq(write(sink.fd, "head\n", 5), 5);
	ck_assert_int_eq(tp_ring_init(&ring, CHUNK, DEPTH, 0), 0);
	ck_assert_int_eq(init_engine(&eng, kinds[_i], &sink, &counters, DEPTH), 0);
	ck_assert_ptr_eq(eng.ops, &tp_engine_write_ops);
	ck_assert_uint_eq(eng.max_inflight, 1); /* in order, at the position */
	ck_assert_int_eq(drive(&eng, &ring, total), 0);
	ck_assert_int_eq(lseek(sink.fd, 0, SEEK_CUR), (off_t)(5 + total));
	ck_assert_int_eq(write(sink.fd, "tail\n", 5), 5);

	struct stat st;
	ck_assert_int_eq(fstat(sink.fd, &st), 0);
	ck_assert_int_eq(st.st_size, (off_t)(10 + total));
	unsigned char *buf = malloc(total + 10);
	ck_assert_int_eq(pread(sink.fd, buf, total + 10, 0), (ssize_t)(total + 10));
	ck_assert_int_eq(memcmp(buf, "head\n", 5), 0);
	for (uint64_t i = 0; i < total; i++)
		if (buf[5 + i] != pattern_byte(i))
			ck_abort_msg("wrong byte at %llu", (unsigned long long)i);
	ck_assert_int_eq(memcmp(buf + 5 + total, "tail\n", 5), 0);
	free(buf);
	tp_engine_exit(&eng);
	tp_ring_destroy(&ring);
	close(sink.fd);
}
END_TEST

static int error_case(int kind_index, struct tp_sink *sink)
{
	struct tp_ring ring;
	struct tp_counters counters = { 0 };
	struct tp_engine eng;

	ck_assert_int_eq(tp_ring_init(&ring, CHUNK, DEPTH, 0), 0);
	ck_assert_int_eq(init_engine(&eng, kinds[kind_index], sink, &counters, DEPTH), 0);
	int err = drive(&eng, &ring, 3 * (uint64_t)CHUNK);
	tp_engine_exit(&eng);
	tp_ring_destroy(&ring);
	return err;
}

START_TEST(test_reader_gone_epipe)
{
	struct tp_sink sink = { .name = "pipe", .flags = TP_SINK_PIPE };
	int fds[2];

	signal(SIGPIPE, SIG_IGN); /* as tpipe does: EPIPE is an error code, not a signal */
	ck_assert_int_eq(pipe(fds), 0);
	close(fds[0]);
	sink.fd = fds[1];
	ck_assert_int_eq(error_case(_i, &sink), -EPIPE);
	close(fds[1]);
}
END_TEST

START_TEST(test_disk_full_enospc)
{
	struct tp_sink sink = { .name = "/dev/full" };

	sink.fd = open("/dev/full", O_WRONLY);
	ck_assert_int_ge(sink.fd, 0);
	ck_assert_int_eq(error_case(_i, &sink), -ENOSPC);
	close(sink.fd);
}
END_TEST

START_TEST(test_forced_engine_is_used)
{
	struct tp_sink sink = { .name = "null", .fd = -1 };
	struct tp_counters counters = { 0 };
	struct tp_engine eng;

	sink.fd = open("/dev/null", O_WRONLY);
	ck_assert_int_eq(init_engine(&eng, TP_ENGINE_WRITE, &sink, &counters, DEPTH), 0);
	ck_assert_str_eq(eng.ops->name, "write");
	tp_engine_exit(&eng);
#ifdef HAVE_LIBURING
	/* auto prefers io_uring where the kernel allows it, and falls back quietly otherwise. */
	ck_assert_int_eq(init_engine(&eng, TP_ENGINE_AUTO, &sink, &counters, DEPTH), 0);
	ck_assert(strcmp(eng.ops->name, "io_uring") == 0 || eng.fallback_err != 0);
	tp_engine_exit(&eng);
#endif
	close(sink.fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("engines");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_pipe_slow_reader, 0, N_KINDS);
	tcase_add_loop_test(tc, test_pipe_nonblocking_eagain, 0, N_KINDS);
	tcase_add_loop_test(tc, test_file_offsets, 0, N_KINDS);
	tcase_add_loop_test(tc, test_file_shared_position, 0, N_KINDS);
	tcase_add_loop_test(tc, test_reader_gone_epipe, 0, N_KINDS);
	tcase_add_loop_test(tc, test_disk_full_enospc, 0, N_KINDS);
	tcase_add_test(tc, test_forced_engine_is_used);
	suite_add_tcase(s, tc);

	return tp_unit_run(s);
}
