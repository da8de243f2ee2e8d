/* -d's pure parts: fdinfo and stat text as the kernel writes it (and garbage), which
 * descriptors are watched, the list of watched files through scans (opened, closed, reopened
 * on another file, full), their views and rates, line names, and the lines' layout on a
 * terminal and off one. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include "fdinfo.h"
#include "progress.h"
#include "screen.h"
#include "watchlist.h"

static int parse(const char *text, struct tp_fdinfo *fi)
{
	return tp_fdinfo_parse(text, strlen(text), fi);
}

START_TEST(test_fdinfo_real)
{
	struct tp_fdinfo fi;

	/* A file read by cat, on a 6.x kernel. */
	ck_assert_int_eq(parse("pos:\t1048576\nflags:\t0100000\nmnt_id:\t26\nino:\t10954270\n",
			       &fi), 0);
	ck_assert_uint_eq(fi.pos, 1048576);
	ck_assert(fi.has_flags);
	ck_assert_uint_eq(fi.flags, 0100000);
	ck_assert(tp_fdinfo_size_is_total(&fi));
	/* An old kernel: pos and flags only, no newline at the end. */
	ck_assert_int_eq(parse("pos:\t0\nflags:\t02", &fi), 0);
	ck_assert_uint_eq(fi.pos, 0);
	ck_assert_uint_eq(fi.flags, O_RDWR);
	/* A file being written: its size grows with the position, so it is no total. */
	ck_assert_int_eq(parse("pos:\t4096\nflags:\t0102001\nmnt_id:\t26\n", &fi), 0);
	ck_assert_uint_eq(fi.flags & O_ACCMODE, O_WRONLY);
	ck_assert(!tp_fdinfo_size_is_total(&fi));
	ck_assert_int_eq(parse("pos:\t4096\nflags:\t0102002\n", &fi), 0);
	ck_assert(tp_fdinfo_size_is_total(&fi));
	/* Lines it does not know, before and after, even with colons in their values. */
	ck_assert_int_eq(parse("eventfd-count: 0\neventfd-id: 3\npos:\t7\nflags:\t02000002\n"
			       "inotify wd:1 ino:2 sdev:3 mask:fff\n", &fi), 0);
	ck_assert_uint_eq(fi.pos, 7);
	/* The largest position there is. */
	ck_assert_int_eq(parse("pos:\t18446744073709551615\nflags:\t00\n", &fi), 0);
	ck_assert_uint_eq(fi.pos, UINT64_MAX);
	/* Spaces instead of a tab, and blanks after the number. */
	ck_assert_int_eq(parse("pos: 12 \nflags:  0100000\t\n", &fi), 0);
	ck_assert_uint_eq(fi.pos, 12);
	/* No flags line: the size counts as the total. */
	ck_assert_int_eq(parse("pos:\t5\n", &fi), 0);
	ck_assert(!fi.has_flags);
	ck_assert(tp_fdinfo_size_is_total(&fi));
}
END_TEST

START_TEST(test_fdinfo_garbage)
{
	struct tp_fdinfo fi = { .pos = 99 };

	ck_assert_int_eq(parse("", &fi), -EINVAL);
	ck_assert_int_eq(parse("flags:\t0100000\nmnt_id:\t26\n", &fi), -EINVAL);  /* no pos */
	ck_assert_int_eq(parse("pos:\t\nflags:\t00\n", &fi), -EINVAL);
	ck_assert_int_eq(parse("pos:\t-1\n", &fi), -EINVAL);
	ck_assert_int_eq(parse("pos:\t12x\n", &fi), -EINVAL);
	ck_assert_int_eq(parse("pos:\t0x10\n", &fi), -EINVAL);
	ck_assert_int_eq(parse("pos:\t18446744073709551616\n", &fi), -EINVAL);  /* 2^64 */
	ck_assert_int_eq(parse("pos:\t1\nflags:\t0108\n", &fi), -EINVAL);  /* not octal */
	ck_assert_int_eq(parse("pos:\t1\nflags:\t077777777777\n", &fi), -EINVAL);
	ck_assert_int_eq(parse("position:\t1\n", &fi), -EINVAL);
	ck_assert_int_eq(parse("\n\n\n", &fi), -EINVAL);
	ck_assert_int_eq(parse("pos", &fi), -EINVAL);
	ck_assert_uint_eq(fi.pos, 99);  /* left as it was */
	/* Only len bytes are read: the text need not end in NUL. */
	ck_assert_int_eq(tp_fdinfo_parse("pos:\t123456", 8, &fi), 0);
	ck_assert_uint_eq(fi.pos, 123);
}
END_TEST

