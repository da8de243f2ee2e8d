/* The control channel's messages: each type round-trips, and garbage, short, oversized,
 * other-version and out-of-range messages are told apart, never taken. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <string.h>
#include "ctl_proto.h"
#include "enums.h"
#include "unit.h"

static struct tp_ctl_msg full_set(void)
{
	struct tp_ctl_msg m = { .type = TP_CTL_SET, .u.set = {
		.fields = TP_CTL_SET_ALL, .rate = 20000000, .total = 1ull << 40,
		.interval_ns = 250000000, .display = TP_DISPLAY_BAR | TP_DISPLAY_LAST,
		.last_written = 16 } };
	strcpy(m.u.set.name, "backup");
	strcpy(m.u.set.format, "%N %b %r %{progress}");
	return m;
}

static struct tp_ctl_msg some_state(void)
{
	struct tp_ctl_msg m = { .type = TP_CTL_STATE, .u.state = {
		.bytes = 123456789012ull, .elapsed_ns = 61500000000ull, .total = 1ull << 41,
		.rate_now = 20000000, .rate_avg = 19999999, .rate_limit = 20000000,
		.ring_pct = 100, .line_mode = true, .named = true } };
	strcpy(m.u.state.name, "newname");
	return m;
}

START_TEST(test_round_trip)
{
	unsigned char buf[TP_CTL_MSG_SIZE];
	struct tp_ctl_msg in[4], out;

	in[0] = full_set();
	in[1] = (struct tp_ctl_msg){ .type = TP_CTL_ACK, .u.ack = { .status = EINVAL } };
	strcpy(in[1].u.ack.why, "--format: %q: no such sequence");
	in[2] = (struct tp_ctl_msg){ .type = TP_CTL_QUERY };
	in[3] = some_state();
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(tp_ctl_encode(&in[i], buf), 0);
		ck_assert_int_eq(tp_ctl_decode(buf, sizeof(buf), &out), 0);
		ck_assert_int_eq(out.type, in[i].type);
	}
	ck_assert_int_eq(tp_ctl_encode(&in[0], buf), 0);
	tp_ctl_decode(buf, sizeof(buf), &out);
	ck_assert_uint_eq(out.u.set.fields, TP_CTL_SET_ALL);
	ck_assert_uint_eq(out.u.set.rate, 20000000);
	ck_assert_uint_eq(out.u.set.total, 1ull << 40);
	ck_assert_uint_eq(out.u.set.interval_ns, 250000000);
	ck_assert_uint_eq(out.u.set.display, TP_DISPLAY_BAR | TP_DISPLAY_LAST);
	ck_assert_uint_eq(out.u.set.last_written, 16);
	ck_assert_str_eq(out.u.set.name, "backup");
	ck_assert_str_eq(out.u.set.format, "%N %b %r %{progress}");
	ck_assert_int_eq(tp_ctl_encode(&in[3], buf), 0);
	tp_ctl_decode(buf, sizeof(buf), &out);
	ck_assert_uint_eq(out.u.state.bytes, 123456789012ull);
	ck_assert_uint_eq(out.u.state.elapsed_ns, 61500000000ull);
	ck_assert_uint_eq(out.u.state.total, 1ull << 41);
	ck_assert_uint_eq(out.u.state.rate_now, 20000000);
	ck_assert_uint_eq(out.u.state.rate_avg, 19999999);
	ck_assert_uint_eq(out.u.state.rate_limit, 20000000);
	ck_assert_uint_eq(out.u.state.ring_pct, 100);
	ck_assert(out.u.state.line_mode && out.u.state.named);
	ck_assert_str_eq(out.u.state.name, "newname");
	ck_assert_int_eq(tp_ctl_encode(&in[1], buf), 0);
	tp_ctl_decode(buf, sizeof(buf), &out);
	ck_assert_int_eq(out.u.ack.status, EINVAL);
	ck_assert_str_eq(out.u.ack.why, "--format: %q: no such sequence");
}
END_TEST

/* Only the fields given are sent: the rest are zero, and a rate of 0 (unlimited) is a rate. */
START_TEST(test_set_some_fields)
{
	unsigned char buf[TP_CTL_MSG_SIZE];
	struct tp_ctl_msg m = { .type = TP_CTL_SET, .u.set = { .fields = TP_CTL_SET_RATE,
							       .rate = 0, .total = 99 } }, out;

	ck_assert_int_eq(tp_ctl_encode(&m, buf), 0);
	ck_assert_int_eq(tp_ctl_decode(buf, sizeof(buf), &out), 0);
	ck_assert_uint_eq(out.u.set.fields, TP_CTL_SET_RATE);
	ck_assert_uint_eq(out.u.set.rate, 0);
	ck_assert_uint_eq(out.u.set.total, 0); /* not given: not sent */
}
END_TEST

