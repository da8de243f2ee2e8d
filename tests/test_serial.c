/* Serial lines' pure parts: the baud rate table, which specs name a serial line, and the
 * choices made from the baud rate (pace, burst, frame size, META interval). The device
 * handling itself is tested end to end over pseudo-terminals (tests/e2e_serial.sh). */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "serial.h"
#include "sink.h"
#include "tune.h"

START_TEST(test_speed_table)
{
	static const unsigned standard[] = { 50, 300, 1200, 9600, 19200, 38400, 57600, 115200,
					     230400, 460800, 921600, 1000000, 4000000 };

	for (size_t i = 0; i < sizeof(standard) / sizeof(standard[0]); i++) {
		speed_t s = tp_serial_speed(standard[i]);
		ck_assert_msg(s != 0, "%u has a termios constant", standard[i]);
		ck_assert_uint_eq(tp_serial_baud(s), standard[i]);
	}
	ck_assert_uint_eq(tp_serial_speed(115200), B115200);
	/* No constant: termios2 sets those. */
	ck_assert_uint_eq(tp_serial_speed(123457), 0);
	ck_assert_uint_eq(tp_serial_speed(0), 0);
	ck_assert_uint_eq(tp_serial_baud(B0), 0);
}
END_TEST

START_TEST(test_serial_paths)
{
	char file[] = "/tmp/tpipe-test-serial.XXXXXX";
	int fd = mkstemp(file);

	ck_assert_int_ge(fd, 0);
	ck_assert_str_eq(tp_serial_path("serial:/dev/ttyUSB0"), "/dev/ttyUSB0");
	ck_assert_ptr_null(tp_serial_path("-"));
	ck_assert_ptr_null(tp_serial_path(file));          /* a regular file */
	ck_assert_ptr_null(tp_serial_path("/dev/null"));   /* a character device, no terminal */
	ck_assert_ptr_null(tp_serial_path("/nonexistent/ttyS9"));
	ck_assert_ptr_null(tp_serial_path("udp://127.0.0.1:9"));
	close(fd);
	unlink(file);
}
END_TEST

static void options(struct tp_options *o)
{
	memset(o, 0, sizeof(*o));
	o->buffer_size = TP_DEFAULT_BUFFER_SIZE;
}

START_TEST(test_paced_to_the_line)
{
	struct tp_options o;
	struct tp_tuning t;

	options(&o);
	tp_tune_serial(&o, TP_SINK_TTY | TP_SINK_SERIAL, 115200, 4096, &t);
	ck_assert_uint_eq(t.rate, 11520); /* 8N1: ten bits a byte */
	ck_assert_ptr_nonnull(strstr(t.rate_why, "115200 baud"));
	ck_assert_uint_eq(t.burst, 115); /* 10 ms of the line */
	ck_assert_uint_eq(t.frame_size, 0); /* not framed */

	o.rate_limit = 5000; /* -L wins */
	o.rate_set = true;
	tp_tune_serial(&o, TP_SINK_TTY | TP_SINK_SERIAL, 115200, 4096, &t);
	ck_assert_uint_eq(t.rate, 5000);
	ck_assert_str_eq(t.rate_why, "set by -L");

	o.rate_limit = 0; /* -L 0: not paced at all */
	tp_tune_serial(&o, TP_SINK_TTY | TP_SINK_SERIAL, 115200, 4096, &t);
	ck_assert_uint_eq(t.rate, 0);
	ck_assert_uint_eq(t.burst, 0);
}
END_TEST

START_TEST(test_frames_from_the_baud)
{
	static const struct { unsigned baud; size_t frame; } want[] = {
		{ 300, 64 }, { 9600, 64 }, { 57600, 256 }, { 115200, 512 }, { 460800, 1024 },
		{ 921600, 1024 }, { 4000000, 1024 },
	};
	struct tp_options o;
	struct tp_tuning t;

	options(&o);
	o.frame = true;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			tp_tune_serial(&o, TP_SINK_TTY | TP_SINK_SERIAL, want[i].baud, 4096, &t);
		ck_assert_msg(t.frame_size == want[i].frame, "%u baud: frame %zu, want %zu",
			      want[i].baud, t.frame_size, want[i].frame);
		/* A META about every 5 s of line time. */
		uint64_t every = (uint64_t)want[i].baud / 10 * 5 / t.frame_size;
		ck_assert_uint_eq(t.meta_every, every ? every : 1);
	}
	o.frame_size = 1000; /* --frame-size wins */
	tp_tune_serial(&o, TP_SINK_TTY | TP_SINK_SERIAL, 115200, 4096, &t);
	ck_assert_uint_eq(t.frame_size, 1000);
}
END_TEST

static Suite *serial_suite(void)
{
	Suite *s = suite_create("serial");
	TCase *tc = tcase_create("serial");

	tcase_add_test(tc, test_speed_table);
	tcase_add_test(tc, test_serial_paths);
	tcase_add_test(tc, test_paced_to_the_line);
	tcase_add_test(tc, test_frames_from_the_baud);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tp_unit_run(serial_suite());
}