static int stat_parse(const char *text, char *state, uint64_t *start)
{
	return tp_proc_stat_parse(text, strlen(text), state, start);
}

START_TEST(test_proc_stat)
{
	char st = 0;
	uint64_t start = 0;

	ck_assert_int_eq(stat_parse("4242 (cat) S 4000 4242 4000 34816 4242 4194304 97 0 0 0 0 0 "
				    "0 0 20 0 1 0 1234567 5685248 214 18446744073709551615\n",
				    &st, &start), 0);
	ck_assert_int_eq(st, 'S');
	ck_assert_uint_eq(start, 1234567);
	ck_assert(!tp_proc_state_ended(st));
	/* A command name with spaces and parentheses of its own. */
	ck_assert_int_eq(stat_parse("7 (a) b (c)) Z 1 7 7 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 "
				    "99 0 0\n", &st, &start), 0);
	ck_assert_int_eq(st, 'Z');
	ck_assert_uint_eq(start, 99);
	ck_assert(tp_proc_state_ended(st));
	ck_assert(tp_proc_state_ended('X'));
	ck_assert(!tp_proc_state_ended('R'));
	ck_assert(!tp_proc_state_ended('D'));
	/* Garbage: no ")", too few fields, a start time that is no number, a long state. */
	ck_assert_int_eq(stat_parse("4242 cat S 1 2 3", &st, &start), -EINVAL);
	ck_assert_int_eq(stat_parse("4242 (cat) S 4000 4242\n", &st, &start), -EINVAL);
	ck_assert_int_eq(stat_parse("1 (x) S 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 abc 0\n", &st,
				    &start), -EINVAL);
	ck_assert_int_eq(stat_parse("1 (x) SS 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 5 0\n", &st,
				    &start), -EINVAL);
	ck_assert_int_eq(stat_parse("", &st, &start), -EINVAL);
}
END_TEST

START_TEST(test_classify)
{
	ck_assert_int_eq(tp_fd_classify(S_IFREG | 0644, "/tmp/big"), TP_FD_FILE);
	ck_assert_int_eq(tp_fd_classify(S_IFREG | 0600, "/tmp/gone (deleted)"), TP_FD_FILE);
	ck_assert_int_eq(tp_fd_classify(S_IFBLK | 0660, "/dev/sda1"), TP_FD_BLOCK);
	ck_assert_int_eq(tp_fd_classify(S_IFIFO | 0600, "pipe:[101852]"), TP_FD_OTHER);
	ck_assert_int_eq(tp_fd_classify(S_IFSOCK | 0777, "socket:[4711]"), TP_FD_OTHER);
	ck_assert_int_eq(tp_fd_classify(S_IFCHR | 0666, "/dev/null"), TP_FD_OTHER);
	ck_assert_int_eq(tp_fd_classify(S_IFCHR | 0620, "/dev/pts/3"), TP_FD_OTHER);
	ck_assert_int_eq(tp_fd_classify(S_IFDIR | 0755, "/home"), TP_FD_OTHER);
	/* An anon inode may say it is a regular file: its target says it is not. */
	ck_assert_int_eq(tp_fd_classify(S_IFREG | 0600, "anon_inode:[eventfd]"), TP_FD_OTHER);
	ck_assert_int_eq(tp_fd_classify(0600, "anon_inode:[io_uring]"), TP_FD_OTHER);
	ck_assert_int_eq(tp_fd_classify(S_IFREG | 0600, ""), TP_FD_OTHER);
}
END_TEST

#define MS 1000000ull

static struct tp_watch_file *see(struct tp_watch_list *l, int fd, uint64_t ino, uint64_t pos,
				 uint64_t size, uint64_t now)
{
	struct tp_watch_sample s = { .pid = 10, .fd = fd, .dev = 1, .ino = ino, .pos = pos,
				     .size = size, .label = "x" };
	return tp_watch_list_see(l, &s, now);
}