/* Every prefix of a good message is short (-EAGAIN), a byte more is too much. */
START_TEST(test_short_and_oversized)
{
	unsigned char buf[TP_CTL_MSG_SIZE + 8];
	struct tp_ctl_msg m = full_set(), out;

	ck_assert_int_eq(tp_ctl_encode(&m, buf), 0);
	for (size_t n = 0; n < TP_CTL_MSG_SIZE; n++)
		ck_assert_int_eq(tp_ctl_decode(buf, n, &out), -EAGAIN);
	memset(buf + TP_CTL_MSG_SIZE, 0, 8);
	ck_assert_int_eq(tp_ctl_decode(buf, TP_CTL_MSG_SIZE + 1, &out), -EMSGSIZE);
	ck_assert_int_eq(tp_ctl_decode(buf, TP_CTL_MSG_SIZE + 8, &out), -EMSGSIZE);
}
END_TEST

/* Garbage is known as such from its first bytes, without waiting for a whole message. */
START_TEST(test_garbage)
{
	unsigned char buf[TP_CTL_MSG_SIZE];
	struct tp_ctl_msg out;
	const char *text = "hello, tpipe\n";

	ck_assert_int_eq(tp_ctl_decode((const unsigned char *)text, 1, &out), -EPROTO);
	ck_assert_int_eq(tp_ctl_decode((const unsigned char *)text, strlen(text), &out), -EPROTO);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(tp_ctl_decode(buf, sizeof(buf), &out), -EPROTO);
	uint64_t seed = 7;
	for (int round = 0; round < 1000; round++) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			buf[i] = (unsigned char)(seed >> 56);
		}
		ck_assert_int_lt(tp_ctl_decode(buf, sizeof(buf), &out), 0);
	}
	/* A good header on a random body is still refused. */
	for (int type = TP_CTL_SET; type <= TP_CTL_STATE; type++) {
		tp_ctl_encode(&(struct tp_ctl_msg){ .type = TP_CTL_QUERY }, buf);
		buf[5] = (unsigned char)type;
		for (size_t i = 8; i < sizeof(buf); i++)
			buf[i] = (unsigned char)(i * 37 + 1);
		ck_assert_int_eq(tp_ctl_decode(buf, sizeof(buf), &out), -EPROTO);
	}
	/* An unknown type, a nonzero reserved byte. */
	tp_ctl_encode(&(struct tp_ctl_msg){ .type = TP_CTL_QUERY }, buf);
	buf[5] = 9;
	ck_assert_int_eq(tp_ctl_decode(buf, 6, &out), -EPROTO);
	buf[5] = TP_CTL_QUERY;
	buf[7] = 1;
	ck_assert_int_eq(tp_ctl_decode(buf, sizeof(buf), &out), -EPROTO);
}
END_TEST

START_TEST(test_other_version)
{
	unsigned char buf[TP_CTL_MSG_SIZE];
	struct tp_ctl_msg m = { .type = TP_CTL_QUERY }, out;

	tp_ctl_encode(&m, buf);
	buf[4] = TP_CTL_VERSION + 1;
	ck_assert_int_eq(tp_ctl_decode(buf, 5, &out), -EPROTONOSUPPORT);
	ck_assert_int_eq(tp_ctl_decode(buf, sizeof(buf), &out), -EPROTONOSUPPORT);
}
END_TEST