START_TEST(test_list_scans)
{
	static struct tp_watch_list l;

	tp_watch_list_init(&l);
	tp_watch_list_begin_scan(&l);
	ck_assert_ptr_nonnull(see(&l, 3, 100, 0, 1000, 0));
	ck_assert_ptr_nonnull(see(&l, 4, 200, 0, 2000, 0));
	ck_assert_uint_eq(tp_watch_list_end_scan(&l), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_uint_eq(tp_watch_list_open(&l), 2);

	/* Seen again: updated in place, not added. */
	tp_watch_list_begin_scan(&l);
	struct tp_watch_file *f = see(&l, 3, 100, 500, 1000, 100 * MS);
	see(&l, 4, 200, 10, 2000, 100 * MS);
	ck_assert_uint_eq(tp_watch_list_end_scan(&l), 0);
	ck_assert_ptr_eq(f, &l.f[0]);
	ck_assert_uint_eq(f->pos, 500);
	ck_assert_uint_eq(l.n, 2);

	/* fd 4 not seen: closed, and kept until swept (its last line). */
	tp_watch_list_begin_scan(&l);
	see(&l, 3, 100, 600, 1000, 200 * MS);
	ck_assert_uint_eq(tp_watch_list_end_scan(&l), 1);
	ck_assert(l.f[1].closed);
	ck_assert_uint_eq(l.f[1].pos, 10);  /* the last position known */
	ck_assert_uint_eq(tp_watch_list_open(&l), 1);
	ck_assert_uint_eq(l.n, 2);
	tp_watch_list_sweep(&l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.f[0].fd, 3);

	/* fd 3 now on another file: the old one closes, the new one starts afresh. */
	tp_watch_list_begin_scan(&l);
	f = see(&l, 3, 101, 7, 50, 300 * MS);
	ck_assert_uint_eq(tp_watch_list_end_scan(&l), 0);  /* closed by see itself */
	ck_assert_uint_eq(l.n, 2);
	ck_assert(l.f[0].closed);
	ck_assert_uint_eq(l.f[0].ino, 100);
	ck_assert_ptr_eq(f, &l.f[1]);
	ck_assert(!f->closed);
	ck_assert_uint_eq(f->first_pos, 7);
	ck_assert_uint_eq(f->first_ns, 300 * MS);
	tp_watch_list_sweep(&l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_uint_eq(l.f[0].ino, 101);

	/* Sweeping keeps the order of the files left. */
	tp_watch_list_begin_scan(&l);
	see(&l, 3, 101, 8, 50, 400 * MS);
	see(&l, 5, 300, 0, 9, 400 * MS);
	see(&l, 6, 400, 0, 9, 400 * MS);
	tp_watch_list_end_scan(&l);
	tp_watch_list_begin_scan(&l);
	see(&l, 5, 300, 1, 9, 500 * MS);
	see(&l, 6, 400, 1, 9, 500 * MS);
	ck_assert_uint_eq(tp_watch_list_end_scan(&l), 1);
	tp_watch_list_sweep(&l);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_int_eq(l.f[0].fd, 5);
	ck_assert_int_eq(l.f[1].fd, 6);

	/* Everything gone (the process ended). */
	tp_watch_list_begin_scan(&l);
	ck_assert_uint_eq(tp_watch_list_end_scan(&l), 2);
	ck_assert_uint_eq(tp_watch_list_open(&l), 0);
	tp_watch_list_sweep(&l);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

START_TEST(test_list_full)
{
	static struct tp_watch_list l;

	tp_watch_list_init(&l);
	tp_watch_list_begin_scan(&l);
	for (int i = 0; i < TP_WATCH_MAX_FILES; i++)
		ck_assert_ptr_nonnull(see(&l, i, (uint64_t)i + 1, 0, 1, 0));
	ck_assert_ptr_null(see(&l, 9999, 9999, 0, 1, 0));
	/* A file already there is still updated. */
	ck_assert_ptr_nonnull(see(&l, 0, 1, 5, 1, 0));
	ck_assert_uint_eq(l.n, TP_WATCH_MAX_FILES);
	/* A long label is cut, never overrun. */
	char label[TP_WATCH_LABEL * 2];
	memset(label, 'a', sizeof(label) - 1);
	label[sizeof(label) - 1] = 0;
	tp_watch_list_init(&l);
	struct tp_watch_sample s = { .pid = 1, .fd = 1, .label = label };
	struct tp_watch_file *f = tp_watch_list_see(&l, &s, 0);
	ck_assert_uint_eq(strlen(f->label), TP_WATCH_LABEL - 1);
}
END_TEST

START_TEST(test_view_rates)
{
	static struct tp_watch_list l;
	struct tp_progress_view v;

	tp_watch_list_init(&l);
	/* First seen at 1 MiB of 4 MiB. */
	struct tp_watch_file *f = see(&l, 3, 1, 1u << 20, 4u << 20, 1000 * MS);
	tp_watch_file_view(f, &v);
	ck_assert_uint_eq(v.bytes, 1u << 20);
	ck_assert_uint_eq(v.total, 4u << 20);
	ck_assert(v.elapsed == 0);
	ck_assert(v.rate_now == 0);
	ck_assert(v.rate_avg == 0);
	/* Half a second later, 512 KiB on: 1 MiB/s, now and on average (counted from where it
	 * was first seen, not from 0). */
	see(&l, 3, 1, 3u << 19, 4u << 20, 1500 * MS);
	tp_watch_file_view(f, &v);
	ck_assert(v.elapsed == 0.5);
	ck_assert(v.rate_now == 1048576.0);
	ck_assert(v.rate_avg == 1048576.0);
	/* 20 ms later, nothing more: too short to measure, the rate before stands. */
	see(&l, 3, 1, 3u << 19, 4u << 20, 1520 * MS);
	tp_watch_file_view(f, &v);
	ck_assert(v.rate_now == 1048576.0);
	/* Then 480 ms of nothing: the rate is 0 over the 500 ms since the last measurement. */
	see(&l, 3, 1, 3u << 19, 4u << 20, 2000 * MS);
	tp_watch_file_view(f, &v);
	ck_assert(v.rate_now == 0);
	ck_assert(v.rate_avg == 524288.0);
	/* A seek back: no negative rate. */
	see(&l, 3, 1, 100, 4u << 20, 2500 * MS);
	tp_watch_file_view(f, &v);
	ck_assert(v.rate_now == 0);
	ck_assert(v.rate_avg == 0);
	ck_assert_uint_eq(v.bytes, 100);
	/* and forward again from there. */
	see(&l, 3, 1, 100 + (1u << 20), 4u << 20, 3500 * MS);
	tp_watch_file_view(f, &v);
	ck_assert(v.rate_now == 1048576.0);
	/* The size may grow (a file still being written by another). */
	see(&l, 3, 1, 0, 8u << 20, 3600 * MS);
	tp_watch_file_view(f, &v);
	ck_assert_uint_eq(v.total, 8u << 20);
}
END_TEST

START_TEST(test_label)
{
	char buf[256];

	ck_assert_uint_eq(tp_watch_label(buf, sizeof(buf), 42, 3, "/tmp/big", false, 40), 10);
	ck_assert_str_eq(buf, "3:/tmp/big");
	tp_watch_label(buf, sizeof(buf), 42, 3, "/tmp/big", true, 40);
	ck_assert_str_eq(buf, "42:3:/tmp/big");
	/* Too long: a third kept from the start, the rest from the end, exactly max. */
	tp_watch_label(buf, sizeof(buf), 1, 12, "/home/someone/videos/2024/holiday.mkv", false,
		       18);
	ck_assert_str_eq(buf, "12:/home...oliday.mkv");
	ck_assert_uint_eq(strlen(buf) - 3, 18);
	/* Exactly max: as it is. */
	tp_watch_label(buf, sizeof(buf), 1, 1, "/abcdefgh", false, 9);
	ck_assert_str_eq(buf, "1:/abcdefgh");
	/* Control characters in a file name cannot move the cursor. */
	tp_watch_label(buf, sizeof(buf), 1, 1, "/tmp/a\033[2Jb\n", false, 40);
	ck_assert_str_eq(buf, "1:/tmp/a?[2Jb?");
	/* A small buffer: cut, NUL-terminated. */
	ck_assert_uint_eq(tp_watch_label(buf, 6, 1, 3, "/tmp/big", false, 40), 5);
	ck_assert_str_eq(buf, "3:/tm");
	ck_assert_uint_eq(tp_watch_label(buf, 2, 12345, 3, "/tmp/big", true, 40), 1);
	ck_assert_str_eq(buf, "1");
}
END_TEST

static char out[1024];

static const char *compose(struct tp_screen *s, const char *const *finals, unsigned nf,
			   const char *const *live, unsigned nl)
{
	size_t n = tp_screen_compose(s, finals, nf, live, nl, out, sizeof(out) - 1);

	out[n] = 0;
	return out;
}

START_TEST(test_screen_in_place)
{
	struct tp_screen s = { .in_place = true };
	const char *two[] = { "a1", "b1" }, *three[] = { "a2", "b2", "c2" };
	const char *fin[] = { "b3" }, *one[] = { "a3" };

	/* Nothing yet, nothing drawn. */
	ck_assert_str_eq(compose(&s, NULL, 0, NULL, 0), "");
	ck_assert_uint_eq(s.height, 0);
	/* Two lines from the cursor's line down. */
	ck_assert_str_eq(compose(&s, NULL, 0, two, 2), "\ra1\033[K\n\rb1\033[K");
	ck_assert_uint_eq(s.height, 2);
	/* Up one to the first, and a third line below (a file opened). */
	ck_assert_str_eq(compose(&s, NULL, 0, three, 3),
			 "\033[1A\ra2\033[K\n\rb2\033[K\n\rc2\033[K");
	ck_assert_uint_eq(s.height, 3);
	/* b closed: its last line stays above the two still open. */
	const char *live2[] = { "a3", "c3" };
	ck_assert_str_eq(compose(&s, fin, 1, live2, 2),
			 "\033[2A\rb3\033[K\n\ra3\033[K\n\rc3\033[K");
	ck_assert_uint_eq(s.height, 2);
	/* Fewer lines than there were (the terminal shrank): the rest erased, back up. */
	ck_assert_str_eq(compose(&s, NULL, 0, one, 1), "\033[1A\ra3\033[K\n\r\033[K\033[1A");
	ck_assert_uint_eq(s.height, 1);
	/* The last ones closed: their lines, then a fresh line for the shell. */
	const char *last[] = { "a4" };
	ck_assert_str_eq(compose(&s, last, 1, NULL, 0), "\ra4\033[K\n");
	ck_assert_uint_eq(s.height, 0);
	/* Nothing left to draw over lines of ours: erased, the cursor on the first of them. */
	s.height = 2;
	ck_assert_str_eq(compose(&s, NULL, 0, NULL, 0), "\033[1A\r\033[K\n\r\033[K\033[1A");
	ck_assert_uint_eq(s.height, 0);
	s.height = 1;
	ck_assert_str_eq(compose(&s, NULL, 0, NULL, 0), "\r\033[K");
}
END_TEST

START_TEST(test_screen_plain)
{
	struct tp_screen s = { .in_place = false };
	const char *fin[] = { "b9" }, *live[] = { "a5", "c5" };

	ck_assert_str_eq(compose(&s, fin, 1, live, 2), "b9\na5\nc5\n");
	ck_assert_uint_eq(s.height, 0);
	ck_assert_str_eq(compose(&s, NULL, 0, NULL, 0), "");
	/* A buffer too small cuts the redraw short, never overruns. */
	size_t n = tp_screen_compose(&s, fin, 1, live, 2, out, 4);
	ck_assert_uint_eq(n, 4);
	ck_assert(memcmp(out, "b9\na", 4) == 0);
}
END_TEST

/* tpipe's own line for a watched file: no ring of ours to show. */
START_TEST(test_line_without_ring)
{
	struct tp_progress_view v = { .bytes = 1u << 20, .elapsed = 1, .rate_now = 1048576,
				      .rate_avg = 1048576, .total = 2u << 20 };
	char line[256];

	tp_progress_render(line, sizeof(line), 200, "3:/tmp/big", &v);
	ck_assert_ptr_nonnull(strstr(line, "ring"));
	v.no_ring = true;
	tp_progress_render(line, sizeof(line), 200, "3:/tmp/big", &v);
	ck_assert_ptr_null(strstr(line, "ring"));
	const char *head = "3:/tmp/big: 1.00 MiB 0:00:01 [1.00 MiB/s] [1.00 MiB/s avg] [";
	const char *tail = "]  50% ETA 0:00:01";
	ck_assert_uint_eq(strlen(line), 199);  /* the bar takes the ring's room */
	ck_assert(strncmp(line, head, strlen(head)) == 0);
	ck_assert_str_eq(line + strlen(line) - strlen(tail), tail);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("watch");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_fdinfo_real);
	tcase_add_test(tc, test_fdinfo_garbage);
	tcase_add_test(tc, test_proc_stat);
	tcase_add_test(tc, test_classify);
	tcase_add_test(tc, test_list_scans);
	tcase_add_test(tc, test_list_full);
	tcase_add_test(tc, test_view_rates);
	tcase_add_test(tc, test_label);
	tcase_add_test(tc, test_screen_in_place);
	tcase_add_test(tc, test_screen_plain);
	tcase_add_test(tc, test_line_without_ring);
	suite_add_tcase(s, tc);
	return tp_unit_run(s);
}