/* One byte wrong in a good message: a field out of range, or a string without its end. */
START_TEST(test_fields_out_of_range)
{
	unsigned char buf[TP_CTL_MSG_SIZE];
	struct tp_ctl_msg m = full_set(), out;

	tp_ctl_encode(&m, buf);
	buf[8] |= 0x80; /* an unknown field */
	ck_assert_int_eq(tp_ctl_decode(buf, sizeof(buf), &out), -EPROTO);
	tp_ctl_encode(&m, buf);
	buf[13] = 0x40; /* a display bit that is no letter */
	ck_assert_int_eq(tp_ctl_decode(buf, sizeof(buf), &out), -EPROTO);
	tp_ctl_encode(&m, buf);
	memset(buf + 48, 'x', TP_CTL_NAME_MAX); /* a name without its NUL */
	ck_assert_int_eq(tp_ctl_decode(buf, sizeof(buf), &out), -EPROTO);
	tp_ctl_encode(&m, buf);
	buf[48 + TP_CTL_NAME_MAX - 1] = 'x'; /* a byte after the name's NUL */
	ck_assert_int_eq(tp_ctl_decode(buf, sizeof(buf), &out), -EPROTO);
	tp_ctl_encode(&m, buf);
	buf[TP_CTL_MSG_SIZE - 1] = 1; /* the format's last byte is its NUL */
	ck_assert_int_eq(tp_ctl_decode(buf, sizeof(buf), &out), -EPROTO);

	/* A value given for a field not named. */
	m.u.set.fields = TP_CTL_SET_NAME;
	tp_ctl_encode(&m, buf);
	buf[16] = 1;
	ck_assert_int_eq(tp_ctl_decode(buf, sizeof(buf), &out), -EPROTO);

	struct tp_ctl_msg st = some_state();
	tp_ctl_encode(&st, buf);
	buf[56] = 101; /* ring fill */
	ck_assert_int_eq(tp_ctl_decode(buf, sizeof(buf), &out), -EPROTO);
	tp_ctl_encode(&st, buf);
	buf[57] = 4;
	ck_assert_int_eq(tp_ctl_decode(buf, sizeof(buf), &out), -EPROTO);
	tp_ctl_encode(&st, buf);
	buf[300] = 1; /* past the last field */
	ck_assert_int_eq(tp_ctl_decode(buf, sizeof(buf), &out), -EPROTO);

	struct tp_ctl_msg ack = { .type = TP_CTL_ACK, .u.ack = { .status = 0 } };
	tp_ctl_encode(&ack, buf);
	buf[9] = 0x10; /* status 4096 */
	ck_assert_int_eq(tp_ctl_decode(buf, sizeof(buf), &out), -EPROTO);
	tp_ctl_encode(&ack, buf);
	buf[12] = 'x'; /* a reason for success */
	ck_assert_int_eq(tp_ctl_decode(buf, sizeof(buf), &out), -EPROTO);
}
END_TEST

/* What cannot be said is not sent. */
START_TEST(test_encode_refuses)
{
	unsigned char buf[TP_CTL_MSG_SIZE];
	struct tp_ctl_msg m = full_set();

	struct tp_ctl_msg out;

	/* The longest name, 63 bytes, fits with its NUL. */
	memset(m.u.set.name, 'n', TP_CTL_NAME_MAX - 1);
	m.u.set.name[TP_CTL_NAME_MAX - 1] = 0;
	ck_assert_int_eq(tp_ctl_encode(&m, buf), 0);
	ck_assert_int_eq(tp_ctl_decode(buf, sizeof(buf), &out), 0);
	ck_assert_uint_eq(strlen(out.u.set.name), TP_CTL_NAME_MAX - 1);
	m = full_set();
	m.u.set.fields = 0;
	ck_assert_int_eq(tp_ctl_encode(&m, buf), -EINVAL);
	m = full_set();
	m.u.set.last_written = TP_MAX_LAST_WRITTEN + 1;
	ck_assert_int_eq(tp_ctl_encode(&m, buf), -EINVAL);
	m = full_set();
	m.u.set.interval_ns = 0;
	ck_assert_int_eq(tp_ctl_encode(&m, buf), -EINVAL);
	struct tp_ctl_msg st = some_state();
	st.u.state.ring_pct = 101;
	ck_assert_int_eq(tp_ctl_encode(&st, buf), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl_proto");
	TCase *tc = tcase_create("messages");

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_set_some_fields);
	tcase_add_test(tc, test_short_and_oversized);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_other_version);
	tcase_add_test(tc, test_fields_out_of_range);
	tcase_add_test(tc, test_encode_refuses);
	suite_add_tcase(s, tc);
	return tp_unit_run(s);
}
